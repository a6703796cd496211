//! What the catalog alone drives, on both backends: the staging and `DW_` tables and the
//! merge of a table whose columns are SQL reserved words (names are quoted), and a table
//! that the generator writes from its catalog entry (no hand-written generator) loaded
//! from a generated snapshot.

mod common;

use std::sync::Arc;

use chrono::NaiveDate;
use common::{Backend, Env};
use ::duckdb::arrow::array::{ArrayRef, Date32Array, Decimal128Array, Int64Array, StringArray};
use ::duckdb::arrow::record_batch::RecordBatch;
use marina_etl::catalog::{Catalog, Column, ColumnType, System, Table};
use marina_etl::decode::staging_schema;
use marina_etl::generate::{generate, GenerateOptions};
use marina_etl::warehouse::merge::{merge_table, plan_merge, MergeCounts};
use marina_etl::warehouse::sql::{create_dw_table, create_held_keys_table, held_keys_name, key_list, Dialect};
use marina_etl::warehouse::{self, staging, Session};

fn column(name: &str, ty: ColumnType, key: bool) -> Column {
    Column { name: name.into(), header: Some(name.to_lowercase()), ty, key }
}

/// A table built here, not taken from the shipped catalog: every column a reserved word.
fn reserved_words_table() -> Table {
    Table {
        system: System::Molo,
        name: "reserved_words".into(),
        file: "ReservedWordSet.csv".into(),
        columns: vec![
            column("ORDER", ColumnType::Int, true),
            column("USER", ColumnType::Text { max_chars: Some(20) }, false),
            column("SELECT", ColumnType::Decimal { precision: 10, scale: 2 }, false),
            column("GROUP", ColumnType::Date, false),
        ],
        history: false,
    }
}

/// One staged row: ORDER, USER, SELECT in cents, GROUP as a day of June 2025.
type Row = (i64, &'static str, i128, u32);

/// The staging batch of `rows` (arrays in the order of the staging schema, then ETL_LINE).
fn batch(table: &Table, rows: &[Row]) -> RecordBatch {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let day = |d: u32| (NaiveDate::from_ymd_opt(2025, 6, d).unwrap() - epoch).num_days() as i32;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>())),
        Arc::new(StringArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())),
        Arc::new(Decimal128Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>()).with_precision_and_scale(10, 2).unwrap()),
        Arc::new(Date32Array::from(rows.iter().map(|r| day(r.3)).collect::<Vec<_>>())),
        Arc::new(Int64Array::from((2..rows.len() as i64 + 2).collect::<Vec<_>>())),
    ];
    RecordBatch::try_new(staging_schema(table), columns).unwrap()
}

/// Stages `rows` (and the `held` keys of rejected rows) and merges them as run `run_id`,
/// its update in `parts` by key when given.
fn stage_and_merge(s: &mut dyn Session, d: Dialect, table: &Table, run_id: i64, rows: &[Row], held: &[i64], parts: Option<u64>) -> MergeCounts {
    for stmt in staging::replace_statements(d, table) {
        s.execute(&stmt).unwrap();
    }
    s.execute(&create_dw_table(d, table)).unwrap();
    s.append(&table.staging_name(), batch(table, rows)).unwrap();
    if !held.is_empty() {
        s.execute(&create_held_keys_table(d, table)).unwrap();
        let keys = RecordBatch::try_from_iter([("ORDER", Arc::new(Int64Array::from(held.to_vec())) as ArrayRef)]).unwrap();
        s.append(&held_keys_name(table), keys).unwrap();
    }
    // The lead's staging SQL groups by the key list: it must work on reserved words too.
    let stg = d.ident(&table.staging_name());
    let keys = key_list(d, table);
    let groups = s.query_i64(&format!("SELECT COUNT(*) FROM (SELECT {keys} FROM {stg} GROUP BY {keys}) k")).unwrap();
    assert_eq!(groups, rows.len() as i64);
    let at = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap().and_hms_opt(5, 0, run_id as u32).unwrap();
    let mut plan = plan_merge(s, d, table, rows.len() as u64, !held.is_empty()).unwrap();
    plan.update_parts = parts.unwrap_or(plan.update_parts);
    merge_table(s, d, table, run_id, at, &plan).unwrap()
}

