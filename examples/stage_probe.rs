//! Measures one table's decode alone and decode + append into DuckDB (development probe).
//! usage: stage_probe FILE.csv SYSTEM TABLE [DB]
use std::time::Instant;
use marina_etl::catalog::Catalog;
use marina_etl::warehouse;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let table = Catalog::get().table(args[2].parse().unwrap(), &args[3]).unwrap();
    let t = Instant::now();
    let mut sink = |_b| Ok(());
    let d = marina_etl::decode::decode_table(table, std::fs::File::open(&args[1]).unwrap(), &mut sink, &mut |_| {}).unwrap();
    println!("decode only: {} rows in {:.2}s", d.rows_read, t.elapsed().as_secs_f64());
    let url = format!("duckdb://{}", args.get(4).map(String::as_str).unwrap_or(":memory:"));
    let wh = warehouse::open(&url).unwrap();
    let mut s = wh.session().unwrap();
    for stmt in warehouse::replace_staging_statements(warehouse::Dialect::DuckDb, table) { s.execute(&stmt).unwrap(); }
    let t = Instant::now();
    s.execute("BEGIN TRANSACTION").unwrap();
    let name = table.staging_name();
    let mut sink = |b| s.append(&name, b).map_err(|e| e.to_string());
    let d = marina_etl::decode::decode_table(table, std::fs::File::open(&args[1]).unwrap(), &mut sink, &mut |_| {}).unwrap();
    s.execute("COMMIT").unwrap();
    println!("decode + append: {} rows in {:.2}s", d.rows_read, t.elapsed().as_secs_f64());
}
