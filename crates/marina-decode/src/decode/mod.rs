//! How bytes become typed rows: one CSV member of a snapshot is read record by record,
//! matched to its catalog table by header name, converted to typed Arrow batches for
//! staging, and every row that cannot be loaded becomes a [`Reject`].
//!
//! - [`records`]: the bounded record reader (physical lines, raw bytes, recovery from a
//!   quote left open);
//! - [`value`]: conversion of one field to its column's type;
//! - [`lines`], [`shape`]: line ends and quoting, for the reader;
//! - [`limits`]: how far one record may go.

mod columns;
pub mod limits;
pub mod lines;
pub mod records;
mod sampled;
pub mod shape;
pub mod value;

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::catalog::{ColumnType, Table};
use columns::{Batch, Cell};
pub use limits::DecodeLimits;
pub use sampled::records_on_lines;
use records::{Record, RecordProblem, RecordReader};

/// Line of the CSV file a staged row came from; staging tables carry it after the
/// contract columns so that every staged row can be traced to its source line.
pub const ETL_LINE: &str = "ETL_LINE";

/// Rows per Arrow batch handed to staging: large enough to amortise the hand-off, small
/// enough that memory stays flat whatever the file size.
pub const BATCH_ROWS: usize = 8 * 1024;

/// Bytes of records per Arrow batch at most (long rows fill a batch before
/// [`BATCH_ROWS`]); also keeps a text column's offsets far from Arrow's 2 GiB limit.
pub const BATCH_BYTES: usize = 16 << 20;

/// A row that could not be loaded, with everything needed to find and fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reject {
    /// Line of the file where the record starts (the header is line 1).
    pub line: u64,
    /// Warehouse column, where one value is at fault.
    pub column: Option<String>,
    pub raw_value: Option<String>,
    pub reason: String,
    /// The record as it stood in the file.
    pub raw_line: Option<String>,
}

/// What the header of a file said compared with the catalog.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeaderReport {
    /// Headers in the file that the catalog does not know: reported and ignored.
    pub extra: Vec<String>,
    /// Catalog headers absent from the file: their columns load as NULL.
    pub missing: Vec<String>,
}

impl HeaderReport {
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("missing column(s) loaded as NULL: {}", self.missing.join(", ")));
        }
        if !self.extra.is_empty() {
            parts.push(format!("extra column(s) ignored: {}", summarize_names(&self.extra)));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// How many names a message lists before it only counts the rest: a file with thousands of
/// extra columns must not make a ledger message of thousands of names.
const NAMES_SHOWN: usize = 10;

/// The first names (a blank one said as such), and how many more there are.
fn summarize_names(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMES_SHOWN).map(|n| if n.is_empty() { "(blank)" } else { n.as_str() }).collect();
    let mut text = shown.join(", ");
    if names.len() > NAMES_SHOWN {
        text.push_str(&format!(" and {} more ({} in all)", names.len() - NAMES_SHOWN, names.len()));
    }
    text
}

#[cfg(test)]
mod header_report_tests {
    use super::*;

    #[test]
    fn wide_encodings_are_told_by_their_mark_or_their_zero_bytes() {
        let utf16 = |text: &str, le: bool| -> Vec<u8> {
            text.encode_utf16().flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() }).collect()
        };
        let with_mark = [&[0xFF, 0xFE][..], &utf16("Id,Name\n", true)].concat();
        assert_eq!(wide_encoding(&with_mark), Some("UTF-16LE"));
        assert_eq!(wide_encoding(&utf16("Id,Name\n", true)), Some("UTF-16LE"));
        assert_eq!(wide_encoding(&utf16("Id,Name\n", false)), Some("UTF-16BE"));
        assert_eq!(wide_encoding(&[0xFF, 0xFE, 0, 0, b'I', 0, 0, 0]), Some("UTF-32LE"));
        assert_eq!(wide_encoding(b"Id,Name\n"), None);
        assert_eq!(wide_encoding("Id,Nämé,Ünïcode\n".as_bytes()), None);
        assert_eq!(wide_encoding(b"I"), None);
    }

    #[test]
    fn many_extra_columns_are_counted_and_a_blank_one_is_named() {
        let few = HeaderReport { extra: vec!["Extra".into(), String::new()], missing: vec![] };
        assert_eq!(few.describe().unwrap(), "extra column(s) ignored: Extra, (blank)");
        let many = HeaderReport { extra: (0..10_000).map(|i| format!("c{i}")).collect(), missing: vec![] };
        assert_eq!(
            many.describe().unwrap(),
            "extra column(s) ignored: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 9990 more (10000 in all)"
        );
    }
}

