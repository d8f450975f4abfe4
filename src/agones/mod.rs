//! The Agones SDK in the host: when the host runs as an Agones GameServer (`[agones]`), it
//! tells the SDK server (the pod's sidecar) what the host is doing. [`Agones::start`], called
//! by `Server::bind`, connects and reads the GameServer's address and ports from its status
//! (`GetGameServer`, then `WatchGameServer` until they are set) so game sessions advertise
//! what players can reach; [`run`] is one task of its own that says `Ready` once the
//! listeners are up, sends `Health` on a timer while the host is healthy, says `Allocate`
//! when the host starts holding game sessions and `Ready` when it is empty again, keeps the
//! `game-sessions` and `players` Counters (count and capacity) in step with the host, labels
//! the GameServer with the host's location and version, and says `Shutdown` when the server
//! is done ([`Handle::finish`]).
//!
//! The task polls the host's counts (a few atomic reads); nothing on the message path or in
//! a session task ever waits on the SDK. A failed call is logged (a few lines a minute),
//! counted (`volley_agones_errors_total`) and tried again after a back-off; the health
//! stream is opened again when it breaks. None of it is fatal: without the sidecar, game
//! sessions go on. What to call is decided by [`plan`], a pure function of what was last
//! reported and what the host looks like now.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use crate::config::AgonesConfig;
use crate::host::Host;
use crate::log_limit::LogLimit;
use crate::metrics::Metrics;

/// The Counter of game sessions on this host (count: running; capacity:
/// `limits.max_game_sessions`). The Fleet and FleetAutoscaler name it too.
pub const GAME_SESSIONS_COUNTER: &str = "game-sessions";
/// The Counter of players connected to this host (capacity: `limits.max_connections`).
pub const PLAYERS_COUNTER: &str = "players";

/// Longest one SDK call may take before it counts as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest one attempt to reach the SDK server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The back-off after the first failure; it doubles with each further one, up to the max.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why the SDK server could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AgonesError {
    /// A call failed.
    #[error("agones sdk: {0}")]
    Sdk(#[from] ::agones::errors::Error),
    /// A call took longer than its timeout.
    #[error("agones sdk: timed out")]
    Timeout,
    /// The GameServer's status never had an address and the game port.
    #[error("agones sdk: the GameServer status has no address or no port named {0:?}")]
    NoAddress(String),
}

/// What the GameServer's status says players reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advertised {
    /// The GameServer's address: an IP address or a DNS name.
    pub address: String,
    /// The host port of the WebSocket (`agones.ws_port`).
    pub port: u16,
    /// The host port of the fast channel (`agones.fast_port`, or the WebSocket's when that
    /// names none), if the GameServer has one.
    pub fast_port: Option<u16>,
}

impl Advertised {
    /// The address and ports of `status`, if it has an address and the WebSocket's port.
    pub fn of(status: &::agones::Status, settings: &AgonesConfig) -> Option<Self> {
        let port = |name: &str| {
            status
                .ports
                .iter()
                .find(|p| !name.is_empty() && p.name == name)
                .and_then(|p| u16::try_from(p.port).ok())
                .filter(|&p| p != 0)
        };
        if status.address.is_empty() {
            return None;
        }
        let ws = port(&settings.ws_port)?;
        Some(Self {
            address: status.address.clone(),
            port: ws,
            // No name: one port for both, as an Agones port of protocol TCPUDP is.
            fast_port: if settings.fast_port.is_empty() {
                Some(ws)
            } else {
                port(&settings.fast_port)
            },
        })
    }

    /// The address as an IP address, if it is one (else it is a DNS name).
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }
}

/// The SDK as `Server::bind` leaves it for [`run`]: connected or not yet, and what the
/// GameServer's status said.
pub(crate) struct Agones {
    settings: AgonesConfig,
    sdk: Option<::agones::Sdk>,
    advertised: Option<Advertised>,
}

