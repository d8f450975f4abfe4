"""Harness of the control-API tests: the real `volley` binary, boto3, raw SigV4 requests,
the AWS CLI and the `volley client` line client.

Every server listens on 127.0.0.1:0 and is found through its `listening` line on stdout; its
stderr (debug level) goes to a file the tests can read, and its `scripts.data_dir` is `data`
in its own temporary directory unless the test names one. Nothing waits on a sleep for
readiness: every wait has a deadline, and eventual conditions use `wait_until`.

Environment: `VOLLEY_BIN` names the binary (default `target/debug/volley`); the AWS CLI is
the `aws` script beside the Python running pytest (`target/venv/bin/aws`), or `VOLLEY_AWS`.
"""

import contextlib
import datetime
import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]


def _repo_path(value):
    path = Path(value)
    return path if path.is_absolute() else REPO / path


VOLLEY_BIN = _repo_path(os.environ.get("VOLLEY_BIN", "target/debug/volley"))
AWS_BIN = _repo_path(os.environ.get("VOLLEY_AWS", str(Path(sys.executable).parent / "aws")))

ACCESS_KEY = "AKIDVOLLEYTEST"
# Distinctive, so that any piece of it in a log is found (test_auth checks the log).
SECRET = "vlyTstSecret/Q7wWz2Kk9Rf4Hx+pLm"
REGION = "us-east-1"
FLEET_ID = "fleet-local"
FLEET_ARN = "arn:aws:gamelift:local::fleet/fleet-local"
GAME_SESSION_ARN_PREFIX = "arn:aws:gamelift:local::gamesession/fleet-local/"

STARTUP_TIMEOUT = 15.0
REQUEST_TIMEOUT = 10.0
CLI_TIMEOUT = 60.0
CLIENT_TIMEOUT = 15.0

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"

# The tests must not pick up a developer's AWS profile, credentials, endpoint or retry
# settings: every client gets its endpoint and keys explicitly.
for _name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

# One botocore session for every client, so the GameLift model is loaded once.
_BOTO = boto3.session.Session()


# ---- Config ------------------------------------------------------------------------------


def base_config():
    """The tables every test server starts from: loopback listeners on port 0, SigV4 with
    one access key."""
    return {
        "game": {"listen": "127.0.0.1:0"},
        "control": {
            "listen": "127.0.0.1:0",
            "auth": "sigv4",
            "access_keys": [{"access_key_id": ACCESS_KEY, "secret_access_key": SECRET}],
        },
    }


def merged_config(overrides):
    """`base_config()` with `overrides` ({table: {key: value}}) applied key by key."""
    config = base_config()
    for table, values in (overrides or {}).items():
        config.setdefault(table, {}).update(values)
    return config


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # A TOML basic string for everything used here.
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        # Quoted keys, so that any string (an ARN, say) can be one.
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def to_toml(config):
    lines = []
    for table, values in config.items():
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


# ---- Processes ---------------------------------------------------------------------------


class LineReader:
    """Reads a text stream on a thread, so lines can be awaited with a deadline."""

    def __init__(self, stream):
        self._queue = queue.Queue()
        self.lines = []
        thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        thread.start()

    def _run(self, stream):
        for line in iter(stream.readline, ""):
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, predicate, timeout, what):
        """The next line satisfying `predicate`, read within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout} s; lines: {self.lines}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self._queue.put(None)  # Stay at end of stream for later calls.
                raise EOFError(f"stream ended before {what}; lines: {self.lines}")
            self.lines.append(line)
            if predicate(line):
                return line


def server_config(directory, overrides=None):
    """`merged_config(overrides)` with the stored scripts in `directory` unless the overrides
    say where: never in the working directory."""
    config = merged_config(overrides)
    config.setdefault("scripts", {}).setdefault("data_dir", str(directory / "data"))
    return config


class VolleyServer:
    """A running `volley serve` with the given config overrides and extra `serve` arguments."""

    def __init__(self, directory, overrides=None, args=()):
        directory.mkdir(parents=True, exist_ok=True)
        self.config = server_config(directory, overrides)
        self.config_path = directory / "volley.toml"
        self.config_path.write_text(to_toml(self.config))
        self.log_path = directory / "volley.log"
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, NO_COLOR="1")
        env.pop("VOLLEY_LOG", None)
        self.stopped = False
        self.proc = subprocess.Popen(
            [str(VOLLEY_BIN), "serve", "--config", str(self.config_path), "--log-level", "debug",
             *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        try:
            self._stdout = LineReader(self.proc.stdout)
            listening = json.loads(
                self._stdout.expect(
                    lambda line: json.loads(line).get("event") == "listening",
                    STARTUP_TIMEOUT,
                    "listening line",
                )
            )
            self._stdout.expect(
                lambda line: json.loads(line).get("event") == "ready",
                STARTUP_TIMEOUT,
                "ready line",
            )
        except Exception as error:
            self.stop()
            raise RuntimeError(f"volley did not start; log:\n{self.log()}") from error
        self.ws = _split_address(listening["ws"])
        self.udp = _split_address(listening["udp"])
        self.control = _split_address(listening["control"])
        scheme = "https" if self.config.get("tls", {}).get("control") else "http"
        self.control_url = f"{scheme}://{self.control[0]}:{self.control[1]}"

    def log(self):
        """Everything the server wrote to stderr so far."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def reload(self, overrides):
        """Rewrites the config file with `overrides` ({table: {key: value}}) applied and sends
        SIGHUP; returns the server's `reloaded` announcement once it is read."""
        for table, values in overrides.items():
            self.config.setdefault(table, {}).update(values)
        self.config_path.write_text(to_toml(self.config))
        self.proc.send_signal(signal.SIGHUP)
        return json.loads(
            self._stdout.expect(
                lambda line: json.loads(line).get("event") == "reloaded",
                STARTUP_TIMEOUT,
                "reloaded line",
            )
        )

    def stop(self):
        """Kills the server (SIGKILL: no graceful shutdown) and waits for it."""
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._log.close()


