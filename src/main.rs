//! The `volley` binary: parses the command line, sets up logging to stderr, and runs the
//! chosen command. A startup error becomes one message and a non-zero exit.

mod bench;
mod cli;
mod client_cli;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;
use volley::config::Config;
use volley::tls::CertStore;
use volley::{Options, Server};

use cli::{CertCommand, CertGenerateArgs, Cli, Command, LogFormat, ServeArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging(&cli) {
        eprintln!("volley: {e:#}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("volley: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::CheckConfig { file } => check_config(&file),
            Command::Client(args) => client_cli::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Bench(args) => bench::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Cert(CertCommand::Generate(args)) => generate_certificates(&args),
        }
    });
    // The command is done; do not wait for blocking work still under way, such as a read of
    // standard input that may never return (`volley client` after the server closed it).
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("volley: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &Cli) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&cli.log_level)
        .with_context(|| format!("invalid log level `{}`", cli.log_level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(listen) = args.listen {
        config.game.listen = listen;
    }
    if let Some(udp_listen) = args.udp_listen {
        config.game.udp_listen = Some(udp_listen);
    }
    if let Some(control_listen) = args.control_listen {
        config.control.listen = control_listen;
    }
    if let (Some(cert_file), Some(key_file)) = (args.tls_cert, args.tls_key) {
        // The flags name one certificate as a whole: a CA from the file would not match it.
        config.tls.files = Some(volley::config::TlsConfig {
            cert_file,
            key_file,
            ca_file: args.tls_ca,
        });
        if config.tls.mode == volley::config::SecureMode::Plain {
            config.tls.mode = volley::config::SecureMode::Secure;
        }
    }
    if args.dev {
        // Dev mode only listens on loopback (checked at bind).
        config.control.auth = volley::config::AuthMode::None;
    }
    // An access key from the environment keeps the secret out of config files.
    if let (Ok(id), Ok(secret)) = (
        std::env::var("VOLLEY_ACCESS_KEY_ID"),
        std::env::var("VOLLEY_SECRET_ACCESS_KEY"),
    ) && !id.is_empty()
        && !secret.is_empty()
    {
        let secret = volley::secret::Secret::new(secret);
        config
            .control
            .access_keys
            .push(volley::config::AccessKey { id, secret });
    }
    let server_config_grace = config.server.drain_grace;
    let options = Options {
        dev: args.dev,
        script: args.script,
    };
    let server = Server::bind(config, options).await?;
    let addresses = server.addresses();
    // Machine-readable lines on stdout, whatever the log level, so scripts can use port 0.
    announce(serde_json::json!({
        "event": "listening",
        "ws": addresses.ws,
        "udp": addresses.udp,
        "control": addresses.control,
    }));
    announce(serde_json::json!({"event": "ready"}));
    let drain_grace = args
        .grace_secs
        .map_or(server_config_grace, Duration::from_secs);
    tokio::spawn(watch_signals(server.drain_token()));
    tokio::spawn(reload_on_hangup(server.certificates()));
    let finished = server.run(CancellationToken::new(), drain_grace).await;
    if !finished {
        tracing::warn!("some connections did not finish closing in time");
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes one line to stdout. A reader that went away (a closed pipe) must not stop the
/// server, so write errors are ignored rather than panicking as `println!` would.
fn announce(line: serde_json::Value) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// The first SIGINT or SIGTERM starts a drain; a second one exits at once.
async fn watch_signals(drain: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stop the server with SIGKILL");
        return;
    };
    for round in 0..2 {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        if round == 0 {
            drain.cancel();
        } else {
            tracing::warn!("second signal: exiting now");
            std::process::exit(1);
        }
    }
}

/// Each SIGHUP reloads what can change without a restart: the certificate files.
async fn reload_on_hangup(certs: Option<Arc<CertStore>>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot install the SIGHUP handler; certificates reload only on restart");
        return;
    };
    while hangup.recv().await.is_some() {
        reload_certificates(certs.as_deref());
    }
}

fn reload_certificates(certs: Option<&CertStore>) {
    let Some(certs) = certs else {
        tracing::info!("no certificates to reload");
        return;
    };
    match certs.reload() {
        Ok(()) => tracing::info!("certificates reloaded"),
        Err(error) => tracing::warn!(%error, "certificate reload failed; keeping the old ones"),
    }
}

fn check_config(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let config = Config::load(file)?;
    println!(
        "{}: ok (game on {}, udp on {}, max {} players per session, {} connections)",
        file.display(),
        config.game.listen,
        config.game.udp_listen.unwrap_or(config.game.listen),
        config.sessions.max_players,
        config.limits.max_connections,
    );
    Ok(ExitCode::SUCCESS)
}

fn generate_certificates(args: &CertGenerateArgs) -> anyhow::Result<ExitCode> {
    let files = volley::certgen::generate(&args.out, &args.names, args.force)?;
    let (cert, key, ca) = (
        files.server_cert.display(),
        files.server_key.display(),
        files.ca_cert.display(),
    );
    println!("wrote {ca} (CA certificate: clients trust it)");
    println!("wrote {} (CA key: keep it private)", files.ca_key.display());
    println!("wrote {cert} (server certificate)");
    println!("wrote {key} (server key)");
    println!();
    println!("Serve with them:");
    println!("  volley serve --tls-cert {cert} --tls-key {key} --tls-ca {ca}");
    println!("or put them in the config file:");
    println!("[tls]");
    println!("mode = \"secure\"");
    // Debug formatting quotes and escapes a path as a TOML basic string needs.
    println!("cert_file = {:?}", cert.to_string());
    println!("key_file = {:?}", key.to_string());
    println!("ca_file = {:?}", ca.to_string());
    Ok(ExitCode::SUCCESS)
}
