//! One game session's script instance: a QuickJS runtime and context running a [`Bundle`],
//! owned by that session's task. The task calls its callbacks (the [`Hooks`] decisions from
//! inside the core, the rest between inputs), fires its timers when [`ScriptInstance::poll_timeout`]
//! comes, and applies the [`Effect`]s it queues. Every call runs under a time cap (interrupt
//! handler) and the runtime under a memory cap; a failure is logged in the session's span,
//! counted, and answered with the contract's default, so the session keeps serving.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rquickjs::context::EvalOptions;
use rquickjs::function::Func;
use rquickjs::promise::PromiseState;
use rquickjs::{
    ArrayBuffer, CatchResultExt, CaughtError, Context, Ctx, Exception, Function, Object, Runtime,
    Value,
};
use tracing::{debug, error, info, warn};

use super::{Bundle, Hook, wrap_commonjs};
use crate::core::{Channel, HookMessage, Hooks, ServerMessage, ServerTarget};
use crate::log_limit::LogLimit;
use crate::metrics::Metrics;
use crate::protocol::{GroupId, PeerId};

/// The JavaScript half of the host.
const PRELUDE: &str = include_str!("prelude.js");
/// Most effects (sends, broadcasts) awaiting the session task; more throw in the script. The
/// task applies them after the callbacks of each wake; their bytes are capped too
/// ([`Limits::max_queued_send_bytes`]).
const MAX_PENDING_EFFECTS: usize = 1024;
/// What a queued send costs beyond its payload: the frame's headers (at most 64 bytes, as
/// `limits.max_frame_bytes` leaves) and its slot in a player's outbound queue (64).
const SEND_OVERHEAD: usize = 128;
/// What a membership broadcast costs: its frame lists up to 200 players.
const BROADCAST_COST: usize = 1024 + SEND_OVERHEAD;
/// Most timers one script may have pending.
const MAX_TIMERS: usize = 10_000;
/// Most timers fired in one [`ScriptInstance::handle_timeout`]; the rest stay due.
const MAX_TIMERS_PER_WAKE: usize = 64;
/// Most promise jobs run after one callback, on top of its time cap.
const MAX_JOBS_PER_CALL: usize = 100_000;
/// Native stack the interpreter may use; tokio worker threads have 2 MiB.
const MAX_STACK_BYTES: usize = 512 << 10;
/// Script log lines per second per game session; more are counted and dropped.
const LOG_LINES_PER_SEC: u32 = 100;
/// Longest script log line kept.
const MAX_LOG_LINE_BYTES: usize = 8 << 10;
/// Script failure lines (errors, timeouts, out of memory, unhandled rejections) one game
/// session logs per [`FAILURE_LOG_PERIOD`]; the rest are counted only, and the next line
/// through says how many were held back. A player can make a script fail on every message.
const FAILURE_LOG_BURST: u32 = 5;
/// See [`FAILURE_LOG_BURST`].
const FAILURE_LOG_PERIOD: Duration = Duration::from_secs(10);

/// The limits every script instance runs under (`[scripts]` in the config).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest one callback, with the promise jobs it queues, may run.
    pub callback_timeout: Duration,
    /// Longest loading the script and `init` may run.
    pub start_timeout: Duration,
    /// Most time the script's callbacks may take in any one second; past it, callbacks are
    /// skipped (their defaults apply) until the second is over.
    pub cpu_budget: Duration,
    /// Most memory the runtime may allocate.
    pub memory_limit_bytes: usize,
    /// A failed decision callback refuses instead of accepting.
    pub deny_on_error: bool,
    /// After this many failures in a row the script asks to end its session; 0 never.
    pub max_consecutive_failures: u32,
    /// Most bytes of messages awaiting the session task at once; more throw in the script.
    /// Half a player's outbound queue (`limits.outbound_queue_bytes`), so that whatever the
    /// script sends in one go fits in the queue of a player who keeps up.
    pub max_queued_send_bytes: usize,
}

/// What a script asked the game session to do; the session task feeds it to the core.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send a message to a player or group.
    Send(ServerMessage),
    /// Send `group`'s membership to the members of `target`.
    Broadcast {
        /// The group whose members are listed.
        group: GroupId,
        /// Who gets the list.
        target: GroupId,
    },
    /// End the game session (`processEnding`, `process.exit`, or too many failures).
    End,
}

impl Effect {
    /// What the effect costs against [`Limits::max_queued_send_bytes`].
    fn cost(&self) -> usize {
        match self {
            Self::Send(message) => message.payload.len() + SEND_OVERHEAD,
            Self::Broadcast { .. } => BROADCAST_COST,
            Self::End => 0,
        }
    }
}

/// The script's `configuration` (scripts.md §5), where it sets one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Configuration {
    /// `maxPlayers`.
    pub max_players: Option<usize>,
    /// `pingIntervalTime`.
    pub ping_interval: Option<Duration>,
}

/// Why a script could not start; the game session fails to activate.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(String);

/// How one call into the script went wrong.
#[derive(Debug)]
enum Failure {
    Exception(String),
    Timeout,
    OutOfMemory,
}

/// The time cap shared with the interrupt handler: nanoseconds since `epoch`, 0 when unarmed.
struct Deadline {
    epoch: Instant,
    at: AtomicU64,
    fired: AtomicBool,
}

