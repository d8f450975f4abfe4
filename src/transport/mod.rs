//! Sockets to host messages and back: the WebSocket listener ([`ws`]) and the shared
//! fast-channel UDP socket ([`udp`]).

pub(crate) mod udp;
pub(crate) mod ws;
