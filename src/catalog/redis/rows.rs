//! The records as the Redis catalog stores them: JSON rows the Lua scripts read and change
//! field by field, and their conversion to and from the catalog's types. Times are
//! milliseconds since the Unix epoch; a row the store hands back that does not parse is
//! refused as [`CatalogError::Store`], never trusted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::catalog::{
    CatalogError, GameSession, GameSessionSpec, GameSessionStatus, Placement, PlayerSession,
    PlayerSessionStatus, ScriptRef,
};
use crate::core::GameSessionId;

/// The status reasons a game session may carry (GameLift `GameSessionStatusReason`).
const STATUS_REASONS: [&str; 3] = [
    "INTERRUPTED",
    "TRIGGERED_ON_PROCESS_TERMINATE",
    "FORCE_TERMINATED",
];

/// A game session's row.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct GameRow {
    pub id: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub created: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<u64>,
    /// Reserved plus active player sessions.
    pub players: u32,
    /// Active player sessions: their players logged in.
    pub active: u32,
    pub max: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The game properties, a JSON list of `[key, value]` of its own.
    pub props: String,
    pub accepting: bool,
    pub protected: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<ScriptRow>,
    /// The spec it was created with, as JSON, for idempotent retries.
    pub spec: String,
    #[serde(default)]
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The matchmaker data, kept outside `spec` because a backfill rewrites it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mm: Option<String>,
}

/// A script reference's row.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ScriptRow {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub revision: u64,
}

/// A player session's row.
#[derive(Debug, Deserialize)]
pub(super) struct PlayerRow {
    pub id: String,
    pub player: String,
    #[serde(default)]
    pub data: Option<String>,
    pub gs: String,
    pub status: String,
    pub created: u64,
    pub seq: u64,
    #[serde(default)]
    pub ended: Option<u64>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub ip_address: Option<String>,
    #[serde(default)]
    pub dns_name: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
}

/// A spec as stored for idempotency checks.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SpecRow {
    max_players: u32,
    name: Option<String>,
    properties: Vec<(String, String)>,
    creator_id: Option<String>,
    game_session_data: Option<String>,
    idempotency_token: Option<String>,
    location: String,
}

impl SpecRow {
    fn of(spec: &GameSessionSpec) -> Self {
        Self {
            max_players: spec.max_players,
            name: spec.name.clone(),
            properties: spec.properties.clone(),
            creator_id: spec.creator_id.clone(),
            game_session_data: spec.game_session_data.clone(),
            idempotency_token: spec.idempotency_token.clone(),
            location: spec.location.clone(),
        }
    }
}

pub(super) fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn time(millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}

fn bad_row(what: &str, e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Store(format!("a stored {what} does not parse: {e}"))
}

/// A new game session's row: `ACTIVATING`, its spec kept whole.
pub(super) fn new_game_row(id: &GameSessionId, spec: &GameSessionSpec) -> String {
    let row = GameRow {
        id: id.as_str().to_owned(),
        status: GameSessionStatus::Activating.as_str().to_owned(),
        reason: None,
        created: 0,
        ended: None,
        players: 0,
        active: 0,
        max: spec.max_players,
        name: spec.name.clone(),
        props: properties_json(&spec.properties),
        accepting: true,
        protected: false,
        script: None,
        spec: serde_json::to_string(&SpecRow::of(spec)).unwrap_or_default(),
        seq: 0,
        host: None,
        ip_address: None,
        dns_name: None,
        port: None,
        mm: spec.matchmaker_data.clone(),
    };
    serde_json::to_string(&row).unwrap_or_default()
}

pub(super) fn properties_json(properties: &[(String, String)]) -> String {
    serde_json::to_string(properties).unwrap_or_else(|_| "[]".into())
}

/// Whether a stored game session was created with `spec`.
pub(super) fn same_spec(row: &GameRow, spec: &GameSessionSpec) -> bool {
    serde_json::from_str::<SpecRow>(&row.spec).is_ok_and(|stored| stored == SpecRow::of(spec))
}

pub(super) fn game_row(json: &str) -> Result<GameRow, CatalogError> {
    serde_json::from_str(json).map_err(|e| bad_row("game session", e))
}

pub(super) fn game_session(json: &str) -> Result<GameSession, CatalogError> {
    game_session_of(game_row(json)?)
}

/// A game session's record, and how many of its players are logged in.
pub(super) fn game_session_with_active(json: &str) -> Result<(GameSession, usize), CatalogError> {
    let row = game_row(json)?;
    let active = row.active as usize;
    Ok((game_session_of(row)?, active))
}

fn game_session_of(row: GameRow) -> Result<GameSession, CatalogError> {
    let spec: SpecRow = serde_json::from_str(&row.spec).map_err(|e| bad_row("spec", e))?;
    // An empty list may come back from Lua as an empty object.
    let properties: Vec<(String, String)> = if row.props == "{}" {
        Vec::new()
    } else {
        serde_json::from_str(&row.props).map_err(|e| bad_row("game property list", e))?
    };
    let status = GameSessionStatus::parse(&row.status)
        .ok_or_else(|| bad_row("game session status", &row.status))?;
    Ok(GameSession {
        id: GameSessionId::new(row.id),
        spec: GameSessionSpec {
            max_players: row.max,
            name: row.name,
            properties,
            creator_id: spec.creator_id,
            game_session_data: spec.game_session_data,
            matchmaker_data: row.mm,
            idempotency_token: spec.idempotency_token,
            location: spec.location,
        },
        status,
        status_reason: row
            .reason
            .and_then(|reason| STATUS_REASONS.into_iter().find(|known| *known == reason)),
        creation_time: time(row.created),
        sequence: row.seq,
        termination_time: row.ended.map(time),
        current_player_sessions: row.players,
        accepting_player_sessions: row.accepting,
        protected: row.protected,
        script: row.script.map(|s| ScriptRef {
            id: s.id,
            version: s.version,
            revision: s.revision,
        }),
        placement: placement(row.host, row.ip_address, row.dns_name, row.port),
    })
}

fn placement(
    host: Option<String>,
    ip_address: Option<String>,
    dns_name: Option<String>,
    port: Option<u16>,
) -> Option<Placement> {
    Some(Placement {
        host: host?,
        ip_address: ip_address.unwrap_or_default(),
        dns_name: dns_name.unwrap_or_default(),
        port: port.unwrap_or_default(),
    })
}

pub(super) fn script_json(script: Option<&ScriptRef>) -> String {
    script.map_or_else(String::new, |s| {
        serde_json::to_string(&ScriptRow {
            id: s.id.clone(),
            version: s.version.clone(),
            revision: s.revision,
        })
        .unwrap_or_default()
    })
}

pub(super) fn player_session(json: &str) -> Result<PlayerSession, CatalogError> {
    let row: PlayerRow = serde_json::from_str(json).map_err(|e| bad_row("player session", e))?;
    let status = PlayerSessionStatus::parse(&row.status)
        .ok_or_else(|| bad_row("player session status", &row.status))?;
    Ok(PlayerSession {
        id: row.id,
        player_id: row.player,
        player_data: row.data,
        game_session: GameSessionId::new(row.gs),
        status,
        creation_time: time(row.created),
        sequence: row.seq,
        termination_time: row.ended.map(time),
        placement: placement(row.host, row.ip_address, row.dns_name, row.port),
    })
}
