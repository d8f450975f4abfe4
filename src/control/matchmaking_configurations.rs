//! The matchmaking configuration operations (control-api.md §2.11):
//! CreateMatchmakingConfiguration, DescribeMatchmakingConfigurations,
//! UpdateMatchmakingConfiguration and DeleteMatchmakingConfiguration over the store of
//! configurations. A configuration's rule set (by name or ARN) must be stored, else
//! `NotFoundException`; its queue must be the ARN of a stored queue, else
//! `InvalidRequestException` naming it. Both are kept as the stored records name them.

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::error;

use super::error::{ApiError, ErrorType};
use super::paging::{Page, key};
use super::placer::to_millisecond;
use super::{Control, queues};
use crate::api::Operation;
use crate::api::ids::name_in;
use crate::api::matchmaking_configurations::{
    CreateMatchmakingConfigurationInput, CreateMatchmakingConfigurationOutput,
    DeleteMatchmakingConfigurationInput, DeleteMatchmakingConfigurationOutput,
    DescribeMatchmakingConfigurationsInput, DescribeMatchmakingConfigurationsOutput,
    MatchmakingConfiguration, UpdateMatchmakingConfigurationInput,
    UpdateMatchmakingConfigurationOutput, configuration_name_of,
};
use crate::api::model::Timestamp;
use crate::api::rule_sets::rule_set_name_of;
use crate::named::NamedError;

/// GameLift's page size and largest page for DescribeMatchmakingConfigurations: "limited to
/// 10".
const PAGE_LIMIT: usize = 10;

pub(super) async fn create_matchmaking_configuration(
    control: &Control,
    input: CreateMatchmakingConfigurationInput,
) -> Result<CreateMatchmakingConfigurationOutput, ApiError> {
    // Tags are validated and not kept, since this server has no tagging operations.
    let mut configuration = MatchmakingConfiguration {
        configuration_arn: format!(
            "arn:aws:gamelift:{}::matchmakingconfiguration/{}",
            control.fleet().region,
            input.name
        ),
        name: input.name,
        description: input.description,
        game_session_queue_arns: input.game_session_queue_arns.unwrap_or_default(),
        request_timeout_seconds: input.request_timeout_seconds,
        acceptance_timeout_seconds: input.acceptance_timeout_seconds,
        acceptance_required: input.acceptance_required,
        rule_set_name: input.rule_set_name,
        rule_set_arn: String::new(),
        notification_target: input.notification_target.filter(|t| !t.is_empty()),
        additional_player_count: input.additional_player_count.unwrap_or(0),
        custom_event_data: input.custom_event_data.filter(|d| !d.is_empty()),
        creation_time: Timestamp(to_millisecond(SystemTime::now())),
        game_properties: input.game_properties.unwrap_or_default(),
        game_session_data: input.game_session_data,
        backfill_mode: input.backfill_mode.unwrap_or_default(),
        flex_match_mode: input.flex_match_mode.unwrap_or_default(),
    };
    configuration.check()?;
    (configuration.rule_set_name, configuration.rule_set_arn) =
        rule_set(control, &configuration.rule_set_name).await?;
    configuration.game_session_queue_arns =
        queue_arns(control, &configuration.game_session_queue_arns).await?;
    control
        .configurations
        .create(configuration.clone())
        .await
        .map_err(store_error)?;
    Ok(CreateMatchmakingConfigurationOutput { configuration })
}

pub(super) async fn describe_matchmaking_configurations(
    control: &Control,
    input: DescribeMatchmakingConfigurationsInput,
) -> Result<DescribeMatchmakingConfigurationsOutput, ApiError> {
    // An empty list asks for every configuration: the model says to "leave this parameter
    // empty" for all of them.
    let names: Option<Vec<&str>> = input
        .names
        .as_ref()
        .filter(|names| !names.is_empty())
        .map(|names| names.iter().map(|n| configuration_name_of(n)).collect());
    let rule_set = input.rule_set_name.as_deref().map(rule_set_name_of);
    let page = Page::read_limited(
        input.limit,
        input.next_token.as_deref(),
        Operation::DescribeMatchmakingConfigurations,
        &(&names, rule_set),
        PAGE_LIMIT,
        PAGE_LIMIT,
    )?;
    let configurations = control.configurations.list().await.map_err(store_error)?;
    // Named configurations that do not exist are left out, as GameLift does; so are all when
    // the rule set is unknown (the operation has no NotFoundException).
    let configurations: Vec<MatchmakingConfiguration> = configurations
        .into_iter()
        .filter(|c| names.as_ref().is_none_or(|n| n.contains(&c.name.as_str())))
        .filter(|c| rule_set.is_none_or(|r| c.rule_set_name == r))
        .collect();
    let (configurations, next_token) = page.apply(configurations, |c| key(UNIX_EPOCH, &c.name));
    Ok(DescribeMatchmakingConfigurationsOutput {
        configurations,
        next_token,
    })
}

