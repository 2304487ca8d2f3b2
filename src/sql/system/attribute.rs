//! `pg_attribute`, `pg_attrdef` and `pg_type`: the columns of every relation,
//! the column defaults, and the types DriftDB has.

use super::v::{bool, i2, i4, null, oid, text};
use super::{
    CatalogSnapshot, DEFAULT_COLLATION_OID, OWNER_OID, PG_CATALOG_OID, SystemTable, attrdef_oid,
};
use crate::error::Result;
use crate::types::array::{array_oid_of, element_type};
use crate::types::{DataType as T, DataType, Row};

/// The system tables of this file.
pub static TABLES: &[SystemTable] = &[
    SystemTable {
        schema: "pg_catalog",
        name: "pg_attribute",
        oid: 1249,
        view: false,
        columns: &[
            ("attrelid", T::Oid),
            ("attname", T::Text),
            ("atttypid", T::Oid),
            ("attstattarget", T::Int4),
            ("attlen", T::Int2),
            ("attnum", T::Int2),
            ("attndims", T::Int4),
            ("attcacheoff", T::Int4),
            ("atttypmod", T::Int4),
            ("attbyval", T::Bool),
            ("attalign", T::Text),
            ("attstorage", T::Text),
            ("attcompression", T::Text),
            ("attnotnull", T::Bool),
            ("atthasdef", T::Bool),
            ("atthasmissing", T::Bool),
            ("attidentity", T::Text),
            ("attgenerated", T::Text),
            ("attisdropped", T::Bool),
            ("attislocal", T::Bool),
            ("attinhcount", T::Int4),
            ("attcollation", T::Oid),
        ],
        rows: attributes,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_attrdef",
        oid: 2604,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("adrelid", T::Oid),
            ("adnum", T::Int2),
            ("adbin", T::Text),
        ],
        rows: attrdefs,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_type",
        oid: 1247,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("typname", T::Text),
            ("typnamespace", T::Oid),
            ("typowner", T::Oid),
            ("typlen", T::Int2),
            ("typbyval", T::Bool),
            ("typtype", T::Text),
            ("typcategory", T::Text),
            ("typispreferred", T::Bool),
            ("typisdefined", T::Bool),
            ("typdelim", T::Text),
            ("typrelid", T::Oid),
            ("typelem", T::Oid),
            ("typarray", T::Oid),
            ("typalign", T::Text),
            ("typstorage", T::Text),
            ("typnotnull", T::Bool),
            ("typbasetype", T::Oid),
            ("typtypmod", T::Int4),
            ("typndims", T::Int4),
            ("typcollation", T::Oid),
            ("typdefault", T::Text),
        ],
        rows: types,
    },
];

const NUMERIC: DataType = DataType::Numeric {
    precision: None,
    scale: None,
};

/// The scalar types, with (typcategory, typispreferred).
pub const SCALAR_TYPES: &[(DataType, &str, bool)] = &[
    (T::Bool, "B", true),
    (T::Int8, "N", false),
    (T::Int2, "N", false),
    (T::Int4, "N", false),
    (T::Text, "S", true),
    (T::Oid, "N", true),
    (T::Json, "U", false),
    (T::Float4, "N", false),
    (T::Float8, "N", true),
    (T::Unknown, "X", false),
    (T::Char(None), "S", false),
    (T::Varchar(None), "S", false),
    (T::Date, "D", false),
    (T::Timestamp, "D", false),
    (T::Timestamptz, "D", true),
    (NUMERIC, "N", false),
    (T::RegClass, "N", false),
    (T::RegType, "N", false),
    (T::RegNamespace, "N", false),
];

/// The array types (by OID) `pg_type` lists.
const ARRAY_TYPES: &[u32] = &[
    22, 30, 1000, 1005, 1007, 1016, 1021, 1022, 1231, 1009, 1015, 1014, 1182, 1115, 1185, 199,
    1028, 2210, 2211,
];

