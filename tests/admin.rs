//! Operators' view of a running server: `Volley.DescribeServer` through the signed control
//! client with the server's own types (plain and HTTPS), and the real `volley status` and `volley health` binaries
//! against a real server.

use std::process::Stdio;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::process::Command;
use volley::api::admin::{DescribeServerInput, DescribeServerOutput};
use volley::api::fleets::ListFleetsInput;
use volley::api::model::GameSessionStatus;
use volley::catalog::GameSessionSpec;
use volley::config::{AccessKey, Config};
use volley::control_client::{
    ClientOptions, ControlClient, ControlClientError, Credentials, Endpoint,
};
use volley::core::GameSessionId;
use volley::secret::Secret;
use volley::{Options, client::Client};

mod support;

use support::{TempDir, TestServer, test_config, unused_addr, within};

const VOLLEY: &str = env!("CARGO_BIN_EXE_volley");
const KEY_ID: &str = "AKIDVOLLEYADMIN";
const SECRET: &str = "admin/K7MDENG+bPxRfiCYTESTSECRET";

/// A config signed with [`KEY_ID`] and storing scripts in `dir`.
fn signed_config(dir: &TempDir) -> Config {
    let mut config = test_config();
    config.control.access_keys.push(AccessKey {
        id: KEY_ID.to_owned(),
        secret: Secret::new(SECRET),
    });
    config.scripts.data_dir = dir.path().join("data");
    config
}

fn options(secret: Option<&str>) -> ClientOptions {
    ClientOptions {
        credentials: secret.map(|secret| Credentials {
            access_key_id: KEY_ID.to_owned(),
            secret_access_key: Secret::new(secret),
            region: "eu-west-3".to_owned(),
        }),
        ..ClientOptions::default()
    }
}

fn client(server: &TestServer, secret: Option<&str>) -> ControlClient {
    let endpoint = Endpoint::from_addr(server.addresses.control, false);
    ControlClient::new(endpoint, options(secret)).expect("client")
}

async fn describe(
    client: &ControlClient,
    limit: Option<i32>,
) -> Result<DescribeServerOutput, ControlClientError> {
    within(
        "describe server",
        client.send(&DescribeServerInput { limit }),
    )
    .await
}

/// `Volley.DescribeServer` with a body of any shape.
async fn describe_raw(client: &ControlClient, input: Value) -> Result<Value, ControlClientError> {
    within(
        "describe server",
        client.call("Volley.DescribeServer", &input),
    )
    .await
}

async fn game_session(server: &TestServer, name: &str, max_players: u32) -> GameSessionId {
    let spec = GameSessionSpec {
        max_players,
        name: Some(name.to_owned()),
        location: "local".into(),
        ..Default::default()
    };
    within("create", server.sessions.create_game_session(spec))
        .await
        .expect("created")
        .id
}

/// A server whose fleet runs a script, with game sessions `first` (two players logged in,
/// one seat reserved), `second` (empty) and `gone` (terminated).
async fn busy_server(dir: &TempDir) -> (TestServer, Vec<Client>) {
    let script = dir.write("script", &[("index.js", "exports.ssExports = {};\n")]);
    let options = Options {
        script: Some(script),
        ..Options::default()
    };
    let server = TestServer::with(signed_config(dir), options).await;
    let first = game_session(&server, "first", 4).await;
    let players = vec![server.player(&first).await, server.player(&first).await];
    server.player_session(&first).await;
    game_session(&server, "second", 2).await;
    let gone = game_session(&server, "gone", 2).await;
    within(
        "terminate",
        server
            .sessions
            .terminate_game_session(&gone, "TERMINATED", true),
    )
    .await
    .expect("terminated");
    support::eventually("the terminated game session ended", async || {
        server
            .record(&gone)
            .await
            .is_some_and(|g| g.status.is_ended())
    })
    .await;
    (server, players)
}

