//! The abstract syntax tree: what the parser hands to the planner.
//!
//! The tree is purely syntactic: names are not resolved and types are not
//! checked (that is the planner's binder). Unquoted identifiers are already
//! folded to lower case, as PostgreSQL folds them; quoted identifiers keep
//! their case. Nodes that the binder may have to report an error about carry
//! the 1-based character position of their first token (`pos`), so errors such
//! as `column "x" does not exist` can point at the statement text.

use std::fmt;

/// An identifier: a table, column, alias or function name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name, folded to lower case unless it was quoted.
    pub name: String,
    /// 1-based character position in the statement text.
    pub pos: u32,
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A possibly qualified name: `t`, `public.t`, `pg_catalog.version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectName(pub Vec<Ident>);

impl ObjectName {
    /// The last part: the object's own name.
    pub fn base(&self) -> &Ident {
        self.0.last().expect("an object name has at least one part")
    }
}

/// One statement. A query string may hold several, separated by `;`.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// SELECT / VALUES / set operations.
    Query(Box<Query>),
    /// INSERT INTO ...
    Insert(Box<Insert>),
    /// UPDATE ...
    Update(Box<Update>),
    /// DELETE FROM ...
    Delete(Box<Delete>),
    /// CREATE TABLE ...
    CreateTable(Box<CreateTable>),
    /// DROP TABLE [IF EXISTS] a, b [CASCADE | RESTRICT]
    DropTable {
        /// The tables to drop.
        names: Vec<ObjectName>,
        /// IF EXISTS was given.
        if_exists: bool,
    },
    /// CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON t (cols)
    CreateIndex(Box<CreateIndex>),
    /// CREATE [OR REPLACE] VIEW name [(cols)] AS query. (Added with the
    /// parser: the sqllogictest corpus creates and drops views.)
    CreateView {
        /// The view's name.
        name: ObjectName,
        /// Column names given after the name (empty: the query's own).
        columns: Vec<Ident>,
        /// The defining query.
        query: Box<Query>,
        /// The defining query's source text, as written (what the catalog
        /// stores and re-parses when the view is used).
        query_text: String,
        /// OR REPLACE was given.
        or_replace: bool,
    },
    /// DROP VIEW [IF EXISTS] a, b [CASCADE | RESTRICT]. (Added with the parser.)
    DropView {
        /// The views to drop.
        names: Vec<ObjectName>,
        /// IF EXISTS was given.
        if_exists: bool,
    },
    /// DROP INDEX [IF EXISTS] a, b
    DropIndex {
        /// The indexes to drop.
        names: Vec<ObjectName>,
        /// IF EXISTS was given.
        if_exists: bool,
    },
    /// ALTER TABLE t action[, ...]
    AlterTable {
        /// The table.
        name: ObjectName,
        /// The actions, in order.
        actions: Vec<AlterTableAction>,
    },
    /// TRUNCATE [TABLE] a, b
    Truncate(Vec<ObjectName>),
    /// BEGIN / START TRANSACTION [modes]
    Begin(Vec<TransactionMode>),
    /// COMMIT / END
    Commit,
    /// ROLLBACK / ABORT
    Rollback,
    /// SAVEPOINT name
    Savepoint(Ident),
    /// RELEASE [SAVEPOINT] name
    ReleaseSavepoint(Ident),
    /// ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name
    RollbackToSavepoint(Ident),
    /// SET [SESSION | LOCAL] name { TO | = } value[, ...] | DEFAULT;
    /// also `SET TIME ZONE value` (name `timezone`) and `SET NAMES value`
    /// (name `client_encoding`).
    Set {
        /// Lower-cased parameter name (`datestyle`, `timezone`, `search_path`...).
        name: String,
        /// The value; `None` for DEFAULT.
        value: Option<Vec<SetValue>>,
        /// SET LOCAL.
        local: bool,
    },
    /// SET [SESSION CHARACTERISTICS AS] TRANSACTION modes
    SetTransaction {
        /// The modes given.
        modes: Vec<TransactionMode>,
        /// `SET SESSION CHARACTERISTICS AS TRANSACTION` rather than `SET TRANSACTION`.
        session: bool,
    },
    /// RESET name | RESET ALL (name `all`)
    Reset(String),
    /// SHOW name | SHOW ALL (name `all`); `SHOW TRANSACTION ISOLATION LEVEL`
    /// gives `transaction_isolation`, `SHOW TIME ZONE` gives `timezone`.
    Show(String),
    /// EXPLAIN [ANALYZE] [VERBOSE] statement
    Explain {
        /// ANALYZE: run it and report actual rows.
        analyze: bool,
        /// The statement explained.
        statement: Box<Statement>,
    },
    /// COPY table [(cols)] FROM STDIN | TO STDOUT [WITH (options)]
    Copy(Box<Copy>),
    /// PREPARE name [(types)] AS statement
    Prepare {
        /// Statement name.
        name: Ident,
        /// Declared parameter types.
        param_types: Vec<TypeName>,
        /// The statement.
        statement: Box<Statement>,
    },
    /// EXECUTE name [(args)]
    Execute {
        /// Statement name.
        name: Ident,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// DEALLOCATE [PREPARE] name | ALL (`None`)
    Deallocate(Option<Ident>),
    /// DISCARD ALL | PLANS | TEMP | SEQUENCES (the word, lower case)
    Discard(String),
    /// VACUUM / ANALYZE / CHECKPOINT and other maintenance commands accepted
    /// for compatibility. The string is the command tag (`VACUUM`, `ANALYZE`,
    /// `CHECKPOINT`).
    Maintenance(String),
}

/// `READ COMMITTED`, `READ ONLY`... in BEGIN and SET TRANSACTION.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionMode {
    /// ISOLATION LEVEL ...
    IsolationLevel(IsolationLevel),
    /// READ ONLY (`true`) or READ WRITE (`false`)
    ReadOnly(bool),
    /// [NOT] DEFERRABLE
    Deferrable(bool),
}

/// SQL isolation levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationLevel {
    /// READ UNCOMMITTED (behaves as READ COMMITTED, as in PostgreSQL)
    ReadUncommitted,
    /// READ COMMITTED
    ReadCommitted,
    /// REPEATABLE READ
    RepeatableRead,
    /// SERIALIZABLE
    Serializable,
}

/// One value in a SET list.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// A bare word or identifier: `SET search_path TO public`.
    Ident(String),
    /// A string literal: `SET TimeZone = 'UTC'`.
    String(String),
    /// A number, as written: `SET extra_float_digits = 3`, `SET x = -1.5`.
    Number(String),
    /// `LOCAL` in `SET TIME ZONE LOCAL`, or DEFAULT inside a list.
    Default,
}

/// A query: a body with optional ORDER BY / LIMIT / OFFSET, and CTEs.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// WITH [RECURSIVE] name AS (query), ...
    pub with: Option<With>,
    /// The SELECT, VALUES or set operation.
    pub body: QueryBody,
    /// ORDER BY items.
    pub order_by: Vec<OrderByItem>,
    /// LIMIT n | FETCH FIRST n ROWS ONLY (`LIMIT ALL` is `None`).
    pub limit: Option<Expr>,
    /// OFFSET n [ROW | ROWS]
    pub offset: Option<Expr>,
    /// FOR UPDATE / FOR SHARE (accepted; the single-writer design already
    /// serializes writers).
    pub locking: bool,
}

/// WITH clause.
#[derive(Debug, Clone, PartialEq)]
pub struct With {
    /// WITH RECURSIVE
    pub recursive: bool,
    /// The common table expressions, in order.
    pub ctes: Vec<Cte>,
}

/// One common table expression: `name [(cols)] AS (query)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    /// Its name.
    pub name: Ident,
    /// Optional column names.
    pub columns: Vec<Ident>,
    /// Its query.
    pub query: Box<Query>,
}

