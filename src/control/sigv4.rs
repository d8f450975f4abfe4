//! AWS Signature Version 4 verification for the GameLift-compatible control API.
//!
//! The control API handler calls [`Verifier::verify`] with the request exactly as received
//! (method, path, query, headers, body) before it dispatches on `X-Amz-Target`; an
//! [`AuthError`] becomes the JSON error body, with [`AuthError::error_type`] as `__type` and its
//! `Display` as `message` (spec `control-api.md` §1.5). The procedure is spec §1.6 steps 1-10,
//! checked against the AWS SigV4 test suite and against requests signed by botocore and the
//! AWS JS SDK v3 (tests at the bottom).
//!
//! Pure: no clock (the caller passes `now`), no I/O, no logging. HMAC and SHA-256 come from
//! RustCrypto; the signature comparison is constant-time ([`hmac::Mac::verify_slice`]). No error
//! message contains a secret, a signing key or the signature we computed.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

/// The only algorithm the SDKs use for this API (SigV4A and SigV2 are not accepted).
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every SigV4 credential scope.
const TERMINATOR: &str = "aws4_request";
/// The request timestamp header, basic ISO-8601 `YYYYMMDDTHHMMSSZ`.
const X_AMZ_DATE: &str = "x-amz-date";
/// Hex SHA-256 of the body; the JS SDK sends it (and signs it), botocore does not.
const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";
/// The signature message AWS services send; clients show it verbatim.
const MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature \
     you provided. Check your AWS Secret Access Key and signing method. Consult the service \
     documentation for details.";

type HmacSha256 = Hmac<Sha256>;

/// A secret that never prints: `Debug` shows a mask, and there is no `Display`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value (an AWS secret access key here).
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself; only for the code that must use it, never for output.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// Checks SigV4 `Authorization` headers against a fixed set of access keys.
///
/// Built once from configuration and shared (it is `Clone`, or put it in an `Arc`).
#[derive(Clone, Debug)]
pub struct Verifier {
    /// Access key id to secret access key.
    keys: HashMap<String, Secret>,
    /// The service name the credential scope must carry (`gamelift`).
    service: String,
    /// How far `X-Amz-Date` may be from `now`, either way, in whole seconds.
    max_skew_secs: i64,
    /// Regions the credential scope may name; `None` accepts any non-empty region.
    regions: Option<HashSet<String>>,
}

impl Verifier {
    /// A verifier for `keys` (access key id, secret; a repeated id keeps the last secret), the
    /// scope service `service` (`"gamelift"`) and the allowed clock skew `max_skew` (AWS uses
    /// 15 minutes; sub-second parts are ignored). Any region is accepted until
    /// [`Verifier::with_allowed_regions`] restricts them.
    pub fn new(
        keys: impl IntoIterator<Item = (String, Secret)>,
        service: &str,
        max_skew: Duration,
    ) -> Self {
        Self {
            keys: keys.into_iter().collect(),
            service: service.to_owned(),
            max_skew_secs: i64::try_from(max_skew.as_secs()).unwrap_or(i64::MAX),
            regions: None,
        }
    }

    /// Accepts only credential scopes naming one of `regions` (spec §1.6 step 2).
    pub fn with_allowed_regions(mut self, regions: impl IntoIterator<Item = String>) -> Self {
        self.regions = Some(regions.into_iter().collect());
        self
    }

