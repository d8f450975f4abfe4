//! Who is where, shared by every task: game session id -> session queue, peer id -> session
//! queue (to route UDP_CONNECT by its `sender`), bound plain-UDP address -> session queue,
//! and the catalog of game sessions and player sessions. Read-mostly; every lock is held for
//! a map operation only.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime};

use super::SessionHandle;
use crate::core::{Catalog, GameSessionId, LoginRefusal};
use crate::protocol::PeerId;

pub(crate) struct Directory {
    sessions: RwLock<HashMap<GameSessionId, SessionHandle>>,
    peers: RwLock<HashMap<PeerId, SessionHandle>>,
    fast_addrs: RwLock<HashMap<SocketAddr, (PeerId, SessionHandle)>>,
    catalog: Mutex<Catalog>,
}

impl Directory {
    pub fn new(reservation_timeout: Duration, retention: Duration) -> Self {
        Self {
            sessions: RwLock::default(),
            peers: RwLock::default(),
            fast_addrs: RwLock::default(),
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

    /// Calls `f` with the session of the player whose plain fast channel is bound to
    /// `addr`, under the read lock; `None` if no player's is.
    pub fn with_fast_addr<T>(
        &self,
        addr: SocketAddr,
        f: impl FnOnce(&SessionHandle) -> T,
    ) -> Option<T> {
        read(&self.fast_addrs)
            .get(&addr)
            .map(|(_, session)| f(session))
    }

    pub fn bind_fast_addr(&self, addr: SocketAddr, peer: PeerId, session: SessionHandle) {
        write(&self.fast_addrs).insert(addr, (peer, session));
    }

    /// Forgets `addr` if it is still bound to `peer` (another peer may have bound it since).
    pub fn unbind_fast_addr(&self, addr: SocketAddr, peer: PeerId) {
        let mut addrs = write(&self.fast_addrs);
        if addrs.get(&addr).is_some_and(|(bound, _)| *bound == peer) {
            addrs.remove(&addr);
        }
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
