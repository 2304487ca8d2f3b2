//! Statements: the list separated by `;`, the dispatch on the first word, and
//! the small utility statements (transactions, SET/SHOW/RESET, EXPLAIN,
//! PREPARE/EXECUTE/DEALLOCATE, DISCARD, VACUUM/ANALYZE/CHECKPOINT).
//!
//! The bigger statements live in their own files: queries in `query.rs`,
//! INSERT/UPDATE/DELETE/COPY in `dml.rs`, CREATE/DROP/ALTER/TRUNCATE in
//! `ddl.rs`.

use super::ast::{IsolationLevel, SetValue, Statement, TransactionMode};
use super::cursor::{PResult, Parser};
use super::lexer::Tok;

impl Parser<'_> {
    /// `stmtmulti`: statements separated by `;`, empty ones skipped.
    pub(super) fn statements(&mut self) -> PResult<Vec<Statement>> {
        let mut out = Vec::new();
        loop {
            while self.eat(&Tok::Semicolon) {}
            if self.is(&Tok::Eof) {
                return Ok(out);
            }
            out.push(self.statement()?);
            if !self.eat(&Tok::Semicolon) && !self.is(&Tok::Eof) {
                return self.fail();
            }
        }
    }

    /// One statement, chosen by its first word.
    pub(super) fn statement(&mut self) -> PResult<Statement> {
        if self.is(&Tok::LParen) {
            return Ok(Statement::Query(Box::new(self.query()?)));
        }
        let first = match self.peek() {
            Tok::Word(w) => w.as_str(),
            _ => return self.fail(),
        };
        match first {
            "select" | "values" | "with" | "table" => Ok(Statement::Query(Box::new(self.query()?))),
            "insert" => Ok(Statement::Insert(Box::new(self.insert()?))),
            "update" => Ok(Statement::Update(Box::new(self.update()?))),
            "delete" => Ok(Statement::Delete(Box::new(self.delete()?))),
            "create" => self.create(),
            "drop" => self.drop(),
            "alter" => self.alter_table(),
            "truncate" => self.truncate(),
            "copy" => Ok(Statement::Copy(Box::new(self.copy()?))),
            "begin" | "start" | "commit" | "end" | "rollback" | "abort" | "savepoint"
            | "release" => self.transaction(),
            "set" => self.set(),
            "show" => self.show(),
            "reset" => self.reset_stmt(),
            "explain" => self.explain(),
            "prepare" => self.prepare(),
            "execute" => self.execute(),
            "deallocate" => self.deallocate(),
            "discard" => self.discard(),
            "vacuum" | "analyze" | "analyse" | "checkpoint" => self.maintenance(),
            _ => self.fail(),
        }
    }

    /// BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK [TO], ABORT, SAVEPOINT, RELEASE.
    fn transaction(&mut self) -> PResult<Statement> {
        let Tok::Word(first) = self.take() else {
            return self.fail();
        };
        let stmt = match first.as_str() {
            "begin" => {
                self.opt_work();
                Statement::Begin(self.transaction_modes()?)
            }
            "start" => {
                self.expect_kw("transaction")?;
                Statement::Begin(self.transaction_modes()?)
            }
            "commit" | "end" => {
                self.opt_work();
                self.opt_chain()?;
                Statement::Commit
            }
            "rollback" | "abort" => {
                self.opt_work();
                if first == "rollback" && self.eat_kw("to") {
                    self.eat_word_before_name("savepoint");
                    return Ok(Statement::RollbackToSavepoint(self.col_id()?));
                }
                self.opt_chain()?;
                Statement::Rollback
            }
            "savepoint" => Statement::Savepoint(self.col_id()?),
            _ => {
                self.eat_word_before_name("savepoint");
                Statement::ReleaseSavepoint(self.col_id()?)
            }
        };
        Ok(stmt)
    }

    /// Consumes an optional noise word (`SAVEPOINT`, `PREPARE`) only when a
    /// name follows it: otherwise the word is the name itself
    /// (`RELEASE savepoint` releases the savepoint called "savepoint").
    fn eat_word_before_name(&mut self, word: &str) {
        if self.is_kw(word) && self.at_col_id_at(1) {
            self.advance();
        }
    }

    /// `[WORK | TRANSACTION]`.
    fn opt_work(&mut self) {
        if !self.eat_kw("work") {
            self.eat_kw("transaction");
        }
    }

    /// `[AND [NO] CHAIN]` (chaining is not supported).
    fn opt_chain(&mut self) -> PResult<()> {
        if self.eat_kw("and") {
            let pos = self.pos();
            if self.eat_kw("no") {
                return self.expect_kw("chain");
            }
            self.expect_kw("chain")?;
            return self.hard(
                crate::error::SqlState::FEATURE_NOT_SUPPORTED,
                "AND CHAIN is not supported",
                pos,
            );
        }
        Ok(())
    }

    /// Transaction modes, separated by commas or spaces.
    fn transaction_modes(&mut self) -> PResult<Vec<TransactionMode>> {
        let mut modes = Vec::new();
        loop {
            let mode = if self.eat_kws(&["isolation", "level"]) {
                TransactionMode::IsolationLevel(self.isolation_level()?)
            } else if self.eat_kws(&["read", "only"]) {
                TransactionMode::ReadOnly(true)
            } else if self.eat_kws(&["read", "write"]) {
                TransactionMode::ReadOnly(false)
            } else if self.eat_kw("deferrable") {
                TransactionMode::Deferrable(true)
            } else if self.eat_kws(&["not", "deferrable"]) {
                TransactionMode::Deferrable(false)
            } else if modes.is_empty() {
                return Ok(modes);
            } else {
                return self.fail();
            };
            modes.push(mode);
            if !self.eat(&Tok::Comma)
                && !self.is_any_kw(&["isolation", "read", "deferrable", "not"])
            {
                return Ok(modes);
            }
        }
    }

    /// SERIALIZABLE | REPEATABLE READ | READ COMMITTED | READ UNCOMMITTED.
    fn isolation_level(&mut self) -> PResult<IsolationLevel> {
        if self.eat_kw("serializable") {
            return Ok(IsolationLevel::Serializable);
        }
        if self.eat_kws(&["repeatable", "read"]) {
            return Ok(IsolationLevel::RepeatableRead);
        }
        self.expect_kw("read")?;
        if self.eat_kw("committed") {
            return Ok(IsolationLevel::ReadCommitted);
        }
        self.expect_kw("uncommitted")?;
        Ok(IsolationLevel::ReadUncommitted)
    }

    /// `SET [SESSION | LOCAL] ...`.
    fn set(&mut self) -> PResult<Statement> {
        self.expect_kw("set")?;
        // LOCAL / SESSION are scope words unless they are the parameter's name.
        let scope_word =
            |p: &Self| !matches!(p.peek_nth(1), Tok::Op(o) if o == "=") && !p.is_kw_at(1, "to");
        let local = self.is_kw("local") && scope_word(self) && self.eat_kw("local");
        if !local
            && self.is_kw("session")
            && scope_word(self)
            && !self.is_kw_at(1, "characteristics")
            && !self.is_kw_at(1, "authorization")
        {
            self.advance();
        }
        if self.eat_kws(&["session", "characteristics", "as", "transaction"]) {
            let modes = self.transaction_modes()?;
            if modes.is_empty() {
                return self.fail();
            }
            return Ok(Statement::SetTransaction {
                modes,
                session: true,
            });
        }
        if self.eat_kw("transaction") {
            let modes = self.transaction_modes()?;
            if modes.is_empty() {
                return self.fail();
            }
            return Ok(Statement::SetTransaction {
                modes,
                session: false,
            });
        }
        let (name, value) = self.set_rest()?;
        Ok(Statement::Set { name, value, local })
    }

    /// The parameter and value(s) of SET.
    fn set_rest(&mut self) -> PResult<(String, Option<Vec<SetValue>>)> {
        if self.eat_kws(&["time", "zone"]) {
            return Ok(("timezone".into(), self.zone_value()?));
        }
        if self.eat_kws(&["session", "authorization"]) {
            // SET SESSION AUTHORIZATION user | DEFAULT (the session decides what it allows).
            if self.eat_kw("default") {
                return Ok(("session_authorization".into(), None));
            }
            return Ok((
                "session_authorization".into(),
                Some(vec![self.set_value()?]),
            ));
        }
        if self.is_kw("role")
            && !matches!(self.peek_nth(1), Tok::Op(o) if o == "=")
            && !self.is_kw_at(1, "to")
        {
            // SET ROLE name | NONE
            self.advance();
            return Ok(("role".into(), Some(vec![self.set_value()?])));
        }
        if self.eat_kw("names") {
            // SET NAMES ['encoding' | DEFAULT]
            let value = match self.peek().clone() {
                Tok::Str(s) => {
                    self.advance();
                    Some(vec![SetValue::String(s)])
                }
                _ => {
                    self.eat_kw("default");
                    None
                }
            };
            return Ok(("client_encoding".into(), value));
        }
        if self.is_kw("schema") && matches!(self.peek_nth(1), Tok::Str(_)) {
            self.advance();
            return Ok((
                "search_path".into(),
                Some(vec![SetValue::String(self.string()?)]),
            ));
        }
        let name = self.var_name()?;
        if !self.eat_kw("to") {
            self.expect_op("=")?;
        }
        if self.eat_kw("default") {
            return Ok((name, None));
        }
        let values = self.comma_list(Self::set_value)?;
        Ok((name, Some(values)))
    }

    /// `var_name`: `ColId ('.' ColId)*`, joined with dots.
    fn var_name(&mut self) -> PResult<String> {
        let mut name = self.col_id()?.name;
        while self.eat(&Tok::Dot) {
            name.push('.');
            name.push_str(&self.col_id()?.name);
        }
        Ok(name)
    }

    /// One SET value: a word, a string, a signed number, or DEFAULT.
    fn set_value(&mut self) -> PResult<SetValue> {
        let negative = self.eat_op("-");
        if !negative {
            self.eat_op("+");
        }
        let sign = if negative { "-" } else { "" };
        let value = match self.peek().clone() {
            Tok::Integer(n) | Tok::Decimal(n) => SetValue::Number(format!("{sign}{n}")),
            _ if negative => return self.fail(),
            Tok::Str(s) => SetValue::String(s),
            Tok::Word(w) if w == "default" => SetValue::Default,
            Tok::QuotedIdent(w) => SetValue::Ident(w),
            Tok::Word(w)
                if self.at_col_id() || matches!(w.as_str(), "true" | "false" | "on" | "all") =>
            {
                SetValue::Ident(w)
            }
            _ => return self.fail(),
        };
        self.advance();
        Ok(value)
    }

    /// `zone_value`: a string, identifier, number, `INTERVAL '...'`, LOCAL or DEFAULT.
    fn zone_value(&mut self) -> PResult<Option<Vec<SetValue>>> {
        if self.eat_kw("default") {
            return Ok(None);
        }
        if self.eat_kw("local") {
            return Ok(Some(vec![SetValue::Default]));
        }
        if self.eat_kw("interval") {
            let value = self.string()?;
            self.interval_fields()?;
            return Ok(Some(vec![SetValue::String(value)]));
        }
        Ok(Some(vec![self.set_value()?]))
    }

    /// `SHOW name | ALL | TIME ZONE | TRANSACTION ISOLATION LEVEL | SESSION AUTHORIZATION`.
    fn show(&mut self) -> PResult<Statement> {
        self.expect_kw("show")?;
        Ok(Statement::Show(self.config_name()?))
    }

    /// `RESET name | ALL | TIME ZONE | ...`.
    fn reset_stmt(&mut self) -> PResult<Statement> {
        self.expect_kw("reset")?;
        Ok(Statement::Reset(self.config_name()?))
    }

    /// The parameter named by SHOW / RESET, with the special spellings.
    fn config_name(&mut self) -> PResult<String> {
        if self.eat_kws(&["time", "zone"]) {
            return Ok("timezone".into());
        }
        if self.eat_kws(&["transaction", "isolation", "level"]) {
            return Ok("transaction_isolation".into());
        }
        if self.eat_kws(&["session", "authorization"]) {
            return Ok("session_authorization".into());
        }
        if self.eat_kw("all") {
            return Ok("all".into());
        }
        self.var_name()
    }

    /// `EXPLAIN [ANALYZE] [VERBOSE] stmt` or `EXPLAIN (option [value], ...) stmt`.
    fn explain(&mut self) -> PResult<Statement> {
        self.expect_kw("explain")?;
        let mut analyze = false;
        if self.is(&Tok::LParen) && !self.at_paren_query() && self.peek_nth(1) != &Tok::LParen {
            self.advance();
            let options = self.comma_list(|p| {
                let name = p.col_label()?.name;
                let value = p.opt_option_value()?;
                Ok((name, value))
            })?;
            self.expect(&Tok::RParen)?;
            for (name, value) in options {
                if name == "analyze" || name == "analyse" {
                    analyze = !matches!(value.as_deref(), Some("false" | "off" | "0"));
                }
            }
        } else {
            analyze = self.eat_kw("analyze") || self.eat_kw("analyse");
            self.eat_kw("verbose");
        }
        let statement = Box::new(self.explainable()?);
        Ok(Statement::Explain { analyze, statement })
    }

    /// The statements EXPLAIN and PREPARE accept.
    fn explainable(&mut self) -> PResult<Statement> {
        let ok = self.is(&Tok::LParen)
            || self.is_any_kw(&[
                "select", "values", "with", "table", "insert", "update", "delete", "execute",
            ])
            || (self.is_kw("create") && self.is_kw_at(1, "table"));
        if !ok {
            return self.fail();
        }
        self.statement()
    }

    /// `PREPARE name [(types)] AS stmt`.
    fn prepare(&mut self) -> PResult<Statement> {
        self.expect_kw("prepare")?;
        let name = self.col_id()?;
        let param_types = if self.eat(&Tok::LParen) {
            let types = self.comma_list(Self::type_name)?;
            self.expect(&Tok::RParen)?;
            types
        } else {
            Vec::new()
        };
        self.expect_kw("as")?;
        if !self.is(&Tok::LParen)
            && !self.is_any_kw(&[
                "select", "values", "with", "table", "insert", "update", "delete",
            ])
        {
            return self.fail();
        }
        let statement = Box::new(self.statement()?);
        Ok(Statement::Prepare {
            name,
            param_types,
            statement,
        })
    }

    /// `EXECUTE name [(args)]`.
    fn execute(&mut self) -> PResult<Statement> {
        self.expect_kw("execute")?;
        let name = self.col_id()?;
        let args = if self.eat(&Tok::LParen) {
            let args = self.expr_list()?;
            self.expect(&Tok::RParen)?;
            args
        } else {
            Vec::new()
        };
        Ok(Statement::Execute { name, args })
    }

    /// `DEALLOCATE [PREPARE] {name | ALL}`.
    fn deallocate(&mut self) -> PResult<Statement> {
        self.expect_kw("deallocate")?;
        if self.is_kw_at(1, "all") {
            self.eat_kw("prepare");
        } else {
            self.eat_word_before_name("prepare");
        }
        if self.eat_kw("all") {
            return Ok(Statement::Deallocate(None));
        }
        Ok(Statement::Deallocate(Some(self.col_id()?)))
    }

    /// `DISCARD {ALL | PLANS | SEQUENCES | TEMP | TEMPORARY}`.
    fn discard(&mut self) -> PResult<Statement> {
        self.expect_kw("discard")?;
        let what = match self.peek() {
            Tok::Word(w) if matches!(w.as_str(), "all" | "plans" | "sequences" | "temp") => {
                w.clone()
            }
            Tok::Word(w) if w == "temporary" => "temp".to_string(),
            _ => return self.fail(),
        };
        self.advance();
        Ok(Statement::Discard(what))
    }

    /// `VACUUM [FULL] [FREEZE] [VERBOSE] [ANALYZE] [tables]`, `VACUUM (opts) [tables]`,
    /// `ANALYZE [VERBOSE] [tables]`, `CHECKPOINT`.
    fn maintenance(&mut self) -> PResult<Statement> {
        let Tok::Word(first) = self.take() else {
            return self.fail();
        };
        if first == "checkpoint" {
            return Ok(Statement::Maintenance("CHECKPOINT".into()));
        }
        if self.is(&Tok::LParen) {
            self.advance();
            self.comma_list(|p| {
                p.col_label()?;
                p.opt_option_value()?;
                Ok(())
            })?;
            self.expect(&Tok::RParen)?;
        } else {
            for flag in ["full", "freeze", "verbose", "analyze", "analyse"] {
                if first == "vacuum" || flag == "verbose" {
                    self.eat_kw(flag);
                }
            }
        }
        if self.at_col_id() {
            self.comma_list(|p| {
                p.qualified_name()?;
                if p.is(&Tok::LParen) {
                    p.paren_name_list()?;
                }
                Ok(())
            })?;
        }
        let tag = if first == "vacuum" {
            "VACUUM"
        } else {
            "ANALYZE"
        };
        Ok(Statement::Maintenance(tag.into()))
    }
}
