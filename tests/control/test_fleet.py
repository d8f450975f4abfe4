"""A fleet of hosts sharing state in a real `redis-server` (README "Running a fleet"): two
or three `volley serve` processes with the same `fleet.store`, driven through any host's
control API with boto3 and played on with `volley client`."""

import concurrent.futures
import shutil
import signal
import socket
import subprocess
import time

import pytest
from test_scripts import hello_zip, make_zip

from conftest import (
    FLEET_ID,
    aws_cli,
    failed_start,
    LineReader,
    call,
    connect_client,
    create_game,
    describe_game,
    describe_player,
    expect_error,
    login_refused,
    make_client,
    search_ids,
    wait_until,
)

# Hosts renew every second and are given up after two, so a dead host is noticed within
# about three seconds.
HEARTBEAT = {"heartbeat_secs": 1, "host_expiry_secs": 2}
DEATH_NOTICED = 10.0

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    """A `redis-server` on a free loopback port, appending every write to its log before
    answering (`appendfsync always`), so a kill loses nothing it acknowledged."""

    def __init__(self, directory, extra=()):
        self.directory = directory
        self.extra = list(extra)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/"
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", *self.extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )
        LineReader(self.proc.stdout).expect(
            lambda line: "Ready to accept connections" in line, 10, "redis-server ready"
        )

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def redis(tmp_path):
    server = Redis(tmp_path / "redis")
    yield server
    server.kill()


@pytest.fixture
def fleet(server_factory, redis):
    """Starts hosts of one fleet: `fleet(host_id, location=..., max_game_sessions=...)`."""

    def start(host_id, location="local", max_game_sessions=100, placement="pack"):
        return server_factory({
            "fleet": {"store": redis.url, "host_id": host_id, "location": location,
                      "placement": placement, **HEARTBEAT},
            "limits": {"max_game_sessions": max_game_sessions},
        })

    return start


def owner_port(game):
    return game["Port"]


def test_creates_fill_one_host_then_the_next_and_answer_with_the_owning_hosts_address(fleet):
    a = fleet("host-a", max_game_sessions=2)
    b = fleet("host-b", max_game_sessions=2)
    client = make_client(a)
    games = [create_game(client) for _ in range(4)]
    assert all(g["Status"] == "ACTIVE" for g in games), games
    # Packing: the first host with room fills up before the next is used.
    ports = [owner_port(g) for g in games]
    assert sorted(set(ports)) == sorted({a.ws[1], b.ws[1]}), (ports, a.ws, b.ws)
    assert ports[0] == ports[1] and ports[2] == ports[3] and ports[0] != ports[2], ports
    with expect_error("FleetCapacityExceededException"):
        create_game(client)
    # Either host answers for the whole fleet.
    for host in (a, b):
        found = make_client(host).describe_game_sessions(FleetId=FLEET_ID)["GameSessions"]
        assert {g["GameSessionId"] for g in found} == {g["GameSessionId"] for g in games}
        assert sorted(search_ids(make_client(host))) == sorted(
            g["GameSessionId"] for g in games)
    # The AWS CLI, through host-b, on a game session host-a runs.
    on_a = next(g for g in games if owner_port(g) == a.ws[1])
    done = aws_cli(b, "describe-game-session-details", "--game-session-id",
                   on_a["GameSessionId"])
    assert done.returncode == 0, done.stderr
    details = done.json()["GameSessionDetails"][0]["GameSession"]
    assert (details["Port"], details["Status"]) == (a.ws[1], "ACTIVE")


def test_spread_placement_alternates_between_hosts(fleet):
    a = fleet("host-a", placement="spread")
    b = fleet("host-b", placement="spread")
    client = make_client(b)
    ports = [owner_port(create_game(client)) for _ in range(4)]
    assert ports.count(a.ws[1]) == 2 and ports.count(b.ws[1]) == 2, ports


