//! Event delivery: GameLift publishes a queue's placement events to its `NotificationTarget`
//! (an SNS topic); Volley POSTs the same event JSON to the HTTP webhooks of `[events]`
//! instead. The placement code builds an event with [`envelope`] and hands it to
//! [`Events::publish`], which routes it by the queue's notification target, queues it
//! without waiting and returns; a delivery task ([`delivery`]) sends it, signed, retrying
//! with backoff ([`post`] is one attempt). What is queued is bounded: a full queue drops the
//! event, counted in `volley_events_total`.
//!
//! Delivery is at least once while the host lives: an event a receiver answered too late may
//! come again, and events still queued when the host stops are lost. Receivers dedupe by the
//! event id (`X-Volley-Event-Id`, the envelope's `id`).

mod delivery;
mod post;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

use crate::config::EventsConfig;
use crate::log_limit::LogLimit;
use crate::metrics::Metrics;

use delivery::Pending;
use post::Destination;

/// The backoff before an event's second attempt; it doubles for each one after.
const BASE_BACKOFF: Duration = Duration::from_secs(1);

/// The longest backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Deliveries in flight at once, so that one slow receiver does not hold up every event.
const MAX_IN_FLIGHT: usize = 8;

/// How long the delivery task goes on trying what is queued after shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The `source` of GameLift's events.
const SOURCE: &str = "aws.gamelift";

/// A handle to event delivery; clones share one queue.
#[derive(Clone)]
pub struct Events {
    inner: Arc<Inner>,
}

struct Inner {
    /// Where events go; `None` when delivery is disabled.
    routes: Option<Routes>,
    /// The delivery task's queue; `None` when delivery is disabled.
    queue: Option<mpsc::Sender<Pending>>,
    /// What the delivery task shares with publishers: the count of events waiting.
    ledger: Arc<Ledger>,
    /// Warnings about dropped events, which a burst of placements could make many of.
    drop_warnings: Mutex<LogLimit>,
}

/// The destination of each notification target, and of the rest.
struct Routes {
    default: Option<Arc<Destination>>,
    targets: BTreeMap<String, Arc<Destination>>,
}

/// Events waiting for delivery (queued or between attempts), bounded, mirrored in the
/// `volley_events_queued` gauge, and the outcome of each event counted once.
struct Ledger {
    metrics: Arc<Metrics>,
    waiting: AtomicUsize,
    capacity: usize,
}

/// How an event's delivery ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// A 2xx answer.
    Delivered,
    /// Given up after its attempts, refused, or still undelivered at shutdown.
    Failed,
    /// The queue was full (or delivery had stopped).
    Dropped,
    /// No webhook for its target and none by default.
    Unrouted,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("enabled", &self.inner.queue.is_some())
            .field(
                "waiting",
                &self.inner.ledger.waiting.load(Ordering::Relaxed),
            )
            .finish()
    }
}

impl Events {
    /// Delivery disabled: [`Events::publish`] only counts each event as unrouted.
    pub fn disabled(metrics: Arc<Metrics>) -> Self {
        Self {
            inner: Arc::new(Inner {
                routes: None,
                queue: None,
                ledger: Arc::new(Ledger {
                    metrics,
                    waiting: AtomicUsize::new(0),
                    capacity: 0,
                }),
                drop_warnings: Mutex::new(LogLimit::new(5, Duration::from_secs(60))),
            }),
        }
    }

