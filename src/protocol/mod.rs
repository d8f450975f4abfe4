//! The GameLift Realtime wire format (protocol.md §2-§4): protobuf message
//! types, opcode and id constants, and the length-prefixed framing shared by WebSocket
//! messages, UDP datagrams and DTLS records. Pure functions only; the core and the
//! transports build on it.

mod frame;
mod ids;
mod messages;

pub use frame::{DecodeError, FastHeader, FastPacket, decode, encode, peek_op_code};
pub use ids::{GroupId, Opcode, OpcodeKind, PeerId};
pub use messages::{
    Body, GroupMembershipUpdate, JoinGroup, LeaveGroup, LoginCommand, LoginResult, Packet,
    PingCommand, PingResult, PlayerConnectMessage, PlayerDisconnectMessage, RequestGroupMembership,
    UdpConnectMessage, VerifyIdentityCommand, VerifyIdentityResult,
};

/// `LoginCommand.clientVersion` sent by every known client.
pub const CLIENT_VERSION: i32 = 2;

#[cfg(test)]
mod tests;
