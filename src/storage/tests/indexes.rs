//! Secondary indexes through the public API: scans as of every seq across
//! inserts, updates (changing the key or not) and deletes; range bounds,
//! composite and NULL keys; an index created after its table's history;
//! a transaction's own writes, rollback and savepoints; names; drop table.
//! Durability and concurrency of indexes are in `index_durability`.

use std::ops::Bound;
use std::path::Path;

use super::*;
use crate::encoding::keycode::encode_key;
use crate::error::SqlState;
use crate::storage::index::Period;
use crate::storage::io::FileSystem;
use crate::storage::table::OPEN;
use crate::storage::{IndexId, Storage, Version, VersionFilter, WriteTxn};

/// A row `(v, w)`: `v` an int8 or NULL, `w` text.
pub fn row2(v: Option<i64>, w: &str) -> Row {
    vec![v.map_or(Value::Null, Value::Int8), Value::Text(w.into())]
}

/// The index key of values.
pub fn key(vals: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(vals, &mut out).expect("encode");
    out
}

/// The index key of one int8 (or NULL).
pub fn ik(v: Option<i64>) -> Vec<u8> {
    key(&[v.map_or(Value::Null, Value::Int8)])
}

/// Primary key of `k(i)` back to `i`.
pub fn pk_of(key: &[u8]) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(key);
    u32::from_be_bytes(b)
}

/// Rows (pk, row) through `ix` as of `seq`.
pub fn ix_rows(
    s: &Storage,
    t: TableId,
    ix: IndexId,
    seq: u64,
    lo: Bound<Vec<u8>>,
    hi: Bound<Vec<u8>>,
) -> Vec<(u32, Row)> {
    s.reader(t)
        .expect("reader")
        .index_scan(ix, seq, lo, hi)
        .map(|r| {
            let (k, row) = r.expect("row");
            (pk_of(&k), row)
        })
        .collect()
}

/// Primary keys with index key `v`, as of `seq`.
pub fn eq(s: &Storage, t: TableId, ix: IndexId, seq: u64, v: Option<i64>) -> Vec<u32> {
    ix_rows(
        s,
        t,
        ix,
        seq,
        Bound::Included(ik(v)),
        Bound::Included(ik(v)),
    )
    .into_iter()
    .map(|(k, _)| k)
    .collect()
}

/// Every version through `ix` in the range passing `f`: (pk, start, end).
pub fn ix_versions(
    s: &Storage,
    t: TableId,
    ix: IndexId,
    lo: Bound<Vec<u8>>,
    hi: Bound<Vec<u8>>,
    f: VersionFilter,
) -> Vec<(u32, u64, Option<u64>)> {
    s.reader(t)
        .expect("reader")
        .index_versions(ix, lo, hi, f)
        .map(|v| {
            let v: Version = v.expect("version");
            (pk_of(&v.key), v.start, v.end)
        })
        .collect()
}

/// Every version.
pub const ALL: VersionFilter = VersionFilter {
    start_le: u64::MAX,
    end_gt: 0,
};

fn begin(s: &Storage) -> WriteTxn {
    s.begin_write(&no_abort).expect("begin")
}

/// Creates index `name` on `cols` of `t` in its own commit.
pub fn create_ix(s: &Storage, t: TableId, name: &str, cols: Vec<usize>) -> IndexId {
    let mut w = begin(s);
    let id = w.create_index(t, name, cols, false).expect("create index");
    assert_eq!(w.commit().expect("commit"), None, "index DDL uses no seq");
    id
}

