//! Hot paths without sockets: decoding a packet, one message fanned out by the core to a
//! game session of 8 players over the fast channel and over the WebSocket, and one call of a
//! script's onSendToGroup. Run with `cargo bench --bench core`; figures and machine in
//! BENCHMARKS.md.

#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use volley::core::{
    ConnId, HookMessage, Hooks, LoginRequest, Output, PeerIds, Session, SessionConfig,
};
use volley::metrics::Metrics;
use volley::protocol::{Body, GroupId, Opcode, Packet, PeerId, UdpConnectMessage, decode, encode};
use volley::script::{Bundle, Limits, ScriptInstance};

const PLAYERS: u64 = 8;
const IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn message(sender: PeerId, seq: i32) -> Packet {
    Packet {
        op_code: 10,
        sequence_number: seq,
        target_group: -1,
        sender: sender.0,
        payload: Bytes::from(vec![7u8; 64]),
        ..Default::default()
    }
}

/// A session of 8 players whose fast paths are confirmed.
fn session() -> (Session, Vec<PeerId>) {
    let mut session = Session::new(SessionConfig::default(), PeerIds::new());
    let now = Instant::now();
    let mut peers = Vec::new();
    for i in 0..PLAYERS {
        let login = LoginRequest {
            player_session_id: format!("p{i}"),
            payload: Bytes::new(),
            ip: IP,
            secure: None,
        };
        let peer = session
            .handle_login(now, ConnId(i), login)
            .expect("room for 8");
        let addr = SocketAddr::new(IP, 5000 + i as u16);
        for (op, seq) in [
            (Opcode::UDP_CONNECT, 0),
            (Opcode::UDP_CONNECT_CLIENT_ACK, 1),
        ] {
            let packet = Packet {
                op_code: op.0,
                sequence_number: seq,
                target_player: -1,
                sender: peer.0,
                body: Some(Body::UdpConnect(UdpConnectMessage {})),
                ..Default::default()
            };
            session.handle_datagram(now, addr, packet);
        }
        peers.push(peer);
    }
    while session.poll_output().is_some() {}
    (session, peers)
}

fn drain(session: &mut Session) {
    while let Some(output) = session.poll_output() {
        black_box(&output);
        if let Output::SendFast { packet, seq, .. } = &output {
            black_box(packet.header(*seq));
        }
    }
}

fn benches(c: &mut Criterion) {
    let frame = encode(&message(PeerId(1), 5));
    let mut group = c.benchmark_group("protocol");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode_64_byte_message", |b| {
        b.iter(|| decode(black_box(frame.clone()), 8192).expect("valid"))
    });
    group.finish();

    let mut group = c.benchmark_group("core_fan_out");
    group.throughput(Throughput::Elements(PLAYERS));
    group.bench_function("fast_to_8_players", |b| {
        let (mut session, peers) = session();
        let from = SocketAddr::new(IP, 5000);
        let mut seq = 2;
        let now = Instant::now();
        b.iter(|| {
            seq += 1;
            session.handle_datagram(now, from, message(peers[0], seq));
            drain(&mut session);
        })
    });
    group.bench_function("reliable_to_8_players", |b| {
        let (mut session, peers) = session();
        let now = Instant::now();
        b.iter(|| {
            session.handle_packet(now, ConnId(0), message(peers[0], 0));
            drain(&mut session);
        })
    });
    group.finish();

    let mut group = c.benchmark_group("script");
    group.throughput(Throughput::Elements(1));
    group.bench_function("on_send_to_group_64_bytes", |b| {
        let mut script = hook_script();
        let payload = [7u8; 64];
        let message = HookMessage {
            opcode: 100,
            sender: PeerId(1),
            target_player: PeerId::NONE,
            target_group: GroupId::ALL_PLAYERS,
            payload: &payload,
            reliable: false,
        };
        b.iter(|| assert!(script.send_to_group(black_box(&message))))
    });
    group.finish();
}

/// The benchmark's hook script (`benches/scripts/on-send-to-group.js`), started.
fn hook_script() -> ScriptInstance {
    let source = include_str!("scripts/on-send-to-group.js");
    let bundle = Bundle {
        script_id: "script-bench".into(),
        revision: 1,
        version: None,
        entry: "index.js".into(),
        files: [("index.js".to_owned(), source.to_owned())].into(),
    };
    let limits = Limits {
        callback_timeout: Duration::from_millis(50),
        cpu_budget: Duration::from_millis(250),
        start_timeout: Duration::from_secs(5),
        memory_limit_bytes: 32 << 20,
        deny_on_error: false,
        max_consecutive_failures: 0,
        max_queued_send_bytes: 512 << 10,
    };
    let metrics = Arc::new(Metrics::default());
    ScriptInstance::start(Arc::new(bundle), "bench", limits, 4096, metrics).expect("starts")
}

criterion_group!(core, benches);
criterion_main!(core);
