//! Replayed events on their way to the segments, kept in a temporary file
//! rather than in memory.
//!
//! Segments can only be written once recovery knows the final catalog (a
//! table created by the WAL has no directory until `reconcile`, a renamed
//! one is moved there), but the events replayed before then may be
//! gigabytes. So replay appends them here, buffered [`FLUSH_AT`] bytes at a
//! time, and [`Spill::drain`] streams them back to the segment writers once
//! the directories are right, then removes the file.
//!
//! ```text
//! wal/recovery.spill := frame*                     (see `storage::codec`)
//! body := [u32 LE table id][segment frame body]    (see `storage::segment`)
//! ```
//!
//! The file is scratch: nothing durable depends on it, it is never fsynced,
//! and one left by an interrupted recovery is removed by the next.
//! When the WAL creates or drops a table again, the events spilled for it
//! so far are dropped: [`Spill::discard`] notes the offset before which
//! that table's frames are skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::storage::codec::{check_frame_len, put_frame};
use crate::storage::io::{File, FileSystem};
use crate::storage::metafile::rel;
use crate::storage::segment::{self, FrameBody};
use crate::storage::wal::frames::{FileSource, FrameReader, Source};
use crate::storage::{Seq, TableId};

/// The file's name, in the WAL directory.
pub const FILE_NAME: &str = "recovery.spill";

/// Buffered bytes that trigger a write.
pub const FLUSH_AT: usize = 1 << 20;

/// See the module docs.
#[derive(Debug)]
pub(super) struct Spill {
    path: PathBuf,
    /// The path relative to the data root, for errors.
    label: String,
    file: Option<Box<dyn File>>,
    buf: Vec<u8>,
    body: Vec<u8>,
    /// Bytes spilled so far (written and buffered).
    len: u64,
    /// Frames of a table before this offset are dropped.
    discard: BTreeMap<TableId, u64>,
}

impl Spill {
    /// A spill in `wal_dir` under data directory `root`; a file left by an
    /// earlier run is removed.
    pub(super) fn new(fs: &dyn FileSystem, root: &Path, wal_dir: &Path) -> Result<Spill> {
        let path = wal_dir.join(FILE_NAME);
        if fs.exists(&path)? {
            fs.remove_file(&path)?;
        }
        Ok(Spill {
            label: rel(root, &path),
            path,
            file: None,
            buf: Vec::new(),
            body: Vec::new(),
            len: 0,
            discard: BTreeMap::new(),
        })
    }

    /// Adds one event of `table` at `seq` (commit time `unix_ms`).
    pub(super) fn push(
        &mut self,
        fs: &dyn FileSystem,
        table: TableId,
        seq: Seq,
        unix_ms: u64,
        event_type: u8,
        payload: &[u8],
    ) -> Result<()> {
        self.body.clear();
        self.body.extend_from_slice(&table.to_le_bytes());
        segment::put_body(&mut self.body, seq, unix_ms, event_type, payload);
        check_frame_len(self.body.len())?;
        let before = self.buf.len();
        put_frame(&mut self.buf, &self.body);
        self.len += (self.buf.len() - before) as u64;
        if self.buf.len() >= FLUSH_AT {
            self.flush(fs)?;
        }
        Ok(())
    }

    /// Drops the events of `table` spilled so far.
    pub(super) fn discard(&mut self, table: TableId) {
        self.discard.insert(table, self.len);
    }

