//! The eight business views of `spec/business-views.md` on DuckDB and on PostgreSQL: small
//! fixtures inserted straight into the `DW_` tables (and the run ledger's `ETL_SNAPSHOTS`),
//! then the views queried and compared with rows computed by hand, one rule of the definition
//! after the other. The same expected rows on both backends.

mod common;
#[path = "common/fixture.rs"]
mod fixture;

use common::Backend;
use fixture::{DELETED, Wh};

fn business_views_have_the_specified_columns_in_order(backend: Backend) {
    let wh = Wh::new(backend);
    let expected = [
        (
            "DW_MOLO_MONTHLY_OCCUPANCY_VW",
            "YEAR_NUMBER,MONTH_NUMBER,MONTH_YEAR_NAME,MARINA_LOCATION_ID,MARINA_LOCATION_NAME,DAYS,SLIP_NIGHTS,\
             OCCUPIED_NIGHTS,OCCUPANCY_PCT",
        ),
        (
            "DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW",
            "YEAR_NUMBER,MONTH_NUMBER,MONTH_YEAR_NAME,MARINA_LOCATION_ID,MARINA_LOCATION_NAME,SLIP_TYPE_ID,\
             SLIP_TYPE_NAME,OCCUPIED_NIGHTS,REVENUE,REVENUE_PER_NIGHT,FOOT_NIGHTS,REVENUE_PER_FOOT_NIGHT",
        ),
        (
            "DW_STELLAR_DAILY_FLEET_UTILIZATION_VW",
            "CALENDAR_DATE,MONTH_NUMBER,YEAR_NUMBER,MONTH_YEAR_NAME,LOCATION_ID,LOCATION_NAME,STYLE_ID,STYLE_NAME,\
             IS_CLOSED,FLEET_BOATS,BOATS_OUT,HOURS_OUT,REVENUE,UTILIZATION_PCT",
        ),
        (
            "DW_STELLAR_MONTHLY_BOAT_REVENUE_VW",
            "YEAR_NUMBER,MONTH_NUMBER,MONTH_YEAR_NAME,LOCATION_ID,LOCATION_NAME,BOAT_ID,BOAT_NUMBER,RENTAL_DAYS,\
             BOOKINGS,HOURS,REVENUE,REVENUE_PER_RENTAL_DAY",
        ),
        (
            "DW_NS_TRIAL_BALANCE_V",
            "PERIOD_ID,PERIOD_NAME,PERIOD_START_DATE,SUBSIDIARY_ID,SUBSIDIARY_NAME,ACCOUNT_ID,ACCOUNT_NUMBER,\
             ACCOUNT_NAME,ACCOUNT_TYPE,DEBIT,CREDIT,NET,CLOSING_BALANCE",
        ),
        (
            "DW_NS_DAILY_CASH_POSITION_V",
            "CALENDAR_DATE,SUBSIDIARY_ID,SUBSIDIARY_NAME,ACCOUNT_ID,ACCOUNT_NUMBER,ACCOUNT_NAME,DAY_NET,\
             CLOSING_BALANCE",
        ),
        ("DW_NS_AR_AGING_V", AGING_COLUMNS),
        ("DW_NS_AP_AGING_V", AGING_COLUMNS),
    ];
    for (name, cols) in expected {
        let want: Vec<String> = cols.split(',').map(|c| c.trim().to_string()).collect();
        assert_eq!(wh.columns(name), want, "{name}");
    }
    // Money and percentages are 2-decimal numbers; counts whole numbers; flags booleans.
    assert_eq!(
        wh.column_types("DW_NS_AR_AGING_V"),
        "DATE,BIGINT,VARCHAR,BIGINT,VARCHAR,BIGINT,VARCHAR,DATE,DATE,BIGINT,VARCHAR,DECIMAL(18,2)"
    );
    let util = wh.column_types("DW_STELLAR_DAILY_FLEET_UTILIZATION_VW");
    assert!(util.ends_with("BOOLEAN,BIGINT,BIGINT,DECIMAL(18,2),DECIMAL(18,2),DECIMAL(18,2)"), "{util}");
    let tb = wh.column_types("DW_NS_TRIAL_BALANCE_V");
    assert!(tb.ends_with("DECIMAL(18,2),DECIMAL(18,2),DECIMAL(18,2),DECIMAL(18,2)"), "{tb}");
}

const AGING_COLUMNS: &str = "AS_OF_DATE,SUBSIDIARY_ID,SUBSIDIARY_NAME,ENTITY_ID,ENTITY_NAME,TRANSACTION_ID,TRAN_ID,\
TRAN_DATE,DUE_DATE,DAYS_PAST_DUE,AGING_BUCKET,AMOUNT_OPEN";

fn every_business_view_is_empty_on_an_empty_warehouse(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2025-01-01", "2025-01-31");
    for v in [
        "DW_MOLO_MONTHLY_OCCUPANCY_VW",
        "DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW",
        "DW_STELLAR_DAILY_FLEET_UTILIZATION_VW",
        "DW_STELLAR_MONTHLY_BOAT_REVENUE_VW",
        "DW_NS_TRIAL_BALANCE_V",
        "DW_NS_DAILY_CASH_POSITION_V",
        "DW_NS_AR_AGING_V",
        "DW_NS_AP_AGING_V",
    ] {
        wh.check(&format!("SELECT COUNT(*) FROM {v}"), &["0"]);
    }
}

// ---------------------------------------------------------------------------------------
// MOLO
// ---------------------------------------------------------------------------------------

fn marinas(wh: &Wh) {
    ins!(wh, "DW_MOLO_MARINA_LOCATIONS", ID = 1, NAME = "North");
    ins!(wh, "DW_MOLO_MARINA_LOCATIONS", ID = 2, NAME = "South");
    for (id, name) in [(1, "Pending"), (4, "Checked In"), (6, "Checked Out")] {
        ins!(wh, "DW_MOLO_RESERVATION_STATUS", ID = id, NAME = name);
    }
}

fn reservation(wh: &Wh, id: i64, slip: i64, status: i64, arrival: &str, departure: &str) {
    ins!(
        wh,
        "DW_MOLO_RESERVATIONS",
        ID = id,
        SLIP_ID = slip,
        MARINA_LOCATION_ID = if slip < 20 { 1 } else { 2 },
        RESERVATION_STATUS_ID = status,
        SCHEDULED_ARRIVAL_TIME = arrival,
        SCHEDULED_DEPARTURE_TIME = departure
    );
}

