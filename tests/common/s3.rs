//! S3 test harness: moto S3 servers on free loopback ports, started once per test binary
//! by `tests/support/s3.py serve` (which stops them when this process's end closes its
//! stdin), one bucket per test, and uploads through boto3, a real S3 client.
//!
//! Two servers: [`moto`] accepts any keys; [`moto_with_auth`] has one IAM user whose keys
//! every request must be signed with (moto 5.2 miscomputes the signature of a query
//! holding a '/', such as a listing with a prefix, so only credential tests use it, with
//! locations at the bucket root).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use marina_etl::config::{S3Settings, SourceConfig};

use crate::common::{binary, write_snapshot_zip, Env};

/// The running moto server and the keys of its one user.
pub struct Moto {
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Held open for the life of the test process: closing it stops the server.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();
static MOTO_AUTH: OnceLock<Moto> = OnceLock::new();

fn helper() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/s3.py")
}

/// The Python that has boto3 and moto (`MARINA_ETL_TEST_PYTHON`, else `python3`).
pub fn python() -> String {
    std::env::var("MARINA_ETL_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The moto server of this test binary, started on first use. Panics (the test fails,
/// never skips) when it cannot be started.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(|| start_moto(false))
}

/// The moto server that enforces authentication.
pub fn moto_with_auth() -> &'static Moto {
    MOTO_AUTH.get_or_init(|| start_moto(true))
}

