//! History tables: every version of a row that keeps history, valid between two publishes,
//! written in the publish transaction.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{binary, Backend, Env};

/// A MOLO snapshot whose slips are `rows` (`id,name`), with one marina and one pier that
/// never change (a table without history beside it).
pub fn slips_snapshot(env: &Env, name: &str, day: u64, rows: &[(i64, &str)]) {
    let slips: String = rows.iter().map(|(id, n)| format!("{id},{n}\n")).collect();
    env.zip(
        "molo",
        name,
        day,
        &[
            ("MarinaLocations.csv", "Id,Name\n1,Harbor\n"),
            ("Piers.csv", "Id,Name,MarinaLocationId\n1,North,1\n"),
            ("Slips.csv", &format!("Id,Name\n{slips}")),
        ],
    );
}

/// Every version of the slips: id, name, the runs whose publish opened and closed it
/// (`open` while current), whether it ended in a delete, and its run id.
fn versions(env: &Env) -> Vec<String> {
    env.lines(
        "SELECT h.ID, h.NAME, f.RUN_ID, COALESCE(CAST(t.RUN_ID AS VARCHAR), 'open'), \
                CASE WHEN h.ENDS_IN_DELETE THEN 'deleted' ELSE '-' END, h.DW_RUN_ID \
           FROM HIST_MOLO_SLIPS h \
           JOIN ETL_SNAPSHOTS f ON f.LOADED_AT = h.VALID_FROM \
           LEFT JOIN ETL_SNAPSHOTS t ON t.LOADED_AT = h.VALID_TO \
          ORDER BY h.ID, h.VALID_FROM",
    )
}

/// The four snapshots of the history tests: insert, change, delete, undelete, unchanged.
pub fn four_snapshots(env: &Env) {
    let steps: [&[(i64, &str)]; 4] = [
        &[(1, "A"), (2, "B"), (3, "C")],
        // 1 unchanged, 2 changed, 3 deleted, 4 inserted
        &[(1, "A"), (2, "B2"), (4, "D")],
        // 3 back unchanged, 4 deleted
        &[(1, "A"), (2, "B2"), (3, "C")],
        // 4 back unchanged; the rest unchanged
        &[(1, "A"), (2, "B2"), (3, "C"), (4, "D")],
    ];
    for (i, rows) in steps.iter().enumerate() {
        slips_snapshot(env, &format!("s{}.zip", i + 1), i as u64 + 1, rows);
        let outcome = env.run(&["molo"]);
        assert_eq!(outcome.exit_code(), 0, "snapshot {}: {outcome:?}", i + 1);
    }
}

fn four_snapshots_give_the_versions_and_their_intervals(backend: Backend) {
    let env = Env::new(backend);
    four_snapshots(&env);
    assert_eq!(
        versions(&env),
        vec![
            "1|A|1|open|-|1",
            "2|B|1|2|-|1",
            "2|B2|2|open|-|2",
            "3|C|1|2|deleted|1",
            "3|C|3|open|-|3",
            "4|D|2|3|deleted|2",
            "4|D|4|open|-|4",
        ]
    );
    // The current versions are the live DW_ rows, value for value.
    assert_eq!(
        env.lines("SELECT ID, NAME FROM HIST_MOLO_SLIPS WHERE VALID_TO IS NULL ORDER BY ID"),
        env.lines("SELECT ID, NAME FROM DW_MOLO_SLIPS WHERE DW_DELETED_AT IS NULL ORDER BY ID")
    );
    // A table without history has no history table.
    let hist_piers = env.count(
        "SELECT COUNT(*) FROM information_schema.tables WHERE upper(table_name) = 'HIST_MOLO_PIERS'",
    );
    assert_eq!(hist_piers, 0);
}

