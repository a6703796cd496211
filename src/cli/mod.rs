//! The command line: its arguments and `main` here; what each command does in [`commands`]
//! (and the demo in [`demo`]); exit codes in [`errors`], standard output in [`output`].

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::System;
use crate::config::Config;
use crate::generate::GenerateOptions;
use crate::html_report;
use crate::run::{self, RunOptions};

mod commands;
mod demo;
mod errors;
mod output;

use commands::*;
use demo::demo;
pub use demo::{DEMO_DATA, DEMO_REPORT, DEMO_WAREHOUSE};
pub use errors::{CliError, ExitStatus, QueryFailed};
pub use output::{render, Out};

/// Exit codes of the pipeline contract.
pub mod exit {
    pub const OK: i32 = 0;
    pub const SOURCE_FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NO_NEW_SNAPSHOT: i32 = 3;
}

#[derive(Parser, Debug)]
#[command(name = "marina-etl", version, about = "Keeps the marina analytics warehouse in step with MOLO, Stellar and NetSuite snapshots")]
pub struct Cli {
    /// Configuration file (default: marina-etl.toml when present, else the embedded default).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Log lines on stderr: human (default) or json (one object per line); `[log] format` otherwise.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<crate::logging::LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load the newest snapshot of every configured source (or of the named ones).
    Run {
        /// Source to load (molo, stellar, netsuite); repeatable. Default: all configured.
        #[arg(long = "source", value_parser = parse_system)]
        sources: Vec<System>,
        /// Load the newest snapshot even when it was already loaded.
        #[arg(long)]
        force: bool,
        /// Publish tables whose soft deletes exceed the mass-delete guard.
        #[arg(long)]
        allow_mass_delete: bool,
        /// Read every table again, also those whose archive member is unchanged since it was last published.
        #[arg(long)]
        full: bool,
        /// Wait up to this long (30m, 2h, 90s) for a snapshot newer than the last loaded one
        /// of each source; a source still late then ends the run with exit code 3.
        #[arg(long, value_parser = parse_duration)]
        wait: Option<std::time::Duration>,
        /// How often to look for the snapshot while waiting.
        #[arg(long, value_parser = parse_duration, default_value = "1m", requires = "wait")]
        poll: std::time::Duration,
        /// When another run is in progress on the warehouse, wait up to this long for it
        /// (e.g. `30s`, `5m`) instead of exiting at once.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        wait_lock: Option<std::time::Duration>,
        #[command(flatten)]
        fields: FieldOptions,
    },
    /// Run every check (reconciliation, data-quality rules, and with --validate-fields
    /// the field validation) against the warehouse as it is, without loading.
    Check {
        /// Source to check (molo, stellar, netsuite); repeatable. Default: all.
        #[arg(long = "source", value_parser = parse_system)]
        sources: Vec<System>,
        #[command(flatten)]
        fields: FieldOptions,
    },
    /// Show recent runs and the per-table counts of the latest run.
    Status {
        /// How many runs to list.
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Show one run: its sources' tables, rejects, checks that did not pass and notifications.
        #[arg(long = "run", value_name = "RUN_ID")]
        run: Option<i64>,
    },
    /// Send notifications by hand.
    Notify {
        /// Send a test message through every configured channel and say which worked.
        #[arg(long, required = true)]
        test: bool,
    },
    /// Check the deployment: configuration, sources, warehouse, run lock, temp space,
    /// SMTP and webhooks; one line each. Exit 0 when nothing failed, else 1.
    Doctor,
    /// Write synthetic snapshots of all three systems in their export formats.
    Generate {
        /// Folder that receives molo/, stellar/ and netsuite/.
        #[arg(long)]
        out: PathBuf,
        /// Size: 1 is about 700,000 rows; 0.01 for tests, 10 for benchmarks.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Export date of the last snapshot (YYYY-MM-DD).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// Number of consecutive daily snapshots, ending at --date.
        #[arg(long, default_value_t = 1)]
        days: u32,
    },
    /// Generate a small data set into ./demo-data, load it into ./marina.duckdb and show what loaded.
    Demo {
        /// Size of the generated data set.
        #[arg(long, default_value_t = 0.05)]
        scale: f64,
    },
    /// Print a view, a table or a read-only SELECT against the warehouse.
    Query {
        /// A view or table name, or a SELECT statement.
        query: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// At most this many rows.
        #[arg(long)]
        limit: Option<usize>,
        /// Answer over the tables as they were at this time (UTC, e.g. 2026-11-01T06:00),
        /// from their history tables.
        #[arg(long = "as-of", value_name = "TIME")]
        as_of: Option<String>,
    },
    /// Write one self-contained HTML page for the managers: marinas, rentals, finance, pipeline.
    Report {
        /// The HTML file to write (replaced whole, never half-written).
        #[arg(long)]
        out: PathBuf,
        /// First day (YYYY-MM-DD). Default: a year before --to.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Last day (YYYY-MM-DD). Default: the export date of the newest loaded snapshot.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// Only this MOLO marina location or Stellar location (repeatable). Default: all.
        #[arg(long = "location")]
        locations: Vec<i64>,
    },
    /// Run the pipeline on the schedule of `[schedule]` until SIGTERM or SIGINT, with
    /// `/healthz`, `/metrics` and `/runs` on `[serve] listen` when set.
    Serve,
    /// Load every stored snapshot of the sources dated in a period, oldest first, a day's
    /// snapshots in one run (those already loaded are skipped); stops after the first day
    /// on which one does not load.
    Replay {
        /// A source (molo, stellar, netsuite), repeatable; default every configured source.
        #[arg(long = "source", value_parser = parse_system)]
        source: Vec<System>,
        /// First day (YYYY-MM-DD), by the export date in the snapshot's name.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        to: chrono::NaiveDate,
    },
    /// Write the warehouse as Parquet (zstd) with a manifest, to a folder or s3://bucket/prefix.
    Export {
        /// A folder, or s3://bucket/prefix.
        #[arg(long)]
        to: String,
        /// Only the tables (and views, history tables) whose name matches this pattern (* and ?).
        #[arg(long)]
        tables: Option<String>,
        /// Also the views.
        #[arg(long)]
        views: bool,
        /// Also the history tables, partitioned by the day a version became valid.
        #[arg(long)]
        history: bool,
        /// Write everything, also what did not change since the last export.
        #[arg(long)]
        full: bool,
    },
    /// Print the SQL a DBA reviews or deploys by hand: DDL, merge (Oracle: procedures), views.
    Sql {
        /// The warehouse's SQL dialect.
        #[arg(long, value_enum)]
        dialect: SqlDialect,
        /// Tables (ledger, staging, DW), the merge, the views, or all three in that order.
        #[arg(long, value_enum, default_value_t = SqlPart::All)]
        what: SqlPart,
    },
}

