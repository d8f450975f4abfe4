//! `volley bench`: the load generator. It starts the server as a child process in dev mode
//! (or targets a running one), connects `rooms` game sessions of `players` players each, has
//! every player send `bytes`-byte messages at `rate_hz` to its session's all-players group
//! over the fast or the reliable channel for a bounded time, and reports messages sent,
//! delivered and lost, delivery latency percentiles, and the server process's CPU time per
//! delivered message and peak memory, read from `/proc`, and where lost datagrams were
//! dropped ([`drops`]).

mod drops;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::{BufMut, Bytes, BytesMut};
use clap::{Args, ValueEnum};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use volley::client::{
    Client, ClientConfig, ClientError, ConnectionToken, DeliveryIntent, Event, RtMessage,
    SecureConfig,
};
use volley::protocol::{GroupId, Opcode};

/// `volley bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Game sessions.
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Players per game session.
    #[arg(long, default_value_t = 8)]
    pub players: usize,
    /// Messages per second each player sends to all players; 0 measures idle players.
    #[arg(long, default_value_t = 30.0)]
    pub rate_hz: f64,
    /// Payload bytes per message (at least 8: the send time travels in it).
    #[arg(long, default_value_t = 64)]
    pub bytes: usize,
    /// Channel the messages are sent on.
    #[arg(long, value_enum, default_value_t = BenchChannel::Fast)]
    pub channel: BenchChannel,
    /// Seconds measured.
    #[arg(long, default_value_t = 10)]
    pub duration_secs: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2)]
    pub warmup_secs: u64,
    /// A server script (`.js` file, directory or `.zip`) every game session runs, to measure
    /// what its hooks cost.
    #[arg(long, conflicts_with = "server")]
    pub script: Option<PathBuf>,
    /// Extra game sessions, named `runaway-N`, of one idle player each, whose script is meant
    /// to run away (`benches/scripts/runaway.js`, as `--script` or the script of the server
    /// given with `--server`, loops in them until each callback's time cap, as often as their
    /// CPU budget allows): what they cost the measured game sessions.
    #[arg(long, default_value_t = 0)]
    pub runaway_sessions: usize,
    /// A running `volley serve --dev` to load (host:port) instead of starting one.
    #[arg(long)]
    pub server: Option<String>,
    /// The pid of that server, to read its CPU time, memory and socket drops.
    #[arg(long, requires = "server")]
    pub server_pid: Option<u32>,
    /// That server's control address (host:port), to read its drop counters from `/metrics`.
    #[arg(long, requires = "server")]
    pub server_control: Option<String>,
    /// Connect to that server in secure mode (`wss://` and DTLS), trusting this CA (PEM)
    /// for the WebSocket and the name `localhost`.
    #[arg(long, value_name = "FILE", requires = "server")]
    pub tls_ca: Option<PathBuf>,
    /// Run the started server in secure mode (`wss://` and DTLS) with a development
    /// certificate generated for the run, and connect every player securely.
    #[arg(long, conflicts_with = "server")]
    pub secure: bool,
    /// Print the result as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Channel of the benchmark's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BenchChannel {
    /// UDP after binding (fast intent).
    Fast,
    /// The WebSocket (reliable intent).
    Reliable,
}

/// Opcode of benchmark messages.
const BENCH_OP: Opcode = Opcode(100);
/// Players connecting at once.
const CONNECT_CONCURRENCY: usize = 64;
/// Time for in-flight messages to arrive after the senders stop.
const DRAIN: Duration = Duration::from_secs(1);

/// What one run measured.
#[derive(Debug, Serialize)]
struct Report {
    rooms: usize,
    players: usize,
    rate_hz: f64,
    bytes: usize,
    channel: BenchChannel,
    /// The server script the game sessions ran, if any.
    script: Option<String>,
    /// Extra game sessions whose script runs away.
    runaway_sessions: usize,
    /// Secure mode: `wss://` and DTLS.
    secure: bool,
    duration_secs: u64,
    machine: String,
    sent: u64,
    not_sent_generator_busy: u64,
    expected: u64,
    delivered: u64,
    lost: u64,
    loss_percent: f64,
    latency_p50_us: u64,
    latency_p99_us: u64,
    latency_p999_us: u64,
    latency_max_us: u64,
    server: Option<ServerFigures>,
    /// Where datagrams were dropped, from the measured window's start to the end of the drain.
    drops: drops::Drops,
}

