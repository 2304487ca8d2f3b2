//! Opening a data directory written before the page file existed (its
//! checkpoint is the `CHECKPOINT` file, and its versions are only in the
//! segments): the trees are built once from the checkpointed segments and
//! `seqtime`, indexes are filled from them, and recovery then replays the
//! WAL as usual. The closing checkpoint writes the record into the page
//! file and the `CHECKPOINT` file is removed; later opens read no segment.

use super::{Env, State};
use crate::error::Result;
use crate::log_info;
use crate::storage::catalog_store::segments_dir;
use crate::storage::checkpoint::CheckpointFile;
use crate::storage::segment::reader as seg_reader;
use crate::storage::seqtime::{self, SeqTimes};

/// Changes per B-tree write transaction while upgrading.
const BATCH: usize = 4096;

/// Builds the trees of every checkpointed table (and index) of `ck` from
/// its segments, and the seq ↔ time trees from `seqtime`.
pub(super) fn load_history(env: Env<'_>, st: &mut State, ck: &CheckpointFile) -> Result<()> {
    log_info!("upgrading the data directory: building the page file from the event segments");
    let mut w = st.btree.write()?;
    SeqTimes::create_trees(&mut w)?;
    for def in st.catalog.tables.values() {
        def.store.create_trees(&mut w)?;
    }
    for ix in st.catalog.indexes.values() {
        ix.store.create_trees(&mut w)?;
    }
    w.commit()?;
    let tables_dir = env.root.join("tables");
    for (id, lens) in &st.loaded {
        let Some(def) = st.catalog.tables.get(id) else {
            continue;
        };
        let dir = segments_dir(&tables_dir, &def.name);
        let mut pending = Vec::with_capacity(BATCH);
        let flush = |batch: &mut Vec<_>| -> Result<()> {
            let mut w = st.btree.write()?;
            for (seq, ev) in batch.drain(..) {
                let (change, _) = def.store.change_of(&w, ev)?;
                def.store.apply_in(&mut w, seq, &[change])?;
            }
            w.commit()
        };
        seg_reader::replay(env.fs, env.root, &dir, (*id, lens), |seq, ev| {
            pending.push((seq, ev));
            if pending.len() >= BATCH {
                flush(&mut pending)?;
            }
            Ok(())
        })?;
        flush(&mut pending)?;
    }
    let path = env.root.join(seqtime::FILE_NAME);
    let times = if env.fs.exists(&path)? {
        seqtime::read_times(
            &env.fs.read_file(&path)?,
            ck.seqtime_count,
            seqtime::FILE_NAME,
        )?
    } else {
        Vec::new()
    };
    for (i, chunk) in times.chunks(BATCH).enumerate() {
        let mut w = st.btree.write()?;
        for (j, t) in chunk.iter().enumerate() {
            SeqTimes::push_in(&mut w, (i * BATCH + j) as u64 + 1, *t)?;
        }
        w.commit()?;
    }
    for ix in st.catalog.indexes.values() {
        if let Some(t) = st.catalog.tables.get(&ix.meta.table) {
            ix.store.fill(&t.store, &ix.meta.columns, &ix.meta.name)?;
        }
    }
    Ok(())
}
