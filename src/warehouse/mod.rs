//! Where rows go: a warehouse backend (embedded DuckDB by default) reached through
//! sessions, the staging tables that take each snapshot's typed rows, the merge that
//! publishes them into `DW_` tables, and the run ledger.
//!
//! Backends differ only in how they connect, how they bulk-load a batch, how a run is
//! made exclusive and the SQL dialect; the merge engine ([`merge`]) and the ledger
//! ([`ledger`]) are written once.

pub mod duckdb;
pub mod ledger;
pub mod merge;
pub mod staging;
pub mod oracle;
pub mod postgres;
pub mod sql;

use ::duckdb::arrow::record_batch::RecordBatch;

pub use sql::Dialect;

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("warehouse URL '{0}' is not supported (use duckdb://FILE or postgres://...)")]
    UnsupportedUrl(String),
    #[error("cannot open the warehouse {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("{context}: {reason}")]
    Sql { context: String, reason: String },
}

impl WarehouseError {
    /// Whether the configuration names a warehouse that cannot be used, as opposed to
    /// one that failed while in use.
    pub fn is_configuration(&self) -> bool {
        matches!(self, WarehouseError::UnsupportedUrl(_))
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
    /// Bulk-loads a batch into a table whose columns match the batch's schema.
    fn append(&mut self, table: &str, batch: RecordBatch) -> Result<()>;
}

/// Opens the configured warehouse.
pub fn open(config: &crate::config::WarehouseConfig) -> Result<Box<dyn Warehouse>> {
    let url = &config.url;
    if let Some(path) = url.strip_prefix("duckdb://") {
        return Ok(Box::new(duckdb::DuckDbWarehouse::open(path, config)?));
    }
    if is_postgres_url(url) {
        return Ok(Box::new(postgres::PgWarehouse::open(config)?));
    }
    Err(WarehouseError::UnsupportedUrl(postgres::masked_url(url)))
}

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Held for the whole of a run so that runs against one warehouse never overlap; released
/// when dropped (or when the process ends, however it ends).
pub enum RunLock {
    /// An OS lock on `<database file>.lock` next to the DuckDB file.
    File(std::fs::File),
    /// A session-level advisory lock, held by its own connection.
    Advisory(postgres::AdvisoryLock),
    /// An in-memory DuckDB database belongs to one process: nothing to lock.
    InMemory,
}

/// Takes the run lock of the configured warehouse if it is free: `Ok(None)` when another
/// run holds it. Taken before the warehouse is opened: DuckDB lets only one process open
/// the file, so a second run must wait here rather than fail to open it.
pub fn try_lock_run(config: &crate::config::WarehouseConfig) -> Result<Option<RunLock>> {
    let url = &config.url;
    if let Some(path) = url.strip_prefix("duckdb://") {
        if path == ":memory:" {
            return Ok(Some(RunLock::InMemory));
        }
        let lock_path = format!("{path}.lock");
        let open_err = |reason: String| WarehouseError::Open { url: url.clone(), reason };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| open_err(format!("cannot open the lock file {lock_path}: {e}")))?;
        return match file.try_lock() {
            Ok(()) => Ok(Some(RunLock::File(file))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(open_err(format!("cannot lock {lock_path}: {e}"))),
        };
    }
    if is_postgres_url(url) {
        return Ok(postgres::PgWarehouse::try_lock_run(config)?.map(RunLock::Advisory));
    }
    Err(WarehouseError::UnsupportedUrl(postgres::masked_url(url)))
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