/// The body of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryBody {
    /// SELECT ...
    Select(Box<Select>),
    /// VALUES (...), (...)
    Values(Vec<Vec<Expr>>),
    /// left UNION|INTERSECT|EXCEPT [ALL] right
    SetOp {
        /// Which operation.
        op: SetOperator,
        /// ALL (keep duplicates).
        all: bool,
        /// Left input.
        left: Box<QueryBody>,
        /// Right input.
        right: Box<QueryBody>,
    },
    /// A parenthesized query used as a set-operation operand, e.g.
    /// `(SELECT ... ORDER BY ... LIMIT 1) UNION ...`.
    Nested(Box<Query>),
}

/// UNION, INTERSECT, EXCEPT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperator {
    /// UNION
    Union,
    /// INTERSECT
    Intersect,
    /// EXCEPT
    Except,
}

/// SELECT [DISTINCT] items [FROM ...] [WHERE ...] [GROUP BY ...] [HAVING ...]
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// DISTINCT / DISTINCT ON (...)
    pub distinct: Distinct,
    /// The select list.
    pub items: Vec<SelectItem>,
    /// FROM items (comma-separated: an implicit cross join).
    pub from: Vec<TableRef>,
    /// WHERE condition.
    pub selection: Option<Expr>,
    /// GROUP BY expressions (an integer literal refers to a select-list item).
    pub group_by: Vec<Expr>,
    /// HAVING condition.
    pub having: Option<Expr>,
}

