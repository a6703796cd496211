//! Where snapshots come from: a location (an S3 bucket/prefix or a local folder that
//! behaves exactly like one), the rule that picks each system's newest snapshot, and the
//! local copy of the chosen archive that decoding reads.

pub mod archive;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::catalog::System;
use crate::config::S3Settings;
use archive::ArchiveKind;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("location {url} is not usable: {reason}")]
    BadLocation { url: String, reason: String },
    #[error("cannot list {url}: {reason}")]
    List { url: String, reason: String },
    #[error("no snapshot under {url} (expected {expected})")]
    NoSnapshot { url: String, expected: &'static str },
    #[error("cannot read {object}: {reason}")]
    Fetch { object: String, reason: String },
}

/// A place snapshots are dropped: one object store and a prefix inside it.
#[derive(Clone, Debug)]
pub struct Location {
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: Option<ObjectPath>,
    /// For a local folder, the folder itself: archives are read in place.
    local_root: Option<PathBuf>,
}

/// One archive object in a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotObject {
    /// Key of the object inside its store (`20251221050003.zip`, `exports/x.zip`).
    pub key: String,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
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
        let bad = |reason: String| SourceError::BadLocation { url: url.to_string(), reason };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("no bucket name".into()));
            }
            let store = s3.builder().with_bucket_name(bucket).build().map_err(|e| bad(e.to_string()))?;
            let prefix = prefix.trim_matches('/');
            return Ok(Location {
                url: url.to_string(),
                store: Arc::new(store),
                prefix: (!prefix.is_empty()).then(|| ObjectPath::from(prefix)),
                local_root: None,
            });
        }
        let path = match url.strip_prefix("file://") {
            Some(p) => PathBuf::from(p),
            None if url.contains("://") => return Err(bad("unsupported scheme (use s3://, file:// or a path)".into())),
            None => PathBuf::from(url),
        };
        if !path.is_dir() {
            return Err(bad("the folder does not exist".into()));
        }
        let store = LocalFileSystem::new_with_prefix(&path).map_err(|e| bad(e.to_string()))?;
        Ok(Location { url: url.to_string(), store: Arc::new(store), prefix: None, local_root: Some(path) })
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
        let list_err = |e: object_store::Error| SourceError::List { url: self.url.clone(), reason: e.to_string() };
        let objects: Vec<ObjectMeta> = match system {
            // MOLO drops its zips anywhere under the prefix.
            System::Molo => self.store.list(self.prefix.as_ref()).try_collect().await.map_err(list_err)?,
            System::Stellar | System::NetSuite => {
                self.store.list_with_delimiter(self.prefix.as_ref()).await.map_err(list_err)?.objects
            }
        };
        Ok(objects
            .into_iter()
            .filter(|o| is_snapshot_name(system, o.location.filename().unwrap_or("")))
            .map(|o| SnapshotObject { key: o.location.to_string(), size: o.size, last_modified: o.last_modified })
            .collect())
    }

    /// The newest snapshot of `system`: latest last-modified time, ties broken by the
    /// later key name.
    pub async fn newest(&self, system: System) -> Result<SnapshotObject, SourceError> {
        self.candidates(system)
            .await?
            .into_iter()
            .max_by(|a, b| a.last_modified.cmp(&b.last_modified).then_with(|| a.key.cmp(&b.key)))
            .ok_or_else(|| SourceError::NoSnapshot { url: self.url.clone(), expected: expected_name(system) })
    }

    /// Makes the archive readable on local disk (a local folder is read in place; a
    /// remote object is downloaded into `temp_dir`) and computes its checksum.
    pub async fn fetch(&self, object: &SnapshotObject, temp_dir: &Path) -> Result<LocalSnapshot, SourceError> {
        let fetch_err = |reason: String| SourceError::Fetch { object: self.describe(&object.key), reason };
        if let Some(root) = &self.local_root {
            let path = root.join(&object.key);
            // Reading in place blocks this thread only: each source runs on its own thread.
            let checksum = file_checksum(&path).map_err(|e| fetch_err(e.to_string()))?;
            return Ok(LocalSnapshot { path, checksum, _download: None });
        }
        let location = ObjectPath::from(object.key.as_str());
        let result = self.store.get(&location).await.map_err(|e| fetch_err(e.to_string()))?;
        let temp = tempfile::Builder::new()
            .prefix("snapshot-")
            .tempfile_in(temp_dir)
            .map_err(|e| fetch_err(e.to_string()))?
            .into_temp_path();
        let mut file = tokio::fs::File::create(&temp).await.map_err(|e| fetch_err(e.to_string()))?;
        let mut hasher = Sha256::new();
        let mut written = 0u64;
        let mut stream = result.into_stream();
        while let Some(chunk) = stream.try_next().await.map_err(|e| fetch_err(e.to_string()))? {
            hasher.update(&chunk);
            written += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(|e| fetch_err(e.to_string()))?;
        }
        file.flush().await.map_err(|e| fetch_err(e.to_string()))?;
        if written != object.size {
            return Err(fetch_err(format!("got {written} of {} bytes", object.size)));
        }
        Ok(LocalSnapshot { path: temp.to_path_buf(), checksum: hex(&hasher.finalize()), _download: Some(temp) })
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

fn file_checksum(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = std::io::Read::read(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl S3Settings {
    /// An S3 client builder: the standard AWS environment first, then configuration.
    pub fn builder(&self) -> AmazonS3Builder {
        let mut b = AmazonS3Builder::from_env();
        if let Some(region) = &self.region {
            b = b.with_region(region);
        }
        if let Some(endpoint) = &self.endpoint {
            b = b.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
            if endpoint.starts_with("http://") && is_loopback(endpoint) {
                b = b.with_allow_http(true);
            }
        }
        if self.allow_http {
            b = b.with_allow_http(true);
        }
        b
    }
}

fn is_loopback(endpoint: &str) -> bool {
    url::Url::parse(endpoint).ok().and_then(|u| u.host_str().map(str::to_string)).is_some_and(|h| {
        h == "localhost" || h == "[::1]" || h.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
    })
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
}
