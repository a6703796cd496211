//! Where rows go: a warehouse backend (embedded DuckDB by default) reached through
//! sessions, the staging tables that take each snapshot's typed rows, the merge that
//! publishes them into `DW_` tables, and the run ledger.
//!
//! Backends differ only in how they connect, how they bulk-load a batch, how a run is
//! made exclusive and the SQL dialect; the merge engine ([`merge`]) and the ledger
//! ([`ledger`]) are written once.

pub mod duckdb;
pub mod history;
pub mod ledger;
pub mod merge;
pub mod staging;
pub mod oracle;
mod pg_arrow;
mod pg_text;
mod pg_tls;
pub mod postgres;
pub mod schema;
pub mod sql;

use std::path::{Path, PathBuf};

use ::duckdb::arrow::record_batch::RecordBatch;

use crate::config::{MaskedUrl, WarehouseConfig};
pub use sql::Dialect;

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// The URL names no backend this program has. A configuration error.
    #[error("warehouse URL '{0}' is not supported (use duckdb://FILE or postgres://...)")]
    UnsupportedUrl(MaskedUrl),
    /// The URL names a backend but no usable database (an empty or in-memory DuckDB
    /// path, a folder, a file in a missing folder, a malformed PostgreSQL URL, an
    /// unreadable password file). A configuration error.
    #[error("warehouse URL '{url}': {reason}")]
    BadUrl { url: MaskedUrl, reason: String },
    #[error("cannot open the warehouse {url}: {reason}")]
    Open { url: MaskedUrl, reason: String },
    /// A DuckDB file that a run is loading: DuckDB lets no other process open it then.
    #[error("the warehouse {url} is being loaded by a run, and DuckDB lets no other process read the file meanwhile; try again when the run has finished")]
    Busy { url: MaskedUrl },
    /// The server did not answer within the client's deadline; the connection was dropped.
    #[error("{context}: the warehouse {url} did not answer within {}; gave up", humantime::format_duration(*after))]
    NoAnswer { context: String, url: MaskedUrl, after: std::time::Duration },
    /// The server canceled a statement: its `statement_timeout` ran out (or an
    /// administrator canceled it). The server's message says which.
    #[error("{context}: {reason}")]
    Canceled { context: String, reason: String },
    #[error("{context}: {reason}")]
    Sql { context: String, reason: String },
}

impl WarehouseError {
    /// Whether the configuration is at fault (exit code 2) rather than the warehouse or
    /// the work asked of it (exit code 1).
    pub fn is_configuration(&self) -> bool {
        matches!(self, WarehouseError::UnsupportedUrl(_) | WarehouseError::BadUrl { .. })
    }
}

pub type Result<T> = std::result::Result<T, WarehouseError>;

/// A result set as text, for the ledger, `status` and `query`.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// A warehouse that hands out sessions; sessions may run on different threads at once.
pub trait Warehouse: Send + Sync {
    fn dialect(&self) -> Dialect;
    fn session(&self) -> Result<Box<dyn Session>>;
    /// Lets each statement use up to `threads` cores from now on, where the backend runs
    /// statements in this process (a database server schedules its own work).
    fn set_threads(&self, threads: usize) -> Result<()> {
        let _ = threads;
        Ok(())
    }
}

/// One connection to the warehouse.
pub trait Session: Send {
    /// Runs a statement; returns the rows it changed.
    fn execute(&mut self, sql: &str) -> Result<u64>;
    /// Runs a query that returns one integer (`SELECT COUNT(*) ...`).
    fn query_i64(&mut self, sql: &str) -> Result<i64>;
    /// Runs a query and returns every value as text.
    fn query_rows(&mut self, sql: &str) -> Result<Rows>;
    /// Runs a query and returns the first `limit` rows (all when `None`) as text. The
    /// backends never hold the rest in memory; this default (for test doubles) does.
    fn query_rows_at_most(&mut self, sql: &str, limit: Option<usize>) -> Result<Rows> {
        let mut rows = self.query_rows(sql)?;
        rows.rows.truncate(limit.unwrap_or(usize::MAX));
        Ok(rows)
    }
    /// Bulk-loads a batch into a table whose columns match the batch's schema.
    fn append(&mut self, table: &str, batch: RecordBatch) -> Result<()>;
    /// Runs a query and hands its result to `sink` as Arrow record batches, one at a time
    /// (its schema first, also for an empty result), so that memory holds one batch.
    fn query_batches(&mut self, sql: &str, sink: &mut dyn BatchSink) -> Result<()> {
        let _ = sink;
        Err(WarehouseError::Sql { context: sql.lines().next().unwrap_or("").into(), reason: "this session cannot give Arrow batches".into() })
    }
}

/// Takes the result of [`Session::query_batches`]. Returning `false` stops the query (the
/// sink keeps its own reason).
pub trait BatchSink {
    fn schema(&mut self, schema: ::duckdb::arrow::datatypes::SchemaRef) -> bool;
    fn batch(&mut self, batch: RecordBatch) -> bool;
}

/// What a warehouse URL names, once checked.
enum Target<'a> {
    DuckDb(&'a Path),
    Postgres,
}