/// DISTINCT variants.
#[derive(Debug, Clone, PartialEq)]
pub enum Distinct {
    /// No DISTINCT (or ALL).
    None,
    /// DISTINCT
    All,
    /// DISTINCT ON (exprs)
    On(Vec<Expr>),
}

/// One select-list item.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*`
    Wildcard {
        /// Position of the `*`.
        pos: u32,
    },
    /// `t.*`
    QualifiedWildcard(ObjectName),
    /// `expr [AS alias]`
    Expr {
        /// The expression.
        expr: Expr,
        /// Its alias, if given.
        alias: Option<Ident>,
    },
}

/// One ORDER BY item.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderByItem {
    /// The sort key (an integer literal refers to a select-list item).
    pub expr: Expr,
    /// DESC
    pub desc: bool,
    /// NULLS FIRST (`Some(true)`) / NULLS LAST (`Some(false)`); `None` means
    /// the default (NULLS LAST for ASC, NULLS FIRST for DESC).
    pub nulls_first: Option<bool>,
}

/// An item in FROM.
#[derive(Debug, Clone, PartialEq)]
pub enum TableRef {
    /// A named table, optionally with a SQL:2011 system-time clause and an alias:
    /// `orders FOR SYSTEM_TIME AS OF @SEQ:5 AS o (c1, c2)`.
    Table {
        /// The table name.
        name: ObjectName,
        /// FOR SYSTEM_TIME ...
        system_time: Option<SystemTime>,
        /// AS alias [(column aliases)]
        alias: Option<TableAlias>,
    },
    /// `(query) [AS] alias`
    Subquery {
        /// LATERAL was written.
        lateral: bool,
        /// The subquery.
        query: Box<Query>,
        /// Its alias (PostgreSQL 15 requires one).
        alias: Option<TableAlias>,
    },
    /// A set-returning function in FROM: `generate_series(1, 10) AS g(i)`.
    Function {
        /// LATERAL was written.
        lateral: bool,
        /// Function name.
        name: ObjectName,
        /// Arguments.
        args: Vec<Expr>,
        /// Alias.
        alias: Option<TableAlias>,
    },
    /// `left [kind] JOIN right [ON ... | USING (...)]`, `NATURAL JOIN`, `CROSS JOIN`.
    Join {
        /// Left input.
        left: Box<TableRef>,
        /// Right input.
        right: Box<TableRef>,
        /// INNER, LEFT, RIGHT, FULL, CROSS.
        kind: JoinKind,
        /// ON / USING / NATURAL / none (CROSS JOIN).
        constraint: JoinConstraint,
    },
}

/// `AS alias (col, ...)`
#[derive(Debug, Clone, PartialEq)]
pub struct TableAlias {
    /// The alias.
    pub name: Ident,
    /// Column aliases.
    pub columns: Vec<Ident>,
}

