//! The matchmaking configuration operations (control-api.md §2.11):
//! `CreateMatchmakingConfiguration`, `DescribeMatchmakingConfigurations`,
//! `UpdateMatchmakingConfiguration` and `DeleteMatchmakingConfiguration`, and the configuration
//! object they return, [`MatchmakingConfiguration`], which is also how a configuration is
//! stored and what the matchmaker reads. What depends on other records (the rule set and the
//! queue it names) is checked by the handlers; what a configuration must be as a whole (its
//! FlexMatch mode's rules) by [`MatchmakingConfiguration::check`].

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorType};
use super::ids::name_in;
use super::model::{GameProperty, Tag, Timestamp};
use super::rule_sets::rule_set_name_or_arn;
use super::validate::{
    chars, game_properties, length, optional_length, pattern_error, range, tags,
};
use super::{Operation, Request};

/// The model's `MatchmakingConfigurationName` pattern.
pub const CONFIGURATION_NAME_OR_ARN_PATTERN: &str =
    "^([a-zA-Z0-9-\\.]*|arn:.*:matchmakingconfiguration\\/[a-zA-Z0-9-\\.]*)$";

/// The most game session queues a configuration names: GameLift refuses more than one.
pub const MAX_QUEUES: usize = 1;

/// A matchmaking configuration, as the API returns it and as it is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MatchmakingConfiguration {
    /// Its name, unique in the fleet.
    pub name: String,
    /// Its ARN, `arn:aws:gamelift:<region>::matchmakingconfiguration/<name>`.
    pub configuration_arn: String,
    /// What it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The queue that places its matches' game sessions, as the queue's ARN: one with
    /// `WITH_QUEUE`, none with `STANDALONE`.
    pub game_session_queue_arns: Vec<String>,
    /// How long a ticket may search before it is `TIMED_OUT`, 1 to 43200 seconds.
    pub request_timeout_seconds: i32,
    /// How long players have to accept a match, 1 to 600 seconds; present when
    /// `acceptance_required` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance_timeout_seconds: Option<i32>,
    /// Whether the matched players must accept a match before it is placed.
    pub acceptance_required: bool,
    /// The rule set it matches by, by name.
    pub rule_set_name: String,
    /// The rule set's ARN.
    pub rule_set_arn: String,
    /// Where its events go: a topic that the `[events]` configuration maps to a webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_target: Option<String>,
    /// Player slots of a match's game session left open for later players.
    pub additional_player_count: i32,
    /// Copied into every event of its tickets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_event_data: Option<String>,
    /// When it was created.
    pub creation_time: Timestamp,
    /// The game properties of its matches' game sessions.
    pub game_properties: Vec<GameProperty>,
    /// The game session data of its matches' game sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_data: Option<String>,
    /// Who asks for backfill of its game sessions.
    pub backfill_mode: BackfillMode,
    /// Whether its matches are placed through its queue or only reported.
    pub flex_match_mode: FlexMatchMode,
}

/// Who asks to fill the open slots of a configuration's game sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BackfillMode {
    /// The matchmaker, whenever a game session has open slots.
    Automatic,
    /// The game, with StartMatchBackfill, or nobody (GameLift's default).
    #[default]
    Manual,
}

/// What a configuration does with a match it makes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlexMatchMode {
    /// Reports the match (teams and players) in a `MatchmakingSucceeded` event; the game
    /// hosts it elsewhere.
    Standalone,
    /// Places a game session for the match through the configuration's queue (GameLift's
    /// default).
    #[default]
    WithQueue,
}

impl MatchmakingConfiguration {
    /// Checks the members that depend on each other, on the configuration as it would be
    /// stored: `WITH_QUEUE` needs a queue; `STANDALONE` has none and no `AUTOMATIC` backfill
    /// (the model: "do not set", "not available"); acceptance needs a timeout. The game
    /// session members (`GameProperties`, `GameSessionData`, `AdditionalPlayerCount`) are kept
    /// but not used with `STANDALONE`, as the model says, since `GameSessionData` could
    /// never be removed again to switch a configuration to it.
    pub fn check(&self) -> Result<(), ApiError> {
        let refuse = |message: &str| Err(ApiError::new(ErrorType::InvalidRequest, message));
        match self.flex_match_mode {
            FlexMatchMode::WithQueue if self.game_session_queue_arns.is_empty() => refuse(
                "FlexMatchMode WITH_QUEUE needs a game session queue in GameSessionQueueArns",
            ),
            FlexMatchMode::Standalone if !self.game_session_queue_arns.is_empty() => {
                refuse("FlexMatchMode STANDALONE takes no GameSessionQueueArns: give an empty list")
            }
            FlexMatchMode::Standalone if self.backfill_mode == BackfillMode::Automatic => {
                refuse("BackfillMode AUTOMATIC is not available with FlexMatchMode STANDALONE")
            }
            _ if self.acceptance_required && self.acceptance_timeout_seconds.is_none() => {
                refuse("AcceptanceRequired needs AcceptanceTimeoutSeconds")
            }
            _ => Ok(()),
        }
    }
}

