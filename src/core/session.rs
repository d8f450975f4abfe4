//! One game session's state machine: logins, players, groups, routing (protocol.md §4.3, §5.7),
//! liveness (§5.6), the plain-UDP binding handshake (§5.3), the DTLS binding by
//! VERIFY_IDENTITY (§5.4) and fast-channel sequence numbers (§5.8). Owned by exactly one host task; see the module docs for the calling contract.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use subtle::ConstantTimeEq;

use super::hooks::{HookMessage, Hooks, NoHooks};
use super::packets;
use super::rate::{Bucket, Verdict};
use super::{
    Channel, CloseReason, ConnId, DropReason, LoginRefusal, PeerIds, SecureLogin, SessionConfig,
};
use crate::protocol::{Body, FastPacket, GroupId, Opcode, OpcodeKind, Packet, PeerId, encode};

/// A LOGIN that passed the player-session check, handed to the session that owns it.
#[derive(Clone, Debug)]
pub struct LoginRequest {
    /// The player session id from the LOGIN.
    pub player_session_id: String,
    /// The connection payload from the LOGIN (for server scripts).
    pub payload: Bytes,
    /// The IP the WebSocket came from; UDP binding is checked against it.
    pub ip: IpAddr,
    /// Secure mode (the WebSocket arrived over TLS): the fast channel is bound only by
    /// DTLS and VERIFY_IDENTITY with this token (protocol.md §5.4). `None`: plain UDP (§5.3).
    pub secure: Option<SecureLogin>,
}

/// Something the host must do. Produced in order; perform them in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Queue a frame on a connection's WebSocket. `droppable` frames carry fast-intent
    /// messages that fell back to the WebSocket: drop them when the queue is full; close the
    /// connection as a slow reader if a non-droppable frame does not fit.
    Send {
        /// The connection.
        conn: ConnId,
        /// One length-prefixed packet, shared among the recipients of a fan-out.
        frame: Bytes,
        /// May be dropped under backpressure.
        droppable: bool,
    },
    /// Send one datagram on the fast channel.
    SendFast {
        /// The peer's bound UDP address.
        to: SocketAddr,
        /// Through the peer's DTLS association at `to`, not as a plain datagram.
        secure: bool,
        /// The sequence number to stamp into the datagram.
        seq: i32,
        /// The packet, shared among the recipients of a fan-out.
        packet: FastPacket,
    },
    /// A peer's fast channel is now at `addr`: route datagrams from there to this session.
    Bind {
        /// The peer.
        peer: PeerId,
        /// Its UDP address, or the address of its DTLS association.
        addr: SocketAddr,
        /// A DTLS association (bound by VERIFY_IDENTITY), not plain UDP.
        secure: bool,
    },
    /// `addr` is no longer the peer's fast channel (it moved, was lost, or the peer left):
    /// stop routing it here, and close it if it is a DTLS association.
    Unbind {
        /// The peer.
        peer: PeerId,
        /// The address that was bound.
        addr: SocketAddr,
        /// It was a DTLS association.
        secure: bool,
    },
    /// Send a WebSocket ping frame.
    Ping {
        /// The connection.
        conn: ConnId,
    },
    /// Close the connection after what was queued before; the player is already removed.
    Close {
        /// The connection.
        conn: ConnId,
        /// Why; decides the close code.
        reason: CloseReason,
    },
    /// A login was accepted.
    PlayerJoined {
        /// The player's connection.
        conn: ConnId,
        /// The assigned peer id.
        peer: PeerId,
        /// The player session the login used.
        player_session_id: String,
    },
    /// A player left the session, for whatever reason.
    PlayerLeft {
        /// The peer id, never reused.
        peer: PeerId,
        /// The player session it used.
        player_session_id: String,
    },
    /// A packet from a player was dropped; log at debug and count.
    Dropped {
        /// The player it came from (as claimed, for UDP).
        peer: PeerId,
        /// Why.
        reason: DropReason,
    },
}

/// A peer's fast channel as the server sees it (protocol.md §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastPathState {
    /// No UDP_CONNECT yet, or it failed the source-IP check: everything goes by WebSocket.
    Unbound,
    /// UDP_CONNECT seen and acked; waiting for the client's ack or first data.
    Bound(SocketAddr),
    /// Working both ways; fast messages go by UDP.
    Confirmed(SocketAddr),
}

/// A message the server script sends (scripts.md §3).
#[derive(Clone, Debug, PartialEq)]
pub struct ServerMessage {
    /// The opcode.
    pub opcode: i32,
    /// The sender the script gave (usually the server, -1).
    pub sender: PeerId,
    /// The payload.
    pub payload: Bytes,
    /// One player, or the members of a group (-1: every player).
    pub target: ServerTarget,
    /// The fast channel (falling back to the WebSocket) or the WebSocket.
    pub channel: Channel,
}

