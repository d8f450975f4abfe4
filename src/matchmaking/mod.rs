//! The matchmaker's records: rule sets, kept by name ([`crate::named`]) in `rule_sets.json`
//! under the data directory on one server, in the fleet store's hash `<prefix>rulesets` for
//! a fleet. A rule set never changes once created; its body is checked by
//! [`crate::flexmatch::parse`] before it is stored.

use std::path::PathBuf;

use redis::aio::ConnectionManager;

use crate::api::rule_sets::MatchmakingRuleSet;
use crate::named::{FileNamedStore, Named, NamedError, RedisNamedStore};

/// Most rule sets stored at once; beyond it, creating one fails with
/// [`NamedError::LimitExceeded`]. GameLift has a per-account quota too.
pub const MAX_RULE_SETS: usize = 100;

impl Named for MatchmakingRuleSet {
    const KIND: &'static str = "matchmaking rule set";

    fn name(&self) -> &str {
        &self.rule_set_name
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
