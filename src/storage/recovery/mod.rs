//! Recovery: the last checkpoint of the page file plus the WAL written
//! since, and repairs of the derived files. Nothing is rebuilt: the page
//! file holds every table's versions and every index as of its last
//! checkpoint, so the work done here depends on the WAL since then (and on
//! the segment and `seqtime` bytes that checkpoint wrote, which are
//! re-read), not on the size of the tables or of their history.
//!
//! 1. Open the page file (`btree/pages`) at its last checkpoint and read
//!    the checkpoint record it holds (none: a new database; a data
//!    directory of the format before the page file is upgraded, see
//!    [`upgrade`]).
//! 2. Read every `tables/*/meta` and `schema`, and the index definitions
//!    under `tables/*/indexes/`.
//! 3. For each table in the record: check its trees exist; check its
//!    segments against the recorded lengths, re-reading the bytes the last
//!    checkpoint added and cutting what lies past them (see
//!    `segment::reader`). Take the indexes the record lists for it from
//!    their definition files. Check `seqtime` holds the recorded count.
//! 4. Replay the WAL files from the record's on, in order, one frame at a
//!    time (`wal::recovery::WalReader`, [`replay`]): DDL onto the catalog
//!    (absolute, so idempotent) and the trees (a table's trees are created;
//!    an index created since the checkpoint is filled from its table's
//!    history), events onto the table and index trees, each data commit's
//!    time onto the seq ↔ time trees and into `seqtime`, one B-tree write
//!    transaction per OPS frame and one for the COMMIT frame. Seqs must
//!    follow each other. A checkpointed table or index whose file is gone
//!    must be dropped by the WAL, or that is corruption. Replayed events
//!    go to a scratch file ([`spill`]), not memory: memory does not grow
//!    with the WAL or with a transaction.
//! 5. Make `tables/` match the recovered catalog
//!    (`catalog_store::reconcile`): this finishes or undoes whatever DDL a
//!    crash interrupted.
//! 6. Write the spilled events to the segments, now in their final
//!    directories; the caller then runs a checkpoint, which makes them,
//!    `seqtime` and the trees durable, drops trees nobody owns, starts a
//!    fresh WAL file and deletes the replayed ones.

mod replay;
mod spill;
mod upgrade;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::btree::BTreeStore;
use super::catalog_store::{self, Catalog, IndexDef, TableDef, reconcile, segments_dir};
use super::checkpoint::{self, CheckpointFile, Verify};
use super::engine::Derived;
use super::index::{IndexStore, meta as index_meta};
use super::io::FileSystem;
use super::metafile::rel;
use super::segment::{reader as seg_reader, writer::SegmentWriter};
use super::seqtime::{self, SeqTimeWriter, SeqTimes};
use super::table::TableStore;
use super::wal;
use super::wal::recovery::WalReader;
use super::{BTREE_DIR, BTREE_FILE, IndexId, Seq, TableId, TailCut, Tuning};
use crate::error::{Error, Result};
use crate::log_info;

/// What recovery hands to the engine.
#[derive(Debug)]
pub struct Recovered {
    /// The catalog (published and applied).
    pub catalog: Catalog,
    /// The page file.
    pub btree: Arc<BTreeStore>,
    /// The last committed seq.
    pub last_seq: Seq,
    /// Its time.
    pub last_time: i64,
    /// Derived files, ready for the closing checkpoint.
    pub derived: Derived,
    /// Tails cut off files.
    pub cuts: Vec<TailCut>,
    /// Transactions replayed from the WAL.
    pub replayed: u64,
    /// The data directory was upgraded from the format before the page
    /// file: its `CHECKPOINT` file goes once the closing checkpoint is done.
    pub upgraded: bool,
}

/// Creates `dir` and any missing parents.
pub fn create_dirs(fs: &dyn FileSystem, dir: &Path, sync: bool) -> Result<()> {
    let mut missing = Vec::new();
    for a in dir.ancestors() {
        if a.as_os_str().is_empty() || fs.exists(a)? {
            break;
        }
        missing.push(a);
    }
    for a in missing.iter().rev() {
        fs.create_dir(a)?;
        let parent = a.parent().filter(|p| !p.as_os_str().is_empty());
        if let (true, Some(p)) = (sync, parent) {
            fs.sync_dir(p)?;
        }
    }
    Ok(())
}

