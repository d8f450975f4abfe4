//! [`FileNamedStore`]: one server's records of a kind, in memory and in one file of the data
//! directory (a JSON list) so that they survive a restart. The file is written whole under a
//! temporary name and renamed over the old one, so a crash leaves the old list or the new one.
//! Such records change rarely and are few (a store holds at most its `max`), so rewriting the
//! list is cheap. The file is created by the first change only.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use tracing::{debug, warn};

use super::{Change, Named, NamedError, NamedStore};

/// Largest file read back: a few hundred records of a few kilobytes each, with room to spare.
const MAX_FILE_BYTES: u64 = 32 << 20;

/// The records of one kind on one server; see the module docs.
#[derive(Debug)]
pub struct FileNamedStore<T> {
    path: PathBuf,
    max: usize,
    state: Mutex<BTreeMap<String, T>>,
    /// Held across each change and its write, so writes apply one at a time, in order.
    writes: tokio::sync::Mutex<()>,
}

impl<T: Named> FileNamedStore<T> {
    /// Loads the records stored in `path`, which need not exist, keeping at most `max`; a
    /// corrupt file is an error, so a typo never silently drops a studio's records.
    pub fn open(path: impl Into<PathBuf>, max: usize) -> Result<Self, NamedError> {
        let path = path.into();
        let records: Vec<T> = match fs::File::open(&path) {
            Ok(file) => load(&path, file)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(io_error("read", &path, source)),
        };
        if records.len() > max {
            warn!(path = %path.display(), limit = max, "more records than the limit are stored");
        }
        let state = records
            .into_iter()
            .map(|record| (record.name().to_owned(), record))
            .collect();
        Ok(Self {
            path,
            max,
            state: Mutex::new(state),
            writes: tokio::sync::Mutex::new(()),
        })
    }

    /// Writes `records` as the whole file, on a blocking thread; the caller holds `writes`.
    async fn write(&self, records: Vec<T>) -> Result<(), NamedError> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let bytes = serde_json::to_vec_pretty(&records)
                .map_err(|e| NamedError::Internal(e.to_string()))?;
            write_atomic(&path, &bytes)
        })
        .await
        .unwrap_or_else(|e| Err(NamedError::Internal(e.to_string())))
    }

    /// Makes `change` to a copy of the records, writes the copy, then keeps it.
    async fn change<A>(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, T>) -> Result<A, NamedError>,
    ) -> Result<A, NamedError> {
        let _writes = self.writes.lock().await;
        let mut records = lock(&self.state).clone();
        let answer = change(&mut records)?;
        self.write(records.values().cloned().collect()).await?;
        *lock(&self.state) = records;
        Ok(answer)
    }
}

#[async_trait]
impl<T: Named> NamedStore<T> for FileNamedStore<T> {
    async fn create(&self, record: T) -> Result<(), NamedError> {
        let max = self.max;
        self.change(|records| {
            if records.contains_key(record.name()) {
                return Err(NamedError::Duplicate {
                    kind: T::KIND,
                    name: record.name().to_owned(),
                });
            }
            if records.len() >= max {
                return Err(NamedError::LimitExceeded { kind: T::KIND, max });
            }
            records.insert(record.name().to_owned(), record);
            Ok(())
        })
        .await
    }

    async fn get(&self, name: &str) -> Result<Option<T>, NamedError> {
        Ok(lock(&self.state).get(name).cloned())
    }

    async fn list(&self) -> Result<Vec<T>, NamedError> {
        Ok(lock(&self.state).values().cloned().collect())
    }

    async fn update(&self, name: &str, change: Change<'_, T>) -> Result<T, NamedError> {
        self.change(|records| {
            let record = records
                .get_mut(name)
                .ok_or_else(|| NamedError::not_found::<T>(name))?;
            change(record);
            Ok(record.clone())
        })
        .await
    }

    async fn delete(&self, name: &str) -> Result<(), NamedError> {
        self.change(|records| {
            records
                .remove(name)
                .map(drop)
                .ok_or_else(|| NamedError::not_found::<T>(name))
        })
        .await
    }
}

/// Locks a mutex; every change replaces the whole map, so a panic elsewhere left no half-made
/// one.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn load<T: Named>(path: &Path, file: fs::File) -> Result<Vec<T>, NamedError> {
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error("read", path, e))?;
    let corrupt = |why: String| io_error("read", path, io::Error::other(why));
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(corrupt(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))
}

/// Replaces the file at `path` with `bytes` all at once: written and synced under a temporary
/// name, then renamed over it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), NamedError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;
    let temporary = path.with_extension("json.tmp");
    let written = fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| fs::rename(&temporary, path));
    if let Err(e) = written {
        if let Err(e) = fs::remove_file(&temporary) {
            debug!(path = %temporary.display(), error = %e, "cannot remove a temporary file");
        }
        return Err(io_error("write", path, e));
    }
    if let Err(e) = fs::File::open(dir).and_then(|d| d.sync_all()) {
        debug!(path = %dir.display(), error = %e, "cannot sync a directory");
    }
    Ok(())
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> NamedError {
    NamedError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}
