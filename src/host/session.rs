//! The task that owns one game session's core: feeds it messages from connections and the
//! UDP socket with the current time, performs its outputs without ever awaiting a peer, and
//! sleeps until its next timeout.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use flume::TrySendError;
use futures_util::StreamExt;
use tokio::time::Instant;
use tracing::debug;

use super::{ConnLink, Host, Outgoing, SessionHandle};
use crate::core::{CloseReason, ConnId, GameSessionStatus, LoginRequest, Output, Session};
use crate::metrics::Metrics;
use crate::protocol::Packet;
use crate::transport::udp;

/// Most queued messages handled per wake before outputs are performed, so one busy session
/// cannot starve its own timers. It also bounds how many frames one wake can queue for a
/// recipient, which stays well below the outbound queue (`limits.outbound_queue_frames`, 256
/// by default): a reader that keeps up never overflows, one that falls behind for several
/// wakes does.
const MAX_BATCH: usize = 64;

/// What connections, the UDP reader and the library API tell a session task.
#[derive(Debug)]
pub(crate) enum SessionMsg {
    /// A LOGIN admitted to this session, with the connection's outbound link.
    Login {
        conn: ConnId,
        request: LoginRequest,
        link: ConnLink,
    },
    /// A packet from a logged-in connection's WebSocket.
    Packet { conn: ConnId, packet: Packet },
    /// A datagram whose `sender` is a player of this session.
    Datagram { from: SocketAddr, packet: Packet },
    /// A pong (or other sign of life) on a connection.
    Heard { conn: ConnId },
    /// The connection ended.
    Closed { conn: ConnId },
    /// End the game session.
    End,
}

pub(crate) async fn run(
    host: Arc<Host>,
    handle: SessionHandle,
    mut core: Session,
    rx: flume::Receiver<SessionMsg>,
) {
    let mut task = SessionTask {
        host,
        handle,
        links: HashMap::new(),
    };
    debug!("session started");
    let mut inbox = rx.stream();
    loop {
        let deadline = core.poll_timeout().map(Instant::from_std);
        let mut ending = false;
        tokio::select! {
            biased;
            () = task.host.shutdown.cancelled() => {
                core.handle_end(CloseReason::ServerShutdown);
                ending = true;
            }
            msg = inbox.next() => {
                // The directory holds a sender until this task removes it, so `None` cannot
                // happen; treat it as an end all the same.
                let Some(msg) = msg else { break };
                ending |= task.handle(&mut core, msg);
                for _ in 0..MAX_BATCH {
                    let Ok(msg) = rx.try_recv() else { break };
                    ending |= task.handle(&mut core, msg);
                }
            }
            () = sleep_until(deadline) => core.handle_timeout(Instant::now().into_std()),
        }
        task.perform(&mut core);
        if ending {
            break;
        }
    }
    task.host.directory.remove_session(&task.handle.id);
    let ended = SystemTime::now();
    task.host.directory.catalog().end_game_session(
        ended,
        &task.handle.id,
        GameSessionStatus::Terminated,
        None,
    );
    debug!("session ended");
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

struct SessionTask {
    host: Arc<Host>,
    handle: SessionHandle,
    links: HashMap<ConnId, ConnLink>,
}

impl SessionTask {
    /// Feeds one message to the core; true if the session must end.
    fn handle(&mut self, core: &mut Session, msg: SessionMsg) -> bool {
        let now = Instant::now().into_std();
        match msg {
            SessionMsg::Login {
                conn,
                request,
                link,
            } => {
                self.links.insert(conn, link);
                let player_session_id = request.player_session_id.clone();
                if let Err(refusal) = core.handle_login(now, conn, request) {
                    debug!(%conn, reason = refusal.as_str(), "login refused");
                    Metrics::inc(self.host.metrics.refused(refusal));
                    self.host
                        .directory
                        .complete(SystemTime::now(), &player_session_id);
                }
            }
            SessionMsg::Packet { conn, packet } => core.handle_packet(now, conn, packet),
            SessionMsg::Datagram { from, packet } => core.handle_datagram(now, from, packet),
            SessionMsg::Heard { conn } => core.handle_heard(now, conn),
            SessionMsg::Closed { conn } => {
                self.links.remove(&conn);
                core.handle_closed(conn);
            }
            SessionMsg::End => {
                core.handle_end(CloseReason::SessionEnded);
                return true;
            }
        }
        false
    }

    /// Performs every pending output. Never awaits: a full queue drops a droppable frame or
    /// closes the connection as a slow reader, and a full socket buffer drops the datagram.
    fn perform(&mut self, core: &mut Session) {
        let metrics = &self.host.metrics;
        let (mut reliable_out, mut fast_out) = (0, 0);
        while let Some(output) = core.poll_output() {
            match output {
                Output::Send {
                    conn,
                    frame,
                    droppable,
                } => {
                    let Some(link) = self.links.get(&conn) else {
                        continue;
                    };
                    match link.tx.try_send(Outgoing::Frame(frame)) {
                        Ok(()) => reliable_out += 1,
                        Err(TrySendError::Full(_)) if droppable => {
                            Metrics::inc(&metrics.dropped_slow_reader);
                        }
                        Err(TrySendError::Full(_)) => {
                            debug!(%conn, "closing slow reader");
                            Metrics::inc(&metrics.slow_reader_closes);
                            // Close it now and forget its link: frames this batch still holds
                            // for it are skipped instead of closing (and counting) it again.
                            if let Some(link) = self.links.remove(&conn) {
                                link.close(CloseReason::SlowReader);
                            }
                            core.handle_close(conn, CloseReason::SlowReader);
                        }
                        Err(TrySendError::Disconnected(_)) => {} // Its Closed message is on the way.
                    }
                }
                Output::SendFast { to, seq, packet } => {
                    let (sent, failed) = udp::queue_datagram(&self.host.udp, to, seq, &packet);
                    fast_out += sent;
                    Metrics::add(&metrics.fast_send_errors, failed);
                }
                Output::Ping { conn } => {
                    if let Some(link) = self.links.get(&conn) {
                        let _ = link.tx.try_send(Outgoing::Ping); // A full queue is its own ping.
                    }
                }
                Output::Close { conn, reason } => {
                    if reason == CloseReason::IdleTimeout {
                        debug!(%conn, "closing dead peer");
                        Metrics::inc(&metrics.idle_timeouts);
                    }
                    if let Some(link) = self.links.remove(&conn) {
                        link.close(reason);
                    }
                }
                Output::PlayerJoined { conn, peer, .. } => {
                    debug!(%conn, %peer, "player joined");
                    Metrics::inc(&metrics.logins_accepted);
                    self.host.directory.insert_peer(peer, self.handle.clone());
                }
                Output::PlayerLeft {
                    peer,
                    player_session_id,
                } => {
                    debug!(%peer, "player left");
                    self.host.directory.remove_peer(peer);
                    self.host
                        .directory
                        .complete(SystemTime::now(), &player_session_id);
                }
                Output::Dropped { peer, reason } => {
                    debug!(%peer, reason = reason.as_str(), "dropped packet");
                    Metrics::inc(metrics.dropped(reason));
                }
            }
        }
        let (sent, failed) = udp::flush_datagrams(&self.host.udp);
        fast_out += sent;
        Metrics::add(&metrics.fast_send_errors, failed);
        Metrics::add(&metrics.reliable_out, reliable_out);
        Metrics::add(&metrics.fast_out, fast_out);
    }
}
