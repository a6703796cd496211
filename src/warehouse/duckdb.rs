//! The embedded DuckDB warehouse: one database file, sessions as cloned connections,
//! bulk loading through DuckDB's Arrow appender.
//!
//! DuckDB lets one process at a time open a file for writing, so a second run against
//! the same file is refused by the file lock: never two merges at once.

use std::path::Path;
use std::sync::Mutex;

use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};
use duckdb::Connection;

use super::{Dialect, Result, Rows, Session, Warehouse, WarehouseError};
use crate::config::{MaskedUrl, WarehouseConfig};
use crate::serve::shutdown::StatementWatch;

pub struct DuckDbWarehouse {
    root: Mutex<Connection>,
    /// Opened for a person's queries: one statement per query (see [`statement_count`]).
    read_only: bool,
}

/// The name the warehouse file is attached under.
const CATALOG: &str = "warehouse";

/// Rows per row group. DuckDB writes a transaction's appends to the database file as it
/// goes only once they fill a row group; smaller ones go through the write-ahead log and
/// are compressed by the next checkpoint, on one thread after every source has published.
/// Most tables of a snapshot are smaller than DuckDB's default of 122,880 rows, so the
/// default turned the end of a scale-1 load into a 1.3 s single-threaded checkpoint. The
/// size is an option of ATTACH, not of the file, hence the attach.
const ROW_GROUP_ROWS: u32 = 16_384;

impl DuckDbWarehouse {
    /// Opens (or creates) the database file at `path` for loading.
    pub fn open(path: &Path, config: &WarehouseConfig) -> Result<Self> {
        let conn = attach(path, config, &format!("ROW_GROUP_SIZE {ROW_GROUP_ROWS}"))?;
        apply_settings(&conn, config, "")?;
        Ok(DuckDbWarehouse { root: Mutex::new(conn), read_only: false })
    }

    /// Opens the existing database file at `path` so that nothing can change it or reach
    /// any other file: the file is attached read-only (which also works on a read-only
    /// file or folder), access to other files and the network is switched off, and the
    /// configuration is locked so that no statement can switch it back on. Files in
    /// `writable_folder` alone stay reachable (`export` has DuckDB write its Parquet there).
    pub fn open_read_only(path: &Path, config: &WarehouseConfig, writable_folder: Option<&Path>) -> Result<Self> {
        let url = MaskedUrl::new(&config.url);
        if !path.exists() {
            return Err(WarehouseError::Open {
                url,
                reason: format!("{} does not exist: nothing was loaded into it yet (marina-etl run)", path.display()),
            });
        }
        let conn = attach(path, config, "READ_ONLY").map_err(|e| {
            // DuckDB lets no other process open a file that one process has open for
            // writing, which a run does from start to end.
            if super::run_in_progress(path) { WarehouseError::Busy { url: url.clone() } } else { e }
        })?;
        // The export writes several files at once, one per core, so each statement keeps to
        // one thread; and a file's rows need not keep the table's order, which spares
        // DuckDB's writer a buffer of each batch it would otherwise put back in order.
        let allowed = writable_folder.map_or_else(String::new, |folder| {
            format!(
                "SET allowed_directories = [{}]; SET threads = 1; SET preserve_insertion_order = false;",
                super::quote(&folder.to_string_lossy())
            )
        });
        apply_settings(&conn, config, &format!("{allowed} SET enable_external_access = false; SET lock_configuration = true;"))?;
        Ok(DuckDbWarehouse { root: Mutex::new(conn), read_only: true })
    }
}

/// An in-memory root database with the file attached as [`CATALOG`] and made the default.
fn attach(path: &Path, config: &WarehouseConfig, options: &str) -> Result<Connection> {
    let open_err = |e: duckdb::Error| WarehouseError::Open { url: MaskedUrl::new(&config.url), reason: one_line(&e) };
    let conn = Connection::open_in_memory().map_err(open_err)?;
    conn.execute_batch(&format!(
        "ATTACH {} AS {CATALOG} ({options}); USE {CATALOG};",
        super::quote(&path.to_string_lossy())
    ))
    .map_err(open_err)?;
    Ok(conn)
}

