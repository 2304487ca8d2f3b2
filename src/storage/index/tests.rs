//! Unit tests of the index store: bounds, periods, and that maintaining an
//! index commit by commit gives exactly what filling it from history gives.

use std::ops::Bound;
use std::sync::Arc;

use super::scan::{IndexScanIter, IndexVersionsIter};
use super::*;
use crate::storage::table::{Change, TableStore};
use crate::types::{Row, Value};

fn row(v: Option<i64>, w: &str) -> Row {
    vec![v.map_or(Value::Null, Value::Int8), Value::Text(w.into())]
}

fn ik(v: Option<i64>) -> Vec<u8> {
    index_key(&row(v, ""), &[0]).expect("key")
}

fn pk(i: u32) -> Vec<u8> {
    i.to_be_bytes().to_vec()
}

/// A table store and an index store (id 16390) on one fresh page file.
fn stores() -> (Arc<TableStore>, Arc<IndexStore>) {
    let t = crate::storage::table::tests::store();
    let ix = Arc::new(IndexStore::new(16_390, t.db().clone()));
    (t, ix)
}

/// Another, empty index on the same page file as `t`.
fn other_index(t: &TableStore, id: u32) -> IndexStore {
    IndexStore::new(id, t.db().clone())
}

/// Applies `changes` at `seq` to the table and, through IxChanges computed
/// from the rows before and after, to the index.
fn commit(t: &TableStore, ix: &IndexStore, cols: &[usize], seq: Seq, changes: Vec<Change>) {
    let mut ixc = Vec::new();
    for c in &changes {
        let (key, new) = match c {
            Change::Insert(k, r) | Change::Update(k, r) => (k, Some(r)),
            Change::Delete(k) => (k, None),
        };
        let old = t
            .get(key, LATEST_FOR_TEST)
            .expect("get")
            .map(|r| index_key(&r, cols).expect("key"));
        let new = new.map(|r| index_key(r, cols).expect("key"));
        ixc.push(IxChange {
            pk: key.clone(),
            old,
            new,
        });
    }
    t.apply(seq, &changes).expect("table apply");
    ix.apply(seq, &ixc).expect("index apply");
}

const LATEST_FOR_TEST: Seq = crate::storage::table::LATEST;

#[test]
fn prefix_end_and_bounds() {
    assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
    assert_eq!(prefix_end(&[1, 0xFF, 0xFF]), Some(vec![2]));
    assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
    assert_eq!(prefix_end(&[]), None);
    let k = |b: &[u8]| b.to_vec();
    // Excluded lower bound of an all-0xFF key (NULL): nothing after it.
    assert!(entry_bounds(&Bound::Excluded(vec![0xFF]), &Bound::Unbounded).is_none());
    // Inverted and empty ranges are None, never a panic later.
    assert!(entry_bounds(&Bound::Included(k(b"b")), &Bound::Excluded(k(b"a"))).is_none());
    assert!(entry_bounds(&Bound::Included(k(b"a")), &Bound::Excluded(k(b"a"))).is_none());
    assert!(entry_bounds(&Bound::Excluded(k(b"a")), &Bound::Included(k(b"a"))).is_none());
    assert_eq!(
        entry_bounds(&Bound::Included(k(b"a")), &Bound::Included(k(b"a"))),
        Some((Bound::Included(k(b"a")), Bound::Excluded(k(b"b"))))
    );
}

#[test]
fn update_keeping_the_key_keeps_one_period() {
    let (t, ix) = stores();
    let c = [0usize];
    commit(
        &t,
        &ix,
        &c,
        1,
        vec![Change::Insert(pk(1), row(Some(10), "a"))],
    );
    commit(
        &t,
        &ix,
        &c,
        2,
        vec![Change::Update(pk(1), row(Some(10), "b"))],
    );
    commit(
        &t,
        &ix,
        &c,
        3,
        vec![Change::Update(pk(1), row(Some(10), "c"))],
    );
    assert_eq!(
        ix.dump().expect("dump"),
        vec![(
            ik(Some(10)),
            pk(1),
            vec![Period {
                start: 1,
                end: OPEN
            }]
        )]
    );
    commit(
        &t,
        &ix,
        &c,
        4,
        vec![Change::Update(pk(1), row(Some(20), "c"))],
    );
    commit(&t, &ix, &c, 5, vec![Change::Delete(pk(1))]);
    commit(
        &t,
        &ix,
        &c,
        6,
        vec![Change::Insert(pk(1), row(Some(10), "d"))],
    );
    let p = |start, end| Period { start, end };
    assert_eq!(
        ix.dump().expect("dump"),
        vec![
            (ik(Some(10)), pk(1), vec![p(1, 4), p(6, OPEN)]),
            (ik(Some(20)), pk(1), vec![p(4, 5)]),
        ]
    );
    let filled = other_index(&t, 16_391);
    filled.fill(&t, &c, "filled").expect("fill");
    assert_eq!(filled.dump().expect("dump"), ix.dump().expect("dump"));
    // Inconsistent changes are errors, not panics.
    let bad = IxChange {
        pk: pk(9),
        old: Some(ik(Some(1))),
        new: None,
    };
    assert!(ix.apply(7, &[bad]).is_err());
    let dup = IxChange {
        pk: pk(1),
        old: None,
        new: Some(ik(Some(10))),
    };
    assert!(ix.apply(7, &[dup]).is_err(), "already current");
}

