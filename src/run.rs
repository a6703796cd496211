//! One run of the pipeline: for each requested source system, find its newest snapshot,
//! stream every table into staging, and publish the snapshot (every table's merge and its
//! `ETL_SNAPSHOTS` row) in one transaction; record everything in the run ledger.
//!
//! Sources are fetched, staged and published concurrently: staging shares the cores
//! through [`StagingSlots`], the largest snapshot first, and each source publishes in its
//! own transaction. The calendar and views are rebuilt once the sources are done.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};
use duckdb::arrow::record_batch::RecordBatch;

use crate::catalog::{Catalog, System, Table};
use crate::config::Config;
use crate::decode::{self, Decoded, Reject};
use crate::fault;
use crate::report::Progress;
use crate::schedule::{StagingSlots, Tail, Urgency};
use crate::source::archive::{Archive, ArchiveKind};
use crate::source::{archive_kind, Location, SnapshotObject, SourceError};
use crate::views;
use crate::warehouse::ledger::{self, RejectOrigin, RunStatus, SnapshotRecord, TableRecord};
use crate::warehouse::merge::{self, MergePlan};
use crate::warehouse::{self, sql, Dialect, Session, Warehouse, WarehouseError};

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
    /// Draw progress on the terminal.
    pub progress: bool,
    /// Wait for a snapshot newer than the last loaded one instead of skipping.
    pub wait: Option<WaitOptions>,
    /// When another run holds the warehouse: wait up to this long for it to finish
    /// (`None`: give up at once).
    pub wait_lock: Option<Duration>,
}

/// `--wait DURATION [--poll DURATION]`: how long to wait for a late export, and how often
/// to look for it.
#[derive(Clone, Copy, Debug)]
pub struct WaitOptions {
    pub timeout: Duration,
    pub poll: Duration,
}

/// How one source ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceStatus {
    Published,
    /// The newest snapshot was already loaded.
    Skipped,
    /// Waited (`--wait`) and no snapshot newer than the last loaded one appeared.
    Late,
    Failed,
}

/// The outcome of one source in a run.
#[derive(Clone, Debug)]
pub struct SourceOutcome {
    pub system: System,
    pub status: SourceStatus,
    /// The snapshot as a person would name it.
    pub snapshot: Option<String>,
    /// Why it failed or was skipped, in one line.
    pub message: Option<String>,
    pub tables: Vec<TableRecord>,
    /// Archive members that are not in the catalog (listed and ignored).
    pub ignored_files: Vec<String>,
    pub seconds: f64,
    /// Where the time went.
    pub phases: Phases,
}

/// Seconds per phase of one source.
///
/// Decompressing, decoding and loading staging are one streaming pass: a member is
/// inflated and decoded on one thread while another appends its last batch, and several
/// members run at once. `stage` is that pass's wall clock; `decompress`, `decode` and
/// `load` are the busy time of each step summed over the source's tables, so they add up
/// to more than `stage` when the steps overlap.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phases {
    /// Listing the location and choosing the snapshot.
    pub discover: f64,
    /// Making the archive local (download or in place) and computing its checksum.
    pub fetch: f64,
    /// Decompress, decode and bulk-load into staging, wall clock.
    pub stage: f64,
    /// Inflating archive members (busy time).
    pub decompress: f64,
    /// Parsing CSV and converting values into Arrow batches (busy time).
    pub decode: f64,
    /// Appending the batches to the staging tables (busy time).
    pub load: f64,
    /// The mass-delete guard and the merge of every table, in the publish transaction.
    pub merge: f64,
}

/// Busy time of the steps that staged one table (see [`Phases`]).
#[derive(Clone, Copy, Debug, Default)]
struct StagingTimes {
    decompress: Duration,
    decode: Duration,
    load: Duration,
}

/// The outcome of a run.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub run_id: i64,
    pub status: RunStatus,
    pub sources: Vec<SourceOutcome>,
}

