//! Fault injection for tests of the publish step: `MARINA_ETL_FAULT=fail-after-merge:N`
//! makes the publish transaction fail after merging N tables, `pause-after-merge:N`
//! holds it open for a minute there so a test can kill the process mid-merge
//! (`pause-after-merge:N:SECONDS` for another length, e.g. to hold the run lock a while).

use std::time::Duration;

/// Called after each table merged inside a publish transaction.
pub fn after_merge(tables_merged: usize) -> Result<(), String> {
    let Ok(spec) = std::env::var("MARINA_ETL_FAULT") else { return Ok(()) };
    let mut parts = spec.split(':');
    let action = parts.next().unwrap_or_default();
    let n = parts.next().unwrap_or("1");
    let pause = parts.next().and_then(|s| s.parse().ok()).map_or(Duration::from_secs(60), Duration::from_secs);
    if n.parse::<usize>().ok() != Some(tables_merged) {
        return Ok(());
    }
    match action {
        "fail-after-merge" => Err(format!("injected failure after {tables_merged} merged table(s)")),
        "pause-after-merge" => {
            eprintln!("marina-etl: pausing mid-merge (MARINA_ETL_FAULT)");
            std::thread::sleep(pause);
            Ok(())
        }
        _ => Ok(()),
    }
}
