//! Field validation of the warehouse as it is (`marina-etl check --validate-fields`): the
//! snapshots the tables were last published from are fetched again from their source.

use super::{member_of, validate_tables, Difference, Sample, CHECK, KIND};
use crate::check::results::CheckResult;
use crate::check::rules::{CheckStatus, Severity};
use crate::catalog::Table;
use crate::source::archive::Archive;
use crate::warehouse::{quote, Session, Warehouse};

/// Field validation of the warehouse as it is (`marina-etl check --validate-fields`): for
/// each table of `system` whose latest read was published, its archive is fetched again
/// from the source's location and its staging table (still that run's) gives the sample.
pub fn validate_warehouse(
    wh: &dyn Warehouse,
    s: &mut dyn Session,
    config: &crate::config::Config,
    system: crate::catalog::System,
    sample: Sample,
) -> Vec<(CheckResult, Vec<Difference>)> {
    let failed = |table: Option<&str>, message: String| {
        let mut r = CheckResult::new(system.name(), table, CHECK, KIND, Severity::Error);
        r.status = CheckStatus::Fail;
        r.message = Some(message);
        (r, Vec::new())
    };
    let Some(source) = config.source(system) else { return Vec::new() };
    let rows = match s.query_rows(&format!(
        "SELECT TABLE_NAME, ARCHIVE_KEY FROM (\
           SELECT t.*, ROW_NUMBER() OVER (PARTITION BY TABLE_NAME ORDER BY RUN_ID DESC) AS NEWEST FROM ETL_RUN_TABLES t \
            WHERE SOURCE = {} AND STATUS IN ('published', 'failed', 'not_published')) x \
          WHERE NEWEST = 1 AND STATUS = 'published' ORDER BY ARCHIVE_KEY, TABLE_NAME",
        quote(system.name())
    )) {
        Ok(rows) => rows,
        Err(e) => return vec![failed(None, format!("cannot read the ledger: {e}"))],
    };
    let mut by_archive: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in rows.rows {
        if let (Some(table), Some(key)) = (r.first().cloned().flatten(), r.get(1).cloned().flatten()) {
            by_archive.entry(key).or_default().push(table);
        }
    }
    let mut out = Vec::new();
    for (key, tables) in by_archive {
        match fetch_archive(config, system, &source.location, &key) {
            Err(e) => out.push(failed(None, format!("cannot read {key} again: {e}"))),
            Ok(Refetched { archive, members, _kept }) => {
                let found: Vec<(&Table, &str)> = tables
                    .iter()
                    .filter_map(|name| crate::catalog::Catalog::get().table(system, name))
                    .filter_map(|t| Some((t, member_of(t, &members)?)))
                    .collect();
                for ((table, _), validated) in found.iter().zip(validate_tables(wh, &archive, &found, sample, &config.load.decode_limits())) {
                    out.push(validated.unwrap_or_else(|e| failed(Some(&table.name), format!("could not be compared: {e}"))));
                }
            }
        }
    }
    out
}

/// Why a published snapshot could not be read again.
#[derive(Debug, thiserror::Error)]
enum RefetchError {
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    #[error("cannot start the download: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("it is no longer at the source's location")]
    Gone,
    #[error("cannot create a work folder: {0}")]
    WorkFolder(#[source] std::io::Error),
    #[error(transparent)]
    Archive(#[from] crate::source::archive::ArchiveError),
}

/// A snapshot fetched again: its archive and members, and the local copy and work folder
/// that must stay until the archive has been read.
struct Refetched {
    archive: Archive,
    members: Vec<crate::source::archive::Member>,
    _kept: (crate::source::LocalSnapshot, crate::source::workdir::WorkFolder),
}

/// Fetches the snapshot `key` of a source again, to a work folder of its own.
fn fetch_archive(config: &crate::config::Config, system: crate::catalog::System, location: &str, key: &str) -> Result<Refetched, RefetchError> {
    use crate::source::Location;
    let location = Location::parse(location, &config.s3_for(system))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(RefetchError::Runtime)?;
    let object = runtime
        .block_on(location.candidates(system))?
        .into_iter()
        .find(|o| o.key == key)
        .ok_or(RefetchError::Gone)?;
    let root = config.load.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let work = crate::source::workdir::WorkFolder::create(&root).map_err(RefetchError::WorkFolder)?;
    let local = runtime.block_on(location.fetch(&object, work.path()))?;
    let archive = Archive::open(&local.path, crate::source::archive_kind(system), config.load.max_member_bytes)?;
    let members = archive.members()?;
    Ok(Refetched { archive, members, _kept: (local, work) })
}
