//! Script resources (control-api.md §2.5, scripts.md §1): the zips CreateScript
//! and UpdateScript upload or `volley serve --script` names, validated, kept on disk under
//! the data directory so they survive restarts, and held unpacked in memory as [`Bundle`]s
//! for game sessions to load. The control API and the server's start talk to it.
//!
//! On disk, `<dir>/<script id>/meta.json` holds the record and `<dir>/<script id>/<revision>.zip`
//! the content as uploaded. Every write goes to a temporary name that is renamed into place,
//! the record last, so a crash leaves the old script or the new one, never half of one; a new
//! script is assembled in `.tmp-<id>` and a deleted one renamed to `.deleted-<id>` first.
//! [`ScriptStore::open`] removes such leftovers. The directory is created by the first write
//! only: a server that never stores a script never touches the disk.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tracing::{debug, warn};
use zip::ZipArchive;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::{Bundle, compile_check, in_node_modules};

/// Largest zip accepted (the model's `ZipBlob` limit).
pub const MAX_ZIP_BYTES: usize = 5_000_000;
/// Most bytes a script's loadable files may unpack to, counted while unpacking.
pub const MAX_UNPACKED_BYTES: u64 = 16 << 20;
/// Most files (of any kind, directories aside) in one script.
pub const MAX_FILES: usize = 1000;
/// Most script resources stored at once: each is held unpacked in memory (up to
/// [`MAX_UNPACKED_BYTES`]), so their number is bounded too.
pub const MAX_SCRIPTS: usize = 100;
/// The Node.js versions a script may name; the first is the default.
pub const NODE_JS_VERSIONS: [&str; 2] = ["10.x", "24.x"];

/// The entry file, at the script's root.
const ENTRY: &str = "index.js";
/// Extensions of the files a script can load; other files are ignored.
const LOADABLE: [&str; 4] = ["js", "cjs", "mjs", "json"];
/// The record's file in a script's directory.
const META: &str = "meta.json";
/// Most directory entries `register_path` looks at, hidden ones and ignored files included.
const MAX_WALK_ENTRIES: usize = 10 * MAX_FILES;
/// What macOS's "Compress" adds beside the files; never part of a script.
const MACOS_METADATA: &str = "__MACOSX/";

/// A script resource, as DescribeScript reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptRecord {
    /// `script-<uuid v4>`.
    pub id: String,
    /// Free-text name; need not be unique.
    pub name: Option<String>,
    /// Free-text version.
    pub version: Option<String>,
    /// Size of the current zip in bytes.
    pub size_on_disk: u64,
    /// When the resource was created, to the millisecond.
    pub creation_time: SystemTime,
    /// `10.x` or `24.x`; fixed at creation.
    pub node_js_version: String,
    /// 1 at creation, +1 each time new content replaces the old.
    pub revision: u64,
    /// The canonical path `volley serve --script` registered it from, if it came from one.
    pub source: Option<PathBuf>,
}

/// What CreateScript sets besides the content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewScript {
    /// Free-text name.
    pub name: Option<String>,
    /// Free-text version.
    pub version: Option<String>,
    /// One of [`NODE_JS_VERSIONS`]; `None` is the first.
    pub node_js_version: Option<String>,
}

/// What UpdateScript changes; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptUpdate {
    /// New name.
    pub name: Option<String>,
    /// New version.
    pub version: Option<String>,
    /// New content: a zip, validated like CreateScript's.
    pub zip: Option<Vec<u8>>,
}

/// A script as a fleet of hosts shares it: its record, the version its content was stored
/// under, and its zip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedScript {
    /// The record; `source` is this host's own and is not shared.
    pub record: ScriptRecord,
    /// The record's version when the content was stored (what game sessions report).
    pub content_version: Option<String>,
    /// The content.
    pub zip: Vec<u8>,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The caller's input is unusable (a bad zip, a script that does not compile, an unknown
    /// Node.js version); the message says why and can be shown to the caller as is.
    #[error("{0}")]
    Invalid(String),
    /// No script has this id.
    #[error("no script matches {0}")]
    NotFound(String),
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done: `read`, `write`, ...
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// The script resources of one server; see the module docs. Every method takes `&self`:
/// writes are serialized among themselves, and reads ([`ScriptStore::bundle`] above all)
/// only wait for an in-memory map.
#[derive(Debug)]
pub struct ScriptStore {
    dir: PathBuf,
    state: Mutex<BTreeMap<String, Entry>>,
    /// Held across each write to disk, so writes apply one at a time and in the order of the
    /// in-memory state.
    writes: Mutex<()>,
}

