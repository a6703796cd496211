//! Fault injection for tests of the publish step: `MARINA_ETL_FAULT=fail-after-merge:N`
//! makes the publish transaction fail after merging N tables, `pause-after-merge:N`
//! holds it open for a minute there so a test can kill the process mid-merge
//! (`pause-after-merge:N:SECONDS` for another length, e.g. to hold the run lock a while);
//! `fail-views` makes the rebuild of the calendar and views fail;
//! `wait-after-listing:FILE` holds a source between choosing its snapshot and reading it
//! until FILE exists, so a test can delete or replace the object in between.

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

/// Called before the calendar and views are rebuilt at the end of a run.
pub fn before_views() -> Result<(), String> {
    match std::env::var("MARINA_ETL_FAULT") {
        Ok(spec) if spec == "fail-views" => Err("injected failure before the views".into()),
        _ => Ok(()),
    }
}

/// Called between choosing a source's snapshot and reading it.
pub fn after_listing(key: &str) -> Result<(), String> {
    let Ok(spec) = std::env::var("MARINA_ETL_FAULT") else { return Ok(()) };
    let Some(file) = spec.strip_prefix("wait-after-listing:") else { return Ok(()) };
    eprintln!("marina-etl: paused after listing {key} (MARINA_ETL_FAULT)");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !std::path::Path::new(file).exists() {
        if std::time::Instant::now() > deadline {
            return Err(format!("injected pause: {file} never appeared"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
