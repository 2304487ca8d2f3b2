//! Byte encodings shared by several layers.
//!
//! STUB: `keycode` (order-preserving key encoding of SQL values) comes with
//! the types work.
pub mod keycode;
