//! Plain data of the client API: configuration, the connection token, outgoing messages,
//! connection states and the events the background task hands to the app.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::ClientError;
use crate::protocol::{GroupId, Opcode, PeerId};

/// Largest payload any send accepts (protocol.md §5.7 client step 1; §6).
pub const MAX_PAYLOAD: usize = 4096;

/// Largest payload sent over the fast channel; larger fast messages use the WebSocket
/// (protocol.md §5.7 client step 5).
pub const MAX_FAST_PAYLOAD: usize = 1200;

/// How a [`crate::client::Client`] connects and how much it buffers.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Local address of the UDP socket. An unspecified IP (the default `0.0.0.0:0`) becomes
    /// the unspecified IP of the server address's family, like C# (protocol.md §1.3).
    pub udp_bind: SocketAddr,
    /// Open the UDP fast channel after login (C# connection type 0). `false` never binds
    /// UDP, like the TS client: everything then travels on the WebSocket.
    pub fast_channel: bool,
    /// Bound on TCP connect, WebSocket upgrade, LOGIN and its LOGIN_RESULT together.
    pub connect_timeout: Duration,
    /// Largest WebSocket message or UDP datagram accepted from the server, length prefix
    /// included; larger ones are dropped. Datagrams are also capped at 16 KiB.
    pub max_frame_bytes: usize,
    /// Events buffered for [`crate::client::Client::next_event`]; when full, the client stops
    /// reading its sockets until the app catches up.
    pub event_queue: usize,
    /// Sends buffered between the handle and the background task.
    pub command_queue: usize,
    /// Interval of WebSocket pings sent by the client. C# sends them at its library default
    /// (about a minute, protocol.md §1.2); `None` (the default) sends none, like Kotlin and TS.
    pub ws_ping_interval: Option<Duration>,
    /// Secure mode (C# connection type 1): `wss://` with these TLS settings, and with
    /// [`ClientConfig::fast_channel`], DTLS on the fast channel, trusting only the login
    /// result's `caCert` and checking [`SecureConfig::server_name`] (protocol.md §5.4, §7.2).
    pub secure: Option<SecureConfig>,
}

/// TLS settings of a secure connection (`wss://`, protocol.md §1.2 and §7.1).
#[derive(Clone, Debug)]
pub struct SecureConfig {
    /// Trust anchors for the server's WSS certificate. The C# client uses the platform's
    /// trust store; this client trusts exactly these.
    pub roots: Vec<CertificateDer<'static>>,
    /// The name checked in the certificate and sent as SNI; `None`: the host given to
    /// [`crate::client::Client::connect`].
    pub server_name: Option<String>,
    /// Offer TLS 1.2 only, as the C# SDK does (the default); `false` offers TLS 1.3 too.
    pub tls12_only: bool,
}

impl Default for SecureConfig {
    fn default() -> Self {
        Self {
            roots: Vec::new(),
            server_name: None,
            tls12_only: true,
        }
    }
}

impl SecureConfig {
    /// Trusts the certificates of PEM text, such as the `ca.pem` of `volley cert generate`.
    pub fn from_ca_pem(pem: &[u8]) -> Result<Self, ClientError> {
        let roots = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ClientError::Tls(format!("not PEM certificates: {e}")))?;
        if roots.is_empty() {
            return Err(ClientError::Tls("no CERTIFICATE block in the PEM".into()));
        }
        Ok(Self {
            roots,
            ..Self::default()
        })
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            udp_bind: SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
            fast_channel: true,
            connect_timeout: Duration::from_secs(15),
            max_frame_bytes: 16 * 1024,
            event_queue: 256,
            command_queue: 64,
            ws_ping_interval: None,
            secure: None,
        }
    }
}

/// What the client presents at login (protocol.md §5.1): the GameLift player session id and the
/// opaque connection payload handed to the server's validation hook.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionToken {
    /// Player session id; may be empty if the server accepts anonymous logins.
    pub player_session_id: String,
    /// Connection payload, sent as the LOGIN packet's payload.
    pub payload: Bytes,
}

impl ConnectionToken {
    /// A token with the given player session id and connection payload.
    pub fn new(player_session_id: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Self {
            player_session_id: player_session_id.into(),
            payload: payload.into(),
        }
    }
}

