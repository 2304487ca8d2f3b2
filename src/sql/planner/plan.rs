//! Plans: the planner's output and the optimizer's and executor's input.
//!
//! A [`Plan`] is one statement. Queries carry a tree of [`Node`]s, pulled
//! row by row by the executor (volcano style):
//!
//! ```text
//!   SELECT k, count(*) FROM t WHERE v > 1 GROUP BY k ORDER BY k LIMIT 5
//!
//!   Limit 5
//!   └─ Sort [#0]
//!      └─ Project [#0, #1]
//!         └─ Aggregate group [#0] aggs [count(*)]
//!            └─ Scan t (current) filter #1 > 1
//! ```
//!
//! Every node produces rows of a fixed width; expressions above a node refer
//! to its output columns by position.

use std::sync::Arc;

use crate::catalog::{Table, TableSchema};
use crate::sql::functions::AggFunc;
use crate::sql::planner::expr::Expr;
use crate::sql::session::ColumnDesc;
use crate::storage::IndexMeta;
use crate::types::DataType;

/// Which versions of a table a scan reads.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeSelect {
    /// The current state (as the transaction sees it).
    Current,
    /// `AS OF` a point.
    AsOf(TimeBound),
    /// `FROM a TO b`: versions with start < b and end > a.
    FromTo(TimeBound, TimeBound),
    /// `BETWEEN a AND b`: versions with start ≤ b and end > a.
    Between(TimeBound, TimeBound),
    /// `ALL`: every version.
    All,
}

/// A point in system time, resolved to a seq when the statement runs.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeBound {
    /// `@SEQ:N`
    Seq(u64),
    /// A row-independent expression of type timestamptz.
    Time(Expr),
}

/// How a scan reaches its rows.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyAccess {
    /// Every row.
    Full,
    /// Through the primary key (the order rows are stored in).
    Primary(KeyLookup),
    /// Through a secondary index.
    Index {
        /// The index (its columns are row positions of the table).
        index: IndexMeta,
        /// What to look up in it.
        lookup: KeyLookup,
    },
}

/// A lookup through an ordered key (the primary key or a secondary index):
/// equalities or IN lists on its leading columns, then at most one range on
/// the next column. Every expression is row-independent.
///
/// ```text
///   index (a, b, c)     WHERE a = 1 AND b IN (2, 3) AND c > 4
///   prefix [[1], [2, 3]]   lower (4, exclusive)
///   reads  [a=1,b=2,c>4] then [a=1,b=3,c>4]: one key range per combination
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KeyLookup {
    /// One entry per leading key column: the values it may equal (one for
    /// `=`, several for `IN`).
    pub prefix: Vec<Vec<Expr>>,
    /// Lower bound on the key column after the prefix, and whether it is
    /// inclusive.
    pub lower: Option<(Expr, bool)>,
    /// Upper bound on that column, and whether it is inclusive.
    pub upper: Option<(Expr, bool)>,
    /// The filter conjuncts this lookup implements (EXPLAIN shows them as
    /// the index condition; they stay in the filter all the same).
    pub conds: Vec<Expr>,
}

impl KeyLookup {
    /// True when the lookup narrows nothing.
    pub fn is_empty(&self) -> bool {
        self.prefix.is_empty() && self.lower.is_none() && self.upper.is_none()
    }

    /// The number of point combinations the prefix expands to.
    pub fn combinations(&self) -> usize {
        self.prefix
            .iter()
            .fold(1usize, |n, alts| n.saturating_mul(alts.len()))
    }
}

/// A table scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// The table.
    pub table: Table,
    /// Which versions.
    pub time: TimeSelect,
    /// Key access path (the optimizer turns key predicates into it).
    pub access: KeyAccess,
    /// The table's secondary indexes as the statement's transaction sees
    /// them: the access paths the optimizer may choose from.
    pub indexes: Arc<[IndexMeta]>,
    /// Filter applied to each row (pushed down by the optimizer).
    pub filter: Option<Expr>,
    /// True when the query reads the system-time pseudo-columns, so the scan
    /// must read versions with their periods.
    pub pseudo: bool,
    /// Identifies the scan within its statement.
    pub id: usize,
}

