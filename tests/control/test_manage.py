"""UpdateGameSession, TerminateGameSession and DescribeGameSessionDetails through boto3, with
real game clients (`volley client`) where players are involved (control-api.md §2.4.2-
§2.4.4, §3.7, §3.8)."""

import re

import pytest

from conftest import (
    FLEET_ARN,
    FLEET_ID,
    GAME_SESSION_ARN_PREFIX,
    assert_error_response,
    assert_recent,
    call,
    connect_client,
    create_game,
    describe_game,
    describe_player,
    expect_error,
    login_refused,
    make_client,
    terminate_game,
    wait_until,
)

# Reservations made here hold their slots for the whole module.
VOLLEY_CONFIG = {"sessions": {"reservation_timeout_secs": 3600}}

MISSING_GAME = GAME_SESSION_ARN_PREFIX + "gsess-00000000-0000-4000-8000-000000000000"


def reserve(client, game_session_id, *player_ids):
    return client.create_player_sessions(
        GameSessionId=game_session_id, PlayerIds=list(player_ids)
    )["PlayerSessions"]


def details(client, **params):
    return client.describe_game_session_details(**params)["GameSessionDetails"]


def protection_of(client, game_session_id):
    found = details(client, GameSessionId=game_session_id)
    assert len(found) == 1, found
    return found[0]["ProtectionPolicy"]


def wait_player_status(client, player_session_id, status):
    return wait_until(
        lambda: (p := describe_player(client, player_session_id))["Status"] == status and p,
        what=f"{player_session_id} {status}",
    )


# ---- UpdateGameSession -------------------------------------------------------------------


def test_update_name_changes_only_the_name(gamelift):
    game = create_game(gamelift, max_players=4, Name="before",
                       GameProperties=[{"Key": "mode", "Value": "duel"}], CreatorId="me")
    updated = gamelift.update_game_session(
        GameSessionId=game["GameSessionId"], Name="after"
    )["GameSession"]
    assert updated == {**game, "Name": "after"}
    assert describe_game(gamelift, game["GameSessionId"]) == updated
    # A request naming no member changes nothing.
    again = gamelift.update_game_session(GameSessionId=game["GameSessionId"])["GameSession"]
    assert again == updated


def test_raising_the_maximum_admits_more_players(gamelift):
    game = create_game(gamelift, max_players=1)
    reserve(gamelift, game["GameSessionId"], "p1")
    with expect_error("GameSessionFullException"):
        reserve(gamelift, game["GameSessionId"], "p2")
    updated = gamelift.update_game_session(
        GameSessionId=game["GameSessionId"], MaximumPlayerSessionCount=3
    )["GameSession"]
    assert updated["MaximumPlayerSessionCount"] == 3
    assert updated["CurrentPlayerSessionCount"] == 1
    reserve(gamelift, game["GameSessionId"], "p2", "p3")
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 3
    with expect_error("GameSessionFullException"):
        reserve(gamelift, game["GameSessionId"], "p4")


def test_raising_the_maximum_reaches_the_running_session(server, gamelift, line_client):
    # The running session starts with the game session's maximum (1): only after the update
    # does it take a second login.
    game = create_game(gamelift, max_players=1)
    first = reserve(gamelift, game["GameSessionId"], "p1")[0]
    client1, peer1 = connect_client(line_client, server, first["PlayerSessionId"])
    gamelift.update_game_session(GameSessionId=game["GameSessionId"], MaximumPlayerSessionCount=2)
    second = reserve(gamelift, game["GameSessionId"], "p2")[0]
    client2, peer2 = connect_client(line_client, server, second["PlayerSessionId"])
    assert peer1 != peer2
    client2.send_line("hi from p2")
    client1.expect(rf"^\[from {peer2} op 1 group -1 (fast|reliable)\] hi from p2$")
    assert describe_player(gamelift, second["PlayerSessionId"])["Status"] == "ACTIVE"


