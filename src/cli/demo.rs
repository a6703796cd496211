//! `marina-etl demo`: sample snapshots generated, loaded into ./marina.duckdb, shown.

use std::path::Path;

use super::exit;
use crate::catalog::System;
use crate::config::Config;
use crate::generate::{self, GenerateOptions};
use crate::html_report;
use crate::report;
use crate::run::RunOptions;
use crate::warehouse::{self};
use super::commands::run_with_progress;
use super::{CliError, Out};

/// Where the demo keeps its data and warehouse.
pub const DEMO_DATA: &str = "demo-data";
pub const DEMO_WAREHOUSE: &str = "marina.duckdb";
pub const DEMO_REPORT: &str = "marina-report.html";

pub(super) fn demo(out: &mut Out, scale: f64, progress: bool) -> Result<i32, CliError> {
    let data = Path::new(DEMO_DATA);
    let config_file = data.join("marina-etl.toml");
    if config_file.exists() {
        out.line(format_args!("Using the sample snapshots in ./{DEMO_DATA} (delete the folder to generate anew)."))?;
    } else {
        out.line(format_args!("Generating sample snapshots of MOLO, Stellar and NetSuite into ./{DEMO_DATA} ..."))?;
        let opts = GenerateOptions::demo(data.to_path_buf(), scale);
        let summary = generate::generate(&opts).map_err(|e| CliError::new(exit::SOURCE_FAILED, format!("{e:#}")))?;
        std::fs::write(&config_file, demo_config(&summary.location_subsidiary))
            .map_err(|e| CliError::new(exit::SOURCE_FAILED, format!("cannot write {}: {e}", config_file.display())))?;
    }
    let config = Config::load(Some(&config_file))?;
    out.line(format_args!("Loading them into ./{DEMO_WAREHOUSE} ...\n"))?;
    let outcome = run_with_progress(&config, &RunOptions::default(), progress)?;
    out.line(report::run_summary(&outcome))?;
    let wh = warehouse::open(&config.warehouse)?;
    let mut s = wh.session()?;
    let per_system = s.query_rows(
        "SELECT SOURCE, COUNT(*) AS TABLES, SUM(ROWS_STAGED) AS ROWS_LOADED, SUM(ROWS_REJECTED) AS REJECTS \
           FROM ETL_RUN_TABLES WHERE RUN_ID = (SELECT MAX(RUN_ID) FROM ETL_RUN_TABLES) GROUP BY SOURCE ORDER BY SOURCE",
    )?;
    out.line(format_args!("What loaded (latest run that read a snapshot)\n{}", report::text_table(&per_system)))?;
    for (title, sql) in HEADLINES {
        match s.query_rows(sql) {
            Ok(rows) => out.line(format_args!("{title}\n{}", report::text_table(&rows)))?,
            Err(e) => tracing::debug!("headline '{title}' unavailable: {e}"),
        }
    }
    let report_file = Path::new(DEMO_REPORT);
    match html_report::write(s.as_mut(), &html_report::ReportOptions::default(), report_file) {
        Ok(w) => out.line(format_args!(
            "The managers' report, {} to {}: ./{DEMO_REPORT} (open it in a browser)\n",
            w.period.from, w.period.to
        ))?,
        Err(e) => tracing::warn!("the demo's report could not be written: {e}"),
    }
    let cfg = config_file.display();
    out.line(format_args!("Explore further:"))?;
    out.line(format_args!("  marina-etl --config {cfg} status"))?;
    out.line(format_args!("  marina-etl --config {cfg} report --out report.html --from 2025-06-01 --to 2025-08-31"))?;
    out.line(format_args!("  marina-etl --config {cfg} query DW_MOLO_DAILY_OCCUPANCY_RATE_VW --limit 20"))?;
    out.line(format_args!("  marina-etl --config {cfg} query DW_STELLAR_DAILY_RENTALS_VW --limit 20"))?;
    out.line(format_args!("  marina-etl --config {cfg} query \"SELECT POSTING_MONTH_NUM, SUM(NET_PROFIT) FROM DW_NS_X_FIN_REPORT_V GROUP BY 1 ORDER BY 1\""))?;
    Ok(outcome.exit_code())
}

/// The demo's configuration: the embedded default warehouse, sources in ./demo-data.
fn demo_config(location_subsidiary: &[(i64, i64)]) -> String {
    let mut out = format!("[warehouse]\nurl = \"duckdb://{DEMO_WAREHOUSE}\"\n");
    for system in System::ALL {
        out.push_str(&format!("\n[sources.{0}]\nlocation = \"{DEMO_DATA}/{0}\"\n", system.name()));
    }
    out.push_str("\n[molo.location_subsidiary]\n");
    for (location, subsidiary) in location_subsidiary {
        out.push_str(&format!("{location} = {subsidiary}\n"));
    }
    out
}

/// The day the newest MOLO snapshot was exported: "yesterday" is the day before.
const SNAPSHOT_DAY: &str = "(SELECT CAST(MAX(LAST_MODIFIED) AS DATE) FROM ETL_SNAPSHOTS WHERE SOURCE = 'molo')";

/// Headline figures of the demo, read from the views.
const HEADLINES: &[(&str, &str)] = &[
    (
        "Occupancy per marina, the day before the snapshot",
        const_format::concatcp!(
            "SELECT MARINA_LOCATION_NAME, SLIPS, OCCUPIED_SLIPS, OCCUPANCY_PCT FROM DW_MOLO_DAILY_OCCUPANCY_RATE_VW \
              WHERE CALENDAR_DATE = ",
            SNAPSHOT_DAY,
            " - 1 ORDER BY 1"
        ),
    ),
    (
        "Rentals over the 7 days before the snapshot",
        const_format::concatcp!(
            "SELECT COUNT(DISTINCT BOOKING_BOAT_ID) AS RENTALS, ROUND(COALESCE(SUM(REVENUE_ON_DATE), 0), 2) AS RENTAL_REVENUE \
               FROM DW_STELLAR_DAILY_RENTALS_VW WHERE CALENDAR_DATE BETWEEN ",
            SNAPSHOT_DAY,
            " - 7 AND ",
            SNAPSHOT_DAY,
            " - 1"
        ),
    ),
    (
        "Net profit of the month before the snapshot's month",
        const_format::concatcp!(
            "SELECT POSTING_MONTH_NUM, SUM(NET_PROFIT) AS NET_PROFIT FROM DW_NS_X_FIN_REPORT_V \
              WHERE POSTING_MONTH_NUM = CAST(strftime(date_trunc('month', ",
            SNAPSHOT_DAY,
            ") - INTERVAL 1 MONTH, '%Y%m') AS INTEGER) GROUP BY 1"
        ),
    ),
];
