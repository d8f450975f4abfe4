//! Delivery against real HTTP receivers on loopback: signatures, routing, retries, refusals,
//! giving up, a full queue, shutdown, and receivers that misbehave.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::*;
use crate::config::EventsConfig;
use crate::metrics::Snapshot;
use crate::secret::Secret;

/// The bound on every await.
const WAIT: Duration = Duration::from_secs(5);

/// The first backoff in tests.
const BACKOFF: Duration = Duration::from_millis(10);

/// The notification target of the routing tests.
const TOPIC: &str = "arn:aws:sns:us-west-2:111122223333:placements";

/// A request a receiver got.
#[derive(Debug)]
struct Received {
    method: http::Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// An HTTP receiver on loopback answering the statuses it was given in turn, then
/// `otherwise`.
struct Receiver {
    url: String,
    requests: mpsc::UnboundedReceiver<Received>,
}

impl Receiver {
    async fn start(statuses: &[u16], otherwise: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let (sender, requests) = mpsc::unbounded_channel();
        let answers = Arc::new(Mutex::new(
            statuses.iter().copied().collect::<VecDeque<_>>(),
        ));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (sender, answers) = (sender.clone(), Arc::clone(&answers));
                let service = service_fn(move |request: http::Request<Incoming>| {
                    let (sender, answers) = (sender.clone(), Arc::clone(&answers));
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await?.to_bytes();
                        let status = answers
                            .lock()
                            .expect("not poisoned")
                            .pop_front()
                            .unwrap_or(otherwise);
                        let _ = sender.send(Received {
                            method: parts.method,
                            path: parts.uri.to_string(),
                            headers: parts.headers,
                            body,
                        });
                        let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
                        *response.status_mut() = StatusCode::from_u16(status).expect("a status");
                        Ok::<_, hyper::Error>(response)
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Self { url, requests }
    }

    /// The next request.
    async fn next(&mut self) -> Received {
        within(self.requests.recv()).await.expect("a request")
    }
}

/// A receiver that answers every connection with `reply` (raw bytes), then closes it; or
/// with `None`, takes connections and never answers.
async fn raw_receiver(reply: Option<&'static [u8]>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("bound"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            match reply {
                Some(reply) => {
                    tokio::spawn(async move {
                        let mut buf = [0u8; 1024];
                        let _ = stream.read(&mut buf).await;
                        let _ = stream.write_all(reply).await;
                    });
                }
                None => held.push(stream),
            }
        }
    });
    url
}

/// Awaits `future` for at most [`WAIT`].
async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future).await.expect("in time")
}