#[derive(Clone, Debug)]
struct Entry {
    record: ScriptRecord,
    bundle: Arc<Bundle>,
}

/// A script's unpacked content: the entry file and every loadable file, relative to the root.
pub(crate) struct Content {
    pub(crate) entry: String,
    pub(crate) files: BTreeMap<String, String>,
}

/// `meta.json`.
#[derive(Serialize, Deserialize)]
struct Meta {
    id: String,
    name: Option<String>,
    version: Option<String>,
    node_js_version: String,
    creation_time_ms: u64,
    revision: u64,
    /// The record's version when the current content was stored ([`Bundle::version`]).
    content_version: Option<String>,
    source: Option<PathBuf>,
}

impl ScriptStore {
    /// Loads the scripts stored in `dir`, which need not exist. A script whose files are
    /// missing or corrupt is logged and skipped; only an unreadable `dir` is an error.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        let mut entries = BTreeMap::new();
        let listing = match fs::read_dir(&dir) {
            Ok(listing) => Some(listing),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => return Err(io_error("read", &dir, source)),
        };
        for item in listing.into_iter().flatten() {
            let item = item.map_err(|source| io_error("read", &dir, source))?;
            let path = item.path();
            let Some(name) = item.file_name().to_str().map(str::to_owned) else {
                warn!(path = %path.display(), "ignoring a file that is not a script");
                continue;
            };
            if name.starts_with(".tmp-") || name.starts_with(".deleted-") {
                // An interrupted creation or deletion.
                remove_leftover(&path);
            } else if !name.starts_with("script-") {
                debug!(path = %path.display(), "ignoring a file that is not a script");
            } else {
                match load(&path, &name) {
                    Ok(entry) => {
                        entries.insert(name, entry);
                    }
                    Err(e) => {
                        warn!(path = %path.display(), error = %e, "skipping a corrupt script");
                    }
                }
            }
        }
        Ok(Self {
            dir,
            state: Mutex::new(entries),
            writes: Mutex::new(()),
        })
    }

    /// The directory the scripts live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores a new script from a zip (CreateScript): checked, unpacked and compiled first.
    pub fn create(&self, script: NewScript, zip: &[u8]) -> Result<ScriptRecord, StoreError> {
        let node_js_version = node_js_version(script.node_js_version)?;
        let content = checked(zip)?;
        let _writes = lock(&self.writes);
        if lock(&self.state).len() >= MAX_SCRIPTS {
            return Err(invalid(format!(
                "{MAX_SCRIPTS} scripts are stored, the most this server keeps; delete one first"
            )));
        }
        self.insert(
            script.name,
            script.version,
            node_js_version,
            zip,
            content,
            None,
        )
    }

    /// Changes a script's name, version or content (UpdateScript). New content gets the next
    /// revision; game sessions started earlier keep the [`Bundle`] they hold.
    pub fn update(&self, id: &str, update: ScriptUpdate) -> Result<ScriptRecord, StoreError> {
        let content = match &update.zip {
            Some(zip) => Some((zip.as_slice(), checked(zip)?)),
            None => None,
        };
        let _writes = lock(&self.writes);
        self.replace(id, update.name, update.version, content)
    }

    /// A script's record (DescribeScript).
    pub fn get(&self, id: &str) -> Option<ScriptRecord> {
        lock(&self.state).get(id).map(|e| e.record.clone())
    }

    /// Every script, by creation time then id (ListScripts).
    pub fn list(&self) -> Vec<ScriptRecord> {
        let mut records: Vec<ScriptRecord> = lock(&self.state)
            .values()
            .map(|e| e.record.clone())
            .collect();
        records.sort_by(|a, b| (a.creation_time, &a.id).cmp(&(b.creation_time, &b.id)));
        records
    }

    /// Removes a script and its files (DeleteScript); game sessions that hold its
    /// [`Bundle`] keep it.
    pub fn delete(&self, id: &str) -> Result<ScriptRecord, StoreError> {
        let _writes = lock(&self.writes);
        let record = self
            .get(id)
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
        let from = self.dir.join(id);
        let gone = self.dir.join(format!(".deleted-{id}"));
        fs::rename(&from, &gone).map_err(|source| io_error("remove", &from, source))?;
        sync_dir(&self.dir);
        lock(&self.state).remove(id);
        remove_leftover(&gone);
        Ok(record)
    }

    /// A script as the fleet shares it, read from disk.
    pub fn export(&self, id: &str) -> Result<Option<SharedScript>, StoreError> {
        let Some(entry) = lock(&self.state).get(id).cloned() else {
            return Ok(None);
        };
        let path = self.dir.join(id).join(zip_name(entry.record.revision));
        let zip = fs::read(&path).map_err(|e| io_error("read", &path, e))?;
        let mut record = entry.record;
        record.source = None;
        Ok(Some(SharedScript {
            record,
            content_version: entry.bundle.version.clone(),
            zip,
        }))
    }

    /// Stores a script as another host of the fleet stored it: same id, revision and
    /// times, replacing this host's copy. Its content is checked like an upload's.
    pub fn import(&self, shared: SharedScript) -> Result<(), StoreError> {
        let SharedScript {
            record,
            content_version,
            zip,
        } = shared;
        if !record.id.starts_with("script-") || record.id.contains(['/', '\\', '.']) {
            return Err(invalid(format!("{} is not a script id", record.id)));
        }
        let content = checked(&zip)?;
        let _writes = lock(&self.writes);
        let id = record.id.clone();
        fs::create_dir_all(&self.dir).map_err(|e| io_error("create", &self.dir, e))?;
        let staging = self.dir.join(format!(".tmp-{id}"));
        remove_stale(&staging);
        if let Err(e) = write_new(&staging, &record, content_version.as_deref(), &zip) {
            remove_leftover(&staging);
            return Err(e);
        }
        let path = self.dir.join(&id);
        let old = self.dir.join(format!(".deleted-{id}"));
        if path.exists() {
            fs::rename(&path, &old).map_err(|e| io_error("replace", &path, e))?;
        }
        fs::rename(&staging, &path).map_err(|e| io_error("write", &path, e))?;
        sync_dir(&self.dir);
        remove_stale(&old);
        let bundle = Arc::new(Bundle {
            script_id: id.clone(),
            revision: record.revision,
            version: content_version,
            entry: content.entry,
            files: content.files,
        });
        lock(&self.state).insert(id, Entry { record, bundle });
        Ok(())
    }

    /// A script's current content, shared: cheap, never touches the disk.
    pub fn bundle(&self, id: &str) -> Option<Arc<Bundle>> {
        lock(&self.state).get(id).map(|e| Arc::clone(&e.bundle))
    }

    /// Stores the script at `path` (`volley serve --script`): a `.js` file (it becomes
    /// `index.js`), a directory (its files, recursively; hidden ones skipped) or a `.zip`,
    /// validated like an upload. The resource remembers the canonical path: registering the
    /// same path again returns that resource, with a new revision only if the content
    /// changed. A new resource is named after the file or directory.
    pub fn register_path(&self, path: &Path) -> Result<ScriptRecord, StoreError> {
        let source = fs::canonicalize(path).map_err(|source| io_error("read", path, source))?;
        let zip = zip_of_path(&source)?;
        let content = checked(&zip)?;
        let _writes = lock(&self.writes);
        let existing = lock(&self.state)
            .values()
            .find(|e| e.record.source.as_ref() == Some(&source))
            .cloned();
        match existing {
            Some(e) if e.bundle.entry == content.entry && e.bundle.files == content.files => {
                Ok(e.record)
            }
            Some(e) => self.replace(&e.record.id, None, None, Some((&zip, content))),
            None => {
                let name = source.file_name().map(|n| n.to_string_lossy().into_owned());
                let node = NODE_JS_VERSIONS[0].to_owned();
                self.insert(name, None, node, &zip, content, Some(source))
            }
        }
    }

    /// Writes a new script and lists it; the caller holds `writes`.
    fn insert(
        &self,
        name: Option<String>,
        version: Option<String>,
        node_js_version: String,
        zip: &[u8],
        content: Content,
        source: Option<PathBuf>,
    ) -> Result<ScriptRecord, StoreError> {
        let id = format!("script-{}", uuid::Uuid::new_v4());
        let record = ScriptRecord {
            id: id.clone(),
            name,
            version: version.clone(),
            size_on_disk: zip.len() as u64,
            creation_time: now_millis(),
            node_js_version,
            revision: 1,
            source,
        };
        fs::create_dir_all(&self.dir).map_err(|e| io_error("create", &self.dir, e))?;
        let staging = self.dir.join(format!(".tmp-{id}"));
        let written = write_new(&staging, &record, version.as_deref(), zip).and_then(|()| {
            let path = self.dir.join(&id);
            fs::rename(&staging, &path).map_err(|e| io_error("write", &path, e))
        });
        if let Err(e) = written {
            remove_leftover(&staging);
            return Err(e);
        }
        sync_dir(&self.dir);
        let bundle = Arc::new(Bundle {
            script_id: id.clone(),
            revision: 1,
            version,
            entry: content.entry,
            files: content.files,
        });
        let entry = Entry {
            record: record.clone(),
            bundle,
        };
        lock(&self.state).insert(id, entry);
        Ok(record)
    }

    /// Applies an update to a listed script; the caller holds `writes`.
    fn replace(
        &self,
        id: &str,
        name: Option<String>,
        version: Option<String>,
        content: Option<(&[u8], Content)>,
    ) -> Result<ScriptRecord, StoreError> {
        let current = lock(&self.state)
            .get(id)
            .cloned()
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
        let mut record = current.record.clone();
        record.name = name.or(record.name);
        record.version = version.or(record.version);
        let dir = self.dir.join(id);
        let bundle = match content {
            None => current.bundle.clone(),
            Some((zip, content)) => {
                record.revision += 1;
                record.size_on_disk = zip.len() as u64;
                write_atomic(&dir.join(zip_name(record.revision)), zip)?;
                Arc::new(Bundle {
                    script_id: id.to_owned(),
                    revision: record.revision,
                    version: record.version.clone(),
                    entry: content.entry,
                    files: content.files,
                })
            }
        };
        let meta = meta_of(&record, bundle.version.as_deref());
        write_atomic(&dir.join(META), &meta)?;
        if record.revision != current.record.revision {
            let old = dir.join(zip_name(current.record.revision));
            if let Err(e) = fs::remove_file(&old) {
                warn!(path = %old.display(), error = %e, "cannot remove a replaced script zip");
            }
        }
        let entry = Entry {
            record: record.clone(),
            bundle,
        };
        lock(&self.state).insert(id.to_owned(), entry);
        Ok(record)
    }
}

