//! One client connection, from the first packet to the last: startup,
//! authentication, then the message loop that drives a [`Backend`].
//!
//! ```text
//!  read_hello ──► NegotiateProtocolVersion? ──► role check ──► authenticate
//!      │ CancelRequest: set the target's flag, close                 │
//!      ▼                                                              ▼
//!  database check ──► factory.connect ──► ParameterStatus*, BackendKeyData,
//!  ReadyForQuery ──► loop { read message ─► dispatch } ──► backend.terminate
//! ```
//!
//! Simple Query answers end with ReadyForQuery. Extended-protocol messages
//! answer one by one; after an error every message up to Sync is skipped, and
//! Sync answers ReadyForQuery. Output is flushed only when the connection is
//! about to wait for input (or the buffer is large), so a pipeline of
//! Bind/Execute/Sync costs one write. A frame that cannot be decoded ends the
//! connection with a FATAL 08P01 (the server goes on serving everyone else);
//! invalid UTF-8 in a well-formed message is an ordinary 22021 ERROR, as in
//! PostgreSQL. Startup and authentication are bounded: 64 KiB messages and
//! the server's authentication timeout.

use std::io::{Read, Write};
use std::sync::Arc;

use crate::error::{Error, Result, SqlState};
use crate::sql::session::ExecuteOutcome;
use crate::{log_info, log_warn};

use super::auth::{self, AuthMethod, Credentials};
use super::backend::{Backend, BackendFactory};
use super::codec::{Frame, Io, MAX_AUTH_MESSAGE_LEN, MAX_MESSAGE_LEN, OutBuf};
use super::messages::{self, Frontend, Severity, Target};
use super::registry::{ConnHandle, Registry};
use super::sink::{SinkState, WireSink};
use super::startup::{self, Hello};

/// Who may log in, and how.
#[derive(Debug, Clone)]
pub struct WireConfig {
    /// The one login role (`driftdb`).
    pub user: String,
    /// The one database (`driftdb`).
    pub database: String,
    /// SCRAM-SHA-256 or MD5.
    pub auth_method: AuthMethod,
    /// The role's verifiers.
    pub credentials: Credentials,
}

/// Everything a connection thread shares with the server.
#[derive(Debug)]
pub struct WireContext<F> {
    /// Login settings.
    pub config: WireConfig,
    /// Makes one backend per connection.
    pub factory: F,
    /// Live connections (cancel keys, shutdown).
    pub registry: Arc<Registry>,
}

/// Serves one client over `stream` until it leaves, fails or the server
/// shuts down. Never panics on anything the client sends.
pub fn serve<S: Read + Write, F: BackendFactory>(
    stream: S,
    handle: &ConnHandle,
    ctx: &WireContext<F>,
) {
    let mut io = Io::new(stream);
    match establish(&mut io, handle, ctx) {
        Ok(Some(backend)) => {
            let mut conn = Conn {
                io,
                backend,
                handle,
                sink: SinkState::default(),
                ignore_till_sync: false,
                text: String::new(),
            };
            conn.run();
            conn.backend.terminate();
        }
        // Woken by shutdown in the middle of startup or authentication.
        Ok(None) | Err(_) if handle.shutting_down() => send_fatal(&mut io, &admin_shutdown()),
        Ok(None) => {}
        // As PostgreSQL: logged, not sent (the client is not listening).
        Err(e @ Error::Cancelled(_)) => log_warn!("connection {}: {e}", handle.pid()),
        Err(e) => {
            log_warn!("connection {}: {e}", handle.pid());
            send_fatal(&mut io, &e);
        }
    }
}

/// Sends a FATAL ErrorResponse, ignoring write failures (we are closing).
fn send_fatal<S: Read + Write>(io: &mut Io<S>, e: &Error) {
    messages::error_response(&mut io.out, Severity::Fatal, e);
    let _ = io.flush();
}

