"""The fleet as one view, whichever host is asked: three hosts in two locations sharing a
real `redis-server`, seen through ListLocations, DescribeFleetLocation*, the fleet-wide
DescribeFleetCapacity and DescribeFleetUtilization, `volley status` and /metrics; and a
server without a fleet store as a fleet of one."""

import shutil
import subprocess

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)

from conftest import (
    ACCESS_KEY,
    CLI_TIMEOUT,
    FLEET_ARN,
    FLEET_ID,
    REGION,
    SECRET,
    VOLLEY_BIN,
    call,
    connect_client,
    create_game,
    expect_error,
    make_client,
    send,
    wait_until,
)
from test_fleet import fleet, redis  # noqa: F401

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)

EAST = "us-east-1"
AMS = "custom-ams-1"
AMS_ARN = f"arn:aws:gamelift:local::location/{AMS}"


@pytest.fixture
def three(fleet):  # noqa: F811 - the fixture imported above
    """host-a in us-east-1 (room for 2), host-b and host-c in custom-ams-1 (3 and 1)."""
    return (
        fleet("host-a", location=EAST, max_game_sessions=2),
        fleet("host-b", location=AMS, max_game_sessions=3),
        fleet("host-c", location=AMS, max_game_sessions=1),
    )


def counts(client, **params):
    """DescribeFleetCapacity's one item's instance counts (or the location's)."""
    if "Location" in params:
        item = client.describe_fleet_location_capacity(FleetId=FLEET_ID, **params)[
            "FleetCapacity"]
    else:
        [item] = client.describe_fleet_capacity(FleetIds=[FLEET_ID])["FleetCapacity"]
    assert item["FleetId"] == FLEET_ID and item["FleetArn"] == FLEET_ARN, item
    return item["InstanceCounts"]


def use(client, **params):
    """DescribeFleetUtilization's one item (or the location's)."""
    if "Location" in params:
        return client.describe_fleet_location_utilization(FleetId=FLEET_ID, **params)[
            "FleetUtilization"]
    [item] = client.describe_fleet_utilization(FleetIds=[FLEET_ID])["FleetUtilization"]
    return item


def instances(desired, active, idle, terminating):
    return {"DESIRED": desired, "MINIMUM": desired, "MAXIMUM": desired, "PENDING": 0,
            "ACTIVE": active, "IDLE": idle, "TERMINATING": terminating}


def scrape(server):
    request = AWSRequest(method="GET", url=server.control_url + "/metrics", data=b"")
    SigV4Auth(Credentials(ACCESS_KEY, SECRET), "gamelift", REGION).add_auth(request)
    response = send(server, dict(request.headers.items()), b"", method="GET", path="/metrics")
    assert response.status == 200, response.body
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in parse_openmetrics(response.body.decode())
            for s in family.samples}


def status(server, *args):
    return subprocess.run(
        [str(VOLLEY_BIN), "status", "--endpoint", server.control_url,
         "--access-key-id", ACCESS_KEY, "--secret-access-key", SECRET, *args],
        capture_output=True, text=True, timeout=CLI_TIMEOUT, check=True,
    ).stdout


def test_the_fleets_locations_are_its_hosts_whichever_host_is_asked(three):
    a, b, c = three
    for host in three:
        client = make_client(host)
        assert client.list_locations()["Locations"] == [
            {"LocationName": AMS, "LocationArn": AMS_ARN}, {"LocationName": EAST}]
        attributes = client.describe_fleet_location_attributes(FleetId=FLEET_ID)
        assert attributes["FleetId"] == FLEET_ID and attributes["FleetArn"] == FLEET_ARN
        assert [x["LocationState"] for x in attributes["LocationAttributes"]] == [
            {"Location": AMS, "Status": "ACTIVE"}, {"Location": EAST, "Status": "ACTIVE"}]
    client = make_client(b)
    assert client.list_locations(Filters=["AWS"])["Locations"] == [{"LocationName": EAST}]
    assert [x["LocationName"] for x in client.list_locations(Filters=["CUSTOM"])["Locations"]
            ] == [AMS]
    first = client.list_locations(Limit=1)
    assert [x["LocationName"] for x in first["Locations"]] == [AMS]
    rest = client.list_locations(Limit=1, NextToken=first["NextToken"])
    assert [x["LocationName"] for x in rest["Locations"]] == [EAST] and "NextToken" not in rest
    pages = client.get_paginator("list_locations").paginate(PaginationConfig={"PageSize": 1})
    assert [x["LocationName"] for page in pages for x in page["Locations"]] == [AMS, EAST]
    # Named locations the fleet lacks are left out; another fleet is not found.
    only = client.describe_fleet_location_attributes(
        FleetId=FLEET_ARN, Locations=[EAST, "eu-west-9"])["LocationAttributes"]
    assert [x["LocationState"]["Location"] for x in only] == [EAST]
    with expect_error("NotFoundException"):
        client.describe_fleet_location_attributes(FleetId="fleet-other")
    with expect_error("InvalidRequestException", "eu-west-9"):
        client.describe_fleet_location_capacity(FleetId=FLEET_ID, Location="eu-west-9")
    with expect_error("InvalidRequestException"):
        client.list_locations(Limit=201)


