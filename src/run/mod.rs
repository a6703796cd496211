//! One run of the pipeline. For each requested source system, in stages:
//!
//! 1. [`discover`]: find the snapshot to load (the newest, or with `--wait` the first one
//!    newer than the last loaded) and fetch it to local disk;
//! 2. [`stage`]: match its members to the catalog and stream every table into staging,
//!    judging each (rejects, header drift);
//! 3. [`publish`]: hold back what the mass-delete guard refuses, then merge every table
//!    and record the snapshot in one transaction;
//! 4. [`finish`]: once every source is done, rebuild the calendar and views and end the
//!    run's record in the ledger.
//!
//! Sources are fetched, staged and published concurrently: staging shares the cores
//! through [`StagingSlots`], the largest snapshot first, and each source publishes in its
//! own transaction. Whoever watches the run (progress bars, later notifications) does so
//! through a [`RunListener`]; the run knows nothing of how it is shown.

mod checks;
mod discover;
mod error;
mod finish;
mod outcome;
mod publish;
mod stage;

use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};

use crate::catalog::{Catalog, System};
use crate::config::Config;
use crate::schedule::{StagingSlots, Tail};
use crate::warehouse::ledger::{self, TableRecord};
use crate::warehouse::schema::{self, SchemaError};
use crate::warehouse::{self, sql, Dialect, Session, Warehouse, WarehouseError};

pub use error::{PublishError, RunError, SourceFailure, TableFailure, TableProblem};
pub use finish::refresh_views;
pub use outcome::{exit, Phases, RunOutcome, SourceOutcome, SourceStatus};
pub use crate::warehouse::ledger::RunStatus;

/// What the user asked this run to do.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Source systems to load; empty = every configured source.
    pub sources: Vec<System>,
    /// Load the newest snapshot even when it was already loaded.
    pub force: bool,
    /// Publish tables whose deletes exceed the mass-delete guard.
    pub allow_mass_delete: bool,
    /// Read every member again, also those unchanged since they were last published.
    pub full: bool,
    /// Wait for a snapshot newer than the last loaded one instead of skipping.
    pub wait: Option<WaitOptions>,
    /// When another run holds the warehouse: wait up to this long for it to finish
    /// (`None`: give up at once).
    pub wait_lock: Option<Duration>,
    /// `--validate-fields [--sample N]`: compare N rows per table (0: all) read again from
    /// the archive with their `DW_` row after the publish.
    pub validate_fields: Option<crate::check::fields::Sample>,
    /// Load these archives (per source, its key in the location) instead of the newest
    /// snapshots: how `replay` loads the snapshots of a period one day after the other.
    pub snapshots: std::collections::BTreeMap<System, String>,
}

/// `--wait DURATION [--poll DURATION]`: how long to wait for a late export, and how often
/// to look for it.
#[derive(Clone, Copy, Debug)]
pub struct WaitOptions {
    pub timeout: Duration,
    pub poll: Duration,
}

/// Watches a run as it goes. Every method has a default that does nothing.
pub trait RunListener: Sync {
    /// `rows` rows of archive member `file` of `system` read so far.
    fn rows(&self, system: System, file: &str, rows: u64) {
        let _ = (system, file, rows);
    }
    /// A source is done (published, skipped, late or failed).
    fn source_done(&self, outcome: &SourceOutcome) {
        let _ = outcome;
    }
    /// Every source is done.
    fn sources_done(&self) {}
}

/// A listener that ignores everything.
pub struct Unwatched;

impl RunListener for Unwatched {}

/// How often a run waiting for the run lock tries again.
const LOCK_POLL: Duration = Duration::from_millis(200);

/// Takes the warehouse's run lock, waiting up to `wait` for another run to finish.
fn acquire_run_lock(config: &Config, wait: Option<Duration>) -> Result<warehouse::RunLock, RunError> {
    let started = Instant::now();
    let mut told = false;
    loop {
        if let Some(lock) = warehouse::try_lock_run(&config.warehouse)? {
            return Ok(lock);
        }
        match wait {
            Some(limit) if started.elapsed() < limit => {
                if !told {
                    tracing::info!("another run is in progress on this warehouse; waiting up to {}", humantime::format_duration(limit));
                    told = true;
                }
                std::thread::sleep(LOCK_POLL.min(limit.saturating_sub(started.elapsed())));
            }
            Some(limit) => return Err(RunError::Locked { waited: Some(limit) }),
            None => return Err(RunError::Locked { waited: None }),
        }
    }
}

