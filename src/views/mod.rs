//! The analytical views of the warehouse (`spec/views.md`, `contract/netsuite.md` §3-§7, and
//! the business views of `spec/business-views.md`) and the two tables they read besides the
//! `DW_` tables: the calendar ([`CALENDAR_TABLE`]) and the marina-location-to-subsidiary
//! mapping ([`LOCATION_SUBSIDIARY_TABLE`]). The AR and AP aging views also read the run
//! ledger's `ETL_SNAPSHOTS`, for the date of the latest NetSuite export.
//!
//! Each view's SELECT lives in one `.sql` file next to this module. The SQL is written once
//! for every backend; where a backend needs different spelling the file uses a small macro,
//! `{{name}}` or `{{name(arg, ...)}}`, that [`expand`] replaces for the dialect:
//!
//! | macro | DuckDB | PostgreSQL | Oracle |
//! |---|---|---|---|
//! | `{{bigint}}` | `BIGINT` | `BIGINT` | `NUMBER(19)` |
//! | `{{text}}` | `VARCHAR` | `VARCHAR` | `VARCHAR2(4000)` |
//! | `{{double}}` | `DOUBLE` | `DOUBLE PRECISION` | `BINARY_DOUBLE` |
//! | `{{true}}`, `{{false}}` | `TRUE`, `FALSE` | `TRUE`, `FALSE` | `1`, `0` |
//! | `{{dec2(x)}}` (round to 2 decimals, half away from zero, as exact arithmetic would) | `CAST(CAST(x AS DECIMAL(18,8)) AS DECIMAL(18,2))` when `abs(x) < 1e9`, else as PostgreSQL | `CAST(CAST(x AS DECIMAL(38,8)) AS DECIMAL(18,2))` | same |
//! | `{{round_double(x, n)}}` (a DOUBLE sum, rid of its summation-order digits) | `ROUND(x, n)` | `CAST(ROUND(CAST(x AS NUMERIC), n) AS DOUBLE PRECISION)` | `ROUND(x, n)` |
//! | `{{date(x)}}` (calendar date of a timestamp) | `CAST(x AS DATE)` | `CAST(x AS DATE)` | `TRUNC(x)` |
//! | `{{matches(x, 're')}}` (whole-string regex match) | `regexp_full_match(x, 're')` | `(x ~ '^(?:re)$')` | `REGEXP_LIKE(x, '^(re)$')` |
//! | `{{split_part(x, 'c', n)}}` | `split_part(x, 'c', n)` | `split_part(x, 'c', n)` | `REGEXP_SUBSTR(x, '[^c]+', 1, n)` |
//! | `{{hours_between(a, b)}}` | `EXTRACT(EPOCH FROM (b) - (a)) / 3600.0` | same | `(CAST(b AS DATE) - CAST(a AS DATE)) * 24` |
//! | `{{loa_ft(x)}}` | [`LOA_FT`], written with the macros above | | |
//! | `{{make_date(y, m, d)}}` (a date from integers) | `make_date(y, m, d)` | same | `TO_DATE(LPAD(y, 4, '0') \|\| LPAD(m, 2, '0') \|\| LPAD(d, 2, '0'), 'YYYYMMDD')` |
//!
//! Everything else (joins, window functions, `CASE`, `NULLIF`, `COALESCE`, `GREATEST`/`LEAST`
//! on non-NULL values, `DATE 'yyyy-mm-dd'` literals, `date - date`, `date + integer`,
//! `CAST(x AS DECIMAL(p,s))` of a value that is already exact) is the same text everywhere.
//! Table aliases are written without `AS` (Oracle). `tests/views.rs` runs every view on
//! DuckDB and on PostgreSQL with the same expected rows; Oracle is checked by its golden
//! script only (no server here).

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};

use crate::catalog::ColumnType;
use crate::warehouse::sql::{CreateTable, Dialect};

mod reads;
pub use reads::{reads, with_ctes, Reads};

