//! Notifications at the end of a run: e-mail through a real SMTP server on loopback
//! (aiosmtpd, STARTTLS on a test certificate, AUTH), webhooks to a loopback receiver,
//! `notify --test`. A notification that cannot be delivered is one warning line and a row
//! of `ETL_NOTIFICATIONS`; the run's exit code is the one it would have had anyway.

mod common;
#[path = "support/notify_servers.rs"]
mod servers;

use common::{Backend, Env};
use servers::{closed_port, marina, HookServer, SmtpServer, SMTP_PASSWORD};

const PIERS: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n3,C,2\n";
/// Row 2 has a location id that is not a number: one reject.
const PIERS_WITH_REJECT: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B,x\n3,C,2\n";

/// Writes the configuration: the warehouse, the given sources, rejects tolerated up to
/// half of a table (so one bad row of three publishes), and `extra` sections.
fn config(env: &Env, sources: &[&str], extra: &str) -> std::path::PathBuf {
    let mut text = format!("[warehouse]\nurl = \"{}\"\n[load]\nmax_reject_ratio = 0.5\n", env.config.warehouse.url);
    for s in sources {
        text.push_str(&format!("[sources.{s}]\nlocation = \"{}\"\n", env.folder(s).display()));
    }
    text.push_str(extra);
    let path = env.dir.path().join("marina-etl.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn password_file(env: &Env, password: &str) -> std::path::PathBuf {
    let path = env.dir.path().join("smtp-password");
    std::fs::write(&path, format!("{password}\n")).unwrap();
    path
}

/// The lines of `stderr` about notifications that are warnings (a run of these hand-made
/// snapshots also warns of a freshness check).
fn warnings(stderr: &str) -> Vec<&str> {
    let notification_lines: Vec<&str> = stderr.lines().filter(|l| l.contains("notification")).collect();
    assert!(notification_lines.iter().all(|l| l.contains(" WARN ")), "{stderr}");
    notification_lines
}

fn mail_arrives_with_subject_bodies_and_the_rejects_attached(backend: Backend) {
    let env = Env::new(backend);
    let smtp = SmtpServer::start(env.dir.path());
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", PIERS_WITH_REJECT)]);
    // Stellar's folder is empty: that source fails, so the run is a failure (exit 1).
    let file = config(&env, &["molo", "stellar"], &smtp.email_section(&password_file(&env, SMTP_PASSWORD), "[\"failure\"]"));
    let (code, _, stderr) = marina(&["--config", file.to_str().unwrap(), "run"], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains(SMTP_PASSWORD), "the password is never printed: {stderr}");
    let run_id = env.count("SELECT MAX(RUN_ID) FROM ETL_RUNS");

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "one message: {messages:?}");
    let m = &messages[0];
    assert_eq!(m["subject"], format!("[marina-etl] FAILED run {run_id}: molo ok (1 rejected), stellar failed"));
    assert_eq!(m["auth_user"], servers::SMTP_USER, "authenticated");
    assert_eq!(m["tls"], true, "over STARTTLS");
    assert_eq!(m["rcpt_tos"], serde_json::json!(["ops@marina.test", "finance@marina.test"]));
    let text = &m["text"].as_str().unwrap().replace("\r\n", "\n");
    let molo_row = text.lines().find(|l| l.starts_with("molo")).unwrap_or_else(|| panic!("a row per source: {text}"));
    let cells: Vec<&str> = molo_row.split_whitespace().collect();
    // source, status, snapshot, inserted, updated, deleted, rejected, seconds
    assert_eq!(&cells[..7], ["molo", "published", &format!("{}/20250101050000.zip", env.folder("molo").display()), "2", "0", "0", "1"], "{text}");
    assert!(text.lines().any(|l| l.starts_with("stellar") && l.contains("failed")), "{text}");
    assert!(text.contains("stellar: no snapshot under"), "the error line: {text}");
    assert!(text.contains(&format!("marina-etl status --run {run_id}")), "{text}");
    // The checks that did not pass, from ETL_CHECK_RESULTS (the snapshot has no reservations).
    assert!(text.contains("Checks that did not pass:\n  - warn check molo_reservations_fresh (freshness) on molo.reservations: warn"), "{text}");
    assert!(text.contains(&format!("rejects-run-{run_id}.csv holds the run's 1 rejected rows")), "{text}");
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("<table") && html.contains("<td>molo</td><td>published</td>"), "{html}");
    assert!(html.contains("stellar: no snapshot under"), "{html}");

    let attachments = m["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["filename"], format!("rejects-run-{run_id}.csv"));
    assert_eq!(attachments[0]["content_type"], "text/csv");
    let mut csv = csv::Reader::from_reader(attachments[0]["text"].as_str().unwrap().as_bytes());
    assert_eq!(csv.headers().unwrap().iter().collect::<Vec<_>>(), ["SOURCE", "TABLE_NAME", "FILE_NAME", "LINE_NUMBER", "COLUMN_NAME", "RAW_VALUE", "REASON", "RAW_LINE"]);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].iter().take(4).collect::<Vec<_>>(), ["molo", "piers", "Piers.csv", "3"]);
    assert_eq!(&rows[0][5], "x");
    assert_eq!(&rows[0][7], "2,B,x");

    assert_eq!(
        env.lines(&format!("SELECT CHANNEL, TARGET, EVENT, STATUS, ATTEMPTS, MESSAGE FROM ETL_NOTIFICATIONS WHERE RUN_ID = {run_id}")),
        vec![format!("email|smtp://127.0.0.1:{}|failure|sent|1|∅", smtp.port)]
    );
    let (code, stdout, _) = marina(&["--config", file.to_str().unwrap(), "status", "--run", &run_id.to_string()], &[]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Notifications") && stdout.contains(&format!("smtp://127.0.0.1:{}", smtp.port)), "{stdout}");
    assert!(stdout.contains("Rejects (1;"), "{stdout}");
}

