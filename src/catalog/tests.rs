//! The records' rules, without a store: given these calls, exactly these records.

use std::time::{Duration, SystemTime};

use super::*;
use crate::core::{GameSessionId, LoginRefusal};

const MINUTE: Duration = Duration::from_secs(60);

fn active(catalog: &mut Records, now: SystemTime, id: &str, max_players: u32) -> GameSessionId {
    let id = GameSessionId::new(id);
    let spec = GameSessionSpec {
        max_players,
        ..Default::default()
    };
    catalog
        .create_game_session(now, id.clone(), spec)
        .expect("new id");
    catalog.activate(&id, None);
    id
}

fn player(id: &str) -> (String, String, Option<String>) {
    (id.into(), format!("player-of-{id}"), None)
}

#[test]
fn a_player_session_is_used_once_and_completes() {
    let now = SystemTime::now();
    let mut c = Records::new(MINUTE, 60 * MINUTE);
    let g = active(&mut c, now, "g", 4);
    c.reserve(now, &g, vec![player("p1")]).expect("slot");
    assert_eq!(
        c.game_session(&g).map(|r| r.current_player_sessions),
        Some(1)
    );
    assert_eq!(c.claim(now, "p1"), Ok(g.clone()));
    assert_eq!(
        c.player_session("p1").map(|p| p.status),
        Some(PlayerSessionStatus::Active)
    );
    assert_eq!(c.claim(now, "p1"), Err(LoginRefusal::AlreadyUsed));
    assert_eq!(
        c.claim(now, "nope"),
        Err(LoginRefusal::UnknownPlayerSession)
    );
    assert_eq!(c.claim(now, ""), Err(LoginRefusal::EmptyPlayerSessionId));
    c.complete(now, "p1");
    let p1 = c.player_session("p1").expect("remembered");
    assert_eq!(
        (p1.status, p1.termination_time),
        (PlayerSessionStatus::Completed, Some(now))
    );
    assert_eq!(c.claim(now, "p1"), Err(LoginRefusal::AlreadyUsed));
    assert_eq!(
        c.game_session(&g).map(|r| r.current_player_sessions),
        Some(0)
    );
}

#[test]
fn reservations_are_all_or_nothing_within_capacity_and_status() {
    let now = SystemTime::now();
    let mut c = Records::new(MINUTE, 60 * MINUTE);
    let g = active(&mut c, now, "g", 2);
    assert_eq!(
        c.reserve(now, &g, vec![player("a"), player("b"), player("c")]),
        Err(CatalogError::Full(g.clone()))
    );
    assert_eq!(c.len().1, 0, "nothing reserved");
    c.reserve(now, &g, vec![player("a"), player("b")])
        .expect("fits");
    assert_eq!(
        c.reserve(now, &g, vec![player("c")]),
        Err(CatalogError::Full(g.clone()))
    );
    let unknown = GameSessionId::new("nope");
    assert_eq!(
        c.reserve(now, &unknown, vec![]),
        Err(CatalogError::NotFound("nope".into()))
    );
    let h = GameSessionId::new("h");
    let spec = GameSessionSpec {
        max_players: 2,
        ..Default::default()
    };
    c.create_game_session(now, h.clone(), spec).expect("new");
    let refused = c.reserve(now, &h, vec![player("x")]);
    assert!(
        matches!(refused, Err(CatalogError::InvalidStatus { .. })),
        "{refused:?}"
    );
    c.activate(&h, None);
    let deny = GameSessionUpdate {
        accepting_player_sessions: Some(false),
        ..Default::default()
    };
    c.update_game_session(&h, deny, 16).expect("active");
    assert_eq!(
        c.reserve(now, &h, vec![player("x")]),
        Err(CatalogError::InvalidStatus {
            id: h.clone(),
            status: "DENY_ALL"
        })
    );
}

