"""Matchmaking configurations (control-api.md §2.11): boto3 and the AWS CLI create, describe,
update and delete them on one server and across a fleet; a configuration names a stored rule
set and, unless STANDALONE, one stored queue by ARN, and a rule set in use is not deleted."""

import shutil
import uuid

import pytest

from conftest import aws_cli, expect_error, make_client
from test_fleet import fleet, redis  # noqa: F401
from test_placements import new_queue
from test_rule_sets import body

ARN_PREFIX = "arn:aws:gamelift:local::"


def new_rule_set(client, name=None):
    name = name or f"rs-{uuid.uuid4().hex[:12]}"
    return client.create_matchmaking_rule_set(Name=name, RuleSetBody=body())["RuleSet"]


def new_configuration(client, rule_set, queue=None, name=None, **params):
    """A configuration on `rule_set` (a name or ARN) and, if given, `queue` (a queue object)."""
    name = name or f"mm-{uuid.uuid4().hex[:12]}"
    if queue is not None:
        params.setdefault("GameSessionQueueArns", [queue["GameSessionQueueArn"]])
    params.setdefault("RequestTimeoutSeconds", 60)
    params.setdefault("AcceptanceRequired", False)
    return client.create_matchmaking_configuration(
        Name=name, RuleSetName=rule_set, **params)["Configuration"]


def names_of(configurations):
    return [c["Name"] for c in configurations]


def test_configurations_are_created_described_updated_and_deleted(fresh_gamelift):
    client = fresh_gamelift
    queue = new_queue(client, name="main")
    five = new_rule_set(client, "five.v.five")
    other = new_rule_set(client, "other")
    made = client.create_matchmaking_configuration(
        Name="ranked.5v5", Description="ranked five against five",
        GameSessionQueueArns=[queue["GameSessionQueueArn"]], RequestTimeoutSeconds=120,
        AcceptanceTimeoutSeconds=20, AcceptanceRequired=True, RuleSetName="five.v.five",
        NotificationTarget="arn:aws:sns:us-east-1:123456789012:matches",
        AdditionalPlayerCount=2, CustomEventData="season 3",
        GameProperties=[{"Key": "mode", "Value": "ranked"}], GameSessionData="map=dust",
        BackfillMode="AUTOMATIC", Tags=[{"Key": "team", "Value": "core"}],
    )["Configuration"]
    creation_time = made.pop("CreationTime")
    assert made == {
        "Name": "ranked.5v5",
        "ConfigurationArn": ARN_PREFIX + "matchmakingconfiguration/ranked.5v5",
        "Description": "ranked five against five",
        "GameSessionQueueArns": [ARN_PREFIX + "gamesessionqueue/main"],
        "RequestTimeoutSeconds": 120,
        "AcceptanceTimeoutSeconds": 20,
        "AcceptanceRequired": True,
        "RuleSetName": "five.v.five",
        "RuleSetArn": five["RuleSetArn"],
        "NotificationTarget": "arn:aws:sns:us-east-1:123456789012:matches",
        "AdditionalPlayerCount": 2,
        "CustomEventData": "season 3",
        "GameProperties": [{"Key": "mode", "Value": "ranked"}],
        "GameSessionData": "map=dust",
        "BackfillMode": "AUTOMATIC",
        "FlexMatchMode": "WITH_QUEUE",
    }
    made["CreationTime"] = creation_time
    with expect_error("InvalidRequestException", "ranked.5v5"):
        new_configuration(client, "five.v.five", queue, name="ranked.5v5")
    # The defaults, and the rule set by ARN: the configuration keeps its name.
    casual = new_configuration(client, other["RuleSetArn"], queue, name="casual")
    assert (casual["RuleSetName"], casual["RuleSetArn"]) == ("other", other["RuleSetArn"])
    assert (casual["BackfillMode"], casual["FlexMatchMode"]) == ("MANUAL", "WITH_QUEUE")
    assert (casual["AdditionalPlayerCount"], casual["GameProperties"]) == (0, [])
    for absent in ("Description", "AcceptanceTimeoutSeconds", "NotificationTarget",
                   "CustomEventData", "GameSessionData"):
        assert absent not in casual, casual

    every = client.describe_matchmaking_configurations()["Configurations"]
    assert names_of(every) == ["casual", "ranked.5v5"]
    assert client.describe_matchmaking_configurations(Names=[])["Configurations"] == every
    assert every[1] == made
    by_arn = client.describe_matchmaking_configurations(
        Names=[made["ConfigurationArn"], "missing"])["Configurations"]
    assert by_arn == [made]
    for rule_set in ("five.v.five", five["RuleSetArn"]):
        used = client.describe_matchmaking_configurations(RuleSetName=rule_set)
        assert names_of(used["Configurations"]) == ["ranked.5v5"]
    assert client.describe_matchmaking_configurations(
        RuleSetName="unknown")["Configurations"] == []
    assert client.describe_matchmaking_configurations(
        Names=["casual", "ranked.5v5"], RuleSetName="other")["Configurations"] == [casual]

    changed = client.update_matchmaking_configuration(
        Name=made["ConfigurationArn"], RuleSetName=other["RuleSetArn"],
        RequestTimeoutSeconds=30, NotificationTarget="", AcceptanceRequired=False,
        GameProperties=[],
    )["Configuration"]
    assert (changed["RuleSetName"], changed["RuleSetArn"]) == ("other", other["RuleSetArn"])
    assert (changed["RequestTimeoutSeconds"], changed["AcceptanceRequired"]) == (30, False)
    assert "NotificationTarget" not in changed and changed["GameProperties"] == []
    # What the update did not give is kept.
    for kept in ("Description", "GameSessionQueueArns", "AcceptanceTimeoutSeconds",
                 "AdditionalPlayerCount", "CustomEventData", "GameSessionData",
                 "BackfillMode", "CreationTime", "ConfigurationArn"):
        assert changed[kept] == made[kept], kept
    assert client.describe_matchmaking_configurations(
        Names=["ranked.5v5"])["Configurations"] == [changed]
    with expect_error("NotFoundException", "missing"):
        client.update_matchmaking_configuration(Name="missing", RequestTimeoutSeconds=5)

    client.delete_matchmaking_configuration(Name=made["ConfigurationArn"])
    with expect_error("NotFoundException"):
        client.delete_matchmaking_configuration(Name="ranked.5v5")
    assert names_of(client.describe_matchmaking_configurations()["Configurations"]) == [
        "casual"]