/// Join types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// [INNER] JOIN
    Inner,
    /// LEFT [OUTER] JOIN
    Left,
    /// RIGHT [OUTER] JOIN
    Right,
    /// FULL [OUTER] JOIN
    Full,
    /// CROSS JOIN
    Cross,
}

/// How a join matches rows.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinConstraint {
    /// ON condition
    On(Expr),
    /// USING (cols)
    Using(Vec<Ident>),
    /// NATURAL
    Natural,
    /// No condition (CROSS JOIN).
    None,
}

/// The SQL:2011 `FOR SYSTEM_TIME` clause on a table reference.
#[derive(Debug, Clone, PartialEq)]
pub enum SystemTime {
    /// AS OF point: versions with start ≤ t < end.
    AsOf(TimePoint),
    /// FROM a TO b: versions with start < b and end > a.
    FromTo(TimePoint, TimePoint),
    /// BETWEEN a AND b: versions with start ≤ b and end > a.
    Between(TimePoint, TimePoint),
    /// ALL: every version.
    All,
}

/// A point in system time.
#[derive(Debug, Clone, PartialEq)]
pub enum TimePoint {
    /// `@SEQ:N`: right after commit N.
    Seq(u64),
    /// A timestamp expression: `'2026-01-15T10:00:00Z'`,
    /// `TIMESTAMP '2026-01-15 10:00:00'`, `now() - ...`.
    Expr(Expr),
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal constant.
    Literal(Literal),
    /// A column reference: `c`, `t.c`, or a pseudo-column such as
    /// `SYSTEM_TIME_START` (the binder decides). A last part named `*` is
    /// the whole row of a table inside an expression (`count(t.*)`,
    /// `row_to_json(t.*)`); in a select list `t.*` is
    /// [`SelectItem::QualifiedWildcard`] instead.
    Column(ObjectName),
    /// A parameter `$n` (1-based).
    Parameter {
        /// The parameter number, 1-based.
        index: u32,
        /// Position of the `$`.
        pos: u32,
    },
    /// A prefix operator: `-x`, `+x`, `NOT x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
    },
    /// A binary operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
        /// Position of the operator token.
        pos: u32,
    },
    /// `x IS [NOT] NULL` (also `ISNULL` / `NOTNULL`)
    IsNull {
        /// The operand.
        expr: Box<Expr>,
        /// IS NOT NULL.
        negated: bool,
    },
    /// `x IS [NOT] TRUE | FALSE | UNKNOWN`
    IsBool {
        /// The operand.
        expr: Box<Expr>,
        /// TRUE, FALSE, or `None` for UNKNOWN.
        value: Option<bool>,
        /// IS NOT.
        negated: bool,
    },
    /// `a IS [NOT] DISTINCT FROM b`
    IsDistinctFrom {
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
        /// IS NOT DISTINCT FROM.
        negated: bool,
    },
    /// `x [NOT] LIKE | ILIKE pattern [ESCAPE e]` (also `~~`, `~~*`, `!~~`, `!~~*`)
    Like {
        /// The string.
        expr: Box<Expr>,
        /// The pattern.
        pattern: Box<Expr>,
        /// ESCAPE character expression.
        escape: Option<Box<Expr>>,
        /// NOT LIKE.
        negated: bool,
        /// ILIKE.
        case_insensitive: bool,
    },
    /// `x [NOT] IN (a, b, ...)`
    InList {
        /// The operand.
        expr: Box<Expr>,
        /// The list.
        list: Vec<Expr>,
        /// NOT IN.
        negated: bool,
    },
    /// `x [NOT] IN (subquery)`
    InSubquery {
        /// The operand.
        expr: Box<Expr>,
        /// The subquery.
        query: Box<Query>,
        /// NOT IN.
        negated: bool,
    },
    /// `x [NOT] BETWEEN [SYMMETRIC] low AND high`
    Between {
        /// The operand.
        expr: Box<Expr>,
        /// Lower bound.
        low: Box<Expr>,
        /// Upper bound.
        high: Box<Expr>,
        /// NOT BETWEEN.
        negated: bool,
        /// SYMMETRIC.
        symmetric: bool,
    },
    /// `x op ANY|SOME|ALL (array or subquery)`
    AnyAll {
        /// Left operand.
        left: Box<Expr>,
        /// Comparison operator.
        op: BinaryOp,
        /// ALL rather than ANY/SOME.
        all: bool,
        /// The right side: an array expression or a subquery (`Expr::Subquery`).
        right: Box<Expr>,
    },
    /// `CAST(x AS t)` and `x::t`
    Cast {
        /// The operand.
        expr: Box<Expr>,
        /// The target type.
        ty: TypeName,
        /// Position of `CAST` or of `::`.
        pos: u32,
    },
    /// A typed literal: `TIMESTAMP '2024-01-02'`, `DATE '...'`, `INTERVAL '1 day'`.
    TypedString {
        /// The type.
        ty: TypeName,
        /// The string.
        value: String,
        /// Position of the type name.
        pos: u32,
    },
    /// A function call: `f(a, b)`, `count(*)`, `count(DISTINCT x)`,
    /// `sum(x) FILTER (WHERE ...)`, `row_number() OVER (...)`; also the
    /// keyword functions `CURRENT_TIMESTAMP`, `CURRENT_DATE`, `CURRENT_USER`,
    /// `SESSION_USER`, `CURRENT_SCHEMA`, `CURRENT_CATALOG`, `LOCALTIMESTAMP`
    /// (as calls with no arguments, lower-case names; `USER` and
    /// `CURRENT_ROLE` keep their own names, a precision such as
    /// `CURRENT_TIMESTAMP(3)` is dropped), and
    /// `EXTRACT(field FROM x)` (as `extract('field', x)`),
    /// `SUBSTRING(x FROM a FOR b)` (as `substring(x, a, b)`; `FOR b` alone
    /// gives `substring(x, 1, b)`), `POSITION(a IN b)` (as `position(b, a)`,
    /// PostgreSQL's argument order), `TRIM([LEADING|TRAILING|BOTH] [c] FROM x)`
    /// (as `btrim`/`ltrim`/`rtrim` with arguments `(x, c)`), `COALESCE`,
    /// `NULLIF`, `GREATEST`, `LEAST`. The parser also rewrites, as PostgreSQL
    /// does, `x AT TIME ZONE z` to `timezone(z, x)` and `x SIMILAR TO p
    /// [ESCAPE e]` to `x ~ similar_to_escape(p [, e])`.
    Function(Box<FunctionCall>),
    /// CASE [operand] WHEN ... THEN ... [ELSE ...] END
    Case {
        /// The operand of a simple CASE.
        operand: Option<Box<Expr>>,
        /// WHEN condition/value, THEN result.
        whens: Vec<(Expr, Expr)>,
        /// ELSE result.
        else_result: Option<Box<Expr>>,
    },
    /// A scalar subquery `(SELECT ...)`.
    Subquery(Box<Query>),
    /// `[NOT] EXISTS (subquery)`
    Exists {
        /// The subquery.
        query: Box<Query>,
        /// NOT EXISTS.
        negated: bool,
    },
    /// `ARRAY[a, b]` or `ARRAY(subquery)` (elements; subquery as a single
    /// `Expr::Subquery` element with `subquery` = true).
    Array {
        /// Elements.
        elements: Vec<Expr>,
        /// ARRAY(SELECT ...) rather than ARRAY[...].
        subquery: bool,
    },
    /// `x[i]` subscript.
    Subscript {
        /// The array.
        expr: Box<Expr>,
        /// The index.
        index: Box<Expr>,
    },
    /// `ROW(a, b)` or `(a, b)`.
    Row(Vec<Expr>),
    /// `DEFAULT` in INSERT VALUES or UPDATE SET.
    Default,
    /// `x COLLATE "C"` (the collation name; ignored by the engine).
    Collate {
        /// The operand.
        expr: Box<Expr>,
        /// Collation name.
        collation: ObjectName,
    },
}

