//! One-dimensional arrays, as far as the system catalogs and the clients'
//! catalog queries need them: `int2vector`/`oidvector` (`pg_index.indkey`),
//! `oid[]`, `text[]`, `int4[]`, ... built by `ARRAY[...]`, `array(...)` and
//! `array_agg`, read by `= ANY(...)`, `unnest`, subscripts.
//!
//! An array value is held as [`Value::Text`] in its type's text output form
//! (`{1,2,NULL}`; the vector types print `1 2`), with the column type
//! ([`DataType::Array`]) saying which array type it is, the way varchar and
//! char values are held as text. That keeps arrays out of storage and key
//! encoding (no table column has an array type) while every output is exactly
//! PostgreSQL's; operations parse the elements with [`elements`] and build
//! arrays with [`build`]. Only one dimension is supported (22P02 otherwise).
//!
//! Binary form (`array_send`), all integers big-endian:
//!
//! ```text
//! i32 ndim (0 or 1) | i32 has_nulls | u32 element type OID
//! [ i32 length | i32 lower bound (1) ]            -- when ndim = 1
//! per element: i32 byte length (-1 = NULL) | the element's binary form
//! ```

use super::{DataType, TypeContext, Value};
use crate::error::{Result, SqlState};
use crate::sql_err;

/// The array types: (array type OID, element type, vector type). The vector
/// types (`int2vector`, `oidvector`) print space-separated without braces.
const ARRAY_TYPES: &[(u32, DataType, bool)] = &[
    (1000, DataType::Bool, false),
    (1005, DataType::Int2, false),
    (1007, DataType::Int4, false),
    (1016, DataType::Int8, false),
    (1021, DataType::Float4, false),
    (1022, DataType::Float8, false),
    (
        1231,
        DataType::Numeric {
            precision: None,
            scale: None,
        },
        false,
    ),
    (1009, DataType::Text, false),
    (1015, DataType::Varchar(None), false),
    (1014, DataType::Char(None), false),
    (1182, DataType::Date, false),
    (1115, DataType::Timestamp, false),
    (1185, DataType::Timestamptz, false),
    (199, DataType::Json, false),
    (1028, DataType::Oid, false),
    (2210, DataType::RegClass, false),
    (2211, DataType::RegType, false),
    (22, DataType::Int2, true),
    (30, DataType::Oid, true),
];

/// The array type OID whose elements are `elem` (`int4` → 1007), if any.
pub fn array_oid_of(elem: &DataType) -> Option<u32> {
    let base = base_of(elem);
    ARRAY_TYPES
        .iter()
        .find(|(_, e, vector)| !vector && *e == base)
        .map(|(oid, _, _)| *oid)
}

/// The element type of the array type `oid`.
pub fn element_type(oid: u32) -> Option<DataType> {
    ARRAY_TYPES
        .iter()
        .find(|(o, _, _)| *o == oid)
        .map(|(_, e, _)| *e)
}

/// True for the vector types (`int2vector`, `oidvector`).
pub fn is_vector(oid: u32) -> bool {
    ARRAY_TYPES.iter().any(|(o, _, v)| *o == oid && *v)
}

/// True when `oid` is an array type we know.
pub fn is_array_oid(oid: u32) -> bool {
    element_type(oid).is_some()
}

fn base_of(t: &DataType) -> DataType {
    match t {
        DataType::Varchar(_) => DataType::Varchar(None),
        DataType::Char(_) => DataType::Char(None),
        DataType::Numeric { .. } => DataType::Numeric {
            precision: None,
            scale: None,
        },
        other => *other,
    }
}

fn malformed(input: &str, detail: &str) -> crate::error::Error {
    sql_err!(
        SqlState::INVALID_TEXT_REPRESENTATION,
        "malformed array literal: \"{input}\""
    )
    .with_detail(detail)
}

