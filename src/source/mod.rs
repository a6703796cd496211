//! Where snapshots come from: a location (an S3 bucket/prefix or a local folder that
//! behaves exactly like one), the rule that picks each system's newest snapshot, and the
//! local copy of the chosen archive that decoding reads.

pub mod archive;
pub mod s3;
pub mod workdir;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectMeta, ObjectStore};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::catalog::System;
use crate::config::S3Settings;
use archive::ArchiveKind;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("location {url} is not usable: {reason}")]
    BadLocation { url: String, reason: &'static str },
    #[error("location {url} is not usable: {source}")]
    Credentials {
        url: String,
        #[source]
        source: s3::CredentialError,
    },
    #[error("location {url} is not usable: {source}")]
    Store {
        url: String,
        #[source]
        source: object_store::Error,
    },
    #[error("bucket '{bucket}' does not exist (location {url})")]
    NoBucket { bucket: String, url: String },
    #[error("access to {url} denied ({code}): check the credentials and what they are allowed to read")]
    Denied { url: String, code: String },
    #[error("cannot list {url}: {reason}")]
    List { url: String, reason: String },
    #[error("no snapshot under {url} (expected {expected})")]
    NoSnapshot { url: String, expected: &'static str },
    #[error("{object} vanished between listing and reading (deleted or renamed); nothing was loaded")]
    Vanished { object: String },
    #[error("{object} was replaced between listing and reading; nothing was loaded")]
    Changed { object: String },
    #[error("{object} is truncated: got {got} of {expected} bytes; nothing was loaded")]
    Truncated { object: String, got: u64, expected: u64 },
    #[error("cannot read {object}: {reason}")]
    Fetch { object: String, reason: String },
    #[error("cannot copy {object} to local disk: {source}")]
    Download {
        object: String,
        #[source]
        source: std::io::Error,
    },
}

/// A place snapshots are dropped: one object store and a prefix inside it.
#[derive(Clone, Debug)]
pub struct Location {
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: Option<ObjectPath>,
    /// For a local folder, the folder itself: archives are read in place.
    local_root: Option<PathBuf>,
    /// For S3, the bucket name (for messages).
    bucket: Option<String>,
}

/// One archive object in a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotObject {
    /// Key of the object inside its store (`20251221050003.zip`, `exports/x.zip`).
    pub key: String,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
    /// The store's version tag of the object as listed: a download is pinned to it.
    pub e_tag: Option<String>,
    /// Its last-modified time was in the future; `last_modified` is when it was seen.
    pub clock_ahead: bool,
}

/// A snapshot archive readable on local disk, with its content checksum.
#[derive(Debug)]
pub struct LocalSnapshot {
    pub path: PathBuf,
    /// SHA-256 of the archive bytes, hex.
    pub checksum: String,
    /// Keeps a downloaded copy alive until the snapshot is loaded.
    _download: Option<tempfile::TempPath>,
}