/// The history checked by [`check_history`]: seqs 1..=6.
fn history(s: &Storage, t: TableId) {
    let mut w = begin(s);
    w.insert(t, k(1), row2(Some(10), "a")).expect("insert");
    w.insert(t, k(2), row2(Some(10), "b")).expect("insert");
    w.insert(t, k(3), row2(Some(20), "c")).expect("insert");
    w.insert(t, k(4), row2(None, "n")).expect("insert");
    assert_eq!(w.commit().expect("commit"), Some(1));
    let steps: [(u32, Option<Row>); 5] = [
        (1, Some(row2(Some(20), "a"))),  // 2: key changes
        (2, Some(row2(Some(10), "bb"))), // 3: key stays
        (3, None),                       // 4: delete
        (3, Some(row2(Some(10), "c2"))), // 5: re-insert
        (1, Some(row2(Some(10), "a"))),  // 6: key changes back
    ];
    for (i, (key_no, r)) in steps.into_iter().enumerate() {
        let mut w = begin(s);
        match r {
            Some(r) => {
                if !w.insert(t, k(key_no), r.clone()).expect("insert") {
                    assert!(w.update(t, k(key_no), r).expect("update"));
                }
            }
            None => assert!(w.delete(t, &k(key_no)).expect("delete")),
        }
        assert_eq!(w.commit().expect("commit"), Some(i as u64 + 2));
    }
}

fn check_history(s: &Storage, t: TableId, ix: IndexId) {
    let tens: [&[u32]; 7] = [&[], &[1, 2], &[2], &[2], &[2], &[2, 3], &[1, 2, 3]];
    let twenties: [&[u32]; 7] = [&[], &[3], &[1, 3], &[1, 3], &[1], &[1], &[]];
    for seq in 0..=6u64 {
        assert_eq!(eq(s, t, ix, seq, Some(10)), tens[seq as usize], "10 @{seq}");
        assert_eq!(
            eq(s, t, ix, seq, Some(20)),
            twenties[seq as usize],
            "20 @{seq}"
        );
        let nulls: &[u32] = if seq == 0 { &[] } else { &[4] };
        assert_eq!(eq(s, t, ix, seq, None), nulls, "NULL @{seq}");
    }
    // Rows come with their values as of the seq.
    let at = |seq| {
        ix_rows(
            s,
            t,
            ix,
            seq,
            Bound::Included(ik(Some(10))),
            Bound::Included(ik(Some(10))),
        )
    };
    assert_eq!(at(2), vec![(2, row2(Some(10), "b"))]);
    assert_eq!(at(3), vec![(2, row2(Some(10), "bb"))]);
    // Versions through the index: every version while its key was 10.
    let ten = || (Bound::Included(ik(Some(10))), Bound::Included(ik(Some(10))));
    let (lo, hi) = ten();
    assert_eq!(
        ix_versions(s, t, ix, lo, hi, ALL),
        vec![
            (1, 1, Some(2)),
            (1, 6, None),
            (2, 1, Some(3)),
            (2, 3, None),
            (3, 5, None)
        ]
    );
    // Filtered like `versions`: those valid at seq 2, and FROM 1 TO 4.
    let (lo, hi) = ten();
    let at2 = VersionFilter {
        start_le: 2,
        end_gt: 2,
    };
    assert_eq!(ix_versions(s, t, ix, lo, hi, at2), vec![(2, 1, Some(3))]);
    let (lo, hi) = ten();
    let from_to = VersionFilter {
        start_le: 3,
        end_gt: 1,
    };
    assert_eq!(
        ix_versions(s, t, ix, lo, hi, from_to),
        vec![(1, 1, Some(2)), (2, 1, Some(3)), (2, 3, None)]
    );
}

/// The entries of index `ix` with their periods: (index key, pk, periods).
pub fn entries(s: &Storage, ix: IndexId) -> Vec<(Vec<u8>, u32, Vec<Period>)> {
    s.inner.published().indexes[&ix]
        .store
        .dump()
        .expect("dump")
        .into_iter()
        .map(|(i, p, ps)| (i, pk_of(&p), ps))
        .collect()
}

