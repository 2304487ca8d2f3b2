//! Text input/output cases, each run through PostgreSQL 15 as
//! `select '<input>'::<type>` (with `SET extra_float_digits = n` for the
//! `type@n` rows); the expected text is what psql printed.

use super::*;

/// (type[@extra_float_digits], input, output or `ERR: message`)
const CASES: &[(&str, &str, &str)] = &[
    ("bool", "t", "t"),
    ("bool", "TRUE", "t"),
    ("bool", "yes", "t"),
    ("bool", "on", "t"),
    ("bool", "1", "t"),
    ("bool", "f", "f"),
    ("bool", "False", "f"),
    ("bool", "no", "f"),
    ("bool", "off", "f"),
    ("bool", "0", "f"),
    ("bool", " t ", "t"),
    ("bool", "tr", "t"),
    ("bool", "fal", "f"),
    ("bool", "y", "t"),
    ("bool", "n", "f"),
    ("bool", "o", "ERR: invalid input syntax for type boolean: \"o\""),
    ("bool", "of", "f"),
    ("bool", "of ", "f"),
    ("bool", "10", "ERR: invalid input syntax for type boolean: \"10\""),
    ("bool", "maybe", "ERR: invalid input syntax for type boolean: \"maybe\""),
    ("bool", "", "ERR: invalid input syntax for type boolean: \"\""),
    ("int2", "32767", "32767"),
    ("int2", "-32768", "-32768"),
    ("int2", "32768", "ERR: value \"32768\" is out of range for type smallint"),
    ("int2", " 42 ", "42"),
    ("int2", "+5", "5"),
    ("int2", "-0", "0"),
    ("int2", "abc", "ERR: invalid input syntax for type smallint: \"abc\""),
    ("int2", "1.5", "ERR: invalid input syntax for type smallint: \"1.5\""),
    ("int2", "", "ERR: invalid input syntax for type smallint: \"\""),
    ("int2", "1e3", "ERR: invalid input syntax for type smallint: \"1e3\""),
    ("int4", "2147483647", "2147483647"),
    ("int4", "-2147483648", "-2147483648"),
    ("int4", "2147483648", "ERR: value \"2147483648\" is out of range for type integer"),
    ("int4", "99999999999", "ERR: value \"99999999999\" is out of range for type integer"),
    ("int4", " 12 ", "12"),
    ("int4", "+5", "5"),
    ("int4", "-0", "0"),
    ("int4", "abc", "ERR: invalid input syntax for type integer: \"abc\""),
    ("int4", "12a", "ERR: invalid input syntax for type integer: \"12a\""),
    ("int4", "", "ERR: invalid input syntax for type integer: \"\""),
    ("int4", "0x10", "ERR: invalid input syntax for type integer: \"0x10\""),
    ("int8", "9223372036854775807", "9223372036854775807"),
    ("int8", "-9223372036854775808", "-9223372036854775808"),
    ("int8", "9223372036854775808", "ERR: value \"9223372036854775808\" is out of range for type bigint"),
    ("int8", "99999999999999999999", "ERR: value \"99999999999999999999\" is out of range for type bigint"),
    ("int8", " 7 ", "7"),
    ("int8", "x", "ERR: invalid input syntax for type bigint: \"x\""),
    ("numeric", "1.50", "1.50"),
    ("numeric", "-0.00", "0.00"),
    ("numeric", "1e5", "100000"),
    ("numeric", "1.5e-3", "0.0015"),
    ("numeric", "  12.5  ", "12.5"),
    ("numeric", ".5", "0.5"),
    ("numeric", "5.", "5"),
    ("numeric", "abc", "ERR: invalid input syntax for type numeric: \"abc\""),
    ("numeric", "1e", "ERR: invalid input syntax for type numeric: \"1e\""),
    ("numeric", "+3", "3"),
    ("numeric", "0001.2300", "1.2300"),
    ("numeric", "12345678901234567890.123456789012345678", "12345678901234567890.123456789012345678"),
    ("numeric", "-.5e2", "-50"),
    ("numeric(5,2)", "1.005", "1.01"),
    ("numeric(5,2)", "999.994", "999.99"),
    ("numeric(5,2)", "999.995", "ERR: numeric field overflow"),
    ("numeric(5,2)", "-12.345", "-12.35"),
    ("numeric(5,2)", "0", "0.00"),
    ("float8", "1.5", "1.5"),
    ("float8", "-0", "-0"),
    ("float8", "1e308", "1e+308"),
    ("float8", "1e309", "ERR: \"1e309\" is out of range for type double precision"),
    ("float8", "4.9e-324", "5e-324"),
    ("float8", "1e-400", "ERR: \"1e-400\" is out of range for type double precision"),
    ("float8", "NaN", "NaN"),
    ("float8", "-Infinity", "-Infinity"),
    ("float8", "inf", "Infinity"),
    ("float8", " 2 ", "2"),
    ("float8", "abc", "ERR: invalid input syntax for type double precision: \"abc\""),
    ("float8", "0.1", "0.1"),
    ("float8", "123456789012345678", "1.2345678901234568e+17"),
    ("float8", "1e15", "1e+15"),
    ("float8", "1e-5", "1e-05"),
    ("float4", "1.5", "1.5"),
    ("float4", "3.4e38", "3.4e+38"),
    ("float4", "3.5e38", "ERR: \"3.5e38\" is out of range for type real"),
    ("float4", "1e-45", "1e-45"),
    ("float4", "1e-50", "ERR: \"1e-50\" is out of range for type real"),
    ("float4", "0.1", "0.1"),
    ("float4", "16777217", "1.6777216e+07"),
    ("float4", "NaN", "NaN"),
    ("float4", "abc", "ERR: invalid input syntax for type real: \"abc\""),
    ("text", "abc", "abc"),
    ("text", "", ""),
    ("text", "  padded  ", "  padded  "),
    ("varchar(3)", "ab", "ab"),
    ("varchar(3)", "abcdef", "abc"),
    ("char(4)", "ab", "ab  "),
    ("char(4)", "abcdef", "abcd"),
    ("char(4)", "", "    "),
    ("json", "{\"a\": 1}", "{\"a\": 1}"),
    ("json", " [1,2] ", " [1,2] "),
    ("json", "\"x\"", "\"x\""),
    ("json", "nul", "ERR: invalid input syntax for type json"),
    ("json", "{}", "{}"),
    ("float8@3", "0.1", "0.1"),
    ("float4@3", "0.1", "0.1"),
    ("float8@3", "1e15", "1e+15"),
    ("float4@3", "1e15", "1e+15"),
    ("float8@3", "1.5e-5", "1.5e-05"),
    ("float4@3", "1.5e-5", "1.5e-05"),
    ("float8@3", "123.456", "123.456"),
    ("float4@3", "123.456", "123.456"),
    ("float8@3", "2.5e100", "2.5e+100"),
    ("float4@3", "2.5e100", "ERR: \"2.5e100\" is out of range for type real"),
    ("float8@3", "0.3333333333333333", "0.3333333333333333"),
    ("float4@3", "0.3333333333333333", "0.33333334"),
    ("float8@0", "0.1", "0.1"),
    ("float4@0", "0.1", "0.1"),
    ("float8@0", "1e15", "1e+15"),
    ("float4@0", "1e15", "1e+15"),
    ("float8@0", "1.5e-5", "1.5e-05"),
    ("float4@0", "1.5e-5", "1.5e-05"),
    ("float8@0", "123.456", "123.456"),
    ("float4@0", "123.456", "123.456"),
    ("float8@0", "2.5e100", "2.5e+100"),
    ("float4@0", "2.5e100", "ERR: \"2.5e100\" is out of range for type real"),
    ("float8@0", "0.3333333333333333", "0.333333333333333"),
    ("float4@0", "0.3333333333333333", "0.333333"),
    ("float8@-4", "0.1", "0.1"),
    ("float4@-4", "0.1", "0.1"),
    ("float8@-4", "1e15", "1e+15"),
    ("float4@-4", "1e15", "1e+15"),
    ("float8@-4", "1.5e-5", "1.5e-05"),
    ("float4@-4", "1.5e-5", "1.5e-05"),
    ("float8@-4", "123.456", "123.456"),
    ("float4@-4", "123.456", "1.2e+02"),
    ("float8@-4", "2.5e100", "2.5e+100"),
    ("float4@-4", "2.5e100", "ERR: \"2.5e100\" is out of range for type real"),
    ("float8@-4", "0.3333333333333333", "0.33333333333"),
    ("float4@-4", "0.3333333333333333", "0.33"),
];

