//! `marina-etl export --to DIR|s3://bucket/prefix`: the warehouse as Parquet files for
//! engines beyond one machine (DuckDB, Spark, Trino, Athena), with a manifest.
//!
//! Layout under the destination:
//! - `tables/<DW_TABLE>/part-<export>.parquet`: one file per `DW_` table (soft-deleted rows
//!   included, with the audit columns), rewritten when the table changed;
//! - `views/<VIEW>/part-<export>.parquet` with `--views`;
//! - `history/<HIST_TABLE>/valid_from_date=YYYY-MM-DD/part-<export>.parquet` with
//!   `--history`: the versions by the day they became valid, Hive style; a day is rewritten
//!   when one of its versions was added or closed since;
//! - `manifest.json`, published last: every relation with its files, row count, schema and
//!   the run ids it holds, and the snapshots loaded.
//!
//! A reader never sees half an export: each file appears whole (see [`parquet_file`]), new
//! files have new names, and the manifest names only complete files; it is replaced whole
//! once every file it names is written, and only then are the files of the previous export
//! that it no longer names deleted. An export that stops midway leaves the previous
//! manifest and its files as they were. Unless `--full`, a file whose fingerprint is the one
//! in the previous manifest is kept as it is: a table's is its row count and newest run id,
//! a history day's the same and its newest end of validity, and a view's is made of the
//! fingerprints of the tables it reads (see [`view_fingerprint`]).

mod parquet_file;
mod workers;

use std::collections::BTreeMap;
use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::views;
use crate::warehouse::{self, Session, WarehouseError};
use workers::{write_files, Job};

/// The manifest's name under the destination.
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Warehouse(#[from] WarehouseError),
    #[error("export destination {url} is not usable: {reason}")]
    BadDestination { url: String, reason: String },
    #[error("export destination {url}: {source}")]
    Credentials {
        url: String,
        #[source]
        source: crate::source::s3::CredentialError,
    },
    #[error("cannot write {path}: {source}")]
    Store {
        path: String,
        #[source]
        source: object_store::Error,
    },
    #[error("cannot write the Parquet file {path}: {source}")]
    Parquet {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("the query of {0} gave no result")]
    NoResult(String),
    #[error("the previous manifest cannot be read: {0}")]
    Manifest(#[source] serde_json::Error),
    #[error("a temporary file: {0}")]
    Temp(#[source] std::io::Error),
    #[error("cannot start the export's I/O: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("{0}")]
    Injected(#[from] crate::fault::Injected),
}

/// What to export.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// A folder or `s3://bucket/prefix`.
    pub to: String,
    /// Only relations whose name matches (`*` and `?`, case-insensitive).
    pub tables: Option<String>,
    pub views: bool,
    pub history: bool,
    /// Write every relation, changed or not.
    pub full: bool,
}

/// One column of a relation's schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

/// One Parquet file of a relation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path under the destination.
    pub path: String,
    pub rows: u64,
    /// The Hive partition it holds (`valid_from_date=...`), for history.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partition: Option<String>,
    /// What the rows were when written: the export is incremental by it.
    pub fingerprint: String,
}

/// What a relation of the export is; its name in the manifest is `table`, `view` or
/// `history`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelationKind {
    Table,
    View,
    History,
}

impl RelationKind {
    /// The folder under the destination that holds relations of this kind.
    fn folder(self) -> &'static str {
        match self {
            RelationKind::Table => "tables",
            RelationKind::View => "views",
            RelationKind::History => "history",
        }
    }
}

impl std::fmt::Display for RelationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so that a width (`{:<8}`) lines up the export's summary.
        f.pad(match self {
            RelationKind::Table => "table",
            RelationKind::View => "view",
            RelationKind::History => "history",
        })
    }
}

/// One exported table, view or history table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestRelation {
    pub name: String,
    pub kind: RelationKind,
    pub rows: u64,
    /// The newest run id among its rows (tables and history).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_run_id: Option<i64>,
    pub schema: Vec<ManifestColumn>,
    pub files: Vec<ManifestFile>,
}

