//! Field validation: sampled rows read again from the archive and compared field by
//! field with the warehouse.

mod common;

use common::{Backend, Env};
use marina_etl::check::fields::Sample;
use marina_etl::check::{self, CheckOptions, CheckStatus, RuleSet};
use marina_etl::run::{RunOptions, RunStatus};
use marina_etl::warehouse;

fn env_without_rules(backend: Backend) -> Env {
    let mut env = Env::new(backend);
    let path = env.dir.path().join("none.toml");
    std::fs::write(&path, "").unwrap();
    env.config.checks.rules = Some(path);
    env
}

/// Slips 1..=n named S<id>, at location 1 or 2; the names of 7, 8 and 9 run over two lines
/// (`\n`, `\r\n`, a lone `\r`), so that the lines of the records after them are not their
/// order, and 11's is unquoted with a quote in it (which the parser keeps as data, and which
/// sends field validation the slow way through its member).
fn slips(env: &Env, n: u32) {
    let mut csv = String::from("Id,Name,MarinaLocationId,Status\n");
    for i in 1..=n {
        if i == 11 {
            csv.push_str("11,S11 pier \"2,\"1\",active\n");
            continue;
        }
        let next_line = match i {
            7 => "\n",
            8 => "\r\n",
            9 => "\r",
            _ => "",
        };
        csv.push_str(&format!("{i},\"S{i}, pier \"\"{}\"\"{next_line}\",{},active\n", i % 3, 1 + i % 2));
    }
    env.zip("molo", "20251221050003.zip", 1, &[("Slips.csv", &csv)]);
}

fn check_fields(env: &Env, sample: Sample) -> Vec<check::CheckResult> {
    let rules = RuleSet::load(env.config.checks.rules.as_deref()).unwrap();
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    let mut s = wh.session().unwrap();
    let opts = CheckOptions { sources: vec!["molo".parse().unwrap()], sample: Some(sample), config: Some(env.config.clone()) };
    let results = check::check_warehouse(wh.as_ref(), s.as_mut(), &rules, &opts).unwrap();
    results.into_iter().filter(|r| r.kind == "field_validation").collect()
}

fn slips_result(results: &[check::CheckResult]) -> &check::CheckResult {
    results.iter().find(|r| r.table.as_deref() == Some("slips")).expect("slips compared")
}

fn a_load_compares_sampled_fields_with_the_file(backend: Backend) {
    let env = env_without_rules(backend);
    slips(&env, 30);
    let outcome = env.run_opts(RunOptions {
        sources: vec!["molo".parse().unwrap()],
        validate_fields: Some(Sample { rows: 10, seed: 7 }),
        ..RunOptions::default()
    });
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.sources[0].checks);
    let recorded = env.lines("SELECT STATUS, FAILING_ROWS, MESSAGE FROM ETL_CHECK_RESULTS WHERE KIND = 'field_validation' AND TABLE_NAME = 'slips'");
    assert_eq!(recorded, vec!["pass|0|10 row(s) compared (a sample of 10 row(s), seed 7): 0 not live in the warehouse, 0 with different fields"]);
    // Every published table was compared (the header-only ones with no row).
    let published = env.count("SELECT COUNT(*) FROM ETL_RUN_TABLES WHERE STATUS = 'published'");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_CHECK_RESULTS WHERE KIND = 'field_validation' AND STATUS = 'pass'"), published);
}

/// Both ways of comparing: every row (the warehouse compares) and a sample that takes
/// every row here (compared by marina-etl).
fn a_warehouse_cell_changed_by_hand_after_a_load_is_caught(backend: Backend) {
    for rows in [0, 1000] {
        a_changed_cell_is_caught_comparing(backend, Sample { rows, seed: 1 });
    }
}

