//! The game session queue operations (control-api.md §2.8): `CreateGameSessionQueue`,
//! `DescribeGameSessionQueues`, `UpdateGameSessionQueue` and `DeleteGameSessionQueue`, and the
//! queue object they exchange, [`GameSessionQueue`], which is also how a queue is stored.

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::game_sessions::location;
use super::ids::name_in;
use super::validate::{chars, length, optional_length, pattern_error, range, tags};
use super::{Operation, Request};
use crate::api::model::Tag;

/// A queue's `TimeoutInSeconds` when none is given (GameLift's default).
pub const DEFAULT_TIMEOUT_SECS: i32 = 600;

/// The model's `GameSessionQueueNameOrArn` pattern.
pub const QUEUE_NAME_OR_ARN_PATTERN: &str =
    "^([a-zA-Z0-9-]+|arn:.*:gamesessionqueue\\/[a-zA-Z0-9-]+)$";

/// A cap on every player's latency to a location, in force for a while of a placement's life.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlayerLatencyPolicy {
    /// The highest latency any player may have to the location; required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_individual_player_latency_milliseconds: Option<i32>,
    /// How long the policy is in force; absent: until the placement times out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_duration_seconds: Option<i32>,
}

/// A fleet or an alias a queue places game sessions on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GameSessionQueueDestination {
    /// The fleet's or the alias's ARN (an id is accepted too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
}

/// The locations a queue may place in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FilterConfiguration {
    /// Only these locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_locations: Option<Vec<String>>,
}

/// How a queue orders the places it may use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PriorityConfiguration {
    /// The orderings, most important first; the ones not named follow in the default order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_order: Option<Vec<PriorityType>>,
    /// The order of locations that `LOCATION` uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_order: Option<Vec<String>>,
}

/// One ordering of [`PriorityConfiguration`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PriorityType {
    /// The lowest average player latency first.
    Latency,
    /// The lowest hosting cost first: every location of a Volley fleet costs the same.
    Cost,
    /// The queue's destinations in their order.
    Destination,
    /// `LocationOrder`'s order, then the other locations alphabetically.
    Location,
}

impl PriorityType {
    /// The order a queue uses when it names none (GameLift's default).
    pub const DEFAULT_ORDER: [Self; 4] =
        [Self::Latency, Self::Cost, Self::Destination, Self::Location];
}

/// A game session queue, as the API returns it and as it is stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GameSessionQueue {
    /// Its name, unique in the fleet.
    pub name: String,
    /// Its ARN, `arn:aws:gamelift:<region>::gamesessionqueue/<name>`.
    pub game_session_queue_arn: String,
    /// How long a placement may wait before it is `TIMED_OUT`.
    pub timeout_in_seconds: i32,
    /// The latency caps, applied from the lowest maximum up.
    pub player_latency_policies: Vec<PlayerLatencyPolicy>,
    /// Where it places, in order of preference.
    pub destinations: Vec<GameSessionQueueDestination>,
    /// The locations it may place in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_configuration: Option<FilterConfiguration>,
    /// How it orders the locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_configuration: Option<PriorityConfiguration>,
    /// Copied into every event of its placements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_event_data: Option<String>,
    /// Where its placements' events go: a topic that the `[events]` configuration maps to a
    /// webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_target: Option<String>,
}

/// `CreateGameSessionQueue`: a new queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGameSessionQueueInput {
    /// Its name.
    pub name: String,
    /// 10 to 600 seconds; 600 if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<i32>,
    /// Latency caps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_latency_policies: Option<Vec<PlayerLatencyPolicy>>,
    /// Where it places.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<GameSessionQueueDestination>>,
    /// The locations it may place in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_configuration: Option<FilterConfiguration>,
    /// How it orders the locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_configuration: Option<PriorityConfiguration>,
    /// Copied into its events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_event_data: Option<String>,
    /// Where its events go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_target: Option<String>,
    /// Tags, validated and not kept: this server has no tagging operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// What `CreateGameSessionQueue` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGameSessionQueueOutput {
    /// The queue.
    pub game_session_queue: GameSessionQueue,
}

