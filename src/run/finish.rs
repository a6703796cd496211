//! Stage 4: once every source is done, rebuild the calendar and the views over what was
//! published, judge the run and end its record in the ledger.

use std::time::Instant;

use super::{now, RunOutcome, SourceOutcome, SourceStatus};
use crate::config::Config;
use crate::fault;
use crate::views;
use crate::warehouse::ledger::{self, RunStatus};
use crate::warehouse::{self, Dialect, Session, WarehouseError};

/// Ledger error texts are cut to this many characters: the end of a run must be
/// recordable however many things went wrong.
const ERROR_TEXT_CHARS: usize = 4000;

/// Rebuilds the views, judges the run and records its end.
pub(super) fn finish(s: &mut dyn Session, d: Dialect, config: &Config, run_id: i64, sources: Vec<SourceOutcome>) -> RunOutcome {
    let mut errors: Vec<String> = sources.iter().filter_map(|o| o.ledger_error.clone()).collect();
    // The calendar follows the data and every view reads it: rebuilt once, over what the
    // sources published. Until it commits, readers see the new snapshots with the previous
    // calendar, which already runs a year past the latest date. It is cheap and also
    // repairs a rebuild that failed in an earlier run, so every run does it.
    let clock = Instant::now();
    let refreshed = warehouse::in_transaction(s, |s| -> Result<(), FinishError> {
        fault::before_views()?;
        Ok(refresh_views(s, d, config)?)
    });
    match refreshed {
        Ok(()) => tracing::info!(seconds = clock.elapsed().as_secs_f64(), "calendar and views refreshed"),
        Err(e) => errors.push(format!("calendar and views: {e}")),
    }
    // A run that SIGTERM or SIGINT cut short says so, whatever its sources did before.
    let status = if crate::serve::shutdown::was_cut_short() {
        RunStatus::Interrupted
    } else {
        RunOutcome::judge(&sources, &errors)
    };
    let mut lines: Vec<String> = sources
        .iter()
        .filter(|o| matches!(o.status, SourceStatus::Failed | SourceStatus::Late | SourceStatus::Partial))
        .map(|o| format!("{}: {}", o.system, o.message.as_deref().unwrap_or("failed")))
        .collect();
    lines.extend(sources.iter().flat_map(|o| o.warnings.iter().map(move |w| format!("{}: {w}", o.system))));
    lines.extend(errors.iter().cloned());
    lines.extend(sources.iter().flat_map(|o| o.checks.iter().filter(|c| c.failed_error()).map(|c| c.describe())));
    let status = match end_run(s, d, run_id, status, &lines) {
        Ok(()) => status,
        Err((recorded, e)) => {
            errors.push(e);
            recorded
        }
    };
    tracing::info!(run_id, status = status.as_str(), "run finished");
    RunOutcome { run_id, status, sources, errors }
}

/// A failure of the run's own steps at its end.
#[derive(Debug, thiserror::Error)]
enum FinishError {
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error(transparent)]
    Injected(#[from] fault::Injected),
}

/// Records the end of the run. When the full record cannot be written (a disk that
/// filled, say), a second, minimal one is tried, as `partial` at best since the run's own
/// bookkeeping failed: a run must never stay `running` while the warehouse can still be
/// written. On failure, returns the status the ledger holds now and what went wrong.
pub(super) fn end_run(
    s: &mut dyn Session,
    d: Dialect,
    run_id: i64,
    status: RunStatus,
    lines: &[String],
) -> Result<(), (RunStatus, String)> {
    let text = (!lines.is_empty()).then(|| {
        let joined = lines.join("; ");
        if joined.chars().count() > ERROR_TEXT_CHARS {
            format!("{}...", joined.chars().take(ERROR_TEXT_CHARS).collect::<String>())
        } else {
            joined
        }
    });
    let mut attempt = |n: usize, status: RunStatus, text: Option<&str>| -> Result<(), FinishError> {
        fault::before_run_end(n)?;
        Ok(ledger::finish_run(s, d, run_id, now(), status, text)?)
    };
    let Err(first) = attempt(1, status, text.as_deref()) else { return Ok(()) };
    tracing::error!(run_id, "cannot record the end of the run in the ledger: {first}; trying a shorter record");
    let short = match status {
        RunStatus::Succeeded | RunStatus::Warning | RunStatus::ChecksFailed => RunStatus::Partial,
        other => other,
    };
    match attempt(2, short, Some("the full record of this run's end could not be written")) {
        Ok(()) => Err((short, format!("run ledger: the end of run {run_id} was recorded without its details ({first})"))),
        Err(second) => {
            tracing::error!(run_id, "cannot record the end of the run in the ledger: {second}");
            Err((
                RunStatus::Running,
                format!("run ledger: the end of run {run_id} could not be recorded ({second}); the next run will mark it interrupted"),
            ))
        }
    }
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
