//! Field validation: rows picked by a seeded hash of their key are read again from the
//! archive member, converted by the decoder's own rules, and compared field by field
//! with their live `DW_` row. Each difference names the table, the key, the column, the
//! file's value and the warehouse's.
//!
//! The sample is drawn from the staging table the run published (it knows each row's
//! line in the file), so only those lines are read again: the member is scanned for
//! record boundaries, but only the sampled records are converted. With a sample of 0,
//! every row of the member is decoded again.

use std::collections::BTreeSet;
use std::io::Read;
use std::time::Instant;

use super::results::{CheckResult, MAX_FAILING_KEYS};
use super::rules::{CheckStatus, Severity};
use crate::catalog::{Column, Table};
use crate::decode::{self, DecodeError, DecodeLimits};
use crate::source::archive::{Archive, ArchiveError};
use crate::warehouse::sql::{self, CreateTable, Dialect, DW_DELETED_AT, ETL_LINE};
use crate::warehouse::{quote, Session, WarehouseError};

/// `--validate-fields [--sample N] [--seed S]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Rows per table; 0 = every row.
    pub rows: u64,
    /// The seed of the hash that picks the rows (printed and recorded, so a sample can
    /// be taken again).
    pub seed: u64,
}

/// The name of the check in `ETL_CHECK_RESULTS`.
pub const CHECK: &str = "fields";
const KIND: &str = "field_validation";

/// At most this many differences per table are recorded in `ETL_CHECK_DIFFERENCES`.
pub const MAX_DIFFERENCES: usize = 1000;

/// Why a table's fields could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{member}: {source}")]
    Decode {
        member: String,
        #[source]
        source: DecodeError,
    },
    /// Reading the archive failed before this table's member was reached (one error,
    /// told to every table it left unread).
    #[error("the archive could not be read: {0}")]
    ArchiveUnreadable(String),
    #[error("{0} vanished from the archive")]
    Vanished(String),
    #[error("cannot read {member}: {source}")]
    Read {
        member: String,
        #[source]
        source: std::io::Error,
    },
}

/// One field whose file value differs from the warehouse's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub key: String,
    pub column: String,
    pub file_value: Option<String>,
    pub warehouse_value: Option<String>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = |v: &Option<String>| v.as_deref().map_or("NULL".to_string(), |v| format!("'{v}'"));
        write!(f, "{} {}: file {}, warehouse {}", self.key, self.column, v(&self.file_value), v(&self.warehouse_value))
    }
}

/// The scratch table the re-read rows go to.
fn scratch_name(table: &Table) -> String {
    format!("CHK_{}", table.staging_name().trim_start_matches("STG_"))
}

fn key_text(d: Dialect, table: &Table, alias: &str) -> String {
    super::rule_sql::key_text(d, alias, &table.key_columns().collect::<Vec<_>>())
}

/// The lines of the staged rows the seeded hash of their key puts first.
fn sampled_lines(s: &mut dyn Session, d: Dialect, table: &Table, sample: Sample) -> Result<BTreeSet<u64>, WarehouseError> {
    let rows = s.query_rows_at_most(
        &format!(
            "SELECT {line} FROM {} s ORDER BY MD5(CONCAT('{}:', {})), {line}",
            d.ident(&table.staging_name()),
            sample.seed,
            key_text(d, table, "s"),
            line = d.qualified("s", ETL_LINE)
        ),
        Some(sample.rows as usize),
    )?;
    Ok(rows.rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).filter_map(|v| v.parse().ok()).collect())
}

/// The member's first line: the header, as the export wrote it.
fn header_line(input: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut header = Vec::new();
    let mut byte = [0u8; 1];
    while input.read(&mut byte)? == 1 && byte[0] != b'\n' {
        header.push(byte[0]);
    }
    Ok(header)
}

/// The outcome of comparing one table's fields.
pub type Validated = Result<(CheckResult, Vec<Difference>), FieldError>;

