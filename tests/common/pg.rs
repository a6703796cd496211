//! A throwaway PostgreSQL cluster for the tests: `initdb` and `pg_ctl` in a temporary
//! folder, listening on a free loopback port, one per test binary, with a new database per
//! test. When `MARINA_ETL_TEST_PG_URL` is set (`.ci/run` starts one cluster for the whole
//! run), databases are made there instead. A cluster that cannot start fails the tests.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// The administrative URL (database `postgres`) of the cluster the tests use.
struct Cluster {
    admin_url: String,
    /// Stops the cluster when the test process ends (its stdin closes).
    _watchdog: Option<Mutex<(Child, ChildStdin)>>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// Where the PostgreSQL server programs are.
fn pg_bin(program: &str) -> String {
    for dir in ["/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"] {
        let p = Path::new(dir).join(program);
        if p.exists() {
            return p.display().to_string();
        }
    }
    program.to_string()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

/// A command run as the `postgres` user when we are root (the server refuses root).
fn as_server_user(program: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &pg_bin(program)]);
        c
    } else {
        Command::new(pg_bin(program))
    }
}

fn run_ok(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("PostgreSQL for the tests: cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "PostgreSQL for the tests: {what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_cluster() -> Cluster {
    if let Ok(url) = std::env::var("MARINA_ETL_TEST_PG_URL") {
        return Cluster { admin_url: url, _watchdog: None };
    }
    let root: PathBuf = tempfile::Builder::new().prefix("marina-etl-pg-").tempdir().unwrap().keep();
    if is_root() {
        run_ok(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&root), "chown");
    }
    let data = root.join("data");
    run_ok(
        as_server_user("initdb")
            .args(["-D", data.to_str().unwrap(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]),
        "initdb",
    );
    // The watchdog is started before the server so that the server never outlives us.
    let stop = format!(
        "cat >/dev/null; {} -D '{}' stop -m immediate >/dev/null 2>&1; rm -rf '{}'",
        if is_root() { format!("runuser -u postgres -- {}", pg_bin("pg_ctl")) } else { pg_bin("pg_ctl") },
        data.display(),
        root.display()
    );
    let mut watchdog = Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("watchdog");
    let stdin = watchdog.stdin.take().unwrap();
    let mut last_error = String::new();
    for _ in 0..5 {
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB",
            root.display()
        );
        let out = as_server_user("pg_ctl")
            .args(["-D", data.to_str().unwrap(), "-l", root.join("server.log").to_str().unwrap(), "-w", "-t", "60", "-o", &options, "start"])
            .stdin(Stdio::null())
            .output()
            .expect("pg_ctl");
        if out.status.success() {
            return Cluster {
                admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"),
                _watchdog: Some(Mutex::new((watchdog, stdin))),
            };
        }
        last_error = format!(
            "{}{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(root.join("server.log")).unwrap_or_default()
        );
    }
    panic!("PostgreSQL for the tests did not start: {last_error}");
}

/// The admin URL with another database name.
fn url_of(admin_url: &str, db: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("MARINA_ETL_TEST_PG_URL is a URL");
    url.set_path(&format!("/{db}"));
    url.to_string()
}

/// A new, empty database for one test; its URL.
pub fn new_database() -> String {
    let cluster = CLUSTER.get_or_init(start_cluster);
    let name = format!("t_{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::Relaxed));
    let mut admin = postgres::Client::connect(&cluster.admin_url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {}: {e}", cluster.admin_url));
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    url_of(&cluster.admin_url, &name)
}
