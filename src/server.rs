//! The TCP server: listens, runs one OS thread per connection, and shuts
//! down gracefully.
//!
//! ```text
//! Server::bind ─► run: accept ─► thread per connection (wire::connection::serve)
//!                   │
//! ShutdownHandle::shutdown (SIGTERM/SIGINT) wakes accept ─► stop accepting
//!   ─► idle connections get FATAL 57P01 and close; running statements get
//!      GRACE to finish, then their cancel flags are set
//!   ─► factory.shutdown() (the database checkpoints) ─► run returns Ok
//! ```
//!
//! Everything but the checkpoint is bounded by [`GRACE`] + [`CANCEL_WAIT`],
//! well inside the 10 seconds a service manager waits before SIGKILL.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use socket2::{Domain, Socket, Type};

use crate::error::{Error, Result, SqlState};
use crate::wire::codec::OutBuf;
use crate::wire::messages::{self, Severity};
use crate::wire::{BackendFactory, Registry, WireConfig, WireContext, connection};
use crate::{log_error, log_info, log_warn};

/// How long running statements may go on after shutdown begins.
pub const GRACE: Duration = Duration::from_secs(4);

/// How long cancelled statements get to end before the server stops anyway.
pub const CANCEL_WAIT: Duration = Duration::from_secs(2);

/// The default for [`ServerConfig::auth_timeout`] (PostgreSQL's
/// `authentication_timeout`).
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(60);

/// Connection threads get a larger stack than the default 2 MiB: the parser
/// and executor recurse on deeply nested expressions.
const THREAD_STACK: usize = 8 << 20;

/// Starts a thread that turns the first SIGTERM or SIGINT into a graceful
/// shutdown through `handle`; a second one exits the process at once (for an
/// operator who does not want to wait for the grace period).
pub fn stop_on_signals(handle: ShutdownHandle) -> Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGINT])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let name = if sig == SIGTERM { "SIGTERM" } else { "SIGINT" };
                if handle.is_shutting_down() {
                    log_error!("received {name} again: exiting immediately");
                    std::process::exit(1);
                }
                log_info!("received {name}: shutting down");
                handle.shutdown();
            }
        })?;
    Ok(())
}

/// Where to listen and who may log in.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Host name or address (default 127.0.0.1).
    pub host: String,
    /// TCP port (default 5433; 0 picks a free one).
    pub port: u16,
    /// Login settings.
    pub wire: WireConfig,
    /// How long a client may take from connecting to being authenticated.
    pub auth_timeout: Duration,
}

/// A bound server. See the module docs.
#[derive(Debug)]
pub struct Server<F> {
    listener: TcpListener,
    addr: SocketAddr,
    auth_timeout: Duration,
    ctx: Arc<WireContext<F>>,
    stop: Arc<AtomicBool>,
}

/// Stops a running [`Server`] from another thread (e.g. a signal handler thread).
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    stop: Arc<AtomicBool>,
    listener: Arc<Socket>,
}

impl ShutdownHandle {
    /// Begins graceful shutdown; [`Server::run`] returns when it is done.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // On Linux, shutting down a listening socket makes a blocked
        // accept() return EINVAL, which the accept loop takes as its cue.
        let _ = self.listener.shutdown(Shutdown::Both);
    }

    /// True once shutdown was requested.
    pub fn is_shutting_down(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

impl<F: BackendFactory> Server<F> {
    /// Binds the listening socket.
    pub fn bind(config: ServerConfig, factory: F) -> Result<Server<F>> {
        let addr = resolve(&config.host, config.port)?;
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket
            .bind(&addr.into())
            .map_err(|e| Error::Io(format!("could not bind to {addr}: {e}")))?;
        socket.listen(1024)?;
        let listener: TcpListener = socket.into();
        let addr = listener.local_addr()?;
        let ctx = Arc::new(WireContext {
            config: config.wire,
            factory,
            registry: Registry::new(),
        });
        Ok(Server {
            listener,
            addr,
            auth_timeout: config.auth_timeout,
            ctx,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The address actually bound (with the port chosen when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that stops the server.
    pub fn shutdown_handle(&self) -> Result<ShutdownHandle> {
        let listener = Socket::from(self.listener.try_clone()?);
        Ok(ShutdownHandle {
            stop: self.stop.clone(),
            listener: Arc::new(listener),
        })
    }

    /// Accepts connections until shutdown, then shuts down gracefully.
    pub fn run(self) -> Result<()> {
        let family = if self.addr.is_ipv4() { "IPv4" } else { "IPv6" };
        log_info!(
            "listening on {family} address \"{}\", port {}",
            self.addr.ip(),
            self.addr.port()
        );
        self.accept_loop();
        self.drain();
        log_info!("shutting down: checkpointing the database");
        self.ctx.factory.shutdown()?;
        log_info!("database system is shut down");
        Ok(())
    }

    fn accept_loop(&self) {
        loop {
            let accepted = self.listener.accept();
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            match accepted {
                Ok((stream, _peer)) => self.spawn(stream),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // EMFILE and friends: wait for connections to end.
                    log_warn!("could not accept new connection: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    /// Starts the thread serving `stream`.
    fn spawn(&self, stream: TcpStream) {
        if let Err(e) = stream.set_nodelay(true) {
            log_warn!("could not set TCP_NODELAY: {e}");
        }
        // Lifted by the connection once authenticated.
        if let Err(e) = stream.set_read_timeout(Some(self.auth_timeout)) {
            log_warn!("could not set a read timeout: {e}");
        }
        let ctx = self.ctx.clone();
        let handle = ctx.registry.register(stream.try_clone().ok());
        let pid = handle.pid();
        let spawned = std::thread::Builder::new()
            .name(format!("conn-{pid}"))
            .stack_size(THREAD_STACK)
            .spawn(move || {
                let spare = stream.try_clone().ok();
                let r = catch_unwind(AssertUnwindSafe(|| {
                    connection::serve(stream, &handle, &ctx)
                }));
                if r.is_err() {
                    log_error!("connection {pid}: internal error (panic); connection closed");
                    if let Some(s) = spare {
                        report_panic(s);
                    }
                }
                drop(handle);
            });
        if let Err(e) = spawned {
            log_error!("could not start a thread for connection {pid}: {e}");
        }
    }

    /// Ends every connection: idle ones now, busy ones after [`GRACE`],
    /// cancelled if need be.
    fn drain(&self) {
        let reg = &self.ctx.registry;
        log_info!(
            "received shutdown request: closing {} connection(s)",
            reg.len()
        );
        reg.begin_shutdown();
        if reg.wait_empty(GRACE) {
            return;
        }
        log_info!("cancelling {} running statement(s)", reg.len());
        reg.cancel_all();
        if !reg.wait_empty(CANCEL_WAIT) {
            log_warn!(
                "{} connection(s) did not end; shutting down anyway",
                reg.len()
            );
        }
    }
}

/// Tells a client whose connection thread panicked that the connection is over.
fn report_panic(mut s: TcpStream) {
    let mut out = OutBuf::new();
    let e = Error::sql(
        SqlState::INTERNAL_ERROR,
        "internal error; the connection is closed",
    );
    messages::error_response(&mut out, Severity::Fatal, &e);
    let _ = out.flush_to(&mut s);
    let _ = s.shutdown(Shutdown::Both);
}

/// The first address `host:port` resolves to.
fn resolve(host: &str, port: u16) -> Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::Io(format!("could not resolve \"{host}\": {e}")))?
        .next()
        .ok_or_else(|| Error::Io(format!("could not resolve \"{host}\"")))
}
