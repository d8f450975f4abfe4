//! `volley::client`: a Rust game client that behaves on the wire like the official GameLift
//! Realtime C# client SDK 1.2.0 in plain mode (connection type 0: `ws://` plus plain UDP),
//! as protocol.md §1, §2, §5.1-§5.3, §5.5, §5.7-§5.9 and §5.11 describe it, and in secure mode
//! (connection type 1, [`SecureConfig`]): `wss://` plus DTLS 1.2 on the fast channel, §5.4.
//!
//! This module owns the client side of a connection: the WebSocket upgrade and LOGIN
//! ([`Client::connect`]), the UDP binding handshake, channel choice and sequence numbers for
//! sends, the fast-channel receive filter, the local group set, and the event stream. Server
//! tests, the `volley client` CLI and the `volley bench` load generator use it.
//!
//! Each [`Client`] is a cheap handle on one background task that owns the WebSocket and the
//! UDP socket; handle and task talk over bounded channels. No thread and no large buffer per
//! client, so one process can run thousands.
//!
//! ```no_run
//! # async fn demo() -> Result<(), volley::client::ClientError> {
//! use volley::client::{Client, ClientConfig, ConnectionToken, Event, RtMessage};
//! use volley::protocol::{GroupId, Opcode};
//!
//! let token = ConnectionToken::new("psess-1", "hello");
//! let mut client = Client::connect("127.0.0.1", 1935, token, ClientConfig::default()).await?;
//! client.send(RtMessage::to_group(Opcode(10), GroupId::ALL_PLAYERS, "hi")).await?;
//! while let Some(event) = client.next_event().await {
//!     if let Event::Data(data) = event {
//!         println!("{} sent {:?}", data.sender, data.payload);
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod connect;
mod driver;
mod dtls;
mod types;
mod wss;

pub use connect::Client;
pub use types::{
    Channel, ClientConfig, ConnectionState, ConnectionToken, DataReceived, DeliveryIntent, Event,
    MAX_FAST_PAYLOAD, MAX_PAYLOAD, RtMessage, SecureConfig,
};

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TCP connection or WebSocket upgrade failed, or the WebSocket broke during login.
    #[error("websocket connection failed: {0}")]
    Connect(#[source] Box<tokio_tungstenite::tungstenite::Error>),
    /// The server answered LOGIN with `success = false` or without a result body.
    #[error("login refused by the server")]
    LoginRefused,
    /// The connection is closed (or closed during login); nothing was sent.
    #[error("connection closed")]
    Closed,
    /// The payload exceeds [`MAX_PAYLOAD`]; nothing was sent.
    #[error("payload of {len} bytes exceeds the {MAX_PAYLOAD}-byte limit")]
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
    },
    /// The command queue is full ([`Client::try_send`] only); nothing was sent.
    #[error("command queue full")]
    QueueFull,
    /// The operation did not finish in time.
    #[error("timed out")]
    Timeout,
    /// The fast channel is disabled in [`ClientConfig`], so it never becomes ready.
    #[error("fast channel disabled")]
    FastChannelDisabled,
    /// The server sent something the protocol does not allow here.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The TLS settings are unusable or the TLS handshake failed (secure mode).
    #[error("tls: {0}")]
    Tls(String),
    /// The DTLS handshake of the secure fast channel failed.
    #[error("dtls failed: {0}")]
    Dtls(String),
    /// A socket or name-resolution error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests;
