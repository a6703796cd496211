//! Volume anomalies from the run ledger: per table, today's live rows and inserted,
//! updated and deleted counts against the same table's counts in the last successful
//! runs, by a robust score (distance from the median in scaled median absolute
//! deviations). Runs whose volume was flagged are left out of later baselines, so one
//! bad day does not become the new normal.

use std::collections::HashMap;
use std::time::Instant;

use super::results::CheckResult;
use super::rules::{CheckStatus, Severity};
use crate::warehouse::ledger::TableRecord;
use crate::warehouse::{quote, Result, Session};

/// How the anomaly check judges.
#[derive(Clone, Copy, Debug)]
pub struct AnomalySettings {
    /// A score above this is an anomaly (default 3).
    pub sensitivity: f64,
    /// Successful runs in the baseline (default 14).
    pub history: usize,
    /// Fewer runs than this in the baseline: not judged (default 5).
    pub min_runs: usize,
}

impl From<&crate::config::ChecksConfig> for AnomalySettings {
    fn from(c: &crate::config::ChecksConfig) -> Self {
        AnomalySettings { sensitivity: c.anomaly_sensitivity, history: c.anomaly_history, min_runs: c.anomaly_min_runs }
    }
}

/// The name of the check in `ETL_CHECK_RESULTS`.
pub const CHECK: &str = "volume";
const KIND: &str = "anomaly";

/// The counts judged, by name.
const METRICS: [&str; 4] = ["rows", "inserted", "updated", "deleted"];

fn metrics(r: &TableRecord) -> [f64; 4] {
    [r.rows_staged as f64, r.rows_inserted as f64, r.rows_updated as f64, r.rows_deleted as f64]
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// The robust score of `x` against `history`: |x - median| / (1.4826 MAD). The scale
/// has a floor of one row and 1% of the median, so that a count that never moved (a
/// table no one edits) is not flagged for one row more.
pub fn robust_score(x: f64, history: &[f64]) -> (f64, f64) {
    let mut values = history.to_vec();
    let m = median(&mut values);
    let mut deviations: Vec<f64> = history.iter().map(|v| (v - m).abs()).collect();
    let mad = median(&mut deviations);
    let scale = (1.4826 * mad).max(1.0).max(0.01 * m.abs());
    ((x - m).abs() / scale, m)
}

/// Judges the volume of every table in `tables` (of one source, as run `run_id`
/// recorded them), against the baselines in the ledger.
pub fn volume_anomalies(s: &mut dyn Session, run_id: i64, source: &str, tables: &[&TableRecord], settings: AnomalySettings) -> Result<Vec<CheckResult>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let clock = Instant::now();
    let rows = s.query_rows(&format!(
        "SELECT TABLE_NAME, ROWS_STAGED, ROWS_INSERTED, ROWS_UPDATED, ROWS_DELETED FROM (\
           SELECT t.TABLE_NAME, t.ROWS_STAGED, t.ROWS_INSERTED, t.ROWS_UPDATED, t.ROWS_DELETED, \
                  ROW_NUMBER() OVER (PARTITION BY t.TABLE_NAME ORDER BY t.RUN_ID DESC) AS AGE \
             FROM ETL_RUN_TABLES t JOIN ETL_RUNS r ON r.RUN_ID = t.RUN_ID \
            WHERE t.SOURCE = {src} AND t.RUN_ID < {run_id} AND t.STATUS IN ('published', 'unchanged') \
              AND r.STATUS IN ('succeeded', 'warning', 'checks_failed') \
              AND NOT EXISTS (SELECT 1 FROM ETL_CHECK_RESULTS c WHERE c.RUN_ID = t.RUN_ID AND c.SOURCE = t.SOURCE \
                                 AND c.TABLE_NAME = t.TABLE_NAME AND c.KIND = '{KIND}' AND c.STATUS <> 'pass')) x \
          WHERE AGE <= {}",
        settings.history,
        src = quote(source),
    ))?;
    let mut history: HashMap<String, Vec<[f64; 4]>> = HashMap::new();
    for r in rows.rows {
        let n = |i: usize| r.get(i).cloned().flatten().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        if let Some(table) = r.first().cloned().flatten() {
            history.entry(table).or_default().push([n(1), n(2), n(3), n(4)]);
        }
    }
    let each = clock.elapsed().as_secs_f64() / tables.len() as f64;
    Ok(tables
        .iter()
        .map(|record| {
            let mut r = CheckResult::new(source, Some(&record.table), CHECK, KIND, Severity::Warn);
            r.seconds = each;
            r.threshold = Some(format!("score > {}", settings.sensitivity));
            let past = history.get(&record.table).map(Vec::as_slice).unwrap_or_default();
            if past.len() < settings.min_runs {
                r.message = Some(format!("{} earlier successful run(s), {} needed; not judged", past.len(), settings.min_runs));
                return r;
            }
            let today = metrics(record);
            let mut worst = 0.0f64;
            let mut flagged = Vec::new();
            for (i, name) in METRICS.iter().enumerate() {
                let values: Vec<f64> = past.iter().map(|m| m[i]).collect();
                let (score, median) = robust_score(today[i], &values);
                worst = worst.max(score);
                if score > settings.sensitivity {
                    flagged.push(format!("{name} {} against a median of {median} (score {score:.1})", today[i]));
                }
            }
            r.observed = Some((worst * 100.0).round() / 100.0);
            r.failing_rows = flagged.len() as u64;
            if !flagged.is_empty() {
                r.status = CheckStatus::Warn;
                r.failing_keys = flagged.clone();
            }
            r.message = Some(if flagged.is_empty() {
                format!("within the usual volume of {} earlier run(s)", past.len())
            } else {
                format!("{} over {} earlier run(s)", flagged.join("; "), past.len())
            });
            r
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::robust_score;

    #[test]
    fn a_halved_count_scores_far_above_the_usual_noise() {
        let history = [1000.0, 1004.0, 998.0, 1010.0, 1002.0, 1006.0];
        assert!(robust_score(500.0, &history).0 > 50.0);
        assert!(robust_score(1008.0, &history).0 < 3.0);
        // A count that never moved is not flagged for one more row.
        assert!(robust_score(1.0, &[0.0; 6]).0 <= 1.0);
        assert!(robust_score(50.0, &[0.0; 6]).0 > 3.0);
    }
}
