//! SIGHUP reloads the config file into the running binary: new limits and a new log level
//! take effect while connected players carry on, settings that need a restart are named,
//! and a broken file changes nothing.

mod support;

use bytes::Bytes;
use support::*;
use volley::client::RtMessage;
use volley::protocol::{GroupId, Opcode};

fn config_text(max_connections: u32, log_level: &str, max_players: u32) -> String {
    format!(
        "[server]\nlog_level = \"{log_level}\"\n\
         [game]\nlisten = \"127.0.0.1:0\"\n\
         [control]\nlisten = \"127.0.0.1:0\"\n\
         [limits]\nmax_connections = {max_connections}\n\
         [sessions]\nmax_players = {max_players}\n"
    )
}

#[tokio::test]
async fn sighup_applies_limits_and_log_level_without_dropping_a_connection() {
    let mut server = RealServer::start(&["--log-format", "json"], |_| {
        (config_text(1, "warn", 32), vec!["--dev".to_owned()])
    })
    .await;
    let path = server.config_file().to_owned();

    let mut first = server.connect("room/first").await.expect("first login");
    // One connection at most: the second is closed on accept.
    assert!(server.connect("room/second").await.is_err());

    // A broken file changes nothing.
    std::fs::write(&path, "[limits]\nmax_connections = \"many\"\n").expect("written");
    server.signal("HUP");
    let failed = server.stdout_line("\"reload_failed\"").await;
    assert!(
        failed["error"]
            .as_str()
            .expect("error")
            .contains("max_connections"),
        "{failed}"
    );
    assert!(server.connect("room/second").await.is_err());

    std::fs::write(&path, config_text(3, "debug", 5)).expect("config written");
    server.signal("HUP");
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
    let mut second = server.connect("room/second").await.expect("second login");
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
