//! WAL frame bodies: how a transaction is logged.
//!
//! ```text
//! OPS    := [u8 1][varint seq][varint n][event]*n
//! COMMIT := [u8 2][u8 flags][varint seq][i64 LE micros][u64 LE synced_upto]
//!           [varint ops_frames][varint n_ddl][ddl]*[varint n_rowid][rowid]*
//!           [varint n][event]*n
//! flags bit 0: the transaction changed data and `seq` is its own seq; when
//!           clear it is DDL-only and `seq` is the last committed seq (its stamp)
//! micros  : commit time (Unix µs); for DDL-only, the DDL's own time
//! synced_upto: the byte offset in this file up to which the WAL was known
//!           durable when this frame was written (tells torn tails from
//!           corruption, see `recovery`)
//! ops_frames: how many OPS frames of this transaction precede the COMMIT
//! event  := [varint table id][u8 event type][varint len][payload: len bytes]
//! ddl    := [u8 1 create | 2 alter][varint table id][varint len][name][varint len][schema]
//!         | [u8 3 drop][varint table id]
//!         | [u8 4 create index][index definition]     (see `storage::index::meta`)
//!         | [u8 5 drop index][varint index id]
//! rowid  := [varint table id][varint next row id]
//! ```
//!
//! Small transactions are one COMMIT frame. A transaction's events spill
//! into OPS frames of about [`SPILL`] bytes, so no frame nears the 1 GiB
//! bound however large the transaction.

use std::sync::Arc;

use crate::error::Result;
use crate::storage::catalog_store::DdlOp;
use crate::storage::codec::{
    Cursor, DecodeResult, check_frame_len, put_frame, put_len_bytes, put_varint,
};
use crate::storage::index::meta as index_meta;
use crate::storage::{Seq, TableId};

/// OPS frame type.
pub const OPS: u8 = 1;
/// COMMIT frame type.
pub const COMMIT: u8 = 2;
/// Events spill into an OPS frame past this many bytes.
pub const SPILL: usize = 1 << 20;

/// One row event of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalEvent {
    /// The table.
    pub table: TableId,
    /// Event type (see `storage::event`).
    pub event_type: u8,
    /// Msgpack payload.
    pub payload: Vec<u8>,
}

/// A whole transaction as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnRecord {
    /// The transaction's seq, or `None` for a DDL-only commit.
    pub seq: Option<Seq>,
    /// The stamp for DDL: `seq`, or the last committed seq.
    pub stamp_seq: Seq,
    /// Commit time (Unix µs).
    pub micros: i64,
    /// DDL, in the order to apply it.
    pub ddl: Vec<DdlOp>,
    /// New next-row-id values.
    pub rowids: Vec<(TableId, u64)>,
    /// Row events.
    pub events: Vec<WalEvent>,
}

/// A decoded frame body.
#[derive(Debug)]
pub enum Frame {
    /// Spilled events.
    Ops {
        /// The transaction's seq.
        seq: Seq,
        /// Its events.
        events: Vec<WalEvent>,
    },
    /// The commit record (with the events it holds itself).
    Commit {
        /// The transaction.
        rec: TxnRecord,
        /// OPS frames before it.
        ops_frames: u64,
        /// See the module docs.
        synced_upto: u64,
    },
}

fn put_event(out: &mut Vec<u8>, e: &WalEvent) {
    put_varint(out, u64::from(e.table));
    out.push(e.event_type);
    put_len_bytes(out, &e.payload);
}

fn put_ddl(out: &mut Vec<u8>, op: &DdlOp) {
    match op {
        DdlOp::Create { id, name, schema } | DdlOp::Alter { id, name, schema } => {
            out.push(if matches!(op, DdlOp::Create { .. }) {
                1
            } else {
                2
            });
            put_varint(out, u64::from(*id));
            put_len_bytes(out, name.as_bytes());
            put_len_bytes(out, schema);
        }
        DdlOp::Drop { id } => {
            out.push(3);
            put_varint(out, u64::from(*id));
        }
        DdlOp::CreateIndex(meta) => {
            out.push(4);
            index_meta::put(out, meta);
        }
        DdlOp::DropIndex { id } => {
            out.push(5);
            put_varint(out, u64::from(*id));
        }
    }
}

