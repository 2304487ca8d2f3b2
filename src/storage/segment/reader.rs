//! Segments at recovery: checked against what the last checkpoint made
//! durable, and cut back to it. They are no longer replayed at startup (the
//! page file holds every version); only the bytes the last checkpoint
//! added are re-read, so the cost is bounded by one checkpoint interval.
//! [`replay`] reads whole segments for tools and for upgrading a data
//! directory written before the page file.

use std::path::Path;

use super::{HEADER, MAGIC, file_name, parse_body, parse_name};
use crate::error::{Error, Result};
use crate::storage::Seq;
use crate::storage::codec::scan_frames;
use crate::storage::event::Event;
use crate::storage::io::FileSystem;
use crate::storage::metafile::rel;
use crate::storage::{TableId, TailCut};
use crate::{log_info, log_warn};

/// Checks segments 1..=n of `dir` against `lens[i - 1]`, the durable
/// lengths the checkpoint recorded: each must exist, hold at least that
/// many bytes, and carry its own header. The frames between `verify[i - 1]`
/// (the previous checkpoint's length; the header for segments it did not
/// have) and `lens[i - 1]` are read and checked; with `verify` `None`
/// nothing is. Bytes past the recorded lengths are cut (logged), and
/// higher-numbered segments removed: the WAL holds those commits. Any check
/// failing inside the recorded lengths is corruption: those bytes were
/// fsynced by a checkpoint. A cut of torn or corrupt bytes is added to
/// `cuts`.
pub fn check(
    fs: &dyn FileSystem,
    root: &Path,
    dir: &Path,
    (table, lens): (TableId, &[u64]),
    verify: Option<&[u64]>,
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
        let f = fs.open_random(&path, false)?;
        let len = f.len()?;
        if len < trusted || trusted < HEADER {
            return Err(Error::corrupted(
                label,
                len,
                format!("segment is {len} bytes, the checkpoint recorded {trusted}"),
            ));
        }
        let mut head = [0u8; HEADER as usize];
        f.read_at(0, &mut head)?;
        check_header(&head, table, n, &label)?;
        if let Some(v) = verify {
            let from = v.get(i).copied().unwrap_or(HEADER).max(HEADER);
            if from < trusted {
                verify_range(f.as_ref(), from, trusted, &label, VERIFY_CHUNK)?;
            }
        }
        if len > trusted {
            let tail = read_range(f.as_ref(), trusted, len)?;
            drop(f);
            cuts.extend(cut_tail(fs, &path, &tail, trusted, &label)?);
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

/// Calls `f` on every event of segments 1..=n of `dir`, each read up to
/// `lens[i - 1]` bytes, in order. Any check failing is corruption.
pub fn replay(
    fs: &dyn FileSystem,
    root: &Path,
    dir: &Path,
    (table, lens): (TableId, &[u64]),
    mut f: impl FnMut(Seq, Event) -> Result<()>,
) -> Result<()> {
    for (i, &trusted) in lens.iter().enumerate() {
        let n = i as u32 + 1;
        let path = dir.join(file_name(n));
        let label = rel(root, &path);
        if !fs.exists(&path)? {
            return Err(Error::corrupted(label, 0, "segment file missing"));
        }
        let data = fs.read_file(&path)?;
        let end = usize::try_from(trusted).unwrap_or(usize::MAX);
        if data.len() < end || trusted < HEADER {
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
        check_frames(&data[HEADER as usize..end], HEADER, &label, &mut f)?;
    }
    Ok(())
}

/// Bytes read at a time by [`verify_range`].
const VERIFY_CHUNK: u64 = 1 << 20;

/// Checks the frames in `[from, to)` of `f`, `chunk` bytes at a time, so memory
/// stays about one chunk (plus one frame) whatever the segment's size. A
/// frame cut by a chunk's end is completed by the next chunk; one still
/// invalid when the range is all read is corruption.
fn verify_range(
    f: &dyn crate::storage::io::RandomFile,
    from: u64,
    to: u64,
    label: &str,
    chunk: u64,
) -> Result<()> {
    let chunk = chunk.max(1);
    let mut buf: Vec<u8> = Vec::new();
    let (mut base, mut next) = (from, from);
    loop {
        if next < to {
            let end = (next + chunk).min(to);
            let chunk = read_range(f, next, end)?;
            if chunk.len() as u64 != end - next {
                return Err(Error::corrupted(label, next, "segment ends early"));
            }
            buf.extend_from_slice(&chunk);
            next = end;
        }
        let scan = scan_frames(&buf, 0);
        if scan.bad.is_some() && next < to {
            // Possibly a frame the next chunk completes: check what is
            // whole, keep the rest.
            check_frames(&buf[..scan.valid_end], base, label, |_, _| Ok(()))?;
        } else {
            check_frames(&buf, base, label, |_, _| Ok(()))?;
        }
        buf.drain(..scan.valid_end);
        base += scan.valid_end as u64;
        if next >= to {
            return Ok(());
        }
    }
}

fn read_range(f: &dyn crate::storage::io::RandomFile, from: u64, to: u64) -> Result<Vec<u8>> {
    let n = usize::try_from(to - from)
        .map_err(|_| Error::Io(format!("segment range of {} bytes", to - from)))?;
    let mut buf = vec![0u8; n];
    let got = f.read_at(from, &mut buf)?;
    buf.truncate(got);
    Ok(buf)
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

/// Checks the frames of `data` (the bytes of a segment from offset `base`
/// on, which must end at a frame boundary) and decodes their events,
/// calling `f` on each.
fn check_frames(
    data: &[u8],
    base: u64,
    label: &str,
    mut f: impl FnMut(Seq, Event) -> Result<()>,
) -> Result<()> {
    let scan = scan_frames(data, 0);
    if let Some(reason) = scan.bad {
        return Err(Error::corrupted(
            label,
            base + scan.valid_end as u64,
            reason,
        ));
    }
    for (off, body) in scan.frames {
        let bad = |e: String| Error::corrupted(label, base + off as u64, e);
        let fb = parse_body(&data[body]).map_err(bad)?;
        let ev = Event::decode(fb.event_type, fb.payload).map_err(bad)?;
        f(fb.seq, ev)?;
    }
    Ok(())
}

/// Cuts the file at `path` to `end` bytes; `tail` is what followed.
fn cut_tail(
    fs: &dyn FileSystem,
    path: &Path,
    tail: &[u8],
    end: u64,
    label: &str,
) -> Result<Option<TailCut>> {
    let scan = scan_frames(tail, 0);
    let n = tail.len();
    let cut = scan.bad.map(|reason| TailCut {
        file: label.to_string(),
        offset: end,
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
    f.truncate(end)?;
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

    fn count(fs: &MemFs, dir: &Path, lens: &[u64]) -> usize {
        let mut n = 0;
        replay(fs, Path::new("/"), dir, (9, lens), |_, _| {
            n += 1;
            Ok(())
        })
        .expect("replay");
        n
    }

    #[test]
    fn checks_and_cuts_garbage_past_checkpoint() {
        let (fs, dir, lens) = setup(5);
        let len = lens[0];
        let path = dir.join(file_name(1));
        let mut data = fs.read_file(&path).expect("read");
        data.extend_from_slice(b"garbage after the checkpoint");
        fs.put_file(&path, data).expect("put");
        let mut cuts = Vec::new();
        check(&fs, Path::new("/"), &dir, (9, &lens), Some(&[]), &mut cuts).expect("check");
        assert_eq!(count(&fs, &dir, &lens), 5);
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
        let mut cuts = Vec::new();
        check(&fs, Path::new("/"), &dir, (9, &lens), None, &mut cuts).expect("check");
        assert_eq!(count(&fs, &dir, &lens), 6);
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
        // Found when the damaged bytes are among those checked...
        match check(&fs, root, &dir, (9, &lens), Some(&[]), &mut Vec::new()) {
            Err(Error::Corrupted { file, offset, .. }) => {
                assert_eq!(file, "t/00000001.seg");
                assert_eq!(offset, 16, "first frame");
            }
            other => panic!("expected Corrupted, got {other:?}"),
        }
        // ...and by a full replay; not when only later bytes are checked.
        assert!(replay(&fs, root, &dir, (9, &lens), |_, _| Ok(())).is_err());
        check(&fs, root, &dir, (9, &lens), Some(&lens), &mut Vec::new()).expect("nothing to check");
        // A wrong table id in the header is refused too.
        let (fs, dir, lens) = setup(1);
        assert!(check(&fs, root, &dir, (10, &lens), None, &mut Vec::new()).is_err());
        // So is a segment shorter than the checkpoint says.
        let (fs, dir, mut lens) = setup(1);
        lens[0] += 1;
        assert!(check(&fs, root, &dir, (9, &lens), None, &mut Vec::new()).is_err());
    }

    #[test]
    fn chunked_verification_matches_whole_reads() {
        let (fs, dir, lens) = setup(5);
        let path = dir.join(file_name(1));
        let clean = fs.read_file(&path).expect("read");
        let f = fs.open_random(&path, false).expect("open");
        for chunk in 1..=64 {
            verify_range(f.as_ref(), HEADER, lens[0], "s", chunk).expect("clean");
        }
        let mut bad = clean.clone();
        bad[40] ^= 0xff;
        fs.put_file(&path, bad).expect("put");
        let f = fs.open_random(&path, false).expect("open");
        let want = match read_range(f.as_ref(), HEADER, lens[0])
            .and_then(|d| check_frames(&d, HEADER, "s", |_, _| Ok(())))
        {
            Err(Error::Corrupted { offset, .. }) => offset,
            other => panic!("expected Corrupted, got {other:?}"),
        };
        for chunk in 1..=64 {
            match verify_range(f.as_ref(), HEADER, lens[0], "s", chunk) {
                Err(Error::Corrupted { offset, .. }) => assert_eq!(offset, want, "chunk {chunk}"),
                other => panic!("chunk {chunk}: expected Corrupted, got {other:?}"),
            }
        }
    }
}
