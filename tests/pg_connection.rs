//! Reaching a PostgreSQL warehouse: the password from the environment or a file, never
//! shown; TLS as libpq's `sslmode` says, with the certificate checked against
//! `sslrootcert` when given. On the harness's own cluster (SCRAM for one role, TLS on).

mod common;

use std::process::Command;

use common::pg::{own_cluster, PASSWORD_ROLE};
use common::{binary, Backend, Env};
use marina_etl::run::{self, RunOptions};

const PIERS: &str = "Id,Name,MarinaLocationId\n1,A,1\n";

/// An environment whose warehouse is `url` (sources in its temporary folder).
fn env_at(url: &str) -> Env {
    let mut env = Env::new(Backend::DuckDb);
    env.config.warehouse.url = url.to_string();
    env.zip("molo", "a.zip", 1, &[("Piers.csv", PIERS)]);
    env
}

fn run_binary(env: &Env, pgpassword: Option<&str>) -> (i32, String) {
    let mut cmd = Command::new(binary());
    cmd.args(["--config", env.config_file().to_str().unwrap(), "run", "--source", "molo"]);
    match pgpassword {
        Some(p) => cmd.env("PGPASSWORD", p),
        None => cmd.env_remove("PGPASSWORD"),
    };
    let out = cmd.output().unwrap();
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_password_in_the_url_is_never_shown() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = env_at(&format!("postgres://etl:s3cret-pw@127.0.0.1:{port}/w?sslmode=disable"));
    for args in [&["run"][..], &["status"][..]] {
        let out = Command::new(binary())
            .args(["--config", env.config_file().to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(&format!("cannot open the warehouse postgres://etl:***@127.0.0.1:{port}/w")), "{stderr}");
        assert!(!stderr.contains("s3cret-pw"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn the_password_comes_from_the_password_file_or_pgpassword() {
    let cluster = own_cluster();
    cluster.admin(&format!(
        "DO $$ BEGIN CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD 'right-pw'; \
         EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    ));
    let admin_db = cluster.new_database();
    let db = admin_db.rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
    cluster.admin(&format!("ALTER DATABASE {db} OWNER TO {PASSWORD_ROLE}"));
    let port = url::Url::parse(&admin_db).unwrap().port().unwrap();
    let mut env = env_at(&format!("postgres://{PASSWORD_ROLE}@127.0.0.1:{port}/{db}?sslmode=disable"));

    let (code, stderr) = run_binary(&env, None);
    assert_eq!(code, 1, "no password anywhere: {stderr}");

    let file = env.dir.path().join("pg-password");
    std::fs::write(&file, "wrong-pw\n").unwrap();
    env.config.warehouse.password_file = Some(file.clone());
    let (code, stderr) = run_binary(&env, None);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&format!("password authentication failed for user \"{PASSWORD_ROLE}\"")), "{stderr}");
    assert!(!stderr.contains("wrong-pw"), "{stderr}");

    std::fs::write(&file, "right-pw\n").unwrap();
    let (code, stderr) = run_binary(&env, None);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(env.lines("SELECT ID, NAME FROM DW_MOLO_PIERS"), vec!["1|A"]);

    // PGPASSWORD comes before the file.
    std::fs::write(&file, "wrong-pw\n").unwrap();
    let (code, stderr) = run_binary(&env, Some("right-pw"));
    assert_eq!(code, 3, "reached the warehouse, snapshot already loaded: {stderr}");
}

/// Whether the warehouse session of `env` is encrypted.
fn encrypted(env: &Env) -> String {
    env.lines("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0].clone()
}

#[test]
fn tls_follows_sslmode_and_checks_the_certificate_against_sslrootcert() {
    let cluster = own_cluster();
    let plain = cluster.new_database().replace("sslmode=disable", "");
    let plain = plain.trim_end_matches('?').to_string();

    let env = env_at(&plain); // sslmode=prefer: the server offers TLS
    assert_eq!(env.run(&["molo"]).exit_code(), 0);
    assert_eq!(encrypted(&env), "true");

    let env = env_at(&format!("{plain}?sslmode=disable"));
    assert_eq!(encrypted(&env), "false");

    let ca = cluster.ca_file.as_ref().unwrap();
    let env = env_at(&format!("{plain}?sslmode=require&sslrootcert={}", ca.display()));
    assert_eq!(encrypted(&env), "true");
    assert_eq!(env.run_with(&["molo"], true, false).exit_code(), 0);

    // A certificate signed by another authority is refused when a root is given.
    let other = env.dir.path().join("other");
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
        .arg("-keyout")
        .arg(other.with_extension("key"))
        .arg("-out")
        .arg(other.with_extension("crt"))
        .output()
        .unwrap();
    assert!(status.status.success());
    let mut env = env_at(&plain);
    env.config.warehouse.url = format!("{plain}?sslmode=require&sslrootcert={}", other.with_extension("crt").display());
    let err = run::run(&env.config, &RunOptions::default()).unwrap_err().to_string();
    assert!(err.contains("cannot open the warehouse") && err.contains("certificate"), "{err}");
}
