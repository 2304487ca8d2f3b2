//! Arithmetic cases, each run through PostgreSQL 15 as
//! `select ('<a>'::<t1> <op> '<b>'::<t2>)::text, pg_typeof(...)`.

use super::*;
use crate::types::TypeContext;

/// (left type, left, op, right type, right, result type, result or `ERR: message`):
/// a hand-picked table, then random NUMERIC operands (results PostgreSQL
/// gives within 38 significant digits).
fn cases() -> Vec<Vec<&'static str>> {
    let mut rows = crate::types::test_cases::rows(include_str!("testdata/arith.tsv"), 7);
    rows.extend(crate::types::test_cases::rows(
        include_str!("testdata/numeric_random.tsv"),
        7,
    ));
    rows
}

fn ty(name: &str) -> DataType {
    DataType::from_name(name, &[]).unwrap()
}

fn op(s: &str) -> ArithOp {
    match s {
        "+" => ArithOp::Add,
        "-" => ArithOp::Sub,
        "*" => ArithOp::Mul,
        "/" => ArithOp::Div,
        "%" => ArithOp::Mod,
        _ => ArithOp::Pow,
    }
}

#[test]
fn arithmetic_matches_postgres() {
    let ctx = TypeContext::default();
    let mut failures = Vec::new();
    for case in cases() {
        let [t1, a, o, t2, b, want_ty, want] = case[..] else {
            unreachable!("rows() checks the width")
        };
        let a = Value::from_text(a, &ty(t1), &ctx).unwrap();
        let b = Value::from_text(b, &ty(t2), &ctx).unwrap();
        let got = match arith(op(o), &a, &b) {
            Ok(v) => {
                let rt = arith_result_type(op(o), &ty(t1), &ty(t2)).unwrap();
                if v.data_type() != rt {
                    failures.push(format!(
                        "{t1} {o} {t2}: value type {:?} but result type {rt:?}",
                        v.data_type()
                    ));
                }
                (v.data_type().format_type(), v.to_text(&ctx))
            }
            Err(e) => (String::new(), format!("ERR: {}", e.message())),
        };
        if got != (want_ty.to_string(), want.to_string()) {
            failures.push(format!(
                "{a:?} {o} {b:?}: got {got:?}, want ({want_ty:?}, {want:?})"
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

/// Where we knowingly differ from PostgreSQL: NUMERIC holds 38 significant
/// digits (PostgreSQL: 131072), so huge results give up fractional digits
/// or overflow; a non-integer `^` goes through f64, so the 16th decimal
/// may differ (PostgreSQL: 2.8284271247461901).
#[test]
fn known_numeric_differences() {
    let n = |s: &str| Value::Numeric(s.parse().unwrap());
    let r = arith(ArithOp::Pow, &Value::Int4(-2147483648), &n("3")).unwrap();
    assert_eq!(
        r.to_text(&TypeContext::default()),
        "-9903520314283042199192993792.0000000000"
    );
    assert!(arith(ArithOp::Pow, &Value::Int4(-2147483648), &n("10")).is_err());
    let r = arith(ArithOp::Pow, &Value::Int4(2), &n("1.5")).unwrap();
    assert!(
        r.to_text(&TypeContext::default())
            .starts_with("2.828427124746190")
    );
}

#[test]
fn result_types_for_the_planner() {
    let t = |o, l, r| arith_result_type(op(o), &ty(l), &ty(r));
    assert_eq!(t("+", "int2", "int2").unwrap(), DataType::Int2);
    assert_eq!(t("^", "int4", "int4").unwrap(), DataType::Float8);
    assert_eq!(t("+", "unknown", "int8").unwrap(), DataType::Int8);
    // As PostgreSQL: the literal becomes a date, so `date - '2024-01-01'` is int4.
    assert_eq!(t("-", "date", "unknown").unwrap(), DataType::Int4);
    let e = t("+", "text", "int4").unwrap_err();
    assert_eq!(e.sqlstate(), SqlState::UNDEFINED_FUNCTION);
    assert_eq!(e.message(), "operator does not exist: text + integer");
    assert_eq!(
        t("+", "unknown", "unknown").unwrap_err().sqlstate(),
        SqlState::AMBIGUOUS_FUNCTION
    );
    assert_eq!(
        t("-", "timestamp", "timestamp").unwrap_err().sqlstate(),
        SqlState::FEATURE_NOT_SUPPORTED
    );
}

#[test]
fn nulls_propagate() {
    assert!(
        arith(ArithOp::Add, &Value::Null, &Value::Int4(1))
            .unwrap()
            .is_null()
    );
    assert!(
        arith(ArithOp::Div, &Value::Int4(1), &Value::Null)
            .unwrap()
            .is_null()
    );
}
