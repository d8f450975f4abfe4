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
const CALM: Duration = Duration::from_secs(1);

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

/// One player's bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    refilled: Instant,
    /// When the player went over the rate, if it has not calmed down since.
    over_since: Option<Instant>,
    last_drop: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn new(limit: &RateLimit, now: Instant) -> Self {
        Self {
            tokens: f64::from(limit.burst),
            refilled: now,
            over_since: None,
            last_drop: now,
        }
    }

    /// Takes one message's token, if there is one.
    pub fn admit(&mut self, limit: &RateLimit, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens =
            (self.tokens + elapsed * f64::from(limit.per_sec)).min(f64::from(limit.burst));
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            // Sending at twice the rate lets every other message through: only a second
            // without drops ends a spell over the rate.
            if now.saturating_duration_since(self.last_drop) >= CALM {
                self.over_since = None;
            }
            return Verdict::Accept;
        }
        self.last_drop = now;
        let since = *self.over_since.get_or_insert(now);
        match limit.close_after {
            Some(after) if now.saturating_duration_since(since) >= after => Verdict::Close,
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
        assert_eq!(burst.over_since, None);
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
