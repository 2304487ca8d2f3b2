//! [`PageFile`]: pages read and written at `id * PAGE_SIZE` in one file,
//! through [`RandomFile`] so tests can inject faults and crashes.

use std::sync::atomic::{AtomicU64, Ordering};

use super::layout::{PAGE_SIZE, Page, PageId};
use crate::error::{Error, Result};
use crate::storage::io::RandomFile;

/// A page file. Reads may run concurrently with each other and with writes
/// of *other* pages (the page store never writes a page a reader may read).
#[derive(Debug)]
pub struct PageFile {
    file: Box<dyn RandomFile>,
    /// The file's name in error messages.
    name: String,
    reads: AtomicU64,
    writes: AtomicU64,
}

/// Counters of the file's IO.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Pages read.
    pub reads: u64,
    /// Pages written.
    pub writes: u64,
}

impl PageFile {
    /// Wraps an open file; `name` appears in `Corrupted` errors.
    pub fn new(file: Box<dyn RandomFile>, name: String) -> PageFile {
        PageFile {
            file,
            name,
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }

    /// The name used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads and checks one page (CRC, number, version).
    pub fn read(&self, id: PageId) -> Result<Page> {
        let offset = id
            .checked_mul(PAGE_SIZE as u64)
            .ok_or_else(|| self.corrupted(id, "page number out of range".into()))?;
        let mut buf = vec![0u8; PAGE_SIZE].into_boxed_slice();
        let n = self.file.read_at(offset, &mut buf)?;
        self.reads.fetch_add(1, Ordering::Relaxed);
        if n < PAGE_SIZE {
            let len = self.file.len()?;
            return Err(self.corrupted(
                id,
                format!("page {id} lies beyond the end of the file ({len} bytes)"),
            ));
        }
        Page::decode(&self.name, id, buf)
    }

    /// Writes one page at its place.
    pub fn write(&self, page: &Page) -> Result<()> {
        let offset = page
            .id()
            .checked_mul(PAGE_SIZE as u64)
            .ok_or_else(|| Error::Internal(format!("page number {} out of range", page.id())))?;
        self.file.write_at(offset, page.bytes())?;
        self.writes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// fsync.
    pub fn sync(&self) -> Result<()> {
        self.file.sync()
    }

    /// The file's length in whole pages.
    pub fn len_pages(&self) -> Result<u64> {
        Ok(self.file.len()? / PAGE_SIZE as u64)
    }

    /// Cuts the file to `pages` pages.
    pub fn truncate_pages(&self, pages: u64) -> Result<()> {
        self.file.set_len(pages.saturating_mul(PAGE_SIZE as u64))
    }

    /// IO counters.
    pub fn stats(&self) -> FileStats {
        FileStats {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    /// A `Corrupted` error naming this file and a page.
    pub fn corrupted(&self, id: PageId, reason: String) -> Error {
        Error::corrupted(self.name.clone(), id, reason)
    }
}
