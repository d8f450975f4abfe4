//! What the server does when peers misbehave or go away, over real sockets: clients that
//! vanish, read slowly or never, send garbage, never log in or stop answering pings; the
//! connection limit; shutdown with clients connected (protocol.md §2, §5.1, §5.6, §5.11, §6).

mod support;

use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use support::*;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use tokio::time::Instant;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;
use volley::Options;
use volley::client::{Channel, Client, ClientConfig, ClientError, Event, RtMessage};
use volley::config::Config;
use volley::protocol::{
    Body, GroupId, JoinGroup, Opcode, Packet, PeerId, RequestGroupMembership, decode, encode,
};

/// Receive buffer of a slow reader's socket: without it, loopback autotuning lets the
/// reader's kernel buffer alone take tens of MB.
const SLOW_READER_RCVBUF: u32 = 4096;

/// A dev-mode server (any non-empty player session id joins `default`) with `config`.
async fn dev_server(config: Config) -> TestServer {
    TestServer::with(
        config,
        Options {
            dev: true,
            ..Options::default()
        },
    )
    .await
}

/// A client without a fast channel, like the TypeScript client.
fn ws_only() -> ClientConfig {
    ClientConfig {
        fast_channel: false,
        ..ClientConfig::default()
    }
}

/// A raw WebSocket whose socket has a tiny receive buffer, for a reader that never reads.
async fn slow_raw(server: &TestServer) -> RawWs {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .set_recv_buffer_size(SLOW_READER_RCVBUF)
        .expect("receive buffer");
    let tcp = within("tcp connect", socket.connect(server.addresses.ws))
        .await
        .expect("connected");
    let url = format!("ws://{}/websocket", server.addresses.ws);
    let (ws, _) = within(
        "upgrade",
        tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(tcp)),
    )
    .await
    .expect("websocket upgrade");
    RawWs { ws }
}

/// An application message as a client sends it on the WebSocket.
fn message(op: i32, target_player: i32, target_group: i32, payload: impl Into<Bytes>) -> Packet {
    Packet {
        op_code: op,
        target_player,
        target_group,
        reliable: true,
        payload: payload.into(),
        ..Default::default()
    }
}

fn to_player(op: i32, peer: i32, payload: impl Into<Bytes>) -> Packet {
    message(op, peer, 0, payload)
}

fn to_all(op: i32, payload: impl Into<Bytes>) -> Packet {
    message(op, 0, GroupId::ALL_PLAYERS.0, payload)
}

fn join(group: i32) -> Packet {
    Packet {
        op_code: Opcode::JOIN_GROUP.0,
        target_player: PeerId::SERVER.0,
        reliable: true,
        body: Some(Body::JoinGroup(JoinGroup { group })),
        ..Default::default()
    }
}

fn request_membership(group: i32) -> Packet {
    Packet {
        op_code: Opcode::REQUEST_GROUP_MEMBERSHIP.0,
        target_player: PeerId::SERVER.0,
        reliable: true,
        body: Some(Body::RequestGroupMembership(RequestGroupMembership {
            group,
        })),
        ..Default::default()
    }
}

/// Asserts that the raw client's next packet is this relayed application message.
async fn expect_message(raw: &mut RawWs, op: i32, sender: i32, payload: &[u8]) {
    let packet = raw.next_packet().await;
    assert_eq!(
        (packet.op_code, packet.sender, &packet.payload[..]),
        (op, sender, payload),
        "{packet:?}"
    );
}

/// Asserts that the raw client's next packet is a membership update: (sender, group, players).
async fn expect_membership(raw: &mut RawWs, expected: (i32, i32, Vec<i32>)) {
    let packet = raw.next_packet().await;
    match packet.body {
        Some(Body::GroupMembershipUpdate(update)) => {
            assert_eq!(packet.op_code, Opcode::GROUP_MEMBERSHIP_UPDATE.0);
            assert_eq!((packet.sender, update.group, update.players), expected);
        }
        other => panic!("expected a membership update, got {other:?}"),
    }
}

/// The next event of a client, sorted: data goes to the caller, membership updates to `seen`.
async fn next_data_noting_updates(
    client: &mut Client,
    seen: &mut Vec<(i32, i32, Vec<i32>)>,
) -> volley::client::DataReceived {
    loop {
        match next_event(client).await {
            Event::Data(data) => return data,
            Event::GroupMembershipUpdated {
                sender,
                group,
                players,
            } => seen.push((sender.0, group.0, players.iter().map(|p| p.0).collect())),
            Event::Closed { code, reason } => panic!("closed ({code:?} {reason}) awaiting data"),
            _ => continue,
        }
    }
}

/// How many 4000-byte messages [`fill_socket`] sends: 2 MB more than a socket's send buffer
/// grows to (Linux's `tcp_wmem` maximum, 4 MB by default), which is more than the server's
/// send buffer and a slow reader's small receive buffer hold together; at most 16 MB.
fn fill_messages() -> usize {
    let wmem_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse::<usize>().ok())
        .unwrap_or(4 << 20);
    (wmem_max + (2 << 20)).min(16 << 20) / 4000
}

/// What one message of [`fill_socket`] costs in an outbound queue, with room to spare.
const FILL_FRAME_COST: usize = 4000 + 128;