def test_lowering_the_maximum_evicts_nobody(server, gamelift, line_client):
    game = create_game(gamelift, max_players=2)
    gid = game["GameSessionId"]
    players = reserve(gamelift, gid, "p1", "p2")
    (client1, peer1), (client2, peer2) = (
        connect_client(line_client, server, p["PlayerSessionId"]) for p in players
    )
    updated = gamelift.update_game_session(
        GameSessionId=gid, MaximumPlayerSessionCount=1
    )["GameSession"]
    assert (updated["MaximumPlayerSessionCount"], updated["CurrentPlayerSessionCount"]) == (1, 2)

    # Both players stay, and still play together.
    client1.send_line("still here")
    client2.expect(rf"^\[from {peer1} op 1 group -1 (fast|reliable)\] still here$")
    assert [describe_player(gamelift, p["PlayerSessionId"])["Status"] for p in players] == [
        "ACTIVE", "ACTIVE",
    ]
    assert client1.proc.poll() is None and client2.proc.poll() is None

    # New reservations fail until the count is below the new maximum.
    with expect_error("GameSessionFullException"):
        reserve(gamelift, gid, "p3")
    client1.send_line("/quit")
    assert client1.wait() == 0
    wait_player_status(gamelift, players[0]["PlayerSessionId"], "COMPLETED")
    assert describe_game(gamelift, gid)["CurrentPlayerSessionCount"] == 1
    with expect_error("GameSessionFullException"):
        reserve(gamelift, gid, "p3")
    client2.send_line("/quit")
    assert client2.wait() == 0
    wait_player_status(gamelift, players[1]["PlayerSessionId"], "COMPLETED")
    assert reserve(gamelift, gid, "p3")[0]["Status"] == "RESERVED"
    with expect_error("GameSessionFullException"):
        reserve(gamelift, gid, "p4")


def test_lowering_the_maximum_keeps_earlier_reservations_usable(server, gamelift, line_client):
    # A RESERVED player session holds a slot like an ACTIVE one (control-api.md §3.4); lowering the
    # maximum evicts nobody (control-api.md §2.4.3, README), so both reserved players can still
    # join.
    game = create_game(gamelift, max_players=2)
    players = reserve(gamelift, game["GameSessionId"], "p1", "p2")
    gamelift.update_game_session(GameSessionId=game["GameSessionId"],
                                 MaximumPlayerSessionCount=1)
    connect_client(line_client, server, players[0]["PlayerSessionId"])
    connect_client(line_client, server, players[1]["PlayerSessionId"])
    assert [describe_player(gamelift, p["PlayerSessionId"])["Status"] for p in players] == [
        "ACTIVE", "ACTIVE",
    ]


def test_lowering_below_reservations_keeps_them(gamelift):
    game = create_game(gamelift, max_players=4)
    players = reserve(gamelift, game["GameSessionId"], "a", "b", "c")
    updated = gamelift.update_game_session(
        GameSessionId=game["GameSessionId"], MaximumPlayerSessionCount=0
    )["GameSession"]
    assert (updated["MaximumPlayerSessionCount"], updated["CurrentPlayerSessionCount"]) == (0, 3)
    assert {describe_player(gamelift, p["PlayerSessionId"])["Status"] for p in players} == {
        "RESERVED",
    }
    with expect_error("GameSessionFullException"):
        reserve(gamelift, game["GameSessionId"], "d")


def test_deny_all_refuses_player_sessions_until_accept_all(gamelift):
    game = create_game(gamelift, max_players=4)
    gid = game["GameSessionId"]
    kept = reserve(gamelift, gid, "early")[0]
    denied = gamelift.update_game_session(
        GameSessionId=gid, PlayerSessionCreationPolicy="DENY_ALL"
    )["GameSession"]
    assert denied["PlayerSessionCreationPolicy"] == "DENY_ALL"
    assert describe_game(gamelift, gid)["PlayerSessionCreationPolicy"] == "DENY_ALL"
    # Refused with free slots, by both operations; the existing reservation stays.
    with expect_error("InvalidGameSessionStatusException"):
        gamelift.create_player_session(GameSessionId=gid, PlayerId="late")
    with expect_error("InvalidGameSessionStatusException"):
        reserve(gamelift, gid, "late1", "late2")
    assert describe_player(gamelift, kept["PlayerSessionId"])["Status"] == "RESERVED"
    assert describe_game(gamelift, gid)["CurrentPlayerSessionCount"] == 1

    accepted = gamelift.update_game_session(
        GameSessionId=gid, PlayerSessionCreationPolicy="ACCEPT_ALL"
    )["GameSession"]
    assert accepted["PlayerSessionCreationPolicy"] == "ACCEPT_ALL"
    player = gamelift.create_player_session(GameSessionId=gid, PlayerId="late")["PlayerSession"]
    assert player["Status"] == "RESERVED"


