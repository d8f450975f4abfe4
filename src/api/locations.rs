//! The location operations (control-api.md §2.6): `ListLocations`,
//! `DescribeFleetLocationAttributes`, `DescribeFleetLocationCapacity` and
//! `DescribeFleetLocationUtilization`. A fleet's locations are those of its live hosts.

use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::game_sessions::{fleet_or_alias, location};
use super::model::{FleetCapacity, FleetUtilization, LocationAttributes, LocationModel};
use super::validate::{length, range, strings};
use super::{Operation, Request};

/// Most locations one `ListLocations` page holds (the model's `ListLocationsLimit`).
pub const MAX_LIST_LOCATIONS_LIMIT: i64 = 200;

/// Most locations one `DescribeFleetLocationAttributes` names (the model's `LocationList`).
pub const MAX_LOCATIONS: usize = 100;

/// A kind of location `ListLocations` may be limited to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LocationFilter {
    /// An AWS Region or Local Zone, such as `us-east-1`.
    Aws,
    /// A custom location, named `custom-...`.
    Custom,
}

impl LocationFilter {
    /// The kind of location `name` is: GameLift names every custom location `custom-...`.
    pub fn of(name: &str) -> Self {
        if name.starts_with("custom-") {
            Self::Custom
        } else {
            Self::Aws
        }
    }
}

/// `ListLocations`: the locations where the fleet hosts game sessions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListLocationsInput {
    /// Only locations of these kinds (one or two); every kind if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<LocationFilter>>,
    /// Most locations in the page, 1 to 200.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `ListLocations` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListLocationsOutput {
    /// The page of locations, by name.
    pub locations: Vec<LocationModel>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for ListLocationsInput {
    const OPERATION: Operation = Operation::ListLocations;
    type Output = ListLocationsOutput;

    fn validate(&self) -> Result<(), ApiError> {
        if let Some(filters) = &self.filters
            && !(1..=2).contains(&filters.len())
        {
            return Err(ApiError::invalid(
                "Filters",
                "Member must have length between 1 and 2",
            ));
        }
        range("Limit", self.limit, 1, MAX_LIST_LOCATIONS_LIMIT)?;
        next_token(self.next_token.as_deref())
    }
}

/// `DescribeFleetLocationAttributes`: the status of the fleet's locations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetLocationAttributesInput {
    /// The fleet, by id or ARN.
    pub fleet_id: String,
    /// Only these locations (1 to 100); all of the fleet's if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<String>>,
    /// Most locations in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `DescribeFleetLocationAttributes` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetLocationAttributesOutput {
    /// The fleet's id.
    pub fleet_id: String,
    /// The fleet's ARN.
    pub fleet_arn: String,
    /// The page of locations, by name.
    pub location_attributes: Vec<LocationAttributes>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for DescribeFleetLocationAttributesInput {
    const OPERATION: Operation = Operation::DescribeFleetLocationAttributes;
    type Output = DescribeFleetLocationAttributesOutput;

    fn validate(&self) -> Result<(), ApiError> {
        fleet_or_alias(Some(&self.fleet_id), None)?;
        strings(
            "Locations",
            self.locations.as_deref(),
            (1, MAX_LOCATIONS),
            (1, 64),
        )?;
        for name in self.locations.iter().flatten() {
            location(Some(name))?;
        }
        range("Limit", self.limit, 1, i64::from(i32::MAX))?;
        next_token(self.next_token.as_deref())
    }
}

/// `DescribeFleetLocationCapacity`: the fleet's instances in one location.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetLocationCapacityInput {
    /// The fleet, by id or ARN.
    pub fleet_id: String,
    /// The location.
    pub location: String,
}

/// What `DescribeFleetLocationCapacity` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetLocationCapacityOutput {
    /// The location's instances.
    pub fleet_capacity: FleetCapacity,
}

impl Request for DescribeFleetLocationCapacityInput {
    const OPERATION: Operation = Operation::DescribeFleetLocationCapacity;
    type Output = DescribeFleetLocationCapacityOutput;

    fn validate(&self) -> Result<(), ApiError> {
        fleet_or_alias(Some(&self.fleet_id), None)?;
        location(Some(&self.location))
    }
}

/// `DescribeFleetLocationUtilization`: the fleet's game sessions and players in one location.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetLocationUtilizationInput {
    /// The fleet, by id or ARN.
    pub fleet_id: String,
    /// The location.
    pub location: String,
}

/// What `DescribeFleetLocationUtilization` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeFleetLocationUtilizationOutput {
    /// The location's use.
    pub fleet_utilization: FleetUtilization,
}

impl Request for DescribeFleetLocationUtilizationInput {
    const OPERATION: Operation = Operation::DescribeFleetLocationUtilization;
    type Output = DescribeFleetLocationUtilizationOutput;

    fn validate(&self) -> Result<(), ApiError> {
        fleet_or_alias(Some(&self.fleet_id), None)?;
        location(Some(&self.location))
    }
}

/// Checks an optional `NextToken` (`NonZeroAndMaxString`); whether it is one of ours is the
/// handler's paging to check.
fn next_token(token: Option<&str>) -> Result<(), ApiError> {
    token.map_or(Ok(()), |token| length("NextToken", token, 1, 1024))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorType;

    #[test]
    fn custom_locations_are_named_custom() {
        assert_eq!(LocationFilter::of("custom-ams-1"), LocationFilter::Custom);
        assert_eq!(LocationFilter::of("us-east-1"), LocationFilter::Aws);
        assert_eq!(LocationFilter::of("local"), LocationFilter::Aws);
    }

    #[test]
    fn inputs_are_held_to_the_model() {
        let fleet = || "fleet-local".to_owned();
        let refused = |result: Result<(), ApiError>| {
            result.expect_err("refused").kind == ErrorType::InvalidRequest
        };
        assert!(
            ListLocationsInput {
                filters: Some(vec![LocationFilter::Aws, LocationFilter::Custom]),
                limit: Some(200),
                next_token: None,
            }
            .validate()
            .is_ok()
        );
        assert!(refused(
            ListLocationsInput {
                filters: Some(Vec::new()),
                ..Default::default()
            }
            .validate()
        ));
        assert!(refused(
            ListLocationsInput {
                limit: Some(201),
                ..Default::default()
            }
            .validate()
        ));
        assert!(refused(
            DescribeFleetLocationAttributesInput {
                fleet_id: fleet(),
                locations: Some(vec!["us east".into()]),
                ..Default::default()
            }
            .validate()
        ));
        assert!(refused(
            DescribeFleetLocationAttributesInput {
                fleet_id: fleet(),
                locations: Some(vec!["l".into(); MAX_LOCATIONS + 1]),
                ..Default::default()
            }
            .validate()
        ));
        assert!(refused(
            DescribeFleetLocationCapacityInput {
                fleet_id: "not-a-fleet".into(),
                location: "local".into(),
            }
            .validate()
        ));
        assert!(refused(
            DescribeFleetLocationUtilizationInput {
                fleet_id: fleet(),
                location: "x".repeat(65),
            }
            .validate()
        ));
        assert!(
            DescribeFleetLocationUtilizationInput {
                fleet_id: fleet(),
                location: "custom-ams-1".into(),
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn filters_read_as_the_model_spells_them() {
        let input: ListLocationsInput =
            serde_json::from_str(r#"{"Filters":["AWS","CUSTOM"]}"#).expect("parses");
        assert_eq!(
            input.filters,
            Some(vec![LocationFilter::Aws, LocationFilter::Custom])
        );
        assert!(serde_json::from_str::<ListLocationsInput>(r#"{"Filters":["aws"]}"#).is_err());
    }
}
