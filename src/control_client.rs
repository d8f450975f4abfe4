//! A client of a running server's control API, for operators' tools (`volley status`, `volley
//! health`) and tests: one HTTP/1.1 request per connection (hyper), over TCP or over TLS
//! trusting the certificates of a PEM file, signed with AWS SigV4 when it has an access key.
//! The signer shares the server verifier's canonical request, so the two cannot disagree.
//! Operations are called with the server's own input and output types ([`crate::api`]):
//! [`ControlClient::send`] takes any [`Request`] and answers its output. Connecting and the
//! whole exchange are bounded by timeouts.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::api::Request;
use crate::control::sigv4::Signer;
use crate::secret::Secret;

/// Where `volley serve` listens for the control API by default.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8080";
/// The service name of SigV4 credential scopes, as the AWS SDKs use it for GameLift.
const SERVICE: &str = "gamelift";
/// The largest response read; a `DescribeServer` of 1000 game sessions is well under 1 MiB.
const MAX_RESPONSE_BYTES: usize = 16 << 20;
/// The most of an unexpected body quoted in an error.
const MAX_QUOTED_CHARS: usize = 200;

/// Why a request got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum ControlClientError {
    /// The endpoint URL is not `http://host[:port][/path]` or `https://...`.
    #[error("invalid endpoint `{endpoint}`: {reason}")]
    Endpoint {
        /// The URL given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// TLS could not be set up or its handshake failed.
    #[error("TLS with {endpoint}: {message}")]
    Tls {
        /// The endpoint.
        endpoint: String,
        /// What failed.
        message: String,
    },
    /// No TCP connection could be made.
    #[error("cannot connect to {endpoint}: {error}")]
    Connect {
        /// The endpoint.
        endpoint: String,
        /// The OS error (in the message, so not also a `source`).
        error: std::io::Error,
    },
    /// The exchange did not finish in time.
    #[error("no answer from {endpoint} within {} s", after.as_secs_f32())]
    Timeout {
        /// The endpoint.
        endpoint: String,
        /// The time allowed.
        after: Duration,
    },
    /// The HTTP exchange failed after connecting.
    #[error("HTTP exchange with {endpoint} failed: {message}")]
    Http {
        /// The endpoint.
        endpoint: String,
        /// What failed.
        message: String,
    },
    /// The input could not be written as JSON.
    #[error("cannot write the input of {operation}: {message}")]
    Input {
        /// The operation's name.
        operation: &'static str,
        /// What failed.
        message: String,
    },
    /// The request could not be signed (an access key id or region no header can carry).
    #[error("cannot sign the request: {0}")]
    Sign(String),
    /// The server refused the operation with an AWS error (`__type` and `message`).
    #[error("{error_type}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The error type, e.g. `InvalidSignatureException`.
        error_type: String,
        /// The server's message.
        message: String,
    },
    /// The answer is not what the control API sends (something else listens there?).
    #[error("unexpected answer from {endpoint} (HTTP {status}): {reason}")]
    Response {
        /// The endpoint.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        reason: String,
    },
}

/// A control API URL: `http://` or `https://`, a host and port, and the path operations are
/// posted to (`/` unless the server sits behind a proxy under a prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    tls: bool,
    /// Host name or IP address, IPv6 without brackets.
    host: String,
    port: u16,
    /// `Host` header value: the URL's authority.
    authority: String,
    /// Path for operations, starting with `/`.
    path: String,
}

impl Endpoint {
    /// Parses `http://host[:port][/path]` or `https://...`; the port defaults to 80 or 443.
    pub fn parse(url: &str) -> Result<Self, ControlClientError> {
        let invalid = |reason| ControlClientError::Endpoint {
            endpoint: url.to_owned(),
            reason,
        };
        let uri: http::Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(invalid("the scheme must be http:// or https://")),
        };
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("user names and passwords do not belong in the URL"));
        }
        if uri.query().is_some() {
            return Err(invalid("a query string is not allowed"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        Ok(Self {
            tls,
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(if tls { 443 } else { 80 }),
            authority: authority.as_str().to_owned(),
            path: uri.path().to_owned(),
        })
    }

    /// The endpoint of a control listener bound to `addr` (a wildcard address becomes
    /// loopback, where a local tool reaches it).
    pub fn from_addr(addr: SocketAddr, tls: bool) -> Self {
        let ip = match addr.ip() {
            ip if !ip.is_unspecified() => ip,
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        };
        let addr = SocketAddr::new(ip, addr.port());
        Self {
            tls,
            host: ip.to_string(),
            port: addr.port(),
            authority: addr.to_string(),
            path: "/".to_owned(),
        }
    }

    /// Whether it is `https://`.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The host name or IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `path` (such as `/health`) under this endpoint's path.
    fn under(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.path.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority, self.path)
    }
}

