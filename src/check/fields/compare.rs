//! Comparing the rows read again (a small sample in memory, else in the scratch table) with
//! their live `DW_` rows.

use std::collections::hash_map::Entry;

use duckdb::arrow::array::{Array, ArrayRef};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{DataType, SchemaRef};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::{key_text, Difference, MAX_DIFFERENCES};
use crate::catalog::{Column, Table};
use crate::warehouse::sql::{self, Dialect, DW_DELETED_AT, ETL_LINE};
use crate::warehouse::{BatchSink, Session, WarehouseError};

/// Up to this many rows, a sample is compared here, in memory, rather than by the warehouse.
pub(super) const COMPARED_HERE: u64 = 10_000;

/// What comparing one table's rows found.
pub(super) struct Compared {
    /// Rows of the file compared (a key read twice counts once).
    pub rows: u64,
    /// Rows of the file whose key is not live in the warehouse.
    pub missing: u64,
    /// Rows whose fields differ from their live `DW_` row.
    pub differing: u64,
    /// The first [`MAX_DIFFERENCES`] differences.
    pub differences: Vec<Difference>,
}

/// The live rows of `DW_` whose key the scratch table holds, each marked present (a left
/// join leaves the mark NULL). Keeping only those keys first spares joining every column
/// of every row of a large table.
fn live_rows(d: Dialect, table: &Table, scratch: &str) -> String {
    format!(
        "(SELECT x.*, 1 AS ETL_PRESENT FROM {} x WHERE {} IS NULL AND EXISTS (SELECT 1 FROM {} k WHERE {}))",
        d.ident(&table.dw_name()),
        d.qualified("x", DW_DELETED_AT),
        d.ident(scratch),
        sql::key_match(d, table, "x", "k")
    )
}

/// Every row, or a large sample: the warehouse counts the rows missing and differing, and
/// only the first differences are read.
pub(super) fn compare_in_warehouse(s: &mut dyn Session, d: Dialect, table: &Table, scratch: &str) -> Result<Compared, WarehouseError> {
    let keys: Vec<&str> = table.key_columns().map(|c| c.name.as_str()).collect();
    // A key twice in the file: the last occurrence is the one published.
    let latest = format!(
        "(SELECT * FROM (SELECT x.*, ROW_NUMBER() OVER (PARTITION BY {} ORDER BY {} DESC) AS ETL_NEWEST FROM {} x) y WHERE ETL_NEWEST = 1)",
        sql::ident_list(d, keys.iter().copied()),
        d.ident(ETL_LINE),
        d.ident(scratch)
    );
    let values: Vec<&Column> = table.value_columns().collect();
    let differ = if values.is_empty() {
        "1 = 0".to_string()
    } else {
        values.iter().map(|c| format!("{} IS DISTINCT FROM {}", d.qualified("f", &c.name), d.qualified("w", &c.name))).collect::<Vec<_>>().join(" OR ")
    };
    // One pass: each re-read row with its live row, if any.
    let joined = format!("{latest} f LEFT JOIN {} w ON {}", live_rows(d, table, scratch), sql::key_match(d, table, "w", "f"));
    let present = d.qualified("w", "ETL_PRESENT");
    let counts = s.query_rows(&format!(
        "SELECT COUNT(*), SUM(CASE WHEN {present} IS NULL THEN 1 ELSE 0 END), \
                SUM(CASE WHEN {present} IS NOT NULL AND ({differ}) THEN 1 ELSE 0 END) FROM {joined}"
    ))?;
    let n = |i: usize| {
        counts.rows.first().and_then(|r| r.get(i).cloned().flatten()).and_then(|v| v.parse::<f64>().ok()).map_or(0, |v| v as u64)
    };
    let mut found = Compared { rows: n(0), missing: n(1), differing: n(2), differences: Vec::new() };
    if found.missing > 0 {
        found.differences.extend(missing_rows(s, d, table, &joined)?);
    }
    if found.differing > 0 && !values.is_empty() {
        found.differences.extend(differing_fields(s, d, table, &values, &joined, &differ)?);
    }
    found.differences.truncate(MAX_DIFFERENCES);
    Ok(found)
}

