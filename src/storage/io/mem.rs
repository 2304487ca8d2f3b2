//! [`MemFs`]: an in-memory [`FileSystem`] that models crashes and injects
//! faults, for tests.
//!
//! The model follows POSIX durability rules strictly, so that a missing
//! fsync in storage shows up as lost data in a test:
//!
//! * every file is an inode with its *current* bytes and its *synced* bytes
//!   (what `fsync` last made durable);
//! * every directory is an inode with its *current* entries and its *durable*
//!   entries (what `sync_dir` last made durable). Creating, renaming or
//!   removing a name changes only the current entries;
//! * [`MemFs::crash_image`] returns the file system as a machine would find it
//!   after power loss: directories hold their durable entries, files their
//!   synced bytes, and everything else is gone.
//!
//! Faults ([`Faults`]) make writes fail or write short, and fsyncs fail;
//! counters tell how many file and directory fsyncs happened.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{DirEntry, File, FileSystem, RandomFile};
use crate::error::{Error, Result};

/// Faults to inject; all off by default.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every file fsync fails.
    pub fail_sync: bool,
    /// Every directory fsync fails.
    pub fail_dir_sync: bool,
    /// Once this many more bytes have been written, writes fail. The write
    /// that crosses the budget writes the bytes that fit (a short write) and
    /// then fails.
    pub write_budget: Option<u64>,
    /// Only paths containing this string are affected (all when `None`).
    pub path_filter: Option<String>,
    /// Every affected file fsync takes this long (as a slow disk would).
    pub sync_delay: Option<std::time::Duration>,
}

/// Counters of what happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Successful file fsyncs.
    pub file_syncs: u64,
    /// Successful directory fsyncs.
    pub dir_syncs: u64,
    /// Bytes appended.
    pub bytes_written: u64,
}

#[derive(Debug, Clone)]
enum Node {
    File {
        data: Vec<u8>,
        synced: Vec<u8>,
        /// Lowest offset changed since the last sync (appends only change
        /// the end, so a sync copies only the new part).
        dirty_from: usize,
    },
    Dir {
        entries: BTreeMap<String, u64>,
        durable: BTreeMap<String, u64>,
    },
}

#[derive(Debug, Clone)]
struct State {
    nodes: HashMap<u64, Node>,
    next_inode: u64,
    faults: Faults,
    counters: Counters,
    /// Successful file fsyncs by path.
    syncs_by_path: HashMap<PathBuf, u64>,
}

const ROOT: u64 = 0;

/// The in-memory file system; clones share the same state.
#[derive(Clone)]
pub struct MemFs {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for MemFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemFs")
    }
}

impl Default for MemFs {
    fn default() -> Self {
        MemFs::new()
    }
}

fn not_found(path: &Path) -> Error {
    Error::Io(format!(
        "could not open file \"{}\": No such file or directory",
        path.display()
    ))
}

