//! Test harness: the real server in process on 127.0.0.1:0 ports (`TestServer`) or the real
//! binary (`RealServer`), real clients, a timeout on every await and a bounded retry helper for
//! eventual conditions.

#![allow(dead_code, missing_docs)] // Each test binary uses a different part of the harness.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use volley::catalog::{GameSession, GameSessionSpec, PlayerSession};
use volley::client::{Client, ClientConfig, ConnectionToken, DataReceived, Event};
use volley::config::Config;
use volley::core::GameSessionId;
use volley::metrics::Snapshot;
use volley::protocol::{Body, LoginCommand, LoginResult, Packet, decode, encode};
use volley::{Addresses, MetricsHandle, Options, Server, Sessions};

/// How long any single step may take before the test fails.
pub const STEP: Duration = Duration::from_secs(5);

/// Awaits `future` for at most [`STEP`], failing the test with `what` otherwise.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// Retries `condition` every 10 ms for up to [`STEP`].
pub async fn eventually(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    for _ in 0..(STEP.as_millis() / 10) {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition never held: {what}");
}

pub struct TestServer {
    pub addresses: Addresses,
    pub sessions: Sessions,
    pub metrics: MetricsHandle,
    /// The certificate handle, when `[tls]` names files.
    pub certs: Option<std::sync::Arc<volley::tls::CertStore>>,
    /// Cancel to start a drain (as SIGTERM does).
    pub drain: CancellationToken,
    /// Applies a reloaded config, as SIGHUP does.
    pub reloader: volley::Reloader,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<bool>>,
}

/// A config with every listener on an ephemeral loopback port.
pub fn test_config() -> Config {
    let mut config = Config::default();
    config.game.listen = "127.0.0.1:0".parse().expect("valid address");
    config.control.listen = "127.0.0.1:0".parse().expect("valid address");
    config
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with(test_config(), Options::default()).await
    }

    pub async fn dev() -> Self {
        Self::with(
            test_config(),
            Options {
                dev: true,
                ..Options::default()
            },
        )
        .await
    }

    pub async fn with(config: Config, options: Options) -> Self {
        let server = within("bind", Server::bind(config, options))
            .await
            .expect("server binds");
        let addresses = server.addresses();
        let sessions = server.sessions();
        let metrics = server.metrics();
        let certs = server.certificates();
        let shutdown = CancellationToken::new();
        let drain = server.drain_token();
        let reloader = server.reloader();
        let task = tokio::spawn(server.run(shutdown.clone()));
        Self {
            drain,
            reloader,
            addresses,
            sessions,
            metrics,
            certs,
            shutdown,
            task: Some(task),
        }
    }

    pub fn metrics(&self) -> Snapshot {
        self.metrics.snapshot()
    }

    /// A game session with room for `max_players`.
    pub async fn game_session(&self, max_players: u32) -> GameSessionId {
        let spec = GameSessionSpec {
            max_players,
            location: "local".into(),
            ..Default::default()
        };
        within(
            "create game session",
            self.sessions.create_game_session(spec),
        )
        .await
        .expect("game session created")
        .id
    }

    pub async fn player_session(&self, game_session: &GameSessionId) -> String {
        let players = vec![("player".to_owned(), None)];
        let mut created = self
            .sessions
            .create_player_sessions(game_session, players)
            .await
            .expect("slot available");
        created.remove(0).id
    }

    /// A game session's record, while it is remembered.
    pub async fn record(&self, id: &GameSessionId) -> Option<GameSession> {
        self.sessions.game_session(id).await.expect("catalog")
    }

    /// A player session's record, while it is remembered.
    pub async fn player_record(&self, id: &str) -> Option<PlayerSession> {
        self.sessions.player_session(id).await.expect("catalog")
    }

    /// A logged-in client on its own fresh player session.
    pub async fn player(&self, game_session: &GameSessionId) -> Client {
        self.connect(
            &self.player_session(game_session).await,
            ClientConfig::default(),
        )
        .await
        .expect("login accepted")
    }

    /// A client that never binds UDP, like the TypeScript client.
    pub async fn ws_player(&self, game_session: &GameSessionId) -> Client {
        let config = ClientConfig {
            fast_channel: false,
            ..ClientConfig::default()
        };
        self.connect(&self.player_session(game_session).await, config)
            .await
            .expect("login accepted")
    }

    pub async fn connect(
        &self,
        player_session_id: &str,
        config: ClientConfig,
    ) -> Result<Client, volley::client::ClientError> {
        let token = ConnectionToken::new(player_session_id, Bytes::new());
        let port = self.addresses.ws.port();
        within("connect", Client::connect("127.0.0.1", port, token, config)).await
    }

    /// A raw WebSocket to the game listener, for sending what no client would.
    pub async fn raw(&self) -> RawWs {
        let url = format!("ws://{}/websocket", self.addresses.ws);
        let (ws, _) = within("raw connect", tokio_tungstenite::connect_async(url))
            .await
            .expect("websocket upgrade");
        RawWs { ws }
    }

    /// Waits up to `limit` for the server to stop by itself (after a drain); true if every
    /// task finished.
    pub async fn stopped(mut self, limit: Duration) -> bool {
        let task = self.task.take().expect("running");
        tokio::time::timeout(limit, task)
            .await
            .expect("the server stopped in time")
            .expect("server task")
    }

    /// Stops the server and checks that it shut down in time.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let finished = within("shutdown", task).await.expect("server task");
            assert!(finished, "server tasks finished within the grace period");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A raw WebSocket client, over plain TCP unless `S` says otherwise.
pub struct RawWs<S = MaybeTlsStream<TcpStream>> {
    pub ws: WebSocketStream<S>,
}

/// What a raw client saw next.
#[derive(Debug)]
pub enum Seen {
    Packet(Packet),
    Closed(Option<u16>),
}

impl<S: AsyncRead + AsyncWrite + Unpin> RawWs<S> {
    pub async fn send_bytes(&mut self, bytes: impl Into<Bytes>) {
        within("raw send", self.ws.send(Message::Binary(bytes.into())))
            .await
            .expect("sent");
    }

    pub async fn send(&mut self, packet: &Packet) {
        self.send_bytes(encode(packet)).await;
    }

    pub async fn login(&mut self, player_session_id: &str) {
        self.send(&login_packet(player_session_id)).await;
    }

    /// The next packet or close, skipping pings, within one [`STEP`] in all (pings do not
    /// extend it).
    pub async fn next(&mut self) -> Seen {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next()).await;
            match next.unwrap_or_else(|_| panic!("timed out: raw receive")) {
                Some(Ok(Message::Binary(frame))) => {
                    return Seen::Packet(
                        decode(frame, 1 << 16).expect("server sends valid frames"),
                    );
                }
                Some(Ok(Message::Close(frame))) => {
                    return Seen::Closed(frame.map(|f| f.code.into()));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Seen::Closed(None),
            }
        }
    }

    pub async fn next_packet(&mut self) -> Packet {
        match self.next().await {
            Seen::Packet(packet) => packet,
            Seen::Closed(code) => panic!("expected a packet, connection closed with {code:?}"),
        }
    }

    /// Logs in and returns the peer id from the LOGIN_RESULT.
    pub async fn login_ok(&mut self, player_session_id: &str) -> i32 {
        self.login_result(player_session_id).await.peer_id
    }

    /// Logs in and returns the successful LOGIN_RESULT.
    pub async fn login_result(&mut self, player_session_id: &str) -> LoginResult {
        self.login(player_session_id).await;
        let result = self.next_packet().await;
        match result.body {
            Some(Body::LoginResult(r)) if r.success => *r,
            other => panic!("expected a successful login, got {other:?}"),
        }
    }
}

