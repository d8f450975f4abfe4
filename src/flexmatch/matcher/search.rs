//! The search: seeds in order, a window of candidates around each, a match filled ticket by
//! ticket as GameLift fills one, then balanced. Bounded by the [`Budget`]: judgements of a
//! potential match and tickets scanned.

use std::cmp::{Ordering, Reverse};
use std::rc::Rc;

use super::compile::{CKind, Compiled, Params};
use super::evaluate::{Outcome, Verdict, acceptable, acceptable_mask, complete, judge, wait};
use super::pool::{Entry, Key, Pool};
use super::state::{MatchState, Member};
use super::{Budget, Proposal, ProposedTeam};
use crate::flexmatch::eval::MatchPlayer;
use crate::flexmatch::{
    AttributeValue, BackfillPriority, BatchingPreference, MapKey, PartyAggregation, SortDirection,
};

/// Most rounds of swapping tickets between teams to balance them.
const SWAP_ROUNDS: usize = 3;
/// Tickets looked at per seed, beyond the window itself, for every one gathered.
const SCAN_FACTOR: usize = 8;

/// Proposes matches from the pool.
pub(super) fn run(compiled: &Compiled<'_>, pool: &Pool<'_>, budget: Budget) -> Vec<Proposal> {
    let mut search = Search::new(compiled, pool, budget);
    let mut proposals = Vec::new();
    for seed in search.seeds() {
        if search.spent() {
            break;
        }
        if search.used[seed] {
            continue;
        }
        if let Some(proposal) = search.around(seed) {
            proposals.push(proposal);
        }
    }
    proposals
}

type Best = Option<(Vec<Member>, Verdict)>;

struct Search<'a, 'r, 't> {
    c: &'a Compiled<'r>,
    pool: &'a Pool<'t>,
    budget: Budget,
    evaluations: u64,
    scanned: u64,
    /// Per entry: in a proposal already.
    used: Vec<bool>,
    /// Per entry: in the window being gathered.
    marked: Vec<bool>,
    /// Candidates, oldest first.
    age: Order,
    /// Candidates by the batch or sort attribute, if the rule set has one.
    index: Option<Index<'a>>,
    /// Large matches: per location, how many candidates accept it.
    population: Vec<usize>,
    /// Per expansion level, per entry, the locations it accepts as a bit set (computed when
    /// first needed).
    masks: Vec<Option<Rc<Vec<u128>>>>,
}

/// The key of a ticket without one.
static NO_KEY: Key = Key::None;

/// Entries in a fixed order, those still free found quickly: `next` and `prev` skip taken
/// positions through path-compressed links.
struct Order {
    items: Vec<usize>,
    /// Per entry, its position (`usize::MAX`: not in this order).
    position: Vec<usize>,
    /// `right[p]`: a position at or after `p` that may be free (`len`: the end).
    right: Vec<usize>,
    /// `left[p + 1]`: likewise before, shifted by one (`0`: the start).
    left: Vec<usize>,
}

impl Order {
    fn new(items: Vec<usize>, entries: usize) -> Self {
        let mut position = vec![usize::MAX; entries];
        for (p, e) in items.iter().enumerate() {
            position[*e] = p;
        }
        let n = items.len();
        Order {
            items,
            position,
            right: (0..=n).collect(),
            left: (0..=n).collect(),
        }
    }

    fn remove(&mut self, entry: usize) {
        let p = self.position[entry];
        if p < self.items.len() {
            self.right[p] = p + 1;
            self.left[p + 1] = p;
        }
    }

    /// The first free position at or after `p`.
    fn next(&mut self, p: usize) -> Option<usize> {
        let n = self.items.len();
        let start = p.min(n);
        let mut root = start;
        while self.right[root] != root {
            root = self.right[root];
        }
        let mut at = start;
        while self.right[at] != root && at != root {
            let up = self.right[at];
            self.right[at] = root;
            at = up;
        }
        (root < n).then_some(root)
    }

    /// The last free position before `p`.
    fn prev(&mut self, p: usize) -> Option<usize> {
        let start = p.min(self.items.len());
        let mut root = start;
        while self.left[root] != root {
            root = self.left[root];
        }
        let mut at = start;
        while self.left[at] != root && at != root {
            let down = self.left[at];
            self.left[at] = root;
            at = down;
        }
        root.checked_sub(1)
    }
}

