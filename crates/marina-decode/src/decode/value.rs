//! Conversion of one CSV field to its column's type.
//!
//! Each function takes the field text (never empty: an empty field is NULL before it
//! gets here) and returns the typed value or the reason it is rejected. Nothing is
//! rounded, truncated or guessed: a value that does not fit is a reject.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01, for Arrow's Date32.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

pub fn parse_int(s: &str) -> Result<i64, String> {
    s.trim().parse::<i64>().map_err(|_| "not an integer".to_string())
}

pub fn parse_float(s: &str) -> Result<f64, String> {
    let t = s.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err("not a number".to_string()),
    }
}

/// A decimal as its unscaled integer at the column's scale (Arrow's Decimal128 value).
pub fn parse_decimal(s: &str, precision: u8, scale: u8) -> Result<i128, String> {
    let t = s.trim();
    if let Some(v) = plain_decimal(t, scale) {
        return if v.abs() < 10i128.pow(u32::from(precision)) {
            Ok(v)
        } else {
            Err(format!("does not fit decimal({precision},{scale})"))
        };
    }
    let plain = t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'));
    let mut d = match Decimal::from_str(t) {
        Ok(d) if plain => d,
        _ => return Err("not a decimal number".to_string()),
    };
    d = d.normalize();
    if d.scale() > u32::from(scale) {
        return Err(format!("has more than {scale} decimal places for decimal({precision},{scale})"));
    }
    d.rescale(u32::from(scale));
    let unscaled = d.mantissa();
    let limit = 10i128.pow(u32::from(precision));
    if unscaled.abs() >= limit {
        return Err(format!("does not fit decimal({precision},{scale})"));
    }
    Ok(unscaled)
}

/// The common spelling `-?digits[.digits]` with at most `scale` significant decimals,
/// read without the general parser; anything else returns None and takes the slow path.
fn plain_decimal(t: &str, scale: u8) -> Option<i128> {
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac = frac.trim_end_matches('0');
    // Up to 38 digits at the column's scale fit an i128 without overflow; longer
    // spellings (leading zeros) take the slow path.
    if int.is_empty() || int.len() + usize::from(scale) > 38 || frac.len() > usize::from(scale) {
        return None;
    }
    let mut v: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i128::from(b - b'0');
    }
    if digits.contains('.') && !digits.split_once('.')?.1.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v *= 10i128.pow(u32::from(scale) - frac.len() as u32);
    Some(if negative { -v } else { v })
}

pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Ok(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Ok(false),
        _ => Err("not a boolean (expected 1/0, true/false, t/f, yes/no, y/n, on/off)".to_string()),
    }
}

const DATE_FORMATS: &str =
    "expected YYYY-MM-DD or MM/DD/YYYY from year 0001, optionally with HH:MM[:SS[.ffffff]] \
     (at most microseconds), AM/PM, 'T' and an offset within ±14:00";

/// A date; a timestamp keeps its calendar date as written (MOLO writes dates as
/// timestamps, often at the UTC instant of a US local midnight).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    parse_date_time(s).map(|(d, _, _)| d).ok_or_else(|| format!("not a date ({DATE_FORMATS})"))
}

/// A timestamp without time zone. A value with an offset is converted to UTC; a value
/// without one is kept as written (the source system's own time zone).
pub fn parse_timestamp(s: &str) -> Result<NaiveDateTime, String> {
    let (date, time, offset) =
        parse_date_time(s).ok_or_else(|| format!("not a timestamp ({DATE_FORMATS})"))?;
    let local = date.and_time(time.unwrap_or(NaiveTime::MIN));
    let utc = match offset {
        Some(seconds) => local - chrono::Duration::seconds(i64::from(seconds)),
        None => local,
    };
    if utc.year() < 1 {
        return Err(format!("before year 0001 once converted to UTC ({DATE_FORMATS})"));
    }
    Ok(utc)
}

pub fn date_to_days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

pub fn timestamp_to_micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// Text within the column's maximum length, without NUL (which PostgreSQL cannot store in
/// text: refused on every backend alike).
///
/// The length is counted as Oracle's `NVARCHAR2(n)` counts it, the strictest of the three
/// warehouses: in UTF-16 code units, so a character outside the Basic Multilingual Plane (an
/// emoji) counts twice. A value that fits there fits PostgreSQL's `VARCHAR(n)` (which counts
/// characters) too, so every backend holds the same rows. A longer value is a reject, never
/// cut.
pub fn check_text(s: &str, max_chars: Option<u32>) -> Result<(), String> {
    if memchr::memchr(0, s.as_bytes()).is_some() {
        return Err("text contains a NUL byte".to_string());
    }
    let Some(max) = max_chars else { return Ok(()) };
    // A UTF-8 text never has more UTF-16 code units than bytes: most values stop here.
    if s.len() <= max as usize {
        return Ok(());
    }
    let units = s.encode_utf16().count();
    if units <= max as usize {
        return Ok(());
    }
    let chars = s.chars().count();
    Err(if units == chars {
        format!("longer than {max} characters ({units})")
    } else {
        format!(
            "longer than {max} characters ({units}: {chars} characters, of which {} outside the Basic Multilingual Plane count twice, as in Oracle's NVARCHAR2)",
            units - chars
        )
    })
}

