//! The operations (control-api.md §2.3-§2.6): each reads its input, validates it as
//! the model says, acts through the host's library API and returns its output object. The
//! script operations are in [`super::scripts`].

use std::collections::HashSet;

use serde_json::{Value, json};

use super::Control;
use super::error::{ApiError, ErrorType};
use super::input::{Input, check_chars, check_length};
use super::output::Shapes;
use super::paging::{Page, sequence_key};
use super::scripts;
use super::search;
use crate::catalog::{
    CatalogError, GameSession, GameSessionSpec, GameSessionStatus, GameSessionUpdate,
    PlayerSessionStatus,
};
use crate::config::is_fleet_id;
use crate::core::GameSessionId;

/// Most players per game session (the GameLift limit, not adjustable).
const MAX_PLAYERS_PER_GAME_SESSION: i64 = crate::host::MAX_PLAYERS_PER_GAME_SESSION as i64;
/// The model's `FleetIdOrArn` pattern, for validation messages.
const FLEET_ID_PATTERN: &str = "Member must satisfy regular expression pattern: \
    ^[a-z]*fleet-[a-zA-Z0-9\\-]+$|^arn:.*:[a-z]*fleet\\/[a-z]*fleet-[a-zA-Z0-9\\-]+$";

/// Most player sessions created by one `CreatePlayerSessions`.
const MAX_PLAYER_IDS: usize = 25;

/// Runs operation `op` (the part of `X-Amz-Target` after `GameLift.`).
pub async fn dispatch(control: &Control, op: &str, input: &Input) -> Result<Value, ApiError> {
    match op {
        "CreateGameSession" => create_game_session(control, input).await,
        "DescribeGameSessions" => describe_game_sessions(control, input).await,
        "CreatePlayerSession" => create_player_sessions(control, input, false).await,
        "CreatePlayerSessions" => create_player_sessions(control, input, true).await,
        "DescribePlayerSessions" => describe_player_sessions(control, input).await,
        "DescribeGameSessionDetails" => describe_game_session_details(control, input).await,
        "SearchGameSessions" => search_game_sessions(control, input).await,
        "UpdateGameSession" => update_game_session(control, input).await,
        "TerminateGameSession" => terminate_game_session(control, input).await,
        "DescribeFleetAttributes" => describe_fleets(control, input, FleetView::Attributes).await,
        "DescribeFleetCapacity" => describe_fleets(control, input, FleetView::Capacity).await,
        "DescribeFleetUtilization" => describe_fleets(control, input, FleetView::Utilization).await,
        "ListFleets" => list_fleets(control, input),
        "CreateScript" => scripts::create_script(control, input).await,
        "UpdateScript" => scripts::update_script(control, input).await,
        "DescribeScript" => scripts::describe_script(control, input),
        "ListScripts" => scripts::list_scripts(control, input),
        "DeleteScript" => scripts::delete_script(control, input).await,
        _ => Err(ApiError::new(
            ErrorType::UnknownOperation,
            format!("operation GameLift.{op} is not supported"),
        )),
    }
}

async fn create_game_session(control: &Control, input: &Input) -> Result<Value, ApiError> {
    fleet_or_alias(control, input)?;
    let max_players = input
        .int("MaximumPlayerSessionCount", 0, MAX_PLAYERS_PER_GAME_SESSION)?
        .ok_or_else(|| ApiError::missing("MaximumPlayerSessionCount"))?;
    let token = idempotency_token(input)?;
    let location = location(control, input)?.unwrap_or_else(|| control.fleet().location.clone());
    let spec = GameSessionSpec {
        // In range 0..=200 by the check above.
        max_players: u32::try_from(max_players).unwrap_or(0),
        name: input.string("Name", 1, 1024)?,
        properties: input.game_properties("GameProperties")?.unwrap_or_default(),
        creator_id: input.string("CreatorId", 1, 1024)?,
        game_session_data: input.string("GameSessionData", 1, 262_144)?,
        idempotency_token: token,
        location,
    };
    let session = control
        .sessions
        .create_game_session(spec)
        .await
        .map_err(catalog_error)?;
    Ok(json!({"GameSession": control.shapes().game_session(&session)}))
}

