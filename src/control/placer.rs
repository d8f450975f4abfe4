//! The placer: takes pending game session placements from the [`PlacementStore`] and places
//! them by their queue's rules ([`choose`]), on any host of the fleet with room, then ends
//! them `FULFILLED`, `TIMED_OUT` or `FAILED` and publishes their events.
//!
//! Every host runs one. A placement is due at once when started, and again [`RETRY`] after an
//! attempt that found no room (sooner if its latency cap relaxes before then); claiming it
//! leases it to one host for [`lease`], so a placement whose host dies is taken over by
//! another when the lease runs out. Its game session's id is its placement id
//! (`.../gamesession/<fleet>/<placement id>`, the idempotency token), so an attempt that
//! repeats a dead host's finds the game session that host made instead of making another.
//!
//! [`PlacementStore`]: crate::placement::PlacementStore
//! [`choose`]: crate::placement::choose

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};
use tracing::{debug, info, warn};

use super::Control;
use super::game_sessions::properties;
use crate::alias::Routing;
use crate::api::ids::{alias_id_of, fleet_id_of, is_fleet_id_or_arn, is_id_or_arn};
use crate::api::model::Timestamp;
use crate::api::placements::{
    GameSessionPlacement, GameSessionPlacementState, PlacedPlayerSession,
};
use crate::api::queues::GameSessionQueue;
use crate::catalog::{CatalogError, GameSession, GameSessionSpec, GameSessionStatus};
use crate::events;
use crate::log_limit::LogLimit;
use crate::metrics::Metrics;
use crate::placement::{Finished, choose};

/// How often the store is asked for due placements when nothing wakes the placer sooner.
const POLL: Duration = Duration::from_millis(250);
/// How long after an attempt that found no room the next one is made.
pub const RETRY: Duration = Duration::from_secs(1);
/// Most placements claimed at once.
const BATCH: usize = 64;
/// Most attempts in flight on one host; the rest wait in the store.
const MAX_IN_FLIGHT: usize = 256;

/// The placer's handle, shared with the handlers that wake it.
pub(crate) struct Placer {
    wake: Notify,
    /// Warnings about the store, a few a minute.
    warnings: Mutex<LogLimit>,
}

impl Placer {
    pub(crate) fn new() -> Self {
        Self {
            wake: Notify::new(),
            warnings: Mutex::new(LogLimit::new(5, Duration::from_secs(60))),
        }
    }

    /// A placement is due: look now rather than at the next poll.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    fn warn(&self, what: &str, error: &dyn std::fmt::Display) {
        let admitted = self
            .warnings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .admit(Instant::now());
        if let Some(suppressed) = admitted {
            warn!(error = %error, suppressed, "placements: {what}");
        }
    }
}

/// How long a claimed placement is this host's: longer than an attempt can take (a game
/// session's start on another host is waited for up to the activation timeout and 2 s).
fn lease(control: &Control) -> Duration {
    control.admin.config().scripts.activation_timeout + Duration::from_secs(10)
}

/// Places due placements until the server shuts down.
pub(crate) async fn run(control: Arc<Control>) {
    let shutdown = control.admin.shutdown().clone();
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = control.placer.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
        loop {
            let room = in_flight.available_permits().min(BATCH);
            if room == 0 {
                break;
            }
            let now = SystemTime::now();
            let due = match control
                .placements
                .claim_due(now, now + lease(&control), room)
                .await
            {
                Ok(due) => due,
                Err(e) => {
                    control.placer.warn("cannot claim due placements", &e);
                    break;
                }
            };
            let claimed = due.len();
            for placement in due {
                let Ok(permit) = Arc::clone(&in_flight).try_acquire_owned() else {
                    break;
                };
                let control = Arc::clone(&control);
                control.admin.tasks().clone().spawn(async move {
                    attempt(&control, placement).await;
                    drop(permit);
                });
            }
            if claimed < room {
                break;
            }
        }
    }
}

