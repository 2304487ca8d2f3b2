//! Byte-level building blocks shared by every storage file: LEB128 varints, a
//! bounded reader, and the CRC'd frame that WAL files and segments are made
//! of.
//!
//! ```text
//! frame := [u32 LE length][u32 LE crc32][body: `length` bytes]
//!          crc32 = CRC-32/ISO-HDLC (crc32fast) over the 4 length bytes, then the body
//! ```
//!
//! The CRC covers the length field too, so a flipped length that happens to
//! point at plausible bytes still fails the check. A length of 0, a length
//! above [`MAX_FRAME`], or one that runs past the end of the file makes the
//! frame invalid without reading further: every length read from disk is
//! bounded before it is used.
//!
//! [`scan_frames`] walks a file's frames and stops at the first invalid one;
//! [`valid_frames_after`] then looks for valid frames past it, which is how
//! callers tell a torn tail (nothing valid after) from corruption in the
//! middle of a file (valid frames after).

use std::ops::Range;

/// The largest frame body accepted (1 GiB): a larger length read from disk is
/// treated as damage, and a larger record is refused when written.
pub const MAX_FRAME: usize = 1 << 30;

/// Bytes before a frame's body.
pub const FRAME_HEADER: usize = 8;

/// Appends unsigned LEB128: 7 bits per byte, least significant group first,
/// high bit set on every byte but the last.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A reader over a byte slice that never reads past its end: every method
/// returns `Err(reason)` instead.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// A decoding failure: what was wrong (the caller adds file and offset).
pub type DecodeResult<T> = std::result::Result<T, String>;

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Cursor<'a> {
        Cursor { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when everything was consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(format!(
                "need {n} bytes at offset {}, only {} left",
                self.pos,
                self.remaining()
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Exactly N bytes as an array.
    pub fn array<const N: usize>(&mut self) -> DecodeResult<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    /// One byte.
    pub fn u8(&mut self) -> DecodeResult<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// A little-endian u32.
    pub fn u32_le(&mut self) -> DecodeResult<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian u64.
    pub fn u64_le(&mut self) -> DecodeResult<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian i64.
    pub fn i64_le(&mut self) -> DecodeResult<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// An unsigned LEB128 varint of at most 10 bytes that fits in a u64.
    pub fn varint(&mut self) -> DecodeResult<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.u8()?;
            let part = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err("varint overflows 64 bits".into());
            }
            v |= part << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    /// A varint that must fit in a u32.
    pub fn varint_u32(&mut self) -> DecodeResult<u32> {
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| format!("value {v} does not fit in 32 bits"))
    }

    /// A varint length followed by that many bytes (bounded by what is left).
    pub fn len_bytes(&mut self) -> DecodeResult<&'a [u8]> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| format!("length {n} too large"))?;
        self.bytes(n)
    }

    /// A varint-length-prefixed UTF-8 string.
    pub fn string(&mut self) -> DecodeResult<String> {
        let b = self.len_bytes()?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| "string is not valid UTF-8".into())
    }
}

/// Appends a varint length and the bytes.
pub fn put_len_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn frame_crc(len_bytes: [u8; 4], body: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len_bytes);
    h.update(body);
    h.finalize()
}

/// Appends one frame holding `body`. The caller bounds `body` by
/// [`MAX_FRAME`] (see [`check_frame_len`]).
pub fn put_frame(out: &mut Vec<u8>, body: &[u8]) {
    let len = (body.len() as u32).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&frame_crc(len, body).to_le_bytes());
    out.extend_from_slice(body);
}

/// Fails when a body is too large to be framed.
pub fn check_frame_len(len: usize) -> crate::error::Result<()> {
    if len == 0 || len > MAX_FRAME {
        return Err(crate::sql_err!(
            crate::error::SqlState::PROGRAM_LIMIT_EXCEEDED,
            "record of {len} bytes exceeds the maximum of {MAX_FRAME} bytes"
        ));
    }
    Ok(())
}

/// A frame's header, checked against the bytes the file holds from its
/// start (`rest`, header included) before anything is read past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The body length: non-zero, at most [`MAX_FRAME`], and within `rest`.
    pub len: usize,
    /// The CRC the header claims.
    pub crc: u32,
}

impl FrameHeader {
    /// A CRC-32 hasher that has seen the length field; feed it the body and
    /// compare with [`FrameHeader::crc`].
    pub fn hasher(&self) -> crc32fast::Hasher {
        let mut h = crc32fast::Hasher::new();
        h.update(&(self.len as u32).to_le_bytes());
        h
    }
}

/// Checks a frame header: `head` holds the bytes at the frame's start (at
/// least [`FRAME_HEADER`] unless the file ends sooner) and `rest` is how
/// many bytes the file has from there. Fails, with the reasons
/// [`frame_at`] gives, on a short header or a length that is zero, above
/// [`MAX_FRAME`] or past the end of the file.
pub fn frame_header(head: &[u8], rest: u64) -> DecodeResult<FrameHeader> {
    if rest < FRAME_HEADER as u64 || head.len() < FRAME_HEADER {
        return Err(format!(
            "incomplete frame header ({} bytes)",
            rest.min(head.len() as u64)
        ));
    }
    let mut len_bytes = [0u8; 4];
    len_bytes.copy_from_slice(&head[..4]);
    let len = u32::from_le_bytes(len_bytes) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(format!("invalid frame length {len}"));
    }
    let left = rest - FRAME_HEADER as u64;
    if len as u64 > left {
        return Err(format!(
            "frame length {len} runs past the end of the file ({left} bytes left)"
        ));
    }
    let mut crc_bytes = [0u8; 4];
    crc_bytes.copy_from_slice(&head[4..8]);
    Ok(FrameHeader {
        len,
        crc: u32::from_le_bytes(crc_bytes),
    })
}

