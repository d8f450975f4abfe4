//! The catalog contract: what every implementation of `volley::catalog::Catalog` does, checked
//! through the trait alone, so the in-memory catalog and a store shared by a fleet are held to
//! the same rules.
//!
//! Each check is an `async fn` taking a fresh, empty `&dyn Catalog` made with [`SETTINGS`].
//! It passes every `now` itself, from a fixed whole second ([`at`]), so nothing sleeps and
//! timeouts and retention are reached by moving `now` forward; whole seconds keep the times
//! exact in a store that keeps milliseconds.
//!
//! It lives among the test support files, not in the library, so production code carries no
//! test code: an implementation in this package is tested by a line in `tests/catalog.rs`,
//! which includes this file and expands [`catalog_contract_tests!`] once per implementation
//! into one `#[tokio::test]` per check. A new check is a `pub async fn` here and its name in
//! the macro's list; one left out of the list is never called, which the dead-code lint
//! refuses.
//!
//! Where the trait leaves an answer open (whether a change to an unknown game session is
//! `Ok` or `NotFound`, the order of game properties), the checks accept either and pin only
//! what callers rely on.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

use volley::catalog::{
    Catalog, CatalogError, GameSession, GameSessionSpec, GameSessionStatus, GameSessionUpdate,
    MAX_GAME_PROPERTIES, PlayerSession, PlayerSessionStatus, ScriptRef, StatusCounts,
};
use volley::core::{GameSessionId, LoginRefusal};

/// How a catalog under test is made.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// How long a reservation waits for its login.
    pub reservation_timeout: Duration,
    /// How long ended records stay describable.
    pub retention: Duration,
}

/// The settings every check assumes: retention longer than the reservation timeout, as in
/// the default config.
pub const SETTINGS: Settings = Settings {
    reservation_timeout: TIMEOUT,
    retention: RETENTION,
};

const TIMEOUT: Duration = Duration::from_secs(60);
const RETENTION: Duration = Duration::from_secs(600);

/// A `max_running` no check reaches unless it means to.
const ROOMY: usize = 1_000;

/// Most time one check may take: a shared store answers over the network.
const CHECK_TIME: Duration = Duration::from_secs(10);

/// Expands to a module `$module` with one `#[tokio::test]` per check, each on a fresh
/// catalog from `$make`, an async fn taking [`Settings`] and returning a `Box<dyn Catalog>`.
/// The including file declares this file as its root module `catalog_contract`, and
/// `$make` is a path from the crate root (`crate::local_catalog`).
macro_rules! catalog_contract_tests {
    ($module:ident, $make:path) => {
        $crate::catalog_contract::catalog_contract_tests!(@each $module, $make;
            create_records_a_new_game_session_as_activating,
            create_with_a_used_token_and_the_same_parameters_returns_the_earlier_record,
            create_with_a_used_token_and_other_parameters_is_refused,
            create_under_an_existing_id_without_a_token_is_refused,
            create_refuses_game_sessions_beyond_max_running,
            terminating_game_sessions_still_take_fleet_capacity,
            ended_game_sessions_free_fleet_capacity,
            a_retry_with_a_used_token_at_capacity_returns_the_earlier_record,
            activate_makes_an_activating_game_session_active_with_its_script,
            activate_changes_only_an_activating_game_session,
            terminating_marks_a_running_game_session_with_its_reason,
            terminating_leaves_an_ended_game_session_as_it_is,
            ending_records_status_reason_and_time_and_completes_its_player_sessions,
            ending_twice_changes_nothing,
            ending_without_a_reason_keeps_the_terminating_reason,
            changes_to_unknown_records_create_nothing,
            update_merges_properties_by_key_and_sets_the_given_fields,
            update_refuses_more_game_properties_than_the_limit,
            update_applies_to_activating_and_active_game_sessions_only,
            lowering_max_players_evicts_nobody,
            reserve_creates_reserved_player_sessions_in_the_given_order,
            reserve_is_all_or_nothing_within_max_players,
            reserve_refuses_a_player_session_id_already_in_use,
            reserve_refuses_an_id_named_twice_in_one_call,
            reserve_needs_an_active_game_session_accepting_player_sessions,
            claim_uses_a_reservation_once,
            claim_refuses_unknown_and_empty_ids,
            complete_ends_a_claimed_player_session_and_frees_its_slot,
            complete_leaves_an_unclaimed_reservation_reserved,
            player_sessions_completed_by_their_game_session_ending_cannot_be_claimed,
            reservations_time_out_at_their_deadline_and_free_their_slot,
            a_late_sweep_times_reservations_out_at_their_deadline,
            claim_and_reserve_see_reservations_past_their_deadline_without_a_sweep,
            ended_game_sessions_are_forgotten_with_their_player_sessions_after_retention,
            ended_player_sessions_of_a_running_game_session_are_forgotten_after_retention,
            game_sessions_that_have_not_ended_are_never_forgotten,
            game_sessions_list_in_creation_order_even_within_one_instant,
            player_sessions_list_in_creation_order_even_within_one_instant,
            running_lists_game_sessions_not_ended_with_their_logged_in_players,
            player_sessions_of_is_none_only_for_a_game_session_not_remembered,
            player_sessions_of_player_lists_one_players_sessions_across_game_sessions,
            status_counts_count_every_remembered_record_by_status,
        );
    };
    (@each $module:ident, $make:path; $($check:ident),* $(,)?) => {
        mod $module {
            $(
                #[tokio::test]
                async fn $check() {
                    let catalog = $make($crate::catalog_contract::SETTINGS).await;
                    $crate::catalog_contract::run(
                        $crate::catalog_contract::$check(&*catalog),
                    )
                    .await;
                }
            )*
        }
    };
}
pub(crate) use catalog_contract_tests;

/// Runs one check, failing it if it does not finish in time.
pub async fn run(check: impl Future<Output = ()>) {
    tokio::time::timeout(CHECK_TIME, check)
        .await
        .expect("the check finished in time");
}

/// `secs` seconds after the fixed start of every check.
pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

// Create and fleet capacity.

