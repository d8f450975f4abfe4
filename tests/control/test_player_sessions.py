"""CreatePlayerSession, CreatePlayerSessions and DescribePlayerSessions through boto3
(control-api.md §2.3.3-§2.3.5, §3.4, §5)."""

import re
import uuid

import pytest

from conftest import (
    FLEET_ARN,
    FLEET_ID,
    GAME_SESSION_ARN_PREFIX,
    UUID_RE,
    assert_recent,
    create_game,
    describe_game,
    expect_error,
    make_client,
)

MISSING_GAME = GAME_SESSION_ARN_PREFIX + "gsess-00000000-0000-4000-8000-000000000000"


def unique_player():
    return f"player-{uuid.uuid4().hex}"


def ids(sessions):
    return [p["PlayerSessionId"] for p in sessions]


def by_id(sessions):
    """The sessions sorted by id, for comparisons where the order does not matter."""
    return sorted(sessions, key=lambda p: p["PlayerSessionId"])


# ---- CreatePlayerSession -----------------------------------------------------------------


def test_create_player_session_reserves_a_slot(server, gamelift):
    game = create_game(gamelift, max_players=4)
    player = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="alice", PlayerData='{"deck":"red"}'
    )["PlayerSession"]

    assert re.fullmatch("psess-" + UUID_RE, player["PlayerSessionId"]), player
    assert player["PlayerId"] == "alice"
    assert player["PlayerData"] == '{"deck":"red"}'
    assert player["GameSessionId"] == game["GameSessionId"]
    assert player["FleetId"] == FLEET_ID
    assert player["FleetArn"] == FLEET_ARN
    assert player["Status"] == "RESERVED"
    assert (player["IpAddress"], player["DnsName"], player["Port"]) == (
        server.ws[0], server.ws[0], server.ws[1],
    )
    assert_recent(player["CreationTime"])
    assert player["CreationTime"] >= game["CreationTime"]
    assert "TerminationTime" not in player
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 1


def test_create_player_session_without_player_data_omits_it(gamelift):
    game = create_game(gamelift)
    player = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="bob"
    )["PlayerSession"]
    assert "PlayerData" not in player


def test_the_same_player_id_may_hold_two_slots(gamelift):
    game = create_game(gamelift, max_players=2)
    first = gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId="p")
    second = gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId="p")
    assert first["PlayerSession"]["PlayerSessionId"] != second["PlayerSession"]["PlayerSessionId"]
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 2


def test_a_full_game_session_refuses_another_player(gamelift):
    game = create_game(gamelift, max_players=2)
    for name in ("a", "b"):
        gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId=name)
    with expect_error("GameSessionFullException"):
        gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId="c")
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 2
    listed = gamelift.describe_player_sessions(GameSessionId=game["GameSessionId"])
    assert [p["PlayerId"] for p in listed["PlayerSessions"]] == ["a", "b"]


def test_a_game_session_for_zero_players_is_always_full(gamelift):
    game = create_game(gamelift, max_players=0)
    with expect_error("GameSessionFullException"):
        gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId="a")
    with expect_error("GameSessionFullException"):
        gamelift.create_player_sessions(GameSessionId=game["GameSessionId"], PlayerIds=["a"])


def test_create_player_session_in_an_unknown_game_session_is_not_found(gamelift):
    with expect_error("NotFoundException"):
        gamelift.create_player_session(GameSessionId=MISSING_GAME, PlayerId="a")
    with expect_error("NotFoundException"):
        gamelift.create_player_sessions(GameSessionId=MISSING_GAME, PlayerIds=["a"])


INVALID_SINGLE = {
    "player-id-empty": {"PlayerId": ""},
    "player-id-1025": {"PlayerId": "p" * 1025},
    "player-data-empty": {"PlayerData": ""},
    "player-data-2049": {"PlayerData": "d" * 2049},
    "no-player-id": {"PlayerId": None},
    "no-game-session-id": {"GameSessionId": None},
    "game-session-id-pattern": {"GameSessionId": "not an arn!"},
}


