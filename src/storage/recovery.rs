//! Recovery: rebuilds the in-memory state from the last checkpoint plus the
//! WAL written since, and repairs the derived files.
//!
//! 1. Read `CHECKPOINT` (none: a new database).
//! 2. Read every `tables/*/meta` and `schema`, and the index definitions
//!    under `tables/*/indexes/`.
//! 3. For each table in the checkpoint, replay its segments, each up to the
//!    length the checkpoint recorded, into a fresh version store; cut what
//!    lies past them (see `segment::reader`). Take the indexes the
//!    checkpoint lists for it from their definition files. Read the
//!    checkpoint's count of `seqtime` records.
//! 4. Replay the WAL files from the checkpoint's on, in order: DDL onto the
//!    catalog (absolute, so idempotent), events onto the stores, each data
//!    commit's time onto the seq↔time index. Seqs must follow each other;
//!    commits at or below the checkpoint seq are skipped (idempotent by seq).
//!    A checkpointed table or index whose file is gone must be dropped by
//!    the WAL, or that is corruption.
//! 5. Fill every index from its table's versions: index contents are
//!    derived data, not persisted yet (the B-tree issue will persist them).
//!    Make `tables/` match the recovered catalog (`catalog_store::reconcile`):
//!    this finishes or undoes whatever DDL a crash interrupted.
//! 6. Queue the replayed events for the segments and the replayed times for
//!    `seqtime`; the caller then runs a checkpoint, which makes them durable,
//!    starts a fresh WAL file and deletes the replayed ones.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::catalog_store::{
    self, Catalog, DdlOp, IndexDef, TableDef, apply_ddl, reconcile, segments_dir,
};
use super::checkpoint::{self, CheckpointFile};
use super::engine::Derived;
use super::event::Event;
use super::index::{IndexStore, meta as index_meta};
use super::io::FileSystem;
use super::metafile::rel;
use super::segment::{reader as seg_reader, writer::SegmentWriter};
use super::seqtime::{self, SeqTimeWriter};
use super::table::TableStore;
use super::wal::{self, recovery::LoggedTxn};
use super::{IndexId, Seq, TableId, TailCut, Tuning};
use crate::error::{Error, Result};
use crate::log_info;

/// What recovery hands to the engine.
#[derive(Debug)]
pub struct Recovered {
    /// The catalog (published and applied).
    pub catalog: Catalog,
    /// The last committed seq.
    pub last_seq: Seq,
    /// Its time.
    pub last_time: i64,
    /// Commit times of seqs 1..=last_seq.
    pub times: Vec<i64>,
    /// Derived files, ready for the closing checkpoint.
    pub derived: Derived,
    /// Tails cut off files.
    pub cuts: Vec<TailCut>,
}

/// A segment frame to rewrite from the WAL.
type Replayed = (Seq, u64, u8, Vec<u8>);

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

