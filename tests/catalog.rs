//! The catalog contract (`support/catalog_contract.rs`) run against every implementation of
//! `volley::catalog::Catalog`: one line per implementation, one test per check.

#[path = "support/catalog_contract.rs"]
mod catalog_contract;

use catalog_contract::{Settings, catalog_contract_tests};
use volley::catalog::{Catalog, LocalCatalog};

catalog_contract_tests!(local, crate::local_catalog);

/// An empty in-memory catalog.
async fn local_catalog(settings: Settings) -> Box<dyn Catalog> {
    Box::new(LocalCatalog::new(
        settings.reservation_timeout,
        settings.retention,
    ))
}
