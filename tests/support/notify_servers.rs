//! Loopback servers for the notification and doctor tests: an SMTP server (Python's
//! aiosmtpd, `tests/support/smtp.py`) with STARTTLS on a test certificate and AUTH, and
//! an HTTP receiver that records webhook bodies and answers with chosen statuses.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};

pub const SMTP_USER: &str = "etl@marina.test";
pub const SMTP_PASSWORD: &str = "c0rrect-h0rse";

/// A test CA and a certificate for 127.0.0.1 signed by it, made with `openssl`.
pub struct Certs {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn make_certs(dir: &Path) -> Certs {
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(&[&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=marina-test-ca",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]].concat());
    run(&[&["req"][..], &ec, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]].concat());
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n").unwrap();
    run(&["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"]);
    Certs { ca: dir.join("ca.pem"), cert: dir.join("server.pem"), key: dir.join("server.key") }
}

/// The SMTP server; stops when dropped (its stdin closes).
pub struct SmtpServer {
    pub port: u16,
    pub certs: Certs,
    out: PathBuf,
    child: Child,
    _stdin: ChildStdin,
}

impl SmtpServer {
    pub fn start(dir: &Path) -> SmtpServer {
        let certs = make_certs(dir);
        let out = dir.join("mail");
        std::fs::create_dir_all(&out).unwrap();
        let python = std::env::var("MARINA_ETL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(["--cert", certs.cert.to_str().unwrap(), "--key", certs.key.to_str().unwrap()])
            .args(["--user", SMTP_USER, "--password", SMTP_PASSWORD, "--out", out.to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (.ci/run installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("READY ").unwrap_or_else(|| panic!("the SMTP server did not start: '{line}' (pip install aiosmtpd)")).parse().unwrap();
        let stdin = child.stdin.take().unwrap();
        SmtpServer { port, certs, out, child, _stdin: stdin }
    }

    /// The messages received so far, in order, as the server decoded them.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort_by_key(|p| p.file_stem().unwrap().to_str().unwrap().parse::<u32>().unwrap());
        files.iter().map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()).collect()
    }

    /// `[notify.email]` for this server, the password read from `password_file`.
    pub fn email_section(&self, password_file: &Path, on: &str) -> String {
        format!(
            "[notify.email]\nserver = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nca_file = \"{}\"\nuser = \"{SMTP_USER}\"\n\
             password_file = \"{}\"\nfrom = \"marina-etl <etl@marina.test>\"\nrecipients = [\"ops@marina.test\", \"finance@marina.test\"]\n\
             on = {on}\ntimeout = \"10s\"\n",
            self.port,
            self.certs.ca.display(),
            password_file.display()
        )
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port on loopback where nothing listens.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// An HTTP receiver on loopback: records each request's path and body, answers the n-th
/// request with `statuses[n]` (200 once they run out).
pub struct HookServer {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<(String, String)>>>,
}

impl HookServer {
    pub fn start(statuses: &[u16]) -> HookServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let recorded = requests.clone();
        let statuses = statuses.to_vec();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut length = 0usize;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let path = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
                let n = {
                    let mut r = recorded.lock().unwrap();
                    r.push((path, String::from_utf8_lossy(&body).into_owned()));
                    r.len() - 1
                };
                let status = statuses.get(n).copied().unwrap_or(200);
                let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            }
        });
        HookServer { port, requests }
    }

    pub fn bodies(&self) -> Vec<String> {
        self.requests.lock().unwrap().iter().map(|(_, b)| b.clone()).collect()
    }
}

/// Runs the binary with `args` and the given environment; returns (exit code, stdout, stderr).
pub fn marina(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_marina-etl"));
    cmd.args(args).env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("marina-etl runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}
