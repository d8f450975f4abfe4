//! `volley serve`: the config from its file, flags and environment; the server run until a
//! drain or a second signal; SIGHUP reloads.

use std::process::ExitCode;
use std::time::Duration;

use tokio::signal::unix::Signal;
use tokio_util::sync::CancellationToken;
use volley::config::{self, Config};
use volley::{Options, Reloader, Server};

use crate::cli::ServeArgs;
use crate::logging::LogFilter;

/// The config as the server uses it, and the file's text it came from.
struct Loaded {
    config: Config,
    text: String,
}

pub async fn run(
    args: ServeArgs,
    log: LogFilter,
    log_flag: Option<String>,
) -> anyhow::Result<ExitCode> {
    let loaded = load(&args)?;
    if log_flag.is_none() {
        log.set(&loaded.config.server.log_level)?;
    }
    raise_open_file_limit(&loaded.config);
    let options = Options {
        dev: args.dev,
        script: args.script.clone(),
    };
    let server = Server::bind(loaded.config, options).await?;
    let addresses = server.addresses();
    // Machine-readable lines on stdout, whatever the log level, so scripts can use port 0.
    announce(serde_json::json!({
        "event": "listening",
        "ws": addresses.ws,
        "udp": addresses.udp,
        "control": addresses.control,
    }));
    // The handlers are in place before the ready line, so a signal right after it is handled
    // rather than ending the process.
    use tokio::signal::unix::{SignalKind, signal};
    let stop = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    let hangup = signal(SignalKind::hangup());
    announce(serde_json::json!({"event": "ready"}));
    tokio::spawn(watch_signals(stop, server.drain_token()));
    tokio::spawn(reload_on_hangup(
        hangup,
        args,
        server.reloader(),
        log,
        loaded.text,
    ));
    let finished = server.run(CancellationToken::new()).await;
    if !finished {
        tracing::warn!("some connections did not finish closing in time");
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the config file (or the built-in defaults) and applies the flags and environment.
fn load(args: &ServeArgs) -> anyhow::Result<Loaded> {
    let text = match &args.config {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|source| config::ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?
        }
        None => String::new(),
    };
    let mut config = Config::parse(&text)?;
    if let Some(listen) = args.listen {
        config.game.listen = listen;
    }
    if let Some(udp_listen) = args.udp_listen {
        config.game.udp_listen = Some(udp_listen);
    }
    if let Some(control_listen) = args.control_listen {
        config.control.listen = control_listen;
    }
    if let (Some(cert_file), Some(key_file)) = (&args.tls_cert, &args.tls_key) {
        // The flags name one certificate as a whole: a CA from the file would not match it.
        config.tls.files = Some(config::TlsConfig {
            cert_file: cert_file.clone(),
            key_file: key_file.clone(),
            ca_file: args.tls_ca.clone(),
        });
        if config.tls.mode == config::SecureMode::Plain {
            config.tls.mode = config::SecureMode::Secure;
        }
    }
    if args.dev {
        // Dev mode only listens on loopback (checked at bind).
        config.control.auth = config::AuthMode::None;
    }
    if let Some(secs) = args.grace_secs {
        config.server.drain_grace = Duration::from_secs(secs);
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
            .push(config::AccessKey { id, secret });
    }
    // The fleet store's URL may carry its password.
    if let Ok(store) = std::env::var("VOLLEY_FLEET_STORE")
        && !store.is_empty()
    {
        config.fleet.store = Some(volley::secret::Secret::new(store));
    }
    // Likewise the bearer token that Prometheus scrapes /metrics with.
    if let Ok(token) = std::env::var("VOLLEY_METRICS_TOKEN")
        && !token.is_empty()
    {
        config.control.metrics_token = Some(volley::secret::Secret::new(token));
    }
    // And the key that placement events are signed with.
    if let Ok(secret) = std::env::var("VOLLEY_EVENTS_SECRET")
        && !secret.is_empty()
    {
        config.events.secret = Some(volley::secret::Secret::new(secret));
    }
    Ok(Loaded { config, text })
}

/// Descriptors the process needs beyond its connections: listeners, the UDP socket, the
/// script store's files, the runtime's own.
const SPARE_DESCRIPTORS: u64 = 64;

/// Raises the soft limit on open files to the hard limit (each connection takes a
/// descriptor, and many systems start processes with a soft limit of 1024), and warns once
/// if even that is below what the configured connection limits need: past it, accepts fail
/// and are retried with a back-off.
fn raise_open_file_limit(config: &Config) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let needed =
        (config.limits.max_connections + config.control.max_connections) as u64 + SPARE_DESCRIPTORS;
    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(error) => {
            tracing::warn!(%error, "cannot read the open file limit");
            return;
        }
    };
    let mut limit = soft;
    // An unlimited hard limit is more than the kernel allows (fs.nr_open): try a large one.
    for target in [hard, hard.min(1 << 20)] {
        if limit >= target {
            break;
        }
        match setrlimit(Resource::RLIMIT_NOFILE, target, hard) {
            Ok(()) => limit = target,
            Err(error) => tracing::debug!(%error, target, "cannot raise the open file limit"),
        }
    }
    if limit < needed {
        tracing::warn!(
            limit,
            needed,
            "the open file limit is below what limits.max_connections and \
             control.max_connections need: raise it (ulimit -n, LimitNOFILE in systemd, \
             --ulimit nofile in Docker) or lower those limits"
        );
    } else {
        tracing::debug!(limit, from = soft, "open file limit");
    }
}

