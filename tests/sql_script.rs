//! `marina-etl sql`: the script of every dialect against its golden file, the Oracle
//! procedures' keys against the catalog, and the DuckDB script executed on a fresh
//! warehouse that the pipeline then loads.
//!
//! Golden files: `tests/golden/sql-<dialect>.sql`. After an intended change, rewrite them
//! with `UPDATE_GOLDEN=1 cargo test --release --test sql_script` and review the diff.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Backend, Env};
use marina_etl::catalog::{Catalog, Table};
use marina_etl::sql_script::{dialect_name, script, Part};
use marina_etl::views;
use marina_etl::warehouse::oracle::{merge_procedure, procedure_name};
use marina_etl::warehouse::sql::Dialect;

const DIALECTS: [Dialect; 3] = [Dialect::DuckDb, Dialect::Postgres, Dialect::Oracle];

fn golden_path(d: Dialect) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("sql-{}.sql", dialect_name(d)))
}

/// Compares `actual` with the golden file byte for byte (or rewrites it when
/// `UPDATE_GOLDEN=1`); on a difference, fails with the first differing line.
fn check_golden(d: Dialect, actual: &str) {
    let path = golden_path(d);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (create it with UPDATE_GOLDEN=1)", path.display()));
    if let Some(diff) = first_difference(&expected, actual) {
        panic!("{} differs from the generated script ({diff}); if intended, rerun with UPDATE_GOLDEN=1", path.display());
    }
}

/// `None` when equal, else where the texts first differ, line by line.
fn first_difference(expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let (mut e, mut a) = (expected.split('\n'), actual.split('\n'));
    for line in 1.. {
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (x, y) => {
                return Some(format!(
                    "first difference at line {line}:\n  golden:    {}\n  generated: {}",
                    x.map_or("<end of file>".into(), |s| format!("{s:?}")),
                    y.map_or("<end of file>".into(), |s| format!("{s:?}"))
                ));
            }
        }
    }
    unreachable!()
}

#[test]
fn the_script_of_every_dialect_matches_its_golden_file() {
    for d in DIALECTS {
        check_golden(d, &script(d, Part::All));
    }
}

#[test]
fn the_golden_check_reports_the_first_differing_line() {
    assert_eq!(first_difference("a\nb\nc\n", "a\nb\nc\n"), None);
    let diff = first_difference("a\nb\nc\n", "a\nB\nc\n").unwrap();
    assert!(diff.contains("line 2") && diff.contains("\"b\"") && diff.contains("\"B\""), "{diff}");
    let diff = first_difference("a", "a\nmore").unwrap();
    assert!(diff.contains("line 2") && diff.contains("<end of file>"), "{diff}");
}

