"""Game session queues and placements on a fleet (control-api.md §2.8, §2.9): `volley serve`
hosts in several locations sharing a real `redis-server`, driven with boto3 and the AWS CLI
through any host; placements go where the queue's rules and the players' latencies say, and
game clients connect with what DescribeGameSessionPlacement returned."""

import concurrent.futures
import datetime
import shutil
import signal
import time
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)

from conftest import (
    ACCESS_KEY,
    FLEET_ID,
    GAME_SESSION_ARN_PREFIX,
    REGION,
    SECRET,
    aws_cli,
    call,
    connect_client,
    create_game,
    describe_game,
    make_client,
    send,
    wait_until,
)
from test_fleet import fleet, redis  # noqa: F401
from test_placements import FLEET_ARN, new_queue, settled, start

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)

EAST, WEST, SOUTH = "us-east", "eu-west", "ap-south"
LOCATIONS = (EAST, WEST, SOUTH)


def placement_of(client, placement_id):
    return client.describe_game_session_placement(
        PlacementId=placement_id)["GameSessionPlacement"]


def latencies(table):
    """PlayerLatencies from {player: {location: ms}}."""
    return [{"PlayerId": player, "RegionIdentifier": location, "LatencyInMilliseconds": ms}
            for player, per_location in table.items() for location, ms in per_location.items()]


def stays_pending(client, placement_id, seconds):
    """Polls the placement for `seconds` (longer than the placer's one-second retry, so it has
    been tried again meanwhile), checking it stays PENDING throughout; its last state."""
    deadline = time.monotonic() + seconds
    while True:
        placement = placement_of(client, placement_id)
        assert placement["Status"] == "PENDING", placement
        if time.monotonic() >= deadline:
            return placement
        time.sleep(0.1)


def play(line_client, host, placement):
    """The placement's first two players log in at `host` and one sends the other a line."""
    first, second = [p["PlayerSessionId"] for p in placement["PlacedPlayerSessions"][:2]]
    one, _ = connect_client(line_client, host, first)
    two, peer_two = connect_client(line_client, host, second)
    word = f"hi-{uuid.uuid4().hex[:8]}"
    one.send_line(f"send {peer_two} 1 {word}")
    two.expect(word)


def assert_on(placement, host, location):
    """A FULFILLED placement whose game session runs on `host`, in `location`."""
    assert placement["Status"] == "FULFILLED", placement
    assert placement["GameSessionRegion"] == location, placement
    assert (placement["IpAddress"], placement["Port"]) == host.ws, (placement, host.ws)


def server_answer(host):
    """Volley.DescribeServer through `host`."""
    response = call(host, {}, target="Volley.DescribeServer")
    assert response.status == 200, response.body
    return response.json()


def fulfilled_count(host):
    """volley_placements_total{status="fulfilled"} scraped from `host`."""
    request = AWSRequest(method="GET", url=host.control_url + "/metrics", data=b"")
    SigV4Auth(Credentials(ACCESS_KEY, SECRET), "gamelift", REGION).add_auth(request)
    response = send(host, dict(request.headers.items()), b"", method="GET", path="/metrics")
    assert response.status == 200, response.body
    families = {f.name: f for f in parse_openmetrics(response.body.decode())}
    [value] = [s.value for s in families["volley_placements"].samples
               if s.name == "volley_placements_total" and s.labels == {"status": "fulfilled"}]
    return value


@pytest.fixture
def three(fleet):  # noqa: F811 - the fixture imported above
    """One host in each location, keyed by location; room for `max_game_sessions` each."""

    def start_hosts(max_game_sessions=100):
        return {location: fleet(f"host-{location}", location=location,
                                max_game_sessions=max_game_sessions)
                for location in LOCATIONS}

    return start_hosts


