//! `ETL_CHECK_RESULTS`: one row per check a run (or `marina-etl check`) made, with what
//! it observed, the threshold, the failing rows and up to ten of their keys.

use chrono::NaiveDateTime;

use super::rules::{CheckStatus, Severity};
use crate::warehouse::sql::{timestamp_literal, Dialect};
use crate::warehouse::{quote, quote_opt, Result, Session};

/// At most this many failing keys are recorded per check.
pub const MAX_FAILING_KEYS: usize = 10;

/// Recorded texts are cut to this many characters.
const MESSAGE_CHARS: usize = 2000;

/// The outcome of one check.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    pub source: String,
    /// `None` for a check about the whole source.
    pub table: Option<String>,
    pub check: String,
    /// `reconciliation`, `anomaly`, `field_validation` or a rule kind.
    pub kind: String,
    pub severity: Severity,
    pub status: CheckStatus,
    /// What was measured (a difference, a score, an age in days, failing rows).
    pub observed: Option<f64>,
    pub threshold: Option<String>,
    pub failing_rows: u64,
    pub failing_keys: Vec<String>,
    pub seconds: f64,
    /// What a person needs to read the result.
    pub message: Option<String>,
}

impl CheckResult {
    /// A passing check of `kind` on `source.table`, to be filled in.
    pub fn new(source: &str, table: Option<&str>, check: &str, kind: &str, severity: Severity) -> Self {
        CheckResult {
            source: source.to_string(),
            table: table.map(str::to_string),
            check: check.to_string(),
            kind: kind.to_string(),
            severity,
            status: CheckStatus::Pass,
            observed: None,
            threshold: None,
            failing_rows: 0,
            failing_keys: Vec::new(),
            seconds: 0.0,
            message: None,
        }
    }

    /// Whether this result makes a run end `checks_failed`.
    pub fn failed_error(&self) -> bool {
        self.status == CheckStatus::Fail && self.severity == Severity::Error
    }

    /// One line for the run's summary and error text.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "check {} ({}) on {}{}: {}",
            self.check,
            self.kind,
            self.source,
            self.table.as_deref().map(|t| format!(".{t}")).unwrap_or_default(),
            self.status.as_str()
        );
        if self.failing_rows > 0 {
            out.push_str(&format!(", {} failing", self.failing_rows));
        }
        if !self.failing_keys.is_empty() {
            out.push_str(&format!(" (e.g. {})", self.failing_keys.iter().take(3).cloned().collect::<Vec<_>>().join("; ")));
        }
        if let Some(m) = &self.message {
            out.push_str(&format!(": {m}"));
        }
        out
    }
}

fn cut(text: &str) -> String {
    if text.chars().count() > MESSAGE_CHARS { format!("{}...", text.chars().take(MESSAGE_CHARS).collect::<String>()) } else { text.to_string() }
}

/// Records `results` in one statement. `run_id` is `None` for `marina-etl check`.
pub fn record(s: &mut dyn Session, d: Dialect, run_id: Option<i64>, checked_at: NaiveDateTime, results: &[CheckResult]) -> Result<()> {
    if results.is_empty() {
        return Ok(());
    }
    let at = timestamp_literal(d, checked_at);
    let run = run_id.map_or_else(|| "NULL".to_string(), |r| r.to_string());
    let rows: Vec<String> = results
        .iter()
        .map(|r| {
            let keys = (!r.failing_keys.is_empty())
                .then(|| cut(&r.failing_keys.iter().take(MAX_FAILING_KEYS).cloned().collect::<Vec<_>>().join("; ")));
            format!(
                "({run}, {at}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {:.3}, {})",
                quote(&r.source),
                quote_opt(r.table.as_deref()),
                quote(&r.check),
                quote(&r.kind),
                quote(r.severity.as_str()),
                quote(r.status.as_str()),
                r.observed.filter(|v| v.is_finite()).map_or_else(|| "NULL".to_string(), |v| format!("{v}")),
                quote_opt(r.threshold.as_deref()),
                r.failing_rows,
                quote_opt(keys.as_deref()),
                r.seconds,
                quote_opt(r.message.as_deref().map(cut).as_deref()),
            )
        })
        .collect();
    s.execute(&format!(
        "INSERT INTO ETL_CHECK_RESULTS (RUN_ID, CHECKED_AT, SOURCE, TABLE_NAME, CHECK_NAME, KIND, SEVERITY, STATUS, OBSERVED, \
         THRESHOLD, FAILING_ROWS, FAILING_KEYS, SECONDS, MESSAGE) VALUES\n{}",
        rows.join(",\n")
    ))?;
    Ok(())
}

/// The latest result of every check (by source, table and check name), failures first:
/// what `status` shows.
pub const LATEST_RESULTS_QUERY: &str = "SELECT SOURCE, TABLE_NAME, CHECK_NAME, KIND, SEVERITY, STATUS, OBSERVED, FAILING_ROWS, FAILING_KEYS, RUN_ID, CHECKED_AT \
     FROM (SELECT r.*, ROW_NUMBER() OVER (PARTITION BY SOURCE, TABLE_NAME, CHECK_NAME ORDER BY CHECKED_AT DESC) AS NEWEST \
             FROM ETL_CHECK_RESULTS r) x \
    WHERE NEWEST = 1 \
    ORDER BY CASE STATUS WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, SOURCE, TABLE_NAME, CHECK_NAME";
