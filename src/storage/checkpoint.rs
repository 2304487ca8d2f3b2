//! Checkpoints: make the B-trees and the derived files durable and trim
//! the WAL.
//!
//! What recovery may trust is a **checkpoint record** stored in the page
//! file itself (tree `engine`, key `checkpoint`), so that one B-tree
//! checkpoint publishes it atomically with every table's and index's pages.
//! Its bytes are those of the former `CHECKPOINT` file (envelope of
//! `storage::metafile`, magic `DRFTCKPT`):
//!
//! ```text
//! body := [varint format version = 2][varint checkpoint seq][varint first WAL file to replay]
//!         [varint next table id][varint seqtime records]
//!         [varint n] table*n
//! table := [varint id][varint len][name][varint n][varint durable length of segment i]*n
//!          [varint next row id][varint last seq applied]
//!          [varint n][varint index id]*n                       (version 2 only)
//! ```
//!
//! Beside it, key `verify` says which bytes of the segments and of
//! `seqtime` the last checkpoint that wrote any made durable ([`Verify`]):
//! the next open re-reads exactly those.
//!
//! Protocol ([`run`]), with new commits held off and every earlier commit
//! durable, applied and published:
//!
//! 1. flush and fsync every table's segments (and the segments directories
//!    that gained files), and the `seqtime` file;
//! 2. create the next WAL file (header fsynced, `wal/` fsynced);
//! 3. in one B-tree write transaction, drop the trees of tables and indexes
//!    the catalog no longer has (and of indexes no open transaction is
//!    building), and write the checkpoint record (the checkpoint seq, the
//!    new WAL file number, each table's segment lengths) and `verify`;
//! 4. checkpoint the B-tree store **twice**: the first makes everything
//!    durable (its meta page is the commit point), the second writes the
//!    same state under the other meta slot, so if the newest meta page is
//!    damaged right after a checkpoint, opening falls back to an identical
//!    state and needs no older WAL (once later writes reuse the pages the
//!    older slot's catalog freed, that fallback fails as `Corrupted`
//!    rather than open a wrong state);
//! 5. switch appends to the new WAL file, delete older WAL files, fsync
//!    `wal/`.
//!
//! A crash before step 4's first meta page is durable leaves the previous
//! checkpoint, whose WAL files all still exist: recovery replays them
//! (cutting segment bytes past the old lengths first). A crash after it
//! leaves WAL files older than the new one, which recovery ignores and
//! deletes. Either way nothing acknowledged is lost.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use super::btree::{BTreeStore, WriteTxn as TreeTxn};
use super::catalog_store::{Catalog, FIRST_TABLE_ID};
use super::codec::{Cursor, put_len_bytes, put_varint};
use super::engine::Derived;
use super::io::FileSystem;
use super::metafile::{open, seal};
use super::table::keys::{TreeOwner, owner};
use super::wal::{self, WalFile};
use super::{IndexId, Seq, TableId};
use crate::error::{Error, Result};

/// Magic of the checkpoint record.
pub const MAGIC: &[u8; 8] = b"DRFTCKPT";
/// The name of the record when it lived in a file (format version 2 data
/// directories, before the page file; the label of its errors since).
pub const FILE_NAME: &str = "CHECKPOINT";
/// The tree holding the record.
pub const RECORD_TREE: &str = "engine";
/// The record's key.
pub const RECORD_KEY: &[u8] = b"checkpoint";
/// The key of [`Verify`].
pub const VERIFY_KEY: &[u8] = b"verify";
/// How errors name the record.
pub const RECORD_LABEL: &str = "btree/pages (checkpoint record)";

/// One table in a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CkptTable {
    /// Its id.
    pub id: TableId,
    /// Its name then.
    pub name: String,
    /// Durable length of each segment, numbers 1..=n (empty: none).
    pub segments: Vec<u64>,
    /// Next hidden row id.
    pub next_rowid: u64,
    /// Highest seq applied to the table.
    pub last_seq: Seq,
    /// Its secondary indexes.
    pub indexes: Vec<IndexId>,
}

/// The checkpoint record (the bytes of the former `CHECKPOINT` file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFile {
    /// Every commit up to this seq is in the trees (and the segments).
    pub seq: Seq,
    /// Recovery replays WAL files numbered this or above.
    pub wal_no: u64,
    /// Next table id.
    pub next_table_id: TableId,
    /// Durable records in `seqtime`.
    pub seqtime_count: u64,
    /// Every table.
    pub tables: Vec<CkptTable>,
}