impl RunOutcome {
    /// Exit code of the contract: 0 success, 1 a source failed, 3 no new snapshot
    /// (everything already loaded, or a source still late when the wait ran out).
    pub fn exit_code(&self) -> i32 {
        let any = |status| self.sources.iter().any(|o| o.status == status);
        match self.status {
            RunStatus::Succeeded => 0,
            RunStatus::Skipped => 3,
            _ if any(SourceStatus::Failed) => 1,
            _ if any(SourceStatus::Late) => 3,
            _ => 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Warehouse(#[from] WarehouseError),
    #[error("source '{0}' is not configured")]
    UnknownSource(String),
    #[error("cannot start the run: {0}")]
    Setup(String),
    /// Another run holds the warehouse's run lock.
    #[error("another run is in progress on this warehouse{0}; not started (use --wait-lock DURATION to wait for it)")]
    Locked(String),
}

/// How often a run waiting for the run lock tries again.
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Takes the warehouse's run lock, waiting up to `wait` for another run to finish.
fn acquire_run_lock(config: &Config, wait: Option<std::time::Duration>) -> Result<warehouse::RunLock, RunError> {
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
            Some(limit) => {
                return Err(RunError::Locked(format!(" (waited {})", humantime::format_duration(limit))));
            }
            None => return Err(RunError::Locked(String::new())),
        }
    }
}

/// Now, in UTC, as the warehouse stores timestamps.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Creates the ledger and every `DW_` table that does not exist yet, in one transaction:
/// a commit per table would wait for the disk a hundred times on a first run.
pub fn prepare_warehouse(s: &mut dyn Session, d: Dialect) -> Result<(), WarehouseError> {
    let statements = ledger::create_statements(d)
        .into_iter()
        .chain(Catalog::get().tables().iter().map(|table| sql::create_dw_table(d, table)));
    warehouse::in_transaction(s, |s| {
        statements.into_iter().try_for_each(|stmt| s.execute(&stmt).map(|_| ()).map_err(|e| e.to_string()))
    })
    .map_err(|reason| WarehouseError::Sql { context: "creating the warehouse tables".into(), reason })
}

/// Runs the pipeline once.
pub fn run(config: &Config, opts: &RunOptions) -> Result<RunOutcome, RunError> {
    let systems = if opts.sources.is_empty() { config.systems() } else { opts.sources.clone() };
    for system in &systems {
        if config.source(*system).is_none() {
            return Err(RunError::UnknownSource(system.name().to_string()));
        }
    }
    // Held until the run returns: one run (and so one merge) at a time per warehouse.
    let _lock = acquire_run_lock(config, opts.wait_lock)?;
    let mut warehouse_config = config.warehouse.clone();
    warehouse_config.threads.get_or_insert(1);
    warehouse_config.memory_limit.get_or_insert_with(|| crate::config::LOAD_MEMORY_LIMIT.into());
    let wh = warehouse::open(&warehouse_config)?;
    let d = wh.dialect();
    let mut s = wh.session()?;
    prepare_warehouse(s.as_mut(), d)?;
    let run_id = ledger::begin_run(s.as_mut(), d, now())?;
    tracing::info!(run_id, sources = ?systems.iter().map(|s| s.name()).collect::<Vec<_>>(), "run started");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| RunError::Setup(e.to_string()))?;
    let progress = Progress::new(opts.progress, &systems);
    let ctx = SourceContext { config, opts, wh: wh.as_ref(), run_id, runtime: &runtime, slots: StagingSlots::per_core(), tail: Tail::new(systems.len()), progress: &progress };
    let sources: Vec<SourceOutcome> = std::thread::scope(|scope| {
        let ctx = &ctx;
        let handles: Vec<_> = systems.iter().map(|&system| scope.spawn(move || ctx.load_source(system))).collect();
        handles.into_iter().map(|h| h.join().expect("a source thread panicked")).collect()
    });
    progress.finish();

    // The calendar follows the data and every view reads it: rebuilt once, over what the
    // sources published. Until it commits, readers see the new snapshots with the previous
    // calendar, which already runs a year past the latest date. It is cheap and also
    // repairs a rebuild that failed in an earlier run, so every run does it.
    let mut errors: Vec<String> = Vec::new();
    {
        let clock = Instant::now();
        let refreshed = warehouse::in_transaction(s.as_mut(), |s| {
            fault::before_views()?;
            refresh_views(s, d, config).map_err(|e| e.to_string())
        });
        match refreshed {
            Ok(()) => tracing::info!(seconds = clock.elapsed().as_secs_f64(), "calendar and views refreshed"),
            Err(e) => errors.push(format!("calendar and views: {e}")),
        }
    }
    let failed = sources.iter().filter(|o| o.status == SourceStatus::Failed).count();
    let skipped = sources.iter().filter(|o| o.status == SourceStatus::Skipped).count();
    let late = sources.iter().filter(|o| o.status == SourceStatus::Late).count();
    let status = if failed == 0 && skipped + late == sources.len() && errors.is_empty() {
        RunStatus::Skipped
    } else if failed == 0 && late > 0 {
        // Some sources published, others are late: not the whole run's success.
        RunStatus::Partial
    } else if failed == 0 && errors.is_empty() {
        RunStatus::Succeeded
    } else if failed == sources.len() {
        RunStatus::Failed
    } else {
        RunStatus::Partial
    };
    errors.splice(
        0..0,
        sources
            .iter()
            .filter(|o| matches!(o.status, SourceStatus::Failed | SourceStatus::Late))
            .map(|o| format!("{}: {}", o.system, o.message.as_deref().unwrap_or("failed"))),
    );
    let error_text = (!errors.is_empty()).then(|| errors.join("; "));
    ledger::finish_run(s.as_mut(), d, run_id, now(), status, error_text.as_deref())?;
    tracing::info!(run_id, status = status.as_str(), "run finished");
    Ok(RunOutcome { run_id, status, sources })
}

