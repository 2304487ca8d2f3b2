//! psql's "aligned" output format, and [`TableSink`], the [`ResultSink`]
//! that prints results with it.
//!
//! The layout copies psql 15 (`\pset format aligned`, `border 1`, ascii
//! line style), checked against output captured from a real PostgreSQL 15:
//!
//! ```text
//!  id |    v    |  n          header: names centred, every cell " x " wide
//! ----+---------+-----       rule: width + 2 dashes per column, joined by '+'
//!   1 | a       |  10        numbers right-aligned, everything else left
//!   2 | multi  +|  20        a value with a newline continues on the next
//!     | line    |            line, marked by '+' in the right-hand gutter
//! (2 rows)                   footer, then an empty line
//! ```
//!
//! Widths are display widths (a CJK character counts 2, a combining mark 0);
//! tabs expand to the next multiple of 8 and other control characters print
//! as `\r` or `\xHH`, as psql's `pg_wcsformat` does. The last column is not
//! padded on the right unless a continuation mark needs the gutter.

use std::io::Write;

use unicode_width::UnicodeWidthChar;

use crate::error::{Error, Result};
use crate::sql::session::{ColumnDesc, Format, Notice, ResultSink};
use crate::types::{DataType, TypeContext, Value};

/// Horizontal alignment of a column's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text, dates, booleans...
    Left,
    /// Numeric types (psql right-aligns int2/4/8, float4/8 and numeric).
    Right,
}

impl Align {
    /// psql's alignment for a column type.
    pub fn for_type(ty: &DataType) -> Align {
        match ty {
            DataType::Int2
            | DataType::Int4
            | DataType::Int8
            | DataType::Float4
            | DataType::Float8
            | DataType::Numeric { .. } => Align::Right,
            _ => Align::Left,
        }
    }
}

/// One display line of a cell and its width in screen columns.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    text: String,
    width: usize,
}

/// Splits a value into display lines the way psql's `pg_wcsformat` does.
fn format_lines(s: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut cur = Line {
        text: String::new(),
        width: 0,
    };
    for c in s.chars() {
        match c {
            '\n' => lines.push(std::mem::replace(
                &mut cur,
                Line {
                    text: String::new(),
                    width: 0,
                },
            )),
            '\t' => loop {
                cur.text.push(' ');
                cur.width += 1;
                if cur.width.is_multiple_of(8) {
                    break;
                }
            },
            '\r' => {
                cur.text.push_str("\\r");
                cur.width += 2;
            }
            c => match c.width() {
                Some(w) if !c.is_control() => {
                    cur.text.push(c);
                    cur.width += w;
                }
                _ => {
                    let esc = match c as u32 {
                        n if n < 0x100 && c.is_ascii() => format!("\\x{n:02X}"),
                        n if n <= 0xFFFF => format!("\\u{n:04X}"),
                        n => format!("\\U{n:08X}"),
                    };
                    cur.width += esc.len();
                    cur.text.push_str(&esc);
                }
            },
        }
    }
    lines.push(cur);
    lines
}

fn spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Renders a result in psql's aligned format, footer and trailing empty
/// line included. `rows` hold cell texts, `None` for NULL (printed empty).
pub fn render_aligned(
    headers: &[String],
    aligns: &[Align],
    rows: &[Vec<Option<String>>],
) -> String {
    let mut out = String::new();
    let n = rows.len();
    let footer = if n == 1 {
        "(1 row)\n\n".to_string()
    } else {
        format!("({n} rows)\n\n")
    };
    if headers.is_empty() {
        out.push_str("--\n");
        out.push_str(&footer);
        return out;
    }
    let head: Vec<Vec<Line>> = headers.iter().map(|h| format_lines(h)).collect();
    let cells: Vec<Vec<Vec<Line>>> = rows
        .iter()
        .map(|r| {
            (0..headers.len())
                .map(|i| format_lines(r.get(i).and_then(|v| v.as_deref()).unwrap_or("")))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = head
        .iter()
        .map(|ls| ls.iter().map(|l| l.width).max().unwrap_or(0))
        .collect();
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.iter().map(|l| l.width).max().unwrap_or(0));
        }
    }
    render_header(&mut out, &head, &widths);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    out.push_str(&rule.join("+"));
    out.push('\n');
    for row in &cells {
        render_row(&mut out, row, &widths, aligns);
    }
    out.push_str(&footer);
    out
}

