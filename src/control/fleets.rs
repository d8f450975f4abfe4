//! The fleet operations (control-api.md §2.6): each describes this server's fleet, if the
//! input names it or names none. The fleet's instances are its live hosts (this server
//! alone without a fleet store); [`instance_counts`] and [`utilization`] sum over them, for
//! the whole fleet here and for one location in [`super::locations`].

use super::Control;
use super::error::ApiError;
use super::paging::Page;
use super::resolve::catalog_error;
use crate::api::Operation;
use crate::api::fleets::{
    DescribeFleetAttributesInput, DescribeFleetAttributesOutput, DescribeFleetCapacityInput,
    DescribeFleetCapacityOutput, DescribeFleetUtilizationInput, DescribeFleetUtilizationOutput,
    ListFleetsInput, ListFleetsOutput,
};
use crate::api::ids::{fleet_id_of, script_id_of};
use crate::api::model::{
    CertificateConfiguration, Ec2InstanceCounts, FleetAttributes, FleetCapacity, FleetUtilization,
    ProtectionPolicy, Timestamp,
};
use crate::catalog::GameSession;
use crate::catalog::redis::HostStatus;

pub(super) async fn describe_fleet_attributes(
    control: &Control,
    input: DescribeFleetAttributesInput,
) -> Result<DescribeFleetAttributesOutput, ApiError> {
    let selected = selected(
        control,
        Operation::DescribeFleetAttributes,
        &input.fleet_ids,
        input.limit,
        input.next_token.as_deref(),
    )?;
    let hosts = hosts_if(control, selected).await?;
    let fleet_attributes = selected
        .then(|| {
            let fleet = control.fleet();
            let shapes = control.shapes();
            let script = control.admin.fleet_script();
            FleetAttributes {
                fleet_id: fleet.id.clone(),
                fleet_arn: shapes.fleet_arn(),
                fleet_type: "ON_DEMAND".into(),
                instance_type: "c5.large".into(),
                name: fleet.name.clone(),
                creation_time: Timestamp(control.started),
                status: fleet_status(&hosts).into(),
                new_game_session_protection_policy: ProtectionPolicy::NoProtection,
                operating_system: "AMAZON_LINUX_2023".into(),
                metric_groups: vec!["default".into()],
                certificate_configuration: CertificateConfiguration {
                    certificate_type: "DISABLED".into(),
                },
                compute_type: "EC2".into(),
                script_id: script.map(str::to_owned),
                script_arn: script.map(|id| shapes.script_arn(id)),
            }
        })
        .into_iter()
        .collect();
    Ok(DescribeFleetAttributesOutput {
        fleet_attributes,
        next_token: None,
    })
}

pub(super) async fn describe_fleet_capacity(
    control: &Control,
    input: DescribeFleetCapacityInput,
) -> Result<DescribeFleetCapacityOutput, ApiError> {
    let selected = selected(
        control,
        Operation::DescribeFleetCapacity,
        &input.fleet_ids,
        input.limit,
        input.next_token.as_deref(),
    )?;
    let hosts = hosts_if(control, selected).await?;
    let fleet_capacity = selected
        .then(|| {
            let fleet = control.fleet();
            FleetCapacity {
                fleet_id: fleet.id.clone(),
                fleet_arn: control.shapes().fleet_arn(),
                instance_type: "c5.large".into(),
                location: fleet.location.clone(),
                instance_counts: instance_counts(&hosts),
            }
        })
        .into_iter()
        .collect();
    Ok(DescribeFleetCapacityOutput {
        fleet_capacity,
        next_token: None,
    })
}

pub(super) async fn describe_fleet_utilization(
    control: &Control,
    input: DescribeFleetUtilizationInput,
) -> Result<DescribeFleetUtilizationOutput, ApiError> {
    let selected = selected(
        control,
        Operation::DescribeFleetUtilization,
        &input.fleet_ids,
        input.limit,
        input.next_token.as_deref(),
    )?;
    let hosts = hosts_if(control, selected).await?;
    let hosted = running_if(control, selected).await?;
    let fleet_utilization = selected
        .then(|| {
            let fleet = control.fleet();
            utilization(control, &fleet.location, &hosts, &hosted)
        })
        .into_iter()
        .collect();
    Ok(DescribeFleetUtilizationOutput {
        fleet_utilization,
        next_token: None,
    })
}

/// The game sessions that have not ended, when the call describes this fleet; read only then.
async fn running_if(
    control: &Control,
    selected: bool,
) -> Result<Vec<(GameSession, usize)>, ApiError> {
    if selected {
        control.catalog.running().await.map_err(catalog_error)
    } else {
        Ok(Vec::new())
    }
}

/// Whether a `DescribeFleet*` call describes this server's fleet: `FleetIds` is absent or
/// names it (unknown ids are left out). A single fleet always fits one page; the paging
/// members are still checked.
fn selected(
    control: &Control,
    op: Operation,
    fleet_ids: &Option<Vec<String>>,
    limit: Option<i32>,
    next_token: Option<&str>,
) -> Result<bool, ApiError> {
    Page::read(limit, next_token, op, fleet_ids)?;
    let fleet = &control.fleet().id;
    Ok(fleet_ids
        .as_ref()
        .is_none_or(|ids| ids.iter().any(|id| fleet_id_of(id) == fleet)))
}

/// The fleet's live hosts, when the call describes this fleet; read only then.
async fn hosts_if(control: &Control, selected: bool) -> Result<Vec<HostStatus>, ApiError> {
    if selected {
        control.admin.fleet_hosts().await.map_err(catalog_error)
    } else {
        Ok(Vec::new())
    }
}

