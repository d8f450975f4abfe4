//! A potential match: its tickets, where each of their players sits, and the teams as the
//! rules read them (one set of teams per party aggregation mode), kept up to date as tickets
//! are added and taken back.

use super::compile::Compiled;
use super::pool::Pool;
use crate::flexmatch::eval::MatchTeam;

/// A potential match.
#[derive(Clone)]
pub(super) struct MatchState {
    /// Its tickets, in the order they joined.
    pub(super) members: Vec<Member>,
    /// Per aggregation mode, per slot, the team.
    pub(super) teams: Vec<Vec<MatchTeam>>,
    /// Players per slot.
    pub(super) counts: Vec<usize>,
}

/// A ticket of a potential match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Member {
    /// Its entry in the pool.
    pub(super) entry: usize,
    /// Per player, the slot it sits in.
    pub(super) slots: Vec<usize>,
}

impl MatchState {
    /// An empty match of `compiled`'s teams.
    pub(super) fn new(compiled: &Compiled<'_>) -> Self {
        let empty: Vec<MatchTeam> = compiled
            .slots
            .iter()
            .map(|s| MatchTeam {
                name: s.name.clone(),
                players: Vec::new(),
            })
            .collect();
        MatchState {
            members: Vec::new(),
            teams: vec![empty; compiled.modes.len().max(1)],
            counts: vec![0; compiled.slots.len()],
        }
    }

    /// Adds a ticket, its players in `member.slots`.
    pub(super) fn push(&mut self, pool: &Pool<'_>, member: Member) {
        let entry = &pool.entries[member.entry];
        for (mode, teams) in self.teams.iter_mut().enumerate() {
            for (player, slot) in entry.view(mode).iter().zip(&member.slots) {
                if let Some(team) = teams.get_mut(*slot) {
                    team.players.push(player.clone());
                }
            }
        }
        for slot in &member.slots {
            if let Some(count) = self.counts.get_mut(*slot) {
                *count += 1;
            }
        }
        self.members.push(member);
    }

    /// Takes back the ticket added last: its players are the last of each of their teams.
    pub(super) fn pop(&mut self) -> Option<Member> {
        let member = self.members.pop()?;
        for teams in &mut self.teams {
            for slot in member.slots.iter().rev() {
                if let Some(team) = teams.get_mut(*slot) {
                    team.players.pop();
                }
            }
        }
        for slot in &member.slots {
            if let Some(count) = self.counts.get_mut(*slot) {
                *count = count.saturating_sub(1);
            }
        }
        Some(member)
    }

    /// The same match with `members` instead, in that order.
    pub(super) fn rebuild(&mut self, pool: &Pool<'_>, members: Vec<Member>) {
        for teams in &mut self.teams {
            for team in teams.iter_mut() {
                team.players.clear();
            }
        }
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.members.clear();
        for member in members {
            self.push(pool, member);
        }
    }

    /// Players in the match.
    pub(super) fn players(&self) -> usize {
        self.counts.iter().sum()
    }
}
