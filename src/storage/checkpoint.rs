//! Checkpoints: make the derived files durable and trim the WAL.
//!
//! The root file `CHECKPOINT` (replaced atomically, envelope of
//! `storage::metafile`, magic `DRFTCKPT`) records what recovery may trust:
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
//! Version 1 (before secondary indexes) is still read: its tables have no
//! indexes. The index ids let recovery detect a lost index definition file.
//!
//! Protocol ([`run`]), with new commits held off and every earlier commit
//! durable and published:
//!
//! 1. flush and fsync every table's segments (and the segments directories
//!    that gained files), and the `seqtime` file;
//! 2. create the next WAL file (header fsynced, `wal/` fsynced);
//! 3. replace `CHECKPOINT` atomically: the checkpoint seq, the new WAL file
//!    number, and per table the durable length of each of its segments;
//! 4. switch appends to the new WAL file, delete older WAL files, fsync `wal/`.
//!
//! A crash before step 3 leaves the old `CHECKPOINT`, whose WAL files all
//! still exist: recovery replays them (cutting segment bytes past the old
//! checkpoint's lengths first). A crash after step 3 leaves WAL files older
//! than the new one, which recovery ignores and deletes. Either way nothing
//! acknowledged is lost.

use std::path::Path;

use super::catalog_store::{Catalog, FIRST_TABLE_ID};
use super::codec::{Cursor, put_len_bytes, put_varint};
use super::engine::Derived;
use super::io::{FileSystem, atomic_replace};
use super::metafile::{open, seal};
use super::wal::{self, WalFile};
use super::{IndexId, Seq, TableId};
use crate::error::{Error, Result};

/// Magic of the `CHECKPOINT` file.
pub const MAGIC: &[u8; 8] = b"DRFTCKPT";
/// Its name under the data root.
pub const FILE_NAME: &str = "CHECKPOINT";

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

/// The `CHECKPOINT` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFile {
    /// Every commit up to this seq is in the segments.
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

/// Reads `CHECKPOINT`, or `None` if there is none yet.
pub fn read(fs: &dyn FileSystem, root: &Path) -> Result<Option<CheckpointFile>> {
    let path = root.join(FILE_NAME);
    if !fs.exists(&path)? {
        return Ok(None);
    }
    CheckpointFile::decode(&fs.read_file(&path)?, FILE_NAME).map(Some)
}

/// Runs steps 1–4 of the protocol. `catalog` and `last_seq` must describe
/// exactly what has been written to the segments; `base_lsn` is the LSN of
/// the new WAL file's byte 0.
pub fn run(
    fs: &dyn FileSystem,
    root: &Path,
    fsync: bool,
    d: &mut Derived,
    catalog: &Catalog,
    last_seq: Seq,
    base_lsn: u64,
) -> Result<()> {
    let mut tables = Vec::with_capacity(catalog.tables.len());
    for (id, t) in &catalog.tables {
        let segments = match d.segments.get_mut(id) {
            Some(w) => w.sync(fs, fsync)?,
            None => Vec::new(),
        };
        tables.push(CkptTable {
            id: *id,
            name: t.name.clone(),
            segments,
            next_rowid: t.store.next_rowid(),
            last_seq: t.store.last_seq(),
            indexes: catalog.indexes_of(*id).map(|i| i.meta.id).collect(),
        });
    }
    let seqtime_count = d.seqtime.sync(fsync)?;
    if seqtime_count != last_seq {
        return Err(Error::Internal(format!(
            "checkpoint at seq {last_seq} with {seqtime_count} seqtime records"
        )));
    }
    let wal_dir = root.join("wal");
    let new_no = d.wal_no + 1;
    let wal = WalFile::create(fs, &wal_dir, new_no, base_lsn, fsync)?;
    let ck = CheckpointFile {
        seq: last_seq,
        wal_no: new_no,
        next_table_id: catalog.next_table_id,
        seqtime_count,
        tables,
    };
    atomic_replace(fs, root, FILE_NAME, &ck.encode(), fsync)?;
    d.wal = Some(wal);
    d.wal_no = new_no;
    for no in wal::recovery::files(fs, &wal_dir, 0)? {
        if no < new_no {
            fs.remove_file(&wal_dir.join(wal::file_name(no)))?;
        }
    }
    if fsync {
        fs.sync_dir(&wal_dir)?;
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
