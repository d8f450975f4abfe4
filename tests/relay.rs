//! Logging in and relaying between real clients over real sockets: to a player, a group, all
//! players and the server; group membership; the UDP fast path and its fallbacks.

mod support;

use std::time::Duration;

use support::*;
use volley::Options;
use volley::client::{Channel, ClientConfig, ClientError, ConnectionState, RtMessage};
use volley::protocol::{GroupId, Opcode, PeerId};

const QUIET: Duration = Duration::from_millis(200);

#[tokio::test]
async fn login_succeeds_with_a_reserved_player_session() {
    let server = TestServer::start().await;
    let game = server.game_session(4).await;
    let first = server.player(&game).await;
    let second = server.player(&game).await;
    assert!(first.peer_id().is_player());
    assert!(second.peer_id().0 > first.peer_id().0, "peer ids increase");
    assert_eq!(first.fast_port(), server.addresses.udp.port());
    assert_eq!(server.metrics().logins_accepted, 2);
    server.stop().await;
}

#[tokio::test]
async fn unknown_used_and_empty_player_sessions_are_refused_with_1008() {
    let server = TestServer::start().await;
    let game = server.game_session(4).await;
    let used = server.player_session(&game).await;
    let _client = server
        .connect(&used, ClientConfig::default())
        .await
        .expect("first use");
    for id in ["psess-unknown", used.as_str(), ""] {
        let mut raw = server.raw().await;
        raw.login(id).await;
        let result = raw.next_packet().await;
        assert_eq!(result.op_code, Opcode::LOGIN_RESULT.0);
        match result.body {
            Some(volley::protocol::Body::LoginResult(r)) => assert!(!r.success, "{id:?} refused"),
            other => panic!("expected a login result, got {other:?}"),
        }
        assert!(
            matches!(raw.next().await, Seen::Closed(Some(1008))),
            "{id:?} closed with 1008"
        );
        let refused = server.connect(id, ClientConfig::default()).await;
        assert!(
            matches!(refused, Err(ClientError::LoginRefused)),
            "{id:?}: {refused:?}"
        );
    }
    assert_eq!(server.metrics().logins_refused_player_session, 6);
    server.stop().await;
}

