//! Session settings (PostgreSQL's GUCs): SET, SHOW, RESET, startup
//! parameters, and which changes are reported to the client with
//! ParameterStatus.
//!
//! Only a few settings change behaviour (TimeZone, extra_float_digits,
//! statement_timeout, DateStyle, default_transaction_read_only, the
//! isolation level); the rest are accepted and shown because drivers set
//! and read them.

use fxhash::FxHashMap;

use crate::error::{Error, Result, SqlState};
use crate::sql_err;
use crate::types::{TimeZone, TypeContext};

/// Validates and normalizes a value.
type Check = fn(&str) -> Result<String>;

/// One known setting.
struct Param {
    /// Lower-case name.
    name: &'static str,
    /// Canonical spelling (ParameterStatus, SHOW column name).
    display: &'static str,
    default: &'static str,
    /// Changes are sent to the client as ParameterStatus.
    reported: bool,
    /// Cannot be SET.
    read_only: bool,
    check: Check,
    description: &'static str,
}

fn any(v: &str) -> Result<String> {
    Ok(v.to_string())
}

fn boolean(v: &str) -> Result<String> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" | "t" | "y" => Ok("on".into()),
        "off" | "false" | "no" | "0" | "f" | "n" => Ok("off".into()),
        _ => Err(Error::sql(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("requires a Boolean value: \"{v}\""),
        )),
    }
}

fn encoding(v: &str) -> Result<String> {
    match v
        .to_ascii_lowercase()
        .replace(['-', '_', '\''], "")
        .as_str()
    {
        "utf8" | "unicode" => Ok("UTF8".into()),
        _ => Err(Error::sql(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"client_encoding\": \"{v}\""),
        )
        .with_detail("Only UTF8 is supported.")),
    }
}

fn datestyle(v: &str) -> Result<String> {
    let mut order = "MDY";
    for part in v.split(',').map(|p| p.trim().to_ascii_uppercase()) {
        match part.as_str() {
            "ISO" => {}
            "MDY" | "US" | "NONEURO" | "NONEUROPEAN" => order = "MDY",
            "DMY" | "EURO" | "EUROPEAN" => order = "DMY",
            "YMD" => order = "YMD",
            _ => {
                return Err(Error::sql(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("invalid value for parameter \"DateStyle\": \"{v}\""),
                )
                .with_detail("Only the ISO output style is supported."));
            }
        }
    }
    Ok(format!("ISO, {order}"))
}

/// The zone `SET TimeZone = v` selects. PostgreSQL reads a bare numeric
/// offset here as a POSIX zone, whose sign is the opposite of ISO 8601:
/// `'+05:30'` is 5½ hours *west* of UTC (timestamps print `-05:30`).
fn session_zone(v: &str) -> Result<TimeZone> {
    match TimeZone::parse(v)? {
        TimeZone::Fixed(secs) if v.trim_start().starts_with(['+', '-']) => {
            Ok(TimeZone::Fixed(-secs))
        }
        zone => Ok(zone),
    }
}

fn timezone(v: &str) -> Result<String> {
    session_zone(v)?;
    Ok(v.to_string())
}

fn float_digits(v: &str) -> Result<String> {
    match v.trim().parse::<i32>() {
        Ok(n) if (-15..=3).contains(&n) => Ok(n.to_string()),
        _ => Err(Error::sql(
            SqlState::INVALID_PARAMETER_VALUE,
            format!(
                "{v} is outside the valid range for parameter \"extra_float_digits\" (-15 .. 3)"
            ),
        )),
    }
}

/// Milliseconds, with PostgreSQL's units (`ms`, `s`, `min`, `h`, `d`).
/// Normalizes a duration to PostgreSQL's display form: the largest unit that
/// divides it exactly (`100ms`, `2s`, `1min`), `0` for none.
fn duration_ms(v: &str) -> Result<String> {
    let ms = parse_duration_ms(v)?;
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1000, "s"),
    ];
    if ms == 0 {
        return Ok("0".to_string());
    }
    Ok(match units.iter().find(|(n, _)| ms % n == 0) {
        Some((n, unit)) => format!("{}{unit}", ms / n),
        None => format!("{ms}ms"),
    })
}

