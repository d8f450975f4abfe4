//! Volley: a self-hosted relay game server, wire-compatible with Amazon GameLift Realtime
//! Servers. Game clients connect over a WebSocket and a UDP fast channel
//! ([`protocol`]); each game session runs in its own task around a sans-IO [`core`].
//!
//! [`Server`] is the one place that wires the modules together: [`Server::bind`] opens the
//! listeners and reports their real addresses, [`Server::run`] serves until shutdown.

mod agones;
pub mod alias;
pub mod api;
pub mod catalog;
pub mod certgen;
pub mod client;
pub mod config;
mod control;
pub mod control_client;
pub mod core;
pub mod events;
pub mod flexmatch;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod host;
mod log_limit;
pub mod matchmaking;
pub mod metrics;
pub mod named;
pub mod placement;
pub mod protocol;
pub mod queue;
mod redis_hash;
pub mod script;
pub mod secret;
pub mod ticket;
pub mod tls;
mod transport;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tracing::info;

pub use host::{DEV_DEFAULT_SESSION, Sessions};

use alias::{AliasError, FileAliasStore};
use config::Config;
use host::Host;
use metrics::Snapshot;
use script::store::{ScriptStore, StoreError};

/// How often expired reservations and forgotten player sessions are swept.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// How long connections have to finish their close handshakes once the server closes them:
/// a writer gives up on a close after 2 s.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A listener could not be bound.
    #[error("cannot bind {what} on {addr}: {source}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Development mode was asked for on a non-loopback address.
    #[error("--dev accepts any player session id, so it only listens on loopback, not {0}")]
    DevNotLoopback(SocketAddr),
    /// The control API would listen beyond loopback with no access key to check against.
    #[error(
        "control.listen {0} is not loopback but no access key is configured \
         (control.access_keys, or VOLLEY_ACCESS_KEY_ID and VOLLEY_SECRET_ACCESS_KEY)"
    )]
    NoAccessKeys(SocketAddr),
    /// The stored scripts could not be read.
    #[error("cannot open the script store: {0}")]
    ScriptStore(StoreError),
    /// The stored aliases could not be read.
    #[error("cannot open the alias store: {0}")]
    AliasStore(AliasError),
    /// The stored game session queues could not be read.
    #[error("cannot open the queue store: {0}")]
    QueueStore(named::NamedError),
    /// The stored matchmaking rule sets could not be read.
    #[error("cannot open the rule set store: {0}")]
    RuleSetStore(named::NamedError),
    /// The stored matchmaking configurations could not be read.
    #[error("cannot open the matchmaking configuration store: {0}")]
    ConfigurationStore(named::NamedError),
    /// The script of `--script` could not be stored.
    #[error("cannot use --script {}: {error}", path.display())]
    Script {
        /// The path given.
        path: PathBuf,
        /// Why.
        error: StoreError,
    },
    /// The certificate files of `[tls]` could not be used.
    #[error("cannot use the TLS certificate: {0}")]
    Tls(#[from] tls::TlsError),
    /// Secure mode or the HTTPS control API was asked for without certificate files.
    #[error("tls.mode \"secure\" or \"mixed\" and tls.control need tls.cert_file and tls.key_file")]
    NoCertificate,
    /// The fleet store (`fleet.store`) could not be reached or joined.
    #[error("cannot join the fleet store: {0}")]
    FleetStore(catalog::CatalogError),
    /// `scripts.script_id` names no stored script.
    #[error("scripts.script_id {id} names no script stored in {}", dir.display())]
    UnknownScript {
        /// The configured id.
        id: String,
        /// Where scripts are stored.
        dir: PathBuf,
    },
}

/// Options that are not part of the config file.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Development mode: a default game session, any non-empty player session id accepted.
    pub dev: bool,
    /// A script to store and run (`volley serve --script`): a `.js` file, a directory or a
    /// `.zip`. It becomes the fleet's script, whatever `scripts.script_id` says.
    pub script: Option<PathBuf>,
}

/// The addresses the server actually bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Addresses {
    /// The WebSocket listener.
    pub ws: SocketAddr,
    /// The fast-channel UDP socket.
    pub udp: SocketAddr,
    /// The control API.
    pub control: SocketAddr,
}

