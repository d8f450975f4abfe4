//! The matchmaking ticket operations (control-api.md §2.12): `StartMatchmaking`,
//! `DescribeMatchmaking`, `StopMatchmaking`, `AcceptMatch` and `StartMatchBackfill`, and the
//! ticket object they return, [`MatchmakingTicket`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorType};
use super::model::Timestamp;
use super::validate::{length, pattern_error};
use super::{Operation, Request};

/// The model's `MatchmakingIdStringModel` pattern (ticket ids).
pub const TICKET_ID_PATTERN: &str = "^[a-zA-Z0-9-\\.]*$";
/// The model's `MatchmakingConfigurationName` pattern.
pub const CONFIGURATION_NAME_OR_ARN_PATTERN: &str =
    "^([a-zA-Z0-9-\\.]*|arn:.*:matchmakingconfiguration\\/[a-zA-Z0-9-\\.]*)$";
/// Most players of a `StartMatchmaking` request (GameLift's documented limit).
pub const MAX_TICKET_PLAYERS: usize = 10;
/// Most players of a `StartMatchBackfill` request (GameLift's documented limit).
pub const MAX_BACKFILL_PLAYERS: usize = 199;
/// Most tickets one `DescribeMatchmaking` asks for (GameLift's documented limit).
pub const MAX_DESCRIBED_TICKETS: usize = 10;
/// Most attributes of one player (Volley's limit; a rule set declares at most 50).
pub const MAX_PLAYER_ATTRIBUTES: usize = 50;
/// Most latencies of one player (Volley's limit).
pub const MAX_PLAYER_LATENCIES: usize = 50;
/// Most strings in a list or keys in a map attribute (Volley's limit).
pub const MAX_ATTRIBUTE_ITEMS: usize = 100;

/// Where a ticket is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketStatus {
    /// Received, not yet searched with.
    #[default]
    Queued,
    /// In the matchmaker's pool.
    Searching,
    /// In a proposed match its players must accept.
    RequiresAcceptance,
    /// Matched; its game session is being placed.
    Placing,
    /// Matched and placed: it has connection information.
    Completed,
    /// Matched but not placed, or its configuration is gone.
    Failed,
    /// Stopped, or a player of it rejected (or did not accept) its match.
    Cancelled,
    /// Not matched within the configuration's request timeout.
    TimedOut,
}

impl TicketStatus {
    /// The status as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Searching => "SEARCHING",
            Self::RequiresAcceptance => "REQUIRES_ACCEPTANCE",
            Self::Placing => "PLACING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::TimedOut => "TIMED_OUT",
        }
    }

    /// Whether the ticket has not ended: it is still the matchmaker's.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::Queued | Self::Searching | Self::RequiresAcceptance | Self::Placing
        )
    }
}

/// A player attribute value: exactly one of its members.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributeValue {
    /// A string.
    #[serde(rename = "S", skip_serializing_if = "Option::is_none")]
    pub s: Option<String>,
    /// A number.
    #[serde(rename = "N", skip_serializing_if = "Option::is_none")]
    pub n: Option<f64>,
    /// A list of strings.
    #[serde(rename = "SL", skip_serializing_if = "Option::is_none")]
    pub sl: Option<Vec<String>>,
    /// Numbers by string key.
    #[serde(rename = "SDM", skip_serializing_if = "Option::is_none")]
    pub sdm: Option<BTreeMap<String, f64>>,
}

/// A player to match, as a ticket carries it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Player {
    /// The player.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_id: Option<String>,
    /// Attributes the rule set reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_attributes: Option<BTreeMap<String, AttributeValue>>,
    /// The player's team: given for a backfill's current players, set on a match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Milliseconds to each location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_in_ms: Option<BTreeMap<String, i64>>,
}

/// A matched player's player session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MatchedPlayerSession {
    /// The player.
    pub player_id: String,
    /// The player session reserved for them.
    pub player_session_id: String,
}

/// Where the players of a completed ticket connect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GameSessionConnectionInfo {
    /// The game session.
    pub game_session_arn: String,
    /// Its IP address.
    pub ip_address: String,
    /// Its DNS name.
    pub dns_name: String,
    /// Its port.
    pub port: u16,
    /// The ticket's players and their player sessions.
    pub matched_player_sessions: Vec<MatchedPlayerSession>,
}

