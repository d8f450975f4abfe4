"""Reservations that no client uses time out and free their slot (control-api.md §3.4),
with `reservation_timeout_secs = 1`; ended records are forgotten after `retention_secs`."""

import datetime
import time

import pytest

from conftest import (
    create_game,
    describe_game,
    describe_player,
    expect_error,
    login_refused,
    make_client,
    wait_until,
)

VOLLEY_CONFIG = {"sessions": {"reservation_timeout_secs": 1}}
TIMEOUT = datetime.timedelta(seconds=1)


def test_an_unused_reservation_times_out_and_frees_its_slot(server, gamelift):
    game = create_game(gamelift, max_players=1)
    started = time.monotonic()
    player = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="late"
    )["PlayerSession"]
    first = describe_player(gamelift, player["PlayerSessionId"])
    if time.monotonic() - started < 0.5:  # Only meaningful well before the deadline.
        assert first["Status"] == "RESERVED"
        with expect_error("GameSessionFullException"):
            gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId="x")

    timed_out = wait_until(
        lambda: (p := describe_player(gamelift, player["PlayerSessionId"]))["Status"]
        == "TIMEDOUT" and p,
        timeout=6.0,
        what="TIMEDOUT",
    )
    assert time.monotonic() - started >= 0.9
    # It ended at its deadline: creation time plus the reservation timeout.
    ended_after = timed_out["TerminationTime"] - timed_out["CreationTime"]
    assert abs(ended_after - TIMEOUT) <= datetime.timedelta(milliseconds=5), ended_after
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 0
    listed = gamelift.describe_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerSessionStatusFilter="TIMEDOUT"
    )["PlayerSessions"]
    assert listed == [timed_out]

    # The slot is free again, and the expired id cannot log in.
    again = gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId="next")
    assert again["PlayerSession"]["Status"] == "RESERVED"
    assert login_refused(server, player["PlayerSessionId"])
    assert describe_player(gamelift, player["PlayerSessionId"]) == timed_out


def test_a_batch_of_reservations_times_out_together(server, gamelift):
    game = create_game(gamelift, max_players=3)
    players = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["a", "b", "c"]
    )["PlayerSessions"]

    def statuses():
        listed = gamelift.describe_player_sessions(GameSessionId=game["GameSessionId"])
        return {p["PlayerSessionId"]: p["Status"] for p in listed["PlayerSessions"]}

    wait_until(
        lambda: set(statuses().values()) == {"TIMEDOUT"}, timeout=6.0, what="all TIMEDOUT"
    )
    assert set(statuses()) == {p["PlayerSessionId"] for p in players}
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 0
    refill = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["d", "e", "f"]
    )
    assert len(refill["PlayerSessions"]) == 3


def test_a_login_in_time_is_not_timed_out(server, gamelift, line_client):
    game = create_game(gamelift, max_players=1)
    player = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="quick"
    )["PlayerSession"]
    client = line_client(server, player["PlayerSessionId"])
    client.expect(r"^connected as peer \d+")
    # Well past the reservation timeout, the session is still ACTIVE and holds its slot.
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        assert describe_player(gamelift, player["PlayerSessionId"])["Status"] == "ACTIVE"
        time.sleep(0.1)
    with expect_error("GameSessionFullException"):
        gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId="other")


def test_ended_player_sessions_are_forgotten_after_the_retention(server_factory):
    server = server_factory({"sessions": {"reservation_timeout_secs": 1, "retention_secs": 1}})
    client = make_client(server)
    game = create_game(client, max_players=1)
    player = client.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="gone"
    )["PlayerSession"]

    def forgotten():
        try:
            describe_player(client, player["PlayerSessionId"])
        except client.exceptions.NotFoundException:
            return True
        return False

    wait_until(forgotten, timeout=8.0, what="player session forgotten")
    listed = client.describe_player_sessions(GameSessionId=game["GameSessionId"])
    assert listed["PlayerSessions"] == []
    assert describe_game(client, game["GameSessionId"])["CurrentPlayerSessionCount"] == 0
    assert login_refused(server, player["PlayerSessionId"])


def test_a_describe_after_the_deadline_never_shows_a_stale_reservation(server, gamelift):
    game = create_game(gamelift, max_players=1)
    player = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="stale"
    )["PlayerSession"]
    deadline = player["CreationTime"] + TIMEOUT + datetime.timedelta(milliseconds=20)
    wait_until(
        lambda: datetime.datetime.now(datetime.timezone.utc) >= deadline,
        timeout=3.0, interval=0.01, what="the reservation deadline",
    )
    assert describe_player(gamelift, player["PlayerSessionId"])["Status"] == "TIMEDOUT"
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 0