/// Where recovery works.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// The file system.
    pub fs: &'a dyn FileSystem,
    /// The data directory.
    pub root: &'a Path,
    /// fsync what recovery writes.
    pub fsync: bool,
    /// Size knobs.
    pub tuning: &'a Tuning,
    /// The page file's buffer pool budget.
    pub cache_bytes: usize,
}

/// Runs steps 1–6 on the data directory.
pub fn recover(env: Env<'_>) -> Result<Recovered> {
    let (fs, root) = (env.fs, env.root);
    let tables_dir = root.join("tables");
    let wal_dir = root.join("wal");
    create_dirs(fs, &wal_dir, env.fsync)?;
    create_dirs(fs, &tables_dir, env.fsync)?;
    let btree_dir = root.join(BTREE_DIR);
    let had_pages = fs.exists(&btree_dir.join("pages"))?;
    create_dirs(fs, &btree_dir, env.fsync)?;
    let btree = BTreeStore::open_labeled(fs, &btree_dir, env.cache_bytes, BTREE_FILE)?;
    let (ck, verify, upgraded) = match checkpoint::read_record(&btree)? {
        Some((ck, v)) => (ck, Some(v), false),
        None => match checkpoint::read_file(fs, root)? {
            Some(ck) => (ck, None, true),
            None if fs.list_dir(&tables_dir)?.is_empty() => {
                (CheckpointFile::default(), None, false)
            }
            None => {
                let why = if had_pages {
                    "no checkpoint record, but tables exist"
                } else {
                    "file missing, but tables exist"
                };
                return Err(Error::corrupted(BTREE_FILE, 0, why));
            }
        },
    };
    let mut w = btree.write()?;
    SeqTimes::create_trees(&mut w)?;
    w.commit()?;
    let disk = catalog_store::scan(fs, root, &tables_dir)?;
    let mut state = State::load(env, &btree, &ck, &disk, verify.as_ref(), upgraded)?;
    if upgraded {
        upgrade::load_history(env, &mut state, &ck)?;
    } else {
        let label = seqtime::FILE_NAME;
        let from = verify.as_ref().map_or(ck.seqtime_count, |v| v.seqtime_from);
        seqtime::check_file(fs, &root.join(label), label, from, ck.seqtime_count)?;
    }
    state.last_seq = ck.seq;
    state.last_time = last_time(&btree, ck.seq)?;
    state.seqtime = Some(SeqTimeWriter::open(
        fs,
        &root.join(seqtime::FILE_NAME),
        ck.seqtime_count,
    )?);
    let mut n = 0u64;
    for no in wal::recovery::files(fs, &wal_dir, ck.wal_no)? {
        let path = wal_dir.join(wal::file_name(no));
        let src = wal::recovery::open_file(fs, &path)?;
        let mut reader = WalReader::open(&src, no, &rel(root, &path))?;
        state.cuts.extend(reader.cut().cloned());
        while let Some(t) = reader.next_txn()? {
            n += 1;
            state.replay(fs, t, &mut reader)?;
        }
    }
    state.check_missing()?;
    let current: BTreeMap<_, _> = disk.tables.iter().map(|(id, d)| (*id, d.state())).collect();
    reconcile(
        fs,
        &tables_dir,
        &current,
        &disk.stale,
        &state.catalog,
        env.fsync,
    )?;
    let derived = state.derived(env, &ck, verify.unwrap_or_default())?;
    if n > 0 {
        log_info!(
            "recovery replayed {n} transactions from the WAL; last seq is {}",
            state.last_seq
        );
    }
    Ok(Recovered {
        last_time: state.last_time,
        last_seq: state.last_seq,
        catalog: state.catalog,
        btree,
        derived,
        cuts: state.cuts,
        replayed: n,
        upgraded,
    })
}

/// Corruption naming the first of `trees` (those of `owner()`) missing
/// from the page file.
fn trees_exist(
    snap: &super::btree::Snapshot,
    trees: &[&str],
    owner: impl Fn() -> String,
) -> Result<()> {
    match trees.iter().find(|n| !snap.contains_tree(n)) {
        Some(tree) => Err(Error::corrupted(
            BTREE_FILE,
            0,
            format!("tree \"{tree}\" of {} is missing", owner()),
        )),
        None => Ok(()),
    }
}

