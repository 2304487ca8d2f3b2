//! The first packet(s) of a connection, before authentication.
//!
//! A startup packet is `[Int32 length][Int32 code][body]`. The code says
//! what it is:
//!
//! ```text
//! 80877103  SSLRequest      -> answer 'N' (no TLS yet), read another packet
//! 80877104  GSSENCRequest   -> answer 'N', read another packet
//! 80877102  CancelRequest   -> Int32 pid, Int32 secret; no answer, close
//! 3 << 16 | minor           -> StartupMessage: (String name, String value)*, NUL
//! ```
//!
//! A StartupMessage of a later minor version than 3.0, or with `_pq_.`
//! protocol options, is accepted and answered with NegotiateProtocolVersion,
//! as PostgreSQL does; any other major version is 0A000.

use std::io::{Read, Write};

use crate::error::{Error, Result, SqlState};
use crate::sql::session::StartupParams;

use super::codec::Io;
use super::messages::Reader;

/// SSLRequest code (1234 << 16 | 5679).
pub const SSL_REQUEST: i32 = 80_877_103;
/// GSSENCRequest code (1234 << 16 | 5680).
pub const GSSENC_REQUEST: i32 = 80_877_104;
/// CancelRequest code (1234 << 16 | 5678).
pub const CANCEL_REQUEST: i32 = 80_877_102;
/// Protocol 3.0.
pub const PROTOCOL_3_0: i32 = 3 << 16;

/// What a client opened its connection with.
#[derive(Debug, Clone)]
pub enum Hello {
    /// A StartupMessage.
    Startup {
        /// user, database and the other parameters.
        params: StartupParams,
        /// The minor protocol version asked for.
        minor: u16,
        /// `_pq_.` options, which we do not recognize.
        pq_options: Vec<String>,
    },
    /// A CancelRequest for another connection.
    Cancel {
        /// Target connection's process id.
        pid: i32,
        /// Its secret key.
        secret: i32,
    },
    /// The client hung up before a StartupMessage.
    Gone,
}

/// Reads startup packets until a StartupMessage or CancelRequest, answering
/// SSL and GSSAPI encryption requests with `N`.
pub fn read_hello<S: Read + Write>(io: &mut Io<S>) -> Result<Hello> {
    let (mut ssl_done, mut gss_done) = (false, false);
    loop {
        let Some(frame) = io.read_startup()? else {
            return Ok(Hello::Gone);
        };
        let mut r = Reader::new(io.inb.body(&frame));
        let code = r.i32()?;
        match code {
            SSL_REQUEST if !ssl_done => {
                ssl_done = true;
                io.out.put_u8(b'N');
            }
            GSSENC_REQUEST if !gss_done => {
                gss_done = true;
                io.out.put_u8(b'N');
            }
            CANCEL_REQUEST => {
                let (pid, secret) = (r.i32()?, r.i32()?);
                r.end()?;
                return Ok(Hello::Cancel { pid, secret });
            }
            _ if code >> 16 == 3 => return parse_startup(&mut r, (code & 0xffff) as u16),
            _ => return Err(unsupported_protocol(code)),
        }
    }
}

fn unsupported_protocol(code: i32) -> Error {
    let (major, minor) = ((code as u32) >> 16, (code as u32) & 0xffff);
    Error::sql(
        SqlState::FEATURE_NOT_SUPPORTED,
        format!("unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0"),
    )
}

/// Parses the name/value pairs of a StartupMessage.
fn parse_startup(r: &mut Reader<'_>, minor: u16) -> Result<Hello> {
    let mut params = StartupParams::default();
    let mut pq_options = Vec::new();
    let mut database = None;
    loop {
        if r.remaining() == 0 {
            return Err(layout_error());
        }
        let name = r.cstr().map_err(|_| layout_error())?;
        if name.is_empty() {
            break;
        }
        let value = r.cstr().map_err(|_| layout_error())?;
        match name {
            "user" => params.user = value.to_string(),
            "database" => database = Some(value.to_string()),
            n if n.starts_with("_pq_.") => pq_options.push(n.to_string()),
            n => params.options.push((n.to_string(), value.to_string())),
        }
    }
    if r.remaining() != 0 {
        return Err(layout_error());
    }
    if params.user.is_empty() {
        return Err(Error::sql(
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
            "no PostgreSQL user name specified in startup packet",
        ));
    }
    params.database = database
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| params.user.clone());
    Ok(Hello::Startup {
        params,
        minor,
        pq_options,
    })
}

