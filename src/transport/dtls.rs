//! DTLS 1.2 on `fastPort` (protocol.md §5.4, §7.2): secure clients run a DTLS association over the
//! shared UDP socket, send VERIFY_IDENTITY in it, and once their game session has checked the
//! connect token, the association is their fast channel.
//!
//! The UDP reader owns [`Associations`]: datagrams that look like DTLS (protocol.md Q12) go to
//! their source address's association, and a ClientHello from a new address opens one, within the
//! per-IP handshake budget (`limits.dtls_handshakes_per_ip_per_sec`) and `limits.max_dtls_handshakes` unbound associations. Each
//! association is one task around a webrtc-dtls server connection: handshake and
//! VERIFY_IDENTITY within `limits.handshake_timeout`, then records in, queued packets out,
//! until either side lets go. Its game session holds the outbound queue; dropping it closes
//! the association.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use flume::TrySendError;
use tokio::sync::oneshot;
use tokio::time::{Instant as TokioInstant, timeout, timeout_at};
use tracing::{Instrument, debug, debug_span};
use webrtc_dtls::conn::DTLSConn;
use webrtc_util::Conn;

use super::GameContext;
use super::limiter::HandshakeLimiter;
use crate::host::SessionMsg;
use crate::metrics::{ConnectionKind, Metrics};
use crate::protocol::{Body, Opcode, PeerId, decode};
use crate::tls::CertStore;

/// Largest DTLS datagram accepted: webrtc-dtls reads records through a buffer of this size.
pub(crate) const MAX_DATAGRAM: usize = 8192;

/// Bytes of datagrams queued for one association, waiting for its task, each charged
/// [`DATAGRAM_OVERHEAD`] beyond its length: handshake flights and a burst of a player's input
/// fit (500 fast messages sent at once are about 70 KiB so counted), and no peer can make the
/// server hold more for it, however small its datagrams.
const INBOUND_BUDGET_BYTES: usize = 128 * 1024;

/// What a queued datagram costs beyond its bytes: its queue slot and buffer handle.
const DATAGRAM_OVERHEAD: usize = 64;

/// Packets queued for one association to send; past it, fast messages are dropped.
pub(crate) const OUTBOUND_QUEUE: usize = 256;

/// Time a close_notify may take before the association is dropped anyway.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether a datagram is a DTLS record (protocol.md Q12): content type 20-23 and major version
/// 0xFE. A plain packet starts with a varint length and then a field key, and no field key
/// of `Packet` is 0xFE.
pub(crate) fn looks_like_dtls(datagram: &[u8]) -> bool {
    datagram.len() >= 13 && (20..=23).contains(&datagram[0]) && datagram[1] == 0xFE
}

/// The DTLS associations on the fast-channel socket, by client address.
pub(crate) struct Associations {
    certs: Arc<CertStore>,
    inbound: HashMap<SocketAddr, InboundTx>,
    unbound: Arc<AtomicUsize>,
}

impl Associations {
    pub fn new(certs: Arc<CertStore>) -> Self {
        Self {
            certs,
            inbound: HashMap::new(),
            unbound: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Hands a DTLS datagram to its association, or opens one for a ClientHello.
    pub fn route(
        &mut self,
        cx: &Arc<GameContext>,
        limiter: &mut HandshakeLimiter,
        from: SocketAddr,
        datagram: &[u8],
    ) {
        let metrics = &cx.metrics;
        if let Some(tx) = self.inbound.get(&from) {
            match tx.offer(datagram) {
                Offered::Queued => return,
                Offered::Full => {
                    Metrics::inc(&metrics.dtls_datagrams_busy);
                    return;
                }
                // It ended; a ClientHello from the same address may open a new one.
                Offered::Closed => {
                    self.inbound.remove(&from);
                }
            }
        }
        const HANDSHAKE: u8 = 22;
        if datagram[0] != HANDSHAKE {
            Metrics::inc(&metrics.datagrams_unknown_source);
            return;
        }
        if !limiter.allow(from.ip(), Instant::now()) {
            Metrics::inc(&metrics.udp_handshakes_rate_limited);
            return;
        }
        if self.unbound.load(Ordering::Relaxed) >= cx.live().limits.max_dtls_handshakes {
            Metrics::inc(&metrics.dtls_handshakes_over_limit);
            return;
        }
        Metrics::inc(&metrics.dtls_handshakes);
        let (tx, rx) = inbound_queue();
        let _ = tx.offer(datagram); // Empty, and a datagram is smaller than the budget.
        self.inbound.insert(from, tx);
        let pending = Unbound::new(&self.unbound);
        let config = self.certs.dtls_config();
        let span = debug_span!("dtls", peer = %from);
        let task = associate(Arc::clone(cx), from, rx, config, pending);
        cx.tasks.spawn(task.instrument(span));
    }

    /// Forgets associations that ended.
    pub fn sweep(&mut self) {
        self.inbound.retain(|_, tx| !tx.tx.is_disconnected());
    }
}

/// The UDP reader's end of an association's inbound queue, bounded in bytes.
struct InboundTx {
    tx: flume::Sender<Bytes>,
    queued: Arc<AtomicUsize>,
}

/// The association's end.
struct InboundRx {
    rx: flume::Receiver<Bytes>,
    queued: Arc<AtomicUsize>,
}

fn inbound_queue() -> (InboundTx, InboundRx) {
    // Unbounded in items: the byte count is the bound.
    let (tx, rx) = flume::unbounded();
    let queued = Arc::new(AtomicUsize::new(0));
    let rx = InboundRx {
        rx,
        queued: Arc::clone(&queued),
    };
    (InboundTx { tx, queued }, rx)
}

/// What became of a datagram offered to an association.
enum Offered {
    Queued,
    /// Over the budget: dropped.
    Full,
    /// The association ended.
    Closed,
}

impl InboundTx {
    fn offer(&self, datagram: &[u8]) -> Offered {
        let cost = datagram.len() + DATAGRAM_OVERHEAD;
        let reserved = self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |queued| {
                (queued + cost <= INBOUND_BUDGET_BYTES).then_some(queued + cost)
            });
        if reserved.is_err() {
            return Offered::Full;
        }
        match self.tx.send(Bytes::copy_from_slice(datagram)) {
            Ok(()) => Offered::Queued,
            Err(_) => Offered::Closed,
        }
    }
}

impl InboundRx {
    /// The next datagram; `None` once the UDP reader stopped.
    async fn recv(&self) -> Option<Bytes> {
        let datagram = self.rx.recv_async().await.ok()?;
        self.queued
            .fetch_sub(datagram.len() + DATAGRAM_OVERHEAD, Ordering::Relaxed);
        Some(datagram)
    }
}

/// One association counted as unbound until it is bound or ends.
struct Unbound(Option<Arc<AtomicUsize>>);

impl Unbound {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(Some(Arc::clone(count)))
    }

