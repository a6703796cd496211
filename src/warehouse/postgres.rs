//! The PostgreSQL warehouse: one connection per session, bulk loading through binary
//! `COPY ... FROM STDIN`, and the run lock as a session-level advisory lock.
//!
//! The URL is libpq's (`postgres://user@host:port/db?sslmode=prefer`). The password comes
//! from the URL, the `PGPASSWORD` environment variable or the file named by the
//! `password_file` key of `[warehouse]`, and is never shown: errors name the URL without it.
//!
//! TLS follows libpq's `sslmode`: `disable` never, `prefer` (the default) when the server
//! offers it, `require` always. Like libpq, `prefer` and `require` encrypt without checking
//! the server's certificate; `sslrootcert=FILE` in the URL makes the certificate and host
//! name be verified against that CA.
//!
//! Nothing waits for the server without a deadline: connecting (TCP, TLS, authentication)
//! has `connect_timeout` per host (the URL's, as libpq writes it, else `[warehouse]`'s,
//! else 10 s); each statement has the server's `statement_timeout` (`[warehouse]`,
//! default 30 min), and the client gives a silent server a minute more before it drops
//! the connection. Hence the asynchronous driver on a small runtime per connection: the
//! blocking one bounds only the TCP connect.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use duckdb::arrow::array::{
    Array, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use duckdb::arrow::datatypes::{DataType, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use rust_decimal::Decimal;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::config::SslMode;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls};

use super::{Dialect, Result, Rows, Session, Warehouse, WarehouseError};
use crate::config::{MaskedUrl, WarehouseConfig, DEFAULT_CONNECT_TIMEOUT};
use crate::serve::shutdown::StatementWatch;
use super::pg_text::{column_names, row_values};
use super::pg_tls::tls_connector;

/// Key of the advisory lock that makes runs exclusive (per database): "marina-e" in ASCII.
pub const RUN_LOCK_KEY: i64 = 0x6d61_7269_6e61_2d65;

/// How much longer than the server's statement timeout the client waits for an answer
/// before it gives the connection up: the server's own timeout, with its clear message,
/// comes first whenever the server is alive.
const ANSWER_GRACE: Duration = Duration::from_secs(60);

/// A PostgreSQL database reached by URL.
pub struct PgWarehouse {
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// The URL without its secrets, for messages.
    shown_url: MaskedUrl,
    /// Longest wait for a connection to be ready, every host of the URL included.
    connect_deadline: Duration,
    /// The server's `statement_timeout` (`None`: no limit).
    statement_timeout: Option<Duration>,
    /// Sessions refuse every change (`marina-etl query`).
    read_only: bool,
}

impl PgWarehouse {
    /// Parses the URL and checks that the database answers.
    pub fn open(config: &WarehouseConfig) -> Result<Self> {
        let wh = Self::from_config(config, false)?;
        wh.connect()?;
        Ok(wh)
    }

    /// As [`open`](Self::open), for sessions whose every transaction is read-only and
    /// whose queries are one statement each (see [`Session::query_rows_at_most`]).
    pub fn open_read_only(config: &WarehouseConfig) -> Result<Self> {
        let wh = Self::from_config(config, true)?;
        wh.connect()?;
        Ok(wh)
    }

