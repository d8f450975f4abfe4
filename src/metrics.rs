//! Every metric the server keeps, in one place: the counters that the host, transports,
//! script engine and control API bump, read as a [`Snapshot`] by tests and
//! `Volley.DescribeServer`, and their Prometheus exposition at `GET /metrics`.
//!
//! The message path only ever does relaxed atomic adds on plain fields: no locks, no label
//! lookups. Labels exist only in the exposition: at scrape time [`Report::gather`] copies the
//! counters, [`encode`] turns them into metric families with labels from fixed sets
//! (transport, channel, drop reason, script hook, API operation, ...) and writes the
//! OpenMetrics text with `prometheus-client`. No label value names a player, a player
//! session or a game session.
//!
//! Names (the Prometheus conventions, with this product's prefix): counters
//! `volley_<thing>_<unit>_total`, gauges without `_total`, durations in seconds and sizes in bytes;
//! the process figures use the standard `process_*` names so that stock dashboards work.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use serde::Serialize;

use crate::core::{DropReason, GameSessionStatus, LoginRefusal, PlayerSessionStatus, StatusCounts};
use crate::script::Hook;

/// The content type of [`encode`]'s output: OpenMetrics text, which Prometheus asks for
/// first and which plain Prometheus text parsers read as well.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The control API operations counted under their own name; any other is `unknown`, so a
/// caller cannot grow the label set. Keep in step with `control::ops::dispatch` and
/// `control::admin::dispatch` (Volley's own, under their full `Volley.` target).
pub const CONTROL_OPERATIONS: [&str; 20] = [
    "CreateGameSession",
    "DescribeGameSessions",
    "CreatePlayerSession",
    "CreatePlayerSessions",
    "DescribePlayerSessions",
    "DescribeGameSessionDetails",
    "SearchGameSessions",
    "UpdateGameSession",
    "TerminateGameSession",
    "DescribeFleetAttributes",
    "DescribeFleetCapacity",
    "DescribeFleetUtilization",
    "ListFleets",
    "CreateScript",
    "UpdateScript",
    "DescribeScript",
    "ListScripts",
    "DeleteScript",
    "Volley.DescribeServer",
    "Volley.StartDrain",
];

/// Upper bounds of the hook duration histogram's buckets, in microseconds: from a trivial
/// callback to twice the default time cap (50 ms).
const HOOK_DURATION_BOUNDS_US: [u64; 11] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000,
];

/// Script hooks, counted apart.
const HOOKS: usize = Hook::ALL.len();

/// Buckets of the hook duration histogram: one per bound, and one above the last.
const HOOK_DURATION_BUCKETS: usize = HOOK_DURATION_BOUNDS_US.len() + 1;

