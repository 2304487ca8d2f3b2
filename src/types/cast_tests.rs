//! Cast cases, each run through PostgreSQL 15 (TimeZone Europe/Paris) as
//! `select ('<v>'::<from>::<to>)::text` (explicit) and as
//! `insert into t(c <to>) values ('<v>'::<from>) returning c::text`
//! (assignment). PostgreSQL's "column is of type X but expression is of
//! type Y" means no assignment cast exists: `can_assign` must say so.

use super::*;

/// (from type, value, to type, "cast" | "assign", result or `ERR: message`)
fn cases() -> Vec<Vec<&'static str>> {
    crate::types::test_cases::rows(include_str!("testdata/cast.tsv"), 5)
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
fn casts_match_postgres() {
    let ctx = TypeContext {
        timezone: crate::types::TimeZone::parse("Europe/Paris").unwrap(),
        ..TypeContext::default()
    };
    let mut failures = Vec::new();
    for case in cases() {
        let [from, v, to, mode, want] = case[..] else {
            unreachable!("rows() checks the width")
        };
        let (from_t, to_t) = (ty(from), ty(to));
        let value = Value::from_text(v, &from_t, &ctx).unwrap();
        if mode == "assign" && want.contains("but expression is of type") {
            if can_assign(&from_t, &to_t) {
                failures.push(format!("can_assign({from}, {to}) should be false"));
            }
            continue;
        }
        if mode == "assign" && !can_assign(&from_t, &to_t) {
            failures.push(format!("can_assign({from}, {to}) should be true"));
        }
        let r = if mode == "cast" {
            cast(value, &to_t, &ctx)
        } else {
            assign(value, &to_t, &ctx)
        };
        let got = match r {
            Ok(v) => pg_text(&v, &to_t, &ctx),
            Err(e) => format!("ERR: {}", e.message()),
        };
        if got != *want {
            failures.push(format!(
                "{v:?}::{from} {mode} {to}: got {got:?}, want {want:?}"
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

/// What PostgreSQL's final `::text` makes of a value of type `ty`:
/// booleans read `true`/`false`, char(n) loses its trailing blanks.
fn pg_text(v: &Value, ty: &DataType, ctx: &TypeContext) -> String {
    let s = cast(v.clone(), &DataType::Text, ctx).unwrap().to_text(ctx);
    match ty {
        DataType::Char(_) => s.trim_end_matches(' ').to_string(),
        _ => s,
    }
}

/// Where we knowingly differ: NUMERIC has no NaN or infinity and holds 38
/// significant digits, so these float casts fail (PostgreSQL 15 gives
/// `NaN`, `Infinity` and a 301-digit number).
#[test]
fn known_numeric_cast_differences() {
    let ctx = TypeContext::default();
    for f in [f64::NAN, f64::INFINITY, 1e300] {
        let e = cast(Value::Float8(f), &t_numeric(), &ctx).unwrap_err();
        assert!(matches!(e.sqlstate().code(), "0A000" | "22003"), "{f}");
    }
}

#[test]
fn error_codes_and_details() {
    let ctx = TypeContext::default();
    let n = |s: &str| Value::Numeric(s.parse().unwrap());
    let e = cast(n("12345.678"), &ty("numeric(5,2)"), &ctx).unwrap_err();
    assert_eq!(e.sqlstate(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
    assert_eq!(
        e.as_sql().unwrap().detail.as_deref(),
        Some("A field with precision 5, scale 2 must round to an absolute value less than 10^3.")
    );
    let e = assign(Value::Text("abcd".into()), &ty("varchar(3)"), &ctx).unwrap_err();
    assert_eq!(e.sqlstate(), SqlState::STRING_DATA_RIGHT_TRUNCATION);
    assert_eq!(e.message(), "value too long for type character varying(3)");
    let v = assign(Value::Text("abc   ".into()), &ty("varchar(3)"), &ctx).unwrap();
    assert_eq!(v.to_text(&ctx), "abc");
    let e = cast(Value::Date(0), &DataType::Int4, &ctx).unwrap_err();
    assert_eq!(e.sqlstate(), SqlState::CANNOT_COERCE);
    assert!(cast(Value::Null, &DataType::Int4, &ctx).unwrap().is_null());
    // Multi-byte characters count as one.
    let v = cast(Value::Text("héllo".into()), &ty("varchar(2)"), &ctx).unwrap();
    assert_eq!(v.to_text(&ctx), "hé");
}

#[test]
fn implicit_and_assignment_tables() {
    let t = |s| ty(s);
    assert!(can_cast_implicitly(&t("int2"), &t("int8")));
    assert!(can_cast_implicitly(&t("int4"), &t("numeric")));
    assert!(can_cast_implicitly(&t("numeric"), &t("float8")));
    assert!(!can_cast_implicitly(&t("float8"), &t("numeric")));
    assert!(!can_cast_implicitly(&t("int8"), &t("int4")));
    assert!(can_cast_implicitly(&t("unknown"), &t("date")));
    assert!(can_cast_implicitly(&t("text"), &t("varchar(3)")));
    assert!(can_cast_implicitly(&t("date"), &t("timestamptz")));
    assert!(!can_cast_implicitly(&t("timestamptz"), &t("timestamp")));
    assert!(!can_cast_implicitly(&t("text"), &t("int4")));
    assert!(can_assign(&t("numeric"), &t("int4")));
    assert!(can_assign(&t("timestamptz"), &t("date")));
    assert!(can_assign(&t("int4"), &t("text")));
    assert!(!can_assign(&t("text"), &t("int4")));
    assert!(!can_assign(&t("bool"), &t("int4")));
}

/// `select pg_typeof(coalesce(a, b))` and UNION column types in PostgreSQL 15.
#[test]
fn common_types_match_postgres() {
    let c = |names: &[&str]| common_type(&names.iter().map(|n| ty(n)).collect::<Vec<_>>());
    assert_eq!(c(&["unknown", "unknown"]).unwrap(), DataType::Text);
    assert_eq!(c(&["int4", "numeric"]).unwrap(), t_numeric());
    assert_eq!(c(&["numeric", "float4"]).unwrap(), DataType::Float4);
    assert_eq!(c(&["int2", "int8", "int4"]).unwrap(), DataType::Int8);
    assert_eq!(c(&["float4", "float8", "int4"]).unwrap(), DataType::Float8);
    assert_eq!(c(&["varchar", "text"]).unwrap(), DataType::Varchar(None));
    assert_eq!(c(&["text", "varchar"]).unwrap(), DataType::Text);
    assert_eq!(c(&["char(3)", "varchar"]).unwrap(), DataType::Char(None));
    assert_eq!(c(&["varchar", "char(2)"]).unwrap(), DataType::Varchar(None));
    assert_eq!(c(&["date", "timestamp"]).unwrap(), DataType::Timestamp);
    assert_eq!(
        c(&["timestamptz", "timestamp"]).unwrap(),
        DataType::Timestamptz
    );
    assert_eq!(
        c(&["numeric(10,2)", "numeric(10,2)"]).unwrap(),
        ty("numeric(10,2)")
    );
    assert_eq!(c(&["numeric(10,2)", "numeric(12,2)"]).unwrap(), t_numeric());
    assert_eq!(
        c(&["varchar(5)", "varchar(5)"]).unwrap(),
        DataType::Varchar(Some(5))
    );
    assert_eq!(
        c(&["varchar(5)", "unknown"]).unwrap(),
        DataType::Varchar(None)
    );
    assert_eq!(c(&["unknown", "int4"]).unwrap(), DataType::Int4);
    let e = c(&["int4", "text"]).unwrap_err();
    assert_eq!(e.sqlstate(), SqlState::DATATYPE_MISMATCH);
    assert_eq!(e.message(), "types integer and text cannot be matched");
    assert_eq!(
        c(&["int4", "bool"]).unwrap_err().message(),
        "types integer and boolean cannot be matched"
    );
}

fn t_numeric() -> DataType {
    DataType::Numeric {
        precision: None,
        scale: None,
    }
}
