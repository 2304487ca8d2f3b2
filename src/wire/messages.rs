//! Protocol v3 messages: decoding what the frontend sends, encoding what the
//! backend answers.
//!
//! Decoding borrows from the input buffer ([`Frontend`] holds `&str`/`&[u8]`
//! slices of the frame) and checks every count against the bytes left, so a
//! hostile count cannot make us allocate. Encoding appends to an
//! [`OutBuf`]; the layouts are written beside each encoder as
//! `tag: field, field...` with PostgreSQL's type names (Int16, Int32, String =
//! NUL-terminated, Byte1, Byten).

use crate::error::{Error, Result, SqlState};
use crate::sql::session::{ColumnDesc, Format, Notice, TxnStatus};
use crate::types::DataType;

use super::codec::OutBuf;

/// Describe/Close target: `S` (prepared statement) or `P` (portal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `S`
    Statement,
    /// `P`
    Portal,
}

/// A decoded Bind message.
#[derive(Debug, Clone, PartialEq)]
pub struct Bind<'a> {
    /// Destination portal ("" = unnamed).
    pub portal: &'a str,
    /// Source prepared statement ("" = unnamed).
    pub statement: &'a str,
    /// Parameter format codes (0, 1 or n of them).
    pub param_formats: Vec<i16>,
    /// Parameter values; `None` is NULL.
    pub params: Vec<Option<&'a [u8]>>,
    /// Result format codes.
    pub result_formats: Vec<i16>,
}

