//! The rule set made ready for matching, once per call: the teams of a match with `quantity`
//! copies named as GameLift names them, rules with their expressions pointed at those copies,
//! which rules are evaluated directly and which only through a compound statement, and the
//! values of every expandable property after each expansion step ([`Params`]).

use std::collections::BTreeSet;

use crate::flexmatch::compound::Statement;
use crate::flexmatch::expr::{Expr, Func, PlayerField, TeamSelector};
use crate::flexmatch::{
    AttributeType, BatchingPreference, CollectionAggregation, CollectionOp, ComparisonOp,
    DistanceReference, ExpansionAgeSelection, ExpansionTarget, MAX_PLAYERS, MapKey, Operand,
    PartyAggregation, RuleKind, RuleSet, SortDirection, StepValue, Strategy,
};

/// Most `waitTimeSeconds` values the expansion table is built for; a rule set that the
/// parser accepted has at most 50 expansions of 50 steps, so this only bounds hand-made ones.
const MAX_THRESHOLDS: usize = 2_500;

/// The rule set as the matcher uses it.
pub(super) struct Compiled<'r> {
    /// The rule set itself.
    pub(super) rule_set: &'r RuleSet,
    /// Every team of a match, in rule set order, copies of a team with `quantity` > 1 named
    /// `<name>1`, `<name>2`, ...
    pub(super) slots: Vec<Slot>,
    /// The rules, in rule set order.
    pub(super) rules: Vec<CRule>,
    /// The rules a match must pass itself, in rule set order: all but sort rules and the rules
    /// a compound statement names (those count only through the statement).
    pub(super) top: Vec<usize>,
    /// The latency rules of `top`.
    pub(super) latency_rules: Vec<usize>,
    /// The batch distance rules of `top`.
    pub(super) batch_rules: Vec<usize>,
    /// The party aggregations the rules' expressions are evaluated under.
    pub(super) modes: Vec<Mode>,
    /// The distinct `waitTimeSeconds` of every expansion step, ascending.
    pub(super) thresholds: Vec<f64>,
    /// The expanded values once `i` thresholds are reached (`table[0]`: none).
    pub(super) table: Vec<Params>,
    /// The number attribute teams are balanced on, if any.
    pub(super) balance: Option<String>,
    /// Whether this is a large match, built by the balanced strategy.
    pub(super) large: bool,
    /// Why no match can be made at all with this rule set (two teams with one name, more
    /// players than a match may have), if so.
    pub(super) unusable: Option<String>,
}

/// One team of a match.
pub(super) struct Slot {
    /// Its name in the match.
    pub(super) name: String,
    /// Its team definition, an index into the rule set's teams.
    pub(super) def: usize,
}

/// A rule, ready to evaluate.
pub(super) struct CRule {
    /// Its name.
    pub(super) name: String,
    /// What it checks.
    pub(super) kind: CKind,
    /// Whether it measures the shape of the match (counts players), so that a match still
    /// being filled cannot be judged by it.
    pub(super) shape: bool,
}

/// What a rule checks; properties that expansions change are in [`Props`].
pub(super) enum CKind {
    /// `batchDistance`.
    Batch {
        attribute: String,
        string: bool,
        agg: PartyAggregation,
    },
    /// `comparison`.
    Compare {
        measurements: Vec<Operand>,
        reference: Option<Operand>,
        op: ComparisonOp,
        mode: usize,
    },
    /// `collection`.
    Collection {
        measurements: Vec<Operand>,
        reference: Option<Operand>,
        op: CollectionOp,
        mode: usize,
    },
    /// `distance`.
    Distance {
        measurements: Vec<Operand>,
        reference: Option<Operand>,
        mode: usize,
    },
    /// `latency`.
    Latency {
        reference: DistanceReference,
        agg: PartyAggregation,
    },
    /// `absoluteSort`: orders candidates, never fails.
    Sort {
        attribute: String,
        direction: SortDirection,
        map_key: Option<MapKey>,
        agg: PartyAggregation,
    },
    /// `compound`, its rule names resolved to indices.
    Compound(CStatement),
}

/// A compound statement over rule indices.
pub(super) enum CStatement {
    Rule(Option<usize>),
    And(Vec<CStatement>),
    Or(Vec<CStatement>),
    Xor(Vec<CStatement>),
    Not(Box<CStatement>),
}

