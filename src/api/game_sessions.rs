//! The game session operations (control-api.md §2.3): `CreateGameSession`,
//! `DescribeGameSessions`, `DescribeGameSessionDetails`, `SearchGameSessions`,
//! `UpdateGameSession` and `TerminateGameSession`.

use serde::{Deserialize, Serialize};

use super::aliases::alias_id;
use super::error::{ApiError, ErrorType};
use super::ids::is_fleet_id_or_arn;
use super::model::{
    GameProperty, GameSession, GameSessionDetail, PlayerSessionCreationPolicy, ProtectionPolicy,
    TerminationMode,
};
use super::validate::{chars, game_properties, length, optional_length, pattern_error, range};
use super::{Operation, Request};

/// Most players per game session (the GameLift limit, not adjustable).
pub const MAX_PLAYERS_PER_GAME_SESSION: i64 = 200;

/// The model's `FleetIdOrArn` pattern.
pub const FLEET_ID_PATTERN: &str =
    "^[a-z]*fleet-[a-zA-Z0-9\\-]+$|^arn:.*:[a-z]*fleet\\/[a-z]*fleet-[a-zA-Z0-9\\-]+$";

/// `CreateGameSession`: starts a game session on the fleet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGameSessionInput {
    /// The fleet, by id or ARN; exactly one of this and `alias_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_id: Option<String>,
    /// An alias of the fleet, by id or ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_id: Option<String>,
    /// Most player sessions, 0 to 200.
    pub maximum_player_session_count: i32,
    /// A name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// At most 16 game properties.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub game_properties: Vec<GameProperty>,
    /// Who creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator_id: Option<String>,
    /// The deprecated name of `idempotency_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_id: Option<String>,
    /// Makes retries create one game session: the same token names the same game session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_token: Option<String>,
    /// The game's data for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_data: Option<String>,
    /// The fleet location; the fleet's own if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// What `CreateGameSession` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGameSessionOutput {
    /// The game session.
    pub game_session: GameSession,
}

impl Request for CreateGameSessionInput {
    const OPERATION: Operation = Operation::CreateGameSession;
    type Output = CreateGameSessionOutput;

    fn validate(&self) -> Result<(), ApiError> {
        fleet_or_alias(self.fleet_id.as_deref(), self.alias_id.as_deref())?;
        range(
            "MaximumPlayerSessionCount",
            Some(self.maximum_player_session_count),
            0,
            MAX_PLAYERS_PER_GAME_SESSION,
        )?;
        self.idempotency_token()?;
        location(self.location.as_deref())?;
        optional_length("Name", self.name.as_deref(), 1, 1024)?;
        game_properties("GameProperties", Some(&self.game_properties))?;
        optional_length("CreatorId", self.creator_id.as_deref(), 1, 1024)?;
        optional_length(
            "GameSessionData",
            self.game_session_data.as_deref(),
            1,
            262_144,
        )
    }
}

impl CreateGameSessionInput {
    /// `IdempotencyToken`, or its deprecated alias `GameSessionId`; both must agree.
    pub fn idempotency_token(&self) -> Result<Option<&str>, ApiError> {
        let mut token = None;
        for (name, value) in [
            ("IdempotencyToken", &self.idempotency_token),
            ("GameSessionId", &self.game_session_id),
        ] {
            let Some(value) = value.as_deref() else {
                continue;
            };
            length(name, value, 1, 48)?;
            chars(name, value, "^[a-zA-Z0-9-]+$", |c| {
                c.is_ascii_alphanumeric() || c == '-'
            })?;
            if token.is_some_and(|t| t != value) {
                return Err(ApiError::new(
                    ErrorType::InvalidRequest,
                    "IdempotencyToken and GameSessionId differ",
                ));
            }
            token = Some(value);
        }
        Ok(token)
    }
}

