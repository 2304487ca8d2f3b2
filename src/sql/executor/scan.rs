//! Table scans: the current state, a past state (`AS OF`), or versions with
//! their periods (`FROM … TO`, `BETWEEN`, `ALL`), through the scan's access
//! path: the whole table, key ranges of the primary key, or key ranges of
//! a secondary index (`keyrange` computes the ranges). Time travel through
//! an index asks storage for the rows whose indexed value matched at the
//! seq (`TableReader::index_scan` / `index_versions`).
//!
//! Scan rows are the table's columns followed by the four pseudo-columns
//! (`system_time_start`, `system_time_end`, `system_seq_start`,
//! `system_seq_end`); those are NULL unless the plan asked for them.

use std::ops::Bound;

use crate::error::{Error, Result, SqlState};
use crate::sql::executor::eval::{eval, truth};
use crate::sql::executor::keyrange;
use crate::sql::executor::{ExecContext, RowIter, Rows, Source};
use crate::sql::planner::plan::{KeyAccess, Scan, TimeBound, TimeSelect};
use crate::sql_err;
use crate::storage::{IndexId, Seq, TableId, TableReader, Version, VersionFilter, WriteTxn};
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

/// What a scan reads, with its time bounds resolved to seqs.
#[derive(Debug, Clone, Copy)]
enum Read {
    /// The current state as the statement's source sees it.
    Current,
    /// The rows as of a committed seq (without their periods).
    AsOf(Seq),
    /// Versions passing a filter, with their periods.
    Versions(VersionFilter),
}

/// Opens the raw row stream of a scan (filter not applied): the rows of
/// each key range of its access path, one range after the other.
pub fn open<'c>(scan: &'c Scan, cx: &'c ExecContext<'c>) -> Result<RawIter<'c>> {
    let read = resolve_read(scan, cx)?;
    let (index, ranges) = match &scan.access {
        KeyAccess::Full => (None, keyrange::everything()),
        KeyAccess::Primary(l) => {
            let schema = &scan.table.schema;
            let types: Vec<DataType> = schema
                .primary_key
                .iter()
                .map(|&i| schema.columns[i].ty)
                .collect();
            (None, keyrange::lookup_ranges(l, &types, true, cx)?)
        }
        KeyAccess::Index { index, lookup } => {
            let schema = &scan.table.schema;
            let types: Vec<DataType> = index
                .columns
                .iter()
                .map(|&i| schema.columns.get(i).map_or(DataType::Unknown, |c| c.ty))
                .collect();
            if time_travel_without(index.id, scan, read, cx) {
                // The index is this transaction's own: history has no
                // entries in it yet, so read every version (the filter
                // decides).
                (None, keyrange::everything())
            } else {
                (
                    Some(index.id),
                    keyrange::lookup_ranges(lookup, &types, false, cx)?,
                )
            }
        }
    };
    // One reader for every range (none for the transaction's own view).
    let reader = match (read, &cx.source) {
        (Read::Current, Source::Txn { .. }) => None,
        (_, source) => match source.storage().reader(scan.table.id) {
            Ok(r) => Some(r),
            // A table created by this (uncommitted) transaction has no
            // history yet.
            Err(_) if matches!(source, Source::Txn { .. }) => {
                return Ok(Box::new(std::iter::empty()));
            }
            Err(e) => return Err(e),
        },
    };
    // Each range is opened when the previous one is done.
    let table = scan.table.id;
    Ok(Box::new(ranges.into_iter().flat_map(
        move |(lower, upper)| match open_range(
            table,
            reader.as_ref(),
            index,
            read,
            lower,
            upper,
            cx,
        ) {
            Ok(rows) => rows,
            Err(e) => Box::new(std::iter::once(Err(e))),
        },
    )))
}

