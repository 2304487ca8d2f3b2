//! The PostgreSQL wire protocol v3.
//!
//! STUB: filled in by the wire work.