fn start_moto(auth: bool) -> Moto {
    {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(python())
            .arg(helper())
            .args(["serve", &port.to_string()])
            .args(auth.then_some("--auth"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} {}: {e}", python(), helper().display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let info: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("moto_server did not start: {line:?}"));
        let field = |k: &str| info[k].as_str().unwrap_or_else(|| panic!("moto_server did not start: {line}")).to_string();
        Moto {
            endpoint: field("endpoint"),
            access_key_id: field("access_key_id"),
            secret_access_key: field("secret_access_key"),
            _stdin: Mutex::new(child.stdin.take().unwrap()),
            _child: Mutex::new(child),
        }
    }
}

impl Moto {
    /// Runs a helper command (as the S3 user) and panics when it fails.
    pub fn client(&self, args: &[&str]) {
        let out = Command::new(python())
            .arg(helper())
            .args(args)
            .env("S3_HELPER_ENDPOINT", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", &self.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_access_key)
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        assert!(out.status.success(), "s3.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// A test environment whose three sources are prefixes of one fresh bucket.
pub struct S3Env {
    pub env: Env,
    pub bucket: String,
    pub moto: &'static Moto,
}

impl std::ops::Deref for S3Env {
    type Target = Env;
    fn deref(&self) -> &Env {
        &self.env
    }
}

impl std::ops::DerefMut for S3Env {
    fn deref_mut(&mut self) -> &mut Env {
        &mut self.env
    }
}

impl S3Env {
    /// A fresh bucket `bucket` (unique per test) with sources `s3://bucket/<system>`. The
    /// library reads the user's keys from a credentials file named in the configuration.
    pub fn new(bucket: &str) -> S3Env {
        Self::on(moto(), bucket)
    }

    /// A fresh bucket on the given server.
    pub fn on(moto: &'static Moto, bucket: &str) -> S3Env {
        let mut env = Env::new(crate::common::Backend::DuckDb);
        moto.client(&["bucket", bucket]);
        let credentials = env.dir.path().join("aws-credentials");
        std::fs::write(
            &credentials,
            format!(
                "[marina-test]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                moto.access_key_id, moto.secret_access_key
            ),
        )
        .unwrap();
        env.config.s3 = S3Settings {
            region: Some("us-east-1".into()),
            endpoint: Some(moto.endpoint.clone()),
            profile: Some("marina-test".into()),
            credentials_file: Some(credentials),
            ..S3Settings::default()
        };
        for system in ["molo", "stellar", "netsuite"] {
            env.config
                .sources
                .insert(system.into(), SourceConfig { location: format!("s3://{bucket}/{system}"), s3: None });
        }
        S3Env { env, bucket: bucket.to_string(), moto }
    }

    /// Uploads local files as `<system>/<key>`, in order, each at least a second after the
    /// last (S3 keeps last-modified times to the second).
    pub fn upload_spaced(&self, system: &str, files: &[(&str, &Path)]) {
        let mut args = vec!["put".to_string(), self.bucket.clone(), "--spaced".to_string()];
        args.extend(files.iter().map(|(k, p)| format!("{system}/{k}={}", p.display())));
        self.moto.client(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// Uploads one local file as `<system>/<key>`.
    pub fn upload(&self, system: &str, key: &str, path: &Path) {
        self.moto.client(&["put", &self.bucket, &format!("{system}/{key}={}", path.display())]);
    }

    /// Writes a ZIP snapshot locally (under the test folder) and uploads it.
    pub fn put_zip(&self, system: &str, key: &str, files: &[(&str, &str)]) -> PathBuf {
        let path = self.staging_file(key);
        write_snapshot_zip(&path, system, files);
        self.upload(system, key, &path);
        path
    }

    /// A local path for a file about to be uploaded.
    pub fn staging_file(&self, key: &str) -> PathBuf {
        let dir = self.dir.path().join("upload");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(key.replace('/', "_"))
    }

    pub fn delete(&self, system: &str, key: &str) {
        self.moto.client(&["delete", &self.bucket, &format!("{system}/{key}")]);
    }

    /// The configuration as a TOML file for the binary, with no credentials in it: they
    /// come from the standard AWS variables (see [`S3Env::command`]).
    pub fn config_file_for(&self, endpoint: &str) -> PathBuf {
        let mut text = format!(
            "[warehouse]\nurl = \"{}\"\n\n[s3]\nregion = \"us-east-1\"\nendpoint = \"{endpoint}\"\n",
            self.config.warehouse.url
        );
        for (name, s) in &self.config.sources {
            text.push_str(&format!("\n[sources.{name}]\nlocation = \"{}\"\n", s.location));
        }
        let path = self.dir.path().join("marina-etl.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The binary with this environment's configuration and the user's keys in the
    /// standard AWS variables.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_with_keys(args, &self.moto.access_key_id, &self.moto.secret_access_key)
    }

    /// The binary signing with other keys.
    pub fn command_with_keys(&self, args: &[&str], access_key_id: &str, secret: &str) -> Command {
        self.command_full(&self.moto.endpoint, args, access_key_id, secret)
    }

    /// The binary pointed at another endpoint (a proxy in front of moto).
    pub fn command_at(&self, endpoint: &str, args: &[&str]) -> Command {
        self.command_full(endpoint, args, &self.moto.access_key_id, &self.moto.secret_access_key)
    }

    fn command_full(&self, endpoint: &str, args: &[&str], access_key_id: &str, secret: &str) -> Command {
        let config = self.config_file_for(endpoint);
        let mut cmd = Command::new(binary());
        cmd.arg("--config")
            .arg(config)
            .args(args)
            .current_dir(self.dir.path())
            .env("AWS_ACCESS_KEY_ID", access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("HOME", self.dir.path())
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("RUST_LOG");
        cmd
    }
}

/// What the binary did: exit code, stdout, stderr.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn ran(mut cmd: Command) -> Ran {
    let out = cmd.output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Ran {
    /// The one line the binary writes on stderr for a source that did not load.
    pub fn source_line(&self, source: &str) -> String {
        let prefix = format!("marina-etl: {source}: ");
        let lines: Vec<&str> = self.stderr.lines().filter(|l| l.starts_with(&prefix)).collect();
        assert_eq!(lines.len(), 1, "one line for {source} expected on stderr:\n{}", self.stderr);
        lines[0].to_string()
    }
}
