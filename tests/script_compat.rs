//! Scripts written the way public GameLift Realtime scripts are (tutorials, AWS's samples,
//! games), run unchanged against the real server with real clients. Each is a script bundle
//! under `tests/fixtures/scripts/<name>/`, packages in its own `node_modules/` included, and
//! each test observes what the script computed from a client (an answer, a greeting, ticks)
//! or through the control API and the real binary's JSON log.
//!
//! The Node.js answers the tests state are what Node.js gives for the same script. A script's
//! `pingIntervalTime: 30000` keeping an idle healthy player past the idle timeout is covered
//! by `a_ping_interval_longer_than_the_idle_timeout_keeps_a_player_that_answers` in
//! tests/scripts.rs.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use support::*;
use volley::Options;
use volley::catalog::{GameSessionSpec, GameSessionStatus};
use volley::client::{Client, ClientConfig, ConnectionToken, DataReceived, RtMessage};
use volley::config::AuthMode;
use volley::core::GameSessionId;
use volley::protocol::{Body, Opcode, Packet, PeerId, PingCommand, PlayerConnectMessage};

/// The script bundle `tests/fixtures/scripts/<name>`.
fn fixture(name: &str) -> PathBuf {
    [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "scripts",
        name,
    ]
    .iter()
    .collect()
}

/// A server in process whose fleet runs the fixture `name`, with an unsigned control API.
async fn serve(name: &str) -> (TestServer, TempDir) {
    let dir = TempDir::new();
    let mut config = test_config();
    config.control.auth = AuthMode::None;
    config.scripts.data_dir = dir.path().join("data");
    let options = Options {
        script: Some(fixture(name)),
        ..Options::default()
    };
    (TestServer::with(config, options).await, dir)
}

/// The real binary running the fixture `name`, JSON logs at info; `--dev` if `dev` (a login
/// opens its game session).
async fn served(name: &str, dev: bool) -> RealServer {
    RealServer::start(&["--log-format", "json"], |dir| {
        let config = format!(
            "[server]\nlog_level = \"info\"\ndrain_grace_secs = 5\n\
             [game]\nlisten = \"127.0.0.1:0\"\n\
             [control]\nlisten = \"127.0.0.1:0\"\nauth = \"none\"\n\
             [scripts]\ndata_dir = \"{}\"\n",
            dir.path().join("data").display()
        );
        let mut args = vec!["--script".to_owned(), fixture(name).display().to_string()];
        if dev {
            args.push("--dev".to_owned());
        }
        (config, args)
    })
    .await
}

/// The messages of the script's log lines among `lines` (raw JSON lines of stderr).
fn script_messages(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["target"] == "script")
        .filter_map(|line| line["fields"]["message"].as_str().map(str::to_owned))
        .collect()
}