impl Default for CheckpointFile {
    fn default() -> Self {
        CheckpointFile {
            seq: 0,
            wal_no: 0,
            next_table_id: FIRST_TABLE_ID,
            seqtime_count: 0,
            tables: Vec::new(),
        }
    }
}

impl CheckpointFile {
    /// The sealed file bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [
            2,
            self.seq,
            self.wal_no,
            u64::from(self.next_table_id),
            self.seqtime_count,
        ] {
            put_varint(&mut b, v);
        }
        put_varint(&mut b, self.tables.len() as u64);
        for t in &self.tables {
            put_varint(&mut b, u64::from(t.id));
            put_len_bytes(&mut b, t.name.as_bytes());
            put_varint(&mut b, t.segments.len() as u64);
            for len in &t.segments {
                put_varint(&mut b, *len);
            }
            put_varint(&mut b, t.next_rowid);
            put_varint(&mut b, t.last_seq);
            put_varint(&mut b, t.indexes.len() as u64);
            for id in &t.indexes {
                put_varint(&mut b, u64::from(*id));
            }
        }
        seal(MAGIC, &b)
    }

    /// Parses the file bytes.
    pub fn decode(data: &[u8], file: &str) -> Result<CheckpointFile> {
        let body = open(MAGIC, data, file)?;
        let mut c = Cursor::new(body);
        Self::parse(&mut c).map_err(|e| Error::corrupted(file, 16 + c.pos() as u64, e))
    }

    fn parse(c: &mut Cursor<'_>) -> std::result::Result<CheckpointFile, String> {
        let v = c.varint()?;
        if v != 1 && v != 2 {
            return Err(format!("unsupported checkpoint format version {v}"));
        }
        let seq = c.varint()?;
        let wal_no = c.varint()?;
        let next_table_id = c.varint_u32()?;
        let seqtime_count = c.varint()?;
        let n = c.varint()?;
        if n > c.remaining() as u64 {
            return Err(format!("{n} tables cannot fit"));
        }
        let mut tables = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let id = c.varint_u32()?;
            let name = c.string()?;
            let n_seg = c.varint_u32()?;
            if u64::from(n_seg) > c.remaining() as u64 {
                return Err(format!("{n_seg} segments cannot fit"));
            }
            let segments = (0..n_seg)
                .map(|_| c.varint())
                .collect::<Result<Vec<_>, _>>()?;
            let next_rowid = c.varint()?;
            let last_seq = c.varint()?;
            let indexes = if v == 2 { index_ids(c)? } else { Vec::new() };
            tables.push(CkptTable {
                id,
                name,
                segments,
                next_rowid,
                last_seq,
                indexes,
            });
        }
        if !c.is_empty() {
            return Err("trailing bytes".into());
        }
        Ok(CheckpointFile {
            seq,
            wal_no,
            next_table_id,
            seqtime_count,
            tables,
        })
    }
}

fn index_ids(c: &mut Cursor<'_>) -> std::result::Result<Vec<IndexId>, String> {
    let n = c.varint()?;
    if n > c.remaining() as u64 {
        return Err(format!("{n} indexes cannot fit"));
    }
    (0..n).map(|_| c.varint_u32()).collect()
}

/// Reads a format-2 `CHECKPOINT` file, or `None` if there is none.
pub fn read_file(fs: &dyn FileSystem, root: &Path) -> Result<Option<CheckpointFile>> {
    let path = root.join(FILE_NAME);
    if !fs.exists(&path)? {
        return Ok(None);
    }
    CheckpointFile::decode(&fs.read_file(&path)?, FILE_NAME).map(Some)
}

/// The bytes the last checkpoint that wrote any made durable, which the
/// next open re-reads (the rest of the segments and of `seqtime` is not
/// read at startup):
///
/// ```text
/// verify := [varint version = 1][varint seqtime records before][varint n] table*n
/// table  := [varint id][varint n][varint segment i's length before]*n
/// ```
///
/// "Before" is the previous checkpoint's lengths: the bytes from there to
/// the checkpoint record's lengths are checked frame by frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verify {
    /// `seqtime` records before the checked ones.
    pub seqtime_from: u64,
    /// Per table, segment lengths before the checked bytes.
    pub tables: BTreeMap<TableId, Vec<u64>>,
}