/// The calendar table every daily view joins; rebuilt by [`calendar_statements`].
pub const CALENDAR_TABLE: &str = "CUSTOM_CALENDAR_DIMENSION";
/// The marina location to NetSuite subsidiary mapping (configuration
/// `[molo.location_subsidiary]`); rebuilt by [`location_subsidiary_statements`].
pub const LOCATION_SUBSIDIARY_TABLE: &str = "DW_MOLO_LOCATION_SUBSIDIARY";

/// A view of the warehouse: its name and the SELECT that defines it.
#[derive(Clone, Debug)]
pub struct View {
    pub name: &'static str,
    pub select: String,
}

/// Inclusive calendar range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// `loa_ft(x)` of `spec/views.md`: `F:I` is F + I/12 feet, plain `F` or `F.f` is feet, anything
/// else (after trimming surrounding blanks) is NULL. The regex guards every cast, so bad text
/// never raises an error.
pub const LOA_FT: &str = "(CASE \
WHEN {{matches(TRIM(%x), '[0-9]+([.][0-9]+)?')}} THEN CAST(TRIM(%x) AS {{double}}) \
WHEN {{matches(TRIM(%x), '[0-9]+:[0-9]+([.][0-9]+)?')}} \
THEN CAST({{split_part(TRIM(%x), ':', 1)}} AS {{double}}) + CAST({{split_part(TRIM(%x), ':', 2)}} AS {{double}}) / 12 \
END)";

const MOLO_DAILY_SLIP_COUNT: &str = include_str!("molo_daily_slip_count.sql");
const MOLO_DAILY_SLIP_OCCUPANCY: &str = include_str!("molo_daily_slip_occupancy.sql");
const MOLO_DAILY_OCCUPANCY_RATE: &str = include_str!("molo_daily_occupancy_rate.sql");
const MOLO_DAILY_BOAT_LENGTHS: &str = include_str!("molo_daily_boat_lengths.sql");
const MOLO_RATE_OVER_LINEAR_FOOT: &str = include_str!("molo_rate_over_linear_foot.sql");
const MOLO_RATE_OVER_LINEAR_FOOT_VW: &str = include_str!("molo_rate_over_linear_foot_vw.sql");
const STELLAR_DAILY_RENTALS: &str = include_str!("stellar_daily_rentals.sql");
const NS_TYPED: &str = include_str!("ns_typed.sql");
const NS_REPORT: &str = include_str!("ns_report.sql");
const CALENDAR_INSERT: &str = include_str!("calendar.sql");
const MOLO_MONTHLY_OCCUPANCY: &str = include_str!("molo_monthly_occupancy.sql");
const MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE: &str = include_str!("molo_monthly_revenue_by_slip_type.sql");
const STELLAR_DAILY_FLEET_UTILIZATION: &str = include_str!("stellar_daily_fleet_utilization.sql");
const STELLAR_MONTHLY_BOAT_REVENUE: &str = include_str!("stellar_monthly_boat_revenue.sql");
const NS_GL_LINES: &str = include_str!("ns_gl_lines.sql");
const NS_TRIAL_BALANCE: &str = include_str!("ns_trial_balance.sql");
const NS_DAILY_CASH_POSITION: &str = include_str!("ns_daily_cash_position.sql");
const NS_AGING: &str = include_str!("ns_aging.sql");

/// One typed NetSuite view (netsuite.md §4): the parameters of the `ns_typed.sql` template.
struct NsTypedView {
    name: &'static str,
    t_type: &'static str,
    type_filter: &'static str,
    entity: &'static str,
    item: &'static str,
    qty: &'static str,
    tran_name: &'static str,
}

/// E = COALESCE(tl.entity, t.entity).
const E: &str = "COALESCE(tl.ENTITY_ID, t.ENTITY_ID)";
/// The reference's placeholder id (typed, matches no dimension row).
const PLACEHOLDER: &str = "CAST(-99999 AS {{bigint}})";
const ITEM: &str = "tl.ITEM_ID";
/// Q = -1 x tl.quantity (NULL stays NULL).
const Q: &str = "CAST(-1 * tl.QUANTITY AS DECIMAL(18,8))";
const NO_QTY: &str = "CAST(NULL AS DECIMAL(18,8))";
/// D = t.trandisplayname, or t.tranid when it is empty (NULL or blank). Not `TRIM(x) = ''`:
/// Oracle reads `''` as NULL, so that comparison would never hold there.
const D: &str = "CASE WHEN NULLIF(TRIM(t.TRAN_DISPLAY_NAME), '') IS NULL \
THEN t.TRAN_ID ELSE t.TRAN_DISPLAY_NAME END";
const TRANID: &str = "t.TRAN_ID";