macro_rules! counters {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// Process-wide counters; increments are relaxed atomics.
        #[derive(Debug, Default)]
        pub struct Metrics {
            $($(#[doc = $doc])* pub $name: AtomicU64,)*
            /// Script callbacks by hook, and how long they ran.
            pub script: ScriptMetrics,
            /// Control API requests by (operation, result). Requests are not the message path,
            /// so a lock is fine here; both keys come from fixed sets.
            control_requests: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
        }

        /// The counters at one moment.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
        #[cfg_attr(test, derive(serde::Deserialize))]
        pub struct Snapshot {
            $($(#[doc = $doc])* pub $name: u64,)*
            /// Script callbacks called (timers included), every hook together.
            pub script_calls: u64,
            /// Script callbacks that threw, and unhandled promise rejections.
            pub script_errors: u64,
            /// Script callbacks stopped at the time cap, every hook together.
            pub script_timeouts: u64,
        }

        impl Metrics {
            /// Reads every counter.
            pub fn snapshot(&self) -> Snapshot {
                let script = self.script.snapshot();
                Snapshot {
                    $($name: self.$name.load(Ordering::Relaxed),)*
                    script_calls: script.calls.iter().sum(),
                    script_errors: script.errors.iter().sum::<u64>()
                        + self.script_unhandled_rejections.load(Ordering::Relaxed),
                    script_timeouts: script.timeouts.iter().sum(),
                }
            }
        }
    };
}

counters! {
    /// WebSocket connections accepted.
    connections_accepted,
    /// Connections closed on accept because `max_connections` were open.
    connections_over_limit,
    /// TCP or WebSocket handshakes that failed or timed out.
    handshakes_failed,
    /// Game connections that completed a TLS handshake (`wss://`).
    connections_tls,
    /// TLS handshakes on the game or control listener that failed, were abandoned or timed
    /// out, garbage on a TLS port included.
    tls_handshakes_failed,
    /// WebSocket connections over plain TCP that completed the upgrade (`ws://`).
    connections_websocket_plain,
    /// WebSocket connections over TLS that completed the upgrade (`wss://`).
    connections_websocket_secure,
    /// DTLS associations that completed their handshake.
    connections_dtls,
    /// Plain WebSocket connections open now (a gauge).
    open_websocket_plain,
    /// WebSocket connections over TLS open now (a gauge).
    open_websocket_secure,
    /// DTLS associations open now, past their handshake (a gauge).
    open_dtls,
    /// Connections closed because no LOGIN arrived in time.
    login_timeouts,
    /// Logins accepted.
    logins_accepted,
    /// Logins refused: unknown, expired or used player session, empty id.
    logins_refused_player_session,
    /// Logins refused by the game session: full or not accepting.
    logins_refused_session,
    /// Binary frames received on WebSockets.
    frames_in,
    /// Bytes of the binary frames received on WebSockets.
    reliable_bytes_in,
    /// Frames or datagrams that did not decode, or were too large.
    malformed_in,
    /// Text frames received (ignored, protocol.md Q21).
    text_frames_in,
    /// Packets other than LOGIN before login (ignored, protocol.md §5.1).
    packets_before_login,
    /// Datagrams received on the fast-channel socket.
    datagrams_in,
    /// Bytes of the datagrams received on the fast-channel socket.
    fast_bytes_in,
    /// Datagrams naming a sender that is not a logged-in player.
    datagrams_unknown_sender,
    /// Datagrams from an address bound to no player that were not a handshake (dropped
    /// without decoding).
    datagrams_unknown_source,
    /// Handshake datagrams (UDP_CONNECT, DTLS ClientHello) over the per-IP rate limit.
    udp_handshakes_rate_limited,
    /// DTLS associations opened by a ClientHello.
    dtls_handshakes,
    /// DTLS handshakes that failed or timed out.
    dtls_handshakes_failed,
    /// DTLS ClientHellos dropped because `max_dtls_handshakes` associations were unbound.
    dtls_handshakes_over_limit,
    /// DTLS associations bound to a player by VERIFY_IDENTITY.
    dtls_bound,
    /// DTLS associations closed for a wrong or missing VERIFY_IDENTITY.
    dtls_verify_failed,
    /// Records on DTLS associations not bound to a player (dropped).
    dtls_records_unbound,
    /// Datagrams for a DTLS association whose queue was full (dropped).
    dtls_datagrams_busy,
    /// Datagrams dropped because their game session's queue was full.
    datagrams_session_busy,
    /// Packets sent on WebSockets.
    reliable_out,
    /// Bytes of the packets sent on WebSockets.
    reliable_bytes_out,
    /// Datagrams sent on the fast channel.
    fast_out,
    /// Bytes of the datagrams sent on the fast channel (DTLS records as sent, handshakes
    /// included).
    fast_bytes_out,
    /// Plain UDP addresses bound to players by UDP_CONNECT.
    fast_binds_plain,
    /// Fast-intent messages sent on a recipient's WebSocket because it had no confirmed
    /// fast channel (or the payload was too large for one).
    fast_fallbacks,
    /// Fast-intent messages dropped because a slow reader's queue was full.
    dropped_slow_reader,
    /// Connections closed because their reliable queue overflowed.
    slow_reader_closes,
    /// Datagrams that the socket did not take (buffer full or error).
    fast_send_errors,
    /// Players disconnected by the dead-peer timeout.
    idle_timeouts,
    /// Dropped by the core: payload over the limit.
    dropped_oversized,
    /// Dropped by the core: server-only opcode from a client.
    dropped_server_only_opcode,
    /// Dropped by the core: command without its body.
    dropped_missing_body,
    /// Dropped by the core: unknown target player or group.
    dropped_unknown_target,
    /// Dropped by the core: group message from a non-member.
    dropped_not_group_member,
    /// Dropped by the core: stale UDP sequence number.
    dropped_stale_sequence,
    /// Dropped by the core: datagram from an address not bound to its sender.
    dropped_unbound_source,
    /// Dropped by the core: UDP_CONNECT from another IP than the WebSocket's.
    dropped_source_ip_mismatch,
    /// Dropped by the core: packet on a channel where it means nothing.
    dropped_wrong_channel,
    /// Dropped by the core: command refused (e.g. too many groups, or by the script).
    dropped_refused,
    /// Dropped by the core: the script's onSendToPlayer or onSendToGroup said no.
    dropped_hook_refused,
    /// Dropped by the core: UDP_CONNECT from another address for a confirmed fast channel.
    dropped_already_bound,
    /// Dropped by the core: plain datagram naming a secure (DTLS-only) player.
    dropped_secure_peer,
    /// Dropped by the core: over the player's message rate.
    dropped_over_rate,
    /// Dropped by the core: fast-channel sequence number outside the accepted window.
    dropped_sequence_out_of_window,
    /// Players disconnected for staying over their message rate.
    over_rate_closes,
    /// Game connections the client closed with a WebSocket close frame after login.
    client_closes,
    /// Game connections that ended without a close frame after login (EOF, reset, TLS
    /// without close_notify).
    connections_lost,
    /// Logins refused by the script's onPlayerConnect.
    logins_refused_script,
    /// Logins refused because the game session's script failed to start (or was held back
    /// after failing).
    logins_refused_script_start,
    /// Game sessions whose script started.
    script_starts,
    /// Game sessions whose script failed to load or start (the game session fails).
    script_start_failures,
    /// Game sessions whose script was not tried because it failed to start shortly before
    /// (the game session fails).
    script_starts_held_back,
    /// Script callbacks skipped because the script had used its CPU time for the second.
    script_calls_skipped,
    /// Unhandled promise rejections in scripts.
    script_unhandled_rejections,
    /// Script callbacks that ran out of memory.
    script_out_of_memory,
    /// Script log lines dropped over the per-session rate limit.
    script_log_lines_dropped,
    /// onHealthCheck answers that were not true.
    script_health_checks_failed,
    /// Game sessions whose script's last onHealthCheck was not true (a gauge).
    script_sessions_unhealthy,
    /// Failed accepts on the game and control listeners (out of file descriptors, say).
    accept_errors,
    /// Scrapes of `/metrics` answered.
    metrics_scrapes,
    /// Scrapes of `/metrics` refused for want of valid credentials (401).
    metrics_scrapes_unauthenticated,
    /// Scrapes of `/metrics` refused for a wrong bearer token (403).
    metrics_scrapes_forbidden,
    /// Control API connections closed on accept: over a connection limit, with every
    /// connection that could make room busy with a request.
    control_connections_over_limit,
    /// Control API connections closed to make room for a new one, as they had waited
    /// longest for a request.
    control_connections_evicted,
    /// Control API connections closed for sending no complete request head within
    /// `control.request_header_timeout_secs`.
    control_request_header_timeouts,
}

/// A game connection that completed its handshake, by transport and mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionKind {
    /// `ws://`
    WebSocket,
    /// `wss://`
    SecureWebSocket,
    /// A DTLS association on the fast-channel port.
    Dtls,
}

/// One open connection, counted in its gauge until dropped.
#[derive(Debug)]
pub struct OpenConnection<'a>(&'a AtomicU64);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        Metrics::dec(self.0);
    }
}