/// The latest loaded snapshot of a source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestSnapshot {
    pub source: String,
    pub archive_key: String,
    pub run_id: i64,
    pub loaded_at: String,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub export_id: u64,
    pub exported_at: String,
    /// The newest run of the warehouse when exported.
    pub last_run_id: Option<i64>,
    pub snapshots: Vec<ManifestSnapshot>,
    pub relations: Vec<ManifestRelation>,
}

/// What an export did.
#[derive(Debug)]
pub struct Exported {
    pub manifest: Manifest,
    /// Files written by this export (the others were kept).
    pub written: usize,
    pub kept: usize,
}

/// Whether `name` matches a glob of `*` and `?`, case-insensitively.
pub fn matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// Opens the destination: a local folder (created if missing) or an S3 prefix.
fn destination(config: &Config, url: &str) -> Result<(Arc<dyn ObjectStore>, ObjectPath), ExportError> {
    let bad = |reason: String| ExportError::BadDestination { url: url.to_string(), reason };
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("no bucket name".into()));
        }
        let builder = config.s3.builder().map_err(|source| ExportError::Credentials { url: url.to_string(), source })?;
        let store = builder.with_bucket_name(bucket).build().map_err(|e| bad(e.to_string()))?;
        return Ok((Arc::new(store), ObjectPath::from(prefix.trim_matches('/'))));
    }
    let folder = std::path::PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
    std::fs::create_dir_all(&folder).map_err(|e| bad(e.to_string()))?;
    let store = object_store::local::LocalFileSystem::new_with_prefix(&folder).map_err(|e| bad(e.to_string()))?;
    Ok((Arc::new(store), ObjectPath::default()))
}

fn child(root: &ObjectPath, relative: &str) -> ObjectPath {
    relative.split('/').fold(root.clone(), |p, part| p.join(part))
}

/// One file of a relation: the query that gives it and what it holds now.
struct PlannedFile {
    /// The Hive partition, for history.
    partition: Option<String>,
    fingerprint: String,
    sql: String,
    /// Its rows, when known before the query runs (tables and history days).
    rows: Option<u64>,
    /// A view's own text and the views it reads.
    view: Option<ViewText>,
}

/// A view's definition and the views it reads (through other views too; never itself), so
/// that on DuckDB a view reads those this export has written already from their files
/// rather than computing them again (the monthly occupancy reads the 1.1 million rows of
/// the daily one).
#[derive(Clone)]
struct ViewText {
    name: &'static str,
    select: String,
    reads: Vec<&'static str>,
}

/// One relation to export and the queries that give its files.
struct Plan {
    name: String,
    kind: RelationKind,
    files: Vec<PlannedFile>,
    max_run_id: Option<i64>,
}

fn text(rows: &warehouse::Rows, r: usize, c: usize) -> String {
    rows.rows.get(r).and_then(|row| row.get(c).cloned().flatten()).unwrap_or_default()
}

