//! The TOML configuration (`config/volley.toml` is the documented example, and the built-in
//! defaults equal it), turned into a validated [`Config`] of real types. Errors name the key.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::core::{RateLimit, SessionConfig};
use crate::secret::Secret;

/// Why a configuration was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML did not parse or has unknown keys or wrong types.
    #[error("{0}")]
    Parse(String),
    /// A key has a value outside its range.
    #[error("invalid value for `{key}`: {reason}")]
    Invalid {
        /// The dotted key, e.g. `limits.max_frame_bytes`.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// The whole validated configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Game-client listeners.
    pub game: GameConfig,
    /// Limits on what peers may make the server do.
    pub limits: Limits,
    /// Rules of every game session.
    pub sessions: SessionsConfig,
    /// The control API.
    pub control: ControlConfig,
    /// The fleet this server presents itself as.
    pub fleet: FleetConfig,
    /// `[scripts]`
    pub scripts: ScriptsConfig,
    /// `[tls]`
    pub tls: TlsSettings,
    /// `[server]`: the process as a whole.
    pub server: ServerConfig,
    /// `[events]`: where placement events are delivered.
    pub events: EventsConfig,
    /// `[agones]`: the Agones SDK, when the host runs as an Agones GameServer.
    pub agones: AgonesConfig,
}

/// `[agones]`: whether and how the host talks to the Agones SDK server (the sidecar of an
/// Agones GameServer pod).
#[derive(Clone, Debug, PartialEq)]
pub struct AgonesConfig {
    /// On, off, or on when the SDK's environment is present.
    pub enabled: AgonesMode,
    /// How often Health is sent while the host is healthy.
    pub health_interval: Duration,
    /// How often the lifecycle state and the Counters are brought in step with the host.
    pub sync_interval: Duration,
    /// Name of the GameServer port whose host port game clients connect to (WebSocket).
    pub ws_port: String,
    /// Name of the GameServer port announced as `fastPort` (UDP); empty: the WebSocket one.
    pub fast_port: String,
    /// Longest the host waits at start for the GameServer's address before it goes on with
    /// the `[fleet]` one.
    pub address_timeout: Duration,
}

/// `agones.enabled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgonesMode {
    /// On when `AGONES_SDK_GRPC_PORT` or `AGONES_SDK_HTTP_PORT` is set (the sidecar sets them).
    Auto,
    /// Always on.
    On,
    /// Never on.
    Off,
}

impl AgonesConfig {
    /// Whether the SDK is on, given the environment as `env` reads it.
    pub fn is_on(&self, env: impl Fn(&str) -> Option<String>) -> bool {
        match self.enabled {
            AgonesMode::On => true,
            AgonesMode::Off => false,
            AgonesMode::Auto => ["AGONES_SDK_GRPC_PORT", "AGONES_SDK_HTTP_PORT"]
                .iter()
                .any(|name| env(name).is_some_and(|value| !value.is_empty())),
        }
    }
}

/// `[events]`: the webhooks that receive GameLift's placement events (which GameLift
/// publishes to a queue's SNS topic) and how they are delivered.
#[derive(Clone, Debug, PartialEq)]
pub struct EventsConfig {
    /// Where events go whose queue names no target of `targets`; `None`: such events are
    /// counted as unrouted and not sent.
    pub webhook: Option<http::Uri>,
    /// Webhooks by notification target (a queue's `NotificationTarget`, an SNS topic ARN).
    pub targets: BTreeMap<String, http::Uri>,
    /// The key events are signed with; `None` sends them unsigned.
    pub secret: Option<Secret>,
    /// Longest one delivery attempt may take, connecting included.
    pub timeout: Duration,
    /// Attempts per event before it is given up.
    pub max_attempts: u32,
    /// Most events waiting for delivery (queued or backing off); more are dropped.
    pub queue: usize,
}

/// `[server]`: logging and stopping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Log filter in env-filter syntax; `--log-level` and `VOLLEY_LOG` override it.
    pub log_level: String,
    /// How long a drain waits for game sessions to end before closing the rest.
    pub drain_grace: Duration,
}

/// Which connection types the game listeners serve (protocol.md §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecureMode {
    /// `RT_OVER_WS_UDP_UNSECURED` only: `ws://` and plain UDP.
    Plain,
    /// `RT_OVER_WSS_DTLS_TLS12` only: `wss://` and DTLS, as a GameLift TLS fleet.
    Secure,
    /// Both on the same ports: a client is secure when its WebSocket arrived over TLS.
    Mixed,
}

/// `[tls]`: secure mode, and the certificate it uses.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsSettings {
    /// Which connection types the game port serves.
    pub mode: SecureMode,
    /// The certificate files, when some listener uses TLS.
    pub files: Option<TlsConfig>,
    /// The control API is served over HTTPS with the same certificate.
    pub control: bool,
}

/// The PEM files of the server's certificate.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsConfig {
    /// Certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// The leaf's private key (PKCS#8; ECDSA P-256 for DTLS).
    pub key_file: PathBuf,
    /// The certificates that anchor the chain, sent to clients as `caCert`; `None` means
    /// the last certificate of `cert_file`.
    pub ca_file: Option<PathBuf>,
}

/// `[scripts]`: where script resources live, which one the fleet runs, and the limits of
/// every running script.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptsConfig {
    /// Directory for state that survives restarts; script resources go in `scripts/` in it.
    pub data_dir: PathBuf,
    /// The script new game sessions run (`script-<uuid>`); `None` is a pure relay.
    pub script_id: Option<String>,
    /// Longest one callback (with the promise jobs it queues) may run.
    pub callback_timeout: Duration,
    /// Most time one game session's script may run in any one second.
    pub cpu_budget: Duration,
    /// Most memory one game session's script runtime may use.
    pub memory_limit_bytes: usize,
    /// A decision callback that throws or times out answers "no" instead of the default.
    pub deny_on_error: bool,
    /// End a game session after this many script failures in a row; 0 never does.
    pub max_consecutive_failures: u32,
    /// Longest a game session's start (`init`, `onProcessStarted`, `onStartGameSession`) may
    /// take before the game session goes to ERROR.
    pub activation_timeout: Duration,
    /// How often each game session's script is asked `onHealthCheck`.
    pub health_check_interval: Duration,
    /// How long a script may take to end its game session after `onProcessTerminate`
    /// (TerminateGameSession with TRIGGER_ON_PROCESS_TERMINATE) before it is forced.
    pub terminate_grace: Duration,
    /// Threads that run the game sessions with a script, apart from the threads that serve
    /// sockets and pure-relay game sessions.
    pub threads: usize,
    /// Most CPU time the slow lane (game sessions whose script is slow) may use in any one
    /// second, all of them together.
    pub slow_lane_cpu_budget: Duration,
}

