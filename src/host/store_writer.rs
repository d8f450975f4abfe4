//! The changes session tasks make to their records, written to a fleet store by one task of
//! their own, in order, so that a game session never waits on the store: while the store is
//! away the changes queue (up to [`QUEUE`]) and are written once it is back, each with the
//! time it happened. With the in-memory catalog, changes are made at once instead.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tracing::warn;

use super::Host;
use crate::catalog::{Catalog, CatalogError, GameSessionStatus};
use crate::core::GameSessionId;
use crate::log_limit::LogLimit;

/// Most changes held while the store is away: a game session's start and end are a few,
/// and each player adds one when it leaves.
pub(crate) const QUEUE: usize = 100_000;

/// How long the writer waits before trying a failed change again.
const RETRY: Duration = Duration::from_millis(500);

/// One change to the records.
#[derive(Debug)]
pub(crate) enum RecordChange {
    /// A player session's player left, or its login was refused.
    Completed {
        at: SystemTime,
        player_session: String,
    },
    /// A game session is winding down, for this reason.
    Terminating {
        game_session: GameSessionId,
        reason: &'static str,
    },
    /// A game session ended.
    Ended {
        at: SystemTime,
        game_session: GameSessionId,
        status: GameSessionStatus,
    },
}

impl RecordChange {
    pub async fn apply(&self, catalog: &dyn Catalog) -> Result<(), CatalogError> {
        match self {
            Self::Completed { at, player_session } => catalog.complete(*at, player_session).await,
            Self::Terminating {
                game_session,
                reason,
            } => catalog.terminating(game_session, reason).await,
            Self::Ended {
                at,
                game_session,
                status,
            } => {
                catalog
                    .end_game_session(*at, game_session, *status, None)
                    .await
            }
        }
    }
}

/// Longest the writer spends at shutdown on what is still queued (one try each).
pub(crate) const FLUSH: Duration = Duration::from_secs(2);

/// Writes the queued changes until shutdown, retrying each until the store takes it; at
/// shutdown, tries what is still queued once.
pub(crate) async fn write(host: Arc<Host>, changes: flume::Receiver<RecordChange>) {
    let mut warnings = LogLimit::new(5, Duration::from_secs(60));
    loop {
        let change = tokio::select! {
            () = host.shutdown.cancelled() => break,
            change = changes.recv_async() => match change {
                Ok(change) => change,
                Err(_) => return,
            },
        };
        loop {
            let Err(e) = change.apply(&*host.catalog).await else {
                break;
            };
            if let Some(held_back) = warnings.admit(Instant::now()) {
                warn!(
                    error = %e,
                    held_back,
                    queued = changes.len(),
                    "a game session's change waits for the fleet store"
                );
            }
            tokio::select! {
                () = host.shutdown.cancelled() => break,
                () = tokio::time::sleep(RETRY) => {}
            }
        }
    }
    let flush = async {
        while let Ok(change) = changes.try_recv() {
            host.log_catalog_error(change.apply(&*host.catalog).await);
        }
    };
    if tokio::time::timeout(FLUSH, flush).await.is_err() {
        warn!(
            lost = changes.len(),
            "the fleet store did not take every change before shutdown"
        );
    }
}
