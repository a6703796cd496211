//! PostgreSQL's values and column names as the text a query shows, written as the DuckDB
//! backend writes them, so that `query`, `status` and the tests read the same on both.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use tokio_postgres::types::{FromSql, Type};

/// Column names as the catalog and the views write them (upper case), as DuckDB shows
/// them: PostgreSQL folds unquoted names to lower case.
pub(super) fn column_names(stmt: &tokio_postgres::Statement) -> Vec<String> {
    stmt.columns()
        .iter()
        .map(|c| if c.name().chars().any(|ch| ch.is_ascii_uppercase()) { c.name().to_string() } else { c.name().to_ascii_uppercase() })
        .collect()
}

/// A row's values as text (NULL as `None`).
pub(super) fn row_values(row: &tokio_postgres::Row) -> std::result::Result<Vec<Option<String>>, tokio_postgres::Error> {
    (0..row.len()).map(|i| row.try_get::<_, Cell>(i).map(|cell| cell.0)).collect()
}

/// A value of any column as text, as Arrow's display writes it on DuckDB.
struct Cell(Option<String>);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let text = match *ty {
            Type::BOOL => bool::from_sql(ty, raw)?.to_string(),
            Type::INT2 => i16::from_sql(ty, raw)?.to_string(),
            Type::INT4 => i32::from_sql(ty, raw)?.to_string(),
            Type::INT8 => i64::from_sql(ty, raw)?.to_string(),
            Type::OID => u32::from_sql(ty, raw)?.to_string(),
            Type::FLOAT4 => format!("{:?}", f32::from_sql(ty, raw)?),
            Type::FLOAT8 => format!("{:?}", f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric_text(raw).ok_or("malformed NUMERIC value")?,
            Type::DATE => NaiveDate::from_sql(ty, raw)?.to_string(),
            Type::TIMESTAMP => NaiveDateTime::from_sql(ty, raw)?.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            Type::TIMESTAMPTZ => {
                DateTime::<chrono::Utc>::from_sql(ty, raw)?.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
            }
            _ => String::from_sql(ty, raw).map_err(|_| format!("columns of type {ty} cannot be shown"))?,
        };
        Ok(Cell(Some(text)))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Cell(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// The text of a NUMERIC in PostgreSQL's binary format (base-10000 digits), with all of its
/// display scale: exact at any precision, which `rust_decimal` (28 digits) is not.
pub(super) fn numeric_text(raw: &[u8]) -> Option<String> {
    let word = |i: usize| raw.get(2 * i..2 * i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let ndigits = word(0)? as usize;
    let weight = word(1)? as i16 as i64;
    let sign = word(2)?;
    let dscale = word(3)? as usize;
    match sign {
        0xC000 => return Some("NaN".into()),
        0xD000 => return Some("Infinity".into()),
        0xF000 => return Some("-Infinity".into()),
        _ => {}
    }
    let digits: Vec<u16> = (0..ndigits).map(|i| word(4 + i)).collect::<Option<_>>()?;
    // The base-10000 digit at position p (p = 0 is units, p = -1 the first four decimals).
    let digit = |p: i64| -> u16 {
        let i = weight - p;
        if i < 0 { 0 } else { digits.get(i as usize).copied().unwrap_or(0) }
    };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        out.push_str(&digit(weight).to_string());
        for p in (0..weight).rev() {
            out.push_str(&format!("{:04}", digit(p)));
        }
    }
    if dscale > 0 {
        let mut frac = String::new();
        let mut p = -1;
        while frac.len() < dscale {
            frac.push_str(&format!("{:04}", digit(p)));
            p -= 1;
        }
        frac.truncate(dscale);
        out.push('.');
        out.push_str(&frac);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut v = Vec::new();
        for w in [digits.len() as u16, weight as u16, sign, dscale].iter().chain(digits) {
            v.extend_from_slice(&w.to_be_bytes());
        }
        v
    }

    #[test]
    fn numeric_text_keeps_the_display_scale() {
        assert_eq!(numeric_text(&numeric(0, 0, 2, &[12, 5000])).unwrap(), "12.50");
        assert_eq!(numeric_text(&numeric(-1, 0x4000, 6, &[825])).unwrap(), "-0.082500");
        assert_eq!(numeric_text(&numeric(1, 0, 0, &[1, 0])).unwrap(), "10000");
        assert_eq!(numeric_text(&numeric(-2, 0, 8, &[5])).unwrap(), "0.00000005");
        assert_eq!(numeric_text(&numeric(0, 0, 0, &[])).unwrap(), "0");
    }
}
