//! How an index definition is written: in the WAL (DDL kind 4) and in its
//! file `tables/<dir>/indexes/<id>.meta` (atomic replace).
//!
//! ```text
//! body := [varint index id][varint table id][varint len][name UTF-8]
//!         [varint ncols][varint column position]*ncols [u8 unique: 0 | 1]
//! file := envelope("DRFTINDX", [varint format version = 1] body)   (storage::metafile)
//! ```

use super::super::codec::{Cursor, DecodeResult, put_len_bytes, put_varint};
use super::super::metafile::{open, seal};
use crate::error::{Error, Result};
use crate::storage::{IndexId, IndexMeta};

/// Magic of an index definition file.
pub const MAGIC: &[u8; 8] = b"DRFTINDX";

/// The file name of index `id` under `indexes/`.
pub fn file_name(id: IndexId) -> String {
    format!("{id}.meta")
}

/// The index id of a file name under `indexes/`, if it is one.
pub fn parse_name(name: &str) -> Option<IndexId> {
    let digits = name.strip_suffix(".meta")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

/// Appends the definition's body.
pub fn put(out: &mut Vec<u8>, m: &IndexMeta) {
    put_varint(out, u64::from(m.id));
    put_varint(out, u64::from(m.table));
    put_len_bytes(out, m.name.as_bytes());
    put_varint(out, m.columns.len() as u64);
    for c in &m.columns {
        put_varint(out, *c as u64);
    }
    out.push(u8::from(m.unique));
}

/// Reads a definition's body.
pub fn read(c: &mut Cursor<'_>) -> DecodeResult<IndexMeta> {
    let id = c.varint_u32()?;
    let table = c.varint_u32()?;
    let name = c.string()?;
    let n = c.varint()?;
    if n == 0 || n > c.remaining() as u64 {
        return Err(format!("index with {n} columns"));
    }
    let columns = (0..n)
        .map(|_| c.varint_u32().map(|v| v as usize))
        .collect::<DecodeResult<Vec<_>>>()?;
    let unique = match c.u8()? {
        0 => false,
        1 => true,
        b => return Err(format!("bad unique flag {b}")),
    };
    Ok(IndexMeta {
        id,
        table,
        name,
        columns,
        unique,
    })
}

/// The sealed bytes of an index definition file.
pub fn encode_file(m: &IndexMeta) -> Vec<u8> {
    let mut b = Vec::new();
    put_varint(&mut b, 1);
    put(&mut b, m);
    seal(MAGIC, &b)
}

/// Parses an index definition file named `file` (for errors).
pub fn decode_file(data: &[u8], file: &str) -> Result<IndexMeta> {
    let body = open(MAGIC, data, file)?;
    let mut c = Cursor::new(body);
    let parse = |c: &mut Cursor<'_>| -> DecodeResult<IndexMeta> {
        let v = c.varint()?;
        if v != 1 {
            return Err(format!("unsupported index format version {v}"));
        }
        let m = read(c)?;
        if !c.is_empty() {
            return Err("trailing bytes".into());
        }
        Ok(m)
    };
    parse(&mut c).map_err(|e| Error::corrupted(file, 16 + c.pos() as u64, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> IndexMeta {
        IndexMeta {
            id: 16_390,
            table: 16_384,
            name: "t_v_idx".into(),
            columns: vec![2, 0, 300],
            unique: true,
        }
    }

    #[test]
    fn file_round_trips_and_checks() {
        let m = meta();
        let f = encode_file(&m);
        assert_eq!(decode_file(&f, "x").expect("decode"), m);
        for cut in 0..f.len() {
            assert!(decode_file(&f[..cut], "x").is_err(), "cut at {cut}");
        }
        let mut bad = f.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            decode_file(&bad, "x"),
            Err(Error::Corrupted { .. })
        ));
        // A valid envelope around a bad unique flag or no columns.
        let mut b = vec![1];
        let mut m0 = meta();
        m0.columns.clear();
        put(&mut b, &m0);
        assert!(decode_file(&seal(MAGIC, &b), "x").is_err());
        let mut b = vec![1];
        put(&mut b, &m);
        *b.last_mut().expect("byte") = 7;
        assert!(decode_file(&seal(MAGIC, &b), "x").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(file_name(16_390), "16390.meta");
        assert_eq!(parse_name("16390.meta"), Some(16_390));
        for bad in ["16390.meta.tmp", ".meta", "x.meta", "016.meta", "1.pages"] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }
}
