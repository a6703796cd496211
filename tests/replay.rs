//! `marina-etl replay`: the stored snapshots of a period loaded in order.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{binary, Backend, Env};
use marina_etl::catalog::{Catalog, System};
use marina_etl::generate::{self, GenerateOptions};

/// Three daily MOLO snapshots (2025-12-19 to 21) of the generator, oldest first (the
/// other sources' are generated beside them, see [`days_of`]).
fn three_days(dir: &Path) -> Vec<PathBuf> {
    let opts = GenerateOptions {
        out: dir.to_path_buf(),
        scale: 0.01,
        seed: 7,
        date: chrono::NaiveDate::from_ymd_opt(2025, 12, 21).unwrap(),
        days: 3,
    };
    generate::generate(&opts).unwrap();
    days_of(dir, System::Molo)
}

/// The three generated snapshots of `system` under `dir`, oldest first.
fn days_of(dir: &Path, system: System) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(system.name())).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    files
}

/// Cuts a snapshot to its first half, as an interrupted upload leaves it.
fn truncate(file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    std::fs::write(file, &bytes[..bytes.len() / 2]).unwrap();
}

/// Copies a snapshot into the MOLO folder of `env`, keeping its last-modified time.
fn drop_in(env: &Env, file: &Path) -> PathBuf {
    drop_in_source(env, "molo", file)
}

fn drop_in_source(env: &Env, system: &str, file: &Path) -> PathBuf {
    let to = env.folder(system).join(file.file_name().unwrap());
    std::fs::copy(file, &to).unwrap();
    let modified = std::fs::metadata(file).unwrap().modified().unwrap();
    std::fs::File::options().write(true).open(&to).unwrap().set_modified(modified).unwrap();
    to
}

fn replay(env: &Env, from: &str, to: &str) -> (i32, String) {
    replay_sources(env, &["--source", "molo"], from, to)
}