/// The first keys of the file not live in the warehouse, from the rows `joined` (re-read
/// `f` with live `w`) of [`compare_in_warehouse`].
fn missing_rows(s: &mut dyn Session, d: Dialect, table: &Table, joined: &str) -> Result<Vec<Difference>, WarehouseError> {
    let rows = s.query_rows_at_most(
        &format!("SELECT {} FROM {joined} WHERE {} IS NULL ORDER BY 1", key_text(d, table, "f"), d.qualified("w", "ETL_PRESENT")),
        Some(MAX_DIFFERENCES),
    )?;
    Ok(rows
        .rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .map(|key| Difference { key, column: "(row)".into(), file_value: Some("present".into()), warehouse_value: None })
        .collect())
}

/// The fields of the first rows of `joined` (see [`missing_rows`]) that `differ` finds
/// changed, each value as text.
fn differing_fields(
    s: &mut dyn Session,
    d: Dialect,
    table: &Table,
    values: &[&Column],
    joined: &str,
    differ: &str,
) -> Result<Vec<Difference>, WarehouseError> {
    let pairs: Vec<String> = values
        .iter()
        .flat_map(|c| [format!("CAST({} AS VARCHAR)", d.qualified("f", &c.name)), format!("CAST({} AS VARCHAR)", d.qualified("w", &c.name))])
        .collect();
    let rows = s.query_rows_at_most(
        &format!(
            "SELECT {} AS K, {} FROM {joined} WHERE {} IS NOT NULL AND ({differ}) ORDER BY 1",
            key_text(d, table, "f"),
            pairs.join(", "),
            d.qualified("w", "ETL_PRESENT")
        ),
        Some(MAX_DIFFERENCES),
    )?;
    let mut differences = Vec::new();
    for row in rows.rows {
        let key = row.first().cloned().flatten().unwrap_or_default();
        for (i, c) in values.iter().enumerate() {
            let (file_value, warehouse_value) = (row[1 + 2 * i].clone(), row[2 + 2 * i].clone());
            if file_value != warehouse_value {
                differences.push(Difference { key: key.clone(), column: c.name.clone(), file_value, warehouse_value });
            }
        }
    }
    Ok(differences)
}

/// A sample's records as decoded from the file, with the key text the warehouse gave each
/// one's line when the sample was drawn.
pub(super) struct SampleRows {
    /// Line in the file → key text ([`key_text`]).
    pub keys: std::collections::BTreeMap<u64, String>,
    /// Each decoded record: its line in the file and its one row.
    pub rows: Vec<(u64, RecordBatch)>,
}

/// Takes a query's batches whole (a sample's rows are few).
#[derive(Default)]
struct Collect(Vec<RecordBatch>);

impl BatchSink for Collect {
    fn schema(&mut self, _: SchemaRef) -> bool {
        true
    }
    fn batch(&mut self, batch: RecordBatch) -> bool {
        self.0.push(batch);
        true
    }
}

/// A cell as text, after the file's value is cast to the warehouse's type (a PostgreSQL
/// `NUMERIC` has another scale than the catalog's decimal): equal texts, equal values.
fn cells(array: &ArrayRef, to: &DataType) -> Result<Vec<Option<String>>, String> {
    let array = if array.data_type() == to { array.clone() } else { cast(array, to).map_err(|e| e.to_string())? };
    let options = FormatOptions::default();
    let formatter = ArrayFormatter::try_new(array.as_ref(), &options).map_err(|e| e.to_string())?;
    Ok((0..array.len()).map(|i| array.is_valid(i).then(|| formatter.value(i).to_string())).collect())
}

