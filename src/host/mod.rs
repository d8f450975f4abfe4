//! Runs the core: one task per game session owns its [`crate::core::Session`], fed by the
//! transports through bounded queues; the [`Directory`] says who is where. Also the library
//! API for creating game sessions and player sessions ([`Sessions`]).

mod backoff;
mod directory;
mod fast_path;
pub(crate) mod fleet;
pub(crate) mod fleet_scripts;
pub(crate) mod outbound;
mod script_pool;
mod session;
pub(crate) mod store_writer;

use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use arc_swap::{ArcSwap, Guard};
use std::time::SystemTime;

use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

pub(crate) use directory::Directory;
pub(crate) use fast_path::FastPath;
pub(crate) use session::SessionMsg;
use session::Start;

use crate::catalog::redis::{HostCommand, HostStatus};
use crate::catalog::{
    Catalog, CatalogError, GameSession, GameSessionSpec, GameSessionStatus, GameSessionUpdate,
    PlayerSession, RedisCatalog,
};
use crate::config::{AccessKey, Config, Limits};
use crate::core::{GameSessionId, LoginRefusal, PeerIds, SecureLogin};
use crate::log_limit::LogLimit;
use crate::metrics::Metrics;
use crate::script::Bundle;
use crate::script::store::ScriptStore;
use crate::tls::CertStore;

/// Most players of one game session (GameLift's limit, not adjustable).
pub const MAX_PLAYERS_PER_GAME_SESSION: usize = 200;

/// The game session that `--dev` mode opens and that ids without a `/` join.
pub const DEV_DEFAULT_SESSION: &str = "default";

/// Most game sessions dev mode opens on demand; it is for trying things, not for load.
const DEV_MAX_SESSIONS: usize = 10_000;

/// Where game clients connect, as reported in GameSession and PlayerSession objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// IP address.
    pub ip: std::net::IpAddr,
    /// DNS name (the IP address as text unless configured).
    pub dns_name: String,
    /// WebSocket port.
    pub port: u16,
}

/// Everything the tasks of one server share.
pub(crate) struct Host {
    /// The configuration at start. Its `limits`, `control.access_keys`,
    /// `control.max_clock_skew`, `control.metrics_token`, `control.max_connections_per_ip`,
    /// `control.request_header_timeout` and `server.drain_grace` may change on reload: read
    /// those from [`Host::live`].
    pub config: Config,
    /// The settings a reload may change, swapped whole so readers never see half a change.
    live: Arc<LiveSettings>,
    /// Where game clients connect.
    pub endpoint: Endpoint,
    /// `fastPort` announced in LOGIN_RESULT.
    pub fast_port: u16,
    pub peer_ids: PeerIds,
    pub directory: Directory,
    /// The records of game sessions and player sessions (the control plane's), which the
    /// host updates as game sessions start and end and players come and go.
    pub catalog: Arc<dyn Catalog>,
    /// The catalog again when it is a fleet's, shared with other hosts in Redis.
    pub fleet_store: Option<Arc<RedisCatalog>>,
    /// This host's id in its fleet (a fleet of one without a store).
    pub host_id: String,
    /// With a fleet store, the changes session tasks make to their records, on their way to
    /// the store ([`store_writer`]).
    pub record_changes: Option<(
        flume::Sender<store_writer::RecordChange>,
        flume::Receiver<store_writer::RecordChange>,
    )>,
    /// The fast channel's routes and sending side.
    pub fast: Arc<FastPath>,
    pub metrics: Arc<Metrics>,
    /// Cancelled to shut the server down.
    pub shutdown: CancellationToken,
    /// Cancelled when the server starts draining: no new game sessions or player sessions,
    /// and running game sessions wind down.
    pub drain: CancellationToken,
    /// Set while the game and control listeners are being served.
    pub serving: AtomicBool,
    /// Every task the server spawned, to wait for on shutdown.
    pub tasks: TaskTracker,
    /// The game sessions' tasks (also in `tasks`), to wait for during a drain.
    pub session_tasks: TaskTracker,
    /// The certificate of secure mode (and of the control API over HTTPS), if configured.
    pub certs: Option<Arc<CertStore>>,
    /// Accept any non-empty player session id (`volley serve --dev`).
    pub dev: bool,
    /// The script resources.
    pub scripts: Arc<ScriptStore>,
    /// The script new game sessions run (`scripts.script_id` or `--script`), known to
    /// `scripts`; `None` is a pure relay.
    pub fleet_script: Option<String>,
    /// Script starts run on blocking threads; this bounds how many at once (and so how many
    /// threads a burst of new game sessions spawns).
    pub script_starts: tokio::sync::Semaphore,
    /// The threads game sessions with a script run on.
    pub script_pool: script_pool::ScriptPool,
    /// Holds back starts of a script revision that failed to start shortly before.
    script_backoff: std::sync::Mutex<backoff::StartBackoff>,
    /// Warnings of catalog updates that failed: a store that went away fails every one.
    catalog_warnings: std::sync::Mutex<LogLimit>,
    /// TLS for the game and control listeners with `certs`, following its reloads.
    pub tls: Option<TlsAcceptor>,
}