impl Metrics {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Takes one from a gauge.
    pub fn dec(gauge: &AtomicU64) {
        gauge.fetch_sub(1, Ordering::Relaxed);
    }

    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        Self::add(counter, 1);
    }

    /// Counts a connection that completed its handshake; it counts as open until the
    /// returned guard is dropped.
    pub fn connection(&self, kind: ConnectionKind) -> OpenConnection<'_> {
        let (established, open) = match kind {
            ConnectionKind::WebSocket => (
                &self.connections_websocket_plain,
                &self.open_websocket_plain,
            ),
            ConnectionKind::SecureWebSocket => (
                &self.connections_websocket_secure,
                &self.open_websocket_secure,
            ),
            ConnectionKind::Dtls => (&self.connections_dtls, &self.open_dtls),
        };
        Self::inc(established);
        Self::inc(open);
        OpenConnection(open)
    }

    /// The counter for a packet the core dropped.
    pub fn dropped(&self, reason: DropReason) -> &AtomicU64 {
        match reason {
            DropReason::Oversized => &self.dropped_oversized,
            DropReason::ServerOnlyOpcode => &self.dropped_server_only_opcode,
            DropReason::MissingBody => &self.dropped_missing_body,
            DropReason::UnknownTarget => &self.dropped_unknown_target,
            DropReason::NotGroupMember => &self.dropped_not_group_member,
            DropReason::StaleSequence => &self.dropped_stale_sequence,
            DropReason::UnboundSource => &self.dropped_unbound_source,
            DropReason::SourceIpMismatch => &self.dropped_source_ip_mismatch,
            DropReason::WrongChannel => &self.dropped_wrong_channel,
            DropReason::Refused => &self.dropped_refused,
            DropReason::HookRefused => &self.dropped_hook_refused,
            DropReason::AlreadyBound => &self.dropped_already_bound,
            DropReason::SecurePeer => &self.dropped_secure_peer,
            DropReason::OverRate => &self.dropped_over_rate,
            DropReason::SequenceOutOfWindow => &self.dropped_sequence_out_of_window,
        }
    }

    /// The counter for a refused login.
    pub fn refused(&self, refusal: LoginRefusal) -> &AtomicU64 {
        match refusal {
            LoginRefusal::SessionFull
            | LoginRefusal::SessionNotAccepting
            | LoginRefusal::PeerIdsExhausted => &self.logins_refused_session,
            LoginRefusal::ScriptRefused => &self.logins_refused_script,
            LoginRefusal::ScriptStartFailed => &self.logins_refused_script_start,
            LoginRefusal::EmptyPlayerSessionId
            | LoginRefusal::UnknownPlayerSession
            | LoginRefusal::Expired
            | LoginRefusal::AlreadyUsed => &self.logins_refused_player_session,
        }
    }

    /// Counts one control API request: `operation` as the request named it (counted under
    /// `unknown` unless it is one of [`CONTROL_OPERATIONS`]), and `result`, `ok` or the
    /// error type name.
    pub fn control_request(&self, operation: Option<&str>, result: &'static str) {
        let operation = CONTROL_OPERATIONS
            .iter()
            .find(|known| Some(**known) == operation)
            .copied()
            .unwrap_or("unknown");
        let mut requests = self
            .control_requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *requests.entry((operation, result)).or_default() += 1;
    }

    fn control_requests(&self) -> Vec<(&'static str, &'static str, u64)> {
        let requests = self
            .control_requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        requests
            .iter()
            .map(|(&(operation, result), &count)| (operation, result, count))
            .collect()
    }
}

