//! IANA time zones: a bounded, validating reader of TZif files (RFC 8536)
//! and of POSIX TZ rule strings (`CET-1CEST,M3.5.0,M10.5.0/3`).
//!
//! A [`Zone`] is a table of UTC transition instants, each switching to a
//! local-time type (offset east of UTC in seconds, DST flag), plus the
//! POSIX rule from the file's footer that extends the table past its last
//! transition (files built "slim" stop in 2007, "fat" ones in 2037). Times
//! before the first transition use type 0, as RFC 8536 says.
//!
//! Everything read from disk is checked: magic, counts against fixed limits
//! and the file length, type indexes, ascending transitions, offsets within
//! ±26 hours. A bad file is "not a time zone", never a panic. Loaded zones
//! are cached process-wide, because timestamptz input may name a zone in
//! every row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::datetime::{UNIX_EPOCH_JDATE, date2j, j2date};

/// Where the system keeps the tz database.
const ZONEINFO: &str = "/usr/share/zoneinfo";
/// Largest TZif file we read (real ones are under 4 KiB).
const MAX_FILE: u64 = 256 * 1024;
/// Limits on the header counts (real files: < 2000 transitions, < 20 types).
const MAX_TRANSITIONS: usize = 10_000;
const MAX_TYPES: usize = 256;
/// Largest |UTC offset| accepted, in seconds.
const MAX_OFFSET: i32 = 26 * 3600;
/// Cached zones at most (there are about 600 names).
const MAX_CACHED: usize = 2048;

/// One local-time type: offset east of UTC, and whether it is DST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LocalType {
    offset: i32,
    is_dst: bool,
}

/// When a POSIX rule switches: a day rule and a local time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayRule {
    /// `Jn`: day 1..=365, February 29 never counted.
    Julian1(u16),
    /// `n`: day 0..=365, February 29 counted.
    Julian0(u16),
    /// `Mm.w.d`: weekday d (0 = Sunday) of week w (5 = last) of month m.
    MonthWeekDay(u8, u8, u8),
}

/// A POSIX TZ rule: standard offset, and optionally DST with its switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PosixRule {
    std_offset: i32,
    dst: Option<DstRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DstRule {
    offset: i32,
    start: (DayRule, i32),
    end: (DayRule, i32),
}

/// A time zone from the tz database (or a POSIX rule alone).
#[derive(Debug)]
pub struct Zone {
    /// The canonical name (as the file is spelled, or as given for rules).
    name: String,
    /// UTC instants (Unix seconds) of the transitions, ascending.
    times: Vec<i64>,
    /// For each transition, the index into `types` it switches to.
    idx: Vec<u8>,
    types: Vec<LocalType>,
    /// The footer rule, for instants after the last transition.
    rule: Option<PosixRule>,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Zone {
    /// The canonical name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A zone defined only by a POSIX rule string (e.g. `UTC+3`, `<+05>-05`).
    pub(crate) fn from_posix(name: &str) -> Option<Zone> {
        let rule = parse_posix(name)?;
        let std = LocalType {
            offset: rule.std_offset,
            is_dst: false,
        };
        Some(Zone {
            name: name.to_string(),
            times: Vec::new(),
            idx: Vec::new(),
            types: vec![std],
            rule: Some(rule),
        })
    }

    fn type_before_first(&self) -> LocalType {
        self.types[0]
    }

    /// Offset east of UTC (seconds) in effect at a UTC instant.
    pub fn offset_at(&self, t: i64) -> i32 {
        let n = self.times.partition_point(|&x| x <= t);
        if n == self.times.len()
            && let Some(rule) = &self.rule
        {
            return rule.offset_at(t);
        }
        if n == 0 {
            return self.type_before_first().offset;
        }
        self.types[self.idx[n - 1] as usize].offset
    }

    /// The first transition strictly after `t`: (instant, offset before, offset after).
    pub(crate) fn next_transition(&self, t: i64) -> Option<(i64, i32, i32)> {
        let n = self.times.partition_point(|&x| x <= t);
        if n < self.times.len() {
            let after = self.types[self.idx[n] as usize].offset;
            return Some((self.times[n], self.offset_at(t), after));
        }
        let rule = self.rule.as_ref()?;
        let (at, after) = rule.next_transition(t)?;
        Some((at, self.offset_at(t), after))
    }
}

impl PosixRule {
    fn offset_at(&self, t: i64) -> i32 {
        let Some(dst) = &self.dst else {
            return self.std_offset;
        };
        let year = year_of(t + self.std_offset as i64);
        let (start, end) = dst.switches(year, self.std_offset);
        let in_dst = if start < end {
            start <= t && t < end
        } else {
            !(end <= t && t < start)
        };
        if in_dst { dst.offset } else { self.std_offset }
    }