#[derive(Debug, Serialize)]
struct ServerFigures {
    pid: u32,
    user_cpu_ms: f64,
    system_cpu_ms: f64,
    user_ns_per_delivery: Option<f64>,
    total_ns_per_delivery: Option<f64>,
    rss_before_players_kib: u64,
    rss_with_players_kib: u64,
    peak_rss_kib: u64,
    bytes_per_player: f64,
}

/// Runs the benchmark and prints its report.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.bytes < 8 {
        bail!("--bytes must be at least 8");
    }
    if args.rooms == 0 || args.players == 0 {
        bail!("--rooms and --players must be at least 1");
    }
    let mut child = None;
    let (server, pid, control, ca_pem) = match &args.server {
        Some(server) => {
            let ca_pem = match &args.tls_ca {
                Some(path) => Some(
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
                ),
                None => None,
            };
            let control = args.server_control.clone();
            (server.clone(), args.server_pid, control, ca_pem)
        }
        None => {
            let started = spawn_server(&args).await?;
            let pid = started.child.id();
            child = Some(started.child);
            (started.game, pid, Some(started.control), started.ca_pem)
        }
    };
    let (host, port) = server
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
        .with_context(|| format!("`{server}` is not host:port"))?;
    let server = Target {
        host: &host,
        port,
        pid,
        control: control.as_deref().filter(|c| !c.is_empty()),
    };
    let report = measure(&args, &server, ca_pem.as_deref()).await;
    if let Some(mut child) = child {
        let _ = child.kill().await;
    }
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

/// Starts `volley serve --dev` on an ephemeral loopback port with room for the load; with
/// `--secure`, in secure mode, and returns the CA its clients must trust.
/// The started server: its process, game and control addresses, and the CA to trust.
struct Started {
    child: Child,
    game: String,
    control: String,
    ca_pem: Option<Vec<u8>>,
}

