//! COPY … FROM STDIN and COPY … TO STDOUT, in PostgreSQL's text and CSV
//! formats.
//!
//! COPY FROM streams: CopyData chunks are cut into lines as they arrive and
//! each row is inserted through the same path as INSERT (assignment casts,
//! NOT NULL, unique keys), so a large load never sits in memory whole
//! (except CSV, whose quoted fields may span lines).

use crate::catalog::Table;
use crate::error::{Error, Result, SqlState};
use crate::sql::executor::eval::eval;
use crate::sql::executor::write::{WriteEnv, insert_plain};
use crate::sql::executor::{ExecContext, Source};
use crate::sql::parser::ast;
use crate::sql::planner::Planner;
use crate::sql::planner::expr::Expr;
use crate::sql::session::ResultSink;
use crate::sql::session::session::Session;
use crate::sql_err;
use crate::types::{Row, TypeContext, Value};

/// COPY options.
struct CopyFormat {
    csv: bool,
    delimiter: char,
    null: String,
    header: bool,
    quote: char,
}

impl CopyFormat {
    fn from_options(options: &[(String, Option<String>)]) -> Result<CopyFormat> {
        let mut f = CopyFormat {
            csv: false,
            delimiter: '\t',
            null: "\\N".into(),
            header: false,
            quote: '"',
        };
        let mut delimiter = None;
        let mut null = None;
        for (k, v) in options {
            let v = v.clone().unwrap_or_default();
            match k.as_str() {
                "format" => match v.to_ascii_lowercase().as_str() {
                    "csv" => f.csv = true,
                    "text" => f.csv = false,
                    other => {
                        return Err(sql_err!(
                            SqlState::FEATURE_NOT_SUPPORTED,
                            "COPY format \"{}\" not recognized",
                            other
                        ));
                    }
                },
                "csv" => f.csv = true,
                "delimiter" => delimiter = Some(single_char(&v, "delimiter")?),
                "null" => null = Some(v),
                "header" => {
                    f.header = !matches!(v.to_ascii_lowercase().as_str(), "false" | "off" | "0")
                }
                "quote" => f.quote = single_char(&v, "quote")?,
                "freeze" | "encoding" | "escape" => {}
                other => {
                    return Err(sql_err!(
                        SqlState::SYNTAX_ERROR,
                        "option \"{}\" not recognized",
                        other
                    ));
                }
            }
        }
        if f.csv {
            f.delimiter = ',';
            f.null = String::new();
        }
        if let Some(d) = delimiter {
            f.delimiter = d;
        }
        if let Some(n) = null {
            f.null = n;
        }
        Ok(f)
    }
}

fn single_char(v: &str, what: &str) -> Result<char> {
    let mut chars = v.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() => Ok(c),
        _ => Err(sql_err!(
            SqlState::FEATURE_NOT_SUPPORTED,
            "COPY {} must be a single one-byte character",
            what
        )),
    }
}