/// Header lines: names centred; `+` in the gutter while a name continues.
fn render_header(out: &mut String, head: &[Vec<Line>], widths: &[usize]) {
    let height = head.iter().map(Vec::len).max().unwrap_or(1);
    let last = head.len() - 1;
    for k in 0..height {
        for (i, (lines, &w)) in head.iter().zip(widths).enumerate() {
            out.push(' ');
            match lines.get(k) {
                Some(l) => {
                    let pad = w - l.width;
                    spaces(out, pad / 2);
                    out.push_str(&l.text);
                    spaces(out, pad - pad / 2);
                }
                None => spaces(out, w),
            }
            out.push(if k + 1 < lines.len() { '+' } else { ' ' });
            if i < last {
                out.push('|');
            }
        }
        out.push('\n');
    }
}

/// The display lines of one row.
fn render_row(out: &mut String, row: &[Vec<Line>], widths: &[usize], aligns: &[Align]) {
    let height = row.iter().map(Vec::len).max().unwrap_or(1);
    let last = row.len() - 1;
    for k in 0..height {
        for (j, (lines, &w)) in row.iter().zip(widths).enumerate() {
            let not_last = j < last;
            let more = k + 1 < lines.len();
            out.push(' ');
            match lines.get(k) {
                None => {
                    if not_last {
                        spaces(out, w);
                    }
                }
                Some(l) => {
                    if aligns.get(j) == Some(&Align::Right) {
                        spaces(out, w - l.width);
                        out.push_str(&l.text);
                    } else {
                        out.push_str(&l.text);
                        if not_last || more {
                            spaces(out, w - l.width);
                        }
                    }
                }
            }
            if more {
                out.push('+');
            } else if not_last {
                out.push(' ');
            }
            if not_last {
                out.push('|');
            }
        }
        out.push('\n');
    }
}

/// The text of a value as psql shows it; `None` for NULL.
pub fn cell_text(v: &Value, ctx: &TypeContext) -> Option<String> {
    if v.is_null() {
        None
    } else {
        Some(v.to_text(ctx))
    }
}

/// Where COPY FROM STDIN data comes from (the rest of a script, or stdin).
pub trait CopySource {
    /// The next input line without its terminator, or `None` at end of input.
    fn next_line(&mut self) -> Option<String>;
}

/// The result being collected for the statement that is running.
struct Pending {
    headers: Vec<String>,
    aligns: Vec<Align>,
    ctx: TypeContext,
    rows: Vec<Vec<Option<String>>>,
}

/// A [`ResultSink`] that prints results like psql: tables and command tags
/// to `out`, notices to `err` (each prefixed with `prefix`, which the
/// script runner sets to `driftdb:FILE:LINE: ` as psql does for `-f`).
pub struct TableSink<'a, 'c> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    copy: Option<&'c mut dyn CopySource>,
    pending: Option<Pending>,
    /// Prefix for notice lines (empty by default).
    pub prefix: String,
    /// When true, command tags are not printed (psql's `-q`).
    pub quiet: bool,
}

impl<'a, 'c> TableSink<'a, 'c> {
    /// A sink printing to `out` and `err`, with COPY FROM STDIN data read
    /// from `copy` (COPY FROM STDIN fails without one).
    pub fn new(
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
        copy: Option<&'c mut dyn CopySource>,
    ) -> TableSink<'a, 'c> {
        TableSink {
            out,
            err,
            copy,
            pending: None,
            prefix: String::new(),
            quiet: false,
        }
    }

    /// Forgets a half-collected result (after an error, psql prints nothing
    /// of a statement that failed).
    pub fn discard(&mut self) {
        self.pending = None;
    }

    fn write(&mut self, s: &str) -> Result<()> {
        self.out.write_all(s.as_bytes()).map_err(Error::from)
    }
}

impl ResultSink for TableSink<'_, '_> {
    fn begin_rows(
        &mut self,
        columns: &[ColumnDesc],
        _formats: &[Format],
        ctx: &TypeContext,
        _describe: bool,
    ) -> Result<()> {
        self.pending = Some(Pending {
            headers: columns.iter().map(|c| c.name.clone()).collect(),
            aligns: columns.iter().map(|c| Align::for_type(&c.ty)).collect(),
            ctx: ctx.clone(),
            rows: Vec::new(),
        });
        Ok(())
    }