/// Now, in UTC, as the warehouse stores timestamps.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Creates the ledger, every `DW_` table and every history table that does not exist yet
/// (seeding a new history table from its loaded `DW_` table), in one transaction:
/// a commit per table would wait for the disk a hundred times on a first run.
/// Tables that exist already are checked against the catalog first (see
/// [`schema::reconcile_dw_tables`]).
pub fn prepare_warehouse(s: &mut dyn Session, d: Dialect) -> Result<(), SchemaError> {
    let statements: Vec<String> = ledger::create_statements(d)
        .into_iter()
        .chain(Catalog::get().tables().iter().map(|table| sql::create_dw_table(d, table)))
        .chain(warehouse::history::create_statements(d))
        .collect();
    warehouse::in_transaction(s, |s| {
        schema::reconcile_dw_tables(s, d)?;
        statements.iter().try_for_each(|stmt| s.execute(stmt).map(|_| ()))?;
        warehouse::history::seed_empty(s, d)?;
        Ok(())
    })
}

/// Runs the pipeline once, unwatched.
pub fn run(config: &Config, opts: &RunOptions) -> Result<RunOutcome, RunError> {
    run_watched(config, opts, &Unwatched)
}

/// Runs the pipeline once, telling `listener` how it goes.
pub fn run_watched(config: &Config, opts: &RunOptions, listener: &dyn RunListener) -> Result<RunOutcome, RunError> {
    let systems = if opts.sources.is_empty() { config.systems() } else { opts.sources.clone() };
    for system in &systems {
        if config.source(*system).is_none() {
            return Err(RunError::UnknownSource(system.name().to_string()));
        }
    }
    // A rule file that cannot be used stops the run before anything is loaded.
    let rules = crate::check::RuleSet::load(config.checks.rules.as_deref())?;
    // Held until the run returns: one run (and so one merge) at a time per warehouse.
    let _lock = acquire_run_lock(config, opts.wait_lock)?;
    let mut warehouse_config = config.warehouse.clone();
    warehouse_config.threads.get_or_insert(1);
    warehouse_config.memory_limit.get_or_insert_with(|| crate::config::LOAD_MEMORY_LIMIT.into());
    let wh = warehouse::open(&warehouse_config)?;
    let mut s = wh.session()?;
    prepare_warehouse(s.as_mut(), wh.dialect())?;
    let run_id = ledger::begin_run(s.as_mut(), wh.dialect(), now())?;
    // Every log line of the run carries its id (and below, its source, table and phase).
    let run_span = tracing::info_span!("run", run_id).entered();
    tracing::info!(run_id, sources = ?systems.iter().map(|s| s.name()).collect::<Vec<_>>(), "run started");

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let sources: Vec<SourceOutcome> = match runtime {
        Ok(runtime) => {
            let ctx = RunContext {
                config,
                opts,
                wh: wh.as_ref(),
                run_id,
                runtime: &runtime,
                slots: StagingSlots::per_core(),
                tail: Tail::new(systems.len()),
                listener,
                rules: &rules,
            };
            std::thread::scope(|scope| {
                let ctx = &ctx;
                let handles: Vec<_> = systems
                    .iter()
                    .map(|&system| {
                        let span = run_span.clone();
                        scope.spawn(move || span.in_scope(|| ctx.load_source(system)))
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().expect("a source thread panicked")).collect()
            })
        }
        Err(e) => {
            // The run is in the ledger already: end its record before giving up.
            let error = RunError::Runtime(e);
            let _ = finish::end_run(s.as_mut(), wh.dialect(), run_id, RunStatus::Failed, &[error.to_string()]);
            return Err(error);
        }
    };
    listener.sources_done();
    let outcome = tracing::info_span!("phase", phase = "finish").in_scope(|| finish::finish(s.as_mut(), wh.dialect(), config, run_id, sources));
    // Told after the run's end is recorded: whatever happens to the messages, the run's
    // outcome is what it is.
    crate::notify::after_run(config, s.as_mut(), wh.dialect(), &outcome);
    Ok(outcome)
}

/// Where a source's load gives up when SIGTERM or SIGINT asked the process to stop.
fn stop_point() -> Result<(), SourceFailure> {
    if crate::serve::shutdown::stop_requested() {
        crate::serve::shutdown::note_cut_short();
        return Err(SourceFailure::Stopped { signal: crate::serve::shutdown::signal() });
    }
    Ok(())
}

/// What every stage of a source's load shares.
struct RunContext<'a> {
    config: &'a Config,
    opts: &'a RunOptions,
    wh: &'a dyn Warehouse,
    run_id: i64,
    runtime: &'a tokio::runtime::Runtime,
    slots: StagingSlots,
    tail: Tail,
    listener: &'a dyn RunListener,
    /// The data-quality rules in force.
    rules: &'a crate::check::RuleSet,
}

