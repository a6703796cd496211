//! The S3 client of a location: settings from the standard AWS environment, the shared
//! AWS profile files and the configuration, in that order of increasing precedence for
//! everything but credentials (see [`S3Settings::builder`]); and S3 failures as one line
//! a person understands.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::{BackoffConfig, ClientConfigKey, RetryConfig};

use crate::config::S3Settings;

/// Why an S3 client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("environment variable {var} named by {key} is not set")]
    MissingVariable { key: &'static str, var: String },
    #[error("cannot read the credentials file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("profile '{profile}' has no access key in {path}")]
    NoProfile { profile: String, path: PathBuf },
    #[error("{0} needs {1} as well")]
    Incomplete(&'static str, &'static str),
}

/// Static credentials found outside the process environment's `AWS_*` keys.
struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

/// The process environment, as the client builder reads it.
pub type EnvVars = HashMap<String, String>;

/// The environment of this process.
pub fn process_env() -> EnvVars {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

impl S3Settings {
    /// An S3 client builder for these settings and the process environment.
    pub fn builder(&self) -> Result<AmazonS3Builder, CredentialError> {
        self.builder_with_env(&process_env())
    }

    /// An S3 client builder, reading the environment from `env`.
    ///
    /// Credentials, first match wins: the variables or file named in the configuration;
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`; the profile
    /// (`AWS_PROFILE`, else `default`) of the shared credentials file; then web identity,
    /// container and instance roles (tried by the client when it first needs them).
    /// Region and endpoint: the configuration, else `AWS_REGION`/`AWS_ENDPOINT_URL`, else
    /// the profile's region in the shared config file.
    pub fn builder_with_env(&self, env: &EnvVars) -> Result<AmazonS3Builder, CredentialError> {
        let explicit = self.configured_credentials(env)?;
        let mut b = AmazonS3Builder::new();
        for (key, value) in env {
            if !key.starts_with("AWS_") {
                continue;
            }
            let Ok(config_key) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() else { continue };
            // Configured credentials replace the environment's as a whole: a session
            // token of one identity must not travel with the keys of another.
            let is_credential =
                matches!(config_key, AmazonS3ConfigKey::AccessKeyId | AmazonS3ConfigKey::SecretAccessKey | AmazonS3ConfigKey::Token);
            if explicit.is_some() && is_credential {
                continue;
            }
            b = b.with_config(config_key, value);
        }
        let env_has_keys = env.contains_key("AWS_ACCESS_KEY_ID");
        let profile = self.profile.clone().or_else(|| env.get("AWS_PROFILE").cloned());
        let credentials = match explicit {
            Some(c) => Some(c),
            None if env_has_keys => None,
            None => profile_credentials(env, profile.as_deref())?,
        };
        if let Some(c) = credentials {
            b = b.with_access_key_id(c.access_key_id).with_secret_access_key(c.secret_access_key);
            if let Some(token) = c.session_token {
                b = b.with_token(token);
            }
        }
        let env_region = env.get("AWS_REGION").or_else(|| env.get("AWS_DEFAULT_REGION"));
        match (&self.region, env_region) {
            (Some(region), _) => b = b.with_region(region),
            (None, Some(_)) => {}
            (None, None) => {
                if let Some(region) = profile_region(env, profile.as_deref()) {
                    b = b.with_region(region);
                }
            }
        }
        if let Some(endpoint) = &self.endpoint {
            b = b.with_endpoint(endpoint);
        }
        // S3-compatible stores are addressed path-style (bucket in the path, not the host).
        b = b.with_virtual_hosted_style_request(false);
        let endpoint = b.get_config_value(&AmazonS3ConfigKey::Endpoint);
        if self.allow_http == Some(true) || endpoint.as_deref().is_some_and(is_loopback_http) {
            b = b.with_allow_http(true);
        }
        if let Some(timeout) = self.timeout {
            b = b.with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), format!("{}s", timeout.as_secs().max(1)));
        }
        Ok(b.with_retry(retry_config(self.max_retries)))
    }

    fn configured_credentials(&self, env: &EnvVars) -> Result<Option<Credentials>, CredentialError> {
        match (&self.access_key_id_env, &self.secret_access_key_env) {
            (Some(id_var), Some(secret_var)) => {
                let read = |key: &'static str, var: &String| {
                    env.get(var).cloned().ok_or_else(|| CredentialError::MissingVariable { key, var: var.clone() })
                };
                return Ok(Some(Credentials {
                    access_key_id: read("access_key_id_env", id_var)?,
                    secret_access_key: read("secret_access_key_env", secret_var)?,
                    session_token: self.session_token_env.as_ref().map(|v| read("session_token_env", v)).transpose()?,
                }));
            }
            (Some(_), None) => return Err(CredentialError::Incomplete("access_key_id_env", "secret_access_key_env")),
            (None, Some(_)) => return Err(CredentialError::Incomplete("secret_access_key_env", "access_key_id_env")),
            (None, None) => {}
        }
        let Some(path) = &self.credentials_file else { return Ok(None) };
        let profile = self.profile.clone().or_else(|| env.get("AWS_PROFILE").cloned()).unwrap_or_else(|| "default".into());
        let sections = read_ini(path)?;
        let found = credentials_in(&sections, &profile);
        found.map(Some).ok_or_else(|| CredentialError::NoProfile { profile, path: path.clone() })
    }
}

/// Retries with exponential backoff on timeouts, 5xx and dropped connections; a body
/// cut off mid-download is resumed from where it stopped, pinned to the object's ETag.
fn retry_config(max_retries: Option<usize>) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig { init_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(15), base: 2.0 },
        max_retries: max_retries.unwrap_or(10),
        retry_timeout: Duration::from_secs(3 * 60),
    }
}

/// The static credentials of `profile` (default `default`) in the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`). A profile asked for by name
/// must exist; the default one may be absent.
fn profile_credentials(env: &EnvVars, profile: Option<&str>) -> Result<Option<Credentials>, CredentialError> {
    let Some(path) = env.get("AWS_SHARED_CREDENTIALS_FILE").map(PathBuf::from).or_else(|| home_file(env, "credentials"))
    else {
        return Ok(None);
    };
    let name = profile.unwrap_or("default");
    if !path.exists() {
        return match profile {
            Some(p) => Err(CredentialError::NoProfile { profile: p.to_string(), path }),
            None => Ok(None),
        };
    }
    let found = credentials_in(&read_ini(&path)?, name);
    match (found, profile) {
        (Some(c), _) => Ok(Some(c)),
        (None, Some(p)) => Err(CredentialError::NoProfile { profile: p.to_string(), path }),
        (None, None) => Ok(None),
    }
}

/// The region of `profile` in the shared config file (`AWS_CONFIG_FILE`, else `~/.aws/config`).
fn profile_region(env: &EnvVars, profile: Option<&str>) -> Option<String> {
    let path = env.get("AWS_CONFIG_FILE").map(PathBuf::from).or_else(|| home_file(env, "config"))?;
    let sections = read_ini(&path).ok()?;
    let name = profile.unwrap_or("default");
    let section = if name == "default" { "default".to_string() } else { format!("profile {name}") };
    sections.get(&section).or_else(|| sections.get(name))?.get("region").cloned()
}

fn home_file(env: &EnvVars, name: &str) -> Option<PathBuf> {
    env.get("HOME").map(|h| Path::new(h).join(".aws").join(name))
}

fn credentials_in(sections: &HashMap<String, HashMap<String, String>>, profile: &str) -> Option<Credentials> {
    let s = sections.get(profile)?;
    Some(Credentials {
        access_key_id: s.get("aws_access_key_id")?.clone(),
        secret_access_key: s.get("aws_secret_access_key")?.clone(),
        session_token: s.get("aws_session_token").cloned(),
    })
}

/// The sections of an AWS shared credentials or config file (INI: `[name]`, `key = value`).
fn read_ini(path: &Path) -> Result<HashMap<String, HashMap<String, String>>, CredentialError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CredentialError::File { path: path.to_path_buf(), reason: e.kind().to_string() })?;
    let mut sections: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.trim().to_string());
            sections.entry(name.trim().to_string()).or_default();
        } else if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            sections.entry(section.clone()).or_default().insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Ok(sections)
}

