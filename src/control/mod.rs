//! The control API: the GameLift service API (AWS JSON 1.1 over HTTP, SigV4-signed) so game
//! backends using boto3, the AWS CLI or an AWS SDK work against Volley by changing only their
//! endpoint URL (control-api.md). [`router`] answers `POST` on any path with an
//! `X-Amz-Target: GameLift.<Operation>` header; operations act through the catalog and the host's library
//! API ([`crate::Sessions`]). `GET /health` and `GET /ready` answer without authentication;
//! `GET /metrics` serves the metrics to Prometheus ([`scrape`]), and `GET /console/` the
//! operator console, a page that calls this same API from the browser ([`console`]). Volley's
//! own operations (`X-Amz-Target: Volley.<Operation>`) are in [`admin`].
//!
//! Every operation is one [`Operation`], routed by [`dispatch`] to its handler, one module
//! per group ([`game_sessions`], [`player_sessions`], [`fleets`], [`locations`], [`scripts`],
//! [`aliases`], [`queues`], [`placements`], [`rule_sets`], [`matchmaking_configurations`],
//! [`admin`]); the [`placer`] places the pending
//! placements in the background.
//! A handler takes its operation's typed input from [`crate::api`], read by [`decode`] and
//! checked by the input's `validate`, resolves what it names against this server
//! ([`resolve`]) and returns the typed output, built with [`output`].

mod admin;
mod aliases;
mod body;
mod console;
mod decode;
mod error;
mod fleets;
mod game_sessions;
mod health;
mod listener;
mod locations;
pub(crate) mod matchmaker;
mod matchmaking_configurations;
mod output;
mod paging;
mod placements;
pub(crate) mod placer;
mod player_sessions;
mod queues;
mod resolve;
mod rule_sets;
mod scrape;
mod scripts;
pub(crate) mod search;
pub mod sigv4;
mod slots;
mod tickets;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tracing::{debug, error};

pub use error::{ApiError, ErrorType};
pub(crate) use listener::serve_connections;

use crate::Sessions;
use crate::alias::AliasStore;
use crate::api::matchmaking_configurations::MatchmakingConfiguration;
use crate::api::queues::GameSessionQueue;
use crate::api::rule_sets::MatchmakingRuleSet;
use crate::api::{GAMELIFT_PREFIX, Operation, Request as ApiRequest, VOLLEY_PREFIX};
use crate::catalog::Catalog;
use crate::config::{AuthMode, FleetConfig};
use crate::events::Events;
use crate::host::Admin;
use crate::named::NamedStore;
use crate::placement::PlacementStore;
use crate::ticket::TicketStore;

/// The service name in SigV4 credential scopes.
const SERVICE: &str = "gamelift";

/// The stores of the control plane's own records, beside the catalog: on disk or in memory
/// for one server, in the fleet store for a fleet.
pub(crate) struct Stores {
    /// The aliases.
    pub aliases: Arc<dyn AliasStore>,
    /// The game session queues.
    pub queues: Arc<dyn NamedStore<GameSessionQueue>>,
    /// The matchmaking rule sets.
    pub rule_sets: Arc<dyn NamedStore<MatchmakingRuleSet>>,
    /// The matchmaking configurations.
    pub configurations: Arc<dyn NamedStore<MatchmakingConfiguration>>,
    /// The game session placements.
    pub placements: Arc<dyn PlacementStore>,
    /// The matchmaking tickets.
    pub tickets: Arc<dyn TicketStore>,
}

/// What the handlers share.
pub(crate) struct Control {
    admin: Admin,
    sessions: Sessions,
    /// The records of game sessions and player sessions.
    catalog: Arc<dyn Catalog>,
    /// The aliases.
    aliases: Arc<dyn AliasStore>,
    /// The game session queues.
    queues: Arc<dyn NamedStore<GameSessionQueue>>,
    /// The matchmaking rule sets.
    rule_sets: Arc<dyn NamedStore<MatchmakingRuleSet>>,
    /// The matchmaking configurations.
    configurations: Arc<dyn NamedStore<MatchmakingConfiguration>>,
    /// The game session placements.
    placements: Arc<dyn PlacementStore>,
    /// The matchmaking tickets.
    tickets: Arc<dyn TicketStore>,
    /// Wakes the placer when a placement starts.
    placer: placer::Placer,
    /// Wakes the matchmaker when a ticket starts or is answered.
    matchmaker: matchmaker::Matchmaker,
    /// Where placement events go.
    events: Events,
    /// When the server started: the fleet's creation time.
    started: SystemTime,
    /// The listeners' bound addresses.
    addresses: crate::Addresses,
}

