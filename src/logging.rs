//! Logs to stderr, human-readable or one JSON object per line, with a filter that a config
//! reload can change while the server runs.

use anyhow::Context;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, fmt, reload};

use crate::cli::LogFormat;

/// Changes the log filter of the running process.
pub struct LogFilter(reload::Handle<EnvFilter, Registry>);

/// Installs the global subscriber with `filter` (env-filter syntax).
pub fn init(filter: &str, format: LogFormat) -> anyhow::Result<LogFilter> {
    let (filter, handle) = reload::Layer::new(parse(filter)?);
    let lines = match format {
        LogFormat::Text => fmt::layer()
            .with_ansi(colour())
            .with_writer(std::io::stderr)
            .boxed(),
        // Each line carries the fields of its spans, such as the game session's id.
        LogFormat::Json => fmt::layer()
            .json()
            .with_ansi(false)
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(lines)
        .try_init()
        .context("cannot install the logger")?;
    Ok(LogFilter(handle))
}

/// Colour only for a person at a terminal: journald, `docker logs` and files get plain text,
/// and `NO_COLOR` (any non-empty value, no-color.org) turns it off everywhere.
fn colour() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    std::io::stderr().is_terminal() && !no_color
}

impl LogFilter {
    /// Replaces the filter; a bad one keeps the current filter.
    pub fn set(&self, filter: &str) -> anyhow::Result<()> {
        let filter = parse(filter)?;
        self.0
            .reload(filter)
            .context("cannot change the log filter")
    }
}

fn parse(filter: &str) -> anyhow::Result<EnvFilter> {
    volley::config::check_log_filter(filter)
        .map_err(|reason| anyhow::anyhow!("invalid log level `{filter}`: {reason}"))?;
    EnvFilter::try_new(filter).with_context(|| format!("invalid log level `{filter}`"))
}
