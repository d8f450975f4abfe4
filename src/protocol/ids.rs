//! Opcode and identifier constants (protocol.md §4.1, §4.2) as newtypes, so no bare integer crosses
//! a module edge.

use std::fmt;

/// A player's peer id (> 0), or one of the reserved values below. Unique across the process
/// (protocol.md Q18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub i32);

impl PeerId {
    /// The server as target or sender.
    pub const SERVER: PeerId = PeerId(-1);
    /// No peer: the client's id before login, and "no target".
    pub const NONE: PeerId = PeerId(0);

    /// True for ids the server assigns to players.
    pub fn is_player(self) -> bool {
        self.0 > 0
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A group id: positive for developer groups, -1 for all players, 0 for none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub i32);

impl GroupId {
    /// The implicit group of every logged-in player.
    pub const ALL_PLAYERS: GroupId = GroupId(-1);
    /// No group.
    pub const NONE: GroupId = GroupId(0);
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A packet's operation code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Opcode(pub i32);

impl Opcode {
    /// Client login.
    pub const LOGIN: Opcode = Opcode(0);
    /// Server reply to a login.
    pub const LOGIN_RESULT: Opcode = Opcode(-1);
    /// Ping command: no client sends it; the gap in the numbering fits `PingCommand`
    /// (protocol.md Q7).
    pub const PING: Opcode = Opcode(-2);
    /// Answer to a ping.
    pub const PING_RESULT: Opcode = Opcode(-3);
    /// UDP binding request.
    pub const UDP_CONNECT: Opcode = Opcode(-5);
    /// Server's UDP binding acknowledgement; doubles as UDP keepalive (protocol.md Q8).
    pub const UDP_CONNECT_SERVER_ACK: Opcode = Opcode(-6);
    /// Client's UDP binding acknowledgement.
    pub const UDP_CONNECT_CLIENT_ACK: Opcode = Opcode(-7);
    /// Defined by the clients, never sent; accepted and ignored.
    pub const PLAYER_READY: Opcode = Opcode(-8);
    /// Join a group.
    pub const JOIN_GROUP: Opcode = Opcode(-10);
    /// Leave a group.
    pub const LEAVE_GROUP: Opcode = Opcode(-11);
    /// Ask for a group's members.
    pub const REQUEST_GROUP_MEMBERSHIP: Opcode = Opcode(-12);
    /// A group's members.
    pub const GROUP_MEMBERSHIP_UPDATE: Opcode = Opcode(-13);
    /// DTLS identity proof.
    pub const VERIFY_IDENTITY: Opcode = Opcode(-14);
    /// Answer to an identity proof.
    pub const VERIFY_IDENTITY_RESPONSE: Opcode = Opcode(-15);
    /// A player connected (optional notification, protocol.md Q2).
    pub const PLAYER_CONNECT: Opcode = Opcode(-101);
    /// A player disconnected (optional notification, protocol.md Q2).
    pub const PLAYER_DISCONNECT: Opcode = Opcode(-103);
    /// Defined by the clients; sent only when server logic asks to.
    pub const GAME_START: Opcode = Opcode(-1000);
    /// Defined by the clients; sent only when server logic asks to.
    pub const GAME_END: Opcode = Opcode(-1001);

    /// How the server treats this opcode when a client sends it (protocol.md §4.1 server rule).
    pub fn kind(self) -> OpcodeKind {
        match self {
            Self::LOGIN
            | Self::UDP_CONNECT
            | Self::UDP_CONNECT_CLIENT_ACK
            | Self::PLAYER_READY
            | Self::JOIN_GROUP
            | Self::LEAVE_GROUP
            | Self::REQUEST_GROUP_MEMBERSHIP
            | Self::VERIFY_IDENTITY => OpcodeKind::Command,
            Self::LOGIN_RESULT
            | Self::PING_RESULT
            | Self::UDP_CONNECT_SERVER_ACK
            | Self::GROUP_MEMBERSHIP_UPDATE
            | Self::VERIFY_IDENTITY_RESPONSE
            | Self::PLAYER_CONNECT
            | Self::PLAYER_DISCONNECT
            | Self::GAME_START
            | Self::GAME_END => OpcodeKind::ServerOnly,
            _ => OpcodeKind::Application,
        }
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What an opcode arriving from a client means to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpcodeKind {
    /// A client command the server acts on itself.
    Command,
    /// An opcode only the server may send; dropped when a client sends it.
    ServerOnly,
    /// Application data, routed to players, groups or the server (protocol.md Q10).
    Application,
}
