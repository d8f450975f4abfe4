//! [`parse`]: reads a rule set body (FlexMatch rule language 1.0) into the types of
//! [`super::rules`], checking every reference: attributes named by rules and expressions are
//! declared with a type that fits, teams and rules named by expressions, compound statements
//! and expansions exist, and a large match keeps to what the balanced algorithm can do.
//!
//! The body is read as a `serde_json::Value` first (whose parser bounds nesting at 128) and
//! then walked by hand, so that every problem names its place and all of them are reported.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::attributes::{AttributeType, AttributeValue};
use super::compound;
use super::error::{Problems, RuleSetError, suggest};
use super::expr::{self, Base, Scope};
use super::rules::*;

/// Parses and validates a rule set body (the JSON text of CreateMatchmakingRuleSet).
///
/// Every problem found is reported, not only the first (up to
/// [`super::error::MAX_PROBLEMS`]). Nothing in the body can make this panic or recurse
/// without bound.
pub fn parse(body: &str) -> Result<RuleSet, RuleSetError> {
    let mut problems = Problems::default();
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        problems.add(
            "body",
            format!("{chars} characters; at most {MAX_BODY_CHARS} are allowed"),
        );
        return Err(problems.into_error());
    }
    let value: Value = match serde_json::from_str(body) {
        Ok(value) => value,
        Err(error) => {
            problems.add("body", format!("not valid JSON: {error}"));
            return Err(problems.into_error());
        }
    };
    let Some(top) = value.as_object() else {
        problems.add("body", "must be a JSON object");
        return Err(problems.into_error());
    };
    let rule_set = Reader {
        problems: &mut problems,
    }
    .rule_set(top);
    if problems.is_empty() {
        Ok(rule_set)
    } else {
        Err(problems.into_error())
    }
}

/// Walks the JSON, recording problems; what it returns is meaningful only if none were.
struct Reader<'p> {
    problems: &'p mut Problems,
}

/// One JSON object being read: which keys it may have, and where it is.
struct Obj<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

/// Rule set symbols that later checks need.
struct Symbols {
    attributes: BTreeMap<String, AttributeType>,
    teams: BTreeSet<String>,
}

impl Scope for Symbols {
    fn attribute(&self, name: &str) -> Option<AttributeType> {
        self.attributes.get(name).copied()
    }

    fn has_team(&self, name: &str) -> bool {
        self.teams.contains(name)
    }

    fn suggest_attribute(&self, name: &str) -> Option<String> {
        suggest(name, self.attributes.keys().map(String::as_str))
    }
}

const TOP_KEYS: &[&str] = &[
    "name",
    "ruleLanguageVersion",
    "playerAttributes",
    "algorithm",
    "teams",
    "rules",
    "expansions",
];

