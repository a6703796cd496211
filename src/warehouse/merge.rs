//! The merge engine: publishes a staged table into its `DW_` table by natural key, with
//! audit timestamps, soft deletes and undeletes, touching only rows that changed.
//! The caller runs every table of a snapshot inside one transaction.

use chrono::NaiveDateTime;

use super::history::history_statements;
use super::sql::{duplicate_live_keys, merge_statements, Dialect, MergeParams};
use super::{Result, Session, WarehouseError};
use crate::catalog::Table;

/// What a merge did to one table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub undeleted: u64,
}

/// What the merge of one table works from: its staging table, and its `DW_` table as it
/// stands before the merge, read before the publish transaction opens. The run lock keeps
/// other runs out and each source merges only its own tables, so the counts still hold
/// inside the transaction. They feed the mass-delete guard and tell which merge steps can
/// change anything: a first load only inserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MergePlan {
    /// Rows in the staging table.
    pub staged: u64,
    /// Whether the staging table has a held-keys table beside it (the keys of rejected
    /// rows, never soft-deleted).
    pub held_keys: bool,
    /// `DW_` rows, soft-deleted ones included.
    pub rows: u64,
    /// Rows not soft-deleted.
    pub live: u64,
    /// Live rows whose key is neither staged nor held: the soft deletes of the merge.
    pub would_delete: u64,
    /// In how many parts by key the update of changed rows runs (see `update_parts`).
    pub update_parts: u64,
}

impl MergePlan {
    /// Whether the deletes exceed the guard's share of live rows.
    pub fn exceeds(&self, ratio: f64) -> bool {
        self.live > 0 && self.would_delete as f64 > ratio * self.live as f64
    }
}

/// Reads what a merge of the `staged` rows of `table` will meet.
pub fn plan_merge(s: &mut dyn Session, d: Dialect, table: &Table, staged: u64, held_keys: bool) -> Result<MergePlan> {
    let stmts = merge_statements(d, table, 0, NaiveDateTime::default(), held_keys);
    let counts = s.query_rows(&stmts.count_rows)?;
    let count = |i: usize| -> Result<u64> {
        let text = counts.rows.first().and_then(|r| r.get(i).cloned().flatten());
        text.as_deref().and_then(|t| t.parse().ok()).ok_or_else(|| WarehouseError::Sql {
            context: stmts.count_rows.clone(),
            reason: format!("expected two counts, got {:?}", counts.rows),
        })
    };
    let (rows, deleted) = (count(0)?, count(1)?);
    let live = rows.saturating_sub(deleted);
    let would_delete = if live == 0 { 0 } else { s.query_i64(&stmts.count_deletes.sql())? as u64 };
    Ok(MergePlan { staged, held_keys, rows, live, would_delete, update_parts: update_parts(d, table, staged) })
}

/// DuckDB: the rows of `left` and `right` (joined on the key) whose key hashes to `part`
/// of `parts`; see [`update_parts`]. NULL hashes like any value, so every key is in one
/// part.
fn key_part(table: &Table, left: &str, right: &str, part: u64, parts: u64) -> String {
    let hash = |alias: &str| {
        let keys: Vec<String> = table.key_columns().map(|c| Dialect::DuckDb.qualified(alias, &c.name)).collect();
        format!("hash({}) % {parts} = {part}", keys.join(", "))
    };
    format!("{} AND {}", hash(left), hash(right))
}

/// Staged values (rows times value columns) that one part of a merge's update compares.
const VALUES_PER_UPDATE_PART: u64 = 8_000_000;

/// In how many parts by key the update of `staged` rows of `table` runs. Its join holds
/// every value of the staged rows, which for a wide table exceeds DuckDB's memory limit of
/// a load and spills to disk: the 171,000 invoice items of 95 value columns took 2.9-4.1 s
/// in one statement at 200MB and 1.4-1.7 s in two or four. PostgreSQL plans by its own
/// `work_mem`, and Oracle's MERGE is a script: one part.
fn update_parts(dialect: Dialect, table: &Table, staged: u64) -> u64 {
    match dialect {
        Dialect::DuckDb => (staged * table.value_columns().count() as u64).div_ceil(VALUES_PER_UPDATE_PART).max(1),
        Dialect::Postgres | Dialect::Oracle => 1,
    }
}

