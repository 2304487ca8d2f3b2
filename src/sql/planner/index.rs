//! Planning CREATE INDEX and DROP INDEX.
//!
//! An index is over plain columns of one table (expression indexes are
//! refused). Whether its name is free, and PostgreSQL's generated name when
//! none is given, are decided when the statement runs
//! (`executor::ddl`), against the catalog the transaction sees then.
//! ASC/DESC and NULLS FIRST/LAST are accepted and do not change the index:
//! it serves equality and range lookups, which do not depend on its order.

use crate::error::Result;
use crate::error::SqlState;
use crate::sql::parser::ast;
use crate::sql::planner::Planner;
use crate::sql::planner::plan::{CreateIndexPlan, Plan};
use crate::sql_err;

impl Planner<'_> {
    pub(crate) fn plan_create_index(&self, c: &ast::CreateIndex) -> Result<Plan> {
        // PostgreSQL reports a missing table here without a position.
        let table = self.lookup_table(&c.table).map_err(|mut e| {
            if let crate::error::Error::Sql(s) = &mut e {
                s.position = None;
            }
            e
        })?;
        let mut columns = Vec::with_capacity(c.columns.len());
        for item in &c.columns {
            let name = match &item.expr {
                ast::Expr::Column(n) if n.0.len() == 1 => n.base(),
                _ => {
                    return Err(sql_err!(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        "indexes on expressions are not supported yet"
                    ));
                }
            };
            let i = table.schema.column_index(&name.name).ok_or_else(|| {
                sql_err!(
                    SqlState::UNDEFINED_COLUMN,
                    "column \"{}\" does not exist",
                    name.name
                )
            })?;
            columns.push(i);
        }
        if columns.len() > MAX_INDEX_KEYS {
            return Err(sql_err!(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "cannot use more than {} columns in an index",
                MAX_INDEX_KEYS
            ));
        }
        Ok(Plan::CreateIndex(Box::new(CreateIndexPlan {
            table,
            name: c.name.as_ref().map(|n| n.name.clone()),
            columns,
            unique: c.unique,
            if_not_exists: c.if_not_exists,
        })))
    }

    pub(crate) fn plan_drop_index(
        &self,
        names: &[ast::ObjectName],
        if_exists: bool,
    ) -> Result<Plan> {
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            if n.0.len() > 2 || (n.0.len() == 2 && n.0[0].name != "public") {
                return Err(sql_err!(
                    SqlState::INVALID_SCHEMA_NAME,
                    "schema \"{}\" does not exist",
                    n.0[n.0.len() - 2].name
                ));
            }
            out.push(n.base().name.clone());
        }
        Ok(Plan::DropIndex {
            names: out,
            if_exists,
        })
    }
}

/// PostgreSQL's INDEX_MAX_KEYS.
pub const MAX_INDEX_KEYS: usize = 32;
