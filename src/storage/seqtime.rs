//! The seq ↔ time index: the commit time of every seq, in two B-trees of
//! the database's page file, and in the append-only file `seqtime` at the
//! data root (the durable record, beside the event segments).
//!
//! Commit times are non-decreasing in seq (the commit path reuses the last
//! time when the clock steps back), so "the largest seq whose time is ≤ t"
//! is one backward seek in the tree keyed by (time, seq):
//!
//! ```text
//! seqtime/by-seq   seq (8 bytes BE)                       → time (8 bytes, i64 LE)
//! seqtime/by-time  time (8 bytes BE, sign flipped) ++ seq  → (empty)
//! ```
//!
//! A commit records its time inside its B-tree write transaction, before it
//! is durable; readers cap every answer at the published seq.
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
//! at checkpoint, which stores the count of durable records; recovery checks
//! the file holds that many (and re-reads the ones the last checkpoint
//! added), drops anything after them, and appends the commits it replays
//! from the WAL. The trees, not the file, answer queries: the file is not
//! read at startup.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use super::Seq;
use super::btree::{BTreeStore, WriteTxn as TreeTxn};
use super::io::{File, FileSystem};
use crate::error::{Error, Result};
use crate::log_error;

/// The file's magic header.
pub const MAGIC: &[u8; 8] = b"DRFTSQT1";
/// Bytes per record.
pub const RECORD: usize = 20;
/// The file name under the data root.
pub const FILE_NAME: &str = "seqtime";
/// The tree of times by seq.
pub const BY_SEQ: &str = "seqtime/by-seq";
/// The tree of seqs by time.
pub const BY_TIME: &str = "seqtime/by-time";

fn time_key(t: i64, seq: Seq) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&((t as u64) ^ (1 << 63)).to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The seq ↔ time index over the B-trees.
#[derive(Debug, Clone)]
pub struct SeqTimes {
    db: Arc<BTreeStore>,
}

impl SeqTimes {
    /// The index in `db` (its trees are created by [`SeqTimes::create_trees`]).
    pub fn new(db: Arc<BTreeStore>) -> SeqTimes {
        SeqTimes { db }
    }

    /// Creates the trees if they are missing.
    pub fn create_trees(w: &mut TreeTxn<'_>) -> Result<()> {
        w.create_tree(BY_SEQ)?;
        w.create_tree(BY_TIME)?;
        Ok(())
    }

    /// Records the time of `seq` inside the write transaction `w`.
    pub fn push_in(w: &mut TreeTxn<'_>, seq: Seq, micros: i64) -> Result<()> {
        w.insert(BY_SEQ, &seq.to_be_bytes(), &micros.to_le_bytes())?;
        w.insert(BY_TIME, &time_key(micros, seq), &[])?;
        Ok(())
    }

    /// The last recorded seq and its time (applied, maybe not published).
    pub fn last(&self) -> Result<Option<(Seq, i64)>> {
        let snap = self.db.snapshot();
        if !snap.contains_tree(BY_SEQ) {
            return Ok(None);
        }
        let mut c = snap.range(BY_SEQ, Bound::Unbounded, Bound::Unbounded, true)?;
        match c.next().transpose()? {
            Some((k, v)) => Ok(Some((decode_seq(&k)?, decode_time(&v)?))),
            None => Ok(None),
        }
    }

    /// The commit time of `seq`, if `1 <= seq <= visible`.
    pub fn time_of(&self, seq: Seq, visible: Seq) -> Option<i64> {
        if seq == 0 || seq > visible {
            return None;
        }
        let r = self
            .db
            .snapshot()
            .get(BY_SEQ, &seq.to_be_bytes())
            .and_then(|v| v.map(|v| decode_time(&v)).transpose());
        report(r).flatten()
    }

    /// The largest seq ≤ `visible` whose time is ≤ `t`, or 0.
    pub fn seq_at(&self, t: i64, visible: Seq) -> Seq {
        let upper = time_key(t, Seq::MAX);
        self.last_below(Bound::Included(&upper[..]), visible)
    }

    /// The largest seq ≤ `visible` whose time is < `t`, or 0.
    pub fn seq_before(&self, t: i64, visible: Seq) -> Seq {
        let upper = time_key(t, 0);
        self.last_below(Bound::Excluded(&upper[..]), visible)
    }

    /// The seq of the last (time, seq) key within `upper`, capped at
    /// `visible`: times grow with seqs, so if that seq is past `visible`,
    /// every seq up to `visible` qualifies.
    fn last_below(&self, upper: Bound<&[u8]>, visible: Seq) -> Seq {
        let r = (|| {
            let snap = self.db.snapshot();
            if !snap.contains_tree(BY_TIME) {
                return Ok(0);
            }
            let mut c = snap.range(BY_TIME, Bound::Unbounded, upper, true)?;
            match c.next_key().transpose()? {
                Some(k) => decode_seq(k.get(8..).unwrap_or(&[])),
                None => Ok(0),
            }
        })();
        report(r).unwrap_or(0).min(visible)
    }
}

/// Logs a read error of the index (answers are `Option`s / seqs, as the
/// storage API has them) and returns `None` for it.
fn report<T>(r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            log_error!("reading the seq/time index: {}", e.message());
            None
        }
    }
}

fn decode_seq(b: &[u8]) -> Result<Seq> {
    let a: [u8; 8] = b.try_into().map_err(|_| bad("a seq key is not 8 bytes"))?;
    Ok(Seq::from_be_bytes(a))
}

