//! The embedded DuckDB warehouse: one database file, sessions as cloned connections,
//! bulk loading through DuckDB's Arrow appender.
//!
//! DuckDB lets one process at a time open a file for writing, so a second run against
//! the same file is refused by the file lock: never two merges at once.

use std::sync::Mutex;

use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};
use duckdb::Connection;

use super::{Dialect, Result, Rows, Session, Warehouse, WarehouseError};
use crate::config::WarehouseConfig;

pub struct DuckDbWarehouse {
    root: Mutex<Connection>,
    /// Whether the database is the attached file (every session must `USE` it).
    attached: bool,
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
    /// Opens (or creates) the database at `path` (`:memory:` for a throwaway one).
    pub fn open(path: &str, config: &WarehouseConfig) -> Result<Self> {
        let open_err = |e: duckdb::Error| WarehouseError::Open { url: config.url.clone(), reason: one_line(&e) };
        let conn = Connection::open_in_memory().map_err(open_err)?;
        if path != ":memory:" {
            conn.execute_batch(&format!(
                "ATTACH {} AS {CATALOG} (ROW_GROUP_SIZE {ROW_GROUP_ROWS}); USE {CATALOG};",
                super::quote(path)
            ))
            .map_err(open_err)?;
        }
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
        conn.execute_batch(&settings).map_err(open_err)?;
        Ok(DuckDbWarehouse { root: Mutex::new(conn), attached: path != ":memory:" })
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
        if self.attached {
            conn.execute_batch(&format!("USE {CATALOG}")).map_err(|e| sql_err("new session", e))?;
        }
        Ok(Box::new(DuckDbSession { conn }))
    }
}

struct DuckDbSession {
    conn: Connection,
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
        self.conn.execute(sql, []).map(|n| n as u64).map_err(|e| sql_err(sql, e))
    }

    fn query_i64(&mut self, sql: &str) -> Result<i64> {
        self.conn.query_row(sql, [], |row| row.get::<_, i64>(0)).map_err(|e| sql_err(sql, e))
    }

    fn query_rows(&mut self, sql: &str) -> Result<Rows> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| sql_err(sql, e))?;
        let batches: Vec<RecordBatch> = stmt.query_arrow([]).map_err(|e| sql_err(sql, e))?.collect();
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
            for i in 0..batch.num_rows() {
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
        let mut appender = self.conn.appender(table).map_err(|e| sql_err(table, e))?;
        appender.append_record_batch(batch).map_err(|e| sql_err(table, e))?;
        appender.flush().map_err(|e| sql_err(table, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_attached_with_small_row_groups_in_every_session() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.duckdb");
        let config = WarehouseConfig {
            url: format!("duckdb://{}", path.display()),
            threads: Some(1),
            ..crate::config::Config::default().warehouse
        };
        let wh = DuckDbWarehouse::open(path.to_str().unwrap(), &config).unwrap();
        let mut s = wh.session().unwrap();
        s.execute("CREATE TABLE T AS SELECT range AS I FROM range(40000)").unwrap();
        let row_groups = "SELECT COUNT(DISTINCT row_group_id) FROM pragma_storage_info('T')";
        assert_eq!(wh.session().unwrap().query_i64(row_groups).unwrap(), 3);
        drop((s, wh));
        assert!(std::fs::metadata(&path).unwrap().len() > 0, "the data lives in the named file");
    }
}
