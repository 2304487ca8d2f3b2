//! The planner: binds an `ast::Statement` against the catalog and produces a
//! [`Plan`].
//!
//! Binding resolves names (through [`scope`]), types every expression,
//! coerces untyped literals and parameters to the type their context wants
//! ([`coerce`]), resolves functions, and lays out the query tree ([`select`],
//! [`dml`], [`ddl`]). Errors carry PostgreSQL's SQLSTATE, wording and, for
//! names, the cursor position.

pub mod bind;
pub mod bind_catalog;
pub mod coerce;
pub mod ddl;
pub mod dml;
pub mod explain;
pub mod expr;
pub mod index;
pub mod naming;
pub mod plan;
pub mod scope;
pub mod select;
pub mod set_functions;
pub mod system_tables;
pub mod unparse;
pub mod view;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::sync::Arc;

use crate::catalog::Table;
use crate::error::{Error, Result};
use crate::sql::parser::ast;
use crate::types::{DataType, TypeContext};

pub use expr::Expr;
pub use plan::{Node, Plan};

/// How the planner sees tables: by name, as the statement's transaction sees
/// them.
pub trait Catalog {
    /// The table called `name`, if it exists.
    fn table(&self, name: &str) -> Result<Option<Table>>;

    /// The secondary indexes of a table, in creation (id) order.
    fn indexes(&self, table: crate::storage::TableId) -> Result<Vec<crate::storage::IndexMeta>>;

    /// What the system catalogs describe (every table, the user, the
    /// database), for `pg_catalog` and `information_schema` names.
    fn snapshot(&self) -> Result<Arc<crate::sql::system::CatalogSnapshot>>;
}

/// A common table expression already planned, visible by name.
#[derive(Debug, Clone)]
struct CteDef {
    name: String,
    plan: Arc<Node>,
    columns: Vec<select::OutputColumn>,
}

/// Plans one statement. See the module docs.
pub struct Planner<'a> {
    catalog: &'a dyn Catalog,
    ctx: &'a TypeContext,
    /// Parameter types: given by the client or inferred (Unknown until then).
    params: RefCell<Vec<DataType>>,
    next_scan_id: Cell<usize>,
    /// Scans whose pseudo-columns are referenced.
    pseudo_used: RefCell<HashSet<usize>>,
    /// One entry per subquery being planned: does it refer to an enclosing query?
    correlation: RefCell<Vec<bool>>,
    ctes: RefCell<Vec<CteDef>>,
    /// Per select list being bound (innermost last): its input's width and
    /// the set-returning calls found in it (`set_functions`).
    srf_levels: RefCell<Vec<(usize, Vec<plan::SetCall>)>>,
    /// FOR SYSTEM_TIME of the view being expanded: applies to the table
    /// references inside it that have no clause of their own.
    view_time: RefCell<Option<ast::SystemTime>>,
}

impl<'a> Planner<'a> {
    /// A planner over `catalog`, with the parameter types the client declared
    /// (`Unknown` where it left them to be inferred).
    pub fn new(catalog: &'a dyn Catalog, ctx: &'a TypeContext, params: Vec<DataType>) -> Self {
        Planner {
            catalog,
            ctx,
            params: RefCell::new(params),
            next_scan_id: Cell::new(0),
            pseudo_used: RefCell::new(HashSet::new()),
            correlation: RefCell::new(Vec::new()),
            ctes: RefCell::new(Vec::new()),
            srf_levels: RefCell::new(Vec::new()),
            view_time: RefCell::new(None),
        }
    }

    /// Plans a statement (queries, DML, DDL, EXPLAIN; transaction control
    /// and settings are the session's business).
    pub fn plan(&self, stmt: &ast::Statement) -> Result<Plan> {
        let plan = match stmt {
            ast::Statement::Query(q) => {
                let (root, cols) = self.plan_query(q, None)?;
                let root = self.mark_pseudo(root);
                Plan::Query {
                    root,
                    columns: select::describe(&cols),
                }
            }
            ast::Statement::Insert(i) => self.plan_insert(i)?,
            ast::Statement::Update(u) => self.plan_update(u)?,
            ast::Statement::Delete(d) => self.plan_delete(d)?,
            ast::Statement::CreateTable(c) => self.plan_create_table(c)?,
            ast::Statement::DropTable { names, if_exists } => {
                self.plan_drop_relations(names, *if_exists, false)?
            }
            ast::Statement::Truncate(names) => self.plan_truncate(names)?,
            ast::Statement::CreateIndex(c) => self.plan_create_index(c)?,
            ast::Statement::DropIndex { names, if_exists } => {
                self.plan_drop_index(names, *if_exists)?
            }
            ast::Statement::Explain { statement, .. } => {
                let inner = self.plan(statement)?;
                Plan::Explain(explain::render(&crate::sql::optimizer::optimize(inner)?))
            }
            ast::Statement::CreateView {
                name,
                columns,
                query,
                query_text,
                or_replace,
            } => self.plan_create_view(name, columns, query, query_text, *or_replace)?,
            ast::Statement::DropView { names, if_exists } => {
                self.plan_drop_relations(names, *if_exists, true)?
            }
            other => {
                return Err(Error::Internal(format!(
                    "statement is not planned: {other:?}"
                )));
            }
        };
        Ok(plan)
    }

    /// The parameter types after planning: inferred where possible, text
    /// where nothing constrained them (as PostgreSQL does).
    pub fn param_types(&self) -> Vec<DataType> {
        self.params
            .borrow()
            .iter()
            .map(|t| match t {
                DataType::Unknown => DataType::Text,
                t => *t,
            })
            .collect()
    }

    /// The secondary indexes of a table, for its scans' access paths.
    fn table_indexes(&self, table: &Table) -> Result<Arc<[crate::storage::IndexMeta]>> {
        Ok(self.catalog.indexes(table.id)?.into())
    }

    /// A fresh scan id.
    fn scan_id(&self) -> usize {
        let id = self.next_scan_id.get();
        self.next_scan_id.set(id + 1);
        id
    }
}