/// Who a [`ServerMessage`] goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerTarget {
    /// One player.
    Player(PeerId),
    /// The members of a group; [`GroupId::ALL_PLAYERS`] is everyone.
    Group(GroupId),
}

/// One game session: its players, their groups and fast channels, and the script's hooks
/// (`H`, [`NoHooks`] for a pure relay).
#[derive(Debug)]
pub struct Session<H = NoHooks> {
    hooks: H,
    config: SessionConfig,
    peer_ids: PeerIds,
    accepting: bool,
    players: BTreeMap<PeerId, Player>,
    by_conn: HashMap<ConnId, PeerId>,
    outputs: VecDeque<Output>,
    next_tick: Option<Instant>,
    next_retransmit: Option<Instant>,
}

/// How far a fast-channel datagram's sequence number may be from the last one accepted
/// (protocol.md §5.8). More ahead than this means 64 datagrams in a row were lost, or a
/// forgery; within it behind, the datagram is stale. Small, so that a forged datagram that
/// happens to fall within it costs the player at most this many datagrams.
const SEQUENCE_WINDOW: i32 = 64;

#[derive(Debug)]
struct Player {
    conn: ConnId,
    ip: IpAddr,
    player_session_id: String,
    last_heard: Instant,
    /// Developer groups (> 0) the player is in; group -1 is implicit.
    groups: BTreeSet<GroupId>,
    fast: Fast,
    /// Secure mode: the token VERIFY_IDENTITY must carry; the fast channel is DTLS only.
    connect_token: Option<String>,
    /// What the player may still send, when the session limits it.
    rate: Option<Bucket>,
}

#[derive(Debug)]
struct Fast {
    state: FastPathState,
    /// Pending retransmissions of the server ack while `Bound`.
    retransmit: Option<Retransmit>,
    /// Sequence number of the next datagram to this peer.
    next_seq: i32,
    /// Highest sequence number accepted from the bound address; -1 before any.
    last_in: i32,
    /// A sequence number far from `last_in` seen last, which the next one may confirm.
    resync: Option<i32>,
    /// When the last datagram went to this peer, for the keepalive.
    last_sent: Instant,
}

#[derive(Debug)]
struct Retransmit {
    at: Instant,
    interval: Duration,
    left: u32,
}

impl Fast {
    /// The address to send fast packets to, if the path is confirmed and numbers remain.
    fn confirmed_addr(&self) -> Option<SocketAddr> {
        match self.state {
            FastPathState::Confirmed(addr) if self.next_seq < i32::MAX => Some(addr),
            _ => None,
        }
    }

    /// The bound address (confirmed or not), if numbers remain.
    fn bound_addr(&self) -> Option<SocketAddr> {
        match self.state {
            FastPathState::Bound(addr) | FastPathState::Confirmed(addr)
                if self.next_seq < i32::MAX =>
            {
                Some(addr)
            }
            _ => None,
        }
    }

    /// Whether a datagram numbered `seq` is newer than the last one accepted, and by little
    /// enough to be believed (protocol.md §5.8): one forged datagram with a huge number would
    /// otherwise make every later one look stale. Numbers compare by their difference, so
    /// they may wrap around. A number far from the last one is refused; if the next one
    /// follows it, the client's numbers really moved on (everything in between was lost)
    /// and the channel takes up from there.
    fn accept_seq(&mut self, seq: i32) -> Result<(), DropReason> {
        let follows = |last: i32| (1..=SEQUENCE_WINDOW).contains(&seq.wrapping_sub(last));
        if follows(self.last_in) || self.resync.is_some_and(follows) {
            self.last_in = seq;
            self.resync = None;
            Ok(())
        } else if (-SEQUENCE_WINDOW..=0).contains(&seq.wrapping_sub(self.last_in)) {
            Err(DropReason::StaleSequence)
        } else {
            self.resync = Some(seq);
            Err(DropReason::SequenceOutOfWindow)
        }
    }

    /// Starts numbering incoming datagrams afresh from `seq` (a new binding).
    fn restart_seq(&mut self, seq: i32) {
        self.last_in = seq;
        self.resync = None;
    }

    /// Takes the next sequence number; callers checked that one remains.
    fn take_seq(&mut self, now: Instant) -> i32 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.last_sent = now;
        seq
    }
}

/// Who a relayed message goes to.
#[derive(Clone, Copy)]
enum Recipients {
    All,
    Group(GroupId),
}

impl Session {
    /// A new, empty session accepting logins, without a script.
    pub fn new(config: SessionConfig, peer_ids: PeerIds) -> Self {
        Self::with_hooks(config, peer_ids, NoHooks)
    }
}

