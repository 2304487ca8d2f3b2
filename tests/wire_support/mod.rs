//! Shared by the wire tests: an in-process server over the mock backend on
//! a free port, and a raw protocol client for byte-level checks.
#![allow(dead_code)]

pub mod mock;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use driftdb::server::{Server, ServerConfig, ShutdownHandle};
use driftdb::wire::{AuthMethod, Credentials, WireConfig};
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};

pub use mock::MockFactory;

/// The test password.
pub const PASSWORD: &str = "s3cret pw";

/// A server running in a thread.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Stops it.
    pub handle: ShutdownHandle,
    /// The factory (shared counters).
    pub factory: MockFactory,
    join: Option<JoinHandle<driftdb::Result<()>>>,
}

impl TestServer {
    /// Starts a server with `method` on a free port.
    pub fn start(method: AuthMethod) -> TestServer {
        TestServer::start_with(method, driftdb::server::AUTH_TIMEOUT)
    }

    /// Starts a server with `method` and an authentication timeout.
    pub fn start_with(method: AuthMethod, auth_timeout: Duration) -> TestServer {
        driftdb::logging::set_quiet(true);
        let factory = MockFactory::default();
        let config = ServerConfig {
            host: "127.0.0.1".into(),
            port: 0,
            wire: WireConfig {
                user: "driftdb".into(),
                database: "driftdb".into(),
                auth_method: method,
                credentials: Credentials::from_password("driftdb", PASSWORD).unwrap(),
            },
            auth_timeout,
        };
        let server = Server::bind(config, factory.clone()).unwrap();
        let addr = server.local_addr();
        let handle = server.shutdown_handle().unwrap();
        let join = Some(std::thread::spawn(move || server.run()));
        TestServer {
            addr,
            handle,
            factory,
            join,
        }
    }

    /// A `postgres` crate config for this server.
    pub fn config(&self) -> postgres::Config {
        let mut c = postgres::Config::new();
        c.host("127.0.0.1")
            .port(self.addr.port())
            .user("driftdb")
            .dbname("driftdb")
            .password(PASSWORD)
            .connect_timeout(Duration::from_secs(10));
        c
    }

    /// A connected `postgres` client.
    pub fn client(&self) -> postgres::Client {
        self.config().connect(postgres::NoTls).unwrap()
    }

    /// Waits for `run` to return (after a shutdown started elsewhere).
    pub fn join(mut self) -> driftdb::Result<()> {
        self.join.take().unwrap().join().unwrap()
    }

    /// Stops the server and waits for `run` to return.
    pub fn stop(mut self) -> driftdb::Result<()> {
        self.handle.shutdown();
        self.join.take().unwrap().join().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(j) = self.join.take() {
            self.handle.shutdown();
            let _ = j.join();
        }
    }
}

/// A raw protocol client.
pub struct Raw {
    /// The socket.
    pub s: TcpStream,
}

/// One backend message.
#[derive(Debug, Clone, PartialEq)]
pub struct Msg {
    /// Type byte.
    pub tag: u8,
    /// Body.
    pub body: Vec<u8>,
}

impl Msg {
    /// The `C` (SQLSTATE) field of an ErrorResponse/NoticeResponse.
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
}

/// `[tag][len][body]`.
pub fn frame(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// A startup message with `params`.
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

impl Raw {
    /// Connects without sending anything.
    pub fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Raw { s }
    }

    /// Connects and logs in with SCRAM (the default server method).
    pub fn login(addr: SocketAddr) -> Raw {
        let mut r = Raw::connect(addr);
        r.send_raw(&startup_packet(&[
            ("user", "driftdb"),
            ("database", "driftdb"),
        ]));
        r.scram(PASSWORD).unwrap();
        let msgs = r.until_ready();
        assert!(msgs.iter().any(|m| m.tag == b'K'), "{msgs:?}");
        r
    }

    /// Runs the client side of SCRAM; returns the error message on failure.
    pub fn scram(&mut self, password: &str) -> Result<(), Msg> {
        let m = self.recv();
        assert_eq!(m.tag, b'R', "{m:?}");
        assert_eq!(&m.body[..4], &10i32.to_be_bytes());
        let mut sc = ScramSha256::new(password.as_bytes(), ChannelBinding::unsupported());
        let mut body = b"SCRAM-SHA-256\0".to_vec();
        body.extend_from_slice(&(sc.message().len() as i32).to_be_bytes());
        body.extend_from_slice(sc.message());
        self.send(b'p', &body);
        let m = self.recv();
        assert_eq!(&m.body[..4], &11i32.to_be_bytes(), "{m:?}");
        sc.update(&m.body[4..]).unwrap();
        self.send(b'p', sc.message());
        let m = self.recv();
        if m.tag == b'E' {
            return Err(m);
        }
        assert_eq!(&m.body[..4], &12i32.to_be_bytes(), "{m:?}");
        sc.finish(&m.body[4..]).expect("server signature verifies");
        let ok = self.recv();
        assert_eq!((ok.tag, &ok.body[..]), (b'R', &[0u8, 0, 0, 0][..]));
        Ok(())
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, b: &[u8]) {
        self.s.write_all(b).unwrap();
    }

    /// Sends one message.
    pub fn send(&mut self, tag: u8, body: &[u8]) {
        self.send_raw(&frame(tag, body));
    }

    /// Reads one message (panics on EOF).
    pub fn recv(&mut self) -> Msg {
        self.try_recv().expect("a message, not EOF")
    }

    /// Reads one message; `None` on EOF.
    pub fn try_recv(&mut self) -> Option<Msg> {
        let mut head = [0u8; 5];
        if self.s.read_exact(&mut head).is_err() {
            return None;
        }
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0; len - 4];
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

    /// Sends a simple query and returns the answer up to ReadyForQuery.
    pub fn query(&mut self, sql: &str) -> Vec<Msg> {
        let mut b = sql.as_bytes().to_vec();
        b.push(0);
        self.send(b'Q', &b);
        self.until_ready()
    }

    /// True if the server closed the connection (EOF within the timeout).
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.s.read(&mut b), Ok(0) | Err(_))
    }
}

/// The tags of `msgs`, as a string (`"TDCZ"`).
pub fn tags(msgs: &[Msg]) -> String {
    msgs.iter().map(|m| m.tag as char).collect()
}
