//! Planning INSERT, UPDATE and DELETE.
//!
//! INSERT sources are laid out in the table's column order, with DEFAULTs
//! filled in and every value coerced to its column's type; UPDATE and
//! DELETE find their rows with a Scan of the current state whose filter the
//! optimizer may turn into a primary-key lookup.

use crate::catalog::Table;
use crate::error::{Error, Result, SqlState};
use crate::sql::parser::ast;
use crate::sql::planner::Planner;
use crate::sql::planner::bind::BindCtx;
use crate::sql::planner::coerce::CoercionKind;
use crate::sql::planner::expr::Expr;
use crate::sql::planner::naming::column_name;
use crate::sql::planner::plan::{
    Arbiter, InsertPlan, KeyAccess, ModifyPlan, Node, Plan, Scan, TimeSelect,
};
use crate::sql::planner::scope::{Scope, ScopeChain, ScopeColumn};
use crate::sql::planner::select::{OutputColumn, describe};
use crate::sql::session::ColumnDesc;
use crate::sql_err;

/// `SET` assignments: (column position, new value).
type Assignments = Vec<(usize, Expr)>;

impl Planner<'_> {
    pub(crate) fn plan_insert(&self, ins: &ast::Insert) -> Result<Plan> {
        let table = self.target_table(&ins.table, "insert into")?;
        let targets = self.target_columns(&table, &ins.columns)?;
        let source = match &ins.source {
            ast::InsertSource::DefaultValues => {
                let row = self.fill_row(&table, &targets, vec![])?;
                Node::Values {
                    rows: vec![row],
                    width: table.schema.columns.len(),
                }
            }
            ast::InsertSource::Query(q) => match (
                &q.body,
                q.order_by.is_empty()
                    && q.limit.is_none()
                    && q.offset.is_none()
                    && q.with.is_none(),
            ) {
                (ast::QueryBody::Values(rows), true) => {
                    self.insert_values(&table, &targets, rows)?
                }
                _ => self.insert_query(&table, &targets, q)?,
            },
        };
        let qualifier = ins
            .alias
            .as_ref()
            .map_or(table.name().to_string(), |a| a.name.clone());
        let scope = table_scope(&table, &qualifier);
        let (on_conflict_do_nothing, on_conflict_update, arbiters) = match &ins.on_conflict {
            None => (false, None, Vec::new()),
            Some(oc) => self.plan_on_conflict(&table, &scope, oc)?,
        };
        let returning = self.plan_returning(&ins.returning, &scope)?;
        Ok(Plan::Insert(Box::new(InsertPlan {
            table,
            source,
            on_conflict_do_nothing,
            on_conflict_update,
            arbiters,
            returning,
        })))
    }

    /// The column positions an INSERT names (all columns when none named).
    fn target_columns(&self, table: &Table, cols: &[ast::Ident]) -> Result<Vec<usize>> {
        if cols.is_empty() {
            return Ok((0..table.schema.columns.len()).collect());
        }
        let mut out = Vec::with_capacity(cols.len());
        for c in cols {
            let i = self.column_of(table, c)?;
            if out.contains(&i) {
                return Err(sql_err!(
                    SqlState::DUPLICATE_COLUMN,
                    "column \"{}\" specified more than once",
                    c.name
                )
                .with_position(c.pos));
            }
            out.push(i);
        }
        Ok(out)
    }

    /// A column of the target table by name (42703 worded for DML targets).
    fn column_of(&self, table: &Table, c: &ast::Ident) -> Result<usize> {
        table.schema.column_index(&c.name).ok_or_else(|| {
            sql_err!(
                SqlState::UNDEFINED_COLUMN,
                "column \"{}\" of relation \"{}\" does not exist",
                c.name,
                table.name()
            )
            .with_position(c.pos)
        })
    }

    fn insert_values(
        &self,
        table: &Table,
        targets: &[usize],
        rows: &[Vec<ast::Expr>],
    ) -> Result<Node> {
        let empty = Scope::default();
        let chain = ScopeChain::root(&empty);
        let cx = BindCtx::plain(&chain, "VALUES");
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            check_arity(row.len(), targets.len())?;
            let mut values = Vec::with_capacity(row.len());
            for (e, &col) in row.iter().zip(targets) {
                values.push(match e {
                    ast::Expr::Default => None,
                    e => Some(self.assign_to(table, col, self.bind_expr(e, cx)?)?),
                });
            }
            out.push(self.fill_row(table, targets, values)?);
        }
        Ok(Node::Values {
            rows: out,
            width: table.schema.columns.len(),
        })
    }

    fn insert_query(&self, table: &Table, targets: &[usize], q: &ast::Query) -> Result<Node> {
        let (node, cols) = self.plan_query(q, None)?;
        let node = self.mark_pseudo(node);
        check_arity(cols.len(), targets.len())?;
        let mut values = Vec::with_capacity(cols.len());
        for (i, (c, &col)) in cols.iter().zip(targets).enumerate() {
            values.push(Some(self.assign_to(table, col, Expr::Column(i, c.ty))?));
        }
        // Fewer source columns than targets: the rest take their defaults.
        let exprs = self.fill_row(table, &targets[..cols.len()], values)?;
        Ok(Node::Project {
            input: Box::new(node),
            exprs,
        })
    }

    /// A full table row: the given values at `targets`, defaults elsewhere
    /// (`None` in `values` means DEFAULT).
    fn fill_row(
        &self,
        table: &Table,
        targets: &[usize],
        values: Vec<Option<Expr>>,
    ) -> Result<Vec<Expr>> {
        let mut row: Vec<Option<Expr>> = vec![None; table.schema.columns.len()];
        for (&col, v) in targets.iter().zip(values) {
            row[col] = v;
        }
        row.into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Some(e) => Ok(e),
                None => self.default_for(table, i),
            })
            .collect()
    }

    /// The DEFAULT of column `i` (NULL when none), bound and coerced.
    pub(crate) fn default_for(&self, table: &Table, i: usize) -> Result<Expr> {
        let col = &table.schema.columns[i];
        let Some(text) = &col.default else {
            return Ok(Expr::null(col.ty));
        };
        let ast = parse_expr(text)?;
        let empty = Scope::default();
        let chain = ScopeChain::root(&empty);
        let e = self.bind_expr(&ast, BindCtx::plain(&chain, "DEFAULT expressions"))?;
        self.assign_to(table, i, e)
    }

    /// Coerces a value for column `col` (assignment rules, PostgreSQL's message).
    pub(crate) fn assign_to(&self, table: &Table, col: usize, e: Expr) -> Result<Expr> {
        let c = &table.schema.columns[col];
        let from = e.ty();
        self.try_coerce(e, c.ty, CoercionKind::Assignment)?
            .map_err(|_| {
                sql_err!(
                    SqlState::DATATYPE_MISMATCH,
                    "column \"{}\" is of type {} but expression is of type {}",
                    c.name,
                    c.ty.format_type(),
                    from.format_type()
                )
                .with_hint("You will need to rewrite or cast the expression.")
            })
    }

    fn plan_on_conflict(
        &self,
        table: &Table,
        scope: &Scope,
        oc: &ast::OnConflict,
    ) -> Result<(bool, Option<Assignments>, Vec<Arbiter>)> {
        let arbiters = if !oc.columns.is_empty() {
            let cols = oc
                .columns
                .iter()
                .map(|c| self.column_of(table, c))
                .collect::<Result<Vec<_>>>()?;
            let arbiters = self.arbiters(table, Some(&cols))?;
            if arbiters.is_empty() {
                return Err(sql_err!(
                    SqlState::INVALID_COLUMN_REFERENCE,
                    "there is no unique or exclusion constraint matching the ON CONFLICT specification"
                ));
            }
            arbiters
        } else if !oc.assignments.is_empty() {
            return Err(sql_err!(
                SqlState::SYNTAX_ERROR,
                "ON CONFLICT DO UPDATE requires inference specification or constraint name"
            )
            .with_hint("For example, ON CONFLICT (column_name)."));
        } else {
            self.arbiters(table, None)?
        };
        if oc.assignments.is_empty() {
            return Ok((true, None, arbiters));
        }
        let mut both = scope.clone();
        for (i, c) in table.schema.columns.iter().enumerate() {
            both.columns.push(ScopeColumn {
                qualifier: Some("excluded".into()),
                name: c.name.clone(),
                ty: c.ty,
                hidden: false,
                merged: false,
                table_oid: table.oid(),
                column_id: (i + 1) as i16,
                scan_id: None,
            });
        }
        let sets = self.bind_assignments(table, &both, &oc.assignments)?;
        if oc.selection.is_some() {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "ON CONFLICT DO UPDATE ... WHERE is not supported yet"
            ));
        }
        Ok((false, Some(sets), arbiters))
    }

    /// The unique keys (primary key, unique indexes) whose columns are
    /// exactly `target` in any order, as PostgreSQL infers ON CONFLICT
    /// arbiters; every unique key when there is no target.
    fn arbiters(&self, table: &Table, target: Option<&[usize]>) -> Result<Vec<Arbiter>> {
        let same = |cols: &[usize]| {
            target.is_none_or(|t| {
                let (mut a, mut b) = (cols.to_vec(), t.to_vec());
                a.sort_unstable();
                a.dedup();
                b.sort_unstable();
                b.dedup();
                a == b
            })
        };
        let mut out = Vec::new();
        let pk = &table.schema.primary_key;
        if !pk.is_empty() && same(pk) {
            out.push(Arbiter::PrimaryKey);
        }
        for i in self.catalog.indexes(table.id)? {
            if i.unique && same(&i.columns) {
                out.push(Arbiter::Index(i.id));
            }
        }
        Ok(out)
    }

    fn bind_assignments(
        &self,
        table: &Table,
        scope: &Scope,
        sets: &[ast::Assignment],
    ) -> Result<Vec<(usize, Expr)>> {
        let chain = ScopeChain::root(scope);
        let cx = BindCtx::plain(&chain, "UPDATE");
        let mut out: Vec<(usize, Expr)> = Vec::with_capacity(sets.len());
        for a in sets {
            let col = self.column_of(table, &a.column)?;
            if out.iter().any(|(c, _)| *c == col) {
                return Err(sql_err!(
                    SqlState::SYNTAX_ERROR,
                    "multiple assignments to same column \"{}\"",
                    a.column.name
                ));
            }
            let value = match &a.value {
                ast::Expr::Default => self.default_for(table, col)?,
                e => self.assign_to(table, col, self.bind_expr(e, cx)?)?,
            };
            out.push((col, value));
        }
        Ok(out)
    }

    fn plan_returning(
        &self,
        items: &[ast::SelectItem],
        scope: &Scope,
    ) -> Result<Option<(Vec<Expr>, Vec<ColumnDesc>)>> {
        if items.is_empty() {
            return Ok(None);
        }
        let chain = ScopeChain::root(scope);
        let cx = BindCtx::plain(&chain, "RETURNING");
        let mut exprs = Vec::new();
        let mut cols = Vec::new();
        for item in items {
            match item {
                ast::SelectItem::Wildcard { .. } | ast::SelectItem::QualifiedWildcard(_) => {
                    for i in scope.star(None) {
                        let c = &scope.columns[i];
                        exprs.push(Expr::Column(i, c.ty));
                        cols.push(OutputColumn {
                            name: c.name.clone(),
                            ty: c.ty,
                            table_oid: c.table_oid,
                            column_id: c.column_id,
                        });
                    }
                }
                ast::SelectItem::Expr { expr, alias } => {
                    let e = self.resolve_unknown(self.bind_expr(expr, cx)?)?;
                    let (table_oid, column_id) = match &e {
                        Expr::Column(i, _) => {
                            (scope.columns[*i].table_oid, scope.columns[*i].column_id)
                        }
                        _ => (0, 0),
                    };
                    cols.push(OutputColumn {
                        name: alias
                            .as_ref()
                            .map_or_else(|| column_name(expr), |a| a.name.clone()),
                        ty: e.ty(),
                        table_oid,
                        column_id,
                    });
                    exprs.push(e);
                }
            }
        }
        Ok(Some((exprs, describe(&cols))))
    }

    pub(crate) fn plan_update(&self, u: &ast::Update) -> Result<Plan> {
        if !u.from.is_empty() {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "UPDATE ... FROM is not supported yet"
            ));
        }
        let table = self.target_table(&u.table, "update")?;
        let qualifier = u
            .alias
            .as_ref()
            .map_or(table.name().to_string(), |a| a.name.clone());
        let scope = table_scope(&table, &qualifier);
        let assignments = self.bind_assignments(&table, &scope, &u.assignments)?;
        let scan = self.modify_scan(&table, &scope, u.selection.as_ref())?;
        let returning = self.plan_returning(&u.returning, &scope)?;
        Ok(Plan::Update(Box::new(ModifyPlan {
            table,
            scan,
            assignments,
            returning,
        })))
    }

    pub(crate) fn plan_delete(&self, d: &ast::Delete) -> Result<Plan> {
        if !d.using.is_empty() {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "DELETE ... USING is not supported yet"
            ));
        }
        let table = self.target_table(&d.table, "delete from")?;
        let qualifier = d
            .alias
            .as_ref()
            .map_or(table.name().to_string(), |a| a.name.clone());
        let scope = table_scope(&table, &qualifier);
        let scan = self.modify_scan(&table, &scope, d.selection.as_ref())?;
        let returning = self.plan_returning(&d.returning, &scope)?;
        Ok(Plan::Delete(Box::new(ModifyPlan {
            table,
            scan,
            assignments: vec![],
            returning,
        })))
    }

    fn modify_scan(
        &self,
        table: &Table,
        scope: &Scope,
        selection: Option<&ast::Expr>,
    ) -> Result<Scan> {
        let chain = ScopeChain::root(scope);
        let filter = selection
            .map(|w| self.bind_bool(w, BindCtx::plain(&chain, "WHERE"), "WHERE"))
            .transpose()?;
        Ok(Scan {
            table: table.clone(),
            time: TimeSelect::Current,
            access: KeyAccess::Full,
            indexes: self.table_indexes(table)?,
            filter,
            pseudo: false,
            id: self.scan_id(),
        })
    }
}

