//! History tables: every version of the rows of the tables that keep history
//! (`catalog/history.tsv`), in `HIST_<SYS>_<TABLE>`.
//!
//! A version is the full contract row, valid from the publish that made it
//! ([`VALID_FROM`]) until the publish that changed or deleted it ([`VALID_TO`], NULL while
//! current), with the run that published it ([`DW_RUN_ID`]) and whether it ended in a
//! soft delete ([`ENDS_IN_DELETE`]). The merge writes versions in the publish transaction,
//! after the `DW_` steps, from the rows those steps touched (their `DW_RUN_ID` is the run's):
//! a touched row's open version is closed (ending in a delete when the row now is
//! soft-deleted), and a touched live row opens a new one. A row the snapshot left unchanged
//! is not touched, so it gets no new version.
//!
//! The statements are built once for every dialect, like the merge's, with the run id and
//! publish time as [`MergeParams`] expressions; Oracle differs only in its update (no
//! `UPDATE ... FROM`) and its flags (`NUMBER(1)`).

use super::sql::{column_list, key_match, qualified_list, CreateTable, Dialect, MergeParams, DW_DELETED_AT, DW_LAST_UPDATED};
use crate::catalog::{ColumnType, Table};

/// Publish time from which a version holds.
pub const VALID_FROM: &str = "VALID_FROM";
/// Publish time at which a version stopped holding; NULL while it is the current one.
pub const VALID_TO: &str = "VALID_TO";
/// The run that published the version.
pub use super::sql::DW_RUN_ID;
/// Whether the version ended because its row was soft-deleted (rather than changed).
pub const ENDS_IN_DELETE: &str = "ENDS_IN_DELETE";

/// `CREATE TABLE IF NOT EXISTS` of the history table: contract columns, then the validity,
/// the run and the delete flag.
pub fn create_history_table(d: Dialect, table: &Table) -> String {
    CreateTable::new(d, &table.history_name())
        .if_missing()
        .catalog_columns(&table.columns)
        .column(VALID_FROM, "TIMESTAMP")
        .column(VALID_TO, "TIMESTAMP")
        .column(DW_RUN_ID, &d.column_type(ColumnType::Int))
        .column(ENDS_IN_DELETE, &d.column_type(ColumnType::Bool))
        .sql()
}

/// A flag literal: `TRUE`/`FALSE`, `1`/`0` on Oracle (which has no boolean column before 23ai).
fn flag(d: Dialect, value: bool) -> &'static str {
    match (d, value) {
        (Dialect::Oracle, true) => "1",
        (Dialect::Oracle, false) => "0",
        (_, true) => "TRUE",
        (_, false) => "FALSE",
    }
}

/// The statements that keep the history of one table, run after its merge.
#[derive(Clone, Debug)]
pub struct HistoryStatements {
    /// Closes the current version of every row the merge touched (changed, soft-deleted).
    pub close_versions: String,
    /// Opens a version for every live row the merge touched (inserted, changed, undeleted).
    pub open_versions: String,
    /// Fills an empty history table with the live rows of its `DW_` table, each valid from
    /// its last update: for a table that starts keeping history after it was loaded.
    /// Does nothing once the history table holds a row.
    pub seed: String,
}

/// Builds the history statements of `table` (which should keep history).
pub fn history_statements(d: Dialect, table: &Table, params: &MergeParams) -> HistoryStatements {
    let dw = d.ident(&table.dw_name());
    let hist = d.ident(&table.history_name());
    let (now, run_id) = (&params.published_at, &params.run_id);
    let names = || table.columns.iter().map(|c| c.name.as_str());
    let columns = column_list(d, table);
    let (valid_from, valid_to, run_col, ends) = (d.ident(VALID_FROM), d.ident(VALID_TO), d.ident(DW_RUN_ID), d.ident(ENDS_IN_DELETE));
    let (d_run, d_deleted_at) = (d.qualified("d", DW_RUN_ID), d.qualified("d", DW_DELETED_AT));
    let h_valid_to = d.qualified("h", VALID_TO);
    let on = key_match(d, table, "h", "d");
    let close_versions = match d {
        // Oracle has no UPDATE ... FROM; a DW_ table holds one row per key, so the
        // correlated subquery has one row.
        Dialect::Oracle => {
            let on = key_match(d, table, "d", "h");
            format!(
            "UPDATE {hist} h SET {valid_to} = {now},\n  \
             {ends} = (SELECT CASE WHEN {d_deleted_at} IS NULL THEN 0 ELSE 1 END FROM {dw} d WHERE {on})\n \
             WHERE {h_valid_to} IS NULL\n   AND EXISTS (SELECT 1 FROM {dw} d WHERE {on} AND {d_run} = {run_id})"
            )
        }
        _ => format!(
            "UPDATE {hist} h SET {valid_to} = {now}, {ends} = ({d_deleted_at} IS NOT NULL)\n  FROM {dw} d\n \
             WHERE {on}\n   AND {h_valid_to} IS NULL\n   AND {d_run} = {run_id}"
        ),
    };
    let insert = format!("INSERT INTO {hist} ({columns}, {valid_from}, {valid_to}, {run_col}, {ends})");
    let open_versions = format!(
        "{insert}\nSELECT {}, {now}, NULL, {run_id}, {f}\n  FROM {dw} d\n WHERE {d_run} = {run_id}\n   AND {d_deleted_at} IS NULL",
        qualified_list(d, "d", names()),
        f = flag(d, false),
    );
    let seed = format!(
        "{insert}\nSELECT {}, {}, NULL, {d_run}, {f}\n  FROM {dw} d\n WHERE {d_deleted_at} IS NULL\n   AND NOT EXISTS (SELECT 1 FROM {hist})",
        qualified_list(d, "d", names()),
        d.qualified("d", DW_LAST_UPDATED),
        f = flag(d, false),
    );
    HistoryStatements { close_versions, open_versions, seed }
}