/// Splits an array's text form into its element texts (`None` for NULL).
fn split(input: &str, vector: bool) -> Result<Vec<Option<String>>> {
    if vector {
        return Ok(input
            .split_ascii_whitespace()
            .map(|s| Some(s.to_string()))
            .collect());
    }
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let inner = s
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or_else(|| {
            malformed(
                input,
                "Array value must start with \"{\" or dimension information.",
            )
        })?;
    let mut out = Vec::new();
    if inner.trim().is_empty() {
        return Ok(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        let mut text = String::new();
        let mut quoted = false;
        if chars.next_if_eq(&'"').is_some() {
            quoted = true;
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => text.push(
                        chars
                            .next()
                            .ok_or_else(|| malformed(input, "Unexpected end of input."))?,
                    ),
                    Some(c) => text.push(c),
                    None => return Err(malformed(input, "Unexpected end of input.")),
                }
            }
            while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                match c {
                    '{' | '}' | '"' => {
                        return Err(malformed(
                            input,
                            "Multidimensional arrays are not supported.",
                        ));
                    }
                    '\\' => text.push(
                        chars
                            .next()
                            .ok_or_else(|| malformed(input, "Unexpected end of input."))?,
                    ),
                    c => text.push(c),
                }
            }
            text.truncate(text.trim_end().len());
            if text.is_empty() {
                return Err(malformed(input, "Unexpected \",\" character."));
            }
        }
        out.push(if !quoted && text.eq_ignore_ascii_case("NULL") {
            None
        } else {
            Some(text)
        });
        match chars.next() {
            None => return Ok(out),
            Some(',') => {}
            Some(_) => return Err(malformed(input, "Unexpected array element.")),
        }
    }
}

/// The element texts of an array's text form, whichever form it has
/// (`{a,b}`, or a vector's `1 2`).
pub fn element_texts(v: &str) -> Result<Vec<Option<String>>> {
    split(v, !v.trim_start().starts_with('{'))
}

/// The elements of an array value of array type `oid`, typed as its
/// element type (NULL elements as [`Value::Null`]).
pub fn elements(v: &str, oid: u32, ctx: &TypeContext) -> Result<Vec<Value>> {
    let elem = element_type(oid).unwrap_or(DataType::Text);
    split(v, is_vector(oid))?
        .into_iter()
        .map(|e| match e {
            None => Ok(Value::Null),
            Some(t) => element_from_text(&t, &elem, ctx),
        })
        .collect()
}

fn element_from_text(t: &str, elem: &DataType, ctx: &TypeContext) -> Result<Value> {
    match elem {
        // reg* elements are held by name, as reg* values are.
        DataType::RegClass | DataType::RegType => Ok(Value::Text(t.to_string())),
        _ => Value::from_text(t, elem, ctx),
    }
}

