//! `GET /metrics` scraped over real HTTP after real traffic: logins, messages on both
//! channels, a malformed frame, control API calls, a script; the counters moved as they
//! should, no label names a player or a session, and scrapes need credentials when the API
//! does. The server runs in process on loopback ports.

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use serde_json::json;
use support::*;
use volley::Options;
use volley::api::Operation;
use volley::client::{Channel, ClientConfig, ClientError, ConnectionToken, RtMessage};
use volley::config::{AccessKey, AuthMode, Config};
use volley::protocol::Opcode;
use volley::secret::Secret;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One GET with `headers` over a fresh HTTP/1.1 connection.
async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let response = http_request(addr, "GET", path, headers, "").await;
    assert_ne!(
        response
            .headers
            .get("transfer-encoding")
            .map(String::as_str),
        Some("chunked"),
        "the exposition has a length"
    );
    response
}

/// One unsigned control API call with the whole `X-Amz-Target` given (`control_call` adds
/// `GameLift.` itself): its status.
async fn call_target(addr: SocketAddr, target: &str) -> u16 {
    let headers = [
        ("X-Amz-Target", target),
        ("Content-Type", "application/x-amz-json-1.1"),
    ];
    http_request(addr, "POST", "/", &headers, "{}").await.status
}

/// The samples of one scrape: each series as written (`name{labels}`) and its value.
#[derive(Debug)]
struct Scrape(BTreeMap<String, f64>);

impl Scrape {
    fn parse(body: &str) -> Self {
        assert!(
            body.ends_with("\n# EOF\n"),
            "an OpenMetrics exposition:\n{body}"
        );
        let samples = body
            .lines()
            .filter(|line| !line.starts_with('#'))
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').expect("series and value");
                let value = value.parse().unwrap_or_else(|_| panic!("number in {line}"));
                (series.to_owned(), value)
            })
            .collect();
        Self(samples)
    }

    fn value(&self, series: &str) -> f64 {
        *self
            .0
            .get(series)
            .unwrap_or_else(|| panic!("no series {series} in {:#?}", self.0))
    }

    /// How much `series` grew since `before`.
    fn delta(&self, before: &Scrape, series: &str) -> f64 {
        self.value(series) - before.0.get(series).copied().unwrap_or(0.0)
    }

    /// Every label value of every series.
    fn label_values(&self) -> Vec<&str> {
        self.0
            .keys()
            .filter_map(|series| series.split_once('{'))
            .flat_map(|(_, labels)| labels.trim_end_matches('}').split(','))
            .filter_map(|label| label.split_once('='))
            .map(|(_, value)| value.trim_matches('"'))
            .collect()
    }
}

/// Scrapes a server whose control API is open (`auth = "none"`).
async fn scrape(server: &TestServer) -> Scrape {
    let response = get(server.addresses.control, "/metrics", &[]).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        response.headers.get("content-type").map(String::as_str),
        Some(OPENMETRICS)
    );
    Scrape::parse(&response.body)
}

fn open_config() -> Config {
    let mut config = test_config();
    config.control.auth = AuthMode::None;
    config
}

