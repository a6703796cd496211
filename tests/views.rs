//! The analytical views on DuckDB and on PostgreSQL: small fixtures inserted straight into
//! the `DW_` tables, then the views queried and compared with rows computed by hand
//! (spec/views.md, contract/netsuite.md §3-§7). The same expected rows on both backends.
//!
//! Rows are compared as text (DuckDB's `COLUMNS(*)::VARCHAR`; PostgreSQL's typed values
//! written the same way), one string per row with `|` between the values and `NULL` for
//! NULL, order-insensitively.

mod common;

#[path = "common/fixture.rs"]
mod fixture;

use common::Backend;
use fixture::{DELETED, Wh, date};
use marina_etl::catalog::Catalog;
use marina_etl::views;
use marina_etl::warehouse::sql::Dialect;

const DUCK: Dialect = Dialect::DuckDb;

// ---------------------------------------------------------------------------------------
// Calendar, bounds, location mapping
// ---------------------------------------------------------------------------------------

#[test]
fn default_calendar_range_adds_a_year_and_caps_at_30_years() {
    let r = views::default_calendar_range(Some(date("2019-04-15")), Some(date("2025-12-21"))).unwrap();
    assert_eq!((r.start, r.end), (date("2019-04-15"), date("2026-12-21")));
    // +365 days, not "one year": 2024 is a leap year
    let r = views::default_calendar_range(Some(date("2024-01-01")), Some(date("2024-01-01"))).unwrap();
    assert_eq!((r.start, r.end), (date("2024-01-01"), date("2024-12-31")));
    // more than 30 years: the end is kept, the start moves up to end - 30 years
    let r = views::default_calendar_range(Some(date("1900-01-01")), Some(date("2025-06-01"))).unwrap();
    assert_eq!((r.start, r.end), (date("1996-06-01"), date("2026-06-01")));
    // exactly 30 years is allowed
    let r = views::default_calendar_range(Some(date("1996-06-01")), Some(date("2025-06-01"))).unwrap();
    assert_eq!(r.start, date("1996-06-01"));
    // one bound only
    let r = views::default_calendar_range(None, Some(date("2025-01-01"))).unwrap();
    assert_eq!((r.start, r.end), (date("2025-01-01"), date("2026-01-01")));
    assert_eq!(views::default_calendar_range(None, None), None);
}

fn calendar_has_one_row_per_day_with_its_attributes(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2024-12-29", "2025-01-06");
    assert_eq!(
        wh.columns("CUSTOM_CALENDAR_DIMENSION"),
        [
            "CALENDAR_DATE",
            "YEAR_NUMBER",
            "MONTH_NUMBER",
            "MONTH_YEAR_NAME",
            "DAY_OF_WEEK",
            "QUARTER_NUMBER",
            "IS_WEEKEND"
        ]
    );
    wh.check(
        "SELECT * FROM CUSTOM_CALENDAR_DIMENSION",
        &[
            "2024-12-29|2024|12|Dec 2024|7|4|1",
            "2024-12-30|2024|12|Dec 2024|1|4|0",
            "2024-12-31|2024|12|Dec 2024|2|4|0",
            "2025-01-01|2025|1|Jan 2025|3|1|0",
            "2025-01-02|2025|1|Jan 2025|4|1|0",
            "2025-01-03|2025|1|Jan 2025|5|1|0",
            "2025-01-04|2025|1|Jan 2025|6|1|1",
            "2025-01-05|2025|1|Jan 2025|7|1|1",
            "2025-01-06|2025|1|Jan 2025|1|1|0",
        ],
    );
    // rebuilding replaces the rows
    wh.calendar("2025-07-01", "2025-07-02");
    wh.check(
        "SELECT * FROM CUSTOM_CALENDAR_DIMENSION",
        &["2025-07-01|2025|7|Jul 2025|2|3|0", "2025-07-02|2025|7|Jul 2025|3|3|0"],
    );
    wh.calendar("2024-02-28", "2024-03-01");
    wh.check(
        "SELECT CALENDAR_DATE, MONTH_YEAR_NAME, QUARTER_NUMBER FROM CUSTOM_CALENDAR_DIMENSION",
        &["2024-02-28|Feb 2024|1", "2024-02-29|Feb 2024|1", "2024-03-01|Mar 2024|1"],
    );
    wh.calendar("2025-10-31", "2025-11-01");
    wh.check(
        "SELECT CALENDAR_DATE, MONTH_YEAR_NAME, QUARTER_NUMBER FROM CUSTOM_CALENDAR_DIMENSION",
        &["2025-10-31|Oct 2025|4", "2025-11-01|Nov 2025|4"],
    );
    // start after end: empty calendar
    wh.calendar("2025-01-02", "2025-01-01");
    wh.check("SELECT COUNT(*) FROM CUSTOM_CALENDAR_DIMENSION", &["0"]);
}

fn a_thirty_year_calendar_is_built_in_sql(backend: Backend) {
    let wh = Wh::new(backend);
    let r = views::default_calendar_range(Some(date("1900-01-01")), Some(date("2025-06-01"))).unwrap();
    wh.exec(views::calendar_statements(wh.d, &r));
    wh.check(
        "SELECT COUNT(*), MIN(CALENDAR_DATE), MAX(CALENDAR_DATE) FROM CUSTOM_CALENDAR_DIMENSION",
        &["10958|1996-06-01|2026-06-01"],
    );
}

fn calendar_bounds_cover_the_four_sources_and_ignore_deleted_rows(backend: Backend) {
    let wh = Wh::new(backend);
    let bounds = views::calendar_bounds_query(wh.d);
    wh.check(&bounds, &["NULL|NULL"]);
    ins!(
        wh,
        "DW_MOLO_RESERVATIONS",
        ID = 1,
        SCHEDULED_ARRIVAL_TIME = "2023-05-01 14:00:00",
        SCHEDULED_DEPARTURE_TIME = "2030-01-01 00:00:00"
    );
    ins!(wh, "DW_MOLO_RESERVATIONS", ID = 2, SCHEDULED_ARRIVAL_TIME = "2001-01-01 00:00:00", DW_DELETED_AT = DELETED);
    wh.check(&bounds, &["2023-05-01|2023-05-01"]);
    ins!(wh, "DW_MOLO_SLIPS", ID = 1, START_DATE = "2022-03-01 06:00:00");
    ins!(wh, "DW_STELLAR_BOOKING_BOATS", ID = 1, BOAT_DEPARTURE = "2025-08-01 09:00:00");
    ins!(wh, "DW_STELLAR_BOOKING_BOATS", ID = 2, BOAT_DEPARTURE = "2029-08-01 09:00:00", DW_DELETED_AT = DELETED);
    ins!(wh, "DW_NS_TRANSACTION", ID = 1, TRAN_DATE = "2025-12-20");
    ins!(wh, "DW_NS_TRANSACTION", ID = 2, TRAN_DATE = "2020-12-20", DW_DELETED_AT = DELETED);
    wh.check(&bounds, &["2022-03-01|2025-12-20"]);
    ins!(wh, "DW_NS_TRANSACTION", ID = 3, TRAN_DATE = "2026-01-02");
    wh.check(&bounds, &["2022-03-01|2026-01-02"]);
}

fn location_subsidiary_mapping_is_replaced_and_unmapped_locations_get_0(backend: Backend) {
    let wh = Wh::new(backend);
    wh.mapping(&[(1, 8), (2, 16), (1, 9)]);
    wh.check("SELECT * FROM DW_MOLO_LOCATION_SUBSIDIARY", &["1|9", "2|16"]);
    wh.mapping(&[(3, 4)]);
    wh.check("SELECT * FROM DW_MOLO_LOCATION_SUBSIDIARY", &["3|4"]);
    wh.mapping(&[]);
    wh.check("SELECT COUNT(*) FROM DW_MOLO_LOCATION_SUBSIDIARY", &["0"]);
    assert_eq!(wh.columns("DW_MOLO_LOCATION_SUBSIDIARY"), ["MARINA_LOCATION_ID", "SUBSIDIARY_ID"]);

    wh.calendar("2025-01-01", "2025-01-01");
    wh.mapping(&[(1, 8)]);
    ins!(wh, "DW_MOLO_MARINA_LOCATIONS", ID = 1, NAME = "North");
    ins!(wh, "DW_MOLO_MARINA_LOCATIONS", ID = 2, NAME = "South");
    ins!(wh, "DW_MOLO_SLIPS", ID = 1, MARINA_LOCATION_ID = 1, ACTIVE = true);
    ins!(wh, "DW_MOLO_SLIPS", ID = 2, MARINA_LOCATION_ID = 2, ACTIVE = true);
    wh.check("SELECT MARINA_ID, SUBSIDIARY_ID FROM DW_MOLO_DAILY_SLIP_COUNT_VW", &["1|8", "2|0"]);
}

// ---------------------------------------------------------------------------------------
// Column contract
// ---------------------------------------------------------------------------------------

const NS_TYPED: &str = "T_TYPE,TRAN_ID,INTERNALID,LINE_ID,TRAN_DATE,TRAN_NAME,SUBSIDIARY_ID,LOCATION_ID,\
DIVISION_ID,DEPARTMENT_ID,ENTITY_ID,ITEM_ID,POSTING_PERIOD_ID,ACCOUNT_ID,ACCOUNT_NUMBER,ACCOUNT_TYPE,\
ACCOUNT_DESC,QTY,EXT_COST,ACCTG_AMOUNT,MEMO";