impl Session {
    /// Runs COPY (the transaction is already open).
    pub(super) fn copy(
        &mut self,
        c: &ast::Copy,
        sink: &mut dyn ResultSink,
        _portal: Option<&mut Vec<Row>>,
    ) -> Result<()> {
        let format = CopyFormat::from_options(&c.options)?;
        let view = self.catalog_view();
        let ctx = self.type_context_now();
        let planner = Planner::new(&view, &ctx, vec![]);
        let table = planner.lookup_table(&c.table)?;
        let columns: Vec<usize> = if c.columns.is_empty() {
            (0..table.schema.columns.len()).collect()
        } else {
            c.columns
                .iter()
                .map(|i| {
                    table.schema.column_index(&i.name).ok_or_else(|| {
                        sql_err!(
                            SqlState::UNDEFINED_COLUMN,
                            "column \"{}\" of relation \"{}\" does not exist",
                            i.name,
                            table.name()
                        )
                    })
                })
                .collect::<Result<_>>()?
        };
        if c.from {
            let defaults = (0..table.schema.columns.len())
                .map(|i| {
                    if columns.contains(&i) {
                        Ok(None)
                    } else {
                        planner.default_for(&table, i).map(Some)
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            drop(view);
            self.copy_from(&table, &columns, &defaults, &format, sink)
        } else {
            drop(view);
            self.copy_to(&table, &columns, &format, sink)
        }
    }

    fn copy_from(
        &mut self,
        table: &Table,
        columns: &[usize],
        defaults: &[Option<Expr>],
        format: &CopyFormat,
        sink: &mut dyn ResultSink,
    ) -> Result<()> {
        let fns = self.fn_context();
        let storage = self.db.storage().clone();
        let cancel = self.cancel.clone();
        self.writer("COPY")?;
        let txn = self
            .txn
            .as_mut()
            .and_then(|t| t.write.as_mut())
            .ok_or_else(|| Error::Internal("COPY without transaction".into()))?;
        sink.copy_in_start(columns.len())?;
        let uniques = crate::sql::executor::unique::unique_indexes(txn, table.id);
        // Defaults are row-independent; evaluate them once.
        let default_values: Vec<Option<Value>> = {
            let cx = ExecContext::new(
                Source::Txn {
                    storage: &storage,
                    txn,
                },
                &[],
                &fns,
                &cancel,
            );
            defaults
                .iter()
                .map(|d| d.as_ref().map(|e| eval(e, &[], &cx)).transpose())
                .collect::<Result<_>>()?
        };
        let env = WriteEnv {
            storage: &storage,
            params: &[],
            fns: &fns,
            cancel: &cancel,
        };
        let mut pending: Vec<u8> = Vec::new();
        let mut count: u64 = 0;
        let mut store = |fields: Vec<Option<String>>, n: u64| -> Result<()> {
            let row = build_row(table, columns, &default_values, fields, &env.fns.types, n)?;
            insert_plain(table, &uniques, row, txn, &env.fns.types)?;
            count += 1;
            if count.is_multiple_of(4096) {
                cancel.check()?;
            }
            Ok(())
        };
        let mut line_no: u64 = 0;
        let mut done = false;
        let mut csv = CsvStream::new(format);
        let mut record: u64 = 0;
        while let Some(chunk) = sink.copy_in_next()? {
            if done {
                continue;
            }
            if let Some(csv) = csv.as_mut() {
                csv.feed(&chunk);
                let Some(cut) = csv.complete() else { continue };
                let text = std::str::from_utf8(&csv.buf[..cut]).map_err(|_| bad_utf8())?;
                done = csv_records(text, format, &mut record, &mut store)?;
                csv.consume(cut);
                continue;
            }
            pending.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(nl) = pending[start..].iter().position(|&b| b == b'\n') {
                let line = &pending[start..start + nl];
                start += nl + 1;
                line_no += 1;
                let line = std::str::from_utf8(line).map_err(|_| bad_utf8())?;
                let line = line.strip_suffix('\r').unwrap_or(line);
                if line == "\\." {
                    done = true;
                    break;
                }
                if format.header && line_no == 1 {
                    continue;
                }
                store(split_text(line, format)?, line_no)?;
            }
            pending.drain(..start);
        }
        if let Some(csv) = csv.filter(|_| !done) {
            // The last record, without a newline after it.
            let text = String::from_utf8(csv.buf).map_err(|_| bad_utf8())?;
            csv_records(&text, format, &mut record, &mut store)?;
        } else if !format.csv && !done && !pending.is_empty() {
            let line = std::str::from_utf8(&pending).map_err(|_| bad_utf8())?;
            if line != "\\." {
                store(split_text(line, format)?, line_no + 1)?;
            }
        }
        sink.command_complete(&format!("COPY {count}"))
    }

    fn copy_to(
        &mut self,
        table: &Table,
        columns: &[usize],
        format: &CopyFormat,
        sink: &mut dyn ResultSink,
    ) -> Result<()> {
        let fns = self.fn_context();
        let storage = self.db.storage().clone();
        let cancel = self.cancel.clone();
        let source = match self.txn.as_ref().and_then(|t| t.write.as_ref()) {
            Some(w) => Source::Txn {
                storage: &storage,
                txn: w,
            },
            None => Source::Snapshot {
                storage: &storage,
                seq: storage.visible_seq(),
            },
        };
        // Rows go out as they are read: a table of any size is copied in
        // bounded memory.
        let all = || (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded);
        let rows: Box<dyn Iterator<Item = Result<Row>> + '_> = match &source {
            Source::Txn { txn, .. } => {
                let (lo, hi) = all();
                Box::new(txn.scan(table.id, lo, hi)?.map(|r| r.map(|(_, row)| row)))
            }
            Source::Snapshot { storage, seq } => {
                let (lo, hi) = all();
                Box::new(
                    storage
                        .reader(table.id)?
                        .scan(*seq, lo, hi)
                        .map(|r| r.map(|(_, row)| row)),
                )
            }
        };
        sink.copy_out_start(columns.len())?;
        if format.header {
            let names: Vec<&str> = columns
                .iter()
                .map(|&i| table.schema.columns[i].name.as_str())
                .collect();
            sink.copy_out_data(
                format!("{}\n", names.join(&format.delimiter.to_string())).as_bytes(),
            )?;
        }
        let mut count: u64 = 0;
        for row in rows {
            let row = row?;
            let mut line = String::new();
            for (n, &i) in columns.iter().enumerate() {
                if n > 0 {
                    line.push(format.delimiter);
                }
                let v = row.get(i).cloned().unwrap_or(Value::Null);
                if v.is_null() {
                    line.push_str(&format.null);
                } else if format.csv {
                    line.push_str(&csv_quote(&v.to_text(&fns.types), format));
                } else {
                    escape_text(&v.to_text(&fns.types), format.delimiter, &mut line);
                }
            }
            line.push('\n');
            sink.copy_out_data(line.as_bytes())?;
            count += 1;
            if count.is_multiple_of(4096) {
                cancel.check()?;
            }
        }
        sink.copy_out_done()?;
        sink.command_complete(&format!("COPY {count}"))
    }
}

fn bad_utf8() -> Error {
    sql_err!(
        SqlState::CHARACTER_NOT_IN_REPERTOIRE,
        "invalid byte sequence for encoding \"UTF8\""
    )
}

/// A table row from COPY fields for `columns`, defaults elsewhere.
fn build_row(
    table: &Table,
    columns: &[usize],
    defaults: &[Option<Value>],
    fields: Vec<Option<String>>,
    ctx: &TypeContext,
    line: u64,
) -> Result<Row> {
    let context = |e: Error| match e {
        Error::Sql(mut s) => {
            s.detail = Some(format!("COPY {}, line {}", table.name(), line));
            Error::Sql(s)
        }
        other => other,
    };
    if fields.len() != columns.len() {
        let msg = if fields.len() < columns.len() {
            "missing data for column"
        } else {
            "extra data after last expected column"
        };
        return Err(
            sql_err!(SqlState::BAD_COPY_FILE_FORMAT, "{}", msg).with_detail(format!(
                "COPY {}, line {}",
                table.name(),
                line
            )),
        );
    }
    let mut row: Row = defaults
        .iter()
        .map(|d| d.clone().unwrap_or(Value::Null))
        .collect();
    for (field, &col) in fields.into_iter().zip(columns) {
        row[col] = match field {
            None => Value::Null,
            Some(text) => {
                Value::from_text(&text, &table.schema.columns[col].ty, ctx).map_err(context)?
            }
        };
    }
    Ok(row)
}

/// Splits a text-format line into fields, undoing backslash escapes;
/// the NULL marker gives `None`.
fn split_text(line: &str, f: &CopyFormat) -> Result<Vec<Option<String>>> {
    let mut out = Vec::new();
    for raw in line.split(f.delimiter) {
        if raw == f.null {
            out.push(None);
            continue;
        }
        out.push(Some(unescape(raw)?));
    }
    Ok(out)
}

fn unescape(raw: &str) -> Result<String> {
    if !raw.contains('\\') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut bytes: Vec<u8> = Vec::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let Some(e) = chars.next() else { break };
        match e {
            'b' => bytes.push(8),
            'f' => bytes.push(12),
            'n' => bytes.push(b'\n'),
            'r' => bytes.push(b'\r'),
            't' => bytes.push(b'\t'),
            'v' => bytes.push(11),
            'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && chars.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    v = v * 16 + chars.next().and_then(|c| c.to_digit(16)).unwrap_or(0);
                    n += 1;
                }
                bytes.push(v as u8);
            }
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                let mut n = 1;
                while n < 3 && chars.peek().is_some_and(|c| ('0'..='7').contains(c)) {
                    v = v * 8 + chars.next().and_then(|c| c.to_digit(8)).unwrap_or(0);
                    n += 1;
                }
                bytes.push((v & 0xff) as u8);
            }
            other => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push_str(&String::from_utf8(bytes).map_err(|_| bad_utf8())?);
    Ok(out)
}

