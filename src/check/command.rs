//! `marina-etl check`: every check against the warehouse as it is, without loading; and
//! the latest results as `status` shows them.

use crate::catalog::System;
use crate::cli::{CliError, ExitStatus, Out};
use crate::config::Config;
use crate::report;
use crate::run::exit;
use crate::warehouse::{self, Session};

use super::fields::Sample;
use super::results::LATEST_RESULTS_QUERY;
use super::{CheckOptions, CheckStatus, RuleFileError, RuleSet};

impl ExitStatus for RuleFileError {
    fn exit_code(&self) -> i32 {
        exit::USAGE
    }
}

/// Why `check` could not start.
#[derive(Debug, thiserror::Error)]
#[error("a run is in progress on this warehouse; check again when it has finished")]
pub struct RunInProgress;

impl ExitStatus for RunInProgress {
    fn exit_code(&self) -> i32 {
        exit::FAILED
    }
}

/// Runs the checks and prints those that did not pass. Exit code 4 when a check of
/// severity `error` failed, else 0.
pub fn check_command(out: &mut Out, config: &Config, sources: Vec<System>, sample: Option<Sample>) -> Result<i32, CliError> {
    let rules = RuleSet::load(config.checks.rules.as_deref())?;
    // The results are written to the warehouse: not while a run loads it.
    let _lock = warehouse::try_lock_run(&config.warehouse)?.ok_or(RunInProgress)?;
    let wh = warehouse::open(&config.warehouse)?;
    let mut s = wh.session()?;
    crate::run::prepare_warehouse(s.as_mut(), wh.dialect())?;
    if let Some(sample) = sample {
        eprintln!("marina-etl: field validation: {} row(s) per table, seed {}", sample.rows, sample.seed);
    }
    let opts = CheckOptions { sources, sample, config: Some(config.clone()) };
    let results = super::check_warehouse(wh.as_ref(), s.as_mut(), &rules, &opts)?;
    let count = |st| results.iter().filter(|c| c.status == st).count();
    for c in results.iter().filter(|c| c.status != CheckStatus::Pass) {
        out.line(format_args!("{} {}", c.status.as_str().to_uppercase(), c.describe()))?;
    }
    out.line(format_args!(
        "{} checks: {} passed, {} warned, {} failed",
        results.len(),
        count(CheckStatus::Pass),
        count(CheckStatus::Warn),
        count(CheckStatus::Fail)
    ))?;
    Ok(if results.iter().any(|c| c.failed_error()) { exit::CHECK_FAILED } else { exit::OK })
}

/// The latest result of every check that did not pass, and how many passed.
pub fn show_latest_results(out: &mut Out, s: &mut dyn Session) -> Result<(), CliError> {
    let mut latest = s.query_rows(LATEST_RESULTS_QUERY)?;
    if latest.rows.is_empty() {
        return Ok(());
    }
    let status = latest.columns.iter().position(|c| c.eq_ignore_ascii_case("STATUS")).unwrap_or(5);
    let total = latest.rows.len();
    latest.rows.retain(|r| r.get(status).cloned().flatten().as_deref() != Some("pass"));
    let shown = latest.rows.len();
    if shown > 0 {
        out.line(format_args!("Latest checks that did not pass\n{}", report::text_table(&latest)))?;
    }
    out.line(format_args!("Checks: {} of {total} passed at their latest run", total - shown))?;
    Ok(())
}