#[test]
fn the_command_prints_the_script_and_its_parts() {
    let run = |args: &[&str]| {
        let out = Command::new(common::binary()).arg("sql").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run(&["--dialect", "oracle"]), script(Dialect::Oracle, Part::All));
    // The three parts are the whole script, in order (each repeats only the header).
    let body = |s: String| s.split_once("\n\n").map(|(_, b)| b.to_string()).unwrap();
    let parts: String =
        ["ddl", "merge", "views"].iter().map(|w| body(run(&["--dialect", "duckdb", "--what", w]))).collect();
    assert_eq!(parts, body(script(Dialect::DuckDb, Part::All)));
    let bad = Command::new(common::binary()).args(["sql", "--dialect", "mysql"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn every_statement_is_terminated_and_plsql_blocks_end_with_a_slash_line() {
    for d in DIALECTS {
        let text = script(d, Part::All);
        let name = dialect_name(d);
        let lines: Vec<&str> = text.lines().collect();
        let mut open: Vec<&str> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if open.is_empty() && (line.is_empty() || line.starts_with("-- ") || line.starts_with("SET ")) {
                continue;
            }
            open.push(line);
            let plsql = open[0] == "BEGIN" || open[0].starts_with("CREATE OR REPLACE PROCEDURE");
            if d == Dialect::Oracle && line.trim_start().starts_with("--") {
                // SQL*Plus would end the statement at a comment line ending in ';'.
                assert!(!line.ends_with(';'), "{name} line {}: {line}", i + 1);
            }
            let ends = if plsql { *line == "/" } else { line.ends_with(';') };
            if ends {
                if plsql {
                    assert_eq!(d, Dialect::Oracle, "PL/SQL in the {name} script:\n{}", open.join("\n"));
                    assert!(open[open.len() - 2].starts_with("END"), "{name} line {}: a block ends with END", i + 1);
                }
                // A statement is followed by a blank line: a ';' inside one would show here.
                assert!(lines.get(i + 1).is_none_or(|next| next.is_empty()), "{name} line {}: {line}", i + 2);
                open.clear();
            }
        }
        assert!(open.is_empty(), "{name}: unterminated statement at the end:\n{}", open.join("\n"));
    }
}

/// The key columns a join condition matches, from the NULL-safe equality the dialect
/// spells (`(l.K = r.K OR (l.K IS NULL AND r.K IS NULL))` on Oracle), in order. Any other
/// condition makes it panic.
fn oracle_key_columns(condition: &str, left: &str, right: &str) -> Vec<String> {
    let condition = condition.trim();
    condition
        .split(" AND ")
        .scan(String::new(), |pending, part| {
            // Re-join the " AND " inside "(l.K IS NULL AND r.K IS NULL)".
            pending.push_str(if pending.is_empty() { "" } else { " AND " });
            pending.push_str(part);
            let balanced = pending.matches('(').count() == pending.matches(')').count();
            Some(balanced.then(|| std::mem::take(pending)))
        })
        .flatten()
        .map(|term| {
            let inner = term.strip_prefix('(').and_then(|t| t.strip_suffix(')')).unwrap_or_else(|| panic!("{term}"));
            let (eq, nulls) = inner.split_once(" OR ").unwrap_or_else(|| panic!("not a NULL-safe key match: {term}"));
            let (l, r) = eq.split_once(" = ").unwrap_or_else(|| panic!("{term}"));
            let column = l.strip_prefix(&format!("{left}.")).unwrap_or_else(|| panic!("{term}"));
            assert_eq!(r, format!("{right}.{column}"), "{term}");
            assert_eq!(nulls, format!("({left}.{column} IS NULL AND {right}.{column} IS NULL)"), "{term}");
            column.trim_matches('"').to_string()
        })
        .collect()
}

/// Every key match of a generated Oracle procedure: the MERGE's ON clause and each
/// `EXISTS (SELECT 1 FROM x a WHERE ...)`, as (what, key columns).
fn procedure_key_matches(procedure: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for line in procedure.lines().map(str::trim) {
        if let Some(on) = line.strip_prefix("ON (").and_then(|l| l.strip_suffix(')')) {
            out.push(("MERGE ON".to_string(), oracle_key_columns(on, "d", "s")));
        }
        let mut rest = line;
        while let Some(at) = rest.find("EXISTS (SELECT 1 FROM ") {
            let sub = &rest[at + "EXISTS (SELECT 1 FROM ".len()..];
            let mut words = sub.splitn(4, ' ');
            let (table, alias, kw) = (words.next().unwrap(), words.next().unwrap(), words.next().unwrap());
            assert_eq!(kw, "WHERE", "{line}");
            let cond = words.next().unwrap();
            // The subquery's condition ends at its closing parenthesis.
            let mut depth = 1;
            let end = cond
                .char_indices()
                .find(|(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map(|(i, _)| i)
                .unwrap_or_else(|| panic!("{line}"));
            // The subquery's alias is on the left of each equality; the history's close
            // matches the DW_ row (d) of a version (h) the run touched.
            let (cond_text, other) = match cond[..end].strip_suffix(" AND d.\"DW_RUN_ID\" = p_run_id") {
                Some(keys) => (keys, "h"),
                None => (&cond[..end], if alias == "d" { "s" } else { "d" }),
            };
            out.push((format!("EXISTS {table}"), oracle_key_columns(cond_text, alias, other)));
            rest = &cond[end..];
        }
    }
    out
}

#[test]
fn every_oracle_procedure_matches_rows_on_exactly_the_catalog_key() {
    let oracle = script(Dialect::Oracle, Part::Merge);
    for table in Catalog::get().tables() {
        let keys: Vec<String> = table.key_columns().map(|c| c.name.clone()).collect();
        let procedure = merge_procedure(table);
        assert!(oracle.contains(&procedure), "the script carries {}", procedure_name(table));
        let matches = procedure_key_matches(&procedure);
        // MERGE ON, guard (staged, held), undelete count, insert, undelete, delete (staged,
        // held), and the close of the history's versions.
        assert_eq!(matches.len(), 8 + usize::from(table.history), "{}: {matches:?}", procedure_name(table));
        assert!(matches.iter().any(|(what, _)| what == "MERGE ON"), "{}", procedure_name(table));
        for (what, columns) in matches {
            assert_eq!(columns, keys, "{} {what}", procedure_name(table));
        }
    }
}

#[test]
fn the_key_check_sees_a_procedure_built_on_another_key() {
    // A catalog entry with a second key column gives a procedure on both columns, which the
    // check above would refuse for the real catalog entry.
    let mut wrong: Table = Catalog::get().tables().iter().find(|t| t.name == "piers").unwrap().clone();
    wrong.columns.iter_mut().find(|c| c.name == "NAME").unwrap().key = true;
    for (_, columns) in procedure_key_matches(&merge_procedure(&wrong)) {
        assert_eq!(columns, ["ID", "NAME"]);
    }
}

#[test]
fn oracle_lobs_are_compared_with_dbms_lob_and_text_keys_are_not_lobs() {
    let t = Catalog::get().tables().iter().find(|t| t.name == "item").unwrap();
    let p = merge_procedure(t);
    assert!(p.contains(r#"DBMS_LOB.COMPARE(d."DESCRIPTION", s."DESCRIPTION") <> 0"#), "{p}");
    assert!(!p.contains(r#"DECODE(d."DESCRIPTION""#), "{p}");
    assert!(p.contains(r#"DECODE(d."ITEM_NAME", s."ITEM_NAME", 0, 1) = 1"#), "{p}");
    let ddl = script(Dialect::Oracle, Part::Ddl);
    assert!(ddl.contains(
        "CREATE TABLE \"DW_NS_ACCOUNT_REPORT_MAPPING\" (\n  \"NSACCOUNT\" NVARCHAR2(100),\n  \"MODELMAPPINGDETAIL\" NVARCHAR2(255),"
    ));
}

/// A warehouse backend the script can be deployed to, then loaded by the pipeline.
trait ScriptBackend {
    fn backend(&self) -> Backend;
    fn dialect(&self) -> Dialect;
    /// Points the test environment's warehouse at a fresh, empty database of this backend.
    fn fresh_warehouse(&self, env: &mut Env);
    /// Runs a script (several statements) against the environment's warehouse; stops at
    /// the first error and returns it.
    fn try_apply(&self, env: &Env, script: &str) -> Result<(), String>;
    fn apply(&self, env: &Env, script: &str) {
        self.try_apply(env, script).unwrap_or_else(|e| panic!("the script fails: {e}"));
    }
}

struct DuckDbBackend;

impl ScriptBackend for DuckDbBackend {
    fn backend(&self) -> Backend {
        Backend::DuckDb
    }

    fn dialect(&self) -> Dialect {
        Dialect::DuckDb
    }

    fn fresh_warehouse(&self, env: &mut Env) {
        let path = env.dir.path().join("script.duckdb");
        env.config.warehouse.url = format!("duckdb://{}", path.display());
    }

    fn try_apply(&self, env: &Env, script: &str) -> Result<(), String> {
        let path = env.config.warehouse.url.strip_prefix("duckdb://").unwrap();
        // Its own connection, closed at the end (rolling back an open transaction): the
        // pipeline opens the file next.
        let conn = duckdb::Connection::open(path).unwrap();
        conn.execute_batch(script).map_err(|e| e.to_string())
    }
}

/// A fresh database of the harness's throwaway PostgreSQL cluster; scripts applied as a
/// DBA would, with `psql -v ON_ERROR_STOP=1`.
struct PostgresBackend;

impl ScriptBackend for PostgresBackend {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn fresh_warehouse(&self, _: &mut Env) {
        // Env::new(Backend::Postgres) already made one.
    }

    fn try_apply(&self, env: &Env, script: &str) -> Result<(), String> {
        use std::io::Write;
        let mut child = Command::new("psql")
            .args(["-d", &env.config.warehouse.url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = script.to_string();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let out = child.wait_with_output().unwrap();
        // psql stops reading at the first error (ON_ERROR_STOP): a broken pipe then is expected.
        let written = writer.join().unwrap();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        written.map_err(|e| e.to_string())
    }
}

const PIERS: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B2,1\n3,C,2\n4,D,2\n";

/// `1` or `0` for a condition, spelled alike in every dialect (booleans print differently).
fn flag(condition: &str) -> String {
    format!("CASE WHEN {condition} THEN 1 ELSE 0 END")
}

/// Deploys the whole script to a fresh warehouse, merges hand-staged rows with the
/// script's merge section, then loads a snapshot with the pipeline on top.
fn script_deploys_merges_and_loads(backend: &dyn ScriptBackend) {
    let d = backend.dialect();
    let mut env = Env::new(backend.backend());
    backend.fresh_warehouse(&mut env);
    let lines = |sql: &str| env.lines(sql);
    backend.apply(&env, &script(d, Part::All));
    let all_dw = Catalog::get().tables().iter().map(|t| format!("SELECT COUNT(*) AS N FROM {}", t.dw_name())).collect::<Vec<_>>();
    assert_eq!(lines(&format!("SELECT COUNT(*), SUM(N) FROM ({}) x", all_dw.join(" UNION ALL "))), vec!["93|0"]);
    assert_eq!(lines("SELECT RUN_ID, STATUS, HOST FROM ETL_RUNS"), vec!["1|succeeded|sql-script"], "the merge ran on empty tables");

    // By hand: stage rows, run the merge section twice (insert; then update, insert, delete).
    let merge = script(d, Part::Merge);
    backend.apply(&env, "INSERT INTO STG_MOLO_PIERS (ID, NAME, MARINA_LOCATION_ID, ETL_LINE) VALUES (1, 'A', 1, 2), (2, 'B', 1, 3), (3, 'C', 2, 4);");
    backend.apply(&env, &merge);
    let piers = format!(
        "SELECT ID, NAME, DW_RUN_ID, {}, {} FROM DW_MOLO_PIERS ORDER BY ID",
        flag("DW_LAST_UPDATED > DW_LAST_INSERTED"),
        flag("DW_DELETED_AT IS NULL")
    );
    assert_eq!(lines(&piers), vec!["1|A|2|0|1", "2|B|2|0|1", "3|C|2|0|1"]);
    let first = lines("SELECT ID, DW_LAST_INSERTED FROM DW_MOLO_PIERS ORDER BY ID");
    std::thread::sleep(std::time::Duration::from_millis(20));
    backend.apply(&env, "DELETE FROM STG_MOLO_PIERS WHERE ID = 3; UPDATE STG_MOLO_PIERS SET NAME = 'B2' WHERE ID = 2; INSERT INTO STG_MOLO_PIERS VALUES (4, 'D', 2, 5);");
    backend.apply(&env, &merge);
    assert_eq!(lines(&piers), vec!["1|A|2|0|1", "2|B2|3|1|1", "3|C|3|0|0", "4|D|3|0|1"]);
    assert_eq!(lines("SELECT ID, DW_LAST_INSERTED FROM DW_MOLO_PIERS WHERE ID <= 3 ORDER BY ID"), first, "inserted times never change");
    assert_eq!(lines("SELECT RUN_ID, STATUS FROM ETL_RUNS ORDER BY RUN_ID"), vec!["1|succeeded", "2|succeeded", "3|succeeded"]);
    // Every view answers over the deployed tables.
    for v in views::views(d) {
        assert_eq!(lines(&format!("SELECT COUNT(*) FROM {}", v.name)).len(), 1, "{}", v.name);
    }

    // An empty staging table would soft-delete every live pier: the guard stops the script
    // and the source's transaction leaves the table as it was.
    backend.apply(&env, "DELETE FROM STG_MOLO_PIERS;");
    let before = lines("SELECT * FROM DW_MOLO_PIERS ORDER BY ID");
    let err = backend.try_apply(&env, &merge).expect_err("the mass-delete guard stops the merge");
    assert!(err.contains("mass-delete guard: DW_MOLO_PIERS would lose 3 of 3 live rows"), "{err}");
    assert_eq!(lines("SELECT * FROM DW_MOLO_PIERS ORDER BY ID"), before);
    assert_eq!(lines("SELECT RUN_ID, STATUS FROM ETL_RUNS WHERE RUN_ID = 4"), vec!["4|running"]);
    // With parameters of the DBA's choosing (a ratio of 1 allows it), the deletes go through.
    backend.apply(
        &env,
        &format!(
            "CREATE TEMPORARY TABLE ETL_MERGE_PARAMS AS SELECT CAST(7 AS BIGINT) AS RUN_ID, \
             TIMESTAMP '2025-06-01 05:00:00' AS PUBLISHED_AT, 1.0 AS MAX_DELETE_RATIO;\n{merge}"
        ),
    );
    assert_eq!(
        lines("SELECT ID, DW_RUN_ID, CAST(DW_DELETED_AT AS VARCHAR) FROM DW_MOLO_PIERS WHERE ID <> 3 ORDER BY ID"),
        vec!["1|7|2025-06-01 05:00:00", "2|7|2025-06-01 05:00:00", "4|7|2025-06-01 05:00:00"]
    );
    assert_eq!(lines("SELECT * FROM DW_MOLO_PIERS WHERE ID = 3"), [before[2].clone()], "already deleted: untouched");
    assert_eq!(lines("SELECT RUN_ID, STATUS, HOST FROM ETL_RUNS WHERE RUN_ID = 7"), vec!["7|succeeded|sql-script"]);

    // The pipeline on the deployed warehouse: every pier comes back unchanged.
    env.zip(
        "molo",
        "20250601050000.zip",
        1,
        &[
            ("Piers.csv", PIERS),
            ("MarinaLocations.csv", "Id,Name\n1,North\n2,South\n"),
            ("Slips.csv", "Id,Name,MarinaLocationId,StartDate,EndDate,Active\n10,S1,1,2025-06-01,2025-06-03,1\n"),
        ],
    );
    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    assert_eq!(r.run_id, 8);
    assert_eq!(
        lines("SELECT RUN_ID, STATUS FROM ETL_RUNS WHERE RUN_ID >= 4 ORDER BY RUN_ID"),
        vec!["4|failed", "7|succeeded", "8|succeeded"],
        "the run the guard stopped is marked failed by the next pipeline run"
    );
    let counts = |table: &str| {
        lines(&format!(
            "SELECT STATUS, ROWS_READ, ROWS_STAGED, ROWS_REJECTED, ROWS_INSERTED, ROWS_UPDATED, ROWS_UNCHANGED, \
                    ROWS_DELETED, ROWS_UNDELETED FROM ETL_RUN_TABLES WHERE RUN_ID = {} AND TABLE_NAME = '{table}'",
            r.run_id
        ))
    };
    assert_eq!(counts("piers"), vec!["published|4|4|0|0|0|0|0|4"]);
    assert_eq!(counts("slips"), vec!["published|1|1|0|1|0|0|0|0"]);
    assert_eq!(lines("SELECT COUNT(*) FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NULL"), vec!["4"]);
    // The slip count view has the slip's three days.
    assert_eq!(
        lines("SELECT CAST(CALENDAR_DATE AS VARCHAR), MARINA_NAME, DAILY_SLIP_COUNT FROM DW_MOLO_DAILY_SLIP_COUNT_VW ORDER BY 1"),
        vec!["2025-06-01|North|1", "2025-06-02|North|1", "2025-06-03|North|1"]
    );
}

#[test]
fn the_duckdb_script_deploys_merges_and_the_pipeline_loads_on_top() {
    script_deploys_merges_and_loads(&DuckDbBackend);
}

#[test]
fn the_postgres_script_deploys_and_merges_on_a_throwaway_cluster() {
    script_deploys_merges_and_loads(&PostgresBackend);
}

/// A session that records the statements it is given and answers every count with 0.
#[derive(Default)]
struct Recorder {
    executed: Vec<String>,
}

impl marina_etl::warehouse::Session for Recorder {
    fn execute(&mut self, sql: &str) -> marina_etl::warehouse::Result<u64> {
        // Transaction control is the caller's, not part of what the script deploys.
        if !matches!(sql, "BEGIN TRANSACTION" | "COMMIT" | "ROLLBACK") {
            self.executed.push(sql.to_string());
        }
        Ok(0)
    }
    fn query_i64(&mut self, _: &str) -> marina_etl::warehouse::Result<i64> {
        Ok(0)
    }
    fn query_rows(&mut self, _: &str) -> marina_etl::warehouse::Result<marina_etl::warehouse::Rows> {
        Ok(marina_etl::warehouse::Rows::default())
    }
    fn append(&mut self, _: &str, _: duckdb::arrow::record_batch::RecordBatch) -> marina_etl::warehouse::Result<()> {
        Ok(())
    }
}

#[test]
fn every_statement_the_pipeline_executes_is_in_the_script() {
    use marina_etl::run::prepare_warehouse;
    use marina_etl::sql_script::{script_merge_params, terminated};
    use marina_etl::warehouse::merge::{merge_table, MergePlan};
    use marina_etl::warehouse::sql::MergeParams;
    let at = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap().and_hms_opt(5, 0, 0).unwrap();
    for d in DIALECTS {
        let text = script(d, Part::All);
        let mut pipeline = Recorder::default();
        // What a run executes to set up the warehouse, to stage a table, and to merge it
        // (with held keys, which the script always guards; the pipeline adds the guard
        // when a table had rejects, and an empty held-keys table makes it the same).
        prepare_warehouse(&mut pipeline, d).unwrap();
        for table in Catalog::get().tables() {
            for stmt in marina_etl::warehouse::staging::replace_statements(d, table) {
                marina_etl::warehouse::Session::execute(&mut pipeline, &stmt).unwrap();
            }
        }
        pipeline.executed.extend(views::create_view_statements(d));
        let setup = pipeline.executed.len();
        assert!(setup > 2 * Catalog::get().tables().len());
        // Oracle's merge is the procedures (checked by the key test and the golden file).
        if d != Dialect::Oracle {
            // A table with live, soft-deleted and vanished rows: every step of the merge runs.
            let plan = MergePlan { staged: 0, held_keys: true, rows: 3, live: 2, would_delete: 1, update_parts: 1 };
            for table in Catalog::get().tables() {
                merge_table(&mut pipeline, d, table, 7, at, &plan).unwrap();
            }
            assert_eq!(pipeline.executed.len(), setup + 4 * Catalog::get().tables().len());
        }
        // The script spells the run id and publish time as parameters: put the run's values in.
        let (p, lit) = (script_merge_params(), MergeParams::literal(d, 7, at));
        let with_values = text.replace(&p.run_id, &lit.run_id).replace(&p.published_at, &lit.published_at);
        for stmt in &pipeline.executed {
            assert!(with_values.contains(&format!("\n{}", terminated(d, stmt))), "{}: not in the script:\n{stmt}", dialect_name(d));
        }
    }
}