impl Agones {
    /// Connects to the SDK server and waits up to `agones.address_timeout_secs` for the
    /// GameServer's address. Never fails: without an answer the host advertises its
    /// `[fleet]` address and [`run`] keeps trying to connect.
    pub async fn start(settings: &AgonesConfig) -> Self {
        let started = tokio::time::timeout(settings.address_timeout, async {
            let mut sdk = connect_until_up().await;
            let advertised = address(&mut sdk, settings).await;
            (sdk, advertised)
        })
        .await;
        let (sdk, advertised) = match started {
            Ok((sdk, Ok(advertised))) => {
                info!(
                    address = %advertised.address,
                    port = advertised.port,
                    fast_port = ?advertised.fast_port,
                    "agones gameserver address"
                );
                (Some(sdk), Some(advertised))
            }
            Ok((sdk, Err(error))) => {
                warn!(%error, "agones gameserver address unknown; advertising the [fleet] one");
                (Some(sdk), None)
            }
            Err(_) => {
                warn!(
                    timeout_secs = settings.address_timeout.as_secs(),
                    "agones sdk server not reached; advertising the [fleet] address"
                );
                (None, None)
            }
        };
        Self {
            settings: settings.clone(),
            sdk,
            advertised,
        }
    }

    /// What the GameServer's status said at start, if the SDK server answered.
    pub fn advertised(&self) -> Option<&Advertised> {
        self.advertised.as_ref()
    }
}

/// Tells [`run`] that the server is done.
pub(crate) struct Handle {
    stop: mpsc::Sender<oneshot::Sender<()>>,
}

impl Handle {
    /// Has the task say `Shutdown` (the end of a drain, or of the process), waiting at most
    /// a few seconds for it.
    pub async fn finish(&self) {
        let (done, said) = oneshot::channel();
        if self.stop.send(done).await.is_ok() {
            let _ = tokio::time::timeout(CALL_TIMEOUT + CONNECT_TIMEOUT, said).await;
        }
    }
}

/// A handle for the end and the receiving side for [`run`].
pub(crate) fn handle() -> (Handle, mpsc::Receiver<oneshot::Sender<()>>) {
    let (stop, stopped) = mpsc::channel(1);
    (Handle { stop }, stopped)
}

/// The host's lifecycle as Agones knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// `Ready`: may be scaled down or allocated.
    Ready,
    /// `Allocate`d: holds game sessions, so it is not scaled down.
    Allocated,
    /// `Shutdown`: done.
    Shutdown,
}

/// What the host looks like now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Observed {
    pub game_sessions: i64,
    pub game_session_capacity: i64,
    pub players: i64,
    pub player_capacity: i64,
    /// A drain has started: the host no longer goes back to `Ready`.
    pub draining: bool,
}

/// What the SDK server was last told.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reported {
    pub lifecycle: Option<Lifecycle>,
    pub labels: bool,
    /// (count, capacity) by Counter name.
    pub counters: BTreeMap<&'static str, (i64, i64)>,
}

/// One SDK call (or two for a Counter: capacity, then count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    Lifecycle(Lifecycle),
    Labels,
    Counter {
        name: &'static str,
        count: i64,
        capacity: i64,
    },
}

impl Reported {
    /// Notes that `call` succeeded.
    fn apply(&mut self, call: &Call) {
        match *call {
            Call::Lifecycle(state) => self.lifecycle = Some(state),
            Call::Labels => self.labels = true,
            Call::Counter {
                name,
                count,
                capacity,
            } => {
                self.counters.insert(name, (count, capacity));
            }
        }
    }
}

/// The calls that bring the SDK server in step with `now`, in order: the lifecycle first
/// (`Ready` before anything else at start), then the labels, then the Counters that changed.
pub(crate) fn plan(reported: &Reported, now: &Observed) -> Vec<Call> {
    let mut calls = Vec::new();
    let wanted = if now.game_sessions > 0 {
        Some(Lifecycle::Allocated)
    } else if now.draining {
        // A draining host stays as it is until its Shutdown: Ready would offer it again.
        reported.lifecycle
    } else {
        Some(Lifecycle::Ready)
    };
    if let Some(state) = wanted.filter(|&s| Some(s) != reported.lifecycle) {
        calls.push(Call::Lifecycle(state));
    }
    if !reported.labels {
        calls.push(Call::Labels);
    }
    for (name, count, capacity) in [
        (
            GAME_SESSIONS_COUNTER,
            now.game_sessions,
            now.game_session_capacity,
        ),
        (PLAYERS_COUNTER, now.players, now.player_capacity),
    ] {
        if reported.counters.get(name) != Some(&(count, capacity)) {
            calls.push(Call::Counter {
                name,
                count,
                capacity,
            });
        }
    }
    calls
}

