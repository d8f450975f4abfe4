//! Where a placement may go and in which order: the queue's rules applied to the fleet's
//! locations, as pure functions of the queue, the placement and how long it has waited, so
//! they are tested without hosts or stores.
//!
//! - **Destinations**: each location belongs to the first of the queue's destinations that
//!   is this fleet (a Volley fleet's locations are its hosts' locations).
//! - **Filter**: only `FilterConfiguration.AllowedLocations`, when given.
//! - **Latency policies**, when the placement carries latencies: applied from the lowest
//!   maximum up, each for its duration (one without a duration lasts until the placement
//!   times out; after the last one's duration no cap applies). While a cap is in force, a
//!   location is eligible only if every player who reported latencies reported one for it,
//!   at or under the cap.
//! - **Priority**: `PriorityOrder` (the types not named follow in the default order LATENCY,
//!   COST, DESTINATION, LOCATION): lowest average latency of the players who reported one for
//!   the location (locations without any come last), cost (the same everywhere), destination
//!   order, `LocationOrder` (locations not in it after, alphabetically). Ties go alphabetically.
//! - **Override**: a placement's `PriorityConfigurationOverride` tries its locations first, in
//!   its order, then (unless its fallback is `NONE`) the others in the queue's order.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::api::placements::{GameSessionPlacement, PlacementFallbackStrategy};
use crate::api::queues::{GameSessionQueue, PriorityType};

/// Where to try a placement now.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The eligible locations, best first.
    pub locations: Vec<String>,
    /// How long after the placement's start the latency cap changes next, if it does:
    /// another attempt is worth making then.
    pub cap_changes_at: Option<Duration>,
}

/// The latency cap in force `elapsed` after a placement started, if any, and when it
/// changes next.
pub fn latency_cap(queue: &GameSessionQueue, elapsed: Duration) -> (Option<f64>, Option<Duration>) {
    let mut policies: Vec<(i32, Option<i32>)> = queue
        .player_latency_policies
        .iter()
        .filter_map(|p| {
            p.maximum_individual_player_latency_milliseconds
                .map(|max| (max, p.policy_duration_seconds))
        })
        .collect();
    policies.sort_by_key(|(max, _)| *max);
    let mut start = Duration::ZERO;
    for (max, duration) in policies {
        let Some(seconds) = duration else {
            return (Some(f64::from(max)), None);
        };
        let end = start + Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
        if elapsed < end {
            return (Some(f64::from(max)), Some(end));
        }
        start = end;
    }
    (None, None)
}

