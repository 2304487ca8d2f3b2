//! Sort: materializes its input and orders it by the sort keys, with
//! NULLS FIRST/LAST honoured per key.

use std::cmp::Ordering;

use crate::error::Result;
use crate::sql::executor::eval::eval;
use crate::sql::executor::{ExecContext, RowIter, Rows};
use crate::sql::planner::plan::SortKey;
use crate::types::ops::sort_cmp;
use crate::types::{Row, Value};

/// The Sort operator.
pub struct Sort<'c> {
    input: Option<Rows<'c>>,
    keys: &'c [SortKey],
    cx: &'c ExecContext<'c>,
    sorted: std::vec::IntoIter<Row>,
}

impl<'c> Sort<'c> {
    /// Sorts `input` by `keys`.
    pub fn new(input: Rows<'c>, keys: &'c [SortKey], cx: &'c ExecContext<'c>) -> Self {
        Sort {
            input: Some(input),
            keys,
            cx,
            sorted: Vec::new().into_iter(),
        }
    }

    fn fill(&mut self, mut input: Rows<'c>) -> Result<()> {
        let mut rows: Vec<(Vec<Value>, Row)> = Vec::new();
        while let Some(row) = input.next()? {
            if rows.len() % 4096 == 4095 {
                self.cx.cancel.check()?;
            }
            let key = self
                .keys
                .iter()
                .map(|k| eval(&k.expr, &row, self.cx))
                .collect::<Result<Vec<_>>>()?;
            rows.push((key, row));
        }
        let keys = self.keys;
        rows.sort_by(|(a, _), (b, _)| compare_keys(a, b, keys));
        self.sorted = rows
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Vec<_>>()
            .into_iter();
        Ok(())
    }
}

/// Orders two key tuples by the sort specification.
pub fn compare_keys(a: &[Value], b: &[Value], keys: &[SortKey]) -> Ordering {
    for ((x, y), k) in a.iter().zip(b).zip(keys) {
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = sort_cmp(x, y);
                if k.desc { o.reverse() } else { o }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

impl RowIter for Sort<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        if let Some(input) = self.input.take() {
            self.fill(input)?;
        }
        Ok(self.sorted.next())
    }
}
