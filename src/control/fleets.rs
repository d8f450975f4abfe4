//! The fleet operations (control-api.md §2.6): this server is its fleet's one instance, so
//! each describes that fleet, if the input names it or names none.

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
                status: if Capacity::now(control).draining {
                    "DELETING"
                } else {
                    "ACTIVE"
                }
                .into(),
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
    let hosted = running_if(control, selected).await?;
    let fleet_capacity = selected
        .then(|| {
            let fleet = control.fleet();
            let draining = Capacity::now(control).draining;
            // This server is the fleet's one instance; a drain terminates it.
            let (active, terminating) = if draining { (0, 1) } else { (1, 0) };
            let idle = !draining && hosted.is_empty();
            FleetCapacity {
                fleet_id: fleet.id.clone(),
                fleet_arn: control.shapes().fleet_arn(),
                instance_type: "c5.large".into(),
                location: fleet.location.clone(),
                instance_counts: Ec2InstanceCounts {
                    desired: 1,
                    minimum: 1,
                    maximum: 1,
                    pending: 0,
                    active,
                    idle: u32::from(idle),
                    terminating,
                },
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
    let hosted = running_if(control, selected).await?;
    let fleet_utilization = selected
        .then(|| {
            let fleet = control.fleet();
            let capacity = Capacity::now(control);
            let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
            FleetUtilization {
                fleet_id: fleet.id.clone(),
                fleet_arn: control.shapes().fleet_arn(),
                location: fleet.location.clone(),
                active_server_process_count: count(
                    hosted.len() + capacity.free_game_sessions(hosted.len()),
                ),
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

/// What CreateGameSession accepts now, as the fleet operations report it. GameLift hosts one
/// game session per server process, so the fleet shows one process per game session that
/// has not ended (they all count against `limits.max_game_sessions`) plus one per game
/// session it would still start: free processes are exactly the CreateGameSession calls
/// that would succeed, under the limits in force (a reload may change them).
struct Capacity {
    /// `limits.max_game_sessions` now.
    max_game_sessions: usize,
    /// A drain started: no game session is placed any more.
    draining: bool,
}

impl Capacity {
    fn now(control: &Control) -> Self {
        Self {
            max_game_sessions: control.admin.live().limits.max_game_sessions,
            draining: control.admin.draining(),
        }
    }

    /// How many more game sessions CreateGameSession would start while `running` have not
    /// ended.
    fn free_game_sessions(&self, running: usize) -> usize {
        if self.draining {
            0
        } else {
            self.max_game_sessions.saturating_sub(running)
        }
    }
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
