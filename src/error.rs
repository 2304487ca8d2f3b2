//! The crate's one error type.
//!
//! Every failure a client can see is an [`Error`], and every `Error` maps to a
//! PostgreSQL SQLSTATE through [`Error::sqlstate`], so the wire layer can build
//! an ErrorResponse without knowing where the error came from. Variants name a
//! *category* (bad SQL input, corrupted data, I/O, protocol), not a source
//! library; dependency errors are mapped into a category by `From` impls.
//!
//! User-facing SQL errors carry the fields PostgreSQL sends (message, detail,
//! hint, cursor position) in [`SqlError`]. Build them with [`sql_err!`] so call
//! sites stay one line:
//!
//! ```
//! use driftdb::{sql_err, error::SqlState};
//! let e = sql_err!(SqlState::UNDEFINED_TABLE, "relation \"{}\" does not exist", "x");
//! assert_eq!(e.sqlstate().code(), "42P01");
//! ```

use std::fmt;

/// The crate-wide result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A five-character SQLSTATE code (see PostgreSQL's errcodes.txt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlState(pub &'static str);

impl SqlState {
    /// 00000
    pub const SUCCESSFUL_COMPLETION: SqlState = SqlState("00000");
    /// 01000
    pub const WARNING: SqlState = SqlState("01000");
    /// 0A000
    pub const FEATURE_NOT_SUPPORTED: SqlState = SqlState("0A000");
    /// 08P01
    pub const PROTOCOL_VIOLATION: SqlState = SqlState("08P01");
    /// 08006
    pub const CONNECTION_FAILURE: SqlState = SqlState("08006");
    /// 21000 (more than one row returned by a subquery used as an expression)
    pub const CARDINALITY_VIOLATION: SqlState = SqlState("21000");
    /// 22000
    pub const DATA_EXCEPTION: SqlState = SqlState("22000");
    /// 22001
    pub const STRING_DATA_RIGHT_TRUNCATION: SqlState = SqlState("22001");
    /// 22003
    pub const NUMERIC_VALUE_OUT_OF_RANGE: SqlState = SqlState("22003");
    /// 22007
    pub const INVALID_DATETIME_FORMAT: SqlState = SqlState("22007");
    /// 22008
    pub const DATETIME_FIELD_OVERFLOW: SqlState = SqlState("22008");
    /// 22012
    pub const DIVISION_BY_ZERO: SqlState = SqlState("22012");
    /// 22023
    pub const INVALID_PARAMETER_VALUE: SqlState = SqlState("22023");
    /// 22025
    pub const INVALID_ESCAPE_SEQUENCE: SqlState = SqlState("22025");
    /// 22P02
    pub const INVALID_TEXT_REPRESENTATION: SqlState = SqlState("22P02");
    /// 22P03
    pub const INVALID_BINARY_REPRESENTATION: SqlState = SqlState("22P03");
    /// 22021
    pub const CHARACTER_NOT_IN_REPERTOIRE: SqlState = SqlState("22021");
    /// 22004
    pub const NULL_VALUE_NOT_ALLOWED: SqlState = SqlState("22004");
    /// 22P04
    pub const BAD_COPY_FILE_FORMAT: SqlState = SqlState("22P04");
    /// 23502
    pub const NOT_NULL_VIOLATION: SqlState = SqlState("23502");
    /// 23505
    pub const UNIQUE_VIOLATION: SqlState = SqlState("23505");
    /// 25001
    pub const ACTIVE_SQL_TRANSACTION: SqlState = SqlState("25001");
    /// 25P01
    pub const NO_ACTIVE_SQL_TRANSACTION: SqlState = SqlState("25P01");
    /// 25P02
    pub const IN_FAILED_SQL_TRANSACTION: SqlState = SqlState("25P02");
    /// 25006
    pub const READ_ONLY_SQL_TRANSACTION: SqlState = SqlState("25006");
    /// 26000
    pub const INVALID_SQL_STATEMENT_NAME: SqlState = SqlState("26000");
    /// 28000
    pub const INVALID_AUTHORIZATION_SPECIFICATION: SqlState = SqlState("28000");
    /// 28P01
    pub const INVALID_PASSWORD: SqlState = SqlState("28P01");
    /// 34000
    pub const INVALID_CURSOR_NAME: SqlState = SqlState("34000");
    /// 3D000
    pub const INVALID_CATALOG_NAME: SqlState = SqlState("3D000");
    /// 3B001
    pub const INVALID_SAVEPOINT_SPECIFICATION: SqlState = SqlState("3B001");
    /// 40001
    pub const SERIALIZATION_FAILURE: SqlState = SqlState("40001");
    /// 42601
    pub const SYNTAX_ERROR: SqlState = SqlState("42601");
    /// 42501
    pub const INSUFFICIENT_PRIVILEGE: SqlState = SqlState("42501");
    /// 42703
    pub const UNDEFINED_COLUMN: SqlState = SqlState("42703");
    /// 42702
    pub const AMBIGUOUS_COLUMN: SqlState = SqlState("42702");
    /// 42804
    pub const DATATYPE_MISMATCH: SqlState = SqlState("42804");
    /// 42803
    pub const GROUPING_ERROR: SqlState = SqlState("42803");
    /// 42809
    pub const WRONG_OBJECT_TYPE: SqlState = SqlState("42809");
    /// 42P18
    pub const INDETERMINATE_DATATYPE: SqlState = SqlState("42P18");
    /// 42883
    pub const UNDEFINED_FUNCTION: SqlState = SqlState("42883");
    /// 42P01
    pub const UNDEFINED_TABLE: SqlState = SqlState("42P01");
    /// 42P02
    pub const UNDEFINED_PARAMETER: SqlState = SqlState("42P02");
    /// 42704
    pub const UNDEFINED_OBJECT: SqlState = SqlState("42704");
    /// 42701
    pub const DUPLICATE_COLUMN: SqlState = SqlState("42701");
    /// 42P05
    pub const DUPLICATE_PREPARED_STATEMENT: SqlState = SqlState("42P05");
    /// 42P06
    pub const DUPLICATE_SCHEMA: SqlState = SqlState("42P06");
    /// 42P07
    pub const DUPLICATE_TABLE: SqlState = SqlState("42P07");
    /// 42710
    pub const DUPLICATE_OBJECT: SqlState = SqlState("42710");
    /// 3F000
    pub const INVALID_SCHEMA_NAME: SqlState = SqlState("3F000");
    /// 2201B
    pub const INVALID_REGULAR_EXPRESSION: SqlState = SqlState("2201B");
    /// 2202E
    pub const ARRAY_SUBSCRIPT_ERROR: SqlState = SqlState("2202E");
    /// 42P10
    pub const INVALID_COLUMN_REFERENCE: SqlState = SqlState("42P10");
    /// 42611
    pub const INVALID_COLUMN_DEFINITION: SqlState = SqlState("42611");
    /// 42P16
    pub const INVALID_TABLE_DEFINITION: SqlState = SqlState("42P16");
    /// 42725
    pub const AMBIGUOUS_FUNCTION: SqlState = SqlState("42725");
    /// 42846
    pub const CANNOT_COERCE: SqlState = SqlState("42846");
    /// 53200
    pub const OUT_OF_MEMORY: SqlState = SqlState("53200");
    /// 54000
    pub const PROGRAM_LIMIT_EXCEEDED: SqlState = SqlState("54000");
    /// 55000
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: SqlState = SqlState("55000");
    /// 55P02
    pub const CANT_CHANGE_RUNTIME_PARAM: SqlState = SqlState("55P02");
    /// 57014
    pub const QUERY_CANCELED: SqlState = SqlState("57014");
    /// 57P01
    pub const ADMIN_SHUTDOWN: SqlState = SqlState("57P01");
    /// 58030
    pub const IO_ERROR: SqlState = SqlState("58030");
    /// XX000
    pub const INTERNAL_ERROR: SqlState = SqlState("XX000");
    /// XX001
    pub const DATA_CORRUPTED: SqlState = SqlState("XX001");

