//! Webhooks: the run summary POSTed to each configured URL as Slack, Teams or the
//! documented JSON object; retried with backoff, each request bounded by a timeout.

use std::time::Duration;

use serde_json::json;

use super::config::{WebhookConfig, WebhookFormat};
use super::secret::{self, Secret, SecretError};
use super::summary::RunSummary;

/// Why a webhook could not be delivered. Names the URL only as [`secret::shown_url`] does.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook URLs: {0}")]
    Urls(#[from] SecretError),
    #[error("[notify.webhook] names no URL")]
    NoUrls,
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("cannot start the HTTP client's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The last attempt's failure.
    #[error("{reason} (after {attempts} attempt(s))")]
    Failed { reason: String, attempts: u32 },
}

/// One webhook's delivery.
#[derive(Debug)]
pub struct HookResult {
    /// The URL as it may be shown.
    pub target: String,
    pub attempts: u32,
    pub result: Result<(), WebhookError>,
}

/// The configured webhooks.
pub struct Webhooks {
    urls: Vec<Secret>,
    format: WebhookFormat,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
}

impl Webhooks {
    pub fn new(config: &WebhookConfig) -> Result<Self, WebhookError> {
        let urls = secret::urls(config.urls_env.as_deref(), config.urls_file.as_deref())?;
        if urls.is_empty() {
            return Err(WebhookError::NoUrls);
        }
        Ok(Webhooks { urls, format: config.format, timeout: config.timeout(), retries: config.retries(), backoff: config.backoff() })
    }

    /// Each URL as it may be shown.
    pub fn targets(&self) -> Vec<String> {
        self.urls.iter().map(|u| secret::shown_url(u.expose())).collect()
    }

    /// Each URL's host name resolved to an address (for `doctor`): the shown URL and what
    /// went wrong, if anything.
    pub fn resolve(&self) -> Vec<(String, Result<(), String>)> {
        use std::net::ToSocketAddrs;
        self.urls
            .iter()
            .map(|u| {
                let shown = secret::shown_url(u.expose());
                let resolved = match url::Url::parse(u.expose()) {
                    Ok(url) => match (url.host_str(), url.port_or_known_default()) {
                        (Some(host), Some(port)) => match (host.trim_start_matches('[').trim_end_matches(']'), port).to_socket_addrs() {
                            Ok(addrs) if addrs.len() > 0 => Ok(()),
                            Ok(_) => Err(format!("{host} has no address")),
                            Err(e) => Err(format!("cannot resolve {host}: {e}")),
                        },
                        _ => Err("the URL names no host".into()),
                    },
                    Err(e) => Err(format!("not a URL: {e}")),
                };
                (shown, resolved)
            })
            .collect()
    }

    /// POSTs `summary` to every URL. Runs on a thread of its own with its own runtime, so
    /// that it may be called from anywhere, an async context included.
    pub fn send(&self, summary: &RunSummary) -> Vec<HookResult> {
        // Serialising a JSON value cannot fail.
        let body = serde_json::to_vec(&body(self.format, summary)).unwrap_or_default();
        let deliver = || -> Result<Vec<HookResult>, WebhookError> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(WebhookError::Runtime)?;
            let client = reqwest::Client::builder().timeout(self.timeout).build().map_err(WebhookError::Client)?;
            Ok(runtime.block_on(async {
                let mut out = Vec::new();
                for url in &self.urls {
                    out.push(self.post(&client, url, &body).await);
                }
                out
            }))
        };
        let delivered = std::thread::scope(|scope| scope.spawn(deliver).join());
        match delivered {
            Ok(Ok(results)) => results,
            Ok(Err(e)) => self.all_failed(&e.to_string()),
            Err(_) => self.all_failed("the delivery thread panicked"),
        }
    }

    fn all_failed(&self, reason: &str) -> Vec<HookResult> {
        self.urls
            .iter()
            .map(|u| HookResult {
                target: secret::shown_url(u.expose()),
                attempts: 0,
                result: Err(WebhookError::Failed { reason: reason.to_string(), attempts: 0 }),
            })
            .collect()
    }

    /// One URL: the first attempt and up to `retries` more, waiting `backoff`, then twice
    /// as long each time, in between. A refusal that a retry cannot change (a 4xx other
    /// than 408 and 429) is not retried.
    async fn post(&self, client: &reqwest::Client, url: &Secret, body: &[u8]) -> HookResult {
        let target = secret::shown_url(url.expose());
        let mut wait = self.backoff;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (reason, retryable) = match client.post(url.expose()).header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_vec()).send().await {
                Ok(response) if response.status().is_success() => return HookResult { target, attempts, result: Ok(()) },
                Ok(response) => {
                    let status = response.status();
                    let retryable = status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
                    (format!("the server answered {status}"), retryable)
                }
                // reqwest's error names the URL; say what happened without it.
                Err(e) if e.is_timeout() => (format!("no answer within {}", humantime::format_duration(self.timeout)), true),
                Err(e) if e.is_connect() => (format!("cannot connect: {}", describe(e)), true),
                Err(e) => (format!("request failed: {}", describe(e)), true),
            };
            if !retryable || attempts > self.retries {
                return HookResult { target, attempts, result: Err(WebhookError::Failed { reason, attempts }) };
            }
            tracing::info!(webhook = %target, attempt = attempts, "webhook not delivered ({reason}); retrying in {}", humantime::format_duration(wait));
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
}

