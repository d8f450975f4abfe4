//! The player session operations (control-api.md §2.4): `CreatePlayerSession`,
//! `CreatePlayerSessions` and `DescribePlayerSessions`.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorType};
use super::game_sessions::game_session_id;
use super::model::PlayerSession;
use super::validate::{chars, length, optional_length, pattern_error, strings};
use super::{Operation, Request};

/// Most player sessions created by one `CreatePlayerSessions`.
pub const MAX_PLAYER_IDS: usize = 25;

/// `CreatePlayerSession`: reserves a seat in a game session for one player.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePlayerSessionInput {
    /// The game session.
    pub game_session_id: String,
    /// The developer's player id.
    pub player_id: String,
    /// The developer's data for the player.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_data: Option<String>,
}

/// What `CreatePlayerSession` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePlayerSessionOutput {
    /// The player session.
    pub player_session: PlayerSession,
}

impl Request for CreatePlayerSessionInput {
    const OPERATION: Operation = Operation::CreatePlayerSession;
    type Output = CreatePlayerSessionOutput;

    fn validate(&self) -> Result<(), ApiError> {
        game_session_id(Some(&self.game_session_id))?;
        length("PlayerId", &self.player_id, 1, 1024)?;
        optional_length("PlayerData", self.player_data.as_deref(), 1, 2048)
    }
}

/// `CreatePlayerSessions`: reserves seats in a game session for up to 25 players at once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePlayerSessionsInput {
    /// The game session.
    pub game_session_id: String,
    /// The developer's player ids, distinct.
    pub player_ids: Vec<String>,
    /// The developer's data for some of the players, by player id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub player_data_map: BTreeMap<String, String>,
}

/// What `CreatePlayerSessions` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePlayerSessionsOutput {
    /// The player sessions, in the order of the player ids.
    pub player_sessions: Vec<PlayerSession>,
}

impl Request for CreatePlayerSessionsInput {
    const OPERATION: Operation = Operation::CreatePlayerSessions;
    type Output = CreatePlayerSessionsOutput;

    fn validate(&self) -> Result<(), ApiError> {
        game_session_id(Some(&self.game_session_id))?;
        strings(
            "PlayerIds",
            Some(&self.player_ids),
            (1, MAX_PLAYER_IDS),
            (1, 1024),
        )?;
        let mut seen = HashSet::new();
        // Player ids are sensitive: the message does not repeat the duplicate.
        if self.player_ids.iter().any(|id| !seen.insert(id.as_str())) {
            return Err(ApiError::invalid(
                "PlayerIds",
                "Member must not contain duplicates",
            ));
        }
        self.player_data_map.iter().try_for_each(|(id, data)| {
            length("PlayerDataMap", id, 1, 1024)?;
            length("PlayerDataMap", data, 1, 2048)
        })
    }
}

/// `DescribePlayerSessions`: one player session, a game session's or a player's, a page at a
/// time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePlayerSessionsInput {
    /// A game session's player sessions; exactly one of this, `player_id` and
    /// `player_session_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_id: Option<String>,
    /// A player's player sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_id: Option<String>,
    /// One player session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_session_id: Option<String>,
    /// Only player sessions with this status (any letter case), with `game_session_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_session_status_filter: Option<String>,
    /// Most player sessions in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribePlayerSessions` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePlayerSessionsOutput {
    /// The page of player sessions.
    pub player_sessions: Vec<PlayerSession>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribePlayerSessionsInput {
    const OPERATION: Operation = Operation::DescribePlayerSessions;
    type Output = DescribePlayerSessionsOutput;

    fn validate(&self) -> Result<(), ApiError> {
        if let Some(id) = &self.player_session_id {
            let pattern = "^psess-\\S+$";
            length("PlayerSessionId", id, 1, 128)?;
            chars("PlayerSessionId", id, pattern, |c| !c.is_whitespace())?;
            if !id.starts_with("psess-") {
                return Err(pattern_error("PlayerSessionId", pattern));
            }
        }
        game_session_id(self.game_session_id.as_deref())?;
        optional_length("PlayerId", self.player_id.as_deref(), 1, 1024)?;
        let given = [
            self.player_session_id.is_some(),
            self.game_session_id.is_some(),
            self.player_id.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(ApiError::new(
                ErrorType::InvalidRequest,
                "exactly one of PlayerSessionId, GameSessionId and PlayerId is required",
            ));
        }
        optional_length(
            "PlayerSessionStatusFilter",
            self.player_session_status_filter.as_deref(),
            1,
            1024,
        )
    }
}
