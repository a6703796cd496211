//! Rentals: boats out and fleet utilization per day, the top boats by revenue.

use super::charts::{chart, Series, Shape};
use super::data::{location_filter, number, ratio, text, Period, Reader};
use super::{money, Kpi, ReportError, Section, Unit};

const FLEET: &str = "DW_STELLAR_DAILY_FLEET_UTILIZATION_VW";
const BOATS: &str = "DW_STELLAR_MONTHLY_BOAT_REVENUE_VW";

pub fn section(r: &mut Reader, p: &Period, locations: &[i64]) -> Result<Section, ReportError> {
    let (id, title) = ("rentals", "Rentals");
    if !r.has(&[FLEET, BOATS]) {
        return Ok(Section::empty(id, title, "No rental data yet: the Stellar views are built by the first run."));
    }
    let only = location_filter("LOCATION_ID", locations);
    let mut s = Section::new(id, title);
    let utilization = "100.0 * SUM(BOATS_OUT) / NULLIF(SUM(FLEET_BOATS), 0)";
    let fleet = r.sums(FLEET, "CALENDAR_DATE", &["BOATS_OUT", "FLEET_BOATS", "REVENUE"], p, &only)?;
    s.kpis.push(Kpi::of("Boat-days out", fleet[0], Unit::Count));
    s.kpis.push(Kpi::of("Fleet utilization", ratio(fleet[0], fleet[1], 100.0), Unit::Percent));
    s.kpis.push(Kpi::of("Rental revenue", fleet[2], Unit::Money));

    let daily = r.rows(&format!(
        "SELECT CAST(CALENDAR_DATE AS VARCHAR), SUM(BOATS_OUT), {utilization} FROM {FLEET} WHERE {}{only} \
         GROUP BY CALENDAR_DATE ORDER BY CALENDAR_DATE",
        p.between("CALENDAR_DATE")
    ))?;
    let days: Vec<String> = daily.iter().map(|row| text(&row[0])).collect();
    let column = |i: usize| daily.iter().map(|row| number(row[i].as_deref())).collect();
    s.charts.push(chart(
        Shape::Line,
        "Boats out per day",
        days.clone(),
        vec![Series { name: "Boats out".into(), values: column(1) }],
        |v| format!("{v:.0}"),
    )?);
    s.charts.push(chart(
        Shape::Line,
        "Fleet utilization per day (%)",
        days,
        vec![Series { name: "Utilization".into(), values: column(2) }],
        |v| format!("{v:.2}"),
    )?);

    let top = r.rows(&format!(
        "SELECT BOAT_NUMBER, LOCATION_NAME, SUM(REVENUE) FROM {BOATS} WHERE {}{only} \
         GROUP BY BOAT_ID, BOAT_NUMBER, LOCATION_NAME ORDER BY 3 DESC, 1 LIMIT 10",
        p.months_between("YEAR_NUMBER", "MONTH_NUMBER")
    ))?;
    let names = top.iter().map(|row| format!("{} ({})", text(&row[0]), text(&row[1]))).collect();
    let values = top.iter().map(|row| number(row[2].as_deref())).collect();
    s.charts.push(chart(
        Shape::HorizontalBar,
        "Top 10 boats by revenue ($)",
        names,
        vec![Series { name: "Revenue".into(), values }],
        money,
    )?);
    if s.charts.iter().all(|c| c.points == 0) {
        s.empty = Some(format!("No rentals between {} and {}.", p.from, p.to));
    }
    Ok(s)
}
