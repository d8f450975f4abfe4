//! The [`Client`] handle: connecting and logging in (protocol.md §5.1-§5.2), binding the UDP
//! socket, and the app-facing calls, which queue commands for the background task in `driver.rs`.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::PoisonError;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tracing::{Instrument, debug, debug_span};

use super::ClientError;
use super::driver::{CLOSE_TIMEOUT, Command, Driver, FastChannel, FastSetup, Groups, LoginFailure};
use super::dtls::DtlsSetup;
use super::types::{
    ClientConfig, ConnectionState, ConnectionToken, DeliveryIntent, Event, MAX_PAYLOAD, RtMessage,
};
use super::wss::{self, Transport};
use crate::protocol::RequestGroupMembership;
use crate::protocol::{Body, GroupId, JoinGroup, LeaveGroup, Opcode, Packet, PeerId};

/// WebSocket read buffer: small, since the load generator runs thousands of clients.
const WS_READ_BUFFER: usize = 4 * 1024;

/// A logged-in connection to a GameLift Realtime compatible server.
///
/// A cheap handle: sends take `&self` and only queue a command for the connection's
/// background task, which decides the channel at the moment it sends, as C# does. Dropping
/// the handle closes the connection like [`Client::disconnect`].
#[derive(Debug)]
pub struct Client {
    peer_id: PeerId,
    fast_port: u16,
    fast_channel: bool,
    cmd_tx: mpsc::Sender<Command>,
    events_rx: mpsc::Receiver<Event>,
    state_rx: watch::Receiver<ConnectionState>,
    groups: Groups,
    task: JoinHandle<()>,
}

