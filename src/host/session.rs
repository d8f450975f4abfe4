//! The task that owns one game session's core and script: starts the script, feeds the core
//! messages from connections and the UDP socket with the current time, performs its outputs
//! without ever awaiting a peer, applies what the script asks for, and sleeps until the next
//! timeout of the core, the script's timers or the health check.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use super::fast_path::Flushed;
use super::outbound::Outbound;
use super::outbound::Refused;
use super::script_pool::Offload;
use super::store_writer::RecordChange;
use super::{Host, SessionHandle};
use crate::catalog::{GameSession, GameSessionSpec, GameSessionStatus, ScriptRef};
use crate::core::{
    CloseReason, ConnId, GameSessionId, LoginRefusal, LoginRequest, Output, Session, SessionConfig,
    login_refused_frame,
};
use crate::metrics::Metrics;
use crate::protocol::{Packet, PeerId};
use crate::script::{Bundle, Effect, Limits, ScriptInstance};

/// Most queued messages handled per wake before outputs are performed, so one busy session
/// cannot starve its own timers. It also bounds what one wake queues for a recipient: at
/// most 65 frames from players, well within the outbound queue's budget
/// (`limits.outbound_queue_bytes`), and the task yields before the next wake, so a reader
/// whose writer keeps up never overflows, and one that falls behind for many wakes does.
const MAX_BATCH: usize = 64;

/// Further turns of the runtime a session woken by a lone message waits while each brings
/// more messages, to handle a burst that is still arriving in one wake.
const GATHER_TURNS: usize = 4;

/// Rounds of "perform outputs, then apply the script's effects" per wake: effects can cause
/// callbacks (a player leaving) that queue more effects. Each round is bounded by the
/// script's own limits; what is left waits for the next wake.
const MAX_EFFECT_ROUNDS: usize = 8;

/// The status reason of a game session ended by a drain, as of TerminateGameSession with
/// `TRIGGER_ON_PROCESS_TERMINATE`: both run the script's onProcessTerminate.
const TRIGGERED_ON_PROCESS_TERMINATE: &str = "TRIGGERED_ON_PROCESS_TERMINATE";

/// Longest a game session whose script did not start stays to answer the logins that reached
/// it; it leaves sooner, once no connection holds its queue.
const REFUSE_LINGER: Duration = Duration::from_secs(5);

/// The core of a game session that may run a script.
type Core = Session<Option<ScriptInstance>>;

/// What connections, the UDP reader and the library API tell a session task.
#[derive(Debug)]
pub(crate) enum SessionMsg {
    /// A LOGIN admitted to this session, with the connection's outbound queue.
    Login {
        conn: ConnId,
        request: LoginRequest,
        link: Outbound,
    },
    /// A packet from a logged-in connection's WebSocket.
    Packet { conn: ConnId, packet: Packet },
    /// A plain datagram whose `sender` is a player of this session, or that came from a
    /// player's bound address.
    Datagram { from: SocketAddr, packet: Packet },
    /// VERIFY_IDENTITY from the DTLS association at `from`, naming a player of this session.
    /// `reply` hears the peer the association is now bound to, or `None` to close it;
    /// `link` is the association's outbound queue, which the session keeps while bound.
    Verify {
        from: SocketAddr,
        packet: Packet,
        link: flume::Sender<Bytes>,
        reply: oneshot::Sender<Option<PeerId>>,
    },
    /// A packet from the DTLS association at `from`, bound to `peer`.
    SecureDatagram {
        from: SocketAddr,
        peer: PeerId,
        packet: Packet,
    },
    /// The DTLS association at `addr`, bound to `peer`, ended from the client's side.
    FastLost { peer: PeerId, addr: SocketAddr },
    /// A pong (or other sign of life) on a connection.
    Heard { conn: ConnId },
    /// The connection ended.
    Closed { conn: ConnId },
    /// End the game session. The script's onProcessTerminate runs first; unless `force`, the
    /// script then has `scripts.terminate_grace` to end the session itself.
    Terminate { force: bool },
}

/// How a game session starts: its script, if any, and who waits for the outcome.
pub(crate) struct Start {
    pub config: SessionConfig,
    pub script: Option<Arc<Bundle>>,
    /// The record handed to onStartGameSession; `None` in dev mode.
    pub record: Option<GameSession>,
    /// Told whether the session started (with the script it runs) or why not.
    pub ready: Option<oneshot::Sender<Result<Option<ScriptRef>, String>>>,
}

