//! The game listener's byte stream: plain TCP, or TLS over it (`wss://`, connection type 1,
//! protocol.md §1.1). [`accept`] picks one per connection from `tls.mode`; the WebSocket code above
//! it sees one stream type either way, so plain and secure connections share every later step.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::SecureMode;

/// The first byte of a TLS handshake record (RFC 8446 §5.1, ContentType handshake): what a
/// ClientHello starts with, and never the first byte of an HTTP request.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// A game connection's bytes, in the clear or over TLS.
pub(crate) enum GameStream {
    /// `ws://`
    Plain(TcpStream),
    /// `wss://`; boxed, as the TLS state is large and plain connections should not pay for it.
    Tls(Box<TlsStream<TcpStream>>),
}

impl GameStream {
    /// Whether the connection arrived over TLS, which makes its login a secure one.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Self::Tls(_))
    }
}

/// Why a connection never became a [`GameStream`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum AcceptError {
    /// The TLS handshake failed: not TLS, no common version or suite, or the peer went away.
    #[error("tls handshake failed: {0}")]
    Tls(io::Error),
    /// The TLS handshake did not finish by the deadline.
    #[error("tls handshake timed out")]
    TlsTimeout,
    /// Mixed mode: the socket failed before its first byte arrived.
    #[error("cannot read the first byte: {0}")]
    Peek(io::Error),
    /// Mixed mode: no first byte by the deadline.
    #[error("no first byte in time")]
    PeekTimeout,
}

impl AcceptError {
    /// Whether a TLS handshake had begun: a failed TLS handshake rather than a silent or
    /// broken connection.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Self::Tls(_) | Self::TlsTimeout)
    }
}

/// Does the TLS part of accepting per `mode`, by `deadline`: nothing (`Plain`), a TLS
/// handshake (`Secure`), or a look at the first byte to tell a ClientHello from an HTTP
/// request (`Mixed`). Without an `acceptor` every connection is plain.
pub(crate) async fn accept(
    stream: TcpStream,
    mode: SecureMode,
    acceptor: Option<&TlsAcceptor>,
    deadline: Instant,
) -> Result<GameStream, AcceptError> {
    let Some(acceptor) = acceptor else {
        return Ok(GameStream::Plain(stream));
    };
    let tls = match mode {
        SecureMode::Plain => false,
        SecureMode::Secure => true,
        SecureMode::Mixed => {
            let mut first = [0u8; 1];
            // Peeking leaves the byte for whoever reads next. Zero bytes means the peer
            // closed: the plain path then fails, and counts, the WebSocket handshake.
            let read = timeout_at(deadline, stream.peek(&mut first))
                .await
                .map_err(|_| AcceptError::PeekTimeout)?
                .map_err(AcceptError::Peek)?;
            read == 1 && first[0] == TLS_HANDSHAKE_RECORD
        }
    };
    if !tls {
        return Ok(GameStream::Plain(stream));
    }
    let stream = timeout_at(deadline, acceptor.accept(stream))
        .await
        .map_err(|_| AcceptError::TlsTimeout)?
        .map_err(AcceptError::Tls)?;
    Ok(GameStream::Tls(Box::new(stream)))
}

impl AsyncRead for GameStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for GameStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(stream) => stream.is_write_vectored(),
            Self::Tls(stream) => stream.is_write_vectored(),
        }
    }
}