/// A game session for `max_players`, created through the control API: its id.
async fn create_game_session(server: &TestServer, max_players: u32) -> String {
    let control = server.addresses.control.to_string();
    let body = json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": max_players});
    let (status, created) = control_call(&control, "CreateGameSession", &body).await;
    assert_eq!(status, 200, "{created}");
    created["GameSession"]["GameSessionId"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// A player session in `game`, reserved through the control API: its id.
async fn create_player_session(server: &TestServer, game: &str) -> String {
    let control = server.addresses.control.to_string();
    let body = json!({"GameSessionId": game, "PlayerId": "player"});
    let (status, created) = control_call(&control, "CreatePlayerSession", &body).await;
    assert_eq!(status, 200, "{created}");
    created["PlayerSession"]["PlayerSessionId"]
        .as_str()
        .expect("an id")
        .to_owned()
}

#[tokio::test]
async fn a_scrape_after_real_traffic_shows_what_happened() {
    let server = TestServer::with(open_config(), Options::default()).await;
    let control = server.addresses.control.to_string();
    let first = scrape(&server).await;
    assert_eq!(
        first.value(r#"volley_metrics_scrapes_total{result="ok"}"#),
        1.0
    );
    assert!(first.value("process_resident_memory_bytes") > 0.0);
    assert!(first.value("process_threads") >= 1.0);

    // Control API: a game session, three player sessions, one failing call, one unknown.
    let game = create_game_session(&server, 4).await;
    let psids = [
        create_player_session(&server, &game).await,
        create_player_session(&server, &game).await,
        create_player_session(&server, &game).await,
    ];
    let missing = json!({"GameSessionId": format!("{game}-gone"), "PlayerId": "p"});
    let (status, _) = control_call(&control, "CreatePlayerSession", &missing).await;
    assert_eq!(status, 400);
    let (status, _) = control_call(&control, "NoSuchOperation", &json!({})).await;
    assert_eq!(status, 400);

    // Two players with a fast channel, one on the WebSocket only, one refused login.
    let a = server
        .connect(&psids[0], ClientConfig::default())
        .await
        .expect("a logs in");
    let mut b = server
        .connect(&psids[1], ClientConfig::default())
        .await
        .expect("b logs in");
    let ws_only = ClientConfig {
        fast_channel: false,
        ..ClientConfig::default()
    };
    let mut c = server.connect(&psids[2], ws_only).await.expect("c logs in");
    let refused = server
        .connect("psess-unknown", ClientConfig::default())
        .await;
    assert!(
        matches!(refused, Err(ClientError::LoginRefused)),
        "{refused:?}"
    );
    within("a fast", a.wait_fast_ready(STEP))
        .await
        .expect("a bound");
    within("b fast", b.wait_fast_ready(STEP))
        .await
        .expect("b bound");
    // A malformed frame before login.
    let mut raw = server.raw().await;
    raw.send_bytes(vec![0xff; 11]).await;
    eventually("malformed frame counted", async || {
        server.metrics().malformed_in == 1
    })
    .await;
    drop(raw);
    eventually("closed connections counted", async || {
        server.metrics().open_websocket_plain == 3
    })
    .await;

    let settled = scrape(&server).await;
    let delta = |series: &str| settled.delta(&first, series);
    assert_eq!(delta(r#"volley_logins_total{result="accepted"}"#), 3.0);
    assert_eq!(
        delta(r#"volley_logins_total{result="refused_player_session"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"volley_connections_total{transport="websocket",mode="plain"}"#),
        5.0,
        "three players, the refused login and the raw socket"
    );
    assert_eq!(
        settled.value(r#"volley_connections_open{transport="websocket",mode="plain"}"#),
        3.0,
        "the refused and the raw connections are closed"
    );
    assert_eq!(delta(r#"volley_fast_path_binds_total{mode="plain"}"#), 2.0);
    assert_eq!(
        delta(r#"volley_messages_dropped_total{reason="malformed"}"#),
        1.0
    );
    assert_eq!(
        settled.value(r#"volley_game_sessions{status="active"}"#),
        1.0
    );
    assert_eq!(
        settled.value(r#"volley_player_sessions{status="active"}"#),
        3.0
    );
    assert_eq!(
        settled.value(r#"volley_player_sessions{status="reserved"}"#),
        0.0
    );
    for (operation, result, count) in [
        ("CreateGameSession", "ok", 1.0),
        ("CreatePlayerSession", "ok", 3.0),
        ("CreatePlayerSession", "NotFoundException", 1.0),
        ("unknown", "UnknownOperationException", 1.0),
    ] {
        let series = format!(
            r#"volley_control_requests_total{{operation="{operation}",result="{result}"}}"#
        );
        assert_eq!(settled.value(&series), count, "{series}");
    }
    assert_eq!(
        settled.value(r#"volley_metrics_scrapes_total{result="ok"}"#),
        2.0
    );
    assert!(delta(r#"volley_messages_total{channel="fast",direction="in"}"#) >= 2.0);
    assert!(delta(r#"volley_message_bytes_total{channel="fast",direction="in"}"#) > 0.0);

    // Exactly one reliable message: one frame in, one out, and their bytes.
    let payload = "reliable payload";
    a.send(RtMessage::to_player(Opcode(7), b.peer_id(), payload).reliable())
        .await
        .expect("sent");
    let got = next_data(&mut b).await;
    assert_eq!(got.channel, Channel::Reliable);
    let before = settled;
    eventually("frame out counted", async || {
        server.metrics().reliable_out
            == before.value(r#"volley_messages_total{channel="reliable",direction="out"}"#) as u64
                + 1
    })
    .await;
    let after = scrape(&server).await;
    let delta = |series: &str| after.delta(&before, series);
    assert_eq!(
        delta(r#"volley_messages_total{channel="reliable",direction="in"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"volley_messages_total{channel="reliable",direction="out"}"#),
        1.0
    );
    let bytes_in = delta(r#"volley_message_bytes_total{channel="reliable",direction="in"}"#);
    let bytes_out = delta(r#"volley_message_bytes_total{channel="reliable",direction="out"}"#);
    assert!(bytes_in > payload.len() as f64, "{bytes_in}");
    assert!(bytes_out > payload.len() as f64, "{bytes_out}");

    // Fast intent: by UDP to b; by the WebSocket to c, which has no fast channel.
    a.send(RtMessage::to_player(Opcode(8), b.peer_id(), "fast"))
        .await
        .expect("sent");
    assert_eq!(next_data(&mut b).await.channel, Channel::Fast);
    a.send(RtMessage::to_player(Opcode(8), c.peer_id(), "fallback"))
        .await
        .expect("sent");
    assert_eq!(next_data(&mut c).await.channel, Channel::Reliable);
    eventually("fallback counted", async || {
        server.metrics().fast_fallbacks == 1
    })
    .await;
    let last = scrape(&server).await;
    let delta = |series: &str| last.delta(&after, series);
    assert_eq!(delta("volley_fast_path_fallbacks_total"), 1.0);
    assert!(delta(r#"volley_messages_total{channel="fast",direction="in"}"#) >= 2.0);
    assert!(delta(r#"volley_messages_total{channel="fast",direction="out"}"#) >= 1.0);
    assert!(delta(r#"volley_message_bytes_total{channel="fast",direction="out"}"#) >= 4.0);

    // No label value names a game session, a player session or a player.
    let peers = [a.peer_id(), b.peer_id(), c.peer_id()].map(|p| p.0.to_string());
    for value in last.label_values() {
        assert!(
            !value.contains("arn:") && !value.contains("psess-") && !value.contains("gsess-"),
            "{value}"
        );
        assert!(
            !psids.iter().any(|p| p == value) && value != game,
            "{value}"
        );
        assert!(!peers.iter().any(|p| p == value), "{value}");
    }
    server.stop().await;
}

#[tokio::test]
async fn script_hooks_are_counted_and_timed() {
    let dir = TempDir::new();
    let script = dir.write(
        "script",
        &[(
            "index.js",
            "exports.ssExports = {\n\
               onPlayerConnect(m) { return m.getPayloadAsText() !== 'banned'; },\n\
               onMessage(m) { if (m.opCode === 9) throw new Error('on purpose'); },\n\
             };",
        )],
    );
    let mut config = open_config();
    config.scripts.data_dir = dir.path().join("data");
    let options = Options {
        script: Some(script),
        ..Options::default()
    };
    let server = TestServer::with(config, options).await;
    let game = create_game_session(&server, 4).await;
    let psid = create_player_session(&server, &game).await;
    let player = server
        .connect(&psid, ClientConfig::default())
        .await
        .expect("login");
    let banned = ConnectionToken::new(
        create_player_session(&server, &game).await,
        Bytes::from_static(b"banned"),
    );
    let port = server.addresses.ws.port();
    let refused = within(
        "connect",
        volley::client::Client::connect("127.0.0.1", port, banned, ClientConfig::default()),
    )
    .await;
    assert!(
        matches!(refused, Err(ClientError::LoginRefused)),
        "{refused:?}"
    );
    player
        .send(RtMessage::to_server(Opcode(9), "boom").reliable())
        .await
        .expect("sent");
    eventually("the throw counted", async || {
        server.metrics().script_errors == 1
    })
    .await;

    let scraped = scrape(&server).await;
    let hook = |family: &str, hook: &str| scraped.value(&format!(r#"{family}{{hook="{hook}"}}"#));
    assert_eq!(
        scraped.value(r#"volley_script_starts_total{result="started"}"#),
        1.0
    );
    assert_eq!(hook("volley_script_calls_total", "onPlayerConnect"), 2.0);
    assert_eq!(hook("volley_script_calls_total", "onPlayerAccepted"), 1.0);
    assert_eq!(hook("volley_script_calls_total", "onMessage"), 1.0);
    assert_eq!(hook("volley_script_errors_total", "onMessage"), 1.0);
    assert_eq!(hook("volley_script_errors_total", "onPlayerConnect"), 0.0);
    assert_eq!(hook("volley_script_timeouts_total", "onMessage"), 0.0);
    assert_eq!(
        scraped.value(r#"volley_logins_total{result="refused_script"}"#),
        1.0
    );
    // Every call was timed: the histogram counts as many as the calls, in order of bound.
    let calls: f64 = scraped
        .0
        .iter()
        .filter(|(series, _)| series.starts_with("volley_script_calls_total{"))
        .map(|(_, value)| value)
        .sum();
    let count = scraped.value("volley_script_hook_duration_seconds_count");
    assert_eq!(count, calls);
    assert_eq!(
        scraped.value(r#"volley_script_hook_duration_seconds_bucket{le="+Inf"}"#),
        count
    );
    assert!(
        scraped.value(r#"volley_script_hook_duration_seconds_bucket{le="0.0001"}"#)
            <= scraped.value(r#"volley_script_hook_duration_seconds_bucket{le="0.1"}"#)
    );
    assert!(scraped.value("volley_script_hook_duration_seconds_sum") > 0.0);
    server.stop().await;
}

#[tokio::test]
async fn every_operation_is_counted_under_its_own_name() {
    let server = TestServer::with(open_config(), Options::default()).await;
    // Volley.StartDrain would end this server, which has nothing to drain, before the scrape.
    let operations = Operation::ALL
        .into_iter()
        .filter(|op| *op != Operation::StartDrain);
    for operation in operations.clone() {
        // Most fail validation on an empty input; any answer counts.
        let status = call_target(server.addresses.control, operation.target()).await;
        assert!(status == 200 || status == 400, "{operation:?}: {status}");
    }
    let scraped = scrape(&server).await;
    for operation in operations {
        let name = operation.name();
        let prefix = format!(r#"volley_control_requests_total{{operation="{name}","#);
        let counted: f64 = scraped
            .0
            .iter()
            .filter(|(series, _)| series.starts_with(&prefix))
            .map(|(_, value)| value)
            .sum();
        assert_eq!(counted, 1.0, "{name}");
    }
    assert!(
        !scraped
            .0
            .keys()
            .any(|series| series.contains(r#"operation="unknown""#)),
        "{scraped:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn with_sigv4_a_scrape_needs_the_bearer_token() {
    let mut config = test_config();
    assert_eq!(config.control.auth, AuthMode::Sigv4);
    config.control.access_keys = vec![AccessKey {
        id: "AKIDMETRICS".into(),
        secret: Secret::new("metrics-secret"),
    }];
    config.control.metrics_token = Some(Secret::new("scrape-token-123"));
    let server = TestServer::with(config, Options::default()).await;
    let control = server.addresses.control;

    let anonymous = get(control, "/metrics", &[]).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert_eq!(
        anonymous
            .headers
            .get("www-authenticate")
            .map(String::as_str),
        Some("Bearer")
    );
    assert!(
        anonymous.body.starts_with("metrics need"),
        "{}",
        anonymous.body
    );
    let unsigned = get(
        control,
        "/metrics",
        &[("Authorization", "AWS4-HMAC-SHA256 nonsense")],
    )
    .await;
    assert_eq!(unsigned.status, 401, "{}", unsigned.body);
    let wrong = get(
        control,
        "/metrics",
        &[("Authorization", "Bearer scrape-token-124")],
    )
    .await;
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    assert!(!wrong.body.contains("scrape-token"), "{}", wrong.body);

    let scraped = get(
        control,
        "/metrics",
        &[("Authorization", "bearer scrape-token-123")],
    )
    .await;
    assert_eq!(scraped.status, 200, "{}", scraped.body);
    assert_eq!(
        scraped.headers.get("content-type").map(String::as_str),
        Some(OPENMETRICS)
    );
    let scraped = Scrape::parse(&scraped.body);
    assert_eq!(
        scraped.value(r#"volley_metrics_scrapes_total{result="ok"}"#),
        1.0
    );
    assert_eq!(
        scraped.value(r#"volley_metrics_scrapes_total{result="unauthenticated"}"#),
        2.0
    );
    assert_eq!(
        scraped.value(r#"volley_metrics_scrapes_total{result="forbidden"}"#),
        1.0
    );

    // The API itself still wants signatures, and its refusals are counted by their type.
    let (status, _) = control_call(&control.to_string(), "ListFleets", &json!({})).await;
    assert_eq!(status, 400);
    let scraped = get(
        control,
        "/metrics",
        &[("Authorization", "Bearer scrape-token-123")],
    )
    .await;
    let scraped = Scrape::parse(&scraped.body);
    assert_eq!(
        scraped.value(
            r#"volley_control_requests_total{operation="ListFleets",result="MissingAuthenticationTokenException"}"#
        ),
        1.0
    );
    server.stop().await;
}

#[tokio::test]
async fn without_a_token_configured_bearer_scrapes_are_forbidden() {
    let mut config = test_config();
    config.control.access_keys = vec![AccessKey {
        id: "AKIDMETRICS".into(),
        secret: Secret::new("metrics-secret"),
    }];
    let server = TestServer::with(config, Options::default()).await;
    for token in ["", "anything"] {
        let response = get(
            server.addresses.control,
            "/metrics",
            &[("Authorization", &format!("Bearer {token}"))],
        )
        .await;
        assert_eq!(response.status, 403, "{token:?}: {}", response.body);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_reload_changes_the_token_scrapes_need() {
    let mut config = test_config();
    config.control.access_keys = vec![AccessKey {
        id: "AKIDMETRICS".into(),
        secret: Secret::new("metrics-secret"),
    }];
    config.control.metrics_token = Some(Secret::new("old-token"));
    let server = TestServer::with(config.clone(), Options::default()).await;
    let control = server.addresses.control;
    let scrape_with = |token: &'static str| async move {
        let header = format!("Bearer {token}");
        get(control, "/metrics", &[("Authorization", &header)])
            .await
            .status
    };
    assert_eq!(scrape_with("old-token").await, 200);

    config.control.metrics_token = Some(Secret::new("new-token"));
    server
        .reloader
        .apply(&config)
        .expect("no certificates to reload");
    assert_eq!(scrape_with("old-token").await, 403);
    assert_eq!(scrape_with("new-token").await, 200);
    server.stop().await;
}

#[tokio::test]
async fn the_capacity_gauges_show_the_limits_in_force() {
    let mut config = open_config();
    config.limits.max_connections = 40;
    config.limits.max_game_sessions = 3;
    let server = TestServer::with(config.clone(), Options::default()).await;
    let before = scrape(&server).await;
    assert_eq!(before.value("volley_connections_max"), 40.0);
    assert_eq!(before.value("volley_game_sessions_max"), 3.0);

    // A reload changes the limits, and the gauges with them.
    config.limits.max_connections = 80;
    config.limits.max_game_sessions = 5;
    server
        .reloader
        .apply(&config)
        .expect("no certificates to reload");
    let after = scrape(&server).await;
    assert_eq!(after.value("volley_connections_max"), 80.0);
    assert_eq!(after.value("volley_game_sessions_max"), 5.0);
    server.stop().await;
}