/// Orders `locations` (each with the index of the queue destination it belongs to) for a
/// placement that has waited `elapsed`; see the module docs.
pub fn plan(
    queue: &GameSessionQueue,
    placement: &GameSessionPlacement,
    locations: &[(String, usize)],
    elapsed: Duration,
) -> Plan {
    let allowed = queue
        .filter_configuration
        .as_ref()
        .and_then(|f| f.allowed_locations.as_ref());
    // Each player's latency per location; a repeated report counts once, the last one.
    let mut reported: BTreeMap<&str, BTreeMap<&str, f64>> = BTreeMap::new();
    for latency in &placement.player_latencies {
        if let (Some(player), Some(region), Some(ms)) = (
            latency.player_id.as_deref(),
            latency.region_identifier.as_deref(),
            latency.latency_in_milliseconds,
        ) {
            reported.entry(player).or_default().insert(region, ms);
        }
    }
    let (cap, cap_changes_at) = if reported.is_empty() {
        (None, None)
    } else {
        latency_cap(queue, elapsed)
    };
    let eligible = |location: &str| {
        let Some(cap) = cap else { return true };
        reported
            .values()
            .all(|per_location| per_location.get(location).is_some_and(|ms| *ms <= cap))
    };
    let average = |location: &str| {
        let values: Vec<f64> = reported
            .values()
            .filter_map(|per_location| per_location.get(location).copied())
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let priority = queue.priority_configuration.as_ref();
    let mut order: Vec<PriorityType> = priority
        .and_then(|p| p.priority_order.clone())
        .unwrap_or_default();
    for kind in PriorityType::DEFAULT_ORDER {
        if !order.contains(&kind) {
            order.push(kind);
        }
    }
    let location_order: &[String] = priority
        .and_then(|p| p.location_order.as_deref())
        .unwrap_or_default();

    let mut candidates: Vec<(&str, usize)> = Vec::new();
    let mut seen = BTreeSet::new();
    for (location, destination) in locations {
        if allowed.is_some_and(|allowed| !allowed.contains(location)) || !eligible(location) {
            continue;
        }
        if seen.insert(location.as_str()) {
            candidates.push((location, *destination));
        }
    }
    candidates.sort_by(|(a, a_destination), (b, b_destination)| {
        for kind in &order {
            let ordering = match kind {
                PriorityType::Latency => match (average(a), average(b)) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                },
                PriorityType::Cost => std::cmp::Ordering::Equal,
                PriorityType::Destination => a_destination.cmp(b_destination),
                PriorityType::Location => {
                    let rank = |l: &str| location_order.iter().position(|o| o == l);
                    match (rank(a), rank(b)) {
                        (Some(x), Some(y)) => x.cmp(&y),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    }
                }
            };
            if ordering.is_ne() {
                return ordering;
            }
        }
        a.cmp(b)
    });
    let mut ordered: Vec<String> = candidates.into_iter().map(|(l, _)| l.to_owned()).collect();
    if let Some(preferred) = &placement.priority_configuration_override {
        let first: Vec<String> = preferred
            .location_order
            .iter()
            .filter(|l| ordered.contains(l))
            .cloned()
            .collect();
        let only = preferred.placement_fallback_strategy == Some(PlacementFallbackStrategy::None);
        if only {
            ordered = first;
        } else {
            ordered.retain(|l| !first.contains(l));
            ordered.splice(0..0, first);
        }
    }
    Plan {
        locations: ordered,
        cap_changes_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::placements::{PlayerLatency, PriorityConfigurationOverride};
    use crate::api::queues::{FilterConfiguration, PlayerLatencyPolicy, PriorityConfiguration};

    fn queue() -> GameSessionQueue {
        GameSessionQueue {
            name: "q".into(),
            timeout_in_seconds: 600,
            ..Default::default()
        }
    }

    fn policy(max: i32, seconds: Option<i32>) -> PlayerLatencyPolicy {
        PlayerLatencyPolicy {
            maximum_individual_player_latency_milliseconds: Some(max),
            policy_duration_seconds: seconds,
        }
    }

    fn latency(player: &str, region: &str, ms: f64) -> PlayerLatency {
        PlayerLatency {
            player_id: Some(player.into()),
            region_identifier: Some(region.into()),
            latency_in_milliseconds: Some(ms),
        }
    }

    fn placement(latencies: Vec<PlayerLatency>) -> GameSessionPlacement {
        GameSessionPlacement {
            placement_id: "p".into(),
            player_latencies: latencies,
            ..Default::default()
        }
    }

    fn here(names: &[&str]) -> Vec<(String, usize)> {
        names.iter().map(|n| ((*n).to_owned(), 0)).collect()
    }

    #[test]
    fn without_latencies_locations_go_alphabetically() {
        let plan = plan(
            &queue(),
            &placement(vec![]),
            &here(&["c", "a", "b"]),
            Duration::ZERO,
        );
        assert_eq!(plan.locations, ["a", "b", "c"]);
        assert_eq!(plan.cap_changes_at, None);
    }

    #[test]
    fn the_lowest_average_latency_goes_first_and_unreported_locations_last() {
        let latencies = vec![
            latency("p1", "a", 90.0),
            latency("p2", "a", 10.0),
            latency("p1", "b", 40.0),
            latency("p2", "b", 40.0),
        ];
        let plan = plan(
            &queue(),
            &placement(latencies),
            &here(&["a", "b", "c"]),
            Duration::ZERO,
        );
        assert_eq!(plan.locations, ["b", "a", "c"]);
    }

    #[test]
    fn policies_apply_from_the_lowest_cap_and_relax_over_time() {
        let mut q = queue();
        // Listed out of order on purpose: the lowest maximum applies first.
        q.player_latency_policies =
            vec![policy(200, None), policy(50, Some(2)), policy(100, Some(3))];
        let latencies = vec![
            latency("p1", "a", 30.0),
            latency("p2", "a", 80.0),
            latency("p1", "b", 150.0),
            latency("p2", "b", 150.0),
        ];
        let p = placement(latencies);
        let at = |s| plan(&q, &p, &here(&["a", "b", "c"]), Duration::from_secs(s));
        assert_eq!(at(0).locations, Vec::<String>::new());
        assert_eq!(at(0).cap_changes_at, Some(Duration::from_secs(2)));
        assert_eq!(at(2).locations, ["a"]);
        assert_eq!(at(2).cap_changes_at, Some(Duration::from_secs(5)));
        // Location c has no latencies: never eligible while a cap is in force.
        assert_eq!(at(5).locations, ["a", "b"]);
        assert_eq!(at(5).cap_changes_at, None);
    }

    #[test]
    fn after_the_last_timed_policy_no_cap_applies() {
        let mut q = queue();
        q.player_latency_policies = vec![policy(10, Some(1))];
        let p = placement(vec![latency("p1", "a", 30.0)]);
        assert!(
            plan(&q, &p, &here(&["a"]), Duration::ZERO)
                .locations
                .is_empty()
        );
        assert_eq!(
            plan(&q, &p, &here(&["a", "b"]), Duration::from_secs(1)).locations,
            ["a", "b"]
        );
    }

    #[test]
    fn policies_apply_only_to_placements_with_latencies() {
        let mut q = queue();
        q.player_latency_policies = vec![policy(10, None)];
        assert_eq!(
            plan(&q, &placement(vec![]), &here(&["a"]), Duration::ZERO).locations,
            ["a"]
        );
    }

    #[test]
    fn filters_priority_orders_and_overrides() {
        let mut q = queue();
        q.filter_configuration = Some(FilterConfiguration {
            allowed_locations: Some(vec!["a".into(), "b".into(), "c".into()]),
        });
        q.priority_configuration = Some(PriorityConfiguration {
            priority_order: Some(vec![PriorityType::Location]),
            location_order: Some(vec!["c".into(), "a".into()]),
        });
        let all = here(&["a", "b", "c", "d"]);
        let latencies = vec![latency("p1", "a", 5.0), latency("p1", "c", 50.0)];
        let p = placement(latencies);
        assert_eq!(
            plan(&q, &p, &all, Duration::ZERO).locations,
            ["c", "a", "b"]
        );

        let mut overridden = p.clone();
        overridden.priority_configuration_override = Some(PriorityConfigurationOverride {
            placement_fallback_strategy: None,
            location_order: vec!["b".into(), "d".into()],
        });
        // d is filtered out by the queue: the override does not bring it back.
        assert_eq!(
            plan(&q, &overridden, &all, Duration::ZERO).locations,
            ["b", "c", "a"]
        );
        if let Some(o) = overridden.priority_configuration_override.as_mut() {
            o.placement_fallback_strategy = Some(PlacementFallbackStrategy::None);
        }
        assert_eq!(plan(&q, &overridden, &all, Duration::ZERO).locations, ["b"]);
    }

    #[test]
    fn destinations_order_when_latency_ties() {
        let q = GameSessionQueue {
            priority_configuration: Some(PriorityConfiguration {
                priority_order: Some(vec![PriorityType::Destination]),
                location_order: None,
            }),
            ..queue()
        };
        let locations = vec![("a".to_owned(), 1), ("b".to_owned(), 0)];
        assert_eq!(
            plan(&q, &placement(vec![]), &locations, Duration::ZERO).locations,
            ["b", "a"]
        );
    }
}
