//! The WebSocket listener: accepts TLS per `tls.mode` ([`super::stream`]) and the upgrade
//! on any path, waits for LOGIN, admits the player to its game session (a secure login when
//! the connection arrived over TLS), then pumps frames between the socket and the session
//! task.
//! One task per connection; its reader awaits the session queue (so TCP slows a fast
//! sender down) and its writer drains the connection's bounded outbound queue.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use flume::TrySendError;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{Instrument, debug, debug_span};

use super::GameContext;
use super::accept::AcceptErrors;
use super::stream::{self, GameStream};
use crate::core::{CloseReason, ConnId, LoginRefusal, LoginRequest, login_refused_frame};
use crate::host::outbound::{self, OutboundRx, Outgoing};
use crate::host::{SessionHandle, SessionMsg};
use crate::metrics::{ConnectionKind, Metrics};
use crate::protocol::{Body, Opcode, Packet, decode};

/// Read buffer per connection: small, because most players are idle most of the time and
/// the buffer grows for the rare large frame.
const READ_BUFFER_BYTES: usize = 256;
/// Frames are batched into one write up to this size.
const WRITE_BUFFER_BYTES: usize = 16 * 1024;
/// Time a close handshake may take before the TCP connection is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Most queued frames written before one flush.
const MAX_COALESCE: usize = 64;

type Ws = WebSocketStream<GameStream>;

/// Accepts connections until shutdown.
pub(crate) async fn serve(listener: TcpListener, cx: Arc<GameContext>) {
    let mut errors = AcceptErrors::new("ws");
    loop {
        let accepted = tokio::select! {
            () = cx.shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, addr) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tokio::select! {
                    () = cx.shutdown.cancelled() => break,
                    () = errors.failed(&e, &cx.metrics) => continue,
                }
            }
        };
        errors.succeeded();
        let Some(permit) = ConnectionPermit::take(&cx) else {
            debug!(%addr, "connection over the limit closed");
            Metrics::inc(&cx.metrics.connections_over_limit);
            continue;
        };
        Metrics::inc(&cx.metrics.connections_accepted);
        let _ = stream.set_nodelay(true); // Latency over throughput; failure is harmless.
        let conn = cx.next_conn();
        // A debug span: free unless debugging, and connections are many.
        let span = debug_span!(
            "conn",
            id = %conn,
            peer = %addr,
            transport = "ws",
            game_session = tracing::field::Empty,
        );
        let cx = Arc::clone(&cx);
        cx.tasks.clone().spawn(
            async move {
                serve_connection(&cx, conn, stream, addr).await;
                drop(permit);
            }
            .instrument(span),
        );
    }
}

/// One open connection counted against `limits.max_connections`, which a reload may change:
/// lowering it closes no one, further connections wait until enough have left.
struct ConnectionPermit(Arc<GameContext>);

