//! Catalog functions: what psql, the drivers and the ORMs call in their
//! catalog queries (`pg_table_is_visible`, `pg_get_indexdef`,
//! `pg_get_userbyid`, `to_regtype`, `has_table_privilege`...), and the
//! conversions between `oid` and the `reg*` types that the binder inserts
//! for casts (`'events'::regclass`, `oid::regtype::text`).
//!
//! They read the statement's [`CatalogSnapshot`](crate::sql::system::CatalogSnapshot)
//! through [`FnContext::catalog`]. A `reg*` value is held as the object's
//! name (see [`DataType::RegClass`]); converting it to an OID looks the
//! name up and fails as PostgreSQL's input functions do (42P01 `relation
//! "x" does not exist`, 42704 `type "x" does not exist`, 3F000 `schema "x"
//! does not exist`).

use super::scalar::{FnContext, ScalarFunction};
use crate::error::{Error, Result, SqlState};
use crate::sql::system::{self, NAMESPACES, OWNER_OID, index};
use crate::sql_err;
use crate::types::{DataType, Value};

type Resolved = Option<(Vec<DataType>, DataType)>;

const fn strict(
    name: &'static str,
    resolve: fn(&[DataType]) -> Resolved,
    eval: fn(&[Value], &FnContext) -> Result<Value>,
) -> ScalarFunction {
    ScalarFunction {
        name,
        resolve,
        eval,
        strict: true,
        volatile: false,
    }
}

const fn lenient(
    name: &'static str,
    resolve: fn(&[DataType]) -> Resolved,
    eval: fn(&[Value], &FnContext) -> Result<Value>,
) -> ScalarFunction {
    ScalarFunction {
        name,
        resolve,
        eval,
        strict: false,
        volatile: false,
    }
}

// ---------------------------------------------------------------------------
// Resolvers

/// True when an argument of type `t` can be passed as an `oid`.
fn oidish(t: &DataType) -> bool {
    t.is_integer() || t.is_reg() || matches!(t, DataType::Oid | DataType::Unknown)
}

fn stringish(t: &DataType) -> bool {
    t.is_string()
}

/// Matches argument types against parameter kinds: `o` oid, `t` text,
/// `i` int4, `b` bool.
fn sig(a: &[DataType], kinds: &str, ret: DataType) -> Resolved {
    if a.len() != kinds.len() {
        return None;
    }
    let mut params = Vec::with_capacity(a.len());
    for (t, k) in a.iter().zip(kinds.chars()) {
        let (ok, p) = match k {
            'o' => (oidish(t), DataType::Oid),
            't' => (stringish(t), DataType::Text),
            'i' => (t.is_integer() || *t == DataType::Unknown, DataType::Int4),
            'b' => (
                matches!(t, DataType::Bool | DataType::Unknown),
                DataType::Bool,
            ),
            _ => (false, DataType::Unknown),
        };
        if !ok {
            return None;
        }
        params.push(p);
    }
    Some((params, ret))
}

