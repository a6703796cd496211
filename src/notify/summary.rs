//! The run summary every channel sends: what each source did, the error lines, the
//! checks that did not pass and where to look further. One value, rendered as the mail's
//! subject, plain text and HTML bodies, and the webhook bodies; its JSON form is the
//! documented object of `format = "json"` (see the README).

use std::fmt::Write as _;

use serde::Serialize;

use super::config::Event;
use crate::check::CheckResult;
use crate::report::thousands;
use crate::run::{RunOutcome, SourceOutcome, SourceStatus};
use crate::warehouse::{Result, Session};

/// Names the version of the JSON object's layout.
pub const SCHEMA: &str = "marina-etl/run-summary/1";

/// At most this many checks are listed (the ledger has them all).
const MAX_CHECKS: usize = 50;

/// What a run did, for people.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub schema: &'static str,
    /// `None` when the run could not start (or for a test message).
    pub run_id: Option<i64>,
    pub event: Event,
    /// The run's status in `ETL_RUNS`; `not_started` or `test` otherwise.
    pub status: String,
    pub exit_code: i32,
    pub host: String,
    /// When the summary was made, UTC, RFC 3339.
    pub finished_at: String,
    pub subject: String,
    pub sources: Vec<SourceLine>,
    /// Why sources failed, were late or partial, the run's warnings and the failures of its
    /// own steps, one line each.
    pub errors: Vec<String>,
    pub failed_checks: Vec<FailedCheck>,
    /// Rows rejected by the run, all sources together.
    pub rejects: u64,
    /// The command that shows more.
    pub hint: Option<String>,
}

/// One source of the run.
#[derive(Clone, Debug, Serialize)]
pub struct SourceLine {
    pub source: String,
    /// `published`, `partial`, `skipped`, `late` or `failed`.
    pub status: String,
    pub snapshot: Option<String>,
    pub rows_inserted: u64,
    pub rows_updated: u64,
    pub rows_deleted: u64,
    pub rows_rejected: u64,
    pub seconds: f64,
}

/// A check that did not pass.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailedCheck {
    pub source: String,
    pub table: Option<String>,
    pub check: String,
    pub kind: String,
    pub severity: String,
    /// `warn` or `fail`.
    pub status: String,
    pub failing_rows: u64,
    pub message: Option<String>,
}

impl FailedCheck {
    fn of(c: &CheckResult) -> Self {
        FailedCheck {
            source: c.source.clone(),
            table: c.table.clone(),
            check: c.check.clone(),
            kind: c.kind.clone(),
            severity: c.severity.as_str().to_string(),
            status: c.status.as_str().to_string(),
            failing_rows: c.failing_rows,
            message: c.message.clone(),
        }
    }

    /// One line: `error check not_null on molo.SLIPS: fail, 3 failing: ...`.
    pub fn line(&self) -> String {
        let mut out = format!("{} check {} ({}) on {}", self.severity, self.check, self.kind, self.source);
        if let Some(t) = &self.table {
            let _ = write!(out, ".{t}");
        }
        let _ = write!(out, ": {}", self.status);
        if self.failing_rows > 0 {
            let _ = write!(out, ", {} failing", thousands(self.failing_rows));
        }
        if let Some(m) = &self.message {
            let _ = write!(out, ": {m}");
        }
        out
    }
}

/// The checks of run `run_id` that did not pass, as `ETL_CHECK_RESULTS` holds them.
pub fn failed_checks(s: &mut dyn Session, run_id: i64) -> Result<Vec<FailedCheck>> {
    let rows = s.query_rows_at_most(
        &format!(
            "SELECT SOURCE, TABLE_NAME, CHECK_NAME, KIND, SEVERITY, STATUS, FAILING_ROWS, MESSAGE FROM ETL_CHECK_RESULTS \
              WHERE RUN_ID = {run_id} AND STATUS <> 'pass' ORDER BY STATUS, SEVERITY, SOURCE, TABLE_NAME, CHECK_NAME"
        ),
        Some(MAX_CHECKS),
    )?;
    Ok(rows
        .rows
        .into_iter()
        .map(|r| {
            let text = |i: usize| r.get(i).cloned().flatten();
            FailedCheck {
                source: text(0).unwrap_or_default(),
                table: text(1),
                check: text(2).unwrap_or_default(),
                kind: text(3).unwrap_or_default(),
                severity: text(4).unwrap_or_default(),
                status: text(5).unwrap_or_default(),
                failing_rows: text(6).and_then(|v| v.parse().ok()).unwrap_or(0),
                message: text(7),
            }
        })
        .collect())
}

