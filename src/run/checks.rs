//! After the publish: the checks of what a source published (reconciliation, the
//! data-quality rules, volume anomalies, field validation), recorded in
//! `ETL_CHECK_RESULTS`; and inside the publish transaction, the blocking rules.

use chrono::NaiveDateTime;

use super::discover::Fetched;
use super::{now, PublishError, RunContext, SourceOutcome};
use crate::catalog::{Catalog, System};
use crate::check::{self, results, CheckResult, CheckStatus, Severity};
use crate::check::anomaly::AnomalySettings;
use crate::check::fields;
use crate::source::archive::Archive;
use crate::warehouse::ledger::{TableRecord, TableStatus};
use crate::warehouse::Session;

/// The export time of the snapshot: from its name, else its last-modified time.
pub(super) fn exported(system: System, fetched: &Fetched) -> Option<NaiveDateTime> {
    crate::source::export_time(system, &fetched.object.key).or_else(|| Some(fetched.object.last_modified.naive_utc()))
}

impl RunContext<'_> {
    /// Judges the blocking rules of `system` on the merged data, inside the publish
    /// transaction: a failed one fails the publish, which rolls the source back.
    pub(super) fn judge_blocking_rules(
        &self,
        system: System,
        s: &mut dyn Session,
        exported: Option<NaiveDateTime>,
        out: &mut Vec<CheckResult>,
    ) -> Result<(), PublishError> {
        let d = self.wh.dialect();
        for rule in self.rules.of_system(system).filter(|r| r.blocking) {
            let result = check::evaluate_rule(s, d, rule, exported)?;
            let failed = result.failed_error().then(|| result.describe());
            out.push(result);
            if let Some(failed) = failed {
                return Err(PublishError::BlockingCheck(failed));
            }
        }
        Ok(())
    }

    /// Reads a sample of each published table's rows again from the archive and compares
    /// them field by field with the warehouse.
    fn validate_fields(&self, system: System, s: &mut dyn Session, fetched: &Fetched, tables: &[String], sample: fields::Sample, outcome: &mut SourceOutcome) {
        let d = self.wh.dialect();
        let limits = self.config.load.decode_limits();
        let opened = Archive::open(&fetched.local.path, crate::source::archive_kind(system), self.config.load.max_member_bytes)
            .and_then(|a| a.members().map(|m| (a, m)));
        let (archive, members) = match opened {
            Ok(found) => found,
            Err(e) => {
                let mut r = CheckResult::new(system.name(), None, fields::CHECK, "field_validation", Severity::Error);
                r.status = CheckStatus::Fail;
                r.message = Some(format!("cannot open the archive again: {e}"));
                outcome.checks.push(r);
                return;
            }
        };
        let found: Vec<(&crate::catalog::Table, &str)> = tables
            .iter()
            .filter_map(|name| Catalog::get().table(system, name))
            .filter_map(|t| Some((t, fields::member_of(t, &members)?)))
            .collect();
        for ((table, _), validated) in found.iter().zip(fields::validate_tables(self.wh, &archive, &found, sample, &limits)) {
            match validated {
                Ok((result, differences)) => {
                    for x in &differences {
                        tracing::warn!(source = system.name(), table = %table.name, "field differs: {x}");
                    }
                    if let Err(e) = fields::record_differences(s, d, Some(self.run_id), now(), table, &differences) {
                        tracing::error!(source = system.name(), "cannot record the field differences: {e}");
                    }
                    outcome.checks.push(result);
                }
                Err(e) => {
                    let mut r = CheckResult::new(system.name(), Some(&table.name), fields::CHECK, "field_validation", Severity::Error);
                    r.status = CheckStatus::Fail;
                    r.message = Some(format!("could not be compared: {e}"));
                    outcome.checks.push(r);
                }
            }
        }
    }

    /// Checks what the source published and records every result of the source (those
    /// of blocking rules too, which a rolled-back publish could not keep).
    pub(super) fn check_published(&self, system: System, s: &mut dyn Session, fetched: &Fetched, outcome: &mut SourceOutcome) {
        let d = self.wh.dialect();
        if outcome.status.published() {
            let started = match check::run_started(s, self.run_id) {
                Ok(started) => started,
                Err(e) => {
                    tracing::error!(source = system.name(), "cannot read the run's start for the reconciliation: {e}");
                    None
                }
            };
            let published: Vec<check::reconcile::Published> = outcome
                .tables
                .iter()
                .filter(|t| t.status == TableStatus::Published)
                .filter_map(|r| Some((Catalog::get().table(system, &r.table)?, r)))
                .collect();
            let reconciled = match started {
                Some(started) => check::reconcile::reconcile_tables(s, d, self.run_id, started, &published).map_err(Unreconciled::from),
                None => Err(Unreconciled::NoStart),
            };
            match reconciled {
                Ok(results) => outcome.checks.extend(results),
                Err(e) => {
                    let mut r = CheckResult::new(system.name(), None, "reconciliation", "reconciliation", Severity::Error);
                    r.status = CheckStatus::Fail;
                    r.message = Some(format!("could not be reconciled: {e}"));
                    outcome.checks.push(r);
                }
            }
            let rules = self.rules.of_system(system).filter(|r| !r.blocking);
            outcome.checks.extend(check::evaluate_rules(s, d, rules, exported(system, fetched)));
            let judged: Vec<&TableRecord> =
                outcome.tables.iter().filter(|t| matches!(t.status, TableStatus::Published | TableStatus::Unchanged)).collect();
            let settings = AnomalySettings::from(&self.config.checks);
            match check::anomaly::volume_anomalies(s, self.run_id, system.name(), &judged, settings) {
                Ok(results) => outcome.checks.extend(results),
                Err(e) => tracing::error!(source = system.name(), "cannot judge the volumes: {e}"),
            }
            if let Some(sample) = self.opts.validate_fields {
                let published: Vec<String> = published.iter().map(|(t, _)| t.name.clone()).collect();
                self.validate_fields(system, s, fetched, &published, sample, outcome);
            }
        }
        for c in outcome.checks.iter().filter(|c| c.status != CheckStatus::Pass) {
            tracing::warn!(source = system.name(), "{}", c.describe());
        }
        if let Err(e) = results::record(s, d, Some(self.run_id), now(), &outcome.checks) {
            let message = format!("cannot record the checks of {system} in ETL_CHECK_RESULTS: {e}");
            tracing::error!(source = system.name(), "{message}");
            outcome.ledger_error.get_or_insert(message);
        }
    }
}

/// Why a source's tables could not be reconciled (a failed check of its own).
#[derive(Debug, thiserror::Error)]
enum Unreconciled {
    #[error("the run's start is not in the ledger")]
    NoStart,
    #[error(transparent)]
    Warehouse(#[from] crate::warehouse::WarehouseError),
}
