//! Rule sets that parse, one refusal per check (each naming its place), and bodies that
//! must never panic.

use proptest::prelude::{Just, any, prop, prop_oneof, proptest};
use proptest::strategy::Strategy as _;
use serde_json::json;

use super::compound::Statement;
use super::expr::{self, Base, Expr, ExprType, Func, PlayerField, TeamSelector};
use super::*;

fn body(value: serde_json::Value) -> String {
    value.to_string()
}

fn push(list: &mut serde_json::Value, item: serde_json::Value) {
    if let Some(items) = list.as_array_mut() {
        items.push(item);
    }
}

/// The message of a refusal, which must exist.
fn refusal(value: serde_json::Value) -> String {
    match parse(&body(value)) {
        Ok(rule_set) => panic!("expected a refusal, parsed {rule_set:?}"),
        Err(error) => error.to_string(),
    }
}

fn five_v_five() -> serde_json::Value {
    json!({
        "name": "aliens_vs_cowboys",
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
        "teams": [
            {"name": "cowboys", "maxPlayers": 5, "minPlayers": 5},
            {"name": "aliens", "maxPlayers": 5, "minPlayers": 5}
        ],
        "rules": [{
            "name": "FairTeamSkill",
            "description": "The average skill of players in each team is within 10 points",
            "type": "distance",
            "measurements": ["avg(teams[*].players.attributes[skill])"],
            "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
            "maxDistance": 10
        }, {
            "name": "FastConnection",
            "type": "latency",
            "maxLatency": 50
        }],
        "expansions": [{
            "target": "rules[FairTeamSkill].maxDistance",
            "steps": [{"waitTimeSeconds": 5, "value": 50}, {"waitTimeSeconds": 15, "value": 100}]
        }, {
            "target": "rules[FastConnection].maxLatency",
            "steps": [{"waitTimeSeconds": 10, "value": 100}]
        }]
    })
}

#[test]
fn parses_a_five_versus_five_skill_and_latency_rule_set() {
    let rule_set = parse(&body(five_v_five())).expect("valid");
    assert_eq!(rule_set.name.as_deref(), Some("aliens_vs_cowboys"));
    assert_eq!(rule_set.max_players(), 10);
    assert!(!rule_set.is_large());
    assert_eq!(rule_set.algorithm.strategy, Strategy::ExhaustiveSearch);
    assert_eq!(
        rule_set.algorithm.batching_preference,
        BatchingPreference::Random
    );
    assert_eq!(
        rule_set.attribute("skill").map(|a| a.default.clone()),
        Some(Some(AttributeValue::Number(10.0)))
    );
    let RuleKind::Distance {
        measurements,
        reference_value,
        max_distance,
        ..
    } = &rule_set.rules[0].kind
    else {
        panic!("a distance rule");
    };
    assert_eq!(*max_distance, Some(10.0));
    assert!(matches!(
        &measurements[0],
        Operand::Expr(
            Expr::Call {
                func: Func::Avg,
                ..
            },
            ExprType {
                base: Base::Number,
                depth: 1
            }
        )
    ));
    assert!(matches!(
        reference_value,
        Some(Operand::Expr(
            _,
            ExprType {
                base: Base::Number,
                depth: 0
            }
        ))
    ));
    assert_eq!(
        rule_set.expansions[0].target,
        ExpansionTarget::Rule {
            rule: "FairTeamSkill".into(),
            property: "maxDistance".into()
        }
    );
    assert_eq!(rule_set.expansions[0].steps.len(), 2);
}

