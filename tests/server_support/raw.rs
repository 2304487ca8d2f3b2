//! A tiny raw PostgreSQL protocol v3 client: exact bytes in, exact messages
//! out, for what the `postgres` crate hides (ReadyForQuery status bytes,
//! CommandComplete tags, RowDescription fields, malformed messages).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};

/// A raw connection.
pub struct Raw {
    /// The socket.
    pub s: TcpStream,
}

/// One backend message.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    /// Type byte.
    pub tag: u8,
    /// Body (after the length).
    pub body: Vec<u8>,
}

impl Msg {
    /// A field (`C` SQLSTATE, `M` message, `P` position...) of an
    /// ErrorResponse or NoticeResponse.
    pub fn field(&self, code: u8) -> Option<String> {
        let mut rest = &self.body[..];
        while let Some((&c, tail)) = rest.split_first() {
            if c == 0 {
                return None;
            }
            let end = tail.iter().position(|&b| b == 0)?;
            if c == code {
                return Some(String::from_utf8_lossy(&tail[..end]).into_owned());
            }
            rest = &tail[end + 1..];
        }
        None
    }

    /// The tag of a CommandComplete.
    pub fn command_tag(&self) -> String {
        assert_eq!(self.tag, b'C', "{self:?}");
        String::from_utf8_lossy(self.body.strip_suffix(&[0]).unwrap_or(&self.body)).into_owned()
    }

    /// The fields of a RowDescription.
    pub fn row_description(&self) -> Vec<Field> {
        assert_eq!(self.tag, b'T', "{self:?}");
        let b = &self.body;
        let n = u16::from_be_bytes([b[0], b[1]]) as usize;
        let mut at = 2;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let end = at + b[at..].iter().position(|&c| c == 0).expect("name ends");
            let name = String::from_utf8_lossy(&b[at..end]).into_owned();
            at = end + 1;
            let be32 = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
            let be16 = |i: usize| i16::from_be_bytes([b[i], b[i + 1]]);
            out.push(Field {
                name,
                table_oid: be32(at),
                column_id: be16(at + 4),
                type_oid: be32(at + 6),
                type_len: be16(at + 10),
                format: be16(at + 16),
            });
            at += 18;
        }
        out
    }

    /// The columns of a DataRow (`None` for NULL).
    pub fn data_row(&self) -> Vec<Option<Vec<u8>>> {
        assert_eq!(self.tag, b'D', "{self:?}");
        let b = &self.body;
        let n = u16::from_be_bytes([b[0], b[1]]) as usize;
        let mut at = 2;
        (0..n)
            .map(|_| {
                let len = i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
                at += 4;
                if len < 0 {
                    return None;
                }
                let v = b[at..at + len as usize].to_vec();
                at += len as usize;
                Some(v)
            })
            .collect()
    }
}

/// One RowDescription field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Column name.
    pub name: String,
    /// Table OID (0 if not a plain column).
    pub table_oid: u32,
    /// Column number (0 if not a plain column).
    pub column_id: i16,
    /// Type OID.
    pub type_oid: u32,
    /// Type size (-1 variable).
    pub type_len: i16,
    /// Format code.
    pub format: i16,
}

