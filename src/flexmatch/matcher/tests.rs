//! The matcher on rule sets of every rule type: each proposal is checked with `check` and
//! against the teams it should have; expansions before and after their wait; parties,
//! backfill, large matches; inputs that must not panic; and random pools.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::{ProptestConfig, any, prop, proptest};
use serde_json::json;

use super::*;
use crate::flexmatch::compound::Statement;
use crate::flexmatch::{AttributeValue, Rule, RuleKind, RuleSet, parse};

const NOW: u64 = 1_000_000_000;

fn rules(value: serde_json::Value) -> RuleSet {
    match parse(&value.to_string()) {
        Ok(rule_set) => rule_set,
        Err(error) => panic!("a valid rule set: {error}"),
    }
}

fn num(n: f64) -> AttributeValue {
    AttributeValue::Number(n)
}

fn text(s: &str) -> AttributeValue {
    AttributeValue::String(s.to_owned())
}

fn list(items: &[&str]) -> AttributeValue {
    AttributeValue::StringList(items.iter().map(|s| (*s).to_owned()).collect())
}

fn player(id: &str, attributes: &[(&str, AttributeValue)]) -> TicketPlayer {
    TicketPlayer {
        id: id.to_owned(),
        attributes: attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        team: None,
        latency_ms: BTreeMap::new(),
    }
}

fn with_latency(mut p: TicketPlayer, latencies: &[(&str, u32)]) -> TicketPlayer {
    p.latency_ms = latencies
        .iter()
        .map(|(k, v)| ((*k).to_owned(), *v))
        .collect();
    p
}

fn on_team(mut p: TicketPlayer, team: &str) -> TicketPlayer {
    p.team = Some(team.to_owned());
    p
}

/// A ticket that started `waited_secs` before [`NOW`].
fn ticket(id: &str, waited_secs: u64, players: Vec<TicketPlayer>) -> Ticket {
    Ticket {
        id: id.to_owned(),
        start_ms: NOW - waited_secs * 1000,
        players,
        backfill: false,
    }
}

/// A one-player ticket `id` whose player is `id` too.
fn solo(id: &str, waited_secs: u64, attributes: &[(&str, AttributeValue)]) -> Ticket {
    ticket(id, waited_secs, vec![player(id, attributes)])
}

/// `find_matches` with the default budget, every proposal checked: it passes `check`, no
/// ticket is in two proposals, every player of a ticket is in its proposal, and the teams are
/// the rule set's in order.
fn run(rule_set: &RuleSet, tickets: &[Ticket], now: u64) -> Vec<Proposal> {
    run_with(rule_set, tickets, now, Budget::default())
}

fn run_with(rule_set: &RuleSet, tickets: &[Ticket], now: u64, budget: Budget) -> Vec<Proposal> {
    let proposals = find_matches(rule_set, tickets, now, budget);
    assert_sound(rule_set, tickets, now, &proposals);
    proposals
}

fn assert_sound(rule_set: &RuleSet, tickets: &[Ticket], now: u64, proposals: &[Proposal]) {
    let by_id: BTreeMap<&str, &Ticket> = tickets.iter().rev().map(|t| (t.id.as_str(), t)).collect();
    let mut seen = BTreeSet::new();
    for proposal in proposals {
        let members: Vec<&Ticket> = proposal
            .tickets
            .iter()
            .map(|id| *by_id.get(id.as_str()).expect("a ticket of the pool"))
            .collect();
        for id in &proposal.tickets {
            assert!(seen.insert(id.clone()), "ticket {id} is in two proposals");
        }
        if let Err(broken) = check(rule_set, &proposal.teams, &members, now) {
            panic!("{proposal:?} breaks the rule set: {broken}");
        }
        let on_teams: BTreeSet<&str> = proposal
            .teams
            .iter()
            .flat_map(|t| t.players.iter().map(String::as_str))
            .collect();
        let of_tickets: BTreeSet<&str> = members
            .iter()
            .flat_map(|t| t.players.iter().map(|p| p.id.as_str()))
            .collect();
        assert_eq!(
            on_teams, of_tickets,
            "the teams hold exactly the tickets' players"
        );
        assert!(
            members.iter().filter(|t| t.backfill).count() <= 1,
            "at most one backfill ticket"
        );
    }
}