fn large() -> serde_json::Value {
    json!({
        "name": "free-for-all",
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number"}, {"name": "mode", "type": "string"}],
        "algorithm": {
            "balancedAttribute": "skill",
            "strategy": "balanced",
            "batchingPreference": "largestPopulation"
        },
        "teams": [{"name": "Marauders", "maxPlayers": 50, "minPlayers": 40, "quantity": 2}],
        "rules": [{
            "name": "low-latency",
            "type": "latency",
            "maxLatency": 150
        }, {
            "name": "same-mode",
            "type": "batchDistance",
            "batchAttribute": "mode"
        }, {
            "name": "close-skill",
            "type": "batchDistance",
            "batchAttribute": "skill",
            "maxDistance": "500"
        }],
        "expansions": [{
            "target": "rules[low-latency].maxLatency",
            "steps": [{"waitTimeSeconds": 12, "value": 200}]
        }, {
            "target": "teams[Marauders].minPlayers",
            "steps": [{"waitTimeSeconds": 10, "value": 30}, {"waitTimeSeconds": 15, "value": 20}]
        }]
    })
}

#[test]
fn parses_a_large_match_of_a_hundred_players() {
    let rule_set = parse(&body(large())).expect("valid");
    assert_eq!(rule_set.max_players(), 100);
    assert!(rule_set.is_large());
    assert_eq!(rule_set.algorithm.strategy, Strategy::Balanced);
    assert_eq!(
        rule_set.algorithm.balanced_attribute.as_deref(),
        Some("skill")
    );
    assert!(matches!(
        rule_set.rule("close-skill").map(|r| &r.kind),
        Some(RuleKind::BatchDistance { max_distance: Some(d), .. }) if *d == 500.0
    ));
    assert_eq!(
        rule_set.expansions[1].target,
        ExpansionTarget::TeamMinPlayers(Some("Marauders".into()))
    );
}

fn everything() -> serde_json::Value {
    json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [
            {"name": "skill", "type": "number", "default": "10"},
            {"name": "mode", "type": "string", "default": "casual"},
            {"name": "maps", "type": "string_list", "default": ["desert"]},
            {"name": "regionScore", "type": "string_number_map", "default": {"eu": 1}},
            {"name": "character", "type": "string"}
        ],
        "algorithm": {
            "strategy": "exhaustiveSearch",
            "batchingPreference": "sorted",
            "sortByAttributes": ["skill"],
            "expansionAgeSelection": "oldest",
            "backfillPriority": "high"
        },
        "teams": [
            {"name": "red", "minPlayers": 2, "maxPlayers": 4},
            {"name": "blue", "minPlayers": 2, "maxPlayers": 4},
            {"name": "extra", "minPlayers": 0, "maxPlayers": 2, "quantity": 3}
        ],
        "rules": [
            {"name": "SameMode", "type": "batchDistance", "batchAttribute": "mode"},
            {"name": "MinSkill", "type": "comparison", "operation": ">=",
             "measurements": "min(flatten(teams[*].players.attributes[skill]))", "referenceValue": 5,
             "partyAggregation": "min"},
            {"name": "DifferentCharacters", "type": "comparison", "operation": "!=",
             "measurements": ["flatten(teams[*].players.attributes[character])"]},
            {"name": "RedIds", "type": "comparison", "operation": "=",
             "measurements": ["count(teams[red].players.playerId)"], "referenceValue": "4"},
            {"name": "CommonMap", "type": "collection", "operation": "intersection",
             "measurements": ["flatten(teams[*].players.attributes[maps])"], "minCount": 1,
             "partyAggregation": "intersection"},
            {"name": "WantsDesert", "type": "collection", "operation": "contains",
             "measurements": ["flatten(teams[*].players.attributes[maps])"], "referenceValue": "desert",
             "minCount": 2},
            {"name": "KnownMaps", "type": "collection", "operation": "reference_intersection_count",
             "measurements": ["set_intersection(flatten(teams[red,blue].players.attributes[maps]))"],
             "referenceValue": ["desert", "jungle"], "maxCount": 2},
            {"name": "TeamsEven", "type": "distance",
             "measurements": ["max(avg(teams[*].players.attributes[skill]))"],
             "referenceValue": "min(avg(teams[*].players.attributes[skill]))", "maxDistance": 10},
            {"name": "NotTooGood", "type": "distance",
             "measurements": ["sum(players.attributes[skill])", "median(teams[red].players.attributes[skill])",
                              "stddev(flatten(teams[*].players.attributes[skill]))",
                              "count(teams[blue].players)"],
             "referenceValue": 100, "minDistance": 0, "maxDistance": 1000},
            {"name": "Latency", "type": "latency", "maxLatency": 150, "maxDistance": 40,
             "distanceReference": "avg", "partyAggregation": "max"},
            {"name": "SortBySkill", "type": "absoluteSort", "sortDirection": "descending",
             "sortAttribute": "skill"},
            {"name": "SortByRegion", "type": "absoluteSort", "sortDirection": "ascending",
             "sortAttribute": "regionScore", "mapKey": "maxValue"},
            {"name": "Either", "type": "compound",
             "statement": "or(and(MinSkill, TeamsEven), xor(CommonMap, WantsDesert), not(KnownMaps))"}
        ],
        "expansions": [
            {"target": "teams[*].minPlayers", "steps": [{"waitTimeSeconds": 30, "value": 1}]},
            {"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 30, "value": 3}]},
            {"target": "rules[CommonMap].minCount", "steps": [{"waitTimeSeconds": 20, "value": 0}]},
            {"target": "algorithm.batchingPreference",
             "steps": [{"waitTimeSeconds": 60, "value": "random"}]}
        ]
    })
}

