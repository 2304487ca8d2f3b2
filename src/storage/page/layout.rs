//! The fixed 8 KiB page: header, checksum, and the checks made on every page
//! read from disk.
//!
//! ```text
//! offset size field
//!      0    4 crc          CRC-32 over bytes 4 .. 32 + payload_len
//!      4    1 page type    1 meta, 2 leaf, 3 branch, 4 overflow, 5 free list, 6 catalog
//!      5    1 version      page format version (FORMAT_VERSION)
//!      6    2 payload_len  u16 LE, at most PAYLOAD_CAP
//!      8    8 page number  u64 LE: the page's own number (a page written at the
//!                          wrong place, or a stale copy, fails this check)
//!     16    8 generation   u64 LE: the checkpoint generation the page was written for
//!     24    8 reserved     zero
//!     32      payload      payload_len bytes; the rest of the page is ignored
//! ```
//!
//! The CRC covers the header and the payload, not the unused tail, so a half
//! empty page costs half a checksum. An all-zero page (a hole in a sparse
//! file, a page never written) fails the CRC: the CRC of zeros is not zero.
//!
//! A [`Page`] is immutable and always *sealed* (its CRC is valid): pages are
//! built by a [`PageBuilder`] and shared as `Arc<Page>` between the buffer
//! pool and readers.

use crate::error::{Error, Result};

/// Bytes in a page.
pub const PAGE_SIZE: usize = 8192;
/// Bytes of header before the payload.
pub const HEADER_SIZE: usize = 32;
/// The largest payload.
pub const PAYLOAD_CAP: usize = PAGE_SIZE - HEADER_SIZE;
/// The page format version written in every header.
pub const FORMAT_VERSION: u8 = 1;

/// A page's number: its byte offset in the file is `id * PAGE_SIZE`. Pages 0
/// and 1 are the meta pages, so 0 serves as "no page" in every page
/// reference stored on disk.
pub type PageId = u64;

/// What a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageType {
    /// One of the two meta pages (pages 0 and 1).
    Meta = 1,
    /// A B-tree leaf.
    Leaf = 2,
    /// A B-tree branch (interior node).
    Branch = 3,
    /// Part of a value stored outside its leaf.
    Overflow = 4,
    /// Part of the free-page list written by a checkpoint.
    FreeList = 5,
    /// Part of the catalog of named trees written by a checkpoint.
    Catalog = 6,
}

impl PageType {
    fn from_u8(b: u8) -> Option<PageType> {
        Some(match b {
            1 => PageType::Meta,
            2 => PageType::Leaf,
            3 => PageType::Branch,
            4 => PageType::Overflow,
            5 => PageType::FreeList,
            6 => PageType::Catalog,
            _ => return None,
        })
    }
}

/// An immutable, sealed page.
#[derive(Clone, PartialEq, Eq)]
pub struct Page {
    buf: Box<[u8]>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("id", &self.id())
            .field("type", &self.page_type())
            .field("payload_len", &self.payload().len())
            .finish()
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn crc_of(buf: &[u8], payload_len: usize) -> u32 {
    crc32fast::hash(&buf[4..HEADER_SIZE + payload_len])
}

impl Page {
    /// Checks a page read from disk: its CRC, version, type, payload length
    /// and page number. `file` and `id` name it in the error.
    pub fn decode(file: &str, id: PageId, buf: Box<[u8]>) -> Result<Page> {
        let bad = |reason: String| Error::corrupted(file, id, format!("page {id}: {reason}"));
        if buf.len() != PAGE_SIZE {
            return Err(bad(format!("{} bytes instead of {PAGE_SIZE}", buf.len())));
        }
        let len = usize::from(u16::from_le_bytes([buf[6], buf[7]]));
        if len > PAYLOAD_CAP {
            return Err(bad(format!("payload length {len} exceeds {PAYLOAD_CAP}")));
        }
        let stored = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let computed = crc_of(&buf, len);
        if stored != computed {
            return Err(bad(format!(
                "checksum mismatch (stored {stored:08x}, computed {computed:08x})"
            )));
        }
        if buf[5] != FORMAT_VERSION {
            return Err(bad(format!("unknown page format version {}", buf[5])));
        }
        if PageType::from_u8(buf[4]).is_none() {
            return Err(bad(format!("unknown page type {}", buf[4])));
        }
        let own = u64_at(&buf, 8);
        if own != id {
            return Err(bad(format!("header names page {own}")));
        }
        Ok(Page { buf })
    }

    /// The page type.
    pub fn page_type(&self) -> PageType {
        PageType::from_u8(self.buf[4]).expect("invariant: sealed and decoded pages have a type")
    }

    /// The page's number.
    pub fn id(&self) -> PageId {
        u64_at(&self.buf, 8)
    }

    /// The checkpoint generation the page was written for.
    pub fn generation(&self) -> u64 {
        u64_at(&self.buf, 16)
    }

