//! `json` input validation: PostgreSQL's JSON grammar (RFC 8259 plus its
//! lexer's notion of a token), with its error details. The text is kept as
//! given; this only says whether it is JSON.
//!
//! The parser is iterative (an explicit stack of open containers), so deep
//! nesting cannot overflow the thread's stack.

use crate::error::{Error, Result, SqlState};

/// A token of JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    ObjOpen,
    ObjClose,
    ArrOpen,
    ArrClose,
    Comma,
    Colon,
    String,
    /// A number, `true`, `false` or `null`.
    Scalar,
    End,
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    /// Where the current token started, for messages.
    start: usize,
}

fn valid_number(w: &[u8]) -> bool {
    let mut i = usize::from(w.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < w.len() && w[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && w[int_start] == b'0') {
        return false;
    }
    if i < w.len() && w[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if i < w.len() && (w[i] == b'e' || w[i] == b'E') {
        i += 1;
        if i < w.len() && (w[i] == b'+' || w[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == w.len()
}

impl Lexer<'_> {
    fn token_text(&self) -> String {
        let end = self.i.max(self.start + 1).min(self.s.len());
        String::from_utf8_lossy(&self.s[self.start..end]).into_owned()
    }

    fn next(&mut self) -> Result<Tok> {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
        self.start = self.i;
        let Some(&c) = self.s.get(self.i) else {
            return Ok(Tok::End);
        };
        self.i += 1;
        Ok(match c {
            b'{' => Tok::ObjOpen,
            b'}' => Tok::ObjClose,
            b'[' => Tok::ArrOpen,
            b']' => Tok::ArrClose,
            b',' => Tok::Comma,
            b':' => Tok::Colon,
            b'"' => return self.string(),
            _ => return self.word(c),
        })
    }

    /// A number, `true`/`false`/`null`, or an invalid token. As in
    /// PostgreSQL's lexer, a token runs over "alphanumeric" characters
    /// (letters, digits, `_`, `$`, non-ASCII); numbers may also hold `-+.`.
    fn word(&mut self, first: u8) -> Result<Tok> {
        let alnum = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        let numeric = first == b'-' || first.is_ascii_digit();
        if !numeric && !alnum(first) {
            return Err(detail(format!(
                "Token \"{}\" is invalid.",
                self.token_text()
            )));
        }
        while let Some(&b) = self.s.get(self.i) {
            let more = alnum(b) || (numeric && matches!(b, b'.' | b'+' | b'-'));
            if !more {
                break;
            }
            self.i += 1;
        }
        let word = &self.s[self.start..self.i];
        if matches!(word, b"true" | b"false" | b"null") || (numeric && valid_number(word)) {
            Ok(Tok::Scalar)
        } else {
            Err(detail(format!(
                "Token \"{}\" is invalid.",
                self.token_text()
            )))
        }
    }

    fn string(&mut self) -> Result<Tok> {
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(detail(format!(
                    "Token \"{}\" is invalid.",
                    self.token_text()
                )));
            };
            self.i += 1;
            match c {
                b'"' => return Ok(Tok::String),
                b'\\' => self.escape()?,
                c if c < 0x20 => {
                    return Err(detail(format!(
                        "Character with value 0x{c:02x} must be escaped."
                    )));
                }
                _ => {}
            }
        }
    }

    fn escape(&mut self) -> Result<()> {
        let Some(&e) = self.s.get(self.i) else {
            return Err(detail("The input string ended unexpectedly.".into()));
        };
        self.i += 1;
        match e {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => {
                let hex = self.s.get(self.i..self.i + 4);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return Err(detail(
                        "\"\\u\" must be followed by four hexadecimal digits.".into(),
                    ));
                }
                self.i += 4;
                Ok(())
            }
            _ => {
                let ch = String::from_utf8_lossy(&self.s[self.i - 1..self.i]).into_owned();
                Err(detail(format!("Escape sequence \"\\{ch}\" is invalid.")))
            }
        }
    }
}

/// 22P02 `invalid input syntax for type json` with a DETAIL.
fn detail(d: String) -> Error {
    Error::sql(
        SqlState::INVALID_TEXT_REPRESENTATION,
        "invalid input syntax for type json",
    )
    .with_detail(d)
}

/// An open container.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Array,
    Object,
}

fn found(lx: &Lexer, tok: Tok, what: &str) -> Error {
    if tok == Tok::End {
        detail("The input string ended unexpectedly.".into())
    } else {
        detail(format!("{what}, but found \"{}\".", lx.token_text()))
    }
}

/// After `{` or `,` in an object: a key string and a colon.
fn key_and_colon(lx: &mut Lexer, tok: Tok, what: &str) -> Result<()> {
    if tok != Tok::String {
        return Err(found(lx, tok, what));
    }
    let colon = lx.next()?;
    if colon != Tok::Colon {
        return Err(found(lx, colon, "Expected \":\""));
    }
    Ok(())
}

