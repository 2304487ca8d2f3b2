//! Reading a file of CRC'd frames (`storage::codec`) in bounded pieces.
//!
//! Recovery must not hold a whole WAL file (or a whole transaction) in
//! memory: a single transaction may be a gigabyte of WAL. [`FrameReader`]
//! reads through a positioned read ([`Source::read_at`], which is
//! `RandomFile::read_at` for a file), keeping at most a [`WINDOW`]-byte
//! window of the file plus, while a caller decodes it, one frame body. A
//! frame body is bounded by what the writer puts in one frame (an OPS
//! frame is about `record::SPILL` bytes plus one event), not by the file or
//! the transaction.
//!
//! Every length read from the file is bounded ([`codec::frame_header`])
//! before it is used, and every body handed out has had its CRC checked.
//! The reader records the most bytes it held at once ([`FrameReader::peak`],
//! and per thread [`peak_on_this_thread`]) so tests can show the bound.
//!
//! [`codec::frame_header`]: crate::storage::codec::frame_header

use std::cell::Cell;
use std::ops::Range;
use std::path::Path;

use crate::error::Result;
use crate::storage::codec::{DecodeResult, FRAME_HEADER, FrameHeader, frame_header};
use crate::storage::io::{FileSystem, RandomFile};

/// Bytes of the file the reader keeps in its window (and reads at a time).
pub const WINDOW: usize = 64 * 1024;

thread_local! {
    /// The most bytes any reader held at once on this thread since the last
    /// [`reset_peak_on_this_thread`] (recovery runs on the opening thread).
    static THREAD_PEAK: Cell<usize> = const { Cell::new(0) };
}

/// The most bytes a [`FrameReader`] on this thread held at once since the
/// last reset.
pub fn peak_on_this_thread() -> usize {
    THREAD_PEAK.with(Cell::get)
}

/// Resets [`peak_on_this_thread`].
pub fn reset_peak_on_this_thread() {
    THREAD_PEAK.with(|p| p.set(0));
}

/// Bytes read at any offset.
pub trait Source {
    /// The length in bytes.
    fn len(&self) -> Result<u64>;
    /// True when empty.
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
    /// Reads into `buf` from `offset`; fewer bytes than `buf.len()` only at
    /// the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;
}

impl Source for &[u8] {
    fn len(&self) -> Result<u64> {
        Ok(<[u8]>::len(self) as u64)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(<[u8]>::len(self));
        let n = buf.len().min(<[u8]>::len(self) - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

/// A file opened for positioned reads.
#[derive(Debug)]
pub struct FileSource(Box<dyn RandomFile>);

impl FileSource {
    /// Opens the existing file at `path`.
    pub fn open(fs: &dyn FileSystem, path: &Path) -> Result<FileSource> {
        Ok(FileSource(fs.open_random(path, false)?))
    }
}

impl Source for FileSource {
    fn len(&self) -> Result<u64> {
        self.0.len()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.0.read_at(offset, buf)
    }
}

/// A bounded reader of frames (see the module docs).
pub struct FrameReader<'a> {
    src: &'a dyn Source,
    len: u64,
    /// Bytes `win_off..win_off + win.len()` of the file.
    win: Vec<u8>,
    win_off: u64,
    peak: usize,
}

impl std::fmt::Debug for FrameReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameReader")
            .field("len", &self.len)
            .field("peak", &self.peak)
            .finish_non_exhaustive()
    }
}

