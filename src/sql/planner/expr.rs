//! Bound expressions: what the binder makes of `ast::Expr`.
//!
//! Names are resolved to column positions in the input row, every node's
//! type is known, untyped literals have been coerced to the type their
//! context wants, and functions are resolved to their implementation. The
//! executor evaluates these trees (see `executor::eval`).

use std::sync::Arc;

use crate::error::Result;
use crate::sql::functions::ScalarFunction;
use crate::sql::planner::plan::Node;
use crate::types::ops::ArithOp;
use crate::types::{DataType, Value};

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
}

impl CmpOp {
    /// The operator with its operands swapped (`a < b` ⇔ `b > a`).
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Eq,
            CmpOp::NotEq => CmpOp::NotEq,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
        }
    }

    /// The operator as written in SQL.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::NotEq => "<>",
            CmpOp::Lt => "<",
            CmpOp::LtEq => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtEq => ">=",
        }
    }
}

/// What a subquery expression asks of its subquery.
#[derive(Debug, Clone, PartialEq)]
pub enum SubqueryKind {
    /// `(SELECT x ...)`: the single value of the single row (NULL if none).
    Scalar,
    /// `EXISTS (...)`
    Exists,
    /// `x IN (SELECT ...)` (the left operand is `Subquery::operand`).
    In,
    /// `ARRAY(SELECT ...)`: the column's values as an array.
    Array,
    /// `x op ANY (SELECT ...)` / `x op ALL (SELECT ...)`
    Quantified {
        /// The comparison.
        op: CmpOp,
        /// ALL rather than ANY.
        all: bool,
    },
}

/// A subquery inside an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// What is asked.
    pub kind: SubqueryKind,
    /// The left operand of IN / ANY / ALL.
    pub operand: Option<Expr>,
    /// The subquery's plan.
    pub plan: Arc<Node>,
    /// True when the plan refers to columns of enclosing queries, so it must
    /// run again for every outer row; otherwise its result is computed once.
    pub correlated: bool,
}

/// A bound expression. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A constant of the given type.
    Const(Value, DataType),
    /// Column `index` of the input row.
    Column(usize, DataType),
    /// Column `index` of the row of an enclosing query, `depth` levels up
    /// (1 = the immediately enclosing query).
    Outer {
        /// How many query levels up.
        depth: usize,
        /// Column position in that query's row.
        index: usize,
        /// Its type.
        ty: DataType,
    },
    /// Parameter `$index+1`.
    Param(usize, DataType),
    /// NOT x
    Not(Box<Expr>),
    /// a AND b
    And(Box<Expr>, Box<Expr>),
    /// a OR b
    Or(Box<Expr>, Box<Expr>),
    /// a op b (comparison)
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// a op b (arithmetic), with the result type
    Arith(ArithOp, Box<Expr>, Box<Expr>, DataType),
    /// -x
    Negate(Box<Expr>, DataType),
    /// a || b
    Concat(Box<Expr>, Box<Expr>),
    /// x IS [NOT] NULL
    IsNull(Box<Expr>, bool),
    /// x IS [NOT] TRUE/FALSE/UNKNOWN
    IsBool {
        /// Operand.
        expr: Box<Expr>,
        /// TRUE, FALSE, or UNKNOWN (`None`).
        value: Option<bool>,
        /// IS NOT.
        negated: bool,
    },
    /// a IS [NOT] DISTINCT FROM b
    IsDistinct(Box<Expr>, Box<Expr>, bool),
    /// x [NOT] [I]LIKE pattern [ESCAPE e]
    Like {
        /// The string.
        expr: Box<Expr>,
        /// The pattern.
        pattern: Box<Expr>,
        /// The escape character.
        escape: Option<Box<Expr>>,
        /// NOT LIKE.
        negated: bool,
        /// ILIKE.
        case_insensitive: bool,
    },
    /// x [NOT] IN (list)
    InList {
        /// Operand.
        expr: Box<Expr>,
        /// The list.
        list: Vec<Expr>,
        /// NOT IN.
        negated: bool,
    },
    /// CAST(x AS ty) (explicit semantics)
    Cast(Box<Expr>, DataType),
    /// CASE WHEN c THEN r ... ELSE e END (a simple CASE is bound into this
    /// form with `operand = value` conditions).
    Case {
        /// (condition, result) pairs.
        whens: Vec<(Expr, Expr)>,
        /// ELSE result (NULL when absent).
        else_result: Box<Expr>,
        /// Result type.
        ty: DataType,
    },
    /// COALESCE(a, b, ...): evaluates lazily.
    Coalesce(Vec<Expr>, DataType),
    /// A scalar function call.
    Call {
        /// The function.
        func: &'static ScalarFunction,
        /// Arguments, coerced to the function's parameter types.
        args: Vec<Expr>,
        /// The result type.
        ty: DataType,
    },
    /// A subquery.
    Subquery(Box<Subquery>, DataType),
    /// The `i`th aggregate call of the query level being planned. Exists
    /// only during planning: the planner rewrites it into a column of the
    /// Aggregate node's output.
    AggRef(usize, DataType),
}

