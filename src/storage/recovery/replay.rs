//! Step 4 of recovery: replaying one logged transaction onto the catalog
//! and the trees, exactly as its commit applied it, without holding the
//! transaction in memory.
//!
//! The COMMIT frame is read first (`WalReader::next_txn`): its seq is
//! checked and its DDL and row ids applied before any event, as at commit.
//! The events then come one OPS frame at a time (`WalReader::next_ops`),
//! each frame in its own B-tree write transaction at the transaction's seq
//! (nobody reads during recovery, so the pieces need not be atomic), then
//! the COMMIT frame's own events and the commit time in a last one. Each
//! event goes on to the segment spill (`spill`) as it is applied.

use super::State;
use crate::error::{Error, Result};
use crate::storage::btree::WriteTxn;
use crate::storage::catalog_store::{Catalog, DdlOp, apply_ddl};
use crate::storage::engine::IndexChanges;
use crate::storage::event::Event;
use crate::storage::index::{IxChange, index_key};
use crate::storage::io::FileSystem;
use crate::storage::seqtime::SeqTimes;
use crate::storage::table::Change;
use crate::storage::wal::record::WalEvent;
use crate::storage::wal::recovery::{LoggedTxn, WalReader};
use crate::storage::{Seq, TableId};
use crate::types::Row;

impl State {
    /// Replays `t`, whose OPS frames `wal` reads next: DDL onto the catalog
    /// and trees, then (a data commit) its events and time at its seq. A
    /// transaction the checkpoint already holds is skipped, OPS frames and
    /// all.
    pub(super) fn replay(
        &mut self,
        fs: &dyn FileSystem,
        t: LoggedTxn,
        wal: &mut WalReader<'_>,
    ) -> Result<()> {
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
            self.replay_ddl(op, (rec.stamp_seq, rec.micros))?;
        }
        for (id, v) in &rec.rowids {
            if let Some(def) = self.catalog.tables.get(id) {
                def.store.raise_next_rowid(*v);
            }
        }
        let Some(seq) = rec.seq else { return Ok(()) };
        let ms = u64::try_from(rec.micros.div_euclid(1000)).unwrap_or(0);
        let btree = self.btree.clone();
        while let Some(events) = wal.next_ops()? {
            let mut w = btree.write()?;
            self.apply_events(fs, &mut w, (seq, ms), events, &bad)?;
            w.commit()?;
        }
        let mut w = btree.write()?;
        self.apply_events(fs, &mut w, (seq, ms), rec.events, &bad)?;
        SeqTimes::push_in(&mut w, seq, rec.micros)?;
        w.commit()?;
        self.seqtime
            .as_mut()
            .ok_or_else(|| Error::Internal("recovery: the seqtime file was not opened".into()))?
            .append(seq, rec.micros)?;
        self.last_seq = seq;
        self.last_time = rec.micros;
        Ok(())
    }

    /// Applies row events at `seq` onto the table and index trees in `w`,
    /// and spills them for the segments (commit time `ms`).
    fn apply_events(
        &mut self,
        fs: &dyn FileSystem,
        w: &mut WriteTxn<'_>,
        (seq, ms): (Seq, u64),
        events: Vec<WalEvent>,
        bad: &impl Fn(String) -> Error,
    ) -> Result<()> {
        for e in events {
            if self.missing.contains(&e.table) {
                return Err(bad(format!(
                    "event for table {} whose directory is missing",
                    e.table
                )));
            }
            let def = self
                .catalog
                .tables
                .get(&e.table)
                .ok_or_else(|| bad(format!("event for unknown table {}", e.table)))?;
            let ev = Event::decode(e.event_type, &e.payload).map_err(bad)?;
            let (change, old) = def.store.change_of(w, ev).map_err(|e| logged(e, bad))?;
            let ix = index_changes(&self.catalog, e.table, &change, old.as_ref())?;
            def.store
                .apply_in(w, seq, std::slice::from_ref(&change))
                .map_err(|e| logged(e, bad))?;
            for (i, ch) in ix {
                if let Some(d) = self.catalog.indexes.get(&i) {
                    d.store.apply_in(w, seq, &ch).map_err(|e| logged(e, bad))?;
                }
            }
            self.spill
                .push(fs, e.table, seq, ms, e.event_type, &e.payload)?;
        }
        Ok(())
    }

    /// One DDL op: onto the catalog (absolute state, so idempotent), and
    /// the trees it needs: a created table's, empty; a created index's,
    /// filled from its table's history so far.
    fn replay_ddl(&mut self, op: &DdlOp, stamp: (Seq, i64)) -> Result<()> {
        apply_ddl(&mut self.catalog, &self.btree, op, stamp);
        match op {
            DdlOp::Drop { id } => {
                self.missing.remove(id);
                self.missing_ix.retain(|_, (t, _)| t != id);
                self.loaded.remove(id);
                self.spill.discard(*id);
            }
            DdlOp::DropIndex { id } => {
                self.missing_ix.remove(id);
            }
            DdlOp::Create { id, .. } => {
                self.loaded.remove(id);
                self.spill.discard(*id);
                if let Some(def) = self.catalog.tables.get(id) {
                    let mut w = self.btree.write()?;
                    def.store.create_trees(&mut w)?;
                    w.commit()?;
                }
            }
            DdlOp::CreateIndex(m) => {
                let (Some(ix), Some(t)) = (
                    self.catalog.indexes.get(&m.id),
                    self.catalog.tables.get(&m.table),
                ) else {
                    return Ok(());
                };
                ix.store.fill(&t.store, &m.columns, &m.name)?;
            }
            DdlOp::Alter { .. } => {}
        }
        Ok(())
    }
}

/// Names the WAL record for an inconsistency found replaying it (IO errors
/// pass unchanged).
fn logged(e: Error, bad: &impl Fn(String) -> Error) -> Error {
    match e {
        Error::Internal(m) => bad(m),
        other => other,
    }
}

/// The index changes of one row change of table `table`, given the row it
/// replaces (`old`).
pub(crate) fn index_changes(
    cat: &Catalog,
    table: TableId,
    change: &Change,
    old: Option<&Row>,
) -> Result<IndexChanges> {
    let new = match change {
        Change::Insert(_, r) | Change::Update(_, r) => Some(r),
        Change::Delete(_) => None,
    };
    let mut out = IndexChanges::new();
    for ix in cat.indexes_of(table) {
        let cols = &ix.meta.columns;
        let old = old.map(|r| index_key(r, cols)).transpose()?;
        let new = new.map(|r| index_key(r, cols)).transpose()?;
        if old != new {
            out.entry(ix.meta.id).or_default().push(IxChange {
                pk: change.key().to_vec(),
                old,
                new,
            });
        }
    }
    Ok(out)
}
