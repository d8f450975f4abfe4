//! [`RedisTicketStore`]: a fleet's tickets in its Redis store, so that any host answers for
//! them and matchmaking outlives the host running it. Each ticket is one key
//! (`<prefix>ticket:<id>`: its JSON, expiring [`RETENTION`] after it ends); a configuration's
//! active tickets are also in a sorted set (`<prefix>tickets:<configuration>`: id by start,
//! in milliseconds). A change is read, applied here, and stored by one Lua script that checks
//! every ticket is still as it was read (compare-and-set), retried a few times if another host
//! got there first.

use std::time::Duration;

use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;

use super::{
    Change, MAX_ACTIVE_PER_CONFIGURATION, RETENTION, TicketError, TicketRecord, TicketStore,
};

/// KEYS: the ticket, its pool; ARGV: id, JSON, start (ms), most active.
/// 1 stored, 0 the id exists, -1 too many active.
const CREATE: &str = "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end \
    if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return -1 end \
    redis.call('SET', KEYS[1], ARGV[2]) \
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) return 1";

/// KEYS: n tickets, then their n pools; ARGV: n, seconds to keep an ended ticket, then per
/// ticket: the JSON read, the new JSON, '1' if still active, its id.
/// 1 stored; 0 a ticket changed since it was read.
const SWAP: &str = "local n = tonumber(ARGV[1]) \
    for i = 1, n do \
      if redis.call('GET', KEYS[i]) ~= ARGV[4 * i - 1] then return 0 end \
    end \
    for i = 1, n do \
      if ARGV[4 * i + 1] == '1' then redis.call('SET', KEYS[i], ARGV[4 * i]) \
      else \
        redis.call('SET', KEYS[i], ARGV[4 * i], 'EX', tonumber(ARGV[2])) \
        redis.call('ZREM', KEYS[n + i], ARGV[4 * i + 2]) \
      end \
    end \
    return 1";

/// KEYS: the lease; ARGV: holder, term (ms). 1 while the holder has it.
const LEAD: &str = "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end \
    if redis.call('GET', KEYS[1]) == ARGV[1] then \
      redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end \
    return 0";

/// How many times a change is tried against tickets other hosts keep changing.
const SWAP_TRIES: usize = 8;

/// Tickets read per round trip.
const READ_CHUNK: usize = 1000;

/// A fleet's tickets in Redis.
pub struct RedisTicketStore {
    connection: ConnectionManager,
    prefix: String,
    create: Script,
    swap: Script,
    lead: Script,
}

impl RedisTicketStore {
    /// The tickets under `prefix` (the fleet's key prefix) on `connection`.
    pub fn new(connection: ConnectionManager, prefix: &str) -> Self {
        Self {
            connection,
            prefix: prefix.to_owned(),
            create: Script::new(CREATE),
            swap: Script::new(SWAP),
            lead: Script::new(LEAD),
        }
    }

    fn key(&self, id: &str) -> String {
        format!("{}ticket:{id}", self.prefix)
    }

    fn pool_key(&self, configuration: &str) -> String {
        format!("{}tickets:{configuration}", self.prefix)
    }

    /// The raw rows of `ids`, `None` for those not remembered.
    async fn rows(&self, ids: &[String]) -> Result<Vec<Option<String>>, TicketError> {
        let mut connection = self.connection.clone();
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(READ_CHUNK) {
            let keys: Vec<String> = chunk.iter().map(|id| self.key(id)).collect();
            let mut part: Vec<Option<String>> = redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut connection)
                .await
                .map_err(store_error)?;
            rows.append(&mut part);
        }
        Ok(rows)
    }
}

fn store_error(e: redis::RedisError) -> TicketError {
    TicketError::Internal(format!("the fleet store is unavailable: {e}"))
}

fn parse(row: &str) -> Result<TicketRecord, TicketError> {
    serde_json::from_str(row)
        .map_err(|e| TicketError::Internal(format!("a stored ticket does not parse: {e}")))
}

