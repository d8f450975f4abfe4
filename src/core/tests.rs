//! The core's rules, without sockets: given these inputs, exactly these outputs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::session::FastPathState;
use super::*;
use crate::protocol::{
    Body, GroupId, GroupMembershipUpdate, JoinGroup, LeaveGroup, LoginResult, Opcode, Packet,
    PeerId, PingCommand, RequestGroupMembership, UdpConnectMessage, decode,
};

const IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

struct TestCore<H: Hooks = NoHooks> {
    session: Session<H>,
    now: Instant,
    next_conn: u64,
}

impl TestCore {
    fn new() -> Self {
        Self::with(SessionConfig::default())
    }

    fn with(config: SessionConfig) -> Self {
        Self::sharing(config, PeerIds::new())
    }

    fn sharing(config: SessionConfig, ids: PeerIds) -> Self {
        Self {
            session: Session::new(config, ids),
            now: Instant::now(),
            next_conn: 1,
        }
    }
}

impl<H: Hooks> TestCore<H> {
    fn hooked(hooks: H) -> Self {
        Self {
            session: Session::with_hooks(SessionConfig::default(), PeerIds::new(), hooks),
            now: Instant::now(),
            next_conn: 1,
        }
    }

    fn outputs(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.session.poll_output()).collect()
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.session.handle_timeout(self.now);
    }

    /// Logs a player in and returns its connection and peer id, checking the outputs.
    fn login(&mut self) -> (ConnId, PeerId) {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        let psid = format!("psess-{}", conn.0);
        let request = LoginRequest {
            player_session_id: psid.clone(),
            payload: Bytes::new(),
            ip: IP,
            secure: None,
        };
        self.session
            .handle_login(self.now, conn, request)
            .expect("accepted");
        let outputs = self.outputs();
        let Output::Send {
            conn: to,
            frame,
            droppable: false,
        } = &outputs[0]
        else {
            panic!("expected the login result first, got {outputs:?}")
        };
        assert_eq!(*to, conn);
        let result = packet(frame);
        let Some(Body::LoginResult(login)) = &result.body else {
            panic!("expected a login result, got {result:?}")
        };
        let LoginResult {
            success: true,
            peer_id,
            fast_port: 1935,
            ..
        } = **login
        else {
            panic!("expected a successful login result, got {result:?}")
        };
        assert_eq!(
            result.target_player, peer_id,
            "peer id also in targetPlayer for TS"
        );
        assert_eq!(result.sender, -1);
        let peer = PeerId(peer_id);
        assert_eq!(
            outputs.last(),
            Some(&Output::PlayerJoined {
                conn,
                peer,
                player_session_id: psid
            })
        );
        (conn, peer)
    }

    fn ws(&mut self, conn: ConnId, packet: Packet) -> Vec<Output> {
        self.session.handle_packet(self.now, conn, packet);
        self.outputs()
    }

    /// A datagram's outputs, without the address bookkeeping ([`TestCore::udp_all`] keeps
    /// it).
    fn udp(&mut self, from: SocketAddr, packet: Packet) -> Vec<Output> {
        let mut out = self.udp_all(from, packet);
        out.retain(|o| !matches!(o, Output::Bind { .. } | Output::Unbind { .. }));
        out
    }

    fn udp_all(&mut self, from: SocketAddr, packet: Packet) -> Vec<Output> {
        self.session.handle_datagram(self.now, from, packet);
        self.outputs()
    }

    /// Binds and confirms a peer's fast path from `addr`.
    fn bind(&mut self, peer: PeerId, addr: SocketAddr) {
        let out = self.udp(addr, udp_connect(peer, 0));
        assert!(
            matches!(out[..], [Output::SendFast { to, .. }] if to == addr),
            "{out:?}"
        );
        assert!(self.udp(addr, client_ack(peer, 1)).is_empty());
        assert_eq!(
            self.session.fast_path(peer),
            Some(FastPathState::Confirmed(addr))
        );
    }
}

fn packet(frame: &Bytes) -> Packet {
    decode(frame.clone(), 8192).expect("core emits valid frames")
}

fn message(op: i32, target_player: i32, target_group: i32, payload: &'static [u8]) -> Packet {
    Packet {
        op_code: op,
        target_player,
        target_group,
        sender: 999, // Never trusted: the server overwrites it.
        payload: Bytes::from_static(payload),
        ..Default::default()
    }
}

fn command(op: Opcode, body: Body) -> Packet {
    Packet {
        op_code: op.0,
        target_player: -1,
        body: Some(body),
        ..Default::default()
    }
}

fn udp_connect(peer: PeerId, seq: i32) -> Packet {
    Packet {
        op_code: Opcode::UDP_CONNECT.0,
        sequence_number: seq,
        target_player: -1,
        sender: peer.0,
        body: Some(Body::UdpConnect(UdpConnectMessage {})),
        ..Default::default()
    }
}

fn client_ack(peer: PeerId, seq: i32) -> Packet {
    Packet {
        op_code: Opcode::UDP_CONNECT_CLIENT_ACK.0,
        ..udp_connect(peer, seq)
    }
}

fn fast(mut packet: Packet, peer: PeerId, seq: i32) -> Packet {
    packet.sender = peer.0;
    packet.sequence_number = seq;
    packet
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::new(IP, port)
}

/// The relayed packet the core sends on a WebSocket: (recipient conn, packet, droppable).
fn ws_sends(outputs: &[Output]) -> Vec<(ConnId, Packet, bool)> {
    outputs
        .iter()
        .map(|o| match o {
            Output::Send {
                conn,
                frame,
                droppable,
            } => (*conn, packet(frame), *droppable),
            other => panic!("expected only WebSocket sends, got {other:?}"),
        })
        .collect()
}

fn membership(p: &Packet) -> (i32, i32, Vec<i32>) {
    assert_eq!(p.op_code, Opcode::GROUP_MEMBERSHIP_UPDATE.0);
    let Some(Body::GroupMembershipUpdate(GroupMembershipUpdate { group, players })) = &p.body
    else {
        panic!("membership update without body: {p:?}")
    };
    (p.sender, *group, players.clone())
}

#[test]
fn logins_get_increasing_peer_ids_unique_across_sessions() {
    let ids = PeerIds::new();
    let mut a = TestCore::sharing(SessionConfig::default(), ids.clone());
    let mut b = TestCore::sharing(SessionConfig::default(), ids);
    assert_eq!(a.login().1, PeerId(1));
    assert_eq!(b.login().1, PeerId(2));
    assert_eq!(a.login().1, PeerId(3));
    assert_eq!(
        a.session.players().collect::<Vec<_>>(),
        vec![PeerId(1), PeerId(3)]
    );
}

