//! Node.js built-in modules written in JavaScript (`node/*.js`). Each is compiled into a game
//! session's script context on its first `require`, so a session pays only for what its
//! script uses. A module is CommonJS with one more parameter, `internal`: what the prelude
//! shares with built-ins and not with scripts (its encoders, the native crypto functions).

/// Every built-in module by the name scripts require it by (without `node:`).
const MODULES: &[(&str, &str)] = &[
    ("buffer", include_str!("node/buffer.js")),
    ("crypto", include_str!("node/crypto.js")),
    ("path", include_str!("node/path.js")),
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
