//! Scratch files for statements whose intermediate results outgrow memory
//! (`sql::executor::spool`): created under `<data>/tmp/`, never fsynced,
//! removed when dropped. A crash can leave some behind; storage open
//! removes the whole `tmp/` directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::io::{FileSystem, RandomFile};
use crate::error::Result;

/// The scratch directory under the data directory.
pub const TMP_DIR: &str = "tmp";

/// Makes file names unique within the process.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A scratch file, removed on drop.
#[derive(Debug)]
pub struct TempFile {
    fs: Arc<dyn FileSystem>,
    path: PathBuf,
    file: Box<dyn RandomFile>,
}

impl TempFile {
    /// Creates an empty scratch file named after `what` under `root/tmp/`.
    pub fn create(fs: &Arc<dyn FileSystem>, root: &Path, what: &str) -> Result<TempFile> {
        let dir = root.join(TMP_DIR);
        if !fs.exists(&dir)? {
            fs.create_dir(&dir)?;
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{what}-{}-{n}", std::process::id()));
        let file = fs.open_random(&path, true)?;
        file.set_len(0)?;
        Ok(TempFile {
            fs: fs.clone(),
            path,
            file,
        })
    }

    /// The open file.
    pub fn file(&self) -> &dyn RandomFile {
        self.file.as_ref()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = self.fs.remove_file(&self.path);
    }
}
