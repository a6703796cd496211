//! SQL text generated from the catalog: table DDL and the merge statements.
//!
//! One merge engine for every backend: the statements are the same set-based SQL, and a
//! [`Dialect`] changes only spelling (types, upsert syntax, identifier quoting) where a
//! backend needs it.
//!
//! Statements are put together from small builders ([`CreateTable`], [`ident_list`],
//! [`key_list`], [`CountQuery`]) rather than by editing generated text, and every table
//! or column name taken from the catalog goes through [`Dialect::ident`], so a column
//! named `ORDER` or `USER` is as good as any other.

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
    /// A table or column name as a quoted identifier, so that reserved words (`ORDER`,
    /// `USER`, `SELECT`) work as names.
    ///
    /// The quoted form is the name the backend gives the unquoted spelling, so hand-written
    /// SQL (the views, the ledger, `query`) that writes the name bare still finds it:
    /// PostgreSQL folds unquoted names to lower case, Oracle to upper case, and DuckDB
    /// keeps the spelling (and matches names case-insensitively, quoted or not).
    pub fn ident(self, name: &str) -> String {
        let folded = match self {
            Dialect::Postgres => name.to_lowercase(),
            Dialect::Oracle => name.to_uppercase(),
            Dialect::DuckDb => name.to_string(),
        };
        format!("\"{}\"", folded.replace('"', "\"\""))
    }

    /// `alias."NAME"`: a column of a table alias.
    pub fn qualified(self, alias: &str, name: &str) -> String {
        format!("{alias}.{}", self.ident(name))
    }

    /// The column type of a contract type.
    ///
    /// Text is where the dialects differ in what they can do with a value, and the rule is
    /// the same for every table: a text with a length (`text(n)`, [`compared_text`]) is
    /// comparable everywhere: `NVARCHAR2(n)` on Oracle (n in characters, at most 2000),
    /// `VARCHAR(n)` on PostgreSQL, `VARCHAR` on DuckDB; a text without one ([`FREE_TEXT`]) is
    /// long free text (notes, descriptions, memos, messages), an `NCLOB` on Oracle, which
    /// Oracle refuses in comparisons, joins, `GROUP BY`, `DISTINCT`, `ORDER BY`, `UNION` and
    /// keys: no view or query may use such a column that way (`tests/oracle_static.rs`
    /// checks the script). The decoder rejects a value longer than its column, so the
    /// backends hold the same rows.
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

    /// The type of a column of a table the pipeline writes itself (the run ledger, check
    /// results, counts), by the rule of [`Dialect::column_type`], except that text carries
    /// its length only on Oracle, where a text must have one to be compared. On DuckDB and
    /// PostgreSQL these columns stay unbounded: the pipeline writes what it observed (an
    /// archive key, a member name, a host), and a name longer than expected must not make
    /// the run fail to record itself.
    pub fn pipeline_column_type(self, ty: ColumnType) -> String {
        match (self, ty) {
            (Dialect::DuckDb | Dialect::Postgres, ColumnType::Text { .. }) => self.column_type(FREE_TEXT),
            _ => self.column_type(ty),
        }
    }

    /// A statement that refreshes the planner's statistics of a table just bulk-loaded,
    /// where the backend needs one: PostgreSQL would otherwise plan the merge for an
    /// empty staging table. Only the key columns, which the merge joins on, are sampled
    /// (a wide table takes over a second to analyze whole).
    pub fn analyze(self, table: &str, keys: &[&str]) -> Option<String> {
        (self == Dialect::Postgres).then(|| format!("ANALYZE {} ({})", self.ident(table), ident_list(self, keys.iter().copied())))
    }

    fn int_type(self) -> String {
        self.column_type(ColumnType::Int)
    }
}

/// Long free text, stored whole and shown, never compared, grouped, sorted or joined:
/// `NCLOB` on Oracle (see [`Dialect::column_type`]).
pub const FREE_TEXT: ColumnType = ColumnType::Text { max_chars: None };