/// Removes the `CHECKPOINT` file of a data directory upgraded to the page
/// file, once the page file's first checkpoint is durable.
pub fn finish_upgrade(fs: &dyn FileSystem, root: &Path, fsync: bool) -> Result<()> {
    let path = root.join(checkpoint::FILE_NAME);
    if fs.exists(&path)? {
        fs.remove_file(&path)?;
        if fsync {
            fs.sync_dir(root)?;
        }
        log_info!("data directory upgraded: the page file holds every version now");
    }
    Ok(())
}

/// The time of `seq` (the checkpoint's last seq) from the seq ↔ time trees,
/// which must end there.
fn last_time(btree: &Arc<BTreeStore>, seq: Seq) -> Result<i64> {
    match SeqTimes::new(btree.clone()).last()? {
        Some((s, t)) if s == seq => Ok(t),
        None if seq == 0 => Ok(0),
        other => Err(Error::corrupted(
            BTREE_FILE,
            0,
            format!(
                "the seq/time index ends at seq {}, the checkpoint at seq {seq}",
                other.map_or(0, |(s, _)| s)
            ),
        )),
    }
}

/// Recovery's working state.
pub(super) struct State {
    btree: Arc<BTreeStore>,
    catalog: Catalog,
    /// Tables whose segments were checked: the length of each.
    loaded: BTreeMap<TableId, Vec<u64>>,
    /// Checkpointed tables whose directory is gone (must be dropped by the WAL).
    missing: BTreeSet<TableId>,
    /// Checkpointed indexes whose definition file is gone (must be dropped
    /// by the WAL, directly or with their table): their table and file.
    missing_ix: BTreeMap<IndexId, (TableId, String)>,
    /// Replayed events for the segments.
    spill: spill::Spill,
    /// The `seqtime` file, taking the replayed commit times (opened once
    /// the file is checked, before replay).
    seqtime: Option<SeqTimeWriter>,
    last_seq: Seq,
    last_time: i64,
    cuts: Vec<TailCut>,
}

impl State {
    fn load(
        env: Env<'_>,
        btree: &Arc<BTreeStore>,
        ck: &CheckpointFile,
        disk: &catalog_store::DiskScan,
        verify: Option<&Verify>,
        upgraded: bool,
    ) -> Result<State> {
        let mut st = State {
            btree: btree.clone(),
            catalog: Catalog {
                tables: BTreeMap::new(),
                indexes: BTreeMap::new(),
                next_table_id: ck.next_table_id,
            },
            loaded: BTreeMap::new(),
            missing: BTreeSet::new(),
            missing_ix: BTreeMap::new(),
            spill: spill::Spill::new(env.fs, env.root, &env.root.join("wal"))?,
            seqtime: None,
            last_seq: 0,
            last_time: 0,
            cuts: Vec::new(),
        };
        let snap = btree.snapshot();
        for t in &ck.tables {
            let store = TableStore::new(t.id, btree.clone());
            store.raise_next_rowid(t.next_rowid);
            store.raise_last_seq(t.last_seq);
            if !upgraded {
                trees_exist(&snap, &store.trees().all(), || format!("table {}", t.id))?;
            }
            let mut def = TableDef {
                id: t.id,
                name: t.name.clone(),
                schema: Arc::new(Vec::new()),
                stamp_seq: 0,
                stamp_micros: 0,
                store: Arc::new(store),
            };
            match disk.tables.get(&t.id) {
                Some(d) => {
                    let dir = env.root.join("tables").join(&d.dir);
                    let schema = d.schema.clone().ok_or_else(|| {
                        Error::corrupted(
                            rel(env.root, &dir.join("schema")),
                            0,
                            "schema file missing",
                        )
                    })?;
                    def.name = d.meta.name.clone();
                    def.schema = Arc::new(schema.blob);
                    def.stamp_seq = schema.stamp_seq;
                    def.stamp_micros = schema.stamp_micros;
                    let seg_dir = dir.join("segments");
                    let check_from =
                        verify.map(|v| v.tables.get(&t.id).map_or(&t.segments[..], |l| &l[..]));
                    let seg = (t.id, &t.segments[..]);
                    seg_reader::check(env.fs, env.root, &seg_dir, seg, check_from, &mut st.cuts)?;
                    st.loaded.insert(t.id, t.segments.clone());
                    st.load_indexes(t, &d.indexes, &rel(env.root, &dir), upgraded)?;
                }
                None => {
                    st.missing.insert(t.id);
                    let dir = format!("tables/{}", catalog_store::dir_name(&t.name));
                    st.load_indexes(t, &BTreeMap::new(), &dir, upgraded)?;
                }
            }
            st.catalog.tables.insert(t.id, def);
        }
        Ok(st)
    }

