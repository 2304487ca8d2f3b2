//! Joins: a hash join when the optimizer found equality keys (inner and
//! left joins), otherwise a nested loop over the materialized right input.
//! Output rows are the left columns followed by the right columns; the
//! missing side of an outer join is NULL.

use std::collections::HashMap;

use crate::error::Result;
use crate::sql::executor::eval::{eval, truth};
use crate::sql::executor::{ExecContext, RowIter, Rows, build as build_node, collect};
use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::{JoinType, Node};
use crate::types::{Row, Value};

/// Builds the join operator.
#[allow(clippy::too_many_arguments)]
pub fn build<'c>(
    left: Rows<'c>,
    right: &'c Node,
    left_width: usize,
    right_width: usize,
    kind: JoinType,
    on: Option<&'c Expr>,
    equi: &'c [(Expr, Expr)],
    cx: &'c ExecContext<'c>,
) -> Result<Rows<'c>> {
    let right_rows = collect(build_node(right, cx)?)?;
    let hash = if equi.is_empty() || !matches!(kind, JoinType::Inner | JoinType::Left) {
        None
    } else {
        let mut table: HashMap<Vec<Value>, Vec<usize>> = HashMap::new();
        for (i, r) in right_rows.iter().enumerate() {
            if let Some(k) = hash_key(equi.iter().map(|(_, re)| re), r, cx)? {
                table.entry(k).or_default().push(i);
            }
        }
        Some(table)
    };
    Ok(Box::new(Join {
        left,
        right: right_rows.clone(),
        matched: vec![false; right_rows.len()],
        left_width,
        right_width,
        kind,
        on,
        equi,
        hash,
        cx,
        current: None,
        candidates: Vec::new(),
        pos: 0,
        current_matched: false,
        tail: None,
    }))
}

/// Evaluates join keys, widening integers so int4 and int8 keys meet;
/// `None` if a key is NULL (NULL never joins).
fn hash_key<'e>(
    exprs: impl Iterator<Item = &'e Expr>,
    row: &[Value],
    cx: &ExecContext<'_>,
) -> Result<Option<Vec<Value>>> {
    let mut key = Vec::new();
    for e in exprs {
        let v = match eval(e, row, cx)? {
            Value::Null => return Ok(None),
            Value::Int2(i) => Value::Int8(i as i64),
            Value::Int4(i) => Value::Int8(i as i64),
            v => v,
        };
        key.push(v);
    }
    Ok(Some(key))
}

struct Join<'c> {
    left: Rows<'c>,
    right: Vec<Row>,
    matched: Vec<bool>,
    left_width: usize,
    right_width: usize,
    kind: JoinType,
    on: Option<&'c Expr>,
    equi: &'c [(Expr, Expr)],
    hash: Option<HashMap<Vec<Value>, Vec<usize>>>,
    cx: &'c ExecContext<'c>,
    current: Option<Row>,
    candidates: Vec<usize>,
    pos: usize,
    current_matched: bool,
    /// Unmatched right rows still to emit (RIGHT/FULL joins).
    tail: Option<usize>,
}

impl Join<'_> {
    fn advance_left(&mut self) -> Result<bool> {
        let Some(l) = self.left.next()? else {
            return Ok(false);
        };
        self.candidates = match &self.hash {
            Some(h) => match hash_key(self.equi.iter().map(|(le, _)| le), &l, self.cx)? {
                Some(k) => h.get(&k).cloned().unwrap_or_default(),
                None => vec![],
            },
            None => (0..self.right.len()).collect(),
        };
        self.current = Some(l);
        self.pos = 0;
        self.current_matched = false;
        Ok(true)
    }

    fn emit_tail(&mut self) -> Option<Row> {
        let start = self.tail.get_or_insert(0);
        while *start < self.right.len() {
            let i = *start;
            *start += 1;
            if !self.matched[i] {
                let mut row = vec![Value::Null; self.left_width];
                row.extend(self.right[i].iter().cloned());
                return Some(row);
            }
        }
        None
    }
}

impl RowIter for Join<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        loop {
            if self.tail.is_some() {
                return Ok(self.emit_tail());
            }
            if self.current.is_none() && !self.advance_left()? {
                if matches!(self.kind, JoinType::Right | JoinType::Full) {
                    return Ok(self.emit_tail());
                }
                return Ok(None);
            }
            let Some(l) = &self.current else { continue };
            while self.pos < self.candidates.len() {
                let ri = self.candidates[self.pos];
                self.pos += 1;
                let mut row = l.clone();
                row.extend(self.right[ri].iter().cloned());
                let ok = match self.on {
                    Some(c) => truth(&eval(c, &row, self.cx)?)? == Some(true),
                    None => true,
                };
                if ok {
                    self.current_matched = true;
                    self.matched[ri] = true;
                    return Ok(Some(row));
                }
            }
            let unmatched_left =
                !self.current_matched && matches!(self.kind, JoinType::Left | JoinType::Full);
            let l = self.current.take();
            if unmatched_left {
                let mut row = l.unwrap_or_default();
                row.extend(std::iter::repeat_n(Value::Null, self.right_width));
                return Ok(Some(row));
            }
        }
    }
}