/// The settings of the configuration, then `last` (settings that must come after them).
fn apply_settings(conn: &Connection, config: &WarehouseConfig, last: &str) -> Result<()> {
    // A run names a limit (see `WarehouseConfig::memory_limit`); without one DuckDB
    // keeps up to 80% of the machine's memory in its buffer pool.
    let mut settings = config
        .memory_limit
        .as_ref()
        .map_or_else(String::new, |limit| format!("SET memory_limit = '{limit}';"));
    // The servers cannot download extensions: whatever is needed is compiled in, and
    // a missing one must fail loudly instead of trying the network.
    settings.push_str(" SET autoinstall_known_extensions = false;");
    if let Some(threads) = config.threads {
        settings.push_str(&format!(" SET threads = {threads};"));
    }
    settings.push(' ');
    settings.push_str(last);
    conn.execute_batch(&settings)
        .map_err(|e| WarehouseError::Open { url: MaskedUrl::new(&config.url), reason: one_line(&e) })
}

/// How many statements `sql` holds, by DuckDB's own parser; `None` when it does not parse
/// (preparing it then reports the syntax error without running anything).
///
/// The driver's `prepare` runs every statement but the last, so a person's query is
/// counted first, on an empty in-memory database of its own: the driver offers no other
/// way to the parser. That database is opened once per process: opening one costs about
/// 25 ms, which an export planning its files in some twenty queries paid each time.
fn statement_count(sql: &str) -> Option<usize> {
    use duckdb::ffi;
    /// The parser's database, never closed.
    struct ParserDatabase(ffi::duckdb_database);
    // SAFETY: a DuckDB database handle may be used from any thread; each count connects to
    // it on its own connection, which no other thread sees.
    unsafe impl Send for ParserDatabase {}
    unsafe impl Sync for ParserDatabase {}
    static PARSER: std::sync::OnceLock<Option<ParserDatabase>> = std::sync::OnceLock::new();
    let db = PARSER
        .get_or_init(|| {
            let mut db: ffi::duckdb_database = std::ptr::null_mut();
            // SAFETY: DuckDB writes the handle it creates into `db`, which lives to the end
            // of the process.
            (unsafe { ffi::duckdb_open(std::ptr::null(), &mut db) } == ffi::DuckDBSuccess).then_some(ParserDatabase(db))
        })
        .as_ref()?;
    let text = std::ffi::CString::new(sql).ok()?;
    // SAFETY: the connection and the extracted statements are created by DuckDB, checked
    // before use and destroyed once, in the reverse order of creation; `text` outlives the
    // call that reads it, and the database outlives the connection.
    unsafe {
        let mut con: ffi::duckdb_connection = std::ptr::null_mut();
        if ffi::duckdb_connect(db.0, &mut con) != ffi::DuckDBSuccess {
            return None;
        }
        let mut extracted: ffi::duckdb_extracted_statements = std::ptr::null_mut();
        let n = ffi::duckdb_extract_statements(con, text.as_ptr(), &mut extracted);
        ffi::duckdb_destroy_extracted(&mut extracted);
        ffi::duckdb_disconnect(&mut con);
        (n > 0).then_some(n as usize)
    }
}

impl Warehouse for DuckDbWarehouse {
    fn dialect(&self) -> Dialect {
        Dialect::DuckDb
    }

    fn set_threads(&self, threads: usize) -> Result<()> {
        self.session()?.execute(&format!("SET threads = {threads}")).map(|_| ())
    }

    fn session(&self) -> Result<Box<dyn Session>> {
        let conn = self.root.lock().expect("connection lock").try_clone().map_err(|e| sql_err("new session", e))?;
        conn.execute_batch(&format!("USE {CATALOG}")).map_err(|e| sql_err("new session", e))?;
        let handle = conn.interrupt_handle();
        let watch = StatementWatch::new(move || handle.interrupt());
        Ok(Box::new(DuckDbSession { conn, one_statement: self.read_only, watch }))
    }
}

struct DuckDbSession {
    conn: Connection,
    /// Refuse a query of several statements (the driver would run all but the last).
    one_statement: bool,
    /// Lets a shutdown interrupt the statement running at the end of its grace period.
    watch: StatementWatch,
}

fn one_line(e: &duckdb::Error) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sql_err(sql: &str, e: duckdb::Error) -> WarehouseError {
    let first_line = sql.lines().next().unwrap_or("").trim();
    WarehouseError::Sql { context: first_line.chars().take(120).collect(), reason: one_line(&e) }
}

impl Session for DuckDbSession {
    fn execute(&mut self, sql: &str) -> Result<u64> {
        let _running = self.watch.statement();
        self.conn.execute(sql, []).map(|n| n as u64).map_err(|e| sql_err(sql, e))
    }