/// The longest `NVARCHAR2` of an Oracle database without extended string sizes
/// (`MAX_STRING_SIZE = STANDARD`, the default): 4,000 bytes of AL16UTF16.
pub const ORACLE_MAX_NVARCHAR2: u32 = 2000;

/// A text the pipeline or a view compares, groups, sorts or joins on (a status, a name, a
/// code, a key): at most `max_chars` characters (at most [`ORACLE_MAX_NVARCHAR2`]), so that
/// Oracle can compare it (`NVARCHAR2`, not `NCLOB`).
pub const fn compared_text(max_chars: u32) -> ColumnType {
    assert!(max_chars >= 1 && max_chars <= ORACLE_MAX_NVARCHAR2, "an NVARCHAR2 holds 1 to 2000 characters");
    ColumnType::Text { max_chars: Some(max_chars) }
}

/// The type of a catalog column in the dialect. Oracle cannot compare an `NCLOB` with `=`,
/// so an unbounded text column that is part of the natural key is an `NVARCHAR2(2000)` there
/// (the longest `NVARCHAR2` without extended string sizes); the catalog gives every key a
/// length, so this is a guard, not a rule.
pub fn column_sql_type(dialect: Dialect, column: &Column) -> String {
    match (dialect, column.ty, column.key) {
        (Dialect::Oracle, ColumnType::Text { max_chars: None }, true) => format!("NVARCHAR2({ORACLE_MAX_NVARCHAR2})"),
        (_, ty, _) => dialect.column_type(ty),
    }
}

/// `"A", "B", "C"`: names as a comma-separated list of identifiers.
pub fn ident_list<'a>(d: Dialect, names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().map(|n| d.ident(n)).collect::<Vec<_>>().join(", ")
}

/// `s."A", s."B"`: names as a list of columns of a table alias.
pub fn qualified_list<'a>(d: Dialect, alias: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().map(|n| d.qualified(alias, n)).collect::<Vec<_>>().join(", ")
}

/// The contract columns of a table, in catalog order, as an identifier list.
pub fn column_list(d: Dialect, table: &Table) -> String {
    ident_list(d, table.columns.iter().map(|c| c.name.as_str()))
}

/// The natural-key columns of a table, in catalog order, as an identifier list (for
/// `GROUP BY`, `PARTITION BY`, `ORDER BY` or a `SELECT` of the keys).
pub fn key_list(d: Dialect, table: &Table) -> String {
    ident_list(d, table.key_columns().map(|c| c.name.as_str()))
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
    let name = dialect.ident(name);
    match dialect {
        Dialect::Oracle => oracle_ignoring(-942, &format!("DROP TABLE {name}")),
        _ => format!("DROP TABLE IF EXISTS {name}"),
    }
}

/// What a [`CreateTable`] makes besides an ordinary table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TableKind {
    Plain,
    /// Rebuilt from the archive on every run. PostgreSQL's unlogged tables skip the
    /// write-ahead log; after a crash they come back empty, which costs a staging table
    /// nothing, since the next run replaces it anyway.
    Scratch,
    /// Oracle's global temporary table whose rows last for the session.
    SessionTemporary,
    /// A table of this connection alone, gone when it closes: never written to the
    /// database's log, so making one costs no commit to disk (Oracle: as `SessionTemporary`).
    ConnectionTemporary,
}

/// A `CREATE TABLE` statement, put together column by column; names are quoted with
/// [`Dialect::ident`].
///
/// ```
/// # use marina_etl::warehouse::sql::{CreateTable, Dialect};
/// let sql = CreateTable::new(Dialect::Postgres, "T").column("ORDER", "BIGINT").if_missing().sql();
/// assert_eq!(sql, "CREATE TABLE IF NOT EXISTS \"t\" (\n  \"order\" BIGINT\n)");
/// ```
#[derive(Clone, Debug)]
pub struct CreateTable {
    dialect: Dialect,
    name: String,
    kind: TableKind,
    if_missing: bool,
    /// Column definitions, each `"NAME" TYPE [constraints]`.
    columns: Vec<String>,
}

