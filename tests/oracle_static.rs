//! The Oracle script read as Oracle would read it, without an Oracle server: every statement
//! outside the PL/SQL blocks parses, and no LOB is compared, joined, grouped, sorted, made
//! distinct, put in a UNION or made a key (ORA-00932 on Oracle); nor does it use a spelling
//! Oracle 19c lacks (`LIMIT`, `BOOLEAN`, `IF NOT EXISTS`, ...) or compare with `''` (NULL there).
//!
//! The reading is `tests/oracle/check_lobs.py` (sqlglot's Oracle dialect, which `.ci/run`
//! installs): it types every column from the script's own DDL and every view's columns from
//! its SELECT. These tests run it on the script of `marina-etl sql --dialect oracle`, on the
//! queries the pipeline itself sends to its ledger, and on small scripts that must be flagged,
//! so the check cannot pass by seeing nothing.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use marina_etl::sql_script::terminated;
use marina_etl::warehouse::ledger::{self, RunStatus, SnapshotRecord, TableRecord};
use marina_etl::warehouse::sql::Dialect;
use marina_etl::warehouse::{Result as WhResult, Rows, Session};

/// The Python that has sqlglot (`MARINA_ETL_TEST_PYTHON`, else `python3`), as for the S3 tests.
fn python() -> String {
    std::env::var("MARINA_ETL_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs the checker on a script: whether it passed, and what it printed.
fn check(script: &str) -> (bool, String) {
    check_with(script, &[])
}

/// Runs the checker with options on a script.
fn check_with(script: &str, options: &[&str]) -> (bool, String) {
    let checker = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/check_lobs.py");
    let mut child = Command::new(python())
        .arg(&checker)
        .args(options)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} {}: {e}", python(), checker.display()));
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(0) => (true, text),
        Some(1) => (false, text),
        _ => panic!("the checker did not run ({}): {text}", out.status),
    }
}

/// Asserts that the checker flags `script` with a finding that contains `expected`.
fn flagged(script: &str, expected: &str) {
    let (passed, out) = check(script);
    assert!(!passed, "not flagged:\n{script}\n{out}");
    assert!(out.contains(expected), "flagged, but without '{expected}':\n{script}\n{out}");
}

