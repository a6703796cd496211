//! The checks that prove every load: reconciliation, the data-quality rules of every
//! kind, blocking rules, and the rule file's own checking. Each on a snapshot made to
//! break it and one that passes, asserting the rows of ETL_CHECK_RESULTS.

mod common;

use std::process::Command;

use common::{binary, Backend, Env};
use marina_etl::check::{self, CheckOptions, RuleSet};
use marina_etl::run::{exit, RunStatus};
use marina_etl::warehouse;

/// Every rule kind but `balanced`, on MOLO's reservations and slips.
const MOLO_RULES: &str = r#"
[[rule]]
name = "slip_named"
kind = "not_null"
table = "molo.slips"
columns = ["NAME"]

[[rule]]
name = "slip_name_unique"
kind = "unique"
table = "molo.slips"
columns = ["NAME", "MARINA_LOCATION_ID"]

[[rule]]
name = "reservation_slip"
kind = "relationship"
table = "molo.reservations"
columns = ["SLIP_ID", "MARINA_LOCATION_ID"]
references = "molo.slips"
ref_columns = ["ID", "MARINA_LOCATION_ID"]

[[rule]]
name = "reservation_status"
kind = "accepted_values"
table = "molo.reservations"
column = "RESERVATION_STATUS_ID"
values = [1, 2, 4, 5]

[[rule]]
name = "stay_forward"
kind = "expression"
table = "molo.reservations"
expression = "SCHEDULED_DEPARTURE_TIME >= SCHEDULED_ARRIVAL_TIME"
severity = "warn"

[[rule]]
name = "reservations_fresh"
kind = "freshness"
table = "molo.reservations"
column = "CREATION_TIME"
max_age_days = 3

[[rule]]
name = "few_cancelled"
kind = "expression"
table = "molo.reservations"
expression = "RESERVATION_STATUS_ID <> 5"
warn_if = "> 34%"
error_if = "> 50%"
"#;

fn with_rules(env: &mut Env, rules: &str) {
    let path = env.dir.path().join("checks.toml");
    std::fs::write(&path, rules).unwrap();
    env.config.checks.rules = Some(path);
}

const SLIP_HEADER: &str = "Id,Name,MarinaLocationId\n";
const RESERVATION_HEADER: &str = "Id,MarinaLocationId,CreationTime,ReservationStatusId,SlipId,ScheduledArrivalTime,ScheduledDepartureTime\n";

/// A MOLO snapshot exported 2025-12-21 05:00:03 with these slips and reservations.
fn molo(env: &Env, name: &str, day: u64, slips: &str, reservations: &str) {
    let slips = format!("{SLIP_HEADER}{slips}");
    let reservations = format!("{RESERVATION_HEADER}{reservations}");
    env.zip("molo", name, day, &[("Slips.csv", &slips), ("Reservations.csv", &reservations)]);
}

const GOOD_SLIPS: &str = "1,A1,1\n2,A2,1\n3,B1,2\n";
const GOOD_RESERVATIONS: &str = "10,1,12/19/2025 10:00:00,4,1,12/01/2025 12:00:00,12/05/2025 12:00:00\n\
                                 11,2,12/20/2025 09:00:00,1,3,12/02/2025 12:00:00,12/04/2025 12:00:00\n\
                                 12,1,12/20/2025 11:00:00,5,2,12/03/2025 12:00:00,12/06/2025 12:00:00\n";

/// status|observed|failing rows|failing keys of one check of the latest run.
fn result(env: &Env, check: &str) -> String {
    let rows = env.lines(&format!(
        "SELECT STATUS, OBSERVED, FAILING_ROWS, FAILING_KEYS FROM ETL_CHECK_RESULTS \
          WHERE CHECK_NAME = '{check}' AND RUN_ID = (SELECT MAX(RUN_ID) FROM ETL_CHECK_RESULTS)"
    ));
    assert_eq!(rows.len(), 1, "{check}: {rows:?}");
    rows[0].clone()
}


