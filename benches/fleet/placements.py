#!/usr/bin/env python3
"""Game session placements, measured: how many placements a fleet fulfils per second and how
long each takes from StartGameSessionPlacement to FULFILLED (p50/p99, from the placement's
own StartTime and EndTime), through 1 or 3 hosts sharing a real redis-server, or one host
with no store. Each placement asks for a game session with `--players` player sessions.

Workers start placements through the hosts in turn as fast as the answers come, then poll
DescribeGameSessionPlacement (as a backend does) until every one has left PENDING.
Standard library only, sharing control_plane.py's helpers; needs `redis-server` and a built
`volley` (default target/release/volley). Example (BENCHMARKS.md):

    python3 benches/fleet/placements.py --hosts 3 --placements 3000
    python3 benches/fleet/placements.py --hosts 1 --no-store --placements 3000
"""

import argparse
import http.client
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_plane import REPO, call, redis_info, start_host, start_redis  # noqa: E402

QUEUE = "bench"


def starter(args):
    """Starts `ids` placements through the hosts in turn: each call's latency."""
    controls, ids, players = args
    connections = [http.client.HTTPConnection(*c, timeout=30) for c in controls]
    latencies = []
    for i, placement_id in enumerate(ids):
        body = {
            "PlacementId": placement_id,
            "GameSessionQueueName": QUEUE,
            "MaximumPlayerSessionCount": 8,
            "DesiredPlayerSessions": [{"PlayerId": f"{placement_id}-{n}"}
                                      for n in range(players)],
            "PlayerLatencies": [{"PlayerId": f"{placement_id}-{n}", "RegionIdentifier": "local",
                                 "LatencyInMilliseconds": 20.0} for n in range(players)],
        }
        started = time.perf_counter()
        call(connections[i % len(connections)], "StartGameSessionPlacement", body)
        latencies.append(time.perf_counter() - started)
    return latencies


def poller(args):
    """Polls `ids` until none is PENDING (bounded): each one's final placement."""
    controls, ids, deadline = args
    connection = http.client.HTTPConnection(*controls[0], timeout=30)
    pending, done = list(ids), []
    while pending and time.time() < deadline:
        still = []
        for placement_id in pending:
            placement = call(connection, "DescribeGameSessionPlacement",
                             {"PlacementId": placement_id})["GameSessionPlacement"]
            (still if placement["Status"] == "PENDING" else done).append(placement)
        pending = still
        if pending:
            time.sleep(0.01)
    if pending:
        raise RuntimeError(f"{len(pending)} placements still PENDING at the deadline")
    return done


def percentile(values, fraction):
    return values[max(0, int(len(values) * fraction) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=str(REPO / "target" / "release" / "volley"))
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--no-store", action="store_true", help="one host, catalog in memory")
    parser.add_argument("--placements", type=int, default=2000)
    parser.add_argument("--players", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if args.no_store and args.hosts != 1:
        parser.error("--no-store runs one host")
    work = Path(tempfile.mkdtemp(prefix="volley-placement-bench-"))
    procs = []
    try:
        store, redis_port = None, None
        if not args.no_store:
            redis, redis_port = start_redis(work)
            procs.append(redis)
            store = f"redis://127.0.0.1:{redis_port}/0"
        capacity = args.placements // args.hosts + 10
        controls = []
        for index in range(args.hosts):
            proc, control = start_host(Path(args.binary), work / f"host{index}", index, store,
                                       capacity)
            procs.append(proc)
            controls.append(control)
        setup = http.client.HTTPConnection(*controls[0], timeout=30)
        call(setup, "CreateGameSessionQueue", {
            "Name": QUEUE,
            "Destinations": [{"DestinationArn": "arn:aws:gamelift:local::fleet/fleet-local"}],
            "PlayerLatencyPolicies": [{"MaximumIndividualPlayerLatencyMilliseconds": 100}],
        })
        ids = [f"bench-{n}" for n in range(args.placements)]
        report = {"hosts": args.hosts, "store": "redis" if store else "memory",
                  "workers": args.workers, "players_per_placement": args.players}
        before = redis_info(redis_port) if redis_port else None
        with multiprocessing.Pool(args.workers) as pool:
            started = time.time()
            shares = pool.map(starter, [(controls, ids[i::args.workers], args.players)
                                        for i in range(args.workers)])
            calls = sorted(l for share in shares for l in share)
            deadline = time.time() + 120
            done = [p for share in pool.map(
                poller, [(controls, ids[i::args.workers], deadline)
                         for i in range(args.workers)]) for p in share]
        statuses = {}
        for placement in done:
            statuses[placement["Status"]] = statuses.get(placement["Status"], 0) + 1
        fulfilled = [p for p in done if p["Status"] == "FULFILLED"]
        waits = sorted(p["EndTime"] - p["StartTime"] for p in fulfilled)
        last_end = max(p["EndTime"] for p in fulfilled)
        report["statuses"] = statuses
        report["start_call"] = {
            "p50_ms": round(statistics.median(calls) * 1000, 2),
            "p99_ms": round(percentile(calls, 0.99) * 1000, 2),
        }
        report["fulfilled_per_sec"] = round(len(fulfilled) / (last_end - started))
        report["time_to_fulfilled"] = {
            "p50_ms": round(statistics.median(waits) * 1000, 1),
            "p99_ms": round(percentile(waits, 0.99) * 1000, 1),
            "max_ms": round(waits[-1] * 1000, 1),
        }
        if redis_port:
            after = redis_info(redis_port)
            report["redis_commands_per_placement"] = round(
                (after[0] - before[0]) / args.placements, 1)
        print(json.dumps(report, indent=2))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