const fn typed(
    name: &'static str,
    t_type: &'static str,
    type_filter: &'static str,
    entity: &'static str,
    item: &'static str,
    qty: &'static str,
    tran_name: &'static str,
) -> NsTypedView {
    NsTypedView { name, t_type, type_filter, entity, item, qty, tran_name }
}

/// netsuite.md §4, row by row (the order is the union order of the REPORT view).
#[rustfmt::skip]
const NS_TYPED_VIEWS: [NsTypedView; 14] = [
    typed("DW_NS_X_FIN_CASHSALE_V", "cashsale", "t.TYPE = 'CashSale'", E, ITEM, Q, D),
    typed("DW_NS_X_FIN_CHECK_V", "check", "t.TYPE = 'Check'", E, PLACEHOLDER, NO_QTY, D),
    typed("DW_NS_X_FIN_INVOICE_V", "Invoice", "t.TYPE = 'CustInvc'", E, ITEM, Q, D),
    typed("DW_NS_X_FIN_CUST_PAYMENT_V", "customerpayment", "t.TYPE = 'CustPymt'", E, PLACEHOLDER, NO_QTY, D),
    typed("DW_NS_X_FIN_JOURNAL_V", "journal", "t.TYPE = 'Journal'", E, PLACEHOLDER, NO_QTY, D),
    typed("DW_NS_X_FIN_DEPOSIT_V", "deposit", "t.TYPE = 'Deposit'", PLACEHOLDER, PLACEHOLDER, NO_QTY, D),
    typed("DW_NS_X_FIN_CREDIT_CARD_V", "creditcard", "t.TYPE = 'CardChrg'", E, PLACEHOLDER, NO_QTY, D),
    typed("DW_NS_X_FIN_VENDBILL_V", "vendbill", "t.TYPE = 'VendBill'", E, ITEM, Q, D),
    typed("DW_NS_X_FIN_VENDBILL_PAYMENT_V", "vendbillpayment", "t.TYPE = 'VendPymt'", E, PLACEHOLDER, NO_QTY, D),
    typed("DW_NS_X_FIN_VENDCRED_V", "vendcred", "t.TYPE = 'VendCred'", E, ITEM, Q, D),
    typed("DW_NS_X_FIN_CUST_CREDIT_V", "customercredit", "t.TYPE = 'CustCred'", E, PLACEHOLDER, NO_QTY, D),
    typed("DW_NS_X_FIN_CUST_REFUND_V", "customerrefund", "t.TYPE = 'CustRfnd'", E, PLACEHOLDER, NO_QTY, D),
    typed("DW_NS_X_FIN_CC_REFUND_V", "ccrefund", "t.TYPE = 'CardRfnd'", E, PLACEHOLDER, NO_QTY, D),
    typed(
        "DW_NS_X_FIN_DEPENTRY_V",
        "DEPENTRY",
        "t.RECORD_TYPE = 'customtransaction_fam_depr_jrn'",
        E,
        PLACEHOLDER,
        NO_QTY,
        TRANID,
    ),
];

/// The columns of every typed view, in order (netsuite.md §5); the REPORT view unions them
/// by this explicit list.
pub const NS_TYPED_COLUMNS: [&str; 21] = [
    "T_TYPE",
    "TRAN_ID",
    "INTERNALID",
    "LINE_ID",
    "TRAN_DATE",
    "TRAN_NAME",
    "SUBSIDIARY_ID",
    "LOCATION_ID",
    "DIVISION_ID",
    "DEPARTMENT_ID",
    "ENTITY_ID",
    "ITEM_ID",
    "POSTING_PERIOD_ID",
    "ACCOUNT_ID",
    "ACCOUNT_NUMBER",
    "ACCOUNT_TYPE",
    "ACCOUNT_DESC",
    "QTY",
    "EXT_COST",
    "ACCTG_AMOUNT",
    "MEMO",
];

