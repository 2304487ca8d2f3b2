//! Queries: select lists and aliases, FROM items and joins, time travel,
//! WHERE/GROUP BY/HAVING, DISTINCT, ORDER BY/LIMIT/OFFSET/FETCH, set
//! operations with PostgreSQL's precedence, VALUES, WITH.

use super::super::ast::{
    Distinct, Expr, JoinConstraint, JoinKind, Literal, QueryBody, SelectItem, SetOperator,
    SystemTime, TableRef, TimePoint,
};
use super::super::test_print::show;
use super::{err, query, select};

/// The names of the select list's aliases (`-` for none).
fn aliases(sql: &str) -> Vec<String> {
    select(sql)
        .items
        .iter()
        .map(|i| match i {
            SelectItem::Expr { alias: Some(a), .. } => a.name.clone(),
            SelectItem::Expr { alias: None, .. } => "-".into(),
            SelectItem::Wildcard { .. } => "*".into(),
            SelectItem::QualifiedWildcard(n) => format!("{}.*", n.0[0].name),
        })
        .collect()
}

#[test]
fn select_list_aliases_follow_bare_label_rules() {
    assert_eq!(
        aliases("SELECT a, b AS c, d e, 1 \"Quoted\" FROM t"),
        ["-", "c", "e", "Quoted"]
    );
    // Non-reserved and most reserved keywords are bare labels...
    assert_eq!(
        aliases("SELECT 1 data, 2 AS year, 3 and, 4 desc"),
        ["data", "year", "and", "desc"]
    );
    assert_eq!(aliases("SELECT 1 and FROM t"), ["and"]);
    assert_eq!(
        aliases("SELECT 1 between, 2 is, 3 collate, 4 at"),
        ["between", "is", "collate", "at"]
    );
    // ...but `SELECT 1 year` needs AS.
    assert_eq!(
        err("select 1 year"),
        ("syntax error at or near \"year\"".into(), Some(10), "42601")
    );
    assert_eq!(aliases("SELECT *, t.*, s.t.* FROM t"), ["*", "t.*", "s.*"]);
    assert_eq!(aliases("SELECT a AS select"), ["select"]);
}

#[test]
fn select_without_from_and_empty_target_list() {
    let s = select("SELECT 1");
    assert!(s.from.is_empty());
    let s = select("SELECT FROM t");
    assert!(s.items.is_empty());
    assert_eq!(s.from.len(), 1);
    assert_eq!(
        err("select distinct"),
        ("syntax error at end of input".into(), Some(16), "42601")
    );
}

