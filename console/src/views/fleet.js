// The fleet: headline numbers, this server, capacity and utilization (fleet-wide and by
// location), and the hosts, with a drain for the host that serves this console.

import { h, table } from "../dom.js";
import { count, duration, percent, time } from "../format.js";
import { announce, badge, button, confirmDialog, errorBox, heading } from "../ui.js";

export async function render({ api, rerender }) {
  const server = await api.call("Volley.DescribeServer", { Limit: 1000 });
  const fleet = server.Fleet ?? { Hosts: [], Locations: [] };
  const fleetId = server.Server?.FleetId;
  const locations = fleet.Locations ?? [];
  const [attributes, capacity, utilization, byLocation] = await Promise.all([
    settle(api.gamelift("DescribeFleetAttributes", {})),
    settle(api.gamelift("DescribeFleetCapacity", {})),
    settle(api.gamelift("DescribeFleetUtilization", {})),
    settle(locationFigures(api, fleetId, locations)),
  ]);
  const hosts = fleet.Hosts ?? [];
  const connected = hosts.reduce((sum, host) => sum + (host.PlayerCount ?? 0), 0);
  const draining = hosts.filter((host) => host.Draining).length;
  return [
    heading(
      `Fleet ${fleetId ?? ""}`,
      button("Refresh", rerender, { class: "refresh" }),
      h("p", { class: "as-of" }, `As of ${time(Date.now() / 1000)}`),
    ),
    fleet.StoreError
      ? h("div", { class: "error", role: "alert" }, `The fleet store could not be read: ${fleet.StoreError}`)
      : null,
    h(
      "section",
      { class: "stats", "aria-label": "Headline numbers" },
      stat("game-sessions", "Game sessions", server.GameSessionCount, "running: activating, active or terminating"),
      stat("player-sessions", "Player sessions", server.PlayerSessionCount, "reserved or connected"),
      stat("players-connected", "Players connected", connected, "logged in on the fleet's hosts"),
      stat("hosts", "Hosts", fleet.HostCount ?? hosts.length, draining ? `${draining} draining` : "none draining"),
      stat("locations", "Locations", locations.length, locations.join(", ")),
    ),
    thisServer(server, attributes),
    capacitySection(capacity, utilization, attributes),
    locationsSection(byLocation),
    hostsSection(api, server, rerender),
  ];
}

