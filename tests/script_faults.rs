//! Scripts that misbehave, seen from outside: the real binary's log stays bounded while a
//! script fails on every message (and /metrics still counts every failure), a script that
//! ends its game session with `process.exit(0)` after `processEnding()` leaves a clean log,
//! a script that cannot start refuses logins with a reason and is not retried on every
//! login, and a script that runs away moves to the slow lane while every game session plays on.

mod support;

use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use serde_json::json;
use support::*;
use tokio_tungstenite::tungstenite::Message;
use volley::Options;
use volley::client::RtMessage;
use volley::config::AuthMode;
use volley::protocol::{Body, Opcode};

/// The most script failure lines one game session logs in a burst.
const FAILURE_LOG_BURST: usize = 5;

/// Starts `volley serve --dev --script` with `script` as `index.js`, JSON logs at info.
async fn served(script: &str) -> RealServer {
    RealServer::start(&["--log-format", "json"], |dir| {
        let script_dir = dir.write("script", &[("index.js", script)]);
        let config = format!(
            "[server]\nlog_level = \"info\"\ndrain_grace_secs = 5\n\
             [game]\nlisten = \"127.0.0.1:0\"\n\
             [control]\nlisten = \"127.0.0.1:0\"\nauth = \"none\"\n\
             [scripts]\ndata_dir = \"{}\"\n",
            dir.path().join("data").display()
        );
        let args = vec![
            "--dev".into(),
            "--script".into(),
            script_dir.display().to_string(),
        ];
        (config, args)
    })
    .await
}

fn message(line: &serde_json::Value) -> &str {
    line["fields"]["message"].as_str().unwrap_or_default()
}

