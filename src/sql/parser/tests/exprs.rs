//! Expressions: PostgreSQL's precedence table, every literal form, and the
//! special syntax forms, asserted through the fully parenthesized printer.

use super::super::ast::{BinaryOp, Expr, Literal, TypeName};
use super::{err, expr, shown};

fn check(cases: &[(&str, &str)]) {
    for (input, want) in cases {
        assert_eq!(shown(input), *want, "input: {input}");
    }
}

#[test]
fn arithmetic_precedence() {
    check(&[
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("8 / 4 % 3 * 2", "(((8 / 4) % 3) * 2)"),
        ("2 ^ 3 ^ 2", "((2 ^ 3) ^ 2)"),
        ("-2 ^ 2", "((-2) ^ 2)"),
        ("2 * -3", "(2 * (-3))"),
        ("- - 1", "(-(-1))"),
        ("+1", "(+1)"),
        ("1 + 2 * 3 ^ 4", "(1 + (2 * (3 ^ 4)))"),
        ("(1 + 2) * 3", "((1 + 2) * 3)"),
        ("a || b || c", "((a || b) || c)"),
        ("a || b + c", "(a || (b + c))"),
        ("1 + 2 || 'x'", "((1 + 2) || 'x')"),
        ("~ 1 + 2", "(~(1 + 2))"),
        ("5 & 3 | 2 # 1", "(((5 & 3) | 2) # 1)"),
        ("1 << 2 >> 1", "((1 << 2) >> 1)"),
    ]);
}

#[test]
fn boolean_and_comparison_precedence() {
    check(&[
        ("a OR b AND c", "(a OR (b AND c))"),
        ("a AND b OR c AND d", "((a AND b) OR (c AND d))"),
        ("NOT a AND b", "((NOT a) AND b)"),
        ("NOT a = b", "(NOT (a = b))"),
        ("NOT NOT a", "(NOT (NOT a))"),
        (
            "a = 1 AND b <> 2 OR c != 3",
            "(((a = 1) AND (b <> 2)) OR (c <> 3))",
        ),
        ("a < b + 1", "(a < (b + 1))"),
        ("a >= b AND a <= c", "((a >= b) AND (a <= c))"),
        ("a = b IS NULL", "((a = b) IS NULL)"),
        ("a IS NULL = TRUE", "((a IS NULL) = TRUE)"),
        ("NOT a IS NULL", "(NOT (a IS NULL))"),
        ("NULL IS NULL IS NULL", "((NULL IS NULL) IS NULL)"),
        ("a LIKE b || 'x'", "(a LIKE (b || 'x'))"),
        ("a = b LIKE c", "(a = (b LIKE c))"),
        ("1 IN (1) IN (TRUE)", "((1 IN (1)) IN (TRUE))"),
        ("a BETWEEN 1 AND 2 AND b", "((a BETWEEN 1 AND 2) AND b)"),
        (
            "a BETWEEN b + 1 AND c * 2",
            "(a BETWEEN (b + 1) AND (c * 2))",
        ),
        ("a ~ 'x' = TRUE", "((a ~ 'x') = TRUE)"),
        ("-x::int", "(-CAST(x AS int))"),
        ("a::text || b", "(CAST(a AS text) || b)"),
        ("x AT TIME ZONE 'UTC' + 1", "(timezone('UTC', x) + 1)"),
        ("a || b COLLATE \"C\"", "(a || (b COLLATE \"C\"))"),
    ]);
}

#[test]
fn non_associative_operators_fail_like_postgres() {
    assert_eq!(
        err("select 1 = 1 = true"),
        ("syntax error at or near \"=\"".into(), Some(14), "42601")
    );
    assert_eq!(
        err("select 1 < 2 = true"),
        ("syntax error at or near \"=\"".into(), Some(14), "42601")
    );
    assert_eq!(
        err("select 1 like 'a' like 'b'"),
        ("syntax error at or near \"like\"".into(), Some(19), "42601")
    );
    assert_eq!(
        err("select 1 between 0 and 2 between false and true"),
        (
            "syntax error at or near \"between\"".into(),
            Some(26),
            "42601"
        )
    );
}

