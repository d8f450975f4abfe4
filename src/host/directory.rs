//! Which game sessions run here: game session id -> the session task's queue. Read-mostly;
//! the lock is held for a map operation only. The fast channel's routes are the
//! [`super::FastPath`]'s, the records of game and player sessions the catalog's.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::SessionHandle;
use crate::core::GameSessionId;

#[derive(Default)]
pub(crate) struct Directory {
    sessions: RwLock<HashMap<GameSessionId, SessionHandle>>,
}

impl Directory {
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
}

// No code panics while holding these locks, so a poisoned lock still holds consistent data.
fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}
