//! Comparison, sort order, hashing, negation and `||`. Expected results
//! are PostgreSQL 15's (C collation).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use super::*;
use crate::types::DataType;

fn n(s: &str) -> Value {
    Value::Numeric(s.parse().unwrap())
}

fn cmp(a: &Value, b: &Value) -> Ordering {
    compare(a, b).unwrap().unwrap()
}

fn hash(v: &Value) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// `select 'NaN'::float8 > 'Infinity'::float8, ...` in PostgreSQL 15.
#[test]
fn comparisons_match_postgres() {
    use Ordering::*;
    assert_eq!(
        cmp(&Value::Float8(f64::NAN), &Value::Float8(f64::INFINITY)),
        Greater
    );
    assert_eq!(
        cmp(&Value::Float8(f64::NAN), &Value::Float8(f64::NAN)),
        Equal
    );
    assert_eq!(cmp(&Value::Float8(-0.0), &Value::Float8(0.0)), Equal);
    assert_eq!(cmp(&Value::Int4(1), &n("1.0")), Equal);
    assert_eq!(cmp(&Value::Int8(2), &n("2.5")), Less);
    assert_eq!(
        cmp(&Value::Date(8766), &Value::Timestamp(8766 * 86_400_000_000)),
        Equal
    );
    assert_eq!(
        cmp(&Value::Date(i32::MAX), &Value::Timestamp(i64::MAX)),
        Equal
    );
    assert_eq!(
        cmp(&Value::Date(5_000_000), &Value::Timestamp(i64::MAX)),
        Less
    );
    assert_eq!(
        cmp(&Value::Float4(f32::NAN), &Value::Float8(f64::NAN)),
        Equal
    );
    assert_ne!(cmp(&Value::Float4(0.1), &Value::Float8(0.1)), Equal);
    assert_eq!(cmp(&Value::Int4(1), &Value::Float4(1.0)), Equal);
    assert_eq!(
        cmp(&Value::Text("a".into()), &Value::Text("b".into())),
        Less
    );
    assert_eq!(
        cmp(&Value::Text("a".into()), &Value::Text("B".into())),
        Greater
    );
    assert_eq!(
        cmp(&Value::Text("é".into()), &Value::Text("z".into())),
        Greater
    );
    assert_eq!(cmp(&Value::Bool(false), &Value::Bool(true)), Less);
    assert_eq!(compare(&Value::Null, &Value::Int4(1)).unwrap(), None);
    let e = compare(&Value::Int4(1), &Value::Text("a".into())).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42883");
    assert_eq!(e.message(), "operator does not exist: integer = text");
    assert!(compare(&Value::Json("1".into()), &Value::Json("1".into())).is_err());
}

#[test]
fn sort_order_puts_null_last_and_nan_after_numbers() {
    let mut vals = [
        Value::Null,
        Value::Float8(f64::NAN),
        Value::Float8(f64::INFINITY),
        Value::Int4(3),
        n("-1.5"),
        Value::Float8(f64::NEG_INFINITY),
        Value::Int2(0),
    ];
    vals.sort_by(sort_cmp);
    let shown: Vec<String> = vals.iter().map(|v| format!("{v:?}")).collect();
    assert_eq!(
        shown,
        [
            "Float8(-inf)",
            "Numeric(Decimal { mantissa: -15, scale: 1 })",
            "Int2(0)",
            "Int4(3)",
            "Float8(inf)",
            "Float8(NaN)",
            "Null"
        ]
    );
    // Unrelated types still order totally: bool < numbers < text < json < date/times.
    assert_eq!(
        sort_cmp(&Value::Bool(true), &Value::Int4(0)),
        Ordering::Less
    );
    assert_eq!(
        sort_cmp(&Value::Text("z".into()), &Value::Date(0)),
        Ordering::Less
    );
}