pub async fn create_records_a_new_game_session_as_activating(catalog: &dyn Catalog) {
    let id = GameSessionId::new("g");
    let spec = GameSessionSpec {
        max_players: 8,
        name: Some("arena".into()),
        properties: vec![("mode".into(), "ctf".into()), ("map".into(), "dust".into())],
        creator_id: Some("creator".into()),
        game_session_data: Some("data".into()),
        matchmaker_data: Some(r#"{"matchId":"m1"}"#.into()),
        idempotency_token: None,
        location: "local".into(),
    };
    let (record, created) = catalog
        .create_game_session(at(1), id.clone(), spec.clone(), ROOMY)
        .await
        .expect("created");
    assert!(created);
    assert_eq!(record.id, id);
    assert_eq!(record.spec, spec);
    assert_eq!(record.status, GameSessionStatus::Activating);
    assert_eq!(record.status_reason, None);
    assert_eq!(record.creation_time, at(1));
    assert_eq!(record.termination_time, None);
    assert_eq!(record.current_player_sessions, 0);
    assert!(record.accepting_player_sessions);
    assert!(!record.protected);
    assert_eq!(record.script, None);
    assert_eq!(game_session(catalog, &id).await, record);
    assert_eq!(all_game_sessions(catalog).await, [record]);
}

pub async fn create_with_a_used_token_and_the_same_parameters_returns_the_earlier_record(
    catalog: &dyn Catalog,
) {
    let id = GameSessionId::new("g/tok");
    let spec = with_token(spec(4), "tok");
    let (first, _) = catalog
        .create_game_session(at(0), id.clone(), spec.clone(), ROOMY)
        .await
        .expect("created");
    catalog.activate(&id, None).await.expect("activated");

    let (again, created) = catalog
        .create_game_session(at(5), id.clone(), spec, ROOMY)
        .await
        .expect("the earlier record");
    assert!(!created);
    // The earlier game session as it is now, not a second one.
    assert_eq!(again, game_session(catalog, &id).await);
    assert_eq!(again.status, GameSessionStatus::Active);
    assert_eq!(
        (again.creation_time, again.sequence),
        (first.creation_time, first.sequence)
    );
    assert_eq!(all_game_sessions(catalog).await.len(), 1);
}

pub async fn create_with_a_used_token_and_other_parameters_is_refused(catalog: &dyn Catalog) {
    let id = GameSessionId::new("g/tok");
    let spec = with_token(spec(4), "tok");
    let (first, _) = catalog
        .create_game_session(at(0), id.clone(), spec.clone(), ROOMY)
        .await
        .expect("created");
    let others = [
        GameSessionSpec {
            max_players: 5,
            ..spec.clone()
        },
        GameSessionSpec {
            name: Some("other".into()),
            ..spec.clone()
        },
        GameSessionSpec {
            properties: vec![("k".into(), "v".into())],
            ..spec.clone()
        },
    ];
    for other in others {
        assert_eq!(
            catalog
                .create_game_session(at(1), id.clone(), other, ROOMY)
                .await,
            Err(CatalogError::IdempotentMismatch("tok".into()))
        );
    }
    assert_eq!(all_game_sessions(catalog).await, [first]);
}

pub async fn create_under_an_existing_id_without_a_token_is_refused(catalog: &dyn Catalog) {
    let id = GameSessionId::new("g");
    let (first, _) = catalog
        .create_game_session(at(0), id.clone(), spec(4), ROOMY)
        .await
        .expect("created");
    for again in [spec(4), spec(5)] {
        assert_eq!(
            catalog
                .create_game_session(at(1), id.clone(), again, ROOMY)
                .await,
            Err(CatalogError::Duplicate("g".into()))
        );
    }
    assert_eq!(all_game_sessions(catalog).await, [first]);
}

pub async fn create_refuses_game_sessions_beyond_max_running(catalog: &dyn Catalog) {
    let fresh = GameSessionId::new("first");
    assert_eq!(
        catalog
            .create_game_session(at(0), fresh.clone(), spec(4), 0)
            .await,
        Err(CatalogError::FleetFull)
    );
    for name in ["a", "b"] {
        catalog
            .create_game_session(at(0), GameSessionId::new(name), spec(4), 2)
            .await
            .expect("within capacity");
    }
    let over = GameSessionId::new("c");
    assert_eq!(
        catalog
            .create_game_session(at(1), over.clone(), spec(4), 2)
            .await,
        Err(CatalogError::FleetFull)
    );
    assert_eq!(catalog.game_session(&over).await, Ok(None));
    assert_eq!(catalog.game_session(&fresh).await, Ok(None));
    assert_eq!(ids(&all_game_sessions(catalog).await), ["a", "b"]);
    // A larger limit admits it.
    catalog
        .create_game_session(at(1), over, spec(4), 3)
        .await
        .expect("within the larger limit");
}

pub async fn terminating_game_sessions_still_take_fleet_capacity(catalog: &dyn Catalog) {
    let activating = create(catalog, at(0), "activating").await;
    let winding_down = active(catalog, at(0), "terminating", 4).await;
    catalog
        .terminating(&winding_down, "FORCE_TERMINATED")
        .await
        .expect("terminating");
    assert_eq!(
        catalog
            .create_game_session(at(1), GameSessionId::new("c"), spec(4), 2)
            .await,
        Err(CatalogError::FleetFull)
    );
    catalog
        .activate(&activating, None)
        .await
        .expect("activated");
    assert_eq!(
        catalog
            .create_game_session(at(1), GameSessionId::new("c"), spec(4), 2)
            .await,
        Err(CatalogError::FleetFull)
    );
}

pub async fn ended_game_sessions_free_fleet_capacity(catalog: &dyn Catalog) {
    let terminated = active(catalog, at(0), "terminated", 4).await;
    let failed = create(catalog, at(0), "failed").await;
    end(catalog, at(1), &terminated, GameSessionStatus::Terminated).await;
    end(catalog, at(1), &failed, GameSessionStatus::Error).await;
    // Still remembered, but no longer running.
    assert_eq!(all_game_sessions(catalog).await.len(), 2);
    for name in ["c", "d"] {
        catalog
            .create_game_session(at(2), GameSessionId::new(name), spec(4), 2)
            .await
            .expect("the ended game sessions freed their capacity");
    }
    assert_eq!(
        catalog
            .create_game_session(at(2), GameSessionId::new("e"), spec(4), 2)
            .await,
        Err(CatalogError::FleetFull)
    );
}

pub async fn a_retry_with_a_used_token_at_capacity_returns_the_earlier_record(
    catalog: &dyn Catalog,
) {
    let id = GameSessionId::new("g/tok");
    let spec = with_token(spec(4), "tok");
    let (first, created) = catalog
        .create_game_session(at(0), id.clone(), spec.clone(), 1)
        .await
        .expect("created");
    assert!(created);
    assert_eq!(
        catalog
            .create_game_session(at(1), id.clone(), spec.clone(), 1)
            .await,
        Ok((first, false))
    );
    let other = GameSessionSpec {
        max_players: 9,
        ..spec
    };
    assert_eq!(
        catalog.create_game_session(at(1), id, other, 1).await,
        Err(CatalogError::IdempotentMismatch("tok".into()))
    );
}

// Activate, terminating, end.

pub async fn activate_makes_an_activating_game_session_active_with_its_script(
    catalog: &dyn Catalog,
) {
    let id = create(catalog, at(0), "g").await;
    let script = script("script-1", 3);
    catalog
        .activate(&id, Some(script.clone()))
        .await
        .expect("activated");
    let record = game_session(catalog, &id).await;
    assert_eq!(record.status, GameSessionStatus::Active);
    assert_eq!(record.script, Some(script));
    assert_eq!(record.status_reason, None);

    let relay = create(catalog, at(0), "relay").await;
    catalog.activate(&relay, None).await.expect("activated");
    let record = game_session(catalog, &relay).await;
    assert_eq!(
        (record.status, record.script),
        (GameSessionStatus::Active, None)
    );
}

pub async fn activate_changes_only_an_activating_game_session(catalog: &dyn Catalog) {
    let started = create(catalog, at(0), "started").await;
    catalog
        .activate(&started, Some(script("script-1", 1)))
        .await
        .expect("activated");
    let before = game_session(catalog, &started).await;
    catalog
        .activate(&started, Some(script("script-2", 7)))
        .await
        .expect("nothing to do");
    assert_eq!(game_session(catalog, &started).await, before);

    let stopping = create(catalog, at(0), "stopping").await;
    catalog
        .terminating(&stopping, "FORCE_TERMINATED")
        .await
        .expect("terminating");
    let before = game_session(catalog, &stopping).await;
    catalog
        .activate(&stopping, Some(script("script-1", 1)))
        .await
        .expect("nothing to do");
    assert_eq!(game_session(catalog, &stopping).await, before);

    let failed = create(catalog, at(0), "failed").await;
    end(catalog, at(1), &failed, GameSessionStatus::Error).await;
    let before = game_session(catalog, &failed).await;
    catalog
        .activate(&failed, None)
        .await
        .expect("nothing to do");
    assert_eq!(game_session(catalog, &failed).await, before);
}

pub async fn terminating_marks_a_running_game_session_with_its_reason(catalog: &dyn Catalog) {
    let running = active(catalog, at(0), "active", 4).await;
    let starting = create(catalog, at(0), "activating").await;
    for id in [&running, &starting] {
        catalog
            .terminating(id, "FORCE_TERMINATED")
            .await
            .expect("terminating");
        let record = game_session(catalog, id).await;
        assert_eq!(record.status, GameSessionStatus::Terminating);
        assert_eq!(record.status_reason, Some("FORCE_TERMINATED"));
        assert_eq!(record.termination_time, None);
    }
    // Winding down is still running.
    let listed: Vec<GameSessionId> = running_of(catalog)
        .await
        .into_iter()
        .map(|(g, _)| g.id)
        .collect();
    assert_eq!(listed, [running, starting]);
}

pub async fn terminating_leaves_an_ended_game_session_as_it_is(catalog: &dyn Catalog) {
    let id = active(catalog, at(0), "g", 4).await;
    catalog
        .end_game_session(
            at(1),
            &id,
            GameSessionStatus::Terminated,
            Some("FORCE_TERMINATED"),
        )
        .await
        .expect("ended");
    let before = game_session(catalog, &id).await;
    catalog
        .terminating(&id, "TRIGGERED_ON_PROCESS_TERMINATE")
        .await
        .expect("nothing to do");
    assert_eq!(game_session(catalog, &id).await, before);
}

pub async fn ending_records_status_reason_and_time_and_completes_its_player_sessions(
    catalog: &dyn Catalog,
) {
    let g = active(catalog, at(0), "g", 8).await;
    reserve(catalog, at(0), &g, &["late"]).await;
    reserve(catalog, at(30), &g, &["playing", "left", "waiting"]).await;
    catalog.expire(at(60)).await.expect("swept"); // "late" times out.
    claim(catalog, at(61), "playing", &g).await;
    claim(catalog, at(61), "left", &g).await;
    catalog.complete(at(62), "left").await.expect("completed");

    catalog
        .end_game_session(
            at(63),
            &g,
            GameSessionStatus::Terminated,
            Some("FORCE_TERMINATED"),
        )
        .await
        .expect("ended");
    let record = game_session(catalog, &g).await;
    assert_eq!(record.status, GameSessionStatus::Terminated);
    assert_eq!(record.status_reason, Some("FORCE_TERMINATED"));
    assert_eq!(record.termination_time, Some(at(63)));
    assert_eq!(record.current_player_sessions, 0);
    let ended: Vec<(String, PlayerSessionStatus, Option<SystemTime>)> =
        player_sessions(catalog, &g)
            .await
            .into_iter()
            .map(|p| (p.id, p.status, p.termination_time))
            .collect();
    let expected = [
        ("late", PlayerSessionStatus::TimedOut, at(60)),
        ("playing", PlayerSessionStatus::Completed, at(63)),
        ("left", PlayerSessionStatus::Completed, at(62)),
        ("waiting", PlayerSessionStatus::Completed, at(63)),
    ]
    .map(|(id, status, time)| (id.to_owned(), status, Some(time)));
    assert_eq!(ended, expected);
    assert!(running_of(catalog).await.is_empty());
}

pub async fn ending_twice_changes_nothing(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 4).await;
    let other = active(catalog, at(0), "other", 4).await;
    reserve(catalog, at(0), &g, &["a", "b"]).await;
    claim(catalog, at(0), "a", &g).await;
    catalog
        .end_game_session(at(1), &g, GameSessionStatus::Terminated, Some("FIRST"))
        .await
        .expect("ended");
    let record = game_session(catalog, &g).await;
    let players = player_sessions(catalog, &g).await;
    let counts = status_counts(catalog).await;

    for status in [GameSessionStatus::Error, GameSessionStatus::Terminated] {
        catalog
            .end_game_session(at(2), &g, status, Some("SECOND"))
            .await
            .expect("nothing to do");
    }
    assert_eq!(game_session(catalog, &g).await, record);
    assert_eq!(player_sessions(catalog, &g).await, players);
    assert_eq!(status_counts(catalog).await, counts);
    // Its capacity was freed once: with `other` running, a limit of 2 admits one more.
    catalog
        .create_game_session(at(3), GameSessionId::new("c"), spec(4), 2)
        .await
        .expect("one free");
    assert_eq!(
        catalog
            .create_game_session(at(3), GameSessionId::new("d"), spec(4), 2)
            .await,
        Err(CatalogError::FleetFull)
    );
    assert_eq!(
        game_session(catalog, &other).await.status,
        GameSessionStatus::Active
    );
}

