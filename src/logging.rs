//! Log output on stderr: the human format (default) or, with `--log-format json` or
//! `[log] format = "json"`, one JSON object per line. Every line of a run carries the
//! fields of the spans it happens in: `run_id`, `source`, `table` and `phase`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text for a person at a terminal.
    #[default]
    Human,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Whether stderr lines are JSON (set once, before anything is logged).
static JSON: AtomicBool = AtomicBool::new(false);

/// Chooses the format of the lines [`say`] writes before logging is set up (the command
/// line's choice, known before the configuration is read).
pub fn set_format(format: LogFormat) {
    JSON.store(format == LogFormat::Json, Ordering::Relaxed);
}

/// Sets up logging: `format` (the command line's) wins over `[log] format`. At the `info`
/// level unless `quiet_info` (progress bars on a terminal say it), `[log] level` or
/// `RUST_LOG` says otherwise.
pub fn init(config: &crate::config::Config, format: Option<LogFormat>, quiet_info: bool) {
    let format = format.or(config.log.format).unwrap_or_default();
    set_format(format);
    let default = config.log.level.clone().unwrap_or_else(|| if quiet_info { "warn" } else { "info" }.into());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("marina_etl={default}")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second initialisation (tests calling in) keeps the first.
    let _ = match format {
        LogFormat::Human => builder.with_ansi(std::io::stderr().is_terminal()).with_target(false).try_init(),
        LogFormat::Json => builder.with_ansi(false).fmt_fields(JsonFields::new()).event_format(JsonLine).try_init(),
    };
}

/// Writes a line for whoever reads the job's error output: `marina-etl: TEXT`, or in the
/// JSON format an object with `level`, `message` and `fields`.
pub fn say(level: tracing::Level, text: &str, fields: &[(&str, serde_json::Value)]) {
    if JSON.load(Ordering::Relaxed) {
        let mut line = serde_json::Map::new();
        line.insert("timestamp".into(), now().into());
        line.insert("level".into(), level.as_str().into());
        for (k, v) in fields {
            line.insert((*k).into(), v.clone());
        }
        line.insert("message".into(), text.into());
        eprintln!("{}", serde_json::Value::Object(line));
    } else {
        eprintln!("marina-etl: {text}");
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// One JSON object per event: time, level, the fields of every span it is in (outermost
/// first, so the innermost wins), then the event's own fields and message.
struct JsonLine;

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        let mut line = serde_json::Map::new();
        line.insert("timestamp".into(), now().into());
        line.insert("level".into(), event.metadata().level().as_str().into());
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                // With `JsonFields`, a span's fields are kept as a JSON object's text.
                let Some(fields) = extensions.get::<FormattedFields<N>>() else { continue };
                if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(fields) {
                    line.extend(map);
                }
            }
        }
        event.record(&mut Fields(&mut line));
        writeln!(writer, "{}", serde_json::Value::Object(line))
    }
}

/// Collects an event's fields as JSON values.
struct Fields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl tracing::field::Visit for Fields<'_> {
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}").into());
    }
}
