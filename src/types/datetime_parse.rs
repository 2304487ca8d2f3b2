//! Date and timestamp input, after PostgreSQL's `ParseDateTime` /
//! `DecodeDateTime` (DateStyle `ISO, MDY`).
//!
//! The text is cut into tokens (numbers, `y-m-d` dates, `h:m:s` times,
//! words, `+hh:mm` offsets), then each token fills a field: ISO dates,
//! `m/d/y` dates, `YYYYMMDD`, month names with day and year numbers
//! (`January 8, 2024`), times with fractions, `AM`/`PM`, `BC`/`AD`, and a
//! zone (`Z`, `+05:30`, `+0530`, `UTC`, `PST`, `Europe/Paris`). The special
//! words `epoch`, `infinity`, `-infinity`, `now`, `today`, `tomorrow` and
//! `yesterday` are read relative to [`TypeContext::now_unix_micros`] in the
//! session time zone.
//!
//! Errors carry PostgreSQL's codes and wording: 22007 `invalid input
//! syntax for type timestamp: "x"`, 22008 `date/time field value out of
//! range: "x"` and 22008 `date out of range: "x"`.

use super::datetime::{
    DATE_NEG_INF, DATE_POS_INF, Fields, POSTGRES_EPOCH_JDATE, TS_NEG_INF, TS_POS_INF,
    USECS_PER_DAY, date_in_range, days_in_month, local_to_utc, timestamp_in_range,
    unix_micros_to_pg, utc_to_local,
};
use super::timezone::{abbreviation, parse_iso_offset, parse_offset_within};
use super::{TimeZone, TypeContext};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;

/// The type being read, for messages and for what the fields become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Date,
    Timestamp,
    Timestamptz,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Date => "date",
            Target::Timestamp => "timestamp",
            Target::Timestamptz => "timestamp with time zone",
        }
    }
}

/// Why the text was refused.
enum Bad {
    /// 22007 invalid input syntax.
    Syntax,
    /// 22008 a field is out of range (with the datestyle hint if `true`).
    Field(bool),
    /// 22008 the value is outside the type's range.
    Range,
    /// 22023 a zone word that names no zone.
    Zone(String),
    /// 22009 a numeric zone offset beyond ±15:59:59.
    Displacement,
}

fn error(bad: Bad, target: Target, input: &str) -> Error {
    match bad {
        Bad::Syntax => sql_err!(
            SqlState::INVALID_DATETIME_FORMAT,
            "invalid input syntax for type {}: \"{input}\"",
            target.name()
        ),
        Bad::Field(hint) => {
            let e = sql_err!(
                SqlState::DATETIME_FIELD_OVERFLOW,
                "date/time field value out of range: \"{input}\""
            );
            if hint {
                e.with_hint("Perhaps you need a different \"datestyle\" setting.")
            } else {
                e
            }
        }
        Bad::Range => {
            let what = if target == Target::Date {
                "date"
            } else {
                "timestamp"
            };
            sql_err!(
                SqlState::DATETIME_FIELD_OVERFLOW,
                "{what} out of range: \"{input}\""
            )
        }
        Bad::Displacement => sql_err!(
            SqlState("22009"),
            "time zone displacement out of range: \"{input}\""
        ),
        Bad::Zone(z) => sql_err!(
            SqlState::INVALID_PARAMETER_VALUE,
            "time zone \"{}\" not recognized",
            z.to_lowercase()
        ),
    }
}

/// One lexical piece of the input.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A run of digits.
    Num(String),
    /// Parts of a date joined by one separator: `2024-01-02`, `1/2/24`, `08-Jan-2024`.
    Date(Vec<String>),
    /// `h:m[:s[.f]]`
    Time(String),
    /// Letters (with `/`, `_`, digits, `+`, `-` once a `/` makes it a zone path).
    Word(String),
    /// `+h[h][[:]mm[[:]ss]]` or with `-`.
    Offset(String),
}

fn take_while(s: &[u8], mut i: usize, f: impl Fn(u8) -> bool) -> usize {
    while i < s.len() && f(s[i]) {
        i += 1;
    }
    i
}