#[test]
fn parses_every_rule_type_and_expression_form() {
    let rule_set = parse(&body(everything())).expect("valid");
    assert_eq!(rule_set.rules.len(), 13);
    assert_eq!(rule_set.max_players(), 14);
    assert_eq!(
        rule_set
            .attribute("regionScore")
            .and_then(|a| a.default.clone()),
        Some(AttributeValue::StringNumberMap(
            [("eu".to_owned(), 1.0)].into()
        ))
    );
    let Some(RuleKind::Compound { statement }) = rule_set.rule("Either").map(|r| &r.kind) else {
        panic!("a compound rule");
    };
    assert_eq!(
        statement.to_string(),
        "or(and(MinSkill, TeamsEven), xor(CommonMap, WantsDesert), not(KnownMaps))"
    );
    assert!(matches!(statement, Statement::Or(ops) if ops.len() == 3));
    let Some(RuleKind::Collection {
        reference_value, ..
    }) = rule_set.rule("KnownMaps").map(|r| &r.kind)
    else {
        panic!("a collection rule");
    };
    assert_eq!(
        reference_value,
        &Some(Operand::StringList(vec!["desert".into(), "jungle".into()]))
    );
    assert_eq!(
        rule_set.expansions[3].steps[0].value,
        StepValue::BatchingPreference(BatchingPreference::Random)
    );
}

#[test]
fn expressions_parse_into_trees_and_print_back() {
    let parsed =
        expr::parse(" max ( avg( teams[ * ].players.attributes[ skill ] ) ) ").expect("parses");
    assert_eq!(
        parsed,
        Expr::Call {
            func: Func::Max,
            arg: Box::new(Expr::Call {
                func: Func::Avg,
                arg: Box::new(Expr::Players {
                    teams: TeamSelector::All,
                    field: Some(PlayerField::Attribute("skill".into())),
                }),
            }),
        }
    );
    assert_eq!(
        parsed.to_string(),
        "max(avg(teams[*].players.attributes[skill]))"
    );
    assert_eq!(
        expr::parse("team[red,blue].players.playerId").expect("parses"),
        Expr::Players {
            teams: TeamSelector::Some(vec!["red".into(), "blue".into()]),
            field: Some(PlayerField::PlayerId),
        }
    );
    assert!(expr::looks_like_expression("avg(players.attributes[x])"));
    assert!(!expr::looks_like_expression("casual"));
    assert!(!expr::looks_like_expression("average skill"));
}

#[test]
fn deep_expressions_and_statements_are_refused_not_recursed() {
    let deep = format!(
        "{}players.attributes[skill]{}",
        "avg(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(
        expr::parse(&deep)
            .expect_err("too deep")
            .contains("nested deeper")
    );
    let deep = format!("{}A{}", "not(".repeat(10_000), ")".repeat(10_000));
    assert!(
        compound::parse(&deep)
            .expect_err("too deep")
            .contains("nested deeper")
    );
}

