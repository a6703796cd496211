//! What can go wrong in a run, as types that keep their cause: the kind of failure decides
//! the exit code and the message.

use std::path::PathBuf;
use std::time::Duration;

use crate::decode::DecodeError;
use crate::fault::Injected;
use crate::source::archive::ArchiveError;
use crate::source::SourceError;
use crate::warehouse::merge::DuplicateKeys;
use crate::warehouse::schema::SchemaError;
use crate::warehouse::WarehouseError;

/// A run that could not start (or whose warehouse failed outside any one source).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("source '{0}' is not configured")]
    UnknownSource(String),
    #[error("cannot start the run's worker threads: {0}")]
    Runtime(#[source] std::io::Error),
    /// Another run holds the warehouse's run lock.
    /// The rule file of the checks cannot be used.
    #[error(transparent)]
    Rules(#[from] crate::check::RuleFileError),
    #[error("another run is in progress on this warehouse{}; not started (use --wait-lock DURATION to wait for it)",
        .waited.map(|w| format!(" (waited {})", humantime::format_duration(w))).unwrap_or_default())]
    Locked { waited: Option<Duration> },
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

impl RunError {
    /// Whether the person asked for something the configuration cannot give (exit 2)
    /// rather than something failing while it ran (exit 1).
    pub fn is_usage(&self) -> bool {
        match self {
            RunError::UnknownSource(_) | RunError::Rules(_) => true,
            RunError::Warehouse(e) | RunError::Schema(SchemaError::Warehouse(e)) => e.is_configuration(),
            // Another tool's table where the pipeline keeps its own: the configuration
            // points at the wrong warehouse, or someone must move that table away.
            RunError::Schema(SchemaError::ForeignTable { .. }) => true,
            RunError::Runtime(_) | RunError::Locked { .. } => false,
        }
    }
}

/// Why a whole source was not published.
#[derive(Debug, thiserror::Error)]
pub enum SourceFailure {
    #[error(transparent)]
    Location(#[from] SourceError),
    #[error("snapshot {snapshot}: {source}")]
    Archive {
        snapshot: String,
        #[source]
        source: ArchiveError,
    },
    #[error("cannot create a temporary folder in {}: {source}", .folder.display())]
    TempFolder {
        folder: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error("snapshot {snapshot}: no member of the archive is a table of the catalog (members: {members})")]
    NoKnownMember { snapshot: String, members: String },
    #[error("not published: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    TablesFailed(Vec<TableFailure>),
    #[error("publish failed, nothing changed: {0}")]
    Publish(#[source] PublishError),
    #[error(transparent)]
    Injected(#[from] Injected),
    /// SIGTERM or SIGINT arrived before the source began to publish.
    #[error("stopped by {signal} before it was published; nothing of it changed")]
    Stopped { signal: &'static str },
}

/// A table that cannot be published, and why.
#[derive(Debug, thiserror::Error)]
#[error("{table}: {problem}")]
pub struct TableFailure {
    pub table: String,
    pub problem: TableProblem,
}

/// Why one table cannot be published.
#[derive(Debug, thiserror::Error)]
pub enum TableProblem {
    #[error("{0} row(s) rejected with an unreadable natural key")]
    KeyRejects(u64),
    #[error("{rejected} of {read} rows rejected, more than the {}% allowed", .ratio * 100.0)]
    TooManyRejects { rejected: u64, read: u64, ratio: f64 },
    #[error("would delete {would_delete} of {live} live rows, more than the {}% guard (use --allow-mass-delete)", .ratio * 100.0)]
    MassDelete { would_delete: u64, live: u64, ratio: f64 },
    #[error("{member}: {source}")]
    Decode {
        member: String,
        #[source]
        source: DecodeError,
    },
    #[error("{member} vanished from the archive")]
    Vanished { member: String },
    #[error("the archive holds {} members for this table ({}); which one is the export is not known", .members.len(), .members.join(", "))]
    SeveralMembers { members: Vec<String> },
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
}

/// A failure inside the publish transaction (which then rolled back).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{table}: {source}")]
    Merge {
        table: String,
        #[source]
        source: WarehouseError,
    },
    /// The merge left two live rows with one key: rolled back, since every later merge
    /// and every view would count them twice.
    #[error("{table}: {duplicates}; nothing of this source was published (remove the extra rows from {dw_table} by hand)")]
    DuplicateLiveKeys { table: String, dw_table: String, duplicates: DuplicateKeys },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error(transparent)]
    Injected(#[from] Injected),
    /// A blocking data-quality rule failed on the merged data.
    #[error("blocking check failed: {0}")]
    BlockingCheck(String),
    /// The grace period after SIGTERM or SIGINT ran out during the publish.
    #[error("interrupted: the grace period after {signal} ran out")]
    Interrupted { signal: &'static str },
}
