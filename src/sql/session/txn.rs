//! Transaction state of a session.
//!
//! ```text
//!          BEGIN                      error
//!   Idle ────────▶ Block ───────────────────▶ Failed
//!    │ ▲  ◀────────  │ ◀──── ROLLBACK TO ────── │
//!    │ │  COMMIT/    │                          │
//!    │ │  ROLLBACK   └── SAVEPOINT/RELEASE      │ ROLLBACK / COMMIT
//!    │ └──────────────────────────────────────────┘
//!    │ statement
//!    ▼
//!  Implicit ── end of query string / Sync: commit (error: roll back)
//! ```
//!
//! A transaction takes the write path lazily, at its first write; until
//! then it only reads (at each statement's latest committed seq, or at a
//! fixed snapshot under REPEATABLE READ / SERIALIZABLE).

use crate::storage::{Seq, WriteTxn};

/// How a transaction was started and whether it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Implicit: one simple-protocol query string, or the extended protocol
    /// until Sync.
    Implicit,
    /// An explicit BEGIN block.
    Block,
    /// An explicit block after an error: only ROLLBACK (TO) is accepted.
    Failed,
}

/// An open transaction.
#[derive(Debug)]
pub struct Txn {
    /// How it was started.
    pub mode: Mode,
    /// The write path, once the transaction has written.
    pub write: Option<WriteTxn>,
    /// Start time, Unix microseconds (`now()`).
    pub start_micros: i64,
    /// Savepoints by name, innermost last; `None` marks a savepoint taken
    /// before the transaction first wrote.
    pub savepoints: Vec<(String, Option<usize>)>,
    /// READ ONLY.
    pub read_only: bool,
    /// The fixed read snapshot (REPEATABLE READ / SERIALIZABLE), taken at
    /// the first statement.
    pub snapshot: Option<Seq>,
    /// The isolation level's name.
    pub isolation: String,
}

impl Txn {
    /// A transaction starting now.
    pub fn new(mode: Mode, start_micros: i64, read_only: bool, isolation: String) -> Txn {
        Txn {
            mode,
            write: None,
            start_micros,
            savepoints: Vec::new(),
            read_only,
            snapshot: None,
            isolation,
        }
    }

    /// True under REPEATABLE READ or SERIALIZABLE.
    pub fn uses_snapshot(&self) -> bool {
        matches!(self.isolation.as_str(), "repeatable read" | "serializable")
    }
}