    fn next_transition(&self, t: i64) -> Option<(i64, i32)> {
        let dst = self.dst.as_ref()?;
        let year = year_of(t + self.std_offset as i64);
        let mut best: Option<(i64, i32)> = None;
        for y in [year - 1, year, year + 1] {
            let (start, end) = dst.switches(y, self.std_offset);
            for (at, off) in [(start, dst.offset), (end, self.std_offset)] {
                if at > t && best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, off));
                }
            }
        }
        best
    }
}

impl DstRule {
    /// UTC instants (Unix seconds) when DST starts and ends in `year`.
    fn switches(&self, year: i32, std_offset: i32) -> (i64, i64) {
        let at = |(rule, secs): (DayRule, i32), offset: i32| {
            let days = rule_day(rule, year) - UNIX_EPOCH_JDATE as i64;
            days * 86_400 + secs as i64 - offset as i64
        };
        (at(self.start, std_offset), at(self.end, self.offset))
    }
}

fn is_leap(y: i32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// The Julian day number a day rule picks in `year`.
fn rule_day(rule: DayRule, year: i32) -> i64 {
    let jan1 = date2j(year, 1, 1) as i64;
    match rule {
        DayRule::Julian0(n) => jan1 + n as i64,
        DayRule::Julian1(n) => {
            let skip_leap = is_leap(year) && n >= 60;
            jan1 + n as i64 - 1 + skip_leap as i64
        }
        DayRule::MonthWeekDay(m, w, d) => {
            let first = date2j(year, m as i32, 1) as i64;
            let first_dow = (first + 1).rem_euclid(7);
            let mut day = first + (d as i64 - first_dow).rem_euclid(7) + (w as i64 - 1) * 7;
            let next_month = if m == 12 {
                date2j(year + 1, 1, 1)
            } else {
                date2j(year, m as i32 + 1, 1)
            } as i64;
            while day >= next_month {
                day -= 7;
            }
            day
        }
    }
}

/// The (proleptic Gregorian) year containing a Unix-seconds instant.
fn year_of(t: i64) -> i32 {
    let jd = t.div_euclid(86_400) + UNIX_EPOCH_JDATE as i64;
    let jd = jd.clamp(0, i32::MAX as i64) as i32;
    j2date(jd).0
}

/// A cursor over a POSIX TZ string.
struct Posix<'a> {
    s: &'a [u8],
    i: usize,
}

impl Posix<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn number(&mut self, max: i64) -> Option<i64> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) && self.i - start < 6 {
            self.i += 1;
        }
        let v: i64 = std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()?;
        (v <= max).then_some(v)
    }

    /// A zone abbreviation: 3+ letters, or `<...>` with letters, digits, + and -.
    fn name(&mut self) -> Option<()> {
        let start = self.i;
        if self.eat(b'<') {
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'-')
            {
                self.i += 1;
            }
            return (self.eat(b'>') && self.i - start >= 5).then_some(());
        }
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        (self.i - start >= 3).then_some(())
    }

    /// `[+-]hh[:mm[:ss]]` in seconds, with hours up to `max_hours`.
    fn hms(&mut self, max_hours: i64) -> Option<i64> {
        let neg = if self.eat(b'-') {
            true
        } else {
            self.eat(b'+');
            false
        };
        let mut secs = self.number(max_hours)? * 3600;
        if self.eat(b':') {
            secs += self.number(59)? * 60;
            if self.eat(b':') {
                secs += self.number(59)?;
            }
        }
        Some(if neg { -secs } else { secs })
    }

    fn day_rule(&mut self) -> Option<(DayRule, i32)> {
        let rule = if self.eat(b'J') {
            DayRule::Julian1(self.number(365).filter(|n| *n >= 1)? as u16)
        } else if self.eat(b'M') {
            let m = self.number(12).filter(|n| *n >= 1)? as u8;
            self.eat(b'.').then_some(())?;
            let w = self.number(5).filter(|n| *n >= 1)? as u8;
            self.eat(b'.').then_some(())?;
            DayRule::MonthWeekDay(m, w, self.number(6)? as u8)
        } else {
            DayRule::Julian0(self.number(365)? as u16)
        };
        let time = if self.eat(b'/') { self.hms(167)? } else { 7200 };
        Some((rule, time as i32))
    }
}