impl Client {
    /// Opens `ws://{host}:{port}/websocket` (`wss://` with [`ClientConfig::secure`]), sends
    /// LOGIN with `token` and returns once the server accepted it. With
    /// [`ClientConfig::fast_channel`], the fast channel is set up in the background
    /// ([`Client::wait_fast_ready`]): in plain mode the UDP socket is bound and the UDP
    /// binding handshake runs; in secure mode the DTLS handshake and VERIFY_IDENTITY run
    /// first, before the client reads further packets, as the C# client does.
    ///
    /// Fails with [`ClientError::LoginRefused`] when the login result says no or has no
    /// body, and [`ClientError::Timeout`] after [`ClientConfig::connect_timeout`].
    pub async fn connect(
        host: &str,
        port: u16,
        token: ConnectionToken,
        config: ClientConfig,
    ) -> Result<Client, ClientError> {
        let host = host.trim().trim_start_matches('[').trim_end_matches(']');
        match tokio::time::timeout(
            config.connect_timeout,
            establish(host, port, token, &config),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout),
        }
    }

    /// The peer id the server assigned at login.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The server's fast (UDP) port from the login result; 0 if it was not a valid port.
    pub fn fast_port(&self) -> u16 {
        self.fast_port
    }

    /// The current connection state.
    pub fn state(&self) -> ConnectionState {
        match self.state_rx.has_changed() {
            // The task is gone (it sets `Disconnected` before leaving, unless it panicked).
            Err(_) => ConnectionState::Disconnected,
            Ok(_) => *self.state_rx.borrow(),
        }
    }

    /// A receiver of state changes, to await a state without consuming events.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.state_rx.clone()
    }

    /// The groups this client believes it belongs to: joined or left locally at once, and
    /// corrected by every membership update (protocol.md §5.9). Ascending order.
    pub fn groups(&self) -> Vec<GroupId> {
        self.lock_groups(|groups| groups.iter().copied().collect())
    }

    /// Sends an application message (protocol.md §5.7). Returns once the message is queued for
    /// the background task; write errors surface later as events.
    ///
    /// Fails with [`ClientError::PayloadTooLarge`] over [`MAX_PAYLOAD`] bytes and with
    /// [`ClientError::Closed`] once disconnected; nothing is sent then.
    pub async fn send(&self, message: RtMessage) -> Result<(), ClientError> {
        let (packet, intent) = self.check(message)?;
        self.enqueue(packet, intent).await
    }

    /// Like [`Client::send`] but never waits: [`ClientError::QueueFull`] when the command
    /// queue is full.
    pub fn try_send(&self, message: RtMessage) -> Result<(), ClientError> {
        let (packet, intent) = self.check(message)?;
        if self.state() == ConnectionState::Disconnected {
            return Err(ClientError::Closed);
        }
        self.cmd_tx
            .try_send(Command::Send { packet, intent })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => ClientError::QueueFull,
                mpsc::error::TrySendError::Closed(_) => ClientError::Closed,
            })
    }

    /// C# `SendEvent`: a message to the server (targetPlayer -1) with fast intent.
    pub async fn send_event(
        &self,
        op_code: Opcode,
        payload: impl Into<Bytes>,
    ) -> Result<(), ClientError> {
        self.send(RtMessage::to_server(op_code, payload)).await
    }

    /// Sends JOIN_GROUP (-10) with fast intent and adds the group to the local set at once.
    pub async fn join_group(&self, group: GroupId) -> Result<(), ClientError> {
        let body = Body::JoinGroup(JoinGroup { group: group.0 });
        self.enqueue(
            group_command(Opcode::JOIN_GROUP, body),
            DeliveryIntent::Fast,
        )
        .await?;
        self.lock_groups(|groups| groups.insert(group));
        Ok(())
    }

    /// Sends LEAVE_GROUP (-11) with fast intent and removes the group locally at once.
    pub async fn leave_group(&self, group: GroupId) -> Result<(), ClientError> {
        let body = Body::LeaveGroup(LeaveGroup { group: group.0 });
        self.enqueue(
            group_command(Opcode::LEAVE_GROUP, body),
            DeliveryIntent::Fast,
        )
        .await?;
        self.lock_groups(|groups| groups.remove(&group));
        Ok(())
    }

    /// Sends REQUEST_GROUP_MEMBERSHIP (-12) with fast intent; the answer arrives as
    /// [`Event::GroupMembershipUpdated`].
    pub async fn request_group_membership(&self, group: GroupId) -> Result<(), ClientError> {
        let body = Body::RequestGroupMembership(RequestGroupMembership { group: group.0 });
        let packet = group_command(Opcode::REQUEST_GROUP_MEMBERSHIP, body);
        self.enqueue(packet, DeliveryIntent::Fast).await
    }

    /// The next event; `None` once the connection has ended and every event was returned.
    /// Cancel-safe.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events_rx.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_next_event(&mut self) -> Option<Event> {
        self.events_rx.try_recv().ok()
    }

    /// Waits until the state is `ConnectedSendFast` without consuming events (the
    /// [`Event::FastReady`] event is still delivered).
    ///
    /// Fails with [`ClientError::Timeout`], [`ClientError::Closed`] if the connection ends
    /// first, or [`ClientError::FastChannelDisabled`] at once if there is no fast channel.
    pub async fn wait_fast_ready(&self, timeout: Duration) -> Result<(), ClientError> {
        if !self.fast_channel {
            return Err(ClientError::FastChannelDisabled);
        }
        let mut state_rx = self.state_rx.clone();
        let wait = state_rx.wait_for(|state| *state != ConnectionState::Connected);
        match tokio::time::timeout(timeout, wait).await {
            Err(_) => Err(ClientError::Timeout),
            Ok(Err(_)) => Err(ClientError::Closed),
            Ok(Ok(state)) if *state == ConnectionState::ConnectedSendFast => Ok(()),
            Ok(Ok(_)) => Err(ClientError::Closed),
        }
    }

    /// C# `Disconnect()`: closes the WebSocket with code 1000 (after the sends already
    /// queued), closes the UDP socket, and waits for the background task to end.
    pub async fn disconnect(self) {
        let Client {
            cmd_tx,
            events_rx,
            task,
            ..
        } = self;
        // Nobody reads events any more; dropping the receiver keeps the task from waiting.
        drop(events_rx);
        if cmd_tx.send(Command::Disconnect).await.is_ok() {
            // The task bounds its closing handshake by CLOSE_TIMEOUT.
            let _ = tokio::time::timeout(CLOSE_TIMEOUT * 2, task).await;
        }
    }

    fn check(&self, message: RtMessage) -> Result<(Packet, DeliveryIntent), ClientError> {
        let len = message.payload.len();
        if len > MAX_PAYLOAD {
            return Err(ClientError::PayloadTooLarge { len });
        }
        let packet = Packet {
            op_code: message.op_code.0,
            target_player: message.target_player.0,
            target_group: message.target_group.0,
            payload: message.payload,
            ..Default::default()
        };
        Ok((packet, message.intent))
    }

    async fn enqueue(&self, packet: Packet, intent: DeliveryIntent) -> Result<(), ClientError> {
        if self.state() == ConnectionState::Disconnected {
            return Err(ClientError::Closed);
        }
        self.cmd_tx
            .send(Command::Send { packet, intent })
            .await
            .map_err(|_| ClientError::Closed)
    }

    fn lock_groups<T>(&self, f: impl FnOnce(&mut BTreeSet<GroupId>) -> T) -> T {
        f(&mut self.groups.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Connect, log in, bind UDP, spawn the task; bounded by the caller's timeout.
async fn establish(
    host: &str,
    port: u16,
    token: ConnectionToken,
    config: &ClientConfig,
) -> Result<Client, ClientError> {
    let scheme = if config.secure.is_some() { "wss" } else { "ws" };
    let url = match host.parse::<Ipv6Addr>() {
        Ok(_) => format!("{scheme}://[{host}]:{port}/websocket"),
        Err(_) => format!("{scheme}://{host}:{port}/websocket"),
    };
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(config.max_frame_bytes))
        .max_frame_size(Some(config.max_frame_bytes));
    debug!(%url, "connecting");
    let connect_failed = |e| ClientError::Connect(Box::new(e));
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(|e| connect_failed(tungstenite::Error::Io(e)))?;
    let _ = tcp.set_nodelay(true); // Latency over throughput; failure is harmless.
    let transport: Box<dyn Transport> = match &config.secure {
        None => Box::new(tcp),
        Some(secure) => wss::handshake(tcp, host, secure).await?,
    };
    let (ws, _response) =
        tokio_tungstenite::client_async_with_config(url.as_str(), transport, Some(ws_config))
            .await
            .map_err(connect_failed)?;

    let (mut driver, ends) = Driver::new(
        ws,
        config.max_frame_bytes,
        config.event_queue,
        config.command_queue,
        config.ws_ping_interval,
    );
    // VERIFY_IDENTITY repeats the connection payload (protocol.md §5.4 client step 2).
    let payload = token.payload.clone();
    let login = async {
        driver
            .send_login(token.player_session_id, token.payload)
            .await
            .map_err(|e| ClientError::Connect(Box::new(e)))?;
        match driver.await_login_result(config.event_queue.max(1)).await {
            Ok(Some(result)) if result.success => Ok(result),
            Ok(_) => Err(ClientError::LoginRefused),
            Err(LoginFailure::Ws(e)) => Err(ClientError::Connect(Box::new(e))),
            Err(LoginFailure::Closed) => Err(ClientError::Closed),
            Err(LoginFailure::Flooded) => Err(ClientError::Protocol(
                "too many packets before the login result".into(),
            )),
        }
    };
    let result = match login.await {
        Ok(result) => result,
        Err(e) => {
            debug!(error = %e, "login failed");
            if matches!(e, ClientError::LoginRefused) {
                driver.abandon().await;
            }
            return Err(e);
        }
    };

    let peer_id = PeerId(result.peer_id);
    let fast_port = u16::try_from(result.fast_port).ok().filter(|p| *p != 0);
    let fast = if config.fast_channel {
        let Some(fast_port) = fast_port else {
            return Err(ClientError::Protocol(format!(
                "invalid fast port {}",
                result.fast_port
            )));
        };
        let server = resolve(host, fast_port).await?;
        let local = local_udp_addr(config.udp_bind, server);
        Some(match &config.secure {
            // Secure clients bind their fast channel with DTLS, never with UDP_CONNECT.
            Some(secure) => FastSetup::Dtls(DtlsSetup {
                server,
                local,
                server_name: secure
                    .server_name
                    .clone()
                    .unwrap_or_else(|| host.to_owned()),
                ca_pem: result.ca_cert.clone(),
                connect_token: result.connect_token.clone(),
                payload,
            }),
            None => FastSetup::Udp(bind_udp(server, local).await?),
        })
    } else {
        None
    };
    debug!(peer = %peer_id, ?fast_port, "logged in");
    driver.logged_in(peer_id, fast);
    let task = tokio::spawn(
        driver
            .run()
            .instrument(debug_span!("client", peer = %peer_id)),
    );
    Ok(Client {
        peer_id,
        fast_port: fast_port.unwrap_or(0),
        fast_channel: config.fast_channel,
        cmd_tx: ends.cmd_tx,
        events_rx: ends.events_rx,
        state_rx: ends.state_rx,
        groups: ends.groups,
        task,
    })
}

/// Resolves `(host, fast_port)`; the first address wins (protocol.md §1.3).
async fn resolve(host: &str, fast_port: u16) -> Result<SocketAddr, ClientError> {
    let server = tokio::net::lookup_host((host, fast_port))
        .await?
        .next()
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no address for {host}"),
            )
        })?;
    Ok(server)
}

/// Binds the plain fast channel's socket.
async fn bind_udp(server: SocketAddr, local: SocketAddr) -> Result<FastChannel, ClientError> {
    let socket = UdpSocket::bind(local).await?;
    debug!(%server, local = %socket.local_addr()?, "udp bound");
    Ok(FastChannel::new(socket, server))
}

fn local_udp_addr(configured: SocketAddr, server: SocketAddr) -> SocketAddr {
    if configured.ip().is_unspecified() && configured.is_ipv4() != server.is_ipv4() {
        let ip: IpAddr = if server.is_ipv6() {
            Ipv6Addr::UNSPECIFIED.into()
        } else {
            Ipv4Addr::UNSPECIFIED.into()
        };
        SocketAddr::new(ip, configured.port())
    } else {
        configured
    }
}

/// A group command as C# builds it: targetPlayer -1, no payload (protocol.md §5.9).
fn group_command(op: Opcode, body: Body) -> Packet {
    Packet {
        op_code: op.0,
        target_player: PeerId::SERVER.0,
        body: Some(body),
        ..Default::default()
    }
}

#[cfg(test)]
pub(super) fn udp_bind_for_test(configured: SocketAddr, server: SocketAddr) -> SocketAddr {
    local_udp_addr(configured, server)
}
