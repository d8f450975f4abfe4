//! What the matchmaker tells the world: matchmaking events, and the `MatchmakerData` it
//! writes on a matched game session, both as GameLift writes them.

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::{Control, Settings, settings};
use crate::api::tickets::{self, GameSessionConnectionInfo};
use crate::events;
use crate::flexmatch::AttributeValue;
use crate::metrics::Metrics;
use crate::ticket::{ProposedMatch, TicketRecord};

/// Publishes `MatchmakingCancelled` for a ticket `StopMatchmaking` ended.
pub(crate) async fn cancelled(control: &Control, record: &TicketRecord) {
    if let Ok(Some(settings)) = settings(control, record.configuration()).await {
        publish(
            control,
            &settings,
            "MatchmakingCancelled",
            &[record],
            json!({
                "reason": "Cancelled", "message": "Stopped by StopMatchmaking",
            }),
        );
    }
}

/// Publishes `AcceptMatch` for a ticket whose players answered.
pub(crate) async fn answered(control: &Control, record: &TicketRecord) {
    if let Ok(Some(settings)) = settings(control, record.configuration()).await {
        let match_id = record.proposed.as_ref().map(|m| m.match_id.clone());
        publish(
            control,
            &settings,
            "AcceptMatch",
            &[record],
            json!({ "matchId": match_id }),
        );
    }
}

/// The `MatchmakerData` of a match, as FlexMatch writes it on the game session: the match id,
/// the configuration's ARN, and each team with its players and their attributes.
pub(super) fn matchmaker_data(
    settings: &Settings,
    proposed: &ProposedMatch,
    records: &[TicketRecord],
) -> String {
    let players: HashMap<&str, &tickets::Player> = records
        .iter()
        .flat_map(|r| &r.ticket.players)
        .filter_map(|p| p.player_id.as_deref().map(|id| (id, p)))
        .collect();
    let teams: Vec<Value> = proposed
        .teams
        .iter()
        .map(|team| {
            let members: Vec<Value> = team
                .players
                .iter()
                .map(|id| {
                    let attributes: serde_json::Map<String, Value> = players
                        .get(id.as_str())
                        .and_then(|p| p.player_attributes.as_ref())
                        .into_iter()
                        .flatten()
                        .map(|(name, value)| (name.clone(), attribute_json(value)))
                        .collect();
                    json!({ "playerId": id, "attributes": attributes })
                })
                .collect();
            json!({ "name": team.name, "players": members })
        })
        .collect();
    let automatic = settings.automatic_backfill;
    json!({
        "matchId": proposed.match_id,
        "matchmakingConfigurationArn": settings.arn,
        "teams": teams,
        "autoBackfillMode": if automatic { json!("AUTOMATIC") } else { Value::Null },
        "autoBackfillTicketId": Value::Null,
    })
    .to_string()
}

fn attribute_json(value: &tickets::AttributeValue) -> Value {
    match attribute(value) {
        AttributeValue::String(s) => json!({"attributeType": "STRING", "valueAttribute": s}),
        AttributeValue::Number(n) => json!({"attributeType": "DOUBLE", "valueAttribute": n}),
        AttributeValue::StringList(l) => {
            json!({"attributeType": "STRING_LIST", "valueAttribute": l})
        }
        AttributeValue::StringNumberMap(m) => {
            json!({"attributeType": "STRING_DOUBLE_MAP", "valueAttribute": m})
        }
    }
}

/// Counts the tickets an event ends, by their final status.
fn count(control: &Control, kind: &str, tickets: usize) {
    let metrics = control.admin.metrics();
    let counter = match kind {
        "MatchmakingSucceeded" => &metrics.tickets_completed,
        "MatchmakingCancelled" => &metrics.tickets_cancelled,
        "MatchmakingTimedOut" => &metrics.tickets_timed_out,
        "MatchmakingFailed" => &metrics.tickets_failed,
        _ => return,
    };
    Metrics::add(counter, u64::try_from(tickets).unwrap_or(u64::MAX));
}

/// A matchmaking event as GameLift writes it: `detail-type` "GameLift Matchmaking Event",
/// `detail.type` the event, the tickets with their players, and `extra` members.
pub(super) fn publish(
    control: &Control,
    settings: &Settings,
    kind: &str,
    records: &[&TicketRecord],
    extra: Value,
) {
    count(control, kind, records.len());
    let tickets: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({
                "ticketId": r.id(),
                "startTime": events::iso8601_millis(r.ticket.start_time.0),
                "players": players_json(&[*r], r.ticket.game_session_connection_info.as_ref()),
            })
        })
        .collect();
    let mut detail = json!({
        "type": kind,
        "tickets": tickets,
        "estimatedWaitMillis": "NOT_AVAILABLE",
    });
    if let (Some(detail), Some(extra)) = (detail.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            if !value.is_null() {
                detail.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some(data) = &settings.custom_event_data {
        detail["customEventData"] = json!(data);
    }
    let event = events::envelope(
        "GameLift Matchmaking Event",
        &control.fleet().region,
        vec![settings.arn.clone()],
        detail,
        SystemTime::now(),
    );
    control.publish_event(settings.notification_target.as_deref(), event);
}

pub(super) fn players_json(
    records: &[&TicketRecord],
    info: Option<&GameSessionConnectionInfo>,
) -> Vec<Value> {
    records
        .iter()
        .flat_map(|r| &r.ticket.players)
        .map(|p| {
            let mut player = json!({ "playerId": p.player_id });
            if let Some(team) = &p.team {
                player["team"] = json!(team);
            }
            let session = info.and_then(|i| {
                i.matched_player_sessions
                    .iter()
                    .find(|s| p.player_id.as_deref() == Some(s.player_id.as_str()))
            });
            if let Some(session) = session {
                player["playerSessionId"] = json!(session.player_session_id);
            }
            player
        })
        .collect()
}

/// A ticket's attribute value as the rule language reads it.
pub(super) fn attribute(value: &tickets::AttributeValue) -> AttributeValue {
    if let Some(s) = &value.s {
        AttributeValue::String(s.clone())
    } else if let Some(n) = value.n {
        AttributeValue::Number(n)
    } else if let Some(list) = &value.sl {
        AttributeValue::StringList(list.clone())
    } else {
        AttributeValue::StringNumberMap(value.sdm.clone().unwrap_or_default())
    }
}
