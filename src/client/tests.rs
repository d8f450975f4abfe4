//! Client tests against a tiny in-test fake server on 127.0.0.1:0 (a tokio-tungstenite
//! accept plus a `UdpSocket`) that plays the server's part of protocol.md by hand.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::*;
use crate::protocol::{
    Body, GroupId, GroupMembershipUpdate, JoinGroup, LeaveGroup, LoginResult, Opcode, Packet,
    PeerId, PingResult, PlayerConnectMessage, RequestGroupMembership, UdpConnectMessage,
    VerifyIdentityResult, decode, encode,
};

const WAIT: Duration = Duration::from_secs(5);
const PEER: PeerId = PeerId(1);

async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future).await.expect("timed out")
}

fn hex(s: &str) -> Vec<u8> {
    let digits: String = s.split_whitespace().collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("test hex"))
        .collect()
}

struct FakeServer {
    listener: TcpListener,
    udp: UdpSocket,
}

struct FakeConn {
    ws: WebSocketStream<TcpStream>,
    path: String,
}

impl FakeServer {
    async fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("tcp bind");
        let udp = UdpSocket::bind("127.0.0.1:0").await.expect("udp bind");
        Self { listener, udp }
    }

    fn port(&self) -> u16 {
        self.listener.local_addr().expect("tcp addr").port()
    }

    fn udp_port(&self) -> u16 {
        self.udp.local_addr().expect("udp addr").port()
    }

    // The callback's error type is tungstenite's, large by design.
    #[allow(clippy::result_large_err)]
    async fn accept(&self) -> FakeConn {
        let (stream, _) = self.listener.accept().await.expect("accept");
        let mut path = String::new();
        let ws = tokio_tungstenite::accept_hdr_async(stream, |req: &Request, resp: Response| {
            path = req.uri().path().to_owned();
            Ok(resp)
        })
        .await
        .expect("upgrade");
        FakeConn { ws, path }
    }

    /// Next datagram from the client, decoded.
    async fn recv_udp(&self) -> (Packet, SocketAddr, Bytes) {
        recv_udp_on(&self.udp).await
    }

    /// Next datagram that is not a UDP_CONNECT retry.
    async fn recv_udp_skipping_retries(&self) -> Packet {
        loop {
            let (packet, _, _) = self.recv_udp().await;
            if packet.op_code != Opcode::UDP_CONNECT.0 {
                return packet;
            }
        }
    }

    async fn send_udp(&self, packet: &Packet, to: SocketAddr) {
        self.udp
            .send_to(&encode(packet), to)
            .await
            .expect("udp send");
    }
}

async fn recv_udp_on(udp: &UdpSocket) -> (Packet, SocketAddr, Bytes) {
    let mut buf = [0u8; 4096];
    let (len, from) = within(udp.recv_from(&mut buf)).await.expect("udp recv");
    let bytes = Bytes::copy_from_slice(&buf[..len]);
    (
        decode(bytes.clone(), 8192).expect("client datagram decodes"),
        from,
        bytes,
    )
}

impl FakeConn {
    async fn recv_message(&mut self) -> Message {
        within(self.ws.next())
            .await
            .expect("websocket open")
            .expect("websocket read")
    }