impl RunContext<'_> {
    /// Loads one source through every stage; whatever happens, its tables are recorded in
    /// the ledger and the outcome says how it ended.
    fn load_source(&self, system: System) -> SourceOutcome {
        let _source = tracing::info_span!("source", source = system.name()).entered();
        let started = Instant::now();
        let mut outcome = SourceOutcome::new(system);
        if let Err(failure) = self.load_source_into(system, &mut outcome) {
            tracing::error!(source = system.name(), "{failure}");
            outcome.status = SourceStatus::Failed;
            outcome.message = Some(failure.to_string());
        }
        outcome.seconds = started.elapsed().as_secs_f64();
        if let Err(e) = self.record_tables(&outcome.tables) {
            // What was published stays published: only its description is lost. The run
            // says so and cannot end as a success.
            let message = format!("cannot record the tables of {system} in the run ledger: {e}");
            tracing::error!(source = system.name(), "{message}");
            outcome.ledger_error = Some(message);
        }
        if self.tail.finished(system) {
            self.widen_the_tail();
        }
        self.listener.source_done(&outcome);
        outcome
    }

    fn load_source_into(&self, system: System, outcome: &mut SourceOutcome) -> Result<(), SourceFailure> {
        let phase = |name: &'static str| tracing::info_span!("phase", phase = name);
        let Some(fetched) = phase("discover").in_scope(|| self.discover_and_fetch(system, outcome))? else { return Ok(()) };
        stop_point()?;
        let mut s = self.wh.session()?;
        let members = phase("stage").in_scope(|| self.plan_members(system, s.as_mut(), &fetched, outcome))?;
        let staged = phase("stage").in_scope(|| self.stage(system, &fetched, &members, outcome))?;
        // No publish starts once the process is asked to stop (one in progress may finish).
        stop_point()?;
        let published = phase("publish").in_scope(|| self.publish(system, s.as_mut(), &fetched, members, staged, outcome));
        phase("check").in_scope(|| self.check_published(system, s.as_mut(), &fetched, outcome));
        published
    }

    /// A run keeps DuckDB to one thread per session while sources work side by side (see
    /// `config::WarehouseConfig::threads`); the last publish alone gets every core for its
    /// joins, unless the configuration chose a thread count.
    fn widen_the_tail(&self) {
        if self.config.warehouse.threads.is_some() {
            return;
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        match self.wh.set_threads(cores) {
            Ok(()) => tracing::debug!(cores, "the last publish gets every core"),
            Err(e) => tracing::warn!("cannot give the last publish every core: {e}"),
        }
    }

    /// One statement for all rows of a source: a commit per row would wait for the disk each time.
    fn record_tables(&self, tables: &[TableRecord]) -> Result<(), WarehouseError> {
        let mut s = self.wh.session()?;
        ledger::record_tables(s.as_mut(), self.run_id, tables)
    }
}