def test_configurations_come_in_pages_of_at_most_ten(fresh_gamelift):
    client = fresh_gamelift
    queue = new_queue(client)
    rule_set = new_rule_set(client)["RuleSetName"]
    names = [f"c{i:02}" for i in range(12)]
    for name in names:
        new_configuration(client, rule_set, queue, name=name)
    first = client.describe_matchmaking_configurations(Limit=50)
    assert names_of(first["Configurations"]) == names[:10]
    rest = client.describe_matchmaking_configurations(Limit=50, NextToken=first["NextToken"])
    assert names_of(rest["Configurations"]) == names[10:] and "NextToken" not in rest
    pages = client.get_paginator("describe_matchmaking_configurations").paginate(
        RuleSetName=rule_set, PaginationConfig={"PageSize": 5})
    sizes = [len(page["Configurations"]) for page in pages]
    assert sizes == [5, 5, 2], sizes
    with expect_error("InvalidRequestException", "nextToken"):
        client.describe_matchmaking_configurations(
            RuleSetName="other", NextToken=first["NextToken"])


def test_members_are_validated_as_the_model_constrains_them(gamelift, gamelift_unvalidated):
    queue = new_queue(gamelift)
    rule_set = new_rule_set(gamelift)["RuleSetName"]
    client = gamelift_unvalidated
    refused = {
        "name": ({"Name": "a b"}, "name"),
        "long name": ({"Name": "a" * 129}, "name"),
        "timeout 0": ({"RequestTimeoutSeconds": 0}, "requestTimeoutSeconds"),
        "timeout 12h+": ({"RequestTimeoutSeconds": 43201}, "requestTimeoutSeconds"),
        "acceptance": ({"AcceptanceTimeoutSeconds": 601}, "acceptanceTimeoutSeconds"),
        "slots": ({"AdditionalPlayerCount": -1}, "additionalPlayerCount"),
        "description": ({"Description": ""}, "description"),
        "data": ({"GameSessionData": "x" * 4097}, "gameSessionData"),
        "event data": ({"CustomEventData": "x" * 257}, "customEventData"),
        "properties": ({"GameProperties": [{"Key": "k", "Value": "v"}] * 17},
                       "gameProperties"),
        "two queues": ({"GameSessionQueueArns": [queue["GameSessionQueueArn"]] * 2},
                       "gameSessionQueueArns"),
        "queue pattern": ({"GameSessionQueueArns": ["a queue"]}, "gameSessionQueueArns"),
        "topic": ({"NotificationTarget": "a topic?"}, "notificationTarget"),
        "rule set pattern": ({"RuleSetName": "arn:aws:gamelift:local::fleet/x"},
                             "ruleSetName"),
        "backfill": ({"BackfillMode": "SOMETIMES"}, "backfillMode"),
        "mode": ({"FlexMatchMode": "ALONE"}, "flexMatchMode"),
    }
    for what, (change, member) in refused.items():
        params = {"Name": f"bad-{uuid.uuid4().hex[:8]}", "RuleSetName": rule_set,
                  "GameSessionQueueArns": [queue["GameSessionQueueArn"]],
                  "RequestTimeoutSeconds": 60, "AcceptanceRequired": False, **change}
        with expect_error("InvalidRequestException", member):
            client.create_matchmaking_configuration(**params)
    for missing in ("RequestTimeoutSeconds", "AcceptanceRequired", "RuleSetName"):
        params = {"Name": "bad-missing", "RuleSetName": rule_set, "RequestTimeoutSeconds": 60,
                  "GameSessionQueueArns": [queue["GameSessionQueueArn"]],
                  "AcceptanceRequired": False}
        del params[missing]
        with expect_error("InvalidRequestException", missing[0].lower() + missing[1:]):
            client.create_matchmaking_configuration(**params)
    with expect_error("TaggingFailedException"):
        new_configuration(client, rule_set, queue, Tags=[{"Key": "", "Value": "v"}])
    with expect_error("InvalidRequestException", "AcceptanceTimeoutSeconds"):
        new_configuration(gamelift, rule_set, queue, AcceptanceRequired=True)
    with expect_error("InvalidRequestException", "name"):
        client.describe_matchmaking_configurations(Names=["a b"])
    with expect_error("InvalidRequestException", "limit"):
        client.describe_matchmaking_configurations(Limit=0)
    with expect_error("InvalidRequestException", "name"):
        client.update_matchmaking_configuration(Name="arn:aws:gamelift:local::alias/x")
    with expect_error("InvalidRequestException", "requestTimeoutSeconds"):
        client.update_matchmaking_configuration(Name="any", RequestTimeoutSeconds=0)
    # Nothing refused was stored.
    stored = names_of(gamelift.describe_matchmaking_configurations(
        RuleSetName=rule_set)["Configurations"])
    assert not any(name.startswith("bad-") for name in stored), stored


