//! How bytes become typed rows: one CSV member of a snapshot is read record by record,
//! matched to its catalog table by header name, converted to typed Arrow batches for
//! staging, and every row that cannot be loaded becomes a [`Reject`].

mod tape;
pub mod value;

use std::io::Read;
use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder,
    StringBuilder, TimestampMicrosecondBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;

use crate::catalog::{Column, ColumnType, Table};
use crate::warehouse::sql::ETL_LINE;

/// Rows per Arrow batch handed to staging: large enough to amortise the hand-off, small
/// enough that memory stays flat whatever the file size.
pub const BATCH_ROWS: usize = 8 * 1024;

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
            parts.push(format!("extra column(s) ignored: {}", self.extra.join(", ")));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Why a whole file could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the file has no header line")]
    NoHeader,
    #[error("key column(s) missing from the header: {}", .0.join(", "))]
    MissingKeyColumns(Vec<String>),
    #[error("cannot read the file: {0}")]
    Read(#[from] csv::Error),
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

/// A converted field, borrowed from the record it came from.
enum Cell<'a> {
    Null,
    Int(i64),
    Decimal(i128),
    Float(f64),
    Bool(bool),
    Date(i32),
    Timestamp(i64),
    Text(&'a str),
}

fn convert(ty: ColumnType, s: &str) -> Result<Cell<'_>, String> {
    Ok(match ty {
        ColumnType::Int => Cell::Int(value::parse_int(s)?),
        ColumnType::Decimal { precision, scale } => Cell::Decimal(value::parse_decimal(s, precision, scale)?),
        ColumnType::Float => Cell::Float(value::parse_float(s)?),
        ColumnType::Bool => Cell::Bool(value::parse_bool(s)?),
        ColumnType::Date => Cell::Date(value::date_to_days(value::parse_date(s)?)),
        ColumnType::Timestamp => Cell::Timestamp(value::timestamp_to_micros(value::parse_timestamp(s)?)),
        ColumnType::Text { max_chars } => {
            value::check_text(s, max_chars)?;
            Cell::Text(s)
        }
    })
}

/// An Arrow builder for one column.
enum Builder {
    Int(Int64Builder),
    Decimal(Decimal128Builder, u8, u8),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Text(StringBuilder),
}