/// Values equal under `sort_cmp` hash alike (GROUP BY / DISTINCT).
#[test]
fn equal_values_hash_alike() {
    let groups = [
        vec![
            Value::Int2(1),
            Value::Int4(1),
            Value::Int8(1),
            n("1"),
            n("1.000"),
            Value::Float4(1.0),
            Value::Float8(1.0),
        ],
        vec![
            Value::Float8(0.0),
            Value::Float8(-0.0),
            Value::Float4(-0.0),
            n("0.00"),
            n("-0"),
            Value::Int4(0),
        ],
        vec![
            Value::Float8(f64::NAN),
            Value::Float8(-f64::NAN),
            Value::Float4(f32::NAN),
        ],
        vec![
            Value::Date(1),
            Value::Timestamp(86_400_000_000),
            Value::Timestamptz(86_400_000_000),
        ],
        vec![Value::Date(i32::MAX), Value::Timestamp(i64::MAX)],
        vec![Value::Null, Value::Null],
    ];
    for g in &groups {
        for a in g {
            for b in g {
                assert_eq!(a, b, "{a:?} == {b:?}");
                assert_eq!(hash(a), hash(b), "hash {a:?} vs {b:?}");
            }
        }
    }
    assert_ne!(n("1.5"), Value::Int4(1));
    assert_ne!(Value::Text("1".into()), Value::Int4(1));
}

#[test]
fn random_numbers_keep_eq_and_hash_consistent() {
    let mut x = 0x1234_5678_9ABC_DEF0u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut vals = Vec::new();
    for _ in 0..300 {
        let r = next();
        let small = (r % 21) as i64 - 10;
        vals.push(match r % 6 {
            0 => Value::Int4(small as i32),
            1 => Value::Int8(small),
            2 => Value::Float8(small as f64 / 2.0),
            3 => Value::Float4(small as f32 / 4.0),
            4 => Value::Numeric(crate::types::Decimal::new((small * 100) as i128, 2).unwrap()),
            _ => Value::Numeric(crate::types::Decimal::new(small as i128 * 5, 1).unwrap()),
        });
    }
    for a in &vals {
        for b in &vals {
            let ab = sort_cmp(a, b);
            assert_eq!(ab, sort_cmp(b, a).reverse(), "{a:?} {b:?}");
            if ab == Ordering::Equal {
                assert_eq!(hash(a), hash(b), "{a:?} {b:?}");
            }
        }
    }
}

#[test]
fn negation() {
    assert_eq!(
        format!("{:?}", negate(&Value::Int4(5)).unwrap()),
        "Int4(-5)"
    );
    assert_eq!(
        negate(&Value::Int2(i16::MIN)).unwrap_err().message(),
        "smallint out of range"
    );
    assert_eq!(
        negate(&Value::Int4(i32::MIN)).unwrap_err().message(),
        "integer out of range"
    );
    assert_eq!(
        negate(&Value::Int8(i64::MIN)).unwrap_err().message(),
        "bigint out of range"
    );
    assert_eq!(
        negate(&n("1.50")).unwrap().to_text(&TypeContext::default()),
        "-1.50"
    );
    assert!(negate(&Value::Null).unwrap().is_null());
    let e = negate(&Value::Text("a".into())).unwrap_err();
    assert_eq!(e.message(), "operator does not exist: - text");
}

/// `select 'x' || true, 'x' || 1.50, 'x' || 1.5::float8` in PostgreSQL 15.
#[test]
fn concatenation_matches_postgres() {
    let ctx = TypeContext::default();
    let x = Value::Text("x".into());
    let show = |v: Value| v.to_text(&ctx);
    assert_eq!(show(concat(&x, &Value::Bool(true), &ctx)), "xtrue");
    assert_eq!(show(concat(&x, &n("1.50"), &ctx)), "x1.50");
    assert_eq!(show(concat(&x, &Value::Float8(1.5), &ctx)), "x1.5");
    assert_eq!(show(concat(&Value::Date(0), &x, &ctx)), "2000-01-01x");
    assert!(concat(&x, &Value::Null, &ctx).is_null());
    assert_eq!(
        concat(&x, &Value::Null, &ctx).data_type(),
        DataType::Unknown
    );
}