/// A function call.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    /// The name, possibly qualified (`pg_catalog.version`).
    pub name: ObjectName,
    /// Arguments.
    pub args: Vec<Expr>,
    /// `f(*)`
    pub star: bool,
    /// `f(DISTINCT ...)`
    pub distinct: bool,
    /// `f(x ORDER BY ...)` (ordered-set aggregates such as array_agg, string_agg).
    pub order_by: Vec<OrderByItem>,
    /// `FILTER (WHERE ...)`
    pub filter: Option<Box<Expr>>,
    /// `OVER (...)`
    pub over: Option<WindowSpec>,
}

/// `OVER ([PARTITION BY ...] [ORDER BY ...] [frame])`
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSpec {
    /// PARTITION BY
    pub partition_by: Vec<Expr>,
    /// ORDER BY
    pub order_by: Vec<OrderByItem>,
    /// `ROWS | RANGE | GROUPS ...`; `None` means the default frame (RANGE
    /// BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW). (Added with the parser.)
    pub frame: Option<WindowFrame>,
}

/// A window frame: `ROWS BETWEEN 2 PRECEDING AND CURRENT ROW`. A frame with
/// only a start (`ROWS 2 PRECEDING`) has `end` = `CurrentRow`, as in SQL.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFrame {
    /// ROWS, RANGE or GROUPS.
    pub units: FrameUnits,
    /// Where the frame starts.
    pub start: FrameBound,
    /// Where the frame ends.
    pub end: FrameBound,
}

