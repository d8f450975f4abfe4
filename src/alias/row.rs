//! An alias as JSON, the form every store keeps it in.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{AliasRecord, Routing};

/// An alias's stored form.
#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    pub id: String,
    name: String,
    description: Option<String>,
    routing: StoredRouting,
    creation_time_ms: u64,
    last_updated_time_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
enum StoredRouting {
    Simple { fleet_id: String },
    Terminal { message: String },
}

fn to_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `time` truncated to the millisecond, as stores keep it, so a record read back is equal.
pub(super) fn to_millisecond(time: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(to_millis(time))
}

pub(super) fn stored(record: &AliasRecord) -> Stored {
    Stored {
        id: record.id.clone(),
        name: record.name.clone(),
        description: record.description.clone(),
        routing: match &record.routing {
            Routing::Simple { fleet_id } => StoredRouting::Simple {
                fleet_id: fleet_id.clone(),
            },
            Routing::Terminal { message } => StoredRouting::Terminal {
                message: message.clone(),
            },
        },
        creation_time_ms: to_millis(record.creation_time),
        last_updated_time_ms: to_millis(record.last_updated_time),
    }
}

pub(super) fn record_of(stored: Stored) -> AliasRecord {
    let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
    AliasRecord {
        id: stored.id,
        name: stored.name,
        description: stored.description,
        routing: match stored.routing {
            StoredRouting::Simple { fleet_id } => Routing::Simple { fleet_id },
            StoredRouting::Terminal { message } => Routing::Terminal { message },
        },
        creation_time: at(stored.creation_time_ms),
        last_updated_time: at(stored.last_updated_time_ms),
    }
}
