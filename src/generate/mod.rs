//! Placeholder until the generator lands.
use crate::catalog::System;
use std::path::PathBuf;
pub struct GenerateOptions { pub out: PathBuf, pub scale: f64, pub seed: u64, pub date: chrono::NaiveDate, pub days: u32 }
impl Default for GenerateOptions {
    fn default() -> Self { GenerateOptions { out: "demo-data".into(), scale: 1.0, seed: 42, date: chrono::NaiveDate::from_ymd_opt(2025, 12, 21).unwrap(), days: 1 } }
}
pub struct GeneratedSnapshot { pub system: System, pub path: PathBuf, pub rows: u64 }
pub struct GenerateSummary { pub snapshots: Vec<GeneratedSnapshot>, pub rows_per_table: Vec<(System, String, u64)>, pub location_subsidiary: Vec<(i64, i64)> }
pub fn generate(_opts: &GenerateOptions) -> anyhow::Result<GenerateSummary> { anyhow::bail!("the generator is not built yet") }