fn team<'p>(proposal: &'p Proposal, name: &str) -> Vec<&'p str> {
    proposal
        .teams
        .iter()
        .find(|t| t.name == name)
        .map(|t| t.players.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

fn sorted(mut ids: Vec<&str>) -> Vec<&str> {
    ids.sort_unstable();
    ids
}

fn five_v_five() -> RuleSet {
    rules(json!({
        "name": "aliens_vs_cowboys",
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
        "teams": [
            {"name": "cowboys", "maxPlayers": 5, "minPlayers": 5},
            {"name": "aliens", "maxPlayers": 5, "minPlayers": 5}
        ],
        "rules": [{
            "name": "FairTeamSkill",
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
    }))
}

#[test]
fn ten_players_make_one_five_versus_five_match_with_balanced_teams_where_latency_is_lowest() {
    let skills = [10.0, 12.0, 30.0, 31.0, 14.0, 16.0, 25.0, 20.0, 18.0, 22.0];
    let tickets: Vec<Ticket> = skills
        .iter()
        .enumerate()
        .map(|(i, skill)| {
            let id = format!("p{i}");
            let p = with_latency(
                player(&id, &[("skill", num(*skill))]),
                &[
                    ("us-east-1", 20 + i as u32),
                    ("eu-west-1", 40),
                    ("ap-south-1", 90),
                ],
            );
            ticket(&id, 0, vec![p])
        })
        .collect();
    let proposals = run(&five_v_five(), &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    let p = &proposals[0];
    assert_eq!(p.tickets.len(), 10);
    assert_eq!(
        p.tickets[0], "p0",
        "the oldest ticket (first given) seeds the match"
    );
    assert_eq!(team(p, "cowboys").len(), 5);
    assert_eq!(team(p, "aliens").len(), 5);
    let avg = |name: &str| {
        team(p, name)
            .iter()
            .map(|id| skills[id[1..].parse::<usize>().expect("an index")])
            .sum::<f64>()
            / 5.0
    };
    assert!((avg("cowboys") - avg("aliens")).abs() <= 20.0);
    // us-east-1 averages 24.5 ms; eu-west-1 40 ms; ap-south-1 is over 50 ms for everyone.
    assert_eq!(p.location.as_deref(), Some("us-east-1"));
}

#[test]
fn copies_of_a_team_are_numbered_and_a_rule_naming_the_team_reaches_every_copy() {
    // GameLift's three-team example: "trio" with quantity 3, at most five medics, team sizes
    // within one of each other, every trio's average skill within 10 of the match's.
    let rule_set = rules(json!({
        "name": "three_team_game",
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [
            {"name": "skill", "type": "number", "default": 10},
            {"name": "character", "type": "string_list", "default": ["peasant"]}
        ],
        "teams": [{"name": "trio", "minPlayers": 3, "maxPlayers": 5, "quantity": 3}],
        "rules": [{
            "name": "FairTeamSkill",
            "type": "distance",
            "measurements": ["avg(teams[*].players.attributes[skill])"],
            "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
            "maxDistance": 10
        }, {
            "name": "CloseTeamSizes",
            "type": "distance",
            "measurements": ["max(count(teams[*].players))"],
            "referenceValue": "min(count(teams[*].players))",
            "maxDistance": 1
        }, {
            "name": "OverallMedicLimit",
            "type": "collection",
            "measurements": ["flatten(teams[*].players.attributes[character])"],
            "operation": "contains",
            "referenceValue": "medic",
            "maxCount": 5
        }, {
            "name": "SkilledTrios",
            "type": "comparison",
            "measurements": ["teams[trio].players.attributes[skill]"],
            "referenceValue": 5,
            "operation": ">="
        }, {
            "name": "FastConnection",
            "type": "latency",
            "maxLatency": 50
        }]
    }));
    // Six medics (every third player), and p04 too unskilled for any trio.
    let mut tickets = Vec::new();
    for i in 0..18 {
        let character = if i % 3 == 0 { "medic" } else { "knight" };
        let skill = if i == 4 { 1.0 } else { 20.0 + f64::from(i % 5) };
        let id = format!("p{i:02}");
        let p = with_latency(
            player(
                &id,
                &[("skill", num(skill)), ("character", list(&[character]))],
            ),
            &[("us-west-2", 30)],
        );
        tickets.push(ticket(&id, 0, vec![p]));
    }
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    let p = &proposals[0];
    let names: Vec<&str> = p.teams.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["trio1", "trio2", "trio3"]);
    for t in &p.teams {
        assert_eq!(t.players.len(), 5, "filled to maxPlayers: {p:?}");
    }
    let medics = p
        .tickets
        .iter()
        .filter(|id| id[1..].parse::<u32>().is_ok_and(|i| i % 3 == 0))
        .count();
    assert_eq!(medics, 5, "at most five medics, and the rest knights");
    assert!(
        !p.tickets.iter().any(|id| id == "p04"),
        "skill 1 breaks SkilledTrios"
    );
    assert!(
        !p.tickets.iter().any(|id| id == "p15"),
        "the sixth medic stays out"
    );
}

fn one_team(
    min: u32,
    max: u32,
    rules_json: serde_json::Value,
    attributes: serde_json::Value,
) -> RuleSet {
    rules(json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": attributes,
        "teams": [{"name": "all", "minPlayers": min, "maxPlayers": max}],
        "rules": rules_json
    }))
}

fn skills_of(proposal: &Proposal, skills: &BTreeMap<&str, f64>) -> Vec<f64> {
    let mut values: Vec<f64> = proposal
        .teams
        .iter()
        .flat_map(|t| t.players.iter().map(|id| skills[id.as_str()]))
        .collect();
    values.sort_by(f64::total_cmp);
    values
}

#[test]
fn batch_distance_keeps_every_number_within_max_distance_of_every_other() {
    let rule_set = one_team(
        4,
        4,
        json!([{"name": "SimilarSkill", "type": "batchDistance", "batchAttribute": "skill",
                "maxDistance": 5}]),
        json!([{"name": "skill", "type": "number"}]),
    );
    let skills: BTreeMap<&str, f64> = [
        ("a", 30.0),
        ("b", 10.0),
        ("c", 50.0),
        ("d", 12.0),
        ("e", 31.0),
        ("f", 14.0),
        ("g", 13.0),
        ("h", 33.0),
        ("i", 16.0),
    ]
    .into_iter()
    .collect();
    let tickets: Vec<Ticket> = skills
        .iter()
        .enumerate()
        .map(|(age, (id, s))| solo(id, 100 - age as u64, &[("skill", num(*s))]))
        .collect();
    let proposals = run(&rule_set, &tickets, NOW);
    let matched: Vec<Vec<f64>> = proposals.iter().map(|p| skills_of(p, &skills)).collect();
    // a (30) seeds first: 31 and 33 are within 5 but a fourth is not. b (10) then takes the
    // closest three: 12, 13 and 14 (16 is 6 away).
    assert_eq!(matched, vec![vec![10.0, 12.0, 13.0, 14.0]]);
}

#[test]
fn batch_distance_on_a_string_puts_only_equal_values_together() {
    let rule_set = one_team(
        2,
        2,
        json!([{"name": "SameMode", "type": "batchDistance", "batchAttribute": "mode"}]),
        json!([{"name": "mode", "type": "string"}]),
    );
    let tickets = vec![
        solo("a", 9, &[("mode", text("ctf"))]),
        solo("b", 8, &[("mode", text("dm"))]),
        solo("c", 7, &[("mode", text("koth"))]),
        solo("d", 6, &[("mode", text("dm"))]),
        solo("e", 5, &[("mode", text("ctf"))]),
        solo("f", 4, &[]),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    let pairs: Vec<Vec<&str>> = proposals.iter().map(|p| sorted(team(p, "all"))).collect();
    assert_eq!(pairs, vec![vec!["a", "e"], vec!["b", "d"]]);
}

fn monster_rules() -> RuleSet {
    rules(json!({
        "name": "players_vs_monster_5_vs_1",
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [
            {"name": "skill", "type": "number", "default": 10},
            {"name": "desiredSkillOfMonster", "type": "number", "default": 10},
            {"name": "wantsToBeMonster", "type": "number", "default": 0}
        ],
        "teams": [
            {"name": "players", "maxPlayers": 5, "minPlayers": 5},
            {"name": "monster", "maxPlayers": 1, "minPlayers": 1}
        ],
        "rules": [{
            "name": "MonsterSelection",
            "type": "comparison",
            "measurements": ["teams[monster].players.attributes[wantsToBeMonster]"],
            "referenceValue": 1,
            "operation": "="
        }, {
            "name": "PlayerSelection",
            "type": "comparison",
            "measurements": ["teams[players].players.attributes[wantsToBeMonster]"],
            "referenceValue": 0,
            "operation": "="
        }, {
            "name": "MonsterSkill",
            "type": "comparison",
            "measurements": ["avg(teams[monster].players.attributes[skill])"],
            "referenceValue": "max(teams[players].players.attributes[desiredSkillOfMonster])",
            "operation": ">="
        }],
        "expansions": [{
            "target": "teams[players].minPlayers",
            "steps": [{"waitTimeSeconds": 30, "value": 4}, {"waitTimeSeconds": 60, "value": 3}]
        }]
    }))
}

fn hunter(id: &str, waited: u64, desired: f64) -> Ticket {
    solo(id, waited, &[("desiredSkillOfMonster", num(desired))])
}

fn monster(id: &str, waited: u64, skill: f64) -> Ticket {
    solo(
        id,
        waited,
        &[("skill", num(skill)), ("wantsToBeMonster", num(1.0))],
    )
}

#[test]
fn comparison_rules_with_a_reference_pick_the_monster_that_every_hunter_accepts() {
    let tickets = vec![
        hunter("h1", 50, 10.0),
        hunter("h2", 49, 20.0),
        hunter("h3", 48, 12.0),
        hunter("h4", 47, 15.0),
        monster("weak", 46, 15.0),
        hunter("h5", 45, 18.0),
        monster("strong", 44, 25.0),
    ];
    let proposals = run(&monster_rules(), &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    let p = &proposals[0];
    assert_eq!(team(p, "monster"), ["strong"]);
    assert_eq!(sorted(team(p, "players")), ["h1", "h2", "h3", "h4", "h5"]);
}

#[test]
fn a_team_minimum_expansion_applies_once_the_wait_reaches_it_and_not_before() {
    let tickets = vec![
        hunter("h1", 0, 10.0),
        hunter("h2", 0, 10.0),
        hunter("h3", 0, 10.0),
        monster("m", 0, 20.0),
    ];
    let rule_set = monster_rules();
    let start = NOW;
    assert!(
        run(&rule_set, &tickets, start + 29_999).is_empty(),
        "five hunters needed"
    );
    assert!(
        run(&rule_set, &tickets, start + 30_000).is_empty(),
        "four hunters needed"
    );
    assert!(
        run(&rule_set, &tickets, start + 59_999).is_empty(),
        "four hunters needed"
    );
    let proposals = run(&rule_set, &tickets, start + 60_000);
    assert_eq!(proposals.len(), 1, "three hunters are enough after 60 s");
    assert_eq!(sorted(team(&proposals[0], "players")), ["h1", "h2", "h3"]);
    assert_eq!(team(&proposals[0], "monster"), ["m"]);
}

#[test]
fn comparison_without_a_reference_wants_all_values_equal_or_all_different() {
    let rule_set = one_team(
        3,
        3,
        json!([{
            "name": "SameMap", "type": "comparison",
            "measurements": ["flatten(teams[*].players.attributes[map])"], "operation": "="
        }, {
            "name": "DifferentCharacters", "type": "comparison",
            "measurements": ["flatten(teams[*].players.attributes[character])"], "operation": "!="
        }]),
        json!([{"name": "map", "type": "string"}, {"name": "character", "type": "string"}]),
    );
    let t = |id: &str, age: u64, map: &str, character: &str| {
        solo(
            id,
            age,
            &[("map", text(map)), ("character", text(character))],
        )
    };
    let tickets = vec![
        t("a", 9, "dust", "sniper"),
        t("b", 8, "dust", "sniper"),
        t("c", 7, "jungle", "medic"),
        t("d", 6, "dust", "medic"),
        t("e", 5, "dust", "tank"),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(sorted(team(&proposals[0], "all")), ["a", "d", "e"]);
}

#[test]
fn collection_intersection_needs_a_value_common_to_every_player() {
    let rule_set = one_team(
        3,
        3,
        json!([{
            "name": "MapOverlap", "type": "collection", "operation": "intersection",
            "measurements": ["flatten(teams[*].players.attributes[maps])"], "minCount": 1
        }]),
        json!([{"name": "maps", "type": "string_list", "default": ["default"]}]),
    );
    let tickets = vec![
        solo("a", 9, &[("maps", list(&["dust", "jungle"]))]),
        solo("b", 8, &[("maps", list(&["jungle"]))]),
        solo("c", 7, &[("maps", list(&["dust"]))]),
        solo("d", 6, &[("maps", list(&["jungle", "arctic"]))]),
        solo("e", 5, &[]),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(sorted(team(&proposals[0], "all")), ["a", "b", "d"]);
}

#[test]
fn reference_intersection_count_checks_each_list_against_the_reference() {
    // GameLift's example: every character in use is on every player's preferred opponents.
    let rule_set = one_team(
        3,
        3,
        json!([{
            "name": "OpponentMatch", "type": "collection",
            "operation": "reference_intersection_count",
            "measurements": ["flatten(teams[*].players.attributes[myCharacter])"],
            "referenceValue":
                "set_intersection(flatten(teams[*].players.attributes[preferredOpponents]))",
            "minCount": 1
        }]),
        json!([
            {"name": "myCharacter", "type": "string_list"},
            {"name": "preferredOpponents", "type": "string_list"}
        ]),
    );
    let t = |id: &str, age: u64, me: &str, opponents: &[&str]| {
        solo(
            id,
            age,
            &[
                ("myCharacter", list(&[me])),
                ("preferredOpponents", list(opponents)),
            ],
        )
    };
    let tickets = vec![
        t("a", 9, "orc", &["orc", "elf", "dwarf"]),
        t("b", 8, "elf", &["orc", "elf"]),
        t("c", 7, "troll", &["orc", "elf", "troll"]),
        t("d", 6, "orc", &["elf", "orc", "troll"]),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(sorted(team(&proposals[0], "all")), ["a", "b", "d"]);
}

#[test]
fn distance_to_a_number_keeps_each_measurement_between_min_and_max_distance() {
    let rule_set = one_team(
        2,
        2,
        json!([{
            "name": "Veterans", "type": "distance",
            "measurements": ["flatten(teams[*].players.attributes[hours])"],
            "referenceValue": 100, "minDistance": 10, "maxDistance": 50
        }]),
        json!([{"name": "hours", "type": "number"}]),
    );
    let tickets = vec![
        solo("a", 9, &[("hours", num(95.0))]),
        solo("b", 8, &[("hours", num(140.0))]),
        solo("c", 7, &[("hours", num(40.0))]),
        solo("d", 6, &[("hours", num(60.0))]),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(sorted(team(&proposals[0], "all")), ["b", "d"]);
}

#[test]
fn latency_rules_pick_a_location_under_max_latency_within_max_distance_of_the_fastest() {
    let rule_set = one_team(
        3,
        3,
        json!([{
            "name": "Close", "type": "latency", "maxLatency": 100, "maxDistance": 30,
            "distanceReference": "min"
        }]),
        json!([]),
    );
    let t = |id: &str, age: u64, latencies: &[(&str, u32)]| {
        ticket(id, age, vec![with_latency(player(id, &[]), latencies)])
    };
    let tickets = vec![
        t("a", 9, &[("east", 20), ("west", 60)]),
        t("b", 8, &[("east", 70), ("west", 60)]),
        t("c", 7, &[("east", 40), ("west", 50)]),
        t("d", 6, &[]),
        t("e", 5, &[("east", 30)]),
        t("f", 4, &[("east", 45), ("west", 10)]),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    let p = &proposals[0];
    // a, b and c fit west only (east: 70 is 50 above 20); d gave no latencies; with f, west's
    // fastest is 10 and a's 60 is too far.
    assert_eq!(sorted(team(p, "all")), ["a", "b", "c"]);
    assert_eq!(p.location.as_deref(), Some("west"));
}

#[test]
fn latency_distance_from_the_average_and_party_aggregation_of_latency() {
    let rule_set = one_team(
        2,
        3,
        json!([{
            "name": "Even", "type": "latency", "maxLatency": 200, "maxDistance": 10,
            "distanceReference": "avg", "partyAggregation": "min"
        }]),
        json!([]),
    );
    // The party's min is 40; with b (60) the average is 50 and both are within 10.
    let party = ticket(
        "party",
        9,
        vec![
            with_latency(player("p1", &[]), &[("east", 40)]),
            with_latency(player("p2", &[]), &[("east", 90)]),
        ],
    );
    let b = ticket(
        "b",
        8,
        vec![with_latency(player("b", &[]), &[("east", 60)])],
    );
    let c = ticket(
        "c",
        7,
        vec![with_latency(player("c", &[]), &[("east", 75)])],
    );
    let proposals = run(&rule_set, &[party, b, c], NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(sorted(team(&proposals[0], "all")), ["b", "p1", "p2"]);
    assert_eq!(proposals[0].location.as_deref(), Some("east"));
}

#[test]
fn absolute_sort_takes_candidates_in_sort_order_rather_than_by_age() {
    let rule_set = one_team(
        2,
        2,
        json!([{
            "name": "BestFirst", "type": "absoluteSort", "sortDirection": "descending",
            "sortAttribute": "skill"
        }]),
        json!([{"name": "skill", "type": "number", "default": 0}]),
    );
    let tickets = vec![
        solo("seed", 9, &[("skill", num(10.0))]),
        solo("low", 8, &[("skill", num(5.0))]),
        solo("high", 7, &[("skill", num(50.0))]),
        solo("mid", 6, &[("skill", num(20.0))]),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    let pairs: Vec<Vec<&str>> = proposals.iter().map(|p| sorted(team(p, "all"))).collect();
    assert_eq!(pairs, vec![vec!["high", "seed"], vec!["low", "mid"]]);
}

#[test]
fn absolute_sort_on_a_map_uses_the_seed_s_favourite_key() {
    let rule_set = one_team(
        2,
        2,
        json!([{
            "name": "MapPreference", "type": "absoluteSort", "sortDirection": "descending",
            "sortAttribute": "mapPreference", "mapKey": "maxValue"
        }]),
        json!([{"name": "mapPreference", "type": "string_number_map",
                "default": {"defaultMap": 100}}]),
    );
    let prefs = |pairs: &[(&str, f64)]| {
        AttributeValue::StringNumberMap(pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect())
    };
    let tickets = vec![
        solo(
            "seed",
            9,
            &[(
                "mapPreference",
                prefs(&[("forest", 90.0), ("desert", 10.0)]),
            )],
        ),
        solo(
            "desert",
            8,
            &[("mapPreference", prefs(&[("forest", 5.0), ("desert", 99.0)]))],
        ),
        solo(
            "forest",
            7,
            &[("mapPreference", prefs(&[("forest", 80.0)]))],
        ),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(sorted(team(&proposals[0], "all")), ["forest", "seed"]);
}

fn compound_rules() -> RuleSet {
    rules(json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [
            {"name": "skill", "type": "number"},
            {"name": "map", "type": "string"}
        ],
        "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1},
                  {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
        "rules": [{
            "name": "SimilarSkill", "type": "distance",
            "measurements": ["max(flatten(teams[*].players.attributes[skill]))"],
            "referenceValue": "min(flatten(teams[*].players.attributes[skill]))",
            "maxDistance": 10
        }, {
            "name": "SameMap", "type": "comparison",
            "measurements": ["flatten(teams[*].players.attributes[map])"], "operation": "="
        }, {
            "name": "SameMapOrSkill", "type": "compound",
            "statement": "or(SameMap, SimilarSkill)"
        }]
    }))
}

#[test]
fn rules_named_in_a_compound_statement_count_only_through_it() {
    let t = |id: &str, age: u64, skill: f64, map: &str| {
        solo(id, age, &[("skill", num(skill)), ("map", text(map))])
    };
    // a and b share a map but not skill; c and d share skill but not a map; e fits no one.
    let tickets = vec![
        t("a", 9, 10.0, "dust"),
        t("c", 8, 50.0, "jungle"),
        t("e", 7, 90.0, "arctic"),
        t("b", 6, 70.0, "dust"),
        t("d", 5, 55.0, "desert"),
    ];
    let proposals = run(&compound_rules(), &tickets, NOW);
    let pairs: Vec<Vec<&str>> = proposals
        .iter()
        .map(|p| sorted(p.tickets.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(pairs, vec![vec!["a", "b"], vec!["c", "d"]]);
}

#[test]
fn compound_statements_combine_with_and_or_not_and_xor() {
    let statement_set = |statement: &str| {
        rules(json!({
            "ruleLanguageVersion": "1.0",
            "playerAttributes": [{"name": "skill", "type": "number"}],
            "teams": [{"name": "all", "minPlayers": 1, "maxPlayers": 2}],
            "rules": [{
                "name": "High", "type": "comparison",
                "measurements": ["flatten(teams[*].players.attributes[skill])"],
                "referenceValue": 50, "operation": ">="
            }, {
                "name": "Even", "type": "comparison",
                "measurements": ["flatten(teams[*].players.attributes[skill])"],
                "referenceValue": 60, "operation": "<"
            }, {"name": "C", "type": "compound", "statement": statement}]
        }))
    };
    let skilled = |skill: f64| solo("x", 0, &[("skill", num(skill))]);
    let alone = |t: &Ticket| {
        vec![ProposedTeam {
            name: "all".to_owned(),
            players: vec![t.players[0].id.clone()],
        }]
    };
    let verdict = |statement: &str, skill: f64| {
        let t = skilled(skill);
        check(&statement_set(statement), &alone(&t), &[&t], NOW).is_ok()
    };
    assert!(verdict("and(High, Even)", 55.0));
    assert!(!verdict("and(High, Even)", 65.0));
    assert!(verdict("or(High, Even)", 10.0));
    assert!(verdict("xor(High, Even)", 65.0));
    assert!(!verdict("xor(High, Even)", 55.0));
    assert!(verdict("not(High)", 10.0));
    assert!(!verdict("not(High)", 50.0));
    assert!(verdict("and(not(xor(High, Even)), High)", 55.0));
    let t = skilled(70.0);
    match check(
        &statement_set("and(not(High), Even)"),
        &alone(&t),
        &[&t],
        NOW,
    ) {
        Err(broken) => assert_eq!(broken.name(), "C"),
        Ok(()) => panic!("not(High) is false at 70"),
    }
}

fn skill_floor(aggregation: &str) -> RuleSet {
    rules(json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number"}],
        "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2},
                  {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
        "rules": [{
            "name": "Skilled", "type": "comparison",
            "measurements": ["flatten(teams[*].players.attributes[skill])"],
            "referenceValue": 20, "operation": ">=", "partyAggregation": aggregation
        }]
    }))
}

#[test]
fn a_party_stays_on_one_team_and_its_aggregated_value_is_what_rules_see() {
    let party = ticket(
        "party",
        9,
        vec![
            player("p1", &[("skill", num(15.0))]),
            player("p2", &[("skill", num(30.0))]),
        ],
    );
    let others = vec![
        solo("a", 8, &[("skill", num(25.0))]),
        solo("b", 7, &[("skill", num(26.0))]),
    ];
    let pool: Vec<Ticket> = std::iter::once(party).chain(others).collect();

    // The party's average is 22.5: both its players pass, p1 included.
    let proposals = run(&skill_floor("avg"), &pool, NOW);
    assert_eq!(proposals.len(), 1);
    let p = &proposals[0];
    let party_team = if team(p, "red").contains(&"p1") {
        "red"
    } else {
        "blue"
    };
    assert_eq!(
        sorted(team(p, party_team)),
        ["p1", "p2"],
        "a party is never split"
    );

    // The party's minimum is 15: neither passes. Its maximum is 30: both do.
    assert!(run(&skill_floor("min"), &pool, NOW).is_empty());
    assert_eq!(run(&skill_floor("max"), &pool, NOW).len(), 1);
}

#[test]
fn parties_fill_teams_without_being_split() {
    let rule_set = five_v_five();
    let at = |id: &str| with_latency(player(id, &[("skill", num(20.0))]), &[("east", 10)]);
    let tickets = vec![
        ticket("trio", 9, vec![at("t1"), at("t2"), at("t3")]),
        ticket("duo1", 8, vec![at("d1"), at("d2")]),
        ticket("duo2", 7, vec![at("e1"), at("e2")]),
        ticket("trio2", 6, vec![at("u1"), at("u2"), at("u3")]),
        ticket("solo", 5, vec![at("s1")]),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    let p = &proposals[0];
    assert_eq!(
        p.tickets.len(),
        4,
        "5 + 5 out of 3, 2, 2, 3: the solo one is left"
    );
    for t in &p.teams {
        assert_eq!(t.players.len(), 5);
    }
}

fn two_v_two() -> RuleSet {
    rules(json!({
        "ruleLanguageVersion": "1.0",
        "algorithm": {"backfillPriority": "normal"},
        "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2},
                  {"name": "blue", "minPlayers": 2, "maxPlayers": 2}]
    }))
}

fn with_priority(priority: &str) -> RuleSet {
    rules(json!({
        "ruleLanguageVersion": "1.0",
        "algorithm": {"backfillPriority": priority},
        "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2},
                  {"name": "blue", "minPlayers": 2, "maxPlayers": 2}]
    }))
}

fn backfill(id: &str, waited: u64, players: Vec<TicketPlayer>) -> Ticket {
    Ticket {
        backfill: true,
        ..ticket(id, waited, players)
    }
}

#[test]
fn a_backfill_ticket_keeps_its_players_on_their_teams_and_fills_the_open_slots() {
    let rule_set = rules(json!({
        "ruleLanguageVersion": "1.0",
        "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 4},
                  {"name": "blue", "minPlayers": 2, "maxPlayers": 4}]
    }));
    let game = backfill(
        "game",
        20,
        vec![
            on_team(player("a", &[]), "red"),
            on_team(player("b", &[]), "red"),
            on_team(player("c", &[]), "blue"),
        ],
    );
    let mut tickets = vec![game];
    for i in 0..7 {
        tickets.push(solo(&format!("n{i}"), 10 - i, &[]));
    }
    let proposals = run(&rule_set, &tickets, NOW);
    let with_game: Vec<&Proposal> = proposals
        .iter()
        .filter(|p| p.tickets.contains(&"game".to_owned()))
        .collect();
    assert_eq!(with_game.len(), 1);
    let p = with_game[0];
    assert!(team(p, "red").starts_with(&["a", "b"]));
    assert_eq!(team(p, "blue")[0], "c");
    assert_eq!(team(p, "red").len(), 4, "filled to maxPlayers");
    assert_eq!(team(p, "blue").len(), 4);
}

#[test]
fn backfill_priority_high_matches_backfill_first_and_low_last() {
    let pool = |backfill_waited: u64| {
        vec![
            solo("s1", 20, &[]),
            solo("s2", 19, &[]),
            solo("s3", 18, &[]),
            solo("s4", 17, &[]),
            backfill(
                "game",
                backfill_waited,
                vec![
                    on_team(player("a", &[]), "red"),
                    on_team(player("b", &[]), "blue"),
                ],
            ),
        ]
    };
    let has_game = |proposals: &[Proposal]| proposals.iter().any(|p| p.tickets[0] == "game");

    let high = run(&with_priority("high"), &pool(1), NOW);
    assert_eq!(high.len(), 1);
    assert_eq!(high[0].tickets, ["game", "s1", "s2"]);

    let low = run(&with_priority("low"), &pool(99), NOW);
    assert_eq!(low.len(), 1);
    assert!(!has_game(&low), "new matches go first: {low:?}");

    // Normal: by age.
    let normal_new = run(&two_v_two(), &pool(1), NOW);
    assert!(!has_game(&normal_new));
    let normal_old = run(&two_v_two(), &pool(99), NOW);
    assert!(has_game(&normal_old));
}

#[test]
fn backfill_tickets_that_cannot_match_are_passed_by() {
    let tickets = vec![
        backfill("unknown", 9, vec![on_team(player("a", &[]), "green")]),
        backfill("teamless", 8, vec![player("b", &[])]),
        backfill("empty", 7, vec![]),
        backfill("second", 6, vec![on_team(player("c", &[]), "red")]),
        solo("s1", 5, &[]),
        solo("s2", 4, &[]),
        solo("s3", 3, &[]),
    ];
    let proposals = run(&two_v_two(), &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(proposals[0].tickets, ["second", "s1", "s2", "s3"]);
    // check says why an unknown team cannot be.
    let t = &tickets[0];
    let teams = vec![ProposedTeam {
        name: "red".to_owned(),
        players: vec!["a".to_owned()],
    }];
    assert!(matches!(
        check(&two_v_two(), &teams, &[t], NOW),
        Err(Broken::Player { player, .. }) if player == "a"
    ));
}

/// A deterministic stream of numbers in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn large_rules() -> RuleSet {
    rules(json!({
        "name": "fifty_v_fifty",
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
        "algorithm": {"strategy": "balanced", "balancedAttribute": "skill",
                      "batchingPreference": "fastestRegion"},
        "teams": [{"name": "red", "minPlayers": 40, "maxPlayers": 50},
                  {"name": "blue", "minPlayers": 40, "maxPlayers": 50}],
        "rules": [{"name": "Latency", "type": "latency", "maxLatency": 150},
                  {"name": "Band", "type": "batchDistance", "batchAttribute": "skill",
                   "maxDistance": 600}]
    }))
}

fn large_pool(n: usize, seed: u64) -> Vec<Ticket> {
    let mut rng = Lcg(seed);
    (0..n)
        .map(|i| {
            let id = format!("p{i:04}");
            let skill = 1000.0 + (rng.next() * 1000.0).round();
            let east = 20 + (rng.next() * 100.0) as u32;
            let west = 20 + (rng.next() * 120.0) as u32;
            let p = with_latency(
                player(&id, &[("skill", num(skill))]),
                &[("us-east-1", east), ("us-west-2", west)],
            );
            ticket(&id, (n - i) as u64, vec![p])
        })
        .collect()
}

#[test]
fn a_large_match_fills_to_one_hundred_and_balances_team_skill() {
    let tickets = large_pool(200, 7);
    let rule_set = large_rules();
    let proposals = run(&rule_set, &tickets, NOW);
    assert!(!proposals.is_empty());
    let p = &proposals[0];
    assert_eq!(team(p, "red").len(), 50);
    assert_eq!(team(p, "blue").len(), 50);
    let skill: BTreeMap<&str, f64> = tickets
        .iter()
        .map(|t| match t.players[0].attributes.get("skill") {
            Some(AttributeValue::Number(n)) => (t.id.as_str(), *n),
            _ => (t.id.as_str(), f64::NAN),
        })
        .collect();
    let avg = |name: &str| team(p, name).iter().map(|id| skill[id]).sum::<f64>() / 50.0;
    assert!(
        (avg("red") - avg("blue")).abs() < 5.0,
        "team averages {} and {}",
        avg("red"),
        avg("blue")
    );
    let all = skills_of(p, &skill);
    assert!(all[all.len() - 1] - all[0] <= 600.0);
}

#[test]
fn a_large_match_waits_for_its_latency_expansion() {
    let rule_set = rules(json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
        "algorithm": {"strategy": "balanced", "balancedAttribute": "skill",
                      "batchingPreference": "largestPopulation"},
        "teams": [{"name": "red", "minPlayers": 20, "maxPlayers": 25},
                  {"name": "blue", "minPlayers": 20, "maxPlayers": 25}],
        "rules": [{"name": "Latency", "type": "latency", "maxLatency": 100}],
        "expansions": [{"target": "rules[Latency].maxLatency",
                        "steps": [{"waitTimeSeconds": 10, "value": 250}]}]
    }));
    let tickets: Vec<Ticket> = (0..50)
        .map(|i| {
            let id = format!("p{i:02}");
            let p = with_latency(player(&id, &[]), &[("sa-east-1", 180 + i)]);
            ticket(&id, 0, vec![p])
        })
        .collect();
    assert!(
        run(&rule_set, &tickets, NOW + 9_999).is_empty(),
        "over 100 ms before 10 s"
    );
    let proposals = run(&rule_set, &tickets, NOW + 10_000);
    assert_eq!(proposals.len(), 1);
    assert_eq!(proposals[0].tickets.len(), 50);
    assert_eq!(proposals[0].location.as_deref(), Some("sa-east-1"));
}

#[test]
fn a_rule_property_expansion_applies_once_the_wait_reaches_it() {
    let rule_set = rules(json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number"}],
        "teams": [{"name": "all", "minPlayers": 2, "maxPlayers": 2}],
        "rules": [{"name": "Close", "type": "batchDistance", "batchAttribute": "skill",
                   "maxDistance": 5}],
        "expansions": [{"target": "rules[Close].maxDistance",
                        "steps": [{"waitTimeSeconds": 10, "value": 20}]}]
    }));
    let tickets = vec![
        solo("a", 0, &[("skill", num(0.0))]),
        solo("b", 0, &[("skill", num(15.0))]),
    ];
    assert!(run(&rule_set, &tickets, NOW + 9_999).is_empty());
    let proposals = run(&rule_set, &tickets, NOW + 10_000);
    assert_eq!(proposals.len(), 1);
    // check agrees: the same match breaks Close before the wait.
    let members: Vec<&Ticket> = tickets.iter().collect();
    let broken = check(&rule_set, &proposals[0].teams, &members, NOW + 9_999);
    assert!(matches!(broken, Err(Broken::Rule { rule, .. }) if rule == "Close"));
}

fn age_rules(selection: &str) -> RuleSet {
    rules(json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number"}],
        "algorithm": {"expansionAgeSelection": selection},
        "teams": [{"name": "all", "minPlayers": 2, "maxPlayers": 2}],
        "rules": [{"name": "Close", "type": "batchDistance", "batchAttribute": "skill",
                   "maxDistance": 5}],
        "expansions": [{"target": "rules[Close].maxDistance",
                        "steps": [{"waitTimeSeconds": 20, "value": 50}]}]
    }))
}

#[test]
fn expansions_follow_the_newest_ticket_unless_the_rule_set_says_oldest() {
    let tickets = vec![
        solo("old", 30, &[("skill", num(0.0))]),
        solo("new", 1, &[("skill", num(40.0))]),
    ];
    assert!(
        run(&age_rules("newest"), &tickets, NOW).is_empty(),
        "the newest ticket has waited 1 s"
    );
    assert_eq!(run(&age_rules("oldest"), &tickets, NOW).len(), 1);
    // Newest: once the new one has waited 20 s too.
    assert_eq!(run(&age_rules("newest"), &tickets, NOW + 19_000).len(), 1);
}

#[test]
fn with_newest_selection_old_tickets_match_each_other_under_their_expansions() {
    // old1 and old2 are 40 apart and have waited 30 s; new is close to old1 but fresh.
    let tickets = vec![
        solo("old1", 30, &[("skill", num(0.0))]),
        solo("new", 1, &[("skill", num(3.0))]),
        solo("old2", 25, &[("skill", num(40.0))]),
    ];
    let proposals = run(&age_rules("newest"), &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(
        sorted(team(&proposals[0], "all")),
        ["new", "old1"],
        "strict rules first"
    );
    let fresh_elsewhere = vec![
        solo("old1", 30, &[("skill", num(0.0))]),
        solo("new", 1, &[("skill", num(30.0))]),
        solo("old2", 25, &[("skill", num(40.0))]),
    ];
    let proposals = run(&age_rules("newest"), &fresh_elsewhere, NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(sorted(team(&proposals[0], "all")), ["old1", "old2"]);
}

#[test]
fn a_batching_preference_expansion_sorts_candidates_once_it_applies() {
    let rule_set = rules(json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number"}],
        "algorithm": {"batchingPreference": "random", "sortByAttributes": ["skill"]},
        "teams": [{"name": "all", "minPlayers": 2, "maxPlayers": 2}],
        "expansions": [{"target": "algorithm.batchingPreference",
                        "steps": [{"waitTimeSeconds": 10, "value": "sorted"}]}]
    }));
    let tickets = vec![
        solo("seed", 0, &[("skill", num(10.0))]),
        solo("far", 0, &[("skill", num(90.0))]),
        solo("near", 0, &[("skill", num(11.0))]),
    ];
    let at = |now: u64| {
        let proposals = run(&rule_set, &tickets, now);
        assert_eq!(proposals.len(), 1);
        let ids: Vec<String> = sorted(team(&proposals[0], "all"))
            .into_iter()
            .map(str::to_owned)
            .collect();
        ids
    };
    assert_eq!(
        at(NOW + 9_000),
        ["far", "seed"],
        "random batching: pool order"
    );
    assert_eq!(
        at(NOW + 10_000),
        ["near", "seed"],
        "sorted: closest skill first"
    );
}

#[test]
fn sorted_batching_takes_the_closest_candidates_in_a_large_pool() {
    let rule_set = rules(json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number"}],
        "algorithm": {"batchingPreference": "sorted", "sortByAttributes": ["skill"]},
        "teams": [{"name": "all", "minPlayers": 3, "maxPlayers": 3}]
    }));
    let mut tickets = vec![solo("seed", 100, &[("skill", num(500.0))])];
    for i in 0..1000 {
        tickets.push(solo(&format!("t{i}"), 0, &[("skill", num(f64::from(i)))]));
    }
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(
        proposals.len(),
        333,
        "1001 tickets in threes, two left over"
    );
    let first = sorted(team(&proposals[0], "all"));
    assert_eq!(first, ["seed", "t499", "t500"]);
}

fn names(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

fn proposed(pairs: &[(&str, &[&str])]) -> Vec<ProposedTeam> {
    pairs
        .iter()
        .map(|(name, players)| ProposedTeam {
            name: (*name).to_owned(),
            players: names(players),
        })
        .collect()
}

#[test]
fn check_names_what_a_match_breaks() {
    let rule_set = two_v_two();
    let tickets = [
        solo("a", 0, &[]),
        solo("b", 0, &[]),
        solo("c", 0, &[]),
        ticket("duo", 0, vec![player("d1", &[]), player("d2", &[])]),
    ];
    let all: Vec<&Ticket> = tickets.iter().collect();
    let broken = |teams: &[(&str, &[&str])], members: &[&Ticket]| {
        check(&rule_set, &proposed(teams), members, NOW)
    };
    assert_eq!(
        broken(
            &[("red", &["a", "b"]), ("blue", &["d1", "d2"])],
            &[&tickets[0], &tickets[1], &tickets[3]]
        ),
        Ok(())
    );
    let cases: Vec<(Result<(), Broken>, &str)> = vec![
        (
            broken(&[("red", &["a", "b"]), ("green", &["d1", "d2"])], &all),
            "green",
        ),
        (
            broken(&[("red", &["a", "b"]), ("red", &["d1", "d2"])], &all),
            "red",
        ),
        (
            broken(
                &[("red", &["a"]), ("blue", &["d1", "d2"])],
                &[&tickets[0], &tickets[3]],
            ),
            "red",
        ),
        (
            broken(
                &[("red", &["a", "x"]), ("blue", &["d1", "d2"])],
                &[&tickets[0], &tickets[3]],
            ),
            "x",
        ),
        (
            broken(&[("red", &["a", "b"]), ("blue", &["d1", "a"])], &all),
            "a",
        ),
        (
            broken(&[("red", &["a", "b"]), ("blue", &["d1", "d2"])], &all),
            "c",
        ),
        (
            broken(
                &[("red", &["a", "d1"]), ("blue", &["b", "d2"])],
                &[&tickets[0], &tickets[1], &tickets[3]],
            ),
            "duo",
        ),
    ];
    for (result, name) in cases {
        match result {
            Err(broken) => assert_eq!(broken.name(), name, "{broken}"),
            Ok(()) => panic!("expected {name} to be broken"),
        }
    }
    let size = broken(
        &[("red", &["a"]), ("blue", &["d1", "d2"])],
        &[&tickets[0], &tickets[3]],
    );
    assert_eq!(
        size,
        Err(Broken::TeamSize {
            team: "red".to_owned(),
            players: 1,
            min: 2,
            max: 2
        })
    );
    let one = backfill("g1", 0, vec![on_team(player("x", &[]), "red")]);
    let two = backfill("g2", 0, vec![on_team(player("y", &[]), "red")]);
    let asked = broken(
        &[("red", &["a", "b"]), ("blue", &["x", "c"])],
        &[&tickets[0], &tickets[1], &tickets[2], &one],
    );
    assert!(matches!(asked, Err(Broken::Player { player, .. }) if player == "x"));
    let two_backfills = broken(
        &[("red", &["x", "y"]), ("blue", &["a", "b"])],
        &[&tickets[0], &tickets[1], &one, &two],
    );
    assert!(matches!(two_backfills, Err(Broken::Ticket { ticket, .. }) if ticket == "g2"));
}

#[test]
fn check_reports_the_first_rule_broken_and_applies_expansions_for_the_match_s_wait() {
    let rule_set = five_v_five();
    let skilled = |id: &str, skill: f64, waited: u64| {
        ticket(
            id,
            waited,
            vec![with_latency(
                player(id, &[("skill", num(skill))]),
                &[("east", 10)],
            )],
        )
    };
    let tickets: Vec<Ticket> = (0..10)
        .map(|i| skilled(&format!("p{i}"), if i < 5 { 10.0 } else { 40.0 }, 0))
        .collect();
    let members: Vec<&Ticket> = tickets.iter().collect();
    let teams = proposed(&[
        ("cowboys", &["p0", "p1", "p2", "p3", "p4"]),
        ("aliens", &["p5", "p6", "p7", "p8", "p9"]),
    ]);
    // Team averages 10 and 40 are 15 from the match's 25: FairTeamSkill's 10 is broken
    // until the newest ticket has waited 5 s, when the limit becomes 50.
    assert!(matches!(
        check(&rule_set, &teams, &members, NOW + 4_999),
        Err(Broken::Rule { rule, .. }) if rule == "FairTeamSkill"
    ));
    assert_eq!(check(&rule_set, &teams, &members, NOW + 5_000), Ok(()));
    let slow: Vec<Ticket> = tickets
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.players[0].latency_ms.insert("east".to_owned(), 80);
            t
        })
        .collect();
    let slow_members: Vec<&Ticket> = slow.iter().collect();
    assert!(matches!(
        check(&rule_set, &teams, &slow_members, NOW + 9_999),
        Err(Broken::Rule { rule, .. }) if rule == "FastConnection"
    ));
    assert_eq!(
        check(&rule_set, &teams, &slow_members, NOW + 10_000),
        Ok(())
    );
}

