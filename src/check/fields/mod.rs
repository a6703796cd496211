//! Field validation: rows picked by a seeded hash of their key are read again from the
//! archive member, converted by the decoder's own rules, and compared field by field
//! with their live `DW_` row. Each difference names the table, the key, the column, the
//! file's value and the warehouse's.
//!
//! The sample is drawn from the staging table the run published (it knows each row's
//! line in the file and its key), so only those lines are read again: the member is
//! scanned for record boundaries, but only the sampled records are converted. A sample of
//! up to [`compare::COMPARED_HERE`] rows stays in memory and is compared with the live rows
//! of its keys, fetched in one query. With a sample of 0 (or a larger one), the rows go to
//! a scratch table of the session's own connection and the warehouse compares them. Tables
//! are compared on several sessions at once.

mod compare;
mod refetch;
mod reread;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use super::results::{CheckResult, MAX_FAILING_KEYS};
use super::rules::{CheckStatus, Severity};
use crate::catalog::Table;
use crate::decode::{DecodeError, DecodeLimits};
use crate::source::archive::{Archive, ArchiveError, ArchiveKind};
use crate::warehouse::sql::{self, Dialect};
use crate::warehouse::{quote, Session, Warehouse, WarehouseError};

pub use refetch::validate_warehouse;

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
    /// No session to compare with (one error, told to every table).
    #[error("no warehouse session to compare with: {0}")]
    NoSession(String),
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

/// The outcome of comparing one table's fields.
pub type Validated = Result<(CheckResult, Vec<Difference>), FieldError>;

/// How many sessions compare tables at once: one per core (the scratch tables are small
/// and most of a table's time is statements and decoding, which one core does alone).
fn workers(tables: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4).min(tables.max(1))
}

/// Runs `job` for each index below `count` on the sessions, each on its own thread, and
/// returns the results in index order.
fn on_sessions<T: Send>(sessions: &mut [Box<dyn Session>], count: usize, job: impl Fn(&mut dyn Session, usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<T>>> = Mutex::new((0..count).map(|_| None).collect());
    std::thread::scope(|scope| {
        for s in sessions.iter_mut() {
            let (next, done, job) = (&next, &done, &job);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let result = job(s.as_mut(), i);
                    done.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(result);
                }
            });
        }
    });
    done.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).into_iter().map(|r| r.expect("every index is taken once")).collect()
}

/// Compares the fields of each of `tables` (with its member of `archive`) with its live
/// `DW_` rows, on several sessions of `wh` at once. ZIP members are read each on its own;
/// a gzip tar is read once, in order, for all of them.
pub fn validate_tables(wh: &dyn Warehouse, archive: &Archive, tables: &[(&Table, &str)], sample: Sample, limits: &DecodeLimits) -> Vec<Validated> {
    let clock = Instant::now();
    let validated = validate_on_sessions(wh, archive, tables, sample, limits);
    if let Some((table, _)) = tables.first() {
        let seconds = format!("{:.2}", clock.elapsed().as_secs_f64());
        tracing::info!(source = table.system.name(), tables = tables.len(), seconds, "field validation");
    }
    validated
}

/// [`validate_tables`] without its log line: opens the sessions and reads the archive the
/// way its kind and the sample's size allow.
fn validate_on_sessions(wh: &dyn Warehouse, archive: &Archive, tables: &[(&Table, &str)], sample: Sample, limits: &DecodeLimits) -> Vec<Validated> {
    let d = wh.dialect();
    let mut sessions = Vec::new();
    for _ in 0..workers(tables.len()) {
        match wh.session() {
            Ok(s) => sessions.push(s),
            Err(e) if sessions.is_empty() => {
                let message = e.to_string();
                return tables.iter().map(|_| Err(FieldError::NoSession(message.clone()))).collect();
            }
            // Fewer sessions only make it slower.
            Err(_) => break,
        }
    }
    let validation = Validation { d, archive, tables, sample, limits, in_memory: sample.rows > 0 && sample.rows <= compare::COMPARED_HERE };
    match archive.kind() {
        ArchiveKind::Zip => validation.zip(&mut sessions),
        ArchiveKind::TarGz if validation.in_memory => validation.tar_sample(&mut sessions),
        ArchiveKind::TarGz => validation.tar_scratch(&mut sessions),
    }
}

