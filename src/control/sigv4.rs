//! AWS Signature Version 4 verification for the GameLift-compatible control API, and the
//! matching signer for Volley's own tools.
//!
//! The control API handler calls [`Verifier::verify`] with the request exactly as received
//! (method, path, query, headers, body) before it dispatches on `X-Amz-Target`; an
//! [`AuthError`] becomes the JSON error body, with [`AuthError::error_type`] as `__type` and its
//! `Display` as `message` (control-api.md §1.5). The procedure is control-api.md §1.6 steps 1-10,
//! checked against the AWS SigV4 test suite and against requests signed by botocore and the
//! AWS JS SDK v3 (tests at the bottom). [`Signer`] (used by `volley status`) builds its
//! signature from the same canonical request, string to sign and key derivation, so the two
//! cannot disagree.
//!
//! Pure: no clock (the caller passes `now`), no I/O, no logging. HMAC and SHA-256 come from
//! RustCrypto; the signature comparison is constant-time ([`hmac::Mac::verify_slice`]). No error
//! message contains a secret, a signing key or the signature we computed.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

pub use crate::secret::Secret;

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
}

impl Verifier {
    /// A verifier for `keys` (access key id, secret; a repeated id keeps the last secret), the
    /// scope service `service` (`"gamelift"`) and the allowed clock skew `max_skew` (AWS uses
    /// 15 minutes; sub-second parts are ignored). Any region is accepted.
    pub fn new(
        keys: impl IntoIterator<Item = (String, Secret)>,
        service: &str,
        max_skew: Duration,
    ) -> Self {
        Self {
            keys: keys.into_iter().collect(),
            service: service.to_owned(),
            max_skew_secs: i64::try_from(max_skew.as_secs()).unwrap_or(i64::MAX),
        }
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
        // Any region is fine: clients must name one, and it says nothing about our server.
        if scope.region.is_empty() {
            return Err(AuthError::Incomplete(
                "Credential should be scoped to a valid region.".to_owned(),
            ));
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
        // `parse_amz_date` accepted 16 ASCII bytes, so this is the YYYYMMDD part.
        let day = amz_date.get(..8).unwrap_or_default();
        if day != scope.date {
            return Err(AuthError::Incomplete(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{}' != '{day}', from '{amz_date}'.",
                clip(scope.date),
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
        signature_mac(
            secret,
            &scope,
            &string_to_sign(amz_date, &scope, &canonical),
        )
        .verify_slice(&auth.signature)
        .map_err(|_| AuthError::SignatureMismatch)?;
        Ok(scope.access_key_id.to_owned())
    }

    /// Rejects a timestamp more than `max_skew` before or after `now` (control-api.md §1.6 step 4).
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

/// Signs requests as the AWS SDKs do (SigV4, every header present signed), for clients of
/// this server's control API such as `volley status`.
#[derive(Clone, Debug)]
pub struct Signer {
    access_key_id: String,
    secret: Secret,
    /// Any region name; the server accepts them all.
    region: String,
    /// The credential scope's service (`gamelift`).
    service: String,
}

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The access key id, region or service holds characters an HTTP header cannot carry.
    #[error("the access key id, region or service holds characters a header cannot carry")]
    InvalidHeader,
}

impl Signer {
    /// A signer for one access key, scoped to `region` and `service`.
    pub fn new(access_key_id: &str, secret: Secret, region: &str, service: &str) -> Self {
        Self {
            access_key_id: access_key_id.to_owned(),
            secret,
            region: region.to_owned(),
            service: service.to_owned(),
        }
    }

    /// Signs a request about to be sent: sets `X-Amz-Date` to `now` and adds
    /// `Authorization`, signing every header already in `headers` (which must hold `Host`).
    /// `path` and `query` are exactly as they will appear on the request line; `body` is the
    /// whole body. Headers added afterwards (`Content-Length`) are not signed.
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &mut HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), SignError> {
        let amz_date = format_amz_date(unix_secs(now));
        headers.remove(http::header::AUTHORIZATION);
        headers.insert(
            X_AMZ_DATE,
            HeaderValue::from_str(&amz_date).map_err(|_| SignError::InvalidHeader)?,
        );
        // A header map's names are lowercase and its keys distinct: sorted, they are the
        // SignedHeaders list SigV4 asks for.
        let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        let signed_headers_text = names.join(";");
        let scope = Scope {
            access_key_id: &self.access_key_id,
            // `format_amz_date` writes `YYYYMMDDTHHMMSSZ`: the first 8 bytes are the day.
            date: amz_date.get(..8).unwrap_or_default(),
            region: &self.region,
            service: &self.service,
        };
        let body_hash = hex(&Sha256::digest(body));
        // Every name comes from `headers` itself, so none is absent.
        let canonical = canonical_request(
            method,
            path,
            query,
            headers,
            &names,
            &signed_headers_text,
            &body_hash,
        )
        .map_err(|_| SignError::InvalidHeader)?;
        let signature = signature_mac(
            &self.secret,
            &scope,
            &string_to_sign(&amz_date, &scope, &canonical),
        )
        .finalize()
        .into_bytes();
        let authorization = format!(
            "{ALGORITHM} Credential={}/{}/{}/{}/{TERMINATOR}, SignedHeaders={signed_headers_text}, \
             Signature={}",
            scope.access_key_id,
            scope.date,
            scope.region,
            scope.service,
            hex(&signature),
        );
        let value = HeaderValue::from_str(&authorization).map_err(|_| SignError::InvalidHeader)?;
        headers.insert(http::header::AUTHORIZATION, value);
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
    /// The AWS error name for the body's `__type` and `x-amzn-ErrorType` (control-api.md §1.5); all
    /// are HTTP 400.
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
        let (Some(credential), Some(signed_headers), Some(signature)) =
            (credential, signed_headers, signature)
        else {
            let missing: Vec<String> = [
                ("Credential", credential.is_none()),
                ("Signature", signature.is_none()),
                ("SignedHeaders", signed_headers.is_none()),
            ]
            .into_iter()
            .filter(|(_, missing)| *missing)
            .map(|(name, _)| format!("Authorization header requires '{name}' parameter."))
            .collect();
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

/// The canonical request of control-api.md §1.6 step 7, as bytes: header values may hold non-UTF-8
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
    let mut started = false;
    let mut pending_space = false;
    for &byte in value.as_bytes() {
        if byte == b' ' || byte == b'\t' {
            pending_space = started;
            continue;
        }
        if pending_space {
            out.push(b' ');
            pending_space = false;
        }
        started = true;
        out.push(byte);
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

/// The string to sign of control-api.md §1.6 step 8.
fn string_to_sign(amz_date: &str, scope: &Scope<'_>, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{}/{}/{}/{TERMINATOR}\n{}",
        scope.date,
        scope.region,
        scope.service,
        hex(&Sha256::digest(canonical_request)),
    )
}

/// HMAC-SHA256 keyed with the SigV4 signing key for `scope`, fed the string to sign
/// (control-api.md §1.6 steps 9-10); the caller finalises or verifies it.
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
    if secs.is_multiple_of(60) {
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
mod tests {
    use super::*;

    /// Builds a header map keeping repeated names in order, as a server receives them.
    fn header_map(headers: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
                HeaderValue::from_str(value).expect("test header value"),
            );
        }
        map
    }

    /// The instant a basic ISO-8601 timestamp names.
    fn at(stamp: &str) -> SystemTime {
        let secs = parse_amz_date(stamp).expect("test timestamp");
        UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).expect("after 1970"))
    }

    // ---- AWS SigV4 test suite -------------------------------------------------------------

    const SUITE_KEY_ID: &str = "AKIDEXAMPLE";
    const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const SUITE_DATE: &str = "20150830T123600Z";
    const SUITE_HOST: (&str, &str) = ("Host", "example.amazonaws.com");
    const SUITE_X_AMZ_DATE: (&str, &str) = ("X-Amz-Date", SUITE_DATE);
    const SUITE_STS_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZ\
        TwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1Nt\
        BmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+x\
        o0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJab\
        IQwj2ICCR/oLxBA==";

    /// One request of the AWS SigV4 test suite (region us-east-1, service `service`).
    struct SuiteCase {
        name: &'static str,
        method: &'static str,
        path: &'static str,
        query: &'static str,
        headers: &'static [(&'static str, &'static str)],
        body: &'static str,
        signed_headers: &'static str,
        signature: &'static str,
    }

    const VANILLA: &[(&str, &str)] = &[SUITE_HOST, SUITE_X_AMZ_DATE];
    const VANILLA_SIGNED: &str = "host;x-amz-date";
    const GET_VANILLA_SIGNATURE: &str =
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    const POST_VANILLA_SIGNATURE: &str =
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b";

    /// A GET of the suite with only Host and X-Amz-Date.
    const fn suite_get(
        name: &'static str,
        path: &'static str,
        query: &'static str,
        signature: &'static str,
    ) -> SuiteCase {
        SuiteCase {
            name,
            method: "GET",
            path,
            query,
            headers: VANILLA,
            body: "",
            signed_headers: VANILLA_SIGNED,
            signature,
        }
    }

    const SUITE: &[SuiteCase] = &[
        suite_get("get-vanilla", "/", "", GET_VANILLA_SIGNATURE),
        suite_get(
            "get-vanilla-empty-query-key",
            "/",
            "Param1=value1",
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
        ),
        suite_get(
            "get-vanilla-query-order-key",
            "/",
            "Param1=value2&Param1=Value1",
            "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
        ),
        suite_get(
            "get-vanilla-query-order-key-case",
            "/",
            "Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
        suite_get(
            "get-vanilla-query-order-value",
            "/",
            "Param1=value2&Param1=value1",
            "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
        ),
        suite_get(
            "get-vanilla-query-unreserved",
            "/",
            "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=\
             -._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
        ),
        // The suite writes the query raw; on the wire it is percent-encoded. Both verify.
        suite_get(
            "get-vanilla-utf8-query",
            "/",
            "\u{1234}=bar",
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        ),
        suite_get(
            "get-vanilla-utf8-query (encoded on the wire)",
            "/",
            "%E1%88%B4=bar",
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        ),
        suite_get(
            "get-unreserved",
            "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "",
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        ),
        // The suite writes the path decoded; the space is encoded once for signing.
        suite_get(
            "get-space",
            "/example space/",
            "",
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        ),
        suite_get("get-relative", "/example/..", "", GET_VANILLA_SIGNATURE),
        suite_get(
            "get-relative-relative",
            "/example1/example2/../..",
            "",
            GET_VANILLA_SIGNATURE,
        ),
        suite_get("get-slash", "//", "", GET_VANILLA_SIGNATURE),
        suite_get("get-slash-dot-slash", "/./", "", GET_VANILLA_SIGNATURE),
        suite_get(
            "get-slash-pointless-dot",
            "/./example",
            "",
            "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
        ),
        suite_get(
            "get-slashes",
            "//example//",
            "",
            "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
        ),
        SuiteCase {
            name: "get-header-key-duplicate",
            method: "GET",
            path: "/",
            query: "",
            headers: &[
                SUITE_HOST,
                ("My-Header1", "value2"),
                ("My-Header1", "value2"),
                ("My-Header1", "value1"),
                SUITE_X_AMZ_DATE,
            ],
            body: "",
            signed_headers: "host;my-header1;x-amz-date",
            signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        },
        SuiteCase {
            name: "get-header-value-order",
            method: "GET",
            path: "/",
            query: "",
            headers: &[
                SUITE_HOST,
                ("My-Header1", "value4"),
                ("My-Header1", "value1"),
                ("My-Header1", "value3"),
                ("My-Header1", "value2"),
                SUITE_X_AMZ_DATE,
            ],
            body: "",
            signed_headers: "host;my-header1;x-amz-date",
            signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
        },
        SuiteCase {
            name: "get-header-value-trim",
            method: "GET",
            path: "/",
            query: "",
            headers: &[
                SUITE_HOST,
                ("My-Header1", " value1"),
                ("My-Header2", " \"a   b   c\""),
                SUITE_X_AMZ_DATE,
            ],
            body: "",
            signed_headers: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        },
        SuiteCase {
            name: "post-vanilla",
            method: "POST",
            path: "/",
            query: "",
            headers: VANILLA,
            body: "",
            signed_headers: VANILLA_SIGNED,
            signature: POST_VANILLA_SIGNATURE,
        },
        SuiteCase {
            name: "post-vanilla-query",
            method: "POST",
            path: "/",
            query: "Param1=value1",
            headers: VANILLA,
            body: "",
            signed_headers: VANILLA_SIGNED,
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
        },
        SuiteCase {
            name: "post-header-key-case",
            method: "POST",
            path: "/",
            query: "",
            headers: &[
                ("HOST", "example.amazonaws.com"),
                ("x-AMZ-date", SUITE_DATE),
            ],
            body: "",
            signed_headers: VANILLA_SIGNED,
            signature: POST_VANILLA_SIGNATURE,
        },
        SuiteCase {
            name: "post-header-key-sort",
            method: "POST",
            path: "/",
            query: "",
            headers: &[SUITE_HOST, ("My-Header1", "value1"), SUITE_X_AMZ_DATE],
            body: "",
            signed_headers: "host;my-header1;x-amz-date",
            signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
        },
        SuiteCase {
            name: "post-header-value-case",
            method: "POST",
            path: "/",
            query: "",
            headers: &[SUITE_HOST, ("My-Header1", "VALUE1"), SUITE_X_AMZ_DATE],
            body: "",
            signed_headers: "host;my-header1;x-amz-date",
            signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
        },
        SuiteCase {
            name: "post-x-www-form-urlencoded",
            method: "POST",
            path: "/",
            query: "",
            headers: &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                SUITE_HOST,
                SUITE_X_AMZ_DATE,
                ("Content-Length", "13"),
            ],
            body: "Param1=value1",
            signed_headers: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        },
        // The suite's request file says `charset=utf-8`, but its string to sign and signature
        // are over `charset=utf8`; this is the request that signature belongs to.
        SuiteCase {
            name: "post-x-www-form-urlencoded-parameters",
            method: "POST",
            path: "/",
            query: "",
            headers: &[
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=utf8",
                ),
                SUITE_HOST,
                SUITE_X_AMZ_DATE,
                ("Content-Length", "13"),
            ],
            body: "Param1=value1",
            signed_headers: "content-type;host;x-amz-date",
            signature: "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
        },
        SuiteCase {
            name: "post-sts-header-before",
            method: "POST",
            path: "/",
            query: "",
            headers: &[
                SUITE_HOST,
                SUITE_X_AMZ_DATE,
                ("X-Amz-Security-Token", SUITE_STS_TOKEN),
            ],
            body: "",
            signed_headers: "host;x-amz-date;x-amz-security-token",
            signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
        },
        // The token was added after signing: present but unsigned, so it changes nothing.
        SuiteCase {
            name: "post-sts-header-after",
            method: "POST",
            path: "/",
            query: "",
            headers: &[
                SUITE_HOST,
                SUITE_X_AMZ_DATE,
                ("X-Amz-Security-Token", SUITE_STS_TOKEN),
            ],
            body: "",
            signed_headers: VANILLA_SIGNED,
            signature: POST_VANILLA_SIGNATURE,
        },
    ];

    fn suite_verifier() -> Verifier {
        Verifier::new(
            [(
                SUITE_KEY_ID.to_owned(),
                Secret::new(SUITE_SECRET.to_owned()),
            )],
            "service",
            Duration::from_secs(15 * 60),
        )
    }

    fn suite_verify(
        verifier: &Verifier,
        case: &SuiteCase,
        signature: &str,
    ) -> Result<String, AuthError> {
        let mut headers = header_map(case.headers);
        let authorization = format!(
            "{ALGORITHM} Credential={SUITE_KEY_ID}/20150830/us-east-1/service/aws4_request, \
             SignedHeaders={}, Signature={signature}",
            case.signed_headers
        );
        headers.append(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&authorization).expect("test header value"),
        );
        verifier.verify(
            case.method,
            case.path,
            case.query,
            &headers,
            case.body.as_bytes(),
            at(SUITE_DATE),
        )
    }

    #[test]
    fn verifies_aws_test_suite() {
        let verifier = suite_verifier();
        for case in SUITE {
            let verified = suite_verify(&verifier, case, case.signature);
            assert_eq!(
                verified.ok().as_deref(),
                Some(SUITE_KEY_ID),
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn rejects_aws_test_suite_with_flipped_signature() {
        let verifier = suite_verifier();
        for case in SUITE {
            let mut flipped = case.signature.to_owned();
            let last = if flipped.ends_with('0') { "1" } else { "0" };
            flipped.replace_range(63.., last);
            let error = suite_verify(&verifier, case, &flipped).expect_err(case.name);
            assert!(
                matches!(error, AuthError::SignatureMismatch),
                "{}: {error:?}",
                case.name
            );
        }
    }

    #[test]
    fn rejects_a_scope_for_another_service() {
        let gamelift = Verifier::new(
            [(
                SUITE_KEY_ID.to_owned(),
                Secret::new(SUITE_SECRET.to_owned()),
            )],
            "gamelift",
            Duration::from_secs(15 * 60),
        );
        let error = suite_verify(&gamelift, &SUITE[0], SUITE[0].signature).expect_err("service");
        assert!(matches!(error, AuthError::Incomplete(_)), "{error:?}");
        assert_eq!(
            error.to_string(),
            "Credential should be scoped to correct service: 'gamelift'."
        );
    }

    // ---- Requests signed by botocore 1.44.5 and @aws-sdk/client-gamelift 3.1133.0 ----------
    //
    // Captured by tests/fixtures/sigv4/generate.py and generate.mjs (clock frozen at
    // 20260115T093000Z, nothing sent). Unsigned headers (user agent, botocore's invocation id)
    // differ from run to run; the signatures do not, except for the JS SDK, which signs its
    // random invocation id.

    const KEY_ID: &str = "AKIDVOLLEYTEST";
    const SECRET: &str = "volley/K7MDENG+bPxRfiCYTESTSECRETKEY";
    const SIGNED_AT: &str = "20260115T093000Z";

    /// A request exactly as an SDK put it on the wire.
    #[derive(Clone, Copy)]
    struct Captured {
        method: &'static str,
        path: &'static str,
        query: &'static str,
        headers: &'static [(&'static str, &'static str)],
        body: &'static str,
    }

    impl Captured {
        fn headers(&self) -> HeaderMap {
            header_map(self.headers)
        }

        /// The headers with `name` replaced by `value`, or removed for `None`.
        fn headers_with(&self, name: &str, value: Option<&str>) -> HeaderMap {
            let mut headers = self.headers();
            headers.remove(name);
            if let Some(value) = value {
                headers.insert(
                    HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
                    HeaderValue::from_str(value).expect("test header value"),
                );
            }
            headers
        }

        fn authorization(&self) -> &'static str {
            self.headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                .map(|(_, value)| *value)
                .expect("captured requests are signed")
        }

        /// The headers with the Authorization header edited by `edit`.
        fn with_authorization(&self, edit: impl Fn(&str) -> String) -> HeaderMap {
            self.headers_with("authorization", Some(&edit(self.authorization())))
        }

        fn verify(
            &self,
            verifier: &Verifier,
            headers: &HeaderMap,
            body: &str,
            now: SystemTime,
        ) -> Result<String, AuthError> {
            verifier.verify(
                self.method,
                self.path,
                self.query,
                headers,
                body.as_bytes(),
                now,
            )
        }

        /// Verifies the request as captured at the moment it was signed.
        fn verify_as_sent(&self, verifier: &Verifier) -> Result<String, AuthError> {
            self.verify(verifier, &self.headers(), self.body, at(SIGNED_AT))
        }

        fn verify_headers(&self, headers: &HeaderMap) -> Result<String, AuthError> {
            self.verify(&verifier(), headers, self.body, at(SIGNED_AT))
        }
    }

    fn verifier() -> Verifier {
        verifier_with(KEY_ID, SECRET)
    }

    fn verifier_with(key_id: &str, secret: &str) -> Verifier {
        Verifier::new(
            [
                (
                    "AKIDOTHER".to_owned(),
                    Secret::new("other-secret".to_owned()),
                ),
                (key_id.to_owned(), Secret::new(secret.to_owned())),
            ],
            "gamelift",
            Duration::from_secs(15 * 60),
        )
    }

    const BOTO3_ROOT: Captured = Captured {
        method: "POST",
        path: "/",
        query: "",
        headers: &[
            ("Host", "127.0.0.1:8080"),
            ("X-Amz-Target", "GameLift.CreateGameSession"),
            ("Content-Type", "application/x-amz-json-1.1"),
            (
                "User-Agent",
                "Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/N,E,e,b,Z cfg/retry-mode#standard Botocore/1.44.5",
            ),
            ("X-Amz-Date", "20260115T093000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDVOLLEYTEST/20260115/us-east-1/gamelift/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=1cd2194991582beb8f4521f9ce09ec7e5b75eef21ba2c6787a585718e902f9ef",
            ),
            (
                "amz-sdk-invocation-id",
                "38ec5881-043e-49a8-849f-877d4eb0962b",
            ),
            ("amz-sdk-request", "attempt=1; max=3"),
            ("Content-Length", "133"),
        ],
        body: "{\"FleetId\": \"fleet-local\", \"MaximumPlayerSessionCount\": 8, \"Name\": \"room  one\", \"GameProperties\": [{\"Key\": \"mode\", \"Value\": \"duel\"}]}",
    };

    const BOTO3_PREFIX: Captured = Captured {
        method: "POST",
        path: "/gl",
        query: "",
        headers: &[
            ("Host", "127.0.0.1:8080"),
            ("X-Amz-Target", "GameLift.CreateGameSession"),
            ("Content-Type", "application/x-amz-json-1.1"),
            (
                "User-Agent",
                "Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/N,E,e,b,Z cfg/retry-mode#standard Botocore/1.44.5",
            ),
            ("X-Amz-Date", "20260115T093000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDVOLLEYTEST/20260115/eu-west-1/gamelift/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=2744eba0a6d312cea4150d15cc1343542d189d6e9082fa36e673da8de6f25dc3",
            ),
            (
                "amz-sdk-invocation-id",
                "39da3121-9b28-4cd0-8f2f-b0e5ff5144f2",
            ),
            ("amz-sdk-request", "attempt=1; max=3"),
            ("Content-Length", "133"),
        ],
        body: "{\"FleetId\": \"fleet-local\", \"MaximumPlayerSessionCount\": 8, \"Name\": \"room  one\", \"GameProperties\": [{\"Key\": \"mode\", \"Value\": \"duel\"}]}",
    };

    const BOTO3_SESSION_TOKEN: Captured = Captured {
        method: "POST",
        path: "/",
        query: "",
        headers: &[
            ("Host", "localhost:9000"),
            ("X-Amz-Target", "GameLift.CreateGameSession"),
            ("Content-Type", "application/x-amz-json-1.1"),
            (
                "User-Agent",
                "Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython m/N,E,e,b,Z cfg/retry-mode#standard Botocore/1.44.5",
            ),
            ("X-Amz-Date", "20260115T093000Z"),
            (
                "X-Amz-Security-Token",
                "FwoGZXIvYXdzEXAMPLE//////////SESSIONTOKEN+volley==",
            ),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDVOLLEYTEST/20260115/us-west-2/gamelift/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=8deebd194761705494045c55f504b22736600bbe11afef446faadbf4b051eceb",
            ),
            (
                "amz-sdk-invocation-id",
                "f779cf53-bbc5-4eae-8a93-23f8a68e0ebf",
            ),
            ("amz-sdk-request", "attempt=1; max=3"),
            ("Content-Length", "133"),
        ],
        body: "{\"FleetId\": \"fleet-local\", \"MaximumPlayerSessionCount\": 8, \"Name\": \"room  one\", \"GameProperties\": [{\"Key\": \"mode\", \"Value\": \"duel\"}]}",
    };

    const BOTOCORE_ODD_PATH: Captured = Captured {
        method: "POST",
        path: "/gl/./a%20b//c~d/",
        query: "b=2&a=x%2Fy&a=1",
        headers: &[
            ("Host", "127.0.0.1:8080"),
            ("X-Amz-Target", "GameLift.ListScripts"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Custom", "  spaced   out  value "),
            ("X-Amz-Date", "20260115T093000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDVOLLEYTEST/20260115/us-east-1/gamelift/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target;x-custom, Signature=1dc9a6a413fe496cb88ff57601601551624aec8c66e18487fddd5fa4c0b2ae8c",
            ),
        ],
        body: "{}",
    };

    const JS_PREFIX: Captured = Captured {
        method: "POST",
        path: "/gl/",
        query: "",
        headers: &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "GameLift.CreateGameSession"),
            ("content-length", "123"),
            ("x-amz-user-agent", "aws-sdk-js/3.1132.0"),
            (
                "user-agent",
                "aws-sdk-js/3.1132.0 ua/2.1 os/linux#6.18.44-fc-v669 lang/js md/nodejs#20.20.2 api/gamelift#3.1132.0 m/N,E,e",
            ),
            ("host", "127.0.0.1:8080"),
            (
                "amz-sdk-invocation-id",
                "0d747615-bae7-4544-9d57-69e9c8aae4fe",
            ),
            ("amz-sdk-request", "attempt=1; max=3"),
            ("x-amz-date", "20260115T093000Z"),
            (
                "x-amz-content-sha256",
                "bb330e9de4b4fed30dd2bbd626f48682a915f40ff477492f6e170961f2213a71",
            ),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDVOLLEYTEST/20260115/us-east-1/gamelift/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent, Signature=a3a46a80fafb24d046cf3dc7fe010bcb0d492582a7d8a27c1bf134392be7b2e6",
            ),
        ],
        body: "{\"MaximumPlayerSessionCount\":8,\"FleetId\":\"fleet-local\",\"Name\":\"room  one\",\"GameProperties\":[{\"Key\":\"mode\",\"Value\":\"duel\"}]}",
    };

