//! The catalog of a fleet of hosts, kept in Redis (any Redis 6 or later, or Valkey), so that
//! any host's control API answers for the whole fleet.
//!
//! Every change is one Lua script (`*.lua` beside this file, each after `common.lua`), which
//! Redis runs atomically: capacity checks and the changes they allow can never interleave
//! across hosts, so a fleet is never overbooked. Reads are plain `GET`s and `MGET`s of the JSON
//! rows ([`rows`]). Every key of a fleet starts with `volley:{<fleet id>}:`, one hash slot.
//!
//! Keys under that prefix: `seq` (the creation order), `gs:<id>` and `ps:<id>` (the rows),
//! `gs` (game session ids by sequence), `gsp:<id>` (a game session's player session ids),
//! `pl:<player id>` (a player's player session ids by sequence), `expiring`, `ended-ps` and
//! `ended-gs` (what times out or is forgotten when), `counts` (records per status), and the
//! host registry ([`hosts`]): `hosts`, `host:<id>` (expiring with its heartbeat),
//! `host-gs:<id>` (the game sessions it runs) and `inbox:<id>` (what it is asked to do).
//!
//! A call that cannot reach Redis fails within [`STORE_TIMEOUT`] with
//! [`CatalogError::Store`]; the connection is re-established in the background.

mod hosts;
mod replica;
mod rows;
mod scripts;

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

pub use hosts::{HostCommand, HostInfo, HostStatus, Inbox};
pub use scripts::StoredScript;

use super::{
    Catalog, CatalogError, GameSession, GameSessionSpec, GameSessionStatus, GameSessionUpdate,
    MAX_GAME_PROPERTIES, PlayerSession, ScriptRef, StatusCounts,
};
use crate::config::PlacementPolicy;
use crate::core::{GameSessionId, LoginRefusal};
use crate::secret::Secret;
use rows::millis;

/// Most time one call to Redis may take before it fails.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// Most rows one `MGET` asks for.
const MGET_CHUNK: usize = 1_000;

/// The Lua scripts, each after the shared functions.
struct Scripts {
    create: Script,
    activate: Script,
    terminating: Script,
    end: Script,
    update: Script,
    reserve: Script,
    claim: Script,
    complete: Script,
    expire: Script,
    reap: Script,
}

impl Scripts {
    fn new() -> Self {
        let with_common = |body: &str| Script::new(&format!("{COMMON}\n{body}"));
        Self {
            create: with_common(include_str!("create.lua")),
            activate: with_common(include_str!("activate.lua")),
            terminating: with_common(include_str!("terminating.lua")),
            end: with_common(include_str!("end.lua")),
            update: with_common(include_str!("update.lua")),
            reserve: with_common(include_str!("reserve.lua")),
            claim: with_common(include_str!("claim.lua")),
            complete: with_common(include_str!("complete.lua")),
            expire: with_common(include_str!("expire.lua")),
            reap: with_common(include_str!("reap.lua")),
        }
    }
}

const COMMON: &str = include_str!("common.lua");

/// What a Redis catalog is opened with.
#[derive(Clone, Debug)]
pub struct RedisSettings {
    /// `redis://` or `rediss://`, with credentials if any.
    pub url: Secret,
    /// The fleet whose records these are.
    pub fleet_id: String,
    /// This host's id in the fleet.
    pub host: String,
    /// How `CreateGameSession` picks a host.
    pub placement: PlacementPolicy,
    /// How long a reservation waits for its login.
    pub reservation_timeout: Duration,
    /// How long ended records stay describable.
    pub retention: Duration,
}

/// A fleet's catalog in Redis, seen from one host.
pub struct RedisCatalog {
    connection: ConnectionManager,
    client: redis::Client,
    prefix: String,
    host: String,
    placement: PlacementPolicy,
    timeout_ms: u64,
    retention_ms: u64,
    scripts: Scripts,
    /// This host's copy of the game session rows, for the reads that list them; its lock is
    /// held across a refresh, so concurrent reads wait for one rather than each making one.
    replica: tokio::sync::Mutex<replica::Replica>,
}

impl std::fmt::Debug for RedisCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client holds the URL, and the URL may hold a password.
        f.debug_struct("RedisCatalog")
            .field("prefix", &self.prefix)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

fn store_error(e: redis::RedisError) -> CatalogError {
    // A RedisError never includes the URL or its password.
    CatalogError::Store(e.to_string())
}

