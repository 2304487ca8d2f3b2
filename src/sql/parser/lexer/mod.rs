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
//! `~ ! @ # ^ & | \` ? %` (so `a=-1` is `a = -1`); `!=` is `<>`.
//!
//! DriftDB adds one token, `@SEQ:N` (any case, optional spaces around the
//! colon), the commit-sequence point of `FOR SYSTEM_TIME AS OF @SEQ:N`.
//!
//! Every token carries its byte span (for "at or near" texts) and the 1-based
//! *character* position PostgreSQL reports. Lexical errors are reported the
//! way PostgreSQL reports them: `unterminated quoted string at or near "'abc"`
//! with the position of the token's first character. PostgreSQL's lexer runs
//! on demand, so a syntax error before a lexical one wins; here the text is
//! tokenized up front and a lexical error becomes a final [`Tok::Error`]
//! token, reported only if the parser gets that far.
//!
//! String-like tokens live in `strings.rs`; everything else is here.

use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::character::complete::{char as chr, digit0, digit1, one_of};
use nom::combinator::opt;
use nom::error::{ErrorKind, ParseError};
use nom::{Err as NomErr, IResult, Parser};

use super::keywords::{self, Category};
use crate::error::{Error, SqlState};

mod strings;

use strings::{
    dollar_string, national_prefix, prefixed_string, quoted_ident, quoted_string, unicode_ident,
};

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
    /// For a [`Tok::Word`]: its keyword category and whether it may be a
    /// bare column label (looked up once, here).
    pub keyword: (Category, bool),
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
                keyword: (Category::Unreserved, false),
            });
            return tokens;
        }
        match token(rest) {
            Ok((r, tok)) => {
                let end = text.len() - r.len();
                let pos = counter.pos(text, start);
                let keyword = match &tok {
                    Tok::Word(w) => keywords::lookup(w),
                    _ => (Category::Unreserved, false),
                };
                tokens.push(Token {
                    tok,
                    start,
                    end,
                    pos,
                    keyword,
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
        keyword: (Category::Unreserved, false),
    }
}

/// Turns byte offsets into 1-based character positions, moving forward only.
#[derive(Default)]
struct CharCounter {
    byte: usize,
    chars: u32,
    /// The text is ASCII: character positions are byte positions.
    ascii: Option<bool>,
}

impl CharCounter {
    fn pos(&mut self, text: &str, byte: usize) -> u32 {
        if *self.ascii.get_or_insert_with(|| text.is_ascii()) {
            return u32::try_from(byte).unwrap_or(u32::MAX).saturating_add(1);
        }
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

/// One token (trivia already skipped, input not empty), chosen by its first
/// characters so that only the matching token parsers run.
fn token(i: &str) -> LResult<'_, Tok> {
    let mut chars = i.chars();
    let (Some(c), next) = (chars.next(), chars.next()) else {
        return Err(NomErr::Error(LexFail::NoMatch));
    };
    match c {
        'n' | 'N' if next == Some('\'') => national_prefix(i),
        'e' | 'E' | 'b' | 'B' | 'x' | 'X' if next == Some('\'') => prefixed_string(i),
        'u' | 'U' if next == Some('&') => alt((prefixed_string, unicode_ident, word)).parse(i),
        c if is_ident_start(c) => word(i),
        '0'..='9' => number(i),
        '.' if next.is_some_and(|d| d.is_ascii_digit()) => number(i),
        '\'' => quoted_string(i),
        '"' => quoted_ident(i),
        '$' => alt((dollar_string, param, other_char)).parse(i),
        '@' => alt((seq_point, operator)).parse(i),
        '(' | ')' | '[' | ']' | ',' | ';' | ':' | '.' => punctuation(i),
        c if is_op_char(c) => operator(i),
        _ => other_char(i),
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
    let two = match i.get(..2) {
        Some("::") => Some(Tok::DoubleColon),
        Some(":=") => Some(Tok::ColonEquals),
        Some("..") => Some(Tok::DotDot),
        _ => None,
    };
    if let Some(tok) = two {
        return Ok((&i[2..], tok));
    }
    let tok = match i.as_bytes().first() {
        Some(b'(') => Tok::LParen,
        Some(b')') => Tok::RParen,
        Some(b'[') => Tok::LBracket,
        Some(b']') => Tok::RBracket,
        Some(b',') => Tok::Comma,
        Some(b';') => Tok::Semicolon,
        Some(b':') => Tok::Colon,
        Some(b'.') => Tok::Dot,
        _ => return Err(NomErr::Error(LexFail::NoMatch)),
    };
    Ok((&i[1..], tok))
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
mod tests;