impl<H: Hooks> Session<H> {
    /// A new, empty session accepting logins, asking `hooks` where the script decides.
    pub fn with_hooks(config: SessionConfig, peer_ids: PeerIds, hooks: H) -> Self {
        Self {
            hooks,
            config,
            peer_ids,
            accepting: true,
            players: BTreeMap::new(),
            by_conn: HashMap::new(),
            outputs: VecDeque::new(),
            next_tick: None,
            next_retransmit: None,
        }
    }

    /// The hooks.
    pub fn hooks(&self) -> &H {
        &self.hooks
    }

    /// The hooks, for the host to drive the script between inputs.
    pub fn hooks_mut(&mut self) -> &mut H {
        &mut self.hooks
    }

    /// Players currently logged in.
    pub fn player_count(&self) -> usize {
        self.players.len()
    }

    /// The peer ids of the players, ascending.
    pub fn players(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.players.keys().copied()
    }

    /// A player's fast-channel state, if the player is here.
    pub fn fast_path(&self, peer: PeerId) -> Option<FastPathState> {
        self.players.get(&peer).map(|p| p.fast.state)
    }

    /// The next thing the host must do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the host must call [`Session::handle_timeout`] next; `None` when idle.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.next_tick, self.next_retransmit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A LOGIN whose player session the host has already checked (protocol.md §5.1 step 3). The
    /// outputs say everything; the result tells the host whether the player session is now in
    /// use or was refused.
    pub fn handle_login(
        &mut self,
        now: Instant,
        conn: ConnId,
        login: LoginRequest,
    ) -> Result<PeerId, LoginRefusal> {
        if let Some(&peer) = self.by_conn.get(&conn) {
            // A second LOGIN on a logged-in connection is ignored (protocol.md §5.1).
            return Ok(peer);
        }
        let peer = if !self.accepting {
            Err(LoginRefusal::SessionNotAccepting)
        } else if self.players.len() >= self.config.max_players {
            Err(LoginRefusal::SessionFull)
        } else {
            self.peer_ids.next().ok_or(LoginRefusal::PeerIdsExhausted)
        };
        let peer = peer.and_then(|peer| {
            if self
                .hooks
                .player_connect(peer, &login.player_session_id, &login.payload)
            {
                Ok(peer)
            } else {
                Err(LoginRefusal::ScriptRefused)
            }
        });
        let peer = match peer {
            Ok(peer) => peer,
            Err(refusal) => {
                self.send(conn, packets::login_refused_frame(), false);
                let reason = CloseReason::LoginRefused(refusal);
                self.outputs.push_back(Output::Close { conn, reason });
                return Err(refusal);
            }
        };
        self.send(
            conn,
            packets::login_accepted(peer, self.config.fast_port, login.secure.as_ref()),
            false,
        );
        self.notify_players(peer, true);
        self.players.insert(
            peer,
            Player {
                conn,
                ip: login.ip,
                player_session_id: login.player_session_id.clone(),
                last_heard: now,
                groups: BTreeSet::new(),
                fast: Fast {
                    state: FastPathState::Unbound,
                    retransmit: None,
                    next_seq: 1,
                    last_in: -1,
                    resync: None,
                    last_sent: now,
                },
                connect_token: login.secure.map(|secure| secure.connect_token),
                rate: self
                    .config
                    .player_rate
                    .map(|limit| Bucket::new(&limit, now)),
            },
        );
        self.by_conn.insert(conn, peer);
        self.next_tick
            .get_or_insert(now + self.config.ping_interval);
        self.outputs.push_back(Output::PlayerJoined {
            conn,
            peer,
            player_session_id: login.player_session_id,
        });
        Ok(peer)
    }

    /// A packet that arrived on a logged-in connection's WebSocket.
    pub fn handle_packet(&mut self, now: Instant, conn: ConnId, packet: Packet) {
        let Some(&peer) = self.by_conn.get(&conn) else {
            return; // Not (or no longer) a player here: the host owns pre-login packets.
        };
        if let Some(player) = self.players.get_mut(&peer) {
            player.last_heard = now;
        }
        self.dispatch(now, peer, packet, Channel::Reliable);
    }

