//! The part of marina-etl that turns bytes into typed rows, kept apart from the warehouse
//! so that it builds (and can be fuzzed) without DuckDB:
//! - [`catalog`]: which tables each source system exports, with columns, types and keys;
//! - [`decode`]: CSV records, value conversion and rejects.
//!
//! The main crate re-exports both modules as `marina_etl::catalog` and `marina_etl::decode`.

pub mod catalog;
pub mod decode;
