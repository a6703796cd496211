//! Volume anomalies: a history of daily generated snapshots, then a day with one table
//! cut to half.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use common::{set_day, Backend, Env};
use marina_etl::catalog::System;
use marina_etl::generate::{self, GenerateOptions};
use marina_etl::run::RunStatus;

/// `from` with the member `member` cut to its header and the first half of its lines.
fn cut_member_to_half(from: &Path, to: &Path, member: &str) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut content = String::new();
        file.read_to_string(&mut content).unwrap();
        if name == member {
            let lines: Vec<&str> = content.lines().collect();
            let keep = 1 + (lines.len() - 1) / 2;
            content = lines[..keep].join("\n") + "\n";
        }
        out.start_file(name, options).unwrap();
        out.write_all(content.as_bytes()).unwrap();
    }
    out.finish().unwrap();
}

/// status|message of the volume check of `table` in run `run_id`.
fn volume(env: &Env, run_id: i64, table: &str) -> String {
    env.lines(&format!(
        "SELECT STATUS, MESSAGE FROM ETL_CHECK_RESULTS WHERE RUN_ID = {run_id} AND KIND = 'anomaly' AND TABLE_NAME = '{table}'"
    ))
    .join("\n")
}

fn a_table_cut_to_half_is_a_volume_anomaly(backend: Backend) {
    let mut env = Env::new(backend);
    let rules = env.dir.path().join("none.toml");
    std::fs::write(&rules, "").unwrap();
    env.config.checks.rules = Some(rules);
    let generated = tempfile::tempdir().unwrap();
    let summary = generate::generate(&GenerateOptions { out: generated.path().into(), scale: 0.01, days: 8, ..GenerateOptions::default() }).unwrap();
    let days: Vec<PathBuf> = summary.snapshots.iter().filter(|s| s.system == System::Molo).map(|s| s.path.clone()).collect();
    assert_eq!(days.len(), 8);
    for (i, path) in days.iter().take(7).enumerate() {
        let to = env.folder("molo").join(path.file_name().unwrap());
        std::fs::copy(path, &to).unwrap();
        set_day(&to, i as u64 + 1);
        let outcome = env.run(&["molo"]);
        assert_eq!(outcome.status, RunStatus::Succeeded, "day {}: {:?}", i + 1, outcome.sources[0].message);
    }
    // Five earlier runs are needed before a table is judged.
    assert!(volume(&env, 5, "reservations").starts_with("pass|4 earlier successful run(s), 5 needed"), "{}", volume(&env, 5, "reservations"));
    assert!(volume(&env, 6, "reservations").starts_with("pass|within the usual volume of 5 earlier run(s)"), "{}", volume(&env, 6, "reservations"));
    let flagged_on_normal_days = env.count("SELECT COUNT(*) FROM ETL_CHECK_RESULTS WHERE KIND = 'anomaly' AND STATUS <> 'pass' AND TABLE_NAME = 'reservations'");
    assert_eq!(flagged_on_normal_days, 0);

    let cut = env.folder("molo").join(days[7].file_name().unwrap());
    cut_member_to_half(&days[7], &cut, "Reservations.csv");
    set_day(&cut, 8);
    let outcome = env.run_with(&["molo"], false, true);
    // A warning: recorded and reported, the run still succeeds.
    assert_eq!(outcome.status, RunStatus::Succeeded);
    let flagged = volume(&env, 8, "reservations");
    assert!(flagged.starts_with("warn|rows ") && flagged.contains("against a median of") && flagged.contains("over 7 earlier run(s)"), "{flagged}");
    let others = env.count("SELECT COUNT(*) FROM ETL_CHECK_RESULTS WHERE RUN_ID = 8 AND KIND = 'anomaly' AND STATUS <> 'pass' AND TABLE_NAME NOT IN ('reservations', 'invoices', 'invoice_items')");
    assert_eq!(others, 0, "{:?}", env.lines("SELECT TABLE_NAME, MESSAGE FROM ETL_CHECK_RESULTS WHERE RUN_ID = 8 AND KIND = 'anomaly' AND STATUS <> 'pass'"));

    // The flagged run is left out of later baselines: the same half table is flagged
    // again, against the seven normal days only.
    let again = env.run_with(&["molo"], true, true);
    assert_eq!(again.run_id, 9);
    let flagged = volume(&env, 9, "reservations");
    assert!(flagged.starts_with("warn|rows ") && flagged.contains("over 7 earlier run(s)"), "{flagged}");
}

backend_tests!(a_table_cut_to_half_is_a_volume_anomaly);