#[test]
fn the_oracle_script_parses_and_compares_no_lob() {
    let out = Command::new(common::binary()).args(["sql", "--dialect", "oracle"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let script = String::from_utf8(out.stdout).unwrap();
    let (passed, report) = check(&script);
    assert!(passed, "the Oracle script would fail on Oracle:\n{report}");
    // The check saw the whole script: every table, staging table and view was typed.
    let typed: usize = report
        .lines()
        .last()
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let catalog = marina_etl::catalog::Catalog::get().tables().len();
    assert!(typed >= 3 * catalog + marina_etl::views::views(Dialect::Oracle).len(), "{report}");
}

/// A session that records the statements it is given and answers with nothing.
#[derive(Default)]
struct Recorder {
    sent: Vec<String>,
}

impl Session for Recorder {
    fn execute(&mut self, sql: &str) -> WhResult<u64> {
        self.sent.push(sql.to_string());
        Ok(0)
    }
    fn query_i64(&mut self, sql: &str) -> WhResult<i64> {
        self.sent.push(sql.to_string());
        Ok(0)
    }
    fn query_rows(&mut self, sql: &str) -> WhResult<Rows> {
        self.sent.push(sql.to_string());
        Ok(Rows::default())
    }
    fn append(&mut self, _: &str, _: duckdb::arrow::record_batch::RecordBatch) -> WhResult<()> {
        Ok(())
    }
}

#[test]
fn the_ledger_columns_the_pipeline_compares_are_comparable_on_oracle() {
    // Every query the pipeline sends to its ledger, read against the ledger's Oracle DDL:
    // statuses, sources, table names, archive keys and checksums are compared and sorted.
    // The queries are written for DuckDB and PostgreSQL (`LIMIT`): only their types are checked.
    let at = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap().and_hms_opt(5, 0, 0).unwrap();
    let d = Dialect::Oracle;
    let mut s = Recorder::default();
    ledger::begin_run(&mut s, d, at).unwrap();
    ledger::finish_run(&mut s, d, 1, at, RunStatus::Succeeded, Some("x")).unwrap();
    let record = TableRecord { source: "molo".into(), table: "piers".into(), ..TableRecord::default() };
    ledger::record_tables(&mut s, 1, &[record]).unwrap();
    ledger::last_published_members(&mut s, "molo").unwrap();
    ledger::carry_forward_rejects(&mut s, 2, 1, "molo", "piers").unwrap();
    ledger::already_loaded(&mut s, "molo", "k.zip", 1, "ab").unwrap();
    ledger::recorded_times(&mut s, "molo").unwrap();
    ledger::last_published_key(&mut s, "molo").unwrap();
    ledger::last_loaded_snapshot(&mut s, "molo").unwrap();
    let snap = SnapshotRecord { source: "molo".into(), archive_key: "k.zip".into(), size: 1, last_modified: at, checksum: "ab".into() };
    s.sent.push(ledger::record_snapshot_statement(d, 1, &snap, at));
    assert!(s.sent.len() >= 10, "{:?}", s.sent);
    let script: String = ledger::create_statements(d)
        .iter()
        .chain(&s.sent)
        .map(|stmt| terminated(d, stmt))
        .collect::<Vec<_>>()
        .join("\n");
    let (passed, report) = check_with(&script, &["--lobs-only"]);
    assert!(passed, "{report}\n{script}");
    // Without the option, their DuckDB spelling is not Oracle's: the rules are on by default.
    let (passed, report) = check(&script);
    assert!(!passed && report.contains("not Oracle 19c: LIMIT"), "{report}");
}

/// The DDL of the small scripts below: a table with a LOB, a sized text and a number.
const T: &str = "CREATE TABLE \"T\" (\n  \"ID\" NUMBER(19),\n  \"NOTE\" NCLOB,\n  \"NAME\" NVARCHAR2(50)\n);\n";

#[test]
fn the_checker_flags_every_use_oracle_refuses_for_a_lob() {
    let cases: &[(&str, &str)] = &[
        ("SELECT ID FROM T WHERE NOTE = 'x';", "WHERE comparison"),
        ("SELECT t.ID FROM T t WHERE t.NOTE <> t.NAME;", "WHERE comparison"),
        ("SELECT ID FROM T WHERE NOTE IN ('a', 'b');", "IN list"),
        ("SELECT a.ID FROM T a JOIN T b ON b.NOTE = a.NOTE;", "join condition"),
        ("SELECT NOTE, COUNT(*) FROM T GROUP BY NOTE;", "GROUP BY"),
        ("SELECT DISTINCT NOTE FROM T;", "SELECT DISTINCT"),
        ("SELECT ID FROM T ORDER BY NOTE;", "ORDER BY"),
        ("SELECT NOTE FROM T UNION SELECT NOTE FROM T;", "UNION"),
        ("SELECT MAX(NOTE) FROM T;", "MAX"),
        ("SELECT ROW_NUMBER() OVER (PARTITION BY NOTE ORDER BY ID) FROM T;", "PARTITION BY"),
        ("SELECT DECODE(NOTE, 'a', 1, 0) FROM T;", "DECODE"),
        ("SELECT CASE WHEN TRIM(NOTE) = '' THEN 1 END FROM T;", "comparison"),
        // Through a view's column, a CTE and a derived table.
        ("CREATE OR REPLACE VIEW V AS\nSELECT t.NOTE AS N FROM T t;\nSELECT N FROM V WHERE N = 'x';", "WHERE comparison"),
        ("WITH c AS (SELECT NOTE AS N FROM T) SELECT N FROM c GROUP BY N;", "GROUP BY"),
        ("SELECT x.N FROM (SELECT t.* , t.NOTE AS N FROM T t) x ORDER BY x.NOTE;", "ORDER BY"),
        ("SELECT COALESCE(NOTE, NAME) AS C FROM T ORDER BY C;", "ORDER BY"),
        // Keys, MERGE and the statements inside PL/SQL.
        ("CREATE TABLE \"K\" (\"A\" NCLOB PRIMARY KEY);", "key"),
        ("MERGE INTO T d USING T s ON (d.NOTE = s.NOTE) WHEN MATCHED THEN UPDATE SET d.ID = s.ID;", "MERGE ON"),
        ("CREATE OR REPLACE PROCEDURE P AS\n  v NUMBER;\nBEGIN\n  SELECT COUNT(*) INTO v FROM T WHERE NOTE = 'x';\nEND P;\n/", "WHERE comparison"),
        // Spellings sqlglot reads and Oracle 19c does not, or reads otherwise.
        ("SELECT ID FROM T WHERE NAME = '';", "'' is NULL in Oracle"),
        ("SELECT ID FROM T ORDER BY ID LIMIT 1;", "not Oracle 19c: LIMIT"),
        ("CREATE TABLE \"B\" (\"F\" BOOLEAN);", "not Oracle 19c: BOOLEAN"),
        ("SELECT CAST(ID AS BIGINT) FROM T;", "not Oracle 19c: BIGINT"),
        ("SELECT CAST(ID AS VARCHAR2) FROM T;", "without a length"),
        ("CREATE TABLE IF NOT EXISTS \"C\" (\"A\" NUMBER(19));", "IF [NOT] EXISTS"),
        ("SELECT ID FROM T WHERE NAME IS DISTINCT FROM 'x';", "DISTINCT FROM"),
        ("SELECT 1 FROM T WHERE TRUE;", "boolean literal"),
        ("SELECT ID, NAME IS NULL AS NO_NAME FROM T;", "a condition used as a value"),
        // Statements that Oracle (and the checker) cannot read are findings too.
        ("SELECT FROM WHERE;", "does not parse"),
        ("SELECT ID FROM T", "without its terminating ';'"),
    ];
    for (sql, expected) in cases {
        flagged(&format!("{T}{sql}\n"), expected);
    }
    // A LOB in a table created by dynamic DDL, as the script creates its DW_ tables.
    let dynamic = "BEGIN\n  EXECUTE IMMEDIATE 'CREATE TABLE \"D\" (\n  \"NOTE\" NCLOB\n)';\nEXCEPTION WHEN OTHERS THEN\n  IF SQLCODE != -955 THEN RAISE; END IF;\nEND;\n/\nSELECT 1 FROM D WHERE NOTE = 'x';\n";
    flagged(dynamic, "WHERE comparison");
}

#[test]
fn the_checker_accepts_what_oracle_accepts_of_a_lob() {
    // Sized text compared anywhere, LOBs stored, tested for NULL, matched with LIKE, compared
    // with DBMS_LOB.COMPARE, carried through UNION ALL and a view that does not compare them.
    let script = format!(
        "SET DEFINE OFF\n{T}\
         SELECT NAME, COUNT(*), CASE WHEN NOTE IS NULL THEN 1 ELSE 0 END FROM T WHERE NAME = 'x' AND NOTE IS NOT NULL AND NOTE LIKE '%a%' GROUP BY NAME ORDER BY NAME;\n\
         SELECT NOTE FROM T UNION ALL SELECT NOTE FROM T;\n\
         CREATE OR REPLACE VIEW V AS\nSELECT t.NOTE, t.NAME FROM T t WHERE DBMS_LOB.COMPARE(t.NOTE, t.NOTE) = 0;\n\
         SELECT DISTINCT NAME FROM V;\n\
         UPDATE T d SET NOTE = 'y' WHERE d.NAME = 'x';\n"
    );
    let (passed, out) = check(&script);
    assert!(passed, "{out}");
    assert!(out.contains("0 finding(s) in 6 statement(s)"), "{out}");
}