    /// Verifies a request as received and returns the access key id that signed it.
    ///
    /// `path` and `query` are exactly as on the request line (`uri.path()`,
    /// `uri.query().unwrap_or("")`), still percent-encoded; `body` is the whole body. The
    /// headers must include `Host`: over HTTP/2 the caller copies `:authority` into `host`
    /// first. `now` is the server's clock.
    pub fn verify(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<String, AuthError> {
        // Step 1: the Authorization header and its three components.
        let authorization = single_header(headers, http::header::AUTHORIZATION.as_str())?
            .ok_or(AuthError::MissingAuthentication)?;
        let auth = Authorization::parse(authorization)?;

        // Step 2: the credential scope.
        let scope = Scope::parse(auth.credential)?;
        if scope.service != self.service {
            return Err(AuthError::Incomplete(format!(
                "Credential should be scoped to correct service: '{}'.",
                self.service
            )));
        }
        let region_ok = match &self.regions {
            Some(allowed) => allowed.contains(scope.region),
            None => !scope.region.is_empty(),
        };
        if !region_ok {
            return Err(AuthError::Incomplete(format!(
                "Credential should be scoped to a valid region, not '{}'.",
                clip(scope.region)
            )));
        }

        // Step 3: the secret.
        let secret = self
            .keys
            .get(scope.access_key_id)
            .ok_or(AuthError::UnknownAccessKey)?;

        // Step 4: the timestamp, against the scope and against our clock.
        let amz_date = single_header(headers, X_AMZ_DATE)?.ok_or_else(|| {
            AuthError::Incomplete(
                "Authorization header requires existence of an 'X-Amz-Date' header.".to_owned(),
            )
        })?;
        let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
            AuthError::Incomplete(
                "X-Amz-Date must be in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z'.".to_owned(),
            )
        })?;
        if amz_date.get(..8) != Some(scope.date) {
            return Err(AuthError::Incomplete(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{}' != '{}', from '{amz_date}'.",
                clip(scope.date),
                &amz_date[..8],
            )));
        }
        self.check_skew(signed_at, now)?;

        // Step 5: what must be signed, and that everything signed is there.
        let signed_headers: Vec<&str> = auth.signed_headers.split(';').collect();
        for required in ["host", X_AMZ_DATE] {
            if !signed_headers.contains(&required) {
                return Err(AuthError::Incomplete(format!(
                    "'{required}' must be a 'SignedHeader' in the AWS Authorization."
                )));
            }
        }

        // Step 6: the body hash, if the client sent one.
        let body_hash = hex(&Sha256::digest(body));
        if let Some(given) = single_header(headers, X_AMZ_CONTENT_SHA256)?
            && !given.eq_ignore_ascii_case(&body_hash)
        {
            return Err(AuthError::BodyHashMismatch);
        }

        // Steps 7-10.
        let canonical = canonical_request(
            method,
            path,
            query,
            headers,
            &signed_headers,
            auth.signed_headers,
            &body_hash,
        )?;
        let string_to_sign = format!(
            "{ALGORITHM}\n{amz_date}\n{}/{}/{}/{TERMINATOR}\n{}",
            scope.date,
            scope.region,
            scope.service,
            hex(&Sha256::digest(&canonical)),
        );
        signature_mac(secret, &scope, &string_to_sign)
            .verify_slice(&auth.signature)
            .map_err(|_| AuthError::SignatureMismatch)?;
        Ok(scope.access_key_id.to_owned())
    }

    /// Rejects a timestamp more than `max_skew` before or after `now` (spec §1.6 step 4).
    fn check_skew(&self, signed_at: i64, now: SystemTime) -> Result<(), AuthError> {
        let now = unix_secs(now);
        let earliest = now.saturating_sub(self.max_skew_secs);
        let latest = now.saturating_add(self.max_skew_secs);
        let max_skew = Duration::from_secs(self.max_skew_secs.unsigned_abs());
        if signed_at < earliest {
            return Err(AuthError::Expired {
                signed_at: format_amz_date(signed_at),
                earliest: format_amz_date(earliest),
                now: format_amz_date(now),
                max_skew,
            });
        }
        if signed_at > latest {
            return Err(AuthError::NotYetCurrent {
                signed_at: format_amz_date(signed_at),
                latest: format_amz_date(latest),
                now: format_amz_date(now),
                max_skew,
            });
        }
        Ok(())
    }
}

/// Why a request failed authentication. `Display` is the message for the client; none
/// contains a secret, a signing key or the signature the server computed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("Request is missing Authentication Token")]
    MissingAuthentication,
    /// Malformed `Authorization` header, missing or malformed `X-Amz-Date`, a credential scope
    /// that does not fit (terminator, service, region, date), `host` or `x-amz-date` not signed,
    /// or a signed header absent from the request.
    #[error("{0}")]
    Incomplete(String),
    /// The access key id is not configured.
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    /// `X-Amz-Date` is more than the allowed skew before the server's clock.
    #[error(
        "Signature expired: {signed_at} is now earlier than {earliest} ({now} - {}.)",
        skew_text(*max_skew)
    )]
    Expired {
        /// The request's `X-Amz-Date`.
        signed_at: String,
        /// The earliest timestamp accepted now.
        earliest: String,
        /// The server's clock.
        now: String,
        /// The allowed skew.
        max_skew: Duration,
    },
    /// `X-Amz-Date` is more than the allowed skew after the server's clock.
    #[error(
        "Signature not yet current: {signed_at} is still later than {latest} ({now} + {}.)",
        skew_text(*max_skew)
    )]
    NotYetCurrent {
        /// The request's `X-Amz-Date`.
        signed_at: String,
        /// The latest timestamp accepted now.
        latest: String,
        /// The server's clock.
        now: String,
        /// The allowed skew.
        max_skew: Duration,
    },
    /// `X-Amz-Content-Sha256` is present and is not the SHA-256 of the body.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    BodyHashMismatch,
    /// The signature does not match (wrong secret, or the request changed on the way).
    #[error("{MISMATCH_MESSAGE}")]
    SignatureMismatch,
}

