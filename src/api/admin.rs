//! Volley's own operations, outside the GameLift model (`X-Amz-Target: Volley.<Op>`):
//! `DescribeServer`, the snapshot `volley status` prints, and `StartDrain`, which drains the
//! server as SIGTERM does (`volley drain`). Their outputs read with defaults for absent
//! members, so a client reads a server one version older or newer.

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::model::{GameSessionStatus, Timestamp};
use super::validate::{optional_length, range};
use super::{Operation, Request};

/// Most game sessions one `DescribeServer` lists; the count always covers them all.
pub const MAX_DESCRIBE_SERVER_LIMIT: i64 = 1000;

/// Most hosts one `DescribeServer` lists; the count always covers them all.
pub const MAX_LISTED_HOSTS: usize = 1000;

/// Longest `HostId` `StartDrain` reads: a configured `fleet.host_id` has at most 64
/// characters, the default one (host name and game port) at most a host name's 253 and more.
const MAX_HOST_ID_CHARS: usize = 512;

/// `Volley.DescribeServer`: the server, its game sessions that have not ended and its
/// headline counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeServerInput {
    /// Most game sessions listed, 1 to 1000 (100 if absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
}

/// What `Volley.DescribeServer` answers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DescribeServerOutput {
    /// The server.
    pub server: Server,
    /// Game sessions that have not ended, oldest first, at most `Limit` of them.
    pub game_sessions: Vec<ServerGameSession>,
    /// All game sessions that have not ended.
    pub game_session_count: u64,
    /// Their player sessions.
    pub player_session_count: u64,
    /// The counters an operator looks at first; every counter is on the metrics endpoint.
    pub counters: Counters,
    /// The fleet this server is a host of; absent from servers older than fleets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet: Option<ServerFleet>,
}

impl Request for DescribeServerInput {
    const OPERATION: Operation = Operation::DescribeServer;
    type Output = DescribeServerOutput;

    fn validate(&self) -> Result<(), ApiError> {
        range("Limit", self.limit, 1, MAX_DESCRIBE_SERVER_LIMIT)
    }
}

/// The server at a glance.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Server {
    /// Volley's version.
    pub version: String,
    /// When it started.
    pub start_time: Timestamp,
    /// Whole seconds since.
    pub uptime_seconds: u64,
    /// Whether it takes new game sessions (what `/ready` says).
    pub ready: bool,
    /// Whether its listeners are open.
    pub listening: bool,
    /// Whether it is draining.
    pub draining: bool,
    /// Game sessions whose script is unhealthy.
    pub unhealthy_game_sessions: u64,
    /// The fleet's id.
    pub fleet_id: String,
    /// The fleet's location.
    pub location: String,
    /// Its listeners.
    pub listeners: Listeners,
    /// Where game clients connect.
    pub client_endpoint: ClientEndpoint,
    /// The fleet's script, if it runs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<ServerScript>,
}

/// The fleet this server is a host of: its live hosts and their locations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServerFleet {
    /// Whether hosts share a fleet store; without one, this server is the fleet's one host.
    pub shared: bool,
    /// This server's id in the fleet.
    pub host_id: String,
    /// The live hosts' locations, by name.
    pub locations: Vec<String>,
    /// The live hosts by id, at most 1000 of them.
    pub hosts: Vec<FleetHost>,
    /// All live hosts.
    pub host_count: u64,
    /// Why the fleet store could not be read, if it could not: the rest is then empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_error: Option<String>,
}

/// A live host of the fleet, as it last registered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FleetHost {
    /// Its id.
    pub host_id: String,
    /// Its location.
    pub location: String,
    /// Where game clients connect: IP address.
    pub ip_address: String,
    /// Where game clients connect: DNS name.
    pub dns_name: String,
    /// Where game clients connect: WebSocket port.
    pub port: u16,
    /// Whether it is draining.
    pub draining: bool,
    /// Most game sessions it runs at once (its `limits.max_game_sessions`).
    pub max_game_sessions: u64,
    /// Game sessions it runs that have not ended.
    pub game_session_count: u64,
    /// Players connected to it.
    pub player_count: u64,
    /// Its Volley version.
    pub version: String,
}

