//! Marinas: occupancy per marina by month and over the last 90 days, revenue per linear
//! foot per month, revenue by slip type.

use std::collections::BTreeMap;

use chrono::Duration;

use super::charts::{chart, Series, Shape};
use super::data::{location_filter, number, text, Period, Reader};
use super::{grouped, money, Kpi, ReportError, Section, Unit};

const DAILY: &str = "DW_MOLO_DAILY_OCCUPANCY_RATE_VW";
const MONTHLY: &str = "DW_MOLO_MONTHLY_OCCUPANCY_VW";
const NIGHTS: &str = "DW_MOLO_RATE_OVER_LINEAR_FOOT";
const RATE_PER_FOOT: &str = "DW_MOLO_RATE_OVER_LINEAR_FOOT_VW";
const BY_SLIP_TYPE: &str = "DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW";

pub fn section(r: &mut Reader, p: &Period, locations: &[i64]) -> Result<Section, ReportError> {
    let (id, title) = ("marinas", "Marinas");
    if !r.has(&[DAILY, MONTHLY, NIGHTS, RATE_PER_FOOT, BY_SLIP_TYPE]) {
        return Ok(Section::empty(id, title, "No marina data yet: the MOLO views are built by the first run."));
    }
    let only = |column: &str| location_filter(column, locations);
    let mut s = Section::new(id, title);
    let slips = r.sums(DAILY, "CALENDAR_DATE", &["OCCUPIED_SLIPS", "SLIPS"], p, &only("MARINA_LOCATION_ID"))?;
    let nights = r.sums(NIGHTS, "CALENDAR_DATE", &["INVOICE_DAILY_RATE", "BILLED_LOA_FT"], p, &only("MARINA_LOCATION_ID"))?;
    let occupancy = ratio(slips[0], slips[1], 100.0);
    let per_foot = ratio(nights[0], nights[1], 1.0);
    s.kpis.push(Kpi::of("Occupancy", occupancy, Unit::Percent));
    s.kpis.push(Kpi::of("Slip revenue", nights[0], Unit::Money));
    s.kpis.push(Kpi::of("Revenue per foot-night", per_foot, Unit::Money));

    let monthly = r.rows(&format!(
        "SELECT MONTH_YEAR_NAME, YEAR_NUMBER * 100 + MONTH_NUMBER, MARINA_LOCATION_NAME, OCCUPANCY_PCT FROM {MONTHLY} \
         WHERE {}{} ORDER BY 2, 3",
        p.months_between("YEAR_NUMBER", "MONTH_NUMBER"),
        only("MARINA_LOCATION_ID")
    ))?;
    let (months, series) = pivot(&monthly);
    s.charts.push(chart(Shape::Line, "Occupancy per marina by month (%)", months, series, |v| format!("{v:.2}"))?);

    let recent = super::data::Period { from: p.to - Duration::days(89), to: p.to };
    let daily = r.rows(&format!(
        "SELECT CAST(CALENDAR_DATE AS VARCHAR), CALENDAR_DATE, MARINA_LOCATION_NAME, OCCUPANCY_PCT FROM {DAILY} \
         WHERE {}{} ORDER BY 2, 3",
        recent.between("CALENDAR_DATE"),
        only("MARINA_LOCATION_ID")
    ))?;
    let (days, series) = pivot(&daily);
    s.charts.push(chart(Shape::Line, "Occupancy per marina, last 90 days (%)", days, series, |v| format!("{v:.2}"))?);

    let per_foot_monthly = r.rows(&format!(
        "SELECT MONTH_YEAR_NAME, YEAR_NUMBER * 100 + MONTH_NUMBER, MARINA_LOCATION_NAME, \
                SUM(REVENUE) / NULLIF(SUM(FOOT_NIGHTS), 0) FROM {RATE_PER_FOOT} \
         WHERE {}{} GROUP BY MONTH_YEAR_NAME, YEAR_NUMBER, MONTH_NUMBER, MARINA_LOCATION_NAME ORDER BY 2, 3",
        p.months_between("YEAR_NUMBER", "MONTH_NUMBER"),
        only("MARINA_LOCATION_ID")
    ))?;
    let (months, series) = pivot(&per_foot_monthly);
    s.charts.push(chart(Shape::Line, "Revenue per foot-night by month ($)", months, series, |v| format!("{v:.2}"))?);

    let by_type = r.rows(&format!(
        "SELECT COALESCE(SLIP_TYPE_NAME, '(no slip type)'), SUM(REVENUE) FROM {BY_SLIP_TYPE} WHERE {}{} \
         GROUP BY COALESCE(SLIP_TYPE_NAME, '(no slip type)') ORDER BY 2 DESC",
        p.months_between("YEAR_NUMBER", "MONTH_NUMBER"),
        only("MARINA_LOCATION_ID")
    ))?;
    let names = by_type.iter().map(|row| text(&row[0])).collect();
    let values = by_type.iter().map(|row| number(row[1].as_deref())).collect();
    s.charts.push(chart(
        Shape::HorizontalBar,
        "Revenue by slip type ($)",
        names,
        vec![Series { name: "Revenue".into(), values }],
        money,
    )?);
    if s.charts.iter().all(|c| c.points == 0) {
        s.empty = Some(format!("No marina activity between {} and {}.", p.from, p.to));
    }
    s.notes.push(format!(
        "Occupancy counts slip-nights with a checked-in or reserved stay; revenue is the invoiced daily rate of occupied nights. {} days.",
        grouped(p.days() as f64, 0)
    ));
    Ok(s)
}

/// `scale` × numerator / denominator of each period (`None` when the denominator is 0).
pub(super) fn ratio(
    (num, num_before): (Option<f64>, Option<f64>),
    (den, den_before): (Option<f64>, Option<f64>),
    scale: f64,
) -> (Option<f64>, Option<f64>) {
    let q = |n: Option<f64>, d: Option<f64>| Some(scale * n? / d.filter(|d| *d != 0.0)?);
    (q(num, den), q(num_before, den_before))
}

/// Rows of (category label, category order, series name, value) as categories in order and
/// one series per name, with gaps where a name has no value.
pub(super) fn pivot(rows: &super::data::Table) -> (Vec<String>, Vec<Series>) {
    let mut categories: Vec<(String, String)> = Vec::new();
    let mut by_name: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for row in rows {
        let (label, order, name) = (text(&row[0]), text(&row[1]), text(&row[2]));
        if categories.last().is_none_or(|(o, _)| *o != order) {
            categories.push((order.clone(), label));
        }
        if let Some(v) = number(row[3].as_deref()) {
            by_name.entry(name).or_default().insert(order, v);
        }
    }
    let series = by_name
        .into_iter()
        .map(|(name, values)| Series { name, values: categories.iter().map(|(o, _)| values.get(o).copied()).collect() })
        .collect();
    (categories.into_iter().map(|(_, label)| label).collect(), series)
}
