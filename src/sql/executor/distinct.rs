//! Distinct: drops rows equal (on all columns, or on the first `on`
//! columns for DISTINCT ON) to a row already passed.

use std::collections::HashSet;

use crate::error::Result;
use crate::sql::executor::{RowIter, Rows};
use crate::types::{Row, Value};

/// The Distinct operator.
pub struct Distinct<'c> {
    input: Rows<'c>,
    on: Option<usize>,
    seen: HashSet<Vec<Value>>,
}

impl<'c> Distinct<'c> {
    /// Deduplicates `input`.
    pub fn new(input: Rows<'c>, on: Option<usize>) -> Self {
        Distinct {
            input,
            on,
            seen: HashSet::new(),
        }
    }
}

impl RowIter for Distinct<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        while let Some(row) = self.input.next()? {
            let key = match self.on {
                Some(n) => row[..n.min(row.len())].to_vec(),
                None => row.clone(),
            };
            if self.seen.insert(key) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}
