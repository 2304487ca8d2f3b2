//! The executor: a pull-based (volcano) iterator per plan node.
//!
//! [`build`] turns a [`Node`] tree into a tree of [`RowIter`]s; the caller
//! pulls rows from the root with [`RowIter::next`] until it returns `None`.
//! Each operator lives in its own file. Reads go through a [`Source`]: a
//! snapshot at a committed seq for readers, or the write transaction (which
//! sees its own uncommitted changes). Time-travel reads always go to
//! committed history.

pub mod aggregate;
pub mod ddl;
pub mod distinct;
pub mod eval;
pub mod filter;
pub mod join;
pub mod keyrange;
pub mod limit;
pub mod project;
pub mod project_set;
pub mod scan;
pub mod setop;
pub mod sort;
pub mod spool;
pub mod subquery;
pub mod unique;
pub mod values;
pub mod write;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::cancel::CancelFlag;
use crate::error::{Error, Result};
use crate::sql::functions::FnContext;
use crate::sql::planner::plan::Node;
use crate::storage::{Seq, Storage, WriteTxn};
use crate::types::{Row, Value};

/// Where a statement reads the current state from.
pub enum Source<'a> {
    /// Committed data as of a seq (statements outside a write transaction).
    Snapshot {
        /// The storage engine.
        storage: &'a Storage,
        /// The snapshot.
        seq: Seq,
    },
    /// The write transaction's view: latest committed plus its own changes.
    Txn {
        /// The storage engine (for time travel).
        storage: &'a Storage,
        /// The transaction.
        txn: &'a WriteTxn,
    },
}

impl Source<'_> {
    /// The storage engine.
    pub fn storage(&self) -> &Storage {
        match self {
            Source::Snapshot { storage, .. } | Source::Txn { storage, .. } => storage,
        }
    }

    /// The latest seq readers of committed data see.
    pub fn committed_seq(&self) -> Seq {
        match self {
            Source::Snapshot { seq, .. } => *seq,
            Source::Txn { storage, .. } => storage.visible_seq(),
        }
    }
}

/// Everything operators need while a statement runs.
pub struct ExecContext<'a> {
    /// Where rows come from.
    pub source: Source<'a>,
    /// Bound parameter values.
    pub params: &'a [Value],
    /// Session facts for functions (and the TypeContext).
    pub fns: &'a FnContext,
    /// Set when the statement must stop.
    pub cancel: &'a CancelFlag,
    /// Rows of enclosing queries, innermost last (correlated subqueries).
    outer: RefCell<Vec<Row>>,
    /// Results of uncorrelated subqueries and CTEs, by plan address.
    cache: RefCell<HashMap<usize, Rc<Vec<Row>>>>,
}

impl<'a> ExecContext<'a> {
    /// A context for one statement.
    pub fn new(
        source: Source<'a>,
        params: &'a [Value],
        fns: &'a FnContext,
        cancel: &'a CancelFlag,
    ) -> Self {
        ExecContext {
            source,
            params,
            fns,
            cancel,
            outer: RefCell::new(Vec::new()),
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// The value of column `index` of the row `depth` query levels up.
    pub fn outer_value(&self, depth: usize, index: usize) -> Result<Value> {
        let outer = self.outer.borrow();
        outer
            .len()
            .checked_sub(depth)
            .and_then(|i| outer.get(i))
            .and_then(|r| r.get(index))
            .cloned()
            .ok_or_else(|| Error::Internal(format!("outer reference {depth}.{index} out of range")))
    }

    /// Runs `f` with `row` as the innermost enclosing row.
    pub fn with_outer<T>(&self, row: &[Value], f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.outer.borrow_mut().push(row.to_vec());
        let r = f();
        self.outer.borrow_mut().pop();
        r
    }

    /// All rows of `node`, computed once per statement for a given address
    /// (uncorrelated subqueries and CTEs).
    pub fn cached_rows(&self, key: usize, node: &Node) -> Result<Rc<Vec<Row>>> {
        if let Some(rows) = self.cache.borrow().get(&key) {
            return Ok(rows.clone());
        }
        let rows = Rc::new(collect(build(node, self)?)?);
        self.cache.borrow_mut().insert(key, rows.clone());
        Ok(rows)
    }
}

/// A pull-based row iterator: one per plan node.
pub trait RowIter {
    /// The next row, or `None` when done.
    fn next(&mut self) -> Result<Option<Row>>;
}

/// A boxed operator borrowing the statement's context.
pub type Rows<'c> = Box<dyn RowIter + 'c>;

/// Builds the operator tree for `node`.
pub fn build<'c>(node: &'c Node, cx: &'c ExecContext<'c>) -> Result<Rows<'c>> {
    Ok(match node {
        Node::Scan(s) => scan::build(s, cx)?,
        Node::Values { rows, .. } => Box::new(values::Values::new(rows, cx)),
        Node::Filter { input, predicate } => {
            Box::new(filter::Filter::new(build(input, cx)?, predicate, cx))
        }
        Node::Project { input, exprs } => {
            Box::new(project::Project::new(build(input, cx)?, exprs, cx))
        }
        Node::ProjectSet { input, calls } => {
            Box::new(project_set::ProjectSet::new(build(input, cx)?, calls, cx))
        }
        Node::Aggregate {
            input,
            group_by,
            aggregates,
        } => Box::new(aggregate::Aggregate::new(
            build(input, cx)?,
            group_by,
            aggregates,
            cx,
        )),
        Node::Sort { input, keys } => Box::new(sort::Sort::new(build(input, cx)?, keys, cx)),
        Node::Limit {
            input,
            limit,
            offset,
        } => Box::new(limit::Limit::new(
            build(input, cx)?,
            limit.as_ref(),
            offset.as_ref(),
            cx,
        )?),
        Node::Distinct { input, on } => Box::new(distinct::Distinct::new(build(input, cx)?, *on)),
        Node::Join {
            left,
            right,
            kind,
            on,
            equi,
        } => join::build(
            build(left, cx)?,
            right,
            left.width(),
            right.width(),
            *kind,
            on.as_ref(),
            equi,
            cx,
        )?,
        Node::SetOp {
            kind,
            all,
            left,
            right,
        } => Box::new(setop::SetOp::new(
            build(left, cx)?,
            build(right, cx)?,
            *kind,
            *all,
        )?),
        Node::Materialized(inner, _) => {
            let rows = cx.cached_rows(std::sync::Arc::as_ptr(inner) as usize, inner)?;
            Box::new(values::Replay::new(rows))
        }
    })
}

/// Pulls every row.
pub fn collect(mut rows: Rows<'_>) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(r);
    }
    Ok(out)
}