/// Reads the URL of the configuration: which backend, and for DuckDB a file that can be.
/// Every command that reaches the warehouse comes through here, so an unusable URL is the
/// same configuration error (exit code 2) for all of them.
fn target(config: &WarehouseConfig) -> Result<Target<'_>> {
    let url = config.url.as_str();
    if let Some(path) = url.strip_prefix("duckdb://") {
        let bad = |reason: String| WarehouseError::BadUrl { url: MaskedUrl::new(url), reason };
        if path.trim().is_empty() {
            return Err(bad("names no DuckDB file (write duckdb://FILE, e.g. duckdb://marina.duckdb)".into()));
        }
        // An in-memory database would take a run's load and lose it when the run ends,
        // reporting success each time.
        if path.starts_with(":memory:") {
            return Err(bad("an in-memory DuckDB database keeps nothing; name a file (duckdb://FILE)".into()));
        }
        let file = Path::new(path);
        if file.is_dir() {
            return Err(bad(format!("{path} is a folder; name the DuckDB file in it (duckdb://{}/marina.duckdb)", path.trim_end_matches('/'))));
        }
        if let Some(folder) = file.parent().filter(|f| !f.as_os_str().is_empty())
            && !folder.is_dir()
        {
            return Err(bad(format!("the folder {} does not exist", folder.display())));
        }
        return Ok(Target::DuckDb(file));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres);
    }
    Err(WarehouseError::UnsupportedUrl(MaskedUrl::new(url)))
}

/// Opens the configured warehouse.
pub fn open(config: &WarehouseConfig) -> Result<Box<dyn Warehouse>> {
    match target(config)? {
        Target::DuckDb(path) => Ok(Box::new(duckdb::DuckDbWarehouse::open(path, config)?)),
        Target::Postgres => Ok(Box::new(postgres::PgWarehouse::open(config)?)),
    }
}

/// Opens the configured warehouse for a person's queries (`marina-etl query`): the
/// database engine refuses every change, and on DuckDB every access to other files
/// (`read_csv('/etc/passwd')`, `COPY ... TO`, `ATTACH`). Sessions run one statement per
/// query. Works on a read-only DuckDB file, and on PostgreSQL while a run loads.
pub fn open_read_only(config: &WarehouseConfig) -> Result<Box<dyn Warehouse>> {
    match target(config)? {
        Target::DuckDb(path) => Ok(Box::new(duckdb::DuckDbWarehouse::open_read_only(path, config, None)?)),
        Target::Postgres => Ok(Box::new(postgres::PgWarehouse::open_read_only(config)?)),
    }
}

/// Opens the configured warehouse for `export`: as [`open_read_only`], except that DuckDB
/// may write files in `folder`, where its own Parquet writer puts the export's files.
pub fn open_for_export(config: &WarehouseConfig, folder: &Path) -> Result<Box<dyn Warehouse>> {
    match target(config)? {
        Target::DuckDb(path) => Ok(Box::new(duckdb::DuckDbWarehouse::open_read_only(path, config, Some(folder))?)),
        Target::Postgres => Ok(Box::new(postgres::PgWarehouse::open_read_only(config)?)),
    }
}

/// Held for the whole of a run so that runs against one warehouse never overlap; released
/// when dropped (or when the process ends, however it ends).
pub enum RunLock {
    /// An OS lock on `<database file>.lock` next to the DuckDB file.
    File(std::fs::File),
    /// A session-level advisory lock, held by its own connection.
    Advisory(Box<postgres::AdvisoryLock>),
}

/// The file whose OS lock is the run lock of a DuckDB warehouse.
fn lock_file_of(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the run lock of the configured warehouse if it is free: `Ok(None)` when another
/// run holds it. Taken before the warehouse is opened: DuckDB lets only one process open
/// the file, so a second run must wait here rather than fail to open it.
pub fn try_lock_run(config: &WarehouseConfig) -> Result<Option<RunLock>> {
    let path = match target(config)? {
        Target::DuckDb(path) => path,
        Target::Postgres => return Ok(postgres::PgWarehouse::try_lock_run(config)?.map(|lock| RunLock::Advisory(Box::new(lock)))),
    };
    let lock_path = lock_file_of(path);
    let open_err = |reason: String| WarehouseError::Open { url: MaskedUrl::new(&config.url), reason };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| open_err(format!("cannot open the lock file {}: {e}", lock_path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(RunLock::File(file))),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(open_err(format!("cannot lock {}: {e}", lock_path.display()))),
    }
}

/// Whether a run holds the run lock of the DuckDB file at `database`. Asked only once the
/// file could not be opened, to say why: the shared lock it takes for a moment would make
/// a run starting in that very moment refuse to start.
fn run_in_progress(database: &Path) -> bool {
    std::fs::File::open(lock_file_of(database))
        .is_ok_and(|f| matches!(f.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock)))
}

/// Quotes a text literal for SQL.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A text literal or NULL.
pub fn quote_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "NULL".to_string(), quote)
}

/// Runs `body` in one transaction: committed when it returns Ok, rolled back otherwise.
pub fn in_transaction<T, E: From<WarehouseError>>(
    s: &mut dyn Session,
    body: impl FnOnce(&mut dyn Session) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    s.execute("BEGIN TRANSACTION")?;
    match body(s).and_then(|v| s.execute("COMMIT").map(|_| v).map_err(E::from)) {
        Ok(v) => Ok(v),
        Err(e) => {
            // The transaction may already be gone (a failed COMMIT); the error that
            // matters is the first one.
            let _ = s.execute("ROLLBACK");
            Err(e)
        }
    }
}
