//! Judges a potential match against the rules: each rule's outcome, and the location where
//! the match would be placed. Used strictly (a finished match: every rule must pass) and
//! leniently while a match is being filled, when a rule that cannot be measured yet (the
//! average of a team still empty, a count of players) is [`Outcome::Unknown`] rather than
//! failed.

use std::cmp::Ordering;

use super::compile::{CKind, CStatement, Compiled, Params, Props};
use super::pool::{Entry, Key, LatencyAt, Pool};
use super::state::{MatchState, Member};
use crate::flexmatch::eval::{EvalError, MatchTeam, Value, evaluate};
use crate::flexmatch::{CollectionOp, ComparisonOp, DistanceReference, Operand};

/// Deepest nesting of compound rules followed (the parser allows none; a hand-made rule set
/// naming itself must not recurse for ever).
const MAX_COMPOUND_DEPTH: usize = 16;

/// A rule's outcome for a potential match.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Outcome {
    /// It holds.
    Pass,
    /// It does not, and why.
    Fail(String),
    /// It cannot be measured on this match yet, and why (a failure once the match is final).
    Unknown(String),
}

impl Outcome {
    fn failed(&self) -> bool {
        matches!(self, Outcome::Fail(_))
    }
}

/// The outcomes of a potential match.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Verdict {
    /// Per rule of [`Compiled::top`], in that order.
    pub(super) outcomes: Vec<Outcome>,
    /// Where it would be placed: an index into the pool's locations.
    pub(super) location: Option<usize>,
}

impl Verdict {
    /// Whether every rule passes.
    pub(super) fn passes(&self) -> bool {
        self.outcomes.iter().all(|o| *o == Outcome::Pass)
    }

    /// Whether some rule that did not fail in `before` fails here.
    pub(super) fn breaks_since(&self, before: &Verdict) -> bool {
        self.outcomes
            .iter()
            .zip(&before.outcomes)
            .any(|(now, then)| now.failed() && !then.failed())
    }

    /// The first failing rule: its index in the rule set and why.
    pub(super) fn first_failure(&self, compiled: &Compiled<'_>) -> Option<(usize, String)> {
        self.outcomes
            .iter()
            .zip(&compiled.top)
            .find_map(|(outcome, rule)| match outcome {
                Outcome::Pass => None,
                Outcome::Fail(why) | Outcome::Unknown(why) => Some((*rule, why.clone())),
            })
    }
}

/// How long a potential match of `members` has waited, as the rule set's
/// `expansionAgeSelection` reckons it: its newest ticket's wait, or its oldest's.
pub(super) fn wait(compiled: &Compiled<'_>, pool: &Pool<'_>, members: &[Member]) -> f64 {
    let waits = members.iter().map(|m| pool.entries[m.entry].wait_secs);
    let wait = if compiled.by_oldest() {
        waits.fold(f64::NEG_INFINITY, f64::max)
    } else {
        waits.fold(f64::INFINITY, f64::min)
    };
    if wait.is_finite() { wait } else { 0.0 }
}

/// Whether every team of `state` has between its minimum and maximum players under `params`.
pub(super) fn complete(params: &Params, state: &MatchState) -> bool {
    state.counts.iter().enumerate().all(|(slot, n)| {
        let (min, max) = (params.min[slot] as usize, params.max[slot] as usize);
        *n >= min && *n <= max
    })
}

/// The outcome of every rule for `state` under `params`. With `strict`, what cannot be
/// measured fails.
pub(super) fn judge(
    compiled: &Compiled<'_>,
    params: &Params,
    pool: &Pool<'_>,
    state: &MatchState,
    strict: bool,
) -> Verdict {
    let judge = Judge {
        compiled,
        params,
        pool,
        state,
        strict,
    };
    let (location, latency_failure) = judge.locate();
    let outcomes = compiled
        .top
        .iter()
        .map(|rule| {
            let outcome = match &compiled.rules[*rule].kind {
                CKind::Latency { .. } => match &latency_failure {
                    Some((failing, why)) if failing == rule => Outcome::Fail(why.clone()),
                    _ => Outcome::Pass,
                },
                _ => judge.rule(*rule, 0),
            };
            match outcome {
                Outcome::Unknown(why) if strict => Outcome::Fail(why),
                other => other,
            }
        })
        .collect();
    Verdict { outcomes, location }
}

/// The locations a ticket accepts under the latency rules at `params`, sorted.
pub(super) fn acceptable(
    compiled: &Compiled<'_>,
    params: &Params,
    entry: &Entry<'_>,
) -> Vec<usize> {
    entry
        .latency
        .iter()
        .filter(|at| accepts(compiled, params, at))
        .map(|at| at.location)
        .collect()
}

