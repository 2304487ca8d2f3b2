//! Byte layouts of the B-trees that hold versions: tree names, the escaped
//! primary key, and the keys and values of the current, history and ended
//! trees of a table and of the current and history trees of an index
//! (docs/FORMAT.md, "Version trees").
//!
//! ```text
//! t/<id>/cur     pk                               → [varint start][row]
//! t/<id>/hist    esc(pk) ++ start ++ end          → [row]
//! t/<id>/ended   end ++ esc(pk) ++ start          → (empty)
//! i/<id>/cur     ikey ++ esc(pk)                  → [varint start][varint ikey length]
//! i/<id>/hist    ikey ++ esc(pk) ++ start ++ end  → [varint ikey length]
//! ```
//!
//! Seqs in keys are 8 bytes big-endian, so byte order is numeric order.
//! `esc(pk)` writes each `0x00` of the primary key as `0x00 0xFF` and ends
//! with `0x00 0x01`: it preserves order and no escaped key is a prefix of
//! another, so `esc(pk) ++ suffix` sorts by primary key first whatever the
//! primary keys are (storage does not assume they are self-delimiting).

use crate::error::{Error, Result};
use crate::storage::btree::MAX_KEY_LEN;
use crate::storage::codec::{Cursor, put_varint};
use crate::storage::{IndexId, Seq, TableId};

/// Bytes of a seq inside a key.
pub const SEQ_LEN: usize = 8;

/// The names of a table's trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableTrees {
    /// Current versions by primary key.
    pub cur: String,
    /// Ended versions by (primary key, start).
    pub hist: String,
    /// Ended versions by end seq.
    pub ended: String,
}

impl TableTrees {
    /// The trees of table `id`.
    pub fn of(id: TableId) -> TableTrees {
        TableTrees {
            cur: format!("t/{id}/cur"),
            hist: format!("t/{id}/hist"),
            ended: format!("t/{id}/ended"),
        }
    }

    /// All three names.
    pub fn all(&self) -> [&str; 3] {
        [&self.cur, &self.hist, &self.ended]
    }
}

/// The names of an index's trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexTrees {
    /// Open periods by (index key, primary key).
    pub cur: String,
    /// Closed periods by (index key, primary key, start).
    pub hist: String,
}

impl IndexTrees {
    /// The trees of index `id`.
    pub fn of(id: IndexId) -> IndexTrees {
        IndexTrees {
            cur: format!("i/{id}/cur"),
            hist: format!("i/{id}/hist"),
        }
    }

    /// Both names.
    pub fn all(&self) -> [&str; 2] {
        [&self.cur, &self.hist]
    }
}

/// What a tree name says it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeOwner {
    /// A table's tree.
    Table(TableId),
    /// An index's tree.
    Index(IndexId),
    /// An engine-wide tree (seq ↔ time, the checkpoint record).
    Engine,
}

/// Who owns the tree named `name` (recovery drops trees nobody owns).
pub fn owner(name: &str) -> TreeOwner {
    let mut parts = name.splitn(3, '/');
    let (kind, id) = (parts.next(), parts.next().and_then(|i| i.parse().ok()));
    match (kind, id) {
        (Some("t"), Some(id)) => TreeOwner::Table(id),
        (Some("i"), Some(id)) => TreeOwner::Index(id),
        _ => TreeOwner::Engine,
    }
}

/// Length of `esc(pk)`.
pub fn escaped_len(pk: &[u8]) -> usize {
    pk.len() + pk.iter().filter(|b| **b == 0).count() + 2
}