/// One source's field validation: its tables with their members of one archive.
struct Validation<'a> {
    d: Dialect,
    archive: &'a Archive,
    tables: &'a [(&'a Table, &'a str)],
    sample: Sample,
    limits: &'a DecodeLimits,
    /// Whether the sample is small enough to compare in memory.
    in_memory: bool,
}

impl Validation<'_> {
    /// Compares what was read again of table `i` and judges it.
    fn finish(&self, s: &mut dyn Session, i: usize, read: Result<Reread, FieldError>, clock: Instant, shared: f64) -> Validated {
        let (d, table) = (self.d, self.tables[i].0);
        let compared = read.and_then(|reread| match reread {
            Reread::Sample(rows) => Ok(compare::compare_sample(s, d, table, &rows)?),
            Reread::Scratch => Ok(compare::compare_in_warehouse(s, d, table, &scratch_name(table))?),
        });
        if !self.in_memory {
            let _ = s.execute(&sql::drop_table_if_exists(d, &scratch_name(table)));
        }
        compared.map(|found| {
            let (mut r, differences) = judgement(table, self.sample, found);
            r.seconds = shared + clock.elapsed().as_secs_f64();
            (r, differences)
        })
    }

    /// ZIP members are read each on its own, by the session that compares them, the
    /// largest first so that no large one is left for the end alone.
    fn zip(&self, sessions: &mut [Box<dyn Session>]) -> Vec<Validated> {
        let (d, tables, sample, limits) = (self.d, self.tables, self.sample, self.limits);
        let sizes: std::collections::HashMap<String, u64> =
            self.archive.members().map_or_else(|_| Default::default(), |m| m.into_iter().map(|m| (m.name, m.size)).collect());
        let mut order: Vec<usize> = (0..tables.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(sizes.get(tables[i].1).copied().unwrap_or(0)));
        let by_size = on_sessions(sessions, tables.len(), |s, n| {
            let (i, clock) = (order[n], Instant::now());
            let (table, member) = tables[i];
            let read = if self.in_memory {
                reread::sampled_keys(s, d, table, sample).map_err(FieldError::from).and_then(|keys| {
                    let lines = keys.keys().copied().collect();
                    let sampled = |scan| opened(member, self.archive.with_member(member, |r| reread::sampled_records(member, r, &lines, limits, scan)));
                    let csv = match sampled(reread::Scan::Lines)? {
                        Some(csv) => csv,
                        None => sampled(reread::Scan::Parse)?.expect("parsing always tells"),
                    };
                    reread::decode_sample(table, member, &csv, keys, limits)
                })
            } else {
                reread::prepare(s, d, table, sample, false).and_then(|lines| {
                    opened(member, self.archive.with_member(member, |r| reread::read_member(s, table, member, r, sample, &lines, limits)))
                        .map(|()| Reread::Scratch)
                })
            };
            self.finish(s, i, read, clock, 0.0)
        });
        let mut validated: Vec<Option<Validated>> = (0..tables.len()).map(|_| None).collect();
        for (n, v) in by_size.into_iter().enumerate() {
            validated[order[n]] = Some(v);
        }
        validated.into_iter().map(|v| v.expect("every table is validated once")).collect()
    }

    /// A sample of a gzip tar: read in one pass into memory (a sample's records are few),
    /// then each table's is decoded and compared on one session.
    fn tar_sample(&self, sessions: &mut [Box<dyn Session>]) -> Vec<Validated> {
        let (d, tables, sample, limits) = (self.d, self.tables, self.sample, self.limits);
        let clock = Instant::now();
        let keys = on_sessions(sessions, tables.len(), |s, i| reread::sampled_keys(s, d, tables[i].0, sample).map_err(FieldError::from));
        // A table whose sample could not be drawn reads nothing and keeps its error.
        let lines = keys.iter().map(|k| Ok(k.as_ref().map_or_else(|_| BTreeSet::new(), |k| k.keys().copied().collect()))).collect();
        // One pass: each member is parsed, as there is no going back to it.
        let records = read_tar(self.archive, tables, lines, |_, member, r, lines| {
            reread::sampled_records(member, r, lines, limits, reread::Scan::Parse).map(|csv| csv.expect("parsing always tells"))
        });
        let shared = clock.elapsed().as_secs_f64() / tables.len().max(1) as f64;
        let taken = Mutex::new(records.into_iter().zip(keys).map(Some).collect::<Vec<_>>());
        on_sessions(sessions, tables.len(), |s, i| {
            let (clock, (table, member)) = (Instant::now(), tables[i]);
            let (csv, keys) = taken.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[i].take().expect("each table is compared once");
            let read = keys.and_then(|keys| reread::decode_sample(table, member, &csv?, keys, limits));
            self.finish(s, i, read, clock, shared)
        })
    }

    /// Every row of a gzip tar, or a large sample: the tar is read once into scratch tables
    /// that the other sessions compare.
    fn tar_scratch(&self, sessions: &mut [Box<dyn Session>]) -> Vec<Validated> {
        let (d, tables, sample, limits) = (self.d, self.tables, self.sample, self.limits);
        let clock = Instant::now();
        let lines = on_sessions(sessions, tables.len(), |s, i| reread::prepare(s, d, tables[i].0, sample, true));
        let s = sessions[0].as_mut();
        let reads = read_tar(self.archive, tables, lines, |i, member, r, lines| reread::read_member(s, tables[i].0, member, r, sample, lines, limits));
        let shared = clock.elapsed().as_secs_f64() / tables.len().max(1) as f64;
        let reads = Mutex::new(reads.into_iter().map(Some).collect::<Vec<_>>());
        on_sessions(sessions, tables.len(), |s, i| {
            let read = reads.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[i].take().expect("each table is compared once");
            self.finish(s, i, read.map(|()| Reread::Scratch), Instant::now(), shared)
        })
    }
}