/// The unit a window frame counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    /// ROWS: physical rows.
    Rows,
    /// RANGE: peers by the ORDER BY value.
    Range,
    /// GROUPS: peer groups.
    Groups,
}

/// One end of a window frame.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    /// UNBOUNDED PRECEDING
    UnboundedPreceding,
    /// `n PRECEDING`
    Preceding(Box<Expr>),
    /// CURRENT ROW
    CurrentRow,
    /// `n FOLLOWING`
    Following(Box<Expr>),
    /// UNBOUNDED FOLLOWING
    UnboundedFollowing,
}

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// NULL
    Null,
    /// TRUE / FALSE
    Bool(bool),
    /// An integer literal as written (no sign): `42`. The binder picks int4,
    /// int8 or numeric by size, as PostgreSQL does. A minus sign is a
    /// [`UnaryOp::Minus`] around the literal, so the binder folds
    /// `-9223372036854775808` into an int8 before sizing.
    Integer(String),
    /// A decimal literal as written: `1.50`, `1e10`, `.5`. (numeric; float8 with an exponent... the binder decides).
    Decimal(String),
    /// A string literal `'...'`, `E'...'` (escapes processed), `$$...$$`.
    String(String),
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-`
    Minus,
    /// `+`
    Plus,
    /// `NOT`
    Not,
    /// `~` (bitwise not)
    BitNot,
}

/// Infix operators, in PostgreSQL's precedence order (see the parser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// OR
    Or,
    /// AND
    And,
    /// `=`
    Eq,
    /// `<>` / `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `%`
    Modulo,
    /// `^`
    Power,
    /// `||`
    Concat,
    /// `~` regex match
    RegexMatch,
    /// `~*`
    RegexIMatch,
    /// `!~`
    RegexNotMatch,
    /// `!~*`
    RegexNotIMatch,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `#`
    BitXor,
    /// `<<`
    ShiftLeft,
    /// `>>`
    ShiftRight,
    /// `@>` (contains)
    Contains,
    /// `<@` (contained by)
    ContainedBy,
    /// `->` (json)
    JsonGet,
    /// `->>` (json, as text)
    JsonGetText,
}

impl BinaryOp {
    /// The operator as written in SQL.
    pub fn symbol(&self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Power => "^",
            BinaryOp::Concat => "||",
            BinaryOp::RegexMatch => "~",
            BinaryOp::RegexIMatch => "~*",
            BinaryOp::RegexNotMatch => "!~",
            BinaryOp::RegexNotIMatch => "!~*",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "#",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
            BinaryOp::Contains => "@>",
            BinaryOp::ContainedBy => "<@",
            BinaryOp::JsonGet => "->",
            BinaryOp::JsonGetText => "->>",
        }
    }
}

