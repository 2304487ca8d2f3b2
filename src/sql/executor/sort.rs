//! Sort: orders its input by the sort keys, with NULLS FIRST/LAST honoured
//! per key.
//!
//! Rows are gathered in memory up to `work_mem` (PostgreSQL's setting, 4MB
//! by default; estimated bytes). An input that fits is sorted in memory.
//! A larger one is an **external merge sort**: each full batch is sorted and
//! written as a run to a spool file (`spool`, items = sort key values ++
//! row), and the runs are merged through a heap, [`MERGE_FAN`] at a time
//! (more runs are first merged into longer ones), so memory holds one batch,
//! then one block of each run being merged, whatever the size of the input.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::error::Result;
use crate::sql::executor::eval::eval;
use crate::sql::executor::spool::{Item, Spool, values_footprint, work_mem};
use crate::sql::executor::{ExecContext, RowIter, Rows};
use crate::sql::planner::plan::SortKey;
use crate::types::ops::sort_cmp;
use crate::types::{Row, Value};

/// The most runs merged at once.
pub const MERGE_FAN: usize = 32;

/// A sorted stream of (sort key values, row).
type Sorted = Box<dyn Iterator<Item = Result<(Vec<Value>, Row)>>>;

/// The Sort operator.
pub struct Sort<'c> {
    input: Option<Rows<'c>>,
    keys: &'c [SortKey],
    cx: &'c ExecContext<'c>,
    sorted: Sorted,
}

impl<'c> Sort<'c> {
    /// Sorts `input` by `keys`.
    pub fn new(input: Rows<'c>, keys: &'c [SortKey], cx: &'c ExecContext<'c>) -> Self {
        Sort {
            input: Some(input),
            keys,
            cx,
            sorted: Box::new(std::iter::empty()),
        }
    }

    fn fill(&mut self, mut input: Rows<'c>) -> Result<()> {
        let budget = work_mem(self.cx);
        let keys = self.keys.to_vec();
        let mut rows: Vec<(Vec<Value>, Row)> = Vec::new();
        let mut bytes = 0;
        let mut runs: Vec<Spool> = Vec::new();
        let mut n = 0u64;
        while let Some(row) = input.next()? {
            n += 1;
            if n.is_multiple_of(4096) {
                self.cx.cancel.check()?;
            }
            let key = self
                .keys
                .iter()
                .map(|k| eval(&k.expr, &row, self.cx))
                .collect::<Result<Vec<_>>>()?;
            bytes += values_footprint(&key) + values_footprint(&row);
            rows.push((key, row));
            if bytes > budget {
                rows.sort_by(|(a, _), (b, _)| compare_keys(a, b, &keys));
                let it = std::mem::take(&mut rows).into_iter().map(Ok);
                runs.push(write_run(self.cx, Box::new(it))?);
                bytes = 0;
            }
        }
        rows.sort_by(|(a, _), (b, _)| compare_keys(a, b, &keys));
        let last: Sorted = Box::new(rows.into_iter().map(Ok));
        if runs.is_empty() {
            self.sorted = last;
            return Ok(());
        }
        // Merge passes until the runs left can be merged in one.
        while runs.len() >= MERGE_FAN {
            self.cx.cancel.check()?;
            let rest = runs.split_off(MERGE_FAN);
            let group = std::mem::replace(&mut runs, rest);
            let merged = merge(
                group.into_iter().map(read_run).collect::<Result<_>>()?,
                &keys,
            );
            // In front: runs stay in input order, so ties keep it (stable).
            runs.insert(0, write_run(self.cx, merged)?);
        }
        let mut streams: Vec<Sorted> = runs.into_iter().map(read_run).collect::<Result<_>>()?;
        streams.push(last);
        self.sorted = merge(streams, &keys);
        Ok(())
    }
}