fn components(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

impl State {
    fn lookup(&self, path: &Path) -> Option<u64> {
        let mut cur = ROOT;
        for name in components(path) {
            match self.nodes.get(&cur) {
                Some(Node::Dir { entries, .. }) => cur = *entries.get(&name)?,
                _ => return None,
            }
        }
        Some(cur)
    }

    /// The parent directory's inode and the last component.
    fn parent(&self, path: &Path) -> Result<(u64, String)> {
        let mut comps = components(path);
        let name = comps.pop().ok_or_else(|| not_found(path))?;
        let parent: PathBuf = comps.iter().collect();
        let ino = self.lookup(&parent).ok_or_else(|| not_found(path))?;
        match self.nodes.get(&ino) {
            Some(Node::Dir { .. }) => Ok((ino, name)),
            _ => Err(not_found(path)),
        }
    }

    fn entries_mut(&mut self, dir: u64) -> &mut BTreeMap<String, u64> {
        match self.nodes.get_mut(&dir) {
            Some(Node::Dir { entries, .. }) => entries,
            _ => unreachable!("invariant: parent() returns directory inodes only"),
        }
    }

    fn add(&mut self, dir: u64, name: String, node: Node) -> u64 {
        let ino = self.next_inode;
        self.next_inode += 1;
        self.nodes.insert(ino, node);
        self.entries_mut(dir).insert(name, ino);
        ino
    }

    fn affected(&self, path: &Path) -> bool {
        match &self.faults.path_filter {
            Some(f) => path.to_string_lossy().contains(f.as_str()),
            None => true,
        }
    }
}

impl MemFs {
    /// An empty file system holding only the root directory.
    pub fn new() -> MemFs {
        let mut nodes = HashMap::new();
        nodes.insert(
            ROOT,
            Node::Dir {
                entries: BTreeMap::new(),
                durable: BTreeMap::new(),
            },
        );
        MemFs {
            state: Arc::new(Mutex::new(State {
                nodes,
                next_inode: 1,
                faults: Faults::default(),
                counters: Counters::default(),
                syncs_by_path: HashMap::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock can only come from a test's own
        // assertion; the state is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the faults to inject.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// What happened so far.
    pub fn counters(&self) -> Counters {
        self.lock().counters
    }

    /// Successful file fsyncs of paths containing `pattern`.
    pub fn syncs_matching(&self, pattern: &str) -> u64 {
        self.lock()
            .syncs_by_path
            .iter()
            .filter(|(p, _)| p.to_string_lossy().contains(pattern))
            .map(|(_, n)| *n)
            .sum()
    }

    /// The file system as it would be found after a power loss now: only
    /// synced bytes and durable directory entries survive. The image is
    /// independent of `self` (handles into `self` do not touch it).
    pub fn crash_image(&self) -> MemFs {
        let st = self.lock();
        let mut nodes = HashMap::new();
        let mut stack = vec![ROOT];
        while let Some(ino) = stack.pop() {
            let node = match st.nodes.get(&ino) {
                Some(Node::Dir { durable, .. }) => {
                    stack.extend(durable.values().copied());
                    Node::Dir {
                        entries: durable.clone(),
                        durable: durable.clone(),
                    }
                }
                Some(Node::File { synced, .. }) => Node::File {
                    data: synced.clone(),
                    synced: synced.clone(),
                    dirty_from: synced.len(),
                },
                None => continue,
            };
            nodes.insert(ino, node);
        }
        MemFs {
            state: Arc::new(Mutex::new(State {
                nodes,
                next_inode: st.next_inode,
                faults: Faults::default(),
                counters: Counters::default(),
                syncs_by_path: HashMap::new(),
            })),
        }
    }

    /// An independent copy of the current state (as if every write had
    /// reached the disk): for tests that then damage files by hand.
    pub fn snapshot(&self) -> MemFs {
        let mut st = self.lock().clone();
        for node in st.nodes.values_mut() {
            match node {
                Node::File {
                    data,
                    synced,
                    dirty_from,
                } => {
                    *synced = data.clone();
                    *dirty_from = data.len();
                }
                Node::Dir { entries, durable } => *durable = entries.clone(),
            }
        }
        st.faults = Faults::default();
        st.counters = Counters::default();
        st.syncs_by_path.clear();
        MemFs {
            state: Arc::new(Mutex::new(st)),
        }
    }

    /// Replaces a file's contents (current and synced): tests use it to
    /// truncate, corrupt or extend files.
    pub fn put_file(&self, path: &Path, bytes: Vec<u8>) -> Result<()> {
        let mut st = self.lock();
        let (dir, name) = st.parent(path)?;
        let node = Node::File {
            synced: bytes.clone(),
            dirty_from: bytes.len(),
            data: bytes,
        };
        let existing = match st.nodes.get(&dir) {
            Some(Node::Dir { entries, .. }) => entries.get(&name).copied(),
            _ => None,
        };
        match existing {
            Some(ino) => {
                st.nodes.insert(ino, node);
            }
            None => {
                let ino = st.add(dir, name.clone(), node);
                if let Some(Node::Dir { durable, .. }) = st.nodes.get_mut(&dir) {
                    durable.insert(name, ino);
                }
            }
        }
        Ok(())
    }

    /// The inode of the file at `path`, created (empty) if `create` and missing.
    fn file_inode(&self, path: &Path, create: bool) -> Result<u64> {
        let mut st = self.lock();
        let ino = match st.lookup(path) {
            Some(ino) => match st.nodes.get(&ino) {
                Some(Node::File { .. }) => ino,
                _ => return Err(not_found(path)),
            },
            None if create => {
                let (dir, name) = st.parent(path)?;
                st.add(
                    dir,
                    name,
                    Node::File {
                        data: Vec::new(),
                        synced: Vec::new(),
                        dirty_from: 0,
                    },
                )
            }
            None => return Err(not_found(path)),
        };
        Ok(ino)
    }

    /// Every file path under `dir`, recursively, sorted.
    pub fn files_under(&self, dir: &Path) -> Vec<PathBuf> {
        let st = self.lock();
        let mut out = Vec::new();
        let mut stack = vec![(dir.to_path_buf(), st.lookup(dir))];
        while let Some((path, ino)) = stack.pop() {
            match ino.and_then(|i| st.nodes.get(&i)) {
                Some(Node::Dir { entries, .. }) => {
                    for (name, child) in entries {
                        stack.push((path.join(name), Some(*child)));
                    }
                }
                Some(Node::File { .. }) => out.push(path),
                None => {}
            }
        }
        out.sort();
        out
    }
}

/// A handle on a [`MemFs`] file.
#[derive(Debug)]
struct MemFile {
    fs: MemFs,
    ino: u64,
    path: PathBuf,
}

impl MemFile {
    fn with_data<T>(
        &self,
        f: impl FnOnce(&mut Vec<u8>, &mut Vec<u8>, &mut usize) -> T,
    ) -> Result<T> {
        let mut st = self.fs.lock();
        match st.nodes.get_mut(&self.ino) {
            Some(Node::File {
                data,
                synced,
                dirty_from,
            }) => Ok(f(data, synced, dirty_from)),
            _ => Err(not_found(&self.path)),
        }
    }
}

impl File for MemFile {
    fn append(&mut self, buf: &[u8]) -> Result<()> {
        let (affected, budget) = {
            let st = self.fs.lock();
            (st.affected(&self.path), st.faults.write_budget)
        };
        let mut n = buf.len();
        let mut fail = false;
        if let (true, Some(budget)) = (affected, budget) {
            if (buf.len() as u64) > budget {
                n = budget as usize;
                fail = true;
            }
            self.fs.lock().faults.write_budget = Some(budget.saturating_sub(n as u64));
        }
        self.with_data(|data, _, _| data.extend_from_slice(&buf[..n]))?;
        self.fs.lock().counters.bytes_written += n as u64;
        if fail {
            return Err(Error::Io(format!(
                "could not write to file \"{}\": No space left on device",
                self.path.display()
            )));
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        sync_inode(&self.fs, self.ino, &self.path)
    }

    fn truncate(&mut self, len: u64) -> Result<()> {
        self.with_data(|data, _, dirty_from| {
            // Growing a file by truncate is not something storage does; cap
            // at the current length rather than allocate.
            let len = usize::try_from(len).unwrap_or(usize::MAX).min(data.len());
            data.truncate(len);
            *dirty_from = (*dirty_from).min(len);
        })
    }

    fn len(&self) -> Result<u64> {
        self.with_data(|data, _, _| data.len() as u64)
    }
}

/// fsync of a file inode: its current bytes become its synced bytes.
fn sync_inode(fs: &MemFs, ino: u64, path: &Path) -> Result<()> {
    let delay = {
        let st = fs.lock();
        st.faults.sync_delay.filter(|_| st.affected(path))
    };
    if let Some(d) = delay {
        std::thread::sleep(d);
    }
    {
        let mut st = fs.lock();
        if st.faults.fail_sync && st.affected(path) {
            return Err(Error::Io(format!(
                "could not fsync file \"{}\": Input/output error",
                path.display()
            )));
        }
        st.counters.file_syncs += 1;
        *st.syncs_by_path.entry(path.to_path_buf()).or_default() += 1;
    }
    with_inode(fs, ino, path, |data, synced, dirty_from| {
        let from = (*dirty_from).min(synced.len());
        synced.truncate(from);
        synced.extend_from_slice(&data[from..]);
        *dirty_from = data.len();
    })
}

/// Runs `f` on a file inode's (data, synced, dirty_from).
fn with_inode<T>(
    fs: &MemFs,
    ino: u64,
    path: &Path,
    f: impl FnOnce(&mut Vec<u8>, &mut Vec<u8>, &mut usize) -> T,
) -> Result<T> {
    let mut st = fs.lock();
    match st.nodes.get_mut(&ino) {
        Some(Node::File {
            data,
            synced,
            dirty_from,
        }) => Ok(f(data, synced, dirty_from)),
        _ => Err(not_found(path)),
    }
}

/// A [`RandomFile`] handle on a [`MemFs`] file. Writes obey the same faults
/// as appends (write budget, path filter); a crash keeps only what `sync`
/// made durable.
#[derive(Debug)]
struct MemRandomFile {
    fs: MemFs,
    ino: u64,
    path: PathBuf,
}

impl RandomFile for MemRandomFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        with_inode(&self.fs, self.ino, &self.path, |data, _, _| {
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(data.len());
            let n = buf.len().min(data.len() - start);
            buf[..n].copy_from_slice(&data[start..start + n]);
            n
        })
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()> {
        let (n, fail) = {
            let mut st = self.fs.lock();
            let mut n = buf.len();
            let mut fail = false;
            if let (true, Some(budget)) = (st.affected(&self.path), st.faults.write_budget) {
                if (buf.len() as u64) > budget {
                    n = budget as usize;
                    fail = true;
                }
                st.faults.write_budget = Some(budget.saturating_sub(n as u64));
            }
            st.counters.bytes_written += n as u64;
            (n, fail)
        };
        let offset =
            usize::try_from(offset).map_err(|_| Error::Io(format!("offset {offset} too large")))?;
        with_inode(&self.fs, self.ino, &self.path, |data, _, dirty_from| {
            let end = offset + n;
            *dirty_from = (*dirty_from).min(offset.min(data.len()));
            if data.len() < end {
                data.resize(end, 0);
            }
            data[offset..end].copy_from_slice(&buf[..n]);
        })?;
        if fail {
            return Err(Error::Io(format!(
                "could not write to file \"{}\": No space left on device",
                self.path.display()
            )));
        }
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        sync_inode(&self.fs, self.ino, &self.path)
    }

    fn len(&self) -> Result<u64> {
        with_inode(&self.fs, self.ino, &self.path, |data, _, _| {
            data.len() as u64
        })
    }

    fn set_len(&self, len: u64) -> Result<()> {
        let len = usize::try_from(len).map_err(|_| Error::Io(format!("length {len} too large")))?;
        with_inode(&self.fs, self.ino, &self.path, |data, _, dirty_from| {
            *dirty_from = (*dirty_from).min(len.min(data.len()));
            data.resize(len, 0);
        })
    }
}

impl FileSystem for MemFs {
    fn create_dir(&self, path: &Path) -> Result<()> {
        let mut st = self.lock();
        if let Some(ino) = st.lookup(path) {
            return match st.nodes.get(&ino) {
                Some(Node::Dir { .. }) => Ok(()),
                _ => Err(Error::Io(format!(
                    "could not create directory \"{}\": File exists",
                    path.display()
                ))),
            };
        }
        let (dir, name) = st.parent(path)?;
        st.add(
            dir,
            name,
            Node::Dir {
                entries: BTreeMap::new(),
                durable: BTreeMap::new(),
            },
        );
        Ok(())
    }

    fn open_append(&self, path: &Path, create: bool) -> Result<Box<dyn File>> {
        let ino = self.file_inode(path, create)?;
        Ok(Box::new(MemFile {
            fs: self.clone(),
            ino,
            path: path.to_path_buf(),
        }))
    }

    fn read_file(&self, path: &Path) -> Result<Vec<u8>> {
        let st = self.lock();
        match st.lookup(path).and_then(|i| st.nodes.get(&i)) {
            Some(Node::File { data, .. }) => Ok(data.clone()),
            _ => Err(not_found(path)),
        }
    }

    fn list_dir(&self, path: &Path) -> Result<Vec<DirEntry>> {
        let st = self.lock();
        match st.lookup(path).and_then(|i| st.nodes.get(&i)) {
            Some(Node::Dir { entries, .. }) => Ok(entries
                .iter()
                .map(|(name, ino)| DirEntry {
                    name: name.clone(),
                    is_dir: matches!(st.nodes.get(ino), Some(Node::Dir { .. })),
                })
                .collect()),
            _ => Err(not_found(path)),
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let mut st = self.lock();
        let (fdir, fname) = st.parent(from)?;
        let (tdir, tname) = st.parent(to)?;
        let ino = st
            .entries_mut(fdir)
            .remove(&fname)
            .ok_or_else(|| not_found(from))?;
        st.entries_mut(tdir).insert(tname, ino);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        let mut st = self.lock();
        let (dir, name) = st.parent(path)?;
        st.entries_mut(dir)
            .remove(&name)
            .ok_or_else(|| not_found(path))?;
        Ok(())
    }

    fn remove_dir_all(&self, path: &Path) -> Result<()> {
        self.remove_file(path)
    }

    fn sync_dir(&self, path: &Path) -> Result<()> {
        let mut st = self.lock();
        if st.faults.fail_dir_sync && st.affected(path) {
            return Err(Error::Io(format!(
                "could not fsync directory \"{}\": Input/output error",
                path.display()
            )));
        }
        let ino = st.lookup(path).ok_or_else(|| not_found(path))?;
        match st.nodes.get_mut(&ino) {
            Some(Node::Dir { entries, durable }) => *durable = entries.clone(),
            _ => return Err(not_found(path)),
        }
        st.counters.dir_syncs += 1;
        Ok(())
    }

    fn exists(&self, path: &Path) -> Result<bool> {
        Ok(self.lock().lookup(path).is_some())
    }

    fn lock_dir(&self, _dir: &Path) -> Result<Box<dyn fmt::Debug + Send + Sync>> {
        Ok(Box::new(()))
    }

    fn open_random(&self, path: &Path, create: bool) -> Result<Box<dyn RandomFile>> {
        let ino = self.file_inode(path, create)?;
        Ok(Box::new(MemRandomFile {
            fs: self.clone(),
            ino,
            path: path.to_path_buf(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_keeps_only_synced_data_and_entries() {
        let fs = MemFs::new();
        let d = Path::new("/d");
        fs.create_dir(d).expect("mkdir");
        fs.sync_dir(Path::new("/")).expect("sync root");
        let mut a = fs.open_append(&d.join("a"), true).expect("open");
        a.append(b"synced").expect("write");
        a.sync().expect("sync");
        a.append(b" lost").expect("write");
        fs.sync_dir(d).expect("sync d");
        let mut b = fs.open_append(&d.join("b"), true).expect("open");
        b.append(b"no dir sync").expect("write");
        b.sync().expect("sync");
        let img = fs.crash_image();
        assert_eq!(img.read_file(&d.join("a")).expect("a"), b"synced");
        assert!(
            !img.exists(&d.join("b")).expect("exists"),
            "entry never made durable"
        );
        assert_eq!(fs.read_file(&d.join("a")).expect("a"), b"synced lost");
        assert_eq!(fs.counters().file_syncs, 2);
        assert_eq!(fs.counters().dir_syncs, 2);
    }

    #[test]
    fn truncate_then_sync_is_durable() {
        let fs = MemFs::new();
        let p = Path::new("/f");
        let mut f = fs.open_append(p, true).expect("open");
        fs.sync_dir(Path::new("/")).expect("sync root");
        f.append(b"abcdef").expect("write");
        f.sync().expect("sync");
        f.truncate(2).expect("truncate");
        f.append(b"XY").expect("write");
        f.sync().expect("sync");
        assert_eq!(fs.crash_image().read_file(p).expect("read"), b"abXY");
    }

    #[test]
    fn faults_short_write_and_failed_sync() {
        let fs = MemFs::new();
        let p = Path::new("/wal");
        let mut f = fs.open_append(p, true).expect("open");
        fs.set_faults(Faults {
            write_budget: Some(3),
            ..Faults::default()
        });
        assert!(f.append(b"12345").is_err());
        assert_eq!(fs.read_file(p).expect("read"), b"123", "short write");
        fs.set_faults(Faults {
            fail_sync: true,
            path_filter: Some("other".into()),
            ..Faults::default()
        });
        f.sync().expect("filter does not match");
        fs.set_faults(Faults {
            fail_sync: true,
            ..Faults::default()
        });
        assert!(f.sync().is_err());
    }

    #[test]
    fn random_writes_survive_a_crash_only_when_synced() {
        let fs = MemFs::new();
        let p = Path::new("/pages");
        let f = fs.open_random(p, true).expect("open");
        fs.sync_dir(Path::new("/")).expect("sync root");
        f.write_at(0, b"aaaaaaaa").expect("write");
        f.sync().expect("sync");
        f.write_at(2, b"BB").expect("overwrite");
        f.write_at(10, b"CC").expect("write past the end");
        let mut buf = [0u8; 12];
        assert_eq!(f.read_at(0, &mut buf).expect("read"), 12);
        assert_eq!(&buf, b"aaBBaaaa\0\0CC");
        assert_eq!(fs.crash_image().read_file(p).expect("read"), b"aaaaaaaa");
        f.sync().expect("sync");
        assert_eq!(
            fs.crash_image().read_file(p).expect("read"),
            b"aaBBaaaa\0\0CC"
        );
        fs.set_faults(Faults {
            write_budget: Some(1),
            ..Faults::default()
        });
        assert!(f.write_at(0, b"XY").is_err(), "short write fails");
        assert_eq!(fs.read_file(p).expect("read")[..2], *b"Xa");
        f.set_len(4).expect("set_len");
        assert_eq!(f.len().expect("len"), 4);
    }

    #[test]
    fn rename_moves_directories_with_contents() {
        let fs = MemFs::new();
        fs.create_dir(Path::new("/a")).expect("mkdir");
        fs.open_append(Path::new("/a/f"), true)
            .expect("open")
            .append(b"x")
            .expect("write");
        fs.rename(Path::new("/a"), Path::new("/b")).expect("rename");
        assert_eq!(fs.read_file(Path::new("/b/f")).expect("read"), b"x");
        assert!(!fs.exists(Path::new("/a")).expect("exists"));
        assert_eq!(fs.files_under(Path::new("/")), vec![PathBuf::from("/b/f")]);
    }
}
