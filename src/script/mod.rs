//! Server scripts (scripts.md): GameLift Realtime scripts, Node.js-style CommonJS
//! exporting `exports.ssExports`, run in QuickJS. [`store`] keeps script resources on disk;
//! the engine runs one script instance per game session inside that session's task.

mod crypto;
mod engine;
mod node;
mod resolve;
pub mod store;

pub use engine::{Configuration, Effect, Limits, ScriptInstance, StartError};

use std::collections::BTreeMap;

use rquickjs::{Context, Function, Runtime};

/// A script's content as game sessions load it: immutable and shared, so a game session keeps
/// the content it started with while an update replaces the store's copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The script resource (`script-<uuid>`).
    pub script_id: String,
    /// Counts content changes of this script resource: 1 at creation, +1 per new content.
    pub revision: u64,
    /// The resource's free-text `Version` when this content was stored.
    pub version: Option<String>,
    /// Path of the entry file within `files`, e.g. `index.js`.
    pub entry: String,
    /// Every loadable file by its normalized relative path (`lib/util.js`), as UTF-8 text.
    pub files: BTreeMap<String, String>,
}

/// A script callback the server calls, as logs and metrics name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// `onProcessStarted`
    ProcessStarted,
    /// `onStartGameSession`
    StartGameSession,
    /// `onHealthCheck`
    HealthCheck,
    /// `onPlayerConnect`
    PlayerConnect,
    /// `onPlayerAccepted` (the player is listed in `getPlayers()` even without it).
    PlayerAccepted,
    /// `onPlayerDisconnect` (the player leaves `getPlayers()` even without it).
    PlayerDisconnect,
    /// `onPlayerJoinGroup`
    PlayerJoinGroup,
    /// `onPlayerLeaveGroup`
    PlayerLeaveGroup,
    /// `onSendToPlayer`
    SendToPlayer,
    /// `onSendToGroup`
    SendToGroup,
    /// `onMessage`
    Message,
    /// `onProcessTerminate`
    ProcessTerminate,
    /// A `setTimeout` or `setInterval` callback.
    Timer,
    /// The callbacks waiting on `processEnding()`, once the game session has ended.
    ProcessEnding,
}

impl Hook {
    /// Every hook, in declaration order (`hook as usize` indexes it).
    pub const ALL: [Self; 14] = [
        Self::ProcessStarted,
        Self::StartGameSession,
        Self::HealthCheck,
        Self::PlayerConnect,
        Self::PlayerAccepted,
        Self::PlayerDisconnect,
        Self::PlayerJoinGroup,
        Self::PlayerLeaveGroup,
        Self::SendToPlayer,
        Self::SendToGroup,
        Self::Message,
        Self::ProcessTerminate,
        Self::Timer,
        Self::ProcessEnding,
    ];

    /// The name scripts know it by (`timer` and `processEnding` for the two that are not
    /// `ssExports` callbacks).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProcessStarted => "onProcessStarted",
            Self::StartGameSession => "onStartGameSession",
            Self::HealthCheck => "onHealthCheck",
            Self::PlayerConnect => "onPlayerConnect",
            Self::PlayerAccepted => "onPlayerAccepted",
            Self::PlayerDisconnect => "onPlayerDisconnect",
            Self::PlayerJoinGroup => "onPlayerJoinGroup",
            Self::PlayerLeaveGroup => "onPlayerLeaveGroup",
            Self::SendToPlayer => "onSendToPlayer",
            Self::SendToGroup => "onSendToGroup",
            Self::Message => "onMessage",
            Self::ProcessTerminate => "onProcessTerminate",
            Self::Timer => "timer",
            Self::ProcessEnding => "processEnding",
        }
    }
}

/// Memory for the throwaway runtime that checks a bundle compiles.
const CHECK_MEMORY_BYTES: usize = 64 << 20;

/// Wraps a CommonJS file into a function expression, as Node.js does; the first line of the
/// file stays on line 1 so error positions match the file.
pub(crate) fn wrap_commonjs(source: &str) -> String {
    format!("(function (exports, require, module, __filename, __dirname) {{{source}\n}})")
}

/// Whether `path` is inside a `node_modules` folder: a package the script bundles, whose files
/// are checked only when the script loads them, as Node.js does (packages ship files no
/// `require` reaches, such as ES module builds).
pub(crate) fn in_node_modules(path: &str) -> bool {
    path.split('/').any(|part| part == "node_modules")
}

/// Checks that the entry file exists and that every `.js` file outside `node_modules`
/// compiles. The error names the file and QuickJS's message (with line and column).
pub fn compile_check(bundle: &Bundle) -> Result<(), String> {
    if !bundle.files.contains_key(&bundle.entry) {
        return Err(format!("the entry file {} is missing", bundle.entry));
    }
    let runtime = Runtime::new().map_err(|e| format!("cannot start the script engine: {e}"))?;
    runtime.set_memory_limit(CHECK_MEMORY_BYTES);
    let context =
        Context::full(&runtime).map_err(|e| format!("cannot start the script engine: {e}"))?;
    context.with(|ctx| {
        let checked = bundle
            .files
            .iter()
            .filter(|(p, _)| p.ends_with(".js") && !in_node_modules(p));
        for (path, source) in checked {
            let mut options = rquickjs::context::EvalOptions::default();
            options.global = true;
            options.strict = false;
            options.filename = Some(path.clone());
            if ctx
                .eval_with_options::<Function, _>(wrap_commonjs(source), options)
                .is_err()
            {
                let error = ctx.catch();
                // QuickJS puts the position ("at index.js:3:7") in the stack.
                let message = error
                    .as_exception()
                    .map(|e| {
                        let position = e.stack().unwrap_or_default();
                        let position = position.trim().trim_start_matches("at ");
                        match position.lines().next() {
                            Some(at) if !at.is_empty() => {
                                format!("{} (at {at})", e.message().unwrap_or_default())
                            }
                            _ => e.message().unwrap_or_default(),
                        }
                    })
                    .unwrap_or_else(|| format!("{error:?}"));
                return Err(format!("{path} does not compile: {message}"));
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod node_tests;
