//! Game session queues (control-api.md §2.8): records kept by name ([`crate::named`]), in
//! `queues.json` under the data directory on one server, in the fleet store's hash
//! `<prefix>queues` for a fleet.

use std::path::PathBuf;

use redis::aio::ConnectionManager;

use crate::api::queues::GameSessionQueue;
use crate::named::{FileNamedStore, Named, NamedError, RedisNamedStore};

/// Most queues stored at once; beyond it, creating one fails with
/// [`NamedError::LimitExceeded`]. GameLift has a per-account quota too.
pub const MAX_QUEUES: usize = 100;

impl Named for GameSessionQueue {
    const KIND: &'static str = "game session queue";

    fn name(&self) -> &str {
        &self.name
    }
}

/// This server's queues, in `path`.
pub fn file_store(
    path: impl Into<PathBuf>,
) -> Result<FileNamedStore<GameSessionQueue>, NamedError> {
    FileNamedStore::open(path, MAX_QUEUES)
}

/// A fleet's queues, under `prefix` (the fleet's key prefix) on `connection`.
pub fn redis_store(
    connection: ConnectionManager,
    prefix: &str,
) -> RedisNamedStore<GameSessionQueue> {
    RedisNamedStore::new(connection, format!("{prefix}queues"), MAX_QUEUES)
}

#[cfg(test)]
mod tests;