/// Script callbacks by hook and how long they ran, for every game session together. The
/// arrays are indexed by `hook as usize`, always in range: [`Hook::ALL`] lists every hook in
/// declaration order (a unit test pins it).
#[derive(Debug, Default)]
pub struct ScriptMetrics {
    calls: [AtomicU64; HOOKS],
    errors: [AtomicU64; HOOKS],
    timeouts: [AtomicU64; HOOKS],
    /// How long each callback ran, its promise jobs included.
    pub hook_duration: DurationHistogram,
}

impl ScriptMetrics {
    /// A callback of `hook` is called.
    pub fn called(&self, hook: Hook) {
        Metrics::inc(&self.calls[hook as usize]);
    }

    /// A callback of `hook` threw.
    pub fn errored(&self, hook: Hook) {
        Metrics::inc(&self.errors[hook as usize]);
    }

    /// A callback of `hook` was stopped at the time cap.
    pub fn timed_out(&self, hook: Hook) {
        Metrics::inc(&self.timeouts[hook as usize]);
    }

    fn snapshot(&self) -> ScriptSnapshot {
        let read = |counters: &[AtomicU64; HOOKS]| {
            std::array::from_fn(|i| counters[i].load(Ordering::Relaxed))
        };
        ScriptSnapshot {
            calls: read(&self.calls),
            errors: read(&self.errors),
            timeouts: read(&self.timeouts),
            hook_duration: self.hook_duration.snapshot(),
        }
    }
}

/// Durations in fixed buckets ([`HOOK_DURATION_BOUNDS_US`]): an atomic count per bucket and
/// an atomic sum, so that recording costs two relaxed adds.
#[derive(Debug, Default)]
pub struct DurationHistogram {
    buckets: [AtomicU64; HOOK_DURATION_BUCKETS],
    sum_nanos: AtomicU64,
}

impl DurationHistogram {
    /// Records one duration.
    pub fn observe(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        // Prometheus buckets hold what is at most their bound (`le`).
        let bucket = HOOK_DURATION_BOUNDS_US
            .iter()
            .position(|&bound| nanos <= bound * 1_000)
            .unwrap_or(HOOK_DURATION_BOUNDS_US.len());
        Metrics::inc(&self.buckets[bucket]);
        Metrics::add(&self.sum_nanos, nanos);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

/// The script counters at one moment, by hook in the order of [`Hook::ALL`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScriptSnapshot {
    /// Callbacks called.
    pub calls: [u64; HOOKS],
    /// Callbacks that threw.
    pub errors: [u64; HOOKS],
    /// Callbacks stopped at the time cap.
    pub timeouts: [u64; HOOKS],
    /// How long callbacks ran.
    pub hook_duration: HistogramSnapshot,
}

/// A [`DurationHistogram`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HistogramSnapshot {
    /// Observations per bucket (not cumulative); the last is above every bound.
    pub buckets: [u64; HOOK_DURATION_BUCKETS],
    /// The sum of the observations, in seconds.
    pub sum_seconds: f64,
}

/// The operating system's figures for this process.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProcessFigures {
    /// User and system CPU time, in seconds.
    pub cpu_seconds: f64,
    /// Resident memory, in bytes.
    pub resident_memory_bytes: u64,
    /// Virtual memory, in bytes.
    pub virtual_memory_bytes: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// The soft limit of open file descriptors; `None` when unlimited.
    pub max_fds: Option<u64>,
    /// When the process started, in seconds since the Unix epoch.
    pub start_time_seconds: f64,
    /// Threads.
    pub threads: u64,
}

impl ProcessFigures {
    /// Reads this process's figures from `/proc/self`; `None` if they cannot be read.
    #[cfg(target_os = "linux")]
    pub fn read() -> Option<Self> {
        use procfs::WithCurrentSystemInfo;
        use procfs::process::{LimitValue, Process};
        let process = Process::myself().ok()?;
        let stat = process.stat().ok()?;
        let ticks = procfs::ticks_per_second().max(1) as f64;
        let boot_time = procfs::boot_time_secs().ok()?;
        let max_fds = match process.limits().ok()?.max_open_files.soft_limit {
            LimitValue::Value(limit) => Some(limit),
            LimitValue::Unlimited => None,
        };
        Some(Self {
            cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
            resident_memory_bytes: stat.rss_bytes().get(),
            virtual_memory_bytes: stat.vsize,
            open_fds: process.fd_count().ok()? as u64,
            max_fds,
            start_time_seconds: boot_time as f64 + stat.starttime as f64 / ticks,
            threads: u64::try_from(stat.num_threads).unwrap_or(0),
        })
    }