pub async fn ending_without_a_reason_keeps_the_terminating_reason(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 4).await;
    catalog
        .terminating(&g, "TRIGGERED_ON_PROCESS_TERMINATE")
        .await
        .expect("terminating");
    end(catalog, at(1), &g, GameSessionStatus::Terminated).await;
    let record = game_session(catalog, &g).await;
    assert_eq!(record.status, GameSessionStatus::Terminated);
    assert_eq!(record.status_reason, Some("TRIGGERED_ON_PROCESS_TERMINATE"));

    // A game session whose start failed: ERROR, with no reason.
    let failed = create(catalog, at(2), "failed").await;
    end(catalog, at(3), &failed, GameSessionStatus::Error).await;
    let record = game_session(catalog, &failed).await;
    assert_eq!(
        (record.status, record.status_reason, record.termination_time),
        (GameSessionStatus::Error, None, Some(at(3)))
    );
}

pub async fn changes_to_unknown_records_create_nothing(catalog: &dyn Catalog) {
    let unknown = GameSessionId::new("unknown");
    // The trait leaves open whether these are refused; either way nothing appears.
    assert_ok_or_not_found(catalog.activate(&unknown, None).await);
    assert_ok_or_not_found(catalog.terminating(&unknown, "FORCE_TERMINATED").await);
    assert_ok_or_not_found(
        catalog
            .end_game_session(at(0), &unknown, GameSessionStatus::Terminated, None)
            .await,
    );
    assert_ok_or_not_found(catalog.complete(at(0), "psess-unknown").await);
    assert_eq!(
        catalog
            .update_game_session(&unknown, GameSessionUpdate::default())
            .await,
        Err(CatalogError::NotFound("unknown".into()))
    );
    assert_eq!(
        catalog
            .reserve(at(0), &unknown, vec![seat("psess-1")])
            .await,
        Err(CatalogError::NotFound("unknown".into()))
    );
    assert_eq!(catalog.game_session(&unknown).await, Ok(None));
    assert_eq!(catalog.player_session("psess-1").await, Ok(None));
    assert_eq!(catalog.player_session("psess-unknown").await, Ok(None));
    assert!(all_game_sessions(catalog).await.is_empty());
    assert_eq!(status_counts(catalog).await, StatusCounts::default());
}

