//! SIGHUP reloads the config file into the running binary: new limits and a new log level
//! take effect while connected players carry on, settings that need a restart are named,
//! and a broken file changes nothing.

mod support;

use bytes::Bytes;
use std::process::Stdio;
use support::*;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use volley::client::{Client, ClientConfig, ConnectionToken, RtMessage};
use volley::protocol::{GroupId, Opcode};

const VOLLEY: &str = env!("CARGO_BIN_EXE_volley");

fn config_text(max_connections: u32, log_level: &str, max_players: u32) -> String {
    format!(
        "[server]\nlog_level = \"{log_level}\"\n\
         [game]\nlisten = \"127.0.0.1:0\"\n\
         [control]\nlisten = \"127.0.0.1:0\"\n\
         [limits]\nmax_connections = {max_connections}\n\
         [sessions]\nmax_players = {max_players}\n"
    )
}

struct Served {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Lines<BufReader<ChildStderr>>,
    ws_port: u16,
}

impl Served {
    async fn stdout_line(&mut self, needle: &str) -> serde_json::Value {
        let read = async {
            while let Some(line) = self.stdout.next_line().await.expect("stdout readable") {
                if line.contains(needle) {
                    return serde_json::from_str(&line).expect("json line");
                }
            }
            panic!("stdout ended before {needle:?}");
        };
        within(needle, read).await
    }

    /// Stderr lines up to and including the first one containing `needle`.
    async fn stderr_until(&mut self, needle: &str) -> Vec<String> {
        let read = async {
            let mut seen = Vec::new();
            while let Some(line) = self.stderr.next_line().await.expect("stderr readable") {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            panic!("stderr ended before {needle:?}: {seen:?}");
        };
        within(needle, read).await
    }

    async fn player(&self, player_session_id: &str) -> Result<Client, volley::client::ClientError> {
        let token = ConnectionToken::new(player_session_id, Bytes::new());
        let config = ClientConfig {
            fast_channel: false,
            ..ClientConfig::default()
        };
        within(
            "connect",
            Client::connect("127.0.0.1", self.ws_port, token, config),
        )
        .await
    }
}

async fn serve(config: &std::path::Path) -> Served {
    let mut child = Command::new(VOLLEY)
        .args(["--log-format", "json", "serve", "--dev", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("VOLLEY_LOG")
        .kill_on_drop(true)
        .spawn()
        .expect("volley starts");
    let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
    let stderr = BufReader::new(child.stderr.take().expect("piped")).lines();
    let mut served = Served {
        child,
        stdout,
        stderr,
        ws_port: 0,
    };
    let listening = served.stdout_line("\"listening\"").await;
    served.ws_port = listening["ws"]
        .as_str()
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
        .expect("ws address")
        .port();
    served
}

#[tokio::test]
async fn sighup_applies_limits_and_log_level_without_dropping_a_connection() {
    let dir = TempDir::new();
    let path = dir.path().join("volley.toml");
    std::fs::write(&path, config_text(1, "warn", 32)).expect("config written");
    let mut server = serve(&path).await;

    let mut first = server.player("room/first").await.expect("first login");
    // One connection at most: the second is closed on accept.
    assert!(server.player("room/second").await.is_err());

    // A broken file changes nothing.
    std::fs::write(&path, "[limits]\nmax_connections = \"many\"\n").expect("written");
    send_signal(&server.child, "HUP");
    let failed = server.stdout_line("\"reload_failed\"").await;
    assert!(
        failed["error"]
            .as_str()
            .expect("error")
            .contains("max_connections"),
        "{failed}"
    );
    assert!(server.player("room/second").await.is_err());

    std::fs::write(&path, config_text(3, "debug", 5)).expect("config written");
    send_signal(&server.child, "HUP");
    let reloaded = server.stdout_line("\"reloaded\"").await;
    assert_eq!(
        reloaded["applied"],
        serde_json::json!(["limits.max_connections", "server.log_level"])
    );
    assert_eq!(
        reloaded["needs_restart"],
        serde_json::json!(["sessions.max_players"])
    );
    // Nothing at debug was logged before the reload, and its report is logged after it.
    let before = server.stderr_until("config reloaded").await;
    assert!(
        !before.iter().any(|line| line.contains("player joined")),
        "{before:?}"
    );

    // The new limit lets the second player in; the first one is still there.
    let mut second = server.player("room/second").await.expect("second login");
    let hello = RtMessage::to_group(Opcode(7), GroupId::ALL_PLAYERS, "still here").reliable();
    first.send(hello).await.expect("sent");
    let data = next_data(&mut second).await;
    assert_eq!(data.payload, Bytes::from_static(b"still here"));
    assert_eq!(next_data(&mut first).await.payload, data.payload, "echo");

    // Debug lines now appear, in JSON, naming the game session of the line.
    let lines = server.stderr_until("player joined").await;
    let joined: serde_json::Value =
        serde_json::from_str(lines.last().expect("a line")).expect("json log line");
    assert_eq!(joined["level"], "DEBUG");
    assert_eq!(joined["span"]["name"], "session");
    assert_eq!(joined["span"]["id"], "room");
}
