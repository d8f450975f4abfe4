"""DescribeFleetAttributes, DescribeFleetCapacity, DescribeFleetUtilization and ListFleets
through boto3: the one fleet a server presents, from its `[fleet]` config
(control-api.md §2.6, §5)."""

import datetime

import pytest

from conftest import (
    FLEET_ARN,
    FLEET_ID,
    call,
    connect_client,
    create_game,
    describe_game,
    expect_error,
    make_client,
    search_ids,
    terminate_game,
    wait_until,
)

VOLLEY_CONFIG = {"sessions": {"reservation_timeout_secs": 3600}}

# operation -> (boto3 method, result key)
DESCRIBE = {
    "attributes": ("describe_fleet_attributes", "FleetAttributes"),
    "capacity": ("describe_fleet_capacity", "FleetCapacity"),
    "utilization": ("describe_fleet_utilization", "FleetUtilization"),
}

ATTRIBUTES = {
    "FleetId": FLEET_ID,
    "FleetArn": FLEET_ARN,
    "FleetType": "ON_DEMAND",
    "InstanceType": "c5.large",
    "Name": "volley",
    "Status": "ACTIVE",
    "OperatingSystem": "AMAZON_LINUX_2023",
    "ComputeType": "EC2",
    "NewGameSessionProtectionPolicy": "NoProtection",
    "MetricGroups": ["default"],
    "CertificateConfiguration": {"CertificateType": "DISABLED"},
}
# Members a fleet may report besides those above (control-api.md §2.6.1).
OPTIONAL_ATTRIBUTES = {"CreationTime", "Description", "ScriptId", "ScriptArn",
                       "ServerLaunchPath", "ResourceCreationLimitPolicy"}


def capacity(idle, fleet_id=FLEET_ID, fleet_arn=FLEET_ARN, location="local"):
    return {
        "FleetId": fleet_id,
        "FleetArn": fleet_arn,
        "InstanceType": "c5.large",
        "Location": location,
        "InstanceCounts": {"DESIRED": 1, "MINIMUM": 1, "MAXIMUM": 1, "PENDING": 0,
                           "ACTIVE": 1, "IDLE": idle, "TERMINATING": 0},
    }


def only(client, operation, **params):
    method, key = DESCRIBE[operation]
    response = getattr(client, method)(**params)
    assert "NextToken" not in response, response
    items = response[key]
    assert len(items) == 1, items
    return items[0]


def utilization(client):
    item = only(client, "utilization")
    assert (item["FleetId"], item["FleetArn"], item["Location"]) == (FLEET_ID, FLEET_ARN, "local")
    assert isinstance(item["ActiveServerProcessCount"], int)
    assert item["ActiveServerProcessCount"] >= 1
    return (item["ActiveGameSessionCount"], item["CurrentPlayerSessionCount"],
            item["MaximumPlayerSessionCount"])


# ---- DescribeFleetAttributes -------------------------------------------------------------


def test_attributes_describe_this_fleet(server_factory):
    before = datetime.datetime.now(datetime.timezone.utc)
    client = make_client(server_factory(VOLLEY_CONFIG))
    attributes = only(client, "attributes")
    after = datetime.datetime.now(datetime.timezone.utc)
    assert {k: attributes.get(k) for k in ATTRIBUTES} == ATTRIBUTES
    assert set(attributes) <= set(ATTRIBUTES) | OPTIONAL_ATTRIBUTES, attributes
    # Created while the server started (to the millisecond), and stable.
    created = attributes["CreationTime"]
    assert created.tzinfo is not None
    assert before - datetime.timedelta(milliseconds=1) <= created <= after
    create_game(client)
    assert only(client, "attributes") == attributes


# ---- FleetIds ----------------------------------------------------------------------------

UNKNOWN_FLEETS = ["fleet-nope", "arn:aws:gamelift:local::fleet/fleet-nope"]


