//! Aliases (control-api.md §2.7): names that route to a fleet (`SIMPLE`) or to a message
//! (`TERMINAL`), kept behind the [`AliasStore`] trait so that a store shared by a fleet of
//! hosts can stand in for this server's own [`FileAliasStore`], which keeps them on disk in
//! the data directory. The control API's handlers are the only callers; they check the input
//! first, so the store takes records as they are.

mod file;
mod redis;
mod row;

use std::path::PathBuf;
use std::time::SystemTime;

use async_trait::async_trait;

pub use file::FileAliasStore;
pub use redis::RedisAliasStore;

/// Most aliases stored at once; beyond it, creating one fails with
/// [`AliasError::LimitExceeded`]. GameLift has a per-account quota too.
pub const MAX_ALIASES: usize = 100;

/// An alias as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasRecord {
    /// `alias-<uuid v4>`.
    pub id: String,
    /// Free-text name; need not be unique.
    pub name: String,
    /// Free-text description.
    pub description: Option<String>,
    /// Where it routes.
    pub routing: Routing,
    /// When it was created, to the millisecond.
    pub creation_time: SystemTime,
    /// When it was last changed, to the millisecond.
    pub last_updated_time: SystemTime,
}

/// Where an alias routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Routing {
    /// To this fleet.
    Simple {
        /// The fleet's id.
        fleet_id: String,
    },
    /// Nowhere: using the alias fails with this message.
    Terminal {
        /// The message for whoever uses the alias.
        message: String,
    },
}

/// What CreateAlias sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAlias {
    /// The name.
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// Where it routes.
    pub routing: Routing,
}

/// What UpdateAlias changes; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AliasUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// A new routing.
    pub routing: Option<Routing>,
}

impl NewAlias {
    /// The record of a new alias with a fresh id, created and updated `now` (to the
    /// millisecond, as stores keep it).
    pub(crate) fn into_record(self, now: SystemTime) -> AliasRecord {
        let now = row::to_millisecond(now);
        AliasRecord {
            id: format!("alias-{}", uuid::Uuid::new_v4()),
            name: self.name,
            description: self.description,
            routing: self.routing,
            creation_time: now,
            last_updated_time: now,
        }
    }
}

impl AliasUpdate {
    /// Applies the update to `record`, updated `now`: to the millisecond, and never before
    /// its creation, even if the clock stepped back.
    pub(crate) fn apply(self, record: &mut AliasRecord, now: SystemTime) {
        if let Some(name) = self.name {
            record.name = name;
        }
        if let Some(description) = self.description {
            record.description = Some(description);
        }
        if let Some(routing) = self.routing {
            record.routing = routing;
        }
        record.last_updated_time = row::to_millisecond(now).max(record.creation_time);
    }
}

/// Why an alias store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AliasError {
    /// No alias has this id.
    #[error("no alias matches {0}")]
    NotFound(String),
    /// [`MAX_ALIASES`] aliases are stored already.
    #[error("{0} aliases are stored, the most this server keeps; delete one first")]
    LimitExceeded(usize),
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done: `read`, `write`, ...
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The store's own task failed.
    #[error("the alias store failed: {0}")]
    Internal(String),
}

/// The aliases, wherever they are kept. Every method can fail, as a shared store can; each
/// change is one atomic step of the store, so the count checked by `create` is the count it
/// adds to.
#[async_trait]
pub trait AliasStore: Send + Sync {
    /// Stores a new alias with a fresh id, created and updated `now`, unless
    /// [`MAX_ALIASES`] are stored.
    async fn create(&self, now: SystemTime, alias: NewAlias) -> Result<AliasRecord, AliasError>;

    /// The alias with this id, if any.
    async fn get(&self, id: &str) -> Result<Option<AliasRecord>, AliasError>;

    /// Every alias, by creation time then id.
    async fn list(&self) -> Result<Vec<AliasRecord>, AliasError>;

    /// Applies `update` to an alias, updated `now`.
    async fn update(
        &self,
        now: SystemTime,
        id: &str,
        update: AliasUpdate,
    ) -> Result<AliasRecord, AliasError>;

    /// Removes an alias; returns it as it was.
    async fn delete(&self, id: &str) -> Result<AliasRecord, AliasError>;
}

#[cfg(test)]
mod tests;