impl Deadline {
    fn arm(&self, budget: Duration) {
        let at = self.epoch.elapsed().saturating_add(budget).as_nanos();
        self.at.store(
            u64::try_from(at).unwrap_or(u64::MAX).max(1),
            Ordering::Relaxed,
        );
        self.fired.store(false, Ordering::Relaxed);
    }

    /// Makes the next interrupt check stop the script (after `process.exit`).
    fn stop_now(&self) {
        self.at.store(1, Ordering::Relaxed);
    }

    fn disarm(&self) -> bool {
        self.at.store(0, Ordering::Relaxed);
        self.fired.swap(false, Ordering::Relaxed)
    }

    fn expired(&self) -> bool {
        let at = self.at.load(Ordering::Relaxed);
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let expired = at != 0 && now >= at;
        if expired {
            self.fired.store(true, Ordering::Relaxed);
        }
        expired
    }
}

/// State the native functions and the instance share.
struct Shared {
    effects: VecDeque<Effect>,
    /// What the queued effects cost, and the most they may.
    effects_bytes: usize,
    max_effects_bytes: usize,
    /// Pending timers by deadline; `timer_repeat` has each one's interval, if repeating.
    timers: BTreeSet<(Instant, u64)>,
    timer_repeat: HashMap<u64, (Instant, Option<Duration>)>,
    next_timer: u64,
    /// `processEnding` or `process.exit` was called.
    ending: bool,
    /// `process.exit` was called: run nothing more.
    exited: bool,
    log_window: Instant,
    log_lines: u32,
    log_suppressed: u64,
    /// Gates the warnings about the script's failures.
    failure_log: LogLimit,
    started: Instant,
    /// The session task's clock, passed in at each wake as the core's is: timers count from
    /// it, as Node.js's count from the event loop's time.
    clock: Instant,
    max_reliable_payload: usize,
    /// `process.memoryUsage()`'s figures. The runtime is locked while the script runs, so
    /// they are taken between calls: before the script loads, and after each call in which
    /// the script asked for them (`memory_asked`), as walking the heap is not free.
    memory: [f64; 5],
    memory_asked: bool,
}

/// Which optional callbacks the script defines; absent ones cost nothing to "call".
#[derive(Default)]
struct Defined {
    on_process_started: bool,
    on_start_game_session: bool,
    on_health_check: bool,
    on_player_connect: bool,
    on_player_join_group: bool,
    on_player_leave_group: bool,
    on_send_to_player: bool,
    on_send_to_group: bool,
    on_message: bool,
    on_process_terminate: bool,
}

/// The global under which the prelude's entry points are kept (not enumerable).
const HOST_KEY: &str = "__volleyHost";

/// The prelude's entry point that runs `hook` (`prelude.js`, the object `setup` returns).
fn entry_point(hook: Hook) -> &'static str {
    match hook {
        Hook::PlayerAccepted => "playerAccepted",
        Hook::PlayerDisconnect => "playerDisconnected",
        Hook::Timer => "fireTimer",
        Hook::ProcessEnding => "ended",
        // The callbacks of `ssExports` have entry points of their own name.
        Hook::ProcessStarted
        | Hook::StartGameSession
        | Hook::HealthCheck
        | Hook::PlayerConnect
        | Hook::PlayerJoinGroup
        | Hook::PlayerLeaveGroup
        | Hook::SendToPlayer
        | Hook::SendToGroup
        | Hook::Message
        | Hook::ProcessTerminate => hook.as_str(),
    }
}

/// A running script.
pub struct ScriptInstance {
    defined: Defined,
    context: Context,
    runtime: Runtime,
    shared: Arc<Mutex<Shared>>,
    deadline: Arc<Deadline>,
    limits: Limits,
    metrics: Arc<Metrics>,
    configuration: Configuration,
    consecutive_failures: u32,
    /// The current one-second window of the CPU budget, and what the callbacks used of it.
    budget_window: Instant,
    budget_used: Duration,
    /// Calls skipped in this window, logged once when it ends.
    budget_skipped: u64,
    /// Stopped after `process.exit` or too many failures: no more calls.
    stopped: bool,
    /// The session task's time at this wake ([`ScriptInstance::set_clock`]).
    clock: Instant,
    bundle: Arc<Bundle>,
}

