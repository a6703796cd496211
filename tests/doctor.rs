//! `marina-etl doctor` against a good deployment and against each broken part: one line
//! per check, `ok | warn | FAIL`, exit 0 when nothing failed, else 1.

mod common;
#[path = "support/notify_servers.rs"]
mod servers;

use common::{Backend, Env};
use servers::{closed_port, marina, HookServer, SmtpServer, SMTP_PASSWORD};

const PIERS: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n";

/// A deployment whose every part works: MOLO's folder with a snapshot exported just now,
/// a warehouse a run has made, an SMTP server that takes the credentials, a webhook on
/// loopback. `stellar` is Stellar's location when given (else it is not configured),
/// `smtp_port` the SMTP port to use instead of the server's.
struct Deployment {
    env: Env,
    smtp: SmtpServer,
    _hook: HookServer,
    file: std::path::PathBuf,
}

fn deployment(backend: Backend, stellar: Option<&str>, smtp_port: Option<u16>) -> Deployment {
    let env = Env::new(backend);
    let smtp = SmtpServer::start(env.dir.path());
    let hook = HookServer::start(&[]);
    let zip = env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", PIERS)]);
    std::fs::File::options().write(true).open(&zip).unwrap().set_modified(std::time::SystemTime::now()).unwrap();
    let password = env.dir.path().join("smtp-password");
    std::fs::write(&password, SMTP_PASSWORD).unwrap();
    let hooks = env.dir.path().join("hooks");
    std::fs::write(&hooks, format!("http://127.0.0.1:{}/hook/s3cret-token\n", hook.port)).unwrap();
    let mut text = format!("[warehouse]\nurl = \"{}\"\n[sources.molo]\nlocation = \"{}\"\n", env.config.warehouse.url, env.folder("molo").display());
    if let Some(location) = stellar {
        text.push_str(&format!("[sources.stellar]\nlocation = \"{location}\"\n"));
    }
    let mut email = smtp.email_section(&password, "[\"failure\"]");
    if let Some(port) = smtp_port {
        email = email.replace(&format!("port = {}", smtp.port), &format!("port = {port}"));
    }
    text.push_str(&email);
    text.push_str(&format!("[notify.webhook]\nurls_file = \"{}\"\n", hooks.display()));
    let file = env.dir.path().join("marina-etl.toml");
    std::fs::write(&file, text).unwrap();
    // The warehouse exists: a run made it (on MOLO only).
    let (code, _, stderr) = marina(&["--config", file.to_str().unwrap(), "run", "--source", "molo"], &[]);
    assert_eq!(code, 0, "{stderr}");
    Deployment { env, smtp, _hook: hook, file }
}

/// Runs the doctor: its exit code and its lines.
fn doctor(d: &Deployment, env: &[(&str, &str)]) -> (i32, Vec<String>) {
    let (code, stdout, stderr) = marina(&["--config", d.file.to_str().unwrap(), "doctor"], env);
    assert!(!stdout.contains("s3cret") && !stderr.contains("s3cret") && !stdout.contains(SMTP_PASSWORD), "no secret shown: {stdout}{stderr}");
    (code, stdout.lines().map(str::to_string).collect())
}

/// The line of the check `what`.
fn line<'a>(lines: &'a [String], what: &str) -> &'a str {
    lines.iter().find(|l| l.get(6..).is_some_and(|rest| rest.starts_with(what))).unwrap_or_else(|| panic!("no line for {what}: {lines:#?}"))
}

fn verdicts(lines: &[String]) -> Vec<&str> {
    lines.iter().map(|l| l.split_whitespace().next().unwrap_or("")).collect()
}

fn a_good_deployment_is_all_ok(backend: Backend) {
    let d = deployment(backend, None, None);
    let (code, lines) = doctor(&d, &[]);
    assert_eq!(code, 0, "{lines:#?}");
    assert_eq!(verdicts(&lines), ["ok"; 7], "{lines:#?}");
    assert!(line(&lines, "configuration").contains("parses; no environment override"), "{lines:#?}");
    assert!(line(&lines, "source molo").contains("newest snapshot") && line(&lines, "source molo").contains("20250101050000.zip"), "{lines:#?}");
    assert!(line(&lines, "run lock").ends_with("free"));
    let warehouse = line(&lines, "warehouse");
    assert!(warehouse.contains("reachable and writable"), "{warehouse}");
    match backend {
        Backend::DuckDb => assert!(warehouse.contains("DuckDB v") && warehouse.contains("free"), "{warehouse}"),
        Backend::Postgres => assert!(warehouse.contains("PostgreSQL ") && warehouse.contains("database "), "{warehouse}"),
    }
    assert!(line(&lines, "temp folder").contains("free"), "{lines:#?}");
    assert_eq!(
        line(&lines, "smtp"),
        format!("ok    smtp                smtp://127.0.0.1:{} connects (STARTTLS), authenticated as {}; nothing sent", d.smtp.port, servers::SMTP_USER)
    );
    assert!(line(&lines, "webhook").contains("/*** resolves"), "{lines:#?}");
    assert!(d.smtp.messages().is_empty(), "the doctor sends nothing");
}