/// Every analytical view in creation order (a view after the views it reads).
pub fn views(dialect: Dialect) -> Vec<View> {
    let plain = |name: &'static str, sql: &str| View { name, select: expand(sql, dialect, &[]) };
    let mut out = vec![
        plain("DW_MOLO_DAILY_SLIP_COUNT_VW", MOLO_DAILY_SLIP_COUNT),
        plain("DW_MOLO_DAILY_SLIP_OCCUPANCY_VW", MOLO_DAILY_SLIP_OCCUPANCY),
        plain("DW_MOLO_DAILY_OCCUPANCY_RATE_VW", MOLO_DAILY_OCCUPANCY_RATE),
        plain("DW_MOLO_DAILY_BOAT_LENGTHS_VW", MOLO_DAILY_BOAT_LENGTHS),
        plain("DW_MOLO_RATE_OVER_LINEAR_FOOT", MOLO_RATE_OVER_LINEAR_FOOT),
        plain("DW_MOLO_RATE_OVER_LINEAR_FOOT_VW", MOLO_RATE_OVER_LINEAR_FOOT_VW),
        plain("DW_STELLAR_DAILY_RENTALS_VW", STELLAR_DAILY_RENTALS),
    ];
    for v in &NS_TYPED_VIEWS {
        let params = [
            ("t_type", v.t_type),
            ("type_filter", v.type_filter),
            ("entity", v.entity),
            ("item", v.item),
            ("qty", v.qty),
            ("tran_name", v.tran_name),
        ];
        out.push(View { name: v.name, select: expand(NS_TYPED, dialect, &params) });
    }
    let columns = NS_TYPED_COLUMNS.join(", ");
    let union = NS_TYPED_VIEWS
        .iter()
        .map(|v| format!("    SELECT {columns} FROM {}", v.name))
        .collect::<Vec<_>>()
        .join("\n    UNION ALL\n");
    out.push(View { name: "DW_NS_X_FIN_REPORT_V", select: expand(NS_REPORT, dialect, &[("typed_union", &union)]) });
    out.extend(business_views(dialect));
    out
}

/// The eight business views of `spec/business-views.md`, in creation order (after the views
/// they read).
fn business_views(dialect: Dialect) -> Vec<View> {
    let with = |name: &'static str, sql: &str, params: &[(&str, &str)]| View { name, select: expand(sql, dialect, params) };
    let gl = [("gl_lines", NS_GL_LINES)];
    vec![
        with("DW_MOLO_MONTHLY_OCCUPANCY_VW", MOLO_MONTHLY_OCCUPANCY, &[]),
        with("DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW", MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE, &[]),
        with("DW_STELLAR_DAILY_FLEET_UTILIZATION_VW", STELLAR_DAILY_FLEET_UTILIZATION, &[]),
        with("DW_STELLAR_MONTHLY_BOAT_REVENUE_VW", STELLAR_MONTHLY_BOAT_REVENUE, &[]),
        with("DW_NS_TRIAL_BALANCE_V", NS_TRIAL_BALANCE, &gl),
        with("DW_NS_DAILY_CASH_POSITION_V", NS_DAILY_CASH_POSITION, &gl),
        with("DW_NS_AR_AGING_V", NS_AGING, &[("doc_type", "CustInvc"), ("entity_table", "DW_NS_CUSTOMER")]),
        with("DW_NS_AP_AGING_V", NS_AGING, &[("doc_type", "VendBill"), ("entity_table", "DW_NS_VENDOR")]),
    ]
}

