//! The one place where the CLI and the sqllogictest harness turn a
//! [`Value`] into the text PostgreSQL prints for it.
//!
//! TEMPORARY: `Value::to_text(&TypeContext)` is being written in
//! `src/types`; until it lands this holds a minimal stand-in so the tools
//! build. When it lands, the body becomes `v.to_text(ctx)` (one line).

use crate::types::{TypeContext, Value};

/// PostgreSQL's text output of a non-NULL value (NULL gives an empty string).
pub fn value_text(v: &Value, _ctx: &TypeContext) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "t" } else { "f" }.to_string(),
        Value::Int2(n) => n.to_string(),
        Value::Int4(n) => n.to_string(),
        Value::Int8(n) => n.to_string(),
        Value::Float4(f) => f.to_string(),
        Value::Float8(f) => f.to_string(),
        Value::Numeric(d) => format!("{d:?}"),
        Value::Text(s) | Value::Json(s) => s.clone(),
        Value::Date(d) => format!("date {d}"),
        Value::Timestamp(t) | Value::Timestamptz(t) => format!("timestamp {t}"),
    }
}
