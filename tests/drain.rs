//! Draining: SIGTERM, SIGINT or the drain token stop placements, turn `/ready` false, run
//! every script's onProcessTerminate, let game sessions end by themselves within the grace
//! period, then close the rest with 1001 (going away). In process for the records, and the
//! real binary for the signals and the exit code.

mod support;

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use support::*;
use tokio::process::Command;
use volley::catalog::{CatalogError, GameSessionSpec, GameSessionStatus, PlayerSessionStatus};
use volley::client::ClientConfig;
use volley::config::AuthMode;
use volley::protocol::Opcode;
use volley::{Options, client::Client};

/// onProcessTerminate tells every player, and leaves ending the game session to its players.
const TELL_ON_TERMINATE: &str = r#"
let session;
exports.ssExports = {
  init(rtSession) { session = rtSession; },
  onProcessTerminate() {
    session.getPlayers().forEach((player, id) => session.sendReliableMessage(
      session.newTextGameMessage(130, session.getServerId(), 'terminating'), id));
  },
};
"#;

const VOLLEY: &str = env!("CARGO_BIN_EXE_volley");

/// A server whose fleet runs [`TELL_ON_TERMINATE`], with an unsigned control API.
async fn drain_server(grace: Duration) -> (TestServer, TempDir) {
    let dir = TempDir::new();
    let script = dir.write("script", &[("index.js", TELL_ON_TERMINATE)]);
    let mut config = test_config();
    config.control.auth = AuthMode::None;
    config.scripts.data_dir = dir.path().join("data");
    config.server.drain_grace = grace;
    let options = Options {
        script: Some(script),
        ..Options::default()
    };
    (TestServer::with(config, options).await, dir)
}

/// A logged-in client and its player session id.
async fn join(server: &TestServer, game_session: &volley::core::GameSessionId) -> (Client, String) {
    let id = server.player_session(game_session).await;
    let config = ClientConfig {
        fast_channel: false,
        ..ClientConfig::default()
    };
    let client = server.connect(&id, config).await.expect("login accepted");
    (client, id)
}

async fn expect_terminating_message(client: &mut Client) {
    let data = next_data(client).await;
    assert_eq!(data.op_code, Opcode(130));
    assert_eq!(data.payload, Bytes::from_static(b"terminating"));
}

