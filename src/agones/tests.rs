use super::*;

fn observed(game_sessions: i64, players: i64) -> Observed {
    Observed {
        game_sessions,
        game_session_capacity: 100,
        players,
        player_capacity: 1000,
        draining: false,
    }
}

fn after(calls: &[Call]) -> Reported {
    let mut reported = Reported::default();
    for call in calls {
        reported.apply(call);
    }
    reported
}

#[test]
fn an_empty_host_says_ready_first_then_labels_and_counters() {
    let calls = plan(&Reported::default(), &observed(0, 0));
    assert_eq!(
        calls,
        [
            Call::Lifecycle(Lifecycle::Ready),
            Call::Labels,
            Call::Counter {
                name: GAME_SESSIONS_COUNTER,
                count: 0,
                capacity: 100
            },
            Call::Counter {
                name: PLAYERS_COUNTER,
                count: 0,
                capacity: 1000
            },
        ]
    );
    assert_eq!(plan(&after(&calls), &observed(0, 0)), []);
}

#[test]
fn game_sessions_allocate_and_an_empty_host_is_ready_again() {
    let ready = after(&plan(&Reported::default(), &observed(0, 0)));
    let calls = plan(&ready, &observed(2, 3));
    assert_eq!(calls[0], Call::Lifecycle(Lifecycle::Allocated));
    assert_eq!(calls.len(), 3, "{calls:?}");
    let allocated = after(&[plan(&Reported::default(), &observed(0, 0)), calls].concat());
    assert_eq!(plan(&allocated, &observed(2, 3)), []);
    let calls = plan(&allocated, &observed(0, 0));
    assert_eq!(calls[0], Call::Lifecycle(Lifecycle::Ready));
}

#[test]
fn a_draining_host_is_not_offered_again() {
    let mut reported = after(&plan(&Reported::default(), &observed(1, 1)));
    assert_eq!(reported.lifecycle, Some(Lifecycle::Allocated));
    let draining = Observed {
        draining: true,
        ..observed(0, 0)
    };
    let calls = plan(&reported, &draining);
    assert!(
        !calls.iter().any(|c| matches!(c, Call::Lifecycle(_))),
        "{calls:?}"
    );
    reported.lifecycle = None;
    assert!(
        !plan(&reported, &draining)
            .iter()
            .any(|c| matches!(c, Call::Lifecycle(_)))
    );
}

#[test]
fn the_address_comes_from_the_named_ports_of_the_status() {
    let settings = crate::config::Config::default().agones;
    let port = |name: &str, port| ::agones::Port {
        name: name.into(),
        port,
    };
    let mut status = ::agones::Status {
        address: "203.0.113.7".into(),
        ports: vec![port("game", 7001), port("fast", 7002)],
        ..Default::default()
    };
    let advertised = Advertised::of(&status, &settings).expect("complete");
    assert_eq!(advertised.port, 7001);
    assert_eq!(advertised.fast_port, Some(7002));
    assert_eq!(advertised.ip(), Some([203, 0, 113, 7].into()));
    status.ports.pop();
    assert_eq!(
        Advertised::of(&status, &settings)
            .expect("no fast port")
            .fast_port,
        None
    );
    status.ports.clear();
    assert_eq!(Advertised::of(&status, &settings), None);
    status.ports.push(port("game", 7001));
    status.address.clear();
    assert_eq!(Advertised::of(&status, &settings), None);
}
