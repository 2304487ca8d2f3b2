//! System time: the injectable clock, and (later) version visibility helpers.
//!
//! Time in DriftDB is one number, the database-wide commit sequence (`seq`).
//! Each seq also has a commit timestamp taken from a [`Clock`] and kept
//! non-decreasing, so `AS OF '<timestamp>'` resolves to a seq.

pub mod clock;

pub use clock::{Clock, ManualClock, SystemClock};