/// A matchmaking ticket, as the API returns it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MatchmakingTicket {
    /// Its id.
    pub ticket_id: String,
    /// Its configuration's name.
    pub configuration_name: String,
    /// Its configuration's ARN.
    pub configuration_arn: String,
    /// Where it is.
    pub status: TicketStatus,
    /// Why it has its status, for some (`TIMED_OUT`, back to `SEARCHING` after a rejection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// More about the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// When it was started.
    pub start_time: Timestamp,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    /// Its players, with their teams once matched.
    pub players: Vec<Player>,
    /// Where its players connect, once completed with a game session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_connection_info: Option<GameSessionConnectionInfo>,
    /// Seconds a ticket of its configuration waits, on average, to be matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_wait_time: Option<u32>,
}

/// `StartMatchmaking`: a ticket for 1 to 10 players (a party), `QUEUED`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMatchmakingInput {
    /// Its id; one is made if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
    /// The configuration, by name or ARN.
    pub configuration_name: String,
    /// The players.
    pub players: Vec<Player>,
}

/// What `StartMatchmaking` and `StartMatchBackfill` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMatchmakingOutput {
    /// The ticket.
    pub matchmaking_ticket: MatchmakingTicket,
}

impl Request for StartMatchmakingInput {
    const OPERATION: Operation = Operation::StartMatchmaking;
    type Output = StartMatchmakingOutput;

    fn validate(&self) -> Result<(), ApiError> {
        optional_ticket_id(self.ticket_id.as_deref())?;
        configuration_name_or_arn(&self.configuration_name)?;
        players(&self.players, MAX_TICKET_PLAYERS)
    }
}

/// `StartMatchBackfill`: a ticket that finds players for a matched game session's open slots.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMatchBackfillInput {
    /// Its id; one is made if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<String>,
    /// The configuration that made the match, by name or ARN.
    pub configuration_name: String,
    /// The game session to fill; absent for a standalone configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_arn: Option<String>,
    /// The game session's current players, each with their team.
    pub players: Vec<Player>,
}

impl Request for StartMatchBackfillInput {
    const OPERATION: Operation = Operation::StartMatchBackfill;
    type Output = StartMatchmakingOutput;

    fn validate(&self) -> Result<(), ApiError> {
        optional_ticket_id(self.ticket_id.as_deref())?;
        configuration_name_or_arn(&self.configuration_name)?;
        if let Some(arn) = &self.game_session_arn {
            length("GameSessionArn", arn, 1, 512)?;
            if !arn
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '-'))
            {
                return Err(pattern_error("GameSessionArn", "^[a-zA-Z0-9:/-]+$"));
            }
        }
        players(&self.players, MAX_BACKFILL_PLAYERS)?;
        if let Some(i) = self.players.iter().position(|p| p.team.is_none()) {
            return Err(invalid(format!(
                "Players[{i}].Team: a backfill request gives every current player's team"
            )));
        }
        Ok(())
    }
}

/// `DescribeMatchmaking`: up to 10 tickets by id; unknown ids are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeMatchmakingInput {
    /// The tickets.
    pub ticket_ids: Vec<String>,
}

/// What `DescribeMatchmaking` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeMatchmakingOutput {
    /// The tickets found, in the order asked for.
    pub ticket_list: Vec<MatchmakingTicket>,
}

impl Request for DescribeMatchmakingInput {
    const OPERATION: Operation = Operation::DescribeMatchmaking;
    type Output = DescribeMatchmakingOutput;

    fn validate(&self) -> Result<(), ApiError> {
        if self.ticket_ids.is_empty() || self.ticket_ids.len() > MAX_DESCRIBED_TICKETS {
            return Err(invalid(format!(
                "TicketIds: give 1 to {MAX_DESCRIBED_TICKETS} ticket ids"
            )));
        }
        self.ticket_ids
            .iter()
            .try_for_each(|id| ticket_id("TicketIds", id))
    }
}

/// `StopMatchmaking`: cancels a ticket (a backfill ticket too) that has not been matched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StopMatchmakingInput {
    /// The ticket.
    pub ticket_id: String,
}

/// What `StopMatchmaking` answers: nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopMatchmakingOutput {}

