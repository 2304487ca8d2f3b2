//! Step 4 of recovery: replaying one logged transaction onto the catalog
//! and the trees, exactly as its commit applied it.

use super::State;
use crate::error::{Error, Result};
use crate::storage::catalog_store::{Catalog, DdlOp, apply_ddl};
use crate::storage::engine::IndexChanges;
use crate::storage::event::Event;
use crate::storage::index::{IxChange, index_key};
use crate::storage::seqtime::SeqTimes;
use crate::storage::table::Change;
use crate::storage::wal::recovery::LoggedTxn;
use crate::storage::{Seq, TableId};
use crate::types::Row;

impl State {
    /// Replays `t`: DDL onto the catalog and trees, then (a data commit)
    /// its events and time in one B-tree write transaction at its seq.
    pub(super) fn replay(&mut self, t: LoggedTxn) -> Result<()> {
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
        let mut w = self.btree.write()?;
        for e in rec.events {
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
            let (change, old) = def.store.change_of(&w, ev).map_err(|e| logged(e, &bad))?;
            let ix = index_changes(&self.catalog, e.table, &change, old.as_ref())?;
            def.store
                .apply_in(&mut w, seq, std::slice::from_ref(&change))
                .map_err(|e| logged(e, &bad))?;
            for (i, ch) in ix {
                if let Some(d) = self.catalog.indexes.get(&i) {
                    d.store
                        .apply_in(&mut w, seq, &ch)
                        .map_err(|e| logged(e, &bad))?;
                }
            }
            self.replayed
                .entry(e.table)
                .or_default()
                .push((seq, ms, e.event_type, e.payload));
        }
        SeqTimes::push_in(&mut w, seq, rec.micros)?;
        w.commit()?;
        self.times.push((seq, rec.micros));
        self.last_seq = seq;
        self.last_time = rec.micros;
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
                self.replayed.remove(id);
            }
            DdlOp::DropIndex { id } => {
                self.missing_ix.remove(id);
            }
            DdlOp::Create { id, .. } => {
                self.loaded.remove(id);
                self.replayed.remove(id);
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