/// `DescribeGameSessions`: one game session, or a fleet's, a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeGameSessionsInput {
    /// The fleet, when no game session is named; exactly one of this and `alias_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_id: Option<String>,
    /// One game session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_id: Option<String>,
    /// An alias of the fleet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_id: Option<String>,
    /// Only game sessions in this location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Only game sessions with this status (any letter case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_filter: Option<String>,
    /// Most game sessions in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribeGameSessions` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeGameSessionsOutput {
    /// The page of game sessions.
    pub game_sessions: Vec<GameSession>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribeGameSessionsInput {
    const OPERATION: Operation = Operation::DescribeGameSessions;
    type Output = DescribeGameSessionsOutput;

    fn validate(&self) -> Result<(), ApiError> {
        self.selection().validate()
    }
}

/// `DescribeGameSessionDetails`: like `DescribeGameSessions`, with protection policies.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeGameSessionDetailsInput {
    /// The fleet, when no game session is named; exactly one of this and `alias_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_id: Option<String>,
    /// One game session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_id: Option<String>,
    /// An alias of the fleet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_id: Option<String>,
    /// Only game sessions in this location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Only game sessions with this status (any letter case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_filter: Option<String>,
    /// Most game sessions in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribeGameSessionDetails` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeGameSessionDetailsOutput {
    /// The page of game sessions.
    pub game_session_details: Vec<GameSessionDetail>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribeGameSessionDetailsInput {
    const OPERATION: Operation = Operation::DescribeGameSessionDetails;
    type Output = DescribeGameSessionDetailsOutput;

    fn validate(&self) -> Result<(), ApiError> {
        self.selection().validate()
    }
}

/// What the two describe operations select, borrowed from either input.
#[derive(Clone, Copy, Debug)]
pub struct Selection<'a> {
    /// `FleetId`.
    pub fleet_id: Option<&'a str>,
    /// `GameSessionId`.
    pub game_session_id: Option<&'a str>,
    /// `AliasId`.
    pub alias_id: Option<&'a str>,
    /// `Location`.
    pub location: Option<&'a str>,
    /// `StatusFilter`.
    pub status_filter: Option<&'a str>,
    /// `Limit`.
    pub limit: Option<i32>,
    /// `NextToken`.
    pub next_token: Option<&'a str>,
}

impl Selection<'_> {
    /// A named game session needs no fleet: the fleet members are then not read.
    fn validate(&self) -> Result<(), ApiError> {
        game_session_id(self.game_session_id)?;
        if self.game_session_id.is_none() {
            fleet_or_alias(self.fleet_id, self.alias_id)?;
        }
        location(self.location)?;
        optional_length("StatusFilter", self.status_filter, 1, 1024)
    }
}

impl DescribeGameSessionsInput {
    /// What it selects.
    pub fn selection(&self) -> Selection<'_> {
        Selection {
            fleet_id: self.fleet_id.as_deref(),
            game_session_id: self.game_session_id.as_deref(),
            alias_id: self.alias_id.as_deref(),
            location: self.location.as_deref(),
            status_filter: self.status_filter.as_deref(),
            limit: self.limit,
            next_token: self.next_token.as_deref(),
        }
    }
}

impl DescribeGameSessionDetailsInput {
    /// What it selects.
    pub fn selection(&self) -> Selection<'_> {
        Selection {
            fleet_id: self.fleet_id.as_deref(),
            game_session_id: self.game_session_id.as_deref(),
            alias_id: self.alias_id.as_deref(),
            location: self.location.as_deref(),
            status_filter: self.status_filter.as_deref(),
            limit: self.limit,
            next_token: self.next_token.as_deref(),
        }
    }
}

/// `SearchGameSessions`: a fleet's active game sessions that match a filter, sorted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchGameSessionsInput {
    /// The fleet; exactly one of this and `alias_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_id: Option<String>,
    /// An alias of the fleet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_id: Option<String>,
    /// Only game sessions in this location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// A filter expression (control-api.md §4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    /// A sort expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_expression: Option<String>,
    /// Most game sessions in the page, at most 20.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `SearchGameSessions` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchGameSessionsOutput {
    /// The page of game sessions.
    pub game_sessions: Vec<GameSession>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for SearchGameSessionsInput {
    const OPERATION: Operation = Operation::SearchGameSessions;
    type Output = SearchGameSessionsOutput;

    fn validate(&self) -> Result<(), ApiError> {
        fleet_or_alias(self.fleet_id.as_deref(), self.alias_id.as_deref())?;
        location(self.location.as_deref())?;
        optional_length(
            "FilterExpression",
            self.filter_expression.as_deref(),
            1,
            1024,
        )?;
        optional_length("SortExpression", self.sort_expression.as_deref(), 1, 1024)
    }
}