/// The same as a bit set, bit `i` for location `i`; `None` when there are more locations than
/// bits.
pub(super) fn acceptable_mask(
    compiled: &Compiled<'_>,
    params: &Params,
    entry: &Entry<'_>,
) -> Option<u128> {
    let mut mask = 0u128;
    for at in &entry.latency {
        if accepts(compiled, params, at) {
            mask |= 1u128.checked_shl(u32::try_from(at.location).ok()?)?;
        }
    }
    Some(mask)
}

fn accepts(compiled: &Compiled<'_>, params: &Params, at: &LatencyAt) -> bool {
    compiled
        .latency_rules
        .iter()
        .all(|rule| match &compiled.rules[*rule].kind {
            CKind::Latency { agg, .. } => params.props[*rule]
                .max_latency
                .is_none_or(|max| at.value(*agg) <= max),
            _ => true,
        })
}

struct Judge<'a, 'r, 't> {
    compiled: &'a Compiled<'r>,
    params: &'a Params,
    pool: &'a Pool<'t>,
    state: &'a MatchState,
    strict: bool,
}

impl Judge<'_, '_, '_> {
    fn rule(&self, index: usize, depth: usize) -> Outcome {
        let Some(rule) = self.compiled.rules.get(index) else {
            return Outcome::Fail("no such rule".to_owned());
        };
        if rule.shape && !self.strict {
            return Outcome::Unknown("it counts players, and the match is not full".to_owned());
        }
        let props = &self.params.props[index];
        match &rule.kind {
            CKind::Batch { string, .. } => self.batch(index, *string, props),
            CKind::Compare {
                measurements,
                reference,
                op,
                mode,
            } => self.compare(measurements, reference.as_ref(), *op, *mode, props),
            CKind::Distance {
                measurements,
                reference,
                mode,
            } => self.distance(measurements, reference.as_ref(), *mode, props),
            CKind::Collection {
                measurements,
                reference,
                op,
                mode,
            } => self.collection(measurements, reference.as_ref(), *op, *mode, props),
            CKind::Latency { .. } => match self.locate().1 {
                Some((failing, why)) if failing == index => Outcome::Fail(why),
                _ => Outcome::Pass,
            },
            CKind::Sort { .. } => Outcome::Pass,
            CKind::Compound(statement) => {
                if depth >= MAX_COMPOUND_DEPTH {
                    Outcome::Fail("compound rules nest too deep".to_owned())
                } else {
                    match self.statement(statement, depth + 1) {
                        Some(true) => Outcome::Pass,
                        Some(false) => Outcome::Fail("its statement is false".to_owned()),
                        None => Outcome::Unknown("its statement cannot be told yet".to_owned()),
                    }
                }
            }
        }
    }

    /// A statement's truth, `None` when an operand cannot be measured yet (three-valued).
    fn statement(&self, statement: &CStatement, depth: usize) -> Option<bool> {
        match statement {
            CStatement::Rule(None) => Some(false),
            CStatement::Rule(Some(index)) => match self.rule(*index, depth) {
                Outcome::Pass => Some(true),
                Outcome::Fail(_) => Some(false),
                Outcome::Unknown(_) => None,
            },
            CStatement::Not(op) => self.statement(op, depth).map(|b| !b),
            CStatement::And(ops) => {
                let values: Vec<Option<bool>> =
                    ops.iter().map(|o| self.statement(o, depth)).collect();
                if values.contains(&Some(false)) {
                    Some(false)
                } else if values.contains(&None) {
                    None
                } else {
                    Some(true)
                }
            }
            CStatement::Or(ops) => {
                let values: Vec<Option<bool>> =
                    ops.iter().map(|o| self.statement(o, depth)).collect();
                if values.contains(&Some(true)) {
                    Some(true)
                } else if values.contains(&None) {
                    None
                } else {
                    Some(false)
                }
            }
            CStatement::Xor(ops) => {
                let values: Option<Vec<bool>> =
                    ops.iter().map(|o| self.statement(o, depth)).collect();
                values.map(|v| v.iter().filter(|b| **b).count() == 1)
            }
        }
    }

    fn teams(&self, mode: usize) -> &[MatchTeam] {
        self.state
            .teams
            .get(mode)
            .or_else(|| self.state.teams.first())
            .map_or(&[], Vec::as_slice)
    }

    /// Every ticket's value within `maxDistance` of every other's, or all the same string.
    fn batch(&self, index: usize, string: bool, props: &Props) -> Outcome {
        let mut lowest = f64::INFINITY;
        let mut highest = f64::NEG_INFINITY;
        let mut first: Option<&str> = None;
        for member in &self.state.members {
            match &self.pool.entries[member.entry].keys[index] {
                Key::Num(n) if !string => {
                    if n.is_nan() {
                        return Outcome::Fail("a value is not a number".to_owned());
                    }
                    lowest = lowest.min(*n);
                    highest = highest.max(*n);
                }
                Key::Str(s) if string => match first {
                    Some(f) if f != s => {
                        return Outcome::Fail(format!("players differ: {f:?} and {s:?}"));
                    }
                    _ => first = Some(s),
                },
                Key::Missing(why) => return Outcome::Fail(why.clone()),
                _ => return Outcome::Fail("a value of the wrong type".to_owned()),
            }
        }
        if !string && highest >= lowest {
            let max = props.max_distance.unwrap_or(0.0);
            if !at_most(highest - lowest, max) {
                return Outcome::Fail(format!(
                    "values {lowest} to {highest} are more than {max} apart"
                ));
            }
        }
        Outcome::Pass
    }

    fn compare(
        &self,
        measurements: &[Operand],
        reference: Option<&Operand>,
        op: ComparisonOp,
        mode: usize,
        props: &Props,
    ) -> Outcome {
        let teams = self.teams(mode);
        let mut values = Vec::new();
        for m in measurements {
            match operand(m, teams) {
                Ok(v) => leaves(v, &mut values),
                Err(outcome) => return outcome,
            }
        }
        let reference = match (props.reference, reference) {
            (Some(n), _) => Some(Value::Number(n)),
            (None, None) => None,
            (None, Some(r)) => match operand(r, teams) {
                Ok(v) => match scalar(v) {
                    Some(v) => Some(v),
                    None => return Outcome::Fail("referenceValue is not one value".to_owned()),
                },
                Err(outcome) => return outcome,
            },
        };
        match reference {
            Some(reference) => {
                for value in &values {
                    if !holds(value, op, &reference) {
                        return Outcome::Fail(format!(
                            "{} {} {} does not hold",
                            show(value),
                            op.keyword(),
                            show(&reference)
                        ));
                    }
                }
                Outcome::Pass
            }
            None => {
                let all = |f: &dyn Fn(&Value, &Value) -> bool| -> bool {
                    values
                        .iter()
                        .enumerate()
                        .all(|(i, a)| values[i + 1..].iter().all(|b| f(a, b)))
                };
                let ok = match op {
                    ComparisonOp::Eq => all(&|a, b| holds(a, ComparisonOp::Eq, b)),
                    ComparisonOp::Ne => all(&|a, b| holds(a, ComparisonOp::Ne, b)),
                    _ => false,
                };
                if ok {
                    Outcome::Pass
                } else if op == ComparisonOp::Eq {
                    Outcome::Fail("the players' values are not all equal".to_owned())
                } else {
                    Outcome::Fail("the players' values are not all different".to_owned())
                }
            }
        }
    }

    fn distance(
        &self,
        measurements: &[Operand],
        reference: Option<&Operand>,
        mode: usize,
        props: &Props,
    ) -> Outcome {
        let teams = self.teams(mode);
        let mut values = Vec::new();
        for m in measurements {
            match operand(m, teams) {
                Ok(v) => leaves(v, &mut values),
                Err(outcome) => return outcome,
            }
        }
        let mut numbers = Vec::with_capacity(values.len());
        for value in values {
            match value {
                Value::Number(n) if !n.is_nan() => numbers.push(n),
                other => return Outcome::Fail(format!("{} is not a number", show(&other))),
            }
        }
        let reference = match (props.reference, reference) {
            (Some(n), _) => Some(n),
            (None, None) => None,
            (None, Some(r)) => match operand(r, teams).map(scalar) {
                Ok(Some(Value::Number(n))) if !n.is_nan() => Some(n),
                Ok(_) => return Outcome::Fail("referenceValue is not a number".to_owned()),
                Err(outcome) => return outcome,
            },
        };
        let distances: Vec<f64> = match reference {
            Some(r) => numbers.iter().map(|n| (n - r).abs()).collect(),
            // Without a reference, the distance is the spread of the measurements.
            None if numbers.is_empty() => Vec::new(),
            None => {
                let low = numbers.iter().copied().fold(f64::INFINITY, f64::min);
                let high = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                vec![high - low]
            }
        };
        for d in distances {
            if let Some(max) = props.max_distance
                && !at_most(d, max)
            {
                return Outcome::Fail(format!("a distance of {d} is more than {max}"));
            }
            if let Some(min) = props.min_distance
                && !at_most(min, d)
            {
                return Outcome::Fail(format!("a distance of {d} is less than {min}"));
            }
        }
        Outcome::Pass
    }

    fn collection(
        &self,
        measurements: &[Operand],
        reference: Option<&Operand>,
        op: CollectionOp,
        mode: usize,
        props: &Props,
    ) -> Outcome {
        let teams = self.teams(mode);
        let mut lists: Vec<Vec<String>> = Vec::new();
        for m in measurements {
            match operand(m, teams) {
                Ok(v) => {
                    if let Err(why) = collections(v, &mut lists) {
                        return Outcome::Fail(why);
                    }
                }
                Err(outcome) => return outcome,
            }
        }
        let reference: Vec<String> = match (props.reference, reference) {
            (Some(n), _) => vec![n.to_string()],
            (None, None) => Vec::new(),
            (None, Some(r)) => match operand(r, teams) {
                Ok(v) => {
                    let mut all = Vec::new();
                    leaves(v, &mut all);
                    let strings: Option<Vec<String>> = all.into_iter().map(string).collect();
                    match strings {
                        Some(s) => s,
                        None => {
                            return Outcome::Fail("referenceValue is not strings".to_owned());
                        }
                    }
                }
                Err(outcome) => return outcome,
            },
        };
        let within = |count: usize| -> Option<String> {
            let count = count as f64;
            if let Some(min) = props.min_count
                && count < min
            {
                return Some(format!("a count of {count} is less than {min}"));
            }
            if let Some(max) = props.max_count
                && count > max
            {
                return Some(format!("a count of {count} is more than {max}"));
            }
            None
        };
        let counts: Vec<usize> = match op {
            CollectionOp::Intersection => {
                let mut common: Vec<&String> = Vec::new();
                if let Some((first, rest)) = lists.split_first() {
                    for s in first {
                        if !common.contains(&s) && rest.iter().all(|l| l.contains(s)) {
                            common.push(s);
                        }
                    }
                }
                vec![common.len()]
            }
            CollectionOp::Contains => vec![
                lists
                    .iter()
                    .filter(|l| reference.iter().all(|r| l.contains(r)))
                    .count(),
            ],
            CollectionOp::ReferenceIntersectionCount => lists
                .iter()
                .map(|l| {
                    let mut seen: Vec<&String> = Vec::new();
                    for s in l {
                        if reference.contains(s) && !seen.contains(&s) {
                            seen.push(s);
                        }
                    }
                    seen.len()
                })
                .collect(),
        };
        match counts.into_iter().find_map(within) {
            Some(why) => Outcome::Fail(why),
            None => Outcome::Pass,
        }
    }

    /// The location for the match, and the first latency rule that no location satisfies.
    /// Candidates are the locations every reporting player reported; each latency rule in
    /// turn keeps those where it holds; the one with the lowest average latency wins.
    fn locate(&self) -> (Option<usize>, Option<(usize, String)>) {
        let latency_rules = &self.compiled.latency_rules;
        let entries = || {
            self.state
                .members
                .iter()
                .map(|m| &self.pool.entries[m.entry])
        };
        if let Some(first) = latency_rules.first()
            && let Some(e) = entries().find(|e| e.reporting < e.players.len())
        {
            let player = e
                .ticket
                .players
                .iter()
                .find(|p| p.latency_ms.is_empty())
                .map_or("?", |p| p.id.as_str());
            return (
                None,
                Some((*first, format!("player {player} gave no latencies"))),
            );
        }
        let reporting = || entries().filter(|e| e.reporting > 0);
        let Some(first) = reporting().next() else {
            return (None, None);
        };
        let mut candidates: Vec<usize> = first
            .latency
            .iter()
            .map(|at| at.location)
            .filter(|loc| reporting().all(|e| e.latency_at(*loc).is_some()))
            .collect();
        if candidates.is_empty()
            && let Some(rule) = latency_rules.first()
        {
            return (
                None,
                Some((
                    *rule,
                    "the players reported no location in common".to_owned(),
                )),
            );
        }
        for rule in latency_rules {
            let CKind::Latency { reference, agg } = &self.compiled.rules[*rule].kind else {
                continue;
            };
            let props = &self.params.props[*rule];
            candidates.retain(|loc| {
                let values = || {
                    reporting()
                        .filter_map(|e| e.latency_at(*loc))
                        .map(|at| at.value(*agg))
                };
                let (mut low, mut high, mut sum, mut n) =
                    (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
                for v in values() {
                    low = low.min(v);
                    high = high.max(v);
                    sum += v;
                    n += 1;
                }
                let under = props.max_latency.is_none_or(|max| n == 0 || high <= max);
                let close = props.max_distance.is_none_or(|max| {
                    let base = match reference {
                        DistanceReference::Min => low,
                        DistanceReference::Avg => sum / n.max(1) as f64,
                    };
                    values().all(|v| v - base <= max)
                });
                under && close
            });
            if candidates.is_empty() {
                let max = props.max_latency.unwrap_or(f64::INFINITY);
                return (
                    None,
                    Some((
                        *rule,
                        format!(
                            "no location has every player within {max}ms{}",
                            props
                                .max_distance
                                .map(|d| format!(" and within {d}ms of the reference"))
                                .unwrap_or_default()
                        ),
                    )),
                );
            }
        }
        let average = |loc: usize| -> f64 {
            let (sum, count) = reporting()
                .filter_map(|e| e.latency_at(loc))
                .fold((0.0, 0usize), |(s, c), at| (s + at.sum, c + at.count));
            sum / count.max(1) as f64
        };
        let best = candidates
            .into_iter()
            .min_by(|a, b| average(*a).total_cmp(&average(*b)).then(a.cmp(b)));
        (best, None)
    }
}