/// The checks of the run's outcome that did not pass (when the ledger cannot be read).
pub fn failed_checks_of(outcome: &RunOutcome) -> Vec<FailedCheck> {
    use crate::check::CheckStatus;
    outcome.sources.iter().flat_map(|o| &o.checks).filter(|c| c.status != CheckStatus::Pass).take(MAX_CHECKS).map(FailedCheck::of).collect()
}

/// Which kind of message a run is worth: a failure when a source failed or is incomplete,
/// a step of the run failed or a check of severity `error` failed; a warning for rejected
/// rows, a `warn` check that did not pass, a late source or a warning of the run; else a
/// success.
pub fn classify(outcome: &RunOutcome, checks: &[FailedCheck]) -> Event {
    let any = |status| outcome.sources.iter().any(|o| o.status == status);
    if !outcome.errors.is_empty()
        || any(SourceStatus::Failed)
        || any(SourceStatus::Partial)
        || checks.iter().any(|c| c.severity == "error" && c.status == "fail")
        || outcome.exit_code() == crate::run::exit::FAILED
    {
        Event::Failure
    } else if any(SourceStatus::Late) || rejected(outcome) > 0 || !checks.is_empty() || outcome.warnings().next().is_some() {
        Event::Warning
    } else {
        Event::Success
    }
}

fn rejected(outcome: &RunOutcome) -> u64 {
    outcome.sources.iter().flat_map(|o| &o.tables).map(|t| t.rows_rejected).sum()
}

fn host() -> String {
    hostname::get().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// How the subject names the event.
fn headline(event: Event) -> &'static str {
    match event {
        Event::Failure => "FAILED",
        Event::Warning => "WARNING",
        Event::Success => "OK",
    }
}

/// How the subject names a source's end.
fn source_word(o: &SourceOutcome) -> String {
    let rejected: u64 = o.tables.iter().map(|t| t.rows_rejected).sum();
    match o.status {
        SourceStatus::Published if rejected > 0 => format!("ok ({} rejected)", thousands(rejected)),
        SourceStatus::Published => "ok".into(),
        SourceStatus::Skipped => "unchanged".into(),
        other => other.as_str().into(),
    }
}

impl RunSummary {
    /// The summary of a finished run; `checks` are the checks that did not pass.
    pub fn of_run(outcome: &RunOutcome, checks: Vec<FailedCheck>) -> Self {
        let event = classify(outcome, &checks);
        let words: Vec<String> = outcome.sources.iter().map(|o| format!("{} {}", o.system, source_word(o))).collect();
        let subject = format!("[marina-etl] {} run {}: {}", headline(event), outcome.run_id, words.join(", "));
        let sources = outcome
            .sources
            .iter()
            .map(|o| {
                let sum = |f: fn(&crate::warehouse::ledger::TableRecord) -> u64| o.tables.iter().map(f).sum();
                SourceLine {
                    source: o.system.to_string(),
                    status: o.status.as_str().to_string(),
                    snapshot: o.snapshot.clone(),
                    rows_inserted: sum(|t| t.rows_inserted),
                    rows_updated: sum(|t| t.rows_updated),
                    rows_deleted: sum(|t| t.rows_deleted),
                    rows_rejected: sum(|t| t.rows_rejected),
                    seconds: (o.seconds * 100.0).round() / 100.0,
                }
            })
            .collect();
        let mut errors: Vec<String> = outcome
            .sources
            .iter()
            .filter(|o| matches!(o.status, SourceStatus::Failed | SourceStatus::Late | SourceStatus::Partial))
            .map(|o| format!("{}: {}", o.system, o.message.as_deref().unwrap_or(o.status.as_str())))
            .collect();
        errors.extend(outcome.warnings().map(|w| format!("warning: {w}")));
        errors.extend(outcome.errors.iter().cloned());
        RunSummary {
            schema: SCHEMA,
            run_id: Some(outcome.run_id),
            event,
            status: outcome.status.as_str().to_string(),
            exit_code: outcome.exit_code(),
            host: host(),
            finished_at: now(),
            subject,
            sources,
            errors,
            failed_checks: checks,
            rejects: rejected(outcome),
            hint: Some(format!("marina-etl status --run {}", outcome.run_id)),
        }
    }