/// An active game session for 10 players.
async fn game(server: &TestServer) -> GameSessionId {
    let spec = GameSessionSpec {
        max_players: 10,
        location: "local".into(),
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

/// A logged-in player whose LOGIN carries `payload`.
async fn player_with(server: &TestServer, game: &GameSessionId, payload: &str) -> Client {
    let psid = server.player_session(game).await;
    let token = ConnectionToken::new(psid, Bytes::from(payload.to_owned()));
    let port = server.addresses.ws.port();
    within(
        "connect",
        Client::connect("127.0.0.1", port, token, ClientConfig::default()),
    )
    .await
    .expect("login accepted")
}

/// Sends `payload` to the server with `op`, on the WebSocket.
async fn to_server(client: &Client, op: i32, payload: impl Into<Bytes>) {
    let message = RtMessage::to_server(Opcode(op), payload).reliable();
    within("send", client.send(message)).await.expect("sent");
}

/// The next data message with `op`, skipping others.
async fn next_op(client: &mut Client, op: i32) -> DataReceived {
    loop {
        let data = next_data(client).await;
        if data.op_code == Opcode(op) {
            return data;
        }
    }
}

/// The text of the next data message, checked to be the server's with `op`.
async fn answer(client: &mut Client, op: i32) -> String {
    let data = next_data(client).await;
    let text = String::from_utf8_lossy(&data.payload).into_owned();
    assert_eq!(
        (data.op_code, data.sender),
        (Opcode(op), PeerId::SERVER),
        "answer {text:?}"
    );
    text
}

/// Sends `payload` with `op` and reads the answer with `answer_op`.
async fn ask(client: &mut Client, op: i32, payload: impl Into<Bytes>, answer_op: i32) -> String {
    to_server(client, op, payload).await;
    answer(client, answer_op).await
}

#[tokio::test]
async fn util_inspect_and_format_read_in_the_log_and_the_answer_as_in_node() {
    let mut server = served("inspect_log", true).await;
    let mut player = server.player("scores/ann").await;
    let peer = player.peer_id().0;
    let move_one =
        r#"{"name":"ann","points":3,"tags":["a","b"],"pos":{"x":1,"y":{"z":{"deep":true}}}}"#;
    assert_eq!(
        ask(&mut player, 10, move_one, 11).await,
        r#"ann scored 3 (total 3) {"tags":["a","b"]}"#
    );
    assert_eq!(
        ask(
            &mut player,
            10,
            r#"{"name":"ann","points":4,"tags":[]}"#,
            11
        )
        .await,
        r#"ann scored 4 (total 7) {"tags":[]}"#
    );
    // Up to the last line of the second move.
    let last = format!("[app] totals Map(1) {{ {peer} => 7 }}");
    let logged = script_messages(&server.stderr_until(&last).await);
    let inspected = "{\n  name: 'ann',\n  points: 3,\n  tags: [ 'a', 'b' ],\n  \
                     pos: { x: 1, y: { z: [Object] } }\n}";
    for expected in [
        format!("[app] move {inspected}"),
        "[app] shallow { name: 'ann', points: 3, tags: [Array], pos: [Object] }".to_owned(),
        inspected.to_owned(),
        format!("[app] totals Map(1) {{ {peer} => 3 }}"),
        "[app] move { name: 'ann', points: 4, tags: [] }".to_owned(),
        "{ name: 'ann', points: 4, tags: [] }".to_owned(),
        last.clone(),
    ] {
        assert!(logged.contains(&expected), "{expected:?} in {logged:#?}");
    }
}

#[tokio::test]
async fn util_and_packet_pb_required_and_unused_as_in_aws_samples() {
    let (server, _dir) = serve("aws_shape").await;
    let game = game(&server).await;
    let mut first = server.player(&game).await;
    let mut second = server.player(&game).await;
    assert_eq!(answer(&mut first, 100).await, "0");
    assert_eq!(answer(&mut second, 100).await, "1");
    let third = server
        .connect(&server.player_session(&game).await, ClientConfig::default())
        .await;
    assert!(third.is_err(), "two seats only: {third:?}");
    assert_eq!(server.metrics().script_errors, 0);
}

#[tokio::test]
async fn an_event_emitter_holding_the_match_state_drives_the_replies() {
    let (server, _dir) = serve("match_events").await;
    let game = game(&server).await;
    let mut a = server.player(&game).await;
    let mut b = server.player(&game).await;
    let (pa, pb) = (a.peer_id().0, b.peer_id().0);
    to_server(&a, 20, "").await;
    for player in [&mut a, &mut b] {
        assert_eq!(answer(player, 21).await, format!("{pa} ready (1/2)"));
    }
    to_server(&b, 20, "").await;
    for player in [&mut a, &mut b] {
        assert_eq!(answer(player, 21).await, format!("{pb} ready (2/2)"));
        assert_eq!(answer(player, 22).await, format!("start {pa},{pb}"));
    }
    // `once`: a second round of ready does not start the match again.
    to_server(&a, 20, "").await;
    assert_eq!(answer(&mut a, 21).await, format!("{pa} ready (2/2)"));
    assert_eq!(
        ask(&mut a, 23, "", 23).await,
        "ready=1 start=0 events=ready"
    );
}

#[tokio::test]
async fn a_failed_assert_on_a_payload_is_caught_and_answered() {
    let (server, _dir) = serve("validate_assert").await;
    let game = game(&server).await;
    let mut player = server.player(&game).await;
    let deep = "ERR_ASSERTION AssertionError: Expected values to be strictly deep-equal:";
    for (payload, op, expected) in [
        (r#"{"x":1,"y":2}"#, 31, "1,2"),
        (
            r#"{"x":"1","y":2}"#,
            32,
            "ERR_ASSERTION AssertionError: x must be a number",
        ),
        (
            r#"{"x":9,"y":2}"#,
            32,
            "ERR_ASSERTION AssertionError: off the board",
        ),
        (r#"{"x":1}"#, 32, deep),
        (r#"{"x":1,"y":2,"z":3}"#, 32, deep),
        (
            "null",
            32,
            "ERR_ASSERTION AssertionError: a move is an object",
        ),
    ] {
        to_server(&player, 30, payload).await;
        let data = next_data(&mut player).await;
        assert_eq!(
            (data.op_code, &data.payload[..]),
            (Opcode(op), expected.as_bytes()),
            "{payload}"
        );
    }
    // What is not an AssertionError is rethrown: the callback fails, and the game goes on.
    to_server(&player, 30, "{nope").await;
    assert_eq!(ask(&mut player, 30, r#"{"x":7,"y":0}"#, 31).await, "7,0");
    assert_eq!(server.metrics().script_errors, 1);
}

#[tokio::test]
async fn path_finds_a_level_file_beside_the_script() {
    let (server, _dir) = serve("level_paths").await;
    let game = game(&server).await;
    let mut player = server.player(&game).await;
    let found = "Arena: 4 spawns from levels/arena.json (.json)";
    assert_eq!(ask(&mut player, 40, "maps/../Arena.JSON", 41).await, found);
    assert_eq!(ask(&mut player, 40, "../../levels/arena", 41).await, found);
    assert_eq!(
        ask(&mut player, 40, "nowhere.json", 42).await,
        "MODULE_NOT_FOUND nowhere"
    );
    assert_eq!(server.metrics().script_errors, 0);
}

#[tokio::test]
async fn a_string_decoder_joins_text_split_inside_characters_across_messages() {
    let (server, _dir) = serve("chat_decoder").await;
    let game = game(&server).await;
    let mut a = server.player(&game).await;
    let mut b = server.player(&game).await;
    let text = "héllo wörld 🎮";
    let bytes = Bytes::from(text);
    // Cuts inside é (bytes 1..3), inside ö and inside the emoji's four bytes.
    let cuts = [0, 2, 9, bytes.len() - 2, bytes.len()];
    for window in cuts.windows(2) {
        to_server(&a, 50, bytes.slice(window[0]..window[1])).await;
    }
    to_server(&a, 51, "").await;
    let said = format!("{}: {text} (14 chars)", a.peer_id().0);
    for player in [&mut a, &mut b] {
        assert_eq!(answer(player, 52).await, said);
    }
}

#[tokio::test]
async fn crypto_makes_tokens_fingerprints_and_signatures() {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};

    let (server, _dir) = serve("crypto_tokens").await;
    let game = game(&server).await;
    let mut a = server.player(&game).await;
    let mut b = server.player(&game).await;
    let tokens = [answer(&mut a, 60).await, answer(&mut b, 60).await];
    for token in &tokens {
        let uuid = uuid::Uuid::parse_str(token).expect("a UUID");
        assert_eq!(uuid.get_version_num(), 4, "{token}");
        assert_eq!(
            uuid.hyphenated().to_string(),
            *token,
            "lowercase, hyphenated"
        );
    }
    assert_ne!(tokens[0], tokens[1]);

    // The payload's bytes are hashed as they are, UTF-8 or not.
    let result = Bytes::from_static(&[0, 159, 146, 150, 255, b'w', b'i', b'n']);
    let digest: String = Sha256::digest(&result)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(ask(&mut a, 61, result, 61).await, digest);

    let signed = "winner=1;score=30";
    let mut mac = Hmac::<Sha256>::new_from_slice(b"volley-match-key").expect("any key length");
    mac.update(signed.as_bytes());
    let signature = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        mac.finalize().into_bytes(),
    );
    assert_eq!(
        signature, "d/RfHVOJ3PK8KIqXmaStI0C0WMSLuj4AN//Vt/oYQvM=",
        "Node's"
    );
    assert_eq!(ask(&mut a, 62, signed, 62).await, signature);

    let nonces = [ask(&mut a, 63, "", 63).await, ask(&mut a, 63, "", 63).await];
    for nonce in &nonces {
        let hex = nonce.strip_prefix("true 16 ").expect("a 16-byte Buffer");
        assert!(
            hex.len() == 32 && hex.bytes().all(|c| c.is_ascii_hexdigit()),
            "{nonce}"
        );
    }
    assert_ne!(nonces[0], nonces[1]);
}

#[tokio::test]
async fn buffer_call_forms_of_older_code_read_payloads() {
    let (server, _dir) = serve("buffer_forms").await;
    let game = game(&server).await;
    let mut player = server.player(&game).await;
    assert_eq!(
        ask(&mut player, 70, r#"{"name":"zoé"}"#, 71).await,
        "hi zoé|6869207a6fc3a9|true|true|15"
    );
    assert_eq!(server.metrics().script_errors, 0);
}

#[tokio::test]
async fn on_player_connect_reads_the_player_and_the_greeting_names_it() {
    let (server, _dir) = serve("greeter").await;
    let game = game(&server).await;
    let mut zoe = player_with(&server, &game, r#"{"name":"zoe"}"#).await;
    let welcome = answer(&mut zoe, 80).await;
    let peer = zoe.peer_id().0;
    let prefix = format!("Welcome zoe, you are peer {peer} (");
    let psid = welcome
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{welcome}"));
    assert!(
        server.player_record(psid).await.is_some(),
        "the player session {psid} is the one that logged in"
    );
    let mut guest = player_with(&server, &game, "").await;
    assert!(answer(&mut guest, 80).await.starts_with(&format!(
        "Welcome guest, you are peer {} (",
        guest.peer_id().0
    )));
    assert_eq!(answer(&mut zoe, 81).await, "guest joined");
}

#[tokio::test]
async fn a_game_loop_package_bundled_in_node_modules_sends_ticks() {
    let (server, _dir) = serve("hop_race").await;
    let game = game(&server).await;
    let mut player = server.player(&game).await;
    let me = player.peer_id().0;
    to_server(&player, 90, "").await;
    let mut last = 0.0;
    for tick in 1..=3 {
        let text = answer(&mut player, 91).await;
        let position = text
            .strip_prefix(&format!("tick {tick} {me}@"))
            .and_then(|p| p.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("tick {tick}: {text}"));
        assert!(position > last, "{text} after {last}");
        last = position;
    }
    to_server(&player, 92, "").await;
    // Ticks sent before the stop may come first.
    let stopped = String::from_utf8_lossy(&next_op(&mut player, 93).await.payload).into_owned();
    let ticks: u32 = stopped
        .strip_prefix("stopped after ")
        .and_then(|rest| rest.strip_suffix(" ticks"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stopped}"));
    assert!(ticks >= 3, "{stopped}");
    // Cleared: no tick follows.
    assert_no_data(&mut player, Duration::from_millis(100)).await;
    assert_eq!(server.metrics().script_errors, 0);
}

#[tokio::test]
async fn a_packet_read_and_built_with_packet_pb_reaches_the_client_as_protocol_bytes() {
    let (server, _dir) = serve("packet_echo").await;
    let game = game(&server).await;
    let mut player = server.player(&game).await;
    let me = player.peer_id().0;
    let wrapped = Packet {
        op_code: 7,
        target_group: 3,
        payload: Bytes::from_static(b"hello"),
        body: Some(Body::Ping(PingCommand {})),
        ..Default::default()
    };
    to_server(&player, 100, prost::Message::encode_to_vec(&wrapped)).await;
    let data = next_op(&mut player, 101).await;
    let answer: Packet = prost::Message::decode(data.payload).expect("a Packet");
    let expected = Packet {
        op_code: 8,
        sender: -1,
        target_player: me,
        target_group: 3,
        reliable: true,
        payload: Bytes::from_static(b"HELLO 32"),
        body: Some(Body::PlayerConnect(PlayerConnectMessage { peer_id: me })),
        ..Default::default()
    };
    assert_eq!(answer, expected);
}

#[tokio::test]
async fn console_format_strings_structured_clone_url_and_memory_usage() {
    let mut server = served("lobby_link", true).await;
    let mut player = server.player("lobby/host").await;
    let link = "https://play.example.com:8443/rooms/blue-canyon?mode=duel&rounds=5#red";
    let settings: serde_json::Value =
        serde_json::from_str(&ask(&mut player, 110, link, 111).await).expect("JSON");
    assert_eq!(
        settings,
        json!({
            "host": "play.example.com",
            "port": "8443",
            "rounds": 5,
            "defaultRounds": 3,
            "maps": ["arena", "blue-canyon"],
            "defaultMaps": ["arena"],
            "dateCloned": true,
            "query": "mode=duel&team=red",
            "memoryKeys": ["rss", "heapTotal", "heapUsed", "external", "arrayBuffers"],
            "memoryCounted": true,
        })
    );
    let logged = script_messages(&server.stderr_until("room blue-canyon").await);
    assert_eq!(
        logged,
        [
            "n=5",
            r#"room blue-canyon plays 5 rounds {"rounds":5,"friendlyFire":false}"#
        ]
    );
}

#[tokio::test]
async fn a_script_requiring_the_aws_sdk_puts_its_game_session_in_error() {
    let mut server = served("needs_sdk", false).await;
    let (status, created) = control_call(
        &server.control.to_string(),
        "CreateGameSession",
        &json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": 2}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["GameSession"]["Status"], "ERROR", "{created}");
    let lines = server.stderr_until("script failed to start").await;
    let failure: serde_json::Value =
        serde_json::from_str(lines.last().expect("the line")).expect("JSON");
    let reason = failure["fields"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("Cannot use module 'aws-sdk': server scripts have no I/O"),
        "{failure}"
    );
}
