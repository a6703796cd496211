//! Prometheus metrics of the pipeline, built from the run ledger: one text rendering
//! ([`render`]) that `run` writes to a file for node_exporter's textfile collector (and
//! may push to a Pushgateway) and that `serve` answers at `/metrics`.
//!
//! Every metric is a gauge named `marina_etl_*`; the README lists them.

pub mod facts;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::run::{RunOutcome, RunStatus};
pub use facts::LedgerFacts;

/// `[metrics]`: where the metrics go after each run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// A file replaced after each run (write it into node_exporter's
    /// `--collector.textfile.directory`, with the `.prom` extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub textfile: Option<PathBuf>,
    /// A Pushgateway's base URL (`http://127.0.0.1:9091`): the metrics are PUT under
    /// `/metrics/job/<job>` after each run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushgateway: Option<String>,
    /// The Pushgateway job name (default `marina_etl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
}

/// Metrics that could not be written or pushed.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot read the run ledger for the metrics: {0}")]
    Ledger(#[from] crate::warehouse::WarehouseError),
    #[error("cannot write the metrics file {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot push the metrics to {url}: {source}")]
    Push {
        url: crate::config::MaskedUrl,
        #[source]
        source: reqwest::Error,
    },
    #[error("the Pushgateway {url} answered {status}")]
    Refused {
        url: crate::config::MaskedUrl,
        status: reqwest::StatusCode,
    },
    #[error("cannot start the push: {0}")]
    Runtime(#[source] std::io::Error),
}

/// One gauge: its name, help text and samples (labels, value).
struct Gauge<'a> {
    name: &'a str,
    help: &'a str,
    samples: Vec<(Vec<(&'a str, String)>, f64)>,
}

impl Gauge<'_> {
    fn write(&self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} gauge", self.name);
        for (labels, value) in &self.samples {
            out.push_str(self.name);
            if !labels.is_empty() {
                let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
                let _ = write!(out, "{{{}}}", shown.join(","));
            }
            let _ = writeln!(out, " {}", number(*value));
        }
    }
}

/// A label value as the text format writes it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

fn seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// Every run status, for the one-hot `marina_etl_last_run_status`.
const STATUSES: [RunStatus; 8] = [
    RunStatus::Running,
    RunStatus::Succeeded,
    RunStatus::Warning,
    RunStatus::ChecksFailed,
    RunStatus::Partial,
    RunStatus::Failed,
    RunStatus::Skipped,
    RunStatus::Interrupted,
];

/// The metrics in Prometheus' text format (version 0.0.4): the ledger's `facts`, and the
/// phases of `outcome` when the run is known in memory (the ledger keeps no phase times).
pub fn render(facts: &LedgerFacts, outcome: Option<&RunOutcome>, now: DateTime<Utc>) -> String {
    let mut gauges = Vec::new();
    gauges.push(Gauge {
        name: "marina_etl_last_success_timestamp_seconds",
        help: "When the source was last published, or a later run ended without a failure (Unix time).",
        samples: per_source(facts, &|n| facts.last_success_of(n).map(seconds)),
    });
    if let Some(run) = &facts.last_run {
        gauges.extend(last_run_gauges(run));
    }
    if let Some(outcome) = outcome {
        gauges.extend(phase_gauges(outcome));
    }
    gauges.extend(table_and_check_gauges(facts));
    gauges.push(Gauge {
        name: "marina_etl_metrics_timestamp_seconds",
        help: "When these metrics were rendered (Unix time).",
        samples: vec![(vec![], seconds(now))],
    });
    let mut out = String::new();
    for gauge in &gauges {
        gauge.write(&mut out);
    }
    out
}