fn monthly_occupancy_per_marina_and_month(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2025-01-30", "2025-02-02");
    marinas(&wh);
    let s = "DW_MOLO_SLIPS";
    ins!(wh, s, ID = 10, NAME = "A1", MARINA_LOCATION_ID = 1, ACTIVE = true);
    // counts from February only (start date's date)
    ins!(wh, s, ID = 11, NAME = "A2", MARINA_LOCATION_ID = 1, ACTIVE = true, START_DATE = "2025-02-01 08:00:00");
    // counts on 01-30 only (end date inclusive)
    ins!(wh, s, ID = 12, NAME = "A3", MARINA_LOCATION_ID = 1, ACTIVE = true, END_DATE = "2025-01-30 17:00:00");
    ins!(wh, s, ID = 13, NAME = "A4", MARINA_LOCATION_ID = 1, ACTIVE = true, DW_DELETED_AT = DELETED);
    // counts in January only
    ins!(wh, s, ID = 20, NAME = "B1", MARINA_LOCATION_ID = 2, ACTIVE = true, END_DATE = "2025-01-31 00:00:00");
    ins!(wh, s, ID = 21, NAME = "B2", MARINA_LOCATION_ID = 2, ACTIVE = true, DO_NOT_COUNT_IN_OCCUPANCY = true);
    ins!(wh, s, ID = 22, NAME = "B3", MARINA_LOCATION_ID = 2, ACTIVE = true);
    // covers 01-31 and 02-01, not the departure date
    reservation(&wh, 1, 10, 4, "2025-01-31 10:00:00", "2025-02-02 09:00:00");
    // pending: covers without occupying
    reservation(&wh, 2, 11, 1, "2025-02-01 10:00:00", "2025-02-03 09:00:00");
    // checked out: occupies 01-30
    reservation(&wh, 3, 20, 6, "2025-01-30 12:00:00", "2025-01-31 11:00:00");
    // a slip that does not count in occupancy is no slip night, even when occupied
    reservation(&wh, 4, 21, 4, "2025-01-30 12:00:00", "2025-02-02 11:00:00");
    wh.check(
        "SELECT * FROM DW_MOLO_MONTHLY_OCCUPANCY_VW",
        &[
            // A1 01-30 (vacant), 01-31 (occupied); A3 01-30: 1 of 3 slip nights
            "2025|1|Jan 2025|1|North|2|3|1|33.33",
            // A1 02-01 (occupied), 02-02; A2 02-01 (pending), 02-02
            "2025|2|Feb 2025|1|North|2|4|1|25.00",
            // B1 01-30 (occupied), 01-31; B3 both days
            "2025|1|Jan 2025|2|South|2|4|1|25.00",
            // B3 alone: a month without an occupied night
            "2025|2|Feb 2025|2|South|2|2|0|0.00",
        ],
    );
}

