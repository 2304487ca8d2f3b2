//! Reading the WAL back at recovery.
//!
//! Frames are read in order; OPS frames are gathered until their COMMIT.
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
//! that does not decode is corruption (a torn write cannot produce one).

use std::path::Path;

use super::record::{Frame, TxnRecord, WalEvent, decode};
use super::{HEADER, MAGIC, parse_name};
use crate::error::{Error, Result};
use crate::log_warn;
use crate::storage::TailCut;
use crate::storage::codec::{scan_frames, valid_frames_after};
use crate::storage::io::FileSystem;
use crate::storage::metafile::rel;

/// A committed transaction read from the WAL.
#[derive(Debug)]
pub struct LoggedTxn {
    /// The transaction.
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

/// Reads every committed transaction of WAL files `from` and above; tail
/// cuts are added to `cuts`.
pub fn read_all(
    fs: &dyn FileSystem,
    root: &Path,
    wal_dir: &Path,
    from: u64,
    cuts: &mut Vec<TailCut>,
) -> Result<Vec<LoggedTxn>> {
    let mut out = Vec::new();
    for no in files(fs, wal_dir, from)? {
        let path = wal_dir.join(super::file_name(no));
        let data = fs.read_file(&path)?;
        let (txns, cut) = read_file(&data, no, &rel(root, &path))?;
        out.extend(txns);
        cuts.extend(cut);
    }
    Ok(out)
}

/// Reads the committed transactions of one WAL file, and the tail cut off
/// (logged), if any. The file itself is left alone: recovery ends with a
/// checkpoint that deletes it.
pub fn read_file(data: &[u8], no: u64, label: &str) -> Result<(Vec<LoggedTxn>, Option<TailCut>)> {
    let h = HEADER as usize;
    if data.len() < h {
        let want = super::header(no);
        if data != &want[..data.len()] {
            return Err(Error::corrupted(label, 0, "bad WAL header"));
        }
        if data.is_empty() {
            return Ok((Vec::new(), None));
        }
        log_warn!(
            "WAL file \"{label}\": cut {} bytes at offset 0 (torn header)",
            data.len()
        );
        let cut = TailCut {
            file: label.to_string(),
            offset: 0,
            bytes: data.len() as u64,
            reason: "torn header".into(),
        };
        return Ok((Vec::new(), Some(cut)));
    }
    if &data[..8] != MAGIC || data[8..h] != no.to_le_bytes() {
        return Err(Error::corrupted(
            label,
            0,
            format!("header is not that of WAL file {no}"),
        ));
    }
    let scan = scan_frames(data, h);
    let mut txns = Vec::new();
    let mut ops: Vec<WalEvent> = Vec::new();
    let mut ops_frames = 0u64;
    let mut ops_start = 0usize;
    let mut ops_seq = 0u64;
    for (off, body) in &scan.frames {
        let bad = |e: String| Error::corrupted(label, *off as u64, e);
        match decode(&data[body.clone()]).map_err(bad)? {
            Frame::Ops { seq, events } => {
                if ops_frames == 0 {
                    ops_start = *off;
                    ops_seq = seq;
                } else if seq != ops_seq {
                    return Err(bad(format!(
                        "OPS frame of seq {seq} inside transaction {ops_seq}"
                    )));
                }
                ops.extend(events);
                ops_frames += 1;
            }
            Frame::Commit {
                mut rec,
                ops_frames: want,
                ..
            } => {
                if want != ops_frames {
                    return Err(bad(format!(
                        "commit expects {want} OPS frames, {ops_frames} precede it"
                    )));
                }
                if ops_frames > 0 && rec.seq != Some(ops_seq) {
                    return Err(bad(format!(
                        "commit of seq {:?} after OPS frames of seq {ops_seq}",
                        rec.seq
                    )));
                }
                ops.append(&mut rec.events);
                rec.events = std::mem::take(&mut ops);
                ops_frames = 0;
                txns.push(LoggedTxn {
                    rec,
                    file: label.to_string(),
                    offset: *off as u64,
                });
            }
        }
    }
    let mut cut: Option<(usize, String)> = None;
    if let Some(reason) = scan.bad
        && data[scan.valid_end..].iter().any(|b| *b != 0)
    {
        check_tail(data, scan.valid_end, &reason, label)?;
        cut = Some((scan.valid_end, reason));
    }
    // (All zeros after the last frame: the preallocated end of the file.)
    if ops_frames > 0 {
        cut = Some((ops_start, "transaction without its commit record".into()));
    }
    let cut = cut.map(|(off, reason)| {
        log_warn!(
            "WAL file \"{label}\": cut {} bytes at offset {off} ({reason}); nothing after it was acknowledged",
            data.len() - off
        );
        TailCut {
            file: label.to_string(),
            offset: off as u64,
            bytes: (data.len() - off) as u64,
            reason,
        }
    });
    Ok((txns, cut))
}

/// Decides whether the invalid frame at `bad` is a torn tail (Ok) or
/// corruption in the middle of the file (Err).
fn check_tail(data: &[u8], bad: usize, reason: &str, label: &str) -> Result<()> {
    let later = valid_frames_after(data, bad);
    let durable_past = later
        .iter()
        .any(|(_, body)| match decode(&data[body.clone()]) {
            Ok(Frame::Commit { synced_upto, .. }) => synced_upto > bad as u64,
            _ => false,
        });
    if durable_past {
        return Err(Error::corrupted(
            label,
            bad as u64,
            format!("{reason}; valid frames follow, written after this one was durable"),
        ));
    }
    Ok(())
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
}
