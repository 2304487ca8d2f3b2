//! The engine's shared state and its commit path.
//!
//! Life of a commit ([`Inner::commit_append`], then [`Inner::wait_durable`]):
//!
//! 1. under `commit` (a short mutex: the one ordered commit path), assign
//!    the seq (data commits only) and a non-decreasing commit time, encode
//!    the WAL frames, and apply the changes in one B-tree write transaction
//!    (trees of new tables, row versions, index periods, the seq's time) at
//!    that seq, published to B-tree readers at once but invisible to them
//!    (seq > `visible`); append the frames to the group-commit buffer;
//! 2. the caller releases the write path, so the next transaction can start;
//! 3. wait until a group-commit leader has written and fsynced past the
//!    frames; the leader then *publishes* each covered commit in order:
//!    DDL reaches `tables/` and the published catalog, events reach the
//!    segments (buffered), the seq's time reaches `seqtime` (buffered), and
//!    `visible` advances to the seq. Only then does `commit()` return.
//!
//! Locks, always taken in this order: `commit` → group-commit state →
//! `derived` → `published` → the B-tree writer. Nobody waits for anything
//! while holding the B-tree writer. Readers take only `published`
//! (briefly, to find a table) and B-tree snapshots (lock-free).
//!
//! Trees of dropped tables and indexes, and of indexes a rolled-back
//! transaction built, are dropped by the next checkpoint (see
//! `storage::checkpoint`), which holds the commit path, so no reader of a
//! published catalog loses its trees before the drop is published.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, Weak};

use super::btree::BTreeStore;
use super::catalog_store::{Catalog, DirState, diff, reconcile, segments_dir};
use super::checkpoint::{self, Verify};
use super::index::IxChange;
use super::io::FileSystem;
use super::segment::writer::SegmentWriter;
use super::seqtime::{SeqTimeWriter, SeqTimes};
use super::table::Change;
use super::wal::record::{self, TxnRecord, WalEvent};
use super::wal::writer::{Flusher, GroupCommit};
use super::wal::{HEADER, WalFile};
use super::{IndexId, Seq, TableId, Tuning};
use crate::error::{Error, Result, SqlState};
use crate::temporal::Clock;
use crate::{log_error, sql_err};

/// The files written after the WAL: touched by the group-commit leader and by
/// checkpoints, never both at once.
#[derive(Debug)]
pub struct Derived {
    /// The WAL file being appended to (`None` only during recovery).
    pub wal: Option<WalFile>,
    /// Number of the newest WAL file.
    pub wal_no: u64,
    /// Segment writers by table.
    pub segments: BTreeMap<TableId, SegmentWriter>,
    /// The `seqtime` file.
    pub seqtime: SeqTimeWriter,
    /// Each table's segment lengths at the last checkpoint.
    pub ckpt_lens: BTreeMap<TableId, Vec<u64>>,
    /// `seqtime` records at the last checkpoint.
    pub ckpt_seqtime: u64,
    /// What the next open re-reads: the bytes the last checkpoint that
    /// added any made durable.
    pub verify: Verify,
}

/// State of the ordered commit path.
#[derive(Debug)]
pub struct CommitState {
    /// The last seq assigned (applied in memory, maybe not yet durable).
    pub last_seq: Seq,
    /// Its commit time.
    pub last_time: i64,
    /// The catalog as of the last applied commit: what the write path sees.
    pub applied: Arc<Catalog>,
    /// Set by shutdown: no more commits.
    pub closed: bool,
}

/// What the leader publishes for one commit.
#[derive(Debug)]
pub struct Publish {
    seq: Option<Seq>,
    micros: i64,
    /// (catalog before, catalog after) when the commit changed DDL.
    catalog: Option<(Arc<Catalog>, Arc<Catalog>)>,
    events: Vec<WalEvent>,
    /// A large commit's events are not kept: they are read back from its
    /// OPS frames, between these offsets of the current WAL file.
    logged: Option<(u64, u64)>,
}

/// In-memory changes of a commit, by table.
pub type TableChanges = BTreeMap<TableId, Vec<Change>>;
/// Index entries a commit ends and starts, by index.
pub type IndexChanges = BTreeMap<IndexId, Vec<IxChange>>;