#[test]
fn reservations_time_out_and_free_their_slot() {
    let t0 = SystemTime::now();
    let mut c = Records::new(MINUTE, 60 * MINUTE);
    let g = active(&mut c, t0, "g", 1);
    c.reserve(t0, &g, vec![player("early")]).expect("slot");
    let t1 = t0 + MINUTE;
    assert_eq!(c.claim(t1, "early"), Err(LoginRefusal::Expired));
    let early = c.player_session("early").expect("remembered");
    assert_eq!(
        (early.status, early.termination_time),
        (PlayerSessionStatus::TimedOut, Some(t1))
    );
    c.reserve(t1, &g, vec![player("late")])
        .expect("the slot was freed");
}

#[test]
fn idempotency_tokens_return_the_same_session_or_refuse_other_parameters() {
    let now = SystemTime::now();
    let mut c = Records::new(MINUTE, MINUTE);
    let spec = GameSessionSpec {
        max_players: 4,
        idempotency_token: Some("tok".into()),
        ..Default::default()
    };
    let id = GameSessionId::new("g/tok");
    let (first, created) = c
        .create_game_session(now, id.clone(), spec.clone())
        .expect("new");
    assert!(created);
    let (again, created) = c
        .create_game_session(now, id.clone(), spec.clone())
        .expect("same");
    assert_eq!((again, created), (first, false));
    let other = GameSessionSpec {
        max_players: 5,
        ..spec
    };
    assert_eq!(
        c.create_game_session(now, id, other),
        Err(CatalogError::IdempotentMismatch("tok".into()))
    );
}

#[test]
fn ending_a_game_session_completes_its_players_and_retention_forgets_everything() {
    let t0 = SystemTime::now();
    let mut c = Records::new(MINUTE, 10 * MINUTE);
    let g = active(&mut c, t0, "g", 4);
    c.reserve(t0, &g, vec![player("a"), player("b")])
        .expect("slots");
    c.claim(t0, "a").expect("reserved");
    c.end_game_session(
        t0,
        &g,
        GameSessionStatus::Terminated,
        Some("FORCE_TERMINATED"),
    );
    let record = c.game_session(&g).expect("remembered");
    assert_eq!(
        (record.status, record.termination_time),
        (GameSessionStatus::Terminated, Some(t0))
    );
    for id in ["a", "b"] {
        assert_eq!(
            c.player_session(id).map(|p| p.status),
            Some(PlayerSessionStatus::Completed)
        );
    }
    c.expire(t0 + 10 * MINUTE);
    assert!(c.is_empty(), "{:?}", c.len());
}

#[test]
fn ended_player_sessions_of_a_running_game_are_forgotten_after_retention() {
    let t0 = SystemTime::now();
    let mut c = Records::new(MINUTE, 10 * MINUTE);
    let g = active(&mut c, t0, "g", 4);
    c.reserve(t0, &g, vec![player("a"), player("b")])
        .expect("slots");
    c.claim(t0, "a").expect("reserved");
    c.complete(t0, "a");
    c.expire(t0 + 10 * MINUTE); // b timed out at t0 + 1 min, a completed at t0.
    assert_eq!(c.player_session("a"), None);
    assert_eq!(
        c.player_session("b").map(|p| p.status),
        Some(PlayerSessionStatus::TimedOut)
    );
    c.expire(t0 + 11 * MINUTE);
    assert!(c.player_sessions_of(&g).is_empty());
    assert_eq!(c.len(), (1, 0), "the running game session stays");
}

