//! Scalar functions: a static table of [`ScalarFunction`]s, each with a
//! resolver (argument types → coerced parameter types and result type) and
//! an implementation over [`Value`]s.
//!
//! Strict functions (the default) return NULL when any argument is NULL
//! without calling the implementation, as PostgreSQL's STRICT functions do.

use crate::error::{Error, Result, SqlState};
use crate::sql_err;
use crate::types::datetime::{date_trunc, extract, unix_micros_to_pg};
use crate::types::ops::{self, ArithOp};
use crate::types::{DataType, Decimal, TypeContext, Value};

/// What functions may know about the session and statement.
#[derive(Debug, Clone)]
pub struct FnContext {
    /// Value formatting and parsing settings.
    pub types: TypeContext,
    /// Transaction start time, Unix microseconds (`now()`).
    pub txn_start_micros: i64,
    /// Statement start time, Unix microseconds.
    pub stmt_start_micros: i64,
    /// The session user.
    pub user: String,
    /// The current database.
    pub database: String,
    /// The latest committed seq when the statement started.
    pub current_seq: u64,
    /// The backend process id reported to the client.
    pub backend_pid: i32,
    /// Session settings visible through `current_setting()`.
    pub settings: std::sync::Arc<Vec<(String, String)>>,
    /// The tables as the statement sees them, for the catalog functions
    /// (`pg_get_indexdef`, `::regclass`...); decoded on first use.
    pub catalog: std::sync::Arc<crate::sql::system::CatalogSnapshot>,
}

/// Chooses parameter types and the result type from the argument types, or
/// `None` when the function does not accept them.
pub type Resolver = fn(&[DataType]) -> Option<(Vec<DataType>, DataType)>;

/// Computes the result from (coerced) arguments.
pub type Implementation = fn(&[Value], &FnContext) -> Result<Value>;

/// A scalar function.
#[derive(Debug)]
pub struct ScalarFunction {
    /// Lower-case name.
    pub name: &'static str,
    /// Picks parameter and result types.
    pub resolve: Resolver,
    /// The implementation.
    pub eval: Implementation,
    /// NULL in any argument gives NULL without calling `eval`.
    pub strict: bool,
    /// The result may differ between calls in one statement (`random()`,
    /// `clock_timestamp()`), so calls are never folded or hoisted.
    pub volatile: bool,
}

impl PartialEq for ScalarFunction {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The version string: SQLAlchemy and other tools parse its
/// `PostgreSQL 15.0` prefix.
pub const VERSION: &str = concat!(
    "PostgreSQL 15.0 (DriftDB ",
    env!("CARGO_PKG_VERSION"),
    ") on x86_64-pc-linux-gnu, compiled by rustc, 64-bit"
);

/// Looks up a function by name (lower case, schema already dropped).
pub fn lookup(name: &str) -> Option<&'static ScalarFunction> {
    FUNCTIONS
        .iter()
        .chain(super::catalog::FUNCTIONS)
        .chain(super::array::FUNCTIONS)
        .chain(super::regex::FUNCTIONS)
        .find(|f| f.name == name)
}

/// Resolves a call, returning the function, the parameter types to coerce
/// each argument to, and the result type; 42883 when nothing matches.
pub fn resolve(
    name: &str,
    args: &[DataType],
) -> Result<(&'static ScalarFunction, Vec<DataType>, DataType)> {
    let not_found = || {
        let list: Vec<String> = args.iter().map(|t| t.format_type()).collect();
        sql_err!(
            SqlState::UNDEFINED_FUNCTION,
            "function {}({}) does not exist",
            name,
            list.join(", ")
        )
        .with_hint(
            "No function matches the given name and argument types. You might need to add explicit type casts.",
        )
    };
    let f = lookup(name).ok_or_else(not_found)?;
    let (params, ret) = (f.resolve)(args).ok_or_else(not_found)?;
    Ok((f, params, ret))
}

// ---------------------------------------------------------------------------
// Resolvers

fn exact<const N: usize>(args: &[DataType], params: [DataType; N]) -> bool {
    args.len() == N
        && args
            .iter()
            .zip(params.iter())
            .all(|(a, p)| *a == DataType::Unknown || crate::types::cast::can_cast_implicitly(a, p))
}

