//! Reading the WAL back at recovery, in bounded memory.
//!
//! A WAL file is read in two passes through a [`FrameReader`], which never
//! holds more than a small window of the file plus one frame body, however
//! large the file or a transaction in it (a transaction is OPS frames of
//! about `record::SPILL` bytes each, then its COMMIT frame):
//!
//! 1. [`WalReader::open`] walks the frames, checking each length and CRC
//!    and decoding only each body's head (type, seq, and for a COMMIT the
//!    count of OPS frames before it), which is enough to check that OPS
//!    frames belong to the COMMIT that follows them. It finds where the
//!    valid frames end, decides between torn tail and corruption there, and
//!    finds the end of the last complete COMMIT.
//! 2. [`WalReader::next_txn`] then hands out the committed transactions one
//!    at a time, and [`WalReader::next_ops`] the events of each of its OPS
//!    frames, one frame at a time. A transaction's COMMIT frame is read
//!    first (by walking the OPS frame headers to it), so its DDL and seq are
//!    known before its OPS frames are applied; pass 1 proved the COMMIT is
//!    there, so OPS frames can be applied as they come.
//!
//! Where a frame fails its checks:
//!
//! * if no valid frame follows, or the valid frames that follow were all
//!   written before the bad one was known durable (their `synced_upto` ≤ its
//!   offset), it is a **torn tail**: an interrupted, unacknowledged write.
//!   The file is cut there and a warning names the file, offset and bytes.
//! * if a later valid frame says the WAL was durable past the bad frame, the
//!   bad frame was fsynced and then damaged: **corruption**, reported as
//!   `Error::Corrupted` with the file and offset.
//!
//! OPS frames with no COMMIT after them at the end of a file belong to a
//! transaction that never committed; they are cut too. A CRC-valid frame
//! that does not decode is corruption (a torn write cannot produce one);
//! frames whose contents recovery does not use (OPS frames of a transaction
//! the caller skips, or without a COMMIT) are CRC-checked and their heads
//! decoded, not their events. A transaction's OPS frames never span two
//! files: files change only at checkpoints, which never split a commit.

use std::path::Path;

use super::frames::{FileSource, FrameReader, Source};
use super::record::{COMMIT, Frame, OPS, TxnRecord, WalEvent, decode};
use super::{HEADER, MAGIC, parse_name};
use crate::error::{Error, Result};
use crate::log_warn;
use crate::storage::TailCut;
use crate::storage::codec::{Cursor, DecodeResult, FRAME_HEADER};
use crate::storage::io::FileSystem;

/// A committed transaction read from the WAL.
#[derive(Debug)]
pub struct LoggedTxn {
    /// The transaction. From [`WalReader::next_txn`], `events` holds only
    /// the events of the COMMIT frame itself, which come after those of its
    /// OPS frames ([`WalReader::next_ops`]); from [`read_file`], all of them.
    pub rec: TxnRecord,
    /// The file it is in (relative to the data root).
    pub file: String,
    /// Offset of its COMMIT frame.
    pub offset: u64,
}

/// The WAL files numbered `from` or above, oldest first.
pub fn files(fs: &dyn FileSystem, wal_dir: &Path, from: u64) -> Result<Vec<u64>> {
    let mut v: Vec<u64> = fs
        .list_dir(wal_dir)?
        .into_iter()
        .filter(|e| !e.is_dir)
        .filter_map(|e| parse_name(&e.name))
        .filter(|n| *n >= from)
        .collect();
    v.sort_unstable();
    Ok(v)
}

/// Opens WAL file `path` for [`WalReader`].
pub fn open_file(fs: &dyn FileSystem, path: &Path) -> Result<FileSource> {
    FileSource::open(fs, path)
}

/// Reads every committed transaction of one WAL file held in memory, with
/// all its events, and the tail cut off (logged), if any. A convenience for
/// tests and tools: memory grows with the file; recovery uses
/// [`WalReader`].
pub fn read_file(data: &[u8], no: u64, label: &str) -> Result<(Vec<LoggedTxn>, Option<TailCut>)> {
    let src: &[u8] = data;
    let mut r = WalReader::open(&src, no, label)?;
    let mut out = Vec::new();
    while let Some(mut t) = r.next_txn()? {
        let mut events = Vec::new();
        while let Some(ev) = r.next_ops()? {
            events.extend(ev);
        }
        events.append(&mut t.rec.events);
        t.rec.events = events;
        out.push(t);
    }
    Ok((out, r.cut))
}

