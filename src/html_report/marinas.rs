//! Marinas: occupancy per marina by month and over the last 90 days, revenue per linear
//! foot per month, revenue by slip type. The monthly occupancy is summed from the daily
//! view's slips (as `DW_MOLO_MONTHLY_OCCUPANCY_VW` sums them; the tests hold the two equal).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Months, NaiveDate};

use super::charts::{chart, Chart, Series, Shape};
use super::data::{location_filter, number, ratio, text, Period, Reader};
use super::{grouped, money, Kpi, ReportError, Section, Unit};

const DAILY: &str = "DW_MOLO_DAILY_OCCUPANCY_RATE_VW";
const NIGHTS: &str = "DW_MOLO_RATE_OVER_LINEAR_FOOT";
const RATE_PER_FOOT: &str = "DW_MOLO_RATE_OVER_LINEAR_FOOT_VW";
const BY_SLIP_TYPE: &str = "DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW";

pub fn section(r: &mut Reader, p: &Period, locations: &[i64]) -> Result<Section, ReportError> {
    let (id, title) = ("marinas", "Marinas");
    if !r.has(&[DAILY, NIGHTS, RATE_PER_FOOT, BY_SLIP_TYPE]) {
        return Ok(Section::empty(id, title, "No marina data yet: the MOLO views are built by the first run."));
    }
    let only = |column: &str| location_filter(column, locations);
    let mut s = Section::new(id, title);
    s.kpis.push(occupancy(r, p, &only("MARINA_LOCATION_ID"), &mut s.charts)?);
    let nights = r.sums(NIGHTS, "CALENDAR_DATE", &["INVOICE_DAILY_RATE", "BILLED_LOA_FT"], p, &only("MARINA_LOCATION_ID"))?;
    s.kpis.push(Kpi::of("Slip revenue", nights[0], Unit::Money));
    s.kpis.push(Kpi::of("Revenue per foot-night", ratio(nights[0], nights[1], 1.0), Unit::Money));

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

/// The occupancy KPI of both periods, and the charts by month (whole months, as the monthly
/// view counts them) and over the last 90 days, pushed onto `charts`. One read of the daily
/// occupancy gives all three: the view underneath, a row per slip and day, is the most
/// expensive the report reads.
fn occupancy(r: &mut Reader, p: &Period, filter: &str, charts: &mut Vec<Chart>) -> Result<Kpi, ReportError> {
    let before = p.previous();
    let first = before.from.min(p.from.with_day(1).unwrap_or(p.from));
    let last = (p.to.with_day(1).unwrap_or(p.to) + Months::new(1)).pred_opt().unwrap_or(p.to);
    let days = marina_days(r, Period { from: first, to: last }, filter)?;
    let total = |period: &Period| {
        let (occupied, slips) = days
            .iter()
            .filter(|d| d.date >= period.from && d.date <= period.to)
            .fold((0, 0), |(o, n), d| (o + d.occupied, n + d.slips));
        (slips > 0).then(|| 100.0 * occupied as f64 / slips as f64)
    };
    let months = p.months_between_dates();
    let (labels, series) = occupancy_series(&days, |d| months.contains(&month_of(d.date)).then(|| month_of(d.date)), |m| {
        NaiveDate::from_ymd_opt(m / 100, (m % 100) as u32, 1).map_or_else(String::new, |d| d.format("%b %Y").to_string())
    });
    charts.push(chart(Shape::Line, "Occupancy per marina by month (%)", labels, series, |v| format!("{v:.2}"))?);
    let recent = Period { from: p.to - Duration::days(89), to: p.to };
    let (labels, series) = occupancy_series(
        &days,
        |d| (d.date >= recent.from && d.date <= recent.to).then(|| date_key(d.date)),
        |k| NaiveDate::from_num_days_from_ce_opt(k).map_or_else(String::new, |d| d.to_string()),
    );
    charts.push(chart(Shape::Line, "Occupancy per marina, last 90 days (%)", labels, series, |v| format!("{v:.2}"))?);

    Ok(Kpi::compare("Occupancy", total(p), total(&before), Unit::Percent))
}

/// Slips and occupied slips of one marina on one day (`DW_MOLO_DAILY_OCCUPANCY_RATE_VW`).
struct MarinaDay {
    date: NaiveDate,
    marina: String,
    occupied: i64,
    slips: i64,
}

fn marina_days(r: &mut Reader, p: Period, filter: &str) -> Result<Vec<MarinaDay>, ReportError> {
    let rows = r.rows(&format!(
        "SELECT CAST(CALENDAR_DATE AS VARCHAR), MARINA_LOCATION_NAME, OCCUPIED_SLIPS, SLIPS FROM {DAILY} WHERE {}{filter}",
        p.between("CALENDAR_DATE")
    ))?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(MarinaDay {
                date: NaiveDate::parse_from_str(row[0].as_deref()?.get(..10)?, "%Y-%m-%d").ok()?,
                marina: text(&row[1]),
                occupied: number(row[2].as_deref())? as i64,
                slips: number(row[3].as_deref())? as i64,
            })
        })
        .collect())
}

fn month_of(d: NaiveDate) -> i32 {
    d.year() * 100 + d.month() as i32
}

fn date_key(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

/// Occupancy per marina over the categories `category` puts days in (days it gives no
/// category are left out), labelled by `label`.
fn occupancy_series(
    days: &[MarinaDay],
    category: impl Fn(&MarinaDay) -> Option<i32>,
    label: impl Fn(i32) -> String,
) -> (Vec<String>, Vec<Series>) {
    let mut cells: BTreeMap<String, BTreeMap<i32, (i64, i64)>> = BTreeMap::new();
    let mut categories = std::collections::BTreeSet::new();
    for d in days {
        if let Some(c) = category(d) {
            categories.insert(c);
            let cell = cells.entry(d.marina.clone()).or_default().entry(c).or_default();
            cell.0 += d.occupied;
            cell.1 += d.slips;
        }
    }
    let series = cells
        .into_iter()
        .map(|(name, values)| Series {
            name,
            values: categories.iter().map(|c| values.get(c).and_then(|&(o, n)| percent(o, n))).collect(),
        })
        .collect();
    (categories.into_iter().map(label).collect(), series)
}

/// 100 × `part` / `whole` to 2 decimals, half away from zero, exactly as the views round it.
fn percent(part: i64, whole: i64) -> Option<f64> {
    if whole <= 0 || part < 0 {
        return None;
    }
    let hundredths = (2 * part * 10_000 + whole) / (2 * whole);
    Some(hundredths as f64 / 100.0)
}

/// Rows of (category label, category order, series name, value) as categories in order and
/// one series per name, with gaps where a name has no value.
fn pivot(rows: &super::data::Table) -> (Vec<String>, Vec<Series>) {
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