impl<'a> FrameReader<'a> {
    /// A reader of `src`, whose length is taken now.
    pub fn new(src: &'a dyn Source) -> Result<FrameReader<'a>> {
        Ok(FrameReader {
            len: src.len()?,
            src,
            win: Vec::new(),
            win_off: 0,
            peak: 0,
        })
    }

    /// The file's length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most bytes this reader held at once.
    pub fn peak(&self) -> usize {
        self.peak
    }

    fn note(&mut self, extra: usize) {
        let held = self.win.capacity() + extra;
        self.peak = self.peak.max(held);
        THREAD_PEAK.with(|p| p.set(p.get().max(held)));
    }

    /// Up to `n` (at most [`WINDOW`]) bytes at `off`: fewer only where the
    /// file ends.
    pub fn peek(&mut self, off: u64, n: usize) -> Result<&[u8]> {
        let n = n.min(WINDOW);
        let want = (self.len.saturating_sub(off)).min(n as u64) as usize;
        let win_end = self.win_off + self.win.len() as u64;
        if off < self.win_off || off + want as u64 > win_end {
            let fill = (self.len.saturating_sub(off)).min(WINDOW as u64) as usize;
            self.win.resize(fill, 0);
            let got = read_full(self.src, off, &mut self.win)?;
            self.win.truncate(got);
            self.win_off = off;
            self.note(0);
        }
        let start = (off - self.win_off) as usize;
        let end = (start + want).min(self.win.len());
        Ok(&self.win[start..end])
    }

    /// Checks the frame at `pos` as `codec::frame_at` does (same reasons),
    /// streaming its body through the window for the CRC; returns the body
    /// range.
    pub fn frame_at(&mut self, pos: u64) -> Result<DecodeResult<Range<u64>>> {
        let h = match self.header_at(pos)? {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        let body = pos + FRAME_HEADER as u64..pos + (FRAME_HEADER + h.len) as u64;
        let mut crc = h.hasher();
        let mut at = body.start;
        while at < body.end {
            let n = (body.end - at).min(WINDOW as u64) as usize;
            let chunk = self.peek(at, n)?;
            if chunk.is_empty() {
                return Ok(Err("frame body cut short while reading".into()));
            }
            crc.update(chunk);
            at += chunk.len() as u64;
        }
        if crc.finalize() != h.crc {
            return Ok(Err("frame CRC mismatch".into()));
        }
        Ok(Ok(body))
    }

    /// The header of the frame at `pos`, bounded against the file's length
    /// (the body is not read).
    pub fn header_at(&mut self, pos: u64) -> Result<DecodeResult<FrameHeader>> {
        let rest = self.len.saturating_sub(pos);
        let head = self.peek(pos, FRAME_HEADER)?;
        Ok(frame_header(head, rest))
    }

    /// The body of the frame at `pos`, read whole and its CRC checked
    /// again (the caller decodes it).
    pub fn body(&mut self, pos: u64) -> Result<DecodeResult<Vec<u8>>> {
        let h = match self.header_at(pos)? {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        self.note(h.len);
        let mut body = vec![0u8; h.len];
        let at = pos + FRAME_HEADER as u64;
        let win_end = self.win_off + self.win.len() as u64;
        if at >= self.win_off && at + h.len as u64 <= win_end {
            let s = (at - self.win_off) as usize;
            body.copy_from_slice(&self.win[s..s + h.len]);
        } else if read_full(self.src, at, &mut body)? < h.len {
            return Ok(Err("frame body cut short while reading".into()));
        }
        let mut crc = h.hasher();
        crc.update(&body);
        if crc.finalize() != h.crc {
            return Ok(Err("frame CRC mismatch".into()));
        }
        Ok(Ok(body))
    }

    /// True when every byte from `from` to the end is zero.
    pub fn zeros_from(&mut self, from: u64) -> Result<bool> {
        let mut at = from;
        while at < self.len {
            let chunk = self.peek(at, WINDOW)?;
            if chunk.is_empty() {
                break;
            }
            if chunk.iter().any(|b| *b != 0) {
                return Ok(false);
            }
            at += chunk.len() as u64;
        }
        Ok(true)
    }

    /// The first offset after `bad_pos` where a valid frame starts, trying
    /// every offset as `codec::valid_frames_after` does: candidates are
    /// rejected by their bounded length before any CRC is computed.
    pub fn next_valid_after(&mut self, bad_pos: u64) -> Result<Option<u64>> {
        let mut pos = bad_pos + 1;
        while pos + FRAME_HEADER as u64 <= self.len {
            if self.header_at(pos)?.is_ok() && self.frame_at(pos)?.is_ok() {
                return Ok(Some(pos));
            }
            pos += 1;
        }
        Ok(None)
    }
}

/// Reads `buf.len()` bytes at `off` unless the source ends first; returns
/// how many were read.
fn read_full(src: &dyn Source, off: u64, buf: &mut [u8]) -> Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        let n = src.read_at(off + done as u64, &mut buf[done..])?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::codec::{put_frame, scan_frames, valid_frames_after};

    fn file(bodies: &[usize]) -> Vec<u8> {
        let mut f = Vec::new();
        for (i, n) in bodies.iter().enumerate() {
            put_frame(&mut f, &vec![i as u8 + 1; *n]);
        }
        f
    }

    #[test]
    fn agrees_with_the_in_memory_checks() {
        let f = file(&[3, WINDOW + 100, 10, 2 * WINDOW, 1]);
        let mut damaged = f.clone();
        damaged[20] ^= 1;
        let mut cut = f.clone();
        cut.truncate(f.len() - 5);
        for data in [f, damaged, cut] {
            let src: &[u8] = &data;
            let mut r = FrameReader::new(&src).expect("reader");
            let scan = scan_frames(&data, 0);
            let mut pos = 0u64;
            for (off, body) in &scan.frames {
                assert_eq!(pos, *off as u64);
                let got = r.frame_at(pos).expect("io").expect("valid");
                assert_eq!(got, body.start as u64..body.end as u64);
                assert_eq!(r.body(pos).expect("io").expect("body"), data[body.clone()]);
                pos = got.end;
            }
            assert_eq!(pos, scan.valid_end as u64);
            match &scan.bad {
                Some(why) => {
                    assert_eq!(r.frame_at(pos).expect("io").err().as_ref(), Some(why));
                    let after = valid_frames_after(&data, scan.valid_end);
                    let next = r.next_valid_after(pos).expect("io");
                    assert_eq!(next, after.first().map(|(o, _)| *o as u64));
                }
                None => assert_eq!(pos, data.len() as u64),
            }
            assert!(r.peak() <= 3 * WINDOW + 100, "peak {}", r.peak());
        }
    }

    #[test]
    fn zero_tails_and_bounds() {
        let mut f = file(&[5]);
        let end = f.len() as u64;
        f.resize(f.len() + 3 * WINDOW, 0);
        let src: &[u8] = &f;
        let mut r = FrameReader::new(&src).expect("reader");
        assert!(r.zeros_from(end).expect("io"));
        assert!(!r.zeros_from(0).expect("io"));
        assert!(r.frame_at(end).expect("io").is_err(), "zero length");
        assert_eq!(r.peek(f.len() as u64 - 2, 10).expect("io").len(), 2);
        assert!(r.peek(f.len() as u64 + 7, 10).expect("io").is_empty());
        assert!(r.header_at(f.len() as u64 - 3).expect("io").is_err());
        assert!(r.peak() <= WINDOW, "peak {}", r.peak());
    }

    #[test]
    fn reads_real_files_through_positioned_reads() {
        let dir = std::env::temp_dir().join(format!("driftdb-frames-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("f");
        let data = file(&[WINDOW * 2 + 3, 7, 1]);
        std::fs::write(&path, &data).expect("write");
        let src = FileSource::open(&crate::storage::io::RealFs, &path).expect("open");
        let mut r = FrameReader::new(&src).expect("reader");
        assert_eq!(r.len(), data.len() as u64);
        let mut pos = 0;
        for (off, body) in scan_frames(&data, 0).frames {
            assert_eq!(pos, off as u64);
            assert_eq!(
                r.frame_at(pos).expect("io").expect("valid").end,
                body.end as u64
            );
            assert_eq!(r.body(pos).expect("io").expect("body"), data[body.clone()]);
            pos = body.end as u64;
        }
        assert_eq!(pos, data.len() as u64);
        let missing = FileSource::open(&crate::storage::io::RealFs, &dir.join("missing"));
        assert!(missing.is_err(), "not created");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
