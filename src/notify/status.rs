//! `marina-etl status --run N`: everything the ledger holds about one run, where a
//! notification's reader is sent to look further.

use crate::cli::{exit, CliError, Out};
use crate::config::Config;
use crate::report::text_table;
use crate::warehouse;

/// Rejects listed at most (all are in `ETL_REJECTS`).
const REJECTS_SHOWN: usize = 20;

/// Prints run `run_id`: its record, tables, rejects, checks that did not pass and
/// notifications. Exit 2 when there is no such run.
pub fn show_run(out: &mut Out, config: &Config, run_id: i64) -> Result<i32, CliError> {
    let wh = warehouse::open(&config.warehouse)?;
    let mut s = wh.session()?;
    crate::run::prepare_warehouse(s.as_mut(), wh.dialect())?;
    let run = s.query_rows(&format!(
        "SELECT RUN_ID, STARTED_AT, FINISHED_AT, STATUS, HOST, VERSION, ERROR_TEXT FROM ETL_RUNS WHERE RUN_ID = {run_id}"
    ))?;
    if run.rows.is_empty() {
        return Err(CliError::Failed { message: format!("there is no run {run_id} in the ledger (see marina-etl status)"), code: exit::USAGE });
    }
    out.line(format_args!("Run {run_id}\n{}", text_table(&run)))?;
    let sections = [
        (
            "Tables",
            format!(
                "SELECT SOURCE, TABLE_NAME, STATUS, ROWS_READ, ROWS_REJECTED, ROWS_INSERTED, ROWS_UPDATED, ROWS_UNCHANGED, ROWS_DELETED, \
                        ROWS_UNDELETED, MESSAGE FROM ETL_RUN_TABLES WHERE RUN_ID = {run_id} ORDER BY SOURCE, TABLE_NAME"
            ),
        ),
        (
            "Checks that did not pass",
            format!(
                "SELECT SOURCE, TABLE_NAME, CHECK_NAME, KIND, SEVERITY, STATUS, FAILING_ROWS, MESSAGE FROM ETL_CHECK_RESULTS \
                  WHERE RUN_ID = {run_id} AND STATUS <> 'pass' ORDER BY SOURCE, TABLE_NAME, CHECK_NAME"
            ),
        ),
        (
            "Notifications",
            format!("SELECT SENT_AT, CHANNEL, TARGET, EVENT, STATUS, ATTEMPTS, MESSAGE FROM ETL_NOTIFICATIONS WHERE RUN_ID = {run_id} ORDER BY SENT_AT, CHANNEL, TARGET"),
        ),
    ];
    for (title, sql) in &sections {
        let rows = s.query_rows(sql)?;
        if !rows.rows.is_empty() {
            out.line(format_args!("{title}\n{}", text_table(&rows)))?;
        }
    }
    let rejects = s.query_i64(&format!("SELECT COUNT(*) FROM ETL_REJECTS WHERE RUN_ID = {run_id}"))?;
    if rejects > 0 {
        let first = s.query_rows_at_most(
            &format!(
                "SELECT SOURCE, TABLE_NAME, LINE_NUMBER, COLUMN_NAME, SUBSTR(RAW_VALUE, 1, 60) AS RAW_VALUE, SUBSTR(REASON, 1, 120) AS REASON \
                   FROM ETL_REJECTS WHERE RUN_ID = {run_id} ORDER BY SOURCE, TABLE_NAME, LINE_NUMBER"
            ),
            Some(REJECTS_SHOWN),
        )?;
        out.line(format_args!(
            "Rejects ({rejects}; all: marina-etl query \"SELECT * FROM ETL_REJECTS WHERE RUN_ID = {run_id}\")\n{}",
            text_table(&first)
        ))?;
    }
    Ok(exit::OK)
}
