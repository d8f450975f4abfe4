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