// Update.

pub async fn update_merges_properties_by_key_and_sets_the_given_fields(catalog: &dyn Catalog) {
    let id = GameSessionId::new("g");
    let spec = GameSessionSpec {
        max_players: 4,
        name: Some("before".into()),
        properties: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
        ..spec(4)
    };
    catalog
        .create_game_session(at(0), id.clone(), spec, ROOMY)
        .await
        .expect("created");
    let update = GameSessionUpdate {
        max_players: Some(6),
        name: Some("after".into()),
        accepting_player_sessions: Some(false),
        protected: Some(true),
        properties: vec![("b".into(), "3".into()), ("c".into(), "4".into())],
        matchmaker_data: Some(r#"{"matchId":"m2"}"#.into()),
    };
    let updated = catalog
        .update_game_session(&id, update)
        .await
        .expect("updated");
    assert_eq!(
        properties(&updated),
        BTreeMap::from([("a", "1"), ("b", "3"), ("c", "4")])
    );
    assert_eq!(updated.spec.properties.len(), 3, "one value per key");
    assert_eq!(updated.spec.max_players, 6);
    assert_eq!(updated.spec.name.as_deref(), Some("after"));
    assert!(!updated.accepting_player_sessions);
    assert!(updated.protected);
    assert_eq!(
        updated.spec.matchmaker_data.as_deref(),
        Some(r#"{"matchId":"m2"}"#)
    );
    assert_eq!(updated.status, GameSessionStatus::Activating);
    assert_eq!(game_session(catalog, &id).await, updated);

    // Fields left out stay as they are.
    let unchanged = catalog
        .update_game_session(&id, GameSessionUpdate::default())
        .await
        .expect("updated");
    assert_eq!(unchanged, updated);
    let reopened = catalog
        .update_game_session(
            &id,
            GameSessionUpdate {
                accepting_player_sessions: Some(true),
                ..GameSessionUpdate::default()
            },
        )
        .await
        .expect("updated");
    assert!(reopened.accepting_player_sessions);
    assert_eq!(
        (reopened.spec, reopened.protected),
        (updated.spec, updated.protected)
    );
}

pub async fn update_refuses_more_game_properties_than_the_limit(catalog: &dyn Catalog) {
    assert_eq!(MAX_GAME_PROPERTIES, 16, "GameLift's limit");
    let id = GameSessionId::new("g");
    let spec = GameSessionSpec {
        properties: (0..MAX_GAME_PROPERTIES - 1)
            .map(|i| (format!("k{i:02}"), "v".to_owned()))
            .collect(),
        ..spec(4)
    };
    catalog
        .create_game_session(at(0), id.clone(), spec, ROOMY)
        .await
        .expect("created");
    // One overwritten, one added: exactly the limit.
    let full = catalog
        .update_game_session(&id, with_properties(&[("k00", "w"), ("new", "v")]))
        .await
        .expect("at the limit");
    assert_eq!(full.spec.properties.len(), MAX_GAME_PROPERTIES);

    let over = GameSessionUpdate {
        name: Some("renamed".into()),
        ..with_properties(&[("k01", "w"), ("one-too-many", "v")])
    };
    assert_eq!(
        catalog.update_game_session(&id, over).await,
        Err(CatalogError::TooManyProperties(MAX_GAME_PROPERTIES))
    );
    // Refused as a whole: neither the properties nor the name changed.
    assert_eq!(game_session(catalog, &id).await, full);

    let overwrite = catalog
        .update_game_session(&id, with_properties(&[("k01", "w")]))
        .await
        .expect("overwriting stays within the limit");
    assert_eq!(properties(&overwrite).get("k01"), Some(&"w"));
}

pub async fn update_applies_to_activating_and_active_game_sessions_only(catalog: &dyn Catalog) {
    let rename = || GameSessionUpdate {
        name: Some("renamed".into()),
        ..GameSessionUpdate::default()
    };
    let activating = create(catalog, at(0), "activating").await;
    let running = active(catalog, at(0), "active", 4).await;
    for id in [&activating, &running] {
        let updated = catalog
            .update_game_session(id, rename())
            .await
            .expect("updatable");
        assert_eq!(updated.spec.name.as_deref(), Some("renamed"));
    }

    let terminating = active(catalog, at(0), "terminating", 4).await;
    catalog
        .terminating(&terminating, "FORCE_TERMINATED")
        .await
        .expect("terminating");
    let terminated = active(catalog, at(0), "terminated", 4).await;
    end(catalog, at(1), &terminated, GameSessionStatus::Terminated).await;
    let failed = create(catalog, at(0), "failed").await;
    end(catalog, at(1), &failed, GameSessionStatus::Error).await;
    for (id, status) in [
        (&terminating, "TERMINATING"),
        (&terminated, "TERMINATED"),
        (&failed, "ERROR"),
    ] {
        let before = game_session(catalog, id).await;
        assert_eq!(
            catalog.update_game_session(id, rename()).await,
            Err(CatalogError::InvalidStatus {
                id: id.clone(),
                status
            })
        );
        assert_eq!(game_session(catalog, id).await, before);
    }
}

pub async fn lowering_max_players_evicts_nobody(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 3).await;
    reserve(catalog, at(0), &g, &["a", "b", "c"]).await;
    let lowered = catalog
        .update_game_session(
            &g,
            GameSessionUpdate {
                max_players: Some(1),
                ..GameSessionUpdate::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(
        (lowered.spec.max_players, lowered.current_player_sessions),
        (1, 3)
    );
    for id in ["a", "b", "c"] {
        assert_eq!(
            player_session(catalog, id).await.status,
            PlayerSessionStatus::Reserved
        );
        claim(catalog, at(1), id, &g).await;
    }
    catalog.complete(at(2), "a").await.expect("completed");
    catalog.complete(at(2), "b").await.expect("completed");
    assert_eq!(
        catalog.reserve(at(2), &g, vec![seat("d")]).await,
        Err(CatalogError::Full(g.clone()))
    );
    catalog.complete(at(3), "c").await.expect("completed");
    reserve(catalog, at(3), &g, &["d"]).await;
}

// Reserve, claim, complete.

pub async fn reserve_creates_reserved_player_sessions_in_the_given_order(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 4).await;
    let wanted = vec![
        (
            "psess-b".to_owned(),
            "bob".to_owned(),
            Some("bob's data".to_owned()),
        ),
        ("psess-a".to_owned(), "alice".to_owned(), None),
    ];
    let reserved = catalog
        .reserve(at(1), &g, wanted.clone())
        .await
        .expect("reserved");
    let got: Vec<(String, String, Option<String>)> = reserved
        .iter()
        .map(|p| (p.id.clone(), p.player_id.clone(), p.player_data.clone()))
        .collect();
    assert_eq!(got, wanted);
    for p in &reserved {
        assert_eq!(p.game_session, g);
        assert_eq!(p.status, PlayerSessionStatus::Reserved);
        assert_eq!(p.creation_time, at(1));
        assert_eq!(p.termination_time, None);
        assert_eq!(&player_session(catalog, &p.id).await, p);
    }
    assert!(reserved[0].sequence < reserved[1].sequence);
    assert_eq!(player_sessions(catalog, &g).await, reserved);
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 2);
}

pub async fn reserve_is_all_or_nothing_within_max_players(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 2).await;
    assert_eq!(
        catalog
            .reserve(at(0), &g, vec![seat("a"), seat("b"), seat("c")])
            .await,
        Err(CatalogError::Full(g.clone()))
    );
    assert!(player_sessions(catalog, &g).await.is_empty());
    assert_eq!(catalog.player_session("a").await, Ok(None));
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 0);

    reserve(catalog, at(0), &g, &["a", "b"]).await;
    assert_eq!(
        catalog.reserve(at(1), &g, vec![seat("c")]).await,
        Err(CatalogError::Full(g.clone()))
    );
    assert_eq!(catalog.player_session("c").await, Ok(None));
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 2);
}

