//! The run ledger: what each run did (`ETL_RUNS`, `ETL_RUN_TABLES`), which snapshots
//! were published (`ETL_SNAPSHOTS`) and every row that could not be loaded
//! (`ETL_REJECTS`). Written through the same sessions and SQL on every backend.

use std::sync::Arc;

use chrono::NaiveDateTime;
use duckdb::arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;

use super::sql::{compared_text, timestamp_literal, CreateTable, Dialect, FREE_TEXT};
use super::{quote, quote_opt, Result, Session};
use crate::catalog::ColumnType;
use crate::decode::Reject;

const INT: ColumnType = ColumnType::Int;
const TS: ColumnType = ColumnType::Timestamp;
// What the pipeline and `status` compare, group or sort must be comparable on Oracle
// (`compared_text`); messages, raw values and raw lines are free text, only shown.
/// A run or table status (`succeeded`, `not_published`).
const STATUS: ColumnType = compared_text(32);
/// A source system's name.
const SOURCE: ColumnType = compared_text(32);
/// A catalog table or column name (Oracle identifiers are at most 128 bytes).
const NAME: ColumnType = compared_text(128);
/// An object key or archive member path (S3 keys are at most 1,024 bytes).
const PATH: ColumnType = compared_text(1024);

/// The ledger tables and their columns.
pub const LEDGER_TABLES: &[(&str, &[(&str, ColumnType)])] = &[
    (
        "ETL_RUNS",
        &[
            ("RUN_ID", INT),
            ("STARTED_AT", TS),
            ("FINISHED_AT", TS),
            ("STATUS", STATUS),
            ("HOST", compared_text(255)),
            ("VERSION", compared_text(64)),
            ("ERROR_TEXT", FREE_TEXT),
        ],
    ),
    (
        "ETL_RUN_TABLES",
        &[
            ("RUN_ID", INT),
            ("SOURCE", SOURCE),
            ("TABLE_NAME", NAME),
            ("ARCHIVE_KEY", PATH),
            ("ROWS_READ", INT),
            ("ROWS_STAGED", INT),
            ("ROWS_REJECTED", INT),
            ("ROWS_INSERTED", INT),
            ("ROWS_UPDATED", INT),
            ("ROWS_UNCHANGED", INT),
            ("ROWS_DELETED", INT),
            ("ROWS_UNDELETED", INT),
            ("STATUS", STATUS),
            ("SECONDS", ColumnType::Float),
            ("MESSAGE", FREE_TEXT),
            ("MEMBER_FINGERPRINT", compared_text(128)),
        ],
    ),
    (
        "ETL_SNAPSHOTS",
        &[
            ("SOURCE", SOURCE),
            ("ARCHIVE_KEY", PATH),
            ("SIZE_BYTES", INT),
            ("LAST_MODIFIED", TS),
            // SHA-256 in hex.
            ("CHECKSUM", compared_text(64)),
            ("RUN_ID", INT),
            ("LOADED_AT", TS),
        ],
    ),
    (
        "ETL_REJECTS",
        &[
            ("RUN_ID", INT),
            ("SOURCE", SOURCE),
            ("TABLE_NAME", NAME),
            ("ARCHIVE_KEY", PATH),
            ("FILE_NAME", PATH),
            ("LINE_NUMBER", INT),
            ("COLUMN_NAME", NAME),
            ("RAW_VALUE", FREE_TEXT),
            ("REASON", FREE_TEXT),
            ("RAW_LINE", FREE_TEXT),
        ],
    ),
    (
        // Written by `crate::check::results`: one row per check of a run or of `marina-etl check`.
        "ETL_CHECK_RESULTS",
        &[
            ("RUN_ID", INT),
            ("CHECKED_AT", TS),
            ("SOURCE", SOURCE),
            ("TABLE_NAME", NAME),
            ("CHECK_NAME", NAME),
            ("KIND", STATUS),
            ("SEVERITY", STATUS),
            ("STATUS", STATUS),
            ("OBSERVED", ColumnType::Float),
            ("THRESHOLD", compared_text(255)),
            ("FAILING_ROWS", INT),
            ("FAILING_KEYS", FREE_TEXT),
            ("SECONDS", ColumnType::Float),
            ("MESSAGE", FREE_TEXT),
        ],
    ),
    (
        // Written by `crate::check::fields`: each field whose file value differs from the warehouse's.
        "ETL_CHECK_DIFFERENCES",
        &[
            ("RUN_ID", INT),
            ("CHECKED_AT", TS),
            ("SOURCE", SOURCE),
            ("TABLE_NAME", NAME),
            ("KEY_TEXT", PATH),
            ("COLUMN_NAME", NAME),
            ("FILE_VALUE", FREE_TEXT),
            ("WAREHOUSE_VALUE", FREE_TEXT),
        ],
    ),
    (
        // Written by `crate::notify`: each message a run sent (or failed to send), per channel and target.
        "ETL_NOTIFICATIONS",
        &[
            ("RUN_ID", INT),
            ("SENT_AT", TS),
            ("CHANNEL", STATUS),
            ("TARGET", PATH),
            ("EVENT", STATUS),
            ("STATUS", STATUS),
            ("ATTEMPTS", INT),
            ("MESSAGE", FREE_TEXT),
        ],
    ),
];