/// Only `what` fails; every other check is still made and ok.
fn only_fails(lines: &[String], what: &str) {
    for l in lines {
        let verdict = l.split_whitespace().next().unwrap();
        if l[6..].starts_with(what) {
            assert_eq!(verdict, "FAIL", "{lines:#?}");
            assert!(l.contains("  -> "), "a hint: {l}");
        } else {
            assert!(verdict == "ok" || (what == "run lock" && l[6..].starts_with("warehouse")), "{lines:#?}");
        }
    }
}

#[test]
fn an_unknown_environment_override_fails_the_configuration() {
    let d = deployment(Backend::DuckDb, None, None);
    let (code, lines) = doctor(&d, &[("MARINA_ETL_WAREHOUSE__URLX", "duckdb://x.duckdb")]);
    assert_eq!(code, 1);
    assert!(lines[0].starts_with("FAIL  configuration"), "{lines:#?}");
    assert!(lines[0].contains("urlx") && lines[0].contains("MARINA_ETL_WAREHOUSE__URLX"), "names the key and the variable: {lines:#?}");
    // A known override is fine and said.
    let (code, lines) = doctor(&d, &[("MARINA_ETL_LOAD__MAX_REJECT_RATIO", "0.02")]);
    assert_eq!(code, 0, "{lines:#?}");
    assert!(line(&lines, "configuration").contains("environment overrides, all known: MARINA_ETL_LOAD__MAX_REJECT_RATIO"), "{lines:#?}");
}

#[test]
fn a_bad_configuration_key_fails_the_configuration() {
    let d = deployment(Backend::DuckDb, None, None);
    let text = std::fs::read_to_string(&d.file).unwrap().replace("[notify.webhook]\n", "[notify.webhook]\nformats = \"json\"\n");
    std::fs::write(&d.file, text).unwrap();
    let (code, lines) = doctor(&d, &[]);
    assert_eq!(code, 1);
    assert!(lines[0].starts_with("FAIL  configuration") && lines[0].contains("formats"), "{lines:#?}");
}

#[test]
fn an_unreachable_source_folder_fails_its_source() {
    let d = deployment(Backend::DuckDb, Some("/nonexistent/marina/stellar"), None);
    let (code, lines) = doctor(&d, &[]);
    assert_eq!(code, 1);
    only_fails(&lines, "source stellar");
    assert!(line(&lines, "source stellar").contains("the folder does not exist"), "{lines:#?}");
}

#[test]
fn a_source_without_a_snapshot_fails() {
    let env_folder = tempfile::tempdir().unwrap();
    let d = deployment(Backend::DuckDb, Some(env_folder.path().to_str().unwrap()), None);
    let (code, lines) = doctor(&d, &[]);
    assert_eq!(code, 1);
    only_fails(&lines, "source stellar");
    assert!(line(&lines, "source stellar").contains("no snapshot under"), "{lines:#?}");
}

#[test]
fn an_unwritable_warehouse_fails() {
    let d = deployment(Backend::Postgres, None, None);
    // New sessions of this database may read, never write (a replica, a read-only role).
    d.env.execute("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$");
    let (code, lines) = doctor(&d, &[]);
    assert_eq!(code, 1);
    only_fails(&lines, "warehouse");
    assert!(line(&lines, "warehouse").contains("is reachable but not writable") && line(&lines, "warehouse").contains("read-only"), "{lines:#?}");
}

#[test]
fn an_unreachable_warehouse_fails() {
    let d = deployment(Backend::DuckDb, None, None);
    let file = d.env.config.warehouse.url.strip_prefix("duckdb://").unwrap().to_string();
    std::fs::write(&file, "this is not a DuckDB database").unwrap();
    let (code, lines) = doctor(&d, &[]);
    assert_eq!(code, 1);
    only_fails(&lines, "warehouse");
    assert!(line(&lines, "warehouse").contains("cannot open the warehouse"), "{lines:#?}");
}

fn a_held_run_lock_fails(backend: Backend) {
    let d = deployment(backend, None, None);
    let lock = marina_etl::warehouse::try_lock_run(&d.env.config.warehouse).unwrap().expect("the lock is free");
    let (code, lines) = doctor(&d, &[]);
    assert_eq!(code, 1);
    only_fails(&lines, "run lock");
    assert!(line(&lines, "run lock").contains("held: a run is in progress"), "{lines:#?}");
    if backend == Backend::DuckDb {
        assert!(line(&lines, "warehouse").starts_with("warn") && line(&lines, "warehouse").contains("not checked"), "{lines:#?}");
    }
    drop(lock);
    assert_eq!(doctor(&d, &[]).0, 0, "free again");
}

#[test]
fn a_refused_smtp_connection_fails() {
    let d = deployment(Backend::DuckDb, None, Some(closed_port()));
    let (code, lines) = doctor(&d, &[]);
    assert_eq!(code, 1);
    only_fails(&lines, "smtp");
    assert!(line(&lines, "smtp").contains("Connection refused"), "{lines:#?}");
}

#[test]
fn wrong_smtp_credentials_fail() {
    let d = deployment(Backend::DuckDb, None, None);
    std::fs::write(d.env.dir.path().join("smtp-password"), "not-the-password").unwrap();
    let (code, lines) = doctor(&d, &[]);
    assert_eq!(code, 1);
    only_fails(&lines, "smtp");
    assert!(line(&lines, "smtp").contains("535"), "{lines:#?}");
}

backend_tests!(a_good_deployment_is_all_ok, a_held_run_lock_fails);
