"""The Agones SDK in the host (README "Running on Kubernetes with Agones"), against a stand-in
of the SDK server built from Agones's own protos (agones_sdk.py): a real `volley serve` says
Ready once listening, sends Health, Allocates while it holds game sessions and is Ready again
when empty, keeps the Counters in step, labels its GameServer, advertises the GameServer's
address and ports, and says Shutdown at the end of a drain, in that order. Without Agones
nothing is attempted and nothing is logged; with an SDK server that never answers, the host
serves all the same."""

import signal
import socket
import tomllib

import pytest

from conftest import (
    REPO,
    connect_client,
    create_game,
    make_client,
    running_server,
    terminate_game,
    wait_until,
)

grpc = pytest.importorskip("grpc")
pytest.importorskip("grpc_tools")

from agones_sdk import AgonesSdk  # noqa: E402  (needs grpc, checked above)

EXAMPLE = tomllib.loads((REPO / "config" / "volley.toml").read_text())
MAX_GAME_SESSIONS = EXAMPLE["limits"]["max_game_sessions"]
MAX_CONNECTIONS = EXAMPLE["limits"]["max_connections"]
FAST = {"health_interval_secs": 1, "sync_interval_ms": 100}
LIFECYCLE = {"Ready", "Allocate", "Shutdown"}


@pytest.fixture
def sdk():
    stand_in = AgonesSdk()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def no_agones_env(monkeypatch):
    for name in ["AGONES_SDK_GRPC_PORT", "AGONES_SDK_HTTP_PORT", "AGONES_SDK_GRPC_HOST"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def lifecycle(sdk):
    return [name for name in sdk.names() if name in LIFECYCLE]


def test_the_host_reports_its_lifecycle_counters_and_address(sdk, no_agones_env, tmp_path,
                                                             line_client):
    # Auto-detected from the sidecar's environment, as in a GameServer pod.
    no_agones_env.setenv("AGONES_SDK_GRPC_PORT", str(sdk.port))
    overrides = {"agones": FAST, "server": {"drain_grace_secs": 1}}
    with running_server(tmp_path / "host", overrides) as server:
        client = make_client(server)
        wait_until(lambda: "Ready" in sdk.names(), what="Ready")
        wait_until(lambda: "Health" in sdk.names(), what="Health")
        wait_until(lambda: sdk.counter("game-sessions") == (0, MAX_GAME_SESSIONS),
                   what="game-sessions counter")
        wait_until(lambda: sdk.counter("players") == (0, MAX_CONNECTIONS),
                   what="players counter")
        wait_until(lambda: sdk.labels.get("location") == "local", what="location label")
        assert sdk.labels["version"] == EXAMPLE_VERSION
        assert sdk.annotations["fleet-id"] == "fleet-local"

        # Game sessions advertise what players reach: the GameServer's address and port.
        game = create_game(client)
        assert game["IpAddress"] == "203.0.113.9", game
        assert game["DnsName"] == "203.0.113.9", game
        assert game["Port"] == 7100, game
        wait_until(lambda: lifecycle(sdk) == ["Ready", "Allocate"], what="Allocate")
        wait_until(lambda: sdk.counter("game-sessions")[0] == 1, what="one game session")

        player = client.create_player_session(
            GameSessionId=game["GameSessionId"], PlayerId="p1")["PlayerSession"]
        assert (player["IpAddress"], player["Port"]) == ("203.0.113.9", 7100), player
        peer_client, _ = connect_client(line_client, server, player["PlayerSessionId"])
        wait_until(lambda: sdk.counter("players")[0] == 1, what="one player")
        peer_client.stop()
        wait_until(lambda: sdk.counter("players")[0] == 0, what="no player")

        terminate_game(client, game["GameSessionId"])
        wait_until(lambda: lifecycle(sdk) == ["Ready", "Allocate", "Ready"], what="Ready again")
        wait_until(lambda: sdk.counter("game-sessions")[0] == 0, what="no game session")

        # A drain (SIGTERM, as Kubernetes sends) ends with Shutdown, the host still
        # Allocated while its game session runs.
        create_game(client)
        wait_until(lambda: lifecycle(sdk)[-1] == "Allocate", what="Allocate again")
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=20) == 0, server.log()
        server.stop()
        assert lifecycle(sdk) == ["Ready", "Allocate", "Ready", "Allocate", "Shutdown"]
        names = sdk.names()
        assert names.index("Ready") < names.index("Health"), names
        assert "panicked" not in server.log()
        # The address came from the GameServer's status.
        assert {"GetGameServer"} <= set(names), names


EXAMPLE_VERSION = tomllib.loads((REPO / "Cargo.toml").read_text())["package"]["version"]


def test_without_agones_nothing_is_attempted_or_logged(sdk, no_agones_env, tmp_path):
    with running_server(tmp_path / "auto", {"agones": FAST}) as server:
        game = create_game(make_client(server))
        assert game["IpAddress"] == "127.0.0.1", game
    assert "agones" not in server.log().lower(), server.log()
    # Switched off, the sidecar's environment is ignored.
    no_agones_env.setenv("AGONES_SDK_GRPC_PORT", str(sdk.port))
    with running_server(tmp_path / "off", {"agones": {"enabled": False, **FAST}}) as server:
        create_game(make_client(server))
    assert "agones" not in server.log().lower(), server.log()
    assert sdk.calls == []


def test_an_sdk_server_that_never_answers_is_not_fatal(no_agones_env, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    no_agones_env.setenv("AGONES_SDK_GRPC_PORT", str(closed_port))
    overrides = {"agones": {"enabled": True, "address_timeout_secs": 1, **FAST}}
    with running_server(tmp_path / "host", overrides) as server:
        game = create_game(make_client(server))
        # The [fleet] address, as without Agones.
        assert game["IpAddress"] == "127.0.0.1", game
        wait_until(lambda: "agones sdk call failed" in server.log(), timeout=15,
                   what="a failure logged")
    assert server.log().count("agones sdk call failed") <= 6, server.log()