#[test]
fn index_scans_answer_as_of_every_seq() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let ix = create_ix(&s, t, "t_v", vec![0]);
    history(&s, t);
    check_history(&s, t, ix);
    // An UPDATE that kept the key made no new entry: row 2 has one entry
    // with one open period.
    let p = |start, end| Period { start, end };
    let e = entries(&s, ix);
    assert_eq!(
        e.iter().filter(|(_, pk, _)| *pk == 2).collect::<Vec<_>>(),
        vec![&(ik(Some(10)), 2, vec![p(1, OPEN)])]
    );
    assert_eq!(
        e.iter().filter(|(_, pk, _)| *pk == 1).collect::<Vec<_>>(),
        vec![
            &(ik(Some(10)), 1, vec![p(1, 2), p(6, OPEN)]),
            &(ik(Some(20)), 1, vec![p(2, 6)])
        ]
    );
}

#[test]
fn an_index_created_after_the_history_answers_old_seqs() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let early = create_ix(&s, t, "early", vec![0]);
    history(&s, t);
    let late = create_ix(&s, t, "late", vec![0]);
    check_history(&s, t, late);
    assert_eq!(
        entries(&s, late),
        entries(&s, early),
        "built from history == maintained"
    );
    // Recovery rebuilds both identically, from the WAL and from segments.
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen from the WAL");
    check_history(&s, t, early);
    check_history(&s, t, late);
    s.checkpoint().expect("checkpoint");
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    check_history(&s, t, late);
    check_history(&s, t, early);
}

#[test]
fn composite_keys_ranges_and_nulls() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let ix = create_ix(&s, t, "t_ab", vec![1, 0]);
    let mut w = begin(&s);
    let mut n = 0;
    let a_vals = [Some(2), None, Some(-5), Some(1), Some(3)];
    for a in a_vals {
        for b in ["y", "x"] {
            n += 1;
            // Column 1 is `a`, column 0 is `b`: the index is on (a, b).
            let r = vec![Value::Text(b.into()), a.map_or(Value::Null, Value::Int8)];
            w.insert(t, k(n), r).expect("insert");
        }
    }
    w.commit().expect("commit");
    let a = |v: Option<i64>| ik(v);
    let ab = |v: i64, b: &str| key(&[Value::Int8(v), Value::Text(b.into())]);
    let got = |lo, hi| -> Vec<(Option<i64>, String)> {
        ix_rows(&s, t, ix, 1, lo, hi)
            .into_iter()
            .map(|(_, r)| {
                let a = match &r[1] {
                    Value::Int8(i) => Some(*i),
                    _ => None,
                };
                let b = match &r[0] {
                    Value::Text(b) => b.clone(),
                    _ => String::new(),
                };
                (a, b)
            })
            .collect()
    };
    let pairs = |v: &[(Option<i64>, &str)]| -> Vec<(Option<i64>, String)> {
        v.iter().map(|(a, b)| (*a, b.to_string())).collect()
    };
    use Bound::{Excluded as Ex, Included as In, Unbounded as Un};
    // Everything: by a (negative first, NULL last), then b.
    assert_eq!(
        got(Un, Un),
        pairs(&[
            (Some(-5), "x"),
            (Some(-5), "y"),
            (Some(1), "x"),
            (Some(1), "y"),
            (Some(2), "x"),
            (Some(2), "y"),
            (Some(3), "x"),
            (Some(3), "y"),
            (None, "x"),
            (None, "y")
        ])
    );
    // Leading-column equality (a prefix of the key), and a whole key.
    assert_eq!(
        got(In(a(Some(2))), In(a(Some(2)))),
        pairs(&[(Some(2), "x"), (Some(2), "y")])
    );
    assert_eq!(
        got(In(ab(2, "y")), In(ab(2, "y"))),
        pairs(&[(Some(2), "y")])
    );
    // a > 1: NULLs are stored and sort last; stopping before NULL excludes them.
    assert_eq!(got(Ex(a(Some(1))), Un).len(), 6);
    assert_eq!(
        got(Ex(a(Some(1))), Ex(a(None))),
        pairs(&[
            (Some(2), "x"),
            (Some(2), "y"),
            (Some(3), "x"),
            (Some(3), "y")
        ])
    );
    // a <= 1, a < 1, 1 <= a < 3, (a, b) > (2, 'x').
    assert_eq!(got(Un, In(a(Some(1)))).len(), 4);
    assert_eq!(got(Un, Ex(a(Some(1)))).len(), 2);
    assert_eq!(got(In(a(Some(1))), Ex(a(Some(3)))).len(), 4);
    assert_eq!(
        got(Ex(ab(2, "x")), Ex(a(Some(3)))),
        pairs(&[(Some(2), "y")])
    );
    // IS NULL.
    assert_eq!(
        got(In(a(None)), In(a(None))),
        pairs(&[(None, "x"), (None, "y")])
    );
    // Empty and inverted ranges: nothing, no panic.
    assert!(got(In(a(Some(3))), In(a(Some(1)))).is_empty());
    assert!(got(Ex(a(Some(2))), Ex(a(Some(2)))).is_empty());
    assert!(got(In(a(Some(2))), Ex(a(Some(2)))).is_empty());
    assert!(got(Ex(a(None)), Un).is_empty());
    assert!(got(In(a(Some(7))), In(a(Some(7)))).is_empty());
}

