//! [`FileAliasStore`]: this server's aliases, in memory and on disk so that they survive a
//! restart. Each alias is `<dir>/<alias id>.json`, written to `.tmp-<alias id>.json` and
//! renamed into place, so a crash leaves the old record or the new one, never half of one;
//! [`FileAliasStore::open`] removes such leftovers. The directory is created by the first
//! write only: a server that never stores an alias never touches the disk.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use async_trait::async_trait;
use tracing::{debug, warn};

use super::row::{Stored, record_of, stored};
use super::{AliasError, AliasRecord, AliasStore, AliasUpdate, MAX_ALIASES, NewAlias};

/// Largest alias file read back: a record's strings are bounded by the API's validation to a
/// few kilobytes, so anything larger is not one of ours.
const MAX_FILE_BYTES: u64 = 64 << 10;
/// Most directory entries `open` looks at, leftovers and foreign files included.
const MAX_DIR_ENTRIES: usize = 10 * MAX_ALIASES;
/// The extension of an alias's file.
const EXTENSION: &str = ".json";
/// The prefix of a file being written.
const TEMPORARY: &str = ".tmp-";

/// The aliases of one server; see the module docs.
#[derive(Debug)]
pub struct FileAliasStore {
    dir: PathBuf,
    state: Mutex<BTreeMap<String, AliasRecord>>,
    /// Held across each write to disk, so writes apply one at a time, in the order of the
    /// in-memory state, and the count `create` checks is the count it adds to.
    writes: tokio::sync::Mutex<()>,
}

impl FileAliasStore {
    /// Loads the aliases stored in `dir`, which need not exist. A file that is unreadable or
    /// corrupt is logged and skipped, as are aliases beyond [`MAX_ALIASES`] (only a hand-made
    /// directory holds more); only an unreadable `dir` is an error.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, AliasError> {
        let dir = dir.into();
        let listing = match fs::read_dir(&dir) {
            Ok(listing) => Some(listing),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => return Err(io_error("read", &dir, source)),
        };
        let mut names = Vec::new();
        for (seen, item) in listing.into_iter().flatten().enumerate() {
            if seen == MAX_DIR_ENTRIES {
                let limit = MAX_DIR_ENTRIES;
                warn!(path = %dir.display(), limit, "too many files; the rest are ignored");
                break;
            }
            let item = item.map_err(|source| io_error("read", &dir, source))?;
            let path = item.path();
            match item.file_name().to_str() {
                Some(name) if name.starts_with(TEMPORARY) => remove_leftover(&path),
                Some(name) if name.starts_with("alias-") && name.ends_with(EXTENSION) => {
                    names.push(name.to_owned());
                }
                _ => debug!(path = %path.display(), "ignoring a file that is not an alias"),
            }
        }
        // Sorted, so which ones a hand-made directory loses is the same on every start.
        names.sort_unstable();
        let mut aliases = BTreeMap::new();
        for name in names {
            let path = dir.join(&name);
            if aliases.len() == MAX_ALIASES {
                warn!(path = %path.display(), limit = MAX_ALIASES, "too many aliases; skipping");
                continue;
            }
            match load(&path, &name) {
                Ok(record) => {
                    aliases.insert(record.id.clone(), record);
                }
                Err(e) => warn!(path = %path.display(), error = %e, "skipping a corrupt alias"),
            }
        }
        Ok(Self {
            dir,
            state: Mutex::new(aliases),
            writes: tokio::sync::Mutex::new(()),
        })
    }

    fn current(&self, id: &str) -> Option<AliasRecord> {
        lock(&self.state).get(id).cloned()
    }

    /// Writes `record`'s file on a blocking thread; the caller holds `writes`.
    async fn write(&self, record: &AliasRecord) -> Result<(), AliasError> {
        let dir = self.dir.clone();
        let record = stored(record);
        blocking(move || {
            fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
            // Serializing a struct of strings and integers cannot fail.
            let bytes = serde_json::to_vec_pretty(&record).unwrap_or_default();
            write_atomic(&dir, &record.id, &bytes)
        })
        .await
    }
}