#[test]
fn login_into_a_full_session_is_refused_with_1008() {
    let mut core = TestCore::with(SessionConfig {
        max_players: 1,
        ..Default::default()
    });
    core.login();
    let conn = ConnId(77);
    let request = LoginRequest {
        player_session_id: "p".into(),
        payload: Bytes::new(),
        ip: IP,
        secure: None,
    };
    assert_eq!(
        core.session.handle_login(core.now, conn, request),
        Err(LoginRefusal::SessionFull)
    );
    let out = core.outputs();
    assert_eq!(
        out,
        vec![
            Output::Send {
                conn,
                frame: login_refused_frame(),
                droppable: false
            },
            Output::Close {
                conn,
                reason: CloseReason::LoginRefused(LoginRefusal::SessionFull)
            },
        ]
    );
    assert_eq!(
        CloseReason::LoginRefused(LoginRefusal::SessionFull).code(),
        1008
    );
    let refused = packet(&login_refused_frame());
    assert_eq!(refused.op_code, -1);
    assert_eq!(refused.body, Some(Body::LoginResult(Box::default())));
}

#[test]
fn second_login_on_a_connection_is_ignored() {
    let mut core = TestCore::new();
    let (conn, _) = core.login();
    let login = LoginRequest {
        player_session_id: "again".into(),
        payload: Bytes::new(),
        ip: IP,
        secure: None,
    };
    let _ = core.session.handle_login(core.now, conn, login);
    assert!(core.outputs().is_empty());
    assert_eq!(core.session.player_count(), 1);
}

#[test]
fn message_to_a_player_is_relayed_with_the_authenticated_sender() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let (b, pb) = core.login();
    let out = ws_sends(&core.ws(a, message(10, pb.0, -1, b"hi")));
    assert_eq!(
        out.len(),
        1,
        "targetPlayer wins over targetGroup -1 (protocol.md §4.3)"
    );
    let (to, p, droppable) = &out[0];
    assert_eq!((*to, *droppable), (b, false));
    assert_eq!(
        (p.op_code, p.sender, p.target_player, p.target_group),
        (10, pa.0, pb.0, -1)
    );
    assert_eq!(
        (p.reliable, p.sequence_number, &p.payload[..]),
        (true, 0, &b"hi"[..])
    );
}

#[test]
fn a_player_may_address_itself() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let out = ws_sends(&core.ws(a, message(3, pa.0, 0, b"me")));
    assert_eq!(out.iter().map(|(c, ..)| *c).collect::<Vec<_>>(), vec![a]);
}

#[test]
fn all_players_group_reaches_everyone_including_the_sender_by_default() {
    let mut core = TestCore::new();
    let (a, _) = core.login();
    let (b, _) = core.login();
    let (c, _) = core.login();
    let out = ws_sends(&core.ws(b, message(5, 0, -1, b"x")));
    assert_eq!(
        out.iter().map(|(c, ..)| *c).collect::<Vec<_>>(),
        vec![a, b, c]
    );
    // One encoding shared by every recipient.
    let frames = core.ws(b, message(5, 0, -1, b"x"));
    let Output::Send { frame: first, .. } = &frames[0] else {
        panic!()
    };
    assert!(frames.iter().all(|o| matches!(o, Output::Send { frame, .. }
        if frame.as_ptr() == first.as_ptr())));
}

#[test]
fn echo_to_sender_can_be_switched_off() {
    let mut core = TestCore::with(SessionConfig {
        echo_to_sender: false,
        ..Default::default()
    });
    let (a, _) = core.login();
    let (b, _) = core.login();
    let out = ws_sends(&core.ws(a, message(5, 0, -1, b"x")));
    assert_eq!(out.iter().map(|(c, ..)| *c).collect::<Vec<_>>(), vec![b]);
}

#[test]
fn messages_to_the_server_or_no_target_are_never_relayed() {
    let mut core = TestCore::new();
    let (a, _) = core.login();
    core.login();
    assert!(core.ws(a, message(5, -1, 0, b"srv")).is_empty());
    assert!(core.ws(a, message(5, -1, -1, b"srv")).is_empty());
    assert!(core.ws(a, message(5, 0, 0, b"none")).is_empty());
}

#[test]
fn bad_targets_server_opcodes_and_oversized_payloads_are_dropped() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let dropped = |reason| vec![Output::Dropped { peer: pa, reason }];
    assert_eq!(
        core.ws(a, message(5, 4242, 0, b"")),
        dropped(DropReason::UnknownTarget)
    );
    assert_eq!(
        core.ws(a, message(5, -7, 0, b"")),
        dropped(DropReason::UnknownTarget)
    );
    assert_eq!(
        core.ws(a, message(5, 0, -3, b"")),
        dropped(DropReason::UnknownTarget)
    );
    for op in [-1, -3, -6, -13, -15, -101, -103, -1000, -1001] {
        assert_eq!(
            core.ws(a, message(op, 0, -1, b"")),
            dropped(DropReason::ServerOnlyOpcode)
        );
    }
    let big = Packet {
        payload: vec![0; 4097].into(),
        ..message(5, 0, -1, b"")
    };
    assert_eq!(core.ws(a, big), dropped(DropReason::Oversized));
    let max = Packet {
        payload: vec![0; 4096].into(),
        ..message(5, 0, -1, b"")
    };
    assert_eq!(ws_sends(&core.ws(a, max)).len(), 1);
    // Unknown negative opcodes are application data (protocol.md Q10).
    assert_eq!(ws_sends(&core.ws(a, message(-500, 0, -1, b""))).len(), 1);
    // Commands without their body, and fast-channel commands on the WebSocket.
    let join = Packet {
        op_code: Opcode::JOIN_GROUP.0,
        ..Default::default()
    };
    assert_eq!(core.ws(a, join), dropped(DropReason::MissingBody));
    assert_eq!(
        core.ws(a, udp_connect(pa, 0)),
        dropped(DropReason::WrongChannel)
    );
    // A second LOGIN and PLAYER_READY are ignored silently.
    assert!(core.ws(a, message(0, -1, 0, b"")).is_empty());
    assert!(core.ws(a, message(-8, 0, 0, b"")).is_empty());
}

#[test]
fn packets_on_unknown_connections_are_ignored() {
    let mut core = TestCore::new();
    core.login();
    assert!(core.ws(ConnId(999), message(5, 0, -1, b"")).is_empty());
}