impl std::fmt::Debug for ScriptInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptInstance")
            .field("script_id", &self.bundle.script_id)
            .field("revision", &self.bundle.revision)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // Nothing panics while holding the lock; recover the data if something ever did.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl ScriptInstance {
    /// Loads `bundle` for game session `game_session_id` and calls its `init`.
    pub fn start(
        bundle: Arc<Bundle>,
        game_session_id: &str,
        limits: Limits,
        max_reliable_payload: usize,
        metrics: Arc<Metrics>,
    ) -> Result<Self, StartError> {
        let fail = |what: &str, e: rquickjs::Error| StartError(format!("{what}: {e}"));
        let runtime = Runtime::new().map_err(|e| fail("cannot create the script runtime", e))?;
        runtime.set_memory_limit(limits.memory_limit_bytes);
        runtime.set_max_stack_size(MAX_STACK_BYTES);
        let deadline = Arc::new(Deadline {
            epoch: Instant::now(),
            at: AtomicU64::new(0),
            fired: AtomicBool::new(false),
        });
        let check = Arc::clone(&deadline);
        runtime.set_interrupt_handler(Some(Box::new(move || check.expired())));
        let now = Instant::now();
        let shared = Arc::new(Mutex::new(Shared {
            effects: VecDeque::new(),
            effects_bytes: 0,
            max_effects_bytes: limits.max_queued_send_bytes,
            timers: BTreeSet::new(),
            timer_repeat: HashMap::new(),
            next_timer: 1,
            ending: false,
            exited: false,
            log_window: now,
            log_lines: 0,
            log_suppressed: 0,
            failure_log: LogLimit::new(FAILURE_LOG_BURST, FAILURE_LOG_PERIOD),
            started: now,
            clock: now,
            max_reliable_payload,
            memory: [0.0; 5],
            memory_asked: true,
        }));
        let (rejections, tracked) = (Arc::clone(&metrics), Arc::clone(&shared));
        runtime.set_host_promise_rejection_tracker(Some(Box::new(
            move |_ctx, _promise, reason, handled| {
                // After `process.exit` the script unwinds: the exit's own throw rejects the
                // async function that called it (`await session.processEnding();
                // process.exit(0)`, the guide's way to end), and the jobs still queued are
                // interrupted. Neither is the script's fault.
                if !handled && !lock(&tracked).exited {
                    Metrics::inc(&rejections.script_unhandled_rejections);
                    let Some(suppressed) = admit_failure_line(&tracked) else {
                        return;
                    };
                    warn!(
                        target: "script",
                        error = %describe(&reason),
                        suppressed,
                        "unhandled promise rejection"
                    );
                }
            },
        )));
        let context = Context::full(&runtime).map_err(|e| fail("cannot create the context", e))?;
        let mut instance = Self {
            defined: Defined::default(),
            context,
            runtime,
            shared,
            deadline,
            limits,
            metrics,
            configuration: Configuration::default(),
            consecutive_failures: 0,
            budget_window: now,
            budget_used: Duration::ZERO,
            budget_skipped: 0,
            stopped: false,
            clock: now,
            bundle,
        };
        instance.refresh_memory();
        instance.deadline.arm(limits.start_timeout);
        let loaded = instance.load(game_session_id);
        instance.refresh_memory();
        let timed_out = instance.deadline.disarm();
        match loaded {
            Ok(()) => Ok(instance),
            Err(_) if timed_out => Err(StartError(format!(
                "loading the script took longer than {} ms",
                limits.start_timeout.as_millis()
            ))),
            Err(message) => Err(StartError(message)),
        }
    }

    /// Sets the script's clock: the session task's time at this wake. Timers the script sets
    /// count from it, and its CPU budget's seconds turn by it.
    pub fn set_clock(&mut self, now: Instant) {
        self.clock = now;
        lock(&self.shared).clock = now;
    }

    /// Takes the figures of `process.memoryUsage()` if the script asked for them since the last.
    fn refresh_memory(&self) {
        let mut shared = lock(&self.shared);
        if !std::mem::take(&mut shared.memory_asked) {
            return;
        }
        let usage = self.runtime.memory_usage();
        let allocated = usage.malloc_size as f64;
        let buffers = usage.binary_object_size as f64;
        shared.memory = [
            allocated,
            allocated,
            usage.memory_used_size as f64,
            buffers,
            buffers,
        ];
    }

    /// Bytes the script's runtime has allocated.
    pub fn memory_used(&self) -> usize {
        usize::try_from(self.runtime.memory_usage().malloc_size).unwrap_or(usize::MAX)
    }

    /// The script's `configuration`.
    pub fn configuration(&self) -> Configuration {
        self.configuration
    }

    /// The content this instance runs.
    pub fn bundle(&self) -> &Arc<Bundle> {
        &self.bundle
    }

    fn load(&mut self, game_session_id: &str) -> Result<(), String> {
        let bundle = Arc::clone(&self.bundle);
        let shared = Arc::clone(&self.shared);
        let deadline = Arc::clone(&self.deadline);
        let metrics = Arc::clone(&self.metrics);
        let entries = self.context.with(|ctx| -> Result<_, String> {
            let native = natives(&ctx, bundle, shared, deadline, metrics)
                .map_err(|e| format!("cannot set up the script host: {e}"))?;
            let mut options = EvalOptions::default();
            options.global = true;
            options.strict = false;
            options.filename = Some("volley:prelude".into());
            let setup: Function = ctx
                .eval_with_options(PRELUDE, options)
                .catch(&ctx)
                .map_err(|e| format!("cannot set up the script host: {e}"))?;
            let host: Object = setup
                .call((native,))
                .catch(&ctx)
                .map_err(|e| format!("cannot set up the script host: {e}"))?;
            let load: Function = host.get("load").map_err(|e| e.to_string())?;
            let info: Object = load
                .call((self.bundle.entry.as_str(), game_session_id))
                .catch(&ctx)
                .map_err(|e| format!("the script failed while loading: {}", caught(&e)))?;
            let hooks: Vec<String> = info.get("hooks").map_err(|e| e.to_string())?;
            let max_players: f64 = info.get("maxPlayers").unwrap_or(0.0);
            let ping: f64 = info.get("pingIntervalTime").unwrap_or(0.0);
            self.configuration = Configuration {
                max_players: (max_players >= 1.0).then_some(max_players as usize),
                ping_interval: (ping >= 1.0).then(|| Duration::from_millis(ping as u64)),
            };
            let has = |name: &str| hooks.iter().any(|h| h == name);
            let defined = Defined {
                on_process_started: has("onProcessStarted"),
                on_start_game_session: has("onStartGameSession"),
                on_health_check: has("onHealthCheck"),
                on_player_connect: has("onPlayerConnect"),
                on_player_join_group: has("onPlayerJoinGroup"),
                on_player_leave_group: has("onPlayerLeaveGroup"),
                on_send_to_player: has("onSendToPlayer"),
                on_send_to_group: has("onSendToGroup"),
                on_message: has("onMessage"),
                on_process_terminate: has("onProcessTerminate"),
            };
            ctx.globals()
                .prop(HOST_KEY, rquickjs::object::Property::from(host.clone()))
                .map_err(|e| e.to_string())?;
            let init: Function = host.get("init").map_err(|e| e.to_string())?;
            init.call::<_, ()>(())
                .catch(&ctx)
                .map_err(|e| format!("the script's init failed: {}", caught(&e)))?;
            Ok(defined)
        })?;
        self.defined = entries;
        let jobs = self.run_jobs();
        jobs.map_err(|f| format!("the script's init failed: {f:?}"))
    }

    /// `onProcessStarted([])`; false fails the game session's activation.
    pub fn process_started(&mut self) -> bool {
        let entry = self.defined.on_process_started;
        self.decide(Hook::ProcessStarted, entry, |ctx| {
            Ok(vec![rquickjs::Array::new(ctx.clone())?.into_value()])
        })
        .unwrap_or(!self.limits.deny_on_error)
    }

    /// `onStartGameSession(gameSession)`, with the GameLift GameSession object as JSON.
    pub fn start_game_session(&mut self, game_session_json: &str) {
        let entry = self.defined.on_start_game_session;
        let json = game_session_json.to_owned();
        self.notify(Hook::StartGameSession, entry, move |ctx| {
            Ok(vec![
                rquickjs::String::from_str(ctx.clone(), &json)?.into_value(),
            ])
        });
    }

    /// `onHealthCheck()`; true when absent.
    pub fn health_check(&mut self) -> bool {
        let entry = self.defined.on_health_check;
        self.decide(Hook::HealthCheck, entry, |_| Ok(Vec::new()))
            .unwrap_or(false)
    }

    /// A player was accepted: listed in `getPlayers()`, then `onPlayerAccepted(player)`.
    pub fn player_accepted(&mut self, peer: PeerId, player_session_id: &str) {
        let entry = true;
        let psid = player_session_id.to_owned();
        self.notify(Hook::PlayerAccepted, entry, move |ctx| {
            Ok(vec![
                Value::new_int(ctx.clone(), peer.0),
                rquickjs::String::from_str(ctx.clone(), &psid)?.into_value(),
            ])
        });
    }

    /// A player left: `onPlayerDisconnect(peerId)`, then it leaves `getPlayers()`.
    pub fn player_disconnected(&mut self, peer: PeerId) {
        let entry = true;
        self.notify(Hook::PlayerDisconnect, entry, move |ctx| {
            Ok(vec![Value::new_int(ctx.clone(), peer.0)])
        });
    }

    /// `onProcessTerminate()`: the game session is being ended from outside.
    pub fn process_terminate(&mut self) {
        let entry = self.defined.on_process_terminate;
        self.notify(Hook::ProcessTerminate, entry, |_| Ok(Vec::new()));
    }

    /// The game session has ended: promises from `processEnding()` resolve, and failure
    /// lines still held back are reported.
    pub fn ended(&mut self) {
        let entry = true;
        self.notify(Hook::ProcessEnding, entry, |_| Ok(Vec::new()));
        let suppressed = lock(&self.shared).failure_log.take_suppressed();
        if suppressed > 0 {
            warn!(
                target: "script",
                suppressed,
                "script failure lines suppressed before the game session ended"
            );
        }
    }

    /// True if the script asked to end its game session (or has failed too often).
    pub fn wants_end(&self) -> bool {
        lock(&self.shared).ending
    }

    /// The next effect to apply, in the order the script asked.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        let mut shared = lock(&self.shared);
        let effect = shared.effects.pop_front()?;
        shared.effects_bytes -= effect.cost();
        Some(effect)
    }

    /// When the next timer is due. While the script has used its CPU budget for the second,
    /// its timers wait for the next second: a looping timer would otherwise wake its game
    /// session at its own pace only to be skipped.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.stopped {
            return None;
        }
        let next = lock(&self.shared).timers.first().map(|&(at, _)| at)?;
        Some(match self.budget_spent_until() {
            Some(second_over) => next.max(second_over),
            None => next,
        })
    }

    /// The end of the current second, if the script has used its CPU budget in it.
    fn budget_spent_until(&self) -> Option<Instant> {
        let second_over = self.budget_window + Duration::from_secs(1);
        (self.budget_used >= self.limits.cpu_budget && self.clock < second_over)
            .then_some(second_over)
    }

    /// Fires the timers that are due (at most [`MAX_TIMERS_PER_WAKE`]), unless the script has
    /// used its CPU budget for the second: then they wait for the next one.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.set_clock(now);
        if self.budget_spent_until().is_some() {
            return;
        }
        for _ in 0..MAX_TIMERS_PER_WAKE {
            let due = {
                let mut shared = lock(&self.shared);
                match shared.timers.first().copied() {
                    Some((at, id)) if at <= now && !self.stopped => {
                        shared.timers.remove(&(at, id));
                        match shared.timer_repeat.get(&id).copied() {
                            Some((_, Some(every))) => {
                                // Late ticks are not replayed: the next one is a period from now.
                                let next = now.checked_sub(every).map_or(at, |t| at.max(t)) + every;
                                shared.timers.insert((next, id));
                                shared.timer_repeat.insert(id, (next, Some(every)));
                            }
                            _ => {
                                shared.timer_repeat.remove(&id);
                            }
                        }
                        Some(id)
                    }
                    _ => None,
                }
            };
            let Some(id) = due else { break };
            let entry = true;
            self.notify(Hook::Timer, entry, move |ctx| {
                Ok(vec![Value::new_float(ctx.clone(), id as f64)])
            });
        }
    }

    /// Calls a callback whose answer is a yes/no; `None` if it failed or is absent.
    fn decide(
        &mut self,
        hook: Hook,
        defined: bool,
        args: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Vec<Value<'js>>>,
    ) -> Option<bool> {
        if !defined {
            return Some(true);
        }
        self.call(hook, args)
    }

    /// Calls a callback whose result is ignored.
    fn notify(
        &mut self,
        hook: Hook,
        defined: bool,
        args: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Vec<Value<'js>>>,
    ) {
        if defined {
            let _ = self.call(hook, args);
        }
    }

    /// Runs one entry point and the promise jobs it queued under the callback time cap.
    /// Returns its boolean result (false for non-booleans), or `None` on failure.
    fn call(
        &mut self,
        hook: Hook,
        args: impl for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<Vec<Value<'js>>>,
    ) -> Option<bool> {
        if self.stopped {
            return None;
        }
        let Some(budget) = self.budget_left() else {
            Metrics::inc(&self.metrics.script_calls_skipped);
            self.budget_skipped += 1;
            return None;
        };
        self.metrics.script.called(hook);
        let began = Instant::now();
        self.deadline.arm(self.limits.callback_timeout.min(budget));
        let result = self.context.with(|ctx| -> Result<bool, Failure> {
            let run = || -> rquickjs::Result<Value<'_>> {
                let host: Object = ctx.globals().get(HOST_KEY)?;
                let f: Function = host.get(entry_point(hook))?;
                let args = args(&ctx)?;
                let mut list = rquickjs::function::Args::new(ctx.clone(), args.len());
                list.push_args(args)?;
                f.call_arg(list)
            };
            match run().catch(&ctx) {
                Ok(value) => Ok(value.as_bool().unwrap_or(false)),
                Err(e) => Err(classify(&e)),
            }
        });
        let result = result.and_then(|answer| self.run_jobs().map(|()| answer));
        self.refresh_memory();
        let timed_out = self.deadline.disarm();
        let ran = began.elapsed();
        self.budget_used += ran;
        self.metrics.script.hook_duration.observe(ran);
        let exited = lock(&self.shared).exited;
        if exited {
            self.stopped = true;
            debug!(target: "script", "process.exit: the script stops");
            return None;
        }
        match result {
            Ok(answer) => {
                self.consecutive_failures = 0;
                Some(answer)
            }
            Err(failure) => {
                let failure = if timed_out { Failure::Timeout } else { failure };
                self.failed(hook, failure);
                None
            }
        }
    }

    /// What is left of this second's CPU budget, starting a new second when one has passed;
    /// `None` when it is spent.
    fn budget_left(&mut self) -> Option<Duration> {
        if self.clock.saturating_duration_since(self.budget_window) >= Duration::from_secs(1) {
            if self.budget_skipped > 0 {
                warn!(
                    target: "script",
                    skipped = self.budget_skipped,
                    budget_ms = self.limits.cpu_budget.as_millis() as u64,
                    "script callbacks skipped: the script used its CPU time for the second"
                );
            }
            self.budget_window = self.clock;
            self.budget_used = Duration::ZERO;
            self.budget_skipped = 0;
        }
        let left = self.limits.cpu_budget.saturating_sub(self.budget_used);
        (!left.is_zero()).then_some(left)
    }

    /// Runs queued promise jobs until none remain or the time cap stops them.
    fn run_jobs(&mut self) -> Result<(), Failure> {
        for _ in 0..MAX_JOBS_PER_CALL {
            match self.runtime.execute_pending_job() {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(job) => {
                    let failure = job.0.with(|ctx| {
                        let e = ctx.catch();
                        classify_value(&e)
                    });
                    return Err(failure);
                }
            }
        }
        Ok(())
    }

    fn failed(&mut self, hook: Hook, failure: Failure) {
        let m = &self.metrics;
        let name = hook.as_str();
        match &failure {
            Failure::Exception(_) => m.script.errored(hook),
            Failure::Timeout => m.script.timed_out(hook),
            Failure::OutOfMemory => Metrics::inc(&m.script_out_of_memory),
        }
        if let Some(suppressed) = admit_failure_line(&self.shared) {
            match &failure {
                Failure::Exception(message) => warn!(
                    target: "script",
                    callback = name,
                    error = %message,
                    suppressed,
                    "script callback threw"
                ),
                Failure::Timeout => warn!(
                    target: "script",
                    callback = name,
                    limit_ms = self.limits.callback_timeout.as_millis() as u64,
                    suppressed,
                    "script callback ran too long and was stopped"
                ),
                Failure::OutOfMemory => warn!(
                    target: "script",
                    callback = name,
                    limit_bytes = self.limits.memory_limit_bytes,
                    suppressed,
                    "script ran out of memory"
                ),
            }
        }
        self.consecutive_failures += 1;
        let max = self.limits.max_consecutive_failures;
        if max > 0 && self.consecutive_failures >= max {
            error!(target: "script", failures = max, "script keeps failing; ending its game session");
            self.stopped = true;
            let mut shared = lock(&self.shared);
            shared.ending = true;
            shared.effects.push_back(Effect::End);
        }
    }

    /// The hook-message arguments, payload copied into a new ArrayBuffer.
    fn message_args<'js>(
        ctx: &Ctx<'js>,
        message: &HookMessage<'_>,
    ) -> rquickjs::Result<Vec<Value<'js>>> {
        Ok(vec![
            Value::new_int(ctx.clone(), message.opcode),
            Value::new_int(ctx.clone(), message.sender.0),
            Value::new_int(ctx.clone(), message.target_player.0),
            Value::new_int(ctx.clone(), message.target_group.0),
            ArrayBuffer::new_copy(ctx.clone(), message.payload)?.into_value(),
            Value::new_bool(ctx.clone(), message.reliable),
        ])
    }

    fn decision(&self, answer: Option<bool>) -> bool {
        answer.unwrap_or(!self.limits.deny_on_error)
    }
}

