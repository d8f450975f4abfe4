//! Runs the core: one task per game session owns its [`crate::core::Session`], fed by the
//! transports through bounded queues; the [`Directory`] says who is where. Also the library
//! API for creating game sessions and player sessions ([`Sessions`]).

mod directory;
mod session;

use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

pub(crate) use directory::Directory;
pub(crate) use session::SessionMsg;

use crate::config::Config;
use crate::core::{CloseReason, ConnId, GameSessionId, LoginRefusal, PeerIds, Session};
use crate::metrics::Metrics;

/// The game session that `--dev` mode opens and that ids without a `/` join.
pub const DEV_DEFAULT_SESSION: &str = "default";

/// Most game sessions dev mode opens on demand; it is for trying things, not for load.
const DEV_MAX_SESSIONS: usize = 10_000;

/// Everything the tasks of one server share.
pub(crate) struct Host {
    pub config: Config,
    /// `fastPort` announced in LOGIN_RESULT.
    pub fast_port: u16,
    pub peer_ids: PeerIds,
    pub directory: Directory,
    /// The fast-channel socket, non-blocking, for sending from session tasks.
    pub udp: UdpSocket,
    pub metrics: Arc<Metrics>,
    /// Cancelled to shut the server down.
    pub shutdown: CancellationToken,
    /// Every task the server spawned, to wait for on shutdown.
    pub tasks: TaskTracker,
    /// Accept any non-empty player session id (`volley serve --dev`).
    pub dev: bool,
    next_conn: AtomicU64,
}

/// A game session's inbound queue.
#[derive(Clone, Debug)]
pub(crate) struct SessionHandle {
    pub id: GameSessionId,
    pub max_players: usize,
    /// Lazily allocated, unlike tokio's channel, which preallocates 32 slots per queue.
    pub tx: flume::Sender<SessionMsg>,
}

/// A logged-in connection as its session task sees it: the outbound queue, and a way to
/// close it at once when the queue is full.
#[derive(Debug)]
pub(crate) struct ConnLink {
    /// Lazily allocated, like the session queue: idle players are the common case.
    pub tx: flume::Sender<Outgoing>,
    pub kill: oneshot::Sender<CloseReason>,
}

/// What a session task asks a connection's writer to do, in order.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Send one frame (a length-prefixed packet).
    Frame(bytes::Bytes),
    /// Send a WebSocket ping.
    Ping,
    /// Send a close frame and end the connection.
    Close(CloseReason),
}

impl ConnLink {
    /// Closes after the frames already queued, or at once if the queue is full.
    fn close(self, reason: CloseReason) {
        if self.tx.try_send(Outgoing::Close(reason)).is_err() {
            let _ = self.kill.send(reason); // The connection may be gone already.
        }
    }
}

impl Host {
    pub fn new(config: Config, fast_port: u16, udp: UdpSocket, dev: bool) -> Self {
        let directory = Directory::new(
            config.sessions.reservation_timeout,
            config.sessions.retention,
        );
        Self {
            config,
            fast_port,
            peer_ids: PeerIds::new(),
            directory,
            udp,
            metrics: Arc::new(Metrics::default()),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            dev,
            next_conn: AtomicU64::new(1),
        }
    }

    /// A fresh connection id.
    pub fn next_conn(&self) -> ConnId {
        ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed))
    }

    /// The game session a LOGIN's player session id belongs to, with the id now used.
    pub fn admit(
        self: &Arc<Self>,
        now: Instant,
        player_session_id: &str,
    ) -> Result<SessionHandle, LoginRefusal> {
        if self.dev {
            if player_session_id.is_empty() {
                return Err(LoginRefusal::EmptyPlayerSessionId);
            }
            let name = player_session_id
                .split_once('/')
                .map_or(DEV_DEFAULT_SESSION, |(s, _)| s);
            return self.dev_session(name);
        }
        let game_session = self.directory.claim(now, player_session_id)?;
        self.directory.session(&game_session).ok_or_else(|| {
            self.directory.complete(now, player_session_id);
            LoginRefusal::SessionNotAccepting
        })
    }

    fn dev_session(self: &Arc<Self>, name: &str) -> Result<SessionHandle, LoginRefusal> {
        let id = GameSessionId::new(name);
        if let Some(handle) = self.directory.session(&id) {
            return Ok(handle);
        }
        if self.directory.session_count() >= DEV_MAX_SESSIONS {
            return Err(LoginRefusal::SessionNotAccepting);
        }
        Ok(self.open_session(id, self.config.sessions.max_players))
    }

    /// Starts a game session's task and lists it in the directory; an existing session with
    /// the same id is returned instead.
    pub fn open_session(self: &Arc<Self>, id: GameSessionId, max_players: usize) -> SessionHandle {
        let (tx, rx) = flume::bounded(self.config.limits.session_queue_packets);
        let handle = SessionHandle {
            id: id.clone(),
            max_players,
            tx,
        };
        let handle = match self.directory.insert_session(handle) {
            Ok(handle) => handle,
            Err(existing) => return existing,
        };
        let mut config = self.config.session_config(self.fast_port);
        config.max_players = max_players;
        let core = Session::new(config, self.peer_ids.clone());
        let span = tracing::info_span!("session", id = %id);
        let task = session::run(Arc::clone(self), handle.clone(), core, rx);
        self.tasks.spawn(task.instrument(span));
        handle
    }
}

/// The library API for game sessions and player sessions: what the control API builds on,
/// and what tests and embedding programs use.
#[derive(Clone)]
pub struct Sessions {
    host: Arc<Host>,
}

/// Why a player session could not be created.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlayerSessionError {
    /// No such game session.
    #[error("game session not found")]
    GameSessionNotFound,
    /// Every slot is reserved or taken.
    #[error("game session is full")]
    GameSessionFull,
    /// The id is already in use.
    #[error("player session id already exists")]
    DuplicateId,
}

impl Sessions {
    pub(crate) fn new(host: Arc<Host>) -> Self {
        Self { host }
    }

    /// Opens a game session for at most `max_players` players (the config's `max_players`
    /// when `None`) and returns its id: `id` if given, else a fresh `gsess-<uuid>`.
    pub fn create_game_session(
        &self,
        id: Option<&str>,
        max_players: Option<usize>,
    ) -> GameSessionId {
        let id = id.map_or_else(|| format!("gsess-{}", uuid::Uuid::new_v4()), str::to_owned);
        let max_players = max_players.unwrap_or(self.host.config.sessions.max_players);
        self.host
            .open_session(GameSessionId::new(id), max_players)
            .id
    }

    /// Reserves a slot in a game session and returns the player session id a client logs in
    /// with: `id` if given, else a fresh `psess-<uuid>`.
    pub fn create_player_session(
        &self,
        game_session: &GameSessionId,
        id: Option<&str>,
    ) -> Result<String, PlayerSessionError> {
        let id = id.map_or_else(|| format!("psess-{}", uuid::Uuid::new_v4()), str::to_owned);
        self.host
            .directory
            .reserve(Instant::now(), id.clone(), game_session)?;
        Ok(id)
    }

    /// Ends a game session: its players are disconnected (close code 1001) and its slots
    /// freed. Returns false if there is no such session.
    pub async fn end_game_session(&self, game_session: &GameSessionId) -> bool {
        let Some(handle) = self.host.directory.session(game_session) else {
            return false;
        };
        handle.tx.send_async(SessionMsg::End).await.is_ok()
    }

    /// The ids of the open game sessions.
    pub fn game_sessions(&self) -> Vec<GameSessionId> {
        self.host.directory.session_ids()
    }
}
