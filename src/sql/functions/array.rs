//! Array functions and operators: `ARRAY[...]`, `x op ANY/ALL (array)`,
//! subscripts, `array_to_string`, `array_upper`/`array_lower`/
//! `array_length`/`cardinality`, and the set-returning `unnest`,
//! `generate_subscripts` and `generate_series` (their element lists; the
//! executor turns them into rows).
//!
//! Arrays are held as their text form (see `types::array`). The binder
//! coerces the operand of `ANY`/`ALL` to the element type, so elements are
//! read as the operand's type; subscripts and `unnest` return element text,
//! which the binder casts to the element type.

use std::cmp::Ordering;

use super::scalar::{FnContext, ScalarFunction};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;
use crate::types::array;
use crate::types::ops;
use crate::types::{DataType, Value};

type Resolved = Option<(Vec<DataType>, DataType)>;

const fn func(
    name: &'static str,
    resolve: fn(&[DataType]) -> Resolved,
    eval: fn(&[Value], &FnContext) -> Result<Value>,
    strict: bool,
) -> ScalarFunction {
    ScalarFunction {
        name,
        resolve,
        eval,
        strict,
        volatile: false,
    }
}

fn text_arg(v: &Value) -> Result<&str> {
    match v {
        Value::Text(s) => Ok(s),
        other => Err(Error::Internal(format!("expected an array, got {other:?}"))),
    }
}

fn int_arg(v: &Value) -> Result<i64> {
    match v {
        Value::Int2(i) => Ok(*i as i64),
        Value::Int4(i) => Ok(*i as i64),
        Value::Int8(i) => Ok(*i),
        other => Err(Error::Internal(format!(
            "expected an integer, got {other:?}"
        ))),
    }
}

/// An array's lower bound: 0 for the vector types (`int2vector`,
/// `oidvector`, held without braces), 1 otherwise, as in PostgreSQL.
fn lower_bound(v: &Value) -> i64 {
    match v {
        Value::Text(s) if !s.trim_start().starts_with('{') => 0,
        _ => 1,
    }
}

/// An array value's element texts (`None` for NULL elements).
pub fn element_texts(v: &Value) -> Result<Vec<Option<String>>> {
    array::element_texts(text_arg(v)?)
}

// ---------------------------------------------------------------------------
// Constructors and accessors

/// `ARRAY[a, b, ...]` (the binder coerces the elements to one type).
pub static ARRAY_BUILD: ScalarFunction = func("array", |_| None, f_build, false);

fn f_build(a: &[Value], c: &FnContext) -> Result<Value> {
    Ok(Value::Text(array::build(a, 0, &c.types)))
}

/// Any array form (`1 2` or `{1,2}`) as `{...}`, for casts between array
/// types (the cast then reads it as the target type).
pub static ARRAY_ELEMENTS: ScalarFunction = func("array_elements", |_| None, f_as_braces, true);

fn f_as_braces(a: &[Value], c: &FnContext) -> Result<Value> {
    let elems: Vec<Value> = element_texts(&a[0])?
        .into_iter()
        .map(|e| e.map_or(Value::Null, Value::Text))
        .collect();
    Ok(Value::Text(array::build(&elems, 0, &c.types)))
}

/// Any array form as a vector type's `1 2`.
pub static ARRAY_TO_VECTOR: ScalarFunction = func("array_to_vector", |_| None, f_to_vector, true);

fn f_to_vector(a: &[Value], _: &FnContext) -> Result<Value> {
    let elems = element_texts(&a[0])?;
    if elems.iter().any(Option::is_none) {
        return Err(sql_err!(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            "array must not contain nulls"
        ));
    }
    Ok(Value::Text(
        elems.into_iter().flatten().collect::<Vec<_>>().join(" "),
    ))
}

/// `array[i]`: the element text (1-based), NULL out of range.
pub static SUBSCRIPT: ScalarFunction = func("subscript", |_| None, f_subscript, true);