/// `CREATE TABLE` statements of the ledger.
pub fn create_statements(dialect: Dialect) -> Vec<String> {
    LEDGER_TABLES
        .iter()
        .map(|(name, cols)| CreateTable::new(dialect, name).if_missing().pipeline_columns(cols).sql())
        .collect()
}

/// Run status in `ETL_RUNS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Succeeded,
    /// Every source published, but something needs a person's attention (a column that
    /// held values is missing from the new file, say).
    Warning,
    Partial,
    Failed,
    Skipped,
    /// Every source published, but a check of severity `error` failed (exit code 4).
    ChecksFailed,
    /// SIGTERM or SIGINT stopped the run before it finished (exit code 5); sources that
    /// published before stay published, the others are untouched.
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Warning => "warning",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Skipped => "skipped",
            RunStatus::ChecksFailed => "checks_failed",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// Starts a run: ends the record of runs left `running` by a process that died (see
/// [`end_interrupted_runs`]), then records this one. Only one run at a time reaches this
/// point (the warehouse lock).
pub fn begin_run(s: &mut dyn Session, d: Dialect, started: NaiveDateTime) -> Result<i64> {
    end_interrupted_runs(s)?;
    let run_id = s.query_i64("SELECT COALESCE(MAX(RUN_ID), 0) + 1 FROM ETL_RUNS")?;
    let host = hostname::get().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
    s.execute(&format!(
        "INSERT INTO ETL_RUNS (RUN_ID, STARTED_AT, STATUS, HOST, VERSION) VALUES ({run_id}, {}, 'running', {}, {})",
        timestamp_literal(d, started),
        quote(&host),
        quote(env!("CARGO_PKG_VERSION")),
    ))?;
    Ok(run_id)
}

/// Runs left `running` were interrupted (killed, or the ledger could not be written at
/// their end). A run that published a source before it died is `partial`, not `failed`:
/// its snapshots are in `ETL_SNAPSHOTS`, written in the same transaction as their data.
pub fn end_interrupted_runs(s: &mut dyn Session) -> Result<()> {
    const INTERRUPTED: &str = "'interrupted: the process ended before the run finished'";
    s.execute(&format!(
        "UPDATE ETL_RUNS SET STATUS = 'partial', ERROR_TEXT = {INTERRUPTED} \
          WHERE STATUS = 'running' AND RUN_ID IN (SELECT RUN_ID FROM ETL_SNAPSHOTS)"
    ))?;
    s.execute(&format!("UPDATE ETL_RUNS SET STATUS = 'failed', ERROR_TEXT = {INTERRUPTED} WHERE STATUS = 'running'"))?;
    Ok(())
}

pub fn finish_run(
    s: &mut dyn Session,
    d: Dialect,
    run_id: i64,
    finished: NaiveDateTime,
    status: RunStatus,
    error: Option<&str>,
) -> Result<()> {
    s.execute(&format!(
        "UPDATE ETL_RUNS SET FINISHED_AT = {}, STATUS = {}, ERROR_TEXT = {} WHERE RUN_ID = {run_id}",
        timestamp_literal(d, finished),
        quote(status.as_str()),
        quote_opt(error),
    ))?;
    Ok(())
}