def test_player_latencies_pick_the_location_and_players_play_there(three, line_client):
    hosts = three()
    client = make_client(hosts[EAST])
    queue = new_queue(client)
    started = {}
    for i, target in enumerate(LOCATIONS):
        runner_up = LOCATIONS[(i + 1) % 3]
        other = LOCATIONS[(i + 2) % 3]
        # alice is nearest to the runner-up, but the two players' average is lowest at the
        # target (40 ms against 50 and 70).
        table = {"alice": {target: 20, runner_up: 10, other: 70},
                 "bob": {target: 60, runner_up: 90, other: 70}}
        started[target] = start(client, queue["Name"], players=["alice", "bob"],
                                PlayerLatencies=latencies(table))["PlacementId"]
    for target, placement_id in started.items():
        # Polled through the host that runs it, not the one that took the request.
        done = settled(make_client(hosts[target]), placement_id)
        assert_on(done, hosts[target], target)
        game = describe_game(client, done["GameSessionId"])
        assert (game["Location"], game["Port"], game["Status"]) == (
            target, hosts[target].ws[1], "ACTIVE"), game
        assert [p["PlayerId"] for p in done["PlacedPlayerSessions"]] == ["alice", "bob"]
        play(line_client, hosts[target], done)
        assert describe_game(client, done["GameSessionId"])["CurrentPlayerSessionCount"] == 2


def test_a_latency_policy_relaxes_after_its_duration(three, line_client):
    hosts = three()
    client = make_client(hosts[SOUTH])
    queue = new_queue(client, TimeoutInSeconds=60, PlayerLatencyPolicies=[
        {"MaximumIndividualPlayerLatencyMilliseconds": 150},
        {"MaximumIndividualPlayerLatencyMilliseconds": 50, "PolicyDurationSeconds": 3},
    ])
    # eu-west is 100 ms for both; ap-south has the lowest average (92.5 ms) but one player
    # at 180 ms, over every cap; us-east is over every cap for both.
    table = {"p1": {WEST: 100, SOUTH: 5, EAST: 300},
             "p2": {WEST: 100, SOUTH: 180, EAST: 300}}
    placement = start(client, queue["Name"], players=["p1", "p2"],
                      PlayerLatencies=latencies(table))
    began = time.monotonic()
    # Under the 50 ms cap nothing is eligible: still PENDING two seconds in.
    stays_pending(client, placement["PlacementId"], 2.0 - (time.monotonic() - began))
    done = settled(client, placement["PlacementId"], timeout=8.0)
    assert_on(done, hosts[WEST], WEST)
    assert done["EndTime"] - done["StartTime"] >= datetime.timedelta(seconds=3), done
    play(line_client, hosts[WEST], done)

    # The 150 ms cap lasts until the timeout: kept to ap-south and us-east, both over it for
    # some player, a placement is never placed, though both hosts have room.
    queue_full = new_queue(client, TimeoutInSeconds=60, PlayerLatencyPolicies=[
        {"MaximumIndividualPlayerLatencyMilliseconds": 150}])
    blocked = start(client, queue_full["Name"], PlayerLatencies=latencies(table),
                    PriorityConfigurationOverride={"LocationOrder": [SOUTH, EAST],
                                                   "PlacementFallbackStrategy": "NONE"})
    stays_pending(client, blocked["PlacementId"], 1.5)
    stopped = client.stop_game_session_placement(
        PlacementId=blocked["PlacementId"])["GameSessionPlacement"]
    assert stopped["Status"] == "CANCELLED", stopped
    counts = {h["Location"]: h["GameSessionCount"]
              for h in server_answer(hosts[EAST])["Fleet"]["Hosts"]}
    assert counts == {WEST: 1, SOUTH: 0, EAST: 0}, counts


