//! The game session queue operations (control-api.md §2.8): CreateGameSessionQueue,
//! DescribeGameSessionQueues, UpdateGameSessionQueue and DeleteGameSessionQueue over the
//! server's store of queues. A queue's destinations must each be this fleet or an alias that
//! exists, by id or ARN; placements read the queue as it is when they are tried.

use std::time::UNIX_EPOCH;

use tracing::error;

use super::Control;
use super::error::{ApiError, ErrorType};
use super::paging::{Page, key};
use crate::api::Operation;
use crate::api::ids::{alias_id_of, fleet_id_of, is_fleet_id_or_arn, is_id_or_arn};
use crate::api::queues::{
    CreateGameSessionQueueInput, CreateGameSessionQueueOutput, DEFAULT_TIMEOUT_SECS,
    DeleteGameSessionQueueInput, DeleteGameSessionQueueOutput, DescribeGameSessionQueuesInput,
    DescribeGameSessionQueuesOutput, GameSessionQueue, GameSessionQueueDestination,
    UpdateGameSessionQueueInput, UpdateGameSessionQueueOutput, queue_name_of,
};
use crate::named::NamedError;

pub(super) async fn create_game_session_queue(
    control: &Control,
    input: CreateGameSessionQueueInput,
) -> Result<CreateGameSessionQueueOutput, ApiError> {
    let destinations = input.destinations.unwrap_or_default();
    check_destinations(control, &destinations).await?;
    // Tags are validated and not kept, since this server has no tagging operations.
    let queue = GameSessionQueue {
        game_session_queue_arn: control.shapes().queue_arn(&input.name),
        name: input.name,
        timeout_in_seconds: input.timeout_in_seconds.unwrap_or(DEFAULT_TIMEOUT_SECS),
        player_latency_policies: input.player_latency_policies.unwrap_or_default(),
        destinations,
        filter_configuration: input.filter_configuration,
        priority_configuration: input.priority_configuration,
        custom_event_data: input.custom_event_data.filter(|d| !d.is_empty()),
        notification_target: input.notification_target.filter(|t| !t.is_empty()),
    };
    control
        .queues
        .create(queue.clone())
        .await
        .map_err(store_error)?;
    Ok(CreateGameSessionQueueOutput {
        game_session_queue: queue,
    })
}

pub(super) async fn describe_game_session_queues(
    control: &Control,
    input: DescribeGameSessionQueuesInput,
) -> Result<DescribeGameSessionQueuesOutput, ApiError> {
    let names: Option<Vec<&str>> = input
        .names
        .as_ref()
        .map(|names| names.iter().map(|n| queue_name_of(n)).collect());
    let page = Page::read(
        input.limit,
        input.next_token.as_deref(),
        Operation::DescribeGameSessionQueues,
        &names,
    )?;
    let queues = control.queues.list().await.map_err(store_error)?;
    let queues: Vec<GameSessionQueue> = match &names {
        // Named queues that do not exist are left out, as GameLift does.
        Some(names) => queues
            .into_iter()
            .filter(|q| names.contains(&q.name.as_str()))
            .collect(),
        None => queues,
    };
    let (game_session_queues, next_token) = page.apply(queues, |q| key(UNIX_EPOCH, &q.name));
    Ok(DescribeGameSessionQueuesOutput {
        game_session_queues,
        next_token,
    })
}

pub(super) async fn update_game_session_queue(
    control: &Control,
    input: UpdateGameSessionQueueInput,
) -> Result<UpdateGameSessionQueueOutput, ApiError> {
    if let Some(destinations) = &input.destinations {
        check_destinations(control, destinations).await?;
    }
    let name = queue_name_of(&input.name).to_owned();
    let game_session_queue = control
        .queues
        .update(&name, &|queue| input.clone().apply(queue))
        .await
        .map_err(store_error)?;
    Ok(UpdateGameSessionQueueOutput { game_session_queue })
}

pub(super) async fn delete_game_session_queue(
    control: &Control,
    input: DeleteGameSessionQueueInput,
) -> Result<DeleteGameSessionQueueOutput, ApiError> {
    control
        .queues
        .delete(queue_name_of(&input.name))
        .await
        .map_err(store_error)?;
    Ok(DeleteGameSessionQueueOutput {})
}

/// Fails unless every destination is this fleet or an existing alias, by id or ARN:
/// `NotFoundException` names the first that is neither.
async fn check_destinations(
    control: &Control,
    destinations: &[GameSessionQueueDestination],
) -> Result<(), ApiError> {
    for destination in destinations {
        let arn = destination.destination_arn.as_deref().unwrap_or_default();
        let found = if is_fleet_id_or_arn(arn) {
            fleet_id_of(arn) == control.fleet().id
        } else if is_id_or_arn(arn, "alias") {
            control
                .aliases
                .get(alias_id_of(arn))
                .await
                .map_err(|e| {
                    error!(error = %e, "alias store failed");
                    ApiError::new(ErrorType::Internal, "the alias store failed")
                })?
                .is_some()
        } else {
            false
        };
        if !found {
            return Err(ApiError::not_found(format!(
                "destination {arn} is neither fleet {} nor one of its aliases",
                control.fleet().id
            )));
        }
    }
    Ok(())
}

/// A queue store refusal as the API reports it.
pub(super) fn store_error(e: NamedError) -> ApiError {
    match e {
        NamedError::NotFound { name, .. } => {
            ApiError::not_found(format!("No game session queue matches {name}"))
        }
        NamedError::Duplicate { .. } => ApiError::new(ErrorType::InvalidRequest, e.to_string()),
        NamedError::LimitExceeded { .. } => ApiError::new(ErrorType::LimitExceeded, e.to_string()),
        // The message may name server paths: logged, not sent.
        NamedError::Io { .. } | NamedError::Internal(_) => {
            error!(error = %e, "queue store failed");
            ApiError::new(ErrorType::Internal, "the queue store failed")
        }
    }
}