def test_protection_policy_is_reported_by_details(gamelift):
    game = create_game(gamelift)
    gid = game["GameSessionId"]
    assert protection_of(gamelift, gid) == "NoProtection"
    updated = gamelift.update_game_session(
        GameSessionId=gid, ProtectionPolicy="FullProtection"
    )["GameSession"]
    assert "ProtectionPolicy" not in updated  # Not a GameSession member.
    assert updated == game
    assert protection_of(gamelift, gid) == "FullProtection"
    gamelift.update_game_session(GameSessionId=gid, ProtectionPolicy="NoProtection")
    assert protection_of(gamelift, gid) == "NoProtection"


def test_game_properties_are_merged_by_key(gamelift):
    game = create_game(gamelift, GameProperties=[
        {"Key": "mode", "Value": "duel"}, {"Key": "map", "Value": "dust"},
    ])
    gid = game["GameSessionId"]
    updated = gamelift.update_game_session(GameSessionId=gid, GameProperties=[
        {"Key": "map", "Value": "mirage"}, {"Key": "level", "Value": "3"},
    ])["GameSession"]
    expected = [
        {"Key": "mode", "Value": "duel"},
        {"Key": "map", "Value": "mirage"},
        {"Key": "level", "Value": "3"},
    ]
    assert updated["GameProperties"] == expected
    assert describe_game(gamelift, gid)["GameProperties"] == expected
    # An empty list, or none, removes nothing; an empty value is a value like any other.
    assert gamelift.update_game_session(
        GameSessionId=gid, GameProperties=[]
    )["GameSession"]["GameProperties"] == expected
    assert gamelift.update_game_session(
        GameSessionId=gid, Name="renamed"
    )["GameSession"]["GameProperties"] == expected
    cleared = gamelift.update_game_session(
        GameSessionId=gid, GameProperties=[{"Key": "mode", "Value": ""}]
    )["GameSession"]["GameProperties"]
    assert cleared == [{"Key": "mode", "Value": ""}] + expected[1:]


def test_merged_game_properties_are_at_most_16(gamelift):
    base = [{"Key": f"k{i}", "Value": "v"} for i in range(10)]
    game = create_game(gamelift, Name="kept", GameProperties=base)
    gid = game["GameSessionId"]
    with expect_error("InvalidRequestException"):
        gamelift.update_game_session(
            GameSessionId=gid, Name="changed", MaximumPlayerSessionCount=9,
            GameProperties=[{"Key": f"n{i}", "Value": "w"} for i in range(7)],
        )
    # Nothing of the refused request was applied.
    assert describe_game(gamelift, gid) == game
    # Overwritten keys do not count twice: 10 + 6 new = 16 is accepted.
    added = [{"Key": "k0", "Value": "w"}] + [{"Key": f"n{i}", "Value": "w"} for i in range(6)]
    updated = gamelift.update_game_session(GameSessionId=gid, GameProperties=added)["GameSession"]
    assert len(updated["GameProperties"]) == 16
    assert updated["GameProperties"][0] == {"Key": "k0", "Value": "w"}
    with expect_error("InvalidRequestException"):
        gamelift.update_game_session(GameSessionId=gid,
                                     GameProperties=[{"Key": "one-more", "Value": "x"}])
    assert describe_game(gamelift, gid)["GameProperties"] == updated["GameProperties"]


