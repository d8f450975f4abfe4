//! Small types shared by the core's inputs and outputs.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use bytes::Bytes;

use crate::protocol::PeerId;

/// A WebSocket connection, numbered by the host; unique for the life of the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A game session id (GameLift ARN-style string); cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GameSessionId(Arc<str>);

impl GameSessionId {
    /// Wraps an id string.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GameSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Hands out peer ids 1, 2, 3, ... never reused, shared by every session of the process so a
/// plain-UDP packet's `sender` names exactly one peer (protocol.md Q18).
#[derive(Clone, Debug)]
pub struct PeerIds(Arc<AtomicI32>);

impl PeerIds {
    /// A fresh allocator whose first id is 1.
    pub fn new() -> Self {
        Self(Arc::new(AtomicI32::new(1)))
    }

    /// The next id, or `None` once `i32::MAX` ids have been handed out.
    pub fn next(&self) -> Option<PeerId> {
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
            .ok()
            .map(PeerId)
    }
}

impl Default for PeerIds {
    fn default() -> Self {
        Self::new()
    }
}

/// The channel a packet arrived on or leaves by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The WebSocket: ordered and guaranteed.
    Reliable,
    /// UDP (or DTLS): fast, may be lost.
    Fast,
}

/// Why a login was refused; the client gets a failed LOGIN_RESULT and a 1008 close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginRefusal {
    /// The player session id is empty and the deployment requires one.
    EmptyPlayerSessionId,
    /// No reservation with this id exists.
    UnknownPlayerSession,
    /// The reservation timed out before the client logged in.
    Expired,
    /// The player session was already used by a login.
    AlreadyUsed,
    /// The game session has no free slot.
    SessionFull,
    /// The game session is not accepting players (ending, or not active).
    SessionNotAccepting,
    /// The process ran out of peer ids.
    PeerIdsExhausted,
    /// The server script's onPlayerConnect said no (or failed, with `deny_on_error`).
    ScriptRefused,
    /// The game session's script failed to start (or failed shortly before and is not
    /// tried again yet), so the game session does not run.
    ScriptStartFailed,
}

impl LoginRefusal {
    /// A short lowercase label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmptyPlayerSessionId => "empty_player_session_id",
            Self::UnknownPlayerSession => "unknown_player_session",
            Self::Expired => "expired",
            Self::AlreadyUsed => "already_used",
            Self::SessionFull => "session_full",
            Self::SessionNotAccepting => "session_not_accepting",
            Self::PeerIdsExhausted => "peer_ids_exhausted",
            Self::ScriptRefused => "script_refused",
            Self::ScriptStartFailed => "script_start_failed",
        }
    }
}

/// Why the server closes a connection; decides the WebSocket close code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The login was refused (protocol.md Q17).
    LoginRefused(LoginRefusal),
    /// Nothing arrived within the dead-peer timeout (protocol.md Q9).
    IdleTimeout,
    /// The connection's reliable queue overflowed.
    SlowReader,
    /// The game session ended.
    SessionEnded,
    /// The server is shutting down.
    ServerShutdown,
    /// A frame exceeded the size limit.
    FrameTooLarge,
    /// The player sent over its message rate for too long.
    OverRate,
}

impl CloseReason {
    /// The WebSocket close code: 1008 for policy (refused login, slow reader), 1001 when the
    /// server side goes away (session end, shutdown, dead peer), 1009 for a frame too large.
    pub fn code(self) -> u16 {
        match self {
            Self::LoginRefused(_) | Self::SlowReader | Self::OverRate => 1008,
            Self::IdleTimeout | Self::SessionEnded | Self::ServerShutdown => 1001,
            Self::FrameTooLarge => 1009,
        }
    }

    /// A short lowercase label, sent as the close reason and used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginRefused(refusal) => refusal.as_str(),
            Self::IdleTimeout => "idle_timeout",
            Self::SlowReader => "slow_reader",
            Self::SessionEnded => "session_ended",
            Self::ServerShutdown => "server_shutdown",
            Self::FrameTooLarge => "frame_too_large",
            Self::OverRate => "rate_limited",
        }
    }
}

/// Why the core dropped a packet from a player; the host logs it at debug and counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Payload above the channel's limit.
    Oversized,
    /// An opcode only the server may send (protocol.md §4.1 rule 2).
    ServerOnlyOpcode,
    /// A command without the body its opcode needs.
    MissingBody,
    /// Addressed to a player not in this session, or to an invalid target.
    UnknownTarget,
    /// A group message from a player outside the group (protocol.md Q22).
    NotGroupMember,
    /// A UDP sequence number not above the last accepted one (protocol.md Q25).
    StaleSequence,
    /// A datagram from an address not bound to its `sender`.
    UnboundSource,
    /// A UDP_CONNECT whose source IP differs from the player's WebSocket IP (protocol.md Q13).
    SourceIpMismatch,
    /// A packet that has no meaning on the channel it arrived on.
    WrongChannel,
    /// A command the player may not issue now (e.g. too many groups).
    Refused,
    /// The server script's onSendToPlayer or onSendToGroup said no.
    HookRefused,
    /// A UDP_CONNECT from another address for a fast channel already confirmed.
    AlreadyBound,
    /// A plain datagram naming a secure player, whose fast channel is DTLS only.
    SecurePeer,
    /// Over the player's message rate.
    OverRate,
    /// A fast-channel sequence number too far from the last one accepted.
    SequenceOutOfWindow,
}

impl DropReason {
    /// A short lowercase label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oversized => "oversized",
            Self::ServerOnlyOpcode => "server_only_opcode",
            Self::MissingBody => "missing_body",
            Self::UnknownTarget => "unknown_target",
            Self::NotGroupMember => "not_group_member",
            Self::StaleSequence => "stale_sequence",
            Self::UnboundSource => "unbound_source",
            Self::SourceIpMismatch => "source_ip_mismatch",
            Self::WrongChannel => "wrong_channel",
            Self::Refused => "refused",
            Self::HookRefused => "hook_refused",
            Self::AlreadyBound => "already_bound",
            Self::SecurePeer => "secure_peer",
            Self::OverRate => "player_rate",
            Self::SequenceOutOfWindow => "sequence_out_of_window",
        }
    }
}

/// What a secure login adds to LOGIN_RESULT (protocol.md §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecureLogin {
    /// A fresh unguessable secret for this peer, echoed back in VERIFY_IDENTITY.
    pub connect_token: String,
    /// PEM of the DTLS trust anchors (`caCert`).
    pub ca_cert: Bytes,
}