fn r_oid_bool(a: &[DataType]) -> Resolved {
    sig(a, "o", DataType::Bool)
}
fn r_oid_text(a: &[DataType]) -> Resolved {
    sig(a, "o", DataType::Text)
}
fn r_get_expr(a: &[DataType]) -> Resolved {
    sig(a, "to", DataType::Text).or_else(|| sig(a, "tob", DataType::Text))
}
fn r_indexdef(a: &[DataType]) -> Resolved {
    sig(a, "o", DataType::Text).or_else(|| sig(a, "oib", DataType::Text))
}
fn r_constraintdef(a: &[DataType]) -> Resolved {
    sig(a, "o", DataType::Text).or_else(|| sig(a, "ob", DataType::Text))
}
fn r_obj_description(a: &[DataType]) -> Resolved {
    sig(a, "o", DataType::Text).or_else(|| sig(a, "ot", DataType::Text))
}
fn r_col_description(a: &[DataType]) -> Resolved {
    sig(a, "oi", DataType::Text)
}
fn r_shobj_description(a: &[DataType]) -> Resolved {
    sig(a, "ot", DataType::Text)
}
fn r_to_regclass(a: &[DataType]) -> Resolved {
    sig(a, "t", DataType::RegClass)
}
fn r_to_regtype(a: &[DataType]) -> Resolved {
    sig(a, "t", DataType::RegType)
}
fn r_to_regnamespace(a: &[DataType]) -> Resolved {
    sig(a, "t", DataType::RegNamespace)
}
fn r_current_schemas(a: &[DataType]) -> Resolved {
    sig(a, "b", DataType::Array(1009))
}
fn r_privilege(a: &[DataType]) -> Resolved {
    // (object, privilege) or (user, object, privilege); objects by name or OID.
    sig(a, "tt", DataType::Bool)
        .or_else(|| sig(a, "ot", DataType::Bool))
        .or_else(|| sig(a, "ttt", DataType::Bool))
        .or_else(|| sig(a, "tot", DataType::Bool))
}
fn r_column_privilege(a: &[DataType]) -> Resolved {
    sig(a, "ttt", DataType::Bool)
        .or_else(|| sig(a, "ott", DataType::Bool))
        .or_else(|| sig(a, "tttt", DataType::Bool))
}
fn r_serial_sequence(a: &[DataType]) -> Resolved {
    sig(a, "tt", DataType::Text)
}
fn r_encoding(a: &[DataType]) -> Resolved {
    sig(a, "i", DataType::Text)
}
fn r_json_build_object(a: &[DataType]) -> Resolved {
    a.len().is_multiple_of(2).then(|| {
        let params = a
            .iter()
            .map(|t| {
                if *t == DataType::Unknown {
                    DataType::Text
                } else {
                    *t
                }
            })
            .collect();
        (params, DataType::Json)
    })
}
fn r_reg_in(ret: DataType) -> impl Fn(&[DataType]) -> Resolved {
    move |a| sig(a, "t", ret)
}

// ---------------------------------------------------------------------------
// Argument helpers

fn oid_arg(v: &Value) -> Result<u32> {
    match v {
        Value::Int2(i) => Ok(*i as u16 as u32),
        Value::Int4(i) => Ok(*i as u32),
        Value::Int8(i) => u32::try_from(*i)
            .map_err(|_| sql_err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "OID out of range")),
        other => Err(Error::Internal(format!("expected an OID, got {other:?}"))),
    }
}

fn text_arg(v: &Value) -> Result<&str> {
    match v {
        Value::Text(s) | Value::Json(s) => Ok(s),
        other => Err(Error::Internal(format!("expected text, got {other:?}"))),
    }
}

fn oid(o: u32) -> Value {
    Value::Int8(o as i64)
}

/// Splits a possibly qualified, possibly quoted name (`public.events`,
/// `"My Table"`) as PostgreSQL's `stringToQualifiedNameList` does.
fn qualified_name(s: &str) -> Result<(Option<String>, String)> {
    let mut parts = Vec::new();
    let mut chars = s.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => part.push('"'),
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(invalid_name(s)),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != '.') {
                part.push(c);
            }
            part = part.trim().to_lowercase();
        }
        if part.is_empty() {
            return Err(invalid_name(s));
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some('.') => {}
            Some(_) => return Err(invalid_name(s)),
        }
    }
    match parts.len() {
        1 => Ok((None, parts.remove(0))),
        2 => {
            let name = parts.remove(1);
            Ok((Some(parts.remove(0)), name))
        }
        _ => Err(sql_err!(
            SqlState::FEATURE_NOT_SUPPORTED,
            "cross-database references are not implemented: {}",
            s
        )),
    }
}

fn invalid_name(s: &str) -> Error {
    sql_err!(SqlState::INVALID_PARAMETER_VALUE, "invalid name syntax")
        .with_detail(format!("\"{s}\""))
}

// ---------------------------------------------------------------------------
// Relations, types and schemas by name and OID

/// The OID and canonical name of the relation `s` names, if it exists.
fn find_relation(s: &str, c: &FnContext) -> Result<Option<(u32, String)>> {
    let (schema, name) = qualified_name(s)?;
    c.catalog.relation_by_name(schema.as_deref(), &name)
}

/// The type a name denotes (`integer`, `int4`, `pg_catalog.int4`,
/// `character varying`, `int4[]`), if DriftDB has it.
fn find_type(s: &str) -> Option<DataType> {
    let s = s.trim().to_lowercase();
    let s = s
        .strip_prefix("pg_catalog.")
        .unwrap_or(&s)
        .trim()
        .to_string();
    if let Some(elem) = s.strip_suffix("[]") {
        return find_type(elem).and_then(|t| t.array_of().ok());
    }
    if let Some(elem) = s.strip_prefix('_') {
        return find_type(elem).and_then(|t| t.array_of().ok());
    }
    let (base, mods) = match s.split_once('(') {
        Some((b, rest)) => {
            let mods: Option<Vec<i64>> = rest
                .trim_end_matches(')')
                .split(',')
                .map(|m| m.trim().parse().ok())
                .collect();
            (b.trim().to_string(), mods?)
        }
        None => (s.clone(), Vec::new()),
    };
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    DataType::from_name(&base, &mods)
        .ok()
        .filter(|t| *t != DataType::Unknown || base == "unknown")
}