impl AuthError {
    /// The AWS error name for the body's `__type` and `x-amzn-ErrorType` (spec §1.5); all are
    /// HTTP 400.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::MissingAuthentication => "MissingAuthenticationTokenException",
            Self::Incomplete(_) => "IncompleteSignatureException",
            Self::UnknownAccessKey => "UnrecognizedClientException",
            Self::Expired { .. }
            | Self::NotYetCurrent { .. }
            | Self::BodyHashMismatch
            | Self::SignatureMismatch => "InvalidSignatureException",
        }
    }
}

/// The three components of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
/// Signature=…`.
struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: [u8; 32],
}

impl<'a> Authorization<'a> {
    fn parse(value: &'a str) -> Result<Self, AuthError> {
        let params = value
            .strip_prefix(ALGORITHM)
            .filter(|rest| rest.starts_with(' '))
            .ok_or_else(|| {
                AuthError::Incomplete(format!(
                    "Authorization header must use the {ALGORITHM} algorithm."
                ))
            })?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for param in params.split(',').map(str::trim) {
            let (slot, value) = match param.split_once('=') {
                Some(("Credential", value)) => (&mut credential, value),
                Some(("SignedHeaders", value)) => (&mut signed_headers, value),
                Some(("Signature", value)) => (&mut signature, value),
                // Unknown parameters carry nothing we sign; AWS ignores them too.
                Some(_) => continue,
                None => {
                    return Err(AuthError::Incomplete(format!(
                        "Authorization header parameter '{}' is not of the form name=value.",
                        clip(param)
                    )));
                }
            };
            if slot.replace(value).is_some() {
                return Err(AuthError::Incomplete(
                    "Authorization header repeats a parameter.".to_owned(),
                ));
            }
        }
        let missing: Vec<String> = [
            ("Credential", credential.is_none()),
            ("Signature", signature.is_none()),
            ("SignedHeaders", signed_headers.is_none()),
        ]
        .into_iter()
        .filter(|(_, missing)| *missing)
        .map(|(name, _)| format!("Authorization header requires '{name}' parameter."))
        .collect();
        let (Some(credential), Some(signed_headers), Some(signature)) =
            (credential, signed_headers, signature)
        else {
            return Err(AuthError::Incomplete(missing.join(" ")));
        };
        let signature = decode_hex32(signature).ok_or_else(|| {
            AuthError::Incomplete("Signature must be 64 hexadecimal characters.".to_owned())
        })?;
        Ok(Self {
            credential,
            signed_headers,
            signature,
        })
    }
}

/// `Credential=<access key id>/<yyyymmdd>/<region>/<service>/aws4_request`.
struct Scope<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
}

impl<'a> Scope<'a> {
    fn parse(credential: &'a str) -> Result<Self, AuthError> {
        let parts: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, service, terminator] = parts[..] else {
            return Err(AuthError::Incomplete(
                "Credential must have exactly 5 slash-delimited elements, e.g. \
                 keyid/date/region/service/term."
                    .to_owned(),
            ));
        };
        if terminator != TERMINATOR {
            return Err(AuthError::Incomplete(format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
                clip(terminator)
            )));
        }
        Ok(Self {
            access_key_id,
            date,
            region,
            service,
        })
    }
}

/// The value of a header that may appear at most once, as text. `Ok(None)` when absent.
fn single_header<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, AuthError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::Incomplete(format!(
            "The request has more than one '{name}' header."
        )));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| AuthError::Incomplete(format!("The '{name}' header is not valid text.")))
}

/// The canonical request of spec §1.6 step 7, as bytes: header values may hold non-UTF-8
/// bytes, and the client hashed whatever bytes it sent.
fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    signed_headers: &[&str],
    signed_headers_text: &str,
    body_hash: &str,
) -> Result<Vec<u8>, AuthError> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(query).as_bytes());
    out.push(b'\n');
    for &name in signed_headers {
        let absent = || {
            AuthError::Incomplete(format!(
                "Signed header '{}' is not present in the request.",
                clip(name)
            ))
        };
        // The names were signed as written; the lookup is case-insensitive either way.
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| absent())?;
        let mut values = headers.get_all(&header_name).iter().peekable();
        if values.peek().is_none() {
            return Err(absent());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        // Repeated headers are joined with commas, in the order received.
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_header_value(&mut out, value);
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_headers_text.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body_hash.as_bytes());
    Ok(out)
}

