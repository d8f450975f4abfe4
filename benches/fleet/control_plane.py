#!/usr/bin/env python3
"""The control plane of a fleet, measured: CreateGameSession and CreatePlayerSession
throughput and latency through 1 or 3 hosts sharing a real redis-server (or one host with
its catalog in memory), the Redis commands each call costs, what the fleet state takes in
Redis, and SearchGameSessions latency once the fleet holds `--search-sessions` game sessions.

Standard library only; needs `redis-server` and a built `volley` (default
target/release/volley). Requests are unsigned (`control.auth = "none"`, loopback), so the
figures are the server's, not the client's signing. Example (BENCHMARKS.md):

    python3 benches/fleet/control_plane.py --hosts 3 --creates 4000 --search-sessions 50000
    python3 benches/fleet/control_plane.py --hosts 1 --no-store --creates 4000
"""

import argparse
import base64
import http.client
import os
import json
import multiprocessing
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_line(stream, needle, timeout):
    deadline = time.monotonic() + timeout
    for line in stream:
        if needle in line:
            return line
        if time.monotonic() > deadline:
            break
    raise RuntimeError(f"no {needle!r} within {timeout} s")


def start_redis(directory):
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_line(proc.stdout, "Ready to accept connections", 10)
    return proc, port


def start_host(binary, directory, index, store, capacity, location=None):
    directory.mkdir(parents=True, exist_ok=True)
    fleet = f'store = "{store}"\nhost_id = "bench-{index}"\n' if store else ""
    if location:
        fleet += f'location = "{location}"\n'
    config = (
        '[game]\nlisten = "127.0.0.1:0"\n'
        '[control]\nlisten = "127.0.0.1:0"\nauth = "none"\nmax_connections_per_ip = 256\n'
        f'[limits]\nmax_game_sessions = {capacity}\n'
        f'[server]\nlog_level = "warn"\n[scripts]\ndata_dir = "{directory / "data"}"\n'
        f'[fleet]\n{fleet}'
    )
    path = directory / "volley.toml"
    path.write_text(config)
    proc = subprocess.Popen([str(binary), "serve", "--config", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    listening = json.loads(wait_line(proc.stdout, '"listening"', 30))
    wait_line(proc.stdout, '"ready"', 30)
    host, port = listening["control"].rsplit(":", 1)
    return proc, (host, int(port))


def call(connection, target, body):
    connection.request("POST", "/", json.dumps(body), {
        "X-Amz-Target": f"GameLift.{target}",
        "Content-Type": "application/x-amz-json-1.1",
    })
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{target}: {response.status} {data[:200]!r}")
    return json.loads(data)


def worker(args):
    """Makes `count` calls of `target` through the hosts in turn, one connection each: the
    latencies and, for creates, the game session ids."""
    controls, target, bodies = args
    connections = [http.client.HTTPConnection(*c, timeout=30) for c in controls]
    latencies, ids = [], []
    for i, body in enumerate(bodies):
        started = time.perf_counter()
        answer = call(connections[i % len(connections)], target, body)
        latencies.append(time.perf_counter() - started)
        if target == "CreateGameSession":
            ids.append(answer["GameSession"]["GameSessionId"])
    return latencies, ids


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def login_frame(player_session_id):
    """The LOGIN packet (protocol.md: target -1, reliable, LoginCommand in field 30),
    length-prefixed, as one masked WebSocket binary frame."""
    psid = player_session_id.encode()
    command = b"\x0a" + varint(len(psid)) + psid + b"\x10\x02"
    packet = b"\x18" + varint(-1) + b"\x30\x01" + b"\xf2\x01" + varint(len(command)) + command
    payload = varint(len(packet)) + packet
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes([0x82, 0x80 | len(payload)]) + mask + masked


def login(address, player_session_id):
    """One player's login at `address`: the time from its LOGIN to the server's first frame,
    which must be a successful LOGIN_RESULT."""
    with socket.create_connection(address, timeout=30) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET / HTTP/1.1\r\nHost: {address[0]}:{address[1]}\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 101"), head[:100]
        started = time.perf_counter()
        sock.sendall(login_frame(player_session_id))
        frame = head.split(b"\r\n\r\n", 1)[1]
        while len(frame) < 2:
            frame += sock.recv(4096)
        elapsed = time.perf_counter() - started
        # A binary frame (not a close), whose packet is op -1 with a successful result.
        assert frame[0] == 0x82, frame[:8]
        return elapsed


def login_worker(logins):
    return [login(address, psid) for address, psid in logins]


def run(pool, workers, controls, target, bodies):
    shares = [(controls, target, bodies[i::workers]) for i in range(workers)]
    started = time.perf_counter()
    results = pool.map(worker, shares)
    elapsed = time.perf_counter() - started
    latencies = sorted(l for r in results for l in r[0])
    ids = [i for r in results for i in r[1]]
    return {
        "calls": len(latencies),
        "per_sec": round(len(latencies) / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }, ids


def players(controls, game_session_ids):
    """One more player session per game session, with where its player connects."""
    connection = http.client.HTTPConnection(*controls[0], timeout=30)
    found = []
    for n, game in enumerate(game_session_ids):
        player = call(connection, "CreatePlayerSession",
                      {"GameSessionId": game, "PlayerId": f"login{n}"})["PlayerSession"]
        found.append(((player["IpAddress"], player["Port"]), player["PlayerSessionId"]))
    return found


def redis_info(port):
    """total_commands_processed and used_memory, from INFO over a raw connection."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"INFO\r\n")
        data = b""
        while True:
            data += sock.recv(65536)
            head, _, rest = data.partition(b"\r\n")
            if head.startswith(b"$") and len(rest) >= int(head[1:]):
                break
    fields = dict(line.split(":", 1) for line in rest.decode().splitlines() if ":" in line)
    return int(fields["total_commands_processed"]), int(fields["used_memory"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=str(REPO / "target" / "release" / "volley"))
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--no-store", action="store_true", help="one host, catalog in memory")
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--search-sessions", type=int, default=0,
                        help="fill the fleet to this many game sessions, then time searches")
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()
    if args.no_store and args.hosts != 1:
        parser.error("--no-store runs one host")
    work = Path(tempfile.mkdtemp(prefix="volley-fleet-bench-"))
    procs = []
    try:
        store, redis_port = None, None
        if not args.no_store:
            redis, redis_port = start_redis(work)
            procs.append(redis)
            store = f"redis://127.0.0.1:{redis_port}/0"
        total = max(args.creates, args.search_sessions) + 10
        capacity = total // args.hosts + 10
        controls = []
        for index in range(args.hosts):
            proc, control = start_host(Path(args.binary), work / f"host{index}", index, store,
                                       capacity)
            procs.append(proc)
            controls.append(control)
        report = {"hosts": args.hosts, "store": "redis" if store else "memory",
                  "workers": args.workers}
        with multiprocessing.Pool(args.workers) as pool:
            before = redis_info(redis_port) if redis_port else None
            body = {"FleetId": "fleet-local", "MaximumPlayerSessionCount": 8}
            report["create_game_session"], ids = run(
                pool, args.workers, controls, "CreateGameSession", [body] * args.creates)
            if redis_port:
                after = redis_info(redis_port)
                report["create_game_session"]["redis_commands_per_call"] = round(
                    (after[0] - before[0]) / args.creates, 1)
                report["redis_bytes_per_game_session"] = round(
                    (after[1] - before[1]) / args.creates)
                before = after
            bodies = [{"GameSessionId": i, "PlayerId": f"p{n}"} for n, i in enumerate(ids)]
            report["create_player_session"], _ = run(
                pool, args.workers, controls, "CreatePlayerSession", bodies)
            if redis_port:
                after = redis_info(redis_port)
                report["create_player_session"]["redis_commands_per_call"] = round(
                    (after[0] - before[0]) / len(bodies), 1)
                report["redis_bytes_per_player_session"] = round(
                    (after[1] - before[1]) / len(bodies))
            logins = players(controls, ids)
            started = time.perf_counter()
            shares = pool.map(login_worker, [logins[i::args.workers] for i in range(args.workers)])
            elapsed = time.perf_counter() - started
            latencies = sorted(l for share in shares for l in share)
            report["login"] = {
                "logins": len(latencies),
                "per_sec": round(len(latencies) / elapsed),
                "p50_ms": round(statistics.median(latencies) * 1000, 2),
                "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
            }
            more = args.search_sessions - args.creates
            if more > 0:
                run(pool, args.workers, controls, "CreateGameSession", [body] * more)
            if args.search_sessions:
                search = {"FleetId": "fleet-local", "Limit": 20,
                          "FilterExpression": "hasAvailablePlayerSessions=true",
                          "SortExpression": "creationTimeMillis DESC"}
                report["search_game_sessions"], _ = run(
                    pool, 1, controls, "SearchGameSessions", [search] * args.searches)
                report["search_game_sessions"]["game_sessions"] = args.search_sessions
        if redis_port:
            time.sleep(2)  # Two heartbeats of every host.
            one = redis_info(redis_port)[0]
            time.sleep(10)
            report["redis_commands_per_sec_idle"] = round((redis_info(redis_port)[0] - one) / 10, 1)
        print(json.dumps(report, indent=2))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