/// A message from the frontend, after startup.
#[derive(Debug, Clone, PartialEq)]
pub enum Frontend<'a> {
    /// `Q`: String query.
    Query(&'a str),
    /// `P`: String name, String query, Int16 n, Int32 oid × n.
    Parse {
        /// Statement name.
        name: &'a str,
        /// Query text.
        sql: &'a str,
        /// Parameter type OIDs (0 = unspecified).
        param_oids: Vec<u32>,
    },
    /// `B`: see [`Bind`].
    Bind(Bind<'a>),
    /// `D`: Byte1 'S'|'P', String name.
    Describe(Target, &'a str),
    /// `E`: String portal, Int32 max rows (0 = all).
    Execute {
        /// Portal name.
        portal: &'a str,
        /// Row limit; 0 or negative means no limit.
        max_rows: i32,
    },
    /// `C`: Byte1 'S'|'P', String name.
    Close(Target, &'a str),
    /// `H`
    Flush,
    /// `S`
    Sync,
    /// `X`
    Terminate,
    /// `d`: Byten data.
    CopyData(&'a [u8]),
    /// `c`
    CopyDone,
    /// `f`: String error message.
    CopyFail(&'a str),
    /// `F`: a fast-path function call (not supported).
    FunctionCall,
    /// `p`: password, SASLInitialResponse or SASLResponse; its layout
    /// depends on the authentication step, so the body is kept raw.
    Password(&'a [u8]),
}

/// Reads fields from a message body, failing with 08P01 as PostgreSQL's
/// `pq_getmsg*` functions do.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::Protocol("insufficient data left in message".into()));
        }
        let b = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    /// Byte1.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// Int16 as a count (PostgreSQL reads counts unsigned).
    pub fn u16(&mut self) -> Result<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Int16.
    pub fn i16(&mut self) -> Result<i16> {
        let b = self.bytes(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    /// Int32.
    pub fn i32(&mut self) -> Result<i32> {
        let b = self.bytes(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Int32 as an OID.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(self.i32()? as u32)
    }

    /// String: bytes up to a NUL, which must be valid UTF-8.
    pub fn cstr(&mut self) -> Result<&'a str> {
        let rest = &self.buf[self.pos..];
        let Some(nul) = rest.iter().position(|&b| b == 0) else {
            return Err(Error::Protocol("invalid string in message".into()));
        };
        let s = std::str::from_utf8(&rest[..nul]).map_err(|_| invalid_utf8(&rest[..nul]))?;
        self.pos += nul + 1;
        Ok(s)
    }

    /// A count that must fit the bytes left at `each` bytes per item.
    fn count(&mut self, each: usize) -> Result<usize> {
        let n = self.u16()? as usize;
        if n * each > self.remaining() {
            return Err(Error::Protocol("insufficient data left in message".into()));
        }
        Ok(n)
    }

    /// Fails unless every byte was read.
    pub fn end(&self) -> Result<()> {
        if self.remaining() != 0 {
            return Err(Error::Protocol("invalid message format".into()));
        }
        Ok(())
    }
}

/// 22021, worded as PostgreSQL words it: the bytes of the first bad
/// sequence, as many as its lead byte announces (or as remain).
pub fn invalid_utf8(bytes: &[u8]) -> Error {
    let bad = std::str::from_utf8(bytes)
        .err()
        .map(|e| e.valid_up_to())
        .unwrap_or(0);
    let rest = &bytes[bad.min(bytes.len())..];
    let announced = match rest.first() {
        Some(0xc0..=0xdf) => 2,
        Some(0xe0..=0xef) => 3,
        Some(0xf0..=0xf7) => 4,
        _ => 1,
    };
    let seq: Vec<String> = rest
        .iter()
        .take(announced)
        .map(|b| format!("0x{b:02x}"))
        .collect();
    Error::sql(
        SqlState::CHARACTER_NOT_IN_REPERTOIRE,
        format!(
            "invalid byte sequence for encoding \"UTF8\": {}",
            seq.join(" ")
        ),
    )
}

/// Decodes one frontend message from its tag and body.
pub fn decode(tag: u8, body: &[u8]) -> Result<Frontend<'_>> {
    let mut r = Reader::new(body);
    let msg = match tag {
        b'Q' => Frontend::Query(r.cstr()?),
        b'P' => decode_parse(&mut r)?,
        b'B' => Frontend::Bind(decode_bind(&mut r)?),
        b'D' => {
            let t = target(r.u8()?, "describe")?;
            Frontend::Describe(t, r.cstr()?)
        }
        b'E' => Frontend::Execute {
            portal: r.cstr()?,
            max_rows: r.i32()?,
        },
        b'C' => {
            let t = target(r.u8()?, "close")?;
            Frontend::Close(t, r.cstr()?)
        }
        b'H' => Frontend::Flush,
        b'S' => Frontend::Sync,
        b'X' => Frontend::Terminate,
        b'd' => return Ok(Frontend::CopyData(body)),
        b'c' => Frontend::CopyDone,
        b'f' => Frontend::CopyFail(r.cstr()?),
        b'F' => return Ok(Frontend::FunctionCall),
        b'p' => return Ok(Frontend::Password(body)),
        other => {
            return Err(Error::Protocol(format!(
                "invalid frontend message type {other}"
            )));
        }
    };
    r.end()?;
    Ok(msg)
}

fn target(b: u8, what: &str) -> Result<Target> {
    match b {
        b'S' => Ok(Target::Statement),
        b'P' => Ok(Target::Portal),
        _ => Err(Error::Protocol(format!(
            "invalid {what} message subtype {b}"
        ))),
    }
}

fn decode_parse<'a>(r: &mut Reader<'a>) -> Result<Frontend<'a>> {
    let name = r.cstr()?;
    let sql = r.cstr()?;
    let n = r.count(4)?;
    let mut param_oids = Vec::with_capacity(n);
    for _ in 0..n {
        param_oids.push(r.u32()?);
    }
    Ok(Frontend::Parse {
        name,
        sql,
        param_oids,
    })
}

fn decode_bind<'a>(r: &mut Reader<'a>) -> Result<Bind<'a>> {
    let portal = r.cstr()?;
    let statement = r.cstr()?;
    let param_formats = formats(r)?;
    let n = r.count(4)?;
    let mut params = Vec::with_capacity(n);
    for _ in 0..n {
        let len = r.i32()?;
        params.push(match len {
            -1 => None,
            l if l < 0 => {
                return Err(Error::Protocol(format!(
                    "invalid length {l} of bind parameter"
                )));
            }
            l => Some(r.bytes(l as usize)?),
        });
    }
    let result_formats = formats(r)?;
    Ok(Bind {
        portal,
        statement,
        param_formats,
        params,
        result_formats,
    })
}

fn formats(r: &mut Reader<'_>) -> Result<Vec<i16>> {
    let n = r.count(2)?;
    (0..n).map(|_| r.i16()).collect()
}

// ---------------------------------------------------------------------------
// Backend messages.

/// Severity of an ErrorResponse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The statement failed; the session continues.
    Error,
    /// The session ends after this message.
    Fatal,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
        }
    }
}

