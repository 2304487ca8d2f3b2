//! EXTRACT and date_trunc cases, each run through PostgreSQL 15 with
//! TimeZone Europe/Paris as `select extract(<unit> from '<v>'::<type>)::text`
//! and `select date_trunc('<unit>', '<v>'::<type>)::text`.

use super::*;
use crate::types::TimeZone;

/// (function, unit, type, value, result or `ERR: message`; "" is NULL)
fn cases() -> Vec<Vec<&'static str>> {
    crate::types::test_cases::rows(include_str!("testdata/datetime_fields.tsv"), 5)
}

#[test]
fn fields_match_postgres() {
    let ctx = TypeContext {
        timezone: TimeZone::parse("Europe/Paris").unwrap(),
        ..TypeContext::default()
    };
    let mut failures = Vec::new();
    for case in cases() {
        let [func, unit, ty, v, want] = case[..] else {
            unreachable!("rows() checks the width")
        };
        let value = Value::from_text(
            v,
            &crate::types::DataType::from_name(ty, &[]).unwrap(),
            &ctx,
        )
        .unwrap();
        let r = if func == "extract" {
            extract(unit, &value, &ctx)
        } else {
            date_trunc(unit, &value, &ctx)
        };
        // Our NUMERIC has no infinity: EXTRACT of a growing unit from an
        // infinite value is an error instead of PostgreSQL's Infinity.
        if want.ends_with("Infinity") {
            if r.as_ref().map_err(|e| e.sqlstate().code()) != Err("0A000") {
                failures.push(format!("{func}({unit}, {v}::{ty}): want 0A000, got {r:?}"));
            }
            continue;
        }
        let got = match r {
            Ok(v) => v.to_text(&ctx),
            Err(e) => format!("ERR: {}", e.message()),
        };
        if got != *want {
            failures.push(format!(
                "{func}({unit}, {v:?}::{ty}): got {got:?}, want {want:?}"
            ));
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
fn result_types() {
    let ctx = TypeContext::default();
    let d = Value::Date(0);
    assert!(matches!(
        extract("year", &d, &ctx).unwrap(),
        Value::Numeric(_)
    ));
    assert!(matches!(
        date_trunc("month", &d, &ctx).unwrap(),
        Value::Timestamptz(_)
    ));
    assert!(matches!(
        date_trunc("month", &Value::Timestamp(0), &ctx).unwrap(),
        Value::Timestamp(_)
    ));
    assert!(extract("year", &Value::Null, &ctx).unwrap().is_null());
    let e = extract("hour", &d, &ctx).unwrap_err();
    assert_eq!(e.sqlstate().code(), "0A000");
    let e = extract("foo", &d, &ctx).unwrap_err();
    assert_eq!(e.sqlstate().code(), "22023");
}