fn team(name: &str, players: &[(&str, f64, &[&str])]) -> eval::MatchTeam {
    eval::MatchTeam {
        name: name.into(),
        players: players
            .iter()
            .map(|(id, skill, maps)| eval::MatchPlayer {
                id: (*id).into(),
                attributes: [
                    ("skill".to_owned(), AttributeValue::Number(*skill)),
                    (
                        "maps".to_owned(),
                        AttributeValue::StringList(maps.iter().map(|m| (*m).to_owned()).collect()),
                    ),
                ]
                .into(),
            })
            .collect(),
    }
}

#[test]
fn evaluates_expressions_over_a_match() {
    use eval::{EvalError, Value};
    let teams = [
        team(
            "red",
            &[("a", 10.0, &["desert", "jungle"]), ("b", 20.0, &["desert"])],
        ),
        team(
            "blue",
            &[
                ("c", 30.0, &["desert", "snow"]),
                ("d", 50.0, &["desert", "jungle"]),
            ],
        ),
    ];
    let value = |text: &str| eval::evaluate(&expr::parse(text).expect("parses"), &teams);
    assert_eq!(
        value("avg(teams[*].players.attributes[skill])"),
        Ok(Value::List(vec![Value::Number(15.0), Value::Number(40.0)]))
    );
    assert_eq!(
        value("max(avg(teams[*].players.attributes[skill]))"),
        Ok(Value::Number(40.0))
    );
    assert_eq!(
        value("avg(flatten(teams[*].players.attributes[skill]))"),
        Ok(Value::Number(27.5))
    );
    assert_eq!(
        value("median(players.attributes[skill])"),
        Ok(Value::Number(25.0))
    );
    assert_eq!(
        value("sum(teams[red].players.attributes[skill])"),
        Ok(Value::Number(30.0))
    );
    assert_eq!(value("count(teams[blue].players)"), Ok(Value::Number(2.0)));
    assert_eq!(
        value("stddev(teams[red].players.attributes[skill])"),
        Ok(Value::Number(5.0))
    );
    assert_eq!(
        value("count(teams[red,blue].players.playerId)"),
        Ok(Value::List(vec![Value::Number(2.0), Value::Number(2.0)]))
    );
    assert_eq!(
        value("set_intersection(flatten(teams[*].players.attributes[maps]))"),
        Ok(Value::List(vec![Value::String("desert".into())]))
    );
    assert_eq!(
        value("set_intersection(teams[*].players.attributes[maps])"),
        Ok(Value::List(vec![
            Value::List(vec![Value::String("desert".into())]),
            Value::List(vec![Value::String("desert".into())]),
        ]))
    );
    assert_eq!(
        value("min(teams[green].players.attributes[skill])"),
        Err(EvalError::UnknownTeam("green".into()))
    );
    assert_eq!(
        value("min(teams[red].players.attributes[rank])"),
        Err(EvalError::MissingAttribute {
            player: "a".into(),
            attribute: "rank".into()
        })
    );
    assert_eq!(
        eval::evaluate(
            &expr::parse("avg(players.attributes[skill])").expect("parses"),
            &[]
        ),
        Err(EvalError::Empty("avg"))
    );
    assert_eq!(
        value("avg(teams[red].players.playerId)"),
        Err(EvalError::Mismatch("avg"))
    );
}

/// Applies `change` to the 5v5 rule set and returns the refusal's message.
fn refusal_of(change: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value = five_v_five();
    change(&mut value);
    refusal(value)
}

#[test]
fn refuses_bodies_that_are_not_rule_sets() {
    assert!(
        parse("{")
            .expect_err("bad")
            .to_string()
            .contains("body: not valid JSON")
    );
    assert!(
        parse("[]")
            .expect_err("bad")
            .to_string()
            .contains("body: must be a JSON object")
    );
    let long = format!("{{\"name\": \"{}\"}}", "x".repeat(MAX_BODY_CHARS));
    assert!(
        parse(&long)
            .expect_err("bad")
            .to_string()
            .contains("body: 65547 characters; at most 65535 are allowed")
    );
}