fn every_rule_kind_passes_on_a_clean_snapshot(backend: Backend) {
    let mut env = Env::new(backend);
    with_rules(&mut env, MOLO_RULES);
    molo(&env, "20251221050003.zip", 1, GOOD_SLIPS, GOOD_RESERVATIONS);
    let outcome = env.run(&["molo"]);
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.sources[0].checks);
    assert_eq!(outcome.exit_code(), exit::OK);
    // One of three reservations cancelled: not above the warning's 34%.
    assert_eq!(result(&env, "few_cancelled"), "pass|1.0|1|ID=12");
    for check in ["slip_named", "slip_name_unique", "reservation_slip", "reservation_status", "stay_forward"] {
        assert_eq!(result(&env, check), "pass|0.0|0|∅", "{check}");
    }
    // Newest creation 2025-12-20 11:00, exported 2025-12-21 05:00:03: 0.75 days old.
    assert_eq!(result(&env, "reservations_fresh"), "pass|0.75|0|∅");
    let recorded = env.lines("SELECT RUN_ID, SOURCE, TABLE_NAME, KIND, SEVERITY, THRESHOLD FROM ETL_CHECK_RESULTS WHERE CHECK_NAME = 'few_cancelled'");
    assert_eq!(recorded, vec!["1|molo|reservations|expression|error|warn_if > 34%, error_if > 50%"]);
}

fn every_rule_kind_fails_on_a_snapshot_made_to_break_it(backend: Backend) {
    let mut env = Env::new(backend);
    with_rules(&mut env, MOLO_RULES);
    // A slip without a name; two slips named B1 at location 2; reservation 11 on slip 3
    // at the wrong location (composite key), 13 on a slip that does not exist; status 7
    // not accepted; 12 leaves before it arrives; the newest creation is 20 days old; two
    // of four cancelled (50%: a warning, not above the error's 50%).
    let slips = "1,,1\n2,B1,2\n3,B1,2\n";
    let reservations = "10,1,12/01/2025 10:00:00,4,1,12/01/2025 12:00:00,12/05/2025 12:00:00\n\
                        11,1,11/20/2025 09:00:00,7,3,12/02/2025 12:00:00,12/04/2025 12:00:00\n\
                        12,1,11/20/2025 11:00:00,5,1,12/06/2025 12:00:00,12/03/2025 12:00:00\n\
                        13,2,11/20/2025 11:00:00,5,99,12/03/2025 12:00:00,12/06/2025 12:00:00\n";
    molo(&env, "20251221050003.zip", 1, slips, reservations);
    let outcome = env.run(&["molo"]);
    assert_eq!(outcome.status, RunStatus::ChecksFailed);
    assert_eq!(outcome.exit_code(), exit::CHECK_FAILED);
    // The data stays published: the rules were not blocking.
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_RESERVATIONS"), 4);
    assert_eq!(result(&env, "slip_named"), "fail|1.0|1|ID=1");
    assert_eq!(result(&env, "slip_name_unique"), "fail|1.0|1|NAME=B1, MARINA_LOCATION_ID=2");
    assert_eq!(result(&env, "reservation_slip"), "fail|2.0|2|ID=11; ID=13");
    assert_eq!(result(&env, "reservation_status"), "fail|1.0|1|ID=11");
    assert_eq!(result(&env, "stay_forward"), "warn|1.0|1|ID=12");
    assert_eq!(result(&env, "reservations_fresh"), "fail|19.792|1|∅");
    assert_eq!(result(&env, "few_cancelled"), "warn|2.0|2|ID=12; ID=13");
    let text = env.lines("SELECT STATUS, ERROR_TEXT FROM ETL_RUNS");
    assert!(text[0].starts_with("checks_failed|") && text[0].contains("check reservation_slip (relationship) on molo.reservations: fail"), "{text:?}");
    assert!(!text[0].contains("stay_forward"), "warnings are not errors: {text:?}");
}

const NETSUITE_RULES: &str = r#"
[[rule]]
name = "books_balance"
kind = "balanced"
table = "netsuite.transaction_accounting_line"

[[rule]]
name = "periods_balance"
kind = "balanced"
table = "netsuite.transaction_accounting_line"
by = "period_subsidiary"

[[rule]]
name = "accounting_line_line"
kind = "relationship"
table = "netsuite.transaction_accounting_line"
columns = ["TRANSACTION_ID", "LINE_ID"]
references = "netsuite.transaction_line"
ref_columns = ["TRANSACTION_ID", "LINE_ID"]
"#;

/// A NetSuite snapshot: transaction 1 (period 10, lines 0 and 1 of subsidiary 1) with
/// primary-book lines `debit/credit` on line 0 and 1, and a tax-book line that never
/// balances (only the primary book counts).
fn netsuite(env: &Env, day: u64, line0: &str, line1: &str, extra_accounting_line: &str) {
    env.zip(
        "netsuite",
        &format!("netsuite_202512{:02}.zip", 10 + day),
        day,
        &[
            ("accountingbook.csv", "id,name,isprimary\n1,Primary,T\n2,Tax,F\n"),
            ("transaction.csv", "id,tranid,type,postingperiod,posting\n1,JE1,Journal,10,T\n2,JE2,Journal,10,T\n"),
            ("transactionline.csv", "transaction,id,subsidiary\n1,0,1\n1,1,1\n2,0,1\n2,1,1\n"),
            (
                "transactionaccountingline.csv",
                &format!(
                    "transaction,transactionline,accountingbook,account,debit,credit,posting\n\
                     1,0,1,100,{line0},T\n1,1,1,200,{line1},T\n1,0,2,100,5.00,,T\n\
                     2,0,1,100,7.00,,T\n2,1,1,200,,7.00,T\n{extra_accounting_line}"
                ),
            ),
        ],
    );
}