/// Runs steps 1–6 on the data directory `root`.
pub fn recover(
    fs: &dyn FileSystem,
    root: &Path,
    fsync: bool,
    tuning: &Tuning,
) -> Result<Recovered> {
    let tables_dir = root.join("tables");
    let wal_dir = root.join("wal");
    create_dirs(fs, &wal_dir, fsync)?;
    create_dirs(fs, &tables_dir, fsync)?;
    let ck = match checkpoint::read(fs, root)? {
        Some(ck) => ck,
        None => {
            if !fs.list_dir(&tables_dir)?.is_empty() {
                return Err(Error::corrupted(
                    checkpoint::FILE_NAME,
                    0,
                    "file missing, but tables exist",
                ));
            }
            CheckpointFile::default()
        }
    };
    let disk = catalog_store::scan(fs, root, &tables_dir)?;
    let mut state = State::load(fs, root, &tables_dir, &ck, &disk)?;
    let st_path = root.join(seqtime::FILE_NAME);
    let times = if fs.exists(&st_path)? {
        seqtime::read_times(
            &fs.read_file(&st_path)?,
            ck.seqtime_count,
            seqtime::FILE_NAME,
        )?
    } else if ck.seqtime_count == 0 {
        Vec::new()
    } else {
        return Err(Error::corrupted(seqtime::FILE_NAME, 0, "file missing"));
    };
    if times.len() as u64 != ck.seq {
        return Err(Error::corrupted(
            seqtime::FILE_NAME,
            0,
            format!("{} records for checkpoint seq {}", times.len(), ck.seq),
        ));
    }
    state.times = times;
    state.last_seq = ck.seq;
    let txns = wal::recovery::read_all(fs, root, &wal_dir, ck.wal_no, &mut state.cuts)?;
    let n = txns.len();
    for t in txns {
        state.replay(t)?;
    }
    if let Some((_, (_, file))) = state.missing_ix.iter().next() {
        return Err(Error::corrupted(
            file.clone(),
            0,
            "index definition file missing",
        ));
    }
    if let Some(id) = state.missing.iter().next() {
        let name = state
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
    fill_indexes(&state.catalog)?;
    let current: BTreeMap<_, _> = disk.tables.iter().map(|(id, d)| (*id, d.state())).collect();
    reconcile(
        fs,
        &tables_dir,
        &current,
        &disk.stale,
        &state.catalog,
        fsync,
    )?;
    let derived = state.derived(fs, root, &ck, tuning)?;
    if n > 0 {
        log_info!(
            "recovery replayed {n} transactions from the WAL; last seq is {}",
            state.last_seq
        );
    }
    Ok(Recovered {
        last_time: state.times.last().copied().unwrap_or(0),
        last_seq: state.last_seq,
        times: state.times,
        catalog: state.catalog,
        derived,
        cuts: state.cuts,
    })
}

/// Fills every index of `cat` from its table's versions.
fn fill_indexes(cat: &Catalog) -> Result<()> {
    for ix in cat.indexes.values() {
        let table = cat.tables.get(&ix.meta.table).ok_or_else(|| {
            Error::Internal(format!(
                "index {} of missing table {}",
                ix.meta.id, ix.meta.table
            ))
        })?;
        ix.store.fill(&table.store, &ix.meta.columns)?;
    }
    if !cat.indexes.is_empty() {
        log_info!(
            "recovery rebuilt {} index(es) from table history",
            cat.indexes.len()
        );
    }
    Ok(())
}

struct State {
    catalog: Catalog,
    /// Tables whose segments were loaded: the length of each.
    loaded: BTreeMap<TableId, Vec<u64>>,
    /// Checkpointed tables whose directory is gone (must be dropped by the WAL).
    missing: BTreeSet<TableId>,
    /// Checkpointed indexes whose definition file is gone (must be dropped
    /// by the WAL, directly or with their table): their table and file.
    missing_ix: BTreeMap<IndexId, (TableId, String)>,
    replayed: BTreeMap<TableId, Vec<Replayed>>,
    times: Vec<i64>,
    last_seq: Seq,
    cuts: Vec<TailCut>,
}

impl State {
    fn load(
        fs: &dyn FileSystem,
        root: &Path,
        tables_dir: &Path,
        ck: &CheckpointFile,
        disk: &catalog_store::DiskScan,
    ) -> Result<State> {
        let mut st = State {
            catalog: Catalog {
                tables: BTreeMap::new(),
                indexes: BTreeMap::new(),
                next_table_id: ck.next_table_id,
            },
            loaded: BTreeMap::new(),
            missing: BTreeSet::new(),
            missing_ix: BTreeMap::new(),
            replayed: BTreeMap::new(),
            times: Vec::new(),
            last_seq: 0,
            cuts: Vec::new(),
        };
        for t in &ck.tables {
            let store = TableStore::new();
            store.raise_next_rowid(t.next_rowid);
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
                    let dir = tables_dir.join(&d.dir);
                    let schema = d.schema.clone().ok_or_else(|| {
                        Error::corrupted(rel(root, &dir.join("schema")), 0, "schema file missing")
                    })?;
                    def.name = d.meta.name.clone();
                    def.schema = Arc::new(schema.blob);
                    def.stamp_seq = schema.stamp_seq;
                    def.stamp_micros = schema.stamp_micros;
                    let seg_dir = dir.join("segments");
                    let (store, cuts) = (&def.store, &mut st.cuts);
                    seg_reader::load(fs, root, &seg_dir, t.id, &t.segments, store, cuts)?;
                    st.loaded.insert(t.id, t.segments.clone());
                    st.load_indexes(t, &d.indexes, &rel(root, &dir));
                }
                None => {
                    st.missing.insert(t.id);
                    let dir = format!("tables/{}", catalog_store::dir_name(&t.name));
                    st.load_indexes(t, &BTreeMap::new(), &dir);
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
    ) {
        for id in &t.indexes {
            match found.get(id) {
                Some(meta) => {
                    let def = IndexDef {
                        meta: meta.clone(),
                        store: std::sync::Arc::new(IndexStore::new()),
                    };
                    self.catalog.indexes.insert(*id, def);
                }
                None => {
                    let file = format!("{dir}/indexes/{}", index_meta::file_name(*id));
                    self.missing_ix.insert(*id, (t.id, file));
                }
            }
        }
    }

    fn replay(&mut self, t: LoggedTxn) -> Result<()> {
        let bad = |e: String| Error::corrupted(t.file.clone(), t.offset, e);
        let rec = t.rec;
        if let Some(s) = rec.seq {
            if s <= self.last_seq {
                return Ok(());
            }
            if s != self.last_seq + 1 {
                return Err(bad(format!(
                    "commit of seq {s} follows seq {}",
                    self.last_seq
                )));
            }
        }
        for op in &rec.ddl {
            if let DdlOp::CreateIndex(m) = op
                && !self.catalog.tables.contains_key(&m.table)
            {
                return Err(bad(format!("index {} of unknown table {}", m.id, m.table)));
            }
            apply_ddl(&mut self.catalog, op, rec.stamp_seq, rec.micros);
            match op {
                DdlOp::Drop { id } => {
                    self.missing.remove(id);
                    self.missing_ix.retain(|_, (t, _)| t != id);
                    self.loaded.remove(id);
                    self.replayed.remove(id);
                }
                DdlOp::DropIndex { id } => {
                    self.missing_ix.remove(id);
                }
                DdlOp::Create { id, .. } => {
                    self.loaded.remove(id);
                    self.replayed.remove(id);
                }
                DdlOp::Alter { .. } | DdlOp::CreateIndex(_) => {}
            }
        }
        for (id, v) in &rec.rowids {
            if let Some(def) = self.catalog.tables.get(id) {
                def.store.raise_next_rowid(*v);
            }
        }
        let Some(seq) = rec.seq else { return Ok(()) };
        let ms = u64::try_from(rec.micros.div_euclid(1000)).unwrap_or(0);
        for e in rec.events {
            let def = self
                .catalog
                .tables
                .get(&e.table)
                .ok_or_else(|| bad(format!("event for unknown table {}", e.table)))?;
            if self.missing.contains(&e.table) {
                return Err(bad(format!(
                    "event for table {} whose directory is missing",
                    e.table
                )));
            }
            let ev = Event::decode(e.event_type, &e.payload).map_err(bad)?;
            def.store.apply_event(seq, ev).map_err(bad)?;
            self.replayed
                .entry(e.table)
                .or_default()
                .push((seq, ms, e.event_type, e.payload));
        }
        self.times.push(rec.micros);
        self.last_seq = seq;
        Ok(())
    }

    /// Segment writers positioned after the checkpointed data, holding the
    /// replayed frames; the `seqtime` writer holding the replayed times.
    fn derived(
        &mut self,
        fs: &dyn FileSystem,
        root: &Path,
        ck: &CheckpointFile,
        tuning: &Tuning,
    ) -> Result<Derived> {
        let tables_dir = root.join("tables");
        let mut segments = BTreeMap::new();
        for (id, t) in &self.catalog.tables {
            let dir = segments_dir(&tables_dir, &t.name);
            let lens = match self.loaded.remove(id) {
                Some(lens) => lens,
                None => {
                    seg_reader::discard_all(fs, &dir)?;
                    Vec::new()
                }
            };
            let mut w = SegmentWriter::new(dir, *id, lens).with_limit(tuning.segment_limit);
            for (seq, ms, ty, payload) in self.replayed.remove(id).unwrap_or_default() {
                w.append(fs, seq, ms, ty, &payload)?;
            }
            segments.insert(*id, w);
        }
        let mut seqtime =
            SeqTimeWriter::open(fs, &root.join(seqtime::FILE_NAME), ck.seqtime_count)?;
        for (i, t) in self
            .times
            .iter()
            .enumerate()
            .skip(ck.seqtime_count as usize)
        {
            seqtime.append(i as u64 + 1, *t)?;
        }
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
        })
    }
}
