//! Function calls: ordinary calls with their aggregate and window
//! decorations, the keyword "functions" (`CURRENT_TIMESTAMP`...), and the
//! functions SQL gives special syntax (`EXTRACT(f FROM x)`,
//! `SUBSTRING(x FROM a FOR b)`, `POSITION(a IN b)`, `TRIM(BOTH c FROM x)`,
//! `COALESCE`/`NULLIF`/`GREATEST`/`LEAST`).
//!
//! Special syntax is rewritten into plain calls exactly as PostgreSQL's
//! grammar rewrites it, so the binder sees only [`FunctionCall`]s:
//!
//! ```text
//! EXTRACT(year FROM x)          extract('year', x)
//! SUBSTRING(x FROM a FOR b)     substring(x, a, b)      (FOR b alone: substring(x, 1, b))
//! SUBSTRING(x SIMILAR p ESCAPE e)  substring(x, p, e)
//! POSITION(a IN b)              position(b, a)
//! OVERLAY(x PLACING y FROM a FOR b)  overlay(x, y, a, b)
//! TRIM(LEADING c FROM x)        ltrim(x, c)             (BOTH: btrim, TRAILING: rtrim)
//! CURRENT_TIMESTAMP(3)          current_timestamp()     (precision dropped)
//! ```

use super::ast::{
    Expr, FrameBound, FrameUnits, FunctionCall, Literal, ObjectName, WindowFrame, WindowSpec,
};
use super::cursor::{PResult, Parser};
use super::expr::call;
use super::keywords::Category;
use super::lexer::Tok;
use crate::error::{Error, SqlState};

/// Keywords that are zero-argument functions; the flag says whether an
/// optional `(precision)` may follow.
const KEYWORD_FUNCTIONS: &[(&str, bool)] = &[
    ("current_catalog", false),
    ("current_date", false),
    ("current_role", false),
    ("current_schema", false),
    ("current_time", true),
    ("current_timestamp", true),
    ("current_user", false),
    ("localtime", true),
    ("localtimestamp", true),
    ("session_user", false),
    ("user", false),
];