#[test]
fn ping_body_is_answered_with_ping_result() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let out = ws_sends(&core.ws(a, command(Opcode::PING, Body::Ping(PingCommand {}))));
    let (to, p, _) = &out[0];
    assert_eq!(
        (*to, p.op_code, p.target_player, p.sender),
        (a, -3, pa.0, -1)
    );
    assert!(matches!(p.body, Some(Body::PingResult(_))));
}

#[test]
fn joining_and_leaving_groups_broadcasts_membership() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let (b, pb) = core.login();
    let (c, _) = core.login();
    let join = |g| command(Opcode::JOIN_GROUP, Body::JoinGroup(JoinGroup { group: g }));
    let out = ws_sends(&core.ws(a, join(5)));
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].0, membership(&out[0].1)),
        (a, (pa.0, 5, vec![pa.0]))
    );
    let out = ws_sends(&core.ws(b, join(5)));
    assert_eq!(out.iter().map(|(c, ..)| *c).collect::<Vec<_>>(), vec![a, b]);
    for (_, p, _) in &out {
        assert_eq!(membership(p), (pb.0, 5, vec![pa.0, pb.0]));
    }
    // Group messages reach members only; from a non-member they are dropped.
    let out = ws_sends(&core.ws(a, message(9, 0, 5, b"g")));
    assert_eq!(out.iter().map(|(c, ..)| *c).collect::<Vec<_>>(), vec![a, b]);
    let pc = core.session.players().last().expect("three players");
    assert_eq!(
        core.ws(c, message(9, 0, 5, b"g")),
        vec![Output::Dropped {
            peer: pc,
            reason: DropReason::NotGroupMember
        }]
    );
    // Leaving tells the remaining members and the leaver.
    let leave = command(
        Opcode::LEAVE_GROUP,
        Body::LeaveGroup(LeaveGroup { group: 5 }),
    );
    let out = ws_sends(&core.ws(a, leave));
    assert_eq!(out.iter().map(|(c, ..)| *c).collect::<Vec<_>>(), vec![b, a]);
    for (_, p, _) in &out {
        assert_eq!(membership(p), (pa.0, 5, vec![pb.0]));
    }
}

#[test]
fn idempotent_and_reserved_group_commands_answer_the_requester_only() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let (_, pb) = core.login();
    let join = |g| command(Opcode::JOIN_GROUP, Body::JoinGroup(JoinGroup { group: g }));
    core.ws(a, join(5));
    let out = ws_sends(&core.ws(a, join(5)));
    assert_eq!(out.len(), 1);
    assert_eq!(membership(&out[0].1), (pa.0, 5, vec![pa.0]));
    let out = ws_sends(&core.ws(a, join(-1)));
    assert_eq!(out.len(), 1);
    assert_eq!(membership(&out[0].1), (pa.0, -1, vec![pa.0, pb.0]));
    let out = ws_sends(&core.ws(a, join(0)));
    assert_eq!(membership(&out[0].1), (pa.0, 0, vec![]));
    let leave = command(
        Opcode::LEAVE_GROUP,
        Body::LeaveGroup(LeaveGroup { group: 8 }),
    );
    let out = ws_sends(&core.ws(a, leave));
    assert_eq!((out.len(), membership(&out[0].1)), (1, (pa.0, 8, vec![])));
    let request = |g| {
        command(
            Opcode::REQUEST_GROUP_MEMBERSHIP,
            Body::RequestGroupMembership(RequestGroupMembership { group: g }),
        )
    };
    let out = ws_sends(&core.ws(a, request(5)));
    assert_eq!(
        (out[0].0, membership(&out[0].1)),
        (a, (pa.0, 5, vec![pa.0]))
    );
    let out = ws_sends(&core.ws(a, request(77)));
    assert_eq!(membership(&out[0].1), (pa.0, 77, vec![]));
}

#[test]
fn group_count_per_player_is_bounded() {
    let config = SessionConfig {
        max_groups_per_player: 2,
        ..Default::default()
    };
    let mut core = TestCore::with(config);
    let (a, pa) = core.login();
    let join = |g| command(Opcode::JOIN_GROUP, Body::JoinGroup(JoinGroup { group: g }));
    core.ws(a, join(1));
    core.ws(a, join(2));
    let out = core.ws(a, join(3));
    assert_eq!(
        out[0],
        Output::Dropped {
            peer: pa,
            reason: DropReason::Refused
        }
    );
    assert_eq!(membership(&ws_sends(&out[1..])[0].1), (pa.0, 3, vec![]));
}

#[test]
fn membership_updates_can_be_switched_off_except_requests() {
    let config = SessionConfig {
        membership_updates: false,
        ..Default::default()
    };
    let mut core = TestCore::with(config);
    let (a, _) = core.login();
    assert!(
        core.ws(
            a,
            command(Opcode::JOIN_GROUP, Body::JoinGroup(JoinGroup { group: 4 }))
        )
        .is_empty()
    );
    let request = RequestGroupMembership { group: 4 };
    let out = core.ws(
        a,
        command(
            Opcode::REQUEST_GROUP_MEMBERSHIP,
            Body::RequestGroupMembership(request),
        ),
    );
    assert_eq!(out.len(), 1);
}

#[test]
fn a_departing_player_is_removed_from_groups_with_server_sent_updates() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let (b, pb) = core.login();
    let join = command(Opcode::JOIN_GROUP, Body::JoinGroup(JoinGroup { group: 5 }));
    core.ws(a, join.clone());
    core.ws(b, join);
    core.session.handle_closed(a);
    let out = core.outputs();
    assert_eq!(out.len(), 2, "{out:?}");
    let (to, p, _) = &ws_sends(&out[..1])[0];
    assert_eq!((*to, membership(p)), (b, (-1, 5, vec![pb.0])));
    assert_eq!(
        out[1],
        Output::PlayerLeft {
            peer: pa,
            player_session_id: "psess-1".into()
        }
    );
    assert!(
        core.ws(a, message(5, 0, -1, b"")).is_empty(),
        "gone players send nothing"
    );
    core.session.handle_closed(a);
    assert!(core.outputs().is_empty(), "closing twice is harmless");
}

