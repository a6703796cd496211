//! Configuration: a TOML file (default `marina-etl.toml`), every key overridable by
//! environment variables `MARINA_ETL_<SECTION>__<KEY>`, and an embedded default when
//! there is no file (DuckDB file `marina.duckdb`, sources under `./data/<source>`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::catalog::System;

pub const DEFAULT_CONFIG_FILE: &str = "marina-etl.toml";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub warehouse: WarehouseConfig,
    /// Per source system (`molo`, `stellar`, `netsuite`): where its snapshots are.
    #[serde(default)]
    pub sources: BTreeMap<String, SourceConfig>,
    /// S3 settings shared by every source (a source may override them).
    #[serde(default)]
    pub s3: S3Settings,
    pub load: LoadConfig,
    #[serde(default)]
    pub molo: MoloConfig,
    #[serde(default)]
    pub calendar: CalendarConfig,
    #[serde(default)]
    pub log: LogConfig,
    /// The checks that prove every load (see `crate::check`).
    #[serde(default)]
    pub checks: ChecksConfig,
    /// Who is told how a run went (see `crate::notify`).
    #[serde(default)]
    pub notify: crate::notify::NotifyConfig,
    /// When `serve` runs the pipeline (see `crate::serve`).
    #[serde(default)]
    pub schedule: crate::serve::ScheduleConfig,
    /// `serve`'s HTTP endpoint.
    #[serde(default)]
    pub serve: crate::serve::ServeConfig,
    /// The grace period after SIGTERM or SIGINT (`run` and `serve`).
    #[serde(default)]
    pub shutdown: crate::serve::ShutdownConfig,
    /// Where the Prometheus metrics go after each run (see `crate::metrics`).
    #[serde(default)]
    pub metrics: crate::metrics::MetricsConfig,
}

/// `[checks]`: the data-quality rules and the volume anomaly detection.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// A rule file used instead of the default set (`catalog/checks.toml`, compiled in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<PathBuf>,
    /// A table's volume is anomalous when its robust score (distance from the median in
    /// scaled median absolute deviations) exceeds this.
    #[serde(default = "ChecksConfig::default_sensitivity")]
    pub anomaly_sensitivity: f64,
    /// Successful runs the volume baseline is taken from.
    #[serde(default = "ChecksConfig::default_history")]
    pub anomaly_history: usize,
    /// Fewer runs in the baseline than this: not judged.
    #[serde(default = "ChecksConfig::default_min_runs")]
    pub anomaly_min_runs: usize,
}

impl ChecksConfig {
    fn default_sensitivity() -> f64 {
        3.0
    }
    fn default_history() -> usize {
        14
    }
    fn default_min_runs() -> usize {
        5
    }
}

