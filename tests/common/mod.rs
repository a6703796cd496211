//! Test harness: a throwaway folder with the three source locations and a warehouse on
//! either backend (a DuckDB file, or a fresh database of a throwaway PostgreSQL cluster),
//! hand-made snapshot archives, runs, and queries of what loaded.
//!
//! Every test body takes a [`Backend`] and [`backend_tests!`] makes one `#[test]` per
//! backend of it (`duckdb::name` and `postgres::name`).
#![allow(dead_code)]

pub mod pg;
pub mod process;
pub mod prometheus;
pub mod two_tables;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use marina_etl::config::{Config, SourceConfig};
use marina_etl::run::{self, RunOptions, RunOutcome};
use marina_etl::warehouse;

/// The warehouse backend a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    DuckDb,
    Postgres,
}

/// `backend_tests!(a, b, ...)`: for each test body `fn a(backend: Backend)`, the tests
/// `duckdb::a` and `postgres::a`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod duckdb {
            $(#[test] fn $name() { super::$name($crate::common::Backend::DuckDb) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name($crate::common::Backend::Postgres) })*
        }
    };
}

/// A warehouse URL for one test: a new DuckDB file in `dir`, or a new PostgreSQL database.
pub fn warehouse_url(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::DuckDb => format!("duckdb://{}", dir.join("w.duckdb").display()),
        Backend::Postgres => pg::new_database(),
    }
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub backend: Backend,
}

impl Env {
    pub fn new(backend: Backend) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.warehouse.url = warehouse_url(backend, dir.path());
        for system in ["molo", "stellar", "netsuite"] {
            let folder = dir.path().join(system);
            std::fs::create_dir_all(&folder).unwrap();
            config.sources.insert(system.into(), SourceConfig { location: folder.display().to_string(), s3: None });
        }
        Env { dir, config, backend }
    }

    pub fn folder(&self, system: &str) -> PathBuf {
        self.dir.path().join(system)
    }

    /// Writes a ZIP snapshot whose last-modified time is `day` hours after a fixed epoch,
    /// so that later days are newer. Like a real export it holds every table of the
    /// system: the catalog's tables not in `files` are there with their header only.
    pub fn zip(&self, system: &str, name: &str, day: u64, files: &[(&str, &str)]) -> PathBuf {
        self.partial_zip(system, name, day, &complete(system, files))
    }

    /// Writes a ZIP snapshot holding only `files`.
    pub fn partial_zip(&self, system: &str, name: &str, day: u64, files: &[(&str, &str)]) -> PathBuf {
        let path = self.folder(system).join(name);
        write_zip(&path, files.iter().map(|(n, c)| (*n, c.as_bytes())));
        set_day(&path, day);
        path
    }

    /// Writes a Stellar gzip tar snapshot (`data/<table>.csv` members) holding every table
    /// of the catalog: those not in `files` with their header only.
    pub fn tar_gz(&self, name: &str, day: u64, files: &[(&str, &str)]) -> PathBuf {
        self.partial_tar_gz(name, day, &complete("stellar", files))
    }

    /// Writes a Stellar gzip tar snapshot holding only `files`.
    pub fn partial_tar_gz(&self, name: &str, day: u64, files: &[(&str, &str)]) -> PathBuf {
        let path = self.folder("stellar").join(name);
        let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
        gz.write_all(&tar_bytes(files)).unwrap();
        gz.finish().unwrap();
        set_day(&path, day);
        path
    }

    pub fn run(&self, sources: &[&str]) -> RunOutcome {
        self.run_with(sources, false, false)
    }

    pub fn run_with(&self, sources: &[&str], force: bool, allow_mass_delete: bool) -> RunOutcome {
        self.run_opts(RunOptions {
            sources: sources.iter().map(|s| s.parse().unwrap()).collect(),
            force,
            allow_mass_delete,
            ..RunOptions::default()
        })
    }

    pub fn run_opts(&self, opts: RunOptions) -> RunOutcome {
        run::run(&self.config, &opts).expect("run starts")
    }

    /// Every value as text (NULL as None).
    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let wh = warehouse::open(&self.config.warehouse).unwrap();
        let mut s = wh.session().unwrap();
        s.query_rows(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).rows
    }

    /// Rows as strings joined by '|', NULL as '∅'.
    pub fn lines(&self, sql: &str) -> Vec<String> {
        self.query(sql)
            .into_iter()
            .map(|r| r.into_iter().map(|v| v.unwrap_or_else(|| "∅".into())).collect::<Vec<_>>().join("|"))
            .collect()
    }

    /// Runs a statement on the warehouse, as a person at a SQL prompt would.
    pub fn execute(&self, sql: &str) {
        let wh = warehouse::open(&self.config.warehouse).unwrap();
        let mut s = wh.session().unwrap();
        s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.query(sql)[0][0].as_deref().unwrap().parse().unwrap()
    }

    /// The ledger row of one table in one run: status and the counts
    /// read|staged|rejected|inserted|updated|unchanged|deleted|undeleted.
    pub fn table_counts(&self, run_id: i64, table: &str) -> String {
        self.lines(&format!(
            "SELECT STATUS, ROWS_READ, ROWS_STAGED, ROWS_REJECTED, ROWS_INSERTED, ROWS_UPDATED, ROWS_UNCHANGED, \
                    ROWS_DELETED, ROWS_UNDELETED FROM ETL_RUN_TABLES WHERE RUN_ID = {run_id} AND TABLE_NAME = '{table}'"
        ))
        .join("\n")
    }

    /// Writes the configuration as TOML (for tests that run the binary).
    pub fn config_file(&self) -> PathBuf {
        let mut text = format!("[warehouse]\nurl = \"{}\"\n", self.config.warehouse.url);
        if let Some(file) = &self.config.warehouse.password_file {
            text.push_str(&format!("password_file = \"{}\"\n", file.display()));
        }
        for (name, s) in &self.config.sources {
            text.push_str(&format!("[sources.{name}]\nlocation = \"{}\"\n", s.location));
        }
        let path = self.dir.path().join("marina-etl.toml");
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// A tar of `files`, ended as tar ends an archive.
pub fn tar_bytes(files: &[(&str, &str)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, content.as_bytes()).unwrap();
    }
    tar.into_inner().unwrap()
}

