//! The alias operations (control-api.md §2.7): `CreateAlias`, `DescribeAlias`, `ListAliases`,
//! `UpdateAlias`, `DeleteAlias` and `ResolveAlias`, and the model's `AliasIdOrArn` rule,
//! which every operation taking an `AliasId` shares.

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorType};
use super::ids::is_id_or_arn;
use super::model::{Alias, RoutingStrategy, RoutingStrategyType, Tag};
use super::validate::{length, optional_length, pattern_error, tags};
use super::{Operation, Request};
use crate::config::is_fleet_id;

/// Most characters of a `TERMINAL` alias's message. The model sets no limit (`FreeText`);
/// this one keeps every stored alias small.
pub const MAX_MESSAGE_CHARS: usize = 1024;

/// The model's `AliasIdOrArn` pattern.
pub const ALIAS_ID_PATTERN: &str = "^(alias-\\S+|arn:.*:alias\\/alias-\\S+)$";

/// `CreateAlias`: a new alias of a fleet, or a terminal one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAliasInput {
    /// A name; names need not be unique.
    pub name: String,
    /// A description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where it routes.
    pub routing_strategy: RoutingStrategy,
    /// Tags, validated and not kept: this server has no tagging operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// What `CreateAlias` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAliasOutput {
    /// The alias.
    pub alias: Alias,
}

impl Request for CreateAliasInput {
    const OPERATION: Operation = Operation::CreateAlias;
    type Output = CreateAliasOutput;

    fn validate(&self) -> Result<(), ApiError> {
        name(&self.name)?;
        optional_length("Description", self.description.as_deref(), 1, 1024)?;
        routing_strategy(&self.routing_strategy)?;
        tags("Tags", Some(&self.tags))
    }
}

/// `DescribeAlias`: one alias.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAliasInput {
    /// The alias, by id or ARN.
    pub alias_id: String,
}

/// What `DescribeAlias` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAliasOutput {
    /// The alias.
    pub alias: Alias,
}

impl Request for DescribeAliasInput {
    const OPERATION: Operation = Operation::DescribeAlias;
    type Output = DescribeAliasOutput;

    fn validate(&self) -> Result<(), ApiError> {
        alias_id("AliasId", &self.alias_id)
    }
}

/// `ListAliases`: the aliases, oldest first, filtered by routing type and name, a page at a
/// time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesInput {
    /// Only aliases of this routing type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_strategy_type: Option<RoutingStrategyType>,
    /// Only aliases with exactly this name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Most aliases in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `ListAliases` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesOutput {
    /// The page of aliases.
    pub aliases: Vec<Alias>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for ListAliasesInput {
    const OPERATION: Operation = Operation::ListAliases;
    type Output = ListAliasesOutput;

    fn validate(&self) -> Result<(), ApiError> {
        // `NonEmptyString`: a minimum and no maximum; a longer name matches no alias.
        if self.name.as_deref() == Some("") {
            return Err(ApiError::invalid(
                "Name",
                "Member must have length greater than or equal to 1",
            ));
        }
        Ok(())
    }
}

/// `UpdateAlias`: changes an alias's name, description or routing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAliasInput {
    /// The alias, by id or ARN.
    pub alias_id: String,
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A new routing, replacing the old one whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_strategy: Option<RoutingStrategy>,
}

/// What `UpdateAlias` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAliasOutput {
    /// The alias as updated.
    pub alias: Alias,
}

impl Request for UpdateAliasInput {
    const OPERATION: Operation = Operation::UpdateAlias;
    type Output = UpdateAliasOutput;

    fn validate(&self) -> Result<(), ApiError> {
        alias_id("AliasId", &self.alias_id)?;
        if let Some(new) = &self.name {
            name(new)?;
        }
        optional_length("Description", self.description.as_deref(), 1, 1024)?;
        self.routing_strategy
            .as_ref()
            .map_or(Ok(()), routing_strategy)
    }
}

/// `DeleteAlias`: deletes an alias.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAliasInput {
    /// The alias, by id or ARN.
    pub alias_id: String,
}

/// What `DeleteAlias` answers: nothing (the model gives it no output).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteAliasOutput {}

impl Request for DeleteAliasInput {
    const OPERATION: Operation = Operation::DeleteAlias;
    type Output = DeleteAliasOutput;