/// Which channel a message should take (protocol.md §5.7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeliveryIntent {
    /// UDP when the fast channel is bound and the payload fits, else the WebSocket.
    #[default]
    Fast,
    /// Always the WebSocket.
    Reliable,
}

/// An application message to send: opcode, target and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtMessage {
    /// Application opcode.
    pub op_code: Opcode,
    /// Recipient peer, [`PeerId::SERVER`] for the server, [`PeerId::NONE`] for a group send.
    pub target_player: PeerId,
    /// Recipient group, or [`GroupId::NONE`] for a player or server send.
    pub target_group: GroupId,
    /// Application data, at most [`MAX_PAYLOAD`] bytes.
    pub payload: Bytes,
    /// Channel choice; [`DeliveryIntent::Fast`] unless [`RtMessage::reliable`] was called.
    pub intent: DeliveryIntent,
}

impl RtMessage {
    /// A message to one player.
    pub fn to_player(op_code: Opcode, player: PeerId, payload: impl Into<Bytes>) -> Self {
        Self::new(op_code, player, GroupId::NONE, payload.into())
    }

    /// A message to every member of a group ([`GroupId::ALL_PLAYERS`] for everyone).
    pub fn to_group(op_code: Opcode, group: GroupId, payload: impl Into<Bytes>) -> Self {
        Self::new(op_code, PeerId::NONE, group, payload.into())
    }

    /// A message to the server's script (targetPlayer -1).
    pub fn to_server(op_code: Opcode, payload: impl Into<Bytes>) -> Self {
        Self::new(op_code, PeerId::SERVER, GroupId::NONE, payload.into())
    }

    /// The same message with [`DeliveryIntent::Reliable`].
    pub fn reliable(self) -> Self {
        self.with_intent(DeliveryIntent::Reliable)
    }

    /// The same message with the given intent.
    pub fn with_intent(mut self, intent: DeliveryIntent) -> Self {
        self.intent = intent;
        self
    }

    fn new(op_code: Opcode, target_player: PeerId, target_group: GroupId, payload: Bytes) -> Self {
        Self {
            op_code,
            target_player,
            target_group,
            payload,
            intent: DeliveryIntent::Fast,
        }
    }
}

/// Connection state, as C# names it (protocol.md §5.5); a `Client` exists only after login, so the
/// earlier states never show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// Logged in; everything goes over the WebSocket; UDP binding in progress if enabled.
    Connected,
    /// The server acknowledged the UDP binding; fast messages go over UDP.
    ConnectedSendFast,
    /// The WebSocket is closed; nothing more is sent or received.
    Disconnected,
}

/// The channel a packet arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The WebSocket.
    Reliable,
    /// The UDP fast channel.
    Fast,
}

/// An application packet from the server or another player (C# `DataReceived`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataReceived {
    /// Originator: a peer id, or [`PeerId::SERVER`].
    pub sender: PeerId,
    /// Opcode, application or an unhandled system one (-3, -101, -103, -1000, ...).
    pub op_code: Opcode,
    /// Target player as the packet carried it.
    pub target_player: PeerId,
    /// Target group as the packet carried it.
    pub target_group: GroupId,
    /// Application data.
    pub payload: Bytes,
    /// Fast-channel sequence number; 0 on the WebSocket.
    pub sequence_number: i32,
    /// Where the packet arrived.
    pub channel: Channel,
}

/// Something that happened on the connection, in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An application packet.
    Data(DataReceived),
    /// GROUP_MEMBERSHIP_UPDATE (-13); the local group set was updated before this event.
    GroupMembershipUpdated {
        /// The player whose action caused the update, or [`PeerId::SERVER`].
        sender: PeerId,
        /// The group.
        group: GroupId,
        /// Its current members.
        players: Vec<PeerId>,
    },
    /// The server acknowledged the UDP binding: the state is now `ConnectedSendFast`.
    FastReady,
    /// The WebSocket closed; always the last event. `code` is `None` when the connection
    /// ended without a close frame.
    Closed {
        /// Close code from the server's close frame.
        code: Option<u16>,
        /// Close reason from the server's close frame.
        reason: String,
    },
    /// A non-fatal problem (undecodable frame, text frame, malformed update) or the cause of
    /// an abnormal close, which a `Closed` event follows.
    Error(String),
}
