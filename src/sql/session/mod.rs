//! Sessions: one per connection. A session owns the connection's state
//! (transaction, settings, prepared statements, portals) and runs statements
//! for the wire layer and the embedded CLI.
//!
//! This file holds the contract between the wire layer and the SQL layer:
//! the wire layer implements [`ResultSink`] and calls [`Session`].

mod catalog_view;
mod copy;
mod database;
mod exec;
mod extended;
#[allow(clippy::module_inception)]
mod session;
pub mod settings;
pub mod text_rows;
mod txn;

pub use database::{Database, DatabaseOptions};
pub use session::Session;
pub use text_rows::TextRows;

use crate::error::{Result, SqlState};
use crate::types::{DataType, TypeContext, Value};

/// Text or binary, per column or parameter (protocol format codes 0 and 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Format code 0.
    Text,
    /// Format code 1.
    Binary,
}

impl Format {
    /// Expands protocol format codes for `n` values: none means all text, one
    /// applies to all, otherwise one per value (08P01 if the count is wrong or
    /// a code is neither 0 nor 1).
    pub fn expand(codes: &[i16], n: usize) -> Result<Vec<Format>> {
        let one = |c: i16| match c {
            0 => Ok(Format::Text),
            1 => Ok(Format::Binary),
            _ => Err(crate::error::Error::Protocol(format!(
                "unsupported format code: {c}"
            ))),
        };
        match codes {
            [] => Ok(vec![Format::Text; n]),
            [c] => Ok(vec![one(*c)?; n]),
            cs if cs.len() == n => cs.iter().map(|c| one(*c)).collect(),
            cs => Err(crate::error::Error::Protocol(format!(
                "bind message has {} result formats but query has {} columns",
                cs.len(),
                n
            ))),
        }
    }
}

/// One column of a result, as RowDescription describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDesc {
    /// Column name (`?column?` for unnamed expressions).
    pub name: String,
    /// Its type.
    pub ty: DataType,
    /// OID of the table for a plain column reference, else 0.
    pub table_oid: u32,
    /// Column number (1-based) in that table, else 0.
    pub column_id: i16,
}

/// A notice (NoticeResponse) for the client.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// `NOTICE` or `WARNING`.
    pub severity: &'static str,
    /// SQLSTATE.
    pub code: SqlState,
    /// Message.
    pub message: String,
}

/// Transaction status for ReadyForQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    /// `I`: not in a transaction block.
    Idle,
    /// `T`: in a transaction block.
    InBlock,
    /// `E`: in a failed transaction block (until ROLLBACK).
    Failed,
}

impl TxnStatus {
    /// The ReadyForQuery status byte.
    pub fn byte(&self) -> u8 {
        match self {
            TxnStatus::Idle => b'I',
            TxnStatus::InBlock => b'T',
            TxnStatus::Failed => b'E',
        }
    }
}

/// Where a session sends results. The wire layer encodes them as protocol
/// messages; the CLI prints them as tables.
pub trait ResultSink {
    /// Rows follow, shaped as `columns`, to be encoded in `formats` (one per
    /// column) under `ctx`. `describe` is true when a RowDescription must be
    /// sent (simple Query), false for Execute (Describe already sent it).
    fn begin_rows(
        &mut self,
        columns: &[ColumnDesc],
        formats: &[Format],
        ctx: &TypeContext,
        describe: bool,
    ) -> Result<()>;
    /// One row, in the shape announced by `begin_rows`.
    fn data_row(&mut self, row: &[Value]) -> Result<()>;
    /// A statement finished, with its tag (`SELECT 3`, `INSERT 0 1`, `BEGIN`...).
    fn command_complete(&mut self, tag: &str) -> Result<()>;
    /// The query string held no statement.
    fn empty_query(&mut self) -> Result<()>;
    /// A notice for the client.
    fn notice(&mut self, notice: &Notice) -> Result<()>;
    /// A reported setting changed (`SET application_name`...).
    fn parameter_status(&mut self, name: &str, value: &str) -> Result<()>;
    /// COPY FROM STDIN begins: send CopyInResponse for `columns` text columns.
    fn copy_in_start(&mut self, columns: usize) -> Result<()>;
    /// The next CopyData payload, or `None` at CopyDone. CopyFail is an error
    /// (57014 `COPY from stdin failed: <message>`).
    fn copy_in_next(&mut self) -> Result<Option<Vec<u8>>>;
    /// COPY TO STDOUT begins: send CopyOutResponse.
    fn copy_out_start(&mut self, columns: usize) -> Result<()>;
    /// One CopyData payload.
    fn copy_out_data(&mut self, data: &[u8]) -> Result<()>;
    /// COPY TO STDOUT done: send CopyDone.
    fn copy_out_done(&mut self) -> Result<()>;
}

/// What Describe (statement) reports.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementDescription {
    /// Parameter types, given or inferred ($1 first).
    pub params: Vec<DataType>,
    /// Result columns, or `None` when the statement returns no rows (NoData).
    pub columns: Option<Vec<ColumnDesc>>,
}

/// How Execute ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecuteOutcome {
    /// The portal ran to completion; CommandComplete was sent through the sink.
    Complete,
    /// `max_rows` rows were sent and more remain: send PortalSuspended.
    Suspended,
}

/// Startup parameters from the client's StartupMessage.
#[derive(Debug, Clone, Default)]
pub struct StartupParams {
    /// `user`
    pub user: String,
    /// `database`
    pub database: String,
    /// Every other parameter (application_name, client_encoding, DateStyle,
    /// TimeZone, extra_float_digits, options...), as sent.
    pub options: Vec<(String, String)>,
}