    fn from_config(config: &WarehouseConfig, read_only: bool) -> Result<Self> {
        let shown_url = MaskedUrl::new(&config.url);
        let bad = |reason: String| WarehouseError::BadUrl { url: shown_url.clone(), reason };
        let mut url = url::Url::parse(&config.url).map_err(|e| bad(format!("not a valid URL: {e}")))?;
        // Options of ours that the driver does not know are taken out of the URL first.
        // `sslpassword` unlocks a client key, and no client key is ever sent: libpq
        // ignores it then too.
        let mut root_cert = None;
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter_map(|(k, v)| match k.as_ref() {
                "sslrootcert" => {
                    root_cert = Some(v.into_owned());
                    None
                }
                "sslpassword" => None,
                _ => Some((k.into_owned(), v.into_owned())),
            })
            .collect();
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
        let mut pg: tokio_postgres::Config = url.as_str().parse().map_err(|e: tokio_postgres::Error| bad(one_line(&e)))?;
        if pg.get_password().is_none() {
            if let Ok(p) = std::env::var("PGPASSWORD") {
                pg.password(p);
            } else if let Some(file) = &config.password_file {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| bad(format!("cannot read the password file {}: {e}", file.display())))?;
                pg.password(text.trim_end_matches(['\r', '\n']));
            }
        }
        pg.application_name("marina-etl");
        // libpq's `connect_timeout` bounds the whole of connecting to one host; the driver's
        // bounds only the TCP connect, so a server that accepts and never answers would
        // hang the handshake. The driver keeps its per-host bound (to move on to the next
        // host), and the client bounds the whole.
        let per_host = pg.get_connect_timeout().copied().or(config.connect_timeout).unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        pg.connect_timeout(per_host);
        let hosts = pg.get_hosts().len().max(1) as u32;
        let tls = match pg.get_ssl_mode() {
            SslMode::Disable => None,
            _ => Some(tls_connector(root_cert.as_deref()).map_err(|e| bad(e.to_string()))?),
        };
        Ok(PgWarehouse {
            config: pg,
            tls,
            shown_url,
            connect_deadline: per_host * hosts,
            statement_timeout: config.statement_timeout(),
            read_only,
        })
    }

    fn connect(&self) -> Result<PgConn> {
        let open_err = |reason: String| WarehouseError::Open { url: self.shown_url.clone(), reason };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| open_err(format!("cannot start the connection's runtime: {e}")))?;
        // The connection task exchanges the messages; it runs whenever the client waits.
        let connecting = async {
            let connection = match &self.tls {
                Some(tls) => {
                    let (client, connection) = self.config.connect(tls.clone()).await?;
                    (client, tokio::spawn(async move { drop(connection.await) }))
                }
                None => {
                    let (client, connection) = self.config.connect(NoTls).await?;
                    (client, tokio::spawn(async move { drop(connection.await) }))
                }
            };
            Ok::<_, tokio_postgres::Error>(connection)
        };
        let (client, connection) =
            match runtime.block_on(async { tokio::time::timeout(self.connect_deadline, connecting).await }) {
                Ok(Ok(connected)) => connected,
                Ok(Err(e)) => return Err(open_err(one_line(&e))),
                Err(_) => {
                    return Err(open_err(format!(
                        "the server did not answer within {} (connect_timeout)",
                        humantime::format_duration(self.connect_deadline)
                    )));
                }
            };
        let watch = cancel_watch(client.cancel_token(), self.tls.clone(), self.connect_deadline);
        let mut conn = PgConn {
            runtime,
            client: Some(client),
            connection: Some(connection),
            deadline: Some(self.connect_deadline),
            shown_url: self.shown_url.clone(),
            abandoned: false,
            watch,
        };
        // Notices such as "table does not exist, skipping" are noise for a pipeline.
        // Nested loops are off: warehouse tables have no indexes, so a nested loop is a
        // scan per row, and the planner picks one whenever it underestimates a table just
        // loaded in the same transaction (a `DW_` table merged a moment ago reads as
        // empty), which turns a one-second merge quadratic. Joins that only a nested loop
        // can do (the views' date ranges) still get one.
        // JIT is off: the merge's cost estimates are large enough to trigger it, and
        // compiling a 96-column comparison takes seconds longer than running it.
        // A merge hash-joins a snapshot with its table: with the default 4 MB of work
        // memory that spills to disk and sorts instead.
        let timeout_ms = self.statement_timeout.map_or(0, |t| t.as_millis().max(1));
        let mut settings = format!(
            "SET client_min_messages = warning; SET enable_nestloop = off; SET jit = off; SET work_mem = '64MB'; \
             SET statement_timeout = {timeout_ms}"
        );
        if self.read_only {
            settings.push_str("; SET default_transaction_read_only = on");
        }
        conn.wait("session settings", async |c| c.batch_execute(&settings).await).map_err(|e| match e {
            WarehouseError::Sql { reason, .. } => open_err(reason),
            other => other,
        })?;
        conn.deadline = self.statement_timeout.map(|t| t + ANSWER_GRACE);
        Ok(conn)
    }

    /// Takes the run lock if no other session holds it: `Ok(None)` when it is taken.
    pub fn try_lock_run(config: &WarehouseConfig) -> Result<Option<AdvisoryLock>> {
        let wh = Self::from_config(config, false)?;
        let mut conn = wh.connect()?;
        let sql = format!("SELECT pg_try_advisory_lock({RUN_LOCK_KEY})");
        let got: bool = conn.wait("run lock", async |c| c.query_one(&sql, &[]).await?.try_get(0))?;
        Ok(got.then_some(AdvisoryLock(conn)))
    }
}