struct SourceContext<'a> {
    config: &'a Config,
    opts: &'a RunOptions,
    wh: &'a dyn Warehouse,
    run_id: i64,
    runtime: &'a tokio::runtime::Runtime,
    slots: StagingSlots,
    tail: Tail,
    progress: &'a Progress,
}

/// A table staged from the archive, waiting to be published.
struct StagedTable<'a> {
    table: &'a Table,
    record: TableRecord,
    held_keys: bool,
    /// Why the table cannot be published.
    failure: Option<String>,
    times: StagingTimes,
}

/// A failure of a whole source, before any table could be judged.
struct SourceFailure(String);

impl<E: std::fmt::Display> From<E> for SourceFailure {
    fn from(e: E) -> Self {
        SourceFailure(e.to_string())
    }
}

impl SourceContext<'_> {
    fn load_source(&self, system: System) -> SourceOutcome {
        let started = Instant::now();
        let mut outcome = SourceOutcome {
            system,
            status: SourceStatus::Failed,
            snapshot: None,
            message: None,
            tables: Vec::new(),
            ignored_files: Vec::new(),
            seconds: 0.0,
            phases: Phases::default(),
        };
        if let Err(SourceFailure(message)) = self.load_source_into(system, &mut outcome) {
            tracing::error!(source = system.name(), "{message}");
            outcome.status = SourceStatus::Failed;
            outcome.message = Some(message);
        }
        outcome.seconds = started.elapsed().as_secs_f64();
        if let Err(e) = self.record_tables(&outcome) {
            outcome.status = SourceStatus::Failed;
            outcome.message = Some(format!("cannot write the run ledger: {e}"));
        }
        if self.tail.finished(system) {
            self.widen_the_tail();
        }
        self.progress.done(system, &outcome);
        outcome
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

    /// Polls `location` until a snapshot newer (by last-modified time, then key) than the
    /// last one loaded appears, and returns it; or, once `wait.timeout` has passed,
    /// says since when the source is late. An empty location is waited for like a
    /// stale one; any other listing failure ends the wait at once.
    fn wait_for_newer(
        &self,
        system: System,
        location: &Location,
        wait: WaitOptions,
    ) -> Result<Result<SnapshotObject, String>, SourceFailure> {
        let last = {
            let mut s = self.wh.session()?;
            ledger::last_loaded_snapshot(s.as_mut(), system.name())?
        };
        let deadline = Instant::now() + wait.timeout;
        loop {
            match self.runtime.block_on(location.newest(system)) {
                Ok(object) if last.as_ref().is_none_or(|l| l.is_older_than(&object)) => return Ok(Ok(object)),
                Ok(_) | Err(SourceError::NoSnapshot { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let waited = humantime::format_duration(Duration::from_secs(wait.timeout.as_secs()));
                return Ok(Err(match &last {
                    Some(l) => format!(
                        "{system} is late: nothing newer than {} (last modified {} UTC, loaded {} UTC) appeared in {waited} of waiting",
                        location.describe(&l.key),
                        l.last_modified.format("%Y-%m-%d %H:%M:%S"),
                        l.loaded_at.format("%Y-%m-%d %H:%M:%S"),
                    ),
                    None => format!("{system} is late: no snapshot under {} appeared in {waited} of waiting, and none was ever loaded", location.url()),
                }));
            }
            tracing::info!(source = system.name(), "waiting for a snapshot newer than the last loaded one");
            std::thread::sleep(wait.poll.min(left));
        }
    }

    /// One statement for all rows of a source: a commit per row would wait for the disk each time.
    fn record_tables(&self, outcome: &SourceOutcome) -> Result<(), String> {
        let mut s = self.wh.session().map_err(|e| e.to_string())?;
        ledger::record_tables(s.as_mut(), self.run_id, &outcome.tables).map_err(|e| e.to_string())
    }

    fn load_source_into(&self, system: System, outcome: &mut SourceOutcome) -> Result<(), SourceFailure> {
        let source = self.config.source(system).expect("checked before the run");
        let location = Location::parse(&source.location, &self.config.s3_for(system))?;
        let clock = Instant::now();
        let object = match self.opts.wait {
            None => self.runtime.block_on(location.newest(system))?,
            Some(wait) => match self.wait_for_newer(system, &location, wait)? {
                Ok(object) => object,
                Err(late) => {
                    tracing::warn!(source = system.name(), "{late}");
                    outcome.status = SourceStatus::Late;
                    outcome.message = Some(late);
                    return Ok(());
                }
            },
        };
        outcome.phases.discover = clock.elapsed().as_secs_f64();
        fault::after_listing(&object.key)?;
        let described = location.describe(&object.key);
        outcome.snapshot = Some(described.clone());
        let temp_root = self.config.load.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
        let temp = tempfile::Builder::new()
            .prefix("marina-etl-run-")
            .tempdir_in(&temp_root)
            .map_err(|e| SourceFailure(format!("cannot create a temporary folder in {}: {e}", temp_root.display())))?;
        let clock = Instant::now();
        let local = self.runtime.block_on(location.fetch(&object, temp.path()))?;
        outcome.phases.fetch = clock.elapsed().as_secs_f64();

        let mut s = self.wh.session()?;
        if !self.opts.force && ledger::already_loaded(s.as_mut(), system.name(), &object.key, object.size, &local.checksum)? {
            outcome.status = SourceStatus::Skipped;
            outcome.message = Some(format!("snapshot {described} was already loaded (use --force to load it again)"));
            tracing::info!(source = system.name(), "{}", outcome.message.as_deref().unwrap_or_default());
            return Ok(());
        }
        tracing::info!(source = system.name(), snapshot = %described, "loading");

        let archive = Archive::open(&local.path, archive_kind(system), self.config.load.max_member_bytes)
            .map_err(|e| SourceFailure(format!("snapshot {described}: {e}")))?;
        let members = archive.members().map_err(|e| SourceFailure(format!("snapshot {described}: {e}")))?;
        let tables: Vec<&Table> = Catalog::get().tables_of(system).collect();
        let member_of = |table: &Table| -> Option<String> {
            members
                .iter()
                .find(|m| m.name == table.file)
                .or_else(|| members.iter().find(|m| m.name.eq_ignore_ascii_case(&table.file)))
                .map(|m| m.name.clone())
        };
        let present: Vec<(&Table, String)> = tables.iter().filter_map(|t| Some((*t, member_of(t)?))).collect();
        // A ZIP member whose CRC and size equal those of the member last published for
        // its table (under the same catalog entry) would merge to no change: skip it.
        let published = ledger::last_published_members(s.as_mut(), system.name())?;
        let mut unchanged = Vec::new();
        let mut to_stage: Vec<(&Table, String)> = Vec::new();
        let mut fingerprints = std::collections::HashMap::new();
        for (table, member) in &present {
            let fingerprint = members
                .iter()
                .find(|m| m.name == *member)
                .and_then(|m| Some(format!("{:08x}:{}:{}", m.crc32?, m.size, table_fingerprint(table))));
            match (&fingerprint, published.get(&table.name)) {
                (Some(now), Some((last, run))) if !self.opts.full && now == last => {
                    let live = s.query_i64(&format!(
                        "SELECT COUNT(*) FROM {} WHERE {} IS NULL",
                        table.dw_name(),
                        sql::DW_DELETED_AT
                    ))?;
                    unchanged.push(TableRecord {
                        source: system.name().into(),
                        table: table.name.clone(),
                        archive_key: Some(object.key.clone()),
                        rows_unchanged: live as u64,
                        status: "unchanged".into(),
                        message: Some(format!("{member} is the same as when run {run} published it; not read again")),
                        member_fingerprint: fingerprint.clone(),
                        ..TableRecord::default()
                    });
                }
                _ => to_stage.push((table, member.clone())),
            }
            if let Some(f) = fingerprint {
                fingerprints.insert(table.name.clone(), f);
            }
        }
        outcome.ignored_files = members
            .iter()
            .filter(|m| !present.iter().any(|(_, name)| *name == m.name))
            .map(|m| m.name.clone())
            .collect();
        if !outcome.ignored_files.is_empty() {
            tracing::info!(
                source = system.name(),
                "ignored {} file(s) not in the catalog: {}",
                outcome.ignored_files.len(),
                outcome.ignored_files.join(", ")
            );
        }

        let clock = Instant::now();
        let mut staged: Vec<StagedTable> = match archive.kind() {
            ArchiveKind::Zip => {
                // Largest members first, so the longest table is not the one left to run
                // alone at the end.
                let size = |member: &str| members.iter().find(|m| m.name == member).map_or(0, |m| m.size);
                to_stage.sort_by_key(|(_, member)| std::cmp::Reverse(size(member)));
                in_parallel(&to_stage, |(table, member)| {
                    let _slot = self.slots.acquire(Urgency { snapshot_bytes: object.size, member_bytes: size(member) });
                    match archive.with_member(member, |r| self.stage_table(system, &archive, &object.key, table, member, r)) {
                        Ok(Some(staged)) => staged,
                        Ok(None) => failed_table(system, table, &object.key, format!("{member} vanished from the archive")),
                        Err(e) => failed_table(system, table, &object.key, e.to_string()),
                    }
                })
            }
            ArchiveKind::TarGz => {
                let mut out = Vec::new();
                archive
                    .for_each_member(|name, reader| {
                        if let Some((table, member)) = to_stage.iter().find(|(_, m)| m == name) {
                            let member_bytes = members.iter().find(|m| m.name == *name).map_or(0, |m| m.size);
                            let _slot = self.slots.acquire(Urgency { snapshot_bytes: object.size, member_bytes });
                            out.push(self.stage_table(system, &archive, &object.key, table, member, reader));
                        }
                    })
                    .map_err(|e| SourceFailure(format!("snapshot {described}: {e}")))?;
                out
            }
        };
        outcome.phases.stage = clock.elapsed().as_secs_f64();
        for t in &staged {
            outcome.phases.decompress += t.times.decompress.as_secs_f64();
            outcome.phases.decode += t.times.decode.as_secs_f64();
            outcome.phases.load += t.times.load.as_secs_f64();
        }
        for t in &mut staged {
            t.record.member_fingerprint = fingerprints.get(&t.table.name).cloned();
        }
        let missing: Vec<TableRecord> = tables
            .iter()
            .filter(|t| !present.iter().any(|(p, _)| p.name == t.name))
            .map(|t| TableRecord {
                source: system.name().into(),
                table: t.name.clone(),
                archive_key: Some(object.key.clone()),
                status: "missing".into(),
                message: Some(format!("{} is not in the archive; nothing of this table changes", t.file)),
                ..TableRecord::default()
            })
            .collect();
        for m in &missing {
            tracing::warn!(source = system.name(), table = %m.table, "{}", m.message.as_deref().unwrap_or_default());
        }

        let clock = Instant::now();
        if self.tail.publishing(system) {
            self.widen_the_tail();
        }
        let result = self.publish(system, s.as_mut(), &mut staged, &object, &local.checksum);
        outcome.phases.merge = clock.elapsed().as_secs_f64();
        outcome.tables = staged.into_iter().map(|t| t.record).chain(unchanged).chain(missing).collect();
        outcome.tables.sort_by_key(|t| tables.iter().position(|c| c.name == t.table));
        match result {
            Ok(()) => {
                outcome.status = SourceStatus::Published;
                Ok(())
            }
            Err(message) => Err(SourceFailure(message)),
        }
    }

    /// Streams one member into its staging table and judges the result.
    fn stage_table<'t>(
        &self,
        system: System,
        archive: &Archive,
        archive_key: &str,
        table: &'t Table,
        member: &str,
        reader: &mut dyn std::io::Read,
    ) -> StagedTable<'t> {
        let started = Instant::now();
        let mut staged = match self.stage_table_inner(system, archive, archive_key, table, member, reader) {
            Ok(staged) => staged,
            Err(message) => failed_table(system, table, archive_key, message),
        };
        staged.record.seconds = started.elapsed().as_secs_f64();
        if let Some(failure) = &staged.failure {
            tracing::warn!(source = system.name(), table = %table.name, "{failure}");
        }
        staged
    }

    fn stage_table_inner<'t>(
        &self,
        system: System,
        archive: &Archive,
        archive_key: &str,
        table: &'t Table,
        member: &str,
        reader: &mut dyn std::io::Read,
    ) -> Result<StagedTable<'t>, String> {
        let d = self.wh.dialect();
        let mut s = self.wh.session().map_err(|e| e.to_string())?;
        let staging = table.staging_name();
        // One transaction per table: DuckDB then writes the bulk-loaded row groups
        // straight to the database file instead of through its write-ahead log.
        let mut times = StagingTimes::default();
        let mut decoded: Decoded = warehouse::in_transaction(s.as_mut(), |s| {
            for stmt in warehouse::replace_staging_statements(d, table) {
                s.execute(&stmt).map_err(|e| e.to_string())?;
            }
            let mut reader = TimedRead { inner: reader, spent: Duration::ZERO };
            let mut decoded = stream_into_staging(s, &staging, &mut times, |sink| {
                let mut progress = |rows| self.progress.rows(system, member, rows);
                decode::decode_table(table, &mut reader, &self.config.load.decode_limits(), sink, &mut progress).map_err(|e| format!("{member}: {e}"))
            })?;
            times.decompress = reader.spent;
            times.decode = times.decode.saturating_sub(reader.spent);
            let superseded = supersede_duplicates(s, table).map_err(|e| e.to_string())?;
            if !superseded.is_empty() {
                let lines: BTreeSet<u64> = superseded.iter().map(|r| r.line).collect();
                let raw = archive
                    .with_member(member, |r| decode::raw_records(r, &lines, &self.config.load.decode_limits()))
                    .map_err(|e| e.to_string())?
                    .transpose()
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
                for mut r in superseded {
                    r.raw_line = raw.get(&r.line).cloned();
                    decoded.rejects.push(r);
                    decoded.rows_rejected += 1;
                    decoded.rows_staged -= 1;
                }
            }
            s.execute(&sql::drop_table_if_exists(d, &sql::held_keys_name(table))).map_err(|e| e.to_string())?;
            let mut loaded = vec![staging.clone()];
            if let Some(batch) = &decoded.held_keys {
                s.execute(&sql::create_held_keys_table(d, table)).map_err(|e| e.to_string())?;
                s.append(&sql::held_keys_name(table), batch.clone()).map_err(|e| e.to_string())?;
                loaded.push(sql::held_keys_name(table));
            }
            let keys: Vec<&str> = table.key_columns().map(|c| c.name.as_str()).collect();
            for analyze in loaded.iter().filter_map(|t| d.analyze(t, &keys)) {
                s.execute(&analyze).map_err(|e| e.to_string())?;
            }
            Ok(decoded)
        })?;
        let held_keys = decoded.held_keys.take();
        let origin = RejectOrigin { run_id: self.run_id, source: system.name(), table: &table.name, archive_key, file: member };
        ledger::write_rejects(s.as_mut(), &origin, &decoded.rejects).map_err(|e| e.to_string())?;

        let mut messages: Vec<String> = decoded.header.describe().into_iter().collect();
        let ratio = self.config.load.max_reject_ratio;
        let failure = if decoded.key_rejects > 0 {
            Some(format!("{} row(s) rejected with an unreadable natural key", decoded.key_rejects))
        } else if decoded.rows_rejected as f64 > ratio * decoded.rows_read as f64 {
            Some(format!(
                "{} of {} rows rejected, more than the {}% allowed",
                decoded.rows_rejected,
                decoded.rows_read,
                ratio * 100.0
            ))
        } else {
            None
        };
        if decoded.rows_rejected > 0 {
            messages.push(format!("{} row(s) rejected, see ETL_REJECTS", decoded.rows_rejected));
        }
        if let Some(f) = &failure {
            messages.insert(0, f.clone());
        }
        Ok(StagedTable {
            table,
            held_keys: held_keys.is_some(),
            times,
            failure,
            record: TableRecord {
                source: system.name().into(),
                table: table.name.clone(),
                archive_key: Some(archive_key.to_string()),
                rows_read: decoded.rows_read,
                rows_staged: decoded.rows_staged,
                rows_rejected: decoded.rows_rejected,
                status: "staged".into(),
                message: (!messages.is_empty()).then(|| messages.join("; ")),
                ..TableRecord::default()
            },
        })
    }

    /// Publishes every staged table of a snapshot in one transaction, or none of them.
    fn publish(
        &self,
        system: System,
        s: &mut dyn Session,
        staged: &mut [StagedTable],
        object: &SnapshotObject,
        checksum: &str,
    ) -> Result<(), String> {
        let d = self.wh.dialect();
        let failures: Vec<String> = staged
            .iter()
            .filter_map(|t| t.failure.as_ref().map(|f| format!("{}: {f}", t.table.name)))
            .collect();
        if !failures.is_empty() {
            mark_unpublished(staged);
            return Err(format!("not published: {}", failures.join("; ")));
        }
        let mut guard_failures = Vec::new();
        let mut plans = Vec::with_capacity(staged.len());
        for t in staged.iter_mut() {
            let plan = merge::plan_merge(s, d, t.table, t.record.rows_staged, t.held_keys).map_err(|e| e.to_string())?;
            plans.push(plan);
            if plan.exceeds(self.config.load.mass_delete_ratio) {
                let message = format!(
                    "would delete {} of {} live rows, more than the {}% guard",
                    plan.would_delete,
                    plan.live,
                    self.config.load.mass_delete_ratio * 100.0
                );
                if self.opts.allow_mass_delete {
                    tracing::warn!(source = system.name(), table = %t.table.name, "{message}; allowed by --allow-mass-delete");
                } else {
                    guard_failures.push(format!("{}: {message} (use --allow-mass-delete)", t.table.name));
                    t.failure = Some(message);
                }
            }
        }
        if !guard_failures.is_empty() {
            mark_unpublished(staged);
            return Err(format!("not published: {}", guard_failures.join("; ")));
        }

        let result = warehouse::in_transaction(s, |s| self.publish_in_transaction(system, s, staged, &plans, object, checksum));
        match result {
            Ok(()) => {
                for t in staged.iter_mut() {
                    t.record.status = "published".into();
                }
                tracing::info!(source = system.name(), tables = staged.len(), "published");
                Ok(())
            }
            Err(message) => {
                mark_unpublished(staged);
                Err(format!("publish failed, nothing changed: {message}"))
            }
        }
    }

    fn publish_in_transaction(
        &self,
        system: System,
        s: &mut dyn Session,
        staged: &mut [StagedTable],
        plans: &[MergePlan],
        object: &SnapshotObject,
        checksum: &str,
    ) -> Result<(), String> {
        let d = self.wh.dialect();
        let published_at = now();
        for (i, (t, plan)) in staged.iter_mut().zip(plans).enumerate() {
            let started = Instant::now();
            let counts = merge::merge_table(s, d, t.table, self.run_id, published_at, plan)
                .map_err(|e| format!("{}: {e}", t.table.name))?;
            t.record.rows_inserted = counts.inserted;
            t.record.rows_updated = counts.updated;
            t.record.rows_unchanged = counts.unchanged;
            t.record.rows_deleted = counts.deleted;
            t.record.rows_undeleted = counts.undeleted;
            t.record.seconds += started.elapsed().as_secs_f64();
            fault::after_merge(i + 1)?;
        }
        let snapshot = SnapshotRecord {
            source: system.name().into(),
            archive_key: object.key.clone(),
            size: object.size,
            last_modified: object.last_modified.naive_utc(),
            checksum: checksum.to_string(),
        };
        s.execute(&ledger::record_snapshot_statement(d, self.run_id, &snapshot, published_at))
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// Runs `decode` with a sink that hands its batches to a second thread, which appends
/// them to `staging`: decoding the next batch overlaps loading the last one. Records in
/// `times` how long the loader was busy appending, and how long `decode` ran without
/// waiting for it (including the reads it made).
fn stream_into_staging<T>(
    s: &mut dyn Session,
    staging: &str,
    times: &mut StagingTimes,
    decode: impl FnOnce(&mut dyn FnMut(RecordBatch) -> Result<(), String>) -> Result<T, String>,
) -> Result<T, String> {
    let (batches, received) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
    std::thread::scope(|scope| {
        let loader = scope.spawn(move || -> Result<Duration, String> {
            let mut busy = Duration::ZERO;
            for batch in received {
                let started = Instant::now();
                s.append(staging, batch).map_err(|e| e.to_string())?;
                busy += started.elapsed();
            }
            Ok(busy)
        });
        let mut waited = Duration::ZERO;
        let started = Instant::now();
        let mut sink = |batch| {
            let handed = Instant::now();
            let sent = batches.send(batch).map_err(|_| "staging stopped".to_string());
            waited += handed.elapsed();
            sent
        };
        let decoded = decode(&mut sink);
        // Closing the channel lets the loader finish.
        drop(batches);
        times.decode = started.elapsed().saturating_sub(waited);
        let loaded = loader.join().expect("the staging thread panicked");
        // A failed append also stops decoding ("staging stopped"): report the cause.
        times.load = *loaded.as_ref().unwrap_or(&Duration::ZERO);
        loaded.and(decoded)
    })
}

/// A reader that counts the time spent in it: for an archive member, inflating.
struct TimedRead<'r> {
    inner: &'r mut dyn std::io::Read,
    spent: Duration,
}

