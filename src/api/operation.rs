//! [`Operation`]: every operation the control API serves, listed once. Routing, the metrics
//! label set and the control client all read this list.

/// One operation of the control API, named on the wire by its `X-Amz-Target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GameLift.CreateGameSession`.
    CreateGameSession,
    /// `GameLift.DescribeGameSessions`.
    DescribeGameSessions,
    /// `GameLift.CreatePlayerSession`.
    CreatePlayerSession,
    /// `GameLift.CreatePlayerSessions`.
    CreatePlayerSessions,
    /// `GameLift.DescribePlayerSessions`.
    DescribePlayerSessions,
    /// `GameLift.DescribeGameSessionDetails`.
    DescribeGameSessionDetails,
    /// `GameLift.SearchGameSessions`.
    SearchGameSessions,
    /// `GameLift.UpdateGameSession`.
    UpdateGameSession,
    /// `GameLift.TerminateGameSession`.
    TerminateGameSession,
    /// `GameLift.DescribeFleetAttributes`.
    DescribeFleetAttributes,
    /// `GameLift.DescribeFleetCapacity`.
    DescribeFleetCapacity,
    /// `GameLift.DescribeFleetUtilization`.
    DescribeFleetUtilization,
    /// `GameLift.ListFleets`.
    ListFleets,
    /// `GameLift.ListLocations`.
    ListLocations,
    /// `GameLift.DescribeFleetLocationAttributes`.
    DescribeFleetLocationAttributes,
    /// `GameLift.DescribeFleetLocationCapacity`.
    DescribeFleetLocationCapacity,
    /// `GameLift.DescribeFleetLocationUtilization`.
    DescribeFleetLocationUtilization,
    /// `GameLift.CreateScript`.
    CreateScript,
    /// `GameLift.UpdateScript`.
    UpdateScript,
    /// `GameLift.DescribeScript`.
    DescribeScript,
    /// `GameLift.ListScripts`.
    ListScripts,
    /// `GameLift.DeleteScript`.
    DeleteScript,
    /// `GameLift.CreateAlias`.
    CreateAlias,
    /// `GameLift.DescribeAlias`.
    DescribeAlias,
    /// `GameLift.ListAliases`.
    ListAliases,
    /// `GameLift.UpdateAlias`.
    UpdateAlias,
    /// `GameLift.DeleteAlias`.
    DeleteAlias,
    /// `GameLift.ResolveAlias`.
    ResolveAlias,
    /// `GameLift.CreateGameSessionQueue`.
    CreateGameSessionQueue,
    /// `GameLift.DescribeGameSessionQueues`.
    DescribeGameSessionQueues,
    /// `GameLift.UpdateGameSessionQueue`.
    UpdateGameSessionQueue,
    /// `GameLift.DeleteGameSessionQueue`.
    DeleteGameSessionQueue,
    /// `GameLift.StartGameSessionPlacement`.
    StartGameSessionPlacement,
    /// `GameLift.DescribeGameSessionPlacement`.
    DescribeGameSessionPlacement,
    /// `GameLift.StopGameSessionPlacement`.
    StopGameSessionPlacement,
    /// `GameLift.CreateMatchmakingRuleSet`.
    CreateMatchmakingRuleSet,
    /// `GameLift.DescribeMatchmakingRuleSets`.
    DescribeMatchmakingRuleSets,
    /// `GameLift.DeleteMatchmakingRuleSet`.
    DeleteMatchmakingRuleSet,
    /// `GameLift.ValidateMatchmakingRuleSet`.
    ValidateMatchmakingRuleSet,
    /// `GameLift.CreateMatchmakingConfiguration`.
    CreateMatchmakingConfiguration,
    /// `GameLift.DescribeMatchmakingConfigurations`.
    DescribeMatchmakingConfigurations,
    /// `GameLift.UpdateMatchmakingConfiguration`.
    UpdateMatchmakingConfiguration,
    /// `GameLift.DeleteMatchmakingConfiguration`.
    DeleteMatchmakingConfiguration,
    /// `GameLift.StartMatchmaking`.
    StartMatchmaking,
    /// `GameLift.DescribeMatchmaking`.
    DescribeMatchmaking,
    /// `GameLift.StopMatchmaking`.
    StopMatchmaking,
    /// `GameLift.AcceptMatch`.
    AcceptMatch,
    /// `GameLift.StartMatchBackfill`.
    StartMatchBackfill,
    /// `Volley.DescribeServer`: Volley's own, outside the GameLift model.
    DescribeServer,
    /// `Volley.StartDrain`: Volley's own, outside the GameLift model.
    StartDrain,
}

