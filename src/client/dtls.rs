//! The secure fast channel (connection type 1, protocol.md §5.4, §7.2), as the C# client runs it:
//! a DTLS 1.2 client handshake with `(host, fastPort)` that trusts only the certificates of
//! the login result's `caCert` and checks the host name, then VERIFY_IDENTITY once, as the
//! first record. The channel carries fast messages once the server answers with success.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::net::UdpSocket;
use webrtc_dtls::conn::DTLSConn;

use super::ClientError;
use crate::protocol::{Body, Opcode, Packet, PeerId, VerifyIdentityCommand};

/// Longest the handshake may take. mbedtls gives up after about a minute of retransmissions
/// (protocol.md §5.4 client step 1); a shorter bound frees a client stuck behind a firewall
/// sooner.
pub(super) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Largest record plaintext read, as the C# client's single 2048-byte read (protocol.md §7.2).
pub(super) const RECV_BUF: usize = 2048;

/// What the handshake needs, taken from the login.
#[derive(Debug)]
pub(super) struct DtlsSetup {
    /// The server's fast port, resolved like the WebSocket host.
    pub server: SocketAddr,
    /// The local UDP address to bind.
    pub local: SocketAddr,
    /// Checked against the server certificate and sent as SNI.
    pub server_name: String,
    /// `caCert` from the login result.
    pub ca_pem: Bytes,
    /// `connectToken` from the login result.
    pub connect_token: String,
    /// The login's connection payload, repeated in VERIFY_IDENTITY.
    pub payload: Bytes,
}

/// A DTLS association with the server, and the fast channel's sequence numbers.
pub(super) struct DtlsChannel {
    pub conn: DTLSConn,
    /// Last sequence number sent; VERIFY_IDENTITY takes 0 (protocol.md §5.4 client step 2).
    pub last_seq_out: i32,
    /// Highest sequence number accepted.
    pub last_seq_in: i32,
}

/// Runs the handshake. Fails when `caCert` holds no certificate (C# throws then too), the
/// server's certificate does not chain to it or does not carry the name, or time runs out.
pub(super) async fn handshake(setup: &DtlsSetup) -> Result<DtlsChannel, ClientError> {
    let roots = trust_anchors(&setup.ca_pem)?;
    let socket = UdpSocket::bind(setup.local).await?;
    socket.connect(setup.server).await?;
    let config = webrtc_dtls::config::Config {
        roots_cas: roots,
        server_name: setup.server_name.clone(),
        ..Default::default()
    };
    let conn = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        DTLSConn::new(Arc::new(socket), config, true, None),
    )
    .await
    .map_err(|_| ClientError::Timeout)?
    .map_err(|e| ClientError::Dtls(e.to_string()))?;
    Ok(DtlsChannel {
        conn,
        last_seq_out: -1,
        last_seq_in: -1,
    })
}

/// Every certificate in `caCert` is a trust anchor, as mbedtls treats them (protocol.md §7.2).
fn trust_anchors(ca_pem: &[u8]) -> Result<rustls::RootCertStore, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        let cert = cert.map_err(|e| ClientError::Dtls(format!("caCert is not PEM: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| ClientError::Dtls(format!("caCert certificate unusable: {e}")))?;
    }
    if roots.is_empty() {
        return Err(ClientError::Dtls("the login result has no caCert".into()));
    }
    Ok(roots)
}

/// VERIFY_IDENTITY as C# sends it: sender and body peer id set, targetPlayer 0, the
/// connection payload, the token.
pub(super) fn verify_identity(peer: PeerId, setup: &DtlsSetup) -> Packet {
    Packet {
        op_code: Opcode::VERIFY_IDENTITY.0,
        sender: peer.0,
        payload: setup.payload.clone(),
        body: Some(Body::VerifyIdentity(VerifyIdentityCommand {
            peer_id: peer.0,
            connect_token: setup.connect_token.clone(),
        })),
        ..Default::default()
    }
}

/// Reads one record, or waits forever without an association.
pub(super) async fn read(channel: &Option<DtlsChannel>) -> Result<Bytes, ClientError> {
    let Some(channel) = channel else {
        return std::future::pending().await;
    };
    let mut buf = [0u8; RECV_BUF];
    let n = channel
        .conn
        .read(&mut buf, None)
        .await
        .map_err(|e| ClientError::Dtls(e.to_string()))?;
    Ok(Bytes::copy_from_slice(&buf[..n]))
}