impl std::io::Read for TimedRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let started = Instant::now();
        let n = self.inner.read(buf);
        self.spent += started.elapsed();
        n
    }
}

/// Maps `items` on one worker per core, taking items in order; results keep their order.
fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(items.len().max(1));
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, work(item)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a staging worker panicked")).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Identifies a table's catalog entry, so that a changed entry (a new column, say) makes
/// an unchanged member worth reading again.
fn table_fingerprint(table: &Table) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{}|{:?}", table.file, table.columns).as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Rebuilds the location mapping, the calendar and every view.
pub fn refresh_views(s: &mut dyn Session, d: Dialect, config: &Config) -> Result<(), WarehouseError> {
    for stmt in views::location_subsidiary_statements(d, &config.location_subsidiary()) {
        s.execute(&stmt)?;
    }
    let bounds = s.query_rows(&views::calendar_bounds_query(d))?;
    let parse = |i: usize| {
        bounds.rows.first().and_then(|r| r.get(i).cloned().flatten()).and_then(|v| v.parse::<chrono::NaiveDate>().ok())
    };
    let range = match (config.calendar.start, config.calendar.end) {
        (Some(start), Some(end)) => Some(views::CalendarRange { start, end }),
        (start, end) => views::default_calendar_range(parse(0), parse(1)).map(|r| views::CalendarRange {
            start: start.unwrap_or(r.start),
            end: end.unwrap_or(r.end),
        }),
    };
    if let Some(range) = range {
        for stmt in views::calendar_statements(d, &range) {
            s.execute(&stmt)?;
        }
    }
    for stmt in views::create_view_statements(d) {
        s.execute(&stmt)?;
    }
    Ok(())
}