    fn data_row(&mut self, row: &[Value]) -> Result<()> {
        let p = self
            .pending
            .as_mut()
            .ok_or_else(|| Error::Internal("data row before row description".into()))?;
        let cells = row.iter().map(|v| cell_text(v, &p.ctx)).collect();
        p.rows.push(cells);
        Ok(())
    }

    fn command_complete(&mut self, tag: &str) -> Result<()> {
        match self.pending.take() {
            Some(p) => {
                let table = render_aligned(&p.headers, &p.aligns, &p.rows);
                self.write(&table)?;
                // psql shows the tag after the rows of INSERT/UPDATE/DELETE RETURNING.
                let dml = ["INSERT", "UPDATE", "DELETE", "MERGE"];
                if !self.quiet && dml.iter().any(|d| tag.starts_with(d)) {
                    self.write(&format!("{tag}\n"))?;
                }
            }
            None if !self.quiet => self.write(&format!("{tag}\n"))?,
            None => {}
        }
        self.out.flush().map_err(Error::from)
    }

    fn empty_query(&mut self) -> Result<()> {
        Ok(())
    }

    fn notice(&mut self, notice: &Notice) -> Result<()> {
        let line = format!("{}{}:  {}\n", self.prefix, notice.severity, notice.message);
        self.err.write_all(line.as_bytes()).map_err(Error::from)
    }

    fn parameter_status(&mut self, _name: &str, _value: &str) -> Result<()> {
        Ok(())
    }

    fn copy_in_start(&mut self, _columns: usize) -> Result<()> {
        if self.copy.is_none() {
            return Err(Error::sql(
                crate::error::SqlState::FEATURE_NOT_SUPPORTED,
                "COPY FROM STDIN needs input lines (use -f FILE or standard input)",
            ));
        }
        Ok(())
    }

    fn copy_in_next(&mut self) -> Result<Option<Vec<u8>>> {
        let Some(src) = self.copy.as_deref_mut() else {
            return Ok(None);
        };
        match src.next_line() {
            Some(l) if l == "\\." => Ok(None),
            Some(l) => Ok(Some(format!("{l}\n").into_bytes())),
            None => Ok(None),
        }
    }

    fn copy_out_start(&mut self, _columns: usize) -> Result<()> {
        Ok(())
    }

    fn copy_out_data(&mut self, data: &[u8]) -> Result<()> {
        self.out.write_all(data).map_err(Error::from)
    }

