//! Dates and timestamps: PostgreSQL's calendar arithmetic, ranges and ISO
//! output, and the executor's helpers (epoch conversions, `EXTRACT`,
//! `date_trunc`, which live in `datetime_fields.rs` and are re-exported).
//!
//! Representation (as in PostgreSQL's binary format): a date counts days and
//! a timestamp microseconds from 2000-01-01 (UTC for timestamptz); `i32::MIN`
//! / `i32::MAX` and `i64::MIN` / `i64::MAX` are `-infinity` / `infinity`.
//! Years are astronomical inside (0 is 1 BC) and printed with ` BC`.
//!
//! Ranges are PostgreSQL's: dates from 4714-11-24 BC to 5874897-12-31,
//! timestamps from 4714-11-24 00:00 BC to before 294277-01-01.

use super::TimeZone;
use super::timezone::format_offset;

pub use super::datetime_fields::{date_trunc, extract};
pub use super::datetime_parse::{parse_date, parse_timestamp, parse_timestamptz};

/// Julian day of 2000-01-01, PostgreSQL's epoch.
pub const POSTGRES_EPOCH_JDATE: i32 = 2_451_545;
/// Julian day of 1970-01-01.
pub const UNIX_EPOCH_JDATE: i32 = 2_440_588;
/// Microseconds per day.
pub const USECS_PER_DAY: i64 = 86_400_000_000;
/// Microseconds per second.
pub const USECS_PER_SEC: i64 = 1_000_000;
/// Microseconds from 1970-01-01 to 2000-01-01.
const UNIX_TO_PG_USECS: i64 = (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) as i64 * USECS_PER_DAY;

/// `-infinity` / `infinity` as dates.
pub const DATE_NEG_INF: i32 = i32::MIN;
/// `infinity` as a date.
pub const DATE_POS_INF: i32 = i32::MAX;
/// `-infinity` as a timestamp.
pub const TS_NEG_INF: i64 = i64::MIN;
/// `infinity` as a timestamp.
pub const TS_POS_INF: i64 = i64::MAX;

/// First valid date (4714-11-24 BC, Julian day 0), in days since 2000.
pub const MIN_DATE: i32 = -POSTGRES_EPOCH_JDATE;
/// First invalid date after the range (5874898-01-01).
pub const END_DATE: i32 = 2_147_483_494 - POSTGRES_EPOCH_JDATE;
/// First valid timestamp (4714-11-24 00:00:00 BC).
pub const MIN_TIMESTAMP: i64 = MIN_DATE as i64 * USECS_PER_DAY;
/// First invalid timestamp after the range (294277-01-01 00:00:00).
pub const END_TIMESTAMP: i64 = (109_203_528 - POSTGRES_EPOCH_JDATE) as i64 * USECS_PER_DAY;

/// Julian day number of a (proleptic Gregorian, astronomical-year) date.
/// PostgreSQL's `date2j`.
pub fn date2j(year: i32, month: i32, day: i32) -> i32 {
    let (mut y, mut m) = (year as i64, month as i64);
    if m > 2 {
        m += 1;
        y += 4800;
    } else {
        m += 13;
        y += 4799;
    }
    let century = y.div_euclid(100);
    let mut julian = y * 365 - 32167;
    julian += y.div_euclid(4) - century + century.div_euclid(4);
    julian += 7834 * m / 256 + day as i64;
    julian as i32
}

/// (year, month, day) of a Julian day number >= 0. PostgreSQL's `j2date`.
pub fn j2date(jd: i32) -> (i32, i32, i32) {
    let mut julian = jd.max(0) as u64 + 32044;
    let mut quad = julian / 146_097;
    let extra = (julian - quad * 146_097) * 4 + 3;
    julian += 60 + quad * 3 + extra / 146_097;
    quad = julian / 1461;
    julian -= quad * 1461;
    let mut y = julian * 4 / 1461;
    julian = if y != 0 {
        (julian + 305) % 365
    } else {
        (julian + 306) % 366
    } + 123;
    y += quad * 4;
    let year = y as i64 - 4800;
    let q = julian * 2141 / 65536;
    let day = julian - 7834 * q / 256;
    let month = (q + 10) % 12 + 1;
    (year as i32, month as i32, day as i32)
}

/// Days in a month of an astronomical year.
pub fn days_in_month(year: i32, month: i32) -> i32 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

/// True for a finite date inside PostgreSQL's range.
pub fn date_in_range(d: i32) -> bool {
    (MIN_DATE..END_DATE).contains(&d)
}

/// True for a finite timestamp inside PostgreSQL's range.
pub fn timestamp_in_range(ts: i64) -> bool {
    (MIN_TIMESTAMP..END_TIMESTAMP).contains(&ts)
}

