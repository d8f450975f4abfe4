//! The `statement` of a compound rule: `and(..)`, `or(..)`, `xor(..)` and `not(..)` over the
//! names of other rules, such as `or(and(SeriousPlayers, VeryCloseSkill), CasualPlayers)`.
//! [`parse`] builds the tree; the rule set checks that the names exist (`rules.rs`).

use std::fmt;

use super::cursor::Cursor;

/// Deepest nesting of operators a statement may have; deeper text is refused rather than
/// recursed into.
pub const MAX_DEPTH: usize = 16;

/// A compound rule's statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    /// Another rule, by name.
    Rule(String),
    /// True when every operand is.
    And(Vec<Statement>),
    /// True when any operand is.
    Or(Vec<Statement>),
    /// True when exactly one operand is.
    Xor(Vec<Statement>),
    /// True when its operand is not.
    Not(Box<Statement>),
}

impl Statement {
    /// Every rule name the statement refers to, in order of appearance.
    pub fn rules(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.collect(&mut names);
        names
    }

    fn collect<'a>(&'a self, names: &mut Vec<&'a str>) {
        match self {
            Statement::Rule(name) => names.push(name),
            Statement::And(ops) | Statement::Or(ops) | Statement::Xor(ops) => {
                ops.iter().for_each(|op| op.collect(names));
            }
            Statement::Not(op) => op.collect(names),
        }
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (op, ops) = match self {
            Statement::Rule(name) => return f.write_str(name),
            Statement::Not(op) => return write!(f, "not({op})"),
            Statement::And(ops) => ("and", ops),
            Statement::Or(ops) => ("or", ops),
            Statement::Xor(ops) => ("xor", ops),
        };
        write!(f, "{op}(")?;
        for (i, operand) in ops.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{operand}")?;
        }
        f.write_str(")")
    }
}

/// Parses a statement. `and`, `or` and `xor` take two operands or more, `not` exactly one.
pub fn parse(text: &str) -> Result<Statement, String> {
    Cursor::read_all(text, |cursor| cursor.statement(0))
}

impl Cursor<'_> {
    fn statement(&mut self, depth: usize) -> Result<Statement, String> {
        if depth >= MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} operators")));
        }
        self.skip_space();
        let len = self
            .rest()
            .find(['(', ')', ','])
            .unwrap_or(self.rest().len());
        let word = self.rest()[..len].trim().to_owned();
        self.pos += len;
        if word.is_empty() {
            return Err(self.error("expected a rule name or operator"));
        }
        if !self.eat("(") {
            return Ok(Statement::Rule(word));
        }
        let mut operands = vec![self.statement(depth + 1)?];
        while self.eat(",") {
            operands.push(self.statement(depth + 1)?);
        }
        if !self.eat(")") {
            return Err(self.error("expected \")\" or \",\""));
        }
        let arity = |want: &str, ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{word}() takes {want} operands, not {}",
                    operands.len()
                ))
            }
        };
        match word.as_str() {
            "and" | "or" | "xor" => arity("two or more", operands.len() >= 2)?,
            "not" => arity("exactly one", operands.len() == 1)?,
            _ => {
                return Err(format!(
                    "unknown operator {word:?} (operators: and, or, xor, not)"
                ));
            }
        }
        Ok(match word.as_str() {
            "and" => Statement::And(operands),
            "or" => Statement::Or(operands),
            "xor" => Statement::Xor(operands),
            _ => Statement::Not(Box::new(operands.remove(0))),
        })
    }
}
