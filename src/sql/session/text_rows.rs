//! [`TextRows`]: a [`ResultSink`] that keeps results as text, for embedding
//! DriftDB in a program or a test without a wire protocol.

use crate::error::{Error, Result};
use crate::sql::session::{ColumnDesc, Format, Notice, ResultSink};
use crate::types::{TypeContext, Value};

/// Collects every row (PostgreSQL's text output; NULL as `"NULL"`), the
/// column names of the last row set, command tags and notices. COPY is
/// refused.
#[derive(Debug, Default)]
pub struct TextRows {
    /// Column names of the last statement that returned rows.
    pub columns: Vec<String>,
    /// Every data row received, in order.
    pub rows: Vec<Vec<String>>,
    /// Command tags, in order.
    pub tags: Vec<String>,
    /// Notices, in order.
    pub notices: Vec<Notice>,
    ctx: TypeContext,
}

impl ResultSink for TextRows {
    fn begin_rows(
        &mut self,
        columns: &[ColumnDesc],
        _: &[Format],
        ctx: &TypeContext,
        _: bool,
    ) -> Result<()> {
        self.columns = columns.iter().map(|c| c.name.clone()).collect();
        self.ctx = ctx.clone();
        Ok(())
    }

    fn data_row(&mut self, row: &[Value]) -> Result<()> {
        let text = row
            .iter()
            .map(|v| {
                if v.is_null() {
                    "NULL".to_string()
                } else {
                    v.to_text(&self.ctx)
                }
            })
            .collect();
        self.rows.push(text);
        Ok(())
    }

    fn command_complete(&mut self, tag: &str) -> Result<()> {
        self.tags.push(tag.to_string());
        Ok(())
    }

    fn empty_query(&mut self) -> Result<()> {
        Ok(())
    }

    fn notice(&mut self, notice: &Notice) -> Result<()> {
        self.notices.push(notice.clone());
        Ok(())
    }

    fn parameter_status(&mut self, _: &str, _: &str) -> Result<()> {
        Ok(())
    }

    fn copy_in_start(&mut self, _: usize) -> Result<()> {
        Err(no_copy())
    }

    fn copy_in_next(&mut self) -> Result<Option<Vec<u8>>> {
        Err(no_copy())
    }

    fn copy_out_start(&mut self, _: usize) -> Result<()> {
        Err(no_copy())
    }

    fn copy_out_data(&mut self, _: &[u8]) -> Result<()> {
        Err(no_copy())
    }

    fn copy_out_done(&mut self) -> Result<()> {
        Err(no_copy())
    }
}

fn no_copy() -> Error {
    Error::sql(
        crate::error::SqlState::FEATURE_NOT_SUPPORTED,
        "COPY needs a client connection",
    )
}
