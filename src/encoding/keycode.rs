//! STUB (types work): order-preserving keys.
#![allow(missing_docs, unused_variables)]
use crate::error::Result;
use crate::types::Value;
pub fn encode_key(values: &[Value], out: &mut Vec<u8>) -> Result<()> {
    todo!()
}
pub fn decode_key(bytes: &[u8]) -> Result<Vec<Value>> {
    todo!()
}
