//! The command line: `run`, `status`, `check`, `generate`, `demo`, `query`, `sql`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::System;
use crate::config::Config;
use crate::generate::{self, GenerateOptions};
use crate::html_report;
use crate::report;
use crate::run::{self, RunOptions};
use crate::warehouse::{self, Rows};

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
    /// Load every stored snapshot of a source dated in a period, oldest first (those
    /// already loaded are skipped); stops at the first that does not load.
    Replay {
        /// The source (molo, stellar, netsuite).
        #[arg(long = "source", value_parser = parse_system)]
        source: System,
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
            Command::Replay { source, from, to } => replay_command(&mut out, &config, source, from, to),
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

/// The kind of an error decides the exit code (see [`exit`]): the configuration or the
/// command line at fault is 2, a failure of the work is 1.
pub trait ExitStatus: std::fmt::Display {
    fn exit_code(&self) -> i32;
}

impl ExitStatus for crate::config::ConfigError {
    fn exit_code(&self) -> i32 {
        exit::USAGE
    }
}

impl ExitStatus for warehouse::WarehouseError {
    fn exit_code(&self) -> i32 {
        if self.is_configuration() { exit::USAGE } else { exit::SOURCE_FAILED }
    }
}

impl ExitStatus for warehouse::schema::SchemaError {
    fn exit_code(&self) -> i32 {
        match self {
            warehouse::schema::SchemaError::Warehouse(e) => e.exit_code(),
            warehouse::schema::SchemaError::ForeignTable { .. } => exit::USAGE,
        }
    }
}

impl ExitStatus for run::RunError {
    fn exit_code(&self) -> i32 {
        if self.is_usage() { exit::USAGE } else { exit::SOURCE_FAILED }
    }
}

/// A query of a person that the warehouse refused or could not run: the query is at fault
/// (exit code 2), unless the warehouse itself is unusable or unreachable.
#[derive(Debug)]
pub struct QueryFailed(warehouse::WarehouseError);

impl std::fmt::Display for QueryFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            // The context would repeat the query; the engine's reason is what matters.
            warehouse::WarehouseError::Sql { reason, .. } => write!(f, "the query failed: {reason}"),
            other => other.fmt(f),
        }
    }
}

impl ExitStatus for QueryFailed {
    fn exit_code(&self) -> i32 {
        match &self.0 {
            warehouse::WarehouseError::Sql { .. } => exit::USAGE,
            other => other.exit_code(),
        }
    }
}

/// How a command ends when it does not end with an exit code of its own.
#[derive(Debug)]
pub enum CliError {
    /// One line for the person at the terminal, and the exit code it means.
    Failed { message: String, code: i32 },
    /// The reader of the output went away (`| head`): a normal end.
    OutputClosed,
}

impl CliError {
    fn new(code: i32, message: impl std::fmt::Display) -> Self {
        CliError::Failed { message: message.to_string(), code }
    }
}

impl<E: ExitStatus> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::new(e.exit_code(), e)
    }
}

/// Standard output for a reader that may stop reading: a closed pipe ends the command
/// normally ([`CliError::OutputClosed`]) where `println!` would panic.
pub struct Out(std::io::StdoutLock<'static>);

impl Out {
    pub fn stdout() -> Self {
        Out(std::io::stdout().lock())
    }

    /// Writes `text` as it is.
    pub fn text(&mut self, text: &str) -> Result<(), CliError> {
        use std::io::Write;
        self.0.write_all(text.as_bytes()).map_err(output_error)
    }

    /// Writes `text` and a newline.
    pub fn line(&mut self, text: impl std::fmt::Display) -> Result<(), CliError> {
        self.text(&format!("{text}\n"))
    }

    pub fn flush(&mut self) -> Result<(), CliError> {
        use std::io::Write;
        self.0.flush().map_err(output_error)
    }
}

fn output_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::OutputClosed
    } else {
        CliError::new(exit::SOURCE_FAILED, format!("cannot write the output: {e}"))
    }
}

/// `marina-etl notify --test`: one line per channel and target, exit 1 when any failed.
fn notify_test(out: &mut Out, config: &Config) -> Result<i32, CliError> {
    if !crate::notify::configured(config) {
        return Err(CliError::new(exit::USAGE, "no notification channel is configured ([notify.email], [notify.webhook])"));
    }
    let deliveries = crate::notify::send_test(config);
    for d in &deliveries {
        match &d.error {
            None => out.line(format_args!("ok    {:<7} {}  test message sent", d.channel.as_str(), d.target))?,
            Some(e) => out.line(format_args!("FAIL  {:<7} {}  {e}", d.channel.as_str(), d.target))?,
        }
    }
    Ok(if deliveries.iter().all(|d| d.delivered()) { exit::OK } else { exit::SOURCE_FAILED })
}