/// Locks a mutex; a panic elsewhere while it was held left no half-made change, since every
/// change is one map insert or remove.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(message.into())
}

/// Now, truncated to the millisecond as the record is stored, so a reloaded record is equal.
fn now_millis() -> SystemTime {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

fn node_js_version(requested: Option<String>) -> Result<String, StoreError> {
    match requested {
        None => Ok(NODE_JS_VERSIONS[0].to_owned()),
        Some(v) if NODE_JS_VERSIONS.contains(&v.as_str()) => Ok(v),
        Some(v) => Err(invalid(format!(
            "NodeJsVersion {v} is not supported; use one of {}",
            NODE_JS_VERSIONS.join(", ")
        ))),
    }
}

fn zip_name(revision: u64) -> String {
    format!("{revision}.zip")
}

/// The content of a zip, unpacked, whose JavaScript compiles.
fn checked(zip: &[u8]) -> Result<Content, StoreError> {
    let content = unpack(zip)?;
    let bundle = Bundle {
        script_id: String::new(),
        revision: 0,
        version: None,
        entry: content.entry,
        files: content.files,
    };
    compile_check(&bundle).map_err(StoreError::Invalid)?;
    Ok(Content {
        entry: bundle.entry,
        files: bundle.files,
    })
}

/// Unpacks a script zip, enforcing the limits and rules of the module docs; never trusts the
/// sizes the zip declares.
pub(crate) fn unpack(zip: &[u8]) -> Result<Content, StoreError> {
    if zip.len() > MAX_ZIP_BYTES {
        return Err(invalid(format!(
            "the zip is {} bytes; the limit is {MAX_ZIP_BYTES}",
            zip.len()
        )));
    }
    let mut archive = ZipArchive::new(Cursor::new(zip))
        .map_err(|e| invalid(format!("the script is not a valid zip archive ({e})")))?;
    let mut files = BTreeMap::new();
    let mut count = 0;
    let mut unpacked = 0;
    for index in 0..archive.len() {
        let path = {
            let entry = archive
                .by_index_data(index)
                .map_err(|e| invalid(format!("the zip is damaged ({e})")))?;
            if entry.is_dir() {
                continue;
            }
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            count += 1;
            if count > MAX_FILES {
                return Err(invalid(format!(
                    "the zip holds more than {MAX_FILES} files"
                )));
            }
            // enclosed_name() refuses `..` out of the root but makes absolute paths relative.
            let path = entry
                .enclosed_name()
                .filter(|_| !is_absolute(&name))
                .ok_or_else(|| {
                    invalid(format!(
                        "{name}: paths in the zip must stay inside it (no absolute paths, no ..)"
                    ))
                })?;
            if entry.is_symlink() {
                return Err(invalid(format!(
                    "{name} is a symbolic link; a script's files may not be links"
                )));
            }
            let path = relative(&path).ok_or_else(|| invalid(format!("{name}: bad file name")))?;
            if path.starts_with(MACOS_METADATA) || !is_loadable(&path) {
                continue;
            }
            if entry.encrypted() {
                return Err(invalid(format!("{path} is encrypted")));
            }
            path
        };
        let mut file = archive
            .by_index(index)
            .map_err(|e| invalid(format!("cannot unpack {path} ({e})")))?;
        let mut bytes = Vec::new();
        (&mut file)
            .take(MAX_UNPACKED_BYTES - unpacked + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| invalid(format!("cannot unpack {path} ({e})")))?;
        unpacked += bytes.len() as u64;
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(invalid(format!(
                "the script's files unpack to more than {MAX_UNPACKED_BYTES} bytes"
            )));
        }
        let text = text_file(&path, bytes)?;
        if files.insert(path.clone(), text).is_some() {
            return Err(invalid(format!("{path} appears twice in the zip")));
        }
    }
    rooted(files)
}

