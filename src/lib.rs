//! DriftDB: a PostgreSQL-compatible SQL database that never forgets.
//!
//! Layers, with arrows only downward (see docs/ARCHITECTURE.md):
//!
//! ```text
//! wire      PostgreSQL protocol v3, auth, one thread and one session per connection
//!   │
//! sql       parser (nom) → planner → optimizer → volcano executor; sessions
//!   │
//! catalog + temporal   table schemas; seq ↔ time; the injectable clock
//!   │
//! storage   WAL, event segments, version store
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cancel;
pub mod catalog;
pub mod cli;
pub mod encoding;
pub mod error;
pub mod logging;
pub mod server;
pub mod sql;
pub mod storage;
pub mod temporal;
pub mod types;
pub mod wire;

pub use error::{Error, Result};
