//! `volley status` and `volley health`: an operator's view of a running server through its
//! control API ([`volley::control_client`]). `status` calls `Volley.DescribeServer` (signed
//! with an access key) and prints the server, its game sessions and its headline counters at
//! a glance, or the raw JSON; `health` asks `/health` or `/ready` and exits 0 only on 200,
//! which is what the Docker image's HEALTHCHECK runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::Value;
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
    let input = serde_json::json!({"Limit": args.limit});
    let (client, output) = call(&args.connect, &args.key, "Volley.DescribeServer", &input).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        print!("{}", render(client.endpoint(), &output));
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts a drain; the server exits once its game sessions have ended.
pub async fn drain(args: DrainArgs) -> anyhow::Result<ExitCode> {
    let input = serde_json::json!({});
    let (client, output) = call(&args.connect, &args.key, "Volley.StartDrain", &input).await?;
    let sessions = output["GameSessionCount"].as_u64().unwrap_or(0);
    let grace = output["DrainGraceSeconds"].as_u64().unwrap_or(0);
    let already = if output["AlreadyDraining"] == true {
        " (already draining)"
    } else {
        ""
    };
    println!(
        "{} is draining{already}: {sessions} game session{} left, closed after at most {grace}s",
        client.endpoint(),
        plural(sessions),
    );
    Ok(ExitCode::SUCCESS)
}

/// One signed operation; a refusal becomes an error naming the endpoint.
async fn call(
    connect: &ConnectArgs,
    key: &KeyArgs,
    op: &str,
    input: &Value,
) -> anyhow::Result<(ControlClient, Value)> {
    let config = load_config(connect.config.as_deref())?;
    let credentials = credentials(key, config.as_ref())?;
    let signed = credentials.is_some();
    let client = client(connect, config.as_ref(), credentials)?;
    match client.call(op, input).await {
        Ok(output) => Ok((client, output)),
        Err(error @ ControlClientError::Api { .. }) => {
            let hint = if signed {
                ""
            } else {
                "\n(no access key given: use --access-key-id and --secret-access-key, or \
                 VOLLEY_ACCESS_KEY_ID and VOLLEY_SECRET_ACCESS_KEY)"
            };
            bail!("{} refused the request: {error}{hint}", client.endpoint());
        }
        Err(error) => Err(error.into()),
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
fn render(endpoint: &Endpoint, output: &Value) -> String {
    let server = &output["Server"];
    let text = |v: &Value| printable(v.as_str().unwrap_or("-"), 80);
    let number = |v: &Value| v.as_u64().unwrap_or(0);
    let mut out = String::new();

    let state = if server["Ready"].as_bool() == Some(true) {
        "ready".to_owned()
    } else if server["Draining"].as_bool() == Some(true) {
        "NOT READY: draining".to_owned()
    } else if server["Listening"].as_bool() == Some(false) {
        "NOT READY: not listening".to_owned()
    } else {
        let unhealthy = number(&server["UnhealthyGameSessions"]);
        format!("NOT READY: {unhealthy} game session(s) with an unhealthy script")
    };
    let listeners = &server["Listeners"];
    let client = &server["ClientEndpoint"];
    out.push_str(&format!(
        "volley {} at {endpoint}, up {}, {state}\n",
        text(&server["Version"]),
        duration(number(&server["UptimeSeconds"])),
    ));
    out.push_str(&format!(
        "  game {} (ws), {} (udp), tls {}; control {}{}\n",
        text(&listeners["Game"]),
        text(&listeners["Udp"]),
        text(&listeners["TlsMode"]),
        text(&listeners["Control"]),
        if listeners["ControlTls"].as_bool() == Some(true) {
            " (https)"
        } else {
            ""
        },
    ));
    out.push_str(&format!(
        "  fleet {}, clients connect to {}:{} (fast port {})\n",
        text(&server["FleetId"]),
        text(&client["DnsName"]),
        number(&client["Port"]),
        number(&client["FastPort"]),
    ));
    let script = &server["Script"];
    let script_text = if script.is_object() {
        let label = script_label(
            &script["ScriptId"],
            &script["Version"],
            &script["Revision"],
            true,
        );
        match script["Name"].as_str() {
            Some(name) => format!("{} ({label})", printable(name, 40)),
            None => label,
        }
    } else {
        "none (pure relay)".to_owned()
    };
    out.push_str(&format!("  script {script_text}\n\n"));

    let empty = Vec::new();
    let sessions = output["GameSessions"].as_array().unwrap_or(&empty);
    let total = number(&output["GameSessionCount"]);
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
                short_id(g["GameSessionId"].as_str().unwrap_or("-"), "gsess-"),
                printable(g["Name"].as_str().unwrap_or("-"), 24),
                text(&g["Status"]),
                format!(
                    "{}/{}",
                    number(&g["CurrentPlayerSessionCount"]),
                    number(&g["MaximumPlayerSessionCount"])
                ),
                number(&g["ActivePlayerSessionCount"]).to_string(),
                if g["ScriptId"].is_string() {
                    script_label(
                        &g["ScriptId"],
                        &g["ScriptVersion"],
                        &g["ScriptRevision"],
                        false,
                    )
                } else {
                    "-".to_owned()
                },
                duration(number(&g["UptimeSeconds"])),
            ]);
        }
        out.push_str(&table(&rows));
        let shown = sessions.len() as u64;
        let players = number(&output["PlayerSessionCount"]);
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

    let c = &output["Counters"];
    out.push_str(&format!(
        "\nconnections {}, over limit {}; logins {} accepted, {} refused\n",
        number(&c["ConnectionsAccepted"]),
        number(&c["ConnectionsOverLimit"]),
        number(&c["LoginsAccepted"]),
        number(&c["LoginsRefused"]),
    ));
    out.push_str(&format!(
        "messages {} in, {} out, {} dropped, {} malformed; failed TLS/DTLS handshakes {}\n",
        number(&c["MessagesIn"]),
        number(&c["MessagesOut"]),
        number(&c["MessagesDropped"]),
        number(&c["Malformed"]),
        number(&c["TlsHandshakesFailed"]),
    ));
    out.push_str(&format!(
        "disconnects: {} closed by clients, {} lost, {} slow readers, {} idle, {} over their \
         rate\n",
        number(&c["ClientCloses"]),
        number(&c["ConnectionsLost"]),
        number(&c["SlowReaderCloses"]),
        number(&c["IdleTimeouts"]),
        number(&c["RateLimitedCloses"]),
    ));
    out.push_str(&format!(
        "scripts: {} errors, {} timeouts, {} out of memory\n",
        number(&c["ScriptErrors"]),
        number(&c["ScriptTimeouts"]),
        number(&c["ScriptOutOfMemory"]),
    ));
    out
}

