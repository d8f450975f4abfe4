//! Builders for the packets the server originates (protocol.md §5.2, §5.3, §5.9, §5.10), with the
//! field choices of protocol.md §3.5 and Q4: `sender` -1 unless a peer triggered the packet, the
//! body that belongs to the opcode always present.

use bytes::Bytes;

use super::SecureLogin;
use crate::protocol::{
    Body, GroupId, GroupMembershipUpdate, LoginResult, Opcode, Packet, PeerId, PingResult,
    PlayerConnectMessage, PlayerDisconnectMessage, UdpConnectMessage, VerifyIdentityResult, encode,
};

/// A server packet for the WebSocket.
fn reliable(op: Opcode, target: PeerId, sender: PeerId, body: Body) -> Packet {
    Packet {
        op_code: op.0,
        target_player: target.0,
        sender: sender.0,
        reliable: true,
        body: Some(body),
        ..Default::default()
    }
}

/// A successful LOGIN_RESULT: the peer id in both `targetPlayer` (TS) and `peerId` (C#);
/// for a secure login also the DTLS trust anchors and the connect token (protocol.md §5.2).
pub(super) fn login_accepted(peer: PeerId, fast_port: u16, secure: Option<&SecureLogin>) -> Bytes {
    encode(&reliable(
        Opcode::LOGIN_RESULT,
        peer,
        PeerId::SERVER,
        Body::LoginResult(Box::new(LoginResult {
            success: true,
            peer_id: peer.0,
            fast_port: fast_port.into(),
            ca_cert: secure.map(|s| s.ca_cert.clone()).unwrap_or_default(),
            connect_token: secure.map(|s| s.connect_token.clone()).unwrap_or_default(),
            ..Default::default()
        })),
    ))
}

/// VERIFY_IDENTITY_RESPONSE, sent on the WebSocket (protocol.md §5.4 steps 4-5, Q5).
pub(super) fn verify_identity_result(peer: PeerId, success: bool) -> Bytes {
    encode(&reliable(
        Opcode::VERIFY_IDENTITY_RESPONSE,
        peer,
        PeerId::SERVER,
        Body::VerifyIdentityResult(VerifyIdentityResult {
            success,
            peer_id: peer.0,
        }),
    ))
}

/// The failed LOGIN_RESULT frame sent before a 1008 close.
pub fn login_refused_frame() -> Bytes {
    encode(&reliable(
        Opcode::LOGIN_RESULT,
        PeerId::NONE,
        PeerId::SERVER,
        Body::LoginResult(Box::default()),
    ))
}

/// GROUP_MEMBERSHIP_UPDATE for one recipient.
pub(super) fn membership_update(
    recipient: PeerId,
    sender: PeerId,
    group: GroupId,
    players: &[i32],
) -> Bytes {
    encode(&reliable(
        Opcode::GROUP_MEMBERSHIP_UPDATE,
        recipient,
        sender,
        Body::GroupMembershipUpdate(GroupMembershipUpdate {
            group: group.0,
            players: players.to_vec(),
        }),
    ))
}

/// PLAYER_CONNECT or PLAYER_DISCONNECT about `peer`, whose id also goes in `sender` so C# apps
/// can see it (protocol.md §5.10).
pub(super) fn player_notification(recipient: PeerId, peer: PeerId, connected: bool) -> Bytes {
    let (op, body) = if connected {
        (
            Opcode::PLAYER_CONNECT,
            Body::PlayerConnect(PlayerConnectMessage { peer_id: peer.0 }),
        )
    } else {
        (
            Opcode::PLAYER_DISCONNECT,
            Body::PlayerDisconnect(PlayerDisconnectMessage { peer_id: peer.0 }),
        )
    };
    encode(&reliable(op, recipient, peer, body))
}

/// PING_RESULT on the WebSocket (protocol.md Q7).
pub(super) fn ping_result(recipient: PeerId) -> Packet {
    reliable(
        Opcode::PING_RESULT,
        recipient,
        PeerId::SERVER,
        Body::PingResult(PingResult {}),
    )
}

/// UDP_CONNECT_SERVER_ACK, also the UDP keepalive (protocol.md §5.3, Q8); sent on the fast channel.
pub(super) fn udp_server_ack(recipient: PeerId) -> Packet {
    Packet {
        op_code: Opcode::UDP_CONNECT_SERVER_ACK.0,
        target_player: recipient.0,
        sender: PeerId::SERVER.0,
        body: Some(Body::UdpConnect(UdpConnectMessage {})),
        ..Default::default()
    }
}