def test_the_filter_priority_order_and_override_choose_over_latency(three):
    hosts = three(max_game_sessions=1)
    client = make_client(hosts[WEST])
    near_east = latencies({"p1": {EAST: 10, WEST: 50, SOUTH: 90},
                           "p2": {EAST: 20, WEST: 60, SOUTH: 80}})

    # The filter leaves out the nearest location.
    filtered = new_queue(client, FilterConfiguration={"AllowedLocations": [WEST, SOUTH]})
    done = settled(client, start(client, filtered["Name"], players=["p1"],
                                 PlayerLatencies=near_east)["PlacementId"])
    assert_on(done, hosts[WEST], WEST)
    client.terminate_game_session(GameSessionId=done["GameSessionId"],
                                  TerminationMode="FORCE_TERMINATE")

    # LOCATION before LATENCY: the location order wins over the players' latencies.
    ordered = new_queue(client, PriorityConfiguration={
        "PriorityOrder": ["LOCATION", "LATENCY"], "LocationOrder": [SOUTH, WEST, EAST]})
    done = settled(client, start(client, ordered["Name"], PlayerLatencies=near_east)[
        "PlacementId"])
    assert_on(done, hosts[SOUTH], SOUTH)

    # An override with NONE keeps to its locations: with ap-south full it waits, though the
    # other hosts have room...
    plain = new_queue(client)
    only_south = {"LocationOrder": [SOUTH], "PlacementFallbackStrategy": "NONE"}
    waiting = start(client, plain["Name"], PlayerLatencies=near_east,
                    PriorityConfigurationOverride=only_south)
    stays_pending(client, waiting["PlacementId"], 1.5)
    # ...while one that falls back goes to the nearest location with room.
    fallback = start(client, plain["Name"], PlayerLatencies=near_east,
                     PriorityConfigurationOverride={"LocationOrder": [SOUTH]})
    assert_on(settled(client, fallback["PlacementId"]), hosts[EAST], EAST)
    # Room in ap-south again: the waiting one takes it.
    client.terminate_game_session(GameSessionId=done["GameSessionId"],
                                  TerminationMode="FORCE_TERMINATE")
    assert_on(settled(client, waiting["PlacementId"]), hosts[SOUTH], SOUTH)


def test_a_full_location_passes_to_the_next_and_a_full_fleet_waits_for_room(three):
    hosts = three(max_game_sessions=1)
    client = make_client(hosts[EAST])
    queue = new_queue(client, TimeoutInSeconds=60)
    near = latencies({"p1": {EAST: 10, WEST: 50, SOUTH: 90}})
    placed = {}
    for location in (EAST, WEST, SOUTH):
        done = settled(client, start(client, queue["Name"], PlayerLatencies=near)[
            "PlacementId"])
        assert_on(done, hosts[location], location)
        placed[location] = done
    # Every host is full.
    waiting = start(client, queue["Name"], players=["p1"], PlayerLatencies=near)
    stays_pending(client, waiting["PlacementId"], 1.5)
    client.terminate_game_session(GameSessionId=placed[SOUTH]["GameSessionId"],
                                  TerminationMode="FORCE_TERMINATE")
    done = settled(client, waiting["PlacementId"])
    assert_on(done, hosts[SOUTH], SOUTH)
    assert describe_game(client, done["GameSessionId"])["Status"] == "ACTIVE"


def test_any_host_starts_describes_and_stops_a_placement(fleet):  # noqa: F811
    a, b, c = (fleet(f"host-{name}") for name in "abc")
    through_a, through_b, through_c = (make_client(h) for h in (a, b, c))
    queue = new_queue(through_a)
    assert through_c.describe_game_session_queues(
        Names=[queue["Name"]])["GameSessionQueues"] == [queue]

    placement = start(through_a, queue["Name"], players=["p1"])
    done = settled(through_b, placement["PlacementId"])
    assert done["Status"] == "FULFILLED", done
    assert placement_of(through_c, placement["PlacementId"]) == done
    # Stopping an ended placement, through yet another host, returns it unchanged.
    assert through_c.stop_game_session_placement(
        PlacementId=placement["PlacementId"])["GameSessionPlacement"] == done

    # A placement that can go nowhere yet (its override names a location no host is in).
    nowhere = start(through_a, queue["Name"], PriorityConfigurationOverride={
        "LocationOrder": ["nowhere"], "PlacementFallbackStrategy": "NONE"})
    assert placement_of(through_b, nowhere["PlacementId"])["Status"] == "PENDING"
    stopped = through_c.stop_game_session_placement(
        PlacementId=nowhere["PlacementId"])["GameSessionPlacement"]
    assert stopped["Status"] == "CANCELLED" and "EndTime" in stopped, stopped
    assert placement_of(through_a, nowhere["PlacementId"]) == stopped
    assert through_b.stop_game_session_placement(
        PlacementId=nowhere["PlacementId"])["GameSessionPlacement"] == stopped


