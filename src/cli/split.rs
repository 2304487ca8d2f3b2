//! Statement splitting for `driftdb sql -f`, piped input and the REPL.
//!
//! The [`Scanner`] is fed one input line at a time, as psql's main loop is,
//! and cuts the text into statements at `;` outside quotes, dollar quotes,
//! comments and parentheses. It copies psql's handling of the query buffer
//! so that what we run, and the `LINE n:` of an error, match psql:
//!
//! * a completely empty line outside a quote or comment is skipped;
//! * whitespace and `--` comments before a statement are dropped; inside a
//!   statement they are kept;
//! * consecutive lines of one statement are joined with `\n`;
//! * the statement text keeps its terminating `;`;
//! * a backslash outside quotes starts a meta-command that runs to the end
//!   of the line (`\q`, `\timing on`, `\g`...).
//!
//! The Session parses whatever it receives itself; the scanner only has to
//! find statement boundaries, so it recognises just enough lexical structure
//! for that: `'…'` (with `''`), `E'…'` (backslash escapes), `"…"`, `$tag$…$tag$`,
//! `--` and nested `/* */` comments, and parenthesis depth.

/// Lexical state that can span lines.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lex {
    /// Plain SQL.
    Normal,
    /// Inside `'…'`; `escapes` for `E'…'`, where a backslash escapes.
    Quote { escapes: bool },
    /// Inside `"…"`.
    Ident,
    /// Inside `$tag$…$tag$` (tag without the dollars).
    Dollar(String),
    /// Inside `/* … */`, with the nesting depth.
    Comment(u32),
}

/// Something the scanner found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A complete statement (with its `;` when it had one) and the 1-based
    /// input line where it ended, which psql reports errors against.
    Statement {
        /// The statement text.
        sql: String,
        /// Line of the terminating `;` (or of the meta-command that sent it).
        line: usize,
    },
    /// A backslash meta-command: its name (`\timing`) and the rest of the
    /// line, trimmed.
    Meta {
        /// Command name including the backslash.
        name: String,
        /// Arguments as one trimmed string (may be empty).
        args: String,
        /// The 1-based input line.
        line: usize,
    },
}

/// Line-fed statement splitter. See the module docs.
#[derive(Debug, Clone)]
pub struct Scanner {
    buf: String,
    lex: Lex,
    parens: u32,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

/// True for characters that may continue an identifier (so `$` or `E` after
/// them does not start a dollar quote or an escape string).
fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// The dollar-quote delimiter starting at `rest` (which begins with `$`):
/// `$$` or `$tag$` with an identifier-like tag, else `None` (e.g. `$1`).
fn dollar_tag(rest: &str) -> Option<String> {
    let body = rest.strip_prefix('$')?;
    let end = body.find('$')?;
    let tag = &body[..end];
    let mut chars = tag.chars();
    match chars.next() {
        None => Some(String::new()),
        Some(c) if c.is_alphabetic() || c == '_' || !c.is_ascii() => {
            if chars.all(|c| c.is_alphanumeric() || c == '_' || !c.is_ascii()) {
                Some(tag.to_string())
            } else {
                None
            }
        }
        Some(_) => None,
    }
}

impl Scanner {
    /// An empty scanner.
    pub fn new() -> Scanner {
        Scanner {
            buf: String::new(),
            lex: Lex::Normal,
            parens: 0,
        }
    }

    /// True when no statement text is pending.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.lex == Lex::Normal
    }

    /// The pending (incomplete) statement text.
    pub fn buffer(&self) -> &str {
        &self.buf
    }

    /// Drops the pending text (psql's `\r`, or Ctrl-C in the REPL).
    pub fn reset(&mut self) {
        *self = Scanner::new();
    }

    /// psql's `%R` prompt character: `=` when nothing is pending, else `'`,
    /// `"`, `$`, `*` (comment), `(` (open parenthesis) or `-`.
    pub fn prompt_char(&self) -> char {
        match &self.lex {
            Lex::Quote { .. } => '\'',
            Lex::Ident => '"',
            Lex::Dollar(_) => '$',
            Lex::Comment(_) => '*',
            Lex::Normal if self.buf.is_empty() => '=',
            Lex::Normal if self.parens > 0 => '(',
            Lex::Normal => '-',
        }
    }