pub fn login_packet(player_session_id: &str) -> Packet {
    Packet {
        target_player: -1,
        reliable: true,
        body: Some(Body::Login(LoginCommand {
            player_session_id: player_session_id.into(),
            client_version: 2,
        })),
        ..Default::default()
    }
}

/// The next event of a client.
pub async fn next_event(client: &mut Client) -> Event {
    within("client event", client.next_event())
        .await
        .expect("client still connected")
}

/// The next data message, skipping membership updates and other events.
pub async fn next_data(client: &mut Client) -> DataReceived {
    loop {
        match next_event(client).await {
            Event::Data(data) => return data,
            Event::Closed { code, reason } => panic!("closed ({code:?} {reason}) awaiting data"),
            _ => continue,
        }
    }
}

/// The next membership update: (sender, group, players).
pub async fn next_membership(client: &mut Client) -> (i32, i32, Vec<i32>) {
    loop {
        match next_event(client).await {
            Event::GroupMembershipUpdated {
                sender,
                group,
                players,
            } => {
                return (
                    sender.0,
                    group.0,
                    players.into_iter().map(|p| p.0).collect(),
                );
            }
            Event::Closed { code, reason } => panic!("closed ({code:?} {reason}) awaiting update"),
            _ => continue,
        }
    }
}

