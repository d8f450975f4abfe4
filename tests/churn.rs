//! Bounded churn against the real binary: thousands of game sessions and player sessions
//! created, used and ended through the control API; once retention has passed, the catalog
//! is empty and the server's memory is back near where it was after a warm-up round.

use std::time::Duration;

mod support;

use support::{RealServer, control_call as call};

const STEP: Duration = Duration::from_secs(20);
const GAME_SESSIONS_PER_ROUND: usize = 1000;

/// The resident memory of process `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
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
    let server = RealServer::start(&["--log-level", "warn"], |_| {
        let config = "[game]\nlisten = \"127.0.0.1:0\"\n\
                      [control]\nlisten = \"127.0.0.1:0\"\nauth = \"none\"\n\
                      [sessions]\nretention_secs = 1\nreservation_timeout_secs = 1\n";
        (config.to_owned(), Vec::new())
    })
    .await;
    let (control, ws) = (server.control.to_string(), server.ws.to_string());

    round(&control, &ws).await; // Warm-up: runtime, allocator and caches reach their size.
    let warm = rss_kib(server.pid());
    for _ in 0..3 {
        round(&control, &ws).await;
    }
    let after = rss_kib(server.pid());
    // Three more rounds of 1000 game sessions leave no growth beyond allocator noise.
    assert!(
        after <= warm + warm / 4 + 2048,
        "rss grew from {warm} KiB to {after} KiB"
    );
}
