//! [`CancelFlag`]: how a CancelRequest or statement_timeout reaches a running
//! statement. Long loops (scans, sorts, waits for the write path) poll it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// A shared flag set from another thread to cancel the running statement.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A new, unset flag.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Clears the flag (at the start of each statement).
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    /// True if cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(57014 canceling statement due to user request)` if cancelled.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled(
                "canceling statement due to user request".into(),
            ))
        } else {
            Ok(())
        }
    }
}