fn escape_text(s: &str, delimiter: char, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == delimiter => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

fn csv_quote(s: &str, f: &CopyFormat) -> String {
    let needs = s.is_empty()
        || s.contains(f.delimiter)
        || s.contains(f.quote)
        || s.contains('\n')
        || s.contains('\r')
        || s == "\\.";
    if !needs {
        return s.to_string();
    }
    let q = f.quote.to_string();
    format!("{q}{}{q}", s.replace(f.quote, &format!("{q}{q}")))
}

/// Parses CSV records; an unquoted field equal to the NULL string is `None`.
/// Stores each CSV record of `text` (complete records) with `store`,
/// counting them in `record` (the header is record 1); true once the
/// end-of-data marker `\.` is seen.
fn csv_records(
    text: &str,
    format: &CopyFormat,
    record: &mut u64,
    store: &mut impl FnMut(Vec<Option<String>>, u64) -> Result<()>,
) -> Result<bool> {
    for fields in parse_csv(text, format)? {
        *record += 1;
        if format.header && *record == 1 {
            continue;
        }
        if fields.len() == 1 && fields[0].as_deref() == Some("\\.") {
            return Ok(true);
        }
        store(fields, *record)?;
    }
    Ok(false)
}

/// CSV input as it arrives: records are parsed as soon as they are
/// complete (a newline outside quotes ends one), so COPY holds one piece of
/// the input at a time, not all of it.
struct CsvStream {
    buf: Vec<u8>,
    quote: u8,
    /// Bytes of `buf` scanned so far, and whether that point is inside
    /// quotes.
    scanned: usize,
    in_quotes: bool,
    /// The end of the last complete record in `buf`.
    cut: usize,
}

impl CsvStream {
    /// A stream for CSV `f`; `None` for text format. (QUOTE is one byte,
    /// as `from_options` checks.)
    fn new(f: &CopyFormat) -> Option<CsvStream> {
        f.csv.then(|| CsvStream {
            buf: Vec::new(),
            quote: u8::try_from(f.quote).unwrap_or(b'"'),
            scanned: 0,
            in_quotes: false,
            cut: 0,
        })
    }

    fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        for (i, b) in self.buf[self.scanned..].iter().enumerate() {
            if *b == self.quote {
                self.in_quotes = !self.in_quotes;
            } else if *b == b'\n' && !self.in_quotes {
                self.cut = self.scanned + i + 1;
            }
        }
        self.scanned = self.buf.len();
    }

    /// The length of the complete records at the start of `buf`, if any.
    fn complete(&self) -> Option<usize> {
        (self.cut > 0).then_some(self.cut)
    }

    /// Drops the first `n` bytes (parsed).
    fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
        self.scanned -= n;
        self.cut = 0;
    }
}