impl Builder {
    fn new(ty: ColumnType) -> Self {
        match ty {
            ColumnType::Int => Builder::Int(Int64Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Decimal { precision, scale } => {
                Builder::Decimal(Decimal128Builder::with_capacity(BATCH_ROWS), precision, scale)
            }
            ColumnType::Float => Builder::Float(Float64Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Bool => Builder::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
            ColumnType::Date => Builder::Date(Date32Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Timestamp => Builder::Timestamp(TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS)),
            ColumnType::Text { .. } => Builder::Text(StringBuilder::new()),
        }
    }

    fn push(&mut self, cell: &Cell) {
        match (self, cell) {
            (Builder::Int(b), Cell::Int(v)) => b.append_value(*v),
            (Builder::Decimal(b, ..), Cell::Decimal(v)) => b.append_value(*v),
            (Builder::Float(b), Cell::Float(v)) => b.append_value(*v),
            (Builder::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (Builder::Date(b), Cell::Date(v)) => b.append_value(*v),
            (Builder::Timestamp(b), Cell::Timestamp(v)) => b.append_value(*v),
            (Builder::Text(b), Cell::Text(v)) => b.append_value(v),
            (b, Cell::Null) => b.push_null(),
            _ => unreachable!("a cell is always converted to its column's type"),
        }
    }

    fn push_null(&mut self) {
        match self {
            Builder::Int(b) => b.append_null(),
            Builder::Decimal(b, ..) => b.append_null(),
            Builder::Float(b) => b.append_null(),
            Builder::Bool(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Timestamp(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Decimal(b, p, s) => Arc::new(
                b.finish().with_precision_and_scale(*p, *s as i8).expect("catalog precision is valid"),
            ),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// Builders for a set of columns, finished into batches of a schema.
struct Batch {
    schema: SchemaRef,
    builders: Vec<Builder>,
    lines: Option<Int64Builder>,
    rows: usize,
}

impl Batch {
    fn new<'a>(schema: SchemaRef, columns: impl Iterator<Item = &'a Column>, with_lines: bool) -> Self {
        Batch {
            schema,
            builders: columns.map(|c| Builder::new(c.ty)).collect(),
            lines: with_lines.then(|| Int64Builder::with_capacity(BATCH_ROWS)),
            rows: 0,
        }
    }

    fn finish(&mut self) -> RecordBatch {
        let mut arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        if let Some(lines) = &mut self.lines {
            arrays.push(Arc::new(lines.finish()));
        }
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).expect("builders follow the schema")
    }
}

/// Where each catalog column is found in the file.
struct Layout {
    /// Per catalog column, the field index in the file (None: loads as NULL).
    fields: Vec<Option<usize>>,
    width: usize,
    header: HeaderReport,
}

fn normalize_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').trim().to_lowercase()
}

fn layout(table: &Table, header: &csv::ByteRecord) -> Result<Layout, DecodeError> {
    let names: Vec<String> = header.iter().map(|h| normalize_header(&String::from_utf8_lossy(h))).collect();
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
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(h, _)| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    Ok(Layout { fields, width: names.len(), header: report })
}

/// Where a record stood in the file.
struct Span {
    /// Line the record starts on (the header is line 1).
    line: u64,
    start: u64,
    end: u64,
}

/// A CSV reader (RFC 4180, any field count) that records the bytes it reads, so a
/// record's raw text can be taken back out.
struct Records<R: Read> {
    reader: csv::Reader<tape::Tape<R>>,
    tape: tape::TapeHandle,
}

impl<R: Read> Records<R> {
    fn new(input: R) -> Self {
        let (input, tape) = tape::tape(input);
        Records { reader: csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input), tape }
    }

    /// Reads the next record into `record`; None at the end of the file.
    fn next(&mut self, record: &mut csv::ByteRecord) -> Result<Option<Span>, csv::Error> {
        let start = self.reader.position().byte();
        if !self.reader.read_byte_record(record)? {
            return Ok(None);
        }
        let line = record.position().map_or(0, |p| p.line());
        Ok(Some(Span { line, start, end: self.reader.position().byte() }))
    }

    /// The raw text of a record, without its line ending.
    fn raw(&self, span: &Span) -> String {
        let raw = self.tape.take(span.start, span.end);
        String::from_utf8_lossy(&raw).trim_end_matches(['\r', '\n']).to_string()
    }

    /// Forgets the bytes of a record that is not needed.
    fn release(&self, span: &Span) {
        self.tape.release(span.end);
    }
}

/// Decodes one CSV file of `table`, handing each full batch to `stage` and reporting the
/// running row count to `progress`.
pub fn decode_table(
    table: &Table,
    input: impl Read,
    stage: &mut dyn FnMut(RecordBatch) -> Result<(), String>,
    progress: &mut dyn FnMut(u64),
) -> Result<Decoded, DecodeError> {
    let mut records = Records::new(input);
    let mut record = csv::ByteRecord::new();
    let header = records.next(&mut record)?.ok_or(DecodeError::NoHeader)?;
    let layout = layout(table, &record)?;
    records.release(&header);

    let mut out = Decoded { header: layout.header.clone(), ..Decoded::default() };
    let mut batch = Batch::new(staging_schema(table), table.columns.iter(), true);
    let mut held = Batch::new(key_schema(table), table.key_columns(), false);
    let key_slots: Vec<usize> = table.columns.iter().enumerate().filter(|(_, c)| c.key).map(|(i, _)| i).collect();
    let mut row_rejects: Vec<Reject> = Vec::new();

    while let Some(span) = records.next(&mut record)? {
        let line = span.line;
        out.rows_read += 1;
        let mut cells: Vec<Cell> = Vec::with_capacity(table.columns.len());
        row_rejects.clear();

        let row_problem = if records.tape.count(span.start, span.end, b'"') % 2 == 1 {
            // An opening quote that never closes swallows the rest of the file into one
            // record, which may even have the right number of fields.
            Some("unterminated quoted field (the record runs to the end of the file)".to_string())
        } else if record.len() != layout.width {
            Some(format!("expected {} fields, found {}", layout.width, record.len()))
        } else {
            None
        };
        let mut key_ok = true;
        // Checking the whole record once is much cheaper than field by field.
        let valid_utf8 = std::str::from_utf8(record.as_slice()).is_ok();
        for (slot, column) in table.columns.iter().enumerate() {
            let raw = layout.fields[slot].and_then(|i| record.get(i)).unwrap_or(b"");
            if raw.is_empty() {
                cells.push(Cell::Null);
                continue;
            }
            let text = if valid_utf8 {
                // SAFETY: a field is a sub-slice of a record that is valid UTF-8 and
                // csv splits records at ASCII delimiters only.
                Ok(unsafe { std::str::from_utf8_unchecked(raw) })
            } else {
                std::str::from_utf8(raw)
            };
            let cell = match text {
                Err(_) => Err(("invalid UTF-8".to_string(), String::from_utf8_lossy(raw).into_owned())),
                Ok(text) => convert(column.ty, text).map_err(|reason| (reason, text.to_string())),
            };
            match cell {
                Ok(cell) => cells.push(cell),
                Err((reason, raw_value)) => {
                    key_ok &= !column.key;
                    cells.push(Cell::Null);
                    row_rejects.push(Reject {
                        line,
                        column: Some(column.name.clone()),
                        raw_value: Some(raw_value),
                        reason,
                        raw_line: None,
                    });
                }
            }
        }
        let raw_text = if row_problem.is_some() || !row_rejects.is_empty() {
            Some(records.raw(&span))
        } else {
            records.release(&span);
            None
        };

        if row_problem.is_none() && row_rejects.is_empty() {
            for (builder, cell) in batch.builders.iter_mut().zip(&cells) {
                builder.push(cell);
            }
            batch.lines.as_mut().expect("staging batches carry lines").append_value(line as i64);
            batch.rows += 1;
            out.rows_staged += 1;
            if batch.rows == BATCH_ROWS {
                stage(batch.finish()).map_err(DecodeError::Sink)?;
                progress(out.rows_read);
            }
            continue;
        }

        // A rejected row: quarantine it, and hold its key so the merge does not take
        // its absence from staging for a delete.
        out.rows_rejected += 1;
        if let Some(problem) = row_problem {
            let key_in_range = key_slots.iter().all(|&s| layout.fields[s].is_none_or(|i| i < record.len()));
            key_ok &= key_in_range;
            out.rejects.push(Reject { line, column: None, raw_value: None, reason: problem, raw_line: raw_text.clone() });
        }
        for mut r in row_rejects.drain(..) {
            r.raw_line = raw_text.clone();
            out.rejects.push(r);
        }
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

/// The raw text of the records that start on the given lines, read again from the file
/// (used for rows found bad only after staging, such as superseded duplicates).
pub fn raw_records(
    input: impl Read,
    lines: &std::collections::BTreeSet<u64>,
) -> Result<std::collections::HashMap<u64, String>, csv::Error> {
    let mut records = Records::new(input);
    let mut record = csv::ByteRecord::new();
    let mut found = std::collections::HashMap::new();
    let last = lines.iter().next_back().copied().unwrap_or(0);
    while let Some(span) = records.next(&mut record)? {
        if lines.contains(&span.line) {
            found.insert(span.line, records.raw(&span));
        } else {
            records.release(&span);
        }
        if span.line >= last {
            break;
        }
    }
    Ok(found)
}