    async fn recv(&mut self) -> Packet {
        match self.recv_message().await {
            Message::Binary(frame) => decode(frame, 8192).expect("client frame decodes"),
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }

    async fn send(&mut self, packet: &Packet) {
        within(self.ws.send(Message::Binary(encode(packet))))
            .await
            .expect("websocket send");
    }
}

fn server_packet(op: Opcode, body: Option<Body>) -> Packet {
    Packet {
        op_code: op.0,
        target_player: PEER.0,
        sender: PeerId::SERVER.0,
        reliable: true,
        body,
        ..Default::default()
    }
}

fn login_result(success: bool, fast_port: u16) -> Packet {
    let peer_id = if success { PEER.0 } else { 0 };
    let result = LoginResult {
        success,
        peer_id,
        fast_port: fast_port.into(),
        ..Default::default()
    };
    server_packet(
        Opcode::LOGIN_RESULT,
        Some(Body::LoginResult(Box::new(result))),
    )
}

fn data(op: i32, seq: i32, payload: &'static str) -> Packet {
    Packet {
        op_code: op,
        sequence_number: seq,
        target_player: PEER.0,
        sender: 2,
        payload: Bytes::from_static(payload.as_bytes()),
        ..Default::default()
    }
}

fn server_ack(seq: i32) -> Packet {
    Packet {
        sequence_number: seq,
        reliable: false,
        ..server_packet(
            Opcode::UDP_CONNECT_SERVER_ACK,
            Some(Body::UdpConnect(UdpConnectMessage {})),
        )
    }
}

fn membership(group: i32, players: Vec<i32>) -> Packet {
    let update = GroupMembershipUpdate { group, players };
    Packet {
        sender: 2,
        ..server_packet(
            Opcode::GROUP_MEMBERSHIP_UPDATE,
            Some(Body::GroupMembershipUpdate(update)),
        )
    }
}

fn config(fast_channel: bool) -> ClientConfig {
    ClientConfig {
        udp_bind: "127.0.0.1:0".parse().expect("addr"),
        fast_channel,
        connect_timeout: WAIT,
        ..ClientConfig::default()
    }
}

fn token() -> ConnectionToken {
    ConnectionToken::new("psess-1", "hi")
}

/// Connects a client and logs it in as peer 1; the server's LOGIN has been read.
async fn connect_pair(config: ClientConfig) -> (FakeServer, Client, FakeConn) {
    let server = FakeServer::bind().await;
    let (client, conn) = within(async {
        let connect = Client::connect("127.0.0.1", server.port(), token(), config);
        let serve = async {
            let mut conn = server.accept().await;
            let login = conn.recv().await;
            assert_eq!(login.op_code, Opcode::LOGIN.0);
            conn.send(&login_result(true, server.udp_port())).await;
            conn
        };
        tokio::join!(connect, serve)
    })
    .await;
    (server, client.expect("login succeeds"), conn)
}

/// Completes the UDP handshake: returns the client's address and the ack's sequence number.
async fn bind_fast(server: &FakeServer, client: &mut Client) -> (SocketAddr, i32) {
    let (first, from, _) = server.recv_udp().await;
    assert_eq!(first.op_code, Opcode::UDP_CONNECT.0);
    server.send_udp(&server_ack(0), from).await;
    within(client.wait_fast_ready(WAIT))
        .await
        .expect("fast ready");
    let ack = server.recv_udp_skipping_retries().await;
    assert_eq!(ack.op_code, Opcode::UDP_CONNECT_CLIENT_ACK.0);
    (from, ack.sequence_number)
}

async fn next_event(client: &mut Client) -> Event {
    within(client.next_event()).await.expect("an event")
}

async fn next_data(client: &mut Client) -> DataReceived {
    match next_event(client).await {
        Event::Data(data) => data,
        other => panic!("expected data, got {other:?}"),
    }
}

#[tokio::test]
async fn login_matches_documented_bytes_and_path() {
    let server = FakeServer::bind().await;
    let connect = Client::connect(" 127.0.0.1 ", server.port(), token(), config(false));
    let serve = async {
        let mut conn = server.accept().await;
        let login = match conn.recv_message().await {
            Message::Binary(frame) => frame,
            other => panic!("expected binary LOGIN, got {other:?}"),
        };
        // protocol.md §2.2: LOGIN from C# and LOGIN_RESULT, byte for byte.
        let golden = "1f 18 ff ff ff ff ff ff ff ff ff 01 30 01 7a 02 68 69 f2 01 0b
                      0a 07 70 73 65 73 73 2d 31 10 02";
        assert_eq!(login.as_ref(), hex(golden).as_slice());
        let result = "1b 08 01 18 01 28 ff ff ff ff ff ff ff ff ff 01 30 01 fa 01 07 08 01 18
                      01 20 8f 0f";
        conn.ws
            .send(Message::Binary(hex(result).into()))
            .await
            .expect("send result");
        conn
    };
    let (client, conn) = within(async { tokio::join!(connect, serve) }).await;
    let client = client.expect("login succeeds");
    assert_eq!(conn.path, "/websocket");
    assert_eq!(client.peer_id(), PEER);
    assert_eq!(client.fast_port(), 1935);
    assert_eq!(client.state(), ConnectionState::Connected);
    assert!(matches!(
        client.wait_fast_ready(WAIT).await,
        Err(ClientError::FastChannelDisabled)
    ));
}

#[tokio::test]
async fn refused_or_bodiless_login_result_is_an_error() {
    let bodiless = server_packet(Opcode::LOGIN_RESULT, None);
    for reply in [login_result(false, 1935), bodiless] {
        let server = FakeServer::bind().await;
        let connect = Client::connect("127.0.0.1", server.port(), token(), config(true));
        let serve = async {
            let mut conn = server.accept().await;
            conn.recv().await;
            conn.send(&reply).await;
            conn
        };
        let (client, _conn) = within(async { tokio::join!(connect, serve) }).await;
        assert!(
            matches!(client, Err(ClientError::LoginRefused)),
            "{client:?}"
        );
    }
}

#[tokio::test]
async fn close_during_login_is_an_error() {
    let server = FakeServer::bind().await;
    let connect = Client::connect("127.0.0.1", server.port(), token(), config(true));
    let serve = async {
        let mut conn = server.accept().await;
        conn.recv().await;
        conn.ws.close(None).await.expect("close");
    };
    let (client, ()) = within(async { tokio::join!(connect, serve) }).await;
    assert!(matches!(client, Err(ClientError::Closed)), "{client:?}");
}

#[test]
fn udp_connect_delays_follow_the_c_sharp_schedule() {
    let delays: Vec<u64> = (0..9)
        .map(|i| driver::udp_connect_delay(i).as_millis() as u64)
        .collect();
    assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    assert_eq!(driver::udp_connect_delay(u32::MAX), Duration::from_secs(5));
}

#[test]
fn udp_socket_follows_the_server_address_family() {
    let any4: SocketAddr = "0.0.0.0:33400".parse().expect("addr");
    let v6: SocketAddr = "[::1]:1935".parse().expect("addr");
    let v4: SocketAddr = "127.0.0.1:1935".parse().expect("addr");
    let fixed: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    assert_eq!(
        connect::udp_bind_for_test(any4, v6),
        "[::]:33400".parse().expect("addr")
    );
    assert_eq!(connect::udp_bind_for_test(any4, v4), any4);
    assert_eq!(connect::udp_bind_for_test(fixed, v6), fixed);
}

#[tokio::test]
async fn udp_connect_is_retried_until_the_server_acks_then_acked_once() {
    let (server, mut client, _conn) = connect_pair(config(true)).await;
    assert_eq!(client.state(), ConnectionState::Connected);

    let mut arrivals = Vec::new();
    let mut client_addr = None;
    for seq in 0..3 {
        let (packet, from, bytes) = server.recv_udp().await;
        client_addr = Some(from);
        arrivals.push(Instant::now());
        assert_eq!(packet.op_code, Opcode::UDP_CONNECT.0);
        assert_eq!(packet.sequence_number, seq);
        if seq <= 1 {
            // protocol.md §2.2: the first and second tries from peer 1.
            let golden = [
                "12 08 09 18 ff ff ff ff ff ff ff ff ff 01 28 01 92 02 00",
                "14 08 09 10 01 18 ff ff ff ff ff ff ff ff ff 01 28 01 92 02 00",
            ];
            assert_eq!(bytes.as_ref(), hex(golden[seq as usize]).as_slice());
        }
        if seq == 2 {
            server.send_udp(&server_ack(0), from).await;
        }
    }
    // Retries wait 100 ms, then 200 ms; timers never fire early, so lower bounds are safe.
    assert!(arrivals[1] - arrivals[0] >= Duration::from_millis(60));
    assert!(arrivals[2] - arrivals[1] >= Duration::from_millis(160));

    within(client.wait_fast_ready(WAIT))
        .await
        .expect("fast ready");
    assert_eq!(client.state(), ConnectionState::ConnectedSendFast);
    assert_eq!(next_event(&mut client).await, Event::FastReady);

    let (ack, _, bytes) = server.recv_udp().await;
    assert_eq!(ack.op_code, Opcode::UDP_CONNECT_CLIENT_ACK.0);
    assert_eq!(ack.sequence_number, 3);
    let golden = "14 08 0d 10 03 18 ff ff ff ff ff ff ff ff ff 01 28 01 92 02 00";
    assert_eq!(bytes.as_ref(), hex(golden).as_slice());

    // A second server ack is ignored: no second client ack, no more retries; the next
    // datagram is the app's message with the next number.
    let client_addr = client_addr.expect("three retries seen");
    server.send_udp(&server_ack(1), client_addr).await;
    server.send_udp(&data(10, 2, "after"), client_addr).await;
    assert_eq!(next_data(&mut client).await.payload, "after");
    client.send_event(Opcode(10), "x").await.expect("send");
    let (message, _, bytes) = server.recv_udp().await;
    assert_eq!(message.op_code, 10);
    assert_eq!(message.sequence_number, 4);
    assert_eq!(message.sender, PEER.0);
    assert!(!message.reliable);
    assert_eq!(message.target_player, PeerId::SERVER.0);
    assert_eq!(bytes.as_ref(), encode(&message).as_ref());
}

#[tokio::test]
async fn fast_sends_use_udp_only_after_the_ack() {
    let (server, client, mut conn) = connect_pair(config(true)).await;
    // Before the ack, a fast message goes over the WebSocket.
    client
        .send(RtMessage::to_player(Opcode(7), PeerId(2), "early"))
        .await
        .expect("send");
    let early = conn.recv().await;
    assert_eq!(
        (early.op_code, early.target_player, early.sender),
        (7, 2, PEER.0)
    );
    assert_eq!((early.reliable, early.sequence_number), (true, 0));
    assert_eq!(server.recv_udp().await.0.op_code, Opcode::UDP_CONNECT.0);

    // The ack may arrive on the WebSocket too (protocol.md §5.3 client step 3); the client ack
    // still goes over UDP.
    conn.send(&Packet {
        reliable: true,
        ..server_ack(0)
    })
    .await;
    within(client.wait_fast_ready(WAIT))
        .await
        .expect("fast ready");
    let ack = server.recv_udp_skipping_retries().await;
    assert_eq!(ack.op_code, Opcode::UDP_CONNECT_CLIENT_ACK.0);
    let mut seq = ack.sequence_number;

    client
        .send(RtMessage::to_group(Opcode(10), GroupId(5), "fast"))
        .await
        .expect("send");
    let fast = server.recv_udp_skipping_retries().await;
    seq += 1;
    assert_eq!(
        (fast.op_code, fast.target_group, fast.sequence_number),
        (10, 5, seq)
    );
    assert!(!fast.reliable);
    assert_eq!(fast.payload, "fast");

    // Over 1200 bytes: WebSocket despite fast intent.
    let big = Bytes::from(vec![7u8; MAX_FAST_PAYLOAD + 1]);
    client
        .send(RtMessage::to_player(Opcode(11), PeerId(2), big.clone()))
        .await
        .expect("send");
    let on_ws = conn.recv().await;
    assert_eq!(
        (on_ws.op_code, on_ws.sequence_number, on_ws.reliable),
        (11, 0, true)
    );
    assert_eq!(on_ws.payload, big);

    // Exactly 1200 bytes still fits the fast channel.
    let fits = Bytes::from(vec![8u8; MAX_FAST_PAYLOAD]);
    client
        .send(RtMessage::to_player(Opcode(12), PeerId(2), fits))
        .await
        .expect("send");
    let fast = server.recv_udp_skipping_retries().await;
    seq += 1;
    assert_eq!((fast.op_code, fast.sequence_number), (12, seq));

    // Reliable intent: WebSocket.
    let reliable = RtMessage::to_server(Opcode(13), "r").reliable();
    client.send(reliable).await.expect("send");
    let on_ws = conn.recv().await;
    assert_eq!(
        (on_ws.op_code, on_ws.target_player, on_ws.reliable),
        (13, -1, true)
    );

    // Group commands have fast intent: UDP now.
    client.join_group(GroupId(3)).await.expect("join");
    let join = server.recv_udp_skipping_retries().await;
    seq += 1;
    assert_eq!(
        (join.op_code, join.sequence_number),
        (Opcode::JOIN_GROUP.0, seq)
    );
    assert_eq!(join.body, Some(Body::JoinGroup(JoinGroup { group: 3 })));

    // Over 4096 bytes: refused, nothing sent on either channel.
    let huge = Bytes::from(vec![0u8; MAX_PAYLOAD + 1]);
    let refused = client
        .send(RtMessage::to_player(Opcode(14), PeerId(2), huge.clone()))
        .await;
    assert!(matches!(refused, Err(ClientError::PayloadTooLarge { len }) if len == MAX_PAYLOAD + 1));
    let refused = client
        .send(RtMessage::to_player(Opcode(14), PeerId(2), huge).reliable())
        .await;
    assert!(matches!(refused, Err(ClientError::PayloadTooLarge { .. })));
    client
        .send(RtMessage::to_player(Opcode(15), PeerId(2), "last"))
        .await
        .expect("send");
    let last = server.recv_udp_skipping_retries().await;
    assert_eq!((last.op_code, last.sequence_number), (15, seq + 1));
    client
        .send(RtMessage::to_player(Opcode(16), PeerId(2), "ws").reliable())
        .await
        .expect("send");
    assert_eq!(conn.recv().await.op_code, 16);
}

#[tokio::test]
async fn stale_datagrams_are_dropped_and_sends_follow_the_source() {
    let (server, mut client, mut conn) = connect_pair(config(true)).await;
    let (client_addr, _) = bind_fast(&server, &mut client).await;
    assert_eq!(next_event(&mut client).await, Event::FastReady);

    // Server ack had sequence 0; then 7, 6 (stale), 7 (repeat), 0 (stale), 8.
    for (seq, text) in [(7, "a"), (6, "b"), (7, "c"), (0, "d"), (8, "e")] {
        server.send_udp(&data(10, seq, text), client_addr).await;
    }
    let first = next_data(&mut client).await;
    assert_eq!(
        (first.payload.as_ref(), first.sequence_number),
        (&b"a"[..], 7)
    );
    assert_eq!((first.sender, first.channel), (PeerId(2), Channel::Fast));
    let second = next_data(&mut client).await;
    assert_eq!(
        (second.payload.as_ref(), second.sequence_number),
        (&b"e"[..], 8)
    );

    // The filter does not apply to the WebSocket.
    conn.send(&Packet {
        reliable: true,
        ..data(20, 0, "ws")
    })
    .await;
    let on_ws = next_data(&mut client).await;
    assert_eq!(
        (on_ws.op_code, on_ws.channel),
        (Opcode(20), Channel::Reliable)
    );

    // A datagram from another address redirects the client's sends there, like C#.
    let other = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    other
        .send_to(&encode(&data(21, 9, "moved")), client_addr)
        .await
        .expect("send");
    assert_eq!(next_data(&mut client).await.payload, "moved");
    client
        .send_event(Opcode(22), "to-other")
        .await
        .expect("send");
    let (moved, from, _) = recv_udp_on(&other).await;
    assert_eq!((moved.op_code, from), (22, client_addr));
}

#[tokio::test]
async fn membership_updates_drive_the_local_group_set() {
    let (_server, mut client, mut conn) = connect_pair(config(false)).await;
    assert!(client.groups().is_empty());

    client.join_group(GroupId(5)).await.expect("join");
    assert_eq!(client.groups(), [GroupId(5)]);
    let join = conn.recv().await;
    // protocol.md §2.2: JOIN_GROUP 5 from peer 1 on the WebSocket.
    let golden = "16 08 13 18 ff ff ff ff ff ff ff ff ff 01 28 01 30 01 c2 02 02 08 05";
    assert_eq!(encode(&join).as_ref(), hex(golden).as_slice());

    // An update without our id removes the group, one with it adds it.
    conn.send(&membership(5, vec![2])).await;
    let expected = Event::GroupMembershipUpdated {
        sender: PeerId(2),
        group: GroupId(5),
        players: vec![PeerId(2)],
    };
    assert_eq!(next_event(&mut client).await, expected);
    assert!(client.groups().is_empty());
    conn.send(&membership(7, vec![2, 1])).await;
    assert!(matches!(
        next_event(&mut client).await,
        Event::GroupMembershipUpdated { .. }
    ));
    assert_eq!(client.groups(), [GroupId(7)]);

    client.leave_group(GroupId(7)).await.expect("leave");
    assert!(client.groups().is_empty());
    let leave = conn.recv().await;
    assert_eq!(
        (leave.op_code, leave.target_player, leave.sender),
        (-11, -1, PEER.0)
    );
    assert_eq!(leave.body, Some(Body::LeaveGroup(LeaveGroup { group: 7 })));

    client
        .request_group_membership(GroupId(3))
        .await
        .expect("request");
    let request = conn.recv().await;
    assert_eq!(request.op_code, Opcode::REQUEST_GROUP_MEMBERSHIP.0);
    let body = Body::RequestGroupMembership(RequestGroupMembership { group: 3 });
    assert_eq!(request.body, Some(body));
    assert!(client.groups().is_empty());

    // A bodiless update is reported, not applied.
    conn.send(&server_packet(Opcode::GROUP_MEMBERSHIP_UPDATE, None))
        .await;
    assert!(matches!(next_event(&mut client).await, Event::Error(_)));
}

#[tokio::test]
async fn internal_packets_are_hidden_and_others_shown_in_order() {
    let server = FakeServer::bind().await;
    let connect = Client::connect("127.0.0.1", server.port(), token(), config(false));
    let serve = async {
        let mut conn = server.accept().await;
        conn.recv().await;
        // Script messages may precede the login result (protocol.md §5.1 step 7).
        conn.send(&Packet {
            sender: -1,
            ..data(100, 0, "early")
        })
        .await;
        conn.send(&login_result(true, 1935)).await;
        conn
    };
    let (client, mut conn) = within(async { tokio::join!(connect, serve) }).await;
    let mut client = client.expect("login succeeds");

    let identity = VerifyIdentityResult {
        success: true,
        peer_id: 1,
    };
    let player = PlayerConnectMessage { peer_id: 3 };
    for packet in [
        login_result(true, 1935),
        server_packet(
            Opcode::VERIFY_IDENTITY_RESPONSE,
            Some(Body::VerifyIdentityResult(identity)),
        ),
        // Ignored here: this client has no fast channel.
        server_packet(
            Opcode::UDP_CONNECT_SERVER_ACK,
            Some(Body::UdpConnect(UdpConnectMessage {})),
        ),
        server_packet(Opcode::PING_RESULT, Some(Body::PingResult(PingResult {}))),
        server_packet(Opcode::PLAYER_CONNECT, Some(Body::PlayerConnect(player))),
        server_packet(Opcode::GAME_START, None),
        data(-500, 0, "negative app opcode"),
        data(10, 0, "last"),
    ] {
        conn.send(&packet).await;
    }
    let mut shown = Vec::new();
    for _ in 0..6 {
        let event = next_data(&mut client).await;
        shown.push(event.op_code.0);
    }
    assert_eq!(shown, [100, -3, -101, -1000, -500, 10]);
    assert_eq!(client.state(), ConnectionState::Connected);
}

#[tokio::test]
async fn server_close_is_reported_and_ends_the_stream() {
    let (_server, mut client, mut conn) = connect_pair(config(true)).await;
    let close = CloseFrame {
        code: CloseCode::Library(4000),
        reason: "bye".into(),
    };
    within(conn.ws.close(Some(close))).await.expect("close");
    let closed = Event::Closed {
        code: Some(4000),
        reason: "bye".into(),
    };
    assert_eq!(next_event(&mut client).await, closed);
    assert_eq!(client.state(), ConnectionState::Disconnected);
    assert_eq!(within(client.next_event()).await, None);
    let send = client.send_event(Opcode(1), "late").await;
    assert!(matches!(send, Err(ClientError::Closed)), "{send:?}");
    let send = client.try_send(RtMessage::to_server(Opcode(1), "late"));
    assert!(matches!(send, Err(ClientError::Closed)), "{send:?}");
    assert!(matches!(
        client.wait_fast_ready(WAIT).await,
        Err(ClientError::Closed)
    ));
    // The client answered the close handshake.
    match conn.recv_message().await {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 4000),
        other => panic!("expected the close reply, got {other:?}"),
    }
}

