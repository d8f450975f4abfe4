// Aliases: the names backends use in place of the fleet's id, and where each routes.

import { h, table } from "../dom.js";
import { time } from "../format.js";
import { badge, button, heading } from "../ui.js";

export async function render({ api, rerender }) {
  const listed = await api.all("ListAliases", { Limit: 100 }, "Aliases");
  return [
    heading("Aliases", button("Refresh", rerender, { class: "refresh" })),
    listed.complete ? null : h("p", null, `The first ${listed.items.length} aliases.`),
    table(
      "Aliases",
      ["Name", "Alias ID", "Routing", "Fleet or message", "Description", "Created", "Updated"],
      listed.items.map((a) => ({
        attributes: { "data-alias-id": a.AliasId },
        cells: [
          a.Name ?? "",
          h("code", null, a.AliasId),
          badge(a.RoutingStrategy?.Type ?? "", a.RoutingStrategy?.Type === "SIMPLE" ? "good" : "busy"),
          a.RoutingStrategy?.Type === "SIMPLE" ? h("code", null, a.RoutingStrategy.FleetId) : a.RoutingStrategy?.Message ?? "",
          a.Description ?? "",
          time(a.CreationTime),
          time(a.LastUpdatedTime),
        ],
      })),
      "No aliases.",
    ),
  ];
}