fn every_view_has_the_specified_columns_in_order(backend: Backend) {
    let wh = Wh::new(backend);
    let mut expected: Vec<(&str, &str)> = vec![
        (
            "DW_MOLO_DAILY_SLIP_COUNT_VW",
            "CALENDAR_DATE,MONTH_YEAR_NAME,MONTH_NUMBER,YEAR_NUMBER,MARINA_NAME,MARINA_ID,SUBSIDIARY_ID,DAILY_SLIP_COUNT",
        ),
        (
            "DW_MOLO_DAILY_SLIP_OCCUPANCY_VW",
            "CALENDAR_DATE,MONTH_NUMBER,YEAR_NUMBER,MONTH_YEAR_NAME,SLIP_ID,SLIP_NAME,MARINA_LOCATION_ID,\
          MARINA_LOCATION_NAME,RESERVATION_ID,SCHEDULED_ARRIVAL_TIME,SCHEDULED_DEPARTURE_TIME,\
          RESERVATION_STATUS_ID,RESERVATION_STATUS_NAME,RESERVATION_NAME,IS_OCCUPIED",
        ),
        (
            "DW_MOLO_DAILY_OCCUPANCY_RATE_VW",
            "CALENDAR_DATE,MARINA_LOCATION_ID,MARINA_LOCATION_NAME,SLIPS,OCCUPIED_SLIPS,OCCUPANCY_PCT",
        ),
        (
            "DW_MOLO_DAILY_BOAT_LENGTHS_VW",
            "CALENDAR_DATE,MONTH_NUMBER,YEAR_NUMBER,MONTH_YEAR_NAME,BOAT_ID,BOAT_NAME,BOAT_LOA_LENGTH,BOAT_MAKE,\
          BOAT_MODEL,MARINA_LOCATION_ID,MARINA_LOCATION_NAME,RESERVATION_ID,SCHEDULED_ARRIVAL_TIME,\
          SCHEDULED_DEPARTURE_TIME,OCCUPIES_SLIP",
        ),
        (
            "DW_MOLO_RATE_OVER_LINEAR_FOOT",
            "CALENDAR_DATE,MONTH_NUMBER,YEAR_NUMBER,MONTH_YEAR_NAME,RESERVATION_ID,RESERVATION_NAME,\
          RESERVATION_STATUS,RESERVATION_TYPE,MARINA_LOCATION_ID,MARINA_LOCATION_NAME,SLIP_ID,SLIP_NAME,\
          SCHEDULED_ARRIVAL_TIME,SCHEDULED_DEPARTURE_TIME,RESERVATION_DAYS,RESERVATION_MONTHS,INVOICE_TOTAL,\
          RESERVATION_DAILY_RATE,INVOICE_DAILY_RATE,RESERVATION_MONTHLY_RATE,INVOICE_MONTHLY_RATE,\
          BILLED_LOA_FT,DAILY_RATE_PER_FOOT,MONTHLY_RATE_PER_FOOT",
        ),
        (
            "DW_MOLO_RATE_OVER_LINEAR_FOOT_VW",
            "YEAR_NUMBER,MONTH_NUMBER,MONTH_YEAR_NAME,MARINA_LOCATION_ID,MARINA_LOCATION_NAME,RESERVATION_TYPE,\
          OCCUPIED_NIGHTS,FOOT_NIGHTS,REVENUE,REVENUE_PER_FOOT_NIGHT,REVENUE_PER_FOOT_MONTH",
        ),
        (
            "DW_STELLAR_DAILY_RENTALS_VW",
            "CALENDAR_DATE,MONTH_NUMBER,YEAR_NUMBER,MONTH_YEAR_NAME,LOCATION_ID,LOCATION_NAME,BOOKING_BOAT_ID,\
          BOAT_ID,BOAT_NUMBER,BOAT_DEPARTURE,BOAT_RETURN,BOOKING_ID,HOURS,BOATS_TOTAL,RATE_PER_BOAT,\
          RATE_PER_BOAT_PER_HOUR,HOURS_ON_DATE,REVENUE_ON_DATE",
        ),
    ];
    for name in [
        "DW_NS_X_FIN_CASHSALE_V",
        "DW_NS_X_FIN_CHECK_V",
        "DW_NS_X_FIN_INVOICE_V",
        "DW_NS_X_FIN_CUST_PAYMENT_V",
        "DW_NS_X_FIN_JOURNAL_V",
        "DW_NS_X_FIN_DEPOSIT_V",
        "DW_NS_X_FIN_CREDIT_CARD_V",
        "DW_NS_X_FIN_VENDBILL_V",
        "DW_NS_X_FIN_VENDBILL_PAYMENT_V",
        "DW_NS_X_FIN_VENDCRED_V",
        "DW_NS_X_FIN_CUST_CREDIT_V",
        "DW_NS_X_FIN_CUST_REFUND_V",
        "DW_NS_X_FIN_CC_REFUND_V",
        "DW_NS_X_FIN_DEPENTRY_V",
    ] {
        expected.push((name, NS_TYPED));
    }
    expected.push((
        "DW_NS_X_FIN_REPORT_V",
        "T_TYPE,TRAN_ID,INTERNALID,LINE_ID,TRAN_DATE,TRAN_NAME,SUBSIDIARY,LOCATION,CLASS,DEPARTMENT,CUSTOMER,\
         TRAN_VENDOR,ITEM_NAME,ACCOUNT_NUMBER,ACCOUNT_TYPE,ACCOUNT_DESC,POSTING_YEAR,POSTING_MONTH,\
         POSTING_MONTH_NUM,ACCTG_AMOUNT,INCOME_AMOUNT,COGS_AMOUNT,EXPENSE_AMOUNT,OTHERINCOME_AMOUNT,\
         OTHEREXPENSE_AMOUNT,GROSS_PROFIT,NET_PROFIT,MEMO,MAPVALUE,SORTORDER,REPORTTYPE,REPORTSECTION",
    ));
    // The business views (spec/business-views.md), after the views they read; their columns are
    // checked in tests/business_views.rs.
    expected.extend(business_view_names().iter().map(|n| (*n, "")));
    let names: Vec<&str> = views::views(wh.d).iter().map(|v| v.name).collect();
    assert_eq!(names, expected.iter().map(|(n, _)| *n).collect::<Vec<_>>(), "views and creation order");
    for (name, cols) in expected.into_iter().filter(|(_, cols)| !cols.is_empty()) {
        let want: Vec<String> = cols.split(',').map(|c| c.trim().to_string()).collect();
        assert_eq!(wh.columns(name), want, "{name}");
    }
}

fn business_view_names() -> [&'static str; 8] {
    [
        "DW_MOLO_MONTHLY_OCCUPANCY_VW",
        "DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW",
        "DW_STELLAR_DAILY_FLEET_UTILIZATION_VW",
        "DW_STELLAR_MONTHLY_BOAT_REVENUE_VW",
        "DW_NS_TRIAL_BALANCE_V",
        "DW_NS_DAILY_CASH_POSITION_V",
        "DW_NS_AR_AGING_V",
        "DW_NS_AP_AGING_V",
    ]
}

fn typed_columns_have_fixed_types(backend: Backend) {
    let wh = Wh::new(backend);
    let types = |name: &str| wh.column_types(name);
    let typed = "VARCHAR,VARCHAR,BIGINT,BIGINT,DATE,VARCHAR,BIGINT,BIGINT,BIGINT,BIGINT,BIGINT,BIGINT,BIGINT,\
                 BIGINT,VARCHAR,VARCHAR,VARCHAR,DECIMAL(18,8),DECIMAL(18,2),DECIMAL(18,2),VARCHAR";
    assert_eq!(types("DW_NS_X_FIN_DEPOSIT_V"), typed);
    assert_eq!(types("DW_NS_X_FIN_INVOICE_V"), typed);
    assert_eq!(types("DW_NS_X_FIN_DEPENTRY_V"), typed);
}

fn view_statements_are_rerunnable_and_create_the_support_tables(backend: Backend) {
    let wh = Wh::new(backend); // support tables created by create_view_statements
    wh.create_views();
    wh.check("SELECT COUNT(*) FROM CUSTOM_CALENDAR_DIMENSION", &["0"]);
    let stmts = views::create_view_statements(wh.d);
    assert_eq!(stmts.len(), 2 + views::views(wh.d).len());
    assert!(stmts[2..].iter().all(|s| s.starts_with("CREATE OR REPLACE VIEW ")));
    for v in views::views(wh.d) {
        wh.check(&format!("SELECT COUNT(*) FROM {}", v.name), &["0"]);
    }
}

// ---------------------------------------------------------------------------------------
// MOLO
// ---------------------------------------------------------------------------------------

/// Marinas, slips, boats, reservations and invoices over 2025-03-01 .. 2025-03-05.
fn molo_fixture(backend: Backend) -> Wh {
    let wh = Wh::new(backend);
    wh.calendar("2025-03-01", "2025-03-05");
    wh.mapping(&[(1, 8)]);
    let m = "DW_MOLO_MARINA_LOCATIONS";
    ins!(wh, m, ID = 1, NAME = "North Marina");
    ins!(wh, m, ID = 2, NAME = "South Marina");
    ins!(wh, m, ID = 3, NAME = "Gone", DW_DELETED_AT = DELETED);
    let s = "DW_MOLO_SLIPS";
    // counts every day
    ins!(wh, s, ID = 10, NAME = "A1", MARINA_LOCATION_ID = 1, ACTIVE = true, RECOMMENDED_LOA = "40:0");
    // counts 03-02 .. 03-04 (dates of the timestamps)
    ins!(
        wh,
        s,
        ID = 11,
        NAME = "A2",
        MARINA_LOCATION_ID = 1,
        ACTIVE = true,
        START_DATE = "2025-03-02 05:00:00",
        END_DATE = "2025-03-04 06:00:00",
        DO_NOT_COUNT_IN_OCCUPANCY = false,
        RECOMMENDED_LOA = "n/a"
    );
    ins!(wh, s, ID = 12, NAME = "A3", MARINA_LOCATION_ID = 1, ACTIVE = false);
    ins!(wh, s, ID = 13, NAME = "A4", MARINA_LOCATION_ID = 1, ACTIVE = None::<bool>);
    // counts in inventory, not in occupancy
    ins!(wh, s, ID = 14, NAME = "B1", MARINA_LOCATION_ID = 2, ACTIVE = true, DO_NOT_COUNT_IN_OCCUPANCY = true);
    ins!(wh, s, ID = 15, NAME = "B2", MARINA_LOCATION_ID = 2, ACTIVE = true, DW_DELETED_AT = DELETED);
    ins!(
        wh,
        s,
        ID = 16,
        NAME = "B3",
        MARINA_LOCATION_ID = 2,
        ACTIVE = true,
        END_DATE = "2025-03-01 00:00:00",
        RECOMMENDED_LOA = "30"
    );
    ins!(
        wh,
        s,
        ID = 17,
        NAME = "A5",
        MARINA_LOCATION_ID = 1,
        ACTIVE = true,
        START_DATE = "2025-03-05 00:00:00",
        RECOMMENDED_LOA = "0:0"
    );
    ins!(
        wh,
        s,
        ID = 18,
        NAME = "A6",
        MARINA_LOCATION_ID = 1,
        ACTIVE = true,
        START_DATE = "2025-03-05 23:59:00",
        RECOMMENDED_LOA = "0"
    );
    for (id, name) in [(1, "Pending"), (4, "Checked In"), (5, "Cancelled"), (6, "Checked Out")] {
        ins!(wh, "DW_MOLO_RESERVATION_STATUS", ID = id, NAME = name);
    }
    ins!(wh, "DW_MOLO_RESERVATION_TYPES", ID = 1, NAME = "Transient");
    ins!(wh, "DW_MOLO_RESERVATION_TYPES", ID = 2, NAME = "Seasonal");
    let b = "DW_MOLO_BOATS";
    ins!(wh, b, ID = 1, NAME = "Sea Breeze", LOA = "35:6", MAKE = "Sea Ray", MODEL = "Sundancer");
    ins!(wh, b, ID = 2, NAME = "Bad Len", LOA = "3x:4");
    ins!(wh, b, ID = 3, NAME = "Plain", LOA = "40");
    ins!(wh, b, ID = 4, NAME = "No Len");
    let res = |id: i64,
               slip: Option<i64>,
               status: i64,
               arrival: &str,
               departure: &str,
               boat: Option<i64>,
               loc: i64,
               rtype: i64,
               rate: Option<f64>,
               deleted: bool| {
        ins!(
            wh,
            "DW_MOLO_RESERVATIONS",
            ID = id,
            SLIP_ID = slip,
            RESERVATION_STATUS_ID = status,
            SCHEDULED_ARRIVAL_TIME = arrival,
            SCHEDULED_DEPARTURE_TIME = departure,
            BOAT_ID = boat,
            MARINA_LOCATION_ID = loc,
            RESERVATION_TYPE_ID = rtype,
            RATE = rate,
            NAME = format!("R{id}").as_str(),
            DW_DELETED_AT = deleted.then_some(DELETED)
        );
    };
    // slip A1: pending 03-01..02, checked in 03-02..03, checked out 03-02 only
    res(100, Some(10), 1, "2025-03-01 14:00:00", "2025-03-03 10:00:00", Some(1), 1, 1, None, false);
    res(101, Some(10), 4, "2025-03-02 15:00:00", "2025-03-04 09:00:00", Some(1), 1, 2, Some(150.0), false);
    res(102, Some(10), 6, "2025-03-02 08:00:00", "2025-03-03 08:00:00", Some(2), 1, 1, None, false);
    // same-day stay covers no date; deleted reservation ignored
    res(103, Some(10), 4, "2025-03-05 00:00:00", "2025-03-05 23:00:00", Some(1), 1, 1, None, false);
    res(104, Some(10), 4, "2025-03-04 00:00:00", "2025-03-05 00:00:00", Some(2), 1, 1, None, true);
    // slip A2: cancelled 03-03..04, checked in 03-04..05 (slip ends 03-04)
    res(105, Some(11), 5, "2025-03-03 12:00:00", "2025-03-05 12:00:00", Some(3), 1, 1, None, false);
    res(106, Some(11), 4, "2025-03-04 10:00:00", "2025-03-06 10:00:00", Some(3), 1, 1, None, false);
    // slip B1 does not count in occupancy
    res(107, Some(14), 4, "2025-03-01 10:00:00", "2025-03-03 10:00:00", None, 2, 1, None, false);
    res(108, Some(16), 4, "2025-03-01 10:00:00", "2025-03-02 10:00:00", Some(4), 2, 1, Some(60.0), false);
    res(109, Some(17), 6, "2025-03-05 10:00:00", "2025-03-07 10:00:00", Some(1), 1, 1, None, false);
    // no slip, other marina: a boat present at two marinas on 03-02
    res(110, None, 1, "2025-03-02 10:00:00", "2025-03-03 10:00:00", Some(1), 2, 1, None, false);
    res(112, Some(18), 4, "2025-03-05 10:00:00", "2025-03-06 10:00:00", Some(2), 1, 1, Some(10.0), false);
    ins!(wh, "DW_MOLO_INVOICES", ID = 1, RESERVATION_ID = 101);
    ins!(wh, "DW_MOLO_INVOICES", ID = 2, RESERVATION_ID = 101, DW_DELETED_AT = DELETED);
    ins!(wh, "DW_MOLO_INVOICES", ID = 3, RESERVATION_ID = 108);
    let item =
        |id: i64, invoice: i64, ty: &str, total: f64, void: Option<bool>, status: Option<&str>, deleted: bool| {
            ins!(
                wh,
                "DW_MOLO_INVOICE_ITEMS",
                ID = id,
                INVOICE_ID = invoice,
                TYPE_FIELD = ty,
                TOTAL = total,
                IS_VOID = void,
                STATUS_FIELD = status,
                DW_DELETED_AT = deleted.then_some(DELETED)
            );
        };
    item(1, 1, "charge-reservation-seasonal", 100.0, Some(false), None, false); // counts
    item(2, 1, "charge-reservation-transitive", 50.5, Some(false), Some("active"), false); // counts
    item(3, 1, "charge-reservation-seasonal", 999.0, Some(true), None, false); // void
    item(4, 1, "charge-reservation-seasonal", 777.0, None, None, false); // IS_VOID NULL
    item(5, 1, "charge-reservation-transitive", 555.0, Some(false), Some("deleted"), false);
    item(6, 1, "charge-other", 333.0, Some(false), None, false); // other type
    item(7, 1, "charge-reservation-seasonal", 444.0, Some(false), None, true); // soft-deleted item
    item(8, 2, "charge-reservation-seasonal", 1000.0, Some(false), None, false); // deleted invoice
    item(9, 3, "charge-reservation-transitive", 45.0, Some(false), None, false);
    wh
}

