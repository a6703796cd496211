//! Reconciliation of a published table with what its file held and what the ledger says,
//! cheap enough to run on every table of every run:
//! - rows read = staged + rejected + superseded duplicates (counted again from the
//!   staging table and `ETL_REJECTS`);
//! - the live `DW_` keys = the staged keys plus the held keys (anti-joins both ways);
//! - the ledger's inserted, updated, deleted and undeleted counts = a recount from the
//!   audit columns of the rows the run touched (`DW_RUN_ID`).

use std::time::Instant;

use chrono::NaiveDateTime;

use super::results::{CheckResult, MAX_FAILING_KEYS};
use super::rules::{CheckStatus, Severity};
use crate::catalog::Table;
use crate::warehouse::ledger::TableRecord;
use crate::warehouse::sql::{self, timestamp_literal, Dialect, DW_DELETED_AT, DW_LAST_INSERTED, DW_LAST_UPDATED, DW_RUN_ID};
use crate::warehouse::{quote, Result, Session};

/// The reason text `ETL_REJECTS` gives a superseded duplicate (see `staging::supersede_duplicates`).
const SUPERSEDED: &str = "duplicate natural key%";

const KIND: &str = "reconciliation";

/// One published table to reconcile: its catalog entry and its ledger row.
pub type Published<'a> = (&'a Table, &'a TableRecord);

/// The three reconciliations of each of `tables` (of one source), published by run
/// `run_id` (started at `started`). The counts are one statement for all the tables (a
/// statement costs milliseconds even on a tiny table), the anti-joins one per table;
/// failing keys are read only for the tables that fail.
pub fn reconcile_tables(s: &mut dyn Session, d: Dialect, run_id: i64, started: NaiveDateTime, tables: &[Published]) -> Result<Vec<CheckResult>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(tables.len() * 3);
    let clock = Instant::now();
    let rows = rows_read(s, d, run_id, tables)?;
    share_time(&mut out, rows, clock);
    let clock = Instant::now();
    let keys = live_keys(s, d, tables)?;
    share_time(&mut out, keys, clock);
    let clock = Instant::now();
    let ledger = ledger_counts(s, d, run_id, started, tables)?;
    share_time(&mut out, ledger, clock);
    Ok(out)
}

/// Gives each result of one statement its share of the statement's time.
fn share_time(out: &mut Vec<CheckResult>, mut results: Vec<CheckResult>, clock: Instant) {
    let each = clock.elapsed().as_secs_f64() / results.len().max(1) as f64;
    for r in &mut results {
        r.seconds += each;
    }
    out.extend(results);
}

/// `SELECT 'name' AS T, ...` parts joined by `UNION ALL`, read back per table name.
fn per_table(s: &mut dyn Session, parts: Vec<String>) -> Result<std::collections::HashMap<String, Vec<u64>>> {
    let rows = s.query_rows(&parts.join("\nUNION ALL\n"))?;
    Ok(rows
        .rows
        .into_iter()
        .filter_map(|r| {
            let name = r.first().cloned().flatten()?;
            let values = r[1..].iter().map(|v| v.as_deref().and_then(|t| t.parse::<f64>().ok()).map_or(0, |v| v as u64)).collect();
            Some((name, values))
        })
        .collect())
}

fn result(table: &Table, check: &str) -> CheckResult {
    CheckResult::new(table.system.name(), Some(&table.name), check, KIND, Severity::Error)
}

/// Rows read = staged + rejected + superseded.
fn rows_read(s: &mut dyn Session, d: Dialect, run_id: i64, tables: &[Published]) -> Result<Vec<CheckResult>> {
    let staged = per_table(
        s,
        tables.iter().map(|(t, _)| format!("SELECT {} AS T, COUNT(*) AS N FROM {}", quote(&t.name), d.ident(&t.staging_name()))).collect(),
    )?;
    let rejects = s.query_rows(&format!(
        "SELECT TABLE_NAME, COUNT(DISTINCT CASE WHEN REASON NOT LIKE '{SUPERSEDED}' THEN LINE_NUMBER END), \
                SUM(CASE WHEN REASON LIKE '{SUPERSEDED}' THEN 1 ELSE 0 END) \
           FROM ETL_REJECTS WHERE RUN_ID = {run_id} AND SOURCE = {} GROUP BY TABLE_NAME",
        quote(tables[0].0.system.name())
    ))?;
    let rejects: std::collections::HashMap<String, (u64, u64)> = rejects
        .rows
        .into_iter()
        .filter_map(|r| {
            let n = |i: usize| r.get(i).cloned().flatten().and_then(|v| v.parse::<f64>().ok()).map_or(0, |v| v as u64);
            Some((r.first().cloned().flatten()?, (n(1), n(2))))
        })
        .collect();
    Ok(tables
        .iter()
        .map(|(table, record)| {
            let staged = staged.get(&table.name).map_or(0, |v| v[0]);
            let (rejected, superseded) = rejects.get(&table.name).copied().unwrap_or((0, 0));
            let accounted = staged + rejected + superseded;
            let mut r = result(table, "rows_read");
            r.observed = Some(record.rows_read as f64 - accounted as f64);
            r.threshold = Some("= 0".into());
            r.failing_rows = record.rows_read.abs_diff(accounted) + record.rows_staged.abs_diff(staged);
            if r.failing_rows > 0 {
                r.status = CheckStatus::Fail;
            }
            r.message = Some(format!(
                "read {} = staged {staged} + rejected {rejected} + superseded {superseded} (ledger: staged {}, rejected {})",
                record.rows_read, record.rows_staged, record.rows_rejected
            ));
            r
        })
        .collect())
}