/// Parses `date[ |T]time[ AM|PM][Z|±HH[:MM]]`, returning the date, the time if given
/// and the offset in seconds if given. Strict: every character must be consumed.
fn parse_date_time(s: &str) -> Option<(NaiveDate, Option<NaiveTime>, Option<i32>)> {
    let mut c = Cursor { b: s.trim().as_bytes(), i: 0 };
    let first = c.number(1, 4)?;
    let date = if c.eat(b'-') {
        if first.1 != 4 {
            return None;
        }
        let m = c.number(1, 2)?.0;
        c.expect(b'-')?;
        let d = c.number(1, 2)?.0;
        NaiveDate::from_ymd_opt(first.0 as i32, m, d).filter(|d| d.year() >= 1)?
    } else if c.eat(b'/') {
        let d = c.number(1, 2)?.0;
        c.expect(b'/')?;
        let y = c.number(4, 4)?.0;
        NaiveDate::from_ymd_opt(y as i32, first.0, d).filter(|d| d.year() >= 1)?
    } else {
        return None;
    };
    if c.done() {
        return Some((date, None, None));
    }
    if !(c.eat(b'T') || c.eat(b' ')) {
        return None;
    }
    while c.eat(b' ') {}
    let mut h = c.number(1, 2)?.0;
    c.expect(b':')?;
    let mi = c.number(2, 2)?.0;
    let (mut sec, mut nano) = (0, 0);
    if c.eat(b':') {
        sec = c.number(2, 2)?.0;
        if c.eat(b'.') {
            nano = fraction_micros(&mut c)? * 1000;
        }
    }
    while c.eat(b' ') {}
    let rest = std::str::from_utf8(&c.b[c.i..]).ok()?;
    let (ampm, rest) = match rest.get(..2).map(|p| p.to_ascii_uppercase()) {
        Some(p) if p == "AM" || p == "PM" => (Some(p), &rest[2..]),
        _ => (None, rest),
    };
    if let Some(p) = ampm {
        if !(1..=12).contains(&h) {
            return None;
        }
        h = match (p.as_str(), h) {
            ("AM", 12) => 0,
            ("PM", 12) => 12,
            ("PM", h) => h + 12,
            (_, h) => h,
        };
    }
    let time = NaiveTime::from_hms_nano_opt(h, mi, sec, nano)?;
    let offset = match rest.trim() {
        "" => None,
        "Z" | "z" => Some(0),
        o => Some(parse_offset(o)?),
    };
    Some((date, Some(time), offset))
}

