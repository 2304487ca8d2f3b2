//! The catalog as storage keeps it: table id → (name, schema blob, handle
//! on its version trees) and index id → (definition, handle on its trees),
//! in memory (one entry per table and index, nothing per row), and its
//! on-disk copy under `tables/<dir>/`.
//!
//! A table's directory is named after the table ([`dir_name`]): bytes
//! outside `[a-z0-9_-]` are escaped as `%xx`, so any SQL name (quoted,
//! mixed-case, non-ASCII, `.`) maps to one safe, case-insensitive-safe file
//! name. Directories beginning with `.` are never table names: they are
//! temporary names used while renaming.
//!
//! ```text
//! tables/<dir>/meta        table id and name        (atomic replace)
//! tables/<dir>/schema      stamp + catalog blob     (atomic replace)
//! tables/<dir>/segments/   event segments
//! tables/<dir>/snapshots/  (empty: reserved for materialized snapshots)
//! tables/<dir>/indexes/    <id>.meta: one file per index definition (atomic replace)
//! ```
//!
//! Index and table names share one namespace (PostgreSQL's relations), and
//! index ids come from the table id counter.
//!
//! The WAL, not these files, is authoritative for DDL since the last
//! checkpoint: they are written after a DDL commit is durable, and
//! [`reconcile`] brings the directories in line with a catalog (at DDL
//! publication, and at recovery after the WAL was replayed, which also
//! repairs whatever a crash interrupted: half-created, half-renamed or
//! half-removed directories).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::btree::BTreeStore;
use super::index::{IndexStore, files as index_files};
use super::io::{FileSystem, atomic_replace};
use super::metafile::{self, MetaFile, SchemaFile};
use super::table::TableStore;
use super::{IndexId, IndexMeta, Seq, TableId, TableMeta};
use crate::error::{Error, Result};

/// The first table id (PostgreSQL's FirstNormalObjectId), so that ids can be
/// used as table OIDs on the wire without clashing with system OIDs.
pub const FIRST_TABLE_ID: TableId = 16_384;

/// Sub-directories of every table directory.
pub const SUBDIRS: [&str; 3] = ["segments", "snapshots", "indexes"];

/// One table in the catalog.
#[derive(Debug, Clone)]
pub struct TableDef {
    /// Stable id.
    pub id: TableId,
    /// Current name.
    pub name: String,
    /// The catalog's blob.
    pub schema: Arc<Vec<u8>>,
    /// Seq of the commit that last set name or schema.
    pub stamp_seq: Seq,
    /// Time of that commit.
    pub stamp_micros: i64,
    /// The table's versions.
    pub store: Arc<TableStore>,
}

/// One secondary index in the catalog.
#[derive(Debug, Clone)]
pub struct IndexDef {
    /// Its definition.
    pub meta: IndexMeta,
    /// Its entries.
    pub store: Arc<IndexStore>,
}

/// All tables and indexes.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// By id.
    pub tables: BTreeMap<TableId, TableDef>,
    /// Secondary indexes by id (each names its table).
    pub indexes: BTreeMap<IndexId, IndexDef>,
    /// The id the next CREATE TABLE or CREATE INDEX gets (ids are never
    /// reused).
    pub next_table_id: TableId,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            tables: BTreeMap::new(),
            indexes: BTreeMap::new(),
            next_table_id: FIRST_TABLE_ID,
        }
    }
}

impl Catalog {
    /// The table named `name`.
    pub fn by_name(&self, name: &str) -> Option<&TableDef> {
        self.tables.values().find(|t| t.name == name)
    }

    /// True if a table other than `except`, or an index, is named `name`
    /// (tables and indexes share one namespace).
    pub fn name_taken(&self, name: &str, except: Option<TableId>) -> bool {
        self.by_name(name).is_some_and(|t| Some(t.id) != except)
            || self.index_by_name(name).is_some()
    }

    /// The index named `name`.
    pub fn index_by_name(&self, name: &str) -> Option<&IndexDef> {
        self.indexes.values().find(|i| i.meta.name == name)
    }

