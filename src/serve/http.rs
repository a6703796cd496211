//! `serve`'s HTTP endpoint (hyper, HTTP/1.1), off unless `[serve] listen` names an address:
//!
//! - `/healthz`: 200 while the last run ended well and every source succeeded within
//!   `[serve] max_age`, else 503; the body says why, as JSON;
//! - `/metrics`: the Prometheus metrics ([`crate::metrics::render`]);
//! - `/runs`: the recent runs as JSON.
//!
//! The answers come from what `serve` read from the ledger after its last run, so a
//! request never opens the warehouse (DuckDB lets a run's file be opened by nobody else).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

use super::status::{self, Shared};

/// What the endpoint needs besides the shared status.
#[derive(Clone)]
pub struct Endpoint {
    pub shared: Shared,
    /// The configured sources, each of which must have succeeded recently.
    pub sources: Vec<&'static str>,
    /// `[serve] max_age`.
    pub max_age: Duration,
}

/// Binds `addr` and answers on a thread of its own until the process ends. Returns the
/// address bound (the port chosen when `addr` asks for port 0).
pub fn start(addr: SocketAddr, endpoint: Endpoint) -> std::io::Result<SocketAddr> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(addr))?;
    let bound = listener.local_addr()?;
    std::thread::Builder::new().name("marina-etl-http".into()).spawn(move || {
        runtime.block_on(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!("http: cannot accept a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let endpoint = endpoint.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let endpoint = endpoint.clone();
                        async move { Ok::<_, Infallible>(answer(&endpoint, &request)) }
                    });
                    let served = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(10))
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    if let Err(e) = served {
                        tracing::debug!("http: connection ended: {e}");
                    }
                });
            }
        });
    })?;
    Ok(bound)
}

fn answer(endpoint: &Endpoint, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return respond(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "only GET\n".into());
    }
    let now = chrono::Utc::now();
    let state = status::lock(&endpoint.shared);
    match request.uri().path() {
        "/healthz" => {
            let health = status::health(state.facts.as_ref(), &endpoint.sources, endpoint.max_age, now);
            let body = status::health_json(&health, state.facts.as_ref(), &state);
            let code = if health.healthy() {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            respond(code, "application/json", format!("{body}\n"))
        }
        "/metrics" => match &state.facts {
            Some(Ok(facts)) => {
                let text = crate::metrics::render(facts, state.last_outcome.as_ref(), now);
                respond(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", text)
            }
            Some(Err(e)) => respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                format!("cannot read the run ledger: {e}\n"),
            ),
            None => respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                "the run ledger was not read yet\n".into(),
            ),
        },
        "/runs" => {
            let body = serde_json::json!({
                "running_since": state.running_since.map(|t| t.to_rfc3339()),
                "next_run": state.next_run.map(|t| t.to_rfc3339()),
                "runs": if state.runs.is_null() { serde_json::json!([]) } else { state.runs.clone() },
            });
            respond(StatusCode::OK, "application/json", format!("{body}\n"))
        }
        _ => respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: try /healthz, /metrics or /runs\n".into(),
        ),
    }
}

fn respond(code: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = code;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}