/// Candidates sorted on one attribute.
struct Index<'a> {
    order: Order,
    keys: IndexKeys<'a>,
    /// The batch distance rule it serves, whose limit no candidate may pass.
    hard: Option<usize>,
    /// Where an entry's key comes from: a rule's key, or the first sort attribute's.
    source: KeySource,
}

enum IndexKeys<'a> {
    Numbers(Vec<f64>),
    Strings(Vec<&'a str>),
}

#[derive(Clone, Copy)]
enum KeySource {
    Rule(usize),
    SortAttribute,
}

impl KeySource {
    fn key<'e>(self, entry: &'e Entry<'_>) -> &'e Key {
        match self {
            KeySource::Rule(r) => &entry.keys[r],
            KeySource::SortAttribute => entry.sort_keys.first().unwrap_or(&NO_KEY),
        }
    }
}

impl<'a, 'r, 't> Search<'a, 'r, 't> {
    fn new(c: &'a Compiled<'r>, pool: &'a Pool<'t>, budget: Budget) -> Self {
        let n = pool.entries.len();
        let candidate = |e: &Entry<'_>| e.problem.is_none() && !e.ticket.backfill;
        let mut by_age: Vec<usize> = (0..n).filter(|i| candidate(&pool.entries[*i])).collect();
        by_age.sort_by_key(|i| (pool.entries[*i].ticket.start_ms, *i));

        let hard = c.batch_rules.first().copied();
        let source = match hard {
            Some(r) => Some(KeySource::Rule(r)),
            None if c.rule_set.algorithm.batching_preference == BatchingPreference::Sorted
                && !c.rule_set.algorithm.sort_by_attributes.is_empty() =>
            {
                Some(KeySource::SortAttribute)
            }
            None => None,
        };
        let index = source.map(|source| {
            let numbers = by_age
                .iter()
                .any(|i| matches!(source.key(&pool.entries[*i]), Key::Num(_)));
            let keys_of = |i: &usize| source.key(&pool.entries[*i]);
            if numbers {
                let mut items: Vec<(f64, usize)> = by_age
                    .iter()
                    .filter_map(|i| match keys_of(i) {
                        Key::Num(k) if !k.is_nan() => Some((*k, *i)),
                        _ => None,
                    })
                    .collect();
                items.sort_by(|a, b| a.0.total_cmp(&b.0));
                Index {
                    order: Order::new(items.iter().map(|(_, i)| *i).collect(), n),
                    keys: IndexKeys::Numbers(items.iter().map(|(k, _)| *k).collect()),
                    hard,
                    source,
                }
            } else {
                let mut items: Vec<(&'a str, usize)> = by_age
                    .iter()
                    .filter_map(|i| match source.key(&pool.entries[*i]) {
                        Key::Str(s) => Some((s.as_str(), *i)),
                        _ => None,
                    })
                    .collect();
                // Stable: within one value, oldest first.
                items.sort_by(|a, b| a.0.cmp(b.0));
                Index {
                    order: Order::new(items.iter().map(|(_, i)| *i).collect(), n),
                    keys: IndexKeys::Strings(items.iter().map(|(k, _)| *k).collect()),
                    hard,
                    source,
                }
            }
        });

        let mut population = vec![0; pool.locations.len()];
        if c.large {
            let params = &c.table[0];
            for i in &by_age {
                let entry = &pool.entries[*i];
                let accepted = if c.has_latency() {
                    acceptable(c, params, entry)
                } else {
                    entry.latency.iter().map(|l| l.location).collect()
                };
                for loc in accepted {
                    population[loc] += 1;
                }
            }
        }
        Search {
            c,
            pool,
            budget,
            evaluations: 0,
            scanned: 0,
            used: vec![false; n],
            marked: vec![false; n],
            age: Order::new(by_age, n),
            index,
            population,
            masks: vec![None; c.table.len()],
        }
    }

    /// Every entry's acceptable locations at expansion level `level`, as bit sets (all bits
    /// when they do not fit).
    fn masks(&mut self, level: usize) -> Rc<Vec<u128>> {
        let (c, pool) = (self.c, self.pool);
        let slot = &mut self.masks[level];
        Rc::clone(slot.get_or_insert_with(|| {
            let params = &c.table[level];
            Rc::new(
                pool.entries
                    .iter()
                    .map(|e| acceptable_mask(c, params, e).unwrap_or(u128::MAX))
                    .collect(),
            )
        }))
    }

    /// Every ticket that can match, in the order they seed matches.
    fn seeds(&self) -> Vec<usize> {
        let priority = self.c.rule_set.algorithm.backfill_priority;
        let mut seeds: Vec<usize> = (0..self.pool.entries.len())
            .filter(|i| self.pool.entries[*i].problem.is_none())
            .collect();
        seeds.sort_by_key(|i| {
            let ticket = self.pool.entries[*i].ticket;
            let group = match (priority, ticket.backfill) {
                (BackfillPriority::High, true) | (BackfillPriority::Low, false) => 0,
                (BackfillPriority::High, false) | (BackfillPriority::Low, true) => 1,
                (BackfillPriority::Normal, _) => 0,
            };
            (group, ticket.start_ms, *i)
        });
        seeds
    }

    fn spent(&self) -> bool {
        self.evaluations >= self.budget.evaluations || self.scanned >= self.budget.scanned
    }

    fn judge(&mut self, state: &MatchState, params: &Params, strict: bool) -> Verdict {
        self.evaluations += 1;
        judge(self.c, params, self.pool, state, strict)
    }

    /// A match around `seed`, if one is found: first with every candidate, then (expansions
    /// following the newest ticket) with only those that waited for each expansion step.
    fn around(&mut self, seed: usize) -> Option<Proposal> {
        let pool = self.pool;
        let entry = &pool.entries[seed];
        let levels: Vec<(f64, f64)> = if self.c.by_oldest() {
            vec![(0.0, entry.wait_secs)]
        } else {
            let mut levels = vec![(0.0, 0.0)];
            levels.extend(
                self.c
                    .thresholds
                    .iter()
                    .filter(|t| **t > 0.0 && **t <= entry.wait_secs)
                    .map(|t| (*t, *t)),
            );
            levels
        };
        // The batching preference is the seed's: it orders the seed's candidates.
        let batching = self.c.params(entry.wait_secs).batching;
        for (min_wait, params_wait) in levels {
            if self.spent() {
                return None;
            }
            let level = self.c.level(params_wait);
            let params = &self.c.table[level];
            let location = if self.c.large {
                match self.large_location(seed, params, batching) {
                    Ok(location) => location,
                    Err(()) => continue,
                }
            } else {
                None
            };
            let window = self.window(seed, level, min_wait, location, batching);
            // Not enough players for every team's minimum: no need to try.
            let needed: usize = params.min.iter().map(|m| *m as usize).sum();
            let available: usize = entry.players.len()
                + window
                    .iter()
                    .map(|i| pool.entries[*i].players.len())
                    .sum::<usize>();
            if available < needed.max(1) || (entry.ticket.backfill && window.is_empty()) {
                continue;
            }
            if let Some((members, verdict)) = self.build(seed, &window) {
                return Some(self.propose(members, verdict));
            }
        }
        None
    }

    /// Large matches: the location to gather players for, as the batching preference says;
    /// `Err` when the seed accepts no location under the latency rules.
    fn large_location(
        &self,
        seed: usize,
        params: &Params,
        batching: BatchingPreference,
    ) -> Result<Option<usize>, ()> {
        let entry = &self.pool.entries[seed];
        let latency_of = |loc: &usize| {
            entry
                .latency_at(*loc)
                .map_or(f64::INFINITY, |at| at.value(PartyAggregation::Avg))
        };
        let accepted: Vec<usize> = if self.c.has_latency() {
            let accepted = acceptable(self.c, params, entry);
            if accepted.is_empty() {
                return Err(());
            }
            accepted
        } else {
            entry.latency.iter().map(|l| l.location).collect()
        };
        let fastest = || {
            accepted
                .iter()
                .copied()
                .min_by(|a, b| latency_of(a).total_cmp(&latency_of(b)).then(a.cmp(b)))
        };
        Ok(match batching {
            BatchingPreference::FastestRegion => fastest(),
            _ => accepted.iter().copied().min_by(|a, b| {
                self.population[*b]
                    .cmp(&self.population[*a])
                    .then(latency_of(a).total_cmp(&latency_of(b)))
                    .then(a.cmp(b))
            }),
        })
    }

    /// Candidates for a match around `seed`: near it on the index (within the batch distance
    /// limit), else the oldest; each passing the seed's batch distance and latency limits and
    /// having waited `min_wait` seconds; then ordered by the sort rules.
    fn window(
        &mut self,
        seed: usize,
        level: usize,
        min_wait: f64,
        location: Option<usize>,
        batching: BatchingPreference,
    ) -> Vec<usize> {
        let pool = self.pool;
        let c = self.c;
        let params = &c.table[level];
        let seed_entry = &pool.entries[seed];
        let limit = if c.large {
            self.budget.window.max(params.capacity() * 2)
        } else {
            self.budget.window
        };
        let scan_limit = limit.saturating_mul(SCAN_FACTOR).saturating_add(64);
        let latency = c.has_latency();
        // Location sets as bit masks; with more locations than bits, only the judge checks.
        let masks = if latency {
            self.masks(level)
        } else {
            Rc::new(Vec::new())
        };
        let seed_mask = masks.get(seed).copied().unwrap_or(u128::MAX);
        let location_bit = location
            .and_then(|l| 1u128.checked_shl(u32::try_from(l).ok()?))
            .unwrap_or(u128::MAX);
        let admit = |i: usize, used: &[bool], marked: &[bool]| -> bool {
            let e = &pool.entries[i];
            if i == seed || used[i] || marked[i] || e.problem.is_some() || e.ticket.backfill {
                return false;
            }
            if min_wait > 0.0 && e.wait_secs < min_wait {
                return false;
            }
            let batch_ok =
                c.batch_rules
                    .iter()
                    .all(|r| match (&seed_entry.keys[*r], &e.keys[*r]) {
                        (Key::Num(a), Key::Num(b)) => {
                            (a - b).abs() <= params.props[*r].max_distance.unwrap_or(0.0)
                        }
                        (Key::Str(a), Key::Str(b)) => a == b,
                        _ => false,
                    });
            if !batch_ok {
                return false;
            }
            if latency {
                let mask = masks.get(i).copied().unwrap_or(u128::MAX);
                if e.reporting < e.players.len()
                    || mask & seed_mask == 0
                    || mask & location_bit == 0
                {
                    return false;
                }
            }
            true
        };

        let mut window = Vec::new();
        let mut scanned = 0usize;
        let mut hard = false;
        if let Some(index) = &mut self.index {
            hard = index.hard.is_some();
            let seed_key = index.source.key(seed_entry);
            match (&index.keys, seed_key) {
                (IndexKeys::Numbers(keys), Key::Num(v)) if !v.is_nan() => {
                    let bound = index.hard.map_or(f64::INFINITY, |r| {
                        params.props[r].max_distance.unwrap_or(0.0)
                    });
                    let start = keys.partition_point(|k| k < v);
                    let mut right = index.order.next(start);
                    let mut left = index.order.prev(start);
                    while window.len() < limit && scanned < scan_limit {
                        let dist =
                            |p: Option<usize>| p.map_or(f64::INFINITY, |p| (keys[p] - v).abs());
                        let (pick, d) = if dist(left) <= dist(right) {
                            (left, dist(left))
                        } else {
                            (right, dist(right))
                        };
                        let Some(p) = pick else { break };
                        if d > bound {
                            break;
                        }
                        scanned += 1;
                        let i = index.order.items[p];
                        if admit(i, &self.used, &self.marked) {
                            self.marked[i] = true;
                            window.push(i);
                        }
                        if pick == left {
                            left = index.order.prev(p);
                        } else {
                            right = index.order.next(p + 1);
                        }
                    }
                }
                (IndexKeys::Strings(keys), Key::Str(v)) => {
                    let start = keys.partition_point(|k| *k < v.as_str());
                    let mut at = index.order.next(start);
                    while let Some(p) = at {
                        if keys[p] != v.as_str() || window.len() >= limit || scanned >= scan_limit {
                            break;
                        }
                        scanned += 1;
                        let i = index.order.items[p];
                        if admit(i, &self.used, &self.marked) {
                            self.marked[i] = true;
                            window.push(i);
                        }
                        at = index.order.next(p + 1);
                    }
                }
                _ => {}
            }
        }
        if !hard {
            let mut at = self.age.next(0);
            while let Some(p) = at {
                if window.len() >= limit || scanned >= scan_limit {
                    break;
                }
                scanned += 1;
                let i = self.age.items[p];
                if admit(i, &self.used, &self.marked) {
                    self.marked[i] = true;
                    window.push(i);
                }
                at = self.age.next(p + 1);
            }
        }
        for i in &window {
            self.marked[*i] = false;
        }
        self.scanned += scanned as u64;
        self.order_window(seed, batching, location, &mut window);
        window
    }

    /// Orders candidates: by `sortByAttributes` closeness to the seed when batching is
    /// sorted, large matches' fastest region first, and above all by the sort rules in rule
    /// set order.
    fn order_window(
        &self,
        seed: usize,
        batching: BatchingPreference,
        location: Option<usize>,
        window: &mut [usize],
    ) {
        let pool = self.pool;
        let seed_entry = &pool.entries[seed];
        if batching == BatchingPreference::Sorted {
            let closeness = |i: &usize| -> Vec<f64> {
                seed_entry
                    .sort_keys
                    .iter()
                    .zip(&pool.entries[*i].sort_keys)
                    .map(|(a, b)| match (a, b) {
                        (Key::Num(a), Key::Num(b)) if !(a - b).is_nan() => (a - b).abs(),
                        (Key::Str(a), Key::Str(b)) => f64::from(u8::from(a != b)),
                        _ => f64::INFINITY,
                    })
                    .collect()
            };
            window
                .sort_by_cached_key(|i| closeness(i).into_iter().map(TotalF64).collect::<Vec<_>>());
        }
        if batching == BatchingPreference::FastestRegion
            && let Some(location) = location
        {
            window.sort_by_key(|i| fastest(&pool.entries[*i]) != Some(location));
        }
        for (r, rule) in self.c.rules.iter().enumerate().rev() {
            let CKind::Sort {
                attribute,
                direction,
                map_key,
                agg,
            } = &rule.kind
            else {
                continue;
            };
            let value = |i: &usize| -> Option<f64> {
                let entry = &pool.entries[*i];
                match map_key {
                    None => match &entry.keys[r] {
                        Key::Num(n) if !n.is_nan() => Some(*n),
                        _ => None,
                    },
                    Some(which) => {
                        let key = seed_map_key(&seed_entry.players, attribute, *which)?;
                        map_value(&entry.players, attribute, &key, *agg)
                    }
                }
            };
            window.sort_by_cached_key(|i| match value(i) {
                Some(v) if *direction == SortDirection::Ascending => (0, TotalF64(v)),
                Some(v) => (0, TotalF64(-v)),
                None => (1, TotalF64(0.0)),
            });
        }
    }

    /// Fills a match from the seed and the window, as GameLift does: each candidate joins the
    /// first team (in fill order) where it breaks no rule that held; the match is taken at
    /// the largest size that passed every rule with full teams, then balanced.
    fn build(&mut self, seed: usize, window: &[usize]) -> Best {
        let c = self.c;
        let backfill = self.pool.entries[seed].ticket.backfill;
        let mut state = MatchState::new(c);
        let mut current = self.judge(&state, c.params(0.0), false);
        if !self.try_add(&mut state, &mut current, seed) {
            return None;
        }
        let mut best: Best = None;
        self.consider(&state, &current, backfill, &mut best);
        for candidate in window {
            if self.spent() {
                break;
            }
            let params = c.params(wait(c, self.pool, &state.members));
            if state.players() >= params.capacity() {
                break;
            }
            if self.try_add(&mut state, &mut current, *candidate) {
                self.consider(&state, &current, backfill, &mut best);
            }
        }
        if c.balance.is_some() && c.slots.len() > 1 {
            if c.large {
                self.rebalance(&mut best);
            } else {
                let params = c.params(wait(c, self.pool, &state.members));
                let larger = best
                    .as_ref()
                    .is_none_or(|(members, _)| members.len() < state.members.len());
                if larger && complete(params, &state) {
                    self.swap(state, &mut best, false, backfill);
                }
                if let Some((members, _)) = &best {
                    let mut improved = MatchState::new(c);
                    improved.rebuild(self.pool, members.clone());
                    self.swap(improved, &mut best, true, backfill);
                }
            }
        }
        best
    }

    /// Records `state` as the best match so far if it is complete and passes every rule.
    fn consider(&mut self, state: &MatchState, current: &Verdict, backfill: bool, best: &mut Best) {
        if backfill && state.members.len() < 2 {
            return;
        }
        let params = self.c.params(wait(self.c, self.pool, &state.members));
        if !complete(params, state) {
            return;
        }
        let verdict = if current.passes() {
            current.clone()
        } else if current
            .outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Fail(_)))
        {
            return;
        } else {
            self.judge(state, params, true)
        };
        if verdict.passes() {
            *best = Some((state.members.clone(), verdict));
        }
    }

    /// Adds ticket `entry` to the first team, in fill order, where it breaks no rule that
    /// held before; whether it found one.
    fn try_add(&mut self, state: &mut MatchState, current: &mut Verdict, entry: usize) -> bool {
        let c = self.c;
        let pool = self.pool;
        let e = &pool.entries[entry];
        let joined = if state.members.is_empty() {
            e.wait_secs
        } else if c.by_oldest() {
            wait(c, pool, &state.members).max(e.wait_secs)
        } else {
            wait(c, pool, &state.members).min(e.wait_secs)
        };
        let params = c.params(joined);
        let slots = c.slots.len();
        let mut fixed = vec![0usize; slots];
        for s in e.slots.iter().flatten() {
            fixed[*s] += 1;
        }
        if (0..slots).any(|s| state.counts[s] + fixed[s] > params.max[s] as usize) {
            return false;
        }
        let free = e.slots.iter().filter(|s| s.is_none()).count();
        let mut options: Vec<usize> = if free == 0 {
            vec![usize::MAX]
        } else {
            (0..slots)
                .filter(|s| state.counts[*s] + fixed[*s] + free <= params.max[*s] as usize)
                .collect()
        };
        if free > 0 {
            let balance = self.slot_balance(state);
            let values: Vec<f64> = e
                .players
                .iter()
                .zip(&e.slots)
                .filter(|(_, s)| s.is_none())
                .filter_map(|(p, _)| self.balance_of(p))
                .collect();
            let spread_with = |s: usize| -> f64 {
                let mut sums = balance.clone();
                sums[s].0 += values.iter().sum::<f64>();
                sums[s].1 += values.len();
                spread(&sums)
            };
            options.sort_by_cached_key(|s| {
                let after = state.counts[*s] + fixed[*s];
                (
                    after >= params.min[*s] as usize,
                    Reverse((params.max[*s] as usize).saturating_sub(after)),
                    TotalF64(if c.large { 0.0 } else { spread_with(*s) }),
                    *s,
                )
            });
            if c.large {
                // Large matches' rules do not depend on teams: one placement is enough.
                options.truncate(1);
            }
        }
        for option in options {
            let member = Member {
                entry,
                slots: e.slots.iter().map(|s| s.unwrap_or(option)).collect(),
            };
            state.push(pool, member);
            let verdict = self.judge(state, params, false);
            if !verdict.breaks_since(current) {
                *current = verdict;
                return true;
            }
            state.pop();
        }
        false
    }

    /// A player's balance attribute value, when it has one.
    fn balance_of(&self, player: &MatchPlayer) -> Option<f64> {
        let attribute = self.c.balance.as_ref()?;
        match player.attributes.get(attribute) {
            Some(AttributeValue::Number(n)) if n.is_finite() => Some(*n),
            _ => None,
        }
    }

    /// Per slot, the sum of its players' balance values and how many have one.
    fn slot_balance(&self, state: &MatchState) -> Vec<(f64, usize)> {
        let mut sums = vec![(0.0, 0); self.c.slots.len()];
        if self.c.balance.is_none() {
            return sums;
        }
        for member in &state.members {
            let players = &self.pool.entries[member.entry].players;
            for (player, slot) in players.iter().zip(&member.slots) {
                if let (Some(v), Some(sum)) = (self.balance_of(player), sums.get_mut(*slot)) {
                    sum.0 += v;
                    sum.1 += 1;
                }
            }
        }
        sums
    }

    /// Swaps tickets of equal size between teams while that brings the team averages of the
    /// balance attribute closer, keeping the result when it passes every rule. From a passing
    /// match (`passing`), a swap that breaks a rule is taken back and ends the balancing.
    fn swap(&mut self, mut state: MatchState, best: &mut Best, mut passing: bool, backfill: bool) {
        let c = self.c;
        for _ in 0..SWAP_ROUNDS {
            if self.spent() {
                return;
            }
            let sums = self.slot_balance(&state);
            let before = spread(&sums);
            let movable = |m: &Member| {
                let e = &self.pool.entries[m.entry];
                !e.ticket.backfill && e.slots.iter().all(Option::is_none) && e.balance.is_some()
            };
            let mut choice: Option<(usize, usize, f64)> = None;
            for (i, a) in state.members.iter().enumerate() {
                for (j, b) in state.members.iter().enumerate().skip(i + 1) {
                    let (Some(sa), Some(sb)) = (a.slots.first(), b.slots.first()) else {
                        continue;
                    };
                    if sa == sb || a.slots.len() != b.slots.len() || !movable(a) || !movable(b) {
                        continue;
                    }
                    let va = self.pool.entries[a.entry].balance.unwrap_or(0.0);
                    let vb = self.pool.entries[b.entry].balance.unwrap_or(0.0);
                    let mut after = sums.clone();
                    after[*sa].0 += vb - va;
                    after[*sb].0 += va - vb;
                    let s = spread(&after);
                    if s < before - 1e-9 && choice.is_none_or(|(_, _, best)| s < best) {
                        choice = Some((i, j, s));
                    }
                }
            }
            let Some((i, j, _)) = choice else { return };
            let mut members = state.members.clone();
            let (si, sj) = (members[i].slots.clone(), members[j].slots.clone());
            members[i].slots = sj;
            members[j].slots = si;
            let undo = state.members.clone();
            state.rebuild(self.pool, members);
            let params = c.params(wait(c, self.pool, &state.members));
            let verdict = self.judge(&state, params, true);
            if verdict.passes() && (!backfill || state.members.len() > 1) {
                *best = Some((state.members.clone(), verdict));
                passing = true;
            } else if passing {
                state.rebuild(self.pool, undo);
                return;
            }
        }
    }

    /// Large matches: the tickets of the best match dealt again, largest parties and highest
    /// balance values first, each to the team with the lowest total for its size, keeping
    /// every team's size; kept if the teams come out closer and every rule still holds.
    fn rebalance(&mut self, best: &mut Best) {
        let c = self.c;
        let Some((members, _)) = best.as_ref() else {
            return;
        };
        let pool = self.pool;
        let mut targets = vec![0usize; c.slots.len()];
        for m in members {
            for s in &m.slots {
                targets[*s] += 1;
            }
        }
        let movable = |m: &Member| {
            let e = &pool.entries[m.entry];
            !e.ticket.backfill && e.slots.iter().all(Option::is_none)
        };
        let mut load = vec![(0.0, 0usize); c.slots.len()];
        let mut filled = vec![0usize; c.slots.len()];
        for m in members.iter().filter(|m| !movable(m)) {
            let players = &pool.entries[m.entry].players;
            for (p, s) in players.iter().zip(&m.slots) {
                filled[*s] += 1;
                if let Some(v) = self.balance_of(p) {
                    load[*s].0 += v;
                    load[*s].1 += 1;
                }
            }
        }
        let mut order: Vec<usize> = (0..members.len())
            .filter(|i| movable(&members[*i]))
            .collect();
        order.sort_by_key(|i| {
            let e = &pool.entries[members[*i].entry];
            let per_player = e.balance.map(|b| b / e.players.len().max(1) as f64);
            (
                Reverse(e.players.len()),
                per_player.map_or((1, TotalF64(0.0)), |v| (0, TotalF64(-v))),
                *i,
            )
        });
        let mut dealt = members.clone();
        for i in order {
            let e = &pool.entries[members[i].entry];
            let size = e.players.len();
            let Some(slot) = (0..c.slots.len())
                .filter(|s| filled[*s] + size <= targets[*s])
                .min_by(|a, b| {
                    let avg = |s: &usize| load[*s].0 / targets[*s].max(1) as f64;
                    avg(a).total_cmp(&avg(b)).then(a.cmp(b))
                })
            else {
                return;
            };
            filled[slot] += size;
            if let Some(b) = e.balance {
                load[slot].0 += b;
                load[slot].1 += size;
            }
            dealt[i].slots = vec![slot; size];
        }
        let mut before = MatchState::new(c);
        before.rebuild(pool, members.clone());
        let mut after = MatchState::new(c);
        after.rebuild(pool, dealt);
        if spread(&self.slot_balance(&after)) + 1e-9 >= spread(&self.slot_balance(&before)) {
            return;
        }
        let params = c.params(wait(c, pool, &after.members));
        if !complete(params, &after) {
            return;
        }
        let verdict = self.judge(&after, params, true);
        if verdict.passes() {
            *best = Some((after.members, verdict));
        }
    }

    /// The proposal for a match found; its tickets leave the pool.
    fn propose(&mut self, members: Vec<Member>, verdict: Verdict) -> Proposal {
        let pool = self.pool;
        let mut teams: Vec<ProposedTeam> = self
            .c
            .slots
            .iter()
            .map(|s| ProposedTeam {
                name: s.name.clone(),
                players: Vec::new(),
            })
            .collect();
        let mut tickets = Vec::with_capacity(members.len());
        for member in &members {
            let entry = &pool.entries[member.entry];
            tickets.push(entry.ticket.id.clone());
            for (player, slot) in entry.ticket.players.iter().zip(&member.slots) {
                if let Some(team) = teams.get_mut(*slot) {
                    team.players.push(player.id.clone());
                }
            }
            self.used[member.entry] = true;
            self.age.remove(member.entry);
            if let Some(index) = &mut self.index {
                index.order.remove(member.entry);
            }
        }
        Proposal {
            tickets,
            teams,
            location: verdict
                .location
                .and_then(|l| pool.locations.get(l).cloned()),
        }
    }
}