def test_a_player_session_made_through_one_host_logs_in_at_the_owning_host(fleet, line_client):
    a = fleet("host-a", max_game_sessions=1)
    b = fleet("host-b", max_game_sessions=1)
    through_a = make_client(a)
    create_game(through_a)  # Fills host-a.
    game = create_game(through_a)
    assert owner_port(game) == b.ws[1]
    players = make_client(b).create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["p1", "p2"])["PlayerSessions"]
    assert all(p["Port"] == b.ws[1] for p in players), players
    # A login at a host that does not run the game session is refused, and the reservation
    # stays good for the owning host.
    assert login_refused(a, players[0]["PlayerSessionId"])
    assert describe_player(through_a, players[0]["PlayerSessionId"])["Status"] == "RESERVED"
    one, _ = connect_client(line_client, b, players[0]["PlayerSessionId"])
    two, peer_two = connect_client(line_client, b, players[1]["PlayerSessionId"])
    assert describe_player(through_a, players[0]["PlayerSessionId"])["Status"] == "ACTIVE"
    assert describe_game(through_a, game["GameSessionId"])["CurrentPlayerSessionCount"] == 2
    # They play together on host-b.
    one.send_line(f"send {peer_two} 1 hello")
    two.expect(r"hello")
    # Terminated through host-a: host-b closes its players.
    through_a.terminate_game_session(
        GameSessionId=game["GameSessionId"], TerminationMode="FORCE_TERMINATE")
    assert one.wait() is not None and two.wait() is not None
    wait_until(lambda: describe_game(through_a, game["GameSessionId"])["Status"]
               == "TERMINATED", what="TERMINATED seen through host-a")
    assert describe_player(through_a, players[1]["PlayerSessionId"])["Status"] == "COMPLETED"


def test_a_killed_hosts_game_sessions_end_interrupted_and_placement_passes_it_by(fleet):
    a = fleet("host-a", max_game_sessions=1)
    b = fleet("host-b", max_game_sessions=1)
    client = make_client(a)
    on_a, on_b = create_game(client), create_game(client)
    assert {owner_port(on_a), owner_port(on_b)} == {a.ws[1], b.ws[1]}
    dead = on_b if owner_port(on_b) == b.ws[1] else on_a
    players = client.create_player_sessions(
        GameSessionId=dead["GameSessionId"], PlayerIds=["p1"])["PlayerSessions"]
    b.stop()  # SIGKILL
    ended = wait_until(
        lambda: (g := describe_game(client, dead["GameSessionId"]))["Status"] == "TERMINATED"
        and g, timeout=DEATH_NOTICED, what="the dead host's game session ended")
    assert ended["StatusReason"] == "INTERRUPTED", ended
    assert describe_player(client, players[0]["PlayerSessionId"])["Status"] == "COMPLETED"
    # host-b is gone and host-a is full.
    with expect_error("FleetCapacityExceededException"):
        create_game(client)


def test_a_restarted_host_rejoins_and_its_old_game_sessions_end(fleet, redis):
    a = fleet("host-a")
    game = create_game(make_client(a))
    a.stop()
    again = fleet("host-a")
    client = make_client(again)
    old = describe_game(client, game["GameSessionId"])
    assert old["Status"] == "TERMINATED" and old["StatusReason"] == "INTERRUPTED", old
    assert create_game(client)["Status"] == "ACTIVE"


def test_concurrent_creates_on_two_hosts_never_overbook(fleet):
    a = fleet("host-a", max_game_sessions=5)
    b = fleet("host-b", max_game_sessions=5)
    clients = [make_client(a), make_client(b)]

    def create(i):
        try:
            return create_game(clients[i % 2])["Port"]
        except Exception as error:  # noqa: BLE001 - the refusals are counted below
            return getattr(error, "response", {}).get("Error", {}).get("Code", repr(error))

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(create, range(30)))
    created = [p for p in answers if isinstance(p, int)]
    refused = [e for e in answers if not isinstance(e, int)]
    assert len(created) == 10, answers
    assert created.count(a.ws[1]) == 5 and created.count(b.ws[1]) == 5, answers
    assert set(refused) == {"FleetCapacityExceededException"}, refused
    running = make_client(a).describe_fleet_utilization(FleetIds=[FLEET_ID])
    assert running["FleetUtilization"][0]["ActiveGameSessionCount"] == 10, running


