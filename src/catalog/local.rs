//! The catalog of one server, in memory: its [`Records`] behind a lock held for one
//! operation, never across an await.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::{
    Catalog, CatalogError, GameSession, GameSessionSpec, GameSessionStatus, GameSessionUpdate,
    MAX_GAME_PROPERTIES, PlayerSession, Records, ScriptRef, StatusCounts,
};
use crate::core::{GameSessionId, LoginRefusal};

/// One server's catalog, kept in memory; lost when the process ends.
#[derive(Debug)]
pub struct LocalCatalog {
    records: Mutex<Records>,
}

impl LocalCatalog {
    /// An empty catalog: reservations time out after `reservation_timeout`, ended records are
    /// forgotten after `retention`.
    pub fn new(reservation_timeout: Duration, retention: Duration) -> Self {
        Self {
            records: Mutex::new(Records::new(reservation_timeout, retention)),
        }
    }

    fn records(&self) -> MutexGuard<'_, Records> {
        // Nothing panics while holding the lock, so a poisoned one still holds valid records.
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Catalog for LocalCatalog {
    async fn create_game_session(
        &self,
        now: SystemTime,
        id: GameSessionId,
        spec: GameSessionSpec,
        max_running: usize,
    ) -> Result<(GameSession, bool), CatalogError> {
        let mut records = self.records();
        if records.game_session(&id).is_none() && records.running_game_sessions() >= max_running {
            return Err(CatalogError::FleetFull);
        }
        records.create_game_session(now, id, spec)
    }

    async fn activate(
        &self,
        id: &GameSessionId,
        script: Option<ScriptRef>,
    ) -> Result<(), CatalogError> {
        self.records().activate(id, script);
        Ok(())
    }

    async fn terminating(
        &self,
        id: &GameSessionId,
        reason: &'static str,
    ) -> Result<(), CatalogError> {
        self.records().terminating(id, reason);
        Ok(())
    }

    async fn end_game_session(
        &self,
        now: SystemTime,
        id: &GameSessionId,
        status: GameSessionStatus,
        reason: Option<&'static str>,
    ) -> Result<(), CatalogError> {
        self.records().end_game_session(now, id, status, reason);
        Ok(())
    }

    async fn update_game_session(
        &self,
        id: &GameSessionId,
        update: GameSessionUpdate,
    ) -> Result<GameSession, CatalogError> {
        self.records()
            .update_game_session(id, update, MAX_GAME_PROPERTIES)
    }

    async fn game_session(&self, id: &GameSessionId) -> Result<Option<GameSession>, CatalogError> {
        Ok(self.records().game_session(id).cloned())
    }

    async fn game_sessions(&self) -> Result<Vec<GameSession>, CatalogError> {
        Ok(self
            .records()
            .game_sessions()
            .into_iter()
            .cloned()
            .collect())
    }

    async fn running(&self) -> Result<Vec<(GameSession, usize)>, CatalogError> {
        let records = self.records();
        Ok(records
            .running()
            .into_iter()
            .map(|g| (g.clone(), records.logged_in(&g.id)))
            .collect())
    }

    async fn reserve(
        &self,
        now: SystemTime,
        game_session: &GameSessionId,
        players: Vec<(String, String, Option<String>)>,
    ) -> Result<Vec<PlayerSession>, CatalogError> {
        self.records().reserve(now, game_session, players)
    }

    async fn claim(&self, now: SystemTime, id: &str) -> Result<GameSessionId, LoginRefusal> {
        self.records().claim(now, id)
    }

    async fn complete(&self, now: SystemTime, id: &str) -> Result<(), CatalogError> {
        self.records().complete(now, id);
        Ok(())
    }

    async fn player_session(&self, id: &str) -> Result<Option<PlayerSession>, CatalogError> {
        Ok(self.records().player_session(id).cloned())
    }

    async fn player_sessions_of(
        &self,
        game_session: &GameSessionId,
    ) -> Result<Option<Vec<PlayerSession>>, CatalogError> {
        let records = self.records();
        if records.game_session(game_session).is_none() {
            return Ok(None);
        }
        Ok(Some(
            records
                .player_sessions_of(game_session)
                .into_iter()
                .cloned()
                .collect(),
        ))
    }

    async fn player_sessions_of_player(
        &self,
        player_id: &str,
    ) -> Result<Vec<PlayerSession>, CatalogError> {
        Ok(self
            .records()
            .player_sessions_of_player(player_id)
            .into_iter()
            .cloned()
            .collect())
    }

    async fn status_counts(&self) -> Result<StatusCounts, CatalogError> {
        Ok(self.records().status_counts())
    }

    async fn expire(&self, now: SystemTime) -> Result<(), CatalogError> {
        self.records().expire(now);
        Ok(())
    }
}