fn r_none_ts(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    a.is_empty().then(|| (vec![], DataType::Timestamptz))
}
fn r_none_text(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    a.is_empty().then(|| (vec![], DataType::Text))
}
fn r_none_date(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    a.is_empty().then(|| (vec![], DataType::Date))
}
fn r_none_timestamp(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    a.is_empty().then(|| (vec![], DataType::Timestamp))
}
fn r_none_int8(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    a.is_empty().then(|| (vec![], DataType::Int8))
}
fn r_none_int4(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    a.is_empty().then(|| (vec![], DataType::Int4))
}
fn r_none_f8(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    a.is_empty().then(|| (vec![], DataType::Float8))
}
fn r_text_int4(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    exact(a, [DataType::Text]).then(|| (vec![DataType::Text], DataType::Int4))
}
fn r_text_text(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    exact(a, [DataType::Text]).then(|| (vec![DataType::Text], DataType::Text))
}
fn r_text2_text(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    if exact(a, [DataType::Text]) {
        return Some((vec![DataType::Text], DataType::Text));
    }
    exact(a, [DataType::Text, DataType::Text])
        .then(|| (vec![DataType::Text, DataType::Text], DataType::Text))
}
fn r_text3_text(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    exact(a, [DataType::Text, DataType::Text, DataType::Text]).then(|| {
        (
            vec![DataType::Text, DataType::Text, DataType::Text],
            DataType::Text,
        )
    })
}
fn r_text_int_text(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    exact(a, [DataType::Text, DataType::Int4])
        .then(|| (vec![DataType::Text, DataType::Int4], DataType::Text))
}
fn r_substr(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    if exact(a, [DataType::Text, DataType::Int4]) {
        return Some((vec![DataType::Text, DataType::Int4], DataType::Text));
    }
    exact(a, [DataType::Text, DataType::Int4, DataType::Int4]).then(|| {
        (
            vec![DataType::Text, DataType::Int4, DataType::Int4],
            DataType::Text,
        )
    })
}
fn r_pad(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    if exact(a, [DataType::Text, DataType::Int4]) {
        return Some((vec![DataType::Text, DataType::Int4], DataType::Text));
    }
    exact(a, [DataType::Text, DataType::Int4, DataType::Text]).then(|| {
        (
            vec![DataType::Text, DataType::Int4, DataType::Text],
            DataType::Text,
        )
    })
}
fn r_split_part(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    exact(a, [DataType::Text, DataType::Text, DataType::Int4]).then(|| {
        (
            vec![DataType::Text, DataType::Text, DataType::Int4],
            DataType::Text,
        )
    })
}
fn r_strpos(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    exact(a, [DataType::Text, DataType::Text])
        .then(|| (vec![DataType::Text, DataType::Text], DataType::Int4))
}
fn r_variadic_text(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    (!a.is_empty()).then(|| (a.iter().map(|_| DataType::Text).collect(), DataType::Text))
}

/// The numeric type an argument computes in: unknown literals are numeric.
fn numeric_arg(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Unknown => Some(DataType::Numeric {
            precision: None,
            scale: None,
        }),
        t if t.is_numeric() => Some(match t {
            DataType::Numeric { .. } => DataType::Numeric {
                precision: None,
                scale: None,
            },
            other => *other,
        }),
        _ => None,
    }
}
fn r_numeric_same(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    match a {
        [t] => numeric_arg(t).map(|t| (vec![t], t)),
        _ => None,
    }
}
/// round/trunc/floor/ceil: floats stay float8, everything else is numeric.
fn r_rounding(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    let num = DataType::Numeric {
        precision: None,
        scale: None,
    };
    match a {
        [t] => match numeric_arg(t)? {
            DataType::Float4 | DataType::Float8 => Some((vec![DataType::Float8], DataType::Float8)),
            _ => Some((vec![num], num)),
        },
        [t, s] if numeric_arg(t).is_some() && exact(&[*s], [DataType::Int4]) => {
            Some((vec![num, DataType::Int4], num))
        }
        _ => None,
    }
}
fn r_float_unary(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    match a {
        [t] if numeric_arg(t).is_some() => Some((vec![DataType::Float8], DataType::Float8)),
        _ => None,
    }
}
fn r_float_binary(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    match a {
        [x, y] if numeric_arg(x).is_some() && numeric_arg(y).is_some() => {
            Some((vec![DataType::Float8, DataType::Float8], DataType::Float8))
        }
        _ => None,
    }
}
fn r_mod(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    match a {
        [x, y] => {
            let t =
                ops::arith_result_type(ArithOp::Mod, &numeric_arg(x)?, &numeric_arg(y)?).ok()?;
            Some((vec![t, t], t))
        }
        _ => None,
    }
}
/// GREATEST / LEAST / NULLIF: the common type of all arguments.
fn r_common(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    if a.is_empty() {
        return None;
    }
    let t = crate::types::cast::common_type(a).ok()?;
    Some((vec![t; a.len()], t))
}
fn r_nullif(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    if a.len() != 2 {
        return None;
    }
    r_common(a)
}
fn r_extract(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    let num = DataType::Numeric {
        precision: None,
        scale: None,
    };
    match a {
        [f, t] if f.is_string() => match t {
            DataType::Date | DataType::Timestamp | DataType::Timestamptz => {
                Some((vec![DataType::Text, *t], num))
            }
            DataType::Unknown => Some((vec![DataType::Text, DataType::Timestamptz], num)),
            _ => None,
        },
        _ => None,
    }
}
fn r_date_part(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    r_extract(a).map(|(p, _)| (p, DataType::Float8))
}
fn r_date_trunc(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    match a {
        [f, t] if f.is_string() => match t {
            DataType::Timestamp | DataType::Timestamptz => Some((vec![DataType::Text, *t], *t)),
            DataType::Date => Some((
                vec![DataType::Text, DataType::Timestamptz],
                DataType::Timestamptz,
            )),
            DataType::Unknown => Some((
                vec![DataType::Text, DataType::Timestamptz],
                DataType::Timestamptz,
            )),
            _ => None,
        },
        _ => None,
    }
}
fn r_any_text(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    (a.len() == 1).then(|| (vec![a[0]], DataType::Text))
}
fn r_current_setting(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    if exact(a, [DataType::Text]) {
        return Some((vec![DataType::Text], DataType::Text));
    }
    exact(a, [DataType::Text, DataType::Bool])
        .then(|| (vec![DataType::Text, DataType::Bool], DataType::Text))
}
fn r_format_type(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    // format_type(oid, integer); OIDs are held as int8.
    let oidish = |t: &DataType| {
        t.is_integer() || matches!(t, DataType::Oid | DataType::RegType | DataType::Unknown)
    };
    (a.len() == 2 && oidish(&a[0]) && (a[1].is_integer() || a[1] == DataType::Unknown))
        .then(|| (vec![DataType::Oid, DataType::Int4], DataType::Text))
}
fn r_to_timestamp(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    exact(a, [DataType::Float8]).then(|| (vec![DataType::Float8], DataType::Timestamptz))
}