impl RedisCatalog {
    /// Connects to the store at `settings.url`: fails if it cannot be reached within
    /// [`STORE_TIMEOUT`], or the URL is not a Redis URL.
    pub async fn connect(settings: RedisSettings) -> Result<Self, CatalogError> {
        let client = redis::Client::open(settings.url.expose()).map_err(store_error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(STORE_TIMEOUT))
            .set_response_timeout(Some(STORE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let connection = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(store_error)?;
        Ok(Self {
            connection,
            client,
            prefix: format!("volley:{{{}}}:", settings.fleet_id),
            host: settings.host,
            placement: settings.placement,
            timeout_ms: duration_millis(settings.reservation_timeout),
            retention_ms: duration_millis(settings.retention),
            scripts: Scripts::new(),
            replica: tokio::sync::Mutex::default(),
        })
    }

    /// A connection to the store, for the fleet's other state (its aliases), and the
    /// fleet's key prefix.
    pub fn connection(&self) -> (ConnectionManager, &str) {
        (self.connection.clone(), &self.prefix)
    }

    /// This host's id.
    pub fn host(&self) -> &str {
        &self.host
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Runs `script` with the shared arguments (prefix, `now`, timeout, retention) and `args`.
    async fn run<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        now: SystemTime,
        args: &[&str],
    ) -> Result<T, CatalogError> {
        let mut invocation = script.key(&self.prefix);
        invocation
            .arg(millis(now))
            .arg(self.timeout_ms)
            .arg(self.retention_ms);
        for arg in args {
            invocation.arg(*arg);
        }
        let mut connection = self.connection.clone();
        invocation
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)
    }

    /// The rows under `keys`, in order, skipping those gone meanwhile.
    async fn rows(&self, keys: Vec<String>) -> Result<Vec<String>, CatalogError> {
        let mut found = Vec::with_capacity(keys.len());
        let mut connection = self.connection.clone();
        for chunk in keys.chunks(MGET_CHUNK) {
            let values: Vec<Option<String>> = redis::cmd("MGET")
                .arg(chunk)
                .query_async(&mut connection)
                .await
                .map_err(store_error)?;
            found.extend(values.into_iter().flatten());
        }
        Ok(found)
    }

    async fn game_rows(&self) -> Result<Vec<String>, CatalogError> {
        let mut connection = self.connection.clone();
        let ids: Vec<String> = connection
            .zrange(self.key("gs"), 0, -1)
            .await
            .map_err(store_error)?;
        let keys = ids.iter().map(|id| self.key(&format!("gs:{id}"))).collect();
        self.rows(keys).await
    }

    async fn player_rows(&self, ids: Vec<String>) -> Result<Vec<PlayerSession>, CatalogError> {
        let keys = ids.iter().map(|id| self.key(&format!("ps:{id}"))).collect();
        self.rows(keys)
            .await?
            .iter()
            .map(|row| rows::player_session(row))
            .collect()
    }
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The first element of a script's answer, and the rest.
fn split(mut answer: Vec<String>) -> Result<(String, Vec<String>), CatalogError> {
    if answer.is_empty() {
        return Err(CatalogError::Store(
            "a catalog script answered nothing".into(),
        ));
    }
    let first = answer.remove(0);
    Ok((first, answer))
}

fn unexpected(answer: &str) -> CatalogError {
    CatalogError::Store(format!("a catalog script answered {answer:?}"))
}

#[async_trait]
impl Catalog for RedisCatalog {
    async fn create_game_session(
        &self,
        now: SystemTime,
        id: GameSessionId,
        spec: GameSessionSpec,
        max_running: usize,
    ) -> Result<(GameSession, bool), CatalogError> {
        let row = rows::new_game_row(&id, &spec);
        let max_running = max_running.to_string();
        let policy = match self.placement {
            PlacementPolicy::Pack => "pack",
            PlacementPolicy::Spread => "spread",
        };
        let answer: Vec<String> = self
            .run(
                &self.scripts.create,
                now,
                &[
                    id.as_str(),
                    &row,
                    &self.host,
                    &max_running,
                    policy,
                    &spec.location,
                ],
            )
            .await?;
        match split(answer)? {
            (kind, rest) if kind == "created" => Ok((
                rows::game_session(rest.first().map_or("", String::as_str))?,
                true,
            )),
            (kind, rest) if kind == "exists" => {
                let existing = rows::game_row(rest.first().map_or("", String::as_str))?;
                match &spec.idempotency_token {
                    Some(_) if rows::same_spec(&existing, &spec) => Ok((
                        rows::game_session(rest.first().map_or("", String::as_str))?,
                        false,
                    )),
                    Some(token) => Err(CatalogError::IdempotentMismatch(token.clone())),
                    None => Err(CatalogError::Duplicate(id.to_string())),
                }
            }
            (kind, _) if kind == "full" => Err(CatalogError::FleetFull),
            (kind, _) => Err(unexpected(&kind)),
        }
    }

    async fn activate(
        &self,
        id: &GameSessionId,
        script: Option<ScriptRef>,
    ) -> Result<(), CatalogError> {
        let script = rows::script_json(script.as_ref());
        self.run::<String>(
            &self.scripts.activate,
            SystemTime::now(),
            &[id.as_str(), &script],
        )
        .await
        .map(drop)
    }

    async fn terminating(
        &self,
        id: &GameSessionId,
        reason: &'static str,
    ) -> Result<(), CatalogError> {
        self.run::<String>(
            &self.scripts.terminating,
            SystemTime::now(),
            &[id.as_str(), reason],
        )
        .await
        .map(drop)
    }

    async fn end_game_session(
        &self,
        now: SystemTime,
        id: &GameSessionId,
        status: GameSessionStatus,
        reason: Option<&'static str>,
    ) -> Result<(), CatalogError> {
        self.run::<String>(
            &self.scripts.end,
            now,
            &[id.as_str(), status.as_str(), reason.unwrap_or("")],
        )
        .await
        .map(drop)
    }

    async fn update_game_session(
        &self,
        id: &GameSessionId,
        update: GameSessionUpdate,
    ) -> Result<GameSession, CatalogError> {
        let change = serde_json::json!({
            "max": update.max_players,
            "name": update.name,
            "accepting": update.accepting_player_sessions,
            "protected": update.protected,
            "mm": update.matchmaker_data,
            "props": update.properties,
        });
        // JSON nulls are left out, so that Lua sees the fields not given as absent.
        let change = serde_json::Value::Object(
            change
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        let answer: Vec<String> = self
            .run(
                &self.scripts.update,
                SystemTime::now(),
                &[
                    id.as_str(),
                    &change.to_string(),
                    &MAX_GAME_PROPERTIES.to_string(),
                ],
            )
            .await?;
        match split(answer)? {
            (kind, rest) if kind == "ok" => {
                rows::game_session(rest.first().map_or("", String::as_str))
            }
            (kind, _) if kind == "not_found" => Err(CatalogError::NotFound(id.to_string())),
            (kind, rest) if kind == "status" => Err(CatalogError::InvalidStatus {
                id: id.clone(),
                status: GameSessionStatus::parse(rest.first().map_or("", String::as_str))
                    .map_or("UNKNOWN", GameSessionStatus::as_str),
            }),
            (kind, _) if kind == "too_many" => {
                Err(CatalogError::TooManyProperties(MAX_GAME_PROPERTIES))
            }
            (kind, _) => Err(unexpected(&kind)),
        }
    }

    async fn game_session(&self, id: &GameSessionId) -> Result<Option<GameSession>, CatalogError> {
        let mut connection = self.connection.clone();
        let row: Option<String> = connection
            .get(self.key(&format!("gs:{id}")))
            .await
            .map_err(store_error)?;
        row.map(|row| rows::game_session(&row)).transpose()
    }

    async fn game_sessions(&self) -> Result<Vec<GameSession>, CatalogError> {
        Ok(self
            .replicated()
            .await?
            .iter()
            .map(|row| row.0.clone())
            .collect())
    }

    async fn running(&self) -> Result<Vec<(GameSession, usize)>, CatalogError> {
        Ok(self
            .replicated()
            .await?
            .iter()
            .filter(|row| !row.0.status.is_ended())
            .map(|row| (row.0.clone(), row.1))
            .collect())
    }

    async fn reserve(
        &self,
        now: SystemTime,
        game_session: &GameSessionId,
        players: Vec<(String, String, Option<String>)>,
    ) -> Result<Vec<PlayerSession>, CatalogError> {
        let wanted = serde_json::to_string(&players).unwrap_or_else(|_| "[]".into());
        let answer: Vec<String> = self
            .run(
                &self.scripts.reserve,
                now,
                &[game_session.as_str(), &wanted],
            )
            .await?;
        match split(answer)? {
            (kind, rest) if kind == "ok" => {
                rest.iter().map(|row| rows::player_session(row)).collect()
            }
            (kind, _) if kind == "not_found" => {
                Err(CatalogError::NotFound(game_session.to_string()))
            }
            (kind, rest) if kind == "status" => {
                let status = rest.first().map_or("", String::as_str);
                Err(CatalogError::InvalidStatus {
                    id: game_session.clone(),
                    status: if status == "DENY_ALL" {
                        "DENY_ALL"
                    } else {
                        GameSessionStatus::parse(status)
                            .map_or("UNKNOWN", GameSessionStatus::as_str)
                    },
                })
            }
            (kind, _) if kind == "full" => Err(CatalogError::Full(game_session.clone())),
            (kind, rest) if kind == "duplicate" => Err(CatalogError::Duplicate(
                rest.first().cloned().unwrap_or_default(),
            )),
            (kind, _) => Err(unexpected(&kind)),
        }
    }

    async fn claim(&self, now: SystemTime, id: &str) -> Result<GameSessionId, LoginRefusal> {
        if id.is_empty() {
            return Err(LoginRefusal::EmptyPlayerSessionId);
        }
        let answer: Vec<String> = match self.run(&self.scripts.claim, now, &[id, &self.host]).await
        {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(error = %e, "a login could not be admitted: the fleet store failed");
                return Err(LoginRefusal::SessionNotAccepting);
            }
        };
        match split(answer) {
            Ok((kind, mut rest)) if kind == "ok" && !rest.is_empty() => {
                Ok(GameSessionId::new(rest.swap_remove(0)))
            }
            Ok((kind, _)) if kind == "unknown" => Err(LoginRefusal::UnknownPlayerSession),
            Ok((kind, _)) if kind == "used" => Err(LoginRefusal::AlreadyUsed),
            Ok((kind, _)) if kind == "expired" => Err(LoginRefusal::Expired),
            _ => Err(LoginRefusal::SessionNotAccepting),
        }
    }

    async fn complete(&self, now: SystemTime, id: &str) -> Result<(), CatalogError> {
        self.run::<String>(&self.scripts.complete, now, &[id])
            .await
            .map(drop)
    }

    async fn player_session(&self, id: &str) -> Result<Option<PlayerSession>, CatalogError> {
        let mut connection = self.connection.clone();
        let row: Option<String> = connection
            .get(self.key(&format!("ps:{id}")))
            .await
            .map_err(store_error)?;
        row.map(|row| rows::player_session(&row)).transpose()
    }

    async fn player_sessions_of(
        &self,
        game_session: &GameSessionId,
    ) -> Result<Option<Vec<PlayerSession>>, CatalogError> {
        let mut connection = self.connection.clone();
        let (exists, ids): (bool, Vec<String>) = redis::pipe()
            .exists(self.key(&format!("gs:{game_session}")))
            .lrange(self.key(&format!("gsp:{game_session}")), 0, -1)
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        if !exists {
            return Ok(None);
        }
        self.player_rows(ids).await.map(Some)
    }

    async fn player_sessions_of_player(
        &self,
        player_id: &str,
    ) -> Result<Vec<PlayerSession>, CatalogError> {
        let mut connection = self.connection.clone();
        let ids: Vec<String> = connection
            .zrange(self.key(&format!("pl:{player_id}")), 0, -1)
            .await
            .map_err(store_error)?;
        self.player_rows(ids).await
    }

    async fn status_counts(&self) -> Result<StatusCounts, CatalogError> {
        let mut connection = self.connection.clone();
        let counts: Vec<(String, i64)> = connection
            .hgetall(self.key("counts"))
            .await
            .map_err(store_error)?;
        let mut status = StatusCounts::default();
        for (field, count) in counts {
            let count = usize::try_from(count).unwrap_or(0);
            if let Some(name) = field.strip_prefix("gs:")
                && let Some(s) = GameSessionStatus::parse(name)
            {
                status.game_sessions[s as usize] = count;
            } else if let Some(name) = field.strip_prefix("ps:")
                && let Some(s) = crate::catalog::PlayerSessionStatus::parse(name)
            {
                status.player_sessions[s as usize] = count;
            }
        }
        Ok(status)
    }

    async fn expire(&self, now: SystemTime) -> Result<(), CatalogError> {
        self.run::<String>(&self.scripts.expire, now, &[])
            .await
            .map(drop)
    }
}
