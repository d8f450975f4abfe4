//! The background task of one client: owns the WebSocket and the fast channel (a UDP socket,
//! or a DTLS association in secure mode), applies the C# client's rules to every packet in
//! and out, and feeds events to the handle.
//!
//! One `select!` loop serves the command channel (sends from the handle), WebSocket reads,
//! UDP or DTLS reads, the UDP_CONNECT retry timer (protocol.md §5.3) and optional WebSocket pings.
//! A secure client first runs its DTLS handshake, before it reads anything else, as C# does
//! (protocol.md §5.4). Each inbound packet yields at most one event, parked in `pending` until the
//! bounded event channel has room; sockets are not read while anything is parked, so a slow app
//! slows the sockets down instead of growing a buffer, while sends keep flowing.

use std::collections::{BTreeSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tracing::{debug, trace};

use super::ClientError;
use super::dtls::{self, DtlsChannel, DtlsSetup};
use super::types::{
    Channel, ConnectionState, DataReceived, DeliveryIntent, Event, MAX_FAST_PAYLOAD,
};
use crate::protocol::{Body, GroupId, LoginResult, Opcode, Packet, PeerId, UdpConnectMessage};
use crate::protocol::{decode, encode};

/// The client's WebSocket, over TCP or TLS.
pub(super) type WsStream = WebSocketStream<Box<dyn super::wss::Transport>>;

/// The local group set, shared with the handle (which edits it on join and leave).
pub(super) type Groups = Arc<Mutex<BTreeSet<GroupId>>>;

/// How long a closing handshake may take before the socket is simply dropped.
pub(super) const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Receive buffer for one datagram; it lives on the stack only while a datagram is read.
/// The server never sends more than 1200 payload bytes over UDP (protocol.md §6).
const UDP_RECV_BUF: usize = 16 * 1024;

/// Requests from the handle.
#[derive(Debug)]
pub(super) enum Command {
    /// Send a packet; the task stamps `sender`, `reliable` and the sequence number.
    Send {
        packet: Packet,
        intent: DeliveryIntent,
    },
    /// Close with code 1000 and stop.
    Disconnect,
}

/// Delay after UDP_CONNECT attempt `attempt` (from 0) before the next one: 100 ms doubling,
/// capped at 5 s (protocol.md §5.3 client step 2).
pub(super) fn udp_connect_delay(attempt: u32) -> Duration {
    Duration::from_millis((100u64 << attempt.min(16)).min(5000))
}

/// The UDP fast channel of a logged-in client.
pub(super) struct FastChannel {
    socket: UdpSocket,
    /// Where datagrams go: the server's fast port, then the source of the last datagram
    /// received, like C# (protocol.md §1.3).
    dest: SocketAddr,
    /// Last sequence number sent; the first packet gets 0 (protocol.md §5.8).
    last_seq_out: i32,
    /// Highest sequence number accepted; anything not above it is dropped (protocol.md §5.8).
    last_seq_in: i32,
}

impl FastChannel {
    /// A fast channel on a bound socket, sending to the server's fast port.
    pub(super) fn new(socket: UdpSocket, dest: SocketAddr) -> Self {
        Self {
            socket,
            dest,
            last_seq_out: -1,
            last_seq_in: -1,
        }
    }
}

/// The fast channel a client opens after login.
pub(super) enum FastSetup {
    /// Plain UDP, bound by the UDP_CONNECT handshake (connection type 0).
    Udp(FastChannel),
    /// DTLS, bound by VERIFY_IDENTITY (connection type 1).
    Dtls(DtlsSetup),
}

/// Everything the background task owns.
pub(super) struct Driver {
    ws: WsStream,
    udp: Option<FastChannel>,
    dtls: Option<DtlsChannel>,
    /// The DTLS handshake to run before the loop starts.
    dtls_setup: Option<DtlsSetup>,
    peer_id: PeerId,
    state: ConnectionState,
    state_tx: watch::Sender<ConnectionState>,
    groups: Groups,
    cmd_rx: mpsc::Receiver<Command>,
    events_tx: mpsc::Sender<Event>,
    /// Events waiting for room in `events_tx`; sockets are not read while non-empty.
    pending: VecDeque<Event>,
    max_frame_bytes: usize,
    ws_ping_interval: Option<Duration>,
    /// UDP_CONNECT attempts made so far.
    udp_connect_attempts: u32,
    /// The connection is over; only parked events remain to be delivered.
    finished: bool,
}

/// How the login exchange ended, short of a successful result.
#[derive(Debug)]
pub(super) enum LoginFailure {
    /// The WebSocket failed.
    Ws(tungstenite::Error),
    /// The WebSocket closed before a result arrived.
    Closed,
    /// More packets than the event queue holds arrived before the result.
    Flooded,
}

/// The handle's ends of the channels shared with a driver.
pub(super) struct HandleEnds {
    pub cmd_tx: mpsc::Sender<Command>,
    pub events_rx: mpsc::Receiver<Event>,
    pub state_rx: watch::Receiver<ConnectionState>,
    pub groups: Groups,
}

impl Driver {
    /// A driver for a freshly upgraded WebSocket, in state `Connected`, before login.
    pub(super) fn new(
        ws: WsStream,
        max_frame_bytes: usize,
        event_queue: usize,
        command_queue: usize,
        ws_ping_interval: Option<Duration>,
    ) -> (Self, HandleEnds) {
        let (cmd_tx, cmd_rx) = mpsc::channel(command_queue.max(1));
        let (events_tx, events_rx) = mpsc::channel(event_queue.max(1));
        let (state_tx, state_rx) = watch::channel(ConnectionState::Connected);
        let groups = Groups::default();
        let driver = Self {
            ws,
            udp: None,
            dtls: None,
            dtls_setup: None,
            peer_id: PeerId::NONE,
            state: ConnectionState::Connected,
            state_tx,
            groups: groups.clone(),
            cmd_rx,
            events_tx,
            pending: VecDeque::new(),
            max_frame_bytes,
            ws_ping_interval,
            udp_connect_attempts: 0,
            finished: false,
        };
        (
            driver,
            HandleEnds {
                cmd_tx,
                events_rx,
                state_rx,
                groups,
            },
        )
    }

    /// Sends LOGIN as C# does (protocol.md §5.1 step 2) on the WebSocket.
    pub(super) async fn send_login(
        &mut self,
        player_session_id: String,
        payload: Bytes,
    ) -> Result<(), tungstenite::Error> {
        let login = Packet {
            op_code: Opcode::LOGIN.0,
            target_player: PeerId::SERVER.0,
            reliable: true,
            payload,
            body: Some(Body::Login(crate::protocol::LoginCommand {
                player_session_id,
                client_version: crate::protocol::CLIENT_VERSION,
            })),
            ..Default::default()
        };
        self.ws.send(Message::Binary(encode(&login))).await
    }

    /// Reads until LOGIN_RESULT. Packets arriving earlier become events (C# raises them with
    /// its peer id still unknown, protocol.md §5.1 step 7); a missing body counts as failure.
    pub(super) async fn await_login_result(
        &mut self,
        event_queue: usize,
    ) -> Result<Option<LoginResult>, LoginFailure> {
        loop {
            let frame = match self.ws.next().await {
                None => return Err(LoginFailure::Closed),
                Some(Err(e)) => return Err(LoginFailure::Ws(e)),
                Some(Ok(Message::Binary(frame))) => frame,
                Some(Ok(Message::Close(frame))) => {
                    debug!(?frame, "closed during login");
                    return Err(LoginFailure::Closed);
                }
                Some(Ok(other)) => {
                    trace!(kind = ?message_kind(&other), "non-binary frame during login");
                    continue;
                }
            };
            let packet = match decode(frame, self.max_frame_bytes) {
                Ok(packet) => packet,
                Err(e) => {
                    self.pending
                        .push_back(Event::Error(format!("undecodable frame: {e}")));
                    continue;
                }
            };
            if packet.op_code == Opcode::LOGIN_RESULT.0 {
                return Ok(match packet.body {
                    Some(Body::LoginResult(result)) => Some(*result),
                    _ => None,
                });
            }
            self.handle_packet(packet, Channel::Reliable).await;
            if self.pending.len() > event_queue {
                return Err(LoginFailure::Flooded);
            }
        }
    }

    /// Best-effort close after a failed login.
    pub(super) async fn abandon(mut self) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.ws.close(Some(normal_close()))).await;
    }

    /// Records a successful login and the fast channel to bind with.
    pub(super) fn logged_in(&mut self, peer_id: PeerId, fast: Option<FastSetup>) {
        self.peer_id = peer_id;
        match fast {
            Some(FastSetup::Udp(udp)) => self.udp = Some(udp),
            Some(FastSetup::Dtls(setup)) => self.dtls_setup = Some(setup),
            None => {}
        }
    }

    /// The DTLS handshake, then VERIFY_IDENTITY once (protocol.md §5.4 client steps 1-2). A
    /// failure leaves the client on the WebSocket, with an error event.
    async fn start_dtls(&mut self, setup: DtlsSetup) {
        match dtls::handshake(&setup).await {
            Ok(channel) => {
                debug!(server = %setup.server, "dtls established");
                self.dtls = Some(channel);
                // The association's first packet, so it takes sequence number 0.
                let verify = dtls::verify_identity(self.peer_id, &setup);
                self.send_fast(verify).await;
            }
            Err(e) => {
                debug!(error = %e, "dtls handshake failed; staying on the websocket");
                self.pending
                    .push_back(Event::Error(format!("dtls handshake failed: {e}")));
            }
        }
    }

    /// Runs until the connection is over and its events are delivered, or the handle asks
    /// to disconnect or goes away.
    pub(super) async fn run(mut self) {
        if let Some(setup) = self.dtls_setup.take() {
            self.start_dtls(setup).await;
        }
        // A local sender, so a reserved permit does not borrow `self`.
        let events_tx = self.events_tx.clone();
        // The first UDP_CONNECT goes out at once (protocol.md §5.3 client step 1).
        let mut retry = pin!(tokio::time::sleep_until(Instant::now()));
        let mut ping = self.ws_ping_interval.map(|period| {
            let mut ping = tokio::time::interval_at(Instant::now() + period, period);
            ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ping
        });
        loop {
            if self.finished && self.pending.is_empty() {
                break;
            }
            let reading = !self.finished && self.pending.is_empty();
            let binding =
                !self.finished && self.state == ConnectionState::Connected && self.udp.is_some();
            tokio::select! {
                permit = events_tx.reserve(), if !self.pending.is_empty() => match permit {
                    Ok(permit) => {
                        if let Some(event) = self.pending.pop_front() {
                            permit.send(event);
                        }
                    }
                    // Only the handle holds the receiver, so it is gone: nobody listens.
                    Err(_) => self.pending.clear(),
                },
                command = self.cmd_rx.recv() => match command {
                    Some(Command::Send { packet, intent }) => {
                        if !self.finished {
                            self.send(packet, intent).await;
                        }
                    }
                    Some(Command::Disconnect) | None => {
                        if !self.finished {
                            self.close_by_client().await;
                        }
                        break;
                    }
                },
                message = self.ws.next(), if reading => self.handle_ws(message).await,
                ready = udp_readable(&self.udp), if reading => self.handle_udp(ready).await,
                record = dtls::read(&self.dtls), if reading => self.handle_dtls(record).await,
                () = &mut retry, if binding => {
                    self.send_udp_connect().await;
                    let delay = udp_connect_delay(self.udp_connect_attempts);
                    self.udp_connect_attempts = self.udp_connect_attempts.saturating_add(1);
                    retry.as_mut().reset(Instant::now() + delay);
                }
                () = tick(&mut ping), if !self.finished => {
                    self.send_ws(Message::Ping(Bytes::new())).await;
                }
            }
        }
        self.set_state(ConnectionState::Disconnected);
        debug!("client task done");
    }

    async fn handle_ws(&mut self, message: Option<Result<Message, tungstenite::Error>>) {
        match message {
            Some(Ok(Message::Binary(frame))) => match decode(frame, self.max_frame_bytes) {
                Ok(packet) => self.handle_packet(packet, Channel::Reliable).await,
                Err(e) => {
                    debug!(error = %e, "undecodable websocket frame");
                    self.pending
                        .push_back(Event::Error(format!("undecodable frame: {e}")));
                }
            },
            Some(Ok(Message::Text(_))) => {
                // C# would parse it as protobuf JSON; no server sends text (protocol.md §1.2).
                debug!("text frame ignored");
                self.pending
                    .push_back(Event::Error("text frame ignored".into()));
            }
            // tungstenite queues the pong itself and flushes it on the next read or write.
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            Some(Ok(Message::Close(frame))) => {
                // tungstenite queued the close reply; send it, but do not wait for the server
                // to drop TCP, so the app hears of the close at once.
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.ws.flush()).await;
                let (code, reason) = match frame {
                    Some(frame) => (Some(u16::from(frame.code)), frame.reason.to_string()),
                    None => (None, String::new()),
                };
                debug!(?code, %reason, "server closed the websocket");
                self.finish(code, reason);
            }
            Some(Err(e)) => {
                debug!(error = %e, "websocket failed");
                self.pending
                    .push_back(Event::Error(format!("websocket failed: {e}")));
                self.finish(None, String::new());
            }
            None => {
                debug!("websocket ended without a close frame");
                self.finish(None, String::new());
            }
        }
    }

    async fn handle_udp(&mut self, ready: io::Result<()>) {
        let Some(fast) = self.udp.as_mut() else {
            return;
        };
        if let Err(e) = ready {
            debug!(error = %e, "udp socket failed; fast channel dropped");
            self.pending
                .push_back(Event::Error(format!("udp socket failed: {e}")));
            self.udp = None;
            return;
        }
        let (frame, from) = match recv_datagram(&fast.socket) {
            Ok(datagram) => datagram,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => {
                debug!(error = %e, "udp receive failed");
                return;
            }
        };
        // C# replaces its destination with the source of every datagram (protocol.md §1.3).
        fast.dest = from;
        let packet = match decode(frame, self.max_frame_bytes) {
            Ok(packet) => packet,
            Err(e) => {
                debug!(%from, error = %e, "undecodable datagram dropped");
                return;
            }
        };
        if packet.sequence_number <= fast.last_seq_in {
            trace!(
                seq = packet.sequence_number,
                last = fast.last_seq_in,
                "stale datagram dropped"
            );
            return;
        }
        fast.last_seq_in = packet.sequence_number;
        self.handle_packet(packet, Channel::Fast).await;
    }

    async fn handle_dtls(&mut self, record: Result<Bytes, ClientError>) {
        let Some(channel) = self.dtls.as_mut() else {
            return;
        };
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                debug!(error = %e, "dtls association ended; fast channel dropped");
                self.pending
                    .push_back(Event::Error(format!("dtls association ended: {e}")));
                self.dtls = None;
                return;
            }
        };
        let packet = match decode(record, self.max_frame_bytes) {
            Ok(packet) => packet,
            Err(e) => {
                debug!(error = %e, "undecodable dtls record dropped");
                return;
            }
        };
        if packet.sequence_number <= channel.last_seq_in {
            trace!(seq = packet.sequence_number, "stale record dropped");
            return;
        }
        channel.last_seq_in = packet.sequence_number;
        self.handle_packet(packet, Channel::Fast).await;
    }

    /// Applies the C# client's rules to one inbound packet (protocol.md §4.1).
    async fn handle_packet(&mut self, packet: Packet, channel: Channel) {
        trace!(op = packet.op_code, ?channel, "packet in");
        match Opcode(packet.op_code) {
            // Internal; a repeated login result changes nothing.
            Opcode::LOGIN_RESULT => {}
            Opcode::VERIFY_IDENTITY_RESPONSE => {
                let success =
                    matches!(packet.body, Some(Body::VerifyIdentityResult(r)) if r.success);
                if !success {
                    debug!(?channel, "identity not verified; staying on the websocket");
                    self.pending
                        .push_back(Event::Error("identity not verified".into()));
                } else if self.state == ConnectionState::Connected && self.dtls.is_some() {
                    debug!(?channel, "dtls binding verified");
                    self.set_state(ConnectionState::ConnectedSendFast);
                    self.pending.push_back(Event::FastReady);
                }
            }
            Opcode::UDP_CONNECT_SERVER_ACK => {
                if self.state == ConnectionState::Connected && self.udp.is_some() {
                    debug!(?channel, "udp binding acknowledged");
                    self.set_state(ConnectionState::ConnectedSendFast);
                    let ack = udp_connect_packet(Opcode::UDP_CONNECT_CLIENT_ACK, self.peer_id);
                    self.send_udp(ack).await;
                    self.pending.push_back(Event::FastReady);
                }
            }
            Opcode::GROUP_MEMBERSHIP_UPDATE => match packet.body {
                Some(Body::GroupMembershipUpdate(update)) => {
                    let group = GroupId(update.group);
                    let players: Vec<PeerId> = update.players.into_iter().map(PeerId).collect();
                    {
                        let mut groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
                        if players.contains(&self.peer_id) {
                            groups.insert(group);
                        } else {
                            groups.remove(&group);
                        }
                    }
                    let sender = PeerId(packet.sender);
                    self.pending.push_back(Event::GroupMembershipUpdated {
                        sender,
                        group,
                        players,
                    });
                }
                _ => {
                    // C# would throw on the missing list (protocol.md §3.4).
                    self.pending
                        .push_back(Event::Error("membership update without body".into()));
                }
            },
            op => self.pending.push_back(Event::Data(DataReceived {
                sender: PeerId(packet.sender),
                op_code: op,
                target_player: PeerId(packet.target_player),
                target_group: GroupId(packet.target_group),
                payload: packet.payload,
                sequence_number: packet.sequence_number,
                channel,
            })),
        }
    }

    /// Sends a packet from the app or a group command (protocol.md §5.7 client steps 3-5).
    async fn send(&mut self, mut packet: Packet, intent: DeliveryIntent) {
        packet.sender = self.peer_id.0;
        let fast = intent == DeliveryIntent::Fast
            && self.state == ConnectionState::ConnectedSendFast
            && packet.payload.len() <= MAX_FAST_PAYLOAD
            && (self.udp.is_some() || self.dtls.is_some());
        if fast {
            self.send_fast(packet).await;
        } else {
            packet.reliable = true;
            packet.sequence_number = 0;
            trace!(op = packet.op_code, "packet out on websocket");
            self.send_ws(Message::Binary(encode(&packet))).await;
        }
    }

    async fn send_udp_connect(&mut self) {
        trace!(attempt = self.udp_connect_attempts, "udp connect");
        self.send_udp(udp_connect_packet(Opcode::UDP_CONNECT, self.peer_id))
            .await;
    }

    /// Sends on the fast channel: one DTLS record, or one datagram.
    async fn send_fast(&mut self, mut packet: Packet) {
        let Some(channel) = self.dtls.as_mut() else {
            return self.send_udp(packet).await;
        };
        stamp_fast(&mut packet, &mut channel.last_seq_out);
        trace!(
            op = packet.op_code,
            seq = packet.sequence_number,
            "packet out on dtls"
        );
        if let Err(e) = channel.conn.write(&encode(&packet), None).await {
            debug!(error = %e, "dtls send failed");
        }
    }

    /// Stamps the next sequence number and sends at once, so numbers go out in order.
    async fn send_udp(&mut self, mut packet: Packet) {
        let Some(fast) = self.udp.as_mut() else {
            return;
        };
        stamp_fast(&mut packet, &mut fast.last_seq_out);
        trace!(
            op = packet.op_code,
            seq = packet.sequence_number,
            "packet out on udp"
        );
        if let Err(e) = fast.socket.send_to(&encode(&packet), fast.dest).await {
            // Like C#: a failed UDP send is logged and swallowed.
            debug!(error = %e, dest = %fast.dest, "udp send failed");
        }
    }

    async fn send_ws(&mut self, message: Message) {
        if let Err(e) = self.ws.send(message).await {
            debug!(error = %e, "websocket send failed");
            self.pending
                .push_back(Event::Error(format!("websocket send failed: {e}")));
            self.finish(None, String::new());
        }
    }

    /// `Disconnect()`: close frame 1000, then wait briefly for the server's reply.
    async fn close_by_client(&mut self) {
        debug!("disconnecting");
        self.set_state(ConnectionState::Disconnected);
        self.udp = None;
        if let Some(channel) = self.dtls.take() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, channel.conn.close()).await;
        }
        let close = async {
            if self.ws.close(Some(normal_close())).await.is_ok() {
                // The handshake is complete with the server's reply; then the socket drops.
                while let Some(Ok(message)) = self.ws.next().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, close).await;
    }

    /// The connection is over: report it and stop reading.
    fn finish(&mut self, code: Option<u16>, reason: String) {
        self.set_state(ConnectionState::Disconnected);
        self.udp = None;
        self.dtls = None;
        self.finished = true;
        self.pending.push_back(Event::Closed { code, reason });
    }

    fn set_state(&mut self, state: ConnectionState) {
        self.state = state;
        self.state_tx.send_replace(state);
    }
}