/// `E`: (Byte1 field code, String value)*, Byte1 0. Fields S and V
/// (severity, localized and not), C (SQLSTATE), M, then D, H, P, s, t, c, n
/// when present.
pub fn error_response(out: &mut OutBuf, severity: Severity, err: &Error) {
    let m = out.begin(b'E');
    let sev = severity.as_str();
    field(out, b'S', sev);
    field(out, b'V', sev);
    field(out, b'C', err.sqlstate().code());
    field(out, b'M', &err.message());
    if let Some(e) = err.as_sql() {
        if let Some(d) = &e.detail {
            field(out, b'D', d);
        }
        if let Some(h) = &e.hint {
            field(out, b'H', h);
        }
        if let Some(p) = e.position {
            field(out, b'P', &p.to_string());
        }
        if let Some(o) = &e.object {
            for (code, v) in [
                (b's', &o.schema),
                (b't', &o.table),
                (b'c', &o.column),
                (b'n', &o.constraint),
            ] {
                if let Some(v) = v {
                    field(out, code, v);
                }
            }
        }
    }
    out.put_u8(0);
    finish(out, m);
}

/// `N`: the fields of an ErrorResponse, for a notice.
pub fn notice_response(out: &mut OutBuf, notice: &Notice) {
    let m = out.begin(b'N');
    field(out, b'S', notice.severity);
    field(out, b'V', notice.severity);
    field(out, b'C', notice.code.code());
    field(out, b'M', &notice.message);
    out.put_u8(0);
    finish(out, m);
}

fn field(out: &mut OutBuf, code: u8, value: &str) {
    out.put_u8(code);
    out.put_cstr(value);
}

/// Ends a message that cannot approach the 1 GiB length limit.
fn finish(out: &mut OutBuf, mark: usize) {
    // Only DataRow and CopyData carry client-sized payloads; every other
    // message is far below i32::MAX, so this cannot fail.
    let _ = out.finish(mark);
}

/// `Z`: Byte1 status.
pub fn ready_for_query(out: &mut OutBuf, status: TxnStatus) {
    let m = out.begin(b'Z');
    out.put_u8(status.byte());
    finish(out, m);
}

/// `S`: String name, String value.
pub fn parameter_status(out: &mut OutBuf, name: &str, value: &str) {
    let m = out.begin(b'S');
    out.put_cstr(name);
    out.put_cstr(value);
    finish(out, m);
}

/// `K`: Int32 process id, Int32 secret key.
pub fn backend_key_data(out: &mut OutBuf, pid: i32, secret: i32) {
    let m = out.begin(b'K');
    out.put_i32(pid);
    out.put_i32(secret);
    finish(out, m);
}

/// `R`: Int32 code, then code-specific data (SASL mechanism list, MD5 salt,
/// SASL challenge).
pub fn authentication(out: &mut OutBuf, code: i32, data: &[u8]) {
    let m = out.begin(b'R');
    out.put_i32(code);
    out.put_bytes(data);
    finish(out, m);
}

/// `v`: Int32 newest protocol version supported, Int32 n, String option × n.
/// PostgreSQL sends the whole version number (`3 << 16 | minor`), not just
/// the minor part the documentation names, and libpq reads it that way.
pub fn negotiate_protocol_version(out: &mut OutBuf, version: i32, unrecognized: &[&str]) {
    let m = out.begin(b'v');
    out.put_i32(version);
    out.put_i32(unrecognized.len() as i32);
    for o in unrecognized {
        out.put_cstr(o);
    }
    finish(out, m);
}