/// A bound, not yet running server.
pub struct Server {
    host: Arc<Host>,
    stores: control::Stores,
    ws: tokio::net::TcpListener,
    control: tokio::net::TcpListener,
    udp: tokio::net::UdpSocket,
    addresses: Addresses,
    /// The Agones SDK, when the host runs as an Agones GameServer (`[agones]`).
    agones: Option<crate::agones::Agones>,
}

impl Server {
    /// Binds every listener of `config`; port 0 picks a free port (see [`Server::addresses`]).
    pub async fn bind(config: Config, options: Options) -> Result<Self, StartError> {
        let ws_addr = config.game.listen;
        let udp_addr = config.game.udp_listen.unwrap_or(ws_addr);
        if options.dev {
            for addr in [ws_addr, udp_addr, config.control.listen] {
                if !addr.ip().is_loopback() {
                    return Err(StartError::DevNotLoopback(addr));
                }
            }
        }
        let control = &config.control;
        if control.auth == config::AuthMode::Sigv4
            && control.access_keys.is_empty()
            && !control.listen.ip().is_loopback()
        {
            return Err(StartError::NoAccessKeys(control.listen));
        }
        let (scripts, fleet_script) = open_scripts(&config, options.script.as_deref())?;
        // A fleet's hosts may find the fleet's script in the store rather than on disk.
        if config.fleet.store.is_none() {
            check_fleet_script(&scripts, fleet_script.as_deref())?;
        }
        let certs = open_certs(&config)?;
        let bind_err = |what, addr| move |source| StartError::Bind { what, addr, source };
        let ws = tokio::net::TcpListener::bind(ws_addr)
            .await
            .map_err(bind_err("ws", ws_addr))?;
        let control_addr = config.control.listen;
        let control = tokio::net::TcpListener::bind(control_addr)
            .await
            .map_err(bind_err("control", control_addr))?;
        let udp = tokio::net::UdpSocket::bind(udp_addr)
            .await
            .map_err(bind_err("udp", udp_addr))?;
        transport::udp::size_buffers(
            &udp,
            config.game.udp_receive_buffer_bytes,
            config.game.udp_send_buffer_bytes,
        );
        let local = |r: std::io::Result<SocketAddr>, what, addr| r.map_err(bind_err(what, addr));
        let addresses = Addresses {
            ws: local(ws.local_addr(), "ws", ws_addr)?,
            udp: local(udp.local_addr(), "udp", udp_addr)?,
            control: local(control.local_addr(), "control", control_addr)?,
        };
        // A second handle on the same socket, for session tasks to send without awaiting.
        let sender = udp
            .into_std()
            .and_then(|std| Ok((std.try_clone()?, std)))
            .and_then(|(sender, std)| Ok((sender, tokio::net::UdpSocket::from_std(std)?)))
            .map_err(bind_err("udp", udp_addr))?;
        let (sender, udp) = sender;
        // Under Agones, players reach the GameServer's address and host ports, not the pod's.
        let agones = if config.agones.is_on(|name| std::env::var(name).ok()) {
            Some(crate::agones::Agones::start(&config.agones).await)
        } else {
            None
        };
        let advertised = agones.as_ref().and_then(crate::agones::Agones::advertised);
        let fast_port = advertised
            .and_then(|a| a.fast_port)
            .or(config.game.advertised_fast_port)
            .unwrap_or(addresses.udp.port());
        let endpoint = client_endpoint(&config, addresses.ws, advertised);
        let host_id = host_id(&config, addresses.ws);
        let fleet_store = match &config.fleet.store {
            Some(url) => Some(Arc::new(
                catalog::RedisCatalog::connect(catalog::RedisSettings {
                    url: url.clone(),
                    fleet_id: config.fleet.id.clone(),
                    host: host_id.clone(),
                    placement: config.fleet.placement,
                    reservation_timeout: config.sessions.reservation_timeout,
                    retention: config.sessions.retention,
                })
                .await
                .map_err(StartError::FleetStore)?,
            )),
            None => None,
        };
        // A fleet keeps its aliases, queues and placements in its store; one host keeps
        // aliases and queues beside the scripts, in the data directory, which holds what
        // survives a restart, and its placements in memory with its game sessions.
        let stores = match &fleet_store {
            Some(store) => {
                let (connection, prefix) = store.connection();
                control::Stores {
                    aliases: Arc::new(alias::RedisAliasStore::new(connection.clone(), prefix)),
                    queues: Arc::new(queue::redis_store(connection.clone(), prefix)),
                    rule_sets: Arc::new(matchmaking::rule_set_redis_store(
                        connection.clone(),
                        prefix,
                    )),
                    configurations: Arc::new(matchmaking::configuration_redis_store(
                        connection.clone(),
                        prefix,
                    )),
                    placements: Arc::new(placement::RedisPlacementStore::new(
                        connection.clone(),
                        prefix,
                    )),
                    tickets: Arc::new(ticket::RedisTicketStore::new(connection, prefix)),
                }
            }
            None => control::Stores {
                aliases: Arc::new(
                    FileAliasStore::open(config.scripts.data_dir.join("aliases"))
                        .map_err(StartError::AliasStore)?,
                ),
                queues: Arc::new(
                    queue::file_store(config.scripts.data_dir.join("queues.json"))
                        .map_err(StartError::QueueStore)?,
                ),
                rule_sets: Arc::new(
                    matchmaking::rule_set_file_store(
                        config.scripts.data_dir.join("rule_sets.json"),
                    )
                    .map_err(StartError::RuleSetStore)?,
                ),
                configurations: Arc::new(
                    matchmaking::configuration_file_store(
                        config.scripts.data_dir.join("configurations.json"),
                    )
                    .map_err(StartError::ConfigurationStore)?,
                ),
                placements: Arc::new(placement::MemoryPlacementStore::new()),
                tickets: Arc::new(ticket::MemoryTicketStore::default()),
            },
        };
        if let Some(store) = &fleet_store {
            host::fleet_scripts::sync(&scripts, store)
                .await
                .map_err(StartError::FleetStore)?;
            check_fleet_script(&scripts, fleet_script.as_deref())?;
        }
        let catalog: Arc<dyn catalog::Catalog> = match &fleet_store {
            Some(store) => Arc::clone(store) as Arc<dyn catalog::Catalog>,
            None => Arc::new(catalog::LocalCatalog::new(
                config.sessions.reservation_timeout,
                config.sessions.retention,
            )),
        };
        let host = Arc::new(Host::new(
            config,
            endpoint,
            fast_port,
            sender,
            options.dev,
            host::Resources {
                scripts,
                fleet_script,
                certs,
                catalog,
                fleet_store,
                host_id,
            },
        ));
        if let Some(store) = &host.fleet_store {
            host::fleet::join(&host, store)
                .await
                .map_err(StartError::FleetStore)?;
        }
        if options.dev {
            let max_players = host.config.sessions.max_players;
            host.open_session(
                core::GameSessionId::new(DEV_DEFAULT_SESSION),
                max_players,
                None,
                None,
            );
        }
        Ok(Self {
            host,
            stores,
            ws,
            control,
            udp,
            addresses,
            agones,
        })
    }

