//! Spools: a statement's intermediate (key, row) lists that move to a
//! scratch file once they outgrow a memory budget.
//!
//! A write statement reads everything it will change before changing
//! anything (no Halloween problem, see `write`): the source rows of an
//! INSERT ... SELECT, the new rows of an UPDATE, the keys of a DELETE. For a
//! statement over millions of rows those lists must not live in memory, so
//! a [`Spool`] keeps them as plain values up to [`BUDGET`] (small
//! statements pay nothing) and past it encodes every item into a
//! [`TempFile`] under the data directory, read back sequentially a block at
//! a time.
//!
//! ```text
//! item := [u32 LE key length][key][u32 LE row length][row (storage::rowcodec)]
//! ```
//!
//! The file is the process's own, but it is on disk: every length read
//! back is checked against the bytes written.

use crate::error::{Error, Result};
use crate::sql::executor::ExecContext;
use crate::storage::Storage;
use crate::storage::rowcodec::{decode_row, encode_row};
use crate::storage::tempfile::TempFile;
use crate::types::{Row, Value};

/// Bytes of items a spool keeps in memory before it spills.
pub const BUDGET: usize = 8 << 20;

/// Bytes written to or read from the file at a time.
const BLOCK: usize = 256 << 10;

/// One spooled item: a key (maybe empty) and a row (maybe empty).
pub type Item = (Vec<u8>, Row);

/// A list of items, in memory or spilled. See the module docs.
#[derive(Debug)]
pub struct Spool {
    storage: Storage,
    budget: usize,
    mem: Vec<Item>,
    bytes: usize,
    file: Option<Spill>,
    len: usize,
}

#[derive(Debug)]
struct Spill {
    tmp: TempFile,
    buf: Vec<u8>,
    /// Bytes written to the file so far.
    written: u64,
}

impl Spill {
    fn put(&mut self, key: &[u8], row: &[Value]) -> Result<()> {
        let start = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        self.buf.extend_from_slice(key);
        self.buf.extend_from_slice(&[0; 4]);
        let row_at = self.buf.len();
        encode_row(&mut self.buf, row)?;
        let key_len = u32::try_from(key.len()).map_err(|_| too_large())?;
        let row_len = u32::try_from(self.buf.len() - row_at).map_err(|_| too_large())?;
        self.buf[start..start + 4].copy_from_slice(&key_len.to_le_bytes());
        self.buf[row_at - 4..row_at].copy_from_slice(&row_len.to_le_bytes());
        if self.buf.len() >= BLOCK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.tmp.file().write_at(self.written, &self.buf)?;
            self.written += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }
}

fn too_large() -> Error {
    crate::sql_err!(
        crate::error::SqlState::PROGRAM_LIMIT_EXCEEDED,
        "row is too large to spool"
    )
}

/// About how much memory an item takes.
fn footprint(key: &[u8], row: &[Value]) -> usize {
    16 + key.len() + values_footprint(row)
}

/// About how much memory a list of values takes (the vector, and the text
/// the values own).
pub fn values_footprint(values: &[Value]) -> usize {
    let heap: usize = values
        .iter()
        .map(|v| match v {
            Value::Text(s) | Value::Json(s) => s.len(),
            _ => 0,
        })
        .sum();
    48 + std::mem::size_of_val(values) + heap
}

/// A statement's budget for an operator's working memory (sorts, hash
/// aggregation): the `work_mem` setting in bytes (a number alone is kB, as
/// in PostgreSQL; at least 64kB).
pub fn work_mem(cx: &ExecContext<'_>) -> usize {
    let v = cx
        .fns
        .settings
        .iter()
        .find(|(k, _)| k == "work_mem")
        .map_or("4MB", |(_, v)| v.as_str())
        .trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: usize = num.parse().unwrap_or(4096);
    let unit_bytes = match unit.trim().to_ascii_lowercase().as_str() {
        "b" => 1,
        "" | "kb" => 1 << 10,
        "mb" => 1 << 20,
        "gb" => 1 << 30,
        "tb" => 1 << 40,
        _ => 1 << 10,
    };
    n.saturating_mul(unit_bytes).max(64 << 10)
}

impl Spool {
    /// An empty spool whose spill (if any) goes under `storage`'s data
    /// directory.
    pub fn new(storage: &Storage) -> Spool {
        Spool::with_budget(storage, BUDGET)
    }

    /// Like [`Spool::new`] with another memory budget (tests).
    pub fn with_budget(storage: &Storage, budget: usize) -> Spool {
        Spool {
            storage: storage.clone(),
            budget,
            mem: Vec::new(),
            bytes: 0,
            file: None,
            len: 0,
        }
    }

    /// Items pushed so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True once the items went to the scratch file.
    pub fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// Appends an item.
    pub fn push(&mut self, key: Vec<u8>, row: Row) -> Result<()> {
        self.len += 1;
        if let Some(f) = &mut self.file {
            return f.put(&key, &row);
        }
        self.bytes += footprint(&key, &row);
        self.mem.push((key, row));
        if self.bytes > self.budget {
            let mut f = Spill {
                tmp: self.storage.temp_file("spool")?,
                buf: Vec::with_capacity(BLOCK + 4096),
                written: 0,
            };
            for (k, r) in self.mem.drain(..) {
                f.put(&k, &r)?;
            }
            self.mem = Vec::new();
            self.file = Some(f);
        }
        Ok(())
    }