#[tokio::test]
async fn describe_server_lists_running_game_sessions_with_players_scripts_and_counters() {
    let dir = TempDir::new();
    let (server, _players) = busy_server(&dir).await;
    let client = client(&server, Some(SECRET));

    let output = describe(&client, None).await.expect("described");
    let about = &output.server;
    assert_eq!(about.version, env!("CARGO_PKG_VERSION"));
    assert!(about.ready);
    assert!(!about.draining);
    assert_eq!(about.fleet_id, "fleet-local");
    assert!(
        about.start_time.0 > UNIX_EPOCH + Duration::from_secs(1_600_000_000),
        "{about:?}"
    );
    let listeners = &about.listeners;
    assert_eq!(listeners.game, server.addresses.ws.to_string());
    assert_eq!(listeners.udp, server.addresses.udp.to_string());
    assert_eq!(listeners.control, server.addresses.control.to_string());
    let script = about.script.as_ref().expect("fleet script");
    assert_eq!(script.revision, Some(1));

    // Running game sessions only, oldest first; the terminated one is left out.
    assert_eq!(output.game_session_count, 2, "{output:?}");
    assert_eq!(output.player_session_count, 3, "{output:?}");
    let sessions = &output.game_sessions;
    let names: Vec<&str> = sessions.iter().filter_map(|g| g.name.as_deref()).collect();
    assert_eq!(names, ["first", "second"]);
    let first = &sessions[0];
    assert!(first.game_session_id.contains("gsess-"));
    assert_eq!(first.status, GameSessionStatus::Active);
    assert_eq!(
        first.current_player_session_count, 3,
        "two logged in, one reserved"
    );
    assert_eq!(first.active_player_session_count, 2);
    assert_eq!(first.maximum_player_session_count, 4);
    assert_eq!(first.script_id.as_ref(), Some(&script.script_id));
    assert_eq!(first.script_revision, Some(1));

    let counters = &output.counters;
    assert_eq!(counters.logins_accepted, 2, "{counters:?}");
    assert_eq!(counters.logins_refused, 0, "{counters:?}");
    assert!(counters.connections_accepted >= 2, "{counters:?}");

    // `Limit` bounds the list, not the count.
    let page = describe(&client, Some(1)).await.expect("described");
    let names: Vec<_> = page
        .game_sessions
        .iter()
        .map(|g| g.name.as_deref())
        .collect();
    assert_eq!(names, [Some("first")]);
    assert_eq!(page.game_session_count, 2);

    // The wire form is what the SDKs read: timestamps as epoch seconds, counts as integers.
    let raw = describe_raw(&client, json!({})).await.expect("described");
    assert!(raw["Server"]["StartTime"].is_f64(), "{raw}");
    assert!(raw["Server"]["UptimeSeconds"].is_u64(), "{raw}");
    assert!(raw["GameSessions"][0]["CreationTime"].is_f64(), "{raw}");
    server.stop().await;
}

#[tokio::test]
async fn describe_server_is_authenticated_and_validated_like_gamelift_operations() {
    let dir = TempDir::new();
    let server = TestServer::with(signed_config(&dir), Options::default()).await;
    let api_error = |result: Result<Value, ControlClientError>| match result {
        Err(ControlClientError::Api {
            status, error_type, ..
        }) => (status, error_type),
        other => panic!("expected an API error, got {other:?}"),
    };

    let unsigned = client(&server, None);
    let (status, error) = api_error(describe_raw(&unsigned, json!({})).await);
    assert_eq!(
        (status, error.as_str()),
        (400, "MissingAuthenticationTokenException")
    );
    let wrong = client(&server, Some("not-the-secret"));
    let (_, error) = api_error(describe_raw(&wrong, json!({})).await);
    assert_eq!(error, "InvalidSignatureException");

    let signed = client(&server, Some(SECRET));
    for limit in [json!(0), json!(1001)] {
        let (_, error) = api_error(describe_raw(&signed, json!({"Limit": limit})).await);
        assert_eq!(error, "InvalidRequestException", "Limit {limit}");
    }
    let (_, error) = api_error(describe_raw(&signed, json!({"Limit": "ten"})).await);
    assert_eq!(error, "SerializationException");
    for target in ["Volley.Nothing", "GameLift.Volley.DescribeServer", "Volley"] {
        let result = within("call", signed.call(target, &json!({}))).await;
        let (_, error) = api_error(result);
        assert_eq!(error, "UnknownOperationException", "{target}");
    }
    // GameLift operations still answer through the same client.
    let fleets = within("list fleets", signed.send(&ListFleetsInput::default()))
        .await
        .expect("listed");
    assert_eq!(fleets.fleet_ids, ["fleet-local"]);
    server.stop().await;
}

#[tokio::test]
async fn describe_server_over_https_trusts_only_the_given_ca() {
    let dir = TempDir::new();
    let mut config = signed_config(&dir);
    let files = support::test_certs(&dir);
    let ca_pem = std::fs::read(files.ca_file.as_deref().expect("ca file")).expect("ca.pem");
    config.tls.files = Some(files);
    config.tls.control = true;
    let server = TestServer::with(config, Options::default()).await;
    let endpoint = Endpoint::from_addr(server.addresses.control, true);

    let trusted = ClientOptions {
        ca_pem: Some(ca_pem),
        server_name: Some("localhost".to_owned()),
        ..options(Some(SECRET))
    };
    let client = ControlClient::new(endpoint.clone(), trusted.clone()).expect("client");
    let output = describe(&client, None).await.expect("described");
    assert!(output.server.listeners.control_tls);
    let health = within("health", client.get("/health"))
        .await
        .expect("answered");
    assert_eq!(health.status, 200);

    // Another CA's certificates are not trusted.
    let other = TempDir::new();
    let other_files = support::test_certs(&other);
    let untrusted = ClientOptions {
        ca_pem: Some(std::fs::read(other_files.ca_file.expect("ca")).expect("other ca")),
        ..trusted
    };
    let client = ControlClient::new(endpoint, untrusted).expect("client");
    let result = describe(&client, None).await;
    assert!(
        matches!(result, Err(ControlClientError::Tls { .. })),
        "{result:?}"
    );
    server.stop().await;
}