    /// The five-character code.
    pub fn code(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// An error as PostgreSQL reports it to a client: SQLSTATE, message and the
/// optional fields of an ErrorResponse.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlError {
    /// The SQLSTATE code.
    pub code: SqlState,
    /// The primary message (field `M`), worded as PostgreSQL words it.
    pub message: String,
    /// Field `D`.
    pub detail: Option<String>,
    /// Field `H`.
    pub hint: Option<String>,
    /// Field `P`: 1-based character position in the statement text.
    pub position: Option<u32>,
    /// The object the error is about, for integrity violations: fields `s`
    /// (schema), `t` (table), `c` (column), `n` (constraint), which drivers
    /// expose (psycopg's `diag.constraint_name`, asyncpg's `constraint_name`).
    pub object: Option<Box<ErrorObject>>,
}

/// The schema, table, column and constraint an error is about.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorObject {
    /// Field `s`.
    pub schema: Option<String>,
    /// Field `t`.
    pub table: Option<String>,
    /// Field `c`.
    pub column: Option<String>,
    /// Field `n`.
    pub constraint: Option<String>,
}

/// The crate's error type. See the module docs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// An error in what a client asked for (syntax, names, types, constraints,
    /// transaction state...), carrying its SQLSTATE.
    Sql(Box<SqlError>),
    /// Persistent data failed a check (CRC, bounds, structure). Names the file
    /// and the byte offset (or page) where the inconsistency was found.
    Corrupted {
        /// The file (relative to the data directory where possible).
        file: String,
        /// Byte offset (or page number, for page files) of the bad data.
        offset: u64,
        /// What check failed.
        reason: String,
    },
    /// An operating-system I/O error.
    Io(String),
    /// The client broke the wire protocol; the connection ends.
    Protocol(String),
    /// The statement was cancelled (CancelRequest or statement_timeout).
    Cancelled(String),
    /// A broken internal invariant. Never caused by user input; reported, not panicked.
    Internal(String),
}

