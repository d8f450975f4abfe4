//! The catalog contract (`support/catalog_contract.rs`) run against every implementation of
//! `volley::catalog::Catalog`: one line per implementation, one test per check. The Redis
//! catalog runs against a real `redis-server` (`support/redis.rs`).

#[path = "support/catalog_contract.rs"]
mod catalog_contract;
#[path = "support/redis.rs"]
mod redis_server;

use std::time::Duration;

use catalog_contract::{Settings, catalog_contract_tests};
use volley::catalog::redis::HostInfo;
use volley::catalog::{Catalog, LocalCatalog, RedisCatalog, RedisSettings};
use volley::config::PlacementPolicy;
use volley::secret::Secret;

catalog_contract_tests!(local, crate::local_catalog);
catalog_contract_tests!(redis, crate::redis_catalog);

/// An empty in-memory catalog.
async fn local_catalog(settings: Settings) -> Box<dyn Catalog> {
    Box::new(LocalCatalog::new(
        settings.reservation_timeout,
        settings.retention,
    ))
}

/// An empty Redis catalog (a fleet of its own on the shared server) with one registered
/// host, the caller.
async fn redis_catalog(settings: Settings) -> Box<dyn Catalog> {
    let catalog = RedisCatalog::connect(RedisSettings {
        url: Secret::new(redis_server::shared().url.clone()),
        fleet_id: redis_server::fresh_fleet_id(),
        host: "host-a".into(),
        placement: PlacementPolicy::Pack,
        reservation_timeout: settings.reservation_timeout,
        retention: settings.retention,
    })
    .await
    .expect("the test redis-server");
    catalog
        .register(&host("host-a", "local"), Duration::from_secs(600))
        .await
        .expect("registered");
    Box::new(catalog)
}

fn host(id: &str, location: &str) -> HostInfo {
    HostInfo {
        id: id.into(),
        location: location.into(),
        ip_address: "127.0.0.1".into(),
        dns_name: "localhost".into(),
        port: 1935,
        capacity: 1_000,
        players: 0,
        draining: false,
        version: "test".into(),
    }
}

/// Two hosts' views of one fleet on the shared server: a Redis catalog each, host-a
/// registered with room.
async fn two_hosts() -> (RedisCatalog, RedisCatalog) {
    let fleet_id = redis_server::fresh_fleet_id();
    let connect = |host: &str| {
        RedisCatalog::connect(RedisSettings {
            url: Secret::new(redis_server::shared().url.clone()),
            fleet_id: fleet_id.clone(),
            host: host.into(),
            placement: PlacementPolicy::Pack,
            reservation_timeout: Duration::from_secs(60),
            retention: Duration::from_secs(600),
        })
    };
    let a = connect("host-a").await.expect("the test redis-server");
    let b = connect("host-b").await.expect("the test redis-server");
    a.register(&host("host-a", "local"), Duration::from_secs(600))
        .await
        .expect("registered");
    (a, b)
}

fn spec() -> volley::catalog::GameSessionSpec {
    volley::catalog::GameSessionSpec {
        max_players: 4,
        location: "local".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_hosts_listing_follows_changes_made_through_another_host() {
    use volley::catalog::GameSessionStatus;
    use volley::core::GameSessionId;
    let (a, b) = two_hosts().await;
    let now = catalog_contract::at(1_000);
    assert!(b.game_sessions().await.expect("listed").is_empty());
    let ids: Vec<GameSessionId> = (0..3)
        .map(|n| GameSessionId::new(format!("gs-{n}")))
        .collect();
    for id in &ids {
        a.create_game_session(now, id.clone(), spec(), 10)
            .await
            .expect("created");
        a.activate(id, None).await.expect("activated");
    }
    a.end_game_session(now, &ids[1], GameSessionStatus::Terminated, None)
        .await
        .expect("ended");
    let listed = b.game_sessions().await.expect("listed");
    let statuses: Vec<_> = listed.iter().map(|g| (g.id.clone(), g.status)).collect();
    assert_eq!(
        statuses,
        [
            (ids[0].clone(), GameSessionStatus::Active),
            (ids[1].clone(), GameSessionStatus::Terminated),
            (ids[2].clone(), GameSessionStatus::Active),
        ]
    );
    // A reservation and a login show in the counts host-b lists.
    let reserved = a
        .reserve(now, &ids[0], vec![("psess-1".into(), "p1".into(), None)])
        .await
        .expect("reserved");
    a.claim(now, &reserved[0].id).await.expect("claimed");
    let running = b.running().await.expect("listed");
    assert_eq!(running.len(), 2);
    assert_eq!(running[0].0.current_player_sessions, 1);
    assert_eq!(running[0].1, 1, "logged in");
    // Past the retention, the ended game session is forgotten for every host.
    a.expire(catalog_contract::at(1_000 + 601))
        .await
        .expect("expired");
    let left: Vec<_> = b
        .game_sessions()
        .await
        .expect("listed")
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(left, [ids[0].clone(), ids[2].clone()]);
}
