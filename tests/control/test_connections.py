"""The control listener under connection floods (README "Limits and bad input"): idle
connections cannot lock a backend out, whatever address they come from, and connections
that send no request are closed after `control.request_header_timeout_secs`."""

import socket
import subprocess
import sys
import time

import pytest

from conftest import FLEET_ID, REQUEST_TIMEOUT, LineReader, call, make_client, send

# Holds COUNT connections to the control port that never send a byte, and opens a new one
# whenever the server closes one, until SECONDS have passed; prints "holding" once the first
# COUNT connects are done, and at the end how many connects it made in all. A process of its
# own, so that it competes with the backend for nothing but the server.
FLOOD = r"""
import selectors, socket, sys, time
host, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
selector = selectors.DefaultSelector()
connects = 0

def open_one():
    global connects
    try:
        sock = socket.create_connection((host, port), timeout=5)
    except OSError:
        return
    sock.setblocking(False)
    selector.register(sock, selectors.EVENT_READ)
    connects += 1

for _ in range(count):
    open_one()
print("holding", flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end:
    for key, _ in selector.select(0.05):
        try:
            data = key.fileobj.recv(1)
        except OSError:
            data = b""
        if not data:
            selector.unregister(key.fileobj)
            key.fileobj.close()
            open_one()
print(connects, flush=True)
"""

FLOOD_CONNECTIONS = 300
FLOOD_SECONDS = 4.0


class Flood:
    """The FLOOD process against `server`'s control port."""

    def __init__(self, server, count=FLOOD_CONNECTIONS, seconds=FLOOD_SECONDS):
        host, port = server.control
        self.proc = subprocess.Popen(
            [sys.executable, "-c", FLOOD, host, str(port), str(count), str(seconds)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
        )
        self.stdout = LineReader(self.proc.stdout)
        self.stdout.expect(lambda line: line == "holding", 30, "the flood's connections")

    def connects(self):
        """Waits for the flood to end: how many connections it opened."""
        line = self.stdout.expect(lambda line: line.isdigit(), FLOOD_SECONDS + 30, "the end")
        return int(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def flood():
    floods = []

    def start(server, **kwargs):
        floods.append(Flood(server, **kwargs))
        return floods[-1]

    yield start
    for each in floods:
        each.stop()


def backend_calls(server, count=10, within=3.0):
    """`count` signed calls, each from a new boto3 client (a new connection), each answered
    within `within` seconds; their latencies."""
    latencies = []
    for _ in range(count):
        client = make_client(server)
        started = time.monotonic()
        response = client.describe_game_sessions(FleetId=FLEET_ID)
        latencies.append(time.monotonic() - started)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        client.close()
    assert max(latencies) < within, latencies
    return latencies


def test_a_backend_gets_through_a_reconnecting_flood_from_its_own_address(server_factory, flood):
    server = server_factory()
    attack = flood(server)
    # The same client reusing its connection, and new ones.
    pooled = make_client(server)
    for _ in range(10):
        assert pooled.describe_game_sessions(FleetId=FLEET_ID)["GameSessions"] == []
    backend_calls(server)
    assert attack.connects() > FLOOD_CONNECTIONS


def closed_within(sock, seconds):
    """Whether the server closes `sock` (end of stream or reset) within `seconds`."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_the_request_header_timeout_closes_silent_connections_and_reloads(server_factory):
    server = server_factory({"control": {"request_header_timeout_secs": 30,
                                         "metrics_token": "scrape-token"}})
    silent = [socket.create_connection(server.control, timeout=REQUEST_TIMEOUT)
              for _ in range(20)]
    # The listener accepts in order: once a later connection is answered, the silent ones
    # were accepted, under the 30 s deadline.
    response = call(server, {"FleetId": FLEET_ID}, target="GameLift.DescribeGameSessions")
    assert response.status == 200, response.body
    announcement = server.reload({"control": {"request_header_timeout_secs": 1}})
    assert "control.request_header_timeout_secs" in announcement["applied"], announcement
    # Connections accepted from now on have 1 s to send a request head.
    started = time.monotonic()
    fresh = [socket.create_connection(server.control, timeout=REQUEST_TIMEOUT)
             for _ in range(20)]
    fresh[0].sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # Half a head counts for nothing.
    for sock in fresh:
        assert closed_within(sock, 5.0)
    took = time.monotonic() - started
    assert 1.0 <= took < 5.0, took
    # Those accepted before keep the deadline they were accepted with.
    assert not any(closed_within(sock, 0.01) for sock in silent)

    response = call(server, {"FleetId": FLEET_ID}, target="GameLift.DescribeGameSessions")
    assert response.status == 200, response.body
    metrics = send(server, {"Authorization": "Bearer scrape-token"}, b"", method="GET",
                   path="/metrics")
    assert metrics.status == 200, metrics.body
    assert ('volley_control_connections_closed_total{reason="request_header_timeout"} 20'
            in metrics.body.decode()), metrics.body.decode()
    for sock in silent + fresh:
        sock.close()
