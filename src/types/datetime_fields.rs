//! `EXTRACT(field FROM x)` and `date_trunc(field, x)` on dates and
//! timestamps, as PostgreSQL 15 computes them.
//!
//! EXTRACT returns NUMERIC (PostgreSQL 15; `date_part` is the same value as
//! float8, which the executor gets with a cast). Seconds carry six decimals,
//! milliseconds three, `epoch` six for timestamps; `julian` for timestamps
//! divides the time of day by a day with NUMERIC's division scale.
//! Timestamptz fields are taken in the session time zone.
//!
//! date_trunc on a date works on the date as a timestamptz at local
//! midnight (PostgreSQL resolves `date_trunc(text, date)` to the timestamptz
//! variant) and so returns a timestamptz.

use super::datetime::{
    Fields, POSTGRES_EPOCH_JDATE, TS_NEG_INF, TS_POS_INF, UNIX_EPOCH_JDATE, USECS_PER_DAY,
    USECS_PER_SEC, date2j, local_to_utc, offset_at, pg_to_unix_micros, utc_to_local,
};
use super::{Decimal, TypeContext, Value};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;

/// A unit of EXTRACT / date_trunc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Microseconds,
    Milliseconds,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Decade,
    Century,
    Millennium,
    Dow,
    Isodow,
    Doy,
    Isoyear,
    Julian,
    Epoch,
    Timezone,
    TimezoneHour,
    TimezoneMinute,
}

/// PostgreSQL's unit spellings (DecodeUnits), case-insensitive.
fn unit(name: &str) -> Option<Unit> {
    use Unit::*;
    Some(match name.to_ascii_lowercase().as_str() {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => Microseconds,
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" | "millisecon" => {
            Milliseconds
        }
        "second" | "seconds" | "s" | "sec" | "secs" => Second,
        "minute" | "minutes" | "m" | "min" | "mins" => Minute,
        "hour" | "hours" | "h" | "hr" | "hrs" => Hour,
        "day" | "days" | "d" => Day,
        "week" | "weeks" | "w" => Week,
        "month" | "months" | "mon" | "mons" => Month,
        "quarter" | "qtr" => Quarter,
        "year" | "years" | "y" | "yr" | "yrs" => Year,
        "decade" | "decades" | "dec" | "decs" => Decade,
        "century" | "centuries" | "c" | "cent" => Century,
        "millennium" | "millennia" | "mil" | "mils" => Millennium,
        "dow" => Dow,
        "isodow" => Isodow,
        "doy" => Doy,
        "isoyear" => Isoyear,
        "julian" | "j" => Julian,
        "epoch" => Epoch,
        "timezone" => Timezone,
        "timezone_h" | "timezone_hour" => TimezoneHour,
        "timezone_m" | "timezone_minute" => TimezoneMinute,
        _ => return None,
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Date(_) => "date",
        Value::Timestamp(_) => "timestamp without time zone",
        _ => "timestamp with time zone",
    }
}

fn not_recognized(field: &str, v: &Value) -> Error {
    sql_err!(
        SqlState::INVALID_PARAMETER_VALUE,
        "unit \"{}\" not recognized for type {}",
        field.to_ascii_lowercase(),
        type_name(v)
    )
}

fn not_supported(field: &str, v: &Value) -> Error {
    sql_err!(
        SqlState::FEATURE_NOT_SUPPORTED,
        "unit \"{}\" not supported for type {}",
        field.to_ascii_lowercase(),
        type_name(v)
    )
}

/// PostgreSQL's `j2day`: 0 = Sunday.
fn j2day(jd: i64) -> i64 {
    (jd + 1).rem_euclid(7)
}

/// Julian day of the Monday starting ISO week 1 of `year`.
fn iso_week1(year: i32) -> i64 {
    let day4 = date2j(year, 1, 4) as i64;
    day4 - (j2day(day4) + 6) % 7
}

/// ISO 8601 (year, week) of a date (astronomical year).
fn iso_year_week(f: &Fields) -> (i32, i64) {
    let jd = date2j(f.year, f.month, f.day) as i64;
    let mut year = f.year;
    if jd < iso_week1(year) {
        year -= 1;
    } else if jd >= iso_week1(year + 1) {
        year += 1;
    }
    (year, (jd - iso_week1(year)) / 7 + 1)
}

fn decade(year: i32) -> i64 {
    let y = year as i64;
    if y >= 0 {
        y / 10
    } else {
        -((8 - (y - 1)) / 10)
    }
}

fn century(year: i32) -> i64 {
    let y = year as i64;
    if y > 0 {
        (y + 99) / 100
    } else {
        -((99 - (y - 1)) / 100)
    }
}

fn millennium(year: i32) -> i64 {
    let y = year as i64;
    if y > 0 {
        (y + 999) / 1000
    } else {
        -((999 - (y - 1)) / 1000)
    }
}