/// Statements that create or refresh every view (`CREATE OR REPLACE VIEW name AS select`),
/// in creation order.
///
/// The list starts with two idempotent statements that create the calendar and the
/// location-subsidiary tables if they do not exist yet (empty; no existing row is touched),
/// because a view can only be created over existing tables. So the result has two more
/// entries than [`views`].
pub fn create_view_statements(dialect: Dialect) -> Vec<String> {
    let mut out = vec![create_calendar_table(dialect), create_location_subsidiary_table(dialect)];
    out.extend(
        views(dialect).into_iter().map(|v| format!("CREATE OR REPLACE VIEW {} AS\n{}", v.name, v.select.trim_end())),
    );
    out
}

/// A query returning one row (min_date DATE, max_date DATE) over the loaded data: reservation
/// arrival, slip start, booking-boat departure and NetSuite transaction date, non-deleted rows
/// only; NULLs when there is none.
pub fn calendar_bounds_query(dialect: Dialect) -> String {
    let part = |table: &str, column: &str| {
        format!(
            "    SELECT MIN({{{{date({column})}}}}) AS LO, MAX({{{{date({column})}}}}) AS HI \
             FROM {table} WHERE DW_DELETED_AT IS NULL"
        )
    };
    let sql = format!(
        "SELECT MIN(b.LO) AS min_date, MAX(b.HI) AS max_date\nFROM (\n{}\n) b",
        [
            part("DW_MOLO_RESERVATIONS", "SCHEDULED_ARRIVAL_TIME"),
            part("DW_MOLO_SLIPS", "START_DATE"),
            part("DW_STELLAR_BOOKING_BOATS", "BOAT_DEPARTURE"),
            part("DW_NS_TRANSACTION", "TRAN_DATE"),
        ]
        .join("\n    UNION ALL\n")
    );
    expand(&sql, dialect, &[])
}

/// Longest calendar, in months (30 years).
const MAX_CALENDAR_MONTHS: u32 = 30 * 12;

/// The default range from the bounds: the earliest date to 365 days after the latest; `None`
/// when there is no data (one missing bound is taken from the other).
///
/// The range never spans more than 30 years: when it would, the end is kept (the recent data
/// and the year ahead) and the start moves up to end − 30 years, so that one ancient
/// placeholder date (e.g. a `1900-01-01` slip start) cannot push the present out of the calendar.
pub fn default_calendar_range(min: Option<NaiveDate>, max: Option<NaiveDate>) -> Option<CalendarRange> {
    let (min, max) = match (min, max) {
        (None, None) => return None,
        (Some(a), None) | (None, Some(a)) => (a, a),
        (Some(a), Some(b)) => (a.min(b), a.max(b)),
    };
    let end = max.checked_add_days(chrono::Days::new(365)).unwrap_or(NaiveDate::MAX);
    let floor = end.checked_sub_months(Months::new(MAX_CALENDAR_MONTHS)).unwrap_or(NaiveDate::MIN);
    Some(CalendarRange { start: min.max(floor), end })
}

/// `CREATE TABLE` (if missing) of the calendar.
fn create_calendar_table(dialect: Dialect) -> String {
    let bigint = dialect.column_type(ColumnType::Int);
    let text_8 = if dialect == Dialect::Oracle { "VARCHAR2(8)" } else { "VARCHAR(8)" };
    CreateTable::new(dialect, CALENDAR_TABLE)
        .if_missing()
        .constrained_column("CALENDAR_DATE", "DATE", "NOT NULL PRIMARY KEY")
        .column("YEAR_NUMBER", &bigint)
        .column("MONTH_NUMBER", &bigint)
        .column("MONTH_YEAR_NAME", text_8)
        .column("DAY_OF_WEEK", &bigint)
        .column("QUARTER_NUMBER", &bigint)
        .column("IS_WEEKEND", &bigint)
        .sql()
}

/// `CREATE TABLE` (if missing) of the location-subsidiary mapping.
fn create_location_subsidiary_table(dialect: Dialect) -> String {
    let bigint = dialect.column_type(ColumnType::Int);
    CreateTable::new(dialect, LOCATION_SUBSIDIARY_TABLE)
        .if_missing()
        .constrained_column("MARINA_LOCATION_ID", &bigint, "NOT NULL PRIMARY KEY")
        .constrained_column("SUBSIDIARY_ID", &bigint, "NOT NULL")
        .sql()
}

