//! Property expressions: the small language that rules use in `measurements` and
//! `referenceValue` to name player data in a potential match, such as
//! `avg(teams[*].players.attributes[skill])`. [`parse`] turns text into an [`Expr`];
//! [`Expr::check`] infers its [`ExprType`] against the rule set's player attributes and teams.
//!
//! Grammar (whitespace is allowed between tokens):
//!
//! ```text
//! expr     := function "(" expr ")" | players
//! function := min | max | avg | median | sum | count | stddev | flatten | set_intersection
//! players  := ("teams" | "team") "[" selector "]" ".players" field?
//!           | "players" field?
//! selector := "*" | name ("," name)*
//! field    := ".attributes[" name "]" | ".playerId"
//! ```

use std::fmt;

use super::attributes::AttributeType;
use super::cursor::Cursor;

/// Deepest nesting of function calls an expression may have; deeper text is refused rather
/// than recursed into, as expressions come from the network.
pub const MAX_DEPTH: usize = 16;

/// A parsed property expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// Players of the match: `teams[..].players...` or `players...`.
    Players {
        /// Which teams; [`TeamSelector::Match`] for `players...`.
        teams: TeamSelector,
        /// What of each player, if anything.
        field: Option<PlayerField>,
    },
    /// An aggregation applied to the value of its argument.
    Call {
        /// The function.
        func: Func,
        /// Its argument.
        arg: Box<Expr>,
    },
}

/// The teams a `teams[..]` path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TeamSelector {
    /// `teams[*]`: every team, one list per team.
    All,
    /// `teams[red]`: one team, its players as one list.
    One(String),
    /// `teams[red,blue]`: these teams, one list per team.
    Some(Vec<String>),
    /// `players`: every player of the match as one list.
    Match,
}

/// What a path takes from each player.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlayerField {
    /// `.attributes[name]`.
    Attribute(String),
    /// `.playerId`.
    PlayerId,
}

/// An aggregation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// Smallest number.
    Min,
    /// Largest number.
    Max,
    /// Mean.
    Avg,
    /// Median.
    Median,
    /// Sum.
    Sum,
    /// Number of elements (of any type).
    Count,
    /// Standard deviation.
    Stddev,
    /// A list of lists made one list.
    Flatten,
    /// The strings found in every one of a list of string lists.
    SetIntersection,
}

impl Func {
    const ALL: [(Func, &'static str); 9] = [
        (Func::Min, "min"),
        (Func::Max, "max"),
        (Func::Avg, "avg"),
        (Func::Median, "median"),
        (Func::Sum, "sum"),
        (Func::Count, "count"),
        (Func::Stddev, "stddev"),
        (Func::Flatten, "flatten"),
        (Func::SetIntersection, "set_intersection"),
    ];

    /// The function's name in the language.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(func, _)| *func == self)
            .map_or("?", |(_, name)| name)
    }

    fn from_name(name: &str) -> Option<Func> {
        Self::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(func, _)| *func)
    }

    fn numeric(self) -> bool {
        matches!(
            self,
            Func::Min | Func::Max | Func::Avg | Func::Median | Func::Sum | Func::Stddev
        )
    }
}

/// The element type at the bottom of an expression's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// A number.
    Number,
    /// A string (a `string` attribute, an element of a `string_list`, a player id).
    String,
    /// A `string_number_map` attribute.
    Map,
    /// A player (a path without a field).
    Player,
}

/// The type of an expression's value: `depth` levels of lists around a `base`, so
/// `teams[*].players.attributes[skill]` is a list (per team) of lists (of players) of
/// numbers: depth 2. A `string_list` attribute adds one level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExprType {
    /// Element type.
    pub base: Base,
    /// Levels of lists.
    pub depth: u8,
}

impl ExprType {
    /// A single number.
    pub const NUMBER: ExprType = ExprType {
        base: Base::Number,
        depth: 0,
    };
}

impl fmt::Display for ExprType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = match self.base {
            Base::Number => "number",
            Base::String => "string",
            Base::Map => "string_number_map",
            Base::Player => "player",
        };
        for _ in 0..self.depth {
            f.write_str("list of ")?;
        }
        f.write_str(base)
    }
}

/// What [`Expr::check`] knows of the rule set.
pub trait Scope {
    /// The declared type of a player attribute.
    fn attribute(&self, name: &str) -> Option<AttributeType>;
    /// Whether a team of this name is defined.
    fn has_team(&self, name: &str) -> bool;
    /// A declared name close to `name`, for a hint.
    fn suggest_attribute(&self, name: &str) -> Option<String>;
}