fn ty(name: &str) -> DataType {
    let (base, mods) = match name.split_once('(') {
        Some((b, m)) => (
            b,
            m.trim_end_matches(')').split(',').map(|x| x.parse().unwrap()).collect::<Vec<i64>>(),
        ),
        None => (name, vec![]),
    };
    DataType::from_name(base, &mods).unwrap()
}

#[test]
fn text_io_matches_postgres() {
    let mut failures = Vec::new();
    for (t, input, want) in CASES {
        let (name, efd) = match t.split_once('@') {
            Some((n, e)) => (n, e.parse().unwrap()),
            None => (*t, 1),
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
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
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
        (Value::Timestamptz(765_432_101_234_567), DataType::Timestamptz),
        (Value::Timestamptz(-3_000_000_000_000_000), DataType::Timestamptz),
    ];
    for (v, t) in values {
        let text = v.to_text(&paris);
        let back = Value::from_text(&text, &t, &paris).unwrap();
        assert_eq!(format!("{back:?}"), format!("{v:?}"), "{text}");
    }
}

#[test]
fn random_timestamps_round_trip() {
    let zones = ["UTC", "Europe/Paris", "America/St_Johns", "Asia/Kolkata", "+05:45"];
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
            let ts = (crate::types::datetime::MIN_TIMESTAMP as i128 + (x as u128 % span) as i128) as i64;
            for v in [Value::Timestamp(ts), Value::Timestamptz(ts)] {
                let text = v.to_text(&ctx);
                let back = Value::from_text(&text, &v.data_type(), &ctx);
                // A local time in a DST gap cannot be printed, so every
                // printed timestamptz reads back; near the ends of the range
                // the local time may fall outside it, as in PostgreSQL.
                match back {
                    Ok(b) => assert_eq!(format!("{b:?}"), format!("{v:?}"), "{zone} {text}"),
                    Err(e) => assert!(
                        ts < crate::types::datetime::MIN_TIMESTAMP + 86_400_000_000
                            || ts > crate::types::datetime::END_TIMESTAMP - 86_400_000_000,
                        "{zone} {text}: {e}"
                    ),
                }
            }
            let d = Value::Date((ts / 86_400_000_000) as i32);
            assert_eq!(Value::from_text(&d.to_text(&ctx), &DataType::Date, &ctx).unwrap(), d);
        }
    }
}
