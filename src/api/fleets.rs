//! The fleet operations (control-api.md §2.6): `DescribeFleetAttributes`,
//! `DescribeFleetCapacity`, `DescribeFleetUtilization` and `ListFleets`.

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::game_sessions::FLEET_ID_PATTERN;
use super::ids::{is_fleet_id_or_arn, is_id_or_arn};
use super::model::{FleetAttributes, FleetCapacity, FleetUtilization};
use super::validate::{optional_length, pattern_error, strings};
use super::{Operation, Request};

/// `DescribeFleetAttributes`: the fleets' settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetAttributesInput {
    /// Only these fleets, by id or ARN; all of them if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_ids: Option<Vec<String>>,
    /// Most fleets in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribeFleetAttributes` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetAttributesOutput {
    /// The page of fleets.
    pub fleet_attributes: Vec<FleetAttributes>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribeFleetAttributesInput {
    const OPERATION: Operation = Operation::DescribeFleetAttributes;
    type Output = DescribeFleetAttributesOutput;

    fn validate(&self) -> Result<(), ApiError> {
        fleet_ids(self.fleet_ids.as_deref())
    }
}

/// `DescribeFleetCapacity`: the fleets' instances.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetCapacityInput {
    /// Only these fleets, by id or ARN; all of them if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_ids: Option<Vec<String>>,
    /// Most fleets in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribeFleetCapacity` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetCapacityOutput {
    /// The page of fleets.
    pub fleet_capacity: Vec<FleetCapacity>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribeFleetCapacityInput {
    const OPERATION: Operation = Operation::DescribeFleetCapacity;
    type Output = DescribeFleetCapacityOutput;

    fn validate(&self) -> Result<(), ApiError> {
        fleet_ids(self.fleet_ids.as_deref())
    }
}

/// `DescribeFleetUtilization`: the fleets' game sessions and players.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetUtilizationInput {
    /// Only these fleets, by id or ARN; all of them if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_ids: Option<Vec<String>>,
    /// Most fleets in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribeFleetUtilization` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetUtilizationOutput {
    /// The page of fleets.
    pub fleet_utilization: Vec<FleetUtilization>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribeFleetUtilizationInput {
    const OPERATION: Operation = Operation::DescribeFleetUtilization;
    type Output = DescribeFleetUtilizationOutput;

    fn validate(&self) -> Result<(), ApiError> {
        fleet_ids(self.fleet_ids.as_deref())
    }
}

/// `ListFleets`: the ids of the fleets, or of those running a build or a script.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFleetsInput {
    /// Only fleets running this build, by id or ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// Only fleets running this script, by id or ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_id: Option<String>,
    /// Most fleet ids in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `ListFleets` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListFleetsOutput {
    /// The page of fleet ids.
    pub fleet_ids: Vec<String>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for ListFleetsInput {
    const OPERATION: Operation = Operation::ListFleets;
    type Output = ListFleetsOutput;

    fn validate(&self) -> Result<(), ApiError> {
        optional_length("BuildId", self.build_id.as_deref(), 1, 512)?;
        optional_length("ScriptId", self.script_id.as_deref(), 1, 512)?;
        if self
            .build_id
            .as_deref()
            .is_some_and(|b| !is_id_or_arn(b, "build"))
        {
            return Err(pattern_error(
                "BuildId",
                "^build-\\S+|^arn:.*:build\\/build-\\S+",
            ));
        }
        if self
            .script_id
            .as_deref()
            .is_some_and(|s| !is_id_or_arn(s, "script"))
        {
            return Err(pattern_error(
                "ScriptId",
                "^script-\\S+|^arn:.*:script\\/script-\\S+",
            ));
        }
        Ok(())
    }
}

/// Checks optional `FleetIds`: at least one (the model sets no maximum; the body size limit
/// bounds the list), each a fleet id or ARN.
fn fleet_ids(ids: Option<&[String]>) -> Result<(), ApiError> {
    strings("FleetIds", ids, (1, usize::MAX), (1, 512))?;
    if ids.into_iter().flatten().any(|id| !is_fleet_id_or_arn(id)) {
        return Err(pattern_error("FleetIds", FLEET_ID_PATTERN));
    }
    Ok(())
}