/// An e-mail that cannot be delivered (`password`, `port`) to a run that succeeds: exit
/// 0 all the same, one warning line, the failure recorded on the run.
fn undeliverable_mail(password: &str, port: Option<u16>, reason: &str) {
    let env = Env::new(Backend::DuckDb);
    let smtp = SmtpServer::start(env.dir.path());
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", PIERS)]);
    let mut section = smtp.email_section(&password_file(&env, password), "[\"failure\", \"warning\", \"success\"]");
    if let Some(port) = port {
        section = section.replace(&format!("port = {}", smtp.port), &format!("port = {port}"));
    }
    let file = config(&env, &["molo"], &section);
    let (code, _, stderr) = marina(&["--config", file.to_str().unwrap(), "run"], &[]);
    assert_eq!(code, 0, "the run succeeded, whatever happened to its message: {stderr}");
    let warned = warnings(&stderr);
    assert_eq!(warned.len(), 1, "one warning line: {stderr}");
    assert!(warned[0].contains("notification by email to smtp://127.0.0.1:") && warned[0].contains("not delivered"), "{}", warned[0]);
    assert!(warned[0].contains(reason), "says why ({reason}): {}", warned[0]);
    assert!(!stderr.contains(password) && !stderr.contains(SMTP_PASSWORD), "no password printed: {stderr}");
    assert!(smtp.messages().is_empty());
    let recorded = env.lines("SELECT RUN_ID, CHANNEL, EVENT, STATUS, ATTEMPTS FROM ETL_NOTIFICATIONS");
    // A warning: the hand-made snapshot has no reservations, and the freshness rule warns.
    assert_eq!(recorded, vec!["1|email|warning|failed|1"]);
    let message = env.lines("SELECT MESSAGE FROM ETL_NOTIFICATIONS").remove(0);
    assert!(message.contains(reason), "{message}");
    assert_eq!(env.lines("SELECT STATUS FROM ETL_RUNS"), vec!["succeeded"], "the run's record is untouched");
}

#[test]
fn wrong_credentials_give_one_warning_line_and_an_unchanged_exit_code() {
    undeliverable_mail("wr0ng-password", None, "535");
}

#[test]
fn a_closed_port_gives_one_warning_line_and_an_unchanged_exit_code() {
    undeliverable_mail(SMTP_PASSWORD, Some(closed_port()), "refused");
}

