//! What a listener does when `accept` fails, as it does when the process is out of file
//! descriptors: wait before trying again, twice as long after each failure in a row (the
//! failed connection stays in the kernel's queue, so retrying at once would spin), and warn
//! at most once a minute, with the count of failures since the last warning. Every failure
//! is counted in the metrics.

use std::time::{Duration, Instant};

use tracing::warn;

use crate::log_limit::LogLimit;
use crate::metrics::Metrics;

/// The first wait after a failure.
const FIRST_DELAY: Duration = Duration::from_millis(10);
/// The longest wait: accepting again soon after descriptors free up matters more.
const MAX_DELAY: Duration = Duration::from_secs(1);
/// At most one warning per this long.
const WARN_PERIOD: Duration = Duration::from_secs(60);

/// One listener's failed accepts in a row.
pub(crate) struct AcceptErrors {
    listener: &'static str,
    delay: Duration,
    log: LogLimit,
}

impl AcceptErrors {
    /// For the listener named `listener` in the logs.
    pub fn new(listener: &'static str) -> Self {
        Self {
            listener,
            delay: FIRST_DELAY,
            log: LogLimit::new(1, WARN_PERIOD),
        }
    }

    /// After a failed accept: counts it, warns if a warning is due, and waits before the
    /// next try.
    pub async fn failed(&mut self, error: &std::io::Error, metrics: &Metrics) {
        Metrics::inc(&metrics.accept_errors);
        if let Some(suppressed) = self.log.admit(Instant::now()) {
            warn!(
                listener = self.listener,
                %error,
                more_failures_since_last_warning = suppressed,
                "accept failed; retrying with a back-off (out of file descriptors? see the \
                 startup warning about the descriptor limit)"
            );
        }
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(MAX_DELAY);
    }

    /// After a successful accept: the next failure waits briefly again.
    pub fn succeeded(&mut self) {
        self.delay = FIRST_DELAY;
    }
}
