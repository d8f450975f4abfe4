//! The fast-channel UDP socket, shared by every game session (protocol.md Q24), with kernel
//! buffers sized by `[game]` ([`size_buffers`]). One reader takes what the socket holds in
//! batches (`recvmmsg`) and sorts each datagram, without waiting:
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

use std::cell::RefCell;
use std::io::IoSliceMut;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use flume::TrySendError;
use nix::sys::socket::{
    MsgFlags, MultiHeaders, SockaddrStorage, getsockopt, recvmmsg, setsockopt, sockopt,
};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tracing::{debug, info, warn};

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

/// Reads datagrams until shutdown, in batches: one `recvmmsg` takes what the socket holds, up
/// to [`RECEIVE_BATCH`] datagrams, so a burst costs one system call rather than one each.
pub(crate) async fn serve(socket: UdpSocket, cx: Arc<GameContext>) {
    let mut sorter = Sorter::new(&cx);
    let mut batch = ReceiveBatch::new();
    let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        // Ready at once while the socket holds datagrams; the readiness wait also counts
        // against the task's budget, so a flood cannot keep the reader from yielding.
        tokio::select! {
            () = cx.shutdown.cancelled() => break,
            _ = sweep.tick() => {
                sorter.sweep();
                continue;
            }
            ready = socket.readable() => {
                if let Err(e) = ready {
                    debug!(error = %e, "udp socket not readable");
                    continue;
                }
            }
        }
        match socket.try_io(Interest::READABLE, || batch.receive(socket.as_raw_fd())) {
            Ok(()) => sorter.sort(&cx, &batch),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            // ICMP errors from earlier sends surface here on some systems; keep going.
            Err(e) => debug!(error = %e, "udp receive failed"),
        }
    }
}

/// Asks the kernel for the socket buffers `[game]` names, and says so when it gave less (it
/// caps them at `net.core.rmem_max` and `net.core.wmem_max`). Failing to set them is not
/// fatal: the socket works with the system's defaults.
pub(crate) fn size_buffers(socket: &UdpSocket, receive: usize, send: usize) {
    let given = setsockopt(socket, sockopt::RcvBuf, &receive)
        .and_then(|()| getsockopt(socket, sockopt::RcvBuf));
    report_buffer(
        "udp_receive_buffer_bytes",
        "net.core.rmem_max",
        receive,
        given,
    );
    let given = setsockopt(socket, sockopt::SndBuf, &send)
        .and_then(|()| getsockopt(socket, sockopt::SndBuf));
    report_buffer("udp_send_buffer_bytes", "net.core.wmem_max", send, given);
}

fn report_buffer(key: &str, sysctl: &str, asked: usize, given: nix::Result<usize>) {
    match given {
        Err(e) => warn!(key, error = %e, "cannot size the udp socket buffer"),
        // Linux reports twice what it allows (the other half is its bookkeeping).
        Ok(doubled) if doubled / 2 < asked => info!(
            key,
            asked,
            given = doubled / 2,
            "the kernel gave the udp socket a smaller buffer; raise {sysctl} for more"
        ),
        Ok(_) => {}
    }
}

/// Datagrams read per `recvmmsg`.
const RECEIVE_BATCH: usize = 32;

thread_local! {
    /// `recvmmsg` scratch headers (raw pointers, hence thread-local rather than in the
    /// reader's future, which moves between threads).
    static RECEIVE_HEADERS: RefCell<MultiHeaders<SockaddrStorage>> =
        RefCell::new(MultiHeaders::preallocate(RECEIVE_BATCH, None));
}

/// Buffers for one `recvmmsg`: room for any UDP datagram in each slot, so one over
/// `max_frame_bytes` (which a reload may raise) is seen whole and counted as such. The slots
/// are one allocation, large enough to be mapped fresh (zero pages), so only the pages that
/// datagrams reach become resident.
struct ReceiveBatch {
    slots: Vec<u8>,
    /// Length and source of each datagram of the last read, in slot order.
    received: Vec<(usize, SocketAddr)>,
}

impl ReceiveBatch {
    fn new() -> Self {
        Self {
            slots: vec![0u8; RECEIVE_BATCH * MAX_UDP_DATAGRAM],
            received: Vec::with_capacity(RECEIVE_BATCH),
        }
    }