    /// Takes the pending statement at end of input, if it holds anything
    /// (psql sends an unterminated last statement of a script).
    pub fn finish(&mut self) -> Option<String> {
        let sql = std::mem::take(&mut self.buf);
        self.lex = Lex::Normal;
        self.parens = 0;
        if sql.trim().is_empty() {
            None
        } else {
            Some(sql)
        }
    }

    /// Feeds one input line (without its line terminator); `lineno` is its
    /// 1-based number. Returns the statements and meta-commands it completed.
    pub fn feed_line(&mut self, line: &str, lineno: usize) -> Vec<Item> {
        let mut out = Vec::new();
        if line.is_empty() && self.lex == Lex::Normal {
            return out;
        }
        if !self.buf.is_empty() {
            self.buf.push('\n');
        }
        let mut i = 0;
        while i < line.len() {
            let rest = &line[i..];
            let Some(c) = rest.chars().next() else { break };
            i += match self.lex.clone() {
                Lex::Normal => match self.normal(rest, lineno, &mut out) {
                    Some(n) => n,
                    None => return out, // meta-command or comment took the line
                },
                Lex::Quote { escapes } => self.in_quote(rest, c, escapes),
                Lex::Ident => self.in_ident(rest, c),
                Lex::Dollar(tag) => self.in_dollar(rest, &tag),
                Lex::Comment(depth) => self.in_comment(rest, depth),
            };
        }
        out
    }

    /// Appends `s` to the buffer, dropping leading whitespace of a statement.
    fn push(&mut self, s: &str) {
        if self.buf.trim().is_empty() {
            let t = s.trim_start();
            if t.is_empty() {
                return;
            }
            self.buf.clear();
            self.buf.push_str(t);
        } else {
            self.buf.push_str(s);
        }
    }

    /// One step in plain SQL; returns the bytes consumed, or `None` when the
    /// rest of the line was consumed (a `--` comment or a meta-command).
    fn normal(&mut self, rest: &str, lineno: usize, out: &mut Vec<Item>) -> Option<usize> {
        let c = rest.chars().next()?;
        let prev_ident = self.buf.chars().last().is_some_and(ident_char);
        match c {
            ';' if self.parens == 0 => {
                self.push(";");
                let sql = std::mem::take(&mut self.buf);
                if sql.trim() != ";" {
                    out.push(Item::Statement { sql, line: lineno });
                }
                Some(1)
            }
            '-' if rest.starts_with("--") => {
                if !self.buf.trim().is_empty() {
                    self.buf.push_str(rest);
                }
                None
            }
            '/' if rest.starts_with("/*") => {
                self.push("/*");
                self.lex = Lex::Comment(1);
                Some(2)
            }
            '\'' => {
                self.push("'");
                self.lex = Lex::Quote { escapes: false };
                Some(1)
            }
            'E' | 'e' if rest[1..].starts_with('\'') && !prev_ident => {
                self.push(&rest[..2]);
                self.lex = Lex::Quote { escapes: true };
                Some(2)
            }
            '"' => {
                self.push("\"");
                self.lex = Lex::Ident;
                Some(1)
            }
            '$' if !prev_ident => match dollar_tag(rest) {
                Some(tag) => {
                    let n = tag.len() + 2;
                    self.push(&rest[..n]);
                    self.lex = Lex::Dollar(tag);
                    Some(n)
                }
                None => {
                    self.push("$");
                    Some(1)
                }
            },
            '\\' => {
                self.meta(rest, lineno, out);
                None
            }
            '(' => {
                self.parens += 1;
                self.push("(");
                Some(1)
            }
            ')' => {
                self.parens = self.parens.saturating_sub(1);
                self.push(")");
                Some(1)
            }
            _ => {
                let n = c.len_utf8();
                self.push(&rest[..n]);
                Some(n)
            }
        }
    }