fn json(record: &TicketRecord) -> String {
    serde_json::to_string(record).unwrap_or_default()
}

#[async_trait]
impl TicketStore for RedisTicketStore {
    async fn create(&self, record: &TicketRecord) -> Result<(), TicketError> {
        let id = record.id();
        let mut connection = self.connection.clone();
        let stored: i64 = self
            .create
            .key(self.key(id))
            .key(self.pool_key(record.configuration()))
            .arg(id)
            .arg(json(record))
            .arg(record.start_ms())
            .arg(MAX_ACTIVE_PER_CONFIGURATION)
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        match stored {
            1 => Ok(()),
            0 => Err(TicketError::Duplicate(id.to_owned())),
            _ => Err(TicketError::LimitExceeded(MAX_ACTIVE_PER_CONFIGURATION)),
        }
    }

    async fn get(&self, ids: &[String]) -> Result<Vec<TicketRecord>, TicketError> {
        self.rows(ids)
            .await?
            .into_iter()
            .flatten()
            .map(|row| parse(&row))
            .collect()
    }

    async fn pool(&self, configuration: &str) -> Result<Vec<TicketRecord>, TicketError> {
        let pool = self.pool_key(configuration);
        let mut connection = self.connection.clone();
        let ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(&pool)
            .arg(0)
            .arg(-1)
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        let rows = self.rows(&ids).await?;
        let mut records = Vec::with_capacity(rows.len());
        for (id, row) in ids.iter().zip(rows) {
            let Some(row) = row else {
                // Gone without ending (its key was deleted by hand): out of the pool.
                let _: Result<i64, _> = redis::cmd("ZREM")
                    .arg(&pool)
                    .arg(id)
                    .query_async(&mut connection)
                    .await;
                continue;
            };
            match parse(&row) {
                Ok(record) => records.push(record),
                // One bad row must not hold up the pool.
                Err(e) => {
                    tracing::warn!(ticket = %id, error = %e, "skipping a ticket that does not parse")
                }
            }
        }
        Ok(records)
    }

    async fn update(
        &self,
        ids: &[String],
        change: &Change<'_>,
    ) -> Result<Vec<TicketRecord>, TicketError> {
        for _ in 0..SWAP_TRIES {
            let rows = self.rows(ids).await?;
            let mut read = Vec::with_capacity(rows.len());
            for (id, row) in ids.iter().zip(rows) {
                read.push(row.ok_or_else(|| TicketError::NotFound(id.clone()))?);
            }
            let mut records = read
                .iter()
                .map(|row| parse(row))
                .collect::<Result<Vec<_>, _>>()?;
            change(&mut records)?;
            let mut swap = self.swap.prepare_invoke();
            for id in ids {
                swap.key(self.key(id));
            }
            for record in &records {
                swap.key(self.pool_key(record.configuration()));
            }
            swap.arg(ids.len()).arg(RETENTION.as_secs());
            for ((row, record), id) in read.iter().zip(&records).zip(ids) {
                let active = if record.ticket.status.is_active() {
                    "1"
                } else {
                    "0"
                };
                swap.arg(row).arg(json(record)).arg(active).arg(id);
            }
            let mut connection = self.connection.clone();
            let stored: i64 = swap
                .invoke_async(&mut connection)
                .await
                .map_err(store_error)?;
            if stored == 1 {
                return Ok(records);
            }
        }
        Err(TicketError::Internal(format!(
            "tickets kept changing under {SWAP_TRIES} tries; retry"
        )))
    }

    async fn lead(
        &self,
        configuration: &str,
        holder: &str,
        term: Duration,
    ) -> Result<bool, TicketError> {
        let mut connection = self.connection.clone();
        let held: i64 = self
            .lead
            .key(format!("{}matchmaker:{configuration}", self.prefix))
            .arg(holder)
            .arg(u64::try_from(term.as_millis()).unwrap_or(u64::MAX))
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        Ok(held == 1)
    }
}
