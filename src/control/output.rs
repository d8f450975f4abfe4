//! JSON shapes of the objects the API returns (control-api.md §3.2, §3.4, §3.5):
//! members in the model's PascalCase, timestamps as epoch seconds with millisecond fractions,
//! absent members omitted.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::catalog::{GameSession, PlayerSession};
use crate::config::FleetConfig;
use crate::host::Endpoint;
use crate::script::store::ScriptRecord;

/// Builds response objects for this server's fleet and client endpoint.
pub struct Shapes<'a> {
    /// The fleet.
    pub fleet: &'a FleetConfig,
    /// Where game clients connect.
    pub endpoint: &'a Endpoint,
}

impl Shapes<'_> {
    /// The fleet's ARN.
    pub fn fleet_arn(&self) -> String {
        format!(
            "arn:aws:gamelift:{}::fleet/{}",
            self.fleet.region, self.fleet.id
        )
    }

    /// A `GameSession` object.
    pub fn game_session(&self, g: &GameSession) -> Value {
        let mut object = json!({
            "GameSessionId": g.id.as_str(),
            "FleetId": self.fleet.id,
            "FleetArn": self.fleet_arn(),
            "CreationTime": timestamp(g.creation_time),
            "CurrentPlayerSessionCount": g.current_player_sessions,
            "MaximumPlayerSessionCount": g.spec.max_players,
            "Status": g.status.as_str(),
            "GameProperties": g.spec.properties.iter()
                .map(|(key, value)| json!({"Key": key, "Value": value}))
                .collect::<Vec<_>>(),
            "PlayerSessionCreationPolicy":
                if g.accepting_player_sessions { "ACCEPT_ALL" } else { "DENY_ALL" },
            "Location": g.spec.location,
        });
        if let Value::Object(map) = &mut object {
            self.insert_endpoint(map);
            insert(map, "Name", g.spec.name.as_deref().map(Value::from));
            insert(map, "TerminationTime", g.termination_time.map(timestamp));
            insert(map, "StatusReason", g.status_reason.map(Value::from));
            insert(
                map,
                "CreatorId",
                g.spec.creator_id.as_deref().map(Value::from),
            );
            insert(
                map,
                "GameSessionData",
                g.spec.game_session_data.as_deref().map(Value::from),
            );
            // Not in the GameLift model (SDKs ignore unknown members): which script content
            // the game session runs.
            if let Some(script) = &g.script {
                insert(map, "ScriptId", Some(Value::from(script.id.as_str())));
                insert(
                    map,
                    "ScriptVersion",
                    script.version.as_deref().map(Value::from),
                );
                insert(map, "ScriptRevision", Some(Value::from(script.revision)));
            }
        }
        object
    }

    /// A `PlayerSession` object.
    pub fn player_session(&self, p: &PlayerSession) -> Value {
        let mut object = json!({
            "PlayerSessionId": p.id,
            "PlayerId": p.player_id,
            "GameSessionId": p.game_session.as_str(),
            "FleetId": self.fleet.id,
            "FleetArn": self.fleet_arn(),
            "CreationTime": timestamp(p.creation_time),
            "Status": p.status.as_str(),
        });
        if let Value::Object(map) = &mut object {
            self.insert_endpoint(map);
            insert(map, "TerminationTime", p.termination_time.map(timestamp));
            insert(map, "PlayerData", p.player_data.as_deref().map(Value::from));
        }
        object
    }

    /// A script's ARN (control-api.md §3.6), with an empty account field like the fleet's.
    pub fn script_arn(&self, id: &str) -> String {
        format!("arn:aws:gamelift:{}::script/{id}", self.fleet.region)
    }

    /// A `Script` object; `StorageLocation` is omitted, since scripts live on this server.
    pub fn script(&self, s: &ScriptRecord) -> Value {
        let mut object = json!({
            "ScriptId": s.id,
            "ScriptArn": self.script_arn(&s.id),
            "SizeOnDisk": s.size_on_disk,
            "CreationTime": timestamp(s.creation_time),
            "NodeJsVersion": s.node_js_version,
        });
        if let Value::Object(map) = &mut object {
            insert(map, "Name", s.name.as_deref().map(Value::from));
            insert(map, "Version", s.version.as_deref().map(Value::from));
        }
        object
    }

    fn insert_endpoint(&self, map: &mut Map<String, Value>) {
        map.insert("IpAddress".into(), self.endpoint.ip.to_string().into());
        map.insert("DnsName".into(), self.endpoint.dns_name.clone().into());
        map.insert("Port".into(), self.endpoint.port.into());
    }
}

/// Epoch seconds with a millisecond fraction, as the SDKs parse timestamps.
pub fn timestamp(time: SystemTime) -> Value {
    let millis = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    // Milliseconds since 1970 fit an f64 exactly for the next 280,000 years.
    Value::from(millis as f64 / 1000.0)
}

fn insert(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.into(), value);
    }
}
