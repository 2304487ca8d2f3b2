//! ProjectSet: set-returning function calls (`unnest`, `generate_series`,
//! `generate_subscripts`) for each input row. Each input row is followed
//! by one value per call, for as many rows as the longest call returns
//! (shorter calls are padded with NULL, as PostgreSQL runs select-list
//! set-returning functions in lockstep); an input row for which every call
//! returns nothing produces no row.

use std::collections::VecDeque;

use crate::error::{Result, SqlState};
use crate::sql::executor::eval::eval;
use crate::sql::executor::{ExecContext, RowIter, Rows};
use crate::sql::planner::plan::SetCall;
use crate::sql_err;
use crate::types::{Row, Value};

/// The most values one call may produce (a runaway `generate_series` is an
/// error, not an out-of-memory).
const MAX_VALUES: usize = 10_000_000;

/// The ProjectSet operator.
pub struct ProjectSet<'c> {
    input: Rows<'c>,
    calls: &'c [SetCall],
    cx: &'c ExecContext<'c>,
    pending: VecDeque<Row>,
}

impl<'c> ProjectSet<'c> {
    /// Runs `calls` for each row of `input`.
    pub fn new(input: Rows<'c>, calls: &'c [SetCall], cx: &'c ExecContext<'c>) -> Self {
        ProjectSet {
            input,
            calls,
            cx,
            pending: VecDeque::new(),
        }
    }

    fn expand(&mut self, row: Row) -> Result<()> {
        let mut columns = Vec::with_capacity(self.calls.len());
        for c in self.calls {
            let args = c
                .args
                .iter()
                .map(|a| eval(a, &row, self.cx))
                .collect::<Result<Vec<_>>>()?;
            columns.push(c.func.values(&args, c.ty, MAX_VALUES)?);
        }
        let n = columns.iter().map(Vec::len).max().unwrap_or(0);
        if n.saturating_mul(columns.len().max(1)) > MAX_VALUES {
            return Err(sql_err!(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "set-returning functions returned too many rows"
            ));
        }
        for i in 0..n {
            let mut out = row.clone();
            out.extend(
                columns
                    .iter()
                    .map(|c| c.get(i).cloned().unwrap_or(Value::Null)),
            );
            self.pending.push_back(out);
        }
        Ok(())
    }
}

impl RowIter for ProjectSet<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Ok(Some(r));
            }
            let Some(row) = self.input.next()? else {
                return Ok(None);
            };
            self.cx.cancel.check()?;
            self.expand(row)?;
        }
    }
}
