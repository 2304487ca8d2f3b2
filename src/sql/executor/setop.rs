//! UNION / INTERSECT / EXCEPT, with or without ALL.

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::sql::executor::{RowIter, Rows, collect};
use crate::sql::planner::plan::SetOpKind;
use crate::types::{Row, Value};

/// The set-operation operator.
pub struct SetOp<'c> {
    left: Rows<'c>,
    right: Option<Rows<'c>>,
    kind: SetOpKind,
    all: bool,
    seen: HashSet<Vec<Value>>,
    counts: HashMap<Vec<Value>, usize>,
}

impl<'c> SetOp<'c> {
    /// Combines `left` and `right`.
    pub fn new(left: Rows<'c>, right: Rows<'c>, kind: SetOpKind, all: bool) -> Result<Self> {
        let mut op = SetOp {
            left,
            right: Some(right),
            kind,
            all,
            seen: HashSet::new(),
            counts: HashMap::new(),
        };
        if kind != SetOpKind::Union
            && let Some(r) = op.right.take()
        {
            for row in collect(r)? {
                *op.counts.entry(row).or_default() += 1;
            }
        }
        Ok(op)
    }

    fn next_union(&mut self) -> Result<Option<Row>> {
        loop {
            let row = match self.left.next()? {
                Some(r) => r,
                None => match &mut self.right {
                    Some(r) => match r.next()? {
                        Some(row) => row,
                        None => return Ok(None),
                    },
                    None => return Ok(None),
                },
            };
            if self.all || self.seen.insert(row.clone()) {
                return Ok(Some(row));
            }
        }
    }
}

impl RowIter for SetOp<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        if self.kind == SetOpKind::Union {
            return self.next_union();
        }
        while let Some(row) = self.left.next()? {
            let count = self.counts.get(&row).copied().unwrap_or(0);
            let keep = match self.kind {
                SetOpKind::Intersect => count > 0,
                _ => count == 0,
            };
            if self.kind == SetOpKind::Intersect && count > 0 && self.all {
                self.counts.insert(row.clone(), count - 1);
            }
            if self.kind == SetOpKind::Except && count > 0 && self.all {
                self.counts.insert(row.clone(), count - 1);
                continue;
            }
            if !keep {
                continue;
            }
            if self.all || self.seen.insert(row.clone()) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}