/// The `X-Amz-Target` prefix of the GameLift operations.
pub const GAMELIFT_PREFIX: &str = "GameLift.";
/// The `X-Amz-Target` prefix of Volley's own operations.
pub const VOLLEY_PREFIX: &str = "Volley.";

impl Operation {
    /// Every operation, in the order the metrics list their labels.
    pub const ALL: [Self; 50] = [
        Self::CreateGameSession,
        Self::DescribeGameSessions,
        Self::CreatePlayerSession,
        Self::CreatePlayerSessions,
        Self::DescribePlayerSessions,
        Self::DescribeGameSessionDetails,
        Self::SearchGameSessions,
        Self::UpdateGameSession,
        Self::TerminateGameSession,
        Self::DescribeFleetAttributes,
        Self::DescribeFleetCapacity,
        Self::DescribeFleetUtilization,
        Self::ListFleets,
        Self::ListLocations,
        Self::DescribeFleetLocationAttributes,
        Self::DescribeFleetLocationCapacity,
        Self::DescribeFleetLocationUtilization,
        Self::CreateScript,
        Self::UpdateScript,
        Self::DescribeScript,
        Self::ListScripts,
        Self::DeleteScript,
        Self::CreateAlias,
        Self::DescribeAlias,
        Self::ListAliases,
        Self::UpdateAlias,
        Self::DeleteAlias,
        Self::ResolveAlias,
        Self::CreateGameSessionQueue,
        Self::DescribeGameSessionQueues,
        Self::UpdateGameSessionQueue,
        Self::DeleteGameSessionQueue,
        Self::StartGameSessionPlacement,
        Self::DescribeGameSessionPlacement,
        Self::StopGameSessionPlacement,
        Self::CreateMatchmakingRuleSet,
        Self::DescribeMatchmakingRuleSets,
        Self::DeleteMatchmakingRuleSet,
        Self::ValidateMatchmakingRuleSet,
        Self::CreateMatchmakingConfiguration,
        Self::DescribeMatchmakingConfigurations,
        Self::UpdateMatchmakingConfiguration,
        Self::DeleteMatchmakingConfiguration,
        Self::StartMatchmaking,
        Self::DescribeMatchmaking,
        Self::StopMatchmaking,
        Self::AcceptMatch,
        Self::StartMatchBackfill,
        Self::DescribeServer,
        Self::StartDrain,
    ];

