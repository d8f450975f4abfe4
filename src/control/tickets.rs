//! The matchmaking ticket operations (control-api.md §2.12): StartMatchmaking,
//! DescribeMatchmaking, StopMatchmaking, AcceptMatch and StartMatchBackfill over the server's
//! [`TicketStore`]. Starting a ticket only records it, `QUEUED`, and wakes the [`matchmaker`],
//! which searches with it; stopping and accepting change it in one atomic step of the store,
//! so they never cross a change the matchmaker makes.
//!
//! [`TicketStore`]: crate::ticket::TicketStore
//! [`matchmaker`]: super::matchmaker

use std::time::SystemTime;

use tracing::error;

use super::Control;
use super::error::{ApiError, ErrorType};
use super::matchmaker::{self, Settings};
use crate::api::model::Timestamp;
use crate::api::tickets::{
    AcceptMatchInput, AcceptMatchOutput, AcceptanceType, DescribeMatchmakingInput,
    DescribeMatchmakingOutput, MatchmakingTicket, Player, StartMatchBackfillInput,
    StartMatchmakingInput, StartMatchmakingOutput, StopMatchmakingInput, StopMatchmakingOutput,
    TicketStatus, configuration_name_of,
};
use crate::catalog::GameSessionStatus;
use crate::core::GameSessionId;
use crate::flexmatch::{AttributeType, RuleSet};
use crate::ticket::{Backfill, TicketError, TicketRecord};

pub(super) async fn start_matchmaking(
    control: &Control,
    input: StartMatchmakingInput,
) -> Result<StartMatchmakingOutput, ApiError> {
    let settings = settings(control, &input.configuration_name).await?;
    attributes(&settings.rule_set, &input.players)?;
    let record = TicketRecord {
        ticket: new_ticket(&settings, input.ticket_id, input.players),
        ..TicketRecord::default()
    };
    create(control, &record).await?;
    Ok(StartMatchmakingOutput {
        matchmaking_ticket: record.ticket,
    })
}

pub(super) async fn start_match_backfill(
    control: &Control,
    input: StartMatchBackfillInput,
) -> Result<StartMatchmakingOutput, ApiError> {
    let settings = settings(control, &input.configuration_name).await?;
    attributes(&settings.rule_set, &input.players)?;
    for (i, player) in input.players.iter().enumerate() {
        let team = player.team.as_deref().unwrap_or_default();
        if !settings.rule_set.teams.iter().any(|t| t.name == team) {
            return Err(invalid(format!(
                "Players[{i}].Team: the rule set has no team {team}"
            )));
        }
    }
    if let Some(arn) = &input.game_session_arn {
        let game_session = control
            .catalog
            .game_session(&GameSessionId::new(arn.clone()))
            .await
            .map_err(|e| {
                error!(error = %e, "the catalog failed");
                ApiError::new(ErrorType::Internal, "the game session store failed")
            })?
            .ok_or_else(|| ApiError::not_found(format!("No game session matches {arn}")))?;
        if game_session.status != GameSessionStatus::Active {
            return Err(invalid(format!(
                "Game session {arn} is {}; only an ACTIVE game session is backfilled",
                game_session.status.as_str()
            )));
        }
    } else if settings.queue.is_some() {
        return Err(invalid(
            "GameSessionArn: a configuration that places game sessions backfills one of them",
        ));
    }
    let record = TicketRecord {
        ticket: new_ticket(&settings, input.ticket_id, input.players),
        backfill: Some(Backfill {
            game_session_arn: input.game_session_arn,
            automatic: false,
        }),
        ..TicketRecord::default()
    };
    // A game session has one backfill at a time: a new request replaces the earlier one.
    if let Some(arn) = &record
        .backfill
        .as_ref()
        .and_then(|b| b.game_session_arn.clone())
    {
        matchmaker::replace_backfill(control, &settings, arn).await;
    }
    create(control, &record).await?;
    Ok(StartMatchmakingOutput {
        matchmaking_ticket: record.ticket,
    })
}

pub(super) async fn describe_matchmaking(
    control: &Control,
    input: DescribeMatchmakingInput,
) -> Result<DescribeMatchmakingOutput, ApiError> {
    let records = control
        .tickets
        .get(&input.ticket_ids)
        .await
        .map_err(store_error)?;
    Ok(DescribeMatchmakingOutput {
        ticket_list: records.into_iter().map(|r| r.ticket).collect(),
    })
}