    fn copy_out_done(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Expected strings were captured from psql 15.18 against PostgreSQL
    //! 15.18 (`psql -X -f`), then checked byte for byte with `cat -A`.
    use super::*;

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn row(cells: &[Option<&str>]) -> Vec<Option<String>> {
        cells.iter().map(|c| c.map(str::to_string)).collect()
    }

    use Align::{Left as L, Right as R};

    #[test]
    fn simple_left_columns_with_centered_headers() {
        // select 1 as a, 'x' as b, 'longer text' as c;
        let got = render_aligned(
            &h(&["a", "b", "c"]),
            &[R, L, L],
            &[row(&[Some("1"), Some("x"), Some("longer text")])],
        );
        assert_eq!(
            got,
            " a | b |      c      \n---+---+-------------\n 1 | x | longer text\n(1 row)\n\n"
        );
    }

    #[test]
    fn numbers_right_nulls_empty_bools_left() {
        // select 1 + 1, 'ab' as "x", null::int as n, 12345.678::numeric as num,
        //        true as b, 1.5::float8 as f;
        let got = render_aligned(
            &h(&["?column?", "x", "n", "num", "b", "f"]),
            &[R, L, R, R, L, R],
            &[row(&[
                Some("2"),
                Some("ab"),
                None,
                Some("12345.678"),
                Some("t"),
                Some("1.5"),
            ])],
        );
        assert_eq!(
            got,
            " ?column? | x  | n |    num    | b |  f  \n\
             ----------+----+---+-----------+---+-----\n\
             \x20       2 | ab |   | 12345.678 | t | 1.5\n\
             (1 row)\n\n"
        );
    }

    #[test]
    fn widths_from_longest_cell() {
        let got = render_aligned(
            &h(&["longheadername", "n2"]),
            &[L, R],
            &[
                row(&[Some("a"), Some("12")]),
                row(&[Some("bbbbbbbbbbbbbbbbbbbb"), Some("1234567")]),
            ],
        );
        assert_eq!(
            got,
            "    longheadername    |   n2    \n\
             ----------------------+---------\n\
             \x20a                    |      12\n\
             \x20bbbbbbbbbbbbbbbbbbbb | 1234567\n\
             (2 rows)\n\n"
        );
    }

    #[test]
    fn multi_line_values_and_wide_characters() {
        // select * from tt order by id; (v = 'a', E'multi\nline', NULL, 'ü日本語')
        let got = render_aligned(
            &h(&["id", "v"]),
            &[R, L],
            &[
                row(&[Some("1"), Some("a")]),
                row(&[Some("2"), Some("multi\nline")]),
                row(&[Some("3"), None]),
                row(&[Some("4"), Some("ü日本語")]),
            ],
        );
        assert_eq!(
            got,
            " id |    v    \n\
             ----+---------\n\
             \x20 1 | a\n\
             \x20 2 | multi  +\n\
             \x20   | line\n\
             \x20 3 | \n\
             \x20 4 | ü日本語\n\
             (4 rows)\n\n"
        );
    }

    #[test]
    fn continuation_in_a_middle_column() {
        // select 1.5::float8 as f, E'p\nq' as m, 7 as last;
        let got = render_aligned(
            &h(&["f", "m", "last"]),
            &[R, L, R],
            &[row(&[Some("1.5"), Some("p\nq"), Some("7")])],
        );
        assert_eq!(
            got,
            "  f  | m | last \n-----+---+------\n 1.5 | p+|    7\n     | q | \n(1 row)\n\n"
        );
    }

    #[test]
    fn multi_line_headers() {
        // select 'x' as "multi\nheader", 1 as y;
        let got = render_aligned(
            &h(&["multi\nheader", "y"]),
            &[L, R],
            &[row(&[Some("x"), Some("1")])],
        );
        assert_eq!(
            got,
            " multi +| y \n header |   \n--------+---\n x      | 1\n(1 row)\n\n"
        );
        // select 123 as "a\nb\nc", 'left' as "l";
        let got = render_aligned(
            &h(&["a\nb\nc", "l"]),
            &[R, L],
            &[row(&[Some("123"), Some("left")])],
        );
        assert_eq!(
            got,
            "  a +|  l   \n  b +|      \n  c  |      \n-----+------\n 123 | left\n(1 row)\n\n"
        );
    }

    #[test]
    fn zero_rows_and_zero_columns() {
        let got = render_aligned(&h(&["id", "v"]), &[R, L], &[]);
        assert_eq!(got, " id | v \n----+---\n(0 rows)\n\n");
        // select; / select from generate_series(1,2);
        assert_eq!(render_aligned(&[], &[], &[vec![]]), "--\n(1 row)\n\n");
        assert_eq!(
            render_aligned(&[], &[], &[vec![], vec![]]),
            "--\n(2 rows)\n\n"
        );
    }

    #[test]
    fn tabs_and_control_characters() {
        // select E'a\tb' as t, E'x\x01y' as c, 'end' as e;
        let got = render_aligned(
            &h(&["t", "c", "e"]),
            &[L, L, L],
            &[row(&[Some("a\tb"), Some("x\u{1}y"), Some("end")])],
        );
        assert_eq!(
            got,
            "     t     |   c    |  e  \n\
             -----------+--------+-----\n\
             \x20a       b | x\\x01y | end\n\
             (1 row)\n\n"
        );
        // select E'a\r\nb' as crlf;
        let got = render_aligned(&h(&["crlf"]), &[L], &[row(&[Some("a\r\nb")])]);
        assert_eq!(got, " crlf \n------\n a\\r +\n b\n(1 row)\n\n");
        // select E'x\x7fy' as del;
        let got = render_aligned(&h(&["del"]), &[L], &[row(&[Some("x\u{7f}y")])]);
        assert_eq!(got, "  del   \n--------\n x\\x7Fy\n(1 row)\n\n");
    }

    #[test]
    fn wide_header() {
        // select 'abc' as "日本語", 1 as x;
        let got = render_aligned(
            &h(&["日本語", "x"]),
            &[L, R],
            &[row(&[Some("abc"), Some("1")])],
        );
        assert_eq!(got, " 日本語 | x \n--------+---\n abc    | 1\n(1 row)\n\n");
    }

    #[test]
    fn empty_string_and_null_look_alike() {
        // select '' as empty, null as nul;
        let got = render_aligned(&h(&["empty", "nul"]), &[L, L], &[row(&[Some(""), None])]);
        assert_eq!(got, " empty | nul \n-------+-----\n       | \n(1 row)\n\n");
    }

    #[test]
    fn alignment_by_type() {
        assert_eq!(Align::for_type(&DataType::Int8), Align::Right);
        assert_eq!(
            Align::for_type(&DataType::Numeric {
                precision: None,
                scale: None
            }),
            Align::Right
        );
        assert_eq!(Align::for_type(&DataType::Float4), Align::Right);
        assert_eq!(Align::for_type(&DataType::Bool), Align::Left);
        assert_eq!(Align::for_type(&DataType::Timestamptz), Align::Left);
        assert_eq!(Align::for_type(&DataType::Varchar(Some(3))), Align::Left);
    }

    fn col(name: &str, ty: DataType) -> ColumnDesc {
        ColumnDesc {
            name: name.into(),
            ty,
            table_oid: 0,
            column_id: 0,
        }
    }

    #[test]
    fn sink_prints_tables_and_tags_like_psql() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        {
            let mut sink = TableSink::new(&mut out, &mut err, None);
            let ctx = TypeContext::default();
            sink.command_complete("CREATE TABLE").unwrap();
            sink.command_complete("INSERT 0 3").unwrap();
            let cols = [col("id", DataType::Int4), col("v", DataType::Text)];
            sink.begin_rows(&cols, &[Format::Text; 2], &ctx, true)
                .unwrap();
            sink.data_row(&[Value::Int4(4), Value::Text("x".into())])
                .unwrap();
            sink.command_complete("INSERT 0 1").unwrap();
            sink.begin_rows(&cols[..1], &[Format::Text], &ctx, true)
                .unwrap();
            sink.data_row(&[Value::Null]).unwrap();
            sink.data_row(&[Value::Int4(10)]).unwrap();
            sink.command_complete("SELECT 2").unwrap();
            sink.prefix = "driftdb:f.sql:3: ".into();
            sink.notice(&Notice {
                severity: "NOTICE",
                code: crate::error::SqlState::SUCCESSFUL_COMPLETION,
                message: "table \"nope\" does not exist, skipping".into(),
            })
            .unwrap();
            sink.empty_query().unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "CREATE TABLE\nINSERT 0 3\n id | v \n----+---\n  4 | x\n(1 row)\n\nINSERT 0 1\n id \n----\n   \n 10\n(2 rows)\n\n"
        );
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "driftdb:f.sql:3: NOTICE:  table \"nope\" does not exist, skipping\n"
        );
    }

    #[test]
    fn quiet_sink_hides_tags_but_not_rows() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        {
            let mut sink = TableSink::new(&mut out, &mut err, None);
            sink.quiet = true;
            sink.command_complete("BEGIN").unwrap();
            sink.begin_rows(
                &[col("a", DataType::Text)],
                &[Format::Text],
                &TypeContext::default(),
                true,
            )
            .unwrap();
            sink.data_row(&[Value::Text("z".into())]).unwrap();
            sink.command_complete("DELETE 1").unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), " a \n---\n z\n(1 row)\n\n");
    }

    struct Lines(Vec<&'static str>);
    impl CopySource for Lines {
        fn next_line(&mut self) -> Option<String> {
            if self.0.is_empty() {
                None
            } else {
                Some(self.0.remove(0).to_string())
            }
        }
    }

    #[test]
    fn copy_in_reads_until_backslash_dot() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut src = Lines(vec!["1\ta", "2\tb", "\\.", "select 1;"]);
        let mut sink = TableSink::new(&mut out, &mut err, Some(&mut src));
        sink.copy_in_start(2).unwrap();
        assert_eq!(sink.copy_in_next().unwrap(), Some(b"1\ta\n".to_vec()));
        assert_eq!(sink.copy_in_next().unwrap(), Some(b"2\tb\n".to_vec()));
        assert_eq!(sink.copy_in_next().unwrap(), None);
        drop(sink);
        assert_eq!(src.0, vec!["select 1;"]);
        let mut sink = TableSink::new(&mut out, &mut err, None);
        assert!(sink.copy_in_start(1).is_err());
    }
}
