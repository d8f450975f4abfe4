//! Placing: a match's game session is placed through the configuration's queue (or, for a
//! backfill, its players join the game session being filled), and its tickets complete with
//! where to connect, or fail.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::json;

use super::report::{matchmaker_data, players_json, publish};
use super::{Control, Settings, end_ticket};
use crate::api::game_sessions::MAX_PLAYERS_PER_GAME_SESSION;
use crate::api::model::Timestamp;
use crate::api::placements::{
    DesiredPlayerSession, GameSessionPlacement, GameSessionPlacementState, PlayerLatency,
};
use crate::api::tickets::{self, GameSessionConnectionInfo, MatchedPlayerSession, TicketStatus};
use crate::catalog::{GameSessionUpdate, PlayerSessionStatus};
use crate::control::placer;
use crate::core::GameSessionId;
use crate::placement::PlacementError;
use crate::ticket::{TicketError, TicketRecord};

/// Starts the placement of a match whose tickets are `PLACING`: through the configuration's
/// queue, or, standalone, the match is complete as it is.
pub(super) async fn place(
    control: &Control,
    settings: &Settings,
    records: &[TicketRecord],
    now: SystemTime,
) {
    let Some(proposed) = records.first().and_then(|r| r.proposed.clone()) else {
        return;
    };
    let Some(queue) = &settings.queue else {
        complete(control, settings, records, None, now).await;
        return;
    };
    let players: Vec<&tickets::Player> = records.iter().flat_map(|r| &r.ticket.players).collect();
    let placement = GameSessionPlacement {
        placement_id: proposed.match_id.clone(),
        game_session_queue_name: queue.clone(),
        status: GameSessionPlacementState::Pending,
        game_properties: settings.game_properties.clone(),
        maximum_player_session_count: capacity(settings, players.len()),
        start_time: Timestamp(now),
        game_session_data: settings.game_session_data.clone(),
        matchmaker_data: Some(matchmaker_data(settings, &proposed, records)),
        player_latencies: players
            .iter()
            .flat_map(|p| {
                p.latency_in_ms
                    .iter()
                    .flatten()
                    .map(|(location, ms)| PlayerLatency {
                        player_id: p.player_id.clone(),
                        region_identifier: Some(location.clone()),
                        latency_in_milliseconds: Some(*ms as f64),
                    })
            })
            .collect(),
        desired_player_sessions: players
            .iter()
            .map(|p| DesiredPlayerSession {
                player_id: p.player_id.clone(),
                player_data: None,
            })
            .collect(),
        ..GameSessionPlacement::default()
    };
    let millis_now = placer::to_millisecond(now);
    match control
        .placements
        .create(millis_now, &placement, millis_now)
        .await
    {
        // Made by an earlier round that did not get to see it: it is followed all the same.
        Ok(()) | Err(PlacementError::Duplicate(_)) => control.placer.wake(),
        Err(e) => {
            control
                .matchmaker
                .warn("cannot start a match's placement", &e);
            fail(
                control,
                settings,
                records,
                "The match could not be placed",
                now,
            )
            .await;
        }
    }
}

/// Room in a matched game session: the rule set's largest match, so that backfill has slots
/// to fill, and at least the matched players plus `AdditionalPlayerCount`; never more than a
/// game session takes.
fn capacity(settings: &Settings, matched: usize) -> i32 {
    let most = u64::try_from(MAX_PLAYERS_PER_GAME_SESSION).unwrap_or(0);
    let wanted = u64::try_from(matched)
        .unwrap_or(u64::MAX)
        .saturating_add(u64::from(settings.additional_players))
        .max(settings.rule_set.max_players());
    i32::try_from(wanted.min(most)).unwrap_or(i32::MAX)
}

