//! S3 sources against a real S3 endpoint on loopback (moto's server, objects uploaded
//! with boto3): the loading lifecycle, listing past 1,000 keys, every failure with its
//! one-line message and exit code, retries that absorb dropped connections and cut
//! downloads, and `run --wait`.

mod common;
#[path = "common/s3.rs"]
mod s3;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use marina_etl::run::SourceStatus;
use s3::{ran, S3Env};
use sha2::{Digest, Sha256};

const PIERS_V1: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n3,C,2\n";
const PIERS_V2: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B2,1\n4,D,2\n";

fn sha256_file(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn s3_load_update_delete_and_skip_like_a_folder() {
    let env = S3Env::new("t-lifecycle");
    let first = env.put_zip("molo", "20250101050000.zip", &[("Piers.csv", PIERS_V1)]);
    let tar = env.tar_gz("a-DATA.sql.gz", 1, &[("data/holidays.csv", "location_id,holiday_date\n1,2025-07-04\n2,2025-07-04\n")]);
    env.upload("stellar", "prod_2025-01-01-DATA.sql.gz", &tar);
    let ns = env.put_zip("netsuite", "netsuite_20250101.zip", &[("subsidiary.csv", "id,name\n8,North LLC\n16,South LLC\n")]);

    let r1 = env.run(&[]);
    assert_eq!(r1.exit_code(), 0, "{:?}", r1.sources.iter().map(|s| &s.message).collect::<Vec<_>>());
    assert_eq!(env.table_counts(r1.run_id, "piers"), "published|3|3|0|3|0|0|0|0");
    assert_eq!(env.table_counts(r1.run_id, "holidays"), "published|2|2|0|2|0|0|0|0");
    assert_eq!(env.table_counts(r1.run_id, "subsidiary"), "published|2|2|0|2|0|0|0|0");
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_NS_SUBSIDIARY ORDER BY ID"), vec!["8|North LLC", "16|South LLC"]);
    assert_eq!(
        env.lines("SELECT SOURCE, ARCHIVE_KEY, SIZE_BYTES, CHECKSUM FROM ETL_SNAPSHOTS ORDER BY SOURCE"),
        vec![
            format!("molo|molo/20250101050000.zip|{}|{}", std::fs::metadata(&first).unwrap().len(), sha256_file(&first)),
            format!("netsuite|netsuite/netsuite_20250101.zip|{}|{}", std::fs::metadata(&ns).unwrap().len(), sha256_file(&ns)),
            format!("stellar|stellar/prod_2025-01-01-DATA.sql.gz|{}|{}", std::fs::metadata(&tar).unwrap().len(), sha256_file(&tar)),
        ]
    );
    assert_eq!(r1.sources[0].snapshot.as_deref(), Some("s3://t-lifecycle/molo/20250101050000.zip"));
    // S3 is read by the Rust side; DuckDB never tries to download an extension.
    assert_eq!(env.lines("SELECT current_setting('autoinstall_known_extensions')"), vec!["false"]);

    // Row 2 changes, row 3 disappears, row 4 is new, row 1 stays as it was.
    env.put_zip("molo", "20250102050000.zip", &[("Piers.csv", PIERS_V2)]);
    let r2 = env.run(&["molo"]);
    assert_eq!(r2.exit_code(), 0);
    assert_eq!(env.table_counts(r2.run_id, "piers"), "published|3|3|0|1|1|1|1|0");
    assert_eq!(
        env.lines("SELECT ID, NAME, DW_DELETED_AT IS NOT NULL, DW_RUN_ID FROM DW_MOLO_PIERS ORDER BY ID"),
        vec![
            format!("1|A|false|{}", r1.run_id),
            format!("2|B2|false|{}", r2.run_id),
            format!("3|C|true|{}", r2.run_id),
            format!("4|D|false|{}", r2.run_id),
        ]
    );

    // Nothing new anywhere: every source is skipped, exit 3, nothing changes.
    let r3 = env.run(&[]);
    assert!(r3.sources.iter().all(|s| s.status == SourceStatus::Skipped), "{:?}", r3.sources);
    assert_eq!(r3.exit_code(), 3);
    assert_eq!(env.lines(&format!("SELECT STATUS FROM ETL_RUNS WHERE RUN_ID = {}", r3.run_id)), vec!["skipped"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 4);
    assert_eq!(env.count(&format!("SELECT COUNT(*) FROM ETL_RUN_TABLES WHERE RUN_ID = {}", r3.run_id)), 0);
}

#[test]
fn s3_listing_goes_past_the_first_thousand_keys() {
    let env = S3Env::new("t-many-keys");
    let old = env.staging_file("old.zip");
    common::write_snapshot_zip(&old, "molo", &[("Piers.csv", "Id,Name,MarinaLocationId\n1,old,1\n")]);
    let ns_old = env.staging_file("ns-old.zip");
    common::write_snapshot_zip(&ns_old, "netsuite", &[("subsidiary.csv", "id,name\n1,old\n")]);
    // 1,199 older archives per source; the newest (by time) sorts at position 1,051 by
    // name: neither the first page nor the greatest name finds it.
    let b = env.bucket.as_str();
    for (first, count) in [("0", "1050"), ("1051", "149")] {
        env.moto.client(&["many", b, "molo/2025/k", old.to_str().unwrap(), first, count, ".zip"]);
        env.moto.client(&["many", b, "netsuite/netsuite_2030", ns_old.to_str().unwrap(), first, count, ".zip"]);
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    env.put_zip("molo", "2025/k1050.zip", &[("Piers.csv", "Id,Name,MarinaLocationId\n1,newest,1\n")]);
    env.put_zip("netsuite", "netsuite_20301050.zip", &[("subsidiary.csv", "id,name\n1,newest\n")]);

    let r = env.run(&["molo", "netsuite"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources.iter().map(|s| &s.message).collect::<Vec<_>>());
    assert_eq!(env.lines("SELECT NAME FROM DW_MOLO_PIERS"), vec!["newest"]);
    assert_eq!(env.lines("SELECT NAME FROM DW_NS_SUBSIDIARY"), vec!["newest"]);
    assert_eq!(
        env.lines("SELECT ARCHIVE_KEY FROM ETL_SNAPSHOTS ORDER BY SOURCE"),
        vec!["molo/2025/k1050.zip", "netsuite/netsuite_20301050.zip"]
    );
}

#[test]
fn s3_wrong_credentials_fail_in_one_line_without_the_secret() {
    // The server that checks signatures; the location is the bucket root (see the harness).
    let mut env = S3Env::on(s3::moto_with_auth(), "t-bad-keys");
    env.config.sources.retain(|name, _| name == "molo");
    env.config.sources.get_mut("molo").unwrap().location = "s3://t-bad-keys".into();
    let first = env.staging_file("a.zip");
    common::write_snapshot_zip(&first, "molo", &[("Piers.csv", PIERS_V1)]);
    env.moto.client(&["put", "t-bad-keys", &format!("20250101050000.zip={}", first.display())]);
    // The right keys load: the server does check them.
    let ok = ran(env.command(&["run"]));
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS"), 3);

    let wrong = "wrongSecretKeyThatMustNotBePrinted0000";
    let r = ran(env.command_with_keys(&["run"], &env.moto.access_key_id, wrong));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.source_line("molo"),
        "marina-etl: molo: access to s3://t-bad-keys denied (SignatureDoesNotMatch): check the credentials and what they are allowed to read"
    );
    let unknown = ran(env.command_with_keys(&["run"], "AKIAUNKNOWNKEY000000", wrong));
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    assert_eq!(
        unknown.source_line("molo"),
        "marina-etl: molo: access to s3://t-bad-keys denied (InvalidAccessKeyId): check the credentials and what they are allowed to read"
    );
    for out in [&ok, &r, &unknown] {
        for secret in [wrong, env.moto.secret_access_key.as_str()] {
            assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret), "a secret was printed");
        }
    }
    assert_eq!(env.lines("SELECT STATUS FROM ETL_RUNS ORDER BY RUN_ID"), vec!["succeeded", "failed", "failed"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS"), 3);
}

#[test]
fn s3_missing_bucket_and_empty_prefix_fail_with_their_names() {
    let mut env = S3Env::new("t-missing");
    env.config.sources.get_mut("molo").unwrap().location = "s3://t-no-such-bucket/exports".into();
    env.put_zip("netsuite", "netsuite_20250101.zip", &[("subsidiary.csv", "id,name\n8,North LLC\n")]);
    let r = ran(env.command(&["run"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.source_line("molo"),
        "marina-etl: molo: bucket 't-no-such-bucket' does not exist (location s3://t-no-such-bucket/exports)"
    );
    assert_eq!(
        r.source_line("stellar"),
        "marina-etl: stellar: no snapshot under s3://t-missing/stellar (expected a key ending -DATA.sql.gz directly in the prefix)"
    );
    // The source that could load did.
    assert_eq!(env.lines("SELECT NAME FROM DW_NS_SUBSIDIARY"), vec!["North LLC"]);
    assert_eq!(env.lines("SELECT STATUS FROM ETL_RUNS"), vec!["partial"]);
}

#[test]
fn s3_truncated_object_fails_and_changes_nothing() {
    let env = S3Env::new("t-truncated");
    let whole = env.staging_file("whole.zip");
    common::write_snapshot_zip(&whole, "molo", &[("Piers.csv", PIERS_V1)]);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = env.staging_file("cut.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    env.upload("molo", "20250101050000.zip", &cut);
    let r = ran(env.command(&["run", "--source", "molo"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let line = r.source_line("molo");
    assert!(
        line.starts_with("marina-etl: molo: snapshot s3://t-truncated/molo/20250101050000.zip: corrupt or truncated archive"),
        "{line}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS"), 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 0);
}

/// Runs `marina-etl run --source molo`, holding it between listing and reading while
/// `meddle` changes the bucket; returns what it did.
fn run_meddling_after_listing(env: &S3Env, key: &str, meddle: impl FnOnce()) -> s3::Ran {
    let go = env.dir.path().join("go");
    let mut command = env.command(&["run", "--source", "molo"]);
    command.env("MARINA_ETL_FAULT", format!("wait-after-listing:{}", go.display()));
    run_acting_on(command, &format!("paused after listing molo/{key}"), || {
        meddle();
        std::fs::write(&go, b"").unwrap();
    })
}

/// Runs `command`, calls `act` once a line of its standard error contains `marker`, and
/// returns what the run did.
fn run_acting_on(mut command: std::process::Command, marker: &str, act: impl FnOnce()) -> s3::Ran {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the run ended before '{marker}': {seen}");
        seen.push_str(&line);
        if line.contains(marker) {
            break;
        }
    }
    act();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    let status = child.wait().unwrap();
    s3::Ran { code: status.code().unwrap(), stdout, stderr: seen + &rest }
}

#[test]
fn s3_object_deleted_after_listing_is_reported_as_vanished() {
    let env = S3Env::new("t-vanished");
    env.put_zip("molo", "20250101050000.zip", &[("Piers.csv", PIERS_V1)]);
    let r = run_meddling_after_listing(&env, "20250101050000.zip", || env.delete("molo", "20250101050000.zip"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.source_line("molo"),
        "marina-etl: molo: s3://t-vanished/molo/20250101050000.zip vanished between listing and reading (deleted or renamed); nothing was loaded"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 0);
}

#[test]
fn s3_object_replaced_after_listing_is_not_loaded_as_the_listed_one() {
    let env = S3Env::new("t-replaced");
    env.put_zip("molo", "20250101050000.zip", &[("Piers.csv", PIERS_V1)]);
    let r = run_meddling_after_listing(&env, "20250101050000.zip", || {
        env.put_zip("molo", "20250101050000.zip", &[("Piers.csv", PIERS_V2)]);
    });
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.source_line("molo"),
        "marina-etl: molo: s3://t-replaced/molo/20250101050000.zip was replaced between listing and reading; nothing was loaded"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 0);
    // The next run lists the new version and loads it.
    assert_eq!(ran(env.command(&["run", "--source", "molo"])).code, 0);
    assert_eq!(env.lines("SELECT NAME FROM DW_MOLO_PIERS ORDER BY ID"), vec!["A", "B2", "D"]);
}

/// A TCP proxy on loopback in front of moto that closes the first `drop_first`
/// connections without an answer, answers the next one `503 Slow Down`, and, once, cuts
/// a response off after `cut_after` bytes.
struct FlakyProxy {
    endpoint: String,
    dropped: Arc<AtomicUsize>,
    unavailable: Arc<AtomicUsize>,
    cut: Arc<AtomicUsize>,
}

impl FlakyProxy {
    fn start(upstream: &str, drop_first: usize, cut_after: usize) -> FlakyProxy {
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let (dropped, cut) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let unavailable = Arc::new(AtomicUsize::new(0));
        let (d, c, u) = (dropped.clone(), cut.clone(), unavailable.clone());
        std::thread::spawn(move || {
            for (i, client) in listener.incoming().enumerate() {
                let Ok(mut client) = client else { continue };
                if i < drop_first {
                    let mut buf = [0u8; 4096];
                    let _ = client.read(&mut buf);
                    d.fetch_add(1, Ordering::SeqCst);
                    drop(client);
                    continue;
                }
                if i == drop_first {
                    let mut buf = [0u8; 4096];
                    let _ = client.read(&mut buf);
                    let body = "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
                    let _ = write!(
                        client,
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    u.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                let upstream = upstream.clone();
                let c = c.clone();
                std::thread::spawn(move || forward(client, &upstream, cut_after, &c));
            }
        });
        FlakyProxy { endpoint, dropped, unavailable, cut }
    }
}

fn forward(mut client: TcpStream, upstream: &str, cut_after: usize, cut: &AtomicUsize) {
    let Ok(mut server) = TcpStream::connect(upstream) else { return };
    let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut s2);
        let _ = s2.shutdown(Shutdown::Write);
    });
    let mut sent = 0usize;
    let mut buf = [0u8; 8192];
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if sent + n > cut_after && cut.compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            let _ = client.write_all(&buf[..cut_after.saturating_sub(sent)]);
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
            return;
        }
        sent += n;
        if client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}

#[test]
fn s3_retries_absorb_dropped_connections_a_503_and_a_cut_download() {
    let env = S3Env::new("t-flaky");
    // Enough rows of varied text that the archive is many packets long.
    let mut csv = String::from("Id,Name,MarinaLocationId\n");
    let mut x: u64 = 7;
    for id in 1..=4000 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        csv.push_str(&format!("{id},{:016x},{}\n", x, id % 3));
    }
    let archive = env.put_zip("molo", "20250101050000.zip", &[("Piers.csv", &csv)]);
    let size = std::fs::metadata(&archive).unwrap().len() as usize;
    assert!(size > 40_000, "{size}");
    let proxy = FlakyProxy::start(&env.moto.endpoint, 2, 20_000);
    let r = ran(env.command_at(&proxy.endpoint, &["run", "--source", "molo"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(proxy.dropped.load(Ordering::SeqCst), 2, "the proxy dropped the first connections");
    assert_eq!(proxy.unavailable.load(Ordering::SeqCst), 1, "the proxy answered 503 once");
    assert_eq!(proxy.cut.load(Ordering::SeqCst), 1, "the proxy cut one response short");
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_PIERS"), 4000);
    assert_eq!(
        env.lines("SELECT SIZE_BYTES, CHECKSUM FROM ETL_SNAPSHOTS"),
        vec![format!("{size}|{}", sha256_file(&archive))]
    );
}

#[test]
fn s3_wait_loads_a_snapshot_that_appears_while_waiting() {
    let env = S3Env::new("t-wait");
    env.put_zip("molo", "20250101050000.zip", &[("Piers.csv", PIERS_V1)]);
    assert_eq!(ran(env.command(&["run", "--source", "molo"])).code, 0);

    let waited = run_acting_on(
        env.command(&["run", "--source", "molo", "--wait", "120s", "--poll", "1s"]),
        "waiting for a snapshot newer than the last loaded one",
        || {
            env.put_zip("molo", "20250102050000.zip", &[("Piers.csv", PIERS_V2)]);
        },
    );
    assert_eq!(waited.code, 0, "{}", waited.stderr);
    assert_eq!(env.lines("SELECT NAME FROM DW_MOLO_PIERS WHERE DW_DELETED_AT IS NULL ORDER BY ID"), vec!["A", "B2", "D"]);
    assert_eq!(
        env.lines("SELECT ARCHIVE_KEY FROM ETL_SNAPSHOTS ORDER BY LOADED_AT"),
        vec!["molo/20250101050000.zip", "molo/20250102050000.zip"]
    );
}

#[test]
fn s3_wait_times_out_naming_the_late_source_and_since_when() {
    let env = S3Env::new("t-late");
    env.put_zip("molo", "20250101050000.zip", &[("Piers.csv", PIERS_V1)]);
    env.put_zip("netsuite", "netsuite_20250101.zip", &[("subsidiary.csv", "id,name\n8,North LLC\n")]);
    assert_eq!(ran(env.command(&["run", "--source", "molo", "--source", "netsuite"])).code, 0);
    let loaded = env.lines("SELECT strftime(LAST_MODIFIED, '%Y-%m-%d %H:%M:%S'), strftime(LOADED_AT, '%Y-%m-%d %H:%M:%S') FROM ETL_SNAPSHOTS WHERE SOURCE = 'molo'");
    let (modified, loaded_at) = loaded[0].split_once('|').unwrap();
    // NetSuite has a new snapshot and loads; MOLO does not and is late.
    env.put_zip("netsuite", "netsuite_20250102.zip", &[("subsidiary.csv", "id,name\n8,North Inc\n")]);

    let r = ran(env.command(&["run", "--source", "molo", "--source", "netsuite", "--wait", "2s", "--poll", "1s"]));
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.source_line("molo"),
        format!(
            "marina-etl: molo: molo is late: nothing newer than s3://t-late/molo/20250101050000.zip \
             (last modified {modified} UTC, loaded {loaded_at} UTC) appeared in 2s of waiting"
        )
    );
    assert!(!r.stderr.contains("marina-etl: netsuite:"), "{}", r.stderr);
    assert_eq!(env.lines("SELECT NAME FROM DW_NS_SUBSIDIARY"), vec!["North Inc"]);
    let last = env.lines("SELECT STATUS, ERROR_TEXT FROM ETL_RUNS ORDER BY RUN_ID DESC LIMIT 1");
    assert!(last[0].starts_with("partial|molo: molo is late: "), "{last:?}");

    // With nothing new anywhere, the run is skipped and still says who is late.
    let r = ran(env.command(&["run", "--source", "molo", "--wait", "1s", "--poll", "1s"]));
    assert_eq!(r.code, 3);
    assert!(r.source_line("molo").contains("molo is late"));
}

#[test]
fn folder_wait_follows_the_same_rules_as_s3() {
    use marina_etl::run::{RunOptions, WaitOptions};
    let env = common::Env::new(common::Backend::DuckDb);
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS_V1)]);
    let wait = Some(WaitOptions { timeout: std::time::Duration::from_secs(1), poll: std::time::Duration::from_millis(200) });
    let molo = vec![marina_etl::catalog::System::Molo];
    // Nothing loaded yet: the snapshot there is new enough, no waiting.
    let r = env.run_opts(RunOptions { sources: molo.clone(), wait, ..RunOptions::default() });
    assert_eq!(r.exit_code(), 0);
    // Nothing newer: late, exit 3, the ledger says so.
    let r = env.run_opts(RunOptions { sources: molo.clone(), wait, ..RunOptions::default() });
    assert_eq!(r.exit_code(), 3);
    assert_eq!(r.sources[0].status, SourceStatus::Late);
    let message = r.sources[0].message.clone().unwrap();
    assert!(message.starts_with("molo is late: nothing newer than ") && message.contains("/molo/a.zip (last modified 2025-06-"), "{message}");
    assert_eq!(env.lines(&format!("SELECT STATUS FROM ETL_RUNS WHERE RUN_ID = {}", r.run_id)), vec!["skipped"]);
    // An older file (by time) is not newer, even with a later name; a newer one is.
    env.zip("molo", "b.zip", 0, &[("Piers.csv", PIERS_V2)]);
    assert_eq!(env.run_opts(RunOptions { sources: molo.clone(), wait, ..RunOptions::default() }).exit_code(), 3);
    env.zip("molo", "c.zip", 2, &[("Piers.csv", PIERS_V2)]);
    let r = env.run_opts(RunOptions { sources: molo, wait, ..RunOptions::default() });
    assert_eq!(r.exit_code(), 0);
    assert_eq!(env.table_counts(r.run_id, "piers"), "published|3|3|0|1|1|1|1|0");
}