fn balanced_books_and_composite_relationships_are_checked(backend: Backend) {
    let mut env = Env::new(backend);
    with_rules(&mut env, NETSUITE_RULES);
    netsuite(&env, 1, "10.00,", ",10.00", "");
    let outcome = env.run(&["netsuite"]);
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.sources[0].checks);
    assert_eq!(result(&env, "books_balance"), "pass|0.0|0|∅");
    assert_eq!(result(&env, "periods_balance"), "pass|0.0|0|∅");
    assert_eq!(result(&env, "accounting_line_line"), "pass|0.0|0|∅");

    // Transaction 1 off by a cent; an accounting line of a line that does not exist.
    netsuite(&env, 2, "10.00,", ",9.99", "2,7,1,300,,,T\n");
    let outcome = env.run(&["netsuite"]);
    assert_eq!(outcome.status, RunStatus::ChecksFailed);
    assert_eq!(result(&env, "books_balance"), "fail|1.0|1|TRANSACTION_ID=1");
    assert_eq!(result(&env, "periods_balance"), "fail|1.0|1|POSTING_PERIOD_ID=10, SUBSIDIARY_ID=1");
    assert_eq!(result(&env, "accounting_line_line"), "fail|1.0|1|TRANSACTION_ID=2, LINE_ID=7, ACCOUNTING_BOOK_ID=1");
}

fn a_failed_blocking_rule_rolls_its_source_back(backend: Backend) {
    let mut env = Env::new(backend);
    with_rules(&mut env, &format!("{MOLO_RULES}\n[[rule]]\nname = \"blocking_slip\"\nkind = \"relationship\"\ntable = \"molo.reservations\"\ncolumns = [\"SLIP_ID\"]\nreferences = \"molo.slips\"\nref_columns = [\"ID\"]\nblocking = true\n"));
    molo(&env, "20251221050003.zip", 1, GOOD_SLIPS, GOOD_RESERVATIONS);
    assert_eq!(env.run(&["molo"]).status, RunStatus::Succeeded);
    assert_eq!(result(&env, "blocking_slip"), "pass|0.0|0|∅");

    // Slip 3 goes while reservation 11 still points at it.
    molo(&env, "20251222050003.zip", 2, "1,A1,1\n2,A2,1\n", &format!("{GOOD_RESERVATIONS}14,1,12/20/2025 12:00:00,1,1,12/01/2025 12:00:00,12/02/2025 12:00:00\n"));
    let outcome = env.run_with(&["molo"], false, true);
    assert_eq!(outcome.exit_code(), exit::FAILED);
    assert_eq!(outcome.status, RunStatus::Failed);
    let message = outcome.sources[0].message.clone().unwrap();
    assert!(message.contains("publish failed, nothing changed: blocking check failed: check blocking_slip"), "{message}");
    // Nothing of the snapshot was published, and the snapshot is not recorded as loaded.
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_SLIPS WHERE DW_DELETED_AT IS NULL"), 3);
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_RESERVATIONS"), 3);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 1);
    // The result is recorded although its transaction was rolled back.
    assert_eq!(result(&env, "blocking_slip"), "fail|1.0|1|ID=11");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_CHECK_RESULTS WHERE RUN_ID = 2"), 1, );
}

