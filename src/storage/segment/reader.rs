//! Reads a table's segments at recovery, up to what the last checkpoint made
//! durable, into its version store; cuts whatever lies past that point.

use std::path::Path;

use super::{HEADER, MAGIC, file_name, parse_body, parse_name};
use crate::error::{Error, Result};
use crate::storage::codec::scan_frames;
use crate::storage::event::Event;
use crate::storage::io::FileSystem;
use crate::storage::metafile::rel;
use crate::storage::table::TableStore;
use crate::storage::{TableId, TailCut};
use crate::{log_info, log_warn};

/// Replays segments 1..=n of `dir` into `store`, trusting segment i up to
/// `lens[i - 1]` bytes, the durable lengths the checkpoint recorded. Bytes
/// past them are cut (logged), and higher-numbered segments removed: the WAL
/// holds those commits. Any check failing inside the trusted range is
/// corruption: those bytes were fsynced by a checkpoint. A cut of torn or
/// corrupt bytes is added to `cuts`.
pub fn load(
    fs: &dyn FileSystem,
    root: &Path,
    dir: &Path,
    table: TableId,
    lens: &[u64],
    store: &TableStore,
    cuts: &mut Vec<TailCut>,
) -> Result<()> {
    let existing = list(fs, dir)?;
    for (i, &trusted) in lens.iter().enumerate() {
        let n = i as u32 + 1;
        let path = dir.join(file_name(n));
        let label = rel(root, &path);
        if !existing.contains(&n) {
            return Err(Error::corrupted(label, 0, "segment file missing"));
        }
        let data = fs.read_file(&path)?;
        if (data.len() as u64) < trusted || trusted < HEADER {
            return Err(Error::corrupted(
                label,
                data.len() as u64,
                format!(
                    "segment is {} bytes, the checkpoint recorded {trusted}",
                    data.len()
                ),
            ));
        }
        check_header(&data, table, n, &label)?;
        let end = trusted as usize;
        replay(&data[..end], store, &label)?;
        if data.len() > end {
            cuts.extend(cut_tail(fs, &path, &data, end, &label)?);
        }
    }
    let last = lens.len() as u32;
    for n in existing.into_iter().filter(|n| *n > last) {
        let path = dir.join(file_name(n));
        log_info!(
            "segment \"{}\" is newer than the last checkpoint; rebuilding it from the WAL",
            rel(root, &path)
        );
        fs.remove_file(&path)?;
    }
    Ok(())
}

/// Removes every segment file of `dir` (a table created after the last
/// checkpoint: its history is all in the WAL).
pub fn discard_all(fs: &dyn FileSystem, dir: &Path) -> Result<()> {
    for n in list(fs, dir)? {
        fs.remove_file(&dir.join(file_name(n)))?;
    }
    Ok(())
}

fn list(fs: &dyn FileSystem, dir: &Path) -> Result<Vec<u32>> {
    if !fs.exists(dir)? {
        return Ok(Vec::new());
    }
    let mut v: Vec<u32> = fs
        .list_dir(dir)?
        .into_iter()
        .filter(|e| !e.is_dir)
        .filter_map(|e| parse_name(&e.name))
        .collect();
    v.sort_unstable();
    Ok(v)
}

fn check_header(data: &[u8], table: TableId, n: u32, label: &str) -> Result<()> {
    let want = super::header(table, n);
    if data.get(..8) != Some(&MAGIC[..]) {
        return Err(Error::corrupted(label, 0, "bad segment header"));
    }
    if data.get(..16) != Some(&want[..]) {
        return Err(Error::corrupted(
            label,
            8,
            format!("header is not that of segment {n} of table {table}"),
        ));
    }
    Ok(())
}

fn replay(data: &[u8], store: &TableStore, label: &str) -> Result<()> {
    let scan = scan_frames(data, HEADER as usize);
    if let Some(reason) = scan.bad {
        return Err(Error::corrupted(label, scan.valid_end as u64, reason));
    }
    for (off, body) in scan.frames {
        let bad = |e: String| Error::corrupted(label, off as u64, e);
        let f = parse_body(&data[body]).map_err(bad)?;
        let ev = Event::decode(f.event_type, f.payload).map_err(bad)?;
        store.apply_event(f.seq, ev).map_err(bad)?;
    }
    Ok(())
}