/// A type name as written: lower-case words joined by single spaces
/// (`double precision`, `timestamp with time zone`, `character varying`),
/// schema qualification dropped (`pg_catalog.int4` → `int4`), with its
/// modifiers and array suffix. Resolved by `DataType::from_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeName {
    /// The normalized name.
    pub name: String,
    /// Modifiers: `varchar(10)` → `[10]`, `numeric(12, 2)` → `[12, 2]`.
    pub modifiers: Vec<i64>,
    /// `int[]` / `int ARRAY`.
    pub array: bool,
}

/// INSERT INTO t [(cols)] source [ON CONFLICT ...] [RETURNING ...]
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// Target table.
    pub table: ObjectName,
    /// Target alias (`INSERT INTO t AS x`).
    pub alias: Option<Ident>,
    /// Column list; empty means all columns in order.
    pub columns: Vec<Ident>,
    /// VALUES / SELECT / DEFAULT VALUES.
    pub source: InsertSource,
    /// ON CONFLICT clause.
    pub on_conflict: Option<OnConflict>,
    /// RETURNING items (empty: none).
    pub returning: Vec<SelectItem>,
}

/// Where inserted rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertSource {
    /// A query, including `VALUES (...), (...)` (`QueryBody::Values`, where
    /// `Expr::Default` may appear).
    Query(Box<Query>),
    /// DEFAULT VALUES
    DefaultValues,
}

/// ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET ... [WHERE ...]
#[derive(Debug, Clone, PartialEq)]
pub struct OnConflict {
    /// Conflict target columns.
    pub columns: Vec<Ident>,
    /// DO UPDATE assignments; empty means DO NOTHING.
    pub assignments: Vec<Assignment>,
    /// DO UPDATE ... WHERE
    pub selection: Option<Expr>,
}

/// `col = expr` in UPDATE SET.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Target column.
    pub column: Ident,
    /// New value (`Expr::Default` for DEFAULT).
    pub value: Expr,
}

/// UPDATE t [AS a] SET ... [FROM ...] [WHERE ...] [RETURNING ...]
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// Target table.
    pub table: ObjectName,
    /// Alias.
    pub alias: Option<Ident>,
    /// SET assignments.
    pub assignments: Vec<Assignment>,
    /// FROM items.
    pub from: Vec<TableRef>,
    /// WHERE condition.
    pub selection: Option<Expr>,
    /// RETURNING items.
    pub returning: Vec<SelectItem>,
}

/// DELETE FROM t [AS a] [USING ...] [WHERE ...] [RETURNING ...]
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// Target table.
    pub table: ObjectName,
    /// Alias.
    pub alias: Option<Ident>,
    /// USING items.
    pub using: Vec<TableRef>,
    /// WHERE condition.
    pub selection: Option<Expr>,
    /// RETURNING items.
    pub returning: Vec<SelectItem>,
}

/// CREATE TABLE [IF NOT EXISTS] name (columns, constraints) [WITH (...)]
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    /// Table name.
    pub name: ObjectName,
    /// IF NOT EXISTS
    pub if_not_exists: bool,
    /// Column definitions. With `AS query`, only the column names given
    /// after the table name (`CREATE TABLE t (a, b) AS ...`), each with an
    /// empty type name: the types come from the query.
    pub columns: Vec<ColumnDef>,
    /// Table constraints.
    pub constraints: Vec<TableConstraint>,
    /// CREATE TABLE ... AS query
    pub as_query: Option<Box<Query>>,
}

/// A column definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    /// Column name.
    pub name: Ident,
    /// Type (`serial`/`bigserial` appear as type names; the binder expands them).
    pub ty: TypeName,
    /// Column constraints, in order.
    pub constraints: Vec<ColumnConstraint>,
}