/// Plans every relation asked for, with the fingerprints of what they hold now.
fn plan(s: &mut dyn Session, d: warehouse::Dialect, opts: &ExportOptions) -> Result<Vec<Plan>, ExportError> {
    let wanted = |name: &str| opts.tables.as_deref().is_none_or(|p| matches(p, name));
    let mut plans = Vec::new();
    let mut table_fingerprints = BTreeMap::new();
    // Every table's count and newest run in one statement (a statement costs milliseconds).
    let union: Vec<String> = Catalog::get()
        .tables()
        .iter()
        .enumerate()
        .map(|(i, t)| format!("SELECT {i} AS N, COUNT(*), MAX(DW_RUN_ID) FROM {}", d.ident(&t.dw_name())))
        .collect();
    let mut all_counts = s.query_rows(&union.join("\nUNION ALL\n"))?;
    all_counts.rows.sort_by_key(|r| r.first().cloned().flatten().and_then(|n| n.parse::<usize>().ok()));
    for (i, t) in Catalog::get().tables().iter().enumerate() {
        let dw = t.dw_name();
        let counts = warehouse::Rows { columns: Vec::new(), rows: all_counts.rows.get(i).map(|r| vec![r[1..].to_vec()]).unwrap_or_default() };
        let fingerprint = format!("{}:{}", text(&counts, 0, 0), text(&counts, 0, 1));
        table_fingerprints.insert(dw.clone(), fingerprint.clone());
        if wanted(&dw) {
            let sql = format!("SELECT * FROM {}", d.ident(&dw));
            let file = PlannedFile { partition: None, fingerprint, sql, rows: text(&counts, 0, 0).parse().ok(), view: None };
            plans.push(Plan { name: dw, kind: RelationKind::Table, files: vec![file], max_run_id: text(&counts, 0, 1).parse().ok() });
        }
        if opts.history && t.history && wanted(&t.history_name()) {
            plans.push(history_plan(s, d, t)?);
        }
    }
    if opts.views {
        let all_views = views::views(d);
        let mut rebuilt_fingerprints = BTreeMap::new();
        for v in all_views.iter().filter(|v| wanted(v.name)) {
            let reads = views::reads(&v.select, &all_views);
            let fingerprint = view_fingerprint(s, v, &reads, &all_views, &table_fingerprints, &mut rebuilt_fingerprints)?;
            let sql = format!("SELECT * FROM {}", v.name);
            let view = ViewText { name: v.name, select: v.select.clone(), reads: reads.views.iter().map(|&i| all_views[i].name).filter(|&name| name != v.name).collect() };
            let file = PlannedFile { partition: None, fingerprint, sql, rows: None, view: Some(view) };
            plans.push(Plan { name: v.name.to_string(), kind: RelationKind::View, files: vec![file], max_run_id: None });
        }
    }
    Ok(plans)
}

/// A history table's files: one per day its versions became valid.
fn history_plan(s: &mut dyn Session, d: warehouse::Dialect, t: &crate::catalog::Table) -> Result<Plan, ExportError> {
    let hist = d.ident(&t.history_name());
    let days = s.query_rows(&format!(
        "SELECT CAST(CAST(VALID_FROM AS DATE) AS VARCHAR), COUNT(*), MAX(DW_RUN_ID), CAST(MAX(VALID_TO) AS VARCHAR) \
           FROM {hist} GROUP BY 1 ORDER BY 1"
    ))?;
    let files = (0..days.rows.len())
        .map(|r| {
            let day = text(&days, r, 0);
            let fingerprint = format!("{}:{}:{}", text(&days, r, 1), text(&days, r, 2), text(&days, r, 3));
            let sql = format!("SELECT * FROM {hist} WHERE {}", valid_on(d, &day));
            PlannedFile { partition: Some(format!("valid_from_date={day}")), fingerprint, sql, rows: text(&days, r, 1).parse().ok(), view: None }
        })
        .collect();
    let max_run_id = (0..days.rows.len()).filter_map(|r| text(&days, r, 2).parse().ok()).max();
    Ok(Plan { name: t.history_name(), kind: RelationKind::History, files, max_run_id })
}

/// The versions that became valid on `day` (`YYYY-MM-DD`), as a range of `VALID_FROM`,
/// which DuckDB's scan skips row groups by, where a cast of it would read every row: a
/// history of a year is exported day by day.
fn valid_on(d: warehouse::Dialect, day: &str) -> String {
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok().and_then(|start| Some((start.and_hms_opt(0, 0, 0)?, start.succ_opt()?.and_hms_opt(0, 0, 0)?))) {
        Some((start, end)) => format!(
            "VALID_FROM >= {} AND VALID_FROM < {}",
            warehouse::sql::timestamp_literal(d, start),
            warehouse::sql::timestamp_literal(d, end)
        ),
        None => format!("CAST(VALID_FROM AS DATE) = DATE '{day}'"),
    }
}

