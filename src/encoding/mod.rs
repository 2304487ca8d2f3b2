//! Byte encodings shared by several layers.
//!
//! - [`keycode`]: the order-preserving encoding of SQL values used for
//!   B-tree and index keys (bytewise order = SQL sort order, NULL last).

pub mod keycode;
