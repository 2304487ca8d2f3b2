//! [`TimeZone`]: the session time zone (`SET TimeZone`) and the zones named
//! in timestamptz input.
//!
//! Three shapes: [`TimeZone::Utc`]; [`TimeZone::Fixed`], an ISO-style offset
//! east of UTC (`+05:30`, `-08`, `+0530`); and [`TimeZone::Named`], a zone
//! from the system tz database (`Europe/Paris`, read by `tzif.rs`) or a POSIX
//! rule string (`UTC+3`, which like PostgreSQL means three hours *west*).
//!
//! Local → UTC follows PostgreSQL's `DetermineTimeZoneOffset`: a local time
//! in a spring-forward gap is read with the offset from before the
//! transition (02:30 becomes 03:30 DST), and an ambiguous fall-back time
//! with the offset from after it (standard time).
//!
//! Note: PostgreSQL reads a *bare* `SET TimeZone = '+05:30'` as a POSIX
//! spec (five and a half hours west); the project chose ISO meaning for
//! bare offsets, so that `'+05:30'` here agrees with `+05:30` in a
//! timestamptz literal.

use std::sync::Arc;

use super::tzif;
pub use super::tzif::Zone;
use crate::error::{Result, SqlState};
use crate::sql_err;

/// A time zone that can convert between UTC instants and local wall time.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeZone {
    /// UTC (also `Etc/UTC`, `GMT`, `Z`).
    Utc,
    /// A fixed offset in seconds east of UTC.
    Fixed(i32),
    /// A tz database zone or a POSIX rule, shared between sessions.
    Named(Arc<Zone>),
}

/// Largest |offset| accepted for a fixed zone: PostgreSQL's 15:59:59.
const MAX_FIXED: i32 = 15 * 3600 + 59 * 60 + 59;

impl TimeZone {
    /// Parses a `TimeZone` setting; 22023 `invalid value for parameter
    /// "TimeZone": "x"` when it is none of the accepted forms.
    pub fn parse(name: &str) -> Result<TimeZone> {
        let bad = || {
            sql_err!(
                SqlState::INVALID_PARAMETER_VALUE,
                "invalid value for parameter \"TimeZone\": \"{name}\""
            )
        };
        let s = name.trim();
        if s.eq_ignore_ascii_case("utc") || s.eq_ignore_ascii_case("z") {
            return Ok(TimeZone::Utc);
        }
        if s.starts_with(['+', '-']) {
            return parse_iso_offset(s).map(TimeZone::Fixed).ok_or_else(bad);
        }
        if let Some(zone) = tzif::load(s) {
            return Ok(TimeZone::Named(zone));
        }
        match Zone::from_posix(s) {
            Some(zone) => Ok(TimeZone::Named(Arc::new(zone))),
            None => Err(bad()),
        }
    }

    /// The name `SHOW TimeZone` prints.
    pub fn name(&self) -> String {
        match self {
            TimeZone::Utc => "UTC".to_string(),
            TimeZone::Fixed(secs) => format_offset(*secs),
            TimeZone::Named(z) => z.name().to_string(),
        }
    }

    /// The offset east of UTC, in seconds, at a UTC instant (Unix seconds).
    pub fn offset_at_utc(&self, unix_secs: i64) -> i32 {
        match self {
            TimeZone::Utc => 0,
            TimeZone::Fixed(secs) => *secs,
            TimeZone::Named(z) => z.offset_at(unix_secs),
        }
    }

    /// The UTC instant (Unix seconds) of a local wall time given as Unix
    /// seconds of that wall time, resolving gaps and overlaps as PostgreSQL.
    pub fn local_to_utc(&self, local_unix_secs: i64) -> i64 {
        local_unix_secs - self.local_offset(local_unix_secs) as i64
    }

    /// The offset that applies to a local wall time (see the module docs).
    pub fn local_offset(&self, local: i64) -> i32 {
        let zone = match self {
            TimeZone::Utc => return 0,
            TimeZone::Fixed(secs) => return *secs,
            TimeZone::Named(z) => z,
        };
        // Look from a day earlier, so the boundary near `local` is found
        // whatever the offset (all offsets are under 24 hours).
        let prev = local.saturating_sub(86_400);
        let Some((boundary, before, after)) = zone.next_transition(prev) else {
            return zone.offset_at(prev);
        };
        let before_t = local - before as i64;
        let after_t = local - after as i64;
        if before_t < boundary && after_t < boundary {
            return before;
        }
        if before_t > boundary && after_t >= boundary {
            return after;
        }
        // In a gap prefer the "before" reading, in an overlap the "after" one.
        if before_t > after_t { before } else { after }
    }
}

/// Parses `+hh`, `+hh:mm`, `+hh:mm:ss`, `+hhmm`, `+hhmmss` (seconds east),
/// up to PostgreSQL's ±15:59:59.
pub(crate) fn parse_iso_offset(s: &str) -> Option<i32> {
    parse_offset_within(s, MAX_FIXED)
}

/// [`parse_iso_offset`] with another bound on |offset|.
pub(crate) fn parse_offset_within(s: &str, max: i32) -> Option<i32> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => return None,
    };
    // Only ASCII from here on, so the byte slicing below is safe.
    if !body.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let parts: Vec<&str> = if body.contains(':') {
        body.split(':').collect()
    } else {
        match body.len() {
            1 | 2 => vec![body],
            4 => vec![&body[..2], &body[2..]],
            6 => vec![&body[..2], &body[2..4], &body[4..]],
            _ => return None,
        }
    };
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return None;
    }
    let mut secs = 0i32;
    for (i, p) in parts.iter().enumerate() {
        if !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: i32 = p.parse().ok()?;
        if i > 0 && v > 59 {
            return None;
        }
        secs += v * [3600, 60, 1][i];
    }
    if secs > max {
        return None;
    }
    Some(if neg { -secs } else { secs })
}

