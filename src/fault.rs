//! Fault injection for tests of the publish step: `MARINA_ETL_FAULT=fail-after-merge:N`
//! makes the publish transaction fail after merging N tables, `pause-after-merge:N`
//! holds it open for a minute there so a test can kill the process mid-merge
//! (`pause-after-merge:N:SECONDS` for another length, e.g. to hold the run lock a while);
//! `fail-views` makes the rebuild of the calendar and views fail, `pause-before-views`
//! holds the run there for a minute (every source published, the run not yet ended);
//! `fail-run-end` makes the ledger's writes at the end of the run fail (as on a full disk),
//! `fail-run-end:1` only the first of them;
//! `slow-statement-after-merge:N` runs a statement of minutes there instead (see
//! [`slow_statement_after_merge`]); both pauses end early when a shutdown's grace period runs out;
//! `fail-export-after:N` makes `export` fail after writing N files (before its manifest);
//! `wait-after-listing:FILE` holds a source between choosing its snapshot and reading it
//! until FILE exists, so a test can delete or replace the object in between.

use std::time::Duration;

/// A failure injected by `MARINA_ETL_FAULT`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Injected(String);

/// Called after each table merged inside a publish transaction.
pub fn after_merge(tables_merged: usize) -> Result<(), Injected> {
    let Ok(spec) = std::env::var("MARINA_ETL_FAULT") else { return Ok(()) };
    let mut parts = spec.split(':');
    let action = parts.next().unwrap_or_default();
    let n = parts.next().unwrap_or("1");
    let pause = parts.next().and_then(|s| s.parse().ok()).map_or(Duration::from_secs(60), Duration::from_secs);
    if n.parse::<usize>().ok() != Some(tables_merged) {
        return Ok(());
    }
    match action {
        "fail-after-merge" => Err(Injected(format!("injected failure after {tables_merged} merged table(s)"))),
        "pause-after-merge" => {
            eprintln!("marina-etl: pausing mid-merge (MARINA_ETL_FAULT)");
            pause_unless_past_grace(pause);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `slow-statement-after-merge:N`: after N merged tables, the publish runs a statement that
/// takes minutes, so that a test can see it interrupted (DuckDB) or canceled (PostgreSQL).
pub fn slow_statement_after_merge(tables_merged: usize, dialect: crate::warehouse::Dialect) -> Option<&'static str> {
    let spec = std::env::var("MARINA_ETL_FAULT").ok()?;
    let n: usize = spec.strip_prefix("slow-statement-after-merge:")?.parse().ok()?;
    (n == tables_merged).then(|| match dialect {
        crate::warehouse::Dialect::Postgres => "SELECT pg_sleep(600)",
        _ => "SELECT SUM(range) FROM range(1000000000000000)",
    })
}

/// Sleeps like a slow statement would run: until `pause` is over, or until the grace
/// period after SIGTERM ends (when a statement would be interrupted).
fn pause_unless_past_grace(pause: Duration) {
    let until = std::time::Instant::now() + pause;
    while std::time::Instant::now() < until && !crate::serve::shutdown::past_grace() {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Called before the calendar and views are rebuilt at the end of a run.
pub fn before_views() -> Result<(), Injected> {
    match std::env::var("MARINA_ETL_FAULT") {
        Ok(spec) if spec == "fail-views" => Err(Injected("injected failure before the views".into())),
        Ok(spec) if spec == "pause-before-views" => {
            eprintln!("marina-etl: pausing before the views (MARINA_ETL_FAULT)");
            pause_unless_past_grace(Duration::from_secs(60));
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Called between choosing a source's snapshot and reading it.
pub fn after_listing(key: &str) -> Result<(), Injected> {
    let Ok(spec) = std::env::var("MARINA_ETL_FAULT") else { return Ok(()) };
    let Some(file) = spec.strip_prefix("wait-after-listing:") else { return Ok(()) };
    eprintln!("marina-etl: paused after listing {key} (MARINA_ETL_FAULT)");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !std::path::Path::new(file).exists() {
        if std::time::Instant::now() > deadline {
            return Err(Injected(format!("injected pause: {file} never appeared")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Called before each write of the ledger at the end of a run (`attempt` counts from 1).
pub fn before_run_end(attempt: usize) -> Result<(), Injected> {
    match std::env::var("MARINA_ETL_FAULT").as_deref() {
        Ok("fail-run-end") => Err(Injected("injected failure: No space left on device".into())),
        Ok("fail-run-end:1") if attempt == 1 => Err(Injected("injected failure: No space left on device".into())),
        _ => Ok(()),
    }
}

/// Called after each file an export writes (`written` counts from 1).
pub fn after_export_file(written: usize) -> Result<(), Injected> {
    match std::env::var("MARINA_ETL_FAULT").ok().and_then(|s| s.strip_prefix("fail-export-after:").map(str::to_string)) {
        Some(n) if n.parse::<usize>().ok() == Some(written) => Err(Injected(format!("injected failure after {written} exported file(s)"))),
        _ => Ok(()),
    }
}