#[test]
fn a_missing_attribute_without_default_fails_only_the_rules_that_read_it() {
    let rule_set = one_team(
        2,
        2,
        json!([{"name": "Close", "type": "batchDistance", "batchAttribute": "skill",
                "maxDistance": 10}]),
        json!([{"name": "skill", "type": "number"}, {"name": "rank", "type": "number"}]),
    );
    let tickets = vec![
        solo("no_skill", 9, &[("rank", num(1.0))]),
        solo("a", 8, &[("skill", num(5.0))]),
        solo("b", 7, &[("skill", num(6.0))]),
    ];
    let proposals = run(&rule_set, &tickets, NOW);
    assert_eq!(proposals.len(), 1);
    assert_eq!(
        sorted(team(&proposals[0], "all")),
        ["a", "b"],
        "no rank needed"
    );
}

#[test]
fn odd_inputs_never_panic_and_never_make_an_unsound_match() {
    let rule_sets = [
        five_v_five(),
        monster_rules(),
        compound_rules(),
        two_v_two(),
        large_rules(),
        skill_floor("min"),
    ];
    let nan = |id: &str, age: u64| {
        ticket(
            id,
            age,
            vec![with_latency(
                player(
                    id,
                    &[
                        ("skill", num(f64::NAN)),
                        ("wantsToBeMonster", num(f64::NAN)),
                    ],
                ),
                &[("east", 10)],
            )],
        )
    };
    let mut tickets = vec![
        nan("n1", 9),
        nan("n2", 9),
        ticket("empty", 9, vec![]),
        solo("dup", 8, &[("skill", num(1.0))]),
        solo("dup", 8, &[("skill", num(1.0))]),
        ticket("shared", 7, vec![player("dup", &[])]),
        ticket("self", 7, vec![player("twin", &[]), player("twin", &[])]),
        solo("inf", 6, &[("skill", num(f64::INFINITY))]),
        solo("neg", 6, &[("skill", num(f64::NEG_INFINITY))]),
        solo("text", 6, &[("skill", text("high"))]),
        Ticket {
            start_ms: NOW + 60_000,
            ..solo("future", 0, &[("skill", num(3.0))])
        },
        Ticket {
            start_ms: 0,
            ..solo("ancient", 0, &[("skill", num(3.0))])
        },
    ];
    tickets.push(ticket(
        "crowd",
        0,
        (0..300).map(|i| player(&format!("c{i}"), &[])).collect(),
    ));
    for rule_set in &rule_sets {
        run(rule_set, &tickets, NOW);
        run(rule_set, &tickets, 0);
        run(rule_set, &tickets, u64::MAX);
        run(rule_set, &[], NOW);
    }
}

