//! The control listener's table of open connections: how many there are, in all and per
//! source, and which of them are waiting for a request rather than serving one. The listener
//! ([`super::listener`]) asks it to admit each accepted connection; the connection's
//! exchanges ([`Slot::begin`]) tell it when the connection is busy.
//!
//! A connection beyond a limit does not wait for a free slot: it takes the place of a
//! connection waiting for a request (among those of its source when its source is at its
//! limit), which is told to close through [`Slot::evicted`]. Silent connections, which have
//! sent not a byte, go first, then those that have ([`Slot::heard`]: a request under way, or
//! a keep-alive connection between requests); in each group the one that has waited longest.
//! Holding connections open without sending requests therefore locks no one out: a backend's
//! connections are evicted only once no silent one is left, and its new connection, which
//! sends its request at once, only after every older silent one, even when the flood comes
//! from the backend's own address (one NAT, one host). A connection is refused only when
//! every connection that could make room is busy.
//!
//! Plain data behind one lock, with the time passed in: no sockets, no clock of its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

/// The limits a connection is admitted under (the ones in force when it arrives).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most connections open at once from one source (see [`source_of`]).
    pub max_per_source: usize,
}

/// How a connection was admitted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Within the limits.
    Free,
    /// In place of a connection that was waiting for a request, now told to close.
    Evicted,
}

/// The table.
#[derive(Default)]
pub(crate) struct Slots {
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    open: HashMap<u64, Entry>,
    per_source: HashMap<IpAddr, usize>,
}

struct Entry {
    source: IpAddr,
    /// Since when it waits for a request: its accept, or the end of its last exchange;
    /// `None` while an exchange runs.
    waiting_since: Option<Instant>,
    /// Exchanges under way.
    exchanges: usize,
    /// It has sent something.
    heard: bool,
    evict: CancellationToken,
}

/// One admitted connection's place in the table, shared by the connection's task and its
/// exchanges; the place is freed when the last of them lets go.
pub(crate) type Slot = Arc<SlotState>;

/// See [`Slot`].
pub(crate) struct SlotState {
    slots: Arc<Slots>,
    id: u64,
    evict: CancellationToken,
    /// It has sent something (kept here too, so that only its first read takes the lock).
    heard: AtomicBool,
    /// An exchange has begun on it.
    begun: AtomicBool,
}

/// One request and its answer on a connection, from a complete request head until both the
/// request body and the response body are done with; the connection waits for a request again
/// when it is dropped. Shared by both bodies.
pub(crate) struct Exchange(Slot);

impl Slots {
    /// Admits a connection from `peer` accepted at `now`: a slot within `limits`, freeing one
    /// if need be; `None` when every connection that could make room is busy.
    pub fn admit(
        self: &Arc<Self>,
        peer: IpAddr,
        now: Instant,
        limits: Limits,
    ) -> Option<(Slot, Admission)> {
        let source = source_of(peer);
        let mut table = lock(&self.table);
        let source_full =
            table.per_source.get(&source).copied().unwrap_or(0) >= limits.max_per_source;
        let admission = if source_full || table.open.len() >= limits.max_connections {
            let victim = table.eviction_victim(source_full.then_some(source))?;
            if let Some(entry) = table.remove(victim) {
                entry.evict.cancel();
            }
            Admission::Evicted
        } else {
            Admission::Free
        };
        let id = table.next_id;
        table.next_id += 1;
        let evict = CancellationToken::new();
        table.open.insert(
            id,
            Entry {
                source,
                waiting_since: Some(now),
                exchanges: 0,
                heard: false,
                evict: evict.clone(),
            },
        );
        *table.per_source.entry(source).or_default() += 1;
        let slot = Arc::new(SlotState {
            slots: Arc::clone(self),
            id,
            evict,
            heard: AtomicBool::new(false),
            begun: AtomicBool::new(false),
        });
        Some((slot, admission))
    }

    /// Connections open now.
    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.table).open.len()
    }
}

impl Table {
    /// The connection to evict, of `source` if given: of those waiting for a request, a
    /// silent one before one that has sent something, and the longest waiting of either.
    fn eviction_victim(&self, source: Option<IpAddr>) -> Option<u64> {
        // A linear scan: it runs only when a limit is reached, over at most
        // `control.max_connections` entries.
        self.open
            .iter()
            .filter(|(_, entry)| source.is_none_or(|s| entry.source == s))
            .filter_map(|(id, entry)| entry.waiting_since.map(|since| (entry.heard, since, *id)))
            .min()
            .map(|(_, _, id)| id)
    }

    /// Takes a connection out of the table (and out of its source's count).
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.open.remove(&id)?;
        if let Some(count) = self.per_source.get_mut(&entry.source) {
            *count -= 1;
            if *count == 0 {
                self.per_source.remove(&entry.source);
            }
        }
        Some(entry)
    }
}

impl SlotState {
    /// Resolves once the connection has been evicted to make room for another.
    pub async fn evicted(&self) {
        self.evict.cancelled().await;
    }

    /// The connection has sent something: it is no longer silent.
    pub fn heard(&self) {
        if self.heard.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Some(entry) = lock(&self.slots.table).open.get_mut(&self.id) {
            entry.heard = true;
        }
    }

    /// An exchange begins: a complete request head arrived.
    pub fn begin(self: &Arc<Self>) -> Exchange {
        self.heard();
        self.begun.store(true, Ordering::Relaxed);
        // An evicted connection is out of the table: nothing to count.
        if let Some(entry) = lock(&self.slots.table).open.get_mut(&self.id) {
            entry.exchanges += 1;
            entry.waiting_since = None;
        }
        Exchange(Arc::clone(self))
    }

