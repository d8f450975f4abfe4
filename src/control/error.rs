//! The HTTP answer of an [`ApiError`] (control-api.md §1.5): HTTP 400 (500 for internal
//! faults, 413 for a body over the size limit) with `{"__type": ..., "message": ...}` and the
//! `x-amzn-ErrorType` header.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub use crate::api::{ApiError, ErrorType};

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self.kind {
            ErrorType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        let name = self.kind.name();
        let body = serde_json::json!({"__type": name, "message": self.message});
        let mut response = super::json_response(status, &body);
        response
            .headers_mut()
            .insert("x-amzn-ErrorType", HeaderValue::from_static(name));
        response
    }
}
