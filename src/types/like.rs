//! `LIKE` / `ILIKE` pattern matching.
//!
//! `%` matches any run of characters, `_` exactly one, and the escape
//! character (default `\`) makes the next pattern character literal. The
//! pattern is compiled once into tokens, then matched with the classic
//! two-pointer backtracking over the last `%`, which is linear for patterns
//! with a single `%` and O(n·m) at worst, never exponential. Matching is by
//! character, not byte; ILIKE lowercases both sides first.

use crate::error::{Result, SqlState};
use crate::sql_err;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pat {
    Lit(char),
    One,
    Any,
}

fn compile(pattern: &[char], escape: char) -> Result<Vec<Pat>> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut it = pattern.iter();
    while let Some(&c) = it.next() {
        if c == escape {
            match it.next() {
                Some(&lit) => out.push(Pat::Lit(lit)),
                None => {
                    return Err(sql_err!(
                        SqlState::INVALID_ESCAPE_SEQUENCE,
                        "LIKE pattern must not end with escape character"
                    ));
                }
            }
        } else if c == '%' {
            if out.last() != Some(&Pat::Any) {
                out.push(Pat::Any);
            }
        } else if c == '_' {
            out.push(Pat::One);
        } else {
            out.push(Pat::Lit(c));
        }
    }
    Ok(out)
}

fn matches(s: &[char], p: &[Pat]) -> bool {
    let (mut si, mut pi) = (0, 0);
    // Where to resume after the last `%`: (pattern index after it, text index).
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Pat::Any) => {
                star = Some((pi + 1, si));
                pi += 1;
            }
            Some(Pat::One) => {
                si += 1;
                pi += 1;
            }
            Some(Pat::Lit(c)) if *c == s[si] => {
                si += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == Pat::Any)
}

/// `s LIKE pattern [ESCAPE escape]` (or ILIKE when `case_insensitive`).
/// `escape: None` means the default backslash. 22025 when the pattern ends
/// with the escape character.
pub fn like(s: &str, pattern: &str, escape: Option<char>, case_insensitive: bool) -> Result<bool> {
    let fold = |t: &str| -> Vec<char> {
        if case_insensitive {
            t.chars().flat_map(char::to_lowercase).collect()
        } else {
            t.chars().collect()
        }
    };
    let escape = escape.unwrap_or('\\');
    let pat = compile(&fold(pattern), escape)?;
    Ok(matches(&fold(s), &pat))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases checked against PostgreSQL 15.
    #[test]
    fn matches_postgres() {
        let t = |s: &str, p: &str| like(s, p, None, false).unwrap();
        assert!(t("abc", "a%"));
        assert!(t("a_c", "a\\_c"));
        assert!(!t("abc", "a\\_c"));
        assert!(like("ABC", "a%", None, true).unwrap());
        assert!(like("a%", "a#%", Some('#'), false).unwrap());
        assert!(t("", "%"));
        assert!(!t("", "_"));
        assert!(t("abc", "%b%"));
        assert!(t("abc", "a%c"));
        assert!(!t("abd", "a%c"));
        assert!(t("aXbXc", "%b%c"));
        assert!(t("mississippi", "%iss%ppi"));
        assert!(!t("mississippi", "%iss%ppa"));
        assert!(t("日本語", "_本_"));
        assert!(t("a\\b", "a\\\\b"));
        assert!(t("abc", "a\\bc"), "escaped ordinary char is literal");
        let e = like("abc", "ab\\", None, false).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::INVALID_ESCAPE_SEQUENCE);
        assert_eq!(
            e.message(),
            "LIKE pattern must not end with escape character"
        );
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let s = "a".repeat(5000);
        let p = "%a".repeat(50) + "b";
        assert!(!like(&s, &p, None, false).unwrap());
    }
}
