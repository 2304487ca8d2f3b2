//! Per-table append-only event segments: the durable history of a table.
//!
//! ```text
//! tables/<dir>/segments/00000001.seg, 00000002.seg, ...   (8 decimal digits)
//!
//! file   := header frame*
//! header := "DRFTSEG1" [u32 LE table id] [u32 LE segment number]   16 bytes
//! frame  := [u32 LE length][u32 LE crc32][varint seq][u64 LE unix_ms][u8 event_type][msgpack payload]
//!           length = bytes after the crc field (seq .. end of payload)
//!           crc32  = CRC-32 over the 4 length bytes, then those `length` bytes
//!           seq    = unsigned LEB128; unix_ms = commit time in milliseconds
//!           event_type / payload: see `storage::event`
//! ```
//!
//! Segments are written after the WAL, by the group-commit leader once a
//! commit is durable (buffered, not fsynced per commit), and rolled to the
//! next number when a frame would take a file past [`SEGMENT_LIMIT`]. A
//! checkpoint fsyncs them and records, per table, the length of each segment:
//! everything up to there is durable and trusted; anything after it is
//! rebuilt from the WAL at recovery and cut away first (a commit
//! may have written some of its frames to a segment and not others, so
//! frames past the checkpoint cannot be trusted to hold whole commits).

pub mod reader;
pub mod writer;

use super::Seq;
use super::codec::{Cursor, DecodeResult, put_varint};

/// Header magic.
pub const MAGIC: &[u8; 8] = b"DRFTSEG1";
/// Header length.
pub const HEADER: u64 = 16;
/// A segment is rolled before it would grow past this (64 MiB).
pub const SEGMENT_LIMIT: u64 = 64 << 20;

/// The file name of segment `n`.
pub fn file_name(n: u32) -> String {
    format!("{n:08}.seg")
}

/// The segment number of a file name, if it is one.
pub fn parse_name(name: &str) -> Option<u32> {
    let digits = name.strip_suffix(".seg")?;
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The 16-byte header.
pub fn header(table: u32, n: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&table.to_le_bytes());
    h[12..].copy_from_slice(&n.to_le_bytes());
    h
}

/// A segment frame's body: what follows the length and CRC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameBody<'a> {
    /// The commit's seq.
    pub seq: Seq,
    /// The commit's time in Unix milliseconds.
    pub unix_ms: u64,
    /// The event type.
    pub event_type: u8,
    /// The msgpack payload.
    pub payload: &'a [u8],
}

/// Appends a frame body.
pub fn put_body(out: &mut Vec<u8>, seq: Seq, unix_ms: u64, event_type: u8, payload: &[u8]) {
    put_varint(out, seq);
    out.extend_from_slice(&unix_ms.to_le_bytes());
    out.push(event_type);
    out.extend_from_slice(payload);
}

/// Splits a frame body.
pub fn parse_body(body: &[u8]) -> DecodeResult<FrameBody<'_>> {
    let mut c = Cursor::new(body);
    let seq = c.varint()?;
    let unix_ms = c.u64_le()?;
    let event_type = c.u8()?;
    let payload = c.bytes(c.remaining())?;
    Ok(FrameBody {
        seq,
        unix_ms,
        event_type,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_bodies() {
        assert_eq!(file_name(12), "00000012.seg");
        assert_eq!(parse_name("00000012.seg"), Some(12));
        assert_eq!(parse_name("12.seg"), None);
        assert_eq!(parse_name("0000001a.seg"), None);
        let mut b = Vec::new();
        put_body(&mut b, 300, 1_700_000_000_123, 2, b"\x91\xc4\x00");
        assert_eq!(&b[..2], &[0xac, 0x02], "varint seq first");
        let p = parse_body(&b).expect("parse");
        assert_eq!(
            p,
            FrameBody {
                seq: 300,
                unix_ms: 1_700_000_000_123,
                event_type: 2,
                payload: b"\x91\xc4\x00"
            }
        );
        assert!(parse_body(&b[..5]).is_err());
    }
}
