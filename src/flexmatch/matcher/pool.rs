//! The tickets of one call, read once: players with the rule set's defaults filled in, each
//! party's aggregated values for the rules that read them, latencies by location, the team
//! each player asked for, and why a ticket cannot be matched at all.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::Ticket;
use super::compile::{CKind, Compiled, Mode};
use crate::flexmatch::eval::MatchPlayer;
use crate::flexmatch::{AttributeValue, PartyAggregation};

/// The tickets of one call.
pub(super) struct Pool<'t> {
    /// One per ticket, in the order given.
    pub(super) entries: Vec<Entry<'t>>,
    /// Every location any player reported, by index.
    pub(super) locations: Vec<String>,
}

/// One ticket, read.
pub(super) struct Entry<'t> {
    /// The ticket.
    pub(super) ticket: &'t Ticket,
    /// How long it has searched, in seconds.
    pub(super) wait_secs: f64,
    /// Why it can never be in a match, if so (the search passes it by).
    pub(super) problem: Option<String>,
    /// Per player, the slot its `team` names (`None`: the matcher chooses).
    pub(super) slots: Vec<Option<usize>>,
    /// Its players, with defaults filled in.
    pub(super) players: Vec<MatchPlayer>,
    /// Per aggregation mode of [`Compiled::modes`], its players with party values in place of
    /// their own (only for tickets of two players or more).
    pub(super) party: Vec<Vec<MatchPlayer>>,
    /// Per rule, the ticket's value of a batch distance or sort attribute.
    pub(super) keys: Vec<Key>,
    /// Per `sortByAttributes` entry, the ticket's value.
    pub(super) sort_keys: Vec<Key>,
    /// Per location that every player who gave latencies reported, their latencies there.
    pub(super) latency: Vec<LatencyAt>,
    /// How many of its players gave latencies.
    pub(super) reporting: usize,
    /// The sum of its players' balance attribute, when they all have one.
    pub(super) balance: Option<f64>,
}

/// A ticket's value of one attribute, its players' values made one.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Key {
    /// A number.
    Num(f64),
    /// A string every player of the ticket shares.
    Str(String),
    /// No value, and why.
    Missing(String),
    /// The rule reads no such value.
    None,
}

/// A ticket's latencies to one location.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct LatencyAt {
    /// Index into [`Pool::locations`].
    pub(super) location: usize,
    pub(super) sum: f64,
    pub(super) min: f64,
    pub(super) max: f64,
    pub(super) count: usize,
}

impl LatencyAt {
    /// The party's latency under `agg`.
    pub(super) fn value(&self, agg: PartyAggregation) -> f64 {
        match agg {
            PartyAggregation::Avg => self.sum / self.count.max(1) as f64,
            PartyAggregation::Min => self.min,
            PartyAggregation::Max => self.max,
        }
    }
}