    fn validate(&self) -> Result<(), ApiError> {
        alias_id("AliasId", &self.alias_id)
    }
}

/// `ResolveAlias`: the fleet an alias routes to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResolveAliasInput {
    /// The alias, by id or ARN.
    pub alias_id: String,
}

/// What `ResolveAlias` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResolveAliasOutput {
    /// The fleet's id.
    pub fleet_id: String,
    /// The fleet's ARN.
    pub fleet_arn: String,
}

impl Request for ResolveAliasInput {
    const OPERATION: Operation = Operation::ResolveAlias;
    type Output = ResolveAliasOutput;

    fn validate(&self) -> Result<(), ApiError> {
        alias_id("AliasId", &self.alias_id)
    }
}

/// Checks an `AliasIdOrArn` member: an alias id or an ARN ending in `alias/<alias id>`.
pub fn alias_id(member: &str, value: &str) -> Result<(), ApiError> {
    length(member, value, 1, 512)?;
    // The model's `.*` stops at line ends, so an ARN's first part holds none.
    let one_line = !value.contains(is_line_end);
    if one_line && is_id_or_arn(value, "alias") {
        Ok(())
    } else {
        Err(pattern_error(member, ALIAS_ID_PATTERN))
    }
}

/// Checks an alias's `Name` (`NonBlankAndLengthConstraintString`): 1 to 1024 characters on
/// one line, not all blank (`^.*\S.*$`).
fn name(value: &str) -> Result<(), ApiError> {
    length("Name", value, 1, 1024)?;
    let blank = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r');
    if value.contains(is_line_end) || value.chars().all(blank) {
        return Err(pattern_error("Name", "^.*\\S.*$"));
    }
    Ok(())
}

