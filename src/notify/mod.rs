//! Telling people how a run went: e-mail over SMTP ([`email`]) and webhooks
//! ([`webhook`]), sent at the end of every run whose kind of outcome (failure, warning,
//! success) a channel asks for, with the run's [`summary`].
//!
//! A notification that cannot be delivered never changes what the run did or its exit
//! code: it is logged as one warning line and recorded on the run in `ETL_NOTIFICATIONS`.

pub mod config;
pub mod email;
pub mod rejects;
pub mod secret;
pub mod status;
pub mod summary;
pub mod webhook;

pub use config::{EmailConfig, Event, NotifyConfig, SmtpTls, WebhookConfig, WebhookFormat};
pub use summary::RunSummary;

use crate::config::Config;
use crate::run::RunOutcome;
use crate::warehouse::sql::{timestamp_literal, Dialect};
use crate::warehouse::{quote, quote_opt, Session, WarehouseError};

/// A way of telling people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

/// One message through one channel to one target, and how it went.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub channel: Channel,
    /// The server or URL as it may be shown (no secret).
    pub target: String,
    pub attempts: u32,
    /// Why it was not delivered; `None` when it was.
    pub error: Option<String>,
}

impl Delivery {
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// Whether any channel is configured.
pub fn configured(config: &Config) -> bool {
    config.notify.email.is_some() || config.notify.webhook.is_some()
}

/// Tells the configured channels how run `outcome` went, when they ask for its kind of
/// outcome, and records each delivery on the run. Never fails: what could not be sent or
/// recorded is logged.
pub fn after_run(config: &Config, s: &mut dyn Session, d: Dialect, outcome: &RunOutcome) -> Vec<Delivery> {
    if !configured(config) {
        return Vec::new();
    }
    let _phase = tracing::info_span!("phase", phase = "notify").entered();
    let checks = summary::failed_checks(s, outcome.run_id).unwrap_or_else(|e| {
        tracing::warn!("cannot read the run's check results for its notification ({e}); using the run's own");
        summary::failed_checks_of(outcome)
    });
    let summary = RunSummary::of_run(outcome, checks);
    let email_wants = config.notify.email.as_ref().is_some_and(|e| e.on.contains(&summary.event));
    let rejects = if email_wants && summary.rejects > 0 {
        rejects::rejects_csv(s, outcome.run_id).unwrap_or_else(|e| {
            tracing::warn!("cannot read the run's rejects for the e-mail's attachment: {e}");
            None
        })
    } else {
        None
    };
    let deliveries = deliver(config, &summary, rejects.as_ref(), false);
    if let Err(e) = record(s, d, outcome.run_id, summary.event, &deliveries) {
        tracing::warn!("cannot record the run's notifications in the ledger: {e}");
    }
    deliveries
}

/// Tells the channels that ask for failures that a run could not start (`error`); there is
/// no run to record it on.
pub fn not_started(config: &Config, error: &str, exit_code: i32) -> Vec<Delivery> {
    if !configured(config) {
        return Vec::new();
    }
    deliver(config, &RunSummary::not_started(error, exit_code), None, false)
}

/// `marina-etl notify --test`: a test message through every configured channel, whatever
/// the outcomes it asks for.
pub fn send_test(config: &Config) -> Vec<Delivery> {
    deliver(config, &RunSummary::test(), None, true)
}

/// Sends `summary` through every channel that asks for its event (all when `every`).
fn deliver(config: &Config, summary: &RunSummary, rejects: Option<&rejects::RejectsCsv>, every: bool) -> Vec<Delivery> {
    let mut out = Vec::new();
    if let Some(cfg) = config.notify.email.as_ref().filter(|c| every || c.on.contains(&summary.event)) {
        let mut target = format!("smtp://{}:{}", cfg.server, cfg.port());
        let sent = email::Mailer::new(cfg).and_then(|mailer| {
            target = mailer.target().to_string();
            mailer.send(summary, rejects)
        });
        out.push(Delivery { channel: Channel::Email, target, attempts: 1, error: sent.err().map(|e| e.to_string()) });
    }
    if let Some(cfg) = config.notify.webhook.as_ref().filter(|c| every || c.on.contains(&summary.event)) {
        match webhook::Webhooks::new(cfg) {
            Ok(hooks) => out.extend(hooks.send(summary).into_iter().map(|h| Delivery {
                channel: Channel::Webhook,
                target: h.target,
                attempts: h.attempts,
                error: h.result.err().map(|e| e.to_string()),
            })),
            Err(e) => out.push(Delivery { channel: Channel::Webhook, target: "webhook".into(), attempts: 0, error: Some(e.to_string()) }),
        }
    }
    for d in &out {
        match &d.error {
            None => tracing::info!(channel = d.channel.as_str(), target = %d.target, attempts = d.attempts, "notification sent"),
            Some(e) => tracing::warn!(
                channel = d.channel.as_str(),
                target = %d.target,
                "notification by {} to {} not delivered: {e}; the run's outcome is unchanged",
                d.channel.as_str(),
                d.target
            ),
        }
    }
    out
}

/// Records the deliveries of run `run_id` in `ETL_NOTIFICATIONS`, in one statement.
fn record(s: &mut dyn Session, d: Dialect, run_id: i64, event: Event, deliveries: &[Delivery]) -> Result<(), WarehouseError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let at = timestamp_literal(d, crate::run::now());
    let rows: Vec<String> = deliveries
        .iter()
        .map(|x| {
            format!(
                "({run_id}, {at}, {}, {}, {}, {}, {}, {})",
                quote(x.channel.as_str()),
                quote(&x.target),
                quote(event.as_str()),
                quote(if x.delivered() { "sent" } else { "failed" }),
                x.attempts,
                quote_opt(x.error.as_deref()),
            )
        })
        .collect();
    s.execute(&format!(
        "INSERT INTO ETL_NOTIFICATIONS (RUN_ID, SENT_AT, CHANNEL, TARGET, EVENT, STATUS, ATTEMPTS, MESSAGE) VALUES {}",
        rows.join(", ")
    ))?;
    Ok(())
}
