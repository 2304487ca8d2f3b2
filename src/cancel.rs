//! [`CancelFlag`]: how a CancelRequest or statement_timeout reaches a running
//! statement. Long loops (scans, sorts, waits for the write path) poll it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::error::{Error, Result};

const NONE: u8 = 0;
const USER: u8 = 1;
const TIMEOUT: u8 = 2;
const SHUTDOWN: u8 = 3;

/// Why a statement is being cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// A CancelRequest from the client.
    User,
    /// statement_timeout expired.
    Timeout,
    /// The server is shutting down.
    Shutdown,
}

/// A shared flag set from another thread to cancel the running statement.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicU8>);

impl CancelFlag {
    /// A new, unset flag.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Requests cancellation on behalf of the client.
    pub fn cancel(&self) {
        self.cancel_for(CancelReason::User);
    }

    /// Requests cancellation for `reason` (the first reason set wins).
    pub fn cancel_for(&self, reason: CancelReason) {
        let code = match reason {
            CancelReason::User => USER,
            CancelReason::Timeout => TIMEOUT,
            CancelReason::Shutdown => SHUTDOWN,
        };
        let _ = self
            .0
            .compare_exchange(NONE, code, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Clears the flag (at the start of each statement).
    pub fn reset(&self) {
        self.0.store(NONE, Ordering::SeqCst);
    }

    /// True if cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed) != NONE
    }

    /// `Err(57014 ...)` worded for the reason, if cancelled.
    pub fn check(&self) -> Result<()> {
        let message = match self.0.load(Ordering::Relaxed) {
            NONE => return Ok(()),
            TIMEOUT => "canceling statement due to statement timeout",
            SHUTDOWN => "canceling statement due to administrator command",
            _ => "canceling statement due to user request",
        };
        Err(Error::Cancelled(message.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_reason_wins_and_reset_clears() {
        let f = CancelFlag::new();
        assert!(f.check().is_ok());
        f.cancel_for(CancelReason::Timeout);
        f.cancel();
        assert_eq!(
            f.check().unwrap_err().message(),
            "canceling statement due to statement timeout"
        );
        f.reset();
        assert!(!f.is_cancelled());
        f.clone().cancel();
        assert_eq!(
            f.check().unwrap_err().message(),
            "canceling statement due to user request"
        );
    }
}