async fn describe_game_sessions(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let (sessions, next) = select_game_sessions(control, input, "DescribeGameSessions").await?;
    let shapes = control.shapes();
    let sessions: Vec<Value> = sessions.iter().map(|g| shapes.game_session(g)).collect();
    let mut output = json!({"GameSessions": sessions});
    with_next_token(&mut output, next);
    Ok(output)
}

async fn describe_game_session_details(
    control: &Control,
    input: &Input,
) -> Result<Value, ApiError> {
    let (sessions, next) =
        select_game_sessions(control, input, "DescribeGameSessionDetails").await?;
    let shapes = control.shapes();
    let details: Vec<Value> = sessions
        .iter()
        .map(|g| {
            let protection = if g.protected {
                "FullProtection"
            } else {
                "NoProtection"
            };
            json!({"GameSession": shapes.game_session(g), "ProtectionPolicy": protection})
        })
        .collect();
    let mut output = json!({"GameSessionDetails": details});
    with_next_token(&mut output, next);
    Ok(output)
}

/// The game sessions a describe call selects (control-api.md §2.3.2), one page of them, and the
/// next page's token.
async fn select_game_sessions(
    control: &Control,
    input: &Input,
    op: &'static str,
) -> Result<(Vec<GameSession>, Option<String>), ApiError> {
    let game_session = game_session_id(input, false)?;
    if game_session.is_none() {
        fleet_or_alias(control, input)?;
    }
    let location = location(control, input)?;
    let status = match input.string("StatusFilter", 1, 1024)? {
        None => None,
        Some(name) => Some(GameSessionStatus::parse(&name).ok_or_else(|| {
            ApiError::invalid(
                "StatusFilter",
                "Member must be one of ACTIVE, ACTIVATING, TERMINATING, TERMINATED, ERROR",
            )
        })?),
    };
    let query = (
        game_session.as_ref().map(|g| g.as_str().to_owned()),
        &location,
        status.map(|s| s.as_str()),
    );
    let page = Page::read(input, op, &query)?;
    let catalog = &control.catalog;
    let sessions: Vec<GameSession> = match &game_session {
        Some(id) => vec![
            catalog
                .game_session(id)
                .await
                .map_err(catalog_error)?
                .ok_or_else(|| not_found_game_session(id))?,
        ],
        None => catalog
            .game_sessions()
            .await
            .map_err(catalog_error)?
            .into_iter()
            .filter(|g| location.as_ref().is_none_or(|l| *l == g.spec.location))
            .filter(|g| status.is_none_or(|s| s == g.status))
            .collect(),
    };
    Ok(page.apply(sessions, |g| sequence_key(g.sequence, g.id.as_str())))
}

/// Most results of one `SearchGameSessions` page (the model's limit).
const SEARCH_LIMIT: usize = 20;

async fn search_game_sessions(control: &Control, input: &Input) -> Result<Value, ApiError> {
    fleet_or_alias(control, input)?;
    let location = location(control, input)?;
    let filter_text = input.string("FilterExpression", 1, 1024)?;
    let sort_text = input.string("SortExpression", 1, 1024)?;
    let syntax = |member: &str, e: search::SyntaxError| {
        ApiError::new(ErrorType::InvalidRequest, format!("invalid {member}: {e}"))
    };
    let filter = filter_text
        .as_deref()
        .map(search::parse_filter)
        .transpose()
        .map_err(|e| syntax("FilterExpression", e))?;
    let sort = sort_text
        .as_deref()
        .map(search::parse_sort)
        .transpose()
        .map_err(|e| syntax("SortExpression", e))?;
    let query = (&location, &filter_text, &sort_text);
    let page = Page::read_limited(
        input,
        "SearchGameSessions",
        &query,
        SEARCH_LIMIT,
        SEARCH_LIMIT,
    )?;
    let mut sessions: Vec<GameSession> = control
        .catalog
        .game_sessions()
        .await
        .map_err(catalog_error)?
        .into_iter()
        .filter(|g| g.status == GameSessionStatus::Active)
        .filter(|g| location.as_ref().is_none_or(|l| *l == g.spec.location))
        .filter(|g| filter.as_ref().is_none_or(|f| f.matches(g)))
        .collect();
    // Without a sort, creation order (a stable stand-in for AWS's random order); with one,
    // ties keep that order.
    if let Some(sort) = &sort {
        sessions.sort_by(|a, b| sort.compare(a, b));
    }
    // Paging by rank in this ordering: results are a snapshot (control-api.md §4.5).
    let ranked: Vec<(usize, GameSession)> = sessions.into_iter().enumerate().collect();
    let (ranked, next) = page.apply(ranked, |(rank, g)| {
        (*rank as u128, g.id.as_str().to_owned())
    });
    let shapes = control.shapes();
    let sessions: Vec<Value> = ranked.iter().map(|(_, g)| shapes.game_session(g)).collect();
    let mut output = json!({"GameSessions": sessions});
    with_next_token(&mut output, next);
    Ok(output)
}