/// Sends a peer that reads nothing more than its socket holds, so the server's writer for it
/// blocks; returns once the server has queued it all. The outbound queue must be large enough.
/// Meanwhile the peer sends a message to the server now and then, so it counts as alive.
async fn fill_socket(sender: &mut Client, peer: &mut RawWs, peer_id: i32) {
    let big = Bytes::from(vec![0xee; 4000]);
    for i in 0..fill_messages() {
        let message = RtMessage::to_player(Opcode(70), PeerId(peer_id), big.clone());
        sender.send(message.reliable()).await.expect("sent");
        if i % 50 == 0 {
            peer.send(&to_player(5, PeerId::SERVER.0, "alive")).await;
        }
    }
    // The session handles a connection's packets in order: once this is back, all is queued.
    let me = sender.peer_id();
    sender
        .send(RtMessage::to_player(Opcode(71), me, "filled").reliable())
        .await
        .expect("sent");
    assert_eq!(&next_data(sender).await.payload[..], b"filled");
}

/// Connects until the server accepts a WebSocket again (a slot freed), at most `patience`;
/// returns it with the number of attempts.
async fn connect_when_a_slot_frees(server: &TestServer, patience: Duration) -> (RawWs, u64) {
    let url = format!("ws://{}/websocket", server.addresses.ws);
    let deadline = Instant::now() + patience;
    let mut attempts = 0;
    loop {
        attempts += 1;
        match within("connect", tokio_tungstenite::connect_async(url.as_str())).await {
            Ok((ws, _)) => return (RawWs { ws }, attempts),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("still refused after {attempts} attempts: {e}"),
        }
    }
}

/// WebSocket opcodes of the frames [`frames_until_eof`] returns.
const BINARY_FRAME: u8 = 0x2;
const CLOSE_FRAME: u8 = 0x8;
const PING_FRAME: u8 = 0x9;

/// Reads a raw client's socket to the end without answering anything (tungstenite would
/// answer pings, and fail on a socket the server has closed) and returns the server's
/// frames as (opcode, payload). Every frame must be final and unmasked.
async fn frames_until_eof(raw: RawWs) -> Vec<(u8, Vec<u8>)> {
    let MaybeTlsStream::Plain(mut tcp) = raw.ws.into_inner() else {
        unreachable!("plain ws:// connection")
    };
    let mut bytes = Vec::new();
    within("eof", tcp.read_to_end(&mut bytes))
        .await
        .expect("read until the server closed");
    let mut frames = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        assert!(rest.len() >= 2, "truncated frame header");
        assert_eq!(rest[0] & 0xf0, 0x80, "final frame, no extensions");
        assert_eq!(rest[1] & 0x80, 0, "server frames are not masked");
        let (len, header) = match rest[1] & 0x7f {
            126 => (usize::from(u16::from_be_bytes([rest[2], rest[3]])), 4),
            127 => {
                let len = u64::from_be_bytes(rest[2..10].try_into().expect("8 bytes"));
                (usize::try_from(len).expect("length"), 10)
            }
            len => (usize::from(len), 2),
        };
        assert!(rest.len() >= header + len, "truncated frame");
        frames.push((rest[0] & 0x0f, rest[header..header + len].to_vec()));
        rest = &rest[header + len..];
    }
    frames
}

/// A close frame as [`frames_until_eof`] returns it.
fn close_frame(code: u16, reason: &str) -> (u8, Vec<u8>) {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    (CLOSE_FRAME, payload)
}

/// Makes dropping the socket send a TCP reset instead of a FIN: the peer crashed.
fn reset_on_drop(raw: &RawWs) {
    match raw.ws.get_ref() {
        MaybeTlsStream::Plain(tcp) => tcp.set_zero_linger().expect("SO_LINGER"),
        _ => unreachable!("plain ws:// connection"),
    }
}

// 1. A client that vanishes.

#[tokio::test]
async fn a_vanished_client_leaves_its_groups_and_frees_its_slot() {
    let mut config = test_config();
    config.sessions.max_players = 2;
    let server = dev_server(config).await;
    let mut stayer = server.connect("stayer", ws_only()).await.expect("login");
    let me = stayer.peer_id().0;
    stayer.join_group(GroupId(5)).await.expect("sent");
    assert_eq!(next_membership(&mut stayer).await, (me, 5, vec![me]));

    // Once by closing the TCP connection (FIN), once by resetting it (RST); no close frame
    // either time. Each login after the first one only succeeds if the slot was freed.
    for (round, reset) in [(1, false), (2, true)] {
        let mut gone = server.raw().await;
        let peer = gone.login_ok(&format!("gone-{round}")).await;
        gone.send(&join(5)).await;
        assert_eq!(
            next_membership(&mut stayer).await,
            (peer, 5, vec![me, peer])
        );
        // Read everything sent to it, or closing would send a reset in round 1 too.
        expect_membership(&mut gone, (peer, 5, vec![me, peer])).await;
        let full = server.connect("extra", ws_only()).await;
        assert!(
            matches!(full, Err(ClientError::LoginRefused)),
            "the session is full: {full:?}"
        );
        if reset {
            reset_on_drop(&gone);
        }
        drop(gone);
        assert_eq!(next_membership(&mut stayer).await, (-1, 5, vec![me]));
    }
    let last = server
        .connect("last", ws_only())
        .await
        .expect("the vanished client's slot is free");
    last.send(RtMessage::to_player(Opcode(42), PeerId(me), "hi").reliable())
        .await
        .expect("sent");
    let got = next_data(&mut stayer).await;
    assert_eq!((got.sender, &got.payload[..]), (last.peer_id(), &b"hi"[..]));
    let metrics = server.metrics();
    assert_eq!(
        (metrics.logins_accepted, metrics.logins_refused_session),
        (4, 2),
        "{metrics:?}"
    );
    server.stop().await;
}

