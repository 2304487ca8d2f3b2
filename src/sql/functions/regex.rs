//! POSIX regular-expression match operators `~`, `~*`, `!~`, `!~*`
//! (PostgreSQL's `textregexeq` family), as psql's `\d name` patterns
//! (`^(events)$`) and catalog filters (`nspname !~ '^pg_toast'`) use them.
//!
//! Patterns are compiled with the `regex` crate, whose syntax covers the
//! common subset of PostgreSQL's advanced regular expressions (anchors,
//! classes, alternation, repetition, groups); back-references and
//! lookaround, which it lacks, are 2201B `invalid regular expression`.
//! A small per-thread cache keeps the last patterns compiled, since a
//! pattern is usually a constant applied to every row.

use std::cell::RefCell;

use regex::{Regex, RegexBuilder};

use super::scalar::{FnContext, ScalarFunction};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;
use crate::types::{DataType, Value};

const CACHE: usize = 8;

thread_local! {
    static COMPILED: RefCell<Vec<(String, bool, Regex)>> = const { RefCell::new(Vec::new()) };
}

/// `text ~ pattern` (case-insensitive with `icase`).
pub fn matches(text: &str, pattern: &str, icase: bool) -> Result<bool> {
    COMPILED.with(|c| {
        let mut cache = c.borrow_mut();
        if let Some((_, _, re)) = cache.iter().find(|(p, i, _)| p == pattern && *i == icase) {
            return Ok(re.is_match(text));
        }
        let re = RegexBuilder::new(pattern)
            .case_insensitive(icase)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                sql_err!(
                    SqlState::INVALID_REGULAR_EXPRESSION,
                    "invalid regular expression: {}",
                    first_line(&e.to_string())
                )
            })?;
        let found = re.is_match(text);
        if cache.len() == CACHE {
            cache.remove(0);
        }
        cache.push((pattern.to_string(), icase, re));
        Ok(found)
    })
}

fn first_line(s: &str) -> String {
    s.lines()
        .last()
        .unwrap_or(s)
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

fn text_arg(v: &Value) -> Result<&str> {
    match v {
        Value::Text(s) => Ok(s),
        other => Err(Error::Internal(format!("expected text, got {other:?}"))),
    }
}

fn r_text2(a: &[DataType]) -> Option<(Vec<DataType>, DataType)> {
    (a.len() == 2 && a.iter().all(DataType::is_string))
        .then(|| (vec![DataType::Text, DataType::Text], DataType::Bool))
}

macro_rules! regex_fn {
    ($name:literal, $fn:ident, $icase:literal, $negate:literal) => {
        fn $fn(a: &[Value], _: &FnContext) -> Result<Value> {
            Ok(Value::Bool(
                matches(text_arg(&a[0])?, text_arg(&a[1])?, $icase)? != $negate,
            ))
        }
    };
}

regex_fn!("textregexeq", f_eq, false, false);
regex_fn!("textregexne", f_ne, false, true);
regex_fn!("texticregexeq", f_ieq, true, false);
regex_fn!("texticregexne", f_ine, true, true);

const fn func(
    name: &'static str,
    eval: fn(&[Value], &FnContext) -> Result<Value>,
) -> ScalarFunction {
    ScalarFunction {
        name,
        resolve: r_text2,
        eval,
        strict: true,
        volatile: false,
    }
}

/// The match functions, by PostgreSQL's names.
pub static FUNCTIONS: &[ScalarFunction] = &[
    func("textregexeq", f_eq),
    func("textregexne", f_ne),
    func("texticregexeq", f_ieq),
    func("texticregexne", f_ine),
];

/// The function behind a match operator: `~`, `!~`, `~*`, `!~*`.
pub fn operator(case_insensitive: bool, negated: bool) -> &'static ScalarFunction {
    &FUNCTIONS[usize::from(case_insensitive) * 2 + usize::from(negated)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_patterns() {
        assert!(matches("events", "^(events)$", false).unwrap());
        assert!(!matches("events2", "^(events)$", false).unwrap());
        assert!(matches("pg_toast", "^pg_toast", false).unwrap());
        assert!(matches("EVENTS", "^events$", true).unwrap());
        assert!(!matches("public", "^pg_", false).unwrap());
        let e = matches("x", "(", false).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::INVALID_REGULAR_EXPRESSION);
        assert!(
            e.message().starts_with("invalid regular expression: "),
            "{}",
            e.message()
        );
    }

    #[test]
    fn operators_map_to_functions() {
        assert_eq!(operator(false, false).name, "textregexeq");
        assert_eq!(operator(false, true).name, "textregexne");
        assert_eq!(operator(true, false).name, "texticregexeq");
        assert_eq!(operator(true, true).name, "texticregexne");
    }
}