// A promise's value or error, so that one failed read leaves the rest of the view.
async function settle(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

function stat(name, label, value, note) {
  return h(
    "div",
    { class: "stat", "data-stat": name },
    h("span", { class: "stat-value" }, count(value ?? 0)),
    h("span", { class: "stat-label" }, label),
    note ? h("span", { class: "stat-note" }, note) : null,
  );
}

function thisServer(answer, attributes) {
  const server = answer.Server ?? {};
  const listeners = server.Listeners ?? {};
  const endpoint = server.ClientEndpoint ?? {};
  const script = server.Script;
  const condition = server.Draining ? "draining" : server.Ready ? "ready" : "not ready";
  return h(
    "section",
    { "aria-labelledby": "this-server" },
    h("h2", { id: "this-server" }, "This server"),
    h(
      "dl",
      { class: "fields" },
      row("Version", server.Version),
      row("Host", answer.Fleet?.HostId),
      row("Started", `${time(server.StartTime)} (up ${duration(server.UptimeSeconds)})`),
      row(
        "Condition",
        h(
          "span",
          null,
          badge(condition, server.Draining ? "busy" : server.Ready ? "good" : "bad"),
          server.UnhealthyGameSessions ? ` ${server.UnhealthyGameSessions} game sessions report unhealthy` : "",
        ),
      ),
      row("Location", server.Location),
      row("Game listener", `${listeners.Game} (WebSocket), ${listeners.Udp} (UDP), TLS ${listeners.TlsMode}`),
      row("Control listener", `${listeners.Control}${listeners.ControlTls ? " (HTTPS)" : ""}`),
      row("Clients connect to", `${endpoint.DnsName}:${endpoint.Port} (fast port ${endpoint.FastPort})`),
      row(
        "Fleet script",
        script
          ? `${[script.Name, script.Version].filter(Boolean).join(" ")} (${script.ScriptId}, revision ${script.Revision})`
          : attributes.value?.FleetAttributes?.[0]?.ScriptId ?? "none: game sessions relay only",
      ),
    ),
  );
}

function row(term, value) {
  return h("div", null, h("dt", null, term), h("dd", null, value ?? ""));
}

function capacitySection(capacity, utilization, attributes) {
  const content = [];
  if (attributes.error || capacity.error || utilization.error) {
    content.push(errorBox(attributes.error ?? capacity.error ?? utilization.error, "The fleet's figures could not be read."));
  } else {
    const item = capacity.value.FleetCapacity?.[0] ?? {};
    const counts = item.InstanceCounts ?? {};
    const use = utilization.value.FleetUtilization?.[0] ?? {};
    const status = attributes.value.FleetAttributes?.[0]?.Status ?? "";
    content.push(
      h(
        "div",
        { class: "meters" },
        meter(
          "processes",
          "Server processes in use",
          use.ActiveGameSessionCount ?? 0,
          use.ActiveServerProcessCount ?? 0,
          "game sessions running, of the game sessions the fleet can run now",
        ),
        meter(
          "player-slots",
          "Player slots in use",
          use.CurrentPlayerSessionCount ?? 0,
          use.MaximumPlayerSessionCount ?? 0,
          "player sessions reserved or connected, of the running game sessions' maximums",
        ),
      ),
      h(
        "dl",
        { class: "fields" },
        row("Fleet status", badge(status, status === "ACTIVE" ? "good" : "busy")),
        row(
          "Instances (hosts)",
          `${count(counts.ACTIVE)} active, ${count(counts.IDLE)} idle, ${count(counts.TERMINATING)} terminating ` +
            `(${count(counts.DESIRED)} desired)`,
        ),
      ),
    );
  }
  return h(
    "section",
    { "aria-labelledby": "capacity" },
    h("h2", { id: "capacity" }, "Capacity and utilization"),
    content,
  );
}

function meter(name, label, value, max, note) {
  const id = `meter-${name}`;
  return h(
    "div",
    { class: "meter", "data-meter": name },
    h("label", { for: id }, label),
    h("meter", { id, min: 0, max: Math.max(max, 1), value, "aria-describedby": `${id}-text` }),
    h("p", { id: `${id}-text`, class: "meter-text" }, `${count(value)} of ${count(max)} ${percent(value, max) && `(${percent(value, max)})`}`, h("br"), h("span", { class: "hint" }, note)),
  );
}

// Each location's state, capacity and utilization.
async function locationFigures(api, fleetId, locations) {
  if (!fleetId || !locations.length) {
    return [];
  }
  const attributes = await api.gamelift("DescribeFleetLocationAttributes", {
    FleetId: fleetId,
    Locations: locations.slice(0, 100),
  });
  const states = new Map(
    (attributes.LocationAttributes ?? []).map((a) => [a.LocationState?.Location, a.LocationState?.Status]),
  );
  return Promise.all(
    locations.map(async (location) => {
      const [capacity, utilization] = await Promise.all([
        api.gamelift("DescribeFleetLocationCapacity", { FleetId: fleetId, Location: location }),
        api.gamelift("DescribeFleetLocationUtilization", { FleetId: fleetId, Location: location }),
      ]);
      return {
        location,
        status: states.get(location) ?? "",
        counts: capacity.FleetCapacity?.InstanceCounts ?? {},
        use: utilization.FleetUtilization ?? {},
      };
    }),
  );
}

function locationsSection(byLocation) {
  const body = byLocation.error
    ? errorBox(byLocation.error, "The locations could not be read.")
    : table(
        "Locations",
        ["Location", "Status", "Hosts", "Game sessions", "Server processes", "Player sessions"],
        byLocation.value.map(({ location, status, counts, use }) => [
          location,
          badge(status, status === "ACTIVE" ? "good" : "busy"),
          `${count(counts.ACTIVE)} active, ${count(counts.TERMINATING)} terminating`,
          count(use.ActiveGameSessionCount),
          count(use.ActiveServerProcessCount),
          `${count(use.CurrentPlayerSessionCount)} of ${count(use.MaximumPlayerSessionCount)}`,
        ]),
        "No location: the fleet has no live host.",
      );
  return h("section", { "aria-labelledby": "locations" }, h("h2", { id: "locations" }, "Locations"), body);
}

function hostsSection(api, answer, rerender) {
  const fleet = answer.Fleet ?? {};
  const here = fleet.HostId;
  const hosts = fleet.Hosts ?? [];
  const rows = hosts.map((host) => {
    const self = host.HostId === here;
    let action;
    if (host.Draining) {
      action = "draining";
    } else if (self) {
      action = button("Drain…", () => drain(api, answer, rerender), {
        class: "danger",
        "aria-label": `Drain host ${host.HostId}`,
      });
    } else {
      action = h("span", { class: "hint" }, "from its own control listener");
    }
    return {
      attributes: { "data-host": host.HostId },
      cells: [
        h("span", null, host.HostId, self ? h("span", { class: "tag" }, " (this host)") : null),
        host.Location,
        `${host.DnsName}:${host.Port}`,
        badge(host.Draining ? "draining" : "active", host.Draining ? "busy" : "good"),
        `${count(host.GameSessionCount)} of ${count(host.MaxGameSessions)}`,
        count(host.PlayerCount),
        host.Version,
        action,
      ],
    };
  });
  const listed = table(
    "Hosts",
    ["Host", "Location", "Clients connect to", "State", "Game sessions", "Players connected", "Version", "Drain"],
    rows,
    "No live host.",
  );
  return h(
    "section",
    { "aria-labelledby": "hosts" },
    h("h2", { id: "hosts" }, "Hosts"),
    fleet.HostCount > hosts.length ? h("p", null, `The first ${hosts.length} of ${fleet.HostCount} hosts.`) : null,
    listed,
    h(
      "p",
      { class: "hint" },
      "A drain asks the host that answers it. This console drains the host that serves it; ",
      "to drain another host, open the console on that host's control listener, or run ",
      h("code", null, "volley drain --endpoint"),
      " against it.",
    ),
  );
}

// Volley.StartDrain for this host, named by its id, so that behind a load balancer a request
// that reaches another host is refused rather than draining the wrong one.
async function drain(api, answer, rerender) {
  const hostId = answer.Fleet?.HostId;
  const running = answer.Fleet?.Hosts?.find((host) => host.HostId === hostId)?.GameSessionCount ?? 0;
  const result = await confirmDialog({
    title: `Drain host ${hostId}?`,
    description: h(
      "div",
      null,
      h("p", null, `The host stops taking game sessions and winds down the ${count(running)} it runs:`),
      h(
        "ul",
        null,
        h("li", null, "/ready answers 503, and new game sessions and player sessions are refused here."),
        h("li", null, "Every running game session's script gets onProcessTerminate; game sessions end by themselves."),
        h("li", null, "Players still connected after the drain grace are closed, and the process exits."),
      ),
      h("p", null, "A drain cannot be undone: the host must be started again."),
    ),
    confirmLabel: `Drain ${hostId}`,
    danger: true,
    action: () => api.call("Volley.StartDrain", { HostId: hostId }),
  });
  if (result) {
    announce(
      result.AlreadyDraining
        ? `Host ${hostId} was already draining.`
        : `Host ${hostId} is draining: ${result.GameSessionCount} game sessions to end, within ${result.DrainGraceSeconds} s.`,
    );
    rerender();
  }
}
