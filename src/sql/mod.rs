//! The SQL layer: parser → planner → optimizer → executor, driven by sessions.

pub mod parser;
pub mod session;