impl Parser<'_> {
    /// `CURRENT_TIMESTAMP`, `CURRENT_USER`... as zero-argument calls.
    pub(super) fn keyword_function(&mut self) -> PResult<Option<Expr>> {
        let pos = self.pos();
        let Tok::Word(w) = self.peek() else {
            return Ok(None);
        };
        let Some(&(name, precision)) = KEYWORD_FUNCTIONS.iter().find(|(k, _)| k == w) else {
            return Ok(None);
        };
        if name == "current_schema" && self.peek_nth(1) == &Tok::LParen {
            // `current_schema()` is an ordinary call of the same function.
            return Ok(None);
        }
        self.advance();
        if precision && self.eat(&Tok::LParen) {
            self.signed_int()?;
            self.expect(&Tok::RParen)?;
        }
        Ok(Some(call(name, pos, Vec::new())))
    }

    /// The functions with SQL-standard syntax; `w` is the current word and a
    /// `(` follows it.
    pub(super) fn special_function(&mut self, w: &str) -> PResult<Option<Expr>> {
        let pos = self.pos();
        let name = w.to_string();
        let args = match w {
            "coalesce" | "greatest" | "least" => {
                self.advance();
                self.expect(&Tok::LParen)?;
                let args = self.expr_list()?;
                self.expect(&Tok::RParen)?;
                args
            }
            "nullif" => {
                self.advance();
                self.expect(&Tok::LParen)?;
                let a = self.expr()?;
                self.expect(&Tok::Comma)?;
                let b = self.expr()?;
                self.expect(&Tok::RParen)?;
                vec![a, b]
            }
            "extract" => self.paren_args(Self::extract_args)?,
            "substring" => self.paren_args(Self::substring_args)?,
            "position" => self.paren_args(Self::position_args)?,
            "overlay" => self.paren_args(Self::overlay_args)?,
            "trim" => {
                self.advance();
                self.expect(&Tok::LParen)?;
                let (name, args) = self.trim_args()?;
                self.expect(&Tok::RParen)?;
                return Ok(Some(call(name, pos, args)));
            }
            _ => return Ok(None),
        };
        Ok(Some(call(&name, pos, args)))
    }

    /// Consumes the function word and `( ... )` around `inner`.
    fn paren_args(&mut self, inner: fn(&mut Self) -> PResult<Vec<Expr>>) -> PResult<Vec<Expr>> {
        self.advance();
        self.expect(&Tok::LParen)?;
        let args = inner(self)?;
        self.expect(&Tok::RParen)?;
        Ok(args)
    }

    /// `field FROM a_expr` (field: an identifier, a unit keyword or a string).
    fn extract_args(&mut self) -> PResult<Vec<Expr>> {
        let field = match self.peek().clone() {
            Tok::Str(s) | Tok::QuotedIdent(s) => s,
            Tok::Word(w) if self.category() == Some(Category::Unreserved) => w,
            _ => return self.fail(),
        };
        self.advance();
        self.expect_kw("from")?;
        let source = self.expr()?;
        Ok(vec![Expr::Literal(Literal::String(field)), source])
    }

    /// `x FROM a [FOR b]`, `x FOR b [FROM a]` or an ordinary argument list.
    fn substring_args(&mut self) -> PResult<Vec<Expr>> {
        let source = self.expr()?;
        if self.eat_kw("similar") {
            // SUBSTRING(x SIMILAR p ESCAPE e): the regular-expression form, substring(x, p, e).
            let pattern = self.expr()?;
            self.expect_kw("escape")?;
            return Ok(vec![source, pattern, self.expr()?]);
        }
        if self.eat_kw("from") {
            let start = self.expr()?;
            let mut args = vec![source, start];
            if self.eat_kw("for") {
                args.push(self.expr()?);
            }
            return Ok(args);
        }
        if self.eat_kw("for") {
            let len = self.expr()?;
            let start = if self.eat_kw("from") {
                self.expr()?
            } else {
                Expr::Literal(Literal::Integer("1".into()))
            };
            return Ok(vec![source, start, len]);
        }
        let mut args = vec![source];
        while self.eat(&Tok::Comma) {
            args.push(self.expr()?);
        }
        Ok(args)
    }

    /// `x PLACING y FROM a [FOR b]`: overlay(x, y, a [, b]).
    fn overlay_args(&mut self) -> PResult<Vec<Expr>> {
        let mut args = vec![self.expr()?];
        self.expect_kw("placing")?;
        args.push(self.expr()?);
        self.expect_kw("from")?;
        args.push(self.expr()?);
        if self.eat_kw("for") {
            args.push(self.expr()?);
        }
        Ok(args)
    }

    /// `needle IN haystack`, giving `(haystack, needle)` as PostgreSQL does.
    fn position_args(&mut self) -> PResult<Vec<Expr>> {
        let needle = self.b_expr()?;
        self.expect_kw("in")?;
        let haystack = self.b_expr()?;
        Ok(vec![haystack, needle])
    }

    /// `[BOTH | LEADING | TRAILING] [chars] FROM x` or `x [, chars]`.
    fn trim_args(&mut self) -> PResult<(&'static str, Vec<Expr>)> {
        let name = if self.eat_kw("leading") {
            "ltrim"
        } else if self.eat_kw("trailing") {
            "rtrim"
        } else {
            self.eat_kw("both");
            "btrim"
        };
        if self.eat_kw("from") {
            return Ok((name, self.expr_list()?));
        }
        let first = self.expr()?;
        if self.eat_kw("from") {
            let mut args = self.expr_list()?;
            args.push(first);
            return Ok((name, args));
        }
        let mut args = vec![first];
        while self.eat(&Tok::Comma) {
            args.push(self.expr()?);
        }
        Ok((name, args))
    }

    /// `name '(' [*] | [DISTINCT|ALL] args [ORDER BY ...] ')'` followed by
    /// `WITHIN GROUP (ORDER BY ...)`, `FILTER (WHERE ...)`, `OVER (...)`.
    pub(super) fn function_call(&mut self, name: ObjectName) -> PResult<Expr> {
        self.enter()?;
        let result = self.function_call_inner(name);
        self.leave();
        result
    }

    fn function_call_inner(&mut self, name: ObjectName) -> PResult<Expr> {
        self.expect(&Tok::LParen)?;
        let mut f = FunctionCall {
            name,
            args: Vec::new(),
            star: false,
            distinct: false,
            order_by: Vec::new(),
            filter: None,
            over: None,
        };
        if self.eat_op("*") {
            f.star = true;
        } else if !self.is(&Tok::RParen) {
            f.distinct = self.eat_kw("distinct");
            if !f.distinct {
                self.eat_kw("all");
            }
            f.args = self.expr_list()?;
            if self.eat_kws(&["order", "by"]) {
                f.order_by = self.sort_list()?;
            }
        }
        self.expect(&Tok::RParen)?;
        if self.eat_kws(&["within", "group"]) {
            self.expect(&Tok::LParen)?;
            self.expect_kws(&["order", "by"])?;
            f.order_by = self.sort_list()?;
            self.expect(&Tok::RParen)?;
        }
        if self.eat_kw("filter") {
            self.expect(&Tok::LParen)?;
            self.expect_kw("where")?;
            f.filter = Some(Box::new(self.expr()?));
            self.expect(&Tok::RParen)?;
        }
        if self.eat_kw("over") {
            f.over = Some(self.window_spec()?);
        }
        Ok(Expr::Function(Box::new(f)))
    }

    /// `'(' [PARTITION BY exprs] [ORDER BY sort list] [frame] ')'`, or a
    /// window name (`OVER w`), which is parsed but not supported.
    fn window_spec(&mut self) -> PResult<WindowSpec> {
        let mut spec = WindowSpec {
            partition_by: Vec::new(),
            order_by: Vec::new(),
            frame: None,
        };
        if !self.is(&Tok::LParen) {
            let name = self.col_id()?;
            self.defer_unsupported("named windows are not supported", name.pos);
            return Ok(spec);
        }
        self.advance();
        // These words always start their clause here (they outrank a window
        // name in PostgreSQL's grammar).
        let named_base =
            self.at_col_id() && !self.is_any_kw(&["partition", "rows", "range", "groups"]);
        if named_base {
            let name = self.col_id()?;
            self.defer_unsupported("named windows are not supported", name.pos);
        }
        if self.eat_kws(&["partition", "by"]) {
            spec.partition_by = self.expr_list()?;
        }
        if self.eat_kws(&["order", "by"]) {
            spec.order_by = self.sort_list()?;
        }
        spec.frame = self.opt_frame()?;
        self.expect(&Tok::RParen)?;
        Ok(spec)
    }

    /// `{ROWS | RANGE | GROUPS} {bound | BETWEEN bound AND bound} [EXCLUDE ...]`.
    fn opt_frame(&mut self) -> PResult<Option<WindowFrame>> {
        let units = match self.peek() {
            Tok::Word(w) if w == "rows" => FrameUnits::Rows,
            Tok::Word(w) if w == "range" => FrameUnits::Range,
            Tok::Word(w) if w == "groups" => FrameUnits::Groups,
            _ => return Ok(None),
        };
        self.advance();
        let (start, end) = if self.eat_kw("between") {
            let start = self.frame_bound()?;
            self.expect_kw("and")?;
            (start, self.frame_bound()?)
        } else {
            (self.frame_bound()?, FrameBound::CurrentRow)
        };
        if self.is_kw("exclude") {
            let pos = self.pos();
            self.advance();
            let ok = self.eat_kws(&["current", "row"])
                || self.eat_kw("group")
                || self.eat_kw("ties")
                || self.eat_kws(&["no", "others"]);
            if !ok {
                return self.fail();
            }
            self.defer_unsupported("EXCLUDE in window frames is not supported", pos);
        }
        Ok(Some(WindowFrame { units, start, end }))
    }

    /// `UNBOUNDED {PRECEDING|FOLLOWING} | CURRENT ROW | a_expr {PRECEDING|FOLLOWING}`.
    fn frame_bound(&mut self) -> PResult<FrameBound> {
        if self.eat_kw("unbounded") {
            if self.eat_kw("preceding") {
                return Ok(FrameBound::UnboundedPreceding);
            }
            self.expect_kw("following")?;
            return Ok(FrameBound::UnboundedFollowing);
        }
        if self.eat_kws(&["current", "row"]) {
            return Ok(FrameBound::CurrentRow);
        }
        let offset = Box::new(self.expr()?);
        if self.eat_kw("preceding") {
            return Ok(FrameBound::Preceding(offset));
        }
        self.expect_kw("following")?;
        Ok(FrameBound::Following(offset))
    }

    /// Records a "not supported" error for a construct parsed only for syntax.
    pub(super) fn defer_unsupported(&mut self, message: &str, pos: u32) {
        self.defer(Error::sql(SqlState::FEATURE_NOT_SUPPORTED, message).with_position(pos));
    }
}