    /// The indexes of `table`, by id.
    pub fn indexes_of(&self, table: TableId) -> impl Iterator<Item = &IndexDef> {
        self.indexes.values().filter(move |i| i.meta.table == table)
    }

    /// Every table, by id.
    pub fn metas(&self) -> Vec<TableMeta> {
        self.tables
            .values()
            .map(|t| TableMeta {
                id: t.id,
                name: t.name.clone(),
                schema: t.schema.clone(),
            })
            .collect()
    }
}

/// One DDL change, as logged in the WAL. Each carries absolute state, so
/// replaying it over a catalog that already holds it changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DdlOp {
    /// A new table.
    Create {
        /// Its id.
        id: TableId,
        /// Its name.
        name: String,
        /// Its schema blob.
        schema: Arc<Vec<u8>>,
    },
    /// New name and/or schema.
    Alter {
        /// The table.
        id: TableId,
        /// Its name after the change.
        name: String,
        /// Its schema blob after the change.
        schema: Arc<Vec<u8>>,
    },
    /// The table is gone (and so are its indexes).
    Drop {
        /// The table.
        id: TableId,
    },
    /// A new secondary index.
    CreateIndex(IndexMeta),
    /// The index is gone.
    DropIndex {
        /// The index.
        id: IndexId,
    },
}

/// The DDL that turns `before` into `after`: index drops, table drops,
/// alters, table creates, index creates (so a name freed by a drop or
/// rename can be taken, and an index follows its table).
pub fn diff(before: &Catalog, after: &Catalog) -> Vec<DdlOp> {
    let mut ops = Vec::new();
    for id in before.indexes.keys() {
        if !after.indexes.contains_key(id) {
            ops.push(DdlOp::DropIndex { id: *id });
        }
    }
    for id in before.tables.keys() {
        if !after.tables.contains_key(id) {
            ops.push(DdlOp::Drop { id: *id });
        }
    }
    for (id, a) in &after.tables {
        let Some(b) = before.tables.get(id) else {
            continue;
        };
        if a.name != b.name || (!Arc::ptr_eq(&a.schema, &b.schema) && a.schema != b.schema) {
            ops.push(DdlOp::Alter {
                id: *id,
                name: a.name.clone(),
                schema: a.schema.clone(),
            });
        }
    }
    for (id, a) in &after.tables {
        if !before.tables.contains_key(id) {
            ops.push(DdlOp::Create {
                id: *id,
                name: a.name.clone(),
                schema: a.schema.clone(),
            });
        }
    }
    for (id, a) in &after.indexes {
        if !before.indexes.contains_key(id) {
            ops.push(DdlOp::CreateIndex(a.meta.clone()));
        }
    }
    ops
}

/// Applies one DDL op to the catalog (replay). Creates get handles on
/// their trees in `db`; making and dropping the trees is the caller's.
pub fn apply_ddl(
    cat: &mut Catalog,
    db: &Arc<BTreeStore>,
    op: &DdlOp,
    (stamp_seq, stamp_micros): (Seq, i64),
) {
    match op {
        DdlOp::Create { id, name, schema } => {
            cat.tables.insert(
                *id,
                TableDef {
                    id: *id,
                    name: name.clone(),
                    schema: schema.clone(),
                    stamp_seq,
                    stamp_micros,
                    store: Arc::new(TableStore::new(*id, db.clone())),
                },
            );
            cat.next_table_id = cat.next_table_id.max(id.saturating_add(1));
        }
        DdlOp::Alter { id, name, schema } => {
            if let Some(t) = cat.tables.get_mut(id) {
                t.name = name.clone();
                t.schema = schema.clone();
                t.stamp_seq = stamp_seq;
                t.stamp_micros = stamp_micros;
            }
        }
        DdlOp::Drop { id } => {
            cat.tables.remove(id);
            cat.indexes.retain(|_, i| i.meta.table != *id);
        }
        DdlOp::CreateIndex(meta) => {
            if cat.indexes.get(&meta.id).is_none_or(|i| i.meta != *meta) {
                let def = IndexDef {
                    meta: meta.clone(),
                    store: Arc::new(IndexStore::new(meta.id, db.clone())),
                };
                cat.indexes.insert(meta.id, def);
            }
            cat.next_table_id = cat.next_table_id.max(meta.id.saturating_add(1));
        }
        DdlOp::DropIndex { id } => {
            cat.indexes.remove(id);
        }
    }
}