pub async fn reserve_refuses_an_id_named_twice_in_one_call(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 4).await;
    assert_eq!(
        catalog
            .reserve(at(1), &g, vec![seat("a"), seat("b"), seat("a")])
            .await,
        Err(CatalogError::Duplicate("a".into()))
    );
    assert!(player_sessions(catalog, &g).await.is_empty());
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 0);
}

pub async fn reserve_refuses_a_player_session_id_already_in_use(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 4).await;
    let h = active(catalog, at(0), "h", 4).await;
    reserve(catalog, at(0), &g, &["a"]).await;
    for game in [&g, &h] {
        assert_eq!(
            catalog
                .reserve(at(1), game, vec![seat("b"), seat("a")])
                .await,
            Err(CatalogError::Duplicate("a".into()))
        );
    }
    assert_eq!(catalog.player_session("b").await, Ok(None));
    assert_eq!(player_session(catalog, "a").await.game_session, g);
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 1);
    assert_eq!(game_session(catalog, &h).await.current_player_sessions, 0);
}

pub async fn reserve_needs_an_active_game_session_accepting_player_sessions(catalog: &dyn Catalog) {
    let activating = create(catalog, at(0), "activating").await;
    let deny_all = active(catalog, at(0), "deny-all", 4).await;
    let accepting = |accept| GameSessionUpdate {
        accepting_player_sessions: Some(accept),
        ..GameSessionUpdate::default()
    };
    catalog
        .update_game_session(&deny_all, accepting(false))
        .await
        .expect("updated");
    let terminating = active(catalog, at(0), "terminating", 4).await;
    catalog
        .terminating(&terminating, "FORCE_TERMINATED")
        .await
        .expect("terminating");
    let terminated = active(catalog, at(0), "terminated", 4).await;
    end(catalog, at(1), &terminated, GameSessionStatus::Terminated).await;
    let failed = create(catalog, at(0), "failed").await;
    end(catalog, at(1), &failed, GameSessionStatus::Error).await;

    for (id, status) in [
        (&activating, "ACTIVATING"),
        (&deny_all, "DENY_ALL"),
        (&terminating, "TERMINATING"),
        (&terminated, "TERMINATED"),
        (&failed, "ERROR"),
    ] {
        assert_eq!(
            catalog.reserve(at(2), id, vec![seat("p")]).await,
            Err(CatalogError::InvalidStatus {
                id: id.clone(),
                status
            })
        );
        assert_eq!(game_session(catalog, id).await.current_player_sessions, 0);
    }
    assert_eq!(catalog.player_session("p").await, Ok(None));

    catalog
        .update_game_session(&deny_all, accepting(true))
        .await
        .expect("updated");
    reserve(catalog, at(2), &deny_all, &["p"]).await;
}

pub async fn claim_uses_a_reservation_once(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 4).await;
    reserve(catalog, at(0), &g, &["a"]).await;
    assert_eq!(catalog.claim(at(1), "a").await, Ok(g.clone()));
    let a = player_session(catalog, "a").await;
    assert_eq!(
        (a.status, a.termination_time),
        (PlayerSessionStatus::Active, None)
    );
    // A claim uses the slot its reservation took.
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 1);
    assert_eq!(
        catalog.claim(at(2), "a").await,
        Err(LoginRefusal::AlreadyUsed)
    );
    assert_eq!(player_session(catalog, "a").await, a);
}

pub async fn claim_refuses_unknown_and_empty_ids(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 4).await;
    reserve(catalog, at(0), &g, &["a"]).await;
    assert_eq!(
        catalog.claim(at(1), "").await,
        Err(LoginRefusal::EmptyPlayerSessionId)
    );
    assert_eq!(
        catalog.claim(at(1), "nope").await,
        Err(LoginRefusal::UnknownPlayerSession)
    );
    assert_eq!(
        player_session(catalog, "a").await.status,
        PlayerSessionStatus::Reserved
    );
}