impl Scan {
    /// Output width: the table's columns plus the four pseudo-columns
    /// (`system_time_start`, `system_time_end`, `system_seq_start`,
    /// `system_seq_end`), which are NULL unless `pseudo` is set.
    pub fn width(&self) -> usize {
        self.table.schema.columns.len() + PSEUDO_COLUMNS.len()
    }
}

/// The system-time pseudo-columns every table reference exposes, by name and
/// type. They are selected by name and never part of `*`.
pub const PSEUDO_COLUMNS: [(&str, DataType); 4] = [
    ("system_time_start", DataType::Timestamptz),
    ("system_time_end", DataType::Timestamptz),
    ("system_seq_start", DataType::Int8),
    ("system_seq_end", DataType::Int8),
];

/// One aggregate call in an Aggregate node.
#[derive(Debug, Clone, PartialEq)]
pub struct AggCall {
    /// The aggregate.
    pub func: AggFunc,
    /// Arguments (over the Aggregate node's input).
    pub args: Vec<Expr>,
    /// DISTINCT.
    pub distinct: bool,
    /// FILTER (WHERE ...).
    pub filter: Option<Expr>,
    /// Result type.
    pub ty: DataType,
}

/// A sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The key expression (over the Sort node's input).
    pub expr: Expr,
    /// Descending.
    pub desc: bool,
    /// NULLs first.
    pub nulls_first: bool,
}

/// Join kinds the executor implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    /// Inner join (also CROSS JOIN, with no condition).
    Inner,
    /// LEFT OUTER JOIN.
    Left,
    /// RIGHT OUTER JOIN.
    Right,
    /// FULL OUTER JOIN.
    Full,
}

/// Set operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    /// UNION
    Union,
    /// INTERSECT
    Intersect,
    /// EXCEPT
    Except,
}

/// A node of a query plan tree. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Reads a table.
    Scan(Box<Scan>),
    /// Literal rows (`VALUES`, or one empty row for SELECT without FROM).
    Values {
        /// The rows; each expression is row-independent.
        rows: Vec<Vec<Expr>>,
        /// The output width.
        width: usize,
    },
    /// Keeps rows for which the predicate is true.
    Filter {
        /// Input.
        input: Box<Node>,
        /// Predicate over the input row.
        predicate: Expr,
    },
    /// Computes new columns.
    Project {
        /// Input.
        input: Box<Node>,
        /// One expression per output column.
        exprs: Vec<Expr>,
    },
    /// Groups and aggregates. Output: group values, then aggregate results.
    Aggregate {
        /// Input.
        input: Box<Node>,
        /// GROUP BY expressions.
        group_by: Vec<Expr>,
        /// Aggregates.
        aggregates: Vec<AggCall>,
    },
    /// Sorts.
    Sort {
        /// Input.
        input: Box<Node>,
        /// Keys, most significant first.
        keys: Vec<SortKey>,
    },
    /// OFFSET then LIMIT.
    Limit {
        /// Input.
        input: Box<Node>,
        /// LIMIT (row-independent), `None` for no limit.
        limit: Option<Expr>,
        /// OFFSET (row-independent), `None` for zero.
        offset: Option<Expr>,
    },
    /// Removes duplicate rows (all columns, or the first `on` columns for
    /// DISTINCT ON, keeping the first row of each group).
    Distinct {
        /// Input.
        input: Box<Node>,
        /// Number of leading columns that form the key; `None` = all.
        on: Option<usize>,
    },
    /// Joins two inputs; output = left columns then right columns.
    Join {
        /// Left input.
        left: Box<Node>,
        /// Right input.
        right: Box<Node>,
        /// Join type.
        kind: JoinType,
        /// Join condition over the concatenated row (`None` = always true).
        on: Option<Expr>,
        /// Equi-join keys (left expr over left row, right expr over right
        /// row) found by the optimizer; when present a hash join is used.
        equi: Vec<(Expr, Expr)>,
    },
    /// UNION / INTERSECT / EXCEPT.
    SetOp {
        /// Which.
        kind: SetOpKind,
        /// ALL (keep duplicates).
        all: bool,
        /// Left input.
        left: Box<Node>,
        /// Right input.
        right: Box<Node>,
    },
    /// Runs a shared subplan once and replays its rows (CTE references).
    Materialized(Arc<Node>, usize),
    /// Set-returning function calls (`unnest`, `generate_series`...) for
    /// each input row: the input row followed by one column per call, as
    /// many rows as the longest call returns (shorter calls padded with
    /// NULL), none when every call is empty.
    ProjectSet {
        /// Input.
        input: Box<Node>,
        /// The calls (arguments over the input row).
        calls: Vec<SetCall>,
    },
}

