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

use std::sync::OnceLock;

use fxhash::FxHashMap;

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

/// Every keyword that is not a plain unreserved bare label, sorted by
/// word: its category and whether it may be a bare column label. From
/// PostgreSQL 15's `pg_get_keywords()` (catcodes R, C, T, and the
/// unreserved keywords with `barelabel = false`).
const KEYWORDS: &[(&str, Category, bool)] = &[
    ("all", Category::Reserved, true),
    ("analyse", Category::Reserved, true),
    ("analyze", Category::Reserved, true),
    ("and", Category::Reserved, true),
    ("any", Category::Reserved, true),
    ("array", Category::Reserved, false),
    ("as", Category::Reserved, false),
    ("asc", Category::Reserved, true),
    ("asymmetric", Category::Reserved, true),
    ("authorization", Category::TypeFunc, true),
    ("between", Category::ColName, true),
    ("bigint", Category::ColName, true),
    ("binary", Category::TypeFunc, true),
    ("bit", Category::ColName, true),
    ("boolean", Category::ColName, true),
    ("both", Category::Reserved, true),
    ("case", Category::Reserved, true),
    ("cast", Category::Reserved, true),
    ("char", Category::ColName, false),
    ("character", Category::ColName, false),
    ("check", Category::Reserved, true),
    ("coalesce", Category::ColName, true),
    ("collate", Category::Reserved, true),
    ("collation", Category::TypeFunc, true),
    ("column", Category::Reserved, true),
    ("concurrently", Category::TypeFunc, true),
    ("constraint", Category::Reserved, true),
    ("create", Category::Reserved, false),
    ("cross", Category::TypeFunc, true),
    ("current_catalog", Category::Reserved, true),
    ("current_date", Category::Reserved, true),
    ("current_role", Category::Reserved, true),
    ("current_schema", Category::TypeFunc, true),
    ("current_time", Category::Reserved, true),
    ("current_timestamp", Category::Reserved, true),
    ("current_user", Category::Reserved, true),
    ("day", Category::Unreserved, false),
    ("dec", Category::ColName, true),
    ("decimal", Category::ColName, true),
    ("default", Category::Reserved, true),
    ("deferrable", Category::Reserved, true),
    ("desc", Category::Reserved, true),
    ("distinct", Category::Reserved, true),
    ("do", Category::Reserved, true),
    ("else", Category::Reserved, true),
    ("end", Category::Reserved, true),
    ("except", Category::Reserved, false),
    ("exists", Category::ColName, true),
    ("extract", Category::ColName, true),
    ("false", Category::Reserved, true),
    ("fetch", Category::Reserved, false),
    ("filter", Category::Unreserved, false),
    ("float", Category::ColName, true),
    ("for", Category::Reserved, false),
    ("foreign", Category::Reserved, true),
    ("freeze", Category::TypeFunc, true),
    ("from", Category::Reserved, false),
    ("full", Category::TypeFunc, true),
    ("grant", Category::Reserved, false),
    ("greatest", Category::ColName, true),
    ("group", Category::Reserved, false),
    ("grouping", Category::ColName, true),
    ("having", Category::Reserved, false),
    ("hour", Category::Unreserved, false),
    ("ilike", Category::TypeFunc, true),
    ("in", Category::Reserved, true),
    ("initially", Category::Reserved, true),
    ("inner", Category::TypeFunc, true),
    ("inout", Category::ColName, true),
    ("int", Category::ColName, true),
    ("integer", Category::ColName, true),
    ("intersect", Category::Reserved, false),
    ("interval", Category::ColName, true),
    ("into", Category::Reserved, false),
    ("is", Category::TypeFunc, true),
    ("isnull", Category::TypeFunc, false),
    ("join", Category::TypeFunc, true),
    ("lateral", Category::Reserved, true),
    ("leading", Category::Reserved, true),
    ("least", Category::ColName, true),
    ("left", Category::TypeFunc, true),
    ("like", Category::TypeFunc, true),
    ("limit", Category::Reserved, false),
    ("localtime", Category::Reserved, true),
    ("localtimestamp", Category::Reserved, true),
    ("minute", Category::Unreserved, false),
    ("month", Category::Unreserved, false),
    ("national", Category::ColName, true),
    ("natural", Category::TypeFunc, true),
    ("nchar", Category::ColName, true),
    ("none", Category::ColName, true),
    ("normalize", Category::ColName, true),
    ("not", Category::Reserved, true),
    ("notnull", Category::TypeFunc, false),
    ("null", Category::Reserved, true),
    ("nullif", Category::ColName, true),
    ("numeric", Category::ColName, true),
    ("offset", Category::Reserved, false),
    ("on", Category::Reserved, false),
    ("only", Category::Reserved, true),
    ("or", Category::Reserved, true),
    ("order", Category::Reserved, false),
    ("out", Category::ColName, true),
    ("outer", Category::TypeFunc, true),
    ("over", Category::Unreserved, false),
    ("overlaps", Category::TypeFunc, false),
    ("overlay", Category::ColName, true),
    ("placing", Category::Reserved, true),
    ("position", Category::ColName, true),
    ("precision", Category::ColName, false),
    ("primary", Category::Reserved, true),
    ("real", Category::ColName, true),
    ("references", Category::Reserved, true),
    ("returning", Category::Reserved, false),
    ("right", Category::TypeFunc, true),
    ("row", Category::ColName, true),
    ("second", Category::Unreserved, false),
    ("select", Category::Reserved, true),
    ("session_user", Category::Reserved, true),
    ("setof", Category::ColName, true),
    ("similar", Category::TypeFunc, true),
    ("smallint", Category::ColName, true),
    ("some", Category::Reserved, true),
    ("substring", Category::ColName, true),
    ("symmetric", Category::Reserved, true),
    ("table", Category::Reserved, true),
    ("tablesample", Category::TypeFunc, true),
    ("then", Category::Reserved, true),
    ("time", Category::ColName, true),
    ("timestamp", Category::ColName, true),
    ("to", Category::Reserved, false),
    ("trailing", Category::Reserved, true),
    ("treat", Category::ColName, true),
    ("trim", Category::ColName, true),
    ("true", Category::Reserved, true),
    ("union", Category::Reserved, false),
    ("unique", Category::Reserved, true),
    ("user", Category::Reserved, true),
    ("using", Category::Reserved, true),
    ("values", Category::ColName, true),
    ("varchar", Category::ColName, true),
    ("variadic", Category::Reserved, true),
    ("varying", Category::Unreserved, false),
    ("verbose", Category::TypeFunc, true),
    ("when", Category::Reserved, true),
    ("where", Category::Reserved, false),
    ("window", Category::Reserved, false),
    ("with", Category::Reserved, false),
    ("within", Category::Unreserved, false),
    ("without", Category::Unreserved, false),
    ("xmlattributes", Category::ColName, true),
    ("xmlconcat", Category::ColName, true),
    ("xmlelement", Category::ColName, true),
    ("xmlexists", Category::ColName, true),
    ("xmlforest", Category::ColName, true),
    ("xmlnamespaces", Category::ColName, true),
    ("xmlparse", Category::ColName, true),
    ("xmlpi", Category::ColName, true),
    ("xmlroot", Category::ColName, true),
    ("xmlserialize", Category::ColName, true),
    ("xmltable", Category::ColName, true),
    ("year", Category::Unreserved, false),
];