def _split_address(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


@contextlib.contextmanager
def running_server(directory, overrides=None, args=()):
    """A server for the block; unless the test stopped it, it must still be running at the
    end; it must not have panicked."""
    server = VolleyServer(directory, overrides, args)
    try:
        yield server
        assert server.stopped or server.alive(), (
            f"volley exited with {server.proc.returncode}:\n{server.log()}"
        )
        assert "panicked" not in server.log(), server.log()
    finally:
        server.stop()


def failed_start(directory, overrides=None, args=()):
    """Runs `volley serve` expecting it to refuse to start: its exit status (non-zero) and
    stderr. A server that starts instead fails the test once STARTUP_TIMEOUT passes."""
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "volley.toml"
    config_path.write_text(to_toml(server_config(directory, overrides)))
    done = subprocess.run(
        [str(VOLLEY_BIN), "serve", "--config", str(config_path), *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=STARTUP_TIMEOUT,
        env=dict(os.environ, NO_COLOR="1"),
    )
    assert done.returncode != 0, done
    assert done.stdout == "", done.stdout
    return done.returncode, done.stderr


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    """One server per test module, configured by the module's `VOLLEY_CONFIG` overrides."""
    overrides = getattr(request.module, "VOLLEY_CONFIG", None)
    directory = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    with running_server(directory, overrides) as server:
        yield server


@pytest.fixture
def server_factory(tmp_path):
    """Starts servers with other configs for one test: `server_factory({table: {...}})`,
    with extra `serve` arguments as `args`."""
    stack = contextlib.ExitStack()
    count = iter(range(1000))

    def start(overrides=None, args=()):
        directory = tmp_path / f"server{next(count)}"
        return stack.enter_context(running_server(directory, overrides, args))

    with stack:
        yield start


@pytest.fixture
def fresh_server(server_factory, request):
    """A server of its own for a test that needs an empty fleet."""
    return server_factory(getattr(request.module, "VOLLEY_CONFIG", None))


# ---- boto3 -------------------------------------------------------------------------------


def make_client(server, *, access_key=ACCESS_KEY, secret=SECRET, region=REGION,
                endpoint_url=None, session_token=None, verify=None, **config):
    """A boto3 GameLift client for `server`, never retrying; `verify` is the CA bundle
    trusted for HTTPS."""
    return _BOTO.client(
        "gamelift",
        endpoint_url=endpoint_url or server.control_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        aws_session_token=session_token,
        verify=verify,
        config=Config(
            retries={"mode": "standard", "max_attempts": 1},
            connect_timeout=REQUEST_TIMEOUT,
            read_timeout=REQUEST_TIMEOUT,
            **config,
        ),
    )


@pytest.fixture(scope="module")
def gamelift(server):
    return make_client(server)


@pytest.fixture(scope="module")
def gamelift_unvalidated(server):
    """A client that sends what it is given: botocore checks required members, types and
    minimums before sending, and the server must check them too."""
    return make_client(server, parameter_validation=False)


@pytest.fixture
def fresh_gamelift(fresh_server):
    return make_client(fresh_server)


@contextlib.contextmanager
def expect_error(code, message=None, status=400):
    """Expects the block to raise a boto3 `ClientError` with error code `code` (read by
    botocore from the body's `__type`), HTTP `status`, and a message matching the regular
    expression `message` (searched) if given."""
    with pytest.raises(ClientError) as info:
        yield info
    response = info.value.response
    assert response["Error"]["Code"] == code, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response
    if message is not None:
        assert re.search(message, response["Error"]["Message"]), response


def new_token():
    """A fresh idempotency token (pattern ^[a-zA-Z0-9-]+$)."""
    return "tok-" + uuid.uuid4().hex


def create_game(client, max_players=4, **params):
    """CreateGameSession on this fleet; the GameSession."""
    return client.create_game_session(
        FleetId=FLEET_ID, MaximumPlayerSessionCount=max_players, **params
    )["GameSession"]


def describe_game(client, game_session_id):
    sessions = client.describe_game_sessions(GameSessionId=game_session_id)["GameSessions"]
    assert len(sessions) == 1, sessions
    return sessions[0]


def describe_player(client, player_session_id):
    sessions = client.describe_player_sessions(PlayerSessionId=player_session_id)[
        "PlayerSessions"
    ]
    assert len(sessions) == 1, sessions
    return sessions[0]


def assert_recent(timestamp, slack=10.0):
    """`timestamp` is an aware datetime within `slack` seconds of now."""
    assert isinstance(timestamp, datetime.datetime), timestamp
    assert timestamp.tzinfo is not None, timestamp
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - timestamp).total_seconds()) < slack, (timestamp, now)