/// One sample per source the ledger knows, labelled `source`, where `value` has one.
fn per_source(facts: &LedgerFacts, value: &dyn Fn(&str) -> Option<f64>) -> Vec<(Vec<(&'static str, String)>, f64)> {
    let mut names: Vec<&str> = facts
        .tables
        .iter()
        .map(|t| t.source.as_str())
        .chain(facts.last_success.iter().map(|(s, _)| s.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names.into_iter().filter_map(|n| value(n).map(|v| (vec![("source", n.to_string())], v))).collect()
}

/// The latest run that ended: its id, start, end, duration and status.
fn last_run_gauges(run: &facts::RunFacts) -> Vec<Gauge<'static>> {
    let mut gauges = Vec::new();
    gauges.push(Gauge {
        name: "marina_etl_last_run_id",
        help: "RUN_ID of the latest run that ended.",
        samples: vec![(vec![], run.run_id as f64)],
    });
    gauges.push(Gauge {
        name: "marina_etl_last_run_start_timestamp_seconds",
        help: "When the latest run that ended started (Unix time).",
        samples: vec![(vec![], seconds(run.started_at))],
    });
    if let Some(end) = run.finished_at {
        gauges.push(Gauge {
            name: "marina_etl_last_run_end_timestamp_seconds",
            help: "When the latest run that ended ended (Unix time).",
            samples: vec![(vec![], seconds(end))],
        });
        gauges.push(Gauge {
            name: "marina_etl_last_run_duration_seconds",
            help: "Wall time of the latest run that ended.",
            samples: vec![(vec![], (seconds(end) - seconds(run.started_at)).max(0.0))],
        });
    }
    gauges.push(Gauge {
        name: "marina_etl_last_run_status",
        help: "1 for the status the latest run ended with (ETL_RUNS.STATUS), 0 for the others.",
        samples: STATUSES
            .iter()
            .map(|s| {
                (
                    vec![("status", s.as_str().to_string())],
                    f64::from(u8::from(s.as_str() == run.status)),
                )
            })
            .collect(),
    });
    gauges
}

/// Seconds per phase and per source of a run this process made.
fn phase_gauges(outcome: &RunOutcome) -> Vec<Gauge<'static>> {
    let mut gauges = Vec::new();
    let mut phases = Vec::new();
    let mut totals = Vec::new();
    for o in &outcome.sources {
        let p = &o.phases;
        for (phase, value) in [
            ("discover", p.discover),
            ("fetch", p.fetch),
            ("stage", p.stage),
            ("decompress", p.decompress),
            ("decode", p.decode),
            ("load", p.load),
            ("merge", p.merge),
        ] {
            phases.push((vec![("source", o.system.name().to_string()), ("phase", phase.to_string())], value));
        }
        totals.push((
            vec![("source", o.system.name().to_string()), ("status", o.status.as_str().to_string())],
            o.seconds,
        ));
    }
    gauges.push(Gauge {
        name: "marina_etl_phase_duration_seconds",
        help: "Seconds per phase of each source in the latest run of this process (decompress, decode and load are busy times inside stage).",
        samples: phases,
    });
    gauges.push(Gauge {
        name: "marina_etl_source_duration_seconds",
        help: "Seconds each source took in the latest run of this process, with how it ended.",
        samples: totals,
    });
    gauges
}

/// Rows per table and action, rejects per source, and the checks.
fn table_and_check_gauges(facts: &LedgerFacts) -> Vec<Gauge<'static>> {
    let mut gauges = Vec::new();
    gauges.push(Gauge {
        name: "marina_etl_table_rows",
        help: "Rows per table and action (read, staged, rejected, inserted, updated, unchanged, deleted, undeleted) in the latest run that read the table.",
        samples: facts
            .tables
            .iter()
            .flat_map(|t| {
                t.rows.iter().map(move |(action, rows)| {
                    (vec![("source", t.source.clone()), ("table", t.table.clone()), ("action", action.to_string())], *rows as f64)
                })
            })
            .collect(),
    });
    let rejected = |source: &str| -> Option<f64> {
        let tables: Vec<_> = facts.tables.iter().filter(|t| t.source == source).collect();
        (!tables.is_empty()).then(|| {
            tables
                .iter()
                .flat_map(|t| t.rows.iter().filter(|(a, _)| *a == "rejected").map(|(_, n)| *n as f64))
                .sum()
        })
    };
    gauges.push(Gauge {
        name: "marina_etl_rejected_rows",
        help: "Rows rejected (ETL_REJECTS) per source, summed over its tables' latest runs.",
        samples: per_source(facts, &rejected),
    });
    gauges.push(Gauge {
        name: "marina_etl_checks",
        help: "Checks (ETL_CHECK_RESULTS) of the latest checked run of each source, per status (pass, warn, fail).",
        samples: facts
            .checks
            .iter()
            .map(|(source, status, n)| (vec![("source", source.clone()), ("status", status.clone())], *n as f64))
            .collect(),
    });
    let failed = |source: &str| -> Option<f64> {
        let of_source: Vec<_> = facts.checks.iter().filter(|(s, _, _)| s == source).collect();
        (!of_source.is_empty()).then(|| {
            of_source
                .iter()
                .filter(|(_, status, _)| status != "pass")
                .map(|(_, _, n)| *n as f64)
                .sum()
        })
    };
    gauges.push(Gauge {
        name: "marina_etl_failed_checks",
        help: "Checks that did not pass (warn or fail) in the latest checked run of each source.",
        samples: per_source(facts, &failed),
    });
    gauges
}

