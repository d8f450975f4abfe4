//! The objects the API returns (control-api.md §3.2, §3.4, §3.5, §3.10), built from the host's
//! records: [`Shapes`] fills in this server's fleet and client endpoint.

use super::aliases::routing_type;
use crate::alias::{AliasRecord, Routing};
use crate::api::model::{
    self, GameProperty, GameSessionStatus, PlayerSessionCreationPolicy, PlayerSessionStatus,
    RoutingStrategy, Timestamp,
};
use crate::catalog::{self, GameSession, Placement, PlayerSession};
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
        self.arn_of_fleet(&self.fleet.id)
    }

    /// The ARN of fleet `id` in this server's region (an alias may name a fleet this server
    /// no longer is, after `fleet.id` changed).
    pub fn arn_of_fleet(&self, id: &str) -> String {
        format!("arn:aws:gamelift:{}::fleet/{id}", self.fleet.region)
    }

    /// An alias's ARN (control-api.md §3.6), with an empty account field like the fleet's.
    pub fn alias_arn(&self, id: &str) -> String {
        format!("arn:aws:gamelift:{}::alias/{id}", self.fleet.region)
    }

    /// A game session queue's ARN, with an empty account field like the fleet's.
    pub fn queue_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:gamelift:{}::gamesessionqueue/{name}",
            self.fleet.region
        )
    }

    /// An `Alias` object.
    pub fn alias(&self, a: &AliasRecord) -> model::Alias {
        let (fleet_id, message) = match &a.routing {
            Routing::Simple { fleet_id } => (Some(fleet_id.clone()), None),
            Routing::Terminal { message } => (None, Some(message.clone())),
        };
        model::Alias {
            alias_id: a.id.clone(),
            name: a.name.clone(),
            alias_arn: self.alias_arn(&a.id),
            description: a.description.clone(),
            routing_strategy: RoutingStrategy {
                r#type: Some(routing_type(&a.routing)),
                fleet_id,
                message,
            },
            creation_time: Timestamp(a.creation_time),
            last_updated_time: Timestamp(a.last_updated_time),
        }
    }

    /// A `GameSession` object.
    pub fn game_session(&self, g: &GameSession) -> model::GameSession {
        model::GameSession {
            game_session_id: g.id.as_str().to_owned(),
            name: g.spec.name.clone(),
            fleet_id: self.fleet.id.clone(),
            fleet_arn: self.fleet_arn(),
            creation_time: Timestamp(g.creation_time),
            termination_time: g.termination_time.map(Timestamp),
            current_player_session_count: g.current_player_sessions,
            maximum_player_session_count: g.spec.max_players,
            status: game_session_status(g.status),
            status_reason: g.status_reason.map(str::to_owned),
            game_properties: g
                .spec
                .properties
                .iter()
                .map(|(key, value)| GameProperty {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
            ip_address: self.ip_address(g.placement.as_ref()),
            dns_name: self.dns_name(g.placement.as_ref()),
            port: self.port(g.placement.as_ref()),
            player_session_creation_policy: if g.accepting_player_sessions {
                PlayerSessionCreationPolicy::AcceptAll
            } else {
                PlayerSessionCreationPolicy::DenyAll
            },
            creator_id: g.spec.creator_id.clone(),
            game_session_data: g.spec.game_session_data.clone(),
            matchmaker_data: g.spec.matchmaker_data.clone(),
            location: g.spec.location.clone(),
            script_id: g.script.as_ref().map(|s| s.id.as_str().to_owned()),
            script_version: g.script.as_ref().and_then(|s| s.version.clone()),
            script_revision: g.script.as_ref().map(|s| s.revision),
        }
    }

    /// A `PlayerSession` object.
    pub fn player_session(&self, p: &PlayerSession) -> model::PlayerSession {
        model::PlayerSession {
            player_session_id: p.id.clone(),
            player_id: p.player_id.clone(),
            game_session_id: p.game_session.as_str().to_owned(),
            fleet_id: self.fleet.id.clone(),
            fleet_arn: self.fleet_arn(),
            creation_time: Timestamp(p.creation_time),
            termination_time: p.termination_time.map(Timestamp),
            status: player_session_status(p.status),
            ip_address: self.ip_address(p.placement.as_ref()),
            dns_name: self.dns_name(p.placement.as_ref()),
            port: self.port(p.placement.as_ref()),
            player_data: p.player_data.clone(),
        }
    }

    /// Where players connect: the game session's host in a fleet, else this server.
    fn ip_address(&self, placement: Option<&Placement>) -> String {
        placement.map_or_else(|| self.endpoint.ip.to_string(), |p| p.ip_address.clone())
    }

    fn dns_name(&self, placement: Option<&Placement>) -> String {
        placement.map_or_else(|| self.endpoint.dns_name.clone(), |p| p.dns_name.clone())
    }

    fn port(&self, placement: Option<&Placement>) -> u16 {
        placement.map_or(self.endpoint.port, |p| p.port)
    }

    /// A script's ARN (control-api.md §3.6), with an empty account field like the fleet's.
    pub fn script_arn(&self, id: &str) -> String {
        format!("arn:aws:gamelift:{}::script/{id}", self.fleet.region)
    }

    /// A `Script` object.
    pub fn script(&self, s: &ScriptRecord) -> model::Script {
        model::Script {
            script_id: s.id.clone(),
            script_arn: self.script_arn(&s.id),
            name: s.name.clone(),
            version: s.version.clone(),
            size_on_disk: s.size_on_disk,
            creation_time: Timestamp(s.creation_time),
            node_js_version: s.node_js_version.clone(),
        }
    }
}

/// A game session status as the API names it.
pub fn game_session_status(status: catalog::GameSessionStatus) -> GameSessionStatus {
    match status {
        catalog::GameSessionStatus::Activating => GameSessionStatus::Activating,
        catalog::GameSessionStatus::Active => GameSessionStatus::Active,
        catalog::GameSessionStatus::Terminating => GameSessionStatus::Terminating,
        catalog::GameSessionStatus::Terminated => GameSessionStatus::Terminated,
        catalog::GameSessionStatus::Error => GameSessionStatus::Error,
    }
}

/// A player session status as the API names it.
fn player_session_status(status: catalog::PlayerSessionStatus) -> PlayerSessionStatus {
    match status {
        catalog::PlayerSessionStatus::Reserved => PlayerSessionStatus::Reserved,
        catalog::PlayerSessionStatus::Active => PlayerSessionStatus::Active,
        catalog::PlayerSessionStatus::Completed => PlayerSessionStatus::Completed,
        catalog::PlayerSessionStatus::TimedOut => PlayerSessionStatus::TimedOut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_keep_their_api_names() {
        for status in catalog::GameSessionStatus::ALL {
            let named = serde_json::to_value(game_session_status(status)).ok();
            assert_eq!(
                named.as_ref().and_then(|v| v.as_str()),
                Some(status.as_str())
            );
        }
        for status in catalog::PlayerSessionStatus::ALL {
            let named = serde_json::to_value(player_session_status(status)).ok();
            assert_eq!(
                named.as_ref().and_then(|v| v.as_str()),
                Some(status.as_str())
            );
        }
    }
}