/// A piece of a commit's row changes: the changes, the index entries they
/// end and start, and the same changes as logged events.
#[derive(Debug, Default)]
pub struct Chunk {
    /// In-memory changes by table.
    pub changes: TableChanges,
    /// The index entries those changes end and start, by index.
    pub index_changes: IndexChanges,
    /// The same changes as logged events.
    pub events: Vec<WalEvent>,
}

/// Yields a transaction's row changes a chunk at a time (each about
/// [`record::SPILL`] bytes of events), so that a large commit never holds
/// all of them at once.
pub trait ChunkSource {
    /// The next chunk, or `None` when every change was yielded.
    fn next_chunk(&mut self) -> Result<Option<Chunk>>;
}

/// A transaction's changes, ready to commit.
#[derive(Debug)]
pub struct CommitRequest {
    /// The catalog the transaction started from.
    pub base: Arc<Catalog>,
    /// Its final catalog, if it ran DDL.
    pub catalog: Option<Catalog>,
    /// The first chunk of its row changes (the only one of a small commit;
    /// empty if it changed no data).
    pub first: Chunk,
    /// New next-row-id values.
    pub rowids: Vec<(TableId, u64)>,
}

/// What [`Inner::apply`] applies for one commit.
struct Applied<'a> {
    base: &'a Catalog,
    after: &'a Catalog,
    seq: Option<Seq>,
    micros: i64,
    chunk: &'a Chunk,
    rowids: &'a [(TableId, u64)],
}

/// A large commit's head, decided before its rows are applied.
struct Large<'a> {
    base: &'a Catalog,
    after: &'a Catalog,
    seq: Seq,
    micros: i64,
}

/// A large commit flushes its OPS frames to the WAL whenever this many
/// bytes are waiting, so the group-commit buffer stays small.
const LARGE_FLUSH: u64 = 2 << 20;

/// Wakes the background checkpointer: commits that take the WAL past the
/// threshold request a checkpoint; drop and shutdown stop it.
#[derive(Debug, Default)]
pub struct BgSignal {
    state: Mutex<BgState>,
    cv: Condvar,
}

#[derive(Debug, Default)]
struct BgState {
    stop: bool,
    requested: bool,
}