#[test]
fn is_forms() {
    check(&[
        ("a IS NULL", "(a IS NULL)"),
        ("a ISNULL", "(a IS NULL)"),
        ("a NOTNULL", "(a IS NOT NULL)"),
        ("a IS NOT NULL", "(a IS NOT NULL)"),
        ("a IS TRUE", "(a IS TRUE)"),
        ("a IS NOT FALSE", "(a IS NOT FALSE)"),
        ("a IS UNKNOWN", "(a IS UNKNOWN)"),
        ("a IS DISTINCT FROM b + 1", "(a IS DISTINCT FROM (b + 1))"),
        ("a IS NOT DISTINCT FROM b", "(a IS NOT DISTINCT FROM b)"),
    ]);
}

#[test]
fn like_in_between_forms() {
    check(&[
        ("a LIKE 'x%'", "(a LIKE 'x%')"),
        ("a NOT LIKE 'x' ESCAPE '!'", "(a NOT LIKE 'x' ESCAPE '!')"),
        ("a ILIKE 'x'", "(a ILIKE 'x')"),
        ("a NOT ILIKE 'x'", "(a NOT ILIKE 'x')"),
        ("a ~~ 'x'", "(a LIKE 'x')"),
        ("a ~~* 'x'", "(a ILIKE 'x')"),
        ("a !~~ 'x'", "(a NOT LIKE 'x')"),
        ("a !~~* 'x'", "(a NOT ILIKE 'x')"),
        ("a SIMILAR TO 'x'", "(a ~ similar_to_escape('x'))"),
        (
            "a NOT SIMILAR TO 'x' ESCAPE '#'",
            "(a !~ similar_to_escape('x', '#'))",
        ),
        ("a IN (1, 2, 3)", "(a IN (1, 2, 3))"),
        ("a NOT IN (1)", "(a NOT IN (1))"),
        ("a IN (SELECT b FROM t)", "(a IN (<query>))"),
        ("a NOT IN (SELECT 1)", "(a NOT IN (<query>))"),
        ("a BETWEEN 1 AND 2", "(a BETWEEN 1 AND 2)"),
        (
            "a NOT BETWEEN SYMMETRIC 2 AND 1",
            "(a NOT BETWEEN SYMMETRIC 2 AND 1)",
        ),
        ("a BETWEEN ASYMMETRIC 1 AND 2", "(a BETWEEN 1 AND 2)"),
    ]);
}

#[test]
fn any_all_and_subqueries() {
    check(&[
        ("a = ANY (ARRAY[1, 2])", "(a = ANY (ARRAY[1, 2]))"),
        ("a < ALL (SELECT b FROM t)", "(a < ALL ((<query>)))"),
        ("a = SOME ('{1,2}')", "(a = ANY ('{1,2}'))"),
        (
            "relkind = ANY (ARRAY[$1::VARCHAR, $2::VARCHAR])",
            "(relkind = ANY (ARRAY[CAST($1 AS varchar), CAST($2 AS varchar)]))",
        ),
        ("EXISTS (SELECT 1)", "EXISTS (<query>)"),
        ("NOT EXISTS (SELECT 1)", "NOT EXISTS (<query>)"),
        ("(SELECT max(a) FROM t) + 1", "((<query>) + 1)"),
        ("((SELECT 1) + 1)", "((<query>) + 1)"),
        ("((SELECT 1) UNION (SELECT 2))", "(<query>)"),
        ("ARRAY(SELECT 1)", "ARRAY(<query>)"),
    ]);
}