#[test]
fn scans_cross_chunks_of_equal_keys() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let ix = create_ix(&s, t, "t_v", vec![0]);
    let n = 2 * crate::storage::table::SCAN_CHUNK as u32 + 77;
    let mut w = begin(&s);
    for i in 0..n {
        let v = if i % 10 == 9 { 2 } else { 1 };
        w.insert(t, k(i), row2(Some(v), "")).expect("insert");
    }
    w.commit().expect("commit");
    let ones = eq(&s, t, ix, 1, Some(1));
    assert_eq!(ones, (0..n).filter(|i| i % 10 != 9).collect::<Vec<_>>());
    assert_eq!(
        ix_rows(&s, t, ix, 1, Bound::Unbounded, Bound::Unbounded).len(),
        n as usize
    );
    let mut w = begin(&s);
    for i in 0..n {
        w.update(t, k(i), row2(Some(3), "")).expect("update");
    }
    w.commit().expect("commit");
    let vs = ix_versions(&s, t, ix, Bound::Unbounded, Bound::Unbounded, ALL);
    assert_eq!(vs.len(), 2 * n as usize);
    assert!(eq(&s, t, ix, 2, Some(1)).is_empty());
    assert_eq!(eq(&s, t, ix, 2, Some(3)).len(), n as usize);
    // The transaction's own view crosses chunks too.
    let w = begin(&s);
    let seen = w
        .index_scan(
            ix,
            Bound::Included(ik(Some(3))),
            Bound::Included(ik(Some(3))),
        )
        .expect("scan")
        .count();
    assert_eq!(seen, n as usize);
}

/// (pk, v, w) of a transaction's index scan.
fn txn_eq(w: &WriteTxn, ix: IndexId, v: Option<i64>) -> Vec<(u32, Row)> {
    w.index_scan(ix, Bound::Included(ik(v)), Bound::Included(ik(v)))
        .expect("scan")
        .map(|r| {
            let (k, row) = r.expect("row");
            (pk_of(&k), row)
        })
        .collect()
}

fn pks(v: Vec<(u32, Row)>) -> Vec<u32> {
    v.into_iter().map(|(k, _)| k).collect()
}