/// `regtype` output: the type's SQL name (`integer`, `character varying`).
fn type_name(t: &DataType) -> String {
    match t {
        DataType::Varchar(_) => "character varying".into(),
        DataType::Char(_) => "character".into(),
        DataType::Numeric { .. } => "numeric".into(),
        other => other.format_type(),
    }
}

fn find_namespace(s: &str) -> Result<Option<(u32, &'static str)>> {
    let (schema, name) = qualified_name(s)?;
    if schema.is_some() {
        return Ok(None);
    }
    Ok(NAMESPACES.iter().find(|(_, n)| *n == name).copied())
}

fn no_relation(s: &str) -> Error {
    sql_err!(
        SqlState::UNDEFINED_TABLE,
        "relation \"{}\" does not exist",
        s
    )
}

fn no_type(s: &str) -> Error {
    sql_err!(SqlState::UNDEFINED_OBJECT, "type \"{}\" does not exist", s)
}

fn no_schema(s: &str) -> Error {
    sql_err!(
        SqlState::INVALID_SCHEMA_NAME,
        "schema \"{}\" does not exist",
        s
    )
}

/// `'name'::regclass`: the canonical name of an existing relation.
fn f_regclass_in(a: &[Value], c: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    if let Ok(n) = s.trim().parse::<u32>() {
        return Ok(Value::Text(
            c.catalog.relation_name(n)?.unwrap_or_else(|| n.to_string()),
        ));
    }
    let (_, name) = find_relation(s, c)?.ok_or_else(|| no_relation(s))?;
    Ok(Value::Text(name))
}

/// regclass → oid.
fn f_regclass_oid(a: &[Value], c: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    if let Ok(n) = s.trim().parse::<u32>() {
        return Ok(oid(n));
    }
    let (o, _) = find_relation(s, c)?.ok_or_else(|| no_relation(s))?;
    Ok(oid(o))
}

/// oid → regclass: the relation's name, or the number when there is none.
fn f_oid_regclass(a: &[Value], c: &FnContext) -> Result<Value> {
    let o = oid_arg(&a[0])?;
    Ok(Value::Text(
        c.catalog.relation_name(o)?.unwrap_or_else(|| o.to_string()),
    ))
}

fn f_regtype_in(a: &[Value], _: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    if let Ok(n) = s.trim().parse::<u32>() {
        return Ok(Value::Text(
            DataType::from_oid(n).map_or(n.to_string(), |t| type_name(&t)),
        ));
    }
    let t = find_type(s).ok_or_else(|| no_type(s))?;
    Ok(Value::Text(type_name(&t)))
}

fn f_regtype_oid(a: &[Value], _: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    if let Ok(n) = s.trim().parse::<u32>() {
        return Ok(oid(n));
    }
    Ok(oid(find_type(s).ok_or_else(|| no_type(s))?.oid()))
}

fn f_oid_regtype(a: &[Value], _: &FnContext) -> Result<Value> {
    let o = oid_arg(&a[0])?;
    Ok(Value::Text(
        DataType::from_oid(o).map_or(o.to_string(), |t| type_name(&t)),
    ))
}

fn f_regnamespace_in(a: &[Value], _: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    let (_, n) = find_namespace(s)?.ok_or_else(|| no_schema(s))?;
    Ok(Value::Text(n.to_string()))
}

fn f_regnamespace_oid(a: &[Value], _: &FnContext) -> Result<Value> {
    let s = text_arg(&a[0])?;
    if let Ok(n) = s.trim().parse::<u32>() {
        return Ok(oid(n));
    }
    let (o, _) = find_namespace(s)?.ok_or_else(|| no_schema(s))?;
    Ok(oid(o))
}

fn f_oid_regnamespace(a: &[Value], _: &FnContext) -> Result<Value> {
    let o = oid_arg(&a[0])?;
    let name = NAMESPACES
        .iter()
        .find(|(n, _)| *n == o)
        .map(|(_, s)| s.to_string());
    Ok(Value::Text(name.unwrap_or_else(|| o.to_string())))
}