impl Request for CreateGameSessionQueueInput {
    const OPERATION: Operation = Operation::CreateGameSessionQueue;
    type Output = CreateGameSessionQueueOutput;

    fn validate(&self) -> Result<(), ApiError> {
        queue_name("Name", &self.name)?;
        settings(&Settings {
            timeout_in_seconds: self.timeout_in_seconds,
            player_latency_policies: self.player_latency_policies.as_deref(),
            destinations: self.destinations.as_deref(),
            filter_configuration: self.filter_configuration.as_ref(),
            priority_configuration: self.priority_configuration.as_ref(),
            custom_event_data: self.custom_event_data.as_deref(),
            notification_target: self.notification_target.as_deref(),
        })?;
        tags("Tags", Some(&self.tags))
    }
}

/// `DescribeGameSessionQueues`: the named queues, or all of them a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeGameSessionQueuesInput {
    /// Queues by name or ARN; absent: every queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    /// Most queues in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribeGameSessionQueues` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeGameSessionQueuesOutput {
    /// The page of queues.
    pub game_session_queues: Vec<GameSessionQueue>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribeGameSessionQueuesInput {
    const OPERATION: Operation = Operation::DescribeGameSessionQueues;
    type Output = DescribeGameSessionQueuesOutput;

    fn validate(&self) -> Result<(), ApiError> {
        for name in self.names.iter().flatten() {
            queue_name_or_arn("Names", name)?;
        }
        range("Limit", self.limit, 1, i64::from(i32::MAX))?;
        optional_length("NextToken", self.next_token.as_deref(), 1, 1024)
    }
}

/// `UpdateGameSessionQueue`: changes the members given; a given list replaces the old one
/// (an empty one removes it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGameSessionQueueInput {
    /// The queue, by name or ARN.
    pub name: String,
    /// A new timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<i32>,
    /// New latency caps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_latency_policies: Option<Vec<PlayerLatencyPolicy>>,
    /// New destinations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destinations: Option<Vec<GameSessionQueueDestination>>,
    /// A new location filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_configuration: Option<FilterConfiguration>,
    /// A new ordering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_configuration: Option<PriorityConfiguration>,
    /// New event data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_event_data: Option<String>,
    /// A new notification target; empty removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_target: Option<String>,
}

/// What `UpdateGameSessionQueue` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGameSessionQueueOutput {
    /// The queue as updated.
    pub game_session_queue: GameSessionQueue,
}

impl Request for UpdateGameSessionQueueInput {
    const OPERATION: Operation = Operation::UpdateGameSessionQueue;
    type Output = UpdateGameSessionQueueOutput;

    fn validate(&self) -> Result<(), ApiError> {
        queue_name_or_arn("Name", &self.name)?;
        settings(&Settings {
            timeout_in_seconds: self.timeout_in_seconds,
            player_latency_policies: self.player_latency_policies.as_deref(),
            destinations: self.destinations.as_deref(),
            filter_configuration: self.filter_configuration.as_ref(),
            priority_configuration: self.priority_configuration.as_ref(),
            custom_event_data: self.custom_event_data.as_deref(),
            notification_target: self.notification_target.as_deref(),
        })
    }
}

impl UpdateGameSessionQueueInput {
    /// Applies the members given to `queue`.
    pub fn apply(self, queue: &mut GameSessionQueue) {
        if let Some(timeout) = self.timeout_in_seconds {
            queue.timeout_in_seconds = timeout;
        }
        if let Some(policies) = self.player_latency_policies {
            queue.player_latency_policies = policies;
        }
        if let Some(destinations) = self.destinations {
            queue.destinations = destinations;
        }
        if let Some(filter) = self.filter_configuration {
            queue.filter_configuration = Some(filter);
        }
        if let Some(priority) = self.priority_configuration {
            queue.priority_configuration = Some(priority);
        }
        if let Some(data) = self.custom_event_data {
            queue.custom_event_data = Some(data).filter(|d| !d.is_empty());
        }
        if let Some(target) = self.notification_target {
            queue.notification_target = Some(target).filter(|t| !t.is_empty());
        }
    }
}

