//! The parser never panics: random text, every truncation of real
//! statements, and hostile nesting all give `Ok` or an `Err`, never a crash.
//! Positions in errors always point inside the text (or just past it).

use super::super::parse;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces random statements are built from: tokens, broken tokens, odd characters.
const PIECES: &[&str] = &[
    "select",
    "from",
    "where",
    "(",
    ")",
    ",",
    ";",
    "'",
    "\"",
    "$$",
    "$1",
    "$",
    "@seq:",
    "@SEQ:3",
    "::",
    ":",
    ".",
    "..",
    "1",
    "1.5",
    ".5",
    "1e",
    "e'\\",
    "u&'",
    "b'",
    "--",
    "/*",
    "*/",
    "*",
    "+",
    "-",
    "||",
    "~~*",
    "!=",
    "<=",
    "=",
    "not",
    "is",
    "null",
    "in",
    "between",
    "and",
    "or",
    "like",
    "case",
    "when",
    "then",
    "end",
    "cast",
    "as",
    "array",
    "[",
    "]",
    "join",
    "on",
    "using",
    "for",
    "system_time",
    "of",
    "all",
    "with",
    "recursive",
    "union",
    "insert",
    "into",
    "values",
    "default",
    "update",
    "set",
    "delete",
    "create",
    "table",
    "index",
    "int",
    "varchar",
    "(10)",
    "timestamp",
    "with time zone",
    "interval",
    "'x'",
    "E'\\u12'",
    "x",
    "t",
    "\u{e9}",
    "\u{1F600}",
    "\0",
    "\t",
    "\n",
    " ",
    "{",
    "\\",
    "operator(",
    "pg_catalog.",
    "over",
    "filter",
    "order by",
    "limit",
    "copy",
    "stdin",
];

#[test]
fn random_token_soup_never_panics() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for _ in 0..20_000 {
        let n = 1 + rng.below(24);
        let text: String = (0..n)
            .map(|_| PIECES[rng.below(PIECES.len())])
            .collect::<Vec<_>>()
            .join(if rng.below(3) == 0 { "" } else { " " });
        check(&text);
    }
}

#[test]
fn random_characters_never_panic() {
    let mut rng = Rng(0xdead_beef_0bad_cafe);
    for _ in 0..20_000 {
        let n = rng.below(40);
        let text: String = (0..n)
            .map(|_| match rng.below(4) {
                0 => char::from_u32(rng.below(0x80) as u32).unwrap_or('?'),
                1 => char::from_u32(0x80 + rng.below(0x3000) as u32).unwrap_or('?'),
                _ => {
                    let set = b"()'\"$;:,.*+-<>=!~@#%^&|`?[]{}\\/ \n0123456789aeEnNuUxXbB";
                    set[rng.below(set.len())] as char
                }
            })
            .collect();
        check(&text);
    }
}

#[test]
fn every_truncation_of_real_statements_is_handled() {
    let statements = [
        "SELECT a, b AS c, count(DISTINCT x) FILTER (WHERE x > 0) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
        "SELECT * FROM orders FOR SYSTEM_TIME AS OF @SEQ:5 AS o LEFT JOIN items i USING (id) WHERE o.x BETWEEN 1 AND 2",
        "INSERT INTO t (a, b) VALUES (1, E'x\\ny'), (2, $$z$$) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING *",
        "CREATE TABLE t (id INT PRIMARY KEY, ts TIMESTAMP(3) WITH TIME ZONE DEFAULT now(), n NUMERIC(12, 2) NOT NULL)",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT CAST(n AS text)::varchar(5) FROM r",
        "UPDATE t SET (a, b) = (1, 2), c = CASE WHEN x IS NOT DISTINCT FROM y THEN 'a''b' ELSE U&'\\0061' END",
        "COPY t (a, b) TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ',', NULL '')",
        "SELECT c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default, ARRAY[[1, 2]], x[1] /* c */ -- d",
    ];
    for sql in statements {
        assert!(parse(sql).is_ok(), "{sql}");
        for (i, _) in sql.char_indices() {
            check(&sql[..i]);
            // Also with the rest dropped from the middle.
            check(&format!("{}{}", &sql[..i], &sql[(i + sql.len()) / 2..]));
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // Run on a thread with a 1 MiB stack, half of Rust's default for spawned threads.
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for depth in [100usize, 1_000, 100_000] {
                let parens = format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth));
                let minus = format!("SELECT {}1", "- ".repeat(depth));
                let not = format!("SELECT {}true", "NOT ".repeat(depth));
                let sub = format!("SELECT {}1{}", "(SELECT ".repeat(depth), ")".repeat(depth));
                let case = format!(
                    "SELECT {}1{}",
                    "CASE WHEN TRUE THEN ".repeat(depth),
                    " END".repeat(depth)
                );
                let array = format!("SELECT ARRAY{}1{}", "[".repeat(depth), "]".repeat(depth));
                let from = format!("SELECT * FROM {}t{}", "(".repeat(depth), ")".repeat(depth));
                let cast = format!("SELECT 1{}", "::int".repeat(depth));
                let chain = format!("SELECT 1{}", " + 1".repeat(depth));
                let or = format!("SELECT a{}", " OR a".repeat(depth));
                for sql in [parens, minus, not, sub, case, array, from, cast, chain, or] {
                    check(&sql);
                }
            }
        })
        .expect("spawn");
    handle.join().expect("no stack overflow or panic");
}

#[test]
fn moderate_nesting_still_parses() {
    for sql in [
        format!("SELECT {}1{}", "(".repeat(30), ")".repeat(30)),
        format!("SELECT {}1{}", "(SELECT ".repeat(12), ")".repeat(12)),
        format!("SELECT 1{}", " + 1".repeat(500)),
        format!("SELECT * FROM t WHERE a = 0{}", " OR a = 1".repeat(500)),
    ] {
        assert!(parse(&sql).is_ok(), "{}", &sql[..60]);
    }
}

/// Parses `text`; an error must carry a position inside the text or just past it.
fn check(text: &str) {
    if let Err(e) = parse(text) {
        let limit = text.chars().count() as u32 + 1;
        if let Some(p) = e.as_sql().and_then(|s| s.position) {
            assert!(
                (1..=limit).contains(&p),
                "position {p} outside 1..={limit} for {text:?}: {e}"
            );
        }
    }
}