/// Writes a sorted stream as a run: items of (key values ++ row), the key
/// count in the item's key bytes.
fn write_run(cx: &ExecContext<'_>, sorted: Sorted) -> Result<Spool> {
    let mut run = Spool::with_budget(cx.source.storage(), 0);
    for item in sorted {
        let (mut key, row) = item?;
        let n = u32::try_from(key.len()).unwrap_or(u32::MAX);
        key.extend(row);
        run.push(n.to_le_bytes().to_vec(), key)?;
    }
    Ok(run)
}

/// Reads a run back as (key values, row).
fn read_run(run: Spool) -> Result<Sorted> {
    Ok(Box::new(run.drain()?.map(|item| {
        let (n, mut values): Item = item?;
        let n = match n.as_slice() {
            [a, b, c, d] => u32::from_le_bytes([*a, *b, *c, *d]) as usize,
            _ => return Err(crate::error::Error::Internal("bad sort run item".into())),
        };
        if n > values.len() {
            return Err(crate::error::Error::Internal("bad sort run item".into()));
        }
        let row = values.split_off(n);
        Ok((values, row))
    })))
}

/// One stream's head in the merge heap (the heap is a max-heap, so the
/// order is reversed; ties go to the earlier stream, for a stable merge).
struct Head {
    key: Vec<Value>,
    row: Row,
    stream: usize,
    keys: std::sync::Arc<[SortKey]>,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_keys(&self.key, &other.key, &self.keys)
            .then(self.stream.cmp(&other.stream))
            .reverse()
    }
}

/// Merges sorted streams into one.
fn merge(streams: Vec<Sorted>, keys: &[SortKey]) -> Sorted {
    Box::new(Merge {
        streams,
        heap: BinaryHeap::new(),
        started: false,
        keys: keys.into(),
    })
}

struct Merge {
    streams: Vec<Sorted>,
    heap: BinaryHeap<Head>,
    started: bool,
    keys: std::sync::Arc<[SortKey]>,
}

impl Merge {
    fn pull(&mut self, stream: usize) -> Result<()> {
        if let Some(item) = self.streams[stream].next() {
            let (key, row) = item?;
            self.heap.push(Head {
                key,
                row,
                stream,
                keys: self.keys.clone(),
            });
        }
        Ok(())
    }
}

impl Iterator for Merge {
    type Item = Result<(Vec<Value>, Row)>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.started {
            self.started = true;
            for i in 0..self.streams.len() {
                if let Err(e) = self.pull(i) {
                    return Some(Err(e));
                }
            }
        }
        let head = self.heap.pop()?;
        if let Err(e) = self.pull(head.stream) {
            return Some(Err(e));
        }
        Some(Ok((head.key, head.row)))
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
        self.sorted
            .next()
            .map(|r| r.map(|(_, row)| row))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::planner::expr::Expr;
    use crate::types::DataType;

    fn stream(items: Vec<(i64, &str)>) -> Sorted {
        Box::new(
            items
                .into_iter()
                .map(|(k, tag)| Ok((vec![Value::Int8(k)], vec![Value::Text(tag.into())])))
                .collect::<Vec<_>>()
                .into_iter(),
        )
    }

    #[test]
    fn merge_orders_by_key_and_keeps_stream_order_on_ties() {
        let keys = [SortKey {
            expr: Expr::Const(Value::Null, DataType::Int8),
            desc: false,
            nulls_first: false,
        }];
        let merged = merge(
            vec![
                stream(vec![(1, "a1"), (3, "a3"), (3, "a3'")]),
                stream(vec![]),
                stream(vec![(0, "c0"), (3, "c3"), (9, "c9")]),
                stream(vec![(1, "d1"), (3, "d3")]),
            ],
            &keys,
        );
        let got: Vec<String> = merged
            .map(|r| match r.expect("item").1.remove(0) {
                Value::Text(t) => t,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, ["c0", "a1", "d1", "a3", "a3'", "c3", "d3", "c9"]);
    }
}
