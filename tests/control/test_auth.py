"""SigV4 authentication of the control API (control-api.md §1.5, §1.6), with boto3
clients and with requests signed by botocore's signer and then altered."""

import datetime
import hashlib
import hmac
from unittest import mock

import botocore
import botocore.auth
import pytest

from conftest import (
    ACCESS_KEY,
    FLEET_ID,
    REGION,
    SECRET,
    assert_error_response,
    call,
    create_game,
    expect_error,
    make_client,
    send,
    sign,
)

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
DESCRIBE = {"FleetId": FLEET_ID}


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture
def clock():
    """Sets the time botocore's signer sees: `clock(delta)` shifts it from now."""
    patcher = None

    def shift(delta):
        nonlocal patcher
        signing_time = (utcnow() + delta).replace(tzinfo=None)
        patcher = mock.patch.object(
            botocore.auth, "get_current_datetime", lambda *a, **k: signing_time
        )
        patcher.start()

    yield shift
    if patcher is not None:
        patcher.stop()


# ---- Accepted ----------------------------------------------------------------------------


def test_any_signing_region_is_accepted(server):
    for region in ("us-east-1", "eu-west-1", "local"):
        client = make_client(server, region=region)
        assert client.describe_game_sessions(FleetId=FLEET_ID)["GameSessions"] is not None


def test_an_endpoint_with_a_path_prefix_is_accepted(server):
    client = make_client(server, endpoint_url=server.control_url + "/gl")
    assert create_game(client)["Status"] == "ACTIVE"


def test_temporary_credentials_with_a_session_token_are_accepted(server):
    client = make_client(server, session_token="FQoGZXIvYXdzEXAMPLETOKEN")
    assert create_game(client)["Status"] == "ACTIVE"


def test_a_signature_within_the_allowed_skew_is_accepted(server, gamelift, clock):
    clock(datetime.timedelta(minutes=-10))
    assert create_game(gamelift)["Status"] == "ACTIVE"


def test_a_signed_matching_content_sha256_is_accepted(server):
    # As the JS SDK sends it: the header is present and signed.
    body = b'{"FleetId": "fleet-local"}'
    response = call(
        server, body, headers={"X-Amz-Content-Sha256": hashlib.sha256(body).hexdigest()}
    )
    assert response.status == 200, response.body


# ---- Refused -----------------------------------------------------------------------------


def test_a_wrong_secret_is_an_invalid_signature(server):
    client = make_client(server, secret="not-the-secret")
    with expect_error("InvalidSignatureException") as error:
        client.describe_game_sessions(FleetId=FLEET_ID)
    assert error.value.response["Error"]["Message"] == MISMATCH


def test_an_unknown_access_key_is_unrecognized(server):
    client = make_client(server, access_key="AKIDNOBODY", secret=SECRET)
    with expect_error(
        "UnrecognizedClientException", "^The security token included in the request is invalid"
    ):
        client.describe_game_sessions(FleetId=FLEET_ID)


def test_an_unsigned_request_is_missing_authentication(server):
    client = make_client(server, signature_version=botocore.UNSIGNED)
    with expect_error("MissingAuthenticationTokenException"):
        client.create_game_session(FleetId=FLEET_ID, MaximumPlayerSessionCount=1)
    # Authentication comes before routing: an unknown operation says nothing more.
    headers, body = sign(server, DESCRIBE, target="GameLift.NoSuchThing")
    del headers["Authorization"]
    assert_error_response(send(server, headers, body), "MissingAuthenticationTokenException")


def test_a_signature_20_minutes_old_has_expired(server, gamelift, clock):
    clock(datetime.timedelta(minutes=-20))
    with expect_error("InvalidSignatureException", "^Signature expired"):
        gamelift.create_game_session(FleetId=FLEET_ID, MaximumPlayerSessionCount=1)


def test_a_raw_request_signed_20_minutes_ago_has_expired(server):
    response = call(server, DESCRIBE, when=utcnow() - datetime.timedelta(minutes=20))
    body = assert_error_response(response, "InvalidSignatureException")
    assert body["message"].startswith("Signature expired"), body


def test_a_signature_20_minutes_ahead_is_not_yet_current(server, gamelift, clock):
    clock(datetime.timedelta(minutes=20))
    with expect_error("InvalidSignatureException", "^Signature not yet current"):
        gamelift.describe_game_sessions(FleetId=FLEET_ID)