/// Compares the fields of each of `tables` (with its member of `archive`) with its live
/// `DW_` rows. A gzip tar is read once for all of them, a ZIP member by member.
pub fn validate_tables(
    s: &mut dyn Session,
    d: Dialect,
    archive: &Archive,
    tables: &[(&Table, &str)],
    sample: Sample,
    limits: &DecodeLimits,
) -> Vec<Validated> {
    let clock = Instant::now();
    let mut read: Vec<Option<Result<(), FieldError>>> = Vec::with_capacity(tables.len());
    let mut lines: Vec<BTreeSet<u64>> = Vec::with_capacity(tables.len());
    for (table, _) in tables {
        match prepare(s, d, table, sample) {
            Ok(l) => {
                lines.push(l);
                read.push(None);
            }
            Err(e) => {
                lines.push(BTreeSet::new());
                read.push(Some(Err(e)));
            }
        }
    }
    match archive.kind() {
        crate::source::archive::ArchiveKind::TarGz => {
            let visited = archive.for_each_member(|name, r| {
                if let Some(i) = tables.iter().position(|(_, m)| *m == name)
                    && read[i].is_none()
                {
                    read[i] = Some(read_member(s, d, tables[i].0, name, r, sample, &lines[i], limits));
                }
            });
            if let Err(e) = visited {
                let message = e.to_string();
                for slot in read.iter_mut().filter(|r| r.is_none()) {
                    *slot = Some(Err(FieldError::ArchiveUnreadable(message.clone())));
                }
            }
        }
        crate::source::archive::ArchiveKind::Zip => {
            for (i, (table, member)) in tables.iter().enumerate() {
                if read[i].is_none() {
                    read[i] = Some(match archive.with_member(member, |r| read_member(s, d, table, member, r, sample, &lines[i], limits)) {
                        Ok(Some(done)) => done,
                        Ok(None) => Err(FieldError::Vanished(member.to_string())),
                        Err(e) => Err(e.into()),
                    });
                }
            }
        }
    }
    let share = clock.elapsed().as_secs_f64() / tables.len().max(1) as f64;
    tables
        .iter()
        .zip(read)
        .map(|((table, member), done)| {
            let started = Instant::now();
            let result = done
                .unwrap_or_else(|| Err(FieldError::Vanished(member.to_string())))
                .and_then(|()| compare(s, d, table, &scratch_name(table), sample));
            let _ = s.execute(&sql::drop_table_if_exists(d, &scratch_name(table)));
            result.map(|(mut r, x)| {
                r.seconds = share + started.elapsed().as_secs_f64();
                (r, x)
            })
        })
        .collect()
}

/// Makes the scratch table of `table` and picks the lines of its sample (none: every row).
fn prepare(s: &mut dyn Session, d: Dialect, table: &Table, sample: Sample) -> Result<BTreeSet<u64>, FieldError> {
    let scratch = scratch_name(table);
    s.execute(&sql::drop_table_if_exists(d, &scratch))?;
    s.execute(&CreateTable::new(d, &scratch).scratch().catalog_columns(&table.columns).column(ETL_LINE, &d.column_type(crate::catalog::ColumnType::Int)).sql())?;
    Ok(if sample.rows == 0 { BTreeSet::new() } else { sampled_lines(s, d, table, sample)? })
}