/// Startup through the first ReadyForQuery. `Ok(None)` when the
/// connection ends quietly (a CancelRequest, or a client that hung up).
fn establish<S: Read + Write, F: BackendFactory>(
    io: &mut Io<S>,
    handle: &ConnHandle,
    ctx: &WireContext<F>,
) -> Result<Option<F::B>> {
    let (params, minor, pq_options) = match startup::read_hello(io)? {
        Hello::Startup {
            params,
            minor,
            pq_options,
        } => (params, minor, pq_options),
        Hello::Cancel { pid, secret } => {
            if ctx.registry.cancel(pid, secret) {
                log_info!("cancel request for connection {pid}");
            }
            return Ok(None);
        }
        Hello::Gone => return Ok(None),
    };
    if minor > 0 || !pq_options.is_empty() {
        let opts: Vec<&str> = pq_options.iter().map(String::as_str).collect();
        messages::negotiate_protocol_version(&mut io.out, startup::PROTOCOL_3_0, &opts);
    }
    let cfg = &ctx.config;
    if params.user != cfg.user {
        return Err(Error::sql(
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
            format!("role \"{}\" does not exist", params.user),
        ));
    }
    io.inb.set_max_message_len(MAX_AUTH_MESSAGE_LEN);
    if !auth::authenticate(io, cfg.auth_method, &cfg.credentials)? {
        return Ok(None);
    }
    io.inb.set_max_message_len(MAX_MESSAGE_LEN);
    handle.authenticated();
    if params.database != cfg.database {
        return Err(Error::sql(
            SqlState::INVALID_CATALOG_NAME,
            format!("database \"{}\" does not exist", params.database),
        ));
    }
    let backend = ctx.factory.connect(&params)?;
    let mut secret = [0u8; 4];
    auth::random_bytes(&mut secret)?;
    let secret = i32::from_be_bytes(secret);
    handle.set_key(secret, backend.cancel_flag());
    for (name, value) in backend.parameter_statuses() {
        messages::parameter_status(&mut io.out, &name, &value);
    }
    messages::backend_key_data(&mut io.out, handle.pid(), secret);
    messages::ready_for_query(&mut io.out, backend.txn_status());
    Ok(Some(backend))
}

/// What the loop does after a message.
enum Next {
    Continue,
    Stop,
}

/// An established connection. See the module docs.
struct Conn<'h, S, B> {
    io: Io<S>,
    backend: B,
    handle: &'h ConnHandle,
    sink: SinkState,
    /// After an error in an extended-protocol message: skip until Sync.
    ignore_till_sync: bool,
    /// Reused copy of a query string or portal name (the input buffer may
    /// move while the backend runs, e.g. under COPY FROM STDIN).
    text: String,
}

fn admin_shutdown() -> Error {
    Error::sql(
        SqlState::ADMIN_SHUTDOWN,
        "terminating connection due to administrator command",
    )
}

impl<S: Read + Write, B: Backend> Conn<'_, S, B> {
    fn run(&mut self) {
        loop {
            if !self.io.inb.has_message() {
                if self.io.flush().is_err() {
                    return;
                }
                if self.handle.going_idle() {
                    return send_fatal(&mut self.io, &admin_shutdown());
                }
            }
            let frame = match self.io.read_message() {
                Ok(Some(f)) => f,
                Ok(None) if self.handle.shutting_down() => {
                    return send_fatal(&mut self.io, &admin_shutdown());
                }
                Ok(None) => return,
                Err(e) => return self.fatal(e),
            };
            self.handle.set_busy();
            match self.dispatch(frame) {
                Ok(Next::Continue) if !self.sink.broken => {}
                Ok(_) => return,
                Err(e) => return self.fatal(e),
            }
            if self.io.flush_if_full().is_err() {
                return;
            }
        }
    }

    /// Ends the connection with FATAL `e` (unless the socket itself failed).
    fn fatal(&mut self, e: Error) {
        if !matches!(e, Error::Io(_)) {
            log_warn!("connection {}: {e}", self.handle.pid());
            send_fatal(&mut self.io, &e);
        }
    }

    /// Handles one message. `Err` is fatal for the connection.
    fn dispatch(&mut self, frame: Frame) -> Result<Next> {
        let msg = match messages::decode(frame.tag, self.io.inb.body(&frame)) {
            Ok(m) => m,
            Err(e) => return self.undecodable(frame.tag, e),
        };
        if self.ignore_till_sync && !matches!(msg, Frontend::Sync | Frontend::Terminate) {
            return Ok(Next::Continue);
        }
        match msg {
            Frontend::Query(sql) => {
                self.text.clear();
                self.text.push_str(sql);
                self.simple_query();
            }
            Frontend::Execute { portal, max_rows } => {
                self.text.clear();
                self.text.push_str(portal);
                let r = self.execute(max_rows);
                self.extended_done(r);
            }
            Frontend::Sync => {
                self.ignore_till_sync = false;
                let r = self.backend.sync();
                self.end_simple(r);
            }
            Frontend::Flush => self.io.flush()?,
            Frontend::Terminate => return Ok(Next::Stop),
            // Leftovers of a COPY that failed: ignored, as PostgreSQL does.
            Frontend::CopyData(_) | Frontend::CopyDone | Frontend::CopyFail(_) => {}
            Frontend::FunctionCall => self.end_simple(Err(Error::sql(
                SqlState::FEATURE_NOT_SUPPORTED,
                "fastpath function calls are not supported",
            ))),
            Frontend::Password(_) => {
                return Err(Error::Protocol(format!(
                    "invalid frontend message type {}",
                    frame.tag
                )));
            }
            other => {
                let r = extended(&mut self.backend, &mut self.io.out, other);
                self.extended_done(r);
            }
        }
        Ok(Next::Continue)
    }

    /// Runs the query string in `self.text`, then ReadyForQuery.
    fn simple_query(&mut self) {
        let mut sink = WireSink::new(&mut self.io, &mut self.sink);
        let r = self.backend.simple_query(&self.text, &mut sink);
        self.end_simple(r);
    }

    /// Executes the portal named in `self.text`.
    fn execute(&mut self, max_rows: i32) -> Result<()> {
        let max = u64::try_from(max_rows).unwrap_or(0);
        let mut sink = WireSink::new(&mut self.io, &mut self.sink);
        if self.backend.execute(&self.text, max, &mut sink)? == ExecuteOutcome::Suspended {
            messages::empty(&mut self.io.out, b's');
        }
        Ok(())
    }

    /// After an extended-protocol message: on error, report it and skip
    /// everything up to Sync.
    fn extended_done(&mut self, r: Result<()>) {
        if let Err(e) = r {
            if !self.sink.broken {
                messages::error_response(&mut self.io.out, Severity::Error, &e);
            }
            self.ignore_till_sync = true;
        }
    }

    /// A message that could not be decoded. A broken frame (08P01) ends
    /// the connection; bad text in a well-formed one (22021, invalid UTF-8)
    /// is an ordinary error, as in PostgreSQL.
    fn undecodable(&mut self, tag: u8, e: Error) -> Result<Next> {
        if matches!(e, Error::Protocol(_)) {
            return Err(e);
        }
        if self.ignore_till_sync {
            return Ok(Next::Continue);
        }
        match tag {
            b'Q' => self.end_simple(Err(e)),
            b'P' | b'B' | b'D' | b'E' | b'C' => {
                messages::error_response(&mut self.io.out, Severity::Error, &e);
                self.ignore_till_sync = true;
            }
            _ => {}
        }
        Ok(Next::Continue)
    }

    /// Ends a simple-protocol exchange (Query, Sync, FunctionCall): the
    /// error, if any, then ReadyForQuery.
    fn end_simple(&mut self, r: Result<()>) {
        if self.sink.broken {
            return;
        }
        if let Err(e) = r {
            messages::error_response(&mut self.io.out, Severity::Error, &e);
        }
        messages::ready_for_query(&mut self.io.out, self.backend.txn_status());
    }
}

