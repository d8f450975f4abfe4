"""Aliases through boto3 and the AWS CLI: CreateAlias, DescribeAlias, ListAliases,
UpdateAlias, DeleteAlias and ResolveAlias, SIMPLE and TERMINAL routing, an alias in place of
the fleet in the game session operations, the quota, and storage across restarts
(control-api.md §2.2, §2.7, §3.10, §5)."""

import re
import uuid
from pathlib import Path

import pytest

from conftest import (
    FLEET_ARN,
    FLEET_ID,
    UUID_RE,
    assert_error_response,
    assert_recent,
    aws_cli,
    call,
    expect_error,
    make_client,
)

ALIAS_ARN_PREFIX = "arn:aws:gamelift:local::alias/"
ALIAS_MEMBERS = {"AliasId", "Name", "AliasArn", "Description", "RoutingStrategy",
                 "CreationTime", "LastUpdatedTime"}
SIMPLE = {"Type": "SIMPLE", "FleetId": FLEET_ID}
MAX_ALIASES = 100


def terminal(message):
    return {"Type": "TERMINAL", "Message": message}


def unique(prefix):
    """A name no other test uses, so listings filtered by it are this test's own."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create(client, name=None, routing=None, **params):
    """CreateAlias; the Alias."""
    return client.create_alias(
        Name=name or unique("alias"), RoutingStrategy=routing or SIMPLE, **params
    )["Alias"]


def describe(client, alias_id):
    return client.describe_alias(AliasId=alias_id)["Alias"]


def list_ids(client, page_size=None, **params):
    """Every alias id the boto3 paginator finds, checked for repeats."""
    config = {"PageSize": page_size} if page_size is not None else {}
    pages = client.get_paginator("list_aliases").paginate(PaginationConfig=config, **params)
    found = [a["AliasId"] for page in pages for a in page["Aliases"]]
    assert len(found) == len(set(found)), found
    return found


def assert_alias(alias, **expected):
    """An Alias object (§3.10) with `expected` members."""
    assert set(alias) <= ALIAS_MEMBERS, alias
    assert re.fullmatch("alias-" + UUID_RE, alias["AliasId"]), alias
    assert alias["AliasArn"] == ALIAS_ARN_PREFIX + alias["AliasId"]
    assert alias["CreationTime"] <= alias["LastUpdatedTime"], alias
    for key, value in expected.items():
        assert alias.get(key) == value, (key, alias)


def new_game(client, **where):
    return client.create_game_session(MaximumPlayerSessionCount=2, **where)["GameSession"]


# ---- CRUD --------------------------------------------------------------------------------


def test_an_alias_is_created_described_listed_resolved_and_deleted(gamelift):
    name = unique("live")
    alias = create(gamelift, name, Description="the live fleet")
    assert_alias(alias, Name=name, Description="the live fleet", RoutingStrategy=SIMPLE)
    assert_recent(alias["CreationTime"])
    assert alias["LastUpdatedTime"] == alias["CreationTime"]
    alias_id = alias["AliasId"]
    assert describe(gamelift, alias_id) == alias
    assert describe(gamelift, alias["AliasArn"]) == alias
    assert list_ids(gamelift, Name=name) == [alias_id]

    for given in (alias_id, alias["AliasArn"]):
        resolved = gamelift.resolve_alias(AliasId=given)
        assert resolved["FleetId"] == FLEET_ID
        assert resolved["FleetArn"] == FLEET_ARN

    response = gamelift.delete_alias(AliasId=alias["AliasArn"])
    assert set(response) == {"ResponseMetadata"}
    for operation in (gamelift.describe_alias, gamelift.resolve_alias, gamelift.delete_alias):
        with expect_error("NotFoundException", f"No alias matches {alias_id}"):
            operation(AliasId=alias_id)
    assert list_ids(gamelift, Name=name) == []


def test_a_terminal_alias_resolves_to_its_message(server, gamelift):
    message = "Season 1 is over: update the game from https://example.com/get"
    alias = create(gamelift, routing=terminal(message))
    assert_alias(alias, RoutingStrategy=terminal(message))
    assert "Description" not in alias
    with expect_error("TerminalRoutingStrategyException", f"^{re.escape(message)}$"):
        gamelift.resolve_alias(AliasId=alias["AliasId"])
    raw = call(server, {"AliasId": alias["AliasId"]}, target="GameLift.ResolveAlias")
    body = assert_error_response(raw, "TerminalRoutingStrategyException")
    assert body["message"] == message


def test_an_update_changes_what_it_names_and_keeps_the_rest(gamelift):
    alias = create(gamelift, "before", Description="first")
    closed = gamelift.update_alias(
        AliasId=alias["AliasArn"], Name="after", RoutingStrategy=terminal("closed")
    )["Alias"]
    assert_alias(closed, AliasId=alias["AliasId"], Name="after", Description="first",
                 RoutingStrategy=terminal("closed"), CreationTime=alias["CreationTime"])
    assert closed["LastUpdatedTime"] >= alias["LastUpdatedTime"]
    assert describe(gamelift, alias["AliasId"]) == closed
    with expect_error("TerminalRoutingStrategyException", "closed"):
        gamelift.resolve_alias(AliasId=alias["AliasId"])

    reopened = gamelift.update_alias(AliasId=alias["AliasId"], RoutingStrategy=SIMPLE,
                                     Description="second")["Alias"]
    assert_alias(reopened, Name="after", Description="second", RoutingStrategy=SIMPLE)
    assert gamelift.resolve_alias(AliasId=alias["AliasId"])["FleetId"] == FLEET_ID
    untouched = gamelift.update_alias(AliasId=alias["AliasId"])["Alias"]
    assert {k: v for k, v in untouched.items() if k != "LastUpdatedTime"} == {
        k: v for k, v in reopened.items() if k != "LastUpdatedTime"
    }

    missing = "alias-" + str(uuid.uuid4())
    with expect_error("NotFoundException", f"No alias matches {missing}"):
        gamelift.update_alias(AliasId=missing, Name="x")


# ---- ListAliases -------------------------------------------------------------------------


def test_listing_filters_by_name_and_routing_type(gamelift):
    name = unique("filtered")
    simple = [create(gamelift, name)["AliasId"] for _ in range(2)]
    closed = create(gamelift, name, terminal("closed"))["AliasId"]
    other = create(gamelift, unique("other"))["AliasId"]
    assert list_ids(gamelift, Name=name) == [*simple, closed]
    assert list_ids(gamelift, Name=name, RoutingStrategyType="SIMPLE") == simple
    assert list_ids(gamelift, Name=name, RoutingStrategyType="TERMINAL") == [closed]
    everything = list_ids(gamelift)
    assert {*simple, closed, other} <= set(everything)
    terminals = list_ids(gamelift, RoutingStrategyType="TERMINAL")
    assert closed in terminals and other not in terminals


def test_listing_pages_oldest_first_without_gaps(gamelift):
    name = unique("paged")
    created = [create(gamelift, name)["AliasId"] for _ in range(5)]
    assert list_ids(gamelift, page_size=2, Name=name) == created
    first = gamelift.list_aliases(Name=name, Limit=2)
    assert [a["AliasId"] for a in first["Aliases"]] == created[:2]
    second = gamelift.list_aliases(Name=name, Limit=3, NextToken=first["NextToken"])
    assert [a["AliasId"] for a in second["Aliases"]] == created[2:]
    assert "NextToken" not in second
    # A token belongs to the query it came from.
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.list_aliases(Name=unique("else"), NextToken=first["NextToken"])
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.list_aliases(NextToken="not-a-token")


# ---- Validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, code, message",
    [
        ({"RoutingStrategy": {"Type": "ROUND_ROBIN", "FleetId": FLEET_ID}},
         "InvalidRequestException", "enum value set: \\[SIMPLE, TERMINAL\\]"),
        ({"RoutingStrategy": {"FleetId": FLEET_ID}},
         "InvalidRequestException", "routingStrategy.type"),
        ({"RoutingStrategy": {"Type": "SIMPLE"}},
         "InvalidRequestException", "needs RoutingStrategy.FleetId"),
        ({"RoutingStrategy": {"Type": "SIMPLE", "FleetId": "fleet-elsewhere"}},
         "InvalidRequestException", "fleet fleet-elsewhere does not exist"),
        ({"RoutingStrategy": {"Type": "SIMPLE", "FleetId": FLEET_ARN}},
         "InvalidRequestException", "routingStrategy.fleetId"),
        ({"RoutingStrategy": {"Type": "SIMPLE", "FleetId": FLEET_ID, "Message": "hi"}},
         "InvalidRequestException", "does not apply"),
        ({"RoutingStrategy": {"Type": "TERMINAL"}},
         "InvalidRequestException", "needs RoutingStrategy.Message"),
        ({"RoutingStrategy": {"Type": "TERMINAL", "Message": "x" * 1025}},
         "InvalidRequestException", "routingStrategy.message"),
        ({"RoutingStrategy": {"Type": "TERMINAL", "Message": "x", "FleetId": FLEET_ID}},
         "InvalidRequestException", "does not apply"),
        ({"Name": "   "}, "InvalidRequestException", "'name'"),
        ({"Name": "two\nlines"}, "InvalidRequestException", "'name'"),
        ({"Name": "n" * 1025}, "InvalidRequestException", "'name'"),
        ({"Description": ""}, "InvalidRequestException", "'description'"),
        ({"Tags": [{"Key": "", "Value": "v"}]}, "TaggingFailedException", None),
    ],
    ids=["unknown-type", "no-type", "simple-no-fleet", "simple-other-fleet", "simple-fleet-arn",
         "simple-message", "terminal-no-message", "terminal-long-message",
         "terminal-fleet", "blank-name", "multiline-name", "long-name", "empty-description",
         "bad-tag"],
)
def test_invalid_creations_are_refused_and_store_nothing(fresh_server, params, code, message):
    client = make_client(fresh_server, parameter_validation=False)
    request = {"Name": "refused", "RoutingStrategy": SIMPLE, **params}
    with expect_error(code, message):
        client.create_alias(**request)
    assert client.list_aliases()["Aliases"] == []


def test_updates_are_checked_like_creations(gamelift_unvalidated):
    alias = create(gamelift_unvalidated)
    refusals = [
        ({"RoutingStrategy": {"Type": "SIMPLE", "FleetId": "fleet-elsewhere"}},
         "fleet-elsewhere"),
        ({"RoutingStrategy": {"Type": "TERMINAL"}}, "Message"),
        ({"Name": ""}, "'name'"),
    ]
    for params, message in refusals:
        with expect_error("InvalidRequestException", message):
            gamelift_unvalidated.update_alias(AliasId=alias["AliasId"], **params)
    assert describe(gamelift_unvalidated, alias["AliasId"]) == alias


@pytest.mark.parametrize("alias_id", ["fleet-local", "alias-", "alias- x", "a" * 513,
                                      "arn:aws:gamelift:local::fleet/fleet-local"])
def test_alias_ids_failing_the_pattern_are_invalid(gamelift_unvalidated, alias_id):
    for operation in (gamelift_unvalidated.describe_alias, gamelift_unvalidated.resolve_alias,
                      gamelift_unvalidated.delete_alias):
        with expect_error("InvalidRequestException", "aliasId"):
            operation(AliasId=alias_id)


def test_the_quota_is_a_limit_exceeded_until_one_is_deleted(fresh_gamelift):
    first = create(fresh_gamelift)
    for _ in range(MAX_ALIASES - 1):
        create(fresh_gamelift)
    with expect_error("LimitExceededException", f"{MAX_ALIASES} aliases"):
        create(fresh_gamelift)
    assert len(list_ids(fresh_gamelift)) == MAX_ALIASES
    fresh_gamelift.delete_alias(AliasId=first["AliasId"])
    create(fresh_gamelift)


# ---- An alias in place of the fleet ------------------------------------------------------


def test_a_simple_alias_stands_for_the_fleet(gamelift):
    alias = create(gamelift)
    by_id = new_game(gamelift, AliasId=alias["AliasId"])
    by_arn = new_game(gamelift, AliasId=alias["AliasArn"], Name="through the ARN")
    for game in (by_id, by_arn):
        assert game["FleetId"] == FLEET_ID and game["FleetArn"] == FLEET_ARN
        assert game["Status"] == "ACTIVE"

    listed = gamelift.describe_game_sessions(AliasId=alias["AliasId"], Limit=100)
    ids = [g["GameSessionId"] for g in listed["GameSessions"]]
    assert by_id["GameSessionId"] in ids and by_arn["GameSessionId"] in ids
    fleet_listed = gamelift.describe_game_sessions(FleetId=FLEET_ID, Limit=100)
    assert listed["GameSessions"] == fleet_listed["GameSessions"]

    details = gamelift.describe_game_session_details(AliasId=alias["AliasArn"], Limit=100)
    assert by_arn["GameSessionId"] in [
        d["GameSession"]["GameSessionId"] for d in details["GameSessionDetails"]
    ]

    found = gamelift.search_game_sessions(
        AliasId=alias["AliasId"], FilterExpression="gameSessionName = 'through the ARN'"
    )["GameSessions"]
    assert by_arn["GameSessionId"] in [g["GameSessionId"] for g in found]


def test_a_terminal_alias_refuses_every_use_with_its_message(gamelift):
    message = "Maintenance until 14:00 UTC"
    alias = create(gamelift, routing=terminal(message))
    uses = [
        lambda: new_game(gamelift, AliasId=alias["AliasId"]),
        lambda: gamelift.describe_game_sessions(AliasId=alias["AliasId"]),
        lambda: gamelift.describe_game_session_details(AliasId=alias["AliasArn"]),
        lambda: gamelift.search_game_sessions(AliasId=alias["AliasId"]),
    ]
    for use in uses:
        with expect_error("TerminalRoutingStrategyException", f"^{re.escape(message)}$"):
            use()


def test_an_unknown_or_deleted_alias_is_not_found_everywhere(gamelift):
    alias = create(gamelift)
    gamelift.delete_alias(AliasId=alias["AliasId"])
    missing = "alias-" + str(uuid.uuid4())
    for alias_id in (alias["AliasId"], alias["AliasArn"], missing):
        uses = [
            lambda: new_game(gamelift, AliasId=alias_id),
            lambda: gamelift.describe_game_sessions(AliasId=alias_id),
            lambda: gamelift.describe_game_session_details(AliasId=alias_id),
            lambda: gamelift.search_game_sessions(AliasId=alias_id),
        ]
        for use in uses:
            with expect_error("NotFoundException", f"No alias matches {re.escape(alias_id)}"):
                use()


def test_an_alias_switched_to_terminal_stops_new_game_sessions(gamelift):
    alias = create(gamelift)
    game = new_game(gamelift, AliasId=alias["AliasId"])
    gamelift.update_alias(AliasId=alias["AliasId"], RoutingStrategy=terminal("moved"))
    with expect_error("TerminalRoutingStrategyException", "moved"):
        new_game(gamelift, AliasId=alias["AliasId"])
    # Game sessions created through it go on; the fleet still finds them.
    described = gamelift.describe_game_sessions(GameSessionId=game["GameSessionId"])
    assert described["GameSessions"][0]["Status"] == "ACTIVE"


# ---- Storage -----------------------------------------------------------------------------


def test_aliases_survive_a_restart(server_factory, tmp_path):
    overrides = {"scripts": {"data_dir": str(tmp_path / "shared")}}
    first = server_factory(overrides)
    client = make_client(first)
    live = create(client, "live", Description="the live fleet")
    closed = create(client, "closed", terminal("gone fishing"))
    closed = client.update_alias(AliasId=closed["AliasId"], Name="still closed")["Alias"]
    gone = create(client, "gone")
    client.delete_alias(AliasId=gone["AliasId"])
    first.stop()  # SIGKILL: nothing is flushed on the way out.

    second = server_factory(overrides)
    client = make_client(second)
    assert describe(client, live["AliasId"]) == live
    assert describe(client, closed["AliasId"]) == closed
    assert list_ids(client) == [live["AliasId"], closed["AliasId"]]
    with expect_error("NotFoundException"):
        describe(client, gone["AliasId"])
    assert new_game(client, AliasId=live["AliasArn"])["FleetId"] == FLEET_ID
    with expect_error("TerminalRoutingStrategyException", "gone fishing"):
        client.resolve_alias(AliasId=closed["AliasId"])


def test_a_server_without_aliases_writes_nothing(fresh_server, fresh_gamelift):
    data_dir = Path(fresh_server.config["scripts"]["data_dir"])
    assert fresh_gamelift.list_aliases()["Aliases"] == []
    assert not (data_dir / "aliases").exists()
    alias = create(fresh_gamelift)
    assert (data_dir / "aliases" / f"{alias['AliasId']}.json").is_file()


# ---- The AWS CLI -------------------------------------------------------------------------


def test_the_cli_creates_and_resolves_an_alias(fresh_server):
    created = aws_cli(
        fresh_server, "create-alias", "--name", "cli", "--description", "from the CLI",
        "--routing-strategy", f"Type=SIMPLE,FleetId={FLEET_ID}",
    ).json()["Alias"]
    assert_alias(created, Name="cli", Description="from the CLI", RoutingStrategy=SIMPLE)
    resolved = aws_cli(
        fresh_server, "resolve-alias", "--alias-id", created["AliasArn"],
        endpoint_from_env=True,
    ).json()
    assert resolved == {"FleetId": FLEET_ID, "FleetArn": FLEET_ARN}
    listed = aws_cli(fresh_server, "list-aliases", "--routing-strategy-type", "SIMPLE").json()
    assert [a["AliasId"] for a in listed["Aliases"]] == [created["AliasId"]]

    refused = aws_cli(
        fresh_server, "create-alias", "--name", "closed",
        "--routing-strategy", "Type=TERMINAL,Message=closed",
    ).json()["Alias"]
    result = aws_cli(fresh_server, "resolve-alias", "--alias-id", refused["AliasId"])
    assert result.returncode != 0
    assert "(TerminalRoutingStrategyException)" in result.stderr, result.stderr
    assert "closed" in result.stderr, result.stderr
