#!/usr/bin/env python3
"""FlexMatch matchmaking, measured end to end through the control API: how many tickets a
fleet matches per second and how long a ticket waits from StartMatchmaking to COMPLETED,
through 1 or 3 hosts sharing a real redis-server, or one host with its tickets in memory.

Two scenarios. `5v5`: teams red and blue of 5, a number attribute `skill` (normally
distributed, mean 1500, deviation 300), the teams' average skill within 10 of each other
(`distance`), a batch distance of 50 on skill, and a latency rule of 150 ms; each player
reports 20-200 ms (uniform) to three locations, and the hosts are spread over those
locations. `large`: one match of two teams of 50, balanced on skill, with a batch distance
of 200 and the same latency rule.

Single-player tickets are started by `--workers` processes through the hosts in turn as fast
as the answers come. Meanwhile one more process polls DescribeMatchmaking for every 100th
ticket every 50 ms, to see when each ends, until none of them ended for 5 s; then the workers
poll every ticket (ten a call, as the API takes them; a sweep every `--poll-secs`) until each
ended or `--deadline-secs` passed. Times are the tickets' own `EndTime - StartTime`, and, for
the sample, from StartTime to when it was seen COMPLETED: the matchmaker writes the start of
the round that ended a ticket as its EndTime, so the sample also shows how long rounds take.
`--mode STANDALONE` (the default) measures matchmaking alone; `WITH_QUEUE` also places each
match as a game session through a queue.

With `--hold`, the configuration first uses the same rule set with a batch distance of 0
(skills are distinct, so nothing matches); once every ticket has started and searches, it is
updated to the real rule set (and one more ticket, which never matches, wakes the
matchmaker), so that its next round finds the whole pool searching at once; times run from
that update.

Standard library only, sharing control_plane.py's helpers; needs `redis-server` and a built
`volley` (default target/release/volley). Example (BENCHMARKS.md):

    python3 benches/fleet/matchmaking.py --no-store --scenario 5v5
    python3 benches/fleet/matchmaking.py --hosts 3 --scenario 5v5 --hold
    python3 benches/fleet/matchmaking.py --no-store --scenario large --tickets 5000
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_plane import REPO, call, redis_info, start_host, start_redis  # noqa: E402

CONFIGURATION = "bench"
QUEUE = "bench"
LOCATIONS = ["us-east-1", "eu-west-1", "ap-northeast-1"]
# Every this many tickets is polled every 50 ms to see when it ends.
SAMPLE_EVERY = 100
# Matching has settled when no sampled ticket ended for this long.
QUIET_SECS = 5.0
ENDED = {"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}

RULE_SETS = {
    "5v5": {
        "name": "five-on-five",
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number", "default": 1500}],
        "teams": [{"name": "red", "minPlayers": 5, "maxPlayers": 5},
                  {"name": "blue", "minPlayers": 5, "maxPlayers": 5}],
        "rules": [
            {"name": "FairTeams", "type": "distance",
             "measurements": ["avg(teams[red].players.attributes[skill])"],
             "referenceValue": "avg(teams[blue].players.attributes[skill])",
             "maxDistance": 10},
            {"name": "CloseSkill", "type": "batchDistance", "batchAttribute": "skill",
             "maxDistance": 50},
            {"name": "FastConnection", "type": "latency", "maxLatency": 150},
        ],
    },
    "large": {
        "name": "fifty-on-fifty",
        "ruleLanguageVersion": "1.0",
        "playerAttributes": [{"name": "skill", "type": "number", "default": 1500}],
        "algorithm": {"strategy": "balanced", "balancedAttribute": "skill",
                      "batchingPreference": "largestPopulation"},
        "teams": [{"name": "red", "minPlayers": 50, "maxPlayers": 50},
                  {"name": "blue", "minPlayers": 50, "maxPlayers": 50}],
        "rules": [
            {"name": "CloseSkill", "type": "batchDistance", "batchAttribute": "skill",
             "maxDistance": 200},
            {"name": "FastConnection", "type": "latency", "maxLatency": 150},
        ],
    },
}


def players(count, seed):
    """One player per ticket: (ticket id, player), skills ~ N(1500, 300) and distinct, 20-200 ms
    to each location."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        made.append((f"t{n}", {
            "PlayerId": f"p{n}",
            "PlayerAttributes": {"skill": {"N": rng.gauss(1500, 300)}},
            "LatencyInMs": {loc: rng.randint(20, 200) for loc in LOCATIONS},
        }))
    return made