/// `[control]`: the GameLift service API.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlConfig {
    /// HTTP listener.
    pub listen: SocketAddr,
    /// How requests are authenticated.
    pub auth: AuthMode,
    /// Largest accepted difference between a request's date and the server clock.
    pub max_clock_skew: Duration,
    /// Access keys whose signatures are accepted.
    pub access_keys: Vec<AccessKey>,
    /// Most control API connections open at once.
    pub max_connections: usize,
    /// Most control API connections open at once from one source (an IPv4 address, an
    /// IPv6 /64).
    pub max_connections_per_ip: usize,
    /// A control API connection that has not sent a complete request (its headers) this long
    /// after it was accepted is closed.
    pub request_header_timeout: Duration,
    /// A control API connection idle this long is closed.
    pub idle_timeout: Duration,
    /// With `auth = "sigv4"`, `GET /metrics` also accepts `Authorization: Bearer` with this
    /// token (for Prometheus); `None` accepts signed requests only.
    pub metrics_token: Option<Secret>,
}

/// How control API requests are authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// AWS Signature Version 4 with one of the configured access keys.
    Sigv4,
    /// No authentication, for local development; loopback only.
    None,
}

/// An access key id and its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    /// The access key id.
    pub id: String,
    /// The secret access key.
    pub secret: Secret,
}

/// `[fleet]`: the one fleet this server is.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetConfig {
    /// Fleet id, `fleet-...`.
    pub id: String,
    /// Fleet name.
    pub name: String,
    /// Region name used in ARNs.
    pub region: String,
    /// The fleet's location.
    pub location: String,
    /// IP address game clients connect to; `None` means the game listener's.
    pub ip_address: Option<IpAddr>,
    /// DNS name game clients connect to; `None` means the IP address.
    pub dns_name: Option<String>,
    /// Port game clients connect to; `None` means the game listener's.
    pub port: Option<u16>,
    /// The fleet store shared by the fleet's hosts (`redis://` or `rediss://`, credentials
    /// included); `None` keeps this host's catalog in memory, a fleet of one.
    pub store: Option<Secret>,
    /// This host's id in the fleet; `None` means `<hostname>-<game port>`, stable across
    /// restarts so a restarted host takes its own place back.
    pub host_id: Option<String>,
    /// How `CreateGameSession` picks a host.
    pub placement: PlacementPolicy,
    /// How often this host renews its registration in the fleet store.
    pub heartbeat: Duration,
    /// How long a host stays in the fleet without a heartbeat: then it is taken out of
    /// placement and its game sessions end (`INTERRUPTED`).
    pub host_expiry: Duration,
}

/// How `CreateGameSession` picks among the hosts with room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlacementPolicy {
    /// The fullest host with room first, so empty hosts can be scaled down.
    Pack,
    /// The emptiest host first, so load spreads evenly.
    Spread,
}

/// `[game]`: where game clients connect.
#[derive(Clone, Debug, PartialEq)]
pub struct GameConfig {
    /// WebSocket (TCP) listener.
    pub listen: SocketAddr,
    /// UDP socket of the fast channel; `None` means the address of `listen`.
    pub udp_listen: Option<SocketAddr>,
    /// `fastPort` announced to clients; `None` means the bound UDP port.
    pub advertised_fast_port: Option<u16>,
    /// Receive buffer asked of the kernel for the UDP socket (`SO_RCVBUF`).
    pub udp_receive_buffer_bytes: usize,
    /// Send buffer asked of the kernel for the UDP socket (`SO_SNDBUF`).
    pub udp_send_buffer_bytes: usize,
    /// How long a WebSocket writer holds a frame for the ones that follow it (zero: none).
    pub flush_interval: Duration,
}

/// `[limits]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Most WebSocket connections at once.
    pub max_connections: usize,
    /// Largest WebSocket message or datagram, prefix included.
    pub max_frame_bytes: usize,
    /// Largest payload relayed from the WebSocket.
    pub max_reliable_payload_bytes: usize,
    /// Largest payload on the fast channel.
    pub max_fast_payload_bytes: usize,
    /// TCP/WebSocket handshake time.
    pub handshake_timeout: Duration,
    /// Time allowed before LOGIN.
    pub login_timeout: Duration,
    /// Outbound bytes queued per connection.
    pub outbound_queue_bytes: usize,
    /// Inbound packets queued per game session.
    pub session_queue_packets: usize,
    /// Most game sessions running at once (created through the API and not yet ended).
    pub max_game_sessions: usize,
    /// UDP_CONNECTs accepted per second from one source address (IP and port).
    pub udp_connects_per_address: u32,
    /// DTLS associations opened per second from one source IP.
    pub dtls_handshakes_per_ip: u32,
    /// Most DTLS associations not yet bound to a player, at once.
    pub max_dtls_handshakes: usize,
    /// Messages per second one player may send, on average; `None`: no limit.
    pub player_messages_per_sec: Option<u32>,
    /// Messages one player may send at once above the average rate.
    pub player_message_burst: u32,
    /// A player over its rate for this long is disconnected; `None`: never.
    pub player_over_rate_close: Option<Duration>,
}

/// `[sessions]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionsConfig {
    /// Most players per game session.
    pub max_players: usize,
    /// Most groups per player.
    pub max_groups_per_player: usize,
    /// Player-session reservation timeout.
    pub reservation_timeout: Duration,
    /// How long ended player sessions stay describable.
    pub retention: Duration,
    /// Group messages come back to their sender.
    pub echo_to_sender: bool,
    /// PLAYER_CONNECT / PLAYER_DISCONNECT notifications.
    pub player_notifications: bool,
    /// Membership updates on join and leave.
    pub membership_updates: bool,
    /// Drop group messages from non-members.
    pub drop_non_member_group_messages: bool,
    /// WebSocket ping interval.
    pub ping_interval: Duration,
    /// Dead-peer timeout.
    pub idle_timeout: Duration,
    /// UDP keepalive after this silence; `None` disables.
    pub udp_keepalive: Option<Duration>,
    /// UDP source IP must equal the WebSocket IP.
    pub check_udp_source_ip: bool,
    /// Drop stale incoming UDP sequence numbers.
    pub filter_stale_udp: bool,
}