/// Unix-epoch microseconds to PostgreSQL-epoch microseconds.
pub fn unix_micros_to_pg(us: i64) -> i64 {
    us.saturating_sub(UNIX_TO_PG_USECS)
}

/// PostgreSQL-epoch microseconds to Unix-epoch microseconds.
pub fn pg_to_unix_micros(pg: i64) -> i64 {
    pg.saturating_add(UNIX_TO_PG_USECS)
}

/// A broken-down local date and time (astronomical year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fields {
    /// Astronomical year: 0 is 1 BC, -1 is 2 BC.
    pub year: i32,
    /// 1..=12
    pub month: i32,
    /// 1..=31
    pub day: i32,
    /// 0..=23
    pub hour: i32,
    /// 0..=59
    pub minute: i32,
    /// 0..=59
    pub second: i32,
    /// 0..=999_999
    pub micros: i32,
}

impl Fields {
    /// The fields of a finite timestamp (or local time).
    pub fn from_timestamp(ts: i64) -> Fields {
        let days = ts.div_euclid(USECS_PER_DAY);
        let time = ts.rem_euclid(USECS_PER_DAY);
        let (year, month, day) = j2date((days + POSTGRES_EPOCH_JDATE as i64) as i32);
        let secs = time / USECS_PER_SEC;
        Fields {
            year,
            month,
            day,
            hour: (secs / 3600) as i32,
            minute: (secs / 60 % 60) as i32,
            second: (secs % 60) as i32,
            micros: (time % USECS_PER_SEC) as i32,
        }
    }

    /// The fields of a finite date (time zero).
    pub fn from_date(d: i32) -> Fields {
        let jd = (d as i64 + POSTGRES_EPOCH_JDATE as i64).clamp(0, i32::MAX as i64);
        let (year, month, day) = j2date(jd as i32);
        Fields {
            year,
            month,
            day,
            ..Fields::default()
        }
    }

    /// Days since 2000-01-01 of the date part (no range check).
    pub fn date(&self) -> i32 {
        date2j(self.year, self.month, self.day) - POSTGRES_EPOCH_JDATE
    }

    /// Microseconds since 2000-01-01 (no range check; saturates, so a
    /// date far outside the timestamp range fails `timestamp_in_range`).
    pub fn timestamp(&self) -> i64 {
        let time = ((self.hour as i64 * 60 + self.minute as i64) * 60 + self.second as i64)
            * USECS_PER_SEC
            + self.micros as i64;
        (self.date() as i64)
            .saturating_mul(USECS_PER_DAY)
            .saturating_add(time)
    }
}

/// The UTC offset (seconds east) of `tz` at a timestamptz instant.
pub fn offset_at(ts: i64, tz: &TimeZone) -> i32 {
    tz.offset_at_utc(pg_to_unix_micros(ts).div_euclid(USECS_PER_SEC))
}

/// A timestamptz as local wall time in `tz` (finite values).
pub fn utc_to_local(ts: i64, tz: &TimeZone) -> i64 {
    ts.saturating_add(offset_at(ts, tz) as i64 * USECS_PER_SEC)
}

/// The timestamptz instant of a local wall time in `tz`, PostgreSQL's rule
/// for gaps and overlaps. Keeps the sub-second part exactly.
pub fn local_to_utc(local: i64, tz: &TimeZone) -> i64 {
    let unix = pg_to_unix_micros(local);
    let secs = unix.div_euclid(USECS_PER_SEC);
    local.saturating_sub(tz.local_offset(secs) as i64 * USECS_PER_SEC)
}

fn push_date(out: &mut String, f: &Fields) {
    let year = if f.year > 0 { f.year } else { 1 - f.year };
    out.push_str(&format!("{year:04}-{:02}-{:02}", f.month, f.day));
}