fn frame(out: &mut Vec<u8>, body: &[u8]) -> Result<()> {
    check_frame_len(body.len())?;
    put_frame(out, body);
    Ok(())
}

/// Appends the frames of `rec` to `out`: its events spilled into OPS
/// frames past [`SPILL`] bytes, the rest in its COMMIT frame.
pub fn encode(rec: &TxnRecord, synced_upto: u64, out: &mut Vec<u8>) -> Result<()> {
    let seq = rec.seq.unwrap_or(rec.stamp_seq);
    let mut spill = OpsSpill::new(seq);
    let mut chunk = Vec::new();
    let mut n = 0u64;
    for e in &rec.events {
        put_event(&mut chunk, e);
        n += 1;
        if chunk.len() >= SPILL {
            spill.frame(&chunk, n, out)?;
            chunk.clear();
            n = 0;
        }
    }
    commit_frame(rec, spill.frames, synced_upto, (n, &chunk), out)
}

/// Appends `events` of the transaction with `seq` as OPS frames of about
/// [`SPILL`] bytes (a large commit logs its events this way as it goes, then
/// ends with [`encode_commit`]); returns how many frames it wrote.
pub fn encode_ops(seq: Seq, events: &[WalEvent], out: &mut Vec<u8>) -> Result<u64> {
    let mut spill = OpsSpill::new(seq);
    let mut chunk = Vec::new();
    let mut n = 0u64;
    for (i, e) in events.iter().enumerate() {
        put_event(&mut chunk, e);
        n += 1;
        if chunk.len() >= SPILL || i + 1 == events.len() {
            spill.frame(&chunk, n, out)?;
            chunk.clear();
            n = 0;
        }
    }
    Ok(spill.frames)
}

/// Appends the COMMIT frame of `rec` (its own events, if any, inside), after
/// `ops_frames` OPS frames written by [`encode_ops`].
pub fn encode_commit(
    rec: &TxnRecord,
    ops_frames: u64,
    synced_upto: u64,
    out: &mut Vec<u8>,
) -> Result<()> {
    let mut chunk = Vec::new();
    for e in &rec.events {
        put_event(&mut chunk, e);
    }
    commit_frame(
        rec,
        ops_frames,
        synced_upto,
        (rec.events.len() as u64, &chunk),
        out,
    )
}

/// Writes OPS frames of one transaction, counting them.
struct OpsSpill {
    seq: Seq,
    frames: u64,
}

impl OpsSpill {
    fn new(seq: Seq) -> Self {
        OpsSpill { seq, frames: 0 }
    }

    fn frame(&mut self, events: &[u8], n: u64, out: &mut Vec<u8>) -> Result<()> {
        let mut body = Vec::with_capacity(events.len() + 12);
        body.push(OPS);
        put_varint(&mut body, self.seq);
        put_varint(&mut body, n);
        body.extend_from_slice(events);
        frame(out, &body)?;
        self.frames += 1;
        Ok(())
    }
}

/// The COMMIT frame; `events` is (count, encoded events) it holds itself.
fn commit_frame(
    rec: &TxnRecord,
    ops_frames: u64,
    synced_upto: u64,
    events: (u64, &[u8]),
    out: &mut Vec<u8>,
) -> Result<()> {
    let seq = rec.seq.unwrap_or(rec.stamp_seq);
    let mut body = vec![COMMIT, u8::from(rec.seq.is_some())];
    put_varint(&mut body, seq);
    body.extend_from_slice(&rec.micros.to_le_bytes());
    body.extend_from_slice(&synced_upto.to_le_bytes());
    put_varint(&mut body, ops_frames);
    put_varint(&mut body, rec.ddl.len() as u64);
    for op in &rec.ddl {
        put_ddl(&mut body, op);
    }
    put_varint(&mut body, rec.rowids.len() as u64);
    for (t, v) in &rec.rowids {
        put_varint(&mut body, u64::from(*t));
        put_varint(&mut body, *v);
    }
    put_varint(&mut body, events.0);
    body.extend_from_slice(events.1);
    frame(out, &body)
}

