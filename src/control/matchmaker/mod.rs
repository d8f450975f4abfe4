//! The matchmaker: for each matchmaking configuration, takes its pool of tickets from the
//! [`TicketStore`], proposes matches with the pure [`matcher`], and moves tickets through
//! their statuses: `QUEUED` → `SEARCHING` → (`REQUIRES_ACCEPTANCE` →) `PLACING` → `COMPLETED`,
//! or `TIMED_OUT`, `CANCELLED`, `FAILED`. Each change is one atomic update of the tickets it
//! touches, and each is published as a matchmaking event.
//!
//! Every host runs one, and one host at a time runs a configuration's matchmaking: it holds
//! the configuration's lease in the store ([`LEASE`]), renewed every round, so when that host
//! dies another takes over. A matched game session is placed through the configuration's
//! queue by the [`placer`], as a placement whose id is the match id and which carries the
//! match's `MatchmakerData`; a backfill reserves the new players in the game session it fills.
//!
//! [`TicketStore`]: crate::ticket::TicketStore
//! [`matcher`]: crate::flexmatch::matcher
//! [`placer`]: super::placer

mod acceptance;
mod backfill;
mod placing;
mod report;
mod search;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Notify;
use tracing::warn;

use super::Control;
use super::error::{ApiError, ErrorType};
use super::matchmaking_configurations as configurations;
use crate::api::matchmaking_configurations::{BackfillMode, FlexMatchMode};
use crate::api::model::{GameProperty, Timestamp};
use crate::api::queues::queue_name_of;
use crate::api::rule_sets::MatchmakingRuleSet;
use crate::api::tickets::{MatchmakingTicket, TicketStatus};
use crate::flexmatch::{self, RuleSet};
use crate::log_limit::LogLimit;
use crate::ticket::{TicketRecord, millis};

/// How often each configuration's pool is looked at when nothing wakes the matchmaker sooner.
const POLL: Duration = Duration::from_millis(500);
/// The least time between two rounds, so that a stream of new tickets batches up.
const MIN_GAP: Duration = Duration::from_millis(50);
/// How often a configuration's game sessions are looked at for automatic backfill.
pub(super) const BACKFILL_SCAN: Duration = Duration::from_secs(1);
/// How long a host leads a configuration's matchmaking without renewing.
pub const LEASE: Duration = Duration::from_secs(3);

/// The matchmaker's handle, shared with the handlers that wake it.
pub(crate) struct Matchmaker {
    wake: Notify,
    /// Parsed rule sets by name: a rule set never changes once created.
    rule_sets: Mutex<HashMap<String, Arc<RuleSet>>>,
    /// When each configuration's game sessions were last scanned for automatic backfill.
    scans: Mutex<HashMap<String, Instant>>,
    /// Warnings about the store, a few a minute.
    warnings: Mutex<LogLimit>,
}

impl Matchmaker {
    pub(crate) fn new() -> Self {
        Self {
            wake: Notify::new(),
            rule_sets: Mutex::new(HashMap::new()),
            scans: Mutex::new(HashMap::new()),
            warnings: Mutex::new(LogLimit::new(5, Duration::from_secs(60))),
        }
    }

    /// A ticket started or was answered: look now rather than at the next poll.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Whether a configuration's game sessions are due a backfill scan (and if so, notes it).
    fn time_to_scan(&self, configuration: &str) -> bool {
        let now = Instant::now();
        let mut scans = self.scans.lock().unwrap_or_else(PoisonError::into_inner);
        match scans.get(configuration) {
            Some(last) if now.duration_since(*last) < BACKFILL_SCAN => false,
            _ => {
                scans.insert(configuration.to_owned(), now);
                true
            }
        }
    }

    fn warn(&self, what: &str, error: &dyn std::fmt::Display) {
        let admitted = self
            .warnings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .admit(Instant::now());
        if let Some(suppressed) = admitted {
            warn!(error = %error, suppressed, "matchmaking: {what}");
        }
    }
}

/// A matchmaking configuration as the matchmaker uses it.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its rule set, parsed.
    pub rule_set: Arc<RuleSet>,
    /// How long a ticket may search.
    pub request_timeout: Duration,
    /// How long players have to accept a match, when they must.
    pub acceptance_timeout: Option<Duration>,
    /// Slots kept open in a placed game session beyond the matched players.
    pub additional_players: u32,
    /// Whether the matchmaker backfills its game sessions itself.
    pub automatic_backfill: bool,
    /// The queue that places its matches (by name); `None` when standalone.
    pub queue: Option<String>,
    /// Game properties of its game sessions.
    pub game_properties: Vec<GameProperty>,
    /// Game session data of its game sessions.
    pub game_session_data: Option<String>,
    /// Data added to its events.
    pub custom_event_data: Option<String>,
    /// Where its events go.
    pub notification_target: Option<String>,
}

