//! The merge engine: publishes a staged table into its `DW_` table by natural key, with
//! audit timestamps, soft deletes and undeletes, touching only rows that changed.
//! The caller runs every table of a snapshot inside one transaction.

use chrono::NaiveDateTime;

use super::sql::{merge_statements, Dialect};
use super::{Result, Session};
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

/// How many live rows a merge would soft-delete, out of how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeletePreview {
    pub live: u64,
    pub would_delete: u64,
}

impl DeletePreview {
    /// Whether the deletes exceed the guard's share of live rows.
    pub fn exceeds(&self, ratio: f64) -> bool {
        self.live > 0 && self.would_delete as f64 > ratio * self.live as f64
    }
}

/// Counts the deletes a merge of the staged rows would make (for the mass-delete guard).
pub fn preview_deletes(s: &mut dyn Session, d: Dialect, table: &Table, held_keys: bool) -> Result<DeletePreview> {
    let stmts = merge_statements(d, table, 0, NaiveDateTime::default(), held_keys);
    Ok(DeletePreview {
        live: s.query_i64(&stmts.count_live)? as u64,
        would_delete: s.query_i64(&stmts.count_deletes)? as u64,
    })
}

/// Merges the staged rows of `table`. `staged` is the number of staging rows, from which
/// the unchanged count follows.
pub fn merge_table(
    s: &mut dyn Session,
    d: Dialect,
    table: &Table,
    run_id: i64,
    published_at: NaiveDateTime,
    staged: u64,
    held_keys: bool,
) -> Result<MergeCounts> {
    let stmts = merge_statements(d, table, run_id, published_at, held_keys);
    let undeleted = s.query_i64(&stmts.count_undeletes)? as u64;
    // Updating before inserting spares a first load from comparing every new row.
    let updated = s.execute(&stmts.update_changed)?;
    let inserted = s.execute(&stmts.insert_new)?;
    let undeleted_unchanged = s.execute(&stmts.undelete_unchanged)?;
    let deleted = s.execute(&stmts.soft_delete)?;
    Ok(MergeCounts {
        inserted,
        updated,
        unchanged: staged.saturating_sub(inserted + updated + undeleted_unchanged),
        deleted,
        undeleted,
    })
}