    /// A decoded plain datagram from the fast channel, routed here by its `sender` field or
    /// its bound source address.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, packet: Packet) {
        let peer = PeerId(packet.sender);
        let check_ip = self.config.check_udp_source_ip;
        let Some(player) = self.players.get_mut(&peer) else {
            self.drop_packet(peer, DropReason::UnboundSource);
            return;
        };
        if player.connect_token.is_some() {
            // A secure player's fast channel is its DTLS association, nothing else.
            self.drop_packet(peer, DropReason::SecurePeer);
            return;
        }
        let seq = packet.sequence_number;
        if packet.op_code == Opcode::UDP_CONNECT.0 {
            let rebind = match player.fast.state {
                FastPathState::Unbound => None,
                FastPathState::Bound(addr) => Some(addr),
                // A confirmed channel never moves: clients send UDP_CONNECT only until they
                // are acked, so one from elsewhere is a forgery (protocol.md §5.3).
                FastPathState::Confirmed(addr) if addr != from => {
                    self.drop_packet(peer, DropReason::AlreadyBound);
                    return;
                }
                FastPathState::Confirmed(addr) => Some(addr),
            };
            if check_ip && from.ip() != player.ip {
                self.drop_packet(peer, DropReason::SourceIpMismatch);
                return;
            }
            player.last_heard = now;
            if rebind == Some(from) {
                // A retry from the bound address: answer every one (protocol.md §5.3 step 3).
                let _ = player.fast.accept_seq(seq);
            } else {
                // First binding, or the client's address changed before it was confirmed
                // (NAT rebinding).
                player.fast.state = FastPathState::Bound(from);
                player.fast.restart_seq(seq);
                if self.config.udp_ack_retries > 0 {
                    let at = now + self.config.udp_ack_retry;
                    player.fast.retransmit = Some(Retransmit {
                        at,
                        interval: self.config.udp_ack_retry,
                        left: self.config.udp_ack_retries,
                    });
                    self.next_retransmit = Some(self.next_retransmit.map_or(at, |t| t.min(at)));
                }
                if let Some(old) = rebind {
                    self.outputs.push_back(Output::Unbind {
                        peer,
                        addr: old,
                        secure: false,
                    });
                }
                self.outputs.push_back(Output::Bind {
                    peer,
                    addr: from,
                    secure: false,
                });
            }
            self.send_server_ack(now, peer);
            return;
        }
        self.handle_fast(now, from, peer, packet);
    }

    /// A packet decrypted from a DTLS association already bound to `peer` (by
    /// [`Session::handle_verify_identity`]).
    pub fn handle_secure_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        peer: PeerId,
        packet: Packet,
    ) {
        let Some(player) = self.players.get(&peer) else {
            return; // The player left; its association is being closed.
        };
        if player.connect_token.is_none() {
            self.drop_packet(peer, DropReason::UnboundSource);
            return;
        }
        if packet.op_code == Opcode::VERIFY_IDENTITY.0 || packet.op_code == Opcode::UDP_CONNECT.0 {
            self.drop_packet(peer, DropReason::WrongChannel);
            return;
        }
        self.handle_fast(now, from, peer, packet);
    }

    /// A non-handshake packet on a peer's fast channel, from `from`.
    fn handle_fast(&mut self, now: Instant, from: SocketAddr, peer: PeerId, packet: Packet) {
        let filter_stale = self.config.filter_stale_udp;
        let Some(player) = self.players.get_mut(&peer) else {
            return;
        };
        let seq = packet.sequence_number;
        let bound = match player.fast.state {
            FastPathState::Bound(addr) | FastPathState::Confirmed(addr) => Some(addr),
            FastPathState::Unbound => None,
        };
        if bound != Some(from) {
            self.drop_packet(peer, DropReason::UnboundSource);
            return;
        }
        if filter_stale && let Err(reason) = player.fast.accept_seq(seq) {
            self.drop_packet(peer, reason);
            return;
        }
        player.last_heard = now;
        if let FastPathState::Bound(addr) = player.fast.state {
            // The client ack, or any later datagram, proves both directions
            // (protocol.md §5.3 step 5).
            player.fast.state = FastPathState::Confirmed(addr);
            player.fast.retransmit = None;
        }
        if packet.op_code == Opcode::UDP_CONNECT_CLIENT_ACK.0 {
            return;
        }
        self.dispatch(now, peer, packet, Channel::Fast);
    }

    /// VERIFY_IDENTITY, the first record of a DTLS association at `from` (protocol.md §5.4): with
    /// the token issued to the peer it names, the association becomes that peer's fast
    /// channel, working both ways. The answer goes on the peer's WebSocket either way.
    /// Returns the peer the association is now bound to; `None` means close it.
    pub fn handle_verify_identity(
        &mut self,
        now: Instant,
        from: SocketAddr,
        packet: &Packet,
    ) -> Option<PeerId> {
        let Some(Body::VerifyIdentity(verify)) = &packet.body else {
            return None;
        };
        let peer = PeerId(verify.peer_id);
        let player = self.players.get_mut(&peer)?;
        let token = player.connect_token.as_deref()?;
        // Constant time, so the comparison's duration tells nothing about the token.
        let matches = bool::from(token.as_bytes().ct_eq(verify.connect_token.as_bytes()));
        let conn = player.conn;
        if !matches {
            // A failure answer could only confuse a player whose channel already works.
            if player.fast.state == FastPathState::Unbound {
                let frame = packets::verify_identity_result(peer, false);
                self.send(conn, frame, false);
            }
            return None;
        }
        let old = match player.fast.state {
            FastPathState::Bound(addr) | FastPathState::Confirmed(addr) if addr != from => {
                Some(addr)
            }
            _ => None,
        };
        player.fast.state = FastPathState::Confirmed(from);
        player.fast.restart_seq(packet.sequence_number);
        player.last_heard = now;
        if let Some(addr) = old {
            self.outputs.push_back(Output::Unbind {
                peer,
                addr,
                secure: true,
            });
        }
        self.outputs.push_back(Output::Bind {
            peer,
            addr: from,
            secure: true,
        });
        self.send(conn, packets::verify_identity_result(peer, true), false);
        Some(peer)
    }

    /// The peer's DTLS association at `addr` ended (closed by the client, or failed): its
    /// fast messages go by WebSocket from now on.
    pub fn handle_fast_lost(&mut self, peer: PeerId, addr: SocketAddr) {
        if let Some(player) = self.players.get_mut(&peer)
            && player.fast.bound_addr() == Some(addr)
        {
            player.fast.state = FastPathState::Unbound;
            player.fast.retransmit = None;
            self.outputs.push_back(Output::Unbind {
                peer,
                addr,
                secure: player.connect_token.is_some(),
            });
        }
    }

    /// Something (a pong) arrived on a connection: the peer is alive.
    pub fn handle_heard(&mut self, now: Instant, conn: ConnId) {
        if let Some(player) = self
            .by_conn
            .get(&conn)
            .and_then(|p| self.players.get_mut(p))
        {
            player.last_heard = now;
        }
    }

    /// The connection is gone (close frame, EOF, error): remove its player.
    pub fn handle_closed(&mut self, conn: ConnId) {
        if let Some(&peer) = self.by_conn.get(&conn) {
            self.remove_player(peer, None);
        }
    }

    /// The host wants the connection closed (e.g. a slow reader): remove its player and emit
    /// the close.
    pub fn handle_close(&mut self, conn: ConnId, reason: CloseReason) {
        if let Some(&peer) = self.by_conn.get(&conn) {
            self.remove_player(peer, Some(reason));
        }
    }

    /// End the session: refuse further logins and close every player's connection.
    pub fn handle_end(&mut self, reason: CloseReason) {
        self.accepting = false;
        let peers: Vec<PeerId> = self.players.keys().copied().collect();
        for peer in peers {
            self.remove_player(peer, Some(reason));
        }
    }

    /// A message from the server script: to one player or a group's members, over the fast
    /// channel (WebSocket for players without one) or the WebSocket. Players not here are
    /// skipped; a payload above the reliable limit is dropped.
    pub fn handle_server_message(&mut self, now: Instant, message: ServerMessage) {
        if message.payload.len() > self.config.max_reliable_payload {
            self.drop_packet(message.sender, DropReason::Oversized);
            return;
        }
        let (target_player, target_group) = match message.target {
            ServerTarget::Player(peer) => (peer, GroupId::NONE),
            ServerTarget::Group(group) => (PeerId::NONE, group),
        };
        let packet = Packet {
            op_code: message.opcode,
            target_player: target_player.0,
            target_group: target_group.0,
            payload: message.payload,
            ..Default::default()
        };
        let mut relay = Relay::new(&packet, message.sender, message.channel, &self.config);
        match message.target {
            ServerTarget::Player(peer) => {
                if let Some(player) = self.players.get_mut(&peer) {
                    relay.transmit(now, player, &mut self.outputs);
                }
            }
            ServerTarget::Group(group) => {
                let all = group == GroupId::ALL_PLAYERS;
                for player in self.players.values_mut() {
                    if all || player.groups.contains(&group) {
                        relay.transmit(now, player, &mut self.outputs);
                    }
                }
            }
        }
    }

    /// The script sends the membership of `group` to the members of `target` (-1: everyone).
    pub fn handle_membership_broadcast(&mut self, group: GroupId, target: GroupId) {
        let members = self.members(group);
        let recipients = self.members(target);
        for recipient in recipients {
            self.push_membership(PeerId(recipient), PeerId::SERVER, group, &members);
        }
    }

    /// Time has reached [`Session::poll_timeout`]: pings, dead peers, keepalives, acks.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.next_tick.is_some_and(|t| t <= now) {
            self.tick(now);
        }
        if self.next_retransmit.is_some_and(|t| t <= now) {
            self.retransmit(now);
        }
    }

    fn tick(&mut self, now: Instant) {
        let idle_timeout = self.config.idle_timeout;
        let dead: Vec<PeerId> = self
            .players
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.last_heard) >= idle_timeout)
            .map(|(&peer, _)| peer)
            .collect();
        for peer in dead {
            self.remove_player(peer, Some(CloseReason::IdleTimeout));
        }
        for (&peer, player) in &mut self.players {
            self.outputs.push_back(Output::Ping { conn: player.conn });
            let Some(keepalive) = self.config.udp_keepalive else {
                continue;
            };
            if let Some(to) = player.fast.bound_addr()
                && now.saturating_duration_since(player.fast.last_sent) >= keepalive
            {
                let packet = FastPacket::new(&packets::udp_server_ack(peer));
                let seq = player.fast.take_seq(now);
                let secure = player.connect_token.is_some();
                self.outputs.push_back(Output::SendFast {
                    to,
                    secure,
                    seq,
                    packet,
                });
            }
        }
        self.next_tick = (!self.players.is_empty()).then(|| now + self.config.ping_interval);
    }

    fn retransmit(&mut self, now: Instant) {
        let mut next: Option<Instant> = None;
        let mut due = Vec::new();
        for (&peer, player) in &mut self.players {
            let Some(r) = &mut player.fast.retransmit else {
                continue;
            };
            if r.at <= now {
                due.push(peer);
                r.left -= 1;
                r.interval *= 2;
                r.at = now + r.interval;
            }
            if r.left == 0 {
                player.fast.retransmit = None;
            } else {
                next = Some(next.map_or(r.at, |t| t.min(r.at)));
            }
        }
        self.next_retransmit = next;
        for peer in due {
            self.send_server_ack(now, peer);
        }
    }

    /// Acts on a packet from a logged-in player (protocol.md §4.1 server rule), within the
    /// player's message rate.
    fn dispatch(&mut self, now: Instant, peer: PeerId, packet: Packet, channel: Channel) {
        let verdict = match (self.config.player_rate, self.players.get_mut(&peer)) {
            (
                Some(limit),
                Some(Player {
                    rate: Some(bucket), ..
                }),
            ) => bucket.admit(&limit, now),
            _ => Verdict::Accept,
        };
        match verdict {
            Verdict::Accept => {}
            Verdict::Drop => return self.drop_packet(peer, DropReason::OverRate),
            Verdict::Close => return self.remove_player(peer, Some(CloseReason::OverRate)),
        }
        if matches!(packet.body, Some(Body::Ping(_))) {
            self.send_to(now, peer, packets::ping_result(peer), channel);
            return;
        }
        let op = Opcode(packet.op_code);
        match op.kind() {
            OpcodeKind::ServerOnly => self.drop_packet(peer, DropReason::ServerOnlyOpcode),
            OpcodeKind::Application => self.route(now, peer, packet, channel),
            OpcodeKind::Command => match op {
                Opcode::JOIN_GROUP | Opcode::LEAVE_GROUP | Opcode::REQUEST_GROUP_MEMBERSHIP => {
                    self.handle_group_command(peer, op, packet.body);
                }
                // A second LOGIN and PLAYER_READY are ignored (protocol.md §5.1, Q14); a client ack
                // inside DTLS is accepted and ignored (protocol.md §5.4).
                Opcode::LOGIN | Opcode::PLAYER_READY => {}
                Opcode::UDP_CONNECT_CLIENT_ACK if channel == Channel::Fast => {}
                _ => self.drop_packet(peer, DropReason::WrongChannel),
            },
        }
    }

    /// Routes an application message (protocol.md §4.3, §5.7).
    fn route(&mut self, now: Instant, from: PeerId, packet: Packet, channel: Channel) {
        let limit = match channel {
            Channel::Reliable => self.config.max_reliable_payload,
            Channel::Fast => self.config.max_fast_payload,
        };
        if packet.payload.len() > limit {
            self.drop_packet(from, DropReason::Oversized);
            return;
        }
        let target = PeerId(packet.target_player);
        let group = GroupId(packet.target_group);
        let mut relay = Relay::new(&packet, from, channel, &self.config);
        let message = HookMessage {
            opcode: packet.op_code,
            sender: from,
            target_player: target,
            target_group: group,
            payload: &packet.payload,
            reliable: channel == Channel::Reliable,
        };
        if target != PeerId::NONE {
            if target == PeerId::SERVER {
                self.hooks.message(&message);
                return;
            }
            if !(target.is_player() && self.players.contains_key(&target)) {
                self.drop_packet(from, DropReason::UnknownTarget);
                return;
            }
            if !self.hooks.send_to_player(&message) {
                self.drop_packet(from, DropReason::HookRefused);
                return;
            }
            if let Some(player) = self.players.get_mut(&target) {
                relay.transmit(now, player, &mut self.outputs);
            }
        } else if group == GroupId::ALL_PLAYERS || group.0 > 0 {
            let recipients = if group.0 > 0 {
                Recipients::Group(group)
            } else {
                Recipients::All
            };
            if let Recipients::Group(g) = recipients
                && self.config.drop_non_member_group_messages
                && !self
                    .players
                    .get(&from)
                    .is_some_and(|p| p.groups.contains(&g))
            {
                self.drop_packet(from, DropReason::NotGroupMember);
                return;
            }
            if !self.hooks.send_to_group(&message) {
                self.drop_packet(from, DropReason::HookRefused);
                return;
            }
            let echo = self.config.echo_to_sender;
            for (&peer, player) in &mut self.players {
                let member = match recipients {
                    Recipients::All => true,
                    Recipients::Group(g) => player.groups.contains(&g),
                };
                if member && (echo || peer != from) {
                    relay.transmit(now, player, &mut self.outputs);
                }
            }
        } else if group != GroupId::NONE {
            self.drop_packet(from, DropReason::UnknownTarget);
        } else {
            // Neither target set: addressed to the server (protocol.md Q11); never relayed.
            self.hooks.message(&message);
        }
    }

    fn handle_group_command(&mut self, peer: PeerId, op: Opcode, body: Option<Body>) {
        let group = match (op, body) {
            (Opcode::JOIN_GROUP, Some(Body::JoinGroup(b))) => GroupId(b.group),
            (Opcode::LEAVE_GROUP, Some(Body::LeaveGroup(b))) => GroupId(b.group),
            (Opcode::REQUEST_GROUP_MEMBERSHIP, Some(Body::RequestGroupMembership(b))) => {
                GroupId(b.group)
            }
            _ => {
                self.drop_packet(peer, DropReason::MissingBody);
                return;
            }
        };
        let updates = self.config.membership_updates;
        let max_groups = self.config.max_groups_per_player;
        let Some(player) = self.players.get_mut(&peer) else {
            return;
        };
        match op {
            Opcode::JOIN_GROUP if group.0 > 0 && !player.groups.contains(&group) => {
                let full = player.groups.len() >= max_groups;
                if full || !self.hooks.player_join_group(group, peer) {
                    // Refused: the client joined optimistically, so show it the real list.
                    self.drop_packet(peer, DropReason::Refused);
                    self.send_membership(peer, peer, group);
                } else {
                    player.groups.insert(group);
                    if updates {
                        self.broadcast_membership(group, peer, None);
                    }
                }
            }
            Opcode::LEAVE_GROUP if group.0 > 0 && player.groups.contains(&group) => {
                if !self.hooks.player_leave_group(group, peer) {
                    self.drop_packet(peer, DropReason::Refused);
                    self.send_membership(peer, peer, group);
                } else if let Some(player) = self.players.get_mut(&peer) {
                    player.groups.remove(&group);
                    if updates {
                        self.broadcast_membership(group, peer, Some(peer));
                    }
                }
            }
            Opcode::REQUEST_GROUP_MEMBERSHIP => self.send_membership(peer, peer, group),
            // Joining a group one is in, leaving one one is not in, or groups 0 and -1: no
            // change, but the client's optimistic local state is corrected (protocol.md Q16).
            _ if updates => self.send_membership(peer, peer, group),
            _ => {}
        }
    }

    /// Member peer ids of a group, ascending: everyone for -1, nobody for 0 or unknown.
    fn members(&self, group: GroupId) -> Vec<i32> {
        let all = group == GroupId::ALL_PLAYERS;
        self.players
            .iter()
            .filter(|(_, p)| all || p.groups.contains(&group))
            .map(|(peer, _)| peer.0)
            .collect()
    }

    /// Sends a group's membership to one player.
    fn send_membership(&mut self, recipient: PeerId, sender: PeerId, group: GroupId) {
        let members = self.members(group);
        self.push_membership(recipient, sender, group, &members);
    }

    /// Sends a group's membership to all its members and optionally one more player.
    fn broadcast_membership(&mut self, group: GroupId, sender: PeerId, also: Option<PeerId>) {
        let members = self.members(group);
        for recipient in members.iter().map(|&m| PeerId(m)).chain(also) {
            self.push_membership(recipient, sender, group, &members);
        }
    }

    fn push_membership(
        &mut self,
        recipient: PeerId,
        sender: PeerId,
        group: GroupId,
        members: &[i32],
    ) {
        if let Some(player) = self.players.get(&recipient) {
            let frame = packets::membership_update(recipient, sender, group, members);
            self.outputs.push_back(Output::Send {
                conn: player.conn,
                frame,
                droppable: false,
            });
        }
    }

    fn remove_player(&mut self, peer: PeerId, close: Option<CloseReason>) {
        let Some(player) = self.players.remove(&peer) else {
            return;
        };
        self.by_conn.remove(&player.conn);
        if let FastPathState::Bound(addr) | FastPathState::Confirmed(addr) = player.fast.state {
            self.outputs.push_back(Output::Unbind {
                peer,
                addr,
                secure: player.connect_token.is_some(),
            });
        }
        if let Some(reason) = close {
            self.outputs.push_back(Output::Close {
                conn: player.conn,
                reason,
            });
        }
        if self.config.membership_updates {
            for &group in &player.groups {
                self.broadcast_membership(group, PeerId::SERVER, None);
            }
        }
        self.notify_players(peer, false);
        if self.players.is_empty() {
            self.next_tick = None;
            self.next_retransmit = None;
        }
        self.outputs.push_back(Output::PlayerLeft {
            peer,
            player_session_id: player.player_session_id,
        });
    }

    /// PLAYER_CONNECT or PLAYER_DISCONNECT about `peer` to every other player, when enabled.
    fn notify_players(&mut self, peer: PeerId, connected: bool) {
        if !self.config.player_notifications {
            return;
        }
        for (&other, player) in &self.players {
            if other != peer {
                let frame = packets::player_notification(other, peer, connected);
                self.outputs.push_back(Output::Send {
                    conn: player.conn,
                    frame,
                    droppable: false,
                });
            }
        }
    }

    /// Sends a server packet to one player: on the fast channel when asked and confirmed,
    /// else on the WebSocket.
    fn send_to(&mut self, now: Instant, peer: PeerId, mut packet: Packet, channel: Channel) {
        let Some(player) = self.players.get_mut(&peer) else {
            return;
        };
        match player.fast.confirmed_addr() {
            Some(to) if channel == Channel::Fast => {
                packet.reliable = false;
                let seq = player.fast.take_seq(now);
                let packet = FastPacket::new(&packet);
                let secure = player.connect_token.is_some();
                self.outputs.push_back(Output::SendFast {
                    to,
                    secure,
                    seq,
                    packet,
                });
            }
            _ => {
                packet.reliable = true;
                let frame = encode(&packet);
                self.outputs.push_back(Output::Send {
                    conn: player.conn,
                    frame,
                    droppable: false,
                });
            }
        }
    }

    /// UDP_CONNECT_SERVER_ACK over UDP to the bound address (protocol.md §5.3 step 3).
    fn send_server_ack(&mut self, now: Instant, peer: PeerId) {
        let Some(player) = self.players.get_mut(&peer) else {
            return;
        };
        let Some(to) = player.fast.bound_addr() else {
            return;
        };
        let packet = FastPacket::new(&packets::udp_server_ack(peer));
        let seq = player.fast.take_seq(now);
        self.outputs.push_back(Output::SendFast {
            to,
            secure: false,
            seq,
            packet,
        });
    }

    fn send(&mut self, conn: ConnId, frame: Bytes, droppable: bool) {
        self.outputs.push_back(Output::Send {
            conn,
            frame,
            droppable,
        });
    }

    fn drop_packet(&mut self, peer: PeerId, reason: DropReason) {
        self.outputs.push_back(Output::Dropped { peer, reason });
    }
}

