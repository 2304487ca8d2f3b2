//! [`WireSink`]: the [`ResultSink`] that turns a session's results into
//! protocol messages in the connection's output buffer.
//!
//! Rows are encoded straight into the output buffer (DataRow: Int16 n, then
//! per value Int32 length or -1 for NULL, Byten), and the buffer is written
//! out only when it passes the flush threshold, so a large result streams in
//! 64 KiB writes and a small one leaves in the single write at ReadyForQuery.
//! COPY FROM STDIN reads the client's CopyData messages through the same
//! connection buffers.

use std::io::{Read, Write};

use crate::error::{Error, Result, SqlState};
use crate::sql::session::{ColumnDesc, Format, Notice, ResultSink};
use crate::types::{DataType, TypeContext, Value};

use super::codec::Io;
use super::messages::{self, Frontend};

/// State a sink keeps between calls, owned by the connection and reused.
#[derive(Debug, Default)]
pub struct SinkState {
    /// Formats of the current row shape, one per column.
    formats: Vec<Format>,
    /// Column types of the current row shape (binary output depends on them).
    types: Vec<DataType>,
    /// Settings for text output of the current rows.
    ctx: TypeContext,
    /// Set when the client can no longer be written to or read from; the
    /// connection ends after the current call returns.
    pub broken: bool,
}

/// A [`ResultSink`] over a connection. See the module docs.
#[derive(Debug)]
pub struct WireSink<'a, S> {
    io: &'a mut Io<S>,
    st: &'a mut SinkState,
}

impl<'a, S: Read + Write> WireSink<'a, S> {
    /// A sink writing to `io`.
    pub fn new(io: &'a mut Io<S>, st: &'a mut SinkState) -> WireSink<'a, S> {
        WireSink { io, st }
    }

    fn io_result(&mut self, r: Result<()>) -> Result<()> {
        if let Err(e) = r {
            self.st.broken = true;
            return Err(Error::Io(format!(
                "could not send data to client: {}",
                e.message()
            )));
        }
        Ok(())
    }

    fn flush_if_full(&mut self) -> Result<()> {
        let r = self.io.flush_if_full();
        self.io_result(r)
    }
}

