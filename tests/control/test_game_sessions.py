"""CreateGameSession and DescribeGameSessions through boto3 (control-api.md §2.3.1,
§2.3.2, §3.2, §3.6, §5)."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import (
    FLEET_ARN,
    FLEET_ID,
    GAME_SESSION_ARN_PREFIX,
    UUID_RE,
    assert_error_response,
    assert_recent,
    call,
    create_game,
    describe_game,
    expect_error,
    make_client,
    new_token,
    pipeline,
    sign,
)

GSESS_ARN_RE = re.escape(GAME_SESSION_ARN_PREFIX) + "gsess-" + UUID_RE


# ---- CreateGameSession -------------------------------------------------------------------


def test_create_returns_an_active_session_with_every_field(server, gamelift):
    game = gamelift.create_game_session(
        FleetId=FLEET_ID,
        MaximumPlayerSessionCount=8,
        Name="duel-42",
        GameProperties=[{"Key": "mode", "Value": "duel"}, {"Key": "map", "Value": "dust"}],
        CreatorId="creator-1",
        GameSessionData='{"seed": 7}',
    )["GameSession"]

    assert re.fullmatch(GSESS_ARN_RE, game["GameSessionId"]), game["GameSessionId"]
    assert game["Status"] == "ACTIVE"
    assert game["FleetId"] == FLEET_ID
    assert game["FleetArn"] == FLEET_ARN
    assert game["MaximumPlayerSessionCount"] == 8
    assert game["CurrentPlayerSessionCount"] == 0
    assert game["Name"] == "duel-42"
    assert game["GameProperties"] == [
        {"Key": "mode", "Value": "duel"},
        {"Key": "map", "Value": "dust"},
    ]
    assert game["CreatorId"] == "creator-1"
    assert game["GameSessionData"] == '{"seed": 7}'
    assert game["IpAddress"] == server.ws[0]
    assert game["DnsName"] == server.ws[0]
    assert game["Port"] == server.ws[1]
    assert game["PlayerSessionCreationPolicy"] == "ACCEPT_ALL"
    assert game["Location"] == "local"
    assert_recent(game["CreationTime"])
    for absent in ("TerminationTime", "StatusReason", "MatchmakerData"):
        assert absent not in game, game


def test_create_without_optional_members_omits_them(gamelift):
    game = create_game(gamelift, max_players=2)
    assert game["GameProperties"] == []
    for absent in ("Name", "CreatorId", "GameSessionData", "TerminationTime"):
        assert absent not in game, game


def test_each_create_makes_a_new_session(gamelift):
    first = create_game(gamelift)
    second = create_game(gamelift)
    assert first["GameSessionId"] != second["GameSessionId"]


def test_create_accepts_the_fleet_arn_and_the_fleet_location(gamelift):
    game = gamelift.create_game_session(
        FleetId=FLEET_ARN, MaximumPlayerSessionCount=1, Location="local"
    )["GameSession"]
    assert game["FleetId"] == FLEET_ID
    assert game["Location"] == "local"


def test_create_accepts_the_limits_of_each_member(gamelift):
    properties = [{"Key": f"k{i:02d}".ljust(32, "x"), "Value": "v" * 96} for i in range(15)]
    properties.append({"Key": "", "Value": ""})  # GamePropertyKey/Value have no minimum.
    game = gamelift.create_game_session(
        FleetId=FLEET_ID,
        MaximumPlayerSessionCount=200,
        Name="n" * 1024,
        GameProperties=properties,
        IdempotencyToken="t" * 48,
    )["GameSession"]
    assert game["MaximumPlayerSessionCount"] == 200
    assert game["GameProperties"] == properties
    assert len(game["Name"]) == 1024
    assert game["GameSessionId"] == GAME_SESSION_ARN_PREFIX + "t" * 48

    empty = create_game(gamelift, max_players=0)
    assert empty["MaximumPlayerSessionCount"] == 0


def test_idempotency_token_returns_the_same_session(gamelift):
    token = new_token()
    params = dict(Name="idem", GameProperties=[{"Key": "a", "Value": "b"}], IdempotencyToken=token)
    first = create_game(gamelift, max_players=3, **params)
    assert first["GameSessionId"] == GAME_SESSION_ARN_PREFIX + token

    # A player joins in between: the repeat returns the session as it is now.
    gamelift.create_player_session(GameSessionId=first["GameSessionId"], PlayerId="p1")
    again = create_game(gamelift, max_players=3, **params)
    assert again["GameSessionId"] == first["GameSessionId"]
    assert again["CreationTime"] == first["CreationTime"]
    assert again["CurrentPlayerSessionCount"] == 1

    # The deprecated GameSessionId member is the same token.
    by_old_name = create_game(gamelift, max_players=3, Name="idem",
                              GameProperties=[{"Key": "a", "Value": "b"}], GameSessionId=token)
    assert by_old_name["GameSessionId"] == first["GameSessionId"]


def test_deprecated_game_session_id_is_an_idempotency_token(gamelift):
    token = new_token()
    game = create_game(gamelift, GameSessionId=token)
    assert game["GameSessionId"] == GAME_SESSION_ARN_PREFIX + token
    assert create_game(gamelift, IdempotencyToken=token)["GameSessionId"] == game["GameSessionId"]


@pytest.mark.parametrize(
    "changed",
    [
        {"MaximumPlayerSessionCount": 5},
        {"Name": "other"},
        {"GameProperties": [{"Key": "a", "Value": "c"}]},
    ],
    ids=["max-players", "name", "properties"],
)
def test_idempotency_token_with_other_parameters_is_a_mismatch(gamelift, changed):
    token = new_token()
    params = dict(
        FleetId=FLEET_ID,
        MaximumPlayerSessionCount=4,
        Name="same",
        GameProperties=[{"Key": "a", "Value": "b"}],
        IdempotencyToken=token,
    )
    original = gamelift.create_game_session(**params)["GameSession"]
    with expect_error("IdempotentParameterMismatchException"):
        gamelift.create_game_session(**{**params, **changed})
    # The original is untouched.
    assert describe_game(gamelift, original["GameSessionId"]) == original


def test_missing_maximum_player_session_count_is_invalid(server):
    # botocore refuses to send this, so the request is built and signed by hand.
    response = call(server, {"FleetId": FLEET_ID}, target="GameLift.CreateGameSession")
    body = assert_error_response(response, "InvalidRequestException")
    assert body["message"] == (
        "1 validation error detected: Value null at 'maximumPlayerSessionCount' failed to "
        "satisfy constraint: Member must not be null"
    )


INVALID_CREATES = {
    "players-over-200": ({"MaximumPlayerSessionCount": 201}, "maximumPlayerSessionCount"),
    "players-negative": ({"MaximumPlayerSessionCount": -1}, "maximumPlayerSessionCount"),
    "fleet-and-alias": ({"AliasId": "alias-1"}, None),
    "no-fleet-no-alias": ({"FleetId": None}, None),
    "other-location": ({"Location": "us-west-2"}, None),
    "location-pattern": ({"Location": "bad location!"}, "location"),
    "location-empty": ({"Location": ""}, "location"),
    "17-properties": (
        {"GameProperties": [{"Key": f"k{i}", "Value": "v"} for i in range(17)]},
        "gameProperties",
    ),
    "property-key-33": ({"GameProperties": [{"Key": "k" * 33, "Value": "v"}]}, None),
    "property-value-97": ({"GameProperties": [{"Key": "k", "Value": "v" * 97}]}, None),
    "property-without-value": ({"GameProperties": [{"Key": "k"}]}, None),
    "name-empty": ({"Name": ""}, "name"),
    "name-1025": ({"Name": "n" * 1025}, "name"),
    "creator-1025": ({"CreatorId": "c" * 1025}, "creatorId"),
    "data-empty": ({"GameSessionData": ""}, "gameSessionData"),
    "token-pattern": ({"IdempotencyToken": "bad_token!"}, "idempotencyToken"),
    "token-49": ({"IdempotencyToken": "t" * 49}, "idempotencyToken"),
    "token-differs-from-game-session-id": (
        {"IdempotencyToken": "tok-a", "GameSessionId": "tok-b"},
        None,
    ),
}


@pytest.mark.parametrize("changes, member", INVALID_CREATES.values(), ids=INVALID_CREATES.keys())
def test_invalid_create_is_refused_and_creates_nothing(fresh_server, changes, member):
    client = make_client(fresh_server, parameter_validation=False)
    params = {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": 4, **changes}
    params = {k: v for k, v in params.items() if v is not None}
    with expect_error("InvalidRequestException") as error:
        client.create_game_session(**params)
    if member is not None:
        assert f"'{member}'" in error.value.response["Error"]["Message"], error.value.response
    assert client.describe_game_sessions(FleetId=FLEET_ID)["GameSessions"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"FleetId": "fleet-nope"},
        {"FleetId": "arn:aws:gamelift:local::fleet/fleet-nope"},
        {"AliasId": "alias-123"},
        {"AliasId": "arn:aws:gamelift:local::alias/alias-123"},
    ],
    ids=["fleet-id", "fleet-arn", "alias-id", "alias-arn"],
)
def test_unknown_fleet_or_alias_is_not_found(fresh_server, params):
    client = make_client(fresh_server)
    with expect_error("NotFoundException"):
        client.create_game_session(MaximumPlayerSessionCount=4, **params)
    assert client.describe_game_sessions(FleetId=FLEET_ID)["GameSessions"] == []


def test_fleet_id_failing_the_pattern_is_invalid(gamelift):
    # Model: FleetIdOrArn must match ^[a-z]*fleet-[a-zA-Z0-9\-]+$|^arn:.*:[a-z]*fleet\/...;
    # control-api.md §2.2: pattern failures are InvalidRequestException.
    with expect_error("InvalidRequestException"):
        gamelift.create_game_session(FleetId="not a fleet", MaximumPlayerSessionCount=1)


def test_fleet_settings_shape_the_records(server_factory):
    server = server_factory({
        "fleet": {
            "id": "fleet-custom1",
            "region": "eu-test-1",
            "location": "eu-test-1",
            "ip_address": "203.0.113.10",
            "dns_name": "game.example.com",
            "port": 2000,
        }
    })
    client = make_client(server)
    game = client.create_game_session(
        FleetId="fleet-custom1", MaximumPlayerSessionCount=2
    )["GameSession"]
    assert re.fullmatch(
        re.escape("arn:aws:gamelift:eu-test-1::gamesession/fleet-custom1/gsess-") + UUID_RE,
        game["GameSessionId"],
    ), game
    assert game["FleetId"] == "fleet-custom1"
    assert game["FleetArn"] == "arn:aws:gamelift:eu-test-1::fleet/fleet-custom1"
    assert game["Location"] == "eu-test-1"
    assert (game["IpAddress"], game["DnsName"], game["Port"]) == (
        "203.0.113.10", "game.example.com", 2000,
    )
    player = client.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="p"
    )["PlayerSession"]
    assert (player["IpAddress"], player["DnsName"], player["Port"]) == (
        "203.0.113.10", "game.example.com", 2000,
    )
    assert player["FleetArn"] == "arn:aws:gamelift:eu-test-1::fleet/fleet-custom1"
    with expect_error("NotFoundException"):
        client.create_game_session(FleetId=FLEET_ID, MaximumPlayerSessionCount=2)
    with expect_error("InvalidRequestException"):
        client.create_game_session(
            FleetId="fleet-custom1", MaximumPlayerSessionCount=2, Location="local"
        )


# ---- DescribeGameSessions ----------------------------------------------------------------


def test_describe_by_id_returns_the_created_record(gamelift):
    game = create_game(gamelift, Name="by-id", GameProperties=[{"Key": "k", "Value": "v"}])
    response = gamelift.describe_game_sessions(GameSessionId=game["GameSessionId"])
    assert response["GameSessions"] == [game]
    assert "NextToken" not in response


def test_describe_by_fleet_lists_sessions_in_creation_order(fresh_gamelift):
    games = [create_game(fresh_gamelift, Name=f"g{i}") for i in range(3)]
    for fleet in (FLEET_ID, FLEET_ARN):
        response = fresh_gamelift.describe_game_sessions(FleetId=fleet)
        assert response["GameSessions"] == games
        assert "NextToken" not in response


def test_sessions_created_back_to_back_are_listed_in_creation_order(fresh_server):
    # Pipelined on one connection, the creates run back to back, several in one
    # millisecond; their ids sort in the reverse of their creation order, so ordering by
    # creation time and then id would list those of one millisecond backwards.
    tokens = [f"order-{99 - i:02d}" for i in range(40)]
    requests = [
        sign(fresh_server, {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": 1,
                            "IdempotencyToken": token}, target="GameLift.CreateGameSession")
        for token in tokens
    ]
    responses = pipeline(fresh_server, requests)
    assert [r.status for r in responses] == [200] * len(tokens), responses[0].body
    created = [r.json()["GameSession"] for r in responses]
    assert [g["GameSessionId"] for g in created] == [GAME_SESSION_ARN_PREFIX + t for t in tokens]
    times = [g["CreationTime"] for g in created]
    assert len(set(times)) < len(times), "no two creates shared a millisecond"

    client = make_client(fresh_server)
    for page_size in (3, 7, 100):
        paged = [
            g["GameSessionId"]
            for page in client.get_paginator("describe_game_sessions").paginate(
                FleetId=FLEET_ID, PaginationConfig={"PageSize": page_size}
            )
            for g in page["GameSessions"]
        ]
        assert paged == [g["GameSessionId"] for g in created], page_size


def test_describe_by_fleet_with_status_and_location_filters(fresh_gamelift):
    games = [create_game(fresh_gamelift) for _ in range(2)]
    ids = [g["GameSessionId"] for g in games]

    def listed(**filters):
        response = fresh_gamelift.describe_game_sessions(FleetId=FLEET_ID, **filters)
        return [g["GameSessionId"] for g in response["GameSessions"]]

    assert listed(StatusFilter="ACTIVE") == ids
    # Matched case-insensitively (control-api.md §2.3.2).
    assert listed(StatusFilter="active") == ids
    for status in ("ACTIVATING", "TERMINATING", "TERMINATED", "ERROR"):
        assert listed(StatusFilter=status) == [], status
    assert listed(Location="local") == ids
    assert listed(Location="local", StatusFilter="ACTIVE") == ids


def test_describe_with_an_unknown_status_filter_is_invalid(gamelift):
    with expect_error("InvalidRequestException", "statusFilter"):
        gamelift.describe_game_sessions(FleetId=FLEET_ID, StatusFilter="RUNNING")


def test_describe_with_another_location_is_invalid(gamelift):
    with expect_error("InvalidRequestException"):
        gamelift.describe_game_sessions(FleetId=FLEET_ID, Location="us-west-2")


def test_describe_an_unknown_id_is_not_found(gamelift):
    missing = GAME_SESSION_ARN_PREFIX + "gsess-00000000-0000-4000-8000-000000000000"
    with expect_error("NotFoundException", re.escape(missing)):
        gamelift.describe_game_sessions(GameSessionId=missing)


def test_describe_an_id_failing_the_pattern_is_invalid(gamelift):
    with expect_error("InvalidRequestException", "gameSessionId"):
        gamelift.describe_game_sessions(GameSessionId="not an arn!")


@pytest.mark.parametrize(
    "params, code",
    [
        ({}, "InvalidRequestException"),
        ({"FleetId": FLEET_ID, "AliasId": "alias-1"}, "InvalidRequestException"),
        ({"FleetId": "fleet-nope"}, "NotFoundException"),
        ({"AliasId": "alias-1"}, "NotFoundException"),
    ],
    ids=["neither", "fleet-and-alias", "unknown-fleet", "alias"],
)
def test_describe_needs_one_known_fleet(gamelift, params, code):
    with expect_error(code):
        gamelift.describe_game_sessions(**params)


def test_paginator_pages_through_seven_sessions_without_gaps(fresh_gamelift):
    created = [create_game(fresh_gamelift)["GameSessionId"] for _ in range(7)]
    pages = list(
        fresh_gamelift.get_paginator("describe_game_sessions").paginate(
            FleetId=FLEET_ID, PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(p["GameSessions"]) for p in pages] == [3, 3, 1]
    assert ["NextToken" in p for p in pages] == [True, True, False]
    listed = [g["GameSessionId"] for p in pages for g in p["GameSessions"]]
    assert listed == created


def test_paging_is_stable_while_sessions_are_created(fresh_gamelift):
    before = [create_game(fresh_gamelift)["GameSessionId"] for _ in range(4)]
    first = fresh_gamelift.describe_game_sessions(FleetId=FLEET_ID, Limit=2)
    after = [create_game(fresh_gamelift)["GameSessionId"] for _ in range(2)]
    rest = fresh_gamelift.describe_game_sessions(
        FleetId=FLEET_ID, Limit=10, NextToken=first["NextToken"]
    )
    assert [g["GameSessionId"] for g in first["GameSessions"]] == before[:2]
    assert [g["GameSessionId"] for g in rest["GameSessions"]] == before[2:] + after
    assert "NextToken" not in rest


def test_limit_defaults_to_50_and_is_capped_at_100(fresh_gamelift):
    created = [create_game(fresh_gamelift)["GameSessionId"] for _ in range(101)]
    default = fresh_gamelift.describe_game_sessions(FleetId=FLEET_ID)
    assert [g["GameSessionId"] for g in default["GameSessions"]] == created[:50]
    capped = fresh_gamelift.describe_game_sessions(FleetId=FLEET_ID, Limit=1000)
    assert [g["GameSessionId"] for g in capped["GameSessions"]] == created[:100]
    last = fresh_gamelift.describe_game_sessions(
        FleetId=FLEET_ID, Limit=1000, NextToken=capped["NextToken"]
    )
    assert [g["GameSessionId"] for g in last["GameSessions"]] == created[100:]
    assert "NextToken" not in last


def test_a_bad_next_token_is_invalid(gamelift, gamelift_unvalidated):
    for _ in range(2):
        create_game(gamelift)
    filtered = gamelift.describe_game_sessions(FleetId=FLEET_ID, StatusFilter="ACTIVE", Limit=1)
    game = create_game(gamelift)
    players = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["a", "b"]
    )
    other_op = gamelift.describe_player_sessions(GameSessionId=game["GameSessionId"], Limit=1)
    assert players and "NextToken" in filtered and "NextToken" in other_op

    for token in ("garbage", "eyJvcCI6IkRlc2NyaWJlR2FtZVNlc3Npb25zIn0", other_op["NextToken"]):
        with expect_error("InvalidRequestException", "nextToken"):
            gamelift.describe_game_sessions(FleetId=FLEET_ID, NextToken=token)
    # A token is bound to the query that made it: here, the status filter.
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.describe_game_sessions(FleetId=FLEET_ID, NextToken=filtered["NextToken"])
    # Limit is a PositiveInteger; botocore checks the minimum, the server too.
    with expect_error("InvalidRequestException", "limit"):
        gamelift_unvalidated.describe_game_sessions(FleetId=FLEET_ID, Limit=0)


def test_paging_covers_sessions_created_concurrently(fresh_server):
    clients = [make_client(fresh_server) for _ in range(4)]
    with ThreadPoolExecutor(len(clients)) as pool:
        created = list(pool.map(lambda i: create_game(clients[i % 4])["GameSessionId"],
                                range(120)))
    paged = [
        g["GameSessionId"]
        for page in clients[0].get_paginator("describe_game_sessions").paginate(
            FleetId=FLEET_ID, PaginationConfig={"PageSize": 2}
        )
        for g in page["GameSessions"]
    ]
    unpaged = clients[0].describe_game_sessions(FleetId=FLEET_ID, Limit=100)["GameSessions"]
    assert paged[:100] == [g["GameSessionId"] for g in unpaged]
    assert sorted(paged) == sorted(created)
