//! The game session placement operations (control-api.md §2.9): `StartGameSessionPlacement`,
//! `DescribeGameSessionPlacement` and `StopGameSessionPlacement`, and the placement object
//! they return, [`GameSessionPlacement`], which is also how a placement is stored.

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorType};
use super::game_sessions::MAX_PLAYERS_PER_GAME_SESSION;
use super::model::{GameProperty, Timestamp};
use super::queues::{locations, queue_name_or_arn};
use super::validate::{chars, game_properties, length, optional_length, range};
use super::{Operation, Request};

/// Most `PlayerLatencies` of one request. The model sets no limit; this one keeps every
/// stored placement small (100 players in 10 locations).
pub const MAX_PLAYER_LATENCIES: usize = 1000;

/// Where a placement is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GameSessionPlacementState {
    /// Waiting to be placed.
    #[default]
    Pending,
    /// Placed: the game session runs and the players' sessions are reserved.
    Fulfilled,
    /// Stopped by `StopGameSessionPlacement`.
    Cancelled,
    /// Not placed within the queue's timeout.
    TimedOut,
    /// Could not be placed: its queue is gone, none of its destinations is this fleet, or its
    /// game session failed to start.
    Failed,
}

impl GameSessionPlacementState {
    /// The status as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Fulfilled => "FULFILLED",
            Self::Cancelled => "CANCELLED",
            Self::TimedOut => "TIMED_OUT",
            Self::Failed => "FAILED",
        }
    }
}

/// One player's latency to one location.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlayerLatency {
    /// The player.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_id: Option<String>,
    /// The location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_identifier: Option<String>,
    /// The latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_in_milliseconds: Option<f64>,
}

/// A player to reserve a player session for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DesiredPlayerSession {
    /// The player.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_id: Option<String>,
    /// Data for the game about the player.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_data: Option<String>,
}

/// A player session a placement reserved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlacedPlayerSession {
    /// The player.
    pub player_id: String,
    /// The player session the player logs in with.
    pub player_session_id: String,
}

/// A location list that replaces the queue's for one placement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PriorityConfigurationOverride {
    /// What to do once these locations have been tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement_fallback_strategy: Option<PlacementFallbackStrategy>,
    /// The locations to try first, in order.
    pub location_order: Vec<String>,
}

/// [`PriorityConfigurationOverride`]'s fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlacementFallbackStrategy {
    /// Then the queue's other locations (the default).
    DefaultAfterSinglePass,
    /// Only the override's locations.
    None,
}

/// A game session placement, as the API returns it and as it is stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GameSessionPlacement {
    /// Its id, chosen by the caller.
    pub placement_id: String,
    /// The queue it is placed through.
    pub game_session_queue_name: String,
    /// Where it is.
    pub status: GameSessionPlacementState,
    /// The game session's properties.
    pub game_properties: Vec<GameProperty>,
    /// The game session's most players.
    pub maximum_player_session_count: i32,
    /// The game session's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_name: Option<String>,
    /// The game session's id (its ARN), once fulfilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_id: Option<String>,
    /// The game session's ARN, once fulfilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_arn: Option<String>,
    /// The location the game session runs in, once fulfilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_region: Option<String>,
    /// The players' latencies it was placed with.
    pub player_latencies: Vec<PlayerLatency>,
    /// When it was requested.
    pub start_time: Timestamp,
    /// When it ended (fulfilled, cancelled, timed out or failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    /// Where players connect, once fulfilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// The DNS name players connect to, once fulfilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// The port players connect to, once fulfilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The player sessions reserved, once fulfilled.
    pub placed_player_sessions: Vec<PlacedPlayerSession>,
    /// The game session's data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_data: Option<String>,
    /// The matchmaker's data, for placements a matchmaker makes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matchmaker_data: Option<String>,
    /// The location order for this placement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_configuration_override: Option<PriorityConfigurationOverride>,
    /// Not in the GameLift model (SDKs ignore unknown members): the players to reserve
    /// sessions for, kept until the placement ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub desired_player_sessions: Vec<DesiredPlayerSession>,
}

/// `StartGameSessionPlacement`: asks a queue for a new game session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartGameSessionPlacementInput {
    /// Its id, unique among remembered placements.
    pub placement_id: String,
    /// The queue, by name or ARN.
    pub game_session_queue_name: String,
    /// The game session's properties.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub game_properties: Vec<GameProperty>,
    /// The game session's most players, 0 to 200.
    pub maximum_player_session_count: i32,
    /// The game session's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_name: Option<String>,
    /// Latencies of the players to the locations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub player_latencies: Vec<PlayerLatency>,
    /// Players to reserve player sessions for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub desired_player_sessions: Vec<DesiredPlayerSession>,
    /// The game session's data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_data: Option<String>,
    /// A location order for this placement only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_configuration_override: Option<PriorityConfigurationOverride>,
}

/// What `StartGameSessionPlacement` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartGameSessionPlacementOutput {
    /// The placement, `PENDING`.
    pub game_session_placement: GameSessionPlacement,
}

impl Request for StartGameSessionPlacementInput {
    const OPERATION: Operation = Operation::StartGameSessionPlacement;
    type Output = StartGameSessionPlacementOutput;

