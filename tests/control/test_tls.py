"""The control API over HTTPS (`[tls] control = true`): boto3 trusting the CA with `verify=`,
the AWS CLI with `--ca-bundle` or `AWS_CA_BUNDLE`, and a client that does not trust the CA
refused. The certificates come from `volley cert generate`."""

import subprocess

import pytest
from botocore.exceptions import SSLError

from conftest import FLEET_ID, VOLLEY_BIN, aws_cli, create_game, make_client, running_server


def generate_certs(directory):
    subprocess.run(
        [str(VOLLEY_BIN), "cert", "generate", "--dns", "localhost", "--dns", "127.0.0.1",
         "--out", str(directory)],
        stdin=subprocess.DEVNULL, capture_output=True, check=True, timeout=30,
    )
    return directory


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return generate_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def server(certs, tmp_path_factory):
    overrides = {
        "tls": {
            "control": True,
            "cert_file": str(certs / "server.pem"),
            "key_file": str(certs / "server.key"),
            "ca_file": str(certs / "ca.pem"),
        }
    }
    with running_server(tmp_path_factory.mktemp("test_tls"), overrides) as server:
        yield server


def test_the_server_announces_https(server):
    assert server.control_url.startswith("https://127.0.0.1:")


def test_boto3_trusting_the_ca_manages_game_sessions(server, certs):
    client = make_client(server, verify=str(certs / "ca.pem"))
    game = create_game(client, max_players=2)
    assert game["Status"] == "ACTIVE"
    seats = client.create_player_sessions(
        GameSessionId=game["GameSessionId"], PlayerIds=["alice", "bob"]
    )["PlayerSessions"]
    assert [seat["Status"] for seat in seats] == ["RESERVED", "RESERVED"]


def test_boto3_not_trusting_the_ca_is_refused(server, tmp_path):
    other = generate_certs(tmp_path / "other")
    with pytest.raises(SSLError):
        make_client(server, verify=str(other / "ca.pem")).list_fleets()


def test_the_aws_cli_with_a_ca_bundle(server, certs):
    ca = str(certs / "ca.pem")
    fleets = aws_cli(server, "list-fleets", "--ca-bundle", ca).json()
    assert fleets["FleetIds"] == [FLEET_ID]
    described = aws_cli(
        server, "describe-fleet-attributes", endpoint_from_env=True,
        env_extra={"AWS_CA_BUNDLE": ca},
    ).json()
    assert [f["FleetId"] for f in described["FleetAttributes"]] == [FLEET_ID]
    refused = aws_cli(server, "list-fleets")
    assert refused.returncode != 0
    assert "SSL" in refused.stderr or "certificate" in refused.stderr, refused.stderr
