//! Server scripts with real clients: every callback and session method of the contract
//! (scripts.md), containment of broken scripts, live updates through the control
//! API, and scripts surviving a restart. The server runs in process on loopback ports.

mod support;

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::json;
use support::*;
use volley::catalog::{GameSessionSpec, GameSessionStatus, PlayerSessionStatus};
use volley::client::{Channel, ClientConfig, ClientError, ConnectionToken, RtMessage};
use volley::config::{AuthMode, Config};
use volley::core::GameSessionId;
use volley::protocol::{GroupId, Opcode, PeerId};
use volley::{Options, client::Client};

/// A script touching every callback and session method; each opcode sent to the server asks
/// for one thing.
const CONTRACT: &str = r#"
'use strict';
let session;
let logger;
let started;
let healthy = true;
const say = (op, text, to) =>
  session.sendReliableMessage(session.newTextGameMessage(op, session.getServerId(), text), to);

exports.ssExports = {
  configuration: { maxPlayers: 3, pingIntervalTime: 1000 },
  init(rtSession) { session = rtSession; logger = session.getLogger(); },
  onProcessStarted(args) { return Array.isArray(args); },
  onStartGameSession(gameSession) { started = gameSession; logger.info('started'); },
  onHealthCheck() { return healthy; },
  onPlayerConnect(connectMsg) { return connectMsg.payload.toString() !== 'banned'; },
  onPlayerAccepted(player) { say(113, 'welcome ' + player.playerSessionId, player.peerId); },
  onPlayerDisconnect(peerId) {
    session.getPlayers().forEach((player, id) => { if (id !== peerId) say(114, 'gone ' + peerId, id); });
  },
  onPlayerJoinGroup(groupId, peerId) { return groupId !== 13; },
  onPlayerLeaveGroup(groupId, peerId) { return groupId !== 7; },
  onSendToPlayer(gameMessage) { return !gameMessage.getPayloadAsText().includes('Reject'); },
  onSendToGroup(gameMessage) { return gameMessage.opCode !== 66; },
  onMessage(gameMessage) {
    const text = gameMessage.getPayloadAsText();
    switch (gameMessage.opCode) {
      case 111:
        session.sendReliableGroupMessage(session.newTextGameMessage(112, -1, 'answer ' + text), 1);
        break;
      case 120:
        session.sendMessage(session.newTextGameMessage(121, -1, 'fast'), gameMessage.sender);
        break;
      case 122:
        session.sendGroupMessage(session.newBinaryGameMessage(123, -1, [1, 2, 255]), -1);
        break;
      case 124:
        session.broadcastGroupMembershipUpdate(1, session.getAllPlayersGroupId());
        break;
      case 125: {
        const mode = started.GameProperties.find((p) => p.Key === 'mode');
        say(125, [session.getGameSessionId() === started.GameSessionId, session.getServerId(),
          session.getPlayers().size, mode ? mode.Value : '', started.MaximumPlayerSessionCount,
          started.MatchmakerData ? JSON.parse(started.MatchmakerData).matchId : '']
          .join('|'), gameMessage.sender);
        break;
      }
      case 126: while (true) {} // eslint-disable-line no-constant-condition
      case 127: { const hoard = []; for (;;) hoard.push('x'.repeat(4096) + hoard.length); }
      case 128: session.processEnding(); break;
      case 129: throw new Error('on purpose');
      case 131: healthy = false; break;
      default: break;
    }
  },
  onProcessTerminate() {
    session.getPlayers().forEach((player, id) => say(130, 'terminating', id));
    session.processEnding().then(() => process.exit(0));
  },
};
"#;

/// A server whose fleet runs `files` (given with `--script`), with an unsigned control API.
async fn script_server(
    files: &[(&str, &str)],
    tweak: impl FnOnce(&mut Config),
) -> (TestServer, TempDir) {
    let dir = TempDir::new();
    let script = dir.write("script", files);
    let mut config = test_config();
    config.control.auth = AuthMode::None;
    config.scripts.data_dir = dir.path().join("data");
    tweak(&mut config);
    let options = Options {
        script: Some(script),
        ..Options::default()
    };
    (TestServer::with(config, options).await, dir)
}