fn webhook_section(env: &Env, port: u16, format: &str, retries: u32) -> String {
    let urls = env.dir.path().join("webhooks");
    std::fs::write(&urls, format!("# ops\nhttp://127.0.0.1:{port}/hooks/T0K3N\n")).unwrap();
    format!(
        "[notify.webhook]\nurls_file = \"{}\"\nformat = \"{format}\"\non = [\"failure\", \"warning\", \"success\"]\ntimeout = \"5s\"\nretries = {retries}\nbackoff = \"10ms\"\n",
        urls.display()
    )
}

#[test]
fn a_webhook_that_fails_twice_is_retried_until_it_accepts() {
    let env = Env::new(Backend::DuckDb);
    let hook = HookServer::start(&[500, 503]);
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", PIERS_WITH_REJECT)]);
    let file = config(&env, &["molo"], &webhook_section(&env, hook.port, "json", 3));
    let (code, _, stderr) = marina(&["--config", file.to_str().unwrap(), "run"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("T0K3N"), "the URL's path is a secret: {stderr}");
    let requests = hook.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3, "two failures, then accepted: {requests:?}");
    assert!(requests.iter().all(|(path, body)| path == "/hooks/T0K3N" && body == &requests[0].1), "the same body each time");
    let summary: serde_json::Value = serde_json::from_str(&requests[0].1).unwrap();
    assert_eq!(summary["schema"], "marina-etl/run-summary/1");
    assert_eq!(summary["run_id"], 1);
    assert_eq!(summary["event"], "warning", "a reject makes a warning");
    assert_eq!(summary["status"], "succeeded");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["rejects"], 1);
    assert_eq!(summary["subject"], "[marina-etl] WARNING run 1: molo ok (1 rejected)");
    assert_eq!(summary["sources"][0]["source"], "molo");
    assert_eq!(summary["sources"][0]["rows_inserted"], 2);
    assert_eq!(summary["sources"][0]["rows_rejected"], 1);
    assert_eq!(summary["hint"], "marina-etl status --run 1");
    assert_eq!(
        env.lines("SELECT CHANNEL, TARGET, EVENT, STATUS, ATTEMPTS FROM ETL_NOTIFICATIONS"),
        vec![format!("webhook|http://127.0.0.1:{}/***|warning|sent|3", hook.port)]
    );
}