impl Request for StopMatchmakingInput {
    const OPERATION: Operation = Operation::StopMatchmaking;
    type Output = StopMatchmakingOutput;

    fn validate(&self) -> Result<(), ApiError> {
        ticket_id("TicketId", &self.ticket_id)
    }
}

/// How a player answers a proposed match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AcceptanceType {
    /// Plays the match.
    #[default]
    Accept,
    /// Turns it down.
    Reject,
}

/// `AcceptMatch`: players of a ticket in `REQUIRES_ACCEPTANCE` accept or reject its match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AcceptMatchInput {
    /// The ticket.
    pub ticket_id: String,
    /// The players answering, all of the ticket.
    pub player_ids: Vec<String>,
    /// Their answer.
    pub acceptance_type: AcceptanceType,
}

/// What `AcceptMatch` answers: nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptMatchOutput {}

impl Request for AcceptMatchInput {
    const OPERATION: Operation = Operation::AcceptMatch;
    type Output = AcceptMatchOutput;

    fn validate(&self) -> Result<(), ApiError> {
        ticket_id("TicketId", &self.ticket_id)?;
        if self.player_ids.is_empty() || self.player_ids.len() > MAX_BACKFILL_PLAYERS + 1 {
            return Err(invalid("PlayerIds: give the players who answer"));
        }
        self.player_ids
            .iter()
            .try_for_each(|id| length("PlayerIds", id, 1, 1024))
    }
}

/// The configuration name inside a name or an ARN.
pub fn configuration_name_of(value: &str) -> &str {
    value
        .rsplit_once(":matchmakingconfiguration/")
        .map_or(value, |(_, name)| name)
}

fn configuration_name_or_arn(value: &str) -> Result<(), ApiError> {
    length("ConfigurationName", value, 1, 256)?;
    let name = configuration_name_of(value);
    if (name.len() != value.len() && !value.starts_with("arn:")) || !id_chars(name) {
        return Err(pattern_error(
            "ConfigurationName",
            CONFIGURATION_NAME_OR_ARN_PATTERN,
        ));
    }
    Ok(())
}

fn optional_ticket_id(id: Option<&str>) -> Result<(), ApiError> {
    id.map_or(Ok(()), |id| ticket_id("TicketId", id))
}

fn ticket_id(member: &str, id: &str) -> Result<(), ApiError> {
    // The model allows an empty id; an empty ticket id could not be described, so it is
    // refused.
    length(member, id, 1, 128)?;
    if !id_chars(id) {
        return Err(pattern_error(member, TICKET_ID_PATTERN));
    }
    Ok(())
}