fn slip_count_per_marina_and_day(backend: Backend) {
    let wh = molo_fixture(backend);
    wh.check(
        "SELECT * FROM DW_MOLO_DAILY_SLIP_COUNT_VW",
        &[
            "2025-03-01|Mar 2025|3|2025|North Marina|1|8|1",
            "2025-03-01|Mar 2025|3|2025|South Marina|2|0|2",
            "2025-03-02|Mar 2025|3|2025|North Marina|1|8|2",
            "2025-03-02|Mar 2025|3|2025|South Marina|2|0|1",
            "2025-03-03|Mar 2025|3|2025|North Marina|1|8|2",
            "2025-03-03|Mar 2025|3|2025|South Marina|2|0|1",
            "2025-03-04|Mar 2025|3|2025|North Marina|1|8|2",
            "2025-03-04|Mar 2025|3|2025|South Marina|2|0|1",
            "2025-03-05|Mar 2025|3|2025|North Marina|1|8|3",
            "2025-03-05|Mar 2025|3|2025|South Marina|2|0|1",
        ],
    );
}

fn slip_occupancy_one_row_per_slip_and_day(backend: Backend) {
    let wh = molo_fixture(backend);
    wh.check(
        "SELECT CALENDAR_DATE, MONTH_NUMBER, YEAR_NUMBER, MONTH_YEAR_NAME, SLIP_ID, SLIP_NAME, MARINA_LOCATION_ID, \
         MARINA_LOCATION_NAME, RESERVATION_ID, RESERVATION_STATUS_ID, RESERVATION_STATUS_NAME, RESERVATION_NAME, \
         IS_OCCUPIED FROM DW_MOLO_DAILY_SLIP_OCCUPANCY_VW",
        &[
            // only a non-occupying reservation covers: shown, not occupied
            "2025-03-01|3|2025|Mar 2025|10|A1|1|North Marina|100|1|Pending|R100|0",
            // B3 ends 03-01 (inclusive); B1 (DO_NOT_COUNT) and B2 (deleted) absent
            "2025-03-01|3|2025|Mar 2025|16|B3|2|South Marina|108|4|Checked In|R108|1",
            // 100 (pending), 101 (in), 102 (out) overlap: highest occupying id
            "2025-03-02|3|2025|Mar 2025|10|A1|1|North Marina|102|6|Checked Out|R102|1",
            "2025-03-02|3|2025|Mar 2025|11|A2|1|North Marina|NULL|NULL|NULL|NULL|0",
            "2025-03-03|3|2025|Mar 2025|10|A1|1|North Marina|101|4|Checked In|R101|1",
            // only a cancelled reservation covers
            "2025-03-03|3|2025|Mar 2025|11|A2|1|North Marina|105|5|Cancelled|R105|0",
            // departure day not covered; deleted 104 ignored
            "2025-03-04|3|2025|Mar 2025|10|A1|1|North Marina|NULL|NULL|NULL|NULL|0",
            "2025-03-04|3|2025|Mar 2025|11|A2|1|North Marina|106|4|Checked In|R106|1",
            // same-day stay 103 covers nothing; A2 ended 03-04; A5/A6 start 03-05
            "2025-03-05|3|2025|Mar 2025|10|A1|1|North Marina|NULL|NULL|NULL|NULL|0",
            "2025-03-05|3|2025|Mar 2025|17|A5|1|North Marina|109|6|Checked Out|R109|1",
            "2025-03-05|3|2025|Mar 2025|18|A6|1|North Marina|112|4|Checked In|R112|1",
        ],
    );
    wh.check(
        "SELECT SCHEDULED_ARRIVAL_TIME, SCHEDULED_DEPARTURE_TIME FROM DW_MOLO_DAILY_SLIP_OCCUPANCY_VW \
         WHERE CALENDAR_DATE = DATE '2025-03-02' AND SLIP_ID = 10",
        &["2025-03-02 08:00:00|2025-03-03 08:00:00"],
    );
}

fn occupancy_rate_per_marina_and_day(backend: Backend) {
    let wh = molo_fixture(backend);
    wh.check(
        "SELECT * FROM DW_MOLO_DAILY_OCCUPANCY_RATE_VW",
        &[
            "2025-03-01|1|North Marina|1|0|0.00",
            "2025-03-01|2|South Marina|1|1|100.00",
            "2025-03-02|1|North Marina|2|1|50.00",
            "2025-03-03|1|North Marina|2|1|50.00",
            "2025-03-04|1|North Marina|2|1|50.00",
            "2025-03-05|1|North Marina|3|2|66.67",
        ],
    );
}

fn boat_lengths_per_boat_marina_and_day(backend: Backend) {
    let wh = molo_fixture(backend);
    wh.check(
        "SELECT * FROM DW_MOLO_DAILY_BOAT_LENGTHS_VW",
        &[
            "2025-03-01|3|2025|Mar 2025|1|Sea Breeze|35.5|Sea Ray|Sundancer|1|North Marina|100|\
             2025-03-01 14:00:00|2025-03-03 10:00:00|0",
            "2025-03-01|3|2025|Mar 2025|4|No Len|NULL|NULL|NULL|2|South Marina|108|\
             2025-03-01 10:00:00|2025-03-02 10:00:00|1",
            // 100 (pending) and 101 (in) cover: highest id, occupies because 101 is status 4
            "2025-03-02|3|2025|Mar 2025|1|Sea Breeze|35.5|Sea Ray|Sundancer|1|North Marina|101|\
             2025-03-02 15:00:00|2025-03-04 09:00:00|1",
            // same boat at another marina the same day
            "2025-03-02|3|2025|Mar 2025|1|Sea Breeze|35.5|Sea Ray|Sundancer|2|South Marina|110|\
             2025-03-02 10:00:00|2025-03-03 10:00:00|0",
            // '3x:4' is not a length
            "2025-03-02|3|2025|Mar 2025|2|Bad Len|NULL|NULL|NULL|1|North Marina|102|\
             2025-03-02 08:00:00|2025-03-03 08:00:00|0",
            "2025-03-03|3|2025|Mar 2025|1|Sea Breeze|35.5|Sea Ray|Sundancer|1|North Marina|101|\
             2025-03-02 15:00:00|2025-03-04 09:00:00|1",
            // cancelled 105 left out; 106 covers 03-04 and 03-05
            "2025-03-04|3|2025|Mar 2025|3|Plain|40.0|NULL|NULL|1|North Marina|106|\
             2025-03-04 10:00:00|2025-03-06 10:00:00|1",
            "2025-03-05|3|2025|Mar 2025|3|Plain|40.0|NULL|NULL|1|North Marina|106|\
             2025-03-04 10:00:00|2025-03-06 10:00:00|1",
            // checked out (6) does not occupy the slip
            "2025-03-05|3|2025|Mar 2025|1|Sea Breeze|35.5|Sea Ray|Sundancer|1|North Marina|109|\
             2025-03-05 10:00:00|2025-03-07 10:00:00|0",
            "2025-03-05|3|2025|Mar 2025|2|Bad Len|NULL|NULL|NULL|1|North Marina|112|\
             2025-03-05 10:00:00|2025-03-06 10:00:00|1",
        ],
    );
}

fn loa_text_parses_feet_inches_and_plain_feet_and_nothing_else(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2025-05-01", "2025-05-01");
    let cases = [
        ("35:6", "35.5"),
        ("35:0", "35.0"),
        ("28:3", "28.25"),
        (" 28:3 ", "28.25"),
        ("35", "35.0"),
        ("35.5", "35.5"),
        ("40:6.6", "40.55"),
        ("", "NULL"),
        ("abc", "NULL"),
        ("35'6\"", "NULL"),
        ("35:", "NULL"),
        (":6", "NULL"),
        ("-5", "NULL"),
        ("3x:4", "NULL"),
        ("1.2.3", "NULL"),
        ("35:6:1", "NULL"),
        ("35 ft", "NULL"),
    ];
    let mut want = Vec::new();
    for (i, (loa, ft)) in cases.iter().enumerate() {
        let id = i as i64 + 1;
        ins!(wh, "DW_MOLO_BOATS", ID = id, LOA = *loa);
        ins!(
            wh,
            "DW_MOLO_RESERVATIONS",
            ID = id,
            BOAT_ID = id,
            MARINA_LOCATION_ID = 1,
            RESERVATION_STATUS_ID = 4,
            SCHEDULED_ARRIVAL_TIME = "2025-05-01 12:00:00",
            SCHEDULED_DEPARTURE_TIME = "2025-05-02 12:00:00"
        );
        want.push(format!("{id}|{ft}"));
    }
    ins!(
        wh,
        "DW_MOLO_RESERVATIONS",
        ID = 99,
        BOAT_ID = 99,
        MARINA_LOCATION_ID = 1,
        RESERVATION_STATUS_ID = 4,
        SCHEDULED_ARRIVAL_TIME = "2025-05-01 12:00:00",
        SCHEDULED_DEPARTURE_TIME = "2025-05-02 12:00:00"
    );
    want.push("99|NULL".into()); // boat row missing
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    // Rounded to 6 decimals in a form both backends have (PostgreSQL has no ROUND(double, n)).
    wh.check(
        "SELECT BOAT_ID, CAST(CAST(BOAT_LOA_LENGTH AS DECIMAL(18,6)) AS DOUBLE PRECISION) FROM DW_MOLO_DAILY_BOAT_LENGTHS_VW",
        &want,
    );
}