#[test]
fn hand_made_rule_sets_the_parser_would_refuse_make_no_match_and_no_panic() {
    let tickets: Vec<Ticket> = (0..4).map(|i| solo(&format!("t{i}"), 0, &[])).collect();
    let members: Vec<&Ticket> = tickets.iter().collect();
    let teams = proposed(&[("red", &["t0", "t1"]), ("blue", &["t2", "t3"])]);

    let mut huge = two_v_two();
    huge.teams[0].quantity = u32::MAX;
    assert!(run(&huge, &tickets, NOW).is_empty());
    assert!(matches!(
        check(&huge, &teams, &members, NOW),
        Err(Broken::RuleSet(_))
    ));

    let mut none = two_v_two();
    none.teams.clear();
    assert!(run(&none, &tickets, NOW).is_empty());

    let mut clash = two_v_two();
    clash.teams[0].quantity = 2;
    clash.teams[1].name = "red1".to_owned();
    assert!(run(&clash, &tickets, NOW).is_empty());

    // A compound rule naming one that names itself: followed only so deep, then false.
    let mut looping = compound_rules();
    if let Some(RuleKind::Compound { statement }) = looping.rules.get_mut(2).map(|r| &mut r.kind) {
        *statement = Statement::Rule("Loop".to_owned());
    }
    looping.rules.push(Rule {
        name: "Loop".to_owned(),
        description: None,
        kind: RuleKind::Compound {
            statement: Statement::Rule("Loop".to_owned()),
        },
    });
    let t = [
        solo("a", 0, &[("skill", num(1.0)), ("map", text("x"))]),
        solo("b", 0, &[("skill", num(1.0)), ("map", text("x"))]),
    ];
    assert!(run(&looping, &t, NOW).is_empty());

    let mut inverted = two_v_two();
    inverted.teams[0].min_players = 5;
    assert!(run(&inverted, &tickets, NOW).is_empty());
}

