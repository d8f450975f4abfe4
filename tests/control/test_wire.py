"""The AWS JSON 1.1 framing of the control API, with raw signed requests
(control-api.md §1.2-§1.5): routing by X-Amz-Target, response headers, the error shape,
JSON value encoding and SerializationException."""

import email.utils
import http.client
import json
import re
import socket
import time

import pytest

from conftest import (
    FLEET_ID,
    REQUEST_TIMEOUT,
    UUID_RE,
    assert_error_response,
    call,
    create_game,
    send,
    sign,
)

CREATE = "GameLift.CreateGameSession"


def test_success_carries_content_type_request_id_and_date(server, gamelift):
    first = call(server, {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": 2}, target=CREATE)
    second = call(server, {"FleetId": FLEET_ID}, target="GameLift.DescribeGameSessions")
    for response in (first, second):
        assert response.status == 200, response.body
        assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
        assert re.fullmatch(UUID_RE, response.headers["x-amzn-RequestId"]), response.headers
        sent = email.utils.parsedate_to_datetime(response.headers["Date"])
        assert abs(sent.timestamp() - time.time()) < 10
        assert "x-amzn-ErrorType" not in response.headers
    assert first.headers["x-amzn-RequestId"] != second.headers["x-amzn-RequestId"]
    assert "GameSession" in first.json() and "GameSessions" in second.json()

    # boto3 surfaces the header as the request id.
    metadata = gamelift.describe_game_sessions(FleetId=FLEET_ID)["ResponseMetadata"]
    assert re.fullmatch(UUID_RE, metadata["RequestId"]), metadata


@pytest.mark.parametrize(
    "target",
    ["GameLift.NoSuchThing", None, "GameLift.", "gamelift.CreateGameSession",
     "GameLift.createGameSession", "Other.CreateGameSession"],
    ids=["unknown", "missing", "empty-operation", "prefix-case", "operation-case", "prefix"],
)
def test_unknown_or_missing_target_is_an_unknown_operation(server, target):
    response = call(server, {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": 1}, target=target)
    assert_error_response(response, "UnknownOperationException")


def test_error_reaches_boto3_with_code_and_message(gamelift):
    missing = "arn:aws:gamelift:local::gamesession/fleet-local/nope"
    try:
        gamelift.describe_game_sessions(GameSessionId=missing)
    except gamelift.exceptions.NotFoundException as error:
        assert error.response["Error"]["Code"] == "NotFoundException"
        assert missing in error.response["Error"]["Message"]
        assert re.fullmatch(UUID_RE, error.response["ResponseMetadata"]["RequestId"])
    else:
        pytest.fail("no NotFoundException")


def test_methods_other_than_post_are_refused_with_a_json_error(server):
    headers, _ = sign(server, {})
    for method in ("GET", "PUT", "DELETE"):
        response = send(server, headers, b"", method=method)
        assert response.status in (404, 405), (method, response.status)
        assert response.headers["x-amzn-ErrorType"] == response.json()["__type"]


def test_any_path_reaches_the_api(server, gamelift):
    # The signature covers the path as received (control-api.md §1.2).
    for path in ("/gl", "/gl/", "/a/b/c"):
        response = call(
            server, {"FleetId": FLEET_ID}, target="GameLift.DescribeGameSessions", path=path
        )
        assert response.status == 200, (path, response.body)


@pytest.mark.parametrize(
    "content_type",
    ["application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json"],
)
def test_json_content_types_are_accepted(server, content_type):
    response = call(
        server,
        {"FleetId": FLEET_ID},
        target="GameLift.DescribeGameSessions",
        headers={"Content-Type": content_type},
    )
    assert response.status == 200, response.body


def test_persistent_connections_serve_several_requests(server):
    connection = http.client.HTTPConnection(*server.control, timeout=10)
    try:
        for _ in range(3):
            headers, body = sign(server, {"FleetId": FLEET_ID})
            connection.request("POST", "/", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 200
    finally:
        connection.close()


def test_an_empty_body_counts_as_an_empty_object(server):
    response = call(server, b"", target="GameLift.DescribeGameSessions")
    # Not a SerializationException: the input is {} and lacks a fleet.
    assert_error_response(response, "InvalidRequestException")


def test_null_members_count_as_absent_and_unknown_members_are_ignored(server):
    response = call(
        server,
        {
            "FleetId": FLEET_ID,
            "MaximumPlayerSessionCount": 3,
            "Name": None,
            "AliasId": None,
            "GameProperties": None,
            "SomeFutureMember": {"nested": [1, 2]},
        },
        target=CREATE,
    )
    assert response.status == 200, response.body
    game = response.json()["GameSession"]
    assert "Name" not in game
    assert game["GameProperties"] == []
    assert game["MaximumPlayerSessionCount"] == 3


def test_timestamps_are_epoch_seconds_with_at_most_millisecond_fractions(server):
    before = time.time()
    response = call(server, {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": 1}, target=CREATE)
    after = time.time()
    created = response.json()["GameSession"]["CreationTime"]
    assert isinstance(created, (int, float)) and not isinstance(created, bool), created
    # Seconds, not milliseconds: the server clock is the test's clock.
    assert before - 1 <= created <= after + 1, (before, created, after)
    assert round(created, 3) == created, created


def test_responses_omit_absent_members_instead_of_null(server):
    game = call(
        server, {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": 1}, target=CREATE
    ).json()["GameSession"]
    player = call(
        server,
        {"GameSessionId": game["GameSessionId"], "PlayerId": "p"},
        target="GameLift.CreatePlayerSession",
    ).json()["PlayerSession"]
    for record in (game, player):
        assert all(value is not None for value in record.values()), record
    assert set(game) == {
        "GameSessionId", "FleetId", "FleetArn", "CreationTime", "CurrentPlayerSessionCount",
        "MaximumPlayerSessionCount", "Status", "GameProperties", "IpAddress", "DnsName", "Port",
        "PlayerSessionCreationPolicy", "Location",
    }
    assert set(player) == {
        "PlayerSessionId", "PlayerId", "GameSessionId", "FleetId", "FleetArn", "CreationTime",
        "Status", "IpAddress", "DnsName", "Port",
    }


WRONG_TYPES = {
    "players-as-string": {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": "4"},
    "players-as-float": {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": 4.5},
    "players-as-bool": {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": True},
    "name-as-number": {"FleetId": FLEET_ID, "MaximumPlayerSessionCount": 4, "Name": 5},
    "fleet-as-list": {"FleetId": [FLEET_ID], "MaximumPlayerSessionCount": 4},
    "properties-as-object": {
        "FleetId": FLEET_ID, "MaximumPlayerSessionCount": 4,
        "GameProperties": {"Key": "a", "Value": "b"},
    },
    "property-as-list": {
        "FleetId": FLEET_ID, "MaximumPlayerSessionCount": 4, "GameProperties": [["a", "b"]],
    },
    "property-value-as-number": {
        "FleetId": FLEET_ID, "MaximumPlayerSessionCount": 4,
        "GameProperties": [{"Key": "a", "Value": 1}],
    },
}


@pytest.mark.parametrize("body", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_a_wrong_json_type_is_a_serialization_error(server, body):
    response = call(server, body, target=CREATE)
    assert_error_response(response, "SerializationException")


@pytest.mark.parametrize(
    "target, body",
    [
        ("GameLift.CreatePlayerSessions", {"GameSessionId": "x", "PlayerIds": "alice"}),
        ("GameLift.CreatePlayerSessions",
         {"GameSessionId": "x", "PlayerIds": ["a"], "PlayerDataMap": ["a"]}),
        ("GameLift.CreatePlayerSessions",
         {"GameSessionId": "x", "PlayerIds": ["a"], "PlayerDataMap": {"a": 1}}),
        ("GameLift.CreatePlayerSession", {"GameSessionId": 1, "PlayerId": "a"}),
        ("GameLift.DescribeGameSessions", {"FleetId": FLEET_ID, "Limit": "3"}),
        ("GameLift.DescribePlayerSessions", {"PlayerId": "a", "NextToken": 7}),
    ],
    ids=["player-ids-string", "data-map-list", "data-map-number", "game-session-number",
         "limit-string", "token-number"],
)
def test_wrong_json_types_in_other_operations(server, target, body):
    assert_error_response(call(server, body, target=target), "SerializationException")


@pytest.mark.parametrize(
    "body",
    [b"{", b"not json", b"[]", b'"text"', b"42", b"null", b'{"FleetId": "fleet-local",}'],
    ids=["truncated", "text", "array", "string", "number", "null", "trailing-comma"],
)
def test_a_body_that_is_not_a_json_object_is_a_serialization_error(server, body):
    response = call(server, body, target="GameLift.DescribeGameSessions")
    assert_error_response(response, "SerializationException")


def test_a_body_over_8_mib_is_refused_with_413(server):
    body = b'{"FleetId": "fleet-local", "Pad": "' + b"x" * (8 << 20) + b'"}'
    response = call(server, body, target="GameLift.DescribeGameSessions")
    body = assert_error_response(response, "InvalidRequestException", status=413)
    assert "8388608" in body["message"], body
    assert response.headers["Connection"] == "close"


TOO_LARGE = 24 << 20  # Over the 8 MiB limit (by more than socket buffers hold), and
# within what the server reads and discards.
CHUNK = 64 << 10


def oversized_request(server, chunked):
    """The head of a signed DescribeGameSessions whose body is TOO_LARGE bytes, sent with a
    Content-Length or chunked (the signature covers an empty body: the size is refused
    before the signature is checked)."""
    headers, _ = sign(server, b"", target="GameLift.DescribeGameSessions")
    headers["Content-Length" if not chunked else "Transfer-Encoding"] = (
        str(TOO_LARGE) if not chunked else "chunked"
    )
    lines = [f"POST / HTTP/1.1", f"Host: {server.control[0]}:{server.control[1]}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def stream_body(sock, chunked):
    """Sends TOO_LARGE bytes of body in pieces, as a client streaming a file does."""
    piece = b"x" * CHUNK
    for _ in range(TOO_LARGE // CHUNK):
        sock.sendall(b"%x\r\n%s\r\n" % (CHUNK, piece) if chunked else piece)
    if chunked:
        sock.sendall(b"0\r\n\r\n")


def read_until_closed(sock):
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def assert_refused_as_too_large(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1 413 "), lines
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    assert headers["x-amzn-errortype"] == "InvalidRequestException", headers
    assert headers["connection"] == "close", headers
    assert json.loads(body)["__type"] == "InvalidRequestException", body


def test_a_declared_oversized_body_is_refused_before_it_is_sent_and_may_still_be_sent(server):
    with socket.create_connection(server.control, timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(oversized_request(server, chunked=False))
        # The answer comes at once, from the Content-Length alone.
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 413 "), first
        # The client may still send the whole body without a reset or a broken pipe; the
        # server then closes the connection.
        stream_body(sock, chunked=False)
        assert_refused_as_too_large(first + read_until_closed(sock))


def test_a_chunked_body_over_the_limit_is_read_through_and_refused(server):
    with socket.create_connection(server.control, timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(oversized_request(server, chunked=True))
        stream_body(sock, chunked=True)
        assert_refused_as_too_large(read_until_closed(sock))
    # The server is fine, and so is the next request.
    response = call(server, {"FleetId": FLEET_ID}, target="GameLift.DescribeGameSessions")
    assert response.status == 200, response.body


def test_a_body_under_8_mib_is_read(server, gamelift):
    create_game(gamelift)
    body = json.dumps({"FleetId": FLEET_ID, "Pad": "x" * (7 << 20)}).encode()
    response = call(server, body, target="GameLift.DescribeGameSessions")
    assert response.status == 200, response.body[:200]