    /// The bound addresses.
    pub fn addresses(&self) -> Addresses {
        self.addresses
    }

    /// The library API for game and player sessions.
    pub fn sessions(&self) -> Sessions {
        Sessions::new(Arc::clone(&self.host))
    }

    /// The certificate of secure mode and the HTTPS control API, if `[tls]` names one: a
    /// handle whose [`tls::CertStore::reload`] reads the files again, so that renewed
    /// certificates serve new handshakes while established connections keep going.
    pub fn certificates(&self) -> Option<Arc<tls::CertStore>> {
        self.host.certs.clone()
    }

    /// A handle to read the counters while the server runs.
    pub fn metrics(&self) -> MetricsHandle {
        MetricsHandle(Arc::clone(&self.host.metrics))
    }

    /// A token that starts a drain when cancelled, as the `Volley.StartDrain` operation
    /// does: see [`Server::run`].
    pub fn drain_token(&self) -> CancellationToken {
        self.host.drain.clone()
    }

    /// A handle that applies a reloaded config while the server runs.
    pub fn reloader(&self) -> Reloader {
        Reloader(Arc::clone(&self.host))
    }

    /// Serves until `shutdown` is cancelled or a drain (see [`Server::drain_token`]) is over.
    ///
    /// A drain stops placing game sessions and player sessions, runs every script's
    /// onProcessTerminate and waits up to `server.drain_grace_secs` for the game sessions to
    /// end by themselves (the script's processEnding, or their last player leaving). Then, or
    /// at once on `shutdown`, every connection is closed with 1001 (going away). Returns true
    /// if every task finished within [`CLOSE_TIMEOUT`] of that.
    pub async fn run(self, shutdown: CancellationToken) -> bool {
        let host = self.host;
        info!(
            ws = %self.addresses.ws,
            udp = %self.addresses.udp,
            control = %self.addresses.control,
            tls = ?host.config.tls.mode,
            control_https = host.config.tls.control,
            dev = host.dev,
            "serving"
        );
        // The listeners are bound and their tasks start here, before the control API's, so
        // `/ready` never answers that they are not.
        host.serving
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let game = Arc::new(transport::GameContext::new(
            host.live_settings(),
            Arc::clone(&host.metrics),
            host.shutdown.clone(),
            host.tasks.clone(),
            host.config.tls.mode,
            host.certs.clone(),
            host.tls.clone(),
            host::Lobby::new(Arc::clone(&host)),
            Arc::clone(&host.fast),
            host.config.game.flush_interval,
        ));
        host.tasks
            .spawn(transport::ws::serve(self.ws, Arc::clone(&game)));
        host.tasks.spawn(transport::udp::serve(self.udp, game));
        host.tasks.spawn(sweep(Arc::clone(&host)));
        if let Some(store) = &host.fleet_store {
            host.tasks
                .spawn(host::fleet::heartbeat(Arc::clone(&host), Arc::clone(store)));
            host.tasks.spawn(host::fleet::serve_inbox(
                Arc::clone(&host),
                Arc::clone(store),
            ));
        }
        if let Some((_, changes)) = &host.record_changes {
            host.tasks.spawn(host::store_writer::write(
                Arc::clone(&host),
                changes.clone(),
            ));
        }
        // The control plane gets the catalog, its stores, the library API and the admin
        // handle.
        let admin = host::Admin::new(Arc::clone(&host));
        let events = events::Events::start(
            &host.config.events,
            Arc::clone(&host.metrics),
            host.shutdown.clone(),
            &host.tasks,
        );
        let control_plane = Arc::new(control::Control::new(
            admin.clone(),
            Sessions::new(Arc::clone(&host)),
            Arc::clone(&host.catalog),
            self.stores,
            events,
            self.addresses,
        ));
        host.tasks
            .spawn(control::placer::run(Arc::clone(&control_plane)));
        host.tasks
            .spawn(control::matchmaker::run(Arc::clone(&control_plane)));
        let api = control::router(control_plane);
        host.tasks
            .spawn(control::serve_connections(self.control, admin, api));
        // The listeners are up: the SDK task says Ready first.
        let agones = self.agones.map(|sdk| {
            let (handle, stopped) = crate::agones::handle();
            host.tasks
                .spawn(crate::agones::run(Arc::clone(&host), sdk, stopped));
            handle
        });
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = host.drain.cancelled() => {
                let grace = host.live().drain_grace;
                drain(&host, grace, &shutdown).await;
            }
        }
        if let Some(agones) = &agones {
            agones.finish().await;
        }
        info!("shutting down");
        host.shutdown.cancel();
        host.tasks.close();
        let finished = tokio::time::timeout(CLOSE_TIMEOUT, host.tasks.wait())
            .await
            .is_ok();
        info!(finished, "stopped");
        finished
    }
}

