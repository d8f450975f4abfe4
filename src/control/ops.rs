//! The operations (control-api.md §2.3-§2.6): each reads its input, validates it as
//! the model says, acts through the host's library API and returns its output object. The
//! script operations are in [`super::scripts`]; [`super::dispatch`] routes to both.

use serde_json::{Value, json};

use super::Control;
use super::error::ApiError;
use super::input::Input;
use super::paging::Page;
use crate::api::Operation;
use crate::api::ids::{fleet_id_of, is_fleet_id_or_arn, is_id_or_arn, script_id_of};

/// What a `DescribeFleet*` call reports about each fleet.
#[derive(Clone, Copy)]
pub(super) enum FleetView {
    Attributes,
    Capacity,
    Utilization,
}

/// `DescribeFleetAttributes`, `DescribeFleetCapacity`, `DescribeFleetUtilization`: this
/// server's one fleet, if `FleetIds` is absent or names it (unknown ids are left out).
pub(super) fn describe_fleets(
    control: &Control,
    input: &Input,
    view: FleetView,
) -> Result<Value, ApiError> {
    // The model sets no maximum; the body size limit bounds the list.
    let named = input.strings("FleetIds", (1, usize::MAX), (1, 512))?;
    if named.iter().flatten().any(|id| !is_fleet_id_or_arn(id)) {
        return Err(crate::api::validate::pattern_error(
            "FleetIds",
            crate::api::game_sessions::FLEET_ID_PATTERN,
        ));
    }
    // A single fleet always fits one page; the paging members are still checked.
    let (op, member) = match view {
        FleetView::Attributes => (Operation::DescribeFleetAttributes, "FleetAttributes"),
        FleetView::Capacity => (Operation::DescribeFleetCapacity, "FleetCapacity"),
        FleetView::Utilization => (Operation::DescribeFleetUtilization, "FleetUtilization"),
    };
    let (limit, next_token) = input.paging()?;
    Page::read(limit, next_token.as_deref(), op, &named)?;
    let fleet = control.fleet();
    let included = named.is_none_or(|ids| ids.iter().any(|id| fleet_id_of(id) == fleet.id));
    let shapes = control.shapes();
    let items: Vec<Value> = if included {
        let capacity = Capacity::now(control);
        let catalog = control.host.directory.catalog();
        vec![match view {
            FleetView::Attributes => {
                let mut attributes = json!({
                    "FleetId": fleet.id,
                    "FleetArn": shapes.fleet_arn(),
                    "FleetType": "ON_DEMAND",
                    "InstanceType": "c5.large",
                    "Name": fleet.name,
                    "CreationTime": crate::api::model::Timestamp(control.started),
                    "Status": if capacity.draining { "DELETING" } else { "ACTIVE" },
                    "NewGameSessionProtectionPolicy": "NoProtection",
                    "OperatingSystem": "AMAZON_LINUX_2023",
                    "MetricGroups": ["default"],
                    "CertificateConfiguration": {"CertificateType": "DISABLED"},
                    "ComputeType": "EC2",
                });
                if let (Some(id), Value::Object(map)) =
                    (&control.host.fleet_script, &mut attributes)
                {
                    map.insert("ScriptId".into(), id.as_str().into());
                    map.insert("ScriptArn".into(), shapes.script_arn(id).into());
                }
                attributes
            }
            FleetView::Capacity => {
                // This server is the fleet's one instance; a drain terminates it.
                let (active, terminating) = if capacity.draining { (0, 1) } else { (1, 0) };
                let idle = !capacity.draining && catalog.running_game_sessions() == 0;
                json!({
                    "FleetId": fleet.id,
                    "FleetArn": shapes.fleet_arn(),
                    "InstanceType": "c5.large",
                    "Location": fleet.location,
                    "InstanceCounts": {
                        "DESIRED": 1, "MINIMUM": 1, "MAXIMUM": 1, "PENDING": 0,
                        "ACTIVE": active, "IDLE": u8::from(idle), "TERMINATING": terminating,
                    },
                })
            }
            FleetView::Utilization => {
                let hosted = catalog.running();
                json!({
                    "FleetId": fleet.id,
                    "FleetArn": shapes.fleet_arn(),
                    "Location": fleet.location,
                    "ActiveServerProcessCount": hosted.len() + capacity.free_game_sessions(hosted.len()),
                    "ActiveGameSessionCount": hosted.len(),
                    "CurrentPlayerSessionCount":
                        hosted.iter().map(|g| g.current_player_sessions).sum::<u32>(),
                    "MaximumPlayerSessionCount":
                        hosted.iter().map(|g| g.spec.max_players).sum::<u32>(),
                })
            }
        }]
    } else {
        Vec::new()
    };
    Ok(json!({ member: items }))
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
            max_game_sessions: control.host.live().limits.max_game_sessions,
            draining: control.host.drain.is_cancelled(),
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

pub(super) fn list_fleets(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let build = input.string("BuildId", 1, 512)?;
    let script = input.string("ScriptId", 1, 512)?;
    if build.as_deref().is_some_and(|b| !is_id_or_arn(b, "build")) {
        return Err(ApiError::invalid(
            "BuildId",
            "Member must satisfy regular expression pattern: ^build-\\S+|^arn:.*:build\\/build-\\S+",
        ));
    }
    if script
        .as_deref()
        .is_some_and(|s| !is_id_or_arn(s, "script"))
    {
        return Err(ApiError::invalid(
            "ScriptId",
            "Member must satisfy regular expression pattern: ^script-\\S+|^arn:.*:script\\/script-\\S+",
        ));
    }
    let (limit, next_token) = input.paging()?;
    Page::read(
        limit,
        next_token.as_deref(),
        Operation::ListFleets,
        &(&build, &script),
    )?;
    // This fleet runs no build, and the fleet's script if it has one.
    let fleet_script = control.host.fleet_script.as_deref();
    let included = match (&build, &script) {
        (None, None) => true,
        (None, Some(script)) => Some(script_id_of(script)) == fleet_script,
        (Some(_), _) => false,
    };
    let ids: Vec<&str> = if included {
        vec![control.fleet().id.as_str()]
    } else {
        Vec::new()
    };
    Ok(json!({"FleetIds": ids}))
}