#[test]
fn player_notifications_are_off_by_default_and_carry_the_peer_when_on() {
    let mut core = TestCore::new();
    let (_, _) = core.login();
    let (b, _) = core.login(); // `login` checks outputs are just result + joined.
    core.session.handle_closed(b);
    assert_eq!(core.outputs().len(), 1);

    let mut core = TestCore::with(SessionConfig {
        player_notifications: true,
        ..Default::default()
    });
    let (a, _) = core.login();
    let conn = ConnId(50);
    let login = LoginRequest {
        player_session_id: "n".into(),
        payload: Bytes::new(),
        ip: IP,
        secure: None,
    };
    let _ = core.session.handle_login(core.now, conn, login);
    let out = core.outputs();
    let notice = ws_sends(&out[1..2]);
    let (to, p, _) = &notice[0];
    let pb = PeerId(p.sender);
    assert_eq!((*to, p.op_code, p.target_player), (a, -101, 1));
    assert!(matches!(&p.body, Some(Body::PlayerConnect(m)) if m.peer_id == pb.0));
    core.session.handle_closed(conn);
    let out = core.outputs();
    let (to, p, _) = &ws_sends(&out[..1])[0];
    assert_eq!((*to, p.op_code, p.sender), (a, -103, pb.0));
}

#[test]
fn udp_binding_handshake_confirms_the_fast_path() {
    let mut core = TestCore::new();
    let (_, pa) = core.login();
    let out = core.udp(addr(4000), udp_connect(pa, 0));
    let [
        Output::SendFast {
            to, seq: 1, packet, ..
        },
    ] = &out[..]
    else {
        panic!("{out:?}")
    };
    assert_eq!(*to, addr(4000));
    let ack = packet.to_bytes(1);
    let ack = decode(ack, 8192).expect("valid ack");
    assert_eq!(
        (ack.op_code, ack.target_player, ack.sender, ack.reliable),
        (-6, pa.0, -1, false)
    );
    assert!(matches!(ack.body, Some(Body::UdpConnect(_))));
    assert_eq!(
        core.session.fast_path(pa),
        Some(FastPathState::Bound(addr(4000)))
    );
    // Every retry is answered, each with a new sequence number.
    let out = core.udp(addr(4000), udp_connect(pa, 1));
    assert!(
        matches!(out[..], [Output::SendFast { seq: 2, .. }]),
        "{out:?}"
    );
    assert!(core.udp(addr(4000), client_ack(pa, 2)).is_empty());
    assert_eq!(
        core.session.fast_path(pa),
        Some(FastPathState::Confirmed(addr(4000)))
    );
}

#[test]
fn fast_messages_go_by_udp_to_confirmed_peers_and_fall_back_to_the_websocket() {
    let mut core = TestCore::new();
    let (_, pa) = core.login();
    let (b, pb) = core.login();
    let (c, _) = core.login();
    core.bind(pa, addr(4001));
    core.bind(pb, addr(4002));
    let out = core.udp(addr(4001), fast(message(7, 0, -1, b"go"), pa, 2));
    assert_eq!(out.len(), 3, "{out:?}");
    let Output::SendFast {
        to, seq: 2, packet, ..
    } = &out[0]
    else {
        panic!("{out:?}")
    };
    assert_eq!(*to, addr(4001));
    let relayed = decode(packet.to_bytes(2), 8192).expect("valid");
    assert_eq!(
        (relayed.sender, relayed.reliable, relayed.sequence_number),
        (pa.0, false, 2)
    );
    assert!(matches!(out[1], Output::SendFast { to, seq: 2, .. } if to == addr(4002)));
    // c has no fast path: the WebSocket, droppable because the intent was fast.
    let Output::Send {
        conn,
        frame,
        droppable: true,
    } = &out[2]
    else {
        panic!("{out:?}")
    };
    assert_eq!((*conn, packet_reliable(frame)), (c, true));
    // The same message over the WebSocket stays on the WebSocket for everyone.
    let out = ws_sends(&core.ws(b, message(7, 0, -1, b"go")));
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|(_, p, droppable)| p.reliable && !droppable));
    // Sequence numbers keep increasing per peer.
    let out = core.udp(addr(4001), fast(message(7, pb.0, 0, b"1"), pa, 3));
    assert!(
        matches!(out[..], [Output::SendFast { seq: 3, .. }]),
        "{out:?}"
    );
}

fn packet_reliable(frame: &Bytes) -> bool {
    packet(frame).reliable
}

#[test]
fn oversized_fast_payloads_are_dropped() {
    let mut core = TestCore::new();
    let (_, pa) = core.login();
    core.bind(pa, addr(4001));
    let big = Packet {
        payload: vec![1; 1201].into(),
        ..message(7, 0, -1, b"")
    };
    assert_eq!(
        core.udp(addr(4001), fast(big, pa, 5)),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::Oversized
        }]
    );
}

#[test]
fn udp_from_another_ip_is_not_bound_unless_the_check_is_off() {
    let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), 4000);
    let mut core = TestCore::new();
    let (_, pa) = core.login();
    assert_eq!(
        core.udp(other, udp_connect(pa, 0)),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::SourceIpMismatch
        }]
    );
    assert_eq!(core.session.fast_path(pa), Some(FastPathState::Unbound));

    let config = SessionConfig {
        check_udp_source_ip: false,
        ..Default::default()
    };
    let mut core = TestCore::with(config);
    let (_, pa) = core.login();
    assert_eq!(core.udp(other, udp_connect(pa, 0)).len(), 1);
    assert_eq!(
        core.session.fast_path(pa),
        Some(FastPathState::Bound(other))
    );
}

#[test]
fn datagrams_from_unbound_addresses_or_unknown_senders_are_dropped() {
    let mut core = TestCore::new();
    let (_, pa) = core.login();
    let unbound = vec![Output::Dropped {
        peer: pa,
        reason: DropReason::UnboundSource,
    }];
    assert_eq!(
        core.udp(addr(4001), fast(message(7, 0, -1, b""), pa, 1)),
        unbound
    );
    core.bind(pa, addr(4001));
    // Right sender, right IP, wrong port: a spoof that did not do the handshake.
    assert_eq!(
        core.udp(addr(4999), fast(message(7, 0, -1, b""), pa, 9)),
        unbound
    );
    assert_eq!(
        core.udp(addr(4001), fast(message(7, 0, -1, b""), PeerId(4242), 9)),
        vec![Output::Dropped {
            peer: PeerId(4242),
            reason: DropReason::UnboundSource
        }]
    );
}