fn run_command(out: &mut Out, config: &Config, opts: &RunOptions, progress: bool) -> Result<i32, CliError> {
    // SIGTERM or SIGINT: no new work, a publish in progress gets the grace period.
    if let Err(e) = crate::serve::shutdown::install(config.shutdown.grace()) {
        tracing::warn!("cannot listen for SIGTERM and SIGINT: {e}");
    }
    let outcome = match run_with_progress(config, opts, progress) {
        Ok(outcome) => outcome,
        Err(CliError::Failed { message, code }) => {
            // The people who depend on the run hear that it did not even start.
            crate::notify::not_started(config, &message, code);
            return Err(CliError::Failed { message, code });
        }
        Err(e) => return Err(e),
    };
    crate::metrics::after_run(config, Some(&outcome));
    // The run is done whether or not anyone reads its summary: its outcome is the exit code.
    let printed = out.text(&report::run_summary(&outcome)).and_then(|()| out.flush());
    // One line per source that did not load, and per warning and error, for whoever reads
    // the job's error output.
    use crate::logging::say;
    use tracing::Level;
    let run_id = ("run_id", serde_json::Value::from(outcome.run_id));
    for source in &outcome.sources {
        if matches!(source.status, run::SourceStatus::Failed | run::SourceStatus::Late | run::SourceStatus::Partial) {
            let text = format!("{}: {}", source.system, source.message.as_deref().unwrap_or("failed"));
            say(Level::ERROR, &text, &[run_id.clone(), ("source", source.system.name().into())]);
        }
    }
    for warning in outcome.warnings() {
        say(Level::WARN, &format!("warning: {warning}"), std::slice::from_ref(&run_id));
    }
    for error in &outcome.errors {
        say(Level::ERROR, error, std::slice::from_ref(&run_id));
    }
    match printed {
        Ok(()) | Err(CliError::OutputClosed) => Ok(outcome.exit_code()),
        Err(e) => Err(e),
    }
}

/// Runs the pipeline with progress bars on the terminal when `progress`.
fn run_with_progress(config: &Config, opts: &RunOptions, progress: bool) -> Result<run::RunOutcome, CliError> {
    let systems = if opts.sources.is_empty() { config.systems() } else { opts.sources.clone() };
    let bars = report::Progress::new(progress, &systems);
    Ok(run::run_watched(config, opts, &bars)?)
}

fn status(out: &mut Out, config: &Config, runs: usize) -> Result<i32, CliError> {
    let wh = warehouse::open(&config.warehouse)?;
    let mut s = wh.session()?;
    run::prepare_warehouse(s.as_mut(), wh.dialect())?;
    let recent = s.query_rows(&format!(
        "SELECT RUN_ID, STARTED_AT, FINISHED_AT, STATUS, HOST, ERROR_TEXT FROM ETL_RUNS ORDER BY RUN_ID DESC LIMIT {runs}"
    ))?;
    if recent.rows.is_empty() {
        out.line("No runs yet. Start one with: marina-etl run")?;
        return Ok(exit::OK);
    }
    out.line(format_args!("Recent runs\n{}", report::text_table(&recent)))?;
    let tables = s.query_rows(
        "SELECT SOURCE, TABLE_NAME, STATUS, ROWS_READ, ROWS_REJECTED, ROWS_INSERTED, ROWS_UPDATED, ROWS_UNCHANGED, \
                ROWS_DELETED, ROWS_UNDELETED FROM ETL_RUN_TABLES \
          WHERE RUN_ID = (SELECT MAX(RUN_ID) FROM ETL_RUN_TABLES) ORDER BY SOURCE, TABLE_NAME",
    )?;
    if !tables.rows.is_empty() {
        out.line(format_args!("Tables of the latest run that loaded a snapshot\n{}", report::text_table(&tables)))?;
    }
    let snapshots = s.query_rows(
        "SELECT SOURCE, ARCHIVE_KEY, SIZE_BYTES, LAST_MODIFIED, RUN_ID, LOADED_AT FROM ETL_SNAPSHOTS s \
          WHERE LOADED_AT = (SELECT MAX(LOADED_AT) FROM ETL_SNAPSHOTS x WHERE x.SOURCE = s.SOURCE) ORDER BY SOURCE",
    )?;
    if !snapshots.rows.is_empty() {
        out.line(format_args!("Loaded snapshots\n{}", report::text_table(&snapshots)))?;
    }
    crate::check::command::show_latest_results(out, s.as_mut())?;
    Ok(exit::OK)
}

