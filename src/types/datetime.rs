//! STUB (types work): datetime helpers.
#![allow(missing_docs, unused_variables)]
use super::{TypeContext, Value};
use crate::error::Result;
pub fn unix_micros_to_pg(us: i64) -> i64 {
    us - 946_684_800_000_000
}
pub fn pg_to_unix_micros(pg: i64) -> i64 {
    pg + 946_684_800_000_000
}
pub fn extract(field: &str, v: &Value, ctx: &TypeContext) -> Result<Value> {
    todo!()
}
pub fn date_trunc(field: &str, v: &Value, ctx: &TypeContext) -> Result<Value> {
    todo!()
}
