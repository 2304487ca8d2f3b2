//! Queries: `[WITH ...] body [ORDER BY ...] [LIMIT/OFFSET/FETCH] [FOR UPDATE]`,
//! where the body is SELECT, VALUES, `TABLE t`, a parenthesized query, or set
//! operations over those.
//!
//! Set operations follow PostgreSQL's precedence: INTERSECT binds tighter than
//! UNION and EXCEPT, and all are left-associative, so
//! `a UNION b INTERSECT c EXCEPT d` is `(a UNION (b INTERSECT c)) EXCEPT d`.
//!
//! ORDER BY / LIMIT after a parenthesized query are merged into it, exactly
//! as PostgreSQL's `insertSelectOptions` does (so
//! `(SELECT ... LIMIT 3) ORDER BY x` sorts before limiting, as in
//! PostgreSQL), and a clause given twice is an error.

use super::ast::{
    Cte, Distinct, Expr, Ident, Literal, ObjectName, OrderByItem, Query, QueryBody, Select,
    SelectItem, SetOperator, TableRef, With,
};
use super::cursor::{PResult, Parser};
use super::lexer::Tok;
use crate::error::SqlState;

/// The clauses that may follow a query body.
#[derive(Default)]
struct Tail {
    order_by: Vec<OrderByItem>,
    order_pos: u32,
    limit: Option<Option<Expr>>,
    offset: Option<Expr>,
    locking: bool,
}