/// The settings in force, shared by every part that reads them: swapped whole on a reload,
/// read without a lock.
pub(crate) struct LiveSettings(ArcSwap<Live>);

impl LiveSettings {
    pub fn new(live: Live) -> Self {
        Self(ArcSwap::from_pointee(live))
    }

    /// The settings in force now (cheap: no lock, no reference count).
    pub fn get(&self) -> Guard<Arc<Live>> {
        self.0.load()
    }

    fn set(&self, live: Live) {
        self.0.store(Arc::new(live));
    }
}

/// What a game connection may ask of the host, and nothing else: to be admitted to the game
/// session its player session belongs to, and what a secure login adds to LOGIN_RESULT.
#[derive(Clone)]
pub(crate) struct Lobby(Arc<Host>);

impl Lobby {
    pub fn new(host: Arc<Host>) -> Self {
        Self(host)
    }

    /// See [`Host::admit`].
    pub async fn admit(
        &self,
        now: SystemTime,
        player_session_id: &str,
    ) -> Result<SessionHandle, LoginRefusal> {
        self.0.admit(now, player_session_id).await
    }

    /// See [`Host::secure_login`].
    pub fn secure_login(&self) -> Option<SecureLogin> {
        self.0.secure_login()
    }
}

/// What the control plane may ask of the host beyond the catalog and [`Sessions`]: its
/// settings and counters, its lifecycle (readiness, the drain, shutdown), what it serves
/// (where clients connect, the fleet's script) and the fleet's hosts. Not its game
/// sessions' internals.
#[derive(Clone)]
pub(crate) struct Admin(Arc<Host>);

impl Admin {
    pub fn new(host: Arc<Host>) -> Self {
        Self(host)
    }

    /// The configuration at start (see [`Host::config`] for what a reload changes).
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The settings in force now.
    pub fn live(&self) -> Guard<Arc<Live>> {
        self.0.live()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// Whether the server should be given new game sessions (`/ready`).
    pub fn readiness(&self) -> Readiness {
        self.0.readiness()
    }

    /// Whether a drain has started.
    pub fn draining(&self) -> bool {
        self.0.drain.is_cancelled()
    }

    /// Starts the drain: no new game sessions or player sessions, and running game sessions
    /// wind down. Starting it again changes nothing.
    pub fn start_drain(&self) {
        self.0.drain.cancel();
    }

    /// Game sessions whose tasks run on this server now.
    pub fn game_sessions_running_here(&self) -> usize {
        self.0.directory.session_count()
    }

    /// Where game clients connect.
    pub fn endpoint(&self) -> &Endpoint {
        &self.0.endpoint
    }

    /// `fastPort` announced in LOGIN_RESULT.
    pub fn fast_port(&self) -> u16 {
        self.0.fast_port
    }

    /// The script new game sessions run, if any.
    pub fn fleet_script(&self) -> Option<&str> {
        self.0.fleet_script.as_deref()
    }

    /// In a fleet, brings this host's scripts up to date with the fleet's (see
    /// [`fleet_scripts`]); on a single host there is nothing to do.
    pub async fn sync_scripts(&self) -> Result<(), CatalogError> {
        match &self.0.fleet_store {
            Some(store) => fleet_scripts::sync(&self.0.scripts, store).await,
            None => Ok(()),
        }
    }

    /// In a fleet, shares script `id` as this host stored it, replacing the fleet's revision
    /// `replaces`; false if the fleet's copy changed meanwhile. Always true on a single host.
    pub async fn share_script(
        &self,
        id: &str,
        replaces: Option<u64>,
    ) -> Result<bool, CatalogError> {
        match &self.0.fleet_store {
            Some(store) => fleet_scripts::share(&self.0.scripts, store, id, replaces).await,
            None => Ok(true),
        }
    }

    /// In a fleet, deletes script `id` for every host.
    pub async fn unshare_script(&self, id: &str) -> Result<(), CatalogError> {
        match &self.0.fleet_store {
            Some(store) => store.remove_script(id).await,
            None => Ok(()),
        }
    }

    /// The script resources.
    pub fn scripts(&self) -> &Arc<ScriptStore> {
        &self.0.scripts
    }

    /// Cancelled to shut the server down.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.0.shutdown
    }

