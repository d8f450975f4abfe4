//! The control API's listener: at most `control.max_connections` connections at once (further
//! ones are closed on accept), and each closed after `control.idle_timeout_secs` without
//! reading or writing, so no peer can hold connections or their buffers without bound. With
//! `tls.control`, each connection first completes a TLS handshake within the handshake
//! timeout, in its own task so that a slow one holds up no other accept.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_io_timeout::TimeoutStream;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, warn};

use crate::metrics::Metrics;

/// A TCP listener for `axum::serve` with a connection limit and an idle timeout, and
/// optionally TLS.
pub(crate) struct LimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    idle_timeout: Duration,
    tls: Option<ControlTls>,
    /// TLS handshakes under way; each holds its connection's permit, so at most
    /// `max_connections` of them. Dropping the listener cancels them.
    handshakes: JoinSet<Option<(LimitedStream, SocketAddr)>>,
}

/// HTTPS for the control API.
#[derive(Clone)]
pub(crate) struct ControlTls {
    /// Follows the server's certificate across reloads.
    pub acceptor: TlsAcceptor,
    /// The longest a handshake may take.
    pub handshake_timeout: Duration,
    /// Where failed handshakes are counted.
    pub metrics: Arc<Metrics>,
}

/// What a connection's bytes go through: TCP with the idle timeout, and TLS over it.
trait Io: AsyncRead + AsyncWrite + Send {}

impl<T: AsyncRead + AsyncWrite + Send> Io for T {}

impl LimitedListener {
    pub(crate) fn new(inner: TcpListener, max_connections: usize, idle_timeout: Duration) -> Self {
        Self {
            inner,
            permits: Arc::new(Semaphore::new(max_connections)),
            idle_timeout,
            tls: None,
            handshakes: JoinSet::new(),
        }
    }

    /// The same listener serving HTTPS.
    pub(crate) fn with_tls(mut self, tls: ControlTls) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// The next TCP connection within the connection limit, with the idle timeout.
async fn accept_tcp(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
    idle_timeout: Duration,
) -> (LimitedStream, SocketAddr) {
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: pause instead of spinning.
                warn!(error = %e, "control accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(permits).try_acquire_owned() else {
            debug!(%addr, "control connection over the limit closed");
            continue;
        };
        let mut stream = TimeoutStream::new(stream);
        stream.set_read_timeout(Some(idle_timeout));
        stream.set_write_timeout(Some(idle_timeout));
        let stream = LimitedStream {
            stream: Box::pin(stream),
            _permit: permit,
        };
        return (stream, addr);
    }
}

/// Wraps `stream` in TLS, or gives up after the handshake timeout; failures are the peer's
/// doing, so debug and counted.
async fn handshake(
    tls: ControlTls,
    stream: LimitedStream,
    addr: SocketAddr,
) -> Option<(LimitedStream, SocketAddr)> {
    let ControlTls {
        acceptor,
        handshake_timeout,
        metrics,
    } = tls;
    let LimitedStream { stream, _permit } = stream;
    let failed = |reason: &dyn std::fmt::Display| {
        debug!(%addr, error = %reason, "control tls handshake failed");
        Metrics::inc(&metrics.tls_handshakes_failed);
    };
    match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => Some((
            LimitedStream {
                stream: Box::pin(stream),
                _permit,
            },
            addr,
        )),
        Ok(Err(e)) => {
            failed(&e);
            None
        }
        Err(_) => {
            failed(&"timed out");
            None
        }
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let Self {
            inner,
            permits,
            idle_timeout,
            tls,
            handshakes,
        } = self;
        let Some(tls) = tls else {
            return accept_tcp(inner, permits, *idle_timeout).await;
        };
        loop {
            // Both branches are cancel-safe, as axum may drop this future at shutdown.
            tokio::select! {
                (stream, addr) = accept_tcp(inner, permits, *idle_timeout) => {
                    handshakes.spawn(handshake(tls.clone(), stream, addr));
                }
                Some(done) = handshakes.join_next(), if !handshakes.is_empty() => {
                    if let Ok(Some(accepted)) = done {
                        return accepted;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An accepted connection: its slot is freed when it is dropped.
pub(crate) struct LimitedStream {
    stream: Pin<Box<dyn Io>>,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.stream.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.stream.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.as_mut().poll_shutdown(cx)
    }
}