#[test]
fn a_webhook_that_never_accepts_is_given_up_after_its_retries() {
    let env = Env::new(Backend::DuckDb);
    let hook = HookServer::start(&[500, 500, 500, 500, 500]);
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", PIERS)]);
    let file = config(&env, &["molo"], &webhook_section(&env, hook.port, "slack", 2));
    let (code, _, stderr) = marina(&["--config", file.to_str().unwrap(), "run"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(hook.bodies().len(), 3, "the first attempt and two retries");
    let slack: serde_json::Value = serde_json::from_str(&hook.bodies()[0]).unwrap();
    let text = slack["text"].as_str().unwrap();
    // The hand-made snapshot has no reservations: the freshness rule warns.
    assert!(text.starts_with("*[marina-etl] WARNING run 1: molo ok*\n• *molo* published: 3 inserted, 0 updated, 0 deleted, 0 rejected"), "{slack}");
    assert!(text.contains("\n> warn check molo_reservations_fresh (freshness) on molo.reservations: warn"), "the failed check: {slack}");
    let warned = warnings(&stderr);
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(warned[0].contains("500") && warned[0].contains("after 3 attempt(s)"), "{}", warned[0]);
    assert_eq!(env.lines("SELECT STATUS, ATTEMPTS FROM ETL_NOTIFICATIONS"), vec!["failed|3"]);
}

#[test]
fn notify_test_sends_through_every_channel_and_says_which_worked() {
    let env = Env::new(Backend::DuckDb);
    let smtp = SmtpServer::start(env.dir.path());
    let hook = HookServer::start(&[]);
    let closed = closed_port();
    let urls = env.dir.path().join("webhooks");
    std::fs::write(&urls, format!("http://127.0.0.1:{}/good http://127.0.0.1:{closed}/gone\n", hook.port)).unwrap();
    let extra = format!(
        "{}[notify.webhook]\nurls_env = \"MARINA_TEST_HOOKS\"\nformat = \"teams\"\nretries = 0\n",
        smtp.email_section(&password_file(&env, SMTP_PASSWORD), "[\"failure\"]")
    );
    let file = config(&env, &["molo"], &extra);
    let hooks = std::fs::read_to_string(&urls).unwrap();
    let (code, stdout, stderr) = marina(&["--config", file.to_str().unwrap(), "notify", "--test"], &[("MARINA_TEST_HOOKS", hooks.trim())]);
    assert_eq!(code, 1, "one channel failed: {stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("ok    email") && lines[0].contains(&format!("smtp://127.0.0.1:{}", smtp.port)), "{stdout}");
    assert!(lines[1].starts_with("ok    webhook") && lines[1].contains(&format!("http://127.0.0.1:{}/***", hook.port)), "{stdout}");
    assert!(lines[2].starts_with("FAIL  webhook") && lines[2].contains(&format!("127.0.0.1:{closed}/***")), "{stdout}");
    assert!(!stdout.contains("/good") && !stdout.contains("/gone"), "{stdout}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["subject"], "[marina-etl] TEST message: notifications work");
    let card: serde_json::Value = serde_json::from_str(&hook.bodies()[0]).unwrap();
    assert_eq!(card["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(card["attachments"][0]["content"]["body"][0]["text"], "[marina-etl] TEST message: notifications work");
}

backend_tests!(mail_arrives_with_subject_bodies_and_the_rejects_attached);

#[test]
fn rejects_beyond_1_mb_are_cut_to_the_first_rows_with_a_note() {
    let env = Env::new(Backend::DuckDb);
    let smtp = SmtpServer::start(env.dir.path());
    // 2,000 rejects of about 1 KB each in the CSV (raw value and raw line cut to 500 characters).
    let long = "x".repeat(600);
    let mut piers = String::from("Id,Name,MarinaLocationId\n");
    for i in 0..2000 {
        piers.push_str(&format!("{i},N{i},{long}\n"));
    }
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", &piers)]);
    let file = config(&env, &["molo"], &smtp.email_section(&password_file(&env, SMTP_PASSWORD), "[\"failure\"]"));
    let (code, _, stderr) = marina(&["--config", file.to_str().unwrap(), "run"], &[]);
    assert_eq!(code, 1, "every row rejected fails the table: {stderr}");
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_REJECTS"), 2000);
    let messages = smtp.messages();
    let m = &messages[0];
    let attachment = &m["attachments"][0];
    let size = attachment["size"].as_u64().unwrap();
    assert!(size <= 1 << 20 && size > (1 << 20) - 2048, "filled up to 1 MB: {size}");
    let rows = csv::Reader::from_reader(attachment["text"].as_str().unwrap().as_bytes()).records().map(Result::unwrap).collect::<Vec<_>>();
    assert!(rows.len() < 2000 && rows.len() > 500, "{}", rows.len());
    assert_eq!(&rows[0][5], "x".repeat(500), "values cut to 500 characters");
    let text = m["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.contains(&format!("rejects-run-1.csv holds the first {} of the run's 2000 rejected rows (the attachment is limited to 1 MB", rows.len())),
        "the note: {text}"
    );
    assert!(text.contains("SELECT * FROM ETL_REJECTS WHERE RUN_ID = 1"), "{text}");
}

#[test]
fn a_run_that_cannot_start_is_a_failure_told_through_the_channels() {
    let env = Env::new(Backend::DuckDb);
    let hook = HookServer::start(&[]);
    let file = config(&env, &["molo"], &webhook_section(&env, hook.port, "json", 0));
    // Nothing listens where the warehouse should be.
    let url = format!("postgres://etl@127.0.0.1:{}/warehouse?connect_timeout=2", closed_port());
    let (code, _, stderr) = marina(&["--config", file.to_str().unwrap(), "run"], &[("MARINA_ETL_WAREHOUSE__URL", &url)]);
    assert_eq!(code, 1, "{stderr}");
    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 1, "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(summary["event"], "failure");
    assert_eq!(summary["status"], "not_started");
    assert_eq!(summary["run_id"], serde_json::Value::Null);
    assert_eq!(summary["exit_code"], 1);
    let subject = summary["subject"].as_str().unwrap();
    assert!(subject.starts_with("[marina-etl] FAILED run: cannot open the warehouse postgres://etl@127.0.0.1:"), "{subject}");
}
