//! The envelope every metadata file uses (each table's `meta` and `schema`;
//! the checkpoint record, which lives in the page file, and the former
//! `CHECKPOINT` file), and the bodies of `meta` and `schema`.
//!
//! ```text
//! envelope := [magic: 8 bytes][u32 LE body length][u32 LE crc32(body)][body]
//! ```
//!
//! The file must be exactly that long. Metadata files are small and always
//! replaced whole by [`super::io::atomic_replace`], so a reader sees either
//! the old or the new file; the CRC catches damage at rest.
//!
//! ```text
//! meta   body := [varint format version = 1][varint table id][varint len][name UTF-8]
//! schema body := [varint stamp seq][i64 LE stamp µs][blob: the rest]
//! ```
//!
//! The schema stamp is the (seq, time) of the commit that last set the blob:
//! the txn's seq for a commit that also changed data, else the last
//! committed seq and the DDL's own time (DDL uses up no seq).

use std::path::Path;

use super::codec::{Cursor, put_len_bytes, put_varint};
use super::io::FileSystem;
use super::{Seq, TableId};
use crate::error::{Error, Result};

/// Magic of a table's `meta` file.
pub const META_MAGIC: &[u8; 8] = b"DRFTMETA";
/// Magic of a table's `schema` file.
pub const SCHEMA_MAGIC: &[u8; 8] = b"DRFTSCHM";

/// Wraps `body` in the envelope.
pub fn seal(magic: &[u8; 8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// Checks the envelope and returns the body.
pub fn open<'a>(magic: &[u8; 8], data: &'a [u8], file: &str) -> Result<&'a [u8]> {
    let mut c = Cursor::new(data);
    let bad = |off: usize, why: String| Error::corrupted(file, off as u64, why);
    let m = c.bytes(8).map_err(|e| bad(0, e))?;
    if m != magic {
        return Err(bad(0, "bad magic".into()));
    }
    let len = c.u32_le().map_err(|e| bad(8, e))? as usize;
    let crc = c.u32_le().map_err(|e| bad(12, e))?;
    if len != c.remaining() {
        return Err(bad(
            8,
            format!("body length {len} but {} bytes follow", c.remaining()),
        ));
    }
    let body = c.bytes(len).map_err(|e| bad(16, e))?;
    if crc32fast::hash(body) != crc {
        return Err(bad(16, "CRC mismatch".into()));
    }
    Ok(body)
}

/// A table's `meta` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaFile {
    /// The table's id.
    pub id: TableId,
    /// The table's name.
    pub name: String,
}

impl MetaFile {
    /// The sealed file bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put_varint(&mut b, 1);
        put_varint(&mut b, u64::from(self.id));
        put_len_bytes(&mut b, self.name.as_bytes());
        seal(META_MAGIC, &b)
    }

    /// Parses the file bytes.
    pub fn decode(data: &[u8], file: &str) -> Result<MetaFile> {
        let body = open(META_MAGIC, data, file)?;
        let mut c = Cursor::new(body);
        let parse = |c: &mut Cursor<'_>| -> std::result::Result<MetaFile, String> {
            let v = c.varint()?;
            if v != 1 {
                return Err(format!("unsupported meta format version {v}"));
            }
            let id = c.varint_u32()?;
            let name = c.string()?;
            if !c.is_empty() {
                return Err("trailing bytes".into());
            }
            Ok(MetaFile { id, name })
        };
        parse(&mut c).map_err(|e| Error::corrupted(file, 16 + c.pos() as u64, e))
    }
}

/// A table's `schema` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFile {
    /// Seq of the commit that set this schema.
    pub stamp_seq: Seq,
    /// Time of that commit (Unix µs).
    pub stamp_micros: i64,
    /// The catalog's blob.
    pub blob: Vec<u8>,
}

impl SchemaFile {
    /// The sealed file bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.blob.len() + 20);
        put_varint(&mut b, self.stamp_seq);
        b.extend_from_slice(&self.stamp_micros.to_le_bytes());
        b.extend_from_slice(&self.blob);
        seal(SCHEMA_MAGIC, &b)
    }

    /// Parses the file bytes.
    pub fn decode(data: &[u8], file: &str) -> Result<SchemaFile> {
        let body = open(SCHEMA_MAGIC, data, file)?;
        let mut c = Cursor::new(body);
        let stamp_seq = c.varint().map_err(|e| Error::corrupted(file, 16, e))?;
        let stamp_micros = c.i64_le().map_err(|e| Error::corrupted(file, 16, e))?;
        let blob = c
            .bytes(c.remaining())
            .map_err(|e| Error::corrupted(file, 16, e))?
            .to_vec();
        Ok(SchemaFile {
            stamp_seq,
            stamp_micros,
            blob,
        })
    }
}

/// Reads and checks a whole metadata file, naming it relative to `root`.
pub fn read(fs: &dyn FileSystem, root: &Path, path: &Path) -> Result<(Vec<u8>, String)> {
    let label = rel(root, path);
    Ok((fs.read_file(path)?, label))
}

/// `path` relative to `root` for messages (the whole path if outside it).
pub fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_checks_everything() {
        let f = seal(META_MAGIC, b"body");
        assert_eq!(open(META_MAGIC, &f, "m").expect("open"), b"body");
        assert!(open(SCHEMA_MAGIC, &f, "m").is_err(), "magic");
        for cut in 0..f.len() {
            assert!(open(META_MAGIC, &f[..cut], "m").is_err(), "cut at {cut}");
        }
        let mut bad = f.clone();
        bad[17] ^= 1;
        assert!(matches!(
            open(META_MAGIC, &bad, "m"),
            Err(Error::Corrupted { offset: 16, .. })
        ));
        let mut long = f.clone();
        long.push(0);
        assert!(open(META_MAGIC, &long, "m").is_err(), "trailing byte");
    }

    #[test]
    fn meta_and_schema_round_trip() {
        let m = MetaFile {
            id: 16_384,
            name: "Events \"x\"".into(),
        };
        assert_eq!(MetaFile::decode(&m.encode(), "meta").expect("meta"), m);
        let s = SchemaFile {
            stamp_seq: 7,
            stamp_micros: -5,
            blob: vec![1, 2, 3],
        };
        assert_eq!(
            SchemaFile::decode(&s.encode(), "schema").expect("schema"),
            s
        );
    }
}