fn reconciliation_passes_on_every_published_table(backend: Backend) {
    let mut env = Env::new(backend);
    with_rules(&mut env, "");
    // Tables this small would fail on one reject.
    env.config.load.max_reject_ratio = 0.5;
    // A superseded duplicate (slip 2 twice), then a rejected row (a status that is no number).
    molo(&env, "20251221050003.zip", 1, "1,A1,1\n2,A2,1\n2,A2bis,1\n3,B1,2\n", GOOD_RESERVATIONS);
    assert_eq!(env.run(&["molo"]).status, RunStatus::Succeeded);
    molo(&env, "20251222050003.zip", 2, "1,A1,1\n2,A2 renamed,1\n", &format!("{GOOD_RESERVATIONS}13,1,12/20/2025 12:00:00,x,1,12/01/2025 12:00:00,12/02/2025 12:00:00\n"));
    let outcome = env.run_with(&["molo"], false, true);
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?} {:?}", outcome.sources[0].message, outcome.sources[0].checks);
    let published = env.count("SELECT COUNT(*) FROM ETL_RUN_TABLES WHERE RUN_ID = 2 AND STATUS = 'published'");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_CHECK_RESULTS WHERE RUN_ID = 2 AND KIND = 'reconciliation' AND STATUS = 'pass'"), 3 * published);
    assert_eq!(
        env.lines("SELECT CHECK_NAME, MESSAGE FROM ETL_CHECK_RESULTS WHERE RUN_ID = 2 AND KIND = 'reconciliation' AND TABLE_NAME IN ('slips', 'reservations') ORDER BY TABLE_NAME, CHECK_NAME"),
        vec![
            "ledger_counts|ledger inserted 0 updated 0 deleted 0 undeleted 0; recount inserted 0 updated 0 deleted 0 undeleted unchanged 0",
            "live_keys|0 staged key(s) not live in DW_MOLO_RESERVATIONS, 0 live key(s) neither staged nor held",
            "rows_read|read 4 = staged 3 + rejected 1 + superseded 0 (ledger: staged 3, rejected 1)",
            "ledger_counts|ledger inserted 0 updated 1 deleted 1 undeleted 0; recount inserted 0 updated 1 deleted 1 undeleted unchanged 0",
            "live_keys|0 staged key(s) not live in DW_MOLO_SLIPS, 0 live key(s) neither staged nor held",
            "rows_read|read 2 = staged 2 + rejected 0 + superseded 0 (ledger: staged 2, rejected 0)",
        ]
    );
    let first = env.lines("SELECT MESSAGE FROM ETL_CHECK_RESULTS WHERE RUN_ID = 1 AND TABLE_NAME = 'slips' AND CHECK_NAME = 'rows_read'");
    assert_eq!(first, vec!["read 4 = staged 3 + rejected 0 + superseded 1 (ledger: staged 3, rejected 1)"]);
}

/// Runs `marina-etl check` in-process on the warehouse as it is.
fn check_now(env: &Env) -> Vec<check::CheckResult> {
    let rules = RuleSet::load(env.config.checks.rules.as_deref()).unwrap();
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    let mut s = wh.session().unwrap();
    check::check_warehouse(wh.as_ref(), s.as_mut(), &rules, &CheckOptions { sources: vec!["molo".parse().unwrap()], ..Default::default() }).unwrap()
}

fn reconciliation_finds_a_warehouse_changed_behind_the_ledger(backend: Backend) {
    let mut env = Env::new(backend);
    with_rules(&mut env, "");
    molo(&env, "20251221050003.zip", 1, GOOD_SLIPS, GOOD_RESERVATIONS);
    assert_eq!(env.run(&["molo"]).status, RunStatus::Succeeded);
    assert!(check_now(&env).iter().all(|r| r.status == check::CheckStatus::Pass));
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_CHECK_RESULTS WHERE RUN_ID IS NULL AND STATUS = 'pass'"), 3 * 50);

    // A live row no file holds, a row lost from the warehouse, a ledger count changed, a
    // reject lost from the ledger.
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    let mut s = wh.session().unwrap();
    s.execute("INSERT INTO DW_MOLO_SLIPS (ID, NAME, DW_LAST_INSERTED, DW_LAST_UPDATED, DW_RUN_ID) SELECT 77, 'ghost', DW_LAST_INSERTED, DW_LAST_UPDATED, 1 FROM DW_MOLO_SLIPS WHERE ID = 1").unwrap();
    s.execute("DELETE FROM DW_MOLO_RESERVATIONS WHERE ID = 12").unwrap();
    s.execute("UPDATE ETL_RUN_TABLES SET ROWS_READ = 4 WHERE TABLE_NAME = 'slips'").unwrap();
    drop(s);
    drop(wh);
    let results = check_now(&env);
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r.status != check::CheckStatus::Pass)
        .map(|r| format!("{}.{}|{}|{}|{}", r.table.as_deref().unwrap(), r.check, r.status.as_str(), r.failing_rows, r.failing_keys.join("; ")))
        .collect();
    let mut failed = failed;
    failed.sort();
    assert_eq!(
        failed,
        vec![
            "reservations.ledger_counts|fail|1|",
            "reservations.live_keys|fail|1|ID=12 (staged, not live)",
            "slips.ledger_counts|fail|1|",
            "slips.live_keys|fail|1|ID=77 (live, not staged or held)",
            "slips.rows_read|fail|1|",
        ]
    );
    let recorded = env.lines("SELECT TABLE_NAME, CHECK_NAME, OBSERVED FROM ETL_CHECK_RESULTS WHERE RUN_ID IS NULL AND STATUS = 'fail' ORDER BY 1, 2");
    assert_eq!(recorded.len(), 5, "{recorded:?}");
    assert!(recorded.contains(&"slips|rows_read|1.0".to_string()), "{recorded:?}");
}

