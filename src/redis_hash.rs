//! [`JsonHash`]: records kept as JSON text in one Redis hash (field: the record's key), what
//! the fleet's alias store and its named records ([`crate::named`]) share. Creating checks the count and the key in the same
//! Lua script that adds the row, and a replacement applies only if the row is still the one
//! the caller read, so both are atomic across hosts; the stores turn the answers into their
//! own errors.

use redis::aio::ConnectionManager;
use redis::{RedisError, Script};

/// Adds KEYS[1] field ARGV[1] = ARGV[2]: 1, or 0 if the field exists, or -1 if ARGV[3]
/// fields are there already.
const CREATE: &str = "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end \
                      if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end \
                      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1";
/// Sets KEYS[1] field ARGV[1] to ARGV[3] if it still holds ARGV[2]: 1, else 0 (changed
/// meanwhile) or -1 (gone).
const REPLACE: &str = "local now = redis.call('HGET', KEYS[1], ARGV[1]) \
                       if not now then return -1 end \
                       if now ~= ARGV[2] then return 0 end \
                       redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1";

/// Most tries of a read-modify-write that other hosts' changes keep overtaking.
const UPDATE_TRIES: usize = 10;

/// What [`JsonHash::create`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    /// The row was added.
    Added,
    /// A row has this key already.
    Exists,
    /// The hash holds its most rows already.
    Full,
}

/// What [`JsonHash::update`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Updated<T> {
    /// The row is now the modified one, which `T` describes.
    Done(T),
    /// There is no such row.
    Gone,
    /// Other changes came first on every try.
    Overtaken,
}

/// One hash of JSON rows.
pub struct JsonHash {
    connection: ConnectionManager,
    key: String,
    create: Script,
    replace: Script,
}

impl JsonHash {
    /// The hash `key` on `connection`.
    pub fn new(connection: ConnectionManager, key: String) -> Self {
        Self {
            connection,
            key,
            create: Script::new(CREATE),
            replace: Script::new(REPLACE),
        }
    }

    /// Adds row `field` unless it exists or `max` rows are there.
    pub async fn create(&self, field: &str, row: &str, max: usize) -> Result<Created, RedisError> {
        let mut connection = self.connection.clone();
        let answer: i64 = self
            .create
            .key(&self.key)
            .arg(field)
            .arg(row)
            .arg(max)
            .invoke_async(&mut connection)
            .await?;
        Ok(match answer {
            1 => Created::Added,
            0 => Created::Exists,
            _ => Created::Full,
        })
    }

    /// Row `field`, if there is one.
    pub async fn get(&self, field: &str) -> Result<Option<String>, RedisError> {
        let mut connection = self.connection.clone();
        redis::cmd("HGET")
            .arg(&self.key)
            .arg(field)
            .query_async(&mut connection)
            .await
    }

    /// Every row, in no order.
    pub async fn rows(&self) -> Result<Vec<String>, RedisError> {
        let mut connection = self.connection.clone();
        redis::cmd("HVALS")
            .arg(&self.key)
            .query_async(&mut connection)
            .await
    }

    /// Reads row `field`, gives it to `modify` (which answers the new row and what the
    /// caller wants back, or fails) and writes the new row if the row is still the one read;
    /// else reads again, a few times. Redis failures become `E` through `store_error`.
    pub async fn update<T, E>(
        &self,
        field: &str,
        store_error: fn(RedisError) -> E,
        mut modify: impl FnMut(&str) -> Result<(T, String), E>,
    ) -> Result<Updated<T>, E> {
        for _ in 0..UPDATE_TRIES {
            let Some(old) = self.get(field).await.map_err(store_error)? else {
                return Ok(Updated::Gone);
            };
            let (answer, new) = modify(&old)?;
            let mut connection = self.connection.clone();
            let replaced: i64 = self
                .replace
                .key(&self.key)
                .arg(field)
                .arg(&old)
                .arg(new)
                .invoke_async(&mut connection)
                .await
                .map_err(store_error)?;
            match replaced {
                1 => return Ok(Updated::Done(answer)),
                -1 => return Ok(Updated::Gone),
                _ => {}
            }
        }
        Ok(Updated::Overtaken)
    }

    /// Removes row `field`; false if there was none.
    pub async fn delete(&self, field: &str) -> Result<bool, RedisError> {
        let mut connection = self.connection.clone();
        let removed: i64 = redis::cmd("HDEL")
            .arg(&self.key)
            .arg(field)
            .query_async(&mut connection)
            .await?;
        Ok(removed > 0)
    }
}