    /// Every task the server spawned, to wait for on shutdown.
    pub fn tasks(&self) -> &TaskTracker {
        &self.0.tasks
    }

    /// TLS with the server's certificate, following its reloads, if it has one.
    pub fn tls(&self) -> &Option<TlsAcceptor> {
        &self.0.tls
    }

    /// This host's id in its fleet (`fleet.host_id`, or `<hostname>-<game port>`).
    pub fn host_id(&self) -> String {
        self.0.host_id.clone()
    }

    /// The fleet's live hosts, by id: as the fleet store has them now, or this server alone
    /// (a fleet of one) when there is no store.
    pub async fn fleet_hosts(&self) -> Result<Vec<HostStatus>, CatalogError> {
        if let Some(store) = &self.0.fleet_store {
            return Ok(store.hosts().await?.0);
        }
        let counts = self.0.catalog.status_counts().await?;
        let game_sessions = GameSessionStatus::ALL
            .into_iter()
            .filter(|status| !status.is_ended())
            .map(|status| counts.game_sessions[status as usize])
            .sum();
        Ok(vec![HostStatus {
            info: fleet::info(&self.0, &self.host_id()),
            game_sessions,
        }])
    }
}

/// The settings that a config reload applies while the server runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Live {
    /// `[limits]`: new connections, datagrams and game sessions follow the new values.
    pub limits: Limits,
    /// `control.access_keys`, with the one from the environment.
    pub access_keys: Vec<AccessKey>,
    /// `control.max_clock_skew_secs`.
    pub max_clock_skew: Duration,
    /// `server.drain_grace_secs`.
    pub drain_grace: Duration,
    /// `control.metrics_token`, with the one from the environment.
    pub metrics_token: Option<crate::secret::Secret>,
    /// `control.max_connections_per_ip`.
    pub control_connections_per_ip: usize,
    /// `control.request_header_timeout_secs`.
    pub control_request_header_timeout: Duration,
}

impl Live {
    /// The reloadable part of `config`.
    pub fn of(config: &Config) -> Self {
        Self {
            limits: config.limits.clone(),
            access_keys: config.control.access_keys.clone(),
            max_clock_skew: config.control.max_clock_skew,
            drain_grace: config.server.drain_grace,
            metrics_token: config.control.metrics_token.clone(),
            control_connections_per_ip: config.control.max_connections_per_ip,
            control_request_header_timeout: config.control.request_header_timeout,
        }
    }
}

/// The parts of readiness: the server is ready when it listens, is not draining and no game
/// session's script reports itself unhealthy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Readiness {
    /// The game and control listeners are being served.
    pub listening: bool,
    /// A drain has started.
    pub draining: bool,
    /// Game sessions whose script's last onHealthCheck was not true.
    pub unhealthy_sessions: u64,
}

impl Readiness {
    /// Every condition holds.
    pub fn ready(&self) -> bool {
        self.listening && !self.draining && self.unhealthy_sessions == 0
    }
}

/// What the server loaded from disk before it started.
pub(crate) struct Resources {
    /// The script resources.
    pub scripts: Arc<ScriptStore>,
    /// The fleet's script, known to `scripts`.
    pub fleet_script: Option<String>,
    /// The certificate, if `[tls]` names one.
    pub certs: Option<Arc<CertStore>>,
    /// The catalog of game sessions and player sessions.
    pub catalog: Arc<dyn Catalog>,
    /// The same catalog when it is a fleet's, in Redis: this host's registration and inbox.
    pub fleet_store: Option<Arc<RedisCatalog>>,
    /// This host's id in its fleet.
    pub host_id: String,
}

