//! The game session placement operations (control-api.md §2.9): StartGameSessionPlacement,
//! DescribeGameSessionPlacement and StopGameSessionPlacement over the server's
//! [`PlacementStore`]. Starting one only records it, `PENDING`, and wakes the [`placer`],
//! which places it.
//!
//! [`PlacementStore`]: crate::placement::PlacementStore
//! [`placer`]: super::placer

use std::time::SystemTime;

use tracing::error;

use super::Control;
use super::error::{ApiError, ErrorType};
use super::placer;
use super::queues;
use crate::api::model::Timestamp;
use crate::api::placements::{
    DescribeGameSessionPlacementInput, DescribeGameSessionPlacementOutput, GameSessionPlacement,
    GameSessionPlacementState, StartGameSessionPlacementInput, StartGameSessionPlacementOutput,
    StopGameSessionPlacementInput, StopGameSessionPlacementOutput,
};
use crate::api::queues::queue_name_of;
use crate::placement::{Finished, PlacementError};

pub(super) async fn start_game_session_placement(
    control: &Control,
    input: StartGameSessionPlacementInput,
) -> Result<StartGameSessionPlacementOutput, ApiError> {
    let queue_name = queue_name_of(&input.game_session_queue_name);
    let queue = control
        .queues
        .get(queue_name)
        .await
        .map_err(queues::store_error)?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "No game session queue matches {}",
                input.game_session_queue_name
            ))
        })?;
    let now = placer::to_millisecond(SystemTime::now());
    let placement = GameSessionPlacement {
        placement_id: input.placement_id,
        game_session_queue_name: queue.name,
        status: GameSessionPlacementState::Pending,
        game_properties: input.game_properties,
        maximum_player_session_count: input.maximum_player_session_count,
        game_session_name: input.game_session_name,
        player_latencies: input.player_latencies,
        start_time: Timestamp(now),
        game_session_data: input.game_session_data,
        priority_configuration_override: input.priority_configuration_override,
        desired_player_sessions: input.desired_player_sessions,
        ..Default::default()
    };
    // Due at once: the placer takes it from the store like any other, so a placement is
    // tried the same way whichever host it was started at.
    control
        .placements
        .create(now, &placement, now)
        .await
        .map_err(store_error)?;
    control.placer.wake();
    Ok(StartGameSessionPlacementOutput {
        game_session_placement: visible(placement),
    })
}

pub(super) async fn describe_game_session_placement(
    control: &Control,
    input: DescribeGameSessionPlacementInput,
) -> Result<DescribeGameSessionPlacementOutput, ApiError> {
    let placement = get(control, &input.placement_id).await?;
    Ok(DescribeGameSessionPlacementOutput {
        game_session_placement: visible(placement),
    })
}

pub(super) async fn stop_game_session_placement(
    control: &Control,
    input: StopGameSessionPlacementInput,
) -> Result<StopGameSessionPlacementOutput, ApiError> {
    let placement = get(control, &input.placement_id).await?;
    if placement.status != GameSessionPlacementState::Pending {
        // Ended already: it stays as it ended.
        return Ok(StopGameSessionPlacementOutput {
            game_session_placement: visible(placement),
        });
    }
    let now = SystemTime::now();
    let cancelled = placer::ended(placement, GameSessionPlacementState::Cancelled, now);
    let placement = match control
        .placements
        .finish(now, &cancelled)
        .await
        .map_err(store_error)?
    {
        Finished::Now => {
            placer::publish(control, &cancelled, None).await;
            cancelled
        }
        Finished::Already(placement) => *placement,
    };
    Ok(StopGameSessionPlacementOutput {
        game_session_placement: visible(placement),
    })
}

async fn get(control: &Control, id: &str) -> Result<GameSessionPlacement, ApiError> {
    control
        .placements
        .get(id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found(format!("No game session placement matches {id}")))
}

/// A placement as the API shows it: without the players' data it keeps until it is placed.
fn visible(mut placement: GameSessionPlacement) -> GameSessionPlacement {
    placement.desired_player_sessions.clear();
    placement
}

/// A placement store refusal as the API reports it.
fn store_error(e: PlacementError) -> ApiError {
    match e {
        PlacementError::Duplicate(_) => ApiError::new(ErrorType::InvalidRequest, e.to_string()),
        PlacementError::NotFound(id) => {
            ApiError::not_found(format!("No game session placement matches {id}"))
        }
        PlacementError::LimitExceeded(_) => ApiError::new(ErrorType::LimitExceeded, e.to_string()),
        PlacementError::Internal(_) => {
            error!(error = %e, "placement store failed");
            ApiError::new(ErrorType::Internal, "the placement store failed")
        }
    }
}