def starter(args):
    """Starts the tickets of `share` through the hosts in turn: each call's latency."""
    controls, share = args
    connections = [http.client.HTTPConnection(*c, timeout=30) for c in controls]
    latencies = []
    for i, (ticket_id, player) in enumerate(share):
        body = {"TicketId": ticket_id, "ConfigurationName": CONFIGURATION, "Players": [player]}
        started = time.perf_counter()
        call(connections[i % len(connections)], "StartMatchmaking", body)
        latencies.append(time.perf_counter() - started)
    return latencies


def describe(connection, ids):
    """DescribeMatchmaking of at most ten `ids`: by id."""
    answer = call(connection, "DescribeMatchmaking", {"TicketIds": ids})
    return {t["TicketId"]: t for t in answer["TicketList"]}


def sampler(args):
    """Polls a sample of the tickets every 50 ms, from before they start until `go` is set and
    none of them ended for `quiet_secs` (or `deadline`): each that ended as (status,
    StartTime, EndTime, when it was first seen ended)."""
    controls, ids, go, quiet_secs, deadline = args
    connections = [http.client.HTTPConnection(*c, timeout=30) for c in controls]
    pending, done, calls, changed = list(ids), [], 0, None
    while pending and time.time() < deadline:
        swept = time.monotonic()
        still = []
        for n in range(0, len(pending), 10):
            found = describe(connections[calls % len(connections)], pending[n:n + 10])
            calls += 1
            for ticket_id in pending[n:n + 10]:
                ticket = found.get(ticket_id)
                if ticket and ticket["Status"] in ENDED:
                    done.append((ticket["Status"], ticket["StartTime"], ticket.get("EndTime"),
                                 time.time()))
                    changed = time.time()
                else:
                    still.append(ticket_id)
        pending = still
        if go.is_set():
            changed = changed or time.time()
            if time.time() - changed > quiet_secs:
                break
        else:
            changed = None
        time.sleep(max(0.0, 0.05 - (time.monotonic() - swept)))
    return done


def poller(args):
    """Sweeps DescribeMatchmaking over `ids`, ten a call, every `poll_secs`, until all ended
    or `deadline`: the ended tickets (status, StartTime, EndTime) and the others' statuses."""
    controls, ids, poll_secs, deadline = args
    connections = [http.client.HTTPConnection(*c, timeout=30) for c in controls]
    pending, done, calls, last = list(ids), [], 0, {}
    while pending and time.time() < deadline:
        swept = time.monotonic()
        still, last = [], {}
        for n in range(0, len(pending), 10):
            found = describe(connections[calls % len(connections)], pending[n:n + 10])
            calls += 1
            for ticket_id in pending[n:n + 10]:
                ticket = found.get(ticket_id)
                if ticket and ticket["Status"] in ENDED:
                    done.append((ticket["Status"], ticket["StartTime"], ticket.get("EndTime")))
                else:
                    still.append(ticket_id)
                    last[ticket_id] = ticket["Status"] if ticket else "UNKNOWN"
        pending = still
        if pending:
            time.sleep(max(0.0, poll_secs - (time.monotonic() - swept)))
    return done, [last.get(t, "UNKNOWN") for t in pending]


def percentile(values, fraction):
    return values[max(0, int(len(values) * fraction) - 1)]


