//! `marina-etl query --as-of TIME`: a query over the tables as they were at a time, read
//! from their history tables.
//!
//! The query is not parsed; it is wrapped. Every `DW_` table of the catalog it names, and
//! every view it names (with the tables and views those read), becomes a common table
//! expression of the same name in front of it: a table's is its versions valid at that
//! time ([`history::as_of_select`]), a view's is its own SELECT, which then reads those
//! expressions instead of the current tables. A CTE's name hides the table's in both
//! engines, so the query's text runs unchanged. A table that keeps no history cannot be
//! shown as it was, and the query is refused with its name.

use chrono::{NaiveDate, NaiveDateTime};

use crate::catalog::Catalog;
use crate::views;
use crate::warehouse::history;
use crate::warehouse::sql::{timestamp_literal, Dialect};

/// Why a query cannot be answered as of a time.
#[derive(Debug, thiserror::Error)]
pub enum AsOfError {
    #[error("--as-of '{0}' is not a time: write it as 2026-11-01T06:00 (UTC), with seconds if needed, or a date")]
    BadTime(String),
    #[error(
        "{} keep(s) no history, so the query cannot be answered as of a time (tables with history: \
         those of catalog/history.tsv, e.g. DW_MOLO_RESERVATIONS)",
        .0.join(", ")
    )]
    NoHistory(Vec<String>),
    #[error("the query names no warehouse table or view; --as-of reads the DW_ tables that keep history and the views over them")]
    NothingToShow,
}

/// Reads an `--as-of` time: `YYYY-MM-DD[THH:MM[:SS[.ffffff]]]` (a space also separates the
/// date and the time), in UTC like the warehouse's publish times; a date alone is its
/// midnight.
pub fn parse_time(text: &str) -> Result<NaiveDateTime, AsOfError> {
    let t = text.trim();
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(t, format) {
            return Ok(at);
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| AsOfError::BadTime(text.to_string()))
}

/// `sql` rewritten to read the tables it names as they were at `at`.
pub fn rewrite(d: Dialect, sql: &str, at: NaiveDateTime) -> Result<String, AsOfError> {
    let all_views = views::views(d);
    let mut reads = views::reads(sql, &all_views);
    if reads.tables.is_empty() && reads.views.is_empty() {
        return Err(AsOfError::NothingToShow);
    }
    let mut without: Vec<String> = reads.tables.iter().filter(|t| !t.history).map(|t| t.dw_name()).collect();
    if !without.is_empty() {
        without.sort();
        return Err(AsOfError::NoHistory(without));
    }
    let at = timestamp_literal(d, at);
    // Tables first, then views in creation order, which puts every view after those it reads.
    let mut tables = reads.tables;
    tables.sort_by_key(|t| Catalog::get().tables().iter().position(|c| std::ptr::eq(c, *t)));
    reads.views.sort_unstable();
    let ctes: Vec<String> = tables
        .iter()
        .map(|t| format!("{} AS ({})", t.dw_name(), history::as_of_select(d, t, &at)))
        .chain(reads.views.iter().map(|&i| format!("{} AS (\n{}\n)", all_views[i].name, all_views[i].select.trim())))
        .collect();
    // The query's own WITH continues ours.
    Ok(views::with_ctes(&ctes.join(",\n"), sql))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_with_or_without_seconds_and_as_a_date() {
        let at = |s| parse_time(s).unwrap().to_string();
        assert_eq!(at("2026-11-01T06:00"), "2026-11-01 06:00:00");
        assert_eq!(at("2026-11-01 06:00:05.25"), "2026-11-01 06:00:05.250");
        assert_eq!(at("2026-11-01"), "2026-11-01 00:00:00");
        assert!(matches!(parse_time("yesterday"), Err(AsOfError::BadTime(_))));
    }

    #[test]
    fn the_query_reads_ctes_named_like_its_tables_and_a_table_without_history_is_refused() {
        let at = parse_time("2026-11-01T06:00").unwrap();
        let sql = rewrite(Dialect::DuckDb, "select count(*) from dw_molo_slips", at).unwrap();
        assert!(sql.starts_with("WITH DW_MOLO_SLIPS AS (SELECT h.\"ID\""), "{sql}");
        assert!(sql.contains("FROM \"HIST_MOLO_SLIPS\" h WHERE h.\"VALID_FROM\" <= TIMESTAMP '2026-11-01 06:00:00.000000'"), "{sql}");
        assert!(sql.ends_with("\nselect count(*) from dw_molo_slips"), "{sql}");
        let with = rewrite(Dialect::Postgres, "WITH x AS (SELECT * FROM DW_MOLO_SLIPS) SELECT * FROM x", at).unwrap();
        assert!(with.starts_with("WITH DW_MOLO_SLIPS AS (") && with.ends_with(",\nx AS (SELECT * FROM DW_MOLO_SLIPS) SELECT * FROM x"), "{with}");
        let refused = rewrite(Dialect::DuckDb, "SELECT * FROM DW_MOLO_SLIPS JOIN DW_MOLO_PIERS USING (ID)", at).unwrap_err();
        assert!(matches!(&refused, AsOfError::NoHistory(t) if t == &["DW_MOLO_PIERS"]), "{refused}");
        assert!(matches!(rewrite(Dialect::DuckDb, "SELECT 1", at), Err(AsOfError::NothingToShow)));
    }
}