impl ConnectionPermit {
    fn take(cx: &Arc<GameContext>) -> Option<Self> {
        let max = cx.live().limits.max_connections;
        let open = &cx.open_connections;
        open.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()
        .map(|_| Self(Arc::clone(cx)))
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn serve_connection(
    cx: &Arc<GameContext>,
    conn: ConnId,
    stream: TcpStream,
    addr: SocketAddr,
) {
    // The handshake and login phases are boxed so that their state does not stay in the
    // connection's future for its whole life (memory per idle player).
    let Some(mut ws) = Box::pin(handshake(cx, stream)).await else {
        return;
    };
    let tls = ws.get_ref().is_tls();
    let kind = if tls {
        ConnectionKind::SecureWebSocket
    } else {
        ConnectionKind::WebSocket
    };
    let _open = cx.metrics.connection(kind);
    debug!("connected");
    let Some((session, rx)) = Box::pin(join(cx, conn, &mut ws, addr, tls)).await else {
        return;
    };
    let ended = pump(cx, conn, &session, ws, rx).await;
    // The session may be gone already.
    let _ = Box::pin(session.tx.send_async(SessionMsg::Closed { conn })).await;
    match ended {
        Ended::ClientClosed => Metrics::inc(&cx.metrics.client_closes),
        Ended::Lost => Metrics::inc(&cx.metrics.connections_lost),
        _ => {}
    }
    // The span names the game session only if it was enabled when the connection came.
    debug!(reason = ended.as_str(), game_session = %session.id, "disconnected");
}

/// Waits for the LOGIN, has the lobby admit it and hands the connection to its game
/// session: the session and the connection's outbound queue, or `None` once the client was
/// refused or the game session is gone.
async fn join(
    cx: &GameContext,
    conn: ConnId,
    ws: &mut Ws,
    addr: SocketAddr,
    tls: bool,
) -> Option<(SessionHandle, OutboundRx)> {
    let (login, payload) = wait_for_login(cx, ws).await?;
    let session = match cx.lobby.admit(SystemTime::now(), &login).await {
        Ok(session) => session,
        Err(refusal) => {
            debug!(reason = refusal.as_str(), "login refused");
            Metrics::inc(cx.metrics.refused(refusal));
            refuse(ws, refusal).await;
            return None;
        }
    };
    // Every later line of this connection names its game session.
    tracing::Span::current().record("game_session", session.id.as_str());
    let secure = match tls.then(|| cx.lobby.secure_login()) {
        None => None,
        Some(Some(secure)) => Some(secure),
        Some(None) => {
            // Dropped without a close frame: the failure needs the operator anyway.
            tracing::error!("no connect token: the system's random source failed");
            return None;
        }
    };
    let (out, rx) = outbound::channel(cx.live().limits.outbound_queue_bytes);
    let request = LoginRequest {
        player_session_id: login,
        payload,
        ip: addr.ip(),
        secure,
    };
    let login = SessionMsg::Login {
        conn,
        request,
        link: out,
    };
    if session.tx.send_async(login).await.is_err() {
        close(ws, CloseReason::SessionEnded).await;
        return None;
    }
    Some((session, rx))
}

/// Accepts TLS as `tls.mode` says, then upgrades to a WebSocket, both within the handshake
/// timeout, or gives up at shutdown. The stream is boxed so that it does not sit in the
/// connection's future twice.
async fn handshake(cx: &GameContext, stream: TcpStream) -> Option<Box<Ws>> {
    let limits = cx.live().limits.clone();
    let deadline = Instant::now() + limits.handshake_timeout;
    let config = websocket_config(limits.max_frame_bytes);
    let upgrade = async {
        let stream = match stream::accept(stream, cx.mode, cx.tls.as_ref(), deadline).await {
            Ok(stream) => stream,
            Err(e) => {
                // A failed TLS handshake is the peer's doing (a scanner, a wrong port, a
                // client that does not trust the certificate): debug, and counted.
                debug!(error = %e, "connection not accepted");
                Metrics::inc(if e.is_tls() {
                    &cx.metrics.tls_handshakes_failed
                } else {
                    &cx.metrics.handshakes_failed
                });
                return None;
            }
        };
        if stream.is_tls() {
            Metrics::inc(&cx.metrics.connections_tls);
        }
        let accept = tokio_tungstenite::accept_async_with_config(stream, Some(config));
        match timeout_at(deadline, accept).await {
            Ok(Ok(ws)) => Some(Box::new(ws)),
            Ok(Err(e)) => {
                debug!(error = %e, "websocket handshake failed");
                Metrics::inc(&cx.metrics.handshakes_failed);
                None
            }
            Err(_) => {
                debug!("websocket handshake timed out");
                Metrics::inc(&cx.metrics.handshakes_failed);
                None
            }
        }
    };
    tokio::select! {
        // No WebSocket yet, so nothing to close: a peer that never completes the handshake
        // must not hold shutdown up for the handshake timeout.
        () = cx.shutdown.cancelled() => None,
        ws = upgrade => ws,
    }
}

/// The WebSocket settings of a game connection: small buffers, and no message or frame above
/// `max_frame_bytes` is buffered (a larger one ends the connection).
pub(crate) fn websocket_config(max_frame_bytes: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_write_buffer_size(WRITE_BUFFER_BYTES * 4)
        .max_message_size(Some(max_frame_bytes))
        .max_frame_size(Some(max_frame_bytes))
}

/// Sends a failed LOGIN_RESULT and closes with 1008 (protocol.md Q17).
async fn refuse(ws: &mut Ws, refusal: LoginRefusal) {
    let _ = timeout(
        CLOSE_TIMEOUT,
        ws.send(Message::Binary(login_refused_frame())),
    )
    .await;
    close(ws, CloseReason::LoginRefused(refusal)).await;
}

/// Reads frames until a LOGIN arrives (protocol.md §5.1): other packets are ignored, and the
/// connection is closed when the login timeout passes first.
async fn wait_for_login(cx: &GameContext, ws: &mut Ws) -> Option<(String, Bytes)> {
    let (login_timeout, max_frame) = {
        let limits = &cx.live().limits;
        (limits.login_timeout, limits.max_frame_bytes)
    };
    let deadline = Instant::now() + login_timeout;
    loop {
        let next = tokio::select! {
            () = cx.shutdown.cancelled() => {
                close(ws, CloseReason::ServerShutdown).await;
                return None;
            }
            next = timeout_at(deadline, ws.next()) => next,
        };
        let message = match next {
            Err(_) => {
                debug!("no login in time");
                Metrics::inc(&cx.metrics.login_timeouts);
                close_with(ws, CloseCode::Policy, "login timeout").await;
                return None;
            }
            Ok(None | Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Close(_)))) => {
                // The answer was queued when the close frame was read; closing the sink
                // sends it (sending a close frame now would be refused).
                let _ = timeout(CLOSE_TIMEOUT, SinkExt::close(ws)).await;
                return None;
            }
            Ok(Some(Ok(message))) => message,
        };
        let frame = match message {
            Message::Binary(frame) => frame,
            Message::Text(_) => {
                Metrics::inc(&cx.metrics.text_frames_in);
                continue;
            }
            _ => continue,
        };
        Metrics::inc(&cx.metrics.frames_in);
        Metrics::add(&cx.metrics.reliable_bytes_in, frame.len() as u64);
        match decode(frame, max_frame) {
            Ok(Packet {
                op_code,
                body: Some(Body::Login(login)),
                payload,
                ..
            }) if op_code == Opcode::LOGIN.0 => {
                return Some((login.player_session_id, payload));
            }
            Ok(_) => Metrics::inc(&cx.metrics.packets_before_login),
            Err(e) => {
                debug!(error = %e, "malformed frame before login");
                Metrics::inc(&cx.metrics.malformed_in);
            }
        }
    }
}