/// Whether `endpoint` is plain http to a loopback address (accepted without `allow_http`).
pub fn is_loopback_http(endpoint: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint) else { return false };
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// What went wrong with a store request, for the person reading the run's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreFailure {
    /// The bucket does not exist.
    NoBucket,
    /// Credentials refused or not allowed to do this.
    Denied(String),
    /// The object is not there (any more).
    NotFound,
    /// The object changed since it was listed (ETag no longer matches).
    Changed,
    /// Anything else: unreachable endpoint, retries exhausted, ...
    Other(String),
}

/// Classifies an object store error and says it in one line without request details.
pub fn classify(e: &object_store::Error) -> StoreFailure {
    let text = error_chain(e);
    let code = s3_error_code(&text);
    match (e, code.as_deref()) {
        (_, Some("NoSuchBucket")) => StoreFailure::NoBucket,
        (_, Some(c @ ("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken"
        | "InvalidToken" | "AllAccessDisabled" | "AccountProblem"))) => StoreFailure::Denied(c.to_string()),
        (object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }, c) => {
            StoreFailure::Denied(c.unwrap_or("403 Forbidden").to_string())
        }
        (object_store::Error::NotFound { .. }, _) | (_, Some("NoSuchKey")) => StoreFailure::NotFound,
        (object_store::Error::Precondition { .. }, _) | (_, Some("PreconditionFailed")) => StoreFailure::Changed,
        _ if text.contains("status 403") => StoreFailure::Denied("403 Forbidden".into()),
        _ => StoreFailure::Other(summarize(&one_line(&text))),
    }
}