pub(super) async fn update_matchmaking_configuration(
    control: &Control,
    input: UpdateMatchmakingConfigurationInput,
) -> Result<UpdateMatchmakingConfigurationOutput, ApiError> {
    let name = configuration_name_of(&input.name).to_owned();
    let rule_set = match &input.rule_set_name {
        Some(name) => Some(rule_set(control, name).await?),
        None => None,
    };
    let arns = match &input.game_session_queue_arns {
        Some(arns) => Some(queue_arns(control, arns).await?),
        None => None,
    };
    // The change is checked whole on the record as stored, inside the store's one atomic
    // step; a refused one leaves the record as it was, and says why here. The store may run
    // the change again when another overtook it, so the last run's answer counts.
    let refused: Mutex<Option<ApiError>> = Mutex::new(None);
    let configuration = control
        .configurations
        .update(&name, &|stored| {
            let mut changed = stored.clone();
            input.apply(
                &mut changed,
                rule_set.as_ref().map(|(n, a)| (n.as_str(), a.as_str())),
                arns.as_deref(),
            );
            let outcome = changed.check();
            if outcome.is_ok() {
                *stored = changed;
            }
            *refused.lock().unwrap_or_else(PoisonError::into_inner) = outcome.err();
        })
        .await
        .map_err(store_error)?;
    if let Some(error) = refused.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(error);
    }
    Ok(UpdateMatchmakingConfigurationOutput { configuration })
}

pub(super) async fn delete_matchmaking_configuration(
    control: &Control,
    input: DeleteMatchmakingConfigurationInput,
) -> Result<DeleteMatchmakingConfigurationOutput, ApiError> {
    let name = configuration_name_of(&input.name);
    // As GameLift: a configuration with tickets still in play is kept until they end.
    let active = control
        .tickets
        .pool(name)
        .await
        .map_err(|e| {
            error!(error = %e, "ticket store failed");
            ApiError::new(ErrorType::Internal, "the ticket store failed")
        })?
        .len();
    if active > 0 {
        return Err(ApiError::new(
            ErrorType::InvalidRequest,
            format!(
                "Matchmaking configuration {name} has {active} active tickets; stop them or \
                 let them end first"
            ),
        ));
    }
    control
        .configurations
        .delete(name)
        .await
        .map_err(store_error)?;
    Ok(DeleteMatchmakingConfigurationOutput {})
}

/// The stored rule set a `RuleSetName` (a name or an ARN) names, as its (name, ARN); none is
/// `NotFoundException`, as GameLift lists for an operation naming a resource.
async fn rule_set(control: &Control, name_or_arn: &str) -> Result<(String, String), ApiError> {
    let name = rule_set_name_of(name_or_arn);
    match control.rule_sets.get(name).await {
        Ok(Some(rule_set)) => Ok((rule_set.rule_set_name, rule_set.rule_set_arn)),
        Ok(None) => Err(ApiError::not_found(format!(
            "No matchmaking rule set matches {name_or_arn}"
        ))),
        Err(e) => {
            // The message may name server paths: logged, not sent.
            error!(error = %e, "rule set store failed");
            Err(ApiError::new(
                ErrorType::Internal,
                "the rule set store failed",
            ))
        }
    }
}

/// The stored ARNs of the queues `arns` names: each must be a game session queue's ARN (the
/// model's member holds ARNs, a name is refused) whose queue is stored; else
/// `InvalidRequestException` naming it.
async fn queue_arns(control: &Control, arns: &[String]) -> Result<Vec<String>, ApiError> {
    let mut stored = Vec::with_capacity(arns.len());
    for arn in arns {
        let name = arn
            .starts_with("arn:")
            .then(|| name_in(arn, "gamesessionqueue"))
            .flatten()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorType::InvalidRequest,
                    format!(
                        "GameSessionQueueArns: {arn} is not a game session queue ARN \
                         (arn:aws:gamelift:<region>::gamesessionqueue/<name>)"
                    ),
                )
            })?;
        let queue = control
            .queues
            .get(name)
            .await
            .map_err(queues::store_error)?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorType::InvalidRequest,
                    format!("GameSessionQueueArns: no game session queue matches {arn}"),
                )
            })?;
        stored.push(queue.game_session_queue_arn);
    }
    Ok(stored)
}

/// A configuration store refusal as the API reports it.
pub(super) fn store_error(e: NamedError) -> ApiError {
    match e {
        NamedError::NotFound { name, .. } => {
            ApiError::not_found(format!("No matchmaking configuration matches {name}"))
        }
        NamedError::Duplicate { .. } => ApiError::new(ErrorType::InvalidRequest, e.to_string()),
        NamedError::LimitExceeded { .. } => ApiError::new(ErrorType::LimitExceeded, e.to_string()),
        // The message may name server paths: logged, not sent.
        NamedError::Io { .. } | NamedError::Internal(_) => {
            error!(error = %e, "matchmaking configuration store failed");
            ApiError::new(
                ErrorType::Internal,
                "the matchmaking configuration store failed",
            )
        }
    }
}