    /// Starts delivery to the webhooks of `config` on `tasks`; it stops at `shutdown`, after
    /// trying what is queued for at most 2 s. Without any webhook nothing is started, as
    /// with [`Events::disabled`]. Needs a tokio runtime.
    pub fn start(
        config: &EventsConfig,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> Self {
        Self::start_with(
            config,
            metrics,
            shutdown,
            tasks,
            BASE_BACKOFF,
            SHUTDOWN_GRACE,
        )
    }

    /// [`Events::start`] with the first backoff and the shutdown grace given, so that tests
    /// need not wait seconds.
    fn start_with(
        config: &EventsConfig,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
        base_backoff: Duration,
        grace: Duration,
    ) -> Self {
        if config.webhook.is_none() && config.targets.is_empty() {
            return Self::disabled(metrics);
        }
        let tls = post::tls_connector();
        let destination = |uri: &http::Uri| Arc::new(Destination::new(uri, tls.clone()));
        let routes = Routes {
            default: config.webhook.as_ref().map(destination),
            targets: config
                .targets
                .iter()
                .map(|(target, uri)| (target.clone(), destination(uri)))
                .collect(),
        };
        let ledger = Arc::new(Ledger {
            metrics,
            waiting: AtomicUsize::new(0),
            capacity: config.queue,
        });
        // The ledger bounds what waits, so the channel never holds more than `queue`.
        let (sender, receiver) = mpsc::channel(config.queue);
        let settings = delivery::Settings {
            secret: config.secret.clone(),
            timeout: config.timeout,
            max_attempts: config.max_attempts,
            base_backoff,
            max_backoff: MAX_BACKOFF,
            max_in_flight: MAX_IN_FLIGHT,
            grace,
        };
        tasks.spawn(delivery::run(
            settings,
            receiver,
            Arc::clone(&ledger),
            shutdown,
        ));
        Self {
            inner: Arc::new(Inner {
                routes: Some(routes),
                queue: Some(sender),
                ledger,
                drop_warnings: Mutex::new(LogLimit::new(5, Duration::from_secs(60))),
            }),
        }
    }

    /// Queues `event` for the webhook that `target` (a queue's notification target) maps
    /// to, or else the default one. Never waits: with no webhook for it the event is
    /// counted as unrouted, and with the queue full it is dropped (counted, and warned of at
    /// most 5 times a minute).
    pub fn publish(&self, target: Option<&str>, event: Value) {
        let inner = &self.inner;
        let (Some(routes), Some(queue)) = (&inner.routes, &inner.queue) else {
            inner.ledger.count(Outcome::Unrouted);
            return;
        };
        let routed = target.and_then(|t| routes.targets.get(t));
        let Some(destination) = routed.or(routes.default.as_ref()) else {
            inner.ledger.count(Outcome::Unrouted);
            return;
        };
        if !inner.ledger.admit() {
            self.dropped(event_id(&event), "the event queue is full");
            return;
        }
        let id = event_id(&event).map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let pending = Pending {
            id,
            destination: Arc::clone(destination),
            body: Bytes::from(event.to_string()),
            attempts: 0,
        };
        if let Err(error) = queue.try_send(pending) {
            // Only when delivery has stopped: the ledger keeps the channel from filling.
            let pending = match error {
                mpsc::error::TrySendError::Full(p) | mpsc::error::TrySendError::Closed(p) => p,
            };
            inner.ledger.finish(Outcome::Dropped);
            self.dropped(Some(&pending.id), "event delivery has stopped");
        }
    }

    /// Warns of a dropped event, rate-limited.
    fn dropped(&self, id: Option<&str>, why: &'static str) {
        self.inner.ledger.count(Outcome::Dropped);
        let mut warnings = self
            .inner
            .drop_warnings
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(held_back) = warnings.admit(Instant::now()) {
            warn!(event = id.unwrap_or("-"), held_back, "event dropped: {why}");
        }
    }
}

impl Ledger {
    /// Takes a place for one more waiting event, unless `capacity` are waiting.
    fn admit(&self) -> bool {
        let taken = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            })
            .is_ok();
        if taken {
            Metrics::inc(&self.metrics.events_queued);
        }
        taken
    }

    /// Gives back an admitted event's place, counting how its delivery ended.
    fn finish(&self, outcome: Outcome) {
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        Metrics::dec(&self.metrics.events_queued);
        // A place given back for a drop was counted by whoever dropped it.
        if outcome != Outcome::Dropped {
            self.count(outcome);
        }
    }

    /// Counts an event's outcome.
    fn count(&self, outcome: Outcome) {
        let m = &self.metrics;
        Metrics::inc(match outcome {
            Outcome::Delivered => &m.events_delivered,
            Outcome::Failed => &m.events_failed,
            Outcome::Dropped => &m.events_dropped,
            Outcome::Unrouted => &m.events_unrouted,
        });
    }
}

/// The event's `id`, if it is a string that can go in a header.
fn event_id(event: &Value) -> Option<&str> {
    event
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
}

/// An event in the envelope GameLift's queue placement events come in (the CloudWatch
/// Events / EventBridge shape): a fresh id, `source` `aws.gamelift`, `time` in ISO 8601 UTC
/// to the second, and an empty `account`, as Volley's ARNs have none.
pub fn envelope(
    detail_type: &str,
    region: &str,
    resources: Vec<String>,
    detail: Value,
    now: SystemTime,
) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": detail_type,
        "source": SOURCE,
        "account": "",
        "time": iso8601(now, false),
        "region": region,
        "resources": resources,
        "detail": detail,
    })
}

/// `t` in ISO 8601 UTC to the millisecond, as placement events give their `startTime` and
/// `endTime`: `2026-03-01T21:50:33.214Z`.
pub fn iso8601_millis(t: SystemTime) -> String {
    iso8601(t, true)
}

/// `t` in ISO 8601 UTC, with milliseconds or without. A time outside the calendar `time`
/// knows (beyond the year 9999) is written as the epoch rather than failing.
fn iso8601(t: SystemTime, millis: bool) -> String {
    let nanos = match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => i128::try_from(before.duration().as_nanos()).map_or(i128::MIN, |n| -n),
    };
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let seconds = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    if millis {
        format!("{seconds}.{:03}Z", at.millisecond())
    } else {
        format!("{seconds}Z")
    }
}