@pytest.mark.parametrize("changes", INVALID_SINGLE.values(), ids=INVALID_SINGLE.keys())
def test_invalid_create_player_session_reserves_nothing(gamelift, gamelift_unvalidated, changes):
    game = create_game(gamelift)
    params = {"GameSessionId": game["GameSessionId"], "PlayerId": "p", **changes}
    with expect_error("InvalidRequestException"):
        gamelift_unvalidated.create_player_session(
            **{k: v for k, v in params.items() if v is not None}
        )
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 0


def test_player_data_of_2048_characters_is_accepted(gamelift):
    game = create_game(gamelift)
    player = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="p" * 1024, PlayerData="d" * 2048
    )["PlayerSession"]
    assert (len(player["PlayerId"]), len(player["PlayerData"])) == (1024, 2048)


# ---- CreatePlayerSessions ----------------------------------------------------------------


def test_create_player_sessions_reserves_in_the_order_given(server, gamelift):
    game = create_game(gamelift, max_players=5)
    players = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"],
        PlayerIds=["carol", "alice", "bob"],
        PlayerDataMap={"alice": "A", "carol": "C", "nobody": "ignored"},
    )["PlayerSessions"]

    assert [p["PlayerId"] for p in players] == ["carol", "alice", "bob"]
    assert [p.get("PlayerData") for p in players] == ["C", "A", None]
    assert len(set(ids(players))) == 3
    for player in players:
        assert re.fullmatch("psess-" + UUID_RE, player["PlayerSessionId"]), player
        assert player["Status"] == "RESERVED"
        assert player["GameSessionId"] == game["GameSessionId"]
        assert (player["FleetId"], player["FleetArn"]) == (FLEET_ID, FLEET_ARN)
        assert (player["IpAddress"], player["Port"]) == server.ws
        assert_recent(player["CreationTime"])
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 3
    listed = gamelift.describe_player_sessions(GameSessionId=game["GameSessionId"])
    assert by_id(listed["PlayerSessions"]) == by_id(players)


def test_create_player_sessions_is_all_or_nothing(gamelift):
    game = create_game(gamelift, max_players=3)
    first = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["a", "b"]
    )["PlayerSessions"]
    with expect_error("GameSessionFullException"):
        gamelift.create_player_sessions(GameSessionId=game["GameSessionId"], PlayerIds=["c", "d"])
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 2
    listed = gamelift.describe_player_sessions(GameSessionId=game["GameSessionId"])
    assert by_id(listed["PlayerSessions"]) == by_id(first)

    last = gamelift.create_player_sessions(GameSessionId=game["GameSessionId"], PlayerIds=["c"])
    assert [p["PlayerId"] for p in last["PlayerSessions"]] == ["c"]
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 3


def test_25_player_ids_are_accepted(gamelift):
    game = create_game(gamelift, max_players=25)
    names = [f"p{i}" for i in range(25)]
    players = gamelift.create_player_sessions(GameSessionId=game["GameSessionId"], PlayerIds=names)
    assert [p["PlayerId"] for p in players["PlayerSessions"]] == names
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 25


INVALID_MANY = {
    "duplicate-ids": {"PlayerIds": ["a", "b", "a"]},
    "26-ids": {"PlayerIds": [f"p{i}" for i in range(26)]},
    "no-ids": {"PlayerIds": []},
    "id-empty": {"PlayerIds": ["a", ""]},
    "id-1025": {"PlayerIds": ["p" * 1025]},
    "data-2049": {"PlayerDataMap": {"a": "d" * 2049}},
    "data-empty": {"PlayerDataMap": {"a": ""}},
    "missing-ids": {"PlayerIds": None},
}


@pytest.mark.parametrize("changes", INVALID_MANY.values(), ids=INVALID_MANY.keys())
def test_invalid_create_player_sessions_reserves_nothing(gamelift, gamelift_unvalidated, changes):
    game = create_game(gamelift, max_players=30)
    params = {"GameSessionId": game["GameSessionId"], "PlayerIds": ["a", "b"], **changes}
    with expect_error("InvalidRequestException", "playerIds|playerDataMap"):
        gamelift_unvalidated.create_player_sessions(
            **{k: v for k, v in params.items() if v is not None}
        )
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 0
    listed = gamelift.describe_player_sessions(GameSessionId=game["GameSessionId"])
    assert listed["PlayerSessions"] == []