/// Statements that (re)build CUSTOM_CALENDAR_DIMENSION for the range: create the table if
/// missing, delete its rows, insert one row per day (generated in SQL). A range whose start
/// is after its end leaves the calendar empty. The table is emptied rather than dropped
/// because the views depend on it (PostgreSQL refuses to drop it under them).
pub fn calendar_statements(dialect: Dialect, range: &CalendarRange) -> Vec<String> {
    let days = (range.end - range.start).num_days(); // last offset; < 0: no day
    let start = range.start.format("%Y-%m-%d").to_string();
    // The one dialect difference of the calendar: generating the days (column D).
    let day_source = match dialect {
        Dialect::DuckDb | Dialect::Postgres => {
            format!("SELECT DATE '{start}' + CAST(g.i AS INTEGER) AS D FROM generate_series(0, {days}) g(i)")
        }
        Dialect::Oracle => {
            format!("SELECT DATE '{start}' + LEVEL - 1 AS D FROM dual CONNECT BY LEVEL <= {}", days + 1)
        }
    };
    let iso_dow = match dialect {
        Dialect::DuckDb | Dialect::Postgres => "EXTRACT(ISODOW FROM days.D)",
        Dialect::Oracle => "(TRUNC(days.D) - TRUNC(days.D, 'IW') + 1)",
    };
    vec![
        create_calendar_table(dialect),
        format!("DELETE FROM {CALENDAR_TABLE}"),
        expand(CALENDAR_INSERT, dialect, &[("day_source", &day_source), ("iso_dow", iso_dow)]),
    ]
}

/// Statements that (re)create DW_MOLO_LOCATION_SUBSIDIARY with these (marina location id,
/// subsidiary id) rows: create the table if missing, delete its rows, insert the mapping.
/// A location listed twice keeps its last subsidiary (as a configuration map would).
pub fn location_subsidiary_statements(dialect: Dialect, mapping: &[(i64, i64)]) -> Vec<String> {
    let rows: BTreeMap<i64, i64> = mapping.iter().copied().collect();
    let mut out = vec![create_location_subsidiary_table(dialect), format!("DELETE FROM {LOCATION_SUBSIDIARY_TABLE}")];
    let insert = format!("INSERT INTO {LOCATION_SUBSIDIARY_TABLE} (MARINA_LOCATION_ID, SUBSIDIARY_ID)");
    match dialect {
        Dialect::Oracle => {
            out.extend(rows.iter().map(|(l, s)| format!("{insert} VALUES ({l}, {s})")));
        }
        _ if !rows.is_empty() => {
            let values = rows.iter().map(|(l, s)| format!("({l}, {s})")).collect::<Vec<_>>();
            out.push(format!("{insert} VALUES\n  {}", values.join(",\n  ")));
        }
        _ => {}
    }
    out
}

/// Expands the `{{...}}` macros of a SQL text for a dialect. `params` are plain text
/// substitutions (`{{name}}` without arguments) tried before the dialect macros; their
/// values may contain macros themselves. Panics on an unknown or malformed macro (a bug in
/// the embedded SQL, caught by the tests).
fn expand(sql: &str, dialect: Dialect, params: &[(&str, &str)]) -> String {
    let mut s = sql.to_string();
    // The last `{{` never contains another macro, so expanding from the end handles nesting;
    // an expansion may introduce macros, which are then the last ones.
    while let Some(open) = s.rfind("{{") {
        let (name, args, close) = parse_macro(&s, open);
        let replacement = match params.iter().find(|(n, _)| *n == name) {
            Some((_, value)) if args.is_none() => value.to_string(),
            _ => dialect_macro(dialect, &name, args.as_deref().unwrap_or(&[])),
        };
        s.replace_range(open..close, &replacement);
    }
    s
}

