//! The ticket store contract, run against the in-memory store and the Redis one (a real
//! `redis-server`, `support/redis.rs`): creation, pools, all-or-none changes, compare-and-set
//! under contention, and the matchmaking lease.

#[path = "support/redis.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use volley::api::model::Timestamp;
use volley::api::tickets::{MatchmakingTicket, TicketStatus};
use volley::ticket::{MemoryTicketStore, RedisTicketStore, TicketError, TicketRecord, TicketStore};

const TIMEOUT: Duration = Duration::from_secs(10);

async fn redis_store() -> RedisTicketStore {
    let client = redis::Client::open(redis_server::shared().url.as_str()).expect("a url");
    let connection = tokio::time::timeout(TIMEOUT, client.get_connection_manager())
        .await
        .expect("in time")
        .expect("the test redis-server");
    let prefix = format!("volley:{{{}}}:", redis_server::fresh_fleet_id());
    RedisTicketStore::new(connection, &prefix)
}

fn ticket(id: &str, configuration: &str, start_ms: u64) -> TicketRecord {
    TicketRecord {
        ticket: MatchmakingTicket {
            ticket_id: id.into(),
            configuration_name: configuration.into(),
            status: TicketStatus::Queued,
            start_time: Timestamp(UNIX_EPOCH + Duration::from_millis(start_ms)),
            ..MatchmakingTicket::default()
        },
        ..TicketRecord::default()
    }
}

fn ids(records: &[TicketRecord]) -> Vec<&str> {
    records.iter().map(TicketRecord::id).collect()
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

fn set_status(status: TicketStatus) -> impl Fn(&mut [TicketRecord]) -> Result<(), TicketError> {
    move |records: &mut [TicketRecord]| {
        records.iter_mut().for_each(|r| r.ticket.status = status);
        Ok(())
    }
}

async fn contract(store: &dyn TicketStore) {
    store
        .create(&ticket("t2", "duel", 2000))
        .await
        .expect("stored");
    store
        .create(&ticket("t1", "duel", 1000))
        .await
        .expect("stored");
    store
        .create(&ticket("t3", "arena", 500))
        .await
        .expect("stored");
    assert_eq!(
        store.create(&ticket("t1", "duel", 1000)).await,
        Err(TicketError::Duplicate("t1".into()))
    );

    // Reads: in the order asked for, unknown ids left out; pools oldest first.
    let got = store
        .get(&strings(&["t3", "nope", "t1"]))
        .await
        .expect("reads");
    assert_eq!(ids(&got), ["t3", "t1"]);
    assert_eq!(got[1], ticket("t1", "duel", 1000));
    assert_eq!(ids(&store.pool("duel").await.expect("reads")), ["t1", "t2"]);
    assert!(store.pool("none").await.expect("reads").is_empty());

    // A change applies to all its tickets or to none.
    let updated = store
        .update(
            &strings(&["t1", "t2"]),
            &set_status(TicketStatus::Searching),
        )
        .await
        .expect("updated");
    assert!(
        updated
            .iter()
            .all(|r| r.ticket.status == TicketStatus::Searching)
    );
    let refuse = |records: &mut [TicketRecord]| {
        records[0].ticket.status = TicketStatus::Placing;
        Err(TicketError::Refused("no".into()))
    };
    assert_eq!(
        store.update(&strings(&["t1", "t2"]), &refuse).await,
        Err(TicketError::Refused("no".into()))
    );
    assert_eq!(
        store
            .update(
                &strings(&["t1", "ghost"]),
                &set_status(TicketStatus::Placing)
            )
            .await,
        Err(TicketError::NotFound("ghost".into()))
    );
    let both = store.get(&strings(&["t1", "t2"])).await.expect("reads");
    assert!(
        both.iter()
            .all(|r| r.ticket.status == TicketStatus::Searching)
    );

    // An ended ticket leaves its pool and is still described.
    store
        .update(&strings(&["t1"]), &set_status(TicketStatus::Cancelled))
        .await
        .expect("updated");
    assert_eq!(ids(&store.pool("duel").await.expect("reads")), ["t2"]);
    let ended = store.get(&strings(&["t1"])).await.expect("reads");
    assert_eq!(ended[0].ticket.status, TicketStatus::Cancelled);
    assert_eq!(ids(&store.pool("arena").await.expect("reads")), ["t3"]);
}

#[tokio::test]
async fn the_memory_store_keeps_the_contract() {
    contract(&MemoryTicketStore::default()).await;
}

#[tokio::test]
async fn the_redis_store_keeps_the_contract() {
    contract(&redis_store().await).await;
}

/// Hosts changing one ticket at once each see their change land exactly once.
#[tokio::test]
async fn concurrent_changes_to_one_ticket_all_land() {
    let store = Arc::new(redis_store().await);
    store.create(&ticket("t", "duel", 0)).await.expect("stored");
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let accept = move |records: &mut [TicketRecord]| {
                    records[0].accepted.push(format!("p{i}"));
                    Ok(())
                };
                store.update(&strings(&["t"]), &accept).await
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(TIMEOUT, task)
            .await
            .expect("in time")
            .expect("joins")
            .expect("lands");
    }
    let mut accepted = store.get(&strings(&["t"])).await.expect("reads")[0]
        .accepted
        .clone();
    accepted.sort();
    assert_eq!(accepted, ["p0", "p1", "p2", "p3"]);
}

/// One host leads a configuration's matchmaking at a time, and another takes over when the
/// lease runs out.
#[tokio::test]
async fn one_host_leads_a_configuration_until_its_lease_ends() {
    let store = redis_store().await;
    let term = Duration::from_millis(300);
    assert!(store.lead("duel", "host-a", term).await.expect("asks"));
    assert!(!store.lead("duel", "host-b", term).await.expect("asks"));
    assert!(store.lead("duel", "host-a", term).await.expect("renews"));
    assert!(store.lead("arena", "host-b", term).await.expect("asks"));
    let deadline = SystemTime::now() + TIMEOUT;
    while !store.lead("duel", "host-b", term).await.expect("asks") {
        assert!(SystemTime::now() < deadline, "the lease never ran out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!store.lead("duel", "host-a", term).await.expect("asks"));
    assert!(
        MemoryTicketStore::default()
            .lead("duel", "any", term)
            .await
            .expect("asks")
    );
}
