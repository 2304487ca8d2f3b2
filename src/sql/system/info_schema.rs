//! `information_schema.schemata`, `.tables` and `.columns`, over the same
//! snapshot as the `pg_catalog` tables: the user tables (schema `public`)
//! and the system tables. PostgreSQL's domains (`sql_identifier`,
//! `cardinal_number`, `yes_or_no`...) are reported as their base types,
//! text and integer.

use super::v::{i4, null, text};
use super::{CatalogSnapshot, SystemTable};
use crate::error::Result;
use crate::types::{DataType as T, DataType, Row, Value};

/// The system tables of this file.
pub static TABLES: &[SystemTable] = &[
    SystemTable {
        schema: "information_schema",
        name: "schemata",
        oid: 13001,
        view: true,
        columns: &[
            ("catalog_name", T::Text),
            ("schema_name", T::Text),
            ("schema_owner", T::Text),
            ("default_character_set_catalog", T::Text),
            ("default_character_set_schema", T::Text),
            ("default_character_set_name", T::Text),
            ("sql_path", T::Text),
        ],
        rows: schemata,
    },
    SystemTable {
        schema: "information_schema",
        name: "tables",
        oid: 13002,
        view: true,
        columns: &[
            ("table_catalog", T::Text),
            ("table_schema", T::Text),
            ("table_name", T::Text),
            ("table_type", T::Text),
            ("self_referencing_column_name", T::Text),
            ("reference_generation", T::Text),
            ("user_defined_type_catalog", T::Text),
            ("user_defined_type_schema", T::Text),
            ("user_defined_type_name", T::Text),
            ("is_insertable_into", T::Text),
            ("is_typed", T::Text),
            ("commit_action", T::Text),
        ],
        rows: tables,
    },
    SystemTable {
        schema: "information_schema",
        name: "columns",
        oid: 13003,
        view: true,
        columns: &[
            ("table_catalog", T::Text),
            ("table_schema", T::Text),
            ("table_name", T::Text),
            ("column_name", T::Text),
            ("ordinal_position", T::Int4),
            ("column_default", T::Text),
            ("is_nullable", T::Text),
            ("data_type", T::Text),
            ("character_maximum_length", T::Int4),
            ("character_octet_length", T::Int4),
            ("numeric_precision", T::Int4),
            ("numeric_precision_radix", T::Int4),
            ("numeric_scale", T::Int4),
            ("datetime_precision", T::Int4),
            ("udt_catalog", T::Text),
            ("udt_schema", T::Text),
            ("udt_name", T::Text),
            ("is_identity", T::Text),
            ("is_generated", T::Text),
            ("is_updatable", T::Text),
        ],
        rows: columns,
    },
];

fn schemata(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    Ok(super::NAMESPACES
        .iter()
        .map(|(_, name)| {
            vec![
                text(&cat.database),
                text(*name),
                text(&cat.user),
                null(),
                null(),
                null(),
                null(),
            ]
        })
        .collect())
}

fn table_row(cat: &CatalogSnapshot, schema: &str, name: &str, view: bool) -> Row {
    vec![
        text(&cat.database),
        text(schema),
        text(name),
        text(if view { "VIEW" } else { "BASE TABLE" }),
        null(),
        null(),
        null(),
        null(),
        null(),
        text(if view { "NO" } else { "YES" }),
        text("NO"),
        null(),
    ]
}

fn tables(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let mut rows: Vec<Row> = cat
        .tables()?
        .iter()
        .map(|t| table_row(cat, "public", t.name(), t.schema.view.is_some()))
        .collect();
    rows.extend(super::all().map(|s| table_row(cat, s.schema, s.name, s.view)));
    Ok(rows)
}

/// `data_type`: the SQL name of a column's type (`ARRAY` for arrays).
fn data_type(t: &DataType) -> String {
    match t {
        T::Array(_) => "ARRAY".into(),
        T::Varchar(_) => "character varying".into(),
        T::Char(_) => "character".into(),
        T::Numeric { .. } => "numeric".into(),
        t => t.format_type(),
    }
}

/// (character_maximum_length, character_octet_length, numeric_precision,
/// numeric_precision_radix, numeric_scale, datetime_precision).
fn type_facts(t: &DataType) -> [Value; 6] {
    let n = |v: i32| i4(v);
    let (len, octets) = match t {
        T::Varchar(Some(l)) | T::Char(Some(l)) => {
            let l = i32::try_from(*l).unwrap_or(i32::MAX);
            (n(l), n(l.saturating_mul(4)))
        }
        T::Varchar(None) | T::Char(None) | T::Text => (null(), n(1_073_741_824)),
        _ => (null(), null()),
    };
    let (precision, radix, scale) = match t {
        T::Int2 => (n(16), n(2), n(0)),
        T::Int4 => (n(32), n(2), n(0)),
        T::Int8 => (n(64), n(2), n(0)),
        T::Float4 => (n(24), n(2), null()),
        T::Float8 => (n(53), n(2), null()),
        T::Numeric { precision, scale } => (
            precision.map_or(null(), |p| n(p as i32)),
            n(10),
            scale.map_or(null(), |s| n(s as i32)),
        ),
        _ => (null(), null(), null()),
    };
    let datetime = match t {
        T::Date => n(0),
        T::Timestamp | T::Timestamptz => n(6),
        _ => null(),
    };
    [len, octets, precision, radix, scale, datetime]
}

struct Col<'a> {
    schema: &'a str,
    table: &'a str,
    name: &'a str,
    position: usize,
    default: Option<&'a str>,
    nullable: bool,
    ty: &'a DataType,
    updatable: bool,
}

fn column_row(cat: &CatalogSnapshot, c: Col<'_>) -> Row {
    let mut row = vec![
        text(&cat.database),
        text(c.schema),
        text(c.table),
        text(c.name),
        i4(i32::try_from(c.position).unwrap_or(i32::MAX)),
        c.default.map_or(null(), text),
        text(if c.nullable { "YES" } else { "NO" }),
        text(data_type(c.ty)),
    ];
    row.extend(type_facts(c.ty));
    row.extend([
        text(&cat.database),
        text("pg_catalog"),
        text(c.ty.typname()),
        text("NO"),
        text("NEVER"),
        text(if c.updatable { "YES" } else { "NO" }),
    ]);
    row
}

fn columns(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for t in cat.tables()? {
        for (i, c) in t.schema.columns.iter().enumerate() {
            rows.push(column_row(
                cat,
                Col {
                    schema: "public",
                    table: t.name(),
                    name: &c.name,
                    position: i + 1,
                    default: c.default.as_deref(),
                    nullable: c.nullable,
                    ty: &c.ty,
                    updatable: true,
                },
            ));
        }
    }
    for s in super::all() {
        for (i, (name, ty)) in s.columns.iter().enumerate() {
            rows.push(column_row(
                cat,
                Col {
                    schema: s.schema,
                    table: s.name,
                    name,
                    position: i + 1,
                    default: None,
                    nullable: true,
                    ty,
                    updatable: false,
                },
            ));
        }
    }
    Ok(rows)
}
