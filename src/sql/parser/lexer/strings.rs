//! String-like tokens: `'...'` (with `''` doubling and newline
//! continuation), `E'...'` with backslash escapes, `U&'...'` and `U&"..."`
//! with Unicode escapes, `B'...'`/`X'...'` bit strings, `N'...'`,
//! `"quoted identifiers"`, and `$tag$...$tag$` dollar quoting.

use nom::branch::alt;
use nom::bytes::complete::{tag_no_case, take_while, take_while1};
use nom::character::complete::{char as chr, one_of};
use nom::combinator::opt;
use nom::{Err as NomErr, Parser};

use super::{
    LResult, LexFail, Tok, consumed, failure, is_dolq_cont, is_ident_start, is_space,
    truncate_ident,
};
use crate::error::SqlState;

/// `'...'` with `''` doubling and newline continuation, no escapes.
pub(super) fn quoted_string(i: &str) -> LResult<'_, Tok> {
    let (rest, body) = quoted_body(i, false, "unterminated quoted string")?;
    Ok((rest, Tok::Str(body)))
}

/// Reads a single-quoted literal starting at `i` (the opening quote), and any
/// continuation segments. With `escapes`, backslash escapes are processed
/// (`E'...'`); errors are reported at offsets relative to `i`'s token start,
/// which the caller shifts by its prefix length.
fn quoted_body<'a>(i: &'a str, escapes: bool, unterminated: &'static str) -> LResult<'a, String> {
    let (mut rest, _) = chr('\'').parse(i)?;
    let mut bytes: Vec<u8> = Vec::new();
    loop {
        let Some(c) = rest.chars().next() else {
            return failure(LexFail::AtToken {
                message: unterminated,
                end: None,
            });
        };
        if c == '\'' {
            if rest[1..].starts_with('\'') {
                bytes.push(b'\'');
                rest = &rest[2..];
                continue;
            }
            match quote_continuation(&rest[1..]) {
                Some(r) => rest = r,
                None => {
                    rest = &rest[1..];
                    break;
                }
            }
        } else if c == '\\' && escapes {
            let offset = i.len() - rest.len();
            rest = backslash_escape(rest, offset, &mut bytes)?;
        } else {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            rest = &rest[c.len_utf8()..];
        }
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok((rest, s)),
        Err(e) => {
            let bad = e.as_bytes().get(e.utf8_error().valid_up_to()).copied();
            failure(LexFail::At {
                offset: 0,
                code: SqlState::CHARACTER_NOT_IN_REPERTOIRE,
                message: format!(
                    "invalid byte sequence for encoding \"UTF8\": 0x{:02x}",
                    bad.unwrap_or(0)
                ),
            })
        }
    }
}

/// After a closing quote: horizontal space, a newline, then any whitespace
/// and `--` comments followed by another quote continue the string
/// (`quotecontinue` in scan.l). Returns the rest after that quote.
fn quote_continuation(i: &str) -> Option<&str> {
    let horiz = i.trim_start_matches([' ', '\t', '\x0c']);
    let mut rest = horiz.strip_prefix(['\n', '\r'])?;
    loop {
        rest = rest.trim_start_matches(is_space);
        match rest.strip_prefix("--") {
            Some(r) => rest = &r[r.find(['\n', '\r'])?..],
            None => break,
        }
    }
    rest.strip_prefix('\'')
}