/// `CreateMatchmakingConfiguration`: a new configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateMatchmakingConfigurationInput {
    /// Its name.
    pub name: String,
    /// What it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The queue's ARN, with `WITH_QUEUE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_queue_arns: Option<Vec<String>>,
    /// How long a ticket may search.
    pub request_timeout_seconds: i32,
    /// How long players have to accept a match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance_timeout_seconds: Option<i32>,
    /// Whether players must accept a match.
    pub acceptance_required: bool,
    /// The rule set, by name or ARN.
    pub rule_set_name: String,
    /// Where its events go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_target: Option<String>,
    /// Slots left open; 0 if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_player_count: Option<i32>,
    /// Copied into its events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_event_data: Option<String>,
    /// Its game sessions' game properties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_properties: Option<Vec<GameProperty>>,
    /// Its game sessions' game session data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_data: Option<String>,
    /// `MANUAL` if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill_mode: Option<BackfillMode>,
    /// `WITH_QUEUE` if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flex_match_mode: Option<FlexMatchMode>,
    /// Tags, validated and not kept: this server has no tagging operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// What `CreateMatchmakingConfiguration` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateMatchmakingConfigurationOutput {
    /// The configuration.
    pub configuration: MatchmakingConfiguration,
}

impl Request for CreateMatchmakingConfigurationInput {
    const OPERATION: Operation = Operation::CreateMatchmakingConfiguration;
    type Output = CreateMatchmakingConfigurationOutput;

    fn validate(&self) -> Result<(), ApiError> {
        configuration_name(&self.name)?;
        settings(&Settings {
            description: self.description.as_deref(),
            game_session_queue_arns: self.game_session_queue_arns.as_deref(),
            request_timeout_seconds: Some(self.request_timeout_seconds),
            acceptance_timeout_seconds: self.acceptance_timeout_seconds,
            rule_set_name: Some(&self.rule_set_name),
            notification_target: self.notification_target.as_deref(),
            additional_player_count: self.additional_player_count,
            custom_event_data: self.custom_event_data.as_deref(),
            game_properties: self.game_properties.as_deref(),
            game_session_data: self.game_session_data.as_deref(),
        })?;
        tags("Tags", Some(&self.tags))
    }
}

/// `DescribeMatchmakingConfigurations`: the named configurations, or those of a rule set, or
/// all of them, a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeMatchmakingConfigurationsInput {
    /// Configurations by name or ARN; absent: every configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    /// Only the configurations that use this rule set, by name or ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_set_name: Option<String>,
    /// Most configurations in the page, at most 10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribeMatchmakingConfigurations` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeMatchmakingConfigurationsOutput {
    /// The page of configurations.
    pub configurations: Vec<MatchmakingConfiguration>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribeMatchmakingConfigurationsInput {
    const OPERATION: Operation = Operation::DescribeMatchmakingConfigurations;
    type Output = DescribeMatchmakingConfigurationsOutput;

    fn validate(&self) -> Result<(), ApiError> {
        for name in self.names.iter().flatten() {
            configuration_name_or_arn("Names", name)?;
        }
        if let Some(rule_set) = &self.rule_set_name {
            rule_set_name_or_arn("RuleSetName", rule_set)?;
        }
        range("Limit", self.limit, 1, i64::from(i32::MAX))?;
        optional_length("NextToken", self.next_token.as_deref(), 1, 1024)
    }
}

