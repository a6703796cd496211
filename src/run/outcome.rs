//! What a run did, source by source: the value the command line reports, the tests check
//! and the exit code is read from.

use crate::catalog::System;
use crate::warehouse::ledger::{RunStatus, TableRecord};

/// Exit codes of the pipeline contract.
pub mod exit {
    pub const OK: i32 = 0;
    /// A source (or a stage of the run) failed, or a snapshot was incomplete.
    pub const FAILED: i32 = 1;
    /// Usage or configuration error.
    pub const USAGE: i32 = 2;
    /// No new snapshot: everything already loaded, or a source still late after `--wait`.
    pub const NO_NEW_SNAPSHOT: i32 = 3;
    /// Everything published, with warnings that need a person (see [`super::RunOutcome::warnings`]),
    /// or a check of severity `error` failed on what was published.
    pub const WARNING: i32 = 4;
    /// A check of severity `error` failed (the data stays published): the same code as a warning.
    pub const CHECK_FAILED: i32 = WARNING;
    /// SIGTERM or SIGINT stopped the run before it finished (see `crate::serve::shutdown`):
    /// what was published stays published, every other source is as it was.
    pub const INTERRUPTED: i32 = 5;
}

/// How one source ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceStatus {
    Published,
    /// The tables in the snapshot were published, but tables of the catalog were missing
    /// from it: the snapshot is not recorded as loaded, so a later run reads it again.
    Partial,
    /// The newest snapshot was already loaded.
    Skipped,
    /// Waited (`--wait`) and no snapshot newer than the last loaded one appeared.
    Late,
    Failed,
}

impl SourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Published => "published",
            SourceStatus::Partial => "partial",
            SourceStatus::Skipped => "skipped",
            SourceStatus::Late => "late",
            SourceStatus::Failed => "failed",
        }
    }

    /// Whether the source's snapshot (or the part of it that was there) was published.
    pub fn published(self) -> bool {
        matches!(self, SourceStatus::Published | SourceStatus::Partial)
    }
}

/// The outcome of one source in a run.
#[derive(Clone, Debug)]
pub struct SourceOutcome {
    pub system: System,
    pub status: SourceStatus,
    /// The snapshot as a person would name it.
    pub snapshot: Option<String>,
    /// Why it failed, was skipped or is partial, in one line.
    pub message: Option<String>,
    /// Things a person should look at although the source published (a column that
    /// held values missing from the new file, say).
    pub warnings: Vec<String>,
    /// The ledger could not record the source's tables (whatever the source's status).
    pub ledger_error: Option<String>,
    pub tables: Vec<TableRecord>,
    /// Archive members that are not in the catalog (listed and ignored).
    pub ignored_files: Vec<String>,
    pub seconds: f64,
    /// Where the time went.
    pub phases: Phases,
    /// The checks of what the source published (and of blocking rules that refused it).
    pub checks: Vec<crate::check::CheckResult>,
}

impl SourceOutcome {
    pub fn new(system: System) -> Self {
        SourceOutcome {
            system,
            status: SourceStatus::Failed,
            snapshot: None,
            message: None,
            warnings: Vec::new(),
            ledger_error: None,
            tables: Vec::new(),
            ignored_files: Vec::new(),
            seconds: 0.0,
            phases: Phases::default(),
            checks: Vec::new(),
        }
    }
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

/// The outcome of a run.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub run_id: i64,
    pub status: RunStatus,
    pub sources: Vec<SourceOutcome>,
    /// Failures of the run's own steps (the calendar and views, the run ledger, also a
    /// source's ledger rows), one line each.
    pub errors: Vec<String>,
}

impl RunOutcome {
    /// Exit code of the contract: 0 success, 1 a source failed or is incomplete (or the
    /// run's own steps failed), 3 no new snapshot (everything already loaded, or a source
    /// still late when the wait ran out), 4 published with warnings, 5 stopped by a signal.
    pub fn exit_code(&self) -> i32 {
        let any = |status| self.sources.iter().any(|o| o.status == status);
        if self.status == RunStatus::Interrupted {
            return exit::INTERRUPTED;
        }
        if !self.errors.is_empty() || any(SourceStatus::Failed) || any(SourceStatus::Partial) {
            return exit::FAILED;
        }
        match self.status {
            RunStatus::Skipped => exit::NO_NEW_SNAPSHOT,
            _ if any(SourceStatus::Late) => exit::NO_NEW_SNAPSHOT,
            RunStatus::Succeeded => exit::OK,
            RunStatus::Warning => exit::WARNING,
            RunStatus::ChecksFailed => exit::CHECK_FAILED,
            _ => exit::FAILED,
        }
    }

    /// Every warning of every source, prefixed with its source.
    pub fn warnings(&self) -> impl Iterator<Item = String> + '_ {
        self.sources.iter().flat_map(|o| o.warnings.iter().map(move |w| format!("{}: {w}", o.system)))
    }

    /// The run's status from its sources and its own steps: never a success when any
    /// stage failed.
    pub fn judge(sources: &[SourceOutcome], errors: &[String]) -> RunStatus {
        let count = |status| sources.iter().filter(|o| o.status == status).count();
        let (failed, skipped, late, partial) =
            (count(SourceStatus::Failed), count(SourceStatus::Skipped), count(SourceStatus::Late), count(SourceStatus::Partial));
        if failed == 0 && partial == 0 && skipped + late == sources.len() && errors.is_empty() {
            RunStatus::Skipped
        } else if failed == sources.len() && !sources.is_empty() {
            RunStatus::Failed
        } else if failed > 0 || partial > 0 || late > 0 || !errors.is_empty() {
            RunStatus::Partial
        } else if sources.iter().any(|o| o.checks.iter().any(|c| c.failed_error())) {
            RunStatus::ChecksFailed
        } else if sources.iter().any(|o| !o.warnings.is_empty()) {
            RunStatus::Warning
        } else {
            RunStatus::Succeeded
        }
    }
}