fn replay_sources(env: &Env, sources: &[&str], from: &str, to: &str) -> (i32, String) {
    let config = env.config_file();
    let out = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "replay"])
        .args(sources)
        .args(["--from", from, "--to", to])
        .output()
        .unwrap();
    (out.status.code().unwrap(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Every MOLO DW_ row and every version of its history tables, as text, in a stable order:
/// contract values, whether live (or current), the delete flag and the run id (the publish
/// times differ between two warehouses).
fn molo_contents(env: &Env) -> Vec<(String, Vec<String>)> {
    contents(env, System::Molo)
}

fn contents(env: &Env, system: System) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for t in Catalog::get().tables_of(system) {
        let columns: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        let mut rows = env.lines(&format!(
            "SELECT {}, DW_DELETED_AT IS NULL, DW_RUN_ID FROM {}",
            columns.join(", "),
            t.dw_name()
        ));
        rows.sort();
        out.push((t.dw_name(), rows));
        if t.history {
            let mut versions = env.lines(&format!(
                "SELECT {}, VALID_TO IS NULL, ENDS_IN_DELETE, DW_RUN_ID FROM {}",
                columns.join(", "),
                t.history_name()
            ));
            versions.sort();
            out.push((t.history_name(), versions));
        }
    }
    out
}

fn a_replay_of_several_days_equals_loading_them_one_by_one(backend: Backend) {
    let archive = tempfile::tempdir().unwrap();
    let days = three_days(archive.path());

    let replayed = Env::new(backend);
    for file in &days {
        drop_in(&replayed, file);
    }
    let (code, output) = replay(&replayed, "2025-12-19", "2025-12-21");
    assert_eq!(code, 0, "{output}");
    assert_eq!(replayed.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS WHERE SOURCE = 'molo'"), 3);

    let one_by_one = Env::new(backend);
    for file in &days {
        drop_in(&one_by_one, file);
        assert_eq!(one_by_one.run(&["molo"]).exit_code(), 0);
    }
    let (a, b) = (molo_contents(&replayed), molo_contents(&one_by_one));
    for ((name, rows_a), (_, rows_b)) in a.iter().zip(&b) {
        assert_eq!(rows_a, rows_b, "{name}");
    }
    // The days changed rows, so history holds more than the last day's live rows.
    let versions: i64 = ["HIST_MOLO_RESERVATIONS", "HIST_MOLO_INVOICES", "HIST_MOLO_INVOICE_ITEMS"]
        .iter()
        .map(|t| replayed.count(&format!("SELECT COUNT(*) FROM {t} WHERE VALID_TO IS NOT NULL OR DW_RUN_ID > 1")))
        .sum();
    assert!(versions > 0, "the replay loaded only one day");

    // Replayed again: every snapshot already loaded, no run.
    let runs = replayed.count("SELECT COUNT(*) FROM ETL_RUNS");
    let (code, output) = replay(&replayed, "2025-12-19", "2025-12-21");
    assert_eq!(code, 0, "{output}");
    assert_eq!(output.matches("already loaded").count(), 6, "{output}");
    assert_eq!(replayed.count("SELECT COUNT(*) FROM ETL_RUNS"), runs);
    // A period without snapshots.
    assert_eq!(replay(&replayed, "2024-01-01", "2024-01-31").0, 3);
}

/// A snapshot that fails stops the replay: the days after it are not loaded.
fn a_replay_stops_at_the_first_failing_snapshot(backend: Backend) {
    let archive = tempfile::tempdir().unwrap();
    let days = three_days(archive.path());
    let env = Env::new(backend);
    for file in &days {
        drop_in(&env, file);
    }
    // Day 2 arrives truncated.
    truncate(&env.folder("molo").join(days[1].file_name().unwrap()));
    let (code, output) = replay(&env, "2025-12-19", "2025-12-21");
    assert_eq!(code, 1, "{output}");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_RUNS"), 2, "{output}");
    let day3 = days[2].file_name().unwrap().to_str().unwrap();
    assert!(!output.contains(day3), "{output}");
}

/// Without `--source`, every source is replayed, a day's three snapshots in one run; the
/// warehouse equals one loaded by a run of all sources each day.
fn a_replay_of_every_source_loads_each_day_in_one_run(backend: Backend) {
    let archive = tempfile::tempdir().unwrap();
    three_days(archive.path());
    let systems = System::ALL;
    let replayed = Env::new(backend);
    for system in systems {
        for file in days_of(archive.path(), system) {
            drop_in_source(&replayed, system.name(), &file);
        }
    }
    let (code, output) = replay_sources(&replayed, &[], "2025-12-19", "2025-12-21");
    assert_eq!(code, 0, "{output}");
    for system in systems {
        let loaded = replayed.count(&format!("SELECT COUNT(*) FROM ETL_SNAPSHOTS WHERE SOURCE = '{}'", system.name()));
        assert_eq!(loaded, 3, "{system:?}: {output}");
    }
    assert_eq!(replayed.count("SELECT COUNT(*) FROM ETL_RUNS"), 3, "one run a day: {output}");

    let one_by_one = Env::new(backend);
    for day in 0..3 {
        for system in systems {
            drop_in_source(&one_by_one, system.name(), &days_of(archive.path(), system)[day]);
        }
        assert_eq!(one_by_one.run(&[]).exit_code(), 0);
    }
    for system in systems {
        for ((name, rows_a), (_, rows_b)) in contents(&replayed, system).iter().zip(&contents(&one_by_one, system)) {
            assert_eq!(rows_a, rows_b, "{name}");
        }
    }
}

/// Of every source: a MOLO snapshot that fails stops the replay after its day; that day's
/// other sources are published, no source's next day is loaded, and the exit code is 1.
fn a_replay_of_every_source_stops_after_the_day_that_fails(backend: Backend) {
    let archive = tempfile::tempdir().unwrap();
    let molo_days = three_days(archive.path());
    let env = Env::new(backend);
    for system in System::ALL {
        for file in days_of(archive.path(), system) {
            drop_in_source(&env, system.name(), &file);
        }
    }
    truncate(&env.folder("molo").join(molo_days[1].file_name().unwrap()));
    let (code, output) = replay_sources(&env, &[], "2025-12-19", "2025-12-21");
    assert_eq!(code, 1, "{output}");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_RUNS"), 2, "{output}");
    let loaded = |source: &str| env.count(&format!("SELECT COUNT(*) FROM ETL_SNAPSHOTS WHERE SOURCE = '{source}'"));
    assert_eq!((loaded("molo"), loaded("stellar"), loaded("netsuite")), (1, 2, 2), "{output}");
}

backend_tests!(
    a_replay_of_every_source_stops_after_the_day_that_fails,
    a_replay_of_several_days_equals_loading_them_one_by_one,
    a_replay_stops_at_the_first_failing_snapshot,
    a_replay_of_every_source_loads_each_day_in_one_run
);