INVALID_UPDATES = {
    "policy-unknown": ({"PlayerSessionCreationPolicy": "ALLOW"}, "playerSessionCreationPolicy"),
    "policy-lower-case": ({"PlayerSessionCreationPolicy": "deny_all"},
                          "playerSessionCreationPolicy"),
    "protection-unknown": ({"ProtectionPolicy": "Full"}, "protectionPolicy"),
    "protection-upper-case": ({"ProtectionPolicy": "FULLPROTECTION"}, "protectionPolicy"),
    "players-negative": ({"MaximumPlayerSessionCount": -1}, "maximumPlayerSessionCount"),
    "players-over-200": ({"MaximumPlayerSessionCount": 201}, "maximumPlayerSessionCount"),
    "name-empty": ({"Name": ""}, "name"),
    "name-1025": ({"Name": "n" * 1025}, "name"),
    "17-properties": ({"GameProperties": [{"Key": f"k{i}", "Value": "v"} for i in range(17)]},
                      "gameProperties"),
    "property-key-33": ({"GameProperties": [{"Key": "k" * 33, "Value": "v"}]}, None),
}


@pytest.mark.parametrize("changes, member", INVALID_UPDATES.values(), ids=INVALID_UPDATES.keys())
def test_invalid_update_is_refused_and_changes_nothing(gamelift, gamelift_unvalidated,
                                                      changes, member):
    game = create_game(gamelift, Name="same")
    with expect_error("InvalidRequestException") as error:
        gamelift_unvalidated.update_game_session(
            GameSessionId=game["GameSessionId"],
            # A valid member beside the invalid one, which must not be applied either.
            **{"PlayerSessionCreationPolicy": "DENY_ALL", **changes},
        )
    if member is not None:
        assert f"'{member}'" in error.value.response["Error"]["Message"], error.value.response
    assert describe_game(gamelift, game["GameSessionId"]) == game
    assert protection_of(gamelift, game["GameSessionId"]) == "NoProtection"


def test_update_needs_a_known_game_session(server, gamelift):
    with expect_error("NotFoundException", MISSING_GAME):
        gamelift.update_game_session(GameSessionId=MISSING_GAME, Name="x")
    with expect_error("InvalidRequestException", "gameSessionId"):
        gamelift.update_game_session(GameSessionId="not an arn!", Name="x")
    body = assert_error_response(
        call(server, {"Name": "x"}, target="GameLift.UpdateGameSession"),
        "InvalidRequestException",
    )
    assert "'gameSessionId'" in body["message"]


@pytest.mark.parametrize("mode", ["FORCE_TERMINATE", "TRIGGER_ON_PROCESS_TERMINATE"])
def test_a_terminated_session_cannot_be_updated(gamelift, mode):
    game = create_game(gamelift, Name="gone")
    _, final = terminate_game(gamelift, game["GameSessionId"], mode)
    for changes in ({"Name": "back"}, {"MaximumPlayerSessionCount": 10},
                    {"PlayerSessionCreationPolicy": "DENY_ALL"},
                    {"ProtectionPolicy": "FullProtection"},
                    {"GameProperties": [{"Key": "k", "Value": "v"}]}):
        with expect_error("InvalidGameSessionStatusException"):
            gamelift.update_game_session(GameSessionId=game["GameSessionId"], **changes)
    assert describe_game(gamelift, game["GameSessionId"]) == final
    assert protection_of(gamelift, game["GameSessionId"]) == "NoProtection"


# ---- TerminateGameSession ----------------------------------------------------------------

REASONS = {"FORCE_TERMINATE": "FORCE_TERMINATED",
           "TRIGGER_ON_PROCESS_TERMINATE": "TRIGGERED_ON_PROCESS_TERMINATE"}


