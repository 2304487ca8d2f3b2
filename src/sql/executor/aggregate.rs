//! Aggregate: hash grouping. Output rows are the group-by values followed
//! by the aggregate results, groups in order of first appearance. Without
//! GROUP BY there is exactly one output row, even for no input rows.

use std::collections::HashMap;

use crate::error::Result;
use crate::sql::executor::eval::{eval, truth};
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
    out: std::vec::IntoIter<Row>,
}

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
            out: Vec::new().into_iter(),
        }
    }

    fn fresh(&self) -> Vec<Accumulator> {
        self.aggs
            .iter()
            .map(|a| Accumulator::new(a.func, a.ty, a.distinct))
            .collect()
    }

    fn run(&mut self, mut input: Rows<'c>) -> Result<()> {
        let mut index: HashMap<Vec<Value>, usize> = HashMap::new();
        let mut groups: Vec<(Vec<Value>, Vec<Accumulator>)> = Vec::new();
        let mut n: u32 = 0;
        while let Some(row) = input.next()? {
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
                None => {
                    groups.push((key.clone(), self.fresh()));
                    index.insert(key, groups.len() - 1);
                    groups.len() - 1
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
        if groups.is_empty() && self.group_by.is_empty() {
            groups.push((vec![], self.fresh()));
        }
        let ctx = &self.cx.fns.types;
        let mut out = Vec::with_capacity(groups.len());
        for (mut key, accs) in groups {
            for a in &accs {
                key.push(a.finish(ctx)?);
            }
            out.push(key);
        }
        self.out = out.into_iter();
        Ok(())
    }
}

impl RowIter for Aggregate<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        if let Some(input) = self.input.take() {
            self.run(input)?;
        }
        Ok(self.out.next())
    }
}