/// `UpdateMatchmakingConfiguration`: changes the members given; a given list replaces the
/// old one (an empty one removes it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateMatchmakingConfigurationInput {
    /// The configuration, by name or ARN.
    pub name: String,
    /// A new description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A new queue, or none (`[]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_queue_arns: Option<Vec<String>>,
    /// A new ticket timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_seconds: Option<i32>,
    /// A new acceptance timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance_timeout_seconds: Option<i32>,
    /// Whether players must accept a match, now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptance_required: Option<bool>,
    /// Another rule set, by name or ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_set_name: Option<String>,
    /// A new notification target; empty removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_target: Option<String>,
    /// A new count of open slots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_player_count: Option<i32>,
    /// New event data; empty removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_event_data: Option<String>,
    /// New game properties, replacing the old ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_properties: Option<Vec<GameProperty>>,
    /// New game session data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_data: Option<String>,
    /// A new backfill mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill_mode: Option<BackfillMode>,
    /// A new FlexMatch mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flex_match_mode: Option<FlexMatchMode>,
}

/// What `UpdateMatchmakingConfiguration` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateMatchmakingConfigurationOutput {
    /// The configuration as updated.
    pub configuration: MatchmakingConfiguration,
}

impl Request for UpdateMatchmakingConfigurationInput {
    const OPERATION: Operation = Operation::UpdateMatchmakingConfiguration;
    type Output = UpdateMatchmakingConfigurationOutput;

    fn validate(&self) -> Result<(), ApiError> {
        configuration_name_or_arn("Name", &self.name)?;
        settings(&Settings {
            description: self.description.as_deref(),
            game_session_queue_arns: self.game_session_queue_arns.as_deref(),
            request_timeout_seconds: self.request_timeout_seconds,
            acceptance_timeout_seconds: self.acceptance_timeout_seconds,
            rule_set_name: self.rule_set_name.as_deref(),
            notification_target: self.notification_target.as_deref(),
            additional_player_count: self.additional_player_count,
            custom_event_data: self.custom_event_data.as_deref(),
            game_properties: self.game_properties.as_deref(),
            game_session_data: self.game_session_data.as_deref(),
        })
    }
}

impl UpdateMatchmakingConfigurationInput {
    /// Applies the members given to `configuration`, but the rule set and the queues, which
    /// the handler resolves to their stored names and ARNs: `rule_set` (name, ARN) and
    /// `queue_arns` replace the old ones when given.
    pub fn apply(
        &self,
        configuration: &mut MatchmakingConfiguration,
        rule_set: Option<(&str, &str)>,
        queue_arns: Option<&[String]>,
    ) {
        if let Some(description) = &self.description {
            configuration.description = Some(description.clone());
        }
        if let Some(arns) = queue_arns {
            configuration.game_session_queue_arns = arns.to_vec();
        }
        if let Some(timeout) = self.request_timeout_seconds {
            configuration.request_timeout_seconds = timeout;
        }
        if let Some(timeout) = self.acceptance_timeout_seconds {
            configuration.acceptance_timeout_seconds = Some(timeout);
        }
        if let Some(required) = self.acceptance_required {
            configuration.acceptance_required = required;
        }
        if let Some((name, arn)) = rule_set {
            configuration.rule_set_name = name.to_owned();
            configuration.rule_set_arn = arn.to_owned();
        }
        if let Some(target) = &self.notification_target {
            configuration.notification_target = Some(target.clone()).filter(|t| !t.is_empty());
        }
        if let Some(count) = self.additional_player_count {
            configuration.additional_player_count = count;
        }
        if let Some(data) = &self.custom_event_data {
            configuration.custom_event_data = Some(data.clone()).filter(|d| !d.is_empty());
        }
        if let Some(properties) = &self.game_properties {
            configuration.game_properties = properties.clone();
        }
        if let Some(data) = &self.game_session_data {
            configuration.game_session_data = Some(data.clone());
        }
        if let Some(mode) = self.backfill_mode {
            configuration.backfill_mode = mode;
        }
        if let Some(mode) = self.flex_match_mode {
            configuration.flex_match_mode = mode;
        }
    }
}

/// `DeleteMatchmakingConfiguration`: deletes a configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMatchmakingConfigurationInput {
    /// The configuration, by name or ARN.
    pub name: String,
}

/// What `DeleteMatchmakingConfiguration` answers: nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMatchmakingConfigurationOutput {}

impl Request for DeleteMatchmakingConfigurationInput {
    const OPERATION: Operation = Operation::DeleteMatchmakingConfiguration;
    type Output = DeleteMatchmakingConfigurationOutput;

    fn validate(&self) -> Result<(), ApiError> {
        configuration_name_or_arn("Name", &self.name)
    }
}

/// The configuration name a `MatchmakingConfigurationName` (a name or an ARN) names.
pub fn configuration_name_of(value: &str) -> &str {
    name_in(value, "matchmakingconfiguration").unwrap_or(value)
}