/// What happened to one table in a run (`ETL_RUN_TABLES.STATUS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TableStatus {
    /// Read into staging, not yet published (never left in the ledger by a finished run).
    #[default]
    Staged,
    /// Merged into its `DW_` table.
    Published,
    /// Its member is the one last published: not read again, nothing changed.
    Unchanged,
    /// Its file is not in the archive: nothing of it changed.
    Missing,
    /// It could not be staged or published; its source was not published.
    Failed,
    /// It was fine, but another table of its source failed, so none was published.
    NotPublished,
}

impl TableStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TableStatus::Staged => "staged",
            TableStatus::Published => "published",
            TableStatus::Unchanged => "unchanged",
            TableStatus::Missing => "missing",
            TableStatus::Failed => "failed",
            TableStatus::NotPublished => "not_published",
        }
    }

    /// `statuses` as the list of a SQL `STATUS IN (...)`.
    pub fn sql_list(statuses: &[TableStatus]) -> String {
        statuses.iter().map(|s| super::quote(s.as_str())).collect::<Vec<_>>().join(", ")
    }
}

impl std::fmt::Display for TableStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `ETL_RUN_TABLES`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableRecord {
    pub source: String,
    pub table: String,
    pub archive_key: Option<String>,
    pub rows_read: u64,
    pub rows_staged: u64,
    pub rows_rejected: u64,
    pub rows_inserted: u64,
    pub rows_updated: u64,
    pub rows_unchanged: u64,
    pub rows_deleted: u64,
    pub rows_undeleted: u64,
    pub status: TableStatus,
    pub seconds: f64,
    pub message: Option<String>,
    /// Identifies the archive member's content and the table's catalog entry.
    pub member_fingerprint: Option<String>,
}

/// Records the tables of one source in a single statement (one row per table).
pub fn record_tables(s: &mut dyn Session, run_id: i64, tables: &[TableRecord]) -> Result<()> {
    if tables.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = tables
        .iter()
        .map(|t| {
            format!(
                "({run_id}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {:.3}, {}, {})",
                quote(&t.source),
                quote(&t.table),
                quote_opt(t.archive_key.as_deref()),
                t.rows_read,
                t.rows_staged,
                t.rows_rejected,
                t.rows_inserted,
                t.rows_updated,
                t.rows_unchanged,
                t.rows_deleted,
                t.rows_undeleted,
                quote(t.status.as_str()),
                t.seconds,
                quote_opt(t.message.as_deref()),
                quote_opt(t.member_fingerprint.as_deref()),
            )
        })
        .collect();
    s.execute(&format!("INSERT INTO ETL_RUN_TABLES VALUES\n{}", rows.join(",\n")))?;
    Ok(())
}

/// The member a table was last published from, and what reading it gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedMember {
    /// Identifies the member's content and the table's catalog entry.
    pub fingerprint: String,
    /// The run whose ledger rows describe it (the newest one, when later runs found it
    /// unchanged: they carry its counts and rejects forward).
    pub run_id: i64,
    pub rows_read: u64,
    pub rows_staged: u64,
    pub rows_rejected: u64,
}

/// Per table of a source, the member it was last published from.
pub fn last_published_members(
    s: &mut dyn Session,
    source: &str,
) -> Result<std::collections::HashMap<String, PublishedMember>> {
    let rows = s.query_rows(&format!(
        "SELECT TABLE_NAME, MEMBER_FINGERPRINT, RUN_ID, ROWS_READ, ROWS_STAGED, ROWS_REJECTED FROM (\
           SELECT TABLE_NAME, MEMBER_FINGERPRINT, RUN_ID, ROWS_READ, ROWS_STAGED, ROWS_REJECTED, \
                  ROW_NUMBER() OVER (PARTITION BY TABLE_NAME ORDER BY RUN_ID DESC) AS NEWEST \
             FROM ETL_RUN_TABLES WHERE SOURCE = {} AND STATUS IN ('published', 'unchanged')) x \
         WHERE NEWEST = 1 AND MEMBER_FINGERPRINT IS NOT NULL",
        quote(source)
    ))?;
    let number = |v: &Option<String>| v.as_deref().and_then(|t| t.parse().ok());
    Ok(rows
        .rows
        .into_iter()
        .filter_map(|r| {
            let member = PublishedMember {
                fingerprint: r[1].clone()?,
                run_id: number(&r[2])? as i64,
                rows_read: number(&r[3])?,
                rows_staged: number(&r[4])?,
                rows_rejected: number(&r[5])?,
            };
            Some((r[0].clone()?, member))
        })
        .collect())
}