/// `script-1a2b3c4d 1.0 r2`: a short id, the version label if any, the content revision.
fn script_label(id: &Value, version: &Value, revision: &Value, long: bool) -> String {
    let id = id.as_str().unwrap_or("-");
    let mut label = if long {
        printable(id, 64)
    } else {
        short_id(id, "script-")
    };
    if let Some(version) = version.as_str() {
        label.push(' ');
        label.push_str(&printable(version, 16));
    }
    if let Some(revision) = revision.as_u64() {
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
        let output = serde_json::json!({
            "Server": {
                "Version": "0.1.0", "UptimeSeconds": 7380, "Ready": true, "Listening": true,
                "Draining": false, "FleetId": "fleet-local",
                "Listeners": {"Game": "0.0.0.0:1935", "Udp": "0.0.0.0:1935",
                    "Control": "0.0.0.0:8080", "TlsMode": "plain", "ControlTls": false},
                "ClientEndpoint": {"IpAddress": "203.0.113.10", "DnsName": "game.example.com",
                    "Port": 1935, "FastPort": 1935},
            },
            "GameSessions": [{
                "GameSessionId": "arn:aws:gamelift:local::gamesession/fleet-local/\
                                  gsess-1a2b3c4d-0000-4000-8000-000000000000",
                "Name": "duel", "Status": "ACTIVE", "CurrentPlayerSessionCount": 2,
                "ActivePlayerSessionCount": 1, "MaximumPlayerSessionCount": 8,
                "UptimeSeconds": 62,
            }],
            "GameSessionCount": 1,
            "PlayerSessionCount": 2,
            "Counters": {"LoginsAccepted": 5, "MessagesIn": 10},
        });
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
}