fn f_to_regclass(a: &[Value], c: &FnContext) -> Result<Value> {
    Ok(find_relation(text_arg(&a[0])?, c)?.map_or(Value::Null, |(_, n)| Value::Text(n)))
}

fn f_to_regtype(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(find_type(text_arg(&a[0])?).map_or(Value::Null, |t| Value::Text(type_name(&t))))
}

fn f_to_regnamespace(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(find_namespace(text_arg(&a[0])?)?.map_or(Value::Null, |(_, n)| Value::Text(n.into())))
}

// ---------------------------------------------------------------------------
// Visibility, owners, definitions

/// Relations in `public` and `pg_catalog` are on the search path; the
/// `information_schema` views are not.
fn f_table_is_visible(a: &[Value], c: &FnContext) -> Result<Value> {
    let o = oid_arg(&a[0])?;
    let user = c.catalog.is_user_relation(o)?;
    let sys = system::by_oid(o).is_some_and(|t| t.schema == "pg_catalog");
    Ok(Value::Bool(user || sys))
}

fn f_type_is_visible(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Bool(DataType::from_oid(oid_arg(&a[0])?).is_some()))
}

fn f_collation_is_visible(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Bool(
        oid_arg(&a[0])? == system::DEFAULT_COLLATION_OID,
    ))
}

fn f_userbyid(a: &[Value], c: &FnContext) -> Result<Value> {
    let o = oid_arg(&a[0])?;
    Ok(Value::Text(if o == OWNER_OID {
        c.catalog.user.clone()
    } else {
        format!("unknown (OID={o})")
    }))
}

/// `pg_get_expr(adbin, relid)`: DriftDB keeps expressions (column
/// defaults) as SQL text, which is what this prints.
fn f_get_expr(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Text(text_arg(&a[0])?.to_string()))
}

fn f_indexdef(a: &[Value], c: &FnContext) -> Result<Value> {
    let o = oid_arg(&a[0])?;
    let column = match a.get(1) {
        Some(Value::Int4(n)) => *n,
        _ => 0,
    };
    let Some(ix) = index::index_by_oid(&c.catalog, o)? else {
        return Ok(Value::Null);
    };
    if column > 0 {
        let col = usize::try_from(column)
            .ok()
            .and_then(|n| index::index_column(&ix, n));
        return Ok(col.map_or(Value::Null, Value::Text));
    }
    let pretty = matches!(a.get(2), Some(Value::Bool(true)));
    Ok(Value::Text(index::index_def(&ix, pretty)))
}

fn f_constraintdef(a: &[Value], c: &FnContext) -> Result<Value> {
    let o = oid_arg(&a[0])?;
    Ok(index::constraint_by_oid(&c.catalog, o)?
        .and_then(|ix| index::constraint_def(&ix))
        .map_or(Value::Null, Value::Text))
}

/// Comments (`COMMENT ON`) do not exist in DriftDB: every object has none.
fn f_no_description(_: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Null)
}

/// Extended statistics and sequences do not exist in DriftDB.
fn f_null(_: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Null)
}

fn f_current_schemas(a: &[Value], _: &FnContext) -> Result<Value> {
    let implicit = matches!(a[0], Value::Bool(true));
    Ok(Value::Text(
        if implicit {
            "{pg_catalog,public}"
        } else {
            "{public}"
        }
        .into(),
    ))
}

/// The one role is a superuser: it holds every privilege on every object
/// that exists; an object that does not exist is an error, as in
/// PostgreSQL.
fn f_table_privilege(a: &[Value], c: &FnContext) -> Result<Value> {
    let object = &a[a.len() - 2];
    match object {
        Value::Text(s) => {
            find_relation(s, c)?.ok_or_else(|| no_relation(s))?;
            Ok(Value::Bool(true))
        }
        other => {
            let o = oid_arg(other)?;
            Ok(if c.catalog.relation_name(o)?.is_some() {
                Value::Bool(true)
            } else {
                Value::Null
            })
        }
    }
}

fn f_schema_privilege(a: &[Value], _: &FnContext) -> Result<Value> {
    match &a[a.len() - 2] {
        Value::Text(s) => {
            find_namespace(s)?.ok_or_else(|| no_schema(s))?;
            Ok(Value::Bool(true))
        }
        other => {
            let o = oid_arg(other)?;
            Ok(Value::Bool(NAMESPACES.iter().any(|(n, _)| *n == o)))
        }
    }
}