impl Reader<'_> {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.add(path, message);
    }

    /// Reports keys not in `allowed`, with a hint for likely typos.
    fn known_keys(&mut self, obj: &Obj<'_>, allowed: &[&str]) {
        for key in obj.map.keys() {
            if !allowed.contains(&key.as_str()) {
                let hint = suggest(key, allowed.iter().copied())
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                self.problem(obj.at(key), format!("unknown property{hint}"));
            }
        }
    }

    fn string(&mut self, obj: &Obj<'_>, key: &str, required: bool) -> Option<String> {
        match obj.map.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.problem(obj.at(key), "is required");
                }
                None
            }
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                self.problem(obj.at(key), "must be a string");
                None
            }
        }
    }

    /// A number; numeric strings are taken too, as AWS's own examples write some numbers
    /// as strings (`"maxDistance": "500"`).
    fn number(&mut self, obj: &Obj<'_>, key: &str, required: bool) -> Option<f64> {
        match obj.map.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.problem(obj.at(key), "is required");
                }
                None
            }
            Some(value) => match as_number(value) {
                Some(n) => Some(n),
                None => {
                    self.problem(obj.at(key), "must be a number");
                    None
                }
            },
        }
    }

    fn non_negative(&mut self, obj: &Obj<'_>, key: &str, required: bool) -> Option<f64> {
        let n = self.number(obj, key, required)?;
        if n < 0.0 {
            self.problem(obj.at(key), "must not be negative");
            return None;
        }
        Some(n)
    }

    fn count(&mut self, obj: &Obj<'_>, key: &str, required: bool) -> Option<u32> {
        let n = self.number(obj, key, required)?;
        if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
            self.problem(obj.at(key), "must be a whole number, not negative");
            return None;
        }
        // In range and whole, checked above.
        Some(n as u32)
    }

    fn keyword<T>(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        required: bool,
        parse: fn(&str) -> Option<T>,
        choices: fn() -> String,
    ) -> Option<T> {
        let text = self.string(obj, key, required)?;
        let found = parse(&text);
        if found.is_none() {
            self.problem(obj.at(key), format!("{text:?} is not one of {}", choices()));
        }
        found
    }

    fn object<'a>(&mut self, value: &'a Value, path: String) -> Option<Obj<'a>> {
        match value {
            Value::Object(map) => Some(Obj { path, map }),
            _ => {
                self.problem(path, "must be an object");
                None
            }
        }
    }

    fn array<'a>(&mut self, obj: &Obj<'a>, key: &str, max: usize) -> &'a [Value] {
        match obj.map.get(key) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) if items.len() > max => {
                self.problem(
                    obj.at(key),
                    format!("has {} items; at most {max} are allowed", items.len()),
                );
                &[]
            }
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.problem(obj.at(key), "must be an array");
                &[]
            }
        }
    }

    fn rule_set(&mut self, top: &Map<String, Value>) -> RuleSet {
        let top = Obj {
            path: String::new(),
            map: top,
        };
        self.known_keys(&top, TOP_KEYS);
        let name = match top.map.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => {
                self.problem("name", "must be a string");
                None
            }
        };
        match top.map.get("ruleLanguageVersion") {
            Some(Value::String(v)) if v == "1.0" => {}
            None | Some(Value::Null) => self.problem("ruleLanguageVersion", "is required"),
            Some(other) => self.problem(
                "ruleLanguageVersion",
                format!("{other} is not supported; the only version is \"1.0\""),
            ),
        }
        let root = &top;
        let player_attributes = self.attributes(root);
        let teams = self.teams(root);
        let symbols = Symbols {
            attributes: player_attributes
                .iter()
                .map(|a| (a.name.clone(), a.kind))
                .collect(),
            teams: teams.iter().map(|t| t.name.clone()).collect(),
        };
        let max_players: u64 = teams
            .iter()
            .map(|t| u64::from(t.max_players) * u64::from(t.quantity))
            .sum();
        let large = max_players > LARGE_MATCH_PLAYERS;
        if teams.is_empty() && !top.map.contains_key("teams") {
            self.problem("teams", "is required");
        } else if max_players > MAX_PLAYERS {
            self.problem(
                "teams",
                format!(
                    "allow {max_players} players in a match (maxPlayers times quantity, added \
                     up); at most {MAX_PLAYERS} are allowed"
                ),
            );
        }
        let algorithm = self.algorithm(root, &symbols, large);
        let rules = self.rules(root, &symbols, large);
        let expansions = self.expansions(root, &teams, &rules, &algorithm);
        RuleSet {
            name,
            player_attributes,
            algorithm,
            teams,
            rules,
            expansions,
        }
    }

    fn attributes(&mut self, root: &Obj<'_>) -> Vec<PlayerAttribute> {
        let mut out: Vec<PlayerAttribute> = Vec::new();
        for (i, item) in self
            .array(root, "playerAttributes", MAX_ATTRIBUTES)
            .iter()
            .enumerate()
        {
            let Some(obj) = self.object(item, format!("playerAttributes[{i}]")) else {
                continue;
            };
            self.known_keys(&obj, &["name", "type", "default"]);
            let name = self.string(&obj, "name", true);
            let kind = self.keyword_attribute_type(&obj);
            let (Some(name), Some(kind)) = (name, kind) else {
                continue;
            };
            let path = format!("playerAttributes[{name}]");
            if name.is_empty() {
                self.problem(obj.at("name"), "must not be empty");
            }
            if out.iter().any(|a| a.name == name) {
                self.problem(path.clone(), "is declared twice");
            }
            let default = match obj.map.get("default") {
                None | Some(Value::Null) => None,
                Some(value) => {
                    let parsed = attribute_value(kind, value);
                    if parsed.is_none() {
                        self.problem(
                            format!("{path}.default"),
                            format!("must be a value of type {}", kind.name()),
                        );
                    }
                    parsed
                }
            };
            out.push(PlayerAttribute {
                name,
                kind,
                default,
            });
        }
        out
    }

    fn keyword_attribute_type(&mut self, obj: &Obj<'_>) -> Option<AttributeType> {
        let text = self.string(obj, "type", true)?;
        let kind = match text.as_str() {
            "string" => AttributeType::String,
            "number" => AttributeType::Number,
            "string_list" => AttributeType::StringList,
            "string_number_map" => AttributeType::StringNumberMap,
            _ => {
                self.problem(
                    obj.at("type"),
                    format!(
                        "{text:?} is not one of string, number, string_list, string_number_map"
                    ),
                );
                return None;
            }
        };
        Some(kind)
    }

    fn teams(&mut self, root: &Obj<'_>) -> Vec<Team> {
        let items = self.array(root, "teams", MAX_TEAMS);
        if root.map.contains_key("teams") && items.is_empty() {
            self.problem("teams", "must define at least one team");
        }
        let mut out: Vec<Team> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(mut obj) = self.object(item, format!("teams[{i}]")) else {
                continue;
            };
            if let Some(Value::String(name)) = obj.map.get("name")
                && !name.is_empty()
            {
                obj.path = format!("teams[{name}]");
            }
            self.known_keys(&obj, &["name", "minPlayers", "maxPlayers", "quantity"]);
            let name = self.string(&obj, "name", true);
            let min = self.count(&obj, "minPlayers", true);
            let max = self.count(&obj, "maxPlayers", true);
            let quantity = if obj.map.contains_key("quantity") {
                self.count(&obj, "quantity", true)
            } else {
                Some(1)
            };
            let (Some(name), Some(min), Some(max), Some(quantity)) = (name, min, max, quantity)
            else {
                continue;
            };
            if name.is_empty() {
                self.problem(obj.at("name"), "must not be empty");
            }
            if out.iter().any(|t| t.name == name) {
                self.problem(obj.path.clone(), "is defined twice");
            }
            if max == 0 {
                self.problem(obj.at("maxPlayers"), "must be at least 1");
            }
            if max < min {
                self.problem(obj.at("maxPlayers"), "must be at least minPlayers");
            }
            if quantity == 0 {
                self.problem(obj.at("quantity"), "must be at least 1");
            }
            out.push(Team {
                name,
                min_players: min,
                max_players: max,
                quantity,
            });
        }
        out
    }

    fn algorithm(&mut self, root: &Obj<'_>, symbols: &Symbols, large: bool) -> Algorithm {
        let empty = Map::new();
        let obj = match root.map.get("algorithm") {
            None | Some(Value::Null) => Obj {
                path: "algorithm".into(),
                map: &empty,
            },
            Some(value) => match self.object(value, "algorithm".into()) {
                Some(obj) => obj,
                None => Obj {
                    path: "algorithm".into(),
                    map: &empty,
                },
            },
        };
        self.known_keys(
            &obj,
            &[
                "strategy",
                "batchingPreference",
                "sortByAttributes",
                "expansionAgeSelection",
                "backfillPriority",
                "balancedAttribute",
            ],
        );
        let strategy = self.keyword(
            &obj,
            "strategy",
            false,
            Strategy::from_keyword,
            Strategy::choices,
        );
        let strategy = strategy.unwrap_or(if large {
            // A large match must say so itself (checked below); this default only keeps
            // the checks that follow from piling up.
            Strategy::Balanced
        } else {
            Strategy::ExhaustiveSearch
        });
        let explicit_strategy = obj.map.contains_key("strategy");
        if large && (strategy != Strategy::Balanced || !explicit_strategy) {
            self.problem(
                obj.at("strategy"),
                "must be \"balanced\" for a large match (teams allow more than 40 players)",
            );
        }
        if !large && strategy == Strategy::Balanced {
            self.problem(
                obj.at("strategy"),
                "\"balanced\" is for large matches only (teams allow more than 40 players)",
            );
        }
        if obj.map.get("batchingPreference") == Some(&Value::String("balanced".into())) {
            self.problem(
                obj.at("batchingPreference"),
                "\"balanced\" is a strategy, not a batching preference",
            );
        }
        let batching = self.keyword(
            &obj,
            "batchingPreference",
            false,
            BatchingPreference::from_keyword,
            BatchingPreference::choices,
        );
        let batching_preference = match (strategy, batching) {
            (Strategy::ExhaustiveSearch, None) => BatchingPreference::Random,
            (Strategy::Balanced, None) => BatchingPreference::LargestPopulation,
            (_, Some(b)) => b,
        };
        let fits = match strategy {
            Strategy::ExhaustiveSearch => matches!(
                batching_preference,
                BatchingPreference::Random | BatchingPreference::Sorted
            ),
            Strategy::Balanced => matches!(
                batching_preference,
                BatchingPreference::LargestPopulation | BatchingPreference::FastestRegion
            ),
        };
        if !fits {
            self.problem(
                obj.at("batchingPreference"),
                format!(
                    "{:?} does not go with the {} strategy",
                    batching_preference.keyword(),
                    strategy.keyword()
                ),
            );
        }
        let mut sort_by_attributes = Vec::new();
        for (i, item) in self
            .array(&obj, "sortByAttributes", MAX_ATTRIBUTES)
            .iter()
            .enumerate()
        {
            let path = format!("algorithm.sortByAttributes[{i}]");
            match item {
                Value::String(name) => {
                    self.attribute_of(
                        symbols,
                        &path,
                        name,
                        &[AttributeType::Number, AttributeType::String],
                    );
                    sort_by_attributes.push(name.clone());
                }
                _ => self.problem(path, "must be a string"),
            }
        }
        if batching_preference == BatchingPreference::Sorted && sort_by_attributes.is_empty() {
            self.problem(
                obj.at("sortByAttributes"),
                "must name at least one attribute when batchingPreference is \"sorted\"",
            );
        }
        let expansion_age_selection = self
            .keyword(
                &obj,
                "expansionAgeSelection",
                false,
                ExpansionAgeSelection::from_keyword,
                ExpansionAgeSelection::choices,
            )
            .unwrap_or(ExpansionAgeSelection::Newest);
        let backfill_priority = self
            .keyword(
                &obj,
                "backfillPriority",
                false,
                BackfillPriority::from_keyword,
                BackfillPriority::choices,
            )
            .unwrap_or(BackfillPriority::Normal);
        let balanced_attribute = self.string(&obj, "balancedAttribute", false);
        match &balanced_attribute {
            Some(name) => {
                self.attribute_of(
                    symbols,
                    &obj.at("balancedAttribute"),
                    name,
                    &[AttributeType::Number],
                );
            }
            None if strategy == Strategy::Balanced => {
                self.problem(
                    obj.at("balancedAttribute"),
                    "is required with the balanced strategy",
                );
            }
            None => {}
        }
        Algorithm {
            strategy,
            batching_preference,
            sort_by_attributes,
            expansion_age_selection,
            backfill_priority,
            balanced_attribute,
        }
    }

    /// Checks that `name` is a declared attribute of one of `types`.
    fn attribute_of(
        &mut self,
        symbols: &Symbols,
        path: &str,
        name: &str,
        types: &[AttributeType],
    ) -> Option<AttributeType> {
        match symbols.attribute(name) {
            None => {
                let hint = symbols
                    .suggest_attribute(name)
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                self.problem(path, format!("unknown player attribute {name}{hint}"));
                None
            }
            Some(kind) if !types.contains(&kind) => {
                let wanted: Vec<&str> = types.iter().map(|t| t.name()).collect();
                self.problem(
                    path,
                    format!(
                        "attribute {name} is a {}; this needs a {}",
                        kind.name(),
                        wanted.join(" or ")
                    ),
                );
                None
            }
            Some(kind) => Some(kind),
        }
    }

    fn rules(&mut self, root: &Obj<'_>, symbols: &Symbols, large: bool) -> Vec<Rule> {
        let items = self.array(root, "rules", MAX_RULES);
        let mut out: Vec<Rule> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(mut obj) = self.object(item, format!("rules[{i}]")) else {
                continue;
            };
            if let Some(Value::String(name)) = obj.map.get("name")
                && !name.is_empty()
            {
                obj.path = format!("rules[{name}]");
            }
            let name = self.string(&obj, "name", true);
            let description = self.string(&obj, "description", false);
            let Some(type_name) = self.string(&obj, "type", true) else {
                continue;
            };
            let kind = self.rule_kind(&obj, &type_name, symbols);
            let (Some(name), Some(kind)) = (name, kind) else {
                continue;
            };
            if name.is_empty() {
                self.problem(obj.at("name"), "must not be empty");
            }
            if out.iter().any(|r| r.name == name) {
                self.problem(obj.path.clone(), "is defined twice");
            }
            if large
                && !matches!(
                    kind,
                    RuleKind::BatchDistance { .. } | RuleKind::Latency { .. }
                )
            {
                self.problem(
                    obj.at("type"),
                    format!(
                        "a large match (teams allow more than 40 players) may use only \
                         batchDistance and latency rules, not {type_name}"
                    ),
                );
            }
            out.push(Rule {
                name,
                description,
                kind,
            });
        }
        // Compound statements may name rules defined after them, so they are checked once
        // every rule is known.
        for rule in &out {
            let RuleKind::Compound { statement } = &rule.kind else {
                continue;
            };
            let path = format!("rules[{}].statement", rule.name);
            for name in statement.rules() {
                match out.iter().find(|r| r.name == name) {
                    None => {
                        let hint = suggest(name, out.iter().map(|r| r.name.as_str()))
                            .map(|s| format!(" (did you mean {s}?)"))
                            .unwrap_or_default();
                        self.problem(path.clone(), format!("unknown rule {name}{hint}"));
                    }
                    Some(r) if r.name == rule.name => {
                        self.problem(path.clone(), "refers to itself");
                    }
                    Some(r)
                        if !matches!(
                            r.kind,
                            RuleKind::Comparison { .. }
                                | RuleKind::Collection { .. }
                                | RuleKind::Distance { .. }
                        ) =>
                    {
                        self.problem(
                            path.clone(),
                            format!(
                                "rule {name} is a {} rule; a statement may combine only \
                                 comparison, collection and distance rules",
                                r.kind.type_name()
                            ),
                        );
                    }
                    Some(_) => {}
                }
            }
        }
        out
    }

    fn rule_kind(&mut self, obj: &Obj<'_>, type_name: &str, symbols: &Symbols) -> Option<RuleKind> {
        const COMMON: [&str; 3] = ["name", "type", "description"];
        let keys = |extra: &[&'static str]| -> Vec<&'static str> {
            COMMON.iter().chain(extra).copied().collect()
        };
        let party = |reader: &mut Self| {
            reader
                .keyword(
                    obj,
                    "partyAggregation",
                    false,
                    PartyAggregation::from_keyword,
                    PartyAggregation::choices,
                )
                .unwrap_or(PartyAggregation::Avg)
        };
        match type_name {
            "batchDistance" => {
                self.known_keys(
                    obj,
                    &keys(&["batchAttribute", "maxDistance", "partyAggregation"]),
                );
                let attribute = self.string(obj, "batchAttribute", true);
                let max_distance = self.non_negative(obj, "maxDistance", false);
                let party_aggregation = party(self);
                let attribute = attribute?;
                let kind = self.attribute_of(
                    symbols,
                    &obj.at("batchAttribute"),
                    &attribute,
                    &[AttributeType::Number, AttributeType::String],
                );
                if kind == Some(AttributeType::String) && max_distance.is_some() {
                    self.problem(
                        obj.at("maxDistance"),
                        "applies only to a number batchAttribute",
                    );
                }
                Some(RuleKind::BatchDistance {
                    batch_attribute: attribute,
                    max_distance,
                    party_aggregation,
                })
            }
            "comparison" => {
                self.known_keys(
                    obj,
                    &keys(&[
                        "measurements",
                        "referenceValue",
                        "operation",
                        "partyAggregation",
                    ]),
                );
                let measurements = self.measurements(obj, symbols);
                let reference_value = self.reference(obj, symbols);
                let operation = self.keyword(
                    obj,
                    "operation",
                    true,
                    ComparisonOp::from_keyword,
                    ComparisonOp::choices,
                );
                let party_aggregation = party(self);
                let operation = operation?;
                let ordered = !matches!(operation, ComparisonOp::Eq | ComparisonOp::Ne);
                if reference_value.is_none() && ordered {
                    self.problem(
                        obj.at("operation"),
                        "without a referenceValue, players are compared with each other, which \
                         takes only = or !=",
                    );
                }
                if ordered {
                    for (i, m) in measurements.iter().enumerate() {
                        if !numeric(m) {
                            self.problem(
                                obj.at(&format!("measurements[{i}]")),
                                format!("{} needs numbers", operation.keyword()),
                            );
                        }
                    }
                }
                Some(RuleKind::Comparison {
                    measurements,
                    reference_value,
                    operation,
                    party_aggregation,
                })
            }
            "collection" => {
                self.known_keys(
                    obj,
                    &keys(&[
                        "measurements",
                        "referenceValue",
                        "operation",
                        "minCount",
                        "maxCount",
                        "partyAggregation",
                    ]),
                );
                let measurements = self.measurements(obj, symbols);
                let reference_value = self.reference(obj, symbols);
                let operation = self.keyword(
                    obj,
                    "operation",
                    true,
                    CollectionOp::from_keyword,
                    CollectionOp::choices,
                );
                let min_count = self.non_negative(obj, "minCount", false);
                let max_count = self.non_negative(obj, "maxCount", false);
                if let (Some(min), Some(max)) = (min_count, max_count)
                    && max < min
                {
                    self.problem(obj.at("maxCount"), "must be at least minCount");
                }
                let party_aggregation = self
                    .keyword(
                        obj,
                        "partyAggregation",
                        false,
                        CollectionAggregation::from_keyword,
                        CollectionAggregation::choices,
                    )
                    .unwrap_or(CollectionAggregation::Union);
                let operation = operation?;
                match operation {
                    CollectionOp::Intersection if reference_value.is_some() => self.problem(
                        obj.at("referenceValue"),
                        "intersection compares the measurements with each other; it takes no referenceValue",
                    ),
                    CollectionOp::Contains | CollectionOp::ReferenceIntersectionCount
                        if reference_value.is_none() =>
                    {
                        self.problem(
                            obj.at("referenceValue"),
                            format!("is required by {}", operation.keyword()),
                        );
                    }
                    _ => {}
                }
                for (i, m) in measurements.iter().enumerate() {
                    if let Operand::Expr(_, ty) = m
                        && (ty.base != Base::String || ty.depth == 0)
                    {
                        self.problem(
                            obj.at(&format!("measurements[{i}]")),
                            format!("a collection rule measures lists of strings, not a {ty}"),
                        );
                    }
                }
                Some(RuleKind::Collection {
                    measurements,
                    reference_value,
                    operation,
                    min_count,
                    max_count,
                    party_aggregation,
                })
            }
            "distance" => {
                self.known_keys(
                    obj,
                    &keys(&[
                        "measurements",
                        "referenceValue",
                        "minDistance",
                        "maxDistance",
                        "partyAggregation",
                    ]),
                );
                let measurements = self.measurements(obj, symbols);
                let reference_value = self.reference(obj, symbols);
                let min_distance = self.non_negative(obj, "minDistance", false);
                let max_distance = self.non_negative(obj, "maxDistance", false);
                let party_aggregation = party(self);
                if !obj.map.contains_key("minDistance") && !obj.map.contains_key("maxDistance") {
                    self.problem(obj.path.clone(), "needs minDistance, maxDistance or both");
                }
                if let (Some(min), Some(max)) = (min_distance, max_distance)
                    && max < min
                {
                    self.problem(obj.at("maxDistance"), "must be at least minDistance");
                }
                for (i, m) in measurements.iter().enumerate() {
                    if !numeric(m) {
                        self.problem(
                            obj.at(&format!("measurements[{i}]")),
                            "a distance rule measures numbers",
                        );
                    }
                }
                if let Some(r) = &reference_value
                    && (!numeric(r) || matches!(r, Operand::Expr(_, ty) if ty.depth > 0))
                {
                    self.problem(
                        obj.at("referenceValue"),
                        "must be a number or an expression giving one",
                    );
                }
                Some(RuleKind::Distance {
                    measurements,
                    reference_value,
                    min_distance,
                    max_distance,
                    party_aggregation,
                })
            }
            "latency" => {
                self.known_keys(
                    obj,
                    &keys(&[
                        "maxLatency",
                        "maxDistance",
                        "distanceReference",
                        "partyAggregation",
                    ]),
                );
                let max_latency = self.non_negative(obj, "maxLatency", true);
                let max_distance = self.non_negative(obj, "maxDistance", false);
                let distance_reference = self
                    .keyword(
                        obj,
                        "distanceReference",
                        false,
                        DistanceReference::from_keyword,
                        DistanceReference::choices,
                    )
                    .unwrap_or(DistanceReference::Min);
                let party_aggregation = party(self);
                Some(RuleKind::Latency {
                    max_latency: max_latency?,
                    max_distance,
                    distance_reference,
                    party_aggregation,
                })
            }
            "absoluteSort" => {
                self.known_keys(
                    obj,
                    &keys(&[
                        "sortDirection",
                        "sortAttribute",
                        "mapKey",
                        "partyAggregation",
                    ]),
                );
                let direction = self.keyword(
                    obj,
                    "sortDirection",
                    true,
                    SortDirection::from_keyword,
                    SortDirection::choices,
                );
                let attribute = self.string(obj, "sortAttribute", true);
                let map_key =
                    self.keyword(obj, "mapKey", false, MapKey::from_keyword, MapKey::choices);
                let party_aggregation = party(self);
                let attribute = attribute?;
                let kind = self.attribute_of(
                    symbols,
                    &obj.at("sortAttribute"),
                    &attribute,
                    &[AttributeType::Number, AttributeType::StringNumberMap],
                );
                match kind {
                    Some(AttributeType::StringNumberMap) if !obj.map.contains_key("mapKey") => {
                        self.problem(
                            obj.at("mapKey"),
                            "is required for a string_number_map attribute",
                        );
                    }
                    Some(AttributeType::Number) if obj.map.contains_key("mapKey") => {
                        self.problem(
                            obj.at("mapKey"),
                            "applies only to a string_number_map attribute",
                        );
                    }
                    _ => {}
                }
                Some(RuleKind::AbsoluteSort {
                    sort_direction: direction?,
                    sort_attribute: attribute,
                    map_key,
                    party_aggregation,
                })
            }
            "compound" => {
                self.known_keys(obj, &keys(&["statement"]));
                let text = self.string(obj, "statement", true)?;
                match compound::parse(&text) {
                    Ok(statement) => Some(RuleKind::Compound { statement }),
                    Err(message) => {
                        self.problem(obj.at("statement"), message);
                        None
                    }
                }
            }
            other => {
                const TYPES: [&str; 7] = [
                    "batchDistance",
                    "comparison",
                    "collection",
                    "distance",
                    "latency",
                    "absoluteSort",
                    "compound",
                ];
                let hint = suggest(other, TYPES.iter().copied())
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                self.problem(
                    obj.at("type"),
                    format!(
                        "unknown rule type {other:?}{hint}; the types are {}",
                        TYPES.join(", ")
                    ),
                );
                None
            }
        }
    }

    /// `measurements`: one expression, or an array of them.
    fn measurements(&mut self, obj: &Obj<'_>, symbols: &Symbols) -> Vec<Operand> {
        let texts: Vec<(String, &Value)> = match obj.map.get("measurements") {
            None | Some(Value::Null) => {
                self.problem(obj.at("measurements"), "is required");
                return Vec::new();
            }
            Some(Value::Array(items)) if items.is_empty() => {
                self.problem(obj.at("measurements"), "must not be empty");
                return Vec::new();
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (obj.at(&format!("measurements[{i}]")), v))
                .collect(),
            Some(value) => vec![(obj.at("measurements"), value)],
        };
        let mut out = Vec::new();
        for (path, value) in texts {
            let Value::String(text) = value else {
                self.problem(path, "must be a property expression (a string)");
                continue;
            };
            match expr::parse(text).and_then(|e| e.check(symbols).map(|ty| (e, ty))) {
                Ok((e, ty)) => out.push(Operand::Expr(e, ty)),
                Err(message) => self.problem(path, message),
            }
        }
        out
    }

    /// `referenceValue`: a number, a list of strings, an expression, or a literal string.
    fn reference(&mut self, obj: &Obj<'_>, symbols: &Symbols) -> Option<Operand> {
        let path = obj.at("referenceValue");
        match obj.map.get("referenceValue")? {
            Value::Null => None,
            Value::Number(n) => match n.as_f64().filter(|n| n.is_finite()) {
                Some(n) => Some(Operand::Number(n)),
                None => {
                    self.problem(path, "must be a finite number");
                    None
                }
            },
            Value::String(text) if expr::looks_like_expression(text) => {
                match expr::parse(text).and_then(|e| e.check(symbols).map(|ty| (e, ty))) {
                    Ok((e, ty)) => Some(Operand::Expr(e, ty)),
                    Err(message) => {
                        self.problem(path, message);
                        None
                    }
                }
            }
            Value::String(text) => Some(match text.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Operand::Number(n),
                _ => Operand::String(text.clone()),
            }),
            Value::Array(items) => {
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect();
                if strings.is_none() {
                    self.problem(path, "a list must hold only strings");
                }
                strings.map(Operand::StringList)
            }
            _ => {
                self.problem(
                    path,
                    "must be a number, a string, a list of strings or an expression",
                );
                None
            }
        }
    }

    fn expansions(
        &mut self,
        root: &Obj<'_>,
        teams: &[Team],
        rules: &[Rule],
        algorithm: &Algorithm,
    ) -> Vec<Expansion> {
        let mut out = Vec::new();
        for (i, item) in self
            .array(root, "expansions", MAX_EXPANSIONS)
            .iter()
            .enumerate()
        {
            let Some(mut obj) = self.object(item, format!("expansions[{i}]")) else {
                continue;
            };
            self.known_keys(&obj, &["target", "steps"]);
            let Some(text) = self.string(&obj, "target", true) else {
                continue;
            };
            obj.path = format!("expansions[{text}]");
            let target = self.target(&obj, &text, teams, rules);
            let steps = self.array(&obj, "steps", MAX_EXPANSIONS);
            if steps.is_empty() {
                self.problem(obj.at("steps"), "must have at least one step");
            }
            let mut parsed = Vec::new();
            let mut last_wait: Option<f64> = None;
            for (j, step) in steps.iter().enumerate() {
                let Some(step) = self.object(step, obj.at(&format!("steps[{j}]"))) else {
                    continue;
                };
                self.known_keys(&step, &["waitTimeSeconds", "value"]);
                let wait = self.non_negative(&step, "waitTimeSeconds", true);
                if let (Some(wait), Some(last)) = (wait, last_wait)
                    && wait <= last
                {
                    self.problem(
                        step.at("waitTimeSeconds"),
                        format!("must be greater than the step before's ({last})"),
                    );
                }
                last_wait = wait.or(last_wait);
                let value = match &target {
                    Some(ExpansionTarget::BatchingPreference) => {
                        let preference = self.keyword(
                            &step,
                            "value",
                            false,
                            BatchingPreference::from_keyword,
                            BatchingPreference::choices,
                        );
                        if !step.map.contains_key("value") {
                            self.problem(step.at("value"), "is required");
                        }
                        if let Some(p) = preference {
                            let fits = match algorithm.strategy {
                                Strategy::ExhaustiveSearch => {
                                    matches!(
                                        p,
                                        BatchingPreference::Random | BatchingPreference::Sorted
                                    )
                                }
                                Strategy::Balanced => matches!(
                                    p,
                                    BatchingPreference::LargestPopulation
                                        | BatchingPreference::FastestRegion
                                ),
                            };
                            if !fits {
                                self.problem(
                                    step.at("value"),
                                    format!(
                                        "{:?} does not go with the {} strategy",
                                        p.keyword(),
                                        algorithm.strategy.keyword()
                                    ),
                                );
                            }
                        }
                        preference.map(StepValue::BatchingPreference)
                    }
                    Some(
                        ExpansionTarget::TeamMinPlayers(team)
                        | ExpansionTarget::TeamMaxPlayers(team),
                    ) => {
                        let n = self.count(&step, "value", true);
                        let minimum = matches!(target, Some(ExpansionTarget::TeamMinPlayers(_)));
                        // A step must leave every team it touches with min <= max.
                        let clash = teams
                            .iter()
                            .filter(|t| team.as_ref().is_none_or(|name| *name == t.name))
                            .find(|t| {
                                n.is_some_and(|n| {
                                    if minimum {
                                        n > t.max_players
                                    } else {
                                        n < t.min_players.max(1)
                                    }
                                })
                            });
                        if let Some(t) = clash {
                            let bound = if minimum {
                                format!(
                                    "more than teams[{}].maxPlayers ({})",
                                    t.name, t.max_players
                                )
                            } else {
                                format!(
                                    "below teams[{}].minPlayers ({}) or 1",
                                    t.name, t.min_players
                                )
                            };
                            self.problem(step.at("value"), format!("must not be {bound}"));
                        }
                        n.map(|n| StepValue::Number(f64::from(n)))
                    }
                    _ => self
                        .non_negative(&step, "value", true)
                        .map(StepValue::Number),
                };
                if let (Some(wait), Some(value)) = (wait, value) {
                    parsed.push(ExpansionStep {
                        wait_time_seconds: wait,
                        value,
                    });
                }
            }
            if let Some(target) = target {
                out.push(Expansion {
                    target,
                    steps: parsed,
                });
            }
        }
        out
    }

    fn target(
        &mut self,
        obj: &Obj<'_>,
        text: &str,
        teams: &[Team],
        rules: &[Rule],
    ) -> Option<ExpansionTarget> {
        let path = obj.at("target");
        if text == "algorithm.batchingPreference" {
            return Some(ExpansionTarget::BatchingPreference);
        }
        let parsed = ["teams", "rules"].iter().find_map(|section| {
            let rest = text.strip_prefix(section)?.strip_prefix('[')?;
            let (name, property) = rest.split_once("].")?;
            Some((*section, name.trim(), property.trim()))
        });
        let Some((section, name, property)) = parsed else {
            self.problem(
                path,
                format!(
                    "{text:?} is not a target; targets are teams[name].minPlayers, \
                     teams[name].maxPlayers, rules[name].property and algorithm.batchingPreference"
                ),
            );
            return None;
        };
        if section == "teams" {
            let team = if name == "*" {
                None
            } else if teams.iter().any(|t| t.name == name) {
                Some(name.to_owned())
            } else {
                let hint = suggest(name, teams.iter().map(|t| t.name.as_str()))
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                self.problem(path, format!("unknown team {name}{hint}"));
                return None;
            };
            return match property {
                "minPlayers" => Some(ExpansionTarget::TeamMinPlayers(team)),
                "maxPlayers" => Some(ExpansionTarget::TeamMaxPlayers(team)),
                _ => {
                    self.problem(
                        path,
                        format!("a team's {property} cannot expand; minPlayers and maxPlayers can"),
                    );
                    None
                }
            };
        }
        let Some(rule) = rules.iter().find(|r| r.name == name) else {
            let hint = suggest(name, rules.iter().map(|r| r.name.as_str()))
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            self.problem(path, format!("unknown rule {name}{hint}"));
            return None;
        };
        let allowed = RuleKind::expandable(rule.kind.type_name());
        if !allowed.contains(&property) {
            let which = if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed.join(", ")
            };
            self.problem(
                path,
                format!(
                    "a {} rule's {property} cannot expand (expandable: {which})",
                    rule.kind.type_name()
                ),
            );
            return None;
        }
        Some(ExpansionTarget::Rule {
            rule: name.to_owned(),
            property: property.to_owned(),
        })
    }
}

fn as_number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// Whether an operand gives numbers (a literal, or an expression over number attributes).
fn numeric(operand: &Operand) -> bool {
    match operand {
        Operand::Number(_) => true,
        Operand::Expr(_, ty) => ty.base == Base::Number,
        Operand::String(_) | Operand::StringList(_) => false,
    }
}

fn attribute_value(kind: AttributeType, value: &Value) -> Option<AttributeValue> {
    match (kind, value) {
        (AttributeType::String, Value::String(s)) => Some(AttributeValue::String(s.clone())),
        (AttributeType::Number, v) => as_number(v).map(AttributeValue::Number),
        (AttributeType::StringList, Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(AttributeValue::StringList),
        (AttributeType::StringNumberMap, Value::Object(map)) => map
            .iter()
            .map(|(k, v)| as_number(v).map(|n| (k.clone(), n)))
            .collect::<Option<BTreeMap<_, _>>>()
            .map(AttributeValue::StringNumberMap),
        _ => None,
    }
}
