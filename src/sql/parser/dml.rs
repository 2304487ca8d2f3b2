//! Data-changing statements: INSERT (VALUES, SELECT, DEFAULT VALUES, ON
//! CONFLICT, RETURNING), UPDATE (SET, FROM, WHERE, RETURNING), DELETE (USING,
//! WHERE, RETURNING) and COPY ... FROM STDIN / TO STDOUT.
//!
//! COPY options come in two spellings; both end up as (name, value) pairs:
//!
//! ```text
//! WITH (FORMAT csv, HEADER, DELIMITER ',', NULL '', FREEZE ON)
//!     -> format=csv, header, delimiter=",", null="", freeze=on
//! WITH CSV HEADER DELIMITER AS ',' NULL AS ''      (pre-9.0 form)
//!     -> format=csv, header=true, delimiter=",", null=""
//! ```

use super::ast::{
    Assignment, Copy, Delete, Expr, Ident, Insert, InsertSource, ObjectName, OnConflict, Update,
};
use super::cursor::{PResult, Parser};
use super::keywords::Category;
use super::lexer::Tok;
use crate::error::{Error, SqlState};

impl Parser<'_> {
    /// `INSERT INTO t [AS a] [(cols)] {DEFAULT VALUES | query} [ON CONFLICT ...] [RETURNING ...]`.
    pub(super) fn insert(&mut self) -> PResult<Insert> {
        self.expect_kws(&["insert", "into"])?;
        let table = self.qualified_name()?;
        let alias = if self.eat_kw("as") {
            Some(self.col_id()?)
        } else {
            None
        };
        // `(` then a name is a column list; anything else is a parenthesized query.
        let columns = if self.is(&Tok::LParen)
            && matches!(self.peek_nth(1), Tok::Word(_) | Tok::QuotedIdent(_))
            && !self.at_paren_query()
        {
            self.paren_name_list()?
        } else {
            Vec::new()
        };
        if self.eat_kw("overriding") {
            if !self.eat_kw("system") {
                self.expect_kw("user")?;
            }
            self.expect_kw("value")?;
        }
        let source = if self.eat_kws(&["default", "values"]) {
            InsertSource::DefaultValues
        } else {
            InsertSource::Query(Box::new(self.query()?))
        };
        let on_conflict = if self.eat_kws(&["on", "conflict"]) {
            Some(self.on_conflict()?)
        } else {
            None
        };
        let returning = self.opt_returning()?;
        Ok(Insert {
            table,
            alias,
            columns,
            source,
            on_conflict,
            returning,
        })
    }

    /// After ON CONFLICT: `[(cols) [WHERE ...] | ON CONSTRAINT name] DO NOTHING | DO UPDATE SET ... [WHERE ...]`.
    fn on_conflict(&mut self) -> PResult<OnConflict> {
        let mut columns = Vec::new();
        if self.is(&Tok::LParen) {
            columns = self.conflict_columns()?;
            if self.is_kw("where") {
                let pos = self.pos();
                return self.hard(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "ON CONFLICT with a partial-index WHERE is not supported",
                    pos,
                );
            }
        } else if self.eat_kws(&["on", "constraint"]) {
            // The constraint is found again by the binder from the table's keys.
            self.col_id()?;
        }
        self.expect_kw("do")?;
        if self.eat_kw("nothing") {
            return Ok(OnConflict {
                columns,
                assignments: Vec::new(),
                selection: None,
            });
        }
        self.expect_kws(&["update", "set"])?;
        let assignments = self.set_clause_list()?;
        let selection = self.opt_where()?;
        Ok(OnConflict {
            columns,
            assignments,
            selection,
        })
    }

    /// `'(' index_elem, ... ')'` of ON CONFLICT; only plain columns are
    /// supported (an expression parses, then is refused).
    fn conflict_columns(&mut self) -> PResult<Vec<Ident>> {
        self.expect(&Tok::LParen)?;
        let pos = self.pos();
        let elems = self.comma_list(Self::index_elem)?;
        self.expect(&Tok::RParen)?;
        let mut columns = Vec::new();
        for elem in elems {
            match elem.expr {
                Expr::Column(mut name) if name.0.len() == 1 => columns.extend(name.0.pop()),
                _ => self.defer_unsupported("ON CONFLICT on an expression is not supported", pos),
            }
        }
        Ok(columns)
    }

    /// `[RETURNING target_list]`.
    fn opt_returning(&mut self) -> PResult<Vec<super::ast::SelectItem>> {
        if self.eat_kw("returning") {
            self.select_items()
        } else {
            Ok(Vec::new())
        }
    }

    /// `col = expr | (a, b) = (x, y)`, separated by commas.
    fn set_clause_list(&mut self) -> PResult<Vec<Assignment>> {
        let mut out = Vec::new();
        loop {
            if self.is(&Tok::LParen) {
                self.multi_assignment(&mut out)?;
            } else {
                let column = self.set_target()?;
                self.expect_op("=")?;
                let value = self.expr()?;
                out.push(Assignment { column, value });
            }
            if !self.eat(&Tok::Comma) {
                return Ok(out);
            }
        }
    }

    /// `ColId`, refusing `col.field` / `col[i]` targets the AST cannot hold.
    fn set_target(&mut self) -> PResult<Ident> {
        let column = self.col_id()?;
        if self.is(&Tok::Dot) || self.is(&Tok::LBracket) {
            return self.fail();
        }
        Ok(column)
    }

    /// `(a, b) = (x, y)` / `(a, b) = ROW(x, y)`, expanded to one assignment per column.
    fn multi_assignment(&mut self, out: &mut Vec<Assignment>) -> PResult<()> {
        self.expect(&Tok::LParen)?;
        let columns = self.comma_list(Self::set_target)?;
        self.expect(&Tok::RParen)?;
        self.expect_op("=")?;
        let pos = self.pos();
        let values = match self.expr()? {
            Expr::Row(values) => values,
            Expr::Subquery(_) => {
                self.defer_unsupported(
                    "multiple-column UPDATE from a sub-SELECT is not supported",
                    pos,
                );
                return Ok(());
            }
            _ => {
                let message = "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression";
                self.defer(Error::sql(SqlState::SYNTAX_ERROR, message).with_position(pos));
                return Ok(());
            }
        };
        if values.len() != columns.len() {
            let message = "number of columns does not match number of values";
            self.defer(Error::sql(SqlState::SYNTAX_ERROR, message).with_position(pos));
            return Ok(());
        }
        out.extend(
            columns
                .into_iter()
                .zip(values)
                .map(|(column, value)| Assignment { column, value }),
        );
        Ok(())
    }

    /// `[[AS] alias]` after the target table of UPDATE / DELETE (SET is not
    /// an alias there, as in PostgreSQL).
    fn target_alias(&mut self) -> PResult<Option<Ident>> {
        if self.eat_kw("as") {
            return Ok(Some(self.col_id()?));
        }
        if self.at_col_id() && !self.is_kw("set") {
            return Ok(Some(self.col_id()?));
        }
        Ok(None)
    }

    /// `UPDATE [ONLY] t [[AS] a] SET ... [FROM ...] [WHERE ...] [RETURNING ...]`.
    pub(super) fn update(&mut self) -> PResult<Update> {
        self.expect_kw("update")?;
        let table = self.relation_name()?;
        let alias = self.target_alias()?;
        self.expect_kw("set")?;
        let assignments = self.set_clause_list()?;
        let from = if self.eat_kw("from") {
            self.table_refs()?
        } else {
            Vec::new()
        };
        let selection = self.opt_where()?;
        let returning = self.opt_returning()?;
        Ok(Update {
            table,
            alias,
            assignments,
            from,
            selection,
            returning,
        })
    }

    /// `DELETE FROM [ONLY] t [[AS] a] [USING ...] [WHERE ...] [RETURNING ...]`.
    pub(super) fn delete(&mut self) -> PResult<Delete> {
        self.expect_kws(&["delete", "from"])?;
        let table = self.relation_name()?;
        let alias = self.target_alias()?;
        let using = if self.eat_kw("using") {
            self.table_refs()?
        } else {
            Vec::new()
        };
        let selection = self.opt_where()?;
        let returning = self.opt_returning()?;
        Ok(Delete {
            table,
            alias,
            using,
            selection,
            returning,
        })
    }

    /// `COPY t [(cols)] {FROM STDIN | TO STDOUT} [[WITH] options]`.
    pub(super) fn copy(&mut self) -> PResult<Copy> {
        self.expect_kw("copy")?;
        let table = if self.is(&Tok::LParen) {
            self.copy_query_source()?
        } else {
            self.qualified_name()?
        };
        let columns = if self.is(&Tok::LParen) {
            self.paren_name_list()?
        } else {
            Vec::new()
        };
        let from = if self.eat_kw("from") {
            true
        } else {
            self.expect_kw("to")?;
            false
        };
        let pos = self.pos();
        if !(self.eat_kw("stdin") || self.eat_kw("stdout")) {
            if matches!(self.peek(), Tok::Str(_)) || self.is_kw("program") {
                return self.hard_hint(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "COPY to or from a file or program is not supported",
                    "Use COPY ... FROM STDIN or TO STDOUT.",
                    pos,
                );
            }
            return self.fail();
        }
        let with = self.eat_kw("with");
        let options = if self.is(&Tok::LParen) {
            self.copy_generic_options()?
        } else {
            self.copy_legacy_options(with)?
        };
        Ok(Copy {
            table,
            columns,
            from,
            options,
        })
    }

    /// `COPY (query) TO ...`: parsed for syntax, then refused (deferred, so
    /// syntax errors come first). Returns a placeholder name never seen.
    fn copy_query_source(&mut self) -> PResult<ObjectName> {
        let pos = self.pos();
        self.paren_query()?;
        self.defer(
            Error::sql(
                SqlState::FEATURE_NOT_SUPPORTED,
                "COPY (query) TO is not supported",
            )
            .with_position(pos),
        );
        Ok(ObjectName(vec![Ident {
            name: "(query)".into(),
            pos,
        }]))
    }

    /// `'(' name [value] (',' name [value])* ')'`.
    fn copy_generic_options(&mut self) -> PResult<Vec<(String, Option<String>)>> {
        self.expect(&Tok::LParen)?;
        let options = self.comma_list(|p| {
            let name = p.col_label()?.name;
            let value = p.opt_option_value()?;
            Ok((name, value))
        })?;
        self.expect(&Tok::RParen)?;
        Ok(options)
    }

    /// An option value (`opt_boolean_or_string | NumericOnly | '*'`): a
    /// non-reserved word, TRUE/FALSE/ON, a string, a signed number or `*`.
    pub(super) fn opt_option_value(&mut self) -> PResult<Option<String>> {
        let value = match self.peek().clone() {
            Tok::Word(w) if matches!(w.as_str(), "true" | "false" | "on") => w,
            Tok::Word(w) if self.category() != Some(Category::Reserved) => w,
            Tok::QuotedIdent(w) | Tok::Str(w) => w,
            Tok::Integer(n) | Tok::Decimal(n) => n,
            Tok::Op(o) if o == "*" => o,
            Tok::Op(o) if (o == "-" || o == "+") => {
                self.advance();
                match self.peek().clone() {
                    Tok::Integer(n) | Tok::Decimal(n) => {
                        format!("{}{n}", if o == "-" { "-" } else { "" })
                    }
                    _ => return self.fail(),
                }
            }
            _ => return Ok(None),
        };
        self.advance();
        Ok(Some(value))
    }

    /// The pre-9.0 options: `BINARY`, `FREEZE`, `CSV`, `HEADER`,
    /// `DELIMITER [AS] 'c'`, `NULL [AS] 's'`, `QUOTE [AS] 'q'`,
    /// `ESCAPE [AS] 'e'`, `ENCODING 'x'`, `FORCE QUOTE cols|*`, `FORCE NOT NULL cols`.
    fn copy_legacy_options(&mut self, _with: bool) -> PResult<Vec<(String, Option<String>)>> {
        let mut options = Vec::new();
        loop {
            let flag = |name: &str, value: &str| (name.to_string(), Some(value.to_string()));
            if self.eat_kw("binary") {
                options.push(flag("format", "binary"));
            } else if self.eat_kw("csv") {
                options.push(flag("format", "csv"));
            } else if self.eat_kw("header") {
                options.push(flag("header", "true"));
            } else if self.eat_kw("freeze") {
                options.push(flag("freeze", "true"));
            } else if let Some(name) = self.eat_legacy_string_option() {
                self.eat_kw("as");
                let value = self.string()?;
                options.push((name.to_string(), Some(value)));
            } else if self.eat_kw("force") {
                let name = if self.eat_kw("quote") {
                    "force_quote"
                } else {
                    self.expect_kws(&["not", "null"])?;
                    "force_not_null"
                };
                let value = if self.eat_op("*") {
                    "*".to_string()
                } else {
                    let cols = self.name_list()?;
                    cols.iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                options.push((name.to_string(), Some(value)));
            } else {
                return Ok(options);
            }
        }
    }

    fn eat_legacy_string_option(&mut self) -> Option<&'static str> {
        ["delimiter", "null", "quote", "escape", "encoding"]
            .into_iter()
            .find(|name| self.eat_kw(name))
    }
}
