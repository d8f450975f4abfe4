//! [`RedisPlacementStore`]: a fleet's placements in its Redis store, so that any host answers
//! for them and a pending placement outlives the host that took it. Each placement is one key
//! (`<prefix>placement:<id>`: its JSON, expiring [`RETENTION`] after it ends); the pending ones
//! are also in a sorted set (`<prefix>placements:due`: id by when it is due next, in
//! milliseconds). Every change is one Lua script.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;

use super::{Finished, MAX_PENDING, PlacementError, PlacementStore, RETENTION};
use crate::api::placements::GameSessionPlacement;

/// KEYS: the placement, the due set; ARGV: id, JSON, due (ms), most pending.
/// 1 stored, 0 the id exists, -1 too many pending.
const CREATE: &str = "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end \
    if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return -1 end \
    redis.call('SET', KEYS[1], ARGV[2]) \
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) return 1";

/// KEYS: the due set; ARGV: now (ms), lease end (ms), most, the placement key prefix.
/// The rows of the claimed placements; ids without a row leave the set.
const CLAIM: &str = "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3])) \
    local rows = {} \
    for _, id in ipairs(ids) do \
      local row = redis.call('GET', ARGV[4] .. id) \
      if row then redis.call('ZADD', KEYS[1], ARGV[2], id) table.insert(rows, row) \
      else redis.call('ZREM', KEYS[1], id) end \
    end \
    return rows";

/// KEYS: the placement, the due set; ARGV: id, ended JSON, seconds to keep it.
/// {1} ended now; {0, row} had ended; {-1} unknown.
const FINISH: &str = "local row = redis.call('GET', KEYS[1]) \
    if not row then return {-1} end \
    if cjson.decode(row)['Status'] ~= 'PENDING' then return {0, row} end \
    redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3])) \
    redis.call('ZREM', KEYS[2], ARGV[1]) return {1}";

/// A fleet's placements in Redis.
pub struct RedisPlacementStore {
    connection: ConnectionManager,
    placement_prefix: String,
    due: String,
    create: Script,
    claim: Script,
    finish: Script,
}

impl RedisPlacementStore {
    /// The placements under `prefix` (the fleet's key prefix) on `connection`.
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            connection,
            placement_prefix: format!("{prefix}placement:"),
            due: format!("{prefix}placements:due"),
            create: Script::new(CREATE),
            claim: Script::new(CLAIM),
            finish: Script::new(FINISH),
        }
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.placement_prefix)
    }
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn store_error(e: redis::RedisError) -> PlacementError {
    PlacementError::Internal(format!("the fleet store is unavailable: {e}"))
}

fn parse(row: &str) -> Result<GameSessionPlacement, PlacementError> {
    serde_json::from_str(row)
        .map_err(|e| PlacementError::Internal(format!("a stored placement does not parse: {e}")))
}

fn json(placement: &GameSessionPlacement) -> String {
    serde_json::to_string(placement).unwrap_or_default()
}

#[async_trait]
impl PlacementStore for RedisPlacementStore {
    async fn create(
        &self,
        _now: SystemTime,
        placement: &GameSessionPlacement,
        lease_until: SystemTime,
    ) -> Result<(), PlacementError> {
        let id = &placement.placement_id;
        let mut connection = self.connection.clone();
        let stored: i64 = self
            .create
            .key(self.key(id))
            .key(&self.due)
            .arg(id)
            .arg(json(placement))
            .arg(millis(lease_until))
            .arg(MAX_PENDING)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        match stored {
            1 => Ok(()),
            0 => Err(PlacementError::Duplicate(id.clone())),
            _ => Err(PlacementError::LimitExceeded(MAX_PENDING)),
        }
    }

    async fn get(&self, id: &str) -> Result<Option<GameSessionPlacement>, PlacementError> {
        let mut connection = self.connection.clone();
        let row: Option<String> = redis::cmd("GET")
            .arg(self.key(id))
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        row.map(|row| parse(&row)).transpose()
    }

    async fn claim_due(
        &self,
        now: SystemTime,
        lease_until: SystemTime,
        max: usize,
    ) -> Result<Vec<GameSessionPlacement>, PlacementError> {
        let mut connection = self.connection.clone();
        let rows: Vec<String> = self
            .claim
            .key(&self.due)
            .arg(millis(now))
            .arg(millis(lease_until))
            .arg(max)
            .arg(&self.placement_prefix)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            match parse(&row) {
                Ok(placement) => claimed.push(placement),
                // One bad row must not hold up the others; it is retried after its lease.
                Err(e) => tracing::warn!(error = %e, "skipping a placement that does not parse"),
            }
        }
        Ok(claimed)
    }

    async fn retry_at(&self, id: &str, at: SystemTime) -> Result<(), PlacementError> {
        let mut connection = self.connection.clone();
        redis::cmd("ZADD")
            .arg(&self.due)
            .arg("XX")
            .arg(millis(at))
            .arg(id)
            .query_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(store_error)
    }

    async fn finish(
        &self,
        _now: SystemTime,
        ended: &GameSessionPlacement,
    ) -> Result<Finished, PlacementError> {
        let id = &ended.placement_id;
        let mut connection = self.connection.clone();
        let answer: Vec<redis::Value> = self
            .finish
            .key(self.key(id))
            .key(&self.due)
            .arg(id)
            .arg(json(ended))
            .arg(RETENTION.as_secs())
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        match answer.as_slice() {
            [redis::Value::Int(1)] => Ok(Finished::Now),
            [redis::Value::Int(0), row] => {
                let row: String = redis::from_redis_value(row.clone())
                    .map_err(|e| PlacementError::Internal(e.to_string()))?;
                Ok(Finished::Already(Box::new(parse(&row)?)))
            }
            _ => Err(PlacementError::NotFound(id.clone())),
        }
    }
}
