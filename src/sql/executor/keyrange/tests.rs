//! Key ranges: successors, emptiness, and the ranges a lookup evaluates to
//! (equalities, IN lists with duplicates and NULLs, inexact values, ranges
//! after a prefix).

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::cancel::CancelFlag;
use crate::sql::executor::Source;
use crate::sql::functions::FnContext;
use crate::storage::io::mem::MemFs;
use crate::storage::{Storage, StorageOptions, Tuning};
use crate::types::{TypeContext, Value};

#[test]
fn successor_skips_trailing_ff() {
    assert_eq!(successor(&[1, 2, 3]), Some(vec![1, 2, 4]));
    assert_eq!(successor(&[1, 0xFF, 0xFF]), Some(vec![2]));
    assert_eq!(successor(&[0xFF]), None);
    assert_eq!(successor(&[]), None);
}

#[test]
fn successor_bounds_every_extension() {
    let k = vec![0x20, 0x80, 0xFF];
    let s = successor(&k).unwrap();
    for ext in [vec![], vec![0u8], vec![0xFF, 0xFF, 0xFF], vec![0x40, 1]] {
        let mut e = k.clone();
        e.extend(ext);
        assert!(e < s);
    }
    assert!(vec![0x20, 0x81] >= s);
}

#[test]
fn empty_ranges_are_detected() {
    use Bound::*;
    assert!(nonempty(&Included(vec![1]), &Included(vec![1])));
    assert!(!nonempty(&Included(vec![1]), &Excluded(vec![1])));
    assert!(!nonempty(&Included(vec![2]), &Included(vec![1])));
    assert!(nonempty(&Unbounded, &Excluded(vec![0])));
    assert!(!nonempty(&Excluded(vec![1]), &Excluded(vec![1])));
}

fn with_context(f: impl FnOnce(&ExecContext<'_>)) {
    let storage = Storage::open_with(
        Path::new("/db"),
        StorageOptions {
            fsync: false,
            ..StorageOptions::default()
        },
        Arc::new(MemFs::new()),
        Tuning::default(),
    )
    .expect("open");
    let fns = FnContext {
        types: TypeContext::default(),
        txn_start_micros: 0,
        stmt_start_micros: 0,
        user: "driftdb".into(),
        database: "driftdb".into(),
        current_seq: 0,
        backend_pid: 1,
        settings: Arc::new(vec![]),
        catalog: crate::sql::system::CatalogSnapshot::of_tables(
            vec![],
            crate::sql::system::IndexSource::None,
            "driftdb",
            "driftdb",
        ),
    };
    let cancel = CancelFlag::new();
    let cx = ExecContext::new(
        Source::Snapshot {
            storage: &storage,
            seq: 0,
        },
        &[],
        &fns,
        &cancel,
    );
    f(&cx);
}

fn int(v: i32) -> Expr {
    Expr::Const(Value::Int4(v), DataType::Int4)
}

fn enc(values: &[Value]) -> Vec<u8> {
    let mut k = Vec::new();
    encode_key(values, &mut k).unwrap();
    k
}

fn lookup(
    prefix: Vec<Vec<Expr>>,
    lower: Option<(Expr, bool)>,
    upper: Option<(Expr, bool)>,
) -> KeyLookup {
    KeyLookup {
        prefix,
        lower,
        upper,
        conds: vec![],
    }
}

const INT2: [DataType; 2] = [DataType::Int4, DataType::Int4];

#[test]
fn whole_primary_keys_are_points() {
    with_context(|cx| {
        let l = lookup(vec![vec![int(2), int(1), int(2)], vec![int(5)]], None, None);
        let r = lookup_ranges(&l, &INT2, true, cx).unwrap();
        let k1 = enc(&[Value::Int4(1), Value::Int4(5)]);
        let k2 = enc(&[Value::Int4(2), Value::Int4(5)]);
        // Sorted and without the duplicate 2.
        assert_eq!(
            r,
            vec![
                (Bound::Included(k1.clone()), Bound::Included(k1)),
                (Bound::Included(k2.clone()), Bound::Included(k2)),
            ]
        );
    });
}

#[test]
fn prefixes_of_an_index_are_prefix_ranges() {
    with_context(|cx| {
        let l = lookup(vec![vec![int(7)]], None, None);
        let r = lookup_ranges(&l, &INT2, false, cx).unwrap();
        let p = enc(&[Value::Int4(7)]);
        assert_eq!(
            r,
            vec![(
                Bound::Included(p.clone()),
                Bound::Excluded(successor(&p).unwrap())
            )]
        );
    });
}

#[test]
fn nulls_and_inexact_values_match_no_key() {
    with_context(|cx| {
        let null = Expr::Const(Value::Null, DataType::Int4);
        let half = Expr::Const(Value::Float8(1.5), DataType::Float8);
        let l = lookup(vec![vec![null.clone(), half.clone()]], None, None);
        assert!(lookup_ranges(&l, &INT2, true, cx).unwrap().is_empty());
        // A NULL range bound: nothing; an inexact one: no bound.
        let l = lookup(vec![], Some((null, true)), None);
        assert!(lookup_ranges(&l, &INT2, false, cx).unwrap().is_empty());
        let l = lookup(vec![], Some((half, true)), Some((int(9), false)));
        let r = lookup_ranges(&l, &INT2, false, cx).unwrap();
        assert_eq!(
            r,
            vec![(Bound::Unbounded, Bound::Excluded(enc(&[Value::Int4(9)])))]
        );
    });
}

#[test]
fn ranges_after_a_prefix() {
    with_context(|cx| {
        // a = 1 AND b > 3 AND b <= 8
        let l = lookup(
            vec![vec![int(1)]],
            Some((int(3), false)),
            Some((int(8), true)),
        );
        let r = lookup_ranges(&l, &INT2, false, cx).unwrap();
        let lo = successor(&enc(&[Value::Int4(1), Value::Int4(3)])).unwrap();
        let hi = successor(&enc(&[Value::Int4(1), Value::Int4(8)])).unwrap();
        assert_eq!(r, vec![(Bound::Included(lo), Bound::Excluded(hi))]);
        // An empty range (b > 8 AND b < 3) asks storage for nothing.
        let l = lookup(
            vec![vec![int(1)]],
            Some((int(8), false)),
            Some((int(3), false)),
        );
        assert!(lookup_ranges(&l, &INT2, false, cx).unwrap().is_empty());
    });
}