/// `UpdateGameSession`: changes a game session's settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGameSessionInput {
    /// The game session.
    pub game_session_id: String,
    /// Most player sessions, 0 to 200.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_player_session_count: Option<i32>,
    /// Whether it takes new player sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_session_creation_policy: Option<PlayerSessionCreationPolicy>,
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether it is protected from scale-down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protection_policy: Option<ProtectionPolicy>,
    /// Game properties to add or change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub game_properties: Vec<GameProperty>,
}

/// What `UpdateGameSession` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGameSessionOutput {
    /// The game session as updated.
    pub game_session: GameSession,
}

impl Request for UpdateGameSessionInput {
    const OPERATION: Operation = Operation::UpdateGameSession;
    type Output = UpdateGameSessionOutput;

    fn validate(&self) -> Result<(), ApiError> {
        game_session_id(Some(&self.game_session_id))?;
        range(
            "MaximumPlayerSessionCount",
            self.maximum_player_session_count,
            0,
            MAX_PLAYERS_PER_GAME_SESSION,
        )?;
        optional_length("Name", self.name.as_deref(), 1, 1024)?;
        game_properties("GameProperties", Some(&self.game_properties))
    }
}

/// `TerminateGameSession`: ends a game session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TerminateGameSessionInput {
    /// The game session.
    pub game_session_id: String,
    /// How it ends.
    pub termination_mode: TerminationMode,
}

/// What `TerminateGameSession` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TerminateGameSessionOutput {
    /// The game session, ending or ended.
    pub game_session: GameSession,
}

impl Request for TerminateGameSessionInput {
    const OPERATION: Operation = Operation::TerminateGameSession;
    type Output = TerminateGameSessionOutput;

    fn validate(&self) -> Result<(), ApiError> {
        game_session_id(Some(&self.game_session_id))
    }
}

/// Checks `FleetId` / `AliasId`: exactly one, matching its pattern. Whether it names this
/// server's fleet is the handler's to check.
pub fn fleet_or_alias(fleet: Option<&str>, alias: Option<&str>) -> Result<(), ApiError> {
    match (fleet, alias) {
        (Some(_), Some(_)) => Err(ApiError::new(
            ErrorType::InvalidRequest,
            "FleetId and AliasId are mutually exclusive",
        )),
        (None, None) => Err(ApiError::new(
            ErrorType::InvalidRequest,
            "one of FleetId and AliasId is required",
        )),
        (Some(fleet), None) => {
            length("FleetId", fleet, 1, 512)?;
            if is_fleet_id_or_arn(fleet) {
                Ok(())
            } else {
                Err(pattern_error("FleetId", FLEET_ID_PATTERN))
            }
        }
        (None, Some(alias)) => alias_id("AliasId", alias),
    }
}

/// Checks an optional `Location` against its length and pattern.
pub fn location(location: Option<&str>) -> Result<(), ApiError> {
    let Some(location) = location else {
        return Ok(());
    };
    length("Location", location, 1, 64)?;
    chars("Location", location, "^[A-Za-z0-9\\-]+$", |c| {
        c.is_ascii_alphanumeric() || c == '-'
    })
}

/// Checks an optional `GameSessionId`: an ARN-like id of at most 512 characters.
pub fn game_session_id(id: Option<&str>) -> Result<(), ApiError> {
    let Some(id) = id else { return Ok(()) };
    length("GameSessionId", id, 1, 512)?;
    chars("GameSessionId", id, "^[a-zA-Z0-9:/-]+$", |c| {
        c.is_ascii_alphanumeric() || ":/-".contains(c)
    })
}