    /// Whether an exchange has ever begun on the connection.
    pub fn has_begun(&self) -> bool {
        self.begun.load(Ordering::Relaxed)
    }

    fn end(&self, now: Instant) {
        if let Some(entry) = lock(&self.slots.table).open.get_mut(&self.id) {
            entry.exchanges = entry.exchanges.saturating_sub(1);
            if entry.exchanges == 0 {
                entry.waiting_since = Some(now);
            }
        }
    }
}

impl Drop for SlotState {
    fn drop(&mut self) {
        // An evicted connection's entry is gone already.
        lock(&self.slots.table).remove(self.id);
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        self.0.end(Instant::now());
    }
}

/// The source a connection counts against: its IPv4 address (also when mapped into IPv6), or
/// the /64 of its IPv6 address, the block one subscriber or host usually holds.
pub(crate) fn source_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

// No code panics while holding the lock, so a poisoned one still holds consistent data.
fn lock(m: &Mutex<Table>) -> MutexGuard<'_, Table> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const LIMITS: Limits = Limits {
        max_connections: 4,
        max_per_source: 2,
    };

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an ip address")
    }

    struct Clock(Instant);

    impl Clock {
        fn tick(&mut self) -> Instant {
            self.0 += Duration::from_millis(1);
            self.0
        }
    }

    #[test]
    fn a_source_at_its_limit_evicts_its_own_longest_waiting_connection() {
        let slots = Arc::new(Slots::default());
        let mut clock = Clock(Instant::now());
        let admit = |clock: &mut Clock, peer| slots.admit(ip(peer), clock.tick(), LIMITS);
        let (first, how) = admit(&mut clock, "10.0.0.1").expect("admitted");
        assert_eq!(how, Admission::Free);
        let (second, _) = admit(&mut clock, "10.0.0.1").expect("admitted");
        let (other, _) = admit(&mut clock, "10.0.0.2").expect("admitted");
        let (third, how) = admit(&mut clock, "10.0.0.1").expect("admitted");
        assert_eq!(how, Admission::Evicted);
        assert!(first.evict.is_cancelled());
        assert!(!second.evict.is_cancelled() && !other.evict.is_cancelled());
        assert_eq!(slots.len(), 3);
        // The evicted connection's own drop changes nothing more.
        drop(first);
        assert_eq!(slots.len(), 3);
        drop((second, third, other));
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn busy_connections_are_never_evicted_and_a_newcomer_is_refused_instead() {
        let slots = Arc::new(Slots::default());
        let mut clock = Clock(Instant::now());
        let (first, _) = slots
            .admit(ip("10.0.0.1"), clock.tick(), LIMITS)
            .expect("admitted");
        let (second, _) = slots
            .admit(ip("10.0.0.1"), clock.tick(), LIMITS)
            .expect("admitted");
        assert!(!first.has_begun());
        let busy = (first.begin(), second.begin());
        assert!(first.has_begun());
        assert!(slots.admit(ip("10.0.0.1"), clock.tick(), LIMITS).is_none());
        // Other sources still have room.
        let (_other, how) = slots
            .admit(ip("10.0.0.2"), clock.tick(), LIMITS)
            .expect("admitted");
        assert_eq!(how, Admission::Free);
        // Once its exchange is over, a connection waits again and may be evicted: the one
        // that has waited longest goes first.
        drop(busy.1);
        drop(busy.0);
        let (_third, how) = slots
            .admit(ip("10.0.0.1"), clock.tick(), LIMITS)
            .expect("admitted");
        assert_eq!(how, Admission::Evicted);
        assert!(second.evict.is_cancelled() && !first.evict.is_cancelled());
    }

    #[test]
    fn a_full_listener_evicts_the_longest_waiting_connection_of_any_source() {
        let slots = Arc::new(Slots::default());
        let mut clock = Clock(Instant::now());
        let held: Vec<Slot> = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
            .into_iter()
            .map(|peer| {
                slots
                    .admit(ip(peer), clock.tick(), LIMITS)
                    .expect("admitted")
                    .0
            })
            .collect();
        let _busy = held[0].begin();
        let (_new, how) = slots
            .admit(ip("10.0.0.5"), clock.tick(), LIMITS)
            .expect("admitted");
        assert_eq!(how, Admission::Evicted);
        let evicted: Vec<bool> = held.iter().map(|s| s.evict.is_cancelled()).collect();
        assert_eq!(evicted, [false, true, false, false]);
        assert_eq!(slots.len(), 4);
    }

    #[test]
    fn silent_connections_are_evicted_before_any_that_has_sent_something() {
        let slots = Arc::new(Slots::default());
        let mut clock = Clock(Instant::now());
        let admit = |clock: &mut Clock| {
            slots
                .admit(ip("10.0.0.1"), clock.tick(), LIMITS)
                .expect("admitted")
                .0
        };
        // A keep-alive connection between requests, then a silent one that came later.
        let pooled = admit(&mut clock);
        drop(pooled.begin());
        let silent = admit(&mut clock);
        let newcomer = admit(&mut clock);
        assert!(silent.evict.is_cancelled() && !pooled.evict.is_cancelled());
        // A request under way counts as heard from too: with no silent one left, the longest
        // waiting of the rest goes.
        newcomer.heard();
        let _last = admit(&mut clock);
        assert!(pooled.evict.is_cancelled() && !newcomer.evict.is_cancelled());
    }

    #[test]
    fn ipv6_sources_are_their_64_and_mapped_ipv4_is_ipv4() {
        assert_eq!(
            source_of(ip("2001:db8:1:2:aaaa::1")),
            source_of(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            source_of(ip("2001:db8:1:2::1")),
            source_of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(source_of(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(source_of(ip("192.0.2.7")), ip("192.0.2.7"));
    }
}