impl Verify {
    /// The encoded record.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put_varint(&mut b, 1);
        put_varint(&mut b, self.seqtime_from);
        put_varint(&mut b, self.tables.len() as u64);
        for (id, lens) in &self.tables {
            put_varint(&mut b, u64::from(*id));
            put_varint(&mut b, lens.len() as u64);
            for l in lens {
                put_varint(&mut b, *l);
            }
        }
        b
    }

    /// Parses the record.
    pub fn decode(data: &[u8]) -> Result<Verify> {
        let mut c = Cursor::new(data);
        Self::parse(&mut c).map_err(|e| Error::corrupted(RECORD_LABEL, c.pos() as u64, e))
    }

    fn parse(c: &mut Cursor<'_>) -> std::result::Result<Verify, String> {
        let v = c.varint()?;
        if v != 1 {
            return Err(format!("unsupported verify record version {v}"));
        }
        let seqtime_from = c.varint()?;
        let n = c.varint()?;
        if n > c.remaining() as u64 {
            return Err(format!("{n} tables cannot fit"));
        }
        let mut tables = BTreeMap::new();
        for _ in 0..n {
            let id = c.varint_u32()?;
            let m = c.varint()?;
            if m > c.remaining() as u64 {
                return Err(format!("{m} segments cannot fit"));
            }
            let lens = (0..m).map(|_| c.varint()).collect::<Result<Vec<_>, _>>()?;
            tables.insert(id, lens);
        }
        if !c.is_empty() {
            return Err("trailing bytes".into());
        }
        Ok(Verify {
            seqtime_from,
            tables,
        })
    }
}

/// Reads the checkpoint record and [`Verify`] from the page file, or `None`
/// for a store that was never checkpointed by the engine.
pub fn read_record(btree: &Arc<BTreeStore>) -> Result<Option<(CheckpointFile, Verify)>> {
    let snap = btree.snapshot();
    if !snap.contains_tree(RECORD_TREE) {
        return Ok(None);
    }
    let Some(rec) = snap.get(RECORD_TREE, RECORD_KEY)? else {
        return Ok(None);
    };
    let ck = CheckpointFile::decode(&rec, RECORD_LABEL)?;
    let verify = match snap.get(RECORD_TREE, VERIFY_KEY)? {
        Some(v) => Verify::decode(&v)?,
        None => Verify::default(),
    };
    Ok(Some((ck, verify)))
}

/// Where a checkpoint writes.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// The file system.
    pub fs: &'a dyn FileSystem,
    /// The data directory.
    pub root: &'a Path,
    /// fsync files and directories.
    pub fsync: bool,
    /// The page file.
    pub btree: &'a Arc<BTreeStore>,
    /// How the new WAL file grows ([`WalFile::create`]).
    pub wal_prealloc: u64,
}

/// Runs steps 1–5 of the protocol. `catalog` and `last_seq` must describe
/// exactly what has been applied and written to the segments; `building`
/// lists indexes an open transaction is filling; `base_lsn` is the LSN of
/// the new WAL file's byte 0.
pub fn run(
    env: &Env<'_>,
    d: &mut Derived,
    catalog: &Catalog,
    building: &BTreeSet<IndexId>,
    last_seq: Seq,
    base_lsn: u64,
) -> Result<()> {
    let mut tables = Vec::with_capacity(catalog.tables.len());
    let mut lens = BTreeMap::new();
    for (id, t) in &catalog.tables {
        let segments = match d.segments.get_mut(id) {
            Some(w) => w.sync(env.fs, env.fsync)?,
            None => Vec::new(),
        };
        lens.insert(*id, segments.clone());
        tables.push(CkptTable {
            id: *id,
            name: t.name.clone(),
            segments,
            next_rowid: t.store.next_rowid(),
            last_seq: t.store.last_seq(),
            indexes: catalog.indexes_of(*id).map(|i| i.meta.id).collect(),
        });
    }
    let seqtime_count = d.seqtime.sync(env.fs, env.root, env.fsync)?;
    if seqtime_count != last_seq {
        return Err(Error::Internal(format!(
            "checkpoint at seq {last_seq} with {seqtime_count} seqtime records"
        )));
    }
    let verify = next_verify(d, &lens, seqtime_count);
    let wal_dir = env.root.join("wal");
    let new_no = d.wal_no + 1;
    let wal = WalFile::create(
        env.fs,
        &wal_dir,
        new_no,
        base_lsn,
        env.fsync,
        env.wal_prealloc,
    )?;
    let ck = CheckpointFile {
        seq: last_seq,
        wal_no: new_no,
        next_table_id: catalog.next_table_id,
        seqtime_count,
        tables,
    };
    let mut w = env.btree.write()?;
    drop_orphans(&mut w, catalog, building)?;
    w.create_tree(RECORD_TREE)?;
    w.insert(RECORD_TREE, RECORD_KEY, &ck.encode())?;
    w.insert(RECORD_TREE, VERIFY_KEY, &verify.encode())?;
    w.commit()?;
    let mut app = Vec::new();
    put_varint(&mut app, 1);
    put_varint(&mut app, last_seq);
    put_varint(&mut app, new_no);
    env.btree.checkpoint(&app)?;
    env.btree.checkpoint(&app)?;
    d.wal = Some(wal);
    d.wal_no = new_no;
    d.ckpt_lens = lens;
    d.ckpt_seqtime = seqtime_count;
    d.verify = verify;
    for no in wal::recovery::files(env.fs, &wal_dir, 0)? {
        if no < new_no {
            env.fs.remove_file(&wal_dir.join(wal::file_name(no)))?;
        }
    }
    if env.fsync {
        env.fs.sync_dir(&wal_dir)?;
    }
    Ok(())
}