/// The category of an (already lower-cased) unquoted word, and whether it
/// may be a column alias without `AS`. Called once per word by the lexer.
pub(super) fn lookup(word: &str) -> (Category, bool) {
    // Keywords are 2..=17 bytes; most identifiers can be ruled out by length.
    if !(2..=17).contains(&word.len()) {
        return (Category::Unreserved, true);
    }
    static TABLE: OnceLock<FxHashMap<&'static str, (Category, bool)>> = OnceLock::new();
    let table = TABLE.get_or_init(|| KEYWORDS.iter().map(|&(k, c, b)| (k, (c, b))).collect());
    table
        .get(word)
        .copied()
        .unwrap_or((Category::Unreserved, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_complete() {
        assert!(KEYWORDS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            KEYWORDS
                .iter()
                .all(|k| (2..=17).contains(&k.0.len()) && lookup(k.0) == (k.1, k.2))
        );
        let count = |c| KEYWORDS.iter().filter(|k| k.1 == c).count();
        // PostgreSQL 15: 77 reserved, 51 column-name, 23 type/function-name keywords.
        assert_eq!(
            (
                count(Category::Reserved),
                count(Category::ColName),
                count(Category::TypeFunc)
            ),
            (77, 51, 23)
        );
        assert_eq!(KEYWORDS.iter().filter(|k| !k.2).count(), 39);
    }

    fn category(w: &str) -> Category {
        lookup(w).0
    }

    fn is_bare_label(w: &str) -> bool {
        lookup(w).1
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