impl Error {
    /// A SQL error with a code and a message.
    pub fn sql(code: SqlState, message: impl Into<String>) -> Error {
        Error::Sql(Box::new(SqlError {
            code,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            object: None,
        }))
    }

    /// Names the object an error is about (SQL errors only).
    pub fn with_object(mut self, object: ErrorObject) -> Error {
        if let Error::Sql(e) = &mut self {
            e.object = Some(Box::new(object));
        }
        self
    }

    /// Adds a DETAIL field (SQL errors only; others are returned unchanged).
    pub fn with_detail(mut self, detail: impl Into<String>) -> Error {
        if let Error::Sql(e) = &mut self {
            e.detail = Some(detail.into());
        }
        self
    }

    /// Adds a HINT field (SQL errors only).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        if let Error::Sql(e) = &mut self {
            e.hint = Some(hint.into());
        }
        self
    }

    /// Sets the 1-based cursor position (SQL errors only), unless one is set.
    pub fn with_position(mut self, position: u32) -> Error {
        if let Error::Sql(e) = &mut self
            && e.position.is_none()
        {
            e.position = Some(position);
        }
        self
    }

    /// A `Corrupted` error.
    pub fn corrupted(file: impl Into<String>, offset: u64, reason: impl Into<String>) -> Error {
        Error::Corrupted {
            file: file.into(),
            offset,
            reason: reason.into(),
        }
    }

    /// The SQLSTATE this error is reported with.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            Error::Sql(e) => e.code,
            Error::Corrupted { .. } => SqlState::DATA_CORRUPTED,
            Error::Io(_) => SqlState::IO_ERROR,
            Error::Protocol(_) => SqlState::PROTOCOL_VIOLATION,
            Error::Cancelled(_) => SqlState::QUERY_CANCELED,
            Error::Internal(_) => SqlState::INTERNAL_ERROR,
        }
    }

    /// The primary message (ErrorResponse field `M`).
    pub fn message(&self) -> String {
        match self {
            Error::Sql(e) => e.message.clone(),
            Error::Corrupted {
                file,
                offset,
                reason,
            } => format!("data corrupted in file \"{file}\" at offset {offset}: {reason}"),
            Error::Io(m) => format!("I/O error: {m}"),
            Error::Protocol(m) => m.clone(),
            Error::Cancelled(m) => m.clone(),
            Error::Internal(m) => format!("internal error: {m}"),
        }
    }

    /// The SQL details, when this is a SQL error.
    pub fn as_sql(&self) -> Option<&SqlError> {
        match self {
            Error::Sql(e) => Some(e),
            _ => None,
        }
    }

    /// True when the error means the server can no longer trust its state
    /// (corruption, failed fsync) rather than a problem with one request.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Error::Corrupted { .. } | Error::Io(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.sqlstate(), self.message())?;
        if let Error::Sql(e) = self
            && let Some(d) = &e.detail
        {
            write!(f, " (DETAIL: {d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

impl From<rmp_serde::encode::Error> for Error {
    fn from(e: rmp_serde::encode::Error) -> Self {
        Error::Internal(format!("msgpack encoding failed: {e}"))
    }
}

/// Builds an [`Error::Sql`] from a SQLSTATE and a format string.
#[macro_export]
macro_rules! sql_err {
    ($code:expr, $($fmt:tt)+) => {
        $crate::error::Error::sql($code, format!($($fmt)+))
    };
}

/// Returns early with an [`Error::Sql`] built like [`sql_err!`].
#[macro_export]
macro_rules! sql_bail {
    ($code:expr, $($fmt:tt)+) => {
        return Err($crate::sql_err!($code, $($fmt)+))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_errors_carry_fields() {
        let e = sql_err!(
            SqlState::UNIQUE_VIOLATION,
            "duplicate key value violates unique constraint \"{}\"",
            "t_pkey"
        )
        .with_detail("Key (id)=(1) already exists.")
        .with_position(3)
        .with_position(9);
        assert_eq!(e.sqlstate(), SqlState::UNIQUE_VIOLATION);
        let s = e.as_sql().expect("sql error");
        assert_eq!(s.detail.as_deref(), Some("Key (id)=(1) already exists."));
        assert_eq!(s.position, Some(3), "first position wins");
    }

    #[test]
    fn categories_map_to_sqlstate() {
        assert_eq!(
            Error::corrupted("wal/1", 7, "crc").sqlstate().code(),
            "XX001"
        );
        assert_eq!(Error::Io("x".into()).sqlstate().code(), "58030");
        assert_eq!(Error::Cancelled("c".into()).sqlstate().code(), "57014");
        assert!(Error::corrupted("f", 0, "r").is_fatal());
    }
}
