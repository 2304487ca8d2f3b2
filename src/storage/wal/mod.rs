//! The write-ahead log: the commit point.
//!
//! ```text
//! wal/<16 lowercase hex digits>.wal      a new number at every checkpoint
//!
//! file   := header frame*
//! header := "DRFTWAL1" [u64 LE file number]                 16 bytes
//! frame  := [u32 LE length][u32 LE crc32][body]            (see `storage::codec`)
//! ```
//!
//! A transaction is zero or more OPS frames followed by one COMMIT frame
//! ([`record`]); a commit is durable once its COMMIT frame is fsynced, and
//! `commit()` returns only then. [`writer::GroupCommit`] makes one fsync cover
//! every commit waiting at that moment. [`recovery`] reads the files back,
//! cutting a torn tail and reporting corruption in the middle.
//!
//! Positions are *LSNs*: a byte count that only grows over the life of the
//! process (across WAL files), so a committer waiting for "durable past LSN
//! x" is never confused by a checkpoint starting a new file. A file's byte
//! offset is `lsn - base_lsn` of that file.
//!
//! The file ahead of the last frame is **preallocated** with zeros, a chunk
//! at a time ([`WalFile::write`]): an fdatasync after a write that extends
//! a file must also commit its new size, one after a write into bytes that
//! already exist need not (on this project's disks ~35 % more fsyncs per
//! second; PostgreSQL's 16 MB WAL segments do the same). So a file is
//! `header frame* zero*`; recovery reads an all-zero tail as the clean end
//! (a frame never starts with a zero length).

pub mod frames;
pub mod record;
pub mod recovery;
pub mod writer;

use std::path::Path;

use super::codec::{FRAME_HEADER, MAX_FRAME, frame_at};
use super::io::{FileSystem, RandomFile};
use crate::error::{Error, Result};

/// Header magic.
pub const MAGIC: &[u8; 8] = b"DRFTWAL1";
/// Header length.
pub const HEADER: u64 = 16;

/// The file name of WAL file `no`.
pub fn file_name(no: u64) -> String {
    format!("{no:016x}.wal")
}

/// The number of a WAL file name, if it is one.
pub fn parse_name(name: &str) -> Option<u64> {
    let hex = name.strip_suffix(".wal")?;
    if hex.len() != 16
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// The 16-byte header of file `no`.
pub fn header(no: u64) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..8].copy_from_slice(MAGIC);
    h[8..].copy_from_slice(&no.to_le_bytes());
    h
}

/// The WAL file being appended to.
#[derive(Debug)]
pub struct WalFile {
    /// Its number.
    pub no: u64,
    /// The open file.
    file: Box<dyn RandomFile>,
    /// The LSN of the file's byte 0.
    pub base_lsn: u64,
    /// Where the next frame goes.
    end: u64,
    /// The file's length: zeros from `end` to here.
    allocated: u64,
    /// Zeros added at a time when a write would pass `allocated` (0: none).
    chunk: u64,
}

impl WalFile {
    /// Creates file `no` holding just its header, durable (file and
    /// directory entry) before it is used. `base_lsn` is the LSN of byte 0,
    /// so the first frame goes at LSN `base_lsn + HEADER`. The file grows
    /// `chunk` zero bytes at a time ahead of its frames (0: exactly as
    /// written).
    pub fn create(
        fs: &dyn FileSystem,
        dir: &Path,
        no: u64,
        base_lsn: u64,
        fsync: bool,
        chunk: u64,
    ) -> Result<WalFile> {
        let file = fs.open_random(&dir.join(file_name(no)), true)?;
        file.set_len(0)?;
        file.write_at(0, &header(no))?;
        if fsync {
            file.sync()?;
            fs.sync_dir(dir)?;
        }
        Ok(WalFile {
            no,
            file,
            base_lsn,
            end: HEADER,
            allocated: HEADER,
            chunk,
        })
    }

    /// Writes `bytes` after the last frame, first adding zeros past the end
    /// of the file when they would not fit (not durable until [`sync`]).
    ///
    /// [`sync`]: WalFile::sync
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let len = bytes.len() as u64;
        if self.chunk > 0 && self.end + len > self.allocated {
            let target = (self.end + len).div_ceil(self.chunk) * self.chunk;
            let zeros = vec![0u8; usize::try_from(self.chunk.min(1 << 20)).unwrap_or(1 << 20)];
            let mut at = self.allocated;
            while at < target {
                let n = (target - at).min(zeros.len() as u64);
                self.file.write_at(at, &zeros[..n as usize])?;
                at += n;
            }
            self.allocated = target;
        }
        self.file.write_at(self.end, bytes)?;
        self.end += len;
        self.allocated = self.allocated.max(self.end);
        Ok(())
    }

    /// Makes every write so far durable (fdatasync).
    pub fn sync(&self) -> Result<()> {
        self.file.sync()
    }

    /// Reads back the frames between file offsets `from` and `to` (written
    /// by this process), handing each body to `f`, one frame in memory at a
    /// time. Every length and CRC is checked.
    pub fn read_frames(
        &self,
        from: u64,
        to: u64,
        mut f: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let label = format!("wal/{}", file_name(self.no));
        let bad = |at: u64, why: String| Error::corrupted(label.clone(), at, why);
        let mut at = from;
        let mut buf = Vec::new();
        while at < to {
            let mut head = [0u8; FRAME_HEADER];
            self.read_exact(at, &mut head)?;
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as u64;
            let total = FRAME_HEADER as u64 + len;
            if len == 0 || len > MAX_FRAME as u64 || at + total > to {
                return Err(bad(at, format!("invalid frame length {len}")));
            }
            buf.clear();
            buf.resize(total as usize, 0);
            self.read_exact(at, &mut buf)?;
            let body = frame_at(&buf, 0).map_err(|e| bad(at, e))?;
            f(&buf[body])?;
            at += total;
        }
        Ok(())
    }

    fn read_exact(&self, mut at: u64, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            let n = self.file.read_at(at, buf)?;
            if n == 0 {
                return Err(Error::corrupted(
                    format!("wal/{}", file_name(self.no)),
                    at,
                    "unexpected end of file",
                ));
            }
            buf = &mut buf[n..];
            at += n as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(file_name(26), "000000000000001a.wal");
        assert_eq!(parse_name("000000000000001a.wal"), Some(26));
        assert_eq!(parse_name("000000000000001A.wal"), None);
        assert_eq!(parse_name("1a.wal"), None);
    }
}