fn generate_command(out: &mut Out, opts: &GenerateOptions) -> Result<i32, CliError> {
    let summary = generate::generate(opts).map_err(|e| CliError::new(exit::SOURCE_FAILED, format!("{e:#}")))?;
    for snap in &summary.snapshots {
        out.line(format_args!("{:<9} {:>10} rows  {}", snap.system.name(), report::thousands(snap.rows), snap.path.display()))?;
    }
    Ok(exit::OK)
}

/// Where the demo keeps its data and warehouse.
pub const DEMO_DATA: &str = "demo-data";
pub const DEMO_WAREHOUSE: &str = "marina.duckdb";
pub const DEMO_REPORT: &str = "marina-report.html";

fn demo(out: &mut Out, scale: f64, progress: bool) -> Result<i32, CliError> {
    let data = Path::new(DEMO_DATA);
    let config_file = data.join("marina-etl.toml");
    if config_file.exists() {
        out.line(format_args!("Using the sample snapshots in ./{DEMO_DATA} (delete the folder to generate anew)."))?;
    } else {
        out.line(format_args!("Generating sample snapshots of MOLO, Stellar and NetSuite into ./{DEMO_DATA} ..."))?;
        let opts = GenerateOptions::demo(data.to_path_buf(), scale);
        let summary = generate::generate(&opts).map_err(|e| CliError::new(exit::SOURCE_FAILED, format!("{e:#}")))?;
        std::fs::write(&config_file, demo_config(&summary.location_subsidiary))
            .map_err(|e| CliError::new(exit::SOURCE_FAILED, format!("cannot write {}: {e}", config_file.display())))?;
    }
    let config = Config::load(Some(&config_file))?;
    out.line(format_args!("Loading them into ./{DEMO_WAREHOUSE} ...\n"))?;
    let outcome = run_with_progress(&config, &RunOptions::default(), progress)?;
    out.line(report::run_summary(&outcome))?;
    let wh = warehouse::open(&config.warehouse)?;
    let mut s = wh.session()?;
    let per_system = s.query_rows(
        "SELECT SOURCE, COUNT(*) AS TABLES, SUM(ROWS_STAGED) AS ROWS_LOADED, SUM(ROWS_REJECTED) AS REJECTS \
           FROM ETL_RUN_TABLES WHERE RUN_ID = (SELECT MAX(RUN_ID) FROM ETL_RUN_TABLES) GROUP BY SOURCE ORDER BY SOURCE",
    )?;
    out.line(format_args!("What loaded (latest run that read a snapshot)\n{}", report::text_table(&per_system)))?;
    for (title, sql) in HEADLINES {
        match s.query_rows(sql) {
            Ok(rows) => out.line(format_args!("{title}\n{}", report::text_table(&rows)))?,
            Err(e) => tracing::debug!("headline '{title}' unavailable: {e}"),
        }
    }
    let report_file = Path::new(DEMO_REPORT);
    match html_report::write(s.as_mut(), &html_report::ReportOptions::default(), report_file) {
        Ok(w) => out.line(format_args!(
            "The managers' report, {} to {}: ./{DEMO_REPORT} (open it in a browser)\n",
            w.period.from, w.period.to
        ))?,
        Err(e) => tracing::warn!("the demo's report could not be written: {e}"),
    }
    let cfg = config_file.display();
    out.line(format_args!("Explore further:"))?;
    out.line(format_args!("  marina-etl --config {cfg} status"))?;
    out.line(format_args!("  marina-etl --config {cfg} report --out report.html --from 2025-06-01 --to 2025-08-31"))?;
    out.line(format_args!("  marina-etl --config {cfg} query DW_MOLO_DAILY_OCCUPANCY_RATE_VW --limit 20"))?;
    out.line(format_args!("  marina-etl --config {cfg} query DW_STELLAR_DAILY_RENTALS_VW --limit 20"))?;
    out.line(format_args!("  marina-etl --config {cfg} query \"SELECT POSTING_MONTH_NUM, SUM(NET_PROFIT) FROM DW_NS_X_FIN_REPORT_V GROUP BY 1 ORDER BY 1\""))?;
    Ok(outcome.exit_code())
}