/// The scope of a DML target: its columns under `qualifier` (no pseudo-columns).
fn table_scope(table: &Table, qualifier: &str) -> Scope {
    let qualifier: std::rc::Rc<str> = qualifier.into();
    Scope {
        columns: table
            .schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| ScopeColumn {
                qualifier: Some(qualifier.clone()),
                name: c.name.clone(),
                ty: c.ty,
                hidden: false,
                merged: false,
                table_oid: table.oid(),
                column_id: (i + 1) as i16,
                scan_id: None,
            })
            .collect(),
    }
}

fn check_arity(exprs: usize, targets: usize) -> Result<()> {
    if exprs > targets {
        return Err(sql_err!(
            SqlState::SYNTAX_ERROR,
            "INSERT has more expressions than target columns"
        ));
    }
    if exprs < targets {
        return Err(sql_err!(
            SqlState::SYNTAX_ERROR,
            "INSERT has more target columns than expressions"
        ));
    }
    Ok(())
}

/// Parses a stored expression (a column DEFAULT).
pub(crate) fn parse_expr(text: &str) -> Result<ast::Expr> {
    let stmts = crate::sql::parser::parse(&format!("SELECT {text}"))?;
    if let [ast::Statement::Query(q)] = stmts.as_slice()
        && let ast::QueryBody::Select(s) = &q.body
        && let [ast::SelectItem::Expr { expr, .. }] = s.items.as_slice()
    {
        return Ok(expr.clone());
    }
    Err(Error::Internal(format!(
        "stored expression does not parse: {text}"
    )))
}