/// One connection: the asynchronous driver on a runtime of its own, so that every wait
/// for the server has a deadline (the blocking `postgres` crate offers none).
struct PgConn {
    runtime: tokio::runtime::Runtime,
    /// `None` only while dropping.
    client: Option<Client>,
    connection: Option<tokio::task::JoinHandle<()>>,
    /// Longest wait for one exchange (`None`: no limit).
    deadline: Option<Duration>,
    shown_url: MaskedUrl,
    /// A deadline passed: what the server did is unknown, so the connection is not used again.
    abandoned: bool,
    /// Lets a shutdown cancel the statement running at the end of its grace period.
    watch: StatementWatch,
}

impl PgConn {
    /// Runs one exchange with the server, `context` naming it in errors.
    fn wait<T>(
        &mut self,
        context: &str,
        work: impl AsyncFnOnce(&Client) -> std::result::Result<T, tokio_postgres::Error>,
    ) -> Result<T> {
        self.wait_mapped(context, async |c| work(c).await.map_err(|e| sql_err(context, e)))
    }

    /// As [`wait`](Self::wait), for work that names its own errors.
    fn wait_mapped<T>(&mut self, context: &str, work: impl AsyncFnOnce(&Client) -> Result<T>) -> Result<T> {
        let context_line = || context.lines().next().unwrap_or("").trim().chars().take(120).collect::<String>();
        if self.abandoned {
            return Err(WarehouseError::Sql {
                context: context_line(),
                reason: "the connection was given up after the server stopped answering".into(),
            });
        }
        let client = self.client.as_ref().expect("the client lives until the connection is dropped");
        let deadline = self.deadline;
        let _running = self.watch.statement();
        let outcome = self.runtime.block_on(async {
            match deadline {
                Some(d) => tokio::time::timeout(d, work(client)).await,
                None => Ok(work(client).await),
            }
        });
        outcome.unwrap_or_else(|_| {
            self.abandoned = true;
            Err(WarehouseError::NoAnswer {
                context: context_line(),
                url: self.shown_url.clone(),
                after: deadline.unwrap_or_default(),
            })
        })
    }
}

/// A watch that cancels the connection's running statement with PostgreSQL's cancel
/// request (a connection of its own, as libpq's `PQcancel`), bounded by `deadline`.
fn cancel_watch(
    token: tokio_postgres::CancelToken,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    deadline: Duration,
) -> StatementWatch {
    StatementWatch::new(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        let canceled = runtime.block_on(async {
            let request = async {
                match &tls {
                    Some(tls) => token.cancel_query(tls.clone()).await,
                    None => token.cancel_query(NoTls).await,
                }
            };
            tokio::time::timeout(deadline, request).await
        });
        if let Ok(Err(e)) = canceled {
            tracing::warn!("cannot cancel a running statement: {}", one_line(&e));
        }
    })
}

impl Drop for PgConn {
    fn drop(&mut self) {
        // Without a client the connection task says goodbye to the server (Terminate) and
        // ends; the server would otherwise log an unexpected end of the connection.
        drop(self.client.take());
        if let Some(task) = self.connection.take()
            && !self.abandoned
        {
            let _ = self.runtime.block_on(async { tokio::time::timeout(Duration::from_secs(5), task).await });
        }
    }
}

