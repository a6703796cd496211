//! After a one-shot `run`, the metrics go to the textfile (replaced whole) and to a
//! Pushgateway (here a loopback receiver that records the request); both parse as
//! Prometheus text with the `prometheus_client` package and hold the run's figures. A push
//! that cannot be delivered is one warning and leaves the exit code alone.

mod common;

use common::prometheus::parse_prometheus;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use common::{binary, Backend, Env};

/// Accepts one HTTP request on a free loopback port; sends its request line and body.
fn receiver() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (send, got) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        reader.get_mut().write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        let _ = send.send((request_line.trim().to_string(), String::from_utf8(body).unwrap()));
    });
    (addr, got)
}

fn config_with(env: &Env, extra: &str) -> PathBuf {
    let path = env.config_file();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n{extra}\n")).unwrap();
    path
}

fn a_run_writes_the_metrics_file_and_pushes_them(backend: Backend) {
    let env = Env::new(backend);
    let (addr, pushed) = receiver();
    let textfile = env.dir.path().join("marina_etl.prom");
    let config = config_with(
        &env,
        &format!("[metrics]\ntextfile = \"{}\"\npushgateway = \"http://{addr}\"\njob = \"marina\"", textfile.display()),
    );
    // One of three rows rejected (a location that is not a number), under the 50% allowed.
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n2,B,1\n3,C,x\n")]);
    let run = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "run", "--source", "molo"])
        .env("MARINA_ETL_LOAD__MAX_REJECT_RATIO", "0.5")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let code = run.status.code();
    let run_id = env.count("SELECT MAX(RUN_ID) FROM ETL_RUNS");
    let status = env.lines(&format!("SELECT STATUS FROM ETL_RUNS WHERE RUN_ID = {run_id}"));

    let (request_line, body) = pushed.recv_timeout(Duration::from_secs(30)).expect("nothing was pushed");
    assert_eq!(request_line, "PUT /metrics/job/marina HTTP/1.1");
    let file = std::fs::read_to_string(&textfile).unwrap();
    assert_eq!(file, body, "one rendering for both");
    for samples in [parse_prometheus(&file), parse_prometheus(&body)] {
        let has = |line: &str| samples.iter().any(|s| s == line);
        assert!(has("marina_etl_table_rows|action=staged,source=molo,table=piers|2.0"), "{samples:#?}");
        assert!(has("marina_etl_table_rows|action=rejected,source=molo,table=piers|1.0"), "{samples:#?}");
        assert!(has(&format!("marina_etl_last_run_id||{run_id}.0")), "{samples:#?}");
        assert!(has(&format!("marina_etl_last_run_status|status={}|1.0", status[0])), "{samples:#?}");
        assert!(samples.iter().any(|s| s.starts_with("marina_etl_phase_duration_seconds|phase=merge,source=molo|")), "{samples:#?}");
        assert!(samples.iter().any(|s| s.starts_with("marina_etl_rejected_rows|source=molo|")), "{samples:#?}");
    }
    assert!(!stderr.contains("metrics:"), "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(status, ["succeeded"]);
}

fn a_push_that_fails_is_one_warning_and_changes_no_exit_code(backend: Backend) {
    let env = Env::new(backend);
    // A port that was free a moment ago: nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let config = config_with(&env, &format!("[metrics]\npushgateway = \"http://{closed}\""));
    env.zip("molo", "a.zip", 1, &[("Piers.csv", "Id,Name,MarinaLocationId\n1,A,1\n")]);
    let run = Command::new(binary()).args(["--config", config.to_str().unwrap(), "run", "--source", "molo"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("metrics: cannot push the metrics")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert_eq!(env.lines("SELECT NAME FROM DW_MOLO_PIERS"), vec!["A"]);
}

backend_tests!(a_run_writes_the_metrics_file_and_pushes_them, a_push_that_fails_is_one_warning_and_changes_no_exit_code);