#[test]
fn refuses_a_missing_or_unknown_language_version() {
    let message = refusal_of(|v| v["ruleLanguageVersion"] = json!("2.0"));
    assert!(
        message.contains("ruleLanguageVersion: \"2.0\" is not supported"),
        "{message}"
    );
    let message = refusal_of(|v| {
        v.as_object_mut().map(|o| o.remove("ruleLanguageVersion"));
    });
    assert!(
        message.contains("ruleLanguageVersion: is required"),
        "{message}"
    );
}

#[test]
fn refuses_unknown_properties_with_a_hint() {
    let message = refusal_of(|v| v["teams"][0]["maxPlayer"] = json!(5));
    assert!(
        message.contains("teams[cowboys].maxPlayer: unknown property (did you mean maxPlayers?)"),
        "{message}"
    );
}

#[test]
fn refuses_a_team_whose_max_is_below_its_min() {
    let message = refusal_of(|v| v["teams"][1]["maxPlayers"] = json!(3));
    assert!(
        message.contains("teams[aliens].maxPlayers: must be at least minPlayers"),
        "{message}"
    );
}

#[test]
fn refuses_teams_defined_twice_or_not_at_all() {
    let message = refusal_of(|v| v["teams"][1]["name"] = json!("cowboys"));
    assert!(
        message.contains("teams[cowboys]: is defined twice"),
        "{message}"
    );
    let message = refusal_of(|v| v["teams"] = json!([]));
    assert!(
        message.contains("teams: must define at least one team"),
        "{message}"
    );
}

#[test]
fn refuses_more_than_two_hundred_players() {
    let message = refusal_of(|v| v["teams"][0]["quantity"] = json!(50));
    assert!(message.contains("teams: allow 255 players"), "{message}");
}

#[test]
fn refuses_an_unknown_attribute_with_a_hint() {
    let message = refusal_of(|v| {
        v["rules"][0]["measurements"] = json!(["avg(teams[*].players.attributes[skil])"]);
    });
    assert!(
        message.contains(
            "rules[FairTeamSkill].measurements[0]: unknown player attribute skil (did you mean skill?)"
        ),
        "{message}"
    );
}

#[test]
fn refuses_an_expression_that_does_not_parse_or_type() {
    let message = refusal_of(|v| v["rules"][0]["measurements"] = json!("avg(teams[*].players"));
    assert!(
        message.contains("rules[FairTeamSkill].measurements: expected \")\""),
        "{message}"
    );
    let message =
        refusal_of(|v| v["rules"][0]["measurements"] = json!("mean(players.attributes[skill])"));
    assert!(
        message.contains("unknown function or path \"mean\""),
        "{message}"
    );
    let message = refusal_of(|v| {
        push(
            &mut v["playerAttributes"],
            json!({"name": "mode", "type": "string"}),
        );
        v["rules"][0]["measurements"] = json!("avg(players.attributes[mode])");
    });
    assert!(
        message.contains("avg() cannot take a list of string"),
        "{message}"
    );
}

#[test]
fn refuses_an_unknown_team_in_an_expression() {
    let message = refusal_of(|v| {
        v["rules"][0]["measurements"] = json!("avg(teams[martians].players.attributes[skill])");
    });
    assert!(
        message.contains("rules[FairTeamSkill].measurements: unknown team martians"),
        "{message}"
    );
}

#[test]
fn refuses_an_unknown_rule_type_and_missing_properties() {
    let message = refusal_of(|v| v["rules"][1]["type"] = json!("latancy"));
    assert!(
        message.contains(
            "rules[FastConnection].type: unknown rule type \"latancy\" (did you mean latency?)"
        ),
        "{message}"
    );
    let message = refusal_of(|v| {
        v["rules"][0]
            .as_object_mut()
            .map(|o| o.remove("maxDistance"));
        v["expansions"] = json!([]);
    });
    assert!(
        message.contains("rules[FairTeamSkill]: needs minDistance, maxDistance or both"),
        "{message}"
    );
    let message = refusal_of(|v| v["rules"][1]["name"] = json!(7));
    assert!(
        message.contains("rules[1].name: must be a string"),
        "{message}"
    );
}

