//! The catalog of game sessions and player sessions, as the GameLift service API describes
//! them (control-api.md §3): the control plane's registry, behind one interface.
//!
//! [`Catalog`] is what every part reaches records through: the control API's operations, the
//! host when it creates, starts and ends game sessions, login admission (a LOGIN claims its
//! player session), and the session tasks reporting players who leave. [`LocalCatalog`] keeps
//! the [`Records`] of one server in memory, the default; a store shared by a fleet of hosts
//! implements the same trait, so none of its callers change. Every method is async and
//! fallible, as a shared store's are, though the local one answers at once.
//!
//! Lists come in creation order, and every record carries its place in it (`sequence`), so
//! paging by that number never skips or repeats.

mod local;
mod records;
pub mod redis;

use std::time::SystemTime;

use async_trait::async_trait;

pub use local::LocalCatalog;
pub use records::{
    CatalogError, GameSession, GameSessionSpec, GameSessionStatus, GameSessionUpdate, Placement,
    PlayerSession, PlayerSessionStatus, Records, ScriptRef, StatusCounts,
};
pub use redis::{RedisCatalog, RedisSettings};

use crate::core::{GameSessionId, LoginRefusal};

/// Most game properties of one game session (GameLift's limit).
pub const MAX_GAME_PROPERTIES: usize = 16;

/// The records of game sessions and player sessions, wherever they are kept.
#[async_trait]
pub trait Catalog: Send + Sync {
    /// Records a new game session, `ACTIVATING`, under `id`, unless `max_running` game
    /// sessions have not ended ([`CatalogError::FleetFull`]). With an idempotency token used
    /// before, returns the earlier game session if the parameters match. True if it is new.
    async fn create_game_session(
        &self,
        now: SystemTime,
        id: GameSessionId,
        spec: GameSessionSpec,
        max_running: usize,
    ) -> Result<(GameSession, bool), CatalogError>;

    /// The game session started: `ACTIVE`, running `script`.
    async fn activate(
        &self,
        id: &GameSessionId,
        script: Option<ScriptRef>,
    ) -> Result<(), CatalogError>;

    /// The game session is winding down (`TERMINATING`, with `reason`), unless it ended.
    async fn terminating(
        &self,
        id: &GameSessionId,
        reason: &'static str,
    ) -> Result<(), CatalogError>;

    /// The game session ended: `status` (`TERMINATED` or `ERROR`) with `reason`; its player
    /// sessions complete. Nothing happens if it ended already.
    async fn end_game_session(
        &self,
        now: SystemTime,
        id: &GameSessionId,
        status: GameSessionStatus,
        reason: Option<&'static str>,
    ) -> Result<(), CatalogError>;

    /// Changes a game session that is `ACTIVATING` or `ACTIVE`; game properties merge by key,
    /// at most [`MAX_GAME_PROPERTIES`].
    async fn update_game_session(
        &self,
        id: &GameSessionId,
        update: GameSessionUpdate,
    ) -> Result<GameSession, CatalogError>;

    /// A game session's record, while it is remembered.
    async fn game_session(&self, id: &GameSessionId) -> Result<Option<GameSession>, CatalogError>;

    /// Every remembered game session, in creation order.
    async fn game_sessions(&self) -> Result<Vec<GameSession>, CatalogError>;

    /// The game sessions that have not ended, in creation order, each with how many of its
    /// players are logged in.
    async fn running(&self) -> Result<Vec<(GameSession, usize)>, CatalogError>;

    /// Reserves one player session per `(id, player id, player data)` in a game session, all
    /// or nothing.
    async fn reserve(
        &self,
        now: SystemTime,
        game_session: &GameSessionId,
        players: Vec<(String, String, Option<String>)>,
    ) -> Result<Vec<PlayerSession>, CatalogError>;

    /// A LOGIN presents player session `id`: it becomes `ACTIVE`, and its game session is
    /// returned; or why the login is refused.
    async fn claim(&self, now: SystemTime, id: &str) -> Result<GameSessionId, LoginRefusal>;

    /// Player session `id`'s player left, or its login was refused after the claim.
    async fn complete(&self, now: SystemTime, id: &str) -> Result<(), CatalogError>;

    /// A player session's record, while it is remembered.
    async fn player_session(&self, id: &str) -> Result<Option<PlayerSession>, CatalogError>;

    /// A game session's player sessions, in creation order; `None` if the game session is not
    /// remembered.
    async fn player_sessions_of(
        &self,
        game_session: &GameSessionId,
    ) -> Result<Option<Vec<PlayerSession>>, CatalogError>;

    /// Every remembered player session of one player, in creation order.
    async fn player_sessions_of_player(
        &self,
        player_id: &str,
    ) -> Result<Vec<PlayerSession>, CatalogError>;

    /// How many remembered records are in each status.
    async fn status_counts(&self) -> Result<StatusCounts, CatalogError>;

    /// Times out reservations past their deadline and forgets records past their retention.
    async fn expire(&self, now: SystemTime) -> Result<(), CatalogError>;
}

#[cfg(test)]
mod tests;