async fn contract_server() -> (TestServer, TempDir) {
    script_server(&[("index.js", CONTRACT)], |_| {}).await
}

async fn game(server: &TestServer, properties: &[(&str, &str)]) -> GameSessionId {
    let spec = GameSessionSpec {
        max_players: 10,
        location: "local".into(),
        properties: properties
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        // As the matchmaker writes it on a game session it placed.
        matchmaker_data: Some(r#"{"matchId":"m-7","teams":[]}"#.into()),
        ..Default::default()
    };
    let record = within(
        "create game session",
        server.sessions.create_game_session(spec),
    )
    .await
    .expect("created");
    assert_eq!(record.status, GameSessionStatus::Active, "{record:?}");
    record.id
}

/// A logged-in player that has read its welcome (opcode 113) from the contract script.
async fn welcomed(server: &TestServer, game: &GameSessionId) -> Client {
    let psid = server.player_session(game).await;
    let mut client = server
        .connect(&psid, ClientConfig::default())
        .await
        .expect("login accepted");
    let welcome = next_data(&mut client).await;
    assert_eq!(welcome.op_code, Opcode(113));
    assert_eq!(welcome.sender, PeerId::SERVER);
    assert_eq!(welcome.payload, format!("welcome {psid}"));
    client
}

async fn to_server(client: &Client, op: i32, text: &str) {
    let message = RtMessage::to_server(Opcode(op), text.to_owned()).reliable();
    within("send", client.send(message)).await.expect("sent");
}

/// The next data message with `op`, skipping others.
async fn next_op(client: &mut Client, op: i32) -> volley::client::DataReceived {
    loop {
        let data = next_data(client).await;
        if data.op_code == Opcode(op) {
            return data;
        }
    }
}

#[tokio::test]
async fn the_script_refuses_a_login_by_its_connection_payload() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[]).await;
    let token = ConnectionToken::new(
        server.player_session(&game).await,
        Bytes::from_static(b"banned"),
    );
    let port = server.addresses.ws.port();
    let refused = within(
        "connect",
        Client::connect("127.0.0.1", port, token, ClientConfig::default()),
    )
    .await;
    assert!(
        matches!(refused, Err(ClientError::LoginRefused)),
        "{refused:?}"
    );
    welcomed(&server, &game).await;
    assert_eq!(server.metrics().logins_refused_script, 1);
}

#[tokio::test]
async fn the_scripts_max_players_caps_the_game_session() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[]).await;
    let _players = [
        welcomed(&server, &game).await,
        welcomed(&server, &game).await,
        welcomed(&server, &game).await,
    ];
    let fourth = server
        .connect(&server.player_session(&game).await, ClientConfig::default())
        .await;
    assert!(
        matches!(fourth, Err(ClientError::LoginRefused)),
        "{fourth:?}"
    );
}

#[tokio::test]
async fn the_script_drops_the_messages_it_refuses() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[]).await;
    let a = welcomed(&server, &game).await;
    let mut b = welcomed(&server, &game).await;
    let to_b =
        |text: &str| RtMessage::to_player(Opcode(5), b.peer_id(), text.to_owned()).reliable();
    within("send", a.send(to_b("please Reject this")))
        .await
        .expect("sent");
    within("send", a.send(to_b("fine"))).await.expect("sent");
    assert_eq!(next_data(&mut b).await.payload, "fine");
    let to_all = |op| RtMessage::to_group(Opcode(op), GroupId::ALL_PLAYERS, "g").reliable();
    within("send", a.send(to_all(66))).await.expect("sent");
    within("send", a.send(to_all(67))).await.expect("sent");
    assert_eq!(next_data(&mut b).await.op_code, Opcode(67));
    assert_eq!(server.metrics().dropped_hook_refused, 2);
}