def test_with_redis_away_games_play_on_control_calls_fail_fast_and_all_resumes(
        fleet, redis, line_client):
    a = fleet("host-a")
    client = make_client(a)
    game = create_game(client)
    players = client.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["p1", "p2"])["PlayerSessions"]
    one, _ = connect_client(line_client, a, players[0]["PlayerSessionId"])
    two, peer_two = connect_client(line_client, a, players[1]["PlayerSessionId"])
    three, _ = connect_client(
        line_client, a, client.create_player_sessions(
            GameSessionId=game["GameSessionId"], PlayerIds=["p3"]
        )["PlayerSessions"][0]["PlayerSessionId"])
    redis.kill()
    # Relaying needs no store, and a player leaving holds no one up.
    three.stop()
    one.send_line(f"send {peer_two} 1 still-here")
    two.expect(r"still-here")
    # Control calls fail fast, with an error SDKs retry.
    started = time.monotonic()
    with expect_error("InternalServiceException", status=500):
        client.describe_game_sessions(FleetId=FLEET_ID)
    assert time.monotonic() - started < 5.0
    redis.start()
    # Back: what was acknowledged before is there, and new calls work.
    wait_until(lambda: _answers(client), timeout=15.0, what="the control API answers again")
    assert describe_game(client, game["GameSessionId"])["Status"] == "ACTIVE"
    assert describe_player(client, players[0]["PlayerSessionId"])["Status"] == "ACTIVE"
    # The player who left meanwhile is recorded as gone once the store is back.
    wait_until(lambda: describe_game(client, game["GameSessionId"])["CurrentPlayerSessionCount"]
               == 2, timeout=10.0, what="the player who left during the outage completed")
    assert create_game(client)["Status"] == "ACTIVE"


def _answers(client):
    try:
        client.describe_game_sessions(FleetId=FLEET_ID)
        return True
    except Exception:  # noqa: BLE001 - anything but an answer means not yet
        return False


def test_drain_takes_a_host_out_of_placement_first(fleet, line_client):
    a = fleet("host-a")
    b = fleet("host-b")
    through_b = make_client(b)
    # host-a holds a game session with a player, so its drain waits for them.
    held = create_game(through_b)
    holder = a if owner_port(held) == a.ws[1] else b
    assert holder is a, "packing starts on the lowest host id"
    player = through_b.create_player_session(
        GameSessionId=held["GameSessionId"], PlayerId="p1")["PlayerSession"]
    connect_client(line_client, a, player["PlayerSessionId"])
    a.proc.send_signal(signal.SIGTERM)
    # Packing would pick the fuller host-a; once its drain is known, nothing goes there.
    wait_until(lambda: owner_port(create_game(through_b)) == b.ws[1], timeout=5.0,
               what="placement passes the draining host by")
    ports = [owner_port(create_game(through_b)) for _ in range(3)]
    assert set(ports) == {b.ws[1]}, ports
    # The draining host's control API still serves the fleet.
    through_a = make_client(a)
    placed = create_game(through_a)
    assert owner_port(placed) == b.ws[1]
    through_a.create_player_session(GameSessionId=placed["GameSessionId"], PlayerId="p2")
    with expect_error("InvalidFleetStatusException"):
        through_a.create_player_session(GameSessionId=held["GameSessionId"], PlayerId="p3")
    assert a.alive()
    a.stopped = True


