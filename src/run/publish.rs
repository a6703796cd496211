//! Stage 3: publish a source's staged tables, all in one transaction or none of them.
//!
//! Before the transaction opens, each table's merge is planned (which also feeds the
//! mass-delete guard); inside it, every table is merged and, when the snapshot held every
//! table of the catalog, the snapshot is recorded in `ETL_SNAPSHOTS`, so that the ledger
//! says "loaded" exactly when the data is.

use std::time::Instant;

use super::discover::Fetched;
use super::stage::{MemberPlan, StagedTable};
use super::{now, PublishError, RunContext, SourceFailure, SourceOutcome, SourceStatus, TableFailure, TableProblem};
use crate::catalog::System;
use crate::fault;
use crate::warehouse::ledger::{self, SnapshotRecord, TableStatus};
use crate::warehouse::merge::{self, MergePlan};
use crate::warehouse::{self, Session};

impl RunContext<'_> {
    /// Publishes the staged tables and fills in the source's outcome.
    pub(super) fn publish(
        &self,
        system: System,
        s: &mut dyn Session,
        fetched: &Fetched,
        plan: MemberPlan,
        mut staged: Vec<StagedTable>,
        outcome: &mut SourceOutcome,
    ) -> Result<(), SourceFailure> {
        let MemberPlan { tables, unchanged, missing, .. } = plan;
        let clock = Instant::now();
        if self.tail.publishing(system) {
            self.widen_the_tail();
        }
        let complete = missing.is_empty();
        let mut blocking = Vec::new();
        let result = self.publish_staged(system, s, &mut staged, fetched, complete, &mut blocking);
        outcome.checks.extend(blocking);
        outcome.phases.merge = clock.elapsed().as_secs_f64();
        outcome.warnings.extend(staged.iter().flat_map(|t| t.warnings.iter().map(|w| format!("{}: {w}", t.table.name))));
        outcome.tables = staged.into_iter().map(|t| t.record).chain(unchanged).chain(missing).collect();
        outcome.tables.sort_by_key(|t| tables.iter().position(|c| c.name == t.table));
        result?;
        if complete {
            outcome.status = SourceStatus::Published;
        } else {
            let missing: Vec<&str> =
                outcome.tables.iter().filter(|t| t.status == TableStatus::Missing).map(|t| t.table.as_str()).collect();
            outcome.status = SourceStatus::Partial;
            outcome.message = Some(format!(
                "snapshot incomplete: {} of {} tables missing ({}); the tables present were published, \
                 and the snapshot is not recorded as loaded",
                missing.len(),
                tables.len(),
                summarize(&missing, 5)
            ));
        }
        Ok(())
    }

    /// Publishes every staged table of a snapshot in one transaction, or none of them.
    fn publish_staged(
        &self,
        system: System,
        s: &mut dyn Session,
        staged: &mut [StagedTable],
        fetched: &Fetched,
        complete: bool,
        blocking: &mut Vec<crate::check::CheckResult>,
    ) -> Result<(), SourceFailure> {
        let d = self.wh.dialect();
        if staged.iter().any(|t| t.failure.is_some()) {
            return Err(SourceFailure::TablesFailed(mark_unpublished(staged)));
        }
        let planning = Instant::now();
        let mut plans = Vec::with_capacity(staged.len());
        for t in staged.iter_mut() {
            let plan = merge::plan_merge(s, d, t.table, t.record.rows_staged, t.held_keys)?;
            plans.push(plan);
            let ratio = self.config.load.mass_delete_ratio;
            if plan.exceeds(ratio) {
                let problem = TableProblem::MassDelete { would_delete: plan.would_delete, live: plan.live, ratio };
                if self.opts.allow_mass_delete {
                    tracing::warn!(source = system.name(), table = %t.table.name, "{problem}; allowed by --allow-mass-delete");
                } else {
                    t.failure = Some(problem);
                }
            }
        }
        tracing::debug!(seconds = planning.elapsed().as_secs_f64(), "merges planned");
        if staged.iter().any(|t| t.failure.is_some()) {
            return Err(SourceFailure::TablesFailed(mark_unpublished(staged)));
        }

        let snapshot = complete.then(|| SnapshotRecord {
            source: system.name().into(),
            archive_key: fetched.object.key.clone(),
            size: fetched.object.size,
            last_modified: fetched.object.last_modified.naive_utc(),
            checksum: fetched.local.checksum.clone(),
        });
        let exported = super::checks::exported(system, fetched);
        let published = warehouse::in_transaction(s, |s| {
            self.publish_in_transaction(s, staged, &plans, snapshot.as_ref())?;
            self.judge_blocking_rules(system, s, exported, blocking)
        });
        match published {
            Ok(()) => {
                for t in staged.iter_mut() {
                    t.record.status = TableStatus::Published;
                }
                tracing::info!(source = system.name(), tables = staged.len(), "published");
                Ok(())
            }
            Err(e) => {
                mark_unpublished(staged);
                Err(SourceFailure::Publish(e))
            }
        }
    }

    fn publish_in_transaction(
        &self,
        s: &mut dyn Session,
        staged: &mut [StagedTable],
        plans: &[MergePlan],
        snapshot: Option<&SnapshotRecord>,
    ) -> Result<(), PublishError> {
        let d = self.wh.dialect();
        let published_at = now();
        for (i, (t, plan)) in staged.iter_mut().zip(plans).enumerate() {
            let started = Instant::now();
            let counts = merge::merge_table(s, d, t.table, self.run_id, published_at, plan)
                .map_err(|source| PublishError::Merge { table: t.table.name.clone(), source })?;
            t.record.rows_inserted = counts.inserted;
            t.record.rows_updated = counts.updated;
            t.record.rows_unchanged = counts.unchanged;
            t.record.rows_deleted = counts.deleted;
            t.record.rows_undeleted = counts.undeleted;
            // Only inserts and undeletes make a key live; a table whose merge did neither
            // keeps the unique keys the check found when it last did.
            let made_live = counts.inserted + counts.undeleted > 0;
            if made_live && let Some(duplicates) = merge::find_duplicate_live_keys(s, d, t.table)? {
                return Err(PublishError::DuplicateLiveKeys {
                    table: t.table.name.clone(),
                    dw_table: t.table.dw_name(),
                    duplicates,
                });
            }
            t.record.seconds += started.elapsed().as_secs_f64();
            tracing::debug!(table = %t.table.name, seconds = started.elapsed().as_secs_f64(), "merged");
            fault::after_merge(i + 1)?;
            if let Some(slow) = fault::slow_statement_after_merge(i + 1, d) {
                eprintln!("marina-etl: running a slow statement mid-merge (MARINA_ETL_FAULT)");
                s.execute(slow)?;
            }
            // Past the grace period the publish gives up, and its transaction rolls back.
            if crate::serve::shutdown::past_grace() {
                crate::serve::shutdown::note_cut_short();
                return Err(PublishError::Interrupted { signal: crate::serve::shutdown::signal() });
            }
        }
        if crate::serve::shutdown::past_grace() {
            crate::serve::shutdown::note_cut_short();
            return Err(PublishError::Interrupted { signal: crate::serve::shutdown::signal() });
        }
        if let Some(snapshot) = snapshot {
            s.execute(&ledger::record_snapshot_statement(d, self.run_id, snapshot, published_at))?;
        }
        Ok(())
    }
}

/// Statuses after a source was not published: the failing tables `failed` (their
/// problems taken out, for the source's failure), the others `not_published`, and no
/// merge counts.
fn mark_unpublished(staged: &mut [StagedTable]) -> Vec<TableFailure> {
    let mut failures = Vec::new();
    for t in staged.iter_mut() {
        let r = &mut t.record;
        r.status = if t.failure.is_some() { TableStatus::Failed } else { TableStatus::NotPublished };
        (r.rows_inserted, r.rows_updated, r.rows_unchanged, r.rows_deleted, r.rows_undeleted) = (0, 0, 0, 0, 0);
        if let Some(problem) = t.failure.take() {
            let text = problem.to_string();
            if !r.message.as_deref().is_some_and(|m| m.starts_with(text.as_str())) {
                r.message = Some(text);
            }
            failures.push(TableFailure { table: t.table.name.clone(), problem });
        }
    }
    failures
}

/// The first `n` names, and how many more.
pub(super) fn summarize(names: &[&str], n: usize) -> String {
    let mut shown = names.iter().take(n).copied().collect::<Vec<_>>().join(", ");
    if names.len() > n {
        shown.push_str(&format!(" and {} more", names.len() - n));
    }
    shown
}