/// The tables of `tables` that have a held-keys table. Only a table with rejected rows
/// can have one, so only those are probed (the catalog views of DuckDB are not read: other
/// sources create and drop their staging tables meanwhile).
fn with_held_keys(s: &mut dyn Session, d: Dialect, tables: &[Published]) -> std::collections::HashSet<String> {
    tables
        .iter()
        .filter(|(_, record)| record.rows_rejected > 0)
        .filter(|(t, _)| s.query_i64(&format!("SELECT COUNT(*) FROM {}", d.ident(&sql::held_keys_name(t)))).is_ok())
        .map(|(t, _)| t.name.clone())
        .collect()
}

/// `CONCAT('ID=', ...)` of the key columns of `alias`.
fn key_text(d: Dialect, table: &Table, alias: &str) -> String {
    super::rule_sql::key_text(d, alias, &table.key_columns().collect::<Vec<_>>())
}

/// The two anti-joins of a table: staged keys not live in `DW_`, and live `DW_` keys
/// neither staged nor held; as `FROM ... WHERE ...` clauses.
fn anti_joins(d: Dialect, table: &Table, held: bool) -> (String, String) {
    let (dw, stg) = (d.ident(&table.dw_name()), d.ident(&table.staging_name()));
    let live = format!("{} IS NULL", d.qualified("w", DW_DELETED_AT));
    let held = if held {
        format!(" AND NOT EXISTS (SELECT 1 FROM {} h WHERE {})", d.ident(&sql::held_keys_name(table)), sql::key_match(d, table, "h", "w"))
    } else {
        String::new()
    };
    (
        format!("{stg} s WHERE NOT EXISTS (SELECT 1 FROM {dw} w WHERE {live} AND {})", sql::key_match(d, table, "w", "s")),
        format!("{dw} w WHERE {live} AND NOT EXISTS (SELECT 1 FROM {stg} s WHERE {}){held}", sql::key_match(d, table, "s", "w")),
    )
}

/// Rows (staged and live) whose keys one statement may join: small tables share a
/// statement (a statement costs milliseconds however small its tables), large ones go
/// alone (one statement holds all its hash tables at once, beside a publish).
const ROWS_PER_STATEMENT: u64 = 200_000;

/// The tables in groups of at most [`ROWS_PER_STATEMENT`] rows (a larger table alone).
fn statement_groups<'t, 'a>(tables: &'t [Published<'a>]) -> Vec<Vec<&'t Published<'a>>> {
    let mut groups: Vec<Vec<&Published>> = Vec::new();
    let mut rows = 0;
    for published in tables {
        // The live rows are about as many as the staged ones.
        let weight = 2 * published.1.rows_staged;
        match groups.last_mut() {
            Some(group) if rows + weight <= ROWS_PER_STATEMENT => {
                group.push(published);
                rows += weight;
            }
            _ => {
                groups.push(vec![published]);
                rows = weight;
            }
        }
    }
    groups
}

/// The two anti-join counts of a table as one `SELECT name, not live, not staged`. A
/// full join finds both in one pass; a table with held keys takes the anti-joins, since
/// a live key neither staged nor held needs the held keys too.
fn key_counts(d: Dialect, table: &Table, held: bool) -> String {
    if held {
        let (not_live, not_staged) = anti_joins(d, table, true);
        return format!("SELECT {} AS T, (SELECT COUNT(*) FROM {not_live}) AS A, (SELECT COUNT(*) FROM {not_staged}) AS B", quote(&table.name));
    }
    let keys = sql::ident_list(d, table.key_columns().map(|c| c.name.as_str()));
    let present = |alias| format!("SUM(CASE WHEN {} IS NULL THEN 1 ELSE 0 END)", d.qualified(alias, "ETL_PRESENT"));
    format!(
        "SELECT {} AS T, {} AS A, {} AS B FROM (SELECT {keys}, 1 AS ETL_PRESENT FROM {}) s \
         FULL JOIN (SELECT {keys}, 1 AS ETL_PRESENT FROM {} WHERE {} IS NULL) w ON {}",
        quote(&table.name),
        present("w"),
        present("s"),
        d.ident(&table.staging_name()),
        d.ident(&table.dw_name()),
        d.ident(DW_DELETED_AT),
        sql::key_match(d, table, "w", "s")
    )
}

