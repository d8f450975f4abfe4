//! The location operations (control-api.md §2.6): the fleet's locations are those of its
//! live hosts (this server's own without a fleet store), and each location is described
//! by its hosts, as [`super::fleets`] describes the whole fleet.

use std::collections::BTreeMap;

use super::Control;
use super::error::ApiError;
use super::fleets::{fleet_status, instance_counts, utilization};
use super::paging::Page;
use super::resolve::{catalog_error, fleet_or_alias, location_of};
use crate::api::Operation;
use crate::api::locations::{
    DescribeFleetLocationAttributesInput, DescribeFleetLocationAttributesOutput,
    DescribeFleetLocationCapacityInput, DescribeFleetLocationCapacityOutput,
    DescribeFleetLocationUtilizationInput, DescribeFleetLocationUtilizationOutput,
    ListLocationsInput, ListLocationsOutput, LocationFilter, MAX_LIST_LOCATIONS_LIMIT,
};
use crate::api::model::{FleetCapacity, LocationAttributes, LocationModel, LocationState};
use crate::catalog::redis::HostStatus;

/// `ListLocations` pages when `Limit` is absent.
const DEFAULT_LIST_LIMIT: usize = 50;

pub(super) async fn list_locations(
    control: &Control,
    input: ListLocationsInput,
) -> Result<ListLocationsOutput, ApiError> {
    let page = Page::read_limited(
        input.limit,
        input.next_token.as_deref(),
        Operation::ListLocations,
        &input.filters,
        DEFAULT_LIST_LIMIT,
        usize::try_from(MAX_LIST_LOCATIONS_LIMIT).unwrap_or(usize::MAX),
    )?;
    let hosts = control.admin.fleet_hosts().await.map_err(catalog_error)?;
    let names: Vec<String> = by_location(&hosts)
        .into_keys()
        .filter(|name| {
            input
                .filters
                .as_ref()
                .is_none_or(|kinds| kinds.contains(&LocationFilter::of(name)))
        })
        .collect();
    let (names, next_token) = page.apply(names, |name| (0, name.clone()));
    let region = &control.fleet().region;
    Ok(ListLocationsOutput {
        locations: names
            .into_iter()
            .map(|name| LocationModel {
                // The model gives custom locations an ARN, and AWS ones none.
                location_arn: (LocationFilter::of(&name) == LocationFilter::Custom)
                    .then(|| format!("arn:aws:gamelift:{region}::location/{name}")),
                location_name: name,
            })
            .collect(),
        next_token,
    })
}

pub(super) async fn describe_fleet_location_attributes(
    control: &Control,
    input: DescribeFleetLocationAttributesInput,
) -> Result<DescribeFleetLocationAttributesOutput, ApiError> {
    fleet_or_alias(control, Some(&input.fleet_id), None).await?;
    let page = Page::read(
        input.limit,
        input.next_token.as_deref(),
        Operation::DescribeFleetLocationAttributes,
        &(&input.fleet_id, &input.locations),
    )?;
    let hosts = control.admin.fleet_hosts().await.map_err(catalog_error)?;
    // Locations the fleet does not have are left out, as DescribeFleetAttributes leaves
    // out other fleets.
    let states: Vec<(String, Vec<HostStatus>)> = by_location(&hosts)
        .into_iter()
        .filter(|(name, _)| {
            input
                .locations
                .as_ref()
                .is_none_or(|wanted| wanted.contains(name))
        })
        .collect();
    let (states, next_token) = page.apply(states, |(name, _)| (0, name.clone()));
    Ok(DescribeFleetLocationAttributesOutput {
        fleet_id: control.fleet().id.clone(),
        fleet_arn: control.shapes().fleet_arn(),
        location_attributes: states
            .into_iter()
            .map(|(location, hosts)| LocationAttributes {
                location_state: LocationState {
                    status: fleet_status(&hosts).into(),
                    location,
                },
            })
            .collect(),
        next_token,
    })
}

pub(super) async fn describe_fleet_location_capacity(
    control: &Control,
    input: DescribeFleetLocationCapacityInput,
) -> Result<DescribeFleetLocationCapacityOutput, ApiError> {
    let hosts = location_hosts(control, &input.fleet_id, &input.location).await?;
    Ok(DescribeFleetLocationCapacityOutput {
        fleet_capacity: FleetCapacity {
            fleet_id: control.fleet().id.clone(),
            fleet_arn: control.shapes().fleet_arn(),
            instance_type: "c5.large".into(),
            location: input.location,
            instance_counts: instance_counts(&hosts),
        },
    })
}

pub(super) async fn describe_fleet_location_utilization(
    control: &Control,
    input: DescribeFleetLocationUtilizationInput,
) -> Result<DescribeFleetLocationUtilizationOutput, ApiError> {
    let hosts = location_hosts(control, &input.fleet_id, &input.location).await?;
    let hosted: Vec<_> = control
        .catalog
        .running()
        .await
        .map_err(catalog_error)?
        .into_iter()
        .filter(|(g, _)| g.spec.location == input.location)
        .collect();
    Ok(DescribeFleetLocationUtilizationOutput {
        fleet_utilization: utilization(control, &input.location, &hosts, &hosted),
    })
}

/// The live hosts in `location` of the fleet `fleet_id` names: `NotFoundException` for
/// another fleet, and a location no live host has is refused as in CreateGameSession.
async fn location_hosts(
    control: &Control,
    fleet_id: &str,
    location: &str,
) -> Result<Vec<HostStatus>, ApiError> {
    fleet_or_alias(control, Some(fleet_id), None).await?;
    let hosts = control.admin.fleet_hosts().await.map_err(catalog_error)?;
    location_of(control, &hosts, location)?;
    Ok(by_location(&hosts).remove(location).unwrap_or_default())
}

/// The hosts by location, locations by name.
fn by_location(hosts: &[HostStatus]) -> BTreeMap<String, Vec<HostStatus>> {
    let mut locations: BTreeMap<String, Vec<HostStatus>> = BTreeMap::new();
    for host in hosts {
        locations
            .entry(host.info.location.clone())
            .or_default()
            .push(host.clone());
    }
    locations
}
