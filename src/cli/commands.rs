//! What each command does, once its arguments are read.

use std::path::Path;

use super::{exit, Format, SqlDialect, SqlPart};
use crate::catalog::System;
use crate::config::Config;
use crate::generate::{self, GenerateOptions};
use crate::html_report;
use crate::report;
use crate::run::{self, RunOptions};
use crate::warehouse::{self};
use super::{render, CliError, ExitStatus, Out, QueryFailed};

/// `marina-etl notify --test`: one line per channel and target, exit 1 when any failed.
pub(super) fn notify_test(out: &mut Out, config: &Config) -> Result<i32, CliError> {
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

pub(super) fn run_command(out: &mut Out, config: &Config, opts: &RunOptions, progress: bool) -> Result<i32, CliError> {
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
pub(super) fn run_with_progress(config: &Config, opts: &RunOptions, progress: bool) -> Result<run::RunOutcome, CliError> {
    let systems = if opts.sources.is_empty() { config.systems() } else { opts.sources.clone() };
    let bars = report::Progress::new(progress, &systems);
    Ok(run::run_watched(config, opts, &bars)?)
}

pub(super) fn status(out: &mut Out, config: &Config, runs: usize) -> Result<i32, CliError> {
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

pub(super) fn generate_command(out: &mut Out, opts: &GenerateOptions) -> Result<i32, CliError> {
    let summary = generate::generate(opts).map_err(|e| CliError::new(exit::SOURCE_FAILED, format!("{e:#}")))?;
    for snap in &summary.snapshots {
        out.line(format_args!("{:<9} {:>10} rows  {}", snap.system.name(), report::thousands(snap.rows), snap.path.display()))?;
    }
    Ok(exit::OK)
}

pub(super) fn report_command(out: &mut Out, config: &Config, file: &Path, opts: html_report::ReportOptions) -> Result<i32, CliError> {
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

pub(super) fn query_command(
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
pub(super) fn replay_command(out: &mut Out, config: &Config, systems: &[System], from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<i32, CliError> {
    use crate::replay::{replay, Step};
    let mut lines = Vec::new();
    let done = replay(config, systems, from, to, |r| {
        let what = match &r.step {
            Step::AlreadyLoaded => "already loaded".to_string(),
            Step::Ran(o) => {
                let source = r.source();
                let status = source.map_or("not run".to_string(), |s| format!("{:?}", s.status).to_lowercase());
                let message = source.and_then(|s| s.message.as_deref()).map(|m| format!(": {m}")).unwrap_or_default();
                format!("{status} (run {}){message}", o.run_id)
            }
        };
        let line = format!("{}  {:<8} {:<40} {what}", r.dated.format("%Y-%m-%d %H:%M"), r.system.name(), r.snapshot.key);
        eprintln!("marina-etl: replay: {line}");
        lines.push(line);
    })?;
    for line in &lines {
        out.line(line)?;
    }
    if done.is_empty() {
        let sources: Vec<&str> = systems.iter().map(|s| s.name()).collect();
        let of = if sources.is_empty() { "any source".to_string() } else { sources.join(", ") };
        out.line(format_args!("no snapshot of {of} dated {from} to {to}"))?;
        return Ok(exit::NO_NEW_SNAPSHOT);
    }
    // A failure stops the replay after its day, whose other sources may be listed after it.
    if done.iter().any(|r| r.failed()) {
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

pub(super) fn export_command(out: &mut Out, config: &Config, opts: &crate::export::ExportOptions) -> Result<i32, CliError> {
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

pub(super) fn sql_command(out: &mut Out, dialect: SqlDialect, what: SqlPart) -> Result<i32, CliError> {
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
