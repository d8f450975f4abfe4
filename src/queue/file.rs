//! [`FileQueueStore`]: this server's queues, in memory and in one file of the data directory
//! (`queues.json`, a list of queues) so that they survive a restart. The file is written
//! whole under a temporary name and renamed over the old one, so a crash leaves the old list
//! or the new one. Queues change rarely and are few ([`MAX_QUEUES`]), so rewriting the list
//! is cheap. The file is created by the first change only.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use tracing::{debug, warn};

use super::{MAX_QUEUES, QueueError, QueueStore};
use crate::api::queues::{GameSessionQueue, UpdateGameSessionQueueInput};

/// Largest file read back: [`MAX_QUEUES`] queues of a few kilobytes each.
const MAX_FILE_BYTES: u64 = 8 << 20;

/// The queues of one server; see the module docs.
#[derive(Debug)]
pub struct FileQueueStore {
    path: PathBuf,
    state: Mutex<BTreeMap<String, GameSessionQueue>>,
    /// Held across each change and its write, so writes apply one at a time, in order.
    writes: tokio::sync::Mutex<()>,
}

impl FileQueueStore {
    /// Loads the queues stored in `path`, which need not exist; a corrupt file is an error,
    /// so a typo never silently drops a studio's queues.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, QueueError> {
        let path = path.into();
        let queues = match fs::File::open(&path) {
            Ok(file) => load(&path, file)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(io_error("read", &path, source)),
        };
        let state = queues
            .into_iter()
            .map(|queue| (queue.name.clone(), queue))
            .collect();
        Ok(Self {
            path,
            state: Mutex::new(state),
            writes: tokio::sync::Mutex::new(()),
        })
    }

    /// Writes `queues` as the whole file, on a blocking thread; the caller holds `writes`.
    async fn write(&self, queues: Vec<GameSessionQueue>) -> Result<(), QueueError> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            // Serializing strings, integers and lists cannot fail.
            let bytes = serde_json::to_vec_pretty(&queues).unwrap_or_default();
            write_atomic(&path, &bytes)
        })
        .await
        .unwrap_or_else(|e| Err(QueueError::Internal(e.to_string())))
    }

    /// Makes `change` to a copy of the queues, writes the copy, then keeps it.
    async fn change<T>(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, GameSessionQueue>) -> Result<T, QueueError>,
    ) -> Result<T, QueueError> {
        let _writes = self.writes.lock().await;
        let mut queues = lock(&self.state).clone();
        let answer = change(&mut queues)?;
        self.write(queues.values().cloned().collect()).await?;
        *lock(&self.state) = queues;
        Ok(answer)
    }
}

#[async_trait]
impl QueueStore for FileQueueStore {
    async fn create(&self, queue: GameSessionQueue) -> Result<(), QueueError> {
        self.change(|queues| {
            if queues.contains_key(&queue.name) {
                return Err(QueueError::Duplicate(queue.name));
            }
            if queues.len() >= MAX_QUEUES {
                return Err(QueueError::LimitExceeded(MAX_QUEUES));
            }
            queues.insert(queue.name.clone(), queue);
            Ok(())
        })
        .await
    }

    async fn get(&self, name: &str) -> Result<Option<GameSessionQueue>, QueueError> {
        Ok(lock(&self.state).get(name).cloned())
    }

    async fn list(&self) -> Result<Vec<GameSessionQueue>, QueueError> {
        Ok(lock(&self.state).values().cloned().collect())
    }

    async fn update(
        &self,
        name: &str,
        update: UpdateGameSessionQueueInput,
    ) -> Result<GameSessionQueue, QueueError> {
        self.change(|queues| {
            let queue = queues
                .get_mut(name)
                .ok_or_else(|| QueueError::NotFound(name.to_owned()))?;
            update.apply(queue);
            Ok(queue.clone())
        })
        .await
    }

    async fn delete(&self, name: &str) -> Result<(), QueueError> {
        self.change(|queues| {
            queues
                .remove(name)
                .map(drop)
                .ok_or_else(|| QueueError::NotFound(name.to_owned()))
        })
        .await
    }
}

/// Locks a mutex; every change replaces the whole map, so a panic elsewhere left no half-made
/// one.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn load(path: &Path, file: fs::File) -> Result<Vec<GameSessionQueue>, QueueError> {
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error("read", path, e))?;
    let corrupt = |why: String| io_error("read", path, io::Error::other(why));
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(corrupt(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    let queues: Vec<GameSessionQueue> =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if queues.len() > MAX_QUEUES {
        warn!(path = %path.display(), limit = MAX_QUEUES, "more queues than the limit are stored");
    }
    Ok(queues)
}

/// Replaces the file at `path` with `bytes` all at once: written and synced under a temporary
/// name, then renamed over it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), QueueError> {
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

fn io_error(action: &'static str, path: &Path, source: io::Error) -> QueueError {
    QueueError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}
