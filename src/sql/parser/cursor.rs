//! The parser's cursor over the token list, and how failures become errors.
//!
//! The grammar is parsed by hand-written recursive descent (statements,
//! clauses) and precedence climbing (expressions) over the tokens the nom
//! lexer produced. Each grammar function returns [`PResult`]: `Ok`, a
//! backtrackable [`Fail::Syntax`], or a [`Fail::Hard`] error that stops
//! parsing (a semantic error PostgreSQL raises in its grammar, such as
//! `multiple LIMIT clauses not allowed`).
//!
//! **Error position.** PostgreSQL's LALR(1) parser reports the first token it
//! cannot shift. A recursive-descent parser finds the same token by recording
//! the *farthest* token index at which any expectation failed
//! ([`Parser::fail`]): a prefix is viable exactly as far as some alternative
//! got, so the farthest failure is where the viable prefix ends. Optional
//! clauses are tried with `eat_*` methods, which record nothing; only hard
//! expectations (`expect_*`, [`Parser::fail`]) do. At the boundary
//! ([`Parser::into_error`]) the farthest index becomes `syntax error at or near
//! "<token text>"` or `syntax error at end of input`, with the 1-based
//! character position of that token, as PostgreSQL words it.
//!
//! **Depth.** Nesting (parentheses, subqueries, CASE...) recurses; [`Parser::enter`]
//! bounds it so that hostile input gets an error instead of a stack overflow.

use super::ast::{Ident, ObjectName};
use super::keywords::Category;
use super::lexer::{Tok, Token, tokenize};
use crate::error::{Error, SqlState};

/// Stack the parser's recursion may use, in bytes, measured from where
/// [`Parser::new`] ran. PostgreSQL bounds nesting the same way (by stack
/// depth, `max_stack_depth`); measuring bytes rather than levels keeps the
/// limit right for both debug builds (big frames) and release builds. A
/// thread calling the parser needs this much stack plus its own use: Rust's
/// default 2 MiB for spawned threads is enough.
const STACK_BUDGET: usize = 512 * 1024;

/// Deepest expression tree accepted, counting operator chains
/// (`a OR b OR c` is three deep): later stages walk trees recursively, so the
/// parser bounds them for everyone.
const MAX_TREE_DEPTH: usize = 1_000;

/// Why a grammar function did not produce a value.
#[derive(Debug)]
pub(super) enum Fail {
    /// The tokens do not match; the farthest failure is in the parser.
    Syntax,
    /// A definite error that ends parsing.
    Hard(Error),
}

/// The result of a grammar function.
pub(super) type PResult<T> = Result<T, Fail>;

/// The address of a local variable: where the stack is now. (Only compared
/// with another such address, never dereferenced.)
#[inline(never)]
fn stack_address() -> usize {
    let probe = 0u8;
    std::hint::black_box(std::ptr::addr_of!(probe)) as usize
}

/// The parser state: tokens, the current index and the farthest failure.
pub(super) struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    i: usize,
    farthest: usize,
    /// Address of a local in [`Parser::new`]: the stack base for [`STACK_BUDGET`].
    stack_base: usize,
    /// Current depth of the tree being built (see [`MAX_TREE_DEPTH`]).
    tree_depth: usize,
    /// Parsing a `b_expr` (no boolean operators, see `expr.rs`).
    pub(super) b_mode: bool,
    /// An error found in a statement that is otherwise well-formed (an
    /// unknown operator): reported only if no syntax error is, since
    /// PostgreSQL reports those first.
    deferred: Option<Error>,
}

impl<'a> Parser<'a> {
    /// Tokenizes `src`; a lexical error becomes the last token, reported if
    /// the parser reaches it.
    pub(super) fn new(src: &'a str) -> Self {
        Parser {
            src,
            toks: tokenize(src),
            i: 0,
            farthest: 0,
            stack_base: stack_address(),
            tree_depth: 0,
            b_mode: false,
            deferred: None,
        }
    }

    /// Records an error to report if the whole text parses (the first wins).
    pub(super) fn defer(&mut self, e: Error) {
        self.deferred.get_or_insert(e);
    }

    /// The deferred error, if any (after a successful parse).
    pub(super) fn take_deferred(&mut self) -> Option<Error> {
        self.deferred.take()
    }

