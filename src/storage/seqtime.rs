//! The seq ↔ time index: the commit time of every seq, in memory for binary
//! search, persisted in the append-only file `seqtime` at the data root.
//!
//! Commit times are non-decreasing in seq (the commit path reuses the last
//! time when the clock steps back), so "the largest seq whose time is ≤ t" is
//! a `partition_point` over a `Vec<i64>` indexed by `seq - 1`.
//!
//! File layout:
//!
//! ```text
//! header  "DRFTSQT1"                                   8 bytes
//! record  [u64 LE seq][i64 LE unix µs][u32 LE crc32 of the 16 bytes before]
//!         one per seq, in order: record i holds seq i + 1       20 bytes each
//! ```
//!
//! Records are appended (buffered) after each commit is durable and fsynced
//! at checkpoint, which stores the count of durable records; recovery trusts
//! exactly that many (a bad one is corruption), drops anything after them,
//! and rebuilds the rest from the WAL, which holds every commit's time.

use std::path::Path;
use std::sync::RwLock;

use super::Seq;
use super::io::{File, FileSystem};
use crate::error::{Error, Result};

/// The file's magic header.
pub const MAGIC: &[u8; 8] = b"DRFTSQT1";
/// Bytes per record.
pub const RECORD: usize = 20;
/// The file name under the data root.
pub const FILE_NAME: &str = "seqtime";

/// The in-memory index.
#[derive(Debug, Default)]
pub struct SeqTimes {
    times: RwLock<Vec<i64>>,
}