#[tokio::test]
async fn an_opcode_sent_to_the_server_is_answered_to_a_group() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[]).await;
    let mut a = welcomed(&server, &game).await;
    let mut b = welcomed(&server, &game).await;
    let mut c = welcomed(&server, &game).await;
    for member in [&mut a, &mut b] {
        within("join", member.join_group(GroupId(1)))
            .await
            .expect("joined");
        let (_, group, _) = next_membership(member).await;
        assert_eq!(group, 1);
    }
    to_server(&c, 111, "question").await;
    for member in [&mut a, &mut b] {
        let answer = next_op(member, 112).await;
        assert_eq!(
            (answer.sender, &answer.payload[..]),
            (PeerId::SERVER, &b"answer question"[..])
        );
        assert_eq!(answer.target_group, GroupId(1));
    }
    assert_no_data(&mut c, Duration::from_millis(100)).await;
}

#[tokio::test]
async fn the_session_methods_reach_players_on_their_channels() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[("mode", "duel")]).await;
    let mut a = welcomed(&server, &game).await;
    let mut b = welcomed(&server, &game).await;
    within("fast path", a.wait_fast_ready(Duration::from_secs(5)))
        .await
        .expect("fast path ready");
    to_server(&a, 120, "").await;
    let fast = next_op(&mut a, 121).await;
    assert_eq!(
        (fast.channel, &fast.payload[..]),
        (Channel::Fast, &b"fast"[..])
    );
    to_server(&a, 122, "").await;
    for player in [&mut a, &mut b] {
        assert_eq!(
            next_op(player, 123).await.payload,
            Bytes::from_static(&[1, 2, 255])
        );
    }
    within("join", b.join_group(GroupId(1)))
        .await
        .expect("joined");
    next_membership(&mut b).await;
    to_server(&a, 124, "").await;
    assert_eq!(next_membership(&mut a).await, (-1, 1, vec![b.peer_id().0]));
    to_server(&a, 125, "").await;
    assert_eq!(next_op(&mut a, 125).await.payload, "true|-1|2|duel|10|m-7");
    assert_eq!(server.metrics().script_errors, 0);
}

#[tokio::test]
async fn the_script_refuses_group_changes() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[]).await;
    let mut a = welcomed(&server, &game).await;
    let me = a.peer_id().0;
    within("join", a.join_group(GroupId(13)))
        .await
        .expect("sent");
    assert_eq!(next_membership(&mut a).await, (me, 13, vec![]));
    within("join", a.join_group(GroupId(7)))
        .await
        .expect("sent");
    assert_eq!(next_membership(&mut a).await, (me, 7, vec![me]));
    within("leave", a.leave_group(GroupId(7)))
        .await
        .expect("sent");
    assert_eq!(
        next_membership(&mut a).await,
        (me, 7, vec![me]),
        "still a member"
    );
    assert_eq!(a.groups(), vec![GroupId(7)]);
}

#[tokio::test]
async fn players_hear_of_a_departure_from_the_script() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[]).await;
    let a = welcomed(&server, &game).await;
    let mut b = welcomed(&server, &game).await;
    let gone = a.peer_id();
    a.disconnect().await;
    assert_eq!(
        next_op(&mut b, 114).await.payload,
        format!("gone {}", gone.0)
    );
}

#[tokio::test]
async fn an_infinite_loop_and_a_memory_bomb_are_contained_while_others_play_on() {
    let (server, _dir) = script_server(&[("index.js", CONTRACT)], |config| {
        config.scripts.memory_limit_bytes = 8 << 20;
    })
    .await;
    let troubled = game(&server, &[]).await;
    let calm = game(&server, &[]).await;
    let mut bomber = welcomed(&server, &troubled).await;
    let mut bystander = welcomed(&server, &troubled).await;
    let x = welcomed(&server, &calm).await;
    let mut y = welcomed(&server, &calm).await;
    to_server(&bomber, 126, "").await;
    to_server(&bomber, 127, "").await;
    for round in 0..5 {
        let hello = RtMessage::to_player(Opcode(9), y.peer_id(), format!("{round}")).reliable();
        within("send", x.send(hello)).await.expect("sent");
        assert_eq!(next_data(&mut y).await.payload, format!("{round}"));
    }
    // The troubled session still relays and its script still answers.
    let ping = RtMessage::to_player(Opcode(9), bystander.peer_id(), "still here").reliable();
    within("send", bomber.send(ping)).await.expect("sent");
    assert_eq!(next_data(&mut bystander).await.payload, "still here");
    to_server(&bomber, 125, "").await;
    next_op(&mut bomber, 125).await;
    let m = server.metrics();
    assert_eq!(m.script_timeouts + m.script_out_of_memory, 2, "{m:?}");
    assert!(m.script_timeouts >= 1, "{m:?}");
}

