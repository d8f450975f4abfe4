//! The placement store contract, run against the in-memory store and the Redis one (a real
//! `redis-server`, `support/redis.rs`), and the Redis queue store's atomic steps.

#[path = "support/redis.rs"]
mod redis_server;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use volley::api::placements::{GameSessionPlacement, GameSessionPlacementState};
use volley::api::queues::{GameSessionQueue, UpdateGameSessionQueueInput};
use volley::named::{NamedError, NamedStore};
use volley::placement::{
    Finished, MemoryPlacementStore, PlacementError, PlacementStore, RedisPlacementStore,
};
use volley::queue;

const TIMEOUT: Duration = Duration::from_secs(10);

async fn connection() -> redis::aio::ConnectionManager {
    let client = redis::Client::open(redis_server::shared().url.as_str()).expect("a url");
    tokio::time::timeout(TIMEOUT, client.get_connection_manager())
        .await
        .expect("in time")
        .expect("the test redis-server")
}

async fn redis_store() -> RedisPlacementStore {
    let prefix = format!("volley:{{{}}}:", redis_server::fresh_fleet_id());
    RedisPlacementStore::new(connection().await, &prefix)
}

fn pending(id: &str) -> GameSessionPlacement {
    GameSessionPlacement {
        placement_id: id.into(),
        game_session_queue_name: "q".into(),
        maximum_player_session_count: 4,
        ..Default::default()
    }
}

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
}

/// Every check of the contract, on one store.
async fn contract(store: &dyn PlacementStore) {
    // Created leased: not due until the lease ends.
    store
        .create(at(0), &pending("p1"), at(5000))
        .await
        .expect("stored");
    assert!(matches!(
        store.create(at(0), &pending("p1"), at(5000)).await,
        Err(PlacementError::Duplicate(_))
    ));
    assert_eq!(store.get("p1").await.expect("reads"), Some(pending("p1")));
    assert_eq!(store.get("nope").await.expect("reads"), None);
    assert!(
        store
            .claim_due(at(4999), at(9999), 10)
            .await
            .expect("claims")
            .is_empty()
    );

    // Due once the lease ends; claiming leases it again, so a second claim gets nothing.
    let claimed = store
        .claim_due(at(5000), at(10_000), 10)
        .await
        .expect("claims");
    assert_eq!(claimed, vec![pending("p1")]);
    assert!(
        store
            .claim_due(at(5000), at(10_000), 10)
            .await
            .expect("claims")
            .is_empty()
    );

    // A retry time moves it.
    store.retry_at("p1", at(6000)).await.expect("rescheduled");
    assert_eq!(
        store
            .claim_due(at(6000), at(20_000), 10)
            .await
            .expect("claims")
            .len(),
        1
    );

    // Oldest due first, at most `max`.
    store
        .create(at(0), &pending("p2"), at(100))
        .await
        .expect("stored");
    store
        .create(at(0), &pending("p3"), at(200))
        .await
        .expect("stored");
    let claimed = store
        .claim_due(at(300), at(20_000), 1)
        .await
        .expect("claims");
    assert_eq!(claimed[0].placement_id, "p2");

    // Finishing ends it once; a second ending sees the first.
    let mut fulfilled = pending("p2");
    fulfilled.status = GameSessionPlacementState::Fulfilled;
    fulfilled.game_session_id = Some("gs".into());
    assert_eq!(
        store.finish(at(400), &fulfilled).await.expect("ends"),
        Finished::Now
    );
    let mut cancelled = pending("p2");
    cancelled.status = GameSessionPlacementState::Cancelled;
    assert_eq!(
        store.finish(at(500), &cancelled).await.expect("answers"),
        Finished::Already(Box::new(fulfilled.clone()))
    );
    assert_eq!(store.get("p2").await.expect("reads"), Some(fulfilled));
    // An ended placement is never due again, even when asked to be.
    store.retry_at("p2", at(0)).await.expect("no-op");
    let claimed = store
        .claim_due(at(100_000), at(200_000), 10)
        .await
        .expect("claims");
    let ids: Vec<&str> = claimed.iter().map(|p| p.placement_id.as_str()).collect();
    assert_eq!(ids, ["p3", "p1"]);
    assert!(matches!(
        store.finish(at(0), &pending("nope")).await,
        Err(PlacementError::NotFound(_))
    ));
}

#[tokio::test]
async fn the_memory_store_keeps_the_contract() {
    contract(&MemoryPlacementStore::new()).await;
}

#[tokio::test]
async fn the_redis_store_keeps_the_contract() {
    contract(&redis_store().await).await;
}

#[tokio::test]
async fn two_hosts_never_claim_the_same_placement() {
    let prefix = format!("volley:{{{}}}:", redis_server::fresh_fleet_id());
    let a = RedisPlacementStore::new(connection().await, &prefix);
    let b = RedisPlacementStore::new(connection().await, &prefix);
    for i in 0..200 {
        a.create(at(0), &pending(&format!("p{i}")), at(0))
            .await
            .expect("stored");
    }
    let claim = |store: RedisPlacementStore| async move {
        let mut ids = Vec::new();
        for _ in 0..100 {
            let claimed = store
                .claim_due(at(10), at(60_000), 3)
                .await
                .expect("claims");
            ids.extend(claimed.into_iter().map(|p| p.placement_id));
        }
        ids
    };
    let (x, y) = tokio::join!(claim(a), claim(b));
    let mut all: Vec<String> = x.into_iter().chain(y).collect();
    let claimed = all.len();
    all.sort();
    all.dedup();
    assert_eq!((claimed, all.len()), (200, 200));
}

#[tokio::test]
async fn the_redis_queue_store_refuses_duplicates_and_applies_updates() {
    let prefix = format!("volley:{{{}}}:", redis_server::fresh_fleet_id());
    let store = queue::redis_store(connection().await, &prefix);
    let queue = |name: &str| GameSessionQueue {
        name: name.into(),
        timeout_in_seconds: 600,
        ..Default::default()
    };
    store.create(queue("b")).await.expect("creates");
    store.create(queue("a")).await.expect("creates");
    assert!(matches!(
        store.create(queue("a")).await,
        Err(NamedError::Duplicate { .. })
    ));
    let update = UpdateGameSessionQueueInput {
        name: "a".into(),
        timeout_in_seconds: Some(20),
        ..Default::default()
    };
    let updated = store
        .update("a", &|queue| update.clone().apply(queue))
        .await
        .expect("updates");
    assert_eq!(updated.timeout_in_seconds, 20);
    let names: Vec<String> = store
        .list()
        .await
        .expect("lists")
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    store.delete("a").await.expect("deletes");
    assert!(matches!(
        store.delete("a").await,
        Err(NamedError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .update("a", &|queue| update.clone().apply(queue))
            .await,
        Err(NamedError::NotFound { .. })
    ));
}