/// True for types passed by value (`typbyval`).
fn byval(t: &DataType) -> bool {
    t.typlen() > 0 && t.typlen() <= 8
}

/// `typalign`: c(har), s(hort), i(nt) or d(ouble).
fn align(t: &DataType) -> &'static str {
    match t.typlen() {
        1 | -2 => "c",
        2 => "s",
        8 => "d",
        _ => "i",
    }
}

/// `typstorage`: p(lain) for fixed-length types, x (extended) otherwise.
fn storage(t: &DataType) -> &'static str {
    if t.typlen() == -1 { "x" } else { "p" }
}

/// The collation of a type: `default` for the string types.
fn collation(t: &DataType) -> u32 {
    match t {
        T::Text | T::Varchar(_) | T::Char(_) => DEFAULT_COLLATION_OID,
        _ => 0,
    }
}

fn types(_: &CatalogSnapshot) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (t, category, preferred) in SCALAR_TYPES {
        rows.push(type_row(
            t,
            category,
            *preferred,
            0,
            array_oid_of(t).unwrap_or(0),
        ));
    }
    for a in ARRAY_TYPES {
        let elem = element_type(*a).map_or(0, |e| e.oid());
        rows.push(type_row(&T::Array(*a), "A", false, elem, 0));
    }
    Ok(rows)
}

fn type_row(t: &DataType, category: &str, preferred: bool, elem: u32, array: u32) -> Row {
    vec![
        oid(t.oid()),
        text(t.typname()),
        oid(PG_CATALOG_OID),
        oid(OWNER_OID),
        i2(t.typlen()),
        bool(byval(t)),
        text(if *t == T::Unknown { "p" } else { "b" }),
        text(category),
        bool(preferred),
        bool(true),
        text(","),
        oid(0),
        oid(elem),
        oid(array),
        text(align(t)),
        text(storage(t)),
        bool(false),
        oid(0),
        i4(-1),
        i4(0),
        oid(collation(t)),
        null(),
    ]
}

/// One pg_attribute row.
fn attribute(
    rel: u32,
    name: &str,
    ty: &DataType,
    num: usize,
    not_null: bool,
    has_def: bool,
) -> Row {
    vec![
        oid(rel),
        text(name),
        oid(ty.oid()),
        i4(-1),
        i2(ty.typlen()),
        i2(i16::try_from(num).unwrap_or(i16::MAX)),
        i4(i32::from(matches!(ty, T::Array(_)))),
        i4(-1),
        i4(ty.typmod()),
        bool(byval(ty)),
        text(align(ty)),
        text(storage(ty)),
        text(""),
        bool(not_null),
        bool(has_def),
        bool(false),
        text(""),
        text(""),
        bool(false),
        bool(true),
        i4(0),
        oid(collation(ty)),
    ]
}

fn attributes(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for t in cat.tables()? {
        for (i, c) in t.schema.columns.iter().enumerate() {
            rows.push(attribute(
                t.oid(),
                &c.name,
                &c.ty,
                i + 1,
                !c.nullable,
                c.default.is_some(),
            ));
        }
    }
    for ix in super::index::all_indexes(cat)? {
        for (i, k) in ix.columns.iter().enumerate() {
            if let Some(c) = ix.table.schema.columns.get(*k) {
                rows.push(attribute(ix.oid, &c.name, &c.ty, i + 1, false, false));
            }
        }
    }
    for s in super::all() {
        for (i, (name, ty)) in s.columns.iter().enumerate() {
            rows.push(attribute(s.oid, name, ty, i + 1, false, false));
        }
    }
    Ok(rows)
}

fn attrdefs(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for t in cat.tables()? {
        for (i, c) in t.schema.columns.iter().enumerate() {
            if let Some(d) = &c.default {
                let num = i16::try_from(i + 1).unwrap_or(i16::MAX);
                rows.push(vec![
                    oid(attrdef_oid(t.oid(), num)),
                    oid(t.oid()),
                    i2(num),
                    text(d),
                ]);
            }
        }
    }
    Ok(rows)
}