def test_an_unknown_rule_set_or_queue_is_refused_naming_it(gamelift):
    client = gamelift
    queue = new_queue(client)
    rule_set = new_rule_set(client)
    name = f"mm-{uuid.uuid4().hex[:12]}"
    with expect_error("NotFoundException", "no-such-rules"):
        new_configuration(client, "no-such-rules", queue, name=name)
    gone = ARN_PREFIX + "gamesessionqueue/no-such-queue"
    with expect_error("InvalidRequestException", "no-such-queue"):
        new_configuration(client, rule_set["RuleSetName"], name=name,
                          GameSessionQueueArns=[gone])
    # The model's member holds ARNs: a queue's name is not one.
    with expect_error("InvalidRequestException", "is not a game session queue ARN"):
        new_configuration(client, rule_set["RuleSetName"], name=name,
                          GameSessionQueueArns=[queue["Name"]])
    assert client.describe_matchmaking_configurations(Names=[name])["Configurations"] == []
    made = new_configuration(client, rule_set["RuleSetName"], queue, name=name)
    with expect_error("NotFoundException", "no-such-rules"):
        client.update_matchmaking_configuration(Name=name, RuleSetName="no-such-rules")
    with expect_error("InvalidRequestException", "no-such-queue"):
        client.update_matchmaking_configuration(Name=name, GameSessionQueueArns=[gone])
    assert client.describe_matchmaking_configurations(
        Names=[name])["Configurations"] == [made]


def test_standalone_takes_no_queue_nor_automatic_backfill(gamelift):
    client = gamelift
    queue = new_queue(client)
    rule_set = new_rule_set(client)["RuleSetName"]
    alone = new_configuration(client, rule_set, FlexMatchMode="STANDALONE",
                              GameSessionData="kept, not used")
    assert alone["FlexMatchMode"] == "STANDALONE" and alone["GameSessionQueueArns"] == []
    assert alone["GameSessionData"] == "kept, not used"
    with expect_error("InvalidRequestException", "STANDALONE"):
        new_configuration(client, rule_set, queue, FlexMatchMode="STANDALONE")
    with expect_error("InvalidRequestException", "AUTOMATIC"):
        new_configuration(client, rule_set, FlexMatchMode="STANDALONE",
                          BackfillMode="AUTOMATIC")
    with expect_error("InvalidRequestException", "WITH_QUEUE"):
        new_configuration(client, rule_set)

    # Switching modes: the configuration as changed must satisfy its new mode, else nothing
    # changes.
    hosted = new_configuration(client, rule_set, queue, BackfillMode="AUTOMATIC")
    for change in ({}, {"GameSessionQueueArns": []}):
        with expect_error("InvalidRequestException"):
            client.update_matchmaking_configuration(
                Name=hosted["Name"], FlexMatchMode="STANDALONE", RequestTimeoutSeconds=5,
                **change)
    assert client.describe_matchmaking_configurations(
        Names=[hosted["Name"]])["Configurations"] == [hosted]
    switched = client.update_matchmaking_configuration(
        Name=hosted["Name"], FlexMatchMode="STANDALONE", GameSessionQueueArns=[],
        BackfillMode="MANUAL")["Configuration"]
    assert (switched["FlexMatchMode"], switched["GameSessionQueueArns"]) == ("STANDALONE", [])
    with expect_error("InvalidRequestException", "WITH_QUEUE"):
        client.update_matchmaking_configuration(Name=hosted["Name"],
                                                FlexMatchMode="WITH_QUEUE")
    back = client.update_matchmaking_configuration(
        Name=hosted["Name"], FlexMatchMode="WITH_QUEUE",
        GameSessionQueueArns=[queue["GameSessionQueueArn"]])["Configuration"]
    assert back["GameSessionQueueArns"] == [queue["GameSessionQueueArn"]]


