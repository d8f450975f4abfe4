use std::path::PathBuf;

use super::*;
use crate::api::queues::UpdateGameSessionQueueInput;
use crate::named::NamedStore;

fn queue(name: &str) -> GameSessionQueue {
    GameSessionQueue {
        name: name.to_owned(),
        game_session_queue_arn: format!("arn:aws:gamelift:local::gamesessionqueue/{name}"),
        timeout_in_seconds: 600,
        ..Default::default()
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("volley-queues-{name}-{}", uuid::Uuid::new_v4()));
    dir.join("queues.json")
}

#[tokio::test]
async fn queues_are_created_updated_listed_and_deleted_and_survive_a_reopen() {
    let path = scratch("crud");
    let store = file_store(&path).expect("opens");
    assert!(store.list().await.expect("lists").is_empty());
    assert!(!path.exists(), "nothing is written before a change");
    store.create(queue("b")).await.expect("creates");
    store.create(queue("a")).await.expect("creates");
    assert!(matches!(
        store.create(queue("a")).await,
        Err(NamedError::Duplicate { .. })
    ));
    let updated = store
        .update("a", &|queue| {
            UpdateGameSessionQueueInput {
                name: "a".into(),
                timeout_in_seconds: Some(30),
                custom_event_data: Some("hi".into()),
                ..Default::default()
            }
            .apply(queue);
        })
        .await
        .expect("updates");
    assert_eq!(updated.timeout_in_seconds, 30);
    assert_eq!(updated.custom_event_data.as_deref(), Some("hi"));
    let names: Vec<String> = store
        .list()
        .await
        .expect("lists")
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(names, ["a", "b"]);

    let reopened = file_store(&path).expect("reopens");
    assert_eq!(reopened.get("a").await.expect("reads"), Some(updated));
    reopened.delete("b").await.expect("deletes");
    assert!(matches!(
        reopened.delete("b").await,
        Err(NamedError::NotFound { .. })
    ));
    assert!(matches!(
        reopened.update("b", &|_| {}).await,
        Err(NamedError::NotFound { .. })
    ));
    let again = file_store(&path).expect("reopens");
    assert_eq!(again.list().await.expect("lists").len(), 1);
    std::fs::remove_dir_all(path.parent().expect("a folder")).expect("cleans up");
}

#[tokio::test]
async fn the_number_of_queues_is_bounded() {
    let path = scratch("limit");
    let store = file_store(&path).expect("opens");
    for i in 0..MAX_QUEUES {
        store
            .create(queue(&format!("q{i}")))
            .await
            .expect("creates");
    }
    assert!(matches!(
        store.create(queue("one-more")).await,
        Err(NamedError::LimitExceeded {
            max: MAX_QUEUES,
            ..
        })
    ));
    std::fs::remove_dir_all(path.parent().expect("a folder")).expect("cleans up");
}

#[test]
fn a_corrupt_file_is_an_error_not_an_empty_list() {
    let path = scratch("corrupt");
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("creates");
    std::fs::write(&path, b"{ not json").expect("writes");
    assert!(matches!(file_store(&path), Err(NamedError::Io { .. })));
    std::fs::remove_dir_all(path.parent().expect("a folder")).expect("cleans up");
}