/// Waits, boundedly, until `done` holds of the metrics.
async fn eventually(metrics: &Metrics, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    within(async {
        loop {
            let snapshot = metrics.snapshot();
            if done(&snapshot) {
                return snapshot;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

fn config(webhook: Option<&str>, targets: &[(&str, &str)]) -> EventsConfig {
    let uri = |url: &str| url.parse::<http::Uri>().expect("a URL");
    EventsConfig {
        webhook: webhook.map(uri),
        targets: targets
            .iter()
            .map(|(t, url)| ((*t).to_owned(), uri(url)))
            .collect(),
        secret: None,
        timeout: Duration::from_secs(2),
        max_attempts: 6,
        queue: 100,
    }
}

/// Delivery running with short backoffs, and what stops it.
struct Running {
    events: Events,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Running {
    fn start(config: &EventsConfig) -> Self {
        let metrics = Arc::new(Metrics::default());
        let (shutdown, tasks) = (CancellationToken::new(), TaskTracker::new());
        let events = Events::start_with(
            config,
            Arc::clone(&metrics),
            shutdown.clone(),
            &tasks,
            BACKOFF,
            Duration::from_millis(200),
        );
        Self {
            events,
            metrics,
            shutdown,
            tasks,
        }
    }

    /// Stops delivery and waits for its task.
    async fn stop(self) -> Arc<Metrics> {
        self.shutdown.cancel();
        self.tasks.close();
        within(self.tasks.wait()).await;
        self.metrics
    }
}

fn event(n: u64) -> Value {
    envelope(
        "GameLift Queue Placement Event",
        "local",
        vec![format!("arn:aws:gamelift:local::gamesessionqueue/q{n}")],
        json!({ "type": "PlacementFulfilled", "placementId": format!("p{n}") }),
        SystemTime::now(),
    )
}

fn id(event: &Value) -> &str {
    event["id"].as_str().expect("an id")
}

fn header<'a>(request: &'a Received, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn delivers_signed_events_that_a_receiver_can_verify() {
    let mut receiver = Receiver::start(&[], 200).await;
    let mut config = config(Some(&format!("{}/hooks/placements?k=1", receiver.url)), &[]);
    config.secret = Some(Secret::new("whsec_test"));
    let running = Running::start(&config);
    let sent = event(1);
    running.events.publish(None, sent.clone());
    let request = receiver.next().await;
    assert_eq!(request.method, http::Method::POST);
    assert_eq!(request.path, "/hooks/placements?k=1");
    assert_eq!(header(&request, "content-type"), Some("application/json"));
    assert_eq!(
        header(&request, "user-agent"),
        Some(concat!("volley/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(header(&request, "x-volley-event-id"), Some(id(&sent)));
    let body: Value = serde_json::from_slice(&request.body).expect("JSON");
    assert_eq!(body, sent);
    // What a receiver does: split the header, recompute the HMAC over "<t>.<body>".
    let signature = header(&request, "x-volley-signature").expect("signed");
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .expect("t=...,v1=...");
    let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").expect("any key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(&request.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    assert!(
        now.abs_diff(t.parse().expect("seconds")) < 60,
        "{t} vs {now}"
    );
    let snapshot = eventually(&running.metrics, |s| s.events_delivered == 1).await;
    assert_eq!(snapshot.events_queued, 0);
    assert_eq!(snapshot.events_failed, 0);
    running.stop().await;
}

#[test]
fn signatures_are_hmac_sha256_of_the_timestamp_and_the_body() {
    assert_eq!(
        delivery::signature(&Secret::new("whsec_test"), 1_772_401_851, br#"{"a":1}"#),
        "t=1772401851,v1=b37fea044b28edd9098e5145dc6fa6ec49a7cb5c0b612bc7824180d422580532"
    );
}

#[tokio::test]
async fn events_go_unsigned_without_a_secret() {
    let mut receiver = Receiver::start(&[], 204).await;
    let running = Running::start(&config(Some(&receiver.url), &[]));
    running.events.publish(None, event(1));
    let request = receiver.next().await;
    assert_eq!(request.path, "/");
    assert_eq!(header(&request, "x-volley-signature"), None);
    eventually(&running.metrics, |s| s.events_delivered == 1).await;
    running.stop().await;
}

#[tokio::test]
async fn a_target_of_the_table_gets_its_events_and_the_rest_go_to_the_default() {
    let mut default = Receiver::start(&[], 200).await;
    let mut topic = Receiver::start(&[], 200).await;
    let running = Running::start(&config(Some(&default.url), &[(TOPIC, &topic.url)]));
    let (to_topic, to_other, to_none) = (event(1), event(2), event(3));
    running.events.publish(Some(TOPIC), to_topic.clone());
    running.events.publish(
        Some("arn:aws:sns:us-west-2:111122223333:other"),
        to_other.clone(),
    );
    running.events.publish(None, to_none.clone());
    let got = topic.next().await;
    assert_eq!(header(&got, "x-volley-event-id"), Some(id(&to_topic)));
    let mut at_default = vec![
        header(&default.next().await, "x-volley-event-id").map(str::to_owned),
        header(&default.next().await, "x-volley-event-id").map(str::to_owned),
    ];
    at_default.sort();
    let mut expected = vec![
        Some(id(&to_other).to_owned()),
        Some(id(&to_none).to_owned()),
    ];
    expected.sort();
    assert_eq!(at_default, expected);
    eventually(&running.metrics, |s| s.events_delivered == 3).await;
    assert!(topic.requests.try_recv().is_err());
    running.stop().await;
}

#[tokio::test]
async fn without_a_default_only_the_targets_of_the_table_are_sent() {
    let mut topic = Receiver::start(&[], 200).await;
    let running = Running::start(&config(None, &[(TOPIC, &topic.url)]));
    running.events.publish(None, event(1));
    running
        .events
        .publish(Some("arn:aws:sns:x:1:other"), event(2));
    running.events.publish(Some(TOPIC), event(3));
    topic.next().await;
    let snapshot = eventually(&running.metrics, |s| s.events_delivered == 1).await;
    assert_eq!(snapshot.events_unrouted, 2);
    running.stop().await;

    let metrics = Arc::new(Metrics::default());
    let disabled = Events::disabled(Arc::clone(&metrics));
    disabled.publish(Some(TOPIC), event(4));
    assert_eq!(metrics.snapshot().events_unrouted, 1);
    // No webhook at all starts nothing, as disabled does.
    let tasks = TaskTracker::new();
    let idle = Events::start(
        &config(None, &[]),
        Arc::clone(&metrics),
        CancellationToken::new(),
        &tasks,
    );
    idle.publish(None, event(5));
    assert_eq!(metrics.snapshot().events_unrouted, 2);
    assert!(tasks.is_empty());
}

#[tokio::test]
async fn server_errors_and_429_are_retried_until_delivered() {
    let mut receiver = Receiver::start(&[500, 503, 429], 200).await;
    let running = Running::start(&config(Some(&receiver.url), &[]));
    let sent = event(1);
    running.events.publish(None, sent.clone());
    for _ in 0..4 {
        let request = receiver.next().await;
        assert_eq!(header(&request, "x-volley-event-id"), Some(id(&sent)));
        assert_eq!(request.body, sent.to_string());
    }
    let snapshot = eventually(&running.metrics, |s| s.events_delivered == 1).await;
    assert_eq!((snapshot.events_failed, snapshot.events_queued), (0, 0));
    running.stop().await;
}

#[tokio::test]
async fn client_errors_and_redirects_are_not_retried() {
    let mut receiver = Receiver::start(&[400, 302], 200).await;
    let running = Running::start(&config(Some(&receiver.url), &[]));
    running.events.publish(None, event(1));
    running.events.publish(None, event(2));
    receiver.next().await;
    receiver.next().await;
    let snapshot = eventually(&running.metrics, |s| s.events_failed == 2).await;
    assert_eq!((snapshot.events_delivered, snapshot.events_queued), (0, 0));
    running.stop().await;
    assert!(receiver.requests.try_recv().is_err(), "no retry");
}

#[tokio::test]
async fn an_event_is_given_up_after_max_attempts() {
    let mut receiver = Receiver::start(&[], 500).await;
    let mut config = config(Some(&receiver.url), &[]);
    config.max_attempts = 3;
    let running = Running::start(&config);
    running.events.publish(None, event(1));
    for _ in 0..3 {
        receiver.next().await;
    }
    let snapshot = eventually(&running.metrics, |s| s.events_failed == 1).await;
    assert_eq!((snapshot.events_delivered, snapshot.events_queued), (0, 0));
    running.stop().await;
    assert!(receiver.requests.try_recv().is_err(), "three attempts only");
}

#[tokio::test]
async fn a_full_queue_drops_events_and_counts_them() {
    let silent = raw_receiver(None).await;
    let mut config = config(Some(&silent), &[]);
    config.queue = 2;
    let running = Running::start(&config);
    for n in 0..5 {
        running.events.publish(None, event(n));
    }
    let snapshot = running.metrics.snapshot();
    assert_eq!((snapshot.events_queued, snapshot.events_dropped), (2, 3));
    // At shutdown the two waiting are given up within the grace.
    let metrics = running.stop().await;
    let snapshot = metrics.snapshot();
    assert_eq!((snapshot.events_queued, snapshot.events_failed), (0, 2));
    assert_eq!(snapshot.events_delivered, 0);
}

#[tokio::test]
async fn unreachable_webhooks_are_retried_then_given_up() {
    // A port that was bound and let go: nothing listens there.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        format!("http://{}", listener.local_addr().expect("bound"))
    };
    // https:// to a receiver that speaks plain HTTP: the TLS handshake fails.
    let plain = Receiver::start(&[], 200).await;
    let https = plain.url.replacen("http://", "https://", 1);
    let mut config = config(Some(&closed), &[(TOPIC, &https)]);
    config.max_attempts = 2;
    let running = Running::start(&config);
    running.events.publish(None, event(1));
    running.events.publish(Some(TOPIC), event(2));
    let snapshot = eventually(&running.metrics, |s| s.events_failed == 2).await;
    assert_eq!((snapshot.events_delivered, snapshot.events_queued), (0, 0));
    running.stop().await;
}

#[tokio::test]
async fn garbage_early_closes_and_slow_receivers_are_failures_not_panics() {
    let garbage = raw_receiver(Some(b"this is not HTTP\r\n\r\n")).await;
    let closes = raw_receiver(Some(b"")).await;
    let partial = raw_receiver(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")).await;
    let silent = raw_receiver(None).await;
    let targets = [
        ("garbage", garbage.as_str()),
        ("closes", closes.as_str()),
        ("silent", silent.as_str()),
    ];
    let mut config = config(Some(&partial), &targets);
    config.max_attempts = 2;
    config.timeout = Duration::from_millis(200);
    let running = Running::start(&config);
    for (n, (target, _)) in targets.iter().enumerate() {
        running.events.publish(Some(target), event(n as u64));
    }
    // A 200 whose body is cut short was still answered: delivered.
    running.events.publish(None, event(9));
    let snapshot = eventually(&running.metrics, |s| {
        s.events_failed + s.events_delivered == 4
    })
    .await;
    assert_eq!((snapshot.events_failed, snapshot.events_delivered), (3, 1));
    assert_eq!(snapshot.events_queued, 0);
    running.stop().await;
}

#[tokio::test]
async fn publishing_after_shutdown_drops() {
    let receiver = Receiver::start(&[], 200).await;
    let running = Running::start(&config(Some(&receiver.url), &[]));
    let events = running.events.clone();
    let metrics = running.stop().await;
    events.publish(None, event(1));
    let snapshot = metrics.snapshot();
    assert_eq!((snapshot.events_dropped, snapshot.events_queued), (1, 0));
}

#[test]
fn the_envelope_is_gamelifts() {
    let now = UNIX_EPOCH + Duration::from_millis(1_772_401_851_480);
    let event = envelope(
        "GameLift Queue Placement Event",
        "us-west-2",
        vec!["arn:aws:gamelift:us-west-2::gamesessionqueue/q".into()],
        json!({ "type": "PlacementFulfilled" }),
        now,
    );
    let uuid = uuid::Uuid::parse_str(id(&event)).expect("a uuid");
    assert_eq!(uuid.get_version_num(), 4);
    let mut without_id = event.clone();
    without_id["id"] = json!("-");
    assert_eq!(
        without_id,
        json!({
            "version": "0",
            "id": "-",
            "detail-type": "GameLift Queue Placement Event",
            "source": "aws.gamelift",
            "account": "",
            "time": "2026-03-01T21:50:51Z",
            "region": "us-west-2",
            "resources": ["arn:aws:gamelift:us-west-2::gamesessionqueue/q"],
            "detail": { "type": "PlacementFulfilled" },
        })
    );
    assert_ne!(id(&envelope("t", "r", vec![], json!({}), now)), id(&event));
}

#[test]
fn times_are_iso8601_utc_to_the_millisecond() {
    let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
    assert_eq!(
        iso8601_millis(at(1_772_401_833_214)),
        "2026-03-01T21:50:33.214Z"
    );
    assert_eq!(iso8601_millis(at(0)), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso8601_millis(at(5)), "1970-01-01T00:00:00.005Z");
    assert_eq!(
        iso8601_millis(UNIX_EPOCH - Duration::from_millis(1)),
        "1969-12-31T23:59:59.999Z"
    );
}

#[test]
fn backoff_doubles_from_the_base_up_to_the_cap() {
    let settings = delivery::Settings {
        secret: None,
        timeout: Duration::from_secs(10),
        max_attempts: 100,
        base_backoff: Duration::from_secs(1),
        max_backoff: MAX_BACKOFF,
        max_in_flight: MAX_IN_FLIGHT,
        grace: SHUTDOWN_GRACE,
    };
    let waits: Vec<u64> = [1, 2, 3, 4, 6, 7, 50, 100]
        .iter()
        .map(|&n| delivery::backoff(&settings, n).as_secs())
        .collect();
    assert_eq!(waits, [1, 2, 4, 8, 32, 60, 60, 60]);
}

#[test]
fn the_ledger_never_counts_more_waiting_than_its_capacity() {
    let metrics = Arc::new(Metrics::default());
    let ledger = Ledger {
        metrics: Arc::clone(&metrics),
        waiting: std::sync::atomic::AtomicUsize::new(0),
        capacity: 2,
    };
    assert!(ledger.admit() && ledger.admit());
    assert!(!ledger.admit());
    ledger.finish(Outcome::Delivered);
    assert!(ledger.admit());
    assert_eq!(ledger.waiting.load(Ordering::Relaxed), 2);
    assert_eq!(metrics.snapshot().events_queued, 2);
    assert_eq!(metrics.snapshot().events_delivered, 1);
}
