//! Unit tests of the version trees: gets, the three scan strategies and
//! version scans against a model of version chains.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::storage::VersionFilter;
use crate::storage::btree::BTreeStore;
use crate::storage::io::FileSystem;
use crate::storage::io::mem::MemFs;
use crate::types::Value;

/// A table store on a fresh in-memory page file with a `cache_bytes` pool.
pub fn store_with_cache(cache_bytes: usize) -> Arc<TableStore> {
    let fs = MemFs::new();
    fs.create_dir(Path::new("/db")).expect("mkdir");
    let db = BTreeStore::open(&fs, Path::new("/db"), cache_bytes).expect("open");
    Arc::new(TableStore::new(16_384, db))
}

/// A table store on a fresh in-memory page file.
pub fn store() -> Arc<TableStore> {
    store_with_cache(1 << 20)
}

fn row(i: i32) -> Row {
    vec![Value::Int4(i)]
}

fn ints(rows: Vec<Result<(Vec<u8>, Row)>>) -> Vec<i32> {
    rows.into_iter()
        .map(|r| match r.expect("row").1[0] {
            Value::Int4(i) => i,
            _ => -1,
        })
        .collect()
}

fn get(t: &TableStore, k: &[u8], s: Seq) -> Option<String> {
    t.get(k, s).expect("get").map(|r| format!("{r:?}"))
}

#[test]
fn versions_answer_as_of() {
    let t = store();
    t.apply(1, &[Change::Insert(b"a".to_vec(), row(1))])
        .expect("insert");
    t.apply(2, &[Change::Update(b"a".to_vec(), row(2))])
        .expect("update");
    t.apply(3, &[Change::Delete(b"a".to_vec())])
        .expect("delete");
    assert_eq!(get(&t, b"a", 0), None);
    assert_eq!(get(&t, b"a", 1), Some(format!("{:?}", row(1))));
    assert_eq!(get(&t, b"a", 2), Some(format!("{:?}", row(2))));
    assert_eq!(get(&t, b"a", 3), None);
    assert!(!t.exists_latest(b"a").expect("exists"));
    assert_eq!(t.live_rows(), 0);
    assert!(t.apply(4, &[Change::Delete(b"a".to_vec())]).is_err());
    t.apply(4, &[Change::Insert(b"a".to_vec(), row(4))])
        .expect("reinsert");
    assert!(
        t.apply(5, &[Change::Insert(b"a".to_vec(), row(5))])
            .is_err()
    );
    assert_eq!(get(&t, b"a", 2), Some(format!("{:?}", row(2))));
    assert_eq!(get(&t, b"a", 3), None);
    assert_eq!(get(&t, b"a", LATEST), Some(format!("{:?}", row(4))));
    assert_eq!(t.live_rows(), 1);
}

#[test]
fn scans_and_bounds() {
    let t = store();
    let n = SCAN_CHUNK as i32 * 2 + 10;
    let changes: Vec<_> = (0..n)
        .map(|i| Change::Insert((i as u32).to_be_bytes().to_vec(), row(i)))
        .collect();
    t.apply(1, &changes).expect("apply");
    let all: Vec<_> = ScanIter::new(t.clone(), 1, Bound::Unbounded, Bound::Unbounded).collect();
    assert_eq!(ints(all), (0..n).collect::<Vec<_>>());
    let k = |i: u32| i.to_be_bytes().to_vec();
    let some: Vec<_> =
        ScanIter::new(t.clone(), 1, Bound::Excluded(k(5)), Bound::Included(k(8))).collect();
    assert_eq!(ints(some), vec![6, 7, 8]);
    let none: Vec<_> = ScanIter::new(t.clone(), 0, Bound::Unbounded, Bound::Unbounded).collect();
    assert!(none.is_empty());
    // Inverted and empty-exclusive ranges give nothing, not a panic.
    assert_eq!(
        ScanIter::new(t.clone(), 1, Bound::Included(k(9)), Bound::Included(k(3))).count(),
        0
    );
    assert_eq!(
        ScanIter::new(t.clone(), 1, Bound::Excluded(k(3)), Bound::Excluded(k(3))).count(),
        0
    );
    assert_eq!(
        ScanIter::new(t, 1, Bound::Included(k(3)), Bound::Excluded(k(3))).count(),
        0
    );
}

