//! The rule set types: what [`super::parse`] makes of a valid rule set body, with AWS's
//! defaults filled in, for the matchmaker to use without looking at JSON again.

use super::attributes::{AttributeType, AttributeValue};
use super::compound::Statement;
use super::expr::{Expr, ExprType};

/// Longest rule set body, in characters (the API's limit on `RuleSetBody`).
pub const MAX_BODY_CHARS: usize = 65_535;
/// Most players a match may have: the sum of every team's `maxPlayers` times its `quantity`.
pub const MAX_PLAYERS: u64 = 200;
/// Above this many players a rule set is a large match.
pub const LARGE_MATCH_PLAYERS: u64 = 40;
/// Most team definitions (Volley's limit; the player limit bounds teams anyway).
pub const MAX_TEAMS: usize = 50;
/// Most player attributes (Volley's limit).
pub const MAX_ATTRIBUTES: usize = 50;
/// Most rules (Volley's limit).
pub const MAX_RULES: usize = 50;
/// Most expansions, and most steps in one (Volley's limits).
pub const MAX_EXPANSIONS: usize = 50;

/// A parsed, valid rule set.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSet {
    /// The body's own `name`, if any (not the resource's name).
    pub name: Option<String>,
    /// Declared player attributes, in body order.
    pub player_attributes: Vec<PlayerAttribute>,
    /// How matches are built.
    pub algorithm: Algorithm,
    /// Team definitions, in body order.
    pub teams: Vec<Team>,
    /// Rules, in body order.
    pub rules: Vec<Rule>,
    /// Relaxations over time.
    pub expansions: Vec<Expansion>,
}

impl RuleSet {
    /// Most players a match can have: every team's `maxPlayers` times its `quantity`.
    pub fn max_players(&self) -> u64 {
        self.teams
            .iter()
            .map(|team| u64::from(team.max_players) * u64::from(team.quantity))
            .sum()
    }

    /// Whether this is a large match (more than 40 players), built by the balanced
    /// algorithm.
    pub fn is_large(&self) -> bool {
        self.max_players() > LARGE_MATCH_PLAYERS
    }

    /// A declared attribute, by name.
    pub fn attribute(&self, name: &str) -> Option<&PlayerAttribute> {
        self.player_attributes.iter().find(|a| a.name == name)
    }

    /// A rule, by name.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

/// A declared player attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct PlayerAttribute {
    /// Its name, as tickets send it.
    pub name: String,
    /// Its type.
    pub kind: AttributeType,
    /// The value a player without one gets.
    pub default: Option<AttributeValue>,
}

/// The `algorithm` section, with AWS's defaults filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Algorithm {
    /// `strategy`: exhaustive search for small matches, balanced for large ones.
    pub strategy: Strategy,
    /// `batchingPreference`; defaults to random (exhaustive search) or largest population
    /// (balanced).
    pub batching_preference: BatchingPreference,
    /// `sortByAttributes`, for the sorted batching preference.
    pub sort_by_attributes: Vec<String>,
    /// `expansionAgeSelection`; defaults to newest.
    pub expansion_age_selection: ExpansionAgeSelection,
    /// `backfillPriority`; defaults to normal.
    pub backfill_priority: BackfillPriority,
    /// `balancedAttribute`: the number attribute large matches balance teams on.
    pub balanced_attribute: Option<String>,
}