impl Limits {
    /// What each player may send, for the core; `None` when there is no limit.
    pub fn player_rate(&self) -> Option<RateLimit> {
        self.player_messages_per_sec.map(|per_sec| RateLimit {
            per_sec,
            burst: self.player_message_burst,
            close_after: self.player_over_rate_close,
        })
    }
}

impl Config {
    /// Reads and validates a TOML file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        file.validate()
    }

    /// The rules for a game session, with the `fastPort` to announce.
    pub fn session_config(&self, fast_port: u16) -> SessionConfig {
        let s = &self.sessions;
        SessionConfig {
            max_players: s.max_players,
            max_groups_per_player: s.max_groups_per_player,
            echo_to_sender: s.echo_to_sender,
            player_notifications: s.player_notifications,
            membership_updates: s.membership_updates,
            drop_non_member_group_messages: s.drop_non_member_group_messages,
            ping_interval: s.ping_interval,
            idle_timeout: s.idle_timeout,
            udp_keepalive: s.udp_keepalive,
            check_udp_source_ip: s.check_udp_source_ip,
            filter_stale_udp: s.filter_stale_udp,
            max_reliable_payload: self.limits.max_reliable_payload_bytes,
            max_fast_payload: self.limits.max_fast_payload_bytes,
            fast_port,
            player_rate: self.limits.player_rate(),
            ..SessionConfig::default()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::parse("").expect("the built-in defaults are valid")
    }
}

/// The file as written; every field defaults to the value in `config/volley.toml`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct File {
    game: GameFile,
    limits: LimitsFile,
    sessions: SessionsFile,
    control: ControlFile,
    fleet: FleetFile,
    scripts: ScriptsFile,
    tls: TlsFile,
    server: ServerFile,
    events: EventsFile,
    agones: AgonesFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct AgonesFile {
    enabled: AgonesEnabled,
    health_interval_secs: u64,
    sync_interval_ms: u64,
    ws_port: String,
    fast_port: String,
    address_timeout_secs: u64,
}

impl Default for AgonesFile {
    fn default() -> Self {
        Self {
            enabled: AgonesEnabled::Word("auto".into()),
            health_interval_secs: 5,
            sync_interval_ms: 1000,
            ws_port: "game".into(),
            fast_port: "fast".into(),
            address_timeout_secs: 30,
        }
    }
}