/// One set-returning function call in a ProjectSet node.
#[derive(Debug, Clone, PartialEq)]
pub struct SetCall {
    /// The function.
    pub func: crate::sql::functions::array::SetFunction,
    /// Arguments (over the input row).
    pub args: Vec<Expr>,
    /// The values' type.
    pub ty: DataType,
}

impl Node {
    /// The number of columns this node produces.
    pub fn width(&self) -> usize {
        match self {
            Node::Scan(s) => s.width(),
            Node::Values { width, .. } => *width,
            Node::Filter { input, .. }
            | Node::Sort { input, .. }
            | Node::Limit { input, .. }
            | Node::Distinct { input, .. } => input.width(),
            Node::Project { exprs, .. } => exprs.len(),
            Node::Aggregate {
                group_by,
                aggregates,
                ..
            } => group_by.len() + aggregates.len(),
            Node::Join { left, right, .. } => left.width() + right.width(),
            Node::SetOp { left, .. } => left.width(),
            Node::Materialized(_, w) => *w,
            Node::ProjectSet { input, calls } => input.width() + calls.len(),
        }
    }
}

impl Node {
    /// Rebuilds this node with `f` applied to each input node (leaves are
    /// returned unchanged). Tree rewrites recurse through this one place.
    pub fn map_inputs(self, f: &mut dyn FnMut(Node) -> Node) -> Node {
        // Rewrites reuse each child's allocation.
        let mut rec = |mut n: Box<Node>| {
            let child = std::mem::replace(
                &mut *n,
                Node::Values {
                    rows: Vec::new(),
                    width: 0,
                },
            );
            *n = f(child);
            n
        };
        match self {
            Node::Filter { input, predicate } => Node::Filter {
                input: rec(input),
                predicate,
            },
            Node::Project { input, exprs } => Node::Project {
                input: rec(input),
                exprs,
            },
            Node::Aggregate {
                input,
                group_by,
                aggregates,
            } => Node::Aggregate {
                input: rec(input),
                group_by,
                aggregates,
            },
            Node::Sort { input, keys } => Node::Sort {
                input: rec(input),
                keys,
            },
            Node::Limit {
                input,
                limit,
                offset,
            } => Node::Limit {
                input: rec(input),
                limit,
                offset,
            },
            Node::Distinct { input, on } => Node::Distinct {
                input: rec(input),
                on,
            },
            Node::ProjectSet { input, calls } => Node::ProjectSet {
                input: rec(input),
                calls,
            },
            Node::Join {
                left,
                right,
                kind,
                on,
                equi,
            } => Node::Join {
                left: rec(left),
                right: rec(right),
                kind,
                on,
                equi,
            },
            Node::SetOp {
                kind,
                all,
                left,
                right,
            } => Node::SetOp {
                kind,
                all,
                left: rec(left),
                right: rec(right),
            },
            leaf @ (Node::Scan(_) | Node::Values { .. } | Node::Materialized(..)) => leaf,
        }
    }
}

/// Where an INSERT's rows come from, and how they map to the table.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertPlan {
    /// Target table.
    pub table: Table,
    /// Source rows, already in the table's column order and types (the
    /// planner fills in defaults and casts).
    pub source: Node,
    /// ON CONFLICT DO NOTHING.
    pub on_conflict_do_nothing: bool,
    /// The ON CONFLICT arbiters: the unique keys whose conflicts the
    /// clause handles (conflicts on any other unique key are errors). Empty
    /// without ON CONFLICT; every unique key for a clause without a target.
    pub arbiters: Vec<Arbiter>,
    /// ON CONFLICT DO UPDATE SET assignments (over table row ++ excluded row).
    pub on_conflict_update: Option<Vec<(usize, Expr)>>,
    /// RETURNING expressions over the inserted row, with their descriptions.
    pub returning: Option<(Vec<Expr>, Vec<ColumnDesc>)>,
}

