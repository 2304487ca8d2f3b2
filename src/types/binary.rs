//! STUB (types work): binary formats.
#![allow(missing_docs, unused_variables)]
use super::{DataType, Value};
use crate::error::Result;
impl Value {
    pub fn to_binary(&self, ty: &DataType, out: &mut Vec<u8>) -> Result<()> {
        todo!()
    }
    pub fn from_binary(bytes: &[u8], ty: &DataType) -> Result<Value> {
        todo!()
    }
}
