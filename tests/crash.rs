//! What survives a crash: the binary killed with SIGKILL and started again on the same data
//! directory keeps its script resources and the fleet's script, while its game sessions and
//! player sessions are gone, as on GameLift when a server process crashes: players are
//! disconnected, the ids answer NotFoundException, and reserved player sessions no longer log
//! in. The README ("What survives a crash or restart") says the same.

mod support;

use base64::Engine;
use serde_json::{Value, json};
use support::*;
use volley::client::ClientError;

/// A control API call that must succeed.
async fn call(server: &RealServer, op: &str, body: Value) -> Value {
    let (status, answer) = control_call(&server.control.to_string(), op, &body).await;
    assert_eq!(status, 200, "{op}: {answer}");
    answer
}

/// A control API call that must fail with `error`.
async fn call_refused(server: &RealServer, op: &str, body: Value, error: &str) {
    let (status, answer) = control_call(&server.control.to_string(), op, &body).await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some(error)),
        "{op}"
    );
}

#[tokio::test]
async fn after_a_crash_scripts_persist_and_game_and_player_sessions_are_gone() {
    let mut server = RealServer::start(&[], |dir| {
        let data = dir.path().join("data");
        let config = format!(
            "[game]\nlisten = \"127.0.0.1:0\"\n\
             [control]\nlisten = \"127.0.0.1:0\"\nauth = \"none\"\n\
             [scripts]\ndata_dir = \"{}\"\n",
            data.display()
        );
        let script = dir.write("fleet", &[("index.js", "exports.ssExports = {};\n")]);
        let script = script.join("index.js");
        (
            config,
            vec!["--script".into(), script.display().to_string()],
        )
    })
    .await;
    let fleet = call(&server, "DescribeFleetAttributes", json!({}))
        .await
        .pointer("/FleetAttributes/0/ScriptId")
        .and_then(Value::as_str)
        .expect("the fleet runs the --script script")
        .to_owned();
    let zip = zip(&[("index.js", "exports.ssExports = {};\n")]);
    let uploaded = call(
        &server,
        "CreateScript",
        json!({
            "Name": "uploaded",
            "ZipFile": base64::engine::general_purpose::STANDARD.encode(zip),
        }),
    )
    .await["Script"]["ScriptId"]
        .as_str()
        .expect("script id")
        .to_owned();
    let game = call(
        &server,
        "CreateGameSession",
        json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": 2}),
    )
    .await["GameSession"]["GameSessionId"]
        .as_str()
        .expect("game session id")
        .to_owned();
    let players = call(
        &server,
        "CreatePlayerSessions",
        json!({"GameSessionId": game, "PlayerIds": ["alice", "bob"]}),
    )
    .await;
    let seat = |i: usize| {
        players["PlayerSessions"][i]["PlayerSessionId"]
            .as_str()
            .expect("player session id")
            .to_owned()
    };
    let (connected, reserved) = (seat(0), seat(1));
    let mut alice = server.connect(&connected).await.expect("alice logs in");

    // The crash: no drain, no goodbye. Alice's connection just ends, without a close code.
    server.signal("KILL");
    assert_eq!(next_close(&mut alice).await, None, "no close frame");
    server.exited().await;

    server.restart().await;
    // Game sessions and player sessions were in memory only.
    call_refused(
        &server,
        "DescribeGameSessions",
        json!({"GameSessionId": game}),
        "NotFoundException",
    )
    .await;
    let listed = call(
        &server,
        "DescribeGameSessions",
        json!({"FleetId": "fleet-local"}),
    )
    .await;
    assert_eq!(listed["GameSessions"], json!([]));
    for id in [&connected, &reserved] {
        call_refused(
            &server,
            "DescribePlayerSessions",
            json!({"PlayerSessionId": id}),
            "NotFoundException",
        )
        .await;
    }
    let refused = server.connect(&reserved).await;
    assert!(
        matches!(refused, Err(ClientError::LoginRefused)),
        "{refused:?}"
    );

    // Script resources were on disk: the upload and the fleet's script are still there.
    let described = call(&server, "DescribeScript", json!({"ScriptId": uploaded})).await;
    assert_eq!(described["Script"]["Name"], "uploaded");
    let attributes = call(&server, "DescribeFleetAttributes", json!({})).await;
    assert_eq!(
        attributes.pointer("/FleetAttributes/0/ScriptId"),
        Some(&Value::from(fleet.as_str())),
        "the same path reuses the stored script"
    );

    // The backend places players again: a new game session runs the same script.
    let again = call(
        &server,
        "CreateGameSession",
        json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": 2}),
    )
    .await;
    assert_eq!(again["GameSession"]["Status"], "ACTIVE");
    assert_eq!(
        again["GameSession"]["ScriptId"],
        Value::from(fleet.as_str())
    );
}
