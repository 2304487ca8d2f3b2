//! The database, the role, the default collation, and the catalogs of
//! things DriftDB does not have (comments, inheritance, row security
//! policies, extended statistics, publications, sequences, range types,
//! operator classes):
//! those exist, with PostgreSQL's columns, so that the clients' catalog
//! queries plan and run, and they have no rows.

use super::v::{bool, i4, null, oid, text};
use super::{
    CatalogSnapshot, DATABASE_OID, DEFAULT_COLLATION_OID, OWNER_OID, PG_CATALOG_OID, SystemTable,
};
use crate::error::Result;
use crate::types::{DataType as T, Row};

fn empty(_: &CatalogSnapshot) -> Result<Vec<Row>> {
    Ok(Vec::new())
}

/// The system tables of this file.
pub static TABLES: &[SystemTable] = &[
    SystemTable {
        schema: "pg_catalog",
        name: "pg_database",
        oid: 1262,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("datname", T::Text),
            ("datdba", T::Oid),
            ("encoding", T::Int4),
            ("datlocprovider", T::Text),
            ("datistemplate", T::Bool),
            ("datallowconn", T::Bool),
            ("datconnlimit", T::Int4),
            ("dattablespace", T::Oid),
            ("datcollate", T::Text),
            ("datctype", T::Text),
        ],
        rows: databases,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_roles",
        oid: 12001,
        view: true,
        columns: &[
            ("rolname", T::Text),
            ("rolsuper", T::Bool),
            ("rolinherit", T::Bool),
            ("rolcreaterole", T::Bool),
            ("rolcreatedb", T::Bool),
            ("rolcanlogin", T::Bool),
            ("rolreplication", T::Bool),
            ("rolconnlimit", T::Int4),
            ("rolpassword", T::Text),
            ("rolvaliduntil", T::Timestamptz),
            ("rolbypassrls", T::Bool),
            ("rolconfig", T::Array(1009)),
            ("oid", T::Oid),
        ],
        rows: roles,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_collation",
        oid: 3456,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("collname", T::Text),
            ("collnamespace", T::Oid),
            ("collowner", T::Oid),
            ("collprovider", T::Text),
            ("collisdeterministic", T::Bool),
            ("collencoding", T::Int4),
            ("collcollate", T::Text),
            ("collctype", T::Text),
        ],
        rows: collations,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_description",
        oid: 2609,
        view: false,
        columns: &[
            ("objoid", T::Oid),
            ("classoid", T::Oid),
            ("objsubid", T::Int4),
            ("description", T::Text),
        ],
        rows: empty,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_inherits",
        oid: 2611,
        view: false,
        columns: &[
            ("inhrelid", T::Oid),
            ("inhparent", T::Oid),
            ("inhseqno", T::Int4),
            ("inhdetachpending", T::Bool),
        ],
        rows: empty,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_policy",
        oid: 3256,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("polname", T::Text),
            ("polrelid", T::Oid),
            ("polcmd", T::Text),
            ("polpermissive", T::Bool),
            ("polroles", T::Array(1028)),
            ("polqual", T::Text),
            ("polwithcheck", T::Text),
        ],
        rows: empty,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_statistic_ext",
        oid: 3381,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("stxrelid", T::Oid),
            ("stxname", T::Text),
            ("stxnamespace", T::Oid),
            ("stxowner", T::Oid),
            ("stxstattarget", T::Int4),
            ("stxkeys", T::Array(22)),
            ("stxkind", T::Array(1009)),
        ],
        rows: empty,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_publication",
        oid: 6104,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("pubname", T::Text),
            ("pubowner", T::Oid),
            ("puballtables", T::Bool),
            ("pubinsert", T::Bool),
            ("pubupdate", T::Bool),
            ("pubdelete", T::Bool),
            ("pubtruncate", T::Bool),
            ("pubviaroot", T::Bool),
        ],
        rows: empty,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_publication_namespace",
        oid: 6237,
        view: false,
        columns: &[("oid", T::Oid), ("pnpubid", T::Oid), ("pnnspid", T::Oid)],
        rows: empty,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_publication_rel",
        oid: 6106,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("prpubid", T::Oid),
            ("prrelid", T::Oid),
            ("prqual", T::Text),
            ("prattrs", T::Array(22)),
        ],
        rows: empty,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_sequence",
        oid: 2224,
        view: false,
        columns: &[
            ("seqrelid", T::Oid),
            ("seqtypid", T::Oid),
            ("seqstart", T::Int8),
            ("seqincrement", T::Int8),
            ("seqmax", T::Int8),
            ("seqmin", T::Int8),
            ("seqcache", T::Int8),
            ("seqcycle", T::Bool),
        ],
        rows: empty,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_range",
        oid: 3541,
        view: false,
        columns: &[
            ("rngtypid", T::Oid),
            ("rngsubtype", T::Oid),
            ("rngmultitypid", T::Oid),
            ("rngcollation", T::Oid),
        ],
        rows: empty,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_opclass",
        oid: 2616,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("opcmethod", T::Oid),
            ("opcname", T::Text),
            ("opcnamespace", T::Oid),
            ("opcowner", T::Oid),
            ("opcfamily", T::Oid),
            ("opcintype", T::Oid),
            ("opcdefault", T::Bool),
            ("opckeytype", T::Oid),
        ],
        rows: empty,
    },
];

fn databases(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    Ok(vec![vec![
        oid(DATABASE_OID),
        text(&cat.database),
        oid(OWNER_OID),
        i4(6),
        text("c"),
        bool(false),
        bool(true),
        i4(-1),
        oid(0),
        text("C"),
        text("C"),
    ]])
}

fn roles(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let t = bool(true);
    Ok(vec![vec![
        text(&cat.user),
        t.clone(),
        t.clone(),
        t.clone(),
        t.clone(),
        t.clone(),
        bool(false),
        i4(-1),
        text("********"),
        null(),
        t,
        null(),
        oid(OWNER_OID),
    ]])
}

fn collations(_: &CatalogSnapshot) -> Result<Vec<Row>> {
    Ok(vec![vec![
        oid(DEFAULT_COLLATION_OID),
        text("default"),
        oid(PG_CATALOG_OID),
        oid(OWNER_OID),
        text("d"),
        bool(true),
        i4(-1),
        null(),
        null(),
    ]])
}