/// Checks that `s` is one JSON value (with surrounding whitespace).
pub fn validate(s: &str) -> Result<()> {
    let mut lx = Lexer {
        s: s.as_bytes(),
        i: 0,
        start: 0,
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut tok = lx.next()?;
    'value: loop {
        // `tok` starts a value.
        match tok {
            Tok::String | Tok::Scalar => {}
            Tok::ArrOpen => {
                tok = lx.next()?;
                if tok != Tok::ArrClose {
                    stack.push(Open::Array);
                    continue 'value;
                }
            }
            Tok::ObjOpen => {
                tok = lx.next()?;
                if tok != Tok::ObjClose {
                    key_and_colon(&mut lx, tok, "Expected string or \"}\"")?;
                    stack.push(Open::Object);
                    tok = lx.next()?;
                    continue 'value;
                }
            }
            _ => return Err(found(&lx, tok, "Expected JSON value")),
        }
        // A value is complete: close containers until one wants more.
        loop {
            let next = lx.next()?;
            match (stack.last(), next) {
                (None, Tok::End) => return Ok(()),
                (None, _) => return Err(found(&lx, next, "Expected end of input")),
                (Some(Open::Array), Tok::Comma) => {
                    tok = lx.next()?;
                    continue 'value;
                }
                (Some(Open::Object), Tok::Comma) => {
                    let key = lx.next()?;
                    key_and_colon(&mut lx, key, "Expected string")?;
                    tok = lx.next()?;
                    continue 'value;
                }
                (Some(Open::Array), Tok::ArrClose) | (Some(Open::Object), Tok::ObjClose) => {
                    stack.pop();
                }
                (Some(Open::Array), _) => {
                    return Err(found(&lx, next, "Expected \",\" or \"]\""));
                }
                (Some(Open::Object), _) => {
                    return Err(found(&lx, next, "Expected \",\" or \"}\""));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail_of(s: &str) -> String {
        let e = validate(s).unwrap_err();
        assert_eq!(e.message(), "invalid input syntax for type json");
        e.as_sql().unwrap().detail.clone().unwrap()
    }

    #[test]
    fn valid_json() {
        for s in [
            r#"{"a": [1, 2.5e3, true, null, "x\u00e9"]}"#,
            " 1 ",
            r#""\ud800""#,
            "[]",
            "{}",
            "[[],{}]",
            r#"{"a":{"b":[1,{"c":null}]},"d":-0.5E-3}"#,
            "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        ] {
            assert!(validate(s).is_ok(), "{s}");
        }
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(validate(&deep).is_ok());
    }

    /// DETAILs as PostgreSQL 15 reports them.
    #[test]
    fn errors_match_postgres() {
        assert_eq!(detail_of("{a:1}"), "Token \"a\" is invalid.");
        assert_eq!(detail_of("[1,"), "The input string ended unexpectedly.");
        assert_eq!(detail_of("01"), "Token \"01\" is invalid.");
        assert_eq!(detail_of(""), "The input string ended unexpectedly.");
        assert_eq!(
            detail_of("[1 2]"),
            "Expected \",\" or \"]\", but found \"2\"."
        );
        assert_eq!(detail_of("{\"a\" 1}"), "Expected \":\", but found \"1\".");
        assert_eq!(detail_of("1 2"), "Expected end of input, but found \"2\".");
        assert_eq!(detail_of("[,]"), "Expected JSON value, but found \",\".");
        assert_eq!(detail_of("[1,]"), "Expected JSON value, but found \"]\".");
        assert_eq!(
            detail_of("{\"a\":}"),
            "Expected JSON value, but found \"}\"."
        );
        assert_eq!(
            detail_of("{\"a\":1 \"b\"}"),
            "Expected \",\" or \"}\", but found \"\"b\"\"."
        );
        assert_eq!(detail_of("{\"a\""), "The input string ended unexpectedly.");
        assert_eq!(detail_of("tru"), "Token \"tru\" is invalid.");
        assert_eq!(detail_of("-"), "Token \"-\" is invalid.");
        assert_eq!(detail_of("1."), "Token \"1.\" is invalid.");
        assert_eq!(detail_of(".5"), "Token \".\" is invalid.");
        assert_eq!(detail_of("1e"), "Token \"1e\" is invalid.");
        assert_eq!(detail_of("-01"), "Token \"-01\" is invalid.");
        assert_eq!(detail_of("\"abc"), "Token \"\"abc\" is invalid.");
        assert_eq!(detail_of("]"), "Expected JSON value, but found \"]\".");
        assert_eq!(
            detail_of("{,}"),
            "Expected string or \"}\", but found \",\"."
        );
        assert_eq!(detail_of("{\"a\":1,}"), "Expected string, but found \"}\".");
        assert_eq!(detail_of("\"\\x\""), "Escape sequence \"\\x\" is invalid.");
        assert_eq!(
            detail_of("\"a\nb\""),
            "Character with value 0x0a must be escaped."
        );
        assert_eq!(detail_of(":"), "Expected JSON value, but found \":\".");
        assert_eq!(
            detail_of("\"\\u12\""),
            "\"\\u\" must be followed by four hexadecimal digits."
        );
    }
}