/// One relayed message on its way to its recipients: encoded at most once per channel, the
/// bytes shared by every recipient (protocol.md §5.7 step 6).
struct Relay {
    packet: Packet,
    arrived_fast: bool,
    fast_allowed: bool,
    frame: Option<Bytes>,
    fast: Option<FastPacket>,
}

impl Relay {
    fn new(original: &Packet, from: PeerId, channel: Channel, config: &SessionConfig) -> Self {
        let packet = Packet {
            op_code: original.op_code,
            target_player: original.target_player,
            target_group: original.target_group,
            sender: from.0,
            payload: original.payload.clone(),
            ..Default::default()
        };
        let arrived_fast = channel == Channel::Fast;
        let fast_allowed = arrived_fast && packet.payload.len() <= config.max_fast_payload;
        Self {
            packet,
            arrived_fast,
            fast_allowed,
            frame: None,
            fast: None,
        }
    }

    /// Fast recipients with a confirmed path get a datagram; everyone else the WebSocket
    /// frame, droppable when the message was sent with fast intent (protocol.md §5.7 step 7).
    fn transmit(&mut self, now: Instant, player: &mut Player, outputs: &mut VecDeque<Output>) {
        match player.fast.confirmed_addr() {
            Some(to) if self.fast_allowed => {
                let packet = self.fast.get_or_insert_with(|| {
                    self.packet.reliable = false;
                    FastPacket::new(&self.packet)
                });
                let packet = packet.clone();
                let seq = player.fast.take_seq(now);
                outputs.push_back(Output::SendFast {
                    to,
                    secure: player.connect_token.is_some(),
                    seq,
                    packet,
                });
            }
            _ => {
                let frame = self.frame.get_or_insert_with(|| {
                    self.packet.reliable = true;
                    encode(&self.packet)
                });
                outputs.push_back(Output::Send {
                    conn: player.conn,
                    frame: frame.clone(),
                    droppable: self.arrived_fast,
                });
            }
        }
    }
}