@pytest.mark.parametrize("operation", DESCRIBE)
def test_fleet_ids_select_by_id_or_arn_and_unknown_ids_are_left_out(gamelift, operation):
    method, key = DESCRIBE[operation]
    describe = getattr(gamelift, method)
    everything = describe()
    assert [i["FleetId"] for i in everything[key]] == [FLEET_ID]
    assert "NextToken" not in everything
    for fleet_ids in ([FLEET_ID], [FLEET_ARN], ["fleet-nope", FLEET_ID],
                      [FLEET_ARN, "arn:aws:gamelift:local::fleet/fleet-nope"]):
        response = describe(FleetIds=fleet_ids)
        assert response[key] == everything[key], fleet_ids
        assert "NextToken" not in response
    for fleet_ids in ([UNKNOWN_FLEETS[0]], [UNKNOWN_FLEETS[1]], UNKNOWN_FLEETS):
        response = describe(FleetIds=fleet_ids)
        assert response[key] == [], fleet_ids
        assert "NextToken" not in response
    # Paging members are ignored when FleetIds is given.
    assert describe(FleetIds=[FLEET_ID], Limit=1)[key] == everything[key]


@pytest.mark.parametrize("operation", DESCRIBE)
def test_invalid_paging_members_are_refused(gamelift_unvalidated, operation):
    describe = getattr(gamelift_unvalidated, DESCRIBE[operation][0])
    with expect_error("InvalidRequestException", "fleetIds"):
        describe(FleetIds=[])
    with expect_error("InvalidRequestException", "limit"):
        describe(Limit=0)
    with expect_error("InvalidRequestException", "nextToken"):
        describe(NextToken="garbage")


@pytest.mark.parametrize("operation", DESCRIBE)
def test_fleet_ids_failing_the_pattern_are_invalid(gamelift, operation):
    # Model: FleetIdOrArnList of FleetIdOrArn, pattern ^[a-z]*fleet-[a-zA-Z0-9\-]+$|^arn:...;
    # control-api.md §2.2: pattern failures are InvalidRequestException.
    with expect_error("InvalidRequestException", "fleetIds"):
        getattr(gamelift, DESCRIBE[operation][0])(FleetIds=["not a fleet!"])


def test_fleet_ids_have_no_maximum_count(gamelift):
    fleet_ids = [FLEET_ID] + [f"fleet-other{i}" for i in range(100)]
    response = gamelift.describe_fleet_attributes(FleetIds=fleet_ids)
    assert [a["FleetId"] for a in response["FleetAttributes"]] == [FLEET_ID]


# ---- DescribeFleetCapacity ---------------------------------------------------------------


def test_capacity_is_idle_only_without_running_game_sessions(fresh_gamelift):
    client = fresh_gamelift
    assert only(client, "capacity") == capacity(idle=1)
    first = create_game(client)["GameSessionId"]
    assert only(client, "capacity") == capacity(idle=0)
    second = create_game(client, max_players=0)["GameSessionId"]
    terminate_game(client, first)
    assert only(client, "capacity") == capacity(idle=0)
    terminate_game(client, second, "TRIGGER_ON_PROCESS_TERMINATE")
    assert only(client, "capacity") == capacity(idle=1)
    assert only(client, "capacity", FleetIds=[FLEET_ARN]) == capacity(idle=1)


# ---- DescribeFleetUtilization ------------------------------------------------------------


def test_utilization_counts_active_sessions_players_and_maxima(fresh_server, line_client):
    client = make_client(fresh_server)
    assert utilization(client) == (0, 0, 0)
    processes = only(client, "utilization")["ActiveServerProcessCount"]

    g1 = create_game(client, max_players=4)["GameSessionId"]
    g2 = create_game(client, max_players=6)["GameSessionId"]
    players = client.create_player_sessions(
        GameSessionId=g1, PlayerIds=["a", "b", "c"]
    )["PlayerSessions"]
    client.create_player_session(GameSessionId=g2, PlayerId="d")
    assert utilization(client) == (2, 4, 10)

    # A terminated session counts for nothing, not even while it had players.
    g3 = create_game(client, max_players=10)["GameSessionId"]
    client.create_player_session(GameSessionId=g3, PlayerId="e")
    assert utilization(client) == (3, 5, 20)
    terminate_game(client, g3)
    assert utilization(client) == (2, 4, 10)

    # A player who logs in still counts; one who leaves does not.
    player, _ = connect_client(line_client, fresh_server, players[0]["PlayerSessionId"])
    assert utilization(client) == (2, 4, 10)
    player.send_line("/quit")
    assert player.wait() == 0
    wait_until(lambda: describe_game(client, g1)["CurrentPlayerSessionCount"] == 2,
               what="the player's slot freed")
    assert utilization(client) == (2, 3, 10)

    # Maxima follow updates; the creation policy does not matter.
    client.update_game_session(GameSessionId=g2, MaximumPlayerSessionCount=2,
                               PlayerSessionCreationPolicy="DENY_ALL")
    assert utilization(client) == (2, 3, 6)
    terminate_game(client, g1, "TRIGGER_ON_PROCESS_TERMINATE")
    assert utilization(client) == (1, 1, 2)
    assert only(client, "utilization")["ActiveServerProcessCount"] == processes


