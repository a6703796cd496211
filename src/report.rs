//! What a person sees: progress per source while a run works, the summary table at the
//! end, and result sets as text tables.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::catalog::System;
use crate::run::{RunListener, RunOutcome, SourceOutcome, SourceStatus};
use crate::warehouse::ledger::TableStatus;
use crate::warehouse::Rows;

/// Progress bars, one per source, showing the table being read with rows and rate.
pub struct Progress {
    bars: HashMap<System, ProgressBar>,
    started: Mutex<HashMap<(System, String), Instant>>,
    _multi: Option<MultiProgress>,
}

impl Progress {
    /// Draws on stderr when `visible` (a terminal); otherwise does nothing.
    pub fn new(visible: bool, systems: &[System]) -> Self {
        if !visible {
            return Progress { bars: HashMap::new(), started: Mutex::default(), _multi: None };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix:>9.bold} {spinner} {wide_msg}").expect("valid template");
        let bars = systems
            .iter()
            .map(|&s| {
                let bar = multi.add(ProgressBar::new_spinner().with_style(style.clone()).with_prefix(s.name()));
                bar.enable_steady_tick(Duration::from_millis(120));
                bar.set_message("finding the newest snapshot");
                (s, bar)
            })
            .collect();
        Progress { bars, started: Mutex::default(), _multi: Some(multi) }
    }

}

impl RunListener for Progress {
    fn rows(&self, system: System, file: &str, rows: u64) {
        let Some(bar) = self.bars.get(&system) else { return };
        let elapsed = {
            let mut started = self.started.lock().expect("progress lock");
            started.entry((system, file.to_string())).or_insert_with(Instant::now).elapsed()
        };
        let rate = rows as f64 / elapsed.as_secs_f64().max(1e-3);
        bar.set_message(format!("{file}: {} rows ({}/s)", thousands(rows), thousands(rate as u64)));
    }

    fn source_done(&self, outcome: &SourceOutcome) {
        if let Some(bar) = self.bars.get(&outcome.system) {
            let rows: u64 = outcome.tables.iter().map(|t| t.rows_read).sum();
            let message = outcome.message.as_deref().unwrap_or("");
            bar.finish_with_message(match outcome.status {
                SourceStatus::Published => format!("published, {} rows in {:.1}s", thousands(rows), outcome.seconds),
                SourceStatus::Partial => format!("PARTIAL: {message}"),
                SourceStatus::Skipped => "already loaded, skipped".to_string(),
                SourceStatus::Late => format!("LATE: {message}"),
                SourceStatus::Failed => format!("FAILED: {message}"),
            });
        }
    }

    fn sources_done(&self) {
        for bar in self.bars.values() {
            bar.finish();
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The end-of-run summary: one line per table, then one per source.
pub fn run_summary(outcome: &RunOutcome) -> String {
    let mut rows = Rows {
        columns: ["source", "table", "status", "read", "rejected", "inserted", "updated", "unchanged", "deleted", "undeleted"]
            .map(String::from)
            .to_vec(),
        rows: Vec::new(),
    };
    for source in &outcome.sources {
        for t in &source.tables {
            let n = |v: u64| Some(thousands(v));
            rows.rows.push(vec![
                Some(t.source.clone()),
                Some(t.table.clone()),
                Some(t.status.to_string()),
                n(t.rows_read),
                n(t.rows_rejected),
                n(t.rows_inserted),
                n(t.rows_updated),
                n(t.rows_unchanged),
                n(t.rows_deleted),
                n(t.rows_undeleted),
            ]);
        }
    }
    let mut out = String::new();
    if !rows.rows.is_empty() {
        out.push_str(&text_table(&rows));
        out.push('\n');
    }
    for source in &outcome.sources {
        let status = match source.status {
            SourceStatus::Published | SourceStatus::Skipped => source.status.as_str().to_string(),
            other => other.as_str().to_uppercase(),
        };
        let _ = write!(out, "{:<9} {status}", source.system.name());
        if let Some(snapshot) = &source.snapshot {
            let _ = write!(out, "  {snapshot}");
        }
        let p = &source.phases;
        let _ = write!(
            out,
            "\n          {:.2}s: discover {:.2}s, fetch {:.2}s, stage {:.2}s \
             (busy: decompress {:.2}s, decode {:.2}s, load {:.2}s), merge {:.2}s",
            source.seconds, p.discover, p.fetch, p.stage, p.decompress, p.decode, p.load, p.merge
        );
        if let Some(message) = &source.message {
            let _ = write!(out, "\n          {message}");
        }
        for warning in &source.warnings {
            let _ = write!(out, "\n          WARNING {warning}");
        }
        if !source.checks.is_empty() {
            let count = |st| source.checks.iter().filter(|c| c.status == st).count();
            use crate::check::CheckStatus::{Fail, Pass, Warn};
            let _ = write!(out, "\n          checks: {} passed, {} warned, {} failed", count(Pass), count(Warn), count(Fail));
            for c in source.checks.iter().filter(|c| c.status != Pass) {
                let _ = write!(out, "\n          CHECK {}", c.describe());
            }
        }
        let noteworthy = |t: &&crate::warehouse::ledger::TableRecord| {
            t.message.is_some() && !matches!(t.status, TableStatus::Published | TableStatus::Unchanged) || t.rows_rejected > 0
        };
        for t in source.tables.iter().filter(noteworthy) {
            let _ = write!(out, "\n          {}: {}", t.table, t.message.as_deref().unwrap_or(""));
        }
        if !source.ignored_files.is_empty() {
            let _ = write!(out, "\n          ignored {} file(s) not in the catalog", source.ignored_files.len());
        }
        out.push('\n');
    }
    for error in &outcome.errors {
        let _ = writeln!(out, "ERROR {error}");
    }
    let _ = writeln!(out, "run {}: {}", outcome.run_id, outcome.status.as_str());
    out
}

/// A result set as an aligned text table (numbers right-aligned).
pub fn text_table(rows: &Rows) -> String {
    let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
    let mut widths: Vec<usize> = rows.columns.iter().map(|c| c.chars().count()).collect();
    for row in &rows.rows {
        for (w, v) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell(v).chars().count());
        }
    }
    let numeric: Vec<bool> = (0..rows.columns.len())
        .map(|i| {
            rows.rows.iter().all(|r| {
                r[i].as_deref().is_none_or(|v| v.chars().all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-')))
            })
        })
        .collect();
    let mut out = String::new();
    let line = |out: &mut String, values: Vec<String>| {
        let parts: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| if numeric[i] { format!("{v:>w$}", w = widths[i]) } else { format!("{v:<w$}", w = widths[i]) })
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut out, rows.columns.clone());
    line(&mut out, widths.iter().map(|w| "-".repeat(*w)).collect());
    for row in &rows.rows {
        line(&mut out, row.iter().map(cell).collect());
    }
    out
}
