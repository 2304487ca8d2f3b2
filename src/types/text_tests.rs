//! Text input/output cases, each run through PostgreSQL 15 as
//! `select '<input>'::<type>` (with `SET extra_float_digits = n` for the
//! `type@n` rows); the expected text is what psql printed.

use super::*;

/// (type[@extra_float_digits], input, output or `ERR: message`): a
/// hand-picked table, then random doubles printed as float8 and float4
/// under several `extra_float_digits`.
fn cases() -> Vec<Vec<&'static str>> {
    let mut rows = crate::types::test_cases::rows(include_str!("testdata/text_io.tsv"), 3);
    rows.extend(crate::types::test_cases::rows(
        include_str!("testdata/float_random.tsv"),
        3,
    ));
    rows
}

fn ty(name: &str) -> DataType {
    let (base, mods) = match name.split_once('(') {
        Some((b, m)) => (
            b,
            m.trim_end_matches(')')
                .split(',')
                .map(|x| x.parse().unwrap())
                .collect::<Vec<i64>>(),
        ),
        None => (name, vec![]),
    };
    DataType::from_name(base, &mods).unwrap()
}

#[test]
fn text_io_matches_postgres() {
    let mut failures = Vec::new();
    for case in cases() {
        let (t, input, want) = (case[0], case[1], case[2]);
        let (name, efd) = match t.split_once('@') {
            Some((n, e)) => (n, e.parse().unwrap()),
            None => (t, 1),
        };
        let ctx = TypeContext {
            extra_float_digits: efd,
            ..TypeContext::default()
        };
        let to = ty(name);
        // `'x'::varchar(3)` is an explicit cast of an untyped literal.
        let got = match Value::from_text(input, &DataType::Unknown, &ctx)
            .and_then(|v| crate::types::cast::cast(v, &to, &ctx))
        {
            Ok(v) => v.to_text(&ctx),
            Err(e) => format!("ERR: {}", e.message()),
        };
        if got != *want {
            failures.push(format!("{input:?}::{t}: got {got:?}, want {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn error_codes() {
    let ctx = TypeContext::default();
    let code = |s: &str, t: DataType| Value::from_text(s, &t, &ctx).unwrap_err().sqlstate().code();
    assert_eq!(code("abc", DataType::Int4), "22P02");
    assert_eq!(code("99999999999", DataType::Int4), "22003");
    assert_eq!(code("maybe", DataType::Bool), "22P02");
    assert_eq!(code("x", DataType::Float8), "22P02");
    assert_eq!(code("1e999", DataType::Float8), "22003");
    assert_eq!(code("{", DataType::Json), "22P02");
    assert_eq!(code("2024-13-01", DataType::Date), "22008");
    assert_eq!(code("x", DataType::Timestamp), "22007");
}

/// Every value's text output reads back as the same value.
#[test]
fn text_round_trips() {
    let paris = TypeContext {
        timezone: crate::types::TimeZone::parse("Europe/Paris").unwrap(),
        ..TypeContext::default()
    };
    let values = [
        (Value::Bool(true), DataType::Bool),
        (Value::Int2(i16::MIN), DataType::Int2),
        (Value::Int4(i32::MAX), DataType::Int4),
        (Value::Int8(i64::MIN), DataType::Int8),
        (Value::Float4(0.1), DataType::Float4),
        (Value::Float8(-1.5e-300), DataType::Float8),
        (Value::Float8(f64::NEG_INFINITY), DataType::Float8),
        (Value::Numeric("-123.4500".parse().unwrap()), ty("numeric")),
        (Value::Text("héllo\n".into()), DataType::Text),
        (Value::Json("[1, {\"a\": null}]".into()), DataType::Json),
        (Value::Date(-2_451_545), DataType::Date),
        (Value::Date(i32::MAX), DataType::Date),
        (Value::Timestamp(-123_456_789_012_345), DataType::Timestamp),
        (
            Value::Timestamptz(765_432_101_234_567),
            DataType::Timestamptz,
        ),
        (
            Value::Timestamptz(-3_000_000_000_000_000),
            DataType::Timestamptz,
        ),
    ];
    for (v, t) in values {
        let text = v.to_text(&paris);
        let back = Value::from_text(&text, &t, &paris).unwrap();
        assert_eq!(format!("{back:?}"), format!("{v:?}"), "{text}");
    }
}

#[test]
fn random_timestamps_round_trip() {
    let zones = [
        "UTC",
        "Europe/Paris",
        "America/St_Johns",
        "Asia/Kolkata",
        "+05:45",
    ];
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for zone in zones {
        let ctx = TypeContext {
            timezone: crate::types::TimeZone::parse(zone).unwrap(),
            ..TypeContext::default()
        };
        for _ in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let span = (crate::types::datetime::END_TIMESTAMP as i128
                - crate::types::datetime::MIN_TIMESTAMP as i128) as u128;
            let ts =
                (crate::types::datetime::MIN_TIMESTAMP as i128 + (x as u128 % span) as i128) as i64;
            for v in [Value::Timestamp(ts), Value::Timestamptz(ts)] {
                let text = v.to_text(&ctx);
                let back = Value::from_text(&text, &v.data_type(), &ctx);
                // A local time in a DST gap cannot be printed, so every
                // printed timestamptz reads back; near the ends of the range
                // the local time may fall outside it, as in PostgreSQL.
                match back {
                    Ok(b) => assert_eq!(format!("{b:?}"), format!("{v:?}"), "{zone} {text}"),
                    Err(e) => {
                        use crate::types::datetime::{END_TIMESTAMP, MIN_TIMESTAMP, USECS_PER_DAY};
                        let inner = MIN_TIMESTAMP + USECS_PER_DAY..=END_TIMESTAMP - USECS_PER_DAY;
                        assert!(!inner.contains(&ts), "{zone} {text}: {e}");
                    }
                }
            }
            let d = Value::Date((ts / 86_400_000_000) as i32);
            assert_eq!(
                Value::from_text(&d.to_text(&ctx), &DataType::Date, &ctx).unwrap(),
                d
            );
        }
    }
}

/// Random instants (years 1-9999, many near DST switches) in a dozen
/// zones, printed by PostgreSQL 15: read as UTC (`'<t>+00'::timestamptz`)
/// and as local time (`'<t>'::timestamptz`), both printed in the zone.
#[test]
fn zones_match_postgres() {
    let rows = crate::types::test_cases::rows(include_str!("testdata/timestamptz_zones.tsv"), 4);
    let mut failures = Vec::new();
    for row in rows {
        let [zone, kind, input, want] = row[..] else {
            unreachable!("rows() checks the width")
        };
        let ctx = TypeContext {
            timezone: crate::types::TimeZone::parse(zone).unwrap(),
            ..TypeContext::default()
        };
        let text = if kind == "utc" {
            format!("{input}+00")
        } else {
            input.to_string()
        };
        let got = Value::from_text(&text, &DataType::Timestamptz, &ctx)
            .map(|v| v.to_text(&ctx))
            .unwrap_or_else(|e| format!("ERR: {}", e.message()));
        if got != want {
            failures.push(format!("{zone} {kind} {input}: got {got}, want {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}

/// Random bytes through every input function, the zone parser and LIKE:
/// errors are fine, panics are not.
#[test]
fn random_input_never_panics() {
    let ctx = TypeContext::default();
    let types = [
        DataType::Bool,
        DataType::Int2,
        DataType::Int4,
        DataType::Int8,
        DataType::Float4,
        DataType::Float8,
        ty("numeric"),
        ty("numeric(5,2)"),
        DataType::Char(Some(3)),
        DataType::Date,
        DataType::Timestamp,
        DataType::Timestamptz,
        DataType::Json,
    ];
    let alphabet = "0123456789+-.:eE /TZnNaAiIfFuUlL[]{}\",\\%_é日\0";
    let chars: Vec<char> = alphabet.chars().collect();
    let mut x = 0xA076_1D64_78BD_642Fu64;
    for _ in 0..10_000 {
        let mut s = String::new();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for i in 0..(x % 20) {
            s.push(chars[((x >> (i % 50)) as usize + i as usize * 7) % chars.len()]);
        }
        for t in &types {
            let _ = Value::from_text(&s, t, &ctx);
        }
        let _ = crate::types::TimeZone::parse(&s);
        let _ = crate::types::ops::like(&s, &s, None, true);
        let _ = Value::from_binary(s.as_bytes(), &ty("numeric"));
    }
}