/// The integer-valued fields shared by dates and timestamps.
fn date_field(u: Unit, f: &Fields) -> Option<i64> {
    let jd = date2j(f.year, f.month, f.day) as i64;
    Some(match u {
        Unit::Day => f.day as i64,
        Unit::Month => f.month as i64,
        Unit::Quarter => (f.month as i64 - 1) / 3 + 1,
        Unit::Week => iso_year_week(f).1,
        Unit::Year if f.year > 0 => f.year as i64,
        Unit::Year => f.year as i64 - 1,
        Unit::Decade => decade(f.year),
        Unit::Century => century(f.year),
        Unit::Millennium => millennium(f.year),
        Unit::Isoyear => match iso_year_week(f).0 as i64 {
            y if y <= 0 => y - 1,
            y => y,
        },
        Unit::Dow => j2day(jd),
        Unit::Isodow => match j2day(jd) {
            0 => 7,
            d => d,
        },
        Unit::Doy => jd - date2j(f.year, 1, 1) as i64 + 1,
        _ => return None,
    })
}

/// Units whose value keeps growing with time: EXTRACT gives ±infinity for
/// infinite inputs (which our NUMERIC cannot hold); the others give NULL.
fn monotonic(u: Unit) -> bool {
    matches!(
        u,
        Unit::Year
            | Unit::Decade
            | Unit::Century
            | Unit::Millennium
            | Unit::Julian
            | Unit::Isoyear
            | Unit::Epoch
    )
}

fn infinite_result(u: Unit) -> Result<Value> {
    if monotonic(u) {
        Err(sql_err!(
            SqlState::FEATURE_NOT_SUPPORTED,
            "numeric infinity is not supported"
        ))
    } else {
        Ok(Value::Null)
    }
}

fn numeric(mantissa: i64, scale: u16) -> Result<Value> {
    Decimal::new(mantissa as i128, scale).map(Value::Numeric)
}

/// `EXTRACT(field FROM v)` for a date, timestamp or timestamptz; NULL in,
/// NULL out. 22023 for an unknown unit, 0A000 for one the type lacks.
pub fn extract(field: &str, v: &Value, ctx: &TypeContext) -> Result<Value> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let u = unit(field).ok_or_else(|| not_recognized(field, v))?;
    match v {
        Value::Date(d) => extract_date(field, u, *d, v),
        Value::Timestamp(ts) => extract_timestamp(field, u, *ts, None, v),
        Value::Timestamptz(ts) => extract_timestamp(field, u, *ts, Some(ctx), v),
        other => Err(sql_err!(
            SqlState::UNDEFINED_FUNCTION,
            "function extract(unknown, {}) does not exist",
            other.data_type().format_type()
        )),
    }
}

fn extract_date(field: &str, u: Unit, d: i32, v: &Value) -> Result<Value> {
    let supported =
        matches!(u, Unit::Julian | Unit::Epoch) || date_field(u, &Fields::default()).is_some();
    if !supported {
        return Err(not_supported(field, v));
    }
    if d == i32::MIN || d == i32::MAX {
        return infinite_result(u);
    }
    let jd = d as i64 + POSTGRES_EPOCH_JDATE as i64;
    let n = match u {
        Unit::Julian => jd,
        Unit::Epoch => (jd - UNIX_EPOCH_JDATE as i64) * 86_400,
        _ => date_field(u, &Fields::from_date(d)).unwrap_or(0),
    };
    numeric(n, 0)
}

fn extract_timestamp(
    field: &str,
    u: Unit,
    ts: i64,
    ctx: Option<&TypeContext>,
    v: &Value,
) -> Result<Value> {
    // As PostgreSQL, an infinite input is answered before the unit is
    // checked against the type.
    if ts == TS_NEG_INF || ts == TS_POS_INF {
        return infinite_result(u);
    }
    let tz_unit = matches!(
        u,
        Unit::Timezone | Unit::TimezoneHour | Unit::TimezoneMinute
    );
    if tz_unit && ctx.is_none() {
        return Err(not_supported(field, v));
    }
    let offset = ctx.map_or(0, |c| offset_at(ts, &c.timezone)) as i64;
    let f = Fields::from_timestamp(ts.saturating_add(offset * USECS_PER_SEC));
    let sec_us = f.second as i64 * USECS_PER_SEC + f.micros as i64;
    match u {
        Unit::Microseconds => numeric(sec_us, 0),
        Unit::Milliseconds => numeric(sec_us, 3),
        Unit::Second => numeric(sec_us, 6),
        Unit::Minute => numeric(f.minute as i64, 0),
        Unit::Hour => numeric(f.hour as i64, 0),
        Unit::Epoch => numeric(pg_to_unix_micros(ts), 6),
        Unit::Timezone => numeric(offset, 0),
        Unit::TimezoneHour => numeric(offset / 3600, 0),
        Unit::TimezoneMinute => numeric(offset / 60 % 60, 0),
        Unit::Julian => {
            let jd = Decimal::from_i64(date2j(f.year, f.month, f.day) as i64);
            let tod = (f.hour as i64 * 3600 + f.minute as i64 * 60) * USECS_PER_SEC + sec_us;
            let frac = Decimal::from_i64(tod).checked_div(&Decimal::from_i64(USECS_PER_DAY))?;
            Ok(Value::Numeric(jd.checked_add(&frac)?))
        }
        _ => numeric(date_field(u, &f).unwrap_or(0), 0),
    }
}