/// A `PLACING` match whose placement ended: its tickets complete with where to connect, or
/// fail.
pub(super) async fn follow_placement(
    control: &Control,
    settings: &Settings,
    pool: &BTreeMap<String, TicketRecord>,
    match_id: &str,
) {
    let tickets: Vec<String> = pool
        .values()
        .filter(|r| r.ticket.status == TicketStatus::Placing)
        .filter(|r| r.proposed.as_ref().is_some_and(|m| m.match_id == match_id))
        .map(|r| r.id().to_owned())
        .collect();
    let records: Vec<TicketRecord> = tickets
        .iter()
        .filter_map(|id| pool.get(id).cloned())
        .collect();
    if records.iter().any(|r| r.backfill.is_some()) {
        // A backfill is filled at once, never placed; one left here was cut short.
        fill(control, settings, &records, SystemTime::now()).await;
        return;
    }
    let placement = match control.placements.get(match_id).await {
        Ok(placement) => placement,
        Err(e) => {
            control
                .matchmaker
                .warn("cannot read a match's placement", &e);
            return;
        }
    };
    let now = SystemTime::now();
    match placement {
        None => place(control, settings, &records, now).await,
        Some(p) if p.status == GameSessionPlacementState::Pending => {}
        Some(p) if p.status == GameSessionPlacementState::Fulfilled => {
            let info = GameSessionConnectionInfo {
                game_session_arn: p.game_session_arn.clone().unwrap_or_default(),
                ip_address: p.ip_address.clone().unwrap_or_default(),
                dns_name: p.dns_name.clone().unwrap_or_default(),
                port: p.port.unwrap_or_default(),
                matched_player_sessions: p
                    .placed_player_sessions
                    .iter()
                    .map(|s| MatchedPlayerSession {
                        player_id: s.player_id.clone(),
                        player_session_id: s.player_session_id.clone(),
                    })
                    .collect(),
            };
            complete(control, settings, &records, Some(info), now).await;
        }
        Some(p) => {
            let message = format!("The match's placement ended {}", p.status.as_str());
            fail(control, settings, &records, &message, now).await;
        }
    }
}

/// A backfill match: reserves the new players in the game session being filled, writes its
/// new matchmaker data, and completes the tickets.
pub(super) async fn fill(
    control: &Control,
    settings: &Settings,
    records: &[TicketRecord],
    now: SystemTime,
) {
    let Some(proposed) = records.first().and_then(|r| r.proposed.clone()) else {
        return;
    };
    let Some(arn) = records
        .iter()
        .find_map(|r| r.backfill.as_ref())
        .and_then(|b| b.game_session_arn.clone())
    else {
        // Standalone: the match is the answer.
        complete(control, settings, records, None, now).await;
        return;
    };
    let id = GameSessionId::new(arn.clone());
    // A round cut short after reserving is repeated: players with a session keep it.
    let earlier = match control.catalog.player_sessions_of(&id).await {
        Ok(sessions) => sessions.unwrap_or_default(),
        Err(e) => {
            control
                .matchmaker
                .warn("cannot read a backfilled game session", &e);
            return;
        }
    };
    let mut matched = Vec::new();
    let mut missing = Vec::new();
    for player in records
        .iter()
        .filter(|r| r.backfill.is_none())
        .flat_map(|r| &r.ticket.players)
    {
        let player_id = player.player_id.clone().unwrap_or_default();
        let held = earlier.iter().find(|s| {
            s.player_id == player_id
                && matches!(
                    s.status,
                    PlayerSessionStatus::Reserved | PlayerSessionStatus::Active
                )
        });
        match held {
            Some(session) => matched.push(MatchedPlayerSession {
                player_id,
                player_session_id: session.id.clone(),
            }),
            None => missing.push((player_id, None)),
        }
    }
    if !missing.is_empty() {
        match control.sessions.create_player_sessions(&id, missing).await {
            Ok(sessions) => matched.extend(sessions.into_iter().map(|s| MatchedPlayerSession {
                player_id: s.player_id,
                player_session_id: s.id,
            })),
            Err(e) => {
                control
                    .matchmaker
                    .warn("cannot reserve a backfill's players", &e);
                fail(
                    control,
                    settings,
                    records,
                    "The game session has no room for the match",
                    now,
                )
                .await;
                return;
            }
        }
    }
    let update = GameSessionUpdate {
        matchmaker_data: Some(matchmaker_data(settings, &proposed, records)),
        ..GameSessionUpdate::default()
    };
    if let Err(e) = control.catalog.update_game_session(&id, update).await {
        control.matchmaker.warn(
            "cannot write a backfilled game session's matchmaker data",
            &e,
        );
    }
    let game_session = match control.catalog.game_session(&id).await {
        Ok(Some(game_session)) => game_session,
        Ok(None) | Err(_) => {
            fail(
                control,
                settings,
                records,
                "The game session being filled is gone",
                now,
            )
            .await;
            return;
        }
    };
    let shape = control.shapes().game_session(&game_session);
    let info = GameSessionConnectionInfo {
        game_session_arn: arn,
        ip_address: shape.ip_address,
        dns_name: shape.dns_name,
        port: shape.port,
        matched_player_sessions: matched,
    };
    complete(control, settings, records, Some(info), now).await;
}

