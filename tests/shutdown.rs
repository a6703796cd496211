//! SIGTERM during a run: no new work, a publish in progress finishes within the grace
//! period or is interrupted past it and rolls back; the source is either fully published
//! or untouched, the exit code says which (0 or 5), and the ledger records how the run
//! ended (never `running` without an end).

mod common;

use common::two_tables::{dw_values, two_table_snapshot};

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::process::Process;
use common::{Backend, Env, binary};

/// The configuration file, with `extra` TOML appended.
fn config_with(env: &Env, extra: &str) -> PathBuf {
    let path = env.config_file();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n{extra}\n")).unwrap();
    path
}

/// The latest run's status, whether it has an end, and its error text.
fn last_run(env: &Env) -> (String, bool, String) {
    let rows = env.query("SELECT STATUS, FINISHED_AT IS NOT NULL, ERROR_TEXT FROM ETL_RUNS ORDER BY RUN_ID DESC LIMIT 1");
    let r = &rows[0];
    (
        r[0].clone().unwrap(),
        r[1].as_deref() == Some("true"),
        r[2].clone().unwrap_or_default(),
    )
}

/// Day 1 published; day 2 dropped beside it.
fn day_one_loaded(env: &Env, config: &PathBuf) {
    two_table_snapshot(env, "a.zip", 1, "Pier v1", "Marina v1");
    let ok = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    two_table_snapshot(env, "b.zip", 2, "Pier v2", "Marina v2");
}

fn a_publish_that_finishes_within_the_grace_period_is_published_whole(backend: Backend) {
    let env = Env::new(backend);
    let config = config_with(&env, "[shutdown]\ngrace = \"60s\"");
    day_one_loaded(&env, &config);
    let mut run = Process::start(&config, &["run", "--source", "molo"], Some("pause-after-merge:1:3"));
    run.wait_for("pausing mid-merge");
    run.sigterm();
    assert_eq!(run.exit_code(Duration::from_secs(60)), Some(0), "{:#?}", run.seen);
    assert_eq!(dw_values(&env), vec!["Marina v2|Pier v2"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 2);
    let (status, ended, _) = last_run(&env);
    assert_eq!((status.as_str(), ended), ("succeeded", true));
}

fn past_the_grace_period_the_publish_is_interrupted_and_rolls_back(backend: Backend) {
    let env = Env::new(backend);
    let config = config_with(&env, "[shutdown]\ngrace = \"1s\"");
    day_one_loaded(&env, &config);
    // The pause would hold the publish for ten minutes.
    let mut run = Process::start(&config, &["run", "--source", "molo"], Some("pause-after-merge:1:600"));
    run.wait_for("pausing mid-merge");
    run.sigterm();
    assert_eq!(run.exit_code(Duration::from_secs(90)), Some(5), "{:#?}", run.seen);
    assert_eq!(dw_values(&env), vec!["Marina v1|Pier v1"], "the source is untouched");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 1);
    let (status, ended, text) = last_run(&env);
    assert_eq!((status.as_str(), ended), ("interrupted", true));
    assert!(text.contains("interrupted: the grace period after SIGTERM ran out"), "{text}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM ETL_RUN_TABLES WHERE STATUS = 'published' AND RUN_ID = (SELECT MAX(RUN_ID) FROM ETL_RUNS)"),
        0
    );

    // The next run loads what the interrupted one did not.
    let retry = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .output()
        .unwrap();
    assert_eq!(retry.status.code(), Some(0), "{}", String::from_utf8_lossy(&retry.stderr));
    assert_eq!(dw_values(&env), vec!["Marina v2|Pier v2"]);
}

/// A statement still running when the grace period ends is interrupted (DuckDB) or
/// canceled (PostgreSQL) by the engine, and its transaction rolls back.
fn a_statement_running_past_the_grace_period_is_interrupted(backend: Backend) {
    let env = Env::new(backend);
    let config = config_with(&env, "[shutdown]\ngrace = \"1s\"");
    day_one_loaded(&env, &config);
    let mut run = Process::start(&config, &["run", "--source", "molo"], Some("slow-statement-after-merge:1"));
    run.wait_for("running a slow statement mid-merge");
    run.sigterm();
    assert_eq!(run.exit_code(Duration::from_secs(90)), Some(5), "{:#?}", run.seen);
    assert_eq!(dw_values(&env), vec!["Marina v1|Pier v1"], "the source is untouched");
    let (status, ended, text) = last_run(&env);
    assert_eq!((status.as_str(), ended), ("interrupted", true));
    let engine_said = match backend {
        Backend::DuckDb => "Interrupt",
        Backend::Postgres => "canceling statement due to user request",
    };
    assert!(text.contains(engine_said), "{text}");
}

/// A source waiting for a late export is new work: it stops at once, nothing changed.
fn a_run_waiting_for_a_late_export_stops_at_once(backend: Backend) {
    let env = Env::new(backend);
    let config = config_with(&env, "[shutdown]\ngrace = \"60s\"");
    two_table_snapshot(&env, "a.zip", 1, "Pier v1", "Marina v1");
    let ok = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let mut run = Process::start(&config, &["run", "--source", "molo", "--wait", "10m", "--poll", "1s"], None);
    run.wait_for("waiting for a snapshot newer than the last loaded one");
    run.sigterm();
    // Well before the grace period: nothing was publishing.
    assert_eq!(run.exit_code(Duration::from_secs(30)), Some(5), "{:#?}", run.seen);
    let (status, ended, text) = last_run(&env);
    assert_eq!((status.as_str(), ended), ("interrupted", true));
    assert!(
        text.contains("molo: stopped by SIGTERM before it was published; nothing of it changed"),
        "{text}"
    );
    assert_eq!(dw_values(&env), vec!["Marina v1|Pier v1"]);
}

backend_tests!(
    a_publish_that_finishes_within_the_grace_period_is_published_whole,
    past_the_grace_period_the_publish_is_interrupted_and_rolls_back,
    a_statement_running_past_the_grace_period_is_interrupted,
    a_run_waiting_for_a_late_export_stops_at_once,
);
