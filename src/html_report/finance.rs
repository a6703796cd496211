//! Finance: monthly income, expense and net from the P&L view, the daily cash position,
//! AR and AP aging by bucket with the largest open balances, and whether the books balance.

use super::charts::{chart, DataTable, Series, Shape};
use super::data::{number, text, Period, Reader};
use super::{money, Kpi, NamedTable, ReportError, Section, Trend, Unit};

const PNL: &str = "DW_NS_X_FIN_REPORT_V";
const CASH: &str = "DW_NS_DAILY_CASH_POSITION_V";
const TRIAL_BALANCE: &str = "DW_NS_TRIAL_BALANCE_V";
const AR: &str = "DW_NS_AR_AGING_V";
const AP: &str = "DW_NS_AP_AGING_V";
const BUCKETS: [&str; 5] = ["current", "1-30", "31-60", "61-90", "90+"];


pub fn section(r: &mut Reader, p: &Period) -> Result<Section, ReportError> {
    let (id, title) = ("finance", "Finance");
    if !r.has(&[PNL, CASH, TRIAL_BALANCE, AR, AP]) {
        return Ok(Section::empty(id, title, "No finance data yet: the NetSuite views are built by the first run."));
    }
    let mut s = Section::new(id, title);
    let amounts = ["INCOME_AMOUNT + OTHERINCOME_AMOUNT", "-(COGS_AMOUNT + EXPENSE_AMOUNT + OTHEREXPENSE_AMOUNT)", "NET_PROFIT"];
    let pnl = r.sums(PNL, "TRAN_DATE", &amounts, p, "")?;
    s.kpis.push(Kpi::of("Income", pnl[0], Unit::Money));
    s.kpis.push(Kpi::of("Expense", pnl[1], Unit::Money));
    s.kpis.push(Kpi::of("Net income", pnl[2], Unit::Money));

    let monthly = r.rows(&format!(
        "SELECT CAST(EXTRACT(YEAR FROM TRAN_DATE) AS INTEGER) * 100 + CAST(EXTRACT(MONTH FROM TRAN_DATE) AS INTEGER) AS M, \
                SUM({}), SUM({}), SUM({}) FROM {PNL} WHERE {} GROUP BY 1 ORDER BY 1",
        amounts[0],
        amounts[1],
        amounts[2],
        p.between("TRAN_DATE")
    ))?;
    let months = monthly
        .iter()
        .map(|row| text(&row[0]))
        .map(|m| if m.len() == 6 { format!("{}-{}", &m[..4], &m[4..]) } else { m })
        .collect();
    let column = |i: usize| monthly.iter().map(|row| number(row[i].as_deref())).collect();
    let series = vec![
        Series { name: "Income".into(), values: column(1) },
        Series { name: "Expense".into(), values: column(2) },
        Series { name: "Net".into(), values: column(3) },
    ];
    s.charts.push(chart(Shape::Bar, "Income, expense and net by month ($)", months, series, money)?);

    // From the day before the period: its balance is where the previous period ended.
    let eve = p.from - chrono::Duration::days(1);
    let cash = r.rows(&format!(
        "SELECT CAST(CALENDAR_DATE AS VARCHAR), SUM(CLOSING_BALANCE) FROM {CASH} \
         WHERE CALENDAR_DATE BETWEEN DATE '{eve}' AND DATE '{}' GROUP BY CALENDAR_DATE ORDER BY CALENDAR_DATE",
        p.to
    ))?;
    let eve_text = eve.to_string();
    let (before, during): (Vec<_>, Vec<_>) = cash.iter().partition(|row| row[0].as_deref() == Some(eve_text.as_str()));
    let closing = |rows: &[&Vec<Option<String>>]| rows.last().and_then(|row| number(row[1].as_deref()));
    s.kpis.push(Kpi::compare("Cash at the end", closing(&during), closing(&before), Unit::Money));
    s.kpis.push(books_balance(r, p)?);
    let days = during.iter().map(|row| text(&row[0])).collect();
    let values = during.iter().map(|row| number(row[1].as_deref())).collect();
    s.charts.push(chart(Shape::Line, "Cash position per day ($)", days, vec![Series { name: "Bank balance".into(), values }], money)?);

    let mut aging = Vec::new();
    let mut as_of = None;
    for (name, view) in [("Receivable (AR)", AR), ("Payable (AP)", AP)] {
        let rows = r.rows(&format!("SELECT AGING_BUCKET, SUM(AMOUNT_OPEN), MAX(AS_OF_DATE) FROM {view} GROUP BY AGING_BUCKET"))?;
        as_of = as_of.or_else(|| rows.iter().find_map(|row| row[2].clone()));
        let values = BUCKETS
            .iter()
            .map(|b| rows.iter().find(|row| row[0].as_deref() == Some(b)).and_then(|row| number(row[1].as_deref())).or(Some(0.0)))
            .collect();
        aging.push(Series { name: name.into(), values });
    }
    let has_open = aging.iter().flat_map(|s| &s.values).any(|v| v.is_some_and(|v| v != 0.0));
    if has_open {
        s.charts.push(chart(Shape::Bar, "Open balances by age ($)", BUCKETS.map(String::from).to_vec(), aging, money)?);
    } else {
        s.charts.push(chart(Shape::Bar, "Open balances by age ($)", Vec::new(), Vec::new(), money)?);
    }
    for (caption, view) in [("Largest open invoices (AR)", AR), ("Largest open bills (AP)", AP)] {
        s.tables.push(NamedTable { caption: caption.into(), table: largest_open(r, view)? });
    }
    if let Some(as_of) = as_of {
        s.notes.push(format!("Aging as of {as_of}, the date of the newest NetSuite export; it does not follow the report's dates."));
    }
    if s.charts.iter().all(|c| c.points == 0) {
        s.empty = Some(format!("No ledger activity between {} and {}.", p.from, p.to));
    }
    Ok(s)
}