/// Checks the frame at `pos`; returns its body range or why it is invalid.
pub fn frame_at(data: &[u8], pos: usize) -> DecodeResult<Range<usize>> {
    let rest = data.len().saturating_sub(pos);
    let head = &data[pos.min(data.len())..];
    let h = frame_header(&head[..head.len().min(FRAME_HEADER)], rest as u64)?;
    let body = pos + FRAME_HEADER..pos + FRAME_HEADER + h.len;
    let mut crc = h.hasher();
    crc.update(&data[body.clone()]);
    if crc.finalize() != h.crc {
        return Err("frame CRC mismatch".into());
    }
    Ok(body)
}

/// The result of walking a file's frames.
#[derive(Debug)]
pub struct FrameScan {
    /// Each valid frame: (offset of its header, body range).
    pub frames: Vec<(usize, Range<usize>)>,
    /// Where the valid frames end (the first invalid frame starts here).
    pub valid_end: usize,
    /// Why the frame at `valid_end` is invalid, if the file continues.
    pub bad: Option<String>,
}

/// Walks frames from `start` (inside `data`) until the end or the first
/// invalid frame.
pub fn scan_frames(data: &[u8], start: usize) -> FrameScan {
    let mut frames = Vec::new();
    let mut pos = start.min(data.len());
    while pos < data.len() {
        match frame_at(data, pos) {
            Ok(body) => {
                let next = body.end;
                frames.push((pos, body));
                pos = next;
            }
            Err(reason) => {
                return FrameScan {
                    frames,
                    valid_end: pos,
                    bad: Some(reason),
                };
            }
        }
    }
    FrameScan {
        frames,
        valid_end: pos,
        bad: None,
    }
}

/// Valid frames that start after `bad_pos`: found by trying every later
/// offset. A torn tail has none; a corrupted middle has some. Candidates are
/// rejected by their bounded length before any CRC is computed, so garbage
/// costs little; frames found are followed frame by frame.
pub fn valid_frames_after(data: &[u8], bad_pos: usize) -> Vec<(usize, Range<usize>)> {
    let mut pos = bad_pos + 1;
    while pos + FRAME_HEADER <= data.len() {
        if let Ok(body) = frame_at(data, pos) {
            let scan = scan_frames(data, body.end);
            let mut out = vec![(pos, body)];
            out.extend(scan.frames);
            return out;
        }
        pos += 1;
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trips_and_rejects_overflow() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let mut c = Cursor::new(&b);
            assert_eq!(c.varint().expect("decode"), v);
            assert!(c.is_empty());
        }
        let mut b = Vec::new();
        put_varint(&mut b, 300);
        assert_eq!(b, [0xac, 0x02], "LEB128 layout");
        assert!(Cursor::new(&[0xff; 11]).varint().is_err());
        let mut over = vec![0xff; 9];
        over.push(0x02);
        assert!(Cursor::new(&over).varint().is_err(), "65th bit");
        assert!(Cursor::new(&[0x80]).varint().is_err(), "truncated");
    }

    #[test]
    fn cursor_bounds_every_read() {
        let mut c = Cursor::new(&[5, b'a', b'b']);
        assert!(c.len_bytes().is_err(), "length 5 with 2 bytes left");
        let mut c = Cursor::new(&[1, 2, 3]);
        assert!(c.u32_le().is_err());
        assert_eq!(c.u8().expect("u8"), 1);
        let mut c = Cursor::new(&[2, 0xff, 0xfe]);
        assert!(c.string().is_err(), "bad utf-8");
    }

    #[test]
    fn frames_round_trip_and_layout() {
        let mut f = Vec::new();
        put_frame(&mut f, b"abc");
        assert_eq!(&f[..4], &3u32.to_le_bytes());
        let crc = {
            let mut h = crc32fast::Hasher::new();
            h.update(&3u32.to_le_bytes());
            h.update(b"abc");
            h.finalize()
        };
        assert_eq!(&f[4..8], &crc.to_le_bytes());
        put_frame(&mut f, b"defg");
        let s = scan_frames(&f, 0);
        assert!(s.bad.is_none());
        assert_eq!(s.frames.len(), 2);
        assert_eq!(&f[s.frames[1].1.clone()], b"defg");
        assert_eq!(s.valid_end, f.len());
    }

    #[test]
    fn torn_tail_versus_corrupt_middle() {
        let mut f = Vec::new();
        for body in [&b"one"[..], b"two", b"three"] {
            put_frame(&mut f, body);
        }
        let second = 11;
        // Every truncation: the valid prefix is whole frames, nothing after.
        for cut in 0..f.len() {
            let s = scan_frames(&f[..cut], 0);
            assert!(s.valid_end <= cut);
            assert!(valid_frames_after(&f[..cut], s.valid_end).is_empty());
        }
        let mut bad = f.clone();
        bad[second + 9] ^= 0x40;
        let s = scan_frames(&bad, 0);
        assert_eq!(s.valid_end, second);
        assert_eq!(s.bad.as_deref(), Some("frame CRC mismatch"));
        let after = valid_frames_after(&bad, second);
        assert_eq!(after.len(), 1);
        assert_eq!(&bad[after[0].1.clone()], b"three");
        let mut huge = f.clone();
        huge[second..second + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            scan_frames(&huge, 0)
                .bad
                .expect("bad")
                .contains("invalid frame length")
        );
        let zeros = vec![0u8; 64];
        assert!(
            valid_frames_after(&zeros, 0).is_empty(),
            "zero fill is not a frame"
        );
    }
}
