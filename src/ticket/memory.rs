//! [`MemoryTicketStore`]: one server's tickets, in memory. Tickets active when the server
//! stops are lost with its game sessions; a fleet keeps them in Redis instead.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    Change, MAX_ACTIVE_PER_CONFIGURATION, MAX_REMEMBERED, RETENTION, TicketError, TicketRecord,
    TicketStore,
};

/// The tickets of one server.
#[derive(Debug, Default)]
pub struct MemoryTicketStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    tickets: HashMap<String, TicketRecord>,
    /// Active tickets by configuration: (start, id), oldest first.
    pools: HashMap<String, BTreeSet<(u64, String)>>,
    /// Ended tickets in the order they are forgotten.
    ended: VecDeque<(Instant, String)>,
}

impl State {
    fn forget_ended(&mut self, now: Instant, room_for_one: bool) {
        while let Some((at, id)) = self.ended.front() {
            let full = room_for_one && self.tickets.len() >= MAX_REMEMBERED;
            if *at + RETENTION > now && !full {
                break;
            }
            self.tickets.remove(id);
            self.ended.pop_front();
        }
    }
}

impl MemoryTicketStore {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent across a panic elsewhere: every change is whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl TicketStore for MemoryTicketStore {
    async fn create(&self, record: &TicketRecord) -> Result<(), TicketError> {
        let mut state = self.state();
        state.forget_ended(Instant::now(), true);
        if state.tickets.contains_key(record.id()) {
            return Err(TicketError::Duplicate(record.id().to_owned()));
        }
        if state.tickets.len() >= MAX_REMEMBERED {
            return Err(TicketError::LimitExceeded(MAX_REMEMBERED));
        }
        let pool = state
            .pools
            .entry(record.configuration().to_owned())
            .or_default();
        if pool.len() >= MAX_ACTIVE_PER_CONFIGURATION {
            return Err(TicketError::LimitExceeded(MAX_ACTIVE_PER_CONFIGURATION));
        }
        pool.insert((record.start_ms(), record.id().to_owned()));
        state.tickets.insert(record.id().to_owned(), record.clone());
        Ok(())
    }

    async fn get(&self, ids: &[String]) -> Result<Vec<TicketRecord>, TicketError> {
        let state = self.state();
        Ok(ids
            .iter()
            .filter_map(|id| state.tickets.get(id).cloned())
            .collect())
    }

    async fn pool(&self, configuration: &str) -> Result<Vec<TicketRecord>, TicketError> {
        let state = self.state();
        Ok(state
            .pools
            .get(configuration)
            .into_iter()
            .flatten()
            .filter_map(|(_, id)| state.tickets.get(id).cloned())
            .collect())
    }

    async fn update(
        &self,
        ids: &[String],
        change: &Change<'_>,
    ) -> Result<Vec<TicketRecord>, TicketError> {
        let mut state = self.state();
        let mut records = ids
            .iter()
            .map(|id| {
                state
                    .tickets
                    .get(id)
                    .cloned()
                    .ok_or_else(|| TicketError::NotFound(id.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        change(&mut records)?;
        let now = Instant::now();
        for record in &records {
            let id = record.id().to_owned();
            let was_active = state
                .tickets
                .get(&id)
                .is_some_and(|old| old.ticket.status.is_active());
            if was_active && !record.ticket.status.is_active() {
                if let Some(pool) = state.pools.get_mut(record.configuration()) {
                    pool.remove(&(record.start_ms(), id.clone()));
                }
                state.ended.push_back((now, id.clone()));
            }
            state.tickets.insert(id, record.clone());
        }
        Ok(records)
    }

    async fn lead(
        &self,
        _configuration: &str,
        _holder: &str,
        _term: Duration,
    ) -> Result<bool, TicketError> {
        // One server: its own matchmaker is the only one.
        Ok(true)
    }
}