/// The directory name of a table: see the module docs.
pub fn dir_name(table: &str) -> String {
    let mut out = String::with_capacity(table.len());
    for b in table.bytes() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    if out.is_empty() {
        out.push('%');
    }
    out
}

/// A table directory as found on disk.
#[derive(Debug, Clone)]
pub struct DiskTable {
    /// The directory's name under `tables/`.
    pub dir: String,
    /// Its `meta`.
    pub meta: MetaFile,
    /// Its `schema`, if present and readable.
    pub schema: Option<SchemaFile>,
    /// The index definitions under its `indexes/`.
    pub indexes: BTreeMap<IndexId, IndexMeta>,
    /// Other files under `indexes/` (leftover temporary files).
    pub stray: Vec<String>,
}

impl DiskTable {
    /// Its state, as [`reconcile`] compares it.
    pub fn state(&self) -> DirState {
        DirState {
            dir: self.dir.clone(),
            name: self.meta.name.clone(),
            schema: self.schema.clone(),
            indexes: self.indexes.clone(),
            stray: self.stray.clone(),
        }
    }
}

/// What `tables/` holds: table directories with a `meta` file, and stale
/// directories without one (a create that a crash interrupted).
#[derive(Debug, Default)]
pub struct DiskScan {
    /// By table id.
    pub tables: BTreeMap<TableId, DiskTable>,
    /// Directory names holding no table.
    pub stale: Vec<String>,
}

/// Reads every table directory. A `meta` or `schema` file that exists but
/// fails its checks is corruption, never silently skipped.
pub fn scan(fs: &dyn FileSystem, root: &Path, tables_dir: &Path) -> Result<DiskScan> {
    let mut out = DiskScan::default();
    for e in fs.list_dir(tables_dir)? {
        if !e.is_dir {
            continue;
        }
        let dir = tables_dir.join(&e.name);
        let meta_path = dir.join("meta");
        if !fs.exists(&meta_path)? {
            out.stale.push(e.name);
            continue;
        }
        let (data, label) = metafile::read(fs, root, &meta_path)?;
        let meta = MetaFile::decode(&data, &label)?;
        let schema_path = dir.join("schema");
        let schema = if fs.exists(&schema_path)? {
            let (data, label) = metafile::read(fs, root, &schema_path)?;
            Some(SchemaFile::decode(&data, &label)?)
        } else {
            None
        };
        let (indexes, stray) = index_files::scan(fs, root, &dir.join("indexes"), meta.id)?;
        if let Some(other) = out.tables.get(&meta.id) {
            return Err(Error::corrupted(
                metafile::rel(root, &meta_path),
                0,
                format!(
                    "table id {} also claimed by directory \"{}\"",
                    meta.id, other.dir
                ),
            ));
        }
        out.tables.insert(
            meta.id,
            DiskTable {
                dir: e.name,
                meta,
                schema,
                indexes,
                stray,
            },
        );
    }
    Ok(out)
}

/// The on-disk state of a table as [`reconcile`] compares it.
#[derive(Debug, Clone)]
pub struct DirState {
    /// Directory name under `tables/`.
    pub dir: String,
    /// Name in its `meta`.
    pub name: String,
    /// Its schema file (None if missing).
    pub schema: Option<SchemaFile>,
    /// Its index definition files.
    pub indexes: BTreeMap<IndexId, IndexMeta>,
    /// Other files under its `indexes/`, to remove.
    pub stray: Vec<String>,
}

impl DirState {
    /// What table `t` of a published catalog `cat` has on disk.
    pub fn of(t: &TableDef, cat: &Catalog) -> DirState {
        DirState {
            dir: dir_name(&t.name),
            name: t.name.clone(),
            schema: Some(schema_file(t)),
            indexes: cat
                .indexes_of(t.id)
                .map(|i| (i.meta.id, i.meta.clone()))
                .collect(),
            stray: Vec::new(),
        }
    }
}