impl Location {
    /// Parses `s3://bucket/prefix`, `file:///path` or a plain path.
    pub fn parse(url: &str, s3: &S3Settings) -> Result<Self, SourceError> {
        let bad = |reason: &'static str| SourceError::BadLocation { url: url.to_string(), reason };
        let store_err = |source| SourceError::Store { url: url.to_string(), source };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("no bucket name"));
            }
            let builder = s3.builder().map_err(|source| SourceError::Credentials { url: url.to_string(), source })?;
            let store = builder.with_bucket_name(bucket).build().map_err(store_err)?;
            let prefix = prefix.trim_matches('/');
            return Ok(Location {
                url: url.to_string(),
                store: Arc::new(store),
                prefix: (!prefix.is_empty()).then(|| ObjectPath::from(prefix)),
                local_root: None,
                bucket: Some(bucket.to_string()),
            });
        }
        let path = match url.strip_prefix("file://") {
            Some(p) => PathBuf::from(p),
            None if url.contains("://") => return Err(bad("unsupported scheme (use s3://, file:// or a path)")),
            None => PathBuf::from(url),
        };
        if !path.is_dir() {
            return Err(bad("the folder does not exist"));
        }
        let store = LocalFileSystem::new_with_prefix(&path).map_err(store_err)?;
        Ok(Location { url: url.to_string(), store: Arc::new(store), prefix: None, local_root: Some(path), bucket: None })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The object as a person would name it: the location URL joined with the key.
    pub fn describe(&self, key: &str) -> String {
        let base = self.url.trim_end_matches('/');
        match &self.prefix {
            Some(p) => format!("{base}/{}", key.strip_prefix(p.as_ref()).unwrap_or(key).trim_start_matches('/')),
            None => format!("{base}/{key}"),
        }
    }

    /// Lists the candidate archives of `system` (paginated by the store client).
    pub async fn candidates(&self, system: System) -> Result<Vec<SnapshotObject>, SourceError> {
        let list_err = |e: object_store::Error| self.store_error(&e);
        let objects: Vec<ObjectMeta> = match system {
            // MOLO drops its zips anywhere under the prefix.
            System::Molo => self.store.list(self.prefix.as_ref()).try_collect().await.map_err(list_err)?,
            System::Stellar | System::NetSuite => {
                self.store.list_with_delimiter(self.prefix.as_ref()).await.map_err(list_err)?.objects
            }
        };
        let now = Utc::now();
        Ok(objects
            .into_iter()
            .filter(|o| is_snapshot_name(system, o.location.filename().unwrap_or("")))
            .map(|o| {
                // A clock that runs ahead must not freeze the choice on one object: a time
                // in the future counts as now.
                let clock_ahead = o.last_modified > now + FUTURE_TOLERANCE;
                let last_modified = if clock_ahead {
                    tracing::warn!(
                        "{} has a last-modified time in the future ({}); taken as now",
                        self.describe(o.location.as_ref()),
                        o.last_modified.format("%Y-%m-%d %H:%M:%S UTC")
                    );
                    now
                } else {
                    o.last_modified
                };
                SnapshotObject { key: o.location.to_string(), size: o.size, last_modified, e_tag: o.e_tag, clock_ahead }
            })
            .collect())
    }

    /// The newest snapshot of `system`: latest last-modified time, ties broken by the
    /// later key name. An object whose time is in the future counts as seen now, or, once
    /// loaded, as seen when it was (`seen` gives that time for a key and size): so it never
    /// hides a newer export.
    pub async fn newest(
        &self,
        system: System,
        seen: impl Fn(&str, u64) -> Option<DateTime<Utc>>,
    ) -> Result<SnapshotObject, SourceError> {
        self.candidates(system)
            .await?
            .into_iter()
            .map(|mut o| {
                if o.clock_ahead && let Some(at) = seen(&o.key, o.size) {
                    o.last_modified = at;
                }
                o
            })
            .max_by(|a, b| a.last_modified.cmp(&b.last_modified).then_with(|| a.key.cmp(&b.key)))
            .ok_or_else(|| SourceError::NoSnapshot { url: self.url.clone(), expected: expected_name(system) })
    }

    /// Says what a failed listing means: no such bucket, access denied, or the store's
    /// own words in one line.
    fn store_error(&self, e: &object_store::Error) -> SourceError {
        match s3::classify(e) {
            s3::StoreFailure::NoBucket => {
                SourceError::NoBucket { bucket: self.bucket.clone().unwrap_or_default(), url: self.url.clone() }
            }
            s3::StoreFailure::Denied(code) => SourceError::Denied { url: self.url.clone(), code },
            s3::StoreFailure::NotFound if self.local_root.is_none() => {
                SourceError::NoBucket { bucket: self.bucket.clone().unwrap_or_default(), url: self.url.clone() }
            }
            s3::StoreFailure::NotFound => SourceError::BadLocation { url: self.url.clone(), reason: "the folder does not exist" },
            s3::StoreFailure::Changed => SourceError::List { url: self.url.clone(), reason: "precondition failed".into() },
            s3::StoreFailure::Other(reason) => SourceError::List { url: self.url.clone(), reason },
        }
    }

    /// Makes the archive readable on local disk (a local folder is read in place; a
    /// remote object is streamed into a file in `temp_dir`, since ZIP needs random
    /// access) and computes its checksum. The download is pinned to the listed version
    /// of the object and must have the listed size: a partial or replaced object is
    /// never handed on.
    pub async fn fetch(&self, object: &SnapshotObject, temp_dir: &Path) -> Result<LocalSnapshot, SourceError> {
        let described = self.describe(&object.key);
        let copy_err = |source| SourceError::Download { object: described.clone(), source };
        let read_err = |e: &object_store::Error| match s3::classify(e) {
            s3::StoreFailure::NotFound => SourceError::Vanished { object: described.clone() },
            s3::StoreFailure::Changed => SourceError::Changed { object: described.clone() },
            s3::StoreFailure::NoBucket => {
                SourceError::NoBucket { bucket: self.bucket.clone().unwrap_or_default(), url: self.url.clone() }
            }
            s3::StoreFailure::Denied(code) => SourceError::Denied { url: described.clone(), code },
            s3::StoreFailure::Other(reason) => SourceError::Fetch { object: described.clone(), reason },
        };
        if let Some(root) = &self.local_root {
            let path = root.join(&object.key);
            // Reading in place blocks this thread only: each source runs on its own thread.
            let (checksum, size) = file_checksum(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => SourceError::Vanished { object: described.clone() },
                _ => copy_err(e),
            })?;
            if size != object.size {
                return Err(SourceError::Changed { object: described.clone() });
            }
            return Ok(LocalSnapshot { path, checksum, _download: None });
        }
        let location = ObjectPath::from(object.key.as_str());
        let options = GetOptions { if_match: object.e_tag.clone(), ..GetOptions::default() };
        let result = self.store.get_opts(&location, options).await.map_err(|e| read_err(&e))?;
        let temp = tempfile::Builder::new()
            .prefix("snapshot-")
            .tempfile_in(temp_dir)
            .map_err(copy_err)?
            .into_temp_path();
        let mut file = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::create(&temp).await.map_err(copy_err)?);
        let mut hasher = Sha256::new();
        let mut written = 0u64;
        let mut stream = result.into_stream();
        // Chunks are hashed and written as they arrive: memory stays at a few chunks
        // whatever the archive's size.
        while let Some(chunk) = stream.try_next().await.map_err(|e| read_err(&e))? {
            hasher.update(&chunk);
            written += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(copy_err)?;
        }
        file.flush().await.map_err(copy_err)?;
        if written != object.size {
            return Err(SourceError::Truncated { object: described, got: written, expected: object.size });
        }
        Ok(LocalSnapshot { path: temp.to_path_buf(), checksum: hex(&hasher.finalize()), _download: Some(temp) })
    }
}

