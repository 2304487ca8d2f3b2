//! Binding what catalog queries use beyond plain SQL: the regular
//! expression operators, casts to and from `oid`, the `reg*` types and
//! arrays, `ARRAY[...]`/`ARRAY(SELECT ...)`, subscripts, and `x op
//! ANY/ALL (array)`.
//!
//! A `reg*` value is held by name (see `DataType::RegClass`), so every
//! conversion between it and an OID or a string is a call to a catalog
//! function (`sql::functions::catalog`) that looks the name up; arrays are
//! held in their text form and handled by `sql::functions::array`.

use std::sync::Arc;

use crate::error::{Result, SqlState};
use crate::sql::functions::array as arrays;
use crate::sql::functions::catalog::{RegDirection, reg_conversion};
use crate::sql::functions::regex;
use crate::sql::functions::scalar::ScalarFunction;
use crate::sql::parser::ast;
use crate::sql::planner::Planner;
use crate::sql::planner::bind::BindCtx;
use crate::sql::planner::coerce::{CoercionKind, char_to_text};
use crate::sql::planner::expr::{Expr, Subquery, SubqueryKind};
use crate::sql_err;
use crate::types::{DataType, Value};

fn call(func: &'static ScalarFunction, args: Vec<Expr>, ty: DataType) -> Expr {
    Expr::Call { func, args, ty }
}

fn reg_fn(reg: &DataType, d: RegDirection) -> Result<&'static ScalarFunction> {
    reg_conversion(reg, d).ok_or_else(|| {
        crate::error::Error::Internal(format!("no {d:?} conversion for {}", reg.format_type()))
    })
}

/// True for `oid` and the integer types (which convert to `oid`).
fn oid_like(t: &DataType) -> bool {
    *t == DataType::Oid || t.is_integer()
}