impl Default for ChecksConfig {
    fn default() -> Self {
        ChecksConfig {
            rules: None,
            anomaly_sensitivity: Self::default_sensitivity(),
            anomaly_history: Self::default_history(),
            anomaly_min_runs: Self::default_min_runs(),
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarehouseConfig {
    /// `duckdb://file.duckdb`, `duckdb:///abs/path.duckdb` or `postgres://user@host:port/db`.
    /// A DuckDB URL names a file, in a folder that exists (not `:memory:`, not a folder).
    pub url: String,
    /// DuckDB's memory limit (its buffer pool spills to disk beyond it), e.g. `1GB`.
    /// Default: 200MB while loading, which keeps a run of ten times the production volume
    /// under 500 MB and was faster there than 300MB (a forced full reload: 32 s against
    /// 44 s); DuckDB's own default (80% of the machine) for queries. A merge that needs
    /// more fails with DuckDB's "Out of Memory" and changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    /// DuckDB worker threads. Default: one while loading (a run already works on several
    /// tables and sources at once, and DuckDB's idle workers spin-wait for tasks, taking
    /// the cores our decoders need), one per core for queries.
    #[serde(default)]
    pub threads: Option<u32>,
    /// PostgreSQL: a file holding the password, used when neither the URL nor
    /// `PGPASSWORD` gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// PostgreSQL: longest wait for a connection to be ready (TCP, TLS, authentication),
    /// per host of the URL. `connect_timeout=SECONDS` in the URL, as libpq writes it, wins.
    /// Default [`DEFAULT_CONNECT_TIMEOUT`].
    #[serde(default, with = "humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<std::time::Duration>,
    /// PostgreSQL: longest run of one statement (the server's `statement_timeout`; the
    /// client also gives up on a server silent for this long and a minute more). `0s`: no
    /// limit. Default [`DEFAULT_STATEMENT_TIMEOUT`].
    #[serde(default, with = "humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub statement_timeout: Option<std::time::Duration>,
}

/// The memory limit of a run when the configuration names none.
pub const LOAD_MEMORY_LIMIT: &str = "200MB";

/// How long a PostgreSQL connection may take to be ready when neither the URL nor the
/// configuration says: libpq's advice is at least 2 s; a server that answers at all does
/// within a second.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long one PostgreSQL statement may run when the configuration does not say. The
/// longest statements are the merges of the largest tables: about 2 s at scale 1 (a forced
/// `--full` reload of invoice items), so well under a minute at scale 10. Half an hour
/// leaves room for a slow or busy server and still ends a hung run the same day.
pub const DEFAULT_STATEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Written by hand so that a configuration printed for debugging shows no secret.
impl std::fmt::Debug for WarehouseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarehouseConfig")
            .field("url", &MaskedUrl::new(&self.url))
            .field("memory_limit", &self.memory_limit)
            .field("threads", &self.threads)
            .field("password_file", &self.password_file)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

impl WarehouseConfig {
    /// The statement timeout in force: `None` when switched off (`0s`).
    pub fn statement_timeout(&self) -> Option<std::time::Duration> {
        let timeout = self.statement_timeout.unwrap_or(DEFAULT_STATEMENT_TIMEOUT);
        (!timeout.is_zero()).then_some(timeout)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// `s3://bucket/prefix`, `file:///path` or a plain path.
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Settings>,
}

/// S3 client settings, shared (`[s3]`) or per source (`[sources.<name>.s3]`, whose keys
/// override the shared ones). Secrets are never written here: credentials come from the
/// standard AWS chain (environment, profile files, web identity, container or instance
/// roles), or from the environment variables or the credentials file named here.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Endpoint of an S3-compatible store (path-style addressing is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Accept a plain-http endpoint that is not a loopback address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_http: Option<bool>,
    /// Profile of the shared AWS files (default: `AWS_PROFILE`, else `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// An AWS-format credentials file to take this source's keys from (its `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_file: Option<PathBuf>,
    /// Name of the environment variable holding the access key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id_env: Option<String>,
    /// Name of the environment variable holding the secret access key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key_env: Option<String>,
    /// Name of the environment variable holding a session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token_env: Option<String>,
    /// Timeout of one request, whole body included (default 30s; a download cut off by
    /// it resumes where it stopped).
    #[serde(default, with = "humantime_serde_opt", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<std::time::Duration>,
    /// Retries of a failed request (default 10, with exponential backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<usize>,
}

impl S3Settings {
    /// These settings with every key that `over` sets replaced by its value.
    pub fn overlaid_with(&self, over: &S3Settings) -> S3Settings {
        fn pick<T: Clone>(over: &Option<T>, base: &Option<T>) -> Option<T> {
            over.clone().or_else(|| base.clone())
        }
        S3Settings {
            region: pick(&over.region, &self.region),
            endpoint: pick(&over.endpoint, &self.endpoint),
            allow_http: pick(&over.allow_http, &self.allow_http),
            profile: pick(&over.profile, &self.profile),
            credentials_file: pick(&over.credentials_file, &self.credentials_file),
            access_key_id_env: pick(&over.access_key_id_env, &self.access_key_id_env),
            secret_access_key_env: pick(&over.secret_access_key_env, &self.secret_access_key_env),
            session_token_env: pick(&over.session_token_env, &self.session_token_env),
            timeout: pick(&over.timeout, &self.timeout),
            max_retries: pick(&over.max_retries, &self.max_retries),
        }
    }
}

/// Durations written as `30s`, `5m` in the configuration.
pub(crate) mod humantime_serde_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| humantime::parse_duration(&t).map_err(serde::de::Error::custom)).transpose()
    }
}