/// The text form of an array of array type `oid` with these elements.
pub fn build(elems: &[Value], oid: u32, ctx: &TypeContext) -> String {
    let parts: Vec<String> = elems
        .iter()
        .map(|e| match e {
            Value::Null => "NULL".to_string(),
            v => quote(&v.to_text(ctx)),
        })
        .collect();
    if is_vector(oid) {
        parts.join(" ")
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// Quotes an element as `array_out` does: when empty, `NULL`, or holding
/// braces, quotes, backslashes, commas or white space.
fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.eq_ignore_ascii_case("NULL")
        && !s
            .chars()
            .any(|c| matches!(c, '{' | '}' | '"' | '\\' | ',') || c.is_ascii_whitespace());
    if plain {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `array_in`: checks and normalizes an array's text form.
pub fn from_text(s: &str, oid: u32, ctx: &TypeContext) -> Result<Value> {
    let elems = elements(s, oid, ctx)?;
    Ok(Value::Text(build(&elems, oid, ctx)))
}

/// `array_send`: the binary form (see the module docs).
pub fn to_binary(v: &str, oid: u32, out: &mut Vec<u8>) -> Result<()> {
    let ctx = TypeContext::default();
    let elem = element_type(oid).unwrap_or(DataType::Text);
    if matches!(elem, DataType::RegClass | DataType::RegType) {
        return Err(sql_err!(
            SqlState::FEATURE_NOT_SUPPORTED,
            "binary output of type {} is not supported",
            DataType::Array(oid).format_type()
        ));
    }
    let elems = elements(v, oid, &ctx)?;
    let has_nulls = elems.iter().any(Value::is_null);
    out.extend_from_slice(&(if elems.is_empty() { 0i32 } else { 1 }).to_be_bytes());
    out.extend_from_slice(&(has_nulls as i32).to_be_bytes());
    out.extend_from_slice(&elem.oid().to_be_bytes());
    if !elems.is_empty() {
        out.extend_from_slice(&(elems.len() as i32).to_be_bytes());
        out.extend_from_slice(&1i32.to_be_bytes());
    }
    for e in &elems {
        if e.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            continue;
        }
        let at = out.len();
        out.extend_from_slice(&0i32.to_be_bytes());
        e.to_binary(&elem, out)?;
        let len = (out.len() - at - 4) as i32;
        out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// `array_recv`: reads the binary form of an array of type `oid`.
pub fn from_binary(bytes: &[u8], oid: u32) -> Result<Value> {
    let elem = element_type(oid).unwrap_or(DataType::Text);
    let mut r = Reader(bytes);
    let ndim = r.i32()?;
    let _has_nulls = r.i32()?;
    let elem_oid = r.i32()? as u32;
    if elem_oid != elem.oid() && !(elem_oid == 1043 && elem == DataType::Varchar(None)) {
        return Err(sql_err!(SqlState::DATATYPE_MISMATCH, "wrong element type"));
    }
    let n = match ndim {
        0 => 0,
        1 => {
            let n = r.i32()?;
            let _lower = r.i32()?;
            usize::try_from(n).map_err(|_| super::binary::bad_format())?
        }
        _ => {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "multidimensional arrays are not supported"
            ));
        }
    };
    let mut elems = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let len = r.i32()?;
        if len < 0 {
            elems.push(Value::Null);
            continue;
        }
        let data = r.take(len as usize)?;
        elems.push(Value::from_binary(data, &elem)?);
    }
    if r.0.is_empty() {
        Ok(Value::Text(build(&elems, oid, &TypeContext::default())))
    } else {
        Err(super::binary::bad_format())
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(super::binary::bad_format());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }

    fn i32(&mut self) -> Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TypeContext {
        TypeContext::default()
    }

    #[test]
    fn text_forms_round_trip_as_postgres_prints_them() {
        let v = from_text("{1, 2 ,NULL}", 1007, &ctx()).unwrap();
        assert_eq!(v, Value::Text("{1,2,NULL}".into()));
        let v = from_text(r#"{"a b","",x,"NULL","q\"",null}"#, 1009, &ctx()).unwrap();
        assert_eq!(v, Value::Text(r#"{"a b","",x,"NULL","q\"",NULL}"#.into()));
        assert_eq!(
            from_text("{}", 1009, &ctx()).unwrap(),
            Value::Text("{}".into())
        );
        assert_eq!(
            elements("1 2 3", 22, &ctx()).unwrap(),
            vec![Value::Int2(1), Value::Int2(2), Value::Int2(3)]
        );
        assert_eq!(build(&[Value::Int2(1), Value::Int2(3)], 22, &ctx()), "1 3");
    }

    #[test]
    fn bad_literals_are_22p02() {
        for bad in ["1,2", "{1,{2}}", "{1,,2}", "{\"a}", "{a b\"}"] {
            let e = from_text(bad, 1009, &ctx()).unwrap_err();
            assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION, "{bad}");
        }
        let e = from_text("{x}", 1007, &ctx()).unwrap_err();
        assert_eq!(e.message(), "invalid input syntax for type integer: \"x\"");
    }

    #[test]
    fn binary_round_trips() {
        let mut out = Vec::new();
        to_binary("{1,NULL,3}", 1007, &mut out).unwrap();
        assert_eq!(&out[..12], &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23]);
        assert_eq!(
            from_binary(&out, 1007).unwrap(),
            Value::Text("{1,NULL,3}".into())
        );
        let mut empty = Vec::new();
        to_binary("{}", 1009, &mut empty).unwrap();
        assert_eq!(from_binary(&empty, 1009).unwrap(), Value::Text("{}".into()));
        assert!(from_binary(&out[..out.len() - 1], 1007).is_err());
        assert!(from_binary(&out, 1009).is_err());
    }
}
