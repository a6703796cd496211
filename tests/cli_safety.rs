//! The command line against a careless or hostile hand: `query` cannot change the
//! warehouse or read other files, secrets in URLs are never shown, an unusable warehouse
//! URL is a configuration error (exit 2) from every command, a silent server does not hang
//! a run, and a reader that stops reading ends a command normally.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::pg::{own_cluster, PASSWORD_ROLE};
use common::{binary, Backend, Env};

const PIERS_A: &str = "Id,Name,MarinaLocationId\n10001,A,1\n10002,B,1\n10200,C,1\n";
const PIERS_B: &str = "Id,Name,MarinaLocationId\n10001,A2,1\n10002,B2,1\n10200,C2,1\n";

/// Runs the binary with the environment's configuration; (exit code, stdout, stderr).
fn cli(env: &Env, args: &[&str]) -> (i32, String, String) {
    cli_with(env, args, &[])
}

fn cli_with(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(binary());
    cmd.arg("--config").arg(env.config_file()).args(args).envs(vars.iter().copied()).env_remove("PGPASSWORD");
    finish(cmd)
}

/// Runs the command to its end; one that hangs (the defect some of these tests are
/// about) is killed and fails the test instead of hanging the suite.
fn finish(mut cmd: Command) -> (i32, String, String) {
    let files = tempfile::tempdir().unwrap();
    let (out, err) = (files.path().join("out"), files.path().join("err"));
    let mut child = cmd
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let limit = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{cmd:?} hung: killed after 3 minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let read = |p: &std::path::Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    (status.code().expect("exited, not killed"), read(&out), read(&err))
}

/// A warehouse with one MOLO snapshot loaded: three piers, one snapshot.
fn loaded(backend: Backend) -> Env {
    let env = Env::new(backend);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_A)]);
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    env
}

/// What `query` must never change.
fn contents(env: &Env) -> Vec<String> {
    let mut lines = env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID");
    lines.extend(env.lines("SELECT SOURCE, ARCHIVE_KEY FROM ETL_SNAPSHOTS ORDER BY SOURCE"));
    lines
}

