//! The delivery task: takes events from the queue [`super::Events::publish`] fills, runs a
//! few attempts at once (each [`super::post`] within the attempt timeout), keeps the events
//! to retry until their backoff is over, and settles each event in the ledger once. At
//! shutdown it goes on for a short grace, then gives up what is left.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue, header};
use sha2::Sha256;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::post::{Answer, Destination};
use super::{Ledger, Outcome};
use crate::log_limit::LogLimit;
use crate::secret::Secret;

/// `User-Agent` of every delivery.
const USER_AGENT: &str = concat!("volley/", env!("CARGO_PKG_VERSION"));

/// An event on its way: admitted to the ledger, settled exactly once.
pub(super) struct Pending {
    /// The event's id, for `X-Volley-Event-Id` and logs.
    pub id: String,
    /// Its webhook.
    pub destination: Arc<Destination>,
    /// The event JSON, the same bytes on every attempt.
    pub body: Bytes,
    /// Attempts made so far.
    pub attempts: u32,
}

/// How the task delivers.
pub(super) struct Settings {
    /// The signing key; `None` sends events unsigned.
    pub secret: Option<Secret>,
    /// Longest one attempt may take.
    pub timeout: Duration,
    /// Attempts per event.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles for each one after.
    pub base_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// Attempts in flight at once.
    pub max_in_flight: usize,
    /// How long the task goes on after shutdown.
    pub grace: Duration,
}

/// An event waiting for its next attempt, ordered by when it is due (then by arrival, so
/// that the heap never compares events).
struct Retry {
    due: Instant,
    seq: u64,
    pending: Pending,
}

impl PartialEq for Retry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}

impl Eq for Retry {}

impl PartialOrd for Retry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Retry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

/// Delivers what arrives on `queue` until `shutdown`, then for at most `settings.grace`.
pub(super) async fn run(
    settings: Settings,
    mut queue: mpsc::Receiver<Pending>,
    ledger: Arc<Ledger>,
    shutdown: CancellationToken,
) {
    let settings = Arc::new(settings);
    let mut in_flight: JoinSet<(Pending, Answer)> = JoinSet::new();
    let mut backing_off: BinaryHeap<Reverse<Retry>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut warnings = LogLimit::new(5, Duration::from_secs(60));
    let mut deadline: Option<Instant> = None;
    loop {
        if deadline.is_some() && in_flight.is_empty() && backing_off.is_empty() && queue.is_empty()
        {
            break;
        }
        let room = in_flight.len() < settings.max_in_flight;
        let next_due = backing_off.peek().map(|retry| retry.0.due);
        tokio::select! {
            biased;
            () = shutdown.cancelled(), if deadline.is_none() => {
                deadline = Some(Instant::now() + settings.grace);
            }
            () = sleep_until(deadline), if deadline.is_some() => break,
            Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                let Ok((mut pending, answer)) = joined else {
                    // The attempt panicked: its event is lost with it.
                    ledger.finish(Outcome::Failed);
                    warn!("an event delivery attempt failed unexpectedly");
                    continue;
                };
                pending.attempts += 1;
                let why = match answer {
                    Answer::Delivered => {
                        debug!(event = %pending.id, attempts = pending.attempts, "event delivered");
                        ledger.finish(Outcome::Delivered);
                        continue;
                    }
                    Answer::Retry(why) if pending.attempts < settings.max_attempts => {
                        let wait = backoff(&settings, pending.attempts);
                        debug!(event = %pending.id, attempts = pending.attempts, reason = %why,
                            ?wait, "event delivery will be tried again");
                        seq += 1;
                        backing_off.push(Reverse(Retry { due: Instant::now() + wait, seq, pending }));
                        continue;
                    }
                    Answer::Retry(why) | Answer::Refused(why) => why,
                };
                ledger.finish(Outcome::Failed);
                if let Some(held_back) = warnings.admit(StdInstant::now()) {
                    warn!(event = %pending.id, webhook = %pending.destination,
                        attempts = pending.attempts, reason = %why, held_back,
                        "event not delivered");
                }
            }
            () = sleep_until(next_due), if room && next_due.is_some() => {
                if let Some(Reverse(retry)) = backing_off.pop() {
                    in_flight.spawn(attempt(Arc::clone(&settings), retry.pending));
                }
            }
            Some(pending) = queue.recv(), if room => {
                in_flight.spawn(attempt(Arc::clone(&settings), pending));
            }
        }
    }
    // What is left is given up: the process is stopping.
    queue.close();
    let mut lost = in_flight.len() + backing_off.len();
    in_flight.abort_all();
    while queue.try_recv().is_ok() {
        lost += 1;
    }
    for _ in 0..lost {
        ledger.finish(Outcome::Failed);
    }
    if lost > 0 {
        warn!(lost, "events not delivered before shutdown");
    }
}

/// Sleeps until `at`; forever when there is no `at` (its branch is then disabled anyway).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The wait after `attempts` failed attempts: the base, doubled for each one after the
/// first, at most the cap.
pub(super) fn backoff(settings: &Settings, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(31);
    settings
        .base_backoff
        .saturating_mul(1 << doublings)
        .min(settings.max_backoff)
}

/// One attempt within the timeout; hands the event back with the answer.
async fn attempt(settings: Arc<Settings>, pending: Pending) -> (Pending, Answer) {
    let headers = headers(&settings, &pending, SystemTime::now());
    let post = pending.destination.post(pending.body.clone(), headers);
    let answer = tokio::time::timeout(settings.timeout, post)
        .await
        .unwrap_or_else(|_| Answer::Retry(format!("no answer within {:?}", settings.timeout)));
    (pending, answer)
}

/// The headers of an attempt made at `now`; the signature is made afresh for each, so that
/// its timestamp tells a receiver how old the request is.
fn headers(settings: &Settings, pending: &Pending, now: SystemTime) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
    // The id is a uuid or was checked to be visible ASCII when the event was queued.
    if let Ok(id) = HeaderValue::from_str(&pending.id) {
        headers.insert("x-volley-event-id", id);
    }
    if let Some(secret) = &settings.secret {
        let t = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if let Ok(value) = HeaderValue::from_str(&signature(secret, t, &pending.body)) {
            headers.insert("x-volley-signature", value);
        }
    }
    headers
}

/// `X-Volley-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub(super) fn signature(secret: &Secret, t: u64, body: &[u8]) -> String {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}