/// A game session's inbound queue.
#[derive(Clone, Debug)]
pub(crate) struct SessionHandle {
    pub id: GameSessionId,
    /// Lazily allocated, unlike tokio's channel, which preallocates 32 slots per queue.
    pub tx: flume::Sender<SessionMsg>,
}

/// A fresh connect token: 128 bits from the operating system's CSPRNG as 32 lowercase hex
/// digits, unguessable and one per peer (protocol.md §5.2). `None` if the random source fails.
pub(crate) fn connect_token() -> Option<String> {
    use ring::rand::SecureRandom;
    use std::fmt::Write;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    let mut token = String::with_capacity(32);
    for byte in bytes {
        let _ = write!(token, "{byte:02x}"); // Writing to a String cannot fail.
    }
    Some(token)
}

impl Host {
    pub fn new(
        config: Config,
        endpoint: Endpoint,
        fast_port: u16,
        udp: UdpSocket,
        dev: bool,
        resources: Resources,
    ) -> Self {
        let Resources {
            scripts,
            fleet_script,
            certs,
            catalog,
            fleet_store,
            host_id,
        } = resources;
        let script_pool = script_pool::ScriptPool::new(
            config.scripts.threads,
            config.scripts.slow_lane_cpu_budget,
        );
        Self {
            live: Arc::new(LiveSettings::new(Live::of(&config))),
            config,
            endpoint,
            fast_port,
            peer_ids: PeerIds::new(),
            directory: Directory::default(),
            catalog,
            record_changes: fleet_store
                .is_some()
                .then(|| flume::bounded(store_writer::QUEUE)),
            fleet_store,
            host_id,
            fast: Arc::new(FastPath::new(udp)),
            metrics: Arc::new(Metrics::default()),
            shutdown: CancellationToken::new(),
            drain: CancellationToken::new(),
            serving: AtomicBool::new(false),
            tasks: TaskTracker::new(),
            session_tasks: TaskTracker::new(),
            tls: certs
                .as_ref()
                .map(|certs| TlsAcceptor::from(certs.server_config())),
            certs,
            dev,
            scripts,
            fleet_script,
            script_starts: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            script_pool,
            script_backoff: std::sync::Mutex::default(),
            catalog_warnings: std::sync::Mutex::new(LogLimit::new(5, Duration::from_secs(60))),
        }
    }

    /// The script start backoff, locked (briefly: no await while it is held).
    fn script_backoff(&self) -> std::sync::MutexGuard<'_, backoff::StartBackoff> {
        // Nothing panics while holding the lock; recover the data if something ever did.
        self.script_backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What LOGIN_RESULT adds for a connection that arrived over TLS (protocol.md §5.2): a fresh
    /// connect token and the PEM of the CA. `None` without a certificate or when the
    /// system's random source fails.
    pub fn secure_login(&self) -> Option<SecureLogin> {
        let certs = self.certs.as_ref()?;
        Some(SecureLogin {
            connect_token: connect_token()?,
            ca_cert: bytes::Bytes::copy_from_slice(certs.current().ca_pem.as_bytes()),
        })
    }

    /// The settings in force now (cheap: no lock, no reference count).
    pub fn live(&self) -> Guard<Arc<Live>> {
        self.live.get()
    }

    /// The settings, for the parts that read them without the host.
    pub fn live_settings(&self) -> Arc<LiveSettings> {
        Arc::clone(&self.live)
    }

    /// Puts new settings in force.
    pub fn set_live(&self, live: Live) {
        self.live.set(live);
    }

    /// Whether the server should be given new game sessions (`/ready`).
    pub fn readiness(&self) -> Readiness {
        Readiness {
            listening: self.serving.load(Ordering::Relaxed) && !self.shutdown.is_cancelled(),
            draining: self.drain.is_cancelled(),
            unhealthy_sessions: self
                .metrics
                .script_sessions_unhealthy
                .load(Ordering::Relaxed),
        }
    }

