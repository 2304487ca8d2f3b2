//! Table scans: the current state, a past state (`AS OF`), or versions with
//! their periods (`FROM … TO`, `BETWEEN`, `ALL`), through the scan's key
//! access path (point lookup, key range or full scan).
//!
//! Scan rows are the table's columns followed by the four pseudo-columns
//! (`system_time_start`, `system_time_end`, `system_seq_start`,
//! `system_seq_end`); those are NULL unless the plan asked for them.

use std::ops::Bound;

use crate::encoding::keycode::encode_key;
use crate::error::{Error, Result, SqlState};
use crate::sql::executor::eval::{eval, truth};
use crate::sql::executor::{ExecContext, RowIter, Rows, Source};
use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::{KeyAccess, Scan, TimeBound, TimeSelect};
use crate::sql_err;
use crate::storage::{Seq, VersionFilter};
use crate::types::cast::cast;
use crate::types::datetime::{pg_to_unix_micros, unix_micros_to_pg};
use crate::types::ops;
use crate::types::{DataType, Row, Value};

/// A row as storage returns it, with its key and (for version reads) period.
pub struct ScanRow {
    /// The primary key (or hidden row id) bytes.
    pub key: Vec<u8>,
    /// The stored values.
    pub row: Row,
    /// The version's start and end seqs, when read as versions.
    pub period: Option<(Seq, Option<Seq>)>,
}

/// Lower and upper bounds on encoded keys.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

type RawIter<'c> = Box<dyn Iterator<Item = Result<ScanRow>> + 'c>;

/// The scan operator.
struct ScanIter<'c> {
    raw: RawIter<'c>,
    scan: &'c Scan,
    cx: &'c ExecContext<'c>,
    width: usize,
    seen: u32,
}

/// Builds the scan operator.
pub fn build<'c>(scan: &'c Scan, cx: &'c ExecContext<'c>) -> Result<Rows<'c>> {
    let raw = open(scan, cx)?;
    Ok(Box::new(ScanIter {
        raw,
        scan,
        cx,
        width: scan.table.schema.columns.len(),
        seen: 0,
    }))
}

impl RowIter for ScanIter<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        loop {
            self.seen = self.seen.wrapping_add(1);
            if self.seen.is_multiple_of(1024) {
                self.cx.cancel.check()?;
            }
            let Some(r) = self.raw.next().transpose()? else {
                return Ok(None);
            };
            let row = self.shape(r)?;
            if let Some(f) = &self.scan.filter
                && truth(&eval(f, &row, self.cx)?)? != Some(true)
            {
                continue;
            }
            return Ok(Some(row));
        }
    }
}

impl ScanIter<'_> {
    /// Pads an old version to the table's current width and appends the
    /// pseudo-columns.
    fn shape(&self, r: ScanRow) -> Result<Row> {
        let mut row = r.row;
        // One allocation for the padded row plus the pseudo-columns.
        row.reserve_exact((self.width + 4).saturating_sub(row.len()));
        row.resize(self.width, Value::Null);
        match r.period {
            Some((start, end)) if self.scan.pseudo => {
                let storage = self.cx.source.storage();
                let ts = |s: Seq| {
                    storage
                        .commit_time(s)
                        .map_or(Value::Null, |t| Value::Timestamptz(unix_micros_to_pg(t)))
                };
                row.push(ts(start));
                row.push(end.map_or(Value::Null, ts));
                row.push(Value::Int8(start as i64));
                row.push(end.map_or(Value::Null, |e| Value::Int8(e as i64)));
            }
            _ => row.extend(std::iter::repeat_n(Value::Null, 4)),
        }
        Ok(row)
    }
}

