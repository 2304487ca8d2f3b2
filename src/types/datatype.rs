//! SQL data types: what a column or expression holds, with the PostgreSQL
//! facts the wire protocol and the catalog need (type OID, length, typmod,
//! `format_type` spelling).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, SqlState};

/// A SQL data type. Varchar and char lengths and numeric precision/scale are
/// part of the type (PostgreSQL's typmod).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataType {
    /// `boolean`
    Bool,
    /// `smallint`
    Int2,
    /// `integer`
    Int4,
    /// `bigint`
    Int8,
    /// `real`
    Float4,
    /// `double precision`
    Float8,
    /// `numeric(p, s)`; both `None` for unconstrained `numeric`.
    Numeric {
        /// Total significant digits, 1..=1000 in PostgreSQL (we support up to 38).
        precision: Option<u16>,
        /// Digits after the decimal point.
        scale: Option<u16>,
    },
    /// `text`
    Text,
    /// `character varying(n)`
    Varchar(Option<u32>),
    /// `character(n)` (bpchar); blank-padded to n.
    Char(Option<u32>),
    /// `date`
    Date,
    /// `timestamp without time zone`
    Timestamp,
    /// `timestamp with time zone`
    Timestamptz,
    /// `json` (stored as text, validated on input)
    Json,
    /// `oid`: an object identifier (unsigned 32 bits), held as `Value::Int8`.
    /// Only the system catalogs produce it.
    Oid,
    /// `regclass`: a relation OID that reads and prints as the relation's
    /// name. Held as `Value::Text` (the name): conversions to and from
    /// `oid` look the name up in the catalog (`sql::functions::catalog`).
    RegClass,
    /// `regtype`: a type OID that reads and prints as the type's name; held
    /// as `Value::Text` like [`DataType::RegClass`].
    RegType,
    /// `regnamespace`: a schema OID that reads and prints as its name; held
    /// as `Value::Text` like [`DataType::RegClass`].
    RegNamespace,
    /// A one-dimensional array; the number is the array type's OID (1007
    /// `integer[]`, 22 `int2vector`...). Held as `Value::Text` in its text
    /// form; see [`super::array`].
    Array(u32),
    /// The type of an untyped literal (`'abc'`, `NULL`) before it is resolved
    /// from context; PostgreSQL's `unknown` (OID 705).
    Unknown,
}

impl DataType {
    /// The PostgreSQL type OID.
    pub fn oid(&self) -> u32 {
        match self {
            DataType::Bool => 16,
            DataType::Int8 => 20,
            DataType::Int2 => 21,
            DataType::Int4 => 23,
            DataType::Text => 25,
            DataType::Json => 114,
            DataType::Float4 => 700,
            DataType::Float8 => 701,
            DataType::Unknown => 705,
            DataType::Char(_) => 1042,
            DataType::Varchar(_) => 1043,
            DataType::Date => 1082,
            DataType::Timestamp => 1114,
            DataType::Timestamptz => 1184,
            DataType::Numeric { .. } => 1700,
            DataType::Oid => 26,
            DataType::RegClass => 2205,
            DataType::RegType => 2206,
            DataType::RegNamespace => 4089,
            DataType::Array(oid) => *oid,
        }
    }

    /// The type for a PostgreSQL type OID, if we support it (typmod unknown).
    pub fn from_oid(oid: u32) -> Option<DataType> {
        Some(match oid {
            16 => DataType::Bool,
            20 => DataType::Int8,
            21 => DataType::Int2,
            23 => DataType::Int4,
            25 => DataType::Text,
            114 => DataType::Json,
            700 => DataType::Float4,
            701 => DataType::Float8,
            705 => DataType::Unknown,
            1042 => DataType::Char(None),
            1043 => DataType::Varchar(None),
            1082 => DataType::Date,
            1114 => DataType::Timestamp,
            1184 => DataType::Timestamptz,
            1700 => DataType::Numeric {
                precision: None,
                scale: None,
            },
            26 => DataType::Oid,
            2205 => DataType::RegClass,
            2206 => DataType::RegType,
            4089 => DataType::RegNamespace,
            oid if super::array::is_array_oid(oid) => DataType::Array(oid),
            _ => return None,
        })
    }

    /// `typlen` as in pg_type: fixed size in bytes, or -1 for variable length.
    pub fn typlen(&self) -> i16 {
        match self {
            DataType::Bool => 1,
            DataType::Int2 => 2,
            DataType::Int4 | DataType::Float4 | DataType::Date => 4,
            DataType::Oid | DataType::RegClass | DataType::RegType | DataType::RegNamespace => 4,
            DataType::Int8 | DataType::Float8 | DataType::Timestamp | DataType::Timestamptz => 8,
            DataType::Unknown => -2,
            _ => -1,
        }
    }

    /// `atttypmod` as PostgreSQL reports it in RowDescription: -1 when absent;
    /// n + 4 for varchar(n)/char(n); ((p << 16) | s) + 4 for numeric(p, s).
    pub fn typmod(&self) -> i32 {
        match self {
            DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => *n as i32 + 4,
            DataType::Numeric {
                precision: Some(p),
                scale,
            } => (((*p as i32) << 16) | scale.unwrap_or(0) as i32) + 4,
            _ => -1,
        }
    }

