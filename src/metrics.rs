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
//!
//! # Adding a metric
//!
//! Every counter is declared once, in the `metrics!` table below, as a member of the family
//! it is exposed in; the table's order is the exposition's. A family is its type (`counter`
//! or `gauge`), its name (without the unit and `_total`, which the encoder appends), an
//! optional unit (a `prometheus_client` [`Unit`] in parentheses) and its help text, then
//! either one field, or one field per label set:
//!
//! ```text
//! counter volley_logins "LOGIN requests by result." {
//!     /// Logins accepted.
//!     [result = "accepted"] logins_accepted,
//!     /// Logins refused by the script's onPlayerConnect.
//!     [result = "refused_script"] logins_refused_script,
//! }
//! counter volley_message (Bytes) "Bytes of ..." { ... }
//! gauge volley_script_sessions_unhealthy "Game sessions whose ..." {
//!     /// Game sessions whose script's last onHealthCheck was not true (a gauge).
//!     script_sessions_unhealthy,
//! }
//! ```
//!
//! Each field becomes a [`Metrics`] field (an `AtomicU64` that callers bump with
//! [`Metrics::inc`] or [`Metrics::add`]) and a [`Snapshot`] field of the same name, with the
//! doc written above it; label values are fixed strings or expressions that give one, such
//! as [`DropReason::as_str`]. So a new counter in an existing family is one line and its
//! doc; a new family is one entry. Two more entries exist: `by_hand method;` places a family
//! that a method of `Families` writes, for what is not a counter field (build info,
//! readiness and limits, the catalog's counts, the script hooks' arrays and histogram,
//! control requests, process figures); `snapshot_only { ... }` declares counters that
//! [`Snapshot`] carries but no family exposes.
//!
//! Then refresh the golden exposition with `VOLLEY_BLESS=1 cargo test --lib
//! metrics::tests::the_exposition_is_the_golden_text` and read its diff; a new family also
//! joins the pinned list of `the_families_are_these_and_nothing_else` and the README's table.

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

use crate::api::Operation;
use crate::catalog::{GameSessionStatus, PlayerSessionStatus, StatusCounts};
use crate::core::{DropReason, LoginRefusal};
use crate::script::Hook;

/// The content type of [`encode`]'s output: OpenMetrics text, which Prometheus asks for
/// first and which plain Prometheus text parsers read as well.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the hook duration histogram's buckets, in microseconds: from a trivial
/// callback to twice the default time cap (50 ms).
const HOOK_DURATION_BOUNDS_US: [u64; 11] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000,
];

/// Script hooks, counted apart.
const HOOKS: usize = Hook::ALL.len();

/// Buckets of the hook duration histogram: one per bound, and one above the last.
const HOOK_DURATION_BUCKETS: usize = HOOK_DURATION_BOUNDS_US.len() + 1;

