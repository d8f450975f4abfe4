//! Resource ids and ARNs as the model's patterns describe them (`FleetIdOrArn`,
//! `ScriptIdOrArn`, `AliasIdOrArn`, `BuildIdOrArn`), and the id an ARN names.

use crate::config::is_fleet_id;

/// Whether a `FleetIdOrArn` matches the model's pattern: a fleet id, or an ARN ending in
/// `fleet/<fleet id>`.
pub fn is_fleet_id_or_arn(value: &str) -> bool {
    match value.strip_prefix("arn:") {
        Some(rest) => rest.rsplit_once(":").is_some_and(|(_, resource)| {
            resource.split_once("fleet/").is_some_and(|(kind, id)| {
                kind.bytes().all(|b| b.is_ascii_lowercase()) && is_fleet_id(id)
            })
        }),
        None => is_fleet_id(value),
    }
}

/// Whether `value` is `<kind>-<non-space>` or an ARN ending in `<kind>/<kind>-<non-space>`.
pub fn is_id_or_arn(value: &str, kind: &str) -> bool {
    let id = match value.strip_prefix("arn:") {
        Some(rest) => match rest.split_once(&format!(":{kind}/")) {
            Some((_, id)) => id,
            None => return false,
        },
        None => value,
    };
    id.strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|rest| !rest.is_empty() && !rest.chars().any(char::is_whitespace))
}

/// The fleet id of a `FleetIdOrArn`.
pub fn fleet_id_of(id: &str) -> &str {
    id.rsplit_once("fleet/").map_or(id, |(_, id)| id)
}

/// The alias id of an `AliasIdOrArn`: `alias-...` or an ARN ending in `alias/alias-...`.
pub fn alias_id_of(value: &str) -> &str {
    value.rsplit_once(":alias/").map_or(value, |(_, id)| id)
}

/// The name in a `<kind>` name-or-ARN (`GameSessionQueueNameOrArn`, `MatchmakingRuleSetName`):
/// the value itself, or what follows `:<kind>/` in an ARN; `None` for an ARN of another kind.
pub fn name_in<'a>(value: &'a str, kind: &str) -> Option<&'a str> {
    match value.strip_prefix("arn:") {
        Some(rest) => rest.split_once(&format!(":{kind}/")).map(|(_, name)| name),
        None => Some(value),
    }
}

/// The script id of a `ScriptIdOrArn`: `script-...` or an ARN ending in `script/script-...`.
pub fn script_id_of(value: &str) -> &str {
    value.rsplit_once(":script/").map_or(value, |(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_and_arns() {
        assert!(is_fleet_id_or_arn("fleet-local"));
        assert!(is_fleet_id_or_arn(
            "arn:aws:gamelift:local::fleet/fleet-local"
        ));
        assert!(!is_fleet_id_or_arn("not a fleet"));
        assert_eq!(
            fleet_id_of("arn:aws:gamelift:local::fleet/fleet-local"),
            "fleet-local"
        );
        assert!(is_id_or_arn("script-1", "script"));
        assert!(is_id_or_arn(
            "arn:aws:gamelift:x::script/script-1",
            "script"
        ));
        for bad in [
            "script-",
            "script- x",
            "build-1",
            "arn:aws:gamelift:x::fleet/x",
        ] {
            assert!(!is_id_or_arn(bad, "script"), "{bad}");
        }
        assert_eq!(
            script_id_of("arn:aws:gamelift:x::script/script-1"),
            "script-1"
        );
        assert_eq!(script_id_of("script-1"), "script-1");
        assert_eq!(
            alias_id_of("arn:aws:gamelift:local::alias/alias-1"),
            "alias-1"
        );
        assert_eq!(alias_id_of("alias-1"), "alias-1");
    }
}