fn f_subscript(a: &[Value], _: &FnContext) -> Result<Value> {
    let i = int_arg(&a[1])?;
    let elems = element_texts(&a[0])?;
    Ok(usize::try_from(i - lower_bound(&a[0]))
        .ok()
        .and_then(|i| elems.get(i).cloned().flatten())
        .map_or(Value::Null, Value::Text))
}

/// Which comparison an `ANY`/`ALL` function applies.
fn holds(op: &str, o: Ordering) -> bool {
    match op {
        "=" => o == Ordering::Equal,
        "<>" => o != Ordering::Equal,
        "<" => o == Ordering::Less,
        "<=" => o != Ordering::Greater,
        ">" => o == Ordering::Greater,
        _ => o != Ordering::Less,
    }
}

/// `x op ANY (array)` / `x op ALL (array)` with SQL NULL semantics; `x`
/// is already of the element type, so each element is read as its type.
fn quantified(op: &str, all: bool, a: &[Value], c: &FnContext) -> Result<Value> {
    if a[1].is_null() {
        return Ok(Value::Null);
    }
    let elems = element_texts(&a[1])?;
    if a[0].is_null() {
        return Ok(if elems.is_empty() {
            Value::Bool(all)
        } else {
            Value::Null
        });
    }
    let ty = a[0].data_type();
    let mut saw_null = false;
    for e in elems {
        let Some(text) = e else {
            saw_null = true;
            continue;
        };
        let v = Value::from_text(&text, &ty, &c.types)?;
        match ops::compare(&a[0], &v)? {
            None => saw_null = true,
            Some(o) if holds(op, o) != all => return Ok(Value::Bool(!all)),
            Some(_) => {}
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(all)
    })
}

macro_rules! quantifier {
    ($static:ident, $fn:ident, $op:literal, $all:literal) => {
        fn $fn(a: &[Value], c: &FnContext) -> Result<Value> {
            quantified($op, $all, a, c)
        }
        #[doc = concat!("`x ", $op, " ANY|ALL (array)` (ALL: ", stringify!($all), ").")]
        pub static $static: ScalarFunction = func("any", |_| None, $fn, false);
    };
}

quantifier!(ANY_EQ, f_any_eq, "=", false);
quantifier!(ANY_NE, f_any_ne, "<>", false);
quantifier!(ANY_LT, f_any_lt, "<", false);
quantifier!(ANY_LE, f_any_le, "<=", false);
quantifier!(ANY_GT, f_any_gt, ">", false);
quantifier!(ANY_GE, f_any_ge, ">=", false);
quantifier!(ALL_EQ, f_all_eq, "=", true);
quantifier!(ALL_NE, f_all_ne, "<>", true);
quantifier!(ALL_LT, f_all_lt, "<", true);
quantifier!(ALL_LE, f_all_le, "<=", true);
quantifier!(ALL_GT, f_all_gt, ">", true);
quantifier!(ALL_GE, f_all_ge, ">=", true);