def wait_until(probe, timeout=5.0, interval=0.05, what="condition"):
    """Calls `probe` until it returns a truthy value (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not reached within {timeout} s; last: {value!r}")
        time.sleep(interval)


# ---- Raw requests ------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


def sign(server, body, *, target="GameLift.DescribeGameSessions", access_key=ACCESS_KEY,
         secret=SECRET, region=REGION, service="gamelift", when=None, headers=None,
         path="/"):
    """A request signed by botocore's own SigV4 signer, as (headers, body bytes).

    `body` is a JSON-able object or raw bytes; `target` None leaves X-Amz-Target out; `when`
    (an aware datetime) replaces the signer's clock."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request_headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        request_headers["X-Amz-Target"] = target
    request_headers.update(headers or {})
    request = AWSRequest(
        method="POST", url=server.control_url + path, data=data, headers=request_headers
    )
    signer = SigV4Auth(Credentials(access_key, secret), service, region)
    if when is None:
        signer.add_auth(request)
    else:
        naive = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: naive):
            signer.add_auth(request)
    return dict(request.headers.items()), data


def send(server, headers, body, method="POST", path="/"):
    """Sends exactly these headers and body (plus Host and Content-Length)."""
    headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "host")}
    connection = http.client.HTTPConnection(*server.control, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return RawResponse(response.status, response.headers, response.read())
    finally:
        connection.close()


def call(server, body, **kwargs):
    """A signed raw request; see `sign`."""
    path = kwargs.get("path", "/")
    return send(server, *sign(server, body, **kwargs), path=path)


def request_bytes(server, headers, body, method="POST", path="/"):
    """One HTTP/1.1 request as bytes: these headers and body, plus Host and Content-Length."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {server.control[0]}:{server.control[1]}",
             f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()
              if k.lower() not in ("content-length", "host")]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def read_response(stream):
    """One HTTP/1.1 response with a Content-Length body from a binary file object."""
    status_line = stream.readline()
    if not status_line:
        raise EOFError("the connection closed before a response")
    status = int(status_line.split()[1])
    message = http.client.parse_headers(stream)
    body = stream.read(int(message.get("Content-Length", "0")))
    return RawResponse(status, message, body)


def pipeline(server, requests):
    """Sends every (headers, body) request at once on one connection (HTTP/1.1 pipelining,
    so the server handles them back to back, with no round trip between them) and reads
    their responses in order."""
    data = b"".join(request_bytes(server, headers, body) for headers, body in requests)
    with socket.create_connection(server.control, timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(data)
        stream = sock.makefile("rb")
        return [read_response(stream) for _ in requests]


def assert_error_response(response, error_type, status=400):
    """An AWS JSON 1.1 error: `__type` in the body and the `x-amzn-ErrorType` header, a
    message, the JSON content type and a request id."""
    assert response.status == status, (response.status, response.body)
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    body = response.json()
    assert body["__type"] == error_type, body
    assert response.headers["x-amzn-ErrorType"] == error_type, dict(response.headers)
    assert isinstance(body.get("message"), str) and body["message"], body
    assert re.fullmatch(UUID_RE, response.headers["x-amzn-RequestId"]), dict(response.headers)
    return body


# ---- The AWS CLI -------------------------------------------------------------------------


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        assert self.returncode == 0, (self.returncode, self.stderr)
        return json.loads(self.stdout)


def aws_cli(server, *args, endpoint_from_env=False, env_extra=None):
    """`aws gamelift ARGS --output json` against `server`, credentials from the
    environment; the endpoint via `--endpoint-url` or `AWS_ENDPOINT_URL_GAMELIFT`;
    `env_extra` adds variables (`AWS_CA_BUNDLE`)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_RETRY_MODE": "standard",
        "AWS_MAX_ATTEMPTS": "1",
    }
    env.update(env_extra or {})
    command = [str(AWS_BIN), "gamelift", *args, "--output", "json"]
    if endpoint_from_env:
        env["AWS_ENDPOINT_URL_GAMELIFT"] = server.control_url
    else:
        command += ["--endpoint-url", server.control_url]
    done = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=CLI_TIMEOUT,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


