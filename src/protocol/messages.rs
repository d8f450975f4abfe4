//! Hand-written prost types for `Packet` and its inner messages (protocol.md §3). Field numbers and
//! types are the contract; golden-byte tests in `tests.rs` pin them.

use bytes::Bytes;

/// One unit of the protocol: every WebSocket message, UDP datagram and DTLS record carries
/// exactly one, length-prefixed. Fields are declared in tag order so that prost writes them
/// in the order of the byte examples of protocol.md §2.2.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Packet {
    /// Operation code, zigzag-encoded on the wire (see [`crate::protocol::Opcode`]).
    #[prost(sint32, tag = "1")]
    pub op_code: i32,
    /// Per-direction counter on the fast channel; 0 on the WebSocket.
    #[prost(int32, tag = "2")]
    pub sequence_number: i32,
    /// Recipient peer id; -1 is the server, 0 none.
    #[prost(int32, tag = "3")]
    pub target_player: i32,
    /// Recipient group; -1 is all players, 0 none.
    #[prost(int32, tag = "4")]
    pub target_group: i32,
    /// Originating peer id; -1 is the server. Never trusted from clients.
    #[prost(int32, tag = "5")]
    pub sender: i32,
    /// True on the WebSocket, false on the fast channel. Never trusted from clients.
    #[prost(bool, tag = "6")]
    pub reliable: bool,
    /// Never set by any client; ignored and never sent.
    #[prost(int32, tag = "7")]
    pub client_version: i32,
    /// Opaque application data.
    #[prost(bytes = "bytes", tag = "15")]
    pub payload: Bytes,
    /// At most one command body.
    #[prost(
        oneof = "Body",
        tags = "30, 31, 32, 33, 34, 35, 36, 37, 38, 40, 41, 42, 43"
    )]
    pub body: Option<Body>,
}

/// The `message` oneof of [`Packet`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Body {
    /// Client login (opcode 0).
    #[prost(message, tag = "30")]
    Login(LoginCommand),
    /// Server reply to a login (opcode -1). Boxed: it is the largest body and only one per
    /// player is ever sent, so every other packet stays small.
    #[prost(message, boxed, tag = "31")]
    LoginResult(Box<LoginResult>),
    /// Protocol-level ping; no client sends it (protocol.md Q7).
    #[prost(message, tag = "32")]
    Ping(PingCommand),
    /// Answer to a ping (opcode -3).
    #[prost(message, tag = "33")]
    PingResult(PingResult),
    /// UDP binding handshake (opcodes -5, -6, -7).
    #[prost(message, tag = "34")]
    UdpConnect(UdpConnectMessage),
    /// A player logged in (opcode -101).
    #[prost(message, tag = "35")]
    PlayerConnect(PlayerConnectMessage),
    /// A player left (opcode -103).
    #[prost(message, tag = "36")]
    PlayerDisconnect(PlayerDisconnectMessage),
    /// DTLS identity proof (opcode -14).
    #[prost(message, tag = "37")]
    VerifyIdentity(VerifyIdentityCommand),
    /// Answer to an identity proof (opcode -15).
    #[prost(message, tag = "38")]
    VerifyIdentityResult(VerifyIdentityResult),
    /// Join a group (opcode -10).
    #[prost(message, tag = "40")]
    JoinGroup(JoinGroup),
    /// Leave a group (opcode -11).
    #[prost(message, tag = "41")]
    LeaveGroup(LeaveGroup),
    /// Ask for a group's members (opcode -12).
    #[prost(message, tag = "42")]
    RequestGroupMembership(RequestGroupMembership),
    /// A group's members (opcode -13).
    #[prost(message, tag = "43")]
    GroupMembershipUpdate(GroupMembershipUpdate),
}

/// Client login: the player session id and the client library's protocol version.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LoginCommand {
    /// GameLift player session id; may be empty (Kotlin port, protocol.md Q23).
    #[prost(string, tag = "1")]
    pub player_session_id: String,
    /// Always 2 from known clients.
    #[prost(int32, tag = "2")]
    pub client_version: i32,
}

/// Server reply to a login (protocol.md §5.2).
#[derive(Clone, PartialEq, prost::Message)]
pub struct LoginResult {
    /// Login accepted.
    #[prost(bool, tag = "1")]
    pub success: bool,
    /// Random string; no client uses it (protocol.md Q15).
    #[prost(string, tag = "2")]
    pub reconnect_token: String,
    /// The peer id assigned to the client; 0 on failure.
    #[prost(int32, tag = "3")]
    pub peer_id: i32,
    /// The server's UDP/DTLS port.
    #[prost(int32, tag = "4")]
    pub fast_port: i32,
    /// PEM of the DTLS trust anchor (secure mode only).
    #[prost(bytes = "bytes", tag = "5")]
    pub ca_cert: Bytes,
    /// Secret echoed back in VERIFY_IDENTITY (secure mode only).
    #[prost(string, tag = "6")]
    pub connect_token: String,
}

/// Ping body; no fields.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PingCommand {}

/// Ping answer body; no fields.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PingResult {}

/// UDP handshake body; no fields.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UdpConnectMessage {}

/// A player connected.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PlayerConnectMessage {
    /// The new player's peer id.
    #[prost(int32, tag = "1")]
    pub peer_id: i32,
}

/// A player disconnected.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PlayerDisconnectMessage {
    /// The departed player's peer id.
    #[prost(int32, tag = "1")]
    pub peer_id: i32,
}

/// DTLS identity proof.
#[derive(Clone, PartialEq, prost::Message)]
pub struct VerifyIdentityCommand {
    /// The claimed peer id.
    #[prost(int32, tag = "1")]
    pub peer_id: i32,
    /// The token from the login result.
    #[prost(string, tag = "2")]
    pub connect_token: String,
}

/// Answer to an identity proof.
#[derive(Clone, PartialEq, prost::Message)]
pub struct VerifyIdentityResult {
    /// Identity accepted; the fast channel is bound.
    #[prost(bool, tag = "1")]
    pub success: bool,
    /// The peer id.
    #[prost(int32, tag = "2")]
    pub peer_id: i32,
}

/// Join a group.
#[derive(Clone, PartialEq, prost::Message)]
pub struct JoinGroup {
    /// The group id.
    #[prost(int32, tag = "1")]
    pub group: i32,
}

/// Leave a group.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LeaveGroup {
    /// The group id.
    #[prost(int32, tag = "1")]
    pub group: i32,
}

/// Ask for a group's members.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RequestGroupMembership {
    /// The group id.
    #[prost(int32, tag = "1")]
    pub group: i32,
}

/// A group's current members.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GroupMembershipUpdate {
    /// The group id.
    #[prost(int32, tag = "1")]
    pub group: i32,
    /// Member peer ids, packed on the wire (protocol.md §3.4).
    #[prost(int32, repeated, packed = "true", tag = "2")]
    pub players: Vec<i32>,
}