impl Hooks for ScriptInstance {
    fn player_connect(&mut self, peer: PeerId, player_session_id: &str, payload: &[u8]) -> bool {
        let entry = self.defined.on_player_connect;
        let answer = self.decide(Hook::PlayerConnect, entry, |ctx| {
            Ok(vec![
                Value::new_int(ctx.clone(), peer.0),
                rquickjs::String::from_str(ctx.clone(), player_session_id)?.into_value(),
                ArrayBuffer::new_copy(ctx.clone(), payload)?.into_value(),
            ])
        });
        self.decision(answer)
    }

    fn player_join_group(&mut self, group: GroupId, peer: PeerId) -> bool {
        let entry = self.defined.on_player_join_group;
        let answer = self.decide(Hook::PlayerJoinGroup, entry, |ctx| {
            Ok(vec![
                Value::new_int(ctx.clone(), group.0),
                Value::new_int(ctx.clone(), peer.0),
            ])
        });
        self.decision(answer)
    }

    fn player_leave_group(&mut self, group: GroupId, peer: PeerId) -> bool {
        let entry = self.defined.on_player_leave_group;
        let answer = self.decide(Hook::PlayerLeaveGroup, entry, |ctx| {
            Ok(vec![
                Value::new_int(ctx.clone(), group.0),
                Value::new_int(ctx.clone(), peer.0),
            ])
        });
        self.decision(answer)
    }

