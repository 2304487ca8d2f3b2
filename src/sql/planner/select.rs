//! Planning queries: FROM → WHERE → GROUP BY/aggregates → HAVING → select
//! list → DISTINCT → ORDER BY → LIMIT, plus VALUES, set operations and CTEs.

use std::cell::RefCell;
use std::sync::Arc;

use crate::error::{Error, Result, SqlState};
use crate::sql::parser::ast;
use crate::sql::planner::bind::BindCtx;
use crate::sql::planner::coerce::CoercionKind;
use crate::sql::planner::expr::Expr;
use crate::sql::planner::naming::column_name;
use crate::sql::planner::plan::{
    JoinType, KeyAccess, Node, PSEUDO_COLUMNS, Scan, SetOpKind, SortKey, TimeBound, TimeSelect,
};
use crate::sql::planner::scope::{Scope, ScopeChain, ScopeColumn};
use crate::sql::planner::{CteDef, Planner};
use crate::sql::session::ColumnDesc;
use crate::sql_err;
use crate::types::{DataType, Value};

/// One output column of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputColumn {
    /// Column name.
    pub name: String,
    /// Type.
    pub ty: DataType,
    /// Source table OID (0 if computed).
    pub table_oid: u32,
    /// Source column number (0 if computed).
    pub column_id: i16,
}

/// RowDescription entries for output columns.
pub fn describe(cols: &[OutputColumn]) -> Vec<ColumnDesc> {
    cols.iter()
        .map(|c| ColumnDesc {
            name: c.name.clone(),
            ty: c.ty,
            table_oid: c.table_oid,
            column_id: c.column_id,
        })
        .collect()
}

/// A select-list entry after binding.
struct Item {
    expr: Expr,
    out: OutputColumn,
}

