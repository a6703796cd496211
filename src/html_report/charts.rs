//! Charts as inline SVG (drawn by `charts-rs`, which escapes every text it writes), each
//! with the table of the numbers it draws, so the page needs no script and no other file.
//! The title is the figure's caption on the page, not drawn in the SVG.

use charts_rs::{BarChart, HorizontalBarChart, LineChart, Symbol};

/// The numbers behind a chart, or any table of the report, as display text.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DataTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Per column, whether it holds numbers (right-aligned).
    pub numeric: Vec<bool>,
}

impl DataTable {
    pub fn new(headers: &[&str], numeric: &[bool]) -> Self {
        DataTable { headers: headers.iter().map(|h| h.to_string()).collect(), rows: Vec::new(), numeric: numeric.to_vec() }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether column `i` holds numbers.
    pub fn is_numeric(&self, i: usize) -> bool {
        self.numeric.get(i).copied().unwrap_or(false)
    }
}

/// How a chart draws its series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Line,
    Bar,
    /// Bars along the y axis: for long category names (boats, slip types).
    HorizontalBar,
}

/// One named series of values over a chart's categories (`None`: no value there).
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// A drawn chart and the numbers it shows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Chart {
    pub title: String,
    /// The `<svg>` element; empty when there is nothing to draw.
    pub svg: String,
    pub table: DataTable,
    /// Data points drawn (values that are not `None`).
    pub points: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart '{title}': {source}")]
pub struct ChartError {
    title: String,
    #[source]
    source: charts_rs::Error,
}

const WIDTH: f32 = 640.0;
const HEIGHT: f32 = 320.0;

/// Draws `series` over `categories` and tabulates them (a row per category, a column per
/// series, values shown with `format`).
pub fn chart(
    shape: Shape,
    title: &str,
    categories: Vec<String>,
    series: Vec<Series>,
    format: fn(f64) -> String,
) -> Result<Chart, ChartError> {
    let points = series.iter().flat_map(|s| &s.values).filter(|v| v.is_some()).count();
    let mut headers = vec![String::new()];
    headers.extend(series.iter().map(|s| s.name.clone()));
    let mut table = DataTable { numeric: (0..headers.len()).map(|i| i > 0).collect(), headers, rows: Vec::new() };
    for (i, category) in categories.iter().enumerate() {
        let mut row = vec![category.clone()];
        row.extend(series.iter().map(|s| s.values.get(i).copied().flatten().map(format).unwrap_or_default()));
        table.rows.push(row);
    }
    let svg = if points == 0 { Ok(String::new()) } else { draw(shape, categories, &series) }
        .map_err(|source| ChartError { title: title.to_string(), source })?;
    Ok(Chart { title: title.to_string(), svg, table, points })
}

fn draw(shape: Shape, categories: Vec<String>, series: &[Series]) -> charts_rs::Result<String> {
    let series: Vec<charts_rs::Series> = series
        .iter()
        .map(|s| charts_rs::Series::new_nullable(s.name.clone(), s.values.iter().map(|v| v.map(|v| v as f32)).collect()))
        .collect();
    let many = categories.len() > 40;
    match shape {
        Shape::Line => {
            let mut c = LineChart::new(series, categories);
            c.base.width = WIDTH;
            c.base.height = HEIGHT;
            if many {
                // Markers on hundreds of days would hide the line.
                c.base.series.symbol = Some(Symbol::None);
            }
            c.svg()
        }
        Shape::Bar => {
            let mut c = BarChart::new(series, categories);
            c.base.width = WIDTH;
            c.base.height = HEIGHT;
            c.svg()
        }
        Shape::HorizontalBar => {
            let mut c = HorizontalBarChart::new(series, categories);
            c.base.width = WIDTH;
            c.base.height = HEIGHT;
            c.svg()
        }
    }
}
