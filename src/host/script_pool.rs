//! Where game sessions with a script run. Their tasks run on threads of their own
//! (`[scripts] threads`), apart from the threads that serve sockets and pure-relay game
//! sessions: a script callback may run up to its time cap, and on a socket thread that would
//! hold up every connection queued behind it.
//!
//! A game session whose wakes take milliseconds of CPU ([`Offload`]) has them run on the slow
//! lane: one thread at the lowest scheduling priority, which runs at most
//! `[scripts] slow_lane_cpu_budget_ms` a second for all such game sessions together, so
//! looping scripts hold up neither the other game sessions' threads nor much of the cores.
//! A game session leaves the lane once its wakes have been quick for a while.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use thread_priority::{
    NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
    set_thread_priority_and_policy, thread_native_id,
};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;
use tracing::{debug, error, warn};

use crate::metrics::Metrics;

/// A wake of a game session that takes more CPU time than this sends its next ones to the
/// slow lane. CPU time, not elapsed time: a wake that merely waited for a core under load
/// is not slow. (On the lane, where waiting is the point, elapsed time keeps it there.)
const SLOW_WAKE: Duration = Duration::from_millis(2);
/// How long a game session stays on the slow lane after its last slow wake.
const SLOW_FOR: Duration = Duration::from_secs(10);
/// Wakes waiting for the slow lane, at most; each game session has at most one in flight,
/// so this only bounds a burst of slow game sessions, which wait for room.
const SLOW_QUEUE: usize = 1024;

/// The slow lane's threads. One: its budget is a fraction of one core, and slow scripts
/// spinning on every core at once would hold up every other thread, whatever their priority.
const SLOW_LANE_THREADS: usize = 1;

/// A wake's work, sent to the slow lane.
type Job = Box<dyn FnOnce() + Send>;

/// The threads of game sessions with a script, started when the first one opens.
pub struct ScriptPool {
    threads: usize,
    runtime: OnceLock<Option<Runtime>>,
    /// `None` if its thread could not be started: slow game sessions then stay where they are.
    slow_lane: OnceLock<Option<flume::Sender<Job>>>,
    slow_lane_budget: Arc<LaneBudget>,
}

impl ScriptPool {
    /// A pool of `threads` threads and the slow lane, which runs at most `slow_lane_budget`
    /// of CPU time a second, not started yet.
    pub fn new(threads: usize, slow_lane_budget: Duration) -> Self {
        Self {
            threads: threads.max(1),
            runtime: OnceLock::new(),
            slow_lane: OnceLock::new(),
            slow_lane_budget: Arc::new(LaneBudget::new(slow_lane_budget)),
        }
    }

    /// Where scripted game sessions are spawned: the pool, or the caller's runtime if the
    /// pool's threads cannot be started (logged once).
    pub fn handle(&self) -> Handle {
        let runtime = self.runtime.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(self.threads)
                .thread_name("volley-script")
                .enable_all()
                .build()
                .inspect_err(|e| {
                    error!(error = %e, "cannot start the script threads; scripts share the socket threads");
                })
                .ok()
        });
        runtime
            .as_ref()
            .map_or_else(Handle::current, |runtime| runtime.handle().clone())
    }

    /// True if the slow lane runs (starting it on first use).
    pub fn has_slow_lane(&self) -> bool {
        self.slow_lane().is_some()
    }

    /// Runs `work` on the slow lane and gives back its result; `None` if it panicked or the
    /// lane does not run ([`ScriptPool::has_slow_lane`]).
    pub async fn run_slow<R: Send + 'static>(
        &self,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(work)));
        });
        self.slow_lane().as_ref()?.send_async(job).await.ok()?;
        rx.await.ok()?.ok()
    }

    fn slow_lane(&self) -> &Option<flume::Sender<Job>> {
        self.slow_lane.get_or_init(|| {
            let (tx, rx) = flume::bounded::<Job>(SLOW_QUEUE);
            let mut running = 0;
            for n in 0..SLOW_LANE_THREADS {
                let rx = rx.clone();
                let budget = Arc::clone(&self.slow_lane_budget);
                let started = std::thread::Builder::new()
                    .name(format!("volley-script-slow-{n}"))
                    .spawn(move || {
                        lowest_priority();
                        // Ends when the pool is dropped with the server.
                        while let Ok(job) = rx.recv() {
                            budget.wait_for_room();
                            let ((), took) = cpu_timed(job);
                            budget.spend(took);
                        }
                    });
                match started {
                    Ok(_) => running += 1,
                    Err(e) => error!(error = %e, "cannot start a thread for slow scripts"),
                }
            }
            (running > 0).then_some(tx)
        })
    }
}

/// The CPU time the slow lane may use in each second. Priority alone does not protect the
/// others: a core kept busy answers later even to the threads it favours, so what slow scripts
/// may burn in all is capped, however many there are.
struct LaneBudget {
    per_second: Duration,
    /// The current second and what the lane used of it.
    used: Mutex<(Instant, Duration)>,
}