/// One backslash escape of an `E'...'` string at `i` (which starts with `\`).
fn backslash_escape<'a>(
    i: &'a str,
    offset: usize,
    out: &mut Vec<u8>,
) -> Result<&'a str, NomErr<LexFail>> {
    let body = &i[1..];
    let Some(c) = body.chars().next() else {
        return failure(LexFail::AtToken {
            message: "unterminated quoted string",
            end: None,
        })
        .map(|(r, ())| r);
    };
    let simple = match c {
        'b' => Some(b'\x08'),
        'f' => Some(b'\x0c'),
        'n' => Some(b'\n'),
        'r' => Some(b'\r'),
        't' => Some(b'\t'),
        _ => None,
    };
    if let Some(b) = simple {
        out.push(b);
        return Ok(&body[1..]);
    }
    if c.is_digit(8) {
        let n = body.chars().take(3).take_while(|d| d.is_digit(8)).count();
        let v = u32::from_str_radix(&body[..n], 8).unwrap_or(0);
        return push_escaped_byte(v as u8, &body[n..], offset, out);
    }
    if c == 'x' {
        let n = body[1..]
            .chars()
            .take(2)
            .take_while(char::is_ascii_hexdigit)
            .count();
        if n > 0 {
            let v = u8::from_str_radix(&body[1..1 + n], 16).unwrap_or(0);
            return push_escaped_byte(v, &body[1 + n..], offset, out);
        }
    }
    if c == 'u' || c == 'U' {
        return unicode_escape(body, c == 'U', offset, out);
    }
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    Ok(&body[c.len_utf8()..])
}

/// `\ooo` / `\xhh`: a raw byte; NUL is refused as PostgreSQL refuses it.
fn push_escaped_byte<'a>(
    b: u8,
    rest: &'a str,
    _offset: usize,
    out: &mut Vec<u8>,
) -> Result<&'a str, NomErr<LexFail>> {
    if b == 0 {
        return failure(LexFail::At {
            offset: 0,
            code: SqlState::CHARACTER_NOT_IN_REPERTOIRE,
            message: "invalid byte sequence for encoding \"UTF8\": 0x00".into(),
        })
        .map(|(r, ())| r);
    }
    out.push(b);
    Ok(rest)
}

/// `\uXXXX` / `\UXXXXXXXX` (body starts at the `u`), with UTF-16 surrogate pairs.
fn unicode_escape<'a>(
    body: &'a str,
    long: bool,
    offset: usize,
    out: &mut Vec<u8>,
) -> Result<&'a str, NomErr<LexFail>> {
    let invalid = || {
        failure::<()>(LexFail::At {
            offset,
            code: SqlState::INVALID_ESCAPE_SEQUENCE,
            message: "invalid Unicode escape".into(),
        })
        .map(|(r, ())| r)
    };
    let digits = if long { 8 } else { 4 };
    let Some(hex) = body
        .get(1..1 + digits)
        .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
    else {
        return invalid();
    };
    let mut code = u32::from_str_radix(hex, 16).unwrap_or(u32::MAX);
    let mut rest = &body[1 + digits..];
    if (0xD800..0xDC00).contains(&code) {
        // A high surrogate must be followed by `\uXXXX` holding the low half.
        let low = rest
            .strip_prefix("\\u")
            .and_then(|r| r.get(..4))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .filter(|l| (0xDC00..0xE000).contains(l));
        let Some(low) = low else { return invalid() };
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        rest = &rest[6..];
    }
    match char::from_u32(code) {
        Some(ch) if ch != '\0' => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            Ok(rest)
        }
        _ => invalid(),
    }
}

/// The `N` of `N'...'`: PostgreSQL reads it as a separate NCHAR keyword
/// token (`N'abc'` is a `bpchar` literal), so errors point at the string
/// after it; the string follows as its own token.
pub(super) fn national_prefix(i: &str) -> LResult<'_, Tok> {
    let (rest, _) = one_of("nN").parse(i)?;
    if !rest.starts_with('\'') {
        return Err(NomErr::Error(LexFail::NoMatch));
    }
    Ok((rest, Tok::National))
}