/// Checks a `MatchmakingConfigurationName`: a name, or an ARN ending in
/// `matchmakingconfiguration/<name>`.
pub fn configuration_name_or_arn(member: &str, value: &str) -> Result<(), ApiError> {
    length(member, value, 1, 256)?;
    match name_in(value, "matchmakingconfiguration") {
        Some(name) if name.chars().all(name_char) => Ok(()),
        _ => Err(pattern_error(member, CONFIGURATION_NAME_OR_ARN_PATTERN)),
    }
}

/// Checks a new configuration's `Name`: 1 to 128 letters, digits, hyphens and dots.
fn configuration_name(name: &str) -> Result<(), ApiError> {
    length("Name", name, 1, 128)?;
    chars("Name", name, "^[a-zA-Z0-9-\\.]*$", name_char)
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.'
}

/// The members create and update share; `None` is absent.
struct Settings<'a> {
    description: Option<&'a str>,
    game_session_queue_arns: Option<&'a [String]>,
    request_timeout_seconds: Option<i32>,
    acceptance_timeout_seconds: Option<i32>,
    rule_set_name: Option<&'a str>,
    notification_target: Option<&'a str>,
    additional_player_count: Option<i32>,
    custom_event_data: Option<&'a str>,
    game_properties: Option<&'a [GameProperty]>,
    game_session_data: Option<&'a str>,
}

