//! Bursts that a player who reads keeps up with: a client sending hundreds of reliable
//! messages in one write (over `wss://` too, and with writers that hold frames), hundreds of
//! fast messages at once, and a script sending a thousand in one callback.
//! Every reading player gets every message and stays connected; only a reader whose queue
//! cannot drain is closed (`robustness.rs`).

mod support;

use futures_util::SinkExt;
use support::*;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::Message;
use volley::Options;
use volley::client::{Channel, RtMessage};
use volley::config::{AuthMode, SecureMode};
use volley::protocol::{GroupId, Opcode, Packet, encode};

/// Players in the game session, the sender among them (group messages come back to it).
const PLAYERS: usize = 4;

/// A reliable message to every player, as a client sends it on the WebSocket.
fn to_all(op: i32, payload: Vec<u8>) -> Packet {
    Packet {
        op_code: op,
        target_group: GroupId::ALL_PLAYERS.0,
        reliable: true,
        payload: payload.into(),
        ..Default::default()
    }
}

/// Reads `count` packets with `op` in order of their payload's counter, failing on a close.
async fn expect_sequence<S: AsyncRead + AsyncWrite + Unpin>(
    raw: &mut RawWs<S>,
    op: i32,
    count: u32,
) {
    let mut next = 0u32;
    for _ in 0..count * 2 {
        if next == count {
            return;
        }
        let packet = raw.next_packet().await;
        if packet.op_code != op {
            continue; // Membership updates and the like.
        }
        let seen = u32::from_le_bytes(packet.payload[..4].try_into().expect("counter"));
        assert_eq!(seen, next, "messages arrive in order, none lost");
        next += 1;
    }
    assert_eq!(next, count, "every message arrived");
}

/// One client sends `count` small reliable messages to all players in a single write; every
/// player reads all of them. `count` stays within one player's message burst
/// (`limits.player_message_burst`).
async fn burst_reaches_everyone<S: AsyncRead + AsyncWrite + Unpin>(
    server: &TestServer,
    players: &mut [RawWs<S>],
    count: u32,
) {
    for (i, raw) in players.iter_mut().enumerate() {
        raw.login_ok(&format!("player-{i}")).await;
    }
    let sender = &mut players[0];
    for i in 0..count {
        let mut payload = i.to_le_bytes().to_vec();
        payload.extend_from_slice(&[7; 28]);
        let frame = encode(&to_all(40, payload));
        within("feed", sender.ws.feed(Message::Binary(frame)))
            .await
            .expect("queued");
    }
    within("flush", sender.ws.flush()).await.expect("flushed");
    for raw in players.iter_mut() {
        expect_sequence(raw, 40, count).await;
    }
    let metrics = server.metrics();
    assert_eq!(
        (metrics.slow_reader_closes, metrics.dropped_slow_reader),
        (0, 0),
        "{metrics:?}"
    );
}

#[tokio::test]
async fn a_burst_of_reliable_messages_over_wss_reaches_every_player() {
    let dir = TempDir::new();
    let server = dev_secure_server(&dir, SecureMode::Secure).await;
    let ca = dir.path().join("ca.pem");
    let tls = tls_client_config(&ca, &[&rustls::version::TLS12]);
    let mut players = Vec::new();
    for _ in 0..PLAYERS {
        players.push(raw_wss(server.addresses.ws, tls.clone()).await);
    }
    burst_reaches_everyone(&server, &mut players, 1000).await;
    server.stop().await;
}

#[tokio::test]
async fn a_burst_of_reliable_messages_over_ws_reaches_every_player() {
    let server = TestServer::dev().await;
    let mut players = Vec::new();
    for _ in 0..PLAYERS {
        players.push(server.raw().await);
    }
    burst_reaches_everyone(&server, &mut players, 1000).await;
    server.stop().await;
}