impl Planner<'_> {
    /// Plans a query; `outer` is the enclosing query's scope chain for
    /// subqueries.
    pub(crate) fn plan_query(
        &self,
        q: &ast::Query,
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Vec<OutputColumn>)> {
        let saved = self.ctes.borrow().len();
        let result = self.plan_query_inner(q, outer);
        self.ctes.borrow_mut().truncate(saved);
        result
    }

    fn plan_query_inner(
        &self,
        q: &ast::Query,
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Vec<OutputColumn>)> {
        if let Some(with) = &q.with {
            if with.recursive {
                return Err(sql_err!(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "WITH RECURSIVE is not supported yet"
                ));
            }
            for cte in &with.ctes {
                self.plan_cte(cte, outer)?;
            }
        }
        let (node, cols) = match &q.body {
            ast::QueryBody::Select(s) => self.plan_select(s, &q.order_by, outer)?,
            body => {
                let (node, cols) = self.plan_body(body, outer)?;
                self.order_outputs(node, cols, &q.order_by, outer)?
            }
        };
        let node = self.plan_limit(node, q.limit.as_ref(), q.offset.as_ref())?;
        Ok((node, cols))
    }

    fn plan_cte(&self, cte: &ast::Cte, outer: Option<&ScopeChain<'_>>) -> Result<()> {
        let (node, mut cols) = self.plan_query(&cte.query, outer)?;
        if cte.columns.len() > cols.len() {
            return Err(sql_err!(
                SqlState::INVALID_COLUMN_REFERENCE,
                "WITH query \"{}\" has {} columns available but {} columns specified",
                cte.name.name,
                cols.len(),
                cte.columns.len()
            ));
        }
        for (c, alias) in cols.iter_mut().zip(&cte.columns) {
            c.name = alias.name.clone();
        }
        let width = cols.len();
        self.ctes.borrow_mut().push(CteDef {
            name: cte.name.name.clone(),
            plan: Arc::new(Node::Materialized(Arc::new(self.mark_pseudo(node)), width)),
            columns: cols,
        });
        Ok(())
    }

    /// Plans a query body without ORDER BY/LIMIT (set-operation operands).
    fn plan_body(
        &self,
        body: &ast::QueryBody,
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Vec<OutputColumn>)> {
        match body {
            ast::QueryBody::Select(s) => self.plan_select(s, &[], outer),
            ast::QueryBody::Values(rows) => self.plan_values(rows, outer),
            ast::QueryBody::Nested(q) => self.plan_query(q, outer),
            ast::QueryBody::SetOp {
                op,
                all,
                left,
                right,
            } => self.plan_set_op(*op, *all, left, right, outer),
        }
    }

    fn plan_set_op(
        &self,
        op: ast::SetOperator,
        all: bool,
        left: &ast::QueryBody,
        right: &ast::QueryBody,
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Vec<OutputColumn>)> {
        let (kind, word) = match op {
            ast::SetOperator::Union => (SetOpKind::Union, "UNION"),
            ast::SetOperator::Intersect => (SetOpKind::Intersect, "INTERSECT"),
            ast::SetOperator::Except => (SetOpKind::Except, "EXCEPT"),
        };
        let (l, mut lcols) = self.plan_body(left, outer)?;
        let (r, rcols) = self.plan_body(right, outer)?;
        if lcols.len() != rcols.len() {
            return Err(sql_err!(
                SqlState::SYNTAX_ERROR,
                "each {} query must have the same number of columns",
                word
            ));
        }
        let mut lex = Vec::new();
        let mut rex = Vec::new();
        for (i, (lc, rc)) in lcols.iter_mut().zip(&rcols).enumerate() {
            let pair = vec![Expr::Column(i, lc.ty), Expr::Column(i, rc.ty)];
            let (mut pair, ty) = self.coerce_common(pair, word)?;
            let ty = if ty == DataType::Unknown {
                DataType::Text
            } else {
                ty
            };
            let re = self.coerce(
                pair.pop().unwrap_or(Expr::null(ty)),
                ty,
                CoercionKind::Implicit,
            )?;
            let le = self.coerce(
                pair.pop().unwrap_or(Expr::null(ty)),
                ty,
                CoercionKind::Implicit,
            )?;
            lex.push(le);
            rex.push(re);
            if lc.ty != ty {
                lc.table_oid = 0;
                lc.column_id = 0;
            }
            lc.ty = ty;
        }
        let node = Node::SetOp {
            kind,
            all,
            left: Box::new(project_if_needed(l, lex)),
            right: Box::new(project_if_needed(r, rex)),
        };
        Ok((node, lcols))
    }

    fn plan_values(
        &self,
        rows: &[Vec<ast::Expr>],
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Vec<OutputColumn>)> {
        let empty = Scope::default();
        let chain = ScopeChain::child(&empty, outer);
        let cx = BindCtx::plain(&chain, "VALUES");
        let width = rows.first().map_or(0, Vec::len);
        let mut bound = Vec::with_capacity(rows.len());
        for row in rows {
            if row.len() != width {
                return Err(sql_err!(
                    SqlState::SYNTAX_ERROR,
                    "VALUES lists must all be the same length"
                ));
            }
            bound.push(
                row.iter()
                    .map(|e| self.bind_expr(e, cx))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        let mut cols = Vec::with_capacity(width);
        for c in 0..width {
            let column: Vec<Expr> = bound
                .iter_mut()
                .map(|r| std::mem::replace(&mut r[c], Expr::null(DataType::Unknown)))
                .collect();
            let (column, ty) = self.coerce_common(column, "VALUES")?;
            let ty = if ty == DataType::Unknown {
                DataType::Text
            } else {
                ty
            };
            for (r, e) in bound.iter_mut().zip(column) {
                r[c] = self.coerce(e, ty, CoercionKind::Implicit)?;
            }
            cols.push(OutputColumn {
                name: format!("column{}", c + 1),
                ty,
                table_oid: 0,
                column_id: 0,
            });
        }
        Ok((Node::Values { rows: bound, width }, cols))
    }

    /// ORDER BY over a set operation or VALUES: only output columns, by
    /// name or position.
    fn order_outputs(
        &self,
        node: Node,
        cols: Vec<OutputColumn>,
        order_by: &[ast::OrderByItem],
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Vec<OutputColumn>)> {
        if order_by.is_empty() {
            return Ok((node, cols));
        }
        let scope = Scope {
            columns: cols.iter().map(output_scope_column).collect(),
        };
        let chain = ScopeChain::child(&scope, outer);
        let cx = BindCtx::plain(&chain, "ORDER BY");
        let mut keys = Vec::new();
        for item in order_by {
            let expr = match ordinal(&item.expr)? {
                Some(i) if i < cols.len() => Expr::Column(i, cols[i].ty),
                Some(i) => return Err(order_position_error(i + 1)),
                None => self.bind_expr(&item.expr, cx)?,
            };
            keys.push(sort_key(expr, item));
        }
        Ok((
            Node::Sort {
                input: Box::new(node),
                keys,
            },
            cols,
        ))
    }

    fn plan_limit(
        &self,
        node: Node,
        limit: Option<&ast::Expr>,
        offset: Option<&ast::Expr>,
    ) -> Result<Node> {
        if limit.is_none() && offset.is_none() {
            return Ok(node);
        }
        let empty = Scope::default();
        let chain = ScopeChain::root(&empty);
        let bind = |e: &ast::Expr, clause: &'static str| -> Result<Expr> {
            let b = self.bind_expr(e, BindCtx::plain(&chain, clause))?;
            if !b.is_row_independent() {
                return Err(sql_err!(
                    SqlState::INVALID_COLUMN_REFERENCE,
                    "argument of {} must not contain variables",
                    clause
                ));
            }
            self.coerce(b, DataType::Int8, CoercionKind::Implicit)
        };
        Ok(Node::Limit {
            input: Box::new(node),
            limit: limit.map(|e| bind(e, "LIMIT")).transpose()?,
            offset: offset.map(|e| bind(e, "OFFSET")).transpose()?,
        })
    }

    /// Plans one SELECT with its ORDER BY (which may refer to input columns).
    fn plan_select(
        &self,
        s: &ast::Select,
        order_by: &[ast::OrderByItem],
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Vec<OutputColumn>)> {
        let (mut node, scope) = self.plan_from(&s.from, outer)?;
        let chain = ScopeChain::child(&scope, outer);
        if let Some(w) = &s.selection {
            let predicate = self.bind_bool(w, BindCtx::plain(&chain, "WHERE"), "WHERE")?;
            node = Node::Filter {
                input: Box::new(node),
                predicate,
            };
        }
        let aggs = RefCell::new(Vec::new());
        let cx = BindCtx {
            chain: &chain,
            aggs: Some(&aggs),
            clause: "SELECT",
        };
        self.open_set_calls(node.width());
        let items = self.bind_select_items(&s.items, &scope, cx, !s.from.is_empty());
        let items = match items {
            Ok(items) => items,
            Err(e) => {
                self.srf_levels.borrow_mut().pop();
                return Err(e);
            }
        };
        node = self.close_set_calls(node, !aggs.borrow().is_empty())?;
        let mut items = items;
        let having = s
            .having
            .as_ref()
            .map(|h| {
                self.bind_bool(
                    h,
                    BindCtx {
                        clause: "HAVING",
                        ..cx
                    },
                    "HAVING",
                )
            })
            .transpose()?;
        let group_by = self.bind_group_by(&s.group_by, &items, cx)?;
        let distinct_on = match &s.distinct {
            ast::Distinct::On(exprs) => Some(
                exprs
                    .iter()
                    .map(|e| {
                        self.bind_output_ref(
                            e,
                            &items,
                            BindCtx {
                                clause: "DISTINCT ON",
                                ..cx
                            },
                        )
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            _ => None,
        };
        let mut order = Vec::with_capacity(order_by.len());
        for item in order_by {
            let e = self.bind_output_ref(
                &item.expr,
                &items,
                BindCtx {
                    clause: "ORDER BY",
                    ..cx
                },
            )?;
            order.push((e, item));
        }

        let aggs = aggs.into_inner();
        let grouped = !aggs.is_empty() || !group_by.is_empty() || having.is_some();
        let mut having = having;
        let mut distinct_on = distinct_on;
        if grouped {
            let rewrite = |e: Expr| group_rewrite(e, &group_by, &scope);
            for it in &mut items {
                it.expr = rewrite(std::mem::replace(
                    &mut it.expr,
                    Expr::null(DataType::Unknown),
                ))?;
            }
            for (e, _) in &mut order {
                *e = rewrite(std::mem::replace(e, Expr::null(DataType::Unknown)))?;
            }
            if let Some(h) = having.take() {
                having = Some(rewrite(h)?);
            }
            if let Some(d) = distinct_on.take() {
                distinct_on = Some(d.into_iter().map(rewrite).collect::<Result<_>>()?);
            }
            node = Node::Aggregate {
                input: Box::new(node),
                group_by: group_by.clone(),
                aggregates: aggs,
            };
        }
        if let Some(h) = having {
            node = Node::Filter {
                input: Box::new(node),
                predicate: h,
            };
        }
        self.finish_select(node, items, order, distinct_on, &s.distinct)
    }

    /// Projection, DISTINCT, ORDER BY and the final column list.
    fn finish_select(
        &self,
        node: Node,
        items: Vec<Item>,
        order: Vec<(Expr, &ast::OrderByItem)>,
        distinct_on: Option<Vec<Expr>>,
        distinct: &ast::Distinct,
    ) -> Result<(Node, Vec<OutputColumn>)> {
        let n_on = distinct_on.as_ref().map_or(0, Vec::len);
        let mut exprs: Vec<Expr> = distinct_on.unwrap_or_default();
        let mut outputs = Vec::with_capacity(items.len());
        for it in items {
            exprs.push(self.resolve_unknown(it.expr)?);
            outputs.push(it.out);
        }
        for (o, c) in outputs.iter_mut().zip(&exprs[n_on..]) {
            o.ty = c.ty();
        }
        let visible = exprs.len();
        let mut keys = Vec::with_capacity(order.len());
        for (e, item) in order {
            let idx = match exprs[n_on..visible].iter().position(|x| *x == e) {
                Some(i) => n_on + i,
                None => {
                    if !matches!(distinct, ast::Distinct::None) {
                        return Err(sql_err!(
                            SqlState::INVALID_COLUMN_REFERENCE,
                            "for SELECT DISTINCT, ORDER BY expressions must appear in select list"
                        ));
                    }
                    exprs.push(e);
                    exprs.len() - 1
                }
            };
            let ty = exprs[idx].ty();
            keys.push(sort_key(Expr::Column(idx, ty), item));
        }
        let total = exprs.len();
        let mut node = Node::Project {
            input: Box::new(node),
            exprs,
        };
        match distinct {
            ast::Distinct::All => {
                node = Node::Distinct {
                    input: Box::new(node),
                    on: None,
                }
            }
            ast::Distinct::On(_) => {
                // Sort by the DISTINCT ON keys first so equal keys are adjacent.
                let mut on_keys: Vec<SortKey> = (0..n_on)
                    .map(|i| SortKey {
                        expr: Expr::Column(i, DataType::Unknown),
                        desc: false,
                        nulls_first: false,
                    })
                    .collect();
                for k in &keys {
                    if !matches!(k.expr, Expr::Column(i, _) if i < n_on) {
                        on_keys.push(k.clone());
                    }
                }
                node = Node::Distinct {
                    input: Box::new(Node::Sort {
                        input: Box::new(node),
                        keys: on_keys,
                    }),
                    on: Some(n_on),
                };
            }
            ast::Distinct::None => {}
        }
        if !keys.is_empty() {
            node = Node::Sort {
                input: Box::new(node),
                keys,
            };
        }
        if n_on > 0 || total > visible {
            node = Node::Project {
                input: Box::new(node),
                exprs: outputs
                    .iter()
                    .enumerate()
                    .map(|(i, o)| Expr::Column(n_on + i, o.ty))
                    .collect(),
            };
        }
        Ok((node, outputs))
    }

    fn bind_select_items(
        &self,
        items: &[ast::SelectItem],
        scope: &Scope,
        cx: BindCtx<'_>,
        has_from: bool,
    ) -> Result<Vec<Item>> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                ast::SelectItem::Wildcard { pos } => {
                    if !has_from {
                        return Err(sql_err!(
                            SqlState::SYNTAX_ERROR,
                            "SELECT * with no tables specified is not valid"
                        )
                        .with_position(*pos));
                    }
                    out.extend(scope.star(None).into_iter().map(|i| star_item(scope, i)));
                }
                ast::SelectItem::QualifiedWildcard(name) => {
                    let q = &name.base().name;
                    if !scope.has_qualifier(q) {
                        return Err(sql_err!(
                            SqlState::UNDEFINED_TABLE,
                            "missing FROM-clause entry for table \"{}\"",
                            q
                        )
                        .with_position(name.base().pos));
                    }
                    out.extend(scope.star(Some(q)).into_iter().map(|i| star_item(scope, i)));
                }
                ast::SelectItem::Expr { expr, alias } => {
                    let bound = self.bind_expr(expr, cx)?;
                    let (table_oid, column_id) = match (&bound, expr) {
                        (Expr::Column(i, _), ast::Expr::Column(_)) => {
                            (scope.columns[*i].table_oid, scope.columns[*i].column_id)
                        }
                        _ => (0, 0),
                    };
                    let name = match alias {
                        Some(a) => a.name.clone(),
                        None => column_name(expr),
                    };
                    out.push(Item {
                        out: OutputColumn {
                            name,
                            ty: bound.ty(),
                            table_oid,
                            column_id,
                        },
                        expr: bound,
                    });
                }
            }
        }
        Ok(out)
    }

    /// GROUP BY items: an ordinal or an output-column alias refers to the
    /// select list; anything else is an expression over the input.
    fn bind_group_by(
        &self,
        group_by: &[ast::Expr],
        items: &[Item],
        cx: BindCtx<'_>,
    ) -> Result<Vec<Expr>> {
        let plain = BindCtx::plain(cx.chain, "GROUP BY");
        let mut out = Vec::with_capacity(group_by.len());
        for g in group_by {
            let e = match ordinal(g)? {
                Some(i) if i < items.len() => items[i].expr.clone(),
                Some(i) => {
                    return Err(sql_err!(
                        SqlState::INVALID_COLUMN_REFERENCE,
                        "GROUP BY position {} is not in select list",
                        i + 1
                    ));
                }
                None => match self.bind_expr(g, plain) {
                    Ok(e) => e,
                    Err(err) => {
                        match bare_name(g).and_then(|n| items.iter().find(|it| it.out.name == n)) {
                            Some(it) => it.expr.clone(),
                            None => return Err(err),
                        }
                    }
                },
            };
            if e.any(&|x| matches!(x, Expr::AggRef(..))) {
                return Err(sql_err!(
                    SqlState::GROUPING_ERROR,
                    "aggregate functions are not allowed in GROUP BY"
                ));
            }
            out.push(e);
        }
        Ok(out)
    }

    /// ORDER BY / DISTINCT ON items: an ordinal or a bare output-column name
    /// refers to the select list; otherwise an expression over the input.
    fn bind_output_ref(&self, e: &ast::Expr, items: &[Item], cx: BindCtx<'_>) -> Result<Expr> {
        if let Some(i) = ordinal(e)? {
            return match items.get(i) {
                Some(it) => Ok(it.expr.clone()),
                None => Err(order_position_error(i + 1)),
            };
        }
        if let Some(n) = bare_name(e) {
            let matches: Vec<&Item> = items.iter().filter(|it| it.out.name == n).collect();
            if let [one] = matches.as_slice() {
                return Ok(one.expr.clone());
            }
            if matches.len() > 1 && matches.windows(2).any(|w| w[0].expr != w[1].expr) {
                return Err(sql_err!(
                    SqlState::AMBIGUOUS_COLUMN,
                    "ORDER BY \"{}\" is ambiguous",
                    n
                ));
            }
            if let Some(first) = matches.first() {
                return Ok(first.expr.clone());
            }
        }
        self.bind_expr(e, cx)
    }

    /// Plans the FROM list (comma-separated items are cross-joined).
    pub(crate) fn plan_from(
        &self,
        from: &[ast::TableRef],
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Scope)> {
        let mut acc: Option<(Node, Scope)> = None;
        for t in from {
            let (node, scope) = self.plan_table_ref(t, outer)?;
            acc = Some(match acc {
                None => (node, scope),
                Some((ln, mut ls)) => {
                    check_duplicate_aliases(&ls, &scope)?;
                    ls.extend(scope);
                    (
                        Node::Join {
                            left: Box::new(ln),
                            right: Box::new(node),
                            kind: JoinType::Inner,
                            on: None,
                            equi: vec![],
                        },
                        ls,
                    )
                }
            });
        }
        Ok(acc.unwrap_or_else(|| {
            (
                Node::Values {
                    rows: vec![vec![]],
                    width: 0,
                },
                Scope::default(),
            )
        }))
    }

    fn plan_table_ref(
        &self,
        t: &ast::TableRef,
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Scope)> {
        match t {
            ast::TableRef::Table {
                name,
                system_time,
                alias,
            } => self.plan_named_table(name, system_time.as_ref(), alias.as_ref()),
            ast::TableRef::Subquery { query, alias, .. } => {
                self.correlation.borrow_mut().push(false);
                let planned = self.plan_query(query, outer);
                self.correlation.borrow_mut().pop();
                let (node, cols) = planned?;
                let Some(alias) = alias else {
                    return Err(sql_err!(
                        SqlState::SYNTAX_ERROR,
                        "subquery in FROM must have an alias"
                    ));
                };
                let mut scope = Scope::default();
                for (i, c) in cols.iter().enumerate() {
                    let mut sc = output_scope_column(c);
                    sc.qualifier = Some(alias.name.name.as_str().into());
                    if let Some(a) = alias.columns.get(i) {
                        sc.name = a.name.clone();
                    }
                    scope.columns.push(sc);
                }
                Ok((node, scope))
            }
            ast::TableRef::Function {
                name, args, alias, ..
            } => self.plan_function_table(name, args, alias.as_ref(), outer),
            ast::TableRef::Join {
                left,
                right,
                kind,
                constraint,
            } => self.plan_join(left, right, *kind, constraint, outer),
        }
    }

    fn plan_named_table(
        &self,
        name: &ast::ObjectName,
        system_time: Option<&ast::SystemTime>,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Node, Scope)> {
        let base = name.base();
        if name.0.len() == 1 && system_time.is_none() {
            let cte = self
                .ctes
                .borrow()
                .iter()
                .rev()
                .find(|c| c.name == base.name)
                .cloned();
            if let Some(cte) = cte {
                let qualifier: std::rc::Rc<str> = alias
                    .map_or(base.name.as_str(), |a| a.name.name.as_str())
                    .into();
                let mut scope = Scope::default();
                for (i, c) in cte.columns.iter().enumerate() {
                    let mut sc = output_scope_column(c);
                    sc.qualifier = Some(qualifier.clone());
                    if let Some(a) = alias.and_then(|a| a.columns.get(i)) {
                        sc.name = a.name.clone();
                    }
                    scope.columns.push(sc);
                }
                return Ok(((*cte.plan).clone(), scope));
            }
        }
        if let Some(sys) = self.system_table(name)? {
            return self.plan_system_table(sys, system_time, alias);
        }
        let table = self.lookup_table(name)?;
        if table.schema.view.is_some() {
            return self.plan_view_ref(&table, system_time, alias);
        }
        // Inside a view read FOR SYSTEM_TIME, the view's clause applies to
        // every table reference without its own.
        let inherited = self.view_time.borrow().clone();
        let time = match system_time.or(inherited.as_ref()) {
            None => TimeSelect::Current,
            Some(st) => self.bind_system_time(st)?,
        };
        let id = self.scan_id();
        let qualifier: std::rc::Rc<str> = alias
            .map_or(base.name.as_str(), |a| a.name.name.as_str())
            .into();
        let mut scope = Scope::default();
        for (i, c) in table.schema.columns.iter().enumerate() {
            let name = alias
                .and_then(|a| a.columns.get(i))
                .map_or(c.name.clone(), |a| a.name.clone());
            scope.columns.push(ScopeColumn {
                qualifier: Some(qualifier.clone()),
                name,
                ty: c.ty,
                hidden: false,
                merged: false,
                table_oid: table.oid(),
                column_id: (i + 1) as i16,
                scan_id: Some(id),
            });
        }
        for (name, ty) in PSEUDO_COLUMNS {
            scope.columns.push(ScopeColumn {
                qualifier: Some(qualifier.clone()),
                name: name.to_string(),
                ty,
                hidden: true,
                merged: false,
                table_oid: 0,
                column_id: 0,
                scan_id: Some(id),
            });
        }
        let indexes = self.table_indexes(&table)?;
        let scan = Scan {
            table,
            time,
            access: KeyAccess::Full,
            indexes,
            filter: None,
            pseudo: false,
            id,
        };
        Ok((Node::Scan(Box::new(scan)), scope))
    }

    /// Resolves a table name (schema `public` or none) in the catalog.
    pub(crate) fn lookup_table(&self, name: &ast::ObjectName) -> Result<crate::catalog::Table> {
        let base = name.base();
        let not_found = || crate::catalog::undefined_table(&base.name).with_position(name.0[0].pos);
        if name.0.len() > 2 || (name.0.len() == 2 && name.0[0].name != "public") {
            return Err(not_found());
        }
        self.catalog.table(&base.name)?.ok_or_else(not_found)
    }

    fn bind_system_time(&self, st: &ast::SystemTime) -> Result<TimeSelect> {
        Ok(match st {
            ast::SystemTime::AsOf(p) => TimeSelect::AsOf(self.bind_time_point(p)?),
            ast::SystemTime::FromTo(a, b) => {
                TimeSelect::FromTo(self.bind_time_point(a)?, self.bind_time_point(b)?)
            }
            ast::SystemTime::Between(a, b) => {
                TimeSelect::Between(self.bind_time_point(a)?, self.bind_time_point(b)?)
            }
            ast::SystemTime::All => TimeSelect::All,
        })
    }

    fn bind_time_point(&self, p: &ast::TimePoint) -> Result<TimeBound> {
        match p {
            ast::TimePoint::Seq(n) => Ok(TimeBound::Seq(*n)),
            ast::TimePoint::Expr(e) => {
                let empty = Scope::default();
                let chain = ScopeChain::root(&empty);
                let b = self.bind_expr(e, BindCtx::plain(&chain, "FOR SYSTEM_TIME"))?;
                if !b.is_row_independent() {
                    return Err(sql_err!(
                        SqlState::INVALID_COLUMN_REFERENCE,
                        "FOR SYSTEM_TIME must not refer to columns"
                    ));
                }
                let b = match b.ty() {
                    DataType::Timestamptz | DataType::Unknown => {
                        self.coerce(b, DataType::Timestamptz, CoercionKind::Implicit)?
                    }
                    DataType::Timestamp | DataType::Date => {
                        Expr::Cast(Box::new(b), DataType::Timestamptz)
                    }
                    t if t.is_string() => Expr::Cast(Box::new(b), DataType::Timestamptz),
                    t => {
                        return Err(sql_err!(
                            SqlState::DATATYPE_MISMATCH,
                            "FOR SYSTEM_TIME expects a timestamp, not type {}",
                            t.format_type()
                        ));
                    }
                };
                Ok(TimeBound::Time(b))
            }
        }
    }

    fn plan_join(
        &self,
        left: &ast::TableRef,
        right: &ast::TableRef,
        kind: ast::JoinKind,
        constraint: &ast::JoinConstraint,
        outer: Option<&ScopeChain<'_>>,
    ) -> Result<(Node, Scope)> {
        let (ln, ls) = self.plan_table_ref(left, outer)?;
        let (rn, rs) = self.plan_table_ref(right, outer)?;
        check_duplicate_aliases(&ls, &rs)?;
        let kind = match kind {
            ast::JoinKind::Inner | ast::JoinKind::Cross => JoinType::Inner,
            ast::JoinKind::Left => JoinType::Left,
            ast::JoinKind::Right => JoinType::Right,
            ast::JoinKind::Full => JoinType::Full,
        };
        let nleft = ls.columns.len();
        let mut scope = ls.clone();
        scope.extend(rs.clone());
        let using: Vec<String> = match constraint {
            ast::JoinConstraint::Using(cols) => cols.iter().map(|c| c.name.clone()).collect(),
            ast::JoinConstraint::Natural => ls
                .columns
                .iter()
                .filter(|c| !c.hidden && !c.merged)
                .filter(|c| rs.columns.iter().any(|r| !r.hidden && r.name == c.name))
                .map(|c| c.name.clone())
                .collect(),
            _ => vec![],
        };
        let on = match constraint {
            ast::JoinConstraint::On(e) => {
                let chain = ScopeChain::child(&scope, outer);
                Some(self.bind_bool(e, BindCtx::plain(&chain, "JOIN conditions"), "JOIN/ON")?)
            }
            ast::JoinConstraint::None => None,
            _ => {
                let mut conds = Vec::new();
                for name in &using {
                    let li = ls.find(None, name)?.ok_or_else(|| {
                        sql_err!(
                            SqlState::UNDEFINED_COLUMN,
                            "column \"{}\" specified in USING clause does not exist in left table",
                            name
                        )
                    })?;
                    let ri = rs.find(None, name)?.ok_or_else(|| {
                        sql_err!(
                            SqlState::UNDEFINED_COLUMN,
                            "column \"{}\" specified in USING clause does not exist in right table",
                            name
                        )
                    })?;
                    let (a, b) = self.unify_comparison(
                        Expr::Column(li, ls.columns[li].ty),
                        Expr::Column(nleft + ri, rs.columns[ri].ty),
                        "=",
                    )?;
                    conds.push(Expr::Compare(
                        crate::sql::planner::expr::CmpOp::Eq,
                        Box::new(a),
                        Box::new(b),
                    ));
                    scope.columns[nleft + ri].merged = true;
                }
                Expr::and_all(conds)
            }
        };
        let node = Node::Join {
            left: Box::new(ln),
            right: Box::new(rn),
            kind,
            on,
            equi: vec![],
        };
        Ok((node, scope))
    }

    /// Sets `pseudo` on every scan whose pseudo-columns were referenced.
    pub(crate) fn mark_pseudo(&self, node: Node) -> Node {
        let used = self.pseudo_used.borrow();
        if used.is_empty() {
            return node;
        }
        mark_scans(node, &|s: &mut Scan| {
            if used.contains(&s.id) {
                s.pseudo = true;
            }
        })
    }
}

