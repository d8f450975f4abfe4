//! Decisions a game session asks of its server script (scripts.md §2): may this
//! player log in, join or leave a group, may this message be delivered, and messages for the
//! server itself. The core calls [`Hooks`] synchronously where the answer matters; the host
//! implements it with the script engine, tests with plain closures. Every method defaults to
//! the contract's default (accept, deliver), so a session without hooks pays nothing.

use crate::protocol::{GroupId, PeerId};

/// A player's message as a hook sees it (the script API's `gameMessage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HookMessage<'a> {
    /// The application opcode.
    pub opcode: i32,
    /// The player who sent it.
    pub sender: PeerId,
    /// The target player; [`PeerId::NONE`] for a group message, [`PeerId::SERVER`] for the
    /// server.
    pub target_player: PeerId,
    /// The target group; [`GroupId::NONE`] for a message to a player or the server.
    pub target_group: GroupId,
    /// The payload bytes.
    pub payload: &'a [u8],
    /// True if it came over the WebSocket.
    pub reliable: bool,
}

/// The script's say in a game session. Called from inside the core's `handle_*` methods, so
/// implementations must not call back into the core: effects they want (sends, ending the
/// session) are queued and fed to the core as inputs afterwards.
pub trait Hooks {
    /// A LOGIN passed the player-session check and got `peer`; false refuses it.
    fn player_connect(&mut self, peer: PeerId, player_session_id: &str, payload: &[u8]) -> bool {
        let _ = (peer, player_session_id, payload);
        true
    }

    /// A player asks to join a group; false refuses.
    fn player_join_group(&mut self, group: GroupId, peer: PeerId) -> bool {
        let _ = (group, peer);
        true
    }

    /// A player asks to leave a group; false refuses.
    fn player_leave_group(&mut self, group: GroupId, peer: PeerId) -> bool {
        let _ = (group, peer);
        true
    }

    /// A message to another player, before delivery; false drops it.
    fn send_to_player(&mut self, message: &HookMessage<'_>) -> bool {
        let _ = message;
        true
    }

    /// A message to a group (or all players), before delivery; false drops it.
    fn send_to_group(&mut self, message: &HookMessage<'_>) -> bool {
        let _ = message;
        true
    }

    /// A message addressed to the server.
    fn message(&mut self, message: &HookMessage<'_>) {
        let _ = message;
    }
}

/// No script: a pure relay.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHooks;

impl Hooks for NoHooks {}

/// A game session that may or may not run a script.
impl<H: Hooks> Hooks for Option<H> {
    fn player_connect(&mut self, peer: PeerId, player_session_id: &str, payload: &[u8]) -> bool {
        self.as_mut()
            .is_none_or(|h| h.player_connect(peer, player_session_id, payload))
    }

    fn player_join_group(&mut self, group: GroupId, peer: PeerId) -> bool {
        self.as_mut()
            .is_none_or(|h| h.player_join_group(group, peer))
    }

    fn player_leave_group(&mut self, group: GroupId, peer: PeerId) -> bool {
        self.as_mut()
            .is_none_or(|h| h.player_leave_group(group, peer))
    }

    fn send_to_player(&mut self, message: &HookMessage<'_>) -> bool {
        self.as_mut().is_none_or(|h| h.send_to_player(message))
    }

    fn send_to_group(&mut self, message: &HookMessage<'_>) -> bool {
        self.as_mut().is_none_or(|h| h.send_to_group(message))
    }

    fn message(&mut self, message: &HookMessage<'_>) {
        if let Some(h) = self.as_mut() {
            h.message(message);
        }
    }
}
