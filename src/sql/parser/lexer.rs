//! The lexer: statement text → tokens with positions, written with nom.
//!
//! It follows PostgreSQL 15's `scan.l` closely, because clients depend on the
//! details: identifiers fold ASCII letters to lower case and are cut to 63
//! bytes; `'...'` strings double `''` and continue across a newline
//! (`'a'\n'b'` is `'ab'`); `E'...'` strings take backslash escapes; `$$...$$`
//! and `$tag$...$tag$` quote verbatim; numbers are `42`, `1.5`, `.5`, `1.`,
//! `1e10`, `1.5E-3`, and a number glued to a letter is "trailing junk"; an
//! operator is the longest run of operator characters, except that it stops
//! before `--` or `/*` and sheds trailing `+`/`-` unless it holds one of
//! `~ ! @ # ^ & | \` ?` (so `a=-1` is `a = -1`); `!=` is `<>`.
//!
//! DriftDB adds one token, `@SEQ:N` (any case, optional spaces around the
//! colon), the commit-sequence point of `FOR SYSTEM_TIME AS OF @SEQ:N`.
//!
//! Every token carries its byte span (for "at or near" texts) and the 1-based
//! *character* position PostgreSQL reports. Lexical errors are reported the
//! way PostgreSQL reports them: `unterminated quoted string at or near "'abc"`
//! with the position of the token's first character.

use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::character::complete::{char as chr, digit0, digit1, one_of};
use nom::combinator::opt;
use nom::error::{ErrorKind, ParseError};
use nom::{Err as NomErr, IResult, Parser};

use crate::error::{Error, SqlState};

/// PostgreSQL's NAMEDATALEN - 1: longer identifiers are truncated.
const MAX_IDENT_BYTES: usize = 63;

/// One token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    /// What it is.
    pub tok: Tok,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
    /// 1-based character position of its first character.
    pub pos: u32,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// An unquoted identifier or keyword, lower-cased and truncated.
    Word(String),
    /// A `"quoted"` identifier (case kept, `""` undoubled).
    QuotedIdent(String),
    /// A string constant (`'...'`, `E'...'`, `N'...'`, `U&'...'`, `$$...$$`), processed.
    Str(String),
    /// A bit-string constant `B'...'` / `X'...'` (not supported by the engine).
    BitStr,
    /// An integer as written.
    Integer(String),
    /// A decimal or real number as written.
    Decimal(String),
    /// `$n`.
    Param(u32),
    /// An operator (`+`, `<=`, `||`, `@>`...); `!=` is given as `<>`.
    Op(String),
    /// `@SEQ:n`.
    Seq(u64),
    /// The `N` of a national-character string `N'...'` (a string follows).
    National,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `;`
    Semicolon,
    /// `:`
    Colon,
    /// `::`
    DoubleColon,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// `:=`
    ColonEquals,
    /// `=>`
    EqualsGreater,
    /// Any other character (always a syntax error).
    Other(char),
    /// A lexical error: the text from here on cannot be tokenized. Always
    /// the last token.
    Error(Box<Error>),
    /// End of input (the last token, always present).
    Eof,
}

/// Why a token could not be read.
#[derive(Debug, Clone, PartialEq)]
enum LexFail {
    /// Not this kind of token: try the next alternative.
    NoMatch,
    /// A PostgreSQL "<message> at or near" error for the token being read,
    /// whose text runs to `end` bytes from the token start (`None`: to the end
    /// of input).
    AtToken {
        message: &'static str,
        end: Option<usize>,
    },
    /// An error at a byte offset from the token start, with its own SQLSTATE.
    At {
        offset: usize,
        code: SqlState,
        message: String,
    },
}