/// `E'...'`, `B'...'`, `X'...'`, `U&'...'`.
pub(super) fn prefixed_string(i: &str) -> LResult<'_, Tok> {
    let (rest, prefix) = alt((
        |i| consumed(i, tag_no_case("u&'")),
        |i| consumed(i, (one_of("eEbBxX"), chr('\''))),
    ))
    .parse(i)?;
    let after = &i[prefix.len() - 1..];
    let shift = |e: NomErr<LexFail>| match e {
        NomErr::Failure(LexFail::At {
            offset,
            code,
            message,
        }) => NomErr::Failure(LexFail::At {
            offset: offset + prefix.len() - 1,
            code,
            message,
        }),
        other => other,
    };
    let _ = rest;
    match prefix.as_bytes()[0].to_ascii_lowercase() {
        b'e' => {
            let (r, s) = quoted_body(after, true, "unterminated quoted string").map_err(shift)?;
            Ok((r, Tok::Str(s)))
        }
        b'u' => {
            let (r, s) = quoted_body(after, false, "unterminated quoted string").map_err(shift)?;
            let s = unicode_body(&s).map_err(shift)?;
            Ok((r, Tok::Str(s)))
        }
        b'b' => {
            let (r, _) = quoted_body(after, false, "unterminated bit string literal")?;
            Ok((r, Tok::BitStr))
        }
        _ => {
            let (r, _) = quoted_body(after, false, "unterminated hexadecimal string literal")?;
            Ok((r, Tok::BitStr))
        }
    }
}

/// Processes the escapes of a `U&'...'` / `U&"..."` body: `\XXXX`,
/// `\+XXXXXX`, `\\`.
fn unicode_body(s: &str) -> Result<String, NomErr<LexFail>> {
    let invalid = || {
        NomErr::Failure(LexFail::At {
            offset: 0,
            code: SqlState::INVALID_ESCAPE_SEQUENCE,
            message: "invalid Unicode escape".into(),
        })
    };
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(n) = rest.find('\\') {
        out.push_str(&rest[..n]);
        rest = &rest[n + 1..];
        if let Some(r) = rest.strip_prefix('\\') {
            out.push('\\');
            rest = r;
            continue;
        }
        let (len, skip) = if rest.starts_with('+') {
            (6, 1)
        } else {
            (4, 0)
        };
        let hex = rest.get(skip..skip + len).ok_or_else(invalid)?;
        let code = u32::from_str_radix(hex, 16).map_err(|_| invalid())?;
        out.push(
            char::from_u32(code)
                .filter(|c| *c != '\0')
                .ok_or_else(invalid)?,
        );
        rest = &rest[skip + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `"quoted identifier"` with `""` doubling.
pub(super) fn quoted_ident(i: &str) -> LResult<'_, Tok> {
    let (rest, name) = quoted_ident_body(i)?;
    Ok((rest, Tok::QuotedIdent(truncate_ident(name))))
}

fn quoted_ident_body(i: &str) -> LResult<'_, String> {
    let (mut rest, _) = chr('"').parse(i)?;
    let mut name = String::new();
    loop {
        let Some(n) = rest.find('"') else {
            return failure(LexFail::AtToken {
                message: "unterminated quoted identifier",
                end: None,
            });
        };
        name.push_str(&rest[..n]);
        rest = &rest[n + 1..];
        match rest.strip_prefix('"') {
            Some(r) => {
                name.push('"');
                rest = r;
            }
            None => break,
        }
    }
    if name.is_empty() {
        return failure(LexFail::AtToken {
            message: "zero-length delimited identifier",
            end: Some(i.len() - rest.len()),
        });
    }
    Ok((rest, name))
}

/// `U&"identifier"` with Unicode escapes.
pub(super) fn unicode_ident(i: &str) -> LResult<'_, Tok> {
    let (rest, _) = tag_no_case("u&").parse(i)?;
    if !rest.starts_with('"') {
        return Err(NomErr::Error(LexFail::NoMatch));
    }
    let (rest, name) = quoted_ident_body(rest)?;
    let name = unicode_body(&name)?;
    Ok((rest, Tok::QuotedIdent(truncate_ident(name))))
}

/// `$$...$$` or `$tag$...$tag$`.
pub(super) fn dollar_string(i: &str) -> LResult<'_, Tok> {
    let (rest, delim) = consumed(
        i,
        (
            chr('$'),
            opt((
                take_while1(|c: char| is_ident_start(c)),
                take_while(is_dolq_cont),
            )),
            chr('$'),
        ),
    )?;
    match rest.find(delim) {
        Some(n) => Ok((&rest[n + delim.len()..], Tok::Str(rest[..n].to_string()))),
        None => failure(LexFail::AtToken {
            message: "unterminated dollar-quoted string",
            end: None,
        }),
    }
}
