//! The doctor's checks, one function per part of a deployment.

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::{size, Finding};
use crate::cli::CliError;
use crate::config::{Config, MaskedUrl};
use crate::notify::{email::Mailer, webhook::Webhooks, EmailConfig, WebhookConfig};
use crate::source::Location;
use crate::warehouse::{self, Session};

/// A snapshot older than this is worth a warning: the exports are daily.
const STALE_HOURS: i64 = 48;

/// Each configured source: its location parses and is listable with the credentials
/// given, and its newest snapshot is found (name, size, age). Returns the size of the
/// largest newest snapshot that a run would download (S3), for the temp folder's check.
pub fn sources(config: &Config, report: &mut dyn FnMut(Finding) -> Result<(), CliError>) -> Result<u64, CliError> {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            report(Finding::fail("sources", format!("cannot start the I/O runtime: {e}"), "check the process's limits (threads, files)"))?;
            return Ok(0);
        }
    };
    let mut largest_download = 0;
    for system in config.systems() {
        let what = format!("source {system}");
        let Some(source) = config.source(system) else { continue };
        let location = match Location::parse(&source.location, &config.s3_for(system)) {
            Ok(l) => l,
            Err(e) => {
                report(Finding::fail(what, e.to_string(), format!("check [sources.{system}] location and that the folder or bucket exists")))?;
                continue;
            }
        };
        match runtime.block_on(location.newest(system, |_, _| None)) {
            Ok(newest) => {
                let age = Utc::now().signed_duration_since(newest.last_modified);
                let detail = format!(
                    "newest snapshot {} ({}), {} old",
                    location.describe(&newest.key),
                    size(newest.size),
                    humantime::format_duration(std::time::Duration::from_secs(age.num_seconds().max(0) as u64 / 60 * 60))
                );
                if source.location.starts_with("s3://") {
                    largest_download = largest_download.max(newest.size);
                }
                if age.num_hours() > STALE_HOURS {
                    report(Finding::warn(what, detail, "the exports are daily: is the export job running?"))?;
                } else {
                    report(Finding::ok(what, detail))?;
                }
            }
            Err(e) => report(Finding::fail(what, e.to_string(), "check the location, the credentials and that the export job drops its snapshots there"))?,
        }
    }
    Ok(largest_download)
}

/// The run lock is free, then the warehouse is reachable and writable (a change made and
/// rolled back), with its version and free space.
pub fn lock_and_warehouse(config: &Config) -> Vec<Finding> {
    let shown = MaskedUrl::new(&config.warehouse.url).to_string();
    let mut out = Vec::new();
    match warehouse::try_lock_run(&config.warehouse) {
        Ok(Some(lock)) => {
            // Released at once: the doctor must not keep a run from starting.
            drop(lock);
            out.push(Finding::ok("run lock", "free"));
        }
        Ok(None) => {
            out.push(Finding::fail(
                "run lock",
                "held: a run is in progress, or a stuck process holds it",
                "wait for the run (marina-etl status), or find the process that holds it and end it",
            ));
            if config.warehouse.url.starts_with("duckdb://") {
                out.push(Finding::warn("warehouse", format!("{shown} not checked: DuckDB lets no other process open it during a run"), "run the doctor again after the run"));
                return out;
            }
        }
        Err(e) => out.push(Finding::fail("run lock", e.to_string(), "check the warehouse URL and the folder's permissions")),
    }
    out.push(warehouse_finding(config, &shown));
    out
}

fn warehouse_finding(config: &Config, shown: &str) -> Finding {
    let hint_unreachable = "check [warehouse] url, the server, the network and the credentials";
    let duckdb_file = config.warehouse.url.strip_prefix("duckdb://").map(PathBuf::from);
    if let Some(file) = &duckdb_file
        && !file.exists()
    {
        let folder = file.parent().filter(|f| !f.as_os_str().is_empty()).unwrap_or(Path::new("."));
        return match tempfile::NamedTempFile::new_in(folder) {
            Ok(_) => Finding::warn(
                "warehouse",
                format!("{shown} does not exist yet; its folder is writable ({} free)", free_space(folder).map_or("unknown".into(), size)),
                "the first run creates it",
            ),
            Err(e) => Finding::fail("warehouse", format!("{shown} does not exist and its folder {} is not writable: {e}", folder.display()), "check the folder's permissions"),
        };
    }
    let wh = match warehouse::open(&config.warehouse) {
        Ok(wh) => wh,
        Err(e) => return Finding::fail("warehouse", e.to_string(), hint_unreachable),
    };
    let mut s = match wh.session() {
        Ok(s) => s,
        Err(e) => return Finding::fail("warehouse", e.to_string(), hint_unreachable),
    };
    let version = version(s.as_mut());
    if let Err(e) = write_probe(s.as_mut()) {
        return Finding::fail(
            "warehouse",
            format!("{shown} ({version}) is reachable but not writable: {e}"),
            "check the user's privileges (CREATE, INSERT), a read-only database or file, and free space",
        );
    }
    let space = match &duckdb_file {
        Some(file) => {
            let folder = file.parent().filter(|f| !f.as_os_str().is_empty()).unwrap_or(Path::new("."));
            format!("{} free", free_space(folder).map_or("unknown".into(), size))
        }
        None => match s.query_i64("SELECT pg_database_size(current_database())") {
            Ok(bytes) => format!("database {}; free space is the server's to tell", size(bytes.max(0) as u64)),
            Err(_) => "free space is the server's to tell".into(),
        },
    };
    Finding::ok("warehouse", format!("{shown} reachable and writable, {version}, {space}"))
}