/// The head of a frame body: enough to check a transaction's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    Ops {
        seq: u64,
    },
    Commit {
        seq: Option<u64>,
        ops_frames: u64,
        synced_upto: u64,
    },
}

/// The most bytes [`head`] reads: type, flags, varint seq, micros,
/// synced_upto, varint ops_frames.
const HEAD_MAX: u64 = 1 + 1 + 10 + 8 + 8 + 10;

/// Decodes the head of a frame body (`prefix`: its first bytes, up to
/// [`HEAD_MAX`]), failing as `record::decode` would on those fields.
fn head(prefix: &[u8]) -> DecodeResult<Head> {
    let mut c = Cursor::new(prefix);
    match c.u8()? {
        OPS => Ok(Head::Ops { seq: c.varint()? }),
        COMMIT => {
            let flags = c.u8()?;
            if flags > 1 {
                return Err(format!("unknown commit flags {flags:#x}"));
            }
            let seq = c.varint()?;
            let _micros = c.i64_le()?;
            let synced_upto = c.u64_le()?;
            let ops_frames = c.varint()?;
            Ok(Head::Commit {
                seq: (flags & 1 == 1).then_some(seq),
                ops_frames,
                synced_upto,
            })
        }
        t => Err(format!("unknown WAL record type {t}")),
    }
}

/// OPS frames of the transaction handed out last, not yet read.
#[derive(Debug, Clone, Copy)]
struct PendingOps {
    /// The next OPS frame.
    next: u64,
    /// How many are left.
    left: u64,
    /// Where the transaction's COMMIT frame ends.
    after: u64,
}

/// One WAL file, checked (pass 1) and read transaction by transaction
/// (pass 2); see the module docs.
#[derive(Debug)]
pub struct WalReader<'a> {
    r: FrameReader<'a>,
    label: String,
    cut: Option<TailCut>,
    /// The next frame of pass 2.
    pos: u64,
    /// The end of the last complete COMMIT frame.
    end: u64,
    ops: Option<PendingOps>,
}