fn resolve_read(scan: &Scan, cx: &ExecContext<'_>) -> Result<Read> {
    Ok(match &scan.time {
        TimeSelect::Current if scan.pseudo => {
            let s = cx.source.committed_seq();
            Read::Versions(VersionFilter {
                start_le: s,
                end_gt: s,
            })
        }
        TimeSelect::Current => Read::Current,
        TimeSelect::AsOf(b) => {
            let s = resolve(b, cx, false)?;
            if scan.pseudo {
                Read::Versions(VersionFilter {
                    start_le: s,
                    end_gt: s,
                })
            } else {
                Read::AsOf(s)
            }
        }
        TimeSelect::FromTo(a, b) => {
            let end_gt = resolve(a, cx, false)?;
            let start_le = match b {
                TimeBound::Seq(n) => n.saturating_sub(1),
                b => resolve(b, cx, true)?,
            };
            Read::Versions(VersionFilter { start_le, end_gt })
        }
        TimeSelect::Between(a, b) => {
            let end_gt = resolve(a, cx, false)?;
            let start_le = resolve(b, cx, false)?;
            Read::Versions(VersionFilter { start_le, end_gt })
        }
        TimeSelect::All => Read::Versions(VersionFilter {
            start_le: Seq::MAX,
            end_gt: 0,
        }),
    })
}

/// True when a history read would go through an index that committed
/// history does not have (created by this uncommitted transaction).
fn time_travel_without(index: IndexId, scan: &Scan, read: Read, cx: &ExecContext<'_>) -> bool {
    !matches!(read, Read::Current)
        && matches!(cx.source, Source::Txn { .. })
        && !cx
            .source
            .storage()
            .indexes(scan.table.id)
            .iter()
            .any(|i| i.id == index)
}

/// The rows of one key range (of the primary key, or of `index`): through
/// the committed `reader`, or the transaction's view when there is none.
fn open_range<'c>(
    table: TableId,
    reader: Option<&TableReader>,
    index: Option<IndexId>,
    read: Read,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    cx: &'c ExecContext<'c>,
) -> Result<RawIter<'c>> {
    let Some(reader) = reader else {
        let Source::Txn { txn, .. } = &cx.source else {
            return Err(Error::Internal("scan without a reader".into()));
        };
        return open_own(txn, table, index, lower, upper);
    };
    // The state as of one seq, current or past, costs the same: a point is
    // one descent (plus at most one seek in history), a range a scan of the
    // table as it was (storage::table::scan).
    let seq = match read {
        Read::AsOf(s) => s,
        _ => cx.source.committed_seq(),
    };
    Ok(match (read, index, point(&lower, &upper)) {
        (Read::Current | Read::AsOf(_), Some(ix), _) => {
            Box::new(reader.index_scan(ix, seq, lower, upper).map(plain))
        }
        (Read::Current | Read::AsOf(_), None, Some(key)) => {
            let row = reader.get(&key, seq)?;
            one(key, row)
        }
        (Read::Current | Read::AsOf(_), None, None) => {
            Box::new(reader.scan(seq, lower, upper).map(plain))
        }
        (Read::Versions(f), Some(ix), _) => versions(reader.index_versions(ix, lower, upper, f)),
        // AS OF one seq with the pseudo-columns, at one key: the same
        // lookup, with the version's period.
        (Read::Versions(f), None, Some(key)) if f.start_le == f.end_gt => versions(Box::new(
            reader.get_version(&key, f.start_le)?.map(Ok).into_iter(),
        )),
        // ... and over a range: the AS OF scan, with periods.
        (Read::Versions(f), None, _) if f.start_le == f.end_gt => {
            versions(reader.scan_versions(f.start_le, lower, upper))
        }
        (Read::Versions(f), None, _) => versions(reader.versions(lower, upper, f)),
    })
}

/// The transaction's own view of one key range of the current state.
fn open_own<'c>(
    txn: &'c WriteTxn,
    table: TableId,
    index: Option<IndexId>,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
) -> Result<RawIter<'c>> {
    match (index, point(&lower, &upper)) {
        (Some(ix), _) => Ok(Box::new(txn.index_scan(ix, lower, upper)?.map(plain))),
        (None, Some(key)) => {
            let row = txn.get(table, &key)?;
            Ok(one(key, row))
        }
        (None, None) => Ok(Box::new(txn.scan(table, lower, upper)?.map(plain))),
    }
}

/// The key of a single-key range `[k, k]` (a primary-key point lookup).
fn point(lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> Option<Vec<u8>> {
    match (lower, upper) {
        (Bound::Included(lo), Bound::Included(hi)) if lo == hi => Some(lo.clone()),
        _ => None,
    }
}

fn versions<'c>(it: Box<dyn Iterator<Item = Result<Version>> + Send>) -> RawIter<'c> {
    Box::new(it.map(|v| {
        v.map(|v| ScanRow {
            key: v.key,
            row: v.row,
            period: Some((v.start, v.end)),
        })
    }))
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