    fn send_to_player(&mut self, message: &HookMessage<'_>) -> bool {
        if !self.defined.on_send_to_player {
            return true;
        }
        let answer = self.call(Hook::SendToPlayer, |ctx| Self::message_args(ctx, message));
        self.decision(answer)
    }

    fn send_to_group(&mut self, message: &HookMessage<'_>) -> bool {
        if !self.defined.on_send_to_group {
            return true;
        }
        let answer = self.call(Hook::SendToGroup, |ctx| Self::message_args(ctx, message));
        self.decision(answer)
    }

    fn message(&mut self, message: &HookMessage<'_>) {
        if !self.defined.on_message {
            return;
        }
        let _ = self.call(Hook::Message, |ctx| Self::message_args(ctx, message));
    }
}

/// A caught error as a failure: the interrupt and out-of-memory errors are told apart by
/// QuickJS's messages. When QuickJS cannot even allocate its "out of memory" error, the
/// exception is `null`, so a thrown `null` counts as out of memory (a script that throws
/// `null` itself is reported so too).
fn classify(error: &CaughtError<'_>) -> Failure {
    match error {
        CaughtError::Exception(e) => classify_message(&exception_text(e)),
        CaughtError::Value(v) if v.is_null() => Failure::OutOfMemory,
        CaughtError::Value(v) => Failure::Exception(describe(v)),
        CaughtError::Error(rquickjs::Error::Allocation) => Failure::OutOfMemory,
        CaughtError::Error(e) => Failure::Exception(e.to_string()),
    }
}