#[tokio::test]
async fn an_expired_reservation_is_refused() {
    let mut config = test_config();
    config.sessions.reservation_timeout = Duration::from_millis(100);
    let server = TestServer::with(config, Options::default()).await;
    let game = server.game_session(4).await;
    let id = server.player_session(&game).await;
    // Let the reservation time out; the refusal below is what is asserted.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let refused = server.connect(&id, ClientConfig::default()).await;
    assert!(
        matches!(refused, Err(ClientError::LoginRefused)),
        "{refused:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_full_session_refuses_the_next_login() {
    let mut config = test_config();
    config.sessions.max_players = 2;
    let server = TestServer::with(
        config,
        Options {
            dev: true,
            ..Options::default()
        },
    )
    .await;
    let _a = server
        .connect("a", ClientConfig::default())
        .await
        .expect("first");
    let _b = server
        .connect("b", ClientConfig::default())
        .await
        .expect("second");
    let third = server.connect("c", ClientConfig::default()).await;
    assert!(matches!(third, Err(ClientError::LoginRefused)), "{third:?}");
    assert_eq!(server.metrics().logins_refused_session, 1);
    // Reservations count against capacity too.
    let game = server.game_session(1).await;
    server.player_session(&game).await;
    assert_eq!(
        server
            .sessions
            .create_player_sessions(&game, vec![("late".into(), None)])
            .await,
        Err(volley::catalog::CatalogError::Full(game.clone()))
    );
    server.stop().await;
}

#[tokio::test]
async fn messages_reach_one_player_with_the_real_sender() {
    let server = TestServer::start().await;
    let game = server.game_session(4).await;
    let a = server.ws_player(&game).await;
    let mut b = server.ws_player(&game).await;
    let mut c = server.ws_player(&game).await;
    a.send(RtMessage::to_player(Opcode(42), b.peer_id(), "for b"))
        .await
        .expect("sent");
    let got = next_data(&mut b).await;
    assert_eq!(
        (got.sender, got.op_code, &got.payload[..]),
        (a.peer_id(), Opcode(42), &b"for b"[..])
    );
    assert_eq!(
        (got.target_player, got.channel),
        (b.peer_id(), Channel::Reliable)
    );
    assert_no_data(&mut c, QUIET).await;
    server.stop().await;
}

#[tokio::test]
async fn all_players_group_reaches_everyone_including_the_sender() {
    let server = TestServer::start().await;
    let game = server.game_session(4).await;
    let mut players = Vec::new();
    for _ in 0..3 {
        players.push(server.ws_player(&game).await);
    }
    let sender = players[1].peer_id();
    players[1]
        .send(RtMessage::to_group(Opcode(7), GroupId::ALL_PLAYERS, "all"))
        .await
        .expect("sent");
    for player in &mut players {
        let got = next_data(player).await;
        assert_eq!(
            (got.sender, got.target_group, &got.payload[..]),
            (sender, GroupId::ALL_PLAYERS, &b"all"[..])
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn sessions_are_isolated_from_each_other() {
    let server = TestServer::start().await;
    let (one, two) = (server.game_session(4).await, server.game_session(4).await);
    let a = server.ws_player(&one).await;
    let mut b = server.ws_player(&one).await;
    let mut other = server.ws_player(&two).await;
    a.send(RtMessage::to_group(Opcode(7), GroupId::ALL_PLAYERS, "x"))
        .await
        .expect("sent");
    next_data(&mut b).await;
    // A peer id from another session is not a valid target here.
    a.send(RtMessage::to_player(Opcode(7), other.peer_id(), "x"))
        .await
        .expect("sent");
    assert_no_data(&mut other, QUIET).await;
    server.stop().await;
}

#[tokio::test]
async fn messages_to_the_server_are_not_relayed() {
    let server = TestServer::start().await;
    let game = server.game_session(4).await;
    let a = server.ws_player(&game).await;
    let mut b = server.ws_player(&game).await;
    a.send_event(Opcode(5), "to server").await.expect("sent");
    a.send(RtMessage::to_player(Opcode(5), PeerId::NONE, "no target"))
        .await
        .expect("sent");
    assert_no_data(&mut b, QUIET).await;
    server.stop().await;
}

#[tokio::test]
async fn group_membership_updates_and_group_messages() {
    let server = TestServer::start().await;
    let game = server.game_session(4).await;
    let mut a = server.ws_player(&game).await;
    let mut b = server.ws_player(&game).await;
    let mut c = server.ws_player(&game).await;
    let (pa, pb) = (a.peer_id().0, b.peer_id().0);
    let group = GroupId(12);
    a.join_group(group).await.expect("sent");
    assert_eq!(next_membership(&mut a).await, (pa, 12, vec![pa]));
    b.join_group(group).await.expect("sent");
    assert_eq!(next_membership(&mut a).await, (pb, 12, vec![pa, pb]));
    assert_eq!(next_membership(&mut b).await, (pb, 12, vec![pa, pb]));
    assert_eq!(b.groups(), vec![group]);

    a.send(RtMessage::to_group(Opcode(9), group, "team"))
        .await
        .expect("sent");
    assert_eq!(&next_data(&mut b).await.payload[..], b"team");
    assert_eq!(
        &next_data(&mut a).await.payload[..],
        b"team",
        "echoed to the sender"
    );
    // Non-members cannot send to the group, and do not receive from it.
    c.send(RtMessage::to_group(Opcode(9), group, "intruder"))
        .await
        .expect("sent");
    assert_no_data(&mut a, QUIET).await;
    assert_no_data(&mut c, Duration::ZERO).await;

    c.request_group_membership(group).await.expect("sent");
    assert_eq!(
        next_membership(&mut c).await,
        (c.peer_id().0, 12, vec![pa, pb])
    );

    a.leave_group(group).await.expect("sent");
    assert_eq!(next_membership(&mut b).await, (pa, 12, vec![pb]));
    assert_eq!(next_membership(&mut a).await, (pa, 12, vec![pb]));
    assert!(a.groups().is_empty());
    // A member leaving by disconnecting: the server announces it with sender -1.
    let mut d = server.ws_player(&game).await;
    d.join_group(group).await.expect("sent");
    next_membership(&mut d).await;
    next_membership(&mut b).await;
    d.disconnect().await;
    assert_eq!(next_membership(&mut b).await, (-1, 12, vec![pb]));
    server.stop().await;
}

#[tokio::test]
async fn fast_messages_travel_by_udp_with_increasing_sequence_numbers() {
    let server = TestServer::start().await;
    let game = server.game_session(4).await;
    let a = server.player(&game).await;
    let mut b = server.player(&game).await;
    within("a fast", a.wait_fast_ready(support::STEP))
        .await
        .expect("a bound");
    within("b fast", b.wait_fast_ready(support::STEP))
        .await
        .expect("b bound");
    let mut last = 0;
    for i in 0..20u8 {
        a.send(RtMessage::to_player(Opcode(3), b.peer_id(), vec![i]))
            .await
            .expect("sent");
        let got = next_data(&mut b).await;
        assert_eq!(
            (got.channel, got.sender, &got.payload[..]),
            (Channel::Fast, a.peer_id(), &[i][..])
        );
        assert!(got.sequence_number > last, "sequence numbers increase");
        last = got.sequence_number;
    }
    // Reliable intent still takes the WebSocket.
    a.send(RtMessage::to_player(Opcode(3), b.peer_id(), "r").reliable())
        .await
        .expect("sent");
    assert_eq!(next_data(&mut b).await.channel, Channel::Reliable);
    let metrics = server.metrics();
    assert!(metrics.fast_out >= 20, "{metrics:?}");
    server.stop().await;
}

#[tokio::test]
async fn fast_messages_fall_back_to_the_websocket_when_udp_is_blocked() {
    let mut config = test_config();
    // Clients are told a UDP port where nothing listens: their binding never completes.
    config.game.advertised_fast_port = Some(unused_addr().port());
    let server = TestServer::with(config, Options::default()).await;
    let game = server.game_session(4).await;
    let a = server.player(&game).await;
    let mut b = server.player(&game).await;
    assert_eq!(a.state(), ConnectionState::Connected);
    a.send(RtMessage::to_player(Opcode(3), b.peer_id(), "via ws"))
        .await
        .expect("sent");
    let got = next_data(&mut b).await;
    assert_eq!(
        (got.channel, &got.payload[..]),
        (Channel::Reliable, &b"via ws"[..])
    );
    assert_eq!(
        b.state(),
        ConnectionState::Connected,
        "never switched to fast"
    );
    server.stop().await;
}

#[tokio::test]
async fn udp_from_another_ip_is_not_bound_and_the_client_keeps_the_websocket() {
    let server = TestServer::start().await;
    let game = server.game_session(4).await;
    let mut a = server.player(&game).await;
    // 127.0.0.2 is loopback too, but not the IP the WebSocket came from.
    let config = ClientConfig {
        udp_bind: "127.0.0.2:0".parse().expect("addr"),
        ..Default::default()
    };
    let mut b = server
        .connect(&server.player_session(&game).await, config)
        .await
        .expect("login");
    within("a fast", a.wait_fast_ready(support::STEP))
        .await
        .expect("a bound");
    eventually("spoof check counted", async || {
        server.metrics().dropped_source_ip_mismatch > 0
    })
    .await;
    assert_eq!(b.state(), ConnectionState::Connected);
    a.send(RtMessage::to_player(Opcode(3), b.peer_id(), "x"))
        .await
        .expect("sent");
    assert_eq!(next_data(&mut b).await.channel, Channel::Reliable);
    b.send(RtMessage::to_player(Opcode(3), a.peer_id(), "y"))
        .await
        .expect("sent");
    assert_eq!(next_data(&mut a).await.channel, Channel::Reliable);
    server.stop().await;

    // With the check off, the same client binds.
    let mut config = test_config();
    config.sessions.check_udp_source_ip = false;
    let server = TestServer::with(config, Options::default()).await;
    let game = server.game_session(4).await;
    let config = ClientConfig {
        udp_bind: "127.0.0.2:0".parse().expect("addr"),
        ..Default::default()
    };
    let b = server
        .connect(&server.player_session(&game).await, config)
        .await
        .expect("login");
    within("b fast", b.wait_fast_ready(support::STEP))
        .await
        .expect("bound without the check");
    server.stop().await;
}

#[tokio::test]
async fn a_client_close_is_answered_and_frees_the_player() {
    let server = TestServer::dev().await;
    let mut raw = server.raw().await;
    raw.login_ok("closer").await;
    within("close", futures_util::SinkExt::close(&mut raw.ws))
        .await
        .expect("close sent");
    assert!(
        matches!(raw.next().await, Seen::Closed(_)),
        "the server answered the close"
    );
    let mut b = server
        .connect("other", volley::client::ClientConfig::default())
        .await
        .expect("login");
    b.request_group_membership(GroupId::ALL_PLAYERS)
        .await
        .expect("sent");
    assert_eq!(next_membership(&mut b).await.2, vec![b.peer_id().0]);
    server.stop().await;
}

#[tokio::test]
async fn terminating_a_game_session_disconnects_its_players_and_completes_their_sessions() {
    use volley::catalog::{GameSessionStatus, PlayerSessionStatus};
    let server = TestServer::start().await;
    let game = server.game_session(4).await;
    let id = server.player_session(&game).await;
    let mut player = server
        .connect(&id, ClientConfig::default())
        .await
        .expect("login");
    let other = server.game_session(4).await;
    let mut bystander = server.ws_player(&other).await;
    eventually("player session active", async || {
        server.player_record(&id).await.map(|p| p.status) == Some(PlayerSessionStatus::Active)
    })
    .await;
    within(
        "terminate",
        server
            .sessions
            .terminate_game_session(&game, "FORCE_TERMINATED", true),
    )
    .await
    .expect("known game session");
    assert_eq!(next_close(&mut player).await, Some(1001));
    eventually("game session terminated", async || {
        server.record(&game).await.map(|g| g.status) == Some(GameSessionStatus::Terminated)
    })
    .await;
    let record = server.record(&game).await.expect("remembered");
    assert_eq!(record.status_reason, Some("FORCE_TERMINATED"));
    assert_eq!(
        server.player_record(&id).await.map(|p| p.status),
        Some(PlayerSessionStatus::Completed)
    );
    // Another game session is untouched.
    bystander
        .request_group_membership(GroupId::ALL_PLAYERS)
        .await
        .expect("sent");
    assert_eq!(
        next_membership(&mut bystander).await.2,
        vec![bystander.peer_id().0]
    );
    server.stop().await;
}
