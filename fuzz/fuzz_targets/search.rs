//! SearchGameSessions filter and sort expressions (`FilterExpression`, `SortExpression`):
//! parsing never panics; a filter that parses is evaluated against a few game sessions, and
//! `NOT (filter)` matches exactly where it does not; a sort is a consistent order.

#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use volley::catalog::{GameSession, GameSessionSpec, GameSessionStatus};
use volley::core::GameSessionId;
use volley::fuzzing::{parse_filter, parse_sort};

fn session(
    id: &str,
    name: Option<&str>,
    max: u32,
    count: u32,
    props: &[(&str, &str)],
) -> GameSession {
    GameSession {
        id: GameSessionId::new(format!(
            "arn:aws:gamelift:local::gamesession/fleet-local/{id}"
        )),
        spec: GameSessionSpec {
            max_players: max,
            name: name.map(str::to_owned),
            properties: props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Default::default()
        },
        status: GameSessionStatus::Active,
        status_reason: None,
        creation_time: UNIX_EPOCH + Duration::from_millis(1_767_225_600_123 + u64::from(count)),
        sequence: u64::from(count),
        termination_time: None,
        current_player_sessions: count,
        accepting_player_sessions: true,
        protected: false,
        script: None,
        placement: None,
    }
}

static SESSIONS: LazyLock<Vec<GameSession>> = LazyLock::new(|| {
    vec![
        session("a", Some("duel 1"), 4, 1, &[("mode", "duel"), ("map", "x")]),
        session("b", None, 8, 8, &[("mode", "ffa")]),
        session("c", Some(""), 0, 0, &[]),
        session("d", Some("Matt's game"), u32::MAX, 3, &[("level", "10")]),
    ]
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = parse_filter(text) {
        match parse_filter(&format!("NOT ({text})")) {
            Ok(negated) => {
                for session in SESSIONS.iter() {
                    assert_ne!(filter.matches(session), negated.matches(session), "{text}");
                }
            }
            // Two more levels may pass the nesting limit; nothing else may fail.
            Err(e) => assert!(e.message.contains("nested"), "{text}: {e}"),
        }
    }
    if let Ok(sort) = parse_sort(text) {
        for a in SESSIONS.iter() {
            assert_eq!(sort.compare(a, a), std::cmp::Ordering::Equal, "{text}");
            for b in SESSIONS.iter() {
                assert_eq!(sort.compare(a, b), sort.compare(b, a).reverse(), "{text}");
            }
        }
    }
});