/// Decodes the member's sampled records (or all of them) into the scratch table.
#[allow(clippy::too_many_arguments)]
fn read_member(
    s: &mut dyn Session,
    _d: Dialect,
    table: &Table,
    member: &str,
    r: &mut dyn Read,
    sample: Sample,
    lines: &BTreeSet<u64>,
    limits: &DecodeLimits,
) -> Result<(), FieldError> {
    let scratch = scratch_name(table);
    let decode_err = |source| FieldError::Decode { member: member.to_string(), source };
    let mut appended: Result<(), WarehouseError> = Ok(());
    let mut sink = |batch| {
        let result = s.append(&scratch, batch);
        let failed = result.is_err();
        if appended.is_ok() {
            appended = result;
        }
        if failed { Err("the scratch table refused a batch".to_string()) } else { Ok(()) }
    };
    if sample.rows == 0 {
        let decoded = decode::decode_table(table, r, limits, &mut sink, &mut |_| {});
        appended?;
        decoded.map_err(decode_err)?;
        return Ok(());
    }
    if lines.is_empty() {
        return Ok(());
    }
    // Raw records kept whole (a staged record is at most `max_record_bytes`).
    let whole = DecodeLimits { max_raw_bytes: limits.max_record_bytes, ..*limits };
    let header = header_line(r).map_err(|source| FieldError::Read { member: member.to_string(), source })?;
    let mut first = header.clone();
    first.push(b'\n');
    // The header goes back in front, so that the lines count as in the file.
    let records = decode::raw_records(std::io::Cursor::new(first).chain(r), lines, &whole).map_err(decode_err)?;
    let mut csv = header;
    csv.push(b'\n');
    for line in lines {
        if let Some(raw) = records.get(line) {
            csv.extend_from_slice(raw.trim_end_matches(['\r', '\n']).as_bytes());
            csv.push(b'\n');
        }
    }
    let decoded = decode::decode_table(table, csv.as_slice(), limits, &mut sink, &mut |_| {});
    appended?;
    decoded.map_err(decode_err)?;
    Ok(())
}

/// The re-read rows against the live `DW_` rows: rows missing, then field by field.
fn compare(s: &mut dyn Session, d: Dialect, table: &Table, scratch: &str, sample: Sample) -> Result<(CheckResult, Vec<Difference>), FieldError> {
    let keys: Vec<&str> = table.key_columns().map(|c| c.name.as_str()).collect();
    // A key twice in the file: the last occurrence is the one published.
    let latest = format!(
        "(SELECT * FROM (SELECT x.*, ROW_NUMBER() OVER (PARTITION BY {} ORDER BY {} DESC) AS ETL_NEWEST FROM {} x) y WHERE ETL_NEWEST = 1)",
        sql::ident_list(d, keys.iter().copied()),
        d.ident(ETL_LINE),
        d.ident(scratch)
    );
    let dw = d.ident(&table.dw_name());
    let live = format!("{} IS NULL", d.qualified("w", DW_DELETED_AT));
    let values: Vec<&Column> = table.value_columns().collect();
    let differ = if values.is_empty() {
        "1 = 0".to_string()
    } else {
        values.iter().map(|c| format!("{} IS DISTINCT FROM {}", d.qualified("f", &c.name), d.qualified("w", &c.name))).collect::<Vec<_>>().join(" OR ")
    };
    let joined = format!("{latest} f JOIN {dw} w ON {live} AND {}", sql::key_match(d, table, "w", "f"));
    let missing = format!("{latest} f WHERE NOT EXISTS (SELECT 1 FROM {dw} w WHERE {live} AND {})", sql::key_match(d, table, "w", "f"));
    let counts = s.query_rows(&format!(
        "SELECT (SELECT COUNT(*) FROM {latest} f), (SELECT COUNT(*) FROM {missing}), (SELECT COUNT(*) FROM {joined} WHERE {differ})"
    ))?;
    let n = |i: usize| counts.rows.first().and_then(|r| r.get(i).cloned().flatten()).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let (compared, missing_rows, differing_rows) = (n(0), n(1), n(2));
    let mut differences = Vec::new();
    if missing_rows > 0 {
        let rows = s.query_rows_at_most(&format!("SELECT {} FROM {missing} ORDER BY 1", key_text(d, table, "f")), Some(MAX_DIFFERENCES))?;
        differences.extend(rows.rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).map(|key| Difference {
            key,
            column: "(row)".into(),
            file_value: Some("present".into()),
            warehouse_value: None,
        }));
    }
    if differing_rows > 0 && !values.is_empty() {
        let pairs: Vec<String> = values
            .iter()
            .flat_map(|c| [format!("CAST({} AS VARCHAR)", d.qualified("f", &c.name)), format!("CAST({} AS VARCHAR)", d.qualified("w", &c.name))])
            .collect();
        let rows = s.query_rows_at_most(
            &format!("SELECT {} AS K, {} FROM {joined} WHERE {differ} ORDER BY 1", key_text(d, table, "f"), pairs.join(", ")),
            Some(MAX_DIFFERENCES),
        )?;
        for row in rows.rows {
            let key = row.first().cloned().flatten().unwrap_or_default();
            for (i, c) in values.iter().enumerate() {
                let (file_value, warehouse_value) = (row[1 + 2 * i].clone(), row[2 + 2 * i].clone());
                if file_value != warehouse_value {
                    differences.push(Difference { key: key.clone(), column: c.name.clone(), file_value, warehouse_value });
                }
            }
        }
    }
    differences.truncate(MAX_DIFFERENCES);
    let mut r = CheckResult::new(table.system.name(), Some(&table.name), CHECK, KIND, Severity::Error);
    r.failing_rows = missing_rows + differing_rows;
    r.observed = Some(r.failing_rows as f64);
    r.threshold = Some("= 0".into());
    r.failing_keys = differences.iter().take(MAX_FAILING_KEYS).map(ToString::to_string).collect();
    if r.failing_rows > 0 {
        r.status = CheckStatus::Fail;
    }
    let what = if sample.rows == 0 { "every row".to_string() } else { format!("a sample of {} row(s)", sample.rows) };
    r.message = Some(format!(
        "{compared} row(s) compared ({what}, seed {}): {missing_rows} not live in the warehouse, {differing_rows} with different fields",
        sample.seed
    ));
    Ok((r, differences))
}

