//! DTLS on `fastPort` against real DTLS stacks: OpenSSL's `s_client` and webrtc-dtls through
//! the Rust client, plus what a hostile or broken peer can do to the UDP port.

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::*;
use tokio::net::UdpSocket;
use volley::config::SecureMode;

/// What `openssl s_client -dtls1_2` printed for a handshake with `cipher` against the fast
/// port, trusting only the generated CA and checking the name `localhost`.
async fn openssl_dtls(server: &TestServer, ca: &std::path::Path, cipher: &str) -> String {
    let output = tokio::process::Command::new("openssl")
        .args(["s_client", "-dtls1_2", "-connect"])
        .arg(server.addresses.udp.to_string())
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .args(["-verify_return_error", "-cipher", cipher, "-CAfile"])
        .arg(ca)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = within("openssl s_client", output)
        .await
        .expect("openssl runs");
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[tokio::test]
async fn openssl_completes_dtls_handshakes_with_the_suites_mbedtls_offers() {
    let dir = TempDir::new();
    let config = secure_config(&dir, SecureMode::Secure);
    let ca = config
        .tls
        .files
        .as_ref()
        .and_then(|f| f.ca_file.clone())
        .expect("ca");
    let server = TestServer::with(config, volley::Options::default()).await;
    let suites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-SHA",
        "ECDHE-ECDSA-AES128-CCM",
        "ECDHE-ECDSA-AES128-CCM8",
    ];
    for cipher in suites {
        let out = openssl_dtls(&server, &ca, cipher).await;
        assert!(
            out.contains("Verify return code: 0 (ok)"),
            "{cipher}: {out}"
        );
        assert!(out.contains("Protocol  : DTLSv1.2"), "{cipher}: {out}");
        assert!(
            out.contains(&format!("Cipher    : {cipher}")),
            "{cipher}: {out}"
        );
    }
    // Each association, with no VERIFY_IDENTITY before openssl closed it, is gone.
    eventually("associations closed", || {
        let m = server.metrics();
        m.dtls_handshakes == 4 && m.dtls_verify_failed == 4
    })
    .await;
    assert_eq!(server.metrics().dtls_bound, 0);
    server.stop().await;
}

/// A datagram that looks like a DTLS handshake record (a ClientHello) but is not one.
fn fake_client_hello(n: u8) -> Vec<u8> {
    let mut datagram = vec![22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, n, 0, 4];
    datagram.extend_from_slice(&[1, 0, 0, 0]);
    datagram
}

#[tokio::test]
async fn abandoned_handshakes_time_out_and_a_flood_of_them_is_bounded() {
    let dir = TempDir::new();
    let mut config = secure_config(&dir, SecureMode::Mixed);
    config.limits.handshake_timeout = Duration::from_secs(1);
    config.limits.max_dtls_handshakes = 10;
    let ca = config
        .tls
        .files
        .as_ref()
        .and_then(|f| f.ca_file.clone())
        .expect("ca");
    let server = TestServer::with(config, volley::Options::default()).await;
    // A flood from one address of another loopback IP: it all goes to one association, whose
    // queue bounds what it holds.
    let flooder = UdpSocket::bind("127.0.0.2:0")
        .await
        .expect("bind 127.0.0.2");
    const FLOOD: u64 = 200;
    for n in 0..FLOOD {
        let datagram = fake_client_hello(n as u8);
        within("send", flooder.send_to(&datagram, server.addresses.udp))
            .await
            .expect("sent");
    }
    eventually("flood handled", || server.metrics().datagrams_in >= FLOOD).await;
    let m = server.metrics();
    // The first datagram opened an association that took the rest as its own input; each
    // later one from the same address is queued to it (or dropped when its queue is full).
    assert_eq!(m.dtls_handshakes, 1, "{m:?}");
    // From many source ports the cap applies: nine more fit beside the flood's one.
    let mut sockets = Vec::new();
    for n in 0..30u8 {
        let socket = UdpSocket::bind("127.0.0.3:0")
            .await
            .expect("bind 127.0.0.3");
        within(
            "send",
            socket.send_to(&fake_client_hello(n), server.addresses.udp),
        )
        .await
        .expect("sent");
        sockets.push(socket);
    }
    eventually("spread flood handled", || {
        server.metrics().datagrams_in >= FLOOD + 30
    })
    .await;
    let m = server.metrics();
    assert_eq!(m.dtls_handshakes, 10, "the cap: {m:?}");
    assert_eq!(m.dtls_handshakes_over_limit, 21, "{m:?}");
    // All of them give up within the handshake timeout.
    eventually("abandoned handshakes timed out", || {
        let m = server.metrics();
        m.dtls_handshakes_failed == 10
    })
    .await;
    // Then a real handshake goes through.
    let out = openssl_dtls(&server, &ca, "ECDHE-ECDSA-AES128-GCM-SHA256").await;
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    server.stop().await;
}

#[tokio::test]
async fn garbage_and_stray_records_on_a_secure_port_cost_nothing() {
    let dir = TempDir::new();
    let server = TestServer::with(
        secure_config(&dir, SecureMode::Secure),
        volley::Options::default(),
    )
    .await;
    let stranger = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let mut application_data = vec![23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 1, 0, 8];
    application_data.extend_from_slice(&[0; 8]);
    let datagrams: [&[u8]; 4] = [
        &[],
        &[0x03, 0x0a, 0xff, 0xff], // a plain packet: refused in secure mode
        &application_data,         // a record for no association
        &[22, 0xFE],               // too short for a record header
    ];
    for datagram in datagrams {
        within("send", stranger.send_to(datagram, server.addresses.udp))
            .await
            .expect("sent");
    }
    eventually("handled", || server.metrics().datagrams_in >= 4).await;
    let m = server.metrics();
    assert_eq!(
        (
            m.datagrams_unknown_source,
            m.dtls_handshakes,
            m.malformed_in
        ),
        (4, 0, 0),
        "{m:?}"
    );
    server.stop().await;
}