#[tokio::test]
async fn a_script_that_throws_is_counted_and_the_session_goes_on() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[]).await;
    let mut a = welcomed(&server, &game).await;
    to_server(&a, 129, "").await;
    to_server(&a, 125, "").await;
    next_op(&mut a, 125).await;
    assert_eq!(server.metrics().script_errors, 1);
}

#[tokio::test]
async fn terminate_runs_on_process_terminate_and_the_script_ends_the_session() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[]).await;
    let mut a = welcomed(&server, &game).await;
    let (status, _) = control_call(
        &server.addresses.control.to_string(),
        "TerminateGameSession",
        &json!({"GameSessionId": game.as_str(), "TerminationMode": "TRIGGER_ON_PROCESS_TERMINATE"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(next_op(&mut a, 130).await.payload, "terminating");
    assert_eq!(next_close(&mut a).await, Some(1001));
    eventually("terminated", async || {
        server
            .record(&game)
            .await
            .map(|g| (g.status, g.status_reason))
            == Some((
                GameSessionStatus::Terminated,
                Some("TRIGGERED_ON_PROCESS_TERMINATE"),
            ))
    })
    .await;
}

#[tokio::test]
async fn process_ending_terminates_only_its_game_session() {
    let (server, _dir) = contract_server().await;
    let ending = game(&server, &[]).await;
    let other = game(&server, &[]).await;
    let mut a = welcomed(&server, &ending).await;
    let psid = server.player_session(&ending).await;
    let mut b = welcomed(&server, &other).await;
    to_server(&a, 128, "").await;
    assert_eq!(next_close(&mut a).await, Some(1001));
    eventually("terminated", async || {
        server
            .record(&ending)
            .await
            .map(|g| (g.status, g.status_reason))
            == Some((GameSessionStatus::Terminated, None))
    })
    .await;
    assert_eq!(
        server.player_record(&psid).await.map(|p| p.status),
        Some(PlayerSessionStatus::Completed)
    );
    let (_, described) = control_call(
        &server.addresses.control.to_string(),
        "DescribeGameSessions",
        &json!({"GameSessionId": ending.as_str()}),
    )
    .await;
    assert_eq!(described["GameSessions"][0]["Status"], "TERMINATED");
    to_server(&b, 125, "").await;
    next_op(&mut b, 125).await;
}

#[tokio::test]
async fn the_example_script_ends_an_empty_session_with_its_tick_loop() {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/scripts/example.js"
    ))
    .expect("example script");
    let (server, _dir) = script_server(&[("index.js", &example)], |_| {}).await;
    let quick = game(&server, &[("tickMs", "20"), ("minimumElapsedSecs", "1")]).await;
    let lasting = game(&server, &[]).await;
    let mut a = server.player(&quick).await;
    assert_eq!(
        next_op(&mut a, 113).await.payload,
        format!("Peer {} accepted", a.peer_id().0)
    );
    let mut b = server.player(&quick).await;
    next_op(&mut b, 113).await;
    // Opcode 111 to the server is answered with 112 to group 1; "Reject" is filtered.
    within("join", b.join_group(GroupId(1)))
        .await
        .expect("joined");
    next_membership(&mut b).await;
    to_server(&a, 111, "hi").await;
    assert_eq!(next_op(&mut b, 112).await.payload, "Answer to hi");
    let reject = RtMessage::to_player(Opcode(5), b.peer_id(), "Reject me").reliable();
    within("send", a.send(reject)).await.expect("sent");
    let gone = a.peer_id();
    a.disconnect().await;
    assert_eq!(
        next_op(&mut b, 114).await.payload,
        format!("Peer {} disconnected", gone.0)
    );
    b.disconnect().await;
    eventually("the empty session ends", async || {
        server.record(&quick).await.map(|g| g.status) == Some(GameSessionStatus::Terminated)
    })
    .await;
    // process.exit(0) ended that game session only.
    let mut c = server.player(&lasting).await;
    next_op(&mut c, 113).await;
    to_server(&c, 115, "").await;
    assert_eq!(next_op(&mut c, 115).await.sender, PeerId::SERVER);
}

