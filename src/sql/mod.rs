//! The SQL layer: parser → planner → optimizer → executor, driven by sessions.

pub mod executor;
pub mod functions;
pub mod optimizer;
pub mod parser;
pub mod planner;
pub mod session;
pub mod system;