pub async fn complete_ends_a_claimed_player_session_and_frees_its_slot(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 1).await;
    reserve(catalog, at(0), &g, &["a"]).await;
    claim(catalog, at(1), "a", &g).await;
    catalog.complete(at(5), "a").await.expect("completed");
    let a = player_session(catalog, "a").await;
    assert_eq!(
        (a.status, a.termination_time),
        (PlayerSessionStatus::Completed, Some(at(5)))
    );
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 0);
    assert_eq!(
        catalog.claim(at(6), "a").await,
        Err(LoginRefusal::AlreadyUsed)
    );
    reserve(catalog, at(6), &g, &["b"]).await;

    // Completing again changes nothing, and frees no second slot.
    catalog.complete(at(7), "a").await.expect("nothing to do");
    assert_eq!(player_session(catalog, "a").await, a);
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 1);
}

pub async fn complete_leaves_an_unclaimed_reservation_reserved(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 4).await;
    reserve(catalog, at(0), &g, &["a"]).await;
    let before = player_session(catalog, "a").await;
    catalog.complete(at(1), "a").await.expect("nothing to do");
    assert_eq!(player_session(catalog, "a").await, before);
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 1);
    // It can still be used.
    claim(catalog, at(2), "a", &g).await;
}

pub async fn player_sessions_completed_by_their_game_session_ending_cannot_be_claimed(
    catalog: &dyn Catalog,
) {
    let g = active(catalog, at(0), "g", 4).await;
    reserve(catalog, at(0), &g, &["waiting", "playing"]).await;
    claim(catalog, at(1), "playing", &g).await;
    end(catalog, at(2), &g, GameSessionStatus::Terminated).await;
    for id in ["waiting", "playing"] {
        assert_eq!(
            catalog.claim(at(3), id).await,
            Err(LoginRefusal::AlreadyUsed)
        );
        assert_eq!(
            player_session(catalog, id).await.status,
            PlayerSessionStatus::Completed
        );
    }
}

// Reservation timeout.

pub async fn reservations_time_out_at_their_deadline_and_free_their_slot(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 2).await;
    reserve(catalog, at(0), &g, &["used", "unused"]).await;
    let deadline = at(0) + TIMEOUT;
    let just_before = deadline - Duration::from_secs(1);
    catalog.expire(just_before).await.expect("swept");
    assert_eq!(
        player_session(catalog, "unused").await.status,
        PlayerSessionStatus::Reserved
    );
    claim(catalog, just_before, "used", &g).await;

    catalog.expire(deadline).await.expect("swept");
    let unused = player_session(catalog, "unused").await;
    assert_eq!(
        (unused.status, unused.termination_time),
        (PlayerSessionStatus::TimedOut, Some(deadline))
    );
    assert_eq!(
        catalog.claim(deadline, "unused").await,
        Err(LoginRefusal::Expired)
    );
    // A claimed reservation does not time out.
    catalog.expire(deadline + TIMEOUT).await.expect("swept");
    assert_eq!(
        player_session(catalog, "used").await.status,
        PlayerSessionStatus::Active
    );
    assert_eq!(game_session(catalog, &g).await.current_player_sessions, 1);
    reserve(catalog, deadline, &g, &["next"]).await;
}

pub async fn a_late_sweep_times_reservations_out_at_their_deadline(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 4).await;
    reserve(catalog, at(0), &g, &["a"]).await;
    reserve(catalog, at(10), &g, &["b"]).await;
    catalog.expire(at(0) + 5 * TIMEOUT).await.expect("swept");
    for (id, deadline) in [("a", at(0) + TIMEOUT), ("b", at(10) + TIMEOUT)] {
        let p = player_session(catalog, id).await;
        assert_eq!(
            (p.status, p.termination_time),
            (PlayerSessionStatus::TimedOut, Some(deadline))
        );
    }
}

pub async fn claim_and_reserve_see_reservations_past_their_deadline_without_a_sweep(
    catalog: &dyn Catalog,
) {
    let g = active(catalog, at(0), "g", 1).await;
    reserve(catalog, at(0), &g, &["a"]).await;
    let deadline = at(0) + TIMEOUT;
    assert_eq!(
        catalog.claim(deadline, "a").await,
        Err(LoginRefusal::Expired)
    );

    let h = active(catalog, at(0), "h", 1).await;
    reserve(catalog, at(0), &h, &["b"]).await;
    reserve(catalog, deadline, &h, &["c"]).await;
    assert_eq!(
        player_session(catalog, "b").await.status,
        PlayerSessionStatus::TimedOut
    );
}

// Retention.

pub async fn ended_game_sessions_are_forgotten_with_their_player_sessions_after_retention(
    catalog: &dyn Catalog,
) {
    let g = active(catalog, at(0), "g", 4).await;
    reserve(catalog, at(0), &g, &["a", "b"]).await;
    claim(catalog, at(0), "a", &g).await;
    catalog.complete(at(1), "a").await.expect("completed");
    end(catalog, at(2), &g, GameSessionStatus::Terminated).await;

    catalog
        .expire(at(2) + RETENTION - Duration::from_secs(1))
        .await
        .expect("swept");
    assert_eq!(
        game_session(catalog, &g).await.status,
        GameSessionStatus::Terminated
    );
    assert_eq!(
        player_session(catalog, "b").await.status,
        PlayerSessionStatus::Completed
    );

    catalog.expire(at(2) + RETENTION).await.expect("swept");
    assert_eq!(catalog.game_session(&g).await, Ok(None));
    assert_eq!(catalog.player_sessions_of(&g).await, Ok(None));
    for id in ["a", "b"] {
        assert_eq!(catalog.player_session(id).await, Ok(None));
    }
    assert_eq!(
        catalog.player_sessions_of_player("player-of-b").await,
        Ok(vec![])
    );
    assert!(all_game_sessions(catalog).await.is_empty());
    assert_eq!(status_counts(catalog).await, StatusCounts::default());
}

pub async fn ended_player_sessions_of_a_running_game_session_are_forgotten_after_retention(
    catalog: &dyn Catalog,
) {
    let g = active(catalog, at(0), "g", 4).await;
    reserve(catalog, at(0), &g, &["left", "timed-out", "playing"]).await;
    claim(catalog, at(0), "left", &g).await;
    claim(catalog, at(0), "playing", &g).await;
    catalog.complete(at(0), "left").await.expect("completed");
    let deadline = at(0) + TIMEOUT;
    catalog.expire(deadline).await.expect("swept");

    catalog.expire(at(0) + RETENTION).await.expect("swept");
    assert_eq!(catalog.player_session("left").await, Ok(None));
    assert_eq!(
        player_session(catalog, "timed-out").await.status,
        PlayerSessionStatus::TimedOut
    );

    catalog.expire(deadline + RETENTION).await.expect("swept");
    assert_eq!(catalog.player_session("timed-out").await, Ok(None));
    assert_eq!(ids_of(&player_sessions(catalog, &g).await), ["playing"]);
    let record = game_session(catalog, &g).await;
    assert_eq!(
        (record.status, record.current_player_sessions),
        (GameSessionStatus::Active, 1)
    );
}