async fn update_game_session(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let id = game_session_id(input, true)?.ok_or_else(|| ApiError::missing("GameSessionId"))?;
    let max_players = input.int("MaximumPlayerSessionCount", 0, MAX_PLAYERS_PER_GAME_SESSION)?;
    let policy = enum_member(
        input,
        "PlayerSessionCreationPolicy",
        &["ACCEPT_ALL", "DENY_ALL"],
    )?;
    let protection = enum_member(
        input,
        "ProtectionPolicy",
        &["NoProtection", "FullProtection"],
    )?;
    let update = GameSessionUpdate {
        // In range 0..=200 by the check above.
        max_players: max_players.map(|n| u32::try_from(n).unwrap_or(0)),
        name: input.string("Name", 1, 1024)?,
        accepting_player_sessions: policy.map(|p| p == "ACCEPT_ALL"),
        protected: protection.map(|p| p == "FullProtection"),
        properties: input.game_properties("GameProperties")?.unwrap_or_default(),
    };
    let session = control
        .sessions
        .update_game_session(&id, update)
        .await
        .map_err(catalog_error)?;
    Ok(json!({"GameSession": control.shapes().game_session(&session)}))
}

async fn terminate_game_session(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let id = game_session_id(input, true)?.ok_or_else(|| ApiError::missing("GameSessionId"))?;
    let mode = enum_member(
        input,
        "TerminationMode",
        &["TRIGGER_ON_PROCESS_TERMINATE", "FORCE_TERMINATE"],
    )?
    .ok_or_else(|| ApiError::missing("TerminationMode"))?;
    let status = control
        .sessions
        .game_session(&id)
        .await
        .map_err(catalog_error)?
        .ok_or_else(|| not_found_game_session(&id))?
        .status;
    if !matches!(
        status,
        GameSessionStatus::Activating | GameSessionStatus::Active
    ) {
        return Err(ApiError::new(
            ErrorType::InvalidGameSessionStatus,
            format!(
                "game session {id} is {} and cannot be terminated",
                status.as_str()
            ),
        ));
    }
    // Both modes run the script's onProcessTerminate; FORCE_TERMINATE then ends the session at
    // once, TRIGGER_ON_PROCESS_TERMINATE gives the script time to end it itself.
    let force = mode == "FORCE_TERMINATE";
    let reason = if force {
        "FORCE_TERMINATED"
    } else {
        "TRIGGERED_ON_PROCESS_TERMINATE"
    };
    control
        .sessions
        .terminate_game_session(&id, reason, force)
        .await
        .map_err(catalog_error)?;
    let session = control
        .sessions
        .game_session(&id)
        .await
        .map_err(catalog_error)?
        .ok_or_else(|| not_found_game_session(&id))?;
    Ok(json!({"GameSession": control.shapes().game_session(&session)}))
}

/// What a `DescribeFleet*` call reports about each fleet.
#[derive(Clone, Copy)]
enum FleetView {
    Attributes,
    Capacity,
    Utilization,
}