/// The `ANY`/`ALL` function for a comparison symbol.
pub fn quantifier(op: &str, all: bool) -> Option<&'static ScalarFunction> {
    Some(match (op, all) {
        ("=", false) => &ANY_EQ,
        ("<>", false) => &ANY_NE,
        ("<", false) => &ANY_LT,
        ("<=", false) => &ANY_LE,
        (">", false) => &ANY_GT,
        (">=", false) => &ANY_GE,
        ("=", true) => &ALL_EQ,
        ("<>", true) => &ALL_NE,
        ("<", true) => &ALL_LT,
        ("<=", true) => &ALL_LE,
        (">", true) => &ALL_GT,
        (">=", true) => &ALL_GE,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Named functions

fn is_array(t: &DataType) -> bool {
    matches!(t, DataType::Array(_))
}

fn r_to_string(a: &[DataType]) -> Resolved {
    let ok =
        (a.len() == 2 || a.len() == 3) && is_array(&a[0]) && a[1..].iter().all(|t| t.is_string());
    ok.then(|| {
        let mut p = vec![a[0]];
        p.extend(std::iter::repeat_n(DataType::Text, a.len() - 1));
        (p, DataType::Text)
    })
}

fn r_dim(a: &[DataType]) -> Resolved {
    (a.len() == 2 && is_array(&a[0]) && (a[1].is_integer() || a[1] == DataType::Unknown))
        .then(|| (vec![a[0], DataType::Int4], DataType::Int4))
}

fn r_cardinality(a: &[DataType]) -> Resolved {
    (a.len() == 1 && is_array(&a[0])).then(|| (vec![a[0]], DataType::Int4))
}

fn f_to_string(a: &[Value], _: &FnContext) -> Result<Value> {
    if a[0].is_null() || a[1].is_null() {
        return Ok(Value::Null);
    }
    let delim = text_arg(&a[1])?;
    let null_as = match a.get(2) {
        Some(Value::Text(s)) => Some(s.as_str()),
        _ => None,
    };
    let parts: Vec<String> = element_texts(&a[0])?
        .into_iter()
        .filter_map(|e| e.or_else(|| null_as.map(str::to_string)))
        .collect();
    Ok(Value::Text(parts.join(delim)))
}

/// `array_length(a, 1)`: the length (NULL when empty, or for another
/// dimension).
fn f_length(a: &[Value], _: &FnContext) -> Result<Value> {
    let n = element_texts(&a[0])?.len();
    Ok(if int_arg(&a[1])? == 1 && n > 0 {
        Value::Int4(i32::try_from(n).unwrap_or(i32::MAX))
    } else {
        Value::Null
    })
}

/// `array_upper(a, 1)`: the last subscript.
fn f_upper(a: &[Value], _: &FnContext) -> Result<Value> {
    let n = element_texts(&a[0])?.len() as i64;
    Ok(if int_arg(&a[1])? == 1 && n > 0 {
        Value::Int4(i32::try_from(lower_bound(&a[0]) + n - 1).unwrap_or(i32::MAX))
    } else {
        Value::Null
    })
}

/// `array_lower(a, 1)`: the first subscript.
fn f_lower(a: &[Value], _: &FnContext) -> Result<Value> {
    let n = element_texts(&a[0])?.len();
    Ok(if int_arg(&a[1])? == 1 && n > 0 {
        Value::Int4(lower_bound(&a[0]) as i32)
    } else {
        Value::Null
    })
}

fn f_cardinality(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Int4(
        i32::try_from(element_texts(&a[0])?.len()).unwrap_or(i32::MAX),
    ))
}

/// The array functions callable by name.
pub static FUNCTIONS: &[ScalarFunction] = &[
    func("array_to_string", r_to_string, f_to_string, false),
    func("array_upper", r_dim, f_upper, true),
    func("array_length", r_dim, f_length, true),
    func("array_lower", r_dim, f_lower, true),
    func("cardinality", r_cardinality, f_cardinality, true),
];

// ---------------------------------------------------------------------------
// Set-returning functions

/// One call's values, as a set-returning function produces them.
pub type SetValues = Box<dyn Iterator<Item = Value> + Send>;

/// A set-returning function: its result rows' single values, from its
/// (evaluated) arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetFunction {
    /// `unnest(array)`: the elements (as text; the binder casts them).
    Unnest,
    /// `generate_subscripts(array, dim)`: 1..=length.
    GenerateSubscripts,
    /// `generate_series(start, stop [, step])` over integers.
    GenerateSeries,
}

impl SetFunction {
    /// The set-returning function called `name`.
    pub fn from_name(name: &str) -> Option<SetFunction> {
        Some(match name {
            "unnest" => SetFunction::Unnest,
            "generate_subscripts" => SetFunction::GenerateSubscripts,
            "generate_series" => SetFunction::GenerateSeries,
            _ => return None,
        })
    }