impl<'a> ParseError<&'a str> for LexFail {
    fn from_error_kind(_input: &'a str, _kind: ErrorKind) -> Self {
        LexFail::NoMatch
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

type LResult<'a, T> = IResult<&'a str, T, LexFail>;

/// Stops the whole lexer with `fail`.
fn failure<'a, T>(fail: LexFail) -> LResult<'a, T> {
    Err(NomErr::Failure(fail))
}

/// Runs `p` and returns the text it consumed, measured by length. (nom's
/// `recognize` measures by pointer, and a complete-mode parser may return an
/// empty remainder that does not point at the end of its input.)
fn consumed<'a, O>(
    i: &'a str,
    mut p: impl Parser<&'a str, Output = O, Error = LexFail>,
) -> LResult<'a, &'a str> {
    let (rest, _) = p.parse(i)?;
    Ok((rest, &i[..i.len() - rest.len()]))
}

/// Characters that make up operators (`op_chars` in scan.l).
fn is_op_char(c: char) -> bool {
    "~!@#^&|`?+-*/%<>=".contains(c)
}

/// First character of an identifier: ASCII letter, `_` or any non-ASCII.
fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

/// Later characters of an identifier: also digits and `$`.
fn is_ident_cont(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == '$'
}

/// Characters of a dollar-quote tag after the first.
fn is_dolq_cont(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c' | '\x0b')
}

/// Splits `text` into tokens. The last token is [`Tok::Eof`], or
/// [`Tok::Error`] where the text stops being lexable: PostgreSQL's lexer
/// runs on demand, so a lexical error is reported only if the parser gets
/// that far (`SELECT 1 1 'abc` is a syntax error at the second `1`).
pub(super) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(text.len() / 4 + 2);
    let mut counter = CharCounter::default();
    let mut rest = text;
    loop {
        rest = match skip_trivia(rest) {
            Ok(r) => r,
            Err((at, e)) => {
                let start = text.len() - at.len();
                tokens.push(error_token(text, start, e, &mut counter));
                return tokens;
            }
        };
        let start = text.len() - rest.len();
        if rest.is_empty() {
            let pos = counter.pos(text, start);
            tokens.push(Token {
                tok: Tok::Eof,
                start,
                end: start,
                pos,
            });
            return tokens;
        }
        match token(rest) {
            Ok((r, tok)) => {
                let end = text.len() - r.len();
                let pos = counter.pos(text, start);
                tokens.push(Token {
                    tok,
                    start,
                    end,
                    pos,
                });
                rest = r;
            }
            Err(e) => {
                tokens.push(error_token(text, start, e, &mut counter));
                return tokens;
            }
        }
    }
}

/// The [`Tok::Error`] token for a lexer failure at byte `start`.
fn error_token(text: &str, start: usize, e: NomErr<LexFail>, counter: &mut CharCounter) -> Token {
    let pos = counter.pos(text, start);
    let error = lex_error(text, start, e, counter);
    Token {
        tok: Tok::Error(Box::new(error)),
        start,
        end: text.len(),
        pos,
    }
}

/// Turns byte offsets into 1-based character positions, moving forward only.
#[derive(Default)]
struct CharCounter {
    byte: usize,
    chars: u32,
}

impl CharCounter {
    fn pos(&mut self, text: &str, byte: usize) -> u32 {
        if byte < self.byte {
            *self = CharCounter::default();
        }
        let slice = text.get(self.byte..byte).unwrap_or("");
        self.chars = self.chars.saturating_add(slice.chars().count() as u32);
        self.byte = byte;
        self.chars.saturating_add(1)
    }
}

/// Converts a lexer failure at byte `start` into the PostgreSQL error.
fn lex_error(text: &str, start: usize, e: NomErr<LexFail>, counter: &mut CharCounter) -> Error {
    let fail = match e {
        NomErr::Error(f) | NomErr::Failure(f) => f,
        NomErr::Incomplete(_) => LexFail::NoMatch,
    };
    let rest = text.get(start..).unwrap_or("");
    match fail {
        LexFail::NoMatch => {
            // Unreachable in practice (every character is some token); report
            // it like an unexpected character rather than panicking.
            let near: String = rest.chars().take(1).collect();
            Error::sql(
                SqlState::SYNTAX_ERROR,
                format!("syntax error at or near \"{near}\""),
            )
            .with_position(counter.pos(text, start))
        }
        LexFail::AtToken { message, end } => {
            let near = match end {
                Some(n) => rest.get(..n).unwrap_or(rest),
                None => rest,
            };
            Error::sql(
                SqlState::SYNTAX_ERROR,
                format!("{message} at or near \"{near}\""),
            )
            .with_position(counter.pos(text, start))
        }
        LexFail::At {
            offset,
            code,
            message,
        } => {
            let err = Error::sql(code, message);
            if code == SqlState::CHARACTER_NOT_IN_REPERTOIRE {
                // PostgreSQL reports encoding errors without a cursor position.
                err
            } else {
                err.with_position(counter.pos(text, start + offset))
            }
        }
    }
}