// 2. A slow reader.

#[tokio::test]
async fn a_slow_reader_is_closed_without_stalling_the_others() {
    const MAX_MESSAGES: usize = 2000; // At most 8 MB to each of the two readers.
    let mut config = test_config();
    config.limits.outbound_queue_bytes = 32 * 1024; // 7 of these messages.
    let server = dev_server(config).await;
    let mut watcher = server.connect("watcher", ws_only()).await.expect("login");
    let sender = server.connect("sender", ws_only()).await.expect("login");
    let pw = watcher.peer_id().0;
    watcher.join_group(GroupId(9)).await.expect("sent");
    assert_eq!(next_membership(&mut watcher).await, (pw, 9, vec![pw]));
    let mut slow = slow_raw(&server).await;
    let ps = slow.login_ok("slow").await;
    slow.send(&join(9)).await;
    assert_eq!(next_membership(&mut watcher).await, (ps, 9, vec![pw, ps]));

    // From here on the slow reader reads nothing. The sender sends every large message to
    // both; the watcher reads each one before the next is sent, so no queue ever holds more
    // than one frame for it, and the slow reader's queue only fills once its socket is full.
    let big = Bytes::from(vec![0xab; 4000]);
    let mut updates = Vec::new();
    let mut sent = 0;
    let mut slowest = Duration::ZERO;
    while server.metrics().slow_reader_closes == 0 {
        assert!(sent < MAX_MESSAGES, "the slow reader was never closed");
        let started = Instant::now();
        for peer in [ps, pw] {
            let message = RtMessage::to_player(Opcode(50), PeerId(peer), big.clone());
            sender.send(message.reliable()).await.expect("sent");
        }
        sent += 1;
        let got = next_data_noting_updates(&mut watcher, &mut updates).await;
        assert_eq!(
            (got.op_code, got.sender, got.payload.len()),
            (Opcode(50), sender.peer_id(), big.len())
        );
        slowest = slowest.max(started.elapsed());
    }
    let metrics = server.metrics();
    assert_eq!(
        (metrics.slow_reader_closes, metrics.dropped_slow_reader),
        (1, 0),
        "reliable frames are never dropped: {metrics:?}"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "the watcher waited {slowest:?} for a message"
    );

    // The slow reader is gone: the others see it leave, messages to it are dropped, and the
    // others carry on.
    if updates.is_empty() {
        assert_eq!(next_membership(&mut watcher).await, (-1, 9, vec![pw]));
    } else {
        assert_eq!(updates, vec![(-1, 9, vec![pw])]);
    }
    sender
        .send(RtMessage::to_player(Opcode(50), PeerId(ps), "late").reliable())
        .await
        .expect("sent");
    sender
        .send(RtMessage::to_player(Opcode(52), PeerId(pw), "still here").reliable())
        .await
        .expect("sent");
    assert_eq!(&next_data(&mut watcher).await.payload[..], b"still here");
    assert_eq!(server.metrics().dropped_unknown_target, 1);

    // What reached the slow reader's socket before the close is intact and in order, and the
    // connection ends with a 1008 close frame (it reads within the server's close timeout).
    let frames = frames_until_eof(slow).await;
    let (last, packets) = frames.split_last().expect("frames");
    let packets: Vec<Packet> = packets
        .iter()
        .filter(|(op, _)| *op != PING_FRAME)
        .map(|(op, frame)| {
            assert_eq!(*op, BINARY_FRAME);
            decode(Bytes::copy_from_slice(frame), 1 << 16).expect("valid packet")
        })
        .collect();
    let (update, messages) = packets.split_first().expect("the membership update");
    assert_eq!(update.op_code, Opcode::GROUP_MEMBERSHIP_UPDATE.0);
    assert!(
        messages.len() < sent,
        "{} of {sent} arrived",
        messages.len()
    );
    for message in messages {
        assert_eq!(
            (message.op_code, message.sender, &message.payload[..]),
            (50, sender.peer_id().0, &big[..])
        );
    }
    assert_eq!(*last, close_frame(1008, "slow_reader"));
    server.stop().await;
}

#[tokio::test]
async fn a_burst_over_the_whole_outbound_budget_closes_the_reader_once() {
    const BUDGET: usize = 2048;
    let mut config = test_config();
    config.limits.max_frame_bytes = 1024;
    config.limits.max_reliable_payload_bytes = 512;
    config.limits.outbound_queue_bytes = BUDGET;
    // Each 100-byte message costs more than 164 bytes of the budget.
    let fits = BUDGET / 164;
    let server = dev_server(config).await;
    let mut watcher = server.raw().await;
    let pw = watcher.login_ok("watcher").await;
    let mut reader = server.raw().await;
    let pr = reader.login_ok("reader").await;
    let mut sender = server.raw().await;
    let ps = sender.login_ok("sender").await;

    // 32 messages in one write: the session handles them in one go, before the reader's
    // writer can take anything from its queue, which holds fewer.
    for i in 0..32u8 {
        let frame = encode(&to_player(50, pr, vec![i; 100]));
        within("feed", sender.ws.feed(Message::Binary(frame)))
            .await
            .expect("queued");
    }
    sender.send(&to_player(51, pw, "after")).await;
    expect_message(&mut watcher, 51, ps, b"after").await;
    let metrics = server.metrics();
    assert_eq!(
        metrics.slow_reader_closes, 1,
        "one close, counted once: {metrics:?}"
    );
    // Whatever the writer took from the queue before the close comes first, in order.
    for i in 0..=fits as u8 {
        match reader.next().await {
            Seen::Packet(packet) => {
                assert!(usize::from(i) < fits, "at most a full queue arrives");
                assert_eq!(
                    (packet.op_code, packet.sender, &packet.payload[..]),
                    (50, ps, &[i; 100][..])
                );
            }
            Seen::Closed(code) => {
                assert_eq!(code, Some(1008));
                break;
            }
        }
    }
    server.stop().await;
}