fn rate_over_linear_foot_per_reservation_day(backend: Backend) {
    let wh = molo_fixture(backend);
    wh.check(
        "SELECT CALENDAR_DATE, MONTH_NUMBER, YEAR_NUMBER, MONTH_YEAR_NAME, RESERVATION_ID, RESERVATION_NAME, \
         RESERVATION_STATUS, RESERVATION_TYPE, MARINA_LOCATION_ID, MARINA_LOCATION_NAME, SLIP_ID, SLIP_NAME, \
         RESERVATION_DAYS, RESERVATION_MONTHS, INVOICE_TOTAL, RESERVATION_DAILY_RATE, INVOICE_DAILY_RATE, \
         RESERVATION_MONTHLY_RATE, INVOICE_MONTHLY_RATE, BILLED_LOA_FT, DAILY_RATE_PER_FOOT, MONTHLY_RATE_PER_FOOT \
         FROM DW_MOLO_RATE_OVER_LINEAR_FOOT",
        &[
            // 1 day; rate 60; invoice 45; slip '30', boat LOA NULL -> 30 ft;
            // monthly = 60 * 30.4375 = 1826.25, 45 * 30.4375 = 1369.6875; per foot 1.5 and 45.65625
            "2025-03-01|3|2025|Mar 2025|108|R108|Checked In|Transient|2|South Marina|16|B3|1|0.03|45.00|60.00|\
             45.00|1826.25|1369.69|30.0|1.50|45.66",
            // 2 days; invoice = 100 + 50.50 (void, NULL void, deleted status, other type, deleted item and
            // deleted invoice left out); boat 35:6 vs slip 40:0 -> 40 ft
            // monthly: 150 * 30.4375 / 2 = 2282.8125; 150.5 * 30.4375 / 2 = 2290.421875 (/ 40 = 57.2605...)
            "2025-03-02|3|2025|Mar 2025|101|R101|Checked In|Seasonal|1|North Marina|10|A1|2|0.07|150.50|75.00|\
             75.25|2282.81|2290.42|40.0|1.88|57.26",
            "2025-03-03|3|2025|Mar 2025|101|R101|Checked In|Seasonal|1|North Marina|10|A1|2|0.07|150.50|75.00|\
             75.25|2282.81|2290.42|40.0|1.88|57.26",
            // covers 03-04 and 03-05 but slip A2 ends 03-04; RATE NULL; no invoice -> 0; slip LOA 'n/a'
            "2025-03-04|3|2025|Mar 2025|106|R106|Checked In|Transient|1|North Marina|11|A2|2|0.07|0.00|NULL|\
             0.00|NULL|0.00|40.0|0.00|0.00",
            // billed length 0 ('0' slip, unparsable boat): per-foot rates NULL; 10 * 30.4375 = 304.375
            "2025-03-05|3|2025|Mar 2025|112|R112|Checked In|Transient|1|North Marina|18|A6|1|0.03|0.00|10.00|\
             0.00|304.38|0.00|0.0|NULL|NULL",
            // not here: 100/102/105/109/110 (status not 4), 103 (covers no date), 104 (deleted),
            // 107 (slip B1 does not count in occupancy)
        ],
    );
}

fn rate_over_linear_foot_per_month_marina_and_type(backend: Backend) {
    let wh = molo_fixture(backend);
    wh.check(
        "SELECT * FROM DW_MOLO_RATE_OVER_LINEAR_FOOT_VW",
        &[
            // 2 nights x 40 ft; revenue 2 x 75.25; 150.5 / 80 = 1.88125; x 30.4375 = 57.2605...
            "2025|3|Mar 2025|1|North Marina|Seasonal|2|80.0|150.50|1.88|57.26",
            "2025|3|Mar 2025|1|North Marina|Transient|2|40.0|0.00|0.00|0.00",
            // 45 / 30 = 1.5; 1.5 x 30.4375 = 45.65625
            "2025|3|Mar 2025|2|South Marina|Transient|1|30.0|45.00|1.50|45.66",
        ],
    );
}