/// Skips whitespace, `-- line` comments and nested `/* block */` comments.
/// On an unterminated comment, returns the input at the comment's start
/// with the error.
fn skip_trivia(mut i: &str) -> Result<&str, (&str, NomErr<LexFail>)> {
    loop {
        let before = i.len();
        i = i.trim_start_matches(is_space);
        if let Some(r) = i.strip_prefix("--") {
            i = r.find('\n').map_or("", |n| &r[n..]);
        } else if i.starts_with("/*") {
            i = block_comment(i).map_err(|e| (i, e))?.0;
        }
        if i.len() == before {
            return Ok(i);
        }
    }
}

/// A nested `/* ... */` comment starting at `i`.
fn block_comment(i: &str) -> LResult<'_, ()> {
    let mut depth = 0usize;
    let mut rest = i;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("/*") {
            depth += 1;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("*/") {
            depth -= 1;
            rest = r;
            if depth == 0 {
                return Ok((rest, ()));
            }
        } else {
            let n = rest.chars().next().map_or(1, char::len_utf8);
            rest = &rest[n..];
        }
    }
    failure(LexFail::AtToken {
        message: "unterminated /* comment",
        end: None,
    })
}

/// One token (trivia already skipped, input not empty).
fn token(i: &str) -> LResult<'_, Tok> {
    alt((
        national_prefix,
        prefixed_string,
        quoted_string,
        quoted_ident,
        unicode_ident,
        dollar_string,
        number,
        param,
        seq_point,
        word,
        punctuation,
        operator,
        other_char,
    ))
    .parse(i)
}

/// `'...'` with `''` doubling and newline continuation, no escapes.
fn quoted_string(i: &str) -> LResult<'_, Tok> {
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
fn national_prefix(i: &str) -> LResult<'_, Tok> {
    let (rest, _) = one_of("nN").parse(i)?;
    if !rest.starts_with('\'') {
        return Err(NomErr::Error(LexFail::NoMatch));
    }
    Ok((rest, Tok::National))
}

/// `E'...'`, `B'...'`, `X'...'`, `U&'...'`.
fn prefixed_string(i: &str) -> LResult<'_, Tok> {
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
fn quoted_ident(i: &str) -> LResult<'_, Tok> {
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
fn unicode_ident(i: &str) -> LResult<'_, Tok> {
    let (rest, _) = tag_no_case("u&").parse(i)?;
    if !rest.starts_with('"') {
        return Err(NomErr::Error(LexFail::NoMatch));
    }
    let (rest, name) = quoted_ident_body(rest)?;
    let name = unicode_body(&name)?;
    Ok((rest, Tok::QuotedIdent(truncate_ident(name))))
}

/// `$$...$$` or `$tag$...$tag$`.
fn dollar_string(i: &str) -> LResult<'_, Tok> {
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

/// Numbers: integer, decimal, real; a number followed by an identifier
/// character is "trailing junk", as in PostgreSQL 15.
fn number(i: &str) -> LResult<'_, Tok> {
    // `1..` is the integer 1 followed by `..` (decimalfail in scan.l).
    if let Ok((_, int)) = consumed(i, (digit1, tag(".."))) {
        let n = int.len() - 2;
        return Ok((&i[n..], Tok::Integer(i[..n].to_string())));
    }
    let (rest, mantissa) = alt((
        |i| consumed(i, (digit1, opt((chr('.'), digit0)))),
        |i| consumed(i, (chr('.'), digit1)),
    ))
    .parse(i)?;
    let decimal = mantissa.contains('.');
    let (rest, exp) =
        opt(|i| consumed(i, (one_of("eE"), opt(one_of("+-")), digit0))).parse(rest)?;
    let text_len = i.len() - rest.len();
    if let Some(e) = exp
        && !e.ends_with(|c: char| c.is_ascii_digit())
    {
        return failure(junk(i, text_len, "trailing junk after numeric literal"));
    }
    if rest.starts_with(is_ident_start) {
        return failure(junk(i, text_len, "trailing junk after numeric literal"));
    }
    let text = i[..text_len].to_string();
    let tok = if decimal || exp.is_some() {
        Tok::Decimal(text)
    } else {
        Tok::Integer(text)
    };
    Ok((rest, tok))
}