/// The server's bound addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Listeners {
    /// The game WebSocket listener.
    pub game: String,
    /// The UDP fast port.
    pub udp: String,
    /// The control API.
    pub control: String,
    /// `plain`, `secure` or `mixed`.
    pub tls_mode: String,
    /// Whether the control API speaks HTTPS.
    pub control_tls: bool,
}

/// Where game clients connect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClientEndpoint {
    /// The IP address.
    pub ip_address: String,
    /// The DNS name.
    pub dns_name: String,
    /// The WebSocket port.
    pub port: u16,
    /// The UDP fast port.
    pub fast_port: u16,
}

/// The fleet's script.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServerScript {
    /// Its id.
    pub script_id: String,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its version label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Its content revision, unless it was deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
}

/// A game session as `DescribeServer` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerGameSession {
    /// Its id, an ARN.
    pub game_session_id: String,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its status.
    pub status: GameSessionStatus,
    /// Player sessions reserved or connected.
    pub current_player_session_count: u32,
    /// Players logged in.
    pub active_player_session_count: u64,
    /// Most player sessions.
    pub maximum_player_session_count: u32,
    /// The script it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_id: Option<String>,
    /// That script's version label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_version: Option<String>,
    /// That script's content revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_revision: Option<u64>,
    /// When it was created.
    pub creation_time: Timestamp,
    /// Whole seconds since.
    pub uptime_seconds: u64,
}

/// The headline counters, totals since the server started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Counters {
    /// Connections accepted.
    pub connections_accepted: u64,
    /// Connections refused over the connection limit.
    pub connections_over_limit: u64,
    /// Logins accepted.
    pub logins_accepted: u64,
    /// Logins refused, for any reason.
    pub logins_refused: u64,
    /// Messages received, both channels.
    pub messages_in: u64,
    /// Messages sent, both channels.
    pub messages_out: u64,
    /// Messages dropped, for any reason.
    pub messages_dropped: u64,
    /// Malformed messages received.
    pub malformed: u64,
    /// Connections closed for reading too slowly.
    pub slow_reader_closes: u64,
    /// Connections closed for silence.
    pub idle_timeouts: u64,
    /// Connections closed for sending too fast.
    pub rate_limited_closes: u64,
    /// Connections the clients closed.
    pub client_closes: u64,
    /// Connections lost.
    pub connections_lost: u64,
    /// TLS and DTLS handshakes that failed.
    pub tls_handshakes_failed: u64,
    /// Script callbacks that threw.
    pub script_errors: u64,
    /// Script callbacks that ran out of time.
    pub script_timeouts: u64,
    /// Script callbacks that ran out of memory.
    pub script_out_of_memory: u64,
}

/// `Volley.StartDrain`: drains the server, as SIGTERM does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartDrainInput {
    /// The host meant, when the caller knows it: a server with another id drains nothing
    /// and refuses, so that a request a load balancer sends elsewhere does no harm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_id: Option<String>,
}

/// What `Volley.StartDrain` answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct StartDrainOutput {
    /// Always true: the server is draining.
    pub draining: bool,
    /// Whether it was draining before this call.
    pub already_draining: bool,
    /// Game sessions left to end.
    pub game_session_count: u64,
    /// Longest they are given before they are closed.
    pub drain_grace_seconds: u64,
}

impl Request for StartDrainInput {
    const OPERATION: Operation = Operation::StartDrain;
    type Output = StartDrainOutput;

    fn validate(&self) -> Result<(), ApiError> {
        optional_length("HostId", self.host_id.as_deref(), 1, MAX_HOST_ID_CHARS)
    }
}
