"""The Docker Compose fleet under deploy/fleet agrees with itself and with the server: each
host's config is valid (`volley check-config`), the hosts share a fleet id and have their own
host ids, the ports each container publishes are the ones its config announces to clients,
and every host reaches the store through the Redis service with the password it requires."""

import subprocess
import tomllib

import yaml

from conftest import REPO, VOLLEY_BIN

FLEET = REPO / "deploy" / "fleet"


def compose():
    return yaml.safe_load((FLEET / "docker-compose.yml").read_text())


def host_config(service):
    mounts = [v for v in service["volumes"] if v.endswith(":/etc/volley/volley.toml:ro")]
    assert len(mounts) == 1, service["volumes"]
    path = FLEET / mounts[0].split(":", 1)[0]
    return path, tomllib.loads(path.read_text())


def hosts():
    services = compose()["services"]
    return {name: s for name, s in services.items() if name.startswith("host-")}


def test_every_hosts_config_is_valid():
    for name, service in hosts().items():
        path, _ = host_config(service)
        done = subprocess.run([str(VOLLEY_BIN), "check-config", str(path)],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, (name, done.stdout, done.stderr)


def test_hosts_share_the_fleet_and_each_has_its_own_id():
    configs = [host_config(s)[1] for s in hosts().values()]
    assert len(configs) >= 2
    assert len({c["fleet"]["id"] for c in configs}) == 1
    assert len({c["fleet"]["host_id"] for c in configs}) == len(configs)


def test_published_ports_are_the_announced_ones():
    for name, service in hosts().items():
        _, config = host_config(service)
        game_port = int(config["game"]["listen"].rsplit(":", 1)[1])
        control_port = int(config["control"]["listen"].rsplit(":", 1)[1])
        published = {}
        for mapping in service["ports"]:
            outside, inside = mapping.split(":")
            port, _, proto = inside.partition("/")
            published[(int(port), proto or "tcp")] = int(outside)
        assert published[(game_port, "tcp")] == config["fleet"]["port"], name
        assert published[(game_port, "udp")] == config["game"]["advertised_fast_port"], name
        assert (control_port, "tcp") in published, name


def test_hosts_reach_the_redis_service_with_its_password():
    services = compose()["services"]
    assert "--requirepass" in services["redis"]["command"]
    assert "--appendonly" in services["redis"]["command"]
    for name, service in hosts().items():
        store = service["environment"]["VOLLEY_FLEET_STORE"]
        assert store.startswith("redis://:${REDIS_PASSWORD"), (name, store)
        assert store.endswith("@redis:6379/0"), (name, store)
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name
        _, config = host_config(service)
        assert "store" not in config["fleet"], "the password stays out of the file"
