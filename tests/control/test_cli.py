"""The AWS CLI (awscli 1.46.2) against the control API, endpoint from `--endpoint-url` or
`AWS_ENDPOINT_URL_GAMELIFT` (control-api.md §1.7, §5)."""

import re
import time

from conftest import (
    FLEET_ARN,
    FLEET_ID,
    GAME_SESSION_ARN_PREFIX,
    aws_cli,
    create_game,
    make_client,
    new_token,
)


def test_cli_creates_a_game_session_and_player_sessions(server):
    token = new_token()
    before = time.time()
    game = aws_cli(
        server, "create-game-session",
        "--fleet-id", FLEET_ID,
        "--maximum-player-session-count", "4",
        "--name", "duel-42",
        "--game-properties", "Key=mode,Value=duel",
        "--idempotency-token", token,
    ).json()["GameSession"]
    assert game["GameSessionId"] == GAME_SESSION_ARN_PREFIX + token
    assert game["Status"] == "ACTIVE"
    assert (game["FleetId"], game["FleetArn"]) == (FLEET_ID, FLEET_ARN)
    assert game["Name"] == "duel-42"
    assert game["GameProperties"] == [{"Key": "mode", "Value": "duel"}]
    assert game["MaximumPlayerSessionCount"] == 4
    assert (game["IpAddress"], game["Port"]) == server.ws
    # CLI v1 prints timestamps as the epoch seconds it received.
    assert before - 1 <= game["CreationTime"] <= time.time() + 1

    players = aws_cli(
        server, "create-player-sessions",
        "--game-session-id", game["GameSessionId"],
        "--player-ids", "alice", "bob",
        "--player-data-map", "alice=red",
    ).json()["PlayerSessions"]
    assert [p["PlayerId"] for p in players] == ["alice", "bob"]
    assert [p.get("PlayerData") for p in players] == ["red", None]
    assert {p["Status"] for p in players} == {"RESERVED"}
    assert all(re.fullmatch(r"psess-\S+", p["PlayerSessionId"]) for p in players)

    listed = aws_cli(
        server, "describe-player-sessions",
        "--game-session-id", game["GameSessionId"],
        "--player-session-status-filter", "RESERVED",
        endpoint_from_env=True,
    ).json()
    key = lambda p: p["PlayerSessionId"]  # noqa: E731
    assert sorted(listed["PlayerSessions"], key=key) == sorted(players, key=key)
    assert "NextToken" not in listed


def test_cli_paginates_describe_game_sessions(fresh_server):
    client = make_client(fresh_server)
    created = [create_game(client)["GameSessionId"] for _ in range(5)]

    one_page = aws_cli(
        fresh_server, "describe-game-sessions", "--fleet-id", FLEET_ID,
        "--limit", "2", "--no-paginate",
    ).json()
    assert [g["GameSessionId"] for g in one_page["GameSessions"]] == created[:2]
    assert "NextToken" in one_page

    # Pages hold at most 2 (above), so 5 sessions means the CLI followed NextToken twice.
    everything = aws_cli(
        fresh_server, "describe-game-sessions", "--fleet-id", FLEET_ID, "--page-size", "2",
        endpoint_from_env=True,
    ).json()
    assert [g["GameSessionId"] for g in everything["GameSessions"]] == created
    assert "NextToken" not in everything


def test_cli_reports_a_service_error(server):
    missing = GAME_SESSION_ARN_PREFIX + "gsess-00000000-0000-4000-8000-000000000000"
    result = aws_cli(server, "describe-game-sessions", "--game-session-id", missing)
    assert result.returncode != 0
    assert result.stdout == ""
    assert (
        "An error occurred (NotFoundException) when calling the DescribeGameSessions operation"
        in result.stderr
    ), result.stderr
    assert missing in result.stderr