macro_rules! keyword_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            const KEYWORDS: &'static [($name, &'static str)] = &[$(($name::$variant, $text)),+];

            /// The keyword in the rule language.
            pub fn keyword(self) -> &'static str {
                Self::KEYWORDS
                    .iter()
                    .find(|(v, _)| *v == self)
                    .map_or("?", |(_, k)| k)
            }

            pub(super) fn from_keyword(text: &str) -> Option<Self> {
                Self::KEYWORDS.iter().find(|(_, k)| *k == text).map(|(v, _)| *v)
            }

            pub(super) fn choices() -> String {
                Self::KEYWORDS.iter().map(|(_, k)| *k).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

keyword_enum!(
    /// `algorithm.strategy`.
    Strategy {
        /// Builds each match around the oldest ticket of a batch, evaluating every rule.
        ExhaustiveSearch = "exhaustiveSearch",
        /// Fills large matches fast, then balances teams on one attribute.
        Balanced = "balanced",
    }
);

keyword_enum!(
    /// `algorithm.batchingPreference`.
    BatchingPreference {
        /// No pre-sorting (exhaustive search).
        Random = "random",
        /// Sorted by `sortByAttributes` (exhaustive search).
        Sorted = "sorted",
        /// By the locations where most players have acceptable latency (balanced).
        LargestPopulation = "largestPopulation",
        /// By each player's lowest-latency location (balanced).
        FastestRegion = "fastestRegion",
    }
);

keyword_enum!(
    /// `algorithm.expansionAgeSelection`.
    ExpansionAgeSelection {
        /// Expansions follow the newest ticket's wait.
        Newest = "newest",
        /// Expansions follow the oldest ticket's wait.
        Oldest = "oldest",
    }
);

keyword_enum!(
    /// `algorithm.backfillPriority`.
    BackfillPriority {
        /// Backfill tickets compete with new ones.
        Normal = "normal",
        /// Backfill tickets go after new ones.
        Low = "low",
        /// Backfill tickets go first.
        High = "high",
    }
);

keyword_enum!(
    /// `partyAggregation` of numeric rules: how a party's values make one.
    PartyAggregation {
        /// The mean.
        Avg = "avg",
        /// The smallest.
        Min = "min",
        /// The largest.
        Max = "max",
    }
);

keyword_enum!(
    /// `partyAggregation` of a collection rule.
    CollectionAggregation {
        /// Every value of any party member.
        Union = "union",
        /// The values every party member has.
        Intersection = "intersection",
    }
);

keyword_enum!(
    /// A comparison rule's `operation`.
    ComparisonOp {
        /// `=`.
        Eq = "=",
        /// `!=`.
        Ne = "!=",
        /// `<`.
        Lt = "<",
        /// `<=`.
        Le = "<=",
        /// `>`.
        Gt = ">",
        /// `>=`.
        Ge = ">=",
    }
);

keyword_enum!(
    /// A collection rule's `operation`.
    CollectionOp {
        /// How many values the measured collections share.
        Intersection = "intersection",
        /// How many measured collections contain the reference value.
        Contains = "contains",
        /// How many values each measured collection shares with the reference.
        ReferenceIntersectionCount = "reference_intersection_count",
    }
);

keyword_enum!(
    /// A latency rule's `distanceReference`.
    DistanceReference {
        /// Distance from the lowest latency of the match.
        Min = "min",
        /// Distance from the average latency of the match.
        Avg = "avg",
    }
);

keyword_enum!(
    /// An absolute sort rule's `sortDirection`.
    SortDirection {
        /// Smallest first.
        Ascending = "ascending",
        /// Largest first.
        Descending = "descending",
    }
);

keyword_enum!(
    /// An absolute sort rule's `mapKey`, for a `string_number_map` attribute.
    MapKey {
        /// The map's smallest value.
        MinValue = "minValue",
        /// The map's largest value.
        MaxValue = "maxValue",
    }
);

/// A team definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// Its name, unique in the rule set.
    pub name: String,
    /// Fewest players the team may start with.
    pub min_players: u32,
    /// Most players the team may have.
    pub max_players: u32,
    /// How many teams of this definition a match has (1 unless given).
    pub quantity: u32,
}

/// A rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Its name, unique in the rule set.
    pub name: String,
    /// Its `description`.
    pub description: Option<String>,
    /// Its type and that type's properties.
    pub kind: RuleKind,
}

/// A `measurements` or `referenceValue` value: a property expression or a literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A property expression, with its type.
    Expr(Expr, ExprType),
    /// A number.
    Number(f64),
    /// A string that is not an expression.
    String(String),
    /// A list of literal strings (a collection rule's reference).
    StringList(Vec<String>),
}