def test_a_game_session_in_a_location_is_placed_on_a_host_there(three):
    a, b, c = three
    through_a = make_client(a)
    in_ams = [create_game(through_a, Location=AMS) for _ in range(2)]
    assert all(g["Location"] == AMS and g["Status"] == "ACTIVE" for g in in_ams), in_ams
    assert {g["Port"] for g in in_ams} <= {b.ws[1], c.ws[1]}, (in_ams, b.ws, c.ws)
    in_east = create_game(make_client(c), Location=EAST)
    assert in_east["Location"] == EAST and in_east["Port"] == a.ws[1], in_east
    # Without one, the answering host's own location.
    assert create_game(make_client(b))["Port"] in {b.ws[1], c.ws[1]}
    with expect_error("InvalidRequestException", "eu-west-9 is not a location"):
        create_game(through_a, Location="eu-west-9")
    found = make_client(c).describe_game_sessions(FleetId=FLEET_ID, Location=AMS)
    assert len(found["GameSessions"]) == 3


def test_capacity_and_use_add_up_over_hosts_and_a_draining_host_is_terminating(
        three, line_client):
    a, b, c = three
    client = make_client(b)
    assert counts(client) == instances(3, 3, 3, 0)
    assert use(client)["ActiveServerProcessCount"] == 6
    east = create_game(client, max_players=5, Location=EAST)
    ams = [create_game(client, max_players=4, Location=AMS) for _ in range(2)]
    used = {g["Port"] for g in [east, *ams]}
    player = client.create_player_session(
        GameSessionId=ams[0]["GameSessionId"], PlayerId="p1")["PlayerSession"]
    for host in three:
        asked = make_client(host)
        assert counts(asked) == instances(3, 3, 3 - len(used), 0)
        whole = use(asked)
        assert whole["FleetId"] == FLEET_ID and whole["Location"] == host.config[
            "fleet"]["location"], whole
        assert (whole["ActiveGameSessionCount"], whole["ActiveServerProcessCount"],
                whole["CurrentPlayerSessionCount"], whole["MaximumPlayerSessionCount"]
                ) == (3, 6, 1, 13), whole
    assert counts(client, Location=EAST) == instances(1, 1, 0, 0)
    assert counts(client, Location=AMS) == instances(2, 2, 2 - len(used - {a.ws[1]}), 0)
    east_use = use(client, Location=EAST)
    assert (east_use["Location"], east_use["ActiveGameSessionCount"],
            east_use["ActiveServerProcessCount"], east_use["MaximumPlayerSessionCount"]
            ) == (EAST, 1, 2, 5), east_use
    ams_use = use(client, Location=AMS)
    assert (ams_use["ActiveGameSessionCount"], ams_use["ActiveServerProcessCount"],
            ams_use["CurrentPlayerSessionCount"]) == (2, 4, 1), ams_use

    # The host holding the player drains; its game session keeps it alive meanwhile.
    holder = next(h for h in (b, c) if h.ws[1] == ams[0]["Port"])
    other = c if holder is b else b
    connect_client(line_client, holder, player["PlayerSessionId"])
    assert call(holder, {}, target="Volley.StartDrain").status == 200
    wait_until(lambda: counts(client)["TERMINATING"] == 1, what="the drain seen in the store")
    assert counts(client)["ACTIVE"] == 2
    assert counts(client, Location=AMS)["TERMINATING"] == 1
    # The draining host's free processes are gone (and its empty game sessions end); the
    # other host's stay.
    free_elsewhere = other.config["limits"]["max_game_sessions"] - sum(
        1 for g in ams if g["Port"] == other.ws[1])
    ams_use = use(client, Location=AMS)
    assert ams_use["ActiveServerProcessCount"] == (
        ams_use["ActiveGameSessionCount"] + free_elsewhere), ams_use
    states = make_client(a).describe_fleet_location_attributes(FleetId=FLEET_ID)
    assert [x["LocationState"]["Status"] for x in states["LocationAttributes"]] == [
        "ACTIVE", "ACTIVE"]
    [attributes] = client.describe_fleet_attributes()["FleetAttributes"]
    assert attributes["Status"] == "ACTIVE"

    # `volley status` shows the hosts and locations, and /metrics this host's view.
    text = status(a)
    for host in three:
        assert host.config["fleet"]["host_id"] in text, text
    assert f"3 hosts in 2 locations ({AMS}, {EAST})" in text, text
    assert "draining" in text, text
    wait_until(lambda: scrape(a)[("volley_fleet_hosts", (("state", "draining"),))] == 1,
               what="the drain in host-a's gauges")
    samples = scrape(a)
    assert samples[("volley_fleet_hosts", (("state", "active"),))] == 2
    assert samples[("volley_fleet_store_up", ())] == 1
    assert samples[("volley_fleet_store_errors_total", (("task", "heartbeat"),))] == 0
    holder.stopped = True  # Ends by itself once its player is gone.


def test_a_server_without_a_fleet_store_is_a_fleet_of_one(server_factory):
    server = server_factory({"limits": {"max_game_sessions": 2}})
    client = make_client(server)
    assert client.list_locations()["Locations"] == [{"LocationName": "local"}]
    assert client.list_locations(Filters=["CUSTOM"])["Locations"] == []
    state = client.describe_fleet_location_attributes(FleetId=FLEET_ID)["LocationAttributes"]
    assert state == [{"LocationState": {"Location": "local", "Status": "ACTIVE"}}]
    create_game(client, max_players=3)
    assert counts(client, Location="local") == counts(client) == instances(1, 1, 0, 0)
    here = use(client, Location="local")
    assert here == use(client), here
    assert (here["ActiveGameSessionCount"], here["ActiveServerProcessCount"],
            here["MaximumPlayerSessionCount"]) == (1, 2, 3), here
    with expect_error("InvalidRequestException", "elsewhere is not a location"):
        client.describe_fleet_location_utilization(FleetId=FLEET_ID, Location="elsewhere")
    text = status(server)
    assert "1 host in 1 location (local)" in text, text
    samples = scrape(server)
    assert samples[("volley_fleet_store_up", ())] == 0
    assert samples[("volley_fleet_hosts", (("state", "active"),))] == 0