#[test]
fn refuses_a_bad_keyword() {
    let message = refusal_of(|v| v["rules"][1]["distanceReference"] = json!("max"));
    assert!(
        message.contains("rules[FastConnection].distanceReference: \"max\" is not one of min, avg"),
        "{message}"
    );
}

#[test]
fn refuses_an_ordered_comparison_without_a_reference() {
    let message = refusal_of(|v| {
        v["rules"][0] = json!({"name": "C", "type": "comparison", "operation": "<",
                               "measurements": ["flatten(teams[*].players.attributes[skill])"]});
        v["expansions"] = json!([]);
    });
    assert!(
        message.contains("rules[C].operation: without a referenceValue"),
        "{message}"
    );
}

#[test]
fn refuses_a_compound_statement_over_unknown_or_unfit_rules() {
    let message = refusal_of(|v| {
        push(
            &mut v["rules"],
            json!({"name": "Both", "type": "compound",
                          "statement": "and(FairTeamSkil, FastConnection)"}),
        );
    });
    assert!(
        message.contains(
            "rules[Both].statement: unknown rule FairTeamSkil (did you mean FairTeamSkill?)"
        ),
        "{message}"
    );
    assert!(
        message.contains("rule FastConnection is a latency rule; a statement may combine only"),
        "{message}"
    );
    let message = refusal_of(|v| {
        push(
            &mut v["rules"],
            json!({"name": "Bad", "type": "compound", "statement": "not(A, B)"}),
        );
    });
    assert!(
        message.contains("rules[Bad].statement: not() takes exactly one operands"),
        "{message}"
    );
}

#[test]
fn refuses_a_compound_statement_naming_itself_or_with_one_operand() {
    let message = refusal_of(|v| {
        push(
            &mut v["rules"],
            json!({"name": "Loop", "type": "compound", "statement": "or(Loop, FairTeamSkill)"}),
        );
        push(
            &mut v["rules"],
            json!({"name": "Lone", "type": "compound", "statement": "xor(FairTeamSkill)"}),
        );
    });
    assert!(
        message.contains("rules[Loop].statement: refers to itself"),
        "{message}"
    );
    assert!(
        message.contains("rules[Lone].statement: xor() takes two or more operands, not 1"),
        "{message}"
    );
}

#[test]
fn refuses_a_property_that_belongs_to_another_rule_type() {
    let message = refusal_of(|v| v["rules"][1]["sortDirection"] = json!("ascending"));
    assert!(
        message.contains("rules[FastConnection].sortDirection: unknown property"),
        "{message}"
    );
}

#[test]
fn refuses_expansions_of_unknown_targets_and_unordered_steps() {
    let message =
        refusal_of(|v| v["expansions"][0]["target"] = json!("rules[FairSkill].maxDistance"));
    assert!(
        message.contains("expansions[rules[FairSkill].maxDistance].target: unknown rule FairSkill"),
        "{message}"
    );
    let message =
        refusal_of(|v| v["expansions"][0]["target"] = json!("rules[FastConnection].maxLatancy"));
    assert!(
        message.contains("a latency rule's maxLatancy cannot expand"),
        "{message}"
    );
    let message = refusal_of(|v| v["expansions"][0]["steps"][1]["waitTimeSeconds"] = json!(5));
    assert!(
        message.contains(
            "expansions[rules[FairTeamSkill].maxDistance].steps[1].waitTimeSeconds: must be greater"
        ),
        "{message}"
    );
    let message = refusal_of(|v| {
        v["expansions"][1] = json!({"target": "teams[red].minPlayers",
                                    "steps": [{"waitTimeSeconds": 5, "value": 4}]});
    });
    assert!(message.contains("unknown team red"), "{message}");
    let message = refusal_of(|v| {
        v["expansions"][1] = json!({"target": "teams[*].minPlayers",
                                    "steps": [{"waitTimeSeconds": 5, "value": 6}]});
    });
    assert!(
        message.contains(
            "expansions[teams[*].minPlayers].steps[0].value: must not be more than teams[cowboys].maxPlayers (5)"
        ),
        "{message}"
    );
    let message = refusal_of(|v| v["expansions"][0]["steps"][0]["value"] = json!("wide"));
    assert!(
        message.contains("steps[0].value: must be a number"),
        "{message}"
    );
    let message = refusal_of(|v| v["expansions"][0]["target"] = json!("players.skill"));
    assert!(
        message.contains("\"players.skill\" is not a target"),
        "{message}"
    );
}

