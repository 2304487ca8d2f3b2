//! The PostgreSQL wire protocol v3: what psql, libpq-based drivers, pgjdbc,
//! node-pg and asyncpg speak to the server.
//!
//! - [`codec`]: framing and the connection's input/output buffers.
//! - [`messages`]: decoding frontend messages, encoding backend messages.
//! - [`startup`]: SSLRequest, CancelRequest, StartupMessage.
//! - [`auth`]: SCRAM-SHA-256 and MD5, and the stored verifiers.
//! - [`backend`]: the [`Backend`] trait the protocol drives (a `Session`).
//! - [`sink`]: results from the backend as protocol messages.
//! - [`connection`]: one connection's life and message loop.
//! - [`registry`]: live connections, for CancelRequest and shutdown.
//!
//! The accept loop and shutdown live in `crate::server`.

pub mod auth;
pub mod backend;
pub mod codec;
pub mod connection;
pub mod messages;
pub mod registry;
pub mod sink;
pub mod startup;

pub use auth::{AuthMethod, Credentials};
pub use backend::{Backend, BackendFactory};
pub use connection::{WireConfig, WireContext};
pub use registry::Registry;
