//! A connection's outbound queue, bounded in bytes (`limits.outbound_queue_bytes`): the
//! session task pushes frames without ever waiting ([`Outbound`]); the connection's writer
//! takes them ([`OutboundRx`]) and so makes room again. The same link carries the session's
//! two other words to the writer: close at once, dropping what is queued ([`Outbound::kill`]),
//! and "I let go of this connection" (dropping the [`Outbound`]).
//!
//! Bytes, not frames, are what a burst costs and what a reader has to drain, so a burst of
//! many small messages fits where a few large ones would not. Every frame is charged
//! [`FRAME_OVERHEAD`] on top of its length, so even a flood of empty frames stays within the
//! budget's memory. A frame that does not fit is the caller's to judge: fast-intent frames are
//! dropped once the queue is half full, leaving the other half to reliable ones; a reliable
//! frame that does not fit means the reader has not drained a whole budget, and the session
//! closes it as a slow reader.

use std::future::{Future, poll_fn};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use bytes::Bytes;
use futures_util::task::AtomicWaker;

use crate::core::CloseReason;

/// What each queued item costs beyond its bytes: the queue slot and the shared buffer's
/// handle, with room for the queue's growth.
pub(crate) const FRAME_OVERHEAD: usize = 64;

/// What a session task asks a connection's writer to do, in order.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Send one frame (a length-prefixed packet).
    Frame(Bytes),
    /// Send a WebSocket ping.
    Ping,
    /// Send a close frame and end the connection.
    Close(CloseReason),
}

impl Outgoing {
    /// What the item is charged against the budget.
    fn cost(&self) -> usize {
        match self {
            Self::Frame(frame) => frame.len() + FRAME_OVERHEAD,
            Self::Ping | Self::Close(_) => FRAME_OVERHEAD,
        }
    }
}

/// Why a frame was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A fast-intent frame while the queue is half full: dropped.
    Dropped,
    /// A reliable frame that does not fit: the reader is not draining.
    Full,
    /// The writer is gone; its connection's `Closed` message is on the way.
    Closed,
}

/// What both ends share, in one allocation per connection.
#[derive(Debug, Default)]
struct Link {
    /// Bytes queued and not yet taken by the writer.
    queued: AtomicUsize,
    /// What the session last said beyond the queue.
    word: Mutex<Word>,
    /// Wakes the writer when `word` changes: one waiter, so a waker slot is enough, and
    /// waiting on it keeps every idle connection's future small.
    wake: AtomicWaker,
}

/// The session's word to the writer beyond the queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Word {
    /// Nothing yet.
    #[default]
    None,
    /// Close at once with this reason, dropping what is queued.
    Kill(CloseReason),
    /// The session let go of the connection (whatever is queued is the last of it).
    Released,
}

impl Link {
    fn word(&self) -> Word {
        // Nothing panics while holding the lock: a poisoned one still holds a valid word.
        *self.word.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Says `word` unless the session already asked for a kill, which stays.
    fn say(&self, word: Word) {
        let mut current = self.word.lock().unwrap_or_else(PoisonError::into_inner);
        if !matches!(*current, Word::Kill(_)) {
            *current = word;
        }
        drop(current);
        self.wake.wake();
    }
}

/// A new queue holding at most `budget` bytes.
pub(crate) fn channel(budget: usize) -> (Outbound, OutboundRx) {
    // Unbounded in items: the byte count is the bound.
    let (tx, rx) = flume::unbounded();
    let link = Arc::new(Link::default());
    let outbound = Outbound {
        tx,
        link: Arc::clone(&link),
        budget,
    };
    (outbound, OutboundRx { rx, link })
}

/// The session task's end of a connection's queue. Dropping it tells the writer that the
/// session let go of the connection.
#[derive(Debug)]
pub(crate) struct Outbound {
    tx: flume::Sender<Outgoing>,
    link: Arc<Link>,
    budget: usize,
}

impl Outbound {
    /// Queues a frame if it fits: a `droppable` (fast-intent) one only while the queue is
    /// under half its budget.
    pub fn push_frame(&self, frame: Bytes, droppable: bool) -> Result<(), Refused> {
        let limit = if droppable {
            self.budget / 2
        } else {
            self.budget
        };
        let refusal = if droppable {
            Refused::Dropped
        } else {
            Refused::Full
        };
        self.push(Outgoing::Frame(frame), limit, refusal)
    }

    /// Queues a ping unless the queue is full, which is as good a sign of a stalled reader.
    pub fn push_ping(&self) {
        let _ = self.push(Outgoing::Ping, self.budget, Refused::Full);
    }

    /// Queues a close after what is queued, over the budget if need be: it is the last item.
    pub fn push_close(&self, reason: CloseReason) -> Result<(), Refused> {
        self.push(Outgoing::Close(reason), usize::MAX, Refused::Full)
    }

    /// Closes the connection at once with `reason`, dropping what is queued: its reader is
    /// not keeping up.
    pub fn kill(self, reason: CloseReason) {
        self.link.say(Word::Kill(reason));
    }