pub(crate) async fn run(
    host: Arc<Host>,
    handle: SessionHandle,
    start: Start,
    rx: flume::Receiver<SessionMsg>,
) {
    let Start {
        mut config,
        script,
        record,
        ready,
    } = start;
    let script = match script {
        None => None,
        Some(bundle) => match start_script(&host, bundle, &handle, &mut config, record).await {
            Ok(instance) => Some(instance),
            Err(reason) => {
                host.directory.remove_session(&handle.id);
                // The creator records the failure (dev-mode sessions have no record).
                if let Some(ready) = ready {
                    let _ = ready.send(Err(reason));
                }
                refuse_logins(&host, handle, rx).await;
                return;
            }
        },
    };
    let script_ref = script.as_ref().map(|s: &ScriptInstance| {
        let bundle = s.bundle();
        ScriptRef {
            id: bundle.script_id.clone(),
            version: bundle.version.clone(),
            revision: bundle.revision,
        }
    });
    if let Some(ready) = ready {
        let _ = ready.send(Ok(script_ref));
    }
    let has_script = script.is_some();
    let health_check_interval = host.config.scripts.health_check_interval;
    let mut core = Session::with_hooks(config, host.peer_ids.clone(), script);
    let mut task = SessionTask {
        terminate_grace: host.config.scripts.terminate_grace,
        host,
        handle,
        links: HashMap::new(),
        dtls_links: HashMap::new(),
        ending: None,
        draining: false,
        heard_terminate: false,
        health_check_interval,
        next_health_check: has_script.then(|| Instant::now() + health_check_interval),
        healthy: true,
        close: CloseReason::SessionEnded,
        catalog_updates: Vec::new(),
    };
    debug!("session started");
    let mut inbox = rx.stream();
    let mut offload = Offload::default();
    let id = task.handle.id.clone();
    let metrics = Arc::clone(&task.host.metrics);
    loop {
        let deadline = task.poll_timeout(&core);
        let wake = tokio::select! {
            biased;
            () = task.host.shutdown.cancelled() => Wake::Shutdown,
            () = task.host.drain.cancelled(), if !task.draining => Wake::Drain,
            msg = inbox.next() => match msg {
                Some(msg) => Wake::Message(msg),
                // The directory holds a sender until this task removes it, so `None` cannot
                // happen; treat it as an end all the same.
                None => break,
            },
            () = sleep_until(deadline) => Wake::Timeout,
        };
        if matches!(wake, Wake::Message(_)) && rx.is_empty() {
            // Woken by a lone message: let the connections and the UDP reader that are ready
            // now add theirs first (players of a game often send in the same tick), so that
            // this wake handles them together and each recipient's writer gets one batch of
            // frames to write at once instead of one write per frame. While each turn brings
            // more (a burst still arriving), wait a few more turns for the rest of it.
            tokio::task::yield_now().await;
            let mut queued = rx.len();
            for _ in 0..GATHER_TURNS {
                if queued == 0 {
                    break;
                }
                tokio::task::yield_now().await;
                let now = rx.len();
                if now == queued {
                    break;
                }
                queued = now;
            }
        }
        let now = Instant::now().into_std();
        if has_script && offload.is_slow(now, &metrics) && task.host.script_pool.has_slow_lane() {
            let host = Arc::clone(&task.host);
            let rx = rx.clone();
            // Timed by the clock here: at the lowest priority a busy host gives a looping
            // script little CPU, and by CPU time alone it would look quick and come back.
            let work = move || {
                let began = std::time::Instant::now();
                wake_up(&mut task, &mut core, &rx, wake, now);
                (task, core, began.elapsed())
            };
            let Some((back, back_core, took)) = host.script_pool.run_slow(work).await else {
                error!("the game session's task failed on the slow lane; it ends");
                host.directory.remove_session(&id);
                return;
            };
            (task, core) = (back, back_core);
            offload.record(now, took, &metrics);
        } else if has_script {
            offload.run(now, &metrics, || {
                wake_up(&mut task, &mut core, &rx, wake, now);
            });
        } else {
            wake_up(&mut task, &mut core, &rx, wake, now);
        }
        if !task.catalog_updates.is_empty() {
            task.send_catalog_updates().await;
        }
        if task.drained_empty(&core) {
            debug!("no players left in the draining game session; ending it");
            task.ending = Some(Ending::Now);
            task.perform_all(&mut core);
        }
        if task.ending == Some(Ending::Now) {
            break;
        }
        if !rx.is_empty() {
            // More is waiting: let the connections' writers run first, so that what this
            // wake queued for them drains before the next batch adds to it.
            tokio::task::yield_now().await;
        }
    }
    offload.leave(&metrics);
    task.finish(&mut core).await;
}