    /// Reads what the socket holds, up to a batch, without blocking.
    fn receive(&mut self, fd: RawFd) -> std::io::Result<()> {
        self.received.clear();
        let (slots, received) = (&mut self.slots, &mut self.received);
        RECEIVE_HEADERS.with_borrow_mut(|headers| {
            // On the stack, one slot each: nothing is allocated per read.
            let mut slots = slots.chunks_mut(MAX_UDP_DATAGRAM);
            let mut slices: [[IoSliceMut<'_>; 1]; RECEIVE_BATCH] =
                std::array::from_fn(|_| [IoSliceMut::new(slots.next().unwrap_or_default())]);
            let results = recvmmsg(fd, headers, slices.iter_mut(), MsgFlags::MSG_DONTWAIT, None)?;
            for message in results {
                // Every datagram of an IP socket has a source address.
                if let Some(from) = message.address.as_ref().and_then(socket_addr) {
                    received.push((message.bytes, from));
                }
            }
            Ok(())
        })
    }

    /// The datagrams of the last read.
    fn datagrams(&self) -> impl Iterator<Item = (&[u8], SocketAddr)> {
        self.received
            .iter()
            .zip(self.slots.chunks(MAX_UDP_DATAGRAM))
            .map(|(&(len, from), slot)| (&slot[..len], from))
    }
}

fn socket_addr(storage: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = storage.as_sockaddr_in() {
        return Some(SocketAddr::from(*v4));
    }
    storage.as_sockaddr_in6().map(|v6| SocketAddr::from(*v6))
}

/// Sorts datagrams to their associations and sessions, with the per-address handshake
/// budgets and the DTLS associations it keeps between batches.
struct Sorter {
    associations: Option<Associations>,
    accept_plain: bool,
    connects: HandshakeLimiter,
    dtls_handshakes: HandshakeLimiter,
}

impl Sorter {
    fn new(cx: &Arc<GameContext>) -> Self {
        let associations = match (&cx.certs, cx.mode) {
            (Some(certs), SecureMode::Secure | SecureMode::Mixed) => {
                Some(Associations::new(Arc::clone(certs)))
            }
            _ => None,
        };
        let limits = cx.live().limits.clone();
        Self {
            associations,
            accept_plain: cx.mode != SecureMode::Secure,
            connects: HandshakeLimiter::new(limits.udp_connects_per_address, Instant::now()),
            dtls_handshakes: HandshakeLimiter::new(limits.dtls_handshakes_per_ip, Instant::now()),
        }
    }

    /// Forgets ended DTLS associations.
    fn sweep(&mut self) {
        if let Some(associations) = &mut self.associations {
            associations.sweep();
        }
    }

    /// Sorts one batch; the reloadable limits are read once for it.
    fn sort(&mut self, cx: &Arc<GameContext>, batch: &ReceiveBatch) {
        let limits = cx.live();
        self.connects
            .set_rate(limits.limits.udp_connects_per_address);
        self.dtls_handshakes
            .set_rate(limits.limits.dtls_handshakes_per_ip);
        let max_frame = limits.limits.max_frame_bytes;
        drop(limits);
        let (mut count, mut bytes) = (0, 0);
        for (datagram, from) in batch.datagrams() {
            count += 1;
            bytes += datagram.len() as u64;
            self.sort_one(cx, datagram, from, max_frame);
        }
        Metrics::add(&cx.metrics.datagrams_in, count);
        Metrics::add(&cx.metrics.fast_bytes_in, bytes);
    }

    fn sort_one(
        &mut self,
        cx: &Arc<GameContext>,
        datagram: &[u8],
        from: SocketAddr,
        max_frame: usize,
    ) {
        if let Some(associations) = &mut self.associations
            && dtls::looks_like_dtls(datagram)
        {
            if datagram.len() > dtls::MAX_DATAGRAM {
                Metrics::inc(&cx.metrics.malformed_in);
            } else {
                associations.route(cx, &mut self.dtls_handshakes, from, datagram);
            }
            return;
        }
        if !self.accept_plain {
            Metrics::inc(&cx.metrics.datagrams_unknown_source);
            return;
        }
        if datagram.len() > max_frame {
            Metrics::inc(&cx.metrics.malformed_in);
            return;
        }
        route_plain(cx, &mut self.connects, from, datagram, max_frame);
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