/// `DeleteGameSessionQueue`: deletes a queue; its pending placements fail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteGameSessionQueueInput {
    /// The queue, by name or ARN.
    pub name: String,
}

/// What `DeleteGameSessionQueue` answers: nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteGameSessionQueueOutput {}

impl Request for DeleteGameSessionQueueInput {
    const OPERATION: Operation = Operation::DeleteGameSessionQueue;
    type Output = DeleteGameSessionQueueOutput;

    fn validate(&self) -> Result<(), ApiError> {
        queue_name_or_arn("Name", &self.name)
    }
}

/// The queue name a `GameSessionQueueNameOrArn` names.
pub fn queue_name_of(value: &str) -> &str {
    name_in(value, "gamesessionqueue").unwrap_or(value)
}

/// Checks a `GameSessionQueueName`: 1 to 128 letters, digits and hyphens.
pub fn queue_name(member: &str, name: &str) -> Result<(), ApiError> {
    length(member, name, 1, 128)?;
    chars(member, name, "^[a-zA-Z0-9-]+$", |c| {
        c.is_ascii_alphanumeric() || c == '-'
    })
}

/// Checks a `GameSessionQueueNameOrArn`: a name, or an ARN ending in `gamesessionqueue/<name>`.
pub fn queue_name_or_arn(member: &str, value: &str) -> Result<(), ApiError> {
    length(member, value, 1, 256)?;
    match name_in(value, "gamesessionqueue") {
        Some(name)
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            Ok(())
        }
        _ => Err(pattern_error(member, QUEUE_NAME_OR_ARN_PATTERN)),
    }
}

/// The members create and update share.
struct Settings<'a> {
    timeout_in_seconds: Option<i32>,
    player_latency_policies: Option<&'a [PlayerLatencyPolicy]>,
    destinations: Option<&'a [GameSessionQueueDestination]>,
    filter_configuration: Option<&'a FilterConfiguration>,
    priority_configuration: Option<&'a PriorityConfiguration>,
    custom_event_data: Option<&'a str>,
    notification_target: Option<&'a str>,
}

fn settings(s: &Settings<'_>) -> Result<(), ApiError> {
    // The model says 0 and up; GameLift's documentation gives 10 to 600.
    range("TimeoutInSeconds", s.timeout_in_seconds, 10, 600)?;
    for policy in s.player_latency_policies.unwrap_or_default() {
        let max = policy.maximum_individual_player_latency_milliseconds;
        if max.is_none() {
            return Err(ApiError::invalid(
                "MaximumIndividualPlayerLatencyMilliseconds",
                "Member must not be null",
            ));
        }
        range(
            "MaximumIndividualPlayerLatencyMilliseconds",
            max,
            0,
            i64::from(i32::MAX),
        )?;
        range(
            "PolicyDurationSeconds",
            policy.policy_duration_seconds,
            0,
            i64::from(i32::MAX),
        )?;
    }
    for destination in s.destinations.unwrap_or_default() {
        let Some(arn) = destination.destination_arn.as_deref() else {
            return Err(ApiError::invalid(
                "DestinationArn",
                "Member must not be null",
            ));
        };
        length("DestinationArn", arn, 1, 512)?;
        chars("DestinationArn", arn, "^[a-zA-Z0-9:/-]+$", |c| {
            c.is_ascii_alphanumeric() || ":/-".contains(c)
        })?;
    }
    if let Some(filter) = s.filter_configuration {
        locations("AllowedLocations", filter.allowed_locations.as_deref(), 100)?;
    }
    if let Some(priority) = s.priority_configuration {
        if let Some(order) = &priority.priority_order {
            if !(1..=4).contains(&order.len()) {
                return Err(ApiError::invalid(
                    "PriorityOrder",
                    "Member must have length between 1 and 4",
                ));
            }
            for (i, kind) in order.iter().enumerate() {
                if order[..i].contains(kind) {
                    return Err(ApiError::invalid(
                        "PriorityOrder",
                        "Member must name each priority type at most once",
                    ));
                }
            }
        }
        locations("LocationOrder", priority.location_order.as_deref(), 100)?;
    }
    optional_length("CustomEventData", s.custom_event_data, 0, 256)?;
    if let Some(target) = s.notification_target {
        length("NotificationTarget", target, 0, 300)?;
        let topic = target.strip_suffix(".fifo").unwrap_or(target);
        chars(
            "NotificationTarget",
            topic,
            "^[a-zA-Z0-9:_-]*(\\.fifo)?$",
            |c| c.is_ascii_alphanumeric() || ":_-".contains(c),
        )?;
    }
    Ok(())
}

