//! How a player's connection ends when the client ends it: a close frame is answered with
//! one (the WebSocket closing handshake), before and after login, over `ws://` and
//! `wss://`; a client that simply goes away (TCP closed, or TLS ended without close_notify, as
//! the C# SDK leaves) is a lost connection, not bad input. Each is counted as a disconnect
//! reason of its own.

mod support;

use futures_util::StreamExt;
use support::*;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use volley::config::SecureMode;

/// Sends a normal close and expects the server's close frame in answer, then the end.
async fn close_is_answered<S: AsyncRead + AsyncWrite + Unpin>(raw: &mut RawWs<S>) {
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    };
    within("send close", raw.ws.close(Some(frame)))
        .await
        .expect("close sent");
    match within("close answer", raw.ws.next()).await {
        Some(Ok(Message::Close(Some(answer)))) => assert_eq!(answer.code, CloseCode::Normal),
        other => panic!("expected a close frame in answer, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_close_is_answered_with_a_close_frame_over_ws() {
    let server = TestServer::dev().await;
    let mut player = server.raw().await;
    player.login_ok("leaver").await;
    close_is_answered(&mut player).await;
    eventually("counted as a client close", async || {
        server.metrics().client_closes == 1
    })
    .await;
    let mut before_login = server.raw().await;
    close_is_answered(&mut before_login).await;
    let metrics = server.metrics();
    assert_eq!(
        (metrics.malformed_in, metrics.connections_lost),
        (0, 0),
        "{metrics:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_client_close_is_answered_with_a_close_frame_over_wss() {
    let dir = TempDir::new();
    let server = dev_secure_server(&dir, SecureMode::Secure).await;
    let tls = tls_client_config(&dir.path().join("ca.pem"), &[&rustls::version::TLS12]);
    let mut player = raw_wss(server.addresses.ws, tls).await;
    player.login_ok("leaver").await;
    close_is_answered(&mut player).await;
    eventually("counted as a client close", async || {
        server.metrics().client_closes == 1
    })
    .await;
    assert_eq!(server.metrics().malformed_in, 0);
    server.stop().await;
}

#[tokio::test]
async fn leaving_without_a_close_frame_or_close_notify_is_a_lost_connection_not_bad_input() {
    let dir = TempDir::new();
    let server = dev_secure_server(&dir, SecureMode::Mixed).await;
    let tls = tls_client_config(&dir.path().join("ca.pem"), &[&rustls::version::TLS12]);
    let mut watcher = server.raw().await;
    watcher.login_ok("watcher").await;
    // Dropping the TLS stream closes the TCP connection without a close_notify alert.
    let mut secure = raw_wss(server.addresses.ws, tls).await;
    secure.login_ok("secure").await;
    drop(secure);
    let mut plain = server.raw().await;
    plain.login_ok("plain").await;
    drop(plain);
    eventually("both counted as lost connections", async || {
        server.metrics().connections_lost == 2
    })
    .await;
    let metrics = server.metrics();
    assert_eq!(
        (metrics.malformed_in, metrics.client_closes),
        (0, 0),
        "{metrics:?}"
    );
    // The others play on.
    watcher
        .send(&volley::protocol::Packet {
            op_code: 5,
            target_group: -1,
            reliable: true,
            payload: "still here".into(),
            ..Default::default()
        })
        .await;
    loop {
        let packet = watcher.next_packet().await;
        if packet.op_code == 5 {
            assert_eq!(&packet.payload[..], b"still here");
            break;
        }
    }
    server.stop().await;
}