/// Parses the macro starting at `open` (`{{`): its name, its arguments (top-level commas
/// outside quotes and parentheses split them; each is trimmed) and the index after `}}`.
fn parse_macro(s: &str, open: usize) -> (String, Option<Vec<String>>, usize) {
    let bytes = s.as_bytes();
    let mut i = open + 2;
    let start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    let name = s[start..i].to_string();
    let mut args = None;
    if i < bytes.len() && bytes[i] == b'(' {
        let mut list = Vec::new();
        let (mut depth, mut quoted, mut arg_start) = (0usize, false, i + 1);
        loop {
            assert!(i < bytes.len(), "unterminated macro {{{{{name}(...");
            match bytes[i] {
                b'\'' => quoted = !quoted,
                b'(' if !quoted => depth += 1,
                b')' if !quoted => {
                    depth -= 1;
                    if depth == 0 {
                        list.push(s[arg_start..i].trim().to_string());
                        i += 1;
                        break;
                    }
                }
                b',' if !quoted && depth == 1 => {
                    list.push(s[arg_start..i].trim().to_string());
                    arg_start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        args = Some(list);
    }
    assert!(s[i..].starts_with("}}"), "malformed macro {{{{{name} at byte {open}");
    (name, args, i + 2)
}

/// `{{dec2(x)}}`: `x` rounded to 2 decimals, half away from zero, as exact arithmetic would.
fn dec2(dialect: Dialect, x: &str) -> String {
    // DuckDB divides DECIMALs in DOUBLE: 2.05 / 2 arrives as 1.0249999..., which a
    // plain cast rounds down where PostgreSQL's exact division rounds up. Fixing
    // the quotient to 8 decimals first (well within a DOUBLE's 15 digits for money)
    // takes the binary error away; every backend takes the same two steps.
    let exact = format!("CAST(CAST({x} AS DECIMAL(38,8)) AS DECIMAL(18,2))");
    match dialect {
        // DuckDB casts a DOUBLE to a 38-digit DECIMAL some twenty times slower than to an
        // 18-digit one (0.8 s a million), which made the rounding most of the time of the
        // rate views. Below 10^9 the 18 digits hold the same 8 decimals, so the result is
        // the same; larger values keep the wide cast.
        Dialect::DuckDb => {
            format!("(CASE WHEN abs({x}) >= 1e9 THEN {exact} ELSE CAST(CAST({x} AS DECIMAL(18,8)) AS DECIMAL(18,2)) END)")
        }
        Dialect::Postgres | Dialect::Oracle => exact,
    }
}

/// The dialect spelling of one macro (see the module documentation).
fn dialect_macro(dialect: Dialect, name: &str, args: &[String]) -> String {
    use Dialect::{DuckDb, Oracle, Postgres};
    let arity = |n: usize| assert_eq!(args.len(), n, "macro {name} takes {n} argument(s)");
    match name {
        "bigint" => if dialect == Oracle { "NUMBER(19)" } else { "BIGINT" }.into(),
        "text" => if dialect == Oracle { "VARCHAR2(4000)" } else { "VARCHAR" }.into(),
        "double" => match dialect {
            DuckDb => "DOUBLE",
            Postgres => "DOUBLE PRECISION",
            Oracle => "BINARY_DOUBLE",
        }
        .into(),
        "dec2" => {
            arity(1);
            dec2(dialect, &args[0])
        }
        "round_double" => {
            arity(2);
            match dialect {
                // PostgreSQL rounds only NUMERIC.
                Postgres => format!("CAST(ROUND(CAST({} AS NUMERIC), {}) AS DOUBLE PRECISION)", args[0], args[1]),
                _ => format!("ROUND({}, {})", args[0], args[1]),
            }
        }
        "true" => if dialect == Oracle { "1" } else { "TRUE" }.into(),
        "false" => if dialect == Oracle { "0" } else { "FALSE" }.into(),
        "date" => {
            arity(1);
            match dialect {
                Oracle => format!("TRUNC({})", args[0]),
                _ => format!("CAST({} AS DATE)", args[0]),
            }
        }
        "matches" => {
            arity(2);
            let (x, re) = (&args[0], &args[1]);
            let bare = re.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')).expect("regex literal");
            match dialect {
                DuckDb => format!("regexp_full_match({x}, {re})"),
                Postgres => format!("({x} ~ '^(?:{bare})$')"),
                Oracle => format!("REGEXP_LIKE({x}, '^({bare})$')"),
            }
        }
        "split_part" => {
            arity(3);
            let (x, sep, n) = (&args[0], &args[1], &args[2]);
            match dialect {
                Oracle => {
                    let bare = sep.trim_matches('\'');
                    format!("REGEXP_SUBSTR({x}, '[^{bare}]+', 1, {n})")
                }
                _ => format!("split_part({x}, {sep}, {n})"),
            }
        }
        "hours_between" => {
            arity(2);
            let (a, b) = (&args[0], &args[1]);
            match dialect {
                Oracle => format!("((CAST({b} AS DATE) - CAST({a} AS DATE)) * 24)"),
                _ => format!("(EXTRACT(EPOCH FROM ({b}) - ({a})) / 3600.0)"),
            }
        }
        "loa_ft" => {
            arity(1);
            LOA_FT.replace("%x", &args[0])
        }
        "make_date" => {
            arity(3);
            let (y, m, d) = (&args[0], &args[1], &args[2]);
            match dialect {
                // Oracle has no make_date; a fixed format keeps it independent of NLS settings.
                Oracle => format!(
                    "TO_DATE(LPAD(TO_CHAR({y}), 4, '0') || LPAD(TO_CHAR({m}), 2, '0') || LPAD(TO_CHAR({d}), 2, '0'), 'YYYYMMDD')"
                ),
                _ => format!("make_date({y}, {m}, {d})"),
            }
        }
        other => panic!("unknown SQL macro {{{{{other}}}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_macro_is_expanded_in_every_dialect() {
        for dialect in [Dialect::DuckDb, Dialect::Postgres, Dialect::Oracle] {
            let range = CalendarRange {
                start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                end: NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
            };
            let mut all = create_view_statements(dialect);
            all.push(calendar_bounds_query(dialect));
            all.extend(calendar_statements(dialect, &range));
            all.extend(location_subsidiary_statements(dialect, &[(1, 8)]));
            for sql in all {
                assert!(!sql.contains("{{") && !sql.contains("}}"), "{sql}");
            }
        }
    }

    #[test]
    fn nested_macros_and_quoted_commas() {
        let sql = expand("{{hours_between({{date(a)}}, f(b, 'x,)'))}}", Dialect::Postgres, &[]);
        assert_eq!(sql, "(EXTRACT(EPOCH FROM (f(b, 'x,)')) - (CAST(a AS DATE))) / 3600.0)");
        let sql = expand("{{matches(x, '[0-9]{1,2}')}}", Dialect::Postgres, &[]);
        assert_eq!(sql, "(x ~ '^(?:[0-9]{1,2})$')");
    }

    /// DuckDB's faster `dec2` rounds as the two exact casts do: on quotients, on binary
    /// fractions that fall exactly on a half at the 8th decimal, on both sides of 10^9
    /// and on NULL.
    #[test]
    fn duckdb_dec2_rounds_as_the_exact_casts() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let values = "SELECT (CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END) * i * 1.37 / 3.1 / (1 + i % 977) AS x FROM range(200000) t(i) \
                      UNION ALL SELECT (i // 40) / pow(2, i % 40) FROM range(200000) t(i) \
                      UNION ALL SELECT 999999990.005 + i / 1000.0 FROM range(20000) t(i) \
                      UNION ALL SELECT NULL";
        let fast = expand("{{dec2(x)}}", Dialect::DuckDb, &[]);
        let exact = expand("{{dec2(x)}}", Dialect::Postgres, &[]);
        assert!(fast.contains("DECIMAL(18,8)"), "{fast}");
        let (total, differing, wide): (i64, i64, i64) = conn
            .query_row(
                &format!(
                    "SELECT count(*), count(*) FILTER ({fast} IS DISTINCT FROM {exact}), count(*) FILTER (abs(x) >= 1e9) FROM ({values})"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((total, differing), (420_001, 0));
        assert!(wide > 0, "no value took the wide cast");
    }

    #[test]
    fn there_are_30_views() {
        assert_eq!(views(Dialect::DuckDb).len(), 30);
    }
}
