//! Who is where, shared by every task: game session id -> session queue, peer id -> session
//! queue (to route plain-UDP datagrams by their `sender`), and the player-session
//! reservations. Read-mostly; every lock is held for a map operation only.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use super::{PlayerSessionError, SessionHandle};
use crate::core::{GameSessionId, LoginRefusal, Reservations, ReserveError};
use crate::protocol::PeerId;

pub(crate) struct Directory {
    sessions: RwLock<HashMap<GameSessionId, SessionHandle>>,
    peers: RwLock<HashMap<PeerId, SessionHandle>>,
    reservations: Mutex<Reservations>,
}

impl Directory {
    pub fn new(reservation_timeout: Duration, retention: Duration) -> Self {
        Self {
            sessions: RwLock::default(),
            peers: RwLock::default(),
            reservations: Mutex::new(Reservations::new(reservation_timeout, retention)),
        }
    }

    pub fn session(&self, id: &GameSessionId) -> Option<SessionHandle> {
        read(&self.sessions).get(id).cloned()
    }

    pub fn session_ids(&self) -> Vec<GameSessionId> {
        read(&self.sessions).keys().cloned().collect()
    }

    pub fn session_count(&self) -> usize {
        read(&self.sessions).len()
    }

    /// Lists a new session, or returns the one already listed under its id.
    pub fn insert_session(&self, handle: SessionHandle) -> Result<SessionHandle, SessionHandle> {
        let mut sessions = write(&self.sessions);
        if let Some(existing) = sessions.get(&handle.id) {
            return Err(existing.clone());
        }
        sessions.insert(handle.id.clone(), handle.clone());
        Ok(handle)
    }

    pub fn remove_session(&self, id: &GameSessionId) {
        write(&self.sessions).remove(id);
    }

    /// Calls `f` with the session a plain-UDP datagram's `sender` belongs to, under the read
    /// lock (no clone per datagram); `None` if the peer is not logged in.
    pub fn with_peer<T>(&self, peer: PeerId, f: impl FnOnce(&SessionHandle) -> T) -> Option<T> {
        read(&self.peers).get(&peer).map(f)
    }

    pub fn insert_peer(&self, peer: PeerId, handle: SessionHandle) {
        write(&self.peers).insert(peer, handle);
    }

    pub fn remove_peer(&self, peer: PeerId) {
        write(&self.peers).remove(&peer);
    }

    /// Reserves a slot, if the game session exists and has one free.
    pub fn reserve(
        &self,
        now: Instant,
        id: String,
        game_session: &GameSessionId,
    ) -> Result<(), PlayerSessionError> {
        let max_players = self
            .session(game_session)
            .ok_or(PlayerSessionError::GameSessionNotFound)?
            .max_players;
        let mut reservations = lock(&self.reservations);
        reservations.expire(now);
        if reservations.open_count(game_session) >= max_players {
            return Err(PlayerSessionError::GameSessionFull);
        }
        reservations
            .reserve(now, id, game_session.clone())
            .map_err(|e| match e {
                ReserveError::DuplicateId | ReserveError::EmptyId => {
                    PlayerSessionError::DuplicateId
                }
            })
    }

    pub fn claim(&self, now: Instant, id: &str) -> Result<GameSessionId, LoginRefusal> {
        lock(&self.reservations).claim(now, id)
    }

    pub fn complete(&self, now: Instant, id: &str) {
        lock(&self.reservations).complete(now, id);
    }

    /// Times out and forgets player sessions; called periodically.
    pub fn expire(&self, now: Instant) {
        lock(&self.reservations).expire(now);
    }
}

// No code panics while holding these locks, so a poisoned lock still holds consistent data.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}
