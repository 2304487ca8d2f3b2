//! Type coercion during binding, following PostgreSQL's rules.
//!
//! An untyped literal (`'abc'`, `NULL`) or an untyped parameter takes the
//! type its context asks for: a string literal is run through that type's
//! input function right away (so `int_col = 'x'` fails at bind time with
//! 22P02, as in PostgreSQL), a parameter's type is recorded for
//! ParameterDescription. Typed expressions are wrapped in a cast when an
//! implicit (or, for INSERT/UPDATE targets, assignment) cast exists.

use crate::error::{Error, Result, SqlState};
use crate::sql::planner::Planner;
use crate::sql::planner::expr::Expr;
use crate::sql_err;
use crate::types::cast::{can_assign, can_cast_implicitly, common_type};
use crate::types::{DataType, Value};

/// Which casts a coercion may insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoercionKind {
    /// Implicit casts only (operands, function arguments).
    Implicit,
    /// Assignment casts too (INSERT values, UPDATE SET).
    Assignment,
}

impl Planner<'_> {
    /// Coerces `e` to type `to`; 42804 when no such cast exists.
    pub(crate) fn coerce(&self, e: Expr, to: DataType, kind: CoercionKind) -> Result<Expr> {
        self.try_coerce(e, to, kind)?.map_err(|from| {
            sql_err!(
                SqlState::DATATYPE_MISMATCH,
                "cannot cast type {} to {}",
                from.format_type(),
                to.format_type()
            )
        })
    }

    /// Like [`coerce`](Self::coerce), but reports "no cast" as `Ok(Err(from_type))`
    /// so callers can word their own error.
    pub(crate) fn try_coerce(
        &self,
        e: Expr,
        to: DataType,
        kind: CoercionKind,
    ) -> Result<std::result::Result<Expr, DataType>> {
        let from = e.ty();
        if to == DataType::Unknown {
            return Ok(Ok(e));
        }
        match e {
            Expr::Const(Value::Null, DataType::Unknown) => return Ok(Ok(Expr::null(to))),
            Expr::Const(Value::Text(s), DataType::Unknown) => {
                let v = Value::from_text(&s, &to, self.ctx)?;
                return Ok(Ok(Expr::Const(v, to)));
            }
            Expr::Param(i, DataType::Unknown) => {
                self.set_param_type(i, to);
                return Ok(Ok(Expr::Param(i, to)));
            }
            e if from == to => return Ok(Ok(e)),
            e if matches!(from, DataType::Char(_))
                && matches!(to, DataType::Text | DataType::Varchar(_)) =>
            {
                return Ok(Ok(char_to_text(e)));
            }
            e if same_base(&from, &to) => return Ok(Ok(e)),
            e if from.is_reg() || to.is_reg() => {
                return Ok(self.reg_coercion(e, to)?.map_err(|_| from));
            }
            e => {
                match kind {
                    CoercionKind::Implicit
                        if can_cast_implicitly(&from, &to) || from == DataType::Unknown =>
                    {
                        return Ok(Ok(Expr::Cast(Box::new(e), to)));
                    }
                    // The writer applies the assignment cast to each value
                    // (cast::assign: length checks, rounding), so the
                    // expression keeps its own type here.
                    CoercionKind::Assignment
                        if can_assign(&from, &to) || from == DataType::Unknown =>
                    {
                        return Ok(Ok(e));
                    }
                    _ => {}
                }
            }
        }
        Ok(Err(from))
    }

    /// Records an inferred parameter type (the first inference wins).
    pub(crate) fn set_param_type(&self, index: usize, ty: DataType) {
        let mut params = self.params.borrow_mut();
        if params.len() <= index {
            params.resize(index + 1, DataType::Unknown);
        }
        if params[index] == DataType::Unknown {
            params[index] = base_type(ty);
        }
    }

    /// Coerces a list of expressions to their common type (CASE, COALESCE,
    /// IN lists, VALUES columns, set operations). `context` names the
    /// construct in the error message (`CASE`, `UNION`...).
    pub(crate) fn coerce_common(
        &self,
        exprs: Vec<Expr>,
        context: &str,
    ) -> Result<(Vec<Expr>, DataType)> {
        let types: Vec<DataType> = exprs.iter().map(Expr::ty).collect();
        let ty = common_type(&types).map_err(|e| match e {
            Error::Sql(s) => sql_err!(s.code, "{} {}", context, s.message),
            other => other,
        })?;
        let out = exprs
            .into_iter()
            .map(|e| self.coerce(e, ty, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        Ok((out, ty))
    }

    /// Gives a still-untyped expression (literal or parameter) a concrete
    /// type: text, as PostgreSQL resolves `unknown` in a select list.
    pub(crate) fn resolve_unknown(&self, e: Expr) -> Result<Expr> {
        if e.ty() == DataType::Unknown {
            self.coerce(e, DataType::Text, CoercionKind::Implicit)
        } else {
            Ok(e)
        }
    }
}

/// A `character(n)` value as text: trailing blanks are not significant in
/// bpchar, and PostgreSQL's bpchar → text conversion drops them.
pub fn char_to_text(e: Expr) -> Expr {
    let func =
        crate::sql::functions::scalar::lookup("rtrim").expect("invariant: rtrim is built in");
    Expr::Call {
        func,
        args: vec![e],
        ty: DataType::Text,
    }
}

/// The type without its length/precision modifier.
pub fn base_type(t: DataType) -> DataType {
    match t {
        DataType::Varchar(_) => DataType::Varchar(None),
        DataType::Char(_) => DataType::Char(None),
        DataType::Numeric { .. } => DataType::Numeric {
            precision: None,
            scale: None,
        },
        t => t,
    }
}

/// True when two types differ only by modifier (varchar(5) vs varchar).
fn same_base(a: &DataType, b: &DataType) -> bool {
    base_type(*a) == base_type(*b)
}

/// The types two operands of a comparison are compared in, or `None` when
/// PostgreSQL has no such operator.
pub fn comparable(a: &DataType, b: &DataType) -> bool {
    use DataType::*;
    let datetime = |t: &DataType| matches!(t, Date | Timestamp | Timestamptz);
    (a.is_numeric() && b.is_numeric())
        || (a.is_string() && b.is_string())
        || (datetime(a) && datetime(b))
        || (*a == Bool && *b == Bool)
        || (matches!(a, Array(_)) && a == b)
        || (*a == Oid && (b.is_integer() || *b == Oid))
        || (*b == Oid && a.is_integer())
        || (a.is_reg() && a == b)
}

/// PostgreSQL's error for an operator with no matching types.
pub fn no_operator(op: &str, l: &DataType, r: &DataType) -> Error {
    sql_err!(
        SqlState::UNDEFINED_FUNCTION,
        "operator does not exist: {} {} {}",
        l.format_type(),
        op,
        r.format_type()
    )
    .with_hint(
        "No operator matches the given name and argument types. You might need to add explicit type casts.",
    )
}