/// `DescribeFleetAttributes`, `DescribeFleetCapacity`, `DescribeFleetUtilization`: this
/// server's one fleet, if `FleetIds` is absent or names it (unknown ids are left out).
async fn describe_fleets(
    control: &Control,
    input: &Input,
    view: FleetView,
) -> Result<Value, ApiError> {
    // The model sets no maximum; the body size limit bounds the list.
    let named = input.strings("FleetIds", (1, usize::MAX), (1, 512))?;
    if named.iter().flatten().any(|id| !is_fleet_id_or_arn(id)) {
        return Err(ApiError::invalid("FleetIds", FLEET_ID_PATTERN));
    }
    // A single fleet always fits one page; the paging members are still checked.
    let (op, member) = match view {
        FleetView::Attributes => ("DescribeFleetAttributes", "FleetAttributes"),
        FleetView::Capacity => ("DescribeFleetCapacity", "FleetCapacity"),
        FleetView::Utilization => ("DescribeFleetUtilization", "FleetUtilization"),
    };
    Page::read(input, op, &named)?;
    let fleet = control.fleet();
    let included = named.is_none_or(|ids| ids.iter().any(|id| fleet_id_of(id) == fleet.id));
    let shapes = control.shapes();
    let items: Vec<Value> = if included {
        let capacity = Capacity::now(control);
        let hosted = control.catalog.running().await.map_err(catalog_error)?;
        vec![match view {
            FleetView::Attributes => {
                let mut attributes = json!({
                    "FleetId": fleet.id,
                    "FleetArn": shapes.fleet_arn(),
                    "FleetType": "ON_DEMAND",
                    "InstanceType": "c5.large",
                    "Name": fleet.name,
                    "CreationTime": super::output::timestamp(control.started),
                    "Status": if capacity.draining { "DELETING" } else { "ACTIVE" },
                    "NewGameSessionProtectionPolicy": "NoProtection",
                    "OperatingSystem": "AMAZON_LINUX_2023",
                    "MetricGroups": ["default"],
                    "CertificateConfiguration": {"CertificateType": "DISABLED"},
                    "ComputeType": "EC2",
                });
                if let (Some(id), Value::Object(map)) =
                    (&control.host.fleet_script, &mut attributes)
                {
                    map.insert("ScriptId".into(), id.as_str().into());
                    map.insert("ScriptArn".into(), shapes.script_arn(id).into());
                }
                attributes
            }
            FleetView::Capacity => {
                // This server is the fleet's one instance; a drain terminates it.
                let (active, terminating) = if capacity.draining { (0, 1) } else { (1, 0) };
                let idle = !capacity.draining && hosted.is_empty();
                json!({
                    "FleetId": fleet.id,
                    "FleetArn": shapes.fleet_arn(),
                    "InstanceType": "c5.large",
                    "Location": fleet.location,
                    "InstanceCounts": {
                        "DESIRED": 1, "MINIMUM": 1, "MAXIMUM": 1, "PENDING": 0,
                        "ACTIVE": active, "IDLE": u8::from(idle), "TERMINATING": terminating,
                    },
                })
            }
            FleetView::Utilization => {
                json!({
                    "FleetId": fleet.id,
                    "FleetArn": shapes.fleet_arn(),
                    "Location": fleet.location,
                    "ActiveServerProcessCount": hosted.len() + capacity.free_game_sessions(hosted.len()),
                    "ActiveGameSessionCount": hosted.len(),
                    "CurrentPlayerSessionCount":
                        hosted.iter().map(|(g, _)| g.current_player_sessions).sum::<u32>(),
                    "MaximumPlayerSessionCount":
                        hosted.iter().map(|(g, _)| g.spec.max_players).sum::<u32>(),
                })
            }
        }]
    } else {
        Vec::new()
    };
    Ok(json!({ member: items }))
}

/// What CreateGameSession accepts now, as the fleet operations report it. GameLift hosts one
/// game session per server process, so the fleet shows one process per game session that
/// has not ended (they all count against `limits.max_game_sessions`) plus one per game
/// session it would still start: free processes are exactly the CreateGameSession calls
/// that would succeed, under the limits in force (a reload may change them).
struct Capacity {
    /// `limits.max_game_sessions` now.
    max_game_sessions: usize,
    /// A drain started: no game session is placed any more.
    draining: bool,
}

impl Capacity {
    fn now(control: &Control) -> Self {
        Self {
            max_game_sessions: control.host.live().limits.max_game_sessions,
            draining: control.host.drain.is_cancelled(),
        }
    }