fn classify_value(value: &Value<'_>) -> Failure {
    match value.as_exception() {
        Some(e) => classify_message(&exception_text(e)),
        None if value.is_null() => Failure::OutOfMemory,
        None => Failure::Exception(describe(value)),
    }
}

fn classify_message(text: &str) -> Failure {
    if text.starts_with("InternalError: interrupted") {
        Failure::Timeout
    } else if text.contains("out of memory") {
        Failure::OutOfMemory
    } else {
        Failure::Exception(text.to_owned())
    }
}

/// `Name: message` and the stack's first frames.
fn exception_text(e: &Exception<'_>) -> String {
    let name: String = e.get("name").unwrap_or_else(|_| "Error".into());
    let mut text = format!("{name}: {}", e.message().unwrap_or_default());
    if let Some(stack) = e.stack() {
        for line in stack.lines().filter(|l| !l.trim().is_empty()).take(4) {
            text.push_str(" | ");
            text.push_str(line.trim());
        }
    }
    text
}

fn caught(error: &CaughtError<'_>) -> String {
    match error {
        CaughtError::Exception(e) => exception_text(e),
        CaughtError::Value(v) => describe(v),
        CaughtError::Error(e) => e.to_string(),
    }
}

fn describe(value: &Value<'_>) -> String {
    if let Some(e) = value.as_exception() {
        return exception_text(e);
    }
    match value.get::<rquickjs::Coerced<String>>() {
        Ok(text) => text.0,
        Err(_) => format!("{value:?}"),
    }
}