/// `ACTIVE` while a host takes game sessions, `DELETING` once every host drains.
pub(super) fn fleet_status(hosts: &[HostStatus]) -> &'static str {
    if hosts.iter().any(|h| !h.info.draining) {
        "ACTIVE"
    } else {
        "DELETING"
    }
}

/// The instances of `hosts`: each live host is one, active, or terminating once it drains;
/// an active host with no game session is idle. The fleet is the hosts it has: no scaling.
pub(super) fn instance_counts(hosts: &[HostStatus]) -> Ec2InstanceCounts {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let active = hosts.iter().filter(|h| !h.info.draining);
    Ec2InstanceCounts {
        desired: count(hosts.len()),
        minimum: count(hosts.len()),
        maximum: count(hosts.len()),
        pending: 0,
        active: count(active.clone().count()),
        idle: count(active.filter(|h| h.game_sessions == 0).count()),
        terminating: count(hosts.iter().filter(|h| h.info.draining).count()),
    }
}

/// The use of `hosts` in `location`, running `hosted` (the game sessions that have not
/// ended). GameLift hosts one game session per server process, so each host shows one
/// process per game session that has not ended (they all count against its capacity,
/// `limits.max_game_sessions`) plus one per game session it would still start: free
/// processes are exactly the CreateGameSession calls that would succeed, under the limits
/// in force (a reload may change them). A draining host starts none.
pub(super) fn utilization(
    control: &Control,
    location: &str,
    hosts: &[HostStatus],
    hosted: &[(GameSession, usize)],
) -> FleetUtilization {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let free = free_processes(hosts);
    FleetUtilization {
        fleet_id: control.fleet().id.clone(),
        fleet_arn: control.shapes().fleet_arn(),
        location: location.to_owned(),
        active_server_process_count: count(hosted.len().saturating_add(free)),
        active_game_session_count: count(hosted.len()),
        current_player_session_count: hosted
            .iter()
            .map(|(g, _)| u64::from(g.current_player_sessions))
            .sum(),
        maximum_player_session_count: hosted
            .iter()
            .map(|(g, _)| u64::from(g.spec.max_players))
            .sum(),
    }
}

/// The game sessions `hosts` would still start: a draining host starts none.
fn free_processes(hosts: &[HostStatus]) -> usize {
    hosts
        .iter()
        .filter(|h| !h.info.draining)
        .map(|h| h.info.capacity.saturating_sub(h.game_sessions))
        .fold(0, usize::saturating_add)
}

pub(super) async fn list_fleets(
    control: &Control,
    input: ListFleetsInput,
) -> Result<ListFleetsOutput, ApiError> {
    Page::read(
        input.limit,
        input.next_token.as_deref(),
        Operation::ListFleets,
        &(&input.build_id, &input.script_id),
    )?;
    // This fleet runs no build, and the fleet's script if it has one.
    let fleet_script = control.admin.fleet_script();
    let included = match (&input.build_id, &input.script_id) {
        (None, None) => true,
        (None, Some(script)) => Some(script_id_of(script)) == fleet_script,
        (Some(_), _) => false,
    };
    Ok(ListFleetsOutput {
        fleet_ids: included
            .then(|| control.fleet().id.clone())
            .into_iter()
            .collect(),
        next_token: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::redis::HostInfo;

    fn host(id: &str, capacity: usize, game_sessions: usize, draining: bool) -> HostStatus {
        HostStatus {
            info: HostInfo {
                id: id.into(),
                location: "local".into(),
                ip_address: "127.0.0.1".into(),
                dns_name: "localhost".into(),
                port: 7000,
                capacity,
                players: 0,
                draining,
                version: "0".into(),
            },
            game_sessions,
        }
    }

    fn counts(c: &Ec2InstanceCounts) -> [u32; 7] {
        [
            c.desired,
            c.minimum,
            c.maximum,
            c.pending,
            c.active,
            c.idle,
            c.terminating,
        ]
    }

    #[test]
    fn one_host_is_the_one_instance_it_always_was() {
        assert_eq!(
            counts(&instance_counts(&[host("a", 2, 0, false)])),
            [1, 1, 1, 0, 1, 1, 0]
        );
        assert_eq!(
            counts(&instance_counts(&[host("a", 2, 1, false)])),
            [1, 1, 1, 0, 1, 0, 0]
        );
        assert_eq!(
            counts(&instance_counts(&[host("a", 2, 0, true)])),
            [1, 1, 1, 0, 0, 0, 1]
        );
        assert_eq!(free_processes(&[host("a", 2, 1, false)]), 1);
        assert_eq!(
            free_processes(&[host("a", 2, 3, false)]),
            0,
            "after a reload"
        );
        assert_eq!(free_processes(&[host("a", 2, 0, true)]), 0);
        assert_eq!(fleet_status(&[host("a", 2, 0, false)]), "ACTIVE");
        assert_eq!(fleet_status(&[host("a", 2, 0, true)]), "DELETING");
    }

    #[test]
    fn hosts_add_up() {
        let hosts = [
            host("a", 2, 2, false),
            host("b", 3, 0, false),
            host("c", 5, 1, true),
        ];
        assert_eq!(counts(&instance_counts(&hosts)), [3, 3, 3, 0, 2, 1, 1]);
        // A full host and a draining one have no free process.
        assert_eq!(free_processes(&hosts), 3);
        assert_eq!(fleet_status(&hosts), "ACTIVE");
        assert_eq!(fleet_status(&[]), "DELETING");
        assert_eq!(counts(&instance_counts(&[])), [0; 7]);
    }
}
