//! File IO behind a trait, so tests can inject failed writes, short writes,
//! failed fsyncs and crashes, and count fsyncs.
//!
//! Storage touches the disk only through [`FileSystem`] and [`File`]. The
//! surface is deliberately small and shaped by how storage uses files:
//!
//! * every file storage writes is **append-only** while it is in use (WAL
//!   files, segments, the seq↔time file); [`File::append`] writes at the end;
//! * small files are read back **whole** ([`FileSystem::read_file`]); files
//!   that can be large (WAL files at recovery, segments) are read in
//!   bounded pieces with [`RandomFile::read_at`] (see `wal::frames`);
//! * metadata files are **replaced atomically** by [`atomic_replace`]:
//!   write a temporary file, fsync it, rename it over the old one, fsync the
//!   directory;
//! * a directory entry (a new file, a rename, a removal) is durable only after
//!   [`FileSystem::sync_dir`] on its parent, as on a real POSIX file system;
//! * page files (`storage::page`) are the one exception to append-only: they
//!   are read and written at page offsets through [`RandomFile`]
//!   ([`FileSystem::open_random`]).
//!
//! [`RealFs`] is the operating system; [`mem::MemFs`] is an in-memory file
//! system that models exactly what survives a crash (only synced data and
//! synced directory entries) and can inject faults.

pub mod mem;

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's file name (not a path).
    pub name: String,
    /// True for a directory.
    pub is_dir: bool,
}

/// A file system: the operations storage needs, no more.
pub trait FileSystem: Send + Sync + fmt::Debug {
    /// Creates one directory level; succeeds if it already exists. The parent
    /// must exist. The new entry is durable after `sync_dir(parent)`.
    fn create_dir(&self, path: &Path) -> Result<()>;
    /// Opens a file for appending, creating it (empty) if `create` and it is
    /// missing.
    fn open_append(&self, path: &Path, create: bool) -> Result<Box<dyn File>>;
    /// Reads a whole file.
    fn read_file(&self, path: &Path) -> Result<Vec<u8>>;
    /// Lists a directory (no particular order).
    fn list_dir(&self, path: &Path) -> Result<Vec<DirEntry>>;
    /// Renames a file or directory, replacing a file at `to`.
    fn rename(&self, from: &Path, to: &Path) -> Result<()>;
    /// Removes a file.
    fn remove_file(&self, path: &Path) -> Result<()>;
    /// Removes a directory and everything under it.
    fn remove_dir_all(&self, path: &Path) -> Result<()>;
    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, path: &Path) -> Result<()>;
    /// True if something exists at `path`.
    fn exists(&self, path: &Path) -> Result<bool>;
    /// Takes an exclusive lock on the data directory for this process's
    /// lifetime (the returned guard releases it when dropped).
    fn lock_dir(&self, dir: &Path) -> Result<Box<dyn fmt::Debug + Send + Sync>>;
    /// Opens a file for reading and writing at any offset (page files),
    /// creating it (empty) if `create` and it is missing.
    fn open_random(&self, path: &Path, create: bool) -> Result<Box<dyn RandomFile>>;
}

/// A file read and written at any offset, shared by many threads (page
/// files). Every method takes `&self`: reads run concurrently (`pread`).
pub trait RandomFile: Send + Sync + fmt::Debug {
    /// Reads into `buf` from `offset`; returns how many bytes were read,
    /// fewer than `buf.len()` only at the end of the file.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;
    /// Writes all of `buf` at `offset`, growing the file (a gap reads as
    /// zeros) if needed. An error may leave part of it written.
    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()>;
    /// Makes the written data durable (fdatasync).
    fn sync(&self) -> Result<()>;
    /// The current length.
    fn len(&self) -> Result<u64>;
    /// True when the file is empty.
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
    /// Sets the length: cuts the file, or grows it with zeros.
    fn set_len(&self, len: u64) -> Result<()>;
}

