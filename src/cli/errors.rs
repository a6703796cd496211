//! How a command ends: the exit code each kind of error means.


use super::exit;
use crate::run::{self};
use crate::warehouse::{self};

/// The kind of an error decides the exit code (see [`exit`]): the configuration or the
/// command line at fault is 2, a failure of the work is 1.
pub trait ExitStatus: std::fmt::Display {
    fn exit_code(&self) -> i32;
}

impl ExitStatus for crate::config::ConfigError {
    fn exit_code(&self) -> i32 {
        exit::USAGE
    }
}

impl ExitStatus for warehouse::WarehouseError {
    fn exit_code(&self) -> i32 {
        if self.is_configuration() { exit::USAGE } else { exit::SOURCE_FAILED }
    }
}

impl ExitStatus for warehouse::schema::SchemaError {
    fn exit_code(&self) -> i32 {
        match self {
            warehouse::schema::SchemaError::Warehouse(e) => e.exit_code(),
            warehouse::schema::SchemaError::ForeignTable { .. } => exit::USAGE,
        }
    }
}

impl ExitStatus for run::RunError {
    fn exit_code(&self) -> i32 {
        if self.is_usage() { exit::USAGE } else { exit::SOURCE_FAILED }
    }
}

/// A query of a person that the warehouse refused or could not run: the query is at fault
/// (exit code 2), unless the warehouse itself is unusable or unreachable.
#[derive(Debug)]
pub struct QueryFailed(pub(super) warehouse::WarehouseError);

impl std::fmt::Display for QueryFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            // The context would repeat the query; the engine's reason is what matters.
            warehouse::WarehouseError::Sql { reason, .. } => write!(f, "the query failed: {reason}"),
            other => other.fmt(f),
        }
    }
}

impl ExitStatus for QueryFailed {
    fn exit_code(&self) -> i32 {
        match &self.0 {
            warehouse::WarehouseError::Sql { .. } => exit::USAGE,
            other => other.exit_code(),
        }
    }
}

/// How a command ends when it does not end with an exit code of its own.
#[derive(Debug)]
pub enum CliError {
    /// One line for the person at the terminal, and the exit code it means.
    Failed { message: String, code: i32 },
    /// The reader of the output went away (`| head`): a normal end.
    OutputClosed,
}

impl CliError {
    pub(super) fn new(code: i32, message: impl std::fmt::Display) -> Self {
        CliError::Failed { message: message.to_string(), code }
    }
}

impl<E: ExitStatus> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::new(e.exit_code(), e)
    }
}
