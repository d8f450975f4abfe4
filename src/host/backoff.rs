//! When a script that failed to start may be tried again. A start that fails (the script
//! throws while loading, runs past the activation timeout, or its onProcessStarted says no)
//! will most likely fail again, and each try costs a blocking thread for up to the
//! activation timeout; so after a failure, starts of the same script revision are held back
//! for a time that doubles with each further failure, up to a cap. Once that time is over,
//! one start is let through as a probe while the others are still held back; a success
//! forgets the failures. A new revision of the script is tried at once. Pure: the session
//! tasks pass `now` and keep it behind a lock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long starts are held back after the first failure.
pub(crate) const FIRST_DELAY: Duration = Duration::from_secs(2);
/// The longest they are held back, however many failures came before.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(60);

/// The failures of the scripts that failed to start, by script id (only the latest failed
/// revision of each is remembered).
#[derive(Debug, Default)]
pub(crate) struct StartBackoff {
    failed: HashMap<String, Failed>,
}

#[derive(Debug)]
struct Failed {
    revision: u64,
    /// Failures in a row.
    failures: u32,
    /// Starts are held back until then.
    retry_at: Instant,
    /// When the start let through as a probe began, while it runs.
    probe: Option<Instant>,
}

impl StartBackoff {
    /// Whether a start of `script_id` at `revision` may begin at `now`: `Err` with how long
    /// until the next try when it is held back (zero while another start probes).
    pub fn begin(&mut self, now: Instant, script_id: &str, revision: u64) -> Result<(), Duration> {
        let Some(failed) = self
            .failed
            .get_mut(script_id)
            .filter(|f| f.revision == revision)
        else {
            return Ok(());
        };
        if now < failed.retry_at {
            return Err(failed.retry_at - now);
        }
        // A probe whose outcome never came (its task was cancelled) stops holding others back
        // after the longest delay.
        match failed.probe {
            Some(began) if now.saturating_duration_since(began) < MAX_DELAY => Err(Duration::ZERO),
            _ => {
                failed.probe = Some(now);
                Ok(())
            }
        }
    }

    /// A start of `script_id` at `revision` failed at `now`. A failure while starts are held
    /// back already (a start that began before the first failure was known) changes nothing.
    pub fn failed(&mut self, now: Instant, script_id: &str, revision: u64) {
        match self.failed.get_mut(script_id) {
            Some(failed) if failed.revision == revision => {
                if now < failed.retry_at {
                    return;
                }
                failed.failures = failed.failures.saturating_add(1);
                failed.retry_at = now + delay(failed.failures);
                failed.probe = None;
            }
            _ => {
                let failed = Failed {
                    revision,
                    failures: 1,
                    retry_at: now + delay(1),
                    probe: None,
                };
                self.failed.insert(script_id.to_owned(), failed);
            }
        }
    }

    /// A start of `script_id` at `revision` succeeded: its failures are forgotten.
    pub fn started(&mut self, script_id: &str, revision: u64) {
        if self
            .failed
            .get(script_id)
            .is_some_and(|f| f.revision == revision)
        {
            self.failed.remove(script_id);
        }
    }
}

/// How long starts are held back after `failures` failures in a row.
fn delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "script-1";

    #[test]
    fn a_script_that_never_failed_starts_freely() {
        let mut backoff = StartBackoff::default();
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(backoff.begin(now, ID, 1), Ok(()));
        }
    }

    #[test]
    fn a_failure_holds_starts_back_for_a_doubling_time_up_to_the_cap() {
        let mut backoff = StartBackoff::default();
        let mut now = Instant::now();
        let mut expected = Vec::new();
        let mut seen = Vec::new();
        for failures in 1..=8 {
            backoff.failed(now, ID, 1);
            let held = backoff.begin(now, ID, 1).expect_err("held back");
            seen.push(held);
            expected.push(
                FIRST_DELAY
                    .saturating_mul(1 << (failures - 1))
                    .min(MAX_DELAY),
            );
            assert_eq!(
                backoff.begin(now + held - Duration::from_millis(1), ID, 1),
                Err(Duration::from_millis(1))
            );
            now += held;
            assert_eq!(backoff.begin(now, ID, 1), Ok(()), "the probe");
        }
        assert_eq!(seen, expected);
        assert_eq!(seen.last(), Some(&MAX_DELAY));
    }

    #[test]
    fn one_probe_at_a_time_once_the_delay_is_over() {
        let mut backoff = StartBackoff::default();
        let now = Instant::now();
        backoff.failed(now, ID, 1);
        let later = now + FIRST_DELAY;
        assert_eq!(backoff.begin(later, ID, 1), Ok(()));
        assert_eq!(backoff.begin(later, ID, 1), Err(Duration::ZERO));
        // The probe succeeds: everything starts again.
        backoff.started(ID, 1);
        assert_eq!(backoff.begin(later, ID, 1), Ok(()));
        assert_eq!(backoff.begin(later, ID, 1), Ok(()));
    }

    #[test]
    fn a_failed_probe_doubles_the_delay() {
        let mut backoff = StartBackoff::default();
        let now = Instant::now();
        backoff.failed(now, ID, 1);
        let later = now + FIRST_DELAY;
        assert_eq!(backoff.begin(later, ID, 1), Ok(()));
        backoff.failed(later, ID, 1);
        assert_eq!(backoff.begin(later, ID, 1), Err(FIRST_DELAY * 2));
    }

    #[test]
    fn failures_of_starts_that_began_together_count_once() {
        let mut backoff = StartBackoff::default();
        let now = Instant::now();
        for _ in 0..5 {
            assert_eq!(backoff.begin(now, ID, 1), Ok(()));
        }
        for i in 0..5 {
            backoff.failed(now + Duration::from_millis(i), ID, 1);
        }
        assert_eq!(backoff.begin(now, ID, 1), Err(FIRST_DELAY));
    }

    #[test]
    fn a_new_revision_is_tried_at_once() {
        let mut backoff = StartBackoff::default();
        let now = Instant::now();
        backoff.failed(now, ID, 1);
        assert_eq!(backoff.begin(now, ID, 2), Ok(()));
        assert_eq!(backoff.begin(now, "script-2", 1), Ok(()));
        // Its own failure replaces the old revision's.
        backoff.failed(now, ID, 2);
        assert_eq!(backoff.begin(now, ID, 2), Err(FIRST_DELAY));
        assert_eq!(backoff.begin(now, ID, 1), Ok(()));
        // A success of an old revision does not forget the new one's failure.
        backoff.started(ID, 1);
        assert_eq!(backoff.begin(now, ID, 2), Err(FIRST_DELAY));
    }

    #[test]
    fn a_probe_that_never_reports_stops_holding_others_back() {
        let mut backoff = StartBackoff::default();
        let now = Instant::now();
        backoff.failed(now, ID, 1);
        let later = now + FIRST_DELAY;
        assert_eq!(backoff.begin(later, ID, 1), Ok(()));
        assert_eq!(backoff.begin(later + MAX_DELAY, ID, 1), Ok(()));
    }
}