/// The demo's configuration: the embedded default warehouse, sources in ./demo-data.
fn demo_config(location_subsidiary: &[(i64, i64)]) -> String {
    let mut out = format!("[warehouse]\nurl = \"duckdb://{DEMO_WAREHOUSE}\"\n");
    for system in System::ALL {
        out.push_str(&format!("\n[sources.{0}]\nlocation = \"{DEMO_DATA}/{0}\"\n", system.name()));
    }
    out.push_str("\n[molo.location_subsidiary]\n");
    for (location, subsidiary) in location_subsidiary {
        out.push_str(&format!("{location} = {subsidiary}\n"));
    }
    out
}

/// The day the newest MOLO snapshot was exported: "yesterday" is the day before.
const SNAPSHOT_DAY: &str = "(SELECT CAST(MAX(LAST_MODIFIED) AS DATE) FROM ETL_SNAPSHOTS WHERE SOURCE = 'molo')";

/// Headline figures of the demo, read from the views.
const HEADLINES: &[(&str, &str)] = &[
    (
        "Occupancy per marina, the day before the snapshot",
        const_format::concatcp!(
            "SELECT MARINA_LOCATION_NAME, SLIPS, OCCUPIED_SLIPS, OCCUPANCY_PCT FROM DW_MOLO_DAILY_OCCUPANCY_RATE_VW \
              WHERE CALENDAR_DATE = ",
            SNAPSHOT_DAY,
            " - 1 ORDER BY 1"
        ),
    ),
    (
        "Rentals over the 7 days before the snapshot",
        const_format::concatcp!(
            "SELECT COUNT(DISTINCT BOOKING_BOAT_ID) AS RENTALS, ROUND(COALESCE(SUM(REVENUE_ON_DATE), 0), 2) AS RENTAL_REVENUE \
               FROM DW_STELLAR_DAILY_RENTALS_VW WHERE CALENDAR_DATE BETWEEN ",
            SNAPSHOT_DAY,
            " - 7 AND ",
            SNAPSHOT_DAY,
            " - 1"
        ),
    ),
    (
        "Net profit of the month before the snapshot's month",
        const_format::concatcp!(
            "SELECT POSTING_MONTH_NUM, SUM(NET_PROFIT) AS NET_PROFIT FROM DW_NS_X_FIN_REPORT_V \
              WHERE POSTING_MONTH_NUM = CAST(strftime(date_trunc('month', ",
            SNAPSHOT_DAY,
            ") - INTERVAL 1 MONTH, '%Y%m') AS INTEGER) GROUP BY 1"
        ),
    ),
];

fn report_command(out: &mut Out, config: &Config, file: &Path, opts: html_report::ReportOptions) -> Result<i32, CliError> {
    let wh = warehouse::open_read_only(&config.warehouse)?;
    let mut s = wh.session()?;
    let written = html_report::write(s.as_mut(), &opts, file)?;
    out.line(format_args!(
        "{}: {} to {}, {} charts, {} KB",
        file.display(),
        written.period.from,
        written.period.to,
        written.charts,
        written.bytes.div_ceil(1024)
    ))?;
    Ok(exit::OK)
}

impl ExitStatus for html_report::ReportError {
    fn exit_code(&self) -> i32 {
        match self {
            html_report::ReportError::Warehouse(e) => e.exit_code(),
            html_report::ReportError::EmptyPeriod { .. } => exit::USAGE,
            _ => exit::SOURCE_FAILED,
        }
    }
}

impl ExitStatus for crate::as_of::AsOfError {
    fn exit_code(&self) -> i32 {
        exit::USAGE
    }
}

fn query_command(
    out: &mut Out,
    config: &Config,
    query: &str,
    format: Format,
    limit: Option<usize>,
    as_of: Option<&str>,
) -> Result<i32, CliError> {
    let query = query.trim();
    if query.is_empty() {
        return Err(CliError::new(exit::USAGE, "the query is empty: give a view or table name, or a SELECT"));
    }
    // A bare name shows the whole view or table.
    let sql = if query.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        format!("SELECT * FROM {query}")
    } else {
        query.to_string()
    };
    // Read-only in the engine: nothing a query says can change the warehouse or reach
    // other files (see `warehouse::open_read_only`).
    let at = as_of.map(crate::as_of::parse_time).transpose()?;
    let wh = warehouse::open_read_only(&config.warehouse)?;
    let sql = match at {
        Some(at) => crate::as_of::rewrite(wh.dialect(), &sql, at)?,
        None => sql,
    };
    let mut s = wh.session()?;
    let rows = s.query_rows_at_most(&sql, limit).map_err(QueryFailed)?;
    out.text(&render(&rows, format))?;
    Ok(exit::OK)
}