impl Planner<'_> {
    /// `a ~ b`, `a ~* b`, `a !~ b`, `a !~* b`.
    pub(crate) fn bind_regex(
        &self,
        op: ast::BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        use ast::BinaryOp as B;
        let (icase, negated) = match op {
            B::RegexMatch => (false, false),
            B::RegexIMatch => (true, false),
            B::RegexNotMatch => (false, true),
            _ => (true, true),
        };
        let mut args = Vec::with_capacity(2);
        for side in [l, r] {
            let e = self.bind_expr(side, cx)?;
            args.push(self.as_text(e, op.symbol())?);
        }
        if !args.iter().all(|a| a.ty().is_string()) {
            let (a, b) = (args[0].ty(), args[1].ty());
            return Err(crate::sql::planner::coerce::no_operator(
                op.symbol(),
                &a,
                &b,
            ));
        }
        Ok(call(regex::operator(icase, negated), args, DataType::Bool))
    }

    /// A string operand as text (bpchar loses its padding, unknown becomes
    /// text; other types are left for the caller to refuse).
    fn as_text(&self, e: Expr, _op: &str) -> Result<Expr> {
        Ok(match e.ty() {
            DataType::Char(_) => char_to_text(e),
            DataType::Unknown => self.coerce(e, DataType::Text, CoercionKind::Implicit)?,
            _ => e,
        })
    }

    /// Casts that involve `reg*` types or arrays, or `None` to let the
    /// ordinary cast rules apply. `to` is the target type.
    pub(crate) fn bind_special_cast(
        &self,
        inner: Expr,
        to: DataType,
    ) -> Result<std::result::Result<Expr, Expr>> {
        let from = inner.ty();
        if to.is_reg() {
            return self.cast_to_reg(inner, to).map(Ok);
        }
        if from.is_reg() {
            if to == DataType::Oid || to.is_integer() {
                let o = call(
                    reg_fn(&from, RegDirection::ToOid)?,
                    vec![inner],
                    DataType::Oid,
                );
                return Ok(Ok(if to == DataType::Oid {
                    o
                } else {
                    Expr::Cast(Box::new(o), to)
                }));
            }
            if to.is_string() {
                // The value is the name already.
                return Ok(Ok(Expr::Cast(Box::new(inner), to)));
            }
        }
        if let (DataType::Array(f), DataType::Array(t)) = (from, to)
            && f != t
        {
            // Element-wise: rebuild in the target's form.
            let elems = call(&arrays::ARRAY_ELEMENTS, vec![inner], DataType::Text);
            let rebuilt = if crate::types::array::is_vector(t) {
                call(&arrays::ARRAY_TO_VECTOR, vec![elems], to)
            } else {
                Expr::Cast(Box::new(elems), to)
            };
            return Ok(Ok(rebuilt));
        }
        Ok(Err(inner))
    }

    fn cast_to_reg(&self, inner: Expr, to: DataType) -> Result<Expr> {
        let from = inner.ty();
        if from == to {
            return Ok(inner);
        }
        if from.is_reg() {
            let o = call(
                reg_fn(&from, RegDirection::ToOid)?,
                vec![inner],
                DataType::Oid,
            );
            return Ok(call(reg_fn(&to, RegDirection::FromOid)?, vec![o], to));
        }
        if oid_like(&from) {
            let o = self.coerce(inner, DataType::Oid, CoercionKind::Implicit)?;
            return Ok(call(reg_fn(&to, RegDirection::FromOid)?, vec![o], to));
        }
        if from.is_string() {
            let t = self.as_text(inner, "::")?;
            return Ok(call(reg_fn(&to, RegDirection::FromText)?, vec![t], to));
        }
        Err(sql_err!(
            SqlState::CANNOT_COERCE,
            "cannot cast type {} to {}",
            from.format_type(),
            to.format_type()
        ))
    }

    /// Implicit conversions between `reg*` types and `oid`/integers (for
    /// comparisons and function arguments), or `None`.
    pub(crate) fn reg_coercion(
        &self,
        e: Expr,
        to: DataType,
    ) -> Result<std::result::Result<Expr, Expr>> {
        let from = e.ty();
        if from.is_reg() && oid_like(&to) {
            return self.bind_special_cast(e, to);
        }
        if to.is_reg() && (oid_like(&from) || from.is_string()) && from != DataType::Unknown {
            return self.cast_to_reg(e, to).map(Ok);
        }
        Ok(Err(e))
    }

    /// Two comparison operands with a `reg*` or `oid` side, compared as OIDs.
    pub(crate) fn unify_oids(
        &self,
        a: Expr,
        b: Expr,
    ) -> Result<std::result::Result<(Expr, Expr), (Expr, Expr)>> {
        let (ta, tb) = (a.ty(), b.ty());
        let regish = |t: &DataType| t.is_reg() || *t == DataType::Oid;
        if !(regish(&ta) || regish(&tb))
            || ta == tb
            || ta == DataType::Unknown
            || tb == DataType::Unknown
        {
            return Ok(Err((a, b)));
        }
        let as_oid = |e: Expr| -> Result<Expr> {
            let t = e.ty();
            if t.is_reg() {
                Ok(call(
                    reg_fn(&t, RegDirection::ToOid)?,
                    vec![e],
                    DataType::Oid,
                ))
            } else {
                Ok(e)
            }
        };
        if (regish(&ta) || ta.is_integer()) && (regish(&tb) || tb.is_integer()) {
            return Ok(Ok((as_oid(a)?, as_oid(b)?)));
        }
        Ok(Err((a, b)))
    }

    /// `ARRAY[a, b, ...]`, or `ARRAY(SELECT ...)` when `subquery` holds.
    pub(crate) fn bind_array(
        &self,
        elements: &[ast::Expr],
        subquery: Option<&ast::Query>,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        if let Some(q) = subquery {
            return self.bind_array_subquery(q, cx);
        }
        let elems = elements
            .iter()
            .map(|e| self.bind_expr(e, cx))
            .collect::<Result<Vec<_>>>()?;
        if elems.is_empty() {
            return Err(sql_err!(
                SqlState::INDETERMINATE_DATATYPE,
                "cannot determine type of empty array"
            )
            .with_hint("Explicitly cast to the desired type, for example ARRAY[]::integer[]."));
        }
        let (elems, ty) = self.coerce_common(elems, "ARRAY")?;
        let elem = if ty == DataType::Unknown {
            DataType::Text
        } else {
            ty
        };
        let elems = elems
            .into_iter()
            .map(|e| self.coerce(e, elem, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        Ok(call(&arrays::ARRAY_BUILD, elems, elem.array_of()?))
    }

    fn bind_array_subquery(&self, q: &ast::Query, cx: BindCtx<'_>) -> Result<Expr> {
        self.correlation.borrow_mut().push(false);
        let planned = self.plan_query(q, Some(cx.chain));
        let correlated = self.correlation.borrow_mut().pop().unwrap_or(true);
        let (node, cols) = planned?;
        if cols.len() != 1 {
            return Err(sql_err!(
                SqlState::SYNTAX_ERROR,
                "subquery must return only one column"
            ));
        }
        let elem = if cols[0].ty == DataType::Unknown {
            DataType::Text
        } else {
            cols[0].ty
        };
        Ok(Expr::Subquery(
            Box::new(Subquery {
                kind: SubqueryKind::Array,
                operand: None,
                plan: Arc::new(self.mark_pseudo(node)),
                correlated,
            }),
            elem.array_of()?,
        ))
    }

    /// `array[index]`: the element, NULL out of range.
    pub(crate) fn bind_subscript(
        &self,
        array: &ast::Expr,
        index: &ast::Expr,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        let a = self.bind_expr(array, cx)?;
        let Some(elem) = a.ty().element() else {
            return Err(sql_err!(
                SqlState::DATATYPE_MISMATCH,
                "cannot subscript type {} because it does not support subscripting",
                a.ty().format_type()
            ));
        };
        let i = self.bind_expr(index, cx)?;
        let i = self
            .coerce(i, DataType::Int4, CoercionKind::Implicit)
            .map_err(|_| {
                sql_err!(
                    SqlState::DATATYPE_MISMATCH,
                    "array subscript must have type integer"
                )
            })?;
        Ok(self.element_value(call(&arrays::SUBSCRIPT, vec![a, i], DataType::Text), elem))
    }

    /// An element held as text, as a value of its element type.
    pub(crate) fn element_value(&self, text: Expr, elem: DataType) -> Expr {
        match elem {
            DataType::Text => text,
            e if e.is_reg() => Expr::Cast(Box::new(text), e),
            e => Expr::Cast(Box::new(text), e),
        }
    }

    /// `x op ANY (array)` / `x op ALL (array)`.
    pub(crate) fn bind_array_quantifier(
        &self,
        l: &ast::Expr,
        op: &str,
        all: bool,
        r: &ast::Expr,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        let x = self.bind_expr(l, cx)?;
        let mut arr = self.bind_expr(r, cx)?;
        if arr.ty() == DataType::Unknown {
            let t = if x.ty() == DataType::Unknown {
                DataType::Text
            } else {
                x.ty()
            };
            arr = self.coerce(arr, t.array_of()?, CoercionKind::Implicit)?;
        }
        let Some(elem) = arr.ty().element() else {
            return Err(sql_err!(
                SqlState::WRONG_OBJECT_TYPE,
                "op ANY/ALL (array) requires array on right side"
            ));
        };
        // Compare in the element type (reg* elements are names: compare names).
        let x = match (x.ty(), elem) {
            (t, e) if t == e => x,
            (DataType::Char(_), _) => char_to_text(x),
            (_, e) => self
                .coerce(x, e, CoercionKind::Implicit)
                .map_err(|_| crate::sql::planner::coerce::no_operator(op, &elem, &elem))?,
        };
        let func = arrays::quantifier(op, all).ok_or_else(|| {
            sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "operator {} ANY/ALL is not supported",
                op
            )
        })?;
        Ok(call(func, vec![x, arr], DataType::Bool))
    }

    /// The value of a literal cast to an array type (`'{0}'::oid[]`).
    pub(crate) fn array_literal(&self, s: &str, to: DataType) -> Result<Expr> {
        Ok(Expr::Const(Value::from_text(s, &to, self.ctx)?, to))
    }
}