/// A snapshot that changes nothing adds no version (and a forced reload of it neither).
fn an_unchanged_snapshot_adds_no_version(backend: Backend) {
    let env = Env::new(backend);
    slips_snapshot(&env, "s1.zip", 1, &[(1, "A"), (2, "B")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    slips_snapshot(&env, "s2.zip", 2, &[(2, "B"), (1, "A")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    assert_eq!(env.run_opts(marina_etl::run::RunOptions {
        sources: vec!["molo".parse().unwrap()],
        force: true,
        full: true,
        ..Default::default()
    }).exit_code(), 0);
    assert_eq!(versions(&env), vec!["1|A|1|open|-|1", "2|B|1|open|-|1"]);
}

/// A publish that fails, or is killed, after the history of a table was written leaves no
/// version of its snapshot; the next run writes them.
fn a_failed_or_killed_publish_leaves_no_history_of_its_snapshot(backend: Backend) {
    let env = Env::new(backend);
    let config = env.config_file();
    let run = |fault: Option<&str>| {
        let mut c = Command::new(binary());
        c.args(["--config", config.to_str().unwrap(), "run", "--source", "molo", "--wait-lock", "30s"]);
        if let Some(f) = fault {
            c.env("MARINA_ETL_FAULT", f);
        }
        c
    };
    slips_snapshot(&env, "s1.zip", 1, &[(1, "A"), (2, "B")]);
    assert_eq!(run(None).output().unwrap().status.code(), Some(0));
    let before = versions(&env);
    assert_eq!(before, vec!["1|A|1|open|-|1", "2|B|1|open|-|1"]);

    // Only the slips changed: the one table merged, with its history, before the failure.
    slips_snapshot(&env, "s2.zip", 2, &[(1, "A2"), (3, "C")]);
    let failed = run(Some("fail-after-merge:1")).output().unwrap();
    assert_eq!(failed.status.code(), Some(1), "{}", String::from_utf8_lossy(&failed.stdout));
    assert_eq!(versions(&env), before);
    assert_eq!(env.count("SELECT COUNT(*) FROM HIST_MOLO_SLIPS WHERE DW_RUN_ID = 2 OR VALID_TO IS NOT NULL"), 0);

    let mut child = run(Some("pause-after-merge:1")).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let paused = BufReader::new(child.stderr.take().unwrap()).lines().any(|l| l.unwrap().contains("pausing mid-merge"));
    assert!(paused, "the child never reached the merge");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(versions(&env), before);
    assert_eq!(env.count("SELECT COUNT(*) FROM HIST_MOLO_SLIPS"), 2);

    assert_eq!(run(None).output().unwrap().status.code(), Some(0));
    assert_eq!(
        versions(&env),
        vec!["1|A|1|4|-|1", "1|A2|4|open|-|4", "2|B|1|4|deleted|1", "3|C|4|open|-|4"]
    );
}

/// A table that starts keeping history after it was loaded (here: its history table
/// dropped) gets its live rows as current versions, valid from their last update.
fn a_new_history_table_is_seeded_from_its_loaded_table(backend: Backend) {
    let env = Env::new(backend);
    slips_snapshot(&env, "s1.zip", 1, &[(1, "A"), (2, "B")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    env.execute("DROP TABLE HIST_MOLO_SLIPS");
    slips_snapshot(&env, "s2.zip", 2, &[(1, "A"), (2, "B2")]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    assert_eq!(versions(&env), vec!["1|A|1|open|-|1", "2|B|1|2|-|1", "2|B2|2|open|-|2"]);
}

/// `marina-etl query --as-of`: the output (csv) and exit code.
fn query_as_of(env: &Env, at: &str, sql: &str) -> (i32, String, String) {
    let config = env.config_file();
    let out = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "query", "--format", "csv", "--as-of", at, sql])
        .output()
        .unwrap();
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// As of a time before, at, between and after the publishes of the four snapshots, a query
/// sees the slips as they were; a table without history is refused by name.
fn a_query_as_of_a_time_sees_the_tables_as_they_were(backend: Backend) {
    let env = Env::new(backend);
    four_snapshots(&env);
    let published: Vec<chrono::NaiveDateTime> = env
        .lines("SELECT LOADED_AT FROM ETL_SNAPSHOTS ORDER BY RUN_ID")
        .iter()
        .map(|t| marina_etl::as_of::parse_time(t).unwrap())
        .collect();
    assert_eq!(published.len(), 4);
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    let between = |a: chrono::NaiveDateTime, b: chrono::NaiveDateTime| fmt(a + (b - a) / 2);
    let slips = |at: &str| {
        let (code, out, err) = query_as_of(&env, at, "SELECT ID, NAME FROM DW_MOLO_SLIPS ORDER BY ID");
        assert_eq!(code, 0, "{err}");
        out.lines().skip(1).map(str::to_string).collect::<Vec<_>>().join(" ")
    };
    assert_eq!(slips(&fmt(published[0] - chrono::Duration::seconds(1))), "");
    assert_eq!(slips(&fmt(published[0])), "1,A 2,B 3,C");
    assert_eq!(slips(&between(published[0], published[1])), "1,A 2,B 3,C");
    assert_eq!(slips(&between(published[1], published[2])), "1,A 2,B2 4,D");
    assert_eq!(slips(&between(published[2], published[3])), "1,A 2,B2 3,C");
    assert_eq!(slips(&fmt(published[3] + chrono::Duration::days(1))), "1,A 2,B2 3,C 4,D");
    // The query's own WITH and a bare table name work too.
    let (code, out, _) = query_as_of(&env, &between(published[1], published[2]), "WITH x AS (SELECT * FROM dw_molo_slips) SELECT COUNT(*) FROM x");
    assert_eq!((code, out.lines().nth(1)), (0, Some("3")));
    let (code, out, _) = query_as_of(&env, &between(published[1], published[2]), "DW_MOLO_SLIPS");
    assert_eq!((code, out.lines().count()), (0, 4), "{out}");

    let (code, _, err) = query_as_of(&env, &fmt(published[3]), "SELECT * FROM DW_MOLO_SLIPS s JOIN DW_MOLO_PIERS p ON p.ID = s.PIER_ID");
    assert_eq!(code, 2);
    assert!(err.contains("DW_MOLO_PIERS keep(s) no history"), "{err}");
    let (code, _, err) = query_as_of(&env, "last tuesday", "DW_MOLO_SLIPS");
    assert_eq!(code, 2);
    assert!(err.contains("is not a time"), "{err}");
}

backend_tests!(
    a_query_as_of_a_time_sees_the_tables_as_they_were,
    four_snapshots_give_the_versions_and_their_intervals,
    an_unchanged_snapshot_adds_no_version,
    a_failed_or_killed_publish_leaves_no_history_of_its_snapshot,
    a_new_history_table_is_seeded_from_its_loaded_table,
);