/// Why a whole file could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the file has no header line")]
    NoHeader,
    #[error("key column(s) missing from the header: {}", .0.join(", "))]
    MissingKeyColumns(Vec<String>),
    #[error("the file is encoded as {0}, not UTF-8: export it as UTF-8 (nothing of it was read)")]
    WideEncoding(&'static str),
    #[error("the header on line {line} cannot be read: {problem}")]
    Header { line: u64, problem: RecordProblem },
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error("{0}")]
    Sink(String),
}

/// The outcome of decoding one file.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Data records in the file (the header not counted).
    pub rows_read: u64,
    /// Rows handed to staging.
    pub rows_staged: u64,
    /// Rows not staged (a row with several bad values counts once).
    pub rows_rejected: u64,
    /// Rejected rows whose natural key could not be read.
    pub key_rejects: u64,
    pub rejects: Vec<Reject>,
    pub header: HeaderReport,
    /// The keys of rejected rows (key columns only): they must not be soft-deleted.
    pub held_keys: Option<RecordBatch>,
}

/// The Arrow schema of a staging table: contract columns, then [`ETL_LINE`].
pub fn staging_schema(table: &Table) -> SchemaRef {
    let mut fields: Vec<Field> = table.columns.iter().map(|c| Field::new(&c.name, arrow_type(c.ty), true)).collect();
    fields.push(Field::new(ETL_LINE, DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

fn key_schema(table: &Table) -> SchemaRef {
    Arc::new(Schema::new(
        table.key_columns().map(|c| Field::new(&c.name, arrow_type(c.ty), true)).collect::<Vec<_>>(),
    ))
}

fn arrow_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Int => DataType::Int64,
        ColumnType::Decimal { precision, scale } => DataType::Decimal128(precision, scale as i8),
        ColumnType::Float => DataType::Float64,
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        ColumnType::Text { .. } => DataType::Utf8,
    }
}

/// Where each catalog column is found in the file.
struct Layout {
    /// Per catalog column, the field index in the file (None: loads as NULL).
    fields: Vec<Option<usize>>,
    width: usize,
    header: HeaderReport,
}

/// What became of one record, for [`decode_table_observed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Header,
    Staged,
    Rejected,
}

/// The physical lines one record covered and what became of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observed {
    pub line: u64,
    pub last_line: u64,
    pub fate: Fate,
}

fn normalize_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').trim().to_lowercase()
}

fn layout(table: &Table, header: &Record) -> Result<Layout, DecodeError> {
    if let Some(encoding) = wide_encoding(header.raw()) {
        return Err(DecodeError::WideEncoding(encoding));
    }
    let names: Vec<String> = header.fields().map(|h| normalize_header(&String::from_utf8_lossy(h))).collect();
    let mut used = vec![false; names.len()];
    let mut report = HeaderReport::default();
    let mut missing_keys = Vec::new();
    let fields = table
        .columns
        .iter()
        .map(|c| {
            let wanted = normalize_header(c.header.as_deref()?);
            let found = names.iter().enumerate().position(|(i, n)| !used[i] && *n == wanted);
            match found {
                Some(i) => used[i] = true,
                None if c.key => missing_keys.push(c.header.clone().unwrap_or_default()),
                None => report.missing.push(c.header.clone().unwrap_or_default()),
            }
            found
        })
        .collect();
    if !missing_keys.is_empty() {
        return Err(DecodeError::MissingKeyColumns(missing_keys));
    }
    report.extra = header
        .fields()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(h, _)| printable(h).trim().to_string())
        .collect();
    Ok(Layout { fields, width: names.len(), header: report })
}

/// The UTF-16 or UTF-32 encoding a header line is written in, told by its byte-order mark
/// or, without one, by the zero bytes that pad every ASCII character of a CSV header.
/// Read as UTF-8 such a file has no recognisable column, which would be reported as
/// missing key columns.
fn wide_encoding(line: &[u8]) -> Option<&'static str> {
    match line {
        [0xFF, 0xFE, 0, 0, ..] => return Some("UTF-32LE"),
        [0, 0, 0xFE, 0xFF, ..] => return Some("UTF-32BE"),
        [0xFF, 0xFE, ..] => return Some("UTF-16LE"),
        [0xFE, 0xFF, ..] => return Some("UTF-16BE"),
        _ => {}
    }
    let pairs = line.len() / 2;
    if pairs < 2 {
        return None;
    }
    let zeros_at = |parity: usize| line.chunks_exact(2).filter(|p| p[parity] == 0).count();
    if zeros_at(1) * 2 > pairs {
        Some("UTF-16LE")
    } else if zeros_at(0) * 2 > pairs {
        Some("UTF-16BE")
    } else {
        None
    }
}

