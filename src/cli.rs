//! The command line (clap): `serve`, `check-config`, `client`, `bench`, `cert`, `status` and
//! `health`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Volley: a self-hosted relay game server, wire-compatible with GameLift Realtime Servers.
#[derive(Debug, Parser)]
#[command(name = "volley", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Log filter in env-filter syntax, e.g. `info` or `volley=debug`; overrides
    /// `server.log_level` (default `info`).
    #[arg(long, global = true, env = "VOLLEY_LOG")]
    pub log_level: Option<String>,
    /// Log line format (logs go to stderr).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Log line formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: SIGTERM or SIGINT drains it and exits, a second one exits at once;
    /// SIGHUP reloads the config file.
    Serve(ServeArgs),
    /// Validate a config file, print a summary and exit.
    CheckConfig {
        /// The TOML file.
        file: PathBuf,
    },
    /// An interactive line client: log in, send what you type, print what arrives.
    Client(crate::client_cli::ClientArgs),
    /// Load generator: game sessions of players relaying messages through the server.
    Bench(crate::bench::BenchArgs),
    /// Certificates for secure mode.
    #[command(subcommand)]
    Cert(CertCommand),
    /// A running server at a glance, from its control API: version, uptime, readiness,
    /// listeners, game sessions with their players and scripts, headline counters.
    Status(crate::status_cli::StatusArgs),
    /// Ask a running server's `/health` (or `/ready`): exit 0 on 200, 1 otherwise.
    Health(crate::status_cli::HealthArgs),
    /// Drain a running server, as SIGTERM does: no new game sessions, every script's
    /// onProcessTerminate, then it exits once its game sessions end (or the grace is over).
    Drain(crate::status_cli::DrainArgs),
}

/// `volley cert`.
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Write a development CA and a server certificate it signs (ECDSA P-256) into a
    /// directory: ca.pem, ca.key, server.pem, server.key. Clients must trust ca.pem.
    Generate(CertGenerateArgs),
}

/// `volley cert generate`.
#[derive(Debug, Args)]
pub struct CertGenerateArgs {
    /// A DNS name (or IP address) clients connect to; repeat for several.
    #[arg(long = "dns", value_name = "NAME", required = true)]
    pub names: Vec<String>,
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "certs")]
    pub out: PathBuf,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

/// `volley serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML config file; without one the built-in defaults apply (see config/volley.toml).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Development mode: open a default game session, accept any non-empty player session id
    /// (the part before a `/` names the game session) and unsigned control API requests.
    /// Loopback only.
    #[arg(long)]
    pub dev: bool,
    /// A Realtime script to store and run: a `.js` file (it becomes `index.js`), a directory
    /// or a `.zip`. It becomes the fleet's script (overrides `scripts.script_id`); starting
    /// again with the same path reuses the stored script, updated if the files changed.
    #[arg(long, value_name = "PATH")]
    pub script: Option<PathBuf>,
    /// WebSocket listener address (overrides `game.listen`).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Fast-channel UDP address (overrides `game.udp_listen`).
    #[arg(long)]
    pub udp_listen: Option<SocketAddr>,
    /// Control API address (overrides `control.listen`).
    #[arg(long)]
    pub control_listen: Option<SocketAddr>,
    /// PEM certificate chain, leaf first (overrides `tls.cert_file`). Turns `tls.mode =
    /// "plain"` into "secure".
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate (overrides `tls.key_file`).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM of the CA certificate(s) sent to clients as `caCert` (overrides `tls.ca_file`);
    /// without it, the last certificate of `--tls-cert`.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_ca: Option<PathBuf>,
    /// Seconds a drain (SIGTERM, SIGINT) waits for game sessions to end before closing the
    /// rest (overrides `server.drain_grace_secs`).
    #[arg(long, value_name = "SECS")]
    pub grace_secs: Option<u64>,
}