/// The close code, skipping everything before it.
pub async fn next_close(client: &mut Client) -> Option<u16> {
    loop {
        match within("client close", client.next_event()).await {
            Some(Event::Closed { code, .. }) => return code,
            Some(_) => continue,
            None => return None,
        }
    }
}

/// Asserts that no data event arrives for a short while (used after an action that must
/// produce nothing; bounded, not a readiness wait).
pub async fn assert_no_data(client: &mut Client, quiet: Duration) {
    let deadline = tokio::time::Instant::now() + quiet;
    loop {
        match tokio::time::timeout_at(deadline, client.next_event()).await {
            Err(_) => return,
            Ok(Some(Event::Data(data))) => panic!("unexpected data: {data:?}"),
            Ok(Some(_)) => continue,
            Ok(None) => return,
        }
    }
}

pub fn unused_addr() -> SocketAddr {
    // Bind and drop to learn a port that nothing listens on.
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.local_addr().expect("address")
}

/// One unsigned POST to a control API (`auth = "none"`) over a fresh HTTP/1.1 connection:
/// (status, body).
pub async fn control_call(
    control: &str,
    op: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let addr = control.parse().expect("control address");
    let target = format!("GameLift.{op}");
    let headers = [
        ("X-Amz-Target", target.as_str()),
        ("Content-Type", "application/x-amz-json-1.1"),
    ];
    let response = http_request(addr, "POST", "/", &headers, &body.to_string()).await;
    (
        response.status,
        serde_json::from_str(&response.body).expect("json body"),
    )
}

/// One GET over a fresh HTTP/1.1 connection: (status, body).
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let response = http_request(addr, "GET", path, &[], "").await;
    (response.status, response.body)
}

/// An HTTP response as read off the socket.
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: std::collections::BTreeMap<String, String>,
    pub body: String,
}

/// One request with `headers` over a fresh HTTP/1.1 connection, read to its end.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpResponse {
    use std::fmt::Write;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("listener reachable");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("request sent");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .expect("response read");
        response
    };
    let response = within("http answer", exchange).await;
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    let mut lines = head.lines();
    let status = lines.next().expect("status line")[9..12]
        .parse()
        .expect("status code");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A fresh directory under the system's temp dir, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("volley-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("temp dir created");
        Self(path)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }

    /// Writes `files` (relative path, content) under `dir` in this directory; returns it.
    pub fn write(&self, dir: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
        let root = self.0.join(dir);
        for (path, content) in files {
            let path = root.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("directory created");
            }
            std::fs::write(path, content).expect("file written");
        }
        root
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A zip archive of `files` (path, content), as a game studio uploads a script.
pub fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, content) in files {
        writer
            .start_file(*path, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        writer.write_all(content.as_bytes()).expect("zip write");
    }
    writer.finish().expect("zip finished").into_inner()
}

/// A development CA and a server certificate for `localhost` and 127.0.0.1, generated into
/// `dir`, as the `[tls]` files.
pub fn test_certs(dir: &TempDir) -> volley::config::TlsConfig {
    let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
    let generated = volley::certgen::generate(dir.path(), &names, false).expect("certs");
    volley::config::TlsConfig {
        cert_file: generated.server_cert,
        key_file: generated.server_key,
        ca_file: Some(generated.ca_cert),
    }
}

/// A test config serving `mode` with certificates generated into `dir`.
pub fn secure_config(dir: &TempDir, mode: volley::config::SecureMode) -> Config {
    let mut config = test_config();
    config.tls.mode = mode;
    config.tls.files = Some(test_certs(dir));
    config
}

/// The certificates of a PEM file.
pub fn pem_certs(path: &std::path::Path) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_file_iter(path)
        .expect("pem file readable")
        .collect::<Result<_, _>>()
        .expect("pem certificates")
}

