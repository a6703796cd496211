//! A run killed at any point leaves each source exactly as before the run or exactly as
//! after it, and the next run ends the killed run's record and loads what is left.
//!
//! Day 1 of generated snapshots of all three sources is loaded; then a run of day 2 is
//! killed (SIGKILL) at points spread over its whole length, from listing to the last
//! publish, each on a fresh warehouse. Per source, the warehouse's contents (every
//! contract column and whether the row is live, of every `DW_` table) must then equal
//! those after day 1 or those after day 2.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};


use common::{binary, set_day, Backend, Env};
use marina_etl::catalog::{Catalog, System};
use marina_etl::generate::{generate, GenerateOptions};

/// Kill points per backend, spread evenly over a full run's duration.
const KILLS: u32 = 5;

/// The generated snapshots of one source, oldest first.
fn snapshots(generated: &Path, system: System) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(generated.join(system.name())).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    files
}

/// Puts day `day` (0 or 1) of every source into the environment's source folders.
fn drop_day(env: &Env, generated: &Path, day: usize) {
    for system in System::ALL {
        let file = &snapshots(generated, system)[day];
        let target = env.folder(system.name()).join(file.file_name().unwrap());
        std::fs::copy(file, &target).unwrap();
        set_day(&target, day as u64 + 1);
    }
}

/// Per source, a digest of every `DW_` table's contract columns and liveness.
fn contents(env: &Env) -> BTreeMap<System, String> {
    use sha2::{Digest, Sha256};
    System::ALL
        .into_iter()
        .map(|system| {
            let mut hasher = Sha256::new();
            for table in Catalog::get().tables_of(system) {
                let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
                let keys: Vec<&str> = table.key_columns().map(|c| c.name.as_str()).collect();
                let rows = env.lines(&format!(
                    "SELECT {}, DW_DELETED_AT IS NULL FROM {} ORDER BY {}",
                    columns.join(", "),
                    table.dw_name(),
                    keys.join(", ")
                ));
                hasher.update(format!("{}:{}\n{}\n", table.name, rows.len(), rows.join("\n")));
            }
            (system, hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
        })
        .collect()
}

fn run_binary(env: &Env, fault: Option<&str>) -> std::process::Child {
    let mut command = Command::new(binary());
    command.args(["--config", env.config_file().to_str().unwrap(), "run", "--wait-lock", "30s"]);
    // Only a paused run's standard error is read: an unread pipe could fill and block.
    let stderr = match fault {
        Some(fault) => {
            command.env("MARINA_ETL_FAULT", fault);
            Stdio::piped()
        }
        None => Stdio::null(),
    };
    command.stdout(Stdio::null()).stderr(stderr).spawn().unwrap()
}

/// Waits until the child says `words` on its standard error.
fn wait_for(child: &mut std::process::Child, words: &str) {
    use std::io::{BufRead, BufReader};
    let stderr = BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        if line.unwrap().contains(words) {
            return;
        }
    }
    panic!("the run ended without saying '{words}'");
}

/// How the sweep kills a run: at a fixed point the run announces, or after a delay.
enum KillPoint {
    /// Every source has merged one table of its publish transaction.
    MidMerge,
    /// Every source has published; the calendar, views and the run's end are left.
    BeforeViews,
    After(Duration),
}

/// A fresh warehouse with day 1 loaded and day 2 waiting in the source folders.
fn day_one(backend: Backend, generated: &Path) -> Env {
    let env = Env::new(backend);
    drop_day(&env, generated, 0);
    assert_eq!(env.run(&[]).exit_code(), 0);
    drop_day(&env, generated, 1);
    env
}

fn a_run_killed_at_any_point_leaves_each_source_before_or_after(backend: Backend) {
    let generated = tempfile::tempdir().unwrap();
    // A summer day: every source, Stellar's rentals too, changes from one day to the next.
    let date = chrono::NaiveDate::from_ymd_opt(2025, 7, 15).unwrap();
    let options = GenerateOptions { out: generated.path().to_path_buf(), scale: 0.02, days: 2, date, ..GenerateOptions::default() };
    generate(&options).unwrap();

    // The two states a source may be in, and how long an unhindered run of day 2 takes.
    let reference = day_one(backend, generated.path());
    let before = contents(&reference);
    let started = Instant::now();
    let status = run_binary(&reference, None).wait().unwrap();
    let full_run = started.elapsed();
    assert_eq!(status.code(), Some(0));
    let after = contents(&reference);
    for system in System::ALL {
        assert_ne!(before[&system], after[&system], "{system}: day 2 must change something");
    }

    // Two points the run announces, then points spread over its whole length.
    let points = [KillPoint::MidMerge, KillPoint::BeforeViews]
        .into_iter()
        .chain((1..=KILLS).map(|k| KillPoint::After(full_run.mul_f64(f64::from(k) / f64::from(KILLS + 1)))));
    let mut seen = BTreeMap::new();
    for (i, point) in points.enumerate() {
        let env = day_one(backend, generated.path());
        let mut child = match point {
            KillPoint::MidMerge => {
                let mut child = run_binary(&env, Some("pause-after-merge:1"));
                wait_for(&mut child, "pausing mid-merge");
                child
            }
            KillPoint::BeforeViews => {
                let mut child = run_binary(&env, Some("pause-before-views"));
                wait_for(&mut child, "pausing before the views");
                child
            }
            KillPoint::After(delay) => {
                let child = run_binary(&env, None);
                std::thread::sleep(delay);
                child
            }
        };
        child.kill().unwrap();
        child.wait().unwrap();

        let now = contents(&env);
        for system in System::ALL {
            let state = if now[&system] == before[&system] {
                "before"
            } else if now[&system] == after[&system] {
                "after"
            } else {
                panic!("{system}, kill point {i}: neither as before nor as after the run")
            };
            *seen.entry((system, state)).or_insert(0) += 1;
            match (i, state) {
                (0, "before") | (1, "after") | (2.., _) => {}
                _ => panic!("{system}, kill point {i}: {state}"),
            }
        }

        // The next run ends the killed run's record and loads whatever is left.
        let status = run_binary(&env, None).wait().unwrap();
        assert!(matches!(status.code(), Some(0 | 3)), "after kill point {i}: {status:?}");
        assert_eq!(contents(&env), after, "after kill point {i}, the next run completes day 2");
        assert_eq!(env.count("SELECT COUNT(*) FROM ETL_RUNS WHERE STATUS = 'running'"), 0);
        // The killed run, if it got as far as the ledger and not to its end, is ended as
        // interrupted.
        let runs = env.lines("SELECT STATUS, ERROR_TEXT FROM ETL_RUNS ORDER BY RUN_ID");
        let interrupted = "interrupted: the process ended before the run finished";
        match runs.as_slice() {
            [_day_one, _next] => {}
            [_day_one, killed, _next] => assert!(
                *killed == format!("failed|{interrupted}")
                    || *killed == format!("partial|{interrupted}")
                    || killed == "succeeded|∅",
                "kill point {i}: {runs:?}"
            ),
            _ => panic!("kill point {i}: {runs:?}"),
        }
    }
    eprintln!("kill sweep ({backend:?}, full run {full_run:?}): {seen:?}");
}

backend_tests!(a_run_killed_at_any_point_leaves_each_source_before_or_after);
