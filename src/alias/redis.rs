//! [`RedisAliasStore`]: a fleet's aliases in its Redis store, so every host answers for them.
//! They are one hash (`<prefix>aliases`: alias id -> its JSON row); every change is one Lua
//! script, so the count that `create` checks is the count it adds to, and an update applies
//! only to the row it read.

use std::time::SystemTime;

use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;

use super::row::{Stored, record_of, stored};
use super::{AliasError, AliasRecord, AliasStore, AliasUpdate, MAX_ALIASES, NewAlias};

/// Adds KEYS[1] field ARGV[1] = ARGV[2] unless ARGV[3] fields are there already.
const CREATE: &str = "if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end \
                      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1";
/// Sets KEYS[1] field ARGV[1] to ARGV[3] if it still holds ARGV[2]: 1, else 0 (changed
/// meanwhile) or -1 (gone).
const REPLACE: &str = "local now = redis.call('HGET', KEYS[1], ARGV[1]) \
                       if not now then return -1 end \
                       if now ~= ARGV[2] then return 0 end \
                       redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1";

/// Most tries of an update that other hosts' updates keep overtaking.
const UPDATE_TRIES: usize = 10;

/// A fleet's aliases in Redis.
pub struct RedisAliasStore {
    connection: ConnectionManager,
    key: String,
    create: Script,
    replace: Script,
}

impl RedisAliasStore {
    /// The aliases under `prefix` (the fleet's key prefix) on `connection`.
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            connection,
            key: format!("{prefix}aliases"),
            create: Script::new(CREATE),
            replace: Script::new(REPLACE),
        }
    }

    async fn row(&self, id: &str) -> Result<Option<String>, AliasError> {
        let mut connection = self.connection.clone();
        redis::cmd("HGET")
            .arg(&self.key)
            .arg(id)
            .query_async(&mut connection)
            .await
            .map_err(store_error)
    }
}

fn store_error(e: redis::RedisError) -> AliasError {
    AliasError::Internal(format!("the fleet store is unavailable: {e}"))
}

fn parse(row: &str) -> Result<AliasRecord, AliasError> {
    serde_json::from_str::<Stored>(row)
        .map(record_of)
        .map_err(|e| AliasError::Internal(format!("a stored alias does not parse: {e}")))
}

fn json(record: &AliasRecord) -> String {
    serde_json::to_string(&stored(record)).unwrap_or_default()
}

#[async_trait]
impl AliasStore for RedisAliasStore {
    async fn create(&self, now: SystemTime, alias: NewAlias) -> Result<AliasRecord, AliasError> {
        let record = alias.into_record(now);
        let mut connection = self.connection.clone();
        let added: i64 = self
            .create
            .key(&self.key)
            .arg(&record.id)
            .arg(json(&record))
            .arg(MAX_ALIASES)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        if added == 0 {
            return Err(AliasError::LimitExceeded(MAX_ALIASES));
        }
        Ok(record)
    }

    async fn get(&self, id: &str) -> Result<Option<AliasRecord>, AliasError> {
        self.row(id).await?.map(|row| parse(&row)).transpose()
    }

    async fn list(&self) -> Result<Vec<AliasRecord>, AliasError> {
        let mut connection = self.connection.clone();
        let rows: Vec<String> = redis::cmd("HVALS")
            .arg(&self.key)
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        let mut records = rows
            .iter()
            .map(|row| parse(row))
            .collect::<Result<Vec<_>, _>>()?;
        records.sort_by(|a, b| (a.creation_time, &a.id).cmp(&(b.creation_time, &b.id)));
        Ok(records)
    }

    async fn update(
        &self,
        now: SystemTime,
        id: &str,
        update: AliasUpdate,
    ) -> Result<AliasRecord, AliasError> {
        for _ in 0..UPDATE_TRIES {
            let Some(old) = self.row(id).await? else {
                return Err(AliasError::NotFound(id.to_owned()));
            };
            let mut record = parse(&old)?;
            update.clone().apply(&mut record, now);
            let mut connection = self.connection.clone();
            let replaced: i64 = self
                .replace
                .key(&self.key)
                .arg(id)
                .arg(&old)
                .arg(json(&record))
                .invoke_async(&mut connection)
                .await
                .map_err(store_error)?;
            match replaced {
                1 => return Ok(record),
                -1 => return Err(AliasError::NotFound(id.to_owned())),
                _ => {}
            }
        }
        Err(AliasError::Internal(format!(
            "alias {id} kept changing under this update; try again"
        )))
    }

    async fn delete(&self, id: &str) -> Result<AliasRecord, AliasError> {
        let Some(row) = self.row(id).await? else {
            return Err(AliasError::NotFound(id.to_owned()));
        };
        let mut connection = self.connection.clone();
        let removed: i64 = redis::cmd("HDEL")
            .arg(&self.key)
            .arg(id)
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        if removed == 0 {
            return Err(AliasError::NotFound(id.to_owned()));
        }
        parse(&row)
    }
}