fn events(c: &mut Cursor<'_>) -> DecodeResult<Vec<WalEvent>> {
    let n = c.varint()?;
    // Each event takes at least 3 bytes: bound the count before allocating.
    if n > (c.remaining() / 3) as u64 {
        return Err(format!("{n} events cannot fit in {} bytes", c.remaining()));
    }
    let mut v = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let table = c.varint_u32()?;
        let event_type = c.u8()?;
        let payload = c.len_bytes()?.to_vec();
        v.push(WalEvent {
            table,
            event_type,
            payload,
        });
    }
    Ok(v)
}

fn ddl(c: &mut Cursor<'_>) -> DecodeResult<DdlOp> {
    let kind = c.u8()?;
    if kind == 4 {
        return Ok(DdlOp::CreateIndex(index_meta::read(c)?));
    }
    let id = c.varint_u32()?;
    Ok(match kind {
        1 | 2 => {
            let name = c.string()?;
            let schema = Arc::new(c.len_bytes()?.to_vec());
            if kind == 1 {
                DdlOp::Create { id, name, schema }
            } else {
                DdlOp::Alter { id, name, schema }
            }
        }
        3 => DdlOp::Drop { id },
        5 => DdlOp::DropIndex { id },
        k => return Err(format!("unknown DDL kind {k}")),
    })
}