/// Polls `series` until it reaches `expected`, within the step timeout.
async fn metric_reaches(server: &RealServer, series: &str, expected: f64) {
    for _ in 0..500 {
        if server.metric(series).await >= expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen = server.metric(series).await;
    panic!("{series} stayed at {seen}, expected {expected}");
}

const THROWS_ON_EVERY_MESSAGE: &str = r#"
exports.ssExports = {
  onMessage(gameMessage) { throw new Error('broken on message ' + gameMessage.opCode); },
};
"#;

#[tokio::test]
async fn a_script_failing_on_every_message_logs_a_bounded_number_of_lines() {
    const MESSAGES: usize = 300;
    let server = served(THROWS_ON_EVERY_MESSAGE).await;
    let player = server.player("room/flooder").await;
    for i in 0..MESSAGES {
        let message = RtMessage::to_server(Opcode(1), format!("{i}")).reliable();
        within("send", player.send(message)).await.expect("sent");
    }
    // Every failure is counted, logged or not.
    let errors = r#"volley_script_errors_total{hook="onMessage"}"#;
    metric_reaches(&server, errors, MESSAGES as f64).await;
    assert_eq!(server.metric(errors).await, MESSAGES as f64);
    player.disconnect().await;
    let lines = server.stop().await;

    let failures: Vec<_> = lines
        .iter()
        .filter(|line| message(line) == "script callback threw")
        .collect();
    assert!(
        !failures.is_empty() && failures.len() <= FAILURE_LOG_BURST,
        "{} failure lines: {failures:#?}",
        failures.len()
    );
    // What was held back is reported: on the next line through, or when the game session ends.
    let reported: u64 = lines
        .iter()
        .filter_map(|line| line["fields"]["suppressed"].as_u64())
        .sum();
    assert_eq!(
        failures.len() as u64 + reported,
        MESSAGES as u64,
        "{lines:#?}"
    );
    let summary = lines
        .iter()
        .find(|line| line["fields"]["suppressed"].as_u64().is_some())
        .expect("a line reports the suppressed count");
    assert_eq!(summary["span"]["id"], "room", "{summary}");
}

/// The GameLift guide's way to end a game session: a tick loop that, once the players have
/// gone, awaits `processEnding()` and then calls `process.exit(0)`.
const ENDS_WITH_PROCESS_EXIT: &str = r#"
'use strict';
let session;
let logger;
let activePlayers = 0;
let seenPlayer = false;

async function tickLoop() {
  if (seenPlayer && activePlayers === 0) {
    logger.info('All players disconnected. Ending game');
    const outcome = await session.processEnding();
    logger.info('Completed process ending with: ' + outcome);
    process.exit(0);
  } else {
    setTimeout(tickLoop, 10);
  }
}

exports.ssExports = {
  init(rtSession) { session = rtSession; logger = session.getLogger(); },
  onStartGameSession() { tickLoop(); },
  onPlayerAccepted() { activePlayers++; seenPlayer = true; },
  onPlayerDisconnect() { activePlayers--; },
};
"#;

#[tokio::test]
async fn process_exit_after_process_ending_ends_the_game_session_cleanly() {
    let server = served(ENDS_WITH_PROCESS_EXIT).await;
    let player = server.player("room/only").await;
    player.disconnect().await;
    // The game session ended and the script went on to process.exit(0).
    metric_reaches(
        &server,
        r#"volley_script_calls_total{hook="processEnding"}"#,
        1.0,
    )
    .await;
    // The game session is gone: a new login to it starts a fresh one.
    let again = server.player("room/again").await;
    again.disconnect().await;
    metric_reaches(
        &server,
        r#"volley_script_starts_total{result="started"}"#,
        2.0,
    )
    .await;
    for series in [
        "volley_script_unhandled_rejections_total",
        r#"volley_script_errors_total{hook="processEnding"}"#,
        r#"volley_script_errors_total{hook="timer"}"#,
    ] {
        assert_eq!(server.metric(series).await, 0.0, "{series}");
    }
    let lines = server.stop().await;
    assert!(
        lines
            .iter()
            .any(|line| message(line) == "Completed process ending with: true"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| message(line) == "process.exit: ending the game session"),
        "{lines:#?}"
    );
    let complaints: Vec<_> = lines
        .iter()
        .filter(|line| line["target"] == "script" && line["level"] != "INFO")
        .collect();
    assert!(complaints.is_empty(), "{complaints:#?}");
}

const FAILS_TO_LOAD: &str = "throw new Error('cannot load: missing config');";

/// Fails like [`FAILS_TO_LOAD`], after half a second: logins arrive while it loads.
const FAILS_TO_LOAD_SLOWLY: &str = "const until = Date.now() + 500; while (Date.now() < until) {}\n\
    throw new Error('cannot load: missing config');";

/// A server in process whose fleet runs `script`, with an unsigned control API; in dev mode
/// (which opens the game session `default` at start) if `dev`.
async fn script_server(script: &str, dev: bool) -> (TestServer, TempDir) {
    let dir = TempDir::new();
    let script = dir.write("script", &[("index.js", script)]);
    let mut config = test_config();
    config.control.auth = AuthMode::None;
    config.scripts.data_dir = dir.path().join("data");
    let options = Options {
        dev,
        script: Some(script),
    };
    (TestServer::with(config, options).await, dir)
}

/// Logs in on a raw WebSocket and returns the LOGIN_RESULT's success and the close that
/// follows (code and reason).
async fn login_outcome(server: &TestServer, player_session_id: &str) -> (bool, u16, String) {
    let mut raw = server.raw().await;
    raw.login(player_session_id).await;
    let success = match raw.next_packet().await.body {
        Some(Body::LoginResult(result)) => result.success,
        other => panic!("expected LOGIN_RESULT, got {other:?}"),
    };
    loop {
        match within("close", raw.ws.next()).await {
            Some(Ok(Message::Close(Some(frame)))) => {
                return (success, frame.code.into(), frame.reason.to_string());
            }
            Some(Ok(Message::Close(None))) => return (success, 1005, String::new()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("connection failed without a close frame: {e}"),
            None => panic!("connection ended without a close frame"),
        }
    }
}

#[tokio::test]
async fn a_script_that_fails_to_load_refuses_logins_with_a_reason_and_backs_off() {
    // The game session `default` tries the script at start, and fails after a while: a
    // login that waits for it is answered.
    let (server, _dir) = script_server(FAILS_TO_LOAD_SLOWLY, true).await;
    let refused = (false, 1008, "script_start_failed".to_owned());
    assert_eq!(login_outcome(&server, "default/first").await, refused);
    assert_eq!(server.metrics().script_start_failures, 1);

    // A burst of logins, to that game session and to others, within the backoff: each gets
    // its answer, and the script is not started again.
    let burst = (0..20).map(|i| {
        let id = if i % 2 == 0 {
            format!("room/p{i}")
        } else {
            format!("other-{i}/p")
        };
        let server = &server;
        async move { login_outcome(server, &id).await }
    });
    for outcome in futures_util::future::join_all(burst).await {
        assert_eq!(outcome, refused);
    }
    let metrics = server.metrics();
    assert_eq!(metrics.script_start_failures, 1, "{metrics:?}");
    assert_eq!(metrics.logins_refused_script_start, 21, "{metrics:?}");
    assert_eq!(metrics.logins_accepted, 0, "{metrics:?}");

    // A new revision of the script is tried at once.
    let control = server.addresses.control.to_string();
    let (_, listed) = control_call(&control, "ListScripts", &json!({})).await;
    let script_id = listed["Scripts"][0]["ScriptId"]
        .as_str()
        .expect("script id");
    let fixed = zip(&[("index.js", "exports.ssExports = {};")]);
    let (status, updated) = control_call(
        &control,
        "UpdateScript",
        &json!({
            "ScriptId": script_id,
            "ZipFile": base64::engine::general_purpose::STANDARD.encode(fixed),
        }),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let mut raw = server.raw().await;
    raw.login_ok("room/fixed").await;
    assert_eq!(server.metrics().script_starts, 1);
}

#[tokio::test]
async fn create_game_session_with_a_failing_script_is_not_retried_within_the_backoff() {
    let (server, _dir) = script_server(FAILS_TO_LOAD, false).await;
    let control = server.addresses.control.to_string();
    for _ in 0..3 {
        let (status, created) = control_call(
            &control,
            "CreateGameSession",
            &json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": 2}),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        assert_eq!(created["GameSession"]["Status"], "ERROR", "{created}");
    }
    let metrics = server.metrics();
    assert_eq!(metrics.script_start_failures, 1, "{metrics:?}");
    assert_eq!(metrics.script_starts_held_back, 2, "{metrics:?}");
}

/// Loops in a timer, until each callback's time cap, in the game session named `runaway`.
const RUNS_AWAY_IN_ONE_ROOM: &str = r#"
exports.ssExports = {
  init(session) {
    if (session.getGameSessionId() === 'runaway') setInterval(() => { for (;;) {} }, 1);
  },
};
"#;

/// `from` sends to `to`, which reads it.
async fn relays(from: &volley::client::Client, to: &mut volley::client::Client, text: &str) {
    let message = RtMessage::to_player(Opcode(9), to.peer_id(), text.to_owned()).reliable();
    within("send", from.send(message)).await.expect("sent");
    let got = next_data(to).await;
    assert_eq!(
        (got.sender, &got.payload[..]),
        (from.peer_id(), text.as_bytes())
    );
}

#[tokio::test]
async fn a_runaway_script_moves_to_the_slow_lane_and_every_game_session_plays_on() {
    let server = served(RUNS_AWAY_IN_ONE_ROOM).await;
    let calm_a = server.player("calm/a").await;
    let mut calm_b = server.player("calm/b").await;
    let runaway_a = server.player("runaway/a").await;
    let mut runaway_b = server.player("runaway/b").await;
    // The runaway game session's first wakes take its whole time cap.
    metric_reaches(&server, "volley_script_sessions_slow", 1.0).await;
    metric_reaches(
        &server,
        r#"volley_script_timeouts_total{hook="timer"}"#,
        3.0,
    )
    .await;
    for round in 0..20 {
        relays(&calm_a, &mut calm_b, &format!("calm {round}")).await;
        // Between its loops, the runaway game session relays too, from the slow lane.
        relays(&runaway_a, &mut runaway_b, &format!("runaway {round}")).await;
    }
    // Only the runaway game session is slow.
    assert_eq!(server.metric("volley_script_sessions_slow").await, 1.0);
    for player in [calm_a, calm_b, runaway_a, runaway_b] {
        player.disconnect().await;
    }
}
