//! What a request names, resolved against this server: its fleet or alias, its location (any
//! live host's of the fleet) and its game sessions; and the catalog's refusals as API
//! errors. The model's own constraints on these members are checked before, by the inputs'
//! `validate`.

use super::error::{ApiError, ErrorType};
use super::{Control, aliases};
use crate::api::ids::fleet_id_of;
use crate::catalog::CatalogError;
use crate::catalog::redis::HostStatus;
use crate::core::GameSessionId;

/// Fails unless `FleetId`, or the fleet `AliasId` routes to, is this server's fleet: an
/// unknown fleet or alias is `NotFoundException`, a terminal alias
/// `TerminalRoutingStrategyException`. The input's `validate` made sure exactly one is given.
pub async fn fleet_or_alias(
    control: &Control,
    fleet: Option<&str>,
    alias: Option<&str>,
) -> Result<(), ApiError> {
    match (fleet, alias) {
        (Some(fleet), _) if fleet_id_of(fleet) == control.fleet().id => Ok(()),
        (Some(fleet), _) => Err(ApiError::not_found(format!("No fleet matches {fleet}"))),
        (None, Some(alias)) => {
            let fleet = aliases::resolve(control, alias).await?;
            if fleet == control.fleet().id {
                Ok(())
            } else {
                // Stored when the server was another fleet (`fleet.id` changed since).
                Err(ApiError::not_found(format!(
                    "No fleet matches {fleet}, the fleet of alias {alias}"
                )))
            }
        }
        (None, None) => Err(ApiError::new(
            ErrorType::InvalidRequest,
            "one of FleetId and AliasId is required",
        )),
    }
}

/// Fails unless `location`, when given, is a location of the fleet: this host's, or that
/// of one of the fleet's live hosts (read only for another location than this host's).
pub async fn location(control: &Control, location: Option<&str>) -> Result<(), ApiError> {
    match location {
        Some(location) if location != control.fleet().location => {
            let hosts = control.admin.fleet_hosts().await.map_err(catalog_error)?;
            location_of(control, &hosts, location)
        }
        _ => Ok(()),
    }
}

/// Fails unless `location` is the location of one of `hosts`, the fleet's live hosts.
pub fn location_of(
    control: &Control,
    hosts: &[HostStatus],
    location: &str,
) -> Result<(), ApiError> {
    if hosts.iter().any(|h| h.info.location == location) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorType::InvalidRequest,
        format!(
            "location {location} is not a location of fleet {}",
            control.fleet().id
        ),
    ))
}

/// `NotFoundException` for a game session id no game session has.
pub fn not_found_game_session(id: &GameSessionId) -> ApiError {
    ApiError::not_found(format!("No game session matches {id}"))
}

/// A catalog refusal as the API reports it.
pub fn catalog_error(error: CatalogError) -> ApiError {
    let kind = match &error {
        CatalogError::NotFound(_) => ErrorType::NotFound,
        CatalogError::InvalidStatus { .. } => ErrorType::InvalidGameSessionStatus,
        CatalogError::Full(_) => ErrorType::GameSessionFull,
        CatalogError::IdempotentMismatch(_) => ErrorType::IdempotentParameterMismatch,
        CatalogError::TooManyProperties(_) => ErrorType::InvalidRequest,
        CatalogError::FleetFull => ErrorType::FleetCapacityExceeded,
        CatalogError::Draining => ErrorType::InvalidFleetStatus,
        // Ids are generated or come from idempotency tokens, which are matched above.
        CatalogError::Duplicate(_) => ErrorType::Internal,
        // A fault: SDKs retry it.
        CatalogError::Store(_) => ErrorType::Internal,
    };
    ApiError::new(kind, error.to_string())
}