/// The cause of a failed request, where it went and how often it was tried, from
/// object_store's long form ("Generic S3 error: Error performing GET http://host/b?x in
/// 1s, after 10 retries, ... - HTTP error: ...: Connection refused (os error 111)").
fn summarize(text: &str) -> String {
    let Some(at) = text.rfind("Error performing ") else { return text.to_string() };
    let request = &text[at + "Error performing ".len()..];
    let Some((head, cause)) = request.split_once(" - ") else { return text.to_string() };
    let cause = cause.rsplit(": ").next().unwrap_or(cause).trim();
    let host = head
        .split_whitespace()
        .nth(1)
        .and_then(|uri| url::Url::parse(uri).ok())
        .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or("")) + &u.port().map(|p| format!(":{p}")).unwrap_or_default());
    let retries = head.split_once("after ").and_then(|(_, r)| r.split_whitespace().next()).unwrap_or("0");
    match host {
        Some(host) => format!("{cause} (endpoint {host}, {retries} retries)"),
        None => cause.to_string(),
    }
}

/// The error and its sources, joined: object_store keeps the HTTP status and the S3 error
/// body in the source chain.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// The `<Code>` of an S3 XML error body inside `text`.
fn s3_error_code(text: &str) -> Option<String> {
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")?;
    Some(text[start..start + end].trim().to_string())
}

