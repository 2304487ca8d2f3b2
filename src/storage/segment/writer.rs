//! Appends event frames to a table's segments: buffered, rolled at
//! [`SEGMENT_LIMIT`], fsynced only at checkpoint.

use std::path::{Path, PathBuf};

use super::{HEADER, SEGMENT_LIMIT, file_name, header, put_body};
use crate::error::Result;
use crate::storage::codec::{FRAME_HEADER, put_frame};
use crate::storage::io::{File, FileSystem};
use crate::storage::{Seq, TableId};

/// Buffer size that triggers a write to the file.
const FLUSH_AT: usize = 256 * 1024;

/// The writer of one table's segments.
#[derive(Debug)]
pub struct SegmentWriter {
    dir: PathBuf,
    table: TableId,
    /// Final lengths of the segments before the current one.
    closed: Vec<u64>,
    /// Current segment number (0: none yet).
    seg_no: u32,
    /// Length of the current segment, buffered bytes included.
    len: u64,
    file: Option<Box<dyn File>>,
    buf: Vec<u8>,
    body: Vec<u8>,
    /// Rolled files not yet fsynced.
    to_sync: Vec<Box<dyn File>>,
    /// A file was created since the last directory fsync.
    dir_dirty: bool,
    limit: u64,
}

impl SegmentWriter {
    /// A writer continuing after existing segments 1..=n of the given
    /// lengths (none: start at segment 1); the caller has already cut the
    /// last one to exactly its length.
    pub fn new(dir: PathBuf, table: TableId, mut lens: Vec<u64>) -> SegmentWriter {
        let seg_no = lens.len() as u32;
        let len = lens.pop().unwrap_or(0);
        SegmentWriter {
            dir,
            table,
            closed: lens,
            seg_no,
            len,
            file: None,
            buf: Vec::new(),
            body: Vec::new(),
            to_sync: Vec::new(),
            dir_dirty: false,
            limit: SEGMENT_LIMIT,
        }
    }

    /// Uses a smaller roll size (tests).
    pub fn with_limit(mut self, limit: u64) -> SegmentWriter {
        self.limit = limit.max(HEADER + 1);
        self
    }

    /// The directory (it moves when the table is renamed).
    pub fn set_dir(&mut self, dir: PathBuf) {
        self.dir = dir;
    }

    /// The segments directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one event frame.
    pub fn append(
        &mut self,
        fs: &dyn FileSystem,
        seq: Seq,
        unix_ms: u64,
        event_type: u8,
        payload: &[u8],
    ) -> Result<()> {
        self.body.clear();
        put_body(&mut self.body, seq, unix_ms, event_type, payload);
        let frame_len = (FRAME_HEADER + self.body.len()) as u64;
        if self.seg_no == 0 || (self.len + frame_len > self.limit && self.len > HEADER) {
            self.roll(fs)?;
        }
        put_frame(&mut self.buf, &self.body);
        self.len += frame_len;
        if self.buf.len() >= FLUSH_AT {
            self.flush(fs)?;
        }
        Ok(())
    }

    fn roll(&mut self, fs: &dyn FileSystem) -> Result<()> {
        self.flush(fs)?;
        if let Some(f) = self.file.take() {
            self.to_sync.push(f);
        }
        if self.seg_no > 0 {
            self.closed.push(self.len);
        }
        self.seg_no += 1;
        let mut f = fs.open_append(&self.dir.join(file_name(self.seg_no)), true)?;
        // A file left by an interrupted earlier run is not trusted.
        f.truncate(0)?;
        self.file = Some(f);
        self.buf.extend_from_slice(&header(self.table, self.seg_no));
        self.len = HEADER;
        self.dir_dirty = true;
        Ok(())
    }

    /// Writes buffered frames to the file.
    pub fn flush(&mut self, fs: &dyn FileSystem) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.file.is_none() {
            self.file = Some(fs.open_append(&self.dir.join(file_name(self.seg_no)), false)?);
        }
        if let Some(f) = self.file.as_mut() {
            f.append(&self.buf)?;
        }
        self.buf.clear();
        Ok(())
    }

    /// Flushes and (if `fsync`) makes everything durable; returns the length
    /// of every segment, 1..=n, for the checkpoint.
    pub fn sync(&mut self, fs: &dyn FileSystem, fsync: bool) -> Result<Vec<u64>> {
        self.flush(fs)?;
        if fsync {
            for f in &mut self.to_sync {
                f.sync()?;
            }
            if let Some(f) = self.file.as_mut() {
                f.sync()?;
            }
            if self.dir_dirty {
                fs.sync_dir(&self.dir)?;
            }
        }
        self.to_sync.clear();
        self.dir_dirty = false;
        let mut lens = self.closed.clone();
        if self.seg_no > 0 {
            lens.push(self.len);
        }
        Ok(lens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::codec::scan_frames;
    use crate::storage::io::mem::MemFs;
    use crate::storage::segment::parse_body;

    #[test]
    fn writes_rolls_and_syncs() {
        let fs = MemFs::new();
        let dir = PathBuf::from("/segs");
        fs.create_dir(&dir).expect("mkdir");
        fs.sync_dir(Path::new("/")).expect("sync");
        let mut w = SegmentWriter::new(dir.clone(), 7, Vec::new()).with_limit(100);
        for seq in 1..=10u64 {
            w.append(&fs, seq, 1000 + seq, 1, &[0x90; 20])
                .expect("append");
        }
        let lens = w.sync(&fs, true).expect("sync");
        let n = lens.len() as u32;
        assert!(n > 1, "rolled at 100 bytes");
        let img = fs.crash_image();
        let mut seqs = Vec::new();
        for i in 1..=n {
            let data = img
                .read_file(&dir.join(file_name(i)))
                .expect("durable segment");
            assert_eq!(&data[..16], &header(7, i));
            assert_eq!(data.len() as u64, lens[i as usize - 1]);
            let scan = scan_frames(&data, 16);
            assert!(scan.bad.is_none());
            for (_, body) in scan.frames {
                seqs.push(parse_body(&data[body]).expect("body").seq);
            }
        }
        assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
    }
}