def test_a_pending_placement_outlives_every_host(fleet):  # noqa: F811
    a = fleet("host-a", location=EAST, max_game_sessions=1)
    b = fleet("host-b", location=WEST, max_game_sessions=1)
    client = make_client(a)
    create_game(client)
    create_game(client, Location=WEST)  # Both hosts are full.
    queue = new_queue(client, TimeoutInSeconds=60)
    placement = start(make_client(b), queue["Name"], players=["p1"])
    stays_pending(client, placement["PlacementId"], 1.2)
    a.stop()  # SIGKILL
    b.stop()
    again = fleet("host-a", location=SOUTH, max_game_sessions=2)
    # A dying host may have held it for its lease (the activation timeout and 10 s).
    done = settled(make_client(again), placement["PlacementId"], timeout=25.0)
    assert_on(done, again, SOUTH)
    assert done["EndTime"] - done["StartTime"] < datetime.timedelta(seconds=60), done
    players = make_client(again).describe_player_sessions(
        GameSessionId=done["GameSessionId"])["PlayerSessions"]
    assert [(p["PlayerId"], p["Status"]) for p in players] == [("p1", "RESERVED")]


def test_a_host_that_died_unnoticed_does_not_fulfil_a_placement(
        server_factory, redis):  # noqa: F811
    def host(host_id, location):
        # Given up 6 s after its last heartbeat; a start elsewhere is waited for 2.1 s.
        return server_factory({
            "fleet": {"store": redis.url, "host_id": host_id, "location": location,
                      "heartbeat_secs": 1, "host_expiry_secs": 6},
            "scripts": {"activation_timeout_ms": 100},
        })

    east = host("host-a", EAST)
    west = host("host-b", WEST)
    client = make_client(west)
    queue = new_queue(client, TimeoutInSeconds=60)
    near_east = latencies({"p1": {EAST: 10, WEST: 50}})
    east.stop()  # SIGKILL: the fleet still counts it for a few seconds.
    # Without players, as backends often place (they reserve seats once it is placed).
    placement = start(client, queue["Name"], PlayerLatencies=near_east)
    # Its game session went to the dead host, which never starts it: not FULFILLED with
    # the dead host's address, but PENDING...
    stays_pending(client, placement["PlacementId"], 3.0)
    # ...until the fleet gives the host up and the game session ends with it.
    done = settled(client, placement["PlacementId"], timeout=15.0)
    assert done["Status"] == "FAILED", done
    game = describe_game(client, GAME_SESSION_ARN_PREFIX + placement["PlacementId"])
    assert (game["Status"], game["StatusReason"]) == ("TERMINATED", "INTERRUPTED"), game
    # The backend places again: the live location takes it.
    again = settled(client, start(client, queue["Name"], players=["p1"],
                                  PlayerLatencies=near_east)["PlacementId"])
    assert_on(again, west, WEST)


def test_many_placements_through_several_hosts_are_each_fulfilled_once(three):
    hosts = three(max_game_sessions=14)
    clients = [make_client(h) for h in hosts.values()]
    queue = new_queue(clients[0])
    count = 40

    def start_one(i):
        return start(clients[i % 3], queue["Name"], players=[f"p{i}"],
                     placement_id=f"many-{i}")["PlacementId"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(start_one, range(count)))
    done = [settled(clients[i % 3], placement_id, timeout=20.0)
            for i, placement_id in enumerate(ids)]
    assert [p["Status"] for p in done] == ["FULFILLED"] * count, done
    games = [p["GameSessionId"] for p in done]
    assert len(set(games)) == count
    assert all(g.endswith(f"/{p}") for g, p in zip(games, ids)), games
    # No game session was made twice, and no host runs more than it may.
    pages = clients[1].get_paginator("describe_game_sessions").paginate(FleetId=FLEET_ID)
    running = [g for page in pages for g in page["GameSessions"]]
    assert sorted(g["GameSessionId"] for g in running) == sorted(games)
    by_port = {h.ws[1]: 0 for h in hosts.values()}
    for game in running:
        by_port[game["Port"]] += 1
    assert max(by_port.values()) <= 14 and sum(by_port.values()) == count, by_port
    for host in server_answer(hosts[EAST])["Fleet"]["Hosts"]:
        assert host["GameSessionCount"] <= host["MaxGameSessions"] == 14, host
    # Each placement ended once, on one host or another.
    assert sum(fulfilled_count(h) for h in hosts.values()) == count