#[tokio::test]
async fn lost_connection_is_reported_as_closed_without_code() {
    let (_server, mut client, conn) = connect_pair(config(false)).await;
    drop(conn);
    let mut events = Vec::new();
    while let Some(event) = within(client.next_event()).await {
        events.push(event);
    }
    assert!(
        matches!(events.last(), Some(Event::Closed { code: None, .. })),
        "{events:?}"
    );
    assert_eq!(client.state(), ConnectionState::Disconnected);
}

#[tokio::test]
async fn server_pings_are_answered() {
    let (_server, _client, mut conn) = connect_pair(config(false)).await;
    within(conn.ws.send(Message::Ping(Bytes::from_static(b"p"))))
        .await
        .expect("ping");
    assert_eq!(
        conn.recv_message().await,
        Message::Pong(Bytes::from_static(b"p"))
    );
}

#[tokio::test]
async fn client_pings_only_when_configured() {
    let config = ClientConfig {
        ws_ping_interval: Some(Duration::from_millis(20)),
        ..config(false)
    };
    let (_server, _client, mut conn) = connect_pair(config).await;
    assert!(matches!(conn.recv_message().await, Message::Ping(_)));
}

#[tokio::test]
async fn disconnect_sends_close_1000_after_queued_sends() {
    let (_server, client, mut conn) = connect_pair(config(true)).await;
    client.send_event(Opcode(9), "bye").await.expect("send");
    let serve = async {
        assert_eq!(conn.recv().await.op_code, 9);
        let close = conn.recv_message().await;
        // Like a real server: keep reading, so the close reply goes out and TCP ends.
        while within(conn.ws.next()).await.is_some() {}
        close
    };
    let ((), close) = within(async { tokio::join!(client.disconnect(), serve) }).await;
    match close {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected close 1000, got {other:?}"),
    }
}

#[tokio::test]
async fn dropping_the_client_closes_the_connection() {
    let (_server, client, mut conn) = connect_pair(config(true)).await;
    drop(client);
    assert!(matches!(conn.recv_message().await, Message::Close(Some(_))));
}

#[tokio::test]
async fn unreachable_server_fails_to_connect() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let result = within(Client::connect("127.0.0.1", port, token(), config(true))).await;
    assert!(matches!(result, Err(ClientError::Connect(_))), "{result:?}");
}

#[test]
fn secure_config_takes_pem_certificates_and_defaults_to_tls_12() {
    assert!(matches!(
        SecureConfig::from_ca_pem(b"no pem here"),
        Err(ClientError::Tls(_))
    ));
    let dir = std::env::temp_dir().join(format!("volley-client-pem-{}", uuid::Uuid::new_v4()));
    let files = crate::certgen::generate(&dir, &["localhost".into()], false).expect("certs");
    let pem = std::fs::read(&files.ca_cert).expect("ca.pem");
    let secure = SecureConfig::from_ca_pem(&pem).expect("pem certificates");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(secure.roots.len(), 1);
    assert!(secure.tls12_only);
    assert_eq!(secure.server_name, None);
}