    fn bound(&mut self) {
        if let Some(count) = self.0.take() {
            count.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        self.bound();
    }
}

/// Runs one association: handshake, VERIFY_IDENTITY, then records both ways.
async fn associate(
    cx: Arc<GameContext>,
    addr: SocketAddr,
    inbound: InboundRx,
    config: webrtc_dtls::config::Config,
    mut pending: Unbound,
) {
    let metrics = Arc::clone(&cx.metrics);
    let deadline = TokioInstant::now() + cx.live().limits.handshake_timeout;
    let pipe = Arc::new(DatagramPipe {
        cx: Arc::clone(&cx),
        remote: addr,
        inbound,
    });
    let handshake = timeout_at(deadline, DTLSConn::new(pipe, config, false, None));
    let dtls = tokio::select! {
        () = cx.shutdown.cancelled() => return,
        handshake = handshake => match handshake {
            Ok(Ok(dtls)) => dtls,
            Ok(Err(e)) => {
                debug!(error = %e, "dtls handshake failed");
                Metrics::inc(&metrics.dtls_handshakes_failed);
                return;
            }
            Err(_) => {
                debug!("dtls handshake timed out");
                Metrics::inc(&metrics.dtls_handshakes_failed);
                return;
            }
        },
    };
    let _open = metrics.connection(ConnectionKind::Dtls);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let bound = tokio::select! {
        () = cx.shutdown.cancelled() => None,
        bound = timeout_at(deadline, verify(&cx, addr, &dtls, &mut buf)) => bound.ok().flatten(),
    };
    let Some((peer, session, outbound)) = bound else {
        debug!("no valid VERIFY_IDENTITY; association closed");
        Metrics::inc(&metrics.dtls_verify_failed);
        let _ = timeout(CLOSE_TIMEOUT, dtls.close()).await;
        return;
    };
    pending.bound();
    Metrics::inc(&metrics.dtls_bound);
    debug!(%peer, "dtls bound");
    let lost = relay(&cx, addr, peer, &session, &dtls, &outbound, &mut buf).await;
    if lost {
        // The client went away from DTLS while its player may still be here.
        let _ = session.try_send(SessionMsg::FastLost { peer, addr });
    }
    let _ = timeout(CLOSE_TIMEOUT, dtls.close()).await;
    debug!(%peer, "dtls closed");
}

/// Waits for VERIFY_IDENTITY, dropping other records (protocol.md §5.4 step 2), and asks
/// the named peer's game session to check it. The session's queue and the association's
/// outbound queue on success.
async fn verify(
    cx: &GameContext,
    addr: SocketAddr,
    dtls: &DTLSConn,
    buf: &mut [u8],
) -> Option<(PeerId, flume::Sender<SessionMsg>, flume::Receiver<Bytes>)> {
    let packet = loop {
        let n = dtls.read(buf, None).await.ok()?;
        match decode(Bytes::copy_from_slice(&buf[..n]), MAX_DATAGRAM) {
            Ok(packet) if packet.op_code == Opcode::VERIFY_IDENTITY.0 => break packet,
            _ => Metrics::inc(&cx.metrics.dtls_records_unbound),
        }
    };
    let Some(Body::VerifyIdentity(identity)) = &packet.body else {
        return None;
    };
    let session = cx
        .fast
        .with_peer(PeerId(identity.peer_id), |s| s.tx.clone())?;
    let (out_tx, out_rx) = flume::bounded(OUTBOUND_QUEUE);
    let (reply, answer) = oneshot::channel();
    let msg = SessionMsg::Verify {
        from: addr,
        packet,
        link: out_tx,
        reply,
    };
    session.send_async(msg).await.ok()?;
    let peer = answer.await.ok()??;
    Some((peer, session, out_rx))
}

/// Moves records both ways until the game session lets go of the association (false) or
/// the client or the network ends it (true).
async fn relay(
    cx: &GameContext,
    addr: SocketAddr,
    peer: PeerId,
    session: &flume::Sender<SessionMsg>,
    dtls: &DTLSConn,
    outbound: &flume::Receiver<Bytes>,
    buf: &mut [u8],
) -> bool {
    let metrics = &cx.metrics;
    loop {
        tokio::select! {
            () = cx.shutdown.cancelled() => return false,
            read = dtls.read(buf, None) => {
                let Ok(n) = read else { return true };
                let packet = match decode(Bytes::copy_from_slice(&buf[..n]), MAX_DATAGRAM) {
                    Ok(packet) => packet,
                    Err(e) => {
                        debug!(error = %e, "malformed record dropped");
                        Metrics::inc(&metrics.malformed_in);
                        continue;
                    }
                };
                let msg = SessionMsg::SecureDatagram { from: addr, peer, packet };
                match session.try_send(msg) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => Metrics::inc(&metrics.datagrams_session_busy),
                    Err(TrySendError::Disconnected(_)) => return false,
                }
            }
            next = outbound.recv_async() => {
                let Ok(record) = next else { return false };
                if let Err(e) = dtls.write(&record, None).await {
                    debug!(error = %e, "dtls write failed");
                    return true;
                }
            }
        }
    }
}

