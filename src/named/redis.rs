//! [`RedisNamedStore`]: a fleet's records of a kind in its Redis store, so every host answers
//! for them. They are one hash (name -> the record's JSON), a [`JsonHash`]: the count that
//! `create` checks is the count it adds to, and an update applies only to the record it read.

use std::marker::PhantomData;

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::{Change, Named, NamedError, NamedStore};
use crate::redis_hash::{Created, JsonHash, Updated};

/// A fleet's records of one kind in Redis.
pub struct RedisNamedStore<T> {
    rows: JsonHash,
    max: usize,
    kind: PhantomData<fn() -> T>,
}

impl<T: Named> RedisNamedStore<T> {
    /// The records in hash `key` on `connection`, at most `max`.
    pub fn new(connection: ConnectionManager, key: String, max: usize) -> Self {
        Self {
            rows: JsonHash::new(connection, key),
            max,
            kind: PhantomData,
        }
    }
}

fn store_error(e: redis::RedisError) -> NamedError {
    NamedError::Internal(format!("the fleet store is unavailable: {e}"))
}

fn parse<T: Named>(row: &str) -> Result<T, NamedError> {
    serde_json::from_str(row)
        .map_err(|e| NamedError::Internal(format!("a stored {} does not parse: {e}", T::KIND)))
}

fn json<T: Named>(record: &T) -> Result<String, NamedError> {
    serde_json::to_string(record).map_err(|e| NamedError::Internal(e.to_string()))
}

#[async_trait]
impl<T: Named> NamedStore<T> for RedisNamedStore<T> {
    async fn create(&self, record: T) -> Result<(), NamedError> {
        let created = self
            .rows
            .create(record.name(), &json(&record)?, self.max)
            .await
            .map_err(store_error)?;
        match created {
            Created::Added => Ok(()),
            Created::Exists => Err(NamedError::Duplicate {
                kind: T::KIND,
                name: record.name().to_owned(),
            }),
            Created::Full => Err(NamedError::LimitExceeded {
                kind: T::KIND,
                max: self.max,
            }),
        }
    }

    async fn get(&self, name: &str) -> Result<Option<T>, NamedError> {
        let row = self.rows.get(name).await.map_err(store_error)?;
        row.map(|row| parse(&row)).transpose()
    }

    async fn list(&self) -> Result<Vec<T>, NamedError> {
        let rows = self.rows.rows().await.map_err(store_error)?;
        let mut records = rows
            .iter()
            .map(|row| parse::<T>(row))
            .collect::<Result<Vec<_>, _>>()?;
        records.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(records)
    }

    async fn update(&self, name: &str, change: Change<'_, T>) -> Result<T, NamedError> {
        let updated = self
            .rows
            .update(name, store_error, |old| {
                let mut record = parse::<T>(old)?;
                change(&mut record);
                let row = json(&record)?;
                Ok((record, row))
            })
            .await?;
        match updated {
            Updated::Done(record) => Ok(record),
            Updated::Gone => Err(NamedError::not_found::<T>(name)),
            Updated::Overtaken => Err(NamedError::Internal(format!(
                "{} {name} kept changing under this update; try again",
                T::KIND
            ))),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), NamedError> {
        if self.rows.delete(name).await.map_err(store_error)? {
            Ok(())
        } else {
            Err(NamedError::not_found::<T>(name))
        }
    }
}