    /// Process figures are read on Linux only.
    #[cfg(not(target_os = "linux"))]
    pub fn read() -> Option<Self> {
        None
    }
}

/// Everything one scrape reports: the counters, the catalog's counts and the process's
/// figures, gathered at scrape time.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The plain counters.
    pub counters: Snapshot,
    /// The script counters by hook, and the hook duration histogram.
    pub script: ScriptSnapshot,
    /// Control API requests: (operation, result, count).
    pub control_requests: Vec<(&'static str, &'static str, u64)>,
    /// Game sessions and player sessions by status.
    pub sessions: StatusCounts,
    /// The process's figures, where the operating system gives them.
    pub process: Option<ProcessFigures>,
    /// `/ready` would answer 200.
    pub ready: bool,
    /// A drain has started.
    pub draining: bool,
    /// `limits.max_connections` in force: WebSocket connections open at once.
    pub max_connections: u64,
    /// `limits.max_game_sessions` in force: game sessions running at once.
    pub max_game_sessions: u64,
}

impl Report {
    /// Reads `metrics` and this process's figures; `sessions` comes from the catalog.
    pub fn gather(metrics: &Metrics, sessions: StatusCounts) -> Self {
        Self {
            counters: metrics.snapshot(),
            script: metrics.script.snapshot(),
            control_requests: metrics.control_requests(),
            sessions,
            process: ProcessFigures::read(),
            ready: false,
            draining: false,
            max_connections: 0,
            max_game_sessions: 0,
        }
    }
}

/// The report as an OpenMetrics text exposition ([`CONTENT_TYPE`]), ending in `# EOF`.
pub fn encode(report: &Report) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(ReportCollector(report.clone())));
    let mut text = String::with_capacity(16 * 1024);
    prometheus_client::encoding::text::encode(&mut text, &registry)?;
    Ok(text)
}

/// Hands a report to `prometheus-client`'s encoder as constant metric families.
#[derive(Debug)]
struct ReportCollector(Report);

impl Collector for ReportCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let families = Families(&mut encoder);
        families.write(&self.0)
    }
}

/// A label set: (name, value) pairs, every value from a fixed set.
type Labels<const N: usize> = [(&'static str, &'static str); N];

/// Writes metric families of constant values.
struct Families<'a, 'e>(&'a mut DescriptorEncoder<'e>);