/// Truncates local fields to the unit (PostgreSQL's `timestamp_trunc`).
fn trunc_fields(u: Unit, f: &mut Fields) -> bool {
    use Unit::*;
    let mut year = f.year;
    match u {
        Millennium => {
            year = if year > 0 {
                (year + 999) / 1000 * 1000 - 999
            } else {
                -((999 - (year - 1)) / 1000) * 1000 + 1
            }
        }
        Century => {
            year = if year > 0 {
                (year + 99) / 100 * 100 - 99
            } else {
                -((99 - (year - 1)) / 100) * 100 + 1
            }
        }
        Decade => {
            year = if year > 0 {
                year / 10 * 10
            } else {
                -((8 - (year - 1)) / 10) * 10
            }
        }
        _ => {}
    }
    f.year = year;
    let level = match u {
        Millennium | Century | Decade | Year => 6,
        Quarter => 5,
        Month => 4,
        Week | Day => 3,
        Hour => 2,
        Minute => 1,
        Second => 0,
        Milliseconds => {
            f.micros = f.micros / 1000 * 1000;
            return true;
        }
        Microseconds => return true,
        _ => return false,
    };
    if level >= 6 {
        f.month = 1;
    }
    if level >= 5 {
        f.month = 3 * ((f.month - 1) / 3) + 1;
    }
    if level >= 4 {
        f.day = 1;
    }
    if level >= 3 {
        f.hour = 0;
    }
    if level >= 2 {
        f.minute = 0;
    }
    if level >= 1 {
        f.second = 0;
    }
    f.micros = 0;
    if u == Week {
        let jd = date2j(f.year, f.month, f.day) as i64;
        let monday = jd - (j2day(jd) + 6) % 7;
        let local = (monday - POSTGRES_EPOCH_JDATE as i64) * USECS_PER_DAY;
        *f = Fields::from_timestamp(local);
    }
    true
}

/// `date_trunc(field, v)`: a timestamp stays a timestamp; a timestamptz is
/// truncated in the session time zone; a date becomes a timestamptz.
pub fn date_trunc(field: &str, v: &Value, ctx: &TypeContext) -> Result<Value> {
    let v = match v {
        Value::Null => return Ok(Value::Null),
        Value::Date(d) => Value::Timestamptz(super::cast::date_to_timestamptz(*d, ctx)?),
        other => other.clone(),
    };
    let (ts, zoned) = match v {
        Value::Timestamp(ts) => (ts, false),
        Value::Timestamptz(ts) => (ts, true),
        other => {
            return Err(sql_err!(
                SqlState::UNDEFINED_FUNCTION,
                "function date_trunc(unknown, {}) does not exist",
                other.data_type().format_type()
            ));
        }
    };
    let wrap = |t| {
        if zoned {
            Value::Timestamptz(t)
        } else {
            Value::Timestamp(t)
        }
    };
    // As PostgreSQL, infinities come back before the unit is looked at.
    if ts == TS_NEG_INF || ts == TS_POS_INF {
        return Ok(wrap(ts));
    }
    let u = unit(field).ok_or_else(|| not_recognized(field, &v))?;
    let local = if zoned {
        utc_to_local(ts, &ctx.timezone)
    } else {
        ts
    };
    let mut f = Fields::from_timestamp(local);
    if !trunc_fields(u, &mut f) {
        let tz_unit = matches!(
            u,
            Unit::Timezone | Unit::TimezoneHour | Unit::TimezoneMinute
        );
        return Err(if tz_unit {
            not_supported(field, &v)
        } else {
            not_recognized(field, &v)
        });
    }
    let truncated = f.timestamp();
    if !zoned {
        return Ok(wrap(truncated));
    }
    // Units of a day or more look the offset up again (midnight may have a
    // different offset); smaller units keep the instant's own offset.
    let day_or_more = !matches!(
        u,
        Unit::Hour | Unit::Minute | Unit::Second | Unit::Milliseconds | Unit::Microseconds
    );
    Ok(wrap(if day_or_more {
        local_to_utc(truncated, &ctx.timezone)
    } else {
        truncated.saturating_sub(local.saturating_sub(ts))
    }))
}

#[cfg(test)]
#[path = "datetime_fields_tests.rs"]
mod tests;
