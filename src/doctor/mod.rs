//! `marina-etl doctor`: what is wrong with a deployment, in one command. Each check is one
//! line, `ok | warn | FAIL  what  finding`, with a hint after `->` when it is not ok:
//! the configuration and its environment overrides, each source (reachable, listable,
//! credentials accepted, newest snapshot and its age), the run lock, the warehouse
//! (reachable, writable, version, free space), the temp folder's room for the largest
//! snapshot, SMTP (connects and authenticates, sends nothing) and the webhooks (resolve).
//! Exit 0 when nothing failed, else 1.

mod checks;

use std::path::Path;

use crate::cli::{CliError, Out};
use crate::config::{Config, DEFAULT_CONFIG_FILE};
use crate::logging::LogFormat;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        }
    }
}

/// One line of the doctor's report.
#[derive(Clone, Debug)]
pub struct Finding {
    pub verdict: Verdict,
    /// What was checked: `configuration`, `source molo`, `warehouse`, ...
    pub what: String,
    /// What was found.
    pub detail: String,
    /// What to do about it (when not ok).
    pub hint: Option<String>,
}

impl Finding {
    pub fn ok(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Finding { verdict: Verdict::Ok, what: what.into(), detail: detail.into(), hint: None }
    }
    pub fn warn(what: impl Into<String>, detail: impl Into<String>, hint: impl Into<String>) -> Self {
        Finding { verdict: Verdict::Warn, what: what.into(), detail: detail.into(), hint: Some(hint.into()) }
    }
    pub fn fail(what: impl Into<String>, detail: impl Into<String>, hint: impl Into<String>) -> Self {
        Finding { verdict: Verdict::Fail, what: what.into(), detail: detail.into(), hint: Some(hint.into()) }
    }

    fn line(&self) -> String {
        let mut line = format!("{:<4}  {:<18}  {}", self.verdict.as_str(), self.what, self.detail);
        if let Some(hint) = &self.hint {
            line.push_str("  -> ");
            line.push_str(hint);
        }
        line
    }
}

/// The `MARINA_ETL_*` variables that override the configuration (the fault switch aside).
fn environment_overrides() -> Vec<String> {
    let mut names: Vec<String> =
        std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()).filter(|k| k.starts_with("MARINA_ETL_") && k != "MARINA_ETL_FAULT").collect();
    names.sort();
    names
}

/// Runs every check, prints one line each, and returns the exit code.
pub fn doctor(out: &mut Out, config_path: Option<&Path>, log_format: Option<LogFormat>) -> Result<i32, CliError> {
    let overrides = environment_overrides();
    let shown_file = match config_path {
        Some(p) => p.display().to_string(),
        None if Path::new(DEFAULT_CONFIG_FILE).exists() => DEFAULT_CONFIG_FILE.to_string(),
        None => "the embedded default".to_string(),
    };
    let config = match Config::load(config_path) {
        Ok(config) => config,
        Err(e) => {
            let hint = if overrides.is_empty() {
                "fix the file; its header and the README list every key".to_string()
            } else {
                format!("fix the file or the environment overrides ({}); every key is MARINA_ETL_<SECTION>__<KEY>", overrides.join(", "))
            };
            out.line(Finding::fail("configuration", e.to_string(), hint).line())?;
            out.line("not checked further: the configuration must load first")?;
            return Ok(crate::cli::exit::SOURCE_FAILED);
        }
    };
    crate::logging::init(&config, log_format, true);
    let overridden = if overrides.is_empty() { "no environment override".to_string() } else { format!("environment overrides, all known: {}", overrides.join(", ")) };
    let mut failed = false;
    let mut report = |out: &mut Out, finding: Finding| -> Result<(), CliError> {
        failed |= finding.verdict == Verdict::Fail;
        out.line(finding.line())
    };
    report(out, Finding::ok("configuration", format!("{shown_file} parses; {overridden}")))?;
    let largest_download = checks::sources(&config, &mut |f| report(out, f))?;
    for finding in checks::lock_and_warehouse(&config) {
        report(out, finding)?;
    }
    report(out, checks::temp_space(&config, largest_download))?;
    if let Some(email) = &config.notify.email {
        report(out, checks::smtp(email))?;
    }
    if let Some(webhook) = &config.notify.webhook {
        for finding in checks::webhooks(webhook) {
            report(out, finding)?;
        }
    }
    Ok(if failed { crate::cli::exit::SOURCE_FAILED } else { crate::cli::exit::OK })
}

/// `1536` as `1.5 KB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} bytes") } else { format!("{value:.1} {}", UNITS[unit]) }
}