impl Families<'_, '_> {
    fn write(mut self, r: &Report) -> std::fmt::Result {
        let c = &r.counters;
        self.build_info()?;
        self.gauge(
            "volley_ready",
            "1 while /ready answers 200: listening, not draining, every script healthy.",
            u64::from(r.ready),
        )?;
        self.gauge(
            "volley_draining",
            "1 once a drain has started (SIGTERM, SIGINT or Volley.StartDrain).",
            u64::from(r.draining),
        )?;

        self.counters(
            "volley_connections",
            "Game connections that completed their handshake, by transport and mode.",
            None,
            &connection_samples(
                c.connections_websocket_plain,
                c.connections_websocket_secure,
                c.connections_dtls,
            ),
        )?;
        self.gauges(
            "volley_connections_open",
            "Game connections open now, by transport and mode.",
            None,
            &connection_samples(c.open_websocket_plain, c.open_websocket_secure, c.open_dtls),
        )?;
        // The limits in force, so that capacity alerts need no copy of the config.
        self.gauge(
            "volley_connections_max",
            "WebSocket connections that may be open at once: limits.max_connections.",
            r.max_connections,
        )?;
        self.counter(
            "volley_connections_over_limit",
            "WebSocket connections closed on accept because limits.max_connections were open.",
            c.connections_over_limit,
        )?;
        self.counter(
            "volley_accept_errors",
            "Failed accepts on the game and control listeners, such as for want of file \
             descriptors; each is followed by a back-off.",
            c.accept_errors,
        )?;
        self.counters(
            "volley_handshakes_failed",
            "Handshakes that failed or timed out: the WebSocket upgrade, TLS on the game and \
             control listeners, DTLS, and VERIFY_IDENTITY on a DTLS association.",
            None,
            &[
                ([("handshake", "websocket")], c.handshakes_failed),
                ([("handshake", "tls")], c.tls_handshakes_failed),
                ([("handshake", "dtls")], c.dtls_handshakes_failed),
                ([("handshake", "verify_identity")], c.dtls_verify_failed),
            ],
        )?;
        self.counter(
            "volley_dtls_associations",
            "DTLS associations opened by a ClientHello on the fast-channel port.",
            c.dtls_handshakes,
        )?;

        self.counters(
            "volley_logins",
            "LOGIN requests by result.",
            None,
            &[
                ([("result", "accepted")], c.logins_accepted),
                (
                    [("result", "refused_player_session")],
                    c.logins_refused_player_session,
                ),
                ([("result", "refused_session")], c.logins_refused_session),
                ([("result", "refused_script")], c.logins_refused_script),
                (
                    [("result", "refused_script_start")],
                    c.logins_refused_script_start,
                ),
            ],
        )?;
        self.counter(
            "volley_login_timeouts",
            "Connections closed because no LOGIN arrived within limits.login_timeout_secs.",
            c.login_timeouts,
        )?;
        self.gauges(
            "volley_game_sessions",
            "Game sessions by status, ended ones while they are remembered.",
            None,
            &GameSessionStatus::ALL.map(|status| {
                let count = r.sessions.game_sessions[status as usize];
                ([("status", game_session_status(status))], count as u64)
            }),
        )?;
        self.gauge(
            "volley_game_sessions_max",
            "Game sessions that may run at once (activating, active or terminating): \
             limits.max_game_sessions.",
            r.max_game_sessions,
        )?;
        self.gauges(
            "volley_player_sessions",
            "Player sessions by status, ended ones while they are remembered.",
            None,
            &PlayerSessionStatus::ALL.map(|status| {
                let count = r.sessions.player_sessions[status as usize];
                ([("status", player_session_status(status))], count as u64)
            }),
        )?;

        self.counters(
            "volley_messages",
            "WebSocket frames (reliable) and fast-channel datagrams (fast) received and sent.",
            None,
            &traffic_samples([c.frames_in, c.reliable_out, c.datagrams_in, c.fast_out]),
        )?;
        self.counters(
            "volley_message",
            "Bytes of WebSocket frames (reliable) and fast-channel datagrams (fast) received \
             and sent.",
            Some(Unit::Bytes),
            &traffic_samples([
                c.reliable_bytes_in,
                c.reliable_bytes_out,
                c.fast_bytes_in,
                c.fast_bytes_out,
            ]),
        )?;
        self.counters(
            "volley_messages_dropped",
            "Messages dropped, by reason.",
            None,
            &dropped_samples(c),
        )?;
        self.counters(
            "volley_disconnects",
            "Logged-in game connections that ended, by reason: closed by the client (a close \
             frame), lost (the stream ended without one), or closed by the server.",
            None,
            &[
                ([("reason", "client_close")], c.client_closes),
                ([("reason", "connection_lost")], c.connections_lost),
                ([("reason", "slow_reader")], c.slow_reader_closes),
                ([("reason", "idle_timeout")], c.idle_timeouts),
                ([("reason", "rate_limited")], c.over_rate_closes),
            ],
        )?;
        self.counters(
            "volley_fast_path_binds",
            "Fast channels bound to players: plain UDP by UDP_CONNECT, DTLS by VERIFY_IDENTITY.",
            None,
            &[
                ([("mode", "plain")], c.fast_binds_plain),
                ([("mode", "secure")], c.dtls_bound),
            ],
        )?;
        self.counter(
            "volley_fast_path_fallbacks",
            "Fast-intent messages sent on the WebSocket of a recipient without a confirmed \
             fast channel.",
            c.fast_fallbacks,
        )?;

        self.counters(
            "volley_script_starts",
            "Game session scripts started, failed to start, or held back after a recent \
             failure.",
            None,
            &[
                ([("result", "started")], c.script_starts),
                ([("result", "failed")], c.script_start_failures),
                ([("result", "held_back")], c.script_starts_held_back),
            ],
        )?;
        let by_hook = |counts: &[u64; HOOKS]| {
            Hook::ALL.map(|hook| ([("hook", hook.as_str())], counts[hook as usize]))
        };
        self.counters(
            "volley_script_calls",
            "Script callbacks called, by hook.",
            None,
            &by_hook(&r.script.calls),
        )?;
        self.counters(
            "volley_script_errors",
            "Script callbacks that threw, by hook.",
            None,
            &by_hook(&r.script.errors),
        )?;
        self.counters(
            "volley_script_timeouts",
            "Script callbacks stopped at scripts.callback_timeout_ms, by hook.",
            None,
            &by_hook(&r.script.timeouts),
        )?;
        self.histogram(
            "volley_script_hook_duration",
            "How long script callbacks ran, their promise jobs included.",
            &r.script.hook_duration,
        )?;
        self.counter(
            "volley_script_calls_skipped",
            "Script callbacks skipped because the script had used scripts.cpu_budget_ms for \
             the second.",
            c.script_calls_skipped,
        )?;
        self.counter(
            "volley_script_unhandled_rejections",
            "Unhandled promise rejections in scripts.",
            c.script_unhandled_rejections,
        )?;
        self.counter(
            "volley_script_out_of_memory",
            "Script callbacks stopped at scripts.memory_limit_mib.",
            c.script_out_of_memory,
        )?;
        self.counter(
            "volley_script_log_lines_dropped",
            "Script log lines dropped over the per-session rate limit.",
            c.script_log_lines_dropped,
        )?;
        self.counter(
            "volley_script_health_checks_failed",
            "onHealthCheck answers that were not true.",
            c.script_health_checks_failed,
        )?;
        self.gauge(
            "volley_script_sessions_unhealthy",
            "Game sessions whose script's last onHealthCheck was not true.",
            c.script_sessions_unhealthy,
        )?;

        let mut requests = self.0.encode_descriptor(
            "volley_control_requests",
            "Control API requests by operation and result (ok, or the error type).",
            None,
            MetricType::Counter,
        )?;
        for &(operation, result, count) in &r.control_requests {
            let labels = [("operation", operation), ("result", result)];
            encode_counter(&mut requests.encode_family(&labels)?, count)?;
        }
        self.counters(
            "volley_control_connections_closed",
            "Control API connections the server closed to protect itself, by reason: over a \
             connection limit on accept, evicted to make room for a new one, or no complete \
             request head in time.",
            None,
            &[
                ([("reason", "over_limit")], c.control_connections_over_limit),
                ([("reason", "evicted")], c.control_connections_evicted),
                (
                    [("reason", "request_header_timeout")],
                    c.control_request_header_timeouts,
                ),
            ],
        )?;
        self.counters(
            "volley_metrics_scrapes",
            "Scrapes of /metrics, by result.",
            None,
            &[
                ([("result", "ok")], c.metrics_scrapes),
                (
                    [("result", "unauthenticated")],
                    c.metrics_scrapes_unauthenticated,
                ),
                ([("result", "forbidden")], c.metrics_scrapes_forbidden),
            ],
        )?;

        if let Some(process) = &r.process {
            self.process(process)?;
        }
        Ok(())
    }