/// What was read again of a table, to compare with the warehouse.
enum Reread {
    /// A small sample, decoded in memory.
    Sample(compare::SampleRows),
    /// Every row or a large sample, in the table's scratch table.
    Scratch,
}

/// What reading a ZIP member gave: the member's own result, or why it could not be read.
fn opened<T>(member: &str, read: Result<Option<Result<T, FieldError>>, ArchiveError>) -> Result<T, FieldError> {
    match read {
        Ok(Some(done)) => done,
        Ok(None) => Err(FieldError::Vanished(member.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Reads each table's member of a gzip tar with `read`, in one pass, given the lines picked
/// for it (a table whose lines could not be picked keeps that error).
fn read_tar<T>(
    archive: &Archive,
    tables: &[(&Table, &str)],
    lines: Vec<Result<BTreeSet<u64>, FieldError>>,
    mut read: impl FnMut(usize, &str, &mut dyn std::io::Read, &BTreeSet<u64>) -> Result<T, FieldError>,
) -> Vec<Result<T, FieldError>> {
    let mut done: Vec<Option<Result<T, FieldError>>> = Vec::with_capacity(tables.len());
    let mut picked: Vec<BTreeSet<u64>> = Vec::with_capacity(tables.len());
    for l in lines {
        match l {
            Ok(l) => {
                picked.push(l);
                done.push(None);
            }
            Err(e) => {
                picked.push(BTreeSet::new());
                done.push(Some(Err(e)));
            }
        }
    }
    let visited = archive.for_each_member(|name, r| {
        if let Some(i) = tables.iter().position(|(_, m)| *m == name)
            && done[i].is_none()
        {
            done[i] = Some(read(i, name, r, &picked[i]));
        }
    });
    if let Err(e) = visited {
        let message = e.to_string();
        for slot in done.iter_mut().filter(|r| r.is_none()) {
            *slot = Some(Err(FieldError::ArchiveUnreadable(message.clone())));
        }
    }
    tables.iter().zip(done).map(|((_, member), r)| r.unwrap_or_else(|| Err(FieldError::Vanished(member.to_string())))).collect()
}

/// Judges what comparing a table's fields found.
fn judgement(table: &Table, sample: Sample, found: compare::Compared) -> (CheckResult, Vec<Difference>) {
    let mut r = CheckResult::new(table.system.name(), Some(&table.name), CHECK, KIND, Severity::Error);
    r.failing_rows = found.missing + found.differing;
    r.observed = Some(r.failing_rows as f64);
    r.threshold = Some("= 0".into());
    r.failing_keys = found.differences.iter().take(MAX_FAILING_KEYS).map(ToString::to_string).collect();
    if r.failing_rows > 0 {
        r.status = CheckStatus::Fail;
    }
    let what = if sample.rows == 0 { "every row".to_string() } else { format!("a sample of {} row(s)", sample.rows) };
    r.message = Some(format!(
        "{} row(s) compared ({what}, seed {}): {} not live in the warehouse, {} with different fields",
        found.rows, sample.seed, found.missing, found.differing
    ));
    (r, found.differences)
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