async fn spawn_server(args: &BenchArgs) -> anyhow::Result<Started> {
    let scratch = std::env::temp_dir().join(format!("volley-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).context("creating the bench server's directory")?;
    let mut tls_args = Vec::new();
    let mut ca_pem = None;
    if args.secure {
        let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
        let certs = volley::certgen::generate(&scratch.join("certs"), &names, true)?;
        ca_pem = Some(std::fs::read(&certs.ca_cert).context("reading the generated CA")?);
        for (flag, path) in [
            ("--tls-cert", certs.server_cert),
            ("--tls-key", certs.server_key),
            ("--tls-ca", certs.ca_cert),
        ] {
            tls_args.push(flag.into());
            tls_args.push(path.into_os_string());
        }
    }
    let config = scratch.join("volley.toml");
    std::fs::write(
        &config,
        format!(
            "[limits]\nmax_connections = {}\n[sessions]\nmax_players = {}\n\
             [scripts]\ndata_dir = {:?}\n",
            args.rooms * args.players + 16,
            args.players,
            scratch.join("data"),
        ),
    )
    .context("writing the bench server config")?;
    let exe: PathBuf = std::env::current_exe().context("locating the volley binary")?;
    let mut child = Command::new(exe)
        .args([
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--control-listen",
            "127.0.0.1:0",
            "--log-level",
            "warn",
            "--config",
        ])
        .arg(&config)
        .args(&tls_args)
        .args(
            args.script
                .iter()
                .flat_map(|path| [OsStr::new("--script"), path.as_os_str()]),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server")?;
    let stdout = child.stdout.take().context("server stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let (game, control) = tokio::time::timeout(Duration::from_secs(10), async {
        let (mut game, mut control) = (String::new(), String::new());
        while let Some(line) = lines.next_line().await? {
            let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if value["event"] == "listening" {
                game = value["ws"].as_str().unwrap_or_default().to_owned();
                control = value["control"].as_str().unwrap_or_default().to_owned();
            } else if value["event"] == "ready" {
                break;
            }
        }
        anyhow::Ok((game, control))
    })
    .await
    .context("the server did not start in 10 s")??;
    // Keep reading what the server prints, so it never writes into a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let _ = std::fs::remove_dir_all(&scratch);
    if game.is_empty() {
        bail!("the server exited before listening");
    }
    Ok(Started {
        child,
        game,
        control,
        ca_pem,
    })
}

/// The server under load.
struct Target<'a> {
    host: &'a str,
    port: u16,
    pid: Option<u32>,
    control: Option<&'a str>,
}

async fn measure(
    args: &BenchArgs,
    target: &Target<'_>,
    ca_pem: Option<&[u8]>,
) -> anyhow::Result<Report> {
    let (host, port, pid) = (target.host, target.port, target.pid);
    let rss_before = pid.and_then(|p| proc_status(p, "VmRSS:")).unwrap_or(0);
    let clients = connect_all(args, host, port, ca_pem).await?;
    let count = clients.len();
    let rss_with_players = pid.and_then(|p| proc_status(p, "VmRSS:")).unwrap_or(0);
    let runaways = connect_runaways(args.runaway_sessions, host, port, ca_pem).await?;

    let origin = Instant::now();
    let window_start = origin + Duration::from_secs(args.warmup_secs);
    let window_end = window_start + Duration::from_secs(args.duration_secs);
    let stop = CancellationToken::new();
    let shared = Arc::new(Shared {
        origin,
        window: (window_start, window_end),
        stop: stop.clone(),
        interval: (args.rate_hz > 0.0).then(|| Duration::from_secs_f64(1.0 / args.rate_hz)),
        bytes: args.bytes,
        intent: match args.channel {
            BenchChannel::Fast => DeliveryIntent::Fast,
            BenchChannel::Reliable => DeliveryIntent::Reliable,
        },
    });
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, client)| tokio::spawn(play(Arc::clone(&shared), client, i, count)))
        .collect();
    tokio::time::sleep_until(window_start).await;
    let cpu_start = pid.and_then(proc_cpu_ticks);
    let drops_start = drops::snapshot(pid, target.control).await;
    tokio::time::sleep_until(window_end).await;
    let cpu_end = pid.and_then(proc_cpu_ticks);
    tokio::time::sleep(DRAIN).await;
    let drops = drops::snapshot(pid, target.control)
        .await
        .since(&drops_start);
    stop.cancel();
    drop(runaways);

    let mut total = PlayerResult::new();
    for task in tasks {
        total.merge(task.await.context("player task")?);
    }
    let expected = total.sent * args.players as u64;
    let lost = expected.saturating_sub(total.delivered);
    let server = pid.map(|pid| {
        let (user, system) = match (cpu_start, cpu_end) {
            (Some((u0, s0)), Some((u1, s1))) => (ticks_ms(u1 - u0), ticks_ms(s1 - s0)),
            _ => (0.0, 0.0),
        };
        let per = |ms: f64| (total.delivered > 0).then(|| ms * 1e6 / total.delivered as f64);
        let rss_with = rss_with_players.max(rss_before);
        ServerFigures {
            pid,
            user_cpu_ms: user,
            system_cpu_ms: system,
            user_ns_per_delivery: per(user),
            total_ns_per_delivery: per(user + system),
            rss_before_players_kib: rss_before,
            rss_with_players_kib: rss_with,
            peak_rss_kib: proc_status(pid, "VmHWM:").unwrap_or(0),
            bytes_per_player: (rss_with - rss_before) as f64 * 1024.0 / count as f64,
        }
    });
    let quantile = |q| total.latency.value_at_quantile(q);
    Ok(Report {
        rooms: args.rooms,
        players: args.players,
        rate_hz: args.rate_hz,
        bytes: args.bytes,
        channel: args.channel,
        script: args.script.as_ref().map(|p| p.display().to_string()),
        runaway_sessions: args.runaway_sessions,
        secure: ca_pem.is_some(),
        duration_secs: args.duration_secs,
        machine: machine(),
        sent: total.sent,
        not_sent_generator_busy: total.not_sent,
        expected,
        delivered: total.delivered,
        lost,
        loss_percent: if expected > 0 {
            lost as f64 * 100.0 / expected as f64
        } else {
            0.0
        },
        latency_p50_us: quantile(0.5),
        latency_p99_us: quantile(0.99),
        latency_p999_us: quantile(0.999),
        latency_max_us: total.latency.max(),
        server,
        drops,
    })
}