#[test]
fn versions_cap_at_visible() {
    let t = store();
    t.apply(1, &[Change::Insert(b"a".to_vec(), row(1))])
        .expect("insert");
    t.apply(2, &[Change::Update(b"a".to_vec(), row(2))])
        .expect("update");
    let all = VersionFilter {
        start_le: Seq::MAX,
        end_gt: 0,
    };
    let vs: Vec<_> = VersionsIter::new(t.clone(), all, 1, Bound::Unbounded, Bound::Unbounded)
        .map(|v| v.expect("version"))
        .collect();
    assert_eq!(vs.len(), 1, "version starting at unpublished seq 2 hidden");
    assert_eq!(
        (vs[0].start, vs[0].end),
        (1, None),
        "end at unpublished seq reads open"
    );
    let vs: Vec<_> = VersionsIter::new(t, all, 2, Bound::Unbounded, Bound::Unbounded)
        .map(|v| v.expect("version"))
        .collect();
    assert_eq!(
        vs.iter().map(|v| (v.start, v.end)).collect::<Vec<_>>(),
        vec![(1, Some(2)), (2, None)]
    );
}

/// Keys that are prefixes of each other and hold zero bytes: the escaped
/// history keys must still group and order versions by key.
#[test]
fn awkward_keys_keep_their_versions_apart() {
    let t = store();
    let keys: Vec<Vec<u8>> = vec![vec![], vec![0], vec![0, 0], vec![0, 1], vec![1], vec![1, 0]];
    let ins: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Change::Insert(k.clone(), row(i as i32)))
        .collect();
    t.apply(1, &ins).expect("insert");
    for s in 2..6 {
        let up: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| Change::Update(k.clone(), row(i as i32 + 10 * s as i32)))
            .collect();
        t.apply(s, &up).expect("update");
    }
    for s in 1..6u64 {
        for (i, k) in keys.iter().enumerate() {
            let want = if s == 1 {
                i as i32
            } else {
                i as i32 + 10 * s as i32
            };
            assert_eq!(get(&t, k, s), Some(format!("{:?}", row(want))), "{k:?}@{s}");
        }
        for budget in [0, usize::MAX] {
            for skip in [false, true] {
                let got: Vec<_> = ScanIter::new(t.clone(), s, Bound::Unbounded, Bound::Unbounded)
                    .with_ended_budget(budget)
                    .with_skip_scan(skip)
                    .map(|r| r.expect("row").0)
                    .collect();
                assert_eq!(got, keys, "as of {s}, budget {budget}, skip {skip}");
            }
        }
    }
}

/// A version chain model: key → [(start, end, value)].
type Model = BTreeMap<u32, Vec<(Seq, Seq, i32)>>;

fn model_at(m: &Model, s: Seq, lo: u32, hi: u32) -> Vec<(u32, i32)> {
    m.range(lo..=hi)
        .filter_map(|(k, vs)| {
            vs.iter()
                .find(|(a, b, _)| *a <= s && s < *b)
                .map(|v| (*k, v.2))
        })
        .collect()
}

/// Builds a random history of `seqs` commits over `keys` keys into `t`
/// and the model.
pub fn random_history(t: &TableStore, keys: u32, seqs: Seq, seed: u64) -> Model {
    let mut rng = crate::storage::index::tests::Rng(seed);
    let mut m = Model::new();
    for seq in 1..=seqs {
        let mut changes = Vec::new();
        let mut touched = std::collections::BTreeSet::new();
        for _ in 0..1 + rng.below(6) {
            let key = rng.below(u64::from(keys)) as u32;
            if !touched.insert(key) {
                continue;
            }
            let val = rng.below(1000) as i32;
            let chain = m.entry(key).or_default();
            let live = chain.last().is_some_and(|v| v.1 == OPEN);
            let kb = key.to_be_bytes().to_vec();
            if !live {
                chain.push((seq, OPEN, val));
                changes.push(Change::Insert(kb, row(val)));
            } else if rng.below(5) == 0 {
                if let Some(v) = chain.last_mut() {
                    v.1 = seq;
                }
                changes.push(Change::Delete(kb));
            } else {
                if let Some(v) = chain.last_mut() {
                    v.1 = seq;
                }
                chain.push((seq, OPEN, val));
                changes.push(Change::Update(kb, row(val)));
            }
        }
        t.apply(seq, &changes).expect("apply");
    }
    m
}

