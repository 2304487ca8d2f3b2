//! [`TimeZone`]: the session time zone (`SET TimeZone`).
//!
//! STUB: the types work fills this in (UTC, fixed offsets, IANA names read
//! from the system tz database).

/// A time zone that can convert between UTC instants and local wall time.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeZone {
    /// UTC (also `Etc/UTC`, `GMT`, `Z`).
    Utc,
    /// A fixed offset in seconds east of UTC.
    Fixed(i32),
}

#[allow(missing_docs)]
impl TimeZone {
    pub fn parse(_name: &str) -> crate::error::Result<TimeZone> {
        Ok(TimeZone::Utc)
    }
}