#[test]
fn refuses_a_default_of_the_wrong_type() {
    let message = refusal_of(|v| v["playerAttributes"][0]["default"] = json!("high"));
    assert!(
        message.contains("playerAttributes[skill].default: must be a value of type number"),
        "{message}"
    );
}

#[test]
fn refuses_sorted_batching_without_attributes_and_balanced_for_small_matches() {
    let message = refusal_of(|v| v["algorithm"] = json!({"batchingPreference": "sorted"}));
    assert!(
        message.contains("algorithm.sortByAttributes: must name at least one attribute"),
        "{message}"
    );
    let message = refusal_of(|v| {
        v["algorithm"] = json!({"strategy": "balanced", "balancedAttribute": "skill"})
    });
    assert!(
        message.contains("algorithm.strategy: \"balanced\" is for large matches only"),
        "{message}"
    );
    let message = refusal_of(|v| v["algorithm"] = json!({"batchingPreference": "balanced"}));
    assert!(
        message.contains("\"balanced\" is a strategy, not a batching preference"),
        "{message}"
    );
}

#[test]
fn refuses_a_large_match_without_the_balanced_strategy_or_with_other_rules() {
    let mut value = large();
    value["algorithm"] = json!({"strategy": "exhaustiveSearch"});
    let message = refusal(value);
    assert!(
        message.contains("algorithm.strategy: must be \"balanced\" for a large match"),
        "{message}"
    );

    let mut value = large();
    value["algorithm"]["batchingPreference"] = json!("sorted");
    let message = refusal(value);
    assert!(
        message.contains(
            "algorithm.batchingPreference: \"sorted\" does not go with the balanced strategy"
        ),
        "{message}"
    );

    let mut value = large();
    value["algorithm"] = json!({"strategy": "balanced"});
    let message = refusal(value);
    assert!(
        message.contains("algorithm.balancedAttribute: is required with the balanced strategy"),
        "{message}"
    );

    let mut value = large();
    value["algorithm"]["balancedAttribute"] = json!("mode");
    let message = refusal(value);
    assert!(
        message.contains(
            "algorithm.balancedAttribute: attribute mode is a string; this needs a number"
        ),
        "{message}"
    );

    let mut value = large();
    push(
        &mut value["rules"],
        json!({"name": "Sort", "type": "absoluteSort", "sortDirection": "ascending",
                      "sortAttribute": "skill"}),
    );
    let message = refusal(value);
    assert!(
        message.contains(
            "rules[Sort].type: a large match (teams allow more than 40 players) may use only"
        ),
        "{message}"
    );
}

#[test]
fn reports_every_problem_not_only_the_first() {
    let error = parse(&body(json!({
        "ruleLanguageVersion": "1.0",
        "teams": [{"name": "a", "minPlayers": 3, "maxPlayers": 2}],
        "rules": [{"name": "r", "type": "latency"}],
        "expansions": [{"target": "teams[b].minPlayers", "steps": []}]
    })))
    .expect_err("invalid");
    let paths: Vec<&str> = error.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "teams[a].maxPlayers",
            "rules[r].maxLatency",
            "expansions[teams[b].minPlayers].target",
            "expansions[teams[b].minPlayers].steps",
        ]
    );
}

