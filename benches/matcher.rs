//! The FlexMatch matcher without sockets or store: one `find_matches` call over 10,000
//! searching tickets of a 5v5 rule set (a team skill distance rule and a latency rule), one
//! over a pool that makes a 100-player large match, and one `check` of a 5v5 match. Run with
//! `cargo bench --bench matcher`; figures and machine in BENCHMARKS.md.

#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use volley::flexmatch::matcher::{Budget, Ticket, TicketPlayer, check, find_matches};
use volley::flexmatch::{AttributeValue, RuleSet, parse};

const NOW: u64 = 1_700_000_000_000;

fn rule_set(body: &str) -> RuleSet {
    match parse(body) {
        Ok(rule_set) => rule_set,
        Err(error) => panic!("the benchmark's rule set is valid: {error}"),
    }
}

const FIVE_V_FIVE: &str = r#"{
    "name": "five_v_five",
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [{"name": "skill", "type": "number", "default": 50}],
    "teams": [{"name": "red", "minPlayers": 5, "maxPlayers": 5},
              {"name": "blue", "minPlayers": 5, "maxPlayers": 5}],
    "rules": [{
        "name": "FairTeamSkill", "type": "distance",
        "measurements": ["avg(teams[*].players.attributes[skill])"],
        "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
        "maxDistance": 5
    }, {"name": "FastConnection", "type": "latency", "maxLatency": 60}],
    "expansions": [{"target": "rules[FairTeamSkill].maxDistance",
                    "steps": [{"waitTimeSeconds": 10, "value": 15}]},
                   {"target": "rules[FastConnection].maxLatency",
                    "steps": [{"waitTimeSeconds": 20, "value": 120}]}]
}"#;

const FIFTY_V_FIFTY: &str = r#"{
    "name": "fifty_v_fifty",
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
    "algorithm": {"strategy": "balanced", "balancedAttribute": "skill",
                  "batchingPreference": "largestPopulation"},
    "teams": [{"name": "red", "minPlayers": 40, "maxPlayers": 50},
              {"name": "blue", "minPlayers": 40, "maxPlayers": 50}],
    "rules": [{"name": "Latency", "type": "latency", "maxLatency": 150},
              {"name": "Band", "type": "batchDistance", "batchAttribute": "skill",
               "maxDistance": 500}]
}"#;

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

/// `n` one-player tickets that waited up to 30 s, skill uniform in `base..base + spread`,
/// latencies to three regions uniform in 15..75 ms (large: 20..140 ms).
fn pool(n: usize, base: f64, spread: f64, large: bool, seed: u64) -> Vec<Ticket> {
    let mut rng = Lcg(seed);
    let regions = ["us-east-1", "us-west-2", "eu-west-1"];
    (0..n)
        .map(|i| {
            let id = format!("player-{i}");
            let skill = base + (rng.next() * spread).round();
            let latency_ms = regions
                .iter()
                .map(|r| {
                    let ms = if large {
                        20.0 + rng.next() * 120.0
                    } else {
                        15.0 + rng.next() * 60.0
                    };
                    ((*r).to_owned(), ms as u32)
                })
                .collect();
            Ticket {
                id: format!("ticket-{i}"),
                start_ms: NOW - (rng.next() * 30_000.0) as u64,
                players: vec![TicketPlayer {
                    id,
                    attributes: BTreeMap::from([(
                        "skill".to_owned(),
                        AttributeValue::Number(skill),
                    )]),
                    team: None,
                    latency_ms,
                }],
                backfill: false,
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let five = rule_set(FIVE_V_FIVE);
    let tickets = pool(10_000, 0.0, 100.0, false, 1);
    let made = find_matches(&five, &tickets, NOW, Budget::default());
    assert!(
        made.len() > 900,
        "{} matches from 10,000 tickets",
        made.len()
    );

    let large = rule_set(FIFTY_V_FIFTY);
    let crowd = pool(150, 1000.0, 400.0, true, 2);
    let big = find_matches(&large, &crowd, NOW, Budget::default());
    assert!(
        big.first()
            .is_some_and(|p| p.teams.iter().all(|t| t.players.len() == 50))
    );

    let mut group = c.benchmark_group("matcher");
    group.sample_size(10);
    group.bench_function("find_matches_5v5_10000_tickets", |b| {
        b.iter(|| {
            find_matches(
                black_box(&five),
                black_box(&tickets),
                NOW,
                Budget::default(),
            )
        })
    });
    group.bench_function("find_matches_large_100_players_from_150", |b| {
        b.iter(|| find_matches(black_box(&large), black_box(&crowd), NOW, Budget::default()))
    });
    group.finish();

    let proposal = &made[0];
    let members: Vec<&Ticket> = proposal
        .tickets
        .iter()
        .filter_map(|id| tickets.iter().find(|t| t.id == *id))
        .collect();
    let mut group = c.benchmark_group("matcher_check");
    group.bench_function("check_5v5", |b| {
        b.iter(|| check(black_box(&five), black_box(&proposal.teams), &members, NOW))
    });
    group.finish();
}

criterion_group!(matcher, benches);
criterion_main!(matcher);