    /// The game session a LOGIN's player session id belongs to, with the id now used. In dev
    /// mode, a player session the catalog knows (made through the control API) follows the
    /// same rules; any other id names a dev game session (`match/alice` joins `match`, an id
    /// without a `/` joins `default`).
    pub async fn admit(
        self: &Arc<Self>,
        now: SystemTime,
        player_session_id: &str,
    ) -> Result<SessionHandle, LoginRefusal> {
        let game_session = match self.catalog.claim(now, player_session_id).await {
            Err(LoginRefusal::UnknownPlayerSession) if self.dev => {
                let name = player_session_id
                    .split_once('/')
                    .map_or(DEV_DEFAULT_SESSION, |(s, _)| s);
                return self.dev_session(name);
            }
            claimed => claimed?,
        };
        match self.directory.session(&game_session) {
            Some(handle) => Ok(handle),
            None => {
                // Claimed, but its game session has just ended here.
                self.log_catalog_error(self.catalog.complete(now, player_session_id).await);
                Err(LoginRefusal::SessionNotAccepting)
            }
        }
    }

    /// Logs a catalog update that failed (a few lines a minute); the game session carries on
    /// without it.
    pub fn log_catalog_error(&self, result: Result<(), CatalogError>) {
        let Err(e) = result else { return };
        let mut warnings = self
            .catalog_warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(held_back) = warnings.admit(std::time::Instant::now()) {
            tracing::warn!(error = %e, held_back, "the catalog was not updated");
        }
    }

    /// Records a change a session task made: queued for the fleet store's writer, never
    /// waiting on the store, or made at once in the in-memory catalog.
    pub async fn record(&self, change: store_writer::RecordChange) {
        match &self.record_changes {
            Some((changes, _)) => {
                if let Err(flume::TrySendError::Full(change)) = changes.try_send(change) {
                    self.log_catalog_error(Err(CatalogError::Store(format!(
                        "{} changes wait for the fleet store; this one is dropped: {change:?}",
                        store_writer::QUEUE
                    ))));
                }
            }
            None => self.log_catalog_error(change.apply(&*self.catalog).await),
        }
    }

    fn dev_session(self: &Arc<Self>, name: &str) -> Result<SessionHandle, LoginRefusal> {
        let id = GameSessionId::new(name);
        if let Some(handle) = self.directory.session(&id) {
            return Ok(handle);
        }
        if self.directory.session_count() >= DEV_MAX_SESSIONS || self.drain.is_cancelled() {
            return Err(LoginRefusal::SessionNotAccepting);
        }
        Ok(self.open_session(id, self.config.sessions.max_players, None, None))
    }

    /// Whether a game session with this record runs on another host of the fleet.
    fn runs_elsewhere(&self, record: &GameSession) -> Option<String> {
        let placement = record.placement.as_ref()?;
        let store = self.fleet_store.as_ref()?;
        (placement.host != store.host()).then(|| placement.host.clone())
    }

    /// Starts a game session recorded `ACTIVATING` here: `ACTIVE` once its task runs and its
    /// script (if the fleet has one) has started, `ERROR` if the script failed to start (or
    /// is held back after failing shortly before).
    pub async fn start_game_session(
        self: &Arc<Self>,
        record: GameSession,
    ) -> Result<(), CatalogError> {
        let id = record.id.clone();
        // Logins need a reservation, and the catalog keeps reservations within the game
        // session's maximum (which UpdateGameSession may lower without evicting anyone), so
        // the running session only enforces the hard limit.
        let (ready, started) = oneshot::channel();
        self.open_session(
            id.clone(),
            MAX_PLAYERS_PER_GAME_SESSION,
            Some(record),
            Some(ready),
        );
        // The task always answers: the script's start is bounded by its own time caps.
        let started = started
            .await
            .unwrap_or_else(|_| Err("the game session stopped while starting".into()));
        match started {
            Ok(script) => self.catalog.activate(&id, script).await,
            Err(_) => {
                let now = SystemTime::now();
                self.catalog
                    .end_game_session(now, &id, GameSessionStatus::Error, None)
                    .await
            }
        }
    }

    /// The script content new game sessions run, if the fleet has a script.
    pub fn fleet_bundle(&self) -> Option<Arc<Bundle>> {
        self.fleet_script
            .as_deref()
            .and_then(|id| self.scripts.bundle(id))
    }