@pytest.mark.parametrize("mode", REASONS.keys())
def test_terminate_ends_the_session_its_players_and_nothing_else(server, gamelift, line_client,
                                                                  mode):
    game = create_game(gamelift, max_players=3, Name="doomed")
    gid = game["GameSessionId"]
    active, reserved = reserve(gamelift, gid, "connected", "waiting")
    client, _ = connect_client(line_client, server, active["PlayerSessionId"])

    other = create_game(gamelift, max_players=2, Name="bystander")
    other_active, other_reserved = reserve(gamelift, other["GameSessionId"], "o1", "o2")
    other_client, other_peer = connect_client(line_client, server,
                                              other_active["PlayerSessionId"])

    answer = gamelift.terminate_game_session(GameSessionId=gid, TerminationMode=mode)[
        "GameSession"
    ]
    assert answer["GameSessionId"] == gid
    assert answer["Status"] in ("TERMINATING", "TERMINATED"), answer
    assert answer["StatusReason"] == REASONS[mode]
    assert answer["Name"] == "doomed"

    # The connected client is closed with 1001 (going away); see
    # test_the_line_client_exits_when_its_game_session_ends for its exit.
    client.expect(r"^closed \(1001 session_ended\)$")

    final = wait_until(
        lambda: (g := describe_game(gamelift, gid))["Status"] == "TERMINATED" and g,
        what="TERMINATED",
    )
    assert final["StatusReason"] == REASONS[mode]
    assert final["CurrentPlayerSessionCount"] == 0
    assert_recent(final["TerminationTime"])
    assert final["TerminationTime"] >= final["CreationTime"]
    assert final["CreationTime"] == game["CreationTime"]

    # Its ACTIVE and RESERVED player sessions completed.
    for player in (active, reserved):
        record = describe_player(gamelift, player["PlayerSessionId"])
        assert record["Status"] == "COMPLETED", record
        assert_recent(record["TerminationTime"])
        assert record["TerminationTime"] >= record["CreationTime"]
    assert login_refused(server, reserved["PlayerSessionId"])

    # No more players, no second termination.
    with expect_error("InvalidGameSessionStatusException"):
        gamelift.create_player_session(GameSessionId=gid, PlayerId="late")
    for again in REASONS:
        with expect_error("InvalidGameSessionStatusException", "TERMINATED"):
            gamelift.terminate_game_session(GameSessionId=gid, TerminationMode=again)
    assert describe_game(gamelift, gid) == final

    # Listed under TERMINATED, not ACTIVE.
    def listed(status):
        return [g["GameSessionId"] for g in gamelift.get_paginator("describe_game_sessions")
                .paginate(FleetId=FLEET_ID, StatusFilter=status).build_full_result()
                ["GameSessions"]]
    assert gid in listed("TERMINATED") and gid not in listed("ACTIVE")
    assert other["GameSessionId"] in listed("ACTIVE")
    assert other["GameSessionId"] not in listed("TERMINATED")

    # The other game session, its players and its client are untouched.
    bystander = describe_game(gamelift, other["GameSessionId"])
    assert bystander == {**other, "CurrentPlayerSessionCount": 2}
    assert describe_player(gamelift, other_active["PlayerSessionId"])["Status"] == "ACTIVE"
    assert describe_player(gamelift, other_reserved["PlayerSessionId"])["Status"] == "RESERVED"
    assert other_client.proc.poll() is None
    other_client.send_line("still playing")  # Echoed to the sender by default.
    other_client.expect(rf"^\[from {other_peer} op 1 group -1 (fast|reliable)\] still playing$")


def test_the_line_client_exits_when_its_game_session_ends(server, gamelift, line_client):
    # client_cli::run: "Runs the client until the input ends, /quit, or the server closes the
    # connection." Its input (a pipe here, a terminal for a person) stays open.
    game = create_game(gamelift)
    player = reserve(gamelift, game["GameSessionId"], "p")[0]
    client, _ = connect_client(line_client, server, player["PlayerSessionId"])
    gamelift.terminate_game_session(GameSessionId=game["GameSessionId"],
                                    TerminationMode="FORCE_TERMINATE")
    client.expect(r"^closed \(1001 session_ended\)$")
    assert client.wait(timeout=1) == 0


def test_terminate_an_empty_session(gamelift):
    game = create_game(gamelift)
    answer, final = terminate_game(gamelift, game["GameSessionId"], "TRIGGER_ON_PROCESS_TERMINATE")
    assert answer["Status"] in ("TERMINATING", "TERMINATED")
    assert final["StatusReason"] == "TRIGGERED_ON_PROCESS_TERMINATE"
    assert final["Status"] == "TERMINATED"
    assert_recent(final["TerminationTime"])
    assert final == {**game, "Status": "TERMINATED",
                     "StatusReason": "TRIGGERED_ON_PROCESS_TERMINATE",
                     "TerminationTime": final["TerminationTime"]}


