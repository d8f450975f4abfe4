"""FlexMatch on a fleet (docs/matchmaking.md "The matchmaker"): `volley serve` hosts sharing a
real `redis-server` take tickets through any host into one pool per configuration, one host
runs each configuration's matchmaking, and another takes over when it dies."""

import shutil
import subprocess

import pytest

from conftest import FLEET_ID, connect_client, make_client, wait_until
from test_fleet import fleet, redis  # noqa: F401
from test_matchmaking import (
    ENDED,
    ONE_ON_ONE,
    TEAM_RULES,
    configuration,
    player,
    rule_set,
    start,
    until_status,
)

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None or shutil.which("redis-cli") is None,
    reason="redis-server and redis-cli are not installed",
)


def leader(redis, config_name):
    """The host holding a configuration's matchmaking lease, read from the fleet store."""
    key = f"volley:{{{FLEET_ID}}}:matchmaker:{config_name}"
    done = subprocess.run(["redis-cli", "-p", str(redis.port), "GET", key],
                          capture_output=True, text=True, timeout=10, check=True)
    return done.stdout.strip()


def test_tickets_started_on_any_host_are_matched_together(fleet, line_client):
    hosts = {"host-a": fleet("host-a"), "host-b": fleet("host-b")}
    a, b = (make_client(hosts[name]) for name in ("host-a", "host-b"))
    config = configuration(a, rule_set(a, TEAM_RULES))["Name"]
    started = [start(a, config, player("fa1", 40)), start(a, config, player("fa2", 41)),
               start(b, config, player("fb1", 42)), start(b, config, player("fb2", 43))]
    ids = [t["TicketId"] for t in started]
    done = until_status(b, ids, ENDED, timeout=15)
    assert {t["Status"] for t in done.values()} == {"COMPLETED"}, done
    infos = [t["GameSessionConnectionInfo"] for t in done.values()]
    assert len({i["GameSessionArn"] for i in infos}) == 1, infos
    where = (infos[0]["IpAddress"], infos[0]["Port"])
    owner = next(h for h in hosts.values() if h.ws == where)
    sessions = {s["PlayerId"]: s["PlayerSessionId"]
                for i in infos for s in i["MatchedPlayerSessions"]}
    first, _ = connect_client(line_client, owner, sessions["fa1"])
    last, last_peer = connect_client(line_client, owner, sessions["fb2"])
    first.send_line(f"send {last_peer} 1 across hosts")
    last.expect(r"across hosts")


def test_matchmaking_moves_to_another_host_when_its_host_dies(fleet, redis):
    hosts = {"host-a": fleet("host-a"), "host-b": fleet("host-b")}
    client = make_client(hosts["host-a"])
    config = configuration(client, rule_set(client, ONE_ON_ONE))["Name"]
    waiting = start(client, config, player("early", latency=None))
    until_status(client, [waiting["TicketId"]], {"SEARCHING"})
    holder = wait_until(lambda: leader(redis, config), what="a matchmaking lease")
    assert holder in hosts, holder

    hosts[holder].stop()  # SIGKILL: its lease runs out, nobody hands it over
    survivor_name = next(name for name in hosts if name != holder)
    survivor = make_client(hosts[survivor_name])
    late = start(survivor, config, player("late", latency=None))
    done = until_status(survivor, [waiting["TicketId"], late["TicketId"]], ENDED, timeout=20)
    assert {t["Status"] for t in done.values()} == {"COMPLETED"}, done
    assert leader(redis, config) == survivor_name
    info = done[late["TicketId"]]["GameSessionConnectionInfo"]
    assert (info["IpAddress"], info["Port"]) == hosts[survivor_name].ws
