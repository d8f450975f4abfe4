//! `volley status` and `volley health`: an operator's view of a running server through its
//! control API ([`volley::control_client`]). `status` calls `Volley.DescribeServer` (signed
//! with an access key) and prints the server, the fleet's hosts, its game sessions and its
//! headline counters at a glance, or the raw JSON; `health` asks `/health` or `/ready` and
//! exits 0 only on 200, which is what the Docker image's HEALTHCHECK runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use volley::api::Request;
use volley::api::admin::{DescribeServerInput, DescribeServerOutput, ServerFleet, StartDrainInput};
use volley::config::Config;
use volley::control_client::{
    ClientOptions, ControlClient, ControlClientError, Credentials, DEFAULT_ENDPOINT, Endpoint,
};
use volley::secret::Secret;

/// Where and how to reach the control API.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The control API's URL [default: from --config, else http://127.0.0.1:8080].
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The server's config file: the endpoint comes from `control.listen` (a wildcard address
    /// becomes loopback; https with `tls.control`) and, for `status`, the access key from the
    /// first of `control.access_keys`. Flags win.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// PEM certificate(s) to trust for https: the `ca.pem` of `volley cert generate`, or a
    /// system bundle such as /etc/ssl/certs/ca-certificates.crt for a public CA
    /// [default with --config: `tls.ca_file`].
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// The name the server's certificate must carry [default: the endpoint's host].
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,
    /// Seconds to wait for the answer.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub timeout_secs: u64,
}

/// `volley status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Print the raw `Volley.DescribeServer` output as JSON.
    #[arg(long)]
    pub json: bool,
    /// Most game sessions listed (1-1000); the total is always shown.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
}

/// `volley drain`.
#[derive(Debug, Args)]
pub struct DrainArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub key: KeyArgs,
}

/// The access key requests are signed with.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Access key id to sign with [default: VOLLEY_ACCESS_KEY_ID, the config's first key,
    /// then AWS_ACCESS_KEY_ID].
    #[arg(long, env = "VOLLEY_ACCESS_KEY_ID", value_name = "ID")]
    pub access_key_id: Option<String>,
    /// Its secret access key [default: VOLLEY_SECRET_ACCESS_KEY, the config's, then
    /// AWS_SECRET_ACCESS_KEY].
    #[arg(
        long,
        env = "VOLLEY_SECRET_ACCESS_KEY",
        hide_env_values = true,
        value_name = "SECRET",
        value_parser = secret
    )]
    pub secret_access_key: Option<Secret>,
    /// Region named in the signature (the server accepts any).
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
}

/// `volley health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Ask `/ready` (ready for new game sessions) instead of `/health` (alive).
    #[arg(long)]
    pub ready: bool,
}

/// Wraps a secret from the command line or environment at once, so it never prints.
fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