/// `+05:30`, `-08`, `-03:30:45`: how PostgreSQL prints a UTC offset.
pub fn format_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    match (m, s) {
        (0, 0) => format!("{sign}{h:02}"),
        (_, 0) => format!("{sign}{h:02}:{m:02}"),
        _ => format!("{sign}{h:02}:{m:02}:{s:02}"),
    }
}

/// Time zone abbreviations accepted in timestamp input (a subset of
/// PostgreSQL's `Default` set), with their offsets east in seconds.
pub(crate) fn abbreviation(word: &str) -> Option<i32> {
    const H: i32 = 3600;
    Some(match word.to_ascii_lowercase().as_str() {
        "utc" | "gmt" | "z" | "ut" | "zulu" | "wet" => 0,
        "est" => -5 * H,
        "edt" => -4 * H,
        "cst" => -6 * H,
        "cdt" => -5 * H,
        "mst" => -7 * H,
        "mdt" => -6 * H,
        "pst" => -8 * H,
        "pdt" => -7 * H,
        "akst" => -9 * H,
        "akdt" => -8 * H,
        "hst" => -10 * H,
        "nst" => -(3 * H + 1800),
        "ast" => -4 * H,
        "adt" => -3 * H,
        "cet" | "met" | "bst" | "west" => H,
        "cest" | "mest" | "eet" | "ist" | "sast" => 2 * H,
        "eest" | "msk" => 3 * H,
        "jst" | "kst" => 9 * H,
        "awst" => 8 * H,
        "acst" => 9 * H + 1800,
        "aest" => 10 * H,
        "aedt" => 11 * H,
        "nzst" => 12 * H,
        "nzdt" => 13 * H,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::datetime::{UNIX_EPOCH_JDATE, date2j};

    fn unix(y: i32, m: i32, d: i32, hh: i64, mm: i64) -> i64 {
        (date2j(y, m, d) - UNIX_EPOCH_JDATE) as i64 * 86_400 + hh * 3600 + mm * 60
    }

    #[test]
    fn parse_forms() {
        assert_eq!(TimeZone::parse("UTC").unwrap(), TimeZone::Utc);
        assert_eq!(TimeZone::parse("z").unwrap(), TimeZone::Utc);
        assert_eq!(TimeZone::parse("+05:30").unwrap(), TimeZone::Fixed(19800));
        assert_eq!(TimeZone::parse("+0530").unwrap(), TimeZone::Fixed(19800));
        assert_eq!(TimeZone::parse("-08").unwrap(), TimeZone::Fixed(-28800));
        assert_eq!(TimeZone::parse("Etc/UTC").unwrap().name(), "Etc/UTC");
        assert_eq!(TimeZone::parse("GMT").unwrap().name(), "GMT");
        assert_eq!(
            TimeZone::parse("europe/paris").unwrap().name(),
            "Europe/Paris"
        );
        let posix = TimeZone::parse("UTC+3").unwrap();
        assert_eq!(posix.name(), "UTC+3");
        assert_eq!(posix.offset_at_utc(0), -3 * 3600);
        assert_eq!(TimeZone::Fixed(19800).name(), "+05:30");
        assert_eq!(TimeZone::Fixed(-12645).name(), "-03:30:45");
        for bad in ["Nope/X", "+25", "", "../../etc/passwd", "+05:61"] {
            let e = TimeZone::parse(bad).unwrap_err();
            assert_eq!(e.sqlstate(), SqlState::INVALID_PARAMETER_VALUE);
            assert_eq!(
                e.message(),
                format!("invalid value for parameter \"TimeZone\": \"{bad}\"")
            );
        }
    }

    /// PostgreSQL 15: `SET timezone = 'Europe/Paris'; SELECT
    /// '2024-03-31 02:30'::timestamptz` is 03:30+02 and
    /// `'2024-10-27 02:30'::timestamptz` is 02:30+01.
    #[test]
    fn gaps_and_overlaps_as_postgres() {
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        let gap = unix(2024, 3, 31, 2, 30);
        assert_eq!(paris.local_to_utc(gap), unix(2024, 3, 31, 1, 30));
        let overlap = unix(2024, 10, 27, 2, 30);
        assert_eq!(paris.local_to_utc(overlap), unix(2024, 10, 27, 1, 30));
        let ny = TimeZone::parse("America/New_York").unwrap();
        assert_eq!(
            ny.local_to_utc(unix(2024, 11, 3, 1, 30)),
            unix(2024, 11, 3, 6, 30)
        );
        assert_eq!(
            ny.local_to_utc(unix(2024, 3, 10, 2, 30)),
            unix(2024, 3, 10, 7, 30)
        );
        // Beyond the file's table the footer rule applies: 2050 gap.
        assert_eq!(
            paris.local_to_utc(unix(2050, 3, 27, 2, 30)),
            unix(2050, 3, 27, 1, 30)
        );
        assert_eq!(
            paris.local_to_utc(unix(2050, 7, 1, 12, 0)),
            unix(2050, 7, 1, 10, 0)
        );
    }

    #[test]
    fn offsets_print_as_postgres() {
        assert_eq!(format_offset(0), "+00");
        assert_eq!(format_offset(19800), "+05:30");
        assert_eq!(format_offset(561), "+00:09:21");
        assert_eq!(format_offset(-12652), "-03:30:52");
        assert_eq!(parse_iso_offset("+5"), Some(18000));
        assert_eq!(parse_iso_offset("-08:00:00"), Some(-28800));
        assert_eq!(parse_iso_offset("+053"), None);
        assert_eq!(parse_iso_offset("+aé1"), None);
        assert!(TimeZone::parse("+aé1").is_err());
    }
}
