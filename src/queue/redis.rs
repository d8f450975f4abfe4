//! [`RedisQueueStore`]: a fleet's queues in its Redis store, so every host answers for them
//! and places through them. They are one hash (`<prefix>queues`: name -> the queue's JSON);
//! every change is one Lua script, so the count that `create` checks is the count it adds to,
//! and an update applies only to the queue it read.

use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;

use super::{MAX_QUEUES, QueueError, QueueStore};
use crate::api::queues::{GameSessionQueue, UpdateGameSessionQueueInput};

/// Adds KEYS[1] field ARGV[1] = ARGV[2]: 1, or 0 if it exists, or -1 if ARGV[3] fields are
/// there already.
const CREATE: &str = "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end \
                      if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end \
                      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1";
/// Sets KEYS[1] field ARGV[1] to ARGV[3] if it still holds ARGV[2]: 1, else 0 (changed
/// meanwhile) or -1 (gone).
const REPLACE: &str = "local now = redis.call('HGET', KEYS[1], ARGV[1]) \
                       if not now then return -1 end \
                       if now ~= ARGV[2] then return 0 end \
                       redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1";

/// Most tries of an update that other hosts' updates keep overtaking.
const UPDATE_TRIES: usize = 10;

/// A fleet's queues in Redis.
pub struct RedisQueueStore {
    connection: ConnectionManager,
    key: String,
    create: Script,
    replace: Script,
}

impl RedisQueueStore {
    /// The queues under `prefix` (the fleet's key prefix) on `connection`.
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            connection,
            key: format!("{prefix}queues"),
            create: Script::new(CREATE),
            replace: Script::new(REPLACE),
        }
    }

    async fn row(&self, name: &str) -> Result<Option<String>, QueueError> {
        let mut connection = self.connection.clone();
        redis::cmd("HGET")
            .arg(&self.key)
            .arg(name)
            .query_async(&mut connection)
            .await
            .map_err(store_error)
    }
}

fn store_error(e: redis::RedisError) -> QueueError {
    QueueError::Internal(format!("the fleet store is unavailable: {e}"))
}

fn parse(row: &str) -> Result<GameSessionQueue, QueueError> {
    serde_json::from_str(row)
        .map_err(|e| QueueError::Internal(format!("a stored queue does not parse: {e}")))
}

fn json(queue: &GameSessionQueue) -> String {
    serde_json::to_string(queue).unwrap_or_default()
}

#[async_trait]
impl QueueStore for RedisQueueStore {
    async fn create(&self, queue: GameSessionQueue) -> Result<(), QueueError> {
        let mut connection = self.connection.clone();
        let added: i64 = self
            .create
            .key(&self.key)
            .arg(&queue.name)
            .arg(json(&queue))
            .arg(MAX_QUEUES)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        match added {
            1 => Ok(()),
            0 => Err(QueueError::Duplicate(queue.name)),
            _ => Err(QueueError::LimitExceeded(MAX_QUEUES)),
        }
    }

    async fn get(&self, name: &str) -> Result<Option<GameSessionQueue>, QueueError> {
        self.row(name).await?.map(|row| parse(&row)).transpose()
    }

    async fn list(&self) -> Result<Vec<GameSessionQueue>, QueueError> {
        let mut connection = self.connection.clone();
        let rows: Vec<String> = redis::cmd("HVALS")
            .arg(&self.key)
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        let mut queues = rows
            .iter()
            .map(|row| parse(row))
            .collect::<Result<Vec<_>, _>>()?;
        queues.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(queues)
    }

    async fn update(
        &self,
        name: &str,
        update: UpdateGameSessionQueueInput,
    ) -> Result<GameSessionQueue, QueueError> {
        for _ in 0..UPDATE_TRIES {
            let Some(old) = self.row(name).await? else {
                return Err(QueueError::NotFound(name.to_owned()));
            };
            let mut queue = parse(&old)?;
            update.clone().apply(&mut queue);
            let mut connection = self.connection.clone();
            let replaced: i64 = self
                .replace
                .key(&self.key)
                .arg(name)
                .arg(&old)
                .arg(json(&queue))
                .invoke_async(&mut connection)
                .await
                .map_err(store_error)?;
            match replaced {
                1 => return Ok(queue),
                -1 => return Err(QueueError::NotFound(name.to_owned())),
                _ => {}
            }
        }
        Err(QueueError::Internal(format!(
            "game session queue {name} kept changing under this update; try again"
        )))
    }

    async fn delete(&self, name: &str) -> Result<(), QueueError> {
        let mut connection = self.connection.clone();
        let removed: i64 = redis::cmd("HDEL")
            .arg(&self.key)
            .arg(name)
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        if removed == 0 {
            return Err(QueueError::NotFound(name.to_owned()));
        }
        Ok(())
    }
}
