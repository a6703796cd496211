//! `marina-etl serve` on a schedule of every second over folder sources: it loads each new
//! snapshot as it appears, never runs two runs at once (even when one is slower than the
//! interval), answers `/healthz`, `/metrics` and `/runs`, writes the metrics file (read
//! with the `prometheus_client` parser), and stops on SIGTERM with the documented code.

mod common;

use common::prometheus::parse_prometheus;

use common::two_tables::two_table_snapshot;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::process::Process;
use common::{Backend, Env};

/// MOLO alone, every second, the endpoint on a free loopback port, the metrics file.
fn serve_config(env: &mut Env, extra: &str) -> (PathBuf, PathBuf) {
    env.config.sources.retain(|name, _| name == "molo");
    let path = env.config_file();
    let textfile_dir = env.dir.path().join("textfile");
    std::fs::create_dir_all(&textfile_dir).unwrap();
    let textfile = textfile_dir.join("marina_etl.prom");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{text}\n[schedule]\ncron = \"* * * * * *\"\ntimezone = \"America/New_York\"\n\
             [serve]\nlisten = \"127.0.0.1:0\"\nmax_age = \"1h\"\n[metrics]\ntextfile = \"{}\"\n{extra}\n",
            textfile.display()
        ),
    )
    .unwrap();
    (path, textfile)
}

/// Starts `serve`; returns it and the address it listens on.
fn start(config: &PathBuf, fault: Option<&str>) -> (Process, String) {
    let mut serve = Process::start(config, &["serve"], fault);
    let line = serve.wait_for("listening on http://");
    let addr = line.rsplit("http://").next().unwrap().trim().to_string();
    (serve, addr)
}

/// A GET of `path`: the status code and the body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let code = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("not an HTTP answer: {text}"));
    (code, text.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default())
}

/// Waits (a bounded time, so that a broken serve fails the test instead of hanging it)
/// until `done` holds.
fn wait_until(what: &str, serve: &mut Process, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(120);
    while !done() {
        serve.drain();
        assert!(Instant::now() < until, "never: {what}; serve said {:#?}", serve.seen);
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// No run of the ledger started before the one before it ended, and none is left without an end.
fn assert_runs_never_overlapped(env: &Env) {
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_RUNS WHERE FINISHED_AT IS NULL OR STATUS = 'running'"), 0);
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM ETL_RUNS a JOIN ETL_RUNS b ON b.RUN_ID = a.RUN_ID + 1 WHERE b.STARTED_AT < a.FINISHED_AT"
        ),
        0,
        "{:#?}",
        env.lines("SELECT RUN_ID, STATUS, STARTED_AT, FINISHED_AT FROM ETL_RUNS ORDER BY RUN_ID")
    );
}

/// Stops `serve` with SIGTERM: 0 when no run was cut short, else 5 and the last run says so.
fn stop(serve: &mut Process, env: &Env) {
    serve.sigterm();
    let code = serve.exit_code(Duration::from_secs(60));
    let last = env.lines("SELECT STATUS FROM ETL_RUNS ORDER BY RUN_ID DESC LIMIT 1");
    let expected = if last == ["interrupted"] { 5 } else { 0 };
    assert_eq!(code, Some(expected), "last run {last:?}; serve said {:#?}", serve.seen);
}