impl SeqTimes {
    /// An index holding `times[i]` for seq `i + 1`.
    pub fn from_times(times: Vec<i64>) -> SeqTimes {
        SeqTimes {
            times: RwLock::new(times),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<i64>> {
        self.times.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Records the time of the next seq (`seq` must be `len + 1`).
    pub fn push(&self, seq: Seq, micros: i64) -> Result<()> {
        let mut t = self.times.write().unwrap_or_else(|p| p.into_inner());
        if seq != t.len() as u64 + 1 {
            return Err(Error::Internal(format!(
                "seq {seq} recorded after seq {}",
                t.len()
            )));
        }
        t.push(micros);
        Ok(())
    }

    /// The time of the last recorded seq.
    pub fn last_time(&self) -> Option<i64> {
        self.read().last().copied()
    }

    /// The commit time of `seq`, if `1 <= seq <= visible`.
    pub fn time_of(&self, seq: Seq, visible: Seq) -> Option<i64> {
        if seq == 0 || seq > visible {
            return None;
        }
        let i = usize::try_from(seq - 1).ok()?;
        self.read().get(i).copied()
    }

    /// The largest seq ≤ `visible` whose time is ≤ `t`, or 0.
    pub fn seq_at(&self, t: i64, visible: Seq) -> Seq {
        self.count_where(visible, |x| x <= t)
    }

    /// The largest seq ≤ `visible` whose time is < `t`, or 0.
    pub fn seq_before(&self, t: i64, visible: Seq) -> Seq {
        self.count_where(visible, |x| x < t)
    }

    fn count_where(&self, visible: Seq, pred: impl Fn(i64) -> bool) -> Seq {
        let times = self.read();
        let n = usize::try_from(visible)
            .unwrap_or(usize::MAX)
            .min(times.len());
        times[..n].partition_point(|&x| pred(x)) as Seq
    }

    /// A copy of the times (for writing recovered records).
    pub fn snapshot_from(&self, from_seq: Seq) -> Vec<(Seq, i64)> {
        let times = self.read();
        let start = usize::try_from(from_seq.saturating_sub(1)).unwrap_or(usize::MAX);
        times
            .iter()
            .enumerate()
            .skip(start)
            .map(|(i, t)| (i as Seq + 1, *t))
            .collect()
    }
}

fn record(seq: Seq, micros: i64) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    r[..8].copy_from_slice(&seq.to_le_bytes());
    r[8..16].copy_from_slice(&micros.to_le_bytes());
    let crc = crc32fast::hash(&r[..16]);
    r[16..].copy_from_slice(&crc.to_le_bytes());
    r
}

/// Reads the first `count` records of a `seqtime` file; anything after them
/// is not covered by the checkpoint and is ignored (the caller truncates).
pub fn read_times(data: &[u8], count: u64, file: &str) -> Result<Vec<i64>> {
    if count == 0 && data.len() < MAGIC.len() {
        return Ok(Vec::new());
    }
    if data.get(..MAGIC.len()) != Some(&MAGIC[..]) {
        return Err(Error::corrupted(file, 0, "bad seqtime header"));
    }
    let n =
        usize::try_from(count).map_err(|_| Error::corrupted(file, 0, "record count too large"))?;
    let body = &data[MAGIC.len()..];
    if body.len() / RECORD < n {
        return Err(Error::corrupted(
            file,
            data.len() as u64,
            format!(
                "{n} records expected, the file holds {}",
                body.len() / RECORD
            ),
        ));
    }
    let mut times = Vec::with_capacity(n);
    for (i, r) in body.chunks_exact(RECORD).take(n).enumerate() {
        let offset = (MAGIC.len() + i * RECORD) as u64;
        let crc = u32::from_le_bytes([r[16], r[17], r[18], r[19]]);
        if crc32fast::hash(&r[..16]) != crc {
            return Err(Error::corrupted(
                file,
                offset,
                "seqtime record CRC mismatch",
            ));
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&r[..8]);
        let seq = u64::from_le_bytes(b);
        if seq != i as u64 + 1 {
            return Err(Error::corrupted(
                file,
                offset,
                format!("record for seq {seq} where seq {} belongs", i + 1),
            ));
        }
        b.copy_from_slice(&r[8..16]);
        times.push(i64::from_le_bytes(b));
    }
    Ok(times)
}

/// The byte length of a file holding `count` records.
pub fn file_len(count: u64) -> u64 {
    MAGIC.len() as u64 + count * RECORD as u64
}

/// Appends records to the `seqtime` file (buffered).
#[derive(Debug)]
pub struct SeqTimeWriter {
    file: Box<dyn File>,
    buf: Vec<u8>,
    count: u64,
}

impl SeqTimeWriter {
    /// Opens the file at `path` holding exactly `count` valid records,
    /// cutting anything after them (or creating it with its header).
    pub fn open(fs: &dyn FileSystem, path: &Path, count: u64) -> Result<SeqTimeWriter> {
        let mut file = fs.open_append(path, true)?;
        let len = file.len()?;
        let want = file_len(count);
        if len < MAGIC.len() as u64 {
            file.truncate(0)?;
            file.append(MAGIC)?;
        } else if len != want {
            file.truncate(want)?;
        }
        Ok(SeqTimeWriter {
            file,
            buf: Vec::new(),
            count,
        })
    }

    /// Records `seq`'s time (must be the next seq).
    pub fn append(&mut self, seq: Seq, micros: i64) -> Result<()> {
        if seq != self.count + 1 {
            return Err(Error::Internal(format!(
                "seqtime record for seq {seq} after {}",
                self.count
            )));
        }
        self.buf.extend_from_slice(&record(seq, micros));
        self.count += 1;
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes buffered records to the file.
    pub fn flush(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.file.append(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Flushes and fsyncs; returns the number of durable records.
    pub fn sync(&mut self, fsync: bool) -> Result<u64> {
        self.flush()?;
        if fsync {
            self.file.sync()?;
        }
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::mem::MemFs;

    #[test]
    fn binary_search_with_ties_and_visibility() {
        let s = SeqTimes::from_times(vec![10, 20, 20, 30]);
        assert_eq!(s.seq_at(5, 4), 0);
        assert_eq!(s.seq_at(10, 4), 1);
        assert_eq!(s.seq_at(20, 4), 3, "ties: the largest seq");
        assert_eq!(s.seq_before(20, 4), 1);
        assert_eq!(s.seq_at(99, 4), 4);
        assert_eq!(s.seq_at(99, 2), 2, "capped at visible");
        assert_eq!(s.time_of(3, 4), Some(20));
        assert_eq!(s.time_of(4, 3), None);
        assert_eq!(s.time_of(0, 4), None);
        assert!(s.push(9, 40).is_err(), "gap refused");
        s.push(5, 40).expect("next seq");
    }

    #[test]
    fn file_round_trip_and_corruption() {
        let fs = MemFs::new();
        let p = Path::new("/seqtime");
        let mut w = SeqTimeWriter::open(&fs, p, 0).expect("open");
        for (i, t) in [5i64, 6, 6, 9].iter().enumerate() {
            w.append(i as u64 + 1, *t).expect("append");
        }
        assert_eq!(w.sync(true).expect("sync"), 4);
        let data = fs.read_file(p).expect("read");
        assert_eq!(data.len() as u64, file_len(4));
        assert_eq!(
            read_times(&data, 4, "seqtime").expect("read"),
            vec![5, 6, 6, 9]
        );
        assert_eq!(read_times(&data, 2, "seqtime").expect("prefix"), vec![5, 6]);
        assert!(read_times(&data, 5, "seqtime").is_err(), "missing record");
        let mut bad = data.clone();
        bad[8 + RECORD + 9] ^= 1;
        match read_times(&bad, 4, "seqtime") {
            Err(Error::Corrupted { offset, .. }) => assert_eq!(offset, (8 + RECORD) as u64),
            other => panic!("expected corruption, got {other:?}"),
        }
        // Reopening with a smaller durable count cuts the rest.
        let w = SeqTimeWriter::open(&fs, p, 2).expect("reopen");
        drop(w);
        assert_eq!(fs.read_file(p).expect("read").len() as u64, file_len(2));
    }
}
