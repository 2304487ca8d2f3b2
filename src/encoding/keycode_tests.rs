//! Keycode properties: byte order equals `sort_cmp` order, per type and for
//! composite keys, on random values; decoding inverts encoding; bad bytes
//! are errors.

use std::cmp::Ordering;

use super::*;
use crate::types::ops::sort_cmp;

/// A small xorshift generator: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// The kinds of column the generator can fill.
const KINDS: [&str; 12] = [
    "bool",
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "numeric",
    "text",
    "json",
    "date",
    "timestamp",
    "timestamptz",
];

fn random_numeric(r: &mut Rng) -> Decimal {
    let digits = r.below(38) as u32 + 1;
    let mut m: i128 = 0;
    for _ in 0..digits {
        m = m * 10 + r.below(10) as i128;
    }
    if r.below(3) == 0 {
        m = r.below(5) as i128; // many small and equal values
    }
    if r.below(2) == 0 {
        m = -m;
    }
    let scale = match r.below(4) {
        0 => 0,
        1 => r.below(4) as u16,
        2 => r.below(40) as u16,
        _ => r.below(1000) as u16,
    };
    Decimal::new(m, scale).unwrap()
}

fn random_string(r: &mut Rng) -> String {
    let alphabet = [
        'a', 'b', 'z', 'A', '\0', '\u{1}', '\u{ff}', 'é', '日', ' ', '~',
    ];
    (0..r.below(6)).map(|_| r.pick(&alphabet)).collect()
}

fn random_value(r: &mut Rng, kind: &str) -> Value {
    if r.below(12) == 0 {
        return Value::Null;
    }
    let special = r.below(8) == 0;
    match kind {
        "bool" => Value::Bool(r.below(2) == 1),
        "int2" => Value::Int2(if special {
            r.pick(&[i16::MIN, i16::MAX, 0, -1])
        } else {
            r.next() as i16 % 300
        }),
        "int4" => Value::Int4(if special {
            r.pick(&[i32::MIN, i32::MAX, 0, -1])
        } else {
            r.next() as i32
        }),
        "int8" => Value::Int8(if special {
            r.pick(&[i64::MIN, i64::MAX, 0, -1])
        } else {
            r.next() as i64 >> r.below(60)
        }),
        "float4" => Value::Float4(if special {
            r.pick(&[
                f32::NAN,
                -f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                0.0,
                -0.0,
                f32::MIN_POSITIVE,
                1e-45,
            ])
        } else {
            f32::from_bits(r.next() as u32)
        }),
        "float8" => Value::Float8(if special {
            r.pick(&[
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                0.0,
                -0.0,
                5e-324,
                -1.5,
            ])
        } else if r.below(2) == 0 {
            (r.next() as i64 % 1000) as f64 / 8.0
        } else {
            f64::from_bits(r.next())
        }),
        "numeric" => Value::Numeric(random_numeric(r)),
        "text" => Value::Text(random_string(r)),
        "json" => Value::Json(random_string(r)),
        "date" => Value::Date(if special {
            r.pick(&[i32::MIN, i32::MAX, -2_451_545])
        } else {
            r.next() as i32 / 1000
        }),
        "timestamp" => Value::Timestamp(if special {
            r.pick(&[i64::MIN, i64::MAX, 0])
        } else {
            r.next() as i64 / 1000
        }),
        _ => Value::Timestamptz(if special {
            r.pick(&[i64::MIN, i64::MAX, 1])
        } else {
            r.next() as i64 / 1000
        }),
    }
}

fn key(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(values, &mut out).unwrap();
    out
}

fn tuple_cmp(a: &[Value], b: &[Value]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| sort_cmp(x, y))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

fn check_order(tuples: &[Vec<Value>]) {
    let keys: Vec<Vec<u8>> = tuples.iter().map(|t| key(t)).collect();
    for (i, a) in tuples.iter().enumerate() {
        for (j, b) in tuples.iter().enumerate() {
            assert_eq!(
                keys[i].cmp(&keys[j]),
                tuple_cmp(a, b),
                "{a:?} vs {b:?}: {:02x?} vs {:02x?}",
                keys[i],
                keys[j]
            );
        }
    }
}

#[test]
fn order_matches_sort_cmp_per_type() {
    let mut r = Rng(0x5DEE_CE66_D1CE_4E5B);
    for kind in KINDS {
        let vals: Vec<Vec<Value>> = (0..250).map(|_| vec![random_value(&mut r, kind)]).collect();
        check_order(&vals);
    }
}

