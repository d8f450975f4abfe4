//! Volley: a self-hosted relay game server, wire-compatible with GameLift Realtime Servers.

pub mod core;
pub mod protocol;
