//! The meta page pair: what a checkpoint publishes, written last.
//!
//! Pages 0 and 1 are two slots. Checkpoint generation `g` is written to slot
//! `g % 2`, so publishing a checkpoint overwrites only the *older* slot and a
//! torn or lost meta write leaves the newer valid one in place. On open the
//! valid slot with the highest generation wins.
//!
//! ```text
//! payload (in a page of type Meta, checked by the page CRC):
//!  offset size field
//!       0    8 magic          "DRFTPGS1"
//!       8    4 page_size      u32 LE, must be 8192
//!      12    4 reserved       zero
//!      16    8 generation     u64 LE, checkpoint generation (0 = the empty store)
//!      24    8 page_count     u64 LE, pages in use or free: ids < page_count
//!      32    8 catalog_head   u64 LE, first catalog page (0 = none)
//!      40    8 catalog_len    u64 LE, bytes of catalog
//!      48    8 freelist_head  u64 LE, first free-list page (0 = none)
//!      56    8 freelist_len   u64 LE, bytes of free list
//!      64    8 free_count     u64 LE, pages the free list names
//!      72    2 app_len        u16 LE, at most MAX_APP_META
//!      74      app            the caller's bytes (e.g. the WAL position covered)
//! ```

use super::layout::{PAGE_SIZE, Page, PageBuilder, PageId, PageType};
use crate::error::Result;
use crate::storage::codec::Cursor;

const MAGIC: &[u8; 8] = b"DRFTPGS1";

/// The most bytes of caller data a checkpoint records.
pub const MAX_APP_META: usize = 4096;

/// What a checkpoint publishes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// Checkpoint generation; increases by one per checkpoint.
    pub generation: u64,
    /// Every page id below this is in use or free.
    pub page_count: u64,
    /// First page of the catalog chain (0: empty catalog).
    pub catalog_head: PageId,
    /// Catalog bytes.
    pub catalog_len: u64,
    /// First page of the free-list chain (0: nothing free).
    pub freelist_head: PageId,
    /// Free-list bytes.
    pub freelist_len: u64,
    /// Pages named by the free list.
    pub free_count: u64,
    /// The caller's bytes.
    pub app: Vec<u8>,
}

impl Meta {
    /// The slot (page 0 or 1) this generation is written to.
    pub fn slot(&self) -> PageId {
        self.generation % 2
    }

    /// Encodes into its slot's page.
    pub fn encode(&self) -> Page {
        assert!(
            self.app.len() <= MAX_APP_META,
            "invariant: app meta bounded"
        );
        let mut b = PageBuilder::new(PageType::Meta);
        b.append(MAGIC);
        b.append(&(PAGE_SIZE as u32).to_le_bytes());
        b.append(&[0; 4]);
        for v in [
            self.generation,
            self.page_count,
            self.catalog_head,
            self.catalog_len,
            self.freelist_head,
            self.freelist_len,
            self.free_count,
        ] {
            b.append(&v.to_le_bytes());
        }
        b.append(&(self.app.len() as u16).to_le_bytes());
        b.append(&self.app);
        b.seal(self.slot(), self.generation)
    }

    /// Decodes a meta page already checked by [`Page::decode`]; `Err` holds
    /// the reason it is not a valid meta page.
    pub fn decode(page: &Page) -> std::result::Result<Meta, String> {
        if page.page_type() != PageType::Meta {
            return Err(format!("page type {:?} instead of Meta", page.page_type()));
        }
        let mut c = Cursor::new(page.payload());
        if c.bytes(8)? != MAGIC {
            return Err("bad magic".into());
        }
        let size = c.u32_le()?;
        if size as usize != PAGE_SIZE {
            return Err(format!("page size {size}, this build uses {PAGE_SIZE}"));
        }
        c.bytes(4)?;
        let mut m = Meta {
            generation: c.u64_le()?,
            page_count: c.u64_le()?,
            catalog_head: c.u64_le()?,
            catalog_len: c.u64_le()?,
            freelist_head: c.u64_le()?,
            freelist_len: c.u64_le()?,
            free_count: c.u64_le()?,
            app: Vec::new(),
        };
        let app_len = usize::from(u16::from_le_bytes(c.array()?));
        if app_len > MAX_APP_META {
            return Err(format!("app meta of {app_len} bytes"));
        }
        m.app = c.bytes(app_len)?.to_vec();
        m.check(page.id())?;
        Ok(m)
    }

