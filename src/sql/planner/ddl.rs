//! Planning CREATE TABLE, DROP TABLE and TRUNCATE.
//!
//! UNIQUE constraints (column `UNIQUE`, table `UNIQUE (a, b)`) become unique
//! secondary indexes created in the same transaction as the table; their
//! names (`<table>_<col>_key` unless given) are chosen when it runs.

use crate::catalog::{ColumnSchema, TableSchema};
use crate::error::Result;
use crate::error::SqlState;
use crate::sql::parser::ast;
use crate::sql::planner::Planner;
use crate::sql::planner::bind::BindCtx;
use crate::sql::planner::coerce::CoercionKind;
use crate::sql::planner::plan::{Plan, UniqueSpec};
use crate::sql::planner::scope::{Scope, ScopeChain};
use crate::sql::planner::unparse::expr_to_sql;
use crate::sql_err;
use crate::types::DataType;

impl Planner<'_> {
    pub(crate) fn plan_create_table(&self, c: &ast::CreateTable) -> Result<Plan> {
        let base = c.name.base();
        if c.name.0.len() > 2 || (c.name.0.len() == 2 && c.name.0[0].name != "public") {
            return Err(sql_err!(
                SqlState::INVALID_CATALOG_NAME,
                "schema \"{}\" does not exist",
                c.name.0[c.name.0.len() - 2].name
            ));
        }
        if c.as_query.is_some() {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "CREATE TABLE ... AS is not supported yet"
            ));
        }
        let mut columns: Vec<ColumnSchema> = Vec::with_capacity(c.columns.len());
        let mut primary_key: Option<(Vec<usize>, Option<String>)> = None;
        let mut uniques: Vec<UniqueSpec> = Vec::new();
        for (i, def) in c.columns.iter().enumerate() {
            if columns.iter().any(|x| x.name == def.name.name) {
                return Err(sql_err!(
                    SqlState::DUPLICATE_COLUMN,
                    "column \"{}\" specified more than once",
                    def.name.name
                ));
            }
            let ty = self.column_type(&def.ty)?;
            let mut col = ColumnSchema {
                id: i as u32,
                name: def.name.name.clone(),
                ty,
                nullable: true,
                default: None,
            };
            for cons in &def.constraints {
                match cons {
                    ast::ColumnConstraint::NotNull => col.nullable = false,
                    ast::ColumnConstraint::Null => {}
                    ast::ColumnConstraint::Default(e) => {
                        col.default = Some(self.check_default(e, ty)?)
                    }
                    ast::ColumnConstraint::PrimaryKey(name) => {
                        set_primary_key(&mut primary_key, vec![i], name.as_ref(), &base.name)?;
                    }
                    ast::ColumnConstraint::Unique(name) => uniques.push(UniqueSpec {
                        name: name.as_ref().map(|n| n.name.clone()),
                        columns: vec![i],
                    }),
                    other => return Err(unsupported_constraint(other)),
                }
            }
            columns.push(col);
        }
        for cons in &c.constraints {
            match cons {
                ast::TableConstraint::PrimaryKey {
                    name,
                    columns: cols,
                } => {
                    let idx = key_columns(&columns, cols, "primary key")?;
                    set_primary_key(&mut primary_key, idx, name.as_ref(), &base.name)?;
                }
                ast::TableConstraint::Unique {
                    name,
                    columns: cols,
                } => uniques.push(UniqueSpec {
                    name: name.as_ref().map(|n| n.name.clone()),
                    columns: key_columns(&columns, cols, "unique")?,
                }),
                ast::TableConstraint::Check { .. } => {
                    return Err(sql_err!(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        "CHECK constraints are not supported yet"
                    ));
                }
                ast::TableConstraint::ForeignKey { .. } => {
                    return Err(sql_err!(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        "FOREIGN KEY constraints are not supported yet"
                    ));
                }
            }
        }
        let (pk, pkey_name) = primary_key.unwrap_or_default();
        let uniques = without_duplicates(&pk, uniques);
        for &i in &pk {
            columns[i].nullable = false;
        }
        let next_column_id = columns.len() as u32;
        Ok(Plan::CreateTable {
            schema: TableSchema {
                name: base.name.clone(),
                columns,
                primary_key: pk,
                pkey_name,
                next_column_id,
                unique_constraints: Vec::new(),
                view: None,
            },
            uniques,
            if_not_exists: c.if_not_exists,
        })
    }

    fn column_type(&self, t: &ast::TypeName) -> Result<DataType> {
        if t.array {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "array types are not supported yet"
            ));
        }
        if matches!(
            t.name.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
        ) {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "type \"{}\" is not supported yet (sequences come later)",
                t.name
            ));
        }
        match DataType::from_name(&t.name, &t.modifiers)? {
            DataType::Unknown => Err(sql_err!(
                SqlState::INVALID_TABLE_DEFINITION,
                "column cannot be of type unknown"
            )),
            ty => Ok(ty),
        }
    }

    /// Validates a DEFAULT against the column type; returns its SQL text.
    fn check_default(&self, e: &ast::Expr, ty: DataType) -> Result<String> {
        let empty = Scope::default();
        let chain = ScopeChain::root(&empty);
        let bound = self.bind_expr(e, BindCtx::plain(&chain, "DEFAULT expressions"))?;
        if !bound.is_row_independent()
            || bound.any(&|x| matches!(x, crate::sql::planner::Expr::Subquery(..)))
        {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "cannot use column references or subqueries in default expression"
            ));
        }
        let from = bound.ty();
        self.try_coerce(bound, ty, CoercionKind::Assignment)?
            .map_err(|_| {
                sql_err!(
                    SqlState::DATATYPE_MISMATCH,
                    "column is of type {} but default expression is of type {}",
                    ty.format_type(),
                    from.format_type()
                )
            })?;
        Ok(expr_to_sql(e))
    }

    pub(crate) fn plan_truncate(&self, names: &[ast::ObjectName]) -> Result<Plan> {
        let tables = names
            .iter()
            .map(|n| self.lookup_table(n))
            .collect::<Result<Vec<_>>>()?;
        Ok(Plan::Truncate(tables))
    }
}