impl CreateTable {
    pub fn new(dialect: Dialect, name: &str) -> Self {
        CreateTable { dialect, name: name.to_string(), kind: TableKind::Plain, if_missing: false, columns: Vec::new() }
    }

    /// A table rebuilt on every run (unlogged on PostgreSQL).
    pub fn scratch(mut self) -> Self {
        self.kind = TableKind::Scratch;
        self
    }

    /// An Oracle global temporary table whose rows stay until the session ends.
    pub fn session_temporary(mut self) -> Self {
        self.kind = TableKind::SessionTemporary;
        self
    }

    /// A table of this connection alone (`CREATE TEMP TABLE`), for a comparison that one
    /// session makes and reads.
    pub fn connection_temporary(mut self) -> Self {
        self.kind = TableKind::ConnectionTemporary;
        self
    }

    /// Does nothing when the table exists (on Oracle, through [`oracle_ignoring`]).
    pub fn if_missing(mut self) -> Self {
        self.if_missing = true;
        self
    }

    /// A column of the given SQL type.
    pub fn column(self, name: &str, sql_type: &str) -> Self {
        self.constrained_column(name, sql_type, "")
    }

    /// A column of the given SQL type with constraints (`NOT NULL PRIMARY KEY`).
    pub fn constrained_column(mut self, name: &str, sql_type: &str, constraints: &str) -> Self {
        let mut def = format!("{} {sql_type}", self.dialect.ident(name));
        if !constraints.is_empty() {
            def.push(' ');
            def.push_str(constraints);
        }
        self.columns.push(def);
        self
    }

    /// Columns of a table the pipeline writes itself, with their types in the dialect
    /// ([`Dialect::pipeline_column_type`]): [`compared_text`] for what is compared,
    /// [`FREE_TEXT`] for what is only stored and shown.
    pub fn pipeline_columns(self, columns: &[(&str, ColumnType)]) -> Self {
        columns.iter().fold(self, |t, (name, ty)| {
            let sql_type = t.dialect.pipeline_column_type(*ty);
            t.column(name, &sql_type)
        })
    }

    /// Catalog columns, with their types in the dialect ([`column_sql_type`]).
    pub fn catalog_columns<'a>(self, columns: impl IntoIterator<Item = &'a Column>) -> Self {
        columns.into_iter().fold(self, |t, c| {
            let ty = column_sql_type(t.dialect, c);
            t.column(&c.name, &ty)
        })
    }

    /// The bookkeeping columns of a `DW_` table: audit timestamps, soft-delete mark, run id.
    pub fn audit_columns(self) -> Self {
        let int = self.dialect.int_type();
        self.column(DW_LAST_INSERTED, "TIMESTAMP")
            .column(DW_LAST_UPDATED, "TIMESTAMP")
            .column(DW_DELETED_AT, "TIMESTAMP")
            .column(DW_RUN_ID, &int)
    }

    /// The statement.
    pub fn sql(&self) -> String {
        let d = self.dialect;
        let create = match (self.kind, d) {
            (TableKind::Scratch, Dialect::Postgres) => "CREATE UNLOGGED TABLE",
            (TableKind::SessionTemporary, _) | (TableKind::ConnectionTemporary, Dialect::Oracle) => "CREATE GLOBAL TEMPORARY TABLE",
            (TableKind::ConnectionTemporary, _) => "CREATE TEMP TABLE",
            _ => "CREATE TABLE",
        };
        let guard = if self.if_missing && d != Dialect::Oracle { " IF NOT EXISTS" } else { "" };
        let global_temporary = create == "CREATE GLOBAL TEMPORARY TABLE";
        let suffix = if global_temporary { " ON COMMIT PRESERVE ROWS" } else { "" };
        let sql = format!("{create}{guard} {} (\n  {}\n){suffix}", d.ident(&self.name), self.columns.join(",\n  "));
        if self.if_missing && d == Dialect::Oracle { oracle_ignoring(-955, &sql) } else { sql }
    }
}

