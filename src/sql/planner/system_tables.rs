//! System catalog names in FROM: `pg_catalog.pg_class`,
//! `information_schema.columns`, or an unqualified `pg_*` name that is not
//! a user table (user tables come first, then `pg_catalog`, as a search path
//! of `public, pg_catalog` finds them). The rows are generated from the
//! statement's catalog snapshot (`sql::system`) and planned as constant
//! `Values`: they cannot change while the statement runs.

use crate::error::Result;
use crate::sql::parser::ast;
use crate::sql::planner::Planner;
use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::Node;
use crate::sql::planner::scope::{Scope, ScopeColumn};
use crate::sql::system::{self, SystemTable};
use crate::sql_err;

impl Planner<'_> {
    /// The system table `name` refers to, if it refers to one.
    pub(crate) fn system_table(
        &self,
        name: &ast::ObjectName,
    ) -> Result<Option<&'static SystemTable>> {
        match name.0.as_slice() {
            [schema, table]
                if matches!(schema.name.as_str(), "pg_catalog" | "information_schema") =>
            {
                Ok(system::lookup(Some(&schema.name), &table.name))
            }
            [table] if table.name.starts_with("pg_") => match system::lookup(None, &table.name) {
                Some(t) if self.catalog.table(&table.name)?.is_none() => Ok(Some(t)),
                _ => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// Plans a system table as the constant rows it has for this statement.
    pub(crate) fn plan_system_table(
        &self,
        table: &'static SystemTable,
        system_time: Option<&ast::SystemTime>,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Node, Scope)> {
        if system_time.is_some() {
            return Err(sql_err!(
                crate::error::SqlState::FEATURE_NOT_SUPPORTED,
                "FOR SYSTEM_TIME is not supported for system catalog \"{}\"",
                table.name
            ));
        }
        let rows = (table.rows)(&*self.catalog.snapshot()?)?;
        let rows = rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .zip(table.columns)
                    .map(|(v, (_, ty))| Expr::Const(v, *ty))
                    .collect()
            })
            .collect();
        let qualifier: std::rc::Rc<str> = alias.map_or(table.name, |a| a.name.name.as_str()).into();
        let mut scope = Scope::default();
        for (i, (name, ty)) in table.columns.iter().enumerate() {
            let name = alias
                .and_then(|a| a.columns.get(i))
                .map_or(name.to_string(), |a| a.name.clone());
            scope.columns.push(ScopeColumn {
                qualifier: Some(qualifier.clone()),
                name,
                ty: *ty,
                hidden: false,
                merged: false,
                table_oid: table.oid,
                column_id: i16::try_from(i + 1).unwrap_or(i16::MAX),
                scan_id: None,
            });
        }
        let width = table.columns.len();
        Ok((Node::Values { rows, width }, scope))
    }
}