/// Decodes a frame body; everything must be consumed.
pub fn decode(body: &[u8]) -> DecodeResult<Frame> {
    let mut c = Cursor::new(body);
    let f = match c.u8()? {
        OPS => {
            let seq = c.varint()?;
            Frame::Ops {
                seq,
                events: events(&mut c)?,
            }
        }
        COMMIT => {
            let flags = c.u8()?;
            if flags > 1 {
                return Err(format!("unknown commit flags {flags:#x}"));
            }
            let seq = c.varint()?;
            let micros = c.i64_le()?;
            let synced_upto = c.u64_le()?;
            let ops_frames = c.varint()?;
            let n_ddl = c.varint()?;
            if n_ddl > c.remaining() as u64 {
                return Err(format!("{n_ddl} DDL entries cannot fit"));
            }
            let ddl_ops = (0..n_ddl)
                .map(|_| ddl(&mut c))
                .collect::<DecodeResult<Vec<_>>>()?;
            let n_rowid = c.varint()?;
            if n_rowid > c.remaining() as u64 {
                return Err(format!("{n_rowid} row id entries cannot fit"));
            }
            let rowids = (0..n_rowid)
                .map(|_| Ok((c.varint_u32()?, c.varint()?)))
                .collect::<DecodeResult<Vec<_>>>()?;
            let events = events(&mut c)?;
            let rec = TxnRecord {
                seq: (flags & 1 == 1).then_some(seq),
                stamp_seq: seq,
                micros,
                ddl: ddl_ops,
                rowids,
                events,
            };
            Frame::Commit {
                rec,
                ops_frames,
                synced_upto,
            }
        }
        t => return Err(format!("unknown WAL record type {t}")),
    };
    if !c.is_empty() {
        return Err(format!("{} trailing bytes in WAL record", c.remaining()));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::codec::scan_frames;

    fn rec(events: usize, payload: usize) -> TxnRecord {
        TxnRecord {
            seq: Some(42),
            stamp_seq: 42,
            micros: 1_700_000_000_000_000,
            ddl: vec![
                DdlOp::Create {
                    id: 16_384,
                    name: "t".into(),
                    schema: Arc::new(vec![1, 2]),
                },
                DdlOp::Alter {
                    id: 16_385,
                    name: "u".into(),
                    schema: Arc::new(vec![]),
                },
                DdlOp::Drop { id: 16_386 },
                DdlOp::DropIndex { id: 16_388 },
                DdlOp::CreateIndex(crate::storage::IndexMeta {
                    id: 16_387,
                    table: 16_384,
                    name: "t_idx".into(),
                    columns: vec![1, 0],
                    unique: true,
                }),
            ],
            rowids: vec![(16_384, 7)],
            events: (0..events)
                .map(|i| WalEvent {
                    table: 16_384,
                    event_type: 1,
                    payload: vec![i as u8; payload],
                })
                .collect(),
        }
    }

    fn round_trip(r: &TxnRecord) -> (TxnRecord, usize) {
        let mut out = Vec::new();
        encode(r, 99, &mut out).expect("encode");
        decode_all(&out)
    }

    /// Decodes one transaction's frames, gathering its events.
    fn decode_all(out: &[u8]) -> (TxnRecord, usize) {
        let scan = scan_frames(out, 0);
        assert!(scan.bad.is_none());
        let mut acc = Vec::new();
        let n = scan.frames.len();
        for (i, (_, body)) in scan.frames.into_iter().enumerate() {
            match decode(&out[body]).expect("decode") {
                Frame::Ops { seq, events } => {
                    assert_eq!(seq, 42);
                    acc.extend(events);
                }
                Frame::Commit {
                    mut rec,
                    ops_frames,
                    synced_upto,
                } => {
                    assert_eq!(i, n - 1, "commit comes last");
                    assert_eq!(ops_frames as usize, n - 1);
                    assert_eq!(synced_upto, 99);
                    acc.extend(rec.events);
                    rec.events = acc;
                    return (rec, n);
                }
            }
        }
        panic!("no commit frame");
    }

    #[test]
    fn small_transaction_is_one_frame() {
        let r = rec(3, 10);
        let (back, frames) = round_trip(&r);
        assert_eq!(back, r);
        assert_eq!(frames, 1);
    }

    #[test]
    fn large_transaction_spills() {
        let r = rec(50, 64 * 1024);
        let (back, frames) = round_trip(&r);
        assert_eq!(back, r);
        assert!(frames >= 3, "{frames} frames");
    }

    #[test]
    fn ops_logged_in_chunks_then_commit() {
        // A large commit logs its events chunk by chunk, then a COMMIT with
        // none of its own: the same transaction comes back.
        let r = rec(40, 100 * 1024);
        let mut out = Vec::new();
        let mut frames = 0;
        for part in r.events.chunks(7) {
            frames += encode_ops(42, part, &mut out).expect("ops");
        }
        assert!(frames >= 6, "{frames} OPS frames");
        let mut head = r.clone();
        head.events.clear();
        encode_commit(&head, frames, 99, &mut out).expect("commit");
        let (back, n) = decode_all(&out);
        assert_eq!(back, r);
        assert_eq!(n as u64, frames + 1);
        assert_eq!(encode_ops(42, &[], &mut out).expect("empty"), 0);
    }

    #[test]
    fn ddl_only_keeps_its_stamp() {
        let r = TxnRecord {
            seq: None,
            stamp_seq: 5,
            ..rec(0, 0)
        };
        assert_eq!(round_trip(&r).0, r);
    }

    #[test]
    fn bad_bodies_are_errors() {
        let mut out = Vec::new();
        encode(&rec(2, 3), 0, &mut out).expect("encode");
        let body = &out[8..];
        for cut in 0..body.len() {
            assert!(decode(&body[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode(&[9]).is_err());
        assert!(
            decode(&[OPS, 1, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err(),
            "huge count"
        );
    }
}