def test_the_aws_cli_places_through_the_fleet(fleet, line_client):  # noqa: F811
    east = fleet("host-a", location=EAST)
    west = fleet("host-b", location=WEST)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    made = aws_cli(east, "create-game-session-queue", "--name", name,
                   "--timeout-in-seconds", "60",
                   "--destinations", f"DestinationArn={FLEET_ARN}",
                   "--player-latency-policies",
                   "MaximumIndividualPlayerLatencyMilliseconds=100")
    assert made.json()["GameSessionQueue"]["Name"] == name
    placement_id = f"cli-{uuid.uuid4().hex}"
    started = aws_cli(
        west, "start-game-session-placement", "--placement-id", placement_id,
        "--game-session-queue-name", name, "--maximum-player-session-count", "2",
        "--desired-player-sessions", "PlayerId=p1", "PlayerId=p2",
        "--player-latencies",
        f"PlayerId=p1,RegionIdentifier={EAST},LatencyInMilliseconds=150",
        f"PlayerId=p1,RegionIdentifier={WEST},LatencyInMilliseconds=40",
        f"PlayerId=p2,RegionIdentifier={EAST},LatencyInMilliseconds=20",
        f"PlayerId=p2,RegionIdentifier={WEST},LatencyInMilliseconds=60")
    assert started.json()["GameSessionPlacement"]["Status"] == "PENDING"

    def described():
        placement = aws_cli(east, "describe-game-session-placement",
                            "--placement-id", placement_id).json()["GameSessionPlacement"]
        return placement["Status"] != "PENDING" and placement

    # us-east has the lower average (85 ms) but p1 is over the 100 ms cap there.
    placement = wait_until(described, timeout=20.0, interval=0.2,
                           what="the CLI sees the placement settle")
    assert_on(placement, west, WEST)
    play(line_client, west, placement)


def test_two_hosts_in_a_location_are_both_used_and_a_draining_one_is_passed_by(
        fleet, line_client):  # noqa: F811
    east_a = fleet("host-a", location=EAST, max_game_sessions=2)
    east_b = fleet("host-b", location=EAST, max_game_sessions=1)
    west = fleet("host-c", location=WEST, max_game_sessions=10)
    client = make_client(west)
    queue = new_queue(client)["Name"]
    near_east = latencies({"p1": {EAST: 10, WEST: 50}})

    def place():
        placement = start(client, queue, players=["p1"], PlayerLatencies=near_east)
        done = settled(client, placement["PlacementId"])
        assert done["Status"] == "FULFILLED", done
        return done

    def ended(placement):
        client.terminate_game_session(GameSessionId=placement["GameSessionId"],
                                      TerminationMode="FORCE_TERMINATE")
        wait_until(lambda: client.describe_game_sessions(
            GameSessionId=placement["GameSessionId"])["GameSessions"][0]["Status"]
            == "TERMINATED", what="the game session ended")

    # The nearer location's hosts fill (the fullest first) before the next location is used.
    one, two, three, four = place(), place(), place(), place()
    for placement, host, location in [(one, east_a, EAST), (two, east_a, EAST),
                                      (three, east_b, EAST), (four, west, WEST)]:
        assert_on(placement, host, location)

    # host-a drains, one player keeping it up, with room again: placements pass it by.
    connect_client(line_client, east_a, one["PlacedPlayerSessions"][0]["PlayerSessionId"])
    ended(two)
    east_a.proc.send_signal(signal.SIGTERM)
    wait_until(lambda: any(h["HostId"] == "host-a" and h["Draining"]
                           for h in server_answer(west)["Fleet"]["Hosts"]),
               what="host-a's drain known to the fleet")
    assert_on(place(), west, WEST)
    ended(three)
    assert_on(place(), east_b, EAST)
    assert east_a.alive()
    east_a.stopped = True
