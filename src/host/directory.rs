//! Who is where, shared by every task: game session id -> session queue, and the catalog of
//! game sessions and player sessions. Read-mostly; every lock is held for a map operation
//! only. The fast channel's routes are the [`super::FastPath`]'s.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime};

use super::SessionHandle;
use crate::core::{Catalog, GameSessionId, LoginRefusal};

pub(crate) struct Directory {
    sessions: RwLock<HashMap<GameSessionId, SessionHandle>>,
    catalog: Mutex<Catalog>,
}

impl Directory {
    pub fn new(reservation_timeout: Duration, retention: Duration) -> Self {
        Self {
            sessions: RwLock::default(),
            catalog: Mutex::new(Catalog::new(reservation_timeout, retention)),
        }
    }

    pub fn session(&self, id: &GameSessionId) -> Option<SessionHandle> {
        read(&self.sessions).get(id).cloned()
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

    /// The catalog, locked for one operation.
    pub fn catalog(&self) -> MutexGuard<'_, Catalog> {
        lock(&self.catalog)
    }

    pub fn claim(&self, now: SystemTime, id: &str) -> Result<GameSessionId, LoginRefusal> {
        self.catalog().claim(now, id)
    }

    pub fn complete(&self, now: SystemTime, id: &str) {
        self.catalog().complete(now, id);
    }

    /// Times out and forgets player sessions and game sessions; called periodically.
    pub fn expire(&self, now: SystemTime) {
        self.catalog().expire(now);
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
