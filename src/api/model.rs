//! The objects operations exchange, as the GameLift model names them (`GameSession`,
//! `PlayerSession`, `Script`, `Alias`, the fleet and location descriptions), and the wire
//! forms of their values: [`Timestamp`] (epoch seconds with a millisecond fraction),
//! [`Blob`] (base64 text) and the model's enums. Members are PascalCase; absent optional
//! members are omitted, never `null`.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A point in time, sent as epoch seconds with a millisecond fraction, as the SDKs parse
/// timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub SystemTime);

impl Default for Timestamp {
    fn default() -> Self {
        Self(UNIX_EPOCH)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let millis = self
            .0
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        // Milliseconds since 1970 fit an f64 exactly for the next 280,000 years.
        serializer.serialize_f64(millis as f64 / 1000.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(de::Error::custom("a timestamp must be seconds since 1970"));
        }
        // Whole milliseconds, as sent; the cast saturates far past any real time.
        let millis = (seconds * 1000.0).round() as u64;
        Ok(Self(UNIX_EPOCH + Duration::from_millis(millis)))
    }
}

/// Binary content, sent as base64 text.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Blob(pub Vec<u8>);

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes)", self.0.len())
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Base64;
        impl Visitor<'_> for Base64 {
            type Value = Blob;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Blob, E> {
                self.visit_bytes(text.as_bytes())
            }
            // JSON deserializers hand a string's text over as bytes.
            fn visit_bytes<E: de::Error>(self, text: &[u8]) -> Result<Blob, E> {
                STANDARD
                    .decode(text)
                    .map(Blob)
                    .map_err(|_| E::custom("not base64"))
            }
        }
        deserializer.deserialize_bytes(Base64)
    }
}

/// A game session's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GameSessionStatus {
    /// Starting.
    Activating,
    /// Running.
    Active,
    /// Ending.
    Terminating,
    /// Ended.
    Terminated,
    /// Failed.
    Error,
}

impl GameSessionStatus {
    /// The API name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activating => "ACTIVATING",
            Self::Active => "ACTIVE",
            Self::Terminating => "TERMINATING",
            Self::Terminated => "TERMINATED",
            Self::Error => "ERROR",
        }
    }
}

/// A player session's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlayerSessionStatus {
    /// Created, the player has not connected yet.
    Reserved,
    /// The player is connected.
    Active,
    /// The player left.
    Completed,
    /// The player did not connect in time.
    #[serde(rename = "TIMEDOUT")]
    TimedOut,
}

/// Whether a game session takes new player sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlayerSessionCreationPolicy {
    /// New player sessions are accepted.
    AcceptAll,
    /// New player sessions are refused.
    DenyAll,
}

/// Whether a game session is protected from scale-down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProtectionPolicy {
    /// Not protected.
    NoProtection,
    /// Protected.
    FullProtection,
}

/// How `TerminateGameSession` ends a game session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TerminationMode {
    /// The script's `onProcessTerminate` runs and the script ends the session itself.
    TriggerOnProcessTerminate,
    /// The script's `onProcessTerminate` runs, then the session ends at once.
    ForceTerminate,
}

/// A game property: a key and a value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GameProperty {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// A tag: a key and a value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Where a script zip is stored in Amazon S3: accepted in requests, and refused, since this
/// server has no S3 (control-api.md §2.5.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3Location {
    /// The bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// The object key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The role with access to the bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The object version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_version: Option<String>,
}