/// Applies `f` to every Scan in the tree.
fn mark_scans(node: Node, f: &dyn Fn(&mut Scan)) -> Node {
    match node {
        Node::Scan(mut s) => {
            f(&mut s);
            Node::Scan(s)
        }
        other => other.map_inputs(&mut |n| mark_scans(n, f)),
    }
}

fn star_item(scope: &Scope, i: usize) -> Item {
    let c = &scope.columns[i];
    Item {
        expr: Expr::Column(i, c.ty),
        out: OutputColumn {
            name: c.name.clone(),
            ty: c.ty,
            table_oid: c.table_oid,
            column_id: c.column_id,
        },
    }
}

fn output_scope_column(c: &OutputColumn) -> ScopeColumn {
    ScopeColumn {
        qualifier: None,
        name: c.name.clone(),
        ty: c.ty,
        hidden: false,
        merged: false,
        table_oid: c.table_oid,
        column_id: c.column_id,
        scan_id: None,
    }
}

fn project_if_needed(node: Node, exprs: Vec<Expr>) -> Node {
    let identity = exprs
        .iter()
        .enumerate()
        .all(|(i, e)| matches!(e, Expr::Column(j, _) if *j == i));
    if identity {
        node
    } else {
        Node::Project {
            input: Box::new(node),
            exprs,
        }
    }
}

