//! The page: the sections laid out by the `templates/report.html` template, rendered by
//! minijinja, which escapes every value for HTML (the template's name ends in `.html`).

use minijinja::Environment;
use serde::Serialize;

use super::{Period, Section};

const TEMPLATE: &str = include_str!("../../templates/report.html");

/// The whole report, ready to render.
#[derive(Clone, Debug, Serialize)]
pub struct Page {
    #[serde(skip)]
    pub period: Period,
    /// The period's first and last days, as the page shows them.
    pub from: String,
    pub to: String,
    /// Days in the period (the previous period has as many).
    pub days: i64,
    /// The locations asked for, as a line for the heading (empty: all).
    pub scope: String,
    pub generated_at: String,
    pub sections: Vec<Section>,
}

impl Page {
    pub fn new(period: Period, locations: &[i64], sections: Vec<Section>) -> Self {
        let scope = if locations.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = locations.iter().map(i64::to_string).collect();
            format!("Locations {}", ids.join(", "))
        };
        let generated_at = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
        Page { period, from: period.from.to_string(), to: period.to.to_string(), days: period.days(), scope, generated_at, sections }
    }

    /// Charts with something drawn.
    pub fn chart_count(&self) -> usize {
        self.sections.iter().flat_map(|s| &s.charts).filter(|c| c.points > 0).count()
    }

    /// The page as HTML.
    pub fn render(&self) -> Result<String, minijinja::Error> {
        let mut env = Environment::new();
        env.add_template("report.html", TEMPLATE)?;
        env.get_template("report.html")?.render(self)
    }
}