/// How the players of one ticket make one value before a rule reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// Numbers: the party's mean.
    Avg,
    /// Numbers: the party's smallest.
    Min,
    /// Numbers: the party's largest.
    Max,
    /// String lists: every value of any member.
    Union,
    /// String lists: the values every member has.
    Intersection,
}

impl From<PartyAggregation> for Mode {
    fn from(agg: PartyAggregation) -> Self {
        match agg {
            PartyAggregation::Avg => Mode::Avg,
            PartyAggregation::Min => Mode::Min,
            PartyAggregation::Max => Mode::Max,
        }
    }
}

impl From<CollectionAggregation> for Mode {
    fn from(agg: CollectionAggregation) -> Self {
        match agg {
            CollectionAggregation::Union => Mode::Union,
            CollectionAggregation::Intersection => Mode::Intersection,
        }
    }
}

/// The rule set's values at one wait: team sizes, rule properties, batching preference.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Params {
    /// Per slot.
    pub(super) min: Vec<u32>,
    /// Per slot.
    pub(super) max: Vec<u32>,
    /// Per rule.
    pub(super) props: Vec<Props>,
    /// `algorithm.batchingPreference`.
    pub(super) batching: BatchingPreference,
}

impl Params {
    /// Most players a match may have.
    pub(super) fn capacity(&self) -> usize {
        self.max.iter().map(|m| *m as usize).sum()
    }
}

/// A rule's expandable numeric properties, as they stand at one wait.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Props {
    pub(super) max_distance: Option<f64>,
    pub(super) min_distance: Option<f64>,
    pub(super) max_latency: Option<f64>,
    pub(super) min_count: Option<f64>,
    pub(super) max_count: Option<f64>,
    /// A `referenceValue` set by an expansion, replacing the rule's own.
    pub(super) reference: Option<f64>,
}

