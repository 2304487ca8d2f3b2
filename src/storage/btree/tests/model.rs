//! The B-tree against `BTreeMap` as a model: random inserts (keys and
//! values of every size class, up to the limits and across the inline /
//! overflow boundary), deletes, point gets, forward and backward ranges
//! with random bounds, committed or rolled back batches, interleaved with
//! checkpoints and reopens from a crash image; the tree ends at depth ≥ 3.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::{Rng, check, dump, mem_fs, open, seeds};
use crate::error::SqlState;
use crate::storage::btree::node::{MAX_CELL, MAX_KEY_LEN};
use crate::storage::btree::{BTreeStore, WriteTxn};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

const TREES: [&str; 2] = ["a", "b"];

/// A key: short random, long shared prefix (long separators, so deep
/// trees), or huge (near the limit).
fn key(rng: &mut Rng) -> Vec<u8> {
    const ALPHA: &[u8] = b"\x00\x01abc\xfe\xff";
    match rng.below(100) {
        0..55 => {
            let n = rng.range(0, 12);
            rng.bytes_from(n, ALPHA)
        }
        55..97 => {
            let mut k = vec![b'p'; 280];
            let n = rng.range(1, 6);
            k.extend(rng.bytes_from(n, ALPHA));
            k
        }
        _ => {
            let n = MAX_KEY_LEN - rng.range(0, 3);
            let mut k = vec![b'q'; n - 2];
            k.extend(rng.bytes_from(2, ALPHA));
            k
        }
    }
}

/// A value: small, medium, right at the inline limit, or overflowing.
fn value(rng: &mut Rng, klen: usize) -> Vec<u8> {
    let n = match rng.below(100) {
        0..55 => rng.range(0, 64),
        55..85 => rng.range(500, 2048),
        85..95 => (MAX_CELL - 9 - klen.min(MAX_CELL - 12)) + rng.range(0, 4) - 2,
        _ => rng.range(3000, 40_000),
    };
    let fill = rng.below(256) as u8;
    let mut v = vec![fill; n];
    if n > 0 {
        v[n - 1] = rng.below(256) as u8;
    }
    v
}