/// One line, without the XML error body (which can echo request details).
fn one_line(text: &str) -> String {
    let cut = text.find("<?xml").or_else(|| text.find("<Error>")).unwrap_or(text.len());
    let mut line: String = text[..cut].split_whitespace().collect::<Vec<_>>().join(" ");
    line = line.trim_end_matches([':', ' ', '-']).to_string();
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvVars {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn loopback_http_endpoints_are_recognised() {
        assert!(is_loopback_http("http://127.0.0.1:9000"));
        assert!(is_loopback_http("http://localhost:9000/"));
        assert!(is_loopback_http("http://[::1]:9000"));
        assert!(!is_loopback_http("http://10.0.0.5:9000"));
        assert!(!is_loopback_http("https://127.0.0.1:9000"));
        assert!(!is_loopback_http("http://localhost.example.com"));
    }

    #[test]
    fn configured_variables_win_over_the_environment_keys() {
        let settings = S3Settings {
            access_key_id_env: Some("MOLO_KEY".into()),
            secret_access_key_env: Some("MOLO_SECRET".into()),
            ..S3Settings::default()
        };
        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "env-id"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_SESSION_TOKEN", "env-token"),
            ("MOLO_KEY", "molo-id"),
            ("MOLO_SECRET", "molo-secret"),
            ("AWS_REGION", "eu-west-3"),
        ]);
        let b = settings.builder_with_env(&e).unwrap();
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::AccessKeyId).as_deref(), Some("molo-id"));
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::SecretAccessKey).as_deref(), Some("molo-secret"));
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Token), None);
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Region).as_deref(), Some("eu-west-3"));
        let missing = settings.builder_with_env(&env(&[("MOLO_KEY", "x")])).unwrap_err();
        assert_eq!(missing.to_string(), "environment variable MOLO_SECRET named by secret_access_key_env is not set");
    }

    #[test]
    fn the_standard_variables_and_the_profile_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        std::fs::write(&creds, "[default]\naws_access_key_id = d-id\naws_secret_access_key = d-secret\n\n[ops]\naws_access_key_id=o-id\naws_secret_access_key=o-secret\naws_session_token=o-token\n").unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, "[default]\nregion = us-west-2\n[profile ops]\nregion = ca-central-1\n").unwrap();
        let files = [("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()), ("AWS_CONFIG_FILE", config.to_str().unwrap())];

        let b = S3Settings::default().builder_with_env(&env(&files)).unwrap();
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::AccessKeyId).as_deref(), Some("d-id"));
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Region).as_deref(), Some("us-west-2"));

        let mut with_profile = files.to_vec();
        with_profile.push(("AWS_PROFILE", "ops"));
        let b = S3Settings::default().builder_with_env(&env(&with_profile)).unwrap();
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::AccessKeyId).as_deref(), Some("o-id"));
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Token).as_deref(), Some("o-token"));
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Region).as_deref(), Some("ca-central-1"));

        // The environment's keys come before the profile files.
        let mut with_keys = files.to_vec();
        with_keys.extend([("AWS_ACCESS_KEY_ID", "e-id"), ("AWS_SECRET_ACCESS_KEY", "e-secret"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")]);
        let b = S3Settings::default().builder_with_env(&env(&with_keys)).unwrap();
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::AccessKeyId).as_deref(), Some("e-id"));
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp)).as_deref(), Some("true"));

        let mut unknown = files.to_vec();
        unknown.push(("AWS_PROFILE", "nope"));
        let e = S3Settings::default().builder_with_env(&env(&unknown)).unwrap_err();
        assert!(e.to_string().starts_with("profile 'nope' has no access key in "), "{e}");
    }

    #[test]
    fn plain_http_elsewhere_needs_allow_http() {
        let http = S3Settings { endpoint: Some("http://minio.internal:9000".into()), ..S3Settings::default() };
        let b = http.builder_with_env(&EnvVars::new()).unwrap();
        assert_ne!(b.get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp)).as_deref(), Some("true"));
        let allowed = S3Settings { allow_http: Some(true), ..http.clone() };
        let b = allowed.builder_with_env(&EnvVars::new()).unwrap();
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp)).as_deref(), Some("true"));
        let b = http.builder_with_env(&env(&[("AWS_ALLOW_HTTP", "true")])).unwrap();
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp)).as_deref(), Some("true"));
    }

    #[test]
    fn s3_error_bodies_become_one_short_line() {
        let body = "Error performing GET http://127.0.0.1/b?list-type=2 in 1ms - Client error with status 404 Not Found: <?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>x</Message></Error>";
        assert_eq!(s3_error_code(body).as_deref(), Some("NoSuchBucket"));
        assert_eq!(one_line("a\n  b - <?xml ...>"), "a b");
        assert_eq!(
            summarize("Generic S3 error: Error performing list request: Error performing GET http://127.0.0.1:18998/b?list-type=2 in 101ms, after 3 retries, max_retries: 3, retry_timeout: 180s - HTTP error: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)"),
            "Connection refused (os error 111) (endpoint http://127.0.0.1:18998, 3 retries)"
        );
    }
}
