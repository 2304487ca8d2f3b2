//! STUB (types work): operators.
#![allow(missing_docs, unused_variables)]
use super::{DataType, TypeContext, Value};
use crate::error::Result;
use std::cmp::Ordering;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}
pub fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>> {
    todo!()
}
pub fn sort_cmp(a: &Value, b: &Value) -> Ordering {
    todo!()
}
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Result<Value> {
    todo!()
}
pub fn arith_result_type(op: ArithOp, l: &DataType, r: &DataType) -> Result<DataType> {
    todo!()
}
pub fn negate(v: &Value) -> Result<Value> {
    todo!()
}
pub fn concat(a: &Value, b: &Value, ctx: &TypeContext) -> Value {
    todo!()
}
pub fn like(s: &str, pattern: &str, escape: Option<char>, case_insensitive: bool) -> Result<bool> {
    todo!()
}
