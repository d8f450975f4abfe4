//! A player's inbound message budget: a token bucket of `burst` messages refilled at
//! `per_sec`, and the rule that a player who stays over it is disconnected. Pure: the caller
//! passes the time.

use std::time::{Duration, Instant};

/// How much a player may send (`[limits] player_*` in the config).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Messages per second on average.
    pub per_sec: u32,
    /// Messages at once above the average: the bucket's size.
    pub burst: u32,
    /// A player still over the rate after this long is disconnected; `None`: never.
    pub close_after: Option<Duration>,
}

/// A player counts as back under its rate once this long has passed without a drop.
const CALM_US: u32 = 1_000_000;

/// What to do with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Within the budget.
    Accept,
    /// Over it: drop the message.
    Drop,
    /// Over it for longer than allowed: disconnect the player.
    Close,
}

/// One player's bucket: small, as every player has one. The spells over the rate are kept
/// as microseconds (saturating at 71 minutes) added up at each message.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f32,
    refilled: Instant,
    /// How long the player has been over the rate, if it has not calmed down since.
    over_us: Option<u32>,
    /// How long since the last drop.
    calm_us: u32,
}

impl Bucket {
    /// A full bucket.
    pub fn new(limit: &RateLimit, now: Instant) -> Self {
        Self {
            tokens: limit.burst as f32,
            refilled: now,
            over_us: None,
            calm_us: CALM_US,
        }
    }

    /// Takes one message's token, if there is one.
    pub fn admit(&mut self, limit: &RateLimit, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.refilled);
        self.refilled = now;
        let elapsed_us = u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX);
        self.calm_us = self.calm_us.saturating_add(elapsed_us);
        if let Some(over) = &mut self.over_us {
            *over = over.saturating_add(elapsed_us);
        }
        let refill = elapsed.as_secs_f32() * limit.per_sec as f32;
        self.tokens = (self.tokens + refill).min(limit.burst as f32);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            // Sending at twice the rate lets every other message through: only a second
            // without drops ends a spell over the rate.
            if self.calm_us >= CALM_US {
                self.over_us = None;
            }
            return Verdict::Accept;
        }
        self.calm_us = 0;
        let over = *self.over_us.get_or_insert(0);
        match limit.close_after {
            Some(after) if u128::from(over) >= after.as_micros() => Verdict::Close,
            _ => Verdict::Drop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        per_sec: 10,
        burst: 5,
        close_after: Some(Duration::from_secs(3)),
    };

    #[test]
    fn a_burst_passes_then_the_rate_refills() {
        let start = Instant::now();
        let mut bucket = Bucket::new(&LIMIT, start);
        for _ in 0..5 {
            assert_eq!(bucket.admit(&LIMIT, start), Verdict::Accept);
        }
        assert_eq!(bucket.admit(&LIMIT, start), Verdict::Drop);
        let later = start + Duration::from_millis(100);
        assert_eq!(
            bucket.admit(&LIMIT, later),
            Verdict::Accept,
            "one token back"
        );
        assert_eq!(bucket.admit(&LIMIT, later), Verdict::Drop);
    }

    #[test]
    fn a_player_who_stays_over_the_rate_is_closed_and_one_who_calms_down_is_not() {
        let start = Instant::now();
        let mut flood = Bucket::new(&LIMIT, start);
        let mut burst = Bucket::new(&LIMIT, start);
        let mut verdicts = Vec::new();
        // Twenty messages a second, twice the rate: half of them pass, for four seconds.
        for tick in 0..80u64 {
            let now = start + Duration::from_millis(50 * tick);
            verdicts.push(flood.admit(&LIMIT, now));
        }
        assert!(verdicts.contains(&Verdict::Accept));
        assert_eq!(verdicts.last(), Some(&Verdict::Close));
        let first_close = verdicts.iter().position(|v| *v == Verdict::Close);
        assert!(
            first_close > Some(55),
            "closed after 3 s over: {first_close:?}"
        );

        // A burst over the bucket, then the average rate: never closed.
        for _ in 0..20 {
            burst.admit(&LIMIT, start);
        }
        for tick in 1..=100u64 {
            let now = start + Duration::from_millis(100 * tick);
            assert_eq!(burst.admit(&LIMIT, now), Verdict::Accept, "tick {tick}");
        }
        assert_eq!(burst.over_us, None);
    }

    #[test]
    fn without_close_after_a_flood_is_only_dropped() {
        let limit = RateLimit {
            close_after: None,
            ..LIMIT
        };
        let start = Instant::now();
        let mut bucket = Bucket::new(&limit, start);
        for tick in 0..1000u64 {
            let now = start + Duration::from_millis(tick);
            assert_ne!(bucket.admit(&limit, now), Verdict::Close);
        }
    }
}