impl<'r> Compiled<'r> {
    /// Prepares `rule_set`. Never fails: what makes matching impossible is kept in
    /// [`Compiled::unusable`].
    pub(super) fn new(rule_set: &'r RuleSet) -> Self {
        let mut unusable = None;
        let total_slots: u64 = rule_set.teams.iter().map(|t| u64::from(t.quantity)).sum();
        let mut slots = Vec::new();
        if total_slots > MAX_PLAYERS || rule_set.max_players() > MAX_PLAYERS {
            unusable = Some(format!(
                "the teams allow more than {MAX_PLAYERS} players or teams in a match"
            ));
        } else {
            for (def, team) in rule_set.teams.iter().enumerate() {
                if team.quantity <= 1 {
                    slots.push(Slot {
                        name: team.name.clone(),
                        def,
                    });
                } else {
                    for copy in 1..=team.quantity {
                        slots.push(Slot {
                            name: format!("{}{copy}", team.name),
                            def,
                        });
                    }
                }
            }
            let mut names = BTreeSet::new();
            if let Some(twice) = slots.iter().find(|s| !names.insert(s.name.as_str())) {
                unusable = Some(format!("two teams of a match are named {}", twice.name));
            }
        }
        if slots.is_empty() && unusable.is_none() {
            unusable = Some("the rule set has no teams".to_owned());
        }

        let copies = |name: &str| -> Option<Vec<String>> {
            let def = rule_set.teams.iter().position(|t| t.name == name)?;
            (rule_set.teams[def].quantity > 1).then(|| {
                slots
                    .iter()
                    .filter(|s| s.def == def)
                    .map(|s| s.name.clone())
                    .collect()
            })
        };

        let mut modes: Vec<Mode> = Vec::new();
        let mut mode_of = |mode: Mode| -> usize {
            if let Some(i) = modes.iter().position(|m| *m == mode) {
                i
            } else {
                modes.push(mode);
                modes.len() - 1
            }
        };
        let names: Vec<&str> = rule_set.rules.iter().map(|r| r.name.as_str()).collect();
        let mut rules = Vec::with_capacity(rule_set.rules.len());
        let mut in_compound = BTreeSet::new();
        for rule in &rule_set.rules {
            let operands = |list: &[Operand]| -> Vec<Operand> {
                list.iter().map(|o| rewrite_operand(o, &copies)).collect()
            };
            let (kind, operands_read): (CKind, Vec<Operand>) = match &rule.kind {
                RuleKind::BatchDistance {
                    batch_attribute,
                    party_aggregation,
                    ..
                } => (
                    CKind::Batch {
                        attribute: batch_attribute.clone(),
                        string: rule_set
                            .attribute(batch_attribute)
                            .is_some_and(|a| a.kind == AttributeType::String),
                        agg: *party_aggregation,
                    },
                    Vec::new(),
                ),
                RuleKind::Comparison {
                    measurements,
                    reference_value,
                    operation,
                    party_aggregation,
                } => {
                    let measurements = operands(measurements);
                    let reference = reference_value
                        .as_ref()
                        .map(|r| rewrite_operand(r, &copies));
                    let read = measurements.iter().chain(&reference).cloned().collect();
                    (
                        CKind::Compare {
                            measurements,
                            reference,
                            op: *operation,
                            mode: mode_of(Mode::from(*party_aggregation)),
                        },
                        read,
                    )
                }
                RuleKind::Collection {
                    measurements,
                    reference_value,
                    operation,
                    party_aggregation,
                    ..
                } => {
                    let measurements = operands(measurements);
                    let reference = reference_value
                        .as_ref()
                        .map(|r| rewrite_operand(r, &copies));
                    let read = measurements.iter().chain(&reference).cloned().collect();
                    (
                        CKind::Collection {
                            measurements,
                            reference,
                            op: *operation,
                            mode: mode_of(Mode::from(*party_aggregation)),
                        },
                        read,
                    )
                }
                RuleKind::Distance {
                    measurements,
                    reference_value,
                    party_aggregation,
                    ..
                } => {
                    let measurements = operands(measurements);
                    let reference = reference_value
                        .as_ref()
                        .map(|r| rewrite_operand(r, &copies));
                    let read = measurements.iter().chain(&reference).cloned().collect();
                    (
                        CKind::Distance {
                            measurements,
                            reference,
                            mode: mode_of(Mode::from(*party_aggregation)),
                        },
                        read,
                    )
                }
                RuleKind::Latency {
                    distance_reference,
                    party_aggregation,
                    ..
                } => (
                    CKind::Latency {
                        reference: *distance_reference,
                        agg: *party_aggregation,
                    },
                    Vec::new(),
                ),
                RuleKind::AbsoluteSort {
                    sort_direction,
                    sort_attribute,
                    map_key,
                    party_aggregation,
                } => (
                    CKind::Sort {
                        attribute: sort_attribute.clone(),
                        direction: *sort_direction,
                        map_key: *map_key,
                        agg: *party_aggregation,
                    },
                    Vec::new(),
                ),
                RuleKind::Compound { statement } => {
                    for name in statement.rules() {
                        in_compound.insert(name.to_owned());
                    }
                    (CKind::Compound(resolve(statement, &names)), Vec::new())
                }
            };
            let shape = operands_read.iter().any(|o| match o {
                Operand::Expr(e, _) => counts_players(e),
                _ => false,
            });
            rules.push(CRule {
                name: rule.name.clone(),
                kind,
                shape,
            });
        }
        let top: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                !matches!(r.kind, CKind::Sort { .. }) && !in_compound.contains(&r.name)
            })
            .map(|(i, _)| i)
            .collect();
        let of_kind = |latency: bool| -> Vec<usize> {
            top.iter()
                .copied()
                .filter(|r| match rules[*r].kind {
                    CKind::Latency { .. } => latency,
                    CKind::Batch { .. } => !latency,
                    _ => false,
                })
                .collect()
        };
        let latency_rules = of_kind(true);
        let batch_rules = of_kind(false);

        let mut thresholds: Vec<f64> = rule_set
            .expansions
            .iter()
            .flat_map(|e| e.steps.iter().map(|s| s.wait_time_seconds))
            .filter(|w| w.is_finite())
            .collect();
        thresholds.sort_by(f64::total_cmp);
        thresholds.dedup();
        thresholds.truncate(MAX_THRESHOLDS);
        let table = (0..=thresholds.len())
            .map(|reached| {
                let wait = if reached == 0 {
                    f64::NEG_INFINITY
                } else {
                    thresholds[reached - 1]
                };
                params_at(rule_set, &slots, wait)
            })
            .collect();

        let large = rule_set.is_large() || rule_set.algorithm.strategy == Strategy::Balanced;
        let balance = if large {
            rule_set.algorithm.balanced_attribute.clone()
        } else {
            balance_attribute(rule_set, &rules)
        };
        Compiled {
            rule_set,
            slots,
            rules,
            top,
            latency_rules,
            batch_rules,
            modes,
            thresholds,
            table,
            balance,
            large,
            unusable,
        }
    }

    /// The expanded values for a potential match whose wait is `wait_secs`.
    pub(super) fn params(&self, wait_secs: f64) -> &Params {
        &self.table[self.level(wait_secs)]
    }

    /// The index into [`Compiled::table`] of the values at `wait_secs`.
    pub(super) fn level(&self, wait_secs: f64) -> usize {
        let reached = self.thresholds.partition_point(|t| *t <= wait_secs);
        // `table` has one entry more than `thresholds`, so this is always in it.
        reached.min(self.table.len() - 1)
    }

    /// Whether expansions follow the oldest ticket of a match rather than the newest.
    pub(super) fn by_oldest(&self) -> bool {
        self.rule_set.algorithm.expansion_age_selection == ExpansionAgeSelection::Oldest
    }

    /// Whether the rule set has a latency rule that a match must pass.
    pub(super) fn has_latency(&self) -> bool {
        !self.latency_rules.is_empty()
    }
}

