//! What the report shows, read from the warehouse's views and ledger: one query per chart or
//! figure, each over the report's period (and the period before it, for the changes).
//!
//! Every query is plain SQL that DuckDB and PostgreSQL both run; the dates are literals
//! computed here. A view the warehouse does not have yet (no run has built it) leaves its
//! section empty, with a line saying so.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate};

use crate::warehouse::{Session, WarehouseError};

/// The dates a report covers, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The period of the same length that ends the day before this one starts.
    pub fn previous(&self) -> Period {
        let days = (self.to - self.from).num_days();
        let to = self.from - Duration::days(1);
        Period { from: to - Duration::days(days), to }
    }

    /// `CALENDAR_DATE BETWEEN ...` for a date column.
    pub fn between(&self, column: &str) -> String {
        format!("{column} BETWEEN DATE '{}' AND DATE '{}'", self.from, self.to)
    }

    /// Months as `YEAR * 100 + MONTH`, for the monthly views.
    pub fn months_between(&self, year: &str, month: &str) -> String {
        format!("({year} * 100 + {month}) BETWEEN {} AND {}", month_key(self.from), month_key(self.to))
    }

    /// The months the period touches, as `YEAR * 100 + MONTH`.
    pub fn months_between_dates(&self) -> std::ops::RangeInclusive<i32> {
        month_key(self.from)..=month_key(self.to)
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

fn month_key(d: NaiveDate) -> i32 {
    d.year() * 100 + d.month() as i32
}

/// A figure of a period and of the period before it (either may be unknown).
pub type TwoPeriods = (Option<f64>, Option<f64>);

/// A result set of text values, as the warehouse gives them.
pub type Table = Vec<Vec<Option<String>>>;

/// The session a report reads through, with the views and tables it found.
pub struct Reader<'a> {
    session: &'a mut dyn Session,
    relations: BTreeSet<String>,
}

impl<'a> Reader<'a> {
    pub fn new(session: &'a mut dyn Session) -> Result<Self, WarehouseError> {
        let rows = session
            .query_rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")?
            .rows;
        let relations = rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).map(|n| n.to_uppercase()).collect();
        Ok(Reader { session, relations })
    }

    /// Whether every one of `names` (views or tables) exists.
    pub fn has(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.relations.contains(&n.to_uppercase()))
    }

    pub fn rows(&mut self, sql: &str) -> Result<Table, WarehouseError> {
        let started = std::time::Instant::now();
        let rows = self.session.query_rows(sql)?.rows;
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), rows = rows.len(), "{sql}");
        Ok(rows)
    }

    /// Sums of each of `exprs` over the rows of `relation` whose `date_column` falls in `p`,
    /// and over those in the period before it, in one scan: `(this period, the one before)`
    /// per expression. `filter` is appended to the condition (`AND ...`, or empty).
    pub fn sums(
        &mut self,
        relation: &str,
        date_column: &str,
        exprs: &[&str],
        p: &Period,
        filter: &str,
    ) -> Result<Vec<TwoPeriods>, WarehouseError> {
        let before = p.previous();
        let columns: Vec<String> = exprs
            .iter()
            .flat_map(|e| {
                [p, &before].map(|period| format!("SUM(CASE WHEN {} THEN {e} END)", period.between(date_column)))
            })
            .collect();
        let whole = Period { from: before.from, to: p.to };
        let rows = self.rows(&format!(
            "SELECT {} FROM {relation} WHERE {}{filter}",
            columns.join(", "),
            whole.between(date_column)
        ))?;
        let row = rows.into_iter().next().unwrap_or_default();
        let value = |i: usize| number(row.get(i).and_then(|v| v.as_deref()));
        Ok((0..exprs.len()).map(|i| (value(2 * i), value(2 * i + 1))).collect())
    }

    /// The first value of the first row, as a number (NULL and no row as `None`).
    pub fn number(&mut self, sql: &str) -> Result<Option<f64>, WarehouseError> {
        Ok(self.rows(sql)?.first().and_then(|r| number(r.first()?.as_deref())))
    }
}

/// `scale` × numerator / denominator of each period (`None` when the denominator is 0).
pub fn ratio((num, num_before): TwoPeriods, (den, den_before): TwoPeriods, scale: f64) -> TwoPeriods {
    let q = |n: Option<f64>, d: Option<f64>| Some(scale * n? / d.filter(|d| *d != 0.0)?);
    (q(num, den), q(num_before, den_before))
}

/// A warehouse value as a number; NULL and text that is not one as `None`.
pub fn number(value: Option<&str>) -> Option<f64> {
    value?.trim().parse().ok()
}

/// A warehouse value as text ('' for NULL).
pub fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// `AND column IN (...)` for the locations asked for; nothing when none were.
pub fn location_filter(column: &str, locations: &[i64]) -> String {
    if locations.is_empty() {
        String::new()
    } else {
        let ids: Vec<String> = locations.iter().map(i64::to_string).collect();
        format!(" AND {column} IN ({})", ids.join(", "))
    }
}