/// How a logged-in connection ended, for the log and the disconnect counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// The client sent a close frame, and was answered with one.
    ClientClosed,
    /// The stream ended without a close frame: EOF, a reset, or TLS without close_notify.
    Lost,
    /// The stream broke the WebSocket protocol.
    BadStream,
    /// A frame above the size limit.
    FrameTooLarge,
    /// The game session let go of the connection.
    SessionGone,
    /// Writing to the socket failed.
    WriteFailed,
    /// The server closed it, with its reason in the close frame.
    ClosedByServer,
    /// The session let go, and the writer did not finish within the close timeout.
    CloseTimedOut,
}

impl Ended {
    fn as_str(self) -> &'static str {
        match self {
            Self::ClientClosed => "closed by client",
            Self::Lost => "connection lost",
            Self::BadStream => "read error",
            Self::FrameTooLarge => "frame too large",
            Self::SessionGone => "session ended",
            Self::WriteFailed => "write error",
            Self::ClosedByServer => "closed by server",
            Self::CloseTimedOut => "close timed out",
        }
    }
}

/// Moves frames both ways until either side ends; returns what ended it.
async fn pump(
    cx: &GameContext,
    conn: ConnId,
    session: &SessionHandle,
    ws: Box<Ws>,
    rx: OutboundRx,
) -> Ended {
    let (mut sink, mut stream) = ws.split();
    let ended = tokio::select! {
        ended = read_frames(cx, conn, session, &mut stream) => Err(ended),
        written = write_queued(&mut sink, &rx, cx.flush_interval) => written.map_err(|e| {
            debug!(error = %e, "write failed");
            Ended::WriteFailed
        }),
        reason = killed_or_released(&rx) => reason.ok_or(Ended::CloseTimedOut),
    };
    let reason = match ended {
        Ok(reason) => reason,
        // The session let go first: what it queued last, its close included, still goes out.
        Err(Ended::SessionGone) => {
            match timeout(CLOSE_TIMEOUT, write_queued(&mut sink, &rx, Duration::ZERO)).await {
                Ok(Ok(reason)) => reason,
                _ => return Ended::SessionGone,
            }
        }
        Err(Ended::FrameTooLarge) => CloseReason::FrameTooLarge,
        Err(Ended::ClientClosed) => {
            // The answer was queued when the close frame was read; closing sends it.
            let _ = timeout(CLOSE_TIMEOUT, sink.close()).await;
            return Ended::ClientClosed;
        }
        Err(ended) => return ended,
    };
    // A kill drops the queue too, so the writer may see that first: the kill's reason wins.
    let reason = rx.kill_reason().unwrap_or(reason);
    let frame = close_frame(reason.code(), reason.as_str());
    let _ = timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
    Ended::ClosedByServer
}

/// Decodes frames into the session's queue until the connection or the session ends. The
/// queue is awaited only when full, so TCP slows a client down when its session is busy.
async fn read_frames(
    cx: &GameContext,
    conn: ConnId,
    session: &SessionHandle,
    stream: &mut SplitStream<Box<Ws>>,
) -> Ended {
    loop {
        let msg = match session_msg(cx, conn, stream.next().await) {
            Ok(Some(msg)) => msg,
            Ok(None) => continue,
            Err(ended) => return ended,
        };
        // The rare wait for room is boxed and nothing large is held across it, so every
        // idle connection's future stays small.
        let wait = match session.tx.try_send(msg) {
            Ok(()) => None,
            Err(TrySendError::Full(msg)) => Some(Box::pin(session.tx.send_async(msg))),
            Err(TrySendError::Disconnected(_)) => return Ended::SessionGone,
        };
        if let Some(wait) = wait
            && wait.await.is_err()
        {
            return Ended::SessionGone;
        }
    }
}

