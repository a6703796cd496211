//! Fault injection for tests of the publish step: `MARINA_ETL_FAULT=fail-after-merge:N`
//! makes the publish transaction fail after merging N tables, `pause-after-merge:N`
//! holds it open for a minute there so a test can kill the process mid-merge, and
//! `fail-views` makes the rebuild of the calendar and views fail.

use std::time::Duration;

/// Called after each table merged inside a publish transaction.
pub fn after_merge(tables_merged: usize) -> Result<(), String> {
    let Ok(spec) = std::env::var("MARINA_ETL_FAULT") else { return Ok(()) };
    let (action, n) = spec.split_once(':').unwrap_or((spec.as_str(), "1"));
    if n.parse::<usize>().ok() != Some(tables_merged) {
        return Ok(());
    }
    match action {
        "fail-after-merge" => Err(format!("injected failure after {tables_merged} merged table(s)")),
        "pause-after-merge" => {
            eprintln!("marina-etl: pausing mid-merge (MARINA_ETL_FAULT)");
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Called before the calendar and views are rebuilt at the end of a run.
pub fn before_views() -> Result<(), String> {
    match std::env::var("MARINA_ETL_FAULT") {
        Ok(spec) if spec == "fail-views" => Err("injected failure before the views".into()),
        _ => Ok(()),
    }
}
