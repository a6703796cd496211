//! What watches the data a run publishes, and proves it:
//! - [`reconcile`]: every published table against its file and the ledger (always on);
//! - [`rules`]: data-quality rules declared as data (`catalog/checks.toml`), judged by
//!   SQL on the warehouse ([`rule_sql`]), some inside the publish transaction (blocking);
//! - [`results`]: `ETL_CHECK_RESULTS`, where every check's outcome is recorded.
//!
//! A run checks each source it published (see `run::checks`); `marina-etl check` runs
//! the same checks against the warehouse as it is ([`check_warehouse`]).

pub mod anomaly;
pub mod command;
pub mod reconcile;
pub mod results;
pub mod rule_sql;
pub mod rules;
pub mod fields;

use std::time::Instant;

use chrono::NaiveDateTime;

use crate::catalog::{Catalog, System};
use crate::warehouse::{self, quote, Dialect, Session, Warehouse, WarehouseError};
pub use results::CheckResult;
pub use rules::{CheckStatus, Rule, RuleFileError, RuleSet, Severity};

/// Parses a timestamp or date as the backends print them.
pub fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim().replace('T', " ");
    NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
}

/// Judges one rule against the warehouse as `s` sees it. `exported` is the export time
/// of the source's snapshot (what freshness is measured against).
pub fn evaluate_rule(s: &mut dyn Session, d: Dialect, rule: &Rule, exported: Option<NaiveDateTime>) -> Result<CheckResult, WarehouseError> {
    let clock = Instant::now();
    let mut r = CheckResult::new(rule.system().name(), Some(&rule.table.name), &rule.name, rule.kind.as_str(), rule.severity);
    r.threshold = Some(rule.threshold_text());
    match rule_sql::rule_queries(d, rule) {
        Some(q) => {
            let counts = s.query_rows(&format!("SELECT (SELECT COUNT(*) FROM ({}) f), ({})", q.failing, q.checked))?;
            let n = |i: usize| {
                counts.rows.first().and_then(|r| r.get(i).cloned().flatten()).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
            };
            let (failing, checked) = (n(0), n(1));
            r.failing_rows = failing;
            r.observed = Some(failing as f64);
            r.status = rule.judge(failing, checked);
            if failing > 0 {
                let keys = s.query_rows_at_most(
                    &format!("SELECT FAILING_KEY FROM ({}) f ORDER BY FAILING_KEY", q.failing),
                    Some(results::MAX_FAILING_KEYS),
                )?;
                r.failing_keys = keys.rows.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect();
                r.message = Some(format!("{failing} of {checked} failing"));
            }
        }
        None => {
            // Freshness: the newest value against the export time.
            let newest = s.query_rows(&rule_sql::freshness_query(d, rule))?;
            let newest = newest.rows.first().and_then(|row| row.first().cloned().flatten()).and_then(|v| parse_time(&v));
            let max_age = rule.max_age_days.unwrap_or(0);
            match (newest, exported) {
                (_, None) => r.message = Some("the snapshot's export time is not known; not judged".into()),
                (None, Some(_)) => {
                    r.failing_rows = 1;
                    r.status = rule.judge(1, 1);
                    r.message = Some(format!("no live row has a {}", rule.columns[0].name));
                }
                (Some(newest), Some(exported)) => {
                    let age = (exported - newest).num_seconds() as f64 / 86_400.0;
                    r.observed = Some((age * 1000.0).round() / 1000.0);
                    let stale = age > max_age as f64;
                    r.failing_rows = stale as u64;
                    r.status = rule.judge(r.failing_rows, 1);
                    r.message = Some(format!(
                        "newest {} {newest}, exported {exported}: {age:.1} day(s) old, at most {max_age} allowed",
                        rule.columns[0].name
                    ));
                }
            }
        }
    }
    r.seconds = clock.elapsed().as_secs_f64();
    Ok(r)
}

/// Judges `rules`; a rule whose SQL fails (an expression naming a column that does not
/// exist, say) is a failed check saying why.
pub fn evaluate_rules<'r>(
    s: &mut dyn Session,
    d: Dialect,
    rules: impl IntoIterator<Item = &'r Rule>,
    exported: Option<NaiveDateTime>,
) -> Vec<CheckResult> {
    rules
        .into_iter()
        .map(|rule| {
            evaluate_rule(s, d, rule, exported).unwrap_or_else(|e| {
                let mut r = CheckResult::new(rule.system().name(), Some(&rule.table.name), &rule.name, rule.kind.as_str(), rule.severity);
                r.status = CheckStatus::Fail;
                r.message = Some(format!("the rule could not be checked: {e}"));
                r
            })
        })
        .collect()
}

/// When run `run_id` started, from the ledger.
pub fn run_started(s: &mut dyn Session, run_id: i64) -> Result<Option<NaiveDateTime>, WarehouseError> {
    let rows = s.query_rows(&format!("SELECT CAST(STARTED_AT AS VARCHAR) FROM ETL_RUNS WHERE RUN_ID = {run_id}"))?;
    Ok(rows.rows.first().and_then(|r| r.first().cloned().flatten()).and_then(|v| parse_time(&v)))
}

