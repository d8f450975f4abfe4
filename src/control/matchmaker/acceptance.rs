//! Acceptance: a proposed match whose players must accept it is placed once all did, and
//! otherwise undone when one rejects or time runs out.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::json;

use super::placing::{fill, place};
use super::report::publish;
use super::{Control, Settings, end_ticket};
use crate::api::tickets::TicketStatus;
use crate::ticket::{TicketError, TicketRecord, millis};

/// A match whose players answered (or ran out of time): placed once every player accepted;
/// otherwise the tickets with a player who rejected or did not answer end `CANCELLED` and the
/// others search again.
pub(super) async fn resolve_acceptance(
    control: &Control,
    settings: &Settings,
    pool: &BTreeMap<String, TicketRecord>,
    match_id: &str,
    now: SystemTime,
) {
    let Some(proposed) = pool
        .values()
        .find_map(|r| r.proposed.as_ref().filter(|m| m.match_id == match_id))
    else {
        return;
    };
    let records = match control.tickets.get(&proposed.tickets).await {
        Ok(records) => records,
        Err(e) => {
            control.matchmaker.warn("cannot read a match's tickets", &e);
            return;
        }
    };
    let in_match = |r: &TicketRecord| {
        r.ticket.status == TicketStatus::RequiresAcceptance
            && r.proposed.as_ref().is_some_and(|m| m.match_id == match_id)
    };
    let accepted = |r: &TicketRecord| {
        r.backfill.is_some()
            || r.ticket.players.iter().all(|p| {
                p.player_id
                    .as_ref()
                    .is_some_and(|id| r.accepted.contains(id))
            })
    };
    let whole = records.len() == proposed.tickets.len() && records.iter().all(in_match);
    let expired = proposed
        .acceptance_deadline_ms
        .is_some_and(|deadline| millis(now) >= deadline);
    if whole && records.iter().all(|r| !r.rejected && accepted(r)) {
        let go = |records: &mut [TicketRecord]| {
            if !records.iter().all(in_match) {
                return Err(TicketError::Refused("the match changed".into()));
            }
            records
                .iter_mut()
                .for_each(|r| r.ticket.status = TicketStatus::Placing);
            Ok(())
        };
        let Ok(records) = control.tickets.update(&proposed.tickets, &go).await else {
            return;
        };
        let all: Vec<&TicketRecord> = records.iter().collect();
        publish(
            control,
            settings,
            "AcceptMatchCompleted",
            &all,
            json!({
                "matchId": match_id, "acceptance": "Accepted",
            }),
        );
        let backfill = records.iter().any(|r| r.backfill.is_some());
        if backfill {
            fill(control, settings, &records, now).await;
        } else {
            place(control, settings, &records, now).await;
        }
        return;
    }
    let broken = !whole || records.iter().any(|r| r.rejected);
    if !broken && !expired {
        return;
    }
    // The match is off: who spoiled it ends, the others search again.
    let remaining: Vec<String> = records
        .iter()
        .filter(|r| in_match(r))
        .map(|r| r.id().to_owned())
        .collect();
    let undo = |records: &mut [TicketRecord]| {
        for record in records.iter_mut() {
            if !in_match(record) {
                return Err(TicketError::Refused("the match changed".into()));
            }
            if record.rejected || (expired && !accepted(record)) {
                let reason = if record.rejected {
                    "REJECTED"
                } else {
                    "TIMED_OUT"
                };
                end_ticket(
                    &mut record.ticket,
                    TicketStatus::Cancelled,
                    reason,
                    "A player did not accept the match",
                    now,
                );
            } else {
                record.ticket.status = TicketStatus::Searching;
                record.ticket.status_reason = Some("ACCEPTANCE_FAILED".into());
                record.ticket.status_message =
                    Some("Another player did not accept the match; searching again".into());
                record.proposed = None;
                record.accepted.clear();
                record
                    .ticket
                    .players
                    .iter_mut()
                    .filter(|_| record.backfill.is_none())
                    .for_each(|p| p.team = None);
            }
        }
        Ok(())
    };
    let Ok(records) = control.tickets.update(&remaining, &undo).await else {
        return;
    };
    let all: Vec<&TicketRecord> = records.iter().collect();
    let acceptance = if broken { "Rejected" } else { "TimedOut" };
    publish(
        control,
        settings,
        "AcceptMatchCompleted",
        &all,
        json!({
            "matchId": match_id, "acceptance": acceptance,
        }),
    );
    let cancelled: Vec<&TicketRecord> = records
        .iter()
        .filter(|r| r.ticket.status == TicketStatus::Cancelled)
        .collect();
    if !cancelled.is_empty() {
        publish(
            control,
            settings,
            "MatchmakingCancelled",
            &cancelled,
            json!({
                "matchId": match_id, "reason": "AcceptanceFailed",
            }),
        );
    }
}
