//! Evaluates a property expression ([`Expr`]) over a potential match: teams of players with
//! their attribute values. Pure and total: a missing attribute or a function given values it
//! cannot take is an [`EvalError`], never a panic. Player attribute defaults are the caller's
//! to fill in before.
//!
//! An aggregation given a list of lists applies to each inner list and gives a list, so
//! `avg(teams[*].players.attributes[skill])` is each team's average skill.

use std::collections::BTreeMap;

use super::attributes::AttributeValue;
use super::expr::{Expr, Func, PlayerField, TeamSelector};

/// A team of a potential match.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatchTeam {
    /// The team's name, as the rule set defines it.
    pub name: String,
    /// Its players.
    pub players: Vec<MatchPlayer>,
}

/// A player of a potential match.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatchPlayer {
    /// The player id.
    pub id: String,
    /// Attribute values by name.
    pub attributes: BTreeMap<String, AttributeValue>,
}

/// The value of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// A string.
    String(String),
    /// A `string_number_map` attribute.
    Map(BTreeMap<String, f64>),
    /// A player, by id (a path without a field).
    Player(String),
    /// A list.
    List(Vec<Value>),
}

/// Why an expression has no value for a match.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A player lacks an attribute the expression reads.
    #[error("player {player} has no attribute {attribute}")]
    MissingAttribute {
        /// The player id.
        player: String,
        /// The attribute.
        attribute: String,
    },
    /// The match has no team of this name.
    #[error("no team {0} in the match")]
    UnknownTeam(String),
    /// min, max, avg, median or stddev of an empty list.
    #[error("{0}() of an empty list")]
    Empty(&'static str),
    /// A function was given a value it does not take.
    #[error("{0}() cannot take this value")]
    Mismatch(&'static str),
}

/// The value of `expr` for the match made of `teams`.
pub fn evaluate(expr: &Expr, teams: &[MatchTeam]) -> Result<Value, EvalError> {
    match expr {
        Expr::Players {
            teams: selector,
            field,
        } => {
            let players = |team: &MatchTeam| -> Result<Value, EvalError> {
                team.players
                    .iter()
                    .map(|p| player_value(p, field.as_ref()))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List)
            };
            let find = |name: &str| {
                teams
                    .iter()
                    .find(|t| t.name == name)
                    .ok_or_else(|| EvalError::UnknownTeam(name.to_owned()))
            };
            match selector {
                TeamSelector::One(name) => players(find(name)?),
                TeamSelector::Some(names) => names
                    .iter()
                    .map(|name| players(find(name)?))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List),
                TeamSelector::All => teams
                    .iter()
                    .map(players)
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List),
                TeamSelector::Match => teams
                    .iter()
                    .flat_map(|t| &t.players)
                    .map(|p| player_value(p, field.as_ref()))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::List),
            }
        }
        Expr::Call { func, arg } => apply(*func, evaluate(arg, teams)?),
    }
}

fn player_value(player: &MatchPlayer, field: Option<&PlayerField>) -> Result<Value, EvalError> {
    let name = match field {
        None => return Ok(Value::Player(player.id.clone())),
        Some(PlayerField::PlayerId) => return Ok(Value::String(player.id.clone())),
        Some(PlayerField::Attribute(name)) => name,
    };
    let value = player
        .attributes
        .get(name)
        .ok_or_else(|| EvalError::MissingAttribute {
            player: player.id.clone(),
            attribute: name.clone(),
        })?;
    Ok(match value {
        AttributeValue::Number(n) => Value::Number(*n),
        AttributeValue::String(s) => Value::String(s.clone()),
        AttributeValue::StringList(items) => {
            Value::List(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::StringNumberMap(map) => Value::Map(map.clone()),
    })
}

fn apply(func: Func, value: Value) -> Result<Value, EvalError> {
    let name = func.name();
    let Value::List(items) = value else {
        return Err(EvalError::Mismatch(name));
    };
    let nested = !items.is_empty() && items.iter().all(|v| matches!(v, Value::List(_)));
    match func {
        Func::Flatten => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::List(inner) => out.extend(inner),
                    _ => return Err(EvalError::Mismatch(name)),
                }
            }
            Ok(Value::List(out))
        }
        Func::SetIntersection => {
            // A list of string lists intersects; a list of such lists does so per inner list.
            let strings = |v: &Value| matches!(v, Value::List(l) if l.iter().all(|s| matches!(s, Value::String(_))));
            if items.iter().all(strings) {
                let mut lists = items.into_iter().map(|v| match v {
                    Value::List(l) => l,
                    _ => Vec::new(),
                });
                let first = lists.next().unwrap_or_default();
                let rest: Vec<Vec<Value>> = lists.collect();
                let mut out: Vec<Value> = Vec::new();
                for s in first {
                    if rest.iter().all(|l| l.contains(&s)) && !out.contains(&s) {
                        out.push(s);
                    }
                }
                Ok(Value::List(out))
            } else if nested {
                per_item(func, items)
            } else {
                Err(EvalError::Mismatch(name))
            }
        }
        Func::Count if nested => per_item(func, items),
        Func::Count => Ok(Value::Number(items.len() as f64)),
        _ if nested => per_item(func, items),
        _ => {
            let numbers = items
                .iter()
                .map(|v| match v {
                    Value::Number(n) => Ok(*n),
                    _ => Err(EvalError::Mismatch(name)),
                })
                .collect::<Result<Vec<f64>, _>>()?;
            numeric(func, numbers).map(Value::Number)
        }
    }
}

fn per_item(func: Func, items: Vec<Value>) -> Result<Value, EvalError> {
    items
        .into_iter()
        .map(|item| apply(func, item))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::List)
}

fn numeric(func: Func, mut numbers: Vec<f64>) -> Result<f64, EvalError> {
    let name = func.name();
    if func == Func::Sum {
        return Ok(numbers.iter().sum());
    }
    if numbers.is_empty() {
        return Err(EvalError::Empty(name));
    }
    let len = numbers.len() as f64;
    let mean = numbers.iter().sum::<f64>() / len;
    Ok(match func {
        Func::Min => numbers.iter().copied().fold(f64::INFINITY, f64::min),
        Func::Max => numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Func::Avg => mean,
        Func::Median => {
            numbers.sort_by(f64::total_cmp);
            let mid = numbers.len() / 2;
            if numbers.len().is_multiple_of(2) {
                (numbers[mid - 1] + numbers[mid]) / 2.0
            } else {
                numbers[mid]
            }
        }
        // Population standard deviation: the players measured are the whole match.
        Func::Stddev => (numbers.iter().map(|n| (n - mean).powi(2)).sum::<f64>() / len).sqrt(),
        _ => return Err(EvalError::Mismatch(name)),
    })
}