/// `--validate-fields [--sample N] [--seed S]`.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct FieldOptions {
    /// Read sampled rows again from the archive and compare them field by field with the warehouse.
    #[arg(long)]
    pub validate_fields: bool,
    /// Rows per table to compare (0: every row).
    #[arg(long, default_value_t = 100, requires = "validate_fields")]
    pub sample: u64,
    /// Seed of the hash that picks the rows (default: a new one, printed).
    #[arg(long, requires = "validate_fields")]
    pub seed: Option<u64>,
}

impl FieldOptions {
    /// The sample asked for, with its seed chosen when none was given.
    pub fn sample(&self) -> Option<crate::check::fields::Sample> {
        self.validate_fields.then(|| crate::check::fields::Sample {
            rows: self.sample,
            seed: self.seed.unwrap_or_else(|| {
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64 % 1_000_000_000)
            }),
        })
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SqlDialect {
    Duckdb,
    Postgres,
    Oracle,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SqlPart {
    Ddl,
    Merge,
    Views,
    All,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

fn parse_system(s: &str) -> Result<System, String> {
    s.parse()
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (write it like 30s, 10m or 2h)"))?;
    if d.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(d)
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    crate::logging::set_format(cli.log_format.unwrap_or_default());
    let mut out = Out::stdout();
    // The doctor reads the configuration itself: one that does not load is one of its findings.
    let result = if matches!(cli.command, Command::Doctor) {
        crate::doctor::doctor(&mut out, cli.config.as_deref(), cli.log_format)
    } else {
        Config::load(cli.config.as_deref()).map_err(CliError::from).and_then(|config| {
        let progress = std::io::stderr().is_terminal();
        crate::logging::init(&config, cli.log_format, progress && matches!(cli.command, Command::Run { .. } | Command::Demo { .. }));
        match cli.command {
            Command::Run { sources, force, allow_mass_delete, full, wait, poll, wait_lock, fields } => {
                let wait = wait.map(|timeout| run::WaitOptions { timeout, poll });
                let validate_fields = fields.sample();
                if let Some(sample) = validate_fields {
                    eprintln!("marina-etl: field validation: {} row(s) per table, seed {}", sample.rows, sample.seed);
                }
                let opts = RunOptions { sources, force, allow_mass_delete, full, wait, wait_lock, validate_fields, ..RunOptions::default() };
                run_command(&mut out, &config, &opts, progress)
            }
            Command::Status { runs, run: None } => status(&mut out, &config, runs),
            Command::Status { run: Some(run_id), .. } => crate::notify::status::show_run(&mut out, &config, run_id),
            Command::Notify { .. } => notify_test(&mut out, &config),
            Command::Doctor => unreachable!("the doctor reads its configuration itself"),
            Command::Check { sources, fields } => crate::check::command::check_command(&mut out, &config, sources, fields.sample()),
            Command::Generate { out: folder, scale, seed, date, days } => {
                let defaults = GenerateOptions::default();
                let opts = GenerateOptions { out: folder, scale, seed, date: date.unwrap_or(defaults.date), days };
                generate_command(&mut out, &opts)
            }
            Command::Demo { scale } => demo(&mut out, scale, progress),
            Command::Query { query, format, limit, as_of } => query_command(&mut out, &config, &query, format, limit, as_of.as_deref()),
            Command::Sql { dialect, what } => sql_command(&mut out, dialect, what),
            Command::Serve => Ok(crate::serve::serve(&config)?),
            Command::Export { to, tables, views, history, full } => {
                export_command(&mut out, &config, &crate::export::ExportOptions { to, tables, views, history, full })
            }
            Command::Replay { source, from, to } => replay_command(&mut out, &config, &source, from, to),
            Command::Report { out: file, from, to, locations } => {
                report_command(&mut out, &config, &file, html_report::ReportOptions { from, to, locations })
            }
        }
        })
    };
    match result.and_then(|code| out.flush().map(|()| code)) {
        Ok(code) => code,
        // Whoever read the output has all they wanted (`status | head -1`).
        Err(CliError::OutputClosed) => exit::OK,
        Err(CliError::Failed { message, code }) => {
            crate::logging::say(tracing::Level::ERROR, &message, &[]);
            code
        }
    }
}