/// A rustls client configuration trusting the certificates of `ca_file`, with the given
/// protocol versions.
pub fn tls_client_config(
    ca_file: &std::path::Path,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> std::sync::Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in pem_certs(ca_file) {
        roots.add(cert).expect("usable trust anchor");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("supported versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    std::sync::Arc::new(config)
}

/// A TLS connection to `addr` checked against `tls` for `server_name`.
pub async fn tls_connect(
    addr: SocketAddr,
    tls: std::sync::Arc<rustls::ClientConfig>,
    server_name: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let name =
        rustls::pki_types::ServerName::try_from(server_name.to_owned()).expect("valid server name");
    let tcp = within("tcp connect", TcpStream::connect(addr)).await?;
    within(
        "tls handshake",
        tokio_rustls::TlsConnector::from(tls).connect(name, tcp),
    )
    .await
}

/// A raw `wss://` client: TLS with `tls` for `localhost`, then the WebSocket upgrade.
pub async fn raw_wss(
    addr: SocketAddr,
    tls: std::sync::Arc<rustls::ClientConfig>,
) -> RawWs<tokio_rustls::client::TlsStream<TcpStream>> {
    let stream = tls_connect(addr, tls, "localhost")
        .await
        .expect("tls handshake");
    let url = format!("wss://localhost:{}/websocket", addr.port());
    let (ws, _) = within(
        "websocket upgrade",
        tokio_tungstenite::client_async(url, stream),
    )
    .await
    .expect("websocket upgrade");
    RawWs { ws }
}

/// A UDP_CONNECT as C# sends it, naming `sender`.
pub fn udp_connect(sender: i32) -> Packet {
    Packet {
        op_code: volley::protocol::Opcode::UDP_CONNECT.0,
        sender,
        target_player: -1,
        body: Some(Body::UdpConnect(volley::protocol::UdpConnectMessage {})),
        ..Default::default()
    }
}

/// A dev-mode server serving `mode` with certificates generated into `dir`.
pub async fn dev_secure_server(dir: &TempDir, mode: volley::config::SecureMode) -> TestServer {
    let options = Options {
        dev: true,
        ..Options::default()
    };
    TestServer::with(secure_config(dir, mode), options).await
}

/// Builds the command that starts a [`RealServer`]'s process; called again for a restart.
type Launch = Box<dyn Fn() -> tokio::process::Command + Send + Sync>;

/// The real `volley` binary serving on loopback ports, started up to its ready line, its
/// stdout read line by line as a test asks and its stderr collected all along (so that a
/// flood of lines can never block the server on a full pipe). Killed on drop.
pub struct RealServer {
    process: Process,
    /// The `listening` line the running process announced, as JSON.
    pub listening: serde_json::Value,
    /// The game listener (WebSocket) address.
    pub ws: SocketAddr,
    /// The control API address.
    pub control: SocketAddr,
    launch: Launch,
    /// The config file [`RealServer::start`] wrote into its directory.
    config_file: Option<std::path::PathBuf>,
    /// The server's own temporary directory, kept across restarts and removed on drop.
    _dir: Option<TempDir>,
}

impl RealServer {
    /// Runs `volley <global_args> serve --config <file> <serve args>`, where `setup` writes
    /// what it needs into the server's own temporary directory and returns the config file's
    /// text and the serve arguments.
    pub async fn start(
        global_args: &[&str],
        setup: impl FnOnce(&TempDir) -> (String, Vec<String>),
    ) -> Self {
        let volley = || tokio::process::Command::new(env!("CARGO_BIN_EXE_volley"));
        Self::start_with(volley, global_args, setup).await
    }

    /// [`RealServer::start`] under a command of the caller's, such as `prlimit ... volley`:
    /// `wrapper` builds it, and the volley arguments follow its own.
    pub async fn start_with(
        wrapper: impl Fn() -> tokio::process::Command + Send + Sync + 'static,
        global_args: &[&str],
        setup: impl FnOnce(&TempDir) -> (String, Vec<String>),
    ) -> Self {
        let dir = TempDir::new();
        let (config_text, serve_args) = setup(&dir);
        let config_file = dir.path().join("volley.toml");
        std::fs::write(&config_file, config_text).expect("config written");
        let global_args: Vec<String> = global_args.iter().map(|&arg| arg.to_owned()).collect();
        let config = config_file.clone();
        let mut server = Self::spawn(move || {
            let mut command = wrapper();
            command
                .args(&global_args)
                .arg("serve")
                .arg("--config")
                .arg(&config)
                .args(&serve_args);
            command
        })
        .await;
        server.config_file = Some(config_file);
        server._dir = Some(dir);
        server
    }

    /// Runs the command that `launch` builds as it is: its arguments, config, environment
    /// and working directory are the caller's. Stdio, kill-on-drop and the removal of the
    /// environment's log settings are added here.
    pub async fn spawn(
        launch: impl Fn() -> tokio::process::Command + Send + Sync + 'static,
    ) -> Self {
        let launch: Launch = Box::new(launch);
        let (process, listening) = Process::spawn(launch()).await;
        Self {
            ws: announced(&listening, "ws"),
            control: announced(&listening, "control"),
            listening,
            process,
            launch,
            config_file: None,
            _dir: None,
        }
    }

    /// The config file the server reads, to rewrite before a SIGHUP or a restart.
    pub fn config_file(&self) -> &std::path::Path {
        self.config_file
            .as_deref()
            .expect("started by RealServer::start, with a config file of its own")
    }

    /// Starts the binary again as it was started first, on the same directory and config
    /// file (as they are now), once the previous process has exited (see
    /// [`RealServer::exited`]). The addresses become the new process's, and its stderr is
    /// collected afresh.
    pub async fn restart(&mut self) {
        let status = self.process.child.try_wait().expect("status readable");
        assert!(status.is_some(), "the previous process is still running");
        let (process, listening) = Process::spawn((self.launch)()).await;
        self.ws = announced(&listening, "ws");
        self.control = announced(&listening, "control");
        self.listening = listening;
        self.process = process;
    }

    /// The next stdout line containing `needle`, as JSON, within one [`STEP`].
    pub async fn stdout_line(&mut self, needle: &str) -> serde_json::Value {
        self.process.stdout_line(needle).await
    }

    /// The stderr lines after those that earlier calls returned, up to and including the
    /// first one containing `needle`, waiting for it for at most one [`STEP`].
    pub async fn stderr_until(&mut self, needle: &str) -> Vec<String> {
        self.process.stderr.until(needle).await
    }

    /// The stderr lines written so far.
    pub fn stderr_so_far(&self) -> Vec<String> {
        self.process.stderr.lines.borrow().clone()
    }

    /// A client without a fast channel, logging in to `player_session_id`.
    pub async fn connect(
        &self,
        player_session_id: &str,
    ) -> Result<Client, volley::client::ClientError> {
        let token = ConnectionToken::new(player_session_id, Bytes::new());
        let config = ClientConfig {
            fast_channel: false,
            ..ClientConfig::default()
        };
        let connect = Client::connect("127.0.0.1", self.ws.port(), token, config);
        within("connect", connect).await
    }

    /// A logged-in client without a fast channel.
    pub async fn player(&self, player_session_id: &str) -> Client {
        self.connect(player_session_id)
            .await
            .expect("login accepted")
    }

    /// The value of one series in `GET /metrics` (0 when absent).
    pub async fn metric(&self, series: &str) -> f64 {
        let (status, body) = http_get(self.control, "/metrics").await;
        assert_eq!(status, 200, "{body}");
        body.lines()
            .find_map(|line| {
                let (name, value) = line.rsplit_once(' ')?;
                (name == series).then(|| value.parse().expect("a number"))
            })
            .unwrap_or(0.0)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.process.child.id().expect("running")
    }

    /// Sends signal `name` (`TERM`, `HUP`, `KILL`, ...) to the process.
    pub fn signal(&self, name: &str) {
        let pid = self.pid().to_string();
        let sent = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{name} {pid}");
    }

    /// Waits up to one [`STEP`] for the process to exit and its stderr to be read to the end.
    pub async fn exited(&mut self) -> std::process::ExitStatus {
        self.exited_within(STEP).await
    }

    /// [`RealServer::exited`] with a limit of the caller's.
    pub async fn exited_within(&mut self, limit: Duration) -> std::process::ExitStatus {
        let process = &mut self.process;
        let exit = async {
            let status = process.child.wait().await.expect("exit status");
            if let Some(reader) = process.stderr.reader.take() {
                reader.await.expect("stderr reader");
            }
            status
        };
        tokio::time::timeout(limit, exit)
            .await
            .unwrap_or_else(|_| panic!("the server did not exit within {limit:?}"))
    }

    /// Drains the server (SIGTERM), waits for it to exit with success and returns its stderr
    /// lines.
    pub async fn stop_lines(mut self) -> Vec<String> {
        self.signal("TERM");
        let status = self.exited().await;
        assert!(status.success(), "{status}");
        self.stderr_so_far()
    }

    /// [`RealServer::stop_lines`], each line parsed as JSON (`{"raw": line}` if it is not).
    pub async fn stop(self) -> Vec<serde_json::Value> {
        self.stop_lines()
            .await
            .iter()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|_| serde_json::json!({ "raw": line }))
            })
            .collect()
    }
}