/// The run lock: a session-level advisory lock on its own connection. The server drops it
/// when the connection ends, also when the process is killed.
pub struct AdvisoryLock(PgConn);

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        // Unlocked explicitly: the server ends a closed session asynchronously, and a run
        // that follows at once in the same process must find the lock free.
        let sql = format!("SELECT pg_advisory_unlock({RUN_LOCK_KEY})");
        let _ = self.0.wait("run unlock", async |c| c.execute(&sql, &[]).await);
    }
}

impl Warehouse for PgWarehouse {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn session(&self) -> Result<Box<dyn Session>> {
        Ok(Box::new(PgSession { conn: self.connect()?, read_only: self.read_only }))
    }
}

struct PgSession {
    conn: PgConn,
    read_only: bool,
}

/// The server's message (and detail) on one line, without the driver's prefixes.
fn one_line(e: &tokio_postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_string(),
        },
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn sql_err(sql: &str, e: tokio_postgres::Error) -> WarehouseError {
    let context = sql.lines().next().unwrap_or("").trim().chars().take(120).collect();
    let reason = one_line(&e);
    if e.code() == Some(&tokio_postgres::error::SqlState::QUERY_CANCELED) {
        WarehouseError::Canceled { context, reason }
    } else {
        WarehouseError::Sql { context, reason }
    }
}

impl Session for PgSession {
    fn execute(&mut self, sql: &str) -> Result<u64> {
        self.conn.wait(sql, async |c| c.execute(sql, &[]).await)
    }

    fn query_i64(&mut self, sql: &str) -> Result<i64> {
        let rows = self.query_rows(sql)?;
        let value = rows.rows.first().and_then(|r| r.first().cloned().flatten());
        value.and_then(|v| v.parse().ok()).ok_or_else(|| WarehouseError::Sql {
            context: sql.lines().next().unwrap_or("").chars().take(120).collect(),
            reason: "the query did not return one integer".into(),
        })
    }

    fn query_rows(&mut self, sql: &str) -> Result<Rows> {
        self.query_rows_at_most(sql, None)
    }

    fn query_rows_at_most(&mut self, sql: &str, limit: Option<usize>) -> Result<Rows> {
        let limit = limit.unwrap_or(usize::MAX);
        let read_only = self.read_only;
        self.conn.wait_mapped(sql, async |c| {
            // A prepared statement is one statement: the server refuses `a; b`.
            let stmt = c.prepare(sql).await.map_err(|e| sql_err(sql, e))?;
            let columns = column_names(&stmt);
            // A person's query runs in a transaction that is read-only from its start, so
            // that not even `SET TRANSACTION READ WRITE` inside it can make it write, and
            // which is rolled back whatever the query did.
            if read_only {
                c.batch_execute("START TRANSACTION READ ONLY").await.map_err(|e| sql_err(sql, e))?;
            }
            let fetched = async {
                let stream = c.query_raw(&stmt, std::iter::empty::<&dyn ToSql>()).await.map_err(|e| sql_err(sql, e))?;
                futures::pin_mut!(stream);
                let mut rows = Vec::new();
                // Rows past the limit are read from the connection and dropped at once.
                while let Some(row) = stream.try_next().await.map_err(|e| sql_err(sql, e))? {
                    if rows.len() < limit {
                        rows.push(row_values(&row).map_err(|e| sql_err(sql, e))?);
                    }
                }
                Ok(Rows { columns, rows })
            }
            .await;
            if read_only {
                let rolled_back = c.batch_execute("ROLLBACK").await;
                let rows = fetched?;
                rolled_back.map_err(|e| sql_err(sql, e))?;
                return Ok(rows);
            }
            fetched
        })
    }

    fn query_batches(&mut self, sql: &str, sink: &mut dyn super::BatchSink) -> Result<()> {
        self.conn.wait_mapped(sql, async |c| super::pg_arrow::query_batches(c, sql, sink).await)
    }