#[tokio::test]
async fn a_drain_lets_game_sessions_end_then_closes_the_rest_going_away() {
    let grace = Duration::from_secs(2);
    let (server, _dir) = drain_server(grace).await;
    let (staying, leaving) = (server.game_session(4).await, server.game_session(4).await);
    let (mut stayer, stayer_id) = join(&server, &staying).await;
    let (mut leaver, leaver_id) = join(&server, &leaving).await;
    let control = server.addresses.control;
    assert_eq!(http_get(control, "/ready").await.0, 200);

    server.drain.cancel();
    // Not ready from the first moment, and no new placements.
    let (status, body) = http_get(control, "/ready").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"draining\":true"), "{body}");
    assert_eq!(http_get(control, "/health").await.0, 200, "still alive");
    let (status, metrics) = http_get(control, "/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("\nvolley_draining 1\n"), "{metrics}");
    assert!(metrics.contains("\nvolley_ready 0\n"), "{metrics}");
    let refused = server
        .sessions
        .create_game_session(GameSessionSpec {
            max_players: 2,
            ..GameSessionSpec::default()
        })
        .await;
    assert!(
        matches!(refused, Err(CatalogError::Draining)),
        "{refused:?}"
    );
    let (status, error) = control_call(
        &control.to_string(),
        "CreatePlayerSession",
        &json!({"GameSessionId": staying.as_str(), "PlayerId": "late"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["__type"], "InvalidFleetStatusException", "{error}");

    // Every script heard onProcessTerminate; the records say the sessions are ending.
    expect_terminating_message(&mut stayer).await;
    expect_terminating_message(&mut leaver).await;
    let status_of = async |id| server.record(id).await.expect("record").status;
    assert_eq!(status_of(&staying).await, GameSessionStatus::Terminating);

    // A game session whose players leave ends by itself, before the grace is over.
    leaver.disconnect().await;
    eventually("the emptied game session ends", async || {
        status_of(&leaving).await == GameSessionStatus::Terminated
    })
    .await;
    assert_eq!(status_of(&staying).await, GameSessionStatus::Terminating);
    let player_status = async |id: &str| server.player_record(id).await.expect("record").status;
    assert_eq!(
        player_status(&leaver_id).await,
        PlayerSessionStatus::Completed
    );
    assert_eq!(player_status(&stayer_id).await, PlayerSessionStatus::Active);

    // At the end of the grace the remaining player is closed with going-away.
    assert_eq!(next_close(&mut stayer).await, Some(1001));
    let sessions = server.sessions.clone();
    assert!(server.stopped(STEP).await, "every task finished");
    let staying_record = sessions
        .game_session(&staying)
        .await
        .expect("catalog")
        .expect("record");
    assert_eq!(staying_record.status, GameSessionStatus::Terminated);
    assert_eq!(
        staying_record.status_reason,
        Some("TRIGGERED_ON_PROCESS_TERMINATE")
    );
    let stayer_record = sessions
        .player_session(&stayer_id)
        .await
        .expect("catalog")
        .expect("record");
    assert_eq!(stayer_record.status, PlayerSessionStatus::Completed);
}

#[tokio::test]
async fn a_drain_with_no_players_connected_ends_without_waiting_for_the_grace() {
    // The default grace is a minute; empty game sessions end at once instead.
    let server = TestServer::start().await;
    let ids = [server.game_session(2).await, server.game_session(2).await];
    let sessions = server.sessions.clone();
    server.drain.cancel();
    assert!(server.stopped(STEP).await);
    for id in &ids {
        let record = sessions
            .game_session(id)
            .await
            .expect("catalog")
            .expect("record");
        assert_eq!(record.status, GameSessionStatus::Terminated);
    }
}

/// The real binary serving the [`TELL_ON_TERMINATE`] script on loopback ports, with an
/// unsigned control API and a drain grace of `grace_secs`.
async fn binary_server(grace_secs: u64) -> RealServer {
    RealServer::start(&[], |dir| {
        let config = format!(
            "[server]\ndrain_grace_secs = {grace_secs}\n\
             [game]\nlisten = \"127.0.0.1:0\"\n\
             [control]\nlisten = \"127.0.0.1:0\"\nauth = \"none\"\n\
             [scripts]\ndata_dir = {:?}\n",
            dir.path().join("data").to_str().expect("utf-8 path")
        );
        let script = dir.write("script", &[("index.js", TELL_ON_TERMINATE)]);
        (
            config,
            vec!["--script".into(), script.display().to_string()],
        )
    })
    .await
}

/// A player logged in to a fresh game session of the binary.
async fn binary_player(server: &RealServer) -> Client {
    let control = server.control.to_string();
    let (status, created) = control_call(
        &control,
        "CreateGameSession",
        &json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": 2}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let game_session = created["GameSession"]["GameSessionId"].clone();
    let (status, player) = control_call(
        &control,
        "CreatePlayerSession",
        &json!({"GameSessionId": game_session, "PlayerId": "p"}),
    )
    .await;
    assert_eq!(status, 200, "{player}");
    let id = player["PlayerSession"]["PlayerSessionId"]
        .as_str()
        .expect("id");
    server.player(id).await
}

#[tokio::test]
async fn sigterm_drains_and_exits_zero_within_the_grace_period() {
    let mut server = binary_server(2).await;
    let mut player = binary_player(&server).await;

    server.signal("TERM");
    expect_terminating_message(&mut player).await;
    let (status, _) = http_get(server.control, "/ready").await;
    assert_eq!(status, 503, "not ready while draining");
    // The player stays; after the 2 s grace it is closed going-away and the process exits 0.
    assert_eq!(next_close(&mut player).await, Some(1001));
    let exit = server.exited().await;
    assert_eq!(exit.code(), Some(0), "{exit:?}");
}

#[tokio::test]
async fn a_second_signal_exits_at_once() {
    let mut server = binary_server(600).await;
    let mut player = binary_player(&server).await;

    server.signal("TERM");
    expect_terminating_message(&mut player).await;
    server.signal("INT");
    // Far sooner than the ten-minute grace.
    let exit = server.exited().await;
    assert_eq!(exit.code(), Some(1), "{exit:?}");
}

#[tokio::test]
async fn volley_drain_drains_through_the_control_api_and_the_server_exits_when_games_end() {
    let mut server = binary_server(600).await;
    let mut player = binary_player(&server).await;

    let endpoint = format!("http://{}", server.control);
    let drain = Command::new(VOLLEY)
        .args(["drain", "--endpoint", &endpoint])
        .env_remove("VOLLEY_ACCESS_KEY_ID")
        .env_remove("AWS_ACCESS_KEY_ID")
        .kill_on_drop(true)
        .output();
    let drain = within("volley drain", drain).await.expect("runs");
    let printed = String::from_utf8_lossy(&drain.stdout);
    assert!(drain.status.success(), "{drain:?}");
    assert!(
        printed.contains("is draining: 1 game session left"),
        "{printed}"
    );
    expect_terminating_message(&mut player).await;
    assert_eq!(http_get(server.control, "/ready").await.0, 503);

    // The last player leaves, its game session ends, and the server exits long before the
    // ten-minute grace.
    player.disconnect().await;
    let exit = server.exited().await;
    assert_eq!(exit.code(), Some(0), "{exit:?}");
}

/// `Volley.StartDrain` through the real binary's control API: its answer and body.
async fn start_drain(server: &RealServer, body: serde_json::Value) -> (u16, serde_json::Value) {
    let headers = [
        ("X-Amz-Target", "Volley.StartDrain"),
        ("Content-Type", "application/x-amz-json-1.1"),
    ];
    let response = http_request(server.control, "POST", "/", &headers, &body.to_string()).await;
    let body = serde_json::from_str(&response.body).expect("json body");
    (response.status, body)
}

#[tokio::test]
async fn a_drain_that_names_another_host_drains_nothing() {
    let mut server = binary_server(600).await;
    let headers = [
        ("X-Amz-Target", "Volley.DescribeServer"),
        ("Content-Type", "application/x-amz-json-1.1"),
    ];
    let described = http_request(server.control, "POST", "/", &headers, "{}").await;
    let described: serde_json::Value = serde_json::from_str(&described.body).expect("json");
    let here = described["Fleet"]["HostId"]
        .as_str()
        .expect("host id")
        .to_owned();

    let (status, refused) = start_drain(&server, json!({"HostId": "host-elsewhere"})).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["__type"], "InvalidRequestException");
    let message = refused["message"].as_str().expect("message");
    assert!(
        message.contains(&here) && message.contains("host-elsewhere"),
        "{message}"
    );
    assert_eq!(http_get(server.control, "/ready").await.0, 200);

    // Named right, it drains; with no game session to wait for, the server exits.
    let (status, drained) = start_drain(&server, json!({"HostId": here})).await;
    assert_eq!(status, 200, "{drained}");
    assert_eq!(drained["Draining"], true);
    assert_eq!(drained["AlreadyDraining"], false);
    let exit = server.exited().await;
    assert_eq!(exit.code(), Some(0), "{exit:?}");
}
