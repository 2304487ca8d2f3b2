//! Server log lines: `2026-11-25 20:06:40.123 UTC [LEVEL] message` on stderr.
//!
//! Deliberately tiny: the server logs a handful of events (listening,
//! recovery, shutdown, connection errors), so a logging framework would be
//! more weight than value.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences log output (for embedded use such as the `driftdb sql` CLI).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Writes one log line at `level`.
pub fn log(level: &str, message: std::fmt::Arguments<'_>) {
    if QUIET.load(Ordering::Relaxed) && level != "ERROR" && level != "FATAL" {
        return;
    }
    let micros = crate::temporal::Clock::now_micros(&crate::temporal::SystemClock);
    let secs = micros.div_euclid(1_000_000);
    let millis = micros.rem_euclid(1_000_000) / 1000;
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let line = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03} UTC [{level}] {message}\n",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Days since 1970-01-01 to a (year, month, day) civil date (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Logs at INFO.
#[macro_export]
macro_rules! log_info {
    ($($arg:tt)+) => { $crate::logging::log("INFO", format_args!($($arg)+)) };
}

/// Logs at WARNING.
#[macro_export]
macro_rules! log_warn {
    ($($arg:tt)+) => { $crate::logging::log("WARNING", format_args!($($arg)+)) };
}

/// Logs at ERROR.
#[macro_export]
macro_rules! log_error {
    ($($arg:tt)+) => { $crate::logging::log("ERROR", format_args!($($arg)+)) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(10_957), (2000, 1, 1));
        assert_eq!(super::civil_from_days(19_723), (2024, 1, 1));
    }
}