/// What a view's rows depend on: its definition and those of the views it reads, the
/// fingerprints of the tables it reads, and the content of the small tables the run rebuilds
/// (hashed once per export, in `rebuilt`). A view is rewritten only when one of them changed.
fn view_fingerprint(
    s: &mut dyn Session,
    view: &views::View,
    reads: &views::Reads,
    all_views: &[views::View],
    tables: &BTreeMap<String, String>,
    rebuilt: &mut BTreeMap<&'static str, String>,
) -> Result<String, ExportError> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(view.select.as_bytes());
    for &i in &reads.views {
        hash.update(all_views[i].select.as_bytes());
    }
    let mut read_tables: Vec<String> = reads.tables.iter().map(|t| t.dw_name()).collect();
    read_tables.sort();
    for name in read_tables {
        hash.update(format!("{name}={};", tables.get(&name).map_or("", String::as_str)).as_bytes());
    }
    for &name in &reads.rebuilt {
        if !rebuilt.contains_key(name) {
            let mut rows: Vec<String> = s.query_rows(&format!("SELECT * FROM {name}"))?.rows.iter().map(|r| format!("{r:?}")).collect();
            rows.sort_unstable();
            let content: String = Sha256::digest(rows.concat().as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
            rebuilt.insert(name, content);
        }
        hash.update(format!("{name}={};", rebuilt[name]).as_bytes());
    }
    Ok(hash.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect())
}

fn snapshots(s: &mut dyn Session) -> Result<Vec<ManifestSnapshot>, ExportError> {
    let rows = s.query_rows(
        "SELECT SOURCE, ARCHIVE_KEY, RUN_ID, CAST(LOADED_AT AS VARCHAR) FROM ETL_SNAPSHOTS s \
          WHERE LOADED_AT = (SELECT MAX(LOADED_AT) FROM ETL_SNAPSHOTS x WHERE x.SOURCE = s.SOURCE) ORDER BY SOURCE",
    )?;
    Ok((0..rows.rows.len())
        .map(|r| ManifestSnapshot {
            source: text(&rows, r, 0),
            archive_key: text(&rows, r, 1),
            run_id: text(&rows, r, 2).parse().unwrap_or_default(),
            loaded_at: text(&rows, r, 3),
        })
        .collect())
}

/// The files of an export: those to write, largest first, and those kept.
struct Schedule {
    jobs: Vec<Job>,
    /// Per plan and file: the previous export's file when kept, filled in when written.
    slots: Vec<Vec<Option<ManifestFile>>>,
    schemas: Vec<Vec<ManifestColumn>>,
    kept: usize,
}

/// Which files of `plans` are written again, and which are kept from the previous export
/// (`before`, by relation and partition) because their fingerprint is the same.
fn schedule(plans: &[Plan], before: &BTreeMap<(String, Option<String>), (ManifestFile, Vec<ManifestColumn>)>, full: bool, export_id: u64) -> Schedule {
    let mut slots: Vec<Vec<Option<ManifestFile>>> = plans.iter().map(|p| vec![None; p.files.len()]).collect();
    let mut schemas: Vec<Vec<ManifestColumn>> = vec![Vec::new(); plans.len()];
    let mut jobs = Vec::new();
    let mut kept = 0;
    for (pi, p) in plans.iter().enumerate() {
        for (fi, file) in p.files.iter().enumerate() {
            let previous_file = before.get(&(p.name.clone(), file.partition.clone()));
            if !full && let Some((old, old_schema)) = previous_file.filter(|(f, _)| f.fingerprint == file.fingerprint) {
                slots[pi][fi] = Some(old.clone());
                schemas[pi] = old_schema.clone();
                kept += 1;
                continue;
            }
            let folder = p.kind.folder();
            let relative = match &file.partition {
                Some(part) => format!("{folder}/{}/{part}/part-{export_id:06}.parquet", p.name),
                None => format!("{folder}/{}/part-{export_id:06}.parquet", p.name),
            };
            // A view's rows are known from the previous export, if any.
            let rows = file.rows.or(previous_file.map(|(f, _)| f.rows));
            let job = Job {
                plan: pi,
                slot: fi,
                relative,
                sql: file.sql.clone(),
                partition: file.partition.clone(),
                fingerprint: file.fingerprint.clone(),
                view: file.view.clone(),
            };
            jobs.push((rows, job));
        }
    }
    // The largest files first, so that no large one is left to run alone at the end; a view
    // never exported counts as large.
    jobs.sort_by_key(|(rows, _)| std::cmp::Reverse(rows.unwrap_or(u64::MAX)));
    Schedule { jobs: jobs.into_iter().map(|(_, job)| job).collect(), slots, schemas, kept }
}

