//! The real binary's logs as operators read them: no colour codes unless a person is at a
//! terminal (and not even then with `NO_COLOR`), a misspelt log level refused instead of
//! silently logging nothing, and a game session's lines labelled by that game session only.

mod support;

use std::process::Stdio;

use support::*;
use tokio::process::Command;

const VOLLEY: &str = env!("CARGO_BIN_EXE_volley");
/// The escape sequence that starts every colour code.
const ESCAPE: &str = "\x1b[";

/// A dev server with text logs at debug, on loopback ports.
async fn dev_text_server() -> RealServer {
    RealServer::start(&[], |_| {
        let config = "[server]\nlog_level = \"debug\"\n[game]\nlisten = \"127.0.0.1:0\"\n\
                      [control]\nlisten = \"127.0.0.1:0\"\n";
        (config.to_owned(), vec!["--dev".to_owned()])
    })
    .await
}

#[tokio::test]
async fn text_logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let server = dev_text_server().await;
    let player = server.player("alice").await;
    player.disconnect().await;
    let lines = server.stop_lines().await;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("listening") || l.contains("serving"))
    );
    let coloured: Vec<&String> = lines.iter().filter(|l| l.contains(ESCAPE)).collect();
    assert!(coloured.is_empty(), "colour codes in a pipe: {coloured:?}");
}

/// Runs `volley serve --dev` under a pseudo-terminal (`script`), so that stderr is a
/// terminal, until its ready line; returns what the terminal showed.
async fn on_a_terminal(no_color: Option<&str>) -> String {
    let command = format!(
        "{VOLLEY} --log-level debug serve --dev --listen 127.0.0.1:0 --control-listen 127.0.0.1:0"
    );
    let mut script = Command::new("script");
    script
        .args(["-qefc", &command, "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env_remove("VOLLEY_LOG")
        .env_remove("NO_COLOR")
        .kill_on_drop(true);
    if let Some(value) = no_color {
        script.env("NO_COLOR", value);
    }
    let mut child = script.spawn().expect("script runs");
    let mut stdout = child.stdout.take().expect("piped");
    let mut seen = Vec::new();
    let read = async {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 4096];
        // Until the server's "serving" line (logged after the ready line) has come through.
        while !String::from_utf8_lossy(&seen).contains("serving") {
            let n = stdout.read(&mut buf).await.expect("terminal readable");
            assert!(
                n > 0,
                "the terminal closed: {}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&buf[..n]);
        }
    };
    within("the server's lines on the terminal", read).await;
    // The server runs under `script` on the pseudo-terminal, and takes the hang-up that
    // killing `script` leaves it with for a reload: stop it first, by its pid.
    if let Some(script_pid) = child.id() {
        let children =
            std::fs::read_to_string(format!("/proc/{script_pid}/task/{script_pid}/children"))
                .unwrap_or_default();
        for pid in children.split_whitespace() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", pid])
                .status();
        }
    }
    child.kill().await.expect("killed");
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn a_terminal_gets_colour_unless_no_color_is_set() {
    assert!(
        on_a_terminal(None).await.contains(ESCAPE),
        "no colour on a terminal"
    );
    let plain = on_a_terminal(Some("1")).await;
    assert!(
        !plain.contains(ESCAPE),
        "colour despite NO_COLOR: {plain:?}"
    );
}

#[tokio::test]
async fn a_misspelt_log_level_is_refused_by_serve_and_check_config() {
    let dir = TempDir::new();
    let config = dir.path().join("volley.toml");
    std::fs::write(&config, "[server]\nlog_level = \"inof\"\n").expect("written");
    let run = |args: Vec<String>| async move {
        let output = Command::new(VOLLEY)
            .args(&args)
            .env_remove("VOLLEY_LOG")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        within("volley exits", output).await.expect("volley runs")
    };
    let file = config.display().to_string();
    for args in [
        vec!["check-config".to_owned(), file.clone()],
        vec!["serve".to_owned(), "--config".to_owned(), file],
    ] {
        let output = run(args.clone()).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} accepted \"inof\"");
        assert!(stderr.contains("server.log_level"), "{args:?}: {stderr}");
        assert!(stderr.contains("inof"), "{args:?}: {stderr}");
    }
    let output = run(vec!["--log-level".into(), "inof".into(), "serve".into()]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "--log-level inof accepted");
    assert!(stderr.contains("invalid log level `inof`"), "{stderr}");
}

#[tokio::test]
async fn a_game_session_logs_under_its_own_span_not_its_creators_connection() {
    let server = RealServer::start(&["--log-format", "json"], |_| {
        let config = "[server]\nlog_level = \"debug\"\n[game]\nlisten = \"127.0.0.1:0\"\n\
                      [control]\nlisten = \"127.0.0.1:0\"\n";
        (config.to_owned(), vec!["--dev".to_owned()])
    })
    .await;
    // Alice's login opens `room-1` in dev mode, from within her connection's task.
    let alice = server.player("room-1/alice").await;
    let bob = server.player("room-1/bob").await;
    bob.disconnect().await;
    alice.disconnect().await;
    let lines = server.stop().await;
    let session_lines: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["span"]["name"] == "session")
        .collect();
    assert!(
        session_lines
            .iter()
            .any(|line| line["fields"]["message"] == "player joined"),
        "the session's own lines: {lines:?}"
    );
    for line in session_lines {
        let spans = line["spans"].as_array().expect("span list");
        let names: Vec<&str> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
        assert_eq!(names, ["session"], "{line}");
    }
}
