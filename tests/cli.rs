//! The real `volley` binary: `serve --dev` with two `volley client` processes exchanging
//! messages as the README shows, `check-config`, and startup refusals.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

mod support;

use support::{RealServer, control_call};

const STEP: Duration = Duration::from_secs(10);
const VOLLEY: &str = env!("CARGO_BIN_EXE_volley");

/// A `volley client` process killed on drop, typed to on its stdin, its stdout read line by
/// line.
struct Process {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Process {
    fn spawn(args: &[&str]) -> Self {
        let mut child = Command::new(VOLLEY)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("volley starts");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        Self { child, stdout }
    }

    /// Reads lines until one contains `needle`; returns it.
    async fn line_containing(&mut self, needle: &str) -> String {
        let read = async {
            while let Some(line) = self.stdout.next_line().await.expect("readable stdout") {
                if line.contains(needle) {
                    return line;
                }
            }
            panic!("stdout ended before a line containing {needle:?}");
        };
        tokio::time::timeout(STEP, read)
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in time"))
    }

    async fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("piped stdin");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("stdin writable");
    }
}

/// `volley serve <args>`: flags alone, without a config file, as the README runs it.
async fn serve(args: &[&str]) -> RealServer {
    let args: Vec<String> = args.iter().map(|&arg| arg.to_owned()).collect();
    RealServer::spawn(move || {
        let mut volley = Command::new(VOLLEY);
        volley.arg("serve").args(&args);
        volley
    })
    .await
}

async fn output(args: &[&str]) -> std::process::Output {
    let run = Command::new(VOLLEY).args(args).kill_on_drop(true).output();
    tokio::time::timeout(STEP, run)
        .await
        .expect("exits in time")
        .expect("runs")
}

#[tokio::test]
async fn dev_server_and_two_line_clients_exchange_messages() {
    let server = serve(&[
        "--dev",
        "--listen",
        "127.0.0.1:0",
        "--control-listen",
        "127.0.0.1:0",
    ])
    .await;
    let ws = server.ws.to_string();
    assert!(server.listening["udp"].is_string());

    let mut alice = Process::spawn(&["client", "--server", &ws, "--player-session-id", "alice"]);
    let joined = alice.line_containing("connected as peer").await;
    let mut bob = Process::spawn(&["client", "--server", &ws, "--player-session-id", "bob"]);
    bob.line_containing("connected as peer").await;

    alice.type_line("hello from alice").await;
    let line = bob.line_containing("hello from alice").await;
    let alice_peer = joined.split_whitespace().nth(3).expect("peer id");
    assert!(
        line.starts_with(&format!("[from {alice_peer} op 1 group -1")),
        "{line}"
    );

    bob.type_line("/op 7").await;
    bob.type_line(&format!("/to {alice_peer} just for you"))
        .await;
    let line = alice.line_containing("just for you").await;
    assert!(line.contains("op 7"), "{line}");

    alice.type_line("/quit").await;
    let status = tokio::time::timeout(STEP, alice.child.wait())
        .await
        .expect("quits")
        .expect("status");
    assert!(status.success());
}

#[tokio::test]
async fn dev_mode_refuses_a_non_loopback_address() {
    let out = output(&["serve", "--dev", "--listen", "0.0.0.0:0"]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("loopback"),
        "{out:?}"
    );
}

