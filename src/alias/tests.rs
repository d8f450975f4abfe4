//! Tests of the alias store on disk: each works in a temporary directory of its own.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("volley-aliases-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&path).expect("temporary directory");
        Self(path)
    }

    /// Where the store keeps aliases; not created.
    fn aliases(&self) -> PathBuf {
        self.0.join("aliases")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn at(millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}

fn simple(name: &str) -> NewAlias {
    NewAlias {
        name: name.to_owned(),
        description: Some("the live fleet".to_owned()),
        routing: Routing::Simple {
            fleet_id: "fleet-local".to_owned(),
        },
    }
}

fn terminal(message: &str) -> Routing {
    Routing::Terminal {
        message: message.to_owned(),
    }
}

#[tokio::test]
async fn aliases_are_created_listed_updated_and_deleted() {
    let dir = TempDir::new();
    let store = FileAliasStore::open(dir.aliases()).expect("open");
    // Sub-millisecond parts are dropped, as the file keeps milliseconds.
    let created = store
        .create(at(1_000) + Duration::from_micros(700), simple("live"))
        .await
        .expect("create");
    assert!(created.id.starts_with("alias-"), "{}", created.id);
    assert_eq!(created.creation_time, at(1_000));
    assert_eq!(created.last_updated_time, at(1_000));
    let second = store
        .create(at(2_000), simple("other"))
        .await
        .expect("create");
    assert_eq!(
        store.get(&created.id).await.expect("get"),
        Some(created.clone())
    );
    let ids: Vec<String> = store
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, [created.id.clone(), second.id.clone()]);

    let update = AliasUpdate {
        name: Some("closed".to_owned()),
        description: None,
        routing: Some(terminal("see you in season 2")),
    };
    let updated = store
        .update(at(3_000), &created.id, update)
        .await
        .expect("update");
    assert_eq!(updated.name, "closed");
    assert_eq!(updated.description, created.description);
    assert_eq!(updated.routing, terminal("see you in season 2"));
    assert_eq!(updated.creation_time, at(1_000));
    assert_eq!(updated.last_updated_time, at(3_000));

    let deleted = store.delete(&created.id).await.expect("delete");
    assert_eq!(deleted, updated);
    assert_eq!(store.get(&created.id).await.expect("get"), None);
    assert!(matches!(
        store.delete(&created.id).await,
        Err(AliasError::NotFound(_))
    ));
    assert!(matches!(
        store
            .update(at(4_000), &created.id, AliasUpdate::default())
            .await,
        Err(AliasError::NotFound(_))
    ));
}

#[tokio::test]
async fn aliases_survive_reopening_and_deletions_stay_deleted() {
    let dir = TempDir::new();
    let store = FileAliasStore::open(dir.aliases()).expect("open");
    let kept = store
        .create(at(1_000), simple("kept"))
        .await
        .expect("create");
    let gone = store
        .create(at(2_000), simple("gone"))
        .await
        .expect("create");
    let update = AliasUpdate {
        routing: Some(terminal("closed")),
        ..AliasUpdate::default()
    };
    let kept = store
        .update(at(3_000), &kept.id, update)
        .await
        .expect("update");
    store.delete(&gone.id).await.expect("delete");
    drop(store);

    let reopened = FileAliasStore::open(dir.aliases()).expect("reopen");
    assert_eq!(reopened.list().await.expect("list"), [kept]);
}

#[tokio::test]
async fn the_directory_is_made_by_the_first_write() {
    let dir = TempDir::new();
    let store = FileAliasStore::open(dir.aliases()).expect("open");
    assert!(store.list().await.expect("list").is_empty());
    assert!(!dir.aliases().exists());
    store.create(at(1), simple("a")).await.expect("create");
    assert!(dir.aliases().is_dir());
}

#[tokio::test]
async fn creation_stops_at_the_limit_until_one_is_deleted() {
    let dir = TempDir::new();
    let store = FileAliasStore::open(dir.aliases()).expect("open");
    let mut first = None;
    for i in 0..MAX_ALIASES {
        let alias = store
            .create(at(i as u64), simple("many"))
            .await
            .expect("create");
        first.get_or_insert(alias.id);
    }
    assert!(matches!(
        store.create(at(5_000), simple("one too many")).await,
        Err(AliasError::LimitExceeded(MAX_ALIASES))
    ));
    store
        .delete(&first.expect("created"))
        .await
        .expect("delete");
    store
        .create(at(5_000), simple("room again"))
        .await
        .expect("create");
}

#[tokio::test]
async fn corrupt_files_and_leftovers_are_skipped_on_open() {
    let dir = TempDir::new();
    let store = FileAliasStore::open(dir.aliases()).expect("open");
    let good = store
        .create(at(1_000), simple("good"))
        .await
        .expect("create");
    drop(store);
    let path = |name: &str| dir.aliases().join(name);
    fs::write(path("alias-broken.json"), b"{ not json").expect("write");
    // A record under another alias's name is not trusted either.
    let copy = fs::read(path(&format!("{}.json", good.id))).expect("read");
    fs::write(path("alias-copy.json"), copy).expect("write");
    fs::write(path(".tmp-alias-half.json"), b"{").expect("write");
    fs::write(path("notes.txt"), b"hello").expect("write");

    let reopened = FileAliasStore::open(dir.aliases()).expect("reopen");
    assert_eq!(reopened.list().await.expect("list"), [good]);
    assert!(!path(".tmp-alias-half.json").exists());
    assert!(path("notes.txt").exists());
}

#[tokio::test]
async fn concurrent_creations_never_pass_the_limit() {
    let dir = TempDir::new();
    let store = std::sync::Arc::new(FileAliasStore::open(dir.aliases()).expect("open"));
    let tasks: Vec<_> = (0..MAX_ALIASES + 20)
        .map(|i| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move { store.create(at(i as u64), simple("race")).await })
        })
        .collect();
    let mut created = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => created += 1,
            Err(AliasError::LimitExceeded(_)) => refused += 1,
            Err(e) => panic!("unexpected failure: {e}"),
        }
    }
    assert_eq!((created, refused), (MAX_ALIASES, 20));
    assert_eq!(store.list().await.expect("list").len(), MAX_ALIASES);
}
