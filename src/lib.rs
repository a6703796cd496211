//! marina-etl keeps a marina company's analytics warehouse in step with the daily
//! snapshots of its source systems (MOLO, Stellar, NetSuite).
//!
//! The modules follow the path of the data:
//! - [`source`]: where snapshots come from (locations, discovery, archives);
//! - [`decode`]: how bytes become typed rows (CSV, value conversion, rejects);
//! - [`warehouse`]: where rows go (staging, merge, views, run ledger tables);
//! - [`run`]: one run of the pipeline, watched by the ledger and reported at the end;
//!   [`schedule`] shares the cores between its sources;
//! - [`html_report`]: what the managers read, a self-contained page drawn from the views.

pub mod as_of;
pub mod cli;
pub mod check;
pub mod config;
pub mod doctor;
pub mod export;
pub mod fault;
pub mod generate;
pub mod html_report;
pub mod logging;
pub mod notify;
pub mod metrics;
pub mod replay;
pub mod report;
pub mod run;
pub mod schedule;
pub mod serve;
pub mod source;
pub mod sql_script;
pub mod views;
pub mod warehouse;

// The catalog and the decoder live in their own crate (no DuckDB: it can be fuzzed);
// their paths stay `crate::catalog` and `crate::decode`.
pub use marina_decode::{catalog, decode};