    fn validate(&self) -> Result<(), ApiError> {
        placement_id(&self.placement_id)?;
        queue_name_or_arn("GameSessionQueueName", &self.game_session_queue_name)?;
        game_properties("GameProperties", Some(&self.game_properties))?;
        range(
            "MaximumPlayerSessionCount",
            Some(self.maximum_player_session_count),
            0,
            MAX_PLAYERS_PER_GAME_SESSION,
        )?;
        optional_length(
            "GameSessionName",
            self.game_session_name.as_deref(),
            1,
            1024,
        )?;
        if self.player_latencies.len() > MAX_PLAYER_LATENCIES {
            return Err(ApiError::invalid(
                "PlayerLatencies",
                format!("Member must have length less than or equal to {MAX_PLAYER_LATENCIES}"),
            ));
        }
        for latency in &self.player_latencies {
            let player = latency.player_id.as_deref().unwrap_or_default();
            length("PlayerId", player, 1, 1024)?;
            let region = latency.region_identifier.as_deref().unwrap_or_default();
            length("RegionIdentifier", region, 1, 1024)?;
            match latency.latency_in_milliseconds {
                Some(ms) if ms.is_finite() && ms >= 0.0 => {}
                _ => {
                    return Err(ApiError::invalid(
                        "LatencyInMilliseconds",
                        "Member must be a number of milliseconds, 0 or more",
                    ));
                }
            }
        }
        for (i, player) in self.desired_player_sessions.iter().enumerate() {
            let id = player.player_id.as_deref().unwrap_or_default();
            length("PlayerId", id, 1, 1024)?;
            optional_length("PlayerData", player.player_data.as_deref(), 1, 2048)?;
            if self.desired_player_sessions[..i]
                .iter()
                .any(|earlier| earlier.player_id == player.player_id)
            {
                return Err(ApiError::new(
                    ErrorType::InvalidRequest,
                    "DesiredPlayerSessions names a player twice",
                ));
            }
        }
        let desired = self.desired_player_sessions.len();
        if i64::try_from(desired).unwrap_or(i64::MAX) > i64::from(self.maximum_player_session_count)
        {
            return Err(ApiError::new(
                ErrorType::InvalidRequest,
                format!(
                    "DesiredPlayerSessions has {desired} players, more than \
                     MaximumPlayerSessionCount"
                ),
            ));
        }
        optional_length(
            "GameSessionData",
            self.game_session_data.as_deref(),
            1,
            262_144,
        )?;
        if let Some(priority) = &self.priority_configuration_override {
            locations("LocationOrder", Some(&priority.location_order), 10)?;
        }
        Ok(())
    }
}

/// `DescribeGameSessionPlacement`: one placement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeGameSessionPlacementInput {
    /// The placement.
    pub placement_id: String,
}

/// What `DescribeGameSessionPlacement` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeGameSessionPlacementOutput {
    /// The placement.
    pub game_session_placement: GameSessionPlacement,
}

impl Request for DescribeGameSessionPlacementInput {
    const OPERATION: Operation = Operation::DescribeGameSessionPlacement;
    type Output = DescribeGameSessionPlacementOutput;

    fn validate(&self) -> Result<(), ApiError> {
        placement_id(&self.placement_id)
    }
}

/// `StopGameSessionPlacement`: cancels a pending placement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StopGameSessionPlacementInput {
    /// The placement.
    pub placement_id: String,
}

/// What `StopGameSessionPlacement` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StopGameSessionPlacementOutput {
    /// The placement, `CANCELLED` (or as it was, if it had ended already).
    pub game_session_placement: GameSessionPlacement,
}

impl Request for StopGameSessionPlacementInput {
    const OPERATION: Operation = Operation::StopGameSessionPlacement;
    type Output = StopGameSessionPlacementOutput;

    fn validate(&self) -> Result<(), ApiError> {
        placement_id(&self.placement_id)
    }
}

/// Checks a `PlacementId` (`IdStringModel`): 1 to 48 letters, digits and hyphens.
pub fn placement_id(id: &str) -> Result<(), ApiError> {
    length("PlacementId", id, 1, 48)?;
    chars("PlacementId", id, "^[a-zA-Z0-9-]+$", |c| {
        c.is_ascii_alphanumeric() || c == '-'
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> StartGameSessionPlacementInput {
        StartGameSessionPlacementInput {
            placement_id: "p-1".into(),
            game_session_queue_name: "q".into(),
            maximum_player_session_count: 2,
            ..Default::default()
        }
    }

    fn player(id: &str) -> DesiredPlayerSession {
        DesiredPlayerSession {
            player_id: Some(id.into()),
            player_data: None,
        }
    }

    #[test]
    fn start_follows_the_model() {
        assert!(start().validate().is_ok());
        let mut bad = start();
        bad.placement_id = "p 1".into();
        assert!(bad.validate().is_err());
        let mut bad = start();
        bad.desired_player_sessions = vec![player("a"), player("b"), player("c")];
        assert!(bad.validate().is_err(), "more players than the maximum");
        let mut bad = start();
        bad.desired_player_sessions = vec![player("a"), player("a")];
        assert!(bad.validate().is_err(), "a player twice");
        let mut bad = start();
        bad.player_latencies = vec![PlayerLatency {
            player_id: Some("a".into()),
            region_identifier: Some("here".into()),
            latency_in_milliseconds: Some(-1.0),
        }];
        assert!(bad.validate().is_err(), "negative latency");
    }

    #[test]
    fn a_placement_serializes_as_the_model_names_it() {
        let placement = GameSessionPlacement {
            placement_id: "p".into(),
            game_session_queue_name: "q".into(),
            status: GameSessionPlacementState::TimedOut,
            ..Default::default()
        };
        let json = serde_json::to_value(&placement).expect("serializes");
        assert_eq!(json["Status"], "TIMED_OUT");
        assert_eq!(json["PlacedPlayerSessions"], serde_json::json!([]));
        assert!(json.get("DesiredPlayerSessions").is_none());
        let back: GameSessionPlacement = serde_json::from_value(json).expect("parses");
        assert_eq!(back, placement);
    }
}