#[test]
fn caps_the_number_of_problems_reported() {
    let rules: Vec<_> = (0..40)
        .map(|i| json!({"name": format!("r{i}"), "type": "nope"}))
        .collect();
    let error = parse(&body(json!({
        "ruleLanguageVersion": "1.0",
        "teams": [{"name": "a", "minPlayers": 1, "maxPlayers": 2}],
        "rules": rules
    })))
    .expect_err("invalid");
    assert_eq!(error.problems.len(), MAX_PROBLEMS);
    assert_eq!(error.omitted, 8);
    assert!(error.to_string().ends_with("; and 8 more"));
}

/// Arbitrary JSON values up to a few levels deep, built from rule-set-like keys so that the
/// walk goes past the first checks.
fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    let keys = prop::sample::select(vec![
        "name",
        "type",
        "teams",
        "rules",
        "maxPlayers",
        "minPlayers",
        "quantity",
        "measurements",
        "referenceValue",
        "statement",
        "target",
        "steps",
        "value",
        "waitTimeSeconds",
        "algorithm",
        "strategy",
        "playerAttributes",
        "default",
        "ruleLanguageVersion",
        "expansions",
        "operation",
        "batchAttribute",
        "sortAttribute",
    ]);
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "1.0",
            "skill",
            "red",
            "latency",
            "compound",
            "and(a,b)",
            "not(",
            "teams[*].players",
            "avg(teams[red].players.attributes[skill])",
            "rules[a].maxDistance",
            "balanced",
            "distance",
            "comparison",
            "collection",
            "absoluteSort",
            "batchDistance",
            "number",
        ])
        .prop_map(serde_json::Value::from),
        ".*".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(keys.clone(), inner, 0..8).prop_map(|map| {
                serde_json::Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #[test]
    fn parsing_arbitrary_json_never_panics(value in json_value()) {
        let _ = parse(&value.to_string());
    }

    #[test]
    fn evaluating_parsed_expressions_never_panics(text in ".{0,64}", skills in prop::collection::vec(any::<f64>(), 0..4)) {
        let players: Vec<(String, f64)> = skills.iter().enumerate().map(|(i, s)| (i.to_string(), *s)).collect();
        let refs: Vec<(&str, f64, &[&str])> = players.iter().map(|(id, s)| (id.as_str(), *s, &[][..])).collect();
        let teams = [team("red", &refs), team("blue", &refs)];
        for candidate in [
            text.clone(),
            format!("avg({text})"),
            "stddev(flatten(teams[*].players.attributes[skill]))".to_owned(),
            "median(players.attributes[skill])".to_owned(),
            "set_intersection(players.attributes[maps])".to_owned(),
        ] {
            if let Ok(parsed) = expr::parse(&candidate) {
                let _ = eval::evaluate(&parsed, &teams);
            }
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,256}") {
        let _ = parse(&text);
        let _ = expr::parse(&text);
        let _ = compound::parse(&text);
    }

    #[test]
    fn mutating_a_valid_rule_set_never_panics(
        path in prop::collection::vec(0usize..16, 1..4),
        replacement in json_value(),
    ) {
        let mut value = everything();
        // A JSON pointer to an existing place, chosen by the indices.
        let mut pointer = String::new();
        let mut slot = &value;
        for index in path {
            let (key, next) = match slot {
                serde_json::Value::Object(map) if !map.is_empty() => {
                    let (key, next) = map.iter().nth(index % map.len()).unwrap_or_else(|| unreachable!());
                    (key.replace('~', "~0").replace('/', "~1"), next)
                }
                serde_json::Value::Array(items) if !items.is_empty() => {
                    let i = index % items.len();
                    (i.to_string(), &items[i])
                }
                _ => break,
            };
            pointer = format!("{pointer}/{key}");
            slot = next;
        }
        if let Some(slot) = value.pointer_mut(&pointer) {
            *slot = replacement;
        }
        let _ = parse(&value.to_string());
    }
}
