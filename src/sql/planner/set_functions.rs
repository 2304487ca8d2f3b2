//! Set-returning functions (`unnest`, `generate_series`,
//! `generate_subscripts`): in FROM (`generate_series(0, n) AS s`), and in a
//! select list, where PostgreSQL runs them in lockstep
//! (`SELECT unnest(indkey), generate_subscripts(indkey, 1) FROM pg_index`).
//! Both plan as a `ProjectSet` node; a select list's calls are collected
//! while its items are bound, and each call becomes a column reference to
//! the ProjectSet's output.

use crate::error::{Result, SqlState};
use crate::sql::functions::array::SetFunction;
use crate::sql::parser::ast;
use crate::sql::planner::Planner;
use crate::sql::planner::bind::BindCtx;
use crate::sql::planner::coerce::CoercionKind;
use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::{Node, SetCall};
use crate::sql::planner::scope::{Scope, ScopeChain, ScopeColumn};
use crate::sql_err;
use crate::types::DataType;

impl Planner<'_> {
    /// Binds and types one call's arguments.
    fn set_call(
        &self,
        func: SetFunction,
        args: &[ast::Expr],
        cx: BindCtx<'_>,
    ) -> Result<(SetCall, DataType)> {
        let args = args
            .iter()
            .map(|a| self.bind_expr(a, cx))
            .collect::<Result<Vec<_>>>()?;
        let types: Vec<DataType> = args.iter().map(Expr::ty).collect();
        let (params, ty) = func.resolve(&types)?;
        let args = args
            .into_iter()
            .zip(params)
            .map(|(a, p)| self.coerce(a, p, CoercionKind::Implicit))
            .collect::<Result<Vec<_>>>()?;
        // unnest yields element text: the element type the caller casts to.
        let shown = match func {
            SetFunction::Unnest => types.first().and_then(DataType::element).unwrap_or(ty),
            _ => ty,
        };
        Ok((SetCall { func, args, ty }, shown))
    }

    /// A set-returning function call in an expression: allowed at the top
    /// of a select list, where it joins the select's ProjectSet.
    pub(crate) fn bind_set_function(
        &self,
        func: SetFunction,
        f: &ast::FunctionCall,
        cx: BindCtx<'_>,
    ) -> Result<Expr> {
        let level_open = self.srf_levels.borrow().last().is_some();
        if cx.clause != "SELECT" || !level_open {
            let clause = if cx.clause == "SELECT" {
                "this context"
            } else {
                cx.clause
            };
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "set-returning functions are not allowed in {}",
                clause
            ));
        }
        let (call, shown) = self.set_call(func, &f.args, cx)?;
        let ty = call.ty;
        let mut levels = self.srf_levels.borrow_mut();
        let (base, calls) = levels
            .last_mut()
            .ok_or_else(|| crate::error::Error::Internal("no select level".into()))?;
        calls.push(call);
        let col = Expr::Column(*base + calls.len() - 1, ty);
        Ok(if shown == ty {
            col
        } else {
            self.element_value(col, shown)
        })
    }

    /// Opens a select list's collection of set-returning calls over an
    /// input of `width` columns.
    pub(crate) fn open_set_calls(&self, width: usize) {
        self.srf_levels.borrow_mut().push((width, Vec::new()));
    }

    /// Closes the innermost collection; puts a ProjectSet over `node` when
    /// it holds calls (not allowed together with aggregates).
    pub(crate) fn close_set_calls(&self, node: Node, grouped: bool) -> Result<Node> {
        let calls = self
            .srf_levels
            .borrow_mut()
            .pop()
            .map(|(_, c)| c)
            .unwrap_or_default();
        if calls.is_empty() {
            return Ok(node);
        }
        if grouped {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "set-returning functions together with aggregates are not supported"
            ));
        }
        Ok(Node::ProjectSet {
            input: Box::new(node),
            calls,
        })
    }

    /// `FROM generate_series(1, 3) AS s`, `FROM unnest(a) AS u(v)`.
    pub(crate) fn plan_function_table(
        &self,
        name: &ast::ObjectName,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Scope)> {
        let fname = crate::sql::planner::bind::function_name(name);
        let Some(func) = SetFunction::from_name(&fname) else {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "function {} in FROM is not supported",
                fname
            )
            .with_position(name.base().pos));
        };
        let empty = Scope::default();
        let chain = ScopeChain::child(&empty, outer);
        let (call, shown) = self.set_call(func, args, BindCtx::plain(&chain, "FROM"))?;
        let ty = call.ty;
        let mut node = Node::ProjectSet {
            input: Box::new(Node::Values {
                rows: vec![vec![]],
                width: 0,
            }),
            calls: vec![call],
        };
        if shown != ty {
            node = Node::Project {
                input: Box::new(node),
                exprs: vec![self.element_value(Expr::Column(0, ty), shown)],
            };
        }
        let qualifier: std::rc::Rc<str> = alias
            .map_or(fname.as_str(), |a| a.name.name.as_str())
            .into();
        let column = alias
            .and_then(|a| a.columns.first().map(|c| c.name.clone()))
            .unwrap_or_else(|| alias.map_or(fname, |a| a.name.name.clone()));
        let mut scope = Scope::default();
        scope.columns.push(ScopeColumn {
            qualifier: Some(qualifier),
            name: column,
            ty: shown,
            hidden: false,
            merged: false,
            table_oid: 0,
            column_id: 0,
            scan_id: None,
        });
        Ok((node, scope))
    }
}