    /// The summary of a run that could not start (the warehouse unreachable, the lock held).
    pub fn not_started(error: &str, exit_code: i32) -> Self {
        RunSummary {
            schema: SCHEMA,
            run_id: None,
            event: Event::Failure,
            status: "not_started".into(),
            exit_code,
            host: host(),
            finished_at: now(),
            subject: format!("[marina-etl] FAILED run: {error}"),
            sources: Vec::new(),
            errors: vec![error.to_string()],
            failed_checks: Vec::new(),
            rejects: 0,
            hint: Some("marina-etl doctor".into()),
        }
    }

    /// What `marina-etl notify --test` sends.
    pub fn test() -> Self {
        RunSummary {
            schema: SCHEMA,
            run_id: None,
            event: Event::Success,
            status: "test".into(),
            exit_code: 0,
            host: host(),
            finished_at: now(),
            subject: "[marina-etl] TEST message: notifications work".into(),
            sources: Vec::new(),
            errors: Vec::new(),
            failed_checks: Vec::new(),
            rejects: 0,
            hint: Some("marina-etl doctor".into()),
        }
    }

    /// The per-source table as aligned text.
    fn source_table(&self) -> String {
        let rows = crate::warehouse::Rows {
            columns: ["source", "status", "snapshot", "inserted", "updated", "deleted", "rejected", "seconds"].map(String::from).to_vec(),
            rows: self
                .sources
                .iter()
                .map(|s| {
                    vec![
                        Some(s.source.clone()),
                        Some(s.status.clone()),
                        Some(s.snapshot.clone().unwrap_or_else(|| "-".into())),
                        Some(thousands(s.rows_inserted)),
                        Some(thousands(s.rows_updated)),
                        Some(thousands(s.rows_deleted)),
                        Some(thousands(s.rows_rejected)),
                        Some(format!("{:.1}", s.seconds)),
                    ]
                })
                .collect(),
        };
        crate::report::text_table(&rows)
    }

    /// The plain-text body. `note` is a line about the attachment, if any.
    pub fn text(&self, note: Option<&str>) -> String {
        let mut out = format!("{}\n\n", self.subject);
        if self.run_id.is_some() {
            let _ = writeln!(out, "Run {} on {} ended {} (exit code {}).\n", self.run_id.unwrap_or(0), self.host, self.status, self.exit_code);
        } else if self.status == "test" {
            let _ = writeln!(out, "A test message from marina-etl on {}: this channel works.\n", self.host);
        }
        if !self.sources.is_empty() {
            out.push_str(&self.source_table());
            out.push('\n');
        }
        if !self.errors.is_empty() {
            out.push_str("Errors and warnings:\n");
            self.errors.iter().for_each(|e| {
                let _ = writeln!(out, "  - {e}");
            });
            out.push('\n');
        }
        if !self.failed_checks.is_empty() {
            out.push_str("Checks that did not pass:\n");
            self.failed_checks.iter().for_each(|c| {
                let _ = writeln!(out, "  - {}", c.line());
            });
            out.push('\n');
        }
        if let Some(note) = note {
            let _ = writeln!(out, "{note}\n");
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "Look further: {hint}");
        }
        out
    }

    /// The HTML body: the same as [`Self::text`], every value escaped.
    pub fn html(&self, note: Option<&str>) -> String {
        let color = match self.event {
            Event::Failure => "#b00020",
            Event::Warning => "#a15c00",
            Event::Success => "#1b6e20",
        };
        let mut out = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif\"><h2 style=\"color:{color}\">{}</h2>\n",
            escape(&self.subject)
        );
        if let Some(run_id) = self.run_id {
            let _ = writeln!(out, "<p>Run {run_id} on {} ended <b>{}</b> (exit code {}).</p>", escape(&self.host), escape(&self.status), self.exit_code);
        } else if self.status == "test" {
            let _ = writeln!(out, "<p>A test message from marina-etl on {}: this channel works.</p>", escape(&self.host));
        }
        if !self.sources.is_empty() {
            out.push_str("<table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\">\n<tr><th>source</th><th>status</th><th>snapshot</th><th>inserted</th><th>updated</th><th>deleted</th><th>rejected</th><th>seconds</th></tr>\n");
            for s in &self.sources {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td><td align=\"right\">{:.1}</td></tr>",
                    escape(&s.source),
                    escape(&s.status),
                    escape(s.snapshot.as_deref().unwrap_or("-")),
                    thousands(s.rows_inserted),
                    thousands(s.rows_updated),
                    thousands(s.rows_deleted),
                    thousands(s.rows_rejected),
                    s.seconds
                );
            }
            out.push_str("</table>\n");
        }
        let list = |out: &mut String, title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                let _ = writeln!(out, "<h3>{title}</h3><ul>");
                lines.iter().for_each(|l| {
                    let _ = writeln!(out, "<li>{}</li>", escape(l));
                });
                out.push_str("</ul>\n");
            }
        };
        list(&mut out, "Errors and warnings", self.errors.clone());
        list(&mut out, "Checks that did not pass", self.failed_checks.iter().map(FailedCheck::line).collect());
        if let Some(note) = note {
            let _ = writeln!(out, "<p>{}</p>", escape(note));
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "<p>Look further: <code>{}</code></p>", escape(hint));
        }
        out.push_str("</body></html>\n");
        out
    }
}