fn failed_table<'t>(system: System, table: &'t Table, archive_key: &str, message: String) -> StagedTable<'t> {
    StagedTable {
        table,
        held_keys: false,
        times: StagingTimes::default(),
        failure: Some(message.clone()),
        record: TableRecord {
            source: system.name().into(),
            table: table.name.clone(),
            archive_key: Some(archive_key.to_string()),
            status: "failed".into(),
            message: Some(message),
            ..TableRecord::default()
        },
    }
}

/// Statuses after a source was not published: the failing tables `failed`, the others
/// `not_published`, and no merge counts.
fn mark_unpublished(staged: &mut [StagedTable]) {
    for t in staged.iter_mut() {
        let r = &mut t.record;
        r.status = if t.failure.is_some() { "failed" } else { "not_published" }.into();
        if let Some(f) = &t.failure
            && !r.message.as_deref().is_some_and(|m| m.starts_with(f.as_str()))
        {
            r.message = Some(f.clone());
        }
        (r.rows_inserted, r.rows_updated, r.rows_unchanged, r.rows_deleted, r.rows_undeleted) = (0, 0, 0, 0, 0);
    }
}

/// Finds rows of the staging table whose natural key appears again later in the file,
/// removes them from staging (the last occurrence wins) and returns them as rejects.
fn supersede_duplicates(s: &mut dyn Session, table: &Table) -> Result<Vec<Reject>, WarehouseError> {
    let stg = table.staging_name();
    let keys: Vec<&str> = table.key_columns().map(|c| c.name.as_str()).collect();
    let key_list = keys.join(", ");
    let dup_groups = s.query_i64(&format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {stg} GROUP BY {key_list} HAVING COUNT(*) > 1) dups"
    ))?;
    if dup_groups == 0 {
        return Ok(Vec::new());
    }
    let rows = s.query_rows(&format!(
        "SELECT {line}, LAST_LINE, {key_list} FROM (\
           SELECT {line}, {key_list}, MAX({line}) OVER (PARTITION BY {key_list}) AS LAST_LINE FROM {stg}) x \
         WHERE {line} < LAST_LINE ORDER BY {line}",
        line = sql::ETL_LINE
    ))?;
    let mut rejects = Vec::new();
    for row in &rows.rows {
        let line: u64 = row[0].as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
        let last = row[1].as_deref().unwrap_or("?");
        let values: Vec<&str> = row[2..].iter().map(|v| v.as_deref().unwrap_or("NULL")).collect();
        rejects.push(Reject {
            line,
            column: Some(key_list.clone()),
            raw_value: Some(values.join(", ")),
            reason: format!("duplicate natural key, superseded by line {last} (the last occurrence wins)"),
            raw_line: None,
        });
    }
    let lines: Vec<String> = rejects.iter().map(|r| r.line.to_string()).collect();
    for chunk in lines.chunks(1000) {
        s.execute(&format!("DELETE FROM {stg} WHERE {} IN ({})", sql::ETL_LINE, chunk.join(", ")))?;
    }
    Ok(rejects)
}