fn reserved_words_go_through_staging_and_the_merge(backend: Backend) {
    let env = Env::new(backend);
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    let d = wh.dialect();
    let mut s = wh.session().unwrap();
    let table = reserved_words_table();

    let first = stage_and_merge(s.as_mut(), d, &table, 1, &[(1, "ann", 150, 1), (2, "bob", 275, 2), (3, "cy", 0, 3), (4, "di", 10, 4)], &[], None);
    assert_eq!(first, MergeCounts { inserted: 4, ..MergeCounts::default() });

    // 1 unchanged, 2 changed, 3 gone, 4 gone but held by a rejected row, 5 new.
    let second = stage_and_merge(s.as_mut(), d, &table, 2, &[(1, "ann", 150, 1), (2, "bo", 275, 9), (5, "ed", -5, 5)], &[4], None);
    assert_eq!(second, MergeCounts { inserted: 1, updated: 1, unchanged: 1, deleted: 1, undeleted: 0 });

    let q = |c: &str| d.ident(c);
    let rows = s
        .query_rows(&format!(
            "SELECT {o}, {u}, CAST({s} AS VARCHAR), CAST({g} AS VARCHAR), DW_RUN_ID, \
                    CASE WHEN DW_DELETED_AT IS NULL THEN 'live' ELSE 'deleted' END \
               FROM DW_MOLO_RESERVED_WORDS ORDER BY {o}",
            o = q("ORDER"),
            u = q("USER"),
            s = q("SELECT"),
            g = q("GROUP"),
        ))
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.into_iter().map(Option::unwrap_or_default).collect::<Vec<_>>().join("|"))
        .collect::<Vec<_>>();
    assert_eq!(
        rows,
        [
            "1|ann|1.50|2025-06-01|1|live",
            "2|bo|2.75|2025-06-09|2|live",
            "3|cy|0.00|2025-06-03|2|deleted",
            "4|di|0.10|2025-06-04|1|live",
            "5|ed|-0.05|2025-06-05|2|live",
        ]
    );
}

/// A wide table's update runs in parts by key on DuckDB (see `update_parts`): each changed
/// row is updated once, whatever part its key hashes to, and no unchanged row is.
#[test]
fn an_update_in_parts_by_key_changes_each_changed_row_once() {
    let env = Env::new(Backend::DuckDb);
    let wh = warehouse::open(&env.config.warehouse).unwrap();
    let d = wh.dialect();
    let mut s = wh.session().unwrap();
    let table = reserved_words_table();
    let rows: Vec<Row> = (1..=60).map(|i| (i, "same", i128::from(i), 1)).collect();
    let first = stage_and_merge(s.as_mut(), d, &table, 1, &rows, &[], None);
    assert_eq!(first.inserted, 60);
    let changed: Vec<Row> = rows.iter().map(|&(k, u, v, g)| if k % 3 == 0 { (k, "changed", v, g) } else { (k, u, v, g) }).collect();
    let second = stage_and_merge(s.as_mut(), d, &table, 2, &changed, &[], Some(4));
    assert_eq!(second, MergeCounts { updated: 20, unchanged: 40, ..MergeCounts::default() });
    let updated = s
        .query_rows(&format!("SELECT {o} FROM DW_MOLO_RESERVED_WORDS WHERE {u} = 'changed' AND DW_RUN_ID = 2 ORDER BY 1", o = d.ident("ORDER"), u = d.ident("USER")))
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r[0].clone().unwrap().parse::<i64>().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(updated, (1..=20).map(|i| i * 3).collect::<Vec<_>>());
}

/// A snapshot from `marina-etl generate` loads without rejects, and equipment, which has
/// no hand-written generator, arrives with every generated row.
fn a_table_generated_from_the_catalog_alone_loads(backend: Backend) {
    let env = Env::new(backend);
    let opts = GenerateOptions { out: env.dir.path().to_path_buf(), scale: 0.01, ..GenerateOptions::default() };
    let summary = generate(&opts).unwrap();
    let generated = |name: &str| summary.rows_per_table.iter().find(|(s, t, _)| *s == System::Molo && t == name).unwrap().2;
    assert!(generated("equipment") > 0);

    let r = env.run(&["molo"]);
    assert_eq!(r.exit_code(), 0, "{:?}", r.sources[0].message);
    let n = generated("equipment");
    assert_eq!(env.table_counts(r.run_id, "equipment"), format!("published|{n}|{n}|0|{n}|0|0|0|0"));
    assert_eq!(env.count("SELECT COUNT(*) FROM DW_MOLO_EQUIPMENT WHERE DW_DELETED_AT IS NULL"), n as i64);
    assert_eq!(env.count("SELECT COUNT(*) FROM ETL_REJECTS"), 0, "every generated value converts to its type");
    // Every MOLO table of the catalog was in the snapshot and loaded every row.
    for t in Catalog::get().tables_of(System::Molo) {
        let n = generated(&t.name);
        assert_eq!(env.count(&format!("SELECT COUNT(*) FROM {}", t.dw_name())), n as i64, "{}", t.name);
    }
}

backend_tests!(reserved_words_go_through_staging_and_the_merge, a_table_generated_from_the_catalog_alone_loads);
