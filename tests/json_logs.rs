//! `--log-format json` and `[log] format = "json"`: every line on stderr is one JSON object,
//! and the lines of a run carry its id, and where they happen in it the source, the table
//! and the phase. The human format stays the default.

mod common;
#[path = "support/notify_servers.rs"]
mod servers;

use common::{Backend, Env};
use servers::marina;
use serde_json::Value;

/// Row 2's location id is not a number: a third of the rows rejected fails the table.
const BAD_PIERS: &str = "Id,Name,MarinaLocationId\n1,A,1\n2,B,x\n3,C,2\n";

fn config(env: &Env, extra: &str) -> std::path::PathBuf {
    let text = format!(
        "[warehouse]\nurl = \"{}\"\n[sources.molo]\nlocation = \"{}\"\n[sources.stellar]\nlocation = \"{}\"\n{extra}",
        env.config.warehouse.url,
        env.folder("molo").display(),
        env.folder("stellar").display()
    );
    let path = env.dir.path().join("marina-etl.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Every line of `stderr` as a JSON object (the test fails on a line that is not one).
fn parse(stderr: &str) -> Vec<serde_json::Map<String, Value>> {
    assert!(!stderr.trim().is_empty());
    stderr
        .lines()
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(map)) => map,
            other => panic!("not a JSON object ({other:?}): {l}"),
        })
        .collect()
}

#[test]
fn every_line_of_a_run_is_json_with_its_run_source_table_and_phase() {
    let env = Env::new(Backend::DuckDb);
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", BAD_PIERS)]);
    let file = config(&env, "");
    let (code, stdout, stderr) = marina(&["--config", file.to_str().unwrap(), "--log-format", "json", "run"], &[]);
    assert_eq!(code, 1, "piers fails, stellar has no snapshot: {stdout}{stderr}");
    let lines = parse(&stderr);
    for l in &lines {
        assert!(l["timestamp"].is_string() && l["level"].is_string() && l["message"].is_string(), "{l:?}");
        // Every line is about this run: it starts before anything else is said.
        assert_eq!(l.get("run_id"), Some(&Value::from(1)), "the run's id on every line: {l:?}");
        if l.contains_key("table") {
            assert!(l.contains_key("source") && l.contains_key("phase"), "a table's line says its source and phase: {l:?}");
        }
    }
    let find = |what: &str| lines.iter().find(|l| l["message"].as_str().unwrap().contains(what)).unwrap_or_else(|| panic!("no line '{what}': {stderr}"));
    let piers = find("more than");
    assert_eq!((piers["source"].as_str(), piers["table"].as_str(), piers["phase"].as_str(), piers["level"].as_str()), (Some("molo"), Some("piers"), Some("stage"), Some("WARN")), "{piers:?}");
    let loading = find("loading");
    assert_eq!((loading["source"].as_str(), loading["phase"].as_str()), (Some("molo"), Some("discover")));
    let finished = find("run finished");
    assert_eq!(finished["phase"], "finish");
    assert_eq!(finished["status"], "failed");
    let stellar = lines.iter().filter(|l| l.get("source") == Some(&Value::from("stellar"))).count();
    assert!(stellar >= 2, "stellar's failure in its phase and in the run's end: {stderr}");
    assert!(lines.iter().any(|l| l["level"] == "ERROR" && l["message"].as_str().unwrap().starts_with("stellar: no snapshot")), "{stderr}");
}

#[test]
fn the_log_section_chooses_json_and_the_human_format_is_the_default() {
    let env = Env::new(Backend::DuckDb);
    env.zip("molo", "20250101050000.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n")]);
    let human = config(&env, "");
    let (_, _, stderr) = marina(&["--config", human.to_str().unwrap(), "run", "--source", "molo"], &[]);
    assert!(stderr.lines().count() > 1 && stderr.lines().all(|l| serde_json::from_str::<Value>(l).is_err()), "human lines: {stderr}");
    assert!(stderr.contains(" INFO run{run_id=1}"), "{stderr}");

    let json = config(&env, "[log]\nformat = \"json\"\n");
    let (code, _, stderr) = marina(&["--config", json.to_str().unwrap(), "run", "--source", "molo", "--force"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let lines = parse(&stderr);
    assert!(lines.iter().all(|l| l["run_id"] == 2), "{stderr}");
    assert!(lines.iter().any(|l| l["message"] == "run finished"), "{stderr}");

    // The command line wins, and an error before any run is a JSON line too.
    let (code, _, stderr) = marina(&["--config", "/nonexistent/marina-etl.toml", "--log-format", "json", "status"], &[]);
    assert_eq!(code, 2);
    let lines = parse(&stderr);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["level"], "ERROR");
    assert!(lines[0]["message"].as_str().unwrap().contains("does not exist"), "{stderr}");
}
