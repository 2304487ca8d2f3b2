//! Predicate pushdown and access-path selection.
//!
//! * A Filter directly above a Scan merges into the scan's filter.
//! * A Filter above an inner join splits into conjuncts; those over one
//!   side only move below the join, the rest join its condition.
//! * In a scan, key predicates choose its access path (primary key or a
//!   secondary index: [`super::access`]). The conjuncts stay in the filter:
//!   the access path only narrows what is read, it never decides the answer.
//! * Join conditions `left_expr = right_expr` become hash-join keys.

use crate::sql::optimizer::access::choose_access;
use crate::sql::planner::expr::{CmpOp, Expr};
use crate::sql::planner::plan::{JoinType, Node};

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
