"""Game session queues and placements on one host (README "Queues and placements"): boto3
and the AWS CLI create queues, start placements and poll them to FULFILLED, and game clients
connect with what DescribeGameSessionPlacement returned."""

import hashlib
import hmac
import http.server
import json
import queue as queues
import threading
import time
import uuid

import pytest

from conftest import (
    FLEET_ID,
    aws_cli,
    connect_client,
    describe_game,
    describe_player,
    expect_error,
    make_client,
    wait_until,
)

# The fleet's ARNs name its configured region, "local" in the tests.
FLEET_ARN = f"arn:aws:gamelift:local::fleet/{FLEET_ID}"


def new_queue(client, name=None, **params):
    name = name or f"q-{uuid.uuid4().hex[:12]}"
    params.setdefault("Destinations", [{"DestinationArn": FLEET_ARN}])
    return client.create_game_session_queue(Name=name, **params)["GameSessionQueue"]


def start(client, queue, max_players=4, players=(), placement_id=None, **params):
    placement_id = placement_id or f"p-{uuid.uuid4().hex}"
    return client.start_game_session_placement(
        PlacementId=placement_id,
        GameSessionQueueName=queue,
        MaximumPlayerSessionCount=max_players,
        DesiredPlayerSessions=[{"PlayerId": p, "PlayerData": f"data of {p}"} for p in players],
        **params,
    )["GameSessionPlacement"]


def settled(client, placement_id, timeout=10.0):
    """Polls DescribeGameSessionPlacement, as a GameLift backend does, until it leaves
    PENDING."""
    return wait_until(
        lambda: (p := client.describe_game_session_placement(
            PlacementId=placement_id)["GameSessionPlacement"])["Status"] != "PENDING" and p,
        timeout=timeout, what=f"placement {placement_id} settled")


def test_queues_are_created_described_updated_and_deleted(fresh_gamelift):
    client = fresh_gamelift
    queue = new_queue(
        client, name="main",
        TimeoutInSeconds=30,
        PlayerLatencyPolicies=[{"MaximumIndividualPlayerLatencyMilliseconds": 100,
                                "PolicyDurationSeconds": 5},
                               {"MaximumIndividualPlayerLatencyMilliseconds": 200}],
        FilterConfiguration={"AllowedLocations": ["local"]},
        PriorityConfiguration={"PriorityOrder": ["LOCATION", "LATENCY"],
                               "LocationOrder": ["local"]},
        CustomEventData="studio data",
        NotificationTarget="arn:aws:sns:us-east-1:111122223333:placements",
        Tags=[{"Key": "team", "Value": "core"}],
    )
    assert queue["GameSessionQueueArn"] == f"arn:aws:gamelift:local::gamesessionqueue/main"
    assert queue["TimeoutInSeconds"] == 30 and queue["CustomEventData"] == "studio data"
    assert queue["Destinations"] == [{"DestinationArn": FLEET_ARN}]
    new_queue(client, name="other")
    assert new_queue(client, name="defaults")["TimeoutInSeconds"] == 600
    with expect_error("InvalidRequestException"):
        new_queue(client, name="main")

    everything = client.describe_game_session_queues()["GameSessionQueues"]
    assert [q["Name"] for q in everything] == ["defaults", "main", "other"]
    by_arn = client.describe_game_session_queues(
        Names=[queue["GameSessionQueueArn"], "missing"])["GameSessionQueues"]
    assert by_arn == [queue]
    pages = client.get_paginator("describe_game_session_queues").paginate(
        PaginationConfig={"PageSize": 2})
    assert [q["Name"] for page in pages for q in page["GameSessionQueues"]] == [
        "defaults", "main", "other"]

    updated = client.update_game_session_queue(
        Name=queue["GameSessionQueueArn"], TimeoutInSeconds=60, PlayerLatencyPolicies=[],
        NotificationTarget="")["GameSessionQueue"]
    assert updated["TimeoutInSeconds"] == 60 and updated["PlayerLatencyPolicies"] == []
    assert "NotificationTarget" not in updated and updated["CustomEventData"] == "studio data"

    client.delete_game_session_queue(Name="other")
    with expect_error("NotFoundException"):
        client.delete_game_session_queue(Name="other")
    with expect_error("NotFoundException"):
        client.update_game_session_queue(Name="other", TimeoutInSeconds=60)


def test_queue_settings_are_validated(gamelift):
    client = gamelift
    for bad in [
        {"TimeoutInSeconds": 5},
        {"PlayerLatencyPolicies": [{"PolicyDurationSeconds": 5}]},
        {"PriorityConfiguration": {"PriorityOrder": ["COST", "COST"]}},
        {"FilterConfiguration": {"AllowedLocations": ["not a location"]}},
        {"NotificationTarget": "https://example.com/hook"},
    ]:
        with expect_error("InvalidRequestException"):
            new_queue(client, **bad)
    # A destination must be this fleet or one of its aliases.
    with expect_error("NotFoundException"):
        new_queue(client, Destinations=[
            {"DestinationArn": f"arn:aws:gamelift:local::fleet/fleet-elsewhere"}])
    with expect_error("NotFoundException"):
        new_queue(client, Destinations=[
            {"DestinationArn": f"arn:aws:gamelift:local::alias/alias-nope"}])


