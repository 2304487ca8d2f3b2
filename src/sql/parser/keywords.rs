//! PostgreSQL 15's keyword categories, which decide where a word may serve as
//! a name.
//!
//! PostgreSQL sorts its keywords into four categories (`pg_get_keywords()`):
//!
//! | category            | column / table name | function / type name | examples             |
//! |---------------------|---------------------|----------------------|----------------------|
//! | unreserved          | yes                 | yes                  | `data`, `key`, `begin` |
//! | column-name         | yes                 | no (special syntax)  | `int`, `timestamp`, `values` |
//! | type/function-name  | no                  | yes                  | `left`, `join`, `is` |
//! | reserved            | no (only after AS or `.`) | no             | `select`, `from`, `table` |
//!
//! Unreserved keywords behave exactly like identifiers, so this module only
//! lists the other three categories; any other word is an identifier to the
//! parser, which matches unreserved keywords by their text where the grammar
//! needs them (`BEGIN`, `ISOLATION`, `NULLS`...).
//!
//! A separate flag says whether a keyword may be a column alias without `AS`
//! (a "bare label"); PostgreSQL 15 refuses a short list of words there because
//! they could continue the expression (`SELECT 1 year` is an error).

/// Where a word may be used as a name; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Category {
    /// An identifier or an unreserved keyword: usable anywhere as a name.
    Unreserved,
    /// A column-name keyword (`int`, `values`, `between`...).
    ColName,
    /// A type/function-name keyword (`left`, `join`, `like`...).
    TypeFunc,
    /// A reserved keyword (`select`, `from`, `table`...).
    Reserved,
}

/// Reserved keywords (PostgreSQL 15 catcode `R`), sorted.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// Column-name keywords (catcode `C`), sorted.
const COL_NAME: &[&str] = &[
    "between",
    "bigint",
    "bit",
    "boolean",
    "char",
    "character",
    "coalesce",
    "dec",
    "decimal",
    "exists",
    "extract",
    "float",
    "greatest",
    "grouping",
    "inout",
    "int",
    "integer",
    "interval",
    "least",
    "national",
    "nchar",
    "none",
    "normalize",
    "nullif",
    "numeric",
    "out",
    "overlay",
    "position",
    "precision",
    "real",
    "row",
    "setof",
    "smallint",
    "substring",
    "time",
    "timestamp",
    "treat",
    "trim",
    "values",
    "varchar",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// Type/function-name keywords (catcode `T`), sorted.
const TYPE_FUNC: &[&str] = &[
    "authorization",
    "binary",
    "collation",
    "concurrently",
    "cross",
    "current_schema",
    "freeze",
    "full",
    "ilike",
    "inner",
    "is",
    "isnull",
    "join",
    "left",
    "like",
    "natural",
    "notnull",
    "outer",
    "overlaps",
    "right",
    "similar",
    "tablesample",
    "verbose",
];

/// Keywords that are not bare labels (PostgreSQL 15 `barelabel = false`),
/// sorted: they need `AS` to be a column alias.
const AS_LABEL_ONLY: &[&str] = &[
    "array",
    "as",
    "char",
    "character",
    "create",
    "day",
    "except",
    "fetch",
    "filter",
    "for",
    "from",
    "grant",
    "group",
    "having",
    "hour",
    "intersect",
    "into",
    "isnull",
    "limit",
    "minute",
    "month",
    "notnull",
    "offset",
    "on",
    "order",
    "over",
    "overlaps",
    "precision",
    "returning",
    "second",
    "to",
    "union",
    "varying",
    "where",
    "window",
    "with",
    "within",
    "without",
    "year",
];

/// The category of an (already lower-cased) unquoted word.
pub(super) fn category(word: &str) -> Category {
    if RESERVED.binary_search(&word).is_ok() {
        Category::Reserved
    } else if COL_NAME.binary_search(&word).is_ok() {
        Category::ColName
    } else if TYPE_FUNC.binary_search(&word).is_ok() {
        Category::TypeFunc
    } else {
        Category::Unreserved
    }
}

/// True when the unquoted word may be a column alias without `AS`.
pub(super) fn is_bare_label(word: &str) -> bool {
    AS_LABEL_ONLY.binary_search(&word).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_for_binary_search() {
        for list in [RESERVED, COL_NAME, TYPE_FUNC, AS_LABEL_ONLY] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    #[test]
    fn categories_follow_postgres() {
        assert_eq!(category("select"), Category::Reserved);
        assert_eq!(category("timestamp"), Category::ColName);
        assert_eq!(category("left"), Category::TypeFunc);
        assert_eq!(category("data"), Category::Unreserved);
        assert_eq!(category("orders"), Category::Unreserved);
        assert!(is_bare_label("data"));
        assert!(is_bare_label("and"));
        assert!(!is_bare_label("year"));
        assert!(!is_bare_label("from"));
    }
}