/// A rule's type and its properties.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleKind {
    /// `batchDistance`: batches tickets by one attribute.
    BatchDistance {
        /// `batchAttribute`: a number or string attribute.
        batch_attribute: String,
        /// `maxDistance` (number attributes only).
        max_distance: Option<f64>,
        /// `partyAggregation`.
        party_aggregation: PartyAggregation,
    },
    /// `comparison`: measurements against a reference, or against each other.
    Comparison {
        /// `measurements`.
        measurements: Vec<Operand>,
        /// `referenceValue`; without one, players are compared with each other (`=`, `!=`).
        reference_value: Option<Operand>,
        /// `operation`.
        operation: ComparisonOp,
        /// `partyAggregation`.
        party_aggregation: PartyAggregation,
    },
    /// `collection`: operations on string lists.
    Collection {
        /// `measurements`.
        measurements: Vec<Operand>,
        /// `referenceValue`.
        reference_value: Option<Operand>,
        /// `operation`.
        operation: CollectionOp,
        /// `minCount`.
        min_count: Option<f64>,
        /// `maxCount`.
        max_count: Option<f64>,
        /// `partyAggregation`.
        party_aggregation: CollectionAggregation,
    },
    /// `distance`: how far numbers are from a reference.
    Distance {
        /// `measurements`.
        measurements: Vec<Operand>,
        /// `referenceValue`.
        reference_value: Option<Operand>,
        /// `minDistance`.
        min_distance: Option<f64>,
        /// `maxDistance`.
        max_distance: Option<f64>,
        /// `partyAggregation`.
        party_aggregation: PartyAggregation,
    },
    /// `latency`: players' latencies to the match's location.
    Latency {
        /// `maxLatency`, in milliseconds.
        max_latency: f64,
        /// `maxDistance`: how far above the reference a player's latency may be.
        max_distance: Option<f64>,
        /// `distanceReference`; defaults to min.
        distance_reference: DistanceReference,
        /// `partyAggregation`.
        party_aggregation: PartyAggregation,
    },
    /// `absoluteSort`: orders a batch by one attribute.
    AbsoluteSort {
        /// `sortDirection`.
        sort_direction: SortDirection,
        /// `sortAttribute`: a number or string_number_map attribute.
        sort_attribute: String,
        /// `mapKey`, required for a string_number_map attribute.
        map_key: Option<MapKey>,
        /// `partyAggregation`.
        party_aggregation: PartyAggregation,
    },
    /// `compound`: other rules combined by a logical statement.
    Compound {
        /// `statement`.
        statement: Statement,
    },
}

impl RuleKind {
    /// The type's keyword.
    pub fn type_name(&self) -> &'static str {
        match self {
            RuleKind::BatchDistance { .. } => "batchDistance",
            RuleKind::Comparison { .. } => "comparison",
            RuleKind::Collection { .. } => "collection",
            RuleKind::Distance { .. } => "distance",
            RuleKind::Latency { .. } => "latency",
            RuleKind::AbsoluteSort { .. } => "absoluteSort",
            RuleKind::Compound { .. } => "compound",
        }
    }

    /// The numeric properties an expansion may target, for this type.
    pub(super) fn expandable(type_name: &str) -> &'static [&'static str] {
        match type_name {
            "batchDistance" => &["maxDistance"],
            "comparison" => &["referenceValue"],
            "collection" => &["referenceValue", "minCount", "maxCount"],
            "distance" => &["referenceValue", "minDistance", "maxDistance"],
            "latency" => &["maxLatency", "maxDistance"],
            _ => &[],
        }
    }
}

/// An expansion: one property relaxed in steps as tickets wait.
#[derive(Clone, Debug, PartialEq)]
pub struct Expansion {
    /// What it changes.
    pub target: ExpansionTarget,
    /// The steps, in increasing `waitTimeSeconds`.
    pub steps: Vec<ExpansionStep>,
}

/// What an expansion changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpansionTarget {
    /// `teams[name].minPlayers` (`teams[*]` for every team).
    TeamMinPlayers(Option<String>),
    /// `teams[name].maxPlayers` (`teams[*]` for every team).
    TeamMaxPlayers(Option<String>),
    /// `rules[name].property`, a numeric property of the rule.
    Rule {
        /// The rule.
        rule: String,
        /// The property, such as `maxDistance`.
        property: String,
    },
    /// `algorithm.batchingPreference`.
    BatchingPreference,
}

/// One step of an expansion.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpansionStep {
    /// Seconds a ticket has waited when this step applies.
    pub wait_time_seconds: f64,
    /// The value from then on.
    pub value: StepValue,
}

/// An expansion step's value.
#[derive(Clone, Debug, PartialEq)]
pub enum StepValue {
    /// For numeric targets.
    Number(f64),
    /// For `algorithm.batchingPreference`.
    BatchingPreference(BatchingPreference),
}