    /// Cross-field checks, so later code may trust the numbers.
    fn check(&self, slot: PageId) -> std::result::Result<(), String> {
        if self.slot() != slot {
            return Err(format!("generation {} in slot {slot}", self.generation));
        }
        if self.page_count < 2 {
            return Err(format!("page count {}", self.page_count));
        }
        for (what, head) in [
            ("catalog", self.catalog_head),
            ("free list", self.freelist_head),
        ] {
            if head == 1 || (head != 0 && head >= self.page_count) {
                return Err(format!("{what} head {head} out of range"));
            }
        }
        if self.free_count > self.page_count {
            return Err(format!(
                "{} free pages of {}",
                self.free_count, self.page_count
            ));
        }
        Ok(())
    }
}

/// Picks the newest valid meta of the two slots. `read` reads a slot; an
/// error from it (bad CRC, short file) makes the slot invalid. Returns the
/// meta and why each invalid slot is invalid; both invalid is an error.
pub fn newest(
    read: impl Fn(PageId) -> Result<Page>,
) -> std::result::Result<(Meta, Vec<String>), String> {
    let mut why = Vec::new();
    let mut best: Option<Meta> = None;
    for slot in 0..2 {
        match read(slot)
            .map_err(|e| e.message())
            .and_then(|p| Meta::decode(&p))
        {
            Ok(m) => {
                if best.as_ref().is_none_or(|b| m.generation > b.generation) {
                    best = Some(m);
                }
            }
            Err(e) => why.push(format!("meta slot {slot}: {e}")),
        }
    }
    match best {
        Some(m) => Ok((m, why)),
        None => Err(why.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(generation: u64) -> Meta {
        Meta {
            generation,
            page_count: 10,
            catalog_head: 4,
            catalog_len: 100,
            freelist_head: 5,
            freelist_len: 16,
            free_count: 2,
            app: b"wal position".to_vec(),
        }
    }

    #[test]
    fn round_trip_and_slots() {
        let m = meta(7);
        let p = m.encode();
        assert_eq!(p.id(), 1);
        assert_eq!(Meta::decode(&p).expect("decode"), m);
    }

    #[test]
    fn newest_valid_slot_wins() {
        let (a, b) = (meta(6).encode(), meta(7).encode());
        let got = newest(|s| Ok(if s == 0 { a.clone() } else { b.clone() }));
        assert_eq!(got.expect("newest").0.generation, 7);
        let got = newest(|s| {
            if s == 1 {
                Err(crate::error::Error::corrupted("f", 1, "torn"))
            } else {
                Ok(a.clone())
            }
        });
        let (m, why) = got.expect("fallback");
        assert_eq!((m.generation, why.len()), (6, 1));
        let e = newest(|s| Err(crate::error::Error::corrupted("f", s, "bad"))).expect_err("none");
        assert!(
            e.contains("meta slot 0") && e.contains("meta slot 1"),
            "{e}"
        );
    }

    #[test]
    fn inconsistent_fields_are_rejected() {
        let mut m = meta(2);
        m.catalog_head = 99;
        assert!(Meta::decode(&m.encode()).is_err());
        let mut m = meta(2);
        m.page_count = 1;
        assert!(Meta::decode(&m.encode()).is_err());
        // Generation 3 sealed into slot 0 (a page copied to the wrong slot).
        let p = meta(3).encode().relocate(0, 3);
        assert!(Meta::decode(&p).expect_err("slot").contains("slot"));
    }
}