// 3. Fast-intent messages to a slow reader.

#[tokio::test]
async fn fast_messages_to_a_slow_reader_are_dropped_and_it_stays_connected() {
    const MESSAGES: u32 = 3000; // 3000 x 1200 bytes = 3.6 MB over UDP.
    let mut config = test_config();
    config.limits.outbound_queue_bytes = 16 * 1024;
    let server = dev_server(config).await;
    let sender = server
        .connect("sender", ClientConfig::default())
        .await
        .expect("login");
    within("fast path", sender.wait_fast_ready(STEP))
        .await
        .expect("bound");
    let mut slow = slow_raw(&server).await;
    let ps = slow.login_ok("slow").await;

    // Fast-intent messages travel by UDP; the slow reader has no fast channel, so they fall
    // back to its WebSocket, as droppable frames.
    let mut payload = vec![0xcd; 1200];
    for i in 0..MESSAGES {
        payload[..4].copy_from_slice(&i.to_be_bytes());
        sender
            .send(RtMessage::to_player(
                Opcode(60),
                PeerId(ps),
                payload.clone(),
            ))
            .await
            .expect("sent");
    }
    eventually("fast frames dropped for the slow reader", async || {
        server.metrics().dropped_slow_reader > 0
    })
    .await;
    let dropped = server.metrics().dropped_slow_reader; // Maybe not all yet; none are 61s.

    // The slow reader catches up: it gets what was queued, in order, then later messages;
    // nothing closed it. Fast messages may be lost, so the later one is repeated until seen.
    let mut received = 0u32;
    let mut last_index = None;
    let mut retry = tokio::time::interval(Duration::from_millis(50));
    let mut caught_up = false;
    for _ in 0..MESSAGES + 1000 {
        tokio::select! {
            seen = slow.next() => {
                let packet = match seen {
                    Seen::Packet(packet) => packet,
                    Seen::Closed(code) => panic!("slow reader closed with {code:?}"),
                };
                assert_eq!(packet.sender, sender.peer_id().0);
                if packet.op_code == 61 {
                    caught_up = true;
                    break;
                }
                assert_eq!((packet.op_code, packet.payload.len()), (60, 1200));
                let index = u32::from_be_bytes(packet.payload[..4].try_into().expect("4 bytes"));
                assert!(last_index < Some(index), "in order: {index} after {last_index:?}");
                last_index = Some(index);
                received += 1;
            }
            _ = retry.tick() => {
                sender
                    .send(RtMessage::to_player(Opcode(61), PeerId(ps), "later"))
                    .await
                    .expect("sent");
            }
        }
    }
    assert!(caught_up, "the later message never arrived");
    let metrics = server.metrics();
    assert_eq!(metrics.slow_reader_closes, 0, "{metrics:?}");
    assert!(
        u64::from(received) + dropped <= u64::from(MESSAGES),
        "{received} received, {dropped} dropped"
    );
    // And reliable messages reach it again.
    sender
        .send(RtMessage::to_player(Opcode(62), PeerId(ps), "reliable").reliable())
        .await
        .expect("sent");
    for _ in 0..100 {
        let packet = slow.next_packet().await;
        if packet.op_code == 62 {
            assert_eq!(&packet.payload[..], b"reliable");
            server.stop().await;
            return;
        }
        assert_eq!(
            packet.op_code, 61,
            "only repeats of the later message before it"
        );
    }
    panic!("the reliable message never arrived");
}

// 4. Malformed input.