    fn build_info(&mut self) -> std::fmt::Result {
        let info = Info::new([("version", env!("CARGO_PKG_VERSION"))]);
        let metric = self.0.encode_descriptor(
            "volley_build",
            "The running build.",
            None,
            info.metric_type(),
        )?;
        info.encode(metric)
    }

    fn process(&mut self, p: &ProcessFigures) -> std::fmt::Result {
        let mut cpu = self.0.encode_descriptor(
            "process_cpu",
            "Total user and system CPU time spent in seconds.",
            Some(&Unit::Seconds),
            MetricType::Counter,
        )?;
        cpu.encode_counter::<NoLabelSet, _, u64>(&p.cpu_seconds, None)?;
        let seconds = Some(Unit::Seconds);
        let bytes = Some(Unit::Bytes);
        // An unlimited soft limit of file descriptors has no number to report.
        let gauges: [(&str, &str, &Option<Unit>, Option<f64>); 6] = [
            (
                "process_resident_memory",
                "Resident memory size in bytes.",
                &bytes,
                Some(p.resident_memory_bytes as f64),
            ),
            (
                "process_virtual_memory",
                "Virtual memory size in bytes.",
                &bytes,
                Some(p.virtual_memory_bytes as f64),
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                &None,
                Some(p.open_fds as f64),
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                &None,
                p.max_fds.map(|max| max as f64),
            ),
            (
                "process_start_time",
                "Start time of the process since unix epoch in seconds.",
                &seconds,
                Some(p.start_time_seconds),
            ),
            (
                "process_threads",
                "Number of OS threads in the process.",
                &None,
                Some(p.threads as f64),
            ),
        ];
        for (name, help, unit, value) in gauges {
            let Some(value) = value else { continue };
            let mut metric =
                self.0
                    .encode_descriptor(name, help, unit.as_ref(), MetricType::Gauge)?;
            metric.encode_gauge(&value)?;
        }
        Ok(())
    }

    fn counter(&mut self, name: &str, help: &str, value: u64) -> std::fmt::Result {
        let mut metric = self
            .0
            .encode_descriptor(name, help, None, MetricType::Counter)?;
        encode_counter(&mut metric, value)
    }

    fn gauge(&mut self, name: &str, help: &str, value: u64) -> std::fmt::Result {
        let mut metric = self
            .0
            .encode_descriptor(name, help, None, MetricType::Gauge)?;
        metric.encode_gauge(&value)
    }

    fn counters<const N: usize>(
        &mut self,
        name: &str,
        help: &str,
        unit: Option<Unit>,
        samples: &[(Labels<N>, u64)],
    ) -> std::fmt::Result {
        let mut metric =
            self.0
                .encode_descriptor(name, help, unit.as_ref(), MetricType::Counter)?;
        for (labels, value) in samples {
            encode_counter(&mut metric.encode_family(labels)?, *value)?;
        }
        Ok(())
    }

    fn gauges<const N: usize>(
        &mut self,
        name: &str,
        help: &str,
        unit: Option<Unit>,
        samples: &[(Labels<N>, u64)],
    ) -> std::fmt::Result {
        let mut metric = self
            .0
            .encode_descriptor(name, help, unit.as_ref(), MetricType::Gauge)?;
        for (labels, value) in samples {
            metric.encode_family(labels)?.encode_gauge(value)?;
        }
        Ok(())
    }