/// A loadable file's text: UTF-8 without a byte order mark; JSON must parse, outside
/// `node_modules` ([`in_node_modules`]).
fn text_file(path: &str, bytes: Vec<u8>) -> Result<String, StoreError> {
    let mut text =
        String::from_utf8(bytes).map_err(|_| invalid(format!("{path} is not UTF-8 text")))?;
    if text.starts_with('\u{feff}') {
        text.remove(0); // Node.js drops it too.
    }
    if path.ends_with(".json") && !in_node_modules(path) {
        serde_json::from_str::<serde::de::IgnoredAny>(&text)
            .map_err(|e| invalid(format!("{path} is not valid JSON: {e}")))?;
    }
    Ok(text)
}

/// The files relative to the script's root: the zip's root if it holds `index.js`, else the
/// one top-level folder every file is in, if that holds `index.js` (a compressed folder).
fn rooted(files: BTreeMap<String, String>) -> Result<Content, StoreError> {
    let entry = ENTRY.to_owned();
    if files.contains_key(ENTRY) {
        return Ok(Content { entry, files });
    }
    let tops: BTreeSet<Option<&str>> = files
        .keys()
        .map(|p| p.split_once('/').map(|(top, _)| top))
        .collect();
    if tops.len() == 1
        && let Some(Some(top)) = tops.first()
    {
        let prefix = format!("{top}/");
        if files.contains_key(&format!("{prefix}{ENTRY}")) {
            let files = files
                .into_iter()
                .filter_map(|(p, text)| Some((p.strip_prefix(&prefix)?.to_owned(), text)))
                .collect();
            return Ok(Content { entry, files });
        }
    }
    Err(invalid(format!(
        "the script has no entry file: looked for {ENTRY} at the root of the zip, or in a \
         single top-level folder holding every file"
    )))
}

