//! Large relations in slices by key, so that an incremental export rewrites only the
//! slices whose rows changed.
//!
//! A next-day load changes a few hundred of the 171,000 invoice items, nearly all of them
//! among the newest keys; written as one file, the table (95 columns) was rewritten whole
//! every day, which took most of an incremental export. A relation of at least twice
//! [`SLICE_ROWS`] rows whose first key column is an integer is written as one file per
//! range of `width` keys: slice `s` holds the keys `s * width <= key < (s + 1) * width`,
//! and slice -1 the negative ones. The width is chosen once, from the key's range, so that
//! a slice holds up to about [`SLICE_ROWS`] rows, and kept from export to export (in the
//! manifest) so that a slice covers the same keys each time; new keys beyond the last
//! slice make new slices. `--full` chooses it again.

use crate::catalog::{ColumnType, Table};
use crate::warehouse::{self, Dialect, Session};

use super::ExportError;

/// The rows a slice aims at; a relation (or a history day) is sliced from twice that.
pub const SLICE_ROWS: u64 = 32_768;

/// A relation cut into ranges of `width` keys of its integer column `key`.
#[derive(Clone, Debug)]
pub(super) struct Slicing {
    key: String,
    pub(super) width: i64,
}

impl Slicing {
    /// The slice of a row, as SQL (keys are NOT NULL: a NULL would fall in slice -1).
    pub(super) fn slice_of(&self, d: Dialect) -> String {
        let key = d.ident(&self.key);
        let quotient = match d {
            Dialect::DuckDb => format!("{key} // {}", self.width),
            // Integer division; the negative keys never reach it.
            Dialect::Postgres | Dialect::Oracle => format!("{key} / {}", self.width),
        };
        format!("CASE WHEN {key} IS NULL OR {key} < 0 THEN -1 ELSE {quotient} END")
    }

    /// The rows of slice `s`, as a range of the key, which DuckDB skips row groups by.
    pub(super) fn rows_of(&self, d: Dialect, s: i64) -> String {
        let key = d.ident(&self.key);
        if s < 0 {
            format!("({key} IS NULL OR {key} < 0)")
        } else {
            format!("{key} >= {} AND {key} < {}", s * self.width, (s + 1) * self.width)
        }
    }

    /// The file name's suffix of slice `s`.
    pub(super) fn file_suffix(s: i64) -> String {
        format!("-s{s}")
    }
}

/// How `relation` (the `DW_` or `HIST_` table of `table`) is sliced, when at least
/// `2 * slice_rows` rows go in one of its files (`largest_file`): by the `previous` width
/// when there is one, else by a width chosen from the key's range.
pub(super) fn slicing(
    s: &mut dyn Session,
    d: Dialect,
    table: &Table,
    relation: &str,
    largest_file: u64,
    slice_rows: u64,
    previous: Option<i64>,
) -> Result<Option<Slicing>, ExportError> {
    let Some(key) = table.key_columns().next().filter(|c| c.ty == ColumnType::Int) else { return Ok(None) };
    if largest_file < 2 * slice_rows.max(1) {
        return Ok(None);
    }
    let key = key.name.clone();
    if let Some(width) = previous.filter(|&w| w > 0) {
        return Ok(Some(Slicing { key, width }));
    }
    let k = d.ident(&key);
    let range = s.query_rows(&format!("SELECT MIN({k}), MAX({k}) FROM {} WHERE {k} >= 0", d.ident(relation)))?;
    let bound = |c: usize| range.rows.first().and_then(|r| r.get(c).cloned().flatten()).and_then(|v| v.parse::<i64>().ok());
    let (Some(min), Some(max)) = (bound(0), bound(1)) else { return Ok(None) };
    Ok(Some(Slicing { key, width: width_for(min, max, largest_file, slice_rows) }))
}

/// The smallest power of two of keys per slice such that `rows` keys spread evenly over
/// `min..=max` give at least `slice_rows` rows per slice (and less than twice that).
fn width_for(min: i64, max: i64, rows: u64, slice_rows: u64) -> i64 {
    let span = (max.saturating_sub(min) as u128).saturating_add(1);
    let wanted = (span * u128::from(slice_rows.max(1))).div_ceil(u128::from(rows.max(1)));
    wanted.clamp(1, 1 << 62).next_power_of_two() as i64
}

/// `text` as a slice number (the first column of a slice query).
pub(super) fn parse_slice(rows: &warehouse::Rows, r: usize) -> Option<i64> {
    rows.rows.get(r).and_then(|row| row.first().cloned().flatten()).and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_width_gives_slices_of_about_the_rows_asked() {
        // 171,489 invoice items over keys 1,000,001..1,199,999: 4 slices of 65,536 keys.
        let w = width_for(1_000_001, 1_199_999, 171_489, SLICE_ROWS);
        assert_eq!(w, 65_536);
        assert_eq!(width_for(0, 0, 1, 10), 16);
        assert_eq!(width_for(0, i64::MAX, 1, 10), 1 << 62);
    }

    #[test]
    fn slice_ranges_and_the_slice_of_a_row_agree() {
        let slicing = Slicing { key: "ID".into(), width: 64 };
        assert_eq!(slicing.rows_of(Dialect::DuckDb, 2), "\"ID\" >= 128 AND \"ID\" < 192");
        assert_eq!(slicing.rows_of(Dialect::Postgres, -1), "(\"id\" IS NULL OR \"id\" < 0)");
        assert_eq!(slicing.slice_of(Dialect::DuckDb), "CASE WHEN \"ID\" IS NULL OR \"ID\" < 0 THEN -1 ELSE \"ID\" // 64 END");
    }
}