/// The values at `wait` seconds: every expansion step whose `waitTimeSeconds` is at most
/// `wait` applies, the last one of each expansion winning.
fn params_at(rule_set: &RuleSet, slots: &[Slot], wait: f64) -> Params {
    let mut team_min: Vec<u32> = rule_set.teams.iter().map(|t| t.min_players).collect();
    let mut team_max: Vec<u32> = rule_set.teams.iter().map(|t| t.max_players).collect();
    let mut batching = rule_set.algorithm.batching_preference;
    let mut props: Vec<Props> = rule_set
        .rules
        .iter()
        .map(|rule| match &rule.kind {
            RuleKind::BatchDistance { max_distance, .. } => Props {
                max_distance: *max_distance,
                ..Props::default()
            },
            RuleKind::Collection {
                min_count,
                max_count,
                ..
            } => Props {
                min_count: *min_count,
                max_count: *max_count,
                ..Props::default()
            },
            RuleKind::Distance {
                min_distance,
                max_distance,
                ..
            } => Props {
                min_distance: *min_distance,
                max_distance: *max_distance,
                ..Props::default()
            },
            RuleKind::Latency {
                max_latency,
                max_distance,
                ..
            } => Props {
                max_latency: Some(*max_latency),
                max_distance: *max_distance,
                ..Props::default()
            },
            _ => Props::default(),
        })
        .collect();
    for expansion in &rule_set.expansions {
        let Some(step) = expansion
            .steps
            .iter()
            .filter(|s| s.wait_time_seconds <= wait)
            .max_by(|a, b| a.wait_time_seconds.total_cmp(&b.wait_time_seconds))
        else {
            continue;
        };
        let number = match &step.value {
            StepValue::Number(n) => Some(*n),
            StepValue::BatchingPreference(_) => None,
        };
        let players = number.map(|n| n.clamp(0.0, f64::from(u32::MAX)) as u32);
        let teams = |name: &Option<String>| -> Vec<usize> {
            (0..rule_set.teams.len())
                .filter(|i| name.as_ref().is_none_or(|n| rule_set.teams[*i].name == *n))
                .collect()
        };
        match (&expansion.target, &step.value) {
            (ExpansionTarget::TeamMinPlayers(name), _) => {
                if let Some(players) = players {
                    teams(name).into_iter().for_each(|i| team_min[i] = players);
                }
            }
            (ExpansionTarget::TeamMaxPlayers(name), _) => {
                if let Some(players) = players {
                    teams(name).into_iter().for_each(|i| team_max[i] = players);
                }
            }
            (ExpansionTarget::BatchingPreference, StepValue::BatchingPreference(pref)) => {
                batching = *pref;
            }
            (ExpansionTarget::BatchingPreference, _) => {}
            (ExpansionTarget::Rule { rule, property }, _) => {
                let (Some(i), Some(value)) =
                    (rule_set.rules.iter().position(|r| r.name == *rule), number)
                else {
                    continue;
                };
                let p = &mut props[i];
                match property.as_str() {
                    "maxDistance" => p.max_distance = Some(value),
                    "minDistance" => p.min_distance = Some(value),
                    "maxLatency" => p.max_latency = Some(value),
                    "minCount" => p.min_count = Some(value),
                    "maxCount" => p.max_count = Some(value),
                    "referenceValue" => p.reference = Some(value),
                    _ => {}
                }
            }
        }
    }
    Params {
        min: slots.iter().map(|s| team_min[s.def]).collect(),
        max: slots.iter().map(|s| team_max[s.def]).collect(),
        props,
        batching,
    }
}

