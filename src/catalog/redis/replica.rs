//! This host's copy of the fleet's game session rows, for the reads that list them
//! (`DescribeGameSessions` of a fleet, `SearchGameSessions`, the fleet's capacity): reading
//! every row from Redis for each would move megabytes per call at tens of thousands of game
//! sessions. Every script that changes a row announces its id in the bounded stream
//! `gs-changes`; each read first fetches the rows announced since the last one (an `XREAD`
//! and an `MGET` of those only), so a read still sees every change made before it, through
//! any host. A host that fell behind the stream's start reads every row again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use redis::AsyncCommands;
use redis::streams::{StreamRangeReply, StreamReadOptions, StreamReadReply};

use super::{MGET_CHUNK, RedisCatalog, rows, store_error};
use crate::catalog::{CatalogError, GameSession};

/// Most stream entries one `XREAD` returns.
const READ_BATCH: usize = 5_000;

/// The copy: rows by id, and their order of creation.
#[derive(Default)]
pub(super) struct Replica {
    /// The last stream entry applied; `None` before the first full read.
    cursor: Option<String>,
    rows: HashMap<String, (u64, Arc<(GameSession, usize)>)>,
    order: BTreeMap<u64, String>,
}

impl Replica {
    fn put(&mut self, id: String, row: (GameSession, usize)) {
        let sequence = row.0.sequence;
        if let Some((old, _)) = self.rows.insert(id.clone(), (sequence, Arc::new(row))) {
            self.order.remove(&old);
        }
        self.order.insert(sequence, id);
    }

    fn forget(&mut self, id: &str) {
        if let Some((sequence, _)) = self.rows.remove(id) {
            self.order.remove(&sequence);
        }
    }

    fn in_order(&self) -> Vec<Arc<(GameSession, usize)>> {
        self.order
            .values()
            .filter_map(|id| self.rows.get(id).map(|(_, row)| Arc::clone(row)))
            .collect()
    }
}

/// A stream entry id, `<ms>-<seq>`, as numbers to compare.
fn entry_id(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

impl RedisCatalog {
    /// Every remembered game session with how many of its players are logged in, in
    /// creation order, as of now.
    pub(super) async fn replicated(&self) -> Result<Vec<Arc<(GameSession, usize)>>, CatalogError> {
        let mut replica = self.replica.lock().await;
        let stream = self.key("gs-changes");
        let mut connection = self.connection.clone();
        let behind = match &replica.cursor {
            None => true,
            Some(cursor) => {
                let first: StreamRangeReply = connection
                    .xrange_count(&stream, "-", "+", 1)
                    .await
                    .map_err(store_error)?;
                first
                    .ids
                    .first()
                    .is_some_and(|f| entry_id(&f.id) > entry_id(cursor))
            }
        };
        if behind {
            self.read_all(&mut replica).await?;
            return Ok(replica.in_order());
        }
        let mut changed = HashSet::new();
        loop {
            let cursor = replica.cursor.clone().unwrap_or_else(|| "0-0".into());
            let options = StreamReadOptions::default().count(READ_BATCH);
            let read: StreamReadReply = connection
                .xread_options(&[&stream], &[&cursor], &options)
                .await
                .map_err(store_error)?;
            let entries: Vec<_> = read.keys.into_iter().flat_map(|k| k.ids).collect();
            let Some(last) = entries.last() else { break };
            replica.cursor = Some(last.id.clone());
            let full = entries.len() >= READ_BATCH;
            for entry in entries {
                if let Some(redis::Value::BulkString(id)) = entry.map.get("id") {
                    changed.insert(String::from_utf8_lossy(id).into_owned());
                }
            }
            if !full {
                break;
            }
        }
        let ids: Vec<String> = changed.into_iter().collect();
        for chunk in ids.chunks(MGET_CHUNK) {
            let keys: Vec<String> = chunk
                .iter()
                .map(|id| self.key(&format!("gs:{id}")))
                .collect();
            let values: Vec<Option<String>> = redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut connection)
                .await
                .map_err(store_error)?;
            for (id, value) in chunk.iter().zip(values) {
                match value {
                    Some(row) => replica.put(id.clone(), rows::game_session_with_active(&row)?),
                    None => replica.forget(id),
                }
            }
        }
        Ok(replica.in_order())
    }

    /// Reads every row afresh: from the stream's current end on, changes are applied.
    async fn read_all(&self, replica: &mut Replica) -> Result<(), CatalogError> {
        let mut connection = self.connection.clone();
        let last: StreamRangeReply = connection
            .xrevrange_count(self.key("gs-changes"), "+", "-", 1)
            .await
            .map_err(store_error)?;
        let cursor = last
            .ids
            .first()
            .map_or_else(|| "0-0".to_owned(), |e| e.id.clone());
        let mut fresh = Replica {
            cursor: Some(cursor),
            ..Replica::default()
        };
        for row in self.game_rows().await? {
            let (game, active) = rows::game_session_with_active(&row)?;
            fresh.put(game.id.as_str().to_owned(), (game, active));
        }
        *replica = fresh;
        Ok(())
    }
}