    /// Converts a failure into the error a client sees.
    pub(super) fn into_error(self, fail: Fail) -> Error {
        match fail {
            Fail::Hard(e) => e,
            Fail::Syntax => self.syntax_error_at(self.farthest),
        }
    }

    /// `syntax error at or near "..."` for the token at index `at`.
    fn syntax_error_at(&self, at: usize) -> Error {
        let Some(tok) = self.toks.get(at).or(self.toks.last()) else {
            return Error::sql(SqlState::SYNTAX_ERROR, "syntax error at end of input");
        };
        let message = match &tok.tok {
            Tok::Error(e) => return (**e).clone(),
            Tok::Eof => "syntax error at end of input".to_string(),
            _ => format!(
                "syntax error at or near \"{}\"",
                self.src.get(tok.start..tok.end).unwrap_or("")
            ),
        };
        Error::sql(SqlState::SYNTAX_ERROR, message).with_position(tok.pos)
    }

    /// A hard error with a position, for grammar-level errors PostgreSQL raises.
    pub(super) fn hard<T>(
        &self,
        code: SqlState,
        message: impl Into<String>,
        pos: u32,
    ) -> PResult<T> {
        Err(Fail::Hard(Error::sql(code, message).with_position(pos)))
    }

    /// Like [`Parser::hard`], with a HINT.
    pub(super) fn hard_hint<T>(
        &self,
        code: SqlState,
        message: &str,
        hint: &str,
        pos: u32,
    ) -> PResult<T> {
        let e = Error::sql(code, message).with_hint(hint).with_position(pos);
        Err(Fail::Hard(e))
    }

    // ----- token access -----

    /// The source text from token `start_index` through the last token
    /// consumed, for statements that keep their own text (a view's defining
    /// query).
    pub(super) fn text_from(&self, start_index: usize) -> String {
        let start = self
            .toks
            .get(start_index)
            .map_or(self.src.len(), |t| t.start);
        let end = self
            .i
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(start, |t| t.end);
        self.src
            .get(start..end.max(start))
            .unwrap_or_default()
            .to_string()
    }

    /// The index of the current token (to pass to [`Parser::text_from`]).
    pub(super) fn position(&self) -> usize {
        self.i
    }

    /// The current token.
    pub(super) fn peek(&self) -> &Tok {
        self.peek_nth(0)
    }

    /// The token `n` places ahead (the last token, `Eof` or `Error`, past the end).
    pub(super) fn peek_nth(&self, n: usize) -> &Tok {
        match self.toks.get(self.i + n).or(self.toks.last()) {
            Some(t) => &t.tok,
            None => &Tok::Eof,
        }
    }

    /// 1-based character position of the current token.
    pub(super) fn pos(&self) -> u32 {
        self.toks
            .get(self.i)
            .or(self.toks.last())
            .map_or(1, |t| t.pos)
    }

    /// Moves past the current token (never past the last one, `Eof` or
    /// `Error`).
    pub(super) fn advance(&mut self) {
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
    }

    /// Moves past the current token and returns (a copy of) it.
    pub(super) fn take(&mut self) -> Tok {
        let tok = self.peek().clone();
        self.advance();
        tok
    }