#[test]
fn literals() {
    let lit = |e: &str| match expr(e) {
        Expr::Literal(l) => l,
        other => panic!("{e}: {other:?}"),
    };
    assert_eq!(lit("42"), Literal::Integer("42".into()));
    assert_eq!(
        lit("12345678901234567890123"),
        Literal::Integer("12345678901234567890123".into())
    );
    assert_eq!(lit("1.50"), Literal::Decimal("1.50".into()));
    assert_eq!(lit(".5"), Literal::Decimal(".5".into()));
    assert_eq!(lit("1."), Literal::Decimal("1.".into()));
    assert_eq!(lit("1e10"), Literal::Decimal("1e10".into()));
    assert_eq!(lit("1.5E-3"), Literal::Decimal("1.5E-3".into()));
    assert_eq!(lit("'it''s'"), Literal::String("it's".into()));
    assert_eq!(lit("E'a\\nb\\x41'"), Literal::String("a\nbA".into()));
    assert_eq!(
        lit("$$dollar 'quoted'$$"),
        Literal::String("dollar 'quoted'".into())
    );
    assert_eq!(lit("$tag$x$$y$tag$"), Literal::String("x$$y".into()));
    assert_eq!(lit("U&'d\\0061ta'"), Literal::String("data".into()));
    assert_eq!(lit("'con'\n'cat'"), Literal::String("concat".into()));
    assert_eq!(lit("TRUE"), Literal::Bool(true));
    assert_eq!(lit("false"), Literal::Bool(false));
    assert_eq!(lit("NULL"), Literal::Null);
    assert_eq!(shown("-1"), "(-1)");
    assert!(matches!(expr("$3"), Expr::Parameter { index: 3, pos: 8 }));
    assert_eq!(shown("DEFAULT"), "DEFAULT");
}