/// The native functions the prelude builds on.
fn natives<'js>(
    ctx: &Ctx<'js>,
    bundle: Arc<Bundle>,
    shared: Arc<Mutex<Shared>>,
    deadline: Arc<Deadline>,
    metrics: Arc<Metrics>,
) -> rquickjs::Result<Object<'js>> {
    let native = Object::new(ctx.clone())?;
    native.set("crypto", super::crypto::natives(ctx)?)?;

    let s = Arc::clone(&shared);
    native.set(
        "log",
        Func::from(move |level: String, text: String| log_line(&s, &metrics, &level, text)),
    )?;

    let s = Arc::clone(&shared);
    native.set(
        "setTimer",
        Func::from(move |ctx: Ctx<'js>, delay_ms: f64, repeat: bool| {
            let mut shared = lock(&s);
            if shared.timer_repeat.len() >= MAX_TIMERS {
                return Err(Exception::throw_range(
                    &ctx,
                    &format!("too many timers (at most {MAX_TIMERS} at once)"),
                ));
            }
            let delay = Duration::from_secs_f64((delay_ms.max(0.0) / 1000.0).min(1e9));
            let at = shared.clock + delay;
            let id = shared.next_timer;
            shared.next_timer += 1;
            shared.timers.insert((at, id));
            shared
                .timer_repeat
                .insert(id, (at, repeat.then_some(delay)));
            Ok(id as f64)
        }),
    )?;

    let s = Arc::clone(&shared);
    native.set(
        "clearTimer",
        Func::from(move |id: f64| {
            let mut shared = lock(&s);
            let id = id as u64;
            if let Some((at, _)) = shared.timer_repeat.remove(&id) {
                shared.timers.remove(&(at, id));
            }
        }),
    )?;

    let s = Arc::clone(&shared);
    native.set(
        "send",
        Func::from(
            move |ctx: Ctx<'js>,
                  opcode: i32,
                  sender: i32,
                  data: String,
                  target: i32,
                  flags: i32| {
                let (text, group, reliable) = (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0);
                let payload = if text {
                    Bytes::from(data.into_bytes())
                } else {
                    // Char codes 0-255, one per byte (the prelude's latin1()).
                    Bytes::from(data.chars().map(|c| c as u32 as u8).collect::<Vec<u8>>())
                };
                let mut shared = lock(&s);
                if payload.len() > shared.max_reliable_payload {
                    let limit = shared.max_reliable_payload;
                    return Err(Exception::throw_range(
                        &ctx,
                        &format!(
                            "payload of {} bytes is above the {limit}-byte limit",
                            payload.len()
                        ),
                    ));
                }
                if opcode < 0 {
                    return Err(Exception::throw_range(
                        &ctx,
                        "opCode must be zero or positive: negative opcodes are the protocol's own",
                    ));
                }
                push_effect(
                    &ctx,
                    &mut shared,
                    Effect::Send(ServerMessage {
                        opcode,
                        sender: PeerId(sender),
                        payload,
                        target: if group {
                            ServerTarget::Group(GroupId(target))
                        } else {
                            ServerTarget::Player(PeerId(target))
                        },
                        channel: if reliable {
                            Channel::Reliable
                        } else {
                            Channel::Fast
                        },
                    }),
                )
            },
        ),
    )?;

    let s = Arc::clone(&shared);
    native.set(
        "broadcast",
        Func::from(move |ctx: Ctx<'js>, group: i32, target: i32| {
            let mut shared = lock(&s);
            push_effect(
                &ctx,
                &mut shared,
                Effect::Broadcast {
                    group: GroupId(group),
                    target: GroupId(target),
                },
            )
        }),
    )?;

    let s = Arc::clone(&shared);
    native.set(
        "end",
        Func::from(move || {
            let mut shared = lock(&s);
            if !shared.ending {
                shared.ending = true;
                shared.effects.push_back(Effect::End);
            }
        }),
    )?;

    let s = Arc::clone(&shared);
    native.set(
        "exit",
        Func::from(move |code: f64| {
            let mut shared = lock(&s);
            info!(target: "script", code, "process.exit: ending the game session");
            shared.exited = true;
            if !shared.ending {
                shared.ending = true;
                shared.effects.push_back(Effect::End);
            }
            deadline.stop_now();
        }),
    )?;

    let s = Arc::clone(&shared);
    native.set(
        "uptimeMs",
        Func::from(move || lock(&s).started.elapsed().as_secs_f64() * 1000.0),
    )?;

    let s = Arc::clone(&shared);
    native.set(
        "memoryUsage",
        Func::from(move || {
            let mut shared = lock(&s);
            shared.memory_asked = true;
            shared.memory.to_vec()
        }),
    )?;

    // [0] pending, [1, value] fulfilled, [2, reason] rejected: util.inspect shows it.
    native.set(
        "promiseState",
        Func::from(
            |ctx: Ctx<'js>, promise: Value<'js>| -> rquickjs::Result<Vec<Value<'js>>> {
                let Some(promise) = promise.into_promise() else {
                    return Ok(Vec::new());
                };
                let code = |n: i32| Value::new_int(ctx.clone(), n);
                Ok(match promise.state() {
                    PromiseState::Pending => vec![code(0)],
                    PromiseState::Resolved => match promise.result::<Value<'js>>() {
                        Some(Ok(value)) => vec![code(1), value],
                        _ => vec![code(0)],
                    },
                    PromiseState::Rejected => {
                        let _ = promise.result::<Value<'js>>();
                        vec![code(2), ctx.catch()]
                    }
                })
            },
        ),
    )?;

    let files = Arc::clone(&bundle);
    native.set(
        "resolve",
        Func::from(move |dir: String, name: String| super::resolve::resolve(&files, &dir, &name)),
    )?;

    let files = Arc::clone(&bundle);
    native.set(
        "source",
        Func::from(
            move |ctx: Ctx<'js>, path: String| match files.files.get(&path) {
                Some(source) => Ok(source.clone()),
                None => Err(Exception::throw_message(&ctx, &format!("no file {path}"))),
            },
        ),
    )?;

    native.set(
        "builtin",
        Func::from(
            move |ctx: Ctx<'js>, name: String| -> rquickjs::Result<Option<Function<'js>>> {
                // A built-in's name, or the path of a Realtime server file `resolve` found.
                let found = match super::node::server_file(&name) {
                    Some(internal) => Some(internal),
                    None => super::node::source(&name).map(|source| (name.as_str(), source)),
                };
                let Some((module, source)) = found else {
                    return Ok(None);
                };
                let mut options = EvalOptions::default();
                options.global = true;
                options.strict = false;
                options.filename = Some(format!("node:{module}"));
                ctx.eval_with_options(super::node::wrap(source), options)
                    .map(Some)
            },
        ),
    )?;

    native.set(
        "compile",
        Func::from(
            move |ctx: Ctx<'js>, path: String| -> rquickjs::Result<Function<'js>> {
                let Some(source) = bundle.files.get(&path) else {
                    return Err(Exception::throw_message(&ctx, &format!("no file {path}")));
                };
                let mut options = EvalOptions::default();
                options.global = true;
                options.strict = false;
                options.filename = Some(path.clone());
                ctx.eval_with_options(wrap_commonjs(source), options)
            },
        ),
    )?;
    Ok(native)
}