/// Declares the counters and their exposition at once; see the module docs for the table's
/// grammar. It munches the table one entry at a time, gathering the counter fields (with
/// their docs) and the families in order, then emits [`Metrics`], [`Snapshot`] and the
/// family writer from them.
macro_rules! metrics {
    // Every entry read: the counters, their snapshot, and the families in the table's order.
    (@munch [$($(#[doc = $doc:literal])+ $field:ident,)*] [$($family:tt)*]) => {
        /// Process-wide counters; increments are relaxed atomics.
        #[derive(Debug, Default)]
        pub struct Metrics {
            $($(#[doc = $doc])+ pub $field: AtomicU64,)*
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
            $($(#[doc = $doc])+ pub $field: u64,)*
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
                    $($field: self.$field.load(Ordering::Relaxed),)*
                    script_calls: script.calls.iter().sum(),
                    script_errors: script.errors.iter().sum::<u64>()
                        + self.script_unhandled_rejections.load(Ordering::Relaxed),
                    script_timeouts: script.timeouts.iter().sum(),
                }
            }
        }

        impl Families<'_, '_> {
            /// Writes every family of the report, in the table's order.
            fn write(&mut self, report: &Report) -> std::fmt::Result {
                $(metrics!(@write self report $family);)*
                Ok(())
            }
        }
    };

    // A family written by hand: a method of `Families` that takes the report.
    (@munch [$($fields:tt)*] [$($families:tt)*] by_hand $method:ident; $($rest:tt)*) => {
        metrics!(@munch [$($fields)*] [$($families)* (by_hand $method)] $($rest)*);
    };

    // Counters kept for the snapshot only, in no family.
    (@munch [$($fields:tt)*] [$($families:tt)*]
        snapshot_only { $($(#[doc = $doc:literal])+ $field:ident,)+ }
        $($rest:tt)*
    ) => {
        metrics!(@munch [$($fields)* $($(#[doc = $doc])+ $field,)+] [$($families)*] $($rest)*);
    };

    // A family of one sample without labels: one field.
    (@munch [$($fields:tt)*] [$($families:tt)*]
        $kind:ident $name:ident $(($unit:ident))? $help:literal {
            $(#[doc = $doc:literal])+ $field:ident,
        }
        $($rest:tt)*
    ) => {
        metrics!(@munch
            [$($fields)* $(#[doc = $doc])+ $field,]
            [$($families)* (family $kind $name ($($unit)?) $help ([]) $field)]
            $($rest)*
        );
    };

    // A family of labelled samples: one field per label set.
    (@munch [$($fields:tt)*] [$($families:tt)*]
        $kind:ident $name:ident $(($unit:ident))? $help:literal {
            $($(#[doc = $doc:literal])+ [$($label:ident = $value:expr),+] $field:ident,)+
        }
        $($rest:tt)*
    ) => {
        metrics!(@munch
            [$($fields)* $($(#[doc = $doc])+ $field,)+]
            [
                $($families)*
                (family $kind $name ($($unit)?) $help $(([$($label = $value),+]) $field)+)
            ]
            $($rest)*
        );
    };

    (@write $families:ident $report:ident (by_hand $method:ident)) => {
        $families.$method($report)?
    };
    (@write $families:ident $report:ident (
        family $kind:ident $name:ident ($($unit:ident)?) $help:literal
        $(([$($label:ident = $value:expr),*]) $field:ident)+
    )) => {
        $families.samples(
            stringify!($name),
            $help,
            metrics!(@unit $($unit)?),
            metrics!(@kind $kind),
            &[$((&[$((stringify!($label), $value)),*], $report.counters.$field)),+],
        )?
    };

    (@unit) => { None };
    (@unit $unit:ident) => { Some(Unit::$unit) };
    (@kind counter) => { Kind::Counter };
    (@kind gauge) => { Kind::Gauge };

    // Anything else in the table is a mistake: say where, rather than recurse forever.
    (@munch [$($fields:tt)*] [$($families:tt)*] $($rest:tt)+) => {
        compile_error!(concat!("metrics!: cannot read this entry: ", stringify!($($rest)+)));
    };

    ($($table:tt)*) => {
        metrics!(@munch [] [] $($table)*);
    };
}

metrics! {
    by_hand build;
    by_hand readiness;

    counter volley_connections
        "Game connections that completed their handshake, by transport and mode."
    {
        /// WebSocket connections over plain TCP that completed the upgrade (`ws://`).
        [transport = "websocket", mode = "plain"] connections_websocket_plain,
        /// WebSocket connections over TLS that completed the upgrade (`wss://`).
        [transport = "websocket", mode = "secure"] connections_websocket_secure,
        /// DTLS associations that completed their handshake.
        [transport = "udp", mode = "secure"] connections_dtls,
    }
    gauge volley_connections_open "Game connections open now, by transport and mode." {
        /// Plain WebSocket connections open now (a gauge).
        [transport = "websocket", mode = "plain"] open_websocket_plain,
        /// WebSocket connections over TLS open now (a gauge).
        [transport = "websocket", mode = "secure"] open_websocket_secure,
        /// DTLS associations open now, past their handshake (a gauge).
        [transport = "udp", mode = "secure"] open_dtls,
    }
    by_hand connection_limit;
    counter volley_connections_over_limit
        "WebSocket connections closed on accept because limits.max_connections were open."
    {
        /// Connections closed on accept because `max_connections` were open.
        connections_over_limit,
    }
    counter volley_accept_errors
        "Failed accepts on the game and control listeners, such as for want of file \
         descriptors; each is followed by a back-off."
    {
        /// Failed accepts on the game and control listeners (out of file descriptors, say).
        accept_errors,
    }
    counter volley_handshakes_failed
        "Handshakes that failed or timed out: the WebSocket upgrade, TLS on the game and \
         control listeners, DTLS, and VERIFY_IDENTITY on a DTLS association."
    {
        /// TCP or WebSocket handshakes that failed or timed out.
        [handshake = "websocket"] handshakes_failed,
        /// TLS handshakes on the game or control listener that failed, were abandoned or
        /// timed out, garbage on a TLS port included.
        [handshake = "tls"] tls_handshakes_failed,
        /// DTLS handshakes that failed or timed out.
        [handshake = "dtls"] dtls_handshakes_failed,
        /// DTLS associations closed for a wrong or missing VERIFY_IDENTITY.
        [handshake = "verify_identity"] dtls_verify_failed,
    }
    counter volley_dtls_associations
        "DTLS associations opened by a ClientHello on the fast-channel port."
    {
        /// DTLS associations opened by a ClientHello.
        dtls_handshakes,
    }

    counter volley_logins "LOGIN requests by result." {
        /// Logins accepted.
        [result = "accepted"] logins_accepted,
        /// Logins refused: unknown, expired or used player session, empty id.
        [result = "refused_player_session"] logins_refused_player_session,
        /// Logins refused by the game session: full or not accepting.
        [result = "refused_session"] logins_refused_session,
        /// Logins refused by the script's onPlayerConnect.
        [result = "refused_script"] logins_refused_script,
        /// Logins refused because the game session's script failed to start (or was held back
        /// after failing).
        [result = "refused_script_start"] logins_refused_script_start,
    }
    counter volley_login_timeouts
        "Connections closed because no LOGIN arrived within limits.login_timeout_secs."
    {
        /// Connections closed because no LOGIN arrived in time.
        login_timeouts,
    }
    by_hand sessions;
    gauge volley_fleet_hosts
        "Live hosts of the fleet by state, as this host's last heartbeat found them in the \
         fleet store; none without a store."
    {
        /// Live hosts of the fleet taking game sessions, at this host's last heartbeat (a
        /// gauge).
        [state = "active"] fleet_hosts_active,
        /// Live hosts of the fleet draining, at this host's last heartbeat (a gauge).
        [state = "draining"] fleet_hosts_draining,
    }
    gauge volley_fleet_store_up
        "1 while this host's last heartbeat reached the fleet store; 0 after one failed, \
         and without a store."
    {
        /// 1 if this host's last heartbeat reached the fleet store, else 0 (a gauge).
        fleet_store_up,
    }
    counter volley_fleet_store_errors
        "Failed calls to the fleet store by what made them: this host's heartbeat (once per \
         beat) or its inbox."
    {
        /// Heartbeats that did not reach the fleet store.
        [task = "heartbeat"] fleet_store_heartbeat_errors,
        /// Reads of this host's inbox in the fleet store that failed.
        [task = "inbox"] fleet_store_inbox_errors,
    }
    counter volley_agones_errors
        "Failed calls to the Agones SDK server (connecting, lifecycle, labels, Counters, a \
         broken health stream); none without Agones."
    {
        /// Failed calls to the Agones SDK server.
        agones_errors,
    }
    counter volley_placements
        "Game session placements this host ended, by final status."
    {
        /// Placements this host fulfilled.
        [status = "fulfilled"] placements_fulfilled,
        /// Placements stopped through this host while pending.
        [status = "cancelled"] placements_cancelled,
        /// Placements this host found past their queue's timeout.
        [status = "timed_out"] placements_timed_out,
        /// Placements this host could not place (queue gone, no destination of this fleet,
        /// a game session that failed to start).
        [status = "failed"] placements_failed,
    }
    counter volley_matchmaking_tickets
        "Matchmaking tickets ended by this host's matchmaker or handlers, by final status."
    {
        /// Tickets matched (and placed, or backfilled).
        [status = "completed"] tickets_completed,
        /// Tickets stopped, or with a player who turned their match down.
        [status = "cancelled"] tickets_cancelled,
        /// Tickets not matched within their configuration's request timeout.
        [status = "timed_out"] tickets_timed_out,
        /// Tickets matched whose game session could not be placed or filled.
        [status = "failed"] tickets_failed,
    }

    counter volley_messages
        "WebSocket frames (reliable) and fast-channel datagrams (fast) received and sent."
    {
        /// Binary frames received on WebSockets.
        [channel = "reliable", direction = "in"] frames_in,
        /// Packets sent on WebSockets.
        [channel = "reliable", direction = "out"] reliable_out,
        /// Datagrams received on the fast-channel socket.
        [channel = "fast", direction = "in"] datagrams_in,
        /// Datagrams sent on the fast channel.
        [channel = "fast", direction = "out"] fast_out,
    }
    counter volley_message (Bytes)
        "Bytes of WebSocket frames (reliable) and fast-channel datagrams (fast) received \
         and sent."
    {
        /// Bytes of the binary frames received on WebSockets.
        [channel = "reliable", direction = "in"] reliable_bytes_in,
        /// Bytes of the packets sent on WebSockets.
        [channel = "reliable", direction = "out"] reliable_bytes_out,
        /// Bytes of the datagrams received on the fast-channel socket.
        [channel = "fast", direction = "in"] fast_bytes_in,
        /// Bytes of the datagrams sent on the fast channel (DTLS records as sent, handshakes
        /// included).
        [channel = "fast", direction = "out"] fast_bytes_out,
    }
    // The core's reasons under their own names ([`Metrics::dropped`] picks the field), then
    // the host's and the transports'.
    counter volley_messages_dropped "Messages dropped, by reason." {
        /// Dropped by the core: payload over the limit.
        [reason = DropReason::Oversized.as_str()] dropped_oversized,
        /// Dropped by the core: server-only opcode from a client.
        [reason = DropReason::ServerOnlyOpcode.as_str()] dropped_server_only_opcode,
        /// Dropped by the core: command without its body.
        [reason = DropReason::MissingBody.as_str()] dropped_missing_body,
        /// Dropped by the core: unknown target player or group.
        [reason = DropReason::UnknownTarget.as_str()] dropped_unknown_target,
        /// Dropped by the core: group message from a non-member.
        [reason = DropReason::NotGroupMember.as_str()] dropped_not_group_member,
        /// Dropped by the core: stale UDP sequence number.
        [reason = DropReason::StaleSequence.as_str()] dropped_stale_sequence,
        /// Dropped by the core: datagram from an address not bound to its sender.
        [reason = DropReason::UnboundSource.as_str()] dropped_unbound_source,
        /// Dropped by the core: UDP_CONNECT from another IP than the WebSocket's.
        [reason = DropReason::SourceIpMismatch.as_str()] dropped_source_ip_mismatch,
        /// Dropped by the core: packet on a channel where it means nothing.
        [reason = DropReason::WrongChannel.as_str()] dropped_wrong_channel,
        /// Dropped by the core: command refused (e.g. too many groups, or by the script).
        [reason = DropReason::Refused.as_str()] dropped_refused,
        /// Dropped by the core: the script's onSendToPlayer or onSendToGroup said no.
        [reason = DropReason::HookRefused.as_str()] dropped_hook_refused,
        /// Dropped by the core: UDP_CONNECT from another address for a confirmed fast channel.
        [reason = DropReason::AlreadyBound.as_str()] dropped_already_bound,
        /// Dropped by the core: plain datagram naming a secure (DTLS-only) player.
        [reason = DropReason::SecurePeer.as_str()] dropped_secure_peer,
        /// Dropped by the core: over the player's message rate.
        [reason = DropReason::OverRate.as_str()] dropped_over_rate,
        /// Dropped by the core: fast-channel sequence number outside the accepted window.
        [reason = DropReason::SequenceOutOfWindow.as_str()] dropped_sequence_out_of_window,
        /// Fast-intent messages dropped because a slow reader's queue was full.
        [reason = "slow_reader"] dropped_slow_reader,
        /// Handshake datagrams (UDP_CONNECT, DTLS ClientHello) over the per-IP rate limit.
        [reason = "rate_limit"] udp_handshakes_rate_limited,
        /// DTLS ClientHellos dropped because `max_dtls_handshakes` associations were unbound.
        [reason = "handshake_limit"] dtls_handshakes_over_limit,
        /// Frames or datagrams that did not decode, or were too large.
        [reason = "malformed"] malformed_in,
        /// Text frames received (ignored, protocol.md Q21).
        [reason = "text_frame"] text_frames_in,
        /// Packets other than LOGIN before login (ignored, protocol.md §5.1).
        [reason = "before_login"] packets_before_login,
        /// Datagrams dropped because their game session's queue was full.
        [reason = "session_busy"] datagrams_session_busy,
        /// Datagrams for a DTLS association whose queue was full (dropped).
        [reason = "association_busy"] dtls_datagrams_busy,
        /// Datagrams naming a sender that is not a logged-in player.
        [reason = "unknown_sender"] datagrams_unknown_sender,
        /// Datagrams from an address bound to no player that were not a handshake (dropped
        /// without decoding).
        [reason = "unknown_source"] datagrams_unknown_source,
        /// Records on DTLS associations not bound to a player (dropped).
        [reason = "unverified"] dtls_records_unbound,
        /// Datagrams that the socket did not take (buffer full or error).
        [reason = "send_failed"] fast_send_errors,
    }
    counter volley_disconnects
        "Logged-in game connections that ended, by reason: closed by the client (a close \
         frame), lost (the stream ended without one), or closed by the server."
    {
        /// Game connections the client closed with a WebSocket close frame after login.
        [reason = "client_close"] client_closes,
        /// Game connections that ended without a close frame after login (EOF, reset, TLS
        /// without close_notify).
        [reason = "connection_lost"] connections_lost,
        /// Connections closed because their reliable queue overflowed.
        [reason = "slow_reader"] slow_reader_closes,
        /// Players disconnected by the dead-peer timeout.
        [reason = "idle_timeout"] idle_timeouts,
        /// Players disconnected for staying over their message rate.
        [reason = "rate_limited"] over_rate_closes,
    }
    counter volley_fast_path_binds
        "Fast channels bound to players: plain UDP by UDP_CONNECT, DTLS by VERIFY_IDENTITY."
    {
        /// Plain UDP addresses bound to players by UDP_CONNECT.
        [mode = "plain"] fast_binds_plain,
        /// DTLS associations bound to a player by VERIFY_IDENTITY.
        [mode = "secure"] dtls_bound,
    }
    counter volley_fast_path_fallbacks
        "Fast-intent messages sent on the WebSocket of a recipient without a confirmed \
         fast channel."
    {
        /// Fast-intent messages sent on a recipient's WebSocket because it had no confirmed
        /// fast channel (or the payload was too large for one).
        fast_fallbacks,
    }

    counter volley_script_starts
        "Game session scripts started, failed to start, or held back after a recent \
         failure."
    {
        /// Game sessions whose script started.
        [result = "started"] script_starts,
        /// Game sessions whose script failed to load or start (the game session fails).
        [result = "failed"] script_start_failures,
        /// Game sessions whose script was not tried because it failed to start shortly before
        /// (the game session fails).
        [result = "held_back"] script_starts_held_back,
    }
    by_hand script_hooks;
    counter volley_script_calls_skipped
        "Script callbacks skipped because the script had used scripts.cpu_budget_ms for \
         the second."
    {
        /// Script callbacks skipped because the script had used its CPU time for the second.
        script_calls_skipped,
    }
    counter volley_script_unhandled_rejections "Unhandled promise rejections in scripts." {
        /// Unhandled promise rejections in scripts.
        script_unhandled_rejections,
    }
    counter volley_script_out_of_memory "Script callbacks stopped at scripts.memory_limit_mib." {
        /// Script callbacks that ran out of memory.
        script_out_of_memory,
    }
    counter volley_script_log_lines_dropped
        "Script log lines dropped over the per-session rate limit."
    {
        /// Script log lines dropped over the per-session rate limit.
        script_log_lines_dropped,
    }
    counter volley_script_health_checks_failed "onHealthCheck answers that were not true." {
        /// onHealthCheck answers that were not true.
        script_health_checks_failed,
    }
    gauge volley_script_sessions_unhealthy
        "Game sessions whose script's last onHealthCheck was not true."
    {
        /// Game sessions whose script's last onHealthCheck was not true (a gauge).
        script_sessions_unhealthy,
    }
    gauge volley_script_sessions_slow
        "Game sessions whose script is slow (a wake took milliseconds of CPU in the last \
         10 s), so their wakes run at the lowest priority."
    {
        /// Game sessions whose wakes run on the slow lane (a gauge).
        script_sessions_slow,
    }

    by_hand control_requests;
    counter volley_control_connections_closed
        "Control API connections the server closed to protect itself, by reason: over a \
         connection limit on accept, evicted to make room for a new one, or no complete \
         request head in time."
    {
        /// Control API connections closed on accept: over a connection limit, with every
        /// connection that could make room busy with a request.
        [reason = "over_limit"] control_connections_over_limit,
        /// Control API connections closed to make room for a new one, as they had waited
        /// longest for a request.
        [reason = "evicted"] control_connections_evicted,
        /// Control API connections closed for sending no complete request head within
        /// `control.request_header_timeout_secs`.
        [reason = "request_header_timeout"] control_request_header_timeouts,
    }
    counter volley_metrics_scrapes "Scrapes of /metrics, by result." {
        /// Scrapes of `/metrics` answered.
        [result = "ok"] metrics_scrapes,
        /// Scrapes of `/metrics` refused for want of valid credentials (401).
        [result = "unauthenticated"] metrics_scrapes_unauthenticated,
        /// Scrapes of `/metrics` refused for a wrong bearer token (403).
        [result = "forbidden"] metrics_scrapes_forbidden,
    }

    counter volley_events
        "Placement events by how their delivery to a webhook ended: delivered (a 2xx \
         answer), failed (refused, given up after events.max_attempts, or left at \
         shutdown), dropped (the queue was full) or unrouted (no webhook for it)."
    {
        /// Events a webhook answered with a 2xx status.
        [result = "delivered"] events_delivered,
        /// Events given up: refused by their webhook, out of attempts, or left at shutdown.
        [result = "failed"] events_failed,
        /// Events dropped because `events.queue` were waiting.
        [result = "dropped"] events_dropped,
        /// Events with no webhook for their notification target and no default one.
        [result = "unrouted"] events_unrouted,
    }
    gauge volley_events_queued
        "Events waiting for delivery to a webhook, queued or between attempts."
    {
        /// Events waiting for delivery, queued or between attempts (a gauge).
        events_queued,
    }

    by_hand process;

    // `Volley.DescribeServer` reports these; the exposition counts the same connections by
    // transport and mode in `volley_connections` instead.
    snapshot_only {
        /// WebSocket connections accepted.
        connections_accepted,
        /// Game connections that completed a TLS handshake (`wss://`).
        connections_tls,
    }
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

    /// Sets a gauge.
    pub fn set(gauge: &AtomicU64, value: u64) {
        gauge.store(value, Ordering::Relaxed);
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
    /// `unknown` unless an [`Operation`] has that name, so a caller cannot grow the label
    /// set), and `result`, `ok` or the error type name.
    pub fn control_request(&self, operation: Option<&str>, result: &'static str) {
        let operation = operation
            .and_then(Operation::from_name)
            .map_or("unknown", Operation::name);
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
        Families(&mut encoder).write(&self.0)
    }
}

/// Samples of one family: each with its labels (none for a family of one sample) and its
/// value. Every label value comes from a fixed set.
type Samples<'s> = [(&'s [(&'static str, &'static str)], u64)];

/// The type of a family read from counter fields.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Only ever grows; its samples are written with `_total`.
    Counter,
    /// Goes up and down.
    Gauge,
}

impl Kind {
    fn metric_type(self) -> MetricType {
        match self {
            Self::Counter => MetricType::Counter,
            Self::Gauge => MetricType::Gauge,
        }
    }

    fn encode(self, metric: &mut MetricEncoder, value: u64) -> std::fmt::Result {
        match self {
            Self::Counter => metric.encode_counter::<NoLabelSet, _, u64>(&value, None),
            Self::Gauge => metric.encode_gauge(&value),
        }
    }
}

/// Writes metric families of constant values. [`Families::write`] comes from the table;
/// the methods it names `by_hand` write what no counter field holds.
struct Families<'a, 'e>(&'a mut DescriptorEncoder<'e>);

impl Families<'_, '_> {
    /// One family of samples.
    fn samples(
        &mut self,
        name: &str,
        help: &str,
        unit: Option<Unit>,
        kind: Kind,
        samples: &Samples<'_>,
    ) -> std::fmt::Result {
        let mut metric = self
            .0
            .encode_descriptor(name, help, unit.as_ref(), kind.metric_type())?;
        for (labels, value) in samples {
            // An empty label set would still be written, as `{}`.
            if labels.is_empty() {
                kind.encode(&mut metric, *value)?;
            } else {
                kind.encode(&mut metric.encode_family(labels)?, *value)?;
            }
        }
        Ok(())
    }

    /// One family of samples by one label: each sample's value of it, and its value.
    fn by_one_label(
        &mut self,
        name: &str,
        help: &str,
        kind: Kind,
        label: &'static str,
        samples: impl IntoIterator<Item = (&'static str, u64)>,
    ) -> std::fmt::Result {
        let mut metric = self
            .0
            .encode_descriptor(name, help, None, kind.metric_type())?;
        for (label_value, value) in samples {
            kind.encode(&mut metric.encode_family(&[(label, label_value)])?, value)?;
        }
        Ok(())
    }

    /// A family of one unlabelled gauge.
    fn gauge(&mut self, name: &str, help: &str, value: u64) -> std::fmt::Result {
        self.samples(name, help, None, Kind::Gauge, &[(&[], value)])
    }

    /// By hand: an info metric, whose one value is the build's version.
    fn build(&mut self, _: &Report) -> std::fmt::Result {
        let info = Info::new([("version", env!("CARGO_PKG_VERSION"))]);
        let metric = self.0.encode_descriptor(
            "volley_build",
            "The running build.",
            None,
            info.metric_type(),
        )?;
        info.encode(metric)
    }

    /// By hand: the scrape reads these from the host's state; nothing counts them.
    fn readiness(&mut self, r: &Report) -> std::fmt::Result {
        self.gauge(
            "volley_ready",
            "1 while /ready answers 200: listening, not draining, every script healthy.",
            u64::from(r.ready),
        )?;
        self.gauge(
            "volley_draining",
            "1 once a drain has started (SIGTERM, SIGINT or Volley.StartDrain).",
            u64::from(r.draining),
        )
    }

    /// By hand: a limit in force, from the config, so that capacity alerts need no copy of
    /// it.
    fn connection_limit(&mut self, r: &Report) -> std::fmt::Result {
        self.gauge(
            "volley_connections_max",
            "WebSocket connections that may be open at once: limits.max_connections.",
            r.max_connections,
        )
    }

    /// By hand: the catalog's counts by status, and the game session limit in force.
    fn sessions(&mut self, r: &Report) -> std::fmt::Result {
        self.by_one_label(
            "volley_game_sessions",
            "Game sessions by status, ended ones while they are remembered.",
            Kind::Gauge,
            "status",
            GameSessionStatus::ALL.map(|status| {
                let count = r.sessions.game_sessions[status as usize];
                (game_session_status(status), count as u64)
            }),
        )?;
        self.gauge(
            "volley_game_sessions_max",
            "Game sessions that may run at once (activating, active or terminating): \
             limits.max_game_sessions.",
            r.max_game_sessions,
        )?;
        self.by_one_label(
            "volley_player_sessions",
            "Player sessions by status, ended ones while they are remembered.",
            Kind::Gauge,
            "status",
            PlayerSessionStatus::ALL.map(|status| {
                let count = r.sessions.player_sessions[status as usize];
                (player_session_status(status), count as u64)
            }),
        )
    }

    /// By hand: [`ScriptMetrics`] counts in arrays by hook, and times callbacks in a
    /// histogram.
    fn script_hooks(&mut self, r: &Report) -> std::fmt::Result {
        let families = [
            (
                "volley_script_calls",
                "Script callbacks called, by hook.",
                &r.script.calls,
            ),
            (
                "volley_script_errors",
                "Script callbacks that threw, by hook.",
                &r.script.errors,
            ),
            (
                "volley_script_timeouts",
                "Script callbacks stopped at scripts.callback_timeout_ms, by hook.",
                &r.script.timeouts,
            ),
        ];
        for (name, help, counts) in families {
            let samples = Hook::ALL.map(|hook| (hook.as_str(), counts[hook as usize]));
            self.by_one_label(name, help, Kind::Counter, "hook", samples)?;
        }
        self.histogram(
            "volley_script_hook_duration",
            "How long script callbacks ran, their promise jobs included.",
            &r.script.hook_duration,
        )
    }

    /// By hand: the operations and results are known only as requests come, from fixed
    /// sets ([`Metrics::control_request`]).
    fn control_requests(&mut self, r: &Report) -> std::fmt::Result {
        let mut requests = self.0.encode_descriptor(
            "volley_control_requests",
            "Control API requests by operation and result (ok, or the error type).",
            None,
            MetricType::Counter,
        )?;
        for &(operation, result, count) in &r.control_requests {
            let labels = [("operation", operation), ("result", result)];
            Kind::Counter.encode(&mut requests.encode_family(&labels)?, count)?;
        }
        Ok(())
    }

    /// By hand: the operating system's figures, in the standard `process_*` names and
    /// types, left out where they cannot be read.
    fn process(&mut self, r: &Report) -> std::fmt::Result {
        let Some(p) = &r.process else { return Ok(()) };
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

    /// A histogram in seconds over the bounds of [`HOOK_DURATION_BOUNDS_US`].
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