// ---------------------------------------------------------------------------
// Implementations

fn text_arg(v: &Value) -> Result<&str> {
    match v {
        Value::Text(s) | Value::Json(s) => Ok(s),
        other => Err(Error::Internal(format!("expected text, got {other:?}"))),
    }
}
fn int_arg(v: &Value) -> Result<i64> {
    match v {
        Value::Int2(i) => Ok(*i as i64),
        Value::Int4(i) => Ok(*i as i64),
        Value::Int8(i) => Ok(*i),
        other => Err(Error::Internal(format!("expected integer, got {other:?}"))),
    }
}
fn float_arg(v: &Value) -> Result<f64> {
    match v {
        Value::Float8(f) => Ok(*f),
        Value::Float4(f) => Ok(*f as f64),
        other => Err(Error::Internal(format!("expected float8, got {other:?}"))),
    }
}
fn pg_now(micros: i64) -> Value {
    Value::Timestamptz(unix_micros_to_pg(micros))
}

fn f_version(_: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Text(VERSION.into()))
}
fn f_current_database(_: &[Value], c: &FnContext) -> Result<Value> {
    Ok(Value::Text(c.database.clone()))
}
fn f_current_schema(_: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Text("public".into()))
}
fn f_current_user(_: &[Value], c: &FnContext) -> Result<Value> {
    Ok(Value::Text(c.user.clone()))
}
fn f_now(_: &[Value], c: &FnContext) -> Result<Value> {
    Ok(pg_now(c.txn_start_micros))
}
fn f_statement_timestamp(_: &[Value], c: &FnContext) -> Result<Value> {
    Ok(pg_now(c.stmt_start_micros))
}
fn f_clock_timestamp(_: &[Value], _: &FnContext) -> Result<Value> {
    use crate::temporal::Clock;
    Ok(pg_now(crate::temporal::SystemClock.now_micros()))
}
fn f_current_date(_: &[Value], c: &FnContext) -> Result<Value> {
    crate::types::cast::cast(pg_now(c.txn_start_micros), &DataType::Date, &c.types)
}
fn f_localtimestamp(_: &[Value], c: &FnContext) -> Result<Value> {
    crate::types::cast::cast(pg_now(c.txn_start_micros), &DataType::Timestamp, &c.types)
}
fn f_current_seq(_: &[Value], c: &FnContext) -> Result<Value> {
    Ok(Value::Int8(c.current_seq.min(i64::MAX as u64) as i64))
}
fn f_backend_pid(_: &[Value], c: &FnContext) -> Result<Value> {
    Ok(Value::Int4(c.backend_pid))
}
fn f_length(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Int4(text_arg(&a[0])?.chars().count() as i32))
}
fn f_octet_length(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Int4(text_arg(&a[0])?.len() as i32))
}
fn f_lower(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Text(text_arg(&a[0])?.to_lowercase()))
}
fn f_upper(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Text(text_arg(&a[0])?.to_uppercase()))
}
fn f_initcap(a: &[Value], _: &FnContext) -> Result<Value> {
    let mut out = String::new();
    let mut start = true;
    for ch in text_arg(&a[0])?.chars() {
        if ch.is_alphanumeric() {
            if start {
                out.extend(ch.to_uppercase());
            } else {
                out.extend(ch.to_lowercase());
            }
            start = false;
        } else {
            out.push(ch);
            start = true;
        }
    }
    Ok(Value::Text(out))
}
fn f_reverse(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Text(text_arg(&a[0])?.chars().rev().collect()))
}
/// substr(s, start [, count]) with PostgreSQL's 1-based, clamp-at-edges rules.
fn f_substr(a: &[Value], _: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let start = int_arg(&a[1])?;
    let end = match a.get(2) {
        Some(n) => {
            let n = int_arg(n)?;
            if n < 0 {
                return Err(sql_err!(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "negative substring length not allowed"
                ));
            }
            start.saturating_add(n)
        }
        None => i64::MAX,
    };
    let from = start.max(1);
    if end <= from {
        return Ok(Value::Text(String::new()));
    }
    let out: String = s
        .chars()
        .skip((from - 1) as usize)
        .take(usize::try_from(end - from).unwrap_or(usize::MAX))
        .collect();
    Ok(Value::Text(out))
}
fn trim_with(a: &[Value], left: bool, right: bool) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let set: Vec<char> = match a.get(1) {
        Some(c) => text_arg(c)?.chars().collect(),
        None => vec![' '],
    };
    let mut t = s;
    if left {
        t = t.trim_start_matches(|c| set.contains(&c));
    }
    if right {
        t = t.trim_end_matches(|c| set.contains(&c));
    }
    Ok(Value::Text(t.to_string()))
}
fn f_btrim(a: &[Value], _: &FnContext) -> Result<Value> {
    trim_with(a, true, true)
}
fn f_ltrim(a: &[Value], _: &FnContext) -> Result<Value> {
    trim_with(a, true, false)
}
fn f_rtrim(a: &[Value], _: &FnContext) -> Result<Value> {
    trim_with(a, false, true)
}
fn f_replace(a: &[Value], _: &FnContext) -> Result<Value> {
    let (s, from, to) = (text_arg(&a[0])?, text_arg(&a[1])?, text_arg(&a[2])?);
    if from.is_empty() {
        return Ok(Value::Text(s.to_string()));
    }
    Ok(Value::Text(s.replace(from, to)))
}
fn f_concat(a: &[Value], _: &FnContext) -> Result<Value> {
    let mut out = String::new();
    for v in a {
        if let Value::Text(s) = v {
            out.push_str(s);
        }
    }
    Ok(Value::Text(out))
}
fn f_concat_ws(a: &[Value], _: &FnContext) -> Result<Value> {
    let Some(Value::Text(sep)) = a.first() else {
        return Ok(Value::Null);
    };
    let parts: Vec<&str> = a[1..]
        .iter()
        .filter_map(|v| match v {
            Value::Text(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    Ok(Value::Text(parts.join(sep)))
}
fn f_strpos(a: &[Value], _: &FnContext) -> Result<Value> {
    let (s, sub) = (text_arg(&a[0])?, text_arg(&a[1])?);
    Ok(Value::Int4(match s.find(sub) {
        Some(b) => s[..b].chars().count() as i32 + 1,
        None => 0,
    }))
}
fn f_left(a: &[Value], _: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let n = int_arg(&a[1])?;
    let len = s.chars().count() as i64;
    let take = if n >= 0 { n.min(len) } else { (len + n).max(0) };
    Ok(Value::Text(s.chars().take(take as usize).collect()))
}
fn f_right(a: &[Value], _: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let n = int_arg(&a[1])?;
    let len = s.chars().count() as i64;
    let take = if n >= 0 { n.min(len) } else { (len + n).max(0) };
    Ok(Value::Text(s.chars().skip((len - take) as usize).collect()))
}
fn f_repeat(a: &[Value], _: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let n = int_arg(&a[1])?.max(0) as usize;
    if s.len().saturating_mul(n) > 1 << 30 {
        return Err(sql_err!(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            "requested length too large"
        ));
    }
    Ok(Value::Text(s.repeat(n)))
}
fn pad(a: &[Value], left: bool) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let n = int_arg(&a[1])?.max(0) as usize;
    if n > 1 << 28 {
        return Err(sql_err!(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            "requested length too large"
        ));
    }
    let fill: Vec<char> = match a.get(2) {
        Some(f) => text_arg(f)?.chars().collect(),
        None => vec![' '],
    };
    let chars: Vec<char> = s.chars().collect();
    if chars.len() >= n || fill.is_empty() {
        return Ok(Value::Text(chars.into_iter().take(n).collect()));
    }
    let padding: String = fill.iter().cycle().take(n - chars.len()).collect();
    let body: String = chars.into_iter().collect();
    Ok(Value::Text(if left {
        padding + &body
    } else {
        body + &padding
    }))
}
fn f_lpad(a: &[Value], _: &FnContext) -> Result<Value> {
    pad(a, true)
}
fn f_rpad(a: &[Value], _: &FnContext) -> Result<Value> {
    pad(a, false)
}
fn f_split_part(a: &[Value], _: &FnContext) -> Result<Value> {
    let (s, d, n) = (text_arg(&a[0])?, text_arg(&a[1])?, int_arg(&a[2])?);
    if n == 0 {
        return Err(sql_err!(
            SqlState::INVALID_PARAMETER_VALUE,
            "field position must not be zero"
        ));
    }
    let parts: Vec<&str> = if d.is_empty() {
        vec![s]
    } else {
        s.split(d).collect()
    };
    let idx = if n > 0 { n - 1 } else { parts.len() as i64 + n };
    Ok(Value::Text(
        usize::try_from(idx)
            .ok()
            .and_then(|i| parts.get(i))
            .map(|p| p.to_string())
            .unwrap_or_default(),
    ))
}
fn f_md5(a: &[Value], _: &FnContext) -> Result<Value> {
    use md5::{Digest, Md5};
    let digest = Md5::digest(text_arg(&a[0])?.as_bytes());
    Ok(Value::Text(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}
fn f_abs(a: &[Value], _: &FnContext) -> Result<Value> {
    let v = &a[0];
    let negative = ops::compare(v, &Value::Int4(0))? == Some(std::cmp::Ordering::Less);
    if negative {
        ops::negate(v)
    } else {
        Ok(v.clone())
    }
}
fn f_sign(a: &[Value], _: &FnContext) -> Result<Value> {
    let ord = ops::compare(&a[0], &Value::Int4(0))?;
    let s = match ord {
        Some(std::cmp::Ordering::Less) => -1,
        Some(std::cmp::Ordering::Greater) => 1,
        _ => 0,
    };
    crate::types::cast::cast(Value::Int4(s), &a[0].data_type(), &TypeContext::default())
}
fn decimal_arg(v: &Value) -> Result<Decimal> {
    match v {
        Value::Numeric(d) => Ok(*d),
        other => Err(Error::Internal(format!("expected numeric, got {other:?}"))),
    }
}
fn round_like(
    a: &[Value],
    f: fn(f64) -> f64,
    dec: fn(&Decimal, i32) -> Result<Decimal>,
) -> Result<Value> {
    match &a[0] {
        Value::Float8(x) => Ok(Value::Float8(f(*x))),
        v => {
            let places = match a.get(1) {
                Some(p) => int_arg(p)? as i32,
                None => 0,
            };
            Ok(Value::Numeric(dec(&decimal_arg(v)?, places)?))
        }
    }
}
/// round(numeric, places): half away from zero, as PostgreSQL; negative
/// places round to tens, hundreds...
fn dec_round(d: &Decimal, places: i32) -> Result<Decimal> {
    scale_places(d, places, Decimal::round_to_scale)
}
fn dec_trunc(d: &Decimal, places: i32) -> Result<Decimal> {
    scale_places(d, places, Decimal::trunc_to_scale)
}
fn scale_places(
    d: &Decimal,
    places: i32,
    f: fn(&Decimal, u16) -> Result<Decimal>,
) -> Result<Decimal> {
    if places >= 0 {
        return f(d, places.min(1000) as u16);
    }
    let factor = Decimal::new(10i128.pow(places.unsigned_abs().min(30)), 0)?;
    f(&d.checked_div(&factor)?, 0)?.checked_mul(&factor)
}
fn dec_floor(d: &Decimal, _: i32) -> Result<Decimal> {
    let t = d.trunc_to_scale(0)?;
    if d.is_negative() && !t.checked_sub(d)?.is_zero() {
        t.checked_sub(&Decimal::from_i64(1))
    } else {
        Ok(t)
    }
}
fn dec_ceil(d: &Decimal, _: i32) -> Result<Decimal> {
    let t = d.trunc_to_scale(0)?;
    if !d.is_negative() && !t.checked_sub(d)?.is_zero() {
        t.checked_add(&Decimal::from_i64(1))
    } else {
        Ok(t)
    }
}
fn f_round(a: &[Value], _: &FnContext) -> Result<Value> {
    // float8 round() rounds half to even, like C's rint().
    round_like(a, |x| x.round_ties_even(), dec_round)
}
fn f_trunc(a: &[Value], _: &FnContext) -> Result<Value> {
    round_like(a, f64::trunc, dec_trunc)
}
fn f_floor(a: &[Value], _: &FnContext) -> Result<Value> {
    round_like(a, f64::floor, dec_floor)
}
fn f_ceil(a: &[Value], _: &FnContext) -> Result<Value> {
    round_like(a, f64::ceil, dec_ceil)
}
fn f_mod(a: &[Value], _: &FnContext) -> Result<Value> {
    ops::arith(ArithOp::Mod, &a[0], &a[1])
}
fn f_power(a: &[Value], _: &FnContext) -> Result<Value> {
    let (x, y) = (float_arg(&a[0])?, float_arg(&a[1])?);
    if x == 0.0 && y < 0.0 {
        return Err(sql_err!(
            SqlState("2201F"),
            "zero raised to a negative power is undefined"
        ));
    }
    if x < 0.0 && y.fract() != 0.0 {
        return Err(sql_err!(
            SqlState("2201F"),
            "a negative number raised to a non-integer power yields a complex result"
        ));
    }
    Ok(Value::Float8(x.powf(y)))
}
fn f_sqrt(a: &[Value], _: &FnContext) -> Result<Value> {
    let x = float_arg(&a[0])?;
    if x < 0.0 {
        return Err(sql_err!(
            SqlState("2201F"),
            "cannot take square root of a negative number"
        ));
    }
    Ok(Value::Float8(x.sqrt()))
}
fn f_exp(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Float8(float_arg(&a[0])?.exp()))
}
fn log_checked(x: f64, f: fn(f64) -> f64) -> Result<Value> {
    if x == 0.0 {
        return Err(sql_err!(SqlState("2201E"), "cannot take logarithm of zero"));
    }
    if x < 0.0 {
        return Err(sql_err!(
            SqlState("2201E"),
            "cannot take logarithm of a negative number"
        ));
    }
    Ok(Value::Float8(f(x)))
}
fn f_ln(a: &[Value], _: &FnContext) -> Result<Value> {
    log_checked(float_arg(&a[0])?, f64::ln)
}
fn f_log10(a: &[Value], _: &FnContext) -> Result<Value> {
    log_checked(float_arg(&a[0])?, f64::log10)
}
fn f_pi(_: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Float8(std::f64::consts::PI))
}
fn f_random(_: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Float8(crate::sql::functions::scalar::random_f64()))
}
fn f_nullif(a: &[Value], _: &FnContext) -> Result<Value> {
    if a[0].is_null() || a[1].is_null() {
        return Ok(a[0].clone());
    }
    Ok(
        if ops::compare(&a[0], &a[1])? == Some(std::cmp::Ordering::Equal) {
            Value::Null
        } else {
            a[0].clone()
        },
    )
}
fn extreme(a: &[Value], want: std::cmp::Ordering) -> Result<Value> {
    let mut best = Value::Null;
    for v in a.iter().filter(|v| !v.is_null()) {
        if best.is_null() || ops::compare(v, &best)? == Some(want) {
            best = v.clone();
        }
    }
    Ok(best)
}
fn f_greatest(a: &[Value], _: &FnContext) -> Result<Value> {
    extreme(a, std::cmp::Ordering::Greater)
}
fn f_least(a: &[Value], _: &FnContext) -> Result<Value> {
    extreme(a, std::cmp::Ordering::Less)
}
fn f_extract(a: &[Value], c: &FnContext) -> Result<Value> {
    extract(&text_arg(&a[0])?.to_lowercase(), &a[1], &c.types)
}
fn f_date_part(a: &[Value], c: &FnContext) -> Result<Value> {
    let v = extract(&text_arg(&a[0])?.to_lowercase(), &a[1], &c.types)?;
    crate::types::cast::cast(v, &DataType::Float8, &c.types)
}
fn f_date_trunc(a: &[Value], c: &FnContext) -> Result<Value> {
    date_trunc(&text_arg(&a[0])?.to_lowercase(), &a[1], &c.types)
}
fn f_pg_typeof(a: &[Value], _: &FnContext) -> Result<Value> {
    // The binder replaces this call by a constant of the argument's static type.
    Ok(Value::Text(a[0].data_type().format_type()))
}
fn f_current_setting(a: &[Value], c: &FnContext) -> Result<Value> {
    let name = text_arg(&a[0])?.to_lowercase();
    let missing_ok = matches!(a.get(1), Some(Value::Bool(true)));
    match c.settings.iter().find(|(k, _)| *k == name) {
        Some((_, v)) => Ok(Value::Text(v.clone())),
        None if missing_ok => Ok(Value::Null),
        None => Err(sql_err!(
            SqlState::UNDEFINED_OBJECT,
            "unrecognized configuration parameter \"{}\"",
            name
        )),
    }
}
fn f_format_type(a: &[Value], _: &FnContext) -> Result<Value> {
    let oid = int_arg(&a[0])?;
    let typmod = match a.get(1) {
        Some(Value::Null) | None => -1,
        Some(v) => int_arg(v)?,
    };
    let Some(mut ty) = u32::try_from(oid).ok().and_then(DataType::from_oid) else {
        return Ok(Value::Text("???".into()));
    };
    if typmod >= 4 {
        ty = match ty {
            DataType::Varchar(_) => DataType::Varchar(Some((typmod - 4) as u32)),
            DataType::Char(_) => DataType::Char(Some((typmod - 4) as u32)),
            DataType::Numeric { .. } => DataType::Numeric {
                precision: Some(((typmod - 4) >> 16) as u16),
                scale: Some(((typmod - 4) & 0xffff) as u16),
            },
            t => t,
        };
    }
    Ok(Value::Text(ty.format_type()))
}
fn f_to_timestamp(a: &[Value], _: &FnContext) -> Result<Value> {
    let secs = float_arg(&a[0])?;
    if !secs.is_finite() || secs.abs() > 9.0e12 {
        return Err(sql_err!(
            SqlState::DATETIME_FIELD_OVERFLOW,
            "timestamp out of range: \"{}\"",
            secs
        ));
    }
    Ok(pg_now((secs * 1e6).round() as i64))
}

/// A pseudo-random f64 in [0, 1): xorshift seeded from the clock and a
/// per-process counter. Not for cryptography.
pub fn random_f64() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        use crate::temporal::Clock;
        x = crate::temporal::SystemClock.now_micros() as u64 | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

macro_rules! func {
    ($name:literal, $resolve:expr, $eval:expr) => {
        ScalarFunction {
            name: $name,
            resolve: $resolve,
            eval: $eval,
            strict: true,
            volatile: false,
        }
    };
    ($name:literal, $resolve:expr, $eval:expr, strict = $strict:expr, volatile = $volatile:expr) => {
        ScalarFunction {
            name: $name,
            resolve: $resolve,
            eval: $eval,
            strict: $strict,
            volatile: $volatile,
        }
    };
}

static FUNCTIONS: &[ScalarFunction] = &[
    func!("version", r_none_text, f_version),
    func!("current_database", r_none_text, f_current_database),
    func!("current_catalog", r_none_text, f_current_database),
    func!("current_schema", r_none_text, f_current_schema),
    func!("current_user", r_none_text, f_current_user),
    func!("session_user", r_none_text, f_current_user),
    func!("user", r_none_text, f_current_user),
    func!("current_role", r_none_text, f_current_user),
    func!("now", r_none_ts, f_now),
    func!("current_timestamp", r_none_ts, f_now),
    func!("transaction_timestamp", r_none_ts, f_now),
    func!("statement_timestamp", r_none_ts, f_statement_timestamp),
    func!(
        "clock_timestamp",
        r_none_ts,
        f_clock_timestamp,
        strict = true,
        volatile = true
    ),
    func!("current_date", r_none_date, f_current_date),
    func!("localtimestamp", r_none_timestamp, f_localtimestamp),
    func!("driftdb_current_seq", r_none_int8, f_current_seq),
    func!("pg_backend_pid", r_none_int4, f_backend_pid),
    func!("length", r_text_int4, f_length),
    func!("char_length", r_text_int4, f_length),
    func!("character_length", r_text_int4, f_length),
    func!("octet_length", r_text_int4, f_octet_length),
    func!("lower", r_text_text, f_lower),
    func!("upper", r_text_text, f_upper),
    func!("initcap", r_text_text, f_initcap),
    func!("reverse", r_text_text, f_reverse),
    func!("md5", r_text_text, f_md5),
    func!("substr", r_substr, f_substr),
    func!("substring", r_substr, f_substr),
    func!("btrim", r_text2_text, f_btrim),
    func!("ltrim", r_text2_text, f_ltrim),
    func!("rtrim", r_text2_text, f_rtrim),
    func!("replace", r_text3_text, f_replace),
    func!(
        "concat",
        r_variadic_text,
        f_concat,
        strict = false,
        volatile = false
    ),
    func!(
        "concat_ws",
        r_variadic_text,
        f_concat_ws,
        strict = false,
        volatile = false
    ),
    func!("strpos", r_strpos, f_strpos),
    func!("left", r_text_int_text, f_left),
    func!("right", r_text_int_text, f_right),
    func!("repeat", r_text_int_text, f_repeat),
    func!("lpad", r_pad, f_lpad),
    func!("rpad", r_pad, f_rpad),
    func!("split_part", r_split_part, f_split_part),
    func!("abs", r_numeric_same, f_abs),
    func!("sign", r_numeric_same, f_sign),
    func!("round", r_rounding, f_round),
    func!("trunc", r_rounding, f_trunc),
    func!("floor", r_rounding, f_floor),
    func!("ceil", r_rounding, f_ceil),
    func!("ceiling", r_rounding, f_ceil),
    func!("mod", r_mod, f_mod),
    func!("power", r_float_binary, f_power),
    func!("pow", r_float_binary, f_power),
    func!("sqrt", r_float_unary, f_sqrt),
    func!("exp", r_float_unary, f_exp),
    func!("ln", r_float_unary, f_ln),
    func!("log", r_float_unary, f_log10),
    func!("log10", r_float_unary, f_log10),
    func!("pi", r_none_f8, f_pi),
    func!(
        "random",
        r_none_f8,
        f_random,
        strict = true,
        volatile = true
    ),
    func!(
        "nullif",
        r_nullif,
        f_nullif,
        strict = false,
        volatile = false
    ),
    func!(
        "greatest",
        r_common,
        f_greatest,
        strict = false,
        volatile = false
    ),
    func!("least", r_common, f_least, strict = false, volatile = false),
    func!("extract", r_extract, f_extract),
    func!("date_part", r_date_part, f_date_part),
    func!("date_trunc", r_date_trunc, f_date_trunc),
    func!(
        "pg_typeof",
        r_any_text,
        f_pg_typeof,
        strict = false,
        volatile = false
    ),
    func!("current_setting", r_current_setting, f_current_setting),
    func!(
        "format_type",
        r_format_type,
        f_format_type,
        strict = false,
        volatile = false
    ),
    func!("to_timestamp", r_to_timestamp, f_to_timestamp),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FnContext {
        FnContext {
            types: TypeContext::default(),
            txn_start_micros: 0,
            stmt_start_micros: 0,
            user: "driftdb".into(),
            database: "driftdb".into(),
            current_seq: 7,
            backend_pid: 42,
            settings: std::sync::Arc::new(vec![("jit".into(), "off".into())]),
            catalog: crate::sql::system::CatalogSnapshot::of_tables(
                vec![],
                crate::sql::system::IndexSource::None,
                "driftdb",
                "driftdb",
            ),
        }
    }

    fn call(name: &str, args: &[Value]) -> Result<Value> {
        (lookup(name).expect("function exists").eval)(args, &ctx())
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn string_functions_follow_postgres() {
        assert_eq!(
            call("substr", &[text("hello"), Value::Int4(0), Value::Int4(3)]).unwrap(),
            text("he")
        );
        assert_eq!(
            call("substr", &[text("hello"), Value::Int4(2)]).unwrap(),
            text("ello")
        );
        assert_eq!(
            call("left", &[text("hello"), Value::Int4(-2)]).unwrap(),
            text("hel")
        );
        assert_eq!(
            call("right", &[text("hello"), Value::Int4(2)]).unwrap(),
            text("lo")
        );
        assert_eq!(
            call("strpos", &[text("héllo"), text("llo")]).unwrap(),
            Value::Int4(3)
        );
        assert_eq!(
            call("lpad", &[text("7"), Value::Int4(3), text("0")]).unwrap(),
            text("007")
        );
        assert_eq!(
            call("split_part", &[text("a,b,c"), text(","), Value::Int4(-1)]).unwrap(),
            text("c")
        );
        assert_eq!(
            call("initcap", &[text("hello wORLD")]).unwrap(),
            text("Hello World")
        );
        assert_eq!(
            call("md5", &[text("abc")]).unwrap(),
            text("900150983cd24fb0d6963f7d28e17f72")
        );
        assert!(call("substr", &[text("x"), Value::Int4(1), Value::Int4(-1)]).is_err());
    }

    #[test]
    fn session_functions() {
        assert_eq!(call("driftdb_current_seq", &[]).unwrap(), Value::Int8(7));
        assert!(
            matches!(call("version", &[]).unwrap(), Value::Text(s) if s.starts_with("PostgreSQL 15.0 (DriftDB "))
        );
        assert_eq!(
            call("current_setting", &[text("JIT")]).unwrap(),
            text("off")
        );
        assert_eq!(
            call("current_setting", &[text("nope")])
                .unwrap_err()
                .sqlstate(),
            SqlState::UNDEFINED_OBJECT
        );
    }

    #[test]
    fn unknown_functions_are_42883() {
        let e = resolve("no_such_fn", &[DataType::Int4]).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::UNDEFINED_FUNCTION);
        assert_eq!(e.message(), "function no_such_fn(integer) does not exist");
    }
}