fn f_database_privilege(a: &[Value], c: &FnContext) -> Result<Value> {
    match &a[a.len() - 2] {
        Value::Text(s) if *s == c.catalog.database => Ok(Value::Bool(true)),
        Value::Text(s) => Err(sql_err!(
            SqlState::INVALID_CATALOG_NAME,
            "database \"{}\" does not exist",
            s
        )),
        other => Ok(Value::Bool(oid_arg(other)? == system::DATABASE_OID)),
    }
}

fn f_column_privilege(a: &[Value], c: &FnContext) -> Result<Value> {
    let table = &a[a.len() - 3];
    let reduced = [table.clone(), a[a.len() - 1].clone()];
    f_table_privilege(&reduced, c)
}

/// PostgreSQL publishes ordinary user tables; DriftDB has no publications,
/// but its tables would qualify.
fn f_relation_is_publishable(a: &[Value], c: &FnContext) -> Result<Value> {
    Ok(Value::Bool(
        c.catalog.table_by_oid(oid_arg(&a[0])?)?.is_some(),
    ))
}

fn f_encoding_to_char(a: &[Value], _: &FnContext) -> Result<Value> {
    Ok(Value::Text(match a[0] {
        Value::Int4(6) => "UTF8".into(),
        _ => String::new(),
    }))
}

/// `json_build_object(k1, v1, ...)`: keys as strings, numbers and booleans
/// as JSON scalars, JSON as is, anything else as a JSON string.
fn f_json_build_object(a: &[Value], c: &FnContext) -> Result<Value> {
    let mut out = String::from("{");
    for (i, pair) in a.chunks(2).enumerate() {
        if pair[0].is_null() {
            return Err(sql_err!(
                SqlState::NULL_VALUE_NOT_ALLOWED,
                "null value not allowed for object key"
            ));
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&json_string(&pair[0].to_text(&c.types)));
        out.push_str(" : ");
        out.push_str(&match &pair[1] {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Json(s) => s.clone(),
            v @ (Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Numeric(_)) => {
                v.to_text(&c.types)
            }
            v @ (Value::Float4(_) | Value::Float8(_)) => {
                let t = v.to_text(&c.types);
                if t.parse::<f64>().is_ok_and(f64::is_finite) {
                    t
                } else {
                    json_string(&t)
                }
            }
            v => json_string(&v.to_text(&c.types)),
        });
    }
    out.push('}');
    Ok(Value::Json(out))
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------
// Registration

fn r_regclass_in(a: &[DataType]) -> Resolved {
    r_reg_in(DataType::RegClass)(a)
}
fn r_regtype_in(a: &[DataType]) -> Resolved {
    r_reg_in(DataType::RegType)(a)
}
fn r_regnamespace_in(a: &[DataType]) -> Resolved {
    r_reg_in(DataType::RegNamespace)(a)
}
fn r_reg_oid(a: &[DataType]) -> Resolved {
    (a.len() == 1 && a[0].is_reg()).then(|| (vec![a[0]], DataType::Oid))
}

/// text → regclass (checks the relation exists).
pub static REGCLASS_IN: ScalarFunction = strict("regclassin", r_regclass_in, f_regclass_in);
/// text → regtype.
pub static REGTYPE_IN: ScalarFunction = strict("regtypein", r_regtype_in, f_regtype_in);
/// text → regnamespace.
pub static REGNAMESPACE_IN: ScalarFunction =
    strict("regnamespacein", r_regnamespace_in, f_regnamespace_in);
/// regclass → oid.
pub static REGCLASS_OID: ScalarFunction = strict("oid", r_reg_oid, f_regclass_oid);
/// regtype → oid.
pub static REGTYPE_OID: ScalarFunction = strict("oid", r_reg_oid, f_regtype_oid);
/// regnamespace → oid.
pub static REGNAMESPACE_OID: ScalarFunction = strict("oid", r_reg_oid, f_regnamespace_oid);
/// oid → regclass.
pub static OID_REGCLASS: ScalarFunction = strict("regclass", r_oid_text, f_oid_regclass);
/// oid → regtype.
pub static OID_REGTYPE: ScalarFunction = strict("regtype", r_oid_text, f_oid_regtype);
/// oid → regnamespace.
pub static OID_REGNAMESPACE: ScalarFunction =
    strict("regnamespace", r_oid_text, f_oid_regnamespace);

/// The conversion between a reg* type and `oid` (`to_oid`: reg → oid;
/// otherwise oid → reg), or from text (`from_text`).
pub fn reg_conversion(reg: &DataType, direction: RegDirection) -> Option<&'static ScalarFunction> {
    use RegDirection::*;
    Some(match (reg, direction) {
        (DataType::RegClass, FromText) => &REGCLASS_IN,
        (DataType::RegType, FromText) => &REGTYPE_IN,
        (DataType::RegNamespace, FromText) => &REGNAMESPACE_IN,
        (DataType::RegClass, ToOid) => &REGCLASS_OID,
        (DataType::RegType, ToOid) => &REGTYPE_OID,
        (DataType::RegNamespace, ToOid) => &REGNAMESPACE_OID,
        (DataType::RegClass, FromOid) => &OID_REGCLASS,
        (DataType::RegType, FromOid) => &OID_REGTYPE,
        (DataType::RegNamespace, FromOid) => &OID_REGNAMESPACE,
        _ => return None,
    })
}

