//! One query's result as one Parquet file (zstd), written to a local temporary file, then
//! uploaded to the export's store in parts.
//!
//! DuckDB writes the file itself (`COPY ... TO ... (FORMAT PARQUET)`, its Parquet writer
//! compiled in by the duckdb crate's `parquet` feature): it streams a result to the file
//! within its memory limit, where the driver's Arrow interface holds a view's whole result
//! first (the two took about the same time). PostgreSQL's rows come as Arrow record batches
//! that arrow-rs `parquet` encodes batch by batch, so memory holds about one batch and one
//! part, whatever the size of the table.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::record_batch::RecordBatch;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::ExportError;
use crate::warehouse::{quote, BatchSink, Dialect, Session};

/// Bytes per uploaded part.
const PART_BYTES: usize = 8 << 20;

/// What a written file holds.
pub struct Written {
    pub rows: u64,
    pub schema: SchemaRef,
}

/// A [`BatchSink`] into a Parquet writer over a temporary file.
struct ParquetSink {
    file: Option<File>,
    writer: Option<ArrowWriter<File>>,
    schema: Option<SchemaRef>,
    rows: u64,
    error: Option<parquet::errors::ParquetError>,
}

impl BatchSink for ParquetSink {
    fn schema(&mut self, schema: SchemaRef) -> bool {
        let props = WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default())).build();
        let file = self.file.take().expect("one schema per query");
        match ArrowWriter::try_new(file, schema.clone(), Some(props)) {
            Ok(w) => {
                self.writer = Some(w);
                self.schema = Some(schema);
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    fn batch(&mut self, batch: RecordBatch) -> bool {
        let Some(writer) = self.writer.as_mut() else { return false };
        self.rows += batch.num_rows() as u64;
        match writer.write(&batch) {
            Ok(()) => true,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }
}

/// Writes the result of `sql` to `path` in `store`, through the local `file`, which stays
/// (the caller removes it). The object appears whole or not at all (the store's multipart
/// upload completes at once: a rename on local disk, the completion of the upload on S3).
pub fn write_query(
    s: &mut dyn Session,
    dialect: Dialect,
    sql: &str,
    file: &Path,
    store: &dyn ObjectStore,
    path: &ObjectPath,
    runtime: &tokio::runtime::Runtime,
) -> Result<Written, ExportError> {
    let written = match dialect {
        Dialect::DuckDb => copy_in_warehouse(s, sql, file, path)?,
        Dialect::Postgres | Dialect::Oracle => encode_batches(s, sql, File::create(file).map_err(ExportError::Temp)?, path)?,
    };
    upload(file, store, path, runtime)?;
    Ok(written)
}

/// DuckDB's own writer; the rows and the schema are then read from the file's footer, so the
/// manifest describes the file as any reader will see it.
fn copy_in_warehouse(s: &mut dyn Session, sql: &str, file: &Path, path: &ObjectPath) -> Result<Written, ExportError> {
    s.execute(&format!("COPY ({sql}) TO {} (FORMAT PARQUET, COMPRESSION ZSTD)", quote(&file.to_string_lossy())))?;
    let parquet_err = |source| ExportError::Parquet { path: path.to_string(), source };
    let footer = ArrowReaderMetadata::load(&File::open(file).map_err(ExportError::Temp)?, ArrowReaderOptions::new()).map_err(parquet_err)?;
    let rows = u64::try_from(footer.metadata().file_metadata().num_rows()).unwrap_or_default();
    Ok(Written { rows, schema: footer.schema().clone() })
}

/// arrow-rs's writer over the session's record batches.
fn encode_batches(s: &mut dyn Session, sql: &str, file: File, path: &ObjectPath) -> Result<Written, ExportError> {
    let mut sink = ParquetSink { file: Some(file), writer: None, schema: None, rows: 0, error: None };
    s.query_batches(sql, &mut sink)?;
    if let Some(e) = sink.error {
        return Err(ExportError::Parquet { path: path.to_string(), source: e });
    }
    let (Some(writer), Some(schema)) = (sink.writer, sink.schema) else {
        return Err(ExportError::NoResult(path.to_string()));
    };
    writer.close().map_err(|source| ExportError::Parquet { path: path.to_string(), source })?;
    Ok(Written { rows: sink.rows, schema })
}

/// Uploads the finished local `file` to `path`, a part at a time.
fn upload(file: &Path, store: &dyn ObjectStore, path: &ObjectPath, runtime: &tokio::runtime::Runtime) -> Result<(), ExportError> {
    let store_err = |source| ExportError::Store { path: path.to_string(), source };
    runtime.block_on(async {
        let mut upload = WriteMultipart::new_with_chunk_size(store.put_multipart(path).await.map_err(store_err)?, PART_BYTES);
        let mut file = File::open(file).map_err(ExportError::Temp)?;
        let mut buf = vec![0u8; PART_BYTES];
        loop {
            let n = file.read(&mut buf).map_err(ExportError::Temp)?;
            if n == 0 {
                break;
            }
            upload.wait_for_capacity(2).await.map_err(store_err)?;
            upload.write(&buf[..n]);
        }
        upload.finish().await.map_err(store_err)?;
        Ok(())
    })
}