/// An access key to sign requests with.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The region named in signatures; the server accepts any.
    pub region: String,
}

/// How a [`ControlClient`] connects and authenticates.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Sign requests with this key; `None` sends them unsigned (servers with `auth = "none"`).
    pub credentials: Option<Credentials>,
    /// For `https://`: PEM certificates to trust (the server's CA), required there.
    pub ca_pem: Option<Vec<u8>>,
    /// For `https://`: the name the certificate must carry; default the endpoint's host.
    pub server_name: Option<String>,
    /// Longest wait for the TCP connection.
    pub connect_timeout: Duration,
    /// Longest wait for the whole exchange, connecting included.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            credentials: None,
            ca_pem: None,
            server_name: None,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
        }
    }
}

/// A status and a body, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The whole body.
    pub body: Bytes,
}

/// A client of one server's control API.
#[derive(Clone)]
pub struct ControlClient {
    endpoint: Endpoint,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    signer: Option<Signer>,
    connect_timeout: Duration,
    timeout: Duration,
}

impl fmt::Debug for ControlClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlClient")
            .field("endpoint", &self.endpoint)
            .field("tls", &self.tls.is_some())
            .field("signed", &self.signer.is_some())
            .finish()
    }
}

impl ControlClient {
    /// A client for `endpoint`; `https://` needs [`ClientOptions::ca_pem`].
    pub fn new(endpoint: Endpoint, options: ClientOptions) -> Result<Self, ControlClientError> {
        let tls = if endpoint.tls {
            let tls_error = |message: String| ControlClientError::Tls {
                endpoint: endpoint.to_string(),
                message,
            };
            let pem = options.ca_pem.as_deref().ok_or_else(|| {
                tls_error("https needs the certificate(s) of the server's CA to trust".into())
            })?;
            let name = options.server_name.as_deref().unwrap_or(&endpoint.host);
            let name = ServerName::try_from(name.to_owned())
                .map_err(|e| tls_error(format!("`{name}` is not a server name: {e}")))?;
            Some((
                TlsConnector::from(tls_config(pem).map_err(tls_error)?),
                name,
            ))
        } else {
            None
        };
        let signer = options.credentials.map(|key| {
            Signer::new(
                &key.access_key_id,
                key.secret_access_key,
                &key.region,
                SERVICE,
            )
        });
        Ok(Self {
            endpoint,
            tls,
            signer,
            connect_timeout: options.connect_timeout,
            timeout: options.timeout,
        })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// `GET path` (such as `/health`), unsigned: the status and body, whatever the status.
    pub async fn get(&self, path: &str) -> Result<Reply, ControlClientError> {
        let mut request = http::Request::get(self.endpoint.under(path));
        if let Some(headers) = request.headers_mut() {
            headers.insert(header::HOST, self.host_header()?);
        }
        let request = request
            .body(Full::new(Bytes::new()))
            .map_err(|e| self.http_error(e))?;
        self.send_request(request).await
    }

    /// Calls the operation `input` is for: its output, or the error the server answered as
    /// [`ControlClientError::Api`].
    pub async fn send<I: Request>(&self, input: &I) -> Result<I::Output, ControlClientError> {
        let operation = I::OPERATION;
        let body = serde_json::to_vec(input).map_err(|e| ControlClientError::Input {
            operation: operation.name(),
            message: e.to_string(),
        })?;
        let (status, output) = self.post(operation.target(), Bytes::from(body)).await?;
        serde_json::from_value(output).map_err(|e| ControlClientError::Response {
            endpoint: self.endpoint.to_string(),
            status,
            reason: format!("not the output of {}: {e}", operation.name()),
        })
    }

    /// Calls one operation with a body of any shape: `target` is the whole `X-Amz-Target`
    /// (`Volley.DescribeServer`, `GameLift.ListFleets`), `input` its JSON body. Returns the
    /// output object, or the error the server answered as [`ControlClientError::Api`]. For
    /// what [`ControlClient::send`] cannot say: an operation this version does not know, or
    /// an input its types would refuse.
    pub async fn call(&self, target: &str, input: &Value) -> Result<Value, ControlClientError> {
        let (_status, output) = self.post(target, Bytes::from(input.to_string())).await?;
        Ok(output)
    }

    /// Posts `body` to operation `target`, signed when the client has a key: the HTTP status
    /// and the output object.
    async fn post(&self, target: &str, body: Bytes) -> Result<(u16, Value), ControlClientError> {
        let mut request = http::Request::post(self.endpoint.path.as_str())
            .body(Full::new(body.clone()))
            .map_err(|e| self.http_error(e))?;
        let headers = request.headers_mut();
        headers.insert(header::HOST, self.host_header()?);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        let target = HeaderValue::from_str(target).map_err(|_| ControlClientError::Endpoint {
            endpoint: target.to_owned(),
            reason: "an X-Amz-Target must be visible ASCII",
        })?;
        headers.insert("x-amz-target", target);
        if let Some(signer) = &self.signer {
            signer
                .sign(
                    "POST",
                    &self.endpoint.path,
                    "",
                    headers,
                    &body,
                    SystemTime::now(),
                )
                .map_err(|e| ControlClientError::Sign(e.to_string()))?;
        }
        let reply = self.send_request(request).await?;
        let status = reply.status;
        Ok((status, self.output(reply)?))
    }

    /// The output of a reply: its JSON object on success, else the AWS error it carries.
    fn output(&self, reply: Reply) -> Result<Value, ControlClientError> {
        let unexpected = |reason: String| ControlClientError::Response {
            endpoint: self.endpoint.to_string(),
            status: reply.status,
            reason,
        };
        let json: Option<Value> = serde_json::from_slice(&reply.body).ok();
        if (200..300).contains(&reply.status) {
            return match json {
                Some(output @ Value::Object(_)) => Ok(output),
                _ => Err(unexpected(format!(
                    "not a JSON object: {}",
                    quote(&reply.body)
                ))),
            };
        }
        let field = |name: &str| {
            json.as_ref()
                .and_then(|v| v.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        match field("__type") {
            Some(error_type) => Err(ControlClientError::Api {
                status: reply.status,
                error_type: error_name(&error_type).to_owned(),
                message: field("message")
                    .or_else(|| field("Message"))
                    .unwrap_or_default(),
            }),
            None => Err(unexpected(format!("no AWS error: {}", quote(&reply.body)))),
        }
    }

    fn host_header(&self) -> Result<HeaderValue, ControlClientError> {
        HeaderValue::from_str(&self.endpoint.authority).map_err(|_| ControlClientError::Endpoint {
            endpoint: self.endpoint.to_string(),
            reason: "the host cannot be sent in a header",
        })
    }

    fn http_error(&self, error: impl fmt::Display) -> ControlClientError {
        ControlClientError::Http {
            endpoint: self.endpoint.to_string(),
            message: error.to_string(),
        }
    }

    /// One exchange on a fresh connection, within the timeouts.
    async fn send_request(
        &self,
        mut request: http::Request<Full<Bytes>>,
    ) -> Result<Reply, ControlClientError> {
        let headers = request.headers_mut();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("volley/", env!("CARGO_PKG_VERSION"))),
        );
        // One request per connection: the server may close it once it has answered.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        let endpoint = || self.endpoint.to_string();
        let exchange = async {
            let address = (self.endpoint.host.as_str(), self.endpoint.port);
            let tcp = match tokio::time::timeout(self.connect_timeout, TcpStream::connect(address))
                .await
            {
                Ok(Ok(tcp)) => tcp,
                Ok(Err(error)) => {
                    return Err(ControlClientError::Connect {
                        endpoint: endpoint(),
                        error,
                    });
                }
                Err(_) => {
                    return Err(ControlClientError::Timeout {
                        endpoint: endpoint(),
                        after: self.connect_timeout,
                    });
                }
            };
            let reply = match &self.tls {
                Some((connector, name)) => {
                    let stream = connector.connect(name.clone(), tcp).await.map_err(|e| {
                        ControlClientError::Tls {
                            endpoint: endpoint(),
                            message: e.to_string(),
                        }
                    })?;
                    exchange_http1(stream, request).await
                }
                None => exchange_http1(tcp, request).await,
            };
            reply.map_err(|message| ControlClientError::Http {
                endpoint: endpoint(),
                message,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(ControlClientError::Timeout {
                    endpoint: endpoint(),
                    after: self.timeout,
                })
            })
    }
}

/// Sends `request` over `stream` with HTTP/1.1 and reads the whole response.
async fn exchange_http1<S>(stream: S, request: http::Request<Full<Bytes>>) -> Result<Reply, String>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let response = async move {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Reply { status, body })
    };
    // The connection future does the I/O: poll it alongside until the body is read.
    let mut connection = std::pin::pin!(connection);
    let mut response = std::pin::pin!(response);
    let mut connection_ended = false;
    loop {
        tokio::select! {
            reply = &mut response => return reply,
            ended = &mut connection, if !connection_ended => {
                ended.map_err(|e| e.to_string())?;
                connection_ended = true;
            }
        }
    }
}