fn revenue_by_slip_type_with_null_types_in_their_own_group(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2025-01-30", "2025-02-02");
    marinas(&wh);
    ins!(wh, "DW_MOLO_SLIP_TYPES", ID = 1, NAME = "Floating Dock");
    ins!(wh, "DW_MOLO_SLIP_TYPES", ID = 2, NAME = "Gone", DW_DELETED_AT = DELETED);
    let s = "DW_MOLO_SLIPS";
    ins!(wh, s, ID = 10, NAME = "A1", MARINA_LOCATION_ID = 1, ACTIVE = true, SLIP_TYPE_ID = 1, RECOMMENDED_LOA = "30");
    ins!(wh, s, ID = 11, NAME = "A2", MARINA_LOCATION_ID = 1, ACTIVE = true, SLIP_TYPE_ID = 1, RECOMMENDED_LOA = "40");
    // no slip type: its own group, NULL id and name
    ins!(wh, s, ID = 12, NAME = "A3", MARINA_LOCATION_ID = 1, ACTIVE = true, RECOMMENDED_LOA = "20");
    // a slip type whose row is deleted: the id stays, the name is NULL
    ins!(wh, s, ID = 13, NAME = "A4", MARINA_LOCATION_ID = 1, ACTIVE = true, SLIP_TYPE_ID = 2, RECOMMENDED_LOA = "25");
    reservation(&wh, 1, 10, 4, "2025-01-31 10:00:00", "2025-02-02 09:00:00");
    reservation(&wh, 2, 11, 4, "2025-01-31 10:00:00", "2025-02-01 09:00:00");
    reservation(&wh, 3, 12, 4, "2025-01-31 10:00:00", "2025-02-01 09:00:00");
    reservation(&wh, 4, 13, 4, "2025-01-31 10:00:00", "2025-02-01 09:00:00");
    // pending: not in the rate view, so no revenue here
    reservation(&wh, 5, 10, 1, "2025-01-30 10:00:00", "2025-01-31 09:00:00");
    for (invoice, res, total) in [(1, 1, 100.0), (2, 2, 33.33), (3, 3, 10.0), (5, 5, 500.0)] {
        ins!(wh, "DW_MOLO_INVOICES", ID = invoice, RESERVATION_ID = res);
        ins!(
            wh,
            "DW_MOLO_INVOICE_ITEMS",
            ID = invoice,
            INVOICE_ID = invoice,
            TYPE_FIELD = "charge-reservation-transitive",
            TOTAL = total,
            IS_VOID = false
        );
    }
    wh.check(
        "SELECT * FROM DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW",
        &[
            // 100 / 2 nights + 33.33 = 83.33 over 2 nights (41.665: half away from zero) and
            // 30 + 40 foot-nights (1.1904...)
            "2025|1|Jan 2025|1|North|1|Floating Dock|2|83.33|41.67|70.0|1.19",
            // the second night of reservation 1: 50 / 30 = 1.666...
            "2025|2|Feb 2025|1|North|1|Floating Dock|1|50.00|50.00|30.0|1.67",
            "2025|1|Jan 2025|1|North|NULL|NULL|1|10.00|10.00|20.0|0.50",
            // no invoice: revenue 0
            "2025|1|Jan 2025|1|North|2|NULL|1|0.00|0.00|25.0|0.00",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Stellar
// ---------------------------------------------------------------------------------------

/// Two locations, three styles, six style boats and five bookings over 2025-06-01 .. 06-04.
fn stellar_fixture(backend: Backend) -> Wh {
    let wh = Wh::new(backend);
    wh.calendar("2025-05-25", "2025-07-05");
    ins!(wh, "DW_STELLAR_LOCATIONS", ID = 1, LOCATION_NAME = "Harbor");
    ins!(wh, "DW_STELLAR_LOCATIONS", ID = 2, LOCATION_NAME = "Lake");
    ins!(wh, "DW_STELLAR_STYLES", ID = 1, LOCATION_ID = 1, STYLE_NAME = "Pontoon");
    ins!(wh, "DW_STELLAR_STYLES", ID = 2, LOCATION_ID = 1, STYLE_NAME = "Jet Ski");
    ins!(wh, "DW_STELLAR_STYLES", ID = 3, LOCATION_ID = 2, STYLE_NAME = "Kayak");
    let b = "DW_STELLAR_STYLE_BOATS";
    // in service from its purchase date on
    ins!(wh, b, ID = 1, STYLE_ID = 1, BOAT_NUMBER = "P-1", IN_FLEET = true, PURCHASED_DATE = "2025-06-02");
    // in service until the day before its sale date
    ins!(wh, b, ID = 2, STYLE_ID = 1, BOAT_NUMBER = "P-2", IN_FLEET = true, SALE_DATE = "2025-06-03");
    // not a fleet boat: its rentals count nowhere in the utilization
    ins!(wh, b, ID = 3, STYLE_ID = 1, BOAT_NUMBER = "P-3", IN_FLEET = false);
    ins!(wh, b, ID = 4, STYLE_ID = 2, BOAT_NUMBER = "J-4", IN_FLEET = true);
    ins!(wh, b, ID = 5, STYLE_ID = 2, BOAT_NUMBER = "J-5", IN_FLEET = true, DW_DELETED_AT = DELETED);
    // sold before the range, yet rented on 06-04
    ins!(wh, b, ID = 6, STYLE_ID = 3, BOAT_NUMBER = "K-6", IN_FLEET = true, SALE_DATE = "2025-06-01");
    let closed = "DW_STELLAR_CLOSED_DATES";
    ins!(wh, closed, ID = 1, LOCATION_ID = 1, CLOSED_DATE = "2025-06-03");
    ins!(wh, closed, ID = 2, LOCATION_ID = 1, CLOSED_DATE = "2025-06-03");
    ins!(wh, closed, ID = 3, LOCATION_ID = 1, CLOSED_DATE = "2025-06-04", DW_DELETED_AT = DELETED);
    ins!(wh, closed, ID = 4, LOCATION_ID = 2, CLOSED_DATE = "2025-06-04");
    // (booking, location, boats total, [(booking boat, boat, departure, return)])
    rental(&wh, 1, 1, 100.0, &[(1, "1", "2025-06-01 10:00:00", "2025-06-01 14:00:00")]);
    rental(&wh, 2, 1, 60.0, &[(2, "2", "2025-06-01 09:00:00", "2025-06-01 12:00:00")]);
    rental(&wh, 3, 1, 50.0, &[(3, "3", "2025-06-02 09:00:00", "2025-06-02 11:00:00")]);
    // two boats, 45 each, 2 hours before and 1 after midnight
    rental(
        &wh,
        4,
        1,
        90.0,
        &[(4, "4", "2025-06-02 22:00:00", "2025-06-03 01:00:00"), (5, "1", "2025-06-02 22:00:00", "2025-06-03 01:00:00")],
    );
    rental(&wh, 5, 2, 20.0, &[(6, "6", "2025-06-04 10:00:00", "2025-06-04 11:00:00")]);
    wh
}

fn rental(wh: &Wh, booking: i64, location: i64, total: f64, boats: &[(i64, &str, &str, &str)]) {
    ins!(wh, "DW_STELLAR_BOOKINGS", ID = booking, LOCATION_ID = location, BOATS_TOTAL = total, IS_CANCELED = false);
    for (id, boat, departure, ret) in boats {
        ins!(
            wh,
            "DW_STELLAR_BOOKING_BOATS",
            ID = *id,
            BOOKING_ID = booking,
            BOAT_ID = *boat,
            STATUS_BOOKING = "Complete",
            BOAT_DEPARTURE = *departure,
            BOAT_RETURN = *ret
        );
    }
}

fn fleet_utilization_per_day_and_style(backend: Backend) {
    let wh = stellar_fixture(backend);
    wh.check(
        "SELECT * FROM DW_STELLAR_DAILY_FLEET_UTILIZATION_VW",
        &[
            // P-2 in service; P-1 (not yet in service) and P-2 both out: 200 %
            "2025-06-01|6|2025|Jun 2025|1|Harbor|1|Pontoon|false|1|2|7.00|160.00|200.00",
            "2025-06-01|6|2025|Jun 2025|1|Harbor|2|Jet Ski|false|1|0|0.00|0.00|0.00",
            // P-1 and P-2 in service, P-1 out 2 hours (P-3, not in the fleet, does not count)
            "2025-06-02|6|2025|Jun 2025|1|Harbor|1|Pontoon|false|2|1|2.00|30.00|50.00",
            "2025-06-02|6|2025|Jun 2025|1|Harbor|2|Jet Ski|false|1|1|2.00|30.00|100.00",
            // P-2 sold on 06-03; the location is closed (two rows for one day)
            "2025-06-03|6|2025|Jun 2025|1|Harbor|1|Pontoon|true|1|1|1.00|15.00|100.00",
            "2025-06-03|6|2025|Jun 2025|1|Harbor|2|Jet Ski|true|1|1|1.00|15.00|100.00",
            // nothing out on the last day at Harbor (its deleted closed date does not count)
            "2025-06-04|6|2025|Jun 2025|1|Harbor|1|Pontoon|false|1|0|0.00|0.00|0.00",
            "2025-06-04|6|2025|Jun 2025|1|Harbor|2|Jet Ski|false|1|0|0.00|0.00|0.00",
            // a style without a boat in service but with one out: no utilization
            "2025-06-04|6|2025|Jun 2025|2|Lake|3|Kayak|true|0|1|1.00|20.00|NULL",
        ],
    );
}

fn monthly_boat_revenue_per_boat_and_month(backend: Backend) {
    let wh = stellar_fixture(backend);
    // a second booking of P-2 on 06-01, and a rental of J-4 across the end of June
    rental(&wh, 6, 1, 25.0, &[(7, "2", "2025-06-01 13:00:00", "2025-06-01 14:00:00")]);
    rental(&wh, 7, 1, 80.0, &[(8, "4", "2025-06-30 20:00:00", "2025-07-01 04:00:00")]);
    // cancelled: no revenue
    ins!(wh, "DW_STELLAR_BOOKINGS", ID = 8, LOCATION_ID = 1, BOATS_TOTAL = 999.0, IS_CANCELED = true);
    ins!(
        wh,
        "DW_STELLAR_BOOKING_BOATS",
        ID = 9,
        BOOKING_ID = 8,
        BOAT_ID = "2",
        STATUS_BOOKING = "Complete",
        BOAT_DEPARTURE = "2025-06-05 09:00:00",
        BOAT_RETURN = "2025-06-05 10:00:00"
    );
    wh.check(
        "SELECT * FROM DW_STELLAR_MONTHLY_BOAT_REVENUE_VW",
        &[
            // 06-01 (4 h, 100), 06-02 and 06-03 (3 h, 45): 145 over 3 days
            "2025|6|Jun 2025|1|Harbor|1|P-1|3|2|7.00|145.00|48.33",
            // two bookings on one day
            "2025|6|Jun 2025|1|Harbor|2|P-2|1|2|4.00|85.00|85.00",
            // not a fleet boat, still a rented boat
            "2025|6|Jun 2025|1|Harbor|3|P-3|1|1|2.00|50.00|50.00",
            // 06-02, 06-03 and the first 4 of 8 hours on 06-30
            "2025|6|Jun 2025|1|Harbor|4|J-4|3|2|7.00|85.00|28.33",
            "2025|7|Jul 2025|1|Harbor|4|J-4|1|1|4.00|40.00|40.00",
            "2025|6|Jun 2025|2|Lake|6|K-6|1|1|1.00|20.00|20.00",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// NetSuite
// ---------------------------------------------------------------------------------------

/// Books, accounts, subsidiaries, a customer and a vendor.
fn ns_dimensions(wh: &Wh) {
    ins!(wh, "DW_NS_ACCOUNTING_BOOK", ID = 1, NAME = "Primary", IS_PRIMARY = true);
    ins!(wh, "DW_NS_ACCOUNTING_BOOK", ID = 2, NAME = "Tax", IS_PRIMARY = false);
    for (id, number, ty, name) in [
        (101, "1010", "Bank", "Cash : Operating"),
        (102, "1020", "Bank", "Cash : Payroll"),
        (103, "1050", "OthCurrAsset", "Undeposited Funds"),
        (104, "1100", "AcctRec", "Accounts Receivable"),
        (141, "4100", "Income", "Revenue : Slips"),
        (161, "6100", "Expense", "Operating Expenses : Wages"),
    ] {
        ins!(wh, "DW_NS_ACCOUNT", ID = id, ACCOUNT_NUMBER = number, ACCOUNT_TYPE = ty, FULL_NAME = name);
    }
    ins!(wh, "DW_NS_SUBSIDIARY", ID = 2, NAME = "North LLC");
    ins!(wh, "DW_NS_SUBSIDIARY", ID = 3, NAME = "South LLC");
    ins!(wh, "DW_NS_CUSTOMER", ID = 1000, ENTITY_NAME = "C1000 Ann Lee");
    ins!(wh, "DW_NS_VENDOR", ID = 2000, ENTITY_NAME = "V2000 Fuel Co");
}

/// A transaction with its lines: (line, subsidiary, account, debit, credit) in the primary book.
struct Tx<'a> {
    id: i64,
    ty: &'a str,
    date: &'a str,
    period: Option<i64>,
    lines: &'a [(i64, Option<i64>, i64, Option<f64>, Option<f64>)],
}

fn tx(wh: &Wh, t: Tx<'_>) {
    tx_flags(wh, t, true, false, false);
}

fn tx_flags(wh: &Wh, t: Tx<'_>, posting: bool, voided: bool, deleted: bool) {
    ins!(
        wh,
        "DW_NS_TRANSACTION",
        ID = t.id,
        TYPE = t.ty,
        TRAN_ID = format!("T{}", t.id).as_str(),
        TRAN_DATE = t.date,
        POSTING_PERIOD_ID = t.period,
        POSTING = posting,
        VOIDED = voided,
        DW_DELETED_AT = deleted.then_some(DELETED)
    );
    for &(line, sub, account, debit, credit) in t.lines {
        ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = t.id, LINE_ID = line, SUBSIDIARY_ID = sub);
        gl(wh, t.id, line, 1, account, debit, credit, true);
    }
}

#[allow(clippy::too_many_arguments)]
fn gl(wh: &Wh, tx: i64, line: i64, book: i64, account: i64, debit: Option<f64>, credit: Option<f64>, posting: bool) {
    ins!(
        wh,
        "DW_NS_TRANSACTION_ACCOUNTING_LINE",
        TRANSACTION_ID = tx,
        LINE_ID = line,
        ACCOUNTING_BOOK_ID = book,
        ACCOUNT_ID = account,
        DEBIT = debit,
        CREDIT = credit,
        POSTING = posting
    );
}

const D: fn(f64) -> Option<f64> = Some;
const NONE: Option<f64> = None;

fn trial_balance_per_period_subsidiary_and_account(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2024-12-01", "2025-04-30");
    ns_dimensions(&wh);
    let p = "DW_NS_ACCOUNTING_PERIOD";
    ins!(wh, p, ID = 1, PERIOD_NAME = "Jan 2025", START_DATE = "2025-01-01");
    ins!(wh, p, ID = 2, PERIOD_NAME = "Feb 2025", START_DATE = "2025-02-01");
    // a period without lines: no row, and the closing balance carries over it
    ins!(wh, p, ID = 3, PERIOD_NAME = "Mar 2025", START_DATE = "2025-03-01");
    ins!(wh, p, ID = 4, PERIOD_NAME = "Apr 2025", START_DATE = "2025-04-01");
    // no start date: left out
    ins!(wh, p, ID = 5, PERIOD_NAME = "Adjustments");
    // a higher id with an earlier start: it comes first
    ins!(wh, p, ID = 6, PERIOD_NAME = "Dec 2024", START_DATE = "2024-12-01");
    // the same start as period 1: after it, by id
    ins!(wh, p, ID = 7, PERIOD_NAME = "Jan 2025 Adj", START_DATE = "2025-01-01");
    let north = Some(2);
    let south = Some(3);
    // invoice: AR 100 / income 100, with a line without amounts and the tax book beside it
    tx(
        &wh,
        Tx {
            id: 1,
            ty: "CustInvc",
            date: "2025-01-10",
            period: Some(1),
            lines: &[(0, north, 104, D(100.0), NONE), (1, north, 141, NONE, D(100.0)), (2, north, 141, NONE, NONE)],
        },
    );
    gl(&wh, 1, 0, 2, 104, D(80.0), NONE, true);
    gl(&wh, 1, 1, 2, 141, NONE, D(80.0), true);
    tx(
        &wh,
        Tx {
            id: 2,
            ty: "CustPymt",
            date: "2025-02-05",
            period: Some(2),
            lines: &[(0, north, 101, D(60.0), NONE), (1, north, 104, NONE, D(60.0))],
        },
    );
    let big: &[(i64, Option<i64>, i64, Option<f64>, Option<f64>)] =
        &[(0, north, 101, D(999.0), NONE), (1, north, 141, NONE, D(999.0))];
    // voided, non-posting and deleted transactions are left out
    tx_flags(&wh, Tx { id: 3, ty: "Journal", date: "2025-02-06", period: Some(2), lines: big }, true, true, false);
    tx_flags(&wh, Tx { id: 4, ty: "Journal", date: "2025-02-06", period: Some(2), lines: big }, false, false, false);
    tx_flags(&wh, Tx { id: 9, ty: "Journal", date: "2025-02-06", period: Some(2), lines: big }, true, false, true);
    tx(
        &wh,
        Tx {
            id: 5,
            ty: "Check",
            date: "2025-04-01",
            period: Some(4),
            lines: &[(0, north, 101, NONE, D(25.0)), (1, north, 161, D(25.0), NONE)],
        },
    );
    // a non-posting accounting line, one without its transaction line, one of an unknown account
    ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = 5, LINE_ID = 2, SUBSIDIARY_ID = 2);
    gl(&wh, 5, 2, 1, 161, D(500.0), NONE, false);
    gl(&wh, 5, 9, 1, 161, D(500.0), NONE, true);
    ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = 5, LINE_ID = 8, SUBSIDIARY_ID = 2);
    gl(&wh, 5, 8, 1, 999, D(500.0), NONE, true);
    tx(
        &wh,
        Tx {
            id: 6,
            ty: "Journal",
            date: "2025-02-07",
            period: Some(5),
            lines: &[(0, north, 101, D(7.0), NONE), (1, north, 141, NONE, D(7.0))],
        },
    );
    tx(
        &wh,
        Tx {
            id: 7,
            ty: "CashSale",
            date: "2024-12-30",
            period: Some(6),
            lines: &[(0, south, 101, D(40.0), NONE), (1, south, 141, NONE, D(40.0))],
        },
    );
    tx(
        &wh,
        Tx {
            id: 8,
            ty: "CustInvc",
            date: "2025-01-15",
            period: Some(1),
            lines: &[(0, south, 104, D(10.0), NONE), (1, south, 141, NONE, D(10.0))],
        },
    );
    tx(
        &wh,
        Tx {
            id: 10,
            ty: "Journal",
            date: "2025-01-31",
            period: Some(7),
            lines: &[(0, north, 104, D(1.0), NONE), (1, north, 141, NONE, D(1.0))],
        },
    );
    let ar = "104|1100|Accounts Receivable|AcctRec";
    let inc = "141|4100|Revenue : Slips|Income";
    let bank = "101|1010|Cash : Operating|Bank";
    let wages = "161|6100|Operating Expenses : Wages|Expense";
    let jan = "1|Jan 2025|2025-01-01";
    let adj = "7|Jan 2025 Adj|2025-01-01";
    let feb = "2|Feb 2025|2025-02-01";
    let apr = "4|Apr 2025|2025-04-01";
    let dec = "6|Dec 2024|2024-12-01";
    let rows = [
        format!("{jan}|2|North LLC|{ar}|100.00|0.00|100.00|100.00"),
        format!("{adj}|2|North LLC|{ar}|1.00|0.00|1.00|101.00"),
        format!("{feb}|2|North LLC|{ar}|0.00|60.00|-60.00|41.00"),
        format!("{jan}|2|North LLC|{inc}|0.00|100.00|-100.00|-100.00"),
        format!("{adj}|2|North LLC|{inc}|0.00|1.00|-1.00|-101.00"),
        format!("{feb}|2|North LLC|{bank}|60.00|0.00|60.00|60.00"),
        // March has no line: April's balance follows February's
        format!("{apr}|2|North LLC|{bank}|0.00|25.00|-25.00|35.00"),
        format!("{apr}|2|North LLC|{wages}|25.00|0.00|25.00|25.00"),
        format!("{dec}|3|South LLC|{bank}|40.00|0.00|40.00|40.00"),
        format!("{dec}|3|South LLC|{inc}|0.00|40.00|-40.00|-40.00"),
        format!("{jan}|3|South LLC|{ar}|10.00|0.00|10.00|10.00"),
        format!("{jan}|3|South LLC|{inc}|0.00|10.00|-10.00|-50.00"),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    wh.check("SELECT * FROM DW_NS_TRIAL_BALANCE_V", &rows);
    // a balanced book: debits equal credits in every period
    wh.check(
        "SELECT PERIOD_ID, SUM(DEBIT), SUM(CREDIT) FROM DW_NS_TRIAL_BALANCE_V GROUP BY PERIOD_ID",
        &["1|110.00|110.00", "2|60.00|60.00", "4|25.00|25.00", "6|40.00|40.00", "7|1.00|1.00"],
    );
}

fn daily_cash_position_runs_across_days_without_lines(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2025-02-20", "2025-03-31");
    ns_dimensions(&wh);
    let (north, south) = (Some(2), Some(3));
    tx(
        &wh,
        Tx { id: 1, ty: "Deposit", date: "2025-03-03", period: None, lines: &[(0, north, 101, D(100.0), NONE), (1, north, 103, NONE, D(100.0))] },
    );
    tx(
        &wh,
        Tx { id: 2, ty: "Check", date: "2025-03-05", period: None, lines: &[(0, north, 101, NONE, D(30.0)), (1, north, 161, D(30.0), NONE)] },
    );
    // a second bank line on the same day
    tx(
        &wh,
        Tx { id: 3, ty: "CashSale", date: "2025-03-05", period: None, lines: &[(0, north, 101, D(12.5), NONE), (1, north, 141, NONE, D(12.5))] },
    );
    let big: &[(i64, Option<i64>, i64, Option<f64>, Option<f64>)] =
        &[(0, north, 101, NONE, D(500.0)), (1, north, 161, D(500.0), NONE)];
    tx_flags(&wh, Tx { id: 4, ty: "Check", date: "2025-03-04", period: None, lines: big }, true, true, false);
    tx_flags(&wh, Tx { id: 5, ty: "Check", date: "2025-03-08", period: None, lines: big }, true, false, true);
    tx_flags(&wh, Tx { id: 6, ty: "Check", date: "2025-03-09", period: None, lines: big }, false, false, false);
    // another subsidiary and bank account, starting later
    tx(
        &wh,
        Tx { id: 7, ty: "Journal", date: "2025-03-04", period: None, lines: &[(0, south, 102, D(20.0), NONE), (1, south, 161, NONE, D(20.0))] },
    );
    // no bank line, yet the latest date of a qualifying line: every account runs to 03-07
    tx(
        &wh,
        Tx { id: 8, ty: "Journal", date: "2025-03-07", period: None, lines: &[(0, north, 161, D(5.0), NONE), (1, north, 104, NONE, D(5.0))] },
    );
    // a bank line without a subsidiary: its own group
    tx(
        &wh,
        Tx { id: 9, ty: "Deposit", date: "2025-03-06", period: None, lines: &[(0, None, 101, D(3.0), NONE), (1, None, 103, NONE, D(3.0))] },
    );
    // a non-posting line and a tax-book line on the bank account
    gl(&wh, 2, 0, 2, 101, D(1000.0), NONE, true);
    ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = 1, LINE_ID = 5, SUBSIDIARY_ID = 2);
    gl(&wh, 1, 5, 1, 101, D(1000.0), NONE, false);
    let op = "101|1010|Cash : Operating";
    let rows = [
        format!("2025-03-03|2|North LLC|{op}|100.00|100.00"),
        format!("2025-03-04|2|North LLC|{op}|0.00|100.00"),
        format!("2025-03-05|2|North LLC|{op}|-17.50|82.50"),
        format!("2025-03-06|2|North LLC|{op}|0.00|82.50"),
        format!("2025-03-07|2|North LLC|{op}|0.00|82.50"),
        "2025-03-04|3|South LLC|102|1020|Cash : Payroll|20.00|20.00".to_string(),
        "2025-03-05|3|South LLC|102|1020|Cash : Payroll|0.00|20.00".to_string(),
        "2025-03-06|3|South LLC|102|1020|Cash : Payroll|0.00|20.00".to_string(),
        "2025-03-07|3|South LLC|102|1020|Cash : Payroll|0.00|20.00".to_string(),
        format!("2025-03-06|NULL|NULL|{op}|3.00|3.00"),
        format!("2025-03-07|NULL|NULL|{op}|0.00|3.00"),
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    wh.check("SELECT * FROM DW_NS_DAILY_CASH_POSITION_V", &rows);
}

/// Open invoices and bills around every bucket edge, as of the date in the name of the latest
/// published NetSuite snapshot.
fn aging_fixture(backend: Backend) -> Wh {
    let wh = Wh::new(backend);
    ns_dimensions(&wh);
    snapshot(&wh, "netsuite", "netsuite_20250331.zip", 1);
    // the highest run id wins, not the latest name; a folder in the key is fine
    snapshot(&wh, "netsuite", "exports/netsuite_20250415.zip", 3);
    snapshot(&wh, "netsuite", "netsuite_20250501.zip", 2);
    snapshot(&wh, "molo", "20250601050003.zip", 4);
    let doc = |id: i64, ty: &str, entity: i64, tran: &str, due: Option<&str>, unpaid: Option<f64>, rate: Option<f64>| {
        ins!(
            wh,
            "DW_NS_TRANSACTION",
            ID = id,
            TYPE = ty,
            TRAN_ID = format!("D{id}").as_str(),
            TRAN_DATE = tran,
            DUE_DATE = due,
            FOREIGN_AMOUNT_UNPAID = unpaid,
            EXCHANGE_RATE = rate,
            ENTITY_ID = entity,
            POSTING = true,
            VOIDED = false
        );
        ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = id, LINE_ID = 0, SUBSIDIARY_ID = 2 + id % 2);
        ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = id, LINE_ID = 1, SUBSIDIARY_ID = 9);
    };
    let inv = "CustInvc";
    let tran = "2025-01-01";
    doc(1, inv, 1000, tran, Some("2025-04-15"), Some(100.0), None); // 0 days: current
    doc(2, inv, 1000, tran, Some("2025-04-14"), Some(50.0), Some(1.0)); // 1
    doc(3, inv, 1000, tran, Some("2025-03-16"), Some(30.0), None); // 30
    doc(4, inv, 1000, tran, Some("2025-03-15"), Some(31.0), None); // 31
    doc(5, inv, 1000, tran, Some("2025-02-14"), Some(60.0), None); // 60
    doc(6, inv, 1000, tran, Some("2025-02-13"), Some(61.0), None); // 61
    doc(7, inv, 1000, "2024-12-01", Some("2025-01-15"), Some(90.0), None); // 90
    // 91 days; in another currency: 100 x 0.73125 = 73.125, a half cent
    doc(8, inv, 1000, "2024-12-01", Some("2025-01-14"), Some(100.0), Some(0.73125));
    // no due date: counted from the transaction date, not yet due
    doc(9, inv, 2000, "2025-04-20", None, Some(9.99), None);
    // paid, unknown, voided, non-posting, deleted: not open
    doc(10, inv, 1000, tran, Some("2025-01-31"), Some(0.0), None);
    doc(11, inv, 1000, tran, Some("2025-01-31"), None, None);
    wh.exec(vec![
        "INSERT INTO DW_NS_TRANSACTION (ID, TYPE, TRAN_DATE, FOREIGN_AMOUNT_UNPAID, POSTING, VOIDED) VALUES \
         (12, 'CustInvc', DATE '2025-01-01', 5, TRUE, TRUE), (13, 'CustInvc', DATE '2025-01-01', 5, FALSE, FALSE)"
            .into(),
        format!(
            "INSERT INTO DW_NS_TRANSACTION (ID, TYPE, TRAN_DATE, FOREIGN_AMOUNT_UNPAID, POSTING, DW_DELETED_AT) VALUES \
             (14, 'CustInvc', DATE '2025-01-01', 5, TRUE, TIMESTAMP '{DELETED}')"
        ),
    ]);
    // bills: a bill without a main line, and a vendor credit that is no bill
    doc(21, "VendBill", 2000, "2025-03-01", Some("2025-03-31"), Some(250.0), None); // 15
    doc(22, "VendBill", 2000, "2025-04-10", Some("2025-05-10"), Some(80.0), None); // -25
    ins!(
        wh,
        "DW_NS_TRANSACTION",
        ID = 23,
        TYPE = "VendBill",
        TRAN_ID = "D23",
        TRAN_DATE = "2024-11-30",
        DUE_DATE = "2024-12-30",
        FOREIGN_AMOUNT_UNPAID = 12.0,
        ENTITY_ID = 2000,
        POSTING = true
    );
    doc(24, "VendCred", 2000, "2025-03-01", Some("2025-03-31"), Some(7.0), None);
    wh
}

fn snapshot(wh: &Wh, source: &str, key: &str, run: i64) {
    wh.exec(vec![format!("INSERT INTO ETL_SNAPSHOTS (SOURCE, ARCHIVE_KEY, RUN_ID) VALUES ('{source}', '{key}', {run})")]);
}

fn ar_aging_buckets_and_their_edges(backend: Backend) {
    let wh = aging_fixture(backend);
    let asof = "2025-04-15";
    let c = "1000|C1000 Ann Lee";
    wh.check(
        "SELECT * FROM DW_NS_AR_AGING_V",
        &[
            &format!("{asof}|3|South LLC|{c}|1|D1|2025-01-01|2025-04-15|0|current|100.00"),
            &format!("{asof}|2|North LLC|{c}|2|D2|2025-01-01|2025-04-14|1|1-30|50.00"),
            &format!("{asof}|3|South LLC|{c}|3|D3|2025-01-01|2025-03-16|30|1-30|30.00"),
            &format!("{asof}|2|North LLC|{c}|4|D4|2025-01-01|2025-03-15|31|31-60|31.00"),
            &format!("{asof}|3|South LLC|{c}|5|D5|2025-01-01|2025-02-14|60|31-60|60.00"),
            &format!("{asof}|2|North LLC|{c}|6|D6|2025-01-01|2025-02-13|61|61-90|61.00"),
            &format!("{asof}|3|South LLC|{c}|7|D7|2024-12-01|2025-01-15|90|61-90|90.00"),
            &format!("{asof}|2|North LLC|{c}|8|D8|2024-12-01|2025-01-14|91|90+|73.13"),
            // the entity is a vendor, not a customer: no name
            &format!("{asof}|3|South LLC|2000|NULL|9|D9|2025-04-20|NULL|-5|current|9.99"),
        ],
    );
}

fn ap_aging_reads_bills_only(backend: Backend) {
    let wh = aging_fixture(backend);
    let asof = "2025-04-15";
    let v = "2000|V2000 Fuel Co";
    wh.check(
        "SELECT * FROM DW_NS_AP_AGING_V",
        &[
            &format!("{asof}|3|South LLC|{v}|21|D21|2025-03-01|2025-03-31|15|1-30|250.00"),
            &format!("{asof}|2|North LLC|{v}|22|D22|2025-04-10|2025-05-10|-25|current|80.00"),
            // no main line: no subsidiary
            &format!("{asof}|NULL|NULL|{v}|23|D23|2024-11-30|2024-12-30|106|90+|12.00"),
        ],
    );
}

fn aging_without_a_dated_netsuite_snapshot_has_no_as_of_date(backend: Backend) {
    let wh = aging_fixture(backend);
    let q = "SELECT TRANSACTION_ID, AS_OF_DATE, DAYS_PAST_DUE, AGING_BUCKET FROM DW_NS_AP_AGING_V";
    // the latest NetSuite snapshot's name is no calendar date (February 31st)
    snapshot(&wh, "netsuite", "netsuite_20250231.zip", 5);
    wh.check(q, &["21|NULL|NULL|NULL", "22|NULL|NULL|NULL", "23|NULL|NULL|NULL"]);
    // a month 13 is no date either
    snapshot(&wh, "netsuite", "netsuite_20251301.zip", 6);
    wh.check(q, &["21|NULL|NULL|NULL", "22|NULL|NULL|NULL", "23|NULL|NULL|NULL"]);
    // the last day of a month is
    snapshot(&wh, "netsuite", "netsuite_20250430.zip", 7);
    wh.check(q, &["21|2025-04-30|30|1-30", "22|2025-04-30|-10|current", "23|2025-04-30|121|90+"]);
    // no NetSuite snapshot at all
    wh.exec(vec!["DELETE FROM ETL_SNAPSHOTS".into()]);
    wh.check(q, &["21|NULL|NULL|NULL", "22|NULL|NULL|NULL", "23|NULL|NULL|NULL"]);
}

// ---------------------------------------------------------------------------------------
// Loading: an export without the aging columns; the generated demo data
// ---------------------------------------------------------------------------------------

/// transaction.csv with the catalog's columns except `without`, one invoice per (id, unpaid,
/// due date) of `docs`.
fn transactions(without: &[&str], docs: &[(i64, &str, &str)]) -> String {
    let catalog = marina_etl::catalog::Catalog::get();
    let table = catalog.table(marina_etl::catalog::System::NetSuite, "transaction").unwrap();
    let headers: Vec<&str> =
        table.columns.iter().filter_map(|c| c.header.as_deref()).filter(|h| !without.contains(h)).collect();
    let mut out = headers.join(",") + "\n";
    for (id, unpaid, due) in docs {
        let values: Vec<String> = headers
            .iter()
            .map(|h| match *h {
                "id" => id.to_string(),
                "tranid" => format!("INV{id}"),
                "type" => "CustInvc".into(),
                "trandate" => "2025-03-01".into(),
                "posting" => "T".into(),
                "voided" => "F".into(),
                "foreigntotal" => "100.00".into(),
                "foreignamountunpaid" => unpaid.to_string(),
                "duedate" => due.to_string(),
                _ => String::new(),
            })
            .collect();
        out.push_str(&(values.join(",") + "\n"));
    }
    out
}

/// The two contract columns the aging views read may be missing from an export (an older
/// export job): the rest loads, they are NULL and reported like any missing column, and a
/// warning says so when they held values before.
fn a_netsuite_export_without_the_aging_columns_still_loads(backend: Backend) {
    let env = common::Env::new(backend);
    let aging = "SELECT TRANSACTION_ID, AS_OF_DATE, DAYS_PAST_DUE, AGING_BUCKET, AMOUNT_OPEN FROM DW_NS_AR_AGING_V";
    let message = |run: i64| {
        env.lines(&format!("SELECT MESSAGE FROM ETL_RUN_TABLES WHERE RUN_ID = {run} AND TABLE_NAME = 'transaction'"))
    };
    // never had them: loads, the columns are NULL, the table's message names them
    let old = transactions(&["foreignamountunpaid", "duedate"], &[(1, "", ""), (2, "", "")]);
    env.zip("netsuite", "netsuite_20250401.zip", 1, &[("transaction.csv", &old)]);
    let r = env.run(&["netsuite"]);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(env.lines("SELECT ID, TRAN_ID, FOREIGN_AMOUNT_UNPAID, DUE_DATE FROM DW_NS_TRANSACTION ORDER BY ID"), [
        "1|INV1|∅|∅",
        "2|INV2|∅|∅"
    ]);
    assert_eq!(message(r.run_id), ["missing column(s) loaded as NULL: foreignamountunpaid, duedate"]);
    assert!(env.lines(aging).is_empty());
    // with them: invoice 1 is open, 45 days past due as of the export's date
    let new = transactions(&[], &[(1, "40.00", "2025-03-31"), (2, "0.00", "2025-03-31")]);
    env.zip("netsuite", "netsuite_20250515.zip", 2, &[("transaction.csv", &new)]);
    let r = env.run(&["netsuite"]);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(env.lines(aging), ["1|2025-05-15|45|31-60|40.00"]);
    // without them again: published, NULL, and a warning for each column that held values
    env.zip("netsuite", "netsuite_20250516.zip", 3, &[("transaction.csv", &old)]);
    let r = env.run(&["netsuite"]);
    assert_eq!(r.exit_code(), 4);
    let warnings: Vec<String> = r.warnings().collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("column FOREIGN_AMOUNT_UNPAID (foreignamountunpaid) is missing from transaction.csv but holds values in 2 live row(s)"), "{warnings:?}");
    assert!(warnings[1].contains("column DUE_DATE (duedate) is missing from transaction.csv but holds values in 2 live row(s)"), "{warnings:?}");
    assert_eq!(env.count("SELECT COUNT(FOREIGN_AMOUNT_UNPAID) + COUNT(DUE_DATE) FROM DW_NS_TRANSACTION"), 0);
    assert!(env.lines(aging).is_empty());
}

