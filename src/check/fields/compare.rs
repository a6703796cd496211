//! Comparing the rows read again (in the scratch table) with their live `DW_` rows.

use super::{key_text, Difference, MAX_DIFFERENCES};
use crate::catalog::{Column, Table};
use crate::warehouse::sql::{self, Dialect, DW_DELETED_AT, ETL_LINE};
use crate::warehouse::{Session, WarehouseError};

/// Up to this many rows, a sample is compared here rather than by the warehouse.
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

/// A small sample: every re-read row with its `DW_` row, compared here as the session's
/// text of each value. The warehouse would have to plan one comparison (or cast) per
/// column, which costs more than the comparing on a wide table; both sides have the
/// catalog's column types, so their texts are equal exactly when their values are.
pub(super) fn compare_here(s: &mut dyn Session, d: Dialect, table: &Table, scratch: &str) -> Result<Compared, WarehouseError> {
    let values: Vec<&Column> = table.value_columns().collect();
    let mut select = vec![format!("{} AS K", key_text(d, table, "f")), d.qualified("w", "ETL_PRESENT")];
    for c in &values {
        select.push(d.qualified("f", &c.name));
        select.push(d.qualified("w", &c.name));
    }
    let rows = s.query_rows(&format!(
        "SELECT {} FROM {} f LEFT JOIN {} w ON {} ORDER BY 1, {} DESC",
        select.join(", "),
        d.ident(scratch),
        live_rows(d, table, scratch),
        sql::key_match(d, table, "w", "f"),
        d.qualified("f", ETL_LINE)
    ))?;
    let mut found = Compared { rows: 0, missing: 0, differing: 0, differences: Vec::new() };
    let mut previous: Option<String> = None;
    // Rows not live come first, as the warehouse's comparison lists them.
    let mut missing = Vec::new();
    for row in rows.rows {
        let key = row.first().cloned().flatten().unwrap_or_default();
        // A key twice in the file: the last occurrence (sorted first) is the one published.
        if previous.as_ref() == Some(&key) {
            continue;
        }
        found.rows += 1;
        if row.get(1).cloned().flatten().is_none() {
            found.missing += 1;
            missing.push(Difference { key: key.clone(), column: "(row)".into(), file_value: Some("present".into()), warehouse_value: None });
        } else {
            let mut differs = false;
            for (i, c) in values.iter().enumerate() {
                let (file_value, warehouse_value) = (&row[2 + 2 * i], &row[3 + 2 * i]);
                if file_value != warehouse_value {
                    differs = true;
                    found.differences.push(Difference {
                        key: key.clone(),
                        column: c.name.clone(),
                        file_value: file_value.clone(),
                        warehouse_value: warehouse_value.clone(),
                    });
                }
            }
            found.differing += u64::from(differs);
        }
        previous = Some(key);
    }
    missing.append(&mut found.differences);
    found.differences = missing;
    found.differences.truncate(MAX_DIFFERENCES);
    Ok(found)
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
        let rows = s.query_rows_at_most(
            &format!("SELECT {} FROM {joined} WHERE {present} IS NULL ORDER BY 1", key_text(d, table, "f")),
            Some(MAX_DIFFERENCES),
        )?;
        found.differences.extend(rows.rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).map(|key| Difference {
            key,
            column: "(row)".into(),
            file_value: Some("present".into()),
            warehouse_value: None,
        }));
    }
    if found.differing > 0 && !values.is_empty() {
        let pairs: Vec<String> = values
            .iter()
            .flat_map(|c| [format!("CAST({} AS VARCHAR)", d.qualified("f", &c.name)), format!("CAST({} AS VARCHAR)", d.qualified("w", &c.name))])
            .collect();
        let rows = s.query_rows_at_most(
            &format!(
                "SELECT {} AS K, {} FROM {joined} WHERE {present} IS NOT NULL AND ({differ}) ORDER BY 1",
                key_text(d, table, "f"),
                pairs.join(", ")
            ),
            Some(MAX_DIFFERENCES),
        )?;
        for row in rows.rows {
            let key = row.first().cloned().flatten().unwrap_or_default();
            for (i, c) in values.iter().enumerate() {
                let (file_value, warehouse_value) = (row[1 + 2 * i].clone(), row[2 + 2 * i].clone());
                if file_value != warehouse_value {
                    found.differences.push(Difference { key: key.clone(), column: c.name.clone(), file_value, warehouse_value });
                }
            }
        }
    }
    found.differences.truncate(MAX_DIFFERENCES);
    Ok(found)
}