/// A "trailing junk" error whose text is the token plus the identifier
/// characters glued to it.
fn junk(i: &str, len: usize, message: &'static str) -> LexFail {
    let tail = i[len..]
        .find(|c: char| !is_ident_cont(c))
        .unwrap_or(i.len() - len);
    LexFail::AtToken {
        message,
        end: Some(len + tail),
    }
}

/// `$n`.
fn param(i: &str) -> LResult<'_, Tok> {
    let (rest, digits) = nom::sequence::preceded(chr('$'), digit1).parse(i)?;
    if rest.starts_with(is_ident_start) {
        return failure(junk(
            i,
            i.len() - rest.len(),
            "trailing junk after parameter",
        ));
    }
    // PostgreSQL wraps absurd numbers; saturating keeps "no parameter $N" sane.
    let n = digits.parse::<u32>().unwrap_or(u32::MAX);
    Ok((rest, Tok::Param(n)))
}

/// `@SEQ:n`, the commit-sequence time point.
fn seq_point(i: &str) -> LResult<'_, Tok> {
    let (rest, _) = (chr('@'), tag_no_case("seq")).parse(i)?;
    if rest.starts_with(is_ident_cont) {
        return Err(NomErr::Error(LexFail::NoMatch));
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let Some(rest) = rest.strip_prefix(':').filter(|r| !r.starts_with(':')) else {
        return Err(NomErr::Error(LexFail::NoMatch));
    };
    let (rest, digits) = digit1(rest.trim_start_matches([' ', '\t']))?;
    match digits.parse::<u64>() {
        Ok(n) => Ok((rest, Tok::Seq(n))),
        Err(_) => failure(LexFail::At {
            offset: 0,
            code: SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            message: format!("commit sequence number {digits} is out of range"),
        }),
    }
}

/// An unquoted identifier or keyword.
fn word(i: &str) -> LResult<'_, Tok> {
    let (rest, w) = consumed(
        i,
        (
            take_while1(|c: char| is_ident_start(c)),
            take_while(is_ident_cont),
        ),
    )?;
    Ok((rest, Tok::Word(truncate_ident(w.to_ascii_lowercase()))))
}

/// Cuts an identifier to 63 bytes on a character boundary, as PostgreSQL does.
fn truncate_ident(mut s: String) -> String {
    if s.len() > MAX_IDENT_BYTES {
        let mut n = MAX_IDENT_BYTES;
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s.truncate(n);
    }
    s
}

/// `( ) [ ] , ; : :: := . ..`
fn punctuation(i: &str) -> LResult<'_, Tok> {
    alt((
        tag("::").map(|_| Tok::DoubleColon),
        tag(":=").map(|_| Tok::ColonEquals),
        tag("..").map(|_| Tok::DotDot),
        chr('(').map(|_| Tok::LParen),
        chr(')').map(|_| Tok::RParen),
        chr('[').map(|_| Tok::LBracket),
        chr(']').map(|_| Tok::RBracket),
        chr(',').map(|_| Tok::Comma),
        chr(';').map(|_| Tok::Semicolon),
        chr(':').map(|_| Tok::Colon),
        chr('.').map(|_| Tok::Dot),
    ))
    .parse(i)
}

/// An operator, following scan.l's rules (see the module docs).
fn operator(i: &str) -> LResult<'_, Tok> {
    let (_, run) = take_while1(is_op_char).parse(i)?;
    let mut len = run.len();
    // A comment start ends the operator.
    for pat in ["/*", "--"] {
        if let Some(n) = run[1..].find(pat) {
            len = len.min(n + 1);
        }
    }
    if run.starts_with("/*") || run.starts_with("--") {
        return Err(NomErr::Error(LexFail::NoMatch));
    }
    let mut op = &run[..len];
    if op.len() > 1 && !op.contains(|c: char| "~!@#^&|`?%".contains(c)) {
        while op.len() > 1 && op.ends_with(['+', '-']) {
            op = &op[..op.len() - 1];
        }
    }
    let rest = &i[op.len()..];
    let tok = match op {
        "!=" => Tok::Op("<>".into()),
        "=>" => Tok::EqualsGreater,
        _ => Tok::Op(op.to_string()),
    };
    Ok((rest, tok))
}