pub async fn game_sessions_that_have_not_ended_are_never_forgotten(catalog: &dyn Catalog) {
    let activating = create(catalog, at(0), "activating").await;
    let running = active(catalog, at(0), "active", 4).await;
    let terminating = active(catalog, at(0), "terminating", 4).await;
    reserve(catalog, at(0), &running, &["playing"]).await;
    claim(catalog, at(0), "playing", &running).await;
    catalog
        .terminating(&terminating, "FORCE_TERMINATED")
        .await
        .expect("terminating");
    catalog
        .expire(at(0) + 100 * RETENTION)
        .await
        .expect("swept");
    assert_eq!(
        ids(&all_game_sessions(catalog).await),
        ["activating", "active", "terminating"]
    );
    assert_eq!(
        game_session(catalog, &activating).await.status,
        GameSessionStatus::Activating
    );
    assert_eq!(
        player_session(catalog, "playing").await.status,
        PlayerSessionStatus::Active
    );
}

// Lists and counts.

pub async fn game_sessions_list_in_creation_order_even_within_one_instant(catalog: &dyn Catalog) {
    // Ids whose text order differs from their creation order, all at one instant.
    let mut expected: Vec<String> = (0..20).map(|i| format!("gs-{:02}", (i * 7) % 20)).collect();
    for id in &expected {
        create(catalog, at(10), id).await;
    }
    // A wall clock that steps back does not reorder them either.
    create(catalog, at(5), "gs-stepped-back").await;
    expected.push("gs-stepped-back".into());

    let listed = all_game_sessions(catalog).await;
    assert_eq!(ids(&listed), expected);
    assert_increasing(listed.iter().map(|g| g.sequence));
    for g in &listed {
        catalog.activate(&g.id, None).await.expect("activated");
    }
    let running: Vec<GameSession> = running_of(catalog)
        .await
        .into_iter()
        .map(|(g, _)| g)
        .collect();
    assert_eq!(ids(&running), expected);
}

pub async fn player_sessions_list_in_creation_order_even_within_one_instant(catalog: &dyn Catalog) {
    let g = active(catalog, at(0), "g", 100).await;
    let h = active(catalog, at(0), "h", 100).await;
    let first: Vec<(String, String, Option<String>)> = (0..20)
        .map(|i| {
            (
                format!("psess-{:02}", (i * 7) % 20),
                "alice".to_owned(),
                None,
            )
        })
        .collect();
    catalog
        .reserve(at(10), &g, first.clone())
        .await
        .expect("reserved");
    // Later, though the wall clock stepped back, in the same and in another game session.
    let second = vec![("psess-0a".to_owned(), "alice".to_owned(), None)];
    catalog
        .reserve(at(5), &h, second.clone())
        .await
        .expect("reserved");
    let third = vec![
        ("psess-0b".to_owned(), "alice".to_owned(), None),
        ("psess-bob".to_owned(), "bob".to_owned(), None),
    ];
    catalog
        .reserve(at(5), &g, third.clone())
        .await
        .expect("reserved");

    let of_g = player_sessions(catalog, &g).await;
    let expected: Vec<&str> = first
        .iter()
        .chain(&third)
        .map(|(id, ..)| id.as_str())
        .collect();
    assert_eq!(ids_of(&of_g), expected);
    assert_increasing(of_g.iter().map(|p| p.sequence));

    let of_alice = catalog
        .player_sessions_of_player("alice")
        .await
        .expect("listed");
    let expected: Vec<&str> = first
        .iter()
        .chain(&second)
        .chain(&third[..1])
        .map(|(id, ..)| id.as_str())
        .collect();
    assert_eq!(ids_of(&of_alice), expected);
    assert_increasing(of_alice.iter().map(|p| p.sequence));
}

pub async fn running_lists_game_sessions_not_ended_with_their_logged_in_players(
    catalog: &dyn Catalog,
) {
    let ended = active(catalog, at(0), "ended", 4).await;
    let starting = create(catalog, at(1), "starting").await;
    let playing = active(catalog, at(2), "playing", 4).await;
    let stopping = active(catalog, at(3), "stopping", 4).await;
    reserve(catalog, at(4), &ended, &["e"]).await;
    claim(catalog, at(4), "e", &ended).await;
    end(catalog, at(5), &ended, GameSessionStatus::Terminated).await;
    reserve(catalog, at(5), &playing, &["a", "b", "c"]).await;
    claim(catalog, at(6), "a", &playing).await;
    claim(catalog, at(6), "b", &playing).await;
    catalog.complete(at(7), "b").await.expect("completed");
    reserve(catalog, at(5), &stopping, &["s"]).await;
    claim(catalog, at(6), "s", &stopping).await;
    catalog
        .terminating(&stopping, "FORCE_TERMINATED")
        .await
        .expect("terminating");

    let running = running_of(catalog).await;
    let summary: Vec<(&str, GameSessionStatus, u32, usize)> = running
        .iter()
        .map(|(g, logged_in)| {
            (
                g.id.as_str(),
                g.status,
                g.current_player_sessions,
                *logged_in,
            )
        })
        .collect();
    // `playing`: a logged in, b left, c reserved.
    assert_eq!(
        summary,
        [
            ("starting", GameSessionStatus::Activating, 0, 0),
            ("playing", GameSessionStatus::Active, 2, 1),
            ("stopping", GameSessionStatus::Terminating, 1, 1),
        ]
    );
    assert_eq!(running[0].0, game_session(catalog, &starting).await);
}

pub async fn player_sessions_of_is_none_only_for_a_game_session_not_remembered(
    catalog: &dyn Catalog,
) {
    assert_eq!(
        catalog
            .player_sessions_of(&GameSessionId::new("unknown"))
            .await,
        Ok(None)
    );
    let g = active(catalog, at(0), "g", 4).await;
    assert_eq!(catalog.player_sessions_of(&g).await, Ok(Some(vec![])));
    reserve(catalog, at(0), &g, &["a"]).await;
    end(catalog, at(1), &g, GameSessionStatus::Terminated).await;
    let ended = player_sessions(catalog, &g).await;
    assert_eq!(ids_of(&ended), ["a"]);
    assert_eq!(ended[0].status, PlayerSessionStatus::Completed);
    catalog.expire(at(1) + RETENTION).await.expect("swept");
    assert_eq!(catalog.player_sessions_of(&g).await, Ok(None));
}

