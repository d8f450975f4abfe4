//! Game session placements (control-api.md §2.9): their records, kept behind the
//! [`PlacementStore`] trait (in memory for one server, [`MemoryPlacementStore`]; in the fleet's
//! Redis store for a fleet of hosts, [`RedisPlacementStore`], so a placement survives the host
//! that took it), and where a placement may go ([`choose`]). The control API's placer
//! (`control::placer`) works through the store: it claims placements that are due, tries
//! them, and ends them.
//!
//! A pending placement is leased while a host tries it: [`PlacementStore::claim_due`] hands it
//! to one host and makes it due again only when the lease runs out, so if that host dies
//! another one takes it over. Ended placements are remembered for [`RETENTION`].

pub mod choose;
mod memory;
mod redis;

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

pub use memory::MemoryPlacementStore;
pub use redis::RedisPlacementStore;

use crate::api::placements::GameSessionPlacement;

/// How long an ended placement is remembered.
pub const RETENTION: Duration = Duration::from_secs(3600);

/// Most placements pending at once; beyond it, starting one fails with
/// [`PlacementError::LimitExceeded`].
pub const MAX_PENDING: usize = 10_000;

/// Most placements one server's memory remembers, pending and ended; the oldest ended ones
/// are forgotten first to make room.
pub const MAX_REMEMBERED: usize = 100_000;

/// Why a placement store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PlacementError {
    /// A remembered placement has this id.
    #[error("a game session placement with id {0} exists already")]
    Duplicate(String),
    /// No placement has this id.
    #[error("no game session placement matches {0}")]
    NotFound(String),
    /// Too many placements are pending (or remembered).
    #[error("{0} game session placements are pending, the most this fleet takes; retry later")]
    LimitExceeded(usize),
    /// The store failed or could not be reached; the call may be retried.
    #[error("the placement store failed: {0}")]
    Internal(String),
}

/// What [`PlacementStore::finish`] did.
#[derive(Debug, PartialEq)]
pub enum Finished {
    /// The placement was pending and now has its final status.
    Now,
    /// It had ended already (cancelled, say): it is as returned, unchanged.
    Already(Box<GameSessionPlacement>),
}

/// The placements, wherever they are kept. Each method is one atomic step of the store.
#[async_trait]
pub trait PlacementStore: Send + Sync {
    /// Stores a new pending placement, leased until `lease_until` by the host that will try
    /// it first; fails if a remembered placement has its id, or too many are pending.
    async fn create(
        &self,
        now: SystemTime,
        placement: &GameSessionPlacement,
        lease_until: SystemTime,
    ) -> Result<(), PlacementError>;

    /// The placement with this id, while it is remembered.
    async fn get(&self, id: &str) -> Result<Option<GameSessionPlacement>, PlacementError>;

    /// At most `max` pending placements due at `now`, oldest due first, each leased until
    /// `lease_until` so that no other host takes it meanwhile.
    async fn claim_due(
        &self,
        now: SystemTime,
        lease_until: SystemTime,
        max: usize,
    ) -> Result<Vec<GameSessionPlacement>, PlacementError>;

    /// A pending placement is due again at `at`; nothing happens if it ended.
    async fn retry_at(&self, id: &str, at: SystemTime) -> Result<(), PlacementError>;

    /// Ends a pending placement: `ended` (with its final status) replaces it, unless it ended
    /// already.
    async fn finish(
        &self,
        now: SystemTime,
        ended: &GameSessionPlacement,
    ) -> Result<Finished, PlacementError>;
}

#[cfg(test)]
mod tests;
