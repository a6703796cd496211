//! One run at a time per warehouse: two processes started together never both merge.
//! The first to take the run lock holds it for a few seconds inside its publish
//! (`MARINA_ETL_FAULT=pause-after-merge:1:3`), so the other meets a run in progress.

mod common;

use std::process::{Child, Command, Output, Stdio};

use common::{binary, Backend, Env};

const PIERS: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n";

fn start(env: &Env, extra: &[&str]) -> Child {
    let config = env.config_file();
    Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .args(extra)
        .env("MARINA_ETL_FAULT", "pause-after-merge:1:3")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> (i32, String) {
    let Output { status, stderr, .. } = child.wait_with_output().unwrap();
    (status.code().expect("exit code"), String::from_utf8_lossy(&stderr).into_owned())
}

fn merges(outputs: &[(i32, String)]) -> usize {
    outputs.iter().filter(|(_, err)| err.contains("pausing mid-merge")).count()
}

fn without_waiting_the_second_run_refuses_at_once(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS)]);
    let (a, b) = (start(&env, &[]), start(&env, &[]));
    let mut outputs = vec![finish(a), finish(b)];
    outputs.sort();
    assert_eq!(outputs[0].0, 0, "one run loads: {outputs:?}");
    assert_eq!(outputs[1].0, 1, "the other refuses: {outputs:?}");
    assert_eq!(
        outputs[1].1.trim(),
        "marina-etl: another run is in progress on this warehouse; not started (use --wait-lock DURATION to wait for it)"
    );
    assert_eq!(merges(&outputs), 1, "exactly one merge: {outputs:?}");
    assert_eq!(env.lines("SELECT STATUS FROM ETL_RUNS"), vec!["succeeded"], "the refused run never started");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 1);
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID"), vec!["1|A", "2|B"]);
}

fn with_wait_lock_the_second_run_waits_then_finds_the_snapshot_loaded(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS)]);
    let (a, b) = (start(&env, &["--wait-lock", "2m"]), start(&env, &["--wait-lock", "2m"]));
    let mut outputs = vec![finish(a), finish(b)];
    outputs.sort();
    assert_eq!(outputs[0].0, 0, "one run loads: {outputs:?}");
    assert_eq!(outputs[1].0, 3, "the other waits, then has no new snapshot: {outputs:?}");
    assert!(outputs[1].1.contains("another run is in progress on this warehouse; waiting up to 2m"), "{outputs:?}");
    assert_eq!(merges(&outputs), 1, "exactly one merge: {outputs:?}");
    assert_eq!(env.lines("SELECT STATUS FROM ETL_RUNS ORDER BY RUN_ID"), vec!["succeeded", "skipped"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_RUN_TABLES WHERE ROWS_INSERTED > 0"), 1);
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID"), vec!["1|A", "2|B"]);
}

fn a_lock_wait_that_runs_out_says_how_long_it_waited(backend: Backend) {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS)]);
    let holder = start(&env, &[]);
    // Wait until the holder is inside its publish, so that it surely holds the lock.
    let holder_out = {
        let mut holder = holder;
        let stderr = holder.stderr.take().unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
        assert!(lines.any(|l| l.unwrap().contains("pausing mid-merge")), "the holder never reached the merge");
        let config = env.config_file();
        let waiter = Command::new(binary())
            .args(["--config", config.to_str().unwrap(), "run", "--source", "molo", "--wait-lock", "500ms"])
            .output()
            .unwrap();
        assert_eq!(waiter.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&waiter.stderr).contains("another run is in progress on this warehouse (waited 500ms)"),
            "{}",
            String::from_utf8_lossy(&waiter.stderr)
        );
        lines.for_each(drop);
        holder.wait().unwrap()
    };
    assert_eq!(holder_out.code(), Some(0));
    assert_eq!(env.lines("SELECT STATUS FROM ETL_RUNS"), vec!["succeeded"]);
}

backend_tests!(
    without_waiting_the_second_run_refuses_at_once,
    with_wait_lock_the_second_run_waits_then_finds_the_snapshot_loaded,
    a_lock_wait_that_runs_out_says_how_long_it_waited,
);
