//! Row events: what a commit did to one key of one table, as stored in the
//! WAL and in segments.
//!
//! ```text
//! event type  payload (msgpack)
//! 1 INSERT       [key: bin, row: array of values]
//! 2 PATCH        [key: bin, ncols: uint, changes: array of [column: uint, value]]
//! 3 SOFT_DELETE  [key: bin]
//! ```
//!
//! INSERT starts a version. PATCH ends the key's current version and starts
//! a new one whose row is the old row resized to `ncols` columns (new columns
//! NULL) with the listed columns replaced. SOFT_DELETE ends the current
//! version without starting another. Values use [`super::rowcodec`]'s tagging.

use crate::error::Result;
use crate::types::{Row, Value};

use super::codec::{Cursor, DecodeResult};
use super::rowcodec::{self, Decoder};

/// Event type byte of an INSERT.
pub const INSERT: u8 = 1;
/// Event type byte of a PATCH (update).
pub const PATCH: u8 = 2;
/// Event type byte of a SOFT_DELETE.
pub const SOFT_DELETE: u8 = 3;

/// A decoded event.
#[derive(Debug, Clone)]
pub enum Event {
    /// A new key.
    Insert {
        /// The key.
        key: Vec<u8>,
        /// The row.
        row: Row,
    },
    /// An update: the changed columns only.
    Patch {
        /// The key.
        key: Vec<u8>,
        /// The new row's column count.
        ncols: u32,
        /// (column index, new value), ascending by column.
        changes: Vec<(u32, Value)>,
    },
    /// A delete.
    SoftDelete {
        /// The key.
        key: Vec<u8>,
    },
}

impl Event {
    /// The event's type byte.
    pub fn event_type(&self) -> u8 {
        match self {
            Event::Insert { .. } => INSERT,
            Event::Patch { .. } => PATCH,
            Event::SoftDelete { .. } => SOFT_DELETE,
        }
    }

    /// The event's key.
    pub fn key(&self) -> &[u8] {
        match self {
            Event::Insert { key, .. } | Event::Patch { key, .. } | Event::SoftDelete { key } => key,
        }
    }

    /// The msgpack payload.
    pub fn encode_payload(&self) -> Result<Vec<u8>> {
        match self {
            Event::Insert { key, row } => insert_payload(key, row),
            Event::Patch {
                key,
                ncols,
                changes,
            } => patch_payload(key, *ncols, changes),
            Event::SoftDelete { key } => delete_payload(key),
        }
    }

    /// Decodes a payload of the given type; nothing may follow it.
    pub fn decode(event_type: u8, payload: &[u8]) -> DecodeResult<Event> {
        let mut c = Cursor::new(payload);
        let mut d = Decoder::new(&mut c);
        let n = d.array_len()?;
        let want = match event_type {
            INSERT => 2,
            PATCH => 3,
            SOFT_DELETE => 1,
            t => return Err(format!("unknown event type {t}")),
        };
        if n != want {
            return Err(format!(
                "event type {event_type} payload has {n} elements, expected {want}"
            ));
        }
        let key = d.bin()?.to_vec();
        let ev = match event_type {
            INSERT => Event::Insert { key, row: d.row()? },
            PATCH => {
                let ncols = u32::try_from(d.uint()?)
                    .map_err(|_| "column count out of range".to_string())?;
                let k = d.array_len()?;
                let mut changes = Vec::with_capacity(k);
                for _ in 0..k {
                    if d.array_len()? != 2 {
                        return Err("patch change must be [column, value]".into());
                    }
                    let col =
                        u32::try_from(d.uint()?).map_err(|_| "column out of range".to_string())?;
                    if col >= ncols {
                        return Err(format!("patch column {col} beyond column count {ncols}"));
                    }
                    changes.push((col, d.value()?));
                }
                Event::Patch {
                    key,
                    ncols,
                    changes,
                }
            }
            _ => Event::SoftDelete { key },
        };
        if !c.is_empty() {
            return Err(format!(
                "{} trailing bytes after event payload",
                c.remaining()
            ));
        }
        Ok(ev)
    }
}

/// The payload of an INSERT.
pub fn insert_payload(key: &[u8], row: &[Value]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(key.len() + 16 * row.len() + 8);
    rowcodec::put_array_len(&mut out, 2)?;
    rowcodec::put_bin(&mut out, key)?;
    rowcodec::encode_row(&mut out, row)?;
    Ok(out)
}

/// The payload of a PATCH.
pub fn patch_payload(key: &[u8], ncols: u32, changes: &[(u32, Value)]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    rowcodec::put_array_len(&mut out, 3)?;
    rowcodec::put_bin(&mut out, key)?;
    rowcodec::put_uint(&mut out, u64::from(ncols))?;
    rowcodec::put_array_len(&mut out, changes.len())?;
    for (col, v) in changes {
        rowcodec::put_array_len(&mut out, 2)?;
        rowcodec::put_uint(&mut out, u64::from(*col))?;
        rowcodec::encode_value(&mut out, v)?;
    }
    Ok(out)
}

/// The payload of a SOFT_DELETE.
pub fn delete_payload(key: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(key.len() + 3);
    rowcodec::put_array_len(&mut out, 1)?;
    rowcodec::put_bin(&mut out, key)?;
    Ok(out)
}

/// Applies a PATCH to the old row: resize to `ncols` (new columns NULL),
/// then replace the changed columns.
pub fn patch_row(old: &[Value], ncols: u32, changes: &[(u32, Value)]) -> Row {
    let mut row: Row = old.iter().take(ncols as usize).cloned().collect();
    row.resize(ncols as usize, Value::Null);
    for (col, v) in changes {
        if let Some(slot) = row.get_mut(*col as usize) {
            *slot = v.clone();
        }
    }
    row
}

/// The PATCH that turns `old` into `new`: the columns that differ.
pub fn diff_rows(old: &[Value], new: &[Value]) -> Vec<(u32, Value)> {
    new.iter()
        .enumerate()
        .filter(|(i, v)| match old.get(*i) {
            Some(o) => !rowcodec::values_identical(o, v),
            None => true,
        })
        .map(|(i, v)| (i as u32, v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip() {
        let evs = [
            Event::Insert {
                key: b"k1".to_vec(),
                row: vec![Value::Int4(1), Value::Text("a".into())],
            },
            Event::Patch {
                key: b"k1".to_vec(),
                ncols: 3,
                changes: vec![(1, Value::Text("b".into())), (2, Value::Null)],
            },
            Event::SoftDelete { key: vec![] },
        ];
        for ev in &evs {
            let p = ev.encode_payload().expect("encode");
            let back = Event::decode(ev.event_type(), &p).expect("decode");
            assert_eq!(format!("{ev:?}"), format!("{back:?}"));
            assert!(Event::decode(ev.event_type(), &p[..p.len() - 1]).is_err());
            assert!(Event::decode(9, &p).is_err());
        }
        // A payload of the wrong type is refused, not misread.
        let p = evs[0].encode_payload().expect("encode");
        assert!(Event::decode(SOFT_DELETE, &p).is_err());
    }

    #[test]
    fn patch_and_diff_agree() {
        let old = vec![Value::Int4(1), Value::Text("a".into())];
        let new = vec![Value::Int4(1), Value::Text("b".into()), Value::Bool(true)];
        let d = diff_rows(&old, &new);
        assert_eq!(d.len(), 2);
        let got = patch_row(&old, new.len() as u32, &d);
        assert_eq!(format!("{got:?}"), format!("{new:?}"));
        let shrunk = patch_row(&new, 1, &[]);
        assert_eq!(shrunk.len(), 1);
    }
}
