//! System catalog tests: every generator's rows fit its column list, the
//! rows describe the tables they are given, and OIDs never collide.

use std::collections::HashSet;
use std::sync::Arc;

use super::*;
use crate::types::Value;

use super::tests_support::table;

/// Table `a` (16384: key (id, k), index `a_k_idx` 16387) and table `b`
/// (16385: no key, UNIQUE constraint `b_x_key` 16386).
fn snapshot() -> Arc<CatalogSnapshot> {
    let mut b = table(16385, "b", vec![], &[("x", DataType::Int4)]);
    Arc::make_mut(&mut b.schema).unique_constraints = vec!["b_x_key".into()];
    let index = |id, table, name: &str, columns, unique| IndexMeta {
        id,
        table,
        name: name.into(),
        columns,
        unique,
    };
    CatalogSnapshot::of_tables(
        vec![
            b,
            table(
                16384,
                "a",
                vec![0, 1],
                &[("id", DataType::Int4), ("k", DataType::Text)],
            ),
        ],
        IndexSource::Listed(vec![
            index(16387, 16384, "a_k_idx", vec![1], false),
            index(16386, 16385, "b_x_key", vec![0], true),
            // An index of a table the snapshot does not have is not shown.
            index(16390, 16399, "gone_idx", vec![0], false),
        ]),
        "driftdb",
        "driftdb",
    )
}

fn rows(name: &str) -> Vec<Row> {
    (lookup(None, name).expect("system table").rows)(&snapshot()).unwrap()
}

#[test]
fn every_row_fits_its_columns() {
    let cat = snapshot();
    for t in all() {
        for row in (t.rows)(&cat).unwrap() {
            assert_eq!(row.len(), t.columns.len(), "{t:?}");
            for (v, (col, ty)) in row.iter().zip(t.columns) {
                let ok = match (v, ty) {
                    (Value::Null, _) => true,
                    (Value::Int8(_), DataType::Oid) => true,
                    (Value::Text(_), DataType::Text | DataType::Array(_)) => true,
                    (v, ty) => v.data_type() == *ty,
                };
                assert!(ok, "{t:?}.{col}: {v:?} is not {ty:?}");
            }
        }
    }
}

#[test]
fn pg_class_lists_tables_keys_and_catalogs() {
    let rels: Vec<(Value, Value)> = rows("pg_class")
        .into_iter()
        .map(|r| (r[1].clone(), r[16].clone()))
        .collect();
    let text = |s: &str| Value::Text(s.into());
    assert_eq!(rels[0], (text("a"), text("r")));
    assert_eq!(rels[1], (text("a_k_idx"), text("i")));
    assert_eq!(rels[2], (text("a_pkey"), text("i")));
    assert_eq!(rels[3], (text("b"), text("r")));
    assert_eq!(rels[4], (text("b_x_key"), text("i")));
    assert!(!rels.contains(&(text("gone_idx"), text("i"))));
    assert!(rels.contains(&(text("pg_class"), text("r"))));
    assert!(rels.contains(&(text("tables"), text("v"))));
    let b = rows("pg_class")
        .into_iter()
        .find(|r| r[1] == text("b"))
        .unwrap();
    assert_eq!(b[13], Value::Bool(true), "b has an index: relhasindex");
}

#[test]
fn oids_are_unique() {
    let mut seen = HashSet::new();
    for r in rows("pg_class") {
        assert!(seen.insert(r[0].clone()), "duplicate OID {:?}", r[0]);
    }
    for r in rows("pg_constraint") {
        assert!(seen.insert(r[0].clone()), "duplicate OID {:?}", r[0]);
    }
    let mut types = HashSet::new();
    for r in rows("pg_type") {
        assert!(types.insert(r[0].clone()), "duplicate type OID {:?}", r[0]);
    }
}

#[test]
fn keys_and_definitions() {
    let idx = rows("pg_index");
    assert_eq!(idx.len(), 3);
    assert_eq!(idx[0][15], Value::Text("1 2".into()));
    assert_eq!(idx[0][6], Value::Bool(true), "a_pkey is the primary key");
    assert_eq!(idx[1][0], Value::Int8(16387));
    assert_eq!(idx[1][4], Value::Bool(false), "a_k_idx is not unique");
    assert_eq!(idx[1][15], Value::Text("2".into()));
    assert_eq!(idx[2][4], Value::Bool(true), "b_x_key is unique");
    assert_eq!(idx[2][6], Value::Bool(false));
    let cons = rows("pg_constraint");
    assert_eq!(cons.len(), 2);
    assert_eq!(cons[1][1], Value::Text("b_x_key".into()));
    assert_eq!(cons[1][3], Value::Text("u".into()));
    assert_eq!(cons[1][9], Value::Int8(16386), "conindid");
    let cat = snapshot();
    let def = |oid| index::index_def(&index::index_by_oid(&cat, oid).unwrap().unwrap(), false);
    assert_eq!(
        def(pkey_index_oid(16384)),
        "CREATE UNIQUE INDEX a_pkey ON public.a USING btree (id, k)"
    );
    assert_eq!(
        def(16387),
        "CREATE INDEX a_k_idx ON public.a USING btree (k)"
    );
    assert_eq!(
        def(16386),
        "CREATE UNIQUE INDEX b_x_key ON public.b USING btree (x)"
    );
    let con = |oid| {
        index::constraint_by_oid(&cat, oid)
            .unwrap()
            .and_then(|ix| index::constraint_def(&ix))
    };
    assert_eq!(
        con(pkey_constraint_oid(16384)).as_deref(),
        Some("PRIMARY KEY (id, k)")
    );
    assert_eq!(
        con(unique_constraint_oid(16386)).as_deref(),
        Some("UNIQUE (x)")
    );
    assert_eq!(con(unique_constraint_oid(16387)), None, "a plain index");
    assert_eq!(
        cat.relation_by_name(None, "a_k_idx").unwrap(),
        Some((16387, "a_k_idx".into()))
    );
    assert_eq!(
        cat.relation_name(16386).unwrap().as_deref(),
        Some("b_x_key")
    );
    assert_eq!(index::quote_ident("user"), "\"user\"");
    assert_eq!(index::quote_ident("Mixed"), "\"Mixed\"");
    assert_eq!(
        cat.relation_by_name(None, "a_pkey").unwrap(),
        Some((pkey_index_oid(16384), "a_pkey".into()))
    );
    assert_eq!(
        cat.relation_by_name(Some("public"), "pg_class").unwrap(),
        None
    );
    assert_eq!(
        cat.relation_name(1259).unwrap().as_deref(),
        Some("pg_class")
    );
    assert_eq!(
        cat.relation_name(13002).unwrap().as_deref(),
        Some("information_schema.tables")
    );
}

#[test]
fn attributes_and_defaults() {
    let atts: Vec<Row> = rows("pg_attribute")
        .into_iter()
        .filter(|r| r[0] == Value::Int8(16384))
        .collect();
    assert_eq!(atts.len(), 2);
    assert_eq!(atts[1][1], Value::Text("k".into()));
    assert_eq!(atts[1][13], Value::Bool(true), "key columns are NOT NULL");
    assert_eq!(atts[1][14], Value::Bool(true), "k has a default");
    let defs = rows("pg_attrdef");
    assert_eq!(defs.len(), 1, "only a.k (column 2) has a default");
    assert_eq!(defs[0][0], Value::Int8(attrdef_oid(16384, 2) as i64));
    assert_eq!(defs[0][3], Value::Text("0".into()));
}
