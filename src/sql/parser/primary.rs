//! Primary expressions (`c_expr` and `AexprConst` in gram.y): literals,
//! typed literals, column references, parameters, parenthesized expressions,
//! rows, scalar subqueries, CASE, CAST, ARRAY, EXISTS, subscripts.
//!
//! A word's keyword category decides what it may be: a reserved word only
//! starts its own construct (`CASE`, `NULL`...); a column-name keyword is a
//! column or a type in a typed literal (`timestamp '...'`), never a function;
//! a type/function-name keyword (`left`) is only a function; anything else is
//! a column, a function call or a typed literal (`date '2024-01-02'`),
//! decided by the next token.

use super::ast::{Expr, Ident, Literal, ObjectName, Query, TypeName};
use super::cursor::{PResult, Parser};
use super::keywords::Category;
use super::lexer::Tok;
use crate::error::SqlState;

impl Parser<'_> {
    /// One primary expression, with its subscripts.
    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        let literal = match self.peek() {
            Tok::Integer(s) => Literal::Integer(s.clone()),
            Tok::Decimal(s) => Literal::Decimal(s.clone()),
            Tok::Str(s) => Literal::String(s.clone()),
            Tok::BitStr => {
                return self.hard(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "bit string constants are not supported",
                    pos,
                );
            }
            &Tok::Param(index) => {
                self.advance();
                return self.indirection(Expr::Parameter { index, pos });
            }
            Tok::LParen => return self.paren_primary(),
            Tok::National => {
                // N'...': a bpchar literal.
                self.advance();
                let value = self.string()?;
                let ty = TypeName {
                    name: "bpchar".into(),
                    modifiers: Vec::new(),
                    array: false,
                };
                return Ok(Expr::TypedString { ty, value, pos });
            }
            Tok::Word(w) => {
                let w = w.clone();
                return self.word_primary(&w);
            }
            Tok::QuotedIdent(_) => return self.name_primary(),
            _ => return self.fail(),
        };
        self.advance();
        Ok(Expr::Literal(literal))
    }

    /// A primary starting with an unquoted word.
    fn word_primary(&mut self, w: &str) -> PResult<Expr> {
        let paren_next = self.peek_nth(1) == &Tok::LParen;
        match w {
            "null" | "true" | "false" => {
                self.advance();
                return Ok(Expr::Literal(match w {
                    "null" => Literal::Null,
                    "true" => Literal::Bool(true),
                    _ => Literal::Bool(false),
                }));
            }
            "case" => return self.case_expr(),
            "cast" => return self.cast_expr(),
            "array" => return self.array_expr(),
            "default" if !self.b_mode => {
                self.advance();
                return Ok(Expr::Default);
            }
            "exists" if paren_next => {
                self.advance();
                let query = Box::new(self.paren_query()?);
                return Ok(Expr::Exists {
                    query,
                    negated: false,
                });
            }
            "row" if paren_next => {
                self.advance();
                self.advance();
                let items = if self.is(&Tok::RParen) {
                    Vec::new()
                } else {
                    self.expr_list()?
                };
                self.expect(&Tok::RParen)?;
                return Ok(Expr::Row(items));
            }
            _ => {}
        }
        if let Some(e) = self.keyword_function()? {
            return Ok(e);
        }
        if paren_next && let Some(e) = self.special_function(w)? {
            return Ok(e);
        }
        if self.at_type_keyword()
            && let Some(e) = self.attempt(Self::typed_literal)?
        {
            return Ok(e);
        }
        match self.category() {
            Some(Category::Reserved) => self.fail(),
            _ => self.name_primary(),
        }
    }

    /// `ConstTypename Sconst` / `INTERVAL [(p)] Sconst [fields]`.
    fn typed_literal(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        if !self.eat_kw("interval") {
            let ty = self.simple_type_name()?;
            let value = self.string()?;
            return Ok(Expr::TypedString { ty, value, pos });
        }
        let mut modifiers = Vec::new();
        if self.eat(&Tok::LParen) {
            modifiers.push(self.signed_int()?);
            self.expect(&Tok::RParen)?;
        }
        let mut value = self.string()?;
        if modifiers.is_empty()
            && let Some(fields) = self.interval_fields()?
        {
            self.apply_interval_unit(&mut value, &fields)?;
        }
        let ty = TypeName {
            name: "interval".into(),
            modifiers,
            array: false,
        };
        Ok(Expr::TypedString { ty, value, pos })
    }

    /// `INTERVAL '1' DAY`: a bare number takes the unit of the field
    /// (PostgreSQL's reading); other texts are left to the interval parser.
    fn apply_interval_unit(&mut self, value: &mut String, fields: &str) -> PResult<()> {
        if fields == "second" && self.eat(&Tok::LParen) {
            self.signed_int()?;
            self.expect(&Tok::RParen)?;
        }
        let unit = fields.rsplit(' ').next().unwrap_or(fields);
        let digits = value.trim().trim_start_matches(['-', '+']);
        let numeric = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
        if numeric {
            value.push(' ');
            value.push_str(unit);
        }
        Ok(())
    }

    /// A column reference, function call or `func_name Sconst` typed literal.
    fn name_primary(&mut self) -> PResult<Expr> {
        let category = self.category();
        let quoted = matches!(self.peek(), Tok::QuotedIdent(_));
        let first = self.col_label()?;
        let mut parts = vec![first];
        while self.is(&Tok::Dot) {
            if matches!(self.peek_nth(1), Tok::Op(o) if o == "*") {
                // `t.*` inside an expression (`count(t.*)`): a last part named "*".
                if category == Some(Category::TypeFunc) && parts.len() == 1 && !quoted {
                    self.advance();
                    return self.fail();
                }
                self.advance();
                let pos = self.pos();
                self.advance();
                parts.push(Ident {
                    name: "*".into(),
                    pos,
                });
                return Ok(Expr::Column(ObjectName(parts)));
            }
            self.advance();
            parts.push(self.col_label()?);
        }
        let single = parts.len() == 1 && !quoted;
        let name = ObjectName(parts);
        match self.peek() {
            Tok::LParen if single && category == Some(Category::ColName) => self.fail(),
            Tok::LParen => {
                let call = self.function_call(name)?;
                let has_args = matches!(&call, Expr::Function(f) if !f.args.is_empty());
                if has_args && matches!(self.peek(), Tok::Str(_)) {
                    // `func_name '(' args ')' Sconst`: a typed literal with modifiers.
                    return self.modified_typed_literal(call);
                }
                Ok(call)
            }
            Tok::Str(_) if !(single && category == Some(Category::ColName)) => {
                let pos = name.0[0].pos;
                let value = self.string()?;
                let ty = TypeName {
                    name: name.base().name.clone(),
                    modifiers: Vec::new(),
                    array: false,
                };
                Ok(Expr::TypedString { ty, value, pos })
            }
            _ if single && category == Some(Category::TypeFunc) => self.fail(),
            _ => self.indirection(Expr::Column(name)),
        }
    }

    /// `varchar(10) 'x'` parsed as a call then a string: the call's name is
    /// the type and its arguments the modifiers.
    fn modified_typed_literal(&mut self, call: Expr) -> PResult<Expr> {
        let Expr::Function(f) = call else {
            return self.fail();
        };
        let plain = !f.star
            && !f.distinct
            && f.order_by.is_empty()
            && f.filter.is_none()
            && f.over.is_none();
        if !plain {
            return self.fail();
        }
        let pos = f.name.0[0].pos;
        let mut modifiers = Vec::with_capacity(f.args.len());
        for arg in &f.args {
            match super::types::modifier_value(arg) {
                Some(v) => modifiers.push(v),
                None => self.defer(
                    crate::error::Error::sql(
                        SqlState::SYNTAX_ERROR,
                        "type modifiers must be simple constants or identifiers",
                    )
                    .with_position(pos),
                ),
            }
        }
        let value = self.string()?;
        let ty = TypeName {
            name: f.name.base().name.clone(),
            modifiers,
            array: false,
        };
        Ok(Expr::TypedString { ty, value, pos })
    }

    /// Subscripts after a column, parameter or parenthesized expression.
    fn indirection(&mut self, mut expr: Expr) -> PResult<Expr> {
        let mut depth = 0;
        let result = loop {
            if !self.eat(&Tok::LBracket) {
                break Ok(expr);
            }
            depth += 1;
            let index = self.chain().and_then(|()| self.expr());
            match index.and_then(|i| self.expect(&Tok::RBracket).map(|()| i)) {
                Ok(index) => {
                    expr = Expr::Subscript {
                        expr: Box::new(expr),
                        index: Box::new(index),
                    }
                }
                Err(e) => break Err(e),
            }
        };
        self.unchain(depth);
        result
    }

    /// True when the current `(` opens a query: after any further `(`s comes
    /// SELECT, VALUES, WITH or TABLE.
    pub(super) fn at_paren_query(&self) -> bool {
        if self.peek() != &Tok::LParen {
            return false;
        }
        let mut n = 1;
        while self.peek_nth(n) == &Tok::LParen {
            n += 1;
        }
        matches!(self.peek_nth(n), Tok::Word(w) if matches!(w.as_str(), "select" | "values" | "with" | "table"))
    }

    /// `select_with_parens`: `'(' query ')'`.
    pub(super) fn paren_query(&mut self) -> PResult<Query> {
        self.enter()?;
        let result = self.paren_query_inner();
        self.leave();
        result
    }

    fn paren_query_inner(&mut self) -> PResult<Query> {
        self.expect(&Tok::LParen)?;
        let q = self.query()?;
        self.expect(&Tok::RParen)?;
        Ok(q)
    }

    /// A parenthesized query at the current `(`, if there is one. A `(`
    /// directly followed by SELECT/VALUES/WITH/TABLE must be a query; after
    /// `((` it may also be an expression such as `((SELECT 1) + 1)`, so the
    /// query is tried and given up on a syntax failure.
    pub(super) fn opt_paren_query(&mut self) -> PResult<Option<Query>> {
        if !self.at_paren_query() {
            return Ok(None);
        }
        if self.peek_nth(1) != &Tok::LParen {
            return Ok(Some(self.paren_query()?));
        }
        self.attempt(Self::paren_query)
    }

    /// `'(' ...`: a subquery, a row `(a, b)` or a parenthesized expression.
    fn paren_primary(&mut self) -> PResult<Expr> {
        if let Some(q) = self.opt_paren_query()? {
            return self.indirection(Expr::Subquery(Box::new(q)));
        }
        self.enter()?;
        let result = self.paren_expr_or_row();
        self.leave();
        result
    }

    fn paren_expr_or_row(&mut self) -> PResult<Expr> {
        self.expect(&Tok::LParen)?;
        let first = self.expr()?;
        if self.eat(&Tok::Comma) {
            let mut items = vec![first];
            items.extend(self.expr_list()?);
            self.expect(&Tok::RParen)?;
            return Ok(Expr::Row(items));
        }
        self.expect(&Tok::RParen)?;
        self.indirection(first)
    }

    /// `CASE [arg] WHEN ... THEN ... [ELSE ...] END`.
    fn case_expr(&mut self) -> PResult<Expr> {
        self.expect_kw("case")?;
        self.enter()?;
        let operand = if self.is_kw("when") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut whens = Vec::new();
        while self.eat_kw("when") {
            let cond = self.expr()?;
            self.expect_kw("then")?;
            whens.push((cond, self.expr()?));
        }
        if whens.is_empty() {
            return self.fail();
        }
        let else_result = if self.eat_kw("else") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        self.expect_kw("end")?;
        self.leave();
        Ok(Expr::Case {
            operand,
            whens,
            else_result,
        })
    }

    /// `CAST '(' a_expr AS Typename ')'`.
    fn cast_expr(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        self.expect_kw("cast")?;
        self.expect(&Tok::LParen)?;
        let expr = self.expr()?;
        self.expect_kw("as")?;
        let ty = self.type_name()?;
        self.expect(&Tok::RParen)?;
        Ok(Expr::Cast {
            expr: Box::new(expr),
            ty,
            pos,
        })
    }

    /// `ARRAY[...]` or `ARRAY(subquery)`.
    fn array_expr(&mut self) -> PResult<Expr> {
        self.expect_kw("array")?;
        if self.is(&Tok::LParen) {
            let q = self.paren_query()?;
            return Ok(Expr::Array {
                elements: vec![Expr::Subquery(Box::new(q))],
                subquery: true,
            });
        }
        self.array_body()
    }

    /// `'[' [expr_list | array_body (',' array_body)*] ']'`.
    fn array_body(&mut self) -> PResult<Expr> {
        self.enter()?;
        self.expect(&Tok::LBracket)?;
        let elements = if self.is(&Tok::RBracket) {
            Vec::new()
        } else if self.is(&Tok::LBracket) {
            self.comma_list(Self::array_body)?
        } else {
            self.expr_list()?
        };
        self.expect(&Tok::RBracket)?;
        self.leave();
        Ok(Expr::Array {
            elements,
            subquery: false,
        })
    }
}
