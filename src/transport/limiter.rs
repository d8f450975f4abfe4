//! A per-source rate limit on handshake datagrams (UDP_CONNECTs per source address,
//! ClientHellos that open a DTLS association per source IP). A fixed table of counters
//! indexed by a keyed hash of the source: a flood from spoofed sources cannot make it grow,
//! and an attacker cannot aim collisions at a victim's slot without knowing the key. Sources
//! that share a slot share its budget.

use std::hash::{BuildHasher, Hash, RandomState};
use std::time::{Duration, Instant};

/// Slots in the table: 64 KiB, enough that a few thousand active sources rarely collide.
const SLOTS: usize = 4096;

/// Counts handshakes per source in one-second windows.
pub(crate) struct HandshakeLimiter {
    slots: Box<[Slot]>,
    key: RandomState,
    per_second: u32,
}

#[derive(Clone, Copy)]
struct Slot {
    window_start: Instant,
    count: u32,
}

impl HandshakeLimiter {
    /// A limiter allowing `per_second` handshakes per second from each source.
    pub fn new(per_second: u32, now: Instant) -> Self {
        let slot = Slot {
            window_start: now,
            count: 0,
        };
        Self {
            slots: vec![slot; SLOTS].into_boxed_slice(),
            key: RandomState::new(),
            per_second,
        }
    }

    /// Allows `per_second` handshakes per second from now on (a config reload).
    pub fn set_rate(&mut self, per_second: u32) {
        self.per_second = per_second;
    }

    /// Whether one more handshake from `source` is within its budget; counts it if so.
    pub fn allow(&mut self, source: impl Hash, now: Instant) -> bool {
        let index = (self.key.hash_one(source) % SLOTS as u64) as usize;
        let slot = &mut self.slots[index];
        if now.saturating_duration_since(slot.window_start) >= Duration::from_secs(1) {
            *slot = Slot {
                window_start: now,
                count: 0,
            };
        }
        if slot.count >= self.per_second {
            return false;
        }
        slot.count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn each_source_gets_its_budget_per_second() {
        let start = Instant::now();
        let mut limiter = HandshakeLimiter::new(3, start);
        let a = IpAddr::from([10, 0, 0, 1]);
        let b = IpAddr::from([10, 0, 0, 2]);
        assert!((0..3).all(|_| limiter.allow(a, start)));
        assert!(!limiter.allow(a, start), "over the budget");
        // Another source is counted apart, unless the random key put both in one slot.
        if (limiter.key.hash_one(a) % SLOTS as u64) != (limiter.key.hash_one(b) % SLOTS as u64) {
            assert!(limiter.allow(b, start));
        }
        let later = start + Duration::from_secs(1);
        assert!(limiter.allow(a, later), "a new window");
    }
}
