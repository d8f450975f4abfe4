"""FlexMatch matchmaking on one host (README "FlexMatch matchmaking"): boto3 starts tickets
against a configuration and polls DescribeMatchmaking, as a GameLift backend does; matches
are checked against their rule set, placed through a queue, and game clients connect to the
matched game session with the player sessions the tickets carry."""

import json
import time
import uuid

import pytest

from conftest import (
    FLEET_ID,
    connect_client,
    describe_game,
    describe_player,
    expect_error,
    make_client,
    wait_until,
)
from test_placements import new_queue, verified, webhook, SECRET, TOPIC  # noqa: F401

ENDED = {"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}

# Two teams of two, close in skill, every player under 150 ms from the match's location.
TEAM_RULES = {
    "name": "two-by-two",
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [{"name": "skill", "type": "number", "default": 10},
                         {"name": "modes", "type": "string_list", "default": ["any"]}],
    "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2},
              {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
    "rules": [
        {"name": "FairTeams", "type": "distance",
         "measurements": ["avg(teams[red].players.attributes[skill])"],
         "referenceValue": "avg(teams[blue].players.attributes[skill])",
         "maxDistance": 10},
        {"name": "CloseSkill", "type": "batchDistance", "batchAttribute": "skill",
         "maxDistance": 30},
        {"name": "FastConnection", "type": "latency", "maxLatency": 150},
    ],
}


def rule_set(client, body, name=None):
    name = name or f"rules-{uuid.uuid4().hex[:10]}"
    client.create_matchmaking_rule_set(Name=name, RuleSetBody=json.dumps(body))
    return name


def configuration(client, rules, name=None, queue=None, **params):
    name = name or f"mm-{uuid.uuid4().hex[:10]}"
    params.setdefault("RequestTimeoutSeconds", 60)
    params.setdefault("AcceptanceRequired", False)
    if params.get("FlexMatchMode") != "STANDALONE":
        queue = queue or new_queue(client)
        params.setdefault("GameSessionQueueArns", [queue["GameSessionQueueArn"]])
    return client.create_matchmaking_configuration(
        Name=name, RuleSetName=rules, **params)["Configuration"]


def player(player_id, skill=None, latency=30, **attributes):
    values = {name: value for name, value in attributes.items()}
    if skill is not None:
        values["skill"] = {"N": skill}
    entry = {"PlayerId": player_id, "PlayerAttributes": values}
    if latency is not None:
        entry["LatencyInMs"] = {"local": latency}
    return entry


def start(client, config, *players, ticket_id=None):
    params = {"ConfigurationName": config, "Players": list(players)}
    if ticket_id:
        params["TicketId"] = ticket_id
    return client.start_matchmaking(**params)["MatchmakingTicket"]


def tickets(client, ids):
    """DescribeMatchmaking of `ids`, ten at a time as the API takes them: by id."""
    ids, found = list(ids), []
    for i in range(0, len(ids), 10):
        found += client.describe_matchmaking(TicketIds=ids[i:i + 10])["TicketList"]
    return {t["TicketId"]: t for t in found}


def until_status(client, ids, statuses, timeout=10.0):
    """Polls DescribeMatchmaking until every ticket has one of `statuses`."""
    statuses = set(statuses)
    return wait_until(
        lambda: (found := tickets(client, ids)) and len(found) == len(ids) and all(
            t["Status"] in statuses for t in found.values()) and found,
        timeout=timeout, what=f"tickets {list(ids)} in {sorted(statuses)}")


def test_players_are_matched_into_fair_teams_and_connect(gamelift, server, line_client):
    client = gamelift
    rules = rule_set(client, TEAM_RULES)
    config = configuration(client, rules, AdditionalPlayerCount=1,
                           GameProperties=[{"Key": "mode", "Value": "ranked"}],
                           GameSessionData="map=harbor")
    skills = {"ann": 50, "ben": 52, "cat": 58, "dan": 60}
    started = [start(client, config["Name"], player(p, skill)) for p, skill in skills.items()]
    assert all(t["Status"] == "QUEUED" for t in started)
    assert started[0]["ConfigurationArn"] == config["ConfigurationArn"]
    ids = [t["TicketId"] for t in started]

    done = until_status(client, ids, ENDED)
    assert {t["Status"] for t in done.values()} == {"COMPLETED"}, done
    teams = {}
    for ticket in done.values():
        for p in ticket["Players"]:
            teams.setdefault(p["Team"], []).append(p["PlayerId"])
    assert sorted(teams) == ["blue", "red"] and all(len(v) == 2 for v in teams.values())
    average = {team: sum(skills[p] for p in members) / 2 for team, members in teams.items()}
    assert abs(average["red"] - average["blue"]) <= 10, teams

    infos = [t["GameSessionConnectionInfo"] for t in done.values()]
    arns = {info["GameSessionArn"] for info in infos}
    assert len(arns) == 1, infos
    assert (infos[0]["IpAddress"], infos[0]["Port"]) == (server.ws[0], server.ws[1])
    sessions = {s["PlayerId"]: s["PlayerSessionId"]
                for info in infos for s in info["MatchedPlayerSessions"]}
    assert sorted(sessions) == sorted(skills)

    game = describe_game(client, arns.pop())
    assert game["MaximumPlayerSessionCount"] == 5, "four matched players and one more slot"
    assert game["GameProperties"] == [{"Key": "mode", "Value": "ranked"}]
    assert game["GameSessionData"] == "map=harbor"
    data = json.loads(game["MatchmakerData"])
    assert data["matchmakingConfigurationArn"] == config["ConfigurationArn"]
    assert data["matchId"] and data["autoBackfillTicketId"] is None
    written = {t["name"]: [p["playerId"] for p in t["players"]] for t in data["teams"]}
    assert {k: sorted(v) for k, v in written.items()} == {k: sorted(v) for k, v in teams.items()}
    first = data["teams"][0]["players"][0]
    assert first["attributes"]["skill"] == {"attributeType": "DOUBLE",
                                            "valueAttribute": skills[first["playerId"]]}

    # Game clients log in with the player sessions their tickets returned, and play.
    ann, _ = connect_client(line_client, server, sessions["ann"])
    dan, dan_peer = connect_client(line_client, server, sessions["dan"])
    ann.send_line(f"send {dan_peer} 1 good game")
    dan.expect(r"good game")
    assert describe_player(client, sessions["ann"])["Status"] == "ACTIVE"


def test_rules_keep_apart_who_does_not_fit(gamelift):
    client = gamelift
    config = configuration(client, rule_set(client, TEAM_RULES))["Name"]
    # Skills 100 apart never share a batch; a player far from every location never matches.
    low = [start(client, config, player(f"low{i}", 10 + i)) for i in range(3)]
    high = [start(client, config, player(f"high{i}", 110 + i)) for i in range(3)]
    far = start(client, config, player("far", 12, latency=400))
    ids = [t["TicketId"] for t in low + high + [far]]
    until_status(client, ids, {"SEARCHING"})
    time.sleep(1.0)  # several matchmaking rounds
    assert {t["Status"] for t in tickets(client, ids).values()} == {"SEARCHING"}
    # The fourth low player completes a match of the low ones only.
    last = start(client, config, player("low3", 13))
    matched = until_status(client, [t["TicketId"] for t in low] + [last["TicketId"]],
                           {"COMPLETED"})
    assert len(matched) == 4
    rest = tickets(client, [t["TicketId"] for t in high] + [far["TicketId"]])
    assert {t["Status"] for t in rest.values()} == {"SEARCHING"}
    for ticket in rest.values():
        client.stop_matchmaking(TicketId=ticket["TicketId"])


def test_a_party_stays_together_on_one_team(gamelift):
    client = gamelift
    config = configuration(client, rule_set(client, TEAM_RULES))["Name"]
    party = start(client, config, player("p1", 40), player("p2", 42))
    solo = [start(client, config, player(f"s{i}", 41 + i)) for i in range(2)]
    done = until_status(client, [party["TicketId"]] + [t["TicketId"] for t in solo],
                        {"COMPLETED"})
    party_teams = {p["Team"] for p in done[party["TicketId"]]["Players"]}
    assert len(party_teams) == 1, done


# Every rule type a small match may use, over expressions and a compound statement.
EVERY_RULE = {
    "name": "every-rule",
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [
        {"name": "skill", "type": "number", "default": 1000},
        {"name": "mode", "type": "string", "default": "casual"},
        {"name": "maps", "type": "string_list", "default": ["harbor"]},
        {"name": "ranks", "type": "string_number_map", "default": {"solo": 1}},
    ],
    "algorithm": {"strategy": "exhaustiveSearch", "batchingPreference": "sorted",
                  "sortByAttributes": ["skill"]},
    "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2},
              {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
    "rules": [
        {"name": "SameMode", "type": "comparison", "operation": "=",
         "measurements": ["flatten(teams[*].players.attributes[mode])"]},
        {"name": "SharedMap", "type": "collection", "operation": "intersection",
         "measurements": ["flatten(teams[*].players.attributes[maps])"], "minCount": 1},
        {"name": "NotTooStrong", "type": "comparison", "operation": "<=",
         "measurements": ["max(flatten(teams[*].players.attributes[skill]))"],
         "referenceValue": 2000},
        {"name": "FairTeams", "type": "distance",
         "measurements": ["avg(teams[red].players.attributes[skill])"],
         "referenceValue": "avg(teams[blue].players.attributes[skill])", "maxDistance": 100},
        {"name": "Fair", "type": "compound", "statement": "and(SameMode, or(FairTeams, NotTooStrong))"},
        {"name": "Close", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 400},
        {"name": "Quick", "type": "latency", "maxLatency": 200},
        {"name": "BestFirst", "type": "absoluteSort", "sortDirection": "descending",
         "sortAttribute": "ranks", "mapKey": "maxValue"},
    ],
}


def rich(player_id, skill, mode, maps, rank):
    entry = player(player_id, skill, latency=40)
    entry["PlayerAttributes"].update({
        "mode": {"S": mode}, "maps": {"SL": maps}, "ranks": {"SDM": {"solo": rank}}})
    return entry


def test_every_rule_type_holds_in_every_match(gamelift):
    client = gamelift
    assert client.validate_matchmaking_rule_set(
        RuleSetBody=json.dumps(EVERY_RULE))["Valid"] is True
    config = configuration(client, rule_set(client, EVERY_RULE))["Name"]
    pool = {
        "r1": (1000, "ranked", ["harbor", "dunes"], 5), "r2": (1100, "ranked", ["dunes"], 3),
        "r3": (1050, "ranked", ["dunes", "peak"], 9), "r4": (1150, "ranked", ["dunes"], 1),
        "c1": (1000, "casual", ["harbor"], 2), "c2": (1010, "casual", ["harbor"], 2),
        "c3": (1020, "casual", ["harbor", "peak"], 2),
        "x1": (1000, "ranked", ["moon"], 1),  # shares no map with the other ranked players
    }
    ids = {name: start(client, config, rich(name, *values))["TicketId"]
           for name, values in pool.items()}
    ranked = until_status(client, [ids[n] for n in ("r1", "r2", "r3", "r4")], {"COMPLETED"})
    teams = {p["PlayerId"]: p["Team"] for t in ranked.values() for p in t["Players"]}
    assert sorted(teams.values()) == ["blue", "blue", "red", "red"], teams
    skill = {team: sum(pool[p][0] for p, t in teams.items() if t == team) / 2
             for team in ("red", "blue")}
    assert abs(skill["red"] - skill["blue"]) <= 100, skill
    # Three casual players make no match of four; the ranked player without a shared map
    # never joins one.
    time.sleep(1.0)
    rest = tickets(client, [ids[n] for n in ("c1", "c2", "c3", "x1")])
    assert {t["Status"] for t in rest.values()} == {"SEARCHING"}, rest
    for ticket_id in rest:
        client.stop_matchmaking(TicketId=ticket_id)


LARGE = {
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
    "algorithm": {"strategy": "balanced", "balancedAttribute": "skill",
                  "batchingPreference": "largestPopulation"},
    "teams": [{"name": "red", "minPlayers": 25, "maxPlayers": 25},
              {"name": "blue", "minPlayers": 25, "maxPlayers": 25}],
    "rules": [{"name": "Close", "type": "batchDistance", "batchAttribute": "skill",
               "maxDistance": 1000},
              {"name": "Quick", "type": "latency", "maxLatency": 150}],
}


def test_a_large_match_is_balanced_on_its_attribute(gamelift):
    client = gamelift
    config = configuration(client, rule_set(client, LARGE))["Name"]
    skills = {f"big{i}": 500 + 20 * i for i in range(50)}
    ids = [start(client, config, player(name, skill))["TicketId"]
           for name, skill in skills.items()]
    done = until_status(client, ids, {"COMPLETED"}, timeout=15)
    teams = {}
    for ticket in done.values():
        for p in ticket["Players"]:
            teams.setdefault(p["Team"], []).append(skills[p["PlayerId"]])
    assert sorted(len(v) for v in teams.values()) == [25, 25], teams
    averages = [sum(v) / len(v) for v in teams.values()]
    assert abs(averages[0] - averages[1]) <= 40, averages
    assert len({t["GameSessionConnectionInfo"]["GameSessionArn"] for t in done.values()}) == 1


EXPANDING = {
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [{"name": "skill", "type": "number"}],
    "teams": [{"name": "solo", "minPlayers": 2, "maxPlayers": 2}],
    "rules": [{"name": "Close", "type": "batchDistance", "batchAttribute": "skill",
               "maxDistance": 5}],
    "expansions": [{"target": "rules[Close].maxDistance",
                    "steps": [{"waitTimeSeconds": 2, "value": 100}]}],
}


def test_an_expansion_applies_only_after_its_wait(gamelift):
    client = gamelift
    config = configuration(client, rule_set(client, EXPANDING))["Name"]
    a = start(client, config, player("x1", 10, latency=None))
    b = start(client, config, player("x2", 60, latency=None))
    ids = [a["TicketId"], b["TicketId"]]
    until_status(client, ids, {"SEARCHING"})
    started = time.monotonic()
    done = until_status(client, ids, {"COMPLETED"}, timeout=10)
    assert time.monotonic() - started >= 1.0, "matched before the expansion's wait"
    assert done[a["TicketId"]]["GameSessionConnectionInfo"]["GameSessionArn"] == \
        done[b["TicketId"]]["GameSessionConnectionInfo"]["GameSessionArn"]


ONE_ON_ONE = {
    "ruleLanguageVersion": "1.0",
    "teams": [{"name": "solo", "minPlayers": 2, "maxPlayers": 2}],
}


def test_players_accept_or_reject_a_proposed_match(gamelift):
    client = gamelift
    config = configuration(client, rule_set(client, ONE_ON_ONE), AcceptanceRequired=True,
                           AcceptanceTimeoutSeconds=30)["Name"]
    a = start(client, config, player("acc1", latency=None))
    b = start(client, config, player("acc2", latency=None))
    ids = [a["TicketId"], b["TicketId"]]
    until_status(client, ids, {"REQUIRES_ACCEPTANCE"})
    with expect_error("InvalidRequestException"):
        client.accept_match(TicketId=a["TicketId"], PlayerIds=["stranger"],
                            AcceptanceType="ACCEPT")
    client.accept_match(TicketId=a["TicketId"], PlayerIds=["acc1"], AcceptanceType="ACCEPT")
    time.sleep(0.6)  # a round or more: one acceptance is not enough
    assert {t["Status"] for t in tickets(client, ids).values()} == {"REQUIRES_ACCEPTANCE"}
    client.accept_match(TicketId=b["TicketId"], PlayerIds=["acc2"], AcceptanceType="ACCEPT")
    done = until_status(client, ids, ENDED)
    assert {t["Status"] for t in done.values()} == {"COMPLETED"}, done

    # A rejection cancels the rejecting ticket; the other searches again.
    c = start(client, config, player("rej1", latency=None))
    d = start(client, config, player("rej2", latency=None))
    until_status(client, [c["TicketId"], d["TicketId"]], {"REQUIRES_ACCEPTANCE"})
    client.accept_match(TicketId=c["TicketId"], PlayerIds=["rej1"], AcceptanceType="ACCEPT")
    client.accept_match(TicketId=d["TicketId"], PlayerIds=["rej2"], AcceptanceType="REJECT")
    until_status(client, [d["TicketId"]], {"CANCELLED"})
    again = until_status(client, [c["TicketId"]], {"SEARCHING"})
    assert again[c["TicketId"]]["StatusReason"] == "ACCEPTANCE_FAILED"
    with expect_error("InvalidRequestException"):
        client.accept_match(TicketId=c["TicketId"], PlayerIds=["rej1"],
                            AcceptanceType="ACCEPT")
    client.stop_matchmaking(TicketId=c["TicketId"])


def test_an_unanswered_match_times_out(gamelift):
    client = gamelift
    config = configuration(client, rule_set(client, ONE_ON_ONE), AcceptanceRequired=True,
                           AcceptanceTimeoutSeconds=1)["Name"]
    a = start(client, config, player("slow1", latency=None))
    b = start(client, config, player("slow2", latency=None))
    until_status(client, [a["TicketId"], b["TicketId"]], {"REQUIRES_ACCEPTANCE"})
    client.accept_match(TicketId=a["TicketId"], PlayerIds=["slow1"], AcceptanceType="ACCEPT")
    until_status(client, [b["TicketId"]], {"CANCELLED"})
    until_status(client, [a["TicketId"]], {"SEARCHING"})
    client.stop_matchmaking(TicketId=a["TicketId"])


def test_tickets_stop_time_out_and_are_checked(gamelift):
    client = gamelift
    rules = rule_set(client, TEAM_RULES)
    config = configuration(client, rules, RequestTimeoutSeconds=1)["Name"]
    lonely = start(client, config, player("lonely", 20), ticket_id="lonely-ticket")
    assert lonely["TicketId"] == "lonely-ticket"
    timed_out = until_status(client, ["lonely-ticket"], {"TIMED_OUT"})["lonely-ticket"]
    assert timed_out["EndTime"] >= timed_out["StartTime"]
    with expect_error("InvalidRequestException"):
        start(client, config, player("again", 20), ticket_id="lonely-ticket")

    patient = configuration(client, rules)["Name"]
    waiting = start(client, patient, player("waiting", 20))
    with expect_error("InvalidRequestException"):
        client.delete_matchmaking_configuration(Name=patient)  # a ticket is in play
    client.stop_matchmaking(TicketId=waiting["TicketId"])
    client.stop_matchmaking(TicketId=waiting["TicketId"])  # stopping again changes nothing
    assert tickets(client, [waiting["TicketId"]])[waiting["TicketId"]]["Status"] == "CANCELLED"
    with expect_error("InvalidRequestException"):
        client.stop_matchmaking(TicketId="lonely-ticket")
    with expect_error("NotFoundException"):
        client.stop_matchmaking(TicketId="no-such-ticket")
    assert client.describe_matchmaking(TicketIds=["no-such-ticket"])["TicketList"] == []

    with expect_error("NotFoundException"):
        start(client, "no-such-configuration", player("p", 1))
    with expect_error("InvalidRequestException"):
        start(client, patient, {"PlayerId": "typed", "PlayerAttributes": {"skill": {"S": "x"}}})
    with expect_error("InvalidRequestException"):
        start(client, patient, *[player(f"crowd{i}", 1) for i in range(11)])
    client.delete_matchmaking_configuration(Name=patient)
    with expect_error("NotFoundException"):
        start(client, patient, player("late", 1))


def test_a_standalone_configuration_reports_matches_without_placing(gamelift):
    client = gamelift
    config = configuration(client, rule_set(client, ONE_ON_ONE),
                           FlexMatchMode="STANDALONE")["Name"]
    a = start(client, config, player("st1", latency=None))
    b = start(client, config, player("st2", latency=None))
    done = until_status(client, [a["TicketId"], b["TicketId"]], ENDED)
    assert {t["Status"] for t in done.values()} == {"COMPLETED"}
    assert all("GameSessionConnectionInfo" not in t for t in done.values())
    assert all(p["Team"] == "solo" for t in done.values() for p in t["Players"])


BACKFILLED = {
    "ruleLanguageVersion": "1.0",
    "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2},
              {"name": "blue", "minPlayers": 1, "maxPlayers": 2}],
}


def test_a_manual_backfill_adds_players_to_the_matched_game_session(gamelift):
    client = gamelift
    config = configuration(client, rule_set(client, BACKFILLED))["Name"]
    a = start(client, config, player("bf1", latency=None))
    b = start(client, config, player("bf2", latency=None))
    done = until_status(client, [a["TicketId"], b["TicketId"]], {"COMPLETED"})
    arn = done[a["TicketId"]]["GameSessionConnectionInfo"]["GameSessionArn"]
    current = [{"PlayerId": p["PlayerId"], "Team": p["Team"]}
               for t in done.values() for p in t["Players"]]

    newcomer = start(client, config, player("bf3", latency=None))
    backfill = client.start_match_backfill(
        ConfigurationName=config, GameSessionArn=arn, Players=current)["MatchmakingTicket"]
    filled = until_status(client, [backfill["TicketId"], newcomer["TicketId"]], ENDED)
    assert {t["Status"] for t in filled.values()} == {"COMPLETED"}, filled
    joined = filled[newcomer["TicketId"]]["GameSessionConnectionInfo"]
    assert joined["GameSessionArn"] == arn
    assert [s["PlayerId"] for s in joined["MatchedPlayerSessions"]] == ["bf3"]
    data = json.loads(describe_game(client, arn)["MatchmakerData"])
    assert sorted(p["playerId"] for t in data["teams"] for p in t["players"]) == \
        ["bf1", "bf2", "bf3"]

    with expect_error("InvalidRequestException"):
        client.start_match_backfill(ConfigurationName=config, GameSessionArn=arn,
                                    Players=[{"PlayerId": "bf1"}])
    with expect_error("NotFoundException"):
        client.start_match_backfill(
            ConfigurationName=config, Players=current,
            GameSessionArn=f"arn:aws:gamelift:local::gamesession/{FLEET_ID}/none")


def test_automatic_backfill_fills_a_game_session_matched_short(gamelift):
    client = gamelift
    config = configuration(client, rule_set(client, BACKFILLED), BackfillMode="AUTOMATIC")["Name"]
    a = start(client, config, player("ab1", latency=None))
    b = start(client, config, player("ab2", latency=None))
    done = until_status(client, [a["TicketId"], b["TicketId"]], {"COMPLETED"})
    arn = done[a["TicketId"]]["GameSessionConnectionInfo"]["GameSessionArn"]
    assert describe_game(client, arn)["MaximumPlayerSessionCount"] == 4, "the rule set's most"

    # Two of four slots are taken: the matchmaker starts a backfill ticket of its own.
    data = wait_until(
        lambda: (d := json.loads(describe_game(client, arn)["MatchmakerData"]))
        ["autoBackfillTicketId"] and d, what="an automatic backfill ticket")
    assert data["autoBackfillMode"] == "AUTOMATIC"
    backfill_id = data["autoBackfillTicketId"]
    backfill = tickets(client, [backfill_id])[backfill_id]
    assert sorted((p["PlayerId"], p["Team"]) for p in backfill["Players"]) == sorted(
        (p["PlayerId"], p["Team"]) for t in done.values() for p in t["Players"])

    newcomer = start(client, config, player("ab3", latency=None))
    joined = until_status(client, [newcomer["TicketId"]], ENDED)[newcomer["TicketId"]]
    assert joined["Status"] == "COMPLETED", joined
    assert joined["GameSessionConnectionInfo"]["GameSessionArn"] == arn
    assert describe_game(client, arn)["CurrentPlayerSessionCount"] == 3


def test_matchmaking_events_reach_the_webhook(server_factory, webhook):  # noqa: F811
    server = server_factory({"events": {
        "webhook": f"{webhook.url}/default",
        "targets": {TOPIC: f"{webhook.url}/by-topic"},
        "secret": SECRET.decode(),
    }})
    client = make_client(server)
    config = configuration(client, rule_set(client, ONE_ON_ONE), NotificationTarget=TOPIC,
                           CustomEventData="from the matchmaker")
    a = start(client, config["Name"], player("ev1", latency=None))
    b = start(client, config["Name"], player("ev2", latency=None))
    until_status(client, [a["TicketId"], b["TicketId"]], {"COMPLETED"})
    seen = []
    while "MatchmakingSucceeded" not in [e["detail"]["type"] for e in seen]:
        path, headers, body = webhook.next()
        event = verified(headers, body)
        if event["detail-type"] != "GameLift Matchmaking Event":
            continue  # the placement's own event
        assert path == "/by-topic" and event["resources"] == [config["ConfigurationArn"]]
        assert event["detail"]["customEventData"] == "from the matchmaker"
        seen.append(event)
    kinds = [e["detail"]["type"] for e in seen]
    assert kinds.index("PotentialMatchCreated") < kinds.index("MatchmakingSucceeded"), kinds
    assert "MatchmakingSearching" in kinds
    succeeded = seen[-1]["detail"]
    assert sorted(t["ticketId"] for t in succeeded["tickets"]) == sorted(
        [a["TicketId"], b["TicketId"]])
    assert succeeded["gameSessionInfo"]["gameSessionArn"].startswith(
        "arn:aws:gamelift:local::gamesession/")
    assert all(p["playerSessionId"].startswith("psess-")
               for p in succeeded["gameSessionInfo"]["players"])


def test_acceptance_timeout_and_cancel_events_reach_the_webhook(server_factory, webhook):  # noqa: F811
    server = server_factory({"events": {"webhook": f"{webhook.url}/all",
                                        "secret": SECRET.decode()}})
    client = make_client(server)
    accepting = configuration(client, rule_set(client, ONE_ON_ONE), AcceptanceRequired=True,
                              AcceptanceTimeoutSeconds=30)["Name"]
    a = start(client, accepting, player("evA", latency=None))
    b = start(client, accepting, player("evB", latency=None))
    until_status(client, [a["TicketId"], b["TicketId"]], {"REQUIRES_ACCEPTANCE"})
    client.accept_match(TicketId=a["TicketId"], PlayerIds=["evA"], AcceptanceType="ACCEPT")
    client.accept_match(TicketId=b["TicketId"], PlayerIds=["evB"], AcceptanceType="REJECT")
    until_status(client, [b["TicketId"]], {"CANCELLED"})
    client.stop_matchmaking(TicketId=a["TicketId"])
    hasty = configuration(client, rule_set(client, ONE_ON_ONE), RequestTimeoutSeconds=1)["Name"]
    late = start(client, hasty, player("evC", latency=None))
    until_status(client, [late["TicketId"]], {"TIMED_OUT"})

    wanted = {"AcceptMatch", "AcceptMatchCompleted", "MatchmakingCancelled",
              "MatchmakingTimedOut"}
    seen = {}
    while not wanted <= set(seen):
        _, headers, body = webhook.next()
        detail = verified(headers, body)["detail"]
        seen.setdefault(detail["type"], []).append(detail)
    completed = seen["AcceptMatchCompleted"][0]
    assert completed["acceptance"] == "Rejected" and completed["matchId"]
    cancelled = {t["ticketId"] for d in seen["MatchmakingCancelled"] for t in d["tickets"]}
    assert cancelled == {a["TicketId"], b["TicketId"]}, seen["MatchmakingCancelled"]
    assert seen["MatchmakingTimedOut"][0]["tickets"][0]["ticketId"] == late["TicketId"]
    assert seen["AcceptMatch"][0]["tickets"][0]["players"][0]["playerId"] in {"evA", "evB"}