/// The end of a date token starting with digits: letters, digits and the
/// separator, stopping at an ISO `T` between a digit and a digit.
fn date_end(s: &[u8], mut i: usize, sep: u8) -> usize {
    while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == sep) {
        let iso_t = (s[i] == b'T' || s[i] == b't')
            && i > 0
            && s[i - 1].is_ascii_digit()
            && s.get(i + 1).is_some_and(|b| b.is_ascii_digit());
        if iso_t {
            break;
        }
        i += 1;
    }
    i
}

/// Splits the input into tokens; other punctuation and spaces separate them.
fn tokenize(input: &str) -> Option<Vec<Tok>> {
    let s = input.as_bytes();
    let text = |a: usize, b: usize| String::from_utf8_lossy(&s[a..b]).into_owned();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() {
            let end = take_while(s, i, |b| b.is_ascii_digit());
            match s.get(end) {
                Some(b':') => {
                    let e = take_while(s, end, |b| b.is_ascii_digit() || b == b':' || b == b'.');
                    toks.push(Tok::Time(text(i, e)));
                    i = e;
                }
                Some(&sep @ (b'-' | b'/' | b'.'))
                    if s.get(end + 1).is_some_and(|b| b.is_ascii_alphanumeric()) =>
                {
                    let e = date_end(s, end, sep);
                    let parts = text(i, e).split(sep as char).map(str::to_string).collect();
                    toks.push(Tok::Date(parts));
                    i = e;
                }
                _ => {
                    toks.push(Tok::Num(text(i, end)));
                    i = end;
                }
            }
            // ISO 8601 `T` between a date and a time.
            if s.get(i).is_some_and(|b| *b == b'T' || *b == b't')
                && s.get(i + 1).is_some_and(|b| b.is_ascii_digit())
            {
                i += 1;
            }
        } else if (c == b'+' || c == b'-') && s.get(i + 1).is_some_and(|b| b.is_ascii_digit()) {
            let e = take_while(s, i + 1, |b| b.is_ascii_digit() || b == b':');
            toks.push(Tok::Offset(text(i, e)));
            i = e;
        } else if c.is_ascii_alphabetic() {
            let mut e = take_while(s, i, |b| b.is_ascii_alphabetic());
            if s.get(e) == Some(&b'/') || s.get(e) == Some(&b'_') {
                e = take_while(s, e, |b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'+' | b'-')
                });
            } else if let Some(&sep @ (b'-' | b'/')) = s.get(e) {
                // `Jan-08-2024`
                if s.get(e + 1).is_some_and(|b| b.is_ascii_digit()) {
                    e = take_while(s, e, |b| b.is_ascii_alphanumeric() || b == sep);
                    let parts = text(i, e).split(sep as char).map(str::to_string).collect();
                    toks.push(Tok::Date(parts));
                    i = e;
                    continue;
                }
            }
            toks.push(Tok::Word(text(i, e)));
            i = e;
        } else if c.is_ascii_whitespace() || c.is_ascii_punctuation() {
            i += 1;
        } else {
            return None;
        }
    }
    Some(toks)
}

fn month_number(word: &str) -> Option<i32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let w = word.to_ascii_lowercase();
    if w == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| w.len() >= 3 && m.starts_with(&w) && (w.len() == 3 || *m == w))
        .map(|i| i as i32 + 1)
}

fn is_day_name(word: &str) -> bool {
    const DAYS: [&str; 7] = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    let w = word.to_ascii_lowercase();
    DAYS.iter()
        .any(|d| w.len() >= 3 && d.starts_with(&w) && (w.len() == 3 || *d == w))
        || matches!(w.as_str(), "tues" | "wednes" | "thur" | "thurs")
}

/// A year as written, and whether it had at most two digits (69 → 2069).
#[derive(Clone, Copy)]
struct Year {
    value: i32,
    two_digit: bool,
}

fn number(s: &str, max_len: usize) -> Result<i32, Bad> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Bad::Syntax);
    }
    s.parse().map_err(|_| Bad::Syntax)
}

