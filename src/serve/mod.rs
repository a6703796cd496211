//! `marina-etl serve`: the pipeline run unattended, on a schedule.
//!
//! - [`schedule`]: when (a cron expression in a time zone, daylight saving included);
//! - [`shutdown`]: how the process stops on SIGTERM or SIGINT (also for the one-shot `run`);
//! - [`status`] and [`http`]: what it tells, at `/healthz`, `/metrics` and `/runs`.
//!
//! Runs never overlap: one run at a time in this process, and the warehouse's run lock
//! against any other. A run that took longer than the interval, or a process that was
//! down, is followed by one run for the latest time missed, not by one per missed time.

pub mod http;
pub mod schedule;
pub mod shutdown;
pub mod status;

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::run::{self, RunOptions, WaitOptions};
use schedule::{Due, Schedule, ScheduleError};

/// `[schedule]`: when `serve` runs the pipeline.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// Five-field cron expression (`"0 6 * * *"`), or six with seconds first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// IANA time zone the expression is read in (default `UTC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// As `run --wait`: how long each run waits for a snapshot newer than the last loaded.
    #[serde(default, with = "crate::config::humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub wait: Option<Duration>,
    /// As `run --poll`: how often it looks while waiting (default 1m).
    #[serde(default, with = "crate::config::humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub poll: Option<Duration>,
}

/// `[serve]`: the HTTP endpoint.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address of `/healthz`, `/metrics`, `/runs` (e.g. `127.0.0.1:9187`); off when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// `/healthz` fails when a source's last success is older than this (default 26h:
    /// a daily load, with two hours to spare).
    #[serde(default, with = "crate::config::humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub max_age: Option<Duration>,
}

/// `[shutdown]`: how long a publish in progress may go on after SIGTERM or SIGINT.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShutdownConfig {
    /// Default 25s (Kubernetes kills a pod 30 s after SIGTERM).
    #[serde(default, with = "crate::config::humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub grace: Option<Duration>,
}

impl ShutdownConfig {
    /// The grace period in force.
    pub fn grace(&self) -> Duration {
        self.grace.unwrap_or(shutdown::DEFAULT_GRACE)
    }
}

/// The default of `[serve] max_age`.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(26 * 3600);

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("serve needs a schedule: set [schedule] cron (e.g. \"0 6 * * *\") and timezone")]
    NoSchedule,
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error("[serve] listen '{0}' is not an address (write it like 127.0.0.1:9187)")]
    BadListen(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen for SIGTERM and SIGINT: {0}")]
    Signals(#[source] std::io::Error),
}

impl crate::cli::ExitStatus for ServeError {
    fn exit_code(&self) -> i32 {
        match self {
            ServeError::Listen { .. } | ServeError::Signals(_) => run::exit::FAILED,
            _ => run::exit::USAGE,
        }
    }
}

/// The options of every scheduled run.
fn run_options(config: &Config) -> RunOptions {
    let wait = config.schedule.wait.map(|timeout| WaitOptions {
        timeout,
        poll: config.schedule.poll.unwrap_or(Duration::from_secs(60)),
    });
    RunOptions {
        wait,
        ..RunOptions::default()
    }
}

/// Runs the pipeline on the configured schedule until SIGTERM or SIGINT. Returns the exit
/// code: 0 when it stopped between runs or a run finished within the grace period,
/// [`run::exit::INTERRUPTED`] when a run had to be cut short.
pub fn serve(config: &Config) -> Result<i32, ServeError> {
    let cron = config.schedule.cron.as_deref().ok_or(ServeError::NoSchedule)?;
    let schedule = Schedule::parse(cron, config.schedule.timezone.as_deref().unwrap_or("UTC"))?;
    let listen = match &config.serve.listen {
        Some(text) => Some(text.parse::<SocketAddr>().map_err(|_| ServeError::BadListen(text.clone()))?),
        None => None,
    };
    shutdown::install(config.shutdown.grace()).map_err(ServeError::Signals)?;
    let shared = status::Shared::default();
    status::refresh(config, &shared);
    if let Some(addr) = listen {
        let endpoint = http::Endpoint {
            shared: shared.clone(),
            sources: config.systems().iter().map(|s| s.name()).collect(),
            max_age: config.serve.max_age.unwrap_or(DEFAULT_MAX_AGE),
        };
        let bound = http::start(addr, endpoint).map_err(|source| ServeError::Listen { addr, source })?;
        tracing::info!("serving /healthz, /metrics and /runs on http://{bound}");
        // Tests and wrappers read the address (a port of 0 picks a free one).
        eprintln!("marina-etl: listening on http://{bound}");
    }
    let mut last_started = last_run_started(&shared);
    let opts = run_options(config);
    while !shutdown::stop_requested() {
        // The scheduled time this run is for.
        let scheduled = match schedule.due(last_started, Utc::now()) {
            None => {
                tracing::warn!(cron = schedule.expression(), "the schedule gives no further time; stopping");
                break;
            }
            Some(Due::At(next)) => {
                status::lock(&shared).next_run = Some(next);
                tracing::info!(next = %next.with_timezone(&schedule.zone()), "next run");
                let left = (next - Utc::now()).to_std().unwrap_or_default();
                if !shutdown::sleep(left) {
                    break;
                }
                next
            }
            Some(Due::Now { missed }) => {
                tracing::info!(scheduled = %missed.with_timezone(&schedule.zone()), "running for a time missed while down or busy");
                missed
            }
        };
        // A clock read a moment early must not make the same time look missed afterwards.
        let started = Utc::now().max(scheduled);
        last_started = Some(started);
        scheduled_run(config, &opts, &shared, started);
    }
    tracing::info!("stopped ({})", shutdown::signal());
    Ok(if shutdown::was_cut_short() {
        run::exit::INTERRUPTED
    } else {
        run::exit::OK
    })
}

/// Runs the pipeline once, and reads the ledger and publishes the metrics after it.
fn scheduled_run(config: &Config, opts: &RunOptions, shared: &status::Shared, started: chrono::DateTime<Utc>) {
    status::lock(shared).running_since = Some(started);
    let outcome = run::run(config, opts);
    {
        let mut state = status::lock(shared);
        state.running_since = None;
        if let Ok(outcome) = &outcome {
            state.last_outcome = Some(outcome.clone());
        }
    }
    match &outcome {
        Ok(o) => tracing::info!(
            run_id = o.run_id,
            status = o.status.as_str(),
            exit_code = o.exit_code(),
            "scheduled run finished"
        ),
        Err(e) => {
            tracing::error!("scheduled run did not start: {e}");
            // Nobody watches serve: the people who depend on the run hear it did not start.
            use crate::cli::ExitStatus;
            crate::notify::not_started(config, &e.to_string(), e.exit_code());
        }
    }
    status::refresh(config, shared);
    let state = status::lock(shared);
    if let Some(Ok(facts)) = &state.facts {
        crate::metrics::publish(config, facts, state.last_outcome.as_ref());
    }
}

/// When the warehouse's last run started, as the ledger says: a time missed since then
/// is run at once.
fn last_run_started(shared: &status::Shared) -> Option<chrono::DateTime<Utc>> {
    let state = status::lock(shared);
    let runs = state.runs.as_array()?;
    runs.first()?
        .get("started_at")?
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}
