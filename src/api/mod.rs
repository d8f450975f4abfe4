//! The control API's wire contract: the operations it serves ([`Operation`]), shared by the
//! server side (`control`, private: its handlers reach the host) and Volley's own client
//! ([`crate::control_client`], public: it runs with no server in the process). Both
//! sides read the same list here, so neither restates what the other knows. This module
//! depends on nothing of the server.

pub mod ids;
mod operation;

pub use operation::{GAMELIFT_PREFIX, Operation, VOLLEY_PREFIX};