#[tokio::test]
async fn a_failing_health_check_is_reported() {
    let (server, _dir) = script_server(&[("index.js", CONTRACT)], |config| {
        config.scripts.health_check_interval = Duration::from_secs(1);
    })
    .await;
    let game = game(&server, &[]).await;
    let a = welcomed(&server, &game).await;
    to_server(&a, 131, "").await;
    eventually("unhealthy", async || {
        server.metrics().script_sessions_unhealthy == 1
    })
    .await;
    to_server(&a, 128, "").await;
    eventually("gauge back", async || {
        server.metrics().script_sessions_unhealthy == 0
    })
    .await;
}

#[tokio::test]
async fn a_script_that_refuses_to_start_puts_its_game_session_in_error() {
    let (server, _dir) = script_server(
        &[(
            "index.js",
            "exports.ssExports = { onProcessStarted: () => false };",
        )],
        |_| {},
    )
    .await;
    let spec = GameSessionSpec {
        max_players: 2,
        location: "local".into(),
        ..Default::default()
    };
    let record = within("create", server.sessions.create_game_session(spec))
        .await
        .expect("recorded");
    assert_eq!(record.status, GameSessionStatus::Error);
    assert_eq!(server.metrics().script_start_failures, 1);
}

/// A script that answers opcode 1 to the server with its own version.
fn versioned(version: &str) -> String {
    format!(
        "let s; exports.ssExports = {{ init(rt) {{ s = rt; }}, onMessage(m) {{\n\
         s.sendReliableMessage(s.newTextGameMessage(1, -1, '{version}'), m.sender); }} }};"
    )
}

