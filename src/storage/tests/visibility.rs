//! AS OF reads, history scans, and the seq ↔ time index.

use std::ops::Bound;

use super::*;
use crate::storage::VersionFilter;
use crate::storage::io::mem::MemFs;

fn history(s: &Storage, t: TableId, f: VersionFilter) -> Vec<(u64, Option<u64>, i64)> {
    s.reader(t)
        .expect("reader")
        .versions(Bound::Unbounded, Bound::Unbounded, f)
        .map(|x| {
            let x = x.expect("version");
            (x.start, x.end, v(&x.row))
        })
        .collect()
}

#[test]
fn insert_update_delete_as_of_each_seq() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "events");
    assert_eq!(put(&s, t, 1, 10), 1);
    assert_eq!(put(&s, t, 1, 20), 2);
    let mut w = s.begin_write(&no_abort).expect("begin");
    assert!(w.delete(t, &k(1)).expect("delete"));
    assert_eq!(w.commit().expect("commit"), Some(3));
    let rd = s.reader(t).expect("reader");
    let at = |seq| rd.get(&k(1), seq).expect("get").map(|row| v(&row));
    assert_eq!(
        [at(0), at(1), at(2), at(3)],
        [None, Some(10), Some(20), None]
    );
    assert_eq!(at(99), None, "beyond the last seq reads the current state");
    assert_eq!(dump(&s, t, 1), vec![(1, 10)]);
    assert_eq!(dump(&s, t, 3), vec![]);
    assert_eq!(rd.approx_rows(), 0);

    let all = VersionFilter {
        start_le: u64::MAX,
        end_gt: 0,
    };
    assert_eq!(
        history(&s, t, all),
        vec![(1, Some(2), 10), (2, Some(3), 20)]
    );
    // AS OF 2: start <= 2 < end.
    assert_eq!(
        history(
            &s,
            t,
            VersionFilter {
                start_le: 2,
                end_gt: 2
            }
        ),
        vec![(2, Some(3), 20)]
    );
    // FROM 1 TO 2: start < 2 and end > 1.
    assert_eq!(
        history(
            &s,
            t,
            VersionFilter {
                start_le: 1,
                end_gt: 1
            }
        ),
        vec![(1, Some(2), 10)]
    );
    // BETWEEN 2 AND 3: start <= 3 and end > 2.
    assert_eq!(
        history(
            &s,
            t,
            VersionFilter {
                start_le: 3,
                end_gt: 2
            }
        ),
        vec![(2, Some(3), 20)]
    );
    assert_eq!(
        history(
            &s,
            t,
            VersionFilter {
                start_le: 0,
                end_gt: 0
            }
        ),
        vec![]
    );
}

#[test]
fn current_version_has_an_open_end_and_history_survives_reopen() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    put(&s, t, 1, 1);
    put(&s, t, 2, 2);
    put(&s, t, 1, 3);
    let all = VersionFilter {
        start_le: u64::MAX,
        end_gt: 0,
    };
    let before = history(&s, t, all);
    assert_eq!(before, vec![(1, Some(3), 1), (3, None, 3), (2, None, 2)]);
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    assert_eq!(history(&s, t, all), before);
    assert_eq!(s.visible_seq(), 3);
}

#[test]
fn range_scans_respect_bounds_and_as_of() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let mut w = s.begin_write(&no_abort).expect("begin");
    for i in 0..3000 {
        assert!(w.insert(t, k(i), r(i as i64)).expect("insert"));
    }
    assert_eq!(w.commit().expect("commit"), Some(1));
    let mut w = s.begin_write(&no_abort).expect("begin");
    for i in (0..3000).step_by(2) {
        assert!(w.delete(t, &k(i)).expect("delete"));
    }
    w.commit().expect("commit");
    let rd = s.reader(t).expect("reader");
    assert_eq!(rd.scan(1, Bound::Unbounded, Bound::Unbounded).count(), 3000);
    assert_eq!(rd.scan(2, Bound::Unbounded, Bound::Unbounded).count(), 1500);
    let mid: Vec<_> = rd
        .scan(2, Bound::Included(k(100)), Bound::Excluded(k(110)))
        .map(|x| v(&x.expect("row").1))
        .collect();
    assert_eq!(mid, vec![101, 103, 105, 107, 109]);
    assert_eq!(
        rd.scan(2, Bound::Included(k(9)), Bound::Excluded(k(3)))
            .count(),
        0
    );
}

#[test]
fn seq_time_index_with_a_clock_stepping_back() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    assert_eq!(s.seq_at_time(i64::MAX), 0, "no data yet");
    c.set(1_000);
    put(&s, t, 1, 1);
    c.set(2_000);
    put(&s, t, 2, 2);
    c.set(1_500); // the wall clock steps back
    put(&s, t, 3, 3);
    c.set(3_000);
    put(&s, t, 4, 4);
    assert_eq!(s.commit_time(3), Some(2_000), "the last time is reused");
    assert_eq!(s.commit_time(0), None);
    assert_eq!(s.commit_time(5), None);
    assert_eq!(s.seq_at_time(999), 0);
    assert_eq!(s.seq_at_time(1_000), 1);
    assert_eq!(s.seq_at_time(1_999), 1);
    assert_eq!(s.seq_at_time(2_000), 3, "ties resolve to the largest seq");
    assert_eq!(s.seq_before_time(2_000), 1);
    assert_eq!(s.seq_before_time(2_001), 3);
    assert_eq!(s.seq_at_time(i64::MAX), 4);
    // A DDL-only commit takes no seq and no entry in the index.
    create(&s, "u");
    assert_eq!(s.seq_at_time(i64::MAX), 4);
    // Persisted: across a clean shutdown and across a crash.
    s.shutdown().expect("shutdown");
    drop(s);
    let s = open(&fs, &c).expect("reopen");
    assert_eq!(s.commit_time(3), Some(2_000));
    c.set(500); // the clock is now before every commit
    put(&s, t, 5, 5);
    assert_eq!(
        s.commit_time(5),
        Some(3_000),
        "still non-decreasing after reopen"
    );
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("crash reopen");
    assert_eq!(s.seq_at_time(2_999), 3);
    assert_eq!(s.seq_at_time(3_000), 5);
}
