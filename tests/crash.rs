//! What survives a crash: the binary killed with SIGKILL and started again on the same data
//! directory keeps its script resources and the fleet's script, while its game sessions and
//! player sessions are gone, as on GameLift when a server process crashes: players are
//! disconnected, the ids answer NotFoundException, and reserved player sessions no longer log
//! in. The README ("What survives a crash or restart") says the same.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};
use support::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use volley::client::{Client, ClientConfig, ClientError, ConnectionToken};

const VOLLEY: &str = env!("CARGO_BIN_EXE_volley");

/// A running `volley serve` and the addresses it announced.
struct Served {
    child: Child,
    ws: SocketAddr,
    control: String,
}

impl Served {
    async fn start(config: &Path, script: &Path) -> Self {
        let mut child = Command::new(VOLLEY)
            .args(["serve", "--config"])
            .arg(config)
            .arg("--script")
            .arg(script)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_remove("VOLLEY_LOG")
            .kill_on_drop(true)
            .spawn()
            .expect("volley starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        let listening: Value = within("listening line", async {
            loop {
                let line = stdout
                    .next_line()
                    .await
                    .expect("stdout readable")
                    .expect("the server announces its listeners");
                let value: Value = serde_json::from_str(&line).expect("a JSON line");
                if value["event"] == "listening" {
                    return value;
                }
            }
        })
        .await;
        let address = |key: &str| listening[key].as_str().expect("an address").to_owned();
        Self {
            child,
            ws: address("ws").parse().expect("ws address"),
            control: address("control"),
        }
    }

    /// A control API call that must succeed.
    async fn call(&self, op: &str, body: Value) -> Value {
        let (status, answer) = control_call(&self.control, op, &body).await;
        assert_eq!(status, 200, "{op}: {answer}");
        answer
    }

    /// A control API call that must fail with `error`.
    async fn refused(&self, op: &str, body: Value, error: &str) {
        let (status, answer) = control_call(&self.control, op, &body).await;
        assert_eq!(
            (status, answer["__type"].as_str()),
            (400, Some(error)),
            "{op}"
        );
    }

    async fn login(&self, player_session_id: &str) -> Result<Client, ClientError> {
        let token = ConnectionToken::new(player_session_id, Bytes::new());
        let config = ClientConfig {
            fast_channel: false,
            ..ClientConfig::default()
        };
        let connect = Client::connect("127.0.0.1", self.ws.port(), token, config);
        within("login", connect).await
    }
}

#[tokio::test]
async fn after_a_crash_scripts_persist_and_game_and_player_sessions_are_gone() {
    let dir = TempDir::new();
    let data = dir.path().join("data");
    let config = dir.path().join("volley.toml");
    std::fs::write(
        &config,
        format!(
            "[game]\nlisten = \"127.0.0.1:0\"\n\
             [control]\nlisten = \"127.0.0.1:0\"\nauth = \"none\"\n\
             [scripts]\ndata_dir = \"{}\"\n",
            data.display()
        ),
    )
    .expect("config written");
    let script = dir.write("fleet", &[("index.js", "exports.ssExports = {};\n")]);
    let script = script.join("index.js");

    let server = Served::start(&config, &script).await;
    let fleet = server
        .call("DescribeFleetAttributes", json!({}))
        .await
        .pointer("/FleetAttributes/0/ScriptId")
        .and_then(Value::as_str)
        .expect("the fleet runs the --script script")
        .to_owned();
    let zip = zip(&[("index.js", "exports.ssExports = {};\n")]);
    let uploaded = server
        .call(
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
    let game = server
        .call(
            "CreateGameSession",
            json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": 2}),
        )
        .await["GameSession"]["GameSessionId"]
        .as_str()
        .expect("game session id")
        .to_owned();
    let players = server
        .call(
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
    let mut alice = server.login(&connected).await.expect("alice logs in");

    // The crash: no drain, no goodbye. Alice's connection just ends, without a close code.
    send_signal(&server.child, "KILL");
    assert_eq!(next_close(&mut alice).await, None, "no close frame");
    let mut crashed = server.child;
    within("the killed process exits", crashed.wait())
        .await
        .expect("exit status");

    let server = Served::start(&config, &script).await;
    // Game sessions and player sessions were in memory only.
    server
        .refused(
            "DescribeGameSessions",
            json!({"GameSessionId": game}),
            "NotFoundException",
        )
        .await;
    let listed = server
        .call("DescribeGameSessions", json!({"FleetId": "fleet-local"}))
        .await;
    assert_eq!(listed["GameSessions"], json!([]));
    for id in [&connected, &reserved] {
        server
            .refused(
                "DescribePlayerSessions",
                json!({"PlayerSessionId": id}),
                "NotFoundException",
            )
            .await;
    }
    let refused = server.login(&reserved).await;
    assert!(
        matches!(refused, Err(ClientError::LoginRefused)),
        "{refused:?}"
    );

    // Script resources were on disk: the upload and the fleet's script are still there.
    let described = server
        .call("DescribeScript", json!({"ScriptId": uploaded}))
        .await;
    assert_eq!(described["Script"]["Name"], "uploaded");
    let attributes = server.call("DescribeFleetAttributes", json!({})).await;
    assert_eq!(
        attributes.pointer("/FleetAttributes/0/ScriptId"),
        Some(&Value::from(fleet.as_str())),
        "the same path reuses the stored script"
    );

    // The backend places players again: a new game session runs the same script.
    let again = server
        .call(
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
