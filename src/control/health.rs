//! `/health` and `/ready`: the only unauthenticated routes, for load balancers, orchestrators
//! and Docker's HEALTHCHECK. Both are cheap: a few atomic reads, no locks.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Control;

/// `GET /health`: the process is alive and answering.
pub(super) async fn health() -> Response {
    json(StatusCode::OK, serde_json::json!({"status": "ok"}))
}

/// `GET /ready`: 200 while the server should be given new game sessions (listeners served,
/// not draining, every script healthy), else 503. The body says which condition failed.
pub(super) async fn ready(State(control): State<Arc<Control>>) -> Response {
    let readiness = control.admin.readiness();
    let status = if readiness.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = serde_json::to_value(readiness).unwrap_or_default();
    body["ready"] = readiness.ready().into();
    json(status, body)
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