/// Starts the script unless its revision failed to start shortly before (the backoff of
/// [`super::backoff`]), and tells the backoff how the start went. Counted and logged here.
async fn start_script(
    host: &Arc<Host>,
    bundle: Arc<Bundle>,
    handle: &SessionHandle,
    config: &mut SessionConfig,
    record: Option<GameSession>,
) -> Result<ScriptInstance, String> {
    let (script_id, revision) = (bundle.script_id.clone(), bundle.revision);
    let held = host
        .script_backoff()
        .begin(std::time::Instant::now(), &script_id, revision);
    if let Err(wait) = held {
        Metrics::inc(&host.metrics.script_starts_held_back);
        let reason = if wait.is_zero() {
            "the script failed to start recently; another game session is trying it again"
                .to_owned()
        } else {
            format!(
                "the script failed to start recently; it is tried again in {} s",
                wait.as_secs_f64().ceil()
            )
        };
        debug!(script = %script_id, revision, %reason, "script start held back");
        return Err(reason);
    }
    let started = load_script(host, bundle, handle, config, record).await;
    match &started {
        Ok(_) => host.script_backoff().started(&script_id, revision),
        Err(reason) => {
            warn!(script = %script_id, revision, %reason, "script failed to start");
            Metrics::inc(&host.metrics.script_start_failures);
            host.script_backoff()
                .failed(std::time::Instant::now(), &script_id, revision);
        }
    }
    started
}

/// The script did not start, so the game session does not run: the logins that reached it
/// (queued while the script started, or sent by connections that found the game session
/// just before it left the directory) get a failed LOGIN_RESULT and a 1008 close naming the
/// reason. Returns once no connection holds the queue, at shutdown, or after
/// [`REFUSE_LINGER`].
async fn refuse_logins(host: &Host, handle: SessionHandle, rx: flume::Receiver<SessionMsg>) {
    drop(handle); // Only the connections' handles keep the queue open now.
    let refusal = LoginRefusal::ScriptStartFailed;
    let refuse_all = async {
        while let Ok(msg) = rx.recv_async().await {
            match msg {
                SessionMsg::Login {
                    conn,
                    request,
                    link,
                } => {
                    debug!(%conn, reason = refusal.as_str(), "login refused");
                    Metrics::inc(host.metrics.refused(refusal));
                    let completed = host
                        .catalog
                        .complete(SystemTime::now(), &request.player_session_id);
                    host.log_catalog_error(completed.await);
                    // A fresh queue: room for both.
                    let _ = link.push_frame(login_refused_frame(), false);
                    let _ = link.push_close(CloseReason::LoginRefused(refusal));
                }
                SessionMsg::Verify { reply, .. } => {
                    let _ = reply.send(None); // The association may be gone already.
                }
                _ => {}
            }
        }
    };
    tokio::select! {
        () = host.shutdown.cancelled() => {}
        _ = tokio::time::timeout(REFUSE_LINGER, refuse_all) => {}
    }
}