/// Keeps the SDK server in step with the host until [`Handle::finish`] (then says
/// `Shutdown`) or shutdown.
pub(crate) async fn run(
    host: Arc<Host>,
    agones: Agones,
    mut stop: mpsc::Receiver<oneshot::Sender<()>>,
) {
    let Agones { settings, sdk, .. } = agones;
    let mut task = Task {
        host,
        sdk,
        health: None,
        reported: Reported::default(),
        retry_at: None,
        backoff: FIRST_BACKOFF,
        warnings: LogLimit::new(5, Duration::from_secs(60)),
    };
    let mut sync = tokio::time::interval(settings.sync_interval);
    sync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut health = tokio::time::interval(settings.health_interval);
    health.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            done = stop.recv() => {
                task.shutdown().await;
                if let Some(done) = done {
                    let _ = done.send(());
                }
                return;
            }
            () = task.host.shutdown.cancelled() => return,
            _ = sync.tick() => task.sync().await,
            _ = health.tick() => task.health(),
        }
    }
}

/// The state of [`run`].
struct Task {
    host: Arc<Host>,
    sdk: Option<::agones::Sdk>,
    /// The health stream; `None` until connected, or after it broke.
    health: Option<mpsc::Sender<()>>,
    reported: Reported,
    /// No call before then, after a failure.
    retry_at: Option<Instant>,
    backoff: Duration,
    warnings: LogLimit,
}

impl Task {
    /// Brings the SDK server in step with the host, unless backing off.
    async fn sync(&mut self) {
        if self.retry_at.is_some_and(|at| Instant::now() < at) {
            return;
        }
        if !self.connect().await {
            return;
        }
        let now = observe(&self.host);
        for call in plan(&self.reported, &now) {
            let Some(sdk) = self.sdk.as_mut() else {
                return;
            };
            match bounded(execute(sdk, &self.host, &call)).await {
                Ok(()) => {
                    if let Call::Lifecycle(state) = call {
                        info!(?state, "agones state reported");
                    }
                    self.reported.apply(&call);
                    self.backoff = FIRST_BACKOFF;
                }
                Err(error) => {
                    self.failed(&format!("{call:?}"), &error);
                    return;
                }
            }
        }
    }

    /// Sends one Health while the host is healthy; nothing while it is not, so that Agones
    /// marks the GameServer Unhealthy and replaces it.
    fn health(&mut self) {
        let readiness = self.host.readiness();
        // Healthy as `/health` and the listener part of `/ready` say; a drain is healthy.
        if !readiness.listening || readiness.unhealthy_sessions > 0 {
            return;
        }
        if self.health.is_none() {
            self.health = self.sdk.as_ref().map(::agones::Sdk::health_check);
        }
        if let Some(health) = &self.health {
            match health.try_send(()) {
                Ok(()) | Err(mpsc::error::TrySendError::Full(())) => {}
                Err(mpsc::error::TrySendError::Closed(())) => {
                    // The stream broke (the SDK server went away): open it again next time.
                    self.health = None;
                    Metrics::inc(&self.host.metrics.agones_errors);
                }
            }
        }
    }

    /// Says `Shutdown`, connecting first if need be.
    async fn shutdown(&mut self) {
        if !self.connect().await {
            return;
        }
        let Some(sdk) = self.sdk.as_mut() else {
            return;
        };
        let call = Call::Lifecycle(Lifecycle::Shutdown);
        match bounded(execute(sdk, &self.host, &call)).await {
            Ok(()) => info!("agones shutdown reported"),
            Err(error) => self.failed("Shutdown", &error),
        }
    }