#[test]
fn order_matches_sort_cmp_for_composite_keys() {
    let mut r = Rng(0x0123_4567_89AB_CDEF);
    for _ in 0..40 {
        let kinds: Vec<&str> = (0..1 + r.below(3)).map(|_| r.pick(&KINDS)).collect();
        // Few distinct values per column, so later columns decide often.
        let pools: Vec<Vec<Value>> = kinds
            .iter()
            .map(|k| (0..4).map(|_| random_value(&mut r, k)).collect())
            .collect();
        let tuples: Vec<Vec<Value>> = (0..60)
            .map(|_| {
                pools
                    .iter()
                    .map(|p| p[r.below(p.len() as u64) as usize].clone())
                    .collect()
            })
            .collect();
        check_order(&tuples);
    }
}

#[test]
fn mixed_integer_widths_order_by_value() {
    let vals = [
        vec![Value::Int2(-3)],
        vec![Value::Int8(-2)],
        vec![Value::Int4(7)],
        vec![Value::Int2(300)],
        vec![Value::Int8(i64::MAX)],
    ];
    let keys: Vec<Vec<u8>> = vals.iter().map(|v| key(v)).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn decode_inverts_encode() {
    let mut r = Rng(0xDEAD_BEEF_CAFE_F00D);
    for _ in 0..3000 {
        let kinds: Vec<&str> = (0..1 + r.below(4)).map(|_| r.pick(&KINDS)).collect();
        let tuple: Vec<Value> = kinds.iter().map(|k| random_value(&mut r, k)).collect();
        let back = decode_key(&key(&tuple)).unwrap();
        assert_eq!(back.len(), tuple.len());
        for (a, b) in tuple.iter().zip(&back) {
            assert_eq!(
                std::mem::discriminant(a),
                std::mem::discriminant(b),
                "{a:?} {b:?}"
            );
            assert_eq!(sort_cmp(a, b), Ordering::Equal, "{a:?} {b:?}");
        }
        assert_eq!(key(&back), key(&tuple));
    }
    // What keys cannot keep: numeric display scale, the sign of zero.
    let d: Decimal = "1.50".parse().unwrap();
    let back = decode_key(&key(&[Value::Numeric(d), Value::Float8(-0.0)])).unwrap();
    assert_eq!(
        format!("{back:?}"),
        "[Numeric(Decimal { mantissa: 15, scale: 1 }), Float8(0.0)]"
    );
}

#[test]
fn equal_values_give_equal_keys() {
    let n = |s: &str| Value::Numeric(s.parse().unwrap());
    assert_eq!(key(&[n("1.0")]), key(&[n("1.00")]));
    assert_eq!(key(&[n("-0.0")]), key(&[n("0")]));
    assert_eq!(key(&[Value::Float8(-0.0)]), key(&[Value::Float8(0.0)]));
    assert_eq!(
        key(&[Value::Float8(f64::NAN)]),
        key(&[Value::Float8(-f64::NAN)])
    );
    assert!(key(&[Value::Null]) > key(&[Value::Text("\u{10ffff}".into())]));
}

#[test]
fn bad_bytes_are_errors_not_panics() {
    for bad in [
        &[0x99][..],
        &[TAG_INT, 0, 0],
        &[TAG_INT, 0x80, 0, 0, 0, 0, 0, 0, 1, 3],
        &[TAG_INT, 0x90, 0, 0, 0, 0, 0, 0, 0, 2],
        &[TAG_BOOL, 2],
        &[TAG_TEXT, b'a'],
        &[TAG_TEXT, 0, 7],
        &[TAG_TEXT, 0xC3, 0, 1],
        &[TAG_NUMERIC, 9],
        &[TAG_NUMERIC, SIGN_POS, 0x80, 0, 11, 0],
        &[TAG_NUMERIC, SIGN_POS, 0x80, 0, 2, 1, 0],
        &[TAG_FLOAT, 0, 0, 0, 0, 0, 0, 0, 0, 5],
    ] {
        assert!(decode_key(bad).is_err(), "{bad:02x?}");
    }
    let mut r = Rng(42);
    let good = key(&[
        Value::Numeric("-123.456".parse().unwrap()),
        Value::Text("héllo\0".into()),
        Value::Float4(1.5),
        Value::Int4(-9),
    ]);
    for _ in 0..20_000 {
        let mut b = good.clone();
        let i = r.below(b.len() as u64) as usize;
        b[i] ^= (r.next() as u8) | 1;
        b.truncate(r.below(b.len() as u64 + 1) as usize);
        let _ = decode_key(&b);
    }
}