fn bound(rng: &mut Rng, model: &Model) -> Bound<Vec<u8>> {
    let k = if !model.is_empty() && rng.pct(60) {
        let i = rng.below(model.len() as u64) as usize;
        model.keys().nth(i).cloned().unwrap_or_default()
    } else {
        key(rng)
    };
    match rng.below(3) {
        0 => Bound::Unbounded,
        1 => Bound::Included(k),
        _ => Bound::Excluded(k),
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    b.as_ref().map(Vec::as_slice)
}

/// Compares a random range of `tree` in the transaction with the model.
fn check_range(rng: &mut Rng, txn: &WriteTxn<'_>, tree: &str, model: &Model) {
    let (lo, hi) = (bound(rng, model), bound(rng, model));
    let reverse = rng.pct(50);
    let got: Vec<_> = txn
        .range(tree, as_ref(&lo), as_ref(&hi), reverse)
        .expect("range")
        .collect::<crate::error::Result<_>>()
        .expect("scan");
    let valid = match (&lo, &hi) {
        (Bound::Included(l), Bound::Included(h)) => l <= h,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Included(h) | Bound::Excluded(h)) => l < h,
        _ => true,
    };
    let mut want: Vec<_> = if valid {
        model
            .range::<Vec<u8>, _>((lo.clone(), hi.clone()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    } else {
        Vec::new()
    };
    if reverse {
        want.reverse();
    }
    assert!(
        got == want,
        "range {lo:?}..{hi:?} reverse={reverse}: {} entries, want {}",
        got.len(),
        want.len()
    );
}

/// One random operation in the open transaction, mirrored in `model`.
fn step(rng: &mut Rng, txn: &mut WriteTxn<'_>, models: &mut [Model; 2]) {
    let t = rng.below(2) as usize;
    let (tree, model) = (TREES[t], &mut models[t]);
    match rng.below(100) {
        0..55 => {
            let k = key(rng);
            let v = value(rng, k.len());
            let old = txn.insert(tree, &k, &v).expect("insert");
            assert_eq!(old, model.insert(k, v), "insert's previous value");
        }
        55..80 => {
            let k = if !model.is_empty() && rng.pct(80) {
                let i = rng.below(model.len() as u64) as usize;
                model.keys().nth(i).cloned().unwrap_or_default()
            } else {
                key(rng)
            };
            assert_eq!(txn.delete(tree, &k).expect("delete"), model.remove(&k));
        }
        80..96 => {
            let k = key(rng);
            assert_eq!(txn.get(tree, &k).expect("get"), model.get(&k).cloned());
        }
        _ => check_range(rng, txn, tree, model),
    }
}

/// Everything in both trees equals the models, from a fresh snapshot.
fn check_all(store: &std::sync::Arc<BTreeStore>, models: &[Model; 2]) {
    let snap = store.snapshot();
    for (t, model) in TREES.iter().zip(models) {
        let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert!(dump(&snap, t) == want, "tree {t} differs from the model");
        assert_eq!(
            snap.tree_stats(t).expect("stats").entries,
            model.len() as u64
        );
        for (k, v) in model.iter().take(50) {
            assert_eq!(snap.get(t, k).expect("get").as_ref(), Some(v));
        }
    }
    check(store);
}

fn run(seed: u64, batches: usize, cache_bytes: usize) -> u32 {
    eprintln!("model test seed {seed}");
    let mut rng = Rng::new(seed);
    let mut fs = mem_fs();
    let mut store = open(&fs, cache_bytes);
    let mut models: [Model; 2] = Default::default();
    let mut txn = store.write().expect("write");
    for t in TREES {
        txn.create_tree(t).expect("create");
    }
    txn.commit().expect("commit");
    for b in 0..batches {
        let mut next = models.clone();
        let mut txn = store.write().expect("write");
        for _ in 0..rng.range(1, 120) {
            step(&mut rng, &mut txn, &mut next);
        }
        if rng.pct(10) {
            drop(txn); // rolled back
        } else {
            txn.commit().expect("commit");
            models = next;
        }
        if rng.pct(8) {
            check_all(&store, &models);
            store
                .checkpoint(format!("batch {b}").as_bytes())
                .expect("checkpoint");
            if rng.pct(50) {
                fs = fs.crash_image();
                drop(store);
                store = open(&fs, cache_bytes);
                assert_eq!(store.checkpoint_meta(), format!("batch {b}").as_bytes());
                check_all(&store, &models);
            }
        }
    }
    check_all(&store, &models);
    let report = crate::storage::btree::verify::verify(&store).expect("verify");
    eprintln!(
        "seed {seed}: {report:?}\n{:?}",
        store.stats().expect("stats")
    );
    let snap = store.snapshot();
    TREES
        .iter()
        .map(|t| snap.tree_stats(t).expect("stats").height)
        .max()
        .unwrap_or(0)
}

#[test]
fn random_operations_match_the_model() {
    for seed in seeds(&[1, 2, 3]) {
        let height = run(seed, 400, 1 << 20);
        assert!(height >= 3, "seed {seed}: height {height}, want >= 3");
    }
}

#[test]
fn random_operations_with_a_tiny_cache() {
    for seed in seeds(&[11]) {
        run(seed, 150, 0);
    }
}

#[test]
fn limits_are_refused_with_54000_and_the_txn_survives() {
    let fs = mem_fs();
    let store = open(&fs, 1 << 20);
    let mut txn = store.write().expect("write");
    txn.create_tree("t").expect("create");
    let e = txn
        .insert("t", &vec![0; MAX_KEY_LEN + 1], b"v")
        .expect_err("key too long");
    assert_eq!(e.sqlstate(), SqlState::PROGRAM_LIMIT_EXCEEDED);
    assert!(
        e.message()
            .contains("index row size 2049 exceeds maximum 2048"),
        "{e}"
    );
    txn.insert("t", &vec![7; MAX_KEY_LEN], &vec![1; 100_000])
        .expect("largest key, overflowing value");
    txn.insert("t", b"", b"empty key").expect("empty key");
    txn.commit().expect("commit");
    let snap = store.snapshot();
    assert_eq!(
        snap.get("t", b"").expect("get"),
        Some(b"empty key".to_vec())
    );
    assert_eq!(
        snap.get("t", &vec![7; MAX_KEY_LEN])
            .expect("get")
            .map(|v| v.len()),
        Some(100_000)
    );
    assert!(snap.get("missing", b"k").is_err(), "unknown tree");
    let txn = store.write().expect("write");
    assert!(
        store.checkpoint(b"").is_err(),
        "the writer's own thread: an error, not a hang"
    );
    assert!(store.stats().is_err());
    drop(txn);
    store
        .checkpoint(b"")
        .expect("checkpoint after the transaction");
}

#[test]
fn drop_tree_frees_everything_and_abort_restores() {
    let fs = mem_fs();
    let store = open(&fs, 1 << 20);
    let mut txn = store.write().expect("write");
    txn.create_tree("t").expect("create");
    txn.create_tree("u").expect("create");
    for i in 0..3000u32 {
        txn.insert("t", &i.to_be_bytes(), &[1; 300])
            .expect("insert");
    }
    txn.insert("u", b"big", &[5; 50_000]).expect("insert");
    txn.commit().expect("commit");
    store.checkpoint(b"").expect("checkpoint");
    let mut txn = store.write().expect("write");
    assert!(txn.drop_tree("t").expect("drop"));
    assert!(!txn.drop_tree("t").expect("drop again"));
    drop(txn);
    let snap = store.snapshot();
    assert_eq!(
        snap.tree_stats("t")
            .expect("t survives the rollback")
            .entries,
        3000
    );
    check(&store);
    let mut txn = store.write().expect("write");
    txn.drop_tree("t").expect("drop");
    txn.drop_tree("u").expect("drop");
    txn.commit().expect("commit");
    drop(snap);
    check(&store);
    store.checkpoint(b"").expect("checkpoint");
    store.checkpoint(b"").expect("checkpoint");
    let st = store.stats().expect("stats");
    assert!(
        st.free_pages + 2 >= st.page_count - 4,
        "space comes back: {st:?}"
    );
}

#[test]
fn growing_then_shrinking_merges_and_returns_space() {
    for seed in seeds(&[31]) {
        eprintln!("seed {seed}");
        let mut rng = Rng::new(seed);
        let fs = mem_fs();
        let store = open(&fs, 1 << 20);
        let mut model = Model::new();
        let mut txn = store.write().expect("write");
        txn.create_tree("a").expect("create");
        for _ in 0..6000 {
            let k = key(&mut rng);
            let v = value(&mut rng, k.len());
            txn.insert("a", &k, &v).expect("insert");
            model.insert(k, v);
        }
        txn.commit().expect("commit");
        store.checkpoint(b"").expect("checkpoint");
        let full = store.snapshot().tree_stats("a").expect("stats").height;
        assert!(full >= 3, "height {full}");
        let pages_full = store.stats().expect("stats").page_count;
        let mut keys: Vec<Vec<u8>> = model.keys().cloned().collect();
        // Delete in random order, verifying the structure as it shrinks.
        for i in (1..keys.len()).rev() {
            keys.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for (n, chunk) in keys.chunks(400).enumerate() {
            let mut txn = store.write().expect("write");
            for k in chunk {
                assert_eq!(txn.delete("a", k).expect("delete"), model.remove(k));
            }
            txn.commit().expect("commit");
            check_tree(&store, &model);
            if n % 3 == 0 {
                store.checkpoint(b"").expect("checkpoint");
            }
        }
        let st = store.snapshot().tree_stats("a").expect("stats");
        assert_eq!((st.entries, st.height, st.root), (0, 0, 0), "empty again");
        store.checkpoint(b"").expect("checkpoint");
        store.checkpoint(b"").expect("checkpoint");
        let s = store.stats().expect("stats");
        // Every page is free again (the file does not shrink; copies made
        // between checkpoints grew it by less than its size).
        assert!(
            s.free_pages + 4 >= s.page_count - 2 && s.page_count <= 2 * pages_full,
            "space returns: {s:?}, {pages_full} pages when full"
        );
    }
}

fn check_tree(store: &std::sync::Arc<BTreeStore>, model: &Model) {
    let snap = store.snapshot();
    let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert!(dump(&snap, "a") == want, "tree differs from the model");
    check(store);
}

#[test]
fn ascending_keys_fill_pages() {
    use crate::storage::btree::node::NODE_ROOM;
    let fs = mem_fs();
    let store = open(&fs, 1 << 20);
    let mut txn = store.write().expect("write");
    txn.create_tree("a").expect("create");
    txn.commit().expect("commit");
    const N: u64 = 20_000;
    for batch in 0..N / 1000 {
        let mut txn = store.write().expect("write");
        for i in batch * 1000..(batch + 1) * 1000 {
            txn.insert("a", &i.to_be_bytes(), &[5; 100])
                .expect("insert");
        }
        txn.commit().expect("commit");
    }
    let report = crate::storage::btree::verify::verify(&store).expect("verify");
    let nodes = report["a"].nodes;
    let bytes = N * (2 + 7 + 8 + 100);
    let full = bytes.div_ceil(NODE_ROOM as u64);
    // Leaves about 90% full (an even split would leave them half full).
    assert!(
        nodes <= full * 100 / 85 + 3,
        "{nodes} nodes for {full} pages of data"
    );
    // Descending keys are the mirror case: even splits, but still correct.
    let mut txn = store.write().expect("write");
    for i in (0..2000u64).rev() {
        txn.insert("a", &(i | 1 << 40).to_be_bytes(), b"d")
            .expect("insert");
    }
    txn.commit().expect("commit");
    check(&store);
}