/// How players connect in secure mode: trusting `ca_pem` for the name `localhost`.
fn secure_config(ca_pem: Option<&[u8]>) -> anyhow::Result<Option<SecureConfig>> {
    ca_pem
        .map(|pem| {
            Ok(SecureConfig {
                server_name: Some("localhost".into()),
                ..SecureConfig::from_ca_pem(pem)?
            })
        })
        .transpose()
}

/// Connects every player: `room-R/player-P`, so dev mode puts each room in its own session.
async fn connect_all(
    args: &BenchArgs,
    host: &str,
    port: u16,
    ca_pem: Option<&[u8]>,
) -> anyhow::Result<Vec<Client>> {
    let secure = secure_config(ca_pem)?;
    let fast = args.channel == BenchChannel::Fast;
    let secure = &secure;
    let ids: Vec<String> = (0..args.rooms)
        .flat_map(|r| (0..args.players).map(move |p| format!("room-{r}/player-{p}")))
        .collect();
    let connects = futures_util::stream::iter(ids).map(|id| async move {
        let config = ClientConfig {
            fast_channel: fast,
            event_queue: 1024,
            secure: secure.clone(),
            ..ClientConfig::default()
        };
        let token = ConnectionToken::new(id, Bytes::new());
        let client = Client::connect(host, port, token, config).await?;
        if fast {
            client.wait_fast_ready(Duration::from_secs(10)).await?;
        }
        Ok::<_, ClientError>(client)
    });
    let results: Vec<_> = connects
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect()
        .await;
    results
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .context("connecting the players")
}

/// Connects one idle player to each of `count` game sessions `runaway-N` over the
/// WebSocket.
async fn connect_runaways(
    count: usize,
    host: &str,
    port: u16,
    ca_pem: Option<&[u8]>,
) -> anyhow::Result<Vec<Client>> {
    let secure = secure_config(ca_pem)?;
    let mut clients = Vec::with_capacity(count);
    for n in 0..count {
        let config = ClientConfig {
            fast_channel: false,
            secure: secure.clone(),
            ..ClientConfig::default()
        };
        let token = ConnectionToken::new(format!("runaway-{n}/player-0"), Bytes::new());
        let client = Client::connect(host, port, token, config)
            .await
            .context("connecting a player of a runaway game session")?;
        clients.push(client);
    }
    Ok(clients)
}

/// What every player task shares.
struct Shared {
    origin: Instant,
    window: (Instant, Instant),
    stop: CancellationToken,
    interval: Option<Duration>,
    bytes: usize,
    intent: DeliveryIntent,
}

struct PlayerResult {
    sent: u64,
    not_sent: u64,
    delivered: u64,
    latency: Histogram<u64>,
}

impl PlayerResult {
    fn new() -> Self {
        // 1 µs to 60 s at 3 significant figures; the bounds are valid constants.
        let latency = Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
        Self {
            sent: 0,
            not_sent: 0,
            delivered: 0,
            latency,
        }
    }

    fn merge(&mut self, other: PlayerResult) {
        self.sent += other.sent;
        self.not_sent += other.not_sent;
        self.delivered += other.delivered;
        let _ = self.latency.add(&other.latency); // Same bounds: cannot fail.
    }
}