    /// Parameter types and the type of the values (for `unnest`, text
    /// standing for the element type, which the binder casts to).
    pub fn resolve(&self, args: &[DataType]) -> Result<(Vec<DataType>, DataType)> {
        let int = |t: &DataType| t.is_integer() || *t == DataType::Unknown;
        let wide = |t: &DataType| {
            if *t == DataType::Int8 {
                DataType::Int8
            } else {
                DataType::Int4
            }
        };
        let r = match (self, args) {
            (SetFunction::Unnest, [a]) if is_array(a) => Some((vec![*a], DataType::Text)),
            (SetFunction::GenerateSubscripts, [a, d]) if is_array(a) && int(d) => {
                Some((vec![*a, DataType::Int4], DataType::Int4))
            }
            (SetFunction::GenerateSeries, [a, b]) if int(a) && int(b) => {
                let t = if wide(a) == DataType::Int8 {
                    DataType::Int8
                } else {
                    wide(b)
                };
                Some((vec![t, t], t))
            }
            (SetFunction::GenerateSeries, [a, b, c]) if int(a) && int(b) && int(c) => {
                let t = [a, b, c].iter().fold(DataType::Int4, |acc, t| {
                    if wide(t) == DataType::Int8 {
                        DataType::Int8
                    } else {
                        acc
                    }
                });
                Some((vec![t, t, t], t))
            }
            _ => None,
        };
        r.ok_or_else(|| {
            let list: Vec<String> = args.iter().map(|t| t.format_type()).collect();
            sql_err!(
                SqlState::UNDEFINED_FUNCTION,
                "function {}({}) does not exist",
                self.name(),
                list.join(", ")
            )
            .with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            )
        })
    }

    /// The SQL name.
    pub fn name(&self) -> &'static str {
        match self {
            SetFunction::Unnest => "unnest",
            SetFunction::GenerateSubscripts => "generate_subscripts",
            SetFunction::GenerateSeries => "generate_series",
        }
    }

    /// The values for one call; at most `limit` of them (a bound on what a
    /// statement may produce).
    pub fn values(&self, args: &[Value], ty: DataType, limit: usize) -> Result<Vec<Value>> {
        if args.iter().any(Value::is_null) {
            return Ok(Vec::new());
        }
        match self {
            SetFunction::Unnest => Ok(element_texts(&args[0])?
                .into_iter()
                .map(|e| e.map_or(Value::Null, Value::Text))
                .collect()),
            SetFunction::GenerateSubscripts => {
                let n = element_texts(&args[0])?.len() as i64;
                if int_arg(&args[1])? != 1 {
                    return Ok(Vec::new());
                }
                let lower = lower_bound(&args[0]);
                Ok((lower..lower + n)
                    .map(|i| Value::Int4(i32::try_from(i).unwrap_or(i32::MAX)))
                    .collect())
            }
            SetFunction::GenerateSeries => series(args, ty, limit),
        }
    }

    /// The values for one call, produced as they are asked for (a
    /// `generate_series` of any length takes no memory).
    pub fn stream(&self, args: &[Value], ty: DataType) -> Result<SetValues> {
        match self {
            SetFunction::GenerateSeries if !args.iter().any(Value::is_null) => {
                Ok(Box::new(Series::new(args, ty)?))
            }
            _ => Ok(Box::new(self.values(args, ty, usize::MAX)?.into_iter())),
        }
    }
}

/// `generate_series` over integers, lazily.
struct Series {
    next: Option<i64>,
    stop: i64,
    step: i64,
    ty: DataType,
}

impl Series {
    fn new(args: &[Value], ty: DataType) -> Result<Series> {
        let (start, stop) = (int_arg(&args[0])?, int_arg(&args[1])?);
        let step = match args.get(2) {
            Some(v) => int_arg(v)?,
            None => 1,
        };
        if step == 0 {
            return Err(sql_err!(
                SqlState::INVALID_PARAMETER_VALUE,
                "step size cannot equal zero"
            ));
        }
        Ok(Series {
            next: Some(start),
            stop,
            step,
            ty,
        })
    }
}

