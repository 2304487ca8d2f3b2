//! FROM items: tables (with the SQL:2011 `FOR SYSTEM_TIME` clause), table
//! functions, subqueries, parenthesized joins, and joins.
//!
//! Time travel is part of the grammar of a table reference, between the table
//! name and its alias:
//!
//! ```text
//! orders FOR SYSTEM_TIME AS OF @SEQ:5 AS o
//! orders FOR SYSTEM_TIME AS OF TIMESTAMP '2026-01-15 10:00:00'
//! orders FOR SYSTEM_TIME BETWEEN @SEQ:1 AND @SEQ:9
//! orders FOR SYSTEM_TIME FROM '2026-01-01' TO now()
//! orders FOR SYSTEM_TIME ALL
//! ```
//!
//! A time point is `@SEQ:n` or an expression without boolean operators
//! (`b_expr`), so `BETWEEN a AND b` reads unambiguously.
//!
//! Joins are left-deep: `a JOIN b ON x LEFT JOIN c USING (k)` is
//! `(a JOIN b) LEFT JOIN c`; commas in the FROM list give separate items
//! (an implicit cross join the planner builds).

use super::ast::{
    JoinConstraint, JoinKind, ObjectName, SystemTime, TableAlias, TableRef, TimePoint,
};
use super::cursor::{PResult, Parser};
use super::keywords::Category;
use super::lexer::Tok;
use crate::error::{Error, SqlState};

