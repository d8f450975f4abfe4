"""Player sessions made through the control API used by a real game client (`volley
client`): RESERVED -> ACTIVE on login -> COMPLETED on disconnect (control-api.md §3.4)."""

from conftest import (
    assert_recent,
    connect_client,
    create_game,
    describe_game,
    describe_player,
    login_refused,
    make_client,
    wait_until,
)


def test_a_reserved_player_session_logs_in_plays_and_completes(server, gamelift, line_client):
    game = create_game(gamelift, max_players=2)
    player = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="alice"
    )["PlayerSession"]
    other = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="bob"
    )["PlayerSession"]
    # The game client connects where the record says.
    assert (player["IpAddress"], player["Port"]) == server.ws

    client = line_client(server, player["PlayerSessionId"])
    connected = client.expect(r"^connected as peer (\d+) \(fast port (\d+)\)$")
    assert int(connected.group(1)) >= 1
    assert int(connected.group(2)) == server.udp[1]

    active = describe_player(gamelift, player["PlayerSessionId"])
    assert active["Status"] == "ACTIVE"
    assert "TerminationTime" not in active
    assert active["CreationTime"] == player["CreationTime"]
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 2
    by_status = {
        status: [
            p["PlayerSessionId"]
            for p in gamelift.describe_player_sessions(
                GameSessionId=game["GameSessionId"], PlayerSessionStatusFilter=status
            )["PlayerSessions"]
        ]
        for status in ("RESERVED", "ACTIVE", "COMPLETED")
    }
    assert by_status == {
        "RESERVED": [other["PlayerSessionId"]],
        "ACTIVE": [player["PlayerSessionId"]],
        "COMPLETED": [],
    }

    client.send_line("/quit")
    assert client.wait() == 0
    completed = wait_until(
        lambda: (p := describe_player(gamelift, player["PlayerSessionId"]))["Status"]
        == "COMPLETED" and p,
        what="COMPLETED after /quit",
    )
    assert_recent(completed["TerminationTime"])
    assert completed["TerminationTime"] >= completed["CreationTime"]
    # The slot is free again; the game session lives on.
    after = describe_game(gamelift, game["GameSessionId"])
    assert after["CurrentPlayerSessionCount"] == 1
    assert after["Status"] == "ACTIVE"
    assert describe_player(gamelift, other["PlayerSessionId"])["Status"] == "RESERVED"

    # A player session is good for one login.
    assert login_refused(server, player["PlayerSessionId"])
    assert describe_player(gamelift, player["PlayerSessionId"]) == completed


def test_a_client_closing_its_input_completes_its_player_session(server, gamelift, line_client):
    game = create_game(gamelift, max_players=1)
    player = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["carol"]
    )["PlayerSessions"][0]
    client = line_client(server, player["PlayerSessionId"])
    client.expect(r"^connected as peer \d+")
    client.proc.stdin.close()  # End of input disconnects, like /quit.
    assert client.wait() == 0
    wait_until(
        lambda: describe_player(gamelift, player["PlayerSessionId"])["Status"] == "COMPLETED",
        what="COMPLETED after end of input",
    )
    # The freed slot can be reserved again.
    again = gamelift.create_player_session(GameSessionId=game["GameSessionId"], PlayerId="carol")
    assert again["PlayerSession"]["Status"] == "RESERVED"


def test_an_active_player_session_cannot_log_in_twice(server, gamelift, line_client):
    game = create_game(gamelift)
    player = gamelift.create_player_session(
        GameSessionId=game["GameSessionId"], PlayerId="dave"
    )["PlayerSession"]
    client = line_client(server, player["PlayerSessionId"])
    client.expect(r"^connected as peer \d+")
    assert login_refused(server, player["PlayerSessionId"])
    # The first connection is unaffected.
    assert describe_player(gamelift, player["PlayerSessionId"])["Status"] == "ACTIVE"
    assert client.proc.poll() is None


def test_unknown_player_session_ids_cannot_log_in(server):
    assert login_refused(server, "psess-00000000-0000-4000-8000-000000000000")
    # Outside dev mode a game session name does not open one either.
    assert login_refused(server, "match1/alice")


def test_two_players_of_one_game_session_get_distinct_peers(server, gamelift, line_client):
    game = create_game(gamelift, max_players=2)
    players = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["p1", "p2"]
    )["PlayerSessions"]
    clients, peers = [], []
    for player in players:
        client = line_client(server, player["PlayerSessionId"])
        peers.append(int(client.expect(r"^connected as peer (\d+)").group(1)))
        clients.append(client)
    assert peers[0] != peers[1]
    # Both logins landed in the same game session: a message to all players reaches the other.
    clients[0].send_line("hello from p1")
    clients[1].expect(rf"^\[from {peers[0]} op 1 group -1 (fast|reliable)\] hello from p1$")
    listed = gamelift.describe_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerSessionStatusFilter="ACTIVE"
    )["PlayerSessions"]
    assert sorted(p["PlayerSessionId"] for p in listed) == sorted(
        p["PlayerSessionId"] for p in players
    )


def test_dev_mode_logs_control_api_player_sessions_into_their_game_session(
    server_factory, line_client
):
    server = server_factory(args=["--dev"])
    gamelift = make_client(server)
    game = create_game(gamelift, max_players=2)
    players = gamelift.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["p1", "p2"]
    )["PlayerSessions"]
    # Any other id keeps the dev naming: this one joins the `default` game session.
    lurker, lurker_peer = connect_client(line_client, server, "lurker")
    clients, peers = [], []
    for player in players:
        client, peer = connect_client(line_client, server, player["PlayerSessionId"])
        clients.append(client)
        peers.append(peer)
        assert describe_player(gamelift, player["PlayerSessionId"])["Status"] == "ACTIVE"

    clients[0].send_line("hello from p1")
    clients[1].expect(rf"^\[from {peers[0]} op 1 group -1 (fast|reliable)\] hello from p1$")
    # The lurker is alone in `default`: its own message comes back to it, and nothing of
    # the other game session came before it.
    lurker.send_line("marker")
    lurker.expect(rf"^\[from {lurker_peer} op 1 group -1 (fast|reliable)\] marker$")
    assert not any("hello from p1" in line for line in lurker.stdout.lines), lurker.stdout.lines

    # A known player session keeps its rules: it is good for one login.
    assert login_refused(server, players[0]["PlayerSessionId"])
    clients[1].send_line("/quit")
    assert clients[1].wait() == 0
    wait_until(
        lambda: describe_player(gamelift, players[1]["PlayerSessionId"])["Status"]
        == "COMPLETED",
        what="COMPLETED after /quit",
    )
    assert describe_game(gamelift, game["GameSessionId"])["CurrentPlayerSessionCount"] == 1