fn query_refuses_every_change(backend: Backend) {
    let env = loaded(backend);
    let before = contents(&env);
    assert_eq!(before.len(), 4, "{before:?}");
    let mut writes = vec![
        "WITH x AS (SELECT 1) DELETE/**/FROM DW_MOLO_PIERS WHERE ID < 10100",
        // Quoted in lower case: the name PostgreSQL gave the table, and DuckDB's names
        // match whatever their case.
        "UPDATE\"dw_molo_piers\" SET NAME='x'",
        "DELETE/**/FROM ETL_SNAPSHOTS",
        "INSERT INTO DW_MOLO_PIERS (ID, NAME) VALUES (1, 'x')",
        "DROP TABLE DW_MOLO_PIERS",
        "CREATE TABLE DW_EVIL AS SELECT 1 AS X",
    ];
    match backend {
        // Whatever is tried inside the statement, the transaction stays read-only.
        Backend::Postgres => writes.extend([
            "DO $$ BEGIN SET LOCAL transaction_read_only = off; DELETE FROM dw_molo_piers; END $$",
            "DO $$ BEGIN COMMIT; SET default_transaction_read_only = off; DELETE FROM dw_molo_piers; END $$",
        ]),
        // The configuration is locked: nothing can switch file access back on.
        Backend::DuckDb => writes.extend(["SET enable_external_access = true", "SET lock_configuration = false"]),
    }
    for sql in writes {
        let (code, stdout, stderr) = cli(&env, &["query", sql]);
        assert_eq!(code, 2, "{sql}: {stdout}{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{sql}: one line: {stderr}");
        assert!(stderr.starts_with("marina-etl: "), "{sql}: {stderr}");
        assert_eq!(contents(&env), before, "{sql} changed the warehouse");
    }
    for sql in ["WITH x AS (SELECT 1) DELETE/**/FROM DW_MOLO_PIERS WHERE ID < 10100", "DELETE/**/FROM ETL_SNAPSHOTS"] {
        let (_, _, stderr) = cli(&env, &["query", sql]);
        assert!(stderr.contains("read-only"), "the message says why: {stderr}");
    }
    // Two statements are refused before either runs.
    let (code, _, stderr) = cli(&env, &["query", "SELECT 1; DELETE FROM DW_MOLO_PIERS"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(contents(&env), before);
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS"), 3);
    assert_eq!(env.count("SELECT COUNT(*) FROM information_schema.tables WHERE UPPER(table_name) = 'DW_EVIL'"), 0);
}

fn query_reads_no_local_file_on_duckdb() {
    let env = loaded(Backend::DuckDb);
    let secret = env.dir.path().join("secret.csv");
    std::fs::write(&secret, "A\nsecret-value\n").unwrap();
    let elsewhere = env.dir.path().join("elsewhere.duckdb");
    let q = |s: &str| s.replace("FILE", &secret.display().to_string()).replace("OTHER", &elsewhere.display().to_string());
    for sql in [
        q("SELECT * FROM read_csv('FILE')"),
        q("SELECT * FROM 'FILE'"),
        q("SELECT * FROM read_text('FILE')"),
        q("COPY DW_MOLO_PIERS TO 'OTHER'"),
        q("ATTACH 'OTHER' AS other"),
    ] {
        let (code, stdout, stderr) = cli(&env, &["query", &sql]);
        assert_eq!(code, 2, "{sql}: {stdout}{stderr}");
        assert!(!stdout.contains("secret-value") && !stderr.contains("secret-value"), "{sql}: {stdout}{stderr}");
    }
    assert!(!elsewhere.exists(), "no file written");
}

fn a_semicolon_in_a_literal_is_one_statement(backend: Backend) {
    let env = loaded(backend);
    let (code, stdout, stderr) = cli(&env, &["query", "SELECT 'a;b' AS X, NAME FROM DW_MOLO_PIERS WHERE ID = 10001;", "--format", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "X,NAME\na;b,A\n");
    // A bare name and a limit still work.
    let (code, stdout, stderr) = cli(&env, &["query", "DW_MOLO_PIERS", "--format", "csv", "--limit", "2"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 3, "a header and two rows: {stdout}");
}

/// `query` while a run is inside its publish: PostgreSQL answers with the data as it was
/// before the run; DuckDB lets no other process open the file then, and says so.
fn query_while_a_run_loads(backend: Backend) {
    let env = loaded(backend);
    env.zip("molo", "b.zip", 2, &[("Piers.csv", PIERS_B)]);
    let mut run = Command::new(binary())
        .arg("--config")
        .arg(env.config_file())
        .args(["run", "--source", "molo"])
        .env("MARINA_ETL_FAULT", "pause-after-merge:1:120")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(run.stderr.take().unwrap()).lines();
    assert!(lines.any(|l| l.unwrap().contains("pausing mid-merge")), "the run never reached its merge");
    let (code, stdout, stderr) = cli(&env, &["query", "SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID", "--format", "csv"]);
    run.kill().unwrap();
    run.wait().unwrap();
    match backend {
        Backend::Postgres => {
            assert_eq!(code, 0, "{stderr}");
            assert_eq!(stdout, "ID,NAME\n10001,A\n10002,B\n10200,C\n");
        }
        Backend::DuckDb => {
            assert_eq!(code, 1, "{stdout}{stderr}");
            assert!(stderr.contains("is being loaded by a run") && stderr.contains("try again when the run has finished"), "{stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
        }
    }
}

#[cfg(unix)]
fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

/// A warehouse file nobody may write, in a folder nobody may write: `query` reads it.
/// Root may write anything, so as root the query runs as `nobody`, from a copy of the
/// binary that `nobody` can reach.
#[test]
fn query_reads_a_read_only_duckdb_file() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let env = loaded(Backend::DuckDb);
    let folder = env.dir.path().join("ro");
    std::fs::create_dir(&folder).unwrap();
    let file = folder.join("w.duckdb");
    std::fs::copy(env.dir.path().join("w.duckdb"), &file).unwrap();
    let config = env.dir.path().join("ro.toml");
    std::fs::write(&config, format!("[warehouse]\nurl = \"duckdb://{}\"\n", file.display())).unwrap();
    let mut program = binary();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = Command::new(&program);
    if is_root() {
        let copy = env.dir.path().join("marina-etl");
        std::fs::copy(&program, &copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        program = copy;
        cmd = Command::new(&program);
        cmd.uid(65534).gid(65534).current_dir(&folder).env("HOME", &folder);
    }
    cmd.arg("--config").arg(&config).args(["query", "SELECT ID, NAME FROM DW_MOLO_PIERS ORDER BY ID", "--format", "csv"]);
    let (code, stdout, stderr) = finish(cmd);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "ID,NAME\n10001,A\n10002,B\n10200,C\n");
    let names: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "nothing written next to the file: {names:?}");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A config file whose warehouse is `url` (sources in the environment's folder).
fn env_at(url: &str) -> Env {
    let mut env = Env::new(Backend::DuckDb);
    env.config.warehouse.url = url.to_string();
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_A)]);
    env
}

/// A TCP server on a loopback port that accepts connections and never says a word.
fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    port
}

const COMMANDS: [&[&str]; 3] = [&["run"], &["status"], &["query", "DW_MOLO_PIERS"]];

#[test]
fn secrets_in_a_postgres_url_are_never_shown() {
    let cluster = own_cluster();
    let port = url::Url::parse(&cluster.admin_url).unwrap().port().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let silent = silent_server();
    let urls = [
        // Reaches the server, which refuses the password.
        format!("postgres://{PASSWORD_ROLE}@127.0.0.1:{port}/postgres?password=s3cret-pw&sslpassword=s3cret-ssl&sslmode=disable"),
        format!("postgres://{PASSWORD_ROLE}:s3cret-user@127.0.0.1:{port}/postgres?sslpassword=s3cret-ssl"),
        // Nothing listens.
        format!("postgres://etl:s3cret-user@127.0.0.1:{closed}/w?password=s3cret-pw&sslpassword=s3cret-ssl"),
        // Listens and never answers.
        format!("postgres://etl:s3cret-user@127.0.0.1:{silent}/w?password=s3cret-pw&sslpassword=s3cret-ssl&connect_timeout=1"),
    ];
    for url in &urls {
        let env = env_at(url);
        for args in COMMANDS {
            let (code, stdout, stderr) = cli(&env, args);
            assert_eq!(code, 1, "{url} {args:?}: {stderr}");
            assert!(!stdout.contains("s3cret") && !stderr.contains("s3cret"), "{url} {args:?}: {stdout}{stderr}");
            assert!(stderr.contains("cannot open the warehouse postgres://"), "{url} {args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        }
    }
    let (code, _, stderr) = cli(&env_at(&urls[0]), &["run"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("password authentication failed"), "the server was reached and refused: {stderr}");
    assert!(stderr.contains("password=***&sslpassword=***"), "{stderr}");
}

#[test]
fn a_server_that_never_answers_fails_within_the_connect_timeout() {
    let port = silent_server();
    // From the URL (libpq's seconds), through TLS negotiation (sslmode=prefer).
    let url = format!("postgres://etl:s3cret@127.0.0.1:{port}/w?connect_timeout=1");
    let env = env_at(&url);
    for args in COMMANDS {
        let (code, _, stderr) = cli(&env, args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert_eq!(
            stderr.trim(),
            format!("marina-etl: cannot open the warehouse postgres://etl:***@127.0.0.1:{port}/w?connect_timeout=1: the server did not answer within 1s (connect_timeout)"),
        );
    }
    // From the configuration, without TLS, through the library.
    let mut env = env_at(&format!("postgres://etl@127.0.0.1:{port}/w?sslmode=disable"));
    env.config.warehouse.connect_timeout = Some(std::time::Duration::from_millis(500));
    let err = marina_etl::run::run(&env.config, &marina_etl::run::RunOptions::default()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("cannot open the warehouse postgres://etl@127.0.0.1:{port}/w?sslmode=disable: the server did not answer within 500ms (connect_timeout)")
    );
}

#[test]
fn the_statement_timeout_ends_a_long_statement_with_a_clear_error() {
    let env = loaded(Backend::Postgres);
    let timeout = [("MARINA_ETL_WAREHOUSE__STATEMENT_TIMEOUT", "200ms")];
    let (code, stdout, stderr) = cli_with(&env, &["query", "SELECT pg_sleep(30)"], &timeout);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("canceling statement due to statement timeout"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let (code, stdout, stderr) = cli_with(&env, &["query", "SELECT 1 AS X", "--format", "csv"], &timeout);
    assert_eq!((code, stdout.as_str()), (0, "X\n1\n"), "a short statement runs: {stderr}");
}

#[test]
fn an_unusable_warehouse_url_is_a_configuration_error_for_every_command() {
    let env = Env::new(Backend::DuckDb);
    let folder = env.dir.path().join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let missing = env.dir.path().join("missing");
    let urls = [
        "duckdb://".to_string(),
        "duckdb://:memory:".to_string(),
        format!("duckdb://{}", folder.display()),
        format!("duckdb://{}/w.duckdb", missing.display()),
        "mysql://root:s3cret@db/w".to_string(),
        "marina.duckdb".to_string(),
        "postgres://etl@db:notaport/w".to_string(),
    ];
    for url in &urls {
        let env = env_at(url);
        for args in COMMANDS {
            let (code, stdout, stderr) = cli(&env, args);
            assert_eq!(code, 2, "{url} {args:?}: {stdout}{stderr}");
            assert_eq!(stderr.lines().count(), 1, "{url} {args:?}: one line: {stderr}");
            assert!(stderr.starts_with("marina-etl: warehouse URL '"), "{url} {args:?}: {stderr}");
            assert!(!stderr.contains("s3cret"), "{stderr}");
        }
    }
    assert!(!missing.exists(), "nothing created");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0, "nothing created in the folder");
}

/// Many runs in the ledger, so that `status` writes more than a pipe holds.
fn with_many_runs(backend: Backend) -> Env {
    let env = loaded(backend);
    let wh = marina_etl::warehouse::open(&env.config.warehouse).unwrap();
    let mut s = wh.session().unwrap();
    let series = match backend {
        Backend::DuckDb => "range(100, 3100) AS t(i)",
        Backend::Postgres => "generate_series(100, 3099) AS t(i)",
    };
    s.execute(&format!(
        "INSERT INTO ETL_RUNS (RUN_ID, STARTED_AT, FINISHED_AT, STATUS, HOST, VERSION, ERROR_TEXT) \
         SELECT i, TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:01:00', 'succeeded', 'host', '0', NULL FROM {series}"
    ))
    .unwrap();
    env
}

/// Starts the binary with its output in a pipe, reads one line and closes the pipe.
fn read_one_line_and_close(env: &Env, args: &[&str]) -> (i32, String) {
    let mut child = Command::new(binary())
        .arg("--config")
        .arg(env.config_file())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "{args:?} printed nothing");
    // The reader is gone: the rest of the output meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    (out.status.code().expect("exited, not killed by a signal"), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn a_reader_that_stops_reading_ends_the_command_normally(backend: Backend) {
    let env = with_many_runs(backend);
    let (code, stdout, _) = cli(&env, &["status", "--runs", "3000"]);
    assert_eq!(code, 0);
    assert!(stdout.len() > 128 << 10, "more than any pipe holds: {} bytes", stdout.len());
    let big_query = match backend {
        Backend::DuckDb => "SELECT range AS I FROM range(300000)",
        Backend::Postgres => "SELECT generate_series(1, 300000) AS I",
    };
    for args in [&["status", "--runs", "3000"][..], &["query", big_query], &["sql", "--dialect", "postgres"]] {
        let (code, stderr) = read_one_line_and_close(&env, args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

backend_tests!(
    query_refuses_every_change,
    a_semicolon_in_a_literal_is_one_statement,
    query_while_a_run_loads,
    a_reader_that_stops_reading_ends_the_command_normally,
);

#[test]
fn duckdb_query_reads_no_local_file() {
    query_reads_no_local_file_on_duckdb();
}
