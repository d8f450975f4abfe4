"""The Kubernetes manifests under deploy/kubernetes (README "Running on Kubernetes with
Agones") parse and agree with each other, with the config in their ConfigMap and with the
server: the Fleet's ports are the listeners of the config, the Counter names are the ones the
host reports and the autoscaler scales on, the probes ask the control port's /health and
/ready, the Services reach what they name, and the grace periods fit. Checked without a
cluster: no live Kubernetes or Agones is involved."""

import re
import subprocess
import tomllib

import yaml

from conftest import REPO, VOLLEY_BIN

K8S = REPO / "deploy" / "kubernetes"
EXAMPLE = tomllib.loads((REPO / "config" / "volley.toml").read_text())
AGONES_SOURCE = (REPO / "src" / "agones" / "mod.rs").read_text()
# Time the server gives connections to close after a drain (lib.rs CLOSE_TIMEOUT).
CLOSE_TIMEOUT_SECS = 5


def documents():
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path.name, doc))
    return docs


def one(kind, name=None):
    found = [d for _, d in documents()
             if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, (kind, name, found)
    return found[0]


def config_text():
    return one("ConfigMap", "volley-config")["data"]["volley.toml"]


def config():
    return tomllib.loads(config_text())


def setting(table, key):
    """A key of the ConfigMap's config, or its default (the example config's)."""
    return config().get(table, {}).get(key, EXAMPLE[table][key])


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def code_constant(name):
    match = re.search(rf'pub const {name}: &str = "([^"]+)";', AGONES_SOURCE)
    assert match, name
    return match.group(1)


def container():
    containers = one("Fleet")["spec"]["template"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, containers
    return containers[0]


def test_every_manifest_parses_and_is_listed_in_the_kustomization():
    docs = documents()
    kinds = sorted(d["kind"] for _, d in docs)
    assert kinds == sorted(["ConfigMap", "Fleet", "FleetAutoscaler", "Service", "Service",
                            "StatefulSet", "Kustomization"]), kinds
    for name, doc in docs:
        assert doc.get("apiVersion") and doc.get("kind"), name
        if doc["kind"] != "Kustomization":
            assert doc["metadata"]["name"], name
    listed = one("Kustomization")["resources"]
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(listed) == sorted(files)


def test_the_configmaps_config_is_valid(tmp_path):
    path = tmp_path / "volley.toml"
    path.write_text(config_text())
    done = subprocess.run([str(VOLLEY_BIN), "check-config", str(path)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert setting("agones", "enabled") is True


def test_fleet_ports_are_the_configs_listeners():
    ports = {p["name"]: p for p in one("Fleet")["spec"]["template"]["spec"]["ports"]}
    game = ports[setting("agones", "ws_port")]
    assert game["protocol"] == "TCP"
    assert game["containerPort"] == port_of(setting("game", "listen"))
    fast = ports[setting("agones", "fast_port")]
    assert fast["protocol"] == "UDP"
    udp_listen = config()["game"].get("udp_listen", setting("game", "listen"))
    assert fast["containerPort"] == port_of(udp_listen)
    for port in ports.values():
        assert port["portPolicy"] == "Dynamic", port


def test_counter_names_agree_between_fleet_autoscaler_and_code():
    fleet = one("Fleet")
    counters = fleet["spec"]["template"]["spec"]["counters"]
    game_sessions = code_constant("GAME_SESSIONS_COUNTER")
    players = code_constant("PLAYERS_COUNTER")
    assert set(counters) == {game_sessions, players}
    assert counters[game_sessions]["capacity"] == setting("limits", "max_game_sessions")
    assert counters[players]["capacity"] == setting("limits", "max_connections")
    autoscaler = one("FleetAutoscaler")
    assert autoscaler["spec"]["fleetName"] == fleet["metadata"]["name"]
    policy = autoscaler["spec"]["policy"]
    assert policy["type"] == "Counter"
    assert policy["counter"]["key"] == game_sessions
    buffer = policy["counter"]["bufferSize"]
    assert 0 < buffer <= policy["counter"]["minCapacity"] <= policy["counter"]["maxCapacity"]


def test_probes_ask_the_control_port():
    control_port = port_of(setting("control", "listen"))
    c = container()
    named = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert named["control"] == control_port
    assert c["livenessProbe"]["httpGet"] == {"path": "/health", "port": control_port}
    assert c["readinessProbe"]["httpGet"] == {"path": "/ready", "port": control_port}
    health = one("Fleet")["spec"]["template"]["spec"]["health"]
    assert health["disabled"] is False
    assert setting("agones", "health_interval_secs") < health["periodSeconds"]


def test_the_config_file_is_the_configmap_and_secrets_come_from_the_secret():
    c = container()
    assert c["args"] == ["serve", "--config", "/etc/volley/volley.toml"]
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    assert mounts["config"]["mountPath"] == "/etc/volley/volley.toml"
    volumes = {v["name"]: v for v in
               one("Fleet")["spec"]["template"]["spec"]["template"]["spec"]["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "volley-config"
    env = {e["name"]: e for e in c["env"]}
    for name in ["VOLLEY_ACCESS_KEY_ID", "VOLLEY_SECRET_ACCESS_KEY"]:
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "volley-access-key"


def test_services_reach_the_hosts_and_redis():
    fleet = one("Fleet")
    control = one("Service", "volley-control")
    # Agones labels each GameServer pod with its Fleet's name.
    assert control["spec"]["selector"] == {"agones.dev/fleet": fleet["metadata"]["name"]}
    assert control["spec"]["ports"][0]["targetPort"] == "control"
    redis = one("Service", "volley-redis")
    statefulset = one("StatefulSet", "volley-redis")
    assert redis["spec"]["selector"] == statefulset["spec"]["template"]["metadata"]["labels"]
    redis_port = redis["spec"]["ports"][0]["port"]
    assert setting("fleet", "store") == f"redis://volley-redis:{redis_port}/0"


def test_the_pod_outlives_its_drain():
    pod = one("Fleet")["spec"]["template"]["spec"]["template"]["spec"]
    grace = setting("server", "drain_grace_secs")
    assert pod["terminationGracePeriodSeconds"] > grace + CLOSE_TIMEOUT_SECS