#[tokio::test]
async fn garbage_frames_and_bad_length_prefixes_are_dropped_and_the_connection_keeps_working() {
    let server = TestServer::dev().await;
    let mut target = server.raw().await;
    let pt = target.login_ok("target").await;
    let mut sender = server.raw().await;
    let ps = sender.login_ok("sender").await;

    let garbage: [&[u8]; 5] = [
        &[],                       // no length prefix at all
        &[0xff; 11],               // the prefix is not a varint
        &[0x05, 0x08, 0x14],       // the prefix says 5 bytes, 2 follow
        &[0xff, 0xff, 0x03],       // the prefix says 65535 bytes, over the limit
        &[0x03, 0x0a, 0xff, 0xff], // opCode with the wrong wire type: not a Packet
    ];
    for frame in garbage {
        sender.send_bytes(frame.to_vec()).await;
    }
    within(
        "text frame",
        sender
            .ws
            .send(Message::Text(r#"{"opCode": 42, "targetGroup": -1}"#.into())),
    )
    .await
    .expect("sent");
    // Trailing bytes after the announced length are ignored (protocol.md §2.1).
    let mut trailing = encode(&to_player(42, pt, "trailing")).to_vec();
    trailing.extend_from_slice(&[0xde, 0xad]);
    sender.send_bytes(trailing).await;
    sender.send(&to_player(42, pt, "valid")).await;

    expect_message(&mut target, 42, ps, b"trailing").await;
    expect_message(&mut target, 42, ps, b"valid").await;
    let metrics = server.metrics();
    assert_eq!(
        (
            metrics.malformed_in,
            metrics.text_frames_in,
            metrics.frames_in
        ),
        (5, 1, 2 + 5 + 2),
        "{metrics:?}"
    );
    // The sender's connection works both ways.
    target.send(&to_player(43, ps, "back")).await;
    expect_message(&mut sender, 43, pt, b"back").await;
    server.stop().await;
}

#[tokio::test]
async fn a_frame_over_max_frame_bytes_closes_only_that_connection() {
    let server = TestServer::dev().await;
    let max_frame = test_config().limits.max_frame_bytes;
    let mut stayer = server.connect("stayer", ws_only()).await.expect("login");
    let me = stayer.peer_id().0;
    stayer.join_group(GroupId(7)).await.expect("sent");
    assert_eq!(next_membership(&mut stayer).await, (me, 7, vec![me]));
    let mut other = server.raw().await;
    let po = other.login_ok("other").await;
    let mut big = server.raw().await;
    let pb = big.login_ok("big").await;
    big.send(&join(7)).await;
    expect_membership(&mut big, (pb, 7, vec![me, pb])).await;
    assert_eq!(next_membership(&mut stayer).await, (pb, 7, vec![me, pb]));

    // Exactly the limit: read, fails to decode (its prefix is over the limit), dropped.
    let mut frame = vec![0u8; max_frame];
    frame[..3].copy_from_slice(&[0xff, 0xff, 0x03]);
    big.send_bytes(frame).await;
    big.send(&to_player(42, me, "still open")).await;
    let got = next_data(&mut stayer).await;
    assert_eq!((got.sender.0, &got.payload[..]), (pb, &b"still open"[..]));
    assert_eq!(server.metrics().malformed_in, 1);

    // One byte more: the connection is closed with 1009 (message too big).
    big.send_bytes(vec![0u8; max_frame + 1]).await;
    assert!(
        matches!(big.next().await, Seen::Closed(Some(1009))),
        "connection closed with 1009"
    );
    assert_eq!(next_membership(&mut stayer).await, (-1, 7, vec![me]));
    assert_eq!(server.metrics().malformed_in, 2);

    // The others are unaffected.
    stayer
        .send(RtMessage::to_player(Opcode(43), PeerId(po), "fine").reliable())
        .await
        .expect("sent");
    expect_message(&mut other, 43, me, b"fine").await;
    other.send(&to_player(44, me, "fine too")).await;
    let got = next_data(&mut stayer).await;
    assert_eq!((got.sender.0, &got.payload[..]), (po, &b"fine too"[..]));
    server.stop().await;
}

#[tokio::test]
async fn a_payload_over_4096_bytes_is_dropped_and_the_connection_stays() {
    let server = TestServer::dev().await;
    let mut target = server.raw().await;
    let pt = target.login_ok("target").await;
    let mut sender = server.raw().await;
    let ps = sender.login_ok("sender").await;

    sender.send(&to_player(42, pt, vec![1u8; 4097])).await;
    sender.send(&to_all(42, vec![2u8; 4097])).await;
    sender.send(&to_player(42, pt, vec![3u8; 4096])).await;
    expect_message(&mut target, 42, ps, &[3u8; 4096]).await;
    assert_eq!(server.metrics().dropped_oversized, 2);
    // The group message was not echoed to the sender either, and it is still connected.
    target.send(&to_player(43, ps, "ok")).await;
    expect_message(&mut sender, 43, pt, b"ok").await;
    server.stop().await;
}

#[tokio::test]
async fn server_only_opcodes_from_a_client_are_dropped_and_not_relayed() {
    let server = TestServer::dev().await;
    let mut target = server.raw().await;
    let pt = target.login_ok("target").await;
    let mut sender = server.raw().await;
    let ps = sender.login_ok("sender").await;

    let server_only = [-1, -3, -6, -13, -15, -101, -103, -1000, -1001];
    for op in server_only {
        sender.send(&to_player(op, pt, "forged")).await;
        sender.send(&to_all(op, "forged")).await;
    }
    // Other negative opcodes are application messages (protocol.md §4.1, Q10).
    sender.send(&to_all(-500, "app")).await;
    expect_message(&mut target, -500, ps, b"app").await;
    expect_message(&mut sender, -500, ps, b"app").await;
    assert_eq!(
        server.metrics().dropped_server_only_opcode,
        2 * server_only.len() as u64
    );
    server.stop().await;
}

#[tokio::test]
async fn packets_before_login_are_ignored_and_a_later_login_works() {
    let server = TestServer::dev().await;
    let mut target = server.raw().await;
    let pt = target.login_ok("target").await;

    let mut late = server.raw().await;
    late.send(&join(5)).await;
    late.send(&to_all(42, "too early")).await;
    late.send(&Packet {
        body: Some(Body::Ping(Default::default())),
        ..to_player(-2, -1, "")
    })
    .await;
    late.send_bytes(vec![0xff; 11]).await;
    within("text frame", late.ws.send(Message::Text("hello".into())))
        .await
        .expect("sent");
    // The LOGIN_RESULT is the first thing the server sends: no ping result, no membership.
    let pl = late.login_ok("late").await;
    let metrics = server.metrics();
    assert_eq!(
        (
            metrics.packets_before_login,
            metrics.malformed_in,
            metrics.text_frames_in
        ),
        (3, 1, 1),
        "{metrics:?}"
    );
    // The early JOIN had no effect, and the early message was not relayed.
    late.send(&request_membership(5)).await;
    expect_membership(&mut late, (pl, 5, vec![])).await;
    late.send(&to_player(42, pt, "in time")).await;
    expect_message(&mut target, 42, pl, b"in time").await;
    server.stop().await;
}

#[tokio::test]
async fn garbage_and_unknown_sender_datagrams_are_counted_and_harm_nobody() {
    let server = TestServer::dev().await;
    let mut a = server
        .connect("a", ClientConfig::default())
        .await
        .expect("login");
    let mut b = server
        .connect("b", ClientConfig::default())
        .await
        .expect("login");
    within("a fast", a.wait_fast_ready(STEP))
        .await
        .expect("bound");
    within("b fast", b.wait_fast_ready(STEP))
        .await
        .expect("bound");
    // Both paths confirmed (client acks in): the clients send no more datagrams of their own.
    a.send(RtMessage::to_player(Opcode(41), b.peer_id(), "ab"))
        .await
        .expect("sent");
    assert_eq!(next_data(&mut b).await.channel, Channel::Fast);
    b.send(RtMessage::to_player(Opcode(41), a.peer_id(), "ba"))
        .await
        .expect("sent");
    assert_eq!(next_data(&mut a).await.channel, Channel::Fast);
    let before = server.metrics();

    let stranger = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let forged = |sender: i32| {
        let mut packet = to_player(42, b.peer_id().0, "forged");
        packet.sender = sender;
        packet.reliable = false;
        packet.sequence_number = 1_000_000;
        encode(&packet)
    };
    let datagrams: [&[u8]; 5] = [
        &[],                       // empty
        &[0xff; 11],               // the prefix is not a varint
        &[0x03, 0x0a, 0xff, 0xff], // not a Packet
        &vec![0u8; 9000],          // over max_frame_bytes
        &forged(i32::MAX),         // no such player
    ];
    for datagram in datagrams {
        within("udp send", stranger.send_to(datagram, server.addresses.udp))
            .await
            .expect("sent");
    }
    // A's peer id from an address that is not A's: not even decoded.
    within(
        "udp send",
        stranger.send_to(&forged(a.peer_id().0), server.addresses.udp),
    )
    .await
    .expect("sent");
    // A UDP_CONNECT naming A from another address (same IP, so the IP check passes): A's
    // channel is confirmed and does not move.
    let mut takeover = udp_connect(a.peer_id().0);
    takeover.sequence_number = 1_000_001;
    within(
        "udp send",
        stranger.send_to(&encode(&takeover), server.addresses.udp),
    )
    .await
    .expect("sent");
    eventually("all datagrams handled", async || {
        let m = server.metrics();
        m.datagrams_in - before.datagrams_in >= 7 && m.dropped_already_bound == 1
    })
    .await;
    let after = server.metrics();
    assert_eq!(
        (
            after.datagrams_in - before.datagrams_in,
            after.malformed_in,
            after.datagrams_unknown_source - before.datagrams_unknown_source,
            after.datagrams_unknown_sender,
            after.dropped_already_bound,
        ),
        // Only the oversized one is malformed: the rest come from an address bound to
        // nobody and are not UDP_CONNECT, so they are dropped unread.
        (7, 1, 5, 0, 1),
        "{after:?}"
    );

    // Nobody relayed the forgery, and the real players still talk over UDP.
    a.send(RtMessage::to_player(Opcode(42), b.peer_id(), "real"))
        .await
        .expect("sent");
    let got = next_data(&mut b).await;
    assert_eq!(
        (got.sender, got.channel, &got.payload[..]),
        (a.peer_id(), Channel::Fast, &b"real"[..])
    );
    let mut buf = [0u8; 64];
    let answer =
        tokio::time::timeout(Duration::from_millis(100), stranger.recv_from(&mut buf)).await;
    assert!(answer.is_err(), "the stranger got an answer: {answer:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_flooding_player_is_held_to_its_rate_then_closed_while_the_others_play_on() {
    let mut config = test_config();
    config.limits.player_messages_per_sec = Some(50);
    config.limits.player_message_burst = 50;
    config.limits.player_over_rate_close = Some(Duration::from_secs(1));
    let server = dev_server(config).await;
    let mut watcher = server.raw().await;
    let pw = watcher.login_ok("watcher").await;
    let mut flooder = server.raw().await;
    let pf = flooder.login_ok("flooder").await;

    // About 500 messages a second, ten times the rate, until the server closes the flooder.
    let mut pace = tokio::time::interval(Duration::from_millis(10));
    let mut code = None;
    for _ in 0..500 {
        pace.tick().await;
        for _ in 0..5 {
            let frame = encode(&to_player(40, pw, "flood"));
            if flooder.ws.feed(Message::Binary(frame)).await.is_err() {
                break;
            }
        }
        if flooder.ws.flush().await.is_err() {
            break;
        }
        if server.metrics().over_rate_closes > 0 {
            break;
        }
    }
    // The flooder's close, after whatever was still on its way to it.
    for _ in 0..10_000 {
        match flooder.next().await {
            Seen::Closed(seen) => {
                code = seen;
                break;
            }
            Seen::Packet(_) => continue,
        }
    }
    assert_eq!(code, Some(1008), "closed for its rate");
    let metrics = server.metrics();
    assert_eq!(metrics.over_rate_closes, 1, "{metrics:?}");
    assert!(metrics.dropped_over_rate > 0, "{metrics:?}");

    // The others play on.
    let mut watcher_b = server.raw().await;
    let pb = watcher_b.login_ok("another").await;
    watcher_b.send(&to_player(41, pw, "hello")).await;
    loop {
        let packet = watcher.next_packet().await;
        if packet.op_code == 41 {
            assert_eq!((packet.sender, &packet.payload[..]), (pb, &b"hello"[..]));
            break;
        }
        assert_eq!(
            (packet.op_code, packet.sender),
            (40, pf),
            "only the flood before"
        );
    }
    server.stop().await;
}

// 5. Login timeout.

#[tokio::test]
async fn a_connection_without_login_is_closed_with_1008_after_the_login_timeout() {
    let mut config = test_config();
    config.limits.login_timeout = Duration::from_millis(300);
    let server = dev_server(config).await;
    let started = Instant::now();
    let mut silent = server.raw().await;
    let mut chatty = server.raw().await;
    // Packets other than LOGIN do not extend the deadline.
    chatty.send(&to_all(42, "hello?")).await;
    let mut punctual = server.raw().await;
    let pp = punctual.login_ok("punctual").await;

    assert!(matches!(silent.next().await, Seen::Closed(Some(1008))));
    assert!(matches!(chatty.next().await, Seen::Closed(Some(1008))));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "closed after {waited:?}"
    );
    let metrics = server.metrics();
    assert_eq!(
        (metrics.login_timeouts, metrics.packets_before_login),
        (2, 1),
        "{metrics:?}"
    );
    // A client that logged in in time is not affected by the login timeout.
    punctual.send(&to_player(42, pp, "to myself")).await;
    expect_message(&mut punctual, 42, pp, b"to myself").await;
    server.stop().await;
}

// 6. Dead-peer timeout.

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_disconnected_after_the_idle_timeout() {
    let mut config = test_config();
    config.sessions.ping_interval = Duration::from_millis(100);
    config.sessions.idle_timeout = Duration::from_millis(500);
    let server = dev_server(config).await;
    let mut alive = server.connect("alive", ws_only()).await.expect("login");
    let pa = alive.peer_id().0;
    alive.join_group(GroupId(3)).await.expect("sent");
    assert_eq!(next_membership(&mut alive).await, (pa, 3, vec![pa]));

    let mut dead = server.raw().await;
    let pd = dead.login_ok("dead").await;
    let last_sign_of_life = Instant::now(); // The server hears the JOIN after this.
    dead.send(&join(3)).await;
    // From here on `dead` is not polled, so its pings go unanswered.
    assert_eq!(next_membership(&mut alive).await, (pd, 3, vec![pa, pd]));
    assert_eq!(next_membership(&mut alive).await, (-1, 3, vec![pa]));
    let silent_for = last_sign_of_life.elapsed();
    assert!(
        silent_for >= Duration::from_millis(500),
        "disconnected after {silent_for:?}"
    );
    let metrics = server.metrics();
    assert_eq!(metrics.idle_timeouts, 1, "{metrics:?}");

    // What the dead peer's socket holds: its update, unanswered pings, then a 1001 close.
    let frames = frames_until_eof(dead).await;
    let (first, rest) = frames.split_first().expect("frames");
    let (last, pings) = rest.split_last().expect("a close frame");
    assert_eq!(first.0, BINARY_FRAME);
    let update = decode(Bytes::copy_from_slice(&first.1), 1 << 16).expect("valid packet");
    assert_eq!((update.op_code, update.sender), (-13, pd));
    assert!(
        pings.iter().all(|frame| *frame == (PING_FRAME, vec![])),
        "{pings:?}"
    );
    assert!(!pings.is_empty(), "pinged while silent");
    assert_eq!(*last, close_frame(1001, "idle_timeout"));
    // The live client, which answers pings, is still there.
    alive
        .send(RtMessage::to_group(Opcode(42), GroupId(3), "alone").reliable())
        .await
        .expect("sent");
    assert_eq!(&next_data(&mut alive).await.payload[..], b"alone");
    assert_eq!(server.metrics().idle_timeouts, 1);
    server.stop().await;
}

#[tokio::test]
async fn a_dead_peer_whose_socket_is_full_is_still_disconnected() {
    let mut config = test_config();
    config.sessions.ping_interval = Duration::from_millis(100);
    config.sessions.idle_timeout = Duration::from_millis(500);
    config.limits.max_connections = 2;
    // Never closed as a slow reader.
    config.limits.outbound_queue_bytes = 2 * fill_messages() * FILL_FRAME_COST;
    let server = dev_server(config).await;
    let mut alive = server.connect("alive", ws_only()).await.expect("login");
    let pa = alive.peer_id().0;
    alive.join_group(GroupId(3)).await.expect("sent");
    assert_eq!(next_membership(&mut alive).await, (pa, 3, vec![pa]));
    let mut dead = slow_raw(&server).await;
    let pd = dead.login_ok("dead").await;
    dead.send(&join(3)).await;
    assert_eq!(next_membership(&mut alive).await, (pd, 3, vec![pa, pd]));

    // The peer stops reading; more is sent to it than its socket holds, so the server cannot
    // write to it any more. Then it falls silent.
    fill_socket(&mut alive, &mut dead, pd).await;
    let silent_since = Instant::now(); // The server hears this message after this.
    dead.send(&to_player(5, PeerId::SERVER.0, "last words"))
        .await;
    assert_eq!(next_membership(&mut alive).await, (-1, 3, vec![pa]));
    let silent_for = silent_since.elapsed();
    assert!(
        silent_for >= Duration::from_millis(500),
        "gone after {silent_for:?}"
    );
    let metrics = server.metrics();
    assert_eq!(
        (metrics.idle_timeouts, metrics.slow_reader_closes),
        (1, 0),
        "{metrics:?}"
    );

    // Its connection really ends, although nothing more can be written to it: the slot of
    // the two allowed connections frees within the server's close timeout (2 s).
    let (mut next, _) = connect_when_a_slot_frees(&server, Duration::from_secs(4)).await;
    let pn = next.login_ok("next").await;
    next.send(&to_player(42, pa, "hello")).await;
    let got = next_data(&mut alive).await;
    assert_eq!((got.sender.0, &got.payload[..]), (pn, &b"hello"[..]));
    drop(dead);
    server.stop().await;
}

// 7. Connection limit.

#[tokio::test]
async fn connections_over_max_connections_are_closed_until_one_frees_up() {
    let mut config = test_config();
    config.limits.max_connections = 2;
    let server = dev_server(config).await;
    let url = format!("ws://{}/websocket", server.addresses.ws);
    let mut first = server.raw().await;
    let mut second = server.raw().await;

    let refused = within(
        "third connection",
        tokio_tungstenite::connect_async(url.as_str()),
    )
    .await;
    assert!(refused.is_err(), "third connection refused");
    let metrics = server.metrics();
    assert_eq!(
        (metrics.connections_accepted, metrics.connections_over_limit),
        (2, 1),
        "{metrics:?}"
    );
    // The two open ones are unaffected.
    let p1 = first.login_ok("first").await;
    let p2 = second.login_ok("second").await;
    first.send(&to_player(42, p2, "hi")).await;
    expect_message(&mut second, 42, p1, b"hi").await;

    drop(first);
    // The slot frees once the server has noticed.
    let (mut third, attempts) = connect_when_a_slot_frees(&server, Duration::from_secs(2)).await;
    let p3 = third.login_ok("third").await;
    third.send(&to_player(42, p2, "me too")).await;
    expect_message(&mut second, 42, p3, b"me too").await;
    let metrics = server.metrics();
    assert_eq!(
        (metrics.connections_accepted, metrics.connections_over_limit),
        (3, attempts),
        "{metrics:?}"
    );
    server.stop().await;
}

// 8. Shutdown.

#[tokio::test]
async fn shutdown_closes_every_connected_client_with_1001() {
    let server = TestServer::dev().await;
    let mut fast = server
        .connect("fast", ClientConfig::default())
        .await
        .expect("login");
    within("fast path", fast.wait_fast_ready(STEP))
        .await
        .expect("bound");
    let mut ws = server.connect("ws", ws_only()).await.expect("login");
    let mut raw = server.raw().await;
    raw.login_ok("raw").await;
    let mut not_logged_in = server.raw().await;

    server.stop().await;
    assert_eq!(next_close(&mut fast).await, Some(1001));
    assert_eq!(next_close(&mut ws).await, Some(1001));
    assert!(matches!(raw.next().await, Seen::Closed(Some(1001))));
    assert!(matches!(
        not_logged_in.next().await,
        Seen::Closed(Some(1001))
    ));
}

#[tokio::test]
async fn shutdown_does_not_wait_for_peers_that_never_upgrade_or_never_read() {
    let mut config = test_config();
    config.limits.outbound_queue_bytes = 2 * fill_messages() * FILL_FRAME_COST;
    let server = dev_server(config).await;
    let mut sender = server.connect("sender", ws_only()).await.expect("login");
    let mut stuck = slow_raw(&server).await;
    let pk = stuck.login_ok("stuck").await;
    fill_socket(&mut sender, &mut stuck, pk).await;
    // A TCP connection that never starts the WebSocket handshake (10 s allowed by default).
    let mut idle_tcp = within("tcp connect", TcpStream::connect(server.addresses.ws))
        .await
        .expect("connected");
    eventually("the server accepted it", async || {
        server.metrics().connections_accepted == 3
    })
    .await;

    let started = Instant::now();
    server.stop().await; // Asserts that every task finished within the 5 s grace period.
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "shutdown took {took:?}");
    assert_eq!(next_close(&mut sender).await, Some(1001));
    let mut buf = [0u8; 16];
    let read = within("tcp eof", idle_tcp.read(&mut buf)).await;
    assert!(matches!(read, Ok(0)), "closed: {read:?}");
    drop(stuck);
}

#[tokio::test]
async fn a_flood_of_udp_connects_from_one_ip_is_rate_limited_and_others_still_bind() {
    let server = TestServer::dev().await;
    let before = server.metrics();
    // From one address: the budget is per source address (20 per second).
    let flooder = UdpSocket::bind("127.0.0.2:0")
        .await
        .expect("bind 127.0.0.2");
    let datagram = encode(&udp_connect(i32::MAX));
    const FLOOD: u64 = 200;
    for _ in 0..FLOOD {
        within("udp send", flooder.send_to(&datagram, server.addresses.udp))
            .await
            .expect("sent");
    }
    eventually("flood handled", async || {
        let m = server.metrics();
        m.datagrams_in - before.datagrams_in >= FLOOD
    })
    .await;
    let m = server.metrics();
    let (limited, routed) = (m.udp_handshakes_rate_limited, m.datagrams_unknown_sender);
    // 20 per second pass; the flood takes well under two seconds to send.
    assert_eq!(limited + routed, FLOOD, "{m:?}");
    assert!(limited >= FLOOD - 100, "{m:?}");
    let client = server
        .connect("after-flood", ClientConfig::default())
        .await
        .expect("login");
    within("fast", client.wait_fast_ready(STEP))
        .await
        .expect("bound");
    server.stop().await;
}