fn cut_tail(
    fs: &dyn FileSystem,
    path: &Path,
    data: &[u8],
    end: usize,
    label: &str,
) -> Result<Option<TailCut>> {
    let scan = scan_frames(data, end);
    let n = data.len() - end;
    let cut = scan.bad.map(|reason| TailCut {
        file: label.to_string(),
        offset: end as u64,
        bytes: n as u64,
        reason,
    });
    if cut.is_some() {
        log_warn!(
            "segment \"{label}\": cut {n} bytes at offset {end} (torn or corrupt data past the last checkpoint; the WAL holds every commit after it)"
        );
    } else {
        log_info!(
            "segment \"{label}\": cut {n} bytes at offset {end} past the last checkpoint; rebuilding them from the WAL"
        );
    }
    let mut f = fs.open_append(path, false)?;
    f.truncate(end as u64)?;
    f.sync()?;
    Ok(cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::event::INSERT;
    use crate::storage::io::mem::MemFs;
    use crate::storage::segment::writer::SegmentWriter;
    use crate::types::Value;

    fn setup(n: u64) -> (MemFs, std::path::PathBuf, Vec<u64>) {
        let fs = MemFs::new();
        let dir = std::path::PathBuf::from("/t");
        fs.create_dir(&dir).expect("mkdir");
        let mut w = SegmentWriter::new(dir.clone(), 9, Vec::new());
        for i in 0..n {
            let ev = Event::Insert {
                key: vec![i as u8],
                row: vec![Value::Int8(i as i64)],
            };
            w.append(&fs, i + 1, 0, INSERT, &ev.encode_payload().expect("enc"))
                .expect("append");
        }
        let lens = w.sync(&fs, true).expect("sync");
        (fs, dir, lens)
    }

    #[test]
    fn loads_and_cuts_garbage_past_checkpoint() {
        let (fs, dir, lens) = setup(5);
        let len = lens[0];
        let path = dir.join(file_name(1));
        let mut data = fs.read_file(&path).expect("read");
        data.extend_from_slice(b"garbage after the checkpoint");
        fs.put_file(&path, data).expect("put");
        let store = TableStore::new();
        let mut cuts = Vec::new();
        load(&fs, Path::new("/"), &dir, 9, &lens, &store, &mut cuts).expect("load");
        assert_eq!(store.live_rows(), 5);
        assert_eq!(cuts.len(), 1);
        let c = &cuts[0];
        assert_eq!(
            (c.file.as_str(), c.offset, c.bytes),
            ("t/00000001.seg", len, 28)
        );
        assert_eq!(fs.read_file(&path).expect("read").len() as u64, len, "cut");
    }

    #[test]
    fn garbage_after_an_earlier_segment_is_cut_too() {
        let fs = MemFs::new();
        let dir = std::path::PathBuf::from("/t");
        fs.create_dir(&dir).expect("mkdir");
        let mut w = SegmentWriter::new(dir.clone(), 9, Vec::new()).with_limit(60);
        for i in 0..6u64 {
            let ev = Event::Insert {
                key: vec![i as u8],
                row: vec![],
            };
            w.append(&fs, i + 1, 0, INSERT, &ev.encode_payload().expect("enc"))
                .expect("append");
        }
        let lens = w.sync(&fs, true).expect("sync");
        assert!(lens.len() >= 3);
        let first = dir.join(file_name(1));
        let mut data = fs.read_file(&first).expect("read");
        data.extend_from_slice(&[0xab; 40]);
        fs.put_file(&first, data).expect("put");
        let store = TableStore::new();
        let mut cuts = Vec::new();
        load(&fs, Path::new("/"), &dir, 9, &lens, &store, &mut cuts).expect("load");
        assert_eq!(store.live_rows(), 6);
        assert_eq!(cuts.len(), 1);
        assert_eq!(cuts[0].file, "t/00000001.seg");
    }

    #[test]
    fn corruption_inside_checkpoint_is_an_error() {
        let (fs, dir, lens) = setup(5);
        let path = dir.join(file_name(1));
        let mut data = fs.read_file(&path).expect("read");
        data[30] ^= 0xff;
        fs.put_file(&path, data).expect("put");
        let root = Path::new("/");
        match load(
            &fs,
            root,
            &dir,
            9,
            &lens,
            &TableStore::new(),
            &mut Vec::new(),
        ) {
            Err(Error::Corrupted { file, offset, .. }) => {
                assert_eq!(file, "t/00000001.seg");
                assert_eq!(offset, 16, "first frame");
            }
            other => panic!("expected Corrupted, got {other:?}"),
        }
        // A wrong table id in the header is refused too.
        let (fs, dir, lens) = setup(1);
        assert!(
            load(
                &fs,
                root,
                &dir,
                10,
                &lens,
                &TableStore::new(),
                &mut Vec::new()
            )
            .is_err()
        );
        // So is a segment shorter than the checkpoint says.
        let (fs, dir, mut lens) = setup(1);
        lens[0] += 1;
        assert!(
            load(
                &fs,
                root,
                &dir,
                9,
                &lens,
                &TableStore::new(),
                &mut Vec::new()
            )
            .is_err()
        );
    }
}