/// A game session (control-api.md §3.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GameSession {
    /// Its id, an ARN.
    pub game_session_id: String,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The fleet's id.
    pub fleet_id: String,
    /// The fleet's ARN.
    pub fleet_arn: String,
    /// When it was created.
    pub creation_time: Timestamp,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_time: Option<Timestamp>,
    /// Player sessions reserved or connected.
    pub current_player_session_count: u32,
    /// Most player sessions.
    pub maximum_player_session_count: u32,
    /// Its status.
    pub status: GameSessionStatus,
    /// Why it has its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Its game properties.
    pub game_properties: Vec<GameProperty>,
    /// The IP address game clients connect to.
    pub ip_address: String,
    /// The DNS name game clients connect to.
    pub dns_name: String,
    /// The port game clients connect to.
    pub port: u16,
    /// Whether it takes new player sessions.
    pub player_session_creation_policy: PlayerSessionCreationPolicy,
    /// Who created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator_id: Option<String>,
    /// The game's data for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub game_session_data: Option<String>,
    /// The match that made it, as FlexMatch writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matchmaker_data: Option<String>,
    /// The fleet location it runs in.
    pub location: String,
    /// Not in the GameLift model (SDKs ignore unknown members): the script it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_id: Option<String>,
    /// That script's version label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_version: Option<String>,
    /// That script's content revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_revision: Option<u64>,
}

/// A game session and its protection policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GameSessionDetail {
    /// The game session.
    pub game_session: GameSession,
    /// Its protection policy.
    pub protection_policy: ProtectionPolicy,
}

/// A player session (control-api.md §3.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlayerSession {
    /// Its id, `psess-...`.
    pub player_session_id: String,
    /// The developer's player id.
    pub player_id: String,
    /// The game session's id.
    pub game_session_id: String,
    /// The fleet's id.
    pub fleet_id: String,
    /// The fleet's ARN.
    pub fleet_arn: String,
    /// When it was created.
    pub creation_time: Timestamp,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_time: Option<Timestamp>,
    /// Its status.
    pub status: PlayerSessionStatus,
    /// The IP address the player connects to.
    pub ip_address: String,
    /// The DNS name the player connects to.
    pub dns_name: String,
    /// The port the player connects to.
    pub port: u16,
    /// The developer's data for the player.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub player_data: Option<String>,
}

/// How an alias routes (`RoutingStrategy`): to a fleet (`SIMPLE`), or nowhere, with a
/// message for the players (`TERMINAL`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoutingStrategy {
    /// `SIMPLE` or `TERMINAL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<RoutingStrategyType>,
    /// The fleet of a `SIMPLE` alias: an id, not an ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_id: Option<String>,
    /// The message of a `TERMINAL` alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The kinds of [`RoutingStrategy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoutingStrategyType {
    /// The alias resolves to one fleet.
    Simple,
    /// The alias resolves to no fleet: using it is `TerminalRoutingStrategyException`.
    Terminal,
}

/// An alias (control-api.md §3.10).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alias {
    /// Its id, `alias-<uuid>`.
    pub alias_id: String,
    /// Its name; names need not be unique.
    pub name: String,
    /// Its ARN.
    pub alias_arn: String,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where it routes.
    pub routing_strategy: RoutingStrategy,
    /// When it was created.
    pub creation_time: Timestamp,
    /// When it was last changed.
    pub last_updated_time: Timestamp,
}

/// A script (control-api.md §3.6); `StorageLocation` is never sent, since scripts live on
/// the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Script {
    /// Its id, `script-...`.
    pub script_id: String,
    /// Its ARN.
    pub script_arn: String,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its version label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Bytes of the uploaded zip.
    pub size_on_disk: u64,
    /// When it was created.
    pub creation_time: Timestamp,
    /// The Node.js version it was written for.
    pub node_js_version: String,
}

/// A fleet's attributes (`DescribeFleetAttributes`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FleetAttributes {
    /// Its id.
    pub fleet_id: String,
    /// Its ARN.
    pub fleet_arn: String,
    /// `ON_DEMAND`.
    pub fleet_type: String,
    /// The instance type reported.
    pub instance_type: String,
    /// Its name.
    pub name: String,
    /// When it was created: when the server started.
    pub creation_time: Timestamp,
    /// `ACTIVE`, or `DELETING` once draining.
    pub status: String,
    /// The protection policy of new game sessions.
    pub new_game_session_protection_policy: ProtectionPolicy,
    /// The operating system reported.
    pub operating_system: String,
    /// Its metric groups.
    pub metric_groups: Vec<String>,
    /// Its TLS certificate settings.
    pub certificate_configuration: CertificateConfiguration,
    /// `EC2`.
    pub compute_type: String,
    /// The script it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_id: Option<String>,
    /// That script's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_arn: Option<String>,
}