/// What a frame read from a connection means for its session: a message, nothing (dropped
/// or ignored, and counted), or the end of the connection.
fn session_msg(
    cx: &GameContext,
    conn: ConnId,
    read: Option<Result<Message, WsError>>,
) -> Result<Option<SessionMsg>, Ended> {
    let message = match read {
        None => return Err(Ended::Lost),
        Some(Ok(message)) => message,
        Some(Err(WsError::Capacity(e))) => {
            debug!(error = %e, "frame too large");
            Metrics::inc(&cx.metrics.malformed_in);
            return Err(Ended::FrameTooLarge);
        }
        Some(Err(e)) if went_away(&e) => {
            debug!(error = %e, "connection lost");
            return Err(Ended::Lost);
        }
        Some(Err(e)) => {
            debug!(error = %e, "read failed");
            Metrics::inc(&cx.metrics.malformed_in);
            return Err(Ended::BadStream);
        }
    };
    Ok(match message {
        Message::Binary(frame) => {
            Metrics::inc(&cx.metrics.frames_in);
            Metrics::add(&cx.metrics.reliable_bytes_in, frame.len() as u64);
            match decode(frame, cx.live().limits.max_frame_bytes) {
                Ok(packet) => Some(SessionMsg::Packet { conn, packet }),
                Err(e) => {
                    debug!(error = %e, "malformed frame dropped");
                    Metrics::inc(&cx.metrics.malformed_in);
                    None
                }
            }
        }
        Message::Text(_) => {
            debug!("text frame ignored");
            Metrics::inc(&cx.metrics.text_frames_in);
            None
        }
        Message::Pong(_) | Message::Ping(_) => Some(SessionMsg::Heard { conn }),
        Message::Close(_) => return Err(Ended::ClientClosed),
        Message::Frame(_) => None,
    })
}

/// Whether a read error means that the peer went away, rather than that it sent something
/// wrong: the stream ended without a close frame, or was reset. Clients that leave this way
/// are common (the C# SDK ends TLS without close_notify) and are not bad input.
fn went_away(error: &WsError) -> bool {
    use std::io::ErrorKind;
    match error {
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => true,
        WsError::Io(e) => matches!(
            e.kind(),
            ErrorKind::UnexpectedEof
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
        ),
        _ => false,
    }
}

/// The close the session asked for at once (a kill), or `None` once the session let go of
/// the connection and the close timeout passed without the writer finishing (a peer that
/// reads nothing must not hold its connection forever).
async fn killed_or_released(rx: &OutboundRx) -> Option<CloseReason> {
    let reason = rx.killed_or_released().await;
    if reason.is_none() {
        Box::pin(tokio::time::sleep(CLOSE_TIMEOUT)).await;
    }
    reason
}

/// Writes queued frames, coalescing what is already queued into one flush (one system call
/// per batch), until the queue asks for a close or is dropped. With a `hold`, a frame that
/// finds the queue idle waits that long for the frames that follow it.
async fn write_queued(
    sink: &mut SplitSink<Box<Ws>, Message>,
    rx: &OutboundRx,
    hold: Duration,
) -> Result<CloseReason, WsError> {
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let mut batch = 0;
        let mut held = hold.is_zero();
        while let Some(outgoing) = next.take() {
            let message = match message(outgoing) {
                Ok(message) => message,
                Err(reason) => return Ok(reason),
            };
            sink.feed(message).await?;
            batch += 1;
            if !held {
                // `game.flush_interval_ms`: what the game sends within the interval shares
                // this write. The first frame waits in the sink's buffer, not in this future.
                held = true;
                Box::pin(tokio::time::sleep(hold)).await;
            }
            if batch < MAX_COALESCE {
                next = rx.try_recv();
            }
        }
        sink.flush().await?;
    }
    // The session dropped the queue without a close: it ended.
    Ok(CloseReason::SessionEnded)
}

/// The WebSocket message for a queued item; a close ends the writer with its reason.
fn message(outgoing: Outgoing) -> Result<Message, CloseReason> {
    match outgoing {
        Outgoing::Frame(frame) => Ok(Message::Binary(frame)),
        Outgoing::Ping => Ok(Message::Ping(Bytes::new())),
        Outgoing::Close(reason) => Err(reason),
    }
}

fn close_frame(code: u16, reason: &'static str) -> CloseFrame {
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }
}

async fn close(ws: &mut Ws, reason: CloseReason) {
    let frame = close_frame(reason.code(), reason.as_str());
    let _ = timeout(CLOSE_TIMEOUT, ws.close(Some(frame))).await;
}

async fn close_with(ws: &mut Ws, code: CloseCode, reason: &'static str) {
    let _ = timeout(
        CLOSE_TIMEOUT,
        ws.close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })),
    )
    .await;
}