/// A rustls client configuration trusting exactly the certificates of `pem`.
fn tls_config(pem: &[u8]) -> Result<Arc<rustls::ClientConfig>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM certificates: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    // A system bundle may hold certificates webpki cannot use; the others still serve.
    let (added, _ignored) = roots.add_parsable_certificates(certificates);
    if added == 0 {
        return Err("no usable CERTIFICATE in the CA file".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The bare error name, as botocore reads `__type`: without a `namespace#` before it or
/// `:detail` after it.
fn error_name(error_type: &str) -> &str {
    let name = error_type.rsplit('#').next().unwrap_or(error_type);
    name.split(':').next().unwrap_or(name)
}

/// The start of a body for an error message, printable.
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut quoted: String = text
        .chars()
        .take(MAX_QUOTED_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > MAX_QUOTED_CHARS {
        quoted.push_str("...");
    }
    if quoted.trim().is_empty() {
        quoted = "(empty body)".into();
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_endpoints() {
        let plain = Endpoint::parse("http://127.0.0.1:8080").expect("valid");
        assert!(!plain.is_tls());
        assert_eq!((plain.host(), plain.port()), ("127.0.0.1", 8080));
        assert_eq!(plain.to_string(), "http://127.0.0.1:8080/");
        assert_eq!(plain.under("/health"), "/health");

        let proxied = Endpoint::parse("https://game.example.com/gl/").expect("valid");
        assert!(proxied.is_tls());
        assert_eq!((proxied.host(), proxied.port()), ("game.example.com", 443));
        assert_eq!(proxied.under("/ready"), "/gl/ready");

        let v6 = Endpoint::parse("http://[::1]:9000").expect("valid");
        assert_eq!((v6.host(), v6.port()), ("::1", 9000));
        assert_eq!(v6.authority, "[::1]:9000");

        for bad in [
            "127.0.0.1:8080",
            "ftp://host",
            "http://user:pw@host",
            "http://host/?a=b",
            "http://",
            "",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_of_wildcard_listeners_are_loopback() {
        let any: SocketAddr = "0.0.0.0:8080".parse().expect("address");
        assert_eq!(
            Endpoint::from_addr(any, false).to_string(),
            "http://127.0.0.1:8080/"
        );
        let any6: SocketAddr = "[::]:8443".parse().expect("address");
        assert_eq!(
            Endpoint::from_addr(any6, true).to_string(),
            "https://[::1]:8443/"
        );
    }

    #[test]
    fn https_needs_a_ca() {
        let endpoint = Endpoint::parse("https://127.0.0.1:8080").expect("valid");
        let error =
            ControlClient::new(endpoint.clone(), ClientOptions::default()).expect_err("no CA");
        assert!(error.to_string().contains("CA"), "{error}");
        let options = ClientOptions {
            ca_pem: Some(b"not pem".to_vec()),
            ..ClientOptions::default()
        };
        assert!(ControlClient::new(endpoint, options).is_err());
    }

    #[test]
    fn reads_aws_errors_and_refuses_other_answers() {
        let client = ControlClient::new(
            Endpoint::parse(DEFAULT_ENDPOINT).expect("valid"),
            ClientOptions::default(),
        )
        .expect("client");
        let reply = |status, body: &'static str| Reply {
            status,
            body: Bytes::from_static(body.as_bytes()),
        };
        let error = client
            .output(reply(
                400,
                r#"{"__type":"com.amazonaws.gamelift#InvalidSignatureException:x","message":"nope"}"#,
            ))
            .expect_err("an error");
        assert!(
            matches!(&error, ControlClientError::Api { status: 400, error_type, message }
                if error_type == "InvalidSignatureException" && message == "nope"),
            "{error:?}"
        );
        assert_eq!(error.to_string(), "InvalidSignatureException: nope");
        let output = client
            .output(reply(200, r#"{"Server":{}}"#))
            .expect("output");
        assert!(output["Server"].is_object());
        let proxy = client
            .output(reply(502, "<html>\n\u{1b}[31mBad Gateway</html>"))
            .expect_err("not AWS");
        assert!(proxy.to_string().contains("HTTP 502"), "{proxy}");
        assert!(!proxy.to_string().contains('\u{1b}'), "{proxy}");
        assert!(client.output(reply(200, "[]")).is_err());
    }
}