fn push_time(out: &mut String, f: &Fields) {
    out.push_str(&format!("{:02}:{:02}:{:02}", f.hour, f.minute, f.second));
    if f.micros != 0 {
        let frac = format!("{:06}", f.micros);
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
}

fn push_bc(out: &mut String, f: &Fields) {
    if f.year <= 0 {
        out.push_str(" BC");
    }
}

/// `date` output (ISO): `2024-01-02`, `0044-03-15 BC`, `infinity`.
pub fn format_date(d: i32) -> String {
    match d {
        DATE_NEG_INF => "-infinity".into(),
        DATE_POS_INF => "infinity".into(),
        _ => {
            let f = Fields::from_date(d);
            let mut out = String::with_capacity(16);
            push_date(&mut out, &f);
            push_bc(&mut out, &f);
            out
        }
    }
}

/// `timestamp` output (ISO): `2024-01-02 03:04:05.5`.
pub fn format_timestamp(ts: i64) -> String {
    match ts {
        TS_NEG_INF => "-infinity".into(),
        TS_POS_INF => "infinity".into(),
        _ => {
            let f = Fields::from_timestamp(ts);
            let mut out = String::with_capacity(32);
            push_date(&mut out, &f);
            out.push(' ');
            push_time(&mut out, &f);
            push_bc(&mut out, &f);
            out
        }
    }
}

/// `timestamptz` output in `tz` (ISO): `2024-01-02 03:04:05+00`.
pub fn format_timestamptz(ts: i64, tz: &TimeZone) -> String {
    match ts {
        TS_NEG_INF => "-infinity".into(),
        TS_POS_INF => "infinity".into(),
        _ => {
            let offset = offset_at(ts, tz);
            let f = Fields::from_timestamp(ts.saturating_add(offset as i64 * USECS_PER_SEC));
            let mut out = String::with_capacity(40);
            push_date(&mut out, &f);
            out.push(' ');
            push_time(&mut out, &f);
            out.push_str(&format_offset(offset));
            push_bc(&mut out, &f);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn julian_round_trip() {
        assert_eq!(date2j(2000, 1, 1), POSTGRES_EPOCH_JDATE);
        assert_eq!(date2j(1970, 1, 1), UNIX_EPOCH_JDATE);
        assert_eq!(date2j(-4713, 11, 24), 0);
        assert_eq!(j2date(0), (-4713, 11, 24));
        assert_eq!(date2j(5_874_898, 1, 1), 2_147_483_494);
        for jd in (0..2_147_483_494).step_by(9_999_991) {
            let (y, m, d) = j2date(jd);
            assert_eq!(date2j(y, m, d), jd);
        }
        for jd in 2_400_000..2_500_000 {
            let (y, m, d) = j2date(jd);
            assert_eq!(date2j(y, m, d), jd);
        }
    }

    /// Output checked against PostgreSQL 15 (UTC, Europe/Paris, St_Johns).
    #[test]
    fn output_matches_postgres() {
        let d = |y, m, dd| date2j(y, m, dd) - POSTGRES_EPOCH_JDATE;
        assert_eq!(format_date(d(2024, 1, 2)), "2024-01-02");
        assert_eq!(format_date(d(-43, 3, 15)), "0044-03-15 BC");
        assert_eq!(format_date(d(10000, 1, 1)), "10000-01-01");
        assert_eq!(format_date(DATE_POS_INF), "infinity");
        let ts =
            d(2024, 1, 2) as i64 * USECS_PER_DAY + (3600 + 2 * 60 + 3) * USECS_PER_SEC + 500_000;
        assert_eq!(
            format_timestamp(ts + 3_600_000_000 * 2),
            "2024-01-02 03:02:03.5"
        );
        assert_eq!(format_timestamp(TS_NEG_INF), "-infinity");
        let utc = TimeZone::Utc;
        let t = d(2024, 1, 2) as i64 * USECS_PER_DAY + (3 * 3600 + 4 * 60 + 5) * USECS_PER_SEC;
        assert_eq!(format_timestamptz(t, &utc), "2024-01-02 03:04:05+00");
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        let t1900 = d(1900, 1, 1) as i64 * USECS_PER_DAY;
        assert_eq!(
            format_timestamptz(t1900, &paris),
            "1900-01-01 00:09:21+00:09:21"
        );
        let bc = d(-43, 3, 15) as i64 * USECS_PER_DAY + 12 * 3600 * USECS_PER_SEC;
        assert_eq!(
            format_timestamptz(bc, &paris),
            "0044-03-15 12:09:21+00:09:21 BC"
        );
        let nf = TimeZone::parse("America/St_Johns").unwrap();
        let t1880 = d(1880, 1, 1) as i64 * USECS_PER_DAY;
        assert_eq!(
            format_timestamptz(t1880, &nf),
            "1879-12-31 20:29:08-03:30:52"
        );
        assert_eq!(
            format_timestamptz(t, &TimeZone::Fixed(19800)),
            "2024-01-02 08:34:05+05:30"
        );
    }

    #[test]
    fn epoch_conversions() {
        assert_eq!(unix_micros_to_pg(946_684_800_000_000), 0);
        assert_eq!(pg_to_unix_micros(0), 946_684_800_000_000);
        assert_eq!(unix_micros_to_pg(i64::MIN), i64::MIN);
        assert!(timestamp_in_range(MIN_TIMESTAMP) && !timestamp_in_range(END_TIMESTAMP));
        assert!(date_in_range(MIN_DATE) && !date_in_range(END_DATE));
    }
}