/// Loads the script off the async threads (its start may run up to the activation timeout),
/// applies its configuration, and runs onProcessStarted and onStartGameSession.
async fn load_script(
    host: &Arc<Host>,
    bundle: Arc<Bundle>,
    handle: &SessionHandle,
    config: &mut SessionConfig,
    record: Option<GameSession>,
) -> Result<ScriptInstance, String> {
    let scripts = &host.config.scripts;
    let limits = Limits {
        callback_timeout: scripts.callback_timeout,
        cpu_budget: scripts.cpu_budget,
        start_timeout: scripts.activation_timeout,
        memory_limit_bytes: scripts.memory_limit_bytes,
        deny_on_error: scripts.deny_on_error,
        max_consecutive_failures: scripts.max_consecutive_failures,
        max_queued_send_bytes: host.live().limits.outbound_queue_bytes / 2,
    };
    let id = handle.id.to_string();
    let metrics = Arc::clone(&host.metrics);
    let max_payload = config.max_reliable_payload;
    let span = tracing::Span::current();
    // The semaphore is never closed.
    let _permit = host
        .script_starts
        .acquire()
        .await
        .map_err(|_| "the server is stopping".to_owned())?;
    let mut instance = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        ScriptInstance::start(bundle, &id, limits, max_payload, metrics)
    })
    .await
    .map_err(|e| format!("the script start was cancelled: {e}"))?
    .map_err(|e| e.to_string())?;
    let configuration = instance.configuration();
    if let Some(max_players) = configuration.max_players {
        config.max_players = config.max_players.min(max_players);
    }
    if let Some(interval) = configuration.ping_interval {
        config.ping_interval = interval;
        // Liveness is judged at each ping, so a player must be given more than one interval
        // to answer: AWS's own example pings every 30 s against the default 30 s timeout.
        config.idle_timeout = config.idle_timeout.max(interval.saturating_mul(2));
    }
    if !instance.process_started() {
        return Err("the script's onProcessStarted returned false".into());
    }
    let json = game_session_json(host, &handle.id, config.max_players, record.as_ref());
    instance.start_game_session(&json);
    Metrics::inc(&host.metrics.script_starts);
    info!(
        script = %instance.bundle().script_id,
        revision = instance.bundle().revision,
        memory_bytes = instance.memory_used(),
        "script started"
    );
    Ok(instance)
}

/// The GameSession object onStartGameSession receives, in the GameLift SDKs' member names.
/// A dev-mode game session has no record: its id and player limit stand in.
fn game_session_json(
    host: &Host,
    id: &GameSessionId,
    max_players: usize,
    record: Option<&GameSession>,
) -> String {
    let default = GameSessionSpec {
        max_players: u32::try_from(max_players).unwrap_or(u32::MAX),
        location: host.config.fleet.location.clone(),
        ..Default::default()
    };
    let spec = record.map_or(&default, |r| &r.spec);
    serde_json::json!({
        "GameSessionId": id.as_str(),
        "Name": spec.name,
        "FleetId": host.config.fleet.id,
        "MaximumPlayerSessionCount": spec.max_players,
        "GameProperties": spec.properties.iter()
            .map(|(key, value)| serde_json::json!({"Key": key, "Value": value}))
            .collect::<Vec<_>>(),
        "GameSessionData": spec.game_session_data,
        "MatchmakerData": spec.matchmaker_data,
        "CreatorId": spec.creator_id,
        "Location": spec.location,
        "IpAddress": host.endpoint.ip.to_string(),
        "DnsName": host.endpoint.dns_name,
        "Port": host.endpoint.port,
    })
    .to_string()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// One wake's work: the script's clock moves to `now`, the core takes what woke the task
/// (with what else is queued, up to a batch), and its outputs go out.
fn wake_up(
    task: &mut SessionTask,
    core: &mut Core,
    rx: &flume::Receiver<SessionMsg>,
    wake: Wake,
    now: std::time::Instant,
) {
    if let Some(script) = core.hooks_mut() {
        script.set_clock(now);
    }
    match wake {
        Wake::Shutdown => {
            task.close = CloseReason::ServerShutdown;
            task.terminate(core, true);
        }
        Wake::Drain => task.drain(core),
        Wake::Message(msg) => {
            task.handle(core, msg);
            for _ in 0..MAX_BATCH {
                let Ok(msg) = rx.try_recv() else { break };
                task.handle(core, msg);
            }
        }
        Wake::Timeout => task.handle_timeout(core),
    }
    task.perform_all(core);
}

/// What woke a session task.
enum Wake {
    Shutdown,
    Drain,
    Message(SessionMsg),
    Timeout,
}

/// How far the session is on its way out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// onProcessTerminate ran; the script may end the session until this time.
    Graceful(Instant),
    /// End now: close everyone and stop.
    Now,
}

struct SessionTask {
    host: Arc<Host>,
    handle: SessionHandle,
    links: HashMap<ConnId, Outbound>,
    /// Outbound queues of the DTLS associations bound to players, by address.
    dtls_links: HashMap<SocketAddr, flume::Sender<Bytes>>,
    ending: Option<Ending>,
    /// The server is draining: the session ends once no one is connected.
    draining: bool,
    /// The script's onProcessTerminate has run (it runs once, however the end comes).
    heard_terminate: bool,
    terminate_grace: Duration,
    health_check_interval: Duration,
    next_health_check: Option<Instant>,
    healthy: bool,
    /// How players are told goodbye when the session ends.
    close: CloseReason,
    /// Changes for the catalog, sent at the next await: outputs are performed without one.
    catalog_updates: Vec<CatalogUpdate>,
}