fn parse_csv(text: &str, f: &CopyFormat) -> Result<Vec<Vec<Option<String>>>> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            if c == f.quote {
                if chars.peek() == Some(&f.quote) {
                    chars.next();
                    field.push(c);
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            c if c == f.quote => {
                in_quotes = true;
                quoted = true;
            }
            c if c == f.delimiter => {
                fields.push(csv_field(std::mem::take(&mut field), quoted, f));
                quoted = false;
            }
            '\n' => {
                fields.push(csv_field(std::mem::take(&mut field), quoted, f));
                quoted = false;
                records.push(std::mem::take(&mut fields));
                any = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err(sql_err!(
            SqlState::BAD_COPY_FILE_FORMAT,
            "unterminated CSV quoted field"
        ));
    }
    if any {
        fields.push(csv_field(field, quoted, f));
        records.push(fields);
    }
    Ok(records)
}

fn csv_field(s: String, quoted: bool, f: &CopyFormat) -> Option<String> {
    if !quoted && s == f.null {
        None
    } else {
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_format() -> CopyFormat {
        CopyFormat::from_options(&[]).unwrap()
    }

    #[test]
    fn text_fields_unescape() {
        let f = text_format();
        let fields = split_text("1\ta\\tb\t\\N\t\\101", &f).unwrap();
        assert_eq!(
            fields,
            vec![
                Some("1".into()),
                Some("a\tb".into()),
                None,
                Some("A".into())
            ]
        );
        let mut out = String::new();
        escape_text("a\tb\\", '\t', &mut out);
        assert_eq!(out, "a\\tb\\\\");
    }

    #[test]
    fn csv_records_with_quotes() {
        let f = CopyFormat::from_options(&[("format".into(), Some("csv".into()))]).unwrap();
        let r = parse_csv("1,\"a,b\",\n2,\"x\"\"y\",\"\"\n", &f).unwrap();
        assert_eq!(r[0], vec![Some("1".into()), Some("a,b".into()), None]);
        assert_eq!(
            r[1],
            vec![Some("2".into()), Some("x\"y".into()), Some(String::new())]
        );
        assert_eq!(csv_quote("a,b", &f), "\"a,b\"");
    }

    #[test]
    fn csv_stream_parses_records_as_they_complete() {
        // Quoted newlines and doubled quotes, split at every byte: the
        // records parsed piece by piece are those of the whole input.
        let f = CopyFormat::from_options(&[("format".into(), Some("csv".into()))]).unwrap();
        let input = "1,\"a\nb\",x\r\n2,\"say \"\"hi\"\"\n\",\n3,é,\"\"\n4,last";
        let whole = parse_csv(input, &f).unwrap();
        for step in 1..input.len() {
            let mut csv = CsvStream::new(&f).unwrap();
            let mut got = Vec::new();
            for piece in input.as_bytes().chunks(step) {
                csv.feed(piece);
                if let Some(cut) = csv.complete() {
                    let text = std::str::from_utf8(&csv.buf[..cut]).unwrap();
                    got.extend(parse_csv(text, &f).unwrap());
                    csv.consume(cut);
                    assert!(csv.complete().is_none());
                }
            }
            assert_eq!(csv.buf, b"4,last", "step {step}");
            got.extend(parse_csv(std::str::from_utf8(&csv.buf).unwrap(), &f).unwrap());
            assert_eq!(got, whole, "step {step}");
        }
        assert!(CsvStream::new(&text_format()).is_none());
    }
}