@pytest.mark.parametrize(
    "body, member",
    [
        ({}, "terminationMode"),
        ({"TerminationMode": None}, "terminationMode"),
        ({"TerminationMode": "NOW"}, "terminationMode"),
        ({"TerminationMode": "force_terminate"}, "terminationMode"),
        ({"TerminationMode": ""}, "terminationMode"),
    ],
    ids=["missing", "null", "unknown", "lower-case", "empty"],
)
def test_terminate_needs_a_valid_mode(server, gamelift, body, member):
    game = create_game(gamelift)
    response = call(server, {"GameSessionId": game["GameSessionId"], **body},
                    target="GameLift.TerminateGameSession")
    message = assert_error_response(response, "InvalidRequestException")["message"]
    assert f"'{member}'" in message
    assert describe_game(gamelift, game["GameSessionId"]) == game


def test_terminate_needs_a_known_game_session(server, gamelift):
    with expect_error("NotFoundException", MISSING_GAME):
        gamelift.terminate_game_session(GameSessionId=MISSING_GAME,
                                        TerminationMode="FORCE_TERMINATE")
    with expect_error("InvalidRequestException", "gameSessionId"):
        gamelift.terminate_game_session(GameSessionId="not an arn!",
                                        TerminationMode="FORCE_TERMINATE")
    body = assert_error_response(
        call(server, {"TerminationMode": "FORCE_TERMINATE"},
             target="GameLift.TerminateGameSession"),
        "InvalidRequestException",
    )
    assert "'gameSessionId'" in body["message"]


# ---- DescribeGameSessionDetails ----------------------------------------------------------


def test_details_by_id_wrap_the_game_session(gamelift):
    game = create_game(gamelift, Name="detailed", GameProperties=[{"Key": "k", "Value": "v"}])
    response = gamelift.describe_game_session_details(GameSessionId=game["GameSessionId"])
    assert response["GameSessionDetails"] == [
        {"GameSession": game, "ProtectionPolicy": "NoProtection"},
    ]
    assert "NextToken" not in response


def test_details_of_the_fleet_follow_describe_game_sessions(fresh_gamelift):
    client = fresh_gamelift
    games = [create_game(client, Name=f"g{i}")["GameSessionId"] for i in range(4)]
    client.update_game_session(GameSessionId=games[1], ProtectionPolicy="FullProtection")
    terminate_game(client, games[2])
    sessions = client.describe_game_sessions(FleetId=FLEET_ID)["GameSessions"]
    assert sorted(g["GameSessionId"] for g in sessions) == sorted(games)
    protection = {g: "NoProtection" for g in games} | {games[1]: "FullProtection"}
    expected = [{"GameSession": g, "ProtectionPolicy": protection[g["GameSessionId"]]}
                for g in sessions]
    for fleet in (FLEET_ID, FLEET_ARN):
        response = client.describe_game_session_details(FleetId=fleet)
        assert response["GameSessionDetails"] == expected
        assert "NextToken" not in response

    def listed(**filters):
        return [d["GameSession"]["GameSessionId"]
                for d in details(client, FleetId=FLEET_ID, **filters)]

    active = [g["GameSessionId"] for g in sessions if g["GameSessionId"] != games[2]]
    assert listed(StatusFilter="ACTIVE") == active
    assert listed(StatusFilter="active") == active
    assert listed(StatusFilter="TERMINATED") == [games[2]]
    for status in ("ACTIVATING", "TERMINATING", "ERROR"):
        assert listed(StatusFilter=status) == [], status
    assert listed(Location="local") == [g["GameSessionId"] for g in sessions]
    assert listed(Location="local", StatusFilter="TERMINATED") == [games[2]]
    # A terminated session is still described by id, with its protection.
    by_id = details(client, GameSessionId=games[2])
    assert by_id[0]["GameSession"]["Status"] == "TERMINATED"
    assert by_id[0]["ProtectionPolicy"] == "NoProtection"