    /// A meta-command: `\name args` up to the end of the line. `\g` sends the
    /// pending statement; the others leave it pending (as psql does).
    fn meta(&mut self, rest: &str, lineno: usize, out: &mut Vec<Item>) {
        let body = &rest[1..];
        let name_len = body
            .find(|c: char| c.is_whitespace() || c == '\\')
            .unwrap_or(body.len());
        let name = format!("\\{}", &body[..name_len]);
        let args = body[name_len..].trim().to_string();
        // The newline added before this line belongs to no statement.
        if self.buf.ends_with('\n') {
            self.buf.pop();
        }
        if name == "\\g" || name == "\\r" {
            let sql = std::mem::take(&mut self.buf);
            self.lex = Lex::Normal;
            self.parens = 0;
            if name == "\\g" && !sql.trim().is_empty() {
                out.push(Item::Statement { sql, line: lineno });
            }
            if name == "\\g" {
                return;
            }
        }
        out.push(Item::Meta {
            name,
            args,
            line: lineno,
        });
    }

    fn in_quote(&mut self, rest: &str, c: char, escapes: bool) -> usize {
        if escapes && c == '\\' {
            let n = 1 + rest[1..].chars().next().map_or(0, char::len_utf8);
            self.buf.push_str(&rest[..n]);
            return n;
        }
        if c == '\'' {
            if rest[1..].starts_with('\'') {
                self.buf.push_str("''");
                return 2;
            }
            self.lex = Lex::Normal;
        }
        self.buf.push(c);
        c.len_utf8()
    }

    fn in_ident(&mut self, rest: &str, c: char) -> usize {
        if c == '"' {
            if rest[1..].starts_with('"') {
                self.buf.push_str("\"\"");
                return 2;
            }
            self.lex = Lex::Normal;
        }
        self.buf.push(c);
        c.len_utf8()
    }

    fn in_dollar(&mut self, rest: &str, tag: &str) -> usize {
        let close = format!("${tag}$");
        if rest.starts_with(&close) {
            self.buf.push_str(&close);
            self.lex = Lex::Normal;
            return close.len();
        }
        let n = rest.chars().next().map_or(1, char::len_utf8);
        self.buf.push_str(&rest[..n]);
        n
    }

    fn in_comment(&mut self, rest: &str, depth: u32) -> usize {
        if rest.starts_with("*/") {
            self.buf.push_str("*/");
            self.lex = if depth <= 1 {
                Lex::Normal
            } else {
                Lex::Comment(depth - 1)
            };
            return 2;
        }
        if rest.starts_with("/*") {
            self.buf.push_str("/*");
            self.lex = Lex::Comment(depth + 1);
            return 2;
        }
        let n = rest.chars().next().map_or(1, char::len_utf8);
        self.buf.push_str(&rest[..n]);
        n
    }
}

