//! Node.js built-in modules written in JavaScript (`node/*.js`). Each is compiled into a game
//! session's script context on its first `require`, so a session pays only for what its
//! script uses. A module is CommonJS with one more parameter, `internal`: what the prelude
//! shares with built-ins and not with scripts (its encoders, the native crypto functions).

/// Every built-in module by the name scripts require it by (without `node:`).
/// `internal/` ones serve the prelude's globals and cannot be required by scripts.
const MODULES: &[(&str, &str)] = &[
    ("assert", include_str!("node/assert.js")),
    ("buffer", include_str!("node/buffer.js")),
    ("crypto", include_str!("node/crypto.js")),
    ("events", include_str!("node/events.js")),
    ("path", include_str!("node/path.js")),
    ("querystring", include_str!("node/querystring.js")),
    ("string_decoder", include_str!("node/string_decoder.js")),
    ("url", include_str!("node/url.js")),
    ("util", include_str!("node/util.js")),
    ("internal/console", include_str!("node/internal/console.js")),
    (
        "internal/structured_clone",
        include_str!("node/internal/structured_clone.js"),
    ),
];

/// Modules compiled like built-ins that no name reaches: scripts get them only through
/// [`SERVER_FILES`].
const INTERNAL: &[(&str, &str)] = &[(
    "internal/realtime_proto",
    include_str!("node/realtime_proto.js"),
)];

/// The GameLift Realtime server's own files that scripts load by climbing out of their
/// folder, which on GameLift sits beside the server's `src/` (an AWS sample does
/// `require('../src/proto/Packet_pb')`): each by its path from the script's root, and the
/// internal module that stands in for it.
const SERVER_FILES: &[(&str, &str)] = &[("../src/proto/Packet_pb.js", "internal/realtime_proto")];

/// The source of built-in module `name`.
pub(super) fn source(name: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(module, _)| *module == name)
        .map(|&(_, source)| source)
}

/// The internal module that stands in for the Realtime server's file at `path` (relative to
/// the script's root, so starting with `../`), by name and source.
pub(super) fn server_file(path: &str) -> Option<(&'static str, &'static str)> {
    let &(_, name) = SERVER_FILES.iter().find(|(file, _)| *file == path)?;
    INTERNAL.iter().find(|(module, _)| *module == name).copied()
}

/// Wraps a built-in module's source as [`super::wrap_commonjs`] does a script's file.
pub(super) fn wrap(source: &str) -> String {
    format!("(function (exports, require, module, __filename, __dirname, internal) {{{source}\n}})")
}
