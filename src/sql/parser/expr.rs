//! Expressions, by precedence climbing with PostgreSQL 15's precedence table.
//!
//! ```text
//!  level  operators (loosest first)                         associativity
//!    1    OR                                                left
//!    2    AND                                               left
//!    3    NOT (prefix)                                      right
//!    4    IS ..., ISNULL, NOTNULL                           postfix (IS DISTINCT FROM: non-assoc)
//!    5    =  <>  !=  <  >  <=  >=                           non-associative
//!    6    [NOT] BETWEEN / IN / LIKE / ILIKE / SIMILAR TO    non-associative (IN: postfix)
//!    7    ESCAPE                                            (inside LIKE)
//!    8    any other operator: || ~ @> -> ->> ~~ OPERATOR()  left (prefix ~ too)
//!    9    +  -                                              left
//!   10    *  /  %                                           left
//!   11    ^                                                 left
//!   12    AT TIME ZONE                                      left
//!   13    COLLATE                                           postfix
//!   14    unary + -                                         right
//!   17    ::                                                postfix
//! ```
//!
//! [`Parser::expr_bp`] parses a prefix or primary expression, then folds in
//! every infix/postfix operator whose level is at least the caller's minimum:
//! a left-associative operator parses its right side one level higher, a
//! right-associative one at its own level. A non-associative operator at level
//! `p` forbids another level-`p` operator right after its right operand
//! (`a = b = c` fails at the second `=`, as in PostgreSQL), while postfix
//! forms (`IS NULL`, `IN (...)`) may repeat, also as in PostgreSQL.
//!
//! Keywords that are operators (`AND`, `BETWEEN`, `IS`, `COLLATE`...) are
//! also valid bare column aliases (`SELECT 1 and` labels the column "and");
//! like PostgreSQL's LR(1) parser, such a word is taken as an operator only
//! when the next token can continue the expression.

use super::ast::{BinaryOp, Expr, FunctionCall, ObjectName, UnaryOp};
use super::cursor::{PResult, Parser};
use super::keywords::Category;
use super::lexer::Tok;
use crate::error::{Error, SqlState};

/// OR
pub(super) const P_OR: u8 = 1;
/// AND
const P_AND: u8 = 2;
/// NOT (prefix)
const P_NOT: u8 = 3;
/// IS, ISNULL, NOTNULL
const P_IS: u8 = 4;
/// comparison operators
const P_CMP: u8 = 5;
/// BETWEEN, IN, LIKE, ILIKE, SIMILAR
const P_LIKE: u8 = 6;
/// other operators
const P_OP: u8 = 8;
/// + -
const P_ADD: u8 = 9;
/// * / %
const P_MUL: u8 = 10;
/// ^
const P_POW: u8 = 11;
/// AT TIME ZONE
const P_AT: u8 = 12;
/// COLLATE
const P_COLLATE: u8 = 13;
/// unary minus / plus
const P_UMINUS: u8 = 14;
/// ::
const P_CAST: u8 = 17;

/// Reserved keywords that can begin an expression.
const EXPR_RESERVED: &[&str] = &[
    "array",
    "case",
    "cast",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "false",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "session_user",
    "true",
    "user",
];

/// What an operator symbol means at level 8.
enum OpMeaning {
    Binary(BinaryOp),
    Like {
        negated: bool,
        ci: bool,
    },
    /// An operator DriftDB does not have (symbol, position).
    Unknown(String, u32),
}

/// Maps a generic (level 8) operator symbol.
fn op_meaning(sym: &str) -> Option<OpMeaning> {
    use BinaryOp::*;
    let op = match sym {
        "||" => Concat,
        "~" => RegexMatch,
        "~*" => RegexIMatch,
        "!~" => RegexNotMatch,
        "!~*" => RegexNotIMatch,
        "&" => BitAnd,
        "|" => BitOr,
        "#" => BitXor,
        "<<" => ShiftLeft,
        ">>" => ShiftRight,
        "@>" => Contains,
        "<@" => ContainedBy,
        "->" => JsonGet,
        "->>" => JsonGetText,
        "~~" => {
            return Some(OpMeaning::Like {
                negated: false,
                ci: false,
            });
        }
        "~~*" => {
            return Some(OpMeaning::Like {
                negated: false,
                ci: true,
            });
        }
        "!~~" => {
            return Some(OpMeaning::Like {
                negated: true,
                ci: false,
            });
        }
        "!~~*" => {
            return Some(OpMeaning::Like {
                negated: true,
                ci: true,
            });
        }
        _ => return symbol_op(sym),
    };
    Some(OpMeaning::Binary(op))
}

