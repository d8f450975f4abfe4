//! The control API's wire contract, shared by the server side (`control`) and Volley's own
//! client ([`crate::control_client`]), so neither restates what the other knows. It is a
//! module of its own because `control` is private and reaches into the host, while the client
//! is public and runs with no server in the process: both can use this one. It holds every
//! operation the API serves ([`Operation`]), one input and one output type per operation
//! ([`Request`], in a module per group: [`game_sessions`], [`player_sessions`], [`fleets`],
//! [`locations`], [`scripts`], [`aliases`], [`queues`],
//! [`placements`], [`rule_sets`], [`matchmaking_configurations`],
//! [`admin`]), the objects they carry
//! ([`model`]), the model's constraints on input members ([`validate`]) and the errors
//! ([`ApiError`]). Types are named after the GameLift model's shapes
//! (`CreateGameSessionInput`, `GameSession`), which is the reference
//! for their members; serde gives the wire form (AWS JSON 1.1: PascalCase members, absent
//! optional members omitted). It depends on nothing of the server but the fleet id rule of
//! [`crate::config`].
//!
//! Adding an operation: a variant of [`Operation`], an input and an output type with a
//! [`Request`] impl, a handler in `control`, and a test.

pub mod admin;
pub mod aliases;
mod error;
pub mod fleets;
pub mod game_sessions;
pub mod ids;
pub mod locations;
pub mod matchmaking_configurations;
pub mod model;
mod operation;
pub mod placements;
pub mod player_sessions;
pub mod queues;
pub mod rule_sets;
pub mod scripts;
pub mod tickets;
pub mod validate;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use error::{ApiError, ErrorType};
pub use operation::{GAMELIFT_PREFIX, Operation, VOLLEY_PREFIX};

/// The input of one operation: what it is called with, and what it answers.
pub trait Request: Serialize + DeserializeOwned {
    /// The operation this is the input of.
    const OPERATION: Operation;
    /// The operation's output.
    type Output: Serialize + DeserializeOwned;

    /// Checks the members against the model's constraints beyond their JSON types, in the
    /// order the operation reports them; what depends on the server's state (does this fleet
    /// exist?) is the handler's to check.
    fn validate(&self) -> Result<(), ApiError> {
        Ok(())
    }
}
