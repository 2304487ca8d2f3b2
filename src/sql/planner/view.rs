//! Views: CREATE [OR REPLACE] VIEW, DROP VIEW, and views in FROM.
//!
//! A view is a catalog entry whose schema carries the defining query's text
//! (`TableSchema::view`) and its output columns. Where a view is used, its
//! text is parsed and planned as a subquery, so it always reads the current
//! definitions of the tables below it. `FROM v FOR SYSTEM_TIME AS OF x`
//! applies the time to every table reference inside the view that has no
//! clause of its own: a view of the past is the view over the past.

use crate::catalog::{ColumnSchema, Table, TableSchema};
use crate::error::{Result, SqlState};
use crate::sql::parser::{self, ast};
use crate::sql::planner::Planner;
use crate::sql::planner::plan::{Node, Plan};
use crate::sql::planner::scope::{Scope, ScopeColumn};
use crate::sql_err;
use crate::types::DataType;

impl Planner<'_> {
    /// CREATE [OR REPLACE] VIEW name [(cols)] AS query.
    pub(crate) fn plan_create_view(
        &self,
        name: &ast::ObjectName,
        columns: &[ast::Ident],
        query: &ast::Query,
        query_text: &str,
        or_replace: bool,
    ) -> Result<Plan> {
        let (_, outputs) = self.plan_query(query, None)?;
        if columns.len() > outputs.len() {
            return Err(sql_err!(
                SqlState::SYNTAX_ERROR,
                "CREATE VIEW specifies more column names than columns"
            ));
        }
        let mut cols: Vec<ColumnSchema> = Vec::with_capacity(outputs.len());
        for (i, out) in outputs.iter().enumerate() {
            let name = columns.get(i).map_or(out.name.clone(), |c| c.name.clone());
            if cols.iter().any(|c| c.name == name) {
                return Err(sql_err!(
                    SqlState::DUPLICATE_COLUMN,
                    "column \"{}\" specified more than once",
                    name
                ));
            }
            let ty = match out.ty {
                DataType::Unknown => DataType::Text,
                t => t,
            };
            cols.push(ColumnSchema {
                id: i as u32,
                name,
                ty,
                nullable: true,
                default: None,
            });
        }
        let next_column_id = cols.len() as u32;
        Ok(Plan::CreateView {
            schema: TableSchema {
                name: name.base().name.clone(),
                columns: cols,
                primary_key: vec![],
                pkey_name: None,
                next_column_id,
                unique_constraints: vec![],
                view: Some(query_text.to_string()),
            },
            or_replace,
        })
    }

    /// DROP TABLE / DROP VIEW: every name must be a relation of that kind.
    pub(crate) fn plan_drop_relations(
        &self,
        names: &[ast::ObjectName],
        if_exists: bool,
        views: bool,
    ) -> Result<Plan> {
        let (what, other, hint) = if views {
            ("view", "table", "Use DROP TABLE to remove a table.")
        } else {
            ("table", "view", "Use DROP VIEW to remove a view.")
        };
        let mut tables: Vec<Table> = Vec::new();
        let mut missing = Vec::new();
        for n in names {
            match self.lookup_table(n) {
                Ok(t) if t.schema.view.is_some() != views => {
                    return Err(sql_err!(
                        SqlState::WRONG_OBJECT_TYPE,
                        "\"{}\" is not a {}",
                        t.name(),
                        what
                    )
                    .with_hint(hint));
                }
                Ok(t) => {
                    if !tables.iter().any(|x| x.id == t.id) {
                        tables.push(t);
                    }
                }
                Err(e) if e.sqlstate() == SqlState::UNDEFINED_TABLE && if_exists => {
                    missing.push(n.base().name.clone());
                }
                Err(e) if e.sqlstate() == SqlState::UNDEFINED_TABLE => {
                    return Err(sql_err!(
                        SqlState::UNDEFINED_TABLE,
                        "{} \"{}\" does not exist",
                        what,
                        n.base().name
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        let _ = other;
        Ok(Plan::DropTable {
            tables,
            missing,
            views,
        })
    }

    /// A view used in FROM: its query planned as a subquery, with the
    /// view's column names, and `system_time` applied to the tables inside.
    pub(crate) fn plan_view_ref(
        &self,
        view: &Table,
        system_time: Option<&ast::SystemTime>,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Node, Scope)> {
        let text = view.schema.view.as_deref().unwrap_or_default();
        let query = parse_view(text, view.name())?;
        let time = system_time
            .cloned()
            .or_else(|| self.view_time.borrow().clone());
        let saved = self.view_time.replace(time);
        // The view's names resolve in the catalog, never in the CTEs of the
        // query that uses it.
        let ctes = self.ctes.take();
        let planned = self.plan_query(&query, None);
        self.ctes.replace(ctes);
        self.view_time.replace(saved);
        let (node, outputs) = planned.map_err(|e| {
            e.with_hint(format!(
                "The definition of view \"{}\" no longer matches the tables it reads.",
                view.name()
            ))
        })?;
        let qualifier: std::rc::Rc<str> =
            alias.map_or(view.name(), |a| a.name.name.as_str()).into();
        let mut scope = Scope::default();
        for (i, (col, out)) in view.schema.columns.iter().zip(&outputs).enumerate() {
            scope.columns.push(ScopeColumn {
                qualifier: Some(qualifier.clone()),
                name: alias
                    .and_then(|a| a.columns.get(i))
                    .map_or(col.name.clone(), |a| a.name.clone()),
                ty: out.ty,
                hidden: false,
                merged: false,
                table_oid: view.oid(),
                column_id: (i + 1) as i16,
                scan_id: None,
            });
        }
        Ok((self.mark_pseudo(node), scope))
    }
}

impl Planner<'_> {
    /// The target table of INSERT/UPDATE/DELETE (`verb`): views are
    /// read-only.
    pub(crate) fn target_table(&self, name: &ast::ObjectName, verb: &str) -> Result<Table> {
        let t = self.lookup_table(name)?;
        if t.schema.view.is_some() {
            return Err(sql_err!(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "cannot {} view \"{}\"",
                verb,
                t.name()
            )
            .with_detail("Views in DriftDB are read-only."));
        }
        Ok(t)
    }
}

/// Parses a view's stored query text.
fn parse_view(text: &str, name: &str) -> Result<ast::Query> {
    match parser::parse(text)?.pop() {
        Some(ast::Statement::Query(q)) => Ok(*q),
        _ => Err(crate::error::Error::corrupted(
            "catalog",
            0,
            format!("the definition of view \"{name}\" is not a query"),
        )),
    }
}
