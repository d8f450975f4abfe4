//! The fleet's script resources in Redis, so that a script uploaded through any host runs on
//! every host: `scripts` (script id -> its record, as JSON the hosts agree on), `script-revs`
//! (script id -> revision), `script-zip:<id>` (the current content) and `scripts-deleted`
//! (ids deleted through some host, so that hosts drop their copies rather than share them
//! again). Each host keeps its own copy on disk and brings it up to date from here.

use std::collections::{HashMap, HashSet};

use redis::Script;

use super::{RedisCatalog, store_error};
use crate::catalog::CatalogError;

/// A script as the store holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredScript {
    /// Its id.
    pub id: String,
    /// Its revision.
    pub revision: u64,
    /// Its record, as JSON.
    pub record: String,
    /// Its content.
    pub zip: Vec<u8>,
}

/// Stores ARGV[1] (revision ARGV[2], record ARGV[3], zip ARGV[4]) if its stored revision is
/// ARGV[5] (`none`: not stored). 1 if stored, 0 if the stored one is another.
const PUBLISH: &str = r"
local P = KEYS[1]
local now = redis.call('HGET', P .. 'script-revs', ARGV[1])
if (now or 'none') ~= ARGV[5] then return 0 end
redis.call('HSET', P .. 'script-revs', ARGV[1], ARGV[2])
redis.call('HSET', P .. 'scripts', ARGV[1], ARGV[3])
redis.call('SET', P .. 'script-zip:' .. ARGV[1], ARGV[4])
redis.call('SREM', P .. 'scripts-deleted', ARGV[1])
return 1
";

/// Deletes script ARGV[1] and remembers it was deleted.
const REMOVE: &str = r"
local P = KEYS[1]
redis.call('HDEL', P .. 'script-revs', ARGV[1])
redis.call('HDEL', P .. 'scripts', ARGV[1])
redis.call('DEL', P .. 'script-zip:' .. ARGV[1])
redis.call('SADD', P .. 'scripts-deleted', ARGV[1])
return 1
";

impl RedisCatalog {
    /// Every shared script's revision, and the ids deleted through some host.
    pub async fn script_revisions(
        &self,
    ) -> Result<(HashMap<String, u64>, HashSet<String>), CatalogError> {
        let mut connection = self.connection.clone();
        redis::pipe()
            .hgetall(self.key("script-revs"))
            .smembers(self.key("scripts-deleted"))
            .query_async(&mut connection)
            .await
            .map_err(store_error)
    }

    /// A shared script, if it is (still) there.
    pub async fn script(&self, id: &str) -> Result<Option<StoredScript>, CatalogError> {
        let mut connection = self.connection.clone();
        let (revision, record, zip): (Option<u64>, Option<String>, Option<Vec<u8>>) = redis::pipe()
            .atomic()
            .hget(self.key("script-revs"), id)
            .hget(self.key("scripts"), id)
            .get(self.key(&format!("script-zip:{id}")))
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        Ok(match (revision, record, zip) {
            (Some(revision), Some(record), Some(zip)) => Some(StoredScript {
                id: id.to_owned(),
                revision,
                record,
                zip,
            }),
            _ => None,
        })
    }

    /// Shares `script` if the fleet's copy is at revision `replaces` (`None`: the fleet has
    /// none). False if the fleet's copy is another: someone changed it meanwhile.
    pub async fn publish_script(
        &self,
        script: &StoredScript,
        replaces: Option<u64>,
    ) -> Result<bool, CatalogError> {
        let mut connection = self.connection.clone();
        let stored: i64 = Script::new(PUBLISH)
            .key(&self.prefix)
            .arg(&script.id)
            .arg(script.revision)
            .arg(&script.record)
            .arg(script.zip.as_slice())
            .arg(replaces.map_or_else(|| "none".to_owned(), |r| r.to_string()))
            .invoke_async(&mut connection)
            .await
            .map_err(store_error)?;
        Ok(stored == 1)
    }

    /// Deletes a shared script for the whole fleet.
    pub async fn remove_script(&self, id: &str) -> Result<(), CatalogError> {
        let mut connection = self.connection.clone();
        Script::new(REMOVE)
            .key(&self.prefix)
            .arg(id)
            .invoke_async::<i64>(&mut connection)
            .await
            .map(drop)
            .map_err(store_error)
    }
}
