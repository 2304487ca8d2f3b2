//! Constant folding: operators whose operands are all constants are
//! evaluated once at plan time. Function calls are left alone (they may
//! depend on the session or the clock), and so is anything whose evaluation
//! fails, so that errors surface when (and only if) the row is evaluated.

use crate::sql::executor::eval::eval_const;
use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::Node;
use crate::types::Value;

/// Folds every expression in a tree.
pub fn fold_node(node: Node) -> Node {
    map_exprs(node, &fold)
}

/// Folds one expression, bottom-up.
pub fn fold(e: Expr) -> Expr {
    let e = e
        .map_children(&mut |c| Ok(fold(c)))
        .expect("invariant: the folding closure never fails");
    match &e {
        Expr::And(a, b) => match (a.as_ref(), b.as_ref()) {
            (Expr::Const(Value::Bool(false), _), _) | (_, Expr::Const(Value::Bool(false), _)) => {
                return Expr::Const(Value::Bool(false), crate::types::DataType::Bool);
            }
            (Expr::Const(Value::Bool(true), _), x) | (x, Expr::Const(Value::Bool(true), _)) => {
                return x.clone();
            }
            _ => {}
        },
        Expr::Or(a, b) => match (a.as_ref(), b.as_ref()) {
            (Expr::Const(Value::Bool(true), _), _) | (_, Expr::Const(Value::Bool(true), _)) => {
                return Expr::Const(Value::Bool(true), crate::types::DataType::Bool);
            }
            (Expr::Const(Value::Bool(false), _), x) | (x, Expr::Const(Value::Bool(false), _)) => {
                return x.clone();
            }
            _ => {}
        },
        _ => {}
    }
    let foldable = matches!(
        e,
        Expr::Not(_)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Compare(..)
            | Expr::Arith(..)
            | Expr::Negate(..)
            | Expr::Concat(..)
            | Expr::IsNull(..)
            | Expr::IsBool { .. }
            | Expr::IsDistinct(..)
            | Expr::Cast(..)
            | Expr::InList { .. }
    );
    if depends_on_session(&e) {
        return e;
    }
    let mut all_const = true;
    e.for_each_child(&mut |c| all_const &= c.is_const());
    if foldable
        && all_const
        && let Ok(v) = eval_const(&e)
    {
        return Expr::Const(v, e.ty());
    }
    e
}

/// Casts and concatenations whose result depends on the session time zone
/// (date/time conversions, timestamptz text) are evaluated at run time, with
/// the session's settings, never folded.
fn depends_on_session(e: &Expr) -> bool {
    use crate::types::DataType::{Date, Timestamp, Timestamptz};
    let datetime = |t: crate::types::DataType| matches!(t, Date | Timestamp | Timestamptz);
    match e {
        Expr::Cast(inner, to) => datetime(*to) || datetime(inner.ty()),
        Expr::Concat(a, b) => datetime(a.ty()) || datetime(b.ty()),
        _ => false,
    }
}

/// Applies `f` to every expression held directly by the nodes of a tree.
pub fn map_exprs(node: Node, f: &dyn Fn(Expr) -> Expr) -> Node {
    own_exprs(node, f).map_inputs(&mut |n| map_exprs(n, f))
}

/// Applies `f` to the expressions of this node only.
fn own_exprs(node: Node, f: &dyn Fn(Expr) -> Expr) -> Node {
    let all = |v: Vec<Expr>| v.into_iter().map(f).collect::<Vec<_>>();
    match node {
        Node::Scan(mut s) => {
            s.filter = s.filter.map(f);
            Node::Scan(s)
        }
        Node::Values { rows, width } => Node::Values {
            rows: rows.into_iter().map(all).collect(),
            width,
        },
        Node::Filter { input, predicate } => Node::Filter {
            input,
            predicate: f(predicate),
        },
        Node::Project { input, exprs } => Node::Project {
            input,
            exprs: all(exprs),
        },
        Node::ProjectSet { input, calls } => Node::ProjectSet {
            input,
            calls: calls
                .into_iter()
                .map(|mut c| {
                    c.args = all(c.args);
                    c
                })
                .collect(),
        },
        Node::Aggregate {
            input,
            group_by,
            aggregates,
        } => Node::Aggregate {
            input,
            group_by: all(group_by),
            aggregates,
        },
        Node::Join {
            left,
            right,
            kind,
            on,
            equi,
        } => Node::Join {
            left,
            right,
            kind,
            on: on.map(f),
            equi,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::planner::expr::CmpOp;
    use crate::types::DataType;
    use crate::types::ops::ArithOp;

    fn int(i: i32) -> Expr {
        Expr::Const(Value::Int4(i), DataType::Int4)
    }

    #[test]
    fn folds_constant_operators() {
        let e = Expr::Arith(
            ArithOp::Add,
            Box::new(int(1)),
            Box::new(int(2)),
            DataType::Int4,
        );
        assert_eq!(fold(e), int(3));
        let c = Expr::Compare(CmpOp::Lt, Box::new(int(1)), Box::new(int(2)));
        assert_eq!(fold(c), Expr::Const(Value::Bool(true), DataType::Bool));
    }

    #[test]
    fn keeps_failing_and_column_expressions() {
        let div = Expr::Arith(
            ArithOp::Div,
            Box::new(int(1)),
            Box::new(int(0)),
            DataType::Int4,
        );
        assert!(matches!(fold(div), Expr::Arith(..)));
        let col = Expr::Compare(
            CmpOp::Eq,
            Box::new(Expr::Column(0, DataType::Int4)),
            Box::new(int(1)),
        );
        assert!(matches!(fold(col), Expr::Compare(..)));
    }

    #[test]
    fn simplifies_boolean_connectives() {
        let col = Expr::Column(0, DataType::Bool);
        let t = Expr::Const(Value::Bool(true), DataType::Bool);
        let f = Expr::Const(Value::Bool(false), DataType::Bool);
        assert_eq!(fold(Expr::And(Box::new(t), Box::new(col.clone()))), col);
        assert_eq!(fold(Expr::And(Box::new(col), Box::new(f.clone()))), f);
    }
}