/// One attempt at a placement this host has claimed.
async fn attempt(control: &Control, placement: GameSessionPlacement) {
    let id = placement.placement_id.clone();
    let now = SystemTime::now();
    let queue = match control.queues.get(&placement.game_session_queue_name).await {
        Ok(Some(queue)) => queue,
        Ok(None) => {
            debug!(placement = %id, "its queue is gone");
            return end(control, placement, GameSessionPlacementState::Failed, None).await;
        }
        Err(e) => {
            control.placer.warn("cannot read a queue", &e);
            return retry(control, &id, now + RETRY).await;
        }
    };
    let started = placement.start_time.0;
    let elapsed = now.duration_since(started).unwrap_or_default();
    let timeout = Duration::from_secs(u64::try_from(queue.timeout_in_seconds).unwrap_or(0));
    if elapsed >= timeout {
        abandon(control, &id).await;
        return end(
            control,
            placement,
            GameSessionPlacementState::TimedOut,
            Some(&queue),
        )
        .await;
    }
    let Some(destination) = destination(control, &queue).await else {
        debug!(placement = %id, "no destination of its queue is this fleet");
        return end(
            control,
            placement,
            GameSessionPlacementState::Failed,
            Some(&queue),
        )
        .await;
    };
    let hosts = match control.admin.fleet_hosts().await {
        Ok(hosts) => hosts,
        Err(e) => {
            control.placer.warn("cannot read the fleet's hosts", &e);
            return retry(control, &id, now + RETRY).await;
        }
    };
    let locations: Vec<(String, usize)> = hosts
        .iter()
        .filter(|h| !h.info.draining)
        .map(|h| (h.info.location.clone(), destination))
        .collect();
    let plan = choose::plan(&queue, &placement, &locations, elapsed);
    let mut placed = None;
    for location in &plan.locations {
        match create(control, &placement, location).await {
            Ok(game_session) => {
                placed = Some(game_session);
                break;
            }
            // No room there (or its hosts are draining): the next location.
            Err(CatalogError::FleetFull | CatalogError::Draining) => {}
            Err(e @ CatalogError::Store(_)) => {
                control.placer.warn("cannot create a game session", &e);
                break;
            }
            Err(e) => {
                info!(placement = %id, error = %e, "placement failed");
                return end(
                    control,
                    placement,
                    GameSessionPlacementState::Failed,
                    Some(&queue),
                )
                .await;
            }
        }
    }
    let Some(game_session) = placed else {
        // Nowhere yet: again after RETRY, when the cap relaxes, or at the timeout.
        let mut next = now + RETRY;
        if let Some(change) = plan.cap_changes_at {
            next = next.min(started + change);
        }
        return retry(control, &id, next.min(started + timeout)).await;
    };
    if matches!(
        game_session.status,
        GameSessionStatus::Error | GameSessionStatus::Terminated | GameSessionStatus::Terminating
    ) {
        info!(placement = %id, status = game_session.status.as_str(), "its game session did not start");
        return end(
            control,
            placement,
            GameSessionPlacementState::Failed,
            Some(&queue),
        )
        .await;
    }
    if game_session.status == GameSessionStatus::Activating {
        // Its host did not start it within the longest a start may take (it may have died
        // before the fleet noticed): not placed yet. The next attempt finds it started, or
        // ended once its host is given up.
        debug!(placement = %id, "its game session is still activating");
        let next = SystemTime::now() + RETRY;
        return retry(control, &id, next.min(started + timeout)).await;
    }
    let players = match reserve(control, &placement, &game_session).await {
        Ok(players) => players,
        Err(e) => {
            info!(placement = %id, error = %e, "its players could not be placed");
            terminate(control, &game_session).await;
            return end(
                control,
                placement,
                GameSessionPlacementState::Failed,
                Some(&queue),
            )
            .await;
        }
    };
    let shape = control.shapes().game_session(&game_session);
    let mut fulfilled = ended(
        placement,
        GameSessionPlacementState::Fulfilled,
        SystemTime::now(),
    );
    fulfilled.game_session_id = Some(shape.game_session_id.clone());
    fulfilled.game_session_arn = Some(shape.game_session_id);
    fulfilled.game_session_region = Some(shape.location);
    fulfilled.ip_address = Some(shape.ip_address);
    fulfilled.dns_name = Some(shape.dns_name);
    fulfilled.port = Some(shape.port);
    fulfilled.placed_player_sessions = players;
    match control
        .placements
        .finish(SystemTime::now(), &fulfilled)
        .await
    {
        Ok(Finished::Now) => publish(control, &fulfilled, Some(&queue)).await,
        Ok(Finished::Already(_)) => {
            // Stopped while it was being placed: its game session is nobody's.
            debug!(placement = %id, "stopped while placed; ending its game session");
            terminate(control, &game_session).await;
        }
        Err(e) => {
            // Left pending: the next attempt finds the game session and its players.
            control
                .placer
                .warn("cannot record a fulfilled placement", &e);
            retry(control, &id, SystemTime::now() + RETRY).await;
        }
    }
}

