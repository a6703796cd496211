//! `marina-etl report`: one self-contained HTML file for the managers and the finance team
//! (marinas, rentals, finance, the pipeline), readable offline with no BI tool.
//!
//! The numbers come from the warehouse's views ([`data`]), one section each
//! ([`marinas`], [`rentals`], [`finance`], [`pipeline`]); charts are inline SVG
//! ([`charts`]) with the table of their numbers beside them; the page is a (`templates/report.html`, rendered by minijinja), which escapes every value from the data. Nothing on
//! the page refers to another file or host, and it needs no script.

mod charts;
mod data;
mod finance;
mod marinas;
mod page;
mod pipeline;
mod rentals;

use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, Utc};

pub use charts::{Chart, ChartError, DataTable};
pub use data::Period;
use data::Reader;
pub use page::Page;

use crate::catalog::System;
use crate::warehouse::{Session, WarehouseError};

/// What the report covers.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// First day; default: a year before `to`.
    pub from: Option<NaiveDate>,
    /// Last day; default: the export date of the newest snapshot loaded (today if none).
    pub to: Option<NaiveDate>,
    /// MOLO marina locations and Stellar locations to show (all when empty).
    pub locations: Vec<i64>,
}

/// One part of the page.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// Why the section has nothing to show, when it has not.
    pub empty: Option<String>,
    pub kpis: Vec<Kpi>,
    pub charts: Vec<Chart>,
    pub tables: Vec<NamedTable>,
    pub notes: Vec<String>,
}

impl Section {
    fn new(id: &'static str, title: &'static str) -> Self {
        Section { id, title, ..Section::default() }
    }

    fn empty(id: &'static str, title: &'static str, why: impl Into<String>) -> Self {
        Section { empty: Some(why.into()), ..Section::new(id, title) }
    }
}

/// A table with a caption.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NamedTable {
    pub caption: String,
    pub table: DataTable,
}

/// A key figure and its change against the previous period.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Kpi {
    pub label: String,
    pub value: String,
    /// The change, as text (`+3.2%`, `-1.5 pts`), or why there is none.
    pub change: String,
    /// Which way it moved; the page styles it by its name.
    pub trend: Trend,
    pub previous: String,
}

/// Which way a key figure moved against the previous period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    Up,
    Down,
    Flat,
    /// No earlier figure to compare with.
    None,
}

/// How a figure is shown and compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Dollars; the change is relative.
    Money,
    /// A percentage; the change is in points.
    Percent,
    /// A count; the change is relative.
    Count,
}

impl Unit {
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Money => money(v),
            Unit::Percent => format!("{v:.1}%"),
            Unit::Count => grouped(v.round(), 0),
        }
    }
}

impl Kpi {
    /// A figure of this period and the one before, as [`data::Reader::sums`] gives them.
    pub fn of(label: &str, (current, previous): data::TwoPeriods, unit: Unit) -> Kpi {
        Kpi::compare(label, current, previous, unit)
    }

    /// `current` against `previous` (either may be unknown).
    pub fn compare(label: &str, current: Option<f64>, previous: Option<f64>, unit: Unit) -> Kpi {
        let value = current.map_or_else(|| "no data".to_string(), |v| unit.format(v));
        let (change, trend) = match (current, previous) {
            (Some(c), Some(p)) => {
                let delta = c - p;
                let trend = if delta.abs() < 1e-9 {
                    Trend::Flat
                } else if delta > 0.0 {
                    Trend::Up
                } else {
                    Trend::Down
                };
                let text = match unit {
                    _ if trend == Trend::Flat => "no change".to_string(),
                    Unit::Percent => format!("{delta:+.1} pts"),
                    _ if p.abs() < 1e-9 => "new".to_string(),
                    _ => format!("{:+.1}%", 100.0 * delta / p.abs()),
                };
                (text, trend)
            }
            _ => ("no earlier figure".to_string(), Trend::None),
        };
        Kpi { label: label.to_string(), value, change, trend, previous: previous.map(|p| unit.format(p)).unwrap_or_default() }
    }
}

/// `$12,345.67`, negatives as `-$12,345.67`.
pub fn money(v: f64) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}${}", grouped(v.abs(), 2))
}

/// A number with thousands separators and `decimals` decimals.
pub fn grouped(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("cannot lay out the page: {0}")]
    Template(#[from] minijinja::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--from {from} is after --to {to}")]
    EmptyPeriod { from: NaiveDate, to: NaiveDate },
}

/// What was written.
#[derive(Clone, Debug)]
pub struct Written {
    pub period: Period,
    pub bytes: usize,
    pub charts: usize,
}

/// Reads the warehouse and renders the page.
pub fn build(s: &mut dyn Session, opts: &ReportOptions) -> Result<Page, ReportError> {
    let mut r = Reader::new(s)?;
    let to = match opts.to {
        Some(to) => to,
        None => newest_export_date(&mut r)?.unwrap_or_else(|| Utc::now().date_naive()),
    };
    let from = opts.from.unwrap_or(to - Duration::days(364));
    if from > to {
        return Err(ReportError::EmptyPeriod { from, to });
    }
    let period = Period { from, to };
    let sections = vec![
        marinas::section(&mut r, &period, &opts.locations)?,
        rentals::section(&mut r, &period, &opts.locations)?,
        finance::section(&mut r, &period)?,
        pipeline::section(&mut r)?,
    ];
    Ok(Page::new(period, &opts.locations, sections))
}

/// Renders the report and writes it to `out` whole: into a temporary file beside it, then
/// renamed, so a reader never opens half a page.
pub fn write(s: &mut dyn Session, opts: &ReportOptions, out: &Path) -> Result<Written, ReportError> {
    let page = build(s, opts)?;
    let html = page.render()?;
    let write_error = |source| ReportError::Write { path: out.to_path_buf(), source };
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // A page to share: readable by others as a plain new file would be (the umask applies),
    // not private as a temporary file is by default.
    let mut tmp = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(write_error)?;
    std::io::Write::write_all(&mut tmp, html.as_bytes()).map_err(write_error)?;
    tmp.persist(out).map_err(|e| write_error(e.error))?;
    Ok(Written { period: page.period, bytes: html.len(), charts: page.chart_count() })
}

/// The latest export date among the snapshots the warehouse has loaded (from their names).
fn newest_export_date(r: &mut Reader) -> Result<Option<NaiveDate>, WarehouseError> {
    if !r.has(&["ETL_SNAPSHOTS"]) {
        return Ok(None);
    }
    let rows = r.rows("SELECT SOURCE, ARCHIVE_KEY FROM ETL_SNAPSHOTS")?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let system: System = row.first()?.as_deref()?.parse().ok()?;
            crate::source::export_time(system, row.get(1)?.as_deref()?)
        })
        .map(|t| t.date())
        .max())
}