pub(super) async fn stop_matchmaking(
    control: &Control,
    input: StopMatchmakingInput,
) -> Result<StopMatchmakingOutput, ApiError> {
    let id = input.ticket_id;
    let now = SystemTime::now();
    let cancel = |records: &mut [TicketRecord]| {
        let ticket = &mut records[0].ticket;
        match ticket.status {
            TicketStatus::Queued | TicketStatus::Searching | TicketStatus::RequiresAcceptance => {
                ticket.status = TicketStatus::Cancelled;
                ticket.status_reason = Some("CANCELLED".into());
                ticket.status_message = Some("Stopped by StopMatchmaking".into());
                ticket.end_time = Some(Timestamp(now));
                Ok(())
            }
            // Stopping it again changes nothing.
            TicketStatus::Cancelled => Err(TicketError::Refused(String::new())),
            status => Err(TicketError::Refused(format!(
                "Ticket {} is {} and can no longer be stopped",
                ticket.ticket_id,
                status.as_str()
            ))),
        }
    };
    match control.tickets.update(&[id], &cancel).await {
        Ok(records) => {
            matchmaker::cancelled(control, &records[0]).await;
            control.matchmaker.wake();
            Ok(StopMatchmakingOutput {})
        }
        Err(TicketError::Refused(reason)) if reason.is_empty() => Ok(StopMatchmakingOutput {}),
        Err(e) => Err(store_error(e)),
    }
}

pub(super) async fn accept_match(
    control: &Control,
    input: AcceptMatchInput,
) -> Result<AcceptMatchOutput, ApiError> {
    let answer = |records: &mut [TicketRecord]| {
        let record = &mut records[0];
        if record.ticket.status != TicketStatus::RequiresAcceptance {
            return Err(TicketError::Refused(format!(
                "Ticket {} is {}, not REQUIRES_ACCEPTANCE",
                record.ticket.ticket_id,
                record.ticket.status.as_str()
            )));
        }
        for player in &input.player_ids {
            if !record
                .ticket
                .players
                .iter()
                .any(|p| p.player_id.as_deref() == Some(player))
            {
                return Err(TicketError::Refused(format!(
                    "Player {player} is not on ticket {}",
                    record.ticket.ticket_id
                )));
            }
            match input.acceptance_type {
                AcceptanceType::Accept if !record.accepted.contains(player) => {
                    record.accepted.push(player.clone());
                }
                AcceptanceType::Accept => {}
                AcceptanceType::Reject => record.rejected = true,
            }
        }
        Ok(())
    };
    let records = control
        .tickets
        .update(std::slice::from_ref(&input.ticket_id), &answer)
        .await
        .map_err(store_error)?;
    matchmaker::answered(control, &records[0]).await;
    control.matchmaker.wake();
    Ok(AcceptMatchOutput {})
}

/// The configuration a request names, with its rule set.
async fn settings(control: &Control, name_or_arn: &str) -> Result<Settings, ApiError> {
    let name = configuration_name_of(name_or_arn);
    matchmaker::settings(control, name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No matchmaking configuration matches {name}")))
}

fn new_ticket(settings: &Settings, id: Option<String>, players: Vec<Player>) -> MatchmakingTicket {
    MatchmakingTicket {
        ticket_id: id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        configuration_name: settings.name.clone(),
        configuration_arn: settings.arn.clone(),
        status: TicketStatus::Queued,
        start_time: Timestamp(SystemTime::now()),
        players,
        ..MatchmakingTicket::default()
    }
}

async fn create(control: &Control, record: &TicketRecord) -> Result<(), ApiError> {
    control.tickets.create(record).await.map_err(store_error)?;
    control.matchmaker.wake();
    Ok(())
}

/// Refuses attributes of another type than the rule set declares; others are kept and
/// not read.
fn attributes(rule_set: &RuleSet, players: &[Player]) -> Result<(), ApiError> {
    for (i, player) in players.iter().enumerate() {
        for (name, value) in player.player_attributes.iter().flatten() {
            let Some(declared) = rule_set.attribute(name) else {
                continue;
            };
            let fits = match declared.kind {
                AttributeType::String => value.s.is_some(),
                AttributeType::Number => value.n.is_some(),
                AttributeType::StringList => value.sl.is_some(),
                AttributeType::StringNumberMap => value.sdm.is_some(),
            };
            if !fits {
                return Err(invalid(format!(
                    "Players[{i}].PlayerAttributes[{name}]: the rule set declares it {}",
                    declared.kind.name()
                )));
            }
        }
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorType::InvalidRequest, message)
}

/// A ticket store refusal as the API reports it.
pub(super) fn store_error(e: TicketError) -> ApiError {
    match e {
        TicketError::Duplicate(_) | TicketError::Refused(_) => invalid(e.to_string()),
        TicketError::NotFound(id) => {
            ApiError::not_found(format!("No matchmaking ticket matches {id}"))
        }
        TicketError::LimitExceeded(_) => ApiError::new(ErrorType::LimitExceeded, e.to_string()),
        TicketError::Internal(_) => {
            error!(error = %e, "ticket store failed");
            ApiError::new(ErrorType::Internal, "the ticket store failed")
        }
    }
}