    /// Starts a game session's task, with the fleet's script if it has one, and lists it in
    /// the directory; an existing session with the same id is returned instead. `ready`
    /// hears whether it started.
    pub fn open_session(
        self: &Arc<Self>,
        id: GameSessionId,
        max_players: usize,
        record: Option<GameSession>,
        ready: Option<oneshot::Sender<Result<Option<crate::catalog::ScriptRef>, String>>>,
    ) -> SessionHandle {
        let (tx, rx) = flume::bounded(self.live().limits.session_queue_packets);
        let handle = SessionHandle { id: id.clone(), tx };
        let handle = match self.directory.insert_session(handle) {
            Ok(handle) => handle,
            Err(existing) => return existing,
        };
        let mut config = self.config.session_config(self.fast_port);
        config.max_players = max_players;
        let live = self.live();
        config.max_reliable_payload = live.limits.max_reliable_payload_bytes;
        config.max_fast_payload = live.limits.max_fast_payload_bytes;
        config.player_rate = live.limits.player_rate();
        let script = self.fleet_bundle();
        let scripted = script.is_some();
        let start = Start {
            config,
            script,
            record,
            ready,
        };
        // Enabled under any log filter: a span disabled when it is created stays disabled,
        // and every line of the session must name it after a reload raises the level too.
        // A root span: the session outlives whatever opened it (a connection in dev mode, a
        // control request), and its lines are about the game session alone.
        let span = tracing::error_span!(parent: None, "session", id = %id);
        let task = session::run(Arc::clone(self), handle.clone(), start, rx);
        let task = self.session_tasks.track_future(task.instrument(span));
        if scripted {
            self.tasks.spawn_on(task, &self.script_pool.handle());
        } else {
            self.tasks.spawn(task);
        }
        handle
    }
}

/// The library API for game sessions and player sessions: what the control API builds on,
/// and what tests and embedding programs use.
#[derive(Clone)]
pub struct Sessions {
    host: Arc<Host>,
}

impl Sessions {
    pub(crate) fn new(host: Arc<Host>) -> Self {
        Self { host }
    }

    /// Creates a game session on this server's fleet and starts it: recorded `ACTIVATING`,
    /// `ACTIVE` once its task runs and its script (if the fleet has one) has started, `ERROR`
    /// if the script failed to start (or is held back after failing shortly before). Its id is the ARN
    /// `arn:aws:gamelift:<region>::gamesession/<fleet id>/<token or gsess-uuid>`. With an
    /// idempotency token used before, the earlier game session is returned.
    pub async fn create_game_session(
        &self,
        spec: GameSessionSpec,
    ) -> Result<GameSession, CatalogError> {
        let suffix = spec
            .idempotency_token
            .clone()
            .unwrap_or_else(|| format!("gsess-{}", uuid::Uuid::new_v4()));
        let id = self.game_session_id(&suffix);
        // A draining host places nothing; in a fleet it places on the other hosts.
        let draining = self.host.drain.is_cancelled();
        if draining && self.host.fleet_store.is_none() {
            return Err(CatalogError::Draining);
        }
        let now = SystemTime::now();
        let max_running = if draining {
            0
        } else {
            self.host.live().limits.max_game_sessions
        };
        let catalog = &self.host.catalog;
        let (record, created) = catalog
            .create_game_session(now, id.clone(), spec, max_running)
            .await?;
        if !created {
            return Ok(record);
        }
        if self.host.runs_elsewhere(&record).is_some() {
            // Its host starts it: answer once it has, as a game session started here does.
            return self.started_elsewhere(record).await;
        }
        if let Some(store) = &self.host.fleet_store
            && let Err(e) = fleet_scripts::sync(&self.host.scripts, store).await
        {
            // The copy of the last beat runs.
            tracing::warn!(error = %e, "the fleet's scripts could not be brought up to date before a start");
        }
        self.host.start_game_session(record.clone()).await?;
        Ok(catalog.game_session(&id).await?.unwrap_or(record))
    }

    /// The id of this fleet's game session whose last segment (idempotency token or
    /// generated) is `suffix`.
    pub fn game_session_id(&self, suffix: &str) -> GameSessionId {
        let fleet = &self.host.config.fleet;
        GameSessionId::new(format!(
            "arn:aws:gamelift:{}::gamesession/{}/{suffix}",
            fleet.region, fleet.id
        ))
    }

