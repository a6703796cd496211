//! SQL text generated from the catalog: table DDL and the merge statements.
//!
//! One merge engine for every backend: the statements are the same set-based SQL, and a
//! [`Dialect`] changes only spelling (types, upsert syntax) where a backend needs it.

use crate::catalog::{Column, ColumnType, Table};

/// The SQL dialect of a warehouse backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Postgres,
    Oracle,
}

/// Bookkeeping columns every `DW_` table carries after its contract columns.
pub const DW_LAST_INSERTED: &str = "DW_LAST_INSERTED";
pub const DW_LAST_UPDATED: &str = "DW_LAST_UPDATED";
pub const DW_DELETED_AT: &str = "DW_DELETED_AT";
pub const DW_RUN_ID: &str = "DW_RUN_ID";
/// Line of the CSV file a staged row came from (defined by the decoder, which fills it).
pub use crate::decode::ETL_LINE;

impl Dialect {
    /// The column type of a contract type.
    pub fn column_type(self, ty: ColumnType) -> String {
        match (self, ty) {
            (Dialect::Oracle, ColumnType::Int) => "NUMBER(19)".into(),
            (_, ColumnType::Int) => "BIGINT".into(),
            (Dialect::Oracle, ColumnType::Decimal { precision, scale }) => format!("NUMBER({precision},{scale})"),
            (_, ColumnType::Decimal { precision, scale }) => format!("DECIMAL({precision},{scale})"),
            (Dialect::Oracle, ColumnType::Float) => "BINARY_DOUBLE".into(),
            (Dialect::Postgres, ColumnType::Float) => "DOUBLE PRECISION".into(),
            (Dialect::DuckDb, ColumnType::Float) => "DOUBLE".into(),
            (Dialect::Oracle, ColumnType::Bool) => "NUMBER(1)".into(),
            (_, ColumnType::Bool) => "BOOLEAN".into(),
            (_, ColumnType::Date) => "DATE".into(),
            (_, ColumnType::Timestamp) => "TIMESTAMP".into(),
            (Dialect::Oracle, ColumnType::Text { max_chars: Some(n) }) => format!("NVARCHAR2({n})"),
            (Dialect::Oracle, ColumnType::Text { max_chars: None }) => "NCLOB".into(),
            (Dialect::Postgres, ColumnType::Text { max_chars: Some(n) }) => format!("VARCHAR({n})"),
            (_, ColumnType::Text { .. }) => "VARCHAR".into(),
        }
    }

    /// How a table that is rebuilt from the archive on every run is created. PostgreSQL's
    /// unlogged tables skip the write-ahead log; after a crash they come back empty, which
    /// costs a staging table nothing, since the next run replaces it anyway.
    fn create_scratch_table(self) -> &'static str {
        if self == Dialect::Postgres { "CREATE UNLOGGED TABLE" } else { "CREATE TABLE" }
    }

    /// A statement that refreshes the planner's statistics of a table just bulk-loaded,
    /// where the backend needs one: PostgreSQL would otherwise plan the merge for an
    /// empty staging table. Only the key columns, which the merge joins on, are sampled
    /// (a wide table takes over a second to analyze whole).
    pub fn analyze(self, table: &str, keys: &[&str]) -> Option<String> {
        (self == Dialect::Postgres).then(|| format!("ANALYZE {table} ({})", keys.join(", ")))
    }

    fn int_type(self) -> &'static str {
        if self == Dialect::Oracle { "NUMBER(19)" } else { "BIGINT" }
    }
}

/// The type of a catalog column in the dialect. Oracle cannot compare an `NCLOB` with `=`,
/// so an unbounded text column that is part of the natural key is an `NVARCHAR2(2000)` there
/// (the longest `NVARCHAR2` without extended string sizes).
pub fn column_sql_type(dialect: Dialect, column: &Column) -> String {
    match (dialect, column.ty, column.key) {
        (Dialect::Oracle, ColumnType::Text { max_chars: None }, true) => "NVARCHAR2(2000)".into(),
        (_, ty, _) => dialect.column_type(ty),
    }
}

fn column_defs(dialect: Dialect, columns: &[Column]) -> Vec<String> {
    columns
        .iter()
        .map(|c| format!("{} {}", c.name, column_sql_type(dialect, c)))
        .collect()
}