impl Parser<'_> {
    /// `SelectStmt`: a full query.
    pub(super) fn query(&mut self) -> PResult<Query> {
        self.enter()?;
        // A subquery inside a b_expr holds full expressions again.
        let outer = std::mem::replace(&mut self.b_mode, false);
        let result = self.query_inner();
        self.b_mode = outer;
        self.leave();
        result
    }

    fn query_inner(&mut self) -> PResult<Query> {
        let with = if self.is_kw("with") {
            Some(self.with_clause()?)
        } else {
            None
        };
        let body = self.set_expr(0)?;
        let tail = self.query_tail()?;
        self.assemble(with, body, tail)
    }

    /// Builds the query, merging the tail into a parenthesized body.
    fn assemble(&mut self, with: Option<With>, body: QueryBody, tail: Tail) -> PResult<Query> {
        let mut query = match body {
            QueryBody::Nested(inner) => *inner,
            body => Query {
                with: None,
                body,
                order_by: Vec::new(),
                limit: None,
                offset: None,
                locking: false,
            },
        };
        if with.is_some() {
            if query.with.is_some() {
                return self.hard(
                    SqlState::SYNTAX_ERROR,
                    "multiple WITH clauses not allowed",
                    self.pos(),
                );
            }
            query.with = with;
        }
        if !tail.order_by.is_empty() {
            if !query.order_by.is_empty() {
                return self.hard(
                    SqlState::SYNTAX_ERROR,
                    "multiple ORDER BY clauses not allowed",
                    tail.order_pos,
                );
            }
            query.order_by = tail.order_by;
        }
        if let Some(limit) = tail.limit {
            if query.limit.is_some() {
                return self.hard(
                    SqlState::SYNTAX_ERROR,
                    "multiple LIMIT clauses not allowed",
                    self.pos(),
                );
            }
            query.limit = limit;
        }
        if let Some(offset) = tail.offset {
            if query.offset.is_some() {
                return self.hard(
                    SqlState::SYNTAX_ERROR,
                    "multiple OFFSET clauses not allowed",
                    self.pos(),
                );
            }
            query.offset = Some(offset);
        }
        query.locking |= tail.locking;
        Ok(query)
    }

    /// `WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (query), ...`.
    fn with_clause(&mut self) -> PResult<With> {
        self.expect_kw("with")?;
        // `WITH recursive AS (...)` names a CTE "recursive".
        let recursive = self.is_kw("recursive") && self.at_col_id_at(1) && self.eat_kw("recursive");
        let ctes = self.comma_list(|p| {
            let name = p.col_id()?;
            let columns = if p.is(&Tok::LParen) {
                p.paren_name_list()?
            } else {
                Vec::new()
            };
            p.expect_kw("as")?;
            if !p.eat_kw("materialized") && p.eat_kw("not") {
                p.expect_kw("materialized")?;
            }
            let query = Box::new(p.paren_query()?);
            Ok(Cte {
                name,
                columns,
                query,
            })
        })?;
        Ok(With { recursive, ctes })
    }

    /// Set operations with INTERSECT above UNION/EXCEPT (both left-assoc).
    fn set_expr(&mut self, min: u8) -> PResult<QueryBody> {
        let mut ops = 0;
        let result = self.set_ops(min, &mut ops);
        self.unchain(ops);
        result
    }

    /// The loop of [`Parser::set_expr`]; counts operators in `ops` for the
    /// tree-depth bound.
    fn set_ops(&mut self, min: u8, ops: &mut usize) -> PResult<QueryBody> {
        let mut left = self.set_operand()?;
        loop {
            let (op, level) = match self.peek() {
                Tok::Word(w) if w == "union" => (SetOperator::Union, 1),
                Tok::Word(w) if w == "except" => (SetOperator::Except, 1),
                Tok::Word(w) if w == "intersect" => (SetOperator::Intersect, 2),
                _ => break,
            };
            if level < min {
                break;
            }
            self.advance();
            self.chain()?;
            *ops += 1;
            let all = self.eat_kw("all");
            if !all {
                self.eat_kw("distinct");
            }
            let right = self.set_expr(level + 1)?;
            left = QueryBody::SetOp {
                op,
                all,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
        Ok(left)
    }

    /// One operand of a set operation.
    fn set_operand(&mut self) -> PResult<QueryBody> {
        match self.peek() {
            Tok::Word(w) if w == "select" => Ok(QueryBody::Select(Box::new(self.select()?))),
            Tok::Word(w) if w == "values" => self.values(),
            Tok::Word(w) if w == "table" => {
                self.advance();
                let pos = self.pos();
                let name = self.relation_name()?;
                Ok(QueryBody::Select(Box::new(Select {
                    distinct: Distinct::None,
                    items: vec![SelectItem::Wildcard { pos }],
                    from: vec![TableRef::Table {
                        name,
                        system_time: None,
                        alias: None,
                    }],
                    selection: None,
                    group_by: Vec::new(),
                    having: None,
                })))
            }
            Tok::LParen => {
                let q = self.paren_query()?;
                let plain = q.with.is_none()
                    && q.order_by.is_empty()
                    && q.limit.is_none()
                    && q.offset.is_none()
                    && !q.locking;
                Ok(if plain {
                    q.body
                } else {
                    QueryBody::Nested(Box::new(q))
                })
            }
            _ => self.fail(),
        }
    }

    /// `VALUES (a, b), (c, d)`.
    fn values(&mut self) -> PResult<QueryBody> {
        self.expect_kw("values")?;
        let rows = self.comma_list(|p| {
            p.expect(&Tok::LParen)?;
            let row = p.expr_list()?;
            p.expect(&Tok::RParen)?;
            Ok(row)
        })?;
        Ok(QueryBody::Values(rows))
    }

    /// `SELECT [ALL | DISTINCT [ON (...)]] items [FROM] [WHERE] [GROUP BY] [HAVING]`.
    fn select(&mut self) -> PResult<Select> {
        self.expect_kw("select")?;
        let distinct = if self.eat_kw("distinct") {
            if self.eat_kw("on") {
                self.expect(&Tok::LParen)?;
                let exprs = self.expr_list()?;
                self.expect(&Tok::RParen)?;
                Distinct::On(exprs)
            } else {
                Distinct::All
            }
        } else {
            self.eat_kw("all");
            Distinct::None
        };
        let items = if self.at_select_item() || distinct != Distinct::None {
            self.select_items()?
        } else {
            Vec::new()
        };
        let from = if self.eat_kw("from") {
            self.table_refs()?
        } else {
            Vec::new()
        };
        let selection = self.opt_where()?;
        let group_by = if self.eat_kws(&["group", "by"]) {
            if !self.eat_kw("all") {
                self.eat_kw("distinct");
            }
            self.expr_list()?
        } else {
            Vec::new()
        };
        let having = if self.eat_kw("having") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Select {
            distinct,
            items,
            from,
            selection,
            group_by,
            having,
        })
    }

    /// `[WHERE a_expr]`.
    pub(super) fn opt_where(&mut self) -> PResult<Option<Expr>> {
        if self.eat_kw("where") {
            Ok(Some(self.expr()?))
        } else {
            Ok(None)
        }
    }

    /// True when a select-list item starts here.
    fn at_select_item(&self) -> bool {
        self.is_op("*") || self.starts_operand(0)
    }

    /// `target_list`: select items separated by commas.
    pub(super) fn select_items(&mut self) -> PResult<Vec<SelectItem>> {
        self.comma_list(Self::select_item)
    }

    /// `*`, `t.*`, or `expr [[AS] label]`.
    fn select_item(&mut self) -> PResult<SelectItem> {
        let pos = self.pos();
        if self.eat_op("*") {
            return Ok(SelectItem::Wildcard { pos });
        }
        if let Some(parts) = self.qualified_wildcard_len() {
            let mut names = Vec::new();
            for _ in 0..parts {
                names.push(self.col_label()?);
                self.expect(&Tok::Dot)?;
            }
            self.expect_op("*")?;
            // PostgreSQL accepts (and ignores) an alias on `t.*`.
            self.opt_column_alias()?;
            return Ok(SelectItem::QualifiedWildcard(ObjectName(names)));
        }
        let expr = self.expr_before_alias(0)?;
        let alias = self.opt_column_alias()?;
        Ok(SelectItem::Expr { expr, alias })
    }

    /// `[AS ColLabel | BareColLabel]`.
    fn opt_column_alias(&mut self) -> PResult<Option<Ident>> {
        if self.eat_kw("as") {
            Ok(Some(self.col_label()?))
        } else {
            Ok(self.eat_bare_col_label())
        }
    }

    /// If `name(.name)*.*` starts here, the number of name parts.
    fn qualified_wildcard_len(&self) -> Option<usize> {
        if !self.at_col_id() {
            return None;
        }
        let mut n = 1;
        while self.peek_nth(n) == &Tok::Dot {
            match self.peek_nth(n + 1) {
                Tok::Op(o) if o == "*" => return Some(n.div_ceil(2)),
                Tok::Word(_) | Tok::QuotedIdent(_) => n += 2,
                _ => return None,
            }
        }
        None
    }

    /// ORDER BY, LIMIT / OFFSET / FETCH and locking clauses, in any order,
    /// each at most once.
    fn query_tail(&mut self) -> PResult<Tail> {
        let mut tail = Tail::default();
        if self.eat_kws(&["order", "by"]) {
            tail.order_pos = self.pos();
            tail.order_by = self.sort_list()?;
        }
        loop {
            if self.is_kw("limit") && tail.limit.is_none() {
                tail.limit = Some(self.limit_clause()?);
            } else if self.is_kw("fetch") && tail.limit.is_none() {
                tail.limit = Some(Some(self.fetch_clause()?));
            } else if self.eat_kw("offset") && tail.offset.is_none() {
                tail.offset = Some(self.expr()?);
                if !self.eat_kw("rows") {
                    self.eat_kw("row");
                }
            } else if self.is_kw("for") && !tail.locking {
                self.locking_clause()?;
                tail.locking = true;
            } else {
                return Ok(tail);
            }
        }
    }

    /// `LIMIT n | LIMIT ALL` (`None`); `LIMIT a, b` is refused as in PostgreSQL.
    fn limit_clause(&mut self) -> PResult<Option<Expr>> {
        let pos = self.pos();
        self.expect_kw("limit")?;
        if self.eat_kw("all") {
            return Ok(None);
        }
        let e = self.expr()?;
        if self.is(&Tok::Comma) {
            return self.hard_hint(
                SqlState::FEATURE_NOT_SUPPORTED,
                "LIMIT #,# syntax is not supported",
                "Use separate LIMIT and OFFSET clauses.",
                pos,
            );
        }
        Ok(Some(e))
    }

    /// `FETCH {FIRST|NEXT} [n] {ROW|ROWS} ONLY`.
    fn fetch_clause(&mut self) -> PResult<Expr> {
        self.expect_kw("fetch")?;
        if !self.eat_kw("first") {
            self.expect_kw("next")?;
        }
        let row_word = |p: &Self, n| p.is_kw_at(n, "row") || p.is_kw_at(n, "rows");
        let count = if row_word(self, 0) && !row_word(self, 1) {
            Expr::Literal(Literal::Integer("1".into()))
        } else {
            self.b_expr()?
        };
        if !self.eat_kw("rows") {
            self.expect_kw("row")?;
        }
        if self.is_kw("with") && self.is_kw_at(1, "ties") {
            let pos = self.pos();
            return self.hard(
                SqlState::FEATURE_NOT_SUPPORTED,
                "FETCH ... WITH TIES is not supported",
                pos,
            );
        }
        self.expect_kw("only")?;
        Ok(count)
    }

    /// `FOR {UPDATE | NO KEY UPDATE | SHARE | KEY SHARE} [OF names] [NOWAIT | SKIP LOCKED]`, repeated.
    fn locking_clause(&mut self) -> PResult<()> {
        while self.is_kw("for") {
            self.advance();
            if !(self.eat_kw("update")
                || self.eat_kw("share")
                || self.eat_kws(&["no", "key", "update"])
                || self.eat_kws(&["key", "share"]))
            {
                return self.fail();
            }
            if self.eat_kw("of") {
                self.comma_list(Self::qualified_name)?;
            }
            if !self.eat_kw("nowait") {
                self.eat_kws(&["skip", "locked"]);
            }
        }
        Ok(())
    }

    /// `sortby_list`: `a_expr [ASC | DESC] [NULLS FIRST | NULLS LAST]`, ...
    pub(super) fn sort_list(&mut self) -> PResult<Vec<OrderByItem>> {
        self.comma_list(Self::sort_item)
    }

    fn sort_item(&mut self) -> PResult<OrderByItem> {
        let expr = self.expr()?;
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

    /// `NULLS FIRST` / `NULLS LAST` (NULLS counts only before FIRST or LAST,
    /// PostgreSQL's NULLS_LA token).
    pub(super) fn opt_nulls_order(&mut self) -> Option<bool> {
        if !self.is_kw("nulls") {
            return None;
        }
        let first = match self.peek_nth(1) {
            Tok::Word(w) if w == "first" => true,
            Tok::Word(w) if w == "last" => false,
            _ => return None,
        };
        self.advance();
        self.advance();
        Some(first)
    }
}