/// The configuration named `name` with its rule set, if it exists.
pub(crate) async fn settings(control: &Control, name: &str) -> Result<Option<Settings>, ApiError> {
    let Some(configuration) = control
        .configurations
        .get(name)
        .await
        .map_err(configurations::store_error)?
    else {
        return Ok(None);
    };
    // Deleting a rule set in use is refused, but a racing create may slip by.
    let rule_set = control
        .rule_sets
        .get(&configuration.rule_set_name)
        .await
        .map_err(configurations::store_error)?
        .ok_or_else(|| {
            ApiError::new(
                ErrorType::InvalidRequest,
                format!(
                    "The rule set {} of matchmaking configuration {name} is gone",
                    configuration.rule_set_name
                ),
            )
        })?;
    let with_queue = configuration.flex_match_mode == FlexMatchMode::WithQueue;
    Ok(Some(Settings {
        rule_set: parsed_rule_set(control, &rule_set)?,
        arn: configuration.configuration_arn,
        request_timeout: Duration::from_secs(
            u64::try_from(configuration.request_timeout_seconds).unwrap_or(1),
        ),
        acceptance_timeout: configuration.acceptance_required.then(|| {
            Duration::from_secs(
                u64::try_from(configuration.acceptance_timeout_seconds.unwrap_or(30)).unwrap_or(30),
            )
        }),
        additional_players: u32::try_from(configuration.additional_player_count).unwrap_or(0),
        automatic_backfill: configuration.backfill_mode == BackfillMode::Automatic,
        queue: configuration
            .game_session_queue_arns
            .first()
            .filter(|_| with_queue)
            .map(|arn| queue_name_of(arn).to_owned()),
        game_properties: configuration.game_properties,
        game_session_data: configuration.game_session_data,
        custom_event_data: configuration.custom_event_data,
        notification_target: configuration.notification_target,
        name: configuration.name,
    }))
}

pub(crate) use backfill::replace_backfill;
pub(crate) use report::{answered, cancelled};

/// Runs matchmaking until the server shuts down.
pub(crate) async fn run(control: Arc<Control>) {
    let shutdown = control.admin.shutdown().clone();
    let holder = control.admin.host_id();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = control.matchmaker.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
        for name in configuration_names(&control).await {
            match control.tickets.lead(&name, &holder, LEASE).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    control.matchmaker.warn("cannot take the lease", &e);
                    continue;
                }
            }
            match settings(&control, &name).await {
                Ok(Some(settings)) => round(&control, &settings, SystemTime::now()).await,
                Ok(None) => {}
                Err(e) => control.matchmaker.warn("cannot read a configuration", &e),
            }
        }
        tokio::time::sleep(MIN_GAP).await;
    }
}

async fn configuration_names(control: &Control) -> Vec<String> {
    match control.configurations.list().await {
        Ok(configurations) => configurations.into_iter().map(|c| c.name).collect(),
        Err(e) => {
            control
                .matchmaker
                .warn("cannot list the configurations", &e);
            Vec::new()
        }
    }
}

/// One round of a configuration's matchmaking at `now`.
async fn round(control: &Control, settings: &Settings, now: SystemTime) {
    let pool = match control.tickets.pool(&settings.name).await {
        Ok(pool) => pool,
        Err(e) => {
            control.matchmaker.warn("cannot read a ticket pool", &e);
            return;
        }
    };
    let mut pool: BTreeMap<String, TicketRecord> =
        pool.into_iter().map(|r| (r.id().to_owned(), r)).collect();
    search::start_searching(control, settings, &mut pool).await;
    search::time_out(control, settings, &mut pool, now).await;
    let matches = |status: TicketStatus| -> BTreeSet<String> {
        pool.values()
            .filter(|r| r.ticket.status == status)
            .filter_map(|r| r.proposed.as_ref().map(|m| m.match_id.clone()))
            .collect()
    };
    for match_id in matches(TicketStatus::RequiresAcceptance) {
        acceptance::resolve_acceptance(control, settings, &pool, &match_id, now).await;
    }
    for match_id in matches(TicketStatus::Placing) {
        placing::follow_placement(control, settings, &pool, &match_id).await;
    }
    search::search(control, settings, &pool, now).await;
    if settings.automatic_backfill && settings.queue.is_some() {
        backfill::backfill_automatically(control, settings, &pool, now).await;
    }
}

fn searching(record: &TicketRecord) -> bool {
    matches!(
        record.ticket.status,
        TicketStatus::Queued | TicketStatus::Searching
    )
}

fn end_ticket(
    ticket: &mut MatchmakingTicket,
    status: TicketStatus,
    reason: &str,
    message: &str,
    now: SystemTime,
) {
    ticket.status = status;
    ticket.status_reason = Some(reason.to_owned());
    ticket.status_message = Some(message.to_owned());
    ticket.end_time = Some(Timestamp(now));
}

fn millis_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A rule set by name, parsed once.
pub(crate) fn parsed_rule_set(
    control: &Control,
    rule_set: &MatchmakingRuleSet,
) -> Result<Arc<RuleSet>, ApiError> {
    // A deleted rule set's name may come back with another body: the key has its creation.
    let name = &rule_set.rule_set_name;
    let key = format!("{name}@{}", millis(rule_set.creation_time.0));
    let mut cache = control
        .matchmaker
        .rule_sets
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(parsed) = cache.get(&key) {
        return Ok(Arc::clone(parsed));
    }
    let parsed = Arc::new(flexmatch::parse(&rule_set.rule_set_body).map_err(|e| {
        ApiError::new(
            ErrorType::InvalidRequest,
            format!("Rule set {name} does not parse: {e}"),
        )
    })?);
    cache.insert(key, Arc::clone(&parsed));
    Ok(parsed)
}