#[tokio::test]
async fn check_config_accepts_the_example_and_names_bad_keys() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config/volley.toml");
    let out = output(&["check-config", example]).await;
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));

    let dir = std::env::temp_dir().join(format!("volley-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[sessions]\nmax_playerz = 4\n").expect("write");
    let out = output(&["check-config", bad.to_str().expect("utf-8 path")]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("max_playerz"),
        "{out:?}"
    );
    let out = output(&["serve", "--config", bad.to_str().expect("utf-8 path")]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("max_playerz"),
        "{out:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn the_server_keeps_serving_when_its_stdout_reader_is_gone() {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader); // Every write to stdout now fails with a broken pipe.
    let mut child = Command::new(VOLLEY)
        .args([
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--control-listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("volley starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    let find_ws = async {
        while let Some(line) = stderr.next_line().await.expect("readable stderr") {
            let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if value["fields"]["message"] == "serving" {
                return value["fields"]["ws"].as_str().expect("ws field").to_owned();
            }
        }
        panic!("the server exited before serving");
    };
    let ws = tokio::time::timeout(STEP, find_ws)
        .await
        .expect("serving in time");
    let mut client = Process::spawn(&["client", "--server", &ws, "--player-session-id", "p"]);
    client.line_containing("connected as peer").await;
    assert!(
        child.try_wait().expect("status").is_none(),
        "the server is still running"
    );
}

#[tokio::test]
async fn a_control_api_beyond_loopback_needs_an_access_key() {
    let out = output(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--control-listen",
        "0.0.0.0:0",
    ])
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no access key is configured"), "{stderr}");
}

#[tokio::test]
async fn a_line_client_exits_when_its_game_session_ends_even_with_input_open() {
    let server = RealServer::start(&[], |_| {
        let config = "[game]\nlisten = \"127.0.0.1:0\"\n\
                      [control]\nlisten = \"127.0.0.1:0\"\nauth = \"none\"\n";
        (config.to_owned(), Vec::new())
    })
    .await;
    let (ws, control) = (&server.ws.to_string(), &server.control.to_string());
    let (_, created) = control_call(
        control,
        "CreateGameSession",
        &serde_json::json!({"FleetId": "fleet-local", "MaximumPlayerSessionCount": 2}),
    )
    .await;
    let game = created["GameSession"]["GameSessionId"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, seat) = control_call(
        control,
        "CreatePlayerSession",
        &serde_json::json!({"GameSessionId": game, "PlayerId": "p"}),
    )
    .await;
    let id = seat["PlayerSession"]["PlayerSessionId"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut client = Process::spawn(&["client", "--server", ws, "--player-session-id", &id]);
    client.line_containing("connected as peer").await;
    let terminate =
        serde_json::json!({"GameSessionId": game, "TerminationMode": "FORCE_TERMINATE"});
    assert_eq!(
        control_call(control, "TerminateGameSession", &terminate)
            .await
            .0,
        200
    );
    client.line_containing("closed (1001").await;
    // Its standard input stays open (held here; `wait` would close it): it must exit anyway.
    let _input = client.child.stdin.take();
    let status = tokio::time::timeout(STEP, client.child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert!(status.success());
}

#[tokio::test]
async fn cert_generate_writes_a_ca_and_a_server_certificate_it_signs() {
    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    let dir = support::TempDir::new();
    let out = dir.path().join("certs");
    let out_arg = out.to_str().expect("utf-8 path");
    let args = [
        "cert",
        "generate",
        "--dns",
        "localhost",
        "--dns",
        "127.0.0.1",
        "--out",
        out_arg,
    ];
    let run = output(&args).await;
    assert!(run.status.success(), "{run:?}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("[tls]"), "{stdout}");
    assert!(stdout.contains("server.pem"), "{stdout}");

    let files = volley::config::TlsConfig {
        cert_file: out.join("server.pem"),
        key_file: out.join("server.key"),
        ca_file: Some(out.join("ca.pem")),
    };
    let store = volley::tls::CertStore::open(files).expect("the files load");
    assert!(
        store
            .current()
            .ca_pem
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_file(out.join("ca.pem")).expect("ca.pem");
    roots.add(ca).expect("a usable trust anchor");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiServerVerifier::builder_with_provider(roots.into(), provider)
        .build()
        .expect("verifier");
    let leaf = CertificateDer::from_pem_file(out.join("server.pem")).expect("server.pem");
    for name in ["localhost", "127.0.0.1"] {
        let name = ServerName::try_from(name).expect("server name");
        verifier
            .verify_server_cert(&leaf, &[], &name, &[], UnixTime::now())
            .unwrap_or_else(|e| panic!("the leaf verifies for {name:?}: {e}"));
    }
    let other = ServerName::try_from("example.com").expect("server name");
    assert!(
        verifier
            .verify_server_cert(&leaf, &[], &other, &[], UnixTime::now())
            .is_err()
    );

    let again = output(&args).await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("--force"),
        "{again:?}"
    );
}

#[tokio::test]
async fn serve_with_tls_flags_serves_wss_and_reloads_on_sighup() {
    let dir = support::TempDir::new();
    let files = support::test_certs(&dir);
    let path = |p: &std::path::Path| p.to_str().expect("utf-8 path").to_owned();
    let (cert, key) = (path(&files.cert_file), path(&files.key_file));
    let ca = path(files.ca_file.as_deref().expect("ca file"));

    let out = output(&["serve", "--dev", "--tls-key", &key]).await;
    assert!(!out.status.success(), "--tls-key needs --tls-cert");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tls-cert"),
        "{out:?}"
    );

    let server = serve(&[
        "--dev",
        "--listen",
        "127.0.0.1:0",
        "--control-listen",
        "127.0.0.1:0",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--tls-ca",
        &ca,
    ])
    .await;
    let ws = server.ws;

    let tls = support::tls_client_config(std::path::Path::new(&ca), &[&rustls::version::TLS12]);
    let mut raw = support::raw_wss(ws, tls).await;
    let login = raw.login_result("p").await;
    assert_eq!(login.ca_cert, std::fs::read(&ca).expect("ca.pem"));
    assert_eq!(login.connect_token.len(), 32);
    // The line client over wss://, checking the certificate for the name, not the address.
    let ws_text = ws.to_string();
    let mut client = Process::spawn(&[
        "client",
        "--server",
        &ws_text,
        "--player-session-id",
        "q",
        "--tls-ca",
        &ca,
        "--server-name",
        "localhost",
    ]);
    client.line_containing("connected as peer").await;
    client.type_line("over wss").await;
    assert_eq!(raw.next_packet().await.payload, &b"over wss"[..]);
    // Plain mode became secure: a ws:// client gets no WebSocket.
    let plain = tokio::time::timeout(
        STEP,
        tokio_tungstenite::connect_async(format!("ws://{ws}/websocket")),
    )
    .await
    .expect("answered in time");
    assert!(plain.is_err());

    // SIGHUP reloads the files: new handshakes get the new certificate, the player stays.
    let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
    volley::certgen::generate(dir.path(), &names, true).expect("new certificates");
    let new_leaf = support::pem_certs(&files.cert_file).remove(0);
    server.signal("HUP");
    let new_tls = support::tls_client_config(std::path::Path::new(&ca), &[&rustls::version::TLS12]);
    let mut reloaded = false;
    for _ in 0..50 {
        // The old CA fails the new certificate until the reload, then the new one trusts it.
        if let Ok(stream) = support::tls_connect(ws, new_tls.clone(), "localhost").await {
            let leaf = stream.get_ref().1.peer_certificates().expect("certificate")[0].clone();
            assert_eq!(leaf, new_leaf);
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the certificate was reloaded on SIGHUP");
    // The player connected before the reload still exchanges messages (group -1 echoes).
    raw.send(&volley::protocol::Packet {
        op_code: 1,
        target_group: -1,
        reliable: true,
        payload: bytes::Bytes::from_static(b"still here"),
        ..Default::default()
    })
    .await;
    assert_eq!(raw.next_packet().await.payload, &b"still here"[..]);
}
