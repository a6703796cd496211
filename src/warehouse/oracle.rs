//! The merge as Oracle stored procedures: one `MERGE_<SYS>_<TABLE>` per catalog table and a
//! master `MERGE_ALL` that runs them in catalog order in one transaction.
//!
//! There is no Oracle backend to run the merge from Rust, so a DBA deploys these
//! procedures instead. Their bodies are the statements of the merge engine
//! ([`merge_statements_with`]) with PL/SQL variables as the run id and publish time, so the
//! keys, the NULL-safe change test and the soft-delete rules are those of the pipeline, from
//! the catalog (the seed system's 79 hand-written procedures had wrong keys in two).

use super::sql::{compared_text, merge_statements_with, CreateTable, MergeParams, DW_DELETED_AT};
use super::Dialect;
use crate::catalog::{ColumnType, Table};

/// The global temporary table `MERGE_ALL` fills with per-table counts (rows stay until the
/// session ends or the next `MERGE_ALL`, so the cursor can read them after the COMMIT).
pub const COUNTS_TABLE: &str = "ETL_MERGE_COUNTS";

/// Name of the procedure that merges `table`.
pub fn procedure_name(table: &Table) -> String {
    format!("MERGE_{}_{}", table.system.table_prefix(), table.name.to_ascii_uppercase())
}

/// `CREATE GLOBAL TEMPORARY TABLE` of [`COUNTS_TABLE`] (if missing).
pub fn create_counts_table() -> String {
    CreateTable::new(Dialect::Oracle, COUNTS_TABLE)
        .session_temporary()
        .if_missing()
        .pipeline_columns(&[
            ("SEQ", ColumnType::Int),
            ("SOURCE", compared_text(32)),
            ("TABLE_NAME", compared_text(128)),
            ("DW_TABLE", compared_text(128)),
            ("ROWS_INSERTED", ColumnType::Int),
            ("ROWS_UPDATED", ColumnType::Int),
            ("ROWS_DELETED", ColumnType::Int),
            ("ROWS_UNDELETED", ColumnType::Int),
        ])
        .sql()
}

/// Indents every non-empty line of a statement by `by`.
fn indent(sql: &str, by: &str) -> String {
    sql.lines().map(|l| if l.is_empty() { String::new() } else { format!("{by}{l}") }).collect::<Vec<_>>().join("\n")
}

/// `CREATE OR REPLACE PROCEDURE MERGE_<SYS>_<TABLE>`: the merge of one staged table, without
/// COMMIT (the caller owns the transaction).
///
/// `p_published_at` defaults to now (UTC, as the pipeline stores timestamps); `MERGE_ALL`
/// passes one time for every table. `p_max_delete_ratio`, when given, is the mass-delete
/// guard: the procedure raises ORA-20001 before changing anything when the soft deletes would
/// exceed that share of the live rows. Keys held by rejected rows (`STG_..._HELD_KEYS`) are
/// never soft-deleted.
pub fn merge_procedure(table: &Table) -> String {
    let params = MergeParams { run_id: "p_run_id".into(), published_at: "v_now".into() };
    let m = merge_statements_with(Dialect::Oracle, table, &params, true);
    let step = |comment: &str, sql: &str| format!("  -- {comment}\n{};\n", indent(sql, "  "));
    let dw = table.dw_name();
    let mut body = String::new();
    body.push_str(&step("Mass-delete guard: live rows, and live rows whose key is not staged (nor held).", &m.count_live.into_variable("v_live")));
    body.push_str(&indent(&m.count_deletes.into_variable("v_would_delete"), "  "));
    body.push_str(";\n");
    body.push_str(&format!(
        "  IF p_max_delete_ratio IS NOT NULL AND v_live > 0 AND v_would_delete > p_max_delete_ratio * v_live THEN\n    \
         RAISE_APPLICATION_ERROR(-20001, '{dw}: would delete ' || v_would_delete || ' of ' || v_live || ' live rows');\n  \
         END IF;\n"
    ));
    body.push_str(&step("Soft-deleted keys that are back (counted before the updates clear the mark).", &m.count_undeletes.into_variable("p_undeleted")));
    body.push_str(&step("Keys whose values changed (NULL-safe); unchanged rows are not touched.", &m.update_changed));
    body.push_str("  p_updated := SQL%ROWCOUNT;\n");
    body.push_str(&step("New keys.", &m.insert_new));
    body.push_str("  p_inserted := SQL%ROWCOUNT;\n");
    body.push_str(&step("Keys back unchanged: only the delete mark is cleared.", &m.undelete_unchanged));
    body.push_str(&step(&format!("Live keys absent from the snapshot: soft-deleted ({DW_DELETED_AT})."), &m.soft_delete));
    body.push_str("  p_deleted := SQL%ROWCOUNT;\n");
    if table.history {
        let h = super::history::history_statements(Dialect::Oracle, table, &params);
        body.push_str(&step(&format!("History: the current versions of the rows changed or deleted end (VALID_TO) in {}.", table.history_name()), &h.close_versions));
        body.push_str(&step("History: every live row this run touched opens a version.", &h.open_versions));
    }
    format!(
        "CREATE OR REPLACE PROCEDURE {name}(\n  p_run_id IN NUMBER,\n  p_inserted OUT NUMBER,\n  p_updated OUT NUMBER,\n  \
         p_deleted OUT NUMBER,\n  p_undeleted OUT NUMBER,\n  p_published_at IN TIMESTAMP DEFAULT NULL,\n  \
         p_max_delete_ratio IN NUMBER DEFAULT NULL\n) AS\n  \
         v_now TIMESTAMP := NVL(p_published_at, SYS_EXTRACT_UTC(SYSTIMESTAMP));\n  v_live NUMBER;\n  v_would_delete NUMBER;\n\
         BEGIN\n{body}END {name};",
        name = procedure_name(table),
    )
}

