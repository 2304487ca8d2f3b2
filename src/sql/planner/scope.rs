//! Name resolution: the columns visible at a point of a query.
//!
//! A [`Scope`] lists the columns a FROM clause produces, in row order, with
//! the table alias that qualifies each. Subqueries see their enclosing
//! queries' scopes through a [`ScopeChain`]; a name found `depth` levels up
//! becomes an outer reference.

use crate::error::{Error, Result, SqlState};
use crate::sql_err;
use crate::types::DataType;

/// One column visible in a scope.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeColumn {
    /// The table alias (or table name) that qualifies it, if any.
    pub qualifier: Option<std::rc::Rc<str>>,
    /// Column name.
    pub name: String,
    /// Type.
    pub ty: DataType,
    /// Not part of `*` (system-time pseudo-columns).
    pub hidden: bool,
    /// Not found by an unqualified name and not part of `*` (the right-hand
    /// copy of a JOIN ... USING column).
    pub merged: bool,
    /// Source table OID for RowDescription (0 if computed).
    pub table_oid: u32,
    /// Source column number (1-based; 0 if computed).
    pub column_id: i16,
    /// The scan that produces this column, for pseudo-columns.
    pub scan_id: Option<usize>,
}

/// The columns of one query level, in row order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// Columns, in the order of the row the FROM clause produces.
    pub columns: Vec<ScopeColumn>,
}

/// Where a name resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Query levels up (0 = this query).
    pub depth: usize,
    /// Position in that level's row.
    pub index: usize,
    /// The column.
    pub column: ScopeColumn,
}

impl Scope {
    /// Appends another scope's columns (for joins).
    pub fn extend(&mut self, other: Scope) {
        self.columns.extend(other.columns);
    }

    /// True if some column is qualified by `q`.
    pub fn has_qualifier(&self, q: &str) -> bool {
        self.columns
            .iter()
            .any(|c| c.qualifier.as_deref() == Some(q))
    }

    /// Finds a column in this scope only. `Ok(None)` when absent;
    /// 42702 when an unqualified name matches columns of several tables.
    pub fn find(&self, qualifier: Option<&str>, name: &str) -> Result<Option<usize>> {
        let mut found = None;
        for (i, c) in self.columns.iter().enumerate() {
            let matches = c.name == name
                && match qualifier {
                    Some(q) => c.qualifier.as_deref() == Some(q),
                    None => !c.merged,
                };
            if matches {
                if found.is_some() {
                    return Err(sql_err!(
                        SqlState::AMBIGUOUS_COLUMN,
                        "column reference \"{}\" is ambiguous",
                        name
                    ));
                }
                found = Some(i);
            }
        }
        Ok(found)
    }

    /// The indexes of the columns `*` (or `q.*`) expands to.
    pub fn star(&self, qualifier: Option<&str>) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.hidden)
            .filter(|(_, c)| match qualifier {
                Some(q) => c.qualifier.as_deref() == Some(q),
                None => !c.merged,
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// A scope and the scopes of its enclosing queries.
#[derive(Debug, Clone, Copy)]
pub struct ScopeChain<'a> {
    /// The innermost scope.
    pub scope: &'a Scope,
    /// The enclosing query's chain.
    pub parent: Option<&'a ScopeChain<'a>>,
}

impl<'a> ScopeChain<'a> {
    /// A chain of one scope.
    pub fn root(scope: &'a Scope) -> ScopeChain<'a> {
        ScopeChain {
            scope,
            parent: None,
        }
    }

    /// A chain with `scope` inside `parent`.
    pub fn child(scope: &'a Scope, parent: Option<&'a ScopeChain<'a>>) -> ScopeChain<'a> {
        ScopeChain { scope, parent }
    }

    /// Resolves a possibly qualified column name, innermost scope first.
    /// Errors are PostgreSQL's: 42703 `column "x" does not exist`,
    /// 42P01 `missing FROM-clause entry for table "t"`, 42702 ambiguity.
    pub fn resolve(&self, qualifier: Option<&str>, name: &str) -> Result<Resolved> {
        let mut level = Some(self);
        let mut depth = 0;
        let mut qualifier_seen = false;
        while let Some(chain) = level {
            if let Some(index) = chain.scope.find(qualifier, name)? {
                return Ok(Resolved {
                    depth,
                    index,
                    column: chain.scope.columns[index].clone(),
                });
            }
            if let Some(q) = qualifier {
                qualifier_seen |= chain.scope.has_qualifier(q);
            }
            level = chain.parent;
            depth += 1;
        }
        Err(match qualifier {
            Some(q) if !qualifier_seen => sql_err!(
                SqlState::UNDEFINED_TABLE,
                "missing FROM-clause entry for table \"{}\"",
                q
            ),
            Some(q) => sql_err!(
                SqlState::UNDEFINED_COLUMN,
                "column {}.{} does not exist",
                q,
                name
            ),
            None => undefined_column(name),
        })
    }
}

/// `column "x" does not exist` (42703).
pub fn undefined_column(name: &str) -> Error {
    sql_err!(
        SqlState::UNDEFINED_COLUMN,
        "column \"{}\" does not exist",
        name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(q: &str, name: &str) -> ScopeColumn {
        ScopeColumn {
            qualifier: Some(q.into()),
            name: name.into(),
            ty: DataType::Int4,
            hidden: false,
            merged: false,
            table_oid: 0,
            column_id: 0,
            scan_id: None,
        }
    }

    #[test]
    fn resolves_through_levels() {
        let outer = Scope {
            columns: vec![col("a", "x"), col("a", "y")],
        };
        let inner = Scope {
            columns: vec![col("b", "x")],
        };
        let oc = ScopeChain::root(&outer);
        let ic = ScopeChain::child(&inner, Some(&oc));
        let r = ic.resolve(None, "x").unwrap();
        assert_eq!((r.depth, r.index), (0, 0));
        let r = ic.resolve(None, "y").unwrap();
        assert_eq!((r.depth, r.index), (1, 1));
        let r = ic.resolve(Some("a"), "x").unwrap();
        assert_eq!((r.depth, r.index), (1, 0));
        assert_eq!(
            ic.resolve(None, "z").unwrap_err().sqlstate(),
            SqlState::UNDEFINED_COLUMN
        );
        assert_eq!(
            ic.resolve(Some("c"), "x").unwrap_err().message(),
            "missing FROM-clause entry for table \"c\""
        );
    }

    #[test]
    fn ambiguity_is_reported() {
        let s = Scope {
            columns: vec![col("a", "x"), col("b", "x")],
        };
        assert_eq!(
            ScopeChain::root(&s)
                .resolve(None, "x")
                .unwrap_err()
                .sqlstate(),
            SqlState::AMBIGUOUS_COLUMN
        );
        assert_eq!(s.star(None), vec![0, 1]);
        assert_eq!(s.star(Some("b")), vec![1]);
    }
}