/// A unique key an ON CONFLICT clause arbitrates.
#[derive(Debug, Clone, PartialEq)]
pub enum Arbiter {
    /// The primary key.
    PrimaryKey,
    /// A unique secondary index (by id).
    Index(crate::storage::IndexId),
}

/// CREATE INDEX, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndexPlan {
    /// The indexed table.
    pub table: Table,
    /// The name given, or `None` to generate PostgreSQL's
    /// (`<table>_<col>_idx`, made unique with a number).
    pub name: Option<String>,
    /// Row positions of the indexed columns, in key order.
    pub columns: Vec<usize>,
    /// UNIQUE.
    pub unique: bool,
    /// IF NOT EXISTS.
    pub if_not_exists: bool,
}

/// A UNIQUE constraint declared in CREATE TABLE.
#[derive(Debug, Clone, PartialEq)]
pub struct UniqueSpec {
    /// CONSTRAINT name, or `None` for PostgreSQL's `<table>_<col>_key`.
    pub name: Option<String>,
    /// Row positions of its columns, in order.
    pub columns: Vec<usize>,
}

/// UPDATE / DELETE: which rows, and what to do with them.
#[derive(Debug, Clone, PartialEq)]
pub struct ModifyPlan {
    /// Target table.
    pub table: Table,
    /// Finds the target rows (a Scan of the current state, with filter and
    /// key access).
    pub scan: Scan,
    /// UPDATE: (column position, new value over the old row); empty for DELETE.
    pub assignments: Vec<(usize, Expr)>,
    /// RETURNING expressions over the new (UPDATE) or old (DELETE) row.
    pub returning: Option<(Vec<Expr>, Vec<ColumnDesc>)>,
}

/// A planned statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// A query returning rows.
    Query {
        /// The tree.
        root: Node,
        /// Result columns.
        columns: Vec<ColumnDesc>,
    },
    /// INSERT.
    Insert(Box<InsertPlan>),
    /// UPDATE.
    Update(Box<ModifyPlan>),
    /// DELETE.
    Delete(Box<ModifyPlan>),
    /// CREATE TABLE.
    CreateTable {
        /// The new table's schema.
        schema: TableSchema,
        /// UNIQUE constraints: unique indexes created with the table.
        uniques: Vec<UniqueSpec>,
        /// IF NOT EXISTS.
        if_not_exists: bool,
    },
    /// CREATE INDEX.
    CreateIndex(Box<CreateIndexPlan>),
    /// DROP INDEX (names are resolved when it runs).
    DropIndex {
        /// The index names.
        names: Vec<String>,
        /// IF EXISTS.
        if_exists: bool,
    },
    /// CREATE [OR REPLACE] VIEW.
    CreateView {
        /// The view's catalog entry (its query text and columns).
        schema: TableSchema,
        /// OR REPLACE.
        or_replace: bool,
    },
    /// DROP TABLE or DROP VIEW.
    DropTable {
        /// Relations to drop (resolved; missing ones with IF EXISTS are skipped).
        tables: Vec<Table>,
        /// Names that did not exist (IF EXISTS): a notice each.
        missing: Vec<String>,
        /// DROP VIEW rather than DROP TABLE.
        views: bool,
    },
    /// TRUNCATE.
    Truncate(Vec<Table>),
    /// EXPLAIN: the plan's text.
    Explain(Vec<String>),
}

impl Plan {
    /// The result columns, or `None` when the statement returns no rows.
    pub fn columns(&self) -> Option<Vec<ColumnDesc>> {
        match self {
            Plan::Query { columns, .. } => Some(columns.clone()),
            Plan::Insert(p) => p.returning.as_ref().map(|(_, c)| c.clone()),
            Plan::Update(p) | Plan::Delete(p) => p.returning.as_ref().map(|(_, c)| c.clone()),
            Plan::Explain(_) => Some(vec![ColumnDesc {
                name: "QUERY PLAN".into(),
                ty: DataType::Text,
                table_oid: 0,
                column_id: 0,
            }]),
            _ => None,
        }
    }
}
