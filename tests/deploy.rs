//! The deployment files of `deploy/` pass real validators: yamllint (every YAML file),
//! kubernetes-validate (the Kubernetes schemas, strict: no unknown field), check-jsonschema
//! with the Compose specification (compose.yaml), hadolint (the Dockerfile) and
//! `systemd-analyze verify` (the units). Each validator is first shown a broken copy, which
//! it must refuse, so that a validator that sees nothing cannot pass the files. The
//! configuration files are loaded by marina-etl itself.
//!
//! The Python tools are installed by `.ci/run`; `systemd-analyze` is the machine's.

use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Runs `tool args`: whether it exited 0, and what it printed.
fn run(tool: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is needed by this test (.ci/run installs it): {e}"));
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// A copy of `file` in `dir` with `from` replaced by `to`.
fn broken(dir: &Path, file: &Path, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{} holds no '{from}'", file.display());
    let path = dir.join(file.file_name().unwrap());
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path.display().to_string()
}

fn yaml_files() -> Vec<String> {
    let mut files = vec![deploy().join("compose.yaml")];
    for entry in std::fs::read_dir(deploy().join("kubernetes")).unwrap() {
        files.push(entry.unwrap().path());
    }
    files.iter().map(|p| p.display().to_string()).collect()
}

#[test]
fn every_yaml_file_passes_yamllint() {
    let dir = tempfile::tempdir().unwrap();
    let bad = broken(dir.path(), &deploy().join("compose.yaml"), "  minio:\n", "  postgres:\n");
    let (ok, said) = run("yamllint", &["-d", "relaxed", &bad]);
    assert!(!ok, "a duplicate key must be refused: {said}");
    let mut args = vec!["-d", "relaxed", "--no-warnings"];
    let files = yaml_files();
    args.extend(files.iter().map(String::as_str));
    let (ok, said) = run("yamllint", &args);
    assert!(ok, "{said}");
}

#[test]
fn the_kubernetes_manifests_match_the_kubernetes_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let cronjob = deploy().join("kubernetes/cronjob.yaml");
    let bad = broken(dir.path(), &cronjob, "concurrencyPolicy:", "concurrencyPolicyTypo:");
    let (ok, said) = run("kubernetes-validate", &["--strict", "--quiet", &bad]);
    assert!(!ok, "an unknown field must be refused: {said}");
    let files: Vec<String> = yaml_files().into_iter().filter(|f| f.contains("kubernetes")).collect();
    let mut args = vec!["--strict", "--quiet"];
    args.extend(files.iter().map(String::as_str));
    let (ok, said) = run("kubernetes-validate", &args);
    assert!(ok, "{said}");
}

#[test]
fn compose_yaml_matches_the_compose_specification() {
    let dir = tempfile::tempdir().unwrap();
    let bad = broken(dir.path(), &deploy().join("compose.yaml"), "    stop_grace_period:", "    stop_grace_period_typo:");
    let (ok, said) = run("check-jsonschema", &["--builtin-schema", "vendor.compose-spec", &bad]);
    assert!(!ok, "an unknown key must be refused: {said}");
    let compose = deploy().join("compose.yaml").display().to_string();
    let (ok, said) = run("check-jsonschema", &["--builtin-schema", "vendor.compose-spec", &compose]);
    assert!(ok, "{said}");
}

#[test]
fn the_dockerfile_passes_hadolint() {
    let dir = tempfile::tempdir().unwrap();
    let bad = broken(dir.path(), &deploy().join("Dockerfile"), "FROM debian:bookworm-slim", "FROM debian");
    let (ok, said) = run("hadolint", &[&bad]);
    assert!(!ok, "an untagged image must be refused: {said}");
    let (ok, said) = run("hadolint", &[&deploy().join("Dockerfile").display().to_string()]);
    assert!(ok, "{said}");
}

/// `systemd-analyze verify` exits 0 even on an unknown key: anything it says is a finding.
/// The units name the installed binary, which it checks exists: the test's copies name the
/// built one.
#[test]
fn the_systemd_units_pass_systemd_analyze_verify() {
    let dir = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_marina-etl");
    let mut units = Vec::new();
    for name in ["marina-etl.service", "marina-etl.timer", "marina-etl-serve.service"] {
        let text = std::fs::read_to_string(deploy().join("systemd").join(name)).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text.replace("/usr/local/bin/marina-etl", binary)).unwrap();
        units.push(path.display().to_string());
    }
    let bad_dir = tempfile::tempdir().unwrap();
    let bad = broken(bad_dir.path(), Path::new(&units[0]), "TimeoutStopSec=", "TimeoutStopSecTypo=");
    let (_, said) = run("systemd-analyze", &["verify", &bad]);
    assert!(said.contains("Unknown key"), "an unknown key must be reported: {said}");
    let args: Vec<&str> = std::iter::once("verify").chain(units.iter().map(String::as_str)).collect();
    let (ok, said) = run("systemd-analyze", &args);
    assert!(ok && said.trim().is_empty(), "{said}");
    let timer = std::fs::read_to_string(deploy().join("systemd/marina-etl.timer")).unwrap();
    assert!(timer.contains("\nPersistent=true\n"), "{timer}");
}

/// The configuration of the compose stack, and the one inside the Kubernetes ConfigMap,
/// are read by marina-etl itself, schedule included.
#[test]
fn the_deployed_configurations_load() {
    let config = marina_etl::config::Config::load(Some(&deploy().join("marina-etl.toml"))).unwrap();
    assert_eq!(config.systems().len(), 3);
    let schedule = &config.schedule;
    marina_etl::serve::schedule::Schedule::parse(schedule.cron.as_deref().unwrap(), schedule.timezone.as_deref().unwrap()).unwrap();

    // The ConfigMap's TOML, taken out of its YAML by PyYAML (yamllint's dependency).
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("marina-etl.toml");
    let script = "import sys, yaml; open(sys.argv[2], 'w').write(yaml.safe_load(open(sys.argv[1]))['data']['marina-etl.toml'])";
    let configmap = deploy().join("kubernetes/configmap.yaml").display().to_string();
    let (ok, said) = run("python3", &["-c", script, &configmap, &toml.display().to_string()]);
    assert!(ok, "{said}");
    let config = marina_etl::config::Config::load(Some(&toml)).unwrap();
    assert_eq!(config.schedule.cron.as_deref(), Some("0 6 * * *"));
    assert_eq!(config.shutdown.grace(), std::time::Duration::from_secs(25));
}