    /// How many more game sessions CreateGameSession would start while `running` have not
    /// ended.
    fn free_game_sessions(&self, running: usize) -> usize {
        if self.draining {
            0
        } else {
            self.max_game_sessions.saturating_sub(running)
        }
    }
}

fn list_fleets(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let build = input.string("BuildId", 1, 512)?;
    let script = input.string("ScriptId", 1, 512)?;
    if build.as_deref().is_some_and(|b| !is_id_or_arn(b, "build")) {
        return Err(ApiError::invalid(
            "BuildId",
            "Member must satisfy regular expression pattern: ^build-\\S+|^arn:.*:build\\/build-\\S+",
        ));
    }
    if script
        .as_deref()
        .is_some_and(|s| !is_id_or_arn(s, "script"))
    {
        return Err(ApiError::invalid(
            "ScriptId",
            "Member must satisfy regular expression pattern: ^script-\\S+|^arn:.*:script\\/script-\\S+",
        ));
    }
    Page::read(input, "ListFleets", &(&build, &script))?;
    // This fleet runs no build, and the fleet's script if it has one.
    let fleet_script = control.host.fleet_script.as_deref();
    let included = match (&build, &script) {
        (None, None) => true,
        (None, Some(script)) => Some(scripts::script_id_of(script)) == fleet_script,
        (Some(_), _) => false,
    };
    let ids: Vec<&str> = if included {
        vec![control.fleet().id.as_str()]
    } else {
        Vec::new()
    };
    Ok(json!({"FleetIds": ids}))
}

/// Whether a `FleetIdOrArn` matches the model's pattern: a fleet id, or an ARN ending in
/// `fleet/<fleet id>`.
fn is_fleet_id_or_arn(value: &str) -> bool {
    match value.strip_prefix("arn:") {
        Some(rest) => rest.rsplit_once(":").is_some_and(|(_, resource)| {
            resource.split_once("fleet/").is_some_and(|(kind, id)| {
                kind.bytes().all(|b| b.is_ascii_lowercase()) && is_fleet_id(id)
            })
        }),
        None => is_fleet_id(value),
    }
}

/// Whether `value` is `<kind>-<non-space>` or an ARN ending in `<kind>/<kind>-<non-space>`.
pub(super) fn is_id_or_arn(value: &str, kind: &str) -> bool {
    let id = match value.strip_prefix("arn:") {
        Some(rest) => match rest.split_once(&format!(":{kind}/")) {
            Some((_, id)) => id,
            None => return false,
        },
        None => value,
    };
    id.strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|rest| !rest.is_empty() && !rest.chars().any(char::is_whitespace))
}

/// The fleet id of a `FleetIdOrArn`.
fn fleet_id_of(id: &str) -> &str {
    id.rsplit_once("fleet/").map_or(id, |(_, id)| id)
}

/// An optional member that must be one of `allowed`.
fn enum_member(
    input: &Input,
    name: &str,
    allowed: &[&'static str],
) -> Result<Option<&'static str>, ApiError> {
    let Some(value) = input.string(name, 1, 1024)? else {
        return Ok(None);
    };
    allowed
        .iter()
        .copied()
        .find(|a| *a == value)
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid(
                name,
                format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            )
        })
}

async fn create_player_sessions(
    control: &Control,
    input: &Input,
    many: bool,
) -> Result<Value, ApiError> {
    let game_session =
        game_session_id(input, true)?.ok_or_else(|| ApiError::missing("GameSessionId"))?;
    let players: Vec<(String, Option<String>)> = if many {
        let ids = input
            .strings("PlayerIds", (1, MAX_PLAYER_IDS), (1, 1024))?
            .ok_or_else(|| ApiError::missing("PlayerIds"))?;
        let mut seen = HashSet::new();
        // Player ids are sensitive: the message does not repeat the duplicate.
        if ids.iter().any(|id| !seen.insert(id.as_str())) {
            return Err(ApiError::invalid(
                "PlayerIds",
                "Member must not contain duplicates",
            ));
        }
        let mut data = input
            .string_map("PlayerDataMap", (1, 1024), (1, 2048))?
            .unwrap_or_default();
        ids.into_iter()
            .map(|id| {
                let player_data = data
                    .iter()
                    .position(|(key, _)| *key == id)
                    .map(|i| data.swap_remove(i).1);
                (id, player_data)
            })
            .collect()
    } else {
        let id = input.required_string("PlayerId", 1, 1024)?;
        vec![(id, input.string("PlayerData", 1, 2048)?)]
    };
    let created = control
        .sessions
        .create_player_sessions(&game_session, players)
        .await
        .map_err(catalog_error)?;
    let shapes = control.shapes();
    Ok(if many {
        json!({"PlayerSessions": created.iter().map(|p| shapes.player_session(p)).collect::<Vec<_>>()})
    } else {
        json!({"PlayerSession": created.first().map(|p| shapes.player_session(p))})
    })
}