/// An open file, written only at its end.
pub trait File: Send + fmt::Debug {
    /// Appends all of `buf` (an error may leave part of it written).
    fn append(&mut self, buf: &[u8]) -> Result<()>;
    /// Makes the written data durable (fdatasync).
    fn sync(&mut self) -> Result<()>;
    /// Cuts the file to `len` bytes; later appends go after them.
    fn truncate(&mut self, len: u64) -> Result<()>;
    /// The current length.
    fn len(&self) -> Result<u64>;
    /// True when the file is empty.
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Writes `bytes` to `dir/name` atomically: a temporary file is written and
/// fsynced, renamed over `name`, and the directory is fsynced. After a crash
/// the file holds either the old or the new contents, never a mix. With
/// `sync == false` (tests that do not care about durability) nothing is
/// fsynced.
pub fn atomic_replace(
    fs: &dyn FileSystem,
    dir: &Path,
    name: &str,
    bytes: &[u8],
    sync: bool,
) -> Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    if fs.exists(&tmp)? {
        fs.remove_file(&tmp)?;
    }
    let mut f = fs.open_append(&tmp, true)?;
    f.append(bytes)?;
    if sync {
        f.sync()?;
    }
    drop(f);
    fs.rename(&tmp, &dir.join(name))?;
    if sync {
        fs.sync_dir(dir)?;
    }
    Ok(())
}

/// Formats an `std::io::Error` the way PostgreSQL formats `%m`.
fn os_err(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::Io(format!("{what} \"{}\": {e}", path.display()))
}

/// The operating system's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

/// A file of [`RealFs`].
#[derive(Debug)]
struct RealFile {
    file: std::fs::File,
    path: PathBuf,
}

impl File for RealFile {
    fn append(&mut self, buf: &[u8]) -> Result<()> {
        self.file
            .write_all(buf)
            .map_err(|e| os_err("could not write to file", &self.path, &e))
    }

    fn sync(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| os_err("could not fsync file", &self.path, &e))
    }

    fn truncate(&mut self, len: u64) -> Result<()> {
        self.file
            .set_len(len)
            .map_err(|e| os_err("could not truncate file", &self.path, &e))
    }

    fn len(&self) -> Result<u64> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| os_err("could not stat file", &self.path, &e))
    }
}

/// A [`RandomFile`] of [`RealFs`].
#[derive(Debug)]
struct RealRandomFile {
    file: std::fs::File,
    path: PathBuf,
}

impl RandomFile for RealRandomFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        use std::os::unix::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(os_err("could not read file", &self.path, &e)),
            }
        }
        Ok(done)
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()> {
        use std::os::unix::fs::FileExt;
        self.file
            .write_all_at(buf, offset)
            .map_err(|e| os_err("could not write to file", &self.path, &e))
    }

    fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| os_err("could not fsync file", &self.path, &e))
    }

    fn len(&self) -> Result<u64> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| os_err("could not stat file", &self.path, &e))
    }

    fn set_len(&self, len: u64) -> Result<()> {
        self.file
            .set_len(len)
            .map_err(|e| os_err("could not truncate file", &self.path, &e))
    }
}

impl FileSystem for RealFs {
    fn create_dir(&self, path: &Path) -> Result<()> {
        match std::fs::create_dir(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
            Err(e) => Err(os_err("could not create directory", path, &e)),
        }
    }