/// Replaces `path` with `text` so that a reader sees the old file or the new one, never
/// half of one: written beside it under a name node_exporter ignores, then renamed.
pub fn write_textfile(path: &Path, text: &str) -> Result<(), MetricsError> {
    let err = |source| MetricsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".marina-etl-metrics")
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(err)?;
    std::io::Write::write_all(&mut temp, text.as_bytes()).map_err(err)?;
    temp.as_file().sync_all().map_err(err)?;
    // Readable by the collector, which often runs as another user.
    let mut permissions = temp.as_file().metadata().map_err(err)?.permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o644);
    temp.as_file().set_permissions(permissions).map_err(err)?;
    temp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// How long a push may take.
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// PUTs `text` to the Pushgateway at `base` under `/metrics/job/<job>`, replacing what the
/// job pushed before.
pub fn push(base: &str, job: &str, text: &str) -> Result<(), MetricsError> {
    let url = format!("{}/metrics/job/{job}", base.trim_end_matches('/'));
    let shown = crate::config::MaskedUrl::new(&url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(MetricsError::Runtime)?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(PUSH_TIMEOUT)
            .build()
            .map_err(|source| MetricsError::Push {
                url: shown.clone(),
                source,
            })?;
        let answer = client
            .put(&url)
            .header("Content-Type", "text/plain; version=0.0.4")
            .body(text.to_string())
            .send()
            .await
            .map_err(|source| MetricsError::Push {
                url: shown.clone(),
                source,
            })?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(MetricsError::Refused {
                url: shown.clone(),
                status: answer.status(),
            })
        }
    })
}

/// After a run of `marina-etl run`: reads the ledger and writes the metrics file and
/// pushes them, as configured. A failure is logged as one line and never changes what the
/// run did or its exit code.
pub fn after_run(config: &crate::config::Config, outcome: Option<&RunOutcome>) {
    let m = &config.metrics;
    if m.textfile.is_none() && m.pushgateway.is_none() {
        return;
    }
    let read = || -> Result<LedgerFacts, MetricsError> {
        let wh = crate::warehouse::open_read_only(&config.warehouse)?;
        let mut s = wh.session()?;
        Ok(LedgerFacts::read(s.as_mut())?)
    };
    match read() {
        Ok(facts) => publish(config, &facts, outcome),
        Err(e) => tracing::warn!("metrics: {e}"),
    }
}

/// Writes the metrics file and pushes the metrics of `facts`, as configured; failures
/// are logged, one line each.
pub fn publish(config: &crate::config::Config, facts: &LedgerFacts, outcome: Option<&RunOutcome>) {
    let m = &config.metrics;
    if m.textfile.is_none() && m.pushgateway.is_none() {
        return;
    }
    let text = render(facts, outcome, Utc::now());
    if let Some(path) = &m.textfile {
        match write_textfile(path, &text) {
            Ok(()) => tracing::info!(file = %path.display(), "metrics written"),
            Err(e) => tracing::warn!("metrics: {e}"),
        }
    }
    if let Some(url) = &m.pushgateway {
        match push(url, m.job.as_deref().unwrap_or("marina_etl"), &text) {
            Ok(()) => tracing::info!(pushgateway = %crate::config::MaskedUrl::new(url), "metrics pushed"),
            Err(e) => tracing::warn!("metrics: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn labels_are_escaped_and_whole_numbers_written_without_a_fraction() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(number(42.0), "42");
        assert_eq!(number(1.5), "1.5");
        let now = Utc.with_ymd_and_hms(2026, 1, 4, 6, 0, 0).unwrap();
        let facts = LedgerFacts {
            last_success: vec![("molo".into(), now)],
            ..LedgerFacts::default()
        };
        let text = render(&facts, None, now);
        assert!(
            text.contains("marina_etl_last_success_timestamp_seconds{source=\"molo\"} 1767506400\n"),
            "{text}"
        );
        assert!(!text.contains("marina_etl_last_run_id"), "no run, no run metrics: {text}");
    }
}