def test_the_allowed_skew_comes_from_the_config(server_factory):
    server = server_factory({"control": {"max_clock_skew_secs": 60}})
    late = call(server, DESCRIBE, when=utcnow() - datetime.timedelta(seconds=120))
    body = assert_error_response(late, "InvalidSignatureException")
    assert body["message"].startswith("Signature expired"), body
    recent = call(server, DESCRIBE, when=utcnow() - datetime.timedelta(seconds=20))
    assert recent.status == 200, recent.body


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b.replace(b"fleet-local", b"fleet-LOCAL")),
        lambda h, b: (h, b + b" "),
        lambda h, b: ({**h, "X-Amz-Target": "GameLift.CreateGameSession"}, b),
        lambda h, b: ({**h, "Content-Type": "application/json"}, b),
        lambda h, b: ({**h, "X-Amz-Date": h["X-Amz-Date"][:-3] + "00Z"}
                      if not h["X-Amz-Date"].endswith("00Z")
                      else {**h, "X-Amz-Date": h["X-Amz-Date"][:-3] + "01Z"}, b),
        lambda h, b: ({**h, "Authorization": h["Authorization"][:-4] + (
            "0000" if not h["Authorization"].endswith("0000") else "1111")}, b),
    ],
    ids=["body-changed", "body-extended", "target-changed", "content-type-changed",
         "date-changed", "signature-changed"],
)
def test_a_request_changed_after_signing_is_an_invalid_signature(server, tamper):
    headers, body = sign(server, DESCRIBE)
    headers, body = tamper(headers, body)
    response = send(server, headers, body)
    assert assert_error_response(response, "InvalidSignatureException")["message"] == MISMATCH


def test_a_content_sha256_not_matching_the_body_is_an_invalid_signature(server):
    headers, body = sign(
        server, DESCRIBE, headers={"X-Amz-Content-Sha256": hashlib.sha256(b"{}").hexdigest()}
    )
    assert_error_response(send(server, headers, body), "InvalidSignatureException")


def _authorization(headers, **parts):
    """The request's Authorization header with some parts replaced (None drops one)."""
    value = headers["Authorization"]
    algorithm, params = value.split(" ", 1)
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    for name, new in parts.items():
        if new is None:
            fields.pop(name)
        else:
            fields[name] = new
    return algorithm + " " + ", ".join(f"{k}={v}" for k, v in fields.items())