    fn append(&mut self, table: &str, batch: RecordBatch) -> Result<()> {
        let schema = batch.schema();
        let d = Dialect::Postgres;
        let columns = super::sql::ident_list(d, schema.fields().iter().map(|f| f.name().as_str()));
        let copy = format!("COPY {} ({columns}) FROM STDIN (FORMAT binary)", d.ident(table));
        let values: Vec<Column> = batch
            .columns()
            .iter()
            .map(|a| Column::from_arrow(a.as_ref()))
            .collect::<std::result::Result<_, String>>()
            .map_err(|reason| WarehouseError::Sql { context: table.to_string(), reason })?;
        let types: Vec<Type> = values.iter().map(Column::pg_type).collect();
        self.conn.wait(&copy, async |c| {
            let sink = c.copy_in(&copy).await?;
            let writer = BinaryCopyInWriter::new(sink, &types);
            futures::pin_mut!(writer);
            let mut row: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(values.len());
            for i in 0..batch.num_rows() {
                row.clear();
                row.extend(values.iter().map(|c| c.value(i)));
                writer.as_mut().write(&row).await?;
            }
            writer.finish().await.map(drop)
        })
    }
}

/// One Arrow column made ready for binary COPY.
enum Column<'a> {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<NaiveDate>>),
    Timestamp(Vec<Option<NaiveDateTime>>),
    Decimal(Vec<Option<Decimal>>),
    Text(Vec<Option<&'a str>>),
}

impl<'a> Column<'a> {
    fn from_arrow(a: &'a dyn Array) -> std::result::Result<Self, String> {
        fn cast<T: 'static>(a: &dyn Array) -> &T {
            a.as_any().downcast_ref::<T>().expect("array matches its data type")
        }
        Ok(match a.data_type() {
            DataType::Int64 => Column::Int(cast::<Int64Array>(a).iter().collect()),
            DataType::Float64 => Column::Float(cast::<Float64Array>(a).iter().collect()),
            DataType::Boolean => Column::Bool(cast::<BooleanArray>(a).iter().collect()),
            DataType::Utf8 => Column::Text(cast::<StringArray>(a).iter().collect()),
            DataType::Date32 => Column::Date(
                cast::<Date32Array>(a)
                    .iter()
                    .map(|d| d.map(|d| NaiveDate::from_num_days_from_ce_opt(d + EPOCH_DAYS_FROM_CE).ok_or(d)).transpose())
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|d| format!("date {d} days after 1970-01-01 is out of range"))?,
            ),
            DataType::Timestamp(TimeUnit::Microsecond, None) => Column::Timestamp(
                cast::<TimestampMicrosecondArray>(a)
                    .iter()
                    .map(|t| t.map(|t| DateTime::from_timestamp_micros(t).map(|d| d.naive_utc()).ok_or(t)).transpose())
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|t| format!("timestamp {t} µs after 1970 is out of range"))?,
            ),
            DataType::Decimal128(_, scale) => {
                let scale = *scale as u32;
                Column::Decimal(
                    cast::<Decimal128Array>(a)
                        .iter()
                        .map(|v| v.map(|v| Decimal::try_from_i128_with_scale(v, scale).map_err(|e| e.to_string())).transpose())
                        .collect::<std::result::Result<_, _>>()?,
                )
            }
            other => return Err(format!("cannot COPY a column of type {other}")),
        })
    }

    fn pg_type(&self) -> Type {
        match self {
            Column::Int(_) => Type::INT8,
            Column::Float(_) => Type::FLOAT8,
            Column::Bool(_) => Type::BOOL,
            Column::Date(_) => Type::DATE,
            Column::Timestamp(_) => Type::TIMESTAMP,
            Column::Decimal(_) => Type::NUMERIC,
            Column::Text(_) => Type::TEXT,
        }
    }

    fn value(&self, i: usize) -> &(dyn ToSql + Sync) {
        match self {
            Column::Int(v) => &v[i],
            Column::Float(v) => &v[i],
            Column::Bool(v) => &v[i],
            Column::Date(v) => &v[i],
            Column::Timestamp(v) => &v[i],
            Column::Decimal(v) => &v[i],
            Column::Text(v) => &v[i],
        }
    }
}

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;