#[test]
fn status_counts_cover_every_remembered_record() {
    let t0 = SystemTime::now();
    let mut c = Records::new(MINUTE, 60 * MINUTE);
    let g = active(&mut c, t0, "g", 8);
    let h = active(&mut c, t0, "h", 8);
    c.create_game_session(t0, GameSessionId::new("new"), GameSessionSpec::default())
        .expect("new id");
    let players = ["a", "b", "c", "d"].map(player).to_vec();
    c.reserve(t0, &g, players).expect("slots");
    assert_eq!(c.claim(t0, "a"), Ok(g.clone()));
    assert_eq!(c.claim(t0, "b"), Ok(g.clone()));
    c.complete(t0, "b");
    c.terminating(&h, "test");
    c.expire(t0 + MINUTE); // c and d time out.
    let counts = c.status_counts();
    let game = |s: GameSessionStatus| counts.game_sessions[s as usize];
    let players = |s: PlayerSessionStatus| counts.player_sessions[s as usize];
    assert_eq!(game(GameSessionStatus::Activating), 1);
    assert_eq!(game(GameSessionStatus::Active), 1);
    assert_eq!(game(GameSessionStatus::Terminating), 1);
    assert_eq!(game(GameSessionStatus::Terminated), 0);
    assert_eq!(players(PlayerSessionStatus::Active), 1);
    assert_eq!(players(PlayerSessionStatus::Completed), 1);
    assert_eq!(players(PlayerSessionStatus::TimedOut), 2);
    assert_eq!(players(PlayerSessionStatus::Reserved), 0);
    c.end_game_session(t0 + MINUTE, &h, GameSessionStatus::Terminated, None);
    let counts = c.status_counts();
    assert_eq!(
        counts.game_sessions[GameSessionStatus::Terminated as usize],
        1
    );
    assert_eq!(counts.game_sessions.iter().sum::<usize>(), c.len().0);
    assert_eq!(counts.player_sessions.iter().sum::<usize>(), c.len().1);
}

#[test]
fn one_reservation_may_not_name_an_id_twice() {
    let now = SystemTime::now();
    let mut c = Records::new(MINUTE, 60 * MINUTE);
    let g = active(&mut c, now, "g", 4);
    assert_eq!(
        c.reserve(now, &g, vec![player("a"), player("a")]),
        Err(CatalogError::Duplicate("a".into()))
    );
    assert_eq!(c.len().1, 0, "nothing reserved");
    assert_eq!(
        c.game_session(&g).map(|r| r.current_player_sessions),
        Some(0)
    );
}

#[test]
fn ending_takes_only_an_ended_status_and_counts_once() {
    let now = SystemTime::now();
    let mut c = Records::new(MINUTE, 60 * MINUTE);
    let g = active(&mut c, now, "g", 4);
    c.end_game_session(now, &g, GameSessionStatus::Active, None);
    assert_eq!(
        c.game_session(&g).map(|r| r.status),
        Some(GameSessionStatus::Terminated)
    );
    c.end_game_session(now, &g, GameSessionStatus::Error, None);
    assert_eq!(c.running_game_sessions(), 0);
    assert_eq!(
        c.game_session(&g).map(|r| r.status),
        Some(GameSessionStatus::Terminated),
        "the first end stands"
    );
}

#[test]
fn a_reservation_past_its_deadline_times_out_even_when_its_game_session_ends_first() {
    let start = SystemTime::now();
    let mut c = Records::new(MINUTE, 60 * MINUTE);
    let g = active(&mut c, start, "g", 4);
    c.reserve(start, &g, vec![player("late")]).expect("slot");
    let later = start + 2 * MINUTE;
    c.end_game_session(later, &g, GameSessionStatus::Terminated, None);
    let late = c.player_session("late").expect("remembered");
    assert_eq!(
        (late.status, late.termination_time),
        (PlayerSessionStatus::TimedOut, Some(start + MINUTE))
    );
}

#[test]
fn an_id_reserved_again_after_it_was_forgotten_keeps_its_own_deadline() {
    let start = SystemTime::now();
    // Records are forgotten at once, before the reservation timeout.
    let mut c = Records::new(MINUTE, Duration::ZERO);
    let g = active(&mut c, start, "g", 4);
    c.reserve(start, &g, vec![player("p")]).expect("slot");
    assert_eq!(c.claim(start, "p"), Ok(g.clone()));
    c.complete(start, "p");
    c.expire(start);
    assert!(c.player_session("p").is_none(), "forgotten");
    let again = start + MINUTE / 2;
    c.reserve(again, &g, vec![player("p")]).expect("slot");
    // The first reservation's deadline passes: the second one is not touched.
    c.expire(start + MINUTE);
    assert_eq!(
        c.player_session("p").map(|p| p.status),
        Some(PlayerSessionStatus::Reserved)
    );
    c.expire(again + MINUTE);
    assert!(
        c.player_session("p").is_none(),
        "timed out at its own deadline, and forgotten at once"
    );
}