/// The operators with their own precedence, as BinaryOp (also used inside
/// `OPERATOR(pg_catalog.=)`, where they take level 8).
fn symbol_op(sym: &str) -> Option<OpMeaning> {
    use BinaryOp::*;
    let op = match sym {
        "=" => Eq,
        "<>" | "!=" => NotEq,
        "<" => Lt,
        "<=" => LtEq,
        ">" => Gt,
        ">=" => GtEq,
        "+" => Plus,
        "-" => Minus,
        "*" => Multiply,
        "/" => Divide,
        "%" => Modulo,
        "^" => Power,
        _ => return None,
    };
    Some(OpMeaning::Binary(op))
}

/// The level of an operator symbol in infix position.
fn op_level(sym: &str) -> u8 {
    match sym {
        "=" | "<>" | "<" | ">" | "<=" | ">=" => P_CMP,
        "+" | "-" => P_ADD,
        "*" | "/" | "%" => P_MUL,
        "^" => P_POW,
        _ => P_OP,
    }
}

fn binary(op: BinaryOp, left: Expr, right: Expr, pos: u32) -> Expr {
    Expr::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
        pos,
    }
}

/// A call of a built-in function the grammar rewrites to (`timezone`,
/// `similar_to_escape`...).
pub(super) fn call(name: &str, pos: u32, args: Vec<Expr>) -> Expr {
    Expr::Function(Box::new(FunctionCall {
        name: ObjectName(vec![super::ast::Ident {
            name: name.to_string(),
            pos,
        }]),
        args,
        star: false,
        distinct: false,
        order_by: Vec::new(),
        filter: None,
        over: None,
    }))
}