/// Parse, Bind, Describe and Close: the extended-protocol messages that
/// answer with one small message and never stream rows.
fn extended<B: Backend>(backend: &mut B, out: &mut OutBuf, msg: Frontend<'_>) -> Result<()> {
    match msg {
        Frontend::Parse {
            name,
            sql,
            param_oids,
        } => {
            backend.parse(name, sql, &param_oids)?;
            messages::empty(out, b'1');
        }
        Frontend::Bind(b) => {
            let params: Vec<Option<Vec<u8>>> =
                b.params.iter().map(|p| p.map(<[u8]>::to_vec)).collect();
            let (pf, rf) = (&b.param_formats, &b.result_formats);
            backend.bind(b.portal, b.statement, pf, &params, rf)?;
            messages::empty(out, b'2');
        }
        Frontend::Describe(Target::Statement, name) => describe_statement(backend, out, name)?,
        Frontend::Describe(Target::Portal, name) => describe_portal(backend, out, name)?,
        Frontend::Close(target, name) => {
            match target {
                Target::Statement => backend.close_statement(name),
                Target::Portal => backend.close_portal(name),
            }
            messages::empty(out, b'3');
        }
        other => {
            return Err(Error::Internal(format!(
                "not an extended-protocol message: {other:?}"
            )));
        }
    }
    Ok(())
}

/// Describe (statement): ParameterDescription, then RowDescription (all
/// text, the formats are not known before Bind) or NoData.
fn describe_statement<B: Backend>(backend: &mut B, out: &mut OutBuf, name: &str) -> Result<()> {
    let d = backend.describe_statement(name)?;
    messages::parameter_description(out, &d.params)?;
    match d.columns {
        Some(cols) => messages::row_description(out, &cols, &[]),
        None => {
            messages::empty(out, b'n');
            Ok(())
        }
    }
}

/// Describe (portal): RowDescription with the bound formats, or NoData.
fn describe_portal<B: Backend>(backend: &mut B, out: &mut OutBuf, name: &str) -> Result<()> {
    match backend.describe_portal(name)? {
        Some((cols, formats)) => messages::row_description(out, &cols, &formats),
        None => {
            messages::empty(out, b'n');
            Ok(())
        }
    }
}