#[test]
fn typed_literals_and_casts() {
    check(&[
        ("DATE '2024-01-02'", "date '2024-01-02'"),
        (
            "TIMESTAMP '2024-01-02 03:04:05'",
            "timestamp '2024-01-02 03:04:05'",
        ),
        (
            "timestamp(3) with time zone 'x'",
            "timestamp(3) with time zone 'x'",
        ),
        ("INTERVAL '1 day'", "interval '1 day'"),
        ("INTERVAL '1' DAY", "interval '1 day'"),
        ("INTERVAL '1-2' YEAR TO MONTH", "interval '1-2'"),
        ("int '5'", "int '5'"),
        ("double precision '1.5'", "double precision '1.5'"),
        ("text 'x'", "text 'x'"),
        ("timestamptz '2024-01-01'", "timestamptz '2024-01-01'"),
        ("pg_catalog.date '2024-01-01'", "date '2024-01-01'"),
        ("varchar(3) 'abc'", "varchar(3) 'abc'"),
        ("N'national'", "bpchar 'national'"),
        ("CAST(a AS integer)", "CAST(a AS integer)"),
        ("a::text", "CAST(a AS text)"),
        ("a::pg_catalog.regclass", "CAST(a AS regclass)"),
        ("'{}'::text[]", "CAST('{}' AS text[])"),
        ("a::varchar(10)", "CAST(a AS varchar(10))"),
        ("a::numeric(12, 2)", "CAST(a AS numeric(12, 2))"),
        (
            "a::timestamp with time zone",
            "CAST(a AS timestamp with time zone)",
        ),
        ("a::double precision", "CAST(a AS double precision)"),
        ("a::int::text", "CAST(CAST(a AS int) AS text)"),
        (
            "c.reloftype::pg_catalog.regtype::pg_catalog.text",
            "CAST(CAST(c.reloftype AS regtype) AS text)",
        ),
        ("NULL::\"char\"", "CAST(NULL AS char)"),
    ]);
    match expr("CAST(x AS character varying(5))") {
        Expr::Cast { ty, pos, .. } => {
            assert_eq!(
                ty,
                TypeName {
                    name: "character varying".into(),
                    modifiers: vec![5],
                    array: false
                }
            );
            assert_eq!(pos, 8);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn timestamp_is_still_a_column_name() {
    // A type keyword not followed by a string is a column, as in PostgreSQL.
    check(&[
        ("timestamp", "timestamp"),
        ("interval + 1", "(interval + 1)"),
    ]);
}

#[test]
fn keyword_functions() {
    check(&[
        ("CURRENT_TIMESTAMP", "current_timestamp()"),
        ("current_timestamp(3)", "current_timestamp()"),
        ("CURRENT_DATE", "current_date()"),
        ("LOCALTIMESTAMP", "localtimestamp()"),
        ("CURRENT_USER", "current_user()"),
        ("SESSION_USER", "session_user()"),
        ("USER", "user()"),
        ("CURRENT_SCHEMA", "current_schema()"),
        ("current_schema()", "current_schema()"),
        ("CURRENT_CATALOG", "current_catalog()"),
    ]);
}

#[test]
fn special_syntax_functions() {
    check(&[
        ("EXTRACT(YEAR FROM t)", "extract('year', t)"),
        ("extract('epoch' from t)", "extract('epoch', t)"),
        ("extract(dow from t)", "extract('dow', t)"),
        ("SUBSTRING(s FROM 2 FOR 3)", "substring(s, 2, 3)"),
        ("substring(s from 2)", "substring(s, 2)"),
        ("substring(s for 2)", "substring(s, 1, 2)"),
        ("substring(s for 2 from 3)", "substring(s, 3, 2)"),
        ("substring(s, 1, 2)", "substring(s, 1, 2)"),
        ("POSITION('a' IN s)", "position(s, 'a')"),
        (
            "substring(s similar 'a' escape '#')",
            "substring(s, 'a', '#')",
        ),
        (
            "overlay(s placing 'x' from 2 for 1)",
            "overlay(s, 'x', 2, 1)",
        ),
        ("TRIM(BOTH 'x' FROM s)", "btrim(s, 'x')"),
        ("trim(leading from s)", "ltrim(s)"),
        ("trim(trailing 'y' from s)", "rtrim(s, 'y')"),
        ("trim(s)", "btrim(s)"),
        ("COALESCE(a, b, 0)", "coalesce(a, b, 0)"),
        ("NULLIF(a, 0)", "nullif(a, 0)"),
        ("GREATEST(1, 2)", "greatest(1, 2)"),
        ("LEAST(1, 2)", "least(1, 2)"),
        ("@ -5", "abs((-5))"),
        ("|/ 16", "sqrt(16)"),
    ]);
}

#[test]
fn function_calls() {
    check(&[
        ("count(*)", "count(*)"),
        ("count(t.*)", "count(t.*)"),
        ("row_to_json(s.t.*)", "row_to_json(s.t.*)"),
        ("count(DISTINCT x)", "count(DISTINCT x)"),
        ("count(ALL x)", "count(x)"),
        ("now()", "now()"),
        ("pg_catalog.version()", "pg_catalog.version()"),
        (
            "sum(x) FILTER (WHERE x > 0)",
            "sum(x) FILTER (WHERE (x > 0))",
        ),
        (
            "string_agg(a, ',' ORDER BY b DESC)",
            "string_agg(a, ',' ORDER BY b DESC)",
        ),
        (
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY x)",
            "percentile_cont(0.5 ORDER BY x)",
        ),
        (
            "row_number() OVER (PARTITION BY a ORDER BY b)",
            "row_number() OVER (PARTITION BY a ORDER BY b)",
        ),
        ("rank() OVER ()", "rank() OVER ()"),
        (
            "sum(x) OVER (ORDER BY y ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
            "sum(x) OVER (ORDER BY y ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
        ),
        (
            "sum(x) OVER (RANGE UNBOUNDED PRECEDING)",
            "sum(x) OVER (RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
        ),
        ("left('abc', 2)", "left('abc', 2)"),
        ("\"MyFunc\"(1)", "\"MyFunc\"(1)"),
    ]);
}

#[test]
fn case_array_row_subscript_collate() {
    check(&[
        (
            "CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END",
            "CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END",
        ),
        ("CASE x WHEN 1 THEN 'a' END", "CASE x WHEN 1 THEN 'a' END"),
        ("ARRAY[1, 2, 3]", "ARRAY[1, 2, 3]"),
        ("ARRAY[[1, 2], [3, 4]]", "ARRAY[ARRAY[1, 2], ARRAY[3, 4]]"),
        ("ARRAY[]::int[]", "CAST(ARRAY[] AS int[])"),
        ("a[1]", "a[1]"),
        ("a[1][2]", "a[1][2]"),
        ("$1[1]", "$1[1]"),
        (
            "(current_schemas(false))[s.r]",
            "current_schemas(FALSE)[s.r]",
        ),
        ("ROW(1, 2)", "ROW(1, 2)"),
        ("ROW()", "ROW()"),
        ("(1, 'a')", "ROW(1, 'a')"),
        ("a COLLATE \"C\"", "(a COLLATE \"C\")"),
        (
            "a COLLATE pg_catalog.default",
            "(a COLLATE pg_catalog.default)",
        ),
    ]);
}

#[test]
fn qualified_operator_is_the_plain_operator() {
    check(&[
        (
            "c.relname OPERATOR(pg_catalog.~) '^(t)$'",
            "(c.relname ~ '^(t)$')",
        ),
        ("a OPERATOR(=) b", "(a = b)"),
        // OPERATOR() takes the precedence of a generic operator, as in PostgreSQL.
        ("a OPERATOR(pg_catalog.=) b + 1", "(a = (b + 1))"),
        ("a OPERATOR(pg_catalog.*) b + 1", "(a * (b + 1))"),
    ]);
    match expr("c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default") {
        Expr::Binary {
            op: BinaryOp::RegexMatch,
            right,
            ..
        } => assert!(matches!(*right, Expr::Collate { .. })),
        other => panic!("{other:?}"),
    }
}

#[test]
fn json_and_containment_operators() {
    check(&[
        ("j -> 'k' ->> 'l'", "((j -> 'k') ->> 'l')"),
        ("a @> b AND a <@ c", "((a @> b) AND (a <@ c))"),
        ("a !~* 'y'", "(a !~* 'y')"),
        ("a ~* 'y'", "(a ~* 'y')"),
        ("a !~ 'y'", "(a !~ 'y')"),
    ]);
}

#[test]
fn unknown_operators_fail_after_the_whole_statement_parses() {
    assert_eq!(
        err("select 1 ^^ 2"),
        ("operator does not exist: ^^".into(), Some(10), "42883")
    );
    assert_eq!(
        err("select ?? 1"),
        ("operator does not exist: ??".into(), Some(8), "42883")
    );
    // A syntax error later in the statement wins, as in PostgreSQL.
    assert_eq!(
        err("select 1 ^^ 2 from"),
        ("syntax error at end of input".into(), Some(19), "42601")
    );
    // `=`, `*`... are never prefix operators.
    assert_eq!(
        err("select = 1"),
        ("syntax error at or near \"=\"".into(), Some(8), "42601")
    );
}

#[test]
fn positions_are_recorded() {
    match expr("a  +  b") {
        Expr::Binary { pos, left, .. } => {
            assert_eq!(pos, 11);
            match *left {
                Expr::Column(n) => assert_eq!(n.0[0].pos, 8),
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    match expr("'é' || zé") {
        Expr::Binary { pos, right, .. } => {
            assert_eq!(pos, 12, "character, not byte, positions");
            match *right {
                Expr::Column(n) => assert_eq!((n.0[0].name.as_str(), n.0[0].pos), ("zé", 15)),
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
}