/// Splits a whole script into items, numbering lines from 1, and appends
/// the unterminated tail (if any) as a last statement on the last line.
pub fn split_script(text: &str) -> Vec<Item> {
    let mut sc = Scanner::new();
    let mut out = Vec::new();
    let mut last = 0;
    for (n, line) in text.lines().enumerate() {
        last = n + 1;
        out.extend(sc.feed_line(line, last));
    }
    if let Some(sql) = sc.finish() {
        out.push(Item::Statement {
            sql,
            line: last.max(1),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmts(text: &str) -> Vec<(String, usize)> {
        split_script(text)
            .into_iter()
            .filter_map(|i| match i {
                Item::Statement { sql, line } => Some((sql, line)),
                Item::Meta { .. } => None,
            })
            .collect()
    }

    fn s(sql: &str, line: usize) -> (String, usize) {
        (sql.to_string(), line)
    }

    #[test]
    fn splits_on_semicolons_keeping_them() {
        assert_eq!(
            stmts("select 1; select 2;\nselect 3;"),
            vec![s("select 1;", 1), s("select 2;", 1), s("select 3;", 2)]
        );
    }

    #[test]
    fn multi_line_statement_joined_and_blank_lines_skipped() {
        // psql reports "LINE 2" for `nope` here: the blank line is dropped.
        assert_eq!(
            stmts("select * from\n\n nope\n where x;\n"),
            vec![s("select * from\n nope\n where x;", 4)]
        );
    }

    #[test]
    fn leading_whitespace_and_comments_dropped_inner_kept() {
        assert_eq!(
            stmts("  -- heading\n   select 1 -- trailing\n  + 2;"),
            vec![s("select 1 -- trailing\n  + 2;", 3)]
        );
    }

    #[test]
    fn semicolons_inside_quotes_and_comments_do_not_split() {
        let text = "insert into t values ('a;b', 'it''s;', E'x\\';y');\n\
                    select \"we;ird\" from t /* c; /* nested; */ still; */;\n\
                    select $$a;b$$, $fn$ x; $$ y; $fn$;\n\
                    select (1;2);";
        let got = stmts(text);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(
            got[0].0,
            "insert into t values ('a;b', 'it''s;', E'x\\';y');"
        );
        assert_eq!(
            got[1].0,
            "select \"we;ird\" from t /* c; /* nested; */ still; */;"
        );
        assert_eq!(got[2].0, "select $$a;b$$, $fn$ x; $$ y; $fn$;");
        assert_eq!(got[3].0, "select (1;2);");
    }

    #[test]
    fn standard_strings_do_not_treat_backslash_as_escape() {
        // standard_conforming_strings: 'a\' is a complete literal.
        assert_eq!(
            stmts("select 'a\\'; select 2;"),
            vec![s("select 'a\\';", 1), s("select 2;", 1)]
        );
    }

    #[test]
    fn identifier_ending_in_e_is_not_an_escape_string() {
        assert_eq!(
            stmts("select somE'a\\'; select 2;"),
            vec![s("select somE'a\\';", 1), s("select 2;", 1)]
        );
    }

    #[test]
    fn positional_parameter_is_not_a_dollar_quote() {
        assert_eq!(
            stmts("select $1; select a$b$ from t;"),
            vec![s("select $1;", 1), s("select a$b$ from t;", 1)]
        );
    }

    #[test]
    fn quotes_span_lines_and_keep_blank_lines() {
        assert_eq!(stmts("select 'a\n\nb';"), vec![s("select 'a\n\nb';", 3)]);
    }

    #[test]
    fn unterminated_tail_is_a_statement() {
        assert_eq!(
            stmts("select 1;\nselect 2"),
            vec![s("select 1;", 1), s("select 2", 2)]
        );
        assert_eq!(
            stmts("select 1;\n  -- just a comment\n"),
            vec![s("select 1;", 1)]
        );
    }

    #[test]
    fn empty_statements_are_skipped() {
        assert_eq!(stmts(";;select 1;;"), vec![s("select 1;", 1)]);
    }

    #[test]
    fn meta_commands_end_the_line() {
        let items = split_script("\\timing on\nselect 1 \\g\nselect 2;\n\\q");
        assert_eq!(
            items,
            vec![
                Item::Meta {
                    name: "\\timing".into(),
                    args: "on".into(),
                    line: 1
                },
                Item::Statement {
                    sql: "select 1 ".into(),
                    line: 2
                },
                Item::Statement {
                    sql: "select 2;".into(),
                    line: 3
                },
                Item::Meta {
                    name: "\\q".into(),
                    args: String::new(),
                    line: 4
                },
            ]
        );
    }

    #[test]
    fn prompt_char_follows_lexical_state() {
        let mut sc = Scanner::new();
        assert_eq!(sc.prompt_char(), '=');
        sc.feed_line("select (1,", 1);
        assert_eq!(sc.prompt_char(), '(');
        sc.feed_line("2) , 'abc", 2);
        assert_eq!(sc.prompt_char(), '\'');
        sc.feed_line("' /* x", 3);
        assert_eq!(sc.prompt_char(), '*');
        sc.feed_line("*/ , \"a", 4);
        assert_eq!(sc.prompt_char(), '"');
        sc.feed_line("\" , $q$", 5);
        assert_eq!(sc.prompt_char(), '$');
        sc.feed_line("$q$", 6);
        assert_eq!(sc.prompt_char(), '-');
        let items = sc.feed_line(";", 7);
        assert_eq!(items.len(), 1);
        assert_eq!(sc.prompt_char(), '=');
        assert!(sc.is_empty());
    }

    #[test]
    fn unicode_is_preserved() {
        assert_eq!(
            stmts("select 'ü日本語', \"é\";"),
            vec![s("select 'ü日本語', \"é\";", 1)]
        );
    }
}