/// Waits up to `grace` for every game session to end (their tasks see the drain token
/// themselves), or for `shutdown`.
async fn drain(host: &Host, grace: Duration, shutdown: &CancellationToken) {
    info!(
        game_sessions = host.directory.session_count(),
        grace_secs = grace.as_secs(),
        "draining"
    );
    // No game session opens after this (placements are refused), so the wait can end.
    host.session_tasks.close();
    tokio::select! {
        () = host.session_tasks.wait() => info!("every game session ended"),
        () = tokio::time::sleep(grace) => info!(
            game_sessions = host.directory.session_count(),
            "drain grace over; closing the remaining game sessions"
        ),
        () = shutdown.cancelled() => {}
    }
}

/// Applies a reloaded config to a running server (SIGHUP).
#[derive(Clone)]
pub struct Reloader(Arc<Host>);

impl Reloader {
    /// Puts the reloadable settings of `config` in force at once (see
    /// [`config::is_reloadable`]: limits, access keys, clock skew, metrics token, the control
    /// API's per-IP connection limit and request header timeout, drain grace;
    /// the log level is the caller's, as the logger belongs to the program) and reads the
    /// certificate files again; its other settings are ignored, as they need a restart. New
    /// connections, datagrams and game sessions follow the new limits; established ones keep
    /// what they started with. A certificate that fails to load keeps the old one.
    pub fn apply(&self, config: &Config) -> Result<(), tls::TlsError> {
        self.0.set_live(host::Live::of(config));
        match &self.0.certs {
            Some(certs) => certs.reload(),
            None => Ok(()),
        }
    }
}