def test_duplicate_player_ids_are_not_echoed_in_the_message(gamelift):
    # PlayerIds are sensitive in the model (control-api.md §1.8).
    game = create_game(gamelift)
    secret_name = "player-" + uuid.uuid4().hex
    with expect_error("InvalidRequestException") as error:
        gamelift.create_player_sessions(
            GameSessionId=game["GameSessionId"], PlayerIds=[secret_name, secret_name]
        )
    assert secret_name not in error.value.response["Error"]["Message"]


# ---- DescribePlayerSessions --------------------------------------------------------------


def test_describe_by_player_session_id_returns_the_record(gamelift):
    game = create_game(gamelift)
    player = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="alice", PlayerData="x"
    )["PlayerSession"]
    response = gamelift.describe_player_sessions(PlayerSessionId=player["PlayerSessionId"])
    assert response["PlayerSessions"] == [player]
    assert "NextToken" not in response
    # Limit does not apply to one addressed item.
    limited = gamelift.describe_player_sessions(
        PlayerSessionId=player["PlayerSessionId"], Limit=1
    )
    assert limited["PlayerSessions"] == [player]
    assert "NextToken" not in limited


def test_describe_by_game_session_with_status_filter(gamelift):
    game = create_game(gamelift, max_players=5)
    players = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["a", "b", "c"]
    )["PlayerSessions"]

    def listed(**filters):
        response = gamelift.describe_player_sessions(
            GameSessionId=game["GameSessionId"], **filters
        )
        assert "NextToken" not in response
        return ids(by_id(response["PlayerSessions"]))

    everyone = ids(by_id(players))
    assert listed() == everyone
    assert listed(PlayerSessionStatusFilter="RESERVED") == everyone
    assert listed(PlayerSessionStatusFilter="reserved") == everyone
    for status in ("ACTIVE", "COMPLETED", "TIMEDOUT"):
        assert listed(PlayerSessionStatusFilter=status) == [], status


def test_describe_by_player_id_spans_game_sessions(gamelift):
    player_id = unique_player()
    games = [create_game(gamelift) for _ in range(2)]
    created = [
        gamelift.create_player_session(GameSessionId=g["GameSessionId"], PlayerId=player_id)[
            "PlayerSession"
        ]
        for g in games
    ]
    # Another player in the same game sessions is not listed.
    gamelift.create_player_session(GameSessionId=games[0]["GameSessionId"], PlayerId="other")

    response = gamelift.describe_player_sessions(PlayerId=player_id)
    assert response["PlayerSessions"] == created
    # The status filter has no effect with PlayerId (model).
    filtered = gamelift.describe_player_sessions(
        PlayerId=player_id, PlayerSessionStatusFilter="COMPLETED"
    )
    assert filtered["PlayerSessions"] == created


def test_describe_an_unknown_player_id_is_empty(gamelift):
    response = gamelift.describe_player_sessions(PlayerId=unique_player())
    assert response["PlayerSessions"] == []
    assert "NextToken" not in response


@pytest.mark.parametrize(
    "params, code",
    [
        ({"PlayerSessionId": "psess-00000000-0000-4000-8000-000000000000"}, "NotFoundException"),
        ({"GameSessionId": MISSING_GAME}, "NotFoundException"),
        ({"PlayerSessionId": "session-1"}, "InvalidRequestException"),
        ({"PlayerSessionId": "psess-" + "x" * 123}, "InvalidRequestException"),
        ({"PlayerSessionId": "psess-a b"}, "InvalidRequestException"),
        ({}, "InvalidRequestException"),
        ({"PlayerId": "a", "GameSessionId": MISSING_GAME}, "InvalidRequestException"),
        ({"PlayerId": "a", "PlayerSessionId": "psess-1"}, "InvalidRequestException"),
        ({"GameSessionId": MISSING_GAME, "PlayerSessionId": "psess-1"}, "InvalidRequestException"),
        (
            {"PlayerId": "a", "GameSessionId": MISSING_GAME, "PlayerSessionId": "psess-1"},
            "InvalidRequestException",
        ),
        ({"PlayerId": "a", "PlayerSessionStatusFilter": "GONE"}, "InvalidRequestException"),
    ],
    ids=[
        "unknown-player-session", "unknown-game-session", "player-session-pattern",
        "player-session-129", "player-session-space", "no-selector", "player-and-game",
        "player-and-player-session", "game-and-player-session", "all-three",
        "unknown-status-filter",
    ],
)
def test_describe_player_sessions_errors(gamelift, params, code):
    with expect_error(code):
        gamelift.describe_player_sessions(**params)