fn year(s: &str) -> Result<Year, Bad> {
    Ok(Year {
        value: number(s, 9)?,
        two_digit: s.len() <= 2,
    })
}

/// Everything the tokens said.
#[derive(Default)]
struct Decoded {
    year: Option<Year>,
    month: Option<i32>,
    day: Option<i32>,
    time: Option<(i32, i32, i32, i64)>, // h, m, s, micros (may be 1_000_000 after rounding)
    pending: Vec<String>,               // numbers waiting for a month name
    pm: Option<bool>,
    bc: bool,
    zone: Option<TimeZone>,
    /// Days to add to a date set from `today`/`tomorrow`/`yesterday`.
    relative: bool,
}

impl Decoded {
    fn set_ymd(&mut self, y: Year, m: i32, d: i32) -> Result<(), Bad> {
        if self.year.is_some() || self.month.is_some() || self.day.is_some() {
            return Err(Bad::Syntax);
        }
        (self.year, self.month, self.day) = (Some(y), Some(m), Some(d));
        Ok(())
    }

    fn date(&mut self, parts: &[String]) -> Result<(), Bad> {
        let [a, b, c] = parts else {
            return Err(Bad::Syntax);
        };
        let names: Vec<Option<i32>> = parts.iter().map(|p| month_number(p)).collect();
        match names.as_slice() {
            [None, None, None] if a.len() >= 3 => {
                self.set_ymd(year(a)?, number(b, 2)?, number(c, 2)?)
            }
            [None, None, None] => self.set_ymd(year(c)?, number(a, 2)?, number(b, 2)?),
            [None, Some(m), None] if a.len() >= 3 => self.set_ymd(year(a)?, *m, number(c, 2)?),
            [None, Some(m), None] => self.set_ymd(year(c)?, *m, number(a, 2)?),
            [Some(m), None, None] => self.set_ymd(year(c)?, *m, number(b, 2)?),
            _ => Err(Bad::Syntax),
        }
    }

