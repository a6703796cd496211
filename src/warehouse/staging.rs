//! Staging: the tables that hold one snapshot's typed rows of a table (`STG_`) and the keys
//! of its rejected rows (held keys), made ready for the merge; and the questions the run
//! asks of a staged table before it is published.

use ::duckdb::arrow::record_batch::RecordBatch;

use super::sql::{self, Dialect};
use super::{Result, Session};
use crate::catalog::{Column, Table};
use crate::decode::Reject;

/// Statements that replace the staging table of `table` with an empty one.
pub fn replace_statements(d: Dialect, table: &Table) -> Vec<String> {
    vec![sql::drop_table_if_exists(d, &table.staging_name()), sql::create_staging_table(d, table)]
}

/// Replaces the staging table of `table` with an empty one.
pub fn replace_staging_table(s: &mut dyn Session, d: Dialect, table: &Table) -> Result<()> {
    replace_statements(d, table).iter().try_for_each(|stmt| s.execute(stmt).map(|_| ()))
}

/// Replaces the held-keys table of `table` with the keys of its rejected rows (none: no
/// table), so that the merge does not take their absence from staging for deletes.
/// Returns whether the table exists.
pub fn replace_held_keys(s: &mut dyn Session, d: Dialect, table: &Table, keys: Option<RecordBatch>) -> Result<bool> {
    let name = sql::held_keys_name(table);
    s.execute(&sql::drop_table_if_exists(d, &name))?;
    let Some(keys) = keys else { return Ok(false) };
    s.execute(&sql::create_held_keys_table(d, table))?;
    s.append(&name, keys)?;
    Ok(true)
}

/// Gives the planner fresh statistics of the staged keys, where the backend needs them.
pub fn analyze(s: &mut dyn Session, d: Dialect, table: &Table, held_keys: bool) -> Result<()> {
    let keys: Vec<&str> = table.key_columns().map(|c| c.name.as_str()).collect();
    let held = sql::held_keys_name(table);
    let staged = table.staging_name();
    let names = std::iter::once(staged.as_str()).chain(held_keys.then_some(held.as_str()));
    for analyze in names.filter_map(|t| d.analyze(t, &keys)) {
        s.execute(&analyze)?;
    }
    Ok(())
}

/// Finds rows of the staging table whose natural key appears again later in the file,
/// removes them from staging (the last occurrence wins) and returns them as rejects
/// (without their raw line, which the caller reads again from the file).
pub fn supersede_duplicates(s: &mut dyn Session, d: Dialect, table: &Table) -> Result<Vec<Reject>> {
    let stg = d.ident(&table.staging_name());
    let key_list = sql::key_list(d, table);
    let line = d.ident(sql::ETL_LINE);
    let dup_groups = s.query_i64(&format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {stg} GROUP BY {key_list} HAVING COUNT(*) > 1) dups"
    ))?;
    if dup_groups == 0 {
        return Ok(Vec::new());
    }
    let rows = s.query_rows(&format!(
        "SELECT {line}, LAST_LINE, {key_list} FROM (\
           SELECT {line}, {key_list}, MAX({line}) OVER (PARTITION BY {key_list}) AS LAST_LINE FROM {stg}) x \
         WHERE {line} < LAST_LINE ORDER BY {line}"
    ))?;
    let key_names: Vec<&str> = table.key_columns().map(|c| c.name.as_str()).collect();
    let key_names = key_names.join(", ");
    let mut rejects = Vec::new();
    for row in &rows.rows {
        let line: u64 = row[0].as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
        let last = row[1].as_deref().unwrap_or("?");
        let values: Vec<&str> = row[2..].iter().map(|v| v.as_deref().unwrap_or("NULL")).collect();
        rejects.push(Reject {
            line,
            column: Some(key_names.clone()),
            raw_value: Some(values.join(", ")),
            reason: format!("duplicate natural key, superseded by line {last} (the last occurrence wins)"),
            raw_line: None,
        });
    }
    let lines: Vec<String> = rejects.iter().map(|r| r.line.to_string()).collect();
    for chunk in lines.chunks(1000) {
        s.execute(&format!("DELETE FROM {stg} WHERE {line} IN ({})", chunk.join(", ")))?;
    }
    Ok(rejects)
}

/// Live rows of the table's `DW_` table.
pub fn live_rows(s: &mut dyn Session, d: Dialect, table: &Table) -> Result<u64> {
    let n = s.query_i64(&sql::count_live(d, table).sql())?;
    Ok(n.max(0) as u64)
}

/// Of `columns`, those that hold a value in at least one live row of the `DW_` table,
/// with the number of such rows: a file that lacks them would wipe those values to NULL.
pub fn columns_holding_values<'c>(
    s: &mut dyn Session,
    d: Dialect,
    table: &Table,
    columns: &[&'c Column],
) -> Result<Vec<(&'c Column, u64)>> {
    if columns.is_empty() {
        return Ok(Vec::new());
    }
    let counts: Vec<String> = columns.iter().map(|c| format!("COUNT({})", d.ident(&c.name))).collect();
    let rows = s.query_rows(&format!(
        "SELECT {} FROM {} WHERE {} IS NULL",
        counts.join(", "),
        d.ident(&table.dw_name()),
        d.ident(sql::DW_DELETED_AT)
    ))?;
    let Some(row) = rows.rows.first() else { return Ok(Vec::new()) };
    Ok(columns
        .iter()
        .zip(row)
        .filter_map(|(c, n)| {
            let n: u64 = n.as_deref()?.parse().ok()?;
            (n > 0).then_some((*c, n))
        })
        .collect())
}