impl Control {
    pub(crate) fn new(
        admin: Admin,
        sessions: Sessions,
        catalog: Arc<dyn Catalog>,
        stores: Stores,
        events: Events,
        addresses: crate::Addresses,
    ) -> Self {
        Self {
            sessions,
            catalog,
            aliases: stores.aliases,
            queues: stores.queues,
            rule_sets: stores.rule_sets,
            configurations: stores.configurations,
            placements: stores.placements,
            tickets: stores.tickets,
            placer: placer::Placer::new(),
            matchmaker: matchmaker::Matchmaker::new(),
            events,
            admin,
            started: SystemTime::now(),
            addresses,
        }
    }

    /// The signature check with the access keys in force now (a reload may change them);
    /// `None` when `control.auth` is "none".
    fn verifier(&self) -> Option<sigv4::Verifier> {
        if self.admin.config().control.auth != AuthMode::Sigv4 {
            return None;
        }
        let live = self.admin.live();
        let keys = live
            .access_keys
            .iter()
            .map(|key| (key.id.clone(), key.secret.clone()));
        Some(sigv4::Verifier::new(keys, SERVICE, live.max_clock_skew))
    }

    fn fleet(&self) -> &FleetConfig {
        &self.admin.config().fleet
    }

    /// Publishes an event to the webhook that `target` maps to (or the default one).
    fn publish_event(&self, target: Option<&str>, event: serde_json::Value) {
        self.events.publish(target, event);
    }

    /// Builds response objects for this server.
    fn shapes(&self) -> output::Shapes<'_> {
        output::Shapes {
            fleet: self.fleet(),
            endpoint: self.admin.endpoint(),
        }
    }
}

/// The control API's routes: the unauthenticated health checks, the metrics, the console's
/// files, and the GameLift operations on any other path (and on those by POST).
pub(crate) fn router(control: Arc<Control>) -> Router {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(scrape::metrics).fallback(handle))
        .route("/console", get(console::redirect).fallback(handle))
        .route("/console/", get(console::index).fallback(handle))
        .route("/console/{*name}", get(console::asset).fallback(handle))
        .fallback(handle)
        .with_state(control)
}

