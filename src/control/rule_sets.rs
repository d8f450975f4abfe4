//! The matchmaking rule set operations (control-api.md §2.10): CreateMatchmakingRuleSet,
//! DescribeMatchmakingRuleSets, DeleteMatchmakingRuleSet and ValidateMatchmakingRuleSet. A
//! body is read by [`flexmatch::parse`]; one it refuses is `InvalidRequestException` listing
//! each problem with its place in the rule set. A rule set that a matchmaking configuration
//! uses cannot be deleted.

use std::time::{SystemTime, UNIX_EPOCH};

use tracing::error;

use super::Control;
use super::error::{ApiError, ErrorType};
use super::paging::{Page, key};
use super::placer::to_millisecond;
use crate::api::Operation;
use crate::api::model::Timestamp;
use crate::api::rule_sets::{
    CreateMatchmakingRuleSetInput, CreateMatchmakingRuleSetOutput, DeleteMatchmakingRuleSetInput,
    DeleteMatchmakingRuleSetOutput, DescribeMatchmakingRuleSetsInput,
    DescribeMatchmakingRuleSetsOutput, MatchmakingRuleSet, ValidateMatchmakingRuleSetInput,
    ValidateMatchmakingRuleSetOutput, rule_set_name_of,
};
use crate::flexmatch;
use crate::named::NamedError;

pub(super) async fn create_matchmaking_rule_set(
    control: &Control,
    input: CreateMatchmakingRuleSetInput,
) -> Result<CreateMatchmakingRuleSetOutput, ApiError> {
    check(&input.rule_set_body)?;
    // Tags are validated and not kept, since this server has no tagging operations.
    let rule_set = MatchmakingRuleSet {
        rule_set_arn: format!(
            "arn:aws:gamelift:{}::matchmakingruleset/{}",
            control.fleet().region,
            input.name
        ),
        rule_set_name: input.name,
        rule_set_body: input.rule_set_body,
        creation_time: Timestamp(to_millisecond(SystemTime::now())),
    };
    control
        .rule_sets
        .create(rule_set.clone())
        .await
        .map_err(store_error)?;
    Ok(CreateMatchmakingRuleSetOutput { rule_set })
}

pub(super) async fn describe_matchmaking_rule_sets(
    control: &Control,
    input: DescribeMatchmakingRuleSetsInput,
) -> Result<DescribeMatchmakingRuleSetsOutput, ApiError> {
    let names: Option<Vec<&str>> = input
        .names
        .as_ref()
        .map(|names| names.iter().map(|n| rule_set_name_of(n)).collect());
    let page = Page::read(
        input.limit,
        input.next_token.as_deref(),
        Operation::DescribeMatchmakingRuleSets,
        &names,
    )?;
    let all = control.rule_sets.list().await.map_err(store_error)?;
    let rule_sets = match &names {
        Some(names) => {
            // Unlike queues, a named rule set that does not exist is an error (the model's
            // NotFoundException).
            if let Some(missing) = names
                .iter()
                .find(|name| !all.iter().any(|r| r.rule_set_name == **name))
            {
                return Err(not_found(missing));
            }
            all.into_iter()
                .filter(|r| names.contains(&r.rule_set_name.as_str()))
                .collect()
        }
        None => all,
    };
    let (rule_sets, next_token) = page.apply(rule_sets, |r| key(UNIX_EPOCH, &r.rule_set_name));
    Ok(DescribeMatchmakingRuleSetsOutput {
        rule_sets,
        next_token,
    })
}

pub(super) async fn delete_matchmaking_rule_set(
    control: &Control,
    input: DeleteMatchmakingRuleSetInput,
) -> Result<DeleteMatchmakingRuleSetOutput, ApiError> {
    let name = rule_set_name_of(&input.name);
    // GameLift refuses to delete a rule set a configuration uses; a configuration created
    // with it while this runs is not seen (the stores hold one kind of record each).
    let users: Vec<String> = control
        .configurations
        .list()
        .await
        .map_err(super::matchmaking_configurations::store_error)?
        .into_iter()
        .filter(|c| c.rule_set_name == name)
        .map(|c| c.name)
        .collect();
    if !users.is_empty() {
        return Err(ApiError::new(
            ErrorType::InvalidRequest,
            format!(
                "matchmaking rule set {name} is in use by matchmaking configurations {}: \
                 delete them or give them another rule set first",
                users.join(", ")
            ),
        ));
    }
    control.rule_sets.delete(name).await.map_err(store_error)?;
    Ok(DeleteMatchmakingRuleSetOutput {})
}

pub(super) async fn validate_matchmaking_rule_set(
    _control: &Control,
    input: ValidateMatchmakingRuleSetInput,
) -> Result<ValidateMatchmakingRuleSetOutput, ApiError> {
    check(&input.rule_set_body)?;
    Ok(ValidateMatchmakingRuleSetOutput { valid: true })
}

/// Fails with every problem of a rule set body, each with its place.
fn check(body: &str) -> Result<(), ApiError> {
    flexmatch::parse(body)
        .map(drop)
        .map_err(|e| ApiError::new(ErrorType::InvalidRequest, e.to_string()))
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("No matchmaking rule set matches {name}"))
}

/// A rule set store refusal as the API reports it.
fn store_error(e: NamedError) -> ApiError {
    match e {
        NamedError::NotFound { name, .. } => not_found(&name),
        NamedError::Duplicate { .. } => ApiError::new(ErrorType::InvalidRequest, e.to_string()),
        NamedError::LimitExceeded { .. } => ApiError::new(ErrorType::LimitExceeded, e.to_string()),
        // The message may name server paths: logged, not sent.
        NamedError::Io { .. } | NamedError::Internal(_) => {
            error!(error = %e, "rule set store failed");
            ApiError::new(ErrorType::Internal, "the rule set store failed")
        }
    }
}
