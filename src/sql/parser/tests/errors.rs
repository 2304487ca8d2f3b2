//! Error messages and positions, checked against PostgreSQL 15: each case
//! below is what a PostgreSQL 15 server answered for the same text. (Texts
//! using DriftDB's own syntax, such as FOR SYSTEM_TIME, are tested elsewhere.)

use super::err;

/// (statement, message, 1-based character position, SQLSTATE) from PostgreSQL 15.
const POSTGRES_ERRORS: &[(&str, &str, u32, &str)] = &[
    ("selec 1", "syntax error at or near \"selec\"", 1, "42601"),
    (
        "select 1 from t where",
        "syntax error at end of input",
        22,
        "42601",
    ),
    ("select x X X", "syntax error at or near \"X\"", 12, "42601"),
    (
        "select 'abc",
        "unterminated quoted string at or near \"'abc\"",
        8,
        "42601",
    ),
    (
        "select \"abc",
        "unterminated quoted identifier at or near \"\"abc\"",
        8,
        "42601",
    ),
    (
        "select \"\"",
        "zero-length delimited identifier at or near \"\"\"\"",
        8,
        "42601",
    ),
    (
        "select 1 + /* x ",
        "unterminated /* comment at or near \"/* x \"",
        12,
        "42601",
    ),
    (
        "select $$abc",
        "unterminated dollar-quoted string at or near \"$$abc\"",
        8,
        "42601",
    ),
    (
        "select 1e",
        "trailing junk after numeric literal at or near \"1e\"",
        8,
        "42601",
    ),
    (
        "select 12abc",
        "trailing junk after numeric literal at or near \"12abc\"",
        8,
        "42601",
    ),
    (
        "select $1abc",
        "trailing junk after parameter at or near \"$1abc\"",
        8,
        "42601",
    ),
    ("select 1 +;", "syntax error at or near \";\"", 11, "42601"),
    (
        "select * from t where a = (select 1",
        "syntax error at end of input",
        36,
        "42601",
    ),
    (
        "insert into t values (1,",
        "syntax error at end of input",
        25,
        "42601",
    ),
    (
        "insert into t (a b) values (1)",
        "syntax error at or near \"b\"",
        18,
        "42601",
    ),
    (
        "create table t (id int primary key,)",
        "syntax error at or near \")\"",
        36,
        "42601",
    ),
    (
        "create table t (a int, b)",
        "syntax error at or near \")\"",
        25,
        "42601",
    ),
    (
        "update t set where a = 1",
        "syntax error at or near \"where\"",
        14,
        "42601",
    ),
    (
        "delete t where a = 1",
        "syntax error at or near \"t\"",
        8,
        "42601",
    ),
    (
        "select a, from t",
        "syntax error at or near \"from\"",
        11,
        "42601",
    ),
    (
        "select * from t order by",
        "syntax error at end of input",
        25,
        "42601",
    ),
    (
        "select * from t group a",
        "syntax error at or near \"a\"",
        23,
        "42601",
    ),
    (
        "select count(* from t",
        "syntax error at or near \"from\"",
        16,
        "42601",
    ),
    (
        "begin isolation level serializable read",
        "syntax error at end of input",
        40,
        "42601",
    ),
    (
        "copy t from stdin with (format",
        "syntax error at end of input",
        31,
        "42601",
    ),
    ("drop table", "syntax error at end of input", 11, "42601"),
    (
        "alter table t add",
        "syntax error at end of input",
        18,
        "42601",
    ),
    (
        "select 1 union",
        "syntax error at end of input",
        15,
        "42601",
    ),
    ("select (1, 2", "syntax error at end of input", 13, "42601"),
    (
        "select * from t join u",
        "syntax error at end of input",
        23,
        "42601",
    ),
    (
        "select * from t left join u on",
        "syntax error at end of input",
        31,
        "42601",
    ),
    (
        "select array[1, 2",
        "syntax error at end of input",
        18,
        "42601",
    ),
    (
        "select 1 from t limit",
        "syntax error at end of input",
        22,
        "42601",
    ),
    (
        "select 1.2.3",
        "syntax error at or near \".3\"",
        11,
        "42601",
    ),
    ("select 1..2", "syntax error at or near \"..\"", 9, "42601"),
    (
        "select 'a' 'b'",
        "syntax error at or near \"'b'\"",
        12,
        "42601",
    ),
    ("select {", "syntax error at or near \"{\"", 8, "42601"),
    ("select é é é", "syntax error at or near \"é\"", 12, "42601"),
    (
        "select 1; selec 2",
        "syntax error at or near \"selec\"",
        11,
        "42601",
    ),
    (
        "select 1 'abc' 2",
        "syntax error at or near \"'abc'\"",
        10,
        "42601",
    ),
    (
        "SELECT * FROM t WHERE x = 'it''s' AND y =",
        "syntax error at end of input",
        42,
        "42601",
    ),
    (
        "select from from t",
        "syntax error at or near \"from\"",
        13,
        "42601",
    ),
    (
        "select * from table",
        "syntax error at or near \"table\"",
        15,
        "42601",
    ),
    (
        "select left from t",
        "syntax error at or near \"from\"",
        13,
        "42601",
    ),
    (
        "select 1 = 1 = true",
        "syntax error at or near \"=\"",
        14,
        "42601",
    ),
    ("select e'\\u12'", "invalid Unicode escape", 10, "22025"),
    (
        "select $1, ::$2int",
        "syntax error at or near \"::\"",
        12,
        "42601",
    ),
];

#[test]
fn syntax_errors_match_postgres() {
    for (sql, message, pos, code) in POSTGRES_ERRORS {
        assert_eq!(err(sql), (message.to_string(), Some(*pos), *code), "{sql}");
    }
}
