//! Secure mode over TCP: `wss://` logins with a CA certificate and a connect token, TLS 1.2
//! and 1.3, mixed mode, failed and abandoned TLS handshakes, certificate reload, and the
//! control API over HTTPS. Real server on 127.0.0.1:0, real clients.

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use volley::Options;
use volley::client::{Channel, Client, ClientConfig, ClientError, RtMessage, SecureConfig};
use volley::config::SecureMode;
use volley::protocol::{LoginResult, Opcode, Packet};

mod support;

use support::{
    RawWs, TempDir, TestServer, eventually, next_data, raw_wss, secure_config, test_certs,
    tls_client_config, tls_connect, within,
};

const TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
const TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

fn to_player(peer: i32, payload: &'static str) -> Packet {
    Packet {
        op_code: 1,
        target_player: peer,
        reliable: true,
        payload: Bytes::from_static(payload.as_bytes()),
        ..Default::default()
    }
}

fn is_connect_token(token: &str) -> bool {
    token.len() == 32
        && token
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// Sends `payload` from `from` to peer `to_peer` and checks that `to` receives it.
async fn relay<A, B>(from: &mut RawWs<A>, to: &mut RawWs<B>, to_peer: i32, payload: &'static str)
where
    A: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    B: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    from.send(&to_player(to_peer, payload)).await;
    let packet = to.next_packet().await;
    assert_eq!(packet.payload, payload.as_bytes());
}

#[tokio::test]
async fn a_wss_login_carries_the_ca_certificate_and_a_fresh_connect_token() {
    let dir = TempDir::new();
    let ca_file = dir.path().join("ca.pem");
    let server =
        TestServer::with(secure_config(&dir, SecureMode::Secure), Options::default()).await;
    let game = server.game_session(2).await;
    let tls = tls_client_config(&ca_file, TLS12);

    let mut alice = raw_wss(server.addresses.ws, tls.clone()).await;
    let alice_login: LoginResult = alice
        .login_result(&server.player_session(&game).await)
        .await;
    let mut bob = raw_wss(server.addresses.ws, tls).await;
    let bob_login = bob.login_result(&server.player_session(&game).await).await;

    let ca_pem = std::fs::read(&ca_file).expect("ca.pem");
    for login in [&alice_login, &bob_login] {
        assert_eq!(login.ca_cert, ca_pem, "caCert is the CA's PEM");
        assert!(login.ca_cert.starts_with(b"-----BEGIN CERTIFICATE-----"));
        assert!(
            is_connect_token(&login.connect_token),
            "{}",
            login.connect_token
        );
        assert_ne!(login.fast_port, 0);
    }
    assert_ne!(alice_login.connect_token, bob_login.connect_token);

    relay(&mut alice, &mut bob, bob_login.peer_id, "over wss").await;
    relay(&mut bob, &mut alice, alice_login.peer_id, "and back").await;
    assert_eq!(server.metrics().connections_tls, 2);
    assert_eq!(server.metrics().tls_handshakes_failed, 0);
    server.stop().await;
}

#[tokio::test]
async fn tls_13_is_offered_too_and_another_ca_is_not_trusted() {
    let dir = TempDir::new();
    let ca_file = dir.path().join("ca.pem");
    let server =
        TestServer::with(secure_config(&dir, SecureMode::Secure), Options::default()).await;
    let game = server.game_session(2).await;

    let mut modern = raw_wss(server.addresses.ws, tls_client_config(&ca_file, TLS13)).await;
    let login = modern
        .login_result(&server.player_session(&game).await)
        .await;
    assert!(is_connect_token(&login.connect_token));

    let other = TempDir::new();
    let other_ca = test_certs(&other).ca_file.expect("other ca file");
    let refused = tls_connect(
        server.addresses.ws,
        tls_client_config(&other_ca, TLS12),
        "localhost",
    )
    .await;
    assert!(
        refused.is_err(),
        "a certificate from an unknown CA is refused"
    );
    eventually("the refused handshake is counted", async || {
        server.metrics().tls_handshakes_failed == 1
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn mixed_mode_serves_ws_and_wss_on_one_port() {
    let dir = TempDir::new();
    let ca_file = dir.path().join("ca.pem");
    let server = TestServer::with(secure_config(&dir, SecureMode::Mixed), Options::default()).await;
    let game = server.game_session(2).await;

    let mut plain = server.raw().await;
    let plain_login = plain
        .login_result(&server.player_session(&game).await)
        .await;
    assert!(
        plain_login.ca_cert.is_empty(),
        "a plain login has no caCert"
    );
    assert!(plain_login.connect_token.is_empty());

    let mut secure = raw_wss(server.addresses.ws, tls_client_config(&ca_file, TLS12)).await;
    let secure_login = secure
        .login_result(&server.player_session(&game).await)
        .await;
    assert!(!secure_login.ca_cert.is_empty());
    assert!(is_connect_token(&secure_login.connect_token));

    relay(&mut plain, &mut secure, secure_login.peer_id, "ws to wss").await;
    relay(&mut secure, &mut plain, plain_login.peer_id, "wss to ws").await;
    let metrics = server.metrics();
    assert_eq!(
        (metrics.connections_tls, metrics.connections_accepted),
        (1, 2)
    );
    server.stop().await;
}

/// Reads until the server closes the connection; fails the test if it does not in time.
async fn closed_by_server(stream: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    within("server closes the connection", async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
}

#[tokio::test]
async fn abandoned_tls_handshakes_time_out_and_garbage_is_refused_without_harm() {
    let dir = TempDir::new();
    let ca_file = dir.path().join("ca.pem");
    let mut config = secure_config(&dir, SecureMode::Secure);
    config.limits.handshake_timeout = Duration::from_secs(1);
    let server = TestServer::with(config, Options::default()).await;
    let game = server.game_session(2).await;
    let addr = server.addresses.ws;

    let mut silent = within("connect", TcpStream::connect(addr))
        .await
        .expect("tcp connect");
    let mut half = within("connect", TcpStream::connect(addr))
        .await
        .expect("tcp connect");
    // The start of a ClientHello record that announces 512 bytes and never sends them.
    within(
        "send",
        half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]),
    )
    .await
    .expect("sent");
    let started = tokio::time::Instant::now();

    // Meanwhile a real client logs in and the server keeps serving.
    let mut player = raw_wss(addr, tls_client_config(&ca_file, TLS12)).await;
    player
        .login_result(&server.player_session(&game).await)
        .await;

    closed_by_server(&mut silent).await;
    closed_by_server(&mut half).await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed by the handshake timeout, not before"
    );

    let mut garbage = within("connect", TcpStream::connect(addr))
        .await
        .expect("tcp connect");
    within(
        "send",
        garbage.write_all(b"GET /websocket HTTP/1.1\r\nHost: x\r\n\r\n"),
    )
    .await
    .expect("sent");
    closed_by_server(&mut garbage).await;
    eventually("three failed tls handshakes counted", async || {
        server.metrics().tls_handshakes_failed == 3
    })
    .await;

    let mut second = raw_wss(addr, tls_client_config(&ca_file, TLS12)).await;
    let login = second
        .login_result(&server.player_session(&game).await)
        .await;
    relay(&mut player, &mut second, login.peer_id, "still here").await;
    assert_eq!(server.metrics().connections_tls, 2);
    server.stop().await;
}

/// The leaf certificate a TLS handshake with the server presents.
async fn presented_leaf(
    addr: std::net::SocketAddr,
    tls: std::sync::Arc<rustls::ClientConfig>,
) -> Vec<u8> {
    let stream = tls_connect(addr, tls, "localhost")
        .await
        .expect("tls handshake");
    let (_, connection) = stream.get_ref();
    let chain = connection.peer_certificates().expect("a certificate");
    chain[0].to_vec()
}

#[tokio::test]
async fn reloaded_certificates_serve_new_handshakes_while_players_keep_playing() {
    let dir = TempDir::new();
    let ca_file = dir.path().join("ca.pem");
    let server =
        TestServer::with(secure_config(&dir, SecureMode::Secure), Options::default()).await;
    let certs = server.certs.clone().expect("certificates");
    let game = server.game_session(2).await;
    let old_tls = tls_client_config(&ca_file, TLS12);
    let old_leaf = support::pem_certs(&dir.path().join("server.pem"))[0].to_vec();
    assert_eq!(
        presented_leaf(server.addresses.ws, old_tls.clone()).await,
        old_leaf
    );

    let mut alice = raw_wss(server.addresses.ws, old_tls.clone()).await;
    let alice_login = alice
        .login_result(&server.player_session(&game).await)
        .await;
    let mut bob = raw_wss(server.addresses.ws, old_tls).await;
    let bob_login = bob.login_result(&server.player_session(&game).await).await;

    let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
    volley::certgen::generate(dir.path(), &names, true).expect("new certificates");
    certs.reload().expect("reloaded");
    let new_tls = tls_client_config(&ca_file, TLS12);
    let new_leaf = support::pem_certs(&dir.path().join("server.pem"))[0].to_vec();
    assert_ne!(new_leaf, old_leaf);
    assert_eq!(
        presented_leaf(server.addresses.ws, new_tls.clone()).await,
        new_leaf
    );
    relay(&mut alice, &mut bob, bob_login.peer_id, "after the reload").await;
    relay(&mut bob, &mut alice, alice_login.peer_id, "still talking").await;

    // A broken file is refused and the certificate in use stays.
    std::fs::write(dir.path().join("server.pem"), "not a certificate").expect("written");
    assert!(certs.reload().is_err());
    assert_eq!(presented_leaf(server.addresses.ws, new_tls).await, new_leaf);
    server.stop().await;
}

/// One unsigned control API call over HTTPS (a fresh connection): (status, body).
async fn https_call(
    control: std::net::SocketAddr,
    tls: std::sync::Arc<rustls::ClientConfig>,
    op: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut stream = tls_connect(control, tls, "localhost")
        .await
        .expect("tls handshake");
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: GameLift.{op}\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    within("request", stream.write_all(request.as_bytes()))
        .await
        .expect("request sent");
    let mut response = Vec::new();
    // A server may end TLS without close_notify after `Connection: close`; what was read
    // before counts.
    let _ = within("response", stream.read_to_end(&mut response)).await;
    let response = String::from_utf8(response).expect("utf-8 response");
    let status = response[9..12].parse().expect("status code");
    let json = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(json).expect("json body"))
}

#[tokio::test]
async fn the_control_api_serves_https_and_a_stalled_handshake_blocks_no_one() {
    let dir = TempDir::new();
    let ca_file = dir.path().join("ca.pem");
    let mut config = secure_config(&dir, SecureMode::Plain);
    config.tls.control = true;
    config.control.auth = volley::config::AuthMode::None;
    config.limits.handshake_timeout = Duration::from_secs(1);
    let server = TestServer::with(config, Options::default()).await;
    let control = server.addresses.control;
    let tls = tls_client_config(&ca_file, TLS12);

    // A client that opens a connection and never starts its handshake.
    let mut stalled = within("connect", TcpStream::connect(control))
        .await
        .expect("tcp connect");
    let create = serde_json::json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": 2});
    let (status, created) = https_call(control, tls.clone(), "CreateGameSession", &create).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["GameSession"]["Status"], "ACTIVE");
    let describe = serde_json::json!({"FleetId": "fleet-local"});
    let modern = tls_client_config(&ca_file, TLS13);
    let (status, described) = https_call(control, modern, "DescribeGameSessions", &describe).await;
    assert_eq!(status, 200, "{described}");

    // Plain HTTP on the HTTPS port is a failed handshake.
    let mut plain = within("connect", TcpStream::connect(control))
        .await
        .expect("tcp connect");
    within(
        "send",
        plain.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"),
    )
    .await
    .expect("sent");
    closed_by_server(&mut plain).await;
    eventually("the plain request is counted", async || {
        server.metrics().tls_handshakes_failed == 1
    })
    .await;
    // The stalled one is closed at the handshake timeout.
    closed_by_server(&mut stalled).await;
    eventually("the stalled handshake is counted", async || {
        server.metrics().tls_handshakes_failed == 2
    })
    .await;
    // The game port stays plain.
    let game = server.game_session(1).await;
    server
        .raw()
        .await
        .login_ok(&server.player_session(&game).await)
        .await;
    server.stop().await;
}