/// Appends `esc(pk)`.
pub fn put_escaped(out: &mut Vec<u8>, pk: &[u8]) {
    for &b in pk {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// `esc(pk)`.
pub fn escaped(pk: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(escaped_len(pk));
    put_escaped(&mut v, pk);
    v
}

/// Splits `esc(pk) ++ rest` into (pk, bytes of `esc(pk)`); `None` if it
/// does not start with a well-formed escaped key.
pub fn take_escaped(b: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut pk = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != 0 {
            pk.push(c);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(0xFF) => {
                pk.push(0);
                i += 2;
            }
            Some(1) => return Some((pk, i + 2)),
            _ => return None,
        }
    }
    None
}

/// A seq as 8 big-endian bytes.
pub fn seq_bytes(s: Seq) -> [u8; SEQ_LEN] {
    s.to_be_bytes()
}

fn seq_at(b: &[u8], at: usize) -> Option<Seq> {
    let a: [u8; SEQ_LEN] = b.get(at..at + SEQ_LEN)?.try_into().ok()?;
    Some(Seq::from_be_bytes(a))
}

/// The value of a current version: `[varint start][row]`.
pub fn cur_value(start: Seq, row: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(row.len() + 5);
    put_varint(&mut v, start);
    v.extend_from_slice(row);
    v
}

/// Splits a current version's value into (start, row bytes).
pub fn split_cur_value(v: &[u8]) -> std::result::Result<(Seq, &[u8]), String> {
    let mut c = Cursor::new(v);
    let start = c.varint()?;
    Ok((start, &v[c.pos()..]))
}

/// A history key: `esc(pk) ++ start ++ end`.
pub fn hist_key(pk: &[u8], start: Seq, end: Seq) -> Vec<u8> {
    let mut k = Vec::with_capacity(escaped_len(pk) + 2 * SEQ_LEN);
    put_escaped(&mut k, pk);
    k.extend_from_slice(&seq_bytes(start));
    k.extend_from_slice(&seq_bytes(end));
    k
}

/// (start, end) of a history key, read from its last 16 bytes.
pub fn hist_seqs(k: &[u8]) -> Option<(Seq, Seq)> {
    let n = k.len().checked_sub(2 * SEQ_LEN)?;
    Some((seq_at(k, n)?, seq_at(k, n + SEQ_LEN)?))
}

/// The escaped primary key a history key begins with (everything before
/// the two seqs).
pub fn hist_prefix(k: &[u8]) -> Option<&[u8]> {
    k.get(..k.len().checked_sub(2 * SEQ_LEN)?)
}

/// An ended-tree key: `end ++ esc(pk) ++ start`.
pub fn ended_key(end: Seq, pk: &[u8], start: Seq) -> Vec<u8> {
    let mut k = Vec::with_capacity(escaped_len(pk) + 2 * SEQ_LEN);
    k.extend_from_slice(&seq_bytes(end));
    put_escaped(&mut k, pk);
    k.extend_from_slice(&seq_bytes(start));
    k
}

/// (end, pk, start) of an ended-tree key.
pub fn parse_ended_key(k: &[u8]) -> Option<(Seq, Vec<u8>, Seq)> {
    let end = seq_at(k, 0)?;
    let (pk, n) = take_escaped(k.get(SEQ_LEN..)?)?;
    if SEQ_LEN + n + SEQ_LEN != k.len() {
        return None;
    }
    Some((end, pk, seq_at(k, SEQ_LEN + n)?))
}

/// An index entry key: `ikey ++ esc(pk)`.
pub fn ix_entry(ikey: &[u8], pk: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(ikey.len() + escaped_len(pk) + 2 * SEQ_LEN);
    k.extend_from_slice(ikey);
    put_escaped(&mut k, pk);
    k
}

/// Splits an index entry key `ikey ++ esc(pk)` (the index key being
/// `ikey_len` bytes) into (index key, primary key).
pub fn split_ix_entry(entry: &[u8], ikey_len: usize) -> Option<(Vec<u8>, Vec<u8>)> {
    let ikey = entry.get(..ikey_len)?;
    let (pk, n) = take_escaped(&entry[ikey_len..])?;
    (ikey_len + n == entry.len()).then(|| (ikey.to_vec(), pk))
}

/// The value of an open index period: `[varint start][varint ikey length]`.
pub fn ix_cur_value(start: Seq, ikey_len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(8);
    put_varint(&mut v, start);
    put_varint(&mut v, ikey_len as u64);
    v
}

/// (start, ikey length) of an open index period's value.
pub fn parse_ix_cur_value(v: &[u8]) -> std::result::Result<(Seq, usize), String> {
    let mut c = Cursor::new(v);
    let start = c.varint()?;
    let len = c.varint()?;
    if !c.is_empty() {
        return Err("trailing bytes".into());
    }
    Ok((start, usize::try_from(len).map_err(|e| e.to_string())?))
}

/// The value of a closed index period: `[varint ikey length]`.
pub fn ix_hist_value(ikey_len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(3);
    put_varint(&mut v, ikey_len as u64);
    v
}

/// The ikey length of a closed index period's value.
pub fn parse_ix_hist_value(v: &[u8]) -> std::result::Result<usize, String> {
    let mut c = Cursor::new(v);
    let len = c.varint()?;
    if !c.is_empty() {
        return Err("trailing bytes".into());
    }
    usize::try_from(len).map_err(|e| e.to_string())
}

/// An index history key: `ikey ++ esc(pk) ++ start ++ end`.
pub fn ix_hist_key(entry: &[u8], start: Seq, end: Seq) -> Vec<u8> {
    let mut k = Vec::with_capacity(entry.len() + 2 * SEQ_LEN);
    k.extend_from_slice(entry);
    k.extend_from_slice(&seq_bytes(start));
    k.extend_from_slice(&seq_bytes(end));
    k
}

/// The largest primary key the version trees accept: its history key
/// (escaped, plus two seqs) must fit a B-tree key.
pub fn check_pk(pk: &[u8], table: &str) -> Result<()> {
    let n = escaped_len(pk) + 2 * SEQ_LEN;
    if n > MAX_KEY_LEN {
        return Err(crate::sql_err!(
            crate::error::SqlState::PROGRAM_LIMIT_EXCEEDED,
            "index row size {n} exceeds maximum {MAX_KEY_LEN} for index \"{table}_pkey\""
        ));
    }
    Ok(())
}

/// Refuses an index entry whose history key would not fit a B-tree key.
pub fn check_ix_entry(ikey: &[u8], pk: &[u8], index: &str) -> Result<()> {
    let n = ikey.len() + escaped_len(pk) + 2 * SEQ_LEN;
    if n > MAX_KEY_LEN {
        return Err(crate::sql_err!(
            crate::error::SqlState::PROGRAM_LIMIT_EXCEEDED,
            "index row size {n} exceeds maximum {MAX_KEY_LEN} for index \"{index}\""
        ));
    }
    Ok(())
}

/// The error for bytes in a version tree that do not decode.
pub fn bad_tree(tree: &str, what: impl std::fmt::Display) -> Error {
    Error::corrupted(
        crate::storage::BTREE_FILE,
        0,
        format!("B-tree \"{tree}\": {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_preserves_order_and_is_prefix_free() {
        let keys: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            vec![0, 1],
            vec![0, 0xFF],
            vec![1],
            vec![1, 0],
            vec![0xFF],
            vec![0xFF, 0],
            vec![0xFF, 0xFF],
        ];
        for a in &keys {
            let ea = escaped(a);
            assert_eq!(ea.len(), escaped_len(a));
            let mut with = ea.clone();
            with.extend_from_slice(&[0xFF; 16]);
            assert_eq!(take_escaped(&with), Some((a.clone(), ea.len())));
            for b in &keys {
                let eb = escaped(b);
                assert_eq!(a.cmp(b), ea.cmp(&eb), "{a:?} {b:?}");
                if a != b {
                    assert!(!eb.starts_with(&ea), "{a:?} prefixes {b:?}");
                }
                // Suffixes never reorder keys of different pks.
                let mut sa = ea.clone();
                sa.extend_from_slice(&[0xFF; 16]);
                let mut sb = eb.clone();
                sb.extend_from_slice(&[0; 16]);
                if a < b {
                    assert!(sa < sb, "{a:?} {b:?}");
                }
            }
        }
        assert_eq!(take_escaped(&[1, 0]), None, "unterminated");
        assert_eq!(take_escaped(&[0, 7]), None, "bad escape");
    }

    #[test]
    fn keys_round_trip() {
        let pk = vec![0, 5, 0];
        let h = hist_key(&pk, 3, 9);
        assert_eq!(hist_seqs(&h), Some((3, 9)));
        assert_eq!(hist_prefix(&h), Some(&escaped(&pk)[..]));
        let e = ended_key(9, &pk, 3);
        assert_eq!(parse_ended_key(&e), Some((9, pk.clone(), 3)));
        assert_eq!(parse_ended_key(&e[..e.len() - 1]), None);
        let v = cur_value(7, b"row");
        assert_eq!(split_cur_value(&v), Ok((7, &b"row"[..])));
        let ent = ix_entry(b"ik", &pk);
        assert_eq!(split_ix_entry(&ent, 2), Some((b"ik".to_vec(), pk)));
        assert_eq!(parse_ix_cur_value(&ix_cur_value(300, 2)), Ok((300, 2)));
        assert_eq!(parse_ix_hist_value(&ix_hist_value(2)), Ok(2));
        assert_eq!(owner("t/16384/cur"), TreeOwner::Table(16384));
        assert_eq!(owner("i/16390/hist"), TreeOwner::Index(16390));
        assert_eq!(owner("engine"), TreeOwner::Engine);
    }
}