fn a_bad_rule_file_is_refused_before_anything_is_loaded(backend: Backend) {
    let mut env = Env::new(backend);
    molo(&env, "20251221050003.zip", 1, GOOD_SLIPS, GOOD_RESERVATIONS);
    let config = env.config_file();
    for (rules, said) in [
        (MOLO_RULES.replace("columns = [\"NAME\"]", "columns = [\"NAEM\"]"), "line 6: unknown column 'NAEM' of table molo.slips"),
        (MOLO_RULES.replace("molo.slips\"\ncolumns = [\"NAME\", ", "molo.slipz\"\ncolumns = [\"NAME\", "), "line 11: unknown table 'molo.slipz'"),
        (MOLO_RULES.replace("\"> 50%\"", "\"> 150%\""), "line 49: threshold '> 150%'"),
    ] {
        with_rules(&mut env, &rules);
        std::fs::write(&config, format!("{}\n[checks]\nrules = \"{}\"\n", std::fs::read_to_string(&config).unwrap().split("\n[checks]").next().unwrap(), env.config.checks.rules.as_ref().unwrap().display())).unwrap();
        let out = Command::new(binary()).args(["--config", config.to_str().unwrap(), "run"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&format!("rule file {}, {said}", env.config.checks.rules.as_ref().unwrap().display())), "{said}: {stderr}");
        let check = Command::new(binary()).args(["--config", config.to_str().unwrap(), "check"]).output().unwrap();
        assert_eq!(check.status.code(), Some(2));
    }
    // Nothing was loaded, not even the ledger: the warehouse was not opened.
    match backend {
        Backend::DuckDb => assert!(!env.dir.path().join("w.duckdb").exists()),
        Backend::Postgres => {
            let wh = warehouse::open(&env.config.warehouse).unwrap();
            assert!(wh.session().unwrap().query_i64("SELECT COUNT(*) FROM ETL_RUNS").is_err());
        }
    }
}

fn the_check_command_and_status_show_the_latest_results(backend: Backend) {
    let mut env = Env::new(backend);
    with_rules(&mut env, MOLO_RULES);
    molo(&env, "20251221050003.zip", 1, GOOD_SLIPS, GOOD_RESERVATIONS);
    assert_eq!(env.run(&["molo"]).status, RunStatus::Succeeded);
    let config = env.config_file();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n[checks]\nrules = \"{}\"\n", env.config.checks.rules.as_ref().unwrap().display())).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(binary()).args(["--config", config.to_str().unwrap()]).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, out) = run(&["check", "--source", "molo"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("checks: 157 passed, 0 warned, 0 failed"), "{out}");
    // A slip renamed by hand to a duplicate name.
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    wh.session().unwrap().execute("UPDATE DW_MOLO_SLIPS SET NAME = 'A1' WHERE ID = 2").unwrap();
    drop(wh);
    let (code, out) = run(&["check"]);
    assert_eq!(code, Some(exit::CHECK_FAILED), "{out}");
    assert!(out.contains("FAIL check slip_name_unique (unique) on molo.slips: fail, 1 failing (e.g. NAME=A1, MARINA_LOCATION_ID=1)"), "{out}");
    let (code, out) = run(&["status"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Latest checks that did not pass") && out.contains("slip_name_unique"), "{out}");
    // 157 checks of `check` and the 50 volume checks of the run (MOLO has 50 tables).
    assert!(out.contains("Checks: 206 of 207 passed at their latest run"), "{out}");
}

backend_tests!(
    every_rule_kind_passes_on_a_clean_snapshot,
    every_rule_kind_fails_on_a_snapshot_made_to_break_it,
    balanced_books_and_composite_relationships_are_checked,
    a_failed_blocking_rule_rolls_its_source_back,
    reconciliation_passes_on_every_published_table,
    reconciliation_finds_a_warehouse_changed_behind_the_ledger,
    a_bad_rule_file_is_refused_before_anything_is_loaded,
    the_check_command_and_status_show_the_latest_results,
);