/// `agones.enabled` as written: `true`, `false` or `"auto"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum AgonesEnabled {
    Bool(bool),
    Word(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct EventsFile {
    webhook: String,
    targets: BTreeMap<String, String>,
    secret: String,
    timeout_secs: u64,
    max_attempts: u32,
    queue: usize,
}

impl Default for EventsFile {
    fn default() -> Self {
        Self {
            webhook: String::new(),
            targets: BTreeMap::new(),
            secret: String::new(),
            timeout_secs: 10,
            max_attempts: 6,
            queue: 10_000,
        }
    }
}

/// The longest notification target GameLift accepts (an SNS topic ARN).
const MAX_NOTIFICATION_TARGET_CHARS: usize = 300;

/// Most entries of `events.targets`: a webhook per queue, and queues are few.
const MAX_EVENT_TARGETS: usize = 1000;

/// Parses a webhook URL: `http://` or `https://`, with a host and without credentials
/// (which would not be sent: a receiver's token belongs in the path or query).
fn webhook_uri(text: &str) -> Result<http::Uri, String> {
    let uri: http::Uri = text
        .parse()
        .map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(format!("`{text}` is not an http:// or https:// URL"));
    }
    let Some(authority) = uri.authority() else {
        return Err(format!("`{text}` names no host"));
    };
    if authority.host().is_empty() {
        return Err(format!("`{text}` names no host"));
    }
    if authority.as_str().contains('@') {
        return Err("a webhook URL must not carry credentials (user:password@)".into());
    }
    Ok(uri)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ServerFile {
    log_level: String,
    drain_grace_secs: u64,
}

impl Default for ServerFile {
    fn default() -> Self {
        Self {
            log_level: "info".into(),
            drain_grace_secs: 60,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TlsFile {
    mode: SecureMode,
    cert_file: PathBuf,
    key_file: PathBuf,
    ca_file: PathBuf,
    control: bool,
}

impl Default for TlsFile {
    fn default() -> Self {
        Self {
            mode: SecureMode::Plain,
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
            ca_file: PathBuf::new(),
            control: false,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ScriptsFile {
    data_dir: PathBuf,
    script_id: String,
    callback_timeout_ms: u64,
    cpu_budget_ms: u64,
    memory_limit_mib: usize,
    deny_on_error: bool,
    max_consecutive_failures: u32,
    activation_timeout_ms: u64,
    health_check_interval_secs: u64,
    terminate_grace_secs: u64,
    threads: usize,
    slow_lane_cpu_budget_ms: u64,
}

impl Default for ScriptsFile {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            script_id: String::new(),
            callback_timeout_ms: 50,
            cpu_budget_ms: 250,
            memory_limit_mib: 32,
            deny_on_error: false,
            max_consecutive_failures: 0,
            activation_timeout_ms: 5000,
            health_check_interval_secs: 60,
            terminate_grace_secs: 30,
            threads: 0,
            slow_lane_cpu_budget_ms: 50,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ControlFile {
    listen: SocketAddr,
    auth: AuthMode,
    max_clock_skew_secs: u64,
    access_keys: Vec<AccessKeyFile>,
    max_connections: usize,
    max_connections_per_ip: usize,
    request_header_timeout_secs: u64,
    idle_timeout_secs: u64,
    metrics_token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessKeyFile {
    access_key_id: String,
    secret_access_key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct FleetFile {
    id: String,
    name: String,
    region: String,
    location: String,
    ip_address: Option<IpAddr>,
    dns_name: Option<String>,
    port: Option<u16>,
    store: String,
    host_id: String,
    placement: PlacementPolicy,
    heartbeat_secs: u64,
    host_expiry_secs: u64,
}

impl Default for ControlFile {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            auth: AuthMode::Sigv4,
            max_clock_skew_secs: 900,
            access_keys: Vec::new(),
            max_connections: 256,
            max_connections_per_ip: 64,
            request_header_timeout_secs: 5,
            idle_timeout_secs: 60,
            metrics_token: String::new(),
        }
    }
}

impl Default for FleetFile {
    fn default() -> Self {
        Self {
            id: "fleet-local".into(),
            name: "volley".into(),
            region: "local".into(),
            location: "local".into(),
            ip_address: None,
            dns_name: None,
            port: None,
            store: String::new(),
            host_id: String::new(),
            placement: PlacementPolicy::Pack,
            heartbeat_secs: 1,
            host_expiry_secs: 5,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct GameFile {
    listen: SocketAddr,
    udp_listen: Option<SocketAddr>,
    advertised_fast_port: Option<u16>,
    udp_receive_buffer_bytes: usize,
    udp_send_buffer_bytes: usize,
    flush_interval_ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LimitsFile {
    max_connections: usize,
    max_frame_bytes: usize,
    max_reliable_payload_bytes: usize,
    max_fast_payload_bytes: usize,
    handshake_timeout_secs: u64,
    login_timeout_secs: u64,
    outbound_queue_bytes: usize,
    session_queue_packets: usize,
    max_game_sessions: usize,
    udp_connects_per_address_per_sec: u32,
    dtls_handshakes_per_ip_per_sec: u32,
    max_dtls_handshakes: usize,
    player_messages_per_sec: u32,
    player_message_burst: u32,
    player_over_rate_close_secs: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SessionsFile {
    max_players: usize,
    max_groups_per_player: usize,
    reservation_timeout_secs: u64,
    retention_secs: u64,
    echo_to_sender: bool,
    player_notifications: bool,
    membership_updates: bool,
    drop_non_member_group_messages: bool,
    ping_interval_ms: u64,
    idle_timeout_secs: u64,
    udp_keepalive_secs: u64,
    check_udp_source_ip: bool,
    filter_stale_udp: bool,
}

impl Default for GameFile {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 1935)),
            udp_listen: None,
            advertised_fast_port: None,
            udp_receive_buffer_bytes: 4 << 20,
            udp_send_buffer_bytes: 4 << 20,
            flush_interval_ms: 0,
        }
    }
}

impl Default for LimitsFile {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            max_frame_bytes: 8192,
            max_reliable_payload_bytes: 4096,
            max_fast_payload_bytes: 1200,
            handshake_timeout_secs: 10,
            login_timeout_secs: 15,
            outbound_queue_bytes: 1 << 20,
            session_queue_packets: 4096,
            max_game_sessions: 10_000,
            udp_connects_per_address_per_sec: 20,
            dtls_handshakes_per_ip_per_sec: 50,
            max_dtls_handshakes: 1000,
            player_messages_per_sec: 1000,
            player_message_burst: 2000,
            player_over_rate_close_secs: 10,
        }
    }
}

impl Default for SessionsFile {
    fn default() -> Self {
        let core = SessionConfig::default();
        Self {
            max_players: core.max_players,
            max_groups_per_player: core.max_groups_per_player,
            reservation_timeout_secs: 60,
            retention_secs: 86_400,
            echo_to_sender: core.echo_to_sender,
            player_notifications: core.player_notifications,
            membership_updates: core.membership_updates,
            drop_non_member_group_messages: core.drop_non_member_group_messages,
            ping_interval_ms: 3000,
            idle_timeout_secs: 30,
            udp_keepalive_secs: 5,
            check_udp_source_ip: core.check_udp_source_ip,
            filter_stale_udp: core.filter_stale_udp,
        }
    }
}

/// The settings a reload applies while the server runs; everything else needs a restart.
const RELOADABLE: &[&str] = &[
    "limits.",
    "control.access_keys",
    "control.max_clock_skew_secs",
    "control.max_connections_per_ip",
    "control.metrics_token",
    "control.request_header_timeout_secs",
    "server.log_level",
    "server.drain_grace_secs",
];

/// Whether a reload applies the dotted `key` (as [`changed_keys`] names it) while the server
/// runs.
pub fn is_reloadable(key: &str) -> bool {
    RELOADABLE.iter().any(|prefix| key.starts_with(prefix))
}

/// The dotted keys whose values differ between two config files (a key set in one and not
/// the other counts), sorted. Arrays count as one value: `control.access_keys`.
pub fn changed_keys(old: &str, new: &str) -> Result<Vec<String>, ConfigError> {
    let parse = |text: &str| {
        text.parse::<toml::Table>()
            .map_err(|e| ConfigError::Parse(e.to_string()))
    };
    let (old, new) = (flatten(&parse(old)?), flatten(&parse(new)?));
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    Ok(keys
        .into_iter()
        .filter(|key| old.get(*key) != new.get(*key))
        .cloned()
        .collect())
}

/// Every leaf of a TOML table under its dotted key.
fn flatten(table: &toml::Table) -> std::collections::BTreeMap<String, toml::Value> {
    let mut leaves = std::collections::BTreeMap::new();
    let mut stack: Vec<(String, &toml::Table)> = vec![(String::new(), table)];
    while let Some((prefix, table)) = stack.pop() {
        for (key, value) in table {
            let key = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) => stack.push((key, inner)),
                leaf => {
                    leaves.insert(key, leaf.clone());
                }
            }
        }
    }
    leaves
}

/// Whether `id` is a fleet id: `^[a-z]*fleet-[a-zA-Z0-9\-]+$` (the GameLift model's pattern).
pub fn is_fleet_id(id: &str) -> bool {
    id.split_once("fleet-").is_some_and(|(prefix, rest)| {
        prefix.bytes().all(|b| b.is_ascii_lowercase())
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// Log levels as a filter names them (env-filter also takes their numbers).
const LOG_LEVELS: [&str; 12] = [
    "off", "error", "warn", "info", "debug", "trace", "0", "1", "2", "3", "4", "5",
];

/// Checks a log filter in env-filter syntax as an operator means it: every directive names a
/// level, alone (`info`) or for a target (`volley=debug`). env-filter itself takes a bare
/// word, such as a misspelt level (`inof`), as a target at every level, which silently turns
/// all other logging off.
pub fn check_log_filter(filter: &str) -> Result<(), String> {
    let directives: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if directives.is_empty() {
        return Err("must name a log level, such as \"info\"".into());
    }
    for directive in directives {
        let level = directive
            .rsplit_once('=')
            .map_or(directive, |(_, level)| level);
        if !LOG_LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "`{directive}` names no log level: use trace, debug, info, warn, error or off, \
                 alone or as target=level (\"info\", \"volley=debug,warn\")"
            ));
        }
    }
    tracing_subscriber::EnvFilter::try_new(filter)
        .map(drop)
        .map_err(|e| format!("not a log filter: {e}"))
}

/// Fails with the key's name unless `ok`.
fn check(ok: bool, key: &'static str, reason: impl Into<String>) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            key,
            reason: reason.into(),
        })
    }
}

impl EventsFile {
    fn validate(&self) -> Result<EventsConfig, ConfigError> {
        let webhook = if self.webhook.is_empty() {
            None
        } else {
            Some(
                webhook_uri(&self.webhook).map_err(|reason| ConfigError::Invalid {
                    key: "events.webhook",
                    reason,
                })?,
            )
        };
        check(
            self.targets.len() <= MAX_EVENT_TARGETS,
            "events.targets",
            format!("must have at most {MAX_EVENT_TARGETS} entries"),
        )?;
        let mut targets = BTreeMap::new();
        for (target, url) in &self.targets {
            check(
                (1..=MAX_NOTIFICATION_TARGET_CHARS).contains(&target.len()),
                "events.targets",
                format!("a target must be 1-{MAX_NOTIFICATION_TARGET_CHARS} characters"),
            )?;
            let uri = webhook_uri(url).map_err(|reason| ConfigError::Invalid {
                key: "events.targets",
                reason: format!("target `{target}`: {reason}"),
            })?;
            targets.insert(target.clone(), uri);
        }
        check(
            (1..=300).contains(&self.timeout_secs),
            "events.timeout_secs",
            "must be between 1 and 300",
        )?;
        check(
            (1..=100).contains(&self.max_attempts),
            "events.max_attempts",
            "must be between 1 and 100",
        )?;
        check(
            (1..=1_000_000).contains(&self.queue),
            "events.queue",
            "must be between 1 and 1000000",
        )?;
        Ok(EventsConfig {
            webhook,
            targets,
            secret: (!self.secret.is_empty()).then(|| Secret::new(self.secret.clone())),
            timeout: Duration::from_secs(self.timeout_secs),
            max_attempts: self.max_attempts,
            queue: self.queue,
        })
    }
}

impl File {
    fn validate(self) -> Result<Config, ConfigError> {
        let (l, s) = (&self.limits, &self.sessions);
        check(
            l.max_connections > 0,
            "limits.max_connections",
            "must be at least 1",
        )?;
        check(
            (64..=1 << 20).contains(&l.max_frame_bytes),
            "limits.max_frame_bytes",
            "must be between 64 and 1048576",
        )?;
        check(
            l.max_reliable_payload_bytes + 64 <= l.max_frame_bytes,
            "limits.max_reliable_payload_bytes",
            "must leave 64 bytes of headers within limits.max_frame_bytes",
        )?;
        check(
            (1..=1200).contains(&l.max_fast_payload_bytes),
            "limits.max_fast_payload_bytes",
            "must be between 1 and 1200 (client UDP buffers and DTLS records)",
        )?;
        check(
            l.handshake_timeout_secs > 0,
            "limits.handshake_timeout_secs",
            "must be at least 1",
        )?;
        check(
            l.login_timeout_secs > 0,
            "limits.login_timeout_secs",
            "must be at least 1",
        )?;
        check(
            l.outbound_queue_bytes >= 2 * l.max_frame_bytes,
            "limits.outbound_queue_bytes",
            "must hold at least two frames of limits.max_frame_bytes",
        )?;
        check(
            l.player_messages_per_sec == 0 || l.player_message_burst > 0,
            "limits.player_message_burst",
            "must be at least 1 when limits.player_messages_per_sec is set",
        )?;
        check(
            l.session_queue_packets > 0,
            "limits.session_queue_packets",
            "must be at least 1",
        )?;
        check(
            l.udp_connects_per_address_per_sec > 0,
            "limits.udp_connects_per_address_per_sec",
            "must be at least 1",
        )?;
        check(
            l.dtls_handshakes_per_ip_per_sec > 0,
            "limits.dtls_handshakes_per_ip_per_sec",
            "must be at least 1",
        )?;
        check(
            l.max_dtls_handshakes > 0,
            "limits.max_dtls_handshakes",
            "must be at least 1",
        )?;
        check(
            s.max_players > 0,
            "sessions.max_players",
            "must be at least 1",
        )?;
        check(
            s.reservation_timeout_secs > 0,
            "sessions.reservation_timeout_secs",
            "must be at least 1",
        )?;
        check(
            s.ping_interval_ms >= 100,
            "sessions.ping_interval_ms",
            "must be at least 100",
        )?;
        check(
            s.idle_timeout_secs * 1000 > s.ping_interval_ms,
            "sessions.idle_timeout_secs",
            "must be longer than sessions.ping_interval_ms",
        )?;
        for (value, key) in [
            (
                self.game.udp_receive_buffer_bytes,
                "game.udp_receive_buffer_bytes",
            ),
            (
                self.game.udp_send_buffer_bytes,
                "game.udp_send_buffer_bytes",
            ),
        ] {
            check(
                (64 << 10..=1 << 30).contains(&value),
                key,
                "must be from 65536 to 1073741824",
            )?;
        }
        check(
            self.game.flush_interval_ms <= 100,
            "game.flush_interval_ms",
            "must be from 0 (off) to 100",
        )?;
        if let Some(port) = self.game.advertised_fast_port {
            check(
                port > 0,
                "game.advertised_fast_port",
                "must be a port from 1 to 65535",
            )?;
        }
        let c = &self.control;
        check(
            c.auth == AuthMode::Sigv4 || c.listen.ip().is_loopback(),
            "control.auth",
            "\"none\" is only allowed on a loopback control.listen address",
        )?;
        check(
            c.max_connections > 0,
            "control.max_connections",
            "must be at least 1",
        )?;
        check(
            c.max_connections_per_ip > 0,
            "control.max_connections_per_ip",
            "must be at least 1",
        )?;
        check(
            c.request_header_timeout_secs > 0,
            "control.request_header_timeout_secs",
            "must be at least 1",
        )?;
        check(
            c.idle_timeout_secs > 0,
            "control.idle_timeout_secs",
            "must be at least 1",
        )?;
        check(
            c.max_clock_skew_secs > 0,
            "control.max_clock_skew_secs",
            "must be at least 1",
        )?;
        for key in &c.access_keys {
            check(
                !key.access_key_id.is_empty() && !key.secret_access_key.is_empty(),
                "control.access_keys",
                "access_key_id and secret_access_key must not be empty",
            )?;
        }
        let f = &self.fleet;
        check(
            f.id.len() <= 128 && is_fleet_id(&f.id),
            "fleet.id",
            "must look like fleet-<letters, digits, dashes>",
        )?;
        for (key, value) in [("fleet.region", &f.region), ("fleet.location", &f.location)] {
            check(
                (1..=64).contains(&value.len())
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                key,
                "must be 1-64 letters, digits or dashes",
            )?;
        }
        check(
            (1..=1024).contains(&f.name.len()),
            "fleet.name",
            "must be 1-1024 characters",
        )?;
        if let Some(port) = f.port {
            check(
                (1..=60000).contains(&port),
                "fleet.port",
                "must be a port from 1 to 60000",
            )?;
        }
        check(
            f.store.is_empty()
                || f.store.starts_with("redis://")
                || f.store.starts_with("rediss://"),
            "fleet.store",
            "must be empty or a redis:// or rediss:// URL",
        )?;
        check(
            f.host_id.len() <= 64
                && f.host_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'),
            "fleet.host_id",
            "must be at most 64 letters, digits, dots, dashes or underscores",
        )?;
        check(
            (1..=60).contains(&f.heartbeat_secs),
            "fleet.heartbeat_secs",
            "must be from 1 to 60",
        )?;
        check(
            f.host_expiry_secs >= 2 * f.heartbeat_secs && f.host_expiry_secs <= 600,
            "fleet.host_expiry_secs",
            "must be at least twice fleet.heartbeat_secs and at most 600",
        )?;
        let sc = &self.scripts;
        check(
            sc.script_id.is_empty()
                || (sc.script_id.len() <= 512
                    && sc.script_id.starts_with("script-")
                    && !sc.script_id.contains(char::is_whitespace)),
            "scripts.script_id",
            "must be empty or a script id (script-<id>)",
        )?;
        check(
            (1..=60_000).contains(&sc.callback_timeout_ms),
            "scripts.callback_timeout_ms",
            "must be between 1 and 60000",
        )?;
        check(
            (sc.callback_timeout_ms..=1000).contains(&sc.cpu_budget_ms),
            "scripts.cpu_budget_ms",
            "must be between scripts.callback_timeout_ms and 1000",
        )?;
        check(
            (4..=4096).contains(&sc.memory_limit_mib),
            "scripts.memory_limit_mib",
            "must be between 4 and 4096",
        )?;
        check(
            sc.activation_timeout_ms >= sc.callback_timeout_ms,
            "scripts.activation_timeout_ms",
            "must be at least scripts.callback_timeout_ms",
        )?;
        check(
            sc.health_check_interval_secs > 0,
            "scripts.health_check_interval_secs",
            "must be at least 1",
        )?;
        check(
            !sc.data_dir.as_os_str().is_empty(),
            "scripts.data_dir",
            "must not be empty",
        )?;
        check(
            sc.threads <= 1024,
            "scripts.threads",
            "must be between 0 (one per core) and 1024",
        )?;
        check(
            (1..=1_000_000).contains(&sc.slow_lane_cpu_budget_ms),
            "scripts.slow_lane_cpu_budget_ms",
            "must be between 1 and 1000000",
        )?;
        if let Err(reason) = check_log_filter(&self.server.log_level) {
            check(false, "server.log_level", reason)?;
        }
        let events = self.events.validate()?;
        let a = &self.agones;
        let enabled = match &a.enabled {
            AgonesEnabled::Bool(true) => AgonesMode::On,
            AgonesEnabled::Bool(false) => AgonesMode::Off,
            AgonesEnabled::Word(word) if word == "auto" => AgonesMode::Auto,
            AgonesEnabled::Word(_) => {
                return Err(ConfigError::Invalid {
                    key: "agones.enabled",
                    reason: "must be true, false or \"auto\"".into(),
                });
            }
        };
        check(
            (1..=60).contains(&a.health_interval_secs),
            "agones.health_interval_secs",
            "must be from 1 to 60",
        )?;
        check(
            (100..=60_000).contains(&a.sync_interval_ms),
            "agones.sync_interval_ms",
            "must be from 100 to 60000",
        )?;
        check(
            !a.ws_port.is_empty(),
            "agones.ws_port",
            "must name a GameServer port",
        )?;
        check(
            a.address_timeout_secs <= 600,
            "agones.address_timeout_secs",
            "must be at most 600",
        )?;
        let agones = AgonesConfig {
            enabled,
            health_interval: Duration::from_secs(a.health_interval_secs),
            sync_interval: Duration::from_millis(a.sync_interval_ms),
            ws_port: a.ws_port.clone(),
            fast_port: a.fast_port.clone(),
            address_timeout: Duration::from_secs(a.address_timeout_secs),
        };
        let t = &self.tls;
        let uses_tls = t.mode != SecureMode::Plain || t.control;
        let files = if uses_tls {
            check(
                !t.cert_file.as_os_str().is_empty(),
                "tls.cert_file",
                "is needed for secure mode and for tls.control",
            )?;
            check(
                !t.key_file.as_os_str().is_empty(),
                "tls.key_file",
                "is needed for secure mode and for tls.control",
            )?;
            Some(TlsConfig {
                cert_file: t.cert_file.clone(),
                key_file: t.key_file.clone(),
                ca_file: (!t.ca_file.as_os_str().is_empty()).then(|| t.ca_file.clone()),
            })
        } else {
            None
        };
        Ok(Config {
            events,
            agones,
            server: ServerConfig {
                log_level: self.server.log_level.clone(),
                drain_grace: Duration::from_secs(self.server.drain_grace_secs),
            },
            tls: TlsSettings {
                mode: t.mode,
                files,
                control: t.control,
            },
            scripts: ScriptsConfig {
                data_dir: sc.data_dir.clone(),
                script_id: (!sc.script_id.is_empty()).then(|| sc.script_id.clone()),
                callback_timeout: Duration::from_millis(sc.callback_timeout_ms),
                cpu_budget: Duration::from_millis(sc.cpu_budget_ms),
                memory_limit_bytes: sc.memory_limit_mib << 20,
                deny_on_error: sc.deny_on_error,
                max_consecutive_failures: sc.max_consecutive_failures,
                activation_timeout: Duration::from_millis(sc.activation_timeout_ms),
                health_check_interval: Duration::from_secs(sc.health_check_interval_secs),
                terminate_grace: Duration::from_secs(sc.terminate_grace_secs),
                threads: match sc.threads {
                    0 => std::thread::available_parallelism().map_or(2, usize::from),
                    n => n,
                },
                slow_lane_cpu_budget: Duration::from_millis(sc.slow_lane_cpu_budget_ms),
            },
            game: GameConfig {
                listen: self.game.listen,
                udp_listen: self.game.udp_listen,
                advertised_fast_port: self.game.advertised_fast_port,
                udp_receive_buffer_bytes: self.game.udp_receive_buffer_bytes,
                udp_send_buffer_bytes: self.game.udp_send_buffer_bytes,
                flush_interval: Duration::from_millis(self.game.flush_interval_ms),
            },
            limits: Limits {
                max_connections: l.max_connections,
                max_frame_bytes: l.max_frame_bytes,
                max_reliable_payload_bytes: l.max_reliable_payload_bytes,
                max_fast_payload_bytes: l.max_fast_payload_bytes,
                handshake_timeout: Duration::from_secs(l.handshake_timeout_secs),
                login_timeout: Duration::from_secs(l.login_timeout_secs),
                outbound_queue_bytes: l.outbound_queue_bytes,
                session_queue_packets: l.session_queue_packets,
                max_game_sessions: l.max_game_sessions,
                udp_connects_per_address: l.udp_connects_per_address_per_sec,
                dtls_handshakes_per_ip: l.dtls_handshakes_per_ip_per_sec,
                max_dtls_handshakes: l.max_dtls_handshakes,
                player_messages_per_sec: (l.player_messages_per_sec > 0)
                    .then_some(l.player_messages_per_sec),
                player_message_burst: l.player_message_burst,
                player_over_rate_close: (l.player_over_rate_close_secs > 0)
                    .then(|| Duration::from_secs(l.player_over_rate_close_secs)),
            },
            control: ControlConfig {
                listen: c.listen,
                auth: c.auth,
                max_clock_skew: Duration::from_secs(c.max_clock_skew_secs),
                max_connections: c.max_connections,
                max_connections_per_ip: c.max_connections_per_ip,
                request_header_timeout: Duration::from_secs(c.request_header_timeout_secs),
                idle_timeout: Duration::from_secs(c.idle_timeout_secs),
                access_keys: c
                    .access_keys
                    .iter()
                    .map(|k| AccessKey {
                        id: k.access_key_id.clone(),
                        secret: Secret::new(k.secret_access_key.clone()),
                    })
                    .collect(),
                metrics_token: (!c.metrics_token.is_empty())
                    .then(|| Secret::new(c.metrics_token.clone())),
            },
            fleet: FleetConfig {
                id: f.id.clone(),
                name: f.name.clone(),
                region: f.region.clone(),
                location: f.location.clone(),
                ip_address: f.ip_address,
                dns_name: f.dns_name.clone(),
                port: f.port,
                store: (!f.store.is_empty()).then(|| Secret::new(f.store.clone())),
                host_id: (!f.host_id.is_empty()).then(|| f.host_id.clone()),
                placement: f.placement,
                heartbeat: Duration::from_secs(f.heartbeat_secs),
                host_expiry: Duration::from_secs(f.host_expiry_secs),
            },
            sessions: SessionsConfig {
                max_players: s.max_players,
                max_groups_per_player: s.max_groups_per_player,
                reservation_timeout: Duration::from_secs(s.reservation_timeout_secs),
                retention: Duration::from_secs(s.retention_secs),
                echo_to_sender: s.echo_to_sender,
                player_notifications: s.player_notifications,
                membership_updates: s.membership_updates,
                drop_non_member_group_messages: s.drop_non_member_group_messages,
                ping_interval: Duration::from_millis(s.ping_interval_ms),
                idle_timeout: Duration::from_secs(s.idle_timeout_secs),
                udp_keepalive: (s.udp_keepalive_secs > 0)
                    .then(|| Duration::from_secs(s.udp_keepalive_secs)),
                check_udp_source_ip: s.check_udp_source_ip,
                filter_stale_udp: s.filter_stale_udp,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_equals_the_built_in_defaults() {
        let example = Config::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/volley.toml"
        )))
        .expect("the example parses");
        assert_eq!(example, Config::default());
        assert_eq!(example.session_config(1935), SessionConfig::default());
    }

    #[test]
    fn agones_is_on_when_asked_or_when_the_sdk_environment_is_there() {
        let env = |set: &'static [&'static str]| {
            move |name: &str| set.contains(&name).then(|| "9357".to_owned())
        };
        let auto = Config::default().agones;
        assert_eq!(auto.enabled, AgonesMode::Auto);
        assert!(!auto.is_on(env(&[])));
        assert!(auto.is_on(env(&["AGONES_SDK_GRPC_PORT"])));
        assert!(auto.is_on(env(&["AGONES_SDK_HTTP_PORT"])));
        let on = Config::parse("[agones]\nenabled = true")
            .expect("valid")
            .agones;
        assert!(on.is_on(env(&[])));
        let off = Config::parse("[agones]\nenabled = false")
            .expect("valid")
            .agones;
        assert!(!off.is_on(env(&["AGONES_SDK_GRPC_PORT"])));
    }

    #[test]
    fn access_keys_are_read_and_their_secrets_never_print() {
        let text = "[control]\naccess_keys = [{ access_key_id = \"AKID\", secret_access_key = \"s3cr3t\" }]";
        let config = Config::parse(text).expect("valid");
        assert_eq!(config.control.access_keys[0].id, "AKID");
        assert_eq!(config.control.access_keys[0].secret.expose(), "s3cr3t");
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }

    #[test]
    fn changed_keys_name_every_difference_and_reloadable_ones_are_known() {
        let old = "[limits]\nmax_connections = 10\n[game]\nlisten = \"127.0.0.1:1\"\n\
                   [control]\naccess_keys = [{ access_key_id = \"A\", secret_access_key = \"s\" }]";
        let new = "[limits]\nmax_connections = 20\nlogin_timeout_secs = 3\n\
                   [control]\naccess_keys = [{ access_key_id = \"A\", secret_access_key = \"t\" }]";
        let changed = changed_keys(old, new).expect("both parse");
        assert_eq!(
            changed,
            [
                "control.access_keys",
                "game.listen",
                "limits.login_timeout_secs",
                "limits.max_connections"
            ]
        );
        let reloadable: Vec<bool> = changed.iter().map(|k| is_reloadable(k)).collect();
        assert_eq!(reloadable, [true, false, true, true]);
        assert!(is_reloadable("server.log_level"));
        assert!(is_reloadable("control.max_connections_per_ip"));
        assert!(is_reloadable("control.request_header_timeout_secs"));
        assert!(!is_reloadable("control.max_connections"));
        assert!(!is_reloadable("sessions.max_players"));
        assert!(changed_keys(old, old).expect("parses").is_empty());
    }

    #[test]
    fn the_metrics_token_is_read_and_never_prints() {
        assert_eq!(Config::default().control.metrics_token, None);
        let config = Config::parse("[control]\nmetrics_token = \"tok3n-s3cr3t\"").expect("valid");
        let token = config.control.metrics_token.as_ref().expect("a token");
        assert_eq!(token.expose(), "tok3n-s3cr3t");
        assert!(!format!("{config:?}").contains("tok3n"));
    }

    #[test]
    fn events_route_targets_and_keep_the_secret_out_of_debug() {
        let events = Config::default().events;
        assert_eq!(events.webhook, None);
        assert!(events.targets.is_empty());
        assert_eq!(events.secret, None);
        assert_eq!(
            (events.timeout, events.max_attempts, events.queue),
            (Duration::from_secs(10), 6, 10_000)
        );
        let text = "[events]\nwebhook = \"https://hooks.example.com/all?token=1\"\n\
                    secret = \"whs3cr3t\"\ntimeout_secs = 3\nmax_attempts = 2\nqueue = 50\n\
                    [events.targets]\n\
                    \"arn:aws:sns:us-west-2:111122223333:placements\" = \"http://127.0.0.1:9000/p\"\n";
        let config = Config::parse(text).expect("valid");
        let events = &config.events;
        assert_eq!(
            events.webhook.as_ref().map(ToString::to_string).as_deref(),
            Some("https://hooks.example.com/all?token=1")
        );
        let target = &events.targets["arn:aws:sns:us-west-2:111122223333:placements"];
        assert_eq!(target.to_string(), "http://127.0.0.1:9000/p");
        assert_eq!(events.secret.as_ref().map(Secret::expose), Some("whs3cr3t"));
        assert_eq!(
            (events.timeout, events.max_attempts, events.queue),
            (Duration::from_secs(3), 2, 50)
        );
        assert!(!format!("{config:?}").contains("whs3cr3t"));
    }

    #[test]
    fn bad_events_values_are_named() {
        let cases = [
            (
                "[events]\nwebhook = \"ftp://example.com/\"",
                "events.webhook",
            ),
            ("[events]\nwebhook = \"not a url\"", "events.webhook"),
            ("[events]\nwebhook = \"/relative\"", "events.webhook"),
            (
                "[events]\nwebhook = \"https://user:pw@example.com/\"",
                "events.webhook",
            ),
            (
                "[events.targets]\n\"arn:aws:sns:x:1:t\" = \"mailto:a@example.com\"",
                "arn:aws:sns:x:1:t",
            ),
            (
                "[events.targets]\n\"\" = \"http://example.com/\"",
                "events.targets",
            ),
            ("[events]\ntimeout_secs = 0", "events.timeout_secs"),
            ("[events]\nmax_attempts = 0", "events.max_attempts"),
            ("[events]\nmax_attempts = 101", "events.max_attempts"),
            ("[events]\nqueue = 0", "events.queue"),
            ("[events]\nwebhooks = \"http://example.com/\"", "webhooks"),
        ];
        for (text, key) in cases {
            let err = Config::parse(text).expect_err(text);
            assert!(err.to_string().contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::parse("[sessions]\nmax_player = 3\n").expect_err("unknown key");
        assert!(err.to_string().contains("max_player"), "{err}");
        let err = Config::parse("[gmae]\n").expect_err("unknown table");
        assert!(err.to_string().contains("gmae"), "{err}");
    }

    #[test]
    fn log_filters_must_name_a_level() {
        for good in [
            "info",
            "WARN",
            "volley=debug,warn",
            "volley[session]=trace",
            "off",
        ] {
            assert_eq!(check_log_filter(good), Ok(()), "{good}");
        }
        for bad in ["inof", "", " , ", "volley", "info,volley", "volley=loud"] {
            assert!(check_log_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_values_are_named() {
        let cases = [
            ("[sessions]\nmax_players = 0", "sessions.max_players"),
            (
                "[limits]\nmax_fast_payload_bytes = 1400",
                "limits.max_fast_payload_bytes",
            ),
            (
                "[limits]\nmax_frame_bytes = 4096",
                "limits.max_reliable_payload_bytes",
            ),
            (
                "[sessions]\nidle_timeout_secs = 1\nping_interval_ms = 3000",
                "sessions.idle_timeout_secs",
            ),
            ("[game]\nlisten = \"nowhere\"", "listen"),
            ("[sessions]\necho_to_sender = \"yes\"", "echo_to_sender"),
            (
                "[control]\nlisten = \"0.0.0.0:8080\"\nauth = \"none\"",
                "control.auth",
            ),
            ("[control]\nauth = \"plain\"", "auth"),
            (
                "[control]\naccess_keys = [{ access_key_id = \"a\" }]",
                "secret_access_key",
            ),
            (
                "[game]\nudp_receive_buffer_bytes = 1000",
                "game.udp_receive_buffer_bytes",
            ),
            (
                "[game]\nudp_send_buffer_bytes = 2147483648",
                "game.udp_send_buffer_bytes",
            ),
            ("[game]\nflush_interval_ms = 101", "game.flush_interval_ms"),
            ("[fleet]\nid = \"my-fleet\"", "fleet.id"),
            ("[fleet]\nregion = \"us east\"", "fleet.region"),
            ("[fleet]\nport = 60001", "fleet.port"),
            ("[agones]\nenabled = \"yes\"", "agones.enabled"),
            (
                "[agones]\nhealth_interval_secs = 0",
                "agones.health_interval_secs",
            ),
            ("[agones]\nsync_interval_ms = 10", "agones.sync_interval_ms"),
            ("[agones]\nws_port = \"\"", "agones.ws_port"),
            ("[server]\nlog_level = \"inof\"", "server.log_level"),
            (
                "[limits]\noutbound_queue_bytes = 1000",
                "limits.outbound_queue_bytes",
            ),
            (
                "[control]\nmax_connections_per_ip = 0",
                "control.max_connections_per_ip",
            ),
            (
                "[control]\nrequest_header_timeout_secs = 0",
                "control.request_header_timeout_secs",
            ),
        ];
        for (text, key) in cases {
            let err = Config::parse(text).expect_err(text);
            assert!(err.to_string().contains(key), "{text}: {err}");
        }
    }
}