/// Merges the staged rows of `table`, and for a table that keeps history writes the
/// versions the merge made (see [`super::history`]). Steps that `plan` shows to have
/// nothing to do are not run.
pub fn merge_table(
    s: &mut dyn Session,
    d: Dialect,
    table: &Table,
    run_id: i64,
    published_at: NaiveDateTime,
    plan: &MergePlan,
) -> Result<MergeCounts> {
    let stmts = merge_statements(d, table, run_id, published_at, plan.held_keys);
    let staged = plan.staged;
    if plan.rows == 0 {
        let inserted = s.execute(&stmts.insert_new)?;
        // An empty DW_ table has no current version to close.
        record_versions(s, d, table, run_id, published_at, false, inserted > 0)?;
        return Ok(MergeCounts { inserted, unchanged: staged.saturating_sub(inserted), ..MergeCounts::default() });
    }
    let has_deleted = plan.rows > plan.live;
    let undeleted = if has_deleted { s.query_i64(&stmts.count_undeletes.sql())? as u64 } else { 0 };
    // Updating before inserting spares the update from comparing the new rows.
    let updated = match plan.update_parts {
        0 | 1 => s.execute(&stmts.update_changed)?,
        // The statement ends in its WHERE clause, which each part narrows.
        parts => (0..parts)
            .map(|part| s.execute(&format!("{}\n  AND {}", stmts.update_changed, key_part(table, "s", "d", part, parts))))
            .sum::<Result<u64>>()?,
    };
    let inserted = s.execute(&stmts.insert_new)?;
    let undeleted_unchanged = if has_deleted { s.execute(&stmts.undelete_unchanged)? } else { 0 };
    let deleted = if plan.would_delete > 0 { s.execute(&stmts.soft_delete)? } else { 0 };
    let opened = inserted + updated + undeleted_unchanged > 0;
    record_versions(s, d, table, run_id, published_at, updated + deleted > 0, opened)?;
    Ok(MergeCounts {
        inserted,
        updated,
        unchanged: staged.saturating_sub(inserted + updated + undeleted_unchanged),
        deleted,
        undeleted,
    })
}

/// Writes the history of a merge that changed rows (`close`: some current version ended;
/// `open`: some live row got new values or came back), for a table that keeps history.
fn record_versions(
    s: &mut dyn Session,
    d: Dialect,
    table: &Table,
    run_id: i64,
    published_at: NaiveDateTime,
    close: bool,
    open: bool,
) -> Result<()> {
    if !table.history || !(close || open) {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let h = history_statements(d, table, &MergeParams::literal(d, run_id, published_at));
    // Closing first: the versions opened next must stay open.
    let closed = if close { s.execute(&h.close_versions)? } else { 0 };
    let opened = if open { s.execute(&h.open_versions)? } else { 0 };
    // What history costs a load (scripts/bench-history.sh sums these).
    tracing::debug!(table = %table.history_name(), closed, opened, seconds = started.elapsed().as_secs_f64(), "history written");
    Ok(())
}

/// Keys that more than one live row of a `DW_` table holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKeys {
    /// How many keys are held twice or more.
    pub keys: u64,
    /// The first few, as `column=value` lists with the number of live rows holding each.
    pub examples: Vec<String>,
}

impl std::fmt::Display for DuplicateKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} key(s) held by more than one live row: {}", self.keys, self.examples.join("; "))?;
        if self.keys > self.examples.len() as u64 {
            write!(f, " and {} more", self.keys - self.examples.len() as u64)?;
        }
        Ok(())
    }
}

/// Whether any key of `table` is held by more than one live row. Run inside the publish
/// transaction after the merge: a natural key is the warehouse's identity of a row, and
/// two live rows with one key would both be updated by every later snapshot and counted
/// twice by every view, so such a publish is rolled back rather than committed.
pub fn find_duplicate_live_keys(s: &mut dyn Session, d: Dialect, table: &Table) -> Result<Option<DuplicateKeys>> {
    const SHOWN: usize = 3;
    let rows = s.query_rows(&duplicate_live_keys(d, table, SHOWN))?.rows;
    let Some(first) = rows.first() else { return Ok(None) };
    let keys = table.key_columns().count();
    let total = first.get(keys + 1).cloned().flatten().and_then(|t| t.parse().ok()).unwrap_or(rows.len() as u64);
    let examples = rows
        .iter()
        .map(|r| {
            let key: Vec<String> = table
                .key_columns()
                .zip(r)
                .map(|(c, v)| format!("{}={}", c.name, v.as_deref().unwrap_or("NULL")))
                .collect();
            format!("{} ({} rows)", key.join(", "), r.get(keys).cloned().flatten().unwrap_or_default())
        })
        .collect();
    Ok(Some(DuplicateKeys { keys: total, examples }))
}
