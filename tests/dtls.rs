//! DTLS on `fastPort` against real DTLS stacks: OpenSSL's `s_client` and webrtc-dtls through
//! the Rust client, plus what a hostile or broken peer can do to the UDP port.

mod support;

use std::process::Stdio;
use std::time::Duration;

use std::sync::Arc;

use bytes::Bytes;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use support::*;
use tokio::net::UdpSocket;
use volley::client::{Channel, Client, ClientConfig, Event, RtMessage, SecureConfig};
use volley::config::SecureMode;
use volley::protocol::{Body, GroupId, Opcode, Packet, PeerId, VerifyIdentityCommand, encode};
use webrtc_dtls::conn::DTLSConn;

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
    eventually("associations closed", async || {
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
    eventually("flood handled", async || {
        server.metrics().datagrams_in >= FLOOD
    })
    .await;
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
    eventually("spread flood handled", async || {
        server.metrics().datagrams_in >= FLOOD + 30
    })
    .await;
    let m = server.metrics();
    assert_eq!(m.dtls_handshakes, 10, "the cap: {m:?}");
    assert_eq!(m.dtls_handshakes_over_limit, 21, "{m:?}");
    // All of them give up within the handshake timeout.
    eventually("abandoned handshakes timed out", async || {
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
    eventually("handled", async || server.metrics().datagrams_in >= 4).await;
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

/// A secure client configuration trusting the generated CA, checking the name `localhost`.
fn secure_client(dir: &TempDir) -> ClientConfig {
    let pem = std::fs::read(dir.path().join("ca.pem")).expect("ca.pem");
    let mut secure = SecureConfig::from_ca_pem(&pem).expect("pem");
    secure.server_name = Some("localhost".into());
    ClientConfig {
        secure: Some(secure),
        ..ClientConfig::default()
    }
}

/// A secure dev server with players `a` and `b` logged in over `wss://`, their DTLS fast
/// channels verified.
async fn two_secure_players(dir: &TempDir) -> (TestServer, Client, Client) {
    let server = dev_secure_server(dir, SecureMode::Secure).await;
    let a = server
        .connect("a", secure_client(dir))
        .await
        .expect("a logs in");
    let b = server
        .connect("b", secure_client(dir))
        .await
        .expect("b logs in");
    for client in [&a, &b] {
        within("dtls bound", client.wait_fast_ready(STEP))
            .await
            .expect("fast channel verified");
    }
    (server, a, b)
}

#[tokio::test]
async fn secure_clients_log_in_over_wss_bind_dtls_and_exchange_fast_messages() {
    let dir = TempDir::new();
    let (server, mut a, mut b) = two_secure_players(&dir).await;
    assert_eq!(server.metrics().dtls_bound, 2);
    a.send(RtMessage::to_player(Opcode(7), b.peer_id(), "over dtls"))
        .await
        .expect("sent");
    let got = next_data(&mut b).await;
    assert_eq!(
        (got.sender, got.channel, &got.payload[..]),
        (a.peer_id(), Channel::Fast, &b"over dtls"[..])
    );
    b.send(RtMessage::to_group(
        Opcode(8),
        GroupId::ALL_PLAYERS,
        "to all",
    ))
    .await
    .expect("sent");
    for client in [&mut a, &mut b] {
        let got = next_data(client).await;
        assert_eq!(
            (got.channel, &got.payload[..]),
            (Channel::Fast, &b"to all"[..])
        );
    }
    // Leaving closes the player's association; the other player plays on.
    a.disconnect().await;
    b.send(RtMessage::to_player(Opcode(9), b.peer_id(), "still fast"))
        .await
        .expect("sent");
    assert_eq!(next_data(&mut b).await.channel, Channel::Fast);
    server.stop().await;
}

/// A player sending 500 fast messages at once over DTLS: every record fits the association's
/// inbound queue (bounded in bytes, not in records), and the other player gets them all.
#[tokio::test]
async fn a_burst_of_fast_messages_over_dtls_reaches_the_other_player() {
    const BURST: u32 = 500;
    let dir = TempDir::new();
    let (server, a, mut b) = two_secure_players(&dir).await;
    for i in 0..BURST {
        a.send(RtMessage::to_player(
            Opcode(7),
            b.peer_id(),
            i.to_le_bytes().to_vec(),
        ))
        .await
        .expect("sent");
    }
    let mut seen = std::collections::HashSet::new();
    while seen.len() < BURST as usize {
        let got = next_data(&mut b).await;
        assert_eq!(got.channel, Channel::Fast);
        seen.insert(u32::from_le_bytes(
            got.payload[..4].try_into().expect("counter"),
        ));
    }
    let m = server.metrics();
    assert_eq!(
        (
            m.dtls_datagrams_busy,
            m.datagrams_session_busy,
            m.fast_send_errors
        ),
        (0, 0, 0),
        "{m:?}"
    );
    server.stop().await;
}

/// Opens a DTLS association with the fast port as a client trusting the generated CA.
async fn raw_dtls(server: &TestServer, dir: &TempDir) -> DTLSConn {
    let pem = std::fs::read(dir.path().join("ca.pem")).expect("ca.pem");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.expect("pem")).expect("root");
    }
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    socket.connect(server.addresses.udp).await.expect("connect");
    let config = webrtc_dtls::config::Config {
        roots_cas: roots,
        server_name: "localhost".into(),
        ..Default::default()
    };
    within(
        "dtls handshake",
        DTLSConn::new(Arc::new(socket), config, true, None),
    )
    .await
    .expect("handshake")
}

fn verify_identity(peer: PeerId, token: &str) -> Bytes {
    encode(&Packet {
        op_code: Opcode::VERIFY_IDENTITY.0,
        sender: peer.0,
        body: Some(Body::VerifyIdentity(VerifyIdentityCommand {
            peer_id: peer.0,
            connect_token: token.into(),
        })),
        ..Default::default()
    })
}

#[tokio::test]
async fn a_wrong_connect_token_is_refused_and_the_player_keeps_working_over_wss() {
    let dir = TempDir::new();
    let server = dev_secure_server(&dir, SecureMode::Mixed).await;
    // The victim never opens DTLS itself, like a client whose handshake failed.
    let victim_config = ClientConfig {
        fast_channel: false,
        ..secure_client(&dir)
    };
    let mut victim = server
        .connect("victim", victim_config)
        .await
        .expect("login");
    let mut other = server
        .connect("other", secure_client(&dir))
        .await
        .expect("login");
    let peer = victim.peer_id();

    // A DTLS association claiming the victim with a guessed token is refused and closed.
    let forger = raw_dtls(&server, &dir).await;
    let guess = "00000000000000000000000000000000";
    forger
        .write(&verify_identity(peer, guess), None)
        .await
        .expect("sent");
    let mut buf = [0u8; 2048];
    let closed = within("association closed", forger.read(&mut buf, None)).await;
    assert!(closed.is_err(), "{closed:?}");
    eventually("refusal counted", async || {
        server.metrics().dtls_verify_failed == 1
    })
    .await;
    // The victim hears of it (as C# would, and ignores it), and stays on the WebSocket.
    let Event::Error(error) = next_event(&mut victim).await else {
        panic!("expected the refusal")
    };
    assert!(error.contains("identity not verified"), "{error}");
    // Records before VERIFY_IDENTITY and plain datagrams naming a secure player bind nothing.
    let plain = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let connect = udp_connect(peer.0);
    within(
        "send",
        plain.send_to(&encode(&connect), server.addresses.udp),
    )
    .await
    .expect("sent");
    eventually("spoof dropped", async || {
        server.metrics().dropped_secure_peer == 1
    })
    .await;
    other
        .send(RtMessage::to_player(Opcode(5), peer, "hello"))
        .await
        .expect("sent");
    let got = next_data(&mut victim).await;
    assert_eq!(
        (got.channel, &got.payload[..]),
        (Channel::Reliable, &b"hello"[..])
    );
    victim
        .send(RtMessage::to_player(Opcode(6), other.peer_id(), "back"))
        .await
        .expect("sent");
    assert_eq!(&next_data(&mut other).await.payload[..], b"back");
    server.stop().await;
}