    /// The whole `X-Amz-Target` header value, such as `GameLift.ListFleets`.
    pub const fn target(self) -> &'static str {
        match self {
            Self::CreateGameSession => "GameLift.CreateGameSession",
            Self::DescribeGameSessions => "GameLift.DescribeGameSessions",
            Self::CreatePlayerSession => "GameLift.CreatePlayerSession",
            Self::CreatePlayerSessions => "GameLift.CreatePlayerSessions",
            Self::DescribePlayerSessions => "GameLift.DescribePlayerSessions",
            Self::DescribeGameSessionDetails => "GameLift.DescribeGameSessionDetails",
            Self::SearchGameSessions => "GameLift.SearchGameSessions",
            Self::UpdateGameSession => "GameLift.UpdateGameSession",
            Self::TerminateGameSession => "GameLift.TerminateGameSession",
            Self::DescribeFleetAttributes => "GameLift.DescribeFleetAttributes",
            Self::DescribeFleetCapacity => "GameLift.DescribeFleetCapacity",
            Self::DescribeFleetUtilization => "GameLift.DescribeFleetUtilization",
            Self::ListFleets => "GameLift.ListFleets",
            Self::ListLocations => "GameLift.ListLocations",
            Self::DescribeFleetLocationAttributes => "GameLift.DescribeFleetLocationAttributes",
            Self::DescribeFleetLocationCapacity => "GameLift.DescribeFleetLocationCapacity",
            Self::DescribeFleetLocationUtilization => "GameLift.DescribeFleetLocationUtilization",
            Self::CreateScript => "GameLift.CreateScript",
            Self::UpdateScript => "GameLift.UpdateScript",
            Self::DescribeScript => "GameLift.DescribeScript",
            Self::ListScripts => "GameLift.ListScripts",
            Self::DeleteScript => "GameLift.DeleteScript",
            Self::CreateAlias => "GameLift.CreateAlias",
            Self::DescribeAlias => "GameLift.DescribeAlias",
            Self::ListAliases => "GameLift.ListAliases",
            Self::UpdateAlias => "GameLift.UpdateAlias",
            Self::DeleteAlias => "GameLift.DeleteAlias",
            Self::ResolveAlias => "GameLift.ResolveAlias",
            Self::CreateGameSessionQueue => "GameLift.CreateGameSessionQueue",
            Self::DescribeGameSessionQueues => "GameLift.DescribeGameSessionQueues",
            Self::UpdateGameSessionQueue => "GameLift.UpdateGameSessionQueue",
            Self::DeleteGameSessionQueue => "GameLift.DeleteGameSessionQueue",
            Self::StartGameSessionPlacement => "GameLift.StartGameSessionPlacement",
            Self::DescribeGameSessionPlacement => "GameLift.DescribeGameSessionPlacement",
            Self::StopGameSessionPlacement => "GameLift.StopGameSessionPlacement",
            Self::CreateMatchmakingRuleSet => "GameLift.CreateMatchmakingRuleSet",
            Self::DescribeMatchmakingRuleSets => "GameLift.DescribeMatchmakingRuleSets",
            Self::DeleteMatchmakingRuleSet => "GameLift.DeleteMatchmakingRuleSet",
            Self::ValidateMatchmakingRuleSet => "GameLift.ValidateMatchmakingRuleSet",
            Self::CreateMatchmakingConfiguration => "GameLift.CreateMatchmakingConfiguration",
            Self::DescribeMatchmakingConfigurations => "GameLift.DescribeMatchmakingConfigurations",
            Self::UpdateMatchmakingConfiguration => "GameLift.UpdateMatchmakingConfiguration",
            Self::DeleteMatchmakingConfiguration => "GameLift.DeleteMatchmakingConfiguration",
            Self::StartMatchmaking => "GameLift.StartMatchmaking",
            Self::DescribeMatchmaking => "GameLift.DescribeMatchmaking",
            Self::StopMatchmaking => "GameLift.StopMatchmaking",
            Self::AcceptMatch => "GameLift.AcceptMatch",
            Self::StartMatchBackfill => "GameLift.StartMatchBackfill",
            Self::DescribeServer => "Volley.DescribeServer",
            Self::StartDrain => "Volley.StartDrain",
        }
    }

    /// The name logs and metrics use: a GameLift operation without its `GameLift.` prefix
    /// (`ListFleets`), one of Volley's own whole (`Volley.DescribeServer`), so neither can be
    /// taken for the other.
    pub fn name(self) -> &'static str {
        let target = self.target();
        target.strip_prefix(GAMELIFT_PREFIX).unwrap_or(target)
    }

    /// The operation [`Operation::name`] names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The operation an `X-Amz-Target` header value names.
    pub fn from_target(target: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.target() == target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_targets_round_trip() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
            assert_eq!(Operation::from_target(op.target()), Some(op));
            assert!(
                op.target().starts_with(GAMELIFT_PREFIX) || op.target().starts_with(VOLLEY_PREFIX),
                "{op:?}"
            );
        }
        assert_eq!(Operation::from_name("GameLift.ListFleets"), None);
        assert_eq!(Operation::from_name("DescribeServer"), None);
        assert_eq!(Operation::from_target("ListFleets"), None);
    }

    #[test]
    fn every_operation_is_documented_and_nothing_else() {
        let docs = include_str!("../../docs/control-api.md");
        let documented: Vec<&str> = docs
            .lines()
            .filter_map(|line| line.strip_prefix("#### "))
            .filter_map(|heading| heading.split_whitespace().nth(1))
            .collect();
        let listed: Vec<&str> = Operation::ALL.into_iter().map(Operation::name).collect();
        let mut documented_sorted = documented.clone();
        documented_sorted.sort_unstable();
        let mut listed_sorted = listed.clone();
        listed_sorted.sort_unstable();
        assert_eq!(
            documented_sorted, listed_sorted,
            "docs/control-api.md: {documented:?}"
        );
    }

    #[test]
    fn every_operation_is_listed_once() {
        for (i, op) in Operation::ALL.into_iter().enumerate() {
            assert!(!Operation::ALL[..i].contains(&op), "{op:?} listed twice");
        }
    }
}
