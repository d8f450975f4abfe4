//! The client side of `wss://` (secure mode, C# connection type 1): the rustls configuration
//! from [`SecureConfig`] and the TLS handshake under the WebSocket. Plain and secure
//! connections give the driver the same [`Transport`] type.

use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::ClientError;
use super::types::SecureConfig;

/// The bytes under the client's WebSocket: TCP, or TLS over it.
pub(super) trait Transport: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Transport for T {}

/// Completes a TLS handshake over `tcp`, checking the server's certificate against
/// `secure.roots` for `secure.server_name`, or `host` when it names none.
pub(super) async fn handshake(
    tcp: TcpStream,
    host: &str,
    secure: &SecureConfig,
) -> Result<Box<dyn Transport>, ClientError> {
    let name = secure.server_name.as_deref().unwrap_or(host);
    let name = ServerName::try_from(name.to_owned())
        .map_err(|e| ClientError::Tls(format!("`{name}` is not a server name: {e}")))?;
    let connector = TlsConnector::from(client_config(secure)?);
    let stream = connector
        .connect(name, tcp)
        .await
        .map_err(|e| ClientError::Tls(e.to_string()))?;
    Ok(Box::new(stream))
}

/// A rustls client configuration: the ring provider, `secure.roots` as the only trust
/// anchors, TLS 1.2 only unless asked for 1.3 too.
fn client_config(secure: &SecureConfig) -> Result<Arc<rustls::ClientConfig>, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    for root in &secure.roots {
        roots
            .add(root.clone())
            .map_err(|e| ClientError::Tls(format!("unusable trust anchor: {e}")))?;
    }
    let versions: &[&rustls::SupportedProtocolVersion] = if secure.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