    /// The name as `pg_catalog.format_type(oid, typmod)` prints it.
    pub fn format_type(&self) -> String {
        match self {
            DataType::Bool => "boolean".into(),
            DataType::Int2 => "smallint".into(),
            DataType::Int4 => "integer".into(),
            DataType::Int8 => "bigint".into(),
            DataType::Float4 => "real".into(),
            DataType::Float8 => "double precision".into(),
            DataType::Numeric {
                precision: Some(p),
                scale,
            } => format!("numeric({},{})", p, scale.unwrap_or(0)),
            DataType::Numeric { .. } => "numeric".into(),
            DataType::Text => "text".into(),
            DataType::Varchar(Some(n)) => format!("character varying({n})"),
            DataType::Varchar(None) => "character varying".into(),
            DataType::Char(Some(n)) => format!("character({n})"),
            DataType::Char(None) => "bpchar".into(),
            DataType::Date => "date".into(),
            DataType::Timestamp => "timestamp without time zone".into(),
            DataType::Timestamptz => "timestamp with time zone".into(),
            DataType::Json => "json".into(),
            DataType::Unknown => "unknown".into(),
            DataType::Oid => "oid".into(),
            DataType::RegClass => "regclass".into(),
            DataType::RegType => "regtype".into(),
            DataType::RegNamespace => "regnamespace".into(),
            DataType::Array(22) => "int2vector".into(),
            DataType::Array(30) => "oidvector".into(),
            DataType::Array(oid) => match super::array::element_type(*oid) {
                Some(e) => format!("{}[]", e.format_type()),
                None => "anyarray".into(),
            },
        }
    }