impl<'a> WalReader<'a> {
    /// Checks WAL file `no` (named `label` in errors and logs) held by
    /// `src`: its header, every frame up to where the valid ones end, and
    /// what lies after (torn tail, logged, or corruption, an error).
    pub fn open(src: &'a dyn Source, no: u64, label: &str) -> Result<WalReader<'a>> {
        let mut w = WalReader {
            r: FrameReader::new(src)?,
            label: label.to_string(),
            cut: None,
            pos: HEADER,
            end: HEADER,
            ops: None,
        };
        w.scan(no)?;
        Ok(w)
    }

    /// The tail cut off the file (already logged), if any.
    pub fn cut(&self) -> Option<&TailCut> {
        self.cut.as_ref()
    }

    /// The most bytes of the file held at once so far.
    pub fn peak(&self) -> usize {
        self.r.peak()
    }

    fn bad(&self, off: u64, e: impl Into<String>) -> Error {
        Error::corrupted(self.label.clone(), off, e.into())
    }

    /// Pass 1.
    fn scan(&mut self, no: u64) -> Result<()> {
        let len = self.r.len();
        if len < HEADER {
            let got = self.r.peek(0, HEADER as usize)?.to_vec();
            if got[..] != super::header(no)[..got.len()] {
                return Err(self.bad(0, "bad WAL header"));
            }
            if len > 0 {
                self.set_cut(0, "torn header".into());
            }
            return Ok(());
        }
        let got = self.r.peek(0, HEADER as usize)?;
        if &got[..8] != MAGIC || got[8..] != no.to_le_bytes() {
            return Err(self.bad(0, format!("header is not that of WAL file {no}")));
        }
        let mut pos = HEADER;
        // The open transaction: its first OPS frame, seq, frames so far.
        let (mut ops_start, mut ops_seq, mut ops_frames) = (0u64, 0u64, 0u64);
        let bad_reason = loop {
            if pos >= len {
                break None;
            }
            let body = match self.r.frame_at(pos)? {
                Ok(b) => b,
                Err(reason) => break Some(reason),
            };
            let prefix = self
                .r
                .peek(body.start, (body.end - body.start).min(HEAD_MAX) as usize)?;
            match head(prefix).map_err(|e| self.bad(pos, e))? {
                Head::Ops { seq } => {
                    if ops_frames == 0 {
                        ops_start = pos;
                        ops_seq = seq;
                    } else if seq != ops_seq {
                        return Err(self.bad(
                            pos,
                            format!("OPS frame of seq {seq} inside transaction {ops_seq}"),
                        ));
                    }
                    ops_frames += 1;
                }
                Head::Commit {
                    seq,
                    ops_frames: want,
                    ..
                } => {
                    if want != ops_frames {
                        return Err(self.bad(
                            pos,
                            format!("commit expects {want} OPS frames, {ops_frames} precede it"),
                        ));
                    }
                    if ops_frames > 0 && seq != Some(ops_seq) {
                        return Err(self.bad(
                            pos,
                            format!("commit of seq {seq:?} after OPS frames of seq {ops_seq}"),
                        ));
                    }
                    ops_frames = 0;
                    self.end = body.end;
                }
            }
            pos = body.end;
        };
        let mut cut: Option<(u64, String)> = None;
        // (All zeros after the last frame: the preallocated end of the file.)
        if let Some(reason) = bad_reason
            && !self.r.zeros_from(pos)?
        {
            self.check_tail(pos, &reason)?;
            cut = Some((pos, reason));
        }
        if ops_frames > 0 {
            cut = Some((ops_start, "transaction without its commit record".into()));
        }
        if let Some((off, reason)) = cut {
            self.set_cut(off, reason);
        }
        Ok(())
    }

    /// Logs and records the cut of everything from `off`.
    fn set_cut(&mut self, off: u64, reason: String) {
        let (label, bytes) = (&self.label, self.r.len() - off);
        if off == 0 {
            log_warn!("WAL file \"{label}\": cut {bytes} bytes at offset 0 ({reason})");
        } else {
            log_warn!(
                "WAL file \"{label}\": cut {bytes} bytes at offset {off} ({reason}); nothing after it was acknowledged"
            );
        }
        self.cut = Some(TailCut {
            file: label.clone(),
            offset: off,
            bytes,
            reason,
        });
    }

    /// Decides whether the invalid frame at `bad` is a torn tail (Ok) or
    /// corruption in the middle of the file (Err): corruption if a valid
    /// COMMIT frame after it says the WAL was durable past it.
    fn check_tail(&mut self, bad: u64, reason: &str) -> Result<()> {
        let Some(mut p) = self.r.next_valid_after(bad)? else {
            return Ok(());
        };
        while let Ok(body) = self.r.frame_at(p)? {
            if self.r.peek(body.start, 1)?.first() == Some(&COMMIT)
                && let Ok(bytes) = self.r.body(p)?
                && let Ok(Frame::Commit { synced_upto, .. }) = decode(&bytes)
                && synced_upto > bad
            {
                return Err(self.bad(
                    bad,
                    format!("{reason}; valid frames follow, written after this one was durable"),
                ));
            }
            p = body.end;
        }
        Ok(())
    }

    /// Pass 2: the next committed transaction, its COMMIT frame decoded
    /// (DDL, row ids, seq, time and its own events). The events of its OPS
    /// frames, which come before those, are read with [`next_ops`]; any not
    /// read are skipped undecoded by the next call.
    ///
    /// [`next_ops`]: WalReader::next_ops
    pub fn next_txn(&mut self) -> Result<Option<LoggedTxn>> {
        if let Some(o) = self.ops.take() {
            self.pos = o.after;
        }
        if self.pos >= self.end {
            return Ok(None);
        }
        let first = self.pos;
        let (mut p, mut n) = (first, 0u64);
        let commit_len = loop {
            let h = self.r.header_at(p)?.map_err(|e| self.changed(p, &e))?;
            let ty = self.r.peek(p + FRAME_HEADER as u64, 1)?.first().copied();
            let next = p + (FRAME_HEADER + h.len) as u64;
            if next > self.end {
                return Err(self.changed(p, "frame past the last commit"));
            }
            if ty == Some(COMMIT) {
                break h.len;
            }
            p = next;
            n += 1;
        };
        let body = self.r.body(p)?.map_err(|e| self.changed(p, &e))?;
        let (rec, ops_frames) = match decode(&body).map_err(|e| self.bad(p, e))? {
            Frame::Commit {
                rec, ops_frames, ..
            } => (rec, ops_frames),
            Frame::Ops { .. } => return Err(self.changed(p, "OPS frame where a COMMIT was")),
        };
        if ops_frames != n {
            return Err(self.changed(p, "OPS frame count differs"));
        }
        self.ops = Some(PendingOps {
            next: first,
            left: n,
            after: p + (FRAME_HEADER + commit_len) as u64,
        });
        Ok(Some(LoggedTxn {
            rec,
            file: self.label.clone(),
            offset: p,
        }))
    }

    /// The events of the next OPS frame of the transaction [`next_txn`]
    /// handed out last, in order; `None` once all were read.
    ///
    /// [`next_txn`]: WalReader::next_txn
    pub fn next_ops(&mut self) -> Result<Option<Vec<WalEvent>>> {
        let Some(o) = self.ops else { return Ok(None) };
        if o.left == 0 {
            return Ok(None);
        }
        let body = self.r.body(o.next)?.map_err(|e| self.changed(o.next, &e))?;
        let events = match decode(&body).map_err(|e| self.bad(o.next, e))? {
            Frame::Ops { events, .. } => events,
            Frame::Commit { .. } => {
                return Err(self.changed(o.next, "COMMIT where an OPS frame was"));
            }
        };
        self.ops = Some(PendingOps {
            next: o.next + (FRAME_HEADER + body.len()) as u64,
            left: o.left - 1,
            after: o.after,
        });
        Ok(Some(events))
    }

    /// A frame pass 1 checked reads differently now.
    fn changed(&self, off: u64, why: &str) -> Error {
        self.bad(off, format!("{why} (the file changed while it was read)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::wal::record::encode;

    fn txn(seq: u64) -> TxnRecord {
        TxnRecord {
            seq: Some(seq),
            stamp_seq: seq,
            micros: seq as i64 * 10,
            ddl: vec![],
            rowids: vec![],
            events: vec![WalEvent {
                table: 1,
                event_type: 1,
                payload: vec![seq as u8; 5],
            }],
        }
    }

    /// A WAL file of `n` commits, each claiming the previous ones durable.
    fn wal(n: u64) -> (Vec<u8>, Vec<usize>) {
        let mut data = super::super::header(3).to_vec();
        let mut ends = Vec::new();
        for s in 1..=n {
            let synced = data.len() as u64;
            encode(&txn(s), synced, &mut data).expect("encode");
            ends.push(data.len());
        }
        (data, ends)
    }

    #[test]
    fn every_truncation_keeps_whole_commits() {
        let (data, ends) = wal(4);
        crate::logging::set_quiet(true);
        for cut in 0..=data.len() {
            let (got, c) = read_file(&data[..cut], 3, "wal/x").expect("torn tail is not an error");
            assert_eq!(
                c.is_some(),
                !ends.contains(&cut) && cut > 0 && cut != 16,
                "cut at {cut}"
            );
            let whole = ends.iter().filter(|e| **e <= cut).count();
            assert_eq!(got.len(), whole, "cut at {cut}");
        }
        crate::logging::set_quiet(false);
    }

    #[test]
    fn middle_corruption_is_reported_with_offset() {
        let (mut data, ends) = wal(3);
        data[ends[0] + 10] ^= 0x55;
        match read_file(&data, 3, "wal/x") {
            Err(Error::Corrupted { file, offset, .. }) => {
                assert_eq!(file, "wal/x");
                assert_eq!(offset, ends[0] as u64);
            }
            other => panic!("expected Corrupted, got {other:?}"),
        }
    }

    #[test]
    fn unsynced_batch_with_a_hole_is_a_tail() {
        // Two commits written in one batch (same synced_upto), the first
        // damaged: neither was acknowledged, so this is a torn tail.
        let mut data = super::super::header(3).to_vec();
        encode(&txn(1), 16, &mut data).expect("encode");
        let second = data.len();
        encode(&txn(2), 16, &mut data).expect("encode");
        encode(&txn(3), 16, &mut data).expect("encode");
        data[second + 9] ^= 1;
        let (got, c) = read_file(&data, 3, "wal/x").expect("tail");
        assert_eq!(c.map(|c| c.offset), Some(second as u64));
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn a_preallocated_zero_tail_is_the_clean_end() {
        let (mut data, ends) = wal(3);
        data.resize(data.len() + 5000, 0);
        let (got, c) = read_file(&data, 3, "wal/x").expect("clean");
        assert_eq!((got.len(), c), (3, None));
        // A torn frame inside the zeros is still a tail, cut where it starts.
        let mut torn = data.clone();
        torn[ends[2] + 2] = 7;
        let (got, c) = read_file(&torn, 3, "wal/x").expect("tail");
        assert_eq!(got.len(), 3);
        assert_eq!(c.map(|c| c.offset), Some(ends[2] as u64));
        // And so is garbage after the zeros.
        data.extend_from_slice(&[0xde; 10]);
        let (got, c) = read_file(&data, 3, "wal/x").expect("tail");
        assert_eq!(got.len(), 3);
        assert_eq!(c.map(|c| (c.offset, c.bytes)), Some((ends[2] as u64, 5010)));
    }

    #[test]
    fn garbage_and_bad_headers() {
        let (mut data, ends) = wal(2);
        data.extend_from_slice(&[0xde; 100]);
        let (got, c) = read_file(&data, 3, "w").expect("garbage cut");
        assert_eq!(got.len(), 2);
        let c = c.expect("cut");
        assert_eq!((c.offset, c.bytes), (ends[1] as u64, 100));
        assert!(read_file(&data, 4, "w").is_err(), "wrong file number");
        assert!(read_file(b"NOTAWAL!", 3, "w").is_err());
        assert_eq!(ends.len(), 2);
    }

    /// A transaction of `n` events of `size` bytes (spills into OPS
    /// frames once it passes `record::SPILL`).
    fn big(seq: u64, n: usize, size: usize) -> TxnRecord {
        TxnRecord {
            events: (0..n)
                .map(|i| WalEvent {
                    table: 1 + (i % 3) as u32,
                    event_type: 1,
                    payload: vec![(i % 251) as u8; size],
                })
                .collect(),
            ..txn(seq)
        }
    }

    /// Small, large (several OPS frames), small, large, small: the file,
    /// the records, where each COMMIT ends, and where every frame starts.
    fn mixed() -> (Vec<u8>, Vec<TxnRecord>, Vec<usize>, Vec<usize>) {
        let recs = vec![
            txn(1),
            big(2, 2600, 1000),
            txn(3),
            big(4, 1200, 1000),
            txn(5),
        ];
        let mut data = super::super::header(3).to_vec();
        let mut ends = Vec::new();
        for r in &recs {
            let synced = data.len() as u64;
            encode(r, synced, &mut data).expect("encode");
            ends.push(data.len());
        }
        let frames = crate::storage::codec::scan_frames(&data, 16).frames;
        assert!(
            frames.len() >= 8,
            "{} frames: the big ones spill",
            frames.len()
        );
        (data, recs, ends, frames.iter().map(|f| f.0).collect())
    }

    #[test]
    fn multi_frame_transactions_survive_cuts_at_every_boundary() {
        let (data, recs, ends, starts) = mixed();
        crate::logging::set_quiet(true);
        let mut cuts: Vec<usize> = vec![0, 5, 16, data.len()];
        for s in &starts {
            for d in [0usize, 1, 7, 8, 9, 100, 300_000] {
                cuts.extend([s + d, s.saturating_sub(d)]);
            }
        }
        cuts.retain(|c| *c <= data.len());
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            let (got, c) =
                read_file(&data[..cut], 3, "wal/x").expect("a torn tail is not an error");
            let whole = ends.iter().filter(|e| **e <= cut).count();
            let back: Vec<&TxnRecord> = got.iter().map(|t| &t.rec).collect();
            assert_eq!(
                back,
                recs[..whole].iter().collect::<Vec<_>>(),
                "cut at {cut}"
            );
            let last_end = ends[..whole].last().copied().unwrap_or(16);
            if cut > 0 && cut < 16 {
                assert_eq!(
                    c.map(|c| (c.offset, c.reason)),
                    Some((0, "torn header".into()))
                );
            } else if cut <= 16 || ends.contains(&cut) {
                assert_eq!(c, None, "cut at {cut}");
            } else {
                // Whatever was torn, the incomplete transaction goes whole:
                // orphan OPS frames are cut with it.
                let c = c.unwrap_or_else(|| panic!("cut at {cut}: no tail cut"));
                assert_eq!(
                    (c.offset, c.bytes),
                    (last_end as u64, (cut - last_end) as u64)
                );
                if starts.contains(&cut) {
                    assert_eq!(c.reason, "transaction without its commit record");
                }
            }
        }
        crate::logging::set_quiet(false);
    }

    #[test]
    fn corruption_inside_an_ops_frame_is_reported_with_offset() {
        let (data, _, ends, starts) = mixed();
        // The second OPS frame of the first big transaction, then later
        // commits that claim it durable.
        let second_ops = starts.iter().copied().filter(|s| *s > ends[0]).nth(1);
        let at = second_ops.expect("frame");
        assert!(at < ends[1]);
        for flip in [at + 2, at + 9, at + 500_000] {
            let mut bad = data.clone();
            bad[flip] ^= 0x20;
            match read_file(&bad, 3, "wal/0000000000000003.wal") {
                Err(Error::Corrupted { file, offset, .. }) => {
                    assert_eq!(file, "wal/0000000000000003.wal");
                    assert_eq!(offset, at as u64, "flip at {flip}");
                }
                other => panic!("flip at {flip}: expected Corrupted, got {other:?}"),
            }
        }
        // Damage in the last transaction's frames, nothing durable after:
        // a torn tail, cut at the start of that transaction.
        let mut tail = data[..ends[3]].to_vec();
        let last_ops = starts
            .iter()
            .copied()
            .rfind(|s| *s < ends[3])
            .expect("frame");
        tail[last_ops - 100] ^= 1;
        crate::logging::set_quiet(true);
        let (got, c) = read_file(&tail, 3, "wal/x").expect("tail");
        crate::logging::set_quiet(false);
        assert_eq!(got.len(), 3);
        assert_eq!(c.map(|c| c.offset), Some(ends[2] as u64));
    }

    #[test]
    fn a_skipped_transaction_skips_its_ops_frames() {
        let (data, recs, _, _) = mixed();
        let src: &[u8] = &data;
        let mut r = WalReader::open(&src, 3, "wal/x").expect("open");
        let mut seqs = Vec::new();
        while let Some(t) = r.next_txn().expect("txn") {
            seqs.push(t.rec.seq);
            // Read the OPS frames of seq 4 only.
            if t.rec.seq == Some(4) {
                let mut n = 0;
                while let Some(ev) = r.next_ops().expect("ops") {
                    n += ev.len();
                }
                assert_eq!(n + t.rec.events.len(), recs[3].events.len());
            }
        }
        assert_eq!(seqs, [Some(1), Some(2), Some(3), Some(4), Some(5)]);
        assert!(r.next_ops().expect("ops").is_none());
        assert!(r.cut().is_none());
    }

    #[test]
    fn memory_is_bounded_by_a_frame_not_the_file() {
        // One transaction of ~24 MiB (two dozen OPS frames) between small
        // ones: the reader holds about one OPS frame and its window.
        let recs = [txn(1), big(2, 24 * 1024, 1024), txn(3)];
        let mut data = super::super::header(3).to_vec();
        for r in &recs {
            let synced = data.len() as u64;
            encode(r, synced, &mut data).expect("encode");
        }
        assert!(data.len() > 24 << 20);
        let src: &[u8] = &data;
        let mut r = WalReader::open(&src, 3, "wal/x").expect("open");
        let bound = crate::storage::wal::record::SPILL + 2 * super::super::frames::WINDOW;
        assert!(
            r.peak() <= super::super::frames::WINDOW,
            "pass 1: {}",
            r.peak()
        );
        let (mut txns, mut events) = (0, 0);
        while let Some(t) = r.next_txn().expect("txn") {
            txns += 1;
            while let Some(ev) = r.next_ops().expect("ops") {
                events += ev.len();
            }
            events += t.rec.events.len();
        }
        assert_eq!((txns, events), (3, 2 + 24 * 1024));
        assert!(r.peak() <= bound, "peak {} > {bound}", r.peak());
    }
}
