//! One delivery attempt: `POST` an event to a webhook over HTTP/1.1 (hyper), on a fresh
//! connection, over TLS for `https://` (rustls, trusting the webpki roots), and sort the
//! answer into delivered, worth retrying, or refused. The caller bounds the attempt's time.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// The most of a response body read before it is dropped: receivers answer with a word or
/// nothing, and a larger body is read no further.
const MAX_RESPONSE_BYTES: usize = 64 << 10;

/// Where one webhook is, worked out once from its URL.
pub(super) struct Destination {
    /// The host to connect to, without IPv6 brackets.
    host: String,
    port: u16,
    /// The `Host` header: the URL's authority.
    authority: HeaderValue,
    /// The request target: the URL's path and query.
    path: String,
    /// TLS for `https://`: the connector and the name the certificate must have, or why
    /// there is none (a host that cannot be a server name, or no TLS set-up).
    tls: Option<Result<(TlsConnector, ServerName<'static>), String>>,
}

/// What one attempt came to.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Answer {
    /// A 2xx status.
    Delivered,
    /// No answer or a passing refusal (5xx, 429): worth another attempt.
    Retry(String),
    /// An answer that another attempt would not change (another 4xx, a redirect).
    Refused(String),
}

impl Destination {
    /// The destination of `uri`, an `http://` or `https://` URL with a host (as config
    /// validation ensures; anything else fails each attempt rather than panicking).
    pub(super) fn new(uri: &http::Uri, tls: Option<TlsConnector>) -> Self {
        let https = uri.scheme_str() == Some("https");
        let authority = uri.authority();
        let host = authority.map_or("", |a| a.host());
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = authority
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            .unwrap_or_else(|| HeaderValue::from_static(""));
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let path = if path.is_empty() { "/".into() } else { path };
        let tls = https.then(|| {
            let connector = tls.ok_or_else(|| "TLS could not be set up".to_owned())?;
            let name = ServerName::try_from(host.clone())
                .map_err(|e| format!("`{host}` is not a TLS server name: {e}"))?;
            Ok((connector, name))
        });
        Self {
            host,
            port,
            authority,
            path,
            tls,
        }
    }

    /// Sends `body` with `headers` added to the request, and sorts the answer.
    pub(super) async fn post(&self, body: Bytes, headers: http::HeaderMap) -> Answer {
        let mut request = match http::Request::post(self.path.as_str()).body(Full::new(body)) {
            Ok(request) => request,
            Err(e) => return Answer::Refused(format!("cannot make the request: {e}")),
        };
        let all = request.headers_mut();
        all.extend(headers);
        all.insert(header::HOST, self.authority.clone());
        // One request per connection: nothing is kept open between events.
        all.insert(header::CONNECTION, HeaderValue::from_static("close"));
        let tcp = match TcpStream::connect((self.host.as_str(), self.port)).await {
            Ok(tcp) => tcp,
            Err(e) => return Answer::Retry(format!("cannot connect: {e}")),
        };
        // Events are small and sent at once.
        let _ = tcp.set_nodelay(true);
        let status = match &self.tls {
            None => exchange(tcp, request).await,
            Some(Err(why)) => return Answer::Refused(why.clone()),
            Some(Ok((connector, name))) => match connector.connect(name.clone(), tcp).await {
                Ok(stream) => exchange(stream, request).await,
                Err(e) => return Answer::Retry(format!("TLS: {e}")),
            },
        };
        match status {
            Err(e) => Answer::Retry(format!("HTTP: {e}")),
            Ok(status) if status.is_success() => Answer::Delivered,
            Ok(status) if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
                Answer::Retry(format!("answered {status}"))
            }
            Ok(status) => Answer::Refused(format!("answered {status}")),
        }
    }
}

/// Only the scheme, host and port: a webhook's path or query may hold its token.
impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// A TLS connector trusting the webpki roots (Mozilla's), speaking HTTP/1.1; `None` if
/// rustls cannot be set up, when `https://` webhooks fail each attempt.
pub(super) fn tls_connector() -> Option<TlsConnector> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tracing::error!(error = %e, "cannot set up TLS for event webhooks"))
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Some(TlsConnector::from(Arc::new(config)))
}

/// Sends `request` over `stream` and answers the response's status, once its body is read
/// (up to [`MAX_RESPONSE_BYTES`]) or has failed: the status is the answer either way.
async fn exchange<S>(stream: S, request: http::Request<Full<Bytes>>) -> Result<StatusCode, String>
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
        let status = response.status();
        let _ = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await;
        Ok(status)
    };
    // The connection future does the I/O: drive it until the response is in. It may end
    // first, even with an error (a 2xx whose body was cut short), and the response future
    // then settles with what was received or with that error.
    let mut connection = std::pin::pin!(connection);
    let mut response = std::pin::pin!(response);
    let mut connection_ended = false;
    loop {
        tokio::select! {
            biased;
            status = &mut response => return status,
            _ = &mut connection, if !connection_ended => connection_ended = true,
        }
    }
}
