//! Stage 1: find the snapshot a source should load and make it readable on local disk.

use std::time::{Duration, Instant};

use super::{RunContext, SourceFailure, SourceOutcome, SourceStatus, WaitOptions};
use crate::catalog::System;
use crate::fault;
use crate::source::workdir::WorkFolder;
use crate::source::{export_time, LocalSnapshot, Location, SnapshotObject, SourceError};
use crate::warehouse::ledger;

/// A snapshot chosen for loading and fetched to local disk.
pub(super) struct Fetched {
    pub object: SnapshotObject,
    /// The snapshot as a person would name it.
    pub described: String,
    pub local: LocalSnapshot,
    /// Holds a downloaded archive; removed with it when the source is done.
    _work: WorkFolder,
}

impl RunContext<'_> {
    /// Finds and fetches the snapshot to load. `None` when there is nothing to load: the
    /// source is late (`--wait` ran out) or its newest snapshot was already loaded; the
    /// outcome says which.
    pub(super) fn discover_and_fetch(&self, system: System, outcome: &mut SourceOutcome) -> Result<Option<Fetched>, SourceFailure> {
        let source = self.config.source(system).expect("checked before the run");
        let location = Location::parse(&source.location, &self.config.s3_for(system))?;
        let clock = Instant::now();
        let seen = {
            let mut s = self.wh.session()?;
            ledger::recorded_times(s.as_mut(), system.name())?
        };
        let seen = |key: &str, size: u64| seen.get(&(key.to_string(), size)).map(|t| t.and_utc());
        let object = match (self.opts.snapshots.get(&system), self.opts.wait) {
            (Some(key), _) => self.runtime.block_on(location.candidates(system))?.into_iter().find(|o| &o.key == key).ok_or_else(|| SourceError::Vanished { object: location.describe(key) })?,
            (None, None) => self.runtime.block_on(location.newest(system, seen))?,
            (None, Some(wait)) => match self.wait_for_newer(system, &location, wait, &seen)? {
                Ok(object) => object,
                Err(late) => {
                    tracing::warn!(source = system.name(), "{late}");
                    outcome.status = SourceStatus::Late;
                    outcome.message = Some(late);
                    return Ok(None);
                }
            },
        };
        outcome.phases.discover = clock.elapsed().as_secs_f64();
        fault::after_listing(&object.key)?;
        let described = location.describe(&object.key);
        outcome.snapshot = Some(described.clone());
        if !self.opts.force {
            let mut s = self.wh.session()?;
            if let Some(stale) = self.stale(system, s.as_mut(), &location, &object)? {
                tracing::warn!(source = system.name(), "{stale}");
                outcome.status = SourceStatus::Skipped;
                outcome.message = Some(stale);
                return Ok(None);
            }
        }

        let temp_root = self.config.load.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
        let work = WorkFolder::create(&temp_root).map_err(|source| SourceFailure::TempFolder { folder: temp_root.clone(), source })?;
        let clock = Instant::now();
        let local = self.runtime.block_on(location.fetch(&object, work.path()))?;
        outcome.phases.fetch = clock.elapsed().as_secs_f64();

        let mut s = self.wh.session()?;
        if !self.opts.force && ledger::already_loaded(s.as_mut(), system.name(), &object.key, object.size, &local.checksum)? {
            outcome.status = SourceStatus::Skipped;
            outcome.message = Some(format!("snapshot {described} was already loaded (use --force to load it again)"));
            tracing::info!(source = system.name(), "{}", outcome.message.as_deref().unwrap_or_default());
            return Ok(None);
        }
        tracing::info!(source = system.name(), snapshot = %described, "loading");
        Ok(Some(Fetched { object, described, local, _work: work }))
    }

    /// Says why `object` is stale, when the export time in its name is earlier than that
    /// of the snapshot last published: an old export dropped in again (its last-modified
    /// time renewed by the copy) would roll the warehouse back.
    fn stale(
        &self,
        system: System,
        s: &mut dyn crate::warehouse::Session,
        location: &Location,
        object: &SnapshotObject,
    ) -> Result<Option<String>, SourceFailure> {
        let Some(exported) = export_time(system, &object.key) else { return Ok(None) };
        let Some(last) = ledger::last_published_key(s, system.name())? else { return Ok(None) };
        let Some(last_exported) = export_time(system, &last) else { return Ok(None) };
        Ok((exported < last_exported).then(|| {
            format!(
                "stale snapshot: {} was exported {} UTC, before {} ({} UTC), which is already published; \
                 not loaded (use --force to load it anyway)",
                location.describe(&object.key),
                exported.format("%Y-%m-%d %H:%M:%S"),
                location.describe(&last),
                last_exported.format("%Y-%m-%d %H:%M:%S"),
            )
        }))
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
        seen: &dyn Fn(&str, u64) -> Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Result<SnapshotObject, String>, SourceFailure> {
        let last = {
            let mut s = self.wh.session()?;
            ledger::last_loaded_snapshot(s.as_mut(), system.name())?
        };
        let deadline = Instant::now() + wait.timeout;
        loop {
            match self.runtime.block_on(location.newest(system, seen)) {
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
            if !crate::serve::shutdown::sleep(wait.poll.min(left)) {
                crate::serve::shutdown::note_cut_short();
                return Err(SourceFailure::Stopped { signal: crate::serve::shutdown::signal() });
            }
        }
    }
}