/// Per table that keeps history, its `CREATE TABLE IF NOT EXISTS`, in catalog order.
pub fn create_statements(d: Dialect) -> Vec<String> {
    crate::catalog::Catalog::get().tables().iter().filter(|t| t.history).map(|t| create_history_table(d, t)).collect()
}

/// Seeds every empty history table from its `DW_` table (see [`HistoryStatements::seed`]).
/// Asked first, so that a run does not scan every `DW_` table to find its history full.
pub fn seed_empty(s: &mut dyn super::Session, d: Dialect) -> super::Result<()> {
    let params = MergeParams { run_id: String::new(), published_at: String::new() };
    for t in crate::catalog::Catalog::get().tables().iter().filter(|t| t.history) {
        let empty = s.query_i64(&format!("SELECT COUNT(*) FROM (SELECT 1 FROM {} LIMIT 1) x", d.ident(&t.history_name())))? == 0;
        if empty {
            let seeded = s.execute(&history_statements(d, t, &params).seed)?;
            if seeded > 0 {
                tracing::info!(table = %t.history_name(), rows = seeded, "history table seeded with the live rows of its DW_ table");
            }
        }
    }
    Ok(())
}

/// The rows of `table` as they were at `at` (a timestamp expression), from its history
/// table: the contract columns and the version's validity and run, under the names of the
/// `DW_` table's columns where it has them.
pub fn as_of_select(d: Dialect, table: &Table, at: &str) -> String {
    let names = table.columns.iter().map(|c| c.name.as_str()).chain([VALID_FROM, VALID_TO, DW_RUN_ID]);
    format!(
        "SELECT {} FROM {} h WHERE {} <= {at} AND ({} IS NULL OR {} > {at})",
        qualified_list(d, "h", names),
        d.ident(&table.history_name()),
        d.qualified("h", VALID_FROM),
        d.qualified("h", VALID_TO),
        d.qualified("h", VALID_TO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn the_default_history_tables_are_the_issues_eleven() {
        let names: Vec<String> = Catalog::get().tables().iter().filter(|t| t.history).map(|t| t.history_name()).collect();
        assert_eq!(names.len(), 11, "{names:?}");
        assert!(names.contains(&"HIST_MOLO_INVOICE_ITEMS".to_string()) && names.contains(&"HIST_NS_TRANSACTION_ACCOUNTING_LINE".to_string()));
        assert!(!Catalog::get().table(crate::catalog::System::Molo, "piers").unwrap().history);
    }

    #[test]
    fn oracle_closes_versions_without_update_from_and_flags_are_numbers() {
        let table = Catalog::get().table(crate::catalog::System::Molo, "slips").unwrap();
        let p = MergeParams { run_id: "p_run_id".into(), published_at: "v_now".into() };
        let h = history_statements(Dialect::Oracle, table, &p);
        assert!(!h.close_versions.contains("FROM \"DW_MOLO_SLIPS\" d\n"), "{}", h.close_versions);
        assert!(h.open_versions.contains("v_now, NULL, p_run_id, 0"), "{}", h.open_versions);
        assert!(create_history_table(Dialect::Oracle, table).contains("\"ENDS_IN_DELETE\" NUMBER(1)"));
    }
}
