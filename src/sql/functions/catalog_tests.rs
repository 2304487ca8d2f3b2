//! Catalog function tests over a two-table catalog (`tests_support::ctx`).

use super::tests_support::ctx;
use super::*;
use crate::sql::system::{pkey_constraint_oid, pkey_index_oid};

fn call(name: &str, args: &[Value]) -> Result<Value> {
    let f = FUNCTIONS
        .iter()
        .find(|f| f.name == name)
        .expect("function exists");
    (f.eval)(args, &ctx())
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn regclass_conversions() {
    let c = ctx();
    assert_eq!(
        f_regclass_in(&[text("events")], &c).unwrap(),
        text("events")
    );
    assert_eq!(
        f_regclass_in(&[text("public.events")], &c).unwrap(),
        text("events")
    );
    assert_eq!(
        f_regclass_in(&[text("pg_catalog.pg_class")], &c).unwrap(),
        text("pg_class")
    );
    assert_eq!(
        f_regclass_in(&[text("\"events\"")], &c).unwrap(),
        text("events")
    );
    let e = f_regclass_in(&[text("nope")], &c).unwrap_err();
    assert_eq!(e.message(), "relation \"nope\" does not exist");
    assert_eq!(
        f_regclass_oid(&[text("events")], &c).unwrap(),
        Value::Int8(16384)
    );
    assert_eq!(
        f_regclass_oid(&[text("pg_class")], &c).unwrap(),
        Value::Int8(1259)
    );
    assert_eq!(
        f_oid_regclass(&[Value::Int8(16385)], &c).unwrap(),
        text("log")
    );
    assert_eq!(
        f_oid_regclass(&[Value::Int8(99999)], &c).unwrap(),
        text("99999")
    );
}

#[test]
fn regtype_conversions() {
    let c = ctx();
    assert_eq!(f_regtype_in(&[text("int4")], &c).unwrap(), text("integer"));
    assert_eq!(
        f_regtype_in(&[text("character varying")], &c).unwrap(),
        text("character varying")
    );
    assert_eq!(
        f_regtype_oid(&[text("integer")], &c).unwrap(),
        Value::Int8(23)
    );
    assert_eq!(
        f_regtype_oid(&[text("int4[]")], &c).unwrap(),
        Value::Int8(1007)
    );
    assert_eq!(
        f_oid_regtype(&[Value::Int8(1184)], &c).unwrap(),
        text("timestamp with time zone")
    );
    assert_eq!(
        f_regtype_in(&[text("hstore")], &c).unwrap_err().sqlstate(),
        SqlState::UNDEFINED_OBJECT
    );
    assert_eq!(call("to_regtype", &[text("hstore")]).unwrap(), Value::Null);
    assert_eq!(
        call("to_regtype", &[text("numeric")]).unwrap(),
        text("numeric")
    );
    assert_eq!(call("to_regclass", &[text("nope")]).unwrap(), Value::Null);
    assert_eq!(
        f_regnamespace_oid(&[text("public")], &c).unwrap(),
        Value::Int8(2200)
    );
}

#[test]
fn definitions_and_visibility() {
    let ix = Value::Int8(pkey_index_oid(16384) as i64);
    assert_eq!(
        call("pg_get_indexdef", std::slice::from_ref(&ix)).unwrap(),
        text("CREATE UNIQUE INDEX events_pkey ON public.events USING btree (id)")
    );
    assert_eq!(
        call(
            "pg_get_indexdef",
            &[ix.clone(), Value::Int4(1), Value::Bool(true)]
        )
        .unwrap(),
        text("id")
    );
    let con = Value::Int8(pkey_constraint_oid(16384) as i64);
    assert_eq!(
        call("pg_get_constraintdef", &[con, Value::Bool(true)]).unwrap(),
        text("PRIMARY KEY (id)")
    );
    assert_eq!(call("pg_get_constraintdef", &[ix]).unwrap(), Value::Null);
    assert_eq!(
        call("pg_table_is_visible", &[Value::Int8(16385)]).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        call("pg_table_is_visible", &[Value::Int8(1259)]).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        call("pg_table_is_visible", &[Value::Int8(13002)]).unwrap(),
        Value::Bool(false)
    );
    assert_eq!(
        call("pg_table_is_visible", &[Value::Int8(4)]).unwrap(),
        Value::Bool(false)
    );
    assert_eq!(
        call("pg_get_userbyid", &[Value::Int8(10)]).unwrap(),
        text("driftdb")
    );
    assert_eq!(
        call("obj_description", &[Value::Int8(16384), text("pg_class")]).unwrap(),
        Value::Null
    );
}

#[test]
fn privileges_need_the_object() {
    assert_eq!(
        call("has_table_privilege", &[text("events"), text("SELECT")]).unwrap(),
        Value::Bool(true)
    );
    let e = call("has_table_privilege", &[text("nope"), text("SELECT")]).unwrap_err();
    assert_eq!(e.sqlstate(), SqlState::UNDEFINED_TABLE);
    assert_eq!(
        call("has_schema_privilege", &[text("public"), text("USAGE")]).unwrap(),
        Value::Bool(true)
    );
}

#[test]
fn json_build_object_quotes() {
    let v = call(
        "json_build_object",
        &[
            text("a"),
            Value::Int4(1),
            text("b\""),
            Value::Null,
            text("c"),
            Value::Bool(true),
        ],
    )
    .unwrap();
    assert_eq!(
        v,
        Value::Json(r#"{"a" : 1, "b\"" : null, "c" : true}"#.into())
    );
}