/// Appends a header value trimmed, with each run of spaces and tabs collapsed to one space
/// (what botocore's `' '.join(value.split())` and the JS SDK's `/\s+/` do; a parsed
/// `HeaderValue` holds no other whitespace).
fn push_header_value(out: &mut Vec<u8>, value: &HeaderValue) {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let mut pending_space = false;
    for byte in value.as_bytes() {
        if is_space(byte) {
            pending_space = true;
            continue;
        }
        if pending_space && !out.ends_with(b":") && !out.ends_with(b",") {
            out.push(b' ');
        }
        pending_space = false;
        out.push(*byte);
    }
}

/// The canonical URI: the path as received, with `.`, `..` and empty segments removed (a
/// trailing slash kept), then percent-encoded once more with only RFC 3986 unreserved
/// characters and `/` left as they are. This is what botocore (`remove_dot_segments`, then
/// `quote(path, safe='/~')`) and the JS SDK (`normalizePath`, then `escapeUri`) do for every
/// service but S3, so an already-encoded `%20` on the wire is signed as `%2520`.
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    // Relative paths do not reach us (HTTP origin-form starts with '/'); sign them rooted.
    out.push('/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        uri_encode(&mut out, segment.as_bytes());
    }
    if !segments.is_empty() && path.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string: parameters split on `&` and `=`, percent-decoded, encoded again
/// per RFC 3986 and sorted by name then value. Decoding first makes the result independent of
/// how the client chose to encode (botocore signs its already-encoded query as is, which is
/// the same thing for what it sends). A `+` stays a literal plus, as SigV4 requires.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let mut encoded_name = String::new();
            let mut encoded_value = String::new();
            uri_encode(&mut encoded_name, &percent_decode(name));
            uri_encode(&mut encoded_value, &percent_decode(value));
            (encoded_name, encoded_value)
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(query.len() + 8);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Appends `bytes` percent-encoded: RFC 3986 unreserved characters as they are, every other
/// byte as `%XX` with upper-case hex.
fn uri_encode(out: &mut String, bytes: &[u8]) {
    const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(byte >> 4)]));
            out.push(char::from(UPPER_HEX[usize::from(byte & 0x0f)]));
        }
    }
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays literal.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).and_then(|b| hex_value(*b)),
                bytes.get(i + 2).and_then(|b| hex_value(*b)),
            )
        {
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// HMAC-SHA256 keyed with the SigV4 signing key for `scope`, fed the string to sign (spec
/// §1.6 steps 9-10); the caller finalises or verifies it.
fn signature_mac(secret: &Secret, scope: &Scope<'_>, string_to_sign: &str) -> HmacSha256 {
    let mut key = hmac_sha256(
        format!("AWS4{}", secret.expose()).as_bytes(),
        scope.date.as_bytes(),
    );
    for part in [scope.region, scope.service, TERMINATOR] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    let mut mac = new_mac(&key);
    mac.update(string_to_sign.as_bytes());
    mac
}

/// One HMAC-SHA256 over `data`.
fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// An HMAC-SHA256 instance keyed with `key`.
fn new_mac(key: &[u8]) -> HmacSha256 {
    // Invariant: HMAC accepts keys of any length (longer ones are hashed), so
    // `new_from_slice` cannot fail for `Hmac<Sha256>`.
    #[allow(clippy::expect_used)]
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(LOWER_HEX[usize::from(byte >> 4)]));
        out.push(char::from(LOWER_HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// The 32 bytes of a 64-digit hex signature (either case), or `None`.
fn decode_hex32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *slot = hex_value(pair[0])? << 4 | hex_value(pair[1])?;
    }
    Some(out)
}

/// The value of one hex digit.
fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|v| u8::try_from(v).ok())
}

/// Seconds since the Unix epoch of a basic ISO-8601 UTC timestamp `YYYYMMDDTHHMMSSZ`, or
/// `None` if it is not exactly that shape or not a real date and time.
fn parse_amz_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        bytes[range].iter().try_fold(0i64, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
        })
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour < 24
        && minute < 60
        && second < 60;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// `YYYYMMDDTHHMMSSZ` for seconds since the Unix epoch (for messages only).
fn format_amz_date(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Whole seconds since the Unix epoch, negative before it, saturating far out.
fn unix_secs(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Days in `month` (1-12) of the proleptic Gregorian `year`.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (inverse of the above).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `15 min` for whole minutes (as AWS writes it), else `90 s`.
fn skew_text(skew: Duration) -> String {
    let secs = skew.as_secs();
    if secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// Client-supplied text echoed in a message, cut to a sane length.
fn clip(text: &str) -> &str {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests;