#[test]
fn stale_udp_sequence_numbers_are_dropped() {
    let mut core = TestCore::new();
    let (_, pa) = core.login();
    core.bind(pa, addr(4001));
    assert_eq!(
        core.udp(addr(4001), fast(message(7, pa.0, 0, b""), pa, 10))
            .len(),
        1
    );
    let stale = vec![Output::Dropped {
        peer: pa,
        reason: DropReason::StaleSequence,
    }];
    assert_eq!(
        core.udp(addr(4001), fast(message(7, pa.0, 0, b""), pa, 10)),
        stale
    );
    assert_eq!(
        core.udp(addr(4001), fast(message(7, pa.0, 0, b""), pa, 3)),
        stale
    );

    let mut core = TestCore::with(SessionConfig {
        filter_stale_udp: false,
        ..Default::default()
    });
    let (_, pa) = core.login();
    core.bind(pa, addr(4001));
    assert_eq!(
        core.udp(addr(4001), fast(message(7, pa.0, 0, b""), pa, 1))
            .len(),
        1
    );
}

#[test]
fn a_forged_datagram_with_a_huge_sequence_number_does_not_disable_the_fast_channel() {
    let mut core = TestCore::new();
    let (_, pa) = core.login();
    core.bind(pa, addr(4001));
    let send =
        |core: &mut TestCore, seq| core.udp(addr(4001), fast(message(7, pa.0, 0, b""), pa, seq));
    assert_eq!(send(&mut core, 2).len(), 1);
    // From the bound address (a spoofed source), far ahead of the last number.
    assert_eq!(
        send(&mut core, i32::MAX),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::SequenceOutOfWindow,
        }]
    );
    for seq in 3..100 {
        assert_eq!(send(&mut core, seq).len(), 1, "datagram {seq} relayed");
    }
    // A retried UDP_CONNECT from the bound address cannot move the numbers either.
    core.udp(addr(4001), udp_connect(pa, i32::MAX - 5));
    assert_eq!(send(&mut core, 100).len(), 1);
}

#[test]
fn fast_channel_sequence_numbers_wrap_around_and_resync_after_a_long_loss() {
    let mut core = TestCore::new();
    let (_, pa) = core.login();
    let out = core.udp(addr(4001), udp_connect(pa, i32::MAX - 2));
    assert_eq!(out.len(), 1, "{out:?}");
    let send =
        |core: &mut TestCore, seq| core.udp(addr(4001), fast(message(7, pa.0, 0, b""), pa, seq));
    for seq in [i32::MAX - 1, i32::MAX, i32::MIN, i32::MIN + 1] {
        assert_eq!(send(&mut core, seq).len(), 1, "datagram {seq} relayed");
    }
    let stale = vec![Output::Dropped {
        peer: pa,
        reason: DropReason::StaleSequence,
    }];
    assert_eq!(send(&mut core, i32::MAX), stale, "before the wrap: stale");
    // Ten thousand datagrams lost: the first one after is refused, the next confirms it.
    let after = i32::MIN + 10_000;
    assert_eq!(
        send(&mut core, after),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::SequenceOutOfWindow,
        }]
    );
    assert_eq!(send(&mut core, after + 1).len(), 1);
    assert_eq!(send(&mut core, after + 2).len(), 1);
    assert_eq!(send(&mut core, after + 1), stale);
}

#[test]
fn a_player_over_its_message_rate_is_dropped_then_disconnected() {
    let limit = RateLimit {
        per_sec: 10,
        burst: 3,
        close_after: Some(Duration::from_secs(2)),
    };
    let mut core = TestCore::with(SessionConfig {
        player_rate: Some(limit),
        ..Default::default()
    });
    let (ca, pa) = core.login();
    let (_, pb) = core.login();
    let to_b = || message(7, pb.0, 0, b"hi");
    for _ in 0..3 {
        assert_eq!(ws_sends(&core.ws(ca, to_b())).len(), 1, "within the burst");
    }
    let over = vec![Output::Dropped {
        peer: pa,
        reason: DropReason::OverRate,
    }];
    assert_eq!(core.ws(ca, to_b()), over);
    // The fast channel draws on the same budget.
    core.bind(pa, addr(4001));
    assert_eq!(core.udp(addr(4001), fast(to_b(), pa, 2)), over);
    // Twenty messages a second, twice the rate, for a little over two seconds.
    let mut relayed = 0;
    let mut closed = None;
    for tick in 1..=45 {
        core.now += Duration::from_millis(50);
        let out = core.ws(ca, to_b());
        relayed += out
            .iter()
            .filter(|o| matches!(o, Output::Send { .. }))
            .count();
        if out.iter().any(|o| matches!(o, Output::Close { .. })) {
            closed = Some((tick, out));
            break;
        }
    }
    let (tick, out) = closed.expect("closed for staying over the rate");
    assert!(
        tick >= 40 && relayed >= 15,
        "tick {tick}, {relayed} relayed"
    );
    assert!(out.contains(&Output::Close {
        conn: ca,
        reason: CloseReason::OverRate,
    }));
    assert_eq!(CloseReason::OverRate.code(), 1008);
}

#[test]
fn a_burst_within_the_bucket_at_the_average_rate_is_never_dropped() {
    let mut core = TestCore::new(); // The default: 1000 a second, bursts of 2000.
    let (ca, pa) = core.login();
    for _ in 0..2000 {
        let out = core.ws(ca, message(7, pa.0, 0, b"x"));
        assert_eq!(ws_sends(&out).len(), 1);
    }
    for _ in 0..5000 {
        core.now += Duration::from_millis(1);
        let out = core.ws(ca, message(7, pa.0, 0, b"x"));
        assert_eq!(ws_sends(&out).len(), 1);
    }
}

#[test]
fn any_datagram_from_the_bound_address_acts_as_the_client_ack() {
    let mut core = TestCore::new();
    let (_, pa) = core.login();
    core.udp(addr(4001), udp_connect(pa, 0));
    // While only bound, fast messages to this peer use the WebSocket.
    let out = core.udp(addr(4001), fast(message(7, pa.0, 0, b""), pa, 1));
    assert_eq!(
        core.session.fast_path(pa),
        Some(FastPathState::Confirmed(addr(4001)))
    );
    assert!(
        matches!(out[..], [Output::SendFast { .. }]),
        "confirmed before relaying: {out:?}"
    );
}

#[test]
fn server_ack_is_retransmitted_with_backoff_until_the_client_acks() {
    let config = SessionConfig {
        udp_ack_retries: 3,
        ..Default::default()
    };
    let mut core = TestCore::with(config);
    let (_, pa) = core.login();
    let start = core.now;
    core.udp(addr(4001), udp_connect(pa, 0));
    let mut resent = Vec::new();
    for _ in 0..20 {
        let Some(at) = core.session.poll_timeout() else {
            break;
        };
        if at - start > Duration::from_secs(2) {
            break;
        }
        core.now = at;
        core.session.handle_timeout(at);
        for out in core.outputs() {
            if let Output::SendFast { seq, .. } = out {
                resent.push(((at - start).as_millis(), seq));
            }
        }
    }
    assert_eq!(resent, vec![(100, 2), (300, 3), (700, 4)]);

    let mut core = TestCore::new();
    let (_, pa) = core.login();
    core.udp(addr(4001), udp_connect(pa, 0));
    core.udp(addr(4001), client_ack(pa, 1));
    core.advance(Duration::from_millis(100));
    assert!(
        core.outputs().is_empty(),
        "no retransmission after the client ack"
    );
}

