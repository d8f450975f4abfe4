//! SigV4 verification of control-API requests (`src/control/sigv4.rs`). The input is a flag
//! byte, then a request head as text (`METHOD /path?query`, then `name:value` header lines),
//! an empty line and the body, so seeds are readable requests. Verifying never panics and
//! names the only configured key when it accepts; with the flag's low bit set, the request is
//! first signed by Volley's own signer, and then it must verify, whatever its method, path,
//! query, headers and body.

#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use volley::fuzzing::{Signer, Verifier};
use volley::secret::Secret;

/// The example key of the AWS SigV4 documentation and test suite.
const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, the test suite's date, so its requests reach the signature check.
const NOW_SECS: u64 = 1_440_938_160;

static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    Verifier::new(
        [(KEY_ID.to_owned(), Secret::new(SECRET))],
        "gamelift",
        Duration::from_secs(15 * 60),
    )
});

struct Request {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut request = parse(rest);
    // The other bits move the clock by whole days, past the allowed skew either way.
    let days = i64::from(flags >> 1) - 64;
    let now = UNIX_EPOCH + Duration::from_secs(NOW_SECS.saturating_add_signed(days * 86_400));
    if flags & 1 == 1 {
        sign(&mut request, now);
        assert_eq!(
            verify(&request, now).as_deref(),
            Ok(KEY_ID),
            "a signed request failed"
        );
    } else if let Ok(key) = verify(&request, now) {
        assert_eq!(key, KEY_ID);
    }
});

/// The request in the input; header lines that `http` would refuse are skipped.
fn parse(data: &[u8]) -> Request {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(end) => (&data[..end], &data[end + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let (method, target) = request_line.split_once(' ').unwrap_or(("POST", "/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(&line[colon + 1..]),
        ) {
            headers.append(name, value);
        }
    }
    Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.to_vec(),
    }
}

fn verify(request: &Request, now: SystemTime) -> Result<String, String> {
    VERIFIER
        .verify(
            &request.method,
            &request.path,
            &request.query,
            &request.headers,
            &request.body,
            now,
        )
        // The message and the error type go back to the client: build both.
        .map_err(|e| format!("{}: {e}", e.error_type()))
}

/// Signs as a backend's SDK would: `Host` present, no stale body hash.
fn sign(request: &mut Request, now: SystemTime) {
    let headers = &mut request.headers;
    // A body hash the SDK did not compute is the client's mistake, not the signer's.
    headers.remove("x-amz-content-sha256");
    if !headers.contains_key("host") {
        headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
    }
    let signer = Signer::new(KEY_ID, Secret::new(SECRET), "us-west-2", "gamelift");
    signer
        .sign(
            &request.method,
            &request.path,
            &request.query,
            headers,
            &request.body,
            now,
        )
        .expect("a header map holding Host signs");
}