/// `[tag][len][body]`.
pub fn frame(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// A StartupMessage (protocol 3.0) with `params`.
pub fn startup_packet(params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = (3i32 << 16).to_be_bytes().to_vec();
    for (k, v) in params {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut p = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    p.extend(body);
    p
}

/// `s` with a terminating NUL.
pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// The tags of `msgs` as a string (`"TDCZ"`).
pub fn tags(msgs: &[Msg]) -> String {
    msgs.iter().map(|m| m.tag as char).collect()
}

/// The CommandComplete tags among `msgs`.
pub fn command_tags(msgs: &[Msg]) -> Vec<String> {
    msgs.iter()
        .filter(|m| m.tag == b'C')
        .map(Msg::command_tag)
        .collect()
}

/// The ReadyForQuery status byte ending `msgs`.
pub fn status(msgs: &[Msg]) -> char {
    let z = msgs.last().expect("messages");
    assert_eq!(z.tag, b'Z', "{msgs:?}");
    z.body[0] as char
}

impl Raw {
    /// Connects without sending anything.
    pub fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        Raw { s }
    }

    /// Connects and logs in with SCRAM-SHA-256.
    pub fn login(port: u16, password: &str) -> Raw {
        let mut r = Raw::connect(port);
        r.send_raw(&startup_packet(&[
            ("user", "driftdb"),
            ("database", "driftdb"),
        ]));
        if let Err(m) = r.scram(password) {
            panic!("login failed: {m:?}");
        }
        let msgs = r.until_ready();
        assert!(msgs.iter().any(|m| m.tag == b'K'), "{msgs:?}");
        r
    }

    /// The client side of SCRAM-SHA-256; the ErrorResponse on failure.
    pub fn scram(&mut self, password: &str) -> Result<(), Msg> {
        let m = self.recv();
        assert_eq!(
            (m.tag, &m.body[..4]),
            (b'R', &10i32.to_be_bytes()[..]),
            "{m:?}"
        );
        let mut sc = ScramSha256::new(password.as_bytes(), ChannelBinding::unsupported());
        let mut body = cstr("SCRAM-SHA-256");
        body.extend_from_slice(&(sc.message().len() as i32).to_be_bytes());
        body.extend_from_slice(sc.message());
        self.send(b'p', &body);
        let m = self.recv();
        assert_eq!(&m.body[..4], &11i32.to_be_bytes(), "{m:?}");
        sc.update(&m.body[4..]).expect("server-first-message");
        self.send(b'p', sc.message());
        let m = self.recv();
        if m.tag == b'E' {
            return Err(m);
        }
        assert_eq!(&m.body[..4], &12i32.to_be_bytes(), "{m:?}");
        sc.finish(&m.body[4..])
            .expect("the server signature verifies");
        let ok = self.recv();
        assert_eq!((ok.tag, &ok.body[..]), (b'R', &[0u8, 0, 0, 0][..]));
        Ok(())
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, b: &[u8]) {
        self.s.write_all(b).expect("send");
    }

    /// Sends one message.
    pub fn send(&mut self, tag: u8, body: &[u8]) {
        self.send_raw(&frame(tag, body));
    }

    /// Reads one message (panics on EOF).
    pub fn recv(&mut self) -> Msg {
        self.try_recv().expect("a message, not EOF")
    }

    /// Reads one message; `None` on EOF or a read error.
    pub fn try_recv(&mut self) -> Option<Msg> {
        let mut head = [0u8; 5];
        self.s.read_exact(&mut head).ok()?;
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]);
        let mut body = vec![0; usize::try_from(len).ok()?.checked_sub(4)?];
        self.s.read_exact(&mut body).ok()?;
        Some(Msg { tag: head[0], body })
    }

    /// Reads messages up to and including ReadyForQuery.
    pub fn until_ready(&mut self) -> Vec<Msg> {
        let mut v = Vec::new();
        loop {
            let m = self.recv();
            let done = m.tag == b'Z';
            v.push(m);
            if done {
                return v;
            }
        }
    }

    /// A simple query; the answer up to ReadyForQuery.
    pub fn query(&mut self, sql: &str) -> Vec<Msg> {
        self.send(b'Q', &cstr(sql));
        self.until_ready()
    }

    /// Parse (unnamed or named) with parameter type OIDs.
    pub fn parse(&mut self, name: &str, sql: &str, types: &[u32]) {
        let mut b = cstr(name);
        b.extend(cstr(sql));
        b.extend_from_slice(&(types.len() as i16).to_be_bytes());
        for t in types {
            b.extend_from_slice(&t.to_be_bytes());
        }
        self.send(b'P', &b);
    }

    /// Bind with text parameters (`None` = NULL) and result format codes.
    pub fn bind(&mut self, portal: &str, stmt: &str, params: &[Option<&str>], results: &[i16]) {
        let mut b = cstr(portal);
        b.extend(cstr(stmt));
        b.extend_from_slice(&0i16.to_be_bytes());
        b.extend_from_slice(&(params.len() as i16).to_be_bytes());
        for p in params {
            match p {
                Some(v) => {
                    b.extend_from_slice(&(v.len() as i32).to_be_bytes());
                    b.extend_from_slice(v.as_bytes());
                }
                None => b.extend_from_slice(&(-1i32).to_be_bytes()),
            }
        }
        b.extend_from_slice(&(results.len() as i16).to_be_bytes());
        for f in results {
            b.extend_from_slice(&f.to_be_bytes());
        }
        self.send(b'B', &b);
    }

    /// Describe a statement (`S`) or portal (`P`).
    pub fn describe(&mut self, kind: u8, name: &str) {
        let mut b = vec![kind];
        b.extend(cstr(name));
        self.send(b'D', &b);
    }

    /// Execute a portal with a row limit (0 = all).
    pub fn execute(&mut self, portal: &str, max_rows: i32) {
        let mut b = cstr(portal);
        b.extend_from_slice(&max_rows.to_be_bytes());
        self.send(b'E', &b);
    }

    /// Sync.
    pub fn sync(&mut self) {
        self.send(b'S', &[]);
    }

    /// True if the server closed the connection (EOF or reset), after
    /// reading and discarding whatever it sent first.
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 4096];
        loop {
            match self.s.read(&mut b) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
                Err(_) => return true,
            }
        }
    }
}
