//! Tables generated from their catalog entry alone: the default for every table that has
//! no hand-written generator, so that a table added to the catalog is in the next generated
//! snapshot without any generator code.
//!
//! Hand-written generators remain for the tables whose values must agree with each other
//! (what the views join and count: slips, reservations, invoices, the ledger, ...). A
//! catalog-only table has a fixed number of rows per scale, a unique natural key per row
//! spelled for its column type, and the writer's generic values (by column name and type)
//! in its other columns. Its rows are the same every day, so consecutive snapshots see no
//! change in it.

use anyhow::Result;
use chrono::{Duration, NaiveDate};

use super::values::{Tally, Val, at, hash, tag, terminator};
use super::{Sink, World, member};
use crate::catalog::{Column, ColumnType, Table};

/// Rows of a catalog-only table at scale 1; other scales get their share.
const BASE_ROWS: f64 = 200.0;
/// Rows at the smallest scales, so every table still has some.
const MIN_ROWS: u64 = 20;

/// Writes `table` into the archive from its catalog entry.
pub(crate) fn write(sink: &mut Sink, tally: &mut Tally, world: &World, table: &Table) -> Result<()> {
    let keys: Vec<&Column> = table.key_columns().collect();
    let rows = world.n(BASE_ROWS, MIN_ROWS).min(key_capacity(&keys));
    let table_tag = hash(&[tag(table.system.name()), tag(&table.name)]);
    // Generic dates fall before the row's anchor: anchors lie between the start of the
    // history and the first snapshot, so no value is in the future of any snapshot.
    let span = (world.first_day - world.hist_start).num_days().max(1) as u64;
    member(sink, tally, table, false, terminator(table.system), |tw| {
        for i in 0..rows {
            let seed = hash(&[world.seed, table_tag, i]);
            let anchor = at(world.hist_start, 12, 0, 0) + Duration::days((seed % span) as i64);
            tw.begin(seed, anchor);
            for (column, value) in keys.iter().zip(key_values(&keys, i)) {
                let header = column.header.as_deref().expect("the catalog gives every key column a CSV header");
                tw.set(header, value);
            }
            tw.end()?;
        }
        Ok(())
    })
}

/// How many distinct non-empty values a key column of this type can take (saturating).
fn capacity(ty: ColumnType) -> u64 {
    match ty {
        ColumnType::Bool => 2,
        // 1 .. 10^p - 1 in units of the scale.
        ColumnType::Decimal { precision, .. } => 10u64.saturating_pow(precision as u32) - 1,
        // Days from DATE_ORIGIN, kept within four-digit years.
        ColumnType::Date => 2_900_000,
        ColumnType::Text { max_chars: Some(n) } => 36u64.saturating_pow(n),
        // Exact integers in a double; ints and timestamps are wider than any row count.
        ColumnType::Float => 1 << 53,
        ColumnType::Int | ColumnType::Timestamp | ColumnType::Text { max_chars: None } => u64::MAX,
    }
}

/// How many rows can have distinct keys.
fn key_capacity(keys: &[&Column]) -> u64 {
    keys.iter().fold(1u64, |n, c| n.saturating_mul(capacity(c.ty)))
}

/// The first date and time of generated key values.
const DATE_ORIGIN: (i32, u32, u32) = (2000, 1, 1);

/// The key of row `i`: `i` written in mixed radix over the key columns (the first column
/// takes `i` modulo its capacity, the next the quotient, ...), so distinct rows below
/// [`key_capacity`] get distinct keys. With a wide first column, the others stay constant.
fn key_values(keys: &[&Column], i: u64) -> Vec<Val> {
    let origin = NaiveDate::from_ymd_opt(DATE_ORIGIN.0, DATE_ORIGIN.1, DATE_ORIGIN.2).expect("valid date");
    let mut rest = i;
    keys.iter()
        .map(|c| {
            let cap = capacity(c.ty);
            let v = rest % cap;
            rest /= cap;
            match c.ty {
                ColumnType::Int | ColumnType::Float => Val::Int(v as i64 + 1),
                ColumnType::Decimal { scale, .. } => Val::Dec(v as i64 + 1, scale),
                ColumnType::Bool => Val::Bool(v == 1),
                ColumnType::Date => Val::Date(origin + Duration::days(v as i64)),
                ColumnType::Timestamp => Val::Ts(at(origin, 0, 0, 0) + Duration::seconds(v as i64)),
                ColumnType::Text { max_chars } => Val::from(base36(v, max_chars.map_or(6, |n| n.min(6)) as usize)),
            }
        })
        .collect()
}

/// `v` in base 36 (digits, then lower-case letters), zero-padded to `width` characters.
fn base36(mut v: u64, width: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(v % 36) as usize]);
        v /= 36;
        if v == 0 {
            break;
        }
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn column(name: &str, ty: ColumnType) -> Column {
        Column { name: name.into(), header: Some(name.into()), ty, key: true }
    }

    #[test]
    fn keys_are_unique_up_to_the_capacity_of_the_key_columns() {
        let flag = column("FLAG", ColumnType::Bool);
        let code = column("CODE", ColumnType::Text { max_chars: Some(1) });
        let keys = [&flag, &code];
        assert_eq!(key_capacity(&keys), 72);
        let seen: HashSet<String> = (0..72).map(|i| format!("{:?}", key_values(&keys, i))).collect();
        assert_eq!(seen.len(), 72);
        let amount = column("AMOUNT", ColumnType::Decimal { precision: 2, scale: 2 });
        assert_eq!(key_capacity(&[&amount]), 99);
    }

    #[test]
    fn base36_is_padded_and_exact() {
        assert_eq!(base36(0, 6), "000000");
        assert_eq!(base36(35, 1), "z");
        assert_eq!(base36(36, 1), "10");
    }
}