/// With `game.flush_interval_ms`, a writer holds a lone frame for the interval, and a burst
/// still reaches everyone in order.
#[tokio::test]
async fn held_writes_still_deliver_every_frame_in_order_after_the_interval() {
    let mut config = test_config();
    config.game.flush_interval = std::time::Duration::from_millis(40);
    let options = Options {
        dev: true,
        ..Options::default()
    };
    let server = TestServer::with(config, options).await;
    let mut players = Vec::new();
    for _ in 0..PLAYERS {
        players.push(server.raw().await);
    }
    burst_reaches_everyone(&server, &mut players, 200).await;
    // A lone message waits for the interval: the sender's own echo comes no sooner.
    let sender = &mut players[0];
    let sent = std::time::Instant::now();
    let mut payload = 0u32.to_le_bytes().to_vec();
    payload.extend_from_slice(&[7; 28]);
    within(
        "send",
        sender
            .ws
            .send(Message::Binary(encode(&to_all(41, payload)))),
    )
    .await
    .expect("sent");
    expect_sequence(sender, 41, 1).await;
    let waited = sent.elapsed();
    assert!(waited >= std::time::Duration::from_millis(35), "{waited:?}");
    server.stop().await;
}

/// One player sends 200 fast messages at once to all players: the server's UDP reader takes
/// them in batches and every player, the sender included, gets every one over UDP.
#[tokio::test]
async fn a_burst_of_fast_messages_reaches_every_player() {
    const BURST: u32 = 200;
    let server = TestServer::start().await;
    let game = server.game_session(PLAYERS as u32).await;
    let mut players = Vec::new();
    for _ in 0..PLAYERS {
        let player = server.player(&game).await;
        within("fast", player.wait_fast_ready(STEP))
            .await
            .expect("bound");
        players.push(player);
    }
    for i in 0..BURST {
        let message =
            RtMessage::to_group(Opcode(42), GroupId::ALL_PLAYERS, i.to_le_bytes().to_vec());
        players[0].send(message).await.expect("sent");
    }
    for player in &mut players {
        let mut seen = std::collections::HashSet::new();
        while seen.len() < BURST as usize {
            let got = next_data(player).await;
            assert_eq!(got.channel, Channel::Fast);
            seen.insert(u32::from_le_bytes(
                got.payload[..4].try_into().expect("counter"),
            ));
        }
    }
    let m = server.metrics();
    assert_eq!(
        (m.datagrams_session_busy, m.fast_send_errors),
        (0, 0),
        "{m:?}"
    );
    assert!(m.fast_out >= u64::from(BURST) * PLAYERS as u64, "{m:?}");
    server.stop().await;
}

/// Sends 1,000 reliable messages to all players from one onMessage callback.
const BURSTING_SCRIPT: &str = r#"
'use strict';
let session;
exports.ssExports = {
  init(rtSession) { session = rtSession; },
  onMessage(gameMessage) {
    if (gameMessage.opCode !== 60) return;
    for (let i = 0; i < 1000; i++) {
      const counter = [i & 255, (i >> 8) & 255, 0, 0];
      const message = session.newBinaryGameMessage(61, session.getServerId(), counter);
      session.sendReliableGroupMessage(message, session.getAllPlayersGroupId());
    }
  },
};
"#;

#[tokio::test]
async fn a_script_sending_a_thousand_messages_in_one_callback_reaches_every_player() {
    let dir = TempDir::new();
    let script = dir.write("script", &[("index.js", BURSTING_SCRIPT)]);
    let mut config = test_config();
    config.control.auth = AuthMode::None;
    config.scripts.data_dir = dir.path().join("data");
    // The loop's time is not what this is about: a loaded machine must not cut it short.
    config.scripts.callback_timeout = std::time::Duration::from_secs(5);
    config.scripts.cpu_budget = std::time::Duration::from_secs(5);
    let options = Options {
        dev: true,
        script: Some(script),
    };
    let server = TestServer::with(config, options).await;
    let mut players = Vec::new();
    for i in 0..PLAYERS {
        let mut raw = server.raw().await;
        raw.login_ok(&format!("player-{i}")).await;
        players.push(raw);
    }
    let ask = Packet {
        op_code: 60,
        target_player: volley::protocol::PeerId::SERVER.0,
        reliable: true,
        ..Default::default()
    };
    players[0].send(&ask).await;
    for raw in &mut players {
        expect_sequence(raw, 61, 1000).await;
    }
    let metrics = server.metrics();
    assert_eq!(
        (metrics.slow_reader_closes, metrics.script_errors),
        (0, 0),
        "{metrics:?}"
    );
    server.stop().await;
}