    /// The items in order, leaving the spool as it is (items in memory are
    /// cloned).
    pub fn iter(&mut self) -> Result<Box<dyn Iterator<Item = Result<Item>> + '_>> {
        match &mut self.file {
            None => Ok(Box::new(self.mem.iter().cloned().map(Ok))),
            Some(f) => {
                f.flush()?;
                Ok(Box::new(Reader::new(f)))
            }
        }
    }

    /// The items in order, consuming the spool.
    pub fn drain(self) -> Result<Box<dyn Iterator<Item = Result<Item>>>> {
        match self.file {
            None => Ok(Box::new(self.mem.into_iter().map(Ok))),
            Some(mut f) => {
                f.flush()?;
                Ok(Box::new(OwnedReader {
                    f,
                    window: Window::default(),
                }))
            }
        }
    }
}

/// The part of the file read and not yet decoded.
#[derive(Debug, Default)]
struct Window {
    data: Vec<u8>,
    at: usize,
    /// File offset of `data[0]`.
    base: u64,
}

impl Window {
    /// Makes `n` bytes available from `at`, reading from `f`.
    fn need(&mut self, f: &Spill, n: usize) -> Result<bool> {
        if self.data.len() - self.at >= n {
            return Ok(true);
        }
        self.data.drain(..self.at);
        self.base += self.at as u64;
        self.at = 0;
        let end = self.base + self.data.len() as u64;
        let want = (n - self.data.len()).max(BLOCK) as u64;
        let get = want.min(f.written - end) as usize;
        if self.data.len() + get < n {
            return Ok(false);
        }
        let old = self.data.len();
        self.data.resize(old + get, 0);
        let mut off = 0;
        while off < get {
            let r = f
                .tmp
                .file()
                .read_at(end + off as u64, &mut self.data[old + off..])?;
            if r == 0 {
                return Err(Error::Io("spool file ended early".into()));
            }
            off += r;
        }
        Ok(true)
    }

    fn u32(&mut self, f: &Spill) -> Result<usize> {
        if !self.need(f, 4)? {
            return Err(Error::Internal("spool item cut short".into()));
        }
        let b = &self.data[self.at..self.at + 4];
        self.at += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn bytes(&mut self, f: &Spill, n: usize) -> Result<&[u8]> {
        if !self.need(f, n)? {
            return Err(Error::Internal("spool item cut short".into()));
        }
        let b = &self.data[self.at..self.at + n];
        self.at += n;
        Ok(b)
    }

    /// The next item, or `None` at the end of the file.
    fn next(&mut self, f: &Spill) -> Option<Result<Item>> {
        if self.base + self.at as u64 >= f.written {
            return None;
        }
        Some((|| {
            let n = self.u32(f)?;
            let key = self.bytes(f, n)?.to_vec();
            let n = self.u32(f)?;
            let row = decode_row(self.bytes(f, n)?)
                .map_err(|e| Error::Internal(format!("spool item: {e}")))?;
            Ok((key, row))
        })())
    }
}

struct Reader<'a> {
    f: &'a Spill,
    window: Window,
}

impl<'a> Reader<'a> {
    fn new(f: &'a Spill) -> Self {
        Reader {
            f,
            window: Window::default(),
        }
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        self.window.next(self.f)
    }
}

struct OwnedReader {
    f: Spill,
    window: Window,
}

impl Iterator for OwnedReader {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        self.window.next(&self.f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::mem::MemFs;
    use crate::storage::{StorageOptions, Tuning};
    use std::path::Path;
    use std::sync::Arc;

    fn storage(fs: &MemFs) -> Storage {
        let opts = StorageOptions {
            clock: Arc::new(crate::temporal::ManualClock::new(1)),
            fsync: false,
            cache_bytes: 1 << 20,
        };
        Storage::open_with(
            Path::new("/db"),
            opts,
            Arc::new(fs.clone()),
            Tuning::default(),
        )
        .expect("open")
    }

    fn item(i: usize) -> Item {
        let text = "x".repeat(i % 300);
        (
            (i as u32).to_be_bytes().to_vec(),
            vec![Value::Int8(i as i64), Value::Text(text), Value::Null],
        )
    }

    #[test]
    fn small_lists_stay_in_memory_large_ones_spill_and_read_back() {
        let fs = MemFs::new();
        let s = storage(&fs);
        for (n, budget, spills) in [(10, BUDGET, false), (3000, 50_000, true), (1, 0, true)] {
            let mut sp = Spool::with_budget(&s, budget);
            for i in 0..n {
                sp.push(item(i).0, item(i).1).expect("push");
            }
            assert_eq!((sp.len(), sp.spilled()), (n, spills));
            assert_eq!(
                fs.files_under(Path::new("/db/tmp")).len(),
                usize::from(spills)
            );
            // Twice by reference, then by value: the same items each time.
            for _ in 0..2 {
                let got: Vec<Item> = sp.iter().expect("iter").map(|r| r.expect("item")).collect();
                assert_eq!(got, (0..n).map(item).collect::<Vec<_>>());
            }
            let got: Vec<Item> = sp
                .drain()
                .expect("iter")
                .map(|r| r.expect("item"))
                .collect();
            assert_eq!(got, (0..n).map(item).collect::<Vec<_>>());
            assert!(
                fs.files_under(Path::new("/db/tmp")).is_empty(),
                "file removed"
            );
        }
    }

    #[test]
    fn items_larger_than_a_block_read_back() {
        let fs = MemFs::new();
        let s = storage(&fs);
        let mut sp = Spool::with_budget(&s, 0);
        let big = |i: usize| {
            (
                vec![i as u8; 10],
                vec![Value::Text("y".repeat(BLOCK * 2 + i))],
            )
        };
        for i in 0..3 {
            sp.push(big(i).0, big(i).1).expect("push");
        }
        let got: Vec<Item> = sp
            .drain()
            .expect("iter")
            .map(|r| r.expect("item"))
            .collect();
        assert_eq!(got, (0..3).map(big).collect::<Vec<_>>());
    }
}