def test_a_placement_is_fulfilled_and_its_players_connect(gamelift, server, line_client):
    client = gamelift
    queue = new_queue(client)
    placement = start(
        client, queue["Name"], players=["alice", "bob"],
        GameSessionName="arena", GameProperties=[{"Key": "mode", "Value": "duel"}],
        GameSessionData="map=1",
        PlayerLatencies=[{"PlayerId": "alice", "RegionIdentifier": "local",
                          "LatencyInMilliseconds": 20.5}])
    assert placement["Status"] == "PENDING", placement
    assert "DesiredPlayerSessions" not in placement
    done = settled(client, placement["PlacementId"])
    assert done["Status"] == "FULFILLED", done
    game_id = done["GameSessionId"]
    assert done["GameSessionArn"] == game_id
    assert game_id == f"arn:aws:gamelift:local::gamesession/{FLEET_ID}/{placement['PlacementId']}"
    assert done["GameSessionRegion"] == "local"
    assert (done["IpAddress"], done["Port"]) == (server.ws[0], server.ws[1])
    assert done["EndTime"] >= done["StartTime"]
    assert done["PlayerLatencies"][0]["LatencyInMilliseconds"] == 20.5
    placed = {p["PlayerId"]: p["PlayerSessionId"] for p in done["PlacedPlayerSessions"]}
    assert list(placed) == ["alice", "bob"], done

    game = describe_game(client, game_id)
    assert (game["Name"], game["Status"], game["MaximumPlayerSessionCount"]) == (
        "arena", "ACTIVE", 4)
    assert game["GameProperties"] == [{"Key": "mode", "Value": "duel"}]
    assert game["GameSessionData"] == "map=1"
    assert describe_player(client, placed["bob"])["PlayerData"] == "data of bob"

    # Game clients log in with what the placement returned, and play.
    alice, _ = connect_client(line_client, server, placed["alice"])
    bob, bob_peer = connect_client(line_client, server, placed["bob"])
    alice.send_line(f"send {bob_peer} 1 hello")
    bob.expect(r"hello")
    assert describe_player(client, placed["alice"])["Status"] == "ACTIVE"

    # Stopping a fulfilled placement changes nothing.
    stopped = client.stop_game_session_placement(
        PlacementId=placement["PlacementId"])["GameSessionPlacement"]
    assert stopped["Status"] == "FULFILLED"


def test_placement_ids_are_unique_and_unknown_ones_are_not_found(gamelift):
    client = gamelift
    queue = new_queue(client)
    placement = start(client, queue["Name"])
    with expect_error("InvalidRequestException"):
        start(client, queue["Name"], placement_id=placement["PlacementId"])
    for call in (client.describe_game_session_placement, client.stop_game_session_placement):
        with expect_error("NotFoundException"):
            call(PlacementId="never-started")
    with expect_error("NotFoundException"):
        start(client, "no-such-queue")
    with expect_error("InvalidRequestException"):
        start(client, queue["Name"], max_players=1, players=["a", "b"])


def test_a_placement_without_room_waits_can_be_stopped_and_times_out(server_factory):
    server = server_factory({"limits": {"max_game_sessions": 1}})
    client = make_client(server)
    queue = new_queue(client, TimeoutInSeconds=10)
    first = settled(client, start(client, queue["Name"])["PlacementId"])
    assert first["Status"] == "FULFILLED"
    # The fleet is full: the next ones wait.
    waiting = start(client, queue["Name"])
    stopped = start(client, queue["Name"])
    cancelled = client.stop_game_session_placement(
        PlacementId=stopped["PlacementId"])["GameSessionPlacement"]
    assert cancelled["Status"] == "CANCELLED" and "EndTime" in cancelled
    assert client.describe_game_session_placement(
        PlacementId=waiting["PlacementId"])["GameSessionPlacement"]["Status"] == "PENDING"
    timed_out = settled(client, waiting["PlacementId"], timeout=15)
    assert timed_out["Status"] == "TIMED_OUT", timed_out
    assert "GameSessionId" not in timed_out
    # Room again: a waiting placement takes it on its next try.
    again = start(client, queue["Name"])
    client.terminate_game_session(GameSessionId=first["GameSessionId"],
                                  TerminationMode="FORCE_TERMINATE")
    assert settled(client, again["PlacementId"])["Status"] == "FULFILLED"


def test_a_placement_whose_queue_is_gone_or_elsewhere_fails(server_factory):
    server = server_factory({"limits": {"max_game_sessions": 0}})
    client = make_client(server)
    queue = new_queue(client)
    waiting = start(client, queue["Name"])
    client.delete_game_session_queue(Name=queue["Name"])
    assert settled(client, waiting["PlacementId"])["Status"] == "FAILED"
    # An alias that became terminal is no destination of this fleet.
    alias = client.create_alias(
        Name="a", RoutingStrategy={"Type": "SIMPLE", "FleetId": FLEET_ID})["Alias"]
    via_alias = new_queue(client, Destinations=[{"DestinationArn": alias["AliasArn"]}])
    client.update_alias(AliasId=alias["AliasId"],
                        RoutingStrategy={"Type": "TERMINAL", "Message": "closed"})
    failed = settled(client, start(client, via_alias["Name"])["PlacementId"])
    assert failed["Status"] == "FAILED"