/// Opens the raw row stream of a scan (filter not applied): one stream per
/// key range of its access path, in key order.
pub fn open<'c>(scan: &'c Scan, cx: &'c ExecContext<'c>) -> Result<RawIter<'c>> {
    let mut ranges = key_ranges(scan, cx)?;
    if ranges.len() == 1 {
        let (lower, upper) = ranges.remove(0);
        return open_range(scan, cx, lower, upper);
    }
    Ok(Box::new(ranges.into_iter().flat_map(
        move |(lower, upper)| match open_range(scan, cx, lower, upper) {
            Ok(rows) => rows,
            Err(e) => Box::new(std::iter::once(Err(e))),
        },
    )))
}

/// The raw rows of one key range.
fn open_range<'c>(
    scan: &'c Scan,
    cx: &'c ExecContext<'c>,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
) -> Result<RawIter<'c>> {
    let table = scan.table.id;
    let versions = |filter: VersionFilter| -> Result<RawIter<'c>> {
        let reader = match cx.source.storage().reader(table) {
            Ok(r) => r,
            // A table created by this (uncommitted) transaction has no history yet.
            Err(_) if matches!(cx.source, Source::Txn { .. }) => {
                return Ok(Box::new(std::iter::empty()));
            }
            Err(e) => return Err(e),
        };
        Ok(Box::new(
            reader
                .versions(lower.clone(), upper.clone(), filter)
                .map(|v| {
                    v.map(|v| ScanRow {
                        key: v.key,
                        row: v.row,
                        period: Some((v.start, v.end)),
                    })
                }),
        ))
    };
    match &scan.time {
        TimeSelect::Current if scan.pseudo => {
            let s = cx.source.committed_seq();
            versions(VersionFilter {
                start_le: s,
                end_gt: s,
            })
        }
        TimeSelect::Current => {
            // A single key is a point lookup, not a range scan.
            let point = match (&lower, &upper) {
                (Bound::Included(lo), Bound::Included(hi)) if lo == hi => Some(lo.clone()),
                _ => None,
            };
            match (&cx.source, point) {
                (Source::Snapshot { storage, seq }, Some(key)) => {
                    let row = storage.reader(table)?.get(&key, *seq)?;
                    Ok(one(key, row))
                }
                (Source::Snapshot { storage, seq }, None) => Ok(Box::new(
                    storage.reader(table)?.scan(*seq, lower, upper).map(plain),
                )),
                (Source::Txn { txn, .. }, Some(key)) => {
                    let row = txn.get(table, &key)?;
                    Ok(one(key, row))
                }
                (Source::Txn { txn, .. }, None) => {
                    Ok(Box::new(txn.scan(table, lower, upper)?.map(plain)))
                }
            }
        }
        TimeSelect::AsOf(b) => {
            let s = resolve(b, cx, false)?;
            versions(VersionFilter {
                start_le: s,
                end_gt: s,
            })
        }
        TimeSelect::FromTo(a, b) => {
            let end_gt = resolve(a, cx, false)?;
            let start_le = match b {
                TimeBound::Seq(n) => n.saturating_sub(1),
                b => resolve(b, cx, true)?,
            };
            versions(VersionFilter { start_le, end_gt })
        }
        TimeSelect::Between(a, b) => {
            let end_gt = resolve(a, cx, false)?;
            let start_le = resolve(b, cx, false)?;
            versions(VersionFilter { start_le, end_gt })
        }
        TimeSelect::All => versions(VersionFilter {
            start_le: Seq::MAX,
            end_gt: 0,
        }),
    }
}

/// The stream of at most one row found by a point lookup.
fn one<'c>(key: Vec<u8>, row: Option<Row>) -> RawIter<'c> {
    Box::new(
        row.map(|row| {
            Ok(ScanRow {
                key,
                row,
                period: None,
            })
        })
        .into_iter(),
    )
}

fn plain(r: Result<(Vec<u8>, Row)>) -> Result<ScanRow> {
    r.map(|(key, row)| ScanRow {
        key,
        row,
        period: None,
    })
}