/// The index of the queue's first destination that is this fleet (directly, or through an
/// alias routing to it); `None` if there is none.
async fn destination(control: &Control, queue: &GameSessionQueue) -> Option<usize> {
    let ours = &control.fleet().id;
    for (i, destination) in queue.destinations.iter().enumerate() {
        let arn = destination.destination_arn.as_deref().unwrap_or_default();
        if is_fleet_id_or_arn(arn) && fleet_id_of(arn) == ours {
            return Some(i);
        }
        if is_id_or_arn(arn, "alias")
            && let Ok(Some(alias)) = control.aliases.get(alias_id_of(arn)).await
            && alias.routing
                == (Routing::Simple {
                    fleet_id: ours.clone(),
                })
        {
            return Some(i);
        }
    }
    None
}

/// Creates the placement's game session in `location`, or finds the one an earlier attempt
/// made (in whatever location).
async fn create(
    control: &Control,
    placement: &GameSessionPlacement,
    location: &str,
) -> Result<GameSession, CatalogError> {
    let spec = GameSessionSpec {
        // In range 0..=200 by the input's validation.
        max_players: u32::try_from(placement.maximum_player_session_count).unwrap_or(0),
        name: placement.game_session_name.clone(),
        properties: properties(placement.game_properties.clone()),
        creator_id: None,
        game_session_data: placement.game_session_data.clone(),
        matchmaker_data: placement.matchmaker_data.clone(),
        idempotency_token: Some(placement.placement_id.clone()),
        location: location.to_owned(),
    };
    match control.sessions.create_game_session(spec).await {
        Err(CatalogError::IdempotentMismatch(token)) => {
            let id = control.sessions.game_session_id(&placement.placement_id);
            control
                .sessions
                .game_session(&id)
                .await?
                .ok_or(CatalogError::IdempotentMismatch(token))
        }
        created => created,
    }
}

/// Reserves the placement's players in its game session; players an earlier attempt placed
/// keep their player sessions.
async fn reserve(
    control: &Control,
    placement: &GameSessionPlacement,
    game_session: &GameSession,
) -> Result<Vec<PlacedPlayerSession>, CatalogError> {
    let earlier = control
        .catalog
        .player_sessions_of(&game_session.id)
        .await?
        .unwrap_or_default();
    let mut placed = Vec::new();
    let mut missing = Vec::new();
    for desired in &placement.desired_player_sessions {
        let player_id = desired.player_id.clone().unwrap_or_default();
        match earlier.iter().find(|p| p.player_id == player_id) {
            Some(session) => placed.push(PlacedPlayerSession {
                player_id,
                player_session_id: session.id.clone(),
            }),
            None => missing.push((player_id, desired.player_data.clone())),
        }
    }
    if !missing.is_empty() {
        let sessions = control
            .sessions
            .create_player_sessions(&game_session.id, missing)
            .await?;
        placed.extend(sessions.into_iter().map(|s| PlacedPlayerSession {
            player_id: s.player_id,
            player_session_id: s.id,
        }));
    }
    // In the order the request listed them.
    let order = |id: &str| {
        placement
            .desired_player_sessions
            .iter()
            .position(|d| d.player_id.as_deref() == Some(id))
    };
    placed.sort_by_key(|p| order(&p.player_id));
    Ok(placed)
}

/// Ends the game session an earlier attempt at a placement that is timing out made, if any
/// is still running: it was never handed to anyone.
async fn abandon(control: &Control, placement_id: &str) {
    let id = control.sessions.game_session_id(placement_id);
    match control.sessions.game_session(&id).await {
        Ok(Some(game_session))
            if matches!(
                game_session.status,
                GameSessionStatus::Activating | GameSessionStatus::Active
            ) =>
        {
            terminate(control, &game_session).await;
        }
        Ok(_) => {}
        Err(e) => control
            .placer
            .warn("cannot read a timed-out placement's game session", &e),
    }
}

async fn terminate(control: &Control, game_session: &GameSession) {
    let result = control
        .sessions
        .terminate_game_session(&game_session.id, "placement ended", true)
        .await;
    if let Err(e) = result {
        control
            .placer
            .warn("cannot end a placement's game session", &e);
    }
}

