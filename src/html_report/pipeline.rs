//! Pipeline: the last runs (outcome, duration, rows per source, rejects, failed checks) and
//! each source's latest snapshot with its age.

use chrono::{Duration, NaiveDateTime, Utc};

use super::charts::DataTable;
use super::data::{number, text, Reader};
use super::{grouped, Kpi, NamedTable, ReportError, Section, Unit};
use crate::catalog::System;
use crate::warehouse::ledger::RunStatus;

const RUNS_SHOWN: usize = 10;
/// The window of the pipeline's figures: its runs are dated by the clock, not by the data.
const WINDOW_DAYS: i64 = 30;

pub fn section(r: &mut Reader) -> Result<Section, ReportError> {
    let (id, title) = ("pipeline", "Pipeline");
    if !r.has(&["ETL_RUNS", "ETL_RUN_TABLES", "ETL_SNAPSHOTS"]) {
        return Ok(Section::empty(id, title, "This warehouse has no runs yet: `marina-etl run` loads the first snapshots."));
    }
    let now = Utc::now().naive_utc();
    let window = |ago: i64| (now - Duration::days(ago + WINDOW_DAYS), now - Duration::days(ago));
    let count = |r: &mut Reader, filter: &str, (from, to): (NaiveDateTime, NaiveDateTime)| {
        r.number(&format!(
            "SELECT COUNT(*) FROM ETL_RUNS WHERE STARTED_AT > TIMESTAMP '{from}' AND STARTED_AT <= TIMESTAMP '{to}'{filter}"
        ))
    };
    let rows_read = |r: &mut Reader, (from, to): (NaiveDateTime, NaiveDateTime)| {
        r.number(&format!(
            "SELECT SUM(t.ROWS_READ) FROM ETL_RUN_TABLES t JOIN ETL_RUNS r ON r.RUN_ID = t.RUN_ID \
             WHERE r.STARTED_AT > TIMESTAMP '{from}' AND r.STARTED_AT <= TIMESTAMP '{to}'"
        ))
    };
    let mut s = Section::new(id, title);
    let ended_well = [RunStatus::Succeeded, RunStatus::Skipped, RunStatus::Running].map(|st| format!("'{}'", st.as_str()));
    let failed = format!(" AND STATUS NOT IN ({})", ended_well.join(", "));
    let failed = failed.as_str();
    s.kpis.push(Kpi::compare("Runs, last 30 days", count(r, "", window(0))?, count(r, "", window(WINDOW_DAYS))?, Unit::Count));
    s.kpis.push(Kpi::compare(
        "Runs not succeeded, last 30 days",
        count(r, failed, window(0))?,
        count(r, failed, window(WINDOW_DAYS))?,
        Unit::Count,
    ));
    s.kpis.push(Kpi::compare("Rows read, last 30 days", rows_read(r, window(0))?, rows_read(r, window(WINDOW_DAYS))?, Unit::Count));

    let runs = last_runs(r)?;
    let no_runs = runs.is_empty();
    s.tables.push(NamedTable { caption: format!("Last {RUNS_SHOWN} runs"), table: runs });
    let table = latest_snapshots(r, now)?;
    if table.is_empty() {
        s.notes.push("No snapshot has been published completely yet.".into());
    }
    s.tables.push(NamedTable { caption: "Latest snapshot per source".into(), table });
    if no_runs {
        s.empty = Some("This warehouse has no runs yet: `marina-etl run` loads the first snapshots.".into());
    }
    Ok(s)
}

