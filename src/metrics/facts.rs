//! What the metrics and `serve`'s health say, read from the run ledger in a few queries
//! that both backends run alike.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::warehouse::ledger::TableStatus;
use crate::warehouse::{Result, Rows, Session};

/// The ledger's account of the last runs, as the metrics and the health check need it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LedgerFacts {
    /// The latest run that ended (not the one running now).
    pub last_run: Option<RunFacts>,
    /// Per source: the last time it was published, or a later run ended well.
    pub last_success: Vec<(String, DateTime<Utc>)>,
    /// Per table: its row of the latest run that read it.
    pub tables: Vec<TableFacts>,
    /// Per source and check status (`pass`, `warn`, `fail`): the checks of the latest run
    /// that checked it.
    pub checks: Vec<(String, String, u64)>,
    /// Per source: its tables that failed in the last run that ended, with their messages.
    pub failed_tables: Vec<(String, String, String)>,
}

/// One run of `ETL_RUNS`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFacts {
    pub run_id: i64,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error_text: Option<String>,
}

/// One row of `ETL_RUN_TABLES`: the rows of each action.
#[derive(Clone, Debug, PartialEq)]
pub struct TableFacts {
    pub source: String,
    pub table: String,
    pub run_id: i64,
    pub status: String,
    /// (action, rows): read, staged, rejected, inserted, updated, unchanged, deleted, undeleted.
    pub rows: Vec<(&'static str, u64)>,
}

/// The actions of `ETL_RUN_TABLES`, in its column order.
pub const ACTIONS: [&str; 8] = [
    "read",
    "staged",
    "rejected",
    "inserted",
    "updated",
    "unchanged",
    "deleted",
    "undeleted",
];

/// Statuses of a run that ended with every source it looked at fine.
const ENDED_WELL: &str = "('succeeded', 'warning', 'checks_failed', 'skipped')";

impl LedgerFacts {
    /// Reads the facts from the ledger (which must exist).
    pub fn read(s: &mut dyn Session) -> Result<LedgerFacts> {
        let last_run = runs(s, "WHERE FINISHED_AT IS NOT NULL", 1)?.into_iter().next();
        let success = s.query_rows(&format!(
            "SELECT SOURCE, MAX(SUCCEEDED_AT) FROM (\
               SELECT SOURCE, LOADED_AT AS SUCCEEDED_AT FROM ETL_SNAPSHOTS \
               UNION ALL \
               SELECT t.SOURCE, r.FINISHED_AT AS SUCCEEDED_AT FROM ETL_RUNS r, (SELECT DISTINCT SOURCE FROM ETL_SNAPSHOTS) t \
                WHERE r.STATUS IN {ENDED_WELL} AND r.FINISHED_AT IS NOT NULL) x \
             GROUP BY SOURCE ORDER BY SOURCE"
        ))?;
        let last_success = success.rows.iter().filter_map(|r| Some((text(r, 0)?, timestamp(r, 1)?))).collect();
        let table_rows = s.query_rows(
            "SELECT SOURCE, TABLE_NAME, RUN_ID, STATUS, ROWS_READ, ROWS_STAGED, ROWS_REJECTED, ROWS_INSERTED, \
                    ROWS_UPDATED, ROWS_UNCHANGED, ROWS_DELETED, ROWS_UNDELETED FROM (\
               SELECT t.*, ROW_NUMBER() OVER (PARTITION BY SOURCE, TABLE_NAME ORDER BY RUN_ID DESC) AS NEWEST \
                 FROM ETL_RUN_TABLES t) x \
             WHERE NEWEST = 1 ORDER BY SOURCE, TABLE_NAME",
        )?;
        let tables = table_rows
            .rows
            .iter()
            .filter_map(|r| {
                Some(TableFacts {
                    source: text(r, 0)?,
                    table: text(r, 1)?,
                    run_id: number(r, 2)? as i64,
                    status: text(r, 3).unwrap_or_default(),
                    rows: ACTIONS
                        .iter()
                        .enumerate()
                        .map(|(i, a)| (*a, number(r, 4 + i).unwrap_or(0)))
                        .collect(),
                })
            })
            .collect();
        let check_rows = s.query_rows(
            "SELECT c.SOURCE, c.STATUS, COUNT(*) FROM ETL_CHECK_RESULTS c \
               JOIN (SELECT SOURCE, MAX(RUN_ID) AS RUN_ID FROM ETL_CHECK_RESULTS WHERE RUN_ID IS NOT NULL GROUP BY SOURCE) l \
                 ON c.SOURCE = l.SOURCE AND c.RUN_ID = l.RUN_ID \
              GROUP BY c.SOURCE, c.STATUS ORDER BY c.SOURCE, c.STATUS",
        )?;
        let checks = check_rows
            .rows
            .iter()
            .filter_map(|r| Some((text(r, 0)?, text(r, 1)?, number(r, 2)?)))
            .collect();
        let failed_tables = match &last_run {
            Some(run) => s
                .query_rows(&format!(
                    "SELECT SOURCE, TABLE_NAME, MESSAGE FROM ETL_RUN_TABLES \
                      WHERE RUN_ID = {} AND STATUS IN ({}) ORDER BY SOURCE, TABLE_NAME",
                    run.run_id,
                    TableStatus::sql_list(&[TableStatus::Failed, TableStatus::NotPublished, TableStatus::Missing])
                ))?
                .rows
                .iter()
                .filter_map(|r| Some((text(r, 0)?, text(r, 1)?, text(r, 2).unwrap_or_default())))
                .collect(),
            None => Vec::new(),
        };
        Ok(LedgerFacts {
            last_run,
            last_success,
            tables,
            checks,
            failed_tables,
        })
    }