fn decode_time(b: &[u8]) -> Result<i64> {
    let a: [u8; 8] = b
        .try_into()
        .map_err(|_| bad("a time value is not 8 bytes"))?;
    Ok(i64::from_le_bytes(a))
}

fn bad(what: &str) -> Error {
    Error::corrupted(super::BTREE_FILE, 0, format!("seq/time index: {what}"))
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

/// Checks that the file at `path` (named `label` in errors) holds at least
/// `count` records behind a valid header, and re-reads records
/// `from + 1 ..= count` (the ones the last checkpoint added): their CRCs and
/// seqs. The rest of the file is not read, so this costs what the last
/// checkpoint wrote, whatever the number of seqs.
pub fn check_file(
    fs: &dyn FileSystem,
    path: &Path,
    label: &str,
    from: u64,
    count: u64,
) -> Result<()> {
    if !fs.exists(path)? {
        if count == 0 {
            return Ok(());
        }
        return Err(Error::corrupted(label, 0, "file missing"));
    }
    let f = fs.open_random(path, false)?;
    let len = f.len()?;
    if count == 0 && len < MAGIC.len() as u64 {
        return Ok(());
    }
    let mut head = [0u8; 8];
    if f.read_at(0, &mut head)? < head.len() || &head != MAGIC {
        return Err(Error::corrupted(label, 0, "bad seqtime header"));
    }
    if len < file_len(count) {
        return Err(Error::corrupted(
            label,
            len,
            format!("{count} records expected, the file is {len} bytes"),
        ));
    }
    let from = from.min(count);
    let n = usize::try_from(count - from)
        .map_err(|_| Error::corrupted(label, 0, "record count too large"))?;
    let mut buf = vec![0u8; n * RECORD];
    f.read_at(file_len(from), &mut buf)?;
    for (i, r) in buf.chunks_exact(RECORD).enumerate() {
        let seq = from + i as u64 + 1;
        let offset = file_len(seq - 1);
        let crc = u32::from_le_bytes([r[16], r[17], r[18], r[19]]);
        if crc32fast::hash(&r[..16]) != crc {
            return Err(Error::corrupted(
                label,
                offset,
                "seqtime record CRC mismatch",
            ));
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&r[..8]);
        if u64::from_le_bytes(b) != seq {
            return Err(Error::corrupted(
                label,
                offset,
                format!(
                    "record for seq {} where seq {seq} belongs",
                    u64::from_le_bytes(b)
                ),
            ));
        }
    }
    Ok(())
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
    /// The file was created: its directory entry is durable only once the
    /// data directory is fsynced.
    created: bool,
}

impl SeqTimeWriter {
    /// Opens the file at `path` holding exactly `count` valid records,
    /// cutting anything after them (or creating it with its header).
    pub fn open(fs: &dyn FileSystem, path: &Path, count: u64) -> Result<SeqTimeWriter> {
        let created = !fs.exists(path)?;
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
            created,
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

    /// Flushes and fsyncs; returns the number of durable records. The
    /// first sync after creating the file also fsyncs `dir`, the directory
    /// holding it.
    pub fn sync(&mut self, fs: &dyn FileSystem, dir: &Path, fsync: bool) -> Result<u64> {
        self.flush()?;
        if fsync {
            self.file.sync()?;
            if self.created {
                fs.sync_dir(dir)?;
            }
        }
        self.created = false;
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::mem::MemFs;

    #[test]
    fn binary_search_with_ties_and_visibility() {
        let fs = MemFs::new();
        fs.create_dir(Path::new("/db")).expect("mkdir");
        let db = BTreeStore::open(&fs, Path::new("/db"), 1 << 20).expect("open");
        let s = SeqTimes::new(db.clone());
        assert_eq!(s.seq_at(5, 4), 0, "no trees yet");
        let mut w = db.write().expect("write");
        SeqTimes::create_trees(&mut w).expect("trees");
        for (i, t) in [10, 20, 20, 30].iter().enumerate() {
            SeqTimes::push_in(&mut w, i as u64 + 1, *t).expect("push");
        }
        w.commit().expect("commit");
        assert_eq!(s.seq_at(5, 4), 0);
        assert_eq!(s.seq_at(10, 4), 1);
        assert_eq!(s.seq_at(20, 4), 3, "ties: the largest seq");
        assert_eq!(s.seq_before(20, 4), 1);
        assert_eq!(s.seq_before(10, 4), 0);
        assert_eq!(s.seq_at(99, 4), 4);
        assert_eq!(s.seq_at(99, 2), 2, "capped at visible");
        assert_eq!(
            s.seq_at(-5, 4),
            0,
            "negative times order below positive ones"
        );
        assert_eq!(s.time_of(3, 4), Some(20));
        assert_eq!(s.time_of(4, 3), None);
        assert_eq!(s.time_of(0, 4), None);
        assert_eq!(s.last().expect("last"), Some((4, 30)));
    }

    #[test]
    fn file_round_trip_and_corruption() {
        let fs = MemFs::new();
        let p = Path::new("/seqtime");
        let mut w = SeqTimeWriter::open(&fs, p, 0).expect("open");
        for (i, t) in [5i64, 6, 6, 9].iter().enumerate() {
            w.append(i as u64 + 1, *t).expect("append");
        }
        assert_eq!(w.sync(&fs, Path::new("/"), true).expect("sync"), 4);
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