/// `operand` with `teams[red]` made `teams[red1,red2,...]` where red has copies.
fn rewrite_operand(operand: &Operand, copies: &dyn Fn(&str) -> Option<Vec<String>>) -> Operand {
    match operand {
        Operand::Expr(expr, ty) => Operand::Expr(rewrite(expr, copies), *ty),
        other => other.clone(),
    }
}

fn rewrite(expr: &Expr, copies: &dyn Fn(&str) -> Option<Vec<String>>) -> Expr {
    match expr {
        Expr::Call { func, arg } => Expr::Call {
            func: *func,
            arg: Box::new(rewrite(arg, copies)),
        },
        Expr::Players { teams, field } => {
            let teams = match teams {
                TeamSelector::One(name) => match copies(name) {
                    Some(names) => TeamSelector::Some(names),
                    None => TeamSelector::One(name.clone()),
                },
                TeamSelector::Some(names) => TeamSelector::Some(
                    names
                        .iter()
                        .flat_map(|n| copies(n).unwrap_or_else(|| vec![n.clone()]))
                        .collect(),
                ),
                other => other.clone(),
            };
            Expr::Players {
                teams,
                field: field.clone(),
            }
        }
    }
}

/// Whether an expression counts players, so that its value depends on how full the match is
/// rather than on who is in it.
fn counts_players(expr: &Expr) -> bool {
    match expr {
        Expr::Call {
            func: Func::Count, ..
        } => true,
        Expr::Call { arg, .. } => counts_players(arg),
        Expr::Players { field, .. } => field.is_none(),
    }
}

fn resolve(statement: &Statement, names: &[&str]) -> CStatement {
    let all = |ops: &[Statement]| ops.iter().map(|s| resolve(s, names)).collect();
    match statement {
        Statement::Rule(name) => CStatement::Rule(names.iter().position(|n| n == name)),
        Statement::And(ops) => CStatement::And(all(ops)),
        Statement::Or(ops) => CStatement::Or(all(ops)),
        Statement::Xor(ops) => CStatement::Xor(all(ops)),
        Statement::Not(op) => CStatement::Not(Box::new(resolve(op, names))),
    }
}

/// The number attribute a small match balances its teams on: the first that a comparison or
/// distance rule aggregates per team (`avg(teams[*].players.attributes[skill])`).
fn balance_attribute(rule_set: &RuleSet, rules: &[CRule]) -> Option<String> {
    fn per_team(expr: &Expr, under_call: bool) -> Option<&str> {
        match expr {
            Expr::Call { func, arg } => {
                let numeric = !matches!(func, Func::Count | Func::Flatten | Func::SetIntersection);
                per_team(arg, under_call || numeric)
            }
            Expr::Players {
                teams: TeamSelector::All | TeamSelector::Some(_) | TeamSelector::One(_),
                field: Some(PlayerField::Attribute(name)),
            } if under_call => Some(name),
            Expr::Players { .. } => None,
        }
    }
    rules.iter().find_map(|rule| {
        let operands: Vec<&Operand> = match &rule.kind {
            CKind::Compare {
                measurements,
                reference,
                ..
            }
            | CKind::Distance {
                measurements,
                reference,
                ..
            } => measurements.iter().chain(reference).collect(),
            _ => return None,
        };
        operands.into_iter().find_map(|o| match o {
            Operand::Expr(e, _) => per_team(e, false)
                .filter(|name| {
                    rule_set
                        .attribute(name)
                        .is_some_and(|a| a.kind == AttributeType::Number)
                })
                .map(str::to_owned),
            _ => None,
        })
    })
}
