//! Player-session reservations, process-wide: a player session id maps to one game session,
//! can be used by one login, expires if unused after the reservation timeout, and stays
//! describable for a retention period after it ended. The host keeps one behind a lock in
//! its directory; the control API builds on it.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::{GameSessionId, LoginRefusal};

/// Where a player session is in its life (GameLift `PlayerSessionStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayerSessionStatus {
    /// Reserved, waiting for its client's LOGIN.
    Reserved,
    /// Its client logged in.
    Active,
    /// Its client left.
    Completed,
    /// No LOGIN arrived within the reservation timeout.
    TimedOut,
}

/// Why a reservation could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReserveError {
    /// The id is already known.
    #[error("player session id already exists")]
    DuplicateId,
    /// The id is empty.
    #[error("player session id is empty")]
    EmptyId,
}

/// The registry of player sessions.
#[derive(Debug)]
pub struct Reservations {
    timeout: Duration,
    retention: Duration,
    entries: HashMap<String, Entry>,
    /// Reservations in the order they expire (one timeout for all, so insertion order).
    expiring: VecDeque<(Instant, String)>,
    /// Ended player sessions in the order they are forgotten.
    ended: VecDeque<(Instant, String)>,
    /// Reserved plus active player sessions per game session.
    open: HashMap<GameSessionId, usize>,
}

#[derive(Debug)]
struct Entry {
    game_session: GameSessionId,
    status: PlayerSessionStatus,
}

impl Reservations {
    /// An empty registry with a reservation timeout and a retention for ended entries.
    pub fn new(timeout: Duration, retention: Duration) -> Self {
        Self {
            timeout,
            retention,
            entries: HashMap::new(),
            expiring: VecDeque::new(),
            ended: VecDeque::new(),
            open: HashMap::new(),
        }
    }

    /// Reserves a slot in `game_session` for the player session `id`.
    pub fn reserve(
        &mut self,
        now: Instant,
        id: String,
        game_session: GameSessionId,
    ) -> Result<(), ReserveError> {
        if id.is_empty() {
            return Err(ReserveError::EmptyId);
        }
        self.expire(now);
        match self.entries.entry(id.clone()) {
            MapEntry::Occupied(_) => return Err(ReserveError::DuplicateId),
            MapEntry::Vacant(slot) => {
                *self.open.entry(game_session.clone()).or_default() += 1;
                slot.insert(Entry {
                    game_session,
                    status: PlayerSessionStatus::Reserved,
                });
            }
        }
        self.expiring.push_back((now + self.timeout, id));
        Ok(())
    }

    /// A LOGIN presents `id`: the game session it belongs to, now marked used, or why not.
    pub fn claim(&mut self, now: Instant, id: &str) -> Result<GameSessionId, LoginRefusal> {
        if id.is_empty() {
            return Err(LoginRefusal::EmptyPlayerSessionId);
        }
        self.expire(now);
        let entry = self
            .entries
            .get_mut(id)
            .ok_or(LoginRefusal::UnknownPlayerSession)?;
        match entry.status {
            PlayerSessionStatus::Reserved => {
                entry.status = PlayerSessionStatus::Active;
                Ok(entry.game_session.clone())
            }
            PlayerSessionStatus::Active | PlayerSessionStatus::Completed => {
                Err(LoginRefusal::AlreadyUsed)
            }
            PlayerSessionStatus::TimedOut => Err(LoginRefusal::Expired),
        }
    }

    /// The player session's client left (or its login was refused after the claim).
    pub fn complete(&mut self, now: Instant, id: &str) {
        if let Some(entry) = self.entries.get_mut(id)
            && entry.status == PlayerSessionStatus::Active
        {
            entry.status = PlayerSessionStatus::Completed;
            Self::close_slot(&mut self.open, &entry.game_session);
            self.ended.push_back((now + self.retention, id.to_owned()));
        }
    }

    /// A player session's status and game session, while it is remembered.
    pub fn status(&self, id: &str) -> Option<(PlayerSessionStatus, GameSessionId)> {
        self.entries
            .get(id)
            .map(|e| (e.status, e.game_session.clone()))
    }

    /// Reserved plus active player sessions of a game session: the slots it has promised.
    pub fn open_count(&self, game_session: &GameSessionId) -> usize {
        self.open.get(game_session).copied().unwrap_or(0)
    }

    /// Player sessions remembered, in any status.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Times out reservations past their deadline and forgets entries past their retention.
    /// Cheap when nothing is due; call it periodically so memory stays bounded.
    pub fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.expiring.front()
            && *at <= now
        {
            let Some((_, id)) = self.expiring.pop_front() else {
                break;
            };
            if let Some(entry) = self.entries.get_mut(&id)
                && entry.status == PlayerSessionStatus::Reserved
            {
                entry.status = PlayerSessionStatus::TimedOut;
                Self::close_slot(&mut self.open, &entry.game_session);
                self.ended.push_back((now + self.retention, id));
            }
        }
        while let Some((at, _)) = self.ended.front()
            && *at <= now
        {
            let Some((_, id)) = self.ended.pop_front() else {
                break;
            };
            self.entries.remove(&id);
        }
    }

    fn close_slot(open: &mut HashMap<GameSessionId, usize>, game_session: &GameSessionId) {
        if let MapEntry::Occupied(mut count) = open.entry(game_session.clone()) {
            *count.get_mut() -= 1;
            if *count.get() == 0 {
                count.remove();
            }
        }
    }
}