/// Text of raw bytes as a reject or a message can carry it: invalid UTF-8 as U+FFFD and
/// NUL as U+2400 '␀' (PostgreSQL refuses NUL in text).
fn printable(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.contains('\0') { text.replace('\0', "\u{2400}") } else { text.into_owned() }
}

/// [`printable`] text of the start of raw bytes, cut after `max` bytes (at a character
/// boundary) with a note of the full length `full_len` when there is more.
pub fn quote_raw(bytes: &[u8], full_len: u64, max: usize) -> String {
    let mut cut = bytes.len().min(max);
    if full_len > cut as u64 {
        cut = without_partial_char(&bytes[..cut]);
    }
    let mut text = printable(&bytes[..cut]);
    if full_len > cut as u64 {
        text.push_str(&format!("… [cut: {cut} of {full_len} bytes shown]"));
    }
    text
}

/// The length of `prefix` without a UTF-8 character cut short at its end (judged from
/// the prefix alone, so that any copy of the same prefix is cut alike).
fn without_partial_char(prefix: &[u8]) -> usize {
    let n = prefix.len();
    for back in 1..=n.min(4) {
        let b = prefix[n - back];
        if b & 0xC0 != 0x80 {
            let needs = match b {
                0xF0.. => 4,
                0xE0.. => 3,
                0xC0.. => 2,
                _ => 1,
            };
            return if needs > back { n - back } else { n };
        }
    }
    n
}

/// Decodes one CSV file of `table`, handing each full batch to `stage` and reporting the
/// running row count to `progress`.
pub fn decode_table(
    table: &Table,
    input: impl Read,
    limits: &DecodeLimits,
    stage: &mut dyn FnMut(RecordBatch) -> Result<(), String>,
    progress: &mut dyn FnMut(u64),
) -> Result<Decoded, DecodeError> {
    decode_table_observed(table, input, limits, stage, progress, &mut |_| {})
}

/// [`decode_table`], telling `observe` the lines and the fate of every record (the
/// header included), in file order.
pub fn decode_table_observed(
    table: &Table,
    input: impl Read,
    limits: &DecodeLimits,
    stage: &mut dyn FnMut(RecordBatch) -> Result<(), String>,
    progress: &mut dyn FnMut(u64),
    observe: &mut dyn FnMut(Observed),
) -> Result<Decoded, DecodeError> {
    let limits = limits.sane();
    let mut records = RecordReader::new(input, limits);
    let header = records.next()?.ok_or(DecodeError::NoHeader)?;
    if let Some(problem) = header.problem() {
        return Err(DecodeError::Header { line: header.line, problem: problem.clone() });
    }
    observe(Observed { line: header.line, last_line: header.last_line, fate: Fate::Header });
    let layout = layout(table, &header)?;
    records.set_width(layout.width);

    let mut out = Decoded { header: layout.header.clone(), ..Decoded::default() };
    let mut batch = Batch::new(staging_schema(table), table.columns.iter(), true);
    let mut held = Batch::new(key_schema(table), table.key_columns(), false);
    let key_slots: Vec<usize> = table.columns.iter().enumerate().filter(|(_, c)| c.key).map(|(i, _)| i).collect();
    let mut row_rejects: Vec<Reject> = Vec::new();

    while let Some(record) = records.next()? {
        let line = record.line;
        out.rows_read += 1;
        let mut cells: Vec<Cell> = Vec::with_capacity(table.columns.len());
        row_rejects.clear();

        let row_problem = record_problem(&record, layout.width);
        let key_ok = convert_fields(table, &layout, &record, &limits, &mut cells, &mut row_rejects);

        if row_problem.is_none() && row_rejects.is_empty() {
            for (builder, cell) in batch.builders.iter_mut().zip(&cells) {
                builder.push(cell);
            }
            batch.lines.as_mut().expect("staging batches carry lines").append_value(line as i64);
            batch.rows += 1;
            batch.bytes += record.as_bytes().len();
            out.rows_staged += 1;
            observe(Observed { line, last_line: record.last_line, fate: Fate::Staged });
            if batch.rows == BATCH_ROWS || batch.bytes >= BATCH_BYTES {
                stage(batch.finish()).map_err(DecodeError::Sink)?;
                progress(out.rows_read);
            }
            continue;
        }

        // A rejected row: quarantine it, and hold its key so the merge does not take
        // its absence from staging for a delete.
        observe(Observed { line, last_line: record.last_line, fate: Fate::Rejected });
        out.rows_rejected += 1;
        let key_in_range = key_slots.iter().all(|&s| layout.fields[s].is_none_or(|i| i < record.complete_fields()));
        let key_ok = key_ok && (row_problem.is_none() || key_in_range);
        quarantine(&record, row_problem, &mut row_rejects, &limits, &mut out.rejects);
        if key_ok {
            for (builder, &slot) in held.builders.iter_mut().zip(&key_slots) {
                builder.push(&cells[slot]);
            }
            held.rows += 1;
        } else {
            out.key_rejects += 1;
        }
    }
    if batch.rows > 0 {
        stage(batch.finish()).map_err(DecodeError::Sink)?;
    }
    progress(out.rows_read);
    if held.rows > 0 {
        out.held_keys = Some(held.finish());
    }
    Ok(out)
}