def test_aliases_are_the_fleets_whichever_host_is_asked(fleet):
    a = fleet("host-a")
    b = fleet("host-b")
    alias = make_client(a).create_alias(
        Name="live", RoutingStrategy={"Type": "SIMPLE", "FleetId": FLEET_ID})["Alias"]
    through_b = make_client(b)
    assert through_b.resolve_alias(AliasId=alias["AliasId"])["FleetId"] == FLEET_ID
    game = through_b.create_game_session(AliasId=alias["AliasId"], MaximumPlayerSessionCount=2)
    assert game["GameSession"]["Status"] == "ACTIVE"
    through_b.update_alias(AliasId=alias["AliasId"],
                           RoutingStrategy={"Type": "TERMINAL", "Message": "gone fishing"})
    with expect_error("TerminalRoutingStrategyException", "gone fishing"):
        make_client(a).resolve_alias(AliasId=alias["AliasId"])
    assert [x["AliasId"] for x in make_client(a).list_aliases()["Aliases"]] == [alias["AliasId"]]
    through_b.delete_alias(AliasId=alias["AliasId"])
    assert make_client(a).list_aliases()["Aliases"] == []


def script_of(server, game_session_id):
    """The script a game session runs, as Volley reports it beside the GameLift members."""
    response = call(server, {"GameSessionId": game_session_id},
                    target="GameLift.DescribeGameSessions")
    game = response.json()["GameSessions"][0]
    return game.get("ScriptId"), game.get("ScriptRevision")


def test_a_script_uploaded_through_one_host_runs_on_every_host(fleet, server_factory, redis):
    a = fleet("host-a", max_game_sessions=1)
    script = make_client(a).create_script(ZipFile=hello_zip(), Version="v1")["Script"]
    # host-b names the script in its config; only the fleet store has it.
    b = server_factory({
        "fleet": {"store": redis.url, "host_id": "host-b", **HEARTBEAT},
        "scripts": {"script_id": script["ScriptId"]},
        "limits": {"max_game_sessions": 10},
    })
    through_a = make_client(a)
    create_game(through_a)  # Fills host-a, which runs no script.
    first = create_game(through_a)
    assert owner_port(first) == b.ws[1]
    assert script_of(a, first["GameSessionId"]) == (script["ScriptId"], 1)
    # A new revision through host-a: new game sessions on host-b run it, the first keeps its.
    updated = make_client(a).update_script(
        ScriptId=script["ScriptId"], Version="v2",
        ZipFile=make_zip({"index.js": "exports.ssExports = {};\n"}))["Script"]
    assert updated["Version"] == "v2"
    second = create_game(through_a)
    assert script_of(b, second["GameSessionId"]) == (script["ScriptId"], 2)
    assert script_of(b, first["GameSessionId"]) == (script["ScriptId"], 1)
    described = make_client(b).describe_script(ScriptId=script["ScriptId"])["Script"]
    assert described["Version"] == "v2"
    # Another script, deleted through host-b, is gone for host-a too.
    other = make_client(a).create_script(ZipFile=hello_zip())["Script"]
    assert other["ScriptId"] in [s["ScriptId"] for s in make_client(b).list_scripts()["Scripts"]]
    make_client(b).delete_script(ScriptId=other["ScriptId"])
    with expect_error("NotFoundException"):
        make_client(a).describe_script(ScriptId=other["ScriptId"])


def test_a_password_protected_store_is_used_and_its_password_never_logged(
        server_factory, tmp_path):
    secret = "s3cret-Redis-pw"
    protected = Redis(tmp_path / "protected", extra=["--requirepass", secret])
    try:
        url = f"redis://:{secret}@127.0.0.1:{protected.port}/0"
        host = server_factory({"fleet": {"store": url, "host_id": "host-a", **HEARTBEAT}})
        assert create_game(make_client(host))["Status"] == "ACTIVE"
        assert secret not in host.log()
        wrong = f"redis://:not-{secret}@127.0.0.1:{protected.port}/0"
        _, stderr = failed_start(tmp_path / "wrong", {"fleet": {"store": wrong}})
        assert "fleet store" in stderr, stderr
        assert secret not in stderr, stderr
    finally:
        protected.kill()