/// Writes one line to stdout. A reader that went away (a closed pipe) must not stop the
/// server, so write errors are ignored rather than panicking as `println!` would.
fn announce(line: serde_json::Value) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// The first SIGINT or SIGTERM (`stop`) starts a drain; a second one exits at once.
async fn watch_signals(
    stop: (std::io::Result<Signal>, std::io::Result<Signal>),
    drain: CancellationToken,
) {
    let (Ok(mut term), Ok(mut int)) = stop else {
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

/// Each SIGHUP reads the config file again and applies what can change while the server
/// runs: limits, access keys, the log level, the drain grace and the certificate files.
async fn reload_on_hangup(
    hangup: std::io::Result<Signal>,
    args: ServeArgs,
    reloader: Reloader,
    log: LogFilter,
    mut text: String,
) {
    let Ok(mut hangup) = hangup else {
        tracing::warn!("cannot install the SIGHUP handler; the config reloads only on restart");
        return;
    };
    while hangup.recv().await.is_some() {
        match reload(&args, &reloader, &log, &text) {
            Ok(new_text) => text = new_text,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "config reload failed; nothing changed");
                announce(
                    serde_json::json!({"event": "reload_failed", "error": format!("{error:#}")}),
                );
            }
        }
    }
}

/// One reload: the whole file must be valid before anything is applied. Returns the text now
/// in force.
fn reload(
    args: &ServeArgs,
    reloader: &Reloader,
    log: &LogFilter,
    old_text: &str,
) -> anyhow::Result<String> {
    let Loaded { config, text } = load(args)?;
    let changed = config::changed_keys(old_text, &text)?;
    let (applied, restart): (Vec<String>, Vec<String>) = changed
        .into_iter()
        .partition(|key| config::is_reloadable(key));
    if applied.iter().any(|key| key == "server.log_level") {
        log.set(&config.server.log_level)?;
    }
    let certificates = match reloader.apply(&config) {
        Ok(()) => "reloaded",
        Err(error) => {
            tracing::warn!(%error, "certificate reload failed; keeping the old ones");
            "kept"
        }
    };
    tracing::info!(?applied, certificates, "config reloaded");
    if !restart.is_empty() {
        tracing::warn!(keys = ?restart, "changed settings take effect only after a restart");
    }
    announce(serde_json::json!({
        "event": "reloaded",
        "applied": applied,
        "needs_restart": restart,
        "certificates": certificates,
    }));
    Ok(text)
}