/// How far ahead of this machine's clock a last-modified time may be before it is taken
/// for a wrong clock.
const FUTURE_TOLERANCE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The export time a snapshot's name carries: MOLO `YYYYMMDDHHMMSS` (anywhere in the file
/// name), Stellar `YYYY-MM-DD_HH_MM`, NetSuite `YYYYMMDD`. `None` for a name without one.
pub fn export_time(system: System, key: &str) -> Option<chrono::NaiveDateTime> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match system {
        System::Molo => (0..name.len().saturating_sub(13))
            .filter_map(|i| name.get(i..i + 14))
            .find(|w| digits(w, 14))
            .and_then(|w| chrono::NaiveDateTime::parse_from_str(w, "%Y%m%d%H%M%S").ok()),
        System::Stellar => (0..name.len().saturating_sub(15))
            .filter_map(|i| name.get(i..i + 16))
            .find_map(|w| chrono::NaiveDateTime::parse_from_str(w, "%Y-%m-%d_%H_%M").ok()),
        System::NetSuite => name
            .strip_prefix("netsuite_")
            .and_then(|r| r.strip_suffix(".zip"))
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y%m%d").ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
    }
}

/// The archive kind a system delivers.
pub fn archive_kind(system: System) -> ArchiveKind {
    match system {
        System::Molo | System::NetSuite => ArchiveKind::Zip,
        System::Stellar => ArchiveKind::TarGz,
    }
}

fn expected_name(system: System) -> &'static str {
    match system {
        System::Molo => "a .zip anywhere under the prefix",
        System::Stellar => "a key ending -DATA.sql.gz directly in the prefix",
        System::NetSuite => "netsuite_YYYYMMDD.zip directly in the prefix",
    }
}

/// Whether an object's file name is a snapshot of `system`.
pub fn is_snapshot_name(system: System, name: &str) -> bool {
    match system {
        System::Molo => name.to_ascii_lowercase().ends_with(".zip"),
        System::Stellar => name.ends_with("-DATA.sql.gz"),
        System::NetSuite => name
            .strip_prefix("netsuite_")
            .and_then(|r| r.strip_suffix(".zip"))
            .is_some_and(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit())),
    }
}

/// SHA-256 (hex) and length of a file.
fn file_checksum(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = std::io::Read::read(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex(&hasher.finalize()), size))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_per_system() {
        assert!(is_snapshot_name(System::Molo, "20251221050003.zip"));
        assert!(is_snapshot_name(System::Molo, "X.ZIP"));
        assert!(!is_snapshot_name(System::Molo, "x.zip.part"));
        assert!(is_snapshot_name(System::Stellar, "prod_resilient_2025-12-21_07_01-DATA.sql.gz"));
        assert!(!is_snapshot_name(System::Stellar, "prod-data.sql.gz"));
        assert!(is_snapshot_name(System::NetSuite, "netsuite_20251221.zip"));
        assert!(!is_snapshot_name(System::NetSuite, "netsuite_2025122.zip"));
        assert!(!is_snapshot_name(System::NetSuite, "netsuite_latest.zip"));
    }

    #[test]
    fn export_times_from_names() {
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok();
        assert_eq!(export_time(System::Molo, "exports/20251221050003.zip"), at("2025-12-21 05:00:03"));
        assert_eq!(export_time(System::Molo, "molo_20251221050003_full.zip"), at("2025-12-21 05:00:03"));
        assert_eq!(export_time(System::Molo, "a.zip"), None);
        assert_eq!(export_time(System::Stellar, "prod_resilient_2025-12-21_07_01-DATA.sql.gz"), at("2025-12-21 07:01:00"));
        assert_eq!(export_time(System::NetSuite, "netsuite_20251221.zip"), at("2025-12-21 00:00:00"));
        assert_eq!(export_time(System::NetSuite, "netsuite_20251341.zip"), None);
    }
}