    fn flush(&mut self, fs: &dyn FileSystem) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.file.is_none() {
            let mut f = fs.open_append(&self.path, true)?;
            f.truncate(0)?;
            self.file = Some(f);
        }
        if let Some(f) = self.file.as_mut() {
            f.append(&self.buf)?;
        }
        self.buf.clear();
        // A large event leaves a large buffer behind: give it back.
        if self.buf.capacity() > 2 * FLUSH_AT {
            self.buf.shrink_to(FLUSH_AT);
        }
        Ok(())
    }

    /// Hands every event not discarded to `f`, in the order spilled, then
    /// removes the file.
    pub(super) fn drain(
        &mut self,
        fs: &dyn FileSystem,
        mut f: impl FnMut(TableId, FrameBody<'_>) -> Result<()>,
    ) -> Result<()> {
        let discard = std::mem::take(&mut self.discard);
        let len = std::mem::replace(&mut self.len, 0);
        if self.file.is_none() {
            // Everything is still in the buffer.
            let buf = std::mem::take(&mut self.buf);
            let src: &[u8] = &buf;
            return self.read_back(&src, len, &discard, &mut f);
        }
        self.flush(fs)?;
        self.file = None;
        let src = FileSource::open(fs, &self.path)?;
        self.read_back(&src, len, &discard, &mut f)?;
        drop(src);
        fs.remove_file(&self.path)
    }

    fn read_back(
        &self,
        src: &dyn Source,
        len: u64,
        discard: &BTreeMap<TableId, u64>,
        f: &mut impl FnMut(TableId, FrameBody<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut r = FrameReader::new(src)?;
        if r.len() != len {
            return Err(Error::corrupted(
                self.label.clone(),
                r.len(),
                format!("{len} bytes were spilled, the file holds {}", r.len()),
            ));
        }
        let mut pos = 0u64;
        while pos < r.len() {
            let bad = |e: String| Error::corrupted(self.label.clone(), pos, e);
            let body = r.body(pos)?.map_err(bad)?;
            let next = pos + (crate::storage::codec::FRAME_HEADER + body.len()) as u64;
            let (id, rest) = body
                .split_first_chunk::<4>()
                .ok_or_else(|| bad("spill frame without a table id".into()))?;
            let table = u32::from_le_bytes(*id);
            if discard.get(&table).is_none_or(|d| pos >= *d) {
                f(table, segment::parse_body(rest).map_err(bad)?)?;
            }
            pos = next;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::mem::MemFs;

    fn collect(mut s: Spill, fs: &MemFs) -> Vec<(TableId, Seq, Vec<u8>)> {
        let mut out = Vec::new();
        s.drain(fs, |t, b| {
            out.push((t, b.seq, b.payload.to_vec()));
            Ok(())
        })
        .expect("drain");
        out
    }

    #[test]
    fn spills_to_disk_discards_and_cleans_up() {
        let fs = MemFs::new();
        let (root, wal) = (Path::new("/db"), Path::new("/db/wal"));
        fs.create_dir(root).expect("mkdir");
        fs.create_dir(wal).expect("mkdir");
        fs.put_file(&wal.join(FILE_NAME), b"stale".to_vec())
            .expect("stale file");
        let mut s = Spill::new(&fs, root, wal).expect("spill");
        assert!(!fs.exists(&wal.join(FILE_NAME)).expect("exists"));
        let big = vec![7u8; 300 * 1024];
        for seq in 1..=10u64 {
            s.push(&fs, 1, seq, 5, 1, &big).expect("push");
            s.push(&fs, 2, seq, 5, 1, &[seq as u8]).expect("push");
            if seq == 6 {
                s.discard(2);
            }
        }
        assert!(s.buf.len() < FLUSH_AT, "buffer is bounded");
        assert!(fs.exists(&wal.join(FILE_NAME)).expect("exists"));
        let got = collect(s, &fs);
        assert_eq!(got.iter().filter(|e| e.0 == 1).count(), 10);
        let t2: Vec<_> = got.iter().filter(|e| e.0 == 2).map(|e| e.1).collect();
        assert_eq!(t2, [7, 8, 9, 10], "events before the discard dropped");
        assert!(got.iter().filter(|e| e.0 == 1).all(|e| e.2 == big));
        assert!(!fs.exists(&wal.join(FILE_NAME)).expect("exists"), "removed");
    }

    #[test]
    fn small_spills_stay_in_memory_and_damage_is_reported() {
        let fs = MemFs::new();
        let (root, wal) = (Path::new("/db"), Path::new("/db/wal"));
        fs.create_dir(root).expect("mkdir");
        fs.create_dir(wal).expect("mkdir");
        let mut s = Spill::new(&fs, root, wal).expect("spill");
        s.push(&fs, 3, 1, 0, 2, b"abc").expect("push");
        assert_eq!(collect(s, &fs), vec![(3, 1, b"abc".to_vec())]);
        assert!(fs.files_under(wal).is_empty(), "never written");
        let mut s = Spill::new(&fs, root, wal).expect("spill");
        for seq in 1..=20u64 {
            s.push(&fs, 3, seq, 0, 2, &vec![1u8; 100 * 1024])
                .expect("push");
        }
        s.flush(&fs).expect("flush");
        let mut data = fs.read_file(&wal.join(FILE_NAME)).expect("read");
        data[5000] ^= 1;
        fs.put_file(&wal.join(FILE_NAME), data).expect("damage");
        let mut s = s;
        let e = s.drain(&fs, |_, _| Ok(())).expect_err("CRC checked");
        assert!(matches!(e, Error::Corrupted { .. }), "{e:?}");
    }
}