    /// Waits for another host to start a game session placed on it: its record once it is no
    /// longer `ACTIVATING`, or as it is after the longest a script start may take.
    async fn started_elsewhere(&self, record: GameSession) -> Result<GameSession, CatalogError> {
        let deadline = tokio::time::Instant::now()
            + self.host.config.scripts.activation_timeout
            + Duration::from_secs(2);
        let mut pause = Duration::from_millis(1);
        loop {
            let latest = self.host.catalog.game_session(&record.id).await?;
            match latest {
                Some(latest) if latest.status != GameSessionStatus::Activating => {
                    return Ok(latest);
                }
                Some(latest) if tokio::time::Instant::now() >= deadline => return Ok(latest),
                None => return Ok(record),
                Some(_) => {}
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// Reserves one slot per `(player id, player data)` in a game session, all or nothing,
    /// and returns the player sessions (ids `psess-<uuid>`) clients log in with.
    pub async fn create_player_sessions(
        &self,
        game_session: &GameSessionId,
        players: Vec<(String, Option<String>)>,
    ) -> Result<Vec<PlayerSession>, CatalogError> {
        // A draining host places no one in its own game sessions; in a fleet it still
        // reserves in the other hosts'.
        if self.host.drain.is_cancelled() {
            let elsewhere = match &self.host.fleet_store {
                Some(_) => self
                    .host
                    .catalog
                    .game_session(game_session)
                    .await?
                    .is_some_and(|record| self.host.runs_elsewhere(&record).is_some()),
                None => false,
            };
            if !elsewhere {
                return Err(CatalogError::Draining);
            }
        }
        let players = players
            .into_iter()
            .map(|(player_id, data)| (format!("psess-{}", uuid::Uuid::new_v4()), player_id, data))
            .collect();
        self.host
            .catalog
            .reserve(SystemTime::now(), game_session, players)
            .await
    }

    /// Ends a game session: its script's onProcessTerminate runs; then (at once if `force`,
    /// else when the script ends the session or `scripts.terminate_grace` has passed) its
    /// players are disconnected (close code 1001), its player sessions complete and it
    /// becomes `TERMINATED`, with `reason` as its status reason.
    pub async fn terminate_game_session(
        &self,
        game_session: &GameSessionId,
        reason: &'static str,
        force: bool,
    ) -> Result<(), CatalogError> {
        let catalog = &self.host.catalog;
        if catalog.game_session(game_session).await?.is_none() {
            return Err(CatalogError::NotFound(game_session.to_string()));
        }
        catalog.terminating(game_session, reason).await?;
        if let Some(record) = catalog.game_session(game_session).await?
            && let Some(owner) = self.host.runs_elsewhere(&record)
            && let Some(store) = &self.host.fleet_store
        {
            let id = game_session.as_str().to_owned();
            return store
                .tell(&owner, &HostCommand::Terminate { id, force })
                .await;
        }
        match self.host.directory.session(game_session) {
            Some(handle)
                if handle
                    .tx
                    .send_async(SessionMsg::Terminate { force })
                    .await
                    .is_ok() => {}
            // No task (it ended already): finish the record here.
            _ => {
                let now = SystemTime::now();
                let status = GameSessionStatus::Terminated;
                catalog
                    .end_game_session(now, game_session, status, Some(reason))
                    .await?;
            }
        }
        Ok(())
    }

    /// Changes a game session that is `ACTIVATING` or `ACTIVE`. A lower maximum of players
    /// evicts nobody: new reservations fail until the count drops below it.
    pub async fn update_game_session(
        &self,
        game_session: &GameSessionId,
        update: GameSessionUpdate,
    ) -> Result<GameSession, CatalogError> {
        self.host
            .catalog
            .update_game_session(game_session, update)
            .await
    }

    /// A game session's record, while it is remembered.
    pub async fn game_session(
        &self,
        id: &GameSessionId,
    ) -> Result<Option<GameSession>, CatalogError> {
        self.host.catalog.game_session(id).await
    }

    /// A player session's record, while it is remembered.
    pub async fn player_session(&self, id: &str) -> Result<Option<PlayerSession>, CatalogError> {
        self.host.catalog.player_session(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::connect_token;

    #[test]
    fn connect_tokens_are_32_lowercase_hex_digits_and_differ() {
        let first = connect_token().expect("random source");
        let second = connect_token().expect("random source");
        for token in [&first, &second] {
            assert_eq!(token.len(), 32, "{token}");
            assert!(
                token
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
                "{token}"
            );
        }
        assert_ne!(first, second);
    }
}