/// The address a `listening` line gives for `key`.
fn announced(listening: &serde_json::Value, key: &str) -> SocketAddr {
    listening[key]
        .as_str()
        .and_then(|address| address.parse().ok())
        .unwrap_or_else(|| panic!("a {key} address in {listening}"))
}

/// One process of a [`RealServer`]: the child, its stdout and its collected stderr.
struct Process {
    child: tokio::process::Child,
    stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    stderr: StderrLog,
}

impl Process {
    /// Spawns `command` and reads its stdout up to the ready line; returns the `listening`
    /// line before it. Only from the ready line on are signals handled (before it, one would
    /// end the process).
    async fn spawn(mut command: tokio::process::Command) -> (Self, serde_json::Value) {
        use tokio::io::AsyncBufReadExt;
        let mut child = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .env_remove("VOLLEY_LOG")
            .env_remove("RUST_LOG")
            .kill_on_drop(true)
            .spawn()
            .expect("volley starts");
        let stdout = tokio::io::BufReader::new(child.stdout.take().expect("piped")).lines();
        let stderr = StderrLog::collect(child.stderr.take().expect("piped"));
        let mut process = Self {
            child,
            stdout,
            stderr,
        };
        let listening = process.stdout_line("\"listening\"").await;
        process.stdout_line("\"ready\"").await;
        (process, listening)
    }