/// An operand's value for the match.
fn operand(operand: &Operand, teams: &[MatchTeam]) -> Result<Value, Outcome> {
    match operand {
        Operand::Expr(expr, _) => evaluate(expr, teams).map_err(|e| match e {
            EvalError::Empty(_) => Outcome::Unknown(e.to_string()),
            other => Outcome::Fail(other.to_string()),
        }),
        Operand::Number(n) => Ok(Value::Number(*n)),
        Operand::String(s) => Ok(Value::String(s.clone())),
        Operand::StringList(items) => Ok(Value::List(
            items.iter().cloned().map(Value::String).collect(),
        )),
    }
}

/// Every value at the bottom of nested lists.
fn leaves(value: Value, out: &mut Vec<Value>) {
    match value {
        Value::List(items) => items.into_iter().for_each(|v| leaves(v, out)),
        other => out.push(other),
    }
}

/// One value: itself, or the single element of a list of one.
fn scalar(value: Value) -> Option<Value> {
    match value {
        Value::List(mut items) if items.len() == 1 => items.pop().and_then(scalar),
        Value::List(_) => None,
        other => Some(other),
    }
}

fn string(value: Value) -> Option<String> {
    match value {
        Value::String(s) | Value::Player(s) => Some(s),
        _ => None,
    }
}

