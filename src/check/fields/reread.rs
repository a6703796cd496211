//! Reading a table's rows again: the sample's lines are picked from the staging table the
//! run published, and those records are decoded again from the archive member, in memory
//! for a small sample, else (or every record) into a scratch table.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use duckdb::arrow::array::{Array, Int64Array};

use super::compare::SampleRows;
use super::{key_text, scratch_name, FieldError, Reread, Sample};
use crate::catalog::Table;
use crate::decode::{self, DecodeLimits};
use crate::warehouse::sql::{self, CreateTable, Dialect, ETL_LINE};
use crate::warehouse::{Session, WarehouseError};

/// An order of the rows by a hash of their key and the seed. DuckDB's own hash is many
/// times cheaper than MD5 over a large table; the order only has to be the same each time
/// a backend takes the sample with the same seed.
fn seeded_order(d: Dialect, seed: u64, key: &str) -> String {
    match d {
        Dialect::DuckDb => format!("HASH(CONCAT('{seed}:', {key}))"),
        Dialect::Postgres | Dialect::Oracle => format!("MD5(CONCAT('{seed}:', {key}))"),
    }
}

/// The lines of the staged rows the seeded hash of their key puts first, with the key text
/// of each (as [`key_text`] makes it).
pub(super) fn sampled_keys(s: &mut dyn Session, d: Dialect, table: &Table, sample: Sample) -> Result<BTreeMap<u64, String>, WarehouseError> {
    let key = key_text(d, table, "s");
    let rows = s.query_rows_at_most(
        &format!(
            "SELECT {line}, {key} FROM {} s ORDER BY {}, {line} LIMIT {}",
            d.ident(&table.staging_name()),
            seeded_order(d, sample.seed, &key),
            sample.rows,
            line = d.qualified("s", ETL_LINE)
        ),
        Some(sample.rows as usize),
    )?;
    Ok(rows
        .rows
        .into_iter()
        .filter_map(|r| {
            let mut r = r.into_iter();
            Some((r.next()??.parse().ok()?, r.next()??))
        })
        .collect())
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

/// Makes the scratch table of `table` and picks the lines of its sample (none: every row).
/// A scratch table that one session makes, fills and compares is that connection's own,
/// which spares DuckDB a commit to disk for each of its statements; `shared` makes one
/// that other sessions can read.
pub(super) fn prepare(s: &mut dyn Session, d: Dialect, table: &Table, sample: Sample, shared: bool) -> Result<BTreeSet<u64>, FieldError> {
    create_scratch(s, d, table, shared)?;
    Ok(if sample.rows == 0 { BTreeSet::new() } else { sampled_keys(s, d, table, sample)?.into_keys().collect() })
}

fn create_scratch(s: &mut dyn Session, d: Dialect, table: &Table, shared: bool) -> Result<(), FieldError> {
    let scratch = scratch_name(table);
    s.execute(&sql::drop_table_if_exists(d, &scratch))?;
    let create = CreateTable::new(d, &scratch);
    let create = if shared { create.scratch() } else { create.connection_temporary() };
    s.execute(&create.catalog_columns(&table.columns).column(ETL_LINE, &d.column_type(crate::catalog::ColumnType::Int)).sql())?;
    Ok(())
}

/// Decodes the member's sampled records (or all of them) into the scratch table.
pub(super) fn read_member(
    s: &mut dyn Session,
    table: &Table,
    member: &str,
    r: &mut dyn Read,
    sample: Sample,
    lines: &BTreeSet<u64>,
    limits: &DecodeLimits,
) -> Result<(), FieldError> {
    if sample.rows == 0 {
        return load(s, table, member, r, limits);
    }
    let sampled = sampled_records(member, r, lines, limits, Scan::Parse)?.expect("parsing always tells");
    if sampled.records.is_empty() {
        return Ok(());
    }
    let mut csv = sampled.header;
    for (_, raw) in &sampled.records {
        csv.extend_from_slice(raw);
    }
    load(s, table, member, csv.as_slice(), limits)
}

/// The sampled records of a member, as read.
pub(super) struct SampledRecords {
    /// The header line, with its line break.
    header: Vec<u8>,
    /// Each record's line in the file and its text, with one line break at its end.
    records: Vec<(u64, Vec<u8>)>,
}

/// How a member's sampled records are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scan {
    /// By counting lines, parsing only the sampled records ([`decode::records_on_lines`]),
    /// which cannot tell some records apart; the member must then be read again by `Parse`.
    Lines,
    /// By parsing every record up to the last sampled one, as the decoder did.
    Parse,
}

