//! The control API's connections: [`serve_connections`] accepts them within the limits of
//! `control.max_connections` and `control.max_connections_per_ip` (the table in
//! [`super::slots`] admits each one, evicting the connection that has waited longest for a
//! request when a limit is reached), completes TLS with `tls.control`, and serves HTTP/1.1 on
//! each in its own task, so a slow peer holds up no other.
//!
//! Deadlines, so that no peer holds a connection without using it:
//! - a new connection must send a complete request head within
//!   `control.request_header_timeout_secs` of its accept, TLS handshake included (which also
//!   has `limits.handshake_timeout_secs`), or it is closed;
//! - a keep-alive connection has `control.idle_timeout_secs` to send its next request head;
//! - any read or write that makes no progress for `control.idle_timeout_secs` closes it.
//!
//! At shutdown, and when evicted, a connection that never sent a request is dropped at once;
//! one that did finishes the exchange under way, if any, and closes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::http::Request;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_io_timeout::TimeoutStream;
use tokio_rustls::TlsAcceptor;
use tracing::debug;

use super::slots::{Admission, Exchange, Limits, Slot, Slots};
use crate::host::Admin;
use crate::metrics::Metrics;
use crate::transport::accept::AcceptErrors;

/// What every connection task of one listener shares.
struct Shared {
    admin: Admin,
    router: TowerToHyperService<Router>,
    /// HTTPS, following the server's certificate across reloads.
    tls: Option<TlsAcceptor>,
}

/// What a connection's bytes go through: TCP with the idle timeout, and TLS over it.
trait Io: AsyncRead + AsyncWrite + Send {}

impl<T: AsyncRead + AsyncWrite + Send> Io for T {}

/// Serves `router` on `listener` until the server shuts down, over TLS when `tls.control`
/// is on; connection tasks are tracked in the server's task tracker.
pub(crate) async fn serve_connections(listener: TcpListener, admin: Admin, router: Router) {
    let tls = admin.tls().clone().filter(|_| admin.config().tls.control);
    let shared = Arc::new(Shared {
        admin: admin.clone(),
        router: TowerToHyperService::new(router),
        tls,
    });
    let slots = Arc::new(Slots::default());
    let mut errors = AcceptErrors::new("control");
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = admin.shutdown().cancelled() => break,
        };
        let (stream, addr) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tokio::select! {
                    () = admin.shutdown().cancelled() => break,
                    () = errors.failed(&e, admin.metrics()) => continue,
                }
            }
        };
        errors.succeeded();
        let now = Instant::now();
        let live = admin.live();
        let limits = Limits {
            max_connections: admin.config().control.max_connections,
            max_per_source: live.control_connections_per_ip,
        };
        let Some((slot, admission)) = slots.admit(addr.ip(), now.into_std(), limits) else {
            debug!(%addr, "control connection over the limit closed");
            Metrics::inc(&admin.metrics().control_connections_over_limit);
            continue;
        };
        if admission == Admission::Evicted {
            Metrics::inc(&admin.metrics().control_connections_evicted);
        }
        let deadline = now + live.control_request_header_timeout;
        admin.tasks().spawn(connection(
            Arc::clone(&shared),
            stream,
            addr,
            slot,
            deadline,
        ));
        // The new connection's task reads what has arrived before the next accept, which may
        // evict it if it is still silent: a burst of accepts must not pass over it.
        tokio::task::yield_now().await;
    }
}

/// Serves one connection: TLS if configured, then HTTP/1.1 until the peer closes, a deadline
/// passes, the connection is evicted or the server shuts down.
async fn connection(
    shared: Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    slot: Slot,
    first_request_by: Instant,
) {
    let idle_timeout = shared.admin.config().control.idle_timeout;
    let mut stream = TimeoutStream::new(stream);
    stream.set_read_timeout(Some(idle_timeout));
    stream.set_write_timeout(Some(idle_timeout));
    let stream: Pin<Box<dyn Io>> = Box::pin(Heard {
        stream: Box::pin(stream),
        slot: Arc::clone(&slot),
    });
    let io = match &shared.tls {
        None => stream,
        Some(acceptor) => {
            let handshake_timeout = shared.admin.live().limits.handshake_timeout;
            let until = first_request_by.min(Instant::now() + handshake_timeout);
            let handshake = tokio::time::timeout_at(until, acceptor.accept(stream));
            let failed = |reason: &dyn std::fmt::Display| {
                debug!(%addr, error = %reason, "control tls handshake failed");
                Metrics::inc(&shared.admin.metrics().tls_handshakes_failed);
            };
            tokio::select! {
                done = handshake => match done {
                    Ok(Ok(stream)) => Box::pin(stream),
                    Ok(Err(e)) => return failed(&e),
                    Err(_) => return failed(&"timed out"),
                },
                () = slot.evicted() => {
                    debug!(%addr, "control connection evicted during its tls handshake");
                    return;
                }
                () = shared.admin.shutdown().cancelled() => return,
            }
        }
    };
    let router = shared.router.clone();
    let service_slot = Arc::clone(&slot);
    let service = service_fn(move |request: Request<Incoming>| {
        // A complete request head: the connection is busy until its exchange is over.
        let exchange = Arc::new(service_slot.begin());
        let request = request.map(|body| ExchangeBody::new(body, &exchange));
        let response = router.call(request);
        async move {
            let response = response.await?;
            Ok::<_, Infallible>(response.map(|body| ExchangeBody::new(body, &exchange)))
        }
    });
    let mut builder = http1::Builder::new();
    // hyper starts this timer whenever it waits for a request head: the first one's tighter
    // deadline is ours, below.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(idle_timeout);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let first_request = tokio::time::sleep_until(first_request_by);
    tokio::pin!(first_request);
    let mut awaiting_first_request = true;
    let mut closing = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    debug!(%addr, error = %e, "control connection ended");
                }
                return;
            }
            () = &mut first_request, if awaiting_first_request => {
                awaiting_first_request = false;
                if !slot.has_begun() {
                    debug!(%addr, "control connection sent no complete request in time");
                    Metrics::inc(&shared.admin.metrics().control_request_header_timeouts);
                    return;
                }
            }
            () = slot.evicted(), if !closing => {
                debug!(%addr, "control connection evicted to make room");
                if !slot.has_begun() {
                    return;
                }
                // hyper closes a keep-alive connection waiting for its next request once
                // what it wrote is flushed, and a busy one once its answer is out.
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            () = shared.admin.shutdown().cancelled(), if !closing => {
                if !slot.has_begun() {
                    return;
                }
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// A connection's bytes, telling its slot when the first of them arrive.
struct Heard<S> {
    stream: S,
    slot: Slot,
}

impl<S: AsyncRead + Unpin> AsyncRead for Heard<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.slot.heard();
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Heard<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// A request or response body that keeps its exchange open until it is dropped, so the
/// connection counts as busy while a request body is read (or discarded) and while its
/// answer is written.
struct ExchangeBody<B> {
    body: B,
    _exchange: Arc<Exchange>,
}

impl<B> ExchangeBody<B> {
    fn new(body: B, exchange: &Arc<Exchange>) -> Self {
        Self {
            body,
            _exchange: Arc::clone(exchange),
        }
    }
}

impl<B: HttpBody + Unpin> HttpBody for ExchangeBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