    /// The short internal name (`pg_type.typname`): int4, varchar, timestamptz...
    pub fn typname(&self) -> &'static str {
        match self {
            DataType::Bool => "bool",
            DataType::Int2 => "int2",
            DataType::Int4 => "int4",
            DataType::Int8 => "int8",
            DataType::Float4 => "float4",
            DataType::Float8 => "float8",
            DataType::Numeric { .. } => "numeric",
            DataType::Text => "text",
            DataType::Varchar(_) => "varchar",
            DataType::Char(_) => "bpchar",
            DataType::Date => "date",
            DataType::Timestamp => "timestamp",
            DataType::Timestamptz => "timestamptz",
            DataType::Json => "json",
            DataType::Unknown => "unknown",
            DataType::Oid => "oid",
            DataType::RegClass => "regclass",
            DataType::RegType => "regtype",
            DataType::RegNamespace => "regnamespace",
            DataType::Array(oid) => array_typname(*oid),
        }
    }

    /// Resolves a type name as the parser produced it (lower-case words joined
    /// by single spaces, e.g. `"double precision"`, `"timestamp with time zone"`,
    /// `"int4"`, `"varchar"`) and its modifiers (`varchar(10)` → `[10]`).
    /// Unknown names are 42704 `type "x" does not exist`.
    pub fn from_name(name: &str, modifiers: &[i64]) -> Result<DataType> {
        let len = |mods: &[i64]| -> Result<Option<u32>> {
            match mods {
                [] => Ok(None),
                [n] if *n >= 1 && *n <= 10_485_760 => Ok(Some(*n as u32)),
                [_] => Err(Error::sql(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("length for type {name} must be at least 1"),
                )),
                _ => Err(Error::sql(
                    SqlState::SYNTAX_ERROR,
                    format!("invalid type modifier for type {name}"),
                )),
            }
        };
        let no_mods = |t: DataType| -> Result<DataType> {
            if modifiers.is_empty() {
                Ok(t)
            } else {
                Err(Error::sql(
                    SqlState::SYNTAX_ERROR,
                    format!("type modifier is not allowed for type \"{name}\""),
                ))
            }
        };
        match name {
            "bool" | "boolean" => no_mods(DataType::Bool),
            "int2" | "smallint" => no_mods(DataType::Int2),
            "int" | "int4" | "integer" => no_mods(DataType::Int4),
            "int8" | "bigint" => no_mods(DataType::Int8),
            "float4" | "real" => no_mods(DataType::Float4),
            "float8" | "double precision" => no_mods(DataType::Float8),
            "float" => match modifiers {
                [] => Ok(DataType::Float8),
                [p] if (1..=24).contains(p) => Ok(DataType::Float4),
                [p] if (25..=53).contains(p) => Ok(DataType::Float8),
                _ => Err(Error::sql(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "precision for type float must be between 1 and 53 bits",
                )),
            },
            "numeric" | "decimal" | "dec" => match modifiers {
                [] => Ok(DataType::Numeric {
                    precision: None,
                    scale: None,
                }),
                [p] | [p, _] if !(1..=38).contains(p) => Err(Error::sql(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("NUMERIC precision {p} must be between 1 and 38"),
                )),
                [p] => Ok(DataType::Numeric {
                    precision: Some(*p as u16),
                    scale: Some(0),
                }),
                [p, s] if *s >= 0 && s <= p => Ok(DataType::Numeric {
                    precision: Some(*p as u16),
                    scale: Some(*s as u16),
                }),
                [p, s] => Err(Error::sql(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("NUMERIC scale {s} must be between 0 and precision {p}"),
                )),
                _ => Err(Error::sql(
                    SqlState::SYNTAX_ERROR,
                    "invalid NUMERIC type modifier",
                )),
            },
            "text" => no_mods(DataType::Text),
            "varchar" | "character varying" | "char varying" => {
                Ok(DataType::Varchar(len(modifiers)?))
            }
            "char" | "character" | "bpchar" => {
                // char without a length means char(1), as in PostgreSQL; bpchar means unbounded.
                let n = len(modifiers)?;
                Ok(DataType::Char(if name == "bpchar" {
                    n
                } else {
                    n.or(Some(1))
                }))
            }
            "date" => no_mods(DataType::Date),
            "timestamp" | "timestamp without time zone" => Ok(DataType::Timestamp),
            "timestamptz" | "timestamp with time zone" => Ok(DataType::Timestamptz),
            "json" => no_mods(DataType::Json),
            "unknown" => no_mods(DataType::Unknown),
            "oid" => no_mods(DataType::Oid),
            "regclass" => no_mods(DataType::RegClass),
            "regtype" => no_mods(DataType::RegType),
            "regnamespace" => no_mods(DataType::RegNamespace),
            "int2vector" => no_mods(DataType::Array(22)),
            "oidvector" => no_mods(DataType::Array(30)),
            _ => Err(Error::sql(
                SqlState::UNDEFINED_OBJECT,
                format!("type \"{name}\" does not exist"),
            )),
        }
    }

    /// The array type whose elements are of this type (`integer[]` for
    /// `integer`); 42704 when there is none.
    pub fn array_of(&self) -> Result<DataType> {
        super::array::array_oid_of(self)
            .map(DataType::Array)
            .ok_or_else(|| {
                Error::sql(
                    SqlState::UNDEFINED_OBJECT,
                    format!(
                        "could not find array type for data type {}",
                        self.format_type()
                    ),
                )
            })
    }

    /// The element type of an array type.
    pub fn element(&self) -> Option<DataType> {
        match self {
            DataType::Array(oid) => super::array::element_type(*oid),
            _ => None,
        }
    }

    /// True for regclass/regtype/regnamespace (held by name).
    pub fn is_reg(&self) -> bool {
        matches!(
            self,
            DataType::RegClass | DataType::RegType | DataType::RegNamespace
        )
    }

    /// True for int2/int4/int8.
    pub fn is_integer(&self) -> bool {
        matches!(self, DataType::Int2 | DataType::Int4 | DataType::Int8)
    }

    /// True for the numeric category (integers, numeric, floats).
    pub fn is_numeric(&self) -> bool {
        self.is_integer()
            || matches!(
                self,
                DataType::Numeric { .. } | DataType::Float4 | DataType::Float8
            )
    }

    /// True for the string category (text, varchar, char, unknown).
    pub fn is_string(&self) -> bool {
        matches!(
            self,
            DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Unknown
        )
    }
}

/// `pg_type.typname` of an array type: the element's name with a leading
/// underscore (`_int4`), or the vector type's own name.
fn array_typname(oid: u32) -> &'static str {
    match oid {
        22 => "int2vector",
        30 => "oidvector",
        1000 => "_bool",
        1005 => "_int2",
        1007 => "_int4",
        1016 => "_int8",
        1021 => "_float4",
        1022 => "_float8",
        1231 => "_numeric",
        1009 => "_text",
        1015 => "_varchar",
        1014 => "_bpchar",
        1182 => "_date",
        1115 => "_timestamp",
        1185 => "_timestamptz",
        199 => "_json",
        1028 => "_oid",
        2210 => "_regclass",
        2211 => "_regtype",
        _ => "anyarray",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve() {
        assert_eq!(DataType::from_name("integer", &[]).unwrap(), DataType::Int4);
        assert_eq!(
            DataType::from_name("varchar", &[10]).unwrap(),
            DataType::Varchar(Some(10))
        );
        assert_eq!(
            DataType::from_name("character", &[]).unwrap(),
            DataType::Char(Some(1))
        );
        assert_eq!(
            DataType::from_name("numeric", &[12, 2])
                .unwrap()
                .format_type(),
            "numeric(12,2)"
        );
        assert_eq!(
            DataType::from_name("nope", &[]).unwrap_err().sqlstate(),
            SqlState::UNDEFINED_OBJECT
        );
    }

    #[test]
    fn typmods_match_postgres() {
        assert_eq!(DataType::Varchar(Some(100)).typmod(), 104);
        let n = DataType::Numeric {
            precision: Some(12),
            scale: Some(2),
        };
        assert_eq!(n.typmod(), (12 << 16 | 2) + 4);
        assert_eq!(DataType::Int4.typmod(), -1);
    }
}
