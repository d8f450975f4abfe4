//! Backfill: a new backfill request replaces a game session's earlier one, and with
//! `BackfillMode` `AUTOMATIC` the matchmaker starts one for each of its game sessions with
//! open slots.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use serde_json::{Value, json};

use super::report::publish;
use super::{Control, Settings, end_ticket, searching};
use crate::api::model::Timestamp;
use crate::api::tickets::{self, MatchmakingTicket, TicketStatus};
use crate::catalog::{GameSessionStatus, GameSessionUpdate, PlayerSessionStatus};
use crate::ticket::{Backfill, TicketRecord};

/// Cancels the active backfill tickets of a game session, which a new one replaces.
pub(crate) async fn replace_backfill(control: &Control, settings: &Settings, game_session: &str) {
    let Ok(pool) = control.tickets.pool(&settings.name).await else {
        return;
    };
    let earlier: Vec<String> = pool
        .iter()
        .filter(|r| {
            r.backfill
                .as_ref()
                .is_some_and(|b| b.game_session_arn.as_deref() == Some(game_session))
                && searching(r)
        })
        .map(|r| r.id().to_owned())
        .collect();
    if earlier.is_empty() {
        return;
    }
    let now = SystemTime::now();
    let cancel = |records: &mut [TicketRecord]| {
        for record in records.iter_mut().filter(|r| searching(r)) {
            end_ticket(
                &mut record.ticket,
                TicketStatus::Cancelled,
                "CANCELLED",
                "Replaced by a newer backfill request",
                now,
            );
        }
        Ok(())
    };
    if let Ok(records) = control.tickets.update(&earlier, &cancel).await {
        for record in &records {
            publish(
                control,
                settings,
                "MatchmakingCancelled",
                &[record],
                json!({
                    "reason": "Cancelled", "message": "Replaced by a newer backfill request",
                }),
            );
        }
    }
}

/// Automatic backfill: each running game session this configuration made that has open
/// slots (it was matched short, or players left) and no backfill ticket searching for it
/// gets one, with its current players on their teams, as `StartMatchBackfill` would make.
/// At most one scan per configuration per [`BACKFILL_SCAN`].
pub(super) async fn backfill_automatically(
    control: &Control,
    settings: &Settings,
    pool: &BTreeMap<String, TicketRecord>,
    now: SystemTime,
) {
    if !control.matchmaker.time_to_scan(&settings.name) {
        return;
    }
    let running = match control.catalog.running().await {
        Ok(running) => running,
        Err(e) => {
            control
                .matchmaker
                .warn("cannot list game sessions to backfill", &e);
            return;
        }
    };
    let filling: BTreeSet<&str> = pool
        .values()
        .filter_map(|r| r.backfill.as_ref()?.game_session_arn.as_deref())
        .collect();
    let capacity = u32::try_from(settings.rule_set.max_players()).unwrap_or(u32::MAX);
    for (game_session, _) in running {
        let Some(data) = game_session.spec.matchmaker_data.as_deref() else {
            continue;
        };
        let Ok(data) = serde_json::from_str::<Value>(data) else {
            continue;
        };
        let arn = game_session.id.as_str();
        if data["matchmakingConfigurationArn"] != settings.arn.as_str()
            || game_session.status != GameSessionStatus::Active
            || !game_session.accepting_player_sessions
            || game_session.current_player_sessions >= capacity
            || filling.contains(arn)
        {
            continue;
        }
        let present: BTreeSet<String> =
            match control.catalog.player_sessions_of(&game_session.id).await {
                Ok(sessions) => sessions
                    .into_iter()
                    .flatten()
                    .filter(|p| {
                        matches!(
                            p.status,
                            PlayerSessionStatus::Reserved | PlayerSessionStatus::Active
                        )
                    })
                    .map(|p| p.player_id)
                    .collect(),
                Err(_) => continue,
            };
        let players = current_players(&data, &present);
        if players.is_empty() {
            // Everyone left: nothing to build a match around.
            continue;
        }
        let record = TicketRecord {
            ticket: MatchmakingTicket {
                ticket_id: uuid::Uuid::new_v4().to_string(),
                configuration_name: settings.name.clone(),
                configuration_arn: settings.arn.clone(),
                status: TicketStatus::Queued,
                start_time: Timestamp(now),
                players,
                ..MatchmakingTicket::default()
            },
            backfill: Some(Backfill {
                game_session_arn: Some(arn.to_owned()),
                automatic: true,
            }),
            ..TicketRecord::default()
        };
        if let Err(e) = control.tickets.create(&record).await {
            control
                .matchmaker
                .warn("cannot start an automatic backfill", &e);
            continue;
        }
        let mut data = data;
        data["autoBackfillTicketId"] = json!(record.id());
        let update = GameSessionUpdate {
            matchmaker_data: Some(data.to_string()),
            ..GameSessionUpdate::default()
        };
        if let Err(e) = control
            .catalog
            .update_game_session(&game_session.id, update)
            .await
        {
            control
                .matchmaker
                .warn("cannot note an automatic backfill on its game session", &e);
        }
    }
}

/// The players of a game session's matchmaker data who are still in it, with their teams and
/// attributes, as a backfill ticket carries them.
fn current_players(data: &Value, present: &BTreeSet<String>) -> Vec<tickets::Player> {
    let mut players = Vec::new();
    for team in data["teams"].as_array().into_iter().flatten() {
        let Some(name) = team["name"].as_str() else {
            continue;
        };
        for member in team["players"].as_array().into_iter().flatten() {
            let Some(id) = member["playerId"]
                .as_str()
                .filter(|id| present.contains(*id))
            else {
                continue;
            };
            let attributes = member["attributes"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(key, value)| Some((key.clone(), attribute_from_json(value)?)))
                .collect();
            players.push(tickets::Player {
                player_id: Some(id.to_owned()),
                player_attributes: Some(attributes),
                team: Some(name.to_owned()),
                latency_in_ms: None,
            });
        }
    }
    players
}

fn attribute_from_json(value: &Value) -> Option<tickets::AttributeValue> {
    let inner = &value["valueAttribute"];
    let mut out = tickets::AttributeValue::default();
    match value["attributeType"].as_str()? {
        "STRING" => out.s = Some(inner.as_str()?.to_owned()),
        "DOUBLE" => out.n = Some(inner.as_f64()?),
        "STRING_LIST" => out.sl = serde_json::from_value(inner.clone()).ok(),
        "STRING_DOUBLE_MAP" => out.sdm = serde_json::from_value(inner.clone()).ok(),
        _ => return None,
    }
    Some(out)
}
