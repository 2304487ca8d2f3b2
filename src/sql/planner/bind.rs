//! Expression binding: `ast::Expr` → [`Expr`].

use std::cell::RefCell;
use std::sync::Arc;

use crate::error::{Error, Result, SqlState};
use crate::sql::functions::{AggFunc, scalar};
use crate::sql::parser::ast;
use crate::sql::planner::Planner;
use crate::sql::planner::coerce::{CoercionKind, base_type, char_to_text, comparable, no_operator};
use crate::sql::planner::expr::{CmpOp, Expr, Subquery, SubqueryKind};
use crate::sql::planner::plan::AggCall;
use crate::sql::planner::scope::ScopeChain;
use crate::sql_err;
use crate::types::ops::{ArithOp, arith_result_type};
use crate::types::{DataType, Value};

/// What an expression may contain where it is being bound.
#[derive(Clone, Copy)]
pub(crate) struct BindCtx<'s> {
    /// The visible columns.
    pub chain: &'s ScopeChain<'s>,
    /// Where aggregate calls are collected, when they are allowed here.
    pub aggs: Option<&'s RefCell<Vec<AggCall>>>,
    /// The clause, for "aggregate functions are not allowed in WHERE".
    pub clause: &'static str,
}

impl<'s> BindCtx<'s> {
    /// A context where aggregates are not allowed.
    pub fn plain(chain: &'s ScopeChain<'s>, clause: &'static str) -> BindCtx<'s> {
        BindCtx {
            chain,
            aggs: None,
            clause,
        }
    }
}

const NUMERIC: DataType = DataType::Numeric {
    precision: None,
    scale: None,
};

impl Planner<'_> {
    /// Binds an expression. See the module docs.
    pub(crate) fn bind_expr(&self, e: &ast::Expr, cx: BindCtx<'_>) -> Result<Expr> {
        match e {
            ast::Expr::Literal(l) => self.bind_literal(l, false),
            ast::Expr::Column(name) => self.bind_column(name, cx),
            ast::Expr::Parameter { index, pos } => self.bind_param(*index, *pos),
            ast::Expr::Unary { op, expr } => self.bind_unary(*op, expr, cx),
            ast::Expr::Binary {
                op,
                left,
                right,
                pos,
            } => self
                .bind_binary(*op, left, right, cx)
                .map_err(|e| e.with_position(*pos)),
            ast::Expr::IsNull { expr, negated } => {
                let e = self.bind_expr(expr, cx)?;
                Ok(Expr::IsNull(Box::new(e), *negated))
            }
            ast::Expr::IsBool {
                expr,
                value,
                negated,
            } => {
                let e = self.bind_bool(expr, cx, "IS")?;
                Ok(Expr::IsBool {
                    expr: Box::new(e),
                    value: *value,
                    negated: *negated,
                })
            }
            ast::Expr::IsDistinctFrom {
                left,
                right,
                negated,
            } => {
                let (l, r) = self.bind_comparison_operands(left, right, "=", cx)?;
                Ok(Expr::IsDistinct(Box::new(l), Box::new(r), *negated))
            }
            ast::Expr::Like {
                expr,
                pattern,
                escape,
                negated,
                case_insensitive,
            } => self.bind_like(
                expr,
                pattern,
                escape.as_deref(),
                *negated,
                *case_insensitive,
                cx,
            ),
            ast::Expr::InList {
                expr,
                list,
                negated,
            } => self.bind_in_list(expr, list, *negated, cx),
            ast::Expr::Between {
                expr,
                low,
                high,
                negated,
                symmetric,
            } => self.bind_between(expr, low, high, *negated, *symmetric, cx),
            ast::Expr::Cast { expr, ty, pos } => self
                .bind_cast(expr, ty, cx)
                .map_err(|e| e.with_position(*pos)),
            ast::Expr::TypedString { ty, value, pos } => {
                let t = DataType::from_name(&ty.name, &ty.modifiers)
                    .map_err(|e| e.with_position(*pos))?;
                let v = Value::from_text(value, &t, self.ctx).map_err(|e| e.with_position(*pos))?;
                Ok(Expr::Const(v, t))
            }
            ast::Expr::Function(f) => self.bind_function(f, cx),
            ast::Expr::Case {
                operand,
                whens,
                else_result,
            } => self.bind_case(operand.as_deref(), whens, else_result.as_deref(), cx),
            ast::Expr::Subquery(q) => self.bind_subquery(SubqueryKind::Scalar, None, q, cx),
            ast::Expr::Exists { query, negated } => {
                let e = self.bind_subquery(SubqueryKind::Exists, None, query, cx)?;
                Ok(if *negated { Expr::Not(Box::new(e)) } else { e })
            }
            ast::Expr::InSubquery {
                expr,
                query,
                negated,
            } => {
                let operand = self.bind_expr(expr, cx)?;
                let e = self.bind_subquery(SubqueryKind::In, Some(operand), query, cx)?;
                Ok(if *negated { Expr::Not(Box::new(e)) } else { e })
            }
            ast::Expr::AnyAll {
                left,
                op,
                all,
                right,
            } => self.bind_any_all(left, *op, *all, right, cx),
            ast::Expr::Row(items) if items.len() == 1 => self.bind_expr(&items[0], cx),
            ast::Expr::Collate { expr, .. } => self.bind_expr(expr, cx),
            ast::Expr::Default => Err(sql_err!(
                SqlState::SYNTAX_ERROR,
                "DEFAULT is not allowed in this context"
            )),
            ast::Expr::Array { elements, subquery } => {
                let q = match (subquery, elements.as_slice()) {
                    (true, [ast::Expr::Subquery(q)]) => Some(q.as_ref()),
                    _ => None,
                };
                self.bind_array(elements, q, cx)
            }
            ast::Expr::Subscript { expr, index } => self.bind_subscript(expr, index, cx),
            ast::Expr::Row(_) => Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "arrays and row values are not supported yet"
            )),
        }
    }

    /// Binds a literal (`negative` when preceded by a unary minus).
    pub(crate) fn bind_literal(&self, l: &ast::Literal, negative: bool) -> Result<Expr> {
        let sign = if negative { "-" } else { "" };
        Ok(match l {
            ast::Literal::Null => Expr::Const(Value::Null, DataType::Unknown),
            ast::Literal::Bool(b) => Expr::Const(Value::Bool(*b), DataType::Bool),
            ast::Literal::String(s) => Expr::Const(Value::Text(s.clone()), DataType::Unknown),
            ast::Literal::Integer(digits) => {
                let text = format!("{sign}{digits}");
                if let Ok(i) = text.parse::<i32>() {
                    Expr::Const(Value::Int4(i), DataType::Int4)
                } else if let Ok(i) = text.parse::<i64>() {
                    Expr::Const(Value::Int8(i), DataType::Int8)
                } else {
                    Expr::Const(Value::from_text(&text, &NUMERIC, self.ctx)?, NUMERIC)
                }
            }
            ast::Literal::Decimal(text) => Expr::Const(
                Value::from_text(&format!("{sign}{text}"), &NUMERIC, self.ctx)?,
                NUMERIC,
            ),
        })
    }

    fn bind_column(&self, name: &ast::ObjectName, cx: BindCtx<'_>) -> Result<Expr> {
        let parts = &name.0;
        let (qualifier, col) = match parts.as_slice() {
            [c] => (None, c),
            [.., t, c] => (Some(t.name.as_str()), c),
            [] => return Err(Error::Internal("empty column name".into())),
        };
        let r = cx
            .chain
            .resolve(qualifier, &col.name)
            .map_err(|e| e.with_position(parts[0].pos))?;
        if let Some(scan) = r.column.scan_id
            && r.column.hidden
        {
            self.pseudo_used.borrow_mut().insert(scan);
        }
        if r.depth == 0 {
            return Ok(Expr::Column(r.index, r.column.ty));
        }
        let mut frames = self.correlation.borrow_mut();
        let n = frames.len();
        for f in frames.iter_mut().skip(n.saturating_sub(r.depth)) {
            *f = true;
        }
        Ok(Expr::Outer {
            depth: r.depth,
            index: r.index,
            ty: r.column.ty,
        })
    }

    fn bind_param(&self, index: u32, pos: u32) -> Result<Expr> {
        if index == 0 || index > 65535 {
            return Err(sql_err!(
                SqlState::UNDEFINED_PARAMETER,
                "there is no parameter ${}",
                index
            )
            .with_position(pos));
        }
        let i = index as usize - 1;
        let mut params = self.params.borrow_mut();
        if params.len() <= i {
            params.resize(i + 1, DataType::Unknown);
        }
        Ok(Expr::Param(i, params[i]))
    }

    fn bind_unary(&self, op: ast::UnaryOp, e: &ast::Expr, cx: BindCtx<'_>) -> Result<Expr> {
        if let (
            ast::UnaryOp::Minus,
            ast::Expr::Literal(l @ (ast::Literal::Integer(_) | ast::Literal::Decimal(_))),
        ) = (op, e)
        {
            return self.bind_literal(l, true);
        }
        match op {
            ast::UnaryOp::Not => Ok(Expr::Not(Box::new(self.bind_bool(e, cx, "NOT")?))),
            ast::UnaryOp::Plus => {
                let v = self.bind_expr(e, cx)?;
                let v = self.numeric_operand(v)?;
                if !v.ty().is_numeric() {
                    return Err(unary_no_operator("+", &v.ty()));
                }
                Ok(v)
            }
            ast::UnaryOp::Minus => {
                let v = self.bind_expr(e, cx)?;
                let v = self.numeric_operand(v)?;
                let ty = v.ty();
                if !ty.is_numeric() {
                    return Err(unary_no_operator("-", &ty));
                }
                Ok(Expr::Negate(Box::new(v), ty))
            }
            ast::UnaryOp::BitNot => Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "bitwise operators are not supported yet"
            )),
        }
    }

    /// An untyped literal used as a number is numeric.
    fn numeric_operand(&self, e: Expr) -> Result<Expr> {
        if e.ty() == DataType::Unknown {
            self.coerce(e, NUMERIC, CoercionKind::Implicit)
        } else {
            Ok(e)
        }
    }

    /// Binds an expression that must be boolean (WHERE, AND, NOT, ...).
    pub(crate) fn bind_bool(&self, e: &ast::Expr, cx: BindCtx<'_>, what: &str) -> Result<Expr> {
        let b = self.bind_expr(e, cx)?;
        self.expect_bool(b, what)
    }

    /// Coerces to boolean, with PostgreSQL's 42804 message otherwise.
    pub(crate) fn expect_bool(&self, b: Expr, what: &str) -> Result<Expr> {
        match b.ty() {
            DataType::Bool => Ok(b),
            DataType::Unknown => self.coerce(b, DataType::Bool, CoercionKind::Implicit),
            t => Err(sql_err!(
                SqlState::DATATYPE_MISMATCH,
                "argument of {} must be type boolean, not type {}",
                what,
                t.format_type()
            )),
        }
    }

    fn bind_binary(
        &self,
        op: ast::BinaryOp,
        l: &ast::Expr,
        r: &ast::Expr,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        use ast::BinaryOp as B;
        let cmp = |c: CmpOp| -> Result<Expr> {
            let (a, b) = self.bind_comparison_operands(l, r, c.symbol(), cx)?;
            Ok(Expr::Compare(c, Box::new(a), Box::new(b)))
        };
        let arith = |a: ArithOp| self.bind_arith(a, op.symbol(), l, r, cx);
        match op {
            B::And => Ok(Expr::And(
                Box::new(self.bind_bool(l, cx, "AND")?),
                Box::new(self.bind_bool(r, cx, "AND")?),
            )),
            B::Or => Ok(Expr::Or(
                Box::new(self.bind_bool(l, cx, "OR")?),
                Box::new(self.bind_bool(r, cx, "OR")?),
            )),
            B::Eq => cmp(CmpOp::Eq),
            B::NotEq => cmp(CmpOp::NotEq),
            B::Lt => cmp(CmpOp::Lt),
            B::LtEq => cmp(CmpOp::LtEq),
            B::Gt => cmp(CmpOp::Gt),
            B::GtEq => cmp(CmpOp::GtEq),
            B::Plus => arith(ArithOp::Add),
            B::Minus => arith(ArithOp::Sub),
            B::Multiply => arith(ArithOp::Mul),
            B::Divide => arith(ArithOp::Div),
            B::Modulo => arith(ArithOp::Mod),
            B::Power => arith(ArithOp::Pow),
            B::Concat => self.bind_concat(l, r, cx),
            B::RegexMatch | B::RegexIMatch | B::RegexNotMatch | B::RegexNotIMatch => {
                self.bind_regex(op, l, r, cx)
            }
            other => Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "operator {} is not supported yet",
                other.symbol()
            )),
        }
    }

    /// Binds both sides of a comparison and gives untyped sides the other
    /// side's type; 42883 when the types cannot be compared.
    pub(crate) fn bind_comparison_operands(
        &self,
        l: &ast::Expr,
        r: &ast::Expr,
        op: &str,
        cx: BindCtx<'_>,
    ) -> Result<(Expr, Expr)> {
        let a = self.bind_expr(l, cx)?;
        let b = self.bind_expr(r, cx)?;
        self.unify_comparison(a, b, op)
    }

    /// See [`bind_comparison_operands`](Self::bind_comparison_operands).
    pub(crate) fn unify_comparison(&self, a: Expr, b: Expr, op: &str) -> Result<(Expr, Expr)> {
        let (a, b) = match self.unify_oids(a, b)? {
            Ok(pair) => return Ok(pair),
            Err(pair) => pair,
        };
        let (ta, tb) = (a.ty(), b.ty());
        match (ta, tb) {
            (DataType::Unknown, DataType::Unknown) => Ok((
                self.coerce(a, DataType::Text, CoercionKind::Implicit)?,
                self.coerce(b, DataType::Text, CoercionKind::Implicit)?,
            )),
            (DataType::Unknown, t) => Ok((self.coerce(a, t, CoercionKind::Implicit)?, b)),
            (t, DataType::Unknown) => Ok((a, self.coerce(b, t, CoercionKind::Implicit)?)),
            (DataType::Char(_), _) | (_, DataType::Char(_)) if comparable(&ta, &tb) => {
                // bpchar compares without trailing blanks.
                let trim = |e: Expr| {
                    if matches!(e.ty(), DataType::Char(_)) {
                        char_to_text(e)
                    } else {
                        e
                    }
                };
                Ok((trim(a), trim(b)))
            }
            // Mixed date/time operands meet in the wider type, converted
            // with the session time zone (storage-level comparison cannot).
            (DataType::Timestamptz, DataType::Date | DataType::Timestamp) => {
                Ok((a, Expr::Cast(Box::new(b), DataType::Timestamptz)))
            }
            (DataType::Date | DataType::Timestamp, DataType::Timestamptz) => {
                Ok((Expr::Cast(Box::new(a), DataType::Timestamptz), b))
            }
            (DataType::Timestamp, DataType::Date) => {
                Ok((a, Expr::Cast(Box::new(b), DataType::Timestamp)))
            }
            (DataType::Date, DataType::Timestamp) => {
                Ok((Expr::Cast(Box::new(a), DataType::Timestamp), b))
            }
            (x, y) if comparable(&x, &y) => Ok((a, b)),
            (x, y) => Err(no_operator(op, &x, &y)),
        }
    }

    fn bind_arith(
        &self,
        op: ArithOp,
        sym: &str,
        l: &ast::Expr,
        r: &ast::Expr,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        let a = self.bind_expr(l, cx)?;
        let b = self.bind_expr(r, cx)?;
        let (a, b) = match (a.ty(), b.ty()) {
            (DataType::Unknown, DataType::Unknown) => {
                (self.numeric_operand(a)?, self.numeric_operand(b)?)
            }
            (DataType::Unknown, t) => {
                (self.coerce(a, arith_partner(t), CoercionKind::Implicit)?, b)
            }
            (t, DataType::Unknown) => {
                (a, self.coerce(b, arith_partner(t), CoercionKind::Implicit)?)
            }
            _ => (a, b),
        };
        let ty = arith_result_type(op, &a.ty(), &b.ty())
            .map_err(|_| no_operator(sym, &a.ty(), &b.ty()))?;
        Ok(Expr::Arith(op, Box::new(a), Box::new(b), ty))
    }

    fn bind_concat(&self, l: &ast::Expr, r: &ast::Expr, cx: BindCtx<'_>) -> Result<Expr> {
        let a = self.bind_expr(l, cx)?;
        let b = self.bind_expr(r, cx)?;
        let (ta, tb) = (a.ty(), b.ty());
        if !ta.is_string() && !tb.is_string() {
            return Err(no_operator("||", &ta, &tb));
        }
        let text = |e: Expr| -> Result<Expr> {
            match e.ty() {
                DataType::Char(_) => Ok(char_to_text(e)),
                _ => self.resolve_unknown(e),
            }
        };
        Ok(Expr::Concat(Box::new(text(a)?), Box::new(text(b)?)))
    }

    fn bind_like(
        &self,
        e: &ast::Expr,
        pattern: &ast::Expr,
        escape: Option<&ast::Expr>,
        negated: bool,
        ci: bool,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        let sym = if ci { "~~*" } else { "~~" };
        let text = |x: Expr| -> Result<Expr> {
            match x.ty() {
                t if t.is_string() => self.resolve_unknown(x),
                t => Err(no_operator(sym, &t, &DataType::Text)),
            }
        };
        let expr = text(self.bind_expr(e, cx)?)?;
        let pattern = text(self.bind_expr(pattern, cx)?)?;
        let escape = match escape {
            Some(x) => Some(Box::new(text(self.bind_expr(x, cx)?)?)),
            None => None,
        };
        Ok(Expr::Like {
            expr: Box::new(expr),
            pattern: Box::new(pattern),
            escape,
            negated,
            case_insensitive: ci,
        })
    }

    fn bind_in_list(
        &self,
        e: &ast::Expr,
        list: &[ast::Expr],
        negated: bool,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        let mut items = vec![self.bind_expr(e, cx)?];
        for x in list {
            items.push(self.bind_expr(x, cx)?);
        }
        let (mut items, _) = self.coerce_common(items, "IN")?;
        let expr = items.remove(0);
        Ok(Expr::InList {
            expr: Box::new(expr),
            list: items,
            negated,
        })
    }

    fn bind_between(
        &self,
        e: &ast::Expr,
        low: &ast::Expr,
        high: &ast::Expr,
        negated: bool,
        symmetric: bool,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        // As in PostgreSQL, `x BETWEEN a AND b` is `x >= a AND x <= b`, each
        // comparison typed on its own (`NULL BETWEEN NULL AND 1` is fine).
        let compare = |op: CmpOp, bound: &ast::Expr| -> Result<Expr> {
            let (a, b) = self.unify_comparison(
                self.bind_expr(e, cx)?,
                self.bind_expr(bound, cx)?,
                op.symbol(),
            )?;
            Ok(Expr::Compare(op, Box::new(a), Box::new(b)))
        };
        let within = |lo: &ast::Expr, hi: &ast::Expr| -> Result<Expr> {
            Ok(Expr::And(
                Box::new(compare(CmpOp::GtEq, lo)?),
                Box::new(compare(CmpOp::LtEq, hi)?),
            ))
        };
        let mut e = within(low, high)?;
        if symmetric {
            e = Expr::Or(Box::new(e), Box::new(within(high, low)?));
        }
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }

    fn bind_cast(&self, e: &ast::Expr, ty: &ast::TypeName, cx: BindCtx<'_>) -> Result<Expr> {
        let mut to = DataType::from_name(&ty.name, &ty.modifiers)?;
        if ty.array {
            to = to.array_of()?;
        }
        let inner = self.bind_expr(e, cx)?;
        if let Expr::Const(Value::Text(s), DataType::Unknown) = &inner
            && matches!(to, DataType::Array(_))
        {
            return self.array_literal(s, to);
        }
        let inner = match self.bind_special_cast(inner, to)? {
            Ok(done) => return Ok(done),
            Err(inner) => inner,
        };
        Ok(match inner {
            Expr::Const(Value::Text(s), DataType::Unknown) => {
                // The input function of the base type, then the length or
                // precision coercion with explicit-cast semantics
                // ('abcdef'::varchar(3) is 'abc').
                let v = Value::from_text(&s, &base_type(to), self.ctx)?;
                Expr::Const(crate::types::cast::cast(v, &to, self.ctx)?, to)
            }
            Expr::Const(Value::Null, _) => Expr::null(to),
            Expr::Param(i, DataType::Unknown) => {
                self.set_param_type(i, to);
                Expr::Param(i, to)
            }
            other if other.ty() == to => other,
            other
                if matches!(other.ty(), DataType::Char(_))
                    && matches!(to, DataType::Text | DataType::Varchar(_)) =>
            {
                let t = char_to_text(other);
                if to == DataType::Text {
                    t
                } else {
                    Expr::Cast(Box::new(t), to)
                }
            }
            other => Expr::Cast(Box::new(other), to),
        })
    }

    fn bind_case(
        &self,
        operand: Option<&ast::Expr>,
        whens: &[(ast::Expr, ast::Expr)],
        else_result: Option<&ast::Expr>,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        let operand = operand.map(|o| self.bind_expr(o, cx)).transpose()?;
        let mut conds = Vec::with_capacity(whens.len());
        let mut results = Vec::with_capacity(whens.len() + 1);
        for (c, r) in whens {
            let cond = match &operand {
                Some(o) => {
                    let (a, b) = self.unify_comparison(o.clone(), self.bind_expr(c, cx)?, "=")?;
                    Expr::Compare(CmpOp::Eq, Box::new(a), Box::new(b))
                }
                None => self.bind_bool(c, cx, "CASE/WHEN")?,
            };
            conds.push(cond);
            results.push(self.bind_expr(r, cx)?);
        }
        results.push(match else_result {
            Some(e) => self.bind_expr(e, cx)?,
            None => Expr::null(DataType::Unknown),
        });
        let (mut results, ty) = self.coerce_common(results, "CASE")?;
        let ty = if ty == DataType::Unknown {
            DataType::Text
        } else {
            ty
        };
        let results = results
            .drain(..)
            .map(|r| self.coerce(r, ty, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        let mut results = results.into_iter();
        let whens = conds.into_iter().zip(results.by_ref()).collect();
        let else_result = Box::new(results.next().unwrap_or_else(|| Expr::null(ty)));
        Ok(Expr::Case {
            whens,
            else_result,
            ty,
        })
    }

    fn bind_function(&self, f: &ast::FunctionCall, cx: BindCtx<'_>) -> Result<Expr> {
        let name = function_name(&f.name);
        let pos = f.name.base().pos;
        if f.over.is_some() {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "window functions are not supported yet"
            )
            .with_position(pos));
        }
        if let Some(sf) = crate::sql::functions::array::SetFunction::from_name(&name) {
            return self.bind_set_function(sf, f, cx);
        }
        if let Some(agg) = AggFunc::from_name(&name) {
            return self
                .bind_aggregate(agg, f, cx)
                .map_err(|e| e.with_position(pos));
        }
        if f.star || f.distinct || f.filter.is_some() || !f.order_by.is_empty() {
            return Err(sql_err!(
                SqlState::WRONG_OBJECT_TYPE,
                "{} is not an aggregate function",
                name
            )
            .with_position(pos));
        }
        let args = f
            .args
            .iter()
            .map(|a| self.bind_expr(a, cx))
            .collect::<Result<Vec<_>>>()?;
        match name.as_str() {
            "coalesce" => {
                let (args, ty) = self.coerce_common(args, "COALESCE")?;
                let ty = if ty == DataType::Unknown {
                    DataType::Text
                } else {
                    ty
                };
                return Ok(Expr::Coalesce(args, ty));
            }
            "pg_typeof" if args.len() == 1 => {
                let t = match args[0].ty() {
                    DataType::Unknown => "unknown".to_string(),
                    t => t.format_type(),
                };
                return Ok(Expr::Const(Value::Text(t), DataType::Text));
            }
            _ => {}
        }
        let types: Vec<DataType> = args.iter().map(Expr::ty).collect();
        let (func, params, ty) =
            scalar::resolve(&name, &types).map_err(|e| e.with_position(pos))?;
        let args = args
            .into_iter()
            .zip(params)
            .map(|(a, p)| self.coerce(a, p, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        Ok(Expr::Call { func, args, ty })
    }

    fn bind_aggregate(&self, agg: AggFunc, f: &ast::FunctionCall, cx: BindCtx<'_>) -> Result<Expr> {
        let Some(collector) = cx.aggs else {
            return Err(sql_err!(
                SqlState::GROUPING_ERROR,
                "{}",
                if cx.clause == "aggregate" {
                    "aggregate function calls cannot be nested".to_string()
                } else {
                    format!("aggregate functions are not allowed in {}", cx.clause)
                }
            ));
        };
        let inner = BindCtx {
            chain: cx.chain,
            aggs: None,
            clause: "aggregate",
        };
        let func = if f.star { AggFunc::CountStar } else { agg };
        if f.star && agg != AggFunc::Count {
            return Err(sql_err!(
                SqlState::SYNTAX_ERROR,
                "{}(*) must be used to call a parameterless aggregate function",
                agg.name()
            ));
        }
        let mut args = f
            .args
            .iter()
            .map(|a| self.bind_expr(a, inner))
            .collect::<Result<Vec<_>>>()?;
        let types: Vec<DataType> = args.iter().map(Expr::ty).collect();
        let (mut params, ty) = func.resolve(&types)?;
        // array_agg(x ORDER BY k...), string_agg(x, d ORDER BY k...): the
        // keys ride along as arguments, in their own types. (The other
        // aggregates do not depend on the order of their input.)
        let mut desc = 0u32;
        if matches!(func, AggFunc::ArrayAgg { .. } | AggFunc::StringAgg { .. }) {
            for (i, o) in f.order_by.iter().enumerate() {
                let key = self.bind_expr(&o.expr, inner)?;
                params.push(match key.ty() {
                    DataType::Unknown => DataType::Text,
                    t => t,
                });
                args.push(key);
                if o.desc && i < 32 {
                    desc |= 1 << i;
                }
            }
        }
        let func = match func {
            AggFunc::ArrayAgg { .. } => AggFunc::ArrayAgg { desc },
            AggFunc::StringAgg { .. } => AggFunc::StringAgg { desc },
            other => other,
        };
        let args = args
            .into_iter()
            .zip(params)
            .map(|(a, p)| self.coerce(a, p, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        let filter = f
            .filter
            .as_deref()
            .map(|x| self.bind_bool(x, inner, "FILTER"))
            .transpose()?;
        let mut calls = collector.borrow_mut();
        let call = AggCall {
            func,
            args,
            distinct: f.distinct,
            filter,
            ty,
        };
        let index = match calls.iter().position(|c| *c == call) {
            Some(i) => i,
            None => {
                calls.push(call);
                calls.len() - 1
            }
        };
        Ok(Expr::AggRef(index, ty))
    }

    fn bind_subquery(
        &self,
        kind: SubqueryKind,
        operand: Option<Expr>,
        q: &ast::Query,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        self.correlation.borrow_mut().push(false);
        let planned = self.plan_query(q, Some(cx.chain));
        let correlated = self.correlation.borrow_mut().pop().unwrap_or(true);
        let (node, cols) = planned?;
        if kind != SubqueryKind::Exists && cols.len() != 1 {
            return Err(sql_err!(
                SqlState::SYNTAX_ERROR,
                "subquery must return only one column"
            ));
        }
        let (operand, ty) = match (&kind, operand) {
            (SubqueryKind::Scalar, _) => (None, cols[0].ty),
            (SubqueryKind::Exists, _) => (None, DataType::Bool),
            (_, Some(o)) => {
                let (o, _) = self.unify_comparison(o, Expr::null(cols[0].ty), "=")?;
                (Some(o), DataType::Bool)
            }
            (_, None) => return Err(Error::Internal("IN subquery without operand".into())),
        };
        Ok(Expr::Subquery(
            Box::new(Subquery {
                kind,
                operand,
                plan: Arc::new(self.mark_pseudo(node)),
                correlated,
            }),
            ty,
        ))
    }

    fn bind_any_all(
        &self,
        l: &ast::Expr,
        op: ast::BinaryOp,
        all: bool,
        r: &ast::Expr,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        let cmp = match op {
            ast::BinaryOp::Eq => CmpOp::Eq,
            ast::BinaryOp::NotEq => CmpOp::NotEq,
            ast::BinaryOp::Lt => CmpOp::Lt,
            ast::BinaryOp::LtEq => CmpOp::LtEq,
            ast::BinaryOp::Gt => CmpOp::Gt,
            ast::BinaryOp::GtEq => CmpOp::GtEq,
            other => {
                return Err(sql_err!(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "operator {} ANY/ALL is not supported",
                    other.symbol()
                ));
            }
        };
        let ast::Expr::Subquery(q) = r else {
            return self.bind_array_quantifier(l, cmp.symbol(), all, r, cx);
        };
        let operand = self.bind_expr(l, cx)?;
        self.bind_subquery(
            SubqueryKind::Quantified { op: cmp, all },
            Some(operand),
            q,
            cx,
        )
    }
}

/// The untyped side of `x + 'literal'` takes x's type, except that dates
/// and timestamps pair with integers and intervals.
fn arith_partner(t: DataType) -> DataType {
    match t {
        DataType::Date => DataType::Int4,
        t => t,
    }
}

/// A function's name without its schema (`pg_catalog.now` → `now`).
pub(crate) fn function_name(name: &ast::ObjectName) -> String {
    name.base().name.clone()
}

fn unary_no_operator(op: &str, t: &DataType) -> Error {
    sql_err!(
        SqlState::UNDEFINED_FUNCTION,
        "operator does not exist: {} {}",
        op,
        t.format_type()
    )
    .with_hint(
        "No operator matches the given name and argument type. You might need to add an explicit type cast.",
    )
}