    fn histogram(
        &mut self,
        name: &str,
        help: &str,
        histogram: &HistogramSnapshot,
    ) -> std::fmt::Result {
        let mut metric =
            self.0
                .encode_descriptor(name, help, Some(&Unit::Seconds), MetricType::Histogram)?;
        let bounds = HOOK_DURATION_BOUNDS_US
            .iter()
            .map(|&us| us as f64 / 1e6)
            .chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> = bounds.zip(histogram.buckets).collect();
        // The count is the buckets' sum, so that it always equals the `+Inf` bucket.
        let count = histogram.buckets.iter().sum();
        metric.encode_histogram::<NoLabelSet>(histogram.sum_seconds, count, &buckets, None)
    }
}

fn encode_counter(metric: &mut MetricEncoder, value: u64) -> std::fmt::Result {
    metric.encode_counter::<NoLabelSet, _, u64>(&value, None)
}

/// Samples by transport and mode: plain and secure WebSockets, DTLS associations.
fn connection_samples(plain: u64, secure: u64, dtls: u64) -> [(Labels<2>, u64); 3] {
    [
        ([("transport", "websocket"), ("mode", "plain")], plain),
        ([("transport", "websocket"), ("mode", "secure")], secure),
        ([("transport", "udp"), ("mode", "secure")], dtls),
    ]
}

/// Samples by channel and direction, from [reliable in, reliable out, fast in, fast out].
fn traffic_samples(values: [u64; 4]) -> [(Labels<2>, u64); 4] {
    let [reliable_in, reliable_out, fast_in, fast_out] = values;
    [
        ([("channel", "reliable"), ("direction", "in")], reliable_in),
        (
            [("channel", "reliable"), ("direction", "out")],
            reliable_out,
        ),
        ([("channel", "fast"), ("direction", "in")], fast_in),
        ([("channel", "fast"), ("direction", "out")], fast_out),
    ]
}

/// Dropped messages by reason: the core's reasons under their own names, then the host's
/// and the transports'.
fn dropped_samples(c: &Snapshot) -> [(Labels<1>, u64); 27] {
    let core = |reason: DropReason, count| ([("reason", reason.as_str())], count);
    let host = |reason: &'static str, count| ([("reason", reason)], count);
    [
        core(DropReason::Oversized, c.dropped_oversized),
        core(DropReason::ServerOnlyOpcode, c.dropped_server_only_opcode),
        core(DropReason::MissingBody, c.dropped_missing_body),
        core(DropReason::UnknownTarget, c.dropped_unknown_target),
        core(DropReason::NotGroupMember, c.dropped_not_group_member),
        core(DropReason::StaleSequence, c.dropped_stale_sequence),
        core(DropReason::UnboundSource, c.dropped_unbound_source),
        core(DropReason::SourceIpMismatch, c.dropped_source_ip_mismatch),
        core(DropReason::WrongChannel, c.dropped_wrong_channel),
        core(DropReason::Refused, c.dropped_refused),
        core(DropReason::HookRefused, c.dropped_hook_refused),
        core(DropReason::AlreadyBound, c.dropped_already_bound),
        core(DropReason::SecurePeer, c.dropped_secure_peer),
        core(DropReason::OverRate, c.dropped_over_rate),
        core(
            DropReason::SequenceOutOfWindow,
            c.dropped_sequence_out_of_window,
        ),
        host("slow_reader", c.dropped_slow_reader),
        host("rate_limit", c.udp_handshakes_rate_limited),
        host("handshake_limit", c.dtls_handshakes_over_limit),
        host("malformed", c.malformed_in),
        host("text_frame", c.text_frames_in),
        host("before_login", c.packets_before_login),
        host("session_busy", c.datagrams_session_busy),
        host("association_busy", c.dtls_datagrams_busy),
        host("unknown_sender", c.datagrams_unknown_sender),
        host("unknown_source", c.datagrams_unknown_source),
        host("unverified", c.dtls_records_unbound),
        host("send_failed", c.fast_send_errors),
    ]
}

/// A game session status as a label value, in the exposition's lowercase style.
fn game_session_status(status: GameSessionStatus) -> &'static str {
    match status {
        GameSessionStatus::Activating => "activating",
        GameSessionStatus::Active => "active",
        GameSessionStatus::Terminating => "terminating",
        GameSessionStatus::Terminated => "terminated",
        GameSessionStatus::Error => "error",
    }
}

/// A player session status as a label value, in the exposition's lowercase style.
fn player_session_status(status: PlayerSessionStatus) -> &'static str {
    match status {
        PlayerSessionStatus::Reserved => "reserved",
        PlayerSessionStatus::Active => "active",
        PlayerSessionStatus::Completed => "completed",
        PlayerSessionStatus::TimedOut => "timedout",
    }
}

#[cfg(test)]
mod tests;