def cpu_secs(pid):
    """User and system CPU seconds of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def held(rule_set):
    """The rule set with a batch distance of 0: with distinct skills, no match."""
    rule_set = json.loads(json.dumps(rule_set))
    for rule in rule_set["rules"]:
        if rule["type"] == "batchDistance":
            rule["maxDistance"] = 0
    return rule_set


def setup(control, scenario, mode, timeout_secs, hold):
    connection = http.client.HTTPConnection(*control, timeout=30)
    call(connection, "CreateMatchmakingRuleSet",
         {"Name": scenario, "RuleSetBody": json.dumps(RULE_SETS[scenario])})
    if hold:
        call(connection, "CreateMatchmakingRuleSet",
             {"Name": f"{scenario}-held", "RuleSetBody": json.dumps(held(RULE_SETS[scenario]))})
    configuration = {
        "Name": CONFIGURATION,
        "RuleSetName": f"{scenario}-held" if hold else scenario,
        "RequestTimeoutSeconds": timeout_secs,
        "AcceptanceRequired": False,
        "FlexMatchMode": mode,
    }
    if mode == "WITH_QUEUE":
        # No latency policy: the rule set's latency rule decides; the queue places each
        # match wherever there is room.
        queue = call(connection, "CreateGameSessionQueue", {
            "Name": QUEUE,
            "Destinations": [{"DestinationArn": "arn:aws:gamelift:local::fleet/fleet-local"}],
        })["GameSessionQueue"]
        configuration["GameSessionQueueArns"] = [queue["GameSessionQueueArn"]]
        configuration["BackfillMode"] = "MANUAL"
    call(connection, "CreateMatchmakingConfiguration", configuration)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=str(REPO / "target" / "release" / "volley"))
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--no-store", action="store_true", help="one host, tickets in memory")
    parser.add_argument("--scenario", choices=sorted(RULE_SETS), default="5v5")
    parser.add_argument("--tickets", type=int, help="default 10000 (5v5), 5000 (large)")
    parser.add_argument("--mode", choices=["STANDALONE", "WITH_QUEUE"], default="STANDALONE")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--poll-secs", type=float, default=1.0,
                        help="time between one client's sweeps of DescribeMatchmaking")
    parser.add_argument("--timeout-secs", type=int, default=30,
                        help="the configuration's RequestTimeoutSeconds")
    parser.add_argument("--deadline-secs", type=float, default=60,
                        help="stop polling this long after the last ticket started")
    parser.add_argument("--hold", action="store_true",
                        help="match nothing until every ticket searches, then all at once")
    parser.add_argument("--hold-secs", type=float, default=2.0,
                        help="with --hold, how long after the last start to release them")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.no_store and args.hosts != 1:
        parser.error("--no-store runs one host")
    tickets = args.tickets or (10000 if args.scenario == "5v5" else 5000)
    work = Path(tempfile.mkdtemp(prefix="volley-matchmaking-bench-"))
    procs = []
    try:
        store, redis_port, redis_proc = None, None, None
        if not args.no_store:
            redis_proc, redis_port = start_redis(work)
            procs.append(redis_proc)
            store = f"redis://127.0.0.1:{redis_port}/0"
        per_match = 10 if args.scenario == "5v5" else 100
        capacity = tickets // per_match + 10
        controls, hosts = [], []
        for index in range(args.hosts):
            proc, control = start_host(Path(args.binary), work / f"host{index}", index, store,
                                       capacity, location=LOCATIONS[index % len(LOCATIONS)])
            procs.append(proc)
            hosts.append(proc)
            controls.append(control)
        setup(controls[0], args.scenario, args.mode, args.timeout_secs, args.hold)
        made = players(tickets, args.seed)
        report = {"scenario": args.scenario, "mode": args.mode, "hosts": args.hosts,
                  "store": "redis" if store else "memory", "workers": args.workers,
                  "tickets": tickets, "hold": args.hold,
                  "host_locations": [LOCATIONS[i % len(LOCATIONS)] for i in range(args.hosts)]}
        before = redis_info(redis_port) if redis_port else None
        cpu_before = {p.pid: cpu_secs(p.pid) for p in procs}
        ids = [ticket_id for ticket_id, _ in made]
        manager = multiprocessing.Manager()
        go = manager.Event()
        with multiprocessing.Pool(args.workers + 1) as pool:
            started = time.time()
            sample = pool.apply_async(sampler, [(controls, ids[::SAMPLE_EVERY], go, QUIET_SECS,
                                                 started + args.deadline_secs)])
            shares = pool.map(starter, [(controls, made[i::args.workers])
                                        for i in range(args.workers)])
            all_started = time.time()
            released = None
            if args.hold:
                # By now every ticket searches (a round moves QUEUED tickets to SEARCHING at
                # least every half second); the next round matches with the real rule set.
                time.sleep(args.hold_secs)
                connection = http.client.HTTPConnection(*controls[0], timeout=30)
                released = time.time()
                call(connection, "UpdateMatchmakingConfiguration",
                     {"Name": CONFIGURATION, "RuleSetName": args.scenario})
                # An update does not wake the matchmaker, a new ticket does: one that never
                # matches (its skill is far from every other), not counted.
                call(connection, "StartMatchmaking", {
                    "TicketId": "wake", "ConfigurationName": CONFIGURATION,
                    "Players": [{"PlayerId": "wake",
                                 "PlayerAttributes": {"skill": {"N": 1000000}}}]})
            go.set()
            sampled = sample.get()
            settled = time.time()
            cpu = {p.pid: cpu_secs(p.pid) - cpu_before[p.pid] for p in procs}
            after = redis_info(redis_port) if redis_port else None
            # Every ticket's end, polled as a backend does, once matching has settled.
            deadline = all_started + args.deadline_secs
            answers = pool.map(poller, [(controls, ids[i::args.workers], args.poll_secs,
                                         deadline) for i in range(args.workers)])
        manager.shutdown()
        calls = sorted(l for share in shares for l in share)
        done = [t for share in answers for t in share[0]]
        statuses = {}
        for status in [t[0] for t in done] + [s for share in answers for s in share[1]]:
            statuses[status] = statuses.get(status, 0) + 1
        report["statuses"] = dict(sorted(statuses.items()))
        report["start_calls"] = {
            "per_sec": round(len(calls) / (all_started - started)),
            "p50_ms": round(statistics.median(calls) * 1000, 2),
            "p99_ms": round(percentile(calls, 0.99) * 1000, 2),
        }
        # Held: times run from the update that let the pool match.
        since = (lambda s: max(s, released)) if released else (lambda s: s)
        completed = [(since(s), e) for status, s, e in done if status == "COMPLETED"]
        if completed:
            first = min(s for s, _ in completed)
            last = max(e for _, e in completed)
            waits = sorted(e - s for s, e in completed)
            if not released:
                # Held, most tickets end in one round and carry its start as EndTime, so a
                # rate by EndTime says little: the sample's rate below is the one.
                report["completed_per_sec"] = round(len(completed) / (last - first))
                report["completed_within_secs"] = round(last - first, 2)
            report["time_to_completed"] = {
                "p50_ms": round(statistics.median(waits) * 1000),
                "p99_ms": round(percentile(waits, 0.99) * 1000),
                "max_ms": round(waits[-1] * 1000),
            }
            # How the matches came: tickets completed (EndTime) by second since the first.
            seconds = {}
            for _, e in completed:
                seconds[int(e - first)] = seconds.get(int(e - first), 0) + 1
            report["completed_by_second"] = [seconds.get(n, 0)
                                             for n in range(max(seconds) + 1)]
        # The matchmaker writes a round's start as EndTime: when the sampled tickets were
        # seen COMPLETED (to within 50 ms and a sweep) shows how long the round took.
        seen = sorted((w - since(s), e - since(s)) for status, s, e, w in sampled
                      if status == "COMPLETED")
        if seen:
            lag = sorted(w - e for w, e in seen)
            report["sample_seen_completed"] = {
                "tickets": len(seen),
                "p50_ms": round(statistics.median(w for w, _ in seen) * 1000),
                "p99_ms": round(percentile([w for w, _ in seen], 0.99) * 1000),
                "max_ms": round(seen[-1][0] * 1000),
                "after_end_time_p50_ms": round(statistics.median(lag) * 1000),
                "after_end_time_max_ms": round(lag[-1] * 1000),
            }
            if completed:
                # Throughput by when the last sampled ticket was seen COMPLETED.
                last_seen = max(w for status, _, _, w in sampled if status == "COMPLETED")
                report["completed_per_sec_seen"] = round(len(completed) / (last_seen - first))
        report["starting_took_secs"] = round(all_started - started, 2)
        # Until matching settled: the starts, the matching, the sample's polling and
        # QUIET_SECS of idle rounds.
        report["until_settled"] = {
            "wall_secs": round(settled - started, 1),
            "host_cpu_secs": [round(cpu[p.pid], 1) for p in hosts],
        }
        if redis_port:
            report["until_settled"]["redis_cpu_secs"] = round(cpu[redis_proc.pid], 1)
            report["until_settled"]["redis_commands_per_ticket"] = round(
                (after[0] - before[0]) / tickets, 1)
        print(json.dumps(report, indent=2))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