#[test]
fn a_transaction_sees_its_own_writes_through_indexes() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let ix = create_ix(&s, t, "t_v", vec![0]);
    let mut w = begin(&s);
    for i in 1..=5u32 {
        w.insert(t, k(i), row2(Some(i64::from(i % 2)), "w"))
            .expect("insert");
    }
    w.commit().expect("commit");
    let mut w = begin(&s);
    w.insert(t, k(6), row2(Some(1), "new")).expect("insert");
    w.update(t, k(1), row2(Some(0), "w")).expect("update");
    w.update(t, k(2), row2(Some(0), "zz")).expect("update");
    w.delete(t, &k(3)).expect("delete");
    assert_eq!(pks(txn_eq(&w, ix, Some(1))), vec![5, 6]);
    let zeros = txn_eq(&w, ix, Some(0));
    assert_eq!(pks(zeros.clone()), vec![1, 2, 4]);
    assert_eq!(zeros[1].1, row2(Some(0), "zz"), "the overlay's row");
    // Unbounded: overlay and committed entries interleave in key order.
    let all = pks(w
        .index_scan(ix, Bound::Unbounded, Bound::Unbounded)
        .expect("scan")
        .map(|r| r.map(|(k, r)| (pk_of(&k), r)).expect("row"))
        .collect());
    assert_eq!(all, vec![1, 2, 4, 5, 6]);
    // Savepoints undo index-visible data.
    let sp = w.savepoint();
    w.insert(t, k(7), row2(Some(1), "")).expect("insert");
    w.update(t, k(5), row2(Some(0), "")).expect("update");
    w.delete(t, &k(6)).expect("delete");
    w.insert(t, k(6), row2(None, "back")).expect("re-insert");
    assert_eq!(pks(txn_eq(&w, ix, Some(1))), vec![7]);
    assert_eq!(pks(txn_eq(&w, ix, None)), vec![6]);
    w.rollback_to(sp);
    assert_eq!(pks(txn_eq(&w, ix, Some(1))), vec![5, 6]);
    assert!(txn_eq(&w, ix, None).is_empty());
    // Nobody else sees any of it until commit.
    assert_eq!(eq(&s, t, ix, u64::MAX, Some(1)), vec![1, 3, 5]);
    assert_eq!(w.commit().expect("commit"), Some(2));
    assert_eq!(eq(&s, t, ix, 2, Some(1)), vec![5, 6]);
    assert_eq!(eq(&s, t, ix, 2, Some(0)), vec![1, 2, 4]);
    assert_eq!(eq(&s, t, ix, 1, Some(1)), vec![1, 3, 5]);
}

#[test]
fn unique_checks_in_a_large_transaction() {
    // The SQL layer looks a value up before each write: with thousands of
    // rows in the overlay, each lookup must still be a range, not a scan.
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let ix = create_ix(&s, t, "t_v", vec![0]);
    let mut w = begin(&s);
    let n = 5000u32;
    for i in 0..n {
        let v = Some(i64::from(i % (n / 2)));
        let dup = !txn_eq(&w, ix, v).is_empty();
        assert_eq!(dup, i >= n / 2, "row {i}");
        if !dup {
            w.insert(t, k(i), row2(v, "")).expect("insert");
        }
    }
    w.commit().expect("commit");
    assert_eq!(
        ix_rows(&s, t, ix, 1, Bound::Unbounded, Bound::Unbounded).len(),
        (n / 2) as usize
    );
}