/// The export time of the latest snapshot of `system` loaded (from its name, else its
/// last-modified time).
pub fn latest_export_time(s: &mut dyn Session, system: System) -> Result<Option<NaiveDateTime>, WarehouseError> {
    let rows = s.query_rows(&format!(
        "SELECT ARCHIVE_KEY, CAST(LAST_MODIFIED AS VARCHAR) FROM ETL_SNAPSHOTS WHERE SOURCE = {} ORDER BY RUN_ID DESC, LOADED_AT DESC LIMIT 1",
        quote(system.name())
    ))?;
    Ok(rows.rows.first().and_then(|r| {
        let key = r.first().cloned().flatten()?;
        crate::source::export_time(system, &key).or_else(|| r.get(1).cloned().flatten().and_then(|v| parse_time(&v)))
    }))
}

/// What `marina-etl check` asks for.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Sources to check; empty = all.
    pub sources: Vec<System>,
    /// `--validate-fields`: the rows to compare with their archive.
    pub sample: Option<fields::Sample>,
    /// Where the snapshots are (field validation reads them again).
    pub config: Option<crate::config::Config>,
}

/// Runs every check against the warehouse as it is, records the results (without a run
/// id) and returns them: the reconciliations of each table with the run that last
/// published it (when its staging table is still that run's), and every rule.
pub fn check_warehouse(
    wh: &dyn Warehouse,
    s: &mut dyn Session,
    rules: &RuleSet,
    opts: &CheckOptions,
) -> Result<Vec<CheckResult>, WarehouseError> {
    let d = wh.dialect();
    let systems: Vec<System> = if opts.sources.is_empty() { System::ALL.to_vec() } else { opts.sources.clone() };
    let mut results = Vec::new();
    for system in systems {
        results.extend(reconcile_latest(s, d, system)?);
        let exported = latest_export_time(s, system)?;
        results.extend(evaluate_rules(s, d, rules.of_system(system), exported));
        if let (Some(sample), Some(config)) = (opts.sample, &opts.config) {
            for (result, differences) in fields::validate_warehouse(wh, s, config, system, sample) {
                if let Some(table) = result.table.as_deref().and_then(|t| Catalog::get().table(system, t)) {
                    for x in &differences {
                        tracing::warn!(source = system.name(), table = %table.name, "field differs: {x}");
                    }
                    fields::record_differences(s, d, None, crate::run::now(), table, &differences)?;
                }
                results.push(result);
            }
        }
    }
    results::record(s, d, None, crate::run::now(), &results)?;
    Ok(results)
}

/// Reconciles every table of `system` whose latest read (published or not) was published:
/// only then do its staging table and `DW_RUN_ID`s still describe that run.
fn reconcile_latest(s: &mut dyn Session, d: Dialect, system: System) -> Result<Vec<CheckResult>, WarehouseError> {
    let rows = s.query_rows(&format!(
        "SELECT TABLE_NAME, RUN_ID, STATUS, ROWS_READ, ROWS_STAGED, ROWS_REJECTED, ROWS_INSERTED, ROWS_UPDATED, ROWS_DELETED, ROWS_UNDELETED FROM (\
           SELECT t.*, ROW_NUMBER() OVER (PARTITION BY TABLE_NAME ORDER BY RUN_ID DESC) AS NEWEST FROM ETL_RUN_TABLES t \
            WHERE SOURCE = {} AND STATUS IN ('published', 'failed', 'not_published')) x \
          WHERE NEWEST = 1 AND STATUS = 'published' ORDER BY TABLE_NAME",
        quote(system.name())
    ))?;
    let mut runs: std::collections::BTreeMap<i64, Vec<(&'static crate::catalog::Table, warehouse::ledger::TableRecord)>> = Default::default();
    for row in rows.rows {
        let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let n = |i: usize| text(i).parse::<u64>().unwrap_or(0);
        let Some(table) = Catalog::get().table(system, &text(0)) else { continue };
        let Ok(run_id) = text(1).parse::<i64>() else { continue };
        let record = warehouse::ledger::TableRecord {
            source: system.name().into(),
            table: table.name.clone(),
            rows_read: n(3),
            rows_staged: n(4),
            rows_rejected: n(5),
            rows_inserted: n(6),
            rows_updated: n(7),
            rows_deleted: n(8),
            rows_undeleted: n(9),
            ..Default::default()
        };
        runs.entry(run_id).or_default().push((table, record));
    }
    let mut results = Vec::new();
    for (run_id, tables) in runs {
        let Some(started) = run_started(s, run_id)? else { continue };
        let published: Vec<reconcile::Published> = tables.iter().map(|(t, r)| (*t, r)).collect();
        results.extend(reconcile::reconcile_tables(s, d, run_id, started, &published)?);
    }
    Ok(results)
}