    /// The payload.
    pub fn payload(&self) -> &[u8] {
        let len = usize::from(u16::from_le_bytes([self.buf[6], self.buf[7]]));
        &self.buf[HEADER_SIZE..HEADER_SIZE + len]
    }

    /// The whole page as written to disk.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The same payload sealed as another page (copy-on-write moves a page).
    pub fn relocate(&self, id: PageId, generation: u64) -> Page {
        let mut b = PageBuilder::new(self.page_type());
        b.append(self.payload());
        b.seal(id, generation)
    }
}

/// Builds a page's payload, then seals it with its number and CRC.
#[derive(Debug)]
pub struct PageBuilder {
    buf: Box<[u8]>,
    len: usize,
}

impl PageBuilder {
    /// An empty page of the given type.
    pub fn new(ty: PageType) -> PageBuilder {
        let mut buf = vec![0u8; PAGE_SIZE].into_boxed_slice();
        buf[4] = ty as u8;
        buf[5] = FORMAT_VERSION;
        PageBuilder { buf, len: 0 }
    }

    /// Payload bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room left in the payload.
    pub fn room(&self) -> usize {
        PAYLOAD_CAP - self.len
    }

    /// Appends to the payload.
    ///
    /// # Panics
    /// If the payload would exceed [`PAYLOAD_CAP`]: callers size their
    /// content first (an invariant of every page encoder).
    pub fn append(&mut self, bytes: &[u8]) {
        assert!(
            bytes.len() <= self.room(),
            "invariant: page payload overflow ({} + {})",
            self.len,
            bytes.len()
        );
        let at = HEADER_SIZE + self.len;
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Overwrites payload bytes already appended (for counts and offsets
    /// known only at the end).
    pub fn patch(&mut self, at: usize, bytes: &[u8]) {
        assert!(
            at + bytes.len() <= self.len,
            "invariant: patch inside payload"
        );
        let at = HEADER_SIZE + at;
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// Seals the page: number, generation, length and CRC.
    pub fn seal(mut self, id: PageId, generation: u64) -> Page {
        let len = u16::try_from(self.len).expect("invariant: payload fits a page");
        self.buf[6..8].copy_from_slice(&len.to_le_bytes());
        self.buf[8..16].copy_from_slice(&id.to_le_bytes());
        self.buf[16..24].copy_from_slice(&generation.to_le_bytes());
        let crc = crc_of(&self.buf, self.len);
        self.buf[0..4].copy_from_slice(&crc.to_le_bytes());
        Page { buf: self.buf }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: PageId) -> Page {
        let mut b = PageBuilder::new(PageType::Leaf);
        b.append(b"hello");
        b.append(b" page");
        b.patch(0, b"H");
        b.seal(id, 7)
    }

    #[test]
    fn seal_then_decode_round_trips() {
        let p = sample(42);
        let d = Page::decode("f", 42, p.bytes().to_vec().into_boxed_slice()).expect("decode");
        assert_eq!(d.payload(), b"Hello page");
        assert_eq!(d.id(), 42);
        assert_eq!(d.generation(), 7);
        assert_eq!(d.page_type(), PageType::Leaf);
        let moved = d.relocate(9, 8);
        assert_eq!((moved.id(), moved.generation()), (9, 8));
        assert_eq!(moved.payload(), d.payload());
    }

    fn reason(e: Error) -> String {
        match e {
            Error::Corrupted {
                file,
                offset,
                reason,
            } => format!("{file}@{offset}: {reason}"),
            other => panic!("expected Corrupted, got {other:?}"),
        }
    }

    #[test]
    fn every_damage_is_corrupted_never_a_panic() {
        let good = sample(3).bytes().to_vec();
        // A flipped byte anywhere in header or payload fails the CRC.
        for i in 0..HEADER_SIZE + 10 {
            let mut b = good.clone();
            b[i] ^= 0x40;
            let r = reason(Page::decode("pages", 3, b.into_boxed_slice()).expect_err("damaged"));
            assert!(r.starts_with("pages@3: page 3:"), "{r}");
        }
        // Bytes past the payload are not covered (and not used).
        let mut b = good.clone();
        b[PAGE_SIZE - 1] ^= 1;
        assert!(Page::decode("pages", 3, b.into_boxed_slice()).is_ok());
        // The right bytes at the wrong place.
        let r = reason(Page::decode("pages", 4, good.clone().into_boxed_slice()).expect_err("x"));
        assert!(r.contains("header names page 3"), "{r}");
        // Zeros, a short buffer, an oversized length.
        let r = reason(Page::decode("p", 5, vec![0; PAGE_SIZE].into()).expect_err("zeros"));
        assert!(r.contains("checksum mismatch"), "{r}");
        assert!(Page::decode("p", 5, vec![0; 100].into()).is_err());
        let mut b = vec![0u8; PAGE_SIZE];
        b[6..8].copy_from_slice(&u16::MAX.to_le_bytes());
        let r = reason(Page::decode("p", 5, b.into()).expect_err("length"));
        assert!(r.contains("payload length"), "{r}");
    }
}