fn schema_file(t: &TableDef) -> SchemaFile {
    SchemaFile {
        stamp_seq: t.stamp_seq,
        stamp_micros: t.stamp_micros,
        blob: t.schema.as_ref().clone(),
    }
}

/// Makes `tables/` match `target`, given what is there now (`current`, by
/// id) and stale directory names to remove. Removes dropped tables, renames
/// (through temporary `.mv-<id>` names, so swapped names work), creates new
/// tables with their sub-directories, rewrites changed `meta`/`schema`,
/// writes and removes index definition files, and fsyncs what it changed.
pub fn reconcile(
    fs: &dyn FileSystem,
    tables_dir: &Path,
    current: &BTreeMap<TableId, DirState>,
    stale: &[String],
    target: &Catalog,
    sync: bool,
) -> Result<()> {
    let mut dirty = false;
    for name in stale {
        fs.remove_dir_all(&tables_dir.join(name))?;
        dirty = true;
    }
    for (id, cur) in current {
        if !target.tables.contains_key(id) {
            fs.remove_dir_all(&tables_dir.join(&cur.dir))?;
            dirty = true;
        }
    }
    let mut placed: BTreeMap<TableId, String> = BTreeMap::new();
    for (id, cur) in current {
        if let Some(t) = target.tables.get(id) {
            let want = dir_name(&t.name);
            if cur.dir != want {
                let tmp = format!(".mv-{id}");
                fs.rename(&tables_dir.join(&cur.dir), &tables_dir.join(&tmp))?;
                placed.insert(*id, tmp);
                dirty = true;
            } else {
                placed.insert(*id, want);
            }
        }
    }
    for (id, dir) in placed.iter_mut() {
        let want = dir_name(&target.tables[id].name);
        if *dir != want {
            fs.rename(&tables_dir.join(&*dir), &tables_dir.join(&want))?;
            *dir = want;
        }
    }
    for (id, t) in &target.tables {
        let path = tables_dir.join(dir_name(&t.name));
        match current.get(id) {
            None => {
                create_table_dir(fs, &path, t, sync)?;
                dirty = true;
            }
            Some(cur) => rewrite_if_changed(fs, &path, cur, t, sync)?,
        }
        let empty = BTreeMap::new();
        let (have, stray) = current
            .get(id)
            .map_or((&empty, &[][..]), |c| (&c.indexes, &c.stray[..]));
        let want: Vec<&IndexMeta> = target.indexes_of(*id).map(|i| &i.meta).collect();
        index_files::sync(fs, &path.join("indexes"), have, stray, &want, sync)?;
    }
    if dirty && sync {
        fs.sync_dir(tables_dir)?;
    }
    Ok(())
}

fn create_table_dir(fs: &dyn FileSystem, path: &Path, t: &TableDef, sync: bool) -> Result<()> {
    if fs.exists(path)? {
        // A stale directory of an earlier, interrupted attempt.
        fs.remove_dir_all(path)?;
    }
    fs.create_dir(path)?;
    for sub in SUBDIRS {
        fs.create_dir(&path.join(sub))?;
    }
    let meta = MetaFile {
        id: t.id,
        name: t.name.clone(),
    };
    atomic_replace(fs, path, "schema", &schema_file(t).encode(), sync)?;
    atomic_replace(fs, path, "meta", &meta.encode(), sync)?;
    Ok(())
}

fn rewrite_if_changed(
    fs: &dyn FileSystem,
    path: &Path,
    cur: &DirState,
    t: &TableDef,
    sync: bool,
) -> Result<()> {
    let want = schema_file(t);
    if cur.schema.as_ref() != Some(&want) {
        atomic_replace(fs, path, "schema", &want.encode(), sync)?;
    }
    if cur.name != t.name {
        let meta = MetaFile {
            id: t.id,
            name: t.name.clone(),
        };
        atomic_replace(fs, path, "meta", &meta.encode(), sync)?;
    }
    for sub in SUBDIRS {
        fs.create_dir(&path.join(sub))?;
    }
    Ok(())
}

