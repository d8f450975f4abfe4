//! Bounded churn against the real binary: thousands of game sessions and player sessions
//! created, used and ended through the control API; once retention has passed, the catalog
//! is empty and the server's memory is back near where it was after a warm-up round.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

mod support;

use support::control_call as call;

const VOLLEY: &str = env!("CARGO_BIN_EXE_volley");
const STEP: Duration = Duration::from_secs(20);
const GAME_SESSIONS_PER_ROUND: usize = 1000;

/// The server's resident memory in KiB.
fn rss_kib(child: &Child) -> u64 {
    let pid = child.id().expect("running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    line.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("number")
}

/// Creates, fills, uses and terminates a round of game sessions, then waits until retention
/// has forgotten them all.
async fn round(control: &str, ws: &str) {
    for i in 0..GAME_SESSIONS_PER_ROUND {
        let (status, created) = call(
            control,
            "CreateGameSession",
            &serde_json::json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": 2}),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        let id = created["GameSession"]["GameSessionId"]
            .as_str()
            .expect("id")
            .to_owned();
        let (status, seats) = call(
            control,
            "CreatePlayerSessions",
            &serde_json::json!({"GameSessionId": id, "PlayerIds": ["a", "b"]}),
        )
        .await;
        assert_eq!(status, 200, "{seats}");
        // Every tenth game session is really played: one client logs in and leaves.
        if i % 10 == 0 {
            let seat = seats["PlayerSessions"][0]["PlayerSessionId"]
                .as_str()
                .expect("id");
            let (host, port) = ws.rsplit_once(':').expect("host:port");
            let token = volley::client::ConnectionToken::new(seat, bytes::Bytes::new());
            let config = volley::client::ClientConfig {
                fast_channel: false,
                ..Default::default()
            };
            let port = port.parse().expect("port");
            let client = tokio::time::timeout(
                STEP,
                volley::client::Client::connect(host, port, token, config),
            )
            .await
            .expect("login in time")
            .expect("login accepted");
            tokio::time::timeout(STEP, client.disconnect())
                .await
                .expect("disconnect");
        }
        let (status, body) = call(
            control,
            "TerminateGameSession",
            &serde_json::json!({"GameSessionId": id, "TerminationMode": "FORCE_TERMINATE"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    // Retention is 1 s and the sweep runs every second: bounded wait until all are forgotten.
    for _ in 0..100 {
        let (status, body) = call(
            control,
            "DescribeGameSessions",
            &serde_json::json!({"FleetId": "fleet-local"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if body["GameSessions"].as_array().is_some_and(Vec::is_empty) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("game sessions were not forgotten after retention");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_leaves_no_records_and_memory_returns_near_its_start() {
    let dir = std::env::temp_dir().join(format!("volley-churn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("volley.toml");
    std::fs::write(
        &config,
        "[game]\nlisten = \"127.0.0.1:0\"\n[control]\nlisten = \"127.0.0.1:0\"\nauth = \"none\"\n\
         [sessions]\nretention_secs = 1\nreservation_timeout_secs = 1\n",
    )
    .expect("config written");
    let mut child = Command::new(VOLLEY)
        .args(["serve", "--log-level", "warn", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("volley starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let listening = tokio::time::timeout(STEP, lines.next_line())
        .await
        .expect("in time");
    let listening: serde_json::Value =
        serde_json::from_str(&listening.expect("readable").expect("a line")).expect("json");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let control = listening["control"]
        .as_str()
        .expect("control address")
        .to_owned();
    let ws = listening["ws"].as_str().expect("ws address").to_owned();

    round(&control, &ws).await; // Warm-up: runtime, allocator and caches reach their size.
    let warm = rss_kib(&child);
    for _ in 0..3 {
        round(&control, &ws).await;
    }
    let after = rss_kib(&child);
    // Three more rounds of 1000 game sessions leave no growth beyond allocator noise.
    assert!(
        after <= warm + warm / 4 + 2048,
        "rss grew from {warm} KiB to {after} KiB"
    );
    std::fs::remove_dir_all(&dir).ok();
}