def test_paginator_pages_through_a_batch_of_players_in_creation_order(gamelift):
    # One call: every player session has the same creation time, and random ids.
    game = create_game(gamelift, max_players=25)
    created = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=[f"p{i:02d}" for i in range(25)]
    )["PlayerSessions"]
    unpaged = gamelift.describe_player_sessions(GameSessionId=game["GameSessionId"])
    assert unpaged["PlayerSessions"] == created
    pages = list(
        gamelift.get_paginator("describe_player_sessions").paginate(
            GameSessionId=game["GameSessionId"], PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(p["PlayerSessions"]) for p in pages] == [3] * 8 + [1]
    assert ["NextToken" in p for p in pages] == [True] * 8 + [False]
    assert [p for page in pages for p in page["PlayerSessions"]] == created


def test_paginator_pages_through_a_game_sessions_players(gamelift):
    # One player session per call, so each has its own creation time.
    game = create_game(gamelift, max_players=7)
    created = [
        gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId=f"p{i}")[
            "PlayerSession"
        ]
        for i in range(7)
    ]
    pages = list(
        gamelift.get_paginator("describe_player_sessions").paginate(
            GameSessionId=game["GameSessionId"], PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(p["PlayerSessions"]) for p in pages] == [3, 3, 1]
    assert ["NextToken" in p for p in pages] == [True, True, False]
    assert [p for page in pages for p in page["PlayerSessions"]] == created


def test_paginator_pages_through_a_players_sessions(gamelift):
    player_id = unique_player()
    created = []
    for _ in range(5):
        game = create_game(gamelift)
        created.append(
            gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId=player_id)[
                "PlayerSession"
            ]["PlayerSessionId"]
        )
    pages = list(
        gamelift.get_paginator("describe_player_sessions").paginate(
            PlayerId=player_id, PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(p["PlayerSessions"]) for p in pages] == [2, 2, 1]
    assert [i for page in pages for i in ids(page["PlayerSessions"])] == created


def test_a_next_token_is_bound_to_its_game_session(gamelift):
    games = [create_game(gamelift) for _ in range(2)]
    for game in games:
        gamelift.create_player_sessions(GameSessionId=game["GameSessionId"], PlayerIds=["a", "b"])
    first = gamelift.describe_player_sessions(GameSessionId=games[0]["GameSessionId"], Limit=1)
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.describe_player_sessions(
            GameSessionId=games[1]["GameSessionId"], NextToken=first["NextToken"]
        )
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.describe_player_sessions(
            GameSessionId=games[0]["GameSessionId"], NextToken="not-a-token"
        )


def test_sensitive_members_stay_out_of_the_debug_log(server_factory):
    # The model flags GameProperty values, GameSessionData, PlayerId(s) and PlayerData as
    # sensitive (control-api.md §1.8); the debug log must not show them, accepted or refused.
    server = server_factory()
    client = make_client(server)
    unvalidated = make_client(server, parameter_validation=False)
    marks = {name: f"{name}-{uuid.uuid4().hex}" for name in
             ("value", "gamedata", "player1", "data1", "player2", "data2", "player3")}
    game = create_game(
        client,
        GameProperties=[{"Key": "k", "Value": marks["value"]}],
        GameSessionData=marks["gamedata"],
    )
    client.create_player_sessions(
        GameSessionId=game["GameSessionId"],
        PlayerIds=[marks["player1"]],
        PlayerDataMap={marks["player1"]: marks["data1"]},
    )
    client.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId=marks["player2"], PlayerData=marks["data2"]
    )
    client.describe_player_sessions(PlayerId=marks["player1"])
    with expect_error("InvalidRequestException"):
        unvalidated.create_player_session(
            GameSessionId=game["GameSessionId"], PlayerId=marks["player3"], PlayerData=""
        )
    with expect_error("InvalidRequestException"):
        client.create_player_sessions(
            GameSessionId=game["GameSessionId"], PlayerIds=[marks["player3"]] * 2
        )
    log = server.log()
    assert "request served" in log and "request refused" in log, log
    assert [name for name, mark in marks.items() if mark in log] == []