/// A message with no body: `1` ParseComplete, `2` BindComplete, `3`
/// CloseComplete, `n` NoData, `s` PortalSuspended, `I` EmptyQueryResponse,
/// `c` CopyDone.
pub fn empty(out: &mut OutBuf, tag: u8) {
    out.put_u8(tag);
    out.put_i32(4);
}

/// `C`: String tag.
pub fn command_complete(out: &mut OutBuf, tag: &str) {
    let m = out.begin(b'C');
    out.put_cstr(tag);
    finish(out, m);
}

/// `t`: Int16 n, Int32 type oid × n.
pub fn parameter_description(out: &mut OutBuf, params: &[DataType]) -> Result<()> {
    let n = count16(params.len(), "parameters")?;
    let m = out.begin(b't');
    out.put_i16(n);
    for p in params {
        out.put_u32(p.oid());
    }
    finish(out, m);
    Ok(())
}

/// `T`: Int16 n, then per column: String name, Int32 table oid, Int16
/// column number, Int32 type oid, Int16 typlen, Int32 typmod, Int16 format.
/// `formats` has one entry per column, or is empty for all-text.
pub fn row_description(out: &mut OutBuf, cols: &[ColumnDesc], formats: &[Format]) -> Result<()> {
    let n = count16(cols.len(), "columns")?;
    let m = out.begin(b'T');
    out.put_i16(n);
    for (i, c) in cols.iter().enumerate() {
        out.put_cstr(&c.name);
        out.put_u32(c.table_oid);
        out.put_i16(c.column_id);
        out.put_u32(c.ty.oid());
        out.put_i16(c.ty.typlen());
        out.put_i32(c.ty.typmod());
        out.put_i16(match formats.get(i) {
            Some(Format::Binary) => 1,
            _ => 0,
        });
    }
    finish(out, m);
    Ok(())
}

/// `G` CopyInResponse / `H` CopyOutResponse: Int8 overall format (0 = text),
/// Int16 n, Int16 format × n.
pub fn copy_response(out: &mut OutBuf, tag: u8, columns: usize) -> Result<()> {
    let n = count16(columns, "columns")?;
    let m = out.begin(tag);
    out.put_u8(0);
    out.put_i16(n);
    for _ in 0..n {
        out.put_i16(0);
    }
    finish(out, m);
    Ok(())
}

/// `d`: Byten.
pub fn copy_data(out: &mut OutBuf, data: &[u8]) -> Result<()> {
    let m = out.begin(b'd');
    out.put_bytes(data);
    out.finish(m)
}