#[test]
fn pings_go_out_every_interval_and_silent_players_are_dropped() {
    let config = SessionConfig {
        ping_interval: Duration::from_secs(1),
        idle_timeout: Duration::from_millis(2500),
        ..Default::default()
    };
    let mut core = TestCore::with(config);
    let (a, pa) = core.login();
    let (b, _) = core.login();
    core.advance(Duration::from_secs(1));
    assert_eq!(
        core.outputs(),
        vec![Output::Ping { conn: a }, Output::Ping { conn: b }]
    );
    core.session.handle_heard(core.now, b);
    core.advance(Duration::from_secs(1));
    assert_eq!(core.outputs().len(), 2);
    core.advance(Duration::from_secs(1)); // a silent for 3 s, b for 2 s.
    assert_eq!(
        core.outputs(),
        vec![
            Output::Close {
                conn: a,
                reason: CloseReason::IdleTimeout
            },
            Output::PlayerLeft {
                peer: pa,
                player_session_id: "psess-1".into()
            },
            Output::Ping { conn: b },
        ]
    );
    core.session.handle_closed(b);
    core.outputs();
    assert_eq!(
        core.session.poll_timeout(),
        None,
        "an empty session needs no timer"
    );
}

#[test]
fn bound_peers_get_a_udp_keepalive_after_silence() {
    let config = SessionConfig {
        ping_interval: Duration::from_secs(2),
        ..Default::default()
    };
    let mut core = TestCore::with(config);
    let (a, pa) = core.login();
    core.bind(pa, addr(4001));
    core.advance(Duration::from_secs(2));
    assert_eq!(core.outputs(), vec![Output::Ping { conn: a }]);
    core.session.handle_heard(core.now, a);
    core.advance(Duration::from_secs(4)); // 6 s of UDP silence >= 5 s keepalive.
    let out = core.outputs();
    assert!(
        matches!(&out[..], [Output::Ping { .. }, Output::SendFast { to, seq: 2, packet, .. }]
            if *to == addr(4001) && packet.op_code() == Opcode::UDP_CONNECT_SERVER_ACK.0),
        "{out:?}"
    );
}

#[test]
fn ending_the_session_closes_everyone_and_refuses_logins() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    core.session.handle_end(CloseReason::SessionEnded);
    assert_eq!(
        core.outputs(),
        vec![
            Output::Close {
                conn: a,
                reason: CloseReason::SessionEnded
            },
            Output::PlayerLeft {
                peer: pa,
                player_session_id: "psess-1".into()
            },
        ]
    );
    let conn = ConnId(9);
    let login = LoginRequest {
        player_session_id: "late".into(),
        payload: Bytes::new(),
        ip: IP,
        secure: None,
    };
    let _ = core.session.handle_login(core.now, conn, login);
    assert_eq!(
        core.outputs()[1],
        Output::Close {
            conn,
            reason: CloseReason::LoginRefused(LoginRefusal::SessionNotAccepting)
        }
    );
}

#[test]
fn slow_reader_close_removes_the_player() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    core.session.handle_close(a, CloseReason::SlowReader);
    assert_eq!(
        core.outputs(),
        vec![
            Output::Close {
                conn: a,
                reason: CloseReason::SlowReader
            },
            Output::PlayerLeft {
                peer: pa,
                player_session_id: "psess-1".into()
            },
        ]
    );
}

/// A script played by the test: records what it was asked, refuses what it is told to.
#[derive(Default)]
struct Scripted {
    refused_payload: Option<&'static [u8]>,
    refuse_join: bool,
    refuse_leave: bool,
    refuse_to_player: bool,
    refuse_to_group: bool,
    connects: Vec<(PeerId, String, Vec<u8>)>,
    to_server: Vec<(i32, PeerId, Vec<u8>, bool)>,
    asked: Vec<&'static str>,
}

impl Hooks for Scripted {
    fn player_connect(&mut self, peer: PeerId, player_session_id: &str, payload: &[u8]) -> bool {
        self.connects
            .push((peer, player_session_id.to_owned(), payload.to_vec()));
        self.refused_payload != Some(payload)
    }

    fn player_join_group(&mut self, _: GroupId, _: PeerId) -> bool {
        self.asked.push("join");
        !self.refuse_join
    }

    fn player_leave_group(&mut self, _: GroupId, _: PeerId) -> bool {
        self.asked.push("leave");
        !self.refuse_leave
    }

    fn send_to_player(&mut self, _: &HookMessage<'_>) -> bool {
        self.asked.push("to_player");
        !self.refuse_to_player
    }

    fn send_to_group(&mut self, _: &HookMessage<'_>) -> bool {
        self.asked.push("to_group");
        !self.refuse_to_group
    }

    fn message(&mut self, m: &HookMessage<'_>) {
        self.to_server
            .push((m.opcode, m.sender, m.payload.to_vec(), m.reliable));
    }
}

#[test]
fn the_script_refuses_a_login_by_its_connection_payload() {
    let mut core = TestCore::hooked(Scripted {
        refused_payload: Some(b"cheater"),
        ..Default::default()
    });
    let (_, first) = core.login();
    let conn = ConnId(50);
    let request = LoginRequest {
        player_session_id: "psess-x".into(),
        payload: Bytes::from_static(b"cheater"),
        ip: IP,
        secure: None,
    };
    assert_eq!(
        core.session.handle_login(core.now, conn, request),
        Err(LoginRefusal::ScriptRefused)
    );
    let reason = CloseReason::LoginRefused(LoginRefusal::ScriptRefused);
    assert_eq!(
        core.outputs(),
        vec![
            Output::Send {
                conn,
                frame: login_refused_frame(),
                droppable: false
            },
            Output::Close { conn, reason },
        ]
    );
    assert_eq!(reason.code(), 1008);
    let hooks = core.session.hooks_mut();
    assert_eq!(hooks.connects[0].0, first);
    assert_eq!(
        hooks.connects[1],
        (PeerId(2), "psess-x".into(), b"cheater".to_vec())
    );
    assert_eq!(core.session.player_count(), 1, "never joined");
}