/// What went wrong with a request, without its URL (whose path is a secret): the
/// innermost cause ("Connection refused (os error 111)").
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text = c.to_string();
        cause = c.source();
    }
    text
}

/// The request body in the configured format.
pub fn body(format: WebhookFormat, summary: &RunSummary) -> serde_json::Value {
    match format {
        WebhookFormat::Json => serde_json::to_value(summary).unwrap_or_else(|_| json!({ "subject": summary.subject })),
        WebhookFormat::Slack => json!({ "text": slack_text(summary) }),
        WebhookFormat::Teams => teams_card(summary),
    }
}

/// Slack mrkdwn: the subject in bold, one line per source, the errors and failed checks.
fn slack_text(summary: &RunSummary) -> String {
    // Slack reads &, < and > as markup.
    let esc = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut lines = vec![format!("*{}*", esc(&summary.subject))];
    for s in &summary.sources {
        lines.push(format!(
            "• *{}* {}: {} inserted, {} updated, {} deleted, {} rejected ({})",
            s.source,
            s.status,
            s.rows_inserted,
            s.rows_updated,
            s.rows_deleted,
            s.rows_rejected,
            esc(s.snapshot.as_deref().unwrap_or("no snapshot"))
        ));
    }
    lines.extend(summary.errors.iter().map(|e| format!("> {}", esc(e))));
    lines.extend(summary.failed_checks.iter().map(|c| format!("> {}", esc(&c.line()))));
    if let Some(hint) = &summary.hint {
        lines.push(format!("`{}`", esc(hint)));
    }
    lines.join("\n")
}

/// A Teams workflow message: an Adaptive Card with the subject, a fact per source, the
/// errors and failed checks.
fn teams_card(summary: &RunSummary) -> serde_json::Value {
    let facts: Vec<serde_json::Value> = summary
        .sources
        .iter()
        .map(|s| {
            json!({
                "title": s.source,
                "value": format!("{}: {} inserted, {} updated, {} deleted, {} rejected", s.status, s.rows_inserted, s.rows_updated, s.rows_deleted, s.rows_rejected)
            })
        })
        .collect();
    let mut body = vec![
        json!({ "type": "TextBlock", "text": summary.subject, "weight": "Bolder", "size": "Medium", "wrap": true }),
        json!({ "type": "FactSet", "facts": facts }),
    ];
    for line in summary.errors.iter().cloned().chain(summary.failed_checks.iter().map(|c| c.line())) {
        body.push(json!({ "type": "TextBlock", "text": line, "wrap": true }));
    }
    if let Some(hint) = &summary.hint {
        body.push(json!({ "type": "TextBlock", "text": format!("Look further: {hint}"), "wrap": true, "isSubtle": true }));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body
            }
        }]
    })
}