pub async fn player_sessions_of_player_lists_one_players_sessions_across_game_sessions(
    catalog: &dyn Catalog,
) {
    let g = active(catalog, at(0), "g", 4).await;
    let h = active(catalog, at(0), "h", 4).await;
    let player = |id: &str, who: &str| (id.to_owned(), who.to_owned(), None);
    catalog
        .reserve(
            at(1),
            &g,
            vec![player("g-alice", "alice"), player("g-bob", "bob")],
        )
        .await
        .expect("reserved");
    catalog
        .reserve(at(2), &h, vec![player("h-alice", "alice")])
        .await
        .expect("reserved");
    claim(catalog, at(3), "g-alice", &g).await;
    catalog.complete(at(4), "g-alice").await.expect("completed");

    let alice = catalog
        .player_sessions_of_player("alice")
        .await
        .expect("listed");
    assert_eq!(
        alice,
        [
            player_session(catalog, "g-alice").await,
            player_session(catalog, "h-alice").await,
        ]
    );
    assert_eq!(alice[0].status, PlayerSessionStatus::Completed);
    let bob = catalog
        .player_sessions_of_player("bob")
        .await
        .expect("listed");
    assert_eq!(ids_of(&bob), ["g-bob"]);
    assert_eq!(catalog.player_sessions_of_player("carol").await, Ok(vec![]));
}

pub async fn status_counts_count_every_remembered_record_by_status(catalog: &dyn Catalog) {
    assert_eq!(status_counts(catalog).await, StatusCounts::default());
    create(catalog, at(0), "activating").await;
    let playing = active(catalog, at(0), "active", 8).await;
    let stopping = active(catalog, at(0), "terminating", 8).await;
    let terminated = active(catalog, at(0), "terminated", 8).await;
    let failed = create(catalog, at(0), "error").await;
    reserve(catalog, at(0), &playing, &["timed-out"]).await;
    catalog.expire(at(0) + TIMEOUT).await.expect("swept");
    let later = at(0) + TIMEOUT;
    reserve(
        catalog,
        later,
        &playing,
        &["reserved", "active", "completed"],
    )
    .await;
    claim(catalog, later, "active", &playing).await;
    claim(catalog, later, "completed", &playing).await;
    catalog
        .complete(later, "completed")
        .await
        .expect("completed");
    reserve(catalog, later, &terminated, &["ended-with-its-game"]).await;
    catalog
        .terminating(&stopping, "FORCE_TERMINATED")
        .await
        .expect("terminating");
    end(catalog, later, &terminated, GameSessionStatus::Terminated).await;
    end(catalog, later, &failed, GameSessionStatus::Error).await;

    let counts = status_counts(catalog).await;
    assert_eq!(counts.game_sessions, [1, 1, 1, 1, 1], "{counts:?}");
    assert_eq!(counts.player_sessions, [1, 1, 2, 1], "{counts:?}");
    let games = all_game_sessions(catalog).await;
    assert_eq!(counts.game_sessions.iter().sum::<usize>(), games.len());
    let mut players = 0;
    for g in &games {
        players += player_sessions(catalog, &g.id).await.len();
    }
    assert_eq!(counts.player_sessions.iter().sum::<usize>(), players);
}

// Helpers.

fn spec(max_players: u32) -> GameSessionSpec {
    GameSessionSpec {
        max_players,
        location: "local".into(),
        ..GameSessionSpec::default()
    }
}

fn with_token(spec: GameSessionSpec, token: &str) -> GameSessionSpec {
    GameSessionSpec {
        idempotency_token: Some(token.into()),
        ..spec
    }
}

fn with_properties(pairs: &[(&str, &str)]) -> GameSessionUpdate {
    GameSessionUpdate {
        properties: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..GameSessionUpdate::default()
    }
}

fn script(id: &str, revision: u64) -> ScriptRef {
    ScriptRef {
        id: id.into(),
        version: Some("1.0".into()),
        revision,
    }
}

/// One reservation request: player session `id` for player `player-of-<id>`.
fn seat(id: &str) -> (String, String, Option<String>) {
    (id.into(), format!("player-of-{id}"), None)
}

/// A game session's properties as a map: their order is not part of the contract.
fn properties(record: &GameSession) -> BTreeMap<&str, &str> {
    record
        .spec
        .properties
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Creates game session `id`, `ACTIVATING`.
async fn create(catalog: &dyn Catalog, now: SystemTime, id: &str) -> GameSessionId {
    let id = GameSessionId::new(id);
    let (_, created) = catalog
        .create_game_session(now, id.clone(), spec(4), ROOMY)
        .await
        .expect("created");
    assert!(created);
    id
}

/// Creates game session `id` and activates it.
async fn active(
    catalog: &dyn Catalog,
    now: SystemTime,
    id: &str,
    max_players: u32,
) -> GameSessionId {
    let id = GameSessionId::new(id);
    catalog
        .create_game_session(now, id.clone(), spec(max_players), ROOMY)
        .await
        .expect("created");
    catalog.activate(&id, None).await.expect("activated");
    id
}

async fn end(
    catalog: &dyn Catalog,
    now: SystemTime,
    id: &GameSessionId,
    status: GameSessionStatus,
) {
    catalog
        .end_game_session(now, id, status, None)
        .await
        .expect("ended");
}

async fn reserve(catalog: &dyn Catalog, now: SystemTime, game: &GameSessionId, ids: &[&str]) {
    let seats = ids.iter().map(|id| seat(id)).collect();
    catalog.reserve(now, game, seats).await.expect("reserved");
}

async fn claim(catalog: &dyn Catalog, now: SystemTime, id: &str, game: &GameSessionId) {
    assert_eq!(catalog.claim(now, id).await, Ok(game.clone()), "claim {id}");
}

async fn game_session(catalog: &dyn Catalog, id: &GameSessionId) -> GameSession {
    catalog
        .game_session(id)
        .await
        .expect("read")
        .unwrap_or_else(|| panic!("{id} is remembered"))
}

async fn player_session(catalog: &dyn Catalog, id: &str) -> PlayerSession {
    catalog
        .player_session(id)
        .await
        .expect("read")
        .unwrap_or_else(|| panic!("{id} is remembered"))
}

async fn player_sessions(catalog: &dyn Catalog, game: &GameSessionId) -> Vec<PlayerSession> {
    catalog
        .player_sessions_of(game)
        .await
        .expect("read")
        .unwrap_or_else(|| panic!("{game} is remembered"))
}

async fn all_game_sessions(catalog: &dyn Catalog) -> Vec<GameSession> {
    catalog.game_sessions().await.expect("listed")
}

async fn running_of(catalog: &dyn Catalog) -> Vec<(GameSession, usize)> {
    catalog.running().await.expect("listed")
}

async fn status_counts(catalog: &dyn Catalog) -> StatusCounts {
    catalog.status_counts().await.expect("counted")
}

fn ids(records: &[GameSession]) -> Vec<&str> {
    records.iter().map(|g| g.id.as_str()).collect()
}

fn ids_of(records: &[PlayerSession]) -> Vec<&str> {
    records.iter().map(|p| p.id.as_str()).collect()
}

fn assert_increasing(sequences: impl Iterator<Item = u64>) {
    let sequences: Vec<u64> = sequences.collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
}

fn assert_ok_or_not_found(result: Result<(), CatalogError>) {
    assert!(
        matches!(result, Ok(()) | Err(CatalogError::NotFound(_))),
        "{result:?}"
    );
}