fn push_effect<'js>(ctx: &Ctx<'js>, shared: &mut Shared, effect: Effect) -> rquickjs::Result<()> {
    if shared.effects.len() >= MAX_PENDING_EFFECTS {
        return Err(Exception::throw_range(
            ctx,
            &format!("too many messages queued at once (at most {MAX_PENDING_EFFECTS})"),
        ));
    }
    let bytes = shared.effects_bytes + effect.cost();
    if bytes > shared.max_effects_bytes {
        let max = shared.max_effects_bytes;
        return Err(Exception::throw_range(
            ctx,
            &format!("too many message bytes queued at once (at most {max})"),
        ));
    }
    shared.effects_bytes = bytes;
    shared.effects.push_back(effect);
    Ok(())
}

/// Whether a line about a failure of the script may be logged now: `Some` with the number of
/// such lines held back since the last one (`None` in the line when there were none).
fn admit_failure_line(shared: &Mutex<Shared>) -> Option<Option<u64>> {
    let suppressed = lock(shared).failure_log.admit(Instant::now())?;
    Some((suppressed > 0).then_some(suppressed))
}

/// A script log line, within the per-second budget.
fn log_line(shared: &Mutex<Shared>, metrics: &Metrics, level: &str, mut text: String) {
    {
        let mut shared = lock(shared);
        let now = Instant::now();
        if now.duration_since(shared.log_window) >= Duration::from_secs(1) {
            if shared.log_suppressed > 0 {
                warn!(target: "script", suppressed = shared.log_suppressed, "script log lines dropped over the rate limit");
            }
            shared.log_window = now;
            shared.log_lines = 0;
            shared.log_suppressed = 0;
        }
        if shared.log_lines >= LOG_LINES_PER_SEC {
            shared.log_suppressed += 1;
            Metrics::inc(&metrics.script_log_lines_dropped);
            return;
        }
        shared.log_lines += 1;
    }
    if text.len() > MAX_LOG_LINE_BYTES {
        let mut cut = MAX_LOG_LINE_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    match level {
        "error" => error!(target: "script", "{text}"),
        "warn" => warn!(target: "script", "{text}"),
        "debug" => debug!(target: "script", "{text}"),
        _ => info!(target: "script", "{text}"),
    }
}