fn parse_offset(o: &str) -> Option<i32> {
    let sign = match o.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = o[1..].chars().filter(|&ch| ch != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = if digits.len() == 4 { digits[2..].parse().ok()? } else { 0 };
    let seconds = h * 3600 + m * 60;
    (m <= 59 && seconds <= MAX_OFFSET_SECONDS).then_some(sign * seconds)
}

/// The widest offset any time zone uses (UTC+14:00, Kiribati; the westmost is UTC-12:00):
/// a value further out is a typo, not a time.
const MAX_OFFSET_SECONDS: i32 = 14 * 3600;

/// Fractional seconds (up to nine digits) as microseconds, which every backend stores.
/// Digits past the sixth must be zeros: nothing is rounded or cut.
fn fraction_micros(c: &mut Cursor) -> Option<u32> {
    let start = c.i;
    let (frac, digits) = c.number(1, 9)?;
    if digits > 6 && c.b[start + 6..c.i].iter().any(|&b| b != b'0') {
        return None;
    }
    Some(if digits > 6 { frac / 10u32.pow(digits as u32 - 6) } else { frac * 10u32.pow(6 - digits as u32) })
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
    fn eat(&mut self, ch: u8) -> bool {
        if self.b.get(self.i) == Some(&ch) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, ch: u8) -> Option<()> {
        self.eat(ch).then_some(())
    }
    /// Between `min` and `max` ASCII digits: the value and how many digits were read.
    fn number(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i < self.b.len() && self.i - start < max && self.b[self.i].is_ascii_digit() {
            v = v * 10 + u32::from(self.b[self.i] - b'0');
            self.i += 1;
        }
        let n = self.i - start;
        (n >= min && !(self.i < self.b.len() && self.b[self.i].is_ascii_digit())).then_some((v, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> String {
        parse_timestamp(s).unwrap().format("%Y-%m-%d %H:%M:%S%.f").to_string()
    }

    #[test]
    fn timestamps_in_every_contract_spelling() {
        assert_eq!(ts("02/28/2025 06:00:00"), "2025-02-28 06:00:00");
        assert_eq!(ts("2/8/2025 6:00:00"), "2025-02-08 06:00:00");
        assert_eq!(ts("2025-07-11 20:17:43"), "2025-07-11 20:17:43");
        assert_eq!(ts("2025-07-11 20:17"), "2025-07-11 20:17:00");
        assert_eq!(ts("2025-07-11T20:17:43.250"), "2025-07-11 20:17:43.250");
        assert_eq!(ts("2025-07-11T20:17:43Z"), "2025-07-11 20:17:43");
        assert_eq!(ts("2025-07-11T20:17:43+02:00"), "2025-07-11 18:17:43");
        assert_eq!(ts("2025-07-11T20:17:43-0500"), "2025-07-12 01:17:43");
        assert_eq!(ts("07/11/2025 08:17:43 PM"), "2025-07-11 20:17:43");
        assert_eq!(ts("07/11/2025 12:05 AM"), "2025-07-11 00:05:00");
        assert_eq!(ts("2025-07-11"), "2025-07-11 00:00:00");
    }

    #[test]
    fn bad_timestamps_are_rejected() {
        for bad in ["2025-13-01", "02/30/2025", "2025-07-11 25:00", "yesterday", "2025-07-11 20:17:43 junk", "20250711", "2025-7-11x"] {
            assert!(parse_timestamp(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn what_a_backend_cannot_hold_exactly_is_rejected_not_cut() {
        for bad in [
            "2025-07-11 20:17:43.123456789",
            "2025-07-11 20:17:43.9999999",
            "0000-01-01",
            "01/01/0000 00:00:00",
            "0001-01-01 00:30:00+01:00",
            "2025-07-11 20:17:43+14:01",
            "2025-07-11 20:17:43-23:59",
            "2025-07-11 20:17:43+2400",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad} should be rejected");
        }
        assert!(parse_date("0000-02-29").is_err());
        assert_eq!(ts("2025-07-11 20:17:43.123456000"), "2025-07-11 20:17:43.123456");
        assert_eq!(ts("2025-07-11 20:17:43.5"), "2025-07-11 20:17:43.500");
        assert_eq!(ts("2025-07-11 10:00:00+14:00"), "2025-07-10 20:00:00");
        assert_eq!(ts("2025-07-11 10:00:00-12:00"), "2025-07-11 22:00:00");
        assert_eq!(ts("0001-01-01 00:00:00"), "0001-01-01 00:00:00");
    }

    #[test]
    fn dates_keep_the_calendar_date_of_a_timestamp() {
        let d = |s| parse_date(s).unwrap().to_string();
        assert_eq!(d("05/04/2025 00:00:00"), "2025-05-04");
        assert_eq!(d("05/04/2025 05:00:00"), "2025-05-04");
        assert_eq!(d("2025-05-04"), "2025-05-04");
        assert_eq!(d("2025-05-04T23:30:00-05:00"), "2025-05-04");
        assert!(parse_date("0000-00-00").is_err());
    }

    #[test]
    fn decimals_never_round() {
        assert_eq!(parse_decimal("12.5", 10, 2), Ok(1250));
        assert_eq!(parse_decimal("-0.01", 10, 2), Ok(-1));
        assert_eq!(parse_decimal("12.500", 10, 2), Ok(1250));
        assert_eq!(parse_decimal("99999999.99", 10, 2), Ok(9_999_999_999));
        assert!(parse_decimal("1.005", 10, 2).unwrap_err().contains("decimal places"));
        assert!(parse_decimal("100000000", 10, 2).unwrap_err().contains("does not fit"));
        assert!(parse_decimal("1,5", 10, 2).is_err());
        assert!(parse_decimal("1e3", 10, 2).is_err());
        assert!(parse_decimal("$3", 10, 2).is_err());
    }

    #[test]
    fn booleans_in_every_spelling() {
        for t in ["1", "true", "TRUE", "t", "T", "yes", "Yes", "y", "On"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "false", "F", "no", "No", "n", "Off"] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        assert!(parse_bool("2").is_err());
        assert!(parse_bool("maybe").is_err());
    }

    #[test]
    fn integers_floats_and_text() {
        assert_eq!(parse_int(" 42 "), Ok(42));
        assert!(parse_int("4.2").is_err());
        assert!(parse_int("99999999999999999999").is_err());
        assert_eq!(parse_float("1.5e3"), Ok(1500.0));
        assert!(parse_float("NaN").is_err());
        assert!(check_text("héllo", Some(5)).is_ok());
        assert!(check_text("héllo!", Some(5)).is_err());
        // Characters, not bytes: five 3-byte characters fit five.
        assert!(check_text("€€€€€", Some(5)).is_ok());
        assert_eq!(check_text("€€€€€€", Some(5)), Err("longer than 5 characters (6)".to_string()));
        // A character outside the BMP counts twice, as NVARCHAR2 counts it.
        assert!(check_text("ab🚤", Some(4)).is_ok());
        let emoji = check_text("abc🚤", Some(4)).unwrap_err();
        assert!(emoji.starts_with("longer than 4 characters (5: 4 characters, of which 1 outside"), "{emoji}");
        assert_eq!(check_text("a\0b", None), Err("text contains a NUL byte".to_string()));
    }
}