/// Whether `c` ends a line, for the model's (Java) `.`, which matches anything else.
fn is_line_end(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Checks a `RoutingStrategy`: its `Type` is required; a `SIMPLE` one names a fleet by id
/// (the model's `FleetId`, not an ARN) and a `TERMINAL` one carries a message, and neither
/// takes the other's member, which it would not use.
fn routing_strategy(routing: &RoutingStrategy) -> Result<(), ApiError> {
    let conflict = |member: &str, kind: &str| {
        Err(ApiError::new(
            ErrorType::InvalidRequest,
            format!("RoutingStrategy.{member} does not apply to a {kind} routing strategy"),
        ))
    };
    match routing.r#type {
        None => Err(ApiError::missing("RoutingStrategy.type")),
        Some(RoutingStrategyType::Simple) => {
            let Some(fleet) = routing.fleet_id.as_deref() else {
                return Err(ApiError::new(
                    ErrorType::InvalidRequest,
                    "a SIMPLE routing strategy needs RoutingStrategy.FleetId",
                ));
            };
            length("RoutingStrategy.fleetId", fleet, 1, 128)?;
            if !is_fleet_id(fleet) {
                return Err(pattern_error(
                    "RoutingStrategy.fleetId",
                    "^[a-z]*fleet-[a-zA-Z0-9\\-]+$",
                ));
            }
            if routing.message.is_some() {
                return conflict("Message", "SIMPLE");
            }
            Ok(())
        }
        Some(RoutingStrategyType::Terminal) => {
            let Some(message) = routing.message.as_deref() else {
                return Err(ApiError::new(
                    ErrorType::InvalidRequest,
                    "a TERMINAL routing strategy needs RoutingStrategy.Message",
                ));
            };
            length("RoutingStrategy.message", message, 1, MAX_MESSAGE_CHARS)?;
            if routing.fleet_id.is_some() {
                return conflict("FleetId", "TERMINAL");
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(fleet: &str) -> RoutingStrategy {
        RoutingStrategy {
            r#type: Some(RoutingStrategyType::Simple),
            fleet_id: Some(fleet.to_owned()),
            message: None,
        }
    }

    fn terminal(message: &str) -> RoutingStrategy {
        RoutingStrategy {
            r#type: Some(RoutingStrategyType::Terminal),
            fleet_id: None,
            message: Some(message.to_owned()),
        }
    }

    fn create(name: &str, routing: RoutingStrategy) -> CreateAliasInput {
        CreateAliasInput {
            name: name.to_owned(),
            routing_strategy: routing,
            ..CreateAliasInput::default()
        }
    }

    fn refused(input: &impl Request, needle: &str) -> bool {
        input
            .validate()
            .is_err_and(|e| e.kind == ErrorType::InvalidRequest && e.message.contains(needle))
    }

    #[test]
    fn alias_ids_and_arns_follow_the_pattern() {
        for good in [
            "alias-1",
            "alias-0e6b0ac4-6b1c-4c57-9a8a-1d1b0d6e4b6f",
            "arn:aws:gamelift:local::alias/alias-1",
        ] {
            assert!(alias_id("AliasId", good).is_ok(), "{good}");
        }
        let long = format!("alias-{}", "x".repeat(507));
        for bad in [
            "",
            "alias-",
            "alias- 1",
            "fleet-1",
            "arn:aws:gamelift:local::fleet/fleet-1",
            "arn:aws\n:gamelift:local::alias/alias-1",
            long.as_str(),
        ] {
            assert!(alias_id("AliasId", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_not_blank_and_on_one_line() {
        assert!(create("arena", simple("fleet-local")).validate().is_ok());
        assert!(create(" a ", simple("fleet-local")).validate().is_ok());
        for bad in ["", " \t ", "two\nlines"] {
            assert!(
                refused(&create(bad, simple("fleet-local")), "'name'"),
                "{bad:?}"
            );
        }
        assert!(refused(
            &create(&"n".repeat(1025), simple("fleet-local")),
            "length between 1 and 1024"
        ));
    }

    #[test]
    fn routing_strategies_carry_what_their_type_needs() {
        assert!(create("a", terminal("gone")).validate().is_ok());
        let missing_type = RoutingStrategy {
            r#type: None,
            ..simple("fleet-local")
        };
        assert!(refused(&create("a", missing_type), "routingStrategy.type"));
        let mut no_fleet = simple("fleet-local");
        no_fleet.fleet_id = None;
        assert!(refused(
            &create("a", no_fleet),
            "needs RoutingStrategy.FleetId"
        ));
        // The model's FleetId is an id: an ARN does not match its pattern.
        let arn = simple("arn:aws:gamelift:local::fleet/fleet-local");
        assert!(refused(&create("a", arn), "routingStrategy.fleetId"));
        let mut both = simple("fleet-local");
        both.message = Some("hi".to_owned());
        assert!(refused(&create("a", both), "does not apply to a SIMPLE"));
        let mut no_message = terminal("x");
        no_message.message = None;
        assert!(refused(
            &create("a", no_message),
            "needs RoutingStrategy.Message"
        ));
        assert!(refused(
            &create("a", terminal("")),
            "routingStrategy.message"
        ));
        let long = "m".repeat(MAX_MESSAGE_CHARS + 1);
        assert!(refused(
            &create("a", terminal(&long)),
            "routingStrategy.message"
        ));
        let mut fleet_too = terminal("x");
        fleet_too.fleet_id = Some("fleet-local".to_owned());
        assert!(refused(
            &create("a", fleet_too),
            "does not apply to a TERMINAL"
        ));
    }

    #[test]
    fn updates_check_only_what_they_change() {
        let mut update = UpdateAliasInput {
            alias_id: "alias-1".to_owned(),
            ..UpdateAliasInput::default()
        };
        assert!(update.validate().is_ok());
        update.description = Some(String::new());
        assert!(refused(&update, "'description'"));
        update.description = None;
        update.routing_strategy = Some(RoutingStrategy::default());
        assert!(refused(&update, "routingStrategy.type"));
        update.routing_strategy = Some(terminal("closed"));
        assert!(update.validate().is_ok());
        update.alias_id = "script-1".to_owned();
        assert!(refused(&update, "'aliasId'"));
    }

    #[test]
    fn a_listing_name_is_not_empty() {
        let mut list = ListAliasesInput::default();
        assert!(list.validate().is_ok());
        list.name = Some(String::new());
        assert!(refused(&list, "'name'"));
    }

    #[test]
    fn routing_strategies_keep_their_wire_names() {
        let json = serde_json::to_value(simple("fleet-local")).ok();
        assert_eq!(
            json,
            Some(serde_json::json!({"Type": "SIMPLE", "FleetId": "fleet-local"}))
        );
        assert_eq!(
            serde_json::to_string(&DeleteAliasOutput {}).ok().as_deref(),
            Some("{}")
        );
    }
}
