//! Matchmaking tickets (control-api.md §2.12): their records, kept behind the [`TicketStore`]
//! trait (in memory for one server, [`MemoryTicketStore`]; in the fleet's Redis store for a
//! fleet of hosts, [`RedisTicketStore`], so that any host takes tickets and a ticket outlives
//! the host that took it). The control API's matchmaker (`control::matchmaker`) works through
//! the store: it reads a configuration's pool, proposes matches, and moves tickets on.
//!
//! Every change is one atomic [`TicketStore::update`] of one or more tickets, so that a match
//! claims all its tickets or none, and `StopMatchmaking` or `AcceptMatch` racing the
//! matchmaker sees one state or the other. One host at a time runs a configuration's
//! matchmaking: it holds the configuration's lease ([`TicketStore::lead`]), and another host
//! takes over when the lease runs out. Ended tickets are remembered for [`RETENTION`].

mod memory;
mod redis;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use memory::MemoryTicketStore;
pub use redis::RedisTicketStore;

use crate::api::tickets::MatchmakingTicket;

/// How long an ended ticket is remembered.
pub const RETENTION: Duration = Duration::from_secs(3600);

/// Most tickets of one configuration not yet ended; beyond it, starting one fails with
/// [`TicketError::LimitExceeded`].
pub const MAX_ACTIVE_PER_CONFIGURATION: usize = 50_000;

/// Most tickets one server's memory remembers, active and ended; the oldest ended ones are
/// forgotten first to make room.
pub const MAX_REMEMBERED: usize = 200_000;

/// A ticket as it is stored: what the API shows, and the matchmaker's state of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TicketRecord {
    /// The ticket, as `DescribeMatchmaking` shows it.
    pub ticket: MatchmakingTicket,
    /// For a backfill ticket: what it fills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<Backfill>,
    /// The match it is in, from when it is proposed until the ticket ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed: Option<ProposedMatch>,
    /// The players of this ticket who accepted the proposed match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    /// Whether a player of this ticket rejected the proposed match.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rejected: bool,
}

impl TicketRecord {
    /// The ticket's id.
    pub fn id(&self) -> &str {
        &self.ticket.ticket_id
    }

    /// Its configuration's name.
    pub fn configuration(&self) -> &str {
        &self.ticket.configuration_name
    }

    /// When it started, in milliseconds since the Unix epoch.
    pub fn start_ms(&self) -> u64 {
        millis(self.ticket.start_time.0)
    }
}

/// What a backfill ticket fills.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Backfill {
    /// The game session whose open slots it fills; none for a standalone configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game_session_arn: Option<String>,
    /// Whether the matchmaker started it (automatic backfill).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
}

/// A proposed match, as each of its tickets keeps it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProposedMatch {
    /// Its id; also its placement's id.
    pub match_id: String,
    /// Its tickets.
    pub tickets: Vec<String>,
    /// Its teams and their players, in rule set order.
    pub teams: Vec<MatchedTeam>,
    /// Where it should be placed, when players gave latencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Until when players may accept it (milliseconds since the Unix epoch), when
    /// acceptance is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance_deadline_ms: Option<u64>,
}

/// A team of a proposed match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MatchedTeam {
    /// The team's name.
    pub name: String,
    /// Its player ids.
    pub players: Vec<String>,
}

/// Why a ticket store operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TicketError {
    /// A remembered ticket has this id.
    #[error("a matchmaking ticket with id {0} exists already")]
    Duplicate(String),
    /// No ticket has this id.
    #[error("no matchmaking ticket matches {0}")]
    NotFound(String),
    /// The change does not apply to the tickets as they are (it says why).
    #[error("{0}")]
    Refused(String),
    /// Too many tickets of the configuration are active.
    #[error(
        "{0} matchmaking tickets of this configuration are active, the most it takes; retry later"
    )]
    LimitExceeded(usize),
    /// The store failed or could not be reached; the call may be retried.
    #[error("the ticket store failed: {0}")]
    Internal(String),
}

/// A change to tickets: it edits them in place, or refuses and nothing is stored.
pub type Change<'a> = dyn Fn(&mut [TicketRecord]) -> Result<(), TicketError> + Send + Sync + 'a;

/// The tickets, wherever they are kept. Each method is one atomic step of the store.
#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Stores a new ticket; fails if a remembered ticket has its id, or its configuration
    /// has too many active tickets.
    async fn create(&self, record: &TicketRecord) -> Result<(), TicketError>;

    /// The remembered tickets among `ids`, in that order.
    async fn get(&self, ids: &[String]) -> Result<Vec<TicketRecord>, TicketError>;

    /// The active tickets of a configuration (its pool), oldest first.
    async fn pool(&self, configuration: &str) -> Result<Vec<TicketRecord>, TicketError>;

    /// Applies `change` to the tickets `ids` (in that order), all or none, and returns them
    /// as stored. A ticket that ended leaves its configuration's pool and is remembered for
    /// [`RETENTION`]. Fails with [`TicketError::NotFound`] if one is not remembered.
    async fn update(
        &self,
        ids: &[String],
        change: &Change<'_>,
    ) -> Result<Vec<TicketRecord>, TicketError>;

    /// Takes or renews the lease on a configuration's matchmaking for `holder`, for `term`:
    /// true while `holder` has it.
    async fn lead(
        &self,
        configuration: &str,
        holder: &str,
        term: Duration,
    ) -> Result<bool, TicketError>;
}

pub(crate) fn millis(at: std::time::SystemTime) -> u64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