fn serve_loads_each_new_snapshot_and_answers_healthz_metrics_and_runs(backend: Backend) {
    let mut env = Env::new(backend);
    let (config, textfile) = serve_config(&mut env, "");
    let (mut serve, addr) = start(&config, None);

    // Nothing loaded yet: unhealthy, with the reason.
    let (code, body) = get(&addr, "/healthz");
    assert_eq!(code, 503, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "unhealthy", "{body}");
    assert!(!health["reasons"].as_array().unwrap().is_empty(), "{body}");

    two_table_snapshot(&env, "a.zip", 1, "Pier v1", "Marina v1");
    let inserted = "marina_etl_table_rows{source=\"molo\",table=\"piers\",action=\"inserted\"} 1\n";
    wait_until("day 1 is loaded", &mut serve, || get(&addr, "/metrics").1.contains(inserted));
    wait_until("healthy", &mut serve, || get(&addr, "/healthz").0 == 200);
    let health: serde_json::Value = serde_json::from_str(&get(&addr, "/healthz").1).unwrap();
    assert_eq!(health["status"], "ok");
    assert!(health["last_success"]["molo"].is_string(), "{health}");

    two_table_snapshot(&env, "b.zip", 2, "Pier v2", "Marina v2");
    let updated = "marina_etl_table_rows{source=\"molo\",table=\"piers\",action=\"updated\"} 1\n";
    wait_until("day 2 is loaded", &mut serve, || get(&addr, "/metrics").1.contains(updated));
    wait_until("the metrics file has day 2", &mut serve, || std::fs::read_to_string(&textfile).is_ok_and(|t| t.contains(updated)));

    // The file and the endpoint parse as Prometheus text, with the same metrics.
    for samples in [parse_prometheus(&std::fs::read_to_string(&textfile).unwrap()), parse_prometheus(&get(&addr, "/metrics").1)] {
        assert!(samples.contains(&"marina_etl_table_rows|action=updated,source=molo,table=piers|1.0".to_string()), "{samples:#?}");
        assert!(samples.contains(&"marina_etl_rejected_rows|source=molo|0.0".to_string()), "{samples:#?}");
        assert!(samples.iter().any(|s| s.starts_with("marina_etl_last_success_timestamp_seconds|source=molo|")), "{samples:#?}");
        assert!(samples.iter().any(|s| s.starts_with("marina_etl_checks|source=molo,status=pass|")), "{samples:#?}");
        let statuses: Vec<&String> = samples.iter().filter(|s| s.starts_with("marina_etl_last_run_status|") && s.ends_with("|1.0")).collect();
        assert_eq!(statuses.len(), 1, "one status is the last run's: {samples:#?}");
    }
    let published_day_2 = {
        let runs: serde_json::Value = serde_json::from_str(&get(&addr, "/runs").1).unwrap();
        runs["runs"].as_array().unwrap().iter().any(|r| r["status"] == "succeeded" && r["sources"]["molo"]["rows_updated"] == 2)
    };
    assert!(published_day_2, "/runs shows the run that updated the pier and the marina");
    let (code, _) = get(&addr, "/nothing");
    assert_eq!(code, 404);

    stop(&mut serve, &env);
    assert_eq!(env.lines("SELECT (SELECT NAME FROM DW_MOLO_MARINA_LOCATIONS), (SELECT NAME FROM DW_MOLO_PIERS)"), vec!["Marina v2|Pier v2"]);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_SNAPSHOTS"), 2);
    assert_runs_never_overlapped(&env);
}

/// Every publish pauses 3 s, three times the interval: the runs follow one another.
fn serve_never_overlaps_a_slow_run(backend: Backend) {
    let mut env = Env::new(backend);
    let (config, _) = serve_config(&mut env, "");
    two_table_snapshot(&env, "a.zip", 1, "Pier v1", "Marina v1");
    let (mut serve, addr) = start(&config, Some("pause-after-merge:1:3"));
    let runs_after_the_slow_one = |addr: &str| -> usize {
        let runs: serde_json::Value = serde_json::from_str(&get(addr, "/runs").1).unwrap();
        let runs = runs["runs"].as_array().unwrap().clone();
        runs.iter().position(|r| r["status"] == "succeeded").unwrap_or(0)
    };
    wait_until("two runs after the slow one", &mut serve, || runs_after_the_slow_one(&addr) >= 2);
    stop(&mut serve, &env);
    assert!(
        !serve.seen.iter().any(|l| l.contains("did not start") || l.contains("another run is in progress")),
        "{:#?}",
        serve.seen
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_RUNS WHERE STATUS = 'succeeded'"), 1);
    assert_runs_never_overlapped(&env);
}

backend_tests!(serve_loads_each_new_snapshot_and_answers_healthz_metrics_and_runs, serve_never_overlaps_a_slow_run);