/// Copies the rejects that run `from_run` recorded for a table into run `to_run`: a member
/// found unchanged is not read again, but its rows that could not be loaded are still
/// outstanding, and each run's rejects must show them.
pub fn carry_forward_rejects(s: &mut dyn Session, to_run: i64, from_run: i64, source: &str, table: &str) -> Result<u64> {
    let (_, columns) = LEDGER_TABLES.iter().find(|(n, _)| *n == "ETL_REJECTS").expect("ledger table");
    let rest: Vec<&str> = columns.iter().skip(1).map(|(c, _)| *c).collect();
    let rest = rest.join(", ");
    s.execute(&format!(
        "INSERT INTO ETL_REJECTS (RUN_ID, {rest}) SELECT {to_run}, {rest} FROM ETL_REJECTS \
          WHERE RUN_ID = {from_run} AND SOURCE = {} AND TABLE_NAME = {}",
        quote(source),
        quote(table)
    ))
}

/// A published snapshot, for `ETL_SNAPSHOTS`.
#[derive(Clone, Debug)]
pub struct SnapshotRecord {
    pub source: String,
    pub archive_key: String,
    pub size: u64,
    pub last_modified: NaiveDateTime,
    pub checksum: String,
}

/// The statement that records a published snapshot; it runs inside the publish
/// transaction so that the ledger says "loaded" exactly when the data is.
pub fn record_snapshot_statement(d: Dialect, run_id: i64, snap: &SnapshotRecord, loaded_at: NaiveDateTime) -> String {
    format!(
        "INSERT INTO ETL_SNAPSHOTS VALUES ({}, {}, {}, {}, {}, {run_id}, {})",
        quote(&snap.source),
        quote(&snap.archive_key),
        snap.size,
        timestamp_literal(d, snap.last_modified),
        quote(&snap.checksum),
        timestamp_literal(d, loaded_at),
    )
}

/// Whether this exact archive (key, size and checksum) was already published.
pub fn already_loaded(s: &mut dyn Session, source: &str, key: &str, size: u64, checksum: &str) -> Result<bool> {
    let n = s.query_i64(&format!(
        "SELECT COUNT(*) FROM ETL_SNAPSHOTS WHERE SOURCE = {} AND ARCHIVE_KEY = {} AND SIZE_BYTES = {size} AND CHECKSUM = {}",
        quote(source),
        quote(key),
        quote(checksum)
    ))?;
    Ok(n > 0)
}

/// When each loaded snapshot of `source` (by key and size) counted as last modified.
pub fn recorded_times(s: &mut dyn Session, source: &str) -> Result<std::collections::HashMap<(String, u64), NaiveDateTime>> {
    let rows = s.query_rows(&format!(
        "SELECT ARCHIVE_KEY, SIZE_BYTES, MIN(LAST_MODIFIED) FROM ETL_SNAPSHOTS WHERE SOURCE = {} GROUP BY ARCHIVE_KEY, SIZE_BYTES",
        quote(source)
    ))?;
    Ok(rows
        .rows
        .into_iter()
        .filter_map(|r| {
            let at = NaiveDateTime::parse_from_str(&r[2].as_deref()?.replace('T', " "), "%Y-%m-%d %H:%M:%S%.f").ok()?;
            Some(((r[0].clone()?, r[1].as_deref()?.parse().ok()?), at))
        })
        .collect())
}