    fn query_i64(&mut self, sql: &str) -> Result<i64> {
        let _running = self.watch.statement();
        self.conn.query_row(sql, [], |row| row.get::<_, i64>(0)).map_err(|e| sql_err(sql, e))
    }

    fn query_batches(&mut self, sql: &str, sink: &mut dyn super::BatchSink) -> Result<()> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| sql_err(sql, e))?;
        let batches = stmt.query_arrow([]).map_err(|e| sql_err(sql, e))?;
        if !sink.schema(batches.get_schema()) {
            return Ok(());
        }
        for batch in batches {
            if !sink.batch(batch) {
                break;
            }
        }
        Ok(())
    }

    fn query_rows(&mut self, sql: &str) -> Result<Rows> {
        self.query_rows_at_most(sql, None)
    }

    fn query_rows_at_most(&mut self, sql: &str, limit: Option<usize>) -> Result<Rows> {
        if self.one_statement
            && let Some(n @ 2..) = statement_count(sql)
        {
            return Err(WarehouseError::Sql {
                context: "query".into(),
                reason: format!("only one statement is allowed, this is {n}"),
            });
        }
        let limit = limit.unwrap_or(usize::MAX);
        let _running = self.watch.statement();
        let mut stmt = self.conn.prepare(sql).map_err(|e| sql_err(sql, e))?;
        // Batches are fetched as they are needed: a limit stops reading.
        let mut batches: Vec<RecordBatch> = Vec::new();
        let mut fetched = 0;
        for batch in stmt.query_arrow([]).map_err(|e| sql_err(sql, e))? {
            if fetched >= limit {
                break;
            }
            fetched += batch.num_rows();
            batches.push(batch);
        }
        let columns = stmt.column_names();
        let options = FormatOptions::default();
        let mut rows = Vec::new();
        for batch in &batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| WarehouseError::Sql { context: sql.into(), reason: e.to_string() })?;
            for i in 0..batch.num_rows().min(limit - rows.len()) {
                rows.push(
                    batch
                        .columns()
                        .iter()
                        .zip(&formatters)
                        .map(|(a, f)| (!a.is_null(i)).then(|| f.value(i).to_string()))
                        .collect(),
                );
            }
        }
        Ok(Rows { columns, rows })
    }

    fn append(&mut self, table: &str, batch: RecordBatch) -> Result<()> {
        let _running = self.watch.statement();
        // The appender looks in the attached database only; a connection's temporary tables
        // (`CREATE TEMP TABLE`) are in DuckDB's `temp` catalog.
        let mut appender = match self.conn.appender(table) {
            Ok(appender) => appender,
            Err(e) => self.conn.appender_to_catalog_and_db(table, "temp", "main").map_err(|_| sql_err(table, e))?,
        };
        appender.append_record_batch(batch).map_err(|e| sql_err(table, e))?;
        appender.flush().map_err(|e| sql_err(table, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_counted_by_one_parser_from_any_thread() {
        let counts: Vec<Vec<Option<usize>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..50)
                            .flat_map(|_| ["SELECT 1", "SELECT 1; DELETE FROM T", "SELECT ';' AS a; -- ; two", "SELEC FROM"])
                            .map(statement_count)
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for thread in counts {
            assert_eq!(thread.len(), 200);
            for (i, n) in thread.into_iter().enumerate() {
                assert_eq!(n, [Some(1), Some(2), Some(1), None][i % 4], "statement {i}");
            }
        }
    }

    #[test]
    fn the_file_is_attached_with_small_row_groups_in_every_session() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.duckdb");
        let config = WarehouseConfig {
            url: format!("duckdb://{}", path.display()),
            threads: Some(1),
            ..crate::config::Config::default().warehouse
        };
        let wh = DuckDbWarehouse::open(&path, &config).unwrap();
        let mut s = wh.session().unwrap();
        s.execute("CREATE TABLE T AS SELECT range AS I FROM range(40000)").unwrap();
        let row_groups = "SELECT COUNT(DISTINCT row_group_id) FROM pragma_storage_info('T')";
        assert_eq!(wh.session().unwrap().query_i64(row_groups).unwrap(), 3);
        drop((s, wh));
        assert!(std::fs::metadata(&path).unwrap().len() > 0, "the data lives in the named file");
    }
}
