// FlexMatch: the matchmaking configurations and rule sets, and tickets looked up by id
// (GameLift lists no tickets: DescribeMatchmaking takes up to ten ids).

import { field, h, replace, table } from "../dom.js";
import { count, time } from "../format.js";
import { badge, button, errorBox, heading, statusTone } from "../ui.js";

// DescribeMatchmaking's most ticket ids at once.
const MAX_TICKETS = 10;

export async function render({ api, params, rerender }) {
  const [configurations, ruleSets] = await Promise.all([
    api.all("DescribeMatchmakingConfigurations", { Limit: 10 }, "Configurations"),
    api.all("DescribeMatchmakingRuleSets", { Limit: 10 }, "RuleSets"),
  ]);
  const asked = (params.get("tickets") || "").split(/[\s,]+/).filter(Boolean);
  const input = h("input", { id: "ticket-ids", name: "tickets", value: asked.join(" "), autocomplete: "off", spellcheck: "false" });
  const result = h("div", { class: "results" });
  const form = h(
    "form",
    { class: "lookup", "aria-label": "Look up matchmaking tickets" },
    field("Ticket IDs", input, "Up to ten, separated by spaces or commas. Ended tickets are kept for an hour."),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Look up")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const ids = input.value.split(/[\s,]+/).filter(Boolean);
    const hash = ids.length ? `#/matchmaking?tickets=${encodeURIComponent(ids.join(","))}` : "#/matchmaking";
    if (window.location.hash === hash) {
      rerender();
    } else {
      window.location.hash = hash;
    }
  });
  if (asked.length > MAX_TICKETS) {
    replace(result, errorBox(new Error(`at most ${MAX_TICKETS} ticket ids at once; ${asked.length} were given`)));
  } else if (asked.length) {
    try {
      const answer = await api.gamelift("DescribeMatchmaking", { TicketIds: asked });
      const found = answer.TicketList ?? [];
      const missing = asked.filter((id) => !found.some((t) => t.TicketId === id));
      replace(
        result,
        tickets(found),
        missing.length ? h("p", null, `Not found (unknown, or ended over an hour ago): ${missing.join(", ")}.`) : null,
      );
    } catch (error) {
      replace(result, errorBox(error, "The tickets could not be read."));
    }
  }
  return [
    heading("Matchmaking", button("Refresh", rerender, { class: "refresh" })),
    h(
      "section",
      { "aria-labelledby": "configurations" },
      h("h2", { id: "configurations" }, "Matchmaking configurations"),
      table(
        "Matchmaking configurations",
        ["Name", "Rule set", "Mode", "Queue", "Request timeout", "Acceptance", "Backfill", "Created"],
        configurations.items.map((c) => ({
          attributes: { "data-configuration": c.Name },
          cells: [
            c.Name,
            c.RuleSetName ?? "",
            c.FlexMatchMode ?? "",
            (c.GameSessionQueueArns ?? []).map((arn) => arn.split("/").pop()).join(", ") || "none",
            `${count(c.RequestTimeoutSeconds)} s`,
            c.AcceptanceRequired ? `required, ${count(c.AcceptanceTimeoutSeconds)} s` : "not required",
            c.BackfillMode ?? "",
            time(c.CreationTime),
          ],
        })),
        "No matchmaking configurations.",
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "rule-sets" },
      h("h2", { id: "rule-sets" }, "Rule sets"),
      table(
        "Rule sets",
        ["Name", "Created", "Body"],
        ruleSets.items.map((r) => [
          r.RuleSetName,
          time(r.CreationTime),
          h("details", null, h("summary", null, `Rule set ${r.RuleSetName}`), h("pre", { class: "data" }, r.RuleSetBody)),
        ]),
        "No rule sets.",
      ),
    ),
    h("section", { "aria-labelledby": "tickets" }, h("h2", { id: "tickets" }, "Tickets"), form, result),
  ];
}

function tickets(found) {
  return table(
    "Matchmaking tickets",
    ["Ticket", "Configuration", "Status", "Reason", "Players", "Started", "Ended", "Game session"],
    found.map((t) => {
      const arn = t.GameSessionConnectionInfo?.GameSessionArn;
      return {
        attributes: { "data-ticket-id": t.TicketId },
        cells: [
          h("code", null, t.TicketId),
          t.ConfigurationName ?? "",
          badge(t.Status, statusTone(t.Status)),
          [t.StatusReason, t.StatusMessage].filter(Boolean).join(": "),
          (t.Players ?? []).map((p) => (p.Team ? `${p.PlayerId} (${p.Team})` : p.PlayerId)).join(", "),
          time(t.StartTime),
          time(t.EndTime),
          arn ? h("a", { href: `#/session/${encodeURIComponent(arn)}` }, arn.split("/").pop()) : "",
        ],
      };
    }),
    "No tickets.",
  );
}