/// Parses a duration setting into milliseconds.
pub fn parse_duration_ms(v: &str) -> Result<u64> {
    let t = v.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| {
        Error::sql(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter: \"{v}\""),
        )
    })?;
    let scale = match unit.trim() {
        "" | "ms" => 1.0,
        "s" => 1000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        "us" => 0.001,
        _ => {
            return Err(Error::sql(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter: \"{v}\""),
            )
            .with_hint("Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"."));
        }
    };
    Ok((n * scale).round().clamp(0.0, i32::MAX as f64) as u64)
}

fn isolation(v: &str) -> Result<String> {
    let norm = v
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match norm.as_str() {
        "read uncommitted" | "read committed" | "repeatable read" | "serializable" => Ok(norm),
        _ => Err(Error::sql(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"transaction_isolation\": \"{v}\""),
        )),
    }
}

fn only_on(v: &str) -> Result<String> {
    match boolean(v)?.as_str() {
        "on" => Ok("on".into()),
        _ => Err(Error::sql(
            SqlState::FEATURE_NOT_SUPPORTED,
            "non-standard string literals are not supported",
        )),
    }
}

macro_rules! param {
    ($name:literal, $display:literal, $default:literal, $reported:expr, $ro:expr, $check:expr, $desc:literal) => {
        Param {
            name: $name,
            display: $display,
            default: $default,
            reported: $reported,
            read_only: $ro,
            check: $check,
            description: $desc,
        }
    };
}

static PARAMS: &[Param] = &[
    param!(
        "application_name",
        "application_name",
        "",
        true,
        false,
        any,
        "Sets the application name to be reported in statistics and logs."
    ),
    param!(
        "bytea_output",
        "bytea_output",
        "hex",
        false,
        false,
        any,
        "Sets the output format for bytea."
    ),
    param!(
        "client_encoding",
        "client_encoding",
        "UTF8",
        true,
        false,
        encoding,
        "Sets the client's character set encoding."
    ),
    param!(
        "client_min_messages",
        "client_min_messages",
        "notice",
        false,
        false,
        any,
        "Sets the message levels that are sent to the client."
    ),
    param!(
        "datestyle",
        "DateStyle",
        "ISO, MDY",
        true,
        false,
        datestyle,
        "Sets the display format for date and time values."
    ),
    param!(
        "default_transaction_isolation",
        "default_transaction_isolation",
        "read committed",
        false,
        false,
        isolation,
        "Sets the transaction isolation level of each new transaction."
    ),
    param!(
        "default_transaction_read_only",
        "default_transaction_read_only",
        "off",
        true,
        false,
        boolean,
        "Sets the default read-only status of new transactions."
    ),
    param!(
        "extra_float_digits",
        "extra_float_digits",
        "1",
        false,
        false,
        float_digits,
        "Sets the number of digits displayed for floating-point values."
    ),
    param!(
        "idle_in_transaction_session_timeout",
        "idle_in_transaction_session_timeout",
        "0",
        false,
        false,
        duration_ms,
        "Sets the maximum allowed idle time between queries, when in a transaction."
    ),
    param!(
        "in_hot_standby",
        "in_hot_standby",
        "off",
        true,
        true,
        any,
        "Shows whether hot standby is currently active."
    ),
    param!(
        "integer_datetimes",
        "integer_datetimes",
        "on",
        true,
        true,
        any,
        "Shows whether datetimes are integer based."
    ),
    param!(
        "intervalstyle",
        "IntervalStyle",
        "postgres",
        true,
        false,
        any,
        "Sets the display format for interval values."
    ),
    param!(
        "is_superuser",
        "is_superuser",
        "on",
        true,
        true,
        any,
        "Shows whether the current user is a superuser."
    ),
    param!(
        "jit",
        "jit",
        "off",
        false,
        false,
        boolean,
        "Allow JIT compilation."
    ),
    param!(
        "lc_messages",
        "lc_messages",
        "C.UTF-8",
        false,
        false,
        any,
        "Sets the language in which messages are displayed."
    ),
    param!(
        "lock_timeout",
        "lock_timeout",
        "0",
        false,
        false,
        duration_ms,
        "Sets the maximum allowed duration of any wait for a lock."
    ),
    param!(
        "max_identifier_length",
        "max_identifier_length",
        "63",
        false,
        true,
        any,
        "Shows the maximum identifier length."
    ),
    param!(
        "search_path",
        "search_path",
        "\"$user\", public",
        false,
        false,
        any,
        "Sets the schema search order for names that are not schema-qualified."
    ),
    param!(
        "server_encoding",
        "server_encoding",
        "UTF8",
        true,
        true,
        any,
        "Shows the server (database) character set encoding."
    ),
    param!(
        "server_version",
        "server_version",
        "15.0",
        true,
        true,
        any,
        "Shows the server version."
    ),
    param!(
        "server_version_num",
        "server_version_num",
        "150000",
        false,
        true,
        any,
        "Shows the server version as an integer."
    ),
    param!(
        "session_authorization",
        "session_authorization",
        "driftdb",
        true,
        true,
        any,
        "Sets the session user name."
    ),
    param!(
        "standard_conforming_strings",
        "standard_conforming_strings",
        "on",
        true,
        false,
        only_on,
        "Causes '...' strings to treat backslashes literally."
    ),
    param!(
        "statement_timeout",
        "statement_timeout",
        "0",
        false,
        false,
        duration_ms,
        "Sets the maximum allowed duration of any statement."
    ),
    param!(
        "synchronous_commit",
        "synchronous_commit",
        "on",
        false,
        false,
        any,
        "Sets the current transaction's synchronization level."
    ),
    param!(
        "timezone",
        "TimeZone",
        "UTC",
        true,
        false,
        timezone,
        "Sets the time zone for displaying and interpreting time stamps."
    ),
    param!(
        "transaction_isolation",
        "transaction_isolation",
        "read committed",
        false,
        false,
        isolation,
        "Sets the current transaction's isolation level."
    ),
    param!(
        "transaction_read_only",
        "transaction_read_only",
        "off",
        false,
        false,
        boolean,
        "Sets the current transaction's read-only status."
    ),
    param!(
        "work_mem",
        "work_mem",
        "4MB",
        false,
        false,
        any,
        "Sets the maximum memory to be used for query workspaces."
    ),
];

