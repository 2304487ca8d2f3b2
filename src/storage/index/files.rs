//! Index definition files under `tables/<dir>/indexes/`: read at recovery,
//! brought in line with the catalog when DDL is published and at recovery.
//!
//! One file per index, `<id>.meta` (format in [`super::meta`]), replaced
//! atomically. Like a table's `meta` and `schema`, these files are written
//! after the DDL's WAL record is durable, so the WAL is authoritative for
//! DDL since the last checkpoint, and the checkpoint lists each table's
//! index ids so that a lost file is detected. Other entries of the directory
//! are left alone (index entries live in the page file), except
//! leftover `*.tmp` files of an interrupted replace, which are removed.

use std::collections::BTreeMap;
use std::path::Path;

use super::meta::{decode_file, encode_file, file_name, parse_name};
use crate::error::{Error, Result};
use crate::storage::io::{FileSystem, atomic_replace};
use crate::storage::metafile::{self, rel};
use crate::storage::{IndexId, IndexMeta, TableId};

/// The definitions in `dir` (the `indexes/` of table `table`), and the
/// names of leftover temporary files. A definition file that fails its
/// checks, or names another index or table, is corruption.
pub fn scan(
    fs: &dyn FileSystem,
    root: &Path,
    dir: &Path,
    table: TableId,
) -> Result<(BTreeMap<IndexId, IndexMeta>, Vec<String>)> {
    let mut defs = BTreeMap::new();
    let mut stray = Vec::new();
    if !fs.exists(dir)? {
        return Ok((defs, stray));
    }
    for e in fs.list_dir(dir)? {
        if e.is_dir {
            continue;
        }
        let Some(id) = parse_name(&e.name) else {
            if e.name.ends_with(".tmp") {
                stray.push(e.name);
            }
            continue;
        };
        let path = dir.join(&e.name);
        let (data, label) = metafile::read(fs, root, &path)?;
        let m = decode_file(&data, &label)?;
        if m.id != id || m.table != table {
            return Err(Error::corrupted(
                rel(root, &path),
                0,
                format!("defines index {} of table {}", m.id, m.table),
            ));
        }
        defs.insert(id, m);
    }
    Ok((defs, stray))
}

/// Makes `dir` hold exactly the definitions `want`, given that it holds
/// `have` and the leftover files `stray`; fsyncs what changed.
pub fn sync(
    fs: &dyn FileSystem,
    dir: &Path,
    have: &BTreeMap<IndexId, IndexMeta>,
    stray: &[String],
    want: &[&IndexMeta],
    sync: bool,
) -> Result<()> {
    fs.create_dir(dir)?;
    let mut removed = false;
    let gone = have
        .keys()
        .filter(|id| !want.iter().any(|m| m.id == **id))
        .map(|id| file_name(*id));
    for name in stray.iter().cloned().chain(gone) {
        let path = dir.join(name);
        if fs.exists(&path)? {
            fs.remove_file(&path)?;
            removed = true;
        }
    }
    for m in want {
        if have.get(&m.id) != Some(*m) {
            // atomic_replace fsyncs the directory itself.
            atomic_replace(fs, dir, &file_name(m.id), &encode_file(m), sync)?;
        }
    }
    if removed && sync {
        fs.sync_dir(dir)?;
    }
    Ok(())
}