fn id_chars(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

fn players(players: &[Player], max: usize) -> Result<(), ApiError> {
    if players.is_empty() || players.len() > max {
        return Err(invalid(format!("Players: give 1 to {max} players")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, player) in players.iter().enumerate() {
        let place = format!("Players[{i}]");
        let id = player
            .player_id
            .as_deref()
            .ok_or_else(|| invalid(format!("{place}.PlayerId is required")))?;
        length(&format!("{place}.PlayerId"), id, 1, 1024)?;
        if !seen.insert(id) {
            return Err(invalid(format!("{place}.PlayerId: {id} is given twice")));
        }
        if let Some(team) = &player.team {
            length(&format!("{place}.Team"), team, 1, 1024)?;
        }
        let attributes = player.player_attributes.as_ref();
        if attributes.is_some_and(|a| a.len() > MAX_PLAYER_ATTRIBUTES) {
            return Err(invalid(format!(
                "{place}.PlayerAttributes: at most {MAX_PLAYER_ATTRIBUTES} attributes"
            )));
        }
        for (name, value) in attributes.into_iter().flatten() {
            let place = format!("{place}.PlayerAttributes[{name}]");
            length(&place, name, 1, 1024)?;
            attribute_value(&place, value)?;
        }
        let latencies = player.latency_in_ms.as_ref();
        if latencies.is_some_and(|l| l.len() > MAX_PLAYER_LATENCIES) {
            return Err(invalid(format!(
                "{place}.LatencyInMs: at most {MAX_PLAYER_LATENCIES} locations"
            )));
        }
        for (location, ms) in latencies.into_iter().flatten() {
            length(&format!("{place}.LatencyInMs"), location, 1, 128)?;
            if *ms < 1 || *ms > i64::from(i32::MAX) {
                return Err(invalid(format!(
                    "{place}.LatencyInMs[{location}]: must be a positive whole number of milliseconds"
                )));
            }
        }
    }
    Ok(())
}

fn attribute_value(place: &str, value: &AttributeValue) -> Result<(), ApiError> {
    let given = usize::from(value.s.is_some())
        + usize::from(value.n.is_some())
        + usize::from(value.sl.is_some())
        + usize::from(value.sdm.is_some());
    if given != 1 {
        return Err(invalid(format!(
            "{place}: give exactly one of S, N, SL and SDM"
        )));
    }
    if let Some(s) = &value.s {
        length(&format!("{place}.S"), s, 1, 100)?;
    }
    if value.n.is_some_and(|n| !n.is_finite()) {
        return Err(invalid(format!("{place}.N: must be a finite number")));
    }
    if let Some(list) = &value.sl {
        if list.len() > MAX_ATTRIBUTE_ITEMS {
            return Err(invalid(format!(
                "{place}.SL: at most {MAX_ATTRIBUTE_ITEMS} strings"
            )));
        }
        list.iter()
            .try_for_each(|s| length(&format!("{place}.SL"), s, 1, 100))?;
    }
    if let Some(map) = &value.sdm {
        if map.len() > MAX_ATTRIBUTE_ITEMS {
            return Err(invalid(format!(
                "{place}.SDM: at most {MAX_ATTRIBUTE_ITEMS} keys"
            )));
        }
        for (key, n) in map {
            length(&format!("{place}.SDM"), key, 1, 100)?;
            if !n.is_finite() {
                return Err(invalid(format!(
                    "{place}.SDM[{key}]: must be a finite number"
                )));
            }
        }
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorType::InvalidRequest, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn player(id: &str) -> Player {
        Player {
            player_id: Some(id.into()),
            ..Player::default()
        }
    }

    #[test]
    fn tickets_follow_the_model() {
        let start = |players: Vec<Player>| StartMatchmakingInput {
            ticket_id: None,
            configuration_name: "duel".into(),
            players,
        };
        assert!(start(vec![player("a")]).validate().is_ok());
        assert!(start(vec![]).validate().is_err());
        assert!(
            start((0..11).map(|i| player(&i.to_string())).collect())
                .validate()
                .is_err()
        );
        assert!(start(vec![player("a"), player("a")]).validate().is_err());
        assert!(start(vec![Player::default()]).validate().is_err());

        let mut two_values = player("a");
        two_values.player_attributes = Some(BTreeMap::from([(
            "skill".into(),
            AttributeValue {
                s: Some("x".into()),
                n: Some(1.0),
                ..AttributeValue::default()
            },
        )]));
        assert!(start(vec![two_values]).validate().is_err());

        let mut slow = player("a");
        slow.latency_in_ms = Some(BTreeMap::from([("us-east-1".into(), 0)]));
        assert!(start(vec![slow]).validate().is_err());

        let mut by_arn = start(vec![player("a")]);
        by_arn.configuration_name =
            "arn:aws:gamelift:us-east-1::matchmakingconfiguration/duel".into();
        assert!(by_arn.validate().is_ok());
        assert_eq!(configuration_name_of(&by_arn.configuration_name), "duel");
        by_arn.configuration_name = "no spaces".into();
        assert!(by_arn.validate().is_err());
    }

    #[test]
    fn a_backfill_names_every_team() {
        let mut input = StartMatchBackfillInput {
            configuration_name: "duel".into(),
            players: vec![player("a")],
            ..StartMatchBackfillInput::default()
        };
        assert!(input.validate().is_err());
        input.players[0].team = Some("red".into());
        assert!(input.validate().is_ok());
    }

    #[test]
    fn describe_takes_one_to_ten_ids() {
        let describe = |n: usize| DescribeMatchmakingInput {
            ticket_ids: (0..n).map(|i| format!("t{i}")).collect(),
        };
        assert!(describe(0).validate().is_err());
        assert!(describe(10).validate().is_ok());
        assert!(describe(11).validate().is_err());
    }
}
