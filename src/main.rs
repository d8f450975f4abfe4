//! The `volley` binary: parses the command line, sets up logging to stderr, and runs the
//! chosen command. A startup error becomes one message and a non-zero exit.

mod bench;
mod cli;
mod client_cli;
mod logging;
mod serve;
mod status_cli;

use std::process::ExitCode;

use clap::Parser;
use volley::config::Config;

use cli::{CertCommand, CertGenerateArgs, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_filter = cli.log_level.as_deref().unwrap_or("info");
    let log = match logging::init(log_filter, cli.log_format) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("volley: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("volley: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args, log, cli.log_level).await,
            Command::CheckConfig { file } => check_config(&file),
            Command::Client(args) => client_cli::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Bench(args) => bench::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Cert(CertCommand::Generate(args)) => generate_certificates(&args),
            Command::Status(args) => status_cli::status(args).await,
            Command::Health(args) => status_cli::health(args).await,
            Command::Drain(args) => status_cli::drain(args).await,
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