/// Loading rules with their defaults from the pipeline contract.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadConfig {
    /// A table fails when more than this share of its rows is rejected.
    pub max_reject_ratio: f64,
    /// Deletes above this share of a table's live rows are refused without `--allow-mass-delete`.
    pub mass_delete_ratio: f64,
    /// Archive members larger than this (uncompressed bytes) are refused.
    pub max_member_bytes: u64,
    /// Where downloaded archives are kept while they load (default: the system temp folder).
    pub temp_dir: Option<PathBuf>,
    /// Longest CSV record in bytes (default 4 MiB): a longer line is rejected, and a
    /// quoted field running past it is taken for unterminated (its first line rejected,
    /// the lines after it read as records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_record_bytes: Option<usize>,
    /// Most physical lines one CSV record may span (default 100); beyond, a quoted field
    /// is taken for unterminated, as above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_record_lines: Option<u64>,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            max_reject_ratio: 0.01,
            mass_delete_ratio: 0.5,
            max_member_bytes: 20 << 30,
            temp_dir: None,
            max_record_bytes: None,
            max_record_lines: None,
        }
    }
}

impl LoadConfig {
    /// The CSV decoder's limits: the keys above where set, the defaults elsewhere.
    pub fn decode_limits(&self) -> crate::decode::DecodeLimits {
        let defaults = crate::decode::DecodeLimits::default();
        crate::decode::DecodeLimits {
            max_record_bytes: self.max_record_bytes.unwrap_or(defaults.max_record_bytes),
            max_record_lines: self.max_record_lines.unwrap_or(defaults.max_record_lines),
            ..defaults
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoloConfig {
    /// MOLO marina location id = NetSuite subsidiary id.
    #[serde(default)]
    pub location_subsidiary: BTreeMap<String, i64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// First calendar day; default: the earliest date in the loaded data.
    pub start: Option<chrono::NaiveDate>,
    /// Last calendar day; default: 365 days after the latest date in the loaded data.
    pub end: Option<chrono::NaiveDate>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `error`, `warn`, `info`, `debug` or `trace`; `RUST_LOG` wins when set.
    pub level: Option<String>,
    /// `human` (default) or `json`: one JSON object per line (`--log-format` wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<crate::logging::LogFormat>,
}

/// A URL fit to show: the password of its user part and the values of secret-bearing
/// parameters (`password`, `sslpassword`, tokens, keys...) replaced by `***`. Every
/// message and log line that names a configured URL names it through this type, so that
/// no secret written into a URL is ever printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedUrl(String);

impl MaskedUrl {
    pub fn new(url: &str) -> Self {
        MaskedUrl(mask_url(url))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MaskedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `url` with every secret-bearing part replaced by `***` (see [`MaskedUrl`]).
///
/// Works on the text rather than on a parsed URL: a URL that does not parse (a password
/// with an unescaped `/` or `?`) is where a secret is most likely to be shown, in the very
/// error that says so. When in doubt it masks too much: everything between the first `:`
/// after the scheme and the last `@` is the password.
pub fn mask_url(url: &str) -> String {
    let masked = mask_parameters(url);
    let Some(scheme_end) = masked.find("://").map(|i| i + 3) else { return masked };
    let rest = &masked[scheme_end..];
    match rest.rfind('@').and_then(|at| rest[..at].find(':').map(|colon| (colon, at))) {
        Some((colon, at)) => format!("{}{}:***{}", &masked[..scheme_end], &rest[..colon], &rest[at..]),
        None => masked,
    }
}

/// Masks the value of every `key=value` whose key names a secret, in a URL's query
/// (`?a=1&password=x`) or a libpq keyword list (`host=db password=x`).
fn mask_parameters(text: &str) -> String {
    let is_separator = |c: char| matches!(c, '?' | '&' | ';') || c.is_whitespace();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(is_separator).unwrap_or(rest.len());
        let (part, tail) = rest.split_at(end);
        match part.split_once('=') {
            Some((key, value)) if !value.is_empty() && names_a_secret(key) => {
                out.push_str(key);
                out.push_str("=***");
            }
            _ => out.push_str(part),
        }
        let separator = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..separator]);
        rest = &tail[separator..];
    }
    out
}

/// Whether a parameter name speaks of a secret: `password`, `sslpassword`, `passfile`,
/// `pwd`, `secret`, `token`, `sslkey`, `api_key`, `credentials`, `X-Amz-Signature`, ...
fn names_a_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "pwd", "secret", "token", "key", "credential", "signature", "auth"].iter().any(|w| key.contains(w))
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    Missing(PathBuf),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Default for Config {
    /// The embedded default: a DuckDB file in the working folder and the three sources
    /// under `./data/<source>`.
    fn default() -> Self {
        Config {
            warehouse: WarehouseConfig {
                url: "duckdb://marina.duckdb".into(),
                memory_limit: None,
                threads: None,
                password_file: None,
                connect_timeout: None,
                statement_timeout: None,
            },
            sources: BTreeMap::new(),
            s3: S3Settings::default(),
            load: LoadConfig::default(),
            molo: MoloConfig::default(),
            calendar: CalendarConfig::default(),
            log: LogConfig::default(),
            checks: ChecksConfig::default(),
            notify: crate::notify::NotifyConfig::default(),
            schedule: Default::default(),
            serve: Default::default(),
            shutdown: Default::default(),
            metrics: Default::default(),
        }
    }
}

impl Config {
    /// Loads `path` (or `marina-etl.toml` when it exists, or the embedded default), then
    /// applies `MARINA_ETL_*` environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match path {
            Some(p) if !p.exists() => return Err(ConfigError::Missing(p.to_path_buf())),
            Some(p) => figment = figment.merge(Toml::file_exact(p)),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE))
            }
            None => {}
        }
        // MARINA_ETL_FAULT is the test fault switch (see `fault`), not configuration.
        figment = figment.merge(Env::prefixed("MARINA_ETL_").ignore(&["fault"]).split("__"));
        let mut config: Config = figment.extract().map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if config.sources.is_empty() {
            for system in System::ALL {
                config.sources.insert(
                    system.name().to_string(),
                    SourceConfig { location: format!("./data/{}", system.name()), s3: None },
                );
            }
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for name in self.sources.keys() {
            name.parse::<System>().map_err(|e| ConfigError::Invalid(format!("[sources.{name}]: {e}")))?;
        }
        for location in self.molo.location_subsidiary.keys() {
            location.parse::<i64>().map_err(|_| {
                ConfigError::Invalid(format!("[molo.location_subsidiary]: '{location}' is not a location id"))
            })?;
        }
        if let Some(limit) = &self.warehouse.memory_limit
            && !limit.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            return Err(ConfigError::Invalid(format!("[warehouse] memory_limit '{limit}' is not a size")));
        }
        if self.warehouse.connect_timeout.is_some_and(|t| t.is_zero()) {
            return Err(ConfigError::Invalid("[warehouse] connect_timeout must be more than zero".into()));
        }
        if !(self.checks.anomaly_sensitivity.is_finite() && self.checks.anomaly_sensitivity > 0.0) || self.checks.anomaly_min_runs < 2 {
            return Err(ConfigError::Invalid("[checks] anomaly_sensitivity must be above 0 and anomaly_min_runs at least 2".into()));
        }
        if !(0.0..=1.0).contains(&self.load.max_reject_ratio) || !(0.0..=1.0).contains(&self.load.mass_delete_ratio) {
            return Err(ConfigError::Invalid("[load] ratios must be between 0 and 1".into()));
        }
        Ok(())
    }

    /// The configured source systems, in catalog order.
    pub fn systems(&self) -> Vec<System> {
        System::ALL.into_iter().filter(|s| self.sources.contains_key(s.name())).collect()
    }

    pub fn source(&self, system: System) -> Option<&SourceConfig> {
        self.sources.get(system.name())
    }

    /// S3 settings of a source: the shared ones, with the keys the source sets itself
    /// taking precedence.
    pub fn s3_for(&self, system: System) -> S3Settings {
        match self.source(system).and_then(|s| s.s3.as_ref()) {
            Some(own) => self.s3.overlaid_with(own),
            None => self.s3.clone(),
        }
    }

    /// The location-to-subsidiary mapping as (marina location id, subsidiary id).
    pub fn location_subsidiary(&self) -> Vec<(i64, i64)> {
        self.molo
            .location_subsidiary
            .iter()
            .filter_map(|(k, v)| Some((k.parse().ok()?, *v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_s3_section_overrides_only_the_keys_it_sets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[warehouse]\nurl = \"duckdb://w.duckdb\"\n[s3]\nregion = \"eu-west-1\"\nendpoint = \"http://127.0.0.1:9000\"\ntimeout = \"90s\"\n\
             [sources.molo]\nlocation = \"s3://molo/exports\"\n[sources.molo.s3]\nregion = \"us-east-2\"\naccess_key_id_env = \"MOLO_ID\"\nsecret_access_key_env = \"MOLO_SECRET\"\n\
             [sources.stellar]\nlocation = \"s3://stellar\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        let molo = config.s3_for(System::Molo);
        assert_eq!(molo.region.as_deref(), Some("us-east-2"));
        assert_eq!(molo.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(molo.timeout, Some(std::time::Duration::from_secs(90)));
        assert_eq!(molo.access_key_id_env.as_deref(), Some("MOLO_ID"));
        let stellar = config.s3_for(System::Stellar);
        assert_eq!(stellar.region.as_deref(), Some("eu-west-1"));
        assert_eq!(stellar.access_key_id_env, None);
    }

    #[test]
    fn every_secret_of_a_url_is_masked() {
        let cases = [
            ("postgres://etl:s3cret@db:5432/w", "postgres://etl:***@db:5432/w"),
            ("postgres://etl@db/w", "postgres://etl@db/w"),
            ("postgres://db/w?sslmode=require", "postgres://db/w?sslmode=require"),
            ("postgres://etl@db/w?password=s3cret&sslpassword=x&sslmode=disable", "postgres://etl@db/w?password=***&sslpassword=***&sslmode=disable"),
            ("postgresql://etl:a/b?c@db/w", "postgresql://etl:***@db/w"),
            ("postgres://etl:p@ss@db/w?PASSWORD=x@y", "postgres://etl:***@db/w?PASSWORD=***"),
            ("host=db password=s3cret user=etl", "host=db password=*** user=etl"),
            ("mysql://root:s3cret@db/w", "mysql://root:***@db/w"),
            ("duckdb://marina.duckdb", "duckdb://marina.duckdb"),
            ("", ""),
        ];
        for (url, shown) in cases {
            assert_eq!(mask_url(url), shown, "{url}");
        }
        let mut config = Config::default();
        config.warehouse.url = "postgres://etl:s3cret@db/w?password=s3cret".into();
        assert!(!format!("{config:?}").contains("s3cret"), "{config:?}");
    }

    #[test]
    fn timeouts_are_read_as_durations_and_zero_switches_the_statement_timeout_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[warehouse]\nurl = \"postgres://db/w\"\nconnect_timeout = \"3s\"\nstatement_timeout = \"0s\"\n").unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.warehouse.connect_timeout, Some(std::time::Duration::from_secs(3)));
        assert_eq!(config.warehouse.statement_timeout(), None);
        assert_eq!(Config::default().warehouse.statement_timeout(), Some(DEFAULT_STATEMENT_TIMEOUT));
        std::fs::write(&path, "[warehouse]\nurl = \"postgres://db/w\"\nconnect_timeout = \"0s\"\n").unwrap();
        assert!(matches!(Config::load(Some(&path)), Err(ConfigError::Invalid(_))));
    }
}
