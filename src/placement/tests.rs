//! The memory store's own checks; `tests/placements.rs` runs the contract shared with the
//! Redis store.

use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::api::placements::GameSessionPlacementState;

fn pending(id: &str) -> GameSessionPlacement {
    GameSessionPlacement {
        placement_id: id.into(),
        game_session_queue_name: "q".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn ended_placements_are_forgotten_after_their_retention() {
    let store = MemoryPlacementStore::new();
    let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
    store.create(t0, &pending("a"), t0).await.expect("stored");
    let mut ended = pending("a");
    ended.status = GameSessionPlacementState::Cancelled;
    assert_eq!(store.finish(t0, &ended).await.expect("ends"), Finished::Now);
    store
        .claim_due(t0 + RETENTION - Duration::from_secs(1), t0, 10)
        .await
        .expect("claims");
    assert!(store.get("a").await.expect("reads").is_some());
    store
        .claim_due(t0 + RETENTION, t0, 10)
        .await
        .expect("claims");
    assert!(store.get("a").await.expect("reads").is_none());
    // Its id may be used again.
    store
        .create(t0 + RETENTION, &pending("a"), t0)
        .await
        .expect("stored");
}