def free_processes(client):
    item = only(client, "utilization")
    return item["ActiveServerProcessCount"] - item["ActiveGameSessionCount"]


def test_capacity_figures_match_what_create_game_session_accepts(server_factory, line_client):
    # Few game sessions allowed, and many connections: the figures follow the former.
    server = server_factory({
        "limits": {"max_game_sessions": 2, "max_connections": 10000},
        "server": {"drain_grace_secs": 60},
    })
    client = make_client(server)
    item = only(client, "utilization")
    assert (item["ActiveServerProcessCount"], item["ActiveGameSessionCount"]) == (2, 0)
    games = [create_game(client)["GameSessionId"] for _ in range(2)]
    assert free_processes(client) == 0
    with expect_error("FleetCapacityExceededException"):
        create_game(client)

    # A game session counts until it has ended, and its process is free again after.
    terminate_game(client, games.pop())
    assert free_processes(client) == 1
    games.append(create_game(client)["GameSessionId"])
    assert free_processes(client) == 0

    # A reload changes the limit; the figures follow it both ways.
    server.reload({"limits": {"max_game_sessions": 1}})
    item = only(client, "utilization")
    assert (item["ActiveServerProcessCount"], item["ActiveGameSessionCount"]) == (2, 2)
    with expect_error("FleetCapacityExceededException"):
        create_game(client)
    server.reload({"limits": {"max_game_sessions": 4}})
    assert free_processes(client) == 2
    games += [create_game(client)["GameSessionId"] for _ in range(2)]
    assert free_processes(client) == 0
    with expect_error("FleetCapacityExceededException"):
        create_game(client)
    assert only(client, "attributes")["Status"] == "ACTIVE"
    assert only(client, "capacity")["InstanceCounts"]["ACTIVE"] == 1

    # A draining server places nothing: no free process, its instance terminating, the fleet
    # no longer ACTIVE. A logged-in player keeps the server up for the drain grace.
    server.reload({"limits": {"max_game_sessions": 10}})
    assert free_processes(client) == 6
    seat = client.create_player_session(GameSessionId=games[0], PlayerId="p")["PlayerSession"]
    connect_client(line_client, server, seat["PlayerSessionId"])
    response = call(server, {}, target="Volley.StartDrain")
    assert response.status == 200, response.body
    assert free_processes(client) == 0
    counts = only(client, "capacity")["InstanceCounts"]
    assert (counts["ACTIVE"], counts["IDLE"], counts["TERMINATING"]) == (0, 0, 1)
    assert only(client, "attributes")["Status"] == "DELETING"
    with expect_error("InvalidFleetStatusException"):
        create_game(client)
    server.stop()  # Before the player leaves, which would end the drain and the server.


# ---- ListFleets --------------------------------------------------------------------------


def test_list_fleets_lists_this_fleet(gamelift):
    response = gamelift.list_fleets()
    assert response["FleetIds"] == [FLEET_ID]
    assert "NextToken" not in response
    assert gamelift.list_fleets(Limit=1)["FleetIds"] == [FLEET_ID]


@pytest.mark.parametrize(
    "params",
    [
        {"BuildId": "build-1111aaaa-22bb-33cc-44dd-5555eeee66ff"},
        {"BuildId": "arn:aws:gamelift:local::build/build-1"},
        {"ScriptId": "script-1111aaaa-22bb-33cc-44dd-5555eeee66ff"},
        {"ScriptId": "arn:aws:gamelift:local::script/script-1"},
    ],
    ids=["build-id", "build-arn", "script-id", "script-arn"],
)
def test_list_fleets_by_build_or_script_is_empty(gamelift, params):
    response = gamelift.list_fleets(**params)
    assert response["FleetIds"] == []
    assert "NextToken" not in response