/// The last runs: outcome, seconds, rows read per source, rejects and failed checks.
fn last_runs(r: &mut Reader) -> Result<DataTable, ReportError> {
    let checks = r.has(&["ETL_CHECK_RESULTS"]);
    let failed_checks = if checks {
        "(SELECT COUNT(*) FROM ETL_CHECK_RESULTS c WHERE c.RUN_ID = r.RUN_ID AND c.STATUS = 'fail')"
    } else {
        "NULL"
    };
    let runs = r.rows(&format!(
        "SELECT r.RUN_ID, CAST(r.STARTED_AT AS VARCHAR), r.STATUS, CAST(r.FINISHED_AT AS VARCHAR), \
                (SELECT SUM(t.ROWS_READ) FROM ETL_RUN_TABLES t WHERE t.RUN_ID = r.RUN_ID AND t.SOURCE = 'molo'), \
                (SELECT SUM(t.ROWS_READ) FROM ETL_RUN_TABLES t WHERE t.RUN_ID = r.RUN_ID AND t.SOURCE = 'stellar'), \
                (SELECT SUM(t.ROWS_READ) FROM ETL_RUN_TABLES t WHERE t.RUN_ID = r.RUN_ID AND t.SOURCE = 'netsuite'), \
                (SELECT SUM(t.ROWS_REJECTED) FROM ETL_RUN_TABLES t WHERE t.RUN_ID = r.RUN_ID), {failed_checks} \
         FROM ETL_RUNS r ORDER BY r.RUN_ID DESC LIMIT {RUNS_SHOWN}"
    ))?;
    let mut table = DataTable::new(
        &["Run", "Started (UTC)", "Outcome", "Seconds", "MOLO rows", "Stellar rows", "NetSuite rows", "Rejects", "Failed checks"],
        &[true, false, false, true, true, true, true, true, true],
    );
    for row in &runs {
        let started = parse_time(row[1].as_deref());
        let seconds = match (started, parse_time(row[3].as_deref())) {
            (Some(a), Some(b)) => format!("{:.1}", (b - a).num_milliseconds() as f64 / 1000.0),
            _ => String::new(),
        };
        let count = |i: usize| number(row[i].as_deref()).map(|v| grouped(v, 0)).unwrap_or_default();
        let checks_cell = if checks { count(8) } else { "n/a".into() };
        table.rows.push(vec![
            text(&row[0]),
            text(&row[1]).chars().take(19).collect(),
            text(&row[2]),
            seconds,
            count(4),
            count(5),
            count(6),
            count(7),
            checks_cell,
        ]);
    }
    Ok(table)

}

/// Each source's latest fully published snapshot, when it was exported and loaded, its age.
fn latest_snapshots(r: &mut Reader, now: NaiveDateTime) -> Result<DataTable, ReportError> {
    let snapshots = r.rows(
        "SELECT s.SOURCE, s.ARCHIVE_KEY, CAST(s.LOADED_AT AS VARCHAR), s.RUN_ID FROM ETL_SNAPSHOTS s \
         WHERE s.RUN_ID = (SELECT MAX(x.RUN_ID) FROM ETL_SNAPSHOTS x WHERE x.SOURCE = s.SOURCE) ORDER BY s.SOURCE",
    )?;
    let mut table = DataTable::new(&["Source", "Latest snapshot", "Exported", "Loaded (UTC)", "Age"], &[false, false, false, false, true]);
    for row in &snapshots {
        let system: Option<System> = row[0].as_deref().and_then(|s| s.parse().ok());
        let exported = system.zip(row[1].as_deref()).and_then(|(sys, key)| crate::source::export_time(sys, key));
        let age = exported.or_else(|| parse_time(row[2].as_deref())).map(|t| age(now - t)).unwrap_or_default();
        table.rows.push(vec![
            text(&row[0]),
            text(&row[1]),
            exported.map(|t| t.to_string()).unwrap_or_default(),
            text(&row[2]).chars().take(19).collect(),
            age,
        ]);
    }
    Ok(table)
}

fn parse_time(value: Option<&str>) -> Option<NaiveDateTime> {
    let v = value?;
    NaiveDateTime::parse_from_str(v.get(..19)?, "%Y-%m-%d %H:%M:%S").ok()
}

/// `3 days`, `5 hours`, `12 minutes`.
fn age(d: Duration) -> String {
    match (d.num_days(), d.num_hours(), d.num_minutes()) {
        (days, _, _) if days >= 2 => format!("{days} days"),
        (_, hours, _) if hours >= 2 => format!("{hours} hours"),
        (_, _, minutes) => format!("{} minutes", minutes.max(0)),
    }
}
