//! Secrets of the channels (the SMTP password, webhook URLs), read from the environment
//! variable or the file the configuration names. They never reach a message or a log line:
//! [`Secret`] shows as `***`, and a webhook is named by its [`shown_url`].

use std::path::{Path, PathBuf};

/// A value that must never be printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Why a secret could not be read. Names where it was looked for, never its value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the environment variable {0} is not set (or is empty)")]
    UnsetVariable(String),
    #[error("cannot read {}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is empty")]
    EmptyFile(PathBuf),
    #[error("{what} is not configured: set {env_key} (an environment variable's name) or {file_key}")]
    NotConfigured { what: &'static str, env_key: &'static str, file_key: &'static str },
}

/// The text of the variable `env` or of `file` (the variable first).
fn read(env: Option<&str>, file: Option<&Path>) -> Option<Result<String, SecretError>> {
    if let Some(name) = env {
        return Some(match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(SecretError::UnsetVariable(name.to_string())),
        });
    }
    let path = file?;
    Some(match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(text),
        Ok(_) => Err(SecretError::EmptyFile(path.to_path_buf())),
        Err(source) => Err(SecretError::File { path: path.to_path_buf(), source }),
    })
}

/// A password from the variable `env` or the first line of `file`; `None` when neither
/// is configured.
pub fn password(env: Option<&str>, file: Option<&Path>) -> Result<Option<Secret>, SecretError> {
    read(env, file)
        .transpose()
        .map(|text| text.map(|t| Secret(t.lines().next().unwrap_or_default().trim_end_matches('\r').to_string())))
}

/// URLs from the variable `env` (separated by white space or commas) or `file` (one per
/// line, `#` starts a comment).
pub fn urls(env: Option<&str>, file: Option<&Path>) -> Result<Vec<Secret>, SecretError> {
    let text = read(env, file).ok_or(SecretError::NotConfigured {
        what: "[notify.webhook] URLs",
        env_key: "urls_env",
        file_key: "urls_file",
    })??;
    Ok(text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(|line| line.split(|c: char| c.is_whitespace() || c == ','))
        .filter(|u| !u.is_empty())
        .map(|u| Secret(u.to_string()))
        .collect())
}

/// A webhook URL as it may be shown: scheme, host and port only (the path of a Slack or
/// Teams webhook is its token).
pub fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}/***", u.scheme()),
            (Some(host), None) => format!("{}://{host}/***", u.scheme()),
            _ => "(a URL without a host)".to_string(),
        },
        Err(_) => "(a URL that does not parse)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_url_is_shown_without_its_path_or_query() {
        assert_eq!(shown_url("https://hooks.slack.com/services/T0/B0/secret"), "https://hooks.slack.com/***");
        assert_eq!(shown_url("http://127.0.0.1:8080/hook?token=secret"), "http://127.0.0.1:8080/***");
        assert!(!shown_url("not a url secret").contains("secret"));
        assert_eq!(format!("{:?}", Secret("p4ss".into())), "***");
    }

    #[test]
    fn urls_are_split_on_white_space_commas_and_lines_and_comments_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hooks");
        std::fs::write(&file, "# ops channel\nhttp://127.0.0.1:1/a, http://127.0.0.1:2/b\n\nhttp://127.0.0.1:3/c # finance\n").unwrap();
        let got: Vec<String> = urls(None, Some(&file)).unwrap().iter().map(|s| s.expose().to_string()).collect();
        assert_eq!(got, ["http://127.0.0.1:1/a", "http://127.0.0.1:2/b", "http://127.0.0.1:3/c"]);
        assert!(matches!(urls(None, None), Err(SecretError::NotConfigured { .. })));
        assert!(matches!(password(Some("MARINA_NOTIFY_TEST_UNSET_VARIABLE"), None), Err(SecretError::UnsetVariable(_))));
        std::fs::write(&file, "s3cret\nignored\n").unwrap();
        assert_eq!(password(None, Some(&file)).unwrap().unwrap().expose(), "s3cret");
    }
}