/// `files`, then a header-only member for every other table of the system's catalog.
pub fn complete<'a>(system: &str, files: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    use marina_etl::catalog::Catalog;
    let system: marina_etl::catalog::System = system.parse().unwrap();
    let mut out = files.to_vec();
    for table in Catalog::get().tables_of(system) {
        if !files.iter().any(|(name, _)| name.eq_ignore_ascii_case(&table.file)) {
            out.push((leak(table.file.clone()), leak(header_line(table))));
        }
    }
    out
}

/// The CSV header of a catalog table, as its export writes it.
pub fn header_line(table: &marina_etl::catalog::Table) -> String {
    let headers: Vec<&str> = table.columns.iter().filter_map(|c| c.header.as_deref()).collect();
    format!("{}\n", headers.join(","))
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Writes a ZIP snapshot of `system` holding `files` and, header only, every other table.
pub fn write_snapshot_zip(path: &Path, system: &str, files: &[(&str, &str)]) {
    write_zip(path, complete(system, files).into_iter().map(|(n, c)| (n, c.as_bytes())));
}

pub fn write_zip<'a>(path: &Path, files: impl Iterator<Item = (&'a str, &'a [u8])>) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        zip.start_file(name, options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
}

pub fn set_day(path: &Path, day: u64) {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000 + day * 3600);
    std::fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
}

/// The path of the built binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_marina-etl"))
}

impl Env {
    /// A ZIP snapshot of exactly these members, as raw bytes.
    pub fn zip_raw(&self, system: &str, name: &str, day: u64, files: &[(&str, &[u8])]) -> PathBuf {
        let path = self.folder(system).join(name);
        write_zip(&path, files.iter().map(|(n, c)| (*n, *c)));
        set_day(&path, day);
        path
    }

    /// A ZIP snapshot with raw bytes (for invalid UTF-8).
    pub fn zip_bytes(&self, system: &str, name: &str, day: u64, files: &[(&str, &[u8])]) -> PathBuf {
        let path = self.folder(system).join(name);
        let named: Vec<(&str, &str)> = files.iter().map(|(n, _)| (*n, "")).collect();
        let others = complete(system, &named).into_iter().skip(files.len()).map(|(n, c)| (n, c.as_bytes()));
        write_zip(&path, files.iter().map(|(n, c)| (*n, *c)).chain(others));
        set_day(&path, day);
        path
    }
}
