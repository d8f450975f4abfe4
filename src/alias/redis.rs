//! [`RedisAliasStore`]: a fleet's aliases in its Redis store, so every host answers for them.
//! They are one hash (`<prefix>aliases`: alias id -> its JSON row), a [`JsonHash`]: the count
//! that `create` checks is the count it adds to, and an update applies only to the row it
//! read.

use std::time::SystemTime;

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::row::{Stored, record_of, stored};
use super::{AliasError, AliasRecord, AliasStore, AliasUpdate, MAX_ALIASES, NewAlias};
use crate::redis_hash::{Created, JsonHash, Updated};

/// A fleet's aliases in Redis.
pub struct RedisAliasStore {
    rows: JsonHash,
}

impl RedisAliasStore {
    /// The aliases under `prefix` (the fleet's key prefix) on `connection`.
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            rows: JsonHash::new(connection, format!("{prefix}aliases")),
        }
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
        let created = self
            .rows
            .create(&record.id, &json(&record), MAX_ALIASES)
            .await
            .map_err(store_error)?;
        match created {
            Created::Added => Ok(record),
            // Ids are fresh uuids: a taken one is the store's fault, not the caller's.
            Created::Exists => Err(AliasError::Internal(format!(
                "alias {} exists already",
                record.id
            ))),
            Created::Full => Err(AliasError::LimitExceeded(MAX_ALIASES)),
        }
    }

    async fn get(&self, id: &str) -> Result<Option<AliasRecord>, AliasError> {
        let row = self.rows.get(id).await.map_err(store_error)?;
        row.map(|row| parse(&row)).transpose()
    }

    async fn list(&self) -> Result<Vec<AliasRecord>, AliasError> {
        let rows = self.rows.rows().await.map_err(store_error)?;
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
        let updated = self
            .rows
            .update(id, store_error, |old| {
                let mut record = parse(old)?;
                update.clone().apply(&mut record, now);
                let row = json(&record);
                Ok((record, row))
            })
            .await?;
        match updated {
            Updated::Done(record) => Ok(record),
            Updated::Gone => Err(AliasError::NotFound(id.to_owned())),
            Updated::Overtaken => Err(AliasError::Internal(format!(
                "alias {id} kept changing under this update; try again"
            ))),
        }
    }

    async fn delete(&self, id: &str) -> Result<AliasRecord, AliasError> {
        let Some(row) = self.rows.get(id).await.map_err(store_error)? else {
            return Err(AliasError::NotFound(id.to_owned()));
        };
        if !self.rows.delete(id).await.map_err(store_error)? {
            return Err(AliasError::NotFound(id.to_owned()));
        }
        parse(&row)
    }
}