/// Marks a fast-channel packet and gives it the channel's next sequence number.
fn stamp_fast(packet: &mut Packet, last_seq_out: &mut i32) {
    *last_seq_out = last_seq_out.wrapping_add(1);
    packet.sequence_number = *last_seq_out;
    packet.reliable = false;
}

fn udp_connect_packet(op: Opcode, sender: PeerId) -> Packet {
    Packet {
        op_code: op.0,
        target_player: PeerId::SERVER.0,
        sender: sender.0,
        body: Some(Body::UdpConnect(UdpConnectMessage {})),
        ..Default::default()
    }
}

fn normal_close() -> CloseFrame {
    CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    }
}

/// Reads one datagram without blocking. A plain function, so the buffer never becomes part
/// of the task's future; the kernel writes into its spare capacity, so nothing is zeroed
/// first (a zeroed 16 KiB buffer per datagram was most of a busy client's own work).
fn recv_datagram(socket: &UdpSocket) -> io::Result<(Bytes, SocketAddr)> {
    let mut buf = Vec::with_capacity(UDP_RECV_BUF);
    let (_, from) = socket.try_recv_buf_from(&mut buf)?;
    Ok((Bytes::copy_from_slice(&buf), from))
}

async fn udp_readable(udp: &Option<FastChannel>) -> io::Result<()> {
    match udp {
        Some(fast) => fast.socket.readable().await,
        None => std::future::pending().await,
    }
}

async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn message_kind(message: &Message) -> &'static str {
    match message {
        Message::Text(_) => "text",
        Message::Binary(_) => "binary",
        Message::Ping(_) => "ping",
        Message::Pong(_) => "pong",
        Message::Close(_) => "close",
        Message::Frame(_) => "frame",
    }
}