    fn time(&mut self, t: &str) -> Result<(), Bad> {
        if self.time.is_some() {
            return Err(Bad::Syntax);
        }
        let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
        let parts: Vec<&str> = hms.split(':').collect();
        let (h, m, s) = match parts.as_slice() {
            [h, m] => (number(h, 2)?, number(m, 2)?, 0),
            [h, m, s] => (number(h, 2)?, number(m, 2)?, number(s, 2)?),
            _ => return Err(Bad::Syntax),
        };
        if (!frac.is_empty() && parts.len() != 3) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Bad::Syntax);
        }
        self.time = Some((h, m, s, fraction_micros(frac)));
        Ok(())
    }

    fn word(&mut self, w: &str, ctx: &TypeContext) -> Result<(), Bad> {
        let lower = w.to_ascii_lowercase();
        if let Some(m) = month_number(w) {
            if self.month.is_some() {
                return Err(Bad::Syntax);
            }
            self.month = Some(m);
            return Ok(());
        }
        match lower.as_str() {
            "am" | "pm" if self.pm.is_none() => self.pm = Some(lower == "pm"),
            "bc" => self.bc = true,
            "ad" | "t" => {}
            "today" | "tomorrow" | "yesterday" => {
                let shift = match lower.as_str() {
                    "tomorrow" => 1,
                    "yesterday" => -1,
                    _ => 0,
                };
                let f = Fields::from_date(today(ctx) + shift);
                let y = Year {
                    value: f.year,
                    two_digit: false,
                };
                self.set_ymd(y, f.month, f.day)?;
                self.relative = true;
            }
            _ if is_day_name(w) => {}
            _ => return self.zone_word(w),
        }
        Ok(())
    }

    fn zone_word(&mut self, w: &str) -> Result<(), Bad> {
        if self.zone.is_some() {
            return Err(Bad::Syntax);
        }
        // As PostgreSQL: a word with a `/` must be a zone name; any other
        // unknown word is a syntax error.
        let zone = match abbreviation(w) {
            Some(0) => TimeZone::Utc,
            Some(secs) => TimeZone::Fixed(secs),
            None => match TimeZone::parse(w) {
                Ok(z) if !matches!(z, TimeZone::Fixed(_)) => z,
                _ if w.contains('/') => return Err(Bad::Zone(w.to_string())),
                _ => return Err(Bad::Syntax),
            },
        };
        self.zone = Some(zone);
        Ok(())
    }

    fn offset(&mut self, o: &str) -> Result<(), Bad> {
        if self.zone.is_some() {
            return Err(Bad::Syntax);
        }
        let secs = match parse_iso_offset(o) {
            Some(secs) => secs,
            None if parse_offset_within(o, 99 * 3600).is_some() => return Err(Bad::Displacement),
            None => return Err(Bad::Syntax),
        };
        self.zone = Some(TimeZone::Fixed(secs));
        Ok(())
    }

    /// Resolves numbers that go with a month name: 3+ digits or > 31 is the
    /// year, otherwise the first is the day.
    fn resolve_pending(&mut self) -> Result<(), Bad> {
        for n in std::mem::take(&mut self.pending) {
            let v = number(&n, 9)?;
            if self.month.is_none() || self.year.is_some() && self.day.is_some() {
                return Err(Bad::Syntax);
            }
            if n.len() >= 3 || v > 31 || self.day.is_some() {
                if self.year.is_some() {
                    return Err(Bad::Syntax);
                }
                self.year = Some(year(&n)?);
            } else {
                self.day = Some(v);
            }
        }
        Ok(())
    }

    /// The local date and time, validated field by field.
    fn fields(&self) -> Result<Fields, Bad> {
        let (Some(y), Some(month), Some(day)) = (self.year, self.month, self.day) else {
            return Err(Bad::Syntax);
        };
        let mut year = y.value;
        if self.bc {
            if year == 0 || self.relative {
                return Err(Bad::Field(false));
            }
            year = 1 - year;
        } else if y.two_digit && !self.relative {
            year += if year < 70 {
                2000
            } else if year < 100 {
                1900
            } else {
                0
            };
        } else if year == 0 {
            return Err(Bad::Field(false));
        }
        if !(1..=12).contains(&month) {
            return Err(Bad::Field(true));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(Bad::Field(false));
        }
        let (mut h, m, s, us) = self.time.unwrap_or((0, 0, 0, 0));
        if let Some(pm) = self.pm {
            if h > 12 {
                return Err(Bad::Field(false));
            }
            h = match (pm, h) {
                (false, 12) => 0,
                (true, 12) => 12,
                (true, h) => h + 12,
                (false, h) => h,
            };
        }
        let late = m > 0 || s > 0 || us > 0;
        if h > 24 || (h == 24 && late) || m > 59 || s > 60 {
            return Err(Bad::Field(false));
        }
        // PostgreSQL's IS_VALID_JULIAN: from 4714-11-24 BC to 5874897-12-31.
        if year < -4713 || (year == -4713 && month < 11) || year > 5_874_897 {
            return Err(Bad::Range);
        }
        // 24:00:00, second 60 and a fraction rounded up to 1_000_000 carry
        // over when `Fields::timestamp` sums the fields.
        Ok(Fields {
            year,
            month,
            day,
            hour: h,
            minute: m,
            second: s,
            micros: us as i32,
        })
    }
}

/// `.123456789` → microseconds as PostgreSQL computes them: the fraction
/// read as a double, times 10^6, rounded half to even (`rint`); so
/// `.1234565` gives 123456. May reach 1_000_000.
fn fraction_micros(frac: &str) -> i64 {
    let digits: String = frac.chars().take(30).collect();
    let f: f64 = format!("0.{digits}0").parse().unwrap_or(0.0);
    (f * 1_000_000.0).round_ties_even() as i64
}

/// Today's date in the session zone, days since 2000-01-01.
fn today(ctx: &TypeContext) -> i32 {
    let now = unix_micros_to_pg(ctx.now_unix_micros);
    utc_to_local(now, &ctx.timezone).div_euclid(USECS_PER_DAY) as i32
}

/// Special whole-input words.
enum Special {
    Value(i64),
    NegInfinity,
    Infinity,
}