/// Ends a match's tickets `COMPLETED`, each with its own players' sessions.
async fn complete(
    control: &Control,
    settings: &Settings,
    records: &[TicketRecord],
    info: Option<GameSessionConnectionInfo>,
    now: SystemTime,
) {
    // A round takes a while: a ticket ends when it is written, not when its round began.
    let now = SystemTime::now().max(now);
    let ids: Vec<String> = records.iter().map(|r| r.id().to_owned()).collect();
    let done = |records: &mut [TicketRecord]| {
        for record in records.iter_mut() {
            if !record.ticket.status.is_active() {
                return Err(TicketError::Refused("a ticket ended meanwhile".into()));
            }
            record.ticket.status = TicketStatus::Completed;
            record.ticket.end_time = Some(Timestamp(now));
            record.ticket.status_reason = None;
            record.ticket.status_message = None;
            record.ticket.game_session_connection_info = info.as_ref().map(|info| {
                let mine = |s: &&MatchedPlayerSession| {
                    record
                        .ticket
                        .players
                        .iter()
                        .any(|p| p.player_id.as_deref() == Some(s.player_id.as_str()))
                };
                GameSessionConnectionInfo {
                    matched_player_sessions: info
                        .matched_player_sessions
                        .iter()
                        .filter(mine)
                        .cloned()
                        .collect(),
                    ..info.clone()
                }
            });
        }
        Ok(())
    };
    match control.tickets.update(&ids, &done).await {
        Ok(records) => {
            let all: Vec<&TicketRecord> = records.iter().collect();
            let mut extra = json!({
                "matchId": records.first().and_then(|r| r.proposed.as_ref()).map(|m| m.match_id.clone()),
            });
            if let Some(info) = &info {
                extra["gameSessionInfo"] = json!({
                    "gameSessionArn": info.game_session_arn,
                    "ipAddress": info.ip_address,
                    "dnsName": info.dns_name,
                    "port": info.port,
                    "players": players_json(&all, Some(info)),
                });
            }
            publish(control, settings, "MatchmakingSucceeded", &all, extra);
        }
        Err(e) => control
            .matchmaker
            .warn("cannot complete a match's tickets", &e),
    }
}

/// Ends a match's tickets `FAILED`.
async fn fail(
    control: &Control,
    settings: &Settings,
    records: &[TicketRecord],
    message: &str,
    now: SystemTime,
) {
    // A round takes a while: a ticket ends when it is written, not when its round began.
    let now = SystemTime::now().max(now);
    let ids: Vec<String> = records.iter().map(|r| r.id().to_owned()).collect();
    let end = |records: &mut [TicketRecord]| {
        for record in records.iter_mut().filter(|r| r.ticket.status.is_active()) {
            end_ticket(
                &mut record.ticket,
                TicketStatus::Failed,
                "FAILED",
                message,
                now,
            );
        }
        Ok(())
    };
    match control.tickets.update(&ids, &end).await {
        Ok(records) => {
            let all: Vec<&TicketRecord> = records.iter().collect();
            publish(
                control,
                settings,
                "MatchmakingFailed",
                &all,
                json!({
                    "reason": "UNEXPECTED_ERROR", "message": message,
                }),
            );
        }
        Err(e) => control.matchmaker.warn("cannot fail a match's tickets", &e),
    }
}