async fn retry(control: &Control, id: &str, at: SystemTime) {
    if let Err(e) = control.placements.retry_at(id, at).await {
        // Its lease runs out instead, and it is tried then.
        control.placer.warn("cannot reschedule a placement", &e);
    }
}

/// Ends a pending placement with `status` and publishes its event.
async fn end(
    control: &Control,
    placement: GameSessionPlacement,
    status: GameSessionPlacementState,
    queue: Option<&GameSessionQueue>,
) {
    let ended = ended(placement, status, SystemTime::now());
    match control.placements.finish(SystemTime::now(), &ended).await {
        Ok(Finished::Now) => publish(control, &ended, queue).await,
        Ok(Finished::Already(_)) => {}
        Err(e) => control.placer.warn("cannot end a placement", &e),
    }
}

/// `placement` with its final `status`, ended `now`, without the players' data it kept.
pub(super) fn ended(
    mut placement: GameSessionPlacement,
    status: GameSessionPlacementState,
    now: SystemTime,
) -> GameSessionPlacement {
    placement.status = status;
    placement.end_time = Some(Timestamp(to_millisecond(now)));
    placement.desired_player_sessions.clear();
    placement
}

/// `time` truncated to the millisecond, as placements are stored and shown.
pub(super) fn to_millisecond(time: SystemTime) -> SystemTime {
    let millis = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// Counts a placement that just ended and publishes its event, to its queue's notification
/// target (read again if `queue` is not given; a deleted queue's event goes to the default).
pub(super) async fn publish(
    control: &Control,
    placement: &GameSessionPlacement,
    queue: Option<&GameSessionQueue>,
) {
    let read;
    let queue = match queue {
        Some(queue) => Some(queue),
        None => {
            read = control
                .queues
                .get(&placement.game_session_queue_name)
                .await
                .ok()
                .flatten();
            read.as_ref()
        }
    };
    count(control, placement.status);
    let event = event(control, placement, queue);
    control.publish_event(queue.and_then(|q| q.notification_target.as_deref()), event);
}

/// Counts a placement that just ended.
fn count(control: &Control, status: GameSessionPlacementState) {
    let metrics = control.admin.metrics();
    let counter = match status {
        GameSessionPlacementState::Fulfilled => &metrics.placements_fulfilled,
        GameSessionPlacementState::Cancelled => &metrics.placements_cancelled,
        GameSessionPlacementState::TimedOut => &metrics.placements_timed_out,
        GameSessionPlacementState::Failed | GameSessionPlacementState::Pending => {
            &metrics.placements_failed
        }
    };
    Metrics::inc(counter);
}

/// A placement's event as GameLift writes it: `detail-type` "GameLift Queue Placement Event".
fn event(
    control: &Control,
    placement: &GameSessionPlacement,
    queue: Option<&GameSessionQueue>,
) -> Value {
    let kind = match placement.status {
        GameSessionPlacementState::Fulfilled => "PlacementFulfilled",
        GameSessionPlacementState::Cancelled => "PlacementCancelled",
        GameSessionPlacementState::TimedOut => "PlacementTimedOut",
        GameSessionPlacementState::Failed | GameSessionPlacementState::Pending => "PlacementFailed",
    };
    let mut detail = json!({
        "type": kind,
        "placementId": placement.placement_id,
        "startTime": events::iso8601_millis(placement.start_time.0),
    });
    if let Some(end) = placement.end_time {
        detail["endTime"] = json!(events::iso8601_millis(end.0));
    }
    if placement.status == GameSessionPlacementState::Fulfilled {
        detail["port"] = json!(placement.port.map(|p| p.to_string()));
        detail["gameSessionArn"] = json!(placement.game_session_arn);
        detail["ipAddress"] = json!(placement.ip_address);
        detail["dnsName"] = json!(placement.dns_name);
        detail["gameSessionRegion"] = json!(placement.game_session_region);
        detail["placedPlayerSessions"] = placement
            .placed_player_sessions
            .iter()
            .map(|p| json!({"playerId": p.player_id, "playerSessionId": p.player_session_id}))
            .collect();
    }
    if let Some(data) = queue.and_then(|q| q.custom_event_data.as_deref()) {
        detail["customEventData"] = json!(data);
    }
    let queue_arn = control
        .shapes()
        .queue_arn(&placement.game_session_queue_name);
    events::envelope(
        "GameLift Queue Placement Event",
        &control.fleet().region,
        vec![queue_arn],
        detail,
        SystemTime::now(),
    )
}
