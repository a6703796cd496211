//! Reading a table's rows again: the sample's lines are picked from the staging table the
//! run published, and those records (or every record) are decoded again from the archive
//! member into a scratch table.

use std::collections::BTreeSet;
use std::io::Read;

use super::{key_text, scratch_name, FieldError, Sample};
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

/// The lines of the staged rows the seeded hash of their key puts first.
fn sampled_lines(s: &mut dyn Session, d: Dialect, table: &Table, sample: Sample) -> Result<BTreeSet<u64>, WarehouseError> {
    let rows = s.query_rows_at_most(
        &format!(
            "SELECT {line} FROM {} s ORDER BY {}, {line} LIMIT {}",
            d.ident(&table.staging_name()),
            seeded_order(d, sample.seed, &key_text(d, table, "s")),
            sample.rows,
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

/// Makes the scratch table of `table` and picks the lines of its sample (none: every row).
pub(super) fn prepare(s: &mut dyn Session, d: Dialect, table: &Table, sample: Sample) -> Result<BTreeSet<u64>, FieldError> {
    let scratch = scratch_name(table);
    s.execute(&sql::drop_table_if_exists(d, &scratch))?;
    s.execute(&CreateTable::new(d, &scratch).scratch().catalog_columns(&table.columns).column(ETL_LINE, &d.column_type(crate::catalog::ColumnType::Int)).sql())?;
    Ok(if sample.rows == 0 { BTreeSet::new() } else { sampled_lines(s, d, table, sample)? })
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
