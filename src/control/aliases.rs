//! The alias operations (control-api.md §2.7): CreateAlias, DescribeAlias, ListAliases,
//! UpdateAlias, DeleteAlias and ResolveAlias over the server's [`AliasStore`], each taking
//! its validated input and returning its output. A `SIMPLE` alias may only route to this
//! server's fleet, the one fleet there is.
//!
//! [`AliasStore`]: crate::alias::AliasStore

use std::time::SystemTime;

use tracing::error;

use super::Control;
use super::error::{ApiError, ErrorType};
use super::paging::{Page, key};
use crate::alias::{AliasError, AliasUpdate, NewAlias, Routing};
use crate::api::Operation;
use crate::api::aliases::{
    CreateAliasInput, CreateAliasOutput, DeleteAliasInput, DeleteAliasOutput, DescribeAliasInput,
    DescribeAliasOutput, ListAliasesInput, ListAliasesOutput, ResolveAliasInput,
    ResolveAliasOutput, UpdateAliasInput, UpdateAliasOutput,
};
use crate::api::ids::alias_id_of;
use crate::api::model::{RoutingStrategy, RoutingStrategyType};

pub(super) async fn create_alias(
    control: &Control,
    input: CreateAliasInput,
) -> Result<CreateAliasOutput, ApiError> {
    // Tags are validated and not kept, since this server has no tagging operations.
    let alias = NewAlias {
        name: input.name,
        description: input.description,
        routing: routing(control, input.routing_strategy)?,
    };
    let record = control
        .aliases
        .create(SystemTime::now(), alias)
        .await
        .map_err(store_error)?;
    Ok(CreateAliasOutput {
        alias: control.shapes().alias(&record),
    })
}

pub(super) async fn describe_alias(
    control: &Control,
    input: DescribeAliasInput,
) -> Result<DescribeAliasOutput, ApiError> {
    let record = control
        .aliases
        .get(alias_id_of(&input.alias_id))
        .await
        .map_err(store_error)?
        .ok_or_else(|| not_found(&input.alias_id))?;
    Ok(DescribeAliasOutput {
        alias: control.shapes().alias(&record),
    })
}

pub(super) async fn list_aliases(
    control: &Control,
    input: ListAliasesInput,
) -> Result<ListAliasesOutput, ApiError> {
    let query = (&input.routing_strategy_type, &input.name);
    let page = Page::read(
        input.limit,
        input.next_token.as_deref(),
        Operation::ListAliases,
        &query,
    )?;
    let records = control
        .aliases
        .list()
        .await
        .map_err(store_error)?
        .into_iter()
        .filter(|r| input.name.as_ref().is_none_or(|name| *name == r.name))
        .filter(|r| {
            input
                .routing_strategy_type
                .is_none_or(|kind| kind == routing_type(&r.routing))
        })
        .collect();
    let (records, next_token) = page.apply(records, |r| key(r.creation_time, &r.id));
    let shapes = control.shapes();
    Ok(ListAliasesOutput {
        aliases: records.iter().map(|r| shapes.alias(r)).collect(),
        next_token,
    })
}

pub(super) async fn update_alias(
    control: &Control,
    input: UpdateAliasInput,
) -> Result<UpdateAliasOutput, ApiError> {
    let update = AliasUpdate {
        name: input.name,
        description: input.description,
        routing: input
            .routing_strategy
            .map(|r| routing(control, r))
            .transpose()?,
    };
    let record = control
        .aliases
        .update(SystemTime::now(), alias_id_of(&input.alias_id), update)
        .await
        .map_err(|e| match e {
            AliasError::NotFound(_) => not_found(&input.alias_id),
            e => store_error(e),
        })?;
    Ok(UpdateAliasOutput {
        alias: control.shapes().alias(&record),
    })
}

pub(super) async fn delete_alias(
    control: &Control,
    input: DeleteAliasInput,
) -> Result<DeleteAliasOutput, ApiError> {
    control
        .aliases
        .delete(alias_id_of(&input.alias_id))
        .await
        .map_err(|e| match e {
            AliasError::NotFound(_) => not_found(&input.alias_id),
            e => store_error(e),
        })?;
    Ok(DeleteAliasOutput {})
}

pub(super) async fn resolve_alias(
    control: &Control,
    input: ResolveAliasInput,
) -> Result<ResolveAliasOutput, ApiError> {
    let fleet_id = resolve(control, &input.alias_id).await?;
    Ok(ResolveAliasOutput {
        fleet_arn: control.shapes().arn_of_fleet(&fleet_id),
        fleet_id,
    })
}

/// The fleet id an `AliasId` (an id or an ARN) routes to: `NotFoundException` for an unknown
/// alias, `TerminalRoutingStrategyException` with its message for a terminal one.
pub(super) async fn resolve(control: &Control, alias: &str) -> Result<String, ApiError> {
    let record = control
        .aliases
        .get(alias_id_of(alias))
        .await
        .map_err(store_error)?
        .ok_or_else(|| not_found(alias))?;
    match record.routing {
        Routing::Simple { fleet_id } => Ok(fleet_id),
        Routing::Terminal { message } => {
            Err(ApiError::new(ErrorType::TerminalRoutingStrategy, message))
        }
    }
}

/// The routing a validated `RoutingStrategy` asks for; a `SIMPLE` one must name this
/// server's fleet. CreateAlias models no `NotFoundException`, so another fleet is an
/// `InvalidRequestException`, for UpdateAlias too.
fn routing(control: &Control, strategy: RoutingStrategy) -> Result<Routing, ApiError> {
    match (strategy.r#type, strategy.fleet_id, strategy.message) {
        (Some(RoutingStrategyType::Simple), Some(fleet_id), _) => {
            let ours = &control.fleet().id;
            if fleet_id == *ours {
                Ok(Routing::Simple { fleet_id })
            } else {
                Err(ApiError::new(
                    ErrorType::InvalidRequest,
                    format!(
                        "fleet {fleet_id} does not exist: this server is fleet {ours}, the one \
                         fleet a SIMPLE alias can route to"
                    ),
                ))
            }
        }
        (Some(RoutingStrategyType::Terminal), _, Some(message)) => {
            Ok(Routing::Terminal { message })
        }
        // The input's validation refused these.
        _ => Err(ApiError::new(
            ErrorType::InvalidRequest,
            "RoutingStrategy is incomplete",
        )),
    }
}

/// The API's name for the kind of a routing.
pub(super) fn routing_type(routing: &Routing) -> RoutingStrategyType {
    match routing {
        Routing::Simple { .. } => RoutingStrategyType::Simple,
        Routing::Terminal { .. } => RoutingStrategyType::Terminal,
    }
}

fn not_found(alias: &str) -> ApiError {
    ApiError::not_found(format!("No alias matches {alias}"))
}

fn store_error(e: AliasError) -> ApiError {
    match e {
        AliasError::NotFound(id) => not_found(&id),
        AliasError::LimitExceeded(_) => ApiError::new(ErrorType::LimitExceeded, e.to_string()),
        // The message may name server paths: logged, not sent.
        AliasError::Io { .. } | AliasError::Internal(_) => {
            error!(error = %e, "alias store failed");
            ApiError::new(ErrorType::Internal, "the alias store failed")
        }
    }
}