    const JS_SESSION_TOKEN: Captured = Captured {
        method: "POST",
        path: "/",
        query: "",
        headers: &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "GameLift.CreateGameSession"),
            ("content-length", "123"),
            ("x-amz-user-agent", "aws-sdk-js/3.1132.0"),
            (
                "user-agent",
                "aws-sdk-js/3.1132.0 ua/2.1 os/linux#6.18.44-fc-v669 lang/js md/nodejs#20.20.2 api/gamelift#3.1132.0 m/N,E,e",
            ),
            ("host", "localhost:9000"),
            (
                "amz-sdk-invocation-id",
                "55b91abc-4c34-4b97-8736-9b9f4e26e2d9",
            ),
            ("amz-sdk-request", "attempt=1; max=3"),
            ("x-amz-date", "20260115T093000Z"),
            (
                "x-amz-security-token",
                "FwoGZXIvYXdzEXAMPLE//////////SESSIONTOKEN+volley==",
            ),
            (
                "x-amz-content-sha256",
                "bb330e9de4b4fed30dd2bbd626f48682a915f40ff477492f6e170961f2213a71",
            ),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDVOLLEYTEST/20260115/eu-west-1/gamelift/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target;x-amz-user-agent, Signature=3b3bde23c868522f9c1c69ebc1eec5c546eea5f0a9aec7b7f1381981be4c2eb0",
            ),
        ],
        body: "{\"MaximumPlayerSessionCount\":8,\"FleetId\":\"fleet-local\",\"Name\":\"room  one\",\"GameProperties\":[{\"Key\":\"mode\",\"Value\":\"duel\"}]}",
    };

    const ALL_CAPTURED: &[(&str, Captured)] = &[
        ("boto3 /", BOTO3_ROOT),
        ("boto3 /gl", BOTO3_PREFIX),
        ("boto3 session token", BOTO3_SESSION_TOKEN),
        ("botocore odd path and query", BOTOCORE_ODD_PATH),
        ("js /gl/", JS_PREFIX),
        ("js session token", JS_SESSION_TOKEN),
    ];

    #[test]
    fn verifies_requests_signed_by_the_sdks() {
        for (name, request) in ALL_CAPTURED {
            let verified = request.verify_as_sent(&verifier());
            assert_eq!(verified.ok().as_deref(), Some(KEY_ID), "{name}");
        }
    }

    #[test]
    fn rejects_a_wrong_secret() {
        for (name, request) in ALL_CAPTURED {
            let error = request
                .verify_as_sent(&verifier_with(KEY_ID, "not-the-secret"))
                .expect_err(name);
            assert!(
                matches!(error, AuthError::SignatureMismatch),
                "{name}: {error:?}"
            );
            assert_eq!(error.error_type(), "InvalidSignatureException");
            assert!(error.to_string().starts_with(
                "The request signature we calculated does not match the signature you provided."
            ));
        }
    }

    #[test]
    fn rejects_an_unknown_access_key() {
        let error = BOTO3_ROOT
            .verify_as_sent(&verifier_with("AKIDSOMEONEELSE", SECRET))
            .expect_err("unknown key");
        assert!(matches!(error, AuthError::UnknownAccessKey), "{error:?}");
        assert_eq!(error.error_type(), "UnrecognizedClientException");
        assert_eq!(
            error.to_string(),
            "The security token included in the request is invalid."
        );
    }

    #[test]
    fn rejects_a_request_without_authorization() {
        let headers = BOTO3_ROOT.headers_with("authorization", None);
        let error = BOTO3_ROOT.verify_headers(&headers).expect_err("unsigned");
        assert!(
            matches!(error, AuthError::MissingAuthentication),
            "{error:?}"
        );
        assert_eq!(error.error_type(), "MissingAuthenticationTokenException");
    }

    #[test]
    fn rejects_malformed_authorization_as_incomplete() {
        type Edit = fn(&str) -> String;
        let edits: &[(&str, Edit)] = &[
            ("cut before the signature", |a| {
                a[..a.find(", Signature=").expect("sig")].to_owned()
            }),
            ("cut inside the signature", |a| a[..a.len() - 10].to_owned()),
            ("cut after the algorithm", |a| {
                a[..ALGORITHM.len() + 1].to_owned()
            }),
            ("no credential", |a| {
                a.replace("Credential=", "Credentials=")
            }),
            ("parameter without =", |a| {
                a.replace("SignedHeaders=", "SignedHeaders ")
            }),
            ("repeated parameter", |a| {
                format!("{a}, Signature={}", "0".repeat(64))
            }),
            ("other algorithm", |a| {
                a.replace(ALGORITHM, "AWS4-ECDSA-P256-SHA256")
            }),
            ("no space after algorithm", |a| {
                a.replace("SHA256 ", "SHA256,")
            }),
            ("non-hex signature", |a| format!("{}zz", &a[..a.len() - 2])),
            ("four-part credential", |a| a.replace("/aws4_request", "")),
            ("wrong terminator", |a| {
                a.replace("aws4_request", "aws5_request")
            }),
            ("wrong service", |a| a.replace("/gamelift/", "/s3/")),
            ("empty region", |a| a.replace("/us-east-1/", "//")),
            ("scope date differs from X-Amz-Date", |a| {
                a.replace("/20260115/", "/20260114/")
            }),
            ("host not signed", |a| a.replace("host;", "")),
            ("x-amz-date not signed", |a| a.replace("x-amz-date;", "")),
            ("signs an absent header", |a| {
                a.replace("x-amz-date;", "x-amz-date;x-absent;")
            }),
            ("signs an invalid header name", |a| {
                a.replace("x-amz-date;", "x-amz-date;a b;")
            }),
        ];
        for (name, edit) in edits {
            let error = BOTO3_ROOT
                .verify_headers(&BOTO3_ROOT.with_authorization(edit))
                .expect_err(name);
            assert!(
                matches!(error, AuthError::Incomplete(_)),
                "{name}: {error:?}"
            );
            assert_eq!(error.error_type(), "IncompleteSignatureException");
        }
    }

    #[test]
    fn names_each_missing_authorization_parameter() {
        let headers = BOTO3_ROOT.with_authorization(|_| format!("{ALGORITHM} Credential=x"));
        let error = BOTO3_ROOT.verify_headers(&headers).expect_err("incomplete");
        assert_eq!(
            error.to_string(),
            "Authorization header requires 'Signature' parameter. \
             Authorization header requires 'SignedHeaders' parameter."
        );
    }

    #[test]
    fn rejects_a_missing_signed_header() {
        let headers = BOTO3_ROOT.headers_with("x-amz-target", None);
        let error = BOTO3_ROOT.verify_headers(&headers).expect_err("missing");
        assert!(matches!(error, AuthError::Incomplete(_)), "{error:?}");
        assert_eq!(
            error.to_string(),
            "Signed header 'x-amz-target' is not present in the request."
        );
    }

    #[test]
    fn rejects_a_missing_or_malformed_x_amz_date() {
        for value in [
            None,
            Some("2026-01-15T09:30:00Z"),
            Some("20260115T093000"),
            Some("20260132T093000Z"),
        ] {
            let headers = BOTO3_ROOT.headers_with("x-amz-date", value);
            let error = BOTO3_ROOT.verify_headers(&headers).expect_err("date");
            assert!(
                matches!(error, AuthError::Incomplete(_)),
                "{value:?}: {error:?}"
            );
        }
    }

    #[test]
    fn rejects_an_x_amz_date_on_another_day_than_the_scope() {
        // Signed (in the scope) on the 15th, but X-Amz-Date says the 16th; the clock agrees
        // with X-Amz-Date, so only the scope check can catch it.
        let headers = BOTO3_ROOT.headers_with("x-amz-date", Some("20260116T001000Z"));
        let error = BOTO3_ROOT
            .verify(
                &verifier(),
                &headers,
                BOTO3_ROOT.body,
                at("20260116T001000Z"),
            )
            .expect_err("scope date");
        assert!(matches!(error, AuthError::Incomplete(_)), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with("Date in Credential scope does not match")
        );
    }

    #[test]
    fn rejects_a_repeated_authorization_or_date_header() {
        for name in ["authorization", "x-amz-date"] {
            let mut headers = BOTO3_ROOT.headers();
            let again = headers.get(name).expect("present").clone();
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                again,
            );
            let error = BOTO3_ROOT.verify_headers(&headers).expect_err(name);
            assert!(
                matches!(error, AuthError::Incomplete(_)),
                "{name}: {error:?}"
            );
        }
    }

    #[test]
    fn rejects_signatures_outside_the_skew_window() {
        let verify_at =
            |now| BOTO3_ROOT.verify(&verifier(), &BOTO3_ROOT.headers(), BOTO3_ROOT.body, now);
        let minutes = |m: u64| Duration::from_secs(m * 60);

        let late = verify_at(at(SIGNED_AT) + minutes(20)).expect_err("expired");
        assert!(matches!(late, AuthError::Expired { .. }), "{late:?}");
        assert_eq!(late.error_type(), "InvalidSignatureException");
        assert_eq!(
            late.to_string(),
            "Signature expired: 20260115T093000Z is now earlier than 20260115T093500Z \
             (20260115T095000Z - 15 min.)"
        );

        let early = verify_at(at(SIGNED_AT) - minutes(20)).expect_err("not yet current");
        assert!(
            matches!(early, AuthError::NotYetCurrent { .. }),
            "{early:?}"
        );
        assert_eq!(early.error_type(), "InvalidSignatureException");
        assert_eq!(
            early.to_string(),
            "Signature not yet current: 20260115T093000Z is still later than 20260115T092500Z \
             (20260115T091000Z + 15 min.)"
        );

        // The window is inclusive, and sub-second parts of the clock do not matter.
        assert!(verify_at(at(SIGNED_AT) + minutes(15)).is_ok());
        assert!(verify_at(at(SIGNED_AT) + minutes(15) + Duration::from_millis(999)).is_ok());
        assert!(verify_at(at(SIGNED_AT) - minutes(15)).is_ok());
    }

    #[test]
    fn rejects_a_tampered_body() {
        let tampered = BOTO3_ROOT.body.replace("8", "9");
        let error = BOTO3_ROOT
            .verify(&verifier(), &BOTO3_ROOT.headers(), &tampered, at(SIGNED_AT))
            .expect_err("tampered");
        assert!(matches!(error, AuthError::SignatureMismatch), "{error:?}");

        // The JS SDK sends the body hash, so the same change is caught earlier.
        let tampered = JS_PREFIX.body.replace("8", "9");
        let error = JS_PREFIX
            .verify(&verifier(), &JS_PREFIX.headers(), &tampered, at(SIGNED_AT))
            .expect_err("tampered");
        assert!(matches!(error, AuthError::BodyHashMismatch), "{error:?}");
        assert_eq!(error.error_type(), "InvalidSignatureException");

        // Fixing up the (signed) hash header does not help.
        let hash = hex(&Sha256::digest(tampered.as_bytes()));
        let headers = JS_PREFIX.headers_with("x-amz-content-sha256", Some(&hash));
        let error = JS_PREFIX
            .verify(&verifier(), &headers, &tampered, at(SIGNED_AT))
            .expect_err("tampered");
        assert!(matches!(error, AuthError::SignatureMismatch), "{error:?}");
    }

    #[test]
    fn rejects_a_changed_request_line_or_signed_header() {
        let changed = |name: &str, request: Captured, headers: HeaderMap| {
            let error = request.verify_headers(&headers).expect_err(name);
            assert!(
                matches!(error, AuthError::SignatureMismatch),
                "{name}: {error:?}"
            );
        };
        let root = BOTO3_ROOT;
        let target = root.headers_with("x-amz-target", Some("GameLift.DeleteScript"));
        changed("other operation", root, target);
        changed(
            "other host",
            root,
            root.headers_with("host", Some("127.0.0.1:8081")),
        );
        changed(
            "other method",
            Captured {
                method: "PUT",
                ..root
            },
            root.headers(),
        );
        changed(
            "other path",
            Captured {
                path: "/gl",
                ..root
            },
            root.headers(),
        );
        changed(
            "added query",
            Captured {
                query: "a=1",
                ..root
            },
            root.headers(),
        );
        // An unsigned header may change freely.
        let headers = root.headers_with("user-agent", Some("something else"));
        assert!(root.verify_headers(&headers).is_ok());
    }

    // ---- Secrets stay out of output ---------------------------------------------------------

    #[test]
    fn never_prints_secrets() {
        let secret = Secret::new(SECRET.to_owned());
        assert_eq!(format!("{secret:?}"), "Secret(****)");
        assert!(!format!("{:?}", verifier()).contains(SECRET));

        // The signature the server computes for BOTO3_ROOT with a tampered body, to check
        // that the mismatch does not reveal it.
        let tampered = BOTO3_ROOT.body.replace("8", "9");
        let authorization =
            Authorization::parse(BOTO3_ROOT.authorization()).expect("authorization");
        let scope = Scope::parse(authorization.credential).expect("scope");
        let signed: Vec<&str> = authorization.signed_headers.split(';').collect();
        let canonical = canonical_request(
            BOTO3_ROOT.method,
            BOTO3_ROOT.path,
            BOTO3_ROOT.query,
            &BOTO3_ROOT.headers(),
            &signed,
            authorization.signed_headers,
            &hex(&Sha256::digest(tampered.as_bytes())),
        )
        .expect("canonical request");
        let computed = signature_mac(
            &secret,
            &scope,
            &string_to_sign(SIGNED_AT, &scope, &canonical),
        )
        .finalize()
        .into_bytes();
        let computed = hex(&computed);
        assert_ne!(computed, hex(&authorization.signature));

        let mut errors = vec![
            AuthError::MissingAuthentication,
            AuthError::UnknownAccessKey,
            AuthError::BodyHashMismatch,
            AuthError::SignatureMismatch,
        ];
        errors.extend(
            BOTO3_ROOT
                .verify(&verifier(), &BOTO3_ROOT.headers(), &tampered, at(SIGNED_AT))
                .err(),
        );
        for offset in [-20_i64, 20] {
            let now = UNIX_EPOCH
                + Duration::from_secs(
                    u64::try_from(parse_amz_date(SIGNED_AT).expect("date") + offset * 60)
                        .expect("after 1970"),
                );
            errors.extend(
                BOTO3_ROOT
                    .verify(&verifier(), &BOTO3_ROOT.headers(), BOTO3_ROOT.body, now)
                    .err(),
            );
        }
        errors.extend(
            BOTO3_ROOT
                .verify_headers(&BOTO3_ROOT.with_authorization(|a| a.replace("/gamelift/", "/x/")))
                .err(),
        );
        assert_eq!(errors.len(), 8);
        for error in &errors {
            for shown in [error.to_string(), format!("{error:?}")] {
                assert!(!shown.contains(SECRET), "{shown}");
                assert!(!shown.contains(&computed), "{shown}");
            }
        }
    }

    // ---- Pieces -----------------------------------------------------------------------------

    #[test]
    fn builds_canonical_uris_like_the_sdks() {
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("/gl", "/gl"),
            ("/gl/", "/gl/"),
            ("/gl//x/./y/../", "/gl/x/"),
            ("/..", "/"),
            ("/a%20b", "/a%2520b"),
            ("/a b", "/a%20b"),
            ("/\u{fc}", "/%C3%BC"),
            ("/!'()*:@", "/%21%27%28%29%2A%3A%40"),
        ];
        for (path, canonical) in cases {
            assert_eq!(canonical_uri(path), canonical, "{path:?}");
        }
    }

    #[test]
    fn builds_canonical_query_strings() {
        let cases = [
            ("", ""),
            ("b=2&a=1", "a=1&b=2"),
            ("a=x%2Fy&a=1", "a=1&a=x%2Fy"),
            ("a=x/y", "a=x%2Fy"),
            ("flag", "flag="),
            ("a=1&&b=", "a=1&b="),
            ("q=a+b%20c", "q=a%2Bb%20c"),
            ("bad=%zz%4", "bad=%25zz%254"),
            ("lower=%e1%88%b4", "lower=%E1%88%B4"),
        ];
        for (query, canonical) in cases {
            assert_eq!(canonical_query(query), canonical, "{query:?}");
        }
    }

    #[test]
    fn trims_and_collapses_header_values() {
        let cases = [
            ("  a   b  ", "a b"),
            ("\ta\t\tb", "a b"),
            ("a: b", "a: b"),
            ("a,  b", "a, b"),
            ("   ", ""),
        ];
        for (value, canonical) in cases {
            let mut out = Vec::new();
            push_header_value(&mut out, &HeaderValue::from_str(value).expect("value"));
            assert_eq!(out, canonical.as_bytes(), "{value:?}");
        }
    }

    #[test]
    fn parses_and_formats_amz_dates() {
        for (text, unix) in [
            ("19700101T000000Z", 0),
            ("20150830T123600Z", 1_440_938_160),
            ("20000229T235959Z", 951_868_799),
            ("20260115T093000Z", 1_768_469_400),
        ] {
            assert_eq!(parse_amz_date(text), Some(unix), "{text}");
            assert_eq!(format_amz_date(unix), text);
        }
        assert_eq!(format_amz_date(-1), "19691231T235959Z");
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015-08-30T12:36Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "21000229T000000Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "20150830T123660Z",
            "+0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn decodes_hex_signatures() {
        let lower = "00ff".repeat(16);
        let upper = "00FF".repeat(16);
        let expected: [u8; 32] = std::array::from_fn(|i| if i % 2 == 0 { 0 } else { 0xff });
        assert_eq!(decode_hex32(&lower), Some(expected));
        assert_eq!(decode_hex32(&upper), Some(expected));
        assert_eq!(hex(&expected), lower);
        assert_eq!(decode_hex32(&lower[..62]), None);
        assert_eq!(decode_hex32(&format!("{}0g", &lower[..62])), None);
    }

    // ---- The signer -------------------------------------------------------------------------

    #[test]
    fn signer_reproduces_the_aws_test_suite_signature() {
        let signer = Signer::new(
            SUITE_KEY_ID,
            Secret::new(SUITE_SECRET),
            "us-east-1",
            "service",
        );
        let mut headers = header_map(&[SUITE_HOST]);
        signer
            .sign("GET", "/", "", &mut headers, b"", at(SUITE_DATE))
            .expect("signed");
        assert_eq!(headers[X_AMZ_DATE], SUITE_DATE);
        assert_eq!(
            headers[http::header::AUTHORIZATION],
            format!(
                "{ALGORITHM} Credential={SUITE_KEY_ID}/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders={VANILLA_SIGNED}, Signature={GET_VANILLA_SIGNATURE}"
            )
        );
    }

    #[test]
    fn signer_signs_a_control_request_exactly_as_botocore() {
        let signer = Signer::new(KEY_ID, Secret::new(SECRET), "us-east-1", "gamelift");
        // What botocore signs; it leaves the user agent, invocation id and length unsigned.
        let mut headers = HeaderMap::new();
        for name in ["content-type", "host", "x-amz-target"] {
            let value = BOTO3_ROOT.headers()[name].clone();
            headers.insert(name, value);
        }
        signer
            .sign(
                BOTO3_ROOT.method,
                BOTO3_ROOT.path,
                BOTO3_ROOT.query,
                &mut headers,
                BOTO3_ROOT.body.as_bytes(),
                at(SIGNED_AT),
            )
            .expect("signed");
        assert_eq!(
            headers[http::header::AUTHORIZATION],
            BOTO3_ROOT.authorization()
        );
    }

    #[test]
    fn signed_requests_verify_and_tampered_ones_fail() {
        let signer = Signer::new(KEY_ID, Secret::new(SECRET), "eu-west-3", "gamelift");
        let body = br#"{"Limit": 10}"#;
        let mut headers = header_map(&[
            ("Host", "[::1]:8080"),
            ("X-Amz-Target", "Volley.DescribeServer"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ]);
        let now = at(SIGNED_AT);
        signer
            .sign("POST", "/ops/", "b=2&a=1", &mut headers, body, now)
            .expect("signed");
        let verify = |method: &str, path: &str, headers: &HeaderMap, body: &[u8]| {
            verifier().verify(method, path, "b=2&a=1", headers, body, now)
        };
        assert_eq!(
            verify("POST", "/ops/", &headers, body).ok().as_deref(),
            Some(KEY_ID)
        );
        let mismatch =
            |result: Result<String, AuthError>| matches!(result, Err(AuthError::SignatureMismatch));
        assert!(mismatch(verify(
            "POST",
            "/ops/",
            &headers,
            br#"{"Limit": 11}"#
        )));
        assert!(mismatch(verify("PUT", "/ops/", &headers, body)));
        assert!(mismatch(verify("POST", "/other/", &headers, body)));
        let mut retargeted = headers.clone();
        retargeted.insert(
            "x-amz-target",
            HeaderValue::from_static("GameLift.DeleteScript"),
        );
        assert!(mismatch(verify("POST", "/ops/", &retargeted, body)));
        let wrong_secret = verifier_with(KEY_ID, "not-the-secret");
        assert!(matches!(
            wrong_secret.verify("POST", "/ops/", "b=2&a=1", &headers, body, now),
            Err(AuthError::SignatureMismatch)
        ));
    }

    #[test]
    fn signing_again_replaces_the_signature_and_never_prints_the_secret() {
        let signer = Signer::new(KEY_ID, Secret::new(SECRET), "us-east-1", "gamelift");
        let mut headers = header_map(&[("Host", "127.0.0.1:8080")]);
        let later = at(SIGNED_AT) + Duration::from_secs(90);
        signer
            .sign("POST", "/", "", &mut headers, b"{}", at(SIGNED_AT))
            .expect("signed");
        signer
            .sign("POST", "/", "", &mut headers, b"{}", later)
            .expect("signed again");
        assert_eq!(
            headers.get_all(http::header::AUTHORIZATION).iter().count(),
            1
        );
        assert_eq!(headers[X_AMZ_DATE], "20260115T093130Z");
        let verified = verifier().verify("POST", "/", "", &headers, b"{}", later);
        assert_eq!(verified.ok().as_deref(), Some(KEY_ID));
        assert!(!format!("{signer:?}").contains(SECRET));
        assert!(
            !headers[http::header::AUTHORIZATION]
                .to_str()
                .expect("text")
                .contains(SECRET)
        );
    }
}