/// Exports the warehouse of `config` as `opts` asks.
pub fn export(config: &Config, opts: &ExportOptions) -> Result<Exported, ExportError> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(ExportError::Runtime)?;
    let (store, root) = destination(config, &opts.to)?;
    let manifest_path = child(&root, MANIFEST);
    let previous: Option<Manifest> = match runtime.block_on(async { store.get(&manifest_path).await?.bytes().await }) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(ExportError::Manifest)?),
        Err(object_store::Error::NotFound { .. }) => None,
        Err(source) => return Err(ExportError::Store { path: manifest_path.to_string(), source }),
    };
    // The files are written here before they are uploaded, a private folder of this export.
    let local = tempfile::tempdir().map_err(ExportError::Temp)?;
    let wh = warehouse::open_for_export(&config.warehouse, local.path())?;
    let d = wh.dialect();
    let mut s = wh.session()?;
    let plans = plan(s.as_mut(), d, opts)?;
    let export_id = previous.as_ref().map_or(1, |m| m.export_id + 1);
    let kept_before: BTreeMap<(String, Option<String>), (ManifestFile, Vec<ManifestColumn>)> = previous
        .iter()
        .flat_map(|m| m.relations.iter())
        .flat_map(|r| r.files.iter().map(move |f| ((r.name.clone(), f.partition.clone()), (f.clone(), r.schema.clone()))))
        .collect();
    let Schedule { jobs, mut slots, mut schemas, kept } = schedule(&plans, &kept_before, opts.full, export_id);
    let written = jobs.len();
    for (job, w) in write_files(wh.as_ref(), &jobs, local.path(), store.as_ref(), &root, &runtime)? {
        schemas[job.plan] = w.schema.fields().iter().map(|f| ManifestColumn { name: f.name().clone(), ty: f.data_type().to_string() }).collect();
        slots[job.plan][job.slot] =
            Some(ManifestFile { path: job.relative.clone(), rows: w.rows, partition: job.partition.clone(), fingerprint: job.fingerprint.clone() });
    }
    let mut relations = Vec::with_capacity(plans.len());
    for ((p, files), schema) in plans.into_iter().zip(slots).zip(schemas) {
        let files: Vec<ManifestFile> = files.into_iter().flatten().collect();
        let rows = files.iter().map(|f| f.rows).sum();
        relations.push(ManifestRelation { name: p.name, kind: p.kind, rows, max_run_id: p.max_run_id, schema, files });
    }
    // Relations not asked for this time stay as the previous export left them.
    for r in previous.iter().flat_map(|m| m.relations.iter()) {
        if !relations.iter().any(|x: &ManifestRelation| x.name == r.name) {
            relations.push(r.clone());
        }
    }
    let last_run_id = s.query_rows("SELECT MAX(RUN_ID) FROM ETL_RUNS")?;
    let manifest = Manifest {
        export_id,
        exported_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        last_run_id: text(&last_run_id, 0, 0).parse().ok(),
        snapshots: snapshots(s.as_mut())?,
        relations,
    };
    let body = serde_json::to_vec_pretty(&manifest).map_err(ExportError::Manifest)?;
    let put_err = |source| ExportError::Store { path: manifest_path.to_string(), source };
    runtime.block_on(store.put(&manifest_path, PutPayload::from(body))).map_err(put_err)?;
    // Only now may the files of the previous export that the new one does not name go.
    let named: std::collections::BTreeSet<&str> = manifest.relations.iter().flat_map(|r| r.files.iter().map(|f| f.path.as_str())).collect();
    for (old, _) in kept_before.values().filter(|(f, _)| !named.contains(f.path.as_str())) {
        if let Err(e) = runtime.block_on(store.delete(&child(&root, &old.path))) {
            tracing::warn!("the export's old file {} could not be deleted: {e}", old.path);
        }
    }
    Ok(Exported { manifest, written, kept })
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns_match_names_case_insensitively() {
        assert!(matches("DW_MOLO_*", "DW_MOLO_SLIPS"));
        assert!(matches("dw_ns_*_v", "DW_NS_TRIAL_BALANCE_V"));
        assert!(!matches("DW_MOLO_*", "DW_NS_ACCOUNT"));
        assert!(matches("HIST_?S_*", "HIST_NS_TRANSACTION"));
    }
}