impl LaneBudget {
    fn new(per_second: Duration) -> Self {
        Self {
            per_second,
            used: Mutex::new((Instant::now(), Duration::ZERO)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Instant, Duration)> {
        // Nothing panics while holding it; recover the figures if something ever did.
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until the lane has CPU time left in the current second.
    fn wait_for_room(&self) {
        loop {
            let wait = {
                let mut used = self.lock();
                let now = Instant::now();
                if now.duration_since(used.0) >= Duration::from_secs(1) {
                    *used = (now, Duration::ZERO);
                }
                if used.1 < self.per_second {
                    return;
                }
                (used.0 + Duration::from_secs(1)).saturating_duration_since(now)
            };
            std::thread::sleep(wait);
        }
    }

    fn spend(&self, took: Duration) {
        self.lock().1 += took;
    }
}

/// Puts the calling thread at the lowest priority of ordinary threads: it gets the cores when
/// nothing else wants them, and a share of them otherwise.
fn lowest_priority() {
    let policy = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
    if let Err(e) = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, policy)
    {
        warn!(error = ?e, "cannot lower the priority of the slow scripts' thread");
    }
}

impl Drop for ScriptPool {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which is refused inside async code; by now the session
        // tasks have finished (the server waits for them), so nothing is left to wait for.
        if let Some(runtime) = self.runtime.take().flatten() {
            runtime.shutdown_background();
        }
    }
}

/// Whether one game session's wakes go to the slow lane.
///
/// CPU time decides, but reading a thread's CPU time is a system call, while reading the
/// clock is not: a wake is timed by the clock, and only after one that took
/// [`SLOW_WAKE`] by the clock is the next one timed by CPU to tell a slow script from a
/// wait for a core.
#[derive(Debug, Default)]
pub struct Offload {
    slow_until: Option<Instant>,
    suspect: bool,
}

impl Offload {
    /// True while the game session's wakes belong on the slow lane (`now` is the wake's time).
    pub fn is_slow(&mut self, now: Instant, metrics: &Metrics) -> bool {
        match self.slow_until {
            Some(until) if now < until => true,
            Some(_) => {
                self.leave(metrics);
                false
            }
            None => false,
        }
    }

    /// Runs one wake's work in place and times it.
    pub fn run<R>(&mut self, now: Instant, metrics: &Metrics, work: impl FnOnce() -> R) -> R {
        if std::mem::take(&mut self.suspect) {
            let (result, took) = cpu_timed(work);
            self.record(now, took, metrics);
            return result;
        }
        let began = Instant::now();
        let result = work();
        self.suspect = began.elapsed() >= SLOW_WAKE;
        result
    }

    /// Records how long a wake's work took: its CPU time in place, its elapsed time on the lane.
    pub fn record(&mut self, now: Instant, took: Duration, metrics: &Metrics) {
        if took >= SLOW_WAKE {
            if self.slow_until.is_none() {
                Metrics::inc(&metrics.script_sessions_slow);
                debug!(
                    cpu_ms = took.as_secs_f64() * 1e3,
                    "the script is slow; its wakes go to the slow lane"
                );
            }
            self.slow_until = Some(now + SLOW_FOR);
        }
    }

    /// The game session leaves the slow lane (or ends).
    pub fn leave(&mut self, metrics: &Metrics) {
        if self.slow_until.take().is_some() {
            Metrics::dec(&metrics.script_sessions_slow);
        }
    }
}

/// Runs `work` and measures the CPU time the calling thread spent in it.
fn cpu_timed<R>(work: impl FnOnce() -> R) -> (R, Duration) {
    let before = thread_cpu_time();
    let result = work();
    let took = match (before, thread_cpu_time()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => Duration::ZERO,
    };
    (result, took)
}

fn thread_cpu_time() -> Option<Duration> {
    let time = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID).ok()?;
    Some(Duration::from(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps the thread busy for `cpu` of CPU time.
    fn spin(cpu: Duration) {
        let start = thread_cpu_time().unwrap_or_default();
        while thread_cpu_time().unwrap_or_default().saturating_sub(start) < cpu {
            std::hint::spin_loop();
        }
    }

    #[test]
    fn a_wake_that_only_waited_does_not_make_a_script_slow() {
        let metrics = Metrics::default();
        let mut offload = Offload::default();
        let now = Instant::now();
        for _ in 0..3 {
            offload.run(now, &metrics, || std::thread::sleep(SLOW_WAKE * 2));
        }
        assert!(!offload.is_slow(now, &metrics));
        assert_eq!(metrics.snapshot().script_sessions_slow, 0);
    }

    #[test]
    fn wakes_that_use_the_cpu_make_a_script_slow_until_it_has_been_quick_a_while() {
        let metrics = Metrics::default();
        let mut offload = Offload::default();
        let now = Instant::now();
        // The first is timed by the clock, the second, suspect, by the CPU.
        offload.run(now, &metrics, || spin(SLOW_WAKE * 2));
        assert!(!offload.is_slow(now, &metrics));
        offload.run(now, &metrics, || spin(SLOW_WAKE * 2));
        assert!(offload.is_slow(now, &metrics));
        assert_eq!(metrics.snapshot().script_sessions_slow, 1);
        assert!(offload.is_slow(now + SLOW_FOR / 2, &metrics));
        assert!(!offload.is_slow(now + SLOW_FOR, &metrics));
        assert_eq!(metrics.snapshot().script_sessions_slow, 0);
    }

    #[test]
    fn the_slow_lane_waits_for_the_next_second_once_its_budget_is_spent() {
        let budget = LaneBudget::new(Duration::from_millis(10));
        budget.wait_for_room();
        budget.spend(Duration::from_millis(4));
        let began = Instant::now();
        budget.wait_for_room();
        assert!(
            began.elapsed() < Duration::from_millis(100),
            "room was left"
        );
        // Spent, with the second nearly over: the next job waits for the rest of it.
        budget.spend(Duration::from_millis(6));
        budget.lock().0 = Instant::now() - Duration::from_millis(950);
        let began = Instant::now();
        budget.wait_for_room();
        let waited = began.elapsed();
        assert!(waited >= Duration::from_millis(40), "{waited:?}");
        assert!(waited < Duration::from_millis(900), "{waited:?}");
        assert_eq!(budget.lock().1, Duration::ZERO);
    }
}