/// Oracle (before 23ai) has no `IF [NOT] EXISTS`: the statement runs in a PL/SQL block that
/// ignores the one error meaning "already so" (`-955` name already used, `-942` no such table).
pub fn oracle_ignoring(sqlcode: i32, statement: &str) -> String {
    format!(
        "BEGIN\n  EXECUTE IMMEDIATE '{}';\nEXCEPTION WHEN OTHERS THEN\n  IF SQLCODE != {sqlcode} THEN RAISE; END IF;\nEND;",
        statement.replace('\'', "''")
    )
}

/// `DROP TABLE IF EXISTS name`, also on Oracle.
pub fn drop_table_if_exists(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Oracle => oracle_ignoring(-942, &format!("DROP TABLE {name}")),
        _ => format!("DROP TABLE IF EXISTS {name}"),
    }
}

/// `CREATE TABLE IF NOT EXISTS` from a plain `CREATE TABLE name (...)`, also on Oracle.
pub fn create_table_if_missing(dialect: Dialect, create_table: &str) -> String {
    match dialect {
        Dialect::Oracle => oracle_ignoring(-955, create_table),
        _ => create_table.replacen("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1),
    }
}

/// `CREATE TABLE` of the staging table (contract columns, then [`ETL_LINE`]).
pub fn create_staging_table(dialect: Dialect, table: &Table) -> String {
    let mut cols = column_defs(dialect, &table.columns);
    cols.push(format!("{ETL_LINE} {}", dialect.int_type()));
    format!("{} {} (\n  {}\n)", dialect.create_scratch_table(), table.staging_name(), cols.join(",\n  "))
}

/// `CREATE TABLE IF NOT EXISTS` of the merged table (contract columns, then bookkeeping).
pub fn create_dw_table(dialect: Dialect, table: &Table) -> String {
    let mut cols = column_defs(dialect, &table.columns);
    cols.push(format!("{DW_LAST_INSERTED} TIMESTAMP"));
    cols.push(format!("{DW_LAST_UPDATED} TIMESTAMP"));
    cols.push(format!("{DW_DELETED_AT} TIMESTAMP"));
    cols.push(format!("{DW_RUN_ID} {}", dialect.int_type()));
    create_table_if_missing(dialect, &format!("CREATE TABLE {} (\n  {}\n)", table.dw_name(), cols.join(",\n  ")))
}

/// Name of the table that holds the keys of rejected rows while a snapshot is merged:
/// a rejected row is not in staging, but its key must not be soft-deleted.
pub fn held_keys_name(table: &Table) -> String {
    format!("{}__HELD_KEYS", table.staging_name())
}

/// `CREATE TABLE` of the held-keys table (the key columns only).
pub fn create_held_keys_table(dialect: Dialect, table: &Table) -> String {
    let keys: Vec<Column> = table.key_columns().cloned().collect();
    format!(
        "{} {} (\n  {}\n)",
        dialect.create_scratch_table(),
        held_keys_name(table),
        column_defs(dialect, &keys).join(",\n  ")
    )
}

/// Key equality that treats NULL as a value (key columns may be NULL-able).
fn key_match(dialect: Dialect, table: &Table, left: &str, right: &str) -> String {
    table
        .key_columns()
        .map(|c| match dialect {
            Dialect::Oracle => format!(
                "({l}.{c} = {r}.{c} OR ({l}.{c} IS NULL AND {r}.{c} IS NULL))",
                l = left,
                r = right,
                c = c.name
            ),
            // PostgreSQL joins `IS NOT DISTINCT FROM` only by nested loops (quadratic on a
            // snapshot); two equalities of expressions hash-join and mean the same: the
            // NULL flags agree, and the values agree with NULL read as a stand-in value
            // (which the flags tell apart from a real value equal to it).
            Dialect::Postgres => format!(
                "COALESCE({l}.{c}, {s}) = COALESCE({r}.{c}, {s}) AND ({l}.{c} IS NULL) = ({r}.{c} IS NULL)",
                l = left,
                r = right,
                c = c.name,
                s = null_stand_in(c.ty)
            ),
            Dialect::DuckDb => format!("{left}.{c} IS NOT DISTINCT FROM {right}.{c}", c = c.name),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Any value of the type, to stand in for NULL in a key comparison.
fn null_stand_in(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Int | ColumnType::Decimal { .. } | ColumnType::Float => "0",
        ColumnType::Bool => "FALSE",
        ColumnType::Date => "DATE '0001-01-01'",
        ColumnType::Timestamp => "TIMESTAMP '0001-01-01 00:00:00'",
        ColumnType::Text { .. } => "''",
    }
}

/// Any contract value differs (NULL-safe).
fn values_differ(dialect: Dialect, table: &Table, left: &str, right: &str) -> String {
    let parts: Vec<String> = table
        .value_columns()
        .map(|c| match (dialect, column_sql_type(dialect, c).as_str()) {
            // DECODE (and `<>`) refuse LOBs; DBMS_LOB.COMPARE is NULL when either side is.
            (Dialect::Oracle, "NCLOB") => format!(
                "(DBMS_LOB.COMPARE({l}, {r}) <> 0 OR ({l} IS NULL AND {r} IS NOT NULL) OR ({l} IS NOT NULL AND {r} IS NULL))",
                l = format!("{left}.{}", c.name),
                r = format!("{right}.{}", c.name),
            ),
            (Dialect::Oracle, _) => format!(
                "DECODE({left}.{c}, {right}.{c}, 0, 1) = 1",
                c = c.name
            ),
            _ => format!("{left}.{c} IS DISTINCT FROM {right}.{c}", c = c.name),
        })
        .collect();
    match (parts.is_empty(), dialect) {
        // Oracle SQL has no boolean literal (before 23ai).
        (true, Dialect::Oracle) => "1 = 0".into(),
        (true, _) => "FALSE".into(),
        (false, _) => parts.join("\n     OR "),
    }
}

/// The statements that merge one staged table into its `DW_` table. The run id and the
/// publish time are SQL expressions ([`MergeParams`]): literals when the pipeline runs them,
/// named parameters in the script of `marina-etl sql` (same text otherwise).
#[derive(Clone, Debug)]
pub struct MergeStatements {
    /// Live rows that the delete step would soft-delete (for the mass-delete guard).
    pub count_deletes: String,
    /// Live rows before the merge (the guard's denominator).
    pub count_live: String,
    /// All rows and soft-deleted rows before the merge, in one scan: which merge steps
    /// can change anything.
    pub count_rows: String,
    /// Soft-deleted rows whose key is back (counted before the update steps).
    pub count_undeletes: String,
    /// New keys: inserted with both audit timestamps set to the publish time.
    pub insert_new: String,
    /// Keys whose contract values changed: values, `DW_LAST_UPDATED`, run id; clears the delete mark.
    pub update_changed: String,
    /// Soft-deleted keys that came back unchanged: clears the delete mark only.
    pub undelete_unchanged: String,
    /// Live keys absent from the snapshot: soft-deleted.
    pub soft_delete: String,
}

/// A timestamp literal in the dialect.
pub fn timestamp_literal(dialect: Dialect, ts: chrono::NaiveDateTime) -> String {
    let text = ts.format("%Y-%m-%d %H:%M:%S%.6f");
    match dialect {
        Dialect::Oracle => format!("TO_TIMESTAMP('{text}', 'YYYY-MM-DD HH24:MI:SS.FF6')"),
        _ => format!("TIMESTAMP '{text}'"),
    }
}

/// The run id and publish time of a merge, as SQL expressions of the dialect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeParams {
    /// An integer expression: the run that makes the change (`DW_RUN_ID`).
    pub run_id: String,
    /// A timestamp expression: the publish time (audit timestamps), one per snapshot.
    pub published_at: String,
}

impl MergeParams {
    /// Literal values, as the pipeline runs the merge.
    pub fn literal(dialect: Dialect, run_id: i64, published_at: chrono::NaiveDateTime) -> Self {
        MergeParams { run_id: run_id.to_string(), published_at: timestamp_literal(dialect, published_at) }
    }
}

/// Builds the merge statements of a table with literal values (the pipeline's form); see
/// [`merge_statements_with`].
pub fn merge_statements(
    dialect: Dialect,
    table: &Table,
    run_id: i64,
    published_at: chrono::NaiveDateTime,
    with_held_keys: bool,
) -> MergeStatements {
    merge_statements_with(dialect, table, &MergeParams::literal(dialect, run_id, published_at), with_held_keys)
}

/// Builds the merge statements of a table. `with_held_keys` adds the guard that keeps
/// the keys of rejected rows from being soft-deleted. The pipeline and the script of
/// `marina-etl sql` both come through here, so they cannot drift apart.
pub fn merge_statements_with(
    dialect: Dialect,
    table: &Table,
    params: &MergeParams,
    with_held_keys: bool,
) -> MergeStatements {
    let dw = table.dw_name();
    let stg = table.staging_name();
    let now = &params.published_at;
    let run_id = &params.run_id;
    let cols: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let col_list = cols.join(", ");
    let s_cols = cols.iter().map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ");
    let in_stg = format!("EXISTS (SELECT 1 FROM {stg} s WHERE {})", key_match(dialect, table, "s", "d"));
    let held = if with_held_keys {
        format!(
            "\n   AND NOT EXISTS (SELECT 1 FROM {} h WHERE {})",
            held_keys_name(table),
            key_match(dialect, table, "h", "d")
        )
    } else {
        String::new()
    };
    let absent = format!("d.{DW_DELETED_AT} IS NULL\n   AND NOT {in_stg}{held}");
    let set_values = table
        .value_columns()
        .map(|c| format!("{c} = s.{c}", c = c.name))
        .collect::<Vec<_>>();
    let differ = values_differ(dialect, table, "d", "s");
    let update_changed = match dialect {
        Dialect::Oracle => format!(
            "MERGE INTO {dw} d\nUSING {stg} s\n   ON ({on})\nWHEN MATCHED THEN UPDATE SET\n  {sets}{comma}\
             d.{DW_LAST_UPDATED} = {now}, d.{DW_DELETED_AT} = NULL, d.{DW_RUN_ID} = {run_id}\n  WHERE {differ}",
            on = key_match(dialect, table, "d", "s"),
            sets = set_values.iter().map(|s| format!("d.{s}")).collect::<Vec<_>>().join(",\n  "),
            comma = if set_values.is_empty() { "" } else { ",\n  " },
        ),
        _ => format!(
            "UPDATE {dw} d SET\n  {sets}{comma}{DW_LAST_UPDATED} = {now}, {DW_DELETED_AT} = NULL, {DW_RUN_ID} = {run_id}\n\
             FROM {stg} s\nWHERE {on}\n  AND ({differ})",
            sets = set_values.join(",\n  "),
            comma = if set_values.is_empty() { "" } else { ",\n  " },
            on = key_match(dialect, table, "d", "s"),
        ),
    };
    MergeStatements {
        count_deletes: format!("SELECT COUNT(*) FROM {dw} d\n WHERE {absent}"),
        count_live: format!("SELECT COUNT(*) FROM {dw} WHERE {DW_DELETED_AT} IS NULL"),
        count_rows: format!("SELECT COUNT(*), COUNT({DW_DELETED_AT}) FROM {dw}"),
        count_undeletes: format!("SELECT COUNT(*) FROM {dw} d\n WHERE d.{DW_DELETED_AT} IS NOT NULL\n   AND {in_stg}"),
        insert_new: format!(
            "INSERT INTO {dw} ({col_list}, {DW_LAST_INSERTED}, {DW_LAST_UPDATED}, {DW_DELETED_AT}, {DW_RUN_ID})\n\
             SELECT {s_cols}, {now}, {now}, NULL, {run_id}\n  FROM {stg} s\n WHERE NOT EXISTS (SELECT 1 FROM {dw} d WHERE {})",
            key_match(dialect, table, "d", "s")
        ),
        update_changed,
        undelete_unchanged: format!(
            "UPDATE {dw} d SET {DW_DELETED_AT} = NULL, {DW_RUN_ID} = {run_id}\n WHERE d.{DW_DELETED_AT} IS NOT NULL\n   AND {in_stg}"
        ),
        soft_delete: format!(
            "UPDATE {dw} d SET {DW_DELETED_AT} = {now}, {DW_RUN_ID} = {run_id}\n WHERE {absent}"
        ),
    }
}