/// Reads the server's counters.
#[derive(Clone)]
pub struct MetricsHandle(Arc<metrics::Metrics>);

impl MetricsHandle {
    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        self.0.snapshot()
    }
}

/// Opens the script store (`scripts/` in the data directory) and picks the fleet's script:
/// the one `--script` registers, else `scripts.script_id`, which must be stored.
fn open_scripts(
    config: &Config,
    script: Option<&Path>,
) -> Result<(Arc<ScriptStore>, Option<String>), StartError> {
    let store = ScriptStore::open(config.scripts.data_dir.join("scripts"))
        .map_err(StartError::ScriptStore)?;
    let fleet_script = match script {
        Some(path) => {
            let record = store
                .register_path(path)
                .map_err(|error| StartError::Script {
                    path: path.to_owned(),
                    error,
                })?;
            info!(
                script = %record.id,
                revision = record.revision,
                path = %path.display(),
                "script registered"
            );
            Some(record.id)
        }
        None => config.scripts.script_id.clone(),
    };
    Ok((Arc::new(store), fleet_script))
}

/// Fails unless the fleet's script (if it has one) is stored.
fn check_fleet_script(store: &ScriptStore, fleet_script: Option<&str>) -> Result<(), StartError> {
    match fleet_script {
        Some(id) if store.get(id).is_none() => Err(StartError::UnknownScript {
            id: id.to_owned(),
            dir: store.dir().to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Loads the certificate when a listener uses TLS (`[tls]`), or when files are given anyway
/// so that a mistake in them shows at start rather than at the first secure client.
fn open_certs(config: &Config) -> Result<Option<Arc<tls::CertStore>>, StartError> {
    let settings = &config.tls;
    match &settings.files {
        Some(files) => Ok(Some(Arc::new(tls::CertStore::open(files.clone())?))),
        None if settings.mode != config::SecureMode::Plain || settings.control => {
            Err(StartError::NoCertificate)
        }
        None => Ok(None),
    }
}

/// Where game clients connect: the Agones GameServer's address and port if known, else the
/// `[fleet]` settings, else the game listener (loopback when it listens on every address).
fn client_endpoint(
    config: &Config,
    ws: SocketAddr,
    advertised: Option<&crate::agones::Advertised>,
) -> host::Endpoint {
    if let Some(advertised) = advertised {
        let ip = advertised
            .ip()
            .or(config.fleet.ip_address)
            .unwrap_or(ws.ip());
        return host::Endpoint {
            ip,
            dns_name: config
                .fleet
                .dns_name
                .clone()
                .unwrap_or_else(|| advertised.address.clone()),
            port: advertised.port,
        };
    }
    let ip = config.fleet.ip_address.unwrap_or_else(|| {
        if ws.ip().is_unspecified() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            ws.ip()
        }
    });
    host::Endpoint {
        ip,
        dns_name: config
            .fleet
            .dns_name
            .clone()
            .unwrap_or_else(|| ip.to_string()),
        port: config.fleet.port.unwrap_or(ws.port()),
    }
}

/// This host's id in its fleet: `fleet.host_id`, or `<hostname>-<game port>`.
fn host_id(config: &Config, ws: SocketAddr) -> String {
    if let Some(id) = &config.fleet.host_id {
        return id.clone();
    }
    let name = nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{name}-{}", ws.port())
}

async fn sweep(host: Arc<Host>) {
    let mut interval = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        tokio::select! {
            () = host.shutdown.cancelled() => break,
            _ = interval.tick() => {
                host.log_catalog_error(host.catalog.expire(std::time::SystemTime::now()).await);
            }
        }
    }
}