/// The association's view of the shared socket: datagrams from its address arrive through
/// a queue filled by the UDP reader; sends go straight out, dropped if the socket buffer is
/// full, as any datagram may be.
struct DatagramPipe {
    cx: Arc<GameContext>,
    remote: SocketAddr,
    inbound: InboundRx,
}

#[async_trait]
impl Conn for DatagramPipe {
    async fn connect(&self, _addr: SocketAddr) -> webrtc_util::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported).into())
    }

    async fn recv(&self, buf: &mut [u8]) -> webrtc_util::Result<usize> {
        let Some(datagram) = self.inbound.recv().await else {
            // The UDP reader stopped (shutdown). webrtc-dtls retries a failed read at once,
            // so an error here would spin its reader task; wait for the association to end.
            return std::future::pending().await;
        };
        let n = datagram.len().min(buf.len());
        buf[..n].copy_from_slice(&datagram[..n]);
        Ok(n)
    }

    async fn recv_from(&self, buf: &mut [u8]) -> webrtc_util::Result<(usize, SocketAddr)> {
        Ok((self.recv(buf).await?, self.remote))
    }

    async fn send(&self, buf: &[u8]) -> webrtc_util::Result<usize> {
        match self.cx.fast.socket().send_to(buf, self.remote) {
            Ok(n) => {
                Metrics::add(&self.cx.metrics.fast_bytes_out, n as u64);
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                Metrics::inc(&self.cx.metrics.fast_send_errors);
                Ok(buf.len())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn send_to(&self, buf: &[u8], _target: SocketAddr) -> webrtc_util::Result<usize> {
        self.send(buf).await
    }

    fn local_addr(&self) -> webrtc_util::Result<SocketAddr> {
        Ok(self.cx.fast.socket().local_addr()?)
    }

    fn remote_addr(&self) -> Option<SocketAddr> {
        Some(self.remote)
    }

    async fn close(&self) -> webrtc_util::Result<()> {
        Ok(())
    }

    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_inbound_queue_holds_a_burst_of_small_records_and_is_bounded_in_bytes() {
        let (tx, rx) = inbound_queue();
        let record = [23u8; 100];
        // 500 fast messages sent at once, as the C# SDK can: every one is queued.
        for _ in 0..500 {
            assert!(matches!(tx.offer(&record), Offered::Queued));
        }
        let big = vec![23u8; MAX_DATAGRAM];
        let cost = |datagram: &[u8]| datagram.len() + DATAGRAM_OVERHEAD;
        let mut queued = 500 * cost(&record);
        while queued + cost(&big) <= INBOUND_BUDGET_BYTES {
            assert!(matches!(tx.offer(&big), Offered::Queued));
            queued += cost(&big);
        }
        assert!(matches!(tx.offer(&big), Offered::Full), "bounded in bytes");
        // Taking a datagram makes room for one of its size again.
        assert_eq!(rx.recv().await.map(|d| d.len()), Some(record.len()));
        assert!(matches!(tx.offer(&record), Offered::Queued));
        drop(rx);
        assert!(matches!(tx.offer(&record), Offered::Closed));
    }
}
