//! `marina-etl export`: Parquet and a manifest, read back with pyarrow (an independent
//! reader), incremental, never half-written, to a folder and to S3 (moto).

mod common;
#[path = "common/s3.rs"]
mod s3;

use std::path::Path;
use std::process::Command;

use s3::{python, S3Env};
use common::{binary, Backend, Env};
use marina_etl::catalog::Catalog;
use marina_etl::export::{export, ExportOptions};
use marina_etl::generate::{self, GenerateOptions};

/// Loads two generated days (the second on top of the first, when `both`) into `env`.
fn load_generated(env: &Env, archive: &Path, both: bool) {
    let opts = GenerateOptions {
        out: archive.to_path_buf(),
        scale: 0.01,
        seed: 11,
        date: chrono::NaiveDate::from_ymd_opt(2025, 12, 21).unwrap(),
        days: 2,
    };
    if !archive.join("molo").exists() {
        generate::generate(&opts).unwrap();
    }
    for system in ["molo", "stellar", "netsuite"] {
        let mut files: Vec<_> = std::fs::read_dir(archive.join(system)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files.iter().take(if both { 2 } else { 1 }) {
            let to = env.folder(system).join(file.file_name().unwrap());
            if !to.exists() {
                std::fs::copy(file, &to).unwrap();
                let modified = std::fs::metadata(file).unwrap().modified().unwrap();
                std::fs::File::options().write(true).open(&to).unwrap().set_modified(modified).unwrap();
            }
        }
    }
    let code = env.run(&[]).exit_code();
    assert!(code == 0 || code == 4, "load: exit {code}");
}

/// What pyarrow reads of the export at `dest` (see tests/support/read_export.py).
fn read_back(dest: &str, asked: &[&str], env_vars: &[(&str, &str)]) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/read_export.py");
    let out = Command::new(python()).arg(script).arg(dest).args(asked).envs(env_vars.iter().copied()).output().unwrap();
    assert!(out.status.success(), "read_export.py: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every relation of the manifest read back whole, and its rows those of the warehouse.
fn assert_matches_warehouse(env: &Env, read: &serde_json::Value, expected_relations: usize) {
    let relations = read["relations"].as_object().unwrap();
    assert_eq!(relations.len(), expected_relations, "{:?}", relations.keys().collect::<Vec<_>>());
    for (name, r) in relations {
        assert!(r.get("error").is_none(), "{name}: {}", r["error"]);
        let count = env.count(&format!("SELECT COUNT(*) FROM {name}"));
        assert_eq!(r["rows"].as_i64(), Some(count), "{name}");
        assert_eq!(r["manifest_rows"].as_i64(), Some(count), "{name}");
    }
}

fn values(read: &serde_json::Value, relation: &str) -> Vec<String> {
    read["relations"][relation]["values"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn options(to: &str) -> ExportOptions {
    ExportOptions { to: to.to_string(), views: true, history: true, ..ExportOptions::default() }
}

/// Every table, view and history table.
fn all() -> usize {
    let tables = Catalog::get().tables();
    tables.len() + tables.iter().filter(|t| t.history).count() + marina_etl::views::views(marina_etl::warehouse::Dialect::DuckDb).len()
}

/// Versions of three days, one of them valid from midnight exactly.
fn spread_invoice_history_over_three_days(env: &Env) {
    env.execute("UPDATE HIST_MOLO_INVOICES SET VALID_FROM = VALID_FROM - INTERVAL '1 day' WHERE MOD(ID, 3) = 1");
    env.execute("UPDATE HIST_MOLO_INVOICES SET VALID_FROM = CAST(CAST(VALID_FROM AS DATE) AS TIMESTAMP) - INTERVAL '2 days' WHERE MOD(ID, 3) = 2");
}

/// A day's file holds the versions of that day, the first instant of it included.
fn assert_history_days_hold_their_versions(env: &Env, lake: &marina_etl::export::Manifest) {
    let hist = lake.relations.iter().find(|r| r.name == "HIST_MOLO_INVOICES").unwrap();
    let per_day: Vec<String> = hist.files.iter().map(|f| format!("{}|{}", f.partition.as_deref().unwrap_or_default(), f.rows)).collect();
    let expected = env.lines(
        "SELECT 'valid_from_date=' || CAST(CAST(VALID_FROM AS DATE) AS VARCHAR), COUNT(*) FROM HIST_MOLO_INVOICES GROUP BY 1 ORDER BY 1",
    );
    assert_eq!(per_day, expected);
    assert_eq!(expected.len(), 3, "{expected:?}");
}

/// A view that reads other views reads the files the export at `to` wrote of them: the
/// same schema and rows as when computed alone, in the warehouse.
fn assert_views_read_from_files_match_views_alone(env: &Env, to: &str, lake: &marina_etl::export::Manifest) {
    for name in ["DW_MOLO_MONTHLY_OCCUPANCY_VW", "DW_STELLAR_MONTHLY_BOAT_REVENUE_VW", "DW_MOLO_MONTHLY_REVENUE_BY_SLIP_TYPE_VW"] {
        let alone_dest = env.dir.path().join(format!("alone-{name}"));
        let alone_to = alone_dest.to_str().unwrap();
        let alone = export(&env.config, &ExportOptions { tables: Some(name.to_string()), ..options(alone_to) }).unwrap();
        let schema_of = |m: &marina_etl::export::Manifest| m.relations.iter().find(|r| r.name == name).unwrap().schema.clone();
        assert_eq!(schema_of(lake), schema_of(&alone.manifest), "{name}");
        let columns: Vec<String> = schema_of(&alone.manifest).into_iter().map(|c| c.name).collect();
        let asked = format!("{name}:{}", columns.join(","));
        let rows = values(&read_back(to, &[&asked], &[]), name);
        assert!(!rows.is_empty(), "{name}");
        assert_eq!(rows, values(&read_back(alone_to, &[&asked], &[]), name), "{name}");
    }
}

fn an_export_reads_back_with_pyarrow_and_is_incremental(backend: Backend) {
    let env = Env::new(backend);
    let archive = tempfile::tempdir().unwrap();
    load_generated(&env, archive.path(), false);
    spread_invoice_history_over_three_days(&env);
    let dest = env.dir.path().join("lake");
    let to = dest.to_str().unwrap();
    let first = export(&env.config, &options(to)).unwrap();
    assert_history_days_hold_their_versions(&env, &first.manifest);
    assert_eq!((first.manifest.export_id, first.kept), (1, 0));

    let asked = ["DW_MOLO_SLIPS:ID,NAME,DW_DELETED_AT", "HIST_MOLO_INVOICES:ID,TOTAL,DW_RUN_ID"];
    let read = read_back(to, &asked, &[]);
    assert_matches_warehouse(&env, &read, all());
    let slips = env.lines("SELECT ID, NAME, DW_DELETED_AT FROM DW_MOLO_SLIPS ORDER BY 1");
    let mut from_parquet = values(&read, "DW_MOLO_SLIPS");
    from_parquet.sort_by_key(|l| l.split('|').next().unwrap().parse::<i64>().unwrap());
    assert_eq!(from_parquet, slips);
    assert!(!slips.is_empty());
    // Decimals: as numbers, whatever their scale in the file.
    let totals = |rows: Vec<String>| -> Vec<(i64, Option<f64>)> {
        let mut v: Vec<(i64, Option<f64>)> = rows
            .iter()
            .map(|l| {
                let f: Vec<&str> = l.split('|').collect();
                (f[0].parse().unwrap(), f[1].parse().ok())
            })
            .collect();
        v.sort_by_key(|x| x.0);
        v
    };
    assert_eq!(
        totals(values(&read, "HIST_MOLO_INVOICES")),
        totals(env.lines("SELECT ID, CAST(TOTAL AS DOUBLE PRECISION) FROM HIST_MOLO_INVOICES"))
    );
    // Hive partitions of the history by the day versions became valid.
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dest.join("manifest.json")).unwrap()).unwrap();
    let hist = manifest["relations"].as_array().unwrap().iter().find(|r| r["name"] == "HIST_MOLO_INVOICES").unwrap();
    assert!(hist["files"][0]["path"].as_str().unwrap().starts_with("history/HIST_MOLO_INVOICES/valid_from_date="), "{hist}");
    assert!(manifest["snapshots"].as_array().unwrap().len() == 3 && manifest["last_run_id"] == 1, "{manifest}");

    assert_views_read_from_files_match_views_alone(&env, to, &first.manifest);

    // Nothing changed: nothing written.
    let second = export(&env.config, &options(to)).unwrap();
    assert_eq!((second.manifest.export_id, second.written), (2, 0));
    // The next day: the changed tables, the views that read them and the history days
    // touched, not the rest.
    load_generated(&env, archive.path(), true);
    let third = export(&env.config, &options(to)).unwrap();
    assert!(third.written > 10 && third.kept > 0, "written {}, kept {}", third.written, third.kept);
    let rewritten = |name: &str| {
        let r = third.manifest.relations.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("{name} exported"));
        r.files.iter().any(|f| f.path.contains("part-000003"))
    };
    let all_views = marina_etl::views::views(marina_etl::warehouse::Dialect::DuckDb);
    let (mut views_kept, mut views_rewritten) = (0, 0);
    for v in &all_views {
        let reads = marina_etl::views::reads(&v.select, &all_views);
        if reads.tables.iter().any(|t| rewritten(&t.dw_name())) {
            assert!(rewritten(v.name), "{} reads a table that changed", v.name);
        }
        if rewritten(v.name) { views_rewritten += 1 } else { views_kept += 1 }
    }
    assert!(views_kept > 0 && views_rewritten > 0, "kept {views_kept}, rewritten {views_rewritten}");
    let read = read_back(to, &[], &[]);
    assert_matches_warehouse(&env, &read, all());
    // The files of replaced relations are gone: only those the manifest names remain.
    let on_disk = walk(&dest).into_iter().filter(|p| p.ends_with(".parquet")).count();
    let named: usize = third.manifest.relations.iter().map(|r| r.files.len()).sum();
    assert_eq!(on_disk, named);
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p.display().to_string()) }
    }
    out
}