/// Column constraints.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnConstraint {
    /// NOT NULL
    NotNull,
    /// NULL
    Null,
    /// DEFAULT expr
    Default(Expr),
    /// [CONSTRAINT name] PRIMARY KEY
    PrimaryKey(Option<Ident>),
    /// [CONSTRAINT name] UNIQUE
    Unique(Option<Ident>),
    /// [CONSTRAINT name] CHECK (expr)
    Check(Option<Ident>, Expr),
    /// REFERENCES t [(col)] (accepted, not enforced yet)
    References {
        /// Referenced table.
        table: ObjectName,
        /// Referenced columns.
        columns: Vec<Ident>,
    },
    /// GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY
    Identity {
        /// ALWAYS (vs BY DEFAULT).
        always: bool,
    },
}

/// Table constraints.
#[derive(Debug, Clone, PartialEq)]
pub enum TableConstraint {
    /// [CONSTRAINT name] PRIMARY KEY (cols)
    PrimaryKey {
        /// Constraint name.
        name: Option<Ident>,
        /// Columns.
        columns: Vec<Ident>,
    },
    /// [CONSTRAINT name] UNIQUE (cols)
    Unique {
        /// Constraint name.
        name: Option<Ident>,
        /// Columns.
        columns: Vec<Ident>,
    },
    /// [CONSTRAINT name] CHECK (expr)
    Check {
        /// Constraint name.
        name: Option<Ident>,
        /// The condition.
        expr: Expr,
    },
    /// [CONSTRAINT name] FOREIGN KEY (cols) REFERENCES t [(cols)]
    ForeignKey {
        /// Constraint name.
        name: Option<Ident>,
        /// Referencing columns.
        columns: Vec<Ident>,
        /// Referenced table.
        table: ObjectName,
        /// Referenced columns.
        ref_columns: Vec<Ident>,
    },
}

/// CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON t [USING method] (cols)
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    /// Index name (PostgreSQL generates one when omitted).
    pub name: Option<Ident>,
    /// Table.
    pub table: ObjectName,
    /// Indexed expressions with their order (plain column references in the
    /// common case).
    pub columns: Vec<OrderByItem>,
    /// UNIQUE
    pub unique: bool,
    /// IF NOT EXISTS
    pub if_not_exists: bool,
}

/// ALTER TABLE actions.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableAction {
    /// ADD [COLUMN] [IF NOT EXISTS] def
    AddColumn {
        /// The new column.
        column: ColumnDef,
        /// IF NOT EXISTS
        if_not_exists: bool,
    },
    /// DROP [COLUMN] [IF EXISTS] name
    DropColumn {
        /// The column.
        name: Ident,
        /// IF EXISTS
        if_exists: bool,
    },
    /// RENAME [COLUMN] a TO b
    RenameColumn {
        /// Old name.
        old: Ident,
        /// New name.
        new: Ident,
    },
    /// RENAME TO name
    RenameTable(Ident),
    /// ADD table constraint (e.g. pgbench's `ADD PRIMARY KEY (aid)`).
    AddConstraint(TableConstraint),
    /// ALTER [COLUMN] c SET DEFAULT e / DROP DEFAULT (`None`)
    SetDefault {
        /// The column.
        column: Ident,
        /// The new default.
        default: Option<Expr>,
    },
    /// ALTER [COLUMN] c SET NOT NULL (`true`) / DROP NOT NULL (`false`)
    SetNotNull {
        /// The column.
        column: Ident,
        /// SET (true) or DROP (false).
        not_null: bool,
    },
}

/// COPY
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    /// The table.
    pub table: ObjectName,
    /// Column list (empty: all).
    pub columns: Vec<Ident>,
    /// FROM STDIN (true) or TO STDOUT (false).
    pub from: bool,
    /// Options as (lower-case name, value) pairs: `format csv`, `header true`,
    /// `delimiter ','`, `null ''`, `freeze on`. Old-style `WITH CSV HEADER`
    /// is normalized to the same pairs.
    pub options: Vec<(String, Option<String>)>,
}
