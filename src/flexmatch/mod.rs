//! FlexMatch rule sets: the rule language (version 1.0) that `CreateMatchmakingRuleSet` and
//! `ValidateMatchmakingRuleSet` take, parsed and checked into typed structures. Pure functions:
//! no sockets, store or clock, so the control API and the matchmaker share one reading of a
//! rule set and tests need nothing else.
//!
//! - [`parse`] reads a body into a [`RuleSet`] or a [`RuleSetError`] listing every problem
//!   with its place (`teams[red].maxPlayers: must be at least minPlayers`).
//! - [`expr`]: property expressions such as `avg(teams[*].players.attributes[skill])`.
//! - [`compound`]: the statements of compound rules, such as `or(and(A, B), C)`.
//! - [`eval`]: an expression's value for a potential match (teams, players, attributes).
//! - [`matcher`]: proposes matches from searching tickets, and checks a match against the rules.
//!
//! What of the AWS language is and is not supported is in `docs/flexmatch.md`.

mod attributes;
pub mod compound;
mod cursor;
mod error;
pub mod eval;
pub mod expr;
pub mod matcher;
mod read;
mod rules;

pub use attributes::{AttributeType, AttributeValue};
pub use error::{MAX_PROBLEMS, Problem, RuleSetError};
pub use read::parse;
pub use rules::*;

#[cfg(test)]
mod tests;
