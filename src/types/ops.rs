//! STUB: filled in by the types work.