    /// Takes the indexes the checkpoint lists for `t` from `found` (the
    /// definitions in its directory `dir`); notes the missing ones.
    fn load_indexes(
        &mut self,
        t: &checkpoint::CkptTable,
        found: &BTreeMap<IndexId, super::IndexMeta>,
        dir: &str,
        upgraded: bool,
    ) -> Result<()> {
        let snap = self.btree.snapshot();
        for id in &t.indexes {
            match found.get(id) {
                Some(meta) => {
                    let store = IndexStore::new(*id, self.btree.clone());
                    if !upgraded {
                        trees_exist(&snap, &store.trees().all(), || format!("index {id}"))?;
                    }
                    let def = IndexDef {
                        meta: meta.clone(),
                        store: Arc::new(store),
                    };
                    self.catalog.indexes.insert(*id, def);
                }
                None => {
                    let file = format!("{dir}/indexes/{}", index_meta::file_name(*id));
                    self.missing_ix.insert(*id, (t.id, file));
                }
            }
        }
        Ok(())
    }

    /// Fails if a checkpointed table or index lost its file and the WAL
    /// did not drop it.
    fn check_missing(&self) -> Result<()> {
        if let Some((_, (_, file))) = self.missing_ix.iter().next() {
            return Err(Error::corrupted(
                file.clone(),
                0,
                "index definition file missing",
            ));
        }
        if let Some(id) = self.missing.iter().next() {
            let name = self
                .catalog
                .tables
                .get(id)
                .map(|t| t.name.clone())
                .unwrap_or_default();
            return Err(Error::corrupted(
                format!("tables/{}", catalog_store::dir_name(&name)),
                0,
                "table directory missing",
            ));
        }
        Ok(())
    }

    /// Segment writers positioned after the checkpointed data, holding the
    /// replayed frames; the `seqtime` writer holding the replayed times.
    fn derived(&mut self, env: Env<'_>, ck: &CheckpointFile, verify: Verify) -> Result<Derived> {
        let (fs, root) = (env.fs, env.root);
        let tables_dir = root.join("tables");
        let mut segments = BTreeMap::new();
        let mut ckpt_lens = BTreeMap::new();
        for (id, t) in &self.catalog.tables {
            let dir = segments_dir(&tables_dir, &t.name);
            let lens = match self.loaded.remove(id) {
                Some(lens) => lens,
                None => {
                    seg_reader::discard_all(fs, &dir)?;
                    Vec::new()
                }
            };
            ckpt_lens.insert(*id, lens.clone());
            let w = SegmentWriter::new(dir, *id, lens).with_limit(env.tuning.segment_limit);
            segments.insert(*id, w);
        }
        self.spill
            .drain(fs, |table, b| match segments.get_mut(&table) {
                Some(w) => w.append(fs, b.seq, b.unix_ms, b.event_type, b.payload),
                None => Ok(()),
            })?;
        let seqtime = self
            .seqtime
            .take()
            .ok_or_else(|| Error::Internal("recovery: the seqtime file was not opened".into()))?;
        let wal_no = wal::recovery::files(fs, &root.join("wal"), 0)?
            .last()
            .copied()
            .unwrap_or(0)
            .max(ck.wal_no);
        Ok(Derived {
            wal: None,
            wal_no,
            segments,
            seqtime,
            ckpt_lens,
            ckpt_seqtime: ck.seqtime_count,
            verify,
        })
    }
}
