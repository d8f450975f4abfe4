//! The fleet's hosts in Redis: each host's registration (`host:<id>`, a hash that expires
//! unless its heartbeat renews it), the list of hosts that have registered (`hosts`), the
//! game sessions each runs (`host-gs:<id>`), and each host's inbox (`inbox:<id>`), where
//! other hosts ask it to start or terminate a game session it owns.

use std::time::{Duration, SystemTime};

use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

use super::{RedisCatalog, STORE_TIMEOUT, duration_millis, store_error};
use crate::catalog::CatalogError;

/// What a host registers: where it is and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInfo {
    /// Its id in the fleet.
    pub id: String,
    /// Its location.
    pub location: String,
    /// Where game clients connect.
    pub ip_address: String,
    /// Its DNS name for game clients.
    pub dns_name: String,
    /// Its game port (WebSocket).
    pub port: u16,
    /// Most game sessions it runs at once.
    pub capacity: usize,
    /// Players logged in on it now.
    pub players: usize,
    /// Whether it is draining: placement passes it by.
    pub draining: bool,
    /// Its Volley version.
    pub version: String,
}

/// A registered host, as the fleet sees it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostStatus {
    /// What it registered.
    pub info: HostInfo,
    /// Game sessions it runs (not yet ended).
    pub game_sessions: usize,
}

/// What one host asks another to do with a game session the other owns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum HostCommand {
    /// Start the game session (recorded `ACTIVATING` on this host).
    Start {
        /// The game session.
        id: String,
    },
    /// End the game session (it is recorded `TERMINATING`).
    Terminate {
        /// The game session.
        id: String,
        /// Without waiting for its script.
        #[serde(default)]
        force: bool,
    },
}

impl RedisCatalog {
    /// Registers (or renews) this host for `expiry`, and adds it to the fleet's host list.
    pub async fn register(&self, info: &HostInfo, expiry: Duration) -> Result<(), CatalogError> {
        let key = self.key(&format!("host:{}", info.id));
        let mut connection = self.connection.clone();
        redis::pipe()
            .atomic()
            .hset_multiple(
                &key,
                &[
                    ("location", info.location.clone()),
                    ("ip_address", info.ip_address.clone()),
                    ("dns_name", info.dns_name.clone()),
                    ("port", info.port.to_string()),
                    ("capacity", info.capacity.to_string()),
                    ("players", info.players.to_string()),
                    ("draining", u8::from(info.draining).to_string()),
                    ("version", info.version.clone()),
                ],
            )
            .ignore()
            .pexpire(
                &key,
                i64::try_from(duration_millis(expiry)).unwrap_or(i64::MAX),
            )
            .ignore()
            .sadd(self.key("hosts"), &info.id)
            .ignore()
            .query_async::<()>(&mut connection)
            .await
            .map_err(store_error)
    }

    /// Takes this host out of the fleet at once (its registration is deleted).
    pub async fn deregister(&self) -> Result<(), CatalogError> {
        let mut connection = self.connection.clone();
        connection
            .del::<_, ()>(self.key(&format!("host:{}", self.host)))
            .await
            .map_err(store_error)
    }

    /// Every host of the fleet's list: the live ones with their status, and the ids of
    /// those whose registration expired.
    pub async fn hosts(&self) -> Result<(Vec<HostStatus>, Vec<String>), CatalogError> {
        let mut connection = self.connection.clone();
        let mut ids: Vec<String> = connection
            .smembers(self.key("hosts"))
            .await
            .map_err(store_error)?;
        ids.sort();
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.hgetall(self.key(&format!("host:{id}")))
                .scard(self.key(&format!("host-gs:{id}")));
        }
        let answers: Vec<(std::collections::HashMap<String, String>, usize)> = pipe
            .query_async::<Vec<redis::Value>>(&mut connection)
            .await
            .map_err(store_error)
            .and_then(|values| {
                // Two answers per host; anything else is a store fault, not an index panic.
                if values.len() != ids.len().saturating_mul(2) {
                    return Err(CatalogError::Store(format!(
                        "{} answers for {} hosts",
                        values.len(),
                        ids.len()
                    )));
                }
                values
                    .chunks_exact(2)
                    .map(|pair| {
                        let fields = redis::from_redis_value(pair[0].clone())
                            .map_err(|e| CatalogError::Store(e.to_string()))?;
                        let count = redis::from_redis_value(pair[1].clone())
                            .map_err(|e| CatalogError::Store(e.to_string()))?;
                        Ok((fields, count))
                    })
                    .collect()
            })?;
        let mut live = Vec::new();
        let mut gone = Vec::new();
        for (id, (fields, game_sessions)) in ids.into_iter().zip(answers) {
            if fields.is_empty() {
                gone.push(id);
                continue;
            }
            let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
            let number = |name: &str| field(name).parse::<usize>().unwrap_or(0);
            live.push(HostStatus {
                info: HostInfo {
                    location: field("location"),
                    ip_address: field("ip_address"),
                    dns_name: field("dns_name"),
                    port: field("port").parse().unwrap_or(0),
                    capacity: number("capacity"),
                    players: number("players"),
                    draining: field("draining") == "1",
                    version: field("version"),
                    id,
                },
                game_sessions,
            });
        }
        Ok((live, gone))
    }

    /// Ends every game session of `host` (`TERMINATED`, `INTERRUPTED`), and drops the host
    /// from the list unless it registered again. How many game sessions ended.
    pub async fn reap(&self, host: &str) -> Result<usize, CatalogError> {
        self.run(
            &self.scripts.reap,
            SystemTime::now(),
            &[host, "INTERRUPTED"],
        )
        .await
    }

    /// Asks `host` to do `command`.
    pub async fn tell(&self, host: &str, command: &HostCommand) -> Result<(), CatalogError> {
        let command = serde_json::to_string(command).unwrap_or_default();
        let mut connection = self.connection.clone();
        connection
            .rpush::<_, _, ()>(self.key(&format!("inbox:{host}")), command)
            .await
            .map_err(store_error)
    }

    /// This host's inbox, on a connection of its own (waiting for a command holds it).
    pub fn inbox(&self) -> Inbox {
        Inbox {
            client: self.client.clone(),
            key: self.key(&format!("inbox:{}", self.host)),
            connection: None,
        }
    }
}

/// The commands other hosts send this one, read one at a time.
pub struct Inbox {
    client: redis::Client,
    key: String,
    connection: Option<redis::aio::MultiplexedConnection>,
}

/// How long one wait for a command lasts before the inbox is asked again.
const INBOX_WAIT: Duration = Duration::from_secs(1);

impl Inbox {
    /// The next command, or `None` if none came within about a second. Commands that do not
    /// parse are skipped (and counted as an error).
    pub async fn next(&mut self) -> Result<Option<HostCommand>, CatalogError> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(STORE_TIMEOUT))
                    .set_response_timeout(Some(STORE_TIMEOUT + INBOX_WAIT));
                let connection = self
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map_err(store_error)?;
                self.connection.insert(connection)
            }
        };
        let popped: Result<Option<(String, String)>, _> =
            connection.blpop(&self.key, INBOX_WAIT.as_secs_f64()).await;
        match popped {
            Ok(None) => Ok(None),
            Ok(Some((_, command))) => serde_json::from_str(&command)
                .map(Some)
                .map_err(|e| CatalogError::Store(format!("a host command does not parse: {e}"))),
            Err(e) => {
                // A fresh connection next time.
                self.connection = None;
                Err(store_error(e))
            }
        }
    }
}