/// What is wrong with `record` as a whole, if anything: cut short, or not `width` fields.
fn record_problem(record: &Record, width: usize) -> Option<String> {
    match record.problem() {
        Some(problem) => Some(problem.to_string()),
        None if record.len() != width => Some(format!("expected {width} fields, found {}", record.len())),
        None => None,
    }
}

/// Converts the fields of `record` into `cells`, one per column of `table`: an empty field,
/// or any but a key's of a record cut short, is NULL; a field that does not convert is NULL
/// too, with its reject in `rejects`. Whether every key field converted.
fn convert_fields<'a>(
    table: &Table,
    layout: &Layout,
    record: &Record<'a>,
    limits: &DecodeLimits,
    cells: &mut Vec<Cell<'a>>,
    rejects: &mut Vec<Reject>,
) -> bool {
    let cut = record.problem().is_some();
    // Of a record cut short, only the fields read to their end count (for its key).
    let usable = record.complete_fields();
    let valid_utf8 = record.is_utf8();
    let mut key_ok = true;
    for (slot, column) in table.columns.iter().enumerate() {
        let raw = layout.fields[slot].filter(|&i| i < usable).and_then(|i| record.get(i)).unwrap_or(b"");
        // A cut record is rejected as a whole: only its key is read, to hold it.
        if raw.is_empty() || (cut && !column.key) {
            cells.push(Cell::Null);
            continue;
        }
        let text = if valid_utf8 {
            // SAFETY: `is_utf8` checked that every field is valid UTF-8.
            Ok(unsafe { std::str::from_utf8_unchecked(raw) })
        } else {
            std::str::from_utf8(raw)
        };
        let cell = match text {
            Err(_) => Err("invalid UTF-8".to_string()),
            Ok(text) => columns::convert(column.ty, text),
        };
        match cell {
            Ok(cell) => cells.push(cell),
            Err(reason) => {
                key_ok &= !column.key;
                cells.push(Cell::Null);
                rejects.push(Reject {
                    line: record.line,
                    column: Some(column.name.clone()),
                    raw_value: Some(quote_raw(raw, raw.len() as u64, limits.max_raw_bytes)),
                    reason,
                    raw_line: None,
                });
            }
        }
    }
    key_ok
}

/// The rejects of a rejected `record` into `out`: the whole record's `problem` if any, then
/// its fields' `rejects`, each with the record's raw text.
fn quarantine(record: &Record, problem: Option<String>, rejects: &mut Vec<Reject>, limits: &DecodeLimits, out: &mut Vec<Reject>) {
    let raw_text = quote_raw(record.raw(), record.raw_len(), limits.max_raw_bytes);
    if let Some(problem) = problem {
        out.push(Reject { line: record.line, column: None, raw_value: None, reason: problem, raw_line: Some(raw_text.clone()) });
    }
    for mut r in rejects.drain(..) {
        r.raw_line = Some(raw_text.clone());
        out.push(r);
    }
}

/// The raw text of the records that start on the given lines, read again from the file
/// with the same limits as when it was decoded (used for rows found bad only after
/// staging, such as superseded duplicates).
pub fn raw_records(
    input: impl Read,
    lines: &BTreeSet<u64>,
    limits: &DecodeLimits,
) -> Result<HashMap<u64, String>, DecodeError> {
    let limits = limits.sane();
    let mut records = RecordReader::new(input, limits);
    let mut found = HashMap::new();
    let Some(&last) = lines.iter().next_back() else {
        return Ok(found);
    };
    let header = records.next()?.ok_or(DecodeError::NoHeader)?;
    let width = header.len();
    records.set_width(width);
    while let Some(record) = records.next()? {
        if lines.contains(&record.line) {
            found.insert(record.line, quote_raw(record.raw(), record.raw_len(), limits.max_raw_bytes));
        }
        if record.line >= last {
            break;
        }
    }
    Ok(found)
}
