//! Publishing is all or nothing per source snapshot, even when the process dies.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::two_tables::{dw_values, two_table_snapshot};
use common::{binary, Backend, Env};

fn a_failure_after_some_merged_tables_leaves_every_table_as_before(backend: Backend) {
    let env = Env::new(backend);
    let config = env.config_file();
    two_table_snapshot(&env, "a.zip", 1, "Pier v1", "Marina v1");
    let ok = Command::new(binary()).args(["--config", config.to_str().unwrap(), "run", "--source", "molo"]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));

    two_table_snapshot(&env, "b.zip", 2, "Pier v2", "Marina v2");
    let failed = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .env("MARINA_ETL_FAULT", "fail-after-merge:1")
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert!(stdout.contains("publish failed, nothing changed: injected failure after 1 merged table(s)"), "{stdout}");
    assert_eq!(dw_values(&env), vec!["Marina v1|Pier v1"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 1);

    let retry = Command::new(binary()).args(["--config", config.to_str().unwrap(), "run", "--source", "molo"]).output().unwrap();
    assert_eq!(retry.status.code(), Some(0));
    assert_eq!(dw_values(&env), vec!["Marina v2|Pier v2"]);
}

/// A full disk when the run's end is recorded: what was published is reported, and the
/// run's record is ended with a shorter statement, as `partial` since its bookkeeping failed.
fn a_run_whose_end_cannot_be_fully_recorded_reports_what_it_published(backend: Backend) {
    let env = Env::new(backend);
    let config = env.config_file();
    two_table_snapshot(&env, "a.zip", 1, "Pier v1", "Marina v1");
    let run = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .env("MARINA_ETL_FAULT", "fail-run-end:1")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert_eq!(run.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("molo      published"), "{stdout}");
    assert!(stdout.contains("piers"), "the per-table lines are printed: {stdout}");
    assert!(
        stderr.contains("run ledger: the end of run 1 was recorded without its details (injected failure: No space left on device)"),
        "{stderr}"
    );
    assert_eq!(dw_values(&env), vec!["Marina v1|Pier v1"]);
    assert_eq!(
        env.lines("SELECT STATUS, ERROR_TEXT, FINISHED_AT IS NOT NULL FROM ETL_RUNS"),
        vec!["partial|the full record of this run's end could not be written|true"]
    );
}

/// When not even the short record can be written, the next run ends the record: as
/// `partial`, because the run published a source before its end was lost.
fn a_run_whose_end_cannot_be_recorded_is_ended_by_the_next(backend: Backend) {
    let env = Env::new(backend);
    let config = env.config_file();
    two_table_snapshot(&env, "a.zip", 1, "Pier v1", "Marina v1");
    let run = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .env("MARINA_ETL_FAULT", "fail-run-end")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert_eq!(run.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("molo      published"), "{stdout}");
    assert!(stderr.contains("the end of run 1 could not be recorded"), "{stderr}");
    assert_eq!(env.lines("SELECT STATUS FROM ETL_RUNS"), vec!["running"]);
    assert_eq!(dw_values(&env), vec!["Marina v1|Pier v1"]);

    let next = Command::new(binary()).args(["--config", config.to_str().unwrap(), "run", "--source", "molo"]).output().unwrap();
    assert_eq!(next.status.code(), Some(3), "{}", String::from_utf8_lossy(&next.stderr));
    assert_eq!(
        env.lines("SELECT RUN_ID, STATUS, ERROR_TEXT FROM ETL_RUNS ORDER BY RUN_ID"),
        vec!["1|partial|interrupted: the process ended before the run finished", "2|skipped|∅"]
    );
}

fn a_run_whose_views_cannot_be_rebuilt_is_not_a_success_but_keeps_what_it_published(backend: Backend) {
    let env = Env::new(backend);
    let config = env.config_file();
    two_table_snapshot(&env, "a.zip", 1, "Pier v1", "Marina v1");
    let run = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .env("MARINA_ETL_FAULT", "fail-views")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(dw_values(&env), vec!["Marina v1|Pier v1"]);
    assert_eq!(
        env.lines("SELECT STATUS, ERROR_TEXT FROM ETL_RUNS"),
        vec!["partial|calendar and views: injected failure before the views"]
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 1);
    let views = "SELECT COUNT(*) FROM information_schema.tables WHERE UPPER(table_name) LIKE 'DW_MOLO_DAILY_%'";
    assert_eq!(env.count(views), 0);

    // The next run rebuilds them although its snapshot is already loaded.
    let next = Command::new(binary()).args(["--config", config.to_str().unwrap(), "run", "--source", "molo"]).output().unwrap();
    assert_eq!(next.status.code(), Some(3));
    assert_eq!(env.count(views), 4);
}