fn a_changed_cell_is_caught_comparing(backend: Backend, all: Sample) {
    let env = env_without_rules(backend);
    slips(&env, 30);
    assert_eq!(env.run(&["molo"]).status, RunStatus::Succeeded);
    let before = check_fields(&env, all);
    assert_eq!(slips_result(&before).status, CheckStatus::Pass);
    assert!(slips_result(&before).message.as_deref().unwrap().starts_with("30 row(s) compared"), "{:?}", slips_result(&before).message);

    let wh = warehouse::open(&env.config.warehouse).unwrap();
    let mut s = wh.session().unwrap();
    s.execute("UPDATE DW_MOLO_SLIPS SET NAME = 'renamed by hand' WHERE ID = 4").unwrap();
    s.execute("UPDATE DW_MOLO_SLIPS SET STATUS = NULL WHERE ID = 5").unwrap();
    s.execute("UPDATE DW_MOLO_SLIPS SET DW_DELETED_AT = DW_LAST_UPDATED WHERE ID = 6").unwrap();
    drop(s);
    drop(wh);
    let results = check_fields(&env, all);
    let slips = slips_result(&results);
    assert_eq!((slips.status, slips.failing_rows), (CheckStatus::Fail, 3), "{all:?}");
    assert_eq!(
        slips.failing_keys,
        vec![
            "ID=6 (row): file 'present', warehouse NULL",
            "ID=4 NAME: file 'S4, pier \"1\"', warehouse 'renamed by hand'",
            "ID=5 STATUS: file 'active', warehouse NULL",
        ]
    );
    assert_eq!(
        env.lines("SELECT TABLE_NAME, KEY_TEXT, COLUMN_NAME, FILE_VALUE, WAREHOUSE_VALUE FROM ETL_CHECK_DIFFERENCES ORDER BY KEY_TEXT"),
        vec!["slips|ID=4|NAME|S4, pier \"1\"|renamed by hand", "slips|ID=5|STATUS|active|∅", "slips|ID=6|(row)|present|∅"]
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_CHECK_RESULTS WHERE KIND = 'field_validation' AND STATUS = 'fail' AND RUN_ID IS NULL"), 1);
}

fn the_sample_is_the_same_for_the_same_seed(backend: Backend) {
    let env = env_without_rules(backend);
    slips(&env, 60);
    assert_eq!(env.run(&["molo"]).status, RunStatus::Succeeded);
    // Every row differs now: the differences name the sampled keys.
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    wh.session().unwrap().execute("UPDATE DW_MOLO_SLIPS SET NAME = 'x'").unwrap();
    drop(wh);
    let keys = |seed: u64| {
        let results = check_fields(&env, Sample { rows: 5, seed });
        let r = slips_result(&results);
        assert_eq!(r.failing_rows, 5, "{r:?}");
        let mut keys: Vec<String> = r.failing_keys.clone();
        keys.sort();
        keys
    };
    let first = keys(11);
    assert_eq!(first, keys(11));
    assert_ne!(first, keys(12));
}

/// Stellar's gzip tar is read once for all its tables.
fn the_tables_of_a_gzip_tar_are_compared_too(backend: Backend) {
    let env = env_without_rules(backend);
    env.tar_gz(
        "prod_resilient_2025-12-21_07_01-DATA.sql.gz",
        1,
        &[("data/locations.csv", "id,code,location_name\n1,N,North\n2,S,South\n"), ("data/styles.csv", "id,location_id,style_name\n7,1,Pontoon\n")],
    );
    assert_eq!(env.run(&["stellar"]).status, RunStatus::Succeeded);
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    wh.session().unwrap().execute("UPDATE DW_STELLAR_STYLES SET STYLE_NAME = 'Yacht' WHERE ID = 7").unwrap();
    drop(wh);
    let rules = RuleSet::load(env.config.checks.rules.as_deref()).unwrap();
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    let mut s = wh.session().unwrap();
    let opts = CheckOptions { sources: vec!["stellar".parse().unwrap()], sample: Some(Sample { rows: 100, seed: 5 }), config: Some(env.config.clone()) };
    let results = check::check_warehouse(wh.as_ref(), s.as_mut(), &rules, &opts).unwrap();
    let fields: Vec<String> = results
        .iter()
        .filter(|r| r.kind == "field_validation" && matches!(r.table.as_deref(), Some("locations" | "styles")))
        .map(|r| format!("{}|{}|{}", r.table.as_deref().unwrap(), r.status.as_str(), r.failing_keys.join("; ")))
        .collect();
    assert_eq!(fields, vec!["locations|pass|", "styles|fail|ID=7 STYLE_NAME: file 'Pontoon', warehouse 'Yacht'"]);
}

backend_tests!(
    the_tables_of_a_gzip_tar_are_compared_too,
    a_load_compares_sampled_fields_with_the_file,
    a_warehouse_cell_changed_by_hand_after_a_load_is_caught,
    the_sample_is_the_same_for_the_same_seed,
);