/// Everything a [`super::Storage`] shares.
pub struct Inner {
    pub(crate) fs: Arc<dyn FileSystem>,
    pub(crate) root: PathBuf,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) fsync: bool,
    pub(crate) tuning: Tuning,
    pub(crate) _dir_lock: Box<dyn fmt::Debug + Send + Sync>,
    /// Every table's and index's versions, and the seq ↔ time index.
    pub(crate) btree: Arc<BTreeStore>,
    /// Indexes an open transaction has built but not committed: their trees
    /// survive checkpoints.
    pub(crate) building: Mutex<BTreeSet<IndexId>>,
    /// The write path token: true while a transaction holds it.
    pub(crate) token: Mutex<bool>,
    pub(crate) token_cv: Condvar,
    pub(crate) commit: Mutex<CommitState>,
    pub(crate) gc: GroupCommit<Publish>,
    /// LSN of the current WAL file's byte 0.
    pub(crate) wal_base: AtomicU64,
    /// LSN at the last checkpoint.
    pub(crate) ckpt_lsn: AtomicU64,
    /// The latest durable, published seq.
    pub(crate) visible: Arc<AtomicU64>,
    pub(crate) published: RwLock<Arc<Catalog>>,
    /// Bumped after every change of the published catalog (plan caches
    /// compare it; read it before reading the catalog).
    pub(crate) catalog_gen: AtomicU64,
    /// The published catalog's table list and the generation it was made
    /// at (read per statement; rebuilt when the generation moves).
    pub(crate) metas: RwLock<(u64, Arc<Vec<super::TableMeta>>)>,
    pub(crate) times: SeqTimes,
    pub(crate) derived: Mutex<Derived>,
    pub(crate) bg: Arc<BgSignal>,
    pub(crate) bg_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    pub(crate) shut: AtomicBool,
    /// What recovery cut at open.
    pub(crate) cuts: Vec<super::TailCut>,
    /// Transactions recovery replayed from the WAL at open.
    pub(crate) replayed: u64,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("root", &self.root)
            .field("visible_seq", &self.visible.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.bg.signal_stop();
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked
/// (nothing in storage panics while holding one).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The error for any write after shutdown.
pub fn shutting_down() -> Error {
    sql_err!(
        SqlState::ADMIN_SHUTDOWN,
        "the database system is shutting down"
    )
}

impl BgSignal {
    fn signal_stop(&self) {
        lock(&self.state).stop = true;
        self.cv.notify_all();
    }

    fn wake(&self) {
        lock(&self.state).requested = true;
        self.cv.notify_all();
    }

    /// Waits for a request; false once stopped.
    fn wait_request(&self) -> bool {
        let mut st = lock(&self.state);
        while !st.stop && !st.requested {
            st = self.cv.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        st.requested = false;
        !st.stop
    }
}

impl Inner {
    /// The published catalog.
    pub fn published(&self) -> Arc<Catalog> {
        self.published
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Errors if no new write may start.
    pub fn check_writable(&self) -> Result<()> {
        if let Some(e) = self.gc.poisoned() {
            return Err(e);
        }
        if self.shut.load(Ordering::Acquire) {
            return Err(shutting_down());
        }
        Ok(())
    }

    /// Step 1 of a commit; returns the seq (if data changed) and the LSN to
    /// wait for. `more` yields the row changes after `req.first`: a commit
    /// with more than one chunk is logged and applied chunk by chunk
    /// ([`Inner::commit_large`]).
    pub fn commit_append(
        &self,
        req: CommitRequest,
        more: &mut dyn ChunkSource,
    ) -> Result<(Option<Seq>, u64)> {
        let mut cs = lock(&self.commit);
        if cs.closed {
            return Err(shutting_down());
        }
        if let Some(e) = self.gc.poisoned() {
            return Err(e);
        }
        if !Arc::ptr_eq(&req.base, &cs.applied) {
            return Err(Error::Internal(
                "transaction catalog is not the applied catalog".into(),
            ));
        }
        let has_data = !req.first.events.is_empty();
        let second = if has_data { more.next_chunk()? } else { None };
        let seq = has_data.then_some(cs.last_seq + 1);
        let now = self.clock.now_micros();
        let micros = if has_data { now.max(cs.last_time) } else { now };
        let stamp_seq = seq.unwrap_or(cs.last_seq);
        let (ddl, after) = match req.catalog {
            Some(mut cat) => {
                let ops = diff(&req.base, &cat);
                stamp(&mut cat, &req.base, stamp_seq, micros);
                (ops, Some(cat))
            }
            None => (Vec::new(), None),
        };
        let mut rec = TxnRecord {
            seq,
            stamp_seq,
            micros,
            ddl,
            rowids: req.rowids,
            events: Vec::new(),
        };
        let after_ref = after.as_ref().unwrap_or(&req.base);
        let (ops_frames, logged, events) = match (seq, second) {
            (Some(seq), Some(second)) => {
                let large = Large {
                    base: &req.base,
                    after: after_ref,
                    seq,
                    micros,
                };
                let r = self.commit_large(&large, &rec.rowids, [req.first, second], more);
                let (n, range) = r.inspect_err(|e| self.gc.poison(e.clone()))?;
                (n, Some(range), Vec::new())
            }
            (_, _) => {
                let applied = self.apply(Applied {
                    base: &req.base,
                    after: after_ref,
                    seq,
                    micros,
                    chunk: &req.first,
                    rowids: &rec.rowids,
                });
                applied.inspect_err(|e| self.gc.poison(e.clone()))?;
                // The rows are in the trees now: free them before the log's
                // copy is made, so a commit holds one copy at a time.
                // (Applied but not yet visible: a failure from here on
                // poisons, and recovery rebuilds from the checkpoint and the
                // log, which lacks it.)
                let Chunk { events, .. } = req.first;
                (0, None, events)
            }
        };
        rec.events = events;
        let synced = self
            .gc
            .durable()
            .saturating_sub(self.wal_base.load(Ordering::Acquire));
        let mut frames = Vec::new();
        record::encode_commit(&rec, ops_frames, synced, &mut frames)
            .inspect_err(|e| self.gc.poison(e.clone()))?;
        if let Some(s) = seq {
            cs.last_seq = s;
            cs.last_time = micros;
        }
        let catalog = after.map(|a| {
            let a = Arc::new(a);
            cs.applied = a.clone();
            (req.base.clone(), a)
        });
        let item = Publish {
            seq,
            micros,
            catalog,
            events: rec.events,
            logged,
        };
        let lsn = self.gc.append(frames, item)?;
        Ok((seq, lsn))
    }

    /// The rows of a commit with more than one chunk: each chunk is applied
    /// to the trees, then logged as OPS frames and dropped, so memory holds
    /// one chunk whatever the size of the transaction. All chunks go into
    /// one B-tree write transaction, published at the end (invisible to
    /// readers even then, its seq being above `visible`): each touched page
    /// is copied once and then rewritten in place, and its private pages are
    /// written back when the pool evicts them. (Publishing chunk by chunk
    /// copied every touched page again per chunk, and a reader's snapshot
    /// kept the copies from being reused.) Holding the B-tree writer meanwhile
    /// blocks no one: the write path and the commit path are this commit's,
    /// and the log flushes touch no tree. The WAL is flushed every
    /// [`LARGE_FLUSH`] bytes; OPS frames without their COMMIT are cut by
    /// recovery. Any error here poisons the pipeline (the caller does it):
    /// its OPS frames may be in the log. Returns the number of OPS frames and
    /// the file offsets they span, for the publisher to read its events back
    /// into the segments.
    fn commit_large(
        &self,
        c: &Large<'_>,
        rowids: &[(TableId, u64)],
        first: [Chunk; 2],
        more: &mut dyn ChunkSource,
    ) -> Result<(u64, (u64, u64))> {
        let offset = |lsn: u64| lsn.saturating_sub(self.wal_base.load(Ordering::Acquire));
        let start = offset(self.gc.appended());
        let mut w = self.btree.write()?;
        self.prepare_in(&mut w, c.base, c.after, rowids)?;
        let mut frames = 0;
        let mut log = |w: &mut super::btree::WriteTxn<'_>, chunk: Chunk| -> Result<()> {
            self.apply_rows(w, c.after, c.seq, &chunk)?;
            let mut out = Vec::new();
            frames += record::encode_ops(c.seq, &chunk.events, &mut out)?;
            drop(chunk);
            let lsn = self.gc.append_bytes(&out)?;
            if lsn - self.gc.durable() > LARGE_FLUSH {
                self.gc.wait(lsn, self)?;
            }
            Ok(())
        };
        for chunk in first {
            log(&mut w, chunk)?;
        }
        while let Some(chunk) = more.next_chunk()? {
            log(&mut w, chunk)?;
        }
        let end = offset(self.gc.appended());
        super::seqtime::SeqTimes::push_in(&mut w, c.seq, c.micros)?;
        w.commit()?;
        Ok((frames, (start, end)))
    }

    /// Applies a commit to the B-trees, in one write transaction published
    /// at its end: trees for the tables it created, then (data commits) its
    /// row versions, index periods and time, all at its seq.
    fn apply(&self, a: Applied<'_>) -> Result<()> {
        let created = a
            .after
            .tables
            .values()
            .any(|t| !a.base.tables.contains_key(&t.id));
        if !created && a.seq.is_none() {
            self.prepare_rowids(a.after, a.rowids);
            return Ok(());
        }
        let mut w = self.btree.write()?;
        self.prepare_in(&mut w, a.base, a.after, a.rowids)?;
        if let Some(seq) = a.seq {
            self.apply_rows(&mut w, a.after, seq, a.chunk)?;
            super::seqtime::SeqTimes::push_in(&mut w, seq, a.micros)?;
        }
        w.commit()
    }

    /// Raises the tables' next row ids.
    fn prepare_rowids(&self, after: &Catalog, rowids: &[(TableId, u64)]) {
        for (t, v) in rowids {
            if let Some(def) = after.tables.get(t) {
                def.store.raise_next_rowid(*v);
            }
        }
    }

    /// Before a commit's rows: the next row ids, and the trees of the
    /// tables it created.
    fn prepare_in(
        &self,
        w: &mut super::btree::WriteTxn<'_>,
        base: &Catalog,
        after: &Catalog,
        rowids: &[(TableId, u64)],
    ) -> Result<()> {
        self.prepare_rowids(after, rowids);
        for t in after.tables.values() {
            if !base.tables.contains_key(&t.id) {
                t.store.create_trees(w)?;
            }
        }
        Ok(())
    }

    /// A chunk's row versions and index periods, at `seq`.
    fn apply_rows(
        &self,
        w: &mut super::btree::WriteTxn<'_>,
        after: &Catalog,
        seq: Seq,
        chunk: &Chunk,
    ) -> Result<()> {
        for (t, ch) in &chunk.changes {
            let def = after
                .tables
                .get(t)
                .ok_or_else(|| Error::Internal(format!("commit changes unknown table {t}")))?;
            def.store
                .apply_in(w, seq, ch)
                .map_err(|e| at_seq(e, seq, "table", *t))?;
        }
        for (i, ch) in &chunk.index_changes {
            let def = after
                .indexes
                .get(i)
                .ok_or_else(|| Error::Internal(format!("commit changes unknown index {i}")))?;
            def.store
                .apply_in(w, seq, ch)
                .map_err(|e| at_seq(e, seq, "index", *i))?;
        }
        Ok(())
    }

    /// Step 3 of a commit: returns once `lsn` is durable and published.
    pub fn wait_durable(&self, lsn: u64) -> Result<()> {
        self.gc.wait(lsn, self)?;
        let since = self
            .gc
            .durable()
            .saturating_sub(self.ckpt_lsn.load(Ordering::Relaxed));
        if since > self.tuning.checkpoint_wal_bytes {
            self.bg.wake();
        }
        Ok(())
    }

    fn publish_one(&self, d: &mut Derived, p: Publish) -> Result<()> {
        let tables_dir = self.root.join("tables");
        if let Some((before, after)) = &p.catalog {
            let current: BTreeMap<_, _> = before
                .tables
                .values()
                .map(|t| (t.id, DirState::of(t, before)))
                .collect();
            reconcile(
                self.fs.as_ref(),
                &tables_dir,
                &current,
                &[],
                after,
                self.fsync,
            )?;
            d.segments.retain(|id, _| after.tables.contains_key(id));
            for (id, w) in d.segments.iter_mut() {
                w.set_dir(segments_dir(&tables_dir, &after.tables[id].name));
            }
            *self.published.write().unwrap_or_else(|e| e.into_inner()) = after.clone();
            self.catalog_gen.fetch_add(1, Ordering::SeqCst);
        }
        let Some(seq) = p.seq else { return Ok(()) };
        let ms = u64::try_from(p.micros.div_euclid(1000)).unwrap_or(0);
        let cat = self.published();
        for ev in &p.events {
            self.to_segment(d, &cat, seq, ms, ev)?;
        }
        if let Some((from, to)) = p.logged {
            let wal = d
                .wal
                .take()
                .ok_or_else(|| Error::Internal("no WAL file open".into()))?;
            let r = wal.read_frames(from, to, |body| {
                let events = match record::decode(body) {
                    Ok(record::Frame::Ops { events, .. }) => events,
                    Ok(_) => return Err(Error::Internal("a COMMIT among OPS frames".into())),
                    Err(e) => return Err(Error::Internal(format!("OPS frame: {e}"))),
                };
                events
                    .iter()
                    .try_for_each(|ev| self.to_segment(d, &cat, seq, ms, ev))
            });
            d.wal = Some(wal);
            r?;
        }
        d.seqtime.append(seq, p.micros)?;
        self.visible.store(seq, Ordering::Release);
        Ok(())
    }

    /// Appends one committed event to its table's segments.
    fn to_segment(
        &self,
        d: &mut Derived,
        cat: &Catalog,
        seq: Seq,
        ms: u64,
        ev: &WalEvent,
    ) -> Result<()> {
        let w = match d.segments.entry(ev.table) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                let t = cat.tables.get(&ev.table).ok_or_else(|| {
                    Error::Internal(format!("event for unknown table {}", ev.table))
                })?;
                let dir = segments_dir(&self.root.join("tables"), &t.name);
                let w =
                    SegmentWriter::new(dir, t.id, Vec::new()).with_limit(self.tuning.segment_limit);
                v.insert(w)
            }
        };
        w.append(self.fs.as_ref(), seq, ms, ev.event_type, &ev.payload)
    }

    /// A checkpoint (see `storage::checkpoint`).
    pub fn checkpoint(&self) -> Result<()> {
        let cs = lock(&self.commit);
        if cs.closed {
            return Err(shutting_down());
        }
        self.checkpoint_locked(&cs)
    }

    /// A checkpoint with the commit path held.
    pub fn checkpoint_locked(&self, cs: &CommitState) -> Result<()> {
        if let Some(e) = self.gc.poisoned() {
            return Err(e);
        }
        let target = self.gc.appended();
        self.gc.wait(target, self)?;
        let base = target - HEADER;
        let r = self.gc.exclusive(|| {
            let mut d = lock(&self.derived);
            let cat = self.published();
            let building = lock(&self.building).clone();
            checkpoint::run(
                &checkpoint::Env {
                    fs: self.fs.as_ref(),
                    root: &self.root,
                    fsync: self.fsync,
                    btree: &self.btree,
                    wal_prealloc: self.tuning.wal_prealloc,
                },
                &mut d,
                &cat,
                &building,
                cs.last_seq,
                base,
            )
        });
        match r {
            Ok(()) => {
                self.wal_base.store(base, Ordering::Release);
                self.ckpt_lsn.store(target, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                // After a failed fsync the kernel may have dropped dirty
                // pages: nothing derived can be trusted to reach the disk.
                self.gc.poison(e.clone());
                Err(e)
            }
        }
    }

    /// Checkpoints and refuses later writes; stops the checkpointer.
    pub fn shutdown(&self) -> Result<()> {
        let r = {
            let mut cs = lock(&self.commit);
            if cs.closed {
                return Err(shutting_down());
            }
            cs.closed = true;
            self.shut.store(true, Ordering::Release);
            self.checkpoint_locked(&cs)
        };
        self.bg.signal_stop();
        self.token_cv.notify_all();
        if let Some(h) = lock(&self.bg_thread).take() {
            let _ = h.join();
        }
        r
    }

    fn needs_checkpoint(&self) -> bool {
        !self.shut.load(Ordering::Acquire)
            && self.gc.poisoned().is_none()
            && self
                .gc
                .durable()
                .saturating_sub(self.ckpt_lsn.load(Ordering::Relaxed))
                > self.tuning.checkpoint_wal_bytes
    }
}

/// Says where an internal error applying a commit arose.
fn at_seq(e: Error, seq: Seq, what: &str, id: u32) -> Error {
    match e {
        Error::Internal(m) => Error::Internal(format!("applying seq {seq} to {what} {id}: {m}")),
        other => other,
    }
}

/// Stamps created and altered tables with the commit's (seq, time).
fn stamp(cat: &mut Catalog, base: &Catalog, seq: Seq, micros: i64) {
    for (id, t) in cat.tables.iter_mut() {
        let changed = match base.tables.get(id) {
            None => true,
            Some(b) => b.name != t.name || b.schema != t.schema,
        };
        if changed {
            t.stamp_seq = seq;
            t.stamp_micros = micros;
        }
    }
}

impl Flusher<Publish> for Inner {
    fn write(&self, bytes: &[u8]) -> Result<()> {
        let mut d = lock(&self.derived);
        let wal = d
            .wal
            .as_mut()
            .ok_or_else(|| Error::Internal("no WAL file open".into()))?;
        wal.write(bytes)?;
        if self.fsync {
            wal.sync()?;
        }
        Ok(())
    }

    fn publish(&self, items: Vec<Publish>) -> Result<()> {
        let mut d = lock(&self.derived);
        for p in items {
            self.publish_one(&mut d, p)?;
        }
        Ok(())
    }
}

/// Starts the background checkpointer: it checkpoints when a commit has
/// taken the WAL past [`Tuning::checkpoint_wal_bytes`] since the last
/// checkpoint. It sleeps until asked and holds only a weak reference in
/// between, so dropping the storage ends it.
pub fn spawn_checkpointer(inner: &Arc<Inner>) -> Result<()> {
    let weak: Weak<Inner> = Arc::downgrade(inner);
    let sig = inner.bg.clone();
    let h = std::thread::Builder::new()
        .name("driftdb-checkpointer".into())
        .spawn(move || {
            while sig.wait_request() {
                let Some(inner) = weak.upgrade() else { return };
                if !inner.needs_checkpoint() {
                    continue;
                }
                match inner.checkpoint() {
                    Err(e) if !inner.shut.load(Ordering::Acquire) => {
                        log_error!("automatic checkpoint failed: {}", e.message());
                    }
                    _ => {}
                }
            }
        })
        .map_err(|e| Error::Io(format!("could not start the checkpointer thread: {e}")))?;
    *lock(&inner.bg_thread) = Some(h);
    Ok(())
}
