//! Searching: `QUEUED` tickets start searching, late ones time out, and the searching ones
//! go to the pure matcher, whose proposals claim their tickets.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::json;

use super::placing::{fill, place};
use super::report::{attribute, publish};
use super::{Control, Settings, end_ticket, millis_of, searching};
use crate::api::tickets::TicketStatus;
use crate::flexmatch::matcher;
use crate::ticket::{MatchedTeam, ProposedMatch, TicketError, TicketRecord, millis};

/// `QUEUED` tickets start searching.
pub(super) async fn start_searching(
    control: &Control,
    settings: &Settings,
    pool: &mut BTreeMap<String, TicketRecord>,
) {
    let queued: Vec<String> = pool
        .values()
        .filter(|r| r.ticket.status == TicketStatus::Queued)
        .map(|r| r.id().to_owned())
        .collect();
    if queued.is_empty() {
        return;
    }
    let search = |records: &mut [TicketRecord]| {
        for record in records {
            if record.ticket.status == TicketStatus::Queued {
                record.ticket.status = TicketStatus::Searching;
            }
        }
        Ok(())
    };
    match control.tickets.update(&queued, &search).await {
        Ok(records) => {
            for record in records {
                if record.ticket.status == TicketStatus::Searching {
                    publish(
                        control,
                        settings,
                        "MatchmakingSearching",
                        &[&record],
                        json!({}),
                    );
                }
                pool.insert(record.id().to_owned(), record);
            }
        }
        Err(e) => control.matchmaker.warn("cannot start tickets", &e),
    }
}

/// Tickets that searched for longer than the request timeout end `TIMED_OUT`.
pub(super) async fn time_out(
    control: &Control,
    settings: &Settings,
    pool: &mut BTreeMap<String, TicketRecord>,
    now: SystemTime,
) {
    let deadline = millis(now).saturating_sub(millis_of(settings.request_timeout));
    let late: Vec<String> = pool
        .values()
        .filter(|r| searching(r) && r.start_ms() <= deadline)
        .map(|r| r.id().to_owned())
        .collect();
    if late.is_empty() {
        return;
    }
    let end = |records: &mut [TicketRecord]| {
        for record in records.iter_mut().filter(|r| searching(r)) {
            end_ticket(
                &mut record.ticket,
                TicketStatus::TimedOut,
                "TIMED_OUT",
                "Not matched within the request timeout",
                now,
            );
        }
        Ok(())
    };
    match control.tickets.update(&late, &end).await {
        Ok(records) => {
            let ended: Vec<&TicketRecord> = records
                .iter()
                .filter(|r| r.ticket.status == TicketStatus::TimedOut)
                .collect();
            if !ended.is_empty() {
                publish(
                    control,
                    settings,
                    "MatchmakingTimedOut",
                    &ended,
                    json!({
                        "reason": "TimedOut",
                        "message": "Not matched within the request timeout",
                    }),
                );
            }
            for record in records {
                pool.insert(record.id().to_owned(), record);
            }
        }
        Err(e) => control.matchmaker.warn("cannot time tickets out", &e),
    }
}

/// Proposes matches from the searching tickets and claims each one's tickets.
pub(super) async fn search(
    control: &Control,
    settings: &Settings,
    pool: &BTreeMap<String, TicketRecord>,
    now: SystemTime,
) {
    let candidates: Vec<matcher::Ticket> = pool
        .values()
        .filter(|r| r.ticket.status == TicketStatus::Searching)
        .map(matcher_ticket)
        .collect();
    if candidates.is_empty() {
        return;
    }
    // Tens of milliseconds of CPU at 10,000 tickets: off the threads that serve sockets.
    let rule_set = Arc::clone(&settings.rule_set);
    let at = millis(now);
    let search = tokio::task::spawn_blocking(move || {
        matcher::find_matches(&rule_set, &candidates, at, matcher::Budget::default())
    });
    let proposals = match search.await {
        Ok(proposals) => proposals,
        Err(e) => {
            control.matchmaker.warn("the matcher failed", &e);
            return;
        }
    };
    for proposal in proposals {
        propose(control, settings, pool, proposal, now).await;
    }
}