    fn open_append(&self, path: &Path, create: bool) -> Result<Box<dyn File>> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(create)
            .open(path)
            .map_err(|e| os_err("could not open file", path, &e))?;
        Ok(Box::new(RealFile {
            file,
            path: path.to_path_buf(),
        }))
    }

    fn read_file(&self, path: &Path) -> Result<Vec<u8>> {
        std::fs::read(path).map_err(|e| os_err("could not read file", path, &e))
    }

    fn list_dir(&self, path: &Path) -> Result<Vec<DirEntry>> {
        let rd =
            std::fs::read_dir(path).map_err(|e| os_err("could not open directory", path, &e))?;
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| os_err("could not read directory", path, &e))?;
            let is_dir = entry
                .file_type()
                .map_err(|e| os_err("could not stat file", &entry.path(), &e))?
                .is_dir();
            // Names that are not UTF-8 were not written by DriftDB; they are
            // reported lossily so recovery can ignore them by name.
            let name = entry.file_name().to_string_lossy().into_owned();
            out.push(DirEntry { name, is_dir });
        }
        Ok(out)
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        std::fs::rename(from, to).map_err(|e| {
            Error::Io(format!(
                "could not rename file \"{}\" to \"{}\": {e}",
                from.display(),
                to.display()
            ))
        })
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        std::fs::remove_file(path).map_err(|e| os_err("could not remove file", path, &e))
    }

    fn remove_dir_all(&self, path: &Path) -> Result<()> {
        std::fs::remove_dir_all(path).map_err(|e| os_err("could not remove directory", path, &e))
    }

    fn sync_dir(&self, path: &Path) -> Result<()> {
        let d =
            std::fs::File::open(path).map_err(|e| os_err("could not open directory", path, &e))?;
        d.sync_all()
            .map_err(|e| os_err("could not fsync directory", path, &e))
    }

    fn exists(&self, path: &Path) -> Result<bool> {
        path.try_exists()
            .map_err(|e| os_err("could not stat file", path, &e))
    }

    fn lock_dir(&self, dir: &Path) -> Result<Box<dyn fmt::Debug + Send + Sync>> {
        let path = dir.join("LOCK");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| os_err("could not open lock file", &path, &e))?;
        match file.try_lock() {
            Ok(()) => Ok(Box::new(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Io(format!(
                "lock file \"{}\" is held: is another DriftDB process using data directory \"{}\"?",
                path.display(),
                dir.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(os_err("could not lock file", &path, &e)),
        }
    }

    fn open_random(&self, path: &Path, create: bool) -> Result<Box<dyn RandomFile>> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(path)
            .map_err(|e| os_err("could not open file", path, &e))?;
        Ok(Box::new(RealRandomFile {
            file,
            path: path.to_path_buf(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "driftdb-io-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("test dir");
        p
    }

    #[test]
    fn real_fs_append_truncate_replace() {
        let dir = tempdir("real");
        let fs = RealFs;
        let p = dir.join("f");
        let mut f = fs.open_append(&p, true).expect("open");
        f.append(b"hello ").expect("write");
        f.append(b"world").expect("write");
        f.sync().expect("sync");
        assert_eq!(f.len().expect("len"), 11);
        f.truncate(5).expect("truncate");
        f.append(b"!").expect("write");
        assert_eq!(fs.read_file(&p).expect("read"), b"hello!");
        atomic_replace(&fs, &dir, "meta", b"v1", true).expect("replace");
        atomic_replace(&fs, &dir, "meta", b"v2", true).expect("replace");
        assert_eq!(fs.read_file(&dir.join("meta")).expect("read"), b"v2");
        assert!(!fs.exists(&dir.join("meta.tmp")).expect("exists"));
        let mut names: Vec<_> = fs
            .list_dir(&dir)
            .expect("ls")
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort();
        assert_eq!(names, ["f", "meta"]);
        assert!(fs.open_append(&dir.join("missing"), false).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn real_fs_random_access() {
        let dir = tempdir("random");
        let fs = RealFs;
        let p = dir.join("pages");
        let f = fs.open_random(&p, true).expect("open");
        f.write_at(4, b"wxyz").expect("write past the end");
        f.write_at(0, b"ab").expect("write");
        f.sync().expect("sync");
        assert_eq!(f.len().expect("len"), 8);
        let mut buf = [9u8; 10];
        assert_eq!(f.read_at(0, &mut buf).expect("read"), 8, "short at EOF");
        assert_eq!(&buf[..8], b"ab\0\0wxyz");
        f.set_len(3).expect("set_len");
        assert_eq!(fs.read_file(&p).expect("read"), b"ab\0");
        assert!(fs.open_random(&dir.join("missing"), false).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn real_fs_lock_is_exclusive() {
        let dir = tempdir("lock");
        let fs = RealFs;
        let g = fs.lock_dir(&dir).expect("first lock");
        let e = fs.lock_dir(&dir).expect_err("second lock must fail");
        assert!(e.message().contains("is held"), "{e}");
        drop(g);
        fs.lock_dir(&dir).expect("lock after release");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