/// A Rust client configuration for `wss://` trusting `ca_file`.
fn secure_client(ca_file: &std::path::Path, tls12_only: bool) -> ClientConfig {
    let pem = std::fs::read(ca_file).expect("ca.pem");
    let mut secure = SecureConfig::from_ca_pem(&pem).expect("trust anchors");
    secure.tls12_only = tls12_only;
    ClientConfig {
        secure: Some(secure),
        ..ClientConfig::default()
    }
}

/// `from` sends `text` reliably to `to`, which receives it.
async fn talk(from: &Client, to: &mut Client, text: &'static str) {
    let message = RtMessage::to_player(Opcode(1), to.peer_id(), text).reliable();
    within("send", from.send(message)).await.expect("sent");
    let data = next_data(to).await;
    assert_eq!(
        (data.sender, &data.payload[..]),
        (from.peer_id(), text.as_bytes())
    );
}

#[tokio::test]
async fn the_rust_client_logs_in_over_wss_and_trusts_only_its_roots() {
    let dir = TempDir::new();
    let ca_file = dir.path().join("ca.pem");
    let server =
        TestServer::with(secure_config(&dir, SecureMode::Secure), Options::default()).await;
    let game = server.game_session(3).await;

    // TLS 1.2 only, like the C# SDK; the certificate names 127.0.0.1, the host connected to.
    let mut alice = server
        .connect(
            &server.player_session(&game).await,
            secure_client(&ca_file, true),
        )
        .await
        .expect("login over wss");
    let mut bob = server
        .connect(
            &server.player_session(&game).await,
            secure_client(&ca_file, true),
        )
        .await
        .expect("login over wss");
    talk(&alice, &mut bob, "hello bob").await;
    talk(&bob, &mut alice, "hello alice").await;
    // The fast channel is DTLS (tests/dtls.rs has the details).
    for client in [&alice, &bob] {
        within("dtls", client.wait_fast_ready(support::STEP))
            .await
            .expect("fast channel verified");
    }
    let fast = RtMessage::to_player(Opcode(2), bob.peer_id(), "fast intent");
    within("send", alice.send(fast)).await.expect("sent");
    assert_eq!(next_data(&mut bob).await.channel, Channel::Fast);

    // TLS 1.3, checking the certificate for `localhost`.
    let mut modern = secure_client(&ca_file, false);
    if let Some(secure) = modern.secure.as_mut() {
        secure.server_name = Some("localhost".into());
    }
    let mut carol = server
        .connect(&server.player_session(&game).await, modern)
        .await
        .expect("login over wss with tls 1.3");
    talk(&carol, &mut alice, "hello from 1.3").await;
    talk(&alice, &mut carol, "hello back").await;

    let other = TempDir::new();
    let other_ca = test_certs(&other).ca_file.expect("other ca file");
    let game2 = server.game_session(2).await;
    let refused = server
        .connect(
            &server.player_session(&game2).await,
            secure_client(&other_ca, true),
        )
        .await;
    assert!(matches!(refused, Err(ClientError::Tls(_))), "{refused:?}");
    let mut wrong_name = secure_client(&ca_file, true);
    if let Some(secure) = wrong_name.secure.as_mut() {
        secure.server_name = Some("example.com".into());
    }
    let refused = server
        .connect(&server.player_session(&game2).await, wrong_name)
        .await;
    assert!(matches!(refused, Err(ClientError::Tls(_))), "{refused:?}");
    assert_eq!(server.metrics().connections_tls, 3);
    server.stop().await;
}

#[tokio::test]
async fn rust_clients_with_and_without_tls_share_a_mixed_port() {
    let dir = TempDir::new();
    let ca_file = dir.path().join("ca.pem");
    let server = TestServer::with(secure_config(&dir, SecureMode::Mixed), Options::default()).await;
    let game = server.game_session(2).await;
    let mut plain = server.ws_player(&game).await;
    let mut secure = server
        .connect(
            &server.player_session(&game).await,
            secure_client(&ca_file, true),
        )
        .await
        .expect("login over wss");
    talk(&plain, &mut secure, "from ws").await;
    talk(&secure, &mut plain, "from wss").await;
    let metrics = server.metrics();
    assert_eq!(
        (metrics.connections_tls, metrics.connections_accepted),
        (1, 2)
    );
    server.stop().await;
}