/// The engine's name and version.
fn version(s: &mut dyn Session) -> String {
    match s.query_rows("SELECT version()") {
        Ok(rows) => {
            let text = rows.rows.first().and_then(|r| r.first().cloned().flatten()).unwrap_or_default();
            // PostgreSQL's version() names the compiler too: keep its first two words.
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            match words.as_slice() {
                [v] => format!("DuckDB {v}"),
                _ => words.join(" "),
            }
        }
        Err(_) => "version unknown".into(),
    }
}

/// Makes a change and rolls it back: a read-only database, file or user fails here.
fn write_probe(s: &mut dyn Session) -> Result<(), warehouse::WarehouseError> {
    s.execute("BEGIN TRANSACTION")?;
    let probe = s
        .execute("CREATE TABLE ETL_DOCTOR_PROBE (X INTEGER)")
        .and_then(|_| s.execute("INSERT INTO ETL_DOCTOR_PROBE VALUES (1)"));
    let _ = s.execute("ROLLBACK");
    probe.map(|_| ())
}

/// Bytes free for an unprivileged writer in the file system of `folder`.
pub fn free_space(folder: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(folder).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// The temp folder (`[load] temp_dir`) exists, is writable and has room for the largest
/// snapshot a run downloads.
pub fn temp_space(config: &Config, largest_download: u64) -> Finding {
    let folder = config.load.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    if let Err(e) = tempfile::NamedTempFile::new_in(&folder) {
        return Finding::fail("temp folder", format!("{} is not writable: {e}", folder.display()), "check [load] temp_dir and its permissions");
    }
    let Some(free) = free_space(&folder) else {
        return Finding::warn("temp folder", format!("{}: free space unknown", folder.display()), "check it by hand (df)");
    };
    if largest_download == 0 {
        return Finding::ok("temp folder", format!("{}: {} free (folder sources are read in place)", folder.display(), size(free)));
    }
    let detail = format!("{}: {} free, the largest snapshot to download is {}", folder.display(), size(free), size(largest_download));
    if free < largest_download {
        Finding::fail("temp folder", detail, "free space there or point [load] temp_dir at a larger disk")
    } else {
        Finding::ok("temp folder", detail)
    }
}

/// SMTP: connects, secures the connection and authenticates, sending nothing.
pub fn smtp(config: &EmailConfig) -> Finding {
    let hint = "check [notify.email] server, port, tls, ca_file, user and the password's variable or file";
    let mailer = match Mailer::new(config) {
        Ok(m) => m,
        Err(e) => return Finding::fail("smtp", e.to_string(), hint),
    };
    match mailer.check() {
        Ok(()) => {
            let auth = config.user.as_ref().map_or("no authentication configured".to_string(), |u| format!("authenticated as {u}"));
            let tls = match config.tls {
                crate::notify::SmtpTls::Starttls => "STARTTLS",
                crate::notify::SmtpTls::Tls => "TLS",
                crate::notify::SmtpTls::None => "no TLS",
            };
            Finding::ok("smtp", format!("{} connects ({tls}), {auth}; nothing sent", mailer.target()))
        }
        Err(e) => Finding::fail("smtp", format!("{}: {e}", mailer.target()), hint),
    }
}

/// Each webhook URL's host resolves.
pub fn webhooks(config: &WebhookConfig) -> Vec<Finding> {
    let hint = "check [notify.webhook] urls_env or urls_file and the name server";
    match Webhooks::new(config) {
        Ok(hooks) => hooks
            .resolve()
            .into_iter()
            .map(|(shown, resolved)| match resolved {
                Ok(()) => Finding::ok("webhook", format!("{shown} resolves")),
                Err(e) => Finding::fail("webhook", format!("{shown}: {e}"), hint),
            })
            .collect(),
        Err(e) => vec![Finding::fail("webhook", e.to_string(), hint)],
    }
}