fn layout_error() -> Error {
    Error::Protocol("invalid startup packet layout: expected terminator as last byte".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A duplex stream over fixed input that records output.
    struct Duplex {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Duplex {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            self.input.read(b)
        }
    }

    impl Write for Duplex {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.output.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn packet(code: i32, body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as i32).to_be_bytes().to_vec();
        v.extend_from_slice(&code.to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    fn hello(input: Vec<u8>) -> (Result<Hello>, Vec<u8>) {
        let mut io = Io::new(Duplex {
            input: Cursor::new(input),
            output: vec![],
        });
        let h = read_hello(&mut io);
        io.flush().unwrap();
        (h, io.stream.output)
    }

    #[test]
    fn ssl_then_startup() {
        let mut input = packet(SSL_REQUEST, b"");
        input.extend(packet(GSSENC_REQUEST, b""));
        input.extend(packet(
            PROTOCOL_3_0,
            b"user\0driftdb\0application_name\0psql\0\0",
        ));
        let (h, out) = hello(input);
        assert_eq!(out, b"NN");
        let Hello::Startup { params, minor, .. } = h.unwrap() else {
            panic!("not a startup");
        };
        assert_eq!(minor, 0);
        assert_eq!(params.user, "driftdb");
        assert_eq!(params.database, "driftdb", "database defaults to user");
        assert_eq!(
            params.options,
            vec![("application_name".into(), "psql".into())]
        );
    }

    #[test]
    fn cancel_and_newer_minor() {
        let mut body = 42i32.to_be_bytes().to_vec();
        body.extend_from_slice(&(-7i32).to_be_bytes());
        let (h, _) = hello(packet(CANCEL_REQUEST, &body));
        assert!(matches!(
            h.unwrap(),
            Hello::Cancel {
                pid: 42,
                secret: -7
            }
        ));

        let (h, _) = hello(packet(
            PROTOCOL_3_0 | 2,
            b"user\0u\0database\0d\0_pq_.x\0v\0\0",
        ));
        let Hello::Startup {
            params,
            minor,
            pq_options,
        } = h.unwrap()
        else {
            panic!("not a startup");
        };
        assert_eq!((minor, params.database.as_str()), (2, "d"));
        assert_eq!(pq_options, vec!["_pq_.x".to_string()]);
    }

    #[test]
    fn bad_packets() {
        let (h, _) = hello(packet(2 << 16, b"user\0u\0\0"));
        let e = h.unwrap_err();
        assert_eq!(e.sqlstate().code(), "0A000");
        assert_eq!(
            e.message(),
            "unsupported frontend protocol 2.0: server supports 3.0 to 3.0"
        );
        for body in [
            &b"user\0u\0"[..],
            b"user\0u",
            b"user\0u\0\0x",
            b"",
            b"user\0",
        ] {
            let (h, _) = hello(packet(PROTOCOL_3_0, body));
            assert_eq!(h.unwrap_err().sqlstate().code(), "08P01", "{body:?}");
        }
        let (h, _) = hello(packet(PROTOCOL_3_0, b"database\0d\0\0"));
        assert_eq!(h.unwrap_err().sqlstate().code(), "28000");
        let mut two_ssl = packet(SSL_REQUEST, b"");
        two_ssl.extend(packet(SSL_REQUEST, b""));
        assert!(hello(two_ssl).0.is_err());
        assert!(matches!(hello(vec![]).0.unwrap(), Hello::Gone));
    }
}
