//! Predicate pushdown and access-path selection.
//!
//! * A Filter directly above a Scan merges into the scan's filter.
//! * A Filter above an inner join splits into conjuncts; those over one
//!   side only move below the join, the rest join its condition.
//! * In a scan, conjuncts `pk = <row-independent>` covering the whole
//!   primary key become a point lookup, and range comparisons on a
//!   single-column key become a key range. The conjuncts stay in the filter:
//!   the access path only narrows what is read, it never decides the answer.
//! * Join conditions `left_expr = right_expr` become hash-join keys.

use crate::sql::planner::expr::{CmpOp, Expr};
use crate::sql::planner::plan::{JoinType, KeyAccess, Node, Scan};

/// Pushes filters down through a tree and picks access paths.
pub fn pushdown(node: Node) -> Node {
    match node {
        Node::Filter { input, predicate } => push_filter(pushdown(*input), predicate),
        Node::Scan(mut s) => {
            choose_access(&mut s);
            Node::Scan(s)
        }
        Node::Join {
            left,
            right,
            kind,
            on,
            ..
        } => make_join(pushdown(*left), pushdown(*right), kind, on),
        other => map_children(other),
    }
}

fn map_children(node: Node) -> Node {
    node.map_inputs(&mut pushdown)
}

/// Places `predicate` as low as it can go above/into `input`.
fn push_filter(input: Node, predicate: Expr) -> Node {
    match input {
        Node::Scan(mut s) => {
            s.filter = Expr::and_all(
                s.filter
                    .take()
                    .into_iter()
                    .chain([predicate])
                    .flat_map(Expr::conjuncts)
                    .collect(),
            );
            choose_access(&mut s);
            Node::Scan(s)
        }
        Node::Join {
            left,
            right,
            kind: JoinType::Inner,
            on,
            ..
        } => {
            let cond = Expr::and_all(
                on.into_iter()
                    .chain([predicate])
                    .flat_map(Expr::conjuncts)
                    .collect(),
            );
            make_join(*left, *right, JoinType::Inner, cond)
        }
        other => Node::Filter {
            input: Box::new(other),
            predicate,
        },
    }
}

/// Builds a join, moving single-side conjuncts of an inner join below it and
/// extracting hash keys.
fn make_join(left: Node, right: Node, kind: JoinType, on: Option<Expr>) -> Node {
    let nleft = left.width();
    let (mut left, mut right) = (left, right);
    let mut rest = Vec::new();
    for c in on.map(Expr::conjuncts).unwrap_or_default() {
        let side = sides(&c, nleft);
        match (kind, side) {
            (JoinType::Inner, Side::Left) => left = push_filter(left, c),
            (JoinType::Inner | JoinType::Left, Side::Right) => {
                right = push_filter(right, shift(c, nleft))
            }
            _ => rest.push(c),
        }
    }
    let mut equi = Vec::new();
    if matches!(kind, JoinType::Inner | JoinType::Left) {
        for c in &rest {
            if let Expr::Compare(CmpOp::Eq, a, b) = c {
                if !hashable_pair(a, b) {
                    continue;
                }
                match (sides(a, nleft), sides(b, nleft)) {
                    (Side::Left, Side::Right) => {
                        equi.push(((**a).clone(), shift((**b).clone(), nleft)))
                    }
                    (Side::Right, Side::Left) => {
                        equi.push(((**b).clone(), shift((**a).clone(), nleft)))
                    }
                    _ => {}
                }
            }
        }
    }
    Node::Join {
        left: Box::new(left),
        right: Box::new(right),
        kind,
        on: Expr::and_all(rest),
        equi,
    }
}

/// Hash keys compare by hashed value, so both sides must hash alike:
/// integers of any width (the executor widens them), or the same base type.
fn hashable_pair(a: &Expr, b: &Expr) -> bool {
    let (ta, tb) = (a.ty(), b.ty());
    (ta.is_integer() && tb.is_integer())
        || crate::sql::planner::coerce::base_type(ta) == crate::sql::planner::coerce::base_type(tb)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    /// Refers to no input column (but may not be movable: see `sides`).
    None,
    Left,
    Right,
    Both,
}