impl Iterator for Series {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        let i = self.next?;
        if (self.step > 0 && i > self.stop) || (self.step < 0 && i < self.stop) {
            self.next = None;
            return None;
        }
        self.next = i.checked_add(self.step);
        Some(if self.ty == DataType::Int8 {
            Value::Int8(i)
        } else {
            Value::Int4(i as i32)
        })
    }
}

fn series(args: &[Value], ty: DataType, limit: usize) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for v in Series::new(args, ty)? {
        if out.len() >= limit {
            return Err(sql_err!(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "generate_series would return more than {} rows",
                limit
            ));
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> FnContext {
        super::super::catalog::tests_support::ctx()
    }

    fn arr(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn any_all_follow_sql_null_rules() {
        let c = ctx();
        let call = |f: &ScalarFunction, x: Value, a: &str| (f.eval)(&[x, arr(a)], &c).unwrap();
        assert_eq!(call(&ANY_EQ, Value::Int8(2), "{1,2}"), Value::Bool(true));
        assert_eq!(call(&ANY_EQ, Value::Int8(3), "{1,2}"), Value::Bool(false));
        assert_eq!(call(&ANY_EQ, Value::Int8(3), "{1,NULL}"), Value::Null);
        assert_eq!(
            call(&ANY_EQ, Value::Text("r".into()), "{r,v}"),
            Value::Bool(true)
        );
        assert_eq!(call(&ALL_LT, Value::Int4(0), "{1,2}"), Value::Bool(true));
        assert_eq!(call(&ALL_LT, Value::Int4(0), "{}"), Value::Bool(true));
        assert_eq!(
            call(&ANY_EQ, Value::Int2(2), "1 2"),
            Value::Bool(true),
            "int2vector"
        );
    }

    #[test]
    fn accessors() {
        let c = ctx();
        assert_eq!(
            (SUBSCRIPT.eval)(&[arr("{a,b}"), Value::Int4(2)], &c).unwrap(),
            arr("b")
        );
        assert_eq!(
            (SUBSCRIPT.eval)(&[arr("{a,b}"), Value::Int4(3)], &c).unwrap(),
            Value::Null
        );
        let s = (FUNCTIONS[0].eval)(&[arr("{a,NULL,c}"), arr(","), arr("*")], &c).unwrap();
        assert_eq!(s, arr("a,*,c"));
        let s = (FUNCTIONS[0].eval)(&[arr("{a,NULL,c}"), arr(",")], &c).unwrap();
        assert_eq!(s, arr("a,c"));
        assert_eq!(
            (FUNCTIONS[1].eval)(&[arr("{}"), Value::Int4(1)], &c).unwrap(),
            Value::Null
        );
        assert_eq!(
            (f_build)(&[Value::Int4(1), Value::Null], &c).unwrap(),
            arr("{1,NULL}")
        );
    }

    #[test]
    fn set_functions() {
        let s = SetFunction::GenerateSeries;
        assert_eq!(
            s.values(
                &[Value::Int4(3), Value::Int4(1), Value::Int4(-1)],
                DataType::Int4,
                10
            )
            .unwrap(),
            vec![Value::Int4(3), Value::Int4(2), Value::Int4(1)]
        );
        assert!(
            s.values(&[Value::Int4(1), Value::Int4(100)], DataType::Int4, 10)
                .is_err()
        );
        let u = SetFunction::Unnest
            .values(&[arr("1 2")], DataType::Text, 10)
            .unwrap();
        assert_eq!(u, vec![arr("1"), arr("2")]);
        let g = SetFunction::GenerateSubscripts;
        assert_eq!(
            g.values(&[arr("{x,y}"), Value::Int4(1)], DataType::Int4, 10)
                .unwrap(),
            vec![Value::Int4(1), Value::Int4(2)]
        );
    }
}
