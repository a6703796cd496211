//! A warehouse for view fixtures: every `DW_` table of the catalog, the run ledger and the
//! views, on the backend under test, with rows inserted straight into the tables and query
//! results compared as text (`a|b|NULL`), order-insensitively. The same harness as
//! `tests/views.rs`, for the test binaries that include this file with `#[path]`.
#![allow(dead_code)]

use std::cell::RefCell;

use chrono::NaiveDate;
use marina_etl::catalog::Catalog;
use marina_etl::config::Config;
use marina_etl::views::{self, CalendarRange};
use marina_etl::warehouse::sql::{Dialect, create_dw_table};
use marina_etl::warehouse::{self, Session, Warehouse};

use super::common::{self, Backend};

/// The soft-delete time of deleted fixture rows.
pub const DELETED: &str = "2025-01-01 00:00:00";

/// A value of a fixture column.
pub enum Lit {
    Null,
    Int(i64),
    Num(f64),
    Text(String),
    Bool(bool),
}

impl From<i32> for Lit {
    fn from(v: i32) -> Self {
        Lit::Int(v.into())
    }
}
impl From<i64> for Lit {
    fn from(v: i64) -> Self {
        Lit::Int(v)
    }
}
impl From<f64> for Lit {
    fn from(v: f64) -> Self {
        Lit::Num(v)
    }
}
impl From<&str> for Lit {
    fn from(v: &str) -> Self {
        Lit::Text(v.to_string())
    }
}
impl From<bool> for Lit {
    fn from(v: bool) -> Self {
        Lit::Bool(v)
    }
}
impl<T: Into<Lit>> From<Option<T>> for Lit {
    fn from(v: Option<T>) -> Self {
        v.map_or(Lit::Null, Into::into)
    }
}

impl Lit {
    /// The literal; on PostgreSQL every value is an untyped quoted literal, which takes the
    /// column's type as DuckDB's implicit casts do.
    fn sql(&self, backend: Backend) -> String {
        if backend == Backend::Postgres {
            return match self {
                Lit::Null => "NULL".into(),
                Lit::Int(v) => format!("'{v}'"),
                Lit::Num(v) => format!("'{v}'"),
                Lit::Text(s) => format!("'{}'", s.replace('\'', "''")),
                Lit::Bool(b) => format!("'{b}'"),
            };
        }
        match self {
            Lit::Null => "NULL".into(),
            Lit::Int(v) => v.to_string(),
            Lit::Num(v) => v.to_string(),
            Lit::Text(s) => format!("'{}'", s.replace('\'', "''")),
            Lit::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        }
    }
}

/// `ins!(wh, "DW_TABLE", COL = value, ...)`: one row; the other columns stay NULL.
/// Text is cast by DuckDB to the column type (dates, timestamps).
#[macro_export]
macro_rules! ins {
    ($wh:expr, $table:expr, $($col:ident = $val:expr),* $(,)?) => {
        $wh.insert($table, &[$((stringify!($col), $crate::fixture::Lit::from($val))),*])
    };
}

/// A warehouse of the backend under test: every `DW_` table of the catalog, then the views.
pub struct Wh {
    pub d: Dialect,
    backend: Backend,
    session: RefCell<Box<dyn Session>>,
    _warehouse: Box<dyn Warehouse>,
    _dir: tempfile::TempDir,
}

impl Wh {
    pub fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default().warehouse;
        config.url = common::warehouse_url(backend, dir.path());
        let warehouse = warehouse::open(&config).unwrap();
        let session = RefCell::new(warehouse.session().unwrap());
        let wh = Wh { d: warehouse.dialect(), backend, session, _warehouse: warehouse, _dir: dir };
        wh.exec(Catalog::get().tables().iter().map(|t| create_dw_table(wh.d, t)).collect());
        // The aging views read the run ledger's ETL_SNAPSHOTS, as the pipeline creates it first.
        wh.exec(marina_etl::warehouse::ledger::create_statements(wh.d));
        wh.create_views();
        wh
    }

    pub fn create_views(&self) {
        self.exec(views::create_view_statements(self.d));
    }

    pub fn exec(&self, stmts: Vec<String>) {
        let mut s = self.session.borrow_mut();
        for stmt in stmts {
            s.execute(&stmt).unwrap_or_else(|e| panic!("{e}\n{stmt}"));
        }
    }

    pub fn calendar(&self, start: &str, end: &str) {
        self.exec(views::calendar_statements(self.d, &CalendarRange { start: date(start), end: date(end) }));
    }

    pub fn mapping(&self, pairs: &[(i64, i64)]) {
        self.exec(views::location_subsidiary_statements(self.d, pairs));
    }

    pub fn insert(&self, table: &str, cols: &[(&str, Lit)]) {
        let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
        let values: Vec<String> = cols.iter().map(|(_, v)| v.sql(self.backend)).collect();
        self.exec(vec![format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), values.join(", "))]);
    }

    /// The rows of a query as `a|b|NULL|...` strings, values as DuckDB casts them to text.
    pub fn rows(&self, sql: &str) -> Vec<String> {
        let mut s = self.session.borrow_mut();
        let rows = match self.backend {
            Backend::DuckDb => s.query_rows(&format!("SELECT COLUMNS(*)::VARCHAR FROM ({sql}) q")),
            Backend::Postgres => s.query_rows(sql),
        }
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
        rows.rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|v| match v {
                        None => "NULL".to_string(),
                        // Typed values read back as `YYYY-MM-DDTHH:MM:SS`; DuckDB's text cast
                        // writes a space.
                        Some(v) if self.backend == Backend::Postgres => timestamp_as_text(v),
                        Some(v) => v,
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    }

    /// Asserts the rows of a query, in any order.
    pub fn check(&self, sql: &str, expected: &[&str]) {
        let mut got = self.rows(sql);
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "\nquery: {sql}\ngot:\n  {}\nwant:\n  {}\n", got.join("\n  "), want.join("\n  "));
    }

    pub fn columns(&self, relation: &str) -> Vec<String> {
        let mut s = self.session.borrow_mut();
        s.query_rows(&format!("SELECT * FROM {relation} WHERE 1 = 0")).unwrap().columns
    }

    /// The column types of a relation, spelled as DuckDB spells them.
    pub fn column_types(&self, relation: &str) -> String {
        match self.backend {
            Backend::DuckDb => self.rows(&format!("SELECT column_type FROM (DESCRIBE {relation})")).join(","),
            Backend::Postgres => self
                .rows(&format!(
                    "SELECT CASE data_type WHEN 'character varying' THEN 'VARCHAR' WHEN 'text' THEN 'VARCHAR' \
                       WHEN 'numeric' THEN 'DECIMAL(' || numeric_precision || ',' || numeric_scale || ')' \
                       ELSE UPPER(data_type) END, ordinal_position \
                     FROM information_schema.columns WHERE table_name = LOWER('{relation}') ORDER BY ordinal_position"
                ))
                .iter()
                .map(|r| r.split('|').next().unwrap().to_string())
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// `2025-03-01T10:00:00` as `2025-03-01 10:00:00`; any other text unchanged.
fn timestamp_as_text(v: String) -> String {
    let b = v.as_bytes();
    let looks_like = b.len() >= 19
        && b[10] == b'T'
        && b[4] == b'-'
        && b[13] == b':'
        && b[..10].iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if looks_like { format!("{} {}", &v[..10], &v[11..]) } else { v }
}



pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
