//! What `serve` knows about the pipeline between runs, for its HTTP endpoint: the
//! ledger's facts as read after the last run (a DuckDB file is never opened while a run
//! writes it), the run in progress and the next scheduled time; and the health verdict.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::config::Config;
use crate::metrics::facts::{self, LedgerFacts};
use crate::run::RunOutcome;
use crate::warehouse::ledger::{RunStatus, TableStatus};
use crate::warehouse::{self, Session, WarehouseError};

/// How many runs `/runs` lists.
pub const RECENT_RUNS: usize = 20;

/// The state `serve` shares with its HTTP endpoint.
#[derive(Default)]
pub struct Status {
    /// The ledger as read after the last run; `Err` says why it could not be read.
    pub facts: Option<Result<LedgerFacts, String>>,
    /// The recent runs, as `/runs` shows them.
    pub runs: Value,
    /// The latest run of this process.
    pub last_outcome: Option<RunOutcome>,
    /// When the run in progress started.
    pub running_since: Option<DateTime<Utc>>,
    /// The next scheduled time.
    pub next_run: Option<DateTime<Utc>>,
}

/// The status behind a lock, shared between the schedule loop and the endpoint.
pub type Shared = Arc<Mutex<Status>>;

/// Locks the status; a panic elsewhere leaves it readable.
pub fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Status> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads the ledger again (after a run, and at start). A ledger that cannot be read (a
/// warehouse not created yet, or another process loading the DuckDB file) is said so.
pub fn refresh(config: &Config, shared: &Shared) {
    let read = || -> Result<(LedgerFacts, Value), WarehouseError> {
        let wh = warehouse::open_read_only(&config.warehouse)?;
        let mut s = wh.session()?;
        Ok((LedgerFacts::read(s.as_mut())?, recent_runs(s.as_mut())?))
    };
    let result = read();
    let mut status = lock(shared);
    match result {
        Ok((facts, runs)) => {
            status.facts = Some(Ok(facts));
            status.runs = runs;
        }
        Err(e) => {
            tracing::warn!("cannot read the run ledger: {e}");
            // Facts read before stay more useful than none, unless there were none.
            if !matches!(status.facts, Some(Ok(_))) {
                status.facts = Some(Err(e.to_string()));
            }
        }
    }
}

/// The latest runs with, per source, the rows they read, changed and rejected.
fn recent_runs(s: &mut dyn Session) -> Result<Value, WarehouseError> {
    let runs = facts::runs(s, "", RECENT_RUNS)?;
    let oldest = runs.last().map_or(0, |r| r.run_id);
    let loaded = TableStatus::sql_list(&[TableStatus::Published, TableStatus::Unchanged]);
    let per_source = s.query_rows(&format!(
        "SELECT RUN_ID, SOURCE, COUNT(*), SUM(ROWS_READ), SUM(ROWS_INSERTED), SUM(ROWS_UPDATED), SUM(ROWS_DELETED), \
                SUM(ROWS_REJECTED), SUM(CASE WHEN STATUS IN ({loaded}) THEN 1 ELSE 0 END) \
           FROM ETL_RUN_TABLES WHERE RUN_ID >= {oldest} GROUP BY RUN_ID, SOURCE ORDER BY RUN_ID, SOURCE"
    ))?;
    let n = |v: &Option<String>| v.as_deref().and_then(|t| t.parse::<f64>().ok()).map_or(0, |f| f as u64);
    let shown = runs
        .iter()
        .map(|r| {
            let sources: serde_json::Map<String, Value> = per_source
                .rows
                .iter()
                .filter(|row| row.first().cloned().flatten().and_then(|id| id.parse::<i64>().ok()) == Some(r.run_id))
                .map(|row| {
                    let source = row.get(1).cloned().flatten().unwrap_or_default();
                    (
                        source,
                        json!({
                            "tables": n(&row[2]), "rows_read": n(&row[3]), "rows_inserted": n(&row[4]),
                            "rows_updated": n(&row[5]), "rows_deleted": n(&row[6]), "rows_rejected": n(&row[7]),
                            "tables_published": n(&row[8]),
                        }),
                    )
                })
                .collect();
            json!({
                "run_id": r.run_id,
                "status": r.status,
                "started_at": r.started_at.to_rfc3339(),
                "finished_at": r.finished_at.map(|t| t.to_rfc3339()),
                "seconds": r.finished_at.map(|f| (f - r.started_at).num_milliseconds() as f64 / 1000.0),
                "error": r.error_text,
                "sources": sources,
            })
        })
        .collect();
    Ok(Value::Array(shown))
}

/// Statuses of a last run that leave the pipeline healthy.
const HEALTHY_RUN: [RunStatus; 2] = [RunStatus::Succeeded, RunStatus::Skipped];

/// Whether the pipeline is healthy, and if not, why (one reason per line).
#[derive(Clone, Debug, PartialEq)]
pub struct Health {
    pub reasons: Vec<String>,
}

impl Health {
    pub fn healthy(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// Healthy while the last run ended well and every source succeeded within `max_age`
/// of `now`.
pub fn health(facts: Option<&Result<LedgerFacts, String>>, sources: &[&str], max_age: Duration, now: DateTime<Utc>) -> Health {
    let facts = match facts {
        Some(Ok(facts)) => facts,
        Some(Err(e)) => {
            return Health {
                reasons: vec![format!("cannot read the run ledger: {e}")],
            };
        }
        None => {
            return Health {
                reasons: vec!["the run ledger was not read yet".into()],
            };
        }
    };
    let mut reasons = Vec::new();
    let max = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
    for source in sources {
        match facts.last_success_of(source) {
            None => reasons.push(format!("{source}: never loaded successfully")),
            Some(at) if now - at > max => reasons.push(format!(
                "{source}: last success {} UTC, more than {} ago",
                at.format("%Y-%m-%d %H:%M:%S"),
                humantime::format_duration(max_age)
            )),
            Some(_) => {}
        }
    }
    if let Some(run) = &facts.last_run
        && !HEALTHY_RUN.iter().any(|healthy| healthy.as_str() == run.status)
    {
        let failed: Vec<String> = facts
            .failed_tables
            .iter()
            .map(|(source, table, message)| format!("{source}.{table}: {message}"))
            .collect();
        let detail = run.error_text.clone().unwrap_or_else(|| failed.join("; "));
        let detail: String = detail.chars().take(500).collect();
        reasons.push(format!(
            "run {} ended {}{}",
            run.run_id,
            run.status,
            if detail.is_empty() { String::new() } else { format!(": {detail}") }
        ));
    }
    Health { reasons }
}

/// The JSON body of `/healthz`.
pub fn health_json(health: &Health, facts: Option<&Result<LedgerFacts, String>>, status: &Status) -> Value {
    let last_success: serde_json::Map<String, Value> = match facts {
        Some(Ok(f)) => f
            .last_success
            .iter()
            .map(|(s, t)| (s.clone(), Value::String(t.to_rfc3339())))
            .collect(),
        _ => serde_json::Map::new(),
    };
    json!({
        "status": if health.healthy() { "ok" } else { "unhealthy" },
        "reasons": health.reasons,
        "last_success": last_success,
        "last_run": match facts {
            Some(Ok(LedgerFacts { last_run: Some(r), .. })) => json!({"run_id": r.run_id, "status": r.status}),
            _ => Value::Null,
        },
        "running_since": status.running_since.map(|t| t.to_rfc3339()),
        "next_run": status.next_run.map(|t| t.to_rfc3339()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::facts::RunFacts;
    use chrono::TimeZone;

    #[test]
    fn healthy_only_while_every_source_succeeded_recently_and_the_last_run_ended_well() {
        let now = Utc.with_ymd_and_hms(2026, 1, 4, 12, 0, 0).unwrap();
        let hours = |h| now - chrono::Duration::hours(h);
        let run = |status: &str| RunFacts {
            run_id: 7,
            status: status.into(),
            started_at: hours(2),
            finished_at: Some(hours(1)),
            error_text: None,
        };
        let facts = LedgerFacts {
            last_run: Some(run("succeeded")),
            last_success: vec![("molo".into(), hours(1)), ("stellar".into(), hours(30))],
            ..LedgerFacts::default()
        };
        let day = Duration::from_secs(26 * 3600);
        let h = health(Some(&Ok(facts.clone())), &["molo"], day, now);
        assert!(h.healthy(), "{h:?}");
        let h = health(Some(&Ok(facts.clone())), &["molo", "stellar", "netsuite"], day, now);
        assert_eq!(h.reasons.len(), 2, "{h:?}");
        assert!(h.reasons[0].starts_with("stellar: last success"), "{h:?}");
        assert_eq!(h.reasons[1], "netsuite: never loaded successfully");
        let failed = LedgerFacts {
            last_run: Some(run("partial")),
            failed_tables: vec![("molo".into(), "BOATS".into(), "3 of 10 rows rejected".into())],
            ..facts
        };
        let h = health(Some(&Ok(failed)), &["molo"], day, now);
        assert_eq!(h.reasons, ["run 7 ended partial: molo.BOATS: 3 of 10 rows rejected"]);
        assert!(!health(Some(&Err("gone".into())), &[], day, now).healthy());
    }
}
