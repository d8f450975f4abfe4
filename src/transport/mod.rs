//! Sockets to host messages and back: the WebSocket listener ([`ws`]) over plain TCP or TLS
//! ([`stream`]), and the shared fast-channel UDP socket ([`udp`]) with its DTLS
//! associations ([`dtls`]). They see the server through a [`GameContext`] only.

pub(crate) mod accept;
pub(crate) mod dtls;
mod limiter;
pub(crate) mod stream;
pub(crate) mod udp;
pub(crate) mod ws;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use arc_swap::Guard;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::SecureMode;
use crate::core::ConnId;
use crate::host::{FastPath, Live, LiveSettings, Lobby};
use crate::metrics::Metrics;
use crate::tls::CertStore;

/// What the game listeners need of the server: the settings and counters, the lifecycle,
/// TLS, and two narrow handles into the host: the [`Lobby`] that admits logins and the
/// [`FastPath`] that routes datagrams to game sessions.
pub(crate) struct GameContext {
    pub live: Arc<LiveSettings>,
    pub metrics: Arc<Metrics>,
    /// Cancelled to shut the server down.
    pub shutdown: CancellationToken,
    /// Every task the server spawned, to wait for on shutdown.
    pub tasks: TaskTracker,
    /// `tls.mode`.
    pub mode: SecureMode,
    /// The certificate of secure mode, if configured (for DTLS).
    pub certs: Option<Arc<CertStore>>,
    /// TLS for WebSocket connections with `certs`, following its reloads.
    pub tls: Option<TlsAcceptor>,
    pub lobby: Lobby,
    pub fast: Arc<FastPath>,
    /// `game.flush_interval_ms`: how long a connection's writer holds a frame for the ones
    /// that follow it; zero writes at once.
    pub flush_interval: Duration,
    /// WebSocket connections open now, against `limits.max_connections`.
    pub open_connections: AtomicUsize,
    next_conn: AtomicU64,
}

impl GameContext {
    #[allow(clippy::too_many_arguments)] // Each is one of the context's parts, named at the call.
    pub fn new(
        live: Arc<LiveSettings>,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
        tasks: TaskTracker,
        mode: SecureMode,
        certs: Option<Arc<CertStore>>,
        tls: Option<TlsAcceptor>,
        lobby: Lobby,
        fast: Arc<FastPath>,
        flush_interval: Duration,
    ) -> Self {
        Self {
            live,
            metrics,
            shutdown,
            tasks,
            mode,
            certs,
            tls,
            lobby,
            fast,
            flush_interval,
            open_connections: AtomicUsize::new(0),
            next_conn: AtomicU64::new(1),
        }
    }

    /// The settings in force now.
    pub fn live(&self) -> Guard<Arc<Live>> {
        self.live.get()
    }

    /// A fresh connection id.
    pub fn next_conn(&self) -> ConnId {
        ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed))
    }
}