/// A change a session task makes to its game session's records.
enum CatalogUpdate {
    /// A player session's player left, or its login was refused.
    Completed(String),
    /// The game session is winding down, for this reason.
    Terminating(&'static str),
}

impl SessionTask {
    /// Feeds one message to the core.
    fn handle(&mut self, core: &mut Core, msg: SessionMsg) {
        let now = Instant::now().into_std();
        match msg {
            SessionMsg::Login {
                conn,
                request,
                link,
            } => {
                self.links.insert(conn, link);
                let player_session_id = request.player_session_id.clone();
                if let Err(refusal) = core.handle_login(now, conn, request) {
                    debug!(%conn, reason = refusal.as_str(), "login refused");
                    Metrics::inc(self.host.metrics.refused(refusal));
                    self.catalog_updates
                        .push(CatalogUpdate::Completed(player_session_id));
                }
            }
            SessionMsg::Packet { conn, packet } => core.handle_packet(now, conn, packet),
            SessionMsg::Datagram { from, packet } => core.handle_datagram(now, from, packet),
            SessionMsg::Verify {
                from,
                packet,
                link,
                reply,
            } => {
                let bound = core.handle_verify_identity(now, from, &packet);
                if bound.is_some() {
                    self.dtls_links.insert(from, link);
                }
                let _ = reply.send(bound); // The association may have timed out meanwhile.
            }
            SessionMsg::SecureDatagram { from, peer, packet } => {
                core.handle_secure_datagram(now, from, peer, packet);
            }
            SessionMsg::FastLost { peer, addr } => core.handle_fast_lost(peer, addr),
            SessionMsg::Heard { conn } => core.handle_heard(now, conn),
            SessionMsg::Closed { conn } => {
                self.links.remove(&conn);
                core.handle_closed(conn);
            }
            SessionMsg::Terminate { force } => self.terminate(core, force),
        }
    }

    /// The session is being ended from outside: the script hears of it first.
    fn terminate(&mut self, core: &mut Core, force: bool) {
        if self.ending == Some(Ending::Now) {
            return;
        }
        self.tell_terminate(core);
        let had_script = core.hooks_mut().is_some();
        self.ending = if force || !had_script {
            Some(Ending::Now)
        } else {
            Some(Ending::Graceful(Instant::now() + self.terminate_grace))
        };
    }

    /// The server started draining: the record shows TERMINATING, the script hears
    /// onProcessTerminate, and the session ends by itself (the script's processEnding, or
    /// its last player leaving) or when the server's drain grace is over.
    fn drain(&mut self, core: &mut Core) {
        self.draining = true;
        self.catalog_updates
            .push(CatalogUpdate::Terminating(TRIGGERED_ON_PROCESS_TERMINATE));
        self.tell_terminate(core);
    }

    /// Sends the catalog what changed, in order.
    async fn send_catalog_updates(&mut self) {
        for update in std::mem::take(&mut self.catalog_updates) {
            let change = match update {
                CatalogUpdate::Completed(player_session) => RecordChange::Completed {
                    at: SystemTime::now(),
                    player_session,
                },
                CatalogUpdate::Terminating(reason) => RecordChange::Terminating {
                    game_session: self.handle.id.clone(),
                    reason,
                },
            };
            self.host.record(change).await;
        }
    }

    /// Runs the script's onProcessTerminate, once.
    fn tell_terminate(&mut self, core: &mut Core) {
        if self.heard_terminate {
            return;
        }
        self.heard_terminate = true;
        if let Some(script) = core.hooks_mut() {
            script.process_terminate();
        }
    }

    /// Draining, not ending yet, and no one connected or logging in.
    fn drained_empty(&self, core: &Core) -> bool {
        self.draining
            && self.ending != Some(Ending::Now)
            && self.links.is_empty()
            && core.player_count() == 0
    }

