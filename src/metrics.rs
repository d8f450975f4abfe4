//! Every counter the server keeps, in one place: plain atomics that the host and transports
//! bump, read as a [`Snapshot`] by tests, `volley bench` and (later) the metrics endpoint.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::core::{DropReason, LoginRefusal};

macro_rules! counters {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// Process-wide counters; increments are relaxed atomics.
        #[derive(Debug, Default)]
        pub struct Metrics {
            $($(#[doc = $doc])* pub $name: AtomicU64,)*
        }

        /// The counters at one moment.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
        pub struct Snapshot {
            $($(#[doc = $doc])* pub $name: u64,)*
        }

        impl Metrics {
            /// Reads every counter.
            pub fn snapshot(&self) -> Snapshot {
                Snapshot { $($name: self.$name.load(Ordering::Relaxed),)* }
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
    /// Frames or datagrams that did not decode, or were too large.
    malformed_in,
    /// Text frames received (ignored, spec Q21).
    text_frames_in,
    /// Packets other than LOGIN before login (ignored, spec §5.1).
    packets_before_login,
    /// Datagrams received on the fast-channel socket.
    datagrams_in,
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
    /// Datagrams sent on the fast channel.
    fast_out,
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
    /// Logins refused by the script's onPlayerConnect.
    logins_refused_script,
    /// Game sessions whose script started.
    script_starts,
    /// Game sessions whose script failed to load or start (the game session fails).
    script_start_failures,
    /// Script callbacks called (timers included).
    script_calls,
    /// Script callbacks skipped because the script had used its CPU time for the second.
    script_calls_skipped,
    /// Script callbacks that threw, and unhandled promise rejections.
    script_errors,
    /// Script callbacks stopped at the time cap.
    script_timeouts,
    /// Script callbacks that ran out of memory.
    script_out_of_memory,
    /// Script log lines dropped over the per-session rate limit.
    script_log_lines_dropped,
    /// onHealthCheck answers that were not true.
    script_health_checks_failed,
    /// Game sessions whose script's last onHealthCheck was not true (a gauge).
    script_sessions_unhealthy,
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
        }
    }

    /// The counter for a refused login.
    pub fn refused(&self, refusal: LoginRefusal) -> &AtomicU64 {
        match refusal {
            LoginRefusal::SessionFull
            | LoginRefusal::SessionNotAccepting
            | LoginRefusal::PeerIdsExhausted => &self.logins_refused_session,
            LoginRefusal::ScriptRefused => &self.logins_refused_script,
            LoginRefusal::EmptyPlayerSessionId
            | LoginRefusal::UnknownPlayerSession
            | LoginRefusal::Expired
            | LoginRefusal::AlreadyUsed => &self.logins_refused_player_session,
        }
    }
}