/// Which way a reg* conversion goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegDirection {
    /// text → reg (the input function: checks the object exists).
    FromText,
    /// reg → oid.
    ToOid,
    /// oid → reg.
    FromOid,
}

/// The catalog functions callable by name.
pub static FUNCTIONS: &[ScalarFunction] = &[
    strict("pg_table_is_visible", r_oid_bool, f_table_is_visible),
    strict("pg_type_is_visible", r_oid_bool, f_type_is_visible),
    strict(
        "pg_collation_is_visible",
        r_oid_bool,
        f_collation_is_visible,
    ),
    strict("pg_get_userbyid", r_oid_text, f_userbyid),
    strict("pg_get_expr", r_get_expr, f_get_expr),
    strict("pg_get_indexdef", r_indexdef, f_indexdef),
    strict("pg_get_constraintdef", r_constraintdef, f_constraintdef),
    lenient("obj_description", r_obj_description, f_no_description),
    lenient("col_description", r_col_description, f_no_description),
    lenient("shobj_description", r_shobj_description, f_no_description),
    strict("pg_get_statisticsobjdef_columns", r_oid_text, f_null),
    strict("pg_get_serial_sequence", r_serial_sequence, f_null),
    strict("to_regclass", r_to_regclass, f_to_regclass),
    strict("to_regtype", r_to_regtype, f_to_regtype),
    strict("to_regnamespace", r_to_regnamespace, f_to_regnamespace),
    strict("current_schemas", r_current_schemas, f_current_schemas),
    strict("has_table_privilege", r_privilege, f_table_privilege),
    strict("has_schema_privilege", r_privilege, f_schema_privilege),
    strict("has_database_privilege", r_privilege, f_database_privilege),
    strict(
        "has_column_privilege",
        r_column_privilege,
        f_column_privilege,
    ),
    strict(
        "pg_relation_is_publishable",
        r_oid_bool,
        f_relation_is_publishable,
    ),
    strict("pg_encoding_to_char", r_encoding, f_encoding_to_char),
    lenient(
        "json_build_object",
        r_json_build_object,
        f_json_build_object,
    ),
];

/// A function context over a small catalog, for tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::FnContext;
    use crate::sql::system::CatalogSnapshot;
    use crate::types::TypeContext;

    /// A context whose catalog has `events (id int4 primary key, data
    /// text)` (OID 16384) and `log (x int4)` (OID 16385).
    pub fn ctx() -> FnContext {
        let events = crate::sql::system::tests_support::table(
            16384,
            "events",
            vec![0],
            &[
                ("id", crate::types::DataType::Int4),
                ("data", crate::types::DataType::Text),
            ],
        );
        let log = crate::sql::system::tests_support::table(
            16385,
            "log",
            vec![],
            &[("x", crate::types::DataType::Int4)],
        );
        FnContext {
            types: TypeContext::default(),
            txn_start_micros: 0,
            stmt_start_micros: 0,
            user: "driftdb".into(),
            database: "driftdb".into(),
            current_seq: 0,
            backend_pid: 1,
            settings: std::sync::Arc::new(vec![]),
            catalog: CatalogSnapshot::of_tables(
                vec![events, log],
                crate::sql::system::IndexSource::None,
                "driftdb",
                "driftdb",
            ),
        }
    }
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
