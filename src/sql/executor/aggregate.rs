//! Aggregate: hash grouping. Output rows are the group-by values followed
//! by the aggregate results, groups in order of first appearance. Without
//! GROUP BY there is exactly one output row, even for no input rows.
//!
//! **Past `work_mem`** (as PostgreSQL 13+ does): once the groups held reach
//! the budget, rows of groups not yet held are written, unchanged and in
//! input order, to one of [`FAN`] spool files chosen by a hash of their
//! group key, while the groups held keep aggregating. Those groups are then
//! finished and written out, and each spool file is aggregated the same way
//! (with another hash, so a partition that is still too large splits
//! again). A group's rows all go through one pass, in input order, so
//! order-sensitive aggregates are unchanged; groups that spilled come out
//! after the others. Results go through a spool too.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::error::Result;
use crate::sql::executor::eval::{eval, truth};
use crate::sql::executor::spool::{Item, Spool, values_footprint, work_mem};
use crate::sql::executor::{ExecContext, RowIter, Rows};
use crate::sql::functions::Accumulator;
use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::AggCall;
use crate::types::{Row, Value};

/// The Aggregate operator.
pub struct Aggregate<'c> {
    input: Option<Rows<'c>>,
    group_by: &'c [Expr],
    aggs: &'c [AggCall],
    cx: &'c ExecContext<'c>,
    out: Box<dyn Iterator<Item = Result<Item>>>,
}

/// Spill partitions per pass.
pub const FAN: usize = 16;

/// Rows of the groups a pass could not hold, by partition.
type Parts = Vec<Option<Spool>>;

impl<'c> Aggregate<'c> {
    /// Aggregates `input`.
    pub fn new(
        input: Rows<'c>,
        group_by: &'c [Expr],
        aggs: &'c [AggCall],
        cx: &'c ExecContext<'c>,
    ) -> Self {
        Aggregate {
            input: Some(input),
            group_by,
            aggs,
            cx,
            out: Box::new(std::iter::empty()),
        }
    }

    fn fresh(&self) -> Vec<Accumulator> {
        self.aggs
            .iter()
            .map(|a| Accumulator::new(a.func, a.ty, a.distinct))
            .collect()
    }

    fn run(&mut self, mut input: Rows<'c>) -> Result<()> {
        let storage = self.cx.source.storage();
        let mut out = Spool::with_budget(storage, work_mem(self.cx));
        let mut pending: Vec<(u32, Spool)> = Vec::new();
        self.pass(0, &mut || input.next(), &mut out, &mut pending)?;
        while let Some((level, part)) = pending.pop() {
            let mut rows = part.drain()?;
            let mut next = || rows.next().transpose().map(|r| r.map(|(_, row)| row));
            self.pass(level, &mut next, &mut out, &mut pending)?;
        }
        self.out = out.drain()?;
        Ok(())
    }

    /// One pass over `next`'s rows: aggregates the groups that fit, spills
    /// the rows of the others into partitions for a pass at `level + 1`.
    fn pass(
        &self,
        level: u32,
        next: &mut dyn FnMut() -> Result<Option<Row>>,
        out: &mut Spool,
        pending: &mut Vec<(u32, Spool)>,
    ) -> Result<()> {
        let budget = work_mem(self.cx);
        let per_group = 64 * self.aggs.len().max(1);
        let mut index: HashMap<Vec<Value>, usize> = HashMap::new();
        let mut groups: Vec<(Vec<Value>, Vec<Accumulator>)> = Vec::new();
        let mut bytes = 0usize;
        let mut parts: Parts = Vec::new();
        let mut n: u32 = 0;
        while let Some(row) = next()? {
            n = n.wrapping_add(1);
            if n.is_multiple_of(4096) {
                self.cx.cancel.check()?;
            }
            let key = self
                .group_by
                .iter()
                .map(|g| eval(g, &row, self.cx))
                .collect::<Result<Vec<_>>>()?;
            let slot = match index.get(&key) {
                Some(&i) => i,
                None if bytes <= budget || groups.is_empty() => {
                    bytes += 2 * values_footprint(&key) + per_group;
                    groups.push((key.clone(), self.fresh()));
                    index.insert(key, groups.len() - 1);
                    groups.len() - 1
                }
                None => {
                    self.spill(level, &key, row, &mut parts)?;
                    continue;
                }
            };
            for (acc, call) in groups[slot].1.iter_mut().zip(self.aggs) {
                if let Some(f) = &call.filter
                    && truth(&eval(f, &row, self.cx)?)? != Some(true)
                {
                    continue;
                }
                let args = call
                    .args
                    .iter()
                    .map(|a| eval(a, &row, self.cx))
                    .collect::<Result<Vec<_>>>()?;
                acc.update(&args)?;
            }
        }
        if level == 0 && groups.is_empty() && self.group_by.is_empty() {
            groups.push((vec![], self.fresh()));
        }
        let ctx = &self.cx.fns.types;
        drop(index);
        for (mut key, accs) in groups {
            for a in &accs {
                key.push(a.finish(ctx)?);
            }
            out.push(Vec::new(), key)?;
        }
        // Partitions in reverse, so that `pending.pop()` takes them in order.
        for p in parts.into_iter().rev().flatten() {
            pending.push((level + 1, p));
        }
        Ok(())
    }

    /// Writes `row` to the partition of its group `key` at `level`.
    fn spill(&self, level: u32, key: &[Value], row: Row, parts: &mut Parts) -> Result<()> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        level.hash(&mut h);
        key.hash(&mut h);
        let p = (h.finish() % FAN as u64) as usize;
        if parts.is_empty() {
            parts.resize_with(FAN, || None);
        }
        parts[p]
            .get_or_insert_with(|| Spool::with_budget(self.cx.source.storage(), 0))
            .push(Vec::new(), row)
    }
}

impl RowIter for Aggregate<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        if let Some(input) = self.input.take() {
            self.run(input)?;
        }
        self.out.next().map(|r| r.map(|(_, row)| row)).transpose()
    }
}
