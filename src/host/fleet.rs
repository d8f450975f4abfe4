//! This host's membership in a fleet whose catalog is in Redis: it registers itself and
//! renews the registration every `fleet.heartbeat_secs` (draining or not, with its capacity
//! and its players), ends the game sessions of hosts whose registration expired, and does
//! what other hosts ask of the game sessions it owns (start one placed here, terminate one).
//!
//! Store failures are logged (a few lines a minute), counted, and retried at the next beat:
//! the game sessions running here never wait on the store. Each beat also refreshes the
//! fleet gauges: the live hosts as the store has them, and whether it answered.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tracing::{info, warn};

use super::{Host, SessionMsg};
use crate::catalog::redis::{HostCommand, HostInfo, HostStatus};
use crate::catalog::{Catalog, GameSessionStatus, RedisCatalog};
use crate::core::GameSessionId;
use crate::log_limit::LogLimit;
use crate::metrics::Metrics;

/// What this host, `id` in its fleet, registers now.
pub(crate) fn info(host: &Host, id: &str) -> HostInfo {
    HostInfo {
        id: id.to_owned(),
        location: host.config.fleet.location.clone(),
        ip_address: host.endpoint.ip.to_string(),
        dns_name: host.endpoint.dns_name.clone(),
        port: host.endpoint.port,
        capacity: host.live().limits.max_game_sessions,
        players: players_connected(host),
        draining: host.drain.is_cancelled(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// Players connected now (their WebSocket connections).
pub(crate) fn players_connected(host: &Host) -> usize {
    let open =
        |gauge: &std::sync::atomic::AtomicU64| gauge.load(std::sync::atomic::Ordering::Relaxed);
    usize::try_from(
        open(&host.metrics.open_websocket_plain) + open(&host.metrics.open_websocket_secure),
    )
    .unwrap_or(usize::MAX)
}

/// Sets the gauges of the fleet's hosts to the live ones this host's heartbeat just read.
fn seen(metrics: &Metrics, live: &[HostStatus]) {
    let draining = live.iter().filter(|h| h.info.draining).count();
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    Metrics::set(
        &metrics.fleet_hosts_active,
        count(live.len().saturating_sub(draining)),
    );
    Metrics::set(&metrics.fleet_hosts_draining, count(draining));
}

/// Joins the fleet: the game sessions a previous run of this host left behind end (they
/// are not running any more), then this host registers.
pub(crate) async fn join(
    host: &Host,
    store: &RedisCatalog,
) -> Result<(), crate::catalog::CatalogError> {
    let ended = store.reap(store.host()).await?;
    if ended > 0 {
        info!(ended, "game sessions of this host's previous run ended");
    }
    store
        .register(&info(host, store.host()), host.config.fleet.host_expiry)
        .await
}

/// Renews the registration until shutdown, at once when a drain starts, and ends the game
/// sessions of hosts that stopped renewing theirs. At shutdown the host leaves the fleet.
pub(crate) async fn heartbeat(host: Arc<Host>, store: Arc<RedisCatalog>) {
    let fleet = &host.config.fleet;
    let mut beat = tokio::time::interval(fleet.heartbeat);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut warnings = LogLimit::new(5, Duration::from_secs(60));
    let mut drain_told = false;
    loop {
        tokio::select! {
            () = host.shutdown.cancelled() => break,
            () = host.drain.cancelled(), if !drain_told => drain_told = true,
            _ = beat.tick() => {}
        }
        let result = async {
            store.register(&info(&host, store.host()), fleet.host_expiry).await?;
            super::fleet_scripts::sync(&host.scripts, &store).await?;
            let (live, gone) = store.hosts().await?;
            seen(&host.metrics, &live);
            for id in gone {
                let ended = store.reap(&id).await?;
                warn!(host = %id, ended, "a host stopped renewing its registration: its game sessions ended");
            }
            Ok::<_, crate::catalog::CatalogError>(())
        }
        .await;
        Metrics::set(&host.metrics.fleet_store_up, u64::from(result.is_ok()));
        if result.is_err() {
            Metrics::inc(&host.metrics.fleet_store_heartbeat_errors);
        }
        if let Err(e) = result
            && let Some(held_back) = warnings.admit(Instant::now())
        {
            warn!(error = %e, held_back, "the fleet store did not take this host's heartbeat");
        }
    }
    // What the game sessions changed goes first (bounded by the writer's own flush), so
    // those that ended are recorded as they ended; what still runs here ends with the
    // process, and the host leaves placement at once.
    if let Some((_, changes)) = &host.record_changes {
        let deadline = tokio::time::Instant::now() + super::store_writer::FLUSH;
        while !changes.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let leave = async {
        store.deregister().await?;
        store.reap(store.host()).await
    };
    if let Err(e) = leave.await {
        warn!(error = %e, "this host could not leave the fleet store; it leaves when its registration expires");
    }
}

/// Does what other hosts ask of this host's game sessions, until shutdown.
pub(crate) async fn serve_inbox(host: Arc<Host>, store: Arc<RedisCatalog>) {
    let mut inbox = store.inbox();
    let mut warnings = LogLimit::new(5, Duration::from_secs(60));
    loop {
        let next = tokio::select! {
            () = host.shutdown.cancelled() => break,
            next = inbox.next() => next,
        };
        match next {
            Ok(None) => {}
            Ok(Some(command)) => command_arrived(&host, &store, command).await,
            Err(e) => {
                Metrics::inc(&host.metrics.fleet_store_inbox_errors);
                if let Some(held_back) = warnings.admit(Instant::now()) {
                    warn!(error = %e, held_back, "this host's inbox in the fleet store failed");
                }
                // The store is away: try again shortly rather than spin.
                tokio::select! {
                    () = host.shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

async fn command_arrived(host: &Arc<Host>, store: &Arc<RedisCatalog>, command: HostCommand) {
    match command {
        HostCommand::Start { id } => {
            let id = GameSessionId::new(id);
            let record = match store.game_session(&id).await {
                Ok(Some(record)) if record.status == GameSessionStatus::Activating => record,
                Ok(_) => return,
                Err(e) => {
                    warn!(game_session = %id, error = %e, "a game session placed here could not be read; it stays ACTIVATING until it is terminated");
                    return;
                }
            };
            // Its start may wait on the script: the inbox goes on meanwhile.
            let host_for_start = Arc::clone(host);
            let store_for_start = Arc::clone(store);
            host.tasks.spawn(async move {
                // The fleet's latest script revision, if it changed since the last beat.
                if let Err(e) =
                    super::fleet_scripts::sync(&host_for_start.scripts, &store_for_start).await
                {
                    warn!(error = %e, "the fleet's scripts could not be brought up to date before a start");
                }
                host_for_start.log_catalog_error(host_for_start.start_game_session(record).await);
            });
        }
        HostCommand::Terminate { id, force } => {
            let id = GameSessionId::new(id);
            let sent = match host.directory.session(&id) {
                Some(handle) => handle
                    .tx
                    .send_async(SessionMsg::Terminate { force })
                    .await
                    .is_ok(),
                None => false,
            };
            if !sent {
                // Not running here (any more): the record ends here.
                let result = store
                    .end_game_session(SystemTime::now(), &id, GameSessionStatus::Terminated, None)
                    .await;
                host.log_catalog_error(result);
            }
        }
    }
}