#[test]
fn the_script_drops_player_and_group_messages_it_refuses() {
    let mut core = TestCore::hooked(Scripted {
        refuse_to_player: true,
        ..Default::default()
    });
    let (a, pa) = core.login();
    let (_, pb) = core.login();
    assert_eq!(
        core.ws(a, message(9, pb.0, 0, b"x")),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::HookRefused
        }]
    );
    assert_eq!(ws_sends(&core.ws(a, message(9, 0, -1, b"x"))).len(), 2);
    core.session.hooks_mut().refuse_to_group = true;
    assert_eq!(
        core.ws(a, message(9, 0, -1, b"x")),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::HookRefused
        }]
    );
    // Unknown targets are dropped before the script is asked.
    core.ws(a, message(9, 777, 0, b"x"));
    assert_eq!(
        core.session.hooks_mut().asked,
        vec!["to_player", "to_group", "to_group"]
    );
}

#[test]
fn messages_to_the_server_reach_the_script_and_nobody_else() {
    let mut core = TestCore::hooked(Scripted::default());
    let (a, pa) = core.login();
    core.login();
    assert!(core.ws(a, message(111, -1, 0, b"hi")).is_empty());
    assert!(core.ws(a, message(112, 0, 0, b"")).is_empty());
    assert_eq!(
        core.session.hooks_mut().to_server,
        vec![(111, pa, b"hi".to_vec(), true), (112, pa, vec![], true)]
    );
}

#[test]
fn the_script_refuses_group_changes_and_the_player_sees_the_real_list() {
    let mut core = TestCore::hooked(Scripted {
        refuse_join: true,
        ..Default::default()
    });
    let (a, pa) = core.login();
    let join = command(Opcode::JOIN_GROUP, Body::JoinGroup(JoinGroup { group: 5 }));
    let out = core.ws(a, join.clone());
    assert_eq!(
        out[0],
        Output::Dropped {
            peer: pa,
            reason: DropReason::Refused
        }
    );
    let sends = ws_sends(&out[1..]);
    assert_eq!(membership(&sends[0].1), (pa.0, 5, vec![]));
    core.session.hooks_mut().refuse_join = false;
    core.session.hooks_mut().refuse_leave = true;
    core.ws(a, join);
    let leave = command(
        Opcode::LEAVE_GROUP,
        Body::LeaveGroup(LeaveGroup { group: 5 }),
    );
    let out = core.ws(a, leave);
    let sends = ws_sends(&out[1..]);
    assert_eq!(membership(&sends[0].1), (pa.0, 5, vec![pa.0]), "still in");
    assert_eq!(
        core.session.hooks_mut().asked,
        vec!["join", "join", "leave"]
    );
}

#[test]
fn server_messages_reach_a_player_or_a_group_on_the_chosen_channel() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let (b, pb) = core.login();
    core.bind(pb, addr(4002));
    let join = command(Opcode::JOIN_GROUP, Body::JoinGroup(JoinGroup { group: 1 }));
    core.ws(b, join);
    let send = |target, channel| ServerMessage {
        opcode: 113,
        sender: PeerId::SERVER,
        payload: Bytes::from_static(b"hello"),
        target,
        channel,
    };
    core.session
        .handle_server_message(core.now, send(ServerTarget::Player(pa), Channel::Reliable));
    let out = ws_sends(&core.outputs());
    assert_eq!(out.len(), 1);
    let (conn, p, droppable) = &out[0];
    assert_eq!(
        (*conn, p.sender, p.op_code, &p.payload[..]),
        (a, -1, 113, &b"hello"[..])
    );
    assert!(p.reliable && !droppable);
    // Fast to group 1: b has a fast path. To everyone: a falls back to the WebSocket.
    core.session.handle_server_message(
        core.now,
        send(ServerTarget::Group(GroupId(1)), Channel::Fast),
    );
    let out = core.outputs();
    assert!(
        matches!(out[..], [Output::SendFast { to, .. }] if to == addr(4002)),
        "{out:?}"
    );
    core.session.handle_server_message(
        core.now,
        send(ServerTarget::Group(GroupId::ALL_PLAYERS), Channel::Fast),
    );
    let out = core.outputs();
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(matches!(out[0], Output::Send { conn, droppable: true, .. } if conn == a));
    // Players not here are skipped.
    core.session.handle_server_message(
        core.now,
        send(ServerTarget::Player(PeerId(99)), Channel::Fast),
    );
    assert!(core.outputs().is_empty());
}

#[test]
fn the_script_broadcasts_a_groups_membership_to_another_group() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let (b, _) = core.login();
    let join = command(Opcode::JOIN_GROUP, Body::JoinGroup(JoinGroup { group: 3 }));
    core.ws(a, join);
    core.session
        .handle_membership_broadcast(GroupId(3), GroupId::ALL_PLAYERS);
    let out = ws_sends(&core.outputs());
    assert_eq!(out.iter().map(|(c, ..)| *c).collect::<Vec<_>>(), vec![a, b]);
    for (_, p, _) in &out {
        assert_eq!(membership(p), (-1, 3, vec![pa.0]));
    }
}

#[test]
fn binding_reports_the_address_and_a_confirmed_channel_never_moves() {
    let mut core = TestCore::new();
    let (a, pa) = core.login();
    let bind = |addr| Output::Bind {
        peer: pa,
        addr,
        secure: false,
    };
    let unbind = |addr| Output::Unbind {
        peer: pa,
        addr,
        secure: false,
    };
    let out = core.udp_all(addr(4000), udp_connect(pa, 0));
    assert_eq!(out[0], bind(addr(4000)), "{out:?}");
    // Before confirmation the client may have moved (NAT rebinding): the binding follows.
    let out = core.udp_all(addr(4001), udp_connect(pa, 1));
    assert_eq!(out[..2], [unbind(addr(4000)), bind(addr(4001))], "{out:?}");
    assert!(core.udp(addr(4001), client_ack(pa, 2)).is_empty());
    // Confirmed: a UDP_CONNECT from anywhere else is a forgery and changes nothing.
    assert_eq!(
        core.udp_all(addr(4002), udp_connect(pa, 3)),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::AlreadyBound
        }]
    );
    assert_eq!(
        core.session.fast_path(pa),
        Some(FastPathState::Confirmed(addr(4001)))
    );
    // Leaving releases the address.
    core.session.handle_closed(a);
    assert!(core.outputs().contains(&unbind(addr(4001))));
}