/// Runs the real `volley` with `args`, without any access key from the test's environment.
async fn volley(args: &[&str]) -> std::process::Output {
    let mut command = Command::new(VOLLEY);
    command.args(args).stdin(Stdio::null()).kill_on_drop(true);
    for name in [
        "VOLLEY_ACCESS_KEY_ID",
        "VOLLEY_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        command.env_remove(name);
    }
    within("volley exits", command.output())
        .await
        .expect("volley runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn volley_status_shows_game_sessions_with_their_player_counts() {
    let dir = TempDir::new();
    let (server, _players) = busy_server(&dir).await;
    let endpoint = format!("http://{}", server.addresses.control);
    let signed = [
        "status",
        "--endpoint",
        &endpoint,
        "--access-key-id",
        KEY_ID,
        "--secret-access-key",
        SECRET,
    ];

    let out = volley(&signed).await;
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("volley "), "{stdout}");
    assert!(stdout.contains(", ready\n"), "{stdout}");
    let first = stdout
        .lines()
        .find(|line| line.contains(" first "))
        .unwrap_or_else(|| panic!("a row for `first`:\n{stdout}"));
    let cells: Vec<&str> = first.split_whitespace().collect();
    assert!(cells[0].starts_with("gsess-"), "{first}");
    assert_eq!(&cells[1..5], ["first", "ACTIVE", "3/4", "2"], "{first}");
    assert!(cells[5].starts_with("script-"), "{first}");
    assert!(
        !stdout.contains(" gone "),
        "ended game sessions are left out:\n{stdout}"
    );
    assert!(
        stdout.contains("2 game sessions, 3 player sessions"),
        "{stdout}"
    );
    assert!(stdout.contains("logins 2 accepted, 0 refused"), "{stdout}");
    assert!(!text(&out.stderr).contains(SECRET));

    // The raw output, bounded by --limit.
    let mut json_args = signed.to_vec();
    json_args.extend(["--json", "--limit", "1"]);
    let out = volley(&json_args).await;
    assert!(out.status.success(), "{out:?}");
    let output: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(output["GameSessionCount"], 2);
    assert_eq!(output["GameSessions"][0]["ActivePlayerSessionCount"], 2);
    assert_eq!(output["GameSessions"].as_array().map(Vec::len), Some(1));
    server.stop().await;
}

#[tokio::test]
async fn volley_status_reads_the_endpoint_and_key_from_the_server_config() {
    let dir = TempDir::new();
    let server = TestServer::with(signed_config(&dir), Options::default()).await;
    let config = dir.path().join("volley.toml");
    let toml = format!(
        "[control]\nlisten = \"0.0.0.0:{}\"\naccess_keys = [{{ access_key_id = \"{KEY_ID}\", \
         secret_access_key = \"{SECRET}\" }}]\n",
        server.addresses.control.port()
    );
    std::fs::write(&config, toml).expect("config written");
    let out = volley(&["status", "--config", config.to_str().expect("utf-8")]).await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        text(&out.stdout).contains("no game sessions running"),
        "{out:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn volley_status_with_a_wrong_secret_fails_with_the_auth_error() {
    let dir = TempDir::new();
    let server = TestServer::with(signed_config(&dir), Options::default()).await;
    let endpoint = format!("http://{}", server.addresses.control);
    let out = volley(&[
        "status",
        "--endpoint",
        &endpoint,
        "--access-key-id",
        KEY_ID,
        "--secret-access-key",
        "not-the-secret",
    ])
    .await;
    assert!(!out.status.success(), "{out:?}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("InvalidSignatureException"), "{stderr}");
    assert!(stderr.contains("does not match"), "{stderr}");
    assert!(!stderr.contains("not-the-secret"), "{stderr}");

    let out = volley(&["status", "--endpoint", &endpoint]).await;
    assert!(!out.status.success(), "{out:?}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("MissingAuthenticationTokenException"),
        "{stderr}"
    );
    assert!(stderr.contains("--access-key-id"), "{stderr}");
    server.stop().await;
}

#[tokio::test]
async fn volley_health_exits_0_against_a_live_server_and_1_against_a_closed_port() {
    let dir = TempDir::new();
    let server = TestServer::with(signed_config(&dir), Options::default()).await;
    let endpoint = format!("http://{}", server.addresses.control);

    let out = volley(&["health", "--endpoint", &endpoint]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(text(&out.stdout), "/health: {\"status\":\"ok\"}\n");
    let out = volley(&["health", "--endpoint", &endpoint, "--ready"]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(text(&out.stdout).contains("\"ready\":true"), "{out:?}");

    let closed = format!("http://{}", unused_addr());
    let out = volley(&["health", "--endpoint", &closed, "--timeout-secs", "2"]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("cannot connect"), "{out:?}");

    // Something that answers, but not 200.
    let out = volley(&["health", "--endpoint", &format!("{endpoint}/nowhere/")]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    server.stop().await;
}
