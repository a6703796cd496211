//! `[notify.email]` and `[notify.webhook]`: where a run's outcome is sent, and when.
//!
//! Secrets (the SMTP password, webhook URLs, which carry their own token) are never in
//! the configuration file: it names the environment variable or the file that holds them.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `[notify]`: the channels a run's outcome is sent through.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookConfig>,
}

/// Which runs are worth a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// A source failed or is incomplete, a step of the run failed, or a check of severity
    /// `error` failed.
    Failure,
    /// Rejected rows, a failed `warn` check, a late source, or a warning of the run.
    Warning,
    /// Nothing to say but that it went well.
    Success,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Failure => "failure",
            Event::Warning => "warning",
            Event::Success => "success",
        }
    }
}

/// The default of `on`: failures and warnings, not successes.
fn default_on() -> Vec<Event> {
    vec![Event::Failure, Event::Warning]
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (a relay on the same host; credentials would travel in clear).
    None,
}

/// `[notify.email]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// SMTP server host name or address.
    pub server: String,
    /// Default: 587 with STARTTLS, 465 with TLS, 25 without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    /// A PEM file of the certificate authorities to trust instead of the public ones
    /// (a company's own CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// SMTP user; without it no authentication is attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Name of the environment variable holding the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// A file holding the password (its first line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// Sender, `etl@example.com` or `marina-etl <etl@example.com>`.
    pub from: String,
    pub recipients: Vec<String>,
    #[serde(default = "default_on")]
    pub on: Vec<Event>,
    /// Longest wait for the server on each step (default 30s).
    #[serde(default, with = "crate::config::humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

impl EmailConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(30))
    }
}

/// How a webhook's body is shaped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// A Slack incoming webhook (`{"text": ...}` with mrkdwn).
    Slack,
    /// A Microsoft Teams workflow webhook (an Adaptive Card).
    Teams,
    /// The run summary object documented in the README.
    #[default]
    Json,
}

/// `[notify.webhook]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Name of an environment variable holding one or more URLs (separated by white
    /// space or commas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls_env: Option<String>,
    /// A file holding one URL per line (`#` starts a comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls_file: Option<PathBuf>,
    #[serde(default)]
    pub format: WebhookFormat,
    #[serde(default = "default_on")]
    pub on: Vec<Event>,
    /// Longest wait for one request, body included (default 10s).
    #[serde(default, with = "crate::config::humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Attempts after the first one failed (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Wait before the first retry, doubled before each next one (default 1s).
    #[serde(default, with = "crate::config::humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Duration>,
}

impl WebhookConfig {
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(10))
    }
    pub fn retries(&self) -> u32 {
        self.retries.unwrap_or(3)
    }
    pub fn backoff(&self) -> Duration {
        self.backoff.unwrap_or(Duration::from_secs(1))
    }
}