/// The spread of the teams' averages (teams with values only).
fn spread(sums: &[(f64, usize)]) -> f64 {
    let averages = sums
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| s / *n as f64);
    let (low, high) = averages.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), a| {
        (l.min(a), h.max(a))
    });
    if high >= low { high - low } else { 0.0 }
}

/// A ticket's lowest-latency location.
fn fastest(entry: &Entry<'_>) -> Option<usize> {
    entry
        .latency
        .iter()
        .min_by(|a, b| {
            a.value(PartyAggregation::Avg)
                .total_cmp(&b.value(PartyAggregation::Avg))
                .then(a.location.cmp(&b.location))
        })
        .map(|at| at.location)
}

/// The key of the seed's map attribute that a sort rule orders by: its lowest or highest
/// value's (averaged over the seed's players).
fn seed_map_key(players: &[MatchPlayer], attribute: &str, which: MapKey) -> Option<String> {
    let mut totals: Vec<(&str, f64, usize)> = Vec::new();
    for player in players {
        if let Some(AttributeValue::StringNumberMap(map)) = player.attributes.get(attribute) {
            for (key, value) in map {
                match totals.iter_mut().find(|(k, _, _)| k == key) {
                    Some(t) => {
                        t.1 += value;
                        t.2 += 1;
                    }
                    None => totals.push((key, *value, 1)),
                }
            }
        }
    }
    let averages = totals
        .into_iter()
        .map(|(k, sum, n)| (k, sum / n as f64))
        .filter(|(_, v)| !v.is_nan());
    let chosen = match which {
        MapKey::MinValue => averages.min_by(|a, b| a.1.total_cmp(&b.1)),
        MapKey::MaxValue => averages.max_by(|a, b| a.1.total_cmp(&b.1)),
    };
    chosen.map(|(k, _)| k.to_owned())
}

/// A party's value for one key of a map attribute.
fn map_value(
    players: &[MatchPlayer],
    attribute: &str,
    key: &str,
    agg: PartyAggregation,
) -> Option<f64> {
    let values: Vec<f64> = players
        .iter()
        .filter_map(|p| match p.attributes.get(attribute) {
            Some(AttributeValue::StringNumberMap(map)) => map.get(key).copied(),
            _ => None,
        })
        .filter(|v| !v.is_nan())
        .collect();
    if values.is_empty() {
        return None;
    }
    Some(match agg {
        PartyAggregation::Avg => values.iter().sum::<f64>() / values.len() as f64,
        PartyAggregation::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
        PartyAggregation::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// An `f64` ordered by `total_cmp`, for sort keys.
#[derive(Clone, Copy, Debug, PartialEq)]
struct TotalF64(f64);

impl Eq for TotalF64 {}

impl PartialOrd for TotalF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TotalF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
