// Game session queues, and placements looked up by id: GameLift lists no placements, so the
// operator names the one to see (DescribeGameSessionPlacement).

import { field, fields, h, replace, table } from "../dom.js";
import { count, time } from "../format.js";
import { badge, button, errorBox, heading, statusTone } from "../ui.js";

export async function render({ api, params, rerender }) {
  const listed = await api.all("DescribeGameSessionQueues", { Limit: 100 }, "GameSessionQueues");
  const placementId = params.get("placement") || "";
  const input = h("input", { id: "placement-id", name: "placement", value: placementId, autocomplete: "off", spellcheck: "false" });
  const result = h("div", { class: "results" });
  const form = h(
    "form",
    { class: "lookup", "aria-label": "Look up a placement" },
    field("Placement ID", input, "The PlacementId given to StartGameSessionPlacement. Ended placements are kept for an hour."),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Look up")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = input.value.trim();
    const hash = id ? `#/queues?placement=${encodeURIComponent(id)}` : "#/queues";
    if (window.location.hash === hash) {
      rerender();
    } else {
      window.location.hash = hash;
    }
  });
  if (placementId) {
    try {
      const answer = await api.gamelift("DescribeGameSessionPlacement", { PlacementId: placementId });
      replace(result, placement(answer.GameSessionPlacement ?? {}));
    } catch (error) {
      replace(result, errorBox(error, `Placement ${placementId} could not be read.`));
    }
  }
  return [
    heading("Queues and placements", button("Refresh", rerender, { class: "refresh" })),
    h(
      "section",
      { "aria-labelledby": "queues" },
      h("h2", { id: "queues" }, "Game session queues"),
      table(
        "Game session queues",
        ["Name", "Timeout", "Destinations", "Allowed locations", "Latency policies", "Priority"],
        listed.items.map((q) => ({
          attributes: { "data-queue": q.Name },
          cells: [
            q.Name,
            `${count(q.TimeoutInSeconds)} s`,
            list((q.Destinations ?? []).map((d) => d.DestinationArn)),
            (q.FilterConfiguration?.AllowedLocations ?? []).join(", ") || "any",
            (q.PlayerLatencyPolicies ?? [])
              .map((p) => `≤ ${p.MaximumIndividualPlayerLatencyMilliseconds} ms${p.PolicyDurationSeconds ? ` for ${p.PolicyDurationSeconds} s` : ""}`)
              .join("; ") || "none",
            (q.PriorityConfiguration?.PriorityOrder ?? []).join(", ") || "default",
          ],
        })),
        "No queues.",
      ),
    ),
    h("section", { "aria-labelledby": "placements" }, h("h2", { id: "placements" }, "Placements"), form, result),
  ];
}

function list(items) {
  return items.length ? h("ul", { class: "plain" }, items.map((item) => h("li", null, h("code", null, item)))) : "none";
}

function placement(p) {
  const gameSession = p.GameSessionArn;
  return [
    fields([
      ["Placement", h("code", null, p.PlacementId)],
      ["Status", h("span", { "data-field": "placement-status" }, badge(p.Status, statusTone(p.Status)))],
      ["Queue", p.GameSessionQueueName],
      ["Game session", gameSession ? h("a", { href: `#/session/${encodeURIComponent(gameSession)}` }, gameSession) : null],
      ["Location", p.GameSessionRegion],
      ["Clients connect to", p.Port ? `${p.DnsName ?? p.IpAddress}:${p.Port}` : null],
      ["Maximum players", count(p.MaximumPlayerSessionCount)],
      ["Started", time(p.StartTime)],
      ["Ended", time(p.EndTime)],
    ]),
    table(
      "Placed players",
      ["Player", "Player session"],
      (p.PlacedPlayerSessions ?? []).map((s) => [s.PlayerId, h("code", null, s.PlayerSessionId)]),
      "No player sessions placed.",
    ),
  ];
}