    fn poll_timeout(&self, core: &Core) -> Option<Instant> {
        let script = core
            .hooks()
            .as_ref()
            .and_then(ScriptInstance::poll_timeout)
            .map(Instant::from_std);
        let grace = match self.ending {
            Some(Ending::Graceful(at)) => Some(at),
            _ => None,
        };
        [
            core.poll_timeout().map(Instant::from_std),
            script,
            self.next_health_check,
            grace,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn handle_timeout(&mut self, core: &mut Core) {
        let now = Instant::now();
        core.handle_timeout(now.into_std());
        if let Some(script) = core.hooks_mut() {
            script.handle_timeout(now.into_std());
        }
        if let Some(Ending::Graceful(at)) = self.ending
            && at <= now
        {
            debug!("the script did not end its game session in time; ending it");
            self.ending = Some(Ending::Now);
        }
        if self.next_health_check.is_some_and(|at| at <= now) {
            self.next_health_check = Some(now + self.health_check_interval);
            let healthy = core
                .hooks_mut()
                .as_mut()
                .is_none_or(ScriptInstance::health_check);
            self.set_health(healthy);
        }
    }

    fn set_health(&mut self, healthy: bool) {
        let metrics = &self.host.metrics;
        if !healthy {
            Metrics::inc(&metrics.script_health_checks_failed);
        }
        if healthy != self.healthy {
            self.healthy = healthy;
            if healthy {
                Metrics::dec(&metrics.script_sessions_unhealthy);
                info!("script healthy again");
            } else {
                Metrics::inc(&metrics.script_sessions_unhealthy);
                warn!("script reports unhealthy");
            }
        }
    }

    /// Performs the core's outputs and applies the script's effects, in rounds, so a message
    /// the script sends while a player joins goes out after that player's login result.
    fn perform_all(&mut self, core: &mut Core) {
        for _ in 0..MAX_EFFECT_ROUNDS {
            self.perform(core);
            if !self.apply_effects(core) {
                break;
            }
        }
        if self.ending == Some(Ending::Now) {
            core.handle_end(self.close);
            self.perform(core);
            while self.apply_effects(core) {} // Drain: only sends to nobody remain.
        }
    }

    /// Applies the script's queued effects; true if there were any.
    fn apply_effects(&mut self, core: &mut Core) -> bool {
        let mut any = false;
        let now = Instant::now().into_std();
        while let Some(effect) = core
            .hooks_mut()
            .as_mut()
            .and_then(ScriptInstance::poll_effect)
        {
            any = true;
            match effect {
                Effect::Send(message) => core.handle_server_message(now, message),
                Effect::Broadcast { group, target } => {
                    core.handle_membership_broadcast(group, target);
                }
                Effect::End => {
                    debug!("the script ends its game session");
                    self.ending = Some(Ending::Now);
                }
            }
        }
        any
    }

    /// The session is over: the script's processEnding promises resolve, the record ends.
    async fn finish(mut self, core: &mut Core) {
        if let Some(script) = core.hooks_mut() {
            script.ended();
        }
        if !self.healthy {
            self.set_health(true);
        }
        self.host.directory.remove_session(&self.handle.id);
        self.send_catalog_updates().await;
        self.host
            .record(RecordChange::Ended {
                at: SystemTime::now(),
                game_session: self.handle.id.clone(),
                status: GameSessionStatus::Terminated,
            })
            .await;
        debug!("session ended");
    }

    /// Performs every pending output. Never awaits: a full queue drops a droppable frame or
    /// closes the connection as a slow reader, and a full socket buffer drops the datagram.
    fn perform(&mut self, core: &mut Core) {
        let metrics = &self.host.metrics;
        // Counted here and added once per batch: one atomic add per counter, not per output.
        let mut sent = Sent::default();
        while let Some(output) = core.poll_output() {
            match output {
                Output::Send {
                    conn,
                    frame,
                    droppable,
                } => {
                    let Some(link) = self.links.get(&conn) else {
                        continue;
                    };
                    let len = frame.len() as u64;
                    match link.push_frame(frame, droppable) {
                        Ok(()) => {
                            sent.reliable += 1;
                            sent.reliable_bytes += len;
                            // A fast-intent message, on the WebSocket for want of a fast path.
                            sent.fallbacks += u64::from(droppable);
                        }
                        Err(Refused::Dropped) => Metrics::inc(&metrics.dropped_slow_reader),
                        Err(Refused::Full) => {
                            debug!(%conn, "closing slow reader");
                            Metrics::inc(&metrics.slow_reader_closes);
                            // Close it now and forget its link: frames this batch still holds
                            // for it are skipped instead of closing (and counting) it again.
                            if let Some(link) = self.links.remove(&conn) {
                                link.kill(CloseReason::SlowReader);
                            }
                            core.handle_close(conn, CloseReason::SlowReader);
                        }
                        Err(Refused::Closed) => {} // Its Closed message is on the way.
                    }
                }
                Output::SendFast {
                    to,
                    secure: false,
                    seq,
                    packet,
                } => {
                    sent.datagrams += self.host.fast.queue(to, seq, &packet);
                }
                Output::SendFast {
                    to,
                    secure: true,
                    seq,
                    packet,
                } => {
                    // Each recipient's record is encrypted apart, by its association's task,
                    // which counts the bytes it sends.
                    let queued = self
                        .dtls_links
                        .get(&to)
                        .is_some_and(|link| link.try_send(packet.to_bytes(seq)).is_ok());
                    if queued {
                        sent.datagrams.sent += 1;
                    } else {
                        sent.datagrams.failed += 1;
                    }
                }
                Output::Bind { peer, addr, secure } => {
                    debug!(%peer, %addr, secure, "fast channel bound");
                    // Secure binds are counted by the association (`dtls_bound`).
                    if !secure {
                        Metrics::inc(&metrics.fast_binds_plain);
                        let handle = self.handle.clone();
                        self.host.fast.bind_addr(addr, peer, handle);
                    }
                }
                Output::Unbind { peer, addr, secure } => {
                    if secure {
                        self.dtls_links.remove(&addr); // Its association closes.
                    } else {
                        self.host.fast.unbind_addr(addr, peer);
                    }
                }
                Output::Ping { conn } => {
                    if let Some(link) = self.links.get(&conn) {
                        link.push_ping();
                    }
                }
                Output::Close { conn, reason } => {
                    match reason {
                        CloseReason::IdleTimeout => {
                            debug!(%conn, "closing dead peer");
                            Metrics::inc(&metrics.idle_timeouts);
                        }
                        CloseReason::OverRate => {
                            debug!(%conn, "closing a player over its message rate");
                            Metrics::inc(&metrics.over_rate_closes);
                        }
                        _ => {}
                    }
                    if let Some(link) = self.links.remove(&conn) {
                        let _ = link.push_close(reason); // The connection may be gone already.
                    }
                }
                Output::PlayerJoined {
                    conn,
                    peer,
                    player_session_id,
                } => {
                    debug!(%conn, %peer, "player joined");
                    Metrics::inc(&metrics.logins_accepted);
                    self.host.fast.insert_peer(peer, self.handle.clone());
                    if let Some(script) = core.hooks_mut() {
                        script.player_accepted(peer, &player_session_id);
                    }
                }
                Output::PlayerLeft {
                    peer,
                    player_session_id,
                } => {
                    debug!(%peer, "player left");
                    self.host.fast.remove_peer(peer);
                    self.catalog_updates
                        .push(CatalogUpdate::Completed(player_session_id));
                    if let Some(script) = core.hooks_mut() {
                        script.player_disconnected(peer);
                    }
                }
                Output::Dropped { peer, reason } => {
                    debug!(%peer, reason = reason.as_str(), "dropped packet");
                    Metrics::inc(metrics.dropped(reason));
                }
            }
        }
        sent.datagrams += self.host.fast.flush();
        sent.publish(metrics);
    }
}

/// What one [`SessionTask::perform`] sent, published to the metrics at its end.
#[derive(Default)]
struct Sent {
    reliable: u64,
    reliable_bytes: u64,
    fallbacks: u64,
    datagrams: Flushed,
}

impl Sent {
    /// Adds the non-zero figures to the counters (an add of zero is still an atomic write).
    fn publish(&self, metrics: &Metrics) {
        let counts = [
            (&metrics.reliable_out, self.reliable),
            (&metrics.reliable_bytes_out, self.reliable_bytes),
            (&metrics.fast_fallbacks, self.fallbacks),
            (&metrics.fast_out, self.datagrams.sent),
            (&metrics.fast_bytes_out, self.datagrams.bytes),
            (&metrics.fast_send_errors, self.datagrams.failed),
        ];
        for (counter, n) in counts {
            if n > 0 {
                Metrics::add(counter, n);
            }
        }
    }
}