    /// Runs `f` as a speculative parse: on a syntax failure the cursor and
    /// any error it deferred are rolled back and `None` is returned (hard
    /// errors still propagate).
    pub(super) fn attempt<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> PResult<T>,
    ) -> PResult<Option<T>> {
        let mark = self.i;
        let had_deferred = self.deferred.is_some();
        match f(self) {
            Ok(v) => Ok(Some(v)),
            Err(Fail::Syntax) => {
                self.i = mark;
                if !had_deferred {
                    self.deferred = None;
                }
                Ok(None)
            }
            Err(hard) => Err(hard),
        }
    }

    /// Records a failure at the current token and returns [`Fail::Syntax`].
    pub(super) fn fail<T>(&mut self) -> PResult<T> {
        self.farthest = self.farthest.max(self.i);
        Err(Fail::Syntax)
    }

    /// Enters one level of nesting, failing when too deep.
    pub(super) fn enter(&mut self) -> PResult<()> {
        self.tree_depth += 1;
        let stack_used = self.stack_base.abs_diff(stack_address());
        if stack_used > STACK_BUDGET || self.tree_depth > MAX_TREE_DEPTH {
            return self.too_deep();
        }
        Ok(())
    }

    /// Leaves a level entered with [`Parser::enter`].
    pub(super) fn leave(&mut self) {
        self.tree_depth = self.tree_depth.saturating_sub(1);
    }

    /// Accounts for one more operator folded into a chain (the tree gets one
    /// level deeper without recursion); undone with [`Parser::unchain`].
    pub(super) fn chain(&mut self) -> PResult<()> {
        self.tree_depth += 1;
        if self.tree_depth > MAX_TREE_DEPTH {
            return self.too_deep();
        }
        Ok(())
    }

    /// Undoes `n` calls of [`Parser::chain`].
    pub(super) fn unchain(&mut self, n: usize) {
        self.tree_depth = self.tree_depth.saturating_sub(n);
    }

    fn too_deep<T>(&self) -> PResult<T> {
        let e = Error::sql(SqlState("54001"), "stack depth limit exceeded")
            .with_hint("The statement nests too deeply; simplify it.")
            .with_position(self.pos());
        Err(Fail::Hard(e))
    }

    // ----- keywords and punctuation -----

    /// True when the current token is the unquoted word `kw`.
    pub(super) fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    /// True when the token `n` ahead is the unquoted word `kw`.
    pub(super) fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_nth(n), Tok::Word(w) if w == kw)
    }

    /// True when the current token is one of the unquoted words.
    pub(super) fn is_any_kw(&self, kws: &[&str]) -> bool {
        matches!(self.peek(), Tok::Word(w) if kws.contains(&w.as_str()))
    }

    /// Consumes the word `kw` if it is next.
    pub(super) fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.is_kw(kw);
        if hit {
            self.i += 1;
        }
        hit
    }

    /// Consumes the words `kws` if they are all next, else nothing. A partial
    /// match records a failure where it stops: PostgreSQL's parser would have
    /// shifted the matching words and failed at the next one.
    pub(super) fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let matched = kws
            .iter()
            .enumerate()
            .take_while(|(n, kw)| self.is_kw_at(*n, kw))
            .count();
        if matched == kws.len() {
            self.i += kws.len();
            return true;
        }
        if matched > 0 {
            self.farthest = self.farthest.max(self.i + matched);
        }
        false
    }

    /// Consumes the word `kw` or fails.
    pub(super) fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) { Ok(()) } else { self.fail() }
    }

    /// Consumes the words `kws` one by one, failing at the first missing one.
    pub(super) fn expect_kws(&mut self, kws: &[&str]) -> PResult<()> {
        kws.iter().try_for_each(|kw| self.expect_kw(kw))
    }

    /// True when the current token is `tok` (punctuation, `Eof`...).
    pub(super) fn is(&self, tok: &Tok) -> bool {
        self.peek() == tok
    }

    /// Consumes `tok` if it is next.
    pub(super) fn eat(&mut self, tok: &Tok) -> bool {
        let hit = self.is(tok);
        if hit {
            self.i += 1;
        }
        hit
    }

    /// Consumes `tok` or fails.
    pub(super) fn expect(&mut self, tok: &Tok) -> PResult<()> {
        if self.eat(tok) { Ok(()) } else { self.fail() }
    }

    /// True when the current token is the operator `op`.
    pub(super) fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if o == op)
    }

    /// Consumes the operator `op` if it is next.
    pub(super) fn eat_op(&mut self, op: &str) -> bool {
        let hit = self.is_op(op);
        if hit {
            self.i += 1;
        }
        hit
    }

    /// Consumes the operator `op` or fails.
    pub(super) fn expect_op(&mut self, op: &str) -> PResult<()> {
        if self.eat_op(op) { Ok(()) } else { self.fail() }
    }

    /// The keyword category of the current token, `None` unless it is an
    /// unquoted word.
    pub(super) fn category(&self) -> Option<Category> {
        self.category_at(0)
    }

    /// The keyword category of the token `n` ahead.
    pub(super) fn category_at(&self, n: usize) -> Option<Category> {
        let t = self.toks.get(self.i + n).or(self.toks.last())?;
        matches!(t.tok, Tok::Word(_)).then_some(t.keyword.0)
    }

    // ----- names -----

    /// Takes the current word or quoted identifier as an [`Ident`] when
    /// `allowed` accepts its category (quoted identifiers are always names).
    fn name_if(&mut self, allowed: impl Fn(Category) -> bool) -> PResult<Ident> {
        let pos = self.pos();
        let name = match self.peek() {
            Tok::QuotedIdent(s) => s.clone(),
            Tok::Word(w) if self.category().is_some_and(&allowed) => w.clone(),
            _ => return self.fail(),
        };
        self.i += 1;
        Ok(Ident { name, pos })
    }

    /// `ColId`: an identifier, unreserved or column-name keyword.
    pub(super) fn col_id(&mut self) -> PResult<Ident> {
        self.name_if(|c| matches!(c, Category::Unreserved | Category::ColName))
    }

    /// True when the current token can be a `ColId`.
    pub(super) fn at_col_id(&self) -> bool {
        self.at_col_id_at(0)
    }

    /// True when the token `n` ahead can be a `ColId`.
    pub(super) fn at_col_id_at(&self, n: usize) -> bool {
        match self.peek_nth(n) {
            Tok::QuotedIdent(_) => true,
            Tok::Word(_) => matches!(
                self.category_at(n),
                Some(Category::Unreserved | Category::ColName)
            ),
            _ => false,
        }
    }

    /// `type_function_name`: an identifier, unreserved or type/function keyword.
    pub(super) fn type_function_name(&mut self) -> PResult<Ident> {
        self.name_if(|c| matches!(c, Category::Unreserved | Category::TypeFunc))
    }

    /// `ColLabel`: any word, reserved or not (after `AS`, after `.`).
    pub(super) fn col_label(&mut self) -> PResult<Ident> {
        self.name_if(|_| true)
    }

    /// `BareColLabel`: an alias without `AS`, when the current token is one.
    pub(super) fn eat_bare_col_label(&mut self) -> Option<Ident> {
        let pos = self.pos();
        let bare = self.toks.get(self.i).is_some_and(|t| t.keyword.1);
        let name = match self.peek() {
            Tok::QuotedIdent(s) => s.clone(),
            Tok::Word(w) if bare => w.clone(),
            // The N of N'...' is PostgreSQL's NCHAR keyword, a bare label too.
            Tok::National => "nchar".to_string(),
            _ => return None,
        };
        self.i += 1;
        Some(Ident { name, pos })
    }

    /// `qualified_name`: `ColId ('.' ColLabel)*`.
    pub(super) fn qualified_name(&mut self) -> PResult<ObjectName> {
        let mut parts = vec![self.col_id()?];
        while self.eat(&Tok::Dot) {
            parts.push(self.col_label()?);
        }
        Ok(ObjectName(parts))
    }

    /// `name_list`: `ColId (',' ColId)*`.
    pub(super) fn name_list(&mut self) -> PResult<Vec<Ident>> {
        self.comma_list(Self::col_id)
    }

    /// `'(' name_list ')'`.
    pub(super) fn paren_name_list(&mut self) -> PResult<Vec<Ident>> {
        self.expect(&Tok::LParen)?;
        let names = self.name_list()?;
        self.expect(&Tok::RParen)?;
        Ok(names)
    }

    /// `item (',' item)*`.
    pub(super) fn comma_list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let mut items = vec![item(self)?];
        while self.eat(&Tok::Comma) {
            items.push(item(self)?);
        }
        Ok(items)
    }

    /// A signed integer constant (type modifiers, FETCH counts...), as i64.
    pub(super) fn signed_int(&mut self) -> PResult<i64> {
        let negative = if self.eat_op("-") {
            true
        } else {
            self.eat_op("+");
            false
        };
        let pos = self.pos();
        let Tok::Integer(digits) = self.peek().clone() else {
            return self.fail();
        };
        self.i += 1;
        match digits.parse::<i64>() {
            Ok(v) => Ok(if negative { -v } else { v }),
            Err(_) => self.hard(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("value \"{digits}\" is out of range for type bigint"),
                pos,
            ),
        }
    }

    /// A string constant (`Sconst`).
    pub(super) fn string(&mut self) -> PResult<String> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.i += 1;
                Ok(s)
            }
            _ => self.fail(),
        }
    }
}