/// The segments directory of a table.
pub fn segments_dir(tables_dir: &Path, name: &str) -> PathBuf {
    tables_dir.join(dir_name(name)).join("segments")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::mem::MemFs;

    fn db() -> Arc<BTreeStore> {
        crate::storage::table::tests::store().db().clone()
    }

    fn def(id: TableId, name: &str, schema: &[u8]) -> TableDef {
        TableDef {
            id,
            name: name.into(),
            schema: Arc::new(schema.to_vec()),
            stamp_seq: 0,
            stamp_micros: 0,
            store: Arc::new(TableStore::new(id, db())),
        }
    }

    fn cat(defs: Vec<TableDef>) -> Catalog {
        let mut c = Catalog::default();
        for d in defs {
            c.tables.insert(d.id, d);
        }
        c
    }

    #[test]
    fn dir_names_are_safe_and_distinct() {
        assert_eq!(dir_name("events"), "events");
        assert_eq!(dir_name("Events"), "%45vents");
        assert_eq!(dir_name(".."), "%2e%2e");
        assert_eq!(dir_name("a/b"), "a%2fb");
        assert_eq!(dir_name("é"), "%c3%a9");
        assert_ne!(dir_name("a%"), dir_name("a%25"));
        assert!(!dir_name("").is_empty());
    }

    #[test]
    fn diff_orders_drop_alter_create() {
        let a = cat(vec![def(1, "a", b"s"), def(2, "b", b"s")]);
        let b = cat(vec![def(2, "a", b"s"), def(3, "b", b"t")]);
        let ops = diff(&a, &b);
        assert_eq!(ops.len(), 3);
        assert!(matches!(ops[0], DdlOp::Drop { id: 1 }));
        assert!(matches!(&ops[1], DdlOp::Alter { id: 2, name, .. } if name == "a"));
        assert!(matches!(&ops[2], DdlOp::Create { id: 3, .. }));
        let mut replay = a.clone();
        let db = db();
        for op in &ops {
            apply_ddl(&mut replay, &db, op, (0, 0));
        }
        for op in &ops {
            apply_ddl(&mut replay, &db, op, (0, 0));
        }
        assert_eq!(
            replay
                .metas()
                .iter()
                .map(|m| (m.id, m.name.clone()))
                .collect::<Vec<_>>(),
            vec![(2, "a".to_string()), (3, "b".to_string())],
            "replaying twice is idempotent"
        );
    }

    #[test]
    fn reconcile_swaps_names_and_removes_stale() {
        let fs = MemFs::new();
        let root = Path::new("/db");
        let tables = root.join("tables");
        fs.create_dir(root).expect("mkdir");
        fs.create_dir(&tables).expect("mkdir");
        let before = cat(vec![def(1, "a", b"1"), def(2, "b", b"2")]);
        reconcile(&fs, &tables, &BTreeMap::new(), &[], &before, true).expect("create");
        fs.create_dir(&tables.join("junk")).expect("mkdir");
        let after = cat(vec![def(1, "b", b"1"), def(2, "a", b"2x")]);
        let disk = scan(&fs, root, &tables).expect("scan");
        assert_eq!(disk.stale, vec!["junk".to_string()]);
        let current: BTreeMap<_, _> = disk.tables.iter().map(|(id, d)| (*id, d.state())).collect();
        reconcile(&fs, &tables, &current, &disk.stale, &after, true).expect("swap");
        let disk = scan(&fs, root, &tables).expect("scan");
        assert!(disk.stale.is_empty());
        assert_eq!(disk.tables[&1].dir, "b");
        assert_eq!(disk.tables[&2].dir, "a");
        assert_eq!(
            disk.tables[&2].schema.as_ref().map(|s| s.blob.clone()),
            Some(b"2x".to_vec())
        );
        assert!(fs.exists(&tables.join("a/snapshots")).expect("exists"));
    }
}