/// A tiny deterministic generator (xorshift64).
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn maintained_equals_filled_and_scans_match_the_table() {
    let (t, ix) = stores();
    let cols = [0usize, 1];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut live = std::collections::BTreeSet::new();
    let seqs = 300;
    for seq in 1..=seqs {
        let mut changes = Vec::new();
        let mut touched = std::collections::BTreeSet::new();
        for _ in 0..1 + rng.below(4) {
            let key = rng.below(40) as u32;
            if !touched.insert(key) {
                continue;
            }
            let v = match rng.below(6) {
                0 => None,
                n => Some(n as i64),
            };
            let w = ["x", "y"][rng.below(2) as usize];
            let r = row(v, w);
            if !live.contains(&key) {
                live.insert(key);
                changes.push(Change::Insert(pk(key), r));
            } else if rng.below(4) == 0 {
                live.remove(&key);
                changes.push(Change::Delete(pk(key)));
            } else {
                changes.push(Change::Update(pk(key), r));
            }
        }
        commit(&t, &ix, &cols, seq, changes);
    }
    let filled = other_index(&t, 16_391);
    filled.fill(&t, &cols, "filled").expect("fill");
    assert_eq!(
        filled.dump().expect("dump"),
        ix.dump().expect("dump"),
        "fill == apply"
    );
    for s in 0..=seqs {
        for (lo, hi) in [
            (Bound::Unbounded, Bound::Unbounded),
            (Bound::Included(ik(Some(2))), Bound::Included(ik(Some(3)))),
            (Bound::Excluded(ik(Some(2))), Bound::Excluded(ik(Some(5)))),
            (Bound::Included(ik(None)), Bound::Unbounded),
        ] {
            let got: Vec<_> = IndexScanIter::new(ix.clone(), t.clone(), s, &lo, &hi)
                .map(|r| r.expect("row"))
                .collect();
            let mut want: Vec<_> = crate::storage::table::ScanIter::new(
                t.clone(),
                s,
                Bound::Unbounded,
                Bound::Unbounded,
            )
            .map(|r| r.expect("row"))
            .filter_map(|(k, r)| {
                let full = index_key(&r, &cols).expect("key");
                in_range(&full, &lo, &hi).then_some((full, k, r))
            })
            .collect();
            want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            let g: Vec<_> = got
                .iter()
                .map(|(i, k, r)| (i, k, format!("{r:?}")))
                .collect();
            let w: Vec<_> = want
                .iter()
                .map(|(i, k, r)| (i, k, format!("{r:?}")))
                .collect();
            assert_eq!(g, w, "as of {s}, {lo:?}..{hi:?}");
        }
    }
    let all = VersionFilter {
        start_le: Seq::MAX,
        end_gt: 0,
    };
    let n = IndexVersionsIter::new(
        ix,
        t.clone(),
        all,
        seqs,
        &Bound::Unbounded,
        &Bound::Unbounded,
    )
    .count();
    let m =
        crate::storage::table::VersionsIter::new(t, all, seqs, Bound::Unbounded, Bound::Unbounded)
            .count();
    assert_eq!(n, m, "every version through the index exactly once");
}

/// The model of prefix-aware bounds: `key`'s leading bytes compared with
/// each bound.
pub fn in_range(key: &[u8], lo: &Bound<Vec<u8>>, hi: &Bound<Vec<u8>>) -> bool {
    let cut = |b: &[u8]| key[..b.len().min(key.len())].to_vec();
    let lo_ok = match lo {
        Bound::Included(b) => cut(b) >= *b,
        Bound::Excluded(b) => cut(b) > *b,
        Bound::Unbounded => true,
    };
    let hi_ok = match hi {
        Bound::Included(b) => cut(b) <= *b,
        Bound::Excluded(b) => cut(b) < *b,
        Bound::Unbounded => true,
    };
    lo_ok && hi_ok
}