def test_queues_survive_a_restart_on_the_same_data_directory(server_factory, tmp_path):
    data = tmp_path / "kept"
    first = server_factory({"scripts": {"data_dir": str(data)}})
    new_queue(make_client(first), name="kept", TimeoutInSeconds=42)
    first.stop()
    second = server_factory({"scripts": {"data_dir": str(data)}})
    queues = make_client(second).describe_game_session_queues()["GameSessionQueues"]
    assert [(q["Name"], q["TimeoutInSeconds"]) for q in queues] == [("kept", 42)]


def test_the_aws_cli_drives_queues_and_placements(server):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    made = aws_cli(server, "create-game-session-queue", "--name", name,
                   "--destinations", f"DestinationArn={FLEET_ARN}")
    assert made.returncode == 0, made.stderr
    placement_id = f"cli-{uuid.uuid4().hex}"
    started = aws_cli(server, "start-game-session-placement", "--placement-id", placement_id,
                      "--game-session-queue-name", name,
                      "--maximum-player-session-count", "2",
                      "--desired-player-sessions", "PlayerId=p1")
    assert started.returncode == 0, started.stderr
    assert started.json()["GameSessionPlacement"]["Status"] == "PENDING"

    def described():
        done = aws_cli(server, "describe-game-session-placement",
                       "--placement-id", placement_id)
        assert done.returncode == 0, done.stderr
        placement = done.json()["GameSessionPlacement"]
        return placement["Status"] != "PENDING" and placement

    placement = wait_until(described, timeout=10, what="the CLI sees the placement settle")
    assert placement["Status"] == "FULFILLED", placement
    assert placement["PlacedPlayerSessions"][0]["PlayerId"] == "p1"


class Webhook:
    """An HTTP receiver on a free loopback port: every POST's path, headers and body, in
    arrival order, answered 204."""

    def __init__(self):
        received = self.received = queues.Queue()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.put((self.path, self.headers, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout=10.0):
        return self.received.get(timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    receiver = Webhook()
    yield receiver
    receiver.close()


SECRET = b"whsec_placements"
TOPIC = "arn:aws:sns:us-east-1:111122223333:placements"


def verified(headers, body):
    """The event, once its X-Volley-Signature checks out against SECRET."""
    fields = dict(part.split("=", 1) for part in headers["X-Volley-Signature"].split(","))
    assert abs(time.time() - int(fields["t"])) < 60, fields
    expected = hmac.new(SECRET, fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"]), "the signature does not match"
    event = json.loads(body)
    assert headers["X-Volley-Event-Id"] == event["id"]
    return event


def test_placement_events_reach_the_webhooks_signed(server_factory, webhook):
    server = server_factory({"events": {
        "webhook": f"{webhook.url}/default",
        "targets": {TOPIC: f"{webhook.url}/by-topic"},
        "secret": SECRET.decode(),
    }, "limits": {"max_game_sessions": 1}})
    client = make_client(server)
    mapped = new_queue(client, NotificationTarget=TOPIC, CustomEventData="from the studio")
    placement = start(client, mapped["Name"], players=["alice"])
    path, headers, body = webhook.next()
    assert path == "/by-topic"
    event = verified(headers, body)
    assert (event["source"], event["detail-type"]) == ("aws.gamelift",
                                                       "GameLift Queue Placement Event")
    assert event["resources"] == [mapped["GameSessionQueueArn"]]
    detail = event["detail"]
    done = client.describe_game_session_placement(
        PlacementId=placement["PlacementId"])["GameSessionPlacement"]
    assert detail["type"] == "PlacementFulfilled" and done["Status"] == "FULFILLED"
    assert detail["placementId"] == placement["PlacementId"]
    assert detail["gameSessionArn"] == done["GameSessionArn"]
    assert (detail["ipAddress"], detail["port"]) == (done["IpAddress"], str(done["Port"]))
    assert detail["placedPlayerSessions"] == [
        {"playerId": "alice",
         "playerSessionId": done["PlacedPlayerSessions"][0]["PlayerSessionId"]}]
    assert detail["customEventData"] == "from the studio"
    assert detail["startTime"].endswith("Z") and detail["endTime"] >= detail["startTime"]

    # A queue without a target: its events go to the default webhook. The fleet is full, so
    # the placement waits until it is stopped.
    plain = new_queue(client)
    waiting = start(client, plain["Name"])
    client.stop_game_session_placement(PlacementId=waiting["PlacementId"])
    path, headers, body = webhook.next()
    assert path == "/default"
    event = verified(headers, body)
    assert event["detail"]["type"] == "PlacementCancelled"
    assert event["detail"]["placementId"] == waiting["PlacementId"]
    assert "customEventData" not in event["detail"]