async fn handle(State(control): State<Arc<Control>>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let op = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|target| operation(target).to_owned());
    let result = serve(&control, &parts, body, op.as_deref()).await;
    let outcome = result.as_ref().map_or_else(|e| e.kind.name(), |_| "ok");
    control
        .admin
        .metrics()
        .control_request(op.as_deref(), outcome);
    let mut response = match result {
        Ok(output) => json_response(StatusCode::OK, &output),
        Err(e) => {
            if e.kind == ErrorType::Internal {
                error!(op = op.as_deref().unwrap_or(""), %request_id, message = %e.message, "internal error");
            } else {
                debug!(op = op.as_deref().unwrap_or(""), error = e.kind.name(), message = %e.message, "request refused");
            }
            let refused_body = e.kind == ErrorType::RequestTooLarge;
            let mut response = e.into_response();
            if parts.method != Method::POST {
                *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            }
            if refused_body {
                // The rest of the body is being thrown away: the connection ends with it.
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-RequestId", value);
    }
    response
}

async fn serve(
    control: &Control,
    parts: &axum::http::request::Parts,
    body: Body,
    op: Option<&str>,
) -> Result<serde_json::Value, ApiError> {
    if parts.method != Method::POST {
        return Err(ApiError::new(
            ErrorType::UnknownOperation,
            "only POST is supported",
        ));
    }
    let body = match body::read(&parts.headers, body).await {
        Ok(body) => body,
        Err(body::BodyError::TooLarge(leftover)) => {
            if let Some(leftover) = leftover {
                let shutdown = control.admin.shutdown().clone();
                control.admin.tasks().spawn(async move {
                    tokio::select! {
                        () = body::discard(leftover) => {}
                        () = shutdown.cancelled() => {}
                    }
                });
            }
            return Err(ApiError::new(
                ErrorType::RequestTooLarge,
                format!(
                    "the request body is larger than {} bytes",
                    body::MAX_BODY_BYTES
                ),
            ));
        }
        Err(body::BodyError::Unreadable) => {
            return Err(ApiError::new(
                ErrorType::Serialization,
                "the body could not be read",
            ));
        }
        Err(body::BodyError::TooSlow) => {
            return Err(ApiError::new(
                ErrorType::Serialization,
                format!(
                    "the body did not arrive within {} s",
                    body::READ_TIME.as_secs()
                ),
            ));
        }
    };
    authenticate(control, parts, &body)?;
    let op = op.filter(|op| !op.is_empty()).ok_or_else(|| {
        ApiError::new(
            ErrorType::UnknownOperation,
            "missing or unknown X-Amz-Target",
        )
    })?;
    let body = decode::object(&body)?;
    let operation = Operation::from_name(op).ok_or_else(|| unsupported(op))?;
    // Reservations past their deadline time out before anything reads them (control-api.md §3.4).
    control
        .catalog
        .expire(SystemTime::now())
        .await
        .map_err(resolve::catalog_error)?;
    let output = dispatch(control, operation, &body).await?;
    debug!(op, "request served");
    Ok(output)
}

/// Runs `operation`: each one has its handler here, so none can be listed and left unserved.
async fn dispatch(
    control: &Control,
    operation: Operation,
    body: &serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    match operation {
        Operation::CreateGameSession => {
            run(control, operation, body, game_sessions::create_game_session).await
        }
        Operation::DescribeGameSessions => {
            run(
                control,
                operation,
                body,
                game_sessions::describe_game_sessions,
            )
            .await
        }
        Operation::CreatePlayerSession => {
            run(
                control,
                operation,
                body,
                player_sessions::create_player_session,
            )
            .await
        }
        Operation::CreatePlayerSessions => {
            run(
                control,
                operation,
                body,
                player_sessions::create_player_sessions,
            )
            .await
        }
        Operation::DescribePlayerSessions => {
            run(
                control,
                operation,
                body,
                player_sessions::describe_player_sessions,
            )
            .await
        }
        Operation::DescribeGameSessionDetails => {
            run(
                control,
                operation,
                body,
                game_sessions::describe_game_session_details,
            )
            .await
        }
        Operation::SearchGameSessions => {
            run(
                control,
                operation,
                body,
                game_sessions::search_game_sessions,
            )
            .await
        }
        Operation::UpdateGameSession => {
            run(control, operation, body, game_sessions::update_game_session).await
        }
        Operation::TerminateGameSession => {
            run(
                control,
                operation,
                body,
                game_sessions::terminate_game_session,
            )
            .await
        }
        Operation::DescribeFleetAttributes => {
            run(control, operation, body, fleets::describe_fleet_attributes).await
        }
        Operation::DescribeFleetCapacity => {
            run(control, operation, body, fleets::describe_fleet_capacity).await
        }
        Operation::DescribeFleetUtilization => {
            run(control, operation, body, fleets::describe_fleet_utilization).await
        }
        Operation::ListFleets => run(control, operation, body, fleets::list_fleets).await,
        Operation::ListLocations => run(control, operation, body, locations::list_locations).await,
        Operation::DescribeFleetLocationAttributes => {
            run(
                control,
                operation,
                body,
                locations::describe_fleet_location_attributes,
            )
            .await
        }
        Operation::DescribeFleetLocationCapacity => {
            run(
                control,
                operation,
                body,
                locations::describe_fleet_location_capacity,
            )
            .await
        }
        Operation::DescribeFleetLocationUtilization => {
            run(
                control,
                operation,
                body,
                locations::describe_fleet_location_utilization,
            )
            .await
        }
        Operation::CreateScript => run(control, operation, body, scripts::create_script).await,
        Operation::UpdateScript => run(control, operation, body, scripts::update_script).await,
        Operation::DescribeScript => run(control, operation, body, scripts::describe_script).await,
        Operation::ListScripts => run(control, operation, body, scripts::list_scripts).await,
        Operation::DeleteScript => run(control, operation, body, scripts::delete_script).await,
        Operation::CreateAlias => run(control, operation, body, aliases::create_alias).await,
        Operation::DescribeAlias => run(control, operation, body, aliases::describe_alias).await,
        Operation::ListAliases => run(control, operation, body, aliases::list_aliases).await,
        Operation::UpdateAlias => run(control, operation, body, aliases::update_alias).await,
        Operation::DeleteAlias => run(control, operation, body, aliases::delete_alias).await,
        Operation::ResolveAlias => run(control, operation, body, aliases::resolve_alias).await,
        Operation::CreateGameSessionQueue => {
            run(control, operation, body, queues::create_game_session_queue).await
        }
        Operation::DescribeGameSessionQueues => {
            run(
                control,
                operation,
                body,
                queues::describe_game_session_queues,
            )
            .await
        }
        Operation::UpdateGameSessionQueue => {
            run(control, operation, body, queues::update_game_session_queue).await
        }
        Operation::DeleteGameSessionQueue => {
            run(control, operation, body, queues::delete_game_session_queue).await
        }
        Operation::StartGameSessionPlacement => {
            run(
                control,
                operation,
                body,
                placements::start_game_session_placement,
            )
            .await
        }
        Operation::DescribeGameSessionPlacement => {
            run(
                control,
                operation,
                body,
                placements::describe_game_session_placement,
            )
            .await
        }
        Operation::StopGameSessionPlacement => {
            run(
                control,
                operation,
                body,
                placements::stop_game_session_placement,
            )
            .await
        }
        Operation::CreateMatchmakingRuleSet => {
            run(
                control,
                operation,
                body,
                rule_sets::create_matchmaking_rule_set,
            )
            .await
        }
        Operation::DescribeMatchmakingRuleSets => {
            run(
                control,
                operation,
                body,
                rule_sets::describe_matchmaking_rule_sets,
            )
            .await
        }
        Operation::DeleteMatchmakingRuleSet => {
            run(
                control,
                operation,
                body,
                rule_sets::delete_matchmaking_rule_set,
            )
            .await
        }
        Operation::ValidateMatchmakingRuleSet => {
            run(
                control,
                operation,
                body,
                rule_sets::validate_matchmaking_rule_set,
            )
            .await
        }
        Operation::CreateMatchmakingConfiguration => {
            run(
                control,
                operation,
                body,
                matchmaking_configurations::create_matchmaking_configuration,
            )
            .await
        }
        Operation::DescribeMatchmakingConfigurations => {
            run(
                control,
                operation,
                body,
                matchmaking_configurations::describe_matchmaking_configurations,
            )
            .await
        }
        Operation::UpdateMatchmakingConfiguration => {
            run(
                control,
                operation,
                body,
                matchmaking_configurations::update_matchmaking_configuration,
            )
            .await
        }
        Operation::DeleteMatchmakingConfiguration => {
            run(
                control,
                operation,
                body,
                matchmaking_configurations::delete_matchmaking_configuration,
            )
            .await
        }
        Operation::StartMatchmaking => {
            run(control, operation, body, tickets::start_matchmaking).await
        }
        Operation::DescribeMatchmaking => {
            run(control, operation, body, tickets::describe_matchmaking).await
        }
        Operation::StopMatchmaking => {
            run(control, operation, body, tickets::stop_matchmaking).await
        }
        Operation::AcceptMatch => run(control, operation, body, tickets::accept_match).await,
        Operation::StartMatchBackfill => {
            run(control, operation, body, tickets::start_match_backfill).await
        }
        Operation::DescribeServer => run(control, operation, body, admin::describe_server).await,
        Operation::StartDrain => run(control, operation, body, admin::start_drain).await,
    }
}

/// Serves `operation`: reads and validates its input `I` from `body`, runs `handler`, and
/// writes its output as JSON. A handler of another operation is refused as a bug.
async fn run<'a, I, F, Fut>(
    control: &'a Control,
    operation: Operation,
    body: &serde_json::Value,
    handler: F,
) -> Result<serde_json::Value, ApiError>
where
    I: ApiRequest,
    F: FnOnce(&'a Control, I) -> Fut,
    Fut: Future<Output = Result<I::Output, ApiError>>,
{
    if I::OPERATION != operation {
        return Err(ApiError::new(
            ErrorType::Internal,
            format!(
                "{} is routed to the handler of {}",
                operation.name(),
                I::OPERATION.name()
            ),
        ));
    }
    let input: I = decode::decode(body)?;
    input.validate()?;
    let output = handler(control, input).await?;
    // Objects serialize in key order, as every response always has.
    serde_json::to_value(&output).map_err(|e| {
        ApiError::new(
            ErrorType::Internal,
            format!(
                "the output of {} did not serialize: {e}",
                I::OPERATION.name()
            ),
        )
    })
}

/// The refusal of an operation name no [`Operation`] has, quoting its whole target.
fn unsupported(op: &str) -> ApiError {
    let target = if op.starts_with(VOLLEY_PREFIX) {
        op.to_owned()
    } else {
        format!("{GAMELIFT_PREFIX}{op}")
    };
    ApiError::new(
        ErrorType::UnknownOperation,
        format!("operation {target} is not supported"),
    )
}

/// The operation an `X-Amz-Target` names, as logged and dispatched: `GameLift.<Op>` is
/// `<Op>`, Volley's own `Volley.<Op>` stays whole; anything else is unknown (empty).
fn operation(target: &str) -> &str {
    match target.strip_prefix(GAMELIFT_PREFIX) {
        // GameLift names have no dots, so `GameLift.Volley.X` cannot reach Volley's own.
        Some(op) if !op.contains('.') => op,
        Some(_) => "",
        None if target.starts_with(VOLLEY_PREFIX) => target,
        None => "",
    }
}

/// Checks the request's SigV4 signature when the API requires one (`control.auth =
/// "sigv4"`): made with one of the access keys in force, for service `gamelift`, within the
/// allowed clock skew.
fn authenticate(
    control: &Control,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<(), ApiError> {
    let Some(verifier) = control.verifier() else {
        return Ok(());
    };
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    verifier
        .verify(
            parts.method.as_str(),
            path,
            query,
            &parts.headers,
            body,
            SystemTime::now(),
        )
        .map(drop)
        .map_err(|e| ApiError::new(ErrorType::Auth(e.error_type()), e.to_string()))
}

/// A JSON response with the AWS JSON 1.1 content type.
fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    response
}
