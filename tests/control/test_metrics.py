"""GET /metrics read by Prometheus's own parsers (the Python client's OpenMetrics parser,
which checks the format strictly, and its classic text parser), scraped with the bearer
token Prometheus sends and with a GET signed by botocore's SigV4 signer."""

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from conftest import (
    ACCESS_KEY,
    FLEET_ID,
    REGION,
    SECRET,
    create_game,
    expect_error,
    send,
)

# Distinctive, so that any piece of it in the log is found.
TOKEN = "vlyMetricsTok/3c9Fq8Zr"
VOLLEY_CONFIG = {"control": {"metrics_token": TOKEN}}
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def scrape(server, headers):
    return send(server, headers, b"", method="GET", path="/metrics")


def bearer(token=TOKEN):
    return {"Authorization": f"Bearer {token}"}


def families(body):
    return {family.name: family for family in parse_openmetrics(body.decode())}


def value(family, **labels):
    """The value of the one sample of `family` with exactly these labels."""
    found = [s.value for s in family.samples if s.labels == labels]
    assert len(found) == 1, (labels, family.samples)
    return found[0]


def test_the_exposition_is_strict_openmetrics_with_the_api_calls_counted(server, gamelift):
    create_game(gamelift)
    with expect_error("NotFoundException"):
        gamelift.describe_game_sessions(GameSessionId="arn:aws:gamelift:local::gamesession/"
                                        f"{FLEET_ID}/gone")
    response = scrape(server, bearer())
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == OPENMETRICS
    found = families(response.body)

    requests = found["volley_control_requests"]
    assert requests.type == "counter"
    assert value(requests, operation="CreateGameSession", result="ok") >= 1
    assert value(requests, operation="DescribeGameSessions", result="NotFoundException") >= 1
    sessions = found["volley_game_sessions"]
    assert sessions.type == "gauge"
    assert value(sessions, status="active") >= 1
    assert found["volley_build"].type == "info"
    assert found["volley_build"].samples[0].labels["version"]
    hooks = found["volley_script_hook_duration_seconds"]
    assert (hooks.type, hooks.unit) == ("histogram", "seconds")
    assert found["volley_message_bytes"].unit == "bytes"
    assert value(found["volley_metrics_scrapes"], result="ok") >= 1
    for name in ("process_cpu_seconds", "process_resident_memory_bytes", "process_open_fds",
                 "process_max_fds", "process_start_time_seconds", "process_threads"):
        assert name in found, sorted(found)


def test_the_classic_text_parser_reads_it_too(server):
    response = scrape(server, bearer())
    assert response.status == 200, response.body
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in parse_text(response.body.decode())
        for sample in family.samples
    }
    assert samples[("volley_logins_total", (("result", "accepted"),))] >= 0
    assert samples[("volley_connections_open",
                    (("mode", "plain"), ("transport", "websocket")))] >= 0


def test_a_get_signed_with_an_access_key_is_accepted(server):
    request = AWSRequest(method="GET", url=server.control_url + "/metrics", data=b"")
    SigV4Auth(Credentials(ACCESS_KEY, SECRET), "gamelift", REGION).add_auth(request)
    response = scrape(server, dict(request.headers.items()))
    assert response.status == 200, response.body
    assert "volley_messages" in families(response.body)

    request = AWSRequest(method="GET", url=server.control_url + "/metrics", data=b"")
    SigV4Auth(Credentials(ACCESS_KEY, SECRET + "x"), "gamelift", REGION).add_auth(request)
    assert scrape(server, dict(request.headers.items())).status == 401


def test_scrapes_without_the_token_are_refused_and_no_token_is_logged(server):
    anonymous = scrape(server, {})
    assert anonymous.status == 401, anonymous.body
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    wrong = scrape(server, bearer("vlyWrongTok/9d2Kx"))
    assert wrong.status == 403, wrong.body
    log = server.log()
    assert "metrics scrape refused" in log
    assert "vlyMetricsTok" not in log and "vlyWrongTok" not in log


def test_the_token_can_come_from_the_environment(server_factory, monkeypatch):
    monkeypatch.setenv("VOLLEY_METRICS_TOKEN", "vlyEnvTok/5b1")
    other = server_factory()  # No metrics_token in its config file.
    assert scrape(other, bearer("vlyEnvTok/5b1")).status == 200
    assert scrape(other, bearer(TOKEN)).status == 403