/// Which join input an expression reads. Subqueries and volatile calls are
/// `Both`, so they are never moved.
fn sides(e: &Expr, nleft: usize) -> Side {
    let mut side = Side::None;
    let mut visit = |s: Side| {
        side = match (side, s) {
            (Side::None, x) | (x, Side::None) => x,
            (a, b) if a == b => a,
            _ => Side::Both,
        }
    };
    collect_sides(e, nleft, &mut visit);
    side
}

fn collect_sides(e: &Expr, nleft: usize, visit: &mut dyn FnMut(Side)) {
    match e {
        Expr::Column(i, _) => visit(if *i < nleft { Side::Left } else { Side::Right }),
        Expr::Subquery(..) => visit(Side::Both),
        Expr::Call { func, .. } if func.volatile => visit(Side::Both),
        _ => {}
    }
    e.for_each_child(&mut |c| collect_sides(c, nleft, visit));
}

/// Re-bases column references of the right input (subtracts `by`).
fn shift(e: Expr, by: usize) -> Expr {
    match e {
        Expr::Column(i, t) => Expr::Column(i - by, t),
        e => e
            .map_children(&mut |c| Ok(shift(c, by)))
            .expect("invariant: shifting never fails"),
    }
}

/// Picks a primary-key point lookup (also for `pk IN (...)` on a
/// single-column key) or key range for a scan, from its filter.
pub fn choose_access(s: &mut Scan) {
    let Some(filter) = &s.filter else {
        return;
    };
    let pk = &s.table.schema.primary_key;
    if pk.is_empty() {
        return;
    }
    let conjuncts = filter.clone().conjuncts();
    let mut point: Vec<Option<Expr>> = vec![None; pk.len()];
    let mut in_list = None;
    let mut lower = None;
    let mut upper = None;
    for c in &conjuncts {
        if let Some((col, list)) = key_in_list(c) {
            if pk.len() == 1 && pk[0] == col {
                in_list = Some(list);
            }
            continue;
        }
        let Some((col, op, value)) = key_comparison(c) else {
            continue;
        };
        let Some(pos) = pk.iter().position(|&k| k == col) else {
            continue;
        };
        match op {
            CmpOp::Eq => point[pos] = Some(value),
            CmpOp::Gt | CmpOp::GtEq if pos == 0 && pk.len() == 1 => {
                lower = Some((value, op == CmpOp::GtEq))
            }
            CmpOp::Lt | CmpOp::LtEq if pos == 0 && pk.len() == 1 => {
                upper = Some((value, op == CmpOp::LtEq))
            }
            _ => {}
        }
    }
    if point.iter().all(Option::is_some) {
        s.access = KeyAccess::Points(vec![point.into_iter().flatten().collect()]);
    } else if let Some(list) = in_list {
        s.access = KeyAccess::Points(list.into_iter().map(|e| vec![e]).collect());
    } else if lower.is_some() || upper.is_some() {
        s.access = KeyAccess::Range { lower, upper };
    }
}

/// `column IN (row-independent values)`.
fn key_in_list(c: &Expr) -> Option<(usize, Vec<Expr>)> {
    let Expr::InList {
        expr,
        list,
        negated: false,
    } = c
    else {
        return None;
    };
    let Expr::Column(i, _) = expr.as_ref() else {
        return None;
    };
    list.iter()
        .all(|v| v.is_row_independent() && !has_subquery(v))
        .then(|| (*i, list.clone()))
}

/// `column op value` (either way round) with a row-independent value.
fn key_comparison(c: &Expr) -> Option<(usize, CmpOp, Expr)> {
    let Expr::Compare(op, a, b) = c else {
        return None;
    };
    match (a.as_ref(), b.as_ref()) {
        (Expr::Column(i, _), v) if v.is_row_independent() && !has_subquery(v) => {
            Some((*i, *op, v.clone()))
        }
        (v, Expr::Column(i, _)) if v.is_row_independent() && !has_subquery(v) => {
            Some((*i, op.flip(), v.clone()))
        }
        _ => None,
    }
}

fn has_subquery(e: &Expr) -> bool {
    e.any(&|x| matches!(x, Expr::Subquery(..)))
}
