//! The fast-channel UDP socket, shared by every game session (protocol.md Q24).
//! One reader sorts each datagram, without waiting:
//!
//! - DTLS records (secure mode, protocol.md Q12) go to their association ([`super::dtls`]);
//! - plain datagrams from an address bound to a player go, decoded, to that player's session;
//! - from any other address only UDP_CONNECT is worth decoding: the opcode is read in place,
//!   anything else is dropped and counted without an allocation, and UDP_CONNECTs are held
//!   to a per-address budget before they are routed by their `sender`. Nothing is cloned
//!   per datagram: sessions are reached under the directory's read lock.
//!
//! A busy session loses the datagram (counted). The routes, and the sending side that
//! session tasks use, are the host's [`crate::host::FastPath`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use flume::TrySendError;
use tokio::net::UdpSocket;
use tracing::debug;

use super::GameContext;
use super::dtls::{self, Associations};
use super::limiter::HandshakeLimiter;
use crate::config::SecureMode;
use crate::host::{SessionHandle, SessionMsg};
use crate::metrics::Metrics;
use crate::protocol::{Opcode, Packet, PeerId, decode, peek_op_code};

/// The largest payload of a UDP datagram over IPv4.
const MAX_UDP_DATAGRAM: usize = 65_507;

/// How often ended DTLS associations are forgotten.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Reads datagrams until shutdown.
pub(crate) async fn serve(socket: UdpSocket, cx: Arc<GameContext>) {
    let mode = cx.mode;
    let mut associations = match (&cx.certs, mode) {
        (Some(certs), SecureMode::Secure | SecureMode::Mixed) => {
            Some(Associations::new(Arc::clone(certs)))
        }
        _ => None,
    };
    let accept_plain = mode != SecureMode::Secure;
    let limits = cx.live().limits.clone();
    let mut connects = HandshakeLimiter::new(limits.udp_connects_per_address, Instant::now());
    let mut dtls_handshakes = HandshakeLimiter::new(limits.dtls_handshakes_per_ip, Instant::now());
    let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
    // Room for any UDP datagram, so one over `max_frame_bytes` (which a reload may raise) is
    // seen whole and counted as such.
    let mut buf = vec![0u8; MAX_UDP_DATAGRAM];
    loop {
        let (len, from) = tokio::select! {
            () = cx.shutdown.cancelled() => break,
            _ = sweep.tick() => {
                if let Some(associations) = &mut associations {
                    associations.sweep();
                }
                continue;
            }
            received = socket.recv_from(&mut buf) => match received {
                Ok(received) => received,
                Err(e) => {
                    // ICMP errors from earlier sends surface here on some systems; keep going.
                    debug!(error = %e, "udp receive failed");
                    continue;
                }
            },
        };
        Metrics::inc(&cx.metrics.datagrams_in);
        Metrics::add(&cx.metrics.fast_bytes_in, len as u64);
        let limits = cx.live();
        connects.set_rate(limits.limits.udp_connects_per_address);
        dtls_handshakes.set_rate(limits.limits.dtls_handshakes_per_ip);
        let max_frame = limits.limits.max_frame_bytes;
        drop(limits);
        let datagram = &buf[..len];
        if let Some(associations) = &mut associations
            && dtls::looks_like_dtls(datagram)
        {
            if len > dtls::MAX_DATAGRAM {
                Metrics::inc(&cx.metrics.malformed_in);
            } else {
                associations.route(&cx, &mut dtls_handshakes, from, datagram);
            }
            continue;
        }
        if !accept_plain {
            Metrics::inc(&cx.metrics.datagrams_unknown_source);
            continue;
        }
        if len > max_frame {
            Metrics::inc(&cx.metrics.malformed_in);
            continue;
        }
        route_plain(&cx, &mut connects, from, datagram, max_frame);
    }
}

/// Routes a plain datagram: a UDP_CONNECT within its source address's budget by its
/// `sender` (a new peer may reuse an address), anything else to the player bound to its
/// source address, if any. `max_frame` is `limits.max_frame_bytes`, read once per datagram.
fn route_plain(
    cx: &GameContext,
    connects: &mut HandshakeLimiter,
    from: SocketAddr,
    datagram: &[u8],
    max_frame: usize,
) {
    let metrics = &cx.metrics;
    let is_connect = peek_op_code(datagram, max_frame) == Some(Opcode::UDP_CONNECT.0);
    let queued = if is_connect {
        if !connects.allow(from, Instant::now()) {
            Metrics::inc(&metrics.udp_handshakes_rate_limited);
            return;
        }
        let Some(packet) = decode_datagram(cx, from, datagram, max_frame) else {
            return;
        };
        let sender = PeerId(packet.sender);
        let msg = SessionMsg::Datagram { from, packet };
        cx.fast.with_peer(sender, |session| offer(session, msg))
    } else {
        // Decoded only when its address is bound; a malformed one is counted as such.
        let bound = cx.fast.with_bound_addr(from, |session| {
            decode_datagram(cx, from, datagram, max_frame)
                .is_none_or(|packet| offer(session, SessionMsg::Datagram { from, packet }))
        });
        if bound.is_none() {
            Metrics::inc(&metrics.datagrams_unknown_source);
            return;
        }
        bound
    };
    match queued {
        None => Metrics::inc(&metrics.datagrams_unknown_sender),
        Some(false) => Metrics::inc(&metrics.datagrams_session_busy),
        Some(true) => {}
    }
}

/// Decodes a plain datagram, counting it if it is malformed.
fn decode_datagram(
    cx: &GameContext,
    from: SocketAddr,
    datagram: &[u8],
    max_frame: usize,
) -> Option<Packet> {
    match decode(Bytes::copy_from_slice(datagram), max_frame) {
        Ok(packet) => Some(packet),
        Err(e) => {
            debug!(%from, error = %e, "malformed datagram dropped");
            Metrics::inc(&cx.metrics.malformed_in);
            None
        }
    }
}

/// Queues a message for a session without waiting; false if its queue is full (a closed
/// queue means it just ended, and the datagram is simply gone).
fn offer(session: &SessionHandle, msg: SessionMsg) -> bool {
    !matches!(session.tx.try_send(msg), Err(TrySendError::Full(_)))
}