@pytest.mark.parametrize(
    "params, member",
    [({"BuildId": "not a build"}, "buildId"), ({"ScriptId": "not a script"}, "scriptId")],
    ids=["build", "script"],
)
def test_list_fleets_with_an_id_failing_the_pattern_is_invalid(gamelift, params, member):
    with expect_error("InvalidRequestException", member):
        gamelift.list_fleets(**params)


# ---- Paginators --------------------------------------------------------------------------

PAGINATED = {
    "describe_fleet_attributes": "FleetAttributes",
    "describe_fleet_capacity": "FleetCapacity",
    "describe_fleet_utilization": "FleetUtilization",
    "list_fleets": "FleetIds",
}


@pytest.mark.parametrize("operation", PAGINATED)
@pytest.mark.parametrize("page_size", [None, 1])
def test_paginators_end_after_the_one_fleet(gamelift, operation, page_size):
    key = PAGINATED[operation]
    config = {} if page_size is None else {"PageSize": page_size}
    pages = list(gamelift.get_paginator(operation).paginate(PaginationConfig=config))
    assert len(pages) == 1, pages
    assert "NextToken" not in pages[0]
    items = pages[0][key]
    assert len(items) == 1
    assert (items[0] if operation == "list_fleets" else items[0]["FleetId"]) == FLEET_ID
    if operation != "list_fleets":
        pages = list(gamelift.get_paginator(operation).paginate(
            FleetIds=[FLEET_ID], PaginationConfig=config))
        assert [len(p[key]) for p in pages] == [1]


# ---- A configured fleet ------------------------------------------------------------------


def test_a_configured_fleet_is_reflected_everywhere(server_factory):
    fleet_id, region = "fleet-custom1", "eu-test-1"
    arn = f"arn:aws:gamelift:{region}::fleet/{fleet_id}"
    server = server_factory({
        "fleet": {"id": fleet_id, "region": region, "location": "eu-test-9",
                  "name": "custom fleet"},
    })
    client = make_client(server)

    attributes = only(client, "attributes")
    assert (attributes["FleetId"], attributes["FleetArn"], attributes["Name"]) == (
        fleet_id, arn, "custom fleet",
    )
    assert only(client, "capacity") == capacity(1, fleet_id, arn, "eu-test-9")
    for operation in DESCRIBE:
        assert only(client, operation, FleetIds=[fleet_id]) == only(client, operation)
        assert only(client, operation, FleetIds=[arn]) == only(client, operation)
        method, key = DESCRIBE[operation]
        assert getattr(client, method)(FleetIds=[FLEET_ID])[key] == []
    assert client.list_fleets()["FleetIds"] == [fleet_id]

    # Game sessions live in the configured location and are found there.
    game = client.create_game_session(
        FleetId=arn, MaximumPlayerSessionCount=3, Location="eu-test-9"
    )["GameSession"]
    assert (game["FleetId"], game["FleetArn"], game["Location"]) == (fleet_id, arn, "eu-test-9")
    assert game["GameSessionId"].startswith(f"arn:aws:gamelift:{region}::gamesession/{fleet_id}/")
    client.create_player_session(GameSessionId=game["GameSessionId"], PlayerId="p")
    utilization_item = only(client, "utilization")
    assert (utilization_item["FleetId"], utilization_item["FleetArn"],
            utilization_item["Location"]) == (fleet_id, arn, "eu-test-9")
    assert (utilization_item["ActiveGameSessionCount"],
            utilization_item["CurrentPlayerSessionCount"],
            utilization_item["MaximumPlayerSessionCount"]) == (1, 1, 3)
    assert only(client, "capacity")["InstanceCounts"]["IDLE"] == 0

    assert search_ids(client, fleet_id=fleet_id, Location="eu-test-9") == [game["GameSessionId"]]
    assert search_ids(client, fleet_id=arn) == [game["GameSessionId"]]
    details = client.describe_game_session_details(FleetId=fleet_id, Location="eu-test-9")
    assert [d["GameSession"]["GameSessionId"] for d in details["GameSessionDetails"]] == [
        game["GameSessionId"],
    ]
    for call in (client.search_game_sessions, client.describe_game_session_details):
        with expect_error("InvalidRequestException"):
            call(FleetId=fleet_id, Location="local")
        with expect_error("NotFoundException"):
            call(FleetId=FLEET_ID)
