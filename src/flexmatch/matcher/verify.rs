//! [`super::check`]: a finished match against its rule set, structure first (teams, players,
//! tickets), then team sizes, then the rules, each with expansions applied for the match's
//! wait.

use std::collections::{BTreeMap, BTreeSet};

use super::compile::Compiled;
use super::evaluate::{judge, wait};
use super::pool::Pool;
use super::state::{MatchState, Member};
use super::{Broken, ProposedTeam, Ticket};
use crate::flexmatch::RuleSet;

pub(super) fn check(
    rule_set: &RuleSet,
    teams: &[ProposedTeam],
    tickets: &[&Ticket],
    now_ms: u64,
) -> Result<(), Broken> {
    let compiled = Compiled::new(rule_set);
    if let Some(why) = &compiled.unusable {
        return Err(Broken::RuleSet(why.clone()));
    }

    // Teams: each one of the match's, once.
    let mut slot_of_team = Vec::with_capacity(teams.len());
    let mut seen_teams = BTreeSet::new();
    for team in teams {
        let Some(slot) = compiled.slots.iter().position(|s| s.name == team.name) else {
            return Err(Broken::Team {
                team: team.name.clone(),
                reason: "not a team of the rule set".to_owned(),
            });
        };
        if !seen_teams.insert(slot) {
            return Err(Broken::Team {
                team: team.name.clone(),
                reason: "named twice".to_owned(),
            });
        }
        slot_of_team.push(slot);
    }

    // Tickets and their players.
    let mut ticket_ids = BTreeSet::new();
    let mut player_of: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut backfills = 0;
    for (t, ticket) in tickets.iter().enumerate() {
        if !ticket_ids.insert(ticket.id.as_str()) {
            return Err(Broken::Ticket {
                ticket: ticket.id.clone(),
                reason: "named twice".to_owned(),
            });
        }
        if ticket.players.is_empty() {
            return Err(Broken::Ticket {
                ticket: ticket.id.clone(),
                reason: "it has no players".to_owned(),
            });
        }
        if ticket.backfill {
            backfills += 1;
            if backfills > 1 {
                return Err(Broken::Ticket {
                    ticket: ticket.id.clone(),
                    reason: "a match takes at most one backfill ticket".to_owned(),
                });
            }
        }
        for (p, player) in ticket.players.iter().enumerate() {
            if player_of.insert(player.id.as_str(), (t, p)).is_some() {
                return Err(Broken::Player {
                    player: player.id.clone(),
                    reason: "is in two tickets".to_owned(),
                });
            }
            if ticket.backfill && player.team.is_none() {
                return Err(Broken::Player {
                    player: player.id.clone(),
                    reason: "is in a backfill ticket but has no team".to_owned(),
                });
            }
        }
    }

    // Where each player sits.
    let mut placed: Vec<Vec<Option<usize>>> = tickets
        .iter()
        .map(|t| vec![None; t.players.len()])
        .collect();
    for (team, slot) in teams.iter().zip(&slot_of_team) {
        for id in &team.players {
            let Some((t, p)) = player_of.get(id.as_str()) else {
                return Err(Broken::Player {
                    player: id.clone(),
                    reason: "is in none of the match's tickets".to_owned(),
                });
            };
            let seat = &mut placed[*t][*p];
            if seat.is_some() {
                return Err(Broken::Player {
                    player: id.clone(),
                    reason: "is on two teams, or twice on one".to_owned(),
                });
            }
            *seat = Some(*slot);
        }
    }
    let mut members = Vec::with_capacity(tickets.len());
    for (t, ticket) in tickets.iter().enumerate() {
        let mut slots = Vec::with_capacity(ticket.players.len());
        let mut chosen: Option<usize> = None;
        for (p, player) in ticket.players.iter().enumerate() {
            let Some(slot) = placed[t][p] else {
                return Err(Broken::Player {
                    player: player.id.clone(),
                    reason: "is on no team".to_owned(),
                });
            };
            match &player.team {
                Some(asked) if compiled.slots[slot].name != *asked => {
                    return Err(Broken::Player {
                        player: player.id.clone(),
                        reason: format!("asked for team {asked}"),
                    });
                }
                Some(_) => {}
                None => match chosen {
                    Some(other) if other != slot => {
                        return Err(Broken::Ticket {
                            ticket: ticket.id.clone(),
                            reason: "its players are split between teams".to_owned(),
                        });
                    }
                    _ => chosen = Some(slot),
                },
            }
            slots.push(slot);
        }
        members.push(Member { entry: t, slots });
    }

    let pool = Pool::new(&compiled, tickets, now_ms, false);
    let mut state = MatchState::new(&compiled);
    state.rebuild(&pool, members);
    let params = compiled.params(wait(&compiled, &pool, &state.members));
    for (slot, players) in state.counts.iter().enumerate() {
        let (min, max) = (params.min[slot], params.max[slot]);
        if *players < min as usize || *players > max as usize {
            return Err(Broken::TeamSize {
                team: compiled.slots[slot].name.clone(),
                players: *players,
                min,
                max,
            });
        }
    }
    let verdict = judge(&compiled, params, &pool, &state, true);
    match verdict.first_failure(&compiled) {
        Some((rule, reason)) => Err(Broken::Rule {
            rule: compiled.rules[rule].name.clone(),
            reason,
        }),
        None => Ok(()),
    }
}
