//! `marina-etl replay --source S --from DATE --to DATE`: every stored snapshot of a source
//! in a period loaded in order, one run each, so that a new warehouse gets the history the
//! archives hold (a normal run loads only the newest snapshot).
//!
//! The snapshots are those the run's own discovery lists ([`Location::candidates`]), dated
//! by the export time in their name (else their last-modified time) and loaded oldest
//! first. One already in `ETL_SNAPSHOTS` (same key and size) is skipped without a run; the
//! run itself still checks its checksum. The first snapshot that does not load completely
//! stops the replay, so the warehouse never holds a later day on top of a missing one.

use chrono::{NaiveDate, NaiveDateTime};

use crate::catalog::System;
use crate::config::Config;
use crate::run::{self, RunError, RunOptions, RunOutcome, SourceStatus};
use crate::source::{export_time, Location, SnapshotObject, SourceError};
use crate::warehouse::{self, ledger, WarehouseError};

/// Why a replay could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("source {0} is not configured")]
    UnknownSource(&'static str),
    #[error("--from {from} is after --to {to}")]
    EmptyPeriod { from: NaiveDate, to: NaiveDate },
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("{0}")]
    Warehouse(#[from] WarehouseError),
    #[error("cannot start the listing: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("{0}")]
    Run(#[from] RunError),
}

/// What became of one snapshot of the period.
#[derive(Debug)]
pub enum Step {
    /// Already in `ETL_SNAPSHOTS`: no run.
    AlreadyLoaded,
    /// Loaded by a run (which may also have found it loaded, or stale).
    Ran(Box<RunOutcome>),
}

/// One snapshot of the period and what became of it.
#[derive(Debug)]
pub struct Replayed {
    pub snapshot: SnapshotObject,
    /// Its date: the export time in its name, else its last-modified time.
    pub dated: NaiveDateTime,
    pub step: Step,
}

impl Replayed {
    /// Whether the replay must stop here: the run did not publish the whole snapshot.
    pub fn failed(&self) -> bool {
        match &self.step {
            Step::AlreadyLoaded => false,
            Step::Ran(outcome) => outcome
                .sources
                .iter()
                .any(|s| matches!(s.status, SourceStatus::Failed | SourceStatus::Partial | SourceStatus::Late)),
        }
    }
}

/// The snapshots of `system` dated within `from..=to`, oldest first.
pub fn snapshots_of_period(config: &Config, system: System, from: NaiveDate, to: NaiveDate) -> Result<Vec<(NaiveDateTime, SnapshotObject)>, ReplayError> {
    if from > to {
        return Err(ReplayError::EmptyPeriod { from, to });
    }
    let source = config.source(system).ok_or(ReplayError::UnknownSource(system.name()))?;
    let location = Location::parse(&source.location, &config.s3_for(system))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ReplayError::Runtime)?;
    let mut dated: Vec<(NaiveDateTime, SnapshotObject)> = runtime
        .block_on(location.candidates(system))?
        .into_iter()
        .map(|o| (export_time(system, &o.key).unwrap_or_else(|| o.last_modified.naive_utc()), o))
        .filter(|(at, _)| (from..=to).contains(&at.date()))
        .collect();
    dated.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.last_modified.cmp(&y.last_modified)).then_with(|| x.key.cmp(&y.key)));
    Ok(dated)
}

/// Replays the period: `each` is told of every snapshot as it is done. Returns them all;
/// the last one is the failure that stopped the replay when [`Replayed::failed`].
pub fn replay(
    config: &Config,
    system: System,
    from: NaiveDate,
    to: NaiveDate,
    mut each: impl FnMut(&Replayed),
) -> Result<Vec<Replayed>, ReplayError> {
    let snapshots = snapshots_of_period(config, system, from, to)?;
    let loaded = {
        let wh = warehouse::open(&config.warehouse)?;
        let mut s = wh.session()?;
        run::prepare_warehouse(s.as_mut(), wh.dialect()).map_err(RunError::from)?;
        ledger::recorded_times(s.as_mut(), system.name())?
    };
    let mut done = Vec::with_capacity(snapshots.len());
    for (dated, snapshot) in snapshots {
        let step = if loaded.contains_key(&(snapshot.key.clone(), snapshot.size)) {
            Step::AlreadyLoaded
        } else {
            let opts = RunOptions { sources: vec![system], snapshot: Some(snapshot.key.clone()), ..RunOptions::default() };
            Step::Ran(Box::new(run::run(config, &opts)?))
        };
        let replayed = Replayed { snapshot, dated, step };
        each(&replayed);
        let stop = replayed.failed();
        done.push(replayed);
        if stop {
            break;
        }
    }
    Ok(done)
}