#[test]
fn index_ddl_is_transactional() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    put(&s, t, 1, 1);
    // Visible to the transaction at once, to others at commit.
    let mut w = begin(&s);
    let a = w.create_index(t, "a", vec![0], true).expect("create");
    assert!(a > t, "ids come from the table id counter");
    assert_eq!(w.indexes(t).len(), 1);
    assert!(w.indexes(t)[0].unique);
    assert_eq!(w.index_by_name("a").map(|m| m.id), Some(a));
    assert!(s.indexes(t).is_empty());
    assert!(s.index_by_name("a").is_none());
    let e = s
        .reader(t)
        .expect("reader")
        .index_scan(a, 1, Bound::Unbounded, Bound::Unbounded);
    let e = e.collect::<Vec<_>>();
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].as_ref().expect_err("not committed").sqlstate(),
        SqlState::UNDEFINED_OBJECT
    );
    assert_eq!(w.commit().expect("commit"), None);
    assert_eq!(s.indexes(t).len(), 1);
    assert_eq!(s.index_by_name("a").map(|m| (m.id, m.table)), Some((a, t)));
    let file = format!("/db/tables/t/indexes/{a}.meta");
    assert!(fs.exists(Path::new(&file)).expect("exists"));
    // Rollback leaves nothing: no index, no WAL bytes, no file.
    let wal_bytes = || {
        fs.files_under(Path::new("/db/wal"))
            .iter()
            .map(|p| fs.read_file(p).expect("read").len())
            .sum::<usize>()
    };
    let before = wal_bytes();
    let mut w = begin(&s);
    let ghost = w.create_index(t, "ghost", vec![0], false).expect("create");
    w.rollback();
    assert_eq!(wal_bytes(), before);
    assert!(s.index_by_name("ghost").is_none());
    let ghost_file = format!("/db/tables/t/indexes/{ghost}.meta");
    assert!(!fs.exists(Path::new(&ghost_file)).expect("exists"));
    // Savepoints undo index DDL, and the overlay is re-indexed.
    let mut w = begin(&s);
    let sp0 = w.savepoint();
    let b = w.create_index(t, "b", vec![0], false).expect("create");
    w.insert(t, k(2), r(2)).expect("insert");
    let sp1 = w.savepoint();
    w.insert(t, k(3), r(3)).expect("insert");
    w.drop_index(b).expect("drop");
    w.drop_index(a).expect("drop");
    assert!(w.index_scan(b, Bound::Unbounded, Bound::Unbounded).is_err());
    let b2 = w.create_index(t, "b", vec![0], false).expect("name freed");
    w.insert(t, k(4), r(4)).expect("insert");
    assert_eq!(
        w.index_scan(b2, Bound::Unbounded, Bound::Unbounded)
            .expect("scan")
            .count(),
        4
    );
    w.rollback_to(sp1);
    assert_eq!(
        w.indexes(t).iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![a, b]
    );
    for i in [a, b] {
        let got: Vec<_> = w
            .index_scan(i, Bound::Unbounded, Bound::Unbounded)
            .expect("scan")
            .map(|r| pk_of(&r.expect("row").0))
            .collect();
        assert_eq!(got, vec![1, 2], "index {i} after rollback_to");
    }
    w.insert(t, k(5), r(5)).expect("insert");
    assert_eq!(
        w.index_scan(b, Bound::Unbounded, Bound::Unbounded)
            .expect("scan")
            .count(),
        3
    );
    w.rollback_to(sp0);
    assert_eq!(
        w.indexes(t).iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![a]
    );
    assert!(w.index_scan(b, Bound::Unbounded, Bound::Unbounded).is_err());
    // DROP INDEX commits without a seq, and removes the file.
    w.drop_index(a).expect("drop");
    assert!(w.has_changes());
    assert_eq!(w.commit().expect("commit"), None);
    assert!(s.indexes(t).is_empty());
    assert!(!fs.exists(Path::new(&file)).expect("exists"));
    let mut w = begin(&s);
    assert_eq!(
        w.drop_index(a).expect_err("gone").sqlstate(),
        SqlState::UNDEFINED_OBJECT
    );
}

#[test]
fn index_and_table_names_share_a_namespace() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let u = create(&s, "u");
    create_ix(&s, t, "t_v", vec![0]);
    let mut w = begin(&s);
    let dup = |e: crate::error::Error, name: &str| {
        assert_eq!(e.sqlstate(), SqlState::DUPLICATE_TABLE);
        assert_eq!(e.message(), format!("relation \"{name}\" already exists"));
    };
    dup(
        w.create_index(t, "u", vec![0], false)
            .expect_err("table name"),
        "u",
    );
    dup(
        w.create_index(u, "t_v", vec![0], false)
            .expect_err("index name"),
        "t_v",
    );
    dup(
        w.create_table("t_v", vec![]).expect_err("index name"),
        "t_v",
    );
    dup(
        w.alter_table(u, "t_v", vec![]).expect_err("index name"),
        "t_v",
    );
    assert_eq!(
        w.create_index(9, "x", vec![0], false)
            .expect_err("no table")
            .sqlstate(),
        SqlState::UNDEFINED_TABLE
    );
    assert!(w.create_index(t, "", vec![0], false).is_err());
    assert!(w.create_index(t, "x", vec![], false).is_err());
    let long = "i".repeat(300);
    assert_eq!(
        w.create_index(t, &long, vec![0], false)
            .expect_err("too long")
            .sqlstate(),
        SqlState::PROGRAM_LIMIT_EXCEEDED
    );
    assert!(!w.has_changes(), "failed DDL changed nothing");
}