/// `CREATE OR REPLACE PROCEDURE MERGE_ALL(p_run_id, p_counts, p_max_delete_ratio)`: every
/// table's procedure in the order of `tables`, in one transaction (COMMIT at the end;
/// ROLLBACK and re-raise on any error, so nothing is half published), then a cursor over the
/// per-table counts (source, table, DW table, inserted, updated, deleted, undeleted).
pub fn merge_all_procedure(tables: &[&Table], default_max_delete_ratio: f64) -> String {
    let mut calls = String::new();
    for (i, t) in tables.iter().enumerate() {
        calls.push_str(&format!(
            "  {}(p_run_id, v_inserted, v_updated, v_deleted, v_undeleted, v_now, p_max_delete_ratio);\n  \
             counted({}, '{}', '{}', '{}');\n",
            procedure_name(t),
            i + 1,
            t.system.name(),
            t.name,
            t.dw_name()
        ));
    }
    format!(
        "CREATE OR REPLACE PROCEDURE MERGE_ALL(\n  p_run_id IN NUMBER,\n  p_counts OUT SYS_REFCURSOR,\n  \
         p_max_delete_ratio IN NUMBER DEFAULT {default_max_delete_ratio}\n) AS\n  \
         v_now TIMESTAMP := SYS_EXTRACT_UTC(SYSTIMESTAMP);\n  \
         v_inserted NUMBER;\n  v_updated NUMBER;\n  v_deleted NUMBER;\n  v_undeleted NUMBER;\n  \
         PROCEDURE counted(p_seq NUMBER, p_source VARCHAR2, p_table VARCHAR2, p_dw_table VARCHAR2) IS\n  \
         BEGIN\n    INSERT INTO {COUNTS_TABLE} (SEQ, SOURCE, TABLE_NAME, DW_TABLE, ROWS_INSERTED, ROWS_UPDATED, ROWS_DELETED, ROWS_UNDELETED)\n    \
         VALUES (p_seq, p_source, p_table, p_dw_table, v_inserted, v_updated, v_deleted, v_undeleted);\n  \
         END counted;\nBEGIN\n  DELETE FROM {COUNTS_TABLE};\n{calls}  COMMIT;\n  \
         OPEN p_counts FOR\n    SELECT SOURCE, TABLE_NAME, DW_TABLE, ROWS_INSERTED, ROWS_UPDATED, ROWS_DELETED, ROWS_UNDELETED\n      \
         FROM {COUNTS_TABLE} ORDER BY SEQ;\nEXCEPTION WHEN OTHERS THEN\n  ROLLBACK;\n  RAISE;\nEND MERGE_ALL;"
    )
}