/// The demo's data (`marina-etl demo`: scale 0.05 on its export date) loaded into the
/// warehouse has something in every section the managers read: occupancy and rentals in the
/// days before the export, profitable summer months in the P&L, a cash position, a balanced
/// trial balance, and open invoices and bills in every aging bucket.
fn the_demo_data_has_something_in_every_section(backend: Backend) {
    use marina_etl::generate::{GenerateOptions, generate};
    let mut env = common::Env::new(backend);
    let summary = generate(&GenerateOptions::demo(env.dir.path().to_path_buf(), 0.05)).unwrap();
    for (location, subsidiary) in summary.location_subsidiary {
        env.config.molo.location_subsidiary.insert(location.to_string(), subsidiary);
    }
    assert_eq!(env.run(&[]).exit_code(), 0);
    let (y, m, d) = marina_etl::generate::DEMO_DATE;
    let export = format!("DATE '{y:04}-{m:02}-{d:02}'");
    let int = |sql: &str| -> i64 { env.count(sql) };
    // occupancy: every marina has occupied slips the day before the export
    assert_eq!(
        int(&format!(
            "SELECT COUNT(*) FROM DW_MOLO_DAILY_OCCUPANCY_RATE_VW WHERE CALENDAR_DATE = {export} - 1 AND OCCUPIED_SLIPS > 0"
        )),
        4
    );
    assert!(int("SELECT COUNT(*) FROM DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW WHERE REVENUE > 0") > 0);
    // rentals over the 7 days before the export
    let rentals = format!(
        "SELECT COUNT(*) FROM DW_STELLAR_DAILY_RENTALS_VW WHERE CALENDAR_DATE BETWEEN {export} - 7 AND {export} - 1"
    );
    assert!(int(&rentals) > 0);
    assert!(
        int(&format!(
            "SELECT COUNT(*) FROM DW_STELLAR_DAILY_FLEET_UTILIZATION_VW \
             WHERE CALENDAR_DATE BETWEEN {export} - 7 AND {export} - 1 AND BOATS_OUT > 0"
        )) > 0
    );
    // every summer month of the P&L view earns money; the winters do not pay as well
    let months = env.lines(
        "SELECT POSTING_MONTH_NUM, CAST(SUM(NET_PROFIT) AS BIGINT) FROM DW_NS_X_FIN_REPORT_V GROUP BY POSTING_MONTH_NUM",
    );
    let net: Vec<(i64, i64)> = months
        .iter()
        .map(|l| {
            let (m, n) = l.split_once('|').unwrap();
            (m.parse().unwrap(), n.parse().unwrap())
        })
        .collect();
    let summers: Vec<&(i64, i64)> = net.iter().filter(|(m, _)| (6..=8).contains(&(m % 100))).collect();
    assert!(summers.len() >= 5, "{net:?}");
    assert!(summers.iter().all(|(_, n)| *n > 0), "summer months: {summers:?}");
    let winter: i64 = net.iter().filter(|(m, _)| (1..=3).contains(&(m % 100))).map(|(_, n)| n).sum();
    assert!(winter < 0, "winter months: {net:?}");
    // the books balance in every period, and the bank accounts hold money at the export
    assert_eq!(int("SELECT COUNT(*) FROM (SELECT PERIOD_ID FROM DW_NS_TRIAL_BALANCE_V GROUP BY PERIOD_ID HAVING SUM(DEBIT) <> SUM(CREDIT)) x"), 0);
    assert!(int("SELECT COUNT(*) FROM DW_NS_TRIAL_BALANCE_V") > 0);
    assert!(
        int(&format!(
            "SELECT CAST(SUM(CLOSING_BALANCE) AS BIGINT) FROM DW_NS_DAILY_CASH_POSITION_V WHERE CALENDAR_DATE = {export} - 1"
        )) > 0
    );
    // open invoices and bills in every bucket, aged as of the export
    for view in ["DW_NS_AR_AGING_V", "DW_NS_AP_AGING_V"] {
        assert_eq!(
            env.lines(&format!("SELECT DISTINCT AGING_BUCKET FROM {view} ORDER BY 1")),
            ["1-30", "31-60", "61-90", "90+", "current"],
            "{view}"
        );
        assert_eq!(int(&format!("SELECT COUNT(*) FROM {view} WHERE AS_OF_DATE <> {export}")), 0, "{view}");
    }
}

backend_tests!(
    business_views_have_the_specified_columns_in_order,
    every_business_view_is_empty_on_an_empty_warehouse,
    monthly_occupancy_per_marina_and_month,
    revenue_by_slip_type_with_null_types_in_their_own_group,
    fleet_utilization_per_day_and_style,
    monthly_boat_revenue_per_boat_and_month,
    trial_balance_per_period_subsidiary_and_account,
    daily_cash_position_runs_across_days_without_lines,
    ar_aging_buckets_and_their_edges,
    ap_aging_reads_bills_only,
    aging_without_a_dated_netsuite_snapshot_has_no_as_of_date,
    a_netsuite_export_without_the_aging_columns_still_loads,
    the_demo_data_has_something_in_every_section,
);