fn special(s: &str, target: Target, ctx: &TypeContext) -> Option<Special> {
    let now = unix_micros_to_pg(ctx.now_unix_micros);
    let epoch =
        -((POSTGRES_EPOCH_JDATE - super::datetime::UNIX_EPOCH_JDATE) as i64) * USECS_PER_DAY;
    let v = match s.to_ascii_lowercase().as_str() {
        "infinity" | "+infinity" => return Some(Special::Infinity),
        "-infinity" => return Some(Special::NegInfinity),
        "epoch" => epoch,
        "now" => match target {
            Target::Timestamptz => now,
            _ => utc_to_local(now, &ctx.timezone),
        },
        _ => return None,
    };
    Some(Special::Value(v))
}

/// Reads the text into local fields and the zone it named.
fn decode(input: &str, ctx: &TypeContext) -> Result<(Fields, Option<TimeZone>), Bad> {
    let toks = tokenize(input).ok_or(Bad::Syntax)?;
    let mut d = Decoded::default();
    for tok in &toks {
        match tok {
            Tok::Date(parts) => d.date(parts)?,
            Tok::Time(t) => d.time(t)?,
            Tok::Word(w) => d.word(w, ctx)?,
            Tok::Offset(o) => d.offset(o)?,
            Tok::Num(n) if n.len() == 8 && d.year.is_none() && d.pending.is_empty() => {
                d.set_ymd(year(&n[..4])?, number(&n[4..6], 2)?, number(&n[6..], 2)?)?
            }
            Tok::Num(n) if n.len() == 6 && d.year.is_some() && d.time.is_none() => {
                d.time(&format!("{}:{}:{}", &n[..2], &n[2..4], &n[4..]))?
            }
            Tok::Num(n) => d.pending.push(n.clone()),
        }
    }
    d.resolve_pending()?;
    let fields = d.fields()?;
    Ok((fields, d.zone))
}

/// Parses input for `target`, giving days (date) or microseconds.
fn parse(input: &str, target: Target, ctx: &TypeContext) -> Result<i64> {
    let err = |b: Bad| error(b, target, input);
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Some(sp) = special(s, target, ctx) {
        return Ok(match (sp, target) {
            (Special::Infinity, Target::Date) => DATE_POS_INF as i64,
            (Special::NegInfinity, Target::Date) => DATE_NEG_INF as i64,
            (Special::Infinity, _) => TS_POS_INF,
            (Special::NegInfinity, _) => TS_NEG_INF,
            (Special::Value(v), Target::Date) => v.div_euclid(USECS_PER_DAY),
            (Special::Value(v), _) => v,
        });
    }
    let (fields, zone) = decode(s, ctx).map_err(err)?;
    let local = fields.timestamp();
    match target {
        Target::Date => {
            let days = fields.date();
            if !date_in_range(days) {
                return Err(err(Bad::Range));
            }
            Ok(days as i64)
        }
        Target::Timestamp => {
            if !timestamp_in_range(local) {
                return Err(err(Bad::Range));
            }
            Ok(local)
        }
        Target::Timestamptz => {
            let zone = zone.as_ref().unwrap_or(&ctx.timezone);
            let utc = local_to_utc(local, zone);
            if !timestamp_in_range(utc) {
                return Err(err(Bad::Range));
            }
            Ok(utc)
        }
    }
}

/// `date` input: days since 2000-01-01 (`i32::MIN`/`MAX` for infinities).
pub fn parse_date(input: &str, ctx: &TypeContext) -> Result<i32> {
    parse(input, Target::Date, ctx).map(|d| d as i32)
}

/// `timestamp` input: local microseconds since 2000-01-01 (a zone is ignored).
pub fn parse_timestamp(input: &str, ctx: &TypeContext) -> Result<i64> {
    parse(input, Target::Timestamp, ctx)
}

/// `timestamptz` input: UTC microseconds since 2000-01-01; a zone-less
/// value is local time in `ctx.timezone`.
pub fn parse_timestamptz(input: &str, ctx: &TypeContext) -> Result<i64> {
    parse(input, Target::Timestamptz, ctx)
}

#[cfg(test)]
#[path = "datetime_parse_tests.rs"]
mod tests;
