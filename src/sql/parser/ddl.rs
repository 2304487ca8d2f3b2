//! Schema statements: CREATE TABLE (columns, column and table constraints,
//! `AS query`), CREATE INDEX, CREATE VIEW, DROP TABLE/INDEX/VIEW, ALTER TABLE,
//! TRUNCATE.
//!
//! Storage clauses PostgreSQL tools emit but DriftDB has no use for are
//! accepted and dropped: `WITH (fillfactor=100)`, `TABLESPACE x`,
//! `CASCADE`/`RESTRICT` on DROP and TRUNCATE, `RESTART IDENTITY`,
//! `USING btree`, constraint timing (`DEFERRABLE`...), foreign-key actions
//! (`ON DELETE CASCADE`, `MATCH FULL`), identity sequence options.

use super::ast::{
    AlterTableAction, ColumnConstraint, ColumnDef, CreateIndex, CreateTable, Ident, ObjectName,
    OrderByItem, Statement, TableConstraint,
};
use super::cursor::{PResult, Parser};
use super::lexer::Tok;
use crate::error::SqlState;

impl Parser<'_> {
    /// After CREATE: TABLE, [UNIQUE] INDEX or [OR REPLACE] VIEW.
    pub(super) fn create(&mut self) -> PResult<Statement> {
        self.expect_kw("create")?;
        let or_replace = self.eat_kws(&["or", "replace"]);
        // UNLOGGED only trades crash safety for speed; DriftDB logs everything.
        if !or_replace && self.is_kw("unlogged") && self.is_kw_at(1, "table") {
            self.advance();
        }
        if !or_replace {
            if self.is_kw("unique") || self.is_kw("index") {
                return Ok(Statement::CreateIndex(Box::new(self.create_index()?)));
            }
            if self.is_kw("table") {
                return Ok(Statement::CreateTable(Box::new(self.create_table()?)));
            }
        }
        if self.is_any_kw(&["temp", "temporary"]) {
            let pos = self.pos();
            return self.hard(
                SqlState::FEATURE_NOT_SUPPORTED,
                "temporary objects are not supported",
                pos,
            );
        }
        if self.is_kw("view") {
            return self.create_view(or_replace);
        }
        self.fail()
    }

    /// `TABLE [IF NOT EXISTS] name (elements) [WITH (...)] [TABLESPACE x]`
    /// or `TABLE [IF NOT EXISTS] name [(cols)] AS query [WITH [NO] DATA]`.
    fn create_table(&mut self) -> PResult<CreateTable> {
        self.expect_kw("table")?;
        let if_not_exists = self.eat_kws(&["if", "not", "exists"]);
        let name = self.qualified_name()?;
        let mut table = CreateTable {
            name,
            if_not_exists,
            columns: Vec::new(),
            constraints: Vec::new(),
            as_query: None,
        };
        if self.is(&Tok::LParen) && !self.is_as_column_list() {
            self.table_elements(&mut table)?;
            self.table_storage_options()?;
            return Ok(table);
        }
        let names = if self.is(&Tok::LParen) {
            self.paren_name_list()?
        } else {
            Vec::new()
        };
        if self.is_kw("with") && self.peek_nth(1) == &Tok::LParen {
            self.advance();
            self.reloptions()?;
        }
        self.expect_kw("as")?;
        table.as_query = Some(Box::new(self.query()?));
        if self.eat_kw("with") {
            self.eat_kw("no");
            self.expect_kw("data")?;
        }
        // CREATE TABLE t (a, b) AS ...: column names without types.
        table.columns = names
            .into_iter()
            .map(|name| ColumnDef {
                name,
                ty: super::ast::TypeName {
                    name: String::new(),
                    modifiers: Vec::new(),
                    array: false,
                },
                constraints: Vec::new(),
            })
            .collect();
        Ok(table)
    }

    /// True when the `(` after the table name starts a bare column-name list
    /// (the CREATE TABLE AS form): a name directly followed by `,` or `)`.
    /// Like PostgreSQL's parser, this decides on the second token, so
    /// `(a, b int)` fails at `int`.
    fn is_as_column_list(&self) -> bool {
        matches!(self.peek_nth(1), Tok::Word(_) | Tok::QuotedIdent(_))
            && matches!(self.peek_nth(2), Tok::Comma | Tok::RParen)
    }

    /// `'(' [element (',' element)*] ')'`, each a column or a table constraint.
    fn table_elements(&mut self, table: &mut CreateTable) -> PResult<()> {
        self.expect(&Tok::LParen)?;
        if self.eat(&Tok::RParen) {
            return Ok(());
        }
        loop {
            if self.at_table_constraint() {
                table.constraints.push(self.table_constraint()?);
            } else {
                table.columns.push(self.column_def()?);
            }
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RParen)
    }

    /// `[WITH (name [= value], ...)] [WITHOUT OIDS] [TABLESPACE name]`, dropped.
    fn table_storage_options(&mut self) -> PResult<()> {
        if self.eat_kw("with") {
            self.reloptions()?;
        }
        self.eat_kws(&["without", "oids"]);
        if self.eat_kws(&["on", "commit"]) {
            let pos = self.pos();
            return self.hard(
                SqlState::INVALID_TABLE_DEFINITION,
                "ON COMMIT can only be used on temporary tables",
                pos,
            );
        }
        if self.eat_kw("tablespace") {
            self.col_id()?;
        }
        Ok(())
    }

    /// `'(' name ['=' value] (',' ...)* ')'` (values may be any word,
    /// string, number or operator, as `def_arg` allows).
    fn reloptions(&mut self) -> PResult<()> {
        self.expect(&Tok::LParen)?;
        self.comma_list(|p| {
            p.col_label()?;
            if p.eat(&Tok::Dot) {
                p.col_label()?;
            }
            if p.eat_op("=") {
                p.eat_op("-");
                match p.peek() {
                    Tok::Word(_)
                    | Tok::QuotedIdent(_)
                    | Tok::Str(_)
                    | Tok::Integer(_)
                    | Tok::Decimal(_)
                    | Tok::Op(_) => {
                        p.advance();
                    }
                    _ => return p.fail(),
                }
            }
            Ok(())
        })?;
        self.expect(&Tok::RParen)
    }

    /// True when a table constraint (not a column) starts here.
    fn at_table_constraint(&self) -> bool {
        self.is_any_kw(&["constraint", "primary", "unique", "check", "foreign"])
    }

    /// `[CONSTRAINT name] {PRIMARY KEY (cols) | UNIQUE (cols) | CHECK (expr) | FOREIGN KEY (cols) REFERENCES t [(cols)]}`.
    fn table_constraint(&mut self) -> PResult<TableConstraint> {
        let name = if self.eat_kw("constraint") {
            Some(self.col_id()?)
        } else {
            None
        };
        let c = if self.eat_kws(&["primary", "key"]) {
            TableConstraint::PrimaryKey {
                name,
                columns: self.paren_name_list()?,
            }
        } else if self.eat_kw("unique") {
            self.eat_kws(&["nulls", "distinct"]);
            TableConstraint::Unique {
                name,
                columns: self.paren_name_list()?,
            }
        } else if self.eat_kw("check") {
            TableConstraint::Check {
                name,
                expr: self.paren_expr()?,
            }
        } else if self.eat_kws(&["foreign", "key"]) {
            let columns = self.paren_name_list()?;
            self.expect_kw("references")?;
            let (table, ref_columns) = self.references_target()?;
            TableConstraint::ForeignKey {
                name,
                columns,
                table,
                ref_columns,
            }
        } else {
            return self.fail();
        };
        self.index_parameters()?;
        self.constraint_attributes();
        Ok(c)
    }

    /// `'(' a_expr ')'`.
    fn paren_expr(&mut self) -> PResult<super::ast::Expr> {
        self.expect(&Tok::LParen)?;
        let e = self.expr()?;
        self.expect(&Tok::RParen)?;
        Ok(e)
    }

    /// After REFERENCES: `table [(cols)] [MATCH ...] [ON DELETE|UPDATE action]...`.
    fn references_target(&mut self) -> PResult<(ObjectName, Vec<Ident>)> {
        let table = self.qualified_name()?;
        let columns = if self.is(&Tok::LParen) {
            self.paren_name_list()?
        } else {
            Vec::new()
        };
        if self.eat_kw("match")
            && !(self.eat_kw("full") || self.eat_kw("partial") || self.eat_kw("simple"))
        {
            return self.fail();
        }
        while self.eat_kw("on") {
            if !(self.eat_kw("delete") || self.eat_kw("update")) {
                return self.fail();
            }
            let ok = self.eat_kws(&["no", "action"])
                || self.eat_kw("restrict")
                || self.eat_kw("cascade")
                || self.eat_kws(&["set", "null"])
                || self.eat_kws(&["set", "default"]);
            if !ok {
                return self.fail();
            }
        }
        Ok((table, columns))
    }

    /// `[INCLUDE (cols)] [WITH (...)] [USING INDEX TABLESPACE x]` after a key constraint, dropped.
    fn index_parameters(&mut self) -> PResult<()> {
        if self.eat_kw("include") {
            self.paren_name_list()?;
        }
        if self.eat_kw("with") {
            self.reloptions()?;
        }
        if self.eat_kws(&["using", "index", "tablespace"]) {
            self.col_id()?;
        }
        Ok(())
    }

    /// `[NOT] DEFERRABLE`, `INITIALLY {DEFERRED|IMMEDIATE}`, `NOT VALID`, `NO INHERIT`, dropped.
    fn constraint_attributes(&mut self) {
        loop {
            let hit = self.eat_kw("deferrable")
                || self.eat_kws(&["not", "deferrable"])
                || self.eat_kws(&["initially", "deferred"])
                || self.eat_kws(&["initially", "immediate"])
                || self.eat_kws(&["not", "valid"])
                || self.eat_kws(&["no", "inherit"]);
            if !hit {
                return;
            }
        }
    }

    /// `ColId Typename [COLLATE name] constraint*`.
    fn column_def(&mut self) -> PResult<ColumnDef> {
        let name = self.col_id()?;
        let ty = self.type_name()?;
        let mut constraints = Vec::new();
        loop {
            if self.eat_kw("collate") {
                self.qualified_name()?;
                continue;
            }
            match self.column_constraint()? {
                Some(c) => constraints.push(c),
                None => break,
            }
            self.constraint_attributes();
        }
        Ok(ColumnDef {
            name,
            ty,
            constraints,
        })
    }

    /// One column constraint, or `None` when none starts here.
    fn column_constraint(&mut self) -> PResult<Option<ColumnConstraint>> {
        let named = self.eat_kw("constraint");
        let name = if named { Some(self.col_id()?) } else { None };
        let c = if self.eat_kws(&["not", "null"]) {
            ColumnConstraint::NotNull
        } else if self.eat_kw("null") {
            ColumnConstraint::Null
        } else if self.eat_kw("default") {
            ColumnConstraint::Default(self.b_expr()?)
        } else if self.eat_kws(&["primary", "key"]) {
            self.index_parameters()?;
            ColumnConstraint::PrimaryKey(name)
        } else if self.eat_kw("unique") {
            self.eat_kws(&["nulls", "distinct"]);
            self.index_parameters()?;
            ColumnConstraint::Unique(name)
        } else if self.eat_kw("check") {
            let e = self.paren_expr()?;
            ColumnConstraint::Check(name, e)
        } else if self.eat_kw("references") {
            let (table, columns) = self.references_target()?;
            ColumnConstraint::References { table, columns }
        } else if self.eat_kw("generated") {
            self.identity()?
        } else if named {
            return self.fail();
        } else {
            return Ok(None);
        };
        Ok(Some(c))
    }

    /// After GENERATED: `{ALWAYS | BY DEFAULT} AS IDENTITY [(sequence options)]`.
    fn identity(&mut self) -> PResult<ColumnConstraint> {
        let always = if self.eat_kw("always") {
            true
        } else {
            self.expect_kws(&["by", "default"])?;
            false
        };
        self.expect_kw("as")?;
        if self.is(&Tok::LParen) {
            let pos = self.pos();
            return self.hard(
                SqlState::FEATURE_NOT_SUPPORTED,
                "generated columns are not supported",
                pos,
            );
        }
        self.expect_kw("identity")?;
        if self.is(&Tok::LParen) {
            self.skip_parenthesized()?;
        }
        Ok(ColumnConstraint::Identity { always })
    }

    /// Skips a balanced `( ... )` group (options the AST does not keep).
    fn skip_parenthesized(&mut self) -> PResult<()> {
        self.expect(&Tok::LParen)?;
        let mut depth = 1usize;
        while depth > 0 {
            match self.take() {
                Tok::LParen => depth += 1,
                Tok::RParen => depth -= 1,
                Tok::Eof => return self.fail(),
                _ => {}
            }
        }
        Ok(())
    }

    /// `[UNIQUE] INDEX [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] t [USING m] (elems) [INCLUDE...] [WITH...]`.
    fn create_index(&mut self) -> PResult<CreateIndex> {
        let unique = self.eat_kw("unique");
        self.expect_kw("index")?;
        self.eat_kw("concurrently");
        let if_not_exists = self.eat_kws(&["if", "not", "exists"]);
        let name = if if_not_exists || !self.is_kw("on") {
            Some(self.col_id()?)
        } else {
            None
        };
        self.expect_kw("on")?;
        let table = self.relation_name()?;
        if self.eat_kw("using") {
            let pos = self.pos();
            let method = self.col_id()?;
            if method.name != "btree" && method.name != "hash" {
                return self.hard(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    format!("access method \"{}\" is not supported", method.name),
                    pos,
                );
            }
        }
        self.expect(&Tok::LParen)?;
        let columns = self.comma_list(Self::index_elem)?;
        self.expect(&Tok::RParen)?;
        self.index_parameters()?;
        if self.is_kw("where") {
            let pos = self.pos();
            return self.hard(
                SqlState::FEATURE_NOT_SUPPORTED,
                "partial indexes are not supported",
                pos,
            );
        }
        Ok(CreateIndex {
            name,
            table,
            columns,
            unique,
            if_not_exists,
        })
    }

    /// `{col | func(...) | (expr)} [COLLATE c] [opclass] [ASC|DESC] [NULLS FIRST|LAST]`.
    pub(super) fn index_elem(&mut self) -> PResult<OrderByItem> {
        let expr = if self.is(&Tok::LParen) {
            self.paren_expr()?
        } else {
            self.b_expr()?
        };
        if self.eat_kw("collate") {
            self.qualified_name()?;
        }
        let nulls_order =
            self.is_kw("nulls") && (self.is_kw_at(1, "first") || self.is_kw_at(1, "last"));
        if self.at_col_id() && !nulls_order {
            // An operator class such as text_pattern_ops.
            self.qualified_name()?;
        }
        let desc = if self.eat_kw("desc") {
            true
        } else {
            self.eat_kw("asc");
            false
        };
        let nulls_first = self.opt_nulls_order();
        Ok(OrderByItem {
            expr,
            desc,
            nulls_first,
        })
    }

    /// `VIEW name [(cols)] AS query [WITH [CASCADED|LOCAL] CHECK OPTION]`.
    fn create_view(&mut self, or_replace: bool) -> PResult<Statement> {
        self.expect_kw("view")?;
        let name = self.qualified_name()?;
        let columns = if self.is(&Tok::LParen) {
            self.paren_name_list()?
        } else {
            Vec::new()
        };
        if self.is_kw("with") && self.peek_nth(1) == &Tok::LParen {
            self.advance();
            self.reloptions()?;
        }
        self.expect_kw("as")?;
        let start = self.position();
        let query = Box::new(self.query()?);
        let query_text = self.text_from(start);
        if self.eat_kw("with") {
            if !self.eat_kw("cascaded") {
                self.eat_kw("local");
            }
            self.expect_kws(&["check", "option"])?;
        }
        Ok(Statement::CreateView {
            name,
            columns,
            query,
            query_text,
            or_replace,
        })
    }

    /// `DROP {TABLE | INDEX [CONCURRENTLY] | VIEW} [IF EXISTS] names [CASCADE | RESTRICT]`.
    pub(super) fn drop(&mut self) -> PResult<Statement> {
        self.expect_kw("drop")?;
        let kind = match self.peek() {
            Tok::Word(w) if matches!(w.as_str(), "table" | "index" | "view") => w.clone(),
            _ => return self.fail(),
        };
        self.advance();
        if kind == "index" {
            self.eat_kw("concurrently");
        }
        let if_exists = self.eat_kws(&["if", "exists"]);
        let names = self.comma_list(Self::qualified_name)?;
        if !self.eat_kw("cascade") {
            self.eat_kw("restrict");
        }
        Ok(match kind.as_str() {
            "table" => Statement::DropTable { names, if_exists },
            "index" => Statement::DropIndex { names, if_exists },
            _ => Statement::DropView { names, if_exists },
        })
    }

    /// `TRUNCATE [TABLE] names [RESTART | CONTINUE IDENTITY] [CASCADE | RESTRICT]`.
    pub(super) fn truncate(&mut self) -> PResult<Statement> {
        self.expect_kw("truncate")?;
        self.eat_kw("table");
        let names = self.comma_list(Self::relation_name)?;
        if !self.eat_kws(&["restart", "identity"]) {
            self.eat_kws(&["continue", "identity"]);
        }
        if !self.eat_kw("cascade") {
            self.eat_kw("restrict");
        }
        Ok(Statement::Truncate(names))
    }

    /// `ALTER TABLE [ONLY] name action, ...` or a RENAME form.
    pub(super) fn alter_table(&mut self) -> PResult<Statement> {
        self.expect_kws(&["alter", "table"])?;
        let name = self.relation_name()?;
        if self.eat_kw("rename") {
            let action = if self.eat_kw("to") {
                AlterTableAction::RenameTable(self.col_id()?)
            } else {
                self.eat_kw("column");
                let old = self.col_id()?;
                self.expect_kw("to")?;
                AlterTableAction::RenameColumn {
                    old,
                    new: self.col_id()?,
                }
            };
            return Ok(Statement::AlterTable {
                name,
                actions: vec![action],
            });
        }
        let actions = self.comma_list(Self::alter_action)?;
        Ok(Statement::AlterTable { name, actions })
    }

    /// One ALTER TABLE action (ADD, DROP, ALTER COLUMN).
    fn alter_action(&mut self) -> PResult<AlterTableAction> {
        if self.eat_kw("add") {
            if self.at_table_constraint() {
                return Ok(AlterTableAction::AddConstraint(self.table_constraint()?));
            }
            self.eat_kw("column");
            let if_not_exists = self.eat_kws(&["if", "not", "exists"]);
            let column = self.column_def()?;
            return Ok(AlterTableAction::AddColumn {
                column,
                if_not_exists,
            });
        }
        if self.eat_kw("drop") {
            if self.is_kw("constraint") {
                let pos = self.pos();
                return self.hard(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "DROP CONSTRAINT is not supported",
                    pos,
                );
            }
            self.eat_kw("column");
            let if_exists = self.eat_kws(&["if", "exists"]);
            let name = self.col_id()?;
            if !self.eat_kw("cascade") {
                self.eat_kw("restrict");
            }
            return Ok(AlterTableAction::DropColumn { name, if_exists });
        }
        self.expect_kw("alter")?;
        self.eat_kw("column");
        let column = self.col_id()?;
        if self.eat_kws(&["set", "default"]) {
            let default = Some(self.expr()?);
            return Ok(AlterTableAction::SetDefault { column, default });
        }
        if self.eat_kws(&["drop", "default"]) {
            return Ok(AlterTableAction::SetDefault {
                column,
                default: None,
            });
        }
        if self.eat_kws(&["set", "not", "null"]) {
            return Ok(AlterTableAction::SetNotNull {
                column,
                not_null: true,
            });
        }
        self.expect_kws(&["drop", "not", "null"])?;
        Ok(AlterTableAction::SetNotNull {
            column,
            not_null: false,
        })
    }
}