    /// Queues `item` if the queue stays within `limit` bytes, else answers `refusal`.
    fn push(&self, item: Outgoing, limit: usize, refusal: Refused) -> Result<(), Refused> {
        let cost = item.cost();
        // Only this task adds, so the count can only have dropped since the load.
        let queued = self.link.queued.load(Ordering::Relaxed);
        if queued.saturating_add(cost) > limit {
            return Err(refusal);
        }
        self.link.queued.fetch_add(cost, Ordering::Relaxed);
        self.tx.send(item).map_err(|_| Refused::Closed)
    }
}

impl Drop for Outbound {
    fn drop(&mut self) {
        self.link.say(Word::Released);
    }
}

/// The writer's end of a connection's queue.
pub(crate) struct OutboundRx {
    rx: flume::Receiver<Outgoing>,
    link: Arc<Link>,
}

impl OutboundRx {
    /// The next item; `None` once the session let go of the queue and it is empty.
    pub async fn recv(&self) -> Option<Outgoing> {
        let item = self.rx.recv_async().await.ok()?;
        Some(self.taken(item))
    }

    /// The next item if one is queued now.
    pub fn try_recv(&self) -> Option<Outgoing> {
        self.rx.try_recv().ok().map(|item| self.taken(item))
    }

    fn taken(&self, item: Outgoing) -> Outgoing {
        self.link.queued.fetch_sub(item.cost(), Ordering::Relaxed);
        item
    }

    /// The reason of a kill, once the session asked for one.
    pub fn kill_reason(&self) -> Option<CloseReason> {
        match self.link.word() {
            Word::Kill(reason) => Some(reason),
            Word::None | Word::Released => None,
        }
    }

    /// Waits until the session kills the connection (`Some` with the reason) or lets go of
    /// it (`None`).
    pub fn killed_or_released(&self) -> impl Future<Output = Option<CloseReason>> + '_ {
        poll_fn(|cx| {
            // Registered before looking: a word said in between wakes this task again.
            self.link.wake.register(cx.waker());
            match self.link.word() {
                Word::Kill(reason) => Poll::Ready(Some(reason)),
                Word::Released => Poll::Ready(None),
                Word::None => Poll::Pending,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: usize) -> Bytes {
        Bytes::from(vec![0; len])
    }

    #[test]
    fn the_budget_counts_bytes_and_the_writer_frees_them() {
        let (tx, rx) = channel(10 * (100 + FRAME_OVERHEAD));
        for _ in 0..10 {
            assert_eq!(tx.push_frame(frame(100), false), Ok(()));
        }
        assert_eq!(tx.push_frame(frame(100), false), Err(Refused::Full));
        assert!(matches!(rx.try_recv(), Some(Outgoing::Frame(_))));
        assert_eq!(tx.push_frame(frame(100), false), Ok(()), "room again");
    }

    #[test]
    fn many_small_frames_fit_where_a_few_large_ones_would_not() {
        let (tx, _rx) = channel(64 * 1024);
        for _ in 0..300 {
            assert_eq!(tx.push_frame(frame(40), false), Ok(()));
        }
        let (tx, _rx) = channel(64 * 1024);
        let fitted = (0..100)
            .take_while(|_| tx.push_frame(frame(8000), false).is_ok())
            .count();
        assert_eq!(fitted, 8);
    }

    #[test]
    fn fast_frames_leave_the_second_half_to_reliable_ones() {
        let (tx, _rx) = channel(4 * (100 + FRAME_OVERHEAD));
        assert_eq!(tx.push_frame(frame(100), true), Ok(()));
        assert_eq!(tx.push_frame(frame(100), true), Ok(()));
        assert_eq!(tx.push_frame(frame(100), true), Err(Refused::Dropped));
        assert_eq!(tx.push_frame(frame(100), false), Ok(()));
        assert_eq!(tx.push_frame(frame(100), false), Ok(()));
        assert_eq!(tx.push_frame(frame(100), false), Err(Refused::Full));
    }

    #[tokio::test]
    async fn a_kill_overrides_the_release_that_comes_with_it_and_wakes_the_writer() {
        let (tx, rx) = channel(1024);
        let waiting = tokio::spawn(async move {
            let reason = rx.killed_or_released().await;
            (reason, rx.kill_reason())
        });
        tx.kill(CloseReason::SlowReader); // Dropping it releases it too.
        let seen = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken")
            .expect("task");
        let killed = Some(CloseReason::SlowReader);
        assert_eq!(seen, (killed, killed));

        let (tx, rx) = channel(1024);
        drop(tx);
        assert_eq!(rx.killed_or_released().await, None);
        assert_eq!(rx.kill_reason(), None);
    }

    #[test]
    fn a_close_is_queued_even_when_full_and_a_gone_writer_is_reported() {
        let (tx, rx) = channel(100 + FRAME_OVERHEAD);
        assert_eq!(tx.push_frame(frame(100), false), Ok(()));
        tx.push_ping(); // Skipped: no room.
        assert_eq!(tx.push_close(CloseReason::SessionEnded), Ok(()));
        assert!(matches!(rx.try_recv(), Some(Outgoing::Frame(_))));
        assert!(matches!(
            rx.try_recv(),
            Some(Outgoing::Close(CloseReason::SessionEnded))
        ));
        drop(rx);
        assert_eq!(tx.push_frame(frame(1), false), Err(Refused::Closed));
    }
}