fn secure_login(core: &mut TestCore, token: &str) -> (ConnId, PeerId) {
    let conn = ConnId(core.next_conn);
    core.next_conn += 1;
    let request = LoginRequest {
        player_session_id: format!("psess-{}", conn.0),
        payload: Bytes::new(),
        ip: IP,
        secure: Some(SecureLogin {
            connect_token: token.into(),
            ca_cert: Bytes::from_static(b"-----BEGIN CERTIFICATE-----\n"),
        }),
    };
    let peer = core
        .session
        .handle_login(core.now, conn, request)
        .expect("accepted");
    let out = core.outputs();
    let (_, result, _) = &ws_sends(&out[..1])[0];
    let Some(Body::LoginResult(login)) = &result.body else {
        panic!("{result:?}")
    };
    assert_eq!(login.connect_token, token);
    assert!(login.ca_cert.starts_with(b"-----BEGIN CERTIFICATE-----"));
    (conn, peer)
}

fn verify_identity(peer: PeerId, token: &str) -> Packet {
    Packet {
        op_code: Opcode::VERIFY_IDENTITY.0,
        sender: peer.0,
        body: Some(Body::VerifyIdentity(
            crate::protocol::VerifyIdentityCommand {
                peer_id: peer.0,
                connect_token: token.into(),
            },
        )),
        ..Default::default()
    }
}

fn verify_result(out: &[Output]) -> (ConnId, bool, i32) {
    let sends = ws_sends(out);
    let (conn, p, _) = &sends[0];
    assert_eq!(p.op_code, Opcode::VERIFY_IDENTITY_RESPONSE.0);
    let Some(Body::VerifyIdentityResult(r)) = &p.body else {
        panic!("{p:?}")
    };
    (*conn, r.success, r.peer_id)
}

#[test]
fn plain_logins_carry_no_secrets() {
    let mut core = TestCore::new();
    core.login(); // Its checks include the login result.
    let conn = ConnId(99);
    let request = LoginRequest {
        player_session_id: "psess-99".into(),
        payload: Bytes::new(),
        ip: IP,
        secure: None,
    };
    core.session
        .handle_login(core.now, conn, request)
        .expect("accepted");
    let out = core.outputs();
    let (_, result, _) = &ws_sends(&out[..1])[0];
    let Some(Body::LoginResult(login)) = &result.body else {
        panic!("{result:?}")
    };
    assert!(login.connect_token.is_empty() && login.ca_cert.is_empty());
}

#[test]
fn verify_identity_with_the_token_binds_the_dtls_association() {
    let mut core = TestCore::new();
    let (a, pa) = secure_login(&mut core, "0123456789abcdef0123456789abcdef");
    let (b, pb) = secure_login(&mut core, "fedcba9876543210fedcba9876543210");
    // A secure player's fast channel is never plain UDP.
    assert_eq!(
        core.udp_all(addr(5000), udp_connect(pa, 0)),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::SecurePeer
        }]
    );
    // b's token does not open a's channel; a hears of the failure on its WebSocket.
    let wrong = verify_identity(pa, "fedcba9876543210fedcba9876543210");
    assert_eq!(
        core.session
            .handle_verify_identity(core.now, addr(5001), &wrong),
        None
    );
    assert_eq!(verify_result(&core.outputs()), (a, false, pa.0));
    assert_eq!(core.session.fast_path(pa), Some(FastPathState::Unbound));
    // The right token binds, working both ways at once; the answer goes on the WebSocket.
    let right = verify_identity(pa, "0123456789abcdef0123456789abcdef");
    assert_eq!(
        core.session
            .handle_verify_identity(core.now, addr(5002), &right),
        Some(pa)
    );
    let out = core.outputs();
    assert_eq!(
        out[0],
        Output::Bind {
            peer: pa,
            addr: addr(5002),
            secure: true
        }
    );
    assert_eq!(verify_result(&out[1..]), (a, true, pa.0));
    assert_eq!(
        core.session.fast_path(pa),
        Some(FastPathState::Confirmed(addr(5002)))
    );
    // Records from the association are relayed; fast messages to a go through it.
    core.session.handle_secure_datagram(
        core.now,
        addr(5002),
        pa,
        fast(message(7, pb.0, 0, b"hi"), pa, 1),
    );
    let out = core.outputs();
    assert!(
        matches!(&out[..], [Output::Send { conn, droppable: true, .. }] if *conn == b),
        "{out:?}"
    );
    core.session.handle_secure_datagram(
        core.now,
        addr(5002),
        pa,
        fast(message(7, pa.0, 0, b"me"), pa, 2),
    );
    let out = core.outputs();
    assert!(
        matches!(out[..], [Output::SendFast { to, secure: true, .. }] if to == addr(5002)),
        "{out:?}"
    );
    // A plain datagram spoofed from the association's address does nothing.
    assert_eq!(
        core.udp_all(addr(5002), fast(message(7, pa.0, 0, b"x"), pa, 3)),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::SecurePeer
        }]
    );
    // A failure answer for an already bound player is not sent.
    assert_eq!(
        core.session
            .handle_verify_identity(core.now, addr(5003), &wrong),
        None
    );
    assert!(core.outputs().is_empty());
    // The association ends: back to the WebSocket.
    core.session.handle_fast_lost(pa, addr(5002));
    assert_eq!(
        core.outputs(),
        vec![Output::Unbind {
            peer: pa,
            addr: addr(5002),
            secure: true
        }]
    );
    assert_eq!(core.session.fast_path(pa), Some(FastPathState::Unbound));
}

#[test]
fn a_second_verified_association_replaces_the_first() {
    let mut core = TestCore::new();
    let token = "00112233445566778899aabbccddeeff";
    let (_, pa) = secure_login(&mut core, token);
    let verify = verify_identity(pa, token);
    core.session
        .handle_verify_identity(core.now, addr(6000), &verify);
    core.outputs();
    core.session
        .handle_verify_identity(core.now, addr(6001), &verify);
    let out = core.outputs();
    assert_eq!(
        out[..2],
        [
            Output::Unbind {
                peer: pa,
                addr: addr(6000),
                secure: true
            },
            Output::Bind {
                peer: pa,
                addr: addr(6001),
                secure: true
            }
        ]
    );
    // Records still arriving on the old association are not the player's.
    core.session.handle_secure_datagram(
        core.now,
        addr(6000),
        pa,
        fast(message(7, pa.0, 0, b"old"), pa, 5),
    );
    assert_eq!(
        core.outputs(),
        vec![Output::Dropped {
            peer: pa,
            reason: DropReason::UnboundSource
        }]
    );
}
