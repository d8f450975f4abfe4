//! Node.js built-in modules written in JavaScript (`node/*.js`). Each is compiled into a game
//! session's script context on its first `require`, so a session pays only for what its
//! script uses. A module is CommonJS with one more parameter, `internal`: what the prelude
//! shares with built-ins and not with scripts (its encoders, the native crypto functions).

/// Every built-in module by the name scripts require it by (without `node:`).
/// `internal/` ones serve the prelude's globals and cannot be required by scripts.
const MODULES: &[(&str, &str)] = &[
    ("assert", include_str!("node/assert.js")),
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

/// The source of built-in module `name`.
pub(super) fn source(name: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(module, _)| *module == name)
        .map(|&(_, source)| source)
}

/// Wraps a built-in module's source as [`super::wrap_commonjs`] does a script's file.
pub(super) fn wrap(source: &str) -> String {
    format!("(function (exports, require, module, __filename, __dirname, internal) {{{source}\n}})")
}
