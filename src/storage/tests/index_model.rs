//! Random transactions against a model: inserts, updates and deletes over a
//! small key space, savepoints rolled back, transactions rolled back, an
//! index created after half the history. At random points a transaction's
//! own index scans must equal its table view filtered by index key; after
//! every commit each index must equal the table filtered by index key as of
//! every seq; and recovery must rebuild the very same entries.

use std::ops::Bound;

use super::indexes::{assert_consistent, entries, key, row2};
use super::*;
use crate::storage::index::index_key;
use crate::storage::index::tests::{Rng, in_range};
use crate::storage::{IndexId, IndexMeta, WriteTxn};

fn random_row(rng: &mut Rng) -> Row {
    let v = match rng.below(5) {
        0 => None,
        n => Some(n as i64 - 2),
    };
    row2(v, ["a", "b", "c"][rng.below(3) as usize])
}

fn random_bound(rng: &mut Rng, m: &IndexMeta) -> Bound<Vec<u8>> {
    let v = match rng.below(5) {
        0 => Value::Null,
        n => Value::Int8(n as i64 - 2),
    };
    let w = Value::Text(["a", "b", "c"][rng.below(3) as usize].into());
    // A whole key or just the leading column.
    let vals = match (m.columns[0], rng.below(2)) {
        (0, 0) => vec![v],
        (0, _) => vec![v, w],
        (_, 0) => vec![w],
        _ => vec![w, v],
    };
    match rng.below(3) {
        0 => Bound::Unbounded,
        1 => Bound::Included(key(&vals)),
        _ => Bound::Excluded(key(&vals)),
    }
}

/// The transaction's index scan equals its table scan filtered by key.
fn check_txn_view(w: &WriteTxn, t: TableId, m: &IndexMeta, rng: &mut Rng) {
    let (lo, hi) = (random_bound(rng, m), random_bound(rng, m));
    let got: Vec<String> = w
        .index_scan(m.id, lo.clone(), hi.clone())
        .expect("index scan")
        .map(|x| format!("{:?}", x.expect("row")))
        .collect();
    let mut want: Vec<_> = w
        .scan(t, Bound::Unbounded, Bound::Unbounded)
        .expect("scan")
        .map(|x| x.expect("row"))
        .map(|(k, row)| (index_key(&row, &m.columns).expect("key"), k, row))
        .filter(|(i, ..)| in_range(i, &lo, &hi))
        .collect();
    want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let want: Vec<String> = want
        .into_iter()
        .map(|(_, k, row)| format!("{:?}", (k, row)))
        .collect();
    assert_eq!(got, want, "{} in {lo:?}..{hi:?}", m.name);
}

fn random_write(w: &mut WriteTxn, t: TableId, rng: &mut Rng) {
    // Half the writes hit five hot keys, so a key is often written both
    // before and after a savepoint.
    let span = if rng.below(2) == 0 { 5 } else { 30 };
    let key = k(rng.below(span) as u32);
    let exists = w.get(t, &key).expect("get").is_some();
    match (exists, rng.below(4)) {
        (false, _) => assert!(w.insert(t, key, random_row(rng)).expect("insert")),
        (true, 0) => assert!(w.delete(t, &key).expect("delete")),
        (true, _) => assert!(w.update(t, key, random_row(rng)).expect("update")),
    }
}

fn round(s: &Storage, t: TableId, rng: &mut Rng, n: u32) {
    let mut w = s.begin_write(&no_abort).expect("begin");
    let mut sp = None;
    if n == 40 {
        // Index DDL rolled back to a savepoint inside a busy transaction.
        let p = w.savepoint();
        w.create_index(t, "gone", vec![1], false).expect("create");
        random_write(&mut w, t, rng);
        w.rollback_to(p);
    }
    for _ in 0..1 + rng.below(10) {
        if sp.is_none() && rng.below(4) == 0 {
            sp = Some(w.savepoint());
        }
        random_write(&mut w, t, rng);
        if rng.below(3) == 0 {
            for m in w.indexes(t) {
                check_txn_view(&w, t, &m, rng);
            }
        }
    }
    if let Some(p) = sp.filter(|_| rng.below(2) == 0) {
        w.rollback_to(p);
        for m in w.indexes(t) {
            check_txn_view(&w, t, &m, rng);
        }
    }
    if n == 60 {
        w.create_index(t, "late", vec![1, 0], false)
            .expect("create");
    }
    if rng.below(10) == 0 {
        w.rollback();
    } else {
        w.commit().expect("commit");
    }
}

#[test]
fn random_transactions_match_the_model() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    super::indexes::create_ix(&s, t, "early", vec![0]);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for n in 0..200 {
        round(&s, t, &mut rng, n);
        if n % 50 == 49 {
            assert_consistent(&s, t);
        }
    }
    assert!(s.index_by_name("gone").is_none());
    let ids: Vec<IndexId> = s.indexes(t).iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 2);
    let before: Vec<_> = ids.iter().map(|i| entries(&s, *i)).collect();
    drop(s);
    // From the WAL, then from what that recovery checkpointed.
    let mut img = fs.crash_image();
    for _ in 0..2 {
        let s = open(&img, &c).expect("reopen");
        let after: Vec<_> = ids.iter().map(|i| entries(&s, *i)).collect();
        assert_eq!(after, before, "recovery rebuilds the same entries");
        assert_consistent(&s, t);
        drop(s);
        img = img.crash_image();
    }
}
