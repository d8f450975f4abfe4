"""The AWS SDK for JavaScript v3 (`@aws-sdk/client-gamelift`, pinned in tests/js) as a game
backend: `tests/js/placement_backend.mjs` creates a queue to the fleet, places a game session
for two players and stops a second placement against a signed server, and
`tests/js/matchmaking_backend.mjs` matches two players with FlexMatch (with acceptance); the
players connect with the player sessions they got and play (control-api.md §1.7, §2.8-§2.12).

Needs Node and the package's modules (`npm ci --prefix tests/js`, which `.ci/test` runs)."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import (
    ACCESS_KEY,
    FLEET_ARN,
    GAME_SESSION_ARN_PREFIX,
    REGION,
    REPO,
    SECRET,
    connect_client,
    describe_game,
    describe_player,
    make_client,
)
from test_fleet import fleet, redis  # noqa: F401 (fixtures)

JS_DIR = REPO / "tests" / "js"
BACKEND = JS_DIR / "placement_backend.mjs"
MATCHMAKING_BACKEND = JS_DIR / "matchmaking_backend.mjs"
NODE = shutil.which("node")
NODE_TIMEOUT = 90.0

pytestmark = pytest.mark.skipif(
    NODE is None,
    reason="node is not installed: the JavaScript SDK test needs Node and npm "
           "(.ci/test installs them with apt-get and runs npm ci --prefix tests/js)",
)

# The fleet has room for one game session, so the second placement is still waiting when it
# is stopped.
VOLLEY_CONFIG = {"limits": {"max_game_sessions": 1}}


def run_backend(server, secret=SECRET, script=BACKEND):
    """`node placement_backend.mjs` against `server`, with the environment a GameLift backend
    is given (nothing of the developer's AWS set-up)."""
    assert (JS_DIR / "node_modules" / "@aws-sdk" / "client-gamelift").is_dir(), (
        "the JavaScript SDK is not installed: run npm ci --prefix tests/js")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "VOLLEY_ENDPOINT": server.control_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run(
        [NODE, str(script)], cwd=JS_DIR, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=NODE_TIMEOUT,
    )


def test_a_javascript_backend_places_a_game_session_and_its_players_play(
        server, gamelift, line_client):
    done = run_backend(server)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    seen = json.loads(lines[0])

    assert seen["fleetArn"] == FLEET_ARN
    assert seen["queue"]["timeoutInSeconds"] == 120 and seen["queue"]["listed"] >= 1
    queue = seen["queue"]
    assert queue["arn"] == f"arn:aws:gamelift:local::gamesessionqueue/{queue['name']}"
    placement = seen["placement"]
    assert placement["status"] == "FULFILLED", seen
    assert placement["gameSessionId"] == GAME_SESSION_ARN_PREFIX + placement["placementId"]
    assert placement["region"] == "local"
    assert (placement["ipAddress"], placement["port"]) == server.ws
    assert placement["playerLatencies"] == [20, 35]
    players = placement["playerSessions"]
    assert list(players) == ["alice", "bob"], seen
    assert seen["stopped"]["status"] == "CANCELLED", seen
    assert seen["errors"] == {
        "unknownPlacement": {"name": "NotFoundException", "status": 400},
        "unknownQueue": {"name": "NotFoundException", "status": 400},
    }

    # boto3 sees what the JavaScript backend made.
    game = describe_game(gamelift, placement["gameSessionId"])
    assert (game["Name"], game["Status"], game["MaximumPlayerSessionCount"]) == (
        "js-arena", "ACTIVE", 4)
    assert game["GameProperties"] == [{"Key": "mode", "Value": "duel"}]
    for player, player_session_id in players.items():
        session = describe_player(gamelift, player_session_id)
        assert (session["PlayerId"], session["Status"]) == (player, "RESERVED")
        assert session["PlayerData"] == f"data of {player}"
    stopped = gamelift.describe_game_session_placement(
        PlacementId=seen["stopped"]["placementId"])["GameSessionPlacement"]
    assert stopped["Status"] == "CANCELLED" and "GameSessionId" not in stopped

    # The players log in with the player sessions the placement returned, and play.
    alice, _ = connect_client(line_client, server, players["alice"])
    bob, bob_peer = connect_client(line_client, server, players["bob"])
    alice.send_line(f"send {bob_peer} 1 hello from a javascript backend")
    bob.expect(r"hello from a javascript backend")
    assert describe_player(gamelift, players["alice"])["Status"] == "ACTIVE"


def test_a_javascript_backend_with_a_wrong_secret_fails_clearly(server):
    done = run_backend(server, secret=SECRET + "x")
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    assert "placement_backend failed: InvalidSignatureException" in done.stderr, (
        done.stderr)


def test_a_javascript_backend_places_through_any_host_of_a_fleet(fleet, line_client):
    """The same backend against a Redis fleet: it calls host-b, which has no room of its own,
    and the game session is placed on host-a, where the players connect."""
    host_a = fleet("host-a", max_game_sessions=1)
    host_b = fleet("host-b", max_game_sessions=0)
    done = run_backend(host_b)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    seen = json.loads(done.stdout.splitlines()[0])
    placement = seen["placement"]
    assert placement["status"] == "FULFILLED", seen
    assert (placement["ipAddress"], placement["port"]) == host_a.ws
    assert seen["stopped"]["status"] == "CANCELLED", seen
    players = placement["playerSessions"]
    alice, _ = connect_client(line_client, host_a, players["alice"])
    bob, bob_peer = connect_client(line_client, host_a, players["bob"])
    alice.send_line(f"send {bob_peer} 1 hello across the fleet")
    bob.expect(r"hello across the fleet")


def test_a_javascript_backend_matches_players_who_then_play(server_factory, line_client):
    # A server of its own: the module's has room for one game session, which is taken.
    server = server_factory()
    gamelift = make_client(server)
    done = run_backend(server, script=MATCHMAKING_BACKEND)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    seen = json.loads(done.stdout.splitlines()[0])
    tickets = seen["tickets"]
    assert len(tickets) == 2, seen
    teams = sorted(p["team"] for t in tickets for p in t["players"])
    assert teams == ["blue", "red"], seen
    assert len({t["gameSessionArn"] for t in tickets}) == 1, seen
    assert all((t["ipAddress"], t["port"]) == server.ws for t in tickets), seen
    assert seen["stopped"]["status"] == "CANCELLED", seen
    assert seen["errors"] == {
        "broken": {"name": "InvalidRequestException", "status": 400},
        "unknownConfiguration": {"name": "NotFoundException", "status": 400},
    }

    game = describe_game(gamelift, tickets[0]["gameSessionArn"])
    assert game["GameProperties"] == [{"Key": "mode", "Value": "duel"}]
    assert json.loads(game["MatchmakerData"])["matchmakingConfigurationArn"] == \
        seen["configurationArn"]
    sessions = {player: session for t in tickets for player, session in t["playerSessions"].items()}
    alice, _ = connect_client(line_client, server, sessions["alice"])
    bob, bob_peer = connect_client(line_client, server, sessions["bob"])
    alice.send_line(f"send {bob_peer} 1 matched by a javascript backend")
    bob.expect(r"matched by a javascript backend")