impl<'t> Pool<'t> {
    /// Reads `tickets` at `now_ms`. With `exclusive`, a ticket whose id or a player id an
    /// earlier ticket already has is given a problem, so that the search never puts one
    /// player in a match twice; `check` reports those itself instead.
    pub(super) fn new(
        compiled: &Compiled<'_>,
        tickets: &[&'t Ticket],
        now_ms: u64,
        exclusive: bool,
    ) -> Self {
        // Locations are numbered in the order they are first seen.
        let mut names: HashMap<&str, usize> = HashMap::new();
        for ticket in tickets {
            for player in &ticket.players {
                for location in player.latency_ms.keys() {
                    let next = names.len();
                    names.entry(location.as_str()).or_insert(next);
                }
            }
        }
        let mut locations = vec![String::new(); names.len()];
        for (name, i) in &names {
            locations[*i] = (*name).to_owned();
        }
        let most = compiled
            .table
            .iter()
            .map(|p| p.capacity())
            .max()
            .unwrap_or(0);
        let mut ticket_ids: HashSet<&str> = HashSet::with_capacity(tickets.len());
        let mut player_ids: HashSet<&str> = HashSet::with_capacity(tickets.len());
        let entries = tickets
            .iter()
            .map(|ticket| {
                let mut entry = Entry::read(compiled, ticket, now_ms, &names, most);
                if exclusive {
                    // Ids are taken by every ticket, matchable or not, so that an id in a
                    // proposal always means the first ticket that has it.
                    let mut own = HashSet::new();
                    let taken = ticket
                        .players
                        .iter()
                        .find(|p| player_ids.contains(p.id.as_str()) || !own.insert(p.id.as_str()));
                    if ticket_ids.contains(ticket.id.as_str()) {
                        entry.problem = Some("another ticket has its id".to_owned());
                    } else if let Some(player) = taken {
                        entry.problem = Some(format!("player {} is in another ticket", player.id));
                    }
                    ticket_ids.insert(&ticket.id);
                    player_ids.extend(ticket.players.iter().map(|p| p.id.as_str()));
                }
                entry
            })
            .collect();
        Pool { entries, locations }
    }
}

impl<'t> Entry<'t> {
    fn read(
        compiled: &Compiled<'_>,
        ticket: &'t Ticket,
        now_ms: u64,
        locations: &HashMap<&str, usize>,
        most_players: usize,
    ) -> Self {
        let rule_set = compiled.rule_set;
        let players: Vec<MatchPlayer> = ticket
            .players
            .iter()
            .map(|p| {
                let mut attributes = p.attributes.clone();
                for declared in &rule_set.player_attributes {
                    if let Some(default) = &declared.default
                        && !attributes.contains_key(&declared.name)
                    {
                        attributes.insert(declared.name.clone(), default.clone());
                    }
                }
                MatchPlayer {
                    id: p.id.clone(),
                    attributes,
                }
            })
            .collect();
        let mut problem = None;
        let slots: Vec<Option<usize>> = ticket
            .players
            .iter()
            .map(|p| {
                let team = p.team.as_deref()?;
                let slot = compiled.slots.iter().position(|s| s.name == team);
                if slot.is_none() {
                    problem.get_or_insert_with(|| {
                        format!("player {} asks for team {team}, which no match has", p.id)
                    });
                }
                slot
            })
            .collect();
        if ticket.players.is_empty() {
            problem = Some("it has no players".to_owned());
        } else if ticket.players.len() > most_players {
            problem = Some(format!(
                "its {} players are more than a match holds",
                ticket.players.len()
            ));
        } else if ticket.backfill
            && let Some(p) = ticket.players.iter().find(|p| p.team.is_none())
        {
            problem = Some(format!("player {} of a backfill ticket has no team", p.id));
        }

        let party = if players.len() > 1 {
            compiled
                .modes
                .iter()
                .map(|mode| aggregate(&players, *mode))
                .collect()
        } else {
            Vec::new()
        };
        let keys = compiled
            .rules
            .iter()
            .map(|rule| match &rule.kind {
                CKind::Batch {
                    attribute,
                    string: true,
                    ..
                } => string_key(&players, attribute),
                CKind::Batch { attribute, agg, .. }
                | CKind::Sort {
                    attribute,
                    agg,
                    map_key: None,
                    ..
                } => number_key(&players, attribute, *agg),
                _ => Key::None,
            })
            .collect();
        let sort_keys = rule_set
            .algorithm
            .sort_by_attributes
            .iter()
            .map(
                |attribute| match number_key(&players, attribute, PartyAggregation::Avg) {
                    Key::Missing(_) => string_key(&players, attribute),
                    key => key,
                },
            )
            .collect();

        let reporting: Vec<&BTreeMap<String, u32>> = ticket
            .players
            .iter()
            .map(|p| &p.latency_ms)
            .filter(|l| !l.is_empty())
            .collect();
        let mut latency = Vec::new();
        if let Some((first, rest)) = reporting.split_first() {
            for (name, ms) in first.iter() {
                let mut at = LatencyAt {
                    location: locations.get(name.as_str()).copied().unwrap_or(0),
                    sum: f64::from(*ms),
                    min: f64::from(*ms),
                    max: f64::from(*ms),
                    count: 1,
                };
                let everyone = rest.iter().all(|other| match other.get(name) {
                    Some(ms) => {
                        let ms = f64::from(*ms);
                        at.sum += ms;
                        at.min = at.min.min(ms);
                        at.max = at.max.max(ms);
                        at.count += 1;
                        true
                    }
                    None => false,
                });
                if everyone {
                    latency.push(at);
                }
            }
            latency.sort_by_key(|l| l.location);
        }
        let balance = compiled.balance.as_ref().and_then(|attribute| {
            players
                .iter()
                .map(|p| match p.attributes.get(attribute) {
                    Some(AttributeValue::Number(n)) if n.is_finite() => Some(*n),
                    _ => None,
                })
                .sum::<Option<f64>>()
        });
        Entry {
            ticket,
            wait_secs: now_ms.saturating_sub(ticket.start_ms) as f64 / 1000.0,
            problem,
            slots,
            players,
            party,
            keys,
            sort_keys,
            latency,
            reporting: reporting.len(),
            balance,
        }
    }

