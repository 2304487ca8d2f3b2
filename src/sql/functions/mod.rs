//! Built-in functions: scalar functions ([`scalar`]) and aggregates
//! ([`aggregate`]). The binder resolves a call by name and argument types;
//! the executor calls the resolved implementation.

pub mod aggregate;
pub mod array;
pub mod catalog;
pub mod regex;
pub mod scalar;

pub use aggregate::{Accumulator, AggFunc};
pub use scalar::{FnContext, ScalarFunction};
