//! [`Decimal`]: PostgreSQL's exact NUMERIC.
//!
//! STUB: the types work fills this in (representation, parsing, printing with
//! scale kept, arithmetic with PostgreSQL's result-scale rules, rounding to a
//! typmod, PostgreSQL's binary base-10000 format).

use serde::{Deserialize, Serialize};

/// An exact decimal number with a display scale (`1.50` keeps two digits).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decimal {
    /// The unscaled integer value.
    mantissa: i128,
    /// Digits after the decimal point.
    scale: u16,
}