impl Expr {
    /// The expression's type, or why it has none: an unknown attribute or team, or a
    /// function applied to values it does not take.
    pub fn check(&self, scope: &dyn Scope) -> Result<ExprType, String> {
        match self {
            Expr::Players { teams, field } => {
                let names: &[String] = match teams {
                    TeamSelector::One(name) => std::slice::from_ref(name),
                    TeamSelector::Some(names) => names,
                    TeamSelector::All | TeamSelector::Match => &[],
                };
                if let Some(unknown) = names.iter().find(|name| !scope.has_team(name)) {
                    return Err(format!("unknown team {unknown}"));
                }
                let depth = match teams {
                    TeamSelector::One(_) | TeamSelector::Match => 1,
                    TeamSelector::All | TeamSelector::Some(_) => 2,
                };
                let (base, extra) = match field {
                    None => (Base::Player, 0),
                    Some(PlayerField::PlayerId) => (Base::String, 0),
                    Some(PlayerField::Attribute(name)) => match scope.attribute(name) {
                        Some(AttributeType::Number) => (Base::Number, 0),
                        Some(AttributeType::String) => (Base::String, 0),
                        Some(AttributeType::StringList) => (Base::String, 1),
                        Some(AttributeType::StringNumberMap) => (Base::Map, 0),
                        None => {
                            let hint = scope
                                .suggest_attribute(name)
                                .map(|s| format!(" (did you mean {s}?)"))
                                .unwrap_or_default();
                            return Err(format!("unknown player attribute {name}{hint}"));
                        }
                    },
                };
                Ok(ExprType {
                    base,
                    depth: depth + extra,
                })
            }
            Expr::Call { func, arg } => {
                let inner = arg.check(scope)?;
                let fits = match func {
                    _ if func.numeric() => inner.base == Base::Number && inner.depth >= 1,
                    Func::Count => inner.depth >= 1,
                    Func::Flatten => inner.depth >= 2,
                    Func::SetIntersection => inner.base == Base::String && inner.depth >= 2,
                    _ => false,
                };
                if !fits {
                    return Err(format!("{}() cannot take a {inner}", func.name()));
                }
                let base = if *func == Func::Count {
                    Base::Number
                } else {
                    inner.base
                };
                Ok(ExprType {
                    base,
                    depth: inner.depth - 1,
                })
            }
        }
    }

    /// Every player attribute the expression reads.
    pub fn attributes(&self) -> Vec<&str> {
        match self {
            Expr::Players {
                field: Some(PlayerField::Attribute(name)),
                ..
            } => vec![name.as_str()],
            Expr::Players { .. } => Vec::new(),
            Expr::Call { arg, .. } => arg.attributes(),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Players { teams, field } => {
                match teams {
                    TeamSelector::All => f.write_str("teams[*].players")?,
                    TeamSelector::One(name) => write!(f, "teams[{name}].players")?,
                    TeamSelector::Some(names) => write!(f, "teams[{}].players", names.join(","))?,
                    TeamSelector::Match => f.write_str("players")?,
                }
                match field {
                    None => Ok(()),
                    Some(PlayerField::PlayerId) => f.write_str(".playerId"),
                    Some(PlayerField::Attribute(name)) => write!(f, ".attributes[{name}]"),
                }
            }
            Expr::Call { func, arg } => write!(f, "{}({arg})", func.name()),
        }
    }
}

/// Whether `text` looks like a property expression rather than a literal string: it starts
/// with a function call or a players path. A `referenceValue` string is an expression only
/// then, so `"casual"` stays a literal.
pub fn looks_like_expression(text: &str) -> bool {
    let text = text.trim_start();
    let word: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let rest = text[word.len()..].trim_start();
    (Func::from_name(&word).is_some() && rest.starts_with('('))
        || ((word == "teams" || word == "team") && rest.starts_with('['))
        || (word == "players" && (rest.is_empty() || rest.starts_with('.')))
}

/// Parses a property expression.
pub fn parse(text: &str) -> Result<Expr, String> {
    Cursor::read_all(text, |cursor| cursor.expr(0))
}

impl Cursor<'_> {
    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.error(&format!("expected {token:?}")))
        }
    }

    fn word(&mut self) -> &str {
        self.skip_space();
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        let start = self.pos;
        self.pos += len;
        &self.text[start..self.pos]
    }

    /// A name inside brackets: anything up to `]` or `,`, trimmed.
    fn name(&mut self) -> Result<String, String> {
        self.skip_space();
        let len = self
            .rest()
            .find([']', ',', '[', '(', ')'])
            .unwrap_or(self.rest().len());
        let name = self.rest()[..len].trim().to_owned();
        if name.is_empty() {
            return Err(self.error("expected a name"));
        }
        self.pos += len;
        Ok(name)
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, String> {
        if depth >= MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} calls")));
        }
        let start = self.pos;
        let word = self.word().to_owned();
        if let Some(func) = Func::from_name(&word) {
            self.expect("(")?;
            let arg = self.expr(depth + 1)?;
            self.expect(")")?;
            return Ok(Expr::Call {
                func,
                arg: Box::new(arg),
            });
        }
        let teams = match word.as_str() {
            "teams" | "team" => {
                self.expect("[")?;
                let teams = if self.eat("*") {
                    TeamSelector::All
                } else {
                    let mut names = vec![self.name()?];
                    while self.eat(",") {
                        names.push(self.name()?);
                    }
                    if names.len() == 1 {
                        TeamSelector::One(names.remove(0))
                    } else {
                        TeamSelector::Some(names)
                    }
                };
                self.expect("]")?;
                self.expect(".")?;
                if self.word() != "players" {
                    return Err(self.error("expected players"));
                }
                teams
            }
            "players" => TeamSelector::Match,
            "" => return Err(self.error("expected an expression")),
            _ => {
                self.pos = start;
                self.skip_space();
                return Err(self.error(&format!(
                    "unknown function or path {word:?} (functions: {})",
                    Func::ALL.map(|(_, name)| name).join(", ")
                )));
            }
        };
        let field = if self.eat(".") {
            match self.word() {
                "attributes" => {
                    self.expect("[")?;
                    let name = self.name()?;
                    self.expect("]")?;
                    Some(PlayerField::Attribute(name))
                }
                "playerId" => Some(PlayerField::PlayerId),
                _ => return Err(self.error("expected attributes[..] or playerId")),
            }
        } else {
            None
        };
        Ok(Expr::Players { teams, field })
    }
}
