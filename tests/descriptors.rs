//! The real binary and the open file limit: it raises its soft limit to the hard one, warns
//! once when even that is below what its connection limits need, and when it runs out of
//! descriptors it backs off its accepts with one warning, then serves again as soon as
//! descriptors free up.

mod support;

use std::time::Duration;

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;

const VOLLEY: &str = env!("CARGO_BIN_EXE_volley");

/// The real binary in dev mode with JSON logs at info, under `prlimit --nofile=SOFT:HARD`.
async fn limited(soft: u32, hard: u32) -> RealServer {
    let prlimit = move || {
        let mut prlimit = Command::new("prlimit");
        prlimit.arg(format!("--nofile={soft}:{hard}")).arg(VOLLEY);
        prlimit
    };
    RealServer::start_with(prlimit, &["--log-format", "json"], |_| {
        let config = "[server]\nlog_level = \"info\"\ndrain_grace_secs = 1\n[game]\nlisten = \"127.0.0.1:0\"\n\
                      [control]\nlisten = \"127.0.0.1:0\"\n";
        (config.to_owned(), vec!["--dev".to_owned()])
    })
    .await
}

/// The lines whose message starts with `text`.
fn lines_with(lines: &[String], text: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line).is_ok_and(|json| {
                json["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(text))
            })
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_soft_limit_is_raised_to_the_hard_one_and_a_low_one_is_warned_about_once() {
    let server = limited(100, 300).await;
    let limits =
        std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).expect("limits readable");
    let open_files = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("open files line");
    let numbers: Vec<&str> = open_files.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers, ["300", "300"], "{open_files}");
    let lines = server.stop_lines().await;
    let warnings = lines_with(&lines, "the open file limit is below");
    assert_eq!(warnings.len(), 1, "{lines:?}");
    assert!(warnings[0].contains("\"limit\":300"), "{}", warnings[0]);
}

/// A keep-alive HTTP connection to the control listener, opened while descriptors last.
struct Scraper(TcpStream);

impl Scraper {
    /// The value of `series` in `GET /metrics` over this connection.
    async fn metric(&mut self, series: &str) -> f64 {
        let request = "GET /metrics HTTP/1.1\r\nHost: volley\r\n\r\n";
        within("request", self.0.write_all(request.as_bytes()))
            .await
            .expect("sent");
        let mut response = Vec::new();
        let body = loop {
            let mut buf = [0u8; 16 * 1024];
            let n = within("response", self.0.read(&mut buf))
                .await
                .expect("read");
            assert!(n > 0, "the scrape connection closed");
            response.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&response).into_owned();
            let Some((head, body)) = text.split_once("\r\n\r\n") else {
                continue;
            };
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(str::to_owned)
                })
                .and_then(|v| v.trim().parse().ok())
                .expect("content length");
            if body.len() >= length {
                break body.to_owned();
            }
        };
        body.lines()
            .find_map(|line| {
                let (name, value) = line.rsplit_once(' ')?;
                (name == series).then(|| value.parse().expect("a number"))
            })
            .unwrap_or(0.0)
    }
}

#[tokio::test]
async fn out_of_descriptors_accepts_back_off_with_one_warning_and_recover() {
    const FLOOD: usize = 200;
    let server = limited(120, 120).await;
    let control = within("connect", TcpStream::connect(server.control))
        .await
        .expect("control connection");
    let mut scraper = Scraper(control);
    assert_eq!(scraper.metric("volley_accept_errors_total").await, 0.0);
    // More connections than the server has descriptors: the kernel completes their
    // handshakes, and the server's accepts fail.
    let addr = server.ws;
    let mut flood = Vec::new();
    for _ in 0..FLOOD {
        flood.push(
            within("connect", TcpStream::connect(addr))
                .await
                .expect("connected"),
        );
    }
    let mut errors = 0.0;
    for _ in 0..500 {
        errors = scraper.metric("volley_accept_errors_total").await;
        if errors >= 5.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(errors >= 5.0, "accepts kept failing: {errors}");
    // One warning for the flooded listener. (The control listener may warn too: Linux
    // takes a descriptor for an accept before it looks for a connection, so any accept
    // attempt fails while none is left.)
    let warnings = lines_with(&server.stderr_so_far(), "accept failed");
    let ws_warnings: Vec<&String> = warnings
        .iter()
        .filter(|line| line.contains("\"listener\":\"ws\""))
        .collect();
    assert_eq!(
        ws_warnings.len(),
        1,
        "{errors} failures, one warning: {warnings:?}"
    );

    // Descriptors free up: the server accepts and serves again.
    drop(flood);
    let mut player = None;
    for _ in 0..100 {
        let psid = format!("after-{}", player.is_none() as u8);
        if let Ok(Ok(client)) = tokio::time::timeout(
            Duration::from_secs(2),
            volley::client::Client::connect(
                "127.0.0.1",
                server.ws.port(),
                volley::client::ConnectionToken::new(psid, bytes::Bytes::new()),
                volley::client::ClientConfig {
                    fast_channel: false,
                    ..Default::default()
                },
            ),
        )
        .await
        {
            player = Some(client);
            break;
        }
    }
    let player = player.expect("a login after the flood");
    player.disconnect().await;
    let lines = server.stop_lines().await;
    assert!(
        lines_with(&lines, "accept failed").len() <= 2,
        "at most one warning per listener a minute: {lines:?}"
    );
}
