//! Entry points for the fuzz targets in `fuzz/`: the parsers that face the network, a store or
//! an operator but are not part of the public API, reached here so that the targets run the
//! very code the server runs. Built only with the `fuzzing` feature; not a supported API.

use std::collections::BTreeMap;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub use crate::control::search::{
    Comparator, Filter, Literal, Operand, Sort, SyntaxError, parse_filter, parse_sort,
};
pub use crate::control::sigv4::{AuthError, SignError, Signer, Verifier};
pub use crate::script::store::StoreError;

/// The WebSocket settings game connections are accepted with, for `max_frame_bytes`
/// (`limits.max_frame_bytes`).
pub fn websocket_config(max_frame_bytes: usize) -> WebSocketConfig {
    crate::transport::ws::websocket_config(max_frame_bytes)
}

/// A script zip as CreateScript and UpdateScript read it, before its JavaScript is compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptFiles {
    /// The entry file's path within `files`.
    pub entry: String,
    /// Every loadable file by its path relative to the script's root.
    pub files: BTreeMap<String, String>,
}

/// Unpacks a script zip with the store's limits and rules.
pub fn unpack_script_zip(zip: &[u8]) -> Result<ScriptFiles, StoreError> {
    let content = crate::script::store::unpack(zip)?;
    Ok(ScriptFiles {
        entry: content.entry,
        files: content.files,
    })
}

/// Packs files into a zip as `volley serve --script` does for a directory.
pub fn pack_script_files(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, StoreError> {
    crate::script::store::pack(files)
}