def test_a_rule_set_in_use_is_not_deleted(gamelift):
    client = gamelift
    queue = new_queue(client)
    rule_set = new_rule_set(client)
    spare = new_rule_set(client)
    users = [new_configuration(client, rule_set["RuleSetArn"], queue) for _ in range(2)]
    with expect_error("InvalidRequestException", users[0]["Name"]) as info:
        client.delete_matchmaking_rule_set(Name=rule_set["RuleSetName"])
    assert users[1]["Name"] in info.value.response["Error"]["Message"]
    client.update_matchmaking_configuration(Name=users[0]["Name"],
                                            RuleSetName=spare["RuleSetName"])
    client.delete_matchmaking_configuration(Name=users[1]["Name"])
    client.delete_matchmaking_rule_set(Name=rule_set["RuleSetArn"])
    with expect_error("InvalidRequestException", users[0]["Name"]):
        client.delete_matchmaking_rule_set(Name=spare["RuleSetName"])


def test_configurations_survive_a_restart_on_the_same_data_directory(server_factory, tmp_path):
    data = tmp_path / "kept"
    first = server_factory({"scripts": {"data_dir": str(data)}})
    client = make_client(first)
    made = new_configuration(client, new_rule_set(client)["RuleSetName"], new_queue(client),
                             name="kept")
    first.stop()
    second = server_factory({"scripts": {"data_dir": str(data)}})
    assert make_client(second).describe_matchmaking_configurations()["Configurations"] == [made]


def test_the_aws_cli_creates_and_describes_configurations(server):
    client = make_client(server)
    queue = new_queue(client)
    rule_set = new_rule_set(client)["RuleSetName"]
    name = f"cli-{uuid.uuid4().hex[:8]}"
    made = aws_cli(server, "create-matchmaking-configuration", "--name", name,
                   "--rule-set-name", rule_set, "--request-timeout-seconds", "60",
                   "--no-acceptance-required",
                   "--game-session-queue-arns", queue["GameSessionQueueArn"])
    assert made.json()["Configuration"]["Name"] == name
    done = aws_cli(server, "describe-matchmaking-configurations", "--rule-set-name", rule_set)
    assert [c["Name"] for c in done.json()["Configurations"]] == [name]
    done = aws_cli(server, "describe-matchmaking-configurations", "--names", name, "missing")
    configuration = done.json()["Configurations"][0]
    assert configuration["RuleSetArn"] == f"{ARN_PREFIX}matchmakingruleset/{rule_set}"


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_configuration_made_through_one_host_is_seen_by_another(fleet):  # noqa: F811
    one, two = fleet("host-a"), fleet("host-b")
    through_one, through_two = make_client(one), make_client(two)
    queue = new_queue(through_one)
    rule_set = new_rule_set(through_one)
    made = new_configuration(through_one, rule_set["RuleSetName"], queue, name="shared")
    assert through_two.describe_matchmaking_configurations()["Configurations"] == [made]
    # Its rule set and queue are the fleet's, whichever host checks them.
    with expect_error("InvalidRequestException", "shared"):
        through_two.delete_matchmaking_rule_set(Name=rule_set["RuleSetName"])
    changed = through_two.update_matchmaking_configuration(
        Name="shared", Description="changed through host b")["Configuration"]
    assert through_one.describe_matchmaking_configurations(
        Names=["shared"])["Configurations"] == [changed]
    with expect_error("InvalidRequestException", "shared"):
        new_configuration(through_two, rule_set["RuleSetName"], queue, name="shared")
    through_one.delete_matchmaking_configuration(Name="shared")
    assert through_two.describe_matchmaking_configurations()["Configurations"] == []
    through_two.delete_matchmaking_rule_set(Name=rule_set["RuleSetName"])