/// An export that fails midway leaves the previous manifest, and every file it names, as
/// they were; `--tables` picks relations by pattern.
fn an_interrupted_export_leaves_the_previous_manifest_valid(backend: Backend) {
    let env = Env::new(backend);
    let archive = tempfile::tempdir().unwrap();
    load_generated(&env, archive.path(), false);
    let dest = env.dir.path().join("lake");
    let to = dest.to_str().unwrap();
    let config = env.config_file();
    let run = |args: &[&str], fault: Option<&str>| {
        let mut c = Command::new(binary());
        c.args(["--config", config.to_str().unwrap(), "export", "--to", to]).args(args);
        if let Some(f) = fault {
            c.env("MARINA_ETL_FAULT", f);
        }
        c.output().unwrap()
    };
    let ok = run(&["--tables", "DW_MOLO_*"], None);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let before = std::fs::read(dest.join("manifest.json")).unwrap();
    let read = read_back(to, &[], &[]);
    let molo = Catalog::get().tables_of(marina_etl::catalog::System::Molo).count();
    assert_matches_warehouse(&env, &read, molo);

    load_generated(&env, archive.path(), true);
    let failed = run(&["--tables", "DW_MOLO_*", "--full"], Some("fail-export-after:5"));
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("injected failure after 5 exported file(s)"));
    assert_eq!(std::fs::read(dest.join("manifest.json")).unwrap(), before, "the manifest was replaced");
    let read = read_back(to, &[], &[]);
    for (name, r) in read["relations"].as_object().unwrap() {
        assert!(r.get("error").is_none(), "{name}: {}", r["error"]);
        assert_eq!(r["rows"], r["manifest_rows"], "{name}");
    }
    let retried = run(&["--tables", "DW_MOLO_*"], None);
    assert_eq!(retried.status.code(), Some(0));
    assert_matches_warehouse(&env, &read_back(to, &[], &[]), molo);
}

