//! Records kept by name, such as game session queues: configuration a studio creates through
//! the control API and expects to survive restarts. [`NamedStore`] is the interface; this
//! server's own [`FileNamedStore`] keeps a kind's records in one file of the data directory,
//! and a fleet of hosts shares them in its Redis store ([`RedisNamedStore`]). A record is
//! stored as the API describes it, serialized with serde; the control API's handlers check
//! the input before, so the stores take records as they are.

mod file;
mod redis;

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use file::FileNamedStore;
pub use redis::RedisNamedStore;

/// A record kept by name.
pub trait Named: Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// What the records are, for messages: `game session queue`.
    const KIND: &'static str;

    /// Its name, unique among the records of its kind.
    fn name(&self) -> &str;
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NamedError {
    /// No record has this name.
    #[error("no {kind} matches {name}")]
    NotFound {
        /// What the records are.
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// A record has this name already.
    #[error("a {kind} named {name} exists already")]
    Duplicate {
        /// What the records are.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// The most records of the kind are stored already.
    #[error("{max} {kind}s are stored, the most this server keeps; delete one first")]
    LimitExceeded {
        /// What the records are.
        kind: &'static str,
        /// The most.
        max: usize,
    },
    /// The file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done: `read`, `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The store failed or could not be reached; the call may be retried.
    #[error("the store failed: {0}")]
    Internal(String),
}

impl NamedError {
    fn not_found<T: Named>(name: &str) -> Self {
        Self::NotFound {
            kind: T::KIND,
            name: name.to_owned(),
        }
    }
}

/// A change to a record, applied by [`NamedStore::update`] to the record as it is stored.
pub type Change<'a, T> = &'a (dyn Fn(&mut T) + Send + Sync);

/// The records of one kind, wherever they are kept. Each change is one atomic step of the
/// store, so the count `create` checks is the count it adds to, and an update applies to the
/// record it read.
#[async_trait]
pub trait NamedStore<T: Named>: Send + Sync {
    /// Stores a new record, unless one has its name or the store holds its most.
    async fn create(&self, record: T) -> Result<(), NamedError>;

    /// The record with this name, if any.
    async fn get(&self, name: &str) -> Result<Option<T>, NamedError>;

    /// Every record, by name.
    async fn list(&self) -> Result<Vec<T>, NamedError>;

    /// Applies `change` to a record; returns it as changed.
    async fn update(&self, name: &str, change: Change<'_, T>) -> Result<T, NamedError>;

    /// Removes a record.
    async fn delete(&self, name: &str) -> Result<(), NamedError>;
}