impl Expr {
    /// The expression's type.
    pub fn ty(&self) -> DataType {
        match self {
            Expr::Const(_, t)
            | Expr::Column(_, t)
            | Expr::Param(_, t)
            | Expr::Arith(_, _, _, t)
            | Expr::Negate(_, t)
            | Expr::Cast(_, t)
            | Expr::Coalesce(_, t)
            | Expr::Subquery(_, t)
            | Expr::AggRef(_, t) => *t,
            Expr::Outer { ty, .. } | Expr::Case { ty, .. } | Expr::Call { ty, .. } => *ty,
            Expr::Concat(..) => DataType::Text,
            Expr::Not(_)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Compare(..)
            | Expr::IsNull(..)
            | Expr::IsBool { .. }
            | Expr::IsDistinct(..)
            | Expr::Like { .. }
            | Expr::InList { .. } => DataType::Bool,
        }
    }

    /// A NULL constant of type `ty`.
    pub fn null(ty: DataType) -> Expr {
        Expr::Const(Value::Null, ty)
    }

    /// True for a constant.
    pub fn is_const(&self) -> bool {
        matches!(self, Expr::Const(..))
    }

    /// Calls `f` on every direct child expression.
    pub fn for_each_child(&self, f: &mut dyn FnMut(&Expr)) {
        match self {
            Expr::Const(..)
            | Expr::Column(..)
            | Expr::Outer { .. }
            | Expr::Param(..)
            | Expr::AggRef(..) => {}
            Expr::Not(e) | Expr::Negate(e, _) | Expr::IsNull(e, _) | Expr::Cast(e, _) => f(e),
            Expr::IsBool { expr, .. } => f(expr),
            Expr::And(a, b)
            | Expr::Or(a, b)
            | Expr::Compare(_, a, b)
            | Expr::Arith(_, a, b, _)
            | Expr::Concat(a, b)
            | Expr::IsDistinct(a, b, _) => {
                f(a);
                f(b);
            }
            Expr::Like {
                expr,
                pattern,
                escape,
                ..
            } => {
                f(expr);
                f(pattern);
                if let Some(e) = escape {
                    f(e);
                }
            }
            Expr::InList { expr, list, .. } => {
                f(expr);
                list.iter().for_each(f);
            }
            Expr::Case {
                whens, else_result, ..
            } => {
                for (c, r) in whens {
                    f(c);
                    f(r);
                }
                f(else_result);
            }
            Expr::Coalesce(args, _) | Expr::Call { args, .. } => args.iter().for_each(f),
            Expr::Subquery(s, _) => {
                if let Some(o) = &s.operand {
                    f(o);
                }
            }
        }
    }

