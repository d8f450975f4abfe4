//! The matchmaking rule set operations (control-api.md §2.10): `CreateMatchmakingRuleSet`,
//! `DescribeMatchmakingRuleSets`, `DeleteMatchmakingRuleSet` and `ValidateMatchmakingRuleSet`,
//! and the rule set object they return, [`MatchmakingRuleSet`], which is also how a rule set
//! is stored. The body's rule language is checked by [`crate::flexmatch::parse`], in the
//! handlers.

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::ids::name_in;
use super::model::{Tag, Timestamp};
use super::validate::{chars, length, optional_length, pattern_error, range, tags};
use super::{Operation, Request};

/// The model's `MatchmakingRuleSetName` pattern.
pub const RULE_SET_NAME_OR_ARN_PATTERN: &str =
    "^([a-zA-Z0-9-\\.]*|arn:.*:matchmakingruleset\\/[a-zA-Z0-9-\\.]*)$";

/// A matchmaking rule set, as the API returns it and as it is stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MatchmakingRuleSet {
    /// Its name, unique in the fleet.
    pub rule_set_name: String,
    /// Its ARN, `arn:aws:gamelift:<region>::matchmakingruleset/<name>`.
    pub rule_set_arn: String,
    /// The rule set, as it was given.
    pub rule_set_body: String,
    /// When it was created.
    pub creation_time: Timestamp,
}

/// `CreateMatchmakingRuleSet`: a new rule set; rule sets never change after.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateMatchmakingRuleSetInput {
    /// Its name.
    pub name: String,
    /// The rule set, JSON text in the FlexMatch rule language.
    pub rule_set_body: String,
    /// Tags, validated and not kept: this server has no tagging operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// What `CreateMatchmakingRuleSet` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateMatchmakingRuleSetOutput {
    /// The rule set.
    pub rule_set: MatchmakingRuleSet,
}

impl Request for CreateMatchmakingRuleSetInput {
    const OPERATION: Operation = Operation::CreateMatchmakingRuleSet;
    type Output = CreateMatchmakingRuleSetOutput;

    fn validate(&self) -> Result<(), ApiError> {
        rule_set_name(&self.name)?;
        length("RuleSetBody", &self.rule_set_body, 1, 65_535)?;
        tags("Tags", Some(&self.tags))
    }
}

/// `DescribeMatchmakingRuleSets`: the named rule sets, or all of them a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeMatchmakingRuleSetsInput {
    /// Rule sets by name or ARN, 1 to 10; absent: every rule set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    /// Most rule sets in the page, 1 to 10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribeMatchmakingRuleSets` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeMatchmakingRuleSetsOutput {
    /// The page of rule sets.
    pub rule_sets: Vec<MatchmakingRuleSet>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribeMatchmakingRuleSetsInput {
    const OPERATION: Operation = Operation::DescribeMatchmakingRuleSets;
    type Output = DescribeMatchmakingRuleSetsOutput;

    fn validate(&self) -> Result<(), ApiError> {
        if let Some(names) = &self.names {
            if !(1..=10).contains(&names.len()) {
                return Err(ApiError::invalid(
                    "Names",
                    "Member must have length between 1 and 10",
                ));
            }
            names
                .iter()
                .try_for_each(|name| rule_set_name_or_arn("Names", name))?;
        }
        range("Limit", self.limit, 1, 10)?;
        optional_length("NextToken", self.next_token.as_deref(), 1, 1024)
    }
}

/// `DeleteMatchmakingRuleSet`: deletes a rule set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMatchmakingRuleSetInput {
    /// The rule set, by name or ARN.
    pub name: String,
}

/// What `DeleteMatchmakingRuleSet` answers: nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMatchmakingRuleSetOutput {}

impl Request for DeleteMatchmakingRuleSetInput {
    const OPERATION: Operation = Operation::DeleteMatchmakingRuleSet;
    type Output = DeleteMatchmakingRuleSetOutput;

    fn validate(&self) -> Result<(), ApiError> {
        rule_set_name_or_arn("Name", &self.name)
    }
}

/// `ValidateMatchmakingRuleSet`: checks a rule set body without storing it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateMatchmakingRuleSetInput {
    /// The rule set, JSON text in the FlexMatch rule language.
    pub rule_set_body: String,
}

/// What `ValidateMatchmakingRuleSet` answers for a valid body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateMatchmakingRuleSetOutput {
    /// True: an invalid body is `InvalidRequestException` naming its problems.
    pub valid: bool,
}

impl Request for ValidateMatchmakingRuleSetInput {
    const OPERATION: Operation = Operation::ValidateMatchmakingRuleSet;
    type Output = ValidateMatchmakingRuleSetOutput;

    fn validate(&self) -> Result<(), ApiError> {
        length("RuleSetBody", &self.rule_set_body, 1, 65_535)
    }
}

/// The rule set name a `MatchmakingRuleSetName` (a name or an ARN) names.
pub fn rule_set_name_of(value: &str) -> &str {
    name_in(value, "matchmakingruleset").unwrap_or(value)
}

/// Checks a new rule set's `Name`: 1 to 128 letters, digits, hyphens and dots.
fn rule_set_name(name: &str) -> Result<(), ApiError> {
    length("Name", name, 1, 128)?;
    chars("Name", name, "^[a-zA-Z0-9-\\.]*$", name_char)
}

/// Checks a `MatchmakingRuleSetName`: a name, or an ARN ending in `matchmakingruleset/<name>`.
pub fn rule_set_name_or_arn(member: &str, value: &str) -> Result<(), ApiError> {
    length(member, value, 1, 256)?;
    match name_in(value, "matchmakingruleset") {
        Some(name) if name.chars().all(name_char) => Ok(()),
        _ => Err(pattern_error(member, RULE_SET_NAME_OR_ARN_PATTERN)),
    }
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns() {
        assert!(rule_set_name_or_arn("Name", "five-v-five.v2").is_ok());
        assert!(
            rule_set_name_or_arn("Name", "arn:aws:gamelift:local::matchmakingruleset/r.1").is_ok()
        );
        for bad in ["a b", "arn:aws:gamelift:local::fleet/x", "a/b"] {
            assert!(rule_set_name_or_arn("Name", bad).is_err(), "{bad}");
        }
        assert_eq!(
            rule_set_name_of("arn:aws:gamelift:local::matchmakingruleset/r.1"),
            "r.1"
        );
        assert!(rule_set_name("").is_err());
    }

    #[test]
    fn describe_takes_one_to_ten_names_and_pages_of_at_most_ten() {
        let input = |names: Option<Vec<String>>, limit| DescribeMatchmakingRuleSetsInput {
            names,
            limit,
            next_token: None,
        };
        assert!(input(None, Some(10)).validate().is_ok());
        assert!(input(None, Some(11)).validate().is_err());
        assert!(input(Some(vec![]), None).validate().is_err());
        assert!(input(Some(vec!["a".into(); 11]), None).validate().is_err());
    }
}
