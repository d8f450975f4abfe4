//! The sans-IO relay core: one [`Session`] per game session (players, groups, routing,
//! liveness, fast-path binding).
//!
//! No sockets, no tokio, no clock or randomness of its own. The contract, as in quinn's
//! `Connection`:
//!
//! ```text
//! host: session.handle_*(now, input)        one input at a time, with the current time
//!       while let Some(out) = session.poll_output() { perform it, never awaiting a peer }
//!       sleep until session.poll_timeout(); then session.handle_timeout(now)
//! ```
//!
//! Every output is data: a frame for a connection, a datagram for an address, a close, a
//! player joining or leaving, a dropped packet with its reason. Tests feed inputs and assert
//! exactly these outputs (see `tests.rs`).

mod config;
mod hooks;
mod packets;
mod rate;
mod session;
mod types;

pub use config::SessionConfig;
pub use hooks::{HookMessage, Hooks, NoHooks};
pub use packets::login_refused_frame;
pub use rate::RateLimit;
pub use session::{LoginRequest, Output, ServerMessage, ServerTarget, Session};
pub use types::{
    Channel, CloseReason, ConnId, DropReason, GameSessionId, LoginRefusal, PeerIds, SecureLogin,
};

#[cfg(test)]
mod tests;