/// One player: sends on a timer, staggered across players, and records what arrives.
async fn play(shared: Arc<Shared>, mut client: Client, index: usize, count: usize) -> PlayerResult {
    let mut result = PlayerResult::new();
    let mut ticker = shared.interval.map(|period| {
        let offset = period.mul_f64(index as f64 / count as f64);
        let mut ticker = tokio::time::interval_at(shared.origin + offset, period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        ticker
    });
    let (start, end) = shared.window;
    loop {
        tokio::select! {
            () = shared.stop.cancelled() => break,
            _ = tick(&mut ticker) => {
                let now = Instant::now();
                if now >= end {
                    ticker = None;
                    continue;
                }
                let mut payload = BytesMut::with_capacity(shared.bytes);
                payload.put_u64_le((now - shared.origin).as_nanos() as u64);
                payload.resize(shared.bytes, 0);
                let message = RtMessage::to_group(BENCH_OP, GroupId::ALL_PLAYERS, payload.freeze())
                    .with_intent(shared.intent);
                let accepted = client.try_send(message).is_ok();
                if now >= start {
                    if accepted { result.sent += 1 } else { result.not_sent += 1 }
                }
            }
            event = client.next_event() => match event {
                Some(Event::Data(data)) if data.op_code == BENCH_OP && data.payload.len() >= 8 => {
                    let mut stamp = [0u8; 8];
                    stamp.copy_from_slice(&data.payload[..8]);
                    let sent_at = shared.origin + Duration::from_nanos(u64::from_le_bytes(stamp));
                    if sent_at >= start && sent_at < end {
                        result.delivered += 1;
                        let micros = sent_at.elapsed().as_micros().max(1) as u64;
                        let _ = result.latency.record(micros.min(60_000_000));
                    }
                }
                Some(_) => {}
                None => break,
            },
        }
    }
    client.disconnect().await;
    result
}

async fn tick(ticker: &mut Option<tokio::time::Interval>) {
    match ticker {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// utime and stime of a process, in clock ticks (`/proc/PID/stat` fields 14 and 15).
fn proc_cpu_ticks(pid: u32) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let utime = fields.nth(11)?.parse().ok()?;
    let stime = fields.next()?.parse().ok()?;
    Some((utime, stime))
}

/// Linux reports process CPU time in USER_HZ ticks, 100 per second on every architecture.
fn ticks_ms(ticks: u64) -> f64 {
    ticks as f64 * 10.0
}

/// A `/proc/PID/status` line's value in KiB (e.g. `VmRSS:`, `VmHWM:`).
fn proc_status(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split_once(':').map_or(l, |(_, v)| v).trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {cpu}, loopback, generator on the same machine")
}

fn print_table(r: &Report) {
    println!(
        "{} rooms x {} players x {} Hz x {} B over {:?} for {} s ({})",
        r.rooms, r.players, r.rate_hz, r.bytes, r.channel, r.duration_secs, r.machine
    );
    if let Some(script) = &r.script {
        println!("every game session runs the script {script}");
    }
    if r.runaway_sessions > 0 {
        println!(
            "and {} more game sessions, whose script runs away",
            r.runaway_sessions
        );
    }
    if r.secure {
        println!("secure mode: wss:// and DTLS");
    }
    println!(
        "sent {}  (generator busy, not sent: {})",
        r.sent, r.not_sent_generator_busy
    );
    println!(
        "delivered {} of {}  lost {} ({:.3} %)",
        r.delivered, r.expected, r.lost, r.loss_percent
    );
    println!(
        "latency p50 {} us  p99 {} us  p99.9 {} us  max {} us",
        r.latency_p50_us, r.latency_p99_us, r.latency_p999_us, r.latency_max_us
    );
    let d = &r.drops;
    println!(
        "udp drops: server socket {}  generator sockets {}  machine {:?}  server {:?}",
        d.server_socket, d.generator_sockets, d.machine, d.server_reasons
    );
    if let Some(s) = &r.server {
        let per = |v: Option<f64>| {
            v.map_or_else(|| "-".to_owned(), |ns| format!("{:.2} us", ns / 1000.0))
        };
        println!(
            "server cpu user {:.0} ms  system {:.0} ms  per delivery: user {}  total {}",
            s.user_cpu_ms,
            s.system_cpu_ms,
            per(s.user_ns_per_delivery),
            per(s.total_ns_per_delivery)
        );
        println!(
            "server rss {} KiB before players, {} KiB with them ({:.0} B per player), peak {} KiB",
            s.rss_before_players_kib, s.rss_with_players_kib, s.bytes_per_player, s.peak_rss_kib
        );
    }
}