/// Resolves a time bound to a seq: `@SEQ:N` as given, a timestamp to the
/// last commit at or before it (`strict`: strictly before it).
fn resolve(b: &TimeBound, cx: &ExecContext<'_>, strict: bool) -> Result<Seq> {
    let storage = cx.source.storage();
    match b {
        TimeBound::Seq(n) => Ok(*n),
        TimeBound::Time(e) => {
            let v = eval(e, &[], cx)?;
            let micros = match cast(v, &DataType::Timestamptz, &cx.fns.types)? {
                Value::Timestamptz(t) => t,
                Value::Null => {
                    return Err(sql_err!(
                        SqlState::NULL_VALUE_NOT_ALLOWED,
                        "FOR SYSTEM_TIME point must not be null"
                    ));
                }
                other => return Err(Error::Internal(format!("time bound {other:?}"))),
            };
            let unix = match micros {
                i64::MAX => i64::MAX,
                i64::MIN => i64::MIN,
                m => pg_to_unix_micros(m),
            };
            Ok(if strict {
                storage.seq_before_time(unix)
            } else {
                storage.seq_at_time(unix)
            })
        }
    }
}

/// The key ranges a scan reads, in key order: none when no key can match
/// (a NULL key, or a value outside the key column's type).
fn key_ranges(scan: &Scan, cx: &ExecContext<'_>) -> Result<Vec<KeyRange>> {
    let schema = &scan.table.schema;
    match &scan.access {
        KeyAccess::Full => Ok(vec![(Bound::Unbounded, Bound::Unbounded)]),
        KeyAccess::Points(keys) => {
            let mut encoded = Vec::with_capacity(keys.len());
            'keys: for exprs in keys {
                let mut values = Vec::with_capacity(exprs.len());
                for (e, &col) in exprs.iter().zip(&schema.primary_key) {
                    let v = eval(e, &[], cx)?;
                    match exact_key_value(v, &schema.columns[col].ty, cx)? {
                        Some(v) => values.push(v),
                        None => continue 'keys,
                    }
                }
                let mut key = Vec::new();
                encode_key(&values, &mut key)?;
                encoded.push(key);
            }
            encoded.sort_unstable();
            encoded.dedup();
            Ok(encoded
                .into_iter()
                .map(|k| (Bound::Included(k.clone()), Bound::Included(k)))
                .collect())
        }
        KeyAccess::Range { lower, upper } => {
            let ty = schema.columns[schema.primary_key[0]].ty;
            let bound = |b: &Option<(Expr, bool)>| -> Result<Option<Bound<Vec<u8>>>> {
                let Some((e, inclusive)) = b else {
                    return Ok(Some(Bound::Unbounded));
                };
                let v = eval(e, &[], cx)?;
                if v.is_null() {
                    return Ok(None);
                }
                // A bound that does not convert exactly to the key type
                // (1.5 for an integer key) is dropped: the filter decides.
                let Some(v) = exact_key_value(v, &ty, cx)? else {
                    return Ok(Some(Bound::Unbounded));
                };
                let mut key = Vec::new();
                encode_key(&[v], &mut key)?;
                Ok(Some(if *inclusive {
                    Bound::Included(key)
                } else {
                    Bound::Excluded(key)
                }))
            };
            match (bound(lower)?, bound(upper)?) {
                (Some(lo), Some(hi)) => Ok(vec![(lo, hi)]),
                _ => Ok(vec![]),
            }
        }
    }
}

/// `v` converted to the key column's type if the conversion is exact; `None`
/// for NULL or when no key of that type can equal `v`.
pub fn exact_key_value(v: Value, ty: &DataType, cx: &ExecContext<'_>) -> Result<Option<Value>> {
    if v.is_null() {
        return Ok(None);
    }
    if v.data_type() == crate::sql::planner::coerce::base_type(*ty)
        || (ty.is_string() && matches!(v, Value::Text(_)))
    {
        return Ok(Some(v));
    }
    let Ok(converted) = cast(v.clone(), ty, &cx.fns.types) else {
        return Ok(None);
    };
    match ops::compare(&converted, &v) {
        Ok(Some(std::cmp::Ordering::Equal)) => Ok(Some(converted)),
        _ => Ok(None),
    }
}