/// The [`Verify`] of a checkpoint writing segment lengths `lens` and
/// `seqtime_count` records: a table (or `seqtime`) that gained bytes since
/// the last checkpoint is to be checked from the last checkpoint's
/// lengths; one that did not keeps what was to be checked before.
fn next_verify(d: &Derived, lens: &BTreeMap<TableId, Vec<u64>>, seqtime_count: u64) -> Verify {
    let mut v = Verify {
        seqtime_from: d.verify.seqtime_from,
        tables: BTreeMap::new(),
    };
    if seqtime_count != d.ckpt_seqtime {
        v.seqtime_from = d.ckpt_seqtime;
    }
    for (id, now) in lens {
        let before = d.ckpt_lens.get(id);
        let from = match before {
            Some(b) if b == now => d
                .verify
                .tables
                .get(id)
                .cloned()
                .unwrap_or_else(|| b.clone()),
            Some(b) => b.clone(),
            None => Vec::new(),
        };
        v.tables.insert(*id, from);
    }
    v
}

/// Drops every tree whose table or index the catalog no longer has (and no
/// open transaction is building).
fn drop_orphans(
    w: &mut TreeTxn<'_>,
    catalog: &Catalog,
    building: &BTreeSet<IndexId>,
) -> Result<()> {
    for name in w.trees() {
        let orphan = match owner(&name) {
            TreeOwner::Table(id) => !catalog.tables.contains_key(&id),
            TreeOwner::Index(id) => !catalog.indexes.contains_key(&id) && !building.contains(&id),
            TreeOwner::Engine => false,
        };
        if orphan {
            w.drop_tree(&name)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_file_round_trips() {
        let ck = CheckpointFile {
            seq: 99,
            wal_no: 4,
            next_table_id: 16_390,
            seqtime_count: 99,
            tables: vec![CkptTable {
                id: 16_384,
                name: "events".into(),
                segments: vec![64 << 20, 1234],
                next_rowid: 17,
                last_seq: 98,
                indexes: vec![16_391, 16_400],
            }],
        };
        let b = ck.encode();
        assert_eq!(
            CheckpointFile::decode(&b, "CHECKPOINT").expect("decode"),
            ck
        );
        // Version 1 (no index lists) is still read.
        let mut v1 = vec![1u8, 99, 4];
        put_varint(&mut v1, 16_390);
        v1.extend_from_slice(&[99, 1]);
        put_varint(&mut v1, 16_384);
        put_len_bytes(&mut v1, b"events");
        v1.extend_from_slice(&[0, 17, 98]);
        let old = CheckpointFile::decode(&seal(MAGIC, &v1), "CHECKPOINT").expect("v1");
        assert_eq!(old.tables[0].indexes, Vec::<IndexId>::new());
        assert_eq!(old.tables[0].next_rowid, 17);
        let mut bad = b.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            CheckpointFile::decode(&bad, "CHECKPOINT"),
            Err(Error::Corrupted { .. })
        ));
    }
}
