//! The fast channel's shared side, one per server: the UDP socket that session tasks send on
//! (in batches, one `sendmmsg` each), and the routes from a peer id (for UDP_CONNECT, by its
//! `sender`) and from a bound address to the peer's game session. The UDP reader
//! (`transport::udp`) routes by them; session tasks bind and send. Read-mostly; every lock is
//! held for a map operation only.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::IoSlice;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, sendmmsg};
use tracing::debug;

use super::SessionHandle;
use crate::protocol::{FastHeader, FastPacket, PeerId};

pub(crate) struct FastPath {
    /// Non-blocking, shared with the reader (a clone of its socket).
    socket: UdpSocket,
    peers: RwLock<HashMap<PeerId, SessionHandle>>,
    bound: RwLock<HashMap<SocketAddr, (PeerId, SessionHandle)>>,
}

impl FastPath {
    /// Sends on `socket`, which must be non-blocking.
    pub fn new(socket: UdpSocket) -> Self {
        Self {
            socket,
            peers: RwLock::default(),
            bound: RwLock::default(),
        }
    }

    /// The socket, for what sends one datagram at a time (DTLS records).
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Calls `f` with the session a plain-UDP datagram's `sender` belongs to, under the read
    /// lock (no clone per datagram); `None` if the peer is not logged in.
    pub fn with_peer<T>(&self, peer: PeerId, f: impl FnOnce(&SessionHandle) -> T) -> Option<T> {
        read(&self.peers).get(&peer).map(f)
    }

    pub fn insert_peer(&self, peer: PeerId, handle: SessionHandle) {
        write(&self.peers).insert(peer, handle);
    }

    pub fn remove_peer(&self, peer: PeerId) {
        write(&self.peers).remove(&peer);
    }

    /// Calls `f` with the session of the player whose plain fast channel is bound to
    /// `addr`, under the read lock; `None` if no player's is.
    pub fn with_bound_addr<T>(
        &self,
        addr: SocketAddr,
        f: impl FnOnce(&SessionHandle) -> T,
    ) -> Option<T> {
        read(&self.bound).get(&addr).map(|(_, session)| f(session))
    }

    pub fn bind_addr(&self, addr: SocketAddr, peer: PeerId, session: SessionHandle) {
        write(&self.bound).insert(addr, (peer, session));
    }

    /// Forgets `addr` if it is still bound to `peer` (another peer may have bound it since).
    pub fn unbind_addr(&self, addr: SocketAddr, peer: PeerId) {
        let mut bound = write(&self.bound);
        if bound.get(&addr).is_some_and(|(owner, _)| *owner == peer) {
            bound.remove(&addr);
        }
    }

    /// Queues a datagram; it is sent by [`FastPath::flush`] (or sooner, once a batch is
    /// full). Returns what the send this push triggered did, if any.
    ///
    /// Datagrams are collected per worker thread, not per session: a session task fills the
    /// batch while it performs its outputs and flushes it before it yields, so batches never
    /// mix tasks across an await and idle sessions hold no buffers.
    pub fn queue(&self, to: SocketAddr, seq: i32, packet: &FastPacket) -> Flushed {
        BATCH_BUFFER.with_borrow_mut(|batch| {
            batch.headers.push(packet.header(seq));
            batch.bodies.push(packet.body().clone());
            batch.addrs.push(Some(SockaddrStorage::from(to)));
            if batch.headers.len() == BATCH {
                batch.flush(&self.socket)
            } else {
                Flushed::default()
            }
        })
    }

    /// Sends the datagrams queued on this thread.
    pub fn flush(&self) -> Flushed {
        BATCH_BUFFER.with_borrow_mut(|batch| batch.flush(&self.socket))
    }
}

// No code panics while holding these locks, so a poisoned lock still holds consistent data.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Datagrams sent (and bytes), and datagrams the socket did not take.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flushed {
    pub sent: u64,
    pub bytes: u64,
    pub failed: u64,
}

impl std::ops::AddAssign for Flushed {
    fn add_assign(&mut self, other: Self) {
        self.sent += other.sent;
        self.bytes += other.bytes;
        self.failed += other.failed;
    }
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
/// order (protocol.md §5.8).
struct DatagramBatch {
    headers: Vec<FastHeader>,
    bodies: Vec<Bytes>,
    addrs: Vec<Option<SockaddrStorage>>,
    /// `sendmmsg` scratch headers (raw pointers, hence thread-local).
    mmsg: MultiHeaders<SockaddrStorage>,
}

impl DatagramBatch {
    /// Sends what was collected without blocking; datagrams the socket does not take are
    /// dropped (fast messages may be lost).
    fn flush(&mut self, socket: &UdpSocket) -> Flushed {
        let total = self.headers.len();
        let (mut done, mut failed, mut bytes) = (0, 0, 0);
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
                Ok(count) => {
                    let count = count.max(1);
                    let sent = self.headers.iter().zip(&self.bodies).skip(done).take(count);
                    bytes += sent
                        .map(|(header, body)| header.as_bytes().len() + body.len())
                        .sum::<usize>();
                    done += count;
                }
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
        Flushed {
            sent: (total - failed) as u64,
            bytes: bytes as u64,
            failed: failed as u64,
        }
    }
}
