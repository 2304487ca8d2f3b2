//! Lexer tests: every token kind and PostgreSQL's lexical error messages.
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