fn check_duplicate_aliases(l: &Scope, r: &Scope) -> Result<()> {
    for c in &r.columns {
        if let Some(q) = &c.qualifier
            && l.has_qualifier(q)
        {
            return Err(sql_err!(
                SqlState::DUPLICATE_OBJECT,
                "table name \"{}\" specified more than once",
                q
            ));
        }
    }
    Ok(())
}

/// `ORDER BY 2` / `GROUP BY 1`: the 0-based position, if the item is an
/// integer literal.
fn ordinal(e: &ast::Expr) -> Result<Option<usize>> {
    match e {
        ast::Expr::Literal(ast::Literal::Integer(s)) => match s.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Some(n - 1)),
            _ => Err(order_position_error(0)),
        },
        _ => Ok(None),
    }
}

fn order_position_error(n: usize) -> Error {
    sql_err!(
        SqlState::INVALID_COLUMN_REFERENCE,
        "ORDER BY position {} is not in select list",
        n
    )
}

fn bare_name(e: &ast::Expr) -> Option<&str> {
    match e {
        ast::Expr::Column(n) if n.0.len() == 1 => Some(&n.0[0].name),
        _ => None,
    }
}

fn sort_key(expr: Expr, item: &ast::OrderByItem) -> SortKey {
    SortKey {
        expr,
        desc: item.desc,
        nulls_first: item.nulls_first.unwrap_or(item.desc),
    }
}

/// Rewrites an expression bound over the FROM row into one over the
/// Aggregate node's output: GROUP BY expressions become its leading columns,
/// aggregate calls its trailing columns; any other column reference is
/// 42803.
fn group_rewrite(e: Expr, group_by: &[Expr], scope: &Scope) -> Result<Expr> {
    if let Some(i) = group_by.iter().position(|g| *g == e) {
        return Ok(Expr::Column(i, e.ty()));
    }
    match e {
        Expr::AggRef(i, ty) => Ok(Expr::Column(group_by.len() + i, ty)),
        Expr::Column(i, _) => {
            let c = &scope.columns[i];
            let name = match &c.qualifier {
                Some(q) => format!("{q}.{}", c.name),
                None => c.name.clone(),
            };
            Err(sql_err!(
                SqlState::GROUPING_ERROR,
                "column \"{}\" must appear in the GROUP BY clause or be used in an aggregate function",
                name
            ))
        }
        e @ Expr::Const(Value::Null, _) => Ok(e),
        e => e.map_children(&mut |c| group_rewrite(c, group_by, scope)),
    }
}