fn settings(s: &Settings<'_>) -> Result<(), ApiError> {
    optional_length("Description", s.description, 1, 1024)?;
    if let Some(arns) = s.game_session_queue_arns {
        if arns.len() > MAX_QUEUES {
            return Err(ApiError::invalid(
                "GameSessionQueueArns",
                "Member must have length less than or equal to 1",
            ));
        }
        for arn in arns {
            length("GameSessionQueueArns", arn, 1, 512)?;
            chars("GameSessionQueueArns", arn, "^[a-zA-Z0-9:/-]+$", |c| {
                c.is_ascii_alphanumeric() || ":/-".contains(c)
            })?;
        }
    }
    range(
        "RequestTimeoutSeconds",
        s.request_timeout_seconds,
        1,
        43_200,
    )?;
    range(
        "AcceptanceTimeoutSeconds",
        s.acceptance_timeout_seconds,
        1,
        600,
    )?;
    if let Some(rule_set) = s.rule_set_name {
        rule_set_name_or_arn("RuleSetName", rule_set)?;
    }
    if let Some(target) = s.notification_target {
        length("NotificationTarget", target, 0, 300)?;
        let topic = target.strip_suffix(".fifo").unwrap_or(target);
        chars(
            "NotificationTarget",
            topic,
            "^[a-zA-Z0-9:_/-]*(\\.fifo)?$",
            |c| c.is_ascii_alphanumeric() || ":_/-".contains(c),
        )?;
    }
    range(
        "AdditionalPlayerCount",
        s.additional_player_count,
        0,
        i64::from(i32::MAX),
    )?;
    optional_length("CustomEventData", s.custom_event_data, 0, 256)?;
    game_properties("GameProperties", s.game_properties)?;
    optional_length("GameSessionData", s.game_session_data, 1, 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> MatchmakingConfiguration {
        MatchmakingConfiguration {
            name: "ranked".into(),
            configuration_arn: "arn:aws:gamelift:local::matchmakingconfiguration/ranked".into(),
            description: None,
            game_session_queue_arns: vec!["arn:aws:gamelift:local::gamesessionqueue/q".into()],
            request_timeout_seconds: 60,
            acceptance_timeout_seconds: None,
            acceptance_required: false,
            rule_set_name: "five".into(),
            rule_set_arn: "arn:aws:gamelift:local::matchmakingruleset/five".into(),
            notification_target: None,
            additional_player_count: 0,
            custom_event_data: None,
            creation_time: Timestamp::default(),
            game_properties: Vec::new(),
            game_session_data: None,
            backfill_mode: BackfillMode::Manual,
            flex_match_mode: FlexMatchMode::WithQueue,
        }
    }

    #[test]
    fn names_and_arns() {
        assert!(configuration_name_or_arn("Name", "ranked.v2").is_ok());
        assert!(
            configuration_name_or_arn(
                "Name",
                "arn:aws:gamelift:local::matchmakingconfiguration/ranked.v2"
            )
            .is_ok()
        );
        for bad in [
            "",
            "a b",
            "arn:aws:gamelift:local::matchmakingruleset/x",
            "a/b",
        ] {
            assert!(configuration_name_or_arn("Name", bad).is_err(), "{bad}");
        }
        assert_eq!(
            configuration_name_of("arn:aws:gamelift:local::matchmakingconfiguration/c.1"),
            "c.1"
        );
        assert_eq!(configuration_name_of("c.1"), "c.1");
        assert!(configuration_name(&"a".repeat(129)).is_err());
    }

    #[test]
    fn settings_follow_the_model() {
        let input = |f: fn(&mut CreateMatchmakingConfigurationInput)| {
            let mut input = CreateMatchmakingConfigurationInput {
                name: "ranked".into(),
                request_timeout_seconds: 60,
                rule_set_name: "five".into(),
                ..Default::default()
            };
            f(&mut input);
            input.validate()
        };
        assert!(input(|_| {}).is_ok());
        assert!(input(|i| i.request_timeout_seconds = 0).is_err());
        assert!(input(|i| i.request_timeout_seconds = 43_201).is_err());
        assert!(input(|i| i.acceptance_timeout_seconds = Some(601)).is_err());
        assert!(input(|i| i.additional_player_count = Some(-1)).is_err());
        assert!(input(|i| i.description = Some(String::new())).is_err());
        assert!(input(|i| i.game_session_data = Some(String::new())).is_err());
        assert!(input(|i| i.custom_event_data = Some("x".repeat(257))).is_err());
        assert!(input(|i| i.rule_set_name = "a b".into()).is_err());
        assert!(input(|i| i.game_session_queue_arns = Some(vec!["a b".into()])).is_err());
        assert!(input(|i| i.game_session_queue_arns = Some(vec!["a".into(), "b".into()])).is_err());
        assert!(input(|i| i.notification_target = Some("arn:aws:sns:x:1:t/a.fifo".into())).is_ok());
        assert!(input(|i| i.notification_target = Some("a topic?".into())).is_err());
        assert!(
            input(|i| {
                i.game_properties = Some(vec![
                    GameProperty {
                        key: "k".into(),
                        value: "v".into(),
                    };
                    17
                ]);
            })
            .is_err()
        );
    }

    #[test]
    fn the_mode_decides_what_a_configuration_may_hold() {
        assert!(stored().check().is_ok());
        let with = |f: fn(&mut MatchmakingConfiguration)| {
            let mut configuration = stored();
            f(&mut configuration);
            configuration.check()
        };
        assert!(with(|c| c.game_session_queue_arns.clear()).is_err());
        assert!(with(|c| c.flex_match_mode = FlexMatchMode::Standalone).is_err());
        assert!(
            with(|c| {
                c.flex_match_mode = FlexMatchMode::Standalone;
                c.game_session_queue_arns.clear();
                c.game_session_data = Some("kept, not used".into());
            })
            .is_ok()
        );
        assert!(
            with(|c| {
                c.flex_match_mode = FlexMatchMode::Standalone;
                c.game_session_queue_arns.clear();
                c.backfill_mode = BackfillMode::Automatic;
            })
            .is_err()
        );
        assert!(with(|c| c.backfill_mode = BackfillMode::Automatic).is_ok());
        assert!(with(|c| c.acceptance_required = true).is_err());
        assert!(
            with(|c| {
                c.acceptance_required = true;
                c.acceptance_timeout_seconds = Some(30);
            })
            .is_ok()
        );
    }

    #[test]
    fn an_update_changes_only_what_it_gives() {
        let mut configuration = stored();
        let update = UpdateMatchmakingConfigurationInput {
            name: "ranked".into(),
            notification_target: Some("topic".into()),
            additional_player_count: Some(2),
            ..Default::default()
        };
        update.apply(&mut configuration, None, None);
        assert_eq!(configuration.notification_target.as_deref(), Some("topic"));
        assert_eq!(configuration.additional_player_count, 2);
        assert_eq!(configuration.rule_set_name, "five");
        let clear = UpdateMatchmakingConfigurationInput {
            notification_target: Some(String::new()),
            flex_match_mode: Some(FlexMatchMode::Standalone),
            ..Default::default()
        };
        clear.apply(&mut configuration, Some(("other", "arn:other")), Some(&[]));
        assert_eq!(configuration.notification_target, None);
        assert!(configuration.game_session_queue_arns.is_empty());
        assert_eq!(
            (
                configuration.rule_set_name.as_str(),
                configuration.rule_set_arn.as_str()
            ),
            ("other", "arn:other")
        );
        assert!(configuration.check().is_ok());
    }
}