/// Prints the server's state; an unreachable server or a refused request is an error.
pub async fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let (client, signed) = connect(&args.connect, &args.key)?;
    let input = DescribeServerInput {
        limit: Some(i32::from(args.limit)),
    };
    if args.json {
        // What the server sent, members this version does not know included.
        let body = serde_json::to_value(&input)?;
        let output = client
            .call(DescribeServerInput::OPERATION.target(), &body)
            .await
            .map_err(|error| refused(&client, signed, error))?;
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        let output = client
            .send(&input)
            .await
            .map_err(|error| refused(&client, signed, error))?;
        print!("{}", render(client.endpoint(), &output));
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts a drain; the server exits once its game sessions have ended.
pub async fn drain(args: DrainArgs) -> anyhow::Result<ExitCode> {
    let (client, signed) = connect(&args.connect, &args.key)?;
    let output = client
        .send(&StartDrainInput::default())
        .await
        .map_err(|error| refused(&client, signed, error))?;
    let sessions = output.game_session_count;
    let already = if output.already_draining {
        " (already draining)"
    } else {
        ""
    };
    println!(
        "{} is draining{already}: {sessions} game session{} left, closed after at most {}s",
        client.endpoint(),
        plural(sessions),
        output.drain_grace_seconds,
    );
    Ok(ExitCode::SUCCESS)
}

/// A client for signed operations, and whether it has a key to sign with.
fn connect(connect: &ConnectArgs, key: &KeyArgs) -> anyhow::Result<(ControlClient, bool)> {
    let config = load_config(connect.config.as_deref())?;
    let credentials = credentials(key, config.as_ref())?;
    let signed = credentials.is_some();
    Ok((client(connect, config.as_ref(), credentials)?, signed))
}

/// A failed operation as an error naming the endpoint; a refusal of an unsigned request
/// says how to give a key.
fn refused(client: &ControlClient, signed: bool, error: ControlClientError) -> anyhow::Error {
    match error {
        error @ ControlClientError::Api { .. } => {
            let hint = if signed {
                ""
            } else {
                "\n(no access key given: use --access-key-id and --secret-access-key, or \
                 VOLLEY_ACCESS_KEY_ID and VOLLEY_SECRET_ACCESS_KEY)"
            };
            anyhow::anyhow!("{} refused the request: {error}{hint}", client.endpoint())
        }
        error => error.into(),
    }
}

/// Asks `/health` or `/ready`: exit 0 on 200, 1 on any other answer or none.
pub async fn health(args: HealthArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(args.connect.config.as_deref())?;
    let client = client(&args.connect, config.as_ref(), None)?;
    let path = if args.ready { "/ready" } else { "/health" };
    let reply = client.get(path).await?;
    let body = String::from_utf8_lossy(&reply.body);
    let body = printable(body.trim(), 200);
    if reply.status == 200 {
        println!("{path}: {body}");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{path}: HTTP {} {body}", reply.status);
        Ok(ExitCode::from(1))
    }
}

fn load_config(path: Option<&Path>) -> anyhow::Result<Option<Config>> {
    path.map(|path| Config::load(path).with_context(|| format!("--config {}", path.display())))
        .transpose()
}

/// The access key: the flags (or VOLLEY_* variables), else the config file's first key,
/// else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; none sends unsigned requests.
fn credentials(args: &KeyArgs, config: Option<&Config>) -> anyhow::Result<Option<Credentials>> {
    let key = |id: String, secret: Secret| Credentials {
        access_key_id: id,
        secret_access_key: secret,
        region: args.region.clone(),
    };
    match (&args.access_key_id, &args.secret_access_key) {
        (Some(id), Some(secret)) => return Ok(Some(key(id.clone(), secret.clone()))),
        (Some(_), None) => bail!("--access-key-id needs --secret-access-key"),
        (None, Some(_)) => bail!("--secret-access-key needs --access-key-id"),
        (None, None) => {}
    }
    if let Some(first) = config.and_then(|c| c.control.access_keys.first()) {
        return Ok(Some(key(first.id.clone(), first.secret.clone())));
    }
    let aws = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    Ok(
        match (aws("AWS_ACCESS_KEY_ID"), aws("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => Some(key(id, Secret::new(secret))),
            _ => None,
        },
    )
}

fn client(
    args: &ConnectArgs,
    config: Option<&Config>,
    credentials: Option<Credentials>,
) -> anyhow::Result<ControlClient> {
    let endpoint = match (&args.endpoint, config) {
        (Some(url), _) => Endpoint::parse(url)?,
        (None, Some(config)) => Endpoint::from_addr(config.control.listen, config.tls.control),
        (None, None) => Endpoint::parse(DEFAULT_ENDPOINT)?,
    };
    let ca_file = args.ca_file.clone().or_else(|| {
        config
            .and_then(|c| c.tls.files.as_ref())
            .and_then(|files| files.ca_file.clone())
    });
    let ca_pem = match ca_file {
        Some(path) if endpoint.is_tls() => {
            Some(std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?)
        }
        _ => None,
    };
    if endpoint.is_tls() && ca_pem.is_none() {
        bail!("{endpoint} is https: give the CA certificate to trust with --ca-file");
    }
    let timeout = Duration::from_secs(args.timeout_secs.max(1));
    let options = ClientOptions {
        credentials,
        ca_pem,
        server_name: args.server_name.clone(),
        connect_timeout: timeout.min(Duration::from_secs(5)),
        timeout,
    };
    Ok(ControlClient::new(endpoint, options)?)
}

/// The at-a-glance text of a `DescribeServer` output.
fn render(endpoint: &Endpoint, output: &DescribeServerOutput) -> String {
    let server = &output.server;
    let text = |v: &str| printable(v, 80);
    let mut out = String::new();

    let state = if server.ready {
        "ready".to_owned()
    } else if server.draining {
        "NOT READY: draining".to_owned()
    } else if !server.listening {
        "NOT READY: not listening".to_owned()
    } else {
        let unhealthy = server.unhealthy_game_sessions;
        format!("NOT READY: {unhealthy} game session(s) with an unhealthy script")
    };
    let listeners = &server.listeners;
    let client = &server.client_endpoint;
    out.push_str(&format!(
        "volley {} at {endpoint}, up {}, {state}\n",
        text(&server.version),
        duration(server.uptime_seconds),
    ));
    out.push_str(&format!(
        "  game {} (ws), {} (udp), tls {}; control {}{}\n",
        text(&listeners.game),
        text(&listeners.udp),
        text(&listeners.tls_mode),
        text(&listeners.control),
        if listeners.control_tls {
            " (https)"
        } else {
            ""
        },
    ));
    out.push_str(&format!(
        "  fleet {}, clients connect to {}:{} (fast port {})\n",
        text(&server.fleet_id),
        text(&client.dns_name),
        client.port,
        client.fast_port,
    ));
    let script_text = match &server.script {
        Some(script) => {
            let label = script_label(
                &script.script_id,
                script.version.as_deref(),
                script.revision,
                true,
            );
            match &script.name {
                Some(name) => format!("{} ({label})", printable(name, 40)),
                None => label,
            }
        }
        None => "none (pure relay)".to_owned(),
    };
    out.push_str(&format!("  script {script_text}\n\n"));
    if let Some(fleet) = &output.fleet {
        out.push_str(&fleet_text(fleet));
        out.push('\n');
    }

    let sessions = &output.game_sessions;
    let total = output.game_session_count;
    if sessions.is_empty() {
        out.push_str("no game sessions running\n");
    } else {
        let mut rows = vec![
            [
                "GAME SESSION",
                "NAME",
                "STATUS",
                "PLAYERS",
                "ONLINE",
                "SCRIPT",
                "UPTIME",
            ]
            .map(String::from),
        ];
        for g in sessions {
            rows.push([
                short_id(&g.game_session_id, "gsess-"),
                printable(g.name.as_deref().unwrap_or("-"), 24),
                g.status.as_str().to_owned(),
                format!(
                    "{}/{}",
                    g.current_player_session_count, g.maximum_player_session_count
                ),
                g.active_player_session_count.to_string(),
                match &g.script_id {
                    Some(id) => {
                        script_label(id, g.script_version.as_deref(), g.script_revision, false)
                    }
                    None => "-".to_owned(),
                },
                duration(g.uptime_seconds),
            ]);
        }
        out.push_str(&table(&rows));
        let shown = sessions.len() as u64;
        let players = output.player_session_count;
        if shown < total {
            out.push_str(&format!(
                "{shown} of {total} game sessions shown (--limit), {players} player sessions\n"
            ));
        } else {
            out.push_str(&format!(
                "{total} game session{}, {players} player session{}\n",
                plural(total),
                plural(players)
            ));
        }
    }

    let c = &output.counters;
    out.push_str(&format!(
        "\nconnections {}, over limit {}; logins {} accepted, {} refused\n",
        c.connections_accepted, c.connections_over_limit, c.logins_accepted, c.logins_refused,
    ));
    out.push_str(&format!(
        "messages {} in, {} out, {} dropped, {} malformed; failed TLS/DTLS handshakes {}\n",
        c.messages_in, c.messages_out, c.messages_dropped, c.malformed, c.tls_handshakes_failed,
    ));
    out.push_str(&format!(
        "disconnects: {} closed by clients, {} lost, {} slow readers, {} idle, {} over their \
         rate\n",
        c.client_closes,
        c.connections_lost,
        c.slow_reader_closes,
        c.idle_timeouts,
        c.rate_limited_closes,
    ));
    out.push_str(&format!(
        "scripts: {} errors, {} timeouts, {} out of memory\n",
        c.script_errors, c.script_timeouts, c.script_out_of_memory,
    ));
    out
}

/// The fleet's hosts and locations: a line, then a table of the hosts.
fn fleet_text(fleet: &ServerFleet) -> String {
    let this = printable(&fleet.host_id, 64);
    if let Some(error) = &fleet.store_error {
        return format!(
            "fleet store unreadable from {this}: {}\n",
            printable(error, 200)
        );
    }
    let hosts = fleet.host_count;
    let locations = fleet.locations.len() as u64;
    let store = if fleet.shared {
        "sharing a fleet store"
    } else {
        "no fleet store"
    };
    let mut out = format!(
        "fleet of {hosts} host{} in {locations} location{} ({}), {store}; this is {this}\n",
        plural(hosts),
        plural(locations),
        printable(&fleet.locations.join(", "), 200),
    );
    let mut rows = vec![
        [
            "HOST",
            "LOCATION",
            "ADDRESS",
            "STATE",
            "GAME SESSIONS",
            "PLAYERS",
            "VERSION",
        ]
        .map(String::from),
    ];
    for h in &fleet.hosts {
        rows.push([
            printable(&h.host_id, 40),
            printable(&h.location, 64),
            format!("{}:{}", printable(&h.dns_name, 64), h.port),
            if h.draining { "draining" } else { "active" }.to_owned(),
            format!("{}/{}", h.game_session_count, h.max_game_sessions),
            h.player_count.to_string(),
            printable(&h.version, 16),
        ]);
    }
    out.push_str(&table(&rows));
    let shown = fleet.hosts.len() as u64;
    if shown < hosts {
        out.push_str(&format!("{shown} of {hosts} hosts shown\n"));
    }
    out
}

/// `script-1a2b3c4d 1.0 r2`: a short id, the version label if any, the content revision.
fn script_label(id: &str, version: Option<&str>, revision: Option<u64>, long: bool) -> String {
    let mut label = if long {
        printable(id, 64)
    } else {
        short_id(id, "script-")
    };
    if let Some(version) = version {
        label.push(' ');
        label.push_str(&printable(version, 16));
    }
    if let Some(revision) = revision {
        label.push_str(&format!(" r{revision}"));
    }
    label
}

/// The last segment of an id or ARN, with a generated uuid cut to its first 8 digits
/// (`gsess-1a2b3c4d`); other ids are cut to 24 characters.
fn short_id(id: &str, generated_prefix: &str) -> String {
    let last = id.rsplit('/').next().unwrap_or(id);
    match last.strip_prefix(generated_prefix) {
        Some(uuid) if uuid.len() == 36 => format!("{generated_prefix}{}", &uuid[..8]),
        _ => printable(last, 24),
    }
}

/// `45s`, `3m05s`, `1h02m`, `2d03h`.
fn duration(secs: u64) -> String {
    let (minutes, hours, days) = (secs / 60, secs / 3600, secs / 86_400);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{minutes}m{:02}s", secs % 60),
        3600..86_400 => format!("{hours}h{:02}m", minutes % 60),
        _ => format!("{days}d{:02}h", hours % 24),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Text from the server, safe for a terminal: control characters (escape sequences) become
/// spaces, and it is cut to `max` characters.
fn printable(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        out.pop();
        out.push('…');
    }
    out
}

/// Left-aligned columns two spaces apart.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use volley::api::admin::{
        ClientEndpoint, Counters, FleetHost, Listeners, Server, ServerGameSession, ServerScript,
    };
    use volley::api::model::{GameSessionStatus, Timestamp};

    use super::*;

    #[test]
    fn formats_durations_compactly() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(185), "3m05s");
        assert_eq!(duration(3720), "1h02m");
        assert_eq!(duration(2 * 86_400 + 3 * 3600 + 59), "2d03h");
    }

    #[test]
    fn shortens_generated_ids_and_cleans_names() {
        let arn = "arn:aws:gamelift:local::gamesession/fleet-local/\
                   gsess-1a2b3c4d-0000-4000-8000-000000000000";
        assert_eq!(short_id(arn, "gsess-"), "gsess-1a2b3c4d");
        let token = "arn:aws:gamelift:local::gamesession/fleet-local/match-42";
        assert_eq!(short_id(token, "gsess-"), "match-42");
        assert_eq!(printable("evil\u{1b}[2Jname", 24), "evil [2Jname");
        assert_eq!(printable("abcdef", 4), "abc…");
    }

    #[test]
    fn renders_a_snapshot() {
        let output = DescribeServerOutput {
            server: Server {
                version: "0.1.0".into(),
                uptime_seconds: 7380,
                ready: true,
                listening: true,
                fleet_id: "fleet-local".into(),
                listeners: Listeners {
                    game: "0.0.0.0:1935".into(),
                    udp: "0.0.0.0:1935".into(),
                    control: "0.0.0.0:8080".into(),
                    tls_mode: "plain".into(),
                    control_tls: false,
                },
                client_endpoint: ClientEndpoint {
                    ip_address: "203.0.113.10".into(),
                    dns_name: "game.example.com".into(),
                    port: 1935,
                    fast_port: 1935,
                },
                ..Server::default()
            },
            game_sessions: vec![ServerGameSession {
                game_session_id: "arn:aws:gamelift:local::gamesession/fleet-local/\
                                  gsess-1a2b3c4d-0000-4000-8000-000000000000"
                    .into(),
                name: Some("duel".into()),
                status: GameSessionStatus::Active,
                current_player_session_count: 2,
                active_player_session_count: 1,
                maximum_player_session_count: 8,
                script_id: None,
                script_version: None,
                script_revision: None,
                creation_time: Timestamp::default(),
                uptime_seconds: 62,
            }],
            game_session_count: 1,
            player_session_count: 2,
            counters: Counters {
                logins_accepted: 5,
                messages_in: 10,
                ..Counters::default()
            },
            fleet: None,
        };
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").expect("endpoint");
        let text = render(&endpoint, &output);
        assert!(text.starts_with("volley 0.1.0 at http://127.0.0.1:8080/, up 2h03m, ready\n"));
        assert!(text.contains("script none (pure relay)"), "{text}");
        assert!(
            text.contains("gsess-1a2b3c4d  duel  ACTIVE  2/8      1       -       1m02s"),
            "{text}"
        );
        assert!(text.contains("1 game session, 2 player sessions"), "{text}");
        assert!(text.contains("logins 5 accepted, 0 refused"), "{text}");
    }

    #[test]
    fn renders_the_fleets_hosts() {
        let host = |id: &str, location: &str, draining: bool| FleetHost {
            host_id: id.into(),
            location: location.into(),
            ip_address: "10.0.0.1".into(),
            dns_name: "game.example.com".into(),
            port: 1935,
            draining,
            max_game_sessions: 10,
            game_session_count: 2,
            player_count: 7,
            version: "0.1.0".into(),
        };
        let mut fleet = ServerFleet {
            shared: true,
            host_id: "host-a".into(),
            locations: vec!["custom-ams-1".into(), "us-east-1".into()],
            hosts: vec![
                host("host-a", "us-east-1", false),
                host("host-b", "custom-ams-1", true),
            ],
            host_count: 3,
            store_error: None,
        };
        let text = fleet_text(&fleet);
        assert!(
            text.starts_with(
                "fleet of 3 hosts in 2 locations (custom-ams-1, us-east-1), sharing a fleet \
                 store; this is host-a\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "host-b  custom-ams-1  game.example.com:1935  draining  2/10           7"
            ),
            "{text}"
        );
        assert!(text.ends_with("2 of 3 hosts shown\n"), "{text}");
        fleet.store_error = Some("connection refused".into());
        assert_eq!(
            fleet_text(&fleet),
            "fleet store unreadable from host-a: connection refused\n"
        );
        let output = DescribeServerOutput {
            fleet: Some(ServerFleet {
                host_id: "solo".into(),
                locations: vec!["local".into()],
                hosts: vec![host("solo", "local", false)],
                host_count: 1,
                ..ServerFleet::default()
            }),
            ..DescribeServerOutput::default()
        };
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").expect("endpoint");
        let text = render(&endpoint, &output);
        assert!(
            text.contains("fleet of 1 host in 1 location (local), no fleet store; this is solo"),
            "{text}"
        );
    }

    #[test]
    fn renders_a_fleet_script() {
        let output = DescribeServerOutput {
            server: Server {
                script: Some(ServerScript {
                    script_id: "script-1a2b3c4d-0000-4000-8000-000000000000".into(),
                    name: Some("rules".into()),
                    version: Some("1.0".into()),
                    revision: Some(2),
                }),
                ..Server::default()
            },
            ..DescribeServerOutput::default()
        };
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").expect("endpoint");
        let text = render(&endpoint, &output);
        assert!(
            text.contains("script rules (script-1a2b3c4d-0000-4000-8000-000000000000 1.0 r2)"),
            "{text}"
        );
        assert!(text.contains("NOT READY: not listening"), "{text}");
        assert!(text.contains("no game sessions running"), "{text}");
    }
}
