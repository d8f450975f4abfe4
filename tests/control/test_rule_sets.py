"""Matchmaking rule sets (README, docs/flexmatch.md): boto3 and the AWS CLI create, describe,
validate and delete FlexMatch rule sets, and a bad rule set is refused with its problems
named by their place."""

import json
import uuid

from conftest import aws_cli, expect_error

FIVE_V_FIVE = {
    "name": "aliens_vs_cowboys",
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
    "teams": [{"name": "cowboys", "maxPlayers": 5, "minPlayers": 5},
              {"name": "aliens", "maxPlayers": 5, "minPlayers": 5}],
    "rules": [{
        "name": "FairTeamSkill",
        "type": "distance",
        "measurements": ["avg(teams[*].players.attributes[skill])"],
        "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
        "maxDistance": 10,
    }, {"name": "FastConnection", "type": "latency", "maxLatency": 50}],
    "expansions": [{"target": "rules[FairTeamSkill].maxDistance",
                    "steps": [{"waitTimeSeconds": 5, "value": 50}]}],
}


def body(rule_set=None, **changes):
    value = dict(rule_set or FIVE_V_FIVE, **changes)
    return json.dumps(value)


def test_rule_sets_are_created_described_and_deleted(fresh_gamelift):
    client = fresh_gamelift
    made = client.create_matchmaking_rule_set(
        Name="five.v.five", RuleSetBody=body(), Tags=[{"Key": "team", "Value": "core"}],
    )["RuleSet"]
    assert made["RuleSetArn"] == "arn:aws:gamelift:local::matchmakingruleset/five.v.five"
    assert json.loads(made["RuleSetBody"]) == FIVE_V_FIVE
    with expect_error("InvalidRequestException"):
        client.create_matchmaking_rule_set(Name="five.v.five", RuleSetBody=body())
    client.create_matchmaking_rule_set(Name="another", RuleSetBody=body())

    every = client.describe_matchmaking_rule_sets()["RuleSets"]
    assert [r["RuleSetName"] for r in every] == ["another", "five.v.five"]
    by_arn = client.describe_matchmaking_rule_sets(Names=[made["RuleSetArn"]])["RuleSets"]
    assert by_arn == [made]
    pages = client.get_paginator("describe_matchmaking_rule_sets").paginate(
        PaginationConfig={"PageSize": 1})
    assert [r["RuleSetName"] for page in pages for r in page["RuleSets"]] == [
        "another", "five.v.five"]
    with expect_error("NotFoundException"):
        client.describe_matchmaking_rule_sets(Names=["five.v.five", "missing"])

    client.delete_matchmaking_rule_set(Name=made["RuleSetArn"])
    with expect_error("NotFoundException"):
        client.delete_matchmaking_rule_set(Name="five.v.five")
    assert [r["RuleSetName"] for r in client.describe_matchmaking_rule_sets()["RuleSets"]] == [
        "another"]


def test_a_bad_rule_set_is_refused_with_its_problems_named_by_place(gamelift):
    client = gamelift
    assert client.validate_matchmaking_rule_set(RuleSetBody=body())["Valid"] is True
    bad_teams = [{"name": "red", "maxPlayers": 2, "minPlayers": 4}]
    for call in (
        lambda b: client.validate_matchmaking_rule_set(RuleSetBody=b),
        lambda b: client.create_matchmaking_rule_set(Name=f"bad-{uuid.uuid4().hex[:8]}",
                                                     RuleSetBody=b),
    ):
        with expect_error("InvalidRequestException", r"teams\[red\]\.maxPlayers"):
            call(body(teams=bad_teams, rules=[], expansions=[]))
        with expect_error("InvalidRequestException",
                          r"rules\[Fair\]\.measurements\[0\]: unknown player attribute skil"):
            call(body(rules=[{"name": "Fair", "type": "distance",
                              "measurements": ["avg(teams[*].players.attributes[skil])"],
                              "referenceValue": 10, "maxDistance": 10}], expansions=[]))
        with expect_error("InvalidRequestException"):
            call("{ not json")
    # Nothing refused was stored.
    names = [r["RuleSetName"] for r in client.describe_matchmaking_rule_sets()["RuleSets"]]
    assert not any(name.startswith("bad-") for name in names)


def test_the_aws_cli_validates_and_creates_a_rule_set(server):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    done = aws_cli(server, "validate-matchmaking-rule-set", "--rule-set-body", body())
    assert done.returncode == 0, done.stderr
    assert done.json() == {"Valid": True}
    done = aws_cli(server, "create-matchmaking-rule-set", "--name", name,
                   "--rule-set-body", body())
    assert done.returncode == 0, done.stderr
    assert done.json()["RuleSet"]["RuleSetName"] == name
