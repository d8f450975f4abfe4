//! [`MemoryPlacementStore`]: one server's placements, in memory. Placements pending when the
//! server stops are lost with its game sessions; a fleet keeps them in Redis instead.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use async_trait::async_trait;

use super::{Finished, MAX_PENDING, MAX_REMEMBERED, PlacementError, PlacementStore, RETENTION};
use crate::api::placements::{GameSessionPlacement, GameSessionPlacementState};

/// The placements of one server.
#[derive(Debug, Default)]
pub struct MemoryPlacementStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    placements: HashMap<String, GameSessionPlacement>,
    /// Pending placements by when they are due next.
    due: BTreeSet<(SystemTime, String)>,
    /// When each pending placement is due (its key in `due`).
    due_at: HashMap<String, SystemTime>,
    /// Ended placements in the order they are forgotten.
    ended: VecDeque<(SystemTime, String)>,
}

impl State {
    fn forget_ended(&mut self, now: SystemTime, room_for_one: bool) {
        while let Some((at, id)) = self.ended.front() {
            let full = room_for_one && self.placements.len() >= MAX_REMEMBERED;
            if *at + RETENTION > now && !full {
                break;
            }
            self.placements.remove(id);
            self.ended.pop_front();
        }
    }

    fn schedule(&mut self, id: &str, at: SystemTime) {
        if let Some(old) = self.due_at.insert(id.to_owned(), at) {
            self.due.remove(&(old, id.to_owned()));
        }
        self.due.insert((at, id.to_owned()));
    }
}

impl MemoryPlacementStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change leaves the maps consistent before anything can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl PlacementStore for MemoryPlacementStore {
    async fn create(
        &self,
        now: SystemTime,
        placement: &GameSessionPlacement,
        lease_until: SystemTime,
    ) -> Result<(), PlacementError> {
        let mut state = self.lock();
        state.forget_ended(now, true);
        let id = &placement.placement_id;
        if state.placements.contains_key(id) {
            return Err(PlacementError::Duplicate(id.clone()));
        }
        if state.due_at.len() >= MAX_PENDING || state.placements.len() >= MAX_REMEMBERED {
            return Err(PlacementError::LimitExceeded(MAX_PENDING));
        }
        state.placements.insert(id.clone(), placement.clone());
        state.schedule(id, lease_until);
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<GameSessionPlacement>, PlacementError> {
        Ok(self.lock().placements.get(id).cloned())
    }

    async fn claim_due(
        &self,
        now: SystemTime,
        lease_until: SystemTime,
        max: usize,
    ) -> Result<Vec<GameSessionPlacement>, PlacementError> {
        let mut state = self.lock();
        state.forget_ended(now, false);
        let ids: Vec<String> = state
            .due
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(max)
            .map(|(_, id)| id.clone())
            .collect();
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            state.schedule(&id, lease_until);
            if let Some(placement) = state.placements.get(&id) {
                claimed.push(placement.clone());
            }
        }
        Ok(claimed)
    }

    async fn retry_at(&self, id: &str, at: SystemTime) -> Result<(), PlacementError> {
        let mut state = self.lock();
        if state.due_at.contains_key(id) {
            state.schedule(id, at);
        }
        Ok(())
    }

    async fn finish(
        &self,
        now: SystemTime,
        ended: &GameSessionPlacement,
    ) -> Result<Finished, PlacementError> {
        let mut state = self.lock();
        let id = &ended.placement_id;
        let current = state
            .placements
            .get(id)
            .ok_or_else(|| PlacementError::NotFound(id.clone()))?;
        if current.status != GameSessionPlacementState::Pending {
            return Ok(Finished::Already(Box::new(current.clone())));
        }
        state.placements.insert(id.clone(), ended.clone());
        if let Some(at) = state.due_at.remove(id) {
            state.due.remove(&(at, id.clone()));
        }
        state.ended.push_back((now, id.clone()));
        Ok(Finished::Now)
    }
}