/// Anything else is a one-character token the parser will reject.
fn other_char(i: &str) -> LResult<'_, Tok> {
    match i.chars().next() {
        Some(c) => Ok((&i[c.len_utf8()..], Tok::Other(c))),
        None => Err(NomErr::Error(LexFail::NoMatch)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let toks: Vec<Tok> = tokenize(s).into_iter().map(|t| t.tok).collect();
        assert_eq!(toks.last(), Some(&Tok::Eof), "{s}: {toks:?}");
        toks[..toks.len() - 1].to_vec()
    }

    fn err(s: &str) -> (String, Option<u32>, &'static str) {
        let last = tokenize(s).pop().expect("at least one token");
        let Tok::Error(e) = last.tok else {
            panic!("{s}: no lexical error");
        };
        let sql = e.as_sql().expect("sql error");
        (sql.message.clone(), sql.position, sql.code.code())
    }

    fn w(s: &str) -> Tok {
        Tok::Word(s.into())
    }

    fn op(s: &str) -> Tok {
        Tok::Op(s.into())
    }

    #[test]
    fn words_fold_and_quoted_keep_case() {
        assert_eq!(
            toks(r#"SELECT Foo "Bar" "a""b" x$1 é"#),
            vec![
                w("select"),
                w("foo"),
                Tok::QuotedIdent("Bar".into()),
                Tok::QuotedIdent("a\"b".into()),
                w("x$1"),
                w("é")
            ]
        );
    }

    #[test]
    fn long_identifiers_are_truncated() {
        let long = "a".repeat(70);
        assert_eq!(toks(&long), vec![w(&"a".repeat(63))]);
        let multibyte = "é".repeat(40); // 80 bytes: cut to 31 chars (62 bytes)
        assert_eq!(toks(&multibyte), vec![w(&"é".repeat(31))]);
    }

    #[test]
    fn strings() {
        assert_eq!(toks("'it''s'"), vec![Tok::Str("it's".into())]);
        assert_eq!(toks("'a'\n  'b'"), vec![Tok::Str("ab".into())]);
        assert_eq!(
            toks("'a' 'b'"),
            vec![Tok::Str("a".into()), Tok::Str("b".into())]
        );
        assert_eq!(toks(r"'a\n'"), vec![Tok::Str(r"a\n".into())]);
        assert_eq!(
            toks(r"E'a\n\t\\\'\101\x41\u00e9\U0001F600'"),
            vec![Tok::Str("a\n\t\\'AAé😀".into())]
        );
        assert_eq!(toks(r"e'\uD83D\uDE00'"), vec![Tok::Str("😀".into())]);
        assert_eq!(toks("N'x'"), vec![Tok::National, Tok::Str("x".into())]);
        assert_eq!(toks(r"U&'d\0061t\+000061'"), vec![Tok::Str("data".into())]);
        assert_eq!(toks("$$a'b$$"), vec![Tok::Str("a'b".into())]);
        assert_eq!(toks("$tag$a$$b$tag$"), vec![Tok::Str("a$$b".into())]);
        assert_eq!(toks("B'101' X'ff'"), vec![Tok::BitStr, Tok::BitStr]);
    }

    #[test]
    fn numbers() {
        assert_eq!(
            toks("42 1.5 .5 1. 1e10 1.5E-3 2e+2"),
            vec![
                Tok::Integer("42".into()),
                Tok::Decimal("1.5".into()),
                Tok::Decimal(".5".into()),
                Tok::Decimal("1.".into()),
                Tok::Decimal("1e10".into()),
                Tok::Decimal("1.5E-3".into()),
                Tok::Decimal("2e+2".into()),
            ]
        );
        assert_eq!(
            toks("1..2"),
            vec![
                Tok::Integer("1".into()),
                Tok::DotDot,
                Tok::Integer("2".into())
            ]
        );
        assert_eq!(
            toks("1.2.3"),
            vec![Tok::Decimal("1.2".into()), Tok::Decimal(".3".into())]
        );
    }

    #[test]
    fn operators_follow_scan_l() {
        assert_eq!(
            toks("a=-1"),
            vec![w("a"), op("="), op("-"), Tok::Integer("1".into())]
        );
        assert_eq!(toks("a != b"), vec![w("a"), op("<>"), w("b")]);
        assert_eq!(toks("a @- b"), vec![w("a"), op("@-"), w("b")]);
        assert_eq!(
            toks("a->>'k' || x::text"),
            vec![
                w("a"),
                op("->>"),
                Tok::Str("k".into()),
                op("||"),
                w("x"),
                Tok::DoubleColon,
                w("text")
            ]
        );
        assert_eq!(
            toks("1+--c\n2"),
            vec![Tok::Integer("1".into()), op("+"), Tok::Integer("2".into())]
        );
        assert_eq!(toks("*/*c*/"), vec![op("*")]);
        assert_eq!(toks("x => 1")[1], Tok::EqualsGreater);
    }

    #[test]
    fn comments_nest() {
        assert_eq!(toks("/* a /* b */ c */ x -- y\nz"), vec![w("x"), w("z")]);
        assert_eq!(toks("-- only a comment"), vec![]);
    }

    #[test]
    fn params_and_seq_points() {
        assert_eq!(toks("$1 $12"), vec![Tok::Param(1), Tok::Param(12)]);
        assert_eq!(toks("@SEQ:5 @seq : 7"), vec![Tok::Seq(5), Tok::Seq(7)]);
        assert_eq!(toks("@seq::int")[0], op("@"));
        assert_eq!(toks("@ x"), vec![op("@"), w("x")]);
    }

    #[test]
    fn positions_are_characters() {
        let t = tokenize("é, 'ü' x");
        let pos: Vec<u32> = t.iter().map(|t| t.pos).collect();
        assert_eq!(pos, vec![1, 2, 4, 8, 9]);
    }

    #[test]
    fn lexical_errors_match_postgres() {
        let cases: &[(&str, &str, u32)] = &[
            (
                "select 'abc",
                "unterminated quoted string at or near \"'abc\"",
                8,
            ),
            (
                "select E'abc",
                "unterminated quoted string at or near \"E'abc\"",
                8,
            ),
            (
                "select \"abc",
                "unterminated quoted identifier at or near \"\"abc\"",
                8,
            ),
            (
                "select \"\"",
                "zero-length delimited identifier at or near \"\"\"\"",
                8,
            ),
            (
                "select 1 + /* x ",
                "unterminated /* comment at or near \"/* x \"",
                12,
            ),
            (
                "select $$abc",
                "unterminated dollar-quoted string at or near \"$$abc\"",
                8,
            ),
            (
                "select b'101",
                "unterminated bit string literal at or near \"b'101\"",
                8,
            ),
            (
                "select 1e",
                "trailing junk after numeric literal at or near \"1e\"",
                8,
            ),
            (
                "select 1e+",
                "trailing junk after numeric literal at or near \"1e+\"",
                8,
            ),
            (
                "select 12abc",
                "trailing junk after numeric literal at or near \"12abc\"",
                8,
            ),
            (
                "select 0x1f",
                "trailing junk after numeric literal at or near \"0x1f\"",
                8,
            ),
            (
                "select 5.x",
                "trailing junk after numeric literal at or near \"5.x\"",
                8,
            ),
            (
                "select $1abc",
                "trailing junk after parameter at or near \"$1abc\"",
                8,
            ),
        ];
        for (sql, msg, pos) in cases {
            let (m, p, code) = err(sql);
            assert_eq!((m.as_str(), p, code), (*msg, Some(*pos), "42601"), "{sql}");
        }
        assert_eq!(
            err(r"select e'\u12'"),
            ("invalid Unicode escape".into(), Some(10), "22025")
        );
        let (m, p, code) = err(r"select e'\0'");
        assert_eq!(
            (m.as_str(), p, code),
            (
                "invalid byte sequence for encoding \"UTF8\": 0x00",
                None,
                "22021"
            )
        );
    }

    #[test]
    fn other_characters_become_tokens() {
        assert_eq!(toks("{ \\"), vec![Tok::Other('{'), Tok::Other('\\')]);
        assert_eq!(toks("$abc"), vec![Tok::Other('$'), w("abc")]);
    }
}
