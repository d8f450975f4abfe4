//! Sockets to host messages and back: the WebSocket listener ([`ws`]) over plain TCP or TLS
//! ([`stream`]), and the shared fast-channel UDP socket ([`udp`]) with its DTLS
//! associations ([`dtls`]).

pub(crate) mod accept;
pub(crate) mod dtls;
mod limiter;
pub(crate) mod stream;
pub(crate) mod udp;
pub(crate) mod ws;