fn set_primary_key(
    pk: &mut Option<(Vec<usize>, Option<String>)>,
    cols: Vec<usize>,
    name: Option<&ast::Ident>,
    table: &str,
) -> Result<()> {
    if pk.is_some() {
        return Err(sql_err!(
            SqlState::INVALID_TABLE_DEFINITION,
            "multiple primary keys for table \"{}\" are not allowed",
            table
        ));
    }
    let name = name.map_or_else(|| format!("{table}_pkey"), |n| n.name.clone());
    *pk = Some((cols, Some(name)));
    Ok(())
}

/// The positions of a key constraint's columns (`what`: "primary key",
/// "unique"), each named once.
fn key_columns(columns: &[ColumnSchema], names: &[ast::Ident], what: &str) -> Result<Vec<usize>> {
    let mut idx = Vec::with_capacity(names.len());
    for col in names {
        let i = columns
            .iter()
            .position(|x| x.name == col.name)
            .ok_or_else(|| {
                sql_err!(
                    SqlState::UNDEFINED_COLUMN,
                    "column \"{}\" named in key does not exist",
                    col.name
                )
                .with_position(col.pos)
            })?;
        if idx.contains(&i) {
            return Err(sql_err!(
                SqlState::DUPLICATE_COLUMN,
                "column \"{}\" appears twice in {} constraint",
                col.name,
                what
            ));
        }
        idx.push(i);
    }
    Ok(idx)
}

/// Drops UNIQUE constraints over the same columns (in the same order) as
/// the primary key or an earlier UNIQUE constraint, as PostgreSQL does
/// (`a int PRIMARY KEY UNIQUE` makes one index). An unnamed earlier
/// constraint takes the name of a later named duplicate.
fn without_duplicates(pk: &[usize], uniques: Vec<UniqueSpec>) -> Vec<UniqueSpec> {
    let mut out: Vec<UniqueSpec> = Vec::with_capacity(uniques.len());
    for u in uniques {
        if u.columns == pk {
            continue;
        }
        match out.iter_mut().find(|p| p.columns == u.columns) {
            Some(prior) => {
                if prior.name.is_none() {
                    prior.name = u.name;
                }
            }
            None => out.push(u),
        }
    }
    out
}

fn unsupported_constraint(c: &ast::ColumnConstraint) -> crate::error::Error {
    let what = match c {
        ast::ColumnConstraint::Check(..) => "CHECK constraints",
        ast::ColumnConstraint::References { .. } => "FOREIGN KEY constraints",
        ast::ColumnConstraint::Identity { .. } => "identity columns",
        _ => "this constraint",
    };
    sql_err!(
        SqlState::FEATURE_NOT_SUPPORTED,
        "{} are not supported yet",
        what
    )
}
