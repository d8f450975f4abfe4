//! The matchmaker's records, kept by name ([`crate::named`]): rule sets in `rule_sets.json` and
//! matchmaking configurations in `configurations.json` under the data directory on one
//! server, in the fleet store's hashes `<prefix>rulesets` and `<prefix>mmconfigs` for a fleet.
//! A rule set never changes once created; its body is checked by [`crate::flexmatch::parse`]
//! before it is stored. A configuration names a stored rule set and queue, checked by the
//! control API when it is created or updated.

use std::path::PathBuf;

use redis::aio::ConnectionManager;

use crate::api::matchmaking_configurations::MatchmakingConfiguration;
use crate::api::rule_sets::MatchmakingRuleSet;
use crate::named::{FileNamedStore, Named, NamedError, RedisNamedStore};

/// Most rule sets stored at once; beyond it, creating one fails with
/// [`NamedError::LimitExceeded`]. GameLift has a per-account quota too.
pub const MAX_RULE_SETS: usize = 100;

/// Most matchmaking configurations stored at once; beyond it, creating one fails with
/// [`NamedError::LimitExceeded`].
pub const MAX_CONFIGURATIONS: usize = 100;

impl Named for MatchmakingRuleSet {
    const KIND: &'static str = "matchmaking rule set";

    fn name(&self) -> &str {
        &self.rule_set_name
    }
}

impl Named for MatchmakingConfiguration {
    const KIND: &'static str = "matchmaking configuration";

    fn name(&self) -> &str {
        &self.name
    }
}

/// This server's rule sets, in `path`.
pub fn rule_set_file_store(
    path: impl Into<PathBuf>,
) -> Result<FileNamedStore<MatchmakingRuleSet>, NamedError> {
    FileNamedStore::open(path, MAX_RULE_SETS)
}

/// A fleet's rule sets, under `prefix` (the fleet's key prefix) on `connection`.
pub fn rule_set_redis_store(
    connection: ConnectionManager,
    prefix: &str,
) -> RedisNamedStore<MatchmakingRuleSet> {
    RedisNamedStore::new(connection, format!("{prefix}rulesets"), MAX_RULE_SETS)
}

/// This server's matchmaking configurations, in `path`.
pub fn configuration_file_store(
    path: impl Into<PathBuf>,
) -> Result<FileNamedStore<MatchmakingConfiguration>, NamedError> {
    FileNamedStore::open(path, MAX_CONFIGURATIONS)
}

/// A fleet's matchmaking configurations, under `prefix` (the fleet's key prefix) on
/// `connection`.
pub fn configuration_redis_store(
    connection: ConnectionManager,
    prefix: &str,
) -> RedisNamedStore<MatchmakingConfiguration> {
    RedisNamedStore::new(connection, format!("{prefix}mmconfigs"), MAX_CONFIGURATIONS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::matchmaking_configurations::{BackfillMode, FlexMatchMode};
    use crate::api::model::{GameProperty, Timestamp};
    use crate::named::NamedStore;

    fn configuration(name: &str) -> MatchmakingConfiguration {
        MatchmakingConfiguration {
            name: name.to_owned(),
            configuration_arn: format!("arn:aws:gamelift:local::matchmakingconfiguration/{name}"),
            description: Some("ranked 5v5".into()),
            game_session_queue_arns: vec!["arn:aws:gamelift:local::gamesessionqueue/q".into()],
            request_timeout_seconds: 120,
            acceptance_timeout_seconds: Some(30),
            acceptance_required: true,
            rule_set_name: "five".into(),
            rule_set_arn: "arn:aws:gamelift:local::matchmakingruleset/five".into(),
            notification_target: None,
            additional_player_count: 2,
            custom_event_data: None,
            creation_time: Timestamp(std::time::UNIX_EPOCH + std::time::Duration::from_millis(5)),
            game_properties: vec![GameProperty {
                key: "mode".into(),
                value: "ranked".into(),
            }],
            game_session_data: Some("data".into()),
            backfill_mode: BackfillMode::Automatic,
            flex_match_mode: FlexMatchMode::WithQueue,
        }
    }

    #[tokio::test]
    async fn configurations_are_kept_whole_across_a_reopen() {
        let dir = std::env::temp_dir().join(format!("volley-mmconfigs-{}", uuid::Uuid::new_v4()));
        let path = dir.join("configurations.json");
        let store = configuration_file_store(&path).expect("opens");
        store.create(configuration("b")).await.expect("creates");
        store.create(configuration("a")).await.expect("creates");
        assert!(matches!(
            store.create(configuration("a")).await,
            Err(NamedError::Duplicate { .. })
        ));
        let reopened = configuration_file_store(&path).expect("reopens");
        assert_eq!(
            reopened.list().await.expect("lists"),
            [configuration("a"), configuration("b")]
        );
        std::fs::remove_dir_all(dir).expect("cleans up");
    }
}
