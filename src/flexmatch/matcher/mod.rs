//! The FlexMatch matcher: from a rule set, the searching tickets of one matchmaking
//! configuration and the time, it proposes matches. Pure: no sockets, store, clock or
//! randomness; the matchmaking loop hands the pool in about once a second and claims the
//! tickets of each [`Proposal`] it takes.
//!
//! - [`find_matches`] builds matches around the oldest tickets first, within a [`Budget`].
//! - [`check`] says whether a finished match keeps the rule set (team sizes, every rule with
//!   expansions applied); every proposal passes it, and the loop may use it to re-check.
//!
//! How a match is built (GameLift's exhaustive search, bounded): the pool is read once
//! (`pool`), the rule set once (`compile`). Each ticket in turn, oldest first (backfill
//! tickets first or last as `backfillPriority` says), seeds a potential match. Candidates
//! come from a window of the pool around the seed: the tickets closest to it on the batch
//! distance attribute (or the first `sortByAttributes` one), else the oldest, passing the
//! seed's batch distance and latency limits, then ordered by the sort rules. Each candidate
//! is tried on the teams in fill order (teams below their minimum first, then the most open
//! slots, then the one that keeps team averages closest); it stays where it breaks no rule
//! that held before, as GameLift adds a prospective player and takes it back if a rule
//! fails. Rules that count players are judged only on a full match. The match is taken at
//! its largest size that passed every rule with every team between its minimum and maximum;
//! teams are then balanced by swapping tickets while every rule still holds (large matches:
//! reassigned on `balancedAttribute`). With `expansionAgeSelection` newest, a seed that
//! found nothing is tried again with only tickets that have waited each expansion's time,
//! whose matches take that expansion.
//!
//! What it does not do, and where it differs from GameLift, is in `docs/flexmatch.md`.

use std::collections::BTreeMap;

use super::{AttributeValue, RuleSet};

mod compile;
mod evaluate;
mod pool;
mod search;
mod state;
mod verify;

/// A ticket in the pool.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ticket {
    /// The ticket id.
    pub id: String,
    /// When it started searching, in milliseconds since the Unix epoch (its wait is now -
    /// this).
    pub start_ms: u64,
    /// Its players: one, or a party that goes into one match.
    pub players: Vec<TicketPlayer>,
    /// A backfill ticket (StartMatchBackfill): its players are already in a game session,
    /// each with `team` set; a match for it keeps them on those teams and fills the open
    /// slots with players of other (non-backfill) tickets. At most one backfill ticket per
    /// match.
    pub backfill: bool,
}

/// A player of a ticket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TicketPlayer {
    /// The player id.
    pub id: String,
    /// As the ticket sent them; the matcher fills in the rule set's declared defaults for
    /// missing ones (a missing attribute without default makes rules reading it fail for that
    /// player, so such a ticket can only match where no rule reads it).
    pub attributes: BTreeMap<String, AttributeValue>,
    /// The player's team, when the ticket says (backfill tickets do; a normal ticket may too,
    /// which GameLift honours). A team with `quantity` copies is named by copy (`red2`).
    pub team: Option<String>,
    /// Latency to each location (region name -> ms), as StartMatchmaking's LatencyInMs.
    pub latency_ms: BTreeMap<String, u32>,
}

/// A proposed match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The tickets in the match (a ticket's players are never split between matches), the
    /// seed ticket first.
    pub tickets: Vec<String>,
    /// Every team of the match with the player ids on it, in rule set order; a team with
    /// `quantity` > 1 appears as `<name>1`, `<name>2`, ... as GameLift names the copies.
    pub teams: Vec<ProposedTeam>,
    /// Where the match should be placed when players gave latencies: a location every
    /// player who gave latencies reported and that satisfies the latency rules, the one with
    /// the lowest average latency; `None` when no player gave latencies.
    pub location: Option<String>,
}

/// A team of a proposed match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProposedTeam {
    /// The team's name in the match.
    pub name: String,
    /// Its players, by id.
    pub players: Vec<String>,
}

/// How much work one [`find_matches`] call may do. Seeds are taken oldest first, so what a
/// spent budget leaves out is the newest tickets, for the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Most judgements of a potential match against the rules (each candidate tried on a
    /// team is one).
    pub evaluations: u64,
    /// Most tickets looked at while gathering candidates, over all seeds.
    pub scanned: u64,
    /// Most candidates gathered around one seed (a large match takes at least twice its
    /// players).
    pub window: usize,
}

