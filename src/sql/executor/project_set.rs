//! ProjectSet: set-returning function calls (`unnest`, `generate_series`,
//! `generate_subscripts`) for each input row. Each input row is followed
//! by one value per call, for as many rows as the longest call returns
//! (shorter calls are padded with NULL, as PostgreSQL runs select-list
//! set-returning functions in lockstep); an input row for which every call
//! returns nothing produces no row. The calls' values are pulled as rows
//! are asked for, so `generate_series(1, 100000000)` streams.

use crate::error::Result;
use crate::sql::executor::eval::eval;
use crate::sql::executor::{ExecContext, RowIter, Rows};
use crate::sql::functions::array::SetValues;
use crate::sql::planner::plan::SetCall;
use crate::types::{Row, Value};

/// Cancellation is checked every this many rows of one input row.
const CHECK_EVERY: u64 = 4096;

/// The ProjectSet operator.
pub struct ProjectSet<'c> {
    input: Rows<'c>,
    calls: &'c [SetCall],
    cx: &'c ExecContext<'c>,
    /// The input row being expanded and its calls' remaining values.
    current: Option<(Row, Vec<SetValues>)>,
    produced: u64,
}

impl<'c> ProjectSet<'c> {
    /// Runs `calls` for each row of `input`.
    pub fn new(input: Rows<'c>, calls: &'c [SetCall], cx: &'c ExecContext<'c>) -> Self {
        ProjectSet {
            input,
            calls,
            cx,
            current: None,
            produced: 0,
        }
    }

    /// Starts the calls for `row`.
    fn expand(&mut self, row: Row) -> Result<()> {
        let mut streams = Vec::with_capacity(self.calls.len());
        for c in self.calls {
            let args = c
                .args
                .iter()
                .map(|a| eval(a, &row, self.cx))
                .collect::<Result<Vec<_>>>()?;
            streams.push(c.func.stream(&args, c.ty)?);
        }
        self.current = Some((row, streams));
        Ok(())
    }

    /// The next row of the current input row, if its calls have more.
    fn step(&mut self) -> Option<Row> {
        let (row, streams) = self.current.as_mut()?;
        let values: Vec<Option<Value>> = streams.iter_mut().map(Iterator::next).collect();
        if values.iter().all(Option::is_none) {
            self.current = None;
            return None;
        }
        let mut out = row.clone();
        out.extend(values.into_iter().map(|v| v.unwrap_or(Value::Null)));
        Some(out)
    }
}

impl RowIter for ProjectSet<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        loop {
            if let Some(r) = self.step() {
                self.produced += 1;
                if self.produced.is_multiple_of(CHECK_EVERY) {
                    self.cx.cancel.check()?;
                }
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