#[test]
fn every_strategy_equals_the_model() {
    let t = store();
    let seqs = 120;
    let m = random_history(&t, 60, seqs, 0x2545_f491_4f6c_dd1d);
    let k = |i: u32| i.to_be_bytes().to_vec();
    for s in 0..=seqs {
        for (lo, hi) in [(0, u32::MAX), (10, 20), (0, 0), (59, 59)] {
            let want: Vec<i32> = model_at(&m, s, lo, hi).into_iter().map(|x| x.1).collect();
            let bounds = || {
                if (lo, hi) == (0, u32::MAX) {
                    (Bound::Unbounded, Bound::Unbounded)
                } else {
                    (Bound::Included(k(lo)), Bound::Included(k(hi)))
                }
            };
            for budget in [None, Some(0), Some(3), Some(usize::MAX)] {
                for skip in [None, Some(false), Some(true)] {
                    let (l, h) = bounds();
                    let mut it = ScanIter::new(t.clone(), s, l, h);
                    if let Some(b) = budget {
                        it = it.with_ended_budget(b);
                    }
                    if let Some(on) = skip {
                        it = it.with_skip_scan(on);
                    }
                    assert_eq!(
                        ints(it.collect()),
                        want,
                        "as of {s} {lo}..={hi} {budget:?} skip {skip:?}"
                    );
                }
            }
            // With periods: each row's version as the model has it (an
            // end past the published seq, here `s`, reads as open).
            let (l, h) = bounds();
            let got: Vec<(u32, Seq, Seq)> = ScanIter::new(t.clone(), s, l, h)
                .with_periods(s)
                .map(|v| {
                    let v = v.expect("version");
                    let key = u32::from_be_bytes(v.key[..4].try_into().expect("u32 key"));
                    (key, v.start, v.end.unwrap_or(OPEN))
                })
                .collect();
            let want: Vec<(u32, Seq, Seq)> = m
                .range(lo..=hi)
                .filter_map(|(key, vs)| {
                    let (a, b, _) = vs.iter().find(|(a, b, _)| *a <= s && s < *b)?;
                    Some((*key, *a, if *b > s { OPEN } else { *b }))
                })
                .collect();
            assert_eq!(got, want, "periods as of {s} {lo}..={hi}");
        }
        for key in 0..60u32 {
            let want = model_at(&m, s, key, key).first().map(|x| row(x.1));
            assert_eq!(
                get(&t, &k(key), s),
                want.map(|r| format!("{r:?}")),
                "{key}@{s}"
            );
        }
    }
    let all = VersionFilter {
        start_le: Seq::MAX,
        end_gt: 0,
    };
    let got: Vec<_> = VersionsIter::new(t.clone(), all, seqs, Bound::Unbounded, Bound::Unbounded)
        .map(|v| {
            let v = v.expect("version");
            (v.key, v.start, v.end.unwrap_or(OPEN))
        })
        .collect();
    let want: Vec<_> = m
        .iter()
        .flat_map(|(key, vs)| vs.iter().map(move |v| (k(*key), v.0, v.1)))
        .collect();
    assert_eq!(got, want);
    // Versions between seqs 40 and 60 of keys 5..=9, as BETWEEN asks.
    let f = VersionFilter {
        start_le: 60,
        end_gt: 40,
    };
    let got = VersionsIter::new(t, f, seqs, Bound::Included(k(5)), Bound::Included(k(9))).count();
    let want = m
        .range(5..=9)
        .flat_map(|(_, vs)| vs.iter())
        .filter(|v| v.0 <= 60 && v.1 > 40)
        .count();
    assert_eq!(got, want);
}