fn pool_5v5(n: usize, seed: u64) -> Vec<Ticket> {
    let mut rng = Lcg(seed);
    let regions = ["us-east-1", "us-west-2", "eu-west-1"];
    (0..n)
        .map(|i| {
            let id = format!("t{i}");
            let skill = (rng.next() * 100.0).round();
            let latencies: Vec<(&str, u32)> = regions
                .iter()
                .map(|r| (*r, 15 + (rng.next() * 60.0) as u32))
                .collect();
            let p = with_latency(player(&id, &[("skill", num(skill))]), &latencies);
            ticket(&id, (rng.next() * 30.0) as u64, vec![p])
        })
        .collect()
}

#[test]
fn a_pool_of_thousands_makes_hundreds_of_sound_matches_and_the_budget_bounds_the_work() {
    let rule_set = five_v_five();
    let tickets = pool_5v5(2_000, 3);
    let proposals = run(&rule_set, &tickets, NOW);
    assert!(
        proposals.len() >= 150,
        "{} matches from 2,000 tickets",
        proposals.len()
    );

    let small = Budget {
        evaluations: 500,
        ..Budget::default()
    };
    let bounded = run_with(&rule_set, &tickets, NOW, small);
    assert!(!bounded.is_empty() && bounded.len() < proposals.len());
    assert_eq!(bounded[0], proposals[0], "the same search, cut short");

    let nothing = Budget {
        evaluations: 0,
        ..Budget::default()
    };
    assert!(run_with(&rule_set, &tickets, NOW, nothing).is_empty());
}