/// The member's header and its records at `lines`: at most the sample's size times the
/// longest record allowed. `None` when `Scan::Lines` could not tell them apart.
pub(super) fn sampled_records(member: &str, r: &mut dyn Read, lines: &BTreeSet<u64>, limits: &DecodeLimits, scan: Scan) -> Result<Option<SampledRecords>, FieldError> {
    if lines.is_empty() {
        return Ok(Some(SampledRecords { header: Vec::new(), records: Vec::new() }));
    }
    let decode_err = |source| FieldError::Decode { member: member.to_string(), source };
    let mut header = header_line(r).map_err(|source| FieldError::Read { member: member.to_string(), source })?;
    header.push(b'\n');
    // The header goes back in front, so that the lines count as in the file.
    let input = std::io::Cursor::new(header.clone()).chain(r);
    let mut found: std::collections::HashMap<u64, Vec<u8>> = match scan {
        Scan::Lines => match decode::records_on_lines(input, lines, limits).map_err(decode_err)? {
            Some(found) => found,
            None => return Ok(None),
        },
        Scan::Parse => {
            // Raw records kept whole (a staged record is at most `max_record_bytes`).
            let whole = DecodeLimits { max_raw_bytes: limits.max_record_bytes, ..*limits };
            let found = decode::raw_records(input, lines, &whole).map_err(decode_err)?;
            found.into_iter().map(|(line, raw)| (line, raw.trim_end_matches(['\r', '\n']).as_bytes().to_vec())).collect()
        }
    };
    let records = lines
        .iter()
        .filter_map(|line| {
            let mut raw = found.remove(line)?;
            raw.push(b'\n');
            Some((*line, raw))
        })
        .collect();
    Ok(Some(SampledRecords { header, records }))
}

/// Decodes a sample's records by the decoder's own rules, all at once, and gives each row
/// back its line in the file (the records are decoded after one another, each starting on
/// a known line of that text).
pub(super) fn decode_sample(table: &Table, member: &str, sampled: &SampledRecords, keys: BTreeMap<u64, String>, limits: &DecodeLimits) -> Result<Reread, FieldError> {
    let mut rows = Vec::with_capacity(sampled.records.len());
    if sampled.records.is_empty() {
        return Ok(Reread::Sample(SampleRows { keys, rows }));
    }
    let mut csv = sampled.header.clone();
    let mut in_file = std::collections::HashMap::with_capacity(sampled.records.len());
    let mut next_line = 1 + decode::lines::line_ends(&sampled.header, false);
    for (line, raw) in &sampled.records {
        in_file.insert(next_line, *line);
        next_line += decode::lines::line_ends(raw, false);
        csv.extend_from_slice(raw);
    }
    let mut batches = Vec::new();
    decode::decode_table(table, csv.as_slice(), limits, &mut |batch| {
        batches.push(batch);
        Ok(())
    }, &mut |_| {})
    .map_err(|source| FieldError::Decode { member: member.to_string(), source })?;
    for batch in batches {
        let Some(lines) = batch.column_by_name(ETL_LINE).and_then(|a| a.as_any().downcast_ref::<Int64Array>()).cloned() else { continue };
        for r in 0..batch.num_rows() {
            if let Some(line) = in_file.get(&(lines.value(r) as u64)) {
                rows.push((*line, batch.slice(r, 1)));
            }
        }
    }
    Ok(Reread::Sample(SampleRows { keys, rows }))
}

/// Decodes `csv` (the member or its sampled records) into the scratch table.
pub(super) fn load(s: &mut dyn Session, table: &Table, member: &str, csv: impl Read, limits: &DecodeLimits) -> Result<(), FieldError> {
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
    let decoded = decode::decode_table(table, csv, limits, &mut sink, &mut |_| {});
    appended?;
    decoded.map_err(decode_err)?;
    Ok(())
}