fn rate_over_linear_foot_splits_a_stay_across_months(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2025-01-25", "2025-02-05");
    ins!(wh, "DW_MOLO_MARINA_LOCATIONS", ID = 1, NAME = "North");
    ins!(wh, "DW_MOLO_RESERVATION_TYPES", ID = 1, NAME = "Transient");
    ins!(wh, "DW_MOLO_SLIPS", ID = 1, NAME = "S1", MARINA_LOCATION_ID = 1, ACTIVE = true, RECOMMENDED_LOA = "30:0");
    ins!(wh, "DW_MOLO_SLIPS", ID = 2, NAME = "S2", MARINA_LOCATION_ID = 1, ACTIVE = true, RECOMMENDED_LOA = "?");
    ins!(wh, "DW_MOLO_BOATS", ID = 1, LOA = "25:0");
    // Jan 30, Jan 31, Feb 1: 3 nights; invoice 100 -> 33.333... a night
    ins!(
        wh,
        "DW_MOLO_RESERVATIONS",
        ID = 1,
        SLIP_ID = 1,
        BOAT_ID = 1,
        MARINA_LOCATION_ID = 1,
        RESERVATION_STATUS_ID = 4,
        RESERVATION_TYPE_ID = 1,
        RATE = 90.0,
        SCHEDULED_ARRIVAL_TIME = "2025-01-30 15:00:00",
        SCHEDULED_DEPARTURE_TIME = "2025-02-02 11:00:00"
    );
    ins!(wh, "DW_MOLO_INVOICES", ID = 1, RESERVATION_ID = 1);
    ins!(
        wh,
        "DW_MOLO_INVOICE_ITEMS",
        ID = 1,
        INVOICE_ID = 1,
        TYPE_FIELD = "charge-reservation-transitive",
        TOTAL = 100.0,
        IS_VOID = false
    );
    // no known length at all (own type): FOOT_NIGHTS NULL, per-foot NULL
    ins!(wh, "DW_MOLO_RESERVATION_TYPES", ID = 2, NAME = "Seasonal");
    ins!(
        wh,
        "DW_MOLO_RESERVATIONS",
        ID = 2,
        SLIP_ID = 2,
        MARINA_LOCATION_ID = 1,
        RESERVATION_STATUS_ID = 4,
        RESERVATION_TYPE_ID = 2,
        SCHEDULED_ARRIVAL_TIME = "2025-02-03 15:00:00",
        SCHEDULED_DEPARTURE_TIME = "2025-02-04 11:00:00"
    );
    wh.check(
        "SELECT CALENDAR_DATE, RESERVATION_DAYS, RESERVATION_MONTHS, INVOICE_DAILY_RATE, RESERVATION_DAILY_RATE, \
         INVOICE_MONTHLY_RATE, RESERVATION_MONTHLY_RATE, BILLED_LOA_FT, DAILY_RATE_PER_FOOT, MONTHLY_RATE_PER_FOOT \
         FROM DW_MOLO_RATE_OVER_LINEAR_FOOT",
        &[
            // 100 x 30.4375 / 3 = 1014.583..., / 30 = 33.819...; 33.333 / 30 = 1.111
            "2025-01-30|3|0.10|33.33|30.00|1014.58|913.13|30.0|1.11|33.82",
            "2025-01-31|3|0.10|33.33|30.00|1014.58|913.13|30.0|1.11|33.82",
            "2025-02-01|3|0.10|33.33|30.00|1014.58|913.13|30.0|1.11|33.82",
            "2025-02-03|1|0.03|0.00|NULL|0.00|NULL|NULL|NULL|NULL",
        ],
    );
    wh.check(
        "SELECT * FROM DW_MOLO_RATE_OVER_LINEAR_FOOT_VW",
        &[
            // unrounded nightly revenue: 2 x 33.333... = 66.67 (not 2 x 33.33 = 66.66); / 60 ft-nights
            "2025|1|Jan 2025|1|North|Transient|2|60.0|66.67|1.11|33.82",
            "2025|2|Feb 2025|1|North|Transient|1|30.0|33.33|1.11|33.82",
            "2025|2|Feb 2025|1|North|Seasonal|1|NULL|0.00|NULL|NULL",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Stellar
// ---------------------------------------------------------------------------------------

/// A quotient exactly on a half cent rounds up on every backend, although DuckDB divides
/// DECIMALs in DOUBLE (2.05 / 2 = 1.02499999... and 17000.01 / 2 = 8500.00499999... there).
fn a_half_cent_rounds_up_on_every_backend(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2025-06-01", "2025-06-01");
    ins!(wh, "DW_STELLAR_LOCATIONS", ID = 1, LOCATION_NAME = "Lake Club");
    for (booking, total) in [(1, 2.05), (2, 17000.01)] {
        ins!(wh, "DW_STELLAR_BOOKINGS", ID = booking, LOCATION_ID = 1, BOATS_TOTAL = total, IS_CANCELED = Some(false));
        for id in [10 * booking + 1, 10 * booking + 2] {
            ins!(
                wh,
                "DW_STELLAR_BOOKING_BOATS",
                ID = id,
                BOOKING_ID = booking,
                BOAT_ID = "501",
                BOAT_DEPARTURE = "2025-06-01 09:00:00",
                BOAT_RETURN = "2025-06-01 10:00:00",
                STATUS_BOOKING = "Complete"
            );
        }
    }
    wh.check(
        "SELECT BOOKING_BOAT_ID, RATE_PER_BOAT, RATE_PER_BOAT_PER_HOUR, REVENUE_ON_DATE FROM DW_STELLAR_DAILY_RENTALS_VW",
        &[
            "11|1.03|1.03|1.03",
            "12|1.03|1.03|1.03",
            "21|8500.01|8500.01|8500.01",
            "22|8500.01|8500.01|8500.01",
        ],
    );
}

fn daily_rentals_allocate_each_boat_rate_over_its_dates(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2025-05-31", "2025-06-04");
    ins!(wh, "DW_STELLAR_LOCATIONS", ID = 1, LOCATION_NAME = "Lake Club");
    ins!(wh, "DW_STELLAR_STYLE_BOATS", ID = 501, BOAT_NUMBER = "PT-1");
    ins!(wh, "DW_STELLAR_STYLE_BOATS", ID = 502, BOAT_NUMBER = "PT-2");
    let booking = |id: i64, total: f64, canceled: Option<bool>, deleted: bool| {
        ins!(
            wh,
            "DW_STELLAR_BOOKINGS",
            ID = id,
            LOCATION_ID = 1,
            BOATS_TOTAL = total,
            IS_CANCELED = canceled,
            DW_DELETED_AT = deleted.then_some(DELETED)
        );
    };
    booking(1, 300.0, Some(false), false);
    booking(2, 100.0, Some(true), false); // canceled
    booking(3, 100.0, None, false); // unknown: not "not canceled"
    booking(4, 100.0, Some(false), true); // deleted
    booking(5, 100.0, Some(false), false);
    booking(6, 100.0, Some(false), false);
    booking(7, 50.0, Some(false), false);
    let boat =
        |id: i64, booking: i64, boat: Option<&str>, dep: Option<&str>, ret: &str, status: &str, deleted: bool| {
            ins!(
                wh,
                "DW_STELLAR_BOOKING_BOATS",
                ID = id,
                BOOKING_ID = booking,
                BOAT_ID = boat,
                BOAT_DEPARTURE = dep,
                BOAT_RETURN = ret,
                STATUS_BOOKING = status,
                DW_DELETED_AT = deleted.then_some(DELETED)
            );
        };
    // booking 1 has 3 live booking boats -> 300 / 3 = 100 a boat; only 11 qualifies
    boat(11, 1, Some("501"), Some("2025-06-01 09:00:00"), "2025-06-01 13:00:00", "Complete", false);
    boat(12, 1, Some("BOAT-502"), Some("2025-06-01 09:00:00"), "2025-06-01 13:00:00", "Complete", false);
    boat(13, 1, Some("502"), Some("2025-06-01 09:00:00"), "2025-06-01 13:00:00", "Booked", false);
    boat(14, 1, Some("502"), Some("2025-06-01 09:00:00"), "2025-06-01 13:00:00", "Complete", true);
    boat(21, 2, Some("501"), Some("2025-06-01 09:00:00"), "2025-06-01 13:00:00", "Complete", false);
    boat(31, 3, Some("501"), Some("2025-06-01 09:00:00"), "2025-06-01 13:00:00", "Complete", false);
    boat(41, 4, Some("501"), Some("2025-06-01 09:00:00"), "2025-06-01 13:00:00", "Complete", false);
    // three dates, 2 h + 24 h + 2 h = 28 h; leading zeros still a number
    boat(51, 5, Some("00502"), Some("2025-06-01 22:00:00"), "2025-06-03 02:00:00", "Complete", false);
    boat(61, 6, Some("501"), None, "2025-06-03 02:00:00", "Complete", false);
    boat(62, 6, None, Some("2025-06-01 22:00:00"), "2025-06-03 02:00:00", "Complete", false);
    // zero hours; boat 999 has no style boat
    boat(71, 7, Some("999"), Some("2025-06-02 10:00:00"), "2025-06-02 10:00:00", "Complete", false);
    wh.check(
        "SELECT * FROM DW_STELLAR_DAILY_RENTALS_VW",
        &[
            "2025-06-01|6|2025|Jun 2025|1|Lake Club|11|501|PT-1|2025-06-01 09:00:00|2025-06-01 13:00:00|1|\
             4.00|300.00|100.00|25.00|4.00|100.00",
            // 100 x 2/28 = 7.142857 -> 7.14; cumulative 100 x 26/28 = 92.857 -> 92.86, minus 7.14 = 85.72;
            // 100 - 92.86 = 7.14: the three add up to exactly 100.00
            "2025-06-01|6|2025|Jun 2025|1|Lake Club|51|502|PT-2|2025-06-01 22:00:00|2025-06-03 02:00:00|5|\
             28.00|100.00|100.00|3.57|2.00|7.14",
            "2025-06-02|6|2025|Jun 2025|1|Lake Club|51|502|PT-2|2025-06-01 22:00:00|2025-06-03 02:00:00|5|\
             28.00|100.00|100.00|3.57|24.00|85.72",
            "2025-06-03|6|2025|Jun 2025|1|Lake Club|51|502|PT-2|2025-06-01 22:00:00|2025-06-03 02:00:00|5|\
             28.00|100.00|100.00|3.57|2.00|7.14",
            // zero hours: per-hour rate and revenue share are NULL (division by zero)
            "2025-06-02|6|2025|Jun 2025|1|Lake Club|71|999|NULL|2025-06-02 10:00:00|2025-06-02 10:00:00|7|\
             0.00|50.00|50.00|NULL|0.00|NULL",
        ],
    );
    wh.check(
        "SELECT BOOKING_BOAT_ID, SUM(HOURS_ON_DATE), SUM(REVENUE_ON_DATE) FROM DW_STELLAR_DAILY_RENTALS_VW \
         WHERE BOOKING_BOAT_ID <> 71 GROUP BY 1",
        &["11|4.00|100.00", "51|28.00|100.00"],
    );
}

fn daily_rentals_split_hours_at_midnight(backend: Backend) {
    let wh = Wh::new(backend);
    wh.calendar("2025-07-01", "2025-07-05");
    ins!(wh, "DW_STELLAR_BOOKINGS", ID = 1, LOCATION_ID = 9, BOATS_TOTAL = 200.0, IS_CANCELED = false);
    // 20:30 -> 00:00 two days later: 3.5 h, 24 h, 0 h on the return date (still listed: inclusive)
    ins!(
        wh,
        "DW_STELLAR_BOOKING_BOATS",
        ID = 1,
        BOOKING_ID = 1,
        BOAT_ID = "7",
        STATUS_BOOKING = "Complete",
        BOAT_DEPARTURE = "2025-07-01 20:30:00",
        BOAT_RETURN = "2025-07-03 00:00:00"
    );
    // 10 minutes
    ins!(
        wh,
        "DW_STELLAR_BOOKING_BOATS",
        ID = 2,
        BOOKING_ID = 1,
        BOAT_ID = "8",
        STATUS_BOOKING = "Complete",
        BOAT_DEPARTURE = "2025-07-04 23:55:00",
        BOAT_RETURN = "2025-07-05 00:05:00"
    );
    wh.check(
        "SELECT CALENDAR_DATE, BOOKING_BOAT_ID, LOCATION_NAME, HOURS, RATE_PER_BOAT, RATE_PER_BOAT_PER_HOUR, \
         HOURS_ON_DATE, REVENUE_ON_DATE FROM DW_STELLAR_DAILY_RENTALS_VW",
        &[
            // 100 / 27.5 = 3.6363; 100 x 3.5 / 27.5 = 12.727 -> 12.73; rest 87.27
            "2025-07-01|1|NULL|27.50|100.00|3.64|3.50|12.73",
            "2025-07-02|1|NULL|27.50|100.00|3.64|24.00|87.27",
            "2025-07-03|1|NULL|27.50|100.00|3.64|0.00|0.00",
            // 1/6 h: 0.17 in total; cumulative rounding gives 0.08 + 0.09
            "2025-07-04|2|NULL|0.17|100.00|600.00|0.08|50.00",
            "2025-07-05|2|NULL|0.17|100.00|600.00|0.09|50.00",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// NetSuite
// ---------------------------------------------------------------------------------------

fn netsuite_fixture(backend: Backend) -> Wh {
    let wh = Wh::new(backend);
    ins!(wh, "DW_NS_ACCOUNTING_BOOK", ID = 1, NAME = "Primary", IS_PRIMARY = true);
    ins!(wh, "DW_NS_ACCOUNTING_BOOK", ID = 2, NAME = "Secondary", IS_PRIMARY = false);
    for (id, number, ty, desc, search) in [
        (10, "40100", "Income", "Slip revenue", "Revenue : Slips"),
        (20, "11000", "AcctRec", "AR", "Accounts Receivable"),
        (30, "50000", "COGS", "Cost", "COGS"),
        (40, "60000", "Expense", "Repairs", "Repairs"),
        (50, " 70100 ", "OthIncome", "Interest", "Interest"),
        (60, "80000", "OthExpense", "Fees", "Fees"),
        (70, "10100", "Bank", "Bank", "Bank"),
    ] {
        ins!(
            wh,
            "DW_NS_ACCOUNT",
            ID = id,
            ACCOUNT_NUMBER = number,
            ACCOUNT_TYPE = ty,
            DESCRIPTION = desc,
            SEARCH_DISPLAY_NAME = search
        );
    }
    ins!(wh, "DW_NS_SUBSIDIARY", ID = 8, NAME = "Marina North LLC");
    ins!(wh, "DW_NS_LOCATION", ID = 3, NAME = "North Dock");
    ins!(wh, "DW_NS_CLASSIFICATION", ID = 4, NAME = "Slips");
    ins!(wh, "DW_NS_DEPARTMENT", ID = 5, NAME = "Ops");
    ins!(wh, "DW_NS_CUSTOMER", ID = 1000, ENTITY_NAME = "CUST-1000");
    ins!(wh, "DW_NS_VENDOR", ID = 2000, ENTITY_NAME = "VEND-2000");
    ins!(wh, "DW_NS_ITEM", ID = 300, ITEM_NAME = "SLIP-TRANS");
    let p = "DW_NS_ACCOUNTING_PERIOD";
    ins!(wh, p, ID = 1, PERIOD_NAME = "Mar 2025", START_DATE = "2025-03-01");
    ins!(wh, p, ID = 2, PERIOD_NAME = "FY2025 Adj", START_DATE = "2025-12-01");
    ins!(wh, p, ID = 3, PERIOD_NAME = "Feb 2025", START_DATE = "2025-02-01", DW_DELETED_AT = DELETED);
    ins!(wh, p, ID = 4, PERIOD_NAME = "march 2025");
    ins!(wh, p, ID = 6, PERIOD_NAME = "Jun 2025 ", START_DATE = "2025-06-01");
    let m = "DW_NS_ACCOUNT_REPORT_MAPPING";
    ins!(
        wh,
        m,
        NSACCOUNT = "40100",
        MODELMAPPINGDETAIL = "Slip Revenue",
        SORTORDER = 10,
        REPORTTYPE = "P&L",
        REPORTSECTION = "Revenue"
    );
    ins!(
        wh,
        m,
        NSACCOUNT = "70100 ",
        MODELMAPPINGDETAIL = "Other",
        SORTORDER = 70,
        REPORTTYPE = "P&L",
        REPORTSECTION = "Other Income"
    );
    ins!(wh, m, NSACCOUNT = "60000", MODELMAPPINGDETAIL = "Gone", SORTORDER = 60, DW_DELETED_AT = DELETED);
    let tran = |id: i64,
                ty: &str,
                record_type: Option<&str>,
                tranid: &str,
                display: Option<&str>,
                date: &str,
                period: Option<i64>,
                posting: bool,
                entity: Option<i64>,
                deleted: bool| {
        ins!(
            wh,
            "DW_NS_TRANSACTION",
            ID = id,
            TYPE = ty,
            RECORD_TYPE = record_type,
            TRAN_ID = tranid,
            TRAN_DISPLAY_NAME = display,
            TRAN_DATE = date,
            POSTING_PERIOD_ID = period,
            POSTING = posting,
            ENTITY_ID = entity,
            DW_DELETED_AT = deleted.then_some(DELETED)
        );
    };
    let gl = |tx: i64,
              line: i64,
              account: Option<i64>,
              debit: Option<f64>,
              credit: Option<f64>,
              book: i64,
              posting: bool,
              deleted: bool| {
        ins!(
            wh,
            "DW_NS_TRANSACTION_ACCOUNTING_LINE",
            TRANSACTION_ID = tx,
            LINE_ID = line,
            ACCOUNTING_BOOK_ID = book,
            ACCOUNT_ID = account,
            DEBIT = debit,
            CREDIT = credit,
            POSTING = posting,
            DW_DELETED_AT = deleted.then_some(DELETED)
        );
    };
    // 1: invoice; secondary book and a deleted accounting line left out
    tran(1, "CustInvc", Some("invoice"), "INV1", Some("Invoice #INV1"), "2025-03-05", Some(1), true, Some(1000), false);
    ins!(
        wh,
        "DW_NS_TRANSACTION_LINE",
        TRANSACTION_ID = 1,
        LINE_ID = 0,
        SUBSIDIARY_ID = 8,
        LOCATION_ID = 3,
        CLASS_ID = 4,
        DEPARTMENT_ID = 5,
        ENTITY_ID = 1000,
        MEMO = "main"
    );
    ins!(
        wh,
        "DW_NS_TRANSACTION_LINE",
        TRANSACTION_ID = 1,
        LINE_ID = 1,
        SUBSIDIARY_ID = 8,
        LOCATION_ID = 3,
        CLASS_ID = 4,
        DEPARTMENT_ID = 5,
        ITEM_ID = 300,
        QUANTITY = -2.0,
        MEMO = "slip"
    );
    gl(1, 0, Some(20), Some(200.0), None, 1, true, false);
    gl(1, 1, Some(10), None, Some(200.0), 1, true, false);
    gl(1, 0, Some(20), Some(180.0), None, 2, true, false);
    gl(1, 1, Some(10), None, Some(180.0), 2, true, false);
    gl(1, 2, Some(10), None, Some(5.0), 1, true, true);
    // 2: journal with empty display name, adjustment period, a line without account, a
    //    non-posting accounting line, a line without transactionline row
    tran(2, "Journal", Some("journalentry"), "JE1", Some(""), "2025-12-31", Some(2), true, None, false);
    ins!(
        wh,
        "DW_NS_TRANSACTION_LINE",
        TRANSACTION_ID = 2,
        LINE_ID = 1,
        ENTITY_ID = 2000,
        SUBSIDIARY_ID = 8,
        MEMO = "repairs"
    );
    ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = 2, LINE_ID = 3, SUBSIDIARY_ID = 8, MEMO = "interest");
    gl(2, 1, Some(40), Some(50.0), None, 1, true, false);
    gl(2, 2, Some(60), Some(25.0), None, 1, true, false);
    gl(2, 3, Some(50), None, Some(75.0), 1, true, false);
    gl(2, 4, None, Some(10.0), None, 1, true, false);
    gl(2, 5, Some(70), Some(999.0), None, 1, false, false);
    // 3: deposit without posting period
    tran(3, "Deposit", Some("deposit"), "DEP1", Some("Deposit #DEP1"), "2025-03-06", None, true, Some(1000), false);
    ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = 3, LINE_ID = 0, SUBSIDIARY_ID = 8, ENTITY_ID = 1000);
    ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = 3, LINE_ID = 1, SUBSIDIARY_ID = 8, ENTITY_ID = 1000);
    gl(3, 0, Some(70), Some(10.0), None, 1, true, false);
    gl(3, 1, Some(20), None, Some(10.0), 1, true, false);
    // 4: non-posting invoice (its accounting lines say posting)
    tran(
        4,
        "CustInvc",
        Some("invoice"),
        "INV2",
        Some("Invoice #INV2"),
        "2025-03-07",
        Some(1),
        false,
        Some(1000),
        false,
    );
    gl(4, 0, Some(20), Some(7.0), None, 1, true, false);
    gl(4, 1, Some(10), None, Some(7.0), 1, true, false);
    // 5: FAM depreciation (custom type code), period without name pattern or start date
    tran(
        5,
        "Custom105",
        Some("customtransaction_fam_depr_jrn"),
        "FAMDEP1",
        Some("Depreciation March"),
        "2025-03-31",
        Some(4),
        true,
        None,
        false,
    );
    gl(5, 1, Some(40), Some(30.0), None, 1, true, false);
    gl(5, 2, Some(70), None, Some(30.0), 1, true, false);
    // 6: item shipment (no view); 7: deleted cash sale
    tran(6, "ItemShip", Some("itemfulfillment"), "IS1", Some("Item Ship"), "2025-03-08", Some(1), true, None, false);
    gl(6, 0, Some(30), Some(5.0), None, 1, true, false);
    gl(6, 1, Some(70), None, Some(5.0), 1, true, false);
    tran(7, "CashSale", Some("cashsale"), "CS0", Some("Cash Sale #CS0"), "2025-03-09", Some(1), true, None, true);
    gl(7, 0, Some(70), Some(1.0), None, 1, true, false);
    gl(7, 1, Some(10), None, Some(1.0), 1, true, false);
    // 8: cash sale, NULL display name, fractional quantity, entity from the header; period name
    //    with a trailing blank falls back to the start date
    tran(8, "CashSale", Some("cashsale"), "CS1", None, "2025-06-10", Some(6), true, Some(1000), false);
    ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = 8, LINE_ID = 1, ITEM_ID = 300, QUANTITY = -1.5);
    gl(8, 0, Some(70), Some(12.34), None, 1, true, false);
    gl(8, 1, Some(10), None, Some(12.34), 1, true, false);
    // 9: vendor bill with COGS
    tran(9, "VendBill", Some("vendorbill"), "VB1", Some("Bill #VB1"), "2025-03-12", Some(1), true, Some(2000), false);
    ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = 9, LINE_ID = 1, ITEM_ID = 300, QUANTITY = 3.0);
    gl(9, 0, Some(20), None, Some(90.0), 1, true, false);
    gl(9, 1, Some(30), Some(90.0), None, 1, true, false);
    wh
}

const TYPED_COLS: &str = "T_TYPE, TRAN_ID, INTERNALID, LINE_ID, TRAN_DATE, TRAN_NAME, SUBSIDIARY_ID, LOCATION_ID, \
DIVISION_ID, DEPARTMENT_ID, ENTITY_ID, ITEM_ID, POSTING_PERIOD_ID, ACCOUNT_ID, ACCOUNT_NUMBER, ACCOUNT_TYPE, \
ACCOUNT_DESC, QTY, EXT_COST, ACCTG_AMOUNT, MEMO";

fn typed_views_read_primary_book_posting_lines(backend: Backend) {
    let wh = netsuite_fixture(backend);
    let q = |v: &str| format!("SELECT {TYPED_COLS} FROM {v}");
    wh.check(
        &q("DW_NS_X_FIN_INVOICE_V"),
        &[
            "Invoice|INV1|1|0|2025-03-05|Invoice #INV1|8|3|4|5|1000|NULL|1|20|11000|AcctRec|AR|NULL|NULL|-200.00|main",
            // line entity NULL -> header entity; QTY = -quantity
            "Invoice|INV1|1|1|2025-03-05|Invoice #INV1|8|3|4|5|1000|300|1|10|40100|Income|Slip revenue|2.00000000|\
             NULL|200.00|slip",
        ],
    );
    wh.check(
        &q("DW_NS_X_FIN_JOURNAL_V"),
        &[
            // empty display name -> tranid; placeholders for item
            "journal|JE1|2|1|2025-12-31|JE1|8|NULL|NULL|NULL|2000|-99999|2|40|60000|Expense|Repairs|NULL|NULL|-50.00|repairs",
            // accounting line without transaction line: dimensions NULL, amount kept
            "journal|JE1|2|2|2025-12-31|JE1|NULL|NULL|NULL|NULL|NULL|-99999|2|60|80000|OthExpense|Fees|NULL|NULL|-25.00|NULL",
            "journal|JE1|2|3|2025-12-31|JE1|8|NULL|NULL|NULL|NULL|-99999|2|50| 70100 |OthIncome|Interest|NULL|NULL|75.00|interest",
            // line 4 (no account) and line 5 (not posting) left out
        ],
    );
    wh.check(
        &q("DW_NS_X_FIN_DEPOSIT_V"),
        &[
            "deposit|DEP1|3|0|2025-03-06|Deposit #DEP1|8|NULL|NULL|NULL|-99999|-99999|NULL|70|10100|Bank|Bank|NULL|NULL|-10.00|NULL",
            "deposit|DEP1|3|1|2025-03-06|Deposit #DEP1|8|NULL|NULL|NULL|-99999|-99999|NULL|20|11000|AcctRec|AR|NULL|NULL|10.00|NULL",
        ],
    );
    wh.check(
        &q("DW_NS_X_FIN_DEPENTRY_V"),
        &[
            // TRAN_NAME is t.tranid for DEPENTRY
            "DEPENTRY|FAMDEP1|5|1|2025-03-31|FAMDEP1|NULL|NULL|NULL|NULL|NULL|-99999|4|40|60000|Expense|Repairs|NULL|NULL|-30.00|NULL",
            "DEPENTRY|FAMDEP1|5|2|2025-03-31|FAMDEP1|NULL|NULL|NULL|NULL|NULL|-99999|4|70|10100|Bank|Bank|NULL|NULL|30.00|NULL",
        ],
    );
    wh.check(
        &q("DW_NS_X_FIN_CASHSALE_V"),
        &[
            // no transaction line 0: entity from the header; NULL display name -> tranid
            "cashsale|CS1|8|0|2025-06-10|CS1|NULL|NULL|NULL|NULL|1000|NULL|6|70|10100|Bank|Bank|NULL|NULL|-12.34|NULL",
            "cashsale|CS1|8|1|2025-06-10|CS1|NULL|NULL|NULL|NULL|1000|300|6|10|40100|Income|Slip revenue|1.50000000|NULL|12.34|NULL",
        ],
    );
    wh.check(
        &q("DW_NS_X_FIN_VENDBILL_V"),
        &[
            "vendbill|VB1|9|0|2025-03-12|Bill #VB1|NULL|NULL|NULL|NULL|2000|NULL|1|20|11000|AcctRec|AR|NULL|NULL|90.00|NULL",
            "vendbill|VB1|9|1|2025-03-12|Bill #VB1|NULL|NULL|NULL|NULL|2000|300|1|30|50000|COGS|Cost|-3.00000000|NULL|-90.00|NULL",
        ],
    );
    for v in [
        "DW_NS_X_FIN_CHECK_V",
        "DW_NS_X_FIN_CUST_PAYMENT_V",
        "DW_NS_X_FIN_CREDIT_CARD_V",
        "DW_NS_X_FIN_VENDBILL_PAYMENT_V",
        "DW_NS_X_FIN_VENDCRED_V",
        "DW_NS_X_FIN_CUST_CREDIT_V",
        "DW_NS_X_FIN_CUST_REFUND_V",
        "DW_NS_X_FIN_CC_REFUND_V",
    ] {
        wh.check(&format!("SELECT COUNT(*) FROM {v}"), &["0"]);
    }
}

fn typed_views_select_by_type_with_their_placeholders(backend: Backend) {
    let wh = Wh::new(backend);
    ins!(wh, "DW_NS_ACCOUNTING_BOOK", ID = 1, IS_PRIMARY = true);
    ins!(wh, "DW_NS_ACCOUNT", ID = 1, ACCOUNT_NUMBER = "1", ACCOUNT_TYPE = "Bank");
    let cases = [
        ("CashSale", "DW_NS_X_FIN_CASHSALE_V", "cashsale|77|5|1.00000000"),
        ("Check", "DW_NS_X_FIN_CHECK_V", "check|77|-99999|NULL"),
        ("CustInvc", "DW_NS_X_FIN_INVOICE_V", "Invoice|77|5|1.00000000"),
        ("CustPymt", "DW_NS_X_FIN_CUST_PAYMENT_V", "customerpayment|77|-99999|NULL"),
        ("Journal", "DW_NS_X_FIN_JOURNAL_V", "journal|77|-99999|NULL"),
        ("Deposit", "DW_NS_X_FIN_DEPOSIT_V", "deposit|-99999|-99999|NULL"),
        ("CardChrg", "DW_NS_X_FIN_CREDIT_CARD_V", "creditcard|77|-99999|NULL"),
        ("VendBill", "DW_NS_X_FIN_VENDBILL_V", "vendbill|77|5|1.00000000"),
        ("VendPymt", "DW_NS_X_FIN_VENDBILL_PAYMENT_V", "vendbillpayment|77|-99999|NULL"),
        ("VendCred", "DW_NS_X_FIN_VENDCRED_V", "vendcred|77|5|1.00000000"),
        ("CustCred", "DW_NS_X_FIN_CUST_CREDIT_V", "customercredit|77|-99999|NULL"),
        ("CustRfnd", "DW_NS_X_FIN_CUST_REFUND_V", "customerrefund|77|-99999|NULL"),
        ("CardRfnd", "DW_NS_X_FIN_CC_REFUND_V", "ccrefund|77|-99999|NULL"),
        ("Custom9", "DW_NS_X_FIN_DEPENTRY_V", "DEPENTRY|77|-99999|NULL"),
    ];
    for (i, (ty, _, _)) in cases.iter().enumerate() {
        let id = i as i64 + 1;
        let record_type = (*ty == "Custom9").then_some("customtransaction_fam_depr_jrn");
        ins!(
            wh,
            "DW_NS_TRANSACTION",
            ID = id,
            TYPE = *ty,
            RECORD_TYPE = record_type,
            TRAN_ID = "X",
            POSTING = true,
            ENTITY_ID = 77
        );
        ins!(wh, "DW_NS_TRANSACTION_LINE", TRANSACTION_ID = id, LINE_ID = 1, ITEM_ID = 5, QUANTITY = -1.0);
        ins!(
            wh,
            "DW_NS_TRANSACTION_ACCOUNTING_LINE",
            TRANSACTION_ID = id,
            LINE_ID = 1,
            ACCOUNTING_BOOK_ID = 1,
            ACCOUNT_ID = 1,
            DEBIT = 1.0,
            POSTING = true
        );
    }
    // other FAM custom types and other types are in no view
    ins!(
        wh,
        "DW_NS_TRANSACTION",
        ID = 50,
        TYPE = "Custom10",
        RECORD_TYPE = "customtransaction_fam_disp_jrn",
        POSTING = true
    );
    ins!(wh, "DW_NS_TRANSACTION", ID = 51, TYPE = "ExpRept", RECORD_TYPE = "expensereport", POSTING = true);
    for id in [50, 51] {
        ins!(
            wh,
            "DW_NS_TRANSACTION_ACCOUNTING_LINE",
            TRANSACTION_ID = id,
            LINE_ID = 1,
            ACCOUNTING_BOOK_ID = 1,
            ACCOUNT_ID = 1,
            DEBIT = 1.0,
            POSTING = true
        );
    }
    for (i, (_, view, want)) in cases.iter().enumerate() {
        wh.check(&format!("SELECT T_TYPE, ENTITY_ID, ITEM_ID, QTY FROM {view}"), &[*want]);
        wh.check(&format!("SELECT INTERNALID FROM {view}"), &[(i + 1).to_string().as_str()]);
    }
    wh.check("SELECT COUNT(*) FROM DW_NS_X_FIN_REPORT_V", &["14"]);
}

fn report_names_periods_amounts_and_mapping(backend: Backend) {
    let wh = netsuite_fixture(backend);
    wh.check(
        "SELECT T_TYPE, TRAN_ID, INTERNALID, LINE_ID, TRAN_DATE, TRAN_NAME, SUBSIDIARY, LOCATION, CLASS, DEPARTMENT, \
         CUSTOMER, TRAN_VENDOR, ITEM_NAME, ACCOUNT_NUMBER, ACCOUNT_TYPE, ACCOUNT_DESC, POSTING_YEAR, POSTING_MONTH, \
         POSTING_MONTH_NUM FROM DW_NS_X_FIN_REPORT_V",
        &[
            "Invoice|INV1|1|0|2025-03-05|Invoice #INV1|Marina North LLC|North Dock|Slips|Ops|CUST-1000|NULL|NULL|\
             11000|AcctRec|Accounts Receivable|2025|Mar|202503",
            "Invoice|INV1|1|1|2025-03-05|Invoice #INV1|Marina North LLC|North Dock|Slips|Ops|CUST-1000|NULL|\
             SLIP-TRANS|40100|Income|Revenue : Slips|2025|Mar|202503",
            // adjustment period 'FY2025 Adj' -> its start date 2025-12-01
            "journal|JE1|2|1|2025-12-31|JE1|Marina North LLC|NULL|NULL|NULL|NULL|VEND-2000|NULL|60000|Expense|\
             Repairs|2025|Dec|202512",
            "journal|JE1|2|2|2025-12-31|JE1|NULL|NULL|NULL|NULL|NULL|NULL|NULL|80000|OthExpense|Fees|2025|Dec|202512",
            "journal|JE1|2|3|2025-12-31|JE1|Marina North LLC|NULL|NULL|NULL|NULL|NULL|NULL| 70100 |OthIncome|\
             Interest|2025|Dec|202512",
            // no period: NULLs; -99999 entity matches no customer
            "deposit|DEP1|3|0|2025-03-06|Deposit #DEP1|Marina North LLC|NULL|NULL|NULL|NULL|NULL|NULL|10100|Bank|\
             Bank|NULL|NULL|NULL",
            "deposit|DEP1|3|1|2025-03-06|Deposit #DEP1|Marina North LLC|NULL|NULL|NULL|NULL|NULL|NULL|11000|AcctRec|\
             Accounts Receivable|NULL|NULL|NULL",
            // 'march 2025' without start date: NULLs
            "DEPENTRY|FAMDEP1|5|1|2025-03-31|FAMDEP1|NULL|NULL|NULL|NULL|NULL|NULL|NULL|60000|Expense|Repairs|\
             NULL|NULL|NULL",
            "DEPENTRY|FAMDEP1|5|2|2025-03-31|FAMDEP1|NULL|NULL|NULL|NULL|NULL|NULL|NULL|10100|Bank|Bank|\
             NULL|NULL|NULL",
            // 'Jun 2025 ' (trailing blank) is not 'Mon YYYY': start date 2025-06-01
            "cashsale|CS1|8|0|2025-06-10|CS1|NULL|NULL|NULL|NULL|CUST-1000|NULL|NULL|10100|Bank|Bank|2025|Jun|202506",
            "cashsale|CS1|8|1|2025-06-10|CS1|NULL|NULL|NULL|NULL|CUST-1000|NULL|SLIP-TRANS|40100|Income|\
             Revenue : Slips|2025|Jun|202506",
            "vendbill|VB1|9|0|2025-03-12|Bill #VB1|NULL|NULL|NULL|NULL|NULL|VEND-2000|NULL|11000|AcctRec|\
             Accounts Receivable|2025|Mar|202503",
            "vendbill|VB1|9|1|2025-03-12|Bill #VB1|NULL|NULL|NULL|NULL|NULL|VEND-2000|SLIP-TRANS|50000|COGS|COGS|\
             2025|Mar|202503",
        ],
    );
    wh.check(
        "SELECT INTERNALID, LINE_ID, ACCTG_AMOUNT, INCOME_AMOUNT, COGS_AMOUNT, EXPENSE_AMOUNT, OTHERINCOME_AMOUNT, \
         OTHEREXPENSE_AMOUNT, GROSS_PROFIT, NET_PROFIT, MEMO, MAPVALUE, SORTORDER, REPORTTYPE, REPORTSECTION \
         FROM DW_NS_X_FIN_REPORT_V",
        &[
            "1|0|-200.00|0.00|0.00|0.00|0.00|0.00|0.00|0.00|main|NULL|NULL|NULL|NULL",
            "1|1|200.00|200.00|0.00|0.00|0.00|0.00|200.00|200.00|slip|Slip Revenue|10|P&L|Revenue",
            // the mapping row of 60000 is soft-deleted
            "2|1|-50.00|0.00|0.00|-50.00|0.00|0.00|0.00|-50.00|repairs|NULL|NULL|NULL|NULL",
            "2|2|-25.00|0.00|0.00|0.00|0.00|-25.00|0.00|-25.00|NULL|NULL|NULL|NULL|NULL",
            // ' 70100 ' matches the mapping key '70100 ' once trimmed
            "2|3|75.00|0.00|0.00|0.00|75.00|0.00|0.00|75.00|interest|Other|70|P&L|Other Income",
            "3|0|-10.00|0.00|0.00|0.00|0.00|0.00|0.00|0.00|NULL|NULL|NULL|NULL|NULL",
            "3|1|10.00|0.00|0.00|0.00|0.00|0.00|0.00|0.00|NULL|NULL|NULL|NULL|NULL",
            "5|1|-30.00|0.00|0.00|-30.00|0.00|0.00|0.00|-30.00|NULL|NULL|NULL|NULL|NULL",
            "5|2|30.00|0.00|0.00|0.00|0.00|0.00|0.00|0.00|NULL|NULL|NULL|NULL|NULL",
            "8|0|-12.34|0.00|0.00|0.00|0.00|0.00|0.00|0.00|NULL|NULL|NULL|NULL|NULL",
            "8|1|12.34|12.34|0.00|0.00|0.00|0.00|12.34|12.34|NULL|Slip Revenue|10|P&L|Revenue",
            "9|0|90.00|0.00|0.00|0.00|0.00|0.00|0.00|0.00|NULL|NULL|NULL|NULL|NULL",
            "9|1|-90.00|0.00|-90.00|0.00|0.00|0.00|-90.00|-90.00|NULL|NULL|NULL|NULL|NULL",
        ],
    );
    // every transaction balances in the union; (INTERNALID, LINE_ID) is unique
    wh.check(
        "SELECT INTERNALID, SUM(ACCTG_AMOUNT), COUNT(*), COUNT(DISTINCT LINE_ID) FROM DW_NS_X_FIN_REPORT_V GROUP BY 1",
        &["1|0.00|2|2", "2|0.00|3|3", "3|0.00|2|2", "5|0.00|2|2", "8|0.00|2|2", "9|0.00|2|2"],
    );
    // P&L of the fixture: 200 + 12.34 income, -90 COGS, -50 - 30 expense, 75 other income, -25 other expense
    wh.check(
        "SELECT SUM(INCOME_AMOUNT), SUM(COGS_AMOUNT), SUM(GROSS_PROFIT), SUM(NET_PROFIT) FROM DW_NS_X_FIN_REPORT_V",
        &["212.34|-90.00|122.34|92.34"],
    );
}

fn report_keeps_one_mapping_row_per_trimmed_account(backend: Backend) {
    let wh = Wh::new(backend);
    ins!(wh, "DW_NS_ACCOUNTING_BOOK", ID = 1, IS_PRIMARY = true);
    ins!(wh, "DW_NS_ACCOUNT", ID = 1, ACCOUNT_NUMBER = "40100", ACCOUNT_TYPE = "Income");
    ins!(wh, "DW_NS_ACCOUNT", ID = 2, ACCOUNT_NUMBER = "10100", ACCOUNT_TYPE = "Bank");
    ins!(wh, "DW_NS_ACCOUNT_REPORT_MAPPING", NSACCOUNT = "40100", MODELMAPPINGDETAIL = "A");
    ins!(wh, "DW_NS_ACCOUNT_REPORT_MAPPING", NSACCOUNT = " 40100", MODELMAPPINGDETAIL = "B");
    ins!(wh, "DW_NS_TRANSACTION", ID = 1, TYPE = "Journal", POSTING = true);
    ins!(
        wh,
        "DW_NS_TRANSACTION_ACCOUNTING_LINE",
        TRANSACTION_ID = 1,
        LINE_ID = 1,
        ACCOUNTING_BOOK_ID = 1,
        ACCOUNT_ID = 1,
        CREDIT = 5.0,
        POSTING = true
    );
    ins!(
        wh,
        "DW_NS_TRANSACTION_ACCOUNTING_LINE",
        TRANSACTION_ID = 1,
        LINE_ID = 2,
        ACCOUNTING_BOOK_ID = 1,
        ACCOUNT_ID = 2,
        DEBIT = 5.0,
        POSTING = true
    );
    wh.check(
        "SELECT LINE_ID, ACCTG_AMOUNT, MAPVALUE IS NOT NULL FROM DW_NS_X_FIN_REPORT_V",
        &["1|5.00|true", "2|-5.00|false"],
    );
}

// ---------------------------------------------------------------------------------------
// Performance (run with `cargo test --release --test views -- --ignored`)
// ---------------------------------------------------------------------------------------

/// ~680k loaded rows (10 years of MOLO, Stellar and NetSuite activity, 800 slips, a ~4000-day
/// calendar): every view answers `COUNT(*)` and a typical aggregate in under a second.
#[test]
#[ignore = "timing test; run explicitly"]
fn views_answer_quickly_at_production_scale() {
    let wh = Wh::new(Backend::DuckDb);
    let ts = |hours: &str| format!("(TIMESTAMP '2016-01-01 00:00:00' + ({hours}) * INTERVAL 1 HOUR)");
    let load = [
        "INSERT INTO DW_MOLO_MARINA_LOCATIONS (ID, NAME) SELECT i, 'M' || i FROM range(4) g(i)".to_string(),
        "INSERT INTO DW_MOLO_SLIPS (ID, NAME, MARINA_LOCATION_ID, ACTIVE, DO_NOT_COUNT_IN_OCCUPANCY, START_DATE, \
         RECOMMENDED_LOA) SELECT i, 'S' || i, i % 4, i % 50 <> 0, i % 40 = 0, \
         CASE WHEN i % 3 = 0 THEN NULL ELSE TIMESTAMP '2016-01-01 05:00:00' END, (20 + i % 40) || ':' || (i % 12) \
         FROM range(800) g(i)"
            .to_string(),
        "INSERT INTO DW_MOLO_BOATS (ID, NAME, LOA) SELECT i, 'B' || i, CASE WHEN i % 10 = 0 THEN 'bad' \
         WHEN i % 2 = 0 THEN CAST(18 + i % 50 AS VARCHAR) ELSE (18 + i % 50) || ':' || (i % 12) END \
         FROM range(3000) g(i)"
            .to_string(),
        "INSERT INTO DW_MOLO_RESERVATION_STATUS (ID, NAME) VALUES (1, 'Pending'), (4, 'Checked In'), \
         (5, 'Cancelled'), (6, 'Checked Out')"
            .to_string(),
        "INSERT INTO DW_MOLO_RESERVATION_TYPES (ID, NAME) VALUES (1, 'Transient'), (2, 'Seasonal')".to_string(),
        format!(
            "INSERT INTO DW_MOLO_RESERVATIONS (ID, MARINA_LOCATION_ID, RESERVATION_STATUS_ID, RESERVATION_TYPE_ID, \
             BOAT_ID, SLIP_ID, SCHEDULED_ARRIVAL_TIME, SCHEDULED_DEPARTURE_TIME, RATE, NAME) \
             SELECT i, (i * 7) % 800 % 4, CASE i % 5 WHEN 0 THEN 5 WHEN 1 THEN 1 WHEN 2 THEN 6 ELSE 4 END, 1 + i % 2, \
             i % 3000, (i * 7) % 800, {}, {}, 100 + i % 900, 'R' || i FROM range(5000) g(i)",
            ts("(i * 17) % 87000"),
            ts("(i * 17) % 87000 + 24 * (1 + CASE WHEN i % 10 = 0 THEN 180 ELSE i % 60 END)")
        ),
        "INSERT INTO DW_MOLO_INVOICES (ID, RESERVATION_ID) SELECT i, i % 5000 FROM range(20000) g(i)".to_string(),
        "INSERT INTO DW_MOLO_INVOICE_ITEMS (ID, INVOICE_ID, TYPE_FIELD, TOTAL, IS_VOID, STATUS_FIELD) \
         SELECT i, i % 20000, CASE i % 3 WHEN 0 THEN 'charge-reservation-seasonal' \
         WHEN 1 THEN 'charge-reservation-transitive' ELSE 'other' END, 10 + i % 500, i % 17 = 0, \
         CASE WHEN i % 19 = 0 THEN 'deleted' END FROM range(60000) g(i)"
            .to_string(),
        "INSERT INTO DW_STELLAR_LOCATIONS (ID, LOCATION_NAME) SELECT i, 'L' FROM range(2) g(i)".to_string(),
        "INSERT INTO DW_STELLAR_STYLE_BOATS (ID, BOAT_NUMBER) SELECT i, 'PT' || i FROM range(30) g(i)".to_string(),
        "INSERT INTO DW_STELLAR_BOOKINGS (ID, LOCATION_ID, BOATS_TOTAL, IS_CANCELED) \
         SELECT i, i % 2, 100 + i % 300, i % 10 = 0 FROM range(10000) g(i)"
            .to_string(),
        format!(
            "INSERT INTO DW_STELLAR_BOOKING_BOATS (ID, BOOKING_ID, BOAT_ID, STATUS_BOOKING, BOAT_DEPARTURE, BOAT_RETURN) \
             SELECT i, i % 10000, CAST(i % 30 AS VARCHAR), CASE WHEN i % 7 = 0 THEN 'Booked' ELSE 'Complete' END, \
             {}, {} FROM range(12000) g(i)",
            ts("(i * 7) % 87000"),
            ts("(i * 7) % 87000 + 4 + (i % 5) * 20")
        ),
        "INSERT INTO DW_NS_ACCOUNTING_BOOK (ID, IS_PRIMARY) VALUES (1, TRUE), (2, FALSE)".to_string(),
        "INSERT INTO DW_NS_ACCOUNT (ID, ACCOUNT_NUMBER, ACCOUNT_TYPE, DESCRIPTION, SEARCH_DISPLAY_NAME) \
         SELECT i, CAST(10000 + i AS VARCHAR), CASE i % 6 WHEN 0 THEN 'Income' WHEN 1 THEN 'COGS' \
         WHEN 2 THEN 'Expense' WHEN 3 THEN 'Bank' WHEN 4 THEN 'OthIncome' ELSE 'AcctRec' END, 'd', 's' \
         FROM range(300) g(i)"
            .to_string(),
        "INSERT INTO DW_NS_ACCOUNT_REPORT_MAPPING (NSACCOUNT, MODELMAPPINGDETAIL, SORTORDER) \
         SELECT CAST(10000 + i AS VARCHAR), 'map', i FROM range(200) g(i)"
            .to_string(),
        "INSERT INTO DW_NS_ACCOUNTING_PERIOD (ID, PERIOD_NAME, START_DATE) \
         SELECT i, CASE WHEN i % 13 = 0 THEN 'Adj' ELSE 'Jan 2020' END, DATE '2020-01-01' FROM range(150) g(i)"
            .to_string(),
        "INSERT INTO DW_NS_CUSTOMER (ID, ENTITY_NAME) SELECT i, 'C' FROM range(2000) g(i)".to_string(),
        "INSERT INTO DW_NS_VENDOR (ID, ENTITY_NAME) SELECT 5000 + i, 'V' FROM range(500) g(i)".to_string(),
        "INSERT INTO DW_NS_ITEM (ID, ITEM_NAME) SELECT i, 'I' FROM range(700) g(i)".to_string(),
        "INSERT INTO DW_NS_TRANSACTION (ID, TRAN_ID, TRAN_DISPLAY_NAME, TYPE, RECORD_TYPE, TRAN_DATE, \
         POSTING_PERIOD_ID, POSTING, ENTITY_ID) SELECT i, 'T' || i, 'Tran', \
         ['CashSale','Check','CustInvc','CustPymt','Journal','Deposit','CardChrg','VendBill','VendPymt','VendCred',\
         'CustCred','CustRfnd','CardRfnd','ItemShip','Custom1'][i % 15 + 1], \
         CASE WHEN i % 15 = 14 THEN 'customtransaction_fam_depr_jrn' END, \
         DATE '2016-01-01' + CAST(i % 3600 AS INTEGER), i % 150, i % 50 <> 0, i % 2000 FROM range(50000) g(i)"
            .to_string(),
        "INSERT INTO DW_NS_TRANSACTION_LINE (TRANSACTION_ID, LINE_ID, SUBSIDIARY_ID, LOCATION_ID, ITEM_ID, QUANTITY, \
         ENTITY_ID, MEMO) SELECT i // 4, i % 4, i % 5, i % 5, i % 700, -1, \
         CASE WHEN i % 3 = 0 THEN NULL ELSE 5000 + i % 500 END, 'm' FROM range(200000) g(i)"
            .to_string(),
        "INSERT INTO DW_NS_TRANSACTION_ACCOUNTING_LINE (TRANSACTION_ID, LINE_ID, ACCOUNTING_BOOK_ID, ACCOUNT_ID, \
         DEBIT, CREDIT, POSTING) SELECT i // 4, i % 4, 1 + i // 200000, (i * 13) % 300, \
         CASE WHEN i % 2 = 0 THEN 10 END, CASE WHEN i % 2 = 1 THEN 10 END, TRUE FROM range(300000) g(i)"
            .to_string(),
    ];
    wh.exec(load.to_vec());
    let loaded: i64 = Catalog::get()
        .tables()
        .iter()
        .map(|t| wh.rows(&format!("SELECT COUNT(*) FROM {}", t.dw_name()))[0].parse::<i64>().unwrap())
        .sum();
    assert!(loaded > 650_000, "{loaded}");
    let bounds = wh.rows(&views::calendar_bounds_query(DUCK))[0].clone();
    let (lo, hi) = bounds.split_once('|').unwrap();
    let range = views::default_calendar_range(Some(date(lo)), Some(date(hi))).unwrap();
    wh.exec(views::calendar_statements(DUCK, &range));
    wh.mapping(&[(1, 8), (2, 9)]);
    let aggregate = |view: &str| match view {
        "DW_MOLO_DAILY_SLIP_COUNT_VW" => "SELECT YEAR_NUMBER, SUM(DAILY_SLIP_COUNT) FROM {v} GROUP BY 1",
        "DW_MOLO_DAILY_SLIP_OCCUPANCY_VW" => {
            "SELECT YEAR_NUMBER, MARINA_LOCATION_ID, SUM(IS_OCCUPIED) FROM {v} GROUP BY 1, 2"
        }
        "DW_MOLO_DAILY_OCCUPANCY_RATE_VW" => "SELECT MARINA_LOCATION_ID, AVG(OCCUPANCY_PCT) FROM {v} GROUP BY 1",
        "DW_MOLO_DAILY_BOAT_LENGTHS_VW" => {
            "SELECT YEAR_NUMBER, AVG(BOAT_LOA_LENGTH), SUM(OCCUPIES_SLIP) FROM {v} GROUP BY 1"
        }
        "DW_MOLO_RATE_OVER_LINEAR_FOOT" => "SELECT YEAR_NUMBER, SUM(INVOICE_DAILY_RATE) FROM {v} GROUP BY 1",
        "DW_MOLO_RATE_OVER_LINEAR_FOOT_VW" => "SELECT YEAR_NUMBER, SUM(REVENUE) FROM {v} GROUP BY 1",
        "DW_STELLAR_DAILY_RENTALS_VW" => {
            "SELECT YEAR_NUMBER, SUM(REVENUE_ON_DATE), SUM(HOURS_ON_DATE) FROM {v} GROUP BY 1"
        }
        "DW_NS_X_FIN_REPORT_V" => "SELECT POSTING_YEAR, REPORTTYPE, SUM(NET_PROFIT) FROM {v} GROUP BY 1, 2",
        "DW_MOLO_MONTHLY_OCCUPANCY_VW" => "SELECT MARINA_LOCATION_ID, AVG(OCCUPANCY_PCT) FROM {v} GROUP BY 1",
        "DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW" => "SELECT SLIP_TYPE_ID, SUM(REVENUE) FROM {v} GROUP BY 1",
        "DW_STELLAR_DAILY_FLEET_UTILIZATION_VW" => "SELECT MONTH_NUMBER, AVG(UTILIZATION_PCT) FROM {v} GROUP BY 1",
        "DW_STELLAR_MONTHLY_BOAT_REVENUE_VW" => "SELECT BOAT_ID, SUM(REVENUE) FROM {v} GROUP BY 1",
        "DW_NS_TRIAL_BALANCE_V" => "SELECT PERIOD_ID, SUM(DEBIT), SUM(CREDIT) FROM {v} GROUP BY 1",
        "DW_NS_DAILY_CASH_POSITION_V" => "SELECT CALENDAR_DATE, SUM(CLOSING_BALANCE) FROM {v} GROUP BY 1",
        "DW_NS_AR_AGING_V" | "DW_NS_AP_AGING_V" => "SELECT AGING_BUCKET, SUM(AMOUNT_OPEN) FROM {v} GROUP BY 1",
        _ => "SELECT ACCOUNT_TYPE, SUM(ACCTG_AMOUNT) FROM {v} GROUP BY 1",
    };
    let mut slow = Vec::new();
    for v in views::views(DUCK) {
        for sql in [format!("SELECT COUNT(*) FROM {}", v.name), aggregate(v.name).replace("{v}", v.name)] {
            let started = std::time::Instant::now();
            wh.rows(&sql);
            let took = started.elapsed();
            eprintln!("{took:>10.3?}  {sql}");
            if took.as_secs_f64() >= 1.0 {
                slow.push(format!("{sql}: {took:?}"));
            }
        }
    }
    assert!(slow.is_empty(), "slow: {slow:#?}");
}

backend_tests!(
    calendar_has_one_row_per_day_with_its_attributes,
    a_thirty_year_calendar_is_built_in_sql,
    calendar_bounds_cover_the_four_sources_and_ignore_deleted_rows,
    location_subsidiary_mapping_is_replaced_and_unmapped_locations_get_0,
    every_view_has_the_specified_columns_in_order,
    typed_columns_have_fixed_types,
    view_statements_are_rerunnable_and_create_the_support_tables,
    slip_count_per_marina_and_day,
    slip_occupancy_one_row_per_slip_and_day,
    occupancy_rate_per_marina_and_day,
    boat_lengths_per_boat_marina_and_day,
    loa_text_parses_feet_inches_and_plain_feet_and_nothing_else,
    rate_over_linear_foot_per_reservation_day,
    rate_over_linear_foot_per_month_marina_and_type,
    rate_over_linear_foot_splits_a_stay_across_months,
    daily_rentals_allocate_each_boat_rate_over_its_dates,
    a_half_cent_rounds_up_on_every_backend,
    daily_rentals_split_hours_at_midnight,
    typed_views_read_primary_book_posting_lines,
    typed_views_select_by_type_with_their_placeholders,
    report_names_periods_amounts_and_mapping,
    report_keeps_one_mapping_row_per_trimmed_account,
);