/// `a/b/c.js` from a relative path of normal components.
fn relative(path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = path.iter().map(|c| c.to_str()).collect();
    let parts = parts?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `/x`, `\x` or `C:x`: a path from a file system root or drive. A drive is a letter, as the
/// zip reader has it when it refuses one later in a path: `&:x` is an ordinary name.
fn is_absolute(name: &str) -> bool {
    name.starts_with(['/', '\\'])
        || matches!(name.as_bytes(), [drive, b':', ..] if drive.is_ascii_alphabetic())
}

fn is_loadable(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| LOADABLE.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The zip `register_path` stores for a canonical path.
fn zip_of_path(path: &Path) -> Result<Vec<u8>, StoreError> {
    let metadata = fs::metadata(path).map_err(|e| io_error("read", path, e))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if metadata.is_dir() {
        pack(&walk(path)?)
    } else if extension.as_deref() == Some("zip") {
        if metadata.len() > MAX_ZIP_BYTES as u64 {
            return Err(invalid(format!(
                "{} is {} bytes; the limit is {MAX_ZIP_BYTES}",
                path.display(),
                metadata.len()
            )));
        }
        fs::read(path).map_err(|e| io_error("read", path, e))
    } else if extension.as_deref() == Some("js") {
        let bytes = read_limited(path, metadata.len())?;
        pack(&[(ENTRY.to_owned(), bytes)])
    } else {
        Err(invalid(format!(
            "{} is not a .js file, a .zip or a directory",
            path.display()
        )))
    }
}

/// The loadable files under `root`, by relative path, with the limits of a zip. Hidden files
/// and folders (`.git`) are skipped; links are refused like links in a zip.
fn walk(root: &Path) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let mut files = Vec::new();
    let mut pending = vec![(root.to_owned(), String::new())];
    let (mut seen, mut count, mut total) = (0, 0, 0);
    while let Some((dir, prefix)) = pending.pop() {
        let listing = fs::read_dir(&dir).map_err(|e| io_error("read", &dir, e))?;
        for item in listing {
            let item = item.map_err(|e| io_error("read", &dir, e))?;
            seen += 1;
            if seen > MAX_WALK_ENTRIES {
                return Err(invalid(format!(
                    "{} holds more than {MAX_WALK_ENTRIES} entries",
                    root.display()
                )));
            }
            let name = item.file_name();
            let name = name
                .to_str()
                .ok_or_else(|| invalid(format!("{}: bad file name", item.path().display())))?;
            if name.starts_with('.') {
                continue;
            }
            let path = format!("{prefix}{name}");
            let kind = item
                .file_type()
                .map_err(|e| io_error("read", &item.path(), e))?;
            if kind.is_symlink() {
                return Err(invalid(format!(
                    "{path} is a symbolic link; a script's files may not be links"
                )));
            } else if kind.is_dir() {
                pending.push((item.path(), format!("{path}/")));
            } else {
                count += 1;
                if count > MAX_FILES {
                    return Err(invalid(format!(
                        "{} holds more than {MAX_FILES} files",
                        root.display()
                    )));
                }
                if is_loadable(&path) {
                    let len = item.metadata().map_or(0, |m| m.len());
                    total += len;
                    if total > MAX_UNPACKED_BYTES {
                        return Err(invalid(format!(
                            "the script's files hold more than {MAX_UNPACKED_BYTES} bytes"
                        )));
                    }
                    files.push((path, read_limited(&item.path(), len)?));
                }
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A file's bytes, if it has at most [`MAX_UNPACKED_BYTES`] (it may have grown since `len`).
fn read_limited(path: &Path, len: u64) -> Result<Vec<u8>, StoreError> {
    let too_big = || {
        invalid(format!(
            "{} holds more than {MAX_UNPACKED_BYTES} bytes",
            path.display()
        ))
    };
    if len > MAX_UNPACKED_BYTES {
        return Err(too_big());
    }
    let file = fs::File::open(path).map_err(|e| io_error("read", path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_UNPACKED_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error("read", path, e))?;
    if bytes.len() as u64 > MAX_UNPACKED_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// A deflated zip of `files`, byte for byte the same for the same files (fixed timestamps).
pub(crate) fn pack(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, StoreError> {
    let fail = |e: zip::result::ZipError| invalid(format!("cannot pack the script ({e})"));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (path, bytes) in files {
        writer.start_file(path.as_str(), options).map_err(fail)?;
        writer
            .write_all(bytes)
            .map_err(|e| fail(zip::result::ZipError::Io(e)))?;
    }
    Ok(writer.finish().map_err(fail)?.into_inner())
}

/// Reads one script's directory.
fn load(dir: &Path, id: &str) -> Result<Entry, StoreError> {
    let meta_path = dir.join(META);
    let text = fs::read(&meta_path).map_err(|e| io_error("read", &meta_path, e))?;
    let meta: Meta = serde_json::from_slice(&text)
        .map_err(|e| invalid(format!("{} is damaged: {e}", meta_path.display())))?;
    if meta.id != id || meta.revision == 0 {
        return Err(invalid(format!(
            "{} does not describe {id}",
            meta_path.display()
        )));
    }
    let current = zip_name(meta.revision);
    let zip_path = dir.join(&current);
    let zip = fs::read(&zip_path).map_err(|e| io_error("read", &zip_path, e))?;
    let content = unpack(&zip)?;
    // Zips of interrupted or superseded updates.
    if let Ok(listing) = fs::read_dir(dir) {
        for item in listing.flatten() {
            if item.file_name() != META && item.file_name().to_str() != Some(current.as_str()) {
                remove_leftover(&item.path());
            }
        }
    }
    let record = ScriptRecord {
        id: meta.id,
        name: meta.name,
        version: meta.version,
        size_on_disk: zip.len() as u64,
        creation_time: UNIX_EPOCH + Duration::from_millis(meta.creation_time_ms),
        node_js_version: meta.node_js_version,
        revision: meta.revision,
        source: meta.source,
    };
    let bundle = Arc::new(Bundle {
        script_id: id.to_owned(),
        revision: meta.revision,
        version: meta.content_version,
        entry: content.entry,
        files: content.files,
    });
    Ok(Entry { record, bundle })
}

fn meta_of(record: &ScriptRecord, content_version: Option<&str>) -> Vec<u8> {
    let millis = record
        .creation_time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let meta = Meta {
        id: record.id.clone(),
        name: record.name.clone(),
        version: record.version.clone(),
        node_js_version: record.node_js_version.clone(),
        creation_time_ms: u64::try_from(millis).unwrap_or(u64::MAX),
        revision: record.revision,
        content_version: content_version.map(str::to_owned),
        source: record.source.clone(),
    };
    // Serializing strings, integers and paths to a Vec cannot fail.
    serde_json::to_vec_pretty(&meta).unwrap_or_default()
}

/// Fills a fresh staging directory with a new script's files.
fn write_new(
    staging: &Path,
    record: &ScriptRecord,
    content_version: Option<&str>,
    zip: &[u8],
) -> Result<(), StoreError> {
    fs::create_dir(staging).map_err(|e| io_error("create", staging, e))?;
    write_synced(&staging.join(zip_name(record.revision)), zip)?;
    write_synced(&staging.join(META), &meta_of(record, content_version))?;
    sync_dir(staging);
    Ok(())
}

/// Replaces `path` with `bytes` all at once: written beside it, then renamed over it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    let temporary = path.with_file_name(name);
    write_synced(&temporary, bytes)?;
    if let Err(e) = fs::rename(&temporary, path) {
        remove_leftover(&temporary);
        return Err(io_error("write", path, e));
    }
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = fs::File::create(path).map_err(|e| io_error("write", path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error("write", path, e))
}

/// Makes renames in `dir` durable; best effort, since not every file system allows it.
fn sync_dir(dir: &Path) {
    if let Err(e) = fs::File::open(dir).and_then(|d| d.sync_all()) {
        debug!(path = %dir.display(), error = %e, "cannot sync a directory");
    }
}

/// Removes what may be left at `path` from an earlier interrupted write, if anything.
fn remove_stale(path: &Path) {
    if path.exists() {
        remove_leftover(path);
    }
}

/// Removes a file or directory left by an interrupted or finished write; failures are logged.
fn remove_leftover(path: &Path) {
    let removed = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match removed {
        Ok(()) => debug!(path = %path.display(), "removed a leftover script file"),
        Err(e) => warn!(path = %path.display(), error = %e, "cannot remove a leftover script file"),
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