/// The key of the snapshot of `source` published last (by run).
pub fn last_published_key(s: &mut dyn Session, source: &str) -> Result<Option<String>> {
    let rows = s.query_rows(&format!(
        "SELECT ARCHIVE_KEY FROM ETL_SNAPSHOTS WHERE SOURCE = {} ORDER BY RUN_ID DESC, LOADED_AT DESC LIMIT 1",
        quote(source)
    ))?;
    Ok(rows.rows.into_iter().next().and_then(|r| r.into_iter().next().flatten()))
}

/// Where the rejects of one table came from.
pub struct RejectOrigin<'a> {
    pub run_id: i64,
    pub source: &'a str,
    pub table: &'a str,
    pub archive_key: &'a str,
    pub file: &'a str,
}

/// Appends rejects to `ETL_REJECTS` in bulk.
pub fn write_rejects(s: &mut dyn Session, origin: &RejectOrigin, rejects: &[Reject]) -> Result<()> {
    if rejects.is_empty() {
        return Ok(());
    }
    let (_, columns) = LEDGER_TABLES.iter().find(|(n, _)| *n == "ETL_REJECTS").expect("ledger table");
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(c, ty)| Field::new(*c, if *ty == INT { DataType::Int64 } else { DataType::Utf8 }, true))
            .collect::<Vec<_>>(),
    ));
    for chunk in rejects.chunks(crate::decode::BATCH_ROWS) {
        let constant = |v: &str| {
            let mut b = StringBuilder::new();
            chunk.iter().for_each(|_| b.append_value(v));
            Arc::new(b.finish()) as ArrayRef
        };
        let text = |f: &dyn Fn(&Reject) -> Option<&str>| {
            let mut b = StringBuilder::new();
            chunk.iter().for_each(|r| b.append_option(f(r)));
            Arc::new(b.finish()) as ArrayRef
        };
        let mut run = Int64Builder::new();
        let mut line = Int64Builder::new();
        for r in chunk {
            run.append_value(origin.run_id);
            line.append_value(r.line as i64);
        }
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(run.finish()),
            constant(origin.source),
            constant(origin.table),
            constant(origin.archive_key),
            constant(origin.file),
            Arc::new(line.finish()),
            text(&|r| r.column.as_deref()),
            text(&|r| r.raw_value.as_deref()),
            text(&|r| Some(r.reason.as_str())),
            text(&|r| r.raw_line.as_deref()),
        ];
        let batch = RecordBatch::try_new(schema.clone(), arrays).expect("reject batch follows the ledger schema");
        s.append("ETL_REJECTS", batch)?;
    }
    Ok(())
}

/// The latest snapshot of a source that was published: the one a wait compares with.
#[derive(Clone, Debug)]
pub struct LoadedSnapshot {
    pub key: String,
    pub last_modified: NaiveDateTime,
    pub loaded_at: NaiveDateTime,
}

impl LoadedSnapshot {
    /// Whether `object` is newer by the snapshot rule (last-modified time, then key),
    /// compared at the microsecond precision the ledger keeps.
    pub fn is_older_than(&self, object: &crate::source::SnapshotObject) -> bool {
        use chrono::SubsecRound;
        let listed = object.last_modified.naive_utc().trunc_subsecs(6);
        (listed, object.key.as_str()) > (self.last_modified, self.key.as_str())
    }
}

/// The newest snapshot of `source` in `ETL_SNAPSHOTS` (by last-modified time, then key).
pub fn last_loaded_snapshot(s: &mut dyn Session, source: &str) -> Result<Option<LoadedSnapshot>> {
    let rows = s.query_rows(&format!(
        "SELECT ARCHIVE_KEY, LAST_MODIFIED, LOADED_AT FROM ETL_SNAPSHOTS WHERE SOURCE = {} \
          ORDER BY LAST_MODIFIED DESC, ARCHIVE_KEY DESC LIMIT 1",
        quote(source)
    ))?;
    let parse = |v: &Option<String>| {
        let text = v.as_deref()?.replace('T', " ");
        NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f").ok()
    };
    Ok(rows.rows.first().and_then(|r| {
        Some(LoadedSnapshot { key: r[0].clone()?, last_modified: parse(&r[1])?, loaded_at: parse(&r[2])? })
    }))
}