/// The live `DW_` rows of the `keys` (texts of [`key_text`]): the key text, then the `values`
/// columns, with where each key's row is (batch, row).
#[allow(clippy::type_complexity)]
fn live_rows_of<'k>(
    s: &mut dyn Session,
    d: Dialect,
    table: &Table,
    values: &[&Column],
    keys: impl Iterator<Item = &'k String>,
) -> Result<(Vec<RecordBatch>, std::collections::HashMap<String, (usize, usize)>), WarehouseError> {
    let mut wanted: Vec<&String> = keys.collect();
    wanted.sort_unstable();
    wanted.dedup();
    let key = key_text(d, table, "x");
    let in_list: Vec<String> = wanted.iter().map(|k| crate::warehouse::quote(k)).collect();
    let mut select = vec![format!("{key} AS ETL_KEY")];
    select.extend(values.iter().map(|c| d.qualified("x", &c.name)));
    let mut live = Collect::default();
    s.query_batches(
        &format!(
            "SELECT {} FROM {} x WHERE {} IS NULL AND {key} IN ({})",
            select.join(", "),
            d.ident(&table.dw_name()),
            d.qualified("x", DW_DELETED_AT),
            in_list.join(", ")
        ),
        &mut live,
    )?;
    let mut at = std::collections::HashMap::new();
    for (b, batch) in live.0.iter().enumerate() {
        let keys = cells(batch.column(0), &DataType::Utf8).map_err(|reason| WarehouseError::Sql { context: format!("comparing {}", table.dw_name()), reason })?;
        for (r, k) in keys.into_iter().enumerate() {
            at.insert(k.unwrap_or_default(), (b, r));
        }
    }
    Ok((live.0, at))
}

/// A small sample, compared here with no scratch table: the live `DW_` rows of the sampled
/// keys are fetched in one query and each field compared with the file's, both as Arrow
/// values. A sample costs two statements per table, where loading it into a scratch table
/// cost six.
pub(super) fn compare_sample(s: &mut dyn Session, d: Dialect, table: &Table, sample: &SampleRows) -> Result<Compared, WarehouseError> {
    let values: Vec<&Column> = table.value_columns().collect();
    let mut found = Compared { rows: 0, missing: 0, differing: 0, differences: Vec::new() };
    if sample.keys.is_empty() {
        return Ok(found);
    }
    let bad = |e: String| WarehouseError::Sql { context: format!("comparing {}", table.dw_name()), reason: e };
    let (live, warehouse_rows) = live_rows_of(s, d, table, &values, sample.keys.values())?;
    // The file's rows, the last line of a key first: it is the one published.
    let mut file_rows: Vec<&(u64, RecordBatch)> = sample.rows.iter().collect();
    file_rows.sort_unstable_by_key(|(line, _)| std::cmp::Reverse(*line));
    let mut seen = std::collections::HashSet::new();
    let mut differing: Vec<Difference> = Vec::new();
    let mut missing: Vec<Difference> = Vec::new();
    // The warehouse's texts of each column, per batch, made when first needed.
    let mut warehouse_cells: std::collections::HashMap<(usize, usize), Vec<Option<String>>> = Default::default();
    for (line, file_row) in file_rows {
        let Some(key) = sample.keys.get(line) else { continue };
        if !seen.insert(key.clone()) {
            continue;
        }
        found.rows += 1;
        let Some(&(wb, wr)) = warehouse_rows.get(key) else {
            found.missing += 1;
            missing.push(Difference { key: key.clone(), column: "(row)".into(), file_value: Some("present".into()), warehouse_value: None });
            continue;
        };
        let mut differs = false;
        for (i, c) in values.iter().enumerate() {
            let warehouse_array = live[wb].column(i + 1);
            let warehouse_texts = match warehouse_cells.entry((wb, i)) {
                Entry::Occupied(texts) => texts.into_mut(),
                Entry::Vacant(slot) => slot.insert(cells(warehouse_array, warehouse_array.data_type()).map_err(bad)?),
            };
            let warehouse_value = &warehouse_texts[wr];
            let file_array = file_row.column_by_name(&c.name).ok_or_else(|| bad(format!("no column {}", c.name)))?;
            let file_value = cells(file_array, warehouse_array.data_type()).map_err(bad)?.pop().flatten();
            if &file_value != warehouse_value {
                differs = true;
                differing.push(Difference { key: key.clone(), column: c.name.clone(), file_value, warehouse_value: warehouse_value.clone() });
            }
        }
        found.differing += u64::from(differs);
    }
    // As the warehouse's comparison lists them: rows not live first, then by key.
    missing.sort_by(|a, b| a.key.cmp(&b.key));
    differing.sort_by(|a, b| a.key.cmp(&b.key));
    missing.append(&mut differing);
    missing.truncate(MAX_DIFFERENCES);
    found.differences = missing;
    Ok(found)
}
