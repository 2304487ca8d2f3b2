//! Access-path selection: which key a scan reads through.
//!
//! From the scan's filter conjuncts of the form `column = v`, `column IN
//! (v, ...)` and `column <op> v` (`v` row-independent), each candidate key
//! — the primary key, then every secondary index — gets a [`KeyLookup`]:
//! equalities (or IN lists) on as many leading key columns as possible,
//! then at most one range on the next. The best candidate wins, by a simple
//! rule until the cost-based optimizer arrives:
//!
//! 1. a single-point lookup of a whole unique key (primary key first);
//! 2. otherwise the longest equality prefix;
//! 3. then a range over none;
//! 4. ties go to the primary key, then to the oldest index.
//!
//! The conjuncts stay in the filter: the access path only narrows what is
//! read, it never decides the answer (bounds that do not convert exactly to
//! the key's type are widened when the scan runs).

use crate::sql::planner::expr::{CmpOp, Expr};
use crate::sql::planner::plan::{KeyAccess, KeyLookup, Scan};

/// The most point combinations an IN-list prefix may expand to.
pub const MAX_POINTS: usize = 1024;

/// One usable conjunct: what it says about a column.
#[derive(Debug, Clone)]
struct Fact {
    column: usize,
    kind: FactKind,
    /// The conjunct itself.
    cond: Expr,
}

#[derive(Debug, Clone)]
enum FactKind {
    Eq(Expr),
    In(Vec<Expr>),
    Lower(Expr, bool),
    Upper(Expr, bool),
}

/// Picks the scan's access path from its filter (see the module docs).
pub fn choose_access(s: &mut Scan) {
    s.access = KeyAccess::Full;
    let Some(filter) = &s.filter else {
        return;
    };
    let facts: Vec<Fact> = filter.clone().conjuncts().iter().filter_map(fact).collect();
    if facts.is_empty() {
        return;
    }
    let mut best: Option<(Rank, KeyAccess)> = None;
    let pk = &s.table.schema.primary_key;
    if !pk.is_empty() {
        let lookup = lookup_for(pk, &facts);
        if !lookup.is_empty() {
            best = Some((
                rank(&lookup, pk.len(), true, true),
                KeyAccess::Primary(lookup),
            ));
        }
    }
    for index in s.indexes.iter() {
        let lookup = lookup_for(&index.columns, &facts);
        if lookup.is_empty() {
            continue;
        }
        let r = rank(&lookup, index.columns.len(), index.unique, false);
        if best.as_ref().is_none_or(|(b, _)| r > *b) {
            best = Some((
                r,
                KeyAccess::Index {
                    index: index.clone(),
                    lookup,
                },
            ));
        }
    }
    if let Some((_, access)) = best {
        s.access = access;
    }
}

/// How good a lookup is; larger is better (fields compared in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    unique_point: bool,
    prefix: usize,
    range: bool,
    primary: bool,
}

fn rank(l: &KeyLookup, key_len: usize, unique: bool, primary: bool) -> Rank {
    Rank {
        unique_point: unique
            && l.prefix.len() == key_len
            && l.prefix.iter().all(|alts| alts.len() == 1),
        prefix: l.prefix.len(),
        range: l.lower.is_some() || l.upper.is_some(),
        primary,
    }
}

/// The lookup the facts allow over a key with these columns.
fn lookup_for(key: &[usize], facts: &[Fact]) -> KeyLookup {
    let mut l = KeyLookup {
        prefix: Vec::new(),
        lower: None,
        upper: None,
        conds: Vec::new(),
    };
    for &col in key {
        let on_col = || facts.iter().filter(move |f| f.column == col);
        if let Some(f) = on_col().find(|f| matches!(f.kind, FactKind::Eq(_))) {
            if let FactKind::Eq(v) = &f.kind {
                l.prefix.push(vec![v.clone()]);
                l.conds.push(f.cond.clone());
            }
            continue;
        }
        let combos = l.combinations();
        let list = on_col().find_map(|f| match &f.kind {
            FactKind::In(list) if combos.saturating_mul(list.len()) <= MAX_POINTS => {
                Some((list, f))
            }
            _ => None,
        });
        if let Some((list, f)) = list {
            l.prefix.push(list.clone());
            l.conds.push(f.cond.clone());
            continue;
        }
        for f in on_col() {
            match &f.kind {
                FactKind::Lower(v, inc) if l.lower.is_none() => {
                    l.lower = Some((v.clone(), *inc));
                    l.conds.push(f.cond.clone());
                }
                FactKind::Upper(v, inc) if l.upper.is_none() => {
                    l.upper = Some((v.clone(), *inc));
                    l.conds.push(f.cond.clone());
                }
                _ => {}
            }
        }
        break;
    }
    l
}

/// What a conjunct says about one column, if it is usable for key access.
fn fact(c: &Expr) -> Option<Fact> {
    if let Expr::InList {
        expr,
        list,
        negated: false,
    } = c
        && let Expr::Column(i, _) = expr.as_ref()
        && !list.is_empty()
        && list.iter().all(usable_value)
    {
        return Some(Fact {
            column: *i,
            kind: FactKind::In(list.clone()),
            cond: c.clone(),
        });
    }
    let (column, op, v) = key_comparison(c)?;
    let kind = match op {
        CmpOp::Eq => FactKind::Eq(v),
        CmpOp::Gt => FactKind::Lower(v, false),
        CmpOp::GtEq => FactKind::Lower(v, true),
        CmpOp::Lt => FactKind::Upper(v, false),
        CmpOp::LtEq => FactKind::Upper(v, true),
        CmpOp::NotEq => return None,
    };
    Some(Fact {
        column,
        kind,
        cond: c.clone(),
    })
}

/// `column op value` (either way round) with a row-independent value.
fn key_comparison(c: &Expr) -> Option<(usize, CmpOp, Expr)> {
    let Expr::Compare(op, a, b) = c else {
        return None;
    };
    match (a.as_ref(), b.as_ref()) {
        (Expr::Column(i, _), v) if usable_value(v) => Some((*i, *op, v.clone())),
        (v, Expr::Column(i, _)) if usable_value(v) => Some((*i, op.flip(), v.clone())),
        _ => None,
    }
}

/// A value a key lookup can compute before reading: row-independent and
/// without subqueries.
fn usable_value(v: &Expr) -> bool {
    v.is_row_independent() && !v.any(&|x| matches!(x, Expr::Subquery(..)))
}

#[cfg(test)]
mod tests;