    /// Its players as a rule of aggregation mode `mode` (an index into the modes) reads them.
    pub(super) fn view(&self, mode: usize) -> &[MatchPlayer] {
        self.party.get(mode).unwrap_or(&self.players)
    }

    /// Its latencies to `location`, if every reporting player gave one.
    pub(super) fn latency_at(&self, location: usize) -> Option<&LatencyAt> {
        self.latency
            .binary_search_by_key(&location, |l| l.location)
            .ok()
            .map(|i| &self.latency[i])
    }
}

/// The party's value of a number attribute under `agg`.
pub(super) fn number_key(players: &[MatchPlayer], attribute: &str, agg: PartyAggregation) -> Key {
    let mut values = Vec::with_capacity(players.len());
    for player in players {
        match player.attributes.get(attribute) {
            Some(AttributeValue::Number(n)) => values.push(*n),
            Some(_) => {
                return Key::Missing(format!(
                    "player {}'s {attribute} is not a number",
                    player.id
                ));
            }
            None => {
                return Key::Missing(format!("player {} has no attribute {attribute}", player.id));
            }
        }
    }
    if values.is_empty() {
        return Key::Missing("no players".to_owned());
    }
    Key::Num(match agg {
        PartyAggregation::Avg => values.iter().sum::<f64>() / values.len() as f64,
        PartyAggregation::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
        PartyAggregation::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// The party's value of a string attribute: the one string all its players have.
fn string_key(players: &[MatchPlayer], attribute: &str) -> Key {
    let mut value: Option<&str> = None;
    for player in players {
        match player.attributes.get(attribute) {
            Some(AttributeValue::String(s)) => match value {
                Some(v) if v != s => {
                    return Key::Missing(format!("the players of a party differ in {attribute}"));
                }
                _ => value = Some(s),
            },
            Some(_) => {
                return Key::Missing(format!(
                    "player {}'s {attribute} is not a string",
                    player.id
                ));
            }
            None => {
                return Key::Missing(format!("player {} has no attribute {attribute}", player.id));
            }
        }
    }
    value.map_or(Key::Missing("no players".to_owned()), |v| {
        Key::Str(v.to_owned())
    })
}

/// The players of one party with each attribute that `mode` combines replaced by the party's
/// combined value. A player without the attribute keeps lacking it, so rules reading it still
/// fail for that player.
fn aggregate(players: &[MatchPlayer], mode: Mode) -> Vec<MatchPlayer> {
    let mut combined: BTreeMap<&str, AttributeValue> = BTreeMap::new();
    let names: BTreeSet<&str> = players
        .iter()
        .flat_map(|p| p.attributes.keys().map(String::as_str))
        .collect();
    for name in names {
        let values: Vec<&AttributeValue> = players
            .iter()
            .filter_map(|p| p.attributes.get(name))
            .collect();
        let value = match mode {
            Mode::Avg | Mode::Min | Mode::Max => {
                let numbers: Option<Vec<f64>> = values
                    .iter()
                    .map(|v| match v {
                        AttributeValue::Number(n) => Some(*n),
                        _ => None,
                    })
                    .collect();
                numbers.filter(|n| !n.is_empty()).map(|n| {
                    AttributeValue::Number(match mode {
                        Mode::Min => n.iter().copied().fold(f64::INFINITY, f64::min),
                        Mode::Max => n.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                        _ => n.iter().sum::<f64>() / n.len() as f64,
                    })
                })
            }
            Mode::Union | Mode::Intersection => {
                let lists: Option<Vec<&Vec<String>>> = values
                    .iter()
                    .map(|v| match v {
                        AttributeValue::StringList(l) => Some(l),
                        _ => None,
                    })
                    .collect();
                lists.filter(|l| !l.is_empty()).map(|lists| {
                    let mut out: Vec<String> = Vec::new();
                    for list in &lists {
                        for s in list.iter() {
                            let keep =
                                mode == Mode::Union || lists.iter().all(|other| other.contains(s));
                            if keep && !out.contains(s) {
                                out.push(s.clone());
                            }
                        }
                    }
                    AttributeValue::StringList(out)
                })
            }
        };
        if let Some(value) = value {
            combined.insert(name, value);
        }
    }
    players
        .iter()
        .map(|p| {
            let mut player = p.clone();
            for (name, value) in player.attributes.iter_mut() {
                if let Some(c) = combined.get(name.as_str()) {
                    *value = c.clone();
                }
            }
            player
        })
        .collect()
}
