//! `marina-etl replay [--source S ...] --from DATE --to DATE`: every stored snapshot of the
//! sources in a period loaded in order, so that a new warehouse gets the history the
//! archives hold (a normal run loads only the newest snapshot).
//!
//! The snapshots are those the run's own discovery lists ([`Location::candidates`]), dated
//! by the export time in their name (else their last-modified time) and loaded oldest
//! first. The snapshots of one day, one per source, load in one run, at the same time as a
//! nightly run loads them; a source with two snapshots on a day loads them in two runs.
//! One already in `ETL_SNAPSHOTS` (same key and size) is skipped without a run; the run
//! itself still checks its checksum. The first day on which a snapshot does not load
//! completely stops the replay, so the warehouse never holds a later day on top of a
//! missing one.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

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
    /// Loaded by a run (which may also have found it loaded, or stale), with the
    /// snapshots of the other sources on that day.
    Ran(Arc<RunOutcome>),
}

/// One snapshot of the period and what became of it.
#[derive(Debug)]
pub struct Replayed {
    pub system: System,
    pub snapshot: SnapshotObject,
    /// Its date: the export time in its name, else its last-modified time.
    pub dated: NaiveDateTime,
    pub step: Step,
}

impl Replayed {
    /// What the run did with this snapshot's source.
    pub fn source(&self) -> Option<&crate::run::SourceOutcome> {
        match &self.step {
            Step::AlreadyLoaded => None,
            Step::Ran(outcome) => outcome.sources.iter().find(|s| s.system == self.system),
        }
    }

    /// Whether the replay must stop here: the run did not publish the whole snapshot.
    pub fn failed(&self) -> bool {
        self.source().is_some_and(|s| matches!(s.status, SourceStatus::Failed | SourceStatus::Partial | SourceStatus::Late))
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

/// Replays the period for `systems` (every configured source when empty): `each` is told
/// of every snapshot as it is done. Returns them all; a failure ([`Replayed::failed`])
/// stopped the replay after its day.
pub fn replay(
    config: &Config,
    systems: &[System],
    from: NaiveDate,
    to: NaiveDate,
    mut each: impl FnMut(&Replayed),
) -> Result<Vec<Replayed>, ReplayError> {
    let systems = if systems.is_empty() { config.systems() } else { systems.to_vec() };
    let mut queues: BTreeMap<System, VecDeque<(NaiveDateTime, SnapshotObject)>> = BTreeMap::new();
    for &system in &systems {
        queues.insert(system, snapshots_of_period(config, system, from, to)?.into());
    }
    let mut loaded = BTreeMap::new();
    {
        let wh = warehouse::open(&config.warehouse)?;
        let mut s = wh.session()?;
        run::prepare_warehouse(s.as_mut(), wh.dialect()).map_err(RunError::from)?;
        for &system in &systems {
            loaded.insert(system, ledger::recorded_times(s.as_mut(), system.name())?);
        }
    }
    let mut done = Vec::new();
    // Day by day: the oldest snapshot of each source dated on the earliest day left.
    while let Some(day) = queues.values().filter_map(|q| q.front()).map(|(dated, _)| dated.date()).min() {
        let mut day_snapshots: Vec<(System, NaiveDateTime, SnapshotObject)> = Vec::new();
        for (&system, queue) in &mut queues {
            if queue.front().is_some_and(|(dated, _)| dated.date() == day)
                && let Some((dated, snapshot)) = queue.pop_front()
            {
                day_snapshots.push((system, dated, snapshot));
            }
        }
        let is_loaded = |system: &System, o: &SnapshotObject| loaded[system].contains_key(&(o.key.clone(), o.size));
        let to_load: BTreeMap<System, String> =
            day_snapshots.iter().filter(|(system, _, o)| !is_loaded(system, o)).map(|(system, _, o)| (*system, o.key.clone())).collect();
        let outcome = if to_load.is_empty() {
            None
        } else {
            let opts = RunOptions { sources: to_load.keys().copied().collect(), snapshots: to_load.clone(), ..RunOptions::default() };
            Some(Arc::new(run::run(config, &opts)?))
        };
        day_snapshots.sort_by(|(_, a, _), (_, b, _)| a.cmp(b));
        let mut stop = false;
        for (system, dated, snapshot) in day_snapshots {
            let step = match &outcome {
                Some(outcome) if to_load.contains_key(&system) => Step::Ran(Arc::clone(outcome)),
                _ => Step::AlreadyLoaded,
            };
            let replayed = Replayed { system, snapshot, dated, step };
            each(&replayed);
            stop |= replayed.failed();
            done.push(replayed);
        }
        if stop {
            break;
        }
    }
    Ok(done)
}
