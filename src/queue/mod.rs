//! Game session queues (control-api.md §2.8), kept behind the [`QueueStore`] trait: this
//! server's own [`FileQueueStore`] keeps them in one file of the data directory, and a fleet
//! of hosts shares them in its Redis store ([`RedisQueueStore`]). A queue is stored as the
//! API describes it ([`GameSessionQueue`]), keyed by its name; the control API's handlers
//! check the input before, so the stores take queues as they are.

mod file;
mod redis;

use std::path::PathBuf;

use async_trait::async_trait;

pub use file::FileQueueStore;
pub use redis::RedisQueueStore;

use crate::api::queues::{GameSessionQueue, UpdateGameSessionQueueInput};

/// Most queues stored at once; beyond it, creating one fails with
/// [`QueueError::LimitExceeded`]. GameLift has a per-account quota too.
pub const MAX_QUEUES: usize = 100;

/// Why a queue store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// No queue has this name.
    #[error("no game session queue matches {0}")]
    NotFound(String),
    /// A queue has this name already.
    #[error("a game session queue named {0} exists already")]
    Duplicate(String),
    /// [`MAX_QUEUES`] queues are stored already.
    #[error("{0} game session queues are stored, the most this server keeps; delete one first")]
    LimitExceeded(usize),
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
    #[error("the queue store failed: {0}")]
    Internal(String),
}

/// The queues, wherever they are kept. Each change is one atomic step of the store, so the
/// count `create` checks is the count it adds to, and an update applies to the queue it read.
#[async_trait]
pub trait QueueStore: Send + Sync {
    /// Stores a new queue, unless one has its name or [`MAX_QUEUES`] are stored.
    async fn create(&self, queue: GameSessionQueue) -> Result<(), QueueError>;

    /// The queue with this name, if any.
    async fn get(&self, name: &str) -> Result<Option<GameSessionQueue>, QueueError>;

    /// Every queue, by name.
    async fn list(&self) -> Result<Vec<GameSessionQueue>, QueueError>;

    /// Applies `update` to a queue; returns it as updated.
    async fn update(
        &self,
        name: &str,
        update: UpdateGameSessionQueueInput,
    ) -> Result<GameSessionQueue, QueueError>;

    /// Removes a queue.
    async fn delete(&self, name: &str) -> Result<(), QueueError>;
}

#[cfg(test)]
mod tests;