#[test]
fn a_huge_pool_is_cut_short_by_the_budget() {
    let rule_set = five_v_five();
    let tickets = pool_5v5(60_000, 11);
    let budget = Budget {
        evaluations: 2_000,
        scanned: 20_000,
        window: 48,
    };
    let proposals = run_with(&rule_set, &tickets, NOW, budget);
    assert!(proposals.len() < 200);
}

/// Rule sets for random pools: every rule type, parties, backfill-friendly teams.
fn random_rule_sets() -> Vec<RuleSet> {
    let mut sets = vec![
        five_v_five(),
        monster_rules(),
        compound_rules(),
        two_v_two(),
        with_priority("high"),
        skill_floor("min"),
        age_rules("newest"),
        age_rules("oldest"),
    ];
    sets.push(rules(json!({
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [
            {"name": "skill", "type": "number", "default": 10},
            {"name": "character", "type": "string_list", "default": ["peasant"]},
            {"name": "mode", "type": "string", "default": "dm"}
        ],
        "algorithm": {"batchingPreference": "sorted", "sortByAttributes": ["skill", "mode"],
                      "expansionAgeSelection": "oldest", "backfillPriority": "low"},
        "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 3, "quantity": 2},
                  {"name": "blue", "minPlayers": 0, "maxPlayers": 2}],
        "rules": [{
            "name": "Sizes", "type": "comparison",
            "measurements": ["count(teams[red].players)"],
            "referenceValue": "max(count(teams[*].players))", "operation": "<="
        }, {
            "name": "Medics", "type": "collection", "operation": "contains",
            "measurements": ["flatten(teams[*].players.attributes[character])"],
            "referenceValue": "medic", "maxCount": 2, "partyAggregation": "intersection"
        }, {
            "name": "Shared", "type": "collection", "operation": "intersection",
            "measurements": ["flatten(teams[red].players.attributes[character])"],
            "minCount": 1
        }, {
            "name": "Spread", "type": "distance",
            "measurements": ["stddev(flatten(teams[*].players.attributes[skill]))"],
            "referenceValue": 0, "maxDistance": 30, "partyAggregation": "max"
        }, {
            "name": "Median", "type": "comparison",
            "measurements": ["median(flatten(teams[*].players.attributes[skill]))"],
            "referenceValue": "sum(teams[blue].players.attributes[skill])", "operation": "!="
        }, {"name": "Either", "type": "compound", "statement": "xor(Median, Shared)"},
        {"name": "Mode", "type": "batchDistance", "batchAttribute": "mode"},
        {"name": "Sort", "type": "absoluteSort", "sortDirection": "ascending",
         "sortAttribute": "skill", "partyAggregation": "min"},
        {"name": "Ping", "type": "latency", "maxLatency": 120, "maxDistance": 60,
         "distanceReference": "avg", "partyAggregation": "max"}],
        "expansions": [
            {"target": "teams[*].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 0}]},
            {"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 8, "value": 2}]},
            {"target": "rules[Ping].maxLatency", "steps": [{"waitTimeSeconds": 3, "value": 300}]},
            {"target": "rules[Medics].maxCount", "steps": [{"waitTimeSeconds": 4, "value": 3}]},
            {"target": "rules[Median].referenceValue",
             "steps": [{"waitTimeSeconds": 6, "value": 50}]}
        ]
    })));
    // A large match that small pools can fill.
    let mut large = large_rules();
    large.teams.iter_mut().for_each(|t| t.min_players = 5);
    sets.push(large);
    sets
}

/// One random player: mostly plausible values, now and then a missing, NaN or mistyped one,
/// a team, or an id that another player has.
#[allow(clippy::type_complexity)]
fn random_player(
    ticket: usize,
    index: usize,
    (collide, skill_kind, n, mode, character, team, east, west, flags): (
        u8,
        u8,
        f64,
        u8,
        u8,
        u8,
        u16,
        u16,
        u8,
    ),
    backfill: bool,
) -> TicketPlayer {
    const TEAMS: [&str; 10] = [
        "red", "blue", "red1", "red2", "cowboys", "aliens", "all", "players", "monster", "green",
    ];
    let mut attributes = BTreeMap::new();
    let mut put = |name: &str, value: Option<AttributeValue>| {
        if let Some(v) = value {
            attributes.insert(name.to_owned(), v);
        }
    };
    put(
        "skill",
        match skill_kind % 16 {
            0 => None,
            1 => Some(num(f64::NAN)),
            2 => Some(text("high")),
            _ => Some(num(n)),
        },
    );
    put(
        "mode",
        match mode % 8 {
            0 => None,
            1 => Some(num(3.0)),
            m => Some(text(["dm", "ctf"][usize::from(m % 2)])),
        },
    );
    put(
        "character",
        match character % 8 {
            0 => None,
            1 => Some(text("medic")),
            c => Some(list(&[["medic", "knight", "peasant"][usize::from(c % 3)]])),
        },
    );
    put(
        "wantsToBeMonster",
        (flags % 16 != 15).then(|| num(f64::from(u8::from(flags % 4 == 0)))),
    );
    put("desiredSkillOfMonster", Some(num(n / 2.0)));
    put(
        "map",
        Some(text(["dust", "jungle"][usize::from(flags % 2)])),
    );
    let mut latency_ms = BTreeMap::new();
    if east % 10 != 0 {
        latency_ms.insert("us-east-1".to_owned(), u32::from(east));
    }
    if west % 10 != 0 {
        latency_ms.insert("us-west-2".to_owned(), u32::from(west));
    }
    let team = if backfill && team % 16 < 14 {
        Some(["red", "blue"][usize::from(team % 2)].to_owned())
    } else if team % 16 >= 13 {
        Some(TEAMS[usize::from(team) % TEAMS.len()].to_owned())
    } else {
        None
    };
    TicketPlayer {
        id: if collide == 0 {
            format!("p{}", (n.abs() as u64) % 5)
        } else {
            format!("p{ticket}_{index}")
        },
        attributes,
        team,
        latency_ms,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_pools_make_only_sound_matches(
        set in 0usize..10,
        raw in prop::collection::vec(
            (0u8..20, 0u64..40, 0u8..8, prop::collection::vec(
                (0u8..30, any::<u8>(), 0.0f64..100.0, any::<u8>(), any::<u8>(), any::<u8>(),
                 0u16..120, 0u16..150, any::<u8>()),
                0..4,
            )),
            0..64,
        ),
        now_offset in 0u64..20_000,
    ) {
        let rule_sets = random_rule_sets();
        let rule_set = &rule_sets[set % rule_sets.len()];
        let tickets: Vec<Ticket> = raw
            .iter()
            .enumerate()
            .map(|(i, (dup, waited, backfill, players))| {
                let backfill = *backfill == 0;
                Ticket {
                    id: if *dup == 0 && i > 0 { format!("t{}", i - 1) } else { format!("t{i}") },
                    start_ms: NOW - waited * 1000 + (i as u64 % 3) * 7,
                    backfill,
                    players: players
                        .iter()
                        .enumerate()
                        .map(|(j, p)| random_player(i, j, *p, backfill))
                        .collect(),
                }
            })
            .collect();
        run(rule_set, &tickets, NOW + now_offset);
    }
}