impl Parser<'_> {
    /// `from_list`: table references separated by commas.
    pub(super) fn table_refs(&mut self) -> PResult<Vec<TableRef>> {
        self.comma_list(Self::table_ref)
    }

    /// A table reference with any joins that follow it.
    fn table_ref(&mut self) -> PResult<TableRef> {
        self.enter()?;
        let result = self.table_ref_inner();
        self.leave();
        result
    }

    fn table_ref_inner(&mut self) -> PResult<TableRef> {
        let mut joins = 0;
        let result = self.joins(&mut joins);
        self.unchain(joins);
        result
    }

    /// A table reference and its joins; counts them in `joins` for the
    /// tree-depth bound.
    fn joins(&mut self, joins: &mut usize) -> PResult<TableRef> {
        let mut left = self.table_primary()?;
        while let Some((kind, natural)) = self.join_type()? {
            self.chain()?;
            *joins += 1;
            let (right, constraint) = if natural {
                (self.table_primary()?, JoinConstraint::Natural)
            } else if kind == JoinKind::Cross {
                (self.table_primary()?, JoinConstraint::None)
            } else {
                // The right side of a join still waiting for ON/USING takes
                // any joins that follow first (`a JOIN b JOIN c ON x ON y`),
                // as in PostgreSQL's grammar.
                let right = self.table_ref()?;
                (right, self.join_qual()?)
            };
            left = TableRef::Join {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                constraint,
            };
        }
        Ok(left)
    }

    /// `CROSS JOIN`, `[NATURAL] [INNER | {LEFT|RIGHT|FULL} [OUTER]] JOIN`:
    /// the join kind and NATURAL, or `None` when no join follows.
    fn join_type(&mut self) -> PResult<Option<(JoinKind, bool)>> {
        if self.eat_kws(&["cross", "join"]) {
            return Ok(Some((JoinKind::Cross, false)));
        }
        let natural = self.eat_kw("natural");
        let kind = if self.eat_kw("inner") {
            JoinKind::Inner
        } else if self.is_any_kw(&["left", "right", "full"]) {
            let kind = match self.take() {
                Tok::Word(w) if w == "left" => JoinKind::Left,
                Tok::Word(w) if w == "right" => JoinKind::Right,
                _ => JoinKind::Full,
            };
            self.eat_kw("outer");
            kind
        } else if self.is_kw("join") {
            JoinKind::Inner
        } else if natural {
            return self.fail();
        } else {
            return Ok(None);
        };
        self.expect_kw("join")?;
        Ok(Some((kind, natural)))
    }

    /// `ON a_expr` or `USING (cols)`.
    fn join_qual(&mut self) -> PResult<JoinConstraint> {
        if self.eat_kw("on") {
            return Ok(JoinConstraint::On(self.expr()?));
        }
        if self.eat_kw("using") {
            let columns = self.paren_name_list()?;
            if self.is_kw("as") {
                // USING (...) AS alias (PostgreSQL 14+): parsed, not supported.
                let pos = self.pos();
                self.advance();
                self.col_id()?;
                self.defer_unsupported("an alias on JOIN USING is not supported", pos);
            }
            return Ok(JoinConstraint::Using(columns));
        }
        self.fail()
    }

    /// A table, table function, subquery or parenthesized join.
    fn table_primary(&mut self) -> PResult<TableRef> {
        let lateral = self.eat_kw("lateral");
        if self.is(&Tok::LParen) {
            let pos = self.pos();
            let query = if lateral {
                Some(self.paren_query()?)
            } else {
                self.opt_paren_query()?
            };
            let Some(q) = query else {
                return self.paren_join();
            };
            let alias = self.opt_alias()?;
            if alias.is_none() {
                return self.hard_hint(
                    SqlState::SYNTAX_ERROR,
                    "subquery in FROM must have an alias",
                    "For example, FROM (SELECT ...) [AS] foo.",
                    pos,
                );
            }
            return Ok(TableRef::Subquery {
                lateral,
                query: Box::new(q),
                alias,
            });
        }
        let only = self.eat_kw("only");
        let name = self.qualified_name_or_func()?;
        if self.is(&Tok::LParen) && !only {
            return self.table_function(lateral, name);
        }
        if lateral {
            return self.fail();
        }
        self.eat_op("*");
        let system_time = self.opt_system_time()?;
        let alias = self.opt_alias()?;
        Ok(TableRef::Table {
            name,
            system_time,
            alias,
        })
    }

    /// A relation or function name: `ColId ('.' ColLabel)*`, or a
    /// type/function keyword followed by `(` (`FROM left(...)` is a call).
    fn qualified_name_or_func(&mut self) -> PResult<ObjectName> {
        if self.category() == Some(Category::TypeFunc) {
            let name = ObjectName(vec![self.type_function_name()?]);
            if !self.is(&Tok::LParen) {
                return self.fail();
            }
            return Ok(name);
        }
        self.qualified_name()
    }

    /// `( joined_table )` (an alias on a parenthesized join is not supported:
    /// the AST has no place for it).
    fn paren_join(&mut self) -> PResult<TableRef> {
        self.expect(&Tok::LParen)?;
        let inner = self.table_ref()?;
        self.expect(&Tok::RParen)?;
        Ok(inner)
    }

    /// `func(args) [WITH ORDINALITY] [alias]` in FROM.
    fn table_function(&mut self, lateral: bool, name: ObjectName) -> PResult<TableRef> {
        self.expect(&Tok::LParen)?;
        let args = if self.is(&Tok::RParen) {
            Vec::new()
        } else {
            self.expr_list()?
        };
        self.expect(&Tok::RParen)?;
        if self.eat_kws(&["with", "ordinality"]) {
            let pos = self.pos();
            self.defer_unsupported("WITH ORDINALITY is not supported", pos);
        }
        let alias = self.opt_func_alias()?;
        Ok(TableRef::Function {
            lateral,
            name,
            args,
            alias,
        })
    }

    /// `[AS] ColId ['(' name_list ')']` when present.
    pub(super) fn opt_alias(&mut self) -> PResult<Option<TableAlias>> {
        let name = if self.eat_kw("as") || self.at_col_id() {
            self.col_id()?
        } else {
            return Ok(None);
        };
        let columns = if self.is(&Tok::LParen) {
            self.paren_name_list()?
        } else {
            Vec::new()
        };
        Ok(Some(TableAlias { name, columns }))
    }

    /// A table function's alias, which may carry a column definition list
    /// (`AS t(a int, b text)`, `AS (a int)`): parsed, refused when types are
    /// given (no DriftDB function returns `record`).
    fn opt_func_alias(&mut self) -> PResult<Option<TableAlias>> {
        let has_as = self.eat_kw("as");
        let name = if has_as && self.is(&Tok::LParen) {
            None
        } else if has_as || self.at_col_id() {
            Some(self.col_id()?)
        } else {
            return Ok(None);
        };
        let mut columns = Vec::new();
        if self.is(&Tok::LParen) {
            self.advance();
            // `AS (...)` must define columns with types; `alias (...)` may.
            let types_required = name.is_none();
            let mut typed_at = None;
            columns = self.comma_list(|p| {
                let column = p.col_id()?;
                if types_required || (!p.is(&Tok::Comma) && !p.is(&Tok::RParen)) {
                    p.type_name()?;
                    typed_at.get_or_insert(column.pos);
                }
                Ok(column)
            })?;
            self.expect(&Tok::RParen)?;
            if let Some(pos) = typed_at {
                let message =
                    "a column definition list is only allowed for functions returning \"record\"";
                self.defer(Error::sql(SqlState::SYNTAX_ERROR, message).with_position(pos));
            }
        }
        Ok(name.map(|name| TableAlias { name, columns }))
    }

    /// `relation_expr`: `[ONLY] name [*]` (inheritance markers are accepted
    /// and mean nothing here).
    pub(super) fn relation_name(&mut self) -> PResult<ObjectName> {
        if self.eat_kw("only") {
            if self.eat(&Tok::LParen) {
                let name = self.qualified_name()?;
                self.expect(&Tok::RParen)?;
                return Ok(name);
            }
            return self.qualified_name();
        }
        let name = self.qualified_name()?;
        self.eat_op("*");
        Ok(name)
    }

    /// `FOR SYSTEM_TIME {AS OF p | BETWEEN p AND p | FROM p TO p | ALL}`.
    fn opt_system_time(&mut self) -> PResult<Option<SystemTime>> {
        if !(self.is_kw("for") && self.is_kw_at(1, "system_time")) {
            return Ok(None);
        }
        self.advance();
        self.advance();
        let st = if self.eat_kw("as") {
            self.expect_kw("of")?;
            SystemTime::AsOf(self.time_point()?)
        } else if self.eat_kw("between") {
            self.eat_kw("asymmetric");
            let from = self.time_point()?;
            self.expect_kw("and")?;
            SystemTime::Between(from, self.time_point()?)
        } else if self.eat_kw("from") {
            let from = self.time_point()?;
            self.expect_kw("to")?;
            SystemTime::FromTo(from, self.time_point()?)
        } else if self.eat_kw("all") {
            SystemTime::All
        } else {
            return self.fail();
        };
        Ok(Some(st))
    }

    /// `@SEQ:n` or a `b_expr`.
    fn time_point(&mut self) -> PResult<TimePoint> {
        if let Tok::Seq(n) = *self.peek() {
            self.advance();
            return Ok(TimePoint::Seq(n));
        }
        Ok(TimePoint::Expr(self.b_expr_before_alias()?))
    }
}