fn a_process_killed_mid_merge_leaves_the_previous_snapshot_and_the_next_run_succeeds(backend: Backend) {
    let env = Env::new(backend);
    let config = env.config_file();
    two_table_snapshot(&env, "a.zip", 1, "Pier v1", "Marina v1");
    let ok = Command::new(binary()).args(["--config", config.to_str().unwrap(), "run", "--source", "molo"]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0));

    two_table_snapshot(&env, "b.zip", 2, "Pier v2", "Marina v2");
    let mut child = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .env("MARINA_ETL_FAULT", "pause-after-merge:1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut paused = false;
    for line in stderr.lines() {
        if line.unwrap().contains("pausing mid-merge") {
            paused = true;
            break;
        }
    }
    assert!(paused, "the child never reached the merge");
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(dw_values(&env), vec!["Marina v1|Pier v1"]);
    // The killed run's lock goes with its connection (PostgreSQL) or its process (DuckDB);
    // the server may take a moment to notice, as a scheduler's retry would.
    let next = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo", "--wait-lock", "30s"])
        .output()
        .unwrap();
    assert_eq!(next.status.code(), Some(0), "{}", String::from_utf8_lossy(&next.stderr));
    assert_eq!(dw_values(&env), vec!["Marina v2|Pier v2"]);
    assert_eq!(
        env.lines("SELECT STATUS, ERROR_TEXT FROM ETL_RUNS ORDER BY RUN_ID"),
        vec![
            "succeeded|∅",
            "failed|interrupted: the process ended before the run finished",
            "succeeded|∅",
        ]
    );
}

fn command_line_exit_codes_and_one_line_errors(backend: Backend) {
    let env = Env::new(backend);
    let config = env.config_file();
    let run = |args: &[&str]| {
        let out = Command::new(binary()).arg("--config").arg(&config).args(args).output().unwrap();
        (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stdout, _) = run(&["run", "--source", "molo"]);
    assert_eq!(code, 1);
    assert!(stdout.contains("no snapshot under"), "{stdout}");

    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n")]);
    let (code, stdout, _) = run(&["run", "--source", "molo"]);
    assert_eq!(code, 0);
    let phases = stdout.lines().find(|l| l.contains(": discover")).unwrap_or_else(|| panic!("no phase line: {stdout}"));
    for phase in ["fetch", "stage", "busy: decompress", "decode", "load", "merge"] {
        assert!(phases.contains(&format!("{phase} ")), "{phase} missing from: {phases}");
    }
    let (code, stdout, _) = run(&["run", "--source", "molo"]);
    assert_eq!(code, 3, "an already loaded snapshot is no new snapshot");
    assert!(stdout.contains("already loaded"), "{stdout}");

    let (code, _, stderr) = run(&["run", "--source", "nosuch"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown source 'nosuch'"), "{stderr}");

    let missing = Command::new(binary()).args(["--config", "/nonexistent.toml", "run"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&missing.stderr).trim(), "marina-etl: configuration file /nonexistent.toml does not exist");

    let (code, stdout, _) = run(&["status"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Recent runs") && stdout.contains("succeeded") && stdout.contains("skipped"), "{stdout}");

    let (code, stdout, _) = run(&["query", "SELECT ID, NAME FROM DW_MOLO_PIERS", "--format", "csv"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "ID,NAME\n1,A\n");
    let (code, _, stderr) = run(&["query", "DELETE FROM DW_MOLO_PIERS"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("read-only"), "the warehouse refuses the change: {stderr}");
}

fn environment_overrides_the_configuration_file(backend: Backend) {
    let env = Env::new(backend);
    let config = env.config_file();
    let elsewhere = env.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    common::write_snapshot_zip(&elsewhere.join("x.zip"), "molo", &[("Piers.csv", "Id,Name,MarinaLocationId\n7,Env,1\n")]);
    let out = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .env("MARINA_ETL_SOURCES__MOLO__LOCATION", &elsewhere)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS"), vec!["7|Env"]);
}

backend_tests!(
    a_failure_after_some_merged_tables_leaves_every_table_as_before,
    a_run_whose_views_cannot_be_rebuilt_is_not_a_success_but_keeps_what_it_published,
    a_run_whose_end_cannot_be_fully_recorded_reports_what_it_published,
    a_run_whose_end_cannot_be_recorded_is_ended_by_the_next,
    a_process_killed_mid_merge_leaves_the_previous_snapshot_and_the_next_run_succeeds,
    command_line_exit_codes_and_one_line_errors,
    environment_overrides_the_configuration_file,
);