MALFORMED = {
    "not-sigv4": lambda h: {**h, "Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
    "algorithm-only": lambda h: {**h, "Authorization": "AWS4-HMAC-SHA256"},
    "garbage": lambda h: {**h, "Authorization": "AWS4-HMAC-SHA256 garbage"},
    "no-credential": lambda h: {**h, "Authorization": _authorization(h, Credential=None)},
    "no-signed-headers": lambda h: {**h, "Authorization": _authorization(h, SignedHeaders=None)},
    "no-signature": lambda h: {**h, "Authorization": _authorization(h, Signature=None)},
    "signature-not-hex": lambda h: {**h, "Authorization": _authorization(h, Signature="z" * 64)},
    "signature-short": lambda h: {**h, "Authorization": _authorization(h, Signature="ab" * 8)},
    "credential-four-parts": lambda h: {**h, "Authorization": _authorization(
        h, Credential=f"{ACCESS_KEY}/20260101/{REGION}/gamelift")},
    "credential-bad-terminator": lambda h: {**h, "Authorization": _authorization(
        h, Credential="/".join(h["Authorization"].split("Credential=")[1].split(",")[0]
                               .split("/")[:4] + ["aws5_request"]))},
    "host-not-signed": lambda h: {**h, "Authorization": _authorization(
        h, SignedHeaders="content-type;x-amz-date;x-amz-target")},
    "no-x-amz-date": lambda h: {k: v for k, v in h.items() if k != "X-Amz-Date"},
    "x-amz-date-malformed": lambda h: {**h, "X-Amz-Date": "2026-01-01T00:00:00Z"},
}


@pytest.mark.parametrize("change", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_authorization_is_an_incomplete_signature(server, change):
    headers, body = sign(server, DESCRIBE)
    response = send(server, change(headers), body)
    assert_error_response(response, "IncompleteSignatureException")


def test_a_scope_for_another_service_is_an_incomplete_signature(server):
    response = call(server, DESCRIBE, service="s3")
    body = assert_error_response(response, "IncompleteSignatureException")
    assert "service" in body["message"], body


def test_a_scope_date_other_than_the_request_date_is_an_incomplete_signature(server):
    headers, body = sign(server, DESCRIBE)
    credential = headers["Authorization"].split("Credential=")[1].split(",")[0]
    parts = credential.split("/")
    day = datetime.datetime.strptime(parts[1], "%Y%m%d") - datetime.timedelta(days=1)
    parts[1] = day.strftime("%Y%m%d")
    headers["Authorization"] = _authorization(headers, Credential="/".join(parts))
    assert_error_response(send(server, headers, body), "IncompleteSignatureException")


# ---- Other modes -------------------------------------------------------------------------


def test_auth_none_accepts_unsigned_requests(server_factory):
    server = server_factory({"control": {"auth": "none", "access_keys": []}})
    unsigned = make_client(server, signature_version=botocore.UNSIGNED)
    game = create_game(unsigned)
    assert game["Status"] == "ACTIVE"
    # Signed requests are fine too: nothing is checked.
    assert make_client(server, secret="anything").describe_game_sessions(
        GameSessionId=game["GameSessionId"]
    )["GameSessions"] == [game]


def test_every_configured_access_key_is_accepted(server_factory):
    server = server_factory({"control": {"access_keys": [
        {"access_key_id": "AKIDFIRST", "secret_access_key": "first-secret"},
        {"access_key_id": "AKIDSECOND", "secret_access_key": "second-secret"},
    ]}})
    create_game(make_client(server, access_key="AKIDFIRST", secret="first-secret"))
    create_game(make_client(server, access_key="AKIDSECOND", secret="second-secret"))
    with expect_error("InvalidSignatureException"):
        create_game(make_client(server, access_key="AKIDFIRST", secret="second-secret"))
    with expect_error("UnrecognizedClientException"):
        create_game(make_client(server))


# ---- Secrets stay out of the log ---------------------------------------------------------


def _signing_key(secret, day, region):
    key = ("AWS4" + secret).encode()
    for part in (day, region, "gamelift", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def test_no_secret_reaches_the_log(server_factory, clock):
    server = server_factory()
    good = make_client(server)
    # A success, and every kind of refusal, at debug level.
    game = create_game(good, Name="logged")
    good.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["p"], PlayerDataMap={"p": "data"}
    )
    with expect_error("InvalidSignatureException"):
        make_client(server, secret="wrong-" + SECRET[::-1]).describe_game_sessions(
            FleetId=FLEET_ID
        )
    with expect_error("UnrecognizedClientException"):
        make_client(server, access_key="AKIDNOBODY").describe_game_sessions(FleetId=FLEET_ID)
    with expect_error("MissingAuthenticationTokenException"):
        make_client(server, signature_version=botocore.UNSIGNED).describe_game_sessions(
            FleetId=FLEET_ID
        )
    headers, body = sign(server, DESCRIBE)
    assert_error_response(send(server, headers, body + b" "), "InvalidSignatureException")
    for change in MALFORMED.values():
        assert_error_response(send(server, change(headers), body), "IncompleteSignatureException")
    stale = call(server, DESCRIBE, when=utcnow() - datetime.timedelta(minutes=20))
    assert_error_response(stale, "InvalidSignatureException")

    # What the server derived for the tampered request: the signing key and the signature
    # made with the real secret, which a log line must not show either.
    signed_at = datetime.datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    computed, _ = sign(server, body + b" ", when=signed_at)
    computed_signature = computed["Authorization"].rsplit("Signature=", 1)[1]
    signing_key = _signing_key(SECRET, headers["X-Amz-Date"][:8], REGION)

    log = server.log()
    # The log is at debug level and did record the refusals.
    assert "request refused" in log and "InvalidSignatureException" in log, log
    assert SECRET in server.config_path.read_text()
    pieces = {SECRET[i:i + 8] for i in range(len(SECRET) - 7)}
    assert sorted(p for p in pieces if p in log) == [], "pieces of the secret in the log"
    assert signing_key.hex() not in log
    assert computed_signature not in log