/// A fleet's TLS certificate settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CertificateConfiguration {
    /// `DISABLED` or `GENERATED`.
    pub certificate_type: String,
}

/// A fleet's instances (`DescribeFleetCapacity`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FleetCapacity {
    /// Its id.
    pub fleet_id: String,
    /// Its ARN.
    pub fleet_arn: String,
    /// The instance type reported.
    pub instance_type: String,
    /// Its location.
    pub location: String,
    /// Its instances by state.
    pub instance_counts: Ec2InstanceCounts,
}

/// Instances by state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub struct Ec2InstanceCounts {
    /// Instances wanted.
    pub desired: u32,
    /// Fewest instances.
    pub minimum: u32,
    /// Most instances.
    pub maximum: u32,
    /// Instances starting.
    pub pending: u32,
    /// Instances running.
    pub active: u32,
    /// Running instances hosting no game session.
    pub idle: u32,
    /// Instances ending.
    pub terminating: u32,
}

/// A fleet's use (`DescribeFleetUtilization`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FleetUtilization {
    /// Its id.
    pub fleet_id: String,
    /// Its ARN.
    pub fleet_arn: String,
    /// Its location.
    pub location: String,
    /// Server processes: one per game session it hosts or would still start.
    pub active_server_process_count: u64,
    /// Game sessions that have not ended.
    pub active_game_session_count: u64,
    /// Their player sessions.
    pub current_player_session_count: u64,
    /// Their most player sessions, together.
    pub maximum_player_session_count: u64,
}

/// A location where the fleet hosts game sessions (`ListLocations`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocationModel {
    /// Its name, such as `us-east-1` or `custom-ams-1`.
    pub location_name: String,
    /// Its ARN: custom locations (named `custom-...`) only, as in the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_arn: Option<String>,
}

/// One location of a fleet (`DescribeFleetLocationAttributes`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocationAttributes {
    /// The location and its status.
    pub location_state: LocationState,
}

/// A fleet location's status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocationState {
    /// The location.
    pub location: String,
    /// `ACTIVE`, or `DELETING` once every host there drains.
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_epoch_seconds_with_millisecond_fractions() {
        let time = Timestamp(UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456));
        let text = serde_json::to_string(&time).expect("serializes");
        assert_eq!(text, "1700000000.123");
        let back: Timestamp = serde_json::from_str(&text).expect("parses");
        assert_eq!(
            back.0
                .duration_since(UNIX_EPOCH)
                .ok()
                .map(|d| d.as_millis()),
            Some(1_700_000_000_123)
        );
        assert_eq!(
            serde_json::to_string(&Timestamp::default()).ok().as_deref(),
            Some("0.0")
        );
    }

    #[test]
    fn status_names_are_the_serialized_ones() {
        use GameSessionStatus::*;
        for status in [Activating, Active, Terminating, Terminated, Error] {
            let named = serde_json::to_value(status).ok();
            assert_eq!(
                named.as_ref().and_then(|v| v.as_str()),
                Some(status.as_str())
            );
        }
    }

    #[test]
    fn blobs_are_base64() {
        let blob = Blob(b"zip".to_vec());
        assert_eq!(
            serde_json::to_string(&blob).ok().as_deref(),
            Some("\"emlw\"")
        );
        assert_eq!(serde_json::from_str::<Blob>("\"emlw\"").ok(), Some(blob));
        assert!(serde_json::from_str::<Blob>("\"not base64!\"").is_err());
    }
}