/// Text made safe inside HTML elements and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::System;
    use crate::run::RunStatus;
    use crate::warehouse::ledger::TableRecord;

    fn source(system: System, status: SourceStatus, rejected: u64, message: Option<&str>) -> SourceOutcome {
        let mut o = SourceOutcome::new(system);
        o.status = status;
        o.message = message.map(str::to_string);
        o.tables.push(TableRecord { rows_inserted: 5, rows_rejected: rejected, ..TableRecord::default() });
        o
    }

    fn outcome(sources: Vec<SourceOutcome>) -> RunOutcome {
        let status = RunOutcome::judge(&sources, &[]);
        RunOutcome { run_id: 42, status, sources, errors: Vec::new() }
    }

    #[test]
    fn the_subject_says_the_outcome_and_each_source_at_a_glance() {
        let run = outcome(vec![
            source(System::Molo, SourceStatus::Published, 0, None),
            source(System::Stellar, SourceStatus::Failed, 0, Some("cannot list")),
            source(System::NetSuite, SourceStatus::Late, 0, Some("still late")),
        ]);
        let s = RunSummary::of_run(&run, Vec::new());
        assert_eq!(s.subject, "[marina-etl] FAILED run 42: molo ok, stellar failed, netsuite late");
        assert_eq!(s.event, Event::Failure);
        assert_eq!(s.errors, ["stellar: cannot list", "netsuite: still late"]);
        assert_eq!(s.hint.as_deref(), Some("marina-etl status --run 42"));
    }

    #[test]
    fn rejects_a_late_source_and_a_failed_warn_check_are_warnings_an_error_check_a_failure() {
        let clean = || source(System::Molo, SourceStatus::Published, 0, None);
        assert_eq!(classify(&outcome(vec![clean()]), &[]), Event::Success);
        assert_eq!(classify(&outcome(vec![source(System::Molo, SourceStatus::Published, 3, None)]), &[]), Event::Warning);
        assert_eq!(classify(&outcome(vec![clean(), source(System::Stellar, SourceStatus::Late, 0, None)]), &[]), Event::Warning);
        let check = |severity: &str, status: &str| FailedCheck {
            source: "molo".into(),
            table: Some("slips".into()),
            check: "c".into(),
            kind: "not_null".into(),
            severity: severity.into(),
            status: status.into(),
            failing_rows: 2,
            message: None,
        };
        assert_eq!(classify(&outcome(vec![clean()]), &[check("warn", "warn")]), Event::Warning);
        assert_eq!(classify(&outcome(vec![clean()]), &[check("error", "fail")]), Event::Failure);
        let mut run = outcome(vec![clean()]);
        run.status = RunStatus::Partial;
        run.errors.push("calendar and views: boom".into());
        assert_eq!(classify(&run, &[]), Event::Failure);
    }

    #[test]
    fn the_html_body_escapes_every_value() {
        let run = outcome(vec![source(System::Molo, SourceStatus::Failed, 0, Some("<script>alert('x')</script> & more"))]);
        let html = RunSummary::of_run(&run, Vec::new()).html(Some("note <b>"));
        assert!(!html.contains("<script>") && !html.contains("note <b>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"), "{html}");
    }
}