/// Parses a POSIX TZ string; offsets are converted to seconds *east*.
pub(crate) fn parse_posix(s: &str) -> Option<PosixRule> {
    let mut p = Posix {
        s: s.as_bytes(),
        i: 0,
    };
    p.name()?;
    let std_offset = -p.hms(24)? as i32;
    if p.peek().is_none() {
        return Some(PosixRule {
            std_offset,
            dst: None,
        });
    }
    p.name()?;
    let offset = match p.peek() {
        Some(b',') | None => std_offset + 3600,
        _ => -p.hms(24)? as i32,
    };
    // Without rules POSIX defaults to the US rules ("M3.2.0,M11.1.0").
    let (start, end) = if p.eat(b',') {
        let start = p.day_rule()?;
        p.eat(b',').then_some(())?;
        (start, p.day_rule()?)
    } else {
        (
            (DayRule::MonthWeekDay(3, 2, 0), 7200),
            (DayRule::MonthWeekDay(11, 1, 0), 7200),
        )
    };
    if p.peek().is_some() {
        return None;
    }
    Some(PosixRule {
        std_offset,
        dst: Some(DstRule { offset, start, end }),
    })
}

/// A big-endian reader over the file bytes; `None` when it runs out.
struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.i..self.i.checked_add(n)?)?;
        self.i += n;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i64(&mut self) -> Option<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(i64::from_be_bytes(a))
    }
}

/// The six header counts: isut, isstd, leap, time, type, char.
fn header(r: &mut Reader) -> Option<(u8, [usize; 6])> {
    if r.take(4)? != b"TZif" {
        return None;
    }
    let version = r.take(1)?[0];
    r.take(15)?;
    let mut c = [0usize; 6];
    for v in c.iter_mut() {
        *v = r.u32()? as usize;
    }
    let [isut, isstd, _, time, typ, chr] = c;
    let ok = time <= MAX_TRANSITIONS
        && (1..=MAX_TYPES).contains(&typ)
        && chr <= 1024
        && (isut == 0 || isut == typ)
        && (isstd == 0 || isstd == typ);
    ok.then_some((version, c))
}

/// Parses a TZif file. Files with leap seconds (`right/...`) are refused:
/// PostgreSQL's timestamps have none.
pub(crate) fn parse_tzif(name: &str, bytes: &[u8]) -> Option<Zone> {
    let mut r = Reader { b: bytes, i: 0 };
    let (version, c) = header(&mut r)?;
    let time_size = if version >= b'2' {
        // Skip the 32-bit block; the 64-bit one follows with its own header.
        let [isut, isstd, leap, time, typ, chr] = c;
        r.take(time * 5 + typ * 6 + chr + leap * 8 + isstd + isut)?;
        8
    } else {
        4
    };
    let (_, c) = if time_size == 8 {
        header(&mut r)?
    } else {
        (version, c)
    };
    let [isut, isstd, leap, time, typ, chr] = c;
    if leap != 0 {
        return None;
    }
    let mut times = Vec::with_capacity(time);
    for _ in 0..time {
        let t = if time_size == 8 {
            r.i64()?
        } else {
            r.u32()? as i32 as i64
        };
        if times.last().is_some_and(|&prev| t <= prev) {
            return None;
        }
        times.push(t);
    }
    let idx = r.take(time)?.to_vec();
    if idx.iter().any(|&i| i as usize >= typ) {
        return None;
    }
    let mut types = Vec::with_capacity(typ);
    for _ in 0..typ {
        let offset = r.u32()? as i32;
        let is_dst = r.take(1)?[0] != 0;
        r.take(1)?; // abbreviation index: ISO output never prints it
        if offset.unsigned_abs() > MAX_OFFSET as u32 {
            return None;
        }
        types.push(LocalType { offset, is_dst });
    }
    r.take(chr + isstd + isut)?;
    let rule = if time_size == 8 {
        footer(&mut r)?
    } else {
        None
    };
    Some(Zone {
        name: name.to_string(),
        times,
        idx,
        types,
        rule,
    })
}

/// The `\n<rule>\n` footer of a v2+ file: `Some(None)` when empty.
fn footer(r: &mut Reader) -> Option<Option<PosixRule>> {
    let rest = r.b.get(r.i..)?;
    if rest.is_empty() {
        return Some(None);
    }
    let text = std::str::from_utf8(rest).ok()?;
    let body = text.strip_prefix('\n')?.strip_suffix('\n')?;
    if body.is_empty() {
        return Some(None);
    }
    parse_posix(body).map(Some)
}

/// True for names that can only denote a file under the zoneinfo directory.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-' | b'+' | b'.'))
        && name
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.'))
}

/// Finds `name` under the zoneinfo directory, matching each component
/// case-insensitively as PostgreSQL does; returns the path and canonical name.
fn find(name: &str) -> Option<(PathBuf, String)> {
    let mut path = PathBuf::from(ZONEINFO);
    let mut canonical = Vec::new();
    for part in name.split('/') {
        let exact = path.join(part);
        let found = if exact.exists() {
            part.to_string()
        } else {
            std::fs::read_dir(&path)
                .ok()?
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .find(|f| f.eq_ignore_ascii_case(part))?
        };
        path.push(&found);
        canonical.push(found);
    }
    Some((path, canonical.join("/")))
}

fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut buf = Vec::new();
    f.take(MAX_FILE + 1).read_to_end(&mut buf).ok()?;
    (buf.len() as u64 <= MAX_FILE).then_some(buf)
}

fn cache() -> &'static Mutex<HashMap<String, Arc<Zone>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Zone>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Loads a zone from the tz database by name (case-insensitive), cached.
pub(crate) fn load(name: &str) -> Option<Arc<Zone>> {
    if !safe_name(name) {
        return None;
    }
    let key = name.to_ascii_lowercase();
    // A poisoned cache only means another thread panicked mid-insert; the
    // map itself is still a valid map, so keep using it.
    let lock = || cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(z) = lock().get(&key) {
        return Some(z.clone());
    }
    let (path, canonical) = find(name)?;
    let zone = Arc::new(parse_tzif(&canonical, &read_bounded(&path)?)?);
    let mut map = lock();
    if map.len() < MAX_CACHED {
        map.insert(key, zone.clone());
    }
    Some(zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_rules_parse() {
        let r = parse_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        assert_eq!(r.std_offset, 3600);
        let dst = r.dst.as_ref().unwrap();
        assert_eq!(dst.offset, 7200);
        assert_eq!(dst.end, (DayRule::MonthWeekDay(10, 5, 0), 3 * 3600));
        assert_eq!(parse_posix("UTC+3").unwrap().std_offset, -3 * 3600);
        assert_eq!(parse_posix("<+0530>-05:30").unwrap().std_offset, 19800);
        assert!(parse_posix("EST5EDT").unwrap().dst.is_some());
        for bad in [
            "",
            "U+3",
            "UTC",
            "CET-1CEST,M13.5.0,M10.5.0",
            "UTC+3x",
            "<>+1",
        ] {
            assert!(parse_posix(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn posix_rule_offsets() {
        let z = Zone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        // 2050-03-27 00:59:59 UTC is CET; 01:00:00 UTC is CEST.
        let t = (date2j(2050, 3, 27) - UNIX_EPOCH_JDATE) as i64 * 86_400 + 3600;
        assert_eq!(z.offset_at(t - 1), 3600);
        assert_eq!(z.offset_at(t), 7200);
        assert_eq!(z.next_transition(t - 10), Some((t, 3600, 7200)));
        // Southern hemisphere: DST across the new year.
        let z = Zone::from_posix("AEST-10AEDT,M10.1.0,M4.1.0/3").unwrap();
        let jan = (date2j(2050, 1, 15) - UNIX_EPOCH_JDATE) as i64 * 86_400;
        let jul = (date2j(2050, 7, 15) - UNIX_EPOCH_JDATE) as i64 * 86_400;
        assert_eq!(z.offset_at(jan), 11 * 3600);
        assert_eq!(z.offset_at(jul), 10 * 3600);
    }

    #[test]
    fn system_zones_load() {
        let paris = load("europe/paris").expect("tzdata installed");
        assert_eq!(paris.name(), "Europe/Paris");
        // 1900-01-01 00:00 UTC: Paris mean time, +00:09:21.
        let t1900 = (date2j(1900, 1, 1) - UNIX_EPOCH_JDATE) as i64 * 86_400;
        assert_eq!(paris.offset_at(t1900), 561);
        let t2024 = (date2j(2024, 7, 1) - UNIX_EPOCH_JDATE) as i64 * 86_400;
        assert_eq!(paris.offset_at(t2024), 7200);
        let t2100 = (date2j(2100, 7, 1) - UNIX_EPOCH_JDATE) as i64 * 86_400;
        assert_eq!(paris.offset_at(t2100), 7200);
        assert!(load("Nope/Nowhere").is_none());
        assert!(load("../etc/passwd").is_none());
        assert!(load("zone.tab").is_none());
        assert!(load("right/UTC").is_none());
    }

    #[test]
    fn corrupt_files_are_refused() {
        let good = std::fs::read("/usr/share/zoneinfo/Europe/Paris").unwrap();
        assert!(parse_tzif("x", &good).is_some());
        for cut in (0..good.len()).step_by(7) {
            // A truncated file must not panic; most cuts are refused.
            let _ = parse_tzif("x", &good[..cut]);
        }
        let mut bad = good.clone();
        bad[0] = b'X';
        assert!(parse_tzif("x", &bad).is_none());
        let mut x = 0x1234_5678u32;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let mut b = good.clone();
            let i = x as usize % b.len();
            b[i] ^= (x >> 8) as u8 | 1;
            let _ = parse_tzif("x", &b);
        }
    }
}
