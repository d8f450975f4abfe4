// The headline counters over time: what Volley.DescribeServer reports, sampled by the
// poller while the console is open, drawn as small charts. Counts are the fleet's;
// connection, message and script counters are this host's since it started.

import { chart } from "../chart.js";
import { field, h, replace, select, table } from "../dom.js";
import { count } from "../format.js";
import { gauge, rates } from "../poller.js";
import { heading } from "../ui.js";

const INTERVALS = [
  ["1000", "1 s"],
  ["5000", "5 s"],
  ["15000", "15 s"],
  ["60000", "1 min"],
];

// The charts: a title, the unit, and series of a gauge (a sample's field) or a counter's rate.
const CHARTS = [
  { title: "Game sessions running", unit: "", series: [["game sessions", "gauge", "gameSessions"]] },
  { title: "Player sessions", unit: "", series: [["reserved or connected", "gauge", "playerSessions"]] },
  { title: "Players connected", unit: "", series: [["connected", "gauge", "playersConnected"]] },
  { title: "Connections accepted", unit: "/s", series: [["accepted", "rate", "ConnectionsAccepted"]] },
  {
    title: "Logins",
    unit: "/s",
    series: [
      ["accepted", "rate", "LoginsAccepted"],
      ["refused", "rate", "LoginsRefused"],
    ],
  },
  {
    title: "Messages",
    unit: "/s",
    series: [
      ["in", "rate", "MessagesIn"],
      ["out", "rate", "MessagesOut"],
    ],
  },
  {
    title: "Messages dropped or malformed",
    unit: "/s",
    series: [
      ["dropped", "rate", "MessagesDropped"],
      ["malformed", "rate", "Malformed"],
    ],
  },
  {
    title: "Disconnects",
    unit: "/s",
    series: [
      ["by clients", "rate", "ClientCloses"],
      ["lost", "rate", "ConnectionsLost"],
      ["idle", "rate", "IdleTimeouts"],
    ],
  },
  {
    title: "Script faults",
    unit: "/s",
    series: [
      ["errors", "rate", "ScriptErrors"],
      ["timeouts", "rate", "ScriptTimeouts"],
      ["out of memory", "rate", "ScriptOutOfMemory"],
    ],
  },
];

// What each counter counts, for the totals table.
const COUNTERS = [
  ["ConnectionsAccepted", "Connections accepted"],
  ["ConnectionsOverLimit", "Connections over the limit"],
  ["LoginsAccepted", "Logins accepted"],
  ["LoginsRefused", "Logins refused"],
  ["MessagesIn", "Messages in"],
  ["MessagesOut", "Messages out"],
  ["MessagesDropped", "Messages dropped"],
  ["Malformed", "Malformed messages"],
  ["ClientCloses", "Closed by clients"],
  ["ConnectionsLost", "Connections lost"],
  ["SlowReaderCloses", "Slow readers closed"],
  ["IdleTimeouts", "Idle timeouts"],
  ["RateLimitedCloses", "Closed for sending too fast"],
  ["TlsHandshakesFailed", "TLS and DTLS handshakes failed"],
  ["ScriptErrors", "Script errors"],
  ["ScriptTimeouts", "Script timeouts"],
  ["ScriptOutOfMemory", "Scripts out of memory"],
];

export async function render({ poller, onLeave }) {
  const interval = select(INTERVALS, String(poller.intervalMs), { id: "interval", name: "interval" });
  interval.addEventListener("change", () => poller.setInterval(Number(interval.value)));
  const charts = h("div", { class: "charts" });
  const totals = h("div");
  const draw = () => {
    const samples = poller.samples;
    replace(
      charts,
      CHARTS.map((c) =>
        chart(
          c.title,
          c.series.map(([name, kind, key]) => ({
            name,
            points: kind === "gauge" ? gauge(samples, key) : rates(samples, key),
          })),
          c.unit,
        ),
      ),
    );
    const counters = poller.last?.Counters ?? {};
    replace(
      totals,
      table(
        "Counters since the host started",
        ["Counter", "Total"],
        COUNTERS.map(([key, label]) => ({ attributes: { "data-counter": key }, cells: [label, count(counters[key] ?? 0)] })),
      ),
    );
  };
  draw();
  onLeave(poller.subscribe(draw));
  return [
    heading("Counters"),
    h(
      "p",
      null,
      "Sampled from Volley.DescribeServer while this page is open; the charts keep the last 120 samples. ",
      "Game sessions and player sessions are the fleet's; the other counters are this host's.",
    ),
    h("div", { class: "row", role: "group", "aria-label": "Sampling" }, field("Sample every", interval)),
    h("section", { "aria-labelledby": "charts" }, h("h2", { id: "charts" }, "Over time"), charts),
    h("section", { "aria-labelledby": "totals" }, h("h2", { id: "totals" }, "Totals"), totals),
  ];
}