    /// The last success of `source`, if any.
    pub fn last_success_of(&self, source: &str) -> Option<DateTime<Utc>> {
        self.last_success.iter().find(|(s, _)| s == source).map(|(_, t)| *t)
    }
}

/// The latest `limit` runs of `ETL_RUNS` that match `filter`, newest first.
pub fn runs(s: &mut dyn Session, filter: &str, limit: usize) -> Result<Vec<RunFacts>> {
    let rows: Rows = s.query_rows(&format!(
        "SELECT RUN_ID, STATUS, STARTED_AT, FINISHED_AT, ERROR_TEXT FROM ETL_RUNS {filter} ORDER BY RUN_ID DESC LIMIT {limit}"
    ))?;
    Ok(rows
        .rows
        .iter()
        .filter_map(|r| {
            Some(RunFacts {
                run_id: number(r, 0)? as i64,
                status: text(r, 1)?,
                started_at: timestamp(r, 2)?,
                finished_at: timestamp(r, 3),
                error_text: text(r, 4),
            })
        })
        .collect())
}

fn text(row: &[Option<String>], i: usize) -> Option<String> {
    row.get(i).cloned().flatten()
}

fn number(row: &[Option<String>], i: usize) -> Option<u64> {
    let value = row.get(i)?.as_deref()?;
    value
        .parse::<u64>()
        .ok()
        .or_else(|| value.parse::<f64>().ok().map(|f| f.max(0.0) as u64))
}

/// A ledger timestamp (UTC, as the backends print it: `2026-01-04 06:00:00.123` or with a `T`).
fn timestamp(row: &[Option<String>], i: usize) -> Option<DateTime<Utc>> {
    let value = row.get(i)?.as_deref()?.replace('T', " ");
    NaiveDateTime::parse_from_str(&value, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_timestamps_are_read() {
        let row = vec![
            Some("2026-01-04T06:00:01.5".to_string()),
            Some("2026-01-04 06:00:01".to_string()),
            None,
        ];
        assert_eq!(timestamp(&row, 0).unwrap().timestamp_millis(), 1_767_506_401_500);
        assert_eq!(timestamp(&row, 1).unwrap().timestamp(), 1_767_506_401);
        assert_eq!(timestamp(&row, 2), None);
    }
}
