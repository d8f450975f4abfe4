//! [`RedisQueueStore`]: a fleet's queues in its Redis store, so every host answers for them
//! and places through them. They are one hash (`<prefix>queues`: name -> the queue's JSON), a
//! [`JsonHash`]: the count that `create` checks is the count it adds to, and an update applies
//! only to the queue it read.

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::{MAX_QUEUES, QueueError, QueueStore};
use crate::api::queues::{GameSessionQueue, UpdateGameSessionQueueInput};
use crate::redis_hash::{Created, JsonHash, Updated};

/// A fleet's queues in Redis.
pub struct RedisQueueStore {
    rows: JsonHash,
}

impl RedisQueueStore {
    /// The queues under `prefix` (the fleet's key prefix) on `connection`.
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            rows: JsonHash::new(connection, format!("{prefix}queues")),
        }
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
        let created = self
            .rows
            .create(&queue.name, &json(&queue), MAX_QUEUES)
            .await
            .map_err(store_error)?;
        match created {
            Created::Added => Ok(()),
            Created::Exists => Err(QueueError::Duplicate(queue.name)),
            Created::Full => Err(QueueError::LimitExceeded(MAX_QUEUES)),
        }
    }

    async fn get(&self, name: &str) -> Result<Option<GameSessionQueue>, QueueError> {
        let row = self.rows.get(name).await.map_err(store_error)?;
        row.map(|row| parse(&row)).transpose()
    }

    async fn list(&self) -> Result<Vec<GameSessionQueue>, QueueError> {
        let rows = self.rows.rows().await.map_err(store_error)?;
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
        let updated = self
            .rows
            .update(name, store_error, |old| {
                let mut queue = parse(old)?;
                update.clone().apply(&mut queue);
                let row = json(&queue);
                Ok((queue, row))
            })
            .await?;
        match updated {
            Updated::Done(queue) => Ok(queue),
            Updated::Gone => Err(QueueError::NotFound(name.to_owned())),
            Updated::Overtaken => Err(QueueError::Internal(format!(
                "game session queue {name} kept changing under this update; try again"
            ))),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), QueueError> {
        if self.rows.delete(name).await.map_err(store_error)? {
            Ok(())
        } else {
            Err(QueueError::NotFound(name.to_owned()))
        }
    }
}