/// An export to S3 (moto) reads back the same.
#[test]
fn an_export_to_s3_reads_back_with_pyarrow() {
    let mut s3 = S3Env::new("export-lake");
    // The snapshots come from local folders; only the export goes to S3.
    for system in ["molo", "stellar", "netsuite"] {
        let folder = s3.folder(system).display().to_string();
        s3.config.sources.get_mut(system).unwrap().location = folder;
    }
    let archive = tempfile::tempdir().unwrap();
    load_generated(&s3, archive.path(), false);
    let to = "s3://export-lake/lake/v1";
    let done = export(&s3.config, &options(to)).unwrap();
    assert_eq!(done.written, done.manifest.relations.iter().map(|r| r.files.len()).sum::<usize>());
    let keys = [
        ("S3_HELPER_ENDPOINT", s3.moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", s3.moto.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", s3.moto.secret_access_key.as_str()),
    ];
    let read = read_back(to, &["DW_MOLO_SLIPS:ID,NAME"], &keys);
    assert_matches_warehouse(&s3, &read, all());
    let mut slips = values(&read, "DW_MOLO_SLIPS");
    slips.sort_by_key(|l| l.split('|').next().unwrap().parse::<i64>().unwrap());
    assert_eq!(slips, s3.lines("SELECT ID, NAME FROM DW_MOLO_SLIPS ORDER BY 1"));
}

backend_tests!(an_export_reads_back_with_pyarrow_and_is_incremental, an_interrupted_export_leaves_the_previous_manifest_valid);