/// Whether every period that starts in the report's dates has equal debits and credits.
fn books_balance(r: &mut Reader, p: &Period) -> Result<Kpi, ReportError> {
    let rows = r.rows(&format!(
        "SELECT PERIOD_NAME, SUM(DEBIT) - SUM(CREDIT) FROM {TRIAL_BALANCE} WHERE {} \
         GROUP BY PERIOD_ID, PERIOD_NAME, PERIOD_START_DATE ORDER BY PERIOD_START_DATE",
        p.between("PERIOD_START_DATE")
    ))?;
    let off: Vec<(String, f64)> = rows
        .iter()
        .filter_map(|row| Some((text(&row[0]), number(row[1].as_deref())?)))
        .filter(|(_, diff)| diff.abs() >= 0.005)
        .collect();
    let (value, change, trend) = match (rows.is_empty(), off.as_slice()) {
        (true, _) => ("no periods".to_string(), String::new(), Trend::None),
        (false, []) => ("balanced".to_string(), format!("{} periods, debits = credits", rows.len()), Trend::Flat),
        (false, off) => (
            format!("{} of {} periods off", off.len(), rows.len()),
            off.iter().take(3).map(|(name, diff)| format!("{name}: {}", money(*diff))).collect::<Vec<_>>().join("; "),
            Trend::Down,
        ),
    };
    Ok(Kpi { label: "Books balance".into(), value, change, trend, previous: String::new() })
}

fn largest_open(r: &mut Reader, view: &str) -> Result<DataTable, ReportError> {
    let rows = r.rows(&format!(
        "SELECT ENTITY_NAME, TRAN_ID, CAST(DUE_DATE AS VARCHAR), DAYS_PAST_DUE, AGING_BUCKET, AMOUNT_OPEN FROM {view} \
         ORDER BY AMOUNT_OPEN DESC, TRANSACTION_ID LIMIT 10"
    ))?;
    let mut table = DataTable::new(
        &["Name", "Document", "Due", "Days past due", "Bucket", "Open"],
        &[false, false, false, true, false, true],
    );
    for row in rows {
        let mut cells: Vec<String> = row.iter().take(5).map(text).collect();
        cells.push(number(row[5].as_deref()).map(money).unwrap_or_default());
        table.rows.push(cells);
    }
    Ok(table)
}