/// Checks an optional `LocationList`: 1 to `max` locations, each named once.
pub fn locations(member: &str, list: Option<&[String]>, max: usize) -> Result<(), ApiError> {
    let Some(list) = list else { return Ok(()) };
    if !(1..=max).contains(&list.len()) {
        return Err(ApiError::invalid(
            member,
            format!("Member must have length between 1 and {max}"),
        ));
    }
    for (i, name) in list.iter().enumerate() {
        location(Some(name)).map_err(|_| {
            ApiError::invalid(
                member,
                "Member must satisfy regular expression pattern: ^[A-Za-z0-9\\-]+$",
            )
        })?;
        if list[..i].contains(name) {
            return Err(ApiError::invalid(
                member,
                "Member must name each location at most once",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns() {
        assert!(queue_name_or_arn("Name", "my-queue").is_ok());
        assert!(
            queue_name_or_arn("Name", "arn:aws:gamelift:local::gamesessionqueue/my-queue").is_ok()
        );
        for bad in ["", "my queue", "arn:aws:gamelift:local::fleet/x", "a/b"] {
            assert!(queue_name_or_arn("Name", bad).is_err(), "{bad}");
        }
        assert_eq!(
            queue_name_of("arn:aws:gamelift:local::gamesessionqueue/q-1"),
            "q-1"
        );
        assert_eq!(queue_name_of("q-1"), "q-1");
    }

    #[test]
    fn settings_follow_the_model() {
        let input = |f: fn(&mut CreateGameSessionQueueInput)| {
            let mut input = CreateGameSessionQueueInput {
                name: "q".into(),
                ..Default::default()
            };
            f(&mut input);
            input.validate()
        };
        assert!(input(|_| {}).is_ok());
        assert!(input(|i| i.timeout_in_seconds = Some(5)).is_err());
        assert!(input(|i| i.timeout_in_seconds = Some(601)).is_err());
        assert!(
            input(|i| i.player_latency_policies = Some(vec![PlayerLatencyPolicy::default()]))
                .is_err()
        );
        assert!(
            input(|i| {
                i.priority_configuration = Some(PriorityConfiguration {
                    priority_order: Some(vec![PriorityType::Cost, PriorityType::Cost]),
                    location_order: None,
                });
            })
            .is_err()
        );
        assert!(
            input(|i| {
                i.filter_configuration = Some(FilterConfiguration {
                    allowed_locations: Some(vec!["a b".into()]),
                });
            })
            .is_err()
        );
        assert!(input(|i| i.notification_target = Some("arn:aws:sns:x:1:t.fifo".into())).is_ok());
        assert!(input(|i| i.notification_target = Some("https://x".into())).is_err());
    }
}
