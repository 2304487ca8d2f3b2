//! Access-path choice: which key wins, and what lookup it gets.

use std::sync::Arc;

use super::*;
use crate::sql::planner::plan::{KeyAccess, TimeSelect};
use crate::storage::IndexMeta;
use crate::types::{DataType, Value};

/// t (id int4 PRIMARY KEY, a int4, b int4, c text), indexes
/// t_a_idx (a), t_b_c_key UNIQUE (b, c), t_c_idx (c).
fn scan(filter: Vec<Expr>) -> Scan {
    let table = crate::sql::system::tests_support::table(
        16384,
        "t",
        vec![0],
        &[
            ("id", DataType::Int4),
            ("a", DataType::Int4),
            ("b", DataType::Int4),
            ("c", DataType::Text),
        ],
    );
    let index = |id, name: &str, columns: Vec<usize>, unique| IndexMeta {
        id,
        table: 16384,
        name: name.into(),
        columns,
        unique,
    };
    Scan {
        table,
        time: TimeSelect::Current,
        access: KeyAccess::Full,
        indexes: Arc::from(vec![
            index(16385, "t_a_idx", vec![1], false),
            index(16386, "t_b_c_key", vec![2, 3], true),
            index(16387, "t_c_idx", vec![3], false),
        ]),
        filter: Expr::and_all(filter),
        pseudo: false,
        id: 0,
    }
}

fn col(i: usize) -> Expr {
    let ty = if i == 3 {
        DataType::Text
    } else {
        DataType::Int4
    };
    Expr::Column(i, ty)
}

fn int(v: i32) -> Expr {
    Expr::Const(Value::Int4(v), DataType::Int4)
}

fn text(v: &str) -> Expr {
    Expr::Const(Value::Text(v.into()), DataType::Text)
}

fn cmp(op: CmpOp, a: Expr, b: Expr) -> Expr {
    Expr::Compare(op, Box::new(a), Box::new(b))
}

fn chosen(filter: Vec<Expr>) -> KeyAccess {
    let mut s = scan(filter);
    choose_access(&mut s);
    s.access
}

fn index_name(a: &KeyAccess) -> Option<&str> {
    match a {
        KeyAccess::Index { index, .. } => Some(&index.name),
        _ => None,
    }
}

#[test]
fn primary_key_point_wins() {
    let a = chosen(vec![
        cmp(CmpOp::Eq, col(1), int(1)),
        cmp(CmpOp::Eq, col(0), int(7)),
    ]);
    let KeyAccess::Primary(l) = a else {
        panic!("expected the primary key, got {a:?}")
    };
    assert_eq!(l.prefix, vec![vec![int(7)]]);
    assert_eq!(l.conds.len(), 1);
}

#[test]
fn equality_on_an_index_beats_a_key_range() {
    let a = chosen(vec![
        cmp(CmpOp::Gt, col(0), int(5)),
        cmp(CmpOp::Eq, col(1), int(1)),
    ]);
    assert_eq!(index_name(&a), Some("t_a_idx"));
}

#[test]
fn longest_prefix_wins_and_a_unique_point_beats_all() {
    // b = 1 AND c = 'x': the whole unique key (b, c).
    let a = chosen(vec![
        cmp(CmpOp::Eq, col(3), text("x")),
        cmp(CmpOp::Eq, col(1), int(2)),
        cmp(CmpOp::Eq, col(2), int(1)),
    ]);
    assert_eq!(index_name(&a), Some("t_b_c_key"));
    let KeyAccess::Index { lookup, .. } = a else {
        unreachable!()
    };
    assert_eq!(lookup.prefix, vec![vec![int(1)], vec![text("x")]]);
    // b = 1 alone: a prefix of one, like a = 2; the older index wins the tie.
    let a = chosen(vec![
        cmp(CmpOp::Eq, col(2), int(1)),
        cmp(CmpOp::Eq, col(1), int(2)),
    ]);
    assert_eq!(index_name(&a), Some("t_a_idx"));
}

#[test]
fn range_after_an_equality_prefix() {
    // 3 > c AND b = 1 AND c >= 'a'  (the value on the left is flipped)
    let a = chosen(vec![
        cmp(CmpOp::Gt, text("m"), col(3)),
        cmp(CmpOp::Eq, col(2), int(1)),
        cmp(CmpOp::GtEq, col(3), text("a")),
    ]);
    let KeyAccess::Index { index, lookup } = a else {
        panic!("expected an index")
    };
    assert_eq!(index.name, "t_b_c_key");
    assert_eq!(lookup.prefix, vec![vec![int(1)]]);
    assert_eq!(lookup.lower, Some((text("a"), true)));
    assert_eq!(lookup.upper, Some((text("m"), false)));
    assert_eq!(lookup.conds.len(), 3);
}

#[test]
fn in_lists_are_point_sets() {
    let list = Expr::InList {
        expr: Box::new(col(1)),
        list: vec![int(1), int(2), int(3)],
        negated: false,
    };
    let a = chosen(vec![list.clone()]);
    let KeyAccess::Index { lookup, .. } = &a else {
        panic!("expected an index, got {a:?}")
    };
    assert_eq!(lookup.prefix, vec![vec![int(1), int(2), int(3)]]);
    // NOT IN is no lookup.
    let not_in = Expr::InList {
        expr: Box::new(col(1)),
        list: vec![int(1)],
        negated: true,
    };
    assert_eq!(chosen(vec![not_in]), KeyAccess::Full);
    // A list that would expand past MAX_POINTS stops the prefix.
    let big = Expr::InList {
        expr: Box::new(col(0)),
        list: (0..(MAX_POINTS as i32 + 1)).map(int).collect(),
        negated: false,
    };
    assert_eq!(chosen(vec![big]), KeyAccess::Full);
}

#[test]
fn row_dependent_values_are_not_keys() {
    // a = b, a <> 1, a = (column of the row) are no lookups.
    assert_eq!(
        chosen(vec![cmp(CmpOp::Eq, col(1), col(2))]),
        KeyAccess::Full
    );
    assert_eq!(
        chosen(vec![cmp(CmpOp::NotEq, col(1), int(1))]),
        KeyAccess::Full
    );
    assert_eq!(chosen(vec![]), KeyAccess::Full);
}

#[test]
fn the_filter_keeps_every_conjunct() {
    let f = vec![
        cmp(CmpOp::Eq, col(1), int(1)),
        cmp(CmpOp::Gt, col(2), int(0)),
    ];
    let mut s = scan(f.clone());
    choose_access(&mut s);
    assert_eq!(s.filter, Expr::and_all(f));
    // Re-choosing after the filter changed starts over.
    s.filter = Some(cmp(CmpOp::Eq, col(3), text("z")));
    choose_access(&mut s);
    assert_eq!(index_name(&s.access), Some("t_c_idx"));
}
