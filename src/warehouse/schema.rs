//! The `DW_` tables a warehouse already holds, checked against the catalog before a run
//! loads anything.
//!
//! A table the catalog has gained a column for (a contract that grew, as NetSuite's
//! `transaction` did with its due dates) gets the column added, empty, as a first load
//! would have created it. A table that lacks its natural key or the pipeline's audit
//! columns is not one this pipeline made (a warehouse shared with another tool, a file
//! restored from elsewhere): merging into it would fail halfway with a binder error, after
//! other sources were published, so the run is refused before it starts.

use std::collections::{BTreeMap, BTreeSet};

use super::sql::{column_sql_type, Dialect, DW_DELETED_AT, DW_LAST_INSERTED, DW_LAST_UPDATED, DW_RUN_ID};
use super::{Session, WarehouseError};
use crate::catalog::Catalog;

/// Why the warehouse's tables cannot take a run.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "{dw_table} in the warehouse is not a table marina-etl keeps: it has no column {}; \
         nothing was loaded (rename or drop that table, or point [warehouse] url at another warehouse)",
        .lacking.join(", ")
    )]
    ForeignTable { dw_table: String, lacking: Vec<String> },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
}

/// A column added to an existing `DW_` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedColumn {
    pub dw_table: String,
    pub column: String,
}

/// Checks every existing `DW_` table of the catalog and adds the catalog columns it lacks.
/// Refuses, before changing anything, when one lacks a key or an audit column.
pub fn reconcile_dw_tables(s: &mut dyn Session, d: Dialect) -> Result<Vec<AddedColumn>, SchemaError> {
    let existing = existing_columns(s)?;
    let mut additions = Vec::new();
    for table in Catalog::get().tables() {
        let Some(columns) = existing.get(&table.dw_name().to_uppercase()) else { continue };
        let lacking = |name: &str| !columns.contains(&name.to_uppercase());
        let identity: Vec<String> = table
            .key_columns()
            .map(|c| c.name.as_str())
            .chain([DW_LAST_INSERTED, DW_LAST_UPDATED, DW_DELETED_AT, DW_RUN_ID])
            .filter(|name| lacking(name))
            .map(str::to_string)
            .collect();
        if !identity.is_empty() {
            return Err(SchemaError::ForeignTable { dw_table: table.dw_name(), lacking: identity });
        }
        additions.extend(table.columns.iter().filter(|c| lacking(&c.name)).map(|c| (table.dw_name(), c)));
        // A history table takes every contract column of its DW_ table.
        if let Some(columns) = existing.get(&table.history_name().to_uppercase()).filter(|_| table.history) {
            let hist = table.history_name();
            additions.extend(table.columns.iter().filter(|c| !columns.contains(&c.name.to_uppercase())).map(|c| (hist.clone(), c)));
        }
    }
    let mut added = Vec::with_capacity(additions.len());
    for (table, column) in additions {
        s.execute(&add_column(d, &table, column))?;
        tracing::info!(table = %table, column = %column.name, "column added: the catalog has it and the table did not");
        added.push(AddedColumn { dw_table: table, column: column.name.clone() });
    }
    Ok(added)
}

fn add_column(d: Dialect, table: &str, column: &crate::catalog::Column) -> String {
    format!("ALTER TABLE {} ADD COLUMN {} {}", d.ident(table), d.ident(&column.name), column_sql_type(d, column))
}

/// The columns of every table in the session's schema, names in upper case.
fn existing_columns(s: &mut dyn Session) -> Result<BTreeMap<String, BTreeSet<String>>, WarehouseError> {
    let rows = s
        .query_rows(
            "SELECT table_name, column_name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND (upper(table_name) LIKE 'DW%' OR upper(table_name) LIKE 'HIST%')",
        )?
        .rows;
    let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        if let [Some(table), Some(column)] = row.as_slice() {
            tables.entry(table.to_uppercase()).or_default().insert(column.to_uppercase());
        }
    }
    Ok(tables)
}