/// A result set in the chosen output format.
pub fn render(rows: &Rows, format: Format) -> String {
    match format {
        Format::Table => report::text_table(rows),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(&rows.columns);
            for r in &rows.rows {
                let _ = w.write_record(r.iter().map(|v| v.as_deref().unwrap_or("")));
            }
            String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        Format::Json => {
            let mut out = String::new();
            for r in &rows.rows {
                let fields: Vec<String> = rows
                    .columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| format!("{}:{}", json_string(c), v.as_deref().map_or("null".into(), json_string)))
                    .collect();
                out.push('{');
                out.push_str(&fields.join(","));
                out.push_str("}\n");
            }
            out
        }
    }
}

impl ExitStatus for crate::replay::ReplayError {
    fn exit_code(&self) -> i32 {
        use crate::replay::ReplayError;
        match self {
            ReplayError::UnknownSource(_) | ReplayError::EmptyPeriod { .. } => exit::USAGE,
            ReplayError::Warehouse(e) => e.exit_code(),
            ReplayError::Run(e) => e.exit_code(),
            ReplayError::Source(_) | ReplayError::Runtime(_) => exit::SOURCE_FAILED,
        }
    }
}

/// `replay`: one line per snapshot of the period; the exit code of the first failure, else
/// the worst of the runs (3 when the period holds no snapshot).
fn replay_command(out: &mut Out, config: &Config, system: System, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<i32, CliError> {
    use crate::replay::{replay, Step};
    let mut lines = Vec::new();
    let done = replay(config, system, from, to, |r| {
        let what = match &r.step {
            Step::AlreadyLoaded => "already loaded".to_string(),
            Step::Ran(o) => {
                let source = o.sources.first();
                let status = source.map_or("not run".to_string(), |s| format!("{:?}", s.status).to_lowercase());
                let message = source.and_then(|s| s.message.as_deref()).map(|m| format!(": {m}")).unwrap_or_default();
                format!("{status} (run {}){message}", o.run_id)
            }
        };
        let line = format!("{}  {:<40} {what}", r.dated.format("%Y-%m-%d %H:%M"), r.snapshot.key);
        eprintln!("marina-etl: replay: {line}");
        lines.push(line);
    })?;
    for line in &lines {
        out.line(line)?;
    }
    if done.is_empty() {
        out.line(format_args!("no snapshot of {system} dated {from} to {to}"))?;
        return Ok(exit::NO_NEW_SNAPSHOT);
    }
    if done.last().is_some_and(|r| r.failed()) {
        return Ok(exit::SOURCE_FAILED);
    }
    let worst = done
        .iter()
        .filter_map(|r| match &r.step {
            Step::Ran(o) => Some(o.exit_code()).filter(|c| *c != exit::NO_NEW_SNAPSHOT),
            Step::AlreadyLoaded => None,
        })
        .max()
        .unwrap_or(exit::OK);
    Ok(worst)
}

impl ExitStatus for crate::export::ExportError {
    fn exit_code(&self) -> i32 {
        use crate::export::ExportError;
        match self {
            ExportError::Warehouse(e) => e.exit_code(),
            ExportError::BadDestination { .. } | ExportError::Credentials { .. } => exit::USAGE,
            _ => exit::SOURCE_FAILED,
        }
    }
}

fn export_command(out: &mut Out, config: &Config, opts: &crate::export::ExportOptions) -> Result<i32, CliError> {
    let done = crate::export::export(config, opts)?;
    for r in &done.manifest.relations {
        out.line(format_args!("{:<8} {:<48} {:>10} rows  {} file(s)", r.kind, r.name, r.rows, r.files.len()))?;
    }
    out.line(format_args!(
        "export {} to {}: {} file(s) written, {} unchanged kept; manifest {}",
        done.manifest.export_id,
        opts.to,
        done.written,
        done.kept,
        crate::export::MANIFEST
    ))?;
    Ok(exit::OK)
}

fn sql_command(out: &mut Out, dialect: SqlDialect, what: SqlPart) -> Result<i32, CliError> {
    use crate::sql_script::{script, Part};
    use warehouse::Dialect;
    let dialect = match dialect {
        SqlDialect::Duckdb => Dialect::DuckDb,
        SqlDialect::Postgres => Dialect::Postgres,
        SqlDialect::Oracle => Dialect::Oracle,
    };
    let part = match what {
        SqlPart::Ddl => Part::Ddl,
        SqlPart::Merge => Part::Merge,
        SqlPart::Views => Part::Views,
        SqlPart::All => Part::All,
    };
    out.text(&script(dialect, part))?;
    Ok(exit::OK)
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