/// `CREATE TABLE` of the staging table (contract columns, then [`ETL_LINE`]).
pub fn create_staging_table(dialect: Dialect, table: &Table) -> String {
    CreateTable::new(dialect, &table.staging_name())
        .scratch()
        .catalog_columns(&table.columns)
        .column(ETL_LINE, &dialect.int_type())
        .sql()
}

/// `CREATE TABLE IF NOT EXISTS` of the merged table (contract columns, then bookkeeping).
pub fn create_dw_table(dialect: Dialect, table: &Table) -> String {
    CreateTable::new(dialect, &table.dw_name()).if_missing().catalog_columns(&table.columns).audit_columns().sql()
}

/// Name of the table that holds the keys of rejected rows while a snapshot is merged:
/// a rejected row is not in staging, but its key must not be soft-deleted.
pub fn held_keys_name(table: &Table) -> String {
    format!("{}__HELD_KEYS", table.staging_name())
}

/// `CREATE TABLE` of the held-keys table (the key columns only).
pub fn create_held_keys_table(dialect: Dialect, table: &Table) -> String {
    CreateTable::new(dialect, &held_keys_name(table)).scratch().catalog_columns(table.key_columns()).sql()
}

/// Key equality that treats NULL as a value (key columns may be NULL-able).
pub fn key_match(dialect: Dialect, table: &Table, left: &str, right: &str) -> String {
    table
        .key_columns()
        .map(|c| {
            let (l, r) = (dialect.qualified(left, &c.name), dialect.qualified(right, &c.name));
            match dialect {
                Dialect::Oracle => format!("({l} = {r} OR ({l} IS NULL AND {r} IS NULL))"),
                // PostgreSQL joins `IS NOT DISTINCT FROM` only by nested loops (quadratic on a
                // snapshot); two equalities of expressions hash-join and mean the same: the
                // NULL flags agree, and the values agree with NULL read as a stand-in value
                // (which the flags tell apart from a real value equal to it).
                Dialect::Postgres => format!(
                    "COALESCE({l}, {s}) = COALESCE({r}, {s}) AND ({l} IS NULL) = ({r} IS NULL)",
                    s = null_stand_in(c.ty)
                ),
                Dialect::DuckDb => format!("{l} IS NOT DISTINCT FROM {r}"),
            }
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
        .map(|c| {
            let (l, r) = (dialect.qualified(left, &c.name), dialect.qualified(right, &c.name));
            match (dialect, column_sql_type(dialect, c).as_str()) {
                // DECODE (and `<>`) refuse LOBs; DBMS_LOB.COMPARE is NULL when either side is.
                (Dialect::Oracle, "NCLOB") => format!(
                    "(DBMS_LOB.COMPARE({l}, {r}) <> 0 OR ({l} IS NULL AND {r} IS NOT NULL) OR ({l} IS NOT NULL AND {r} IS NULL))"
                ),
                (Dialect::Oracle, _) => format!("DECODE({l}, {r}, 0, 1) = 1"),
                _ => format!("{l} IS DISTINCT FROM {r}"),
            }
        })
        .collect();
    match (parts.is_empty(), dialect) {
        // Oracle SQL has no boolean literal (before 23ai).
        (true, Dialect::Oracle) => "1 = 0".into(),
        (true, _) => "FALSE".into(),
        (false, _) => parts.join("\n     OR "),
    }
}

/// `SELECT COUNT(*) FROM ...`: a count over a `FROM`/`WHERE` clause, which PL/SQL can also
/// select into a variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountQuery {
    /// What follows `FROM`: the table, its alias and the condition.
    from: String,
}

impl CountQuery {
    fn new(from: String) -> Self {
        CountQuery { from }
    }

    /// The query.
    pub fn sql(&self) -> String {
        format!("SELECT COUNT(*) FROM {}", self.from)
    }

    /// The query as PL/SQL that stores the count in `variable`.
    pub fn into_variable(&self, variable: &str) -> String {
        format!("SELECT COUNT(*) INTO {variable} FROM {}", self.from)
    }
}

/// Live (not soft-deleted) rows of the `DW_` table of `table`.
pub fn count_live(d: Dialect, table: &Table) -> CountQuery {
    CountQuery::new(format!("{} WHERE {} IS NULL", d.ident(&table.dw_name()), d.ident(DW_DELETED_AT)))
}

/// Keys held by more than one live row of the `DW_` table of `table` (at most `shown` of
/// them, in key order): the key columns, the rows holding each key, and how many keys are
/// held twice in all. A correct merge never leaves any.
pub fn duplicate_live_keys(d: Dialect, table: &Table, shown: usize) -> String {
    let keys = key_list(d, table);
    format!(
        "SELECT {keys}, COUNT(*), COUNT(*) OVER () FROM {} GROUP BY {keys} HAVING COUNT(*) > 1 ORDER BY {keys} LIMIT {shown}",
        count_live(d, table).from
    )
}

/// The statements that merge one staged table into its `DW_` table. The run id and the
/// publish time are SQL expressions ([`MergeParams`]): literals when the pipeline runs them,
/// named parameters in the script of `marina-etl sql` (same text otherwise).
#[derive(Clone, Debug)]
pub struct MergeStatements {
    /// Live rows that the delete step would soft-delete (for the mass-delete guard).
    pub count_deletes: CountQuery,
    /// Live rows before the merge (the guard's denominator).
    pub count_live: CountQuery,
    /// All rows and soft-deleted rows before the merge, in one scan: which merge steps
    /// can change anything.
    pub count_rows: String,
    /// Soft-deleted rows whose key is back (counted before the update steps).
    pub count_undeletes: CountQuery,
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
    let d = dialect;
    let dw = d.ident(&table.dw_name());
    let stg = d.ident(&table.staging_name());
    let now = &params.published_at;
    let run_id = &params.run_id;
    let names = || table.columns.iter().map(|c| c.name.as_str());
    let (last_inserted, last_updated) = (d.ident(DW_LAST_INSERTED), d.ident(DW_LAST_UPDATED));
    let (deleted_at, run_col) = (d.ident(DW_DELETED_AT), d.ident(DW_RUN_ID));
    let d_deleted_at = d.qualified("d", DW_DELETED_AT);
    let in_stg = format!("EXISTS (SELECT 1 FROM {stg} s WHERE {})", key_match(d, table, "s", "d"));
    let held = if with_held_keys {
        format!(
            "\n   AND NOT EXISTS (SELECT 1 FROM {} h WHERE {})",
            d.ident(&held_keys_name(table)),
            key_match(d, table, "h", "d")
        )
    } else {
        String::new()
    };
    let absent = format!("{d_deleted_at} IS NULL\n   AND NOT {in_stg}{held}");
    let differ = values_differ(d, table, "d", "s");
    let on = key_match(d, table, "d", "s");
    // `"A" = s."A"` per value column; Oracle's MERGE qualifies the target too.
    let target = |c: &str| if d == Dialect::Oracle { d.qualified("d", c) } else { d.ident(c) };
    let sets: Vec<String> = table
        .value_columns()
        .map(|c| format!("{} = {}", target(&c.name), d.qualified("s", &c.name)))
        .chain([
            format!("{} = {now}", target(DW_LAST_UPDATED)),
            format!("{} = NULL", target(DW_DELETED_AT)),
            format!("{} = {run_id}", target(DW_RUN_ID)),
        ])
        .collect();
    // The bookkeeping assignments share one line, after one line per value column.
    let (values, audit) = sets.split_at(sets.len() - 3);
    let set_clause = values.iter().cloned().chain([audit.join(", ")]).collect::<Vec<_>>().join(",\n  ");
    let update_changed = match d {
        Dialect::Oracle => format!(
            "MERGE INTO {dw} d\nUSING {stg} s\n   ON ({on})\nWHEN MATCHED THEN UPDATE SET\n  {set_clause}\n  WHERE {differ}"
        ),
        _ => format!("UPDATE {dw} d SET\n  {set_clause}\nFROM {stg} s\nWHERE {on}\n  AND ({differ})"),
    };
    MergeStatements {
        count_deletes: CountQuery::new(format!("{dw} d\n WHERE {absent}")),
        count_live: count_live(d, table),
        count_rows: format!("SELECT COUNT(*), COUNT({deleted_at}) FROM {dw}"),
        count_undeletes: CountQuery::new(format!("{dw} d\n WHERE {d_deleted_at} IS NOT NULL\n   AND {in_stg}")),
        insert_new: format!(
            "INSERT INTO {dw} ({}, {last_inserted}, {last_updated}, {deleted_at}, {run_col})\n\
             SELECT {}, {now}, {now}, NULL, {run_id}\n  FROM {stg} s\n WHERE NOT EXISTS (SELECT 1 FROM {dw} d WHERE {on})",
            ident_list(d, names()),
            qualified_list(d, "s", names()),
        ),
        update_changed,
        undelete_unchanged: format!(
            "UPDATE {dw} d SET {deleted_at} = NULL, {run_col} = {run_id}\n WHERE {d_deleted_at} IS NOT NULL\n   AND {in_stg}"
        ),
        soft_delete: format!("UPDATE {dw} d SET {deleted_at} = {now}, {run_col} = {run_id}\n WHERE {absent}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_as_each_backend_folds_bare_names() {
        assert_eq!(Dialect::DuckDb.ident("ORDER"), "\"ORDER\"");
        assert_eq!(Dialect::Postgres.ident("ORDER"), "\"order\"");
        assert_eq!(Dialect::Oracle.ident("order"), "\"ORDER\"");
        assert_eq!(Dialect::DuckDb.ident("A\"B"), "\"A\"\"B\"");
        assert_eq!(Dialect::Postgres.qualified("s", "USER"), "s.\"user\"");
    }

    #[test]
    fn compared_text_is_comparable_on_oracle_and_free_text_is_a_lob() {
        let (label, free) = (compared_text(32), FREE_TEXT);
        assert_eq!(Dialect::Oracle.column_type(label), "NVARCHAR2(32)");
        assert_eq!(Dialect::Oracle.column_type(free), "NCLOB");
        assert_eq!(Dialect::Postgres.column_type(label), "VARCHAR(32)");
        assert_eq!(Dialect::DuckDb.column_type(label), "VARCHAR");
        // The pipeline's own tables keep the length on Oracle only.
        assert_eq!(Dialect::Oracle.pipeline_column_type(label), "NVARCHAR2(32)");
        assert_eq!(Dialect::Postgres.pipeline_column_type(label), "VARCHAR");
        assert_eq!(Dialect::Postgres.pipeline_column_type(ColumnType::Int), "BIGINT");
        let ddl = CreateTable::new(Dialect::Oracle, "T").pipeline_columns(&[("S", label), ("M", free)]).sql();
        assert_eq!(ddl, "CREATE TABLE \"T\" (\n  \"S\" NVARCHAR2(32),\n  \"M\" NCLOB\n)");
    }

    #[test]
    fn create_table_spells_scratch_and_if_missing_per_dialect() {
        let t = |d| CreateTable::new(d, "T").column("A", "INT");
        assert_eq!(t(Dialect::DuckDb).scratch().sql(), "CREATE TABLE \"T\" (\n  \"A\" INT\n)");
        assert_eq!(t(Dialect::Postgres).scratch().sql(), "CREATE UNLOGGED TABLE \"t\" (\n  \"a\" INT\n)");
        assert_eq!(t(Dialect::DuckDb).if_missing().sql(), "CREATE TABLE IF NOT EXISTS \"T\" (\n  \"A\" INT\n)");
        let oracle = t(Dialect::Oracle).if_missing().sql();
        assert!(oracle.contains("EXECUTE IMMEDIATE 'CREATE TABLE \"T\" (\n  \"A\" INT\n)'") && oracle.contains("-955"), "{oracle}");
        let gtt = t(Dialect::Oracle).session_temporary().constrained_column("B", "INT", "NOT NULL").sql();
        assert_eq!(gtt, "CREATE GLOBAL TEMPORARY TABLE \"T\" (\n  \"A\" INT,\n  \"B\" INT NOT NULL\n) ON COMMIT PRESERVE ROWS");
    }
}