    /// Rebuilds this node with `f` applied to each direct child (not
    /// looking inside subquery plans).
    pub fn map_children(self, f: &mut dyn FnMut(Expr) -> Result<Expr>) -> Result<Expr> {
        // Rewrites reuse each child's allocation.
        let b = |mut e: Box<Expr>, f: &mut dyn FnMut(Expr) -> Result<Expr>| -> Result<Box<Expr>> {
            let child = std::mem::replace(&mut *e, Expr::Const(Value::Null, DataType::Unknown));
            *e = f(child)?;
            Ok(e)
        };
        Ok(match self {
            e @ (Expr::Const(..)
            | Expr::Column(..)
            | Expr::Outer { .. }
            | Expr::Param(..)
            | Expr::AggRef(..)) => e,
            Expr::Not(e) => Expr::Not(b(e, f)?),
            Expr::Negate(e, t) => Expr::Negate(b(e, f)?, t),
            Expr::IsNull(e, n) => Expr::IsNull(b(e, f)?, n),
            Expr::Cast(e, t) => Expr::Cast(b(e, f)?, t),
            Expr::IsBool {
                expr,
                value,
                negated,
            } => Expr::IsBool {
                expr: b(expr, f)?,
                value,
                negated,
            },
            Expr::And(x, y) => Expr::And(b(x, f)?, b(y, f)?),
            Expr::Or(x, y) => Expr::Or(b(x, f)?, b(y, f)?),
            Expr::Compare(op, x, y) => Expr::Compare(op, b(x, f)?, b(y, f)?),
            Expr::Arith(op, x, y, t) => Expr::Arith(op, b(x, f)?, b(y, f)?, t),
            Expr::Concat(x, y) => Expr::Concat(b(x, f)?, b(y, f)?),
            Expr::IsDistinct(x, y, n) => Expr::IsDistinct(b(x, f)?, b(y, f)?, n),
            Expr::Like {
                expr,
                pattern,
                escape,
                negated,
                case_insensitive,
            } => Expr::Like {
                expr: b(expr, f)?,
                pattern: b(pattern, f)?,
                escape: match escape {
                    Some(e) => Some(b(e, f)?),
                    None => None,
                },
                negated,
                case_insensitive,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: b(expr, f)?,
                list: list.into_iter().map(&mut *f).collect::<Result<_>>()?,
                negated,
            },
            Expr::Case {
                whens,
                else_result,
                ty,
            } => Expr::Case {
                whens: whens
                    .into_iter()
                    .map(|(c, r)| Ok((f(c)?, f(r)?)))
                    .collect::<Result<_>>()?,
                else_result: b(else_result, f)?,
                ty,
            },
            Expr::Coalesce(args, t) => {
                Expr::Coalesce(args.into_iter().map(&mut *f).collect::<Result<_>>()?, t)
            }
            Expr::Call { func, args, ty } => Expr::Call {
                func,
                args: args.into_iter().map(&mut *f).collect::<Result<_>>()?,
                ty,
            },
            Expr::Subquery(mut s, t) => {
                if let Some(o) = s.operand.take() {
                    s.operand = Some(f(o)?);
                }
                Expr::Subquery(s, t)
            }
        })
    }

    /// True if `pred` holds for this expression or any descendant (not
    /// looking inside subquery plans).
    pub fn any(&self, pred: &dyn Fn(&Expr) -> bool) -> bool {
        if pred(self) {
            return true;
        }
        let mut found = false;
        self.for_each_child(&mut |c| found = found || c.any(pred));
        found
    }

    /// True when the value does not depend on the input row (constants,
    /// parameters, outer references, and calls of row-independent functions).
    pub fn is_row_independent(&self) -> bool {
        !self.any(&|e| {
            matches!(e, Expr::Column(..))
                || matches!(e, Expr::Subquery(s, _) if s.correlated)
                || matches!(e, Expr::Call { func, .. } if func.volatile)
        })
    }

    /// Splits a conjunction into its conjuncts.
    pub fn conjuncts(self) -> Vec<Expr> {
        match self {
            Expr::And(a, b) => {
                let mut v = a.conjuncts();
                v.extend(b.conjuncts());
                v
            }
            e => vec![e],
        }
    }

    /// Joins conjuncts with AND (`None` for an empty list).
    pub fn and_all(exprs: Vec<Expr>) -> Option<Expr> {
        exprs
            .into_iter()
            .reduce(|a, b| Expr::And(Box::new(a), Box::new(b)))
    }
}