# ---- The line client ---------------------------------------------------------------------


class LineClient:
    """A running `volley client` logging in with a player session id."""

    def __init__(self, server, player_session_id):
        self.proc = subprocess.Popen(
            [
                str(VOLLEY_BIN), "client",
                "--server", f"{server.ws[0]}:{server.ws[1]}",
                "--player-session-id", player_session_id,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, NO_COLOR="1"),
        )
        self.stdout = LineReader(self.proc.stdout)
        self.stderr = LineReader(self.proc.stderr)

    def expect(self, pattern, timeout=CLIENT_TIMEOUT):
        """The next stdout line matching the regular expression `pattern`, as a match."""
        line = self.stdout.expect(lambda l: re.search(pattern, l), timeout, repr(pattern))
        return re.search(pattern, line)

    def send_line(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait(self, timeout=CLIENT_TIMEOUT):
        return self.proc.wait(timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def line_client():
    """Starts `volley client`s for one test: `line_client(server, player_session_id)`."""
    clients = []

    def start(server, player_session_id):
        client = LineClient(server, player_session_id)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.stop()


def login_refused(server, player_session_id):
    """Runs `volley client` with `player_session_id`; true if the server refused the login
    (exit status non-zero, "login refused" on stderr, never connected)."""
    done = subprocess.run(
        [
            str(VOLLEY_BIN), "client",
            "--server", f"{server.ws[0]}:{server.ws[1]}",
            "--player-session-id", player_session_id,
        ],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CLIENT_TIMEOUT,
        env=dict(os.environ, NO_COLOR="1"),
    )
    assert "connected as peer" not in done.stdout, done.stdout
    assert done.returncode != 0, (done.returncode, done.stdout, done.stderr)
    assert "login refused by the server" in done.stderr, done.stderr
    return True


# ---- Game session management -------------------------------------------------------------


def search_ids(client, fleet_id=FLEET_ID, page_size=None, **params):
    """SearchGameSessions on `fleet_id` through the boto3 paginator: the game session ids of
    every page, in order, checked for repeats; `page_size` is the paginator's `PageSize`
    (the request's `Limit`)."""
    config = {"PageSize": page_size} if page_size is not None else {}
    pages = client.get_paginator("search_game_sessions").paginate(
        FleetId=fleet_id, PaginationConfig=config, **params
    )
    found = [g["GameSessionId"] for page in pages for g in page["GameSessions"]]
    assert len(found) == len(set(found)), found
    return found


def terminate_game(client, game_session_id, mode="FORCE_TERMINATE"):
    """TerminateGameSession, then waits (bounded) for TERMINATED: (the response's
    GameSession, the final record)."""
    answer = client.terminate_game_session(
        GameSessionId=game_session_id, TerminationMode=mode
    )["GameSession"]
    final = wait_until(
        lambda: (g := describe_game(client, game_session_id))["Status"] == "TERMINATED" and g,
        what=f"{game_session_id} TERMINATED",
    )
    return answer, final


def connect_client(line_client, server, player_session_id):
    """Starts `volley client` with `player_session_id` and waits for its login: (the client,
    its peer id)."""
    client = line_client(server, player_session_id)
    peer = int(client.expect(r"^connected as peer (\d+)").group(1))
    return client, peer