impl Parser<'_> {
    /// `a_expr`: a full expression (also inside a `b_expr`, when nested in
    /// parentheses, function arguments, CASE...).
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        let outer = std::mem::replace(&mut self.b_mode, false);
        let result = self.expr_bp(0);
        self.b_mode = outer;
        result
    }

    /// `expr_list`: `a_expr (',' a_expr)*`.
    pub(super) fn expr_list(&mut self) -> PResult<Vec<Expr>> {
        self.comma_list(Self::expr)
    }

    /// `b_expr`: an expression without boolean operators, used where AND or
    /// a keyword follows (`BETWEEN x AND y`, `DEFAULT x NOT NULL`). It has
    /// arithmetic, other operators, comparisons, `IS [NOT] DISTINCT FROM`
    /// and casts, but no AND/OR/NOT, IS NULL, LIKE, IN, BETWEEN, COLLATE,
    /// AT TIME ZONE or DEFAULT (gram.y's `b_expr`); parentheses open a full
    /// expression again.
    pub(super) fn b_expr(&mut self) -> PResult<Expr> {
        self.b_expr_ctx(false)
    }

    /// A `b_expr` that an alias may follow (time points in FROM).
    pub(super) fn b_expr_before_alias(&mut self) -> PResult<Expr> {
        self.b_expr_ctx(true)
    }

    fn b_expr_ctx(&mut self, alias_follows: bool) -> PResult<Expr> {
        let outer = std::mem::replace(&mut self.b_mode, true);
        let result = self.expr_bp_ctx(0, alias_follows);
        self.b_mode = outer;
        result
    }

    /// An expression whose operators all bind at least as tightly as `min`.
    pub(super) fn expr_bp(&mut self, min: u8) -> PResult<Expr> {
        self.expr_bp_ctx(min, false)
    }

    /// An expression that a bare alias may follow (a select-list item, a
    /// time point before a table alias): a keyword operator not followed by
    /// a possible operand ends the expression instead, so it can be the alias.
    pub(super) fn expr_before_alias(&mut self, min: u8) -> PResult<Expr> {
        self.expr_bp_ctx(min, true)
    }

    fn expr_bp_ctx(&mut self, min: u8, alias_follows: bool) -> PResult<Expr> {
        self.enter()?;
        let result = self.expr_bp_inner(min, alias_follows);
        self.leave();
        result
    }

    fn expr_bp_inner(&mut self, min: u8, alias_follows: bool) -> PResult<Expr> {
        let mut lhs = self.prefix_expr()?;
        let mut blocked = None;
        let mut folds = 0;
        let result = loop {
            let Some(level) = self.infix_level(alias_follows) else {
                break Ok(lhs);
            };
            if level < min {
                break Ok(lhs);
            }
            if blocked == Some(level) {
                break self.fail();
            }
            if let Err(e) = self.chain() {
                break Err(e);
            }
            folds += 1;
            match self.infix(lhs, level) {
                Ok((expr, nonassoc)) => {
                    lhs = expr;
                    blocked = nonassoc.then_some(level);
                }
                Err(e) => break Err(e),
            }
        };
        self.unchain(folds);
        result
    }

    /// True when the token `n` ahead can begin an operand.
    pub(super) fn starts_operand(&self, n: usize) -> bool {
        match self.peek_nth(n) {
            Tok::Integer(_)
            | Tok::Decimal(_)
            | Tok::Str(_)
            | Tok::BitStr
            | Tok::Param(_)
            | Tok::National
            | Tok::LParen
            | Tok::QuotedIdent(_)
            | Tok::Op(_) => true,
            Tok::Word(w) => {
                self.category_at(n) != Some(Category::Reserved)
                    || EXPR_RESERVED.contains(&w.as_str())
            }
            _ => false,
        }
    }

    /// The level of the infix or postfix operator at the current token, if
    /// there is one. When an alias may follow (`alias_follows`), a keyword
    /// operator counts only if the next token can continue it (see the module
    /// docs); elsewhere it always does, as PostgreSQL's parser shifts it.
    fn infix_level(&self, alias_follows: bool) -> Option<u8> {
        let Tok::Word(w) = self.peek() else {
            return match self.peek() {
                Tok::Op(sym) => Some(op_level(sym)),
                Tok::DoubleColon => Some(P_CAST),
                _ => None,
            };
        };
        if self.b_mode {
            // Only IS [NOT] DISTINCT FROM and OPERATOR() are keyword operators in a b_expr.
            return match w.as_str() {
                "is" => Some(P_IS),
                "operator" => (self.peek_nth(1) == &Tok::LParen).then_some(P_OP),
                _ => None,
            };
        }
        let next_word_in = |words: &[&str]| matches!(self.peek_nth(1), Tok::Word(n) if words.contains(&n.as_str()));
        let (level, continues) = match w.as_str() {
            "or" => (P_OR, self.starts_operand(1)),
            "and" => (P_AND, self.starts_operand(1)),
            "is" => (
                P_IS,
                next_word_in(&["null", "not", "true", "false", "unknown", "distinct"]),
            ),
            "isnull" | "notnull" => return Some(P_IS),
            // NOT is an infix only before these words (NOT_LA in PostgreSQL's lexer).
            "not" => {
                return next_word_in(&["between", "in", "like", "ilike", "similar"])
                    .then_some(P_LIKE);
            }
            "between" => (
                P_LIKE,
                self.starts_operand(1) || next_word_in(&["symmetric", "asymmetric"]),
            ),
            "like" | "ilike" => (P_LIKE, self.starts_operand(1)),
            "in" => (P_LIKE, self.peek_nth(1) == &Tok::LParen),
            // SUBSTRING(x SIMILAR p ESCAPE e) uses SIMILAR without TO.
            "similar" => return self.is_kw_at(1, "to").then_some(P_LIKE),
            "at" => (P_AT, self.is_kw_at(1, "time")),
            "collate" => (
                P_COLLATE,
                matches!(self.peek_nth(1), Tok::Word(_) | Tok::QuotedIdent(_)),
            ),
            "operator" => (P_OP, self.peek_nth(1) == &Tok::LParen),
            _ => return None,
        };
        (continues || !alias_follows).then_some(level)
    }

    /// Applies the infix/postfix operator at the current token (of `level`)
    /// to `lhs`. Returns the new expression and whether it was a
    /// non-associative operator.
    fn infix(&mut self, lhs: Expr, level: u8) -> PResult<(Expr, bool)> {
        let pos = self.pos();
        match self.peek() {
            Tok::Op(sym) => {
                let sym = sym.clone();
                self.symbol_infix(lhs, &sym, level)
            }
            Tok::DoubleColon => {
                self.advance();
                let ty = self.type_name()?;
                Ok((
                    Expr::Cast {
                        expr: Box::new(lhs),
                        ty,
                        pos,
                    },
                    false,
                ))
            }
            Tok::Word(w) => {
                let w = w.clone();
                self.advance();
                self.keyword_infix(lhs, &w, pos)
            }
            _ => self.fail(),
        }
    }

    /// A symbolic operator (`=`, `+`, `||`, `~~`...) and its right side.
    fn symbol_infix(&mut self, lhs: Expr, sym: &str, level: u8) -> PResult<(Expr, bool)> {
        let pos = self.pos();
        self.advance();
        let Some(meaning) = op_meaning(sym) else {
            let rhs = self.expr_bp(level + 1)?;
            return Ok((self.unknown_operator(sym, pos, vec![lhs, rhs]), false));
        };
        self.apply_op(lhs, meaning, level, pos)
    }

    /// An operator DriftDB does not have: the statement still parses (so a
    /// syntax error later in it wins, as in PostgreSQL), then fails with
    /// "operator does not exist". The placeholder call is never executed.
    fn unknown_operator(&mut self, sym: &str, pos: u32, args: Vec<Expr>) -> Expr {
        self.defer(
            Error::sql(
                SqlState::UNDEFINED_FUNCTION,
                format!("operator does not exist: {sym}"),
            )
            .with_position(pos),
        );
        call(&format!("operator({sym})"), pos, args)
    }

    /// Builds `lhs op rhs` (or `lhs op ANY/ALL (...)`) for an operator at
    /// `level`.
    fn apply_op(
        &mut self,
        lhs: Expr,
        meaning: OpMeaning,
        level: u8,
        pos: u32,
    ) -> PResult<(Expr, bool)> {
        let nonassoc = level == P_CMP;
        match meaning {
            OpMeaning::Binary(op) => {
                if let Some(all) = self.eat_any_all() {
                    let right = self.any_all_operand()?;
                    let e = Expr::AnyAll {
                        left: Box::new(lhs),
                        op,
                        all,
                        right: Box::new(right),
                    };
                    return Ok((e, nonassoc));
                }
                let rhs = self.expr_bp(level + 1)?;
                Ok((binary(op, lhs, rhs, pos), nonassoc))
            }
            OpMeaning::Like { negated, ci } => {
                let pattern = self.expr_bp(level + 1)?;
                Ok((like(lhs, pattern, None, negated, ci), false))
            }
            OpMeaning::Unknown(sym, pos) => {
                let rhs = self.expr_bp(level + 1)?;
                Ok((self.unknown_operator(&sym, pos, vec![lhs, rhs]), false))
            }
        }
    }

    /// `ANY`, `SOME` or `ALL` (reserved words that cannot start an operand,
    /// so they are taken at once; the `(` must follow); returns ALL-ness.
    fn eat_any_all(&mut self) -> Option<bool> {
        let all = match self.peek() {
            Tok::Word(w) if w == "any" || w == "some" => false,
            Tok::Word(w) if w == "all" => true,
            _ => return None,
        };
        self.advance();
        Some(all)
    }

    /// `'(' subquery ')'` or `'(' a_expr ')'` after ANY/ALL.
    fn any_all_operand(&mut self) -> PResult<Expr> {
        if let Some(q) = self.opt_paren_query()? {
            return Ok(Expr::Subquery(Box::new(q)));
        }
        self.expect(&Tok::LParen)?;
        let e = self.expr()?;
        self.expect(&Tok::RParen)?;
        Ok(e)
    }

    /// Keyword operators; the keyword `w` at `pos` was consumed.
    fn keyword_infix(&mut self, lhs: Expr, w: &str, pos: u32) -> PResult<(Expr, bool)> {
        match w {
            "or" => Ok((
                binary(BinaryOp::Or, lhs, self.expr_bp(P_OR + 1)?, pos),
                false,
            )),
            "and" => Ok((
                binary(BinaryOp::And, lhs, self.expr_bp(P_AND + 1)?, pos),
                false,
            )),
            "is" => self.is_tail(lhs),
            "isnull" | "notnull" => Ok((
                Expr::IsNull {
                    expr: Box::new(lhs),
                    negated: w == "notnull",
                },
                false,
            )),
            "not" => {
                let Tok::Word(next) = self.take() else {
                    return self.fail();
                };
                self.like_level(lhs, &next, true)
            }
            "between" | "in" | "like" | "ilike" | "similar" => self.like_level(lhs, w, false),
            "at" => {
                self.expect_kws(&["time", "zone"])?;
                let zone = self.expr_bp(P_AT + 1)?;
                Ok((call("timezone", pos, vec![zone, lhs]), false))
            }
            "collate" => {
                let collation = self.any_name()?;
                Ok((
                    Expr::Collate {
                        expr: Box::new(lhs),
                        collation,
                    },
                    false,
                ))
            }
            "operator" => {
                let meaning = self.qualified_operator()?;
                self.apply_op(lhs, meaning, P_OP, pos)
            }
            _ => self.fail(),
        }
    }

    /// `OPERATOR '(' [schema '.'] op ')'` after the word OPERATOR.
    fn qualified_operator(&mut self) -> PResult<OpMeaning> {
        self.expect(&Tok::LParen)?;
        while self.at_col_id() {
            self.advance();
            self.expect(&Tok::Dot)?;
        }
        let pos = self.pos();
        let Tok::Op(sym) = self.peek().clone() else {
            return self.fail();
        };
        self.advance();
        self.expect(&Tok::RParen)?;
        Ok(op_meaning(&sym).unwrap_or(OpMeaning::Unknown(sym, pos)))
    }

    /// `any_name`: `ColId ('.' ColLabel)*` (collations).
    fn any_name(&mut self) -> PResult<ObjectName> {
        self.qualified_name()
    }

    /// After IS: `[NOT] NULL | TRUE | FALSE | UNKNOWN | DISTINCT FROM x`.
    fn is_tail(&mut self, lhs: Expr) -> PResult<(Expr, bool)> {
        let negated = self.eat_kw("not");
        let word = match self.peek() {
            Tok::Word(w) if !self.b_mode || w == "distinct" => w.clone(),
            _ => return self.fail(),
        };
        let expr = Box::new(lhs);
        let value = match word.as_str() {
            "null" => {
                self.advance();
                return Ok((Expr::IsNull { expr, negated }, false));
            }
            "true" => Some(true),
            "false" => Some(false),
            "unknown" => None,
            "distinct" => {
                self.advance();
                self.expect_kw("from")?;
                let right = self.expr_bp(P_IS + 1)?;
                let e = Expr::IsDistinctFrom {
                    left: expr,
                    right: Box::new(right),
                    negated,
                };
                return Ok((e, true));
            }
            _ => return self.fail(),
        };
        self.advance();
        Ok((
            Expr::IsBool {
                expr,
                value,
                negated,
            },
            false,
        ))
    }

    /// BETWEEN / IN / LIKE / ILIKE / SIMILAR TO (the keyword `w` consumed).
    fn like_level(&mut self, lhs: Expr, w: &str, negated: bool) -> PResult<(Expr, bool)> {
        let expr = Box::new(lhs);
        match w {
            "between" => {
                let symmetric = self.eat_kw("symmetric");
                if !symmetric {
                    self.eat_kw("asymmetric");
                }
                let low = self.b_expr()?;
                self.expect_kw("and")?;
                let high = self.expr_bp(P_LIKE + 1)?;
                let e = Expr::Between {
                    expr,
                    low: Box::new(low),
                    high: Box::new(high),
                    negated,
                    symmetric,
                };
                Ok((e, true))
            }
            "in" => {
                if let Some(q) = self.opt_paren_query()? {
                    let query = Box::new(q);
                    return Ok((
                        Expr::InSubquery {
                            expr,
                            query,
                            negated,
                        },
                        false,
                    ));
                }
                self.expect(&Tok::LParen)?;
                let list = self.expr_list()?;
                self.expect(&Tok::RParen)?;
                Ok((
                    Expr::InList {
                        expr,
                        list,
                        negated,
                    },
                    false,
                ))
            }
            "like" | "ilike" => {
                let pattern = self.expr_bp(P_LIKE + 1)?;
                let escape = self.opt_escape()?;
                Ok((like(*expr, pattern, escape, negated, w == "ilike"), true))
            }
            "similar" => {
                let pos = self.pos();
                self.expect_kw("to")?;
                let pattern = self.expr_bp(P_LIKE + 1)?;
                let mut args = vec![pattern];
                args.extend(self.opt_escape()?);
                // PostgreSQL's own rewrite: x ~ similar_to_escape(pattern [, escape]).
                let op = if negated {
                    BinaryOp::RegexNotMatch
                } else {
                    BinaryOp::RegexMatch
                };
                let re = call("similar_to_escape", pos, args);
                Ok((binary(op, *expr, re, pos), true))
            }
            _ => self.fail(),
        }
    }

    /// `[ESCAPE a_expr]` after a LIKE pattern.
    fn opt_escape(&mut self) -> PResult<Option<Expr>> {
        if self.eat_kw("escape") {
            Ok(Some(self.expr_bp(P_LIKE + 1)?))
        } else {
            Ok(None)
        }
    }

    /// Prefix operators (`NOT`, `-`, `+`, `~`, and `@`, `|/`, `||/` as
    /// `abs`, `sqrt`, `cbrt`), else a primary expression.
    fn prefix_expr(&mut self) -> PResult<Expr> {
        let (op, level) = match self.peek() {
            Tok::Word(w) if w == "not" && !self.b_mode => (UnaryOp::Not, P_NOT),
            Tok::Op(o) if o == "-" => (UnaryOp::Minus, P_UMINUS),
            Tok::Op(o) if o == "+" => (UnaryOp::Plus, P_UMINUS),
            Tok::Op(o) if o == "~" => (UnaryOp::BitNot, P_OP + 1),
            // These have their own tokens in PostgreSQL's grammar and are never prefix operators.
            Tok::Op(o)
                if matches!(
                    o.as_str(),
                    "=" | "<" | ">" | "<=" | ">=" | "<>" | "*" | "/" | "%" | "^"
                ) =>
            {
                return self.fail();
            }
            Tok::Op(o) => {
                let (sym, pos) = (o.clone(), self.pos());
                self.advance();
                let operand = self.expr_bp(P_OP + 1)?;
                return Ok(match sym.as_str() {
                    "@" => call("abs", pos, vec![operand]),
                    "|/" => call("sqrt", pos, vec![operand]),
                    "||/" => call("cbrt", pos, vec![operand]),
                    _ => self.unknown_operator(&sym, pos, vec![operand]),
                });
            }
            _ => return self.primary(),
        };
        self.advance();
        let operand = self.expr_bp(level)?;
        Ok(match (op, operand) {
            // NOT EXISTS is one node, so the planner sees an anti-join.
            (
                UnaryOp::Not,
                Expr::Exists {
                    query,
                    negated: false,
                },
            ) => Expr::Exists {
                query,
                negated: true,
            },
            (op, operand) => Expr::Unary {
                op,
                expr: Box::new(operand),
            },
        })
    }
}

/// Builds a LIKE node.
fn like(expr: Expr, pattern: Expr, escape: Option<Expr>, negated: bool, ci: bool) -> Expr {
    Expr::Like {
        expr: Box::new(expr),
        pattern: Box::new(pattern),
        escape: escape.map(Box::new),
        negated,
        case_insensitive: ci,
    }
}
