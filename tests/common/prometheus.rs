//! Prometheus text read by a real parser: the `prometheus_client` package's.

use std::io::Write;

/// Every sample of a Prometheus text, as `name|label=value,...|value`, read by the
/// `prometheus_client` package's parser (which fails on anything malformed).
pub fn parse_prometheus(text: &str) -> Vec<String> {
    const SCRIPT: &str = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        print(s.name + '|' + ','.join(k + '=' + v for k, v in sorted(s.labels.items())) + '|' + repr(float(s.value)))
"#;
    let mut python = std::process::Command::new(std::env::var("MARINA_ETL_TEST_PYTHON").unwrap_or_else(|_| "python3".into()))
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    python.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(out.status.success(), "prometheus_client refused the text: {}\n{text}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}