async fn describe_player_sessions(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let player_session = input.string("PlayerSessionId", 1, 128)?;
    if let Some(id) = &player_session {
        check_chars("PlayerSessionId", id, "^psess-\\S+$", |c| {
            !c.is_whitespace()
        })?;
        if !id.starts_with("psess-") {
            return Err(ApiError::invalid(
                "PlayerSessionId",
                "Member must satisfy regular expression pattern: ^psess-\\S+$",
            ));
        }
    }
    let game_session = game_session_id(input, false)?;
    let player_id = input.string("PlayerId", 1, 1024)?;
    let given = [
        player_session.is_some(),
        game_session.is_some(),
        player_id.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(ApiError::new(
            ErrorType::InvalidRequest,
            "exactly one of PlayerSessionId, GameSessionId and PlayerId is required",
        ));
    }
    let status = match input.string("PlayerSessionStatusFilter", 1, 1024)? {
        None => None,
        Some(name) => Some(PlayerSessionStatus::parse(&name).ok_or_else(|| {
            ApiError::invalid(
                "PlayerSessionStatusFilter",
                "Member must be one of RESERVED, ACTIVE, COMPLETED, TIMEDOUT",
            )
        })?),
    };
    let query = (
        &player_session,
        game_session.as_ref().map(|g| g.as_str().to_owned()),
        &player_id,
        status.map(|s| s.as_str()),
    );
    let catalog = &control.catalog;
    let (sessions, next) = if let Some(id) = &player_session {
        // One item addressed: Limit and NextToken do not apply.
        let found = catalog
            .player_session(id)
            .await
            .map_err(catalog_error)?
            .ok_or_else(|| ApiError::not_found(format!("No player session matches {id}")))?;
        (vec![found], None)
    } else {
        let sessions = match (&game_session, &player_id) {
            (Some(id), _) => catalog
                .player_sessions_of(id)
                .await
                .map_err(catalog_error)?
                .ok_or_else(|| not_found_game_session(id))?
                .into_iter()
                .filter(|p| status.is_none_or(|s| s == p.status))
                .collect(),
            // The status filter has no effect with PlayerId (model).
            (None, Some(player)) => catalog
                .player_sessions_of_player(player)
                .await
                .map_err(catalog_error)?,
            (None, None) => Vec::new(),
        };
        let page = Page::read(input, "DescribePlayerSessions", &query)?;
        page.apply(sessions, |p| sequence_key(p.sequence, &p.id))
    };
    let shapes = control.shapes();
    let mut output = json!({
        "PlayerSessions": sessions.iter().map(|p| shapes.player_session(p)).collect::<Vec<_>>()
    });
    with_next_token(&mut output, next);
    Ok(output)
}

/// Checks `FleetId` / `AliasId`: exactly one, naming this server's fleet.
fn fleet_or_alias(control: &Control, input: &Input) -> Result<(), ApiError> {
    let fleet = input.string("FleetId", 1, 512)?;
    let alias = input.string("AliasId", 1, 512)?;
    match (fleet, alias) {
        (Some(_), Some(_)) => Err(ApiError::new(
            ErrorType::InvalidRequest,
            "FleetId and AliasId are mutually exclusive",
        )),
        (None, None) => Err(ApiError::new(
            ErrorType::InvalidRequest,
            "one of FleetId and AliasId is required",
        )),
        (Some(fleet), None) => {
            if !is_fleet_id_or_arn(&fleet) {
                return Err(ApiError::invalid("FleetId", FLEET_ID_PATTERN));
            }
            if fleet_id_of(&fleet) == control.fleet().id {
                Ok(())
            } else {
                Err(ApiError::not_found(format!("No fleet matches {fleet}")))
            }
        }
        (None, Some(alias)) => {
            let valid = alias.starts_with("alias-") && alias.len() > 6
                || alias.starts_with("arn:") && alias.contains(":alias/alias-");
            if !valid || alias.chars().any(char::is_whitespace) {
                return Err(ApiError::invalid(
                    "AliasId",
                    "Member must satisfy regular expression pattern: \
                     ^(alias-\\S+|arn:.*:alias\\/alias-\\S+)$",
                ));
            }
            // This server has no aliases.
            Err(ApiError::not_found(format!("No alias matches {alias}")))
        }
    }
}