impl Default for Budget {
    /// Enough to match a pool of 10,000 tickets into 5v5 matches in one call (about 20,000
    /// judgements), while a pool where little matches stops after some 60 ms of search on
    /// one core (about 2.5 µs a judgement, 10 ns a ticket scanned; `BENCHMARKS.md`).
    fn default() -> Self {
        Budget {
            evaluations: 25_000,
            scanned: 1_000_000,
            window: 48,
        }
    }
}

/// Why a match does not keep its rule set: the first problem found, structure first, then
/// team sizes in team order, then rules in rule set order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// The rule set allows no match at all.
    #[error("the rule set allows no match: {0}")]
    RuleSet(String),
    /// A team that is not one of the match's (or is named twice).
    #[error("team {team}: {reason}")]
    Team {
        /// The team's name.
        team: String,
        /// What is wrong.
        reason: String,
    },
    /// A team with too few or too many players for its (expanded) limits.
    #[error("team {team}: {players} players, where {min} to {max} are allowed")]
    TeamSize {
        /// The team's name.
        team: String,
        /// Players on it.
        players: usize,
        /// Its minimum, expansions applied.
        min: u32,
        /// Its maximum, expansions applied.
        max: u32,
    },
    /// A player on no team or on two, on another team than its ticket asks, or of no ticket.
    #[error("player {player}: {reason}")]
    Player {
        /// The player id.
        player: String,
        /// What is wrong.
        reason: String,
    },
    /// A ticket that cannot be in the match as it is: split between teams, a second backfill
    /// ticket, without players, or named twice.
    #[error("ticket {ticket}: {reason}")]
    Ticket {
        /// The ticket id.
        ticket: String,
        /// What is wrong.
        reason: String,
    },
    /// A rule the match breaks.
    #[error("rule {rule}: {reason}")]
    Rule {
        /// The rule's name.
        rule: String,
        /// How the match breaks it.
        reason: String,
    },
}

impl Broken {
    /// The name of the rule, team, player or ticket at fault (empty for [`Broken::RuleSet`]).
    pub fn name(&self) -> &str {
        match self {
            Broken::RuleSet(_) => "",
            Broken::Team { team, .. } | Broken::TeamSize { team, .. } => team,
            Broken::Player { player, .. } => player,
            Broken::Ticket { ticket, .. } => ticket,
            Broken::Rule { rule, .. } => rule,
        }
    }
}

/// Proposes matches from `tickets` (the configuration's searching tickets, any order) at
/// `now_ms`. No ticket appears in two proposals. Every proposal satisfies every rule of the
/// rule set as expanded for it, and each team has between its (expanded) minPlayers and
/// maxPlayers. `budget` bounds the work, so one call stays within milliseconds at 10,000
/// tickets.
///
/// Tickets that can never match are passed by: without players, with more players than a
/// match holds, a player asking for a team no match has, a backfill player without a team,
/// or an id (of the ticket or of a player) that an earlier ticket of `tickets` already has.
pub fn find_matches(
    rule_set: &RuleSet,
    tickets: &[Ticket],
    now_ms: u64,
    budget: Budget,
) -> Vec<Proposal> {
    let compiled = compile::Compiled::new(rule_set);
    if compiled.unusable.is_some() {
        return Vec::new();
    }
    let tickets: Vec<&Ticket> = tickets.iter().collect();
    let pool = pool::Pool::new(&compiled, &tickets, now_ms, true);
    search::run(&compiled, &pool, budget)
}

/// Whether a finished match satisfies the rule set at `now_ms`: its teams are the rule set's,
/// every player of `tickets` is on exactly one team (on the one it asked for, if any; the
/// players of a ticket that asked for none together), at most one ticket is a backfill, each
/// team has between its minimum and maximum players, and every rule holds, expansions
/// applied for the match's wait. `Ok`, or the first thing broken.
pub fn check(
    rule_set: &RuleSet,
    teams: &[ProposedTeam],
    tickets: &[&Ticket],
    now_ms: u64,
) -> Result<(), Broken> {
    verify::check(rule_set, teams, tickets, now_ms)
}

#[cfg(test)]
mod tests;
