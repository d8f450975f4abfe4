//! The fast-channel UDP socket, shared by every game session (ARCHITECTURE.md decision 1):
//! one reader decodes each datagram and hands it to the session of the peer its `sender`
//! names, without waiting: a busy session loses the datagram (counted). Session tasks send
//! directly on the socket.

use std::cell::RefCell;
use std::io::IoSlice;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;

use bytes::Bytes;
use flume::TrySendError;
use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, sendmmsg};
use tokio::net::UdpSocket;
use tracing::debug;

use crate::host::{Host, SessionMsg};
use crate::metrics::Metrics;
use crate::protocol::{FastHeader, FastPacket, PeerId, decode};

/// Reads datagrams until shutdown.
pub(crate) async fn serve(socket: UdpSocket, host: Arc<Host>) {
    let max_frame = host.config.limits.max_frame_bytes;
    // One byte more than the limit, so an oversized datagram is seen as such.
    let mut buf = vec![0u8; max_frame + 1];
    loop {
        let (len, from) = tokio::select! {
            () = host.shutdown.cancelled() => break,
            received = socket.recv_from(&mut buf) => match received {
                Ok(received) => received,
                Err(e) => {
                    // ICMP errors from earlier sends surface here on some systems; keep going.
                    debug!(error = %e, "udp receive failed");
                    continue;
                }
            },
        };
        Metrics::inc(&host.metrics.datagrams_in);
        if len > max_frame {
            Metrics::inc(&host.metrics.malformed_in);
            continue;
        }
        let packet = match decode(Bytes::copy_from_slice(&buf[..len]), max_frame) {
            Ok(packet) => packet,
            Err(e) => {
                debug!(%from, error = %e, "malformed datagram dropped");
                Metrics::inc(&host.metrics.malformed_in);
                continue;
            }
        };
        let sender = PeerId(packet.sender);
        // Some(false): the session's queue is full; a closed queue means it just ended.
        let queued = host.directory.with_peer(sender, |session| {
            let sent = session.tx.try_send(SessionMsg::Datagram { from, packet });
            !matches!(sent, Err(TrySendError::Full(_)))
        });
        match queued {
            None => Metrics::inc(&host.metrics.datagrams_unknown_sender),
            Some(false) => Metrics::inc(&host.metrics.datagrams_session_busy),
            Some(true) => {}
        }
    }
}

/// Queues a fast-channel datagram; it is sent by [`flush_datagrams`] (or sooner, once a
/// batch is full). Returns (sent, failed) by the send this push triggered, if any.
///
/// Datagrams are collected per worker thread, not per session: a session task fills the
/// batch while it performs its outputs and flushes it before it yields, so batches never mix
/// tasks across an await and idle sessions hold no buffers.
pub(crate) fn queue_datagram(
    socket: &std::net::UdpSocket,
    to: SocketAddr,
    seq: i32,
    packet: &FastPacket,
) -> (u64, u64) {
    BATCH_BUFFER.with_borrow_mut(|batch| {
        batch.headers.push(packet.header(seq));
        batch.bodies.push(packet.body().clone());
        batch.addrs.push(Some(SockaddrStorage::from(to)));
        if batch.headers.len() == BATCH {
            batch.flush(socket)
        } else {
            (0, 0)
        }
    })
}

/// Sends the datagrams queued on this thread. Returns (sent, failed).
pub(crate) fn flush_datagrams(socket: &std::net::UdpSocket) -> (u64, u64) {
    BATCH_BUFFER.with_borrow_mut(|batch| batch.flush(socket))
}

/// Datagrams per `sendmmsg` call (Linux takes at most 1024).
const BATCH: usize = 64;

thread_local! {
    static BATCH_BUFFER: RefCell<DatagramBatch> = RefCell::new(DatagramBatch {
        headers: Vec::with_capacity(BATCH),
        bodies: Vec::with_capacity(BATCH),
        addrs: Vec::with_capacity(BATCH),
        mmsg: MultiHeaders::preallocate(BATCH, None),
    });
}

/// Datagrams sent with one `sendmmsg` per batch instead of one system call each. Each is two
/// slices: its own header (prefix, opcode, sequence number) and the body shared by the whole
/// fan-out, so nothing is copied. Order is kept, so each peer gets its sequence numbers in
/// order (spec §5.8).
struct DatagramBatch {
    headers: Vec<FastHeader>,
    bodies: Vec<Bytes>,
    addrs: Vec<Option<SockaddrStorage>>,
    /// `sendmmsg` scratch headers (raw pointers, hence thread-local).
    mmsg: MultiHeaders<SockaddrStorage>,
}

impl DatagramBatch {
    /// Sends what was collected without blocking; datagrams the socket does not take are
    /// dropped (fast messages may be lost). Returns (sent, failed).
    fn flush(&mut self, socket: &std::net::UdpSocket) -> (u64, u64) {
        let total = self.headers.len();
        let (mut done, mut failed) = (0, 0);
        while done < total {
            let mut slices: [[IoSlice<'_>; 2]; BATCH] =
                std::array::from_fn(|_| [IoSlice::new(&[]), IoSlice::new(&[])]);
            let pending = self.headers[done..].iter().zip(&self.bodies[done..]);
            for (slot, (header, body)) in slices.iter_mut().zip(pending) {
                *slot = [IoSlice::new(header.as_bytes()), IoSlice::new(body)];
            }
            let result = sendmmsg(
                socket.as_raw_fd(),
                &mut self.mmsg,
                &slices[..total - done],
                &self.addrs[done..],
                [],
                MsgFlags::MSG_DONTWAIT,
            )
            .map(Iterator::count);
            match result {
                Ok(count) => done += count.max(1),
                // The socket buffer is full: drop the rest of the batch.
                Err(Errno::EAGAIN) => {
                    failed += total - done;
                    break;
                }
                // This datagram cannot be sent (say, its address became unreachable): skip it.
                Err(e) => {
                    debug!(error = %e, "udp send failed");
                    failed += 1;
                    done += 1;
                }
            }
        }
        self.headers.clear();
        self.bodies.clear();
        self.addrs.clear();
        ((total - failed) as u64, failed as u64)
    }
}