#[test]
fn where_group_having_distinct() {
    let s = select("SELECT DISTINCT a FROM t WHERE a > 1 GROUP BY a, 2 HAVING count(*) > 1");
    assert_eq!(s.distinct, Distinct::All);
    assert_eq!(show(s.selection.as_ref().expect("where")), "(a > 1)");
    assert_eq!(s.group_by.iter().map(show).collect::<Vec<_>>(), ["a", "2"]);
    assert_eq!(show(s.having.as_ref().expect("having")), "(count(*) > 1)");
    let s = select("SELECT DISTINCT ON (a, b) a FROM t");
    match s.distinct {
        Distinct::On(e) => assert_eq!(e.len(), 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(select("SELECT ALL a FROM t").distinct, Distinct::None);
}

#[test]
fn order_limit_offset_fetch() {
    let q =
        query("SELECT a FROM t ORDER BY 1, b DESC NULLS FIRST, c ASC NULLS LAST LIMIT 10 OFFSET 5");
    let o: Vec<_> = q
        .order_by
        .iter()
        .map(|o| (show(&o.expr), o.desc, o.nulls_first))
        .collect();
    assert_eq!(
        o,
        [
            ("1".into(), false, None),
            ("b".into(), true, Some(true)),
            ("c".into(), false, Some(false))
        ]
    );
    assert_eq!(q.limit.as_ref().map(show).as_deref(), Some("10"));
    assert_eq!(q.offset.as_ref().map(show).as_deref(), Some("5"));
    let q = query("SELECT a FROM t OFFSET 3 ROWS FETCH FIRST 2 ROWS ONLY");
    assert_eq!(
        (q.limit.as_ref().map(show), q.offset.as_ref().map(show)),
        (Some("2".into()), Some("3".into()))
    );
    let q = query("SELECT a FROM t FETCH NEXT ROW ONLY");
    assert_eq!(q.limit.as_ref().map(show).as_deref(), Some("1"));
    assert_eq!(query("SELECT a FROM t LIMIT ALL").limit, None);
    let q = query("SELECT a FROM t OFFSET 2 LIMIT 1");
    assert!(q.limit.is_some() && q.offset.is_some());
    assert!(query("SELECT * FROM t FOR UPDATE").locking);
    assert!(query("SELECT * FROM t FOR SHARE OF t NOWAIT").locking);
    assert_eq!(
        err("select 1 limit 1 limit 2"),
        (
            "syntax error at or near \"limit\"".into(),
            Some(18),
            "42601"
        )
    );
    assert_eq!(
        err("select 1 limit 1, 2"),
        (
            "LIMIT #,# syntax is not supported".into(),
            Some(10),
            "0A000"
        )
    );
}

#[test]
fn set_operations_follow_postgres_precedence() {
    // INTERSECT binds tighter; UNION and EXCEPT are left-associative.
    let q = query("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3 EXCEPT ALL SELECT 4");
    let QueryBody::SetOp { op, all, left, .. } = q.body else {
        panic!("not a set operation");
    };
    assert_eq!((op, all), (SetOperator::Except, true));
    let QueryBody::SetOp { op, right, .. } = *left else {
        panic!("left is not a set operation");
    };
    assert_eq!(op, SetOperator::Union);
    assert!(matches!(
        *right,
        QueryBody::SetOp {
            op: SetOperator::Intersect,
            all: false,
            ..
        }
    ));
    // ORDER BY applies to the whole set operation.
    let q = query("SELECT a FROM t UNION SELECT b FROM u ORDER BY 1 LIMIT 3");
    assert!(matches!(q.body, QueryBody::SetOp { .. }));
    assert_eq!(q.order_by.len(), 1);
    let q = query("SELECT 1 UNION DISTINCT SELECT 2");
    assert!(matches!(q.body, QueryBody::SetOp { all: false, .. }));
}

#[test]
fn parenthesized_queries() {
    // A parenthesized operand with its own ORDER BY/LIMIT stays nested.
    let q = query("(SELECT 1 ORDER BY 1 LIMIT 1) UNION ALL (SELECT 2)");
    let QueryBody::SetOp { left, right, .. } = q.body else {
        panic!("not a set op");
    };
    assert!(matches!(*left, QueryBody::Nested(_)));
    assert!(matches!(*right, QueryBody::Select(_)));
    // Clauses after parentheses merge into the query, as PostgreSQL does.
    let q = query("(SELECT a FROM t LIMIT 3) ORDER BY a DESC");
    assert!(matches!(q.body, QueryBody::Select(_)));
    assert!(q.limit.is_some() && q.order_by.len() == 1);
    assert_eq!(
        err("(select 1 order by 1) order by 1"),
        (
            "multiple ORDER BY clauses not allowed".into(),
            Some(32),
            "42601"
        )
    );
    assert!(matches!(query("((SELECT 1))").body, QueryBody::Select(_)));
}

#[test]
fn values_table_and_with() {
    let q = query("VALUES (1, 'a'), (2, DEFAULT)");
    let QueryBody::Values(rows) = q.body else {
        panic!("not VALUES");
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], Expr::Default);
    let s = select("TABLE t");
    assert!(matches!(s.items[..], [SelectItem::Wildcard { .. }]));
    let q = query("WITH x AS (SELECT 1 AS a), y (b) AS MATERIALIZED (SELECT 2) SELECT * FROM x, y");
    let with = q.with.expect("with");
    assert!(!with.recursive);
    assert_eq!(with.ctes.len(), 2);
    assert_eq!(with.ctes[1].columns[0].name, "b");
    let q = query(
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r",
    );
    assert!(q.with.expect("with").recursive);
    // `recursive` is also an ordinary CTE name.
    let q = query("WITH recursive AS (SELECT 1) SELECT * FROM recursive");
    let with = q.with.expect("with");
    assert!(!with.recursive && with.ctes[0].name.name == "recursive");
}

fn from(sql: &str) -> Vec<TableRef> {
    select(sql).from
}

#[test]
fn joins() {
    let f = from(
        "SELECT * FROM a JOIN b ON a.id = b.id LEFT JOIN c USING (id) RIGHT OUTER JOIN d ON TRUE FULL JOIN e ON FALSE CROSS JOIN f NATURAL JOIN g",
    );
    assert_eq!(f.len(), 1);
    // Left-deep: walk down the left spine collecting (kind, constraint kind).
    let mut kinds = Vec::new();
    let mut node = &f[0];
    while let TableRef::Join {
        left,
        kind,
        constraint,
        ..
    } = node
    {
        let c = match constraint {
            JoinConstraint::On(_) => "on",
            JoinConstraint::Using(_) => "using",
            JoinConstraint::Natural => "natural",
            JoinConstraint::None => "none",
        };
        kinds.push((*kind, c));
        node = left;
    }
    kinds.reverse();
    assert_eq!(
        kinds,
        [
            (JoinKind::Inner, "on"),
            (JoinKind::Left, "using"),
            (JoinKind::Right, "on"),
            (JoinKind::Full, "on"),
            (JoinKind::Cross, "none"),
            (JoinKind::Inner, "natural"),
        ]
    );
    // Comma joins are separate FROM items.
    assert_eq!(from("SELECT * FROM t1, t2 AS x, t3 y").len(), 3);
    // A join still waiting for its ON takes the following join as its right side.
    let f = from("SELECT * FROM a JOIN b JOIN c ON x ON y");
    let TableRef::Join {
        right, constraint, ..
    } = &f[0]
    else {
        panic!("not a join");
    };
    assert!(matches!(**right, TableRef::Join { .. }));
    assert!(matches!(constraint, JoinConstraint::On(e) if show(e) == "y"));
    assert!(matches!(
        from("SELECT * FROM ((a JOIN b ON TRUE))")[0],
        TableRef::Join { .. }
    ));
}

#[test]
fn subqueries_and_functions_in_from() {
    let f = from(
        "SELECT * FROM (SELECT 1) AS s (x), LATERAL (SELECT 2) l, generate_series(1, 10) AS g(i)",
    );
    match &f[0] {
        TableRef::Subquery { lateral, alias, .. } => {
            let alias = alias.as_ref().expect("alias");
            assert!(!lateral);
            assert_eq!((alias.name.name.as_str(), alias.columns.len()), ("s", 1));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&f[1], TableRef::Subquery { lateral: true, .. }));
    match &f[2] {
        TableRef::Function {
            name, args, alias, ..
        } => {
            assert_eq!(name.base().name, "generate_series");
            assert_eq!(args.len(), 2);
            assert_eq!(alias.as_ref().expect("alias").columns[0].name, "i");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err("select * from (select 1)"),
        (
            "subquery in FROM must have an alias".into(),
            Some(15),
            "42601"
        )
    );
}

/// The system-time clause and alias of the first FROM item.
fn time_travel(sql: &str) -> (Option<SystemTime>, Option<String>) {
    match from(sql).remove(0) {
        TableRef::Table {
            system_time, alias, ..
        } => (system_time, alias.map(|a| a.name.name)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn for_system_time_is_grammar_on_the_table_reference() {
    let (st, alias) = time_travel("SELECT * FROM orders FOR SYSTEM_TIME AS OF @SEQ:5 AS o");
    assert_eq!(
        (st, alias.as_deref()),
        (Some(SystemTime::AsOf(TimePoint::Seq(5))), Some("o"))
    );
    let (st, _) = time_travel("select * from orders for system_time as of @seq:7");
    assert_eq!(st, Some(SystemTime::AsOf(TimePoint::Seq(7))));
    let (st, alias) =
        time_travel("SELECT * FROM orders FOR SYSTEM_TIME AS OF '2026-01-15T10:00:00Z' o");
    match st {
        Some(SystemTime::AsOf(TimePoint::Expr(Expr::Literal(Literal::String(s))))) => {
            assert_eq!(s, "2026-01-15T10:00:00Z")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(alias.as_deref(), Some("o"));
    let (st, _) =
        time_travel("SELECT * FROM orders FOR SYSTEM_TIME AS OF TIMESTAMP '2026-01-15 10:00:00'");
    assert!(matches!(
        st,
        Some(SystemTime::AsOf(TimePoint::Expr(Expr::TypedString { .. })))
    ));
    let (st, alias) =
        time_travel("SELECT * FROM orders FOR SYSTEM_TIME AS OF now() - INTERVAL '1 hour' AS o");
    match st {
        Some(SystemTime::AsOf(TimePoint::Expr(e))) => {
            assert_eq!(show(&e), "(now() - interval '1 hour')")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(alias.as_deref(), Some("o"));
    let (st, _) = time_travel("SELECT * FROM orders FOR SYSTEM_TIME BETWEEN @SEQ:1 AND @SEQ:9");
    assert_eq!(
        st,
        Some(SystemTime::Between(TimePoint::Seq(1), TimePoint::Seq(9)))
    );
    let (st, alias) =
        time_travel("SELECT * FROM orders FOR SYSTEM_TIME FROM '2026-01-01' TO now() o");
    assert!(matches!(
        st,
        Some(SystemTime::FromTo(TimePoint::Expr(_), TimePoint::Expr(_)))
    ));
    assert_eq!(alias.as_deref(), Some("o"));
    let (st, _) = time_travel("SELECT * FROM orders FOR SYSTEM_TIME ALL");
    assert_eq!(st, Some(SystemTime::All));
    // The clause works inside joins and leaves FOR UPDATE alone.
    let f = from(
        "SELECT * FROM a FOR SYSTEM_TIME AS OF @SEQ:2 x JOIN b FOR SYSTEM_TIME ALL y ON x.id = y.id",
    );
    assert!(matches!(&f[0], TableRef::Join { .. }));
    assert!(query("SELECT * FROM t FOR UPDATE").locking);
    // SYSTEM_TIME pseudo-columns are ordinary names.
    assert_eq!(show(&super::expr("system_time_start")), "system_time_start");
    // The string "FOR SYSTEM_TIME" inside a literal is just a string.
    let (st, _) = time_travel("SELECT 'FOR SYSTEM_TIME AS OF @SEQ:1' FROM t");
    assert_eq!(st, None);
}

#[test]
fn keywords_as_identifiers() {
    // Non-reserved (and column-name) keywords are names, as in PostgreSQL.
    let s = select(
        "SELECT data, name, key, value, type, status, action, level, text, date, time, timestamp, year, month, comment, position FROM events",
    );
    assert_eq!(s.items.len(), 16);
    let s = select("SELECT t.from, t.select FROM t");
    assert_eq!(s.items.len(), 2);
    assert_eq!(
        err("select from from t"),
        ("syntax error at or near \"from\"".into(), Some(13), "42601")
    );
    assert_eq!(
        err("select * from table"),
        (
            "syntax error at or near \"table\"".into(),
            Some(15),
            "42601"
        )
    );
    assert_eq!(
        err("select left from t"),
        ("syntax error at or near \"from\"".into(), Some(13), "42601")
    );
    // Quoted identifiers are never keywords and keep their case.
    let s = select("SELECT \"select\", \"MixedCase\" FROM \"Table\"");
    match &s.from[0] {
        TableRef::Table { name, .. } => assert_eq!(name.base().name, "Table"),
        other => panic!("{other:?}"),
    }
}