/// The string collections in a value: a list of strings is one; a list of lists holds them.
fn collections(value: Value, out: &mut Vec<Vec<String>>) -> Result<(), String> {
    match value {
        Value::List(items)
            if items
                .iter()
                .all(|v| matches!(v, Value::String(_) | Value::Player(_))) =>
        {
            out.push(items.into_iter().filter_map(string).collect());
            Ok(())
        }
        Value::List(items) => items.into_iter().try_for_each(|v| match v {
            Value::List(_) => collections(v, out),
            Value::String(s) | Value::Player(s) => {
                out.push(vec![s]);
                Ok(())
            }
            other => Err(format!("{} is not a string", show(&other))),
        }),
        Value::String(s) | Value::Player(s) => {
            out.push(vec![s]);
            Ok(())
        }
        other => Err(format!("{} is not a list of strings", show(&other))),
    }
}

/// Whether `a op b`; numbers compare as numbers (NaN never holds), strings as strings, other
/// pairs never hold.
fn holds(a: &Value, op: ComparisonOp, b: &Value) -> bool {
    let ordering = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::String(x) | Value::Player(x), Value::String(y) | Value::Player(y)) => {
            Some(x.cmp(y))
        }
        _ => None,
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        ComparisonOp::Eq => ordering == Ordering::Equal,
        ComparisonOp::Ne => ordering != Ordering::Equal,
        ComparisonOp::Lt => ordering == Ordering::Less,
        ComparisonOp::Le => ordering != Ordering::Greater,
        ComparisonOp::Gt => ordering == Ordering::Greater,
        ComparisonOp::Ge => ordering != Ordering::Less,
    }
}

/// `x <= max`, false when either is NaN.
fn at_most(x: f64, max: f64) -> bool {
    x <= max
}

fn show(value: &Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) | Value::Player(s) => format!("{s:?}"),
        Value::Map(_) => "a map".to_owned(),
        Value::List(_) => "a list".to_owned(),
    }
}
