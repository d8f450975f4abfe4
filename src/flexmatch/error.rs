//! [`RuleSetError`]: every problem [`super::parse`] found in a rule set, each with the place it
//! is at, so that one answer to `ValidateMatchmakingRuleSet` lists all that needs fixing.

use std::fmt;

/// Most problems reported for one rule set; beyond it the message says how many were left
/// out, so that a hostile body cannot make the answer huge.
pub const MAX_PROBLEMS: usize = 32;

/// Why a rule set was refused: every problem found, in body order (parsing does not stop at
/// the first). Its `Display` is the message an `InvalidRequestException` carries.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RuleSetError {
    /// The problems, at most [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`] and left out.
    pub omitted: usize,
}

/// One problem and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: `teams[red].maxPlayers`, `rules[FairSkill].measurements`, `rules[2]` (an item
    /// without a usable name is named by its index), or `body` for the text as a whole.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl fmt::Display for RuleSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid rule set: ")?;
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        if self.omitted > 0 {
            write!(f, "; and {} more", self.omitted)?;
        }
        Ok(())
    }
}

/// Collects problems while a rule set is read.
#[derive(Default)]
pub(crate) struct Problems {
    found: Vec<Problem>,
    omitted: usize,
}

impl Problems {
    pub(crate) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        if self.found.len() < MAX_PROBLEMS {
            self.found.push(Problem {
                path: path.into(),
                message: message.into(),
            });
        } else {
            self.omitted += 1;
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    pub(crate) fn into_error(self) -> RuleSetError {
        RuleSetError {
            problems: self.found,
            omitted: self.omitted,
        }
    }
}

/// The candidate closest to `name` by edit distance, if close enough to be a likely typo.
pub(crate) fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|candidate| (distance(name, candidate), candidate))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate.to_owned())
}

/// Levenshtein distance, on short names only (longer ones are never suggested).
fn distance(a: &str, b: &str) -> usize {
    const LONGEST: usize = 64;
    let a: Vec<char> = a.chars().take(LONGEST + 1).collect();
    let b: Vec<char> = b.chars().take(LONGEST + 1).collect();
    if a.len() > LONGEST || b.len() > LONGEST {
        return usize::MAX;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}