#[test]
fn dropping_a_table_drops_its_indexes() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let u = create(&s, "u");
    let ti = create_ix(&s, t, "t_v", vec![0]);
    let ui = create_ix(&s, u, "u_v", vec![0]);
    put(&s, t, 1, 1);
    let mut w = begin(&s);
    let sp = w.savepoint();
    w.drop_table(t).expect("drop");
    assert!(w.indexes(t).is_empty());
    assert!(
        w.index_scan(ti, Bound::Unbounded, Bound::Unbounded)
            .is_err()
    );
    w.rollback_to(sp);
    assert_eq!(
        w.index_scan(ti, Bound::Unbounded, Bound::Unbounded)
            .expect("scan")
            .count(),
        1
    );
    w.drop_table(t).expect("drop");
    // The name is free for a new table, and so is the index's.
    let t2 = w.create_table("t", vec![]).expect("create");
    let ti2 = w.create_index(t2, "t_v", vec![0], false).expect("index");
    w.commit().expect("commit");
    assert!(
        s.index_by_name("t_v")
            .is_some_and(|m| m.id == ti2 && m.table == t2)
    );
    assert_eq!(s.indexes(u).len(), 1);
    let file = format!("/db/tables/t/indexes/{ti}.meta");
    assert!(!fs.exists(Path::new(&file)).expect("exists"));
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    let names: Vec<_> = [t, t2, u]
        .iter()
        .flat_map(|x| s.indexes(*x))
        .map(|m| (m.id, m.name))
        .collect();
    assert_eq!(
        names,
        vec![(ti2, "t_v".to_string()), (ui, "u_v".to_string())]
    );
}

/// Asserts that every index of `t` answers, as of every seq, exactly what
/// filtering the table by index key gives, in (index key, pk) order, and
/// that its versions are exactly the table's versions in that order.
pub fn assert_consistent(s: &Storage, t: TableId) {
    use crate::storage::index::index_key;
    let rd = s.reader(t).expect("reader");
    let (un, top) = (|| Bound::Unbounded, s.visible_seq());
    for m in s.indexes(t) {
        let ikey = |row: &Row| index_key(row, &m.columns).expect("key");
        for seq in 0..=top {
            let got: Vec<String> = rd
                .index_scan(m.id, seq, un(), un())
                .map(|x| format!("{:?}", x.expect("row")))
                .collect();
            let mut want: Vec<_> = rd
                .scan(seq, un(), un())
                .map(|x| x.expect("row"))
                .map(|(k, row)| (ikey(&row), k, row))
                .collect();
            want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            let want: Vec<String> = want
                .into_iter()
                .map(|(_, k, row)| format!("{:?}", (k, row)))
                .collect();
            assert_eq!(got, want, "index {} as of {seq}", m.name);
        }
        let show = |v: Version| format!("{:?}", (v.key, v.start, v.end, v.row));
        let got: Vec<String> = rd
            .index_versions(m.id, un(), un(), ALL)
            .map(|v| show(v.expect("version")))
            .collect();
        let mut want: Vec<_> = rd
            .versions(un(), un(), ALL)
            .map(|v| v.expect("version"))
            .map(|v| (ikey(&v.row), v.key.clone(), v.start, v))
            .collect();
        want.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
        let want: Vec<String> = want.into_iter().map(|(.., v)| show(v)).collect();
        assert_eq!(got, want, "versions of index {}", m.name);
    }
}
