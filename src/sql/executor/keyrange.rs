//! Key ranges: a [`KeyLookup`] evaluated into the encoded byte ranges a
//! scan reads from storage.
//!
//! Keys are `encoding::keycode` tuples, whose encodings are self-delimiting
//! and concatenate, so "every key whose leading columns equal P" is the
//! byte range `[P, successor(P))`, where the successor of P is the smallest
//! string greater than every string that starts with P:
//!
//! ```text
//!   key (a, b)      a = 1 AND b > 5          a IN (1, 2)
//!   lower           succ(enc(1) enc(5))      enc(1)       | enc(2)
//!   upper           succ(enc(1))             succ(enc(1)) | succ(enc(2))
//! ```
//!
//! Values are first converted exactly to the key column's type (a key
//! holds values of that type only); one that cannot be (`1.5` for an
//! integer key, or NULL) matches no key in an equality, and widens the
//! range it bounds (the scan's filter decides). The ranges come out sorted,
//! without duplicates, and disjoint, so the rows they read come out once,
//! in key order.

use std::ops::Bound;

use crate::encoding::keycode::encode_key;
use crate::error::Result;
use crate::sql::executor::ExecContext;
use crate::sql::executor::eval::eval;
use crate::sql::executor::scan::exact_key_value;
use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::KeyLookup;
use crate::types::DataType;

/// Lower and upper bounds on encoded keys.
pub type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Every key range: the whole key space.
pub fn everything() -> Vec<KeyRange> {
    vec![(Bound::Unbounded, Bound::Unbounded)]
}

/// The ranges a lookup reads over a key whose columns have `types`.
/// `exact`: the key has exactly these columns and nothing follows them (a
/// primary key), so a lookup of all of them is a single-key range
/// `[k, k]`, which storage serves as a point lookup.
pub fn lookup_ranges(
    l: &KeyLookup,
    types: &[DataType],
    exact: bool,
    cx: &ExecContext<'_>,
) -> Result<Vec<KeyRange>> {
    let mut prefixes: Vec<Vec<u8>> = vec![Vec::new()];
    for (alts, ty) in l.prefix.iter().zip(types) {
        let mut values = Vec::with_capacity(alts.len());
        for e in alts {
            if let Some(enc) = encoded(e, ty, cx)? {
                values.push(enc);
            }
        }
        values.sort_unstable();
        values.dedup();
        let mut next = Vec::with_capacity(prefixes.len() * values.len());
        for p in &prefixes {
            for v in &values {
                let mut k = p.clone();
                k.extend_from_slice(v);
                next.push(k);
            }
        }
        if next.is_empty() {
            return Ok(Vec::new());
        }
        prefixes = next;
    }
    prefixes.sort_unstable();
    if exact && l.prefix.len() == types.len() {
        return Ok(prefixes
            .into_iter()
            .map(|k| (Bound::Included(k.clone()), Bound::Included(k)))
            .collect());
    }
    let ty = types.get(l.prefix.len());
    let lower = match range_bound(l.lower.as_ref(), ty, cx)? {
        Some(b) => b,
        None => return Ok(Vec::new()),
    };
    let upper = match range_bound(l.upper.as_ref(), ty, cx)? {
        Some(b) => b,
        None => return Ok(Vec::new()),
    };
    let mut out = Vec::with_capacity(prefixes.len());
    for p in prefixes {
        let lo = match &lower {
            None => at_least(p.clone()),
            Some((v, true)) => at_least(cat(&p, v)),
            Some((v, false)) => match successor(&cat(&p, v)) {
                Some(s) => Bound::Included(s),
                None => continue,
            },
        };
        let hi = match &upper {
            None => below_successor(&p),
            Some((v, true)) => below_successor(&cat(&p, v)),
            Some((v, false)) => Bound::Excluded(cat(&p, v)),
        };
        if nonempty(&lo, &hi) {
            out.push((lo, hi));
        }
    }
    Ok(out)
}

/// The encoded key of one row-independent value converted exactly to
/// `ty`; `None` when no key of that type can equal it (NULL included).
pub fn encoded(e: &Expr, ty: &DataType, cx: &ExecContext<'_>) -> Result<Option<Vec<u8>>> {
    let v = eval(e, &[], cx)?;
    let Some(v) = exact_key_value(v, ty, cx)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    encode_key(&[v], &mut out)?;
    Ok(Some(out))
}

/// A range bound's value.
enum Bounded {
    /// NULL: the comparison is never true.
    Null,
    /// Not exactly representable in the key type: no bound (the filter
    /// decides).
    Inexact,
    /// The encoded value.
    Exact(Vec<u8>),
}

/// A range bound evaluated: `Some(None)` for no bound, `None` when the
/// comparison can never be true (a NULL bound).
#[allow(clippy::type_complexity)] // Option of Option says exactly this
fn range_bound(
    b: Option<&(Expr, bool)>,
    ty: Option<&DataType>,
    cx: &ExecContext<'_>,
) -> Result<Option<Option<(Vec<u8>, bool)>>> {
    let (Some((e, inc)), Some(ty)) = (b, ty) else {
        return Ok(Some(None));
    };
    Ok(match bound_value(e, ty, cx)? {
        Bounded::Null => None,
        Bounded::Inexact => Some(None),
        Bounded::Exact(v) => Some(Some((v, *inc))),
    })
}

fn bound_value(e: &Expr, ty: &DataType, cx: &ExecContext<'_>) -> Result<Bounded> {
    let v = eval(e, &[], cx)?;
    if v.is_null() {
        return Ok(Bounded::Null);
    }
    Ok(match exact_key_value(v, ty, cx)? {
        Some(v) => {
            let mut out = Vec::new();
            encode_key(&[v], &mut out)?;
            Bounded::Exact(out)
        }
        None => Bounded::Inexact,
    })
}

fn cat(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + b.len());
    k.extend_from_slice(a);
    k.extend_from_slice(b);
    k
}

/// Keys ≥ `k` (everything for the empty prefix).
fn at_least(k: Vec<u8>) -> Bound<Vec<u8>> {
    if k.is_empty() {
        Bound::Unbounded
    } else {
        Bound::Included(k)
    }
}

/// Keys below every key that starts with `k` or sorts after it.
fn below_successor(k: &[u8]) -> Bound<Vec<u8>> {
    match successor(k) {
        Some(s) => Bound::Excluded(s),
        None => Bound::Unbounded,
    }
}

/// The smallest byte string greater than every string starting with `k`:
/// `k` without its trailing 0xFF bytes, last byte incremented. `None` when
/// there is none (`k` empty or all 0xFF).
pub fn successor(k: &[u8]) -> Option<Vec<u8>> {
    let end = k.iter().rposition(|&b| b != 0xFF)?;
    let mut s = k[..=end].to_vec();
    s[end] += 1;
    Some(s)
}

/// False when no key can lie in the range (storage need not be asked).
pub fn nonempty(lo: &Bound<Vec<u8>>, hi: &Bound<Vec<u8>>) -> bool {
    use Bound::{Excluded, Included, Unbounded};
    match (lo, hi) {
        (Unbounded, _) | (_, Unbounded) => true,
        (Included(a), Included(b)) => a <= b,
        (Included(a), Excluded(b)) | (Excluded(a), Included(b)) | (Excluded(a), Excluded(b)) => {
            a < b
        }
    }
}

#[cfg(test)]
mod tests;