/// A stored ticket as the matcher reads it.
fn matcher_ticket(record: &TicketRecord) -> matcher::Ticket {
    matcher::Ticket {
        id: record.id().to_owned(),
        start_ms: record.start_ms(),
        backfill: record.backfill.is_some(),
        players: record
            .ticket
            .players
            .iter()
            .map(|p| matcher::TicketPlayer {
                id: p.player_id.clone().unwrap_or_default(),
                attributes: p
                    .player_attributes
                    .iter()
                    .flatten()
                    .map(|(name, value)| (name.clone(), attribute(value)))
                    .collect(),
                team: p.team.clone(),
                latency_ms: p
                    .latency_in_ms
                    .iter()
                    .flatten()
                    .map(|(location, ms)| {
                        (location.clone(), u32::try_from(*ms).unwrap_or(u32::MAX))
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Claims a proposal's tickets, all still searching, for one match; then asks its players to
/// accept it, or places it.
async fn propose(
    control: &Control,
    settings: &Settings,
    pool: &BTreeMap<String, TicketRecord>,
    proposal: matcher::Proposal,
    now: SystemTime,
) {
    let backfill = proposal
        .tickets
        .iter()
        .any(|id| pool.get(id).is_some_and(|r| r.backfill.is_some()));
    // Only new players are asked: a backfill's players are in their game already.
    let acceptance = settings.acceptance_timeout.filter(|_| {
        proposal
            .tickets
            .iter()
            .any(|id| pool.get(id).is_some_and(|r| r.backfill.is_none()))
    });
    let proposed = ProposedMatch {
        match_id: uuid::Uuid::new_v4().to_string(),
        tickets: proposal.tickets.clone(),
        teams: proposal
            .teams
            .iter()
            .map(|t| MatchedTeam {
                name: t.name.clone(),
                players: t.players.clone(),
            })
            .collect(),
        location: proposal.location.clone(),
        acceptance_deadline_ms: acceptance.map(|t| millis(now) + millis_of(t)),
    };
    let status = if acceptance.is_some() {
        TicketStatus::RequiresAcceptance
    } else {
        TicketStatus::Placing
    };
    let claim = |records: &mut [TicketRecord]| {
        for record in records.iter_mut() {
            if record.ticket.status != TicketStatus::Searching {
                return Err(TicketError::Refused(format!(
                    "ticket {} is no longer searching",
                    record.id()
                )));
            }
            record.ticket.status = status;
            record.proposed = Some(proposed.clone());
            record.accepted.clear();
            record.rejected = false;
            for player in &mut record.ticket.players {
                let id = player.player_id.as_deref().unwrap_or_default();
                if let Some(team) = proposed
                    .teams
                    .iter()
                    .find(|t| t.players.iter().any(|p| p == id))
                {
                    player.team = Some(team.name.clone());
                }
            }
        }
        Ok(())
    };
    let records = match control.tickets.update(&proposal.tickets, &claim).await {
        Ok(records) => records,
        // Stopped meanwhile: the others are proposed again next round.
        Err(TicketError::Refused(_)) => return,
        Err(e) => {
            control
                .matchmaker
                .warn("cannot claim a match's tickets", &e);
            return;
        }
    };
    let all: Vec<&TicketRecord> = records.iter().collect();
    let mut extra = json!({ "matchId": proposed.match_id });
    if let Some(timeout) = acceptance {
        extra["acceptanceTimeout"] = json!(timeout.as_secs());
        extra["acceptanceRequired"] = json!(true);
    } else {
        extra["acceptanceRequired"] = json!(false);
    }
    publish(control, settings, "PotentialMatchCreated", &all, extra);
    if acceptance.is_none() {
        if backfill {
            fill(control, settings, &records, now).await;
        } else {
            place(control, settings, &records, now).await;
        }
    }
}