#[async_trait]
impl AliasStore for FileAliasStore {
    async fn create(&self, now: SystemTime, alias: NewAlias) -> Result<AliasRecord, AliasError> {
        let _writes = self.writes.lock().await;
        if lock(&self.state).len() >= MAX_ALIASES {
            return Err(AliasError::LimitExceeded(MAX_ALIASES));
        }
        let record = alias.into_record(now);
        self.write(&record).await?;
        lock(&self.state).insert(record.id.clone(), record.clone());
        Ok(record)
    }

    async fn get(&self, id: &str) -> Result<Option<AliasRecord>, AliasError> {
        Ok(self.current(id))
    }

    async fn list(&self) -> Result<Vec<AliasRecord>, AliasError> {
        let mut records: Vec<AliasRecord> = lock(&self.state).values().cloned().collect();
        records.sort_by(|a, b| (a.creation_time, &a.id).cmp(&(b.creation_time, &b.id)));
        Ok(records)
    }

    async fn update(
        &self,
        now: SystemTime,
        id: &str,
        update: AliasUpdate,
    ) -> Result<AliasRecord, AliasError> {
        let _writes = self.writes.lock().await;
        let mut record = self
            .current(id)
            .ok_or_else(|| AliasError::NotFound(id.to_owned()))?;
        update.apply(&mut record, now);
        self.write(&record).await?;
        lock(&self.state).insert(record.id.clone(), record.clone());
        Ok(record)
    }

    async fn delete(&self, id: &str) -> Result<AliasRecord, AliasError> {
        let _writes = self.writes.lock().await;
        let record = self
            .current(id)
            .ok_or_else(|| AliasError::NotFound(id.to_owned()))?;
        let dir = self.dir.clone();
        let name = file_name(id);
        blocking(move || {
            let path = dir.join(name);
            fs::remove_file(&path).map_err(|e| io_error("remove", &path, e))?;
            sync_dir(&dir);
            Ok(())
        })
        .await?;
        lock(&self.state).remove(id);
        Ok(record)
    }
}

/// Locks a mutex; a panic elsewhere while it was held left no half-made change, since every
/// change is one map insert or remove.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs file work on a blocking thread, away from the request tasks.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AliasError> + Send + 'static,
) -> Result<T, AliasError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(AliasError::Internal(e.to_string())))
}

fn file_name(id: &str) -> String {
    format!("{id}{EXTENSION}")
}

/// Reads the alias in `path`, whose file name is `name`: the id inside must match it.
fn load(path: &Path, name: &str) -> Result<AliasRecord, AliasError> {
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| io_error("read", path, e))?;
    let corrupt = |why: String| io_error("read", path, io::Error::other(why));
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(corrupt(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    let stored: Stored = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if file_name(&stored.id) != name {
        return Err(corrupt(format!("it holds alias {}", stored.id)));
    }
    Ok(record_of(stored))
}

/// Replaces alias `id`'s file in `dir` with `bytes` all at once: written and synced under a
/// temporary name, then renamed over it.
fn write_atomic(dir: &Path, id: &str, bytes: &[u8]) -> Result<(), AliasError> {
    let path = dir.join(file_name(id));
    let temporary = dir.join(format!("{TEMPORARY}{}", file_name(id)));
    let written = fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| fs::rename(&temporary, &path));
    if let Err(e) = written {
        remove_leftover(&temporary);
        return Err(io_error("write", &path, e));
    }
    sync_dir(dir);
    Ok(())
}

/// Makes renames and removals in `dir` durable; best effort, since not every file system
/// allows it.
fn sync_dir(dir: &Path) {
    if let Err(e) = fs::File::open(dir).and_then(|d| d.sync_all()) {
        debug!(path = %dir.display(), error = %e, "cannot sync a directory");
    }
}

/// Removes a file left by an interrupted write; failures are logged.
fn remove_leftover(path: &Path) {
    match fs::remove_file(path) {
        Ok(()) => debug!(path = %path.display(), "removed a leftover alias file"),
        Err(e) => warn!(path = %path.display(), error = %e, "cannot remove a leftover alias file"),
    }
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> AliasError {
    AliasError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}