/// Live `DW_` keys = staged keys + held keys, by anti-join in both directions.
fn live_keys(s: &mut dyn Session, d: Dialect, tables: &[Published]) -> Result<Vec<CheckResult>> {
    let held = with_held_keys(s, d, tables);
    let mut counts = std::collections::HashMap::new();
    for group in statement_groups(tables) {
        counts.extend(per_table(s, group.iter().map(|(t, _)| key_counts(d, t, held.contains(&t.name))).collect())?);
    }
    let mut out = Vec::with_capacity(tables.len());
    for (table, _) in tables {
        let (missing, extra) = counts.get(&table.name).map_or((0, 0), |v| (v[0], v[1]));
        let mut r = result(table, "live_keys");
        r.observed = Some((missing + extra) as f64);
        r.threshold = Some("= 0".into());
        r.failing_rows = missing + extra;
        if r.failing_rows > 0 {
            r.status = CheckStatus::Fail;
            let (not_live, not_staged) = anti_joins(d, table, held.contains(&table.name));
            let mut keys = Vec::new();
            for (what, alias, from) in [("staged, not live", "s", &not_live), ("live, not staged or held", "w", &not_staged)] {
                let sql = format!("SELECT {} AS K FROM {from} ORDER BY 1", key_text(d, table, alias));
                let rows = s.query_rows_at_most(&sql, Some(MAX_FAILING_KEYS))?;
                keys.extend(rows.rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).map(|k| format!("{k} ({what})")));
            }
            r.failing_keys = keys.into_iter().take(MAX_FAILING_KEYS).collect();
        }
        r.message = Some(format!("{missing} staged key(s) not live in {}, {extra} live key(s) neither staged nor held", table.dw_name()));
        out.push(r);
    }
    Ok(out)
}

/// The ledger's merge counts against a recount of the rows run `run_id` touched: rows it
/// inserted carry its publish time as `DW_LAST_INSERTED`, rows it updated as
/// `DW_LAST_UPDATED` only, rows it deleted a delete mark, rows it undeleted unchanged
/// neither (both timestamps older than the run). An undeleted row that had changed is
/// also an updated row, so the undeletes lie between the unchanged undeletes and those
/// plus the updates.
fn ledger_counts(s: &mut dyn Session, d: Dialect, run_id: i64, started: NaiveDateTime, tables: &[Published]) -> Result<Vec<CheckResult>> {
    let at = timestamp_literal(d, started);
    let (ins, upd, del) = (d.ident(DW_LAST_INSERTED), d.ident(DW_LAST_UPDATED), d.ident(DW_DELETED_AT));
    let when = |cond: String| format!("SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)");
    let parts = tables
        .iter()
        .map(|(t, _)| {
            format!(
                "SELECT {} AS T, {}, {}, {}, {} FROM {} WHERE {} = {run_id}",
                quote(&t.name),
                when(format!("{ins} >= {at}")),
                when(format!("{del} IS NULL AND {ins} < {at} AND {upd} >= {at}")),
                when(format!("{del} IS NOT NULL")),
                when(format!("{del} IS NULL AND {upd} < {at}")),
                d.ident(&t.dw_name()),
                d.ident(DW_RUN_ID),
            )
        })
        .collect();
    let counts = per_table(s, parts)?;
    Ok(tables
        .iter()
        .map(|(table, record)| {
            let v = counts.get(&table.name).cloned().unwrap_or_else(|| vec![0; 4]);
            let (inserted, updated, deleted, undeleted_unchanged) = (v[0], v[1], v[2], v[3]);
            let mut off = record.rows_inserted.abs_diff(inserted) + record.rows_updated.abs_diff(updated) + record.rows_deleted.abs_diff(deleted);
            if record.rows_undeleted < undeleted_unchanged {
                off += undeleted_unchanged - record.rows_undeleted;
            } else if record.rows_undeleted > undeleted_unchanged + updated {
                off += record.rows_undeleted - undeleted_unchanged - updated;
            }
            let mut r = result(table, "ledger_counts");
            r.observed = Some(off as f64);
            r.threshold = Some("= 0".into());
            r.failing_rows = off;
            if off > 0 {
                r.status = CheckStatus::Fail;
            }
            r.message = Some(format!(
                "ledger inserted {} updated {} deleted {} undeleted {}; recount inserted {inserted} updated {updated} deleted {deleted} \
                 undeleted unchanged {undeleted_unchanged}",
                record.rows_inserted, record.rows_updated, record.rows_deleted, record.rows_undeleted
            ));
            r
        })
        .collect())
}