fn find(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.name == name)
}

fn unknown(name: &str) -> Error {
    sql_err!(
        SqlState::UNDEFINED_OBJECT,
        "unrecognized configuration parameter \"{}\"",
        name
    )
}

/// The settings of one session.
#[derive(Debug, Clone)]
pub struct Settings {
    values: FxHashMap<String, String>,
    types: TypeContext,
    /// `statement_timeout` parsed, kept in step by `set` (read per statement).
    timeout_ms: u64,
}

impl Settings {
    /// Defaults for `user`.
    pub fn new(user: &str) -> Settings {
        let mut values: FxHashMap<String, String> = PARAMS
            .iter()
            .map(|p| (p.name.to_string(), p.default.to_string()))
            .collect();
        values.insert("session_authorization".into(), user.to_string());
        let timeout_ms = values
            .get("statement_timeout")
            .and_then(|v| parse_duration_ms(v).ok())
            .unwrap_or(0);
        Settings {
            values,
            types: TypeContext::default(),
            timeout_ms,
        }
    }

    /// The current value of a setting (by any case of its name).
    pub fn get(&self, name: &str) -> Result<String> {
        self.value(name).map(str::to_string)
    }

    /// The current value, borrowed (no allocation for lower-case names).
    pub fn value(&self, name: &str) -> Result<&str> {
        let found = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.values.get(&name.to_ascii_lowercase())
        } else {
            self.values.get(name)
        };
        found.map(String::as_str).ok_or_else(|| unknown(name))
    }

    /// Sets a value; returns the (display name, value) to report with
    /// ParameterStatus when the client must hear about it.
    pub fn set(&mut self, name: &str, value: &str) -> Result<Option<(String, String)>> {
        let key = name.to_ascii_lowercase();
        let (value, report) = match find(&key) {
            Some(p) if p.read_only => {
                return Err(sql_err!(
                    SqlState::CANT_CHANGE_RUNTIME_PARAM,
                    "parameter \"{}\" cannot be changed",
                    key
                ));
            }
            Some(p) => ((p.check)(value)?, p.reported.then_some(p.display)),
            // Placeholder variables (`myapp.setting`) are allowed, as in PostgreSQL.
            None if key.contains('.') => (value.to_string(), None),
            None => return Err(unknown(name)),
        };
        if key == "statement_timeout" {
            self.timeout_ms = parse_duration_ms(&value).unwrap_or(0);
        }
        self.values.insert(key.clone(), value.clone());
        self.refresh_types(&key)?;
        Ok(report.map(|d| (d.to_string(), value)))
    }

    /// Restores a setting's default (RESET); returns the report like `set`.
    pub fn reset(&mut self, name: &str) -> Result<Option<(String, String)>> {
        let key = name.to_ascii_lowercase();
        match find(&key) {
            Some(p) if p.read_only => Ok(None),
            Some(p) => self.set(&key, p.default),
            None if self.values.contains_key(&key) => {
                self.values.remove(&key);
                Ok(None)
            }
            None => Err(unknown(name)),
        }
    }

    /// Every known setting's default restored (RESET ALL / DISCARD ALL).
    pub fn reset_all(&mut self) -> Vec<(String, String)> {
        let mut reports = Vec::new();
        for p in PARAMS.iter().filter(|p| !p.read_only) {
            if let Ok(Some(r)) = self.set(p.name, p.default) {
                reports.push(r);
            }
        }
        reports
    }

    fn refresh_types(&mut self, key: &str) -> Result<()> {
        match key {
            "timezone" => self.types.timezone = session_zone(&self.get("timezone")?)?,
            "extra_float_digits" => {
                self.types.extra_float_digits = self.get(key)?.parse().unwrap_or(1);
            }
            _ => {}
        }
        Ok(())
    }

    /// The value-formatting context these settings imply.
    pub fn type_context(&self) -> &TypeContext {
        &self.types
    }

    /// The canonical display name of a setting (`timezone` → `TimeZone`).
    pub fn display_name(name: &str) -> String {
        let key = name.to_ascii_lowercase();
        find(&key).map_or(key, |p| p.display.to_string())
    }

    /// The ParameterStatus values sent after authentication.
    pub fn reported(&self) -> Vec<(String, String)> {
        PARAMS
            .iter()
            .filter(|p| p.reported)
            .map(|p| {
                (
                    p.display.to_string(),
                    self.values.get(p.name).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Every setting as (name, value, description), sorted (SHOW ALL).
    pub fn all(&self) -> Vec<(String, String, String)> {
        let mut out: Vec<(String, String, String)> = PARAMS
            .iter()
            .map(|p| {
                (
                    p.display.to_string(),
                    self.values.get(p.name).cloned().unwrap_or_default(),
                    p.description.to_string(),
                )
            })
            .collect();
        out.sort_by_key(|a| a.0.to_ascii_lowercase());
        out
    }

    /// (name, value) pairs for `current_setting()`.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// statement_timeout in milliseconds (0 = none).
    pub fn statement_timeout_ms(&self) -> u64 {
        self.timeout_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_show_and_report() {
        let mut s = Settings::new("driftdb");
        assert_eq!(s.get("DateStyle").unwrap(), "ISO, MDY");
        assert_eq!(
            s.set("application_name", "psql").unwrap(),
            Some(("application_name".into(), "psql".into()))
        );
        assert_eq!(s.set("extra_float_digits", "3").unwrap(), None);
        assert_eq!(s.type_context().extra_float_digits, 3);
        assert_eq!(s.set("DateStyle", "ISO").unwrap().unwrap().1, "ISO, MDY");
        assert_eq!(
            s.set("client_encoding", "'utf-8'").unwrap().unwrap().1,
            "UTF8"
        );
        assert!(s.set("client_encoding", "LATIN1").is_err());
        assert_eq!(
            s.set("nope", "1").unwrap_err().sqlstate(),
            SqlState::UNDEFINED_OBJECT
        );
        assert!(s.set("myapp.flag", "x").is_ok());
        assert!(s.set("server_version", "16").is_err());
        s.reset("application_name").unwrap();
        assert_eq!(s.get("application_name").unwrap(), "");
    }

    #[test]
    fn durations_have_units() {
        assert_eq!(parse_duration_ms("1500").unwrap(), 1500);
        assert_eq!(parse_duration_ms("2s").unwrap(), 2000);
        assert_eq!(parse_duration_ms("1min").unwrap(), 60_000);
        assert!(parse_duration_ms("5 parsecs").is_err());
        let mut s = Settings::new("driftdb");
        for (set, shown, ms) in [
            ("100", "100ms", 100),
            ("2000", "2s", 2000),
            ("1min", "1min", 60_000),
            ("0", "0", 0),
        ] {
            s.set("statement_timeout", set).unwrap();
            assert_eq!(s.get("statement_timeout").unwrap(), shown);
            assert_eq!(s.statement_timeout_ms(), ms);
        }
    }
}
