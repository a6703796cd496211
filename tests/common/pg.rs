//! A throwaway PostgreSQL cluster for the tests: `initdb` and `pg_ctl` in a temporary
//! folder, listening on a free loopback port, one per test binary, with a new database per
//! test. When `MARINA_TEST_PG_URL` is set, databases are made on that server instead and
//! left there (except for the tests of TLS and passwords, which need the harness's own
//! cluster); the name is outside `MARINA_ETL_`, which the binary reads as configuration
//! overrides. A cluster that cannot start fails the tests.
//!
//! The harness's cluster trusts loopback connections, except for the role [`PASSWORD_ROLE`],
//! which must give its password (SCRAM), and it offers TLS with a certificate for
//! `127.0.0.1` signed by a test CA ([`Cluster::ca_file`]).

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// A role that must authenticate with a password on the harness's own cluster.
pub const PASSWORD_ROLE: &str = "marina_pw";

/// A PostgreSQL server for the tests.
pub struct Cluster {
    /// The administrative URL (database `postgres`, no TLS).
    pub admin_url: String,
    /// The CA that signed the server's certificate; `None` for a server given by
    /// `MARINA_TEST_PG_URL`.
    pub ca_file: Option<PathBuf>,
    /// Stops the cluster when the test process ends (its stdin closes).
    _watchdog: Option<Mutex<(Child, ChildStdin)>>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static OWN_CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// The harness's own cluster (never the server of `MARINA_TEST_PG_URL`).
pub fn own_cluster() -> &'static Cluster {
    OWN_CLUSTER.get_or_init(start_own_cluster)
}
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
    if let Ok(url) = std::env::var("MARINA_TEST_PG_URL") {
        return Cluster { admin_url: url, ca_file: None, _watchdog: None };
    }
    start_own_cluster()
}

fn start_own_cluster() -> Cluster {
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
    let hba = data.join("pg_hba.conf");
    let trusting = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(&hba, format!("host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n{trusting}")).unwrap();
    // A test CA and a server certificate for 127.0.0.1 signed by it (a self-signed
    // certificate cannot be its own root for a verifying client).
    let (ca, cert, key) = (root.join("ca.crt"), root.join("server.crt"), root.join("server.key"));
    let openssl = |args: &[&str]| {
        run_ok(Command::new("openssl").current_dir(&root).args(args), &format!("openssl {}", args[0]));
    };
    openssl(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=marina-etl test CA"]
        .iter()
        .chain(&["-keyout", "ca.key", "-out", "ca.crt"])
        .copied()
        .collect::<Vec<_>>());
    openssl(&["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"]);
    std::fs::write(root.join("server.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
    openssl(&[
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "server.ext", "-out", "server.crt",
    ]);
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    if is_root() {
        run_ok(Command::new("chown").args(["postgres:postgres"]).arg(&cert).arg(&key), "chown");
    }
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
             -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB \
             -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            root.display(),
            cert.display(),
            key.display()
        );
        let out = as_server_user("pg_ctl")
            .args(["-D", data.to_str().unwrap(), "-l", root.join("server.log").to_str().unwrap(), "-w", "-t", "60", "-o", &options, "start"])
            .stdin(Stdio::null())
            .output()
            .expect("pg_ctl");
        if out.status.success() {
            return Cluster {
                admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"),
                ca_file: Some(ca),
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
    let mut url = url::Url::parse(admin_url).expect("MARINA_TEST_PG_URL is a URL");
    url.set_path(&format!("/{db}"));
    url.to_string()
}

/// A new, empty database for one test; its URL.
pub fn new_database() -> String {
    CLUSTER.get_or_init(start_cluster).new_database()
}

impl Cluster {
    /// Runs statements as the administrator.
    pub fn admin(&self, sql: &str) {
        let mut admin = postgres::Client::connect(&self.admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {}: {e}", self.admin_url));
        admin.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// A new, empty database; its URL.
    pub fn new_database(&self) -> String {
        let name = format!("t_{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::Relaxed));
        self.admin(&format!("DROP DATABASE IF EXISTS {name}"));
        self.admin(&format!("CREATE DATABASE {name}"));
        url_of(&self.admin_url, &name)
    }
}