    /// Whether the SDK is connected, connecting if need be (one bounded attempt).
    async fn connect(&mut self) -> bool {
        if self.sdk.is_none() {
            match tokio::time::timeout(CONNECT_TIMEOUT, ::agones::Sdk::new(None, None)).await {
                Ok(Ok(sdk)) => {
                    info!("agones sdk server connected");
                    // Everything is said again: the SDK server may have restarted.
                    self.reported = Reported::default();
                    self.health = None;
                    self.sdk = Some(sdk);
                }
                Ok(Err(error)) => {
                    self.failed("connect", &AgonesError::Sdk(error));
                    return false;
                }
                Err(_) => {
                    self.failed("connect", &AgonesError::Timeout);
                    return false;
                }
            }
        }
        true
    }

    /// Counts a failure, logs it if the gate lets it through, and backs off.
    fn failed(&mut self, what: &str, error: &AgonesError) {
        Metrics::inc(&self.host.metrics.agones_errors);
        if let Some(suppressed) = self.warnings.admit(Instant::now()) {
            warn!(call = what, %error, suppressed, "agones sdk call failed");
        }
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }
}

/// The host's counts now.
fn observe(host: &Host) -> Observed {
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let limits = &host.live().limits;
    Observed {
        game_sessions: count(host.directory.session_count()),
        game_session_capacity: count(limits.max_game_sessions),
        players: count(crate::host::fleet::players_connected(host)),
        player_capacity: count(limits.max_connections),
        draining: host.drain.is_cancelled(),
    }
}

/// Makes `call`.
async fn execute(sdk: &mut ::agones::Sdk, host: &Host, call: &Call) -> Result<(), AgonesError> {
    match *call {
        Call::Lifecycle(Lifecycle::Ready) => sdk.ready().await?,
        Call::Lifecycle(Lifecycle::Allocated) => sdk.allocate().await?,
        Call::Lifecycle(Lifecycle::Shutdown) => sdk.shutdown().await?,
        Call::Labels => {
            sdk.set_label("location", host.config.fleet.location.as_str())
                .await?;
            sdk.set_label("version", env!("CARGO_PKG_VERSION")).await?;
            sdk.set_annotation("fleet-id", host.config.fleet.id.as_str())
                .await?;
            sdk.set_annotation("host-id", host.host_id.as_str()).await?;
        }
        Call::Counter {
            name,
            count,
            capacity,
        } => {
            let mut beta = sdk.beta().clone();
            beta.set_counter_capacity(name, capacity).await?;
            beta.set_counter_count(name, count).await?;
        }
    }
    Ok(())
}

/// `call` within [`CALL_TIMEOUT`].
async fn bounded(call: impl Future<Output = Result<(), AgonesError>>) -> Result<(), AgonesError> {
    tokio::time::timeout(CALL_TIMEOUT, call)
        .await
        .unwrap_or(Err(AgonesError::Timeout))
}

/// Connects, trying again every second until the SDK server answers.
async fn connect_until_up() -> ::agones::Sdk {
    loop {
        match ::agones::Sdk::new(None, None).await {
            Ok(sdk) => return sdk,
            Err(error) => {
                tracing::debug!(%error, "agones sdk server not up yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// The GameServer's address and ports: from `GetGameServer`, else from `WatchGameServer` as
/// soon as an update has them (the address is set once the pod is scheduled).
async fn address(
    sdk: &mut ::agones::Sdk,
    settings: &AgonesConfig,
) -> Result<Advertised, AgonesError> {
    let found = |gs: &::agones::GameServer| {
        gs.status
            .as_ref()
            .and_then(|status| Advertised::of(status, settings))
    };
    if let Some(advertised) = found(&sdk.get_gameserver().await?) {
        return Ok(advertised);
    }
    let mut updates = sdk.watch_gameserver().await?;
    while let Some(gs) = updates
        .message()
        .await
        .map_err(::agones::errors::Error::from)?
    {
        if let Some(advertised) = found(&gs) {
            return Ok(advertised);
        }
    }
    Err(AgonesError::NoAddress(settings.ws_port.clone()))
}

#[cfg(test)]
mod tests;