    /// See [`RealServer::stdout_line`].
    async fn stdout_line(&mut self, needle: &str) -> serde_json::Value {
        let read = async {
            while let Some(line) = self.stdout.next_line().await.expect("stdout readable") {
                if line.contains(needle) {
                    return serde_json::from_str(&line).expect("json line");
                }
            }
            panic!("stdout ended before {needle:?}");
        };
        within(needle, read).await
    }
}

/// Every stderr line of a process, read by a task of its own from the start.
struct StderrLog {
    lines: tokio::sync::watch::Receiver<Vec<String>>,
    /// The reading task, until [`RealServer::exited`] awaits it.
    reader: Option<tokio::task::JoinHandle<()>>,
    /// How many lines [`StderrLog::until`] has returned.
    returned: usize,
}

impl StderrLog {
    /// Starts reading `stderr` to its end.
    fn collect(stderr: tokio::process::ChildStderr) -> Self {
        use tokio::io::AsyncBufReadExt;
        let (sender, lines) = tokio::sync::watch::channel(Vec::new());
        let mut stderr = tokio::io::BufReader::new(stderr).lines();
        let reader = tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                sender.send_modify(|lines| lines.push(line));
            }
        });
        Self {
            lines,
            reader: Some(reader),
            returned: 0,
        }
    }

    /// See [`RealServer::stderr_until`]; each line is looked at once, however many arrive.
    async fn until(&mut self, needle: &str) -> Vec<String> {
        let from = self.returned;
        let (mut scanned, mut end) = (from, None);
        let mut lines = self.lines.clone();
        let found = lines.wait_for(|lines| {
            end = lines[scanned..]
                .iter()
                .position(|line| line.contains(needle))
                .map(|at| scanned + at + 1);
            scanned = lines.len();
            end.is_some()
        });
        // An error means that stderr ended without such a line.
        let Ok(lines) = within(needle, found).await else {
            let seen = self.lines.borrow()[from..].to_vec();
            panic!("stderr ended before {needle:?}: {seen:?}");
        };
        let end = end.expect("the line was found");
        self.returned = end;
        lines[from..end].to_vec()
    }
}
