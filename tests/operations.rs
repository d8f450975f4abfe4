//! Operating the server: health and readiness checks.

mod support;

use support::{TestServer, http_get};

#[tokio::test]
async fn health_and_ready_answer_without_authentication() {
    // The default config signs every API request; the health checks need no signature.
    let server = TestServer::start().await;
    let (status, body) = http_get(server.addresses.control, "/health").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_get(server.addresses.control, "/ready").await;
    assert_eq!(status, 200, "{body}");
    let ready: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["draining"], false);
    // Anything else still needs a signature.
    let (status, _) = http_get(server.addresses.control, "/metrics-or-anything").await;
    assert_eq!(status, 405, "other paths are the signed API, POST only");
    server.stop().await;
}
