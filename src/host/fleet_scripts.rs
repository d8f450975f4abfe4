//! Script resources across a fleet: each host keeps the scripts on its own disk (its
//! [`ScriptStore`], which game sessions start from without waiting on anything), shares
//! what is created, updated or deleted through it in the fleet store, and brings its copy up
//! to date from there: at start, on every heartbeat, and before it answers a script call.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::catalog::redis::StoredScript;
use crate::catalog::{CatalogError, RedisCatalog};
use crate::script::store::{ScriptRecord, ScriptStore, SharedScript};

/// A script's record as hosts share it.
#[derive(Serialize, Deserialize)]
struct SharedRecord {
    id: String,
    name: Option<String>,
    version: Option<String>,
    node_js_version: String,
    creation_time_ms: u64,
    revision: u64,
    content_version: Option<String>,
}

fn stored_of(shared: SharedScript) -> StoredScript {
    let r = &shared.record;
    let record = SharedRecord {
        id: r.id.clone(),
        name: r.name.clone(),
        version: r.version.clone(),
        node_js_version: r.node_js_version.clone(),
        creation_time_ms: r
            .creation_time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        revision: r.revision,
        content_version: shared.content_version.clone(),
    };
    StoredScript {
        id: r.id.clone(),
        revision: r.revision,
        record: serde_json::to_string(&record).unwrap_or_default(),
        zip: shared.zip,
    }
}

fn shared_of(stored: StoredScript) -> Result<SharedScript, CatalogError> {
    let record: SharedRecord = serde_json::from_str(&stored.record).map_err(|e| {
        CatalogError::Store(format!("a shared script's record does not parse: {e}"))
    })?;
    if record.id != stored.id {
        return Err(CatalogError::Store(format!(
            "the shared script {} holds the record of {}",
            stored.id, record.id
        )));
    }
    Ok(SharedScript {
        record: ScriptRecord {
            id: record.id,
            name: record.name,
            version: record.version,
            size_on_disk: stored.zip.len() as u64,
            creation_time: UNIX_EPOCH + Duration::from_millis(record.creation_time_ms),
            node_js_version: record.node_js_version,
            revision: record.revision,
            source: None,
        },
        content_version: record.content_version,
        zip: stored.zip,
    })
}

/// Runs disk work of the script store off the async threads.
async fn on_disk<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::script::store::StoreError> + Send + 'static,
) -> Result<T, CatalogError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CatalogError::Store(e.to_string()))?
        .map_err(|e| CatalogError::Store(format!("the local script store: {e}")))
}

/// Brings this host's scripts up to date with the fleet's: newer revisions are fetched,
/// scripts deleted through another host are deleted here, and scripts only this host has
/// (stored before it joined, or by `volley serve --script`) are shared.
pub(crate) async fn sync(
    scripts: &Arc<ScriptStore>,
    store: &RedisCatalog,
) -> Result<(), CatalogError> {
    let (revisions, deleted) = store.script_revisions().await?;
    for (id, revision) in &revisions {
        let local = scripts.get(id).map(|r| r.revision);
        if local.is_some_and(|local| local >= *revision) {
            continue;
        }
        let Some(stored) = store.script(id).await? else {
            continue; // Deleted meanwhile.
        };
        let shared = shared_of(stored)?;
        let scripts = Arc::clone(scripts);
        let revision = shared.record.revision;
        on_disk(move || scripts.import(shared)).await?;
        info!(script = %id, revision, "script brought up to date from the fleet");
    }
    let local: HashMap<String, u64> = scripts
        .list()
        .into_iter()
        .map(|r| (r.id, r.revision))
        .collect();
    for (id, revision) in local {
        let fleet = revisions.get(&id).copied();
        if fleet.is_none() && deleted.contains(&id) {
            let scripts = Arc::clone(scripts);
            let gone = id.clone();
            on_disk(move || scripts.delete(&gone).map(drop)).await?;
            info!(script = %id, "script deleted through another host");
        } else if fleet.is_none_or(|fleet| fleet < revision) {
            share(scripts, store, &id, fleet).await?;
        }
    }
    Ok(())
}

/// Shares this host's copy of script `id`, replacing the fleet's revision `replaces`
/// (`None`: the fleet has none). False if the fleet's copy changed meanwhile.
pub(crate) async fn share(
    scripts: &Arc<ScriptStore>,
    store: &RedisCatalog,
    id: &str,
    replaces: Option<u64>,
) -> Result<bool, CatalogError> {
    let exported = {
        let scripts = Arc::clone(scripts);
        let id = id.to_owned();
        on_disk(move || scripts.export(&id)).await?
    };
    let Some(shared) = exported else {
        return Err(CatalogError::NotFound(id.to_owned()));
    };
    store.publish_script(&stored_of(shared), replaces).await
}
