//! A gate for warnings that an outsider can cause as often as it likes (a script failing on
//! every message, a flood of failing accepts): at most a few lines per period get through,
//! and the next line that does says how many were held back. Pure: the caller passes `now`,
//! so the gate is unit-tested without a clock, and keeps its counters, which count every
//! event whether it was logged or not.

use std::time::{Duration, Instant};

/// Lets at most `burst` lines through in each period; the period starts with the first line
/// after the previous one ended (fixed windows, so an idle stream costs nothing).
#[derive(Clone, Debug)]
pub struct LogLimit {
    burst: u32,
    period: Duration,
    /// When the current window began; `None` before the first line.
    window: Option<Instant>,
    /// Lines let through in the current window.
    logged: u32,
    /// Lines held back since the last one let through.
    suppressed: u64,
}

impl LogLimit {
    /// A gate letting `burst` lines through per `period` (a `burst` of 0 is taken as 1, so a
    /// stream is never silenced entirely).
    pub fn new(burst: u32, period: Duration) -> Self {
        Self {
            burst: burst.max(1),
            period,
            window: None,
            logged: 0,
            suppressed: 0,
        }
    }

    /// Whether a line may be logged at `now`: `Some(n)` to log it, mentioning the `n` lines
    /// held back since the previous one (0 for none); `None` to skip it, which is counted.
    pub fn admit(&mut self, now: Instant) -> Option<u64> {
        let expired = self
            .window
            .is_none_or(|start| now.saturating_duration_since(start) >= self.period);
        if expired {
            self.window = Some(now);
            self.logged = 0;
        }
        if self.logged >= self.burst {
            self.suppressed += 1;
            return None;
        }
        self.logged += 1;
        Some(std::mem::take(&mut self.suppressed))
    }

    /// The lines held back since the last one let through, now reported elsewhere (when the
    /// stream ends, so that a final burst is not lost without a word); resets the count.
    pub fn take_suppressed(&mut self) -> u64 {
        std::mem::take(&mut self.suppressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: Duration = Duration::from_secs(10);

    #[test]
    fn lets_a_burst_through_then_holds_back_until_the_period_is_over() {
        let start = Instant::now();
        let mut gate = LogLimit::new(3, PERIOD);
        let seen: Vec<_> = (0..5).map(|_| gate.admit(start)).collect();
        assert_eq!(seen, [Some(0), Some(0), Some(0), None, None]);
        assert_eq!(gate.admit(start + Duration::from_secs(9)), None);
        // The next line through reports the three held back.
        assert_eq!(gate.admit(start + PERIOD), Some(3));
        assert_eq!(gate.admit(start + PERIOD), Some(0));
    }

    #[test]
    fn a_quiet_stream_logs_every_line() {
        let start = Instant::now();
        let mut gate = LogLimit::new(1, PERIOD);
        for i in 0..5 {
            assert_eq!(gate.admit(start + PERIOD * i), Some(0));
        }
    }

    #[test]
    fn the_window_starts_with_the_first_line_after_a_pause() {
        let start = Instant::now();
        let mut gate = LogLimit::new(2, PERIOD);
        assert_eq!(gate.admit(start), Some(0));
        // Long after: a new window starts here, not at a multiple of the period.
        let later = start + Duration::from_secs(25);
        assert_eq!(gate.admit(later), Some(0));
        assert_eq!(gate.admit(later), Some(0));
        assert_eq!(gate.admit(later + Duration::from_secs(9)), None);
        assert_eq!(gate.admit(later + PERIOD), Some(1));
    }

    #[test]
    fn take_suppressed_reports_a_final_burst_once() {
        let start = Instant::now();
        let mut gate = LogLimit::new(1, PERIOD);
        assert_eq!(gate.admit(start), Some(0));
        assert_eq!(gate.admit(start), None);
        assert_eq!(gate.admit(start), None);
        assert_eq!(gate.take_suppressed(), 2);
        assert_eq!(gate.take_suppressed(), 0);
        assert_eq!(gate.admit(start + PERIOD), Some(0));
    }

    #[test]
    fn a_zero_burst_still_lets_one_line_through() {
        let start = Instant::now();
        let mut gate = LogLimit::new(0, PERIOD);
        assert_eq!(gate.admit(start), Some(0));
        assert_eq!(gate.admit(start), None);
    }

    #[test]
    fn a_clock_that_goes_back_does_not_panic_or_reopen_the_window() {
        let start = Instant::now() + PERIOD;
        let mut gate = LogLimit::new(1, PERIOD);
        assert_eq!(gate.admit(start), Some(0));
        assert_eq!(gate.admit(start - Duration::from_secs(1)), None);
    }
}
