"""The Grafana dashboard and the Prometheus alert rules under deploy/ match the real server:
every metric they query is one that `GET /metrics` exposes (as a series name, so with the
`_total` of counters and the `_bucket`, `_sum` and `_count` of histograms), with the labels
and label values they select; every alert is labelled and annotated; every dashboard query
goes through the dashboard's data source variable and is valid PromQL (`promtool`).

`promtool check rules` and `promtool test rules` on the rules file itself run in .ci/test."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)

from conftest import REPO, send

RULES = REPO / "deploy" / "prometheus" / "volley-alerts.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "volley.json"

TOKEN = "vlyDeployTok/8Pq2Lm"
VOLLEY_CONFIG = {
    "control": {"metrics_token": TOKEN},
    "limits": {"max_connections": 300, "max_game_sessions": 7},
}

# The names the rules and dashboard may use: this product's and the standard process figures.
METRIC_NAME = re.compile(r"\b(?:volley|process)_[a-z_]+\b")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
SELECTOR = re.compile(r"\b((?:volley|process)_[a-z_]+)\s*\{([^}]*)\}")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
# Labels that Prometheus adds to every series of a target, and the histogram's bucket label.
TARGET_LABELS = {"job", "instance", "le"}
# Series whose label values appear only once a request used them: their values cannot be
# checked against one scrape.
LAZY_LABELS = {"volley_control_requests_total": {"operation", "result"}}


def exposed(server, gamelift):
    """{series name: {label: {values}}} of one scrape of the real server, after one control
    API call (the request counter has a series once a request was counted)."""
    gamelift.describe_game_sessions(FleetId="fleet-local")
    response = send(server, {"Authorization": f"Bearer {TOKEN}"}, b"", method="GET",
                    path="/metrics")
    assert response.status == 200, response.body
    series = {}
    for family in parse_openmetrics(response.body.decode()):
        for sample in family.samples:
            labels = series.setdefault(sample.name, {})
            for key, value in sample.labels.items():
                labels.setdefault(key, set()).add(value)
    return series


def rules():
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"]
            for rule in group["rules"]]


def dashboard():
    return json.loads(DASHBOARD.read_text())


def panels(board):
    """Every panel, those inside collapsed rows included."""
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(board):
    """(where, PromQL) of every panel target, and the selectors of the variables' queries."""
    for panel in panels(board):
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r}", target["expr"]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            query = query["query"] if isinstance(query, dict) else query
            inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
            assert inner, f"variable {variable['name']}: {query}"
            yield f"variable {variable['name']}", inner.group(1)


def all_queries():
    board = dashboard()
    yield from ((f"rule {r.get('alert') or r.get('record')}", r["expr"]) for r in rules())
    yield from dashboard_queries(board)


def problems_of(where, expr, series):
    """What in `expr` the server does not expose."""
    found = []
    for name in METRIC_NAME.findall(STRING.sub('""', expr)):
        if name not in series:
            found.append(f"{where}: {name} is not exposed")
    for name, matchers in SELECTOR.findall(expr):
        labels = series.get(name)
        if labels is None:
            continue  # Reported above.
        for key, op, value in MATCHER.findall(matchers):
            if key in TARGET_LABELS:
                continue
            if key not in labels:
                found.append(f"{where}: {name} has no label {key}")
                continue
            if key in LAZY_LABELS.get(name, ()) or "$" in value:
                continue
            # A regular expression here is a plain alternation of values.
            wanted = value.split("|") if op in ("=~", "!~") else [value]
            for one in wanted:
                if one not in labels[key]:
                    found.append(f"{where}: {name} has no {key}={one!r} "
                                 f"(only {sorted(labels[key])})")
    return found


def test_every_metric_queried_is_exposed_with_its_labels(server, gamelift):
    series = exposed(server, gamelift)
    problems = []
    queries = list(all_queries())
    for where, expr in queries:
        problems += problems_of(where, expr, series)
    assert not problems, "\n".join(problems)
    # The checks read something: every family the alerts and panels are about.
    used = {name for _, expr in queries for name in METRIC_NAME.findall(expr)}
    for name in ("volley_ready", "volley_game_sessions_max", "volley_connections_max",
                 "volley_messages_dropped_total", "volley_control_requests_total",
                 "volley_script_hook_duration_seconds_bucket", "process_open_fds"):
        assert name in used, name


def test_the_check_finds_names_and_labels_the_server_lacks(server, gamelift):
    series = exposed(server, gamelift)
    assert problems_of("q", 'rate(volley_connections_total{mode="plain"}[5m])', series) == []
    # A counter without `_total`, a histogram without `_bucket`, a typo in a label value
    # or name, and a name inside a larger expression are all caught.
    bad = [
        "rate(volley_connections[5m])",
        "histogram_quantile(0.9, rate(volley_script_hook_duration_seconds[5m]))",
        'volley_game_sessions{status=~"active|actve"}',
        'volley_game_sessions{state="active"}',
        "process_open_fds / process_max_fd",
    ]
    for expr in bad:
        assert problems_of("q", expr, series), expr


def test_the_capacity_gauges_are_the_configured_limits(server, gamelift):
    series_text = send(server, {"Authorization": f"Bearer {TOKEN}"}, b"", method="GET",
                       path="/metrics").body.decode()
    values = {sample.name: sample.value for family in parse_openmetrics(series_text)
              for sample in family.samples if not sample.labels}
    assert values["volley_game_sessions_max"] == 7
    assert values["volley_connections_max"] == 300


def test_every_alert_has_a_severity_a_summary_a_description_and_a_duration():
    names = set()
    for rule in rules():
        name = rule["alert"]
        assert name not in names, name
        names.add(name)
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert rule["annotations"]["summary"].strip(), name
        assert rule["annotations"]["description"].strip(), name
        assert re.fullmatch(r"\d+[smh]", rule["for"]), name
    # The unit tests cover every alert at least once firing.
    tests = yaml.safe_load((RULES.parent / "volley-alerts_test.yml").read_text())
    fired = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]
             if case["exp_alerts"]}
    assert fired == names, names ^ fired


def test_the_dashboard_queries_through_its_data_source_variable():
    board = dashboard()
    variables = {v["name"]: v for v in board["templating"]["list"]}
    source = variables["datasource"]
    assert (source["type"], source["query"]) == ("datasource", "prometheus")
    assert board["id"] is None and board["uid"], "importable: no id, a stable uid"
    via_variable = {"type": "prometheus", "uid": "${datasource}"}
    ids = set()
    for panel in panels(board):
        assert panel["id"] not in ids, panel["title"]
        ids.add(panel["id"])
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == via_variable, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == via_variable, panel["title"]
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, panel["title"]
    for name in ("job", "instance"):
        assert variables[name]["datasource"] == via_variable, name


def test_the_dashboard_queries_are_valid_promql(tmp_path):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: install Debian's prometheus package (.ci/test does)"
    grafana_variables = {"$__rate_interval": "1m", "$job": "volley", "$instance": ".*"}
    records = []
    for n, (where, expr) in enumerate(dashboard_queries(dashboard())):
        for variable, value in grafana_variables.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"{where}: an unknown variable in {expr}"
        records.append({"record": f"dashboard:query_{n}", "expr": expr})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": records}]}))
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