def test_details_paginator_pages_without_gaps(fresh_gamelift):
    client = fresh_gamelift
    games = [create_game(client)["GameSessionId"] for _ in range(7)]
    for g in games[::2]:
        client.update_game_session(GameSessionId=g, ProtectionPolicy="FullProtection")
    order = [g["GameSessionId"] for g in client.describe_game_sessions(
        FleetId=FLEET_ID)["GameSessions"]]
    pages = list(client.get_paginator("describe_game_session_details").paginate(
        FleetId=FLEET_ID, PaginationConfig={"PageSize": 3}
    ))
    assert [len(p["GameSessionDetails"]) for p in pages] == [3, 3, 1]
    assert ["NextToken" in p for p in pages] == [True, True, False]
    listed = [(d["GameSession"]["GameSessionId"], d["ProtectionPolicy"])
              for p in pages for d in p["GameSessionDetails"]]
    assert [g for g, _ in listed] == order
    assert sorted(listed) == sorted(
        (g, "FullProtection" if i % 2 == 0 else "NoProtection") for i, g in enumerate(games)
    )
    # Default page size 50, capped at 100, as for DescribeGameSessions.
    assert len(details(client, FleetId=FLEET_ID, Limit=1000)) == 7


def test_details_tokens_are_bound_to_their_operation_and_query(gamelift):
    for _ in range(2):
        create_game(gamelift)
    detail_token = gamelift.describe_game_session_details(FleetId=FLEET_ID, Limit=1)["NextToken"]
    session_token = gamelift.describe_game_sessions(FleetId=FLEET_ID, Limit=1)["NextToken"]
    filtered = gamelift.describe_game_session_details(
        FleetId=FLEET_ID, StatusFilter="ACTIVE", Limit=1
    )["NextToken"]
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.describe_game_session_details(FleetId=FLEET_ID, NextToken=session_token)
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.describe_game_sessions(FleetId=FLEET_ID, NextToken=detail_token)
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.describe_game_session_details(FleetId=FLEET_ID, NextToken=filtered)
    with expect_error("InvalidRequestException", "nextToken"):
        gamelift.describe_game_session_details(FleetId=FLEET_ID, NextToken="garbage")
    # Its own token continues.
    assert gamelift.describe_game_session_details(FleetId=FLEET_ID, NextToken=detail_token)


@pytest.mark.parametrize(
    "params, code, message",
    [
        ({}, "InvalidRequestException", None),
        ({"FleetId": FLEET_ID, "AliasId": "alias-1"}, "InvalidRequestException", None),
        ({"FleetId": "fleet-nope"}, "NotFoundException", None),
        ({"AliasId": "alias-1"}, "NotFoundException", None),
        ({"GameSessionId": MISSING_GAME}, "NotFoundException", MISSING_GAME),
        ({"GameSessionId": "not an arn!"}, "InvalidRequestException", "gameSessionId"),
        ({"FleetId": FLEET_ID, "StatusFilter": "RUNNING"}, "InvalidRequestException",
         "statusFilter"),
        ({"FleetId": FLEET_ID, "Location": "us-west-2"}, "InvalidRequestException", None),
        ({"FleetId": FLEET_ID, "Limit": 0}, "InvalidRequestException", "limit"),
    ],
    ids=["neither", "fleet-and-alias", "unknown-fleet", "alias", "unknown-id", "id-pattern",
         "status", "location", "limit-0"],
)
def test_details_errors_match_describe_game_sessions(gamelift_unvalidated, params, code,
                                                     message):
    for operation in ("describe_game_session_details", "describe_game_sessions"):
        with expect_error(code, None if message is None else re.escape(message)):
            getattr(gamelift_unvalidated, operation)(**params)



def test_the_fleet_runs_at_most_max_game_sessions_and_ended_ones_free_their_place(server_factory):
    server = server_factory({"limits": {"max_game_sessions": 2}})
    client = make_client(server)
    first = client.create_game_session(FleetId=FLEET_ID, MaximumPlayerSessionCount=1)
    client.create_game_session(FleetId=FLEET_ID, MaximumPlayerSessionCount=1)
    with expect_error("FleetCapacityExceededException", "no capacity"):
        client.create_game_session(FleetId=FLEET_ID, MaximumPlayerSessionCount=1)
    terminate_game(client, first["GameSession"]["GameSessionId"])
    created = client.create_game_session(FleetId=FLEET_ID, MaximumPlayerSessionCount=1)
    assert created["GameSession"]["Status"] == "ACTIVE"