/// Records differences in `ETL_CHECK_DIFFERENCES`.
pub fn record_differences(
    s: &mut dyn Session,
    d: Dialect,
    run_id: Option<i64>,
    checked_at: chrono::NaiveDateTime,
    table: &Table,
    differences: &[Difference],
) -> Result<(), WarehouseError> {
    if differences.is_empty() {
        return Ok(());
    }
    let run = run_id.map_or_else(|| "NULL".to_string(), |r| r.to_string());
    let at = sql::timestamp_literal(d, checked_at);
    for chunk in differences.chunks(200) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|x| {
                format!(
                    "({run}, {at}, {}, {}, {}, {}, {}, {})",
                    quote(table.system.name()),
                    quote(&table.name),
                    quote(&x.key),
                    quote(&x.column),
                    crate::warehouse::quote_opt(x.file_value.as_deref()),
                    crate::warehouse::quote_opt(x.warehouse_value.as_deref()),
                )
            })
            .collect();
        s.execute(&format!(
            "INSERT INTO ETL_CHECK_DIFFERENCES (RUN_ID, CHECKED_AT, SOURCE, TABLE_NAME, KEY_TEXT, COLUMN_NAME, FILE_VALUE, WAREHOUSE_VALUE) VALUES\n{}",
            rows.join(",\n")
        ))?;
    }
    Ok(())
}

/// The member of `members` that holds `table` (at the root, under `./`, or in a folder
/// that wraps the export).
pub fn member_of<'m>(table: &Table, members: &'m [crate::source::archive::Member]) -> Option<&'m str> {
    let file = table.file.to_ascii_lowercase();
    members
        .iter()
        .map(|m| m.name.as_str())
        .find(|name| {
            let plain = name.trim_start_matches("./").to_ascii_lowercase();
            plain == file || plain.rsplit_once('/').is_some_and(|(_, last)| last == file && !file.contains('/')) || plain.ends_with(&format!("/{file}"))
        })
}

/// Field validation of the warehouse as it is (`marina-etl check --validate-fields`): for
/// each table of `system` whose latest read was published, its archive is fetched again
/// from the source's location and its staging table (still that run's) gives the sample.
pub fn validate_warehouse(
    s: &mut dyn Session,
    d: Dialect,
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
                for ((table, _), validated) in found.iter().zip(validate_tables(s, d, &archive, &found, sample, &config.load.decode_limits())) {
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