/// Appends one DataRow value of column type `ty`: Int32 length (-1 for
/// NULL) and its bytes in `format`.
pub fn put_value(
    out: &mut Vec<u8>,
    v: &Value,
    ty: &DataType,
    format: Format,
    ctx: &TypeContext,
) -> Result<()> {
    if v.is_null() {
        out.extend_from_slice(&(-1i32).to_be_bytes());
        return Ok(());
    }
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    match format {
        Format::Text => out.extend_from_slice(v.to_text(ctx).as_bytes()),
        Format::Binary => v.to_binary(ty, out)?,
    }
    let len = i32::try_from(out.len() - at - 4).map_err(|_| {
        Error::sql(SqlState::PROGRAM_LIMIT_EXCEEDED, "out of memory")
            .with_detail("A value is too large to send.")
    })?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

impl<S: Read + Write> ResultSink for WireSink<'_, S> {
    fn begin_rows(
        &mut self,
        columns: &[ColumnDesc],
        formats: &[Format],
        ctx: &TypeContext,
        describe: bool,
    ) -> Result<()> {
        if describe {
            messages::row_description(&mut self.io.out, columns, formats)?;
        }
        self.st.formats.clear();
        self.st.formats.extend_from_slice(formats);
        self.st.types.clear();
        self.st.types.extend(columns.iter().map(|c| c.ty));
        self.st.ctx = ctx.clone();
        Ok(())
    }

    fn data_row(&mut self, row: &[Value]) -> Result<()> {
        let n = i16::try_from(row.len())
            .map_err(|_| Error::Internal(format!("row of {} columns", row.len())))?;
        let out = &mut self.io.out;
        let mark = out.begin(b'D');
        out.put_i16(n);
        for (i, v) in row.iter().enumerate() {
            let f = self.st.formats.get(i).copied().unwrap_or(Format::Text);
            let ty = self
                .st
                .types
                .get(i)
                .copied()
                .unwrap_or_else(|| v.data_type());
            if let Err(e) = put_value(out.vec(), v, &ty, f, &self.st.ctx) {
                out.vec().truncate(mark - 1);
                return Err(e);
            }
        }
        out.finish(mark)?;
        self.flush_if_full()
    }

    fn command_complete(&mut self, tag: &str) -> Result<()> {
        messages::command_complete(&mut self.io.out, tag);
        self.flush_if_full()
    }

    fn empty_query(&mut self) -> Result<()> {
        messages::empty(&mut self.io.out, b'I');
        Ok(())
    }

    fn notice(&mut self, notice: &Notice) -> Result<()> {
        messages::notice_response(&mut self.io.out, notice);
        Ok(())
    }

    fn parameter_status(&mut self, name: &str, value: &str) -> Result<()> {
        messages::parameter_status(&mut self.io.out, name, value);
        Ok(())
    }

    fn copy_in_start(&mut self, columns: usize) -> Result<()> {
        messages::copy_response(&mut self.io.out, b'G', columns)?;
        let r = self.io.flush();
        self.io_result(r)
    }

    fn copy_in_next(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            let frame = match self.io.read_message() {
                Ok(Some(f)) => f,
                Ok(None) => {
                    self.st.broken = true;
                    return Err(Error::sql(
                        SqlState::CONNECTION_FAILURE,
                        "unexpected EOF on client connection with an open transaction",
                    ));
                }
                Err(e) => {
                    self.st.broken = true;
                    return Err(e);
                }
            };
            let body = self.io.inb.body(&frame);
            match messages::decode(frame.tag, body) {
                Ok(Frontend::CopyData(d)) => return Ok(Some(d.to_vec())),
                Ok(Frontend::CopyDone) => return Ok(None),
                Ok(Frontend::CopyFail(m)) => {
                    return Err(Error::sql(
                        SqlState::QUERY_CANCELED,
                        format!("COPY from stdin failed: {m}"),
                    ));
                }
                // Flush and Sync are ignored during COPY, as in PostgreSQL.
                Ok(Frontend::Flush) | Ok(Frontend::Sync) => continue,
                _ => {
                    return Err(Error::sql(
                        SqlState::PROTOCOL_VIOLATION,
                        format!(
                            "unexpected message type 0x{:02X} during COPY from stdin",
                            frame.tag
                        ),
                    ));
                }
            }
        }
    }

    fn copy_out_start(&mut self, columns: usize) -> Result<()> {
        messages::copy_response(&mut self.io.out, b'H', columns)
    }

    fn copy_out_data(&mut self, data: &[u8]) -> Result<()> {
        messages::copy_data(&mut self.io.out, data)?;
        self.flush_if_full()
    }

    fn copy_out_done(&mut self) -> Result<()> {
        messages::empty(&mut self.io.out, b'c');
        Ok(())
    }
}

/// TEMPORARY SHIM, to be deleted once `Value::to_text` / `Value::to_binary`
/// land from the types branch (written in parallel; these are their
/// signatures). Inherent methods take precedence over trait methods, so
/// after the merge the real ones are called by [`put_value`] and this trait
/// is dead. Only the trivially encoded variants are right here.
#[allow(dead_code)]
trait ValueFormatsShim {
    fn to_text(&self, ctx: &TypeContext) -> String;
    fn to_binary(&self, ty: &DataType, out: &mut Vec<u8>) -> Result<()>;
}

#[allow(dead_code)]
impl ValueFormatsShim for Value {
    fn to_text(&self, _ctx: &TypeContext) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => (if *b { "t" } else { "f" }).into(),
            Value::Int2(v) => v.to_string(),
            Value::Int4(v) => v.to_string(),
            Value::Int8(v) => v.to_string(),
            Value::Float4(v) => v.to_string(),
            Value::Float8(v) => v.to_string(),
            Value::Text(s) | Value::Json(s) => s.clone(),
            other => format!("<{:?}>", other.data_type()),
        }
    }

    fn to_binary(&self, _ty: &DataType, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Value::Bool(b) => out.push(u8::from(*b)),
            Value::Int2(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Int4(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Int8(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Float4(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Float8(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Text(s) | Value::Json(s) => out.extend_from_slice(s.as_bytes()),
            Value::Date(d) => out.extend_from_slice(&d.to_be_bytes()),
            Value::Timestamp(t) | Value::Timestamptz(t) => out.extend_from_slice(&t.to_be_bytes()),
            Value::Null | Value::Numeric(_) => {
                return Err(Error::Internal("no binary form in the shim".into()));
            }
        }
        Ok(())
    }
}
