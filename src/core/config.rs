//! The rules of one game session, as plain values; the host builds them from the TOML config.

use std::time::Duration;

use super::RateLimit;

/// Per-session rules. Defaults are Volley's choices (protocol.md §9).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionConfig {
    /// Most players connected at once (GameLift `maxPlayers`, protocol.md Q19).
    pub max_players: usize,
    /// Most groups one player may be in; bounds what a client can make the server hold.
    pub max_groups_per_player: usize,
    /// Group messages come back to their sender (protocol.md Q1).
    pub echo_to_sender: bool,
    /// Send PLAYER_CONNECT / PLAYER_DISCONNECT to the other players (protocol.md Q2).
    pub player_notifications: bool,
    /// Send GROUP_MEMBERSHIP_UPDATE to members on join and leave (protocol.md Q3).
    pub membership_updates: bool,
    /// Drop group messages from players outside the group (protocol.md Q22).
    pub drop_non_member_group_messages: bool,
    /// How often the server pings each WebSocket (GameLift `pingIntervalTime`).
    pub ping_interval: Duration,
    /// A player from whom nothing arrived for this long is disconnected (protocol.md Q9).
    pub idle_timeout: Duration,
    /// Send a UDP keepalive to a bound peer after this much UDP silence; `None` disables
    /// (protocol.md Q8).
    pub udp_keepalive: Option<Duration>,
    /// First retransmission delay of the server's UDP ack; doubles each time (protocol.md Q6).
    pub udp_ack_retry: Duration,
    /// How many times the server's UDP ack is retransmitted without a client ack.
    pub udp_ack_retries: u32,
    /// Bind UDP only from the player's WebSocket IP (protocol.md Q13).
    pub check_udp_source_ip: bool,
    /// Drop incoming UDP packets whose sequence number is not above the last one (protocol.md Q25).
    pub filter_stale_udp: bool,
    /// Largest payload accepted on the WebSocket (protocol.md §6).
    pub max_reliable_payload: usize,
    /// Largest payload accepted or sent on the fast channel (protocol.md §6).
    pub max_fast_payload: usize,
    /// The UDP port announced in LOGIN_RESULT.
    pub fast_port: u16,
    /// What each player may send; `None`: no limit.
    pub player_rate: Option<RateLimit>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            max_players: 32,
            max_groups_per_player: 256,
            echo_to_sender: true,
            player_notifications: false,
            membership_updates: true,
            drop_non_member_group_messages: true,
            ping_interval: Duration::from_millis(3000),
            idle_timeout: Duration::from_secs(30),
            udp_keepalive: Some(Duration::from_secs(5)),
            udp_ack_retry: Duration::from_millis(100),
            udp_ack_retries: 8,
            check_udp_source_ip: true,
            filter_stale_udp: true,
            max_reliable_payload: 4096,
            max_fast_payload: 1200,
            fast_port: 1935,
            player_rate: Some(RateLimit {
                per_sec: 1000,
                burst: 2000,
                close_after: Some(Duration::from_secs(10)),
            }),
        }
    }
}
