//! `GET /metrics`: the server's metrics as OpenMetrics text for Prometheus
//! ([`crate::metrics`] names and encodes them). Authenticated like the API: open with
//! `control.auth = "none"` (loopback only); with `"sigv4"`, a GET signed with a configured
//! access key, or `Authorization: Bearer` with `control.metrics_token`, which is what a
//! Prometheus scrape config can send.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use tracing::{debug, error};

use super::{ApiError, Control, authenticate};
use crate::config::AuthMode;
use crate::metrics::{self, Metrics, Report};

/// Why a scrape was refused.
enum Refusal {
    /// No valid credentials: neither a bearer token nor a good signature.
    Unauthenticated(ApiError),
    /// A bearer token other than `control.metrics_token`, or one when none is configured.
    Forbidden,
}

/// Answers a scrape: 200 with the exposition, 401 without valid credentials, 403 for a
/// wrong bearer token.
pub(super) async fn metrics(State(control): State<Arc<Control>>, request: Request) -> Response {
    let (parts, _body) = request.into_parts();
    let counters = &control.admin.metrics();
    match authorize(&control, &parts) {
        Ok(()) => {}
        Err(Refusal::Unauthenticated(e)) => {
            debug!(error = e.kind.name(), message = %e.message, "metrics scrape refused");
            Metrics::inc(&counters.metrics_scrapes_unauthenticated);
            let mut response = plain(
                StatusCode::UNAUTHORIZED,
                "metrics need a SigV4 signature or a bearer token\n",
            );
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
        Err(Refusal::Forbidden) => {
            debug!("metrics scrape refused: wrong bearer token");
            Metrics::inc(&counters.metrics_scrapes_forbidden);
            return plain(StatusCode::FORBIDDEN, "wrong bearer token\n");
        }
    }
    // Counted first, so that a scrape sees itself: the n-th scrape reports n.
    Metrics::inc(&counters.metrics_scrapes);
    // Reservations past their deadline time out before they are counted, as before any API
    // read (control-api.md §3.4).
    let catalog = &control.catalog;
    let counted = match catalog.expire(SystemTime::now()).await {
        Ok(()) => catalog.status_counts().await,
        Err(e) => Err(e),
    };
    let sessions = match counted {
        Ok(counts) => counts,
        Err(e) => {
            error!(error = %e, "the catalog could not be read for a scrape");
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the catalog is unavailable\n",
            );
        }
    };
    // A few small reads of /proc: quick enough for an async worker.
    let mut report = Report::gather(counters, sessions);
    let readiness = control.admin.readiness();
    report.ready = readiness.ready();
    report.draining = readiness.draining;
    let limits = &control.admin.live().limits;
    report.max_connections = u64::try_from(limits.max_connections).unwrap_or(u64::MAX);
    report.max_game_sessions = u64::try_from(limits.max_game_sessions).unwrap_or(u64::MAX);
    match metrics::encode(&report) {
        Ok(body) => {
            let mut response = (StatusCode::OK, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(metrics::CONTENT_TYPE),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            error!(error = %e, "cannot encode the metrics");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
    }
}

/// Lets a scrape through: always with `auth = "none"`; with `"sigv4"`, a bearer token equal
/// to `control.metrics_token` (compared in constant time) or else a valid SigV4 signature.
fn authorize(control: &Control, parts: &Parts) -> Result<(), Refusal> {
    if control.admin.config().control.auth == AuthMode::None {
        return Ok(());
    }
    match bearer_token(parts) {
        Some(token) => {
            let live = control.admin.live();
            let expected = live.metrics_token.as_ref();
            let matches =
                expected.is_some_and(|e| bool::from(e.expose().as_bytes().ct_eq(token.as_bytes())));
            if matches {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        // A GET has no body to sign: the signature covers the empty payload.
        None => authenticate(control, parts, &[]).map_err(Refusal::Unauthenticated),
    }
}

/// The token of `Authorization: Bearer <token>` (empty when the header is just `Bearer`);
/// the scheme is case-insensitive (RFC 9110 §11.1).
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn plain(status: StatusCode, body: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