fn count16(n: usize, what: &str) -> Result<i16> {
    i16::try_from(n).map_err(|_| {
        Error::sql(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            format!("too many {what}: {n}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn decodes_parse_and_bind() {
        let p = body(&[b"s1\0SELECT $1\0", &[0, 2], &23u32.to_be_bytes(), &[0; 4]]);
        assert_eq!(
            decode(b'P', &p).unwrap(),
            Frontend::Parse {
                name: "s1",
                sql: "SELECT $1",
                param_oids: vec![23, 0]
            }
        );
        let b = body(&[
            b"p\0s1\0",
            &[0, 1, 0, 1],          // one format: binary
            &[0, 2],                // two params
            &4i32.to_be_bytes(),    // len 4
            &7i32.to_be_bytes(),    // value
            &(-1i32).to_be_bytes(), // NULL
            &[0, 2, 0, 0, 0, 1],    // result formats text, binary
        ]);
        let Frontend::Bind(bind) = decode(b'B', &b).unwrap() else {
            panic!("not a bind");
        };
        assert_eq!(bind.portal, "p");
        assert_eq!(bind.statement, "s1");
        assert_eq!(bind.param_formats, vec![1]);
        assert_eq!(bind.params, vec![Some(&7i32.to_be_bytes()[..]), None]);
        assert_eq!(bind.result_formats, vec![0, 1]);
    }

    #[test]
    fn decodes_small_messages() {
        assert_eq!(
            decode(b'Q', b"SELECT 1\0").unwrap(),
            Frontend::Query("SELECT 1")
        );
        assert_eq!(
            decode(b'D', b"Sst\0").unwrap(),
            Frontend::Describe(Target::Statement, "st")
        );
        assert_eq!(
            decode(b'C', b"P\0").unwrap(),
            Frontend::Close(Target::Portal, "")
        );
        let e = body(&[b"\0", &5i32.to_be_bytes()]);
        assert_eq!(
            decode(b'E', &e).unwrap(),
            Frontend::Execute {
                portal: "",
                max_rows: 5
            }
        );
        assert_eq!(decode(b'S', b"").unwrap(), Frontend::Sync);
        assert_eq!(
            decode(b'd', b"1\t2\n").unwrap(),
            Frontend::CopyData(b"1\t2\n")
        );
    }

    #[test]
    fn rejects_malformed_bodies() {
        let cases: &[(u8, &[u8])] = &[
            (b'Q', b"no terminator"),
            (b'Q', b"SELECT 1\0extra"),
            (b'D', b"Xname\0"),
            (b'E', b"\0\0\0"),
            (b'P', b"a\0b\0\xff\xff"), // 65535 oids, none present
            (b'B', b"\0\0\0\0\0\x01\xff\xff\xff\xfe"), // negative length
            (b'B', b"\0\0\0\0\0\x01\0\0\0\x09ab"), // length past the end
            (b'S', b"x"),
            (b'z', b""),
        ];
        for (tag, b) in cases {
            let e = decode(*tag, b).unwrap_err();
            assert_eq!(e.sqlstate().code(), "08P01", "{} {:?}", *tag as char, b);
        }
        assert_eq!(
            invalid_utf8(b"a\xe4\xb8'").message(),
            "invalid byte sequence for encoding \"UTF8\": 0xe4 0xb8 0x27"
        );
        assert_eq!(
            invalid_utf8(b"a\xe4'").message(),
            "invalid byte sequence for encoding \"UTF8\": 0xe4 0x27"
        );
        let e = decode(b'Q', b"\xc3\x28\0").unwrap_err();
        assert_eq!(e.sqlstate().code(), "22021");
        assert_eq!(
            e.message(),
            "invalid byte sequence for encoding \"UTF8\": 0xc3 0x28"
        );
    }

    #[test]
    fn encodes_error_fields_in_order() {
        let err = Error::sql(SqlState::SYNTAX_ERROR, "syntax error at or near \"x\"")
            .with_position(8)
            .with_hint("h");
        let mut out = OutBuf::new();
        error_response(&mut out, Severity::Error, &err);
        let b = out.as_bytes();
        assert_eq!(b[0], b'E');
        assert_eq!(
            &b[5..],
            &b"SERROR\0VERROR\0C42601\0Msyntax error at or near \"x\"\0Hh\0P8\0\0"[..]
        );
        assert_eq!(
            i32::from_be_bytes([b[1], b[2], b[3], b[4]]) as usize,
            b.len() - 1
        );
    }

    #[test]
    fn encodes_row_description() {
        let cols = vec![ColumnDesc {
            name: "id".into(),
            ty: DataType::Int4,
            table_oid: 16384,
            column_id: 1,
        }];
        let mut out = OutBuf::new();
        row_description(&mut out, &cols, &[Format::Binary]).unwrap();
        let expect = body(&[
            b"T",
            &27i32.to_be_bytes(),
            &[0, 1],
            b"id\0",
            &16384u32.to_be_bytes(),
            &[0, 1],
            &23u32.to_be_bytes(),
            &[0, 4],
            &(-1i32).to_be_bytes(),
            &[0, 1],
        ]);
        assert_eq!(out.as_bytes(), &expect[..]);
    }
}