#[tokio::test]
async fn update_script_reaches_new_game_sessions_only() {
    let v1 = versioned("v1");
    let (server, _dir) = script_server(&[("index.js", &v1)], |_| {}).await;
    let control = server.addresses.control.to_string();
    let (_, listed) = control_call(&control, "ListScripts", &json!({})).await;
    let script_id = listed["Scripts"][0]["ScriptId"]
        .as_str()
        .expect("script id")
        .to_owned();
    let old = game(&server, &[]).await;
    let zip = zip(&[("index.js", &versioned("v2"))]);
    let (status, updated) = control_call(
        &control,
        "UpdateScript",
        &json!({
            "ScriptId": script_id,
            "Version": "2",
            "ZipFile": base64::engine::general_purpose::STANDARD.encode(zip),
        }),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let new = game(&server, &[]).await;
    for (game, expected) in [(&old, "v1"), (&new, "v2")] {
        let mut player = server.player(game).await;
        to_server(&player, 1, "").await;
        assert_eq!(next_op(&mut player, 1).await.payload, expected);
    }
    let (_, described) = control_call(
        &control,
        "DescribeGameSessions",
        &json!({"GameSessionId": new.as_str()}),
    )
    .await;
    let session = &described["GameSessions"][0];
    assert_eq!(session["ScriptId"], script_id.as_str());
    assert_eq!(session["ScriptVersion"], "2");
    assert_eq!(session["ScriptRevision"], 2);
    assert_eq!(
        server
            .record(&old)
            .await
            .and_then(|g| g.script)
            .map(|s| s.revision),
        Some(1)
    );
}

#[tokio::test]
async fn a_script_survives_a_restart() {
    let dir = TempDir::new();
    let mut config = test_config();
    config.control.auth = AuthMode::None;
    config.scripts.data_dir = dir.path().join("data");
    let first = TestServer::with(config.clone(), Options::default()).await;
    let zip = zip(&[("index.js", &versioned("kept"))]);
    let (status, created) = control_call(
        &first.addresses.control.to_string(),
        "CreateScript",
        &json!({
            "Name": "kept",
            "ZipFile": base64::engine::general_purpose::STANDARD.encode(zip),
        }),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    first.stop().await;
    config.scripts.script_id = created["Script"]["ScriptId"].as_str().map(str::to_owned);
    let second = TestServer::with(config, Options::default()).await;
    let game = game(&second, &[]).await;
    let mut player = second.player(&game).await;
    to_server(&player, 1, "").await;
    assert_eq!(next_op(&mut player, 1).await.payload, "kept");
}

#[tokio::test]
async fn shutdown_runs_on_process_terminate_before_players_are_closed() {
    let (server, _dir) = contract_server().await;
    let game = game(&server, &[]).await;
    let mut a = welcomed(&server, &game).await;
    let stopping = tokio::spawn(server.stop());
    assert_eq!(next_op(&mut a, 130).await.payload, "terminating");
    assert_eq!(next_close(&mut a).await, Some(1001));
    within("server stopped", stopping)
        .await
        .expect("stopped in time");
}

#[tokio::test]
async fn the_scripts_ping_interval_applies() {
    let (server, _dir) = script_server(
        &[(
            "index.js",
            "exports.ssExports = { configuration: { pingIntervalTime: 100 } };",
        )],
        |_| {},
    )
    .await;
    let game = game(&server, &[]).await;
    let mut raw = server.raw().await;
    raw.login_ok(&server.player_session(&game).await).await;
    // The default interval is 3 s: three pings within a second come from the script's.
    let pings = async {
        let mut pings = 0;
        while pings < 3 {
            match raw.ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Ping(_))) => pings += 1,
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        pings
    };
    let seen = tokio::time::timeout(Duration::from_secs(1), pings).await;
    assert_eq!(seen.ok(), Some(3), "pings every 100 ms");
}

#[tokio::test]
async fn a_ping_interval_longer_than_the_idle_timeout_keeps_a_player_that_answers() {
    // AWS's example sets pingIntervalTime: 30000 with the default 30 s idle timeout; here the
    // same, scaled down: pings every 1.5 s against a 1 s idle timeout.
    let (server, _dir) = script_server(
        &[(
            "index.js",
            "exports.ssExports = { configuration: { pingIntervalTime: 1500 } };",
        )],
        |config| {
            config.sessions.ping_interval = Duration::from_millis(500);
            config.sessions.idle_timeout = Duration::from_secs(1);
        },
    )
    .await;
    let game = game(&server, &[]).await;
    let mut raw = server.raw().await;
    raw.login_ok(&server.player_session(&game).await).await;
    // Reading answers the pings with pongs; the connection must outlive two intervals.
    let closed = async {
        loop {
            match raw.ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                    return Some(frame);
                }
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    };
    let outcome = tokio::time::timeout(Duration::from_millis(4000), closed).await;
    assert!(outcome.is_err(), "closed: {outcome:?}");
    assert_eq!(server.metrics().idle_timeouts, 0);
}

#[tokio::test]
async fn dev_mode_game_sessions_run_the_script_too() {
    let dir = TempDir::new();
    let script = dir.write("script", &[("index.js", CONTRACT)]);
    let mut config = test_config();
    config.scripts.data_dir = dir.path().join("data");
    let options = Options {
        dev: true,
        script: Some(script),
    };
    let server = TestServer::with(config, options).await;
    let mut player = server
        .connect("room-1/alice", ClientConfig::default())
        .await
        .expect("login accepted");
    assert_eq!(
        next_op(&mut player, 113).await.payload,
        "welcome room-1/alice"
    );
    to_server(&player, 125, "").await;
    assert_eq!(next_op(&mut player, 125).await.payload, "true|-1|1||3|");
    assert_eq!(server.metrics().script_errors, 0);
}