/// `IdempotencyToken`, or its deprecated alias `GameSessionId`.
fn idempotency_token(input: &Input) -> Result<Option<String>, ApiError> {
    let mut token = None;
    for name in ["IdempotencyToken", "GameSessionId"] {
        if let Some(value) = input.string(name, 1, 48)? {
            check_chars(name, &value, "^[a-zA-Z0-9-]+$", |c| {
                c.is_ascii_alphanumeric() || c == '-'
            })?;
            if token.as_ref().is_some_and(|t| *t != value) {
                return Err(ApiError::new(
                    ErrorType::InvalidRequest,
                    "IdempotencyToken and GameSessionId differ",
                ));
            }
            token = Some(value);
        }
    }
    Ok(token)
}

/// `Location`, which must be this fleet's.
fn location(control: &Control, input: &Input) -> Result<Option<String>, ApiError> {
    let Some(location) = input.string("Location", 1, 64)? else {
        return Ok(None);
    };
    check_chars("Location", &location, "^[A-Za-z0-9\\-]+$", |c| {
        c.is_ascii_alphanumeric() || c == '-'
    })?;
    if location != control.fleet().location {
        return Err(ApiError::new(
            ErrorType::InvalidRequest,
            format!(
                "location {location} is not a location of fleet {}",
                control.fleet().id
            ),
        ));
    }
    Ok(Some(location))
}

/// `GameSessionId`: an ARN-like id of at most 512 characters.
fn game_session_id(input: &Input, required: bool) -> Result<Option<GameSessionId>, ApiError> {
    let id = if required {
        Some(input.required_string("GameSessionId", 1, 512)?)
    } else {
        input.string("GameSessionId", 1, 512)?
    };
    let Some(id) = id else { return Ok(None) };
    check_length("GameSessionId", &id, 1, 512)?;
    check_chars("GameSessionId", &id, "^[a-zA-Z0-9:/-]+$", |c| {
        c.is_ascii_alphanumeric() || ":/-".contains(c)
    })?;
    Ok(Some(GameSessionId::new(id)))
}

fn not_found_game_session(id: &GameSessionId) -> ApiError {
    ApiError::not_found(format!("No game session matches {id}"))
}

/// Adds `NextToken` to an output object when there is a next page.
pub(super) fn with_next_token(output: &mut Value, next: Option<String>) {
    if let (Some(token), Value::Object(map)) = (next, output) {
        map.insert("NextToken".into(), token.into());
    }
}

pub(super) fn catalog_error(error: CatalogError) -> ApiError {
    let kind = match &error {
        CatalogError::NotFound(_) => ErrorType::NotFound,
        CatalogError::InvalidStatus { .. } => ErrorType::InvalidGameSessionStatus,
        CatalogError::Full(_) => ErrorType::GameSessionFull,
        CatalogError::IdempotentMismatch(_) => ErrorType::IdempotentParameterMismatch,
        CatalogError::TooManyProperties(_) => ErrorType::InvalidRequest,
        CatalogError::FleetFull => ErrorType::FleetCapacityExceeded,
        CatalogError::Draining => ErrorType::InvalidFleetStatus,
        // Ids are generated or come from idempotency tokens, which are matched above.
        CatalogError::Duplicate(_) => ErrorType::Internal,
    };
    ApiError::new(kind, error.to_string())
}

impl Control {
    /// Builds response objects for this server.
    pub(super) fn shapes(&self) -> Shapes<'_> {
        Shapes {
            fleet: self.fleet(),
            endpoint: &self.host.endpoint,
        }
    }
}
