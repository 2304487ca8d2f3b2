//! The catalog of named trees: each name's root page and entry count. It is
//! the blob a checkpoint stores (page::chain), and the map readers clone.
//!
//! ```text
//! catalog := varint n, then n times (names in ascending byte order):
//!            varint name_len, name (UTF-8), u64 LE root page (0 = empty tree),
//!            varint entries
//! ```

use std::collections::BTreeMap;

use crate::storage::codec::{Cursor, put_len_bytes, put_varint};
use crate::storage::page::PageId;

/// The longest tree name.
pub const MAX_NAME_LEN: usize = 1024;

/// One tree's root and size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeRoot {
    /// The root page (0: the tree is empty).
    pub root: PageId,
    /// Entries in the tree.
    pub len: u64,
}

/// Every tree by name.
pub type Catalog = BTreeMap<String, TreeRoot>;

/// The catalog's bytes.
pub fn encode(c: &Catalog) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, c.len() as u64);
    for (name, t) in c {
        put_len_bytes(&mut out, name.as_bytes());
        out.extend_from_slice(&t.root.to_le_bytes());
        put_varint(&mut out, t.len);
    }
    out
}

/// Decodes a catalog (an empty blob is the empty catalog of a new store);
/// `Err` says what is wrong.
pub fn decode(blob: &[u8]) -> Result<Catalog, String> {
    if blob.is_empty() {
        return Ok(Catalog::new());
    }
    let mut c = Cursor::new(blob);
    let n = c.varint()?;
    let mut out = Catalog::new();
    for i in 0..n {
        let name = c.string()?;
        if name.len() > MAX_NAME_LEN {
            return Err(format!("tree {i}: name of {} bytes", name.len()));
        }
        let root = c.u64_le()?;
        if root == 1 {
            return Err(format!("tree \"{name}\": root page {root}"));
        }
        let len = c.varint()?;
        if (root == 0) != (len == 0) {
            return Err(format!("tree \"{name}\": root {root} with {len} entries"));
        }
        if out.last_key_value().is_some_and(|(k, _)| *k >= name) {
            return Err(format!("tree \"{name}\": names out of order"));
        }
        out.insert(name, TreeRoot { root, len });
    }
    if !c.is_empty() {
        return Err(format!("{} bytes after {n} trees", c.remaining()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut c = Catalog::new();
        c.insert("t16384".into(), TreeRoot { root: 7, len: 3 });
        c.insert("empty".into(), TreeRoot::default());
        let blob = encode(&c);
        assert_eq!(decode(&blob).expect("decode"), c);
        assert_eq!(decode(&[]).expect("empty"), Catalog::new());
        for cut in 1..blob.len() {
            assert!(decode(&blob[..cut]).is_err(), "truncated at {cut}");
        }
        let mut extra = blob.clone();
        extra.push(0);
        assert!(decode(&extra).is_err());
        for i in 0..blob.len() {
            let mut b = blob.clone();
            b[i] ^= 0xff;
            let _ = decode(&b); // never panics
        }
    }
}
